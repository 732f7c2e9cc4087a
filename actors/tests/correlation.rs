//! The correlation id of a start request reaches the logs of the execution's nodes: node code
//! logs inside the execution's tracing span. In its own test binary, because it installs a
//! process-wide subscriber.

mod support;

use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex};
use support::{Backend, Harness, fast_config};
use weft_actors::StartRequest;
use weft_core::ExecutionStatus;

/// Every formatted log line, for the test to read.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_logs_carry_the_correlation_id() {
    let captured = Captured::default();
    tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .init();

    let h = Harness::new(Backend::sqlite().await, fast_config()).await;
    let wf = h
        .workflow(
            json!({"name": "say", "nodes": [{"id": "start", "type": "trigger.manual"},
            {"id": "speak", "type": "test.say"}], "edges": [{"from": "start", "to": "speak"}]}),
        )
        .await;
    let id = h
        .start_with(StartRequest {
            workflow_id: wf,
            input: json!({}),
            correlation_id: Some("req-7f3a".into()),
            ..Default::default()
        })
        .await;
    assert_eq!(h.finish(id).await.status, ExecutionStatus::Succeeded);

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("test.say says hello"))
        .unwrap_or_else(|| panic!("the node's line is missing from:\n{text}"));
    assert!(line.contains("correlation_id=req-7f3a"), "{line}");
    assert!(line.contains(&format!("execution_id={id}")), "{line}");
    assert!(line.contains("node=speak"), "{line}");
}

// TEMPORARY ad-hoc measurement, not committed.
use std::sync::Arc;
use std::time::{Duration, Instant};
use weft_core::{Event, EventEnvelope, ExecutionId, ExecutionStatus, WorkflowId};
use weft_persistence::{Append, EventWriter, NewExecution, Snapshot, WriterOptions};

#[tokio::main]
async fn main() {
    let url = std::env::args().nth(1).expect("url");
    let actors: usize = std::env::args().nth(2).map(|s| s.parse().unwrap()).unwrap_or(1000);
    let secs: u64 = std::env::args().nth(3).map(|s| s.parse().unwrap()).unwrap_or(10);
    let store = weft_persistence::connect(&url).await.unwrap();
    let wf = WorkflowId::new();
    let mut ids = Vec::new();
    for _ in 0..actors {
        let (r, _) = store
            .create_execution(NewExecution {
                id: ExecutionId::new(),
                workflow_id: wf,
                workflow_version: 1,
                input: serde_json::json!({"n": 1}),
                priority: 0,
                parent: None,
                idempotency_key: None,
                owner_epoch: 0,
                created_at: 0,
            })
            .await
            .unwrap();
        ids.push(r.id);
    }
    let writer = EventWriter::spawn(store.clone(), WriterOptions::default());
    let deadline = Instant::now() + Duration::from_secs(secs);
    let start = Instant::now();
    let state = serde_json::json!({"nodes": (0..20).map(|i| serde_json::json!({"id": format!("node{i}"), "status": "completed", "output": {"value": i}})).collect::<Vec<_>>()});
    let tasks: Vec<_> = ids
        .into_iter()
        .map(|id| {
            let writer = writer.clone();
            let state = state.clone();
            tokio::spawn(async move {
                let mut v = 0u64;
                let mut n = 0u64;
                while Instant::now() < deadline {
                    let events = vec![
                        EventEnvelope { seq: v + 1, at: 1, event: Event::NodeCompleted { node: format!("node{v}"), output: serde_json::json!({"status": 200, "body": {"ok": true, "items": [1,2,3]}}), ports: vec!["main".into()] } },
                        EventEnvelope { seq: v + 2, at: 1, event: Event::NodeScheduled { node: format!("node{}", v + 1), attempt: 1 } },
                    ];
                    let a = Append {
                        execution_id: id,
                        expected_version: v,
                        owner_epoch: 0,
                        events,
                        status: ExecutionStatus::Running,
                        output: None,
                        error: None,
                        wake_at: None,
                        snapshot: Some(Snapshot { seq: v + 2, format_version: 1, state: state.clone() }),
                        now: 1,
                    };
                    writer.append(a).await.unwrap();
                    v += 2;
                    n += 1;
                }
                n
            })
        })
        .collect();
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    let el = start.elapsed().as_secs_f64();
    let s = writer.stats();
    println!(
        "{}: {actors} concurrent writers, {total} appends ({} events + snapshot each) in {el:.1}s = {:.0} appends/s, {:.0} events/s; {} batches, avg {:.0}/batch",
        store.backend(), 2, total as f64 / el, 2.0 * total as f64 / el, s.batches, s.appends as f64 / s.batches as f64
    );
    let _ = Arc::strong_count(&store);
}

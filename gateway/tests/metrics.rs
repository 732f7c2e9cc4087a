//! `GET /metrics` after real work: executions that succeed and fail, node failures, API calls
//! on matched and unmatched routes. Every family the operator relies on is there with the
//! right labels and counts, on SQLite and PostgreSQL, and `promtool check metrics` (from
//! Debian's `prometheus` package) accepts the output.

mod support;

use axum::http::StatusCode;
use serde_json::{Value, json};
use std::io::Write;
use std::process::{Command, Stdio};
use support::TestApp;
use weft_core::{ExecutionId, ExecutionStatus};

struct Api {
    app: TestApp,
}

impl Api {
    async fn call(
        &self,
        method: &str,
        uri: &str,
        body: Option<Value>,
    ) -> (StatusCode, String, String) {
        let r = self
            .app
            .call(method, uri, body, Some(&self.app.admin))
            .await;
        let ctype = r.content_type().to_string();
        (r.status, ctype, r.text)
    }

    async fn create(&self, def: Value) -> String {
        self.app.workflow(def).await
    }

    async fn run(&self, workflow: &str) -> ExecutionId {
        let id = ExecutionId::parse(&self.app.start(workflow, json!({})).await).unwrap();
        self.app.engine.wait_finished(id).await.unwrap();
        id
    }
}

/// The value of the sample `series` (name and labels exactly as exported).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| {
        let value = line.strip_prefix(series)?.strip_prefix(' ')?;
        Some(value.trim().parse().unwrap())
    })
}

fn expect(text: &str, series: &str, value: f64) {
    assert_eq!(
        sample(text, series),
        Some(value),
        "{series} should be {value}; /metrics said:\n{text}"
    );
}

fn expect_positive(text: &str, series: &str) {
    let v = sample(text, series).unwrap_or_else(|| panic!("no {series} in:\n{text}"));
    assert!(v > 0.0, "{series} = {v}");
}

/// Runs `promtool check metrics` on `text`; fails (never skips) when promtool is missing.
fn promtool_check(text: &str) {
    let mut child = match Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) => panic!(
            "promtool is needed to check the /metrics output but could not be run ({e}); \
             install Debian's `prometheus` package: apt-get install -y prometheus"
        ),
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics refused the output ({}):\n{}{}\n---\n{text}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
}

async fn scrape_after_real_work(app: TestApp, backend: &str) {
    let engine = app.engine.clone();
    let api = Api { app };

    // One execution that survives a failing node, one that a failing node fails.
    let mixed = api
        .create(json!({"name": "mixed", "nodes": [
            {"id": "start", "type": "trigger.manual"},
            {"id": "bad", "type": "flow.fail", "on_error": "continue", "config": {"message": "expected"}},
            {"id": "done", "type": "data.set", "config": {"fields": {"ok": true}}}],
            "edges": [{"from": "start", "to": "bad"}, {"from": "bad", "to": "done"}]}))
        .await;
    let failing = api.create(support::failing_workflow("failing")).await;
    let ok = api.run(&mixed).await;
    let failed = api.run(&failing).await;
    let status = |id| {
        let engine = engine.clone();
        async move { engine.store().get_execution(id).await.unwrap().status }
    };
    assert_eq!(status(ok).await, ExecutionStatus::Succeeded);
    assert_eq!(status(failed).await, ExecutionStatus::Failed);

    for id in [ok, failed] {
        let (s, _, body) = api
            .call("GET", &format!("/api/v1/executions/{id}"), None)
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
    }
    let (s, _, _) = api.call("GET", "/api/v1/executions/not-an-id", None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _, _) = api.call("GET", "/no/such/page", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, _) = api.call("PURGE", "/health/live", None).await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);

    let (s, ctype, text) = api.call("GET", "/metrics", None).await;
    assert_eq!(s, StatusCode::OK, "{text}");
    assert_eq!(ctype, "text/plain; version=0.0.4; charset=utf-8");

    // HTTP: route templates, never raw paths; unmatched requests share one label.
    let route = |r: &str, m: &str, code: u16| {
        format!(r#"weft_http_requests_total{{route="{r}",method="{m}",status="{code}"}}"#)
    };
    expect(&text, &route("/api/v1/workflows", "POST", 201), 2.0);
    expect(
        &text,
        &route("/api/v1/workflows/{id}/executions", "POST", 202),
        2.0,
    );
    expect(&text, &route("/api/v1/executions/{id}", "GET", 200), 2.0);
    expect(&text, &route("/api/v1/executions/{id}", "GET", 400), 1.0);
    expect(&text, &route("unmatched", "GET", 404), 1.0);
    expect(&text, &route("/health/live", "other", 405), 1.0);
    expect(
        &text,
        r#"weft_http_request_duration_seconds_count{route="/api/v1/executions/{id}",method="GET",status="200"}"#,
        2.0,
    );
    assert!(
        !text.contains(&ok.to_string()),
        "an execution id leaked into a label"
    );
    assert!(
        !text.contains("/no/such/page"),
        "a raw path leaked into a label"
    );

    // Executions, by workflow id.
    expect(
        &text,
        &format!(r#"weft_executions_started_total{{workflow_id="{mixed}"}}"#),
        1.0,
    );
    expect(
        &text,
        &format!(r#"weft_executions_started_total{{workflow_id="{failing}"}}"#),
        1.0,
    );
    expect(
        &text,
        &format!(r#"weft_executions_finished_total{{workflow_id="{mixed}",status="succeeded"}}"#),
        1.0,
    );
    expect(
        &text,
        &format!(r#"weft_executions_finished_total{{workflow_id="{failing}",status="failed"}}"#),
        1.0,
    );
    expect(
        &text,
        &format!(r#"weft_execution_duration_seconds_count{{workflow_id="{mixed}"}}"#),
        1.0,
    );
    expect(&text, "weft_executions_queued", 0.0);
    assert!(
        sample(&text, "weft_executions_in_flight").is_some(),
        "{text}"
    );
    assert!(
        sample(&text, "weft_node_actors_in_flight").is_some(),
        "{text}"
    );

    // Nodes: every attempt a node actor ran, failures by kind.
    expect(
        &text,
        r#"weft_node_executions_total{node_type="trigger.manual"}"#,
        2.0,
    );
    expect(
        &text,
        r#"weft_node_executions_total{node_type="flow.fail"}"#,
        2.0,
    );
    expect(
        &text,
        r#"weft_node_executions_total{node_type="data.set"}"#,
        1.0,
    );
    expect(
        &text,
        r#"weft_node_failures_total{node_type="flow.fail",error_kind="permanent"}"#,
        2.0,
    );
    assert!(
        !text.contains(r#"node_type="data.set",error_kind"#),
        "{text}"
    );
    expect(
        &text,
        r#"weft_node_duration_seconds_count{node_type="data.set"}"#,
        1.0,
    );

    // Store: group-commit transactions of both queues, and the pool.
    expect(
        &text,
        r#"weft_store_write_batch_size_sum{op="create"}"#,
        2.0,
    );
    expect_positive(&text, r#"weft_store_write_batch_size_count{op="create"}"#);
    expect_positive(&text, r#"weft_store_write_batch_size_sum{op="append"}"#);
    expect_positive(
        &text,
        r#"weft_store_write_duration_seconds_count{op="append"}"#,
    );
    expect(
        &text,
        r#"weft_store_write_failures_total{op="append"}"#,
        0.0,
    );
    expect_positive(&text, "weft_store_pool_connections");
    assert!(
        sample(&text, "weft_store_pool_idle_connections").is_some(),
        "{text}"
    );

    // Process, from /proc/self.
    for name in [
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_virtual_memory_bytes",
        "process_open_fds",
        "process_max_fds",
        "process_start_time_seconds",
    ] {
        expect_positive(&text, name);
    }

    promtool_check(&text);
    engine.shutdown().await;
    eprintln!("{backend}: /metrics checked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_after_real_work_on_sqlite() {
    scrape_after_real_work(TestApp::new().await, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_after_real_work_on_postgres() {
    scrape_after_real_work(TestApp::postgres().await, "postgres").await;
}

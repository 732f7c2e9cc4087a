//! The circuit breaker end to end, on a real `weft serve` with its default settings except a
//! small window: a host that is down opens the breaker, after which nodes without retries fail
//! fast without calling it, while nodes with retries wait for it instead of using up their
//! attempts on refusals, and all succeed once a half-open probe finds the host back.

mod support;

use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use support::{Server, eventually};

/// An HTTP service that answers 503 while `down`, and counts the calls that reach it.
struct Service {
    base: String,
    down: Arc<AtomicBool>,
    calls: Arc<AtomicUsize>,
}

impl Service {
    async fn start() -> Service {
        use axum::http::StatusCode;
        let down = Arc::new(AtomicBool::new(true));
        let calls = Arc::new(AtomicUsize::new(0));
        let (d, c) = (down.clone(), calls.clone());
        let app = axum::Router::new().route(
            "/work",
            axum::routing::post(move || {
                let (d, c) = (d.clone(), c.clone());
                async move {
                    c.fetch_add(1, Ordering::SeqCst);
                    if d.load(Ordering::SeqCst) {
                        (
                            StatusCode::SERVICE_UNAVAILABLE,
                            axum::Json(json!({"down": true})),
                        )
                    } else {
                        (StatusCode::OK, axum::Json(json!({"ok": true})))
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Service { base, down, calls }
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

fn workflow(name: &str, url: &str, max_attempts: u32) -> Value {
    json!({
        "name": name,
        "nodes": [
            {"id": "start", "type": "trigger.manual"},
            {"id": "call", "type": "http.request",
             "config": {"method": "POST", "url": url, "body": "{{ .input }}"},
             "retry": {"max_attempts": max_attempts, "initial_interval_ms": 50, "max_interval_ms": 200}}
        ],
        "edges": [{"from": "start", "to": "call"}]
    })
}

async fn finished(server: &Server, id: &str) -> Value {
    eventually(
        Duration::from_secs(60),
        "the execution to finish",
        || async move {
            let rec = server.execution(id).await?;
            matches!(
                rec["status"].as_str(),
                Some("succeeded" | "failed" | "cancelled" | "timed_out")
            )
            .then_some(rec)
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_breaker_fails_fast_and_paces_retries_until_a_probe_recovers() {
    let service = Service::start().await;
    let url = format!("{}/work", service.base);
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("weft.db").display());
    // The breaker is on by default; a small window keeps the test short.
    let server = Server::start_with(
        &db,
        dir.path(),
        &[
            ("WEFT_BREAKER_MIN_CALLS", "5"),
            ("WEFT_BREAKER_OPEN_MS", "1000"),
        ],
    )
    .await;

    // 1. No retries, host down: five real failures open the breaker, and the executions
    //    after them fail at once without reaching the host.
    let once = server.create_workflow(&workflow("no-retry", &url, 1)).await;
    let mut errors = Vec::new();
    for n in 0..10 {
        let id = server.start_execution(&once, json!({ "n": n })).await;
        let rec = finished(&server, &id).await;
        assert_eq!(rec["status"], "failed", "{rec}");
        errors.push(rec["error"].to_string());
    }
    assert_eq!(service.calls(), 5, "calls that reached the host");
    assert!(errors[..5].iter().all(|e| e.contains("503")), "{errors:?}");
    assert!(
        errors[5..].iter().all(|e| e.contains("circuit open")),
        "{errors:?}"
    );

    // 2. With retries (4 attempts), host still down: refusals do not use up attempts, so
    //    the executions wait through more refusals than they have attempts and succeed
    //    once a probe finds the host back. Meanwhile only the probes reach the host.
    const ATTEMPTS: usize = 4;
    let retried = server
        .create_workflow(&workflow("with-retry", &url, ATTEMPTS as u32))
        .await;
    let calls_before = service.calls();
    let mut ids = Vec::new();
    for n in 0..20 {
        ids.push(server.start_execution(&retried, json!({ "n": n })).await);
    }
    // The breaker opens for 1 s at a time and refuses every execution about twice a
    // second; a probe goes through about once a second.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let probes_while_down = service.calls() - calls_before;
    service.down.store(false, Ordering::SeqCst);
    assert!(
        probes_while_down < ATTEMPTS,
        "{probes_while_down} calls reached the host while the breaker was open"
    );

    let mut most_failures = 0;
    for id in &ids {
        let rec = finished(&server, id).await;
        assert_eq!(rec["status"], "succeeded", "{rec}");
        let failures = server.events(id).await["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["type"] == "node_attempt_failed")
            .count();
        most_failures = most_failures.max(failures);
    }
    assert!(
        most_failures >= ATTEMPTS,
        "no execution failed more attempts ({most_failures}) than it has ({ATTEMPTS}): \
         it never waited on the breaker"
    );
}

//! Every workflow in examples/ runs with the real `weft run`, and its output is asserted.

mod support;

use serde_json::{Value, json};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use support::{WEFT, examples_dir};

fn run(example: &str, input: Value, env: &[(&str, &str)]) -> (i32, Value, String) {
    let out = Command::new(WEFT)
        .arg("run")
        .arg(examples_dir().join(example))
        .arg("--input")
        .arg(input.to_string())
        .envs(env.iter().copied())
        .output()
        .expect("run weft");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let value = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), value, stderr)
}

fn assert_output(example: &str, input: Value, expected: Value) {
    let (code, out, err) = run(example, input, &[]);
    assert_eq!(code, 0, "{example}: exit {code}, stderr: {err}");
    assert_eq!(out, expected, "{example}");
}

#[test]
fn order_routing_takes_one_branch_and_joins() {
    let lines =
        |qty: i64| json!({"id": 7, "lines": [{"qty": qty, "price": 30}, {"qty": 1, "price": 5}]});
    assert_output(
        "order-routing.json",
        lines(4),
        json!({"order": 7, "total": 125, "route": "manual-review"}),
    );
    assert_output(
        "order-routing.json",
        lines(1),
        json!({"order": 7, "total": 35, "route": "auto-approve"}),
    );
}

#[test]
fn fan_out_join_merges_every_branch() {
    assert_output(
        "fan-out-join.json",
        json!({"name": "ada", "answers": [3, 4, 1]}),
        json!({"name": "ADA", "score": 8, "tags": ["engaged"]}),
    );
}

#[test]
fn for_each_invoice_keeps_item_order() {
    assert_output(
        "for-each-invoice.yaml",
        json!({"lines": [{"sku": "a", "qty": 10, "unit": 6}, {"sku": "b", "qty": 1, "unit": 3}, {"sku": "c", "qty": 5, "unit": 10}, {"sku": "d", "qty": 2, "unit": 2}]}),
        json!({"lines": [{"sku": "a", "amount": 54}, {"sku": "b", "amount": 3}, {"sku": "c", "amount": 45}, {"sku": "d", "amount": 4}], "total": 106}),
    );
}

#[test]
fn while_countdown_halves_until_below_one() {
    assert_output(
        "while-countdown.json",
        json!({"n": 10}),
        json!({"steps": 4, "last": 0.625}),
    );
}

#[test]
fn wait_then_remind_waits_and_resumes() {
    let started = std::time::Instant::now();
    assert_output(
        "wait-then-remind.json",
        json!({"delay_ms": 300, "user": "ada"}),
        json!({"delay_ms": 300, "user": "ada", "reminded": true, "message": "Hi ada, your cart is waiting"}),
    );
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
}

#[test]
fn error_routing_switches_and_routes_errors() {
    assert_output(
        "error-routing.json",
        json!({"type": "order", "id": 3}),
        json!({"accepted": 3}),
    );
    assert_output(
        "error-routing.json",
        json!({"type": "refund", "id": 4}),
        json!({"escalated": 4, "reason": "refund 4 needs a receipt"}),
    );
    assert_output(
        "error-routing.json",
        json!({"type": "other", "id": 5}),
        json!({"ignored": true}),
    );
}

#[test]
fn approval_times_out_into_a_decision() {
    assert_output(
        "approval-with-timeout.json",
        json!({"timeout_ms": 200}),
        json!({"approved": false, "why": "timeout"}),
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn http_retry_retries_with_one_idempotency_key() {
    use axum::http::{HeaderMap, StatusCode};
    let hits = Arc::new(AtomicUsize::new(0));
    let keys: Arc<Mutex<Vec<String>>> = Arc::default();
    let (h, k) = (hits.clone(), keys.clone());
    let app = axum::Router::new().route(
        "/orders/{id}",
        axum::routing::get(
            move |axum::extract::Path(id): axum::extract::Path<u64>, headers: HeaderMap| {
                let (h, k) = (h.clone(), k.clone());
                async move {
                    k.lock()
                        .unwrap()
                        .push(headers["idempotency-key"].to_str().unwrap().to_string());
                    if h.fetch_add(1, Ordering::SeqCst) < 2 {
                        (
                            StatusCode::SERVICE_UNAVAILABLE,
                            axum::Json(json!({"busy": true})),
                        )
                    } else {
                        (StatusCode::OK, axum::Json(json!({"id": id, "total": 99.5})))
                    }
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let input = json!({"base_url": base, "id": 42});
    let (code, out, err) = tokio::task::spawn_blocking(move || {
        run(
            "http-retry.json",
            input,
            &[("WEFT_HTTP_ALLOW", "127.0.0.1")],
        )
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "stderr: {err}");
    assert_eq!(out, json!({"status": 200, "order": 42, "total": 99.5}));
    let keys = keys.lock().unwrap().clone();
    assert_eq!(keys.len(), 3);
    assert!(
        keys.iter()
            .all(|k| k == &keys[0] && k.ends_with("/get_order")),
        "{keys:?}"
    );

    // Without the allow-list, the SSRF guard refuses the loopback address.
    let input = json!({"base_url": base, "id": 42});
    let (code, _, err) = tokio::task::spawn_blocking(move || run("http-retry.json", input, &[]))
        .await
        .unwrap();
    assert_eq!(code, 1);
    assert!(err.contains("WEFT_HTTP_ALLOW"), "{err}");
}

#[test]
fn every_example_is_valid() {
    let files: Vec<_> = std::fs::read_dir(examples_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    assert!(files.len() >= 6);
    let out = Command::new(WEFT)
        .arg("validate")
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

//! The endpoints the web app's designer, lists and dashboard stand on: workflow search, tags
//! and last run; executions by time range; dashboard statistics; trying an expression.

mod support;

use axum::http::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use support::TestApp;

fn tagged(name: &str, tags: &[&str]) -> Value {
    json!({"name": name, "description": format!("about {name}"), "tags": tags,
           "nodes": [{"id": "start", "type": "trigger.manual"},
                     {"id": "set", "type": "data.set", "config": {"fields": {"ok": true}}}],
           "edges": [{"from": "start", "to": "set"}]})
}

fn names(page: &Value) -> Vec<String> {
    let mut n: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap().to_string())
        .collect();
    n.sort();
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workflows_are_searched_by_name_and_tag_and_show_their_last_run() {
    let app = TestApp::new().await;
    let orders = app
        .workflow(tagged("Order intake", &["ops", "billing"]))
        .await;
    app.workflow(tagged("Nightly cleanup", &["ops"])).await;
    app.workflow(tagged("Reports", &[])).await;

    let app = &app;
    let list = |q: String| async move { app.get_as_admin(&format!("/api/v1/workflows{q}")).await };
    assert_eq!(names(&list("?q=ORDER".into()).await.json), ["Order intake"]);
    assert_eq!(
        names(&list("?tag=ops".into()).await.json),
        ["Nightly cleanup", "Order intake"]
    );
    assert_eq!(
        names(&list("?tag=ops&q=night".into()).await.json),
        ["Nightly cleanup"]
    );
    assert_eq!(
        names(&list("?q=%20".into()).await.json).len(),
        3,
        "blank search is no filter"
    );

    let e = app.start(&orders, json!({})).await;
    app.finished(&e, Duration::from_secs(10)).await;
    let all = list("".into()).await.json;
    let row = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["id"] == orders.as_str())
        .unwrap()
        .clone();
    assert_eq!(row["tags"], json!(["ops", "billing"]));
    assert_eq!(row["description"], "about Order intake");
    assert_eq!(row["last_execution"]["id"], e.as_str());
    assert_eq!(row["last_execution"]["status"], "succeeded");

    let long = "x".repeat(201);
    let r = list(format!("?q={long}")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json["field"], "q");

    // Tags are validated with the definition.
    let r = app
        .call(
            "POST",
            "/api/v1/workflows",
            Some(tagged("bad tags", &["ops", "ops"])),
            Some(&app.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.json["field"], "/tags/1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_stats_count_what_ran_in_the_range() {
    let app = TestApp::new().await;
    let ok = app.workflow(tagged("ok", &[])).await;
    let failing = app.workflow(support::failing_workflow("fails")).await;
    let before = weft_actors::now_ms();
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(app.start(&ok, json!({})).await);
    }
    ids.push(app.start(&failing, json!({})).await);
    for id in &ids {
        app.finished(id, Duration::from_secs(10)).await;
    }
    let after = weft_actors::now_ms() + 1;

    let r = app
        .get_as_admin(&format!("/api/v1/stats?from={before}&to={after}&buckets=5"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let s = &r.json;
    assert_eq!(
        (
            s["started"].as_u64(),
            s["succeeded"].as_u64(),
            s["failed"].as_u64()
        ),
        (Some(4), Some(3), Some(1))
    );
    assert_eq!(
        (s["running"].as_u64(), s["queued"].as_u64()),
        (Some(0), Some(0))
    );
    assert!(s["p95_duration_ms"].as_i64().unwrap() >= s["p50_duration_ms"].as_i64().unwrap());
    let series = s["series"].as_array().unwrap();
    assert_eq!(series.len(), 5);
    let sum: u64 = series.iter().map(|b| b["started"].as_u64().unwrap()).sum();
    assert_eq!(sum, 4);
    assert_eq!(series[0]["at"].as_i64(), Some(before));

    // A range before any of them is empty; bad ranges name the parameter.
    let r = app.get_as_admin("/api/v1/stats?from=1000&to=2000").await;
    assert_eq!(r.json["started"], 0);
    assert!(r.json["p95_duration_ms"].is_null());
    for (q, field) in [
        ("from=10&to=5", "to"),
        ("buckets=0", "buckets"),
        ("from=abc", "from"),
    ] {
        let r = app.get_as_admin(&format!("/api/v1/stats?{q}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}: {}", r.text);
        assert_eq!(r.json["field"], field, "{q}");
    }

    // The executions list takes the same range.
    let r = app
        .get_as_admin(&format!("/api/v1/executions?from={before}&to={after}"))
        .await;
    assert_eq!(r.json["items"].as_array().unwrap().len(), 4);
    let r = app.get_as_admin("/api/v1/executions?from=0&to=1000").await;
    assert!(r.json["items"].as_array().unwrap().is_empty());
    let r = app.get_as_admin("/api/v1/executions?from=5&to=5").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json["field"], "to");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expressions_are_tried_against_given_data() {
    let app = TestApp::new().await;
    let eval = |body: Value| {
        app.call(
            "POST",
            "/api/v1/expressions/evaluate",
            Some(body),
            Some(&app.admin),
        )
    };
    let ctx = json!({"prev": {"total": 21, "lines": [1, 2, 3]}, "input": {"id": 7}});

    let r = eval(json!({"expression": "{{ .prev.total * 2 }}", "context": ctx})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["result"], 42);
    let r = eval(json!({"expression": "order {{ .input.id }}", "context": ctx})).await;
    assert_eq!(r.json["result"], "order 7");
    // A bare filter (data.transform) yields every result.
    let r = eval(json!({"expression": ".prev.lines[]", "context": ctx})).await;
    assert_eq!(r.json["results"], json!([1, 2, 3]));
    assert_eq!(r.json["result"], 1);

    for bad in [
        "{{ .prev.total + }}",
        ".prev | nosuchfn",
        "{{ .prev.lines.x }}",
    ] {
        let r = eval(json!({"expression": bad, "context": ctx})).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.text
        );
        assert_eq!(r.json["code"], "invalid_expression");
        assert_eq!(r.json["field"], "expression");
        assert!(!r.json["detail"].as_str().unwrap().is_empty());
    }
    let r = eval(json!({"expression": "x".repeat(20_000)})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json["field"], "expression");

    let viewer = app.user("viewer").await;
    let r = app
        .call(
            "POST",
            "/api/v1/expressions/evaluate",
            Some(json!({"expression": ".a"})),
            Some(&viewer),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

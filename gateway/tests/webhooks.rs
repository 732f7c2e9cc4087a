//! Webhooks: the peers' workflow (webhook → set → if → respond) answers synchronously; an
//! immediate trigger answers 202; unknown paths, wrong methods, taken paths, slow and failing
//! workflows get clear answers.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use support::TestApp;

fn bench_workflow() -> Value {
    serde_json::from_str(include_str!("../../examples/webhook-respond.json")).unwrap()
}

async fn hook(app: &TestApp, method: &str, path: &str, body: Value) -> support::Resp {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .header("authorization", "Bearer caller-secret")
        .body(Body::from(body.to_string()))
        .unwrap();
    app.request(req).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn respond_node_answers_the_request() {
    let app = TestApp::new().await;
    app.workflow(bench_workflow()).await;
    let r = hook(&app, "POST", "/hooks/bench", json!({"value": 42})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.json,
        json!({"value": 42, "doubled": 84, "branch": "high"})
    );
    let r = hook(&app, "POST", "/hooks/bench", json!({"value": 3})).await;
    assert_eq!(r.json, json!({"value": 3, "doubled": 6, "branch": "low"}));
    // Every call is a durable execution, started by the webhook trigger only.
    let list = app
        .call("GET", "/api/v1/executions", None, Some(&app.admin))
        .await;
    let items = list.json["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(
        items
            .iter()
            .all(|e| e["status"] == "succeeded" || e["status"] == "running")
    );
    // The caller's credentials are not handed to the workflow.
    assert!(
        items
            .iter()
            .all(|e| e["input"]["headers"].get("authorization").is_none())
    );
    assert_eq!(items[0]["input"]["body"]["value"], 3);
    // Unknown path, wrong method.
    assert_eq!(
        hook(&app, "POST", "/hooks/nope", json!({})).await.status,
        StatusCode::NOT_FOUND
    );
    let r = hook(&app, "GET", "/hooks/bench", json!({})).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.content_type(), "application/problem+json");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn immediate_triggers_answer_202_and_paths_are_exclusive() {
    let app = TestApp::new().await;
    let def = json!({"name": "intake", "nodes": [
        {"id": "hook", "type": "trigger.webhook", "config": {"path": "orders/new"}},
        {"id": "manual", "type": "trigger.manual"},
        {"id": "keep", "type": "data.set", "config": {"fields": {"seen": true}}}],
        "edges": [{"from": "hook", "to": "keep"}, {"from": "manual", "to": "keep"}]});
    let w = app.workflow(def.clone()).await;
    let r = hook(
        &app,
        "POST",
        "/hooks/orders/new?source=test",
        json!({"order": 7}),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let id = r.json["id"].as_str().unwrap().to_string();
    let exec = app.finished(&id, std::time::Duration::from_secs(10)).await;
    assert_eq!(exec["status"], "succeeded");
    assert_eq!(exec["input"]["body"]["order"], 7);
    assert_eq!(exec["input"]["query"]["source"], "test");
    assert_eq!(exec["input"]["method"], "POST");
    // Another workflow cannot take the same path; the pointer names the node's path.
    let r = app
        .call(
            "POST",
            "/api/v1/workflows",
            Some(def.clone()),
            Some(&app.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.json["field"], "/nodes/0/config/path");
    // Saving the same workflow again keeps its path; deleting it frees the path.
    let r = app
        .call(
            "PUT",
            &format!("/api/v1/workflows/{w}"),
            Some(def.clone()),
            Some(&app.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .call(
            "DELETE",
            &format!("/api/v1/workflows/{w}"),
            None,
            Some(&app.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        hook(&app, "POST", "/hooks/orders/new", json!({}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    app.workflow(def).await;
    assert_eq!(
        hook(&app, "POST", "/hooks/orders/new", json!({}))
            .await
            .status,
        StatusCode::ACCEPTED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_failing_workflows_get_clear_answers() {
    let app = TestApp::new().await;
    app.workflow(json!({"name": "slow", "nodes": [
        {"id": "hook", "type": "trigger.webhook", "config": {"path": "slow", "response": "respond_node", "timeout_ms": 300}},
        {"id": "pause", "type": "flow.wait", "config": {"duration_ms": 5000}},
        {"id": "answer", "type": "http.respond", "config": {"status": 201, "body": "late"}}],
        "edges": [{"from": "hook", "to": "pause"}, {"from": "pause", "to": "answer"}]}))
        .await;
    let r = hook(&app, "POST", "/hooks/slow", json!({})).await;
    assert_eq!(r.status, StatusCode::GATEWAY_TIMEOUT, "{}", r.text);
    assert_eq!(r.json["code"], "timeout");
    app.workflow(json!({"name": "failing", "nodes": [
        {"id": "hook", "type": "trigger.webhook", "config": {"path": "failing", "response": "respond_node"}},
        {"id": "boom", "type": "flow.fail", "config": {"message": "internal detail"}},
        {"id": "answer", "type": "http.respond", "config": {}}],
        "edges": [{"from": "hook", "to": "boom"}, {"from": "boom", "to": "answer"}]}))
        .await;
    let r = hook(&app, "POST", "/hooks/failing", json!({})).await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY, "{}", r.text);
    assert_eq!(r.json["code"], "workflow_failed");
    // Custom status and headers from the respond node.
    app.workflow(json!({"name": "custom", "nodes": [
        {"id": "hook", "type": "trigger.webhook", "config": {"path": "custom", "response": "respond_node"}},
        {"id": "answer", "type": "http.respond", "config": {"status": 201, "headers": {"x-weft": "yes"}, "body": {"ok": true}}}],
        "edges": [{"from": "hook", "to": "answer"}]}))
        .await;
    let r = hook(&app, "POST", "/hooks/custom", json!({})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.headers["x-weft"], "yes");
    assert_eq!(r.json, json!({"ok": true}));
}

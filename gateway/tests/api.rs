//! The REST API through the router (no socket), as an admin: a workflow's life, idempotent
//! starts, and every bad-input path gives a problem+json naming what is wrong, with nothing
//! stored half-way.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;
use support::TestApp;
use weft_test_support::eventually;

struct Api {
    t: TestApp,
}

impl Api {
    async fn new() -> Api {
        let mut options = support::test_options();
        options.max_body_bytes = 64 * 1024;
        Api {
            t: TestApp::with_options(options).await,
        }
    }

    async fn call(
        &self,
        method: &str,
        uri: &str,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, String, Value) {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {}", self.t.admin));
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req
            .body(
                body.map(|b| Body::from(b.to_string()))
                    .unwrap_or_else(Body::empty),
            )
            .unwrap();
        let r = self.t.request(req).await;
        (r.status, r.content_type().to_string(), r.json)
    }

    async fn create(&self, def: &Value) -> String {
        self.t.workflow(def.clone()).await
    }

    async fn workflow_count(&self) -> usize {
        self.t
            .state
            .db
            .list_workflows(&weft_persistence::WorkflowFilter::default())
            .await
            .unwrap()
            .len()
    }
}

fn simple() -> Value {
    json!({"name": "api", "nodes": [{"id": "start", "type": "trigger.manual"},
        {"id": "ok", "type": "flow.signal", "config": {"name": "go"}},
        {"id": "out", "type": "data.transform", "config": {"filter": "{got: .prev, n: .input.n}"}}],
        "edges": [{"from": "start", "to": "ok"}, {"from": "ok", "to": "out"}]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workflow_runs_through_the_api() {
    let api = Api::new().await;
    let (s, _, live) = api.call("GET", "/health/live", None, &[]).await;
    assert_eq!((s, live["status"].as_str()), (StatusCode::OK, Some("ok")));
    let (s, _, ready) = api.call("GET", "/health/ready", None, &[]).await;
    assert_eq!(s, StatusCode::OK, "{ready}");

    let wf = api.create(&simple()).await;
    let (s, _, got) = api
        .call("GET", &format!("/api/v1/workflows/{wf}"), None, &[])
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(got["version"], 1);
    assert_eq!(got["definition"]["name"], "api");

    let (s, _, started) = api
        .call(
            "POST",
            &format!("/api/v1/workflows/{wf}/executions"),
            Some(r#"{"input": {"n": 5}}"#),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{started}");
    let id = started["id"].as_str().unwrap().to_string();
    eventually(
        Duration::from_secs(10),
        "the execution to wait for its signal",
        || async {
            let (_, _, e) = api
                .call("GET", &format!("/api/v1/executions/{id}"), None, &[])
                .await;
            (e["status"] == "waiting").then_some(())
        },
    )
    .await;
    let (s, _, _) = api
        .call(
            "POST",
            &format!("/api/v1/executions/{id}/signals/go"),
            Some(r#"{"ok": true}"#),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let done = eventually(
        Duration::from_secs(10),
        "the execution to succeed",
        || async {
            let (_, _, e) = api
                .call("GET", &format!("/api/v1/executions/{id}"), None, &[])
                .await;
            (e["status"] == "succeeded").then_some(e)
        },
    )
    .await;
    assert_eq!(done["output"], json!({"got": {"ok": true}, "n": 5}));

    let (s, _, events) = api
        .call(
            "GET",
            &format!("/api/v1/executions/{id}/events?after_seq=2&limit=3"),
            None,
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let items = events["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["seq"], 3);
    assert!(
        items
            .iter()
            .all(|e| e["type"].is_string() && e["at"].is_i64() && e.get("data").is_some())
    );
    assert_eq!(events["next_after_seq"], 5);

    // A finished execution refuses signals and cancellation with 409.
    let (s, ctype, p) = api
        .call(
            "POST",
            &format!("/api/v1/executions/{id}/cancel"),
            None,
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{p}");
    assert_eq!(ctype, "application/problem+json");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_key_starts_one_execution() {
    let api = Api::new().await;
    let wf = api.create(&simple()).await;
    let uri = format!("/api/v1/workflows/{wf}/executions");
    let (s1, _, a) = api
        .call("POST", &uri, Some("{}"), &[("idempotency-key", "order-77")])
        .await;
    let (s2, _, b) = api
        .call("POST", &uri, Some("{}"), &[("idempotency-key", "order-77")])
        .await;
    assert_eq!((s1, s2), (StatusCode::ACCEPTED, StatusCode::OK));
    assert_eq!(a["id"], b["id"]);
    let (_, _, c) = api
        .call("POST", &uri, Some("{}"), &[("idempotency-key", "order-78")])
        .await;
    assert_ne!(a["id"], c["id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_definitions_are_problems_and_store_nothing() {
    let api = Api::new().await;
    // Malformed JSON.
    let (s, ctype, p) = api
        .call(
            "POST",
            "/api/v1/workflows",
            Some(r#"{"name": "x", "nodes": [}"#),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{p}");
    assert_eq!(ctype, "application/problem+json");
    assert!(p["detail"].as_str().unwrap().contains("line 1"), "{p}");
    // Unknown field, with its pointer.
    let (s, _, p) = api
        .call(
            "POST",
            "/api/v1/workflows",
            Some(r#"{"name": "x", "nodes": [{"id": "s", "type": "trigger.manual", "cfg": {}}]}"#),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["problems"][0]["pointer"], "/nodes/0/cfg", "{p}");
    // Every validation problem at once.
    let bad = json!({"name": "x", "nodes": [{"id": "s", "type": "trigger.manual"}, {"id": "a", "type": "htp.request"}],
                     "edges": [{"from": "s", "to": "a"}, {"from": "s", "to": "ghost"}]});
    let (s, _, p) = api
        .call("POST", "/api/v1/workflows", Some(&bad.to_string()), &[])
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let pointers: Vec<&str> = p["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["pointer"].as_str().unwrap())
        .collect();
    assert!(
        pointers.contains(&"/nodes/1/type") && pointers.contains(&"/edges/1/to"),
        "{p}"
    );
    assert_eq!(p["problems"][0]["hint"], "did you mean http.request?");
    // Oversized body.
    let huge = format!(r#"{{"name": "{}", "nodes": []}}"#, "x".repeat(100 * 1024));
    let (s, _, p) = api
        .call("POST", "/api/v1/workflows", Some(&huge), &[])
        .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{p}");
    assert_eq!(api.workflow_count().await, 0, "nothing stored");

    // The validate endpoint reports without storing.
    let (s, _, v) = api
        .call(
            "POST",
            "/api/v1/workflows/validate",
            Some(&bad.to_string()),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["valid"], false);
    assert_eq!(api.workflow_count().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_malformed_ids_are_clear_errors() {
    let api = Api::new().await;
    let ghost = weft_core::ExecutionId::new();
    for uri in [
        format!("/api/v1/executions/{ghost}"),
        format!("/api/v1/executions/{ghost}/events"),
    ] {
        let (s, ctype, p) = api.call("GET", &uri, None, &[]).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{uri}: {p}");
        assert_eq!(ctype, "application/problem+json");
        assert_eq!(p["status"], 404);
    }
    let (s, _, p) = api
        .call(
            "POST",
            &format!("/api/v1/executions/{ghost}/signals/go"),
            Some("{}"),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{p}");
    let (s, _, p) = api
        .call("GET", "/api/v1/executions/not-a-uuid", None, &[])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(p["field"], "id");
    let wf = weft_core::WorkflowId::new();
    let (s, _, _) = api
        .call(
            "POST",
            &format!("/api/v1/workflows/{wf}/executions"),
            Some("{}"),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Unknown fields in a start request, and a priority out of range.
    let real = api.create(&simple()).await;
    let uri = format!("/api/v1/workflows/{real}/executions");
    let (s, _, p) = api.call("POST", &uri, Some(r#"{"inputs": {}}"#), &[]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{p}");
    assert!(p["detail"].as_str().unwrap().contains("inputs"), "{p}");
    let (s, _, p) = api
        .call("POST", &uri, Some(r#"{"priority": 12}"#), &[])
        .await;
    assert_eq!(
        (s, p["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("priority"))
    );
    let (s, _, _) = api.call("GET", "/api/v1/nodes", None, &[]).await;
    assert_eq!(s, StatusCode::OK);
}

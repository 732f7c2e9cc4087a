//! Webhooks at `/hooks/{path}`: a request to a path a `trigger.webhook` node claimed starts
//! its workflow (only that trigger) with the request as input: `{method, path, headers,
//! query, body}`. With `response: immediate` the answer is 202 and the execution id; with
//! `response: respond_node` the request waits (up to the trigger's `timeout_ms`) for an
//! `http.respond` node and answers with its `{status, headers, body}` — or, if the
//! execution ends without one, with its output (200) or a problem (failed).
//!
//! Webhooks are public (the path is the secret, as in the peers); they are rate-limited per
//! client IP with everything else, and recorded as executions rather than in the audit log.
//! `authorization` and `cookie` headers are not passed to the workflow.

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::Duration;
use weft_actors::StartRequest;
use weft_core::{Definition, Event, ExecutionId, ExecutionStatus, WorkflowId};
use weft_persistence::WebhookRoute;

/// What the gateway keeps per claimed path: the route and the trigger's settings.
#[derive(Debug, Clone)]
pub struct HookEntry {
    pub route: WebhookRoute,
    pub method: Method,
    pub respond: bool,
    pub timeout: Duration,
    /// Ids of the workflow's `http.respond` nodes.
    pub respond_nodes: Vec<String>,
}

/// The hook entries a definition's `trigger.webhook` nodes declare.
pub fn entries_of(
    id: WorkflowId,
    def: &Definition,
    max_wait: Duration,
) -> Vec<(HookEntry, String)> {
    let respond_nodes: Vec<String> = def
        .nodes
        .iter()
        .filter(|n| n.node_type == "http.respond")
        .map(|n| n.id.clone())
        .collect();
    def.nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.node_type == "trigger.webhook")
        .filter_map(|(i, n)| {
            let c = &n.config;
            let path = c.get("path")?.as_str()?.trim_matches('/').to_string();
            let method = c
                .get("method")
                .and_then(Value::as_str)
                .and_then(|m| Method::from_bytes(m.as_bytes()).ok())
                .unwrap_or(Method::POST);
            let respond = c.get("response").and_then(Value::as_str) == Some("respond_node");
            let timeout = c
                .get("timeout_ms")
                .and_then(Value::as_u64)
                .map(Duration::from_millis)
                .unwrap_or(Duration::from_secs(30))
                .min(max_wait);
            Some((
                HookEntry {
                    route: WebhookRoute {
                        path,
                        workflow_id: id,
                        node_id: n.id.clone(),
                    },
                    method,
                    respond,
                    timeout,
                    respond_nodes: respond_nodes.clone(),
                },
                format!("/nodes/{i}/config/path"),
            ))
        })
        .collect()
}

/// Calls a webhook.
#[utoipa::path(post, path = "/hooks/{path}", tag = "webhooks",
    params(("path" = String, Path, description = "The path a trigger.webhook node claimed")),
    request_body(content = Option<Object>, content_type = "application/json"),
    responses(
        (status = 202, description = "Started (response: immediate)", body = crate::api::workflows::Started),
        (status = 200, description = "The http.respond node's answer (any status it sets)"),
        (status = 404, body = crate::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 405, body = crate::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 413, body = crate::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 502, description = "The workflow failed before responding", body = crate::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 504, description = "No response within the trigger's timeout", body = crate::error::ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn webhook(
    State(state): State<AppState>,
    Path(path): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let path = path.trim_matches('/').to_string();
    let entry: Arc<HookEntry> = {
        let table = state.hooks.read().unwrap_or_else(|p| p.into_inner());
        table.get(&path).cloned()
    }
    .ok_or_else(|| ApiError::not_found(format!("no webhook at `/hooks/{path}`")))?;
    if method != entry.method {
        return Err(ApiError::new(
            ErrorCode::MethodNotAllowed,
            format!("this webhook accepts {}", entry.method),
        ));
    }
    let input = request_input(&method, &path, &uri, &headers, &body);
    let id = ExecutionId::new();
    let request = StartRequest {
        workflow_id: entry.route.workflow_id,
        input,
        trigger: Some(entry.route.node_id.clone()),
        id: Some(id),
        correlation_id: Some(crate::context::request_id_of(&headers)),
        ..Default::default()
    };
    if !entry.respond {
        let (rec, _) = state.engine.start_execution(request).await?;
        return Ok((
            StatusCode::ACCEPTED,
            axum::Json(json!({"id": rec.id, "status": rec.status})),
        )
            .into_response());
    }
    // Watch before starting, so no event can slip by.
    let mut watch = state.engine.watch(id, 64);
    state.engine.start_execution(request).await?;
    let wait = async {
        loop {
            match watch.recv().await {
                Ok(ev) => match &ev.envelope.event {
                    Event::NodeCompleted { node, output, .. }
                        if entry.respond_nodes.iter().any(|r| r == node) =>
                    {
                        return Ok(respond_with(output));
                    }
                    Event::ExecutionFinished { status, output, .. } => {
                        return finished(id, *status, output.as_ref());
                    }
                    _ => {}
                },
                // Lagged or closed: the store has everything; look there.
                Err(_) => return from_store(&state, id, &entry).await,
            }
        }
    };
    match tokio::time::timeout(entry.timeout, wait).await {
        Ok(r) => r,
        Err(_) => Err(ApiError::new(
            ErrorCode::Timeout,
            format!(
                "execution {id} did not respond within {} ms",
                entry.timeout.as_millis()
            ),
        )),
    }
}

/// Catching up from the store after the watch was dropped: poll until a response or the end.
async fn from_store(
    state: &AppState,
    id: ExecutionId,
    entry: &HookEntry,
) -> Result<Response, ApiError> {
    let mut after = 0;
    loop {
        let evs = state.db.events(id, after, 500).await?;
        for e in &evs {
            after = e.seq;
            match &e.event {
                Event::NodeCompleted { node, output, .. }
                    if entry.respond_nodes.iter().any(|r| r == node) =>
                {
                    return Ok(respond_with(output));
                }
                Event::ExecutionFinished { status, output, .. } => {
                    return finished(id, *status, output.as_ref());
                }
                _ => {}
            }
        }
        if evs.is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn finished(
    id: ExecutionId,
    status: ExecutionStatus,
    output: Option<&Value>,
) -> Result<Response, ApiError> {
    if status == ExecutionStatus::Succeeded {
        Ok((
            StatusCode::OK,
            axum::Json(output.cloned().unwrap_or(Value::Null)),
        )
            .into_response())
    } else {
        Err(ApiError::new(
            ErrorCode::WorkflowFailed,
            format!(
                "execution {id} ended {} without responding",
                status.as_str()
            ),
        ))
    }
}

/// Request headers that are not passed to the workflow (credentials of the caller).
const WITHHELD: [&str; 3] = ["authorization", "cookie", "proxy-authorization"];

fn request_input(
    method: &Method,
    path: &str,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Value {
    let mut h = Map::new();
    for (k, v) in headers {
        if WITHHELD.contains(&k.as_str()) {
            continue;
        }
        if let Ok(v) = v.to_str() {
            h.insert(k.as_str().to_string(), Value::String(v.to_string()));
        }
    }
    let mut q = Map::new();
    if let Some(query) = uri.query() {
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            q.insert(k.into_owned(), Value::String(v.into_owned()));
        }
    }
    let body = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
    };
    json!({"method": method.as_str(), "path": path, "headers": h, "query": q, "body": body})
}

/// An `http.respond` output `{status, headers, body}` as the HTTP answer.
fn respond_with(output: &Value) -> Response {
    let status = output
        .get("status")
        .and_then(Value::as_u64)
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let body = output.get("body").cloned().unwrap_or(Value::Null);
    let mut resp = match &body {
        Value::String(s) => (status, s.clone()).into_response(),
        other => (status, axum::Json(other.clone())).into_response(),
    };
    if let Some(hs) = output.get("headers").and_then(Value::as_object) {
        for (k, v) in hs {
            let (Ok(name), Some(Ok(value))) = (
                HeaderName::from_bytes(k.as_bytes()),
                v.as_str().map(HeaderValue::from_str),
            ) else {
                continue;
            };
            // Framing is ours to decide.
            if matches!(
                name.as_str(),
                "content-length" | "transfer-encoding" | "connection"
            ) {
                continue;
            }
            resp.headers_mut().insert(name, value);
        }
    }
    resp
}

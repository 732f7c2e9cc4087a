//! Route handlers. Thin: parse and check the request, call the engine or the store, shape
//! the response.

use crate::GatewayOptions;
use crate::error::ApiError;
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use weft_actors::{Engine, StartRequest};
use weft_core::{Definition, ExecutionId, WorkflowId};
use weft_persistence::{ExecutionRecord, WorkflowVersion};

pub fn router(engine: Engine, options: GatewayOptions) -> Router {
    Router::new()
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .route("/api/v1/nodes", get(nodes))
        .route("/api/v1/workflows", post(create_workflow))
        .route("/api/v1/workflows/validate", post(validate))
        .route("/api/v1/workflows/{id}", get(get_workflow))
        .route("/api/v1/workflows/{id}/executions", post(start_execution))
        .route("/api/v1/executions/{id}", get(get_execution))
        .route("/api/v1/executions/{id}/events", get(events))
        .route("/api/v1/executions/{id}/cancel", post(cancel))
        .route("/api/v1/executions/{id}/signals/{name}", post(signal))
        .layer(DefaultBodyLimit::max(options.max_body_bytes))
        .with_state(engine)
}

/// The JSON body, or a problem saying what is wrong with it.
fn body<T>(r: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    match r {
        Ok(Json(v)) => Ok(v),
        Err(JsonRejection::BytesRejection(e)) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            Err(ApiError::PayloadTooLarge(
                "the request body is larger than the limit".into(),
            ))
        }
        Err(e) => Err(ApiError::bad_request(e.body_text(), None)),
    }
}

fn workflow_id(s: &str) -> Result<WorkflowId, ApiError> {
    WorkflowId::parse(s).map_err(|m| ApiError::bad_request(m, Some("id")))
}

fn execution_id(s: &str) -> Result<ExecutionId, ApiError> {
    ExecutionId::parse(s).map_err(|m| ApiError::bad_request(m, Some("id")))
}

async fn live() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

async fn ready(State(engine): State<Engine>) -> Response {
    match engine.store().ping().await {
        Ok(()) => {
            Json(json!({"status": "ok", "checks": {"store": "ok", "engine": "ok"}})).into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "readiness: store unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "unavailable", "checks": {"store": "unreachable", "engine": "ok"}})),
            )
                .into_response()
        }
    }
}

async fn nodes(State(engine): State<Engine>) -> Json<Value> {
    Json(json!({ "items": engine.registry().specs() }))
}

fn parse_definition(engine: &Engine, value: Value) -> Result<Definition, ApiError> {
    let def = Definition::from_value(value).map_err(|p| ApiError::Invalid(vec![p]))?;
    let size = serde_json::to_vec(&def).map(|v| v.len()).unwrap_or(0);
    if size > weft_core::definition::MAX_DEFINITION_BYTES {
        return Err(ApiError::PayloadTooLarge(format!(
            "the definition is {size} bytes; the limit is {}",
            weft_core::definition::MAX_DEFINITION_BYTES
        )));
    }
    weft_core::validate(&def, engine.registry().as_ref()).map_err(ApiError::Invalid)?;
    Ok(def)
}

fn version_json(v: &WorkflowVersion) -> Value {
    json!({"id": v.workflow_id, "name": v.name, "version": v.version, "created_at": v.created_at, "definition": v.definition})
}

async fn create_workflow(
    State(engine): State<Engine>,
    req: Result<Json<Value>, JsonRejection>,
) -> Result<Response, ApiError> {
    let def = parse_definition(&engine, body(req)?)?;
    let v = engine
        .store()
        .create_workflow(WorkflowId::new(), &def.name, &def.to_value())
        .await?;
    Ok((StatusCode::CREATED, Json(version_json(&v))).into_response())
}

async fn validate(
    State(engine): State<Engine>,
    req: Result<Json<Value>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let value = body(req)?;
    let problems = match Definition::from_value(value) {
        Ok(def) => weft_core::validate(&def, engine.registry().as_ref())
            .err()
            .unwrap_or_default(),
        Err(p) => vec![p],
    };
    Ok(Json(
        json!({"valid": problems.is_empty(), "problems": problems}),
    ))
}

async fn get_workflow(
    State(engine): State<Engine>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = workflow_id(&id)?;
    let w = engine.store().get_workflow(id).await?;
    let v = engine
        .store()
        .get_workflow_version(id, Some(w.latest_version))
        .await?;
    Ok(Json(json!({
        "id": w.id, "name": w.name, "version": w.latest_version,
        "created_at": w.created_at, "updated_at": w.updated_at, "definition": v.definition,
    })))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct StartBody {
    #[serde(default)]
    input: Option<Value>,
    #[serde(default)]
    priority: Option<u8>,
    #[serde(default)]
    version: Option<u32>,
}

fn execution_json(r: &ExecutionRecord) -> Value {
    json!({
        "id": r.id, "workflow_id": r.workflow_id, "version": r.workflow_version, "status": r.status,
        "input": r.input, "output": r.output, "error": r.error, "priority": r.priority,
        "parent": r.parent, "created_at": r.created_at, "updated_at": r.updated_at,
        "finished_at": r.finished_at,
    })
}

async fn start_execution(
    State(engine): State<Engine>,
    Path(id): Path<String>,
    headers: HeaderMap,
    req: Result<Json<StartBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let id = workflow_id(&id)?;
    let b = body(req)?;
    if b.priority.is_some_and(|p| p > 9) {
        return Err(ApiError::bad_request(
            "priority must be between 0 and 9",
            Some("priority"),
        ));
    }
    let key = match headers.get("idempotency-key") {
        Some(v) => Some(
            v.to_str()
                .map_err(|_| {
                    ApiError::bad_request(
                        "Idempotency-Key must be visible ASCII",
                        Some("Idempotency-Key"),
                    )
                })?
                .to_string(),
        ),
        None => None,
    };
    let (rec, created) = engine
        .start_execution(StartRequest {
            workflow_id: id,
            version: b.version,
            input: b.input.unwrap_or_else(|| json!({})),
            priority: b.priority,
            idempotency_key: key,
            ..Default::default()
        })
        .await?;
    let status = if created {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(json!({"id": rec.id, "status": rec.status}))).into_response())
}

async fn get_execution(
    State(engine): State<Engine>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let rec = engine.store().get_execution(execution_id(&id)?).await?;
    Ok(Json(execution_json(&rec)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventsQuery {
    #[serde(default)]
    after_seq: u64,
    #[serde(default)]
    limit: Option<u32>,
}

async fn events(
    State(engine): State<Engine>,
    Path(id): Path<String>,
    q: Result<Query<EventsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = execution_id(&id)?;
    let Query(q) = q.map_err(|e| ApiError::bad_request(e.body_text(), None))?;
    let limit = q.limit.unwrap_or(500).clamp(1, 1_000);
    // 404 for an unknown execution, not an empty list.
    engine.store().get_execution(id).await?;
    let evs = engine.store().events(id, q.after_seq, limit).await?;
    let next = (evs.len() as u32 == limit)
        .then(|| evs.last().map(|e| e.seq))
        .flatten();
    let items: Vec<Value> = evs.iter().map(|e| e.to_stream_json()).collect();
    Ok(Json(json!({"items": items, "next_after_seq": next})))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CancelBody {
    #[serde(default)]
    reason: Option<String>,
}

async fn cancel(
    State(engine): State<Engine>,
    Path(id): Path<String>,
    req: Option<Json<CancelBody>>,
) -> Result<Response, ApiError> {
    let id = execution_id(&id)?;
    let reason = req
        .and_then(|Json(b)| b.reason)
        .unwrap_or_else(|| "cancelled through the API".into());
    engine.cancel(id, &reason).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"id": id, "status": "cancelling"})),
    )
        .into_response())
}

async fn signal(
    State(engine): State<Engine>,
    Path((id, name)): Path<(String, String)>,
    req: Result<Json<Value>, JsonRejection>,
) -> Result<Response, ApiError> {
    let id = execution_id(&id)?;
    let payload = match req {
        Err(JsonRejection::MissingJsonContentType(_)) => Value::Null,
        other => body(other)?,
    };
    engine.signal(id, &name, payload).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"id": id, "signal": name})),
    )
        .into_response())
}

//! `/executions`: list with filters and cursor pagination, read one, its events, its logs,
//! cancel, signal, and retry from the failed node. The live streams are in
//! [`crate::stream`].

use super::{QueryParams, page_limit};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use weft_core::{ExecutionId, ExecutionStatus, WorkflowId};
use weft_persistence::{ExecutionFilter, ExecutionRecord, Role};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_executions))
        .routes(routes!(get_execution))
        .routes(routes!(events))
        .routes(routes!(logs))
        .routes(routes!(cancel))
        .routes(routes!(signal))
        .routes(routes!(retry))
}

pub fn execution_id(s: &str) -> Result<ExecutionId, ApiError> {
    ExecutionId::parse(s).map_err(|m| ApiError::bad_request(m, Some("id")))
}

#[derive(Serialize, ToSchema)]
pub struct Execution {
    #[schema(value_type = uuid::Uuid)]
    pub id: ExecutionId,
    #[schema(value_type = uuid::Uuid)]
    pub workflow_id: WorkflowId,
    pub version: u32,
    #[schema(value_type = String, example = "running")]
    pub status: ExecutionStatus,
    /// Any JSON value.
    pub input: Value,
    /// The workflow's output (any JSON value), once it succeeded.
    pub output: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub error: Option<Value>,
    pub priority: u8,
    /// The parent execution and node, for a `flow.call` child.
    #[schema(value_type = Option<Object>)]
    pub parent: Option<Value>,
    /// The seq of the last event.
    pub last_seq: u64,
    pub created_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
}

impl From<ExecutionRecord> for Execution {
    fn from(r: ExecutionRecord) -> Self {
        Execution {
            id: r.id,
            workflow_id: r.workflow_id,
            version: r.workflow_version,
            status: r.status,
            input: r.input,
            output: r.output,
            error: r.error,
            priority: r.priority,
            parent: r.parent.and_then(|p| serde_json::to_value(p).ok()),
            last_seq: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            finished_at: r.finished_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ExecutionPage {
    pub items: Vec<Execution>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    pub workflow_id: Option<String>,
    /// queued, running, waiting, succeeded, failed, cancelled or timed_out.
    pub status: Option<String>,
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// Only executions created at or after this time (epoch ms).
    pub from: Option<i64>,
    /// Only executions created before this time (epoch ms).
    pub to: Option<i64>,
}

fn parse_status(s: &str) -> Result<ExecutionStatus, ApiError> {
    ExecutionStatus::ALL
        .into_iter()
        .find(|st| st.as_str() == s)
        .ok_or_else(|| {
            ApiError::bad_request(
                "status is one of queued, running, waiting, succeeded, failed, cancelled, timed_out",
                Some("status"),
            )
        })
}

/// Executions, newest first.
#[utoipa::path(get, path = "/executions", tag = "executions",
    params(ListQuery),
    responses(
        (status = 200, body = ExecutionPage),
        crate::error::ReadProblems,
    ),
    security(("bearer" = [])))]
async fn list_executions(
    State(state): State<AppState>,
    p: Principal,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Json<ExecutionPage>, ApiError> {
    p.require(Role::Viewer)?;
    let limit = page_limit(q.limit, &state)?;
    let workflow_id = match q.workflow_id.as_deref() {
        Some(w) => {
            Some(WorkflowId::parse(w).map_err(|m| ApiError::bad_request(m, Some("workflow_id")))?)
        }
        None => None,
    };
    let status = q.status.as_deref().map(parse_status).transpose()?;
    let before = match q.cursor.as_deref() {
        Some(c) => {
            Some(ExecutionId::parse(c).map_err(|m| ApiError::bad_request(m, Some("cursor")))?)
        }
        None => None,
    };
    if let (Some(from), Some(to)) = (q.from, q.to)
        && to <= from
    {
        return Err(ApiError::bad_request("to must be after from", Some("to")));
    }
    let rows = state
        .db
        .list_executions(&ExecutionFilter {
            workflow_id,
            status,
            before,
            created_from: q.from,
            created_to: q.to,
            limit,
        })
        .await?;
    let next_cursor = (rows.len() as u32 == limit)
        .then(|| rows.last().map(|r| r.id.to_string()))
        .flatten();
    Ok(Json(ExecutionPage {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// One execution.
#[utoipa::path(get, path = "/executions/{id}", tag = "executions",
    params(("id" = String, Path, description = "Execution id")),
    responses(
        (status = 200, body = Execution),
        crate::error::ReadProblems,
    ),
    security(("bearer" = [])))]
async fn get_execution(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<Execution>, ApiError> {
    p.require(Role::Viewer)?;
    Ok(Json(
        state.db.get_execution(execution_id(&id)?).await?.into(),
    ))
}

/// One event as the API and the streams show it.
#[derive(Serialize, ToSchema)]
pub struct EventOut {
    pub seq: u64,
    #[serde(rename = "type")]
    pub event_type: String,
    pub node_id: Option<String>,
    pub at: i64,
    #[schema(value_type = Object)]
    pub data: Value,
}

#[derive(Serialize, ToSchema)]
pub struct EventPage {
    pub items: Vec<EventOut>,
    /// Pass as `after_seq` for the next page; absent on the last.
    pub next_after_seq: Option<u64>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Events after this seq (0: from the start).
    #[param(minimum = 0, maximum = 9223372036854775807_i64)]
    pub after_seq: Option<u64>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// The execution's events, in order.
#[utoipa::path(get, path = "/executions/{id}/events", tag = "executions",
    params(("id" = String, Path, description = "Execution id"), EventsQuery),
    responses(
        (status = 200, body = EventPage),
        crate::error::ReadProblems,
    ),
    security(("bearer" = [])))]
async fn events(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<EventsQuery>,
) -> Result<Json<EventPage>, ApiError> {
    p.require(Role::Viewer)?;
    let id = execution_id(&id)?;
    let limit = page_limit(q.limit, &state)?;
    let after_seq = seq_param(q.after_seq, "after_seq")?;
    // 404 for an unknown execution, not an empty list.
    state.db.get_execution(id).await?;
    let evs = state.db.events(id, after_seq, limit).await?;
    let next_after_seq = (evs.len() as u32 == limit)
        .then(|| evs.last().map(|e| e.seq))
        .flatten();
    let items = evs.iter().map(|e| event_out(e.to_stream_json())).collect();
    Ok(Json(EventPage {
        items,
        next_after_seq,
    }))
}

/// A seq from the query: at most `i64::MAX` (what the stores can hold).
pub fn seq_param(v: Option<u64>, field: &str) -> Result<u64, ApiError> {
    match v {
        Some(n) if n > i64::MAX as u64 => Err(ApiError::bad_request(
            format!("{field} must be at most {}", i64::MAX),
            Some(field),
        )),
        other => Ok(other.unwrap_or(0)),
    }
}

/// The stream JSON (`{seq, type, node_id, at, data}`) as a typed value.
pub fn event_out(v: Value) -> EventOut {
    EventOut {
        seq: v.get("seq").and_then(Value::as_u64).unwrap_or(0),
        event_type: v
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        node_id: v.get("node_id").and_then(Value::as_str).map(str::to_string),
        at: v.get("at").and_then(Value::as_i64).unwrap_or(0),
        data: v.get("data").cloned().unwrap_or(Value::Null),
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LogsQuery {
    /// Lowest level shown: debug, info (default), warn or error.
    pub level: Option<String>,
    /// Only lines of this node (id or path, e.g. `each[2]/sq`).
    pub node: Option<String>,
    /// Only lines whose message contains this text (case-insensitive).
    pub q: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(minimum = 0, maximum = 9223372036854775807_i64)]
    pub cursor: Option<u64>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct LogLineOut {
    pub seq: u64,
    pub at: i64,
    pub level: String,
    pub node: Option<String>,
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct LogPage {
    pub items: Vec<LogLineOut>,
    /// Pass as `cursor` to continue; absent when the log has been read to its end.
    pub next_cursor: Option<u64>,
}

const LEVELS: [&str; 4] = ["debug", "info", "warn", "error"];

/// The execution's log: node starts and finishes, failures, `util.log` lines and execution
/// milestones, filtered by level, node and text.
#[utoipa::path(get, path = "/executions/{id}/logs", tag = "executions",
    params(("id" = String, Path, description = "Execution id"), LogsQuery),
    responses(
        (status = 200, body = LogPage),
        crate::error::ReadProblems,
    ),
    security(("bearer" = [])))]
async fn logs(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<LogsQuery>,
) -> Result<Json<LogPage>, ApiError> {
    p.require(Role::Viewer)?;
    let id = execution_id(&id)?;
    let limit = page_limit(q.limit, &state)? as usize;
    let min_level = match q.level.as_deref() {
        None => 1,
        Some(l) => LEVELS.iter().position(|x| *x == l).ok_or_else(|| {
            ApiError::bad_request("level is one of debug, info, warn, error", Some("level"))
        })?,
    };
    let needle = q.q.as_deref().map(str::to_lowercase);
    state.db.get_execution(id).await?;
    // Filters may skip many events: scan a bounded number per request and hand back where
    // the scan stopped.
    const SCAN: u32 = 1000;
    const MAX_SCANNED: usize = 20_000;
    let mut after = seq_param(q.cursor, "cursor")?;
    let mut items = Vec::new();
    let mut scanned = 0usize;
    loop {
        let evs = state.db.events(id, after, SCAN).await?;
        let page_full = evs.len() as u32 == SCAN;
        for e in &evs {
            after = e.seq;
            scanned += 1;
            let Some(line) = e.log_line() else { continue };
            let level = line.level.as_str();
            let rank = LEVELS.iter().position(|x| *x == level).unwrap_or(1);
            if rank < min_level {
                continue;
            }
            if let Some(n) = &q.node {
                let matches = line
                    .node
                    .as_deref()
                    .is_some_and(|path| path == n || path.rsplit('/').next() == Some(n.as_str()));
                if !matches {
                    continue;
                }
            }
            if let Some(needle) = &needle
                && !line.message.to_lowercase().contains(needle)
            {
                continue;
            }
            items.push(LogLineOut {
                seq: line.seq,
                at: line.at,
                level: level.to_string(),
                node: line.node.clone(),
                message: line.message.clone(),
            });
            if items.len() == limit {
                return Ok(Json(LogPage {
                    items,
                    next_cursor: Some(after),
                }));
            }
        }
        if !page_full {
            return Ok(Json(LogPage {
                items,
                next_cursor: None,
            }));
        }
        if scanned >= MAX_SCANNED {
            return Ok(Json(LogPage {
                items,
                next_cursor: Some(after),
            }));
        }
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    #[schema(max_length = 1000)]
    pub reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Accepted {
    #[schema(value_type = uuid::Uuid)]
    pub id: ExecutionId,
    /// What happens next: `cancelling`, `signalled`, `retrying`.
    pub status: String,
}

/// Optional JSON body: absent (or empty) means the default.
async fn optional_body<T: serde::de::DeserializeOwned + Default>(
    req: Request,
    state: &AppState,
) -> Result<T, ApiError> {
    let has_body = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v != "0")
        && req.headers().contains_key(header::CONTENT_TYPE);
    if !has_body {
        return Ok(T::default());
    }
    let bytes = super::read_body(req, state).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    super::parse_json(&bytes)
}

/// Asks a running execution to stop; running node actors are stopped.
#[utoipa::path(post, path = "/executions/{id}/cancel", tag = "executions",
    params(("id" = String, Path, description = "Execution id")),
    request_body(content = Option<CancelBody>, content_type = "application/json"),
    responses(
        (status = 202, body = Accepted),
        crate::error::WriteProblems,
    ),
    security(("bearer" = [])))]
async fn cancel(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    req: Request,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    p.require(Role::Operator)?;
    let id = execution_id(&id)?;
    let body: CancelBody = optional_body(req, &state).await?;
    let reason = body
        .reason
        .map(|r| r.chars().take(1000).collect::<String>())
        .unwrap_or_else(|| format!("cancelled by {}", p.label()));
    state.engine.cancel(id, &reason).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            id,
            status: "cancelling".into(),
        }),
    ))
}

/// Delivers a signal (e.g. a human approval) with an optional JSON payload.
#[utoipa::path(post, path = "/executions/{id}/signals/{name}", tag = "executions",
    params(("id" = String, Path, description = "Execution id"), ("name" = String, Path, description = "Signal name")),
    request_body(content = Option<Object>, description = "The payload", content_type = "application/json"),
    responses(
        (status = 202, body = Accepted),
        crate::error::WriteProblems,
    ),
    security(("bearer" = [])))]
async fn signal(
    State(state): State<AppState>,
    p: Principal,
    Path((id, name)): Path<(String, String)>,
    req: Request,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    p.require(Role::Operator)?;
    let id = execution_id(&id)?;
    if name.is_empty() || name.len() > 200 {
        return Err(ApiError::bad_request(
            "a signal name has 1–200 characters",
            Some("name"),
        ));
    }
    let payload: Value = optional_body::<Option<Value>>(req, &state)
        .await?
        .unwrap_or(Value::Null);
    state.engine.signal(id, &name, payload).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            id,
            status: "signalled".into(),
        }),
    ))
}

/// Runs a failed (or timed-out) execution again from the node that failed it, keeping
/// every completed node's output.
#[utoipa::path(post, path = "/executions/{id}/retry", tag = "executions",
    params(("id" = String, Path, description = "Execution id")),
    responses(
        (status = 202, body = Execution),
        crate::error::WriteProblems,
    ),
    security(("bearer" = [])))]
async fn retry(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Execution>), ApiError> {
    p.require(Role::Operator)?;
    let id = execution_id(&id)?;
    let rec = state.engine.retry(id).await?;
    Ok((StatusCode::ACCEPTED, Json(rec.into())))
}

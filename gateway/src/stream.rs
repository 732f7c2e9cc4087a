//! Live event streams over WebSocket.
//!
//! - `GET /api/v1/executions/{id}/stream?from_seq=N`: the execution's stored events after
//!   `N`, then live ones, each once and in order (`{seq, type, node_id, at, data}`); closed
//!   normally after `execution_finished`.
//! - `GET /api/v1/ws`: one socket, many subscriptions. The client sends
//!   `{"op":"subscribe","execution_id":…,"from_seq":N}` or
//!   `{"op":"subscribe","workflow_id":…}` (and `unsubscribe`); the server sends
//!   `{"op":"event","execution_id","workflow_id","event":{…}}`, `subscribed` acks and `error`s.
//!
//! The hand-over from stored to live events has no gap and no duplicate: the live feed is
//! subscribed *before* the store is read, and every event is sent only if its seq is the next
//! one for its execution (anything earlier was already sent; a jump is filled from the store).
//!
//! Safety: the handshake needs a principal with the viewer role (token in the
//! `Authorization` header or, for browsers, the `access_token` query parameter) and an
//! `Origin` that is this server's own or an allowed one (no cross-site WebSocket hijacking);
//! the socket is closed when the token expires. Memory per client is bounded: live events
//! queue in a bounded channel, and a client that falls behind is dropped with close code 4008
//! and reason `too slow`.

use crate::api::executions::execution_id;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::state::AppState;
use axum::Router;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;
use weft_actors::{BusEvent, WatchError};
use weft_core::{Event, EventEnvelope, ExecutionId, WorkflowId};
use weft_persistence::Role;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/executions/{id}/stream", get(execution_stream))
        .route("/api/v1/ws", get(multiplexed))
}

/// Close codes (4000–4999 are the application's).
const CLOSE_NORMAL: u16 = 1000;
const CLOSE_GOING_AWAY: u16 = 1001;
const CLOSE_POLICY: u16 = 1008;
const CLOSE_ERROR: u16 = 1011;
const CLOSE_TOKEN_EXPIRED: u16 = 4001;
const CLOSE_TOO_SLOW: u16 = 4008;

const STORE_PAGE: u32 = 500;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamQuery {
    #[serde(default)]
    from_seq: Option<u64>,
    /// Read by the authentication extractor.
    #[serde(default)]
    #[allow(dead_code)]
    access_token: Option<String>,
}

/// Refuses a browser handshake from another site: the `Origin` must be this server's own
/// (same host) or one of the allowed origins. Clients that send no `Origin` (not browsers)
/// pass.
fn check_origin(headers: &HeaderMap, state: &AppState) -> Result<(), ApiError> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or("");
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let origin_host = origin
        .split_once("://")
        .map(|(_, rest)| rest.trim_end_matches('/'))
        .unwrap_or("");
    let same = !host.is_empty() && origin_host.eq_ignore_ascii_case(host);
    let allowed = state
        .options
        .cors
        .allowed_origins
        .iter()
        .any(|o| o.trim_end_matches('/').eq_ignore_ascii_case(origin));
    if same || allowed {
        Ok(())
    } else {
        Err(
            ApiError::forbidden("WebSocket connections from this origin are not allowed")
                .with_field("Origin"),
        )
    }
}

/// A client that does not read for this long is gone or too slow; its task must not hang.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

async fn send(socket: &mut WebSocket, msg: Message) -> Result<(), axum::Error> {
    match tokio::time::timeout(SEND_TIMEOUT, socket.send(msg)).await {
        Ok(r) => r,
        Err(_) => Err(axum::Error::new("the client did not read for 10 s")),
    }
}

fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: Utf8Bytes::from(reason.to_string()),
    }))
}

/// How long until the principal's credential expires (never, for keys without expiry).
fn expiry(p: &Principal) -> Duration {
    match p.expires_at {
        Some(exp) => {
            let now = weft_actors::now_ms() / 1000;
            Duration::from_secs(exp.saturating_sub(now).max(0) as u64)
        }
        None => Duration::from_secs(365 * 24 * 3600),
    }
}

/// Streams one execution's events (WebSocket).
#[utoipa::path(get, path = "/api/v1/executions/{id}/stream", tag = "executions",
    params(("id" = String, Path, description = "Execution id"),
           ("from_seq" = Option<u64>, Query, description = "Send stored events after this seq first (default 0)"),
           ("access_token" = Option<String>, Query, description = "For browsers: the bearer token")),
    responses(
        (status = 101, description = "Switching to WebSocket; messages are `{seq, type, node_id, at, data}`"),
        crate::error::ReadProblems,
    ),
    security(("bearer" = [])))]
pub async fn execution_stream(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
    crate::api::QueryParams(q): crate::api::QueryParams<StreamQuery>,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    p.require(Role::Viewer)?;
    check_origin(&headers, &state)?;
    let id = execution_id(&id)?;
    let ws = ws.map_err(|e| ApiError::bad_request(e.body_text(), None))?;
    state.db.get_execution(id).await?;
    let from = crate::api::executions::seq_param(q.from_seq, "from_seq")?;
    Ok(ws.on_upgrade(move |socket| async move {
        if let Err(e) = run_execution_stream(socket, state, p, id, from).await {
            tracing::debug!(execution_id = %id, error = %e, "stream ended");
        }
    }))
}

async fn send_event(socket: &mut WebSocket, e: &EventEnvelope) -> Result<(), axum::Error> {
    send(
        socket,
        Message::Text(Utf8Bytes::from(e.to_stream_json().to_string())),
    )
    .await
}

async fn run_execution_stream(
    mut socket: WebSocket,
    state: AppState,
    p: Principal,
    id: ExecutionId,
    from: u64,
) -> Result<(), axum::Error> {
    // Live first, then the store: nothing published meanwhile is missed.
    let mut watch = state.engine.watch(id, state.options.ws_buffer.max(16));
    let mut last = from;
    let mut finished = false;
    // Stored events after `from`.
    loop {
        let page = match state.db.events(id, last, STORE_PAGE).await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "stream: reading stored events");
                return send(&mut socket, close(CLOSE_ERROR, "store unavailable")).await;
            }
        };
        for e in &page {
            send_event(&mut socket, e).await?;
            last = e.seq;
            finished |= matches!(e.event, Event::ExecutionFinished { .. });
        }
        if (page.len() as u32) < STORE_PAGE {
            break;
        }
    }
    if finished {
        return send(&mut socket, close(CLOSE_NORMAL, "execution finished")).await;
    }
    let expires = tokio::time::sleep(expiry(&p));
    tokio::pin!(expires);
    loop {
        tokio::select! {
            ev = watch.recv() => match ev {
                Ok(ev) => {
                    let seq = ev.envelope.seq;
                    if seq <= last {
                        continue;
                    }
                    if seq > last + 1 {
                        // Fill the gap from the store (events are durable before they are published).
                        let missing = state.db.events(id, last, (seq - last - 1) as u32).await.unwrap_or_default();
                        for e in &missing {
                            send_event(&mut socket, e).await?;
                            last = e.seq;
                        }
                        if last + 1 != seq {
                            return send(&mut socket, close(CLOSE_ERROR, "events missing")).await;
                        }
                    }
                    send_event(&mut socket, &ev.envelope).await?;
                    last = seq;
                    if matches!(ev.envelope.event, Event::ExecutionFinished { .. }) {
                        return send(&mut socket, close(CLOSE_NORMAL, "execution finished")).await;
                    }
                }
                // The bus dropped this watcher: the client did not keep up.
                Err(WatchError::Lagged) => return send(&mut socket, close(CLOSE_TOO_SLOW, "too slow")).await,
                Err(WatchError::Closed) => return send(&mut socket, close(CLOSE_GOING_AWAY, "server stopping")).await,
            },
            msg = socket.recv() => match msg {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return Ok(()),
                Some(Ok(_)) => {}
            },
            _ = &mut expires => return send(&mut socket, close(CLOSE_TOKEN_EXPIRED, "token expired")).await,
        }
    }
}

/// Many subscriptions over one WebSocket (the dashboard uses it).
#[utoipa::path(get, path = "/api/v1/ws", tag = "executions",
    params(("access_token" = Option<String>, Query, description = "For browsers: the bearer token")),
    responses(
        (status = 101, description = "Switching to WebSocket; send `{op: subscribe, execution_id | workflow_id, from_seq?}`"),
        crate::error::ReadProblems,
    ),
    security(("bearer" = [])))]
pub async fn multiplexed(
    State(state): State<AppState>,
    p: Principal,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    p.require(Role::Viewer)?;
    check_origin(&headers, &state)?;
    let ws = ws.map_err(|e| ApiError::bad_request(e.body_text(), None))?;
    Ok(ws.on_upgrade(move |socket| async move {
        if let Err(e) = run_multiplexed(socket, state, p).await {
            tracing::debug!(error = %e, "multiplexed stream ended");
        }
    }))
}

#[derive(Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
enum ClientMsg {
    Subscribe {
        #[serde(default)]
        execution_id: Option<String>,
        #[serde(default)]
        workflow_id: Option<String>,
        #[serde(default)]
        from_seq: Option<u64>,
    },
    Unsubscribe {
        #[serde(default)]
        execution_id: Option<String>,
        #[serde(default)]
        workflow_id: Option<String>,
    },
}

/// Most subscriptions one socket may hold.
const MAX_SUBSCRIPTIONS: usize = 1000;

#[derive(Default)]
struct Subscriptions {
    /// Execution → seq of the last event sent.
    executions: HashMap<ExecutionId, u64>,
    workflows: HashSet<WorkflowId>,
    /// Last seq sent per execution seen through a workflow subscription.
    seen: HashMap<ExecutionId, u64>,
}

fn event_msg(execution_id: ExecutionId, workflow_id: WorkflowId, e: &EventEnvelope) -> Message {
    Message::Text(Utf8Bytes::from(
        json!({"op": "event", "execution_id": execution_id, "workflow_id": workflow_id, "event": e.to_stream_json()})
            .to_string(),
    ))
}

fn reply(v: Value) -> Message {
    Message::Text(Utf8Bytes::from(v.to_string()))
}

async fn run_multiplexed(
    mut socket: WebSocket,
    state: AppState,
    p: Principal,
) -> Result<(), axum::Error> {
    // Subscribed before any store read, so hand-overs have no gap.
    let mut live: broadcast::Receiver<Arc<BusEvent>> = state.engine.subscribe();
    let mut subs = Subscriptions::default();
    let expires = tokio::time::sleep(expiry(&p));
    tokio::pin!(expires);
    loop {
        tokio::select! {
            ev = live.recv() => match ev {
                Ok(ev) => {
                    let seq = ev.envelope.seq;
                    if let Some(last) = subs.executions.get_mut(&ev.execution_id) {
                        if seq > *last {
                            *last = seq;
                            send(&mut socket, event_msg(ev.execution_id, ev.workflow_id, &ev.envelope)).await?;
                        }
                    } else if subs.workflows.contains(&ev.workflow_id) {
                        let last = subs.seen.entry(ev.execution_id).or_insert(0);
                        if seq > *last {
                            *last = seq;
                            send(&mut socket, event_msg(ev.execution_id, ev.workflow_id, &ev.envelope)).await?;
                        }
                        if matches!(ev.envelope.event, Event::ExecutionFinished { .. }) {
                            subs.seen.remove(&ev.execution_id);
                        }
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    return send(&mut socket, close(CLOSE_TOO_SLOW, "too slow")).await;
                }
                Err(broadcast::error::RecvError::Closed) => {
                    return send(&mut socket, close(CLOSE_NORMAL, "server stopping")).await;
                }
            },
            msg = socket.recv() => match msg {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return Ok(()),
                Some(Ok(Message::Text(t))) => {
                    if t.len() > 4096 {
                        return send(&mut socket, close(CLOSE_POLICY, "message too large")).await;
                    }
                    handle_client(&mut socket, &state, &p, &mut subs, t.as_str()).await?;
                }
                Some(Ok(_)) => {}
            },
            _ = &mut expires => return send(&mut socket, close(CLOSE_TOKEN_EXPIRED, "token expired")).await,
        }
    }
}

async fn handle_client(
    socket: &mut WebSocket,
    state: &AppState,
    p: &Principal,
    subs: &mut Subscriptions,
    text: &str,
) -> Result<(), axum::Error> {
    let msg: ClientMsg = match serde_json::from_str(text) {
        Ok(m) => m,
        Err(e) => {
            return send(
                socket,
                reply(json!({"op": "error", "message": format!("bad message: {e}")})),
            )
            .await;
        }
    };
    if let Err(e) = p.require(Role::Viewer) {
        return send(socket, reply(json!({"op": "error", "message": e.detail}))).await;
    }
    match msg {
        ClientMsg::Subscribe {
            execution_id: Some(id),
            workflow_id: None,
            from_seq,
        } => {
            let Ok(id) = ExecutionId::parse(&id) else {
                return send(
                    socket,
                    reply(json!({"op": "error", "message": "execution_id is not a valid id"})),
                )
                .await;
            };
            let rec = match state.db.get_execution(id).await {
                Ok(r) => r,
                Err(_) => {
                    return send(socket, reply(json!({"op": "error", "execution_id": id, "message": "no such execution"}))).await;
                }
            };
            if subs.executions.len() + subs.workflows.len() >= MAX_SUBSCRIPTIONS {
                return send(
                    socket,
                    reply(json!({"op": "error", "message": "too many subscriptions"})),
                )
                .await;
            }
            send(
                socket,
                reply(json!({"op": "subscribed", "execution_id": id})),
            )
            .await?;
            let mut last = from_seq.unwrap_or(0).min(i64::MAX as u64);
            loop {
                let page = state
                    .db
                    .events(id, last, STORE_PAGE)
                    .await
                    .unwrap_or_default();
                for e in &page {
                    send(socket, event_msg(id, rec.workflow_id, e)).await?;
                    last = e.seq;
                }
                if (page.len() as u32) < STORE_PAGE {
                    break;
                }
            }
            subs.executions.insert(id, last);
        }
        ClientMsg::Subscribe {
            workflow_id: Some(w),
            execution_id: None,
            ..
        } => {
            let Ok(w) = WorkflowId::parse(&w) else {
                return send(
                    socket,
                    reply(json!({"op": "error", "message": "workflow_id is not a valid id"})),
                )
                .await;
            };
            if subs.executions.len() + subs.workflows.len() >= MAX_SUBSCRIPTIONS {
                return send(
                    socket,
                    reply(json!({"op": "error", "message": "too many subscriptions"})),
                )
                .await;
            }
            subs.workflows.insert(w);
            send(socket, reply(json!({"op": "subscribed", "workflow_id": w}))).await?;
        }
        ClientMsg::Unsubscribe {
            execution_id,
            workflow_id,
        } => {
            if let Some(id) = execution_id.and_then(|s| ExecutionId::parse(&s).ok()) {
                subs.executions.remove(&id);
            }
            if let Some(w) = workflow_id.and_then(|s| WorkflowId::parse(&s).ok()) {
                subs.workflows.remove(&w);
            }
            send(socket, reply(json!({"op": "unsubscribed"}))).await?;
        }
        _ => {
            send(socket, reply(json!({"op": "error", "message": "subscribe to exactly one of execution_id or workflow_id"})))
                .await?;
        }
    }
    Ok(())
}

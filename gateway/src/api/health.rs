//! Liveness and readiness. Live: the process answers. Ready: the store answers a query, the
//! engine's execution manager answers, and the schema is migrated (the store runs its
//! migrations before it is handed out, so a store that answers is migrated). The body names
//! each dependency's state so an operator sees which one is down.

use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use std::time::Duration;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct Live {
    #[schema(example = "ok")]
    pub status: String,
}

/// The process is up.
#[utoipa::path(get, path = "/health/live", tag = "health",
    responses((status = 200, body = Live)))]
pub async fn live() -> Json<Live> {
    Json(Live {
        status: "ok".into(),
    })
}

#[derive(Serialize, ToSchema)]
pub struct Checks {
    /// `ok` or `unreachable`.
    pub store: String,
    /// `ok` or `unavailable`.
    pub engine: String,
    /// `applied` or `unknown` (when the store is unreachable).
    pub migrations: String,
}

#[derive(Serialize, ToSchema)]
pub struct Ready {
    /// `ok` or `unavailable`.
    pub status: String,
    /// `sqlite` or `postgres`.
    pub backend: String,
    pub checks: Checks,
    /// Executions with a live actor, and waiting for admission.
    pub executions_in_flight: Option<usize>,
    pub executions_queued: Option<usize>,
}

/// Whether this instance can serve: store, engine and schema.
#[utoipa::path(get, path = "/health/ready", tag = "health",
    responses(
        (status = 200, description = "Ready", body = Ready),
        (status = 503, description = "A dependency is down", body = Ready),
    ))]
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Ready>) {
    let limit = Duration::from_secs(3);
    let store_ok = matches!(
        tokio::time::timeout(limit, state.db.ping()).await,
        Ok(Ok(()))
    );
    let engine = tokio::time::timeout(limit, state.engine.admission_stats()).await;
    let (engine_ok, in_flight, queued) = match engine {
        Ok(Ok((a, q))) => (true, Some(a), Some(q)),
        _ => (false, None, None),
    };
    let ok = store_ok && engine_ok;
    if !ok {
        tracing::warn!(store_ok, engine_ok, "not ready");
    }
    let body = Ready {
        status: if ok { "ok" } else { "unavailable" }.into(),
        backend: state.db.backend().into(),
        checks: Checks {
            store: if store_ok { "ok" } else { "unreachable" }.into(),
            engine: if engine_ok { "ok" } else { "unavailable" }.into(),
            migrations: if store_ok { "applied" } else { "unknown" }.into(),
        },
        executions_in_flight: in_flight,
        executions_queued: queued,
    };
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}

//! weft-gateway: the HTTP face of Weft.
//!
//! - `/api/v1/…`: the REST API ([`api`]), every route authorised ([`auth`]) and documented
//!   in the OpenAPI 3.1 document generated from the handlers ([`openapi`]);
//! - `/api/v1/executions/{id}/stream` and `/api/v1/ws`: live event streams ([`stream`]);
//! - `/hooks/{path}`: webhooks that start workflows;
//! - `/health/live`, `/health/ready`, `/metrics`, `/api/docs`;
//! - everything else: the web app from `web/dist`, when it is there.
//!
//! Cross-cutting layers, outermost first: request context (id, span, log line), security
//! headers, CORS, per-IP rate limit, audit of mutating requests, body limit, timeout.
//! [`router`] is apart from [`serve`] so tests drive it directly, and `serve` takes its
//! listener and shutdown future from the caller.

pub mod api;
pub mod audit;
pub mod auth;
pub mod config;
pub mod context;
pub mod error;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod state;
pub mod stream;
mod web;

pub use config::GatewayOptions;
pub use error::{ApiError, ErrorCode};
pub use state::{AppState, GatewayError, GatewayParts};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Method, header};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::any;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// Every route, with its layers.
pub fn router(state: AppState) -> Router {
    let options = state.options.clone();
    let (api, _) = openapi::api_router().split_for_parts();
    let api = api.layer(from_fn_with_state(
        Duration::from_millis(options.request_timeout_ms),
        limits::request_timeout,
    ));
    let metrics_route = axum::routing::get(metrics_endpoint);
    let mut app = Router::new()
        .merge(api)
        .route("/metrics", metrics_route)
        .merge(stream::routes())
        .route("/hooks/{*path}", any(api::hooks::webhook))
        .merge(openapi::docs_routes());
    app = app.method_not_allowed_fallback(method_not_allowed);
    app = match web::service(options.web_dist.as_deref()) {
        Some(spa) => app.fallback_service(spa),
        None => app.fallback(not_found),
    };
    let mut app = app
        .layer(DefaultBodyLimit::max(options.max_body_bytes))
        .layer(from_fn_with_state(state.clone(), audit::audit_requests))
        .layer(from_fn_with_state(state.clone(), limits::limit_by_ip));
    if let Some(cors) = cors_layer(&options.cors.allowed_origins) {
        app = app.layer(cors);
    }
    app.layer(from_fn(limits::security_headers))
        .layer(from_fn_with_state(
            state.metrics.clone(),
            metrics::track_http,
        ))
        .layer(from_fn(context::request_context))
        .with_state(state)
}

/// `GET /metrics`: Prometheus text. Open by default (the gateway listens on 127.0.0.1 unless
/// told otherwise); with `gateway.metrics_token` set, scrapers must send it as a bearer token.
async fn metrics_endpoint(
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if let Some(expected) = &state.options.metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let ok = given.is_some_and(|g| {
            // Constant time: compare digests.
            auth::secrets::sha256_hex(g) == auth::secrets::sha256_hex(expected)
        });
        if !ok {
            return ApiError::unauthenticated("/metrics needs the metrics token").into_response();
        }
    }
    metrics::render(axum::extract::State(state.metrics.clone())).await
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such resource")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        "this resource does not accept that method",
    )
}

fn cors_layer(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let list: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o.trim_end_matches('/')).ok())
        .collect();
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(list))
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::HeaderName::from_static("idempotency-key"),
                header::HeaderName::from_static("x-api-key"),
                header::HeaderName::from_static("x-request-id"),
            ])
            .expose_headers([header::LOCATION, header::RETRY_AFTER])
            .max_age(Duration::from_secs(600)),
    )
}

/// Serves the router on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

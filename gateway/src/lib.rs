//! weft-gateway: the HTTP face of Weft.
//!
//! For now the part of the REST contract the engine needs to be used from outside: create
//! workflows, start executions, read executions and their events, signal and cancel, the node
//! catalog, validation and health. Errors are RFC 9457 problem documents, mapped from engine
//! errors in one place (`error.rs`). `router` is apart from `serve` so tests drive the router
//! directly and `serve` takes its listener and shutdown future from the caller.

mod error;
mod routes;

pub use error::ApiError;

use axum::Router;
use std::future::Future;
use weft_actors::Engine;

#[derive(Debug, Clone)]
pub struct GatewayOptions {
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
}

impl Default for GatewayOptions {
    fn default() -> Self {
        Self {
            max_body_bytes: 4 * 1024 * 1024,
        }
    }
}

/// Every route, with its state.
pub fn router(engine: Engine, options: GatewayOptions) -> Router {
    routes::router(engine, options)
}

/// Serves the router on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    engine: Engine,
    options: GatewayOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(engine, options))
        .with_graceful_shutdown(shutdown)
        .await
}

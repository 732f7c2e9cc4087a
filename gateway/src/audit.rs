//! The audit trail: every mutating request (POST, PUT, PATCH, DELETE under `/api/`) is
//! recorded with who made it, what route, which resource, the answer's status, the client IP
//! and the request id. Bodies are never recorded (they may hold secrets).
//!
//! Entries go through a bounded channel to one writer task that appends them in batches, so
//! auditing costs a request a channel send, not a database round trip. A full channel makes
//! requests wait (backpressure) rather than drop entries.

use crate::context::RequestId;
use crate::limits::client_ip;
use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use weft_persistence::{AuditEntry, Database};

/// Filled by the authentication extractor (or the login handler) with the principal's label.
#[derive(Clone, Default)]
pub struct AuditSlot(Arc<Mutex<Option<String>>>);

impl AuditSlot {
    pub fn set_principal(&self, label: String) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(label);
    }

    fn principal(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[derive(Clone)]
pub struct AuditSink {
    tx: mpsc::Sender<AuditEntry>,
}

const BATCH: usize = 256;

impl AuditSink {
    /// Starts the writer task.
    pub fn start(db: Arc<dyn Database>) -> Self {
        let (tx, mut rx) = mpsc::channel::<AuditEntry>(4096);
        tokio::spawn(async move {
            let mut buf = Vec::with_capacity(BATCH);
            while rx.recv_many(&mut buf, BATCH).await > 0 {
                let batch = std::mem::take(&mut buf);
                let mut attempt = 0;
                loop {
                    match db.append_audit(batch.clone()).await {
                        Ok(()) => break,
                        Err(e) if e.is_transient() && attempt < 5 => {
                            attempt += 1;
                            tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
                        }
                        Err(e) => {
                            tracing::error!(error = %e, entries = batch.len(), "audit entries could not be written");
                            break;
                        }
                    }
                }
            }
        });
        AuditSink { tx }
    }

    pub async fn record(&self, entry: AuditEntry) {
        if self.tx.send(entry).await.is_err() {
            tracing::error!("the audit writer has stopped");
        }
    }
}

fn is_mutating(m: &Method) -> bool {
    matches!(
        *m,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

pub async fn audit_requests(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_string();
    if !is_mutating(req.method()) || !path.starts_with("/api/") {
        return next.run(req).await;
    }
    let slot = AuditSlot::default();
    req.extensions_mut().insert(slot.clone());
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let ip = client_ip(req.extensions()).to_string();
    let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
    let resp = next.run(req).await;
    let entry = AuditEntry {
        id: 0,
        at: weft_actors::now_ms(),
        principal: slot.principal().unwrap_or_else(|| "anonymous".into()),
        action: format!("{method} {route}"),
        resource: path,
        status: resp.status().as_u16(),
        ip: Some(ip),
        request_id,
        detail: json!({}),
    };
    state.audit.record(entry).await;
    resp
}

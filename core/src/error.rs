//! The error taxonomy every node and the engine speak: a kind that decides retries, and a
//! message for people.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What kind of failure happened. Retries apply to `Transient` and `Timeout` only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// May succeed if tried again (5xx, 429, connection refused, a node that panicked).
    Transient,
    /// Took longer than its limit.
    Timeout,
    /// Will fail again the same way (4xx, `flow.fail`, a bad expression result).
    Permanent,
    /// The node's configuration is wrong.
    Config,
    /// Stopped because the execution was cancelled.
    Cancelled,
}

impl ErrorKind {
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorKind::Transient | ErrorKind::Timeout)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Transient => "transient",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Permanent => "permanent",
            ErrorKind::Config => "config",
            ErrorKind::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed node attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeError {
    pub kind: ErrorKind,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

impl NodeError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            details: None,
        }
    }
    pub fn transient(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Transient, message)
    }
    pub fn timeout(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Timeout, message)
    }
    pub fn permanent(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Permanent, message)
    }
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config, message)
    }
    pub fn cancelled(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Cancelled, message)
    }
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }

    /// The earliest a retry is worth making, in ms from the failure, when the failure says
    /// (`details.retry_after_ms`, e.g. a circuit breaker that is open). The retry waits at
    /// least that long, whatever its backoff says.
    pub fn retry_after_ms(&self) -> Option<u64> {
        self.details.as_ref()?.get("retry_after_ms")?.as_u64()
    }

    /// Whether the attempt was refused before anything reached the target
    /// (`details.refused: true`, e.g. an open circuit breaker). Nothing happened, so a node
    /// with retries does not use up an attempt on it (see the state machine).
    pub fn is_refusal(&self) -> bool {
        self.details
            .as_ref()
            .and_then(|d| d.get("refused"))
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false)
    }

    /// The value a node with `on_error: continue | route` outputs instead of a result.
    pub fn to_output(&self) -> serde_json::Value {
        let mut e = serde_json::json!({"kind": self.kind, "message": self.message});
        if let Some(d) = &self.details {
            e["details"] = d.clone();
        }
        serde_json::json!({ "error": e })
    }
}

impl fmt::Display for NodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for NodeError {}

/// Why an execution did not succeed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionError {
    pub kind: ErrorKind,
    pub message: String,
    /// The node path at fault, when one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

impl ExecutionError {
    pub fn from_node(node: &str, e: &NodeError) -> Self {
        Self {
            kind: e.kind,
            message: e.message.clone(),
            node: Some(node.to_string()),
            details: e.details.clone(),
        }
    }
}

impl fmt::Display for ExecutionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.node {
            Some(n) => write!(f, "node `{n}` failed ({}): {}", self.kind, self.message),
            None => write!(f, "{}: {}", self.kind, self.message),
        }
    }
}

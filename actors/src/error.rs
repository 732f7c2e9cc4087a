//! Errors of the engine handle.

use weft_core::validate::Problem;
use weft_persistence::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{what} `{id}` not found")]
    NotFound { what: &'static str, id: String },
    /// The definition is invalid; every problem is listed.
    #[error("invalid workflow definition ({} problems)", .0.len())]
    Invalid(Vec<Problem>),
    /// The execution already finished (or never can accept this request).
    #[error("execution `{id}` is {status}: {message}")]
    NotActive {
        id: String,
        status: String,
        message: String,
    },
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The engine is shutting down or an actor is gone.
    #[error("engine unavailable: {0}")]
    Unavailable(String),
}

impl EngineError {
    /// The execution has finished (`status`) and takes no more signals or cancellation.
    pub(crate) fn not_active(id: impl ToString, status: impl ToString) -> Self {
        EngineError::NotActive {
            id: id.to_string(),
            status: status.to_string(),
            message: "it no longer accepts signals or cancellation".into(),
        }
    }

    /// Only a failed or timed-out execution can be retried; this one is `status`.
    pub(crate) fn not_retryable(id: impl ToString, status: impl ToString) -> Self {
        EngineError::NotActive {
            id: id.to_string(),
            status: status.to_string(),
            message: "only a failed or timed-out execution can be retried".into(),
        }
    }

    pub(crate) fn from_store(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { what, id } => EngineError::NotFound { what, id },
            other => EngineError::Store(other),
        }
    }
}

impl<T> From<ractor::MessagingErr<T>> for EngineError {
    fn from(e: ractor::MessagingErr<T>) -> Self {
        EngineError::Unavailable(format!("engine actor unreachable: {e}"))
    }
}

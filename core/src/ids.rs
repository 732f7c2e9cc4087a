//! Identifiers and time as plain values, so the state machine never reads a clock.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// Wall-clock time in milliseconds since the Unix epoch. The shell reads the clock and hands
/// the value in; core never does.
pub type Millis = i64;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new, time-ordered id (UUID v7), so ids sort roughly by creation.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// Parses the textual form; the error names what was expected.
            pub fn parse(s: &str) -> Result<Self, String> {
                Uuid::parse_str(s.trim())
                    .map(Self)
                    .map_err(|_| format!("`{s}` is not a valid id (expected a UUID)"))
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

uuid_id!(
    /// Identifies one workflow (all its versions).
    WorkflowId
);
uuid_id!(
    /// Identifies one execution. Executions are always addressed by id, never by actor
    /// reference, so a shard router can sit in front of them.
    ExecutionId
);

impl ExecutionId {
    /// The id of the child execution started by `node_path` of this execution. Deterministic,
    /// so re-dispatching a `flow.call` after a crash finds the same child instead of
    /// starting a second one.
    pub fn child(&self, node_path: &str) -> ExecutionId {
        ExecutionId(Uuid::new_v5(&self.0, node_path.as_bytes()))
    }
}

/// Where a node run sits in an execution: its id, prefixed by the loop iterations that
/// contain it, e.g. `each[2]/square`. Stable across attempts, so
/// `{execution_id}/{node_path}` is the node activation's idempotency key.
pub type NodePath = String;

/// Joins a frame prefix (`""` or `each[2]/`) and a node id into a node path.
pub fn node_path(prefix: &str, node_id: &str) -> NodePath {
    let mut p = String::with_capacity(prefix.len() + node_id.len());
    p.push_str(prefix);
    p.push_str(node_id);
    p
}

/// The prefix of the frame for iteration `index` of the loop node at `loop_path`.
pub fn iteration_prefix(loop_path: &str, index: usize) -> String {
    format!("{loop_path}[{index}]/")
}

/// The idempotency key of a node activation: `{execution_id}/{node_path}`.
pub fn idempotency_key(execution: ExecutionId, node_path: &str) -> String {
    format!("{execution}/{node_path}")
}

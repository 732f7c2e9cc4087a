//! weft-core: the part of Weft that has no IO.
//!
//! Workflow definitions and their validation, jq expressions and `{{ }}` templates, the events
//! of an execution, and the pure execution state machine (`apply(event)` / `decide(now)`).
//! Everything here is deterministic so that replaying an execution's event log rebuilds its
//! state exactly; the actor shell in `weft-actors` performs the effects.

pub mod catalog;
pub mod definition;
pub mod diff;
pub mod error;
pub mod event;
pub mod expr;
pub mod graph;
pub mod ids;
pub mod machine;
pub mod retry;
pub mod validate;

pub use catalog::{NodeCatalog, NodeSpec, Ports};
pub use definition::{Definition, EdgeDef, NodeDef, OnError, Settings};
pub use error::{ErrorKind, ExecutionError, NodeError};
pub use event::{Event, EventEnvelope, ExecutionStatus, LogLevel, LogLine};
pub use graph::{CompiledWorkflow, compile_text, validate};
pub use machine::{Command, ExecutionState, NodeTask};

pub use ids::{ExecutionId, Millis, NodePath, WorkflowId};

pub use retry::{Jitter, RetryPolicy};
pub use validate::Problem;

//! The events of an execution: its durable history. Replaying them through
//! `ExecutionState::apply` rebuilds the state exactly.

use crate::error::{ExecutionError, NodeError};
use crate::ids::{ExecutionId, Millis, NodePath, WorkflowId};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// The lifecycle of an execution: queued → running ⇄ waiting → a terminal status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecutionStatus {
    Queued,
    Running,
    /// Nothing runs; it waits for a timer, a signal or a child execution.
    Waiting,
    Succeeded,
    Failed,
    Cancelled,
    TimedOut,
}

impl ExecutionStatus {
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            ExecutionStatus::Succeeded
                | ExecutionStatus::Failed
                | ExecutionStatus::Cancelled
                | ExecutionStatus::TimedOut
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionStatus::Queued => "queued",
            ExecutionStatus::Running => "running",
            ExecutionStatus::Waiting => "waiting",
            ExecutionStatus::Succeeded => "succeeded",
            ExecutionStatus::Failed => "failed",
            ExecutionStatus::Cancelled => "cancelled",
            ExecutionStatus::TimedOut => "timed_out",
        }
    }

    pub fn parse(s: &str) -> Option<ExecutionStatus> {
        Some(match s {
            "queued" => ExecutionStatus::Queued,
            "running" => ExecutionStatus::Running,
            "waiting" => ExecutionStatus::Waiting,
            "succeeded" => ExecutionStatus::Succeeded,
            "failed" => ExecutionStatus::Failed,
            "cancelled" => ExecutionStatus::Cancelled,
            "timed_out" => ExecutionStatus::TimedOut,
            _ => return None,
        })
    }

    pub const ALL: [ExecutionStatus; 7] = [
        ExecutionStatus::Queued,
        ExecutionStatus::Running,
        ExecutionStatus::Waiting,
        ExecutionStatus::Succeeded,
        ExecutionStatus::Failed,
        ExecutionStatus::Cancelled,
        ExecutionStatus::TimedOut,
    ];
}

impl fmt::Display for ExecutionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The execution that started this one with `flow.call`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParentLink {
    pub execution_id: ExecutionId,
    pub node: NodePath,
}

/// One thing that happened to an execution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// Always the first event (seq 1).
    ExecutionStarted {
        workflow_id: WorkflowId,
        version: u32,
        input: Value,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parent: Option<ParentLink>,
        /// The trigger node that started it; `None` starts every trigger.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        trigger: Option<String>,
    },
    /// Written before the node's actor starts (write-ahead).
    NodeScheduled {
        node: NodePath,
        attempt: u32,
    },
    /// The node finished with `output`, activating `ports`.
    NodeCompleted {
        node: NodePath,
        output: Value,
        ports: Vec<String>,
    },
    /// One attempt failed. `seed` draws the retry jitter, so replay computes the same
    /// retry time.
    NodeAttemptFailed {
        node: NodePath,
        attempt: u32,
        error: NodeError,
        seed: u64,
    },
    /// All incoming edges of the node were dead (dead-path elimination).
    NodeSkipped {
        node: NodePath,
    },
    /// A `flow.wait` armed its durable timer.
    TimerStarted {
        node: NodePath,
        due_at: Millis,
    },
    /// A `flow.signal` started waiting for `name`.
    SignalAwaited {
        node: NodePath,
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout_at: Option<Millis>,
    },
    /// A signal arrived from outside (buffered if nothing waits for it yet).
    SignalReceived {
        name: String,
        payload: Value,
    },
    /// A `flow.call` started its child execution (one child per attempt).
    ChildStarted {
        node: NodePath,
        child_id: ExecutionId,
        workflow_id: WorkflowId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        version: Option<u32>,
        input: Value,
    },
    /// A `flow.for_each` or `flow.while` started; `items` for `for_each`.
    LoopStarted {
        node: NodePath,
        /// The loop node's `prev`: what the first `flow.while` iteration sees as `prev`.
        input: Value,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        items: Option<Vec<Value>>,
    },
    IterationStarted {
        node: NodePath,
        index: usize,
    },
    IterationCompleted {
        node: NodePath,
        index: usize,
        output: Value,
    },
    /// Someone asked to cancel.
    CancelRequested {
        reason: String,
    },
    /// Always the last event.
    ExecutionFinished {
        status: ExecutionStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        output: Option<Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<ExecutionError>,
    },
}

impl Event {
    /// The `type` tag, as stored and streamed.
    pub fn type_name(&self) -> &'static str {
        match self {
            Event::ExecutionStarted { .. } => "execution_started",
            Event::NodeScheduled { .. } => "node_scheduled",
            Event::NodeCompleted { .. } => "node_completed",
            Event::NodeAttemptFailed { .. } => "node_attempt_failed",
            Event::NodeSkipped { .. } => "node_skipped",
            Event::TimerStarted { .. } => "timer_started",
            Event::SignalAwaited { .. } => "signal_awaited",
            Event::SignalReceived { .. } => "signal_received",
            Event::ChildStarted { .. } => "child_started",
            Event::LoopStarted { .. } => "loop_started",
            Event::IterationStarted { .. } => "iteration_started",
            Event::IterationCompleted { .. } => "iteration_completed",
            Event::CancelRequested { .. } => "cancel_requested",
            Event::ExecutionFinished { .. } => "execution_finished",
        }
    }

    /// The node path the event is about, if any.
    pub fn node(&self) -> Option<&str> {
        match self {
            Event::NodeScheduled { node, .. }
            | Event::NodeCompleted { node, .. }
            | Event::NodeAttemptFailed { node, .. }
            | Event::NodeSkipped { node }
            | Event::TimerStarted { node, .. }
            | Event::SignalAwaited { node, .. }
            | Event::ChildStarted { node, .. }
            | Event::LoopStarted { node, .. }
            | Event::IterationStarted { node, .. }
            | Event::IterationCompleted { node, .. } => Some(node),
            _ => None,
        }
    }

    /// The event's fields without its `type` tag (the `data` of the stream format).
    pub fn data(&self) -> Value {
        let mut v = serde_json::to_value(self).expect("events always serialize");
        if let Some(o) = v.as_object_mut() {
            o.remove("type");
        }
        v
    }

    /// Rebuilds an event from its stored `type` and `data`.
    pub fn from_parts(type_name: &str, data: Value) -> Result<Event, serde_json::Error> {
        let mut data = data;
        match data.as_object_mut() {
            Some(o) => {
                o.insert("type".into(), Value::String(type_name.to_string()));
            }
            None => {
                data = serde_json::json!({ "type": type_name });
            }
        }
        serde_json::from_value(data)
    }
}

/// An event with its position in the execution's log and when it happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventEnvelope {
    /// 1-based, gap-free within an execution.
    pub seq: u64,
    pub at: Millis,
    pub event: Event,
}

impl EventEnvelope {
    /// The stream format of the brief: `{seq, type, node_id, at, data}`.
    pub fn to_stream_json(&self) -> Value {
        serde_json::json!({
            "seq": self.seq,
            "type": self.event.type_name(),
            "node_id": self.event.node(),
            "at": self.at,
            "data": self.event.data(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_through_type_and_data() {
        let e = Event::NodeCompleted {
            node: "each[1]/sq".into(),
            output: serde_json::json!(4),
            ports: vec!["main".into()],
        };
        let back = Event::from_parts(e.type_name(), e.data()).unwrap();
        assert_eq!(e, back);
        let c = Event::CancelRequested { reason: "x".into() };
        assert_eq!(Event::from_parts(c.type_name(), c.data()).unwrap(), c);
    }
}

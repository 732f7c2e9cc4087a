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

/// How much a log line matters. Ordered: `Debug < Info < Warn < Error`, so "at least `warn`"
/// is a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
}

impl LogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        }
    }

    /// `debug`, `info`, `warn` or `error` (any case); `None` for anything else.
    pub fn parse(s: &str) -> Option<LogLevel> {
        Some(match s.to_ascii_lowercase().as_str() {
            "debug" => LogLevel::Debug,
            "info" => LogLevel::Info,
            "warn" => LogLevel::Warn,
            "error" => LogLevel::Error,
            _ => return None,
        })
    }
}

impl fmt::Display for LogLevel {
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
        /// The caller's id for the request that started it (e.g. a webhook's request id),
        /// carried into the execution's logs.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        correlation_id: Option<String>,
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
    /// A failed or timed-out execution runs again: `nodes` (the failed nodes, and those whose
    /// work was cut off when it ended) are reset to never having run; everything that
    /// completed keeps its output.
    ExecutionRetried {
        nodes: Vec<NodePath>,
    },
    /// A log line written by a node (or the engine). Changes no state.
    Log {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        node: Option<NodePath>,
        level: LogLevel,
        message: String,
        #[serde(default, skip_serializing_if = "Value::is_null")]
        fields: Value,
    },
    /// The last event, unless the execution is retried.
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
            Event::ExecutionRetried { .. } => "execution_retried",
            Event::Log { .. } => "log",
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
            Event::Log { node, .. } => node.as_deref(),
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

/// One event rendered as a line of an execution's log: what `GET /executions/{id}/logs`
/// lists. Node logs (`Event::Log`) come out as written; every other event as a sentence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogLine {
    pub seq: u64,
    pub at: Millis,
    pub level: LogLevel,
    /// The node path the line is about; `null` for the execution itself.
    pub node: Option<NodePath>,
    pub message: String,
    /// Structured details: a node log's own fields, or e.g. an error's kind and details.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub fields: Value,
}

impl EventEnvelope {
    /// The event as a log line. Pure: the same event always renders the same line.
    pub fn log_line(&self) -> Option<LogLine> {
        use serde_json::json;
        let (level, message, fields) = match &self.event {
            Event::ExecutionStarted {
                workflow_id,
                version,
                parent,
                trigger,
                correlation_id,
                ..
            } => {
                let mut m = format!("execution started (workflow {workflow_id} version {version}");
                if let Some(t) = trigger {
                    m.push_str(&format!(", trigger {t}"));
                }
                if let Some(p) = parent {
                    m.push_str(&format!(
                        ", called by execution {} node {}",
                        p.execution_id, p.node
                    ));
                }
                m.push(')');
                let fields = match correlation_id {
                    Some(c) => json!({ "correlation_id": c }),
                    None => Value::Null,
                };
                (LogLevel::Info, m, fields)
            }
            Event::NodeScheduled { node, attempt } => (
                LogLevel::Info,
                format!("node {node} scheduled (attempt {attempt})"),
                Value::Null,
            ),
            Event::NodeCompleted { node, ports, .. } => {
                let ports = if ports.is_empty() {
                    "no ports".to_string()
                } else {
                    format!("ports {}", ports.join(", "))
                };
                (
                    LogLevel::Info,
                    format!("node {node} completed ({ports})"),
                    Value::Null,
                )
            }
            Event::NodeAttemptFailed {
                node,
                attempt,
                error,
                ..
            } => {
                // A retryable failure may well be followed by a successful attempt.
                let level = if error.kind.is_retryable() {
                    LogLevel::Warn
                } else {
                    LogLevel::Error
                };
                let mut fields = json!({ "kind": error.kind });
                if let Some(d) = &error.details {
                    fields["details"] = d.clone();
                }
                (
                    level,
                    format!(
                        "node {node} attempt {attempt} failed ({}): {}",
                        error.kind, error.message
                    ),
                    fields,
                )
            }
            Event::NodeSkipped { node } => (
                LogLevel::Debug,
                format!("node {node} skipped (no incoming edge was activated)"),
                Value::Null,
            ),
            Event::TimerStarted { node, due_at } => (
                LogLevel::Info,
                format!("node {node} waits for its timer"),
                json!({ "due_at": due_at }),
            ),
            Event::SignalAwaited {
                node,
                name,
                timeout_at,
            } => (
                LogLevel::Info,
                format!("node {node} waits for signal {name}"),
                match timeout_at {
                    Some(t) => json!({ "timeout_at": t }),
                    None => Value::Null,
                },
            ),
            Event::SignalReceived { name, .. } => (
                LogLevel::Info,
                format!("signal {name} received"),
                Value::Null,
            ),
            Event::ChildStarted {
                node,
                child_id,
                workflow_id,
                ..
            } => (
                LogLevel::Info,
                format!("node {node} started child execution {child_id}"),
                json!({ "child_id": child_id, "workflow_id": workflow_id }),
            ),
            Event::LoopStarted { node, items, .. } => {
                let m = match items {
                    Some(items) => format!("loop {node} started ({} items)", items.len()),
                    None => format!("loop {node} started"),
                };
                (LogLevel::Info, m, Value::Null)
            }
            Event::IterationStarted { node, index } => (
                LogLevel::Debug,
                format!("loop {node} iteration {index} started"),
                Value::Null,
            ),
            Event::IterationCompleted { node, index, .. } => (
                LogLevel::Debug,
                format!("loop {node} iteration {index} completed"),
                Value::Null,
            ),
            Event::CancelRequested { reason } => (
                LogLevel::Info,
                format!("cancel requested: {reason}"),
                Value::Null,
            ),
            Event::ExecutionRetried { nodes } => {
                let m = if nodes.is_empty() {
                    "execution retried".to_string()
                } else {
                    format!("execution retried (nodes run again: {})", nodes.join(", "))
                };
                (LogLevel::Info, m, Value::Null)
            }
            Event::Log {
                level,
                message,
                fields,
                ..
            } => (*level, message.clone(), fields.clone()),
            Event::ExecutionFinished { status, error, .. } => {
                let level = match status {
                    ExecutionStatus::Failed | ExecutionStatus::TimedOut => LogLevel::Error,
                    _ => LogLevel::Info,
                };
                let m = match error {
                    Some(e) => format!("execution {status}: {e}"),
                    None => format!("execution {status}"),
                };
                (level, m, Value::Null)
            }
        };
        Some(LogLine {
            seq: self.seq,
            at: self.at,
            level,
            node: self.event.node().map(str::to_string),
            message,
            fields,
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
        let log = Event::Log {
            node: Some("a".into()),
            level: LogLevel::Warn,
            message: "careful".into(),
            fields: serde_json::json!({"n": 1}),
        };
        assert_eq!(Event::from_parts(log.type_name(), log.data()).unwrap(), log);
        // Fields are optional in the stored form.
        let bare = serde_json::json!({"level": "info", "message": "hi"});
        assert_eq!(
            Event::from_parts("log", bare).unwrap(),
            Event::Log {
                node: None,
                level: LogLevel::Info,
                message: "hi".into(),
                fields: Value::Null
            }
        );
        let r = Event::ExecutionRetried {
            nodes: vec!["x".into()],
        };
        assert_eq!(Event::from_parts(r.type_name(), r.data()).unwrap(), r);
    }

    fn line(event: Event) -> LogLine {
        EventEnvelope {
            seq: 4,
            at: 1_000,
            event,
        }
        .log_line()
        .expect("every event renders")
    }

    #[test]
    fn events_render_as_log_lines() {
        let l = line(Event::NodeScheduled {
            node: "each[1]/get".into(),
            attempt: 2,
        });
        assert_eq!(
            (l.seq, l.at, l.level, l.node.as_deref(), l.message.as_str()),
            (
                4,
                1_000,
                LogLevel::Info,
                Some("each[1]/get"),
                "node each[1]/get scheduled (attempt 2)"
            )
        );
        let l = line(Event::NodeCompleted {
            node: "if".into(),
            output: Value::Null,
            ports: vec!["true".into()],
        });
        assert_eq!(l.message, "node if completed (ports true)");
        let l = line(Event::NodeAttemptFailed {
            node: "get".into(),
            attempt: 1,
            error: NodeError::transient("503"),
            seed: 1,
        });
        assert_eq!(l.level, LogLevel::Warn);
        assert_eq!(l.message, "node get attempt 1 failed (transient): 503");
        assert_eq!(l.fields["kind"], "transient");
        let l = line(Event::NodeAttemptFailed {
            node: "get".into(),
            attempt: 3,
            error: NodeError::permanent("404"),
            seed: 1,
        });
        assert_eq!(l.level, LogLevel::Error);
        assert_eq!(
            line(Event::NodeSkipped { node: "no".into() }).level,
            LogLevel::Debug
        );
        let l = line(Event::Log {
            node: Some("say".into()),
            level: LogLevel::Warn,
            message: "low stock".into(),
            fields: serde_json::json!({"sku": 7}),
        });
        assert_eq!(
            (l.level, l.node.as_deref(), l.message.as_str(), &l.fields),
            (
                LogLevel::Warn,
                Some("say"),
                "low stock",
                &serde_json::json!({"sku": 7})
            )
        );
        let l = line(Event::ExecutionFinished {
            status: ExecutionStatus::Failed,
            output: None,
            error: Some(ExecutionError::from_node(
                "get",
                &NodeError::permanent("404"),
            )),
        });
        assert_eq!(
            (l.level, l.node, l.message.as_str()),
            (
                LogLevel::Error,
                None,
                "execution failed: node `get` failed (permanent): 404"
            )
        );
        let l = line(Event::ExecutionRetried {
            nodes: vec!["get".into()],
        });
        assert_eq!(
            (l.level, l.message.as_str()),
            (LogLevel::Info, "execution retried (nodes run again: get)")
        );
        // The JSON form the gateway serves: node is null for execution-level lines.
        let json = serde_json::to_value(line(Event::CancelRequested {
            reason: "stop".into(),
        }))
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"seq": 4, "at": 1_000, "level": "info", "node": null,
                               "message": "cancel requested: stop"})
        );
    }

    #[test]
    fn log_levels_order_and_parse() {
        assert!(LogLevel::Debug < LogLevel::Info && LogLevel::Warn < LogLevel::Error);
        assert_eq!(LogLevel::parse("WARN"), Some(LogLevel::Warn));
        assert_eq!(LogLevel::parse("fatal"), None);
        assert_eq!(serde_json::to_value(LogLevel::Error).unwrap(), "error");
    }
}

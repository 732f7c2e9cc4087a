//! Utility node types: things a workflow does for the people watching it, not for its data.
//!
//! `util.log` writes a line to the execution's log (served by the API and shown in the
//! designer) and passes its input on unchanged, so it can sit anywhere in a flow.
//! `util.noop` does nothing at all: a named junction to hang edges on, a placeholder while a
//! flow is being drawn, or a place to pin a value in the designer.

use crate::config::{object_schema, parse_config};
use crate::{LogLevel, Node, NodeInput, NodeLog, NodeOutput};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Value, json};
use weft_core::{NodeError, NodeSpec, Ports};

/// `util.log`: writes one log line and outputs `prev` unchanged.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogNode;

impl LogNode {
    pub const TYPE: &'static str = "util.log";
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LogConfig {
    message: Value,
    #[serde(default = "info")]
    level: LogLevel,
}

fn info() -> LogLevel {
    LogLevel::Info
}

#[async_trait]
impl Node for LogNode {
    fn runs_inline(&self) -> bool {
        true
    }

    fn spec(&self) -> NodeSpec {
        NodeSpec {
            type_name: Self::TYPE.to_string(),
            category: "util".to_string(),
            description: "Writes a line to the execution's log and outputs the incoming value \
                          unchanged."
                .to_string(),
            trigger: false,
            ports: Ports::main(),
            schema: object_schema(
                "Log",
                json!({
                    "message": {
                        // No `type`: a template that renders to a number or an object is
                        // logged as its JSON text rather than refused.
                        "title": "Message",
                        "description": "The line to write; may hold {{ }} templates, e.g. \
                                        \"order {{ .input.id }} received\". A value that is \
                                        not a string is written as JSON.",
                        "examples": ["order {{ .input.id }} received"]
                    },
                    "level": {
                        "type": "string",
                        "title": "Level",
                        "description": "How much the line matters.",
                        "enum": ["debug", "info", "warn", "error"],
                        "default": "info"
                    }
                }),
                &["message"],
            ),
            filter_fields: Vec::new(),
            raw_fields: Vec::new(),
            default_retry: None,
        }
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let config: LogConfig = parse_config(Self::TYPE, &input.config)?;
        let message = match config.message {
            Value::String(s) => s,
            other => other.to_string(),
        };
        Ok(NodeOutput::main(input.prev().clone()).with_log(NodeLog::new(config.level, message)))
    }
}

/// `util.noop`: outputs `prev` unchanged.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopNode;

impl NoopNode {
    pub const TYPE: &'static str = "util.noop";
}

#[async_trait]
impl Node for NoopNode {
    fn runs_inline(&self) -> bool {
        true
    }

    fn spec(&self) -> NodeSpec {
        NodeSpec {
            type_name: Self::TYPE.to_string(),
            category: "util".to_string(),
            description: "Does nothing: outputs the incoming value unchanged. A junction to \
                          join or fan out edges, or a placeholder while drawing a flow."
                .to_string(),
            trigger: false,
            ports: Ports::main(),
            schema: object_schema("No operation", json!({}), &[]),
            filter_fields: Vec::new(),
            raw_fields: Vec::new(),
            default_retry: None,
        }
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        // No config is expected; the schema (no properties, none extra) refused any field.
        Ok(NodeOutput::main(input.prev().clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{TestInput, run};

    #[tokio::test]
    async fn logs_the_rendered_message_and_passes_prev_on() {
        let out = run(
            &LogNode,
            TestInput::new(
                json!({"message": "order {{ .input.id }} for {{ .prev.who }}",
                                  "level": "warn"}),
            )
            .input(json!({"id": 7}))
            .prev(json!({"who": "ada"})),
        )
        .await
        .unwrap();
        assert_eq!(out.output, json!({"who": "ada"}));
        assert_eq!(out.ports, vec!["main"]);
        assert_eq!(
            out.logs,
            vec![NodeLog::new(LogLevel::Warn, "order 7 for ada")]
        );
    }

    #[tokio::test]
    async fn the_level_defaults_to_info_and_values_are_written_as_json() {
        let out = run(
            &LogNode,
            TestInput::new(json!({"message": "{{ .input }}"})).input(json!({"a": [1, 2]})),
        )
        .await
        .unwrap();
        assert_eq!(out.logs[0].level, LogLevel::Info);
        assert_eq!(out.logs[0].message, r#"{"a":[1,2]}"#);
        assert_eq!(out.output, Value::Null, "no prev: null passes on");
    }

    #[tokio::test]
    async fn a_bad_level_or_a_missing_message_is_a_config_error() {
        for config in [
            json!({"message": "x", "level": "loud"}),
            json!({"level": "info"}),
            json!({"message": "x", "extra": 1}),
        ] {
            let e = run(&LogNode, TestInput::new(config.clone()))
                .await
                .unwrap_err();
            assert_eq!(e.kind, weft_core::ErrorKind::Config, "{config}: {e}");
        }
    }
}

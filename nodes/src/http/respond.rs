//! `http.respond`: the answer to the HTTP request that started a webhook execution.
//!
//! The node has no side effect: it renders `{status, headers, body}` as its output, and the
//! gateway, which holds the webhook's request open (`trigger.webhook` with
//! `response: respond_node`), turns that output into the HTTP response. Keeping the socket
//! in the gateway leaves the node pure and the execution durable: a retried or re-dispatched
//! `http.respond` renders the same answer again.

use crate::config::{object_schema, parse_config};
use crate::{Node, NodeInput, NodeOutput};
use async_trait::async_trait;
use reqwest::header::{HeaderName, HeaderValue};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use weft_core::catalog::ConfigProblem;
use weft_core::definition::escape_pointer;
use weft_core::expr::Template;
use weft_core::{NodeError, NodeSpec, Ports};

/// `http.respond`: outputs the webhook response `{status, headers, body}`.
#[derive(Debug, Clone, Copy, Default)]
pub struct RespondNode;

impl RespondNode {
    pub const TYPE: &'static str = "http.respond";
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RespondConfig {
    #[serde(default = "ok")]
    status: u16,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    /// Absent: `prev`. Present (even `null`): exactly that.
    #[serde(default, deserialize_with = "present")]
    body: Option<Value>,
}

fn ok() -> u16 {
    200
}

/// Tells an explicit `null` (`Some(Null)`) from an absent field (`None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

fn header_problem(name: &str, value: Option<&str>) -> Option<&'static str> {
    if HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Some("not a valid header name");
    }
    match value {
        Some(v) if HeaderValue::from_str(v).is_err() => Some("not a valid header value"),
        _ => None,
    }
}

#[async_trait]
impl Node for RespondNode {
    fn runs_inline(&self) -> bool {
        true
    }

    fn spec(&self) -> NodeSpec {
        NodeSpec {
            type_name: Self::TYPE.to_string(),
            category: "http".to_string(),
            description: "Answers the HTTP request that started the workflow (a trigger.webhook \
                          with response: respond_node). Outputs {status, headers, body}; the \
                          body defaults to the incoming value."
                .to_string(),
            trigger: false,
            ports: Ports::main(),
            schema: object_schema(
                "HTTP response",
                json!({
                    "status": {
                        "type": "integer",
                        "title": "Status",
                        "description": "The HTTP status code, 100 to 599; may be a {{ }} \
                                        template giving a number.",
                        "minimum": 100,
                        "maximum": 599,
                        "default": 200
                    },
                    "headers": {
                        "type": "object",
                        "title": "Headers",
                        "description": "Response headers; values may be {{ }} templates.",
                        "additionalProperties": {"type": "string"},
                        "default": {}
                    },
                    "body": {
                        "title": "Body",
                        "description": "The response body: a string is sent as text, any \
                                        other JSON value as JSON. Defaults to the incoming \
                                        value (prev)."
                    }
                }),
                &[],
            ),
            filter_fields: Vec::new(),
            raw_fields: Vec::new(),
            default_retry: None,
        }
    }

    fn check_config(&self, config: &Value) -> Vec<ConfigProblem> {
        let Some(headers) = config.get("headers").and_then(Value::as_object) else {
            return Vec::new();
        };
        headers
            .iter()
            .filter_map(|(name, value)| {
                let literal = value.as_str().filter(|v| !Template::is_template(v));
                header_problem(name, literal).map(|message| ConfigProblem {
                    pointer: format!("/headers/{}", escape_pointer(name)),
                    message: message.to_string(),
                })
            })
            .collect()
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let config: RespondConfig = parse_config(Self::TYPE, &input.config)?;
        if !(100..=599).contains(&config.status) {
            return Err(NodeError::config(format!(
                "invalid {} config: /status: {} is not an HTTP status (100 to 599)",
                Self::TYPE,
                config.status
            )));
        }
        let mut headers = Map::new();
        for (name, value) in config.headers {
            if let Some(problem) = header_problem(&name, Some(&value)) {
                return Err(NodeError::config(format!(
                    "invalid {} config: /headers/{}: {problem}",
                    Self::TYPE,
                    escape_pointer(&name)
                )));
            }
            headers.insert(name, Value::String(value));
        }
        let body = config.body.unwrap_or_else(|| input.prev().clone());
        Ok(NodeOutput::main(
            json!({"status": config.status, "headers": headers, "body": body}),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{TestInput, run};

    #[tokio::test]
    async fn renders_status_headers_and_body() {
        let out = run(
            &RespondNode,
            TestInput::new(json!({
                "status": "{{ .prev.code }}",
                "headers": {"x-order": "{{ .prev.id | tostring }}"},
                "body": {"ok": true, "id": "{{ .prev.id }}"}
            }))
            .prev(json!({"code": 201, "id": 7})),
        )
        .await
        .unwrap();
        assert_eq!(
            out.output,
            json!({"status": 201, "headers": {"x-order": "7"}, "body": {"ok": true, "id": 7}})
        );
    }

    #[tokio::test]
    async fn defaults_to_200_and_the_incoming_value() {
        let out = run(&RespondNode, TestInput::new(json!({})).prev(json!([1, 2])))
            .await
            .unwrap();
        assert_eq!(
            out.output,
            json!({"status": 200, "headers": {}, "body": [1, 2]})
        );
        // An explicit null body is an empty body, not prev.
        let out = run(
            &RespondNode,
            TestInput::new(json!({"status": 204, "body": null})).prev(json!("x")),
        )
        .await
        .unwrap();
        assert_eq!(out.output["body"], Value::Null);
    }

    #[tokio::test]
    async fn bad_statuses_and_headers_are_config_errors() {
        for config in [
            json!({"status": 99}),
            json!({"status": 600}),
            json!({"status": "{{ \"ok\" }}"}),
            json!({"headers": {"bad name": "x"}}),
            json!({"headers": {"x": "{{ \"a\\nb\" }}"}}),
        ] {
            let e = run(&RespondNode, TestInput::new(config.clone()))
                .await
                .unwrap_err();
            assert_eq!(e.kind, weft_core::ErrorKind::Config, "{config}: {e}");
        }
        let p = RespondNode.check_config(&json!({"headers": {"bad name": "x", "ok": "{{ .x }}"}}));
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].pointer, "/headers/bad name");
    }
}

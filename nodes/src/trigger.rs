//! Trigger node types: where an execution starts.
//!
//! `trigger.manual` covers every start that carries its input with it (the REST API, the CLI,
//! the designer's "run" button); `trigger.webhook` a start by an HTTP request the gateway
//! routes by path. Scheduled triggers will live here too.

use crate::config::{object_schema, parse_config};
use crate::{Node, NodeInput, NodeOutput};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Value, json};
use weft_core::catalog::ConfigProblem;
use weft_core::expr::Template;
use weft_core::{NodeError, NodeSpec, Ports};

/// `trigger.manual`: outputs the execution's input.
#[derive(Debug, Clone, Copy, Default)]
pub struct ManualTrigger;

impl ManualTrigger {
    pub const TYPE: &'static str = "trigger.manual";
}

#[async_trait]
impl Node for ManualTrigger {
    fn runs_inline(&self) -> bool {
        true
    }

    fn spec(&self) -> NodeSpec {
        NodeSpec {
            type_name: Self::TYPE.to_string(),
            category: "trigger".to_string(),
            description: "Starts the workflow when it is run through the API, the CLI or the \
                          designer. Outputs the execution input."
                .to_string(),
            trigger: true,
            ports: Ports::main(),
            schema: object_schema("Manual trigger", json!({}), &[]),
            filter_fields: Vec::new(),
            raw_fields: Vec::new(),
            default_retry: None,
        }
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let output = input.context.get("input").cloned().unwrap_or(Value::Null);
        Ok(NodeOutput::main(output))
    }
}

/// `trigger.webhook`: starts the workflow when an HTTP request reaches `/hooks/{path}`.
///
/// The gateway does the HTTP part: it routes the request by `path` and `method`, starts the
/// execution with this trigger and the input `{method, path, headers, query, body}`, and
/// answers either at once (`response: immediate`, 202 with the execution id) or with what an
/// `http.respond` node outputs (`response: respond_node`), waiting at most `timeout_ms`. The
/// node itself only outputs the execution input, like `trigger.manual`.
#[derive(Debug, Clone, Copy, Default)]
pub struct WebhookTrigger;

impl WebhookTrigger {
    pub const TYPE: &'static str = "trigger.webhook";

    /// The config with its defaults filled in, for the gateway's routing table.
    pub fn parse_config(config: &Value) -> Result<WebhookConfig, NodeError> {
        let c: WebhookConfig = parse_config(Self::TYPE, config)?;
        let invalid = |pointer: &str, problem: String| {
            NodeError::config(format!(
                "invalid {} config: {pointer}: {problem}",
                Self::TYPE
            ))
        };
        if let Some(problem) = path_problem(&c.path) {
            return Err(invalid("/path", problem));
        }
        if !(1..=WEBHOOK_MAX_TIMEOUT_MS).contains(&c.timeout_ms) {
            return Err(invalid(
                "/timeout_ms",
                format!("must be between 1 and {WEBHOOK_MAX_TIMEOUT_MS}"),
            ));
        }
        Ok(c)
    }
}

/// Longest wait for an `http.respond` node the config may ask for.
pub const WEBHOOK_MAX_TIMEOUT_MS: u64 = 300_000;

/// A `trigger.webhook` config, defaults applied.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Served at `/hooks/{path}`; no leading slash.
    pub path: String,
    #[serde(default)]
    pub method: WebhookMethod,
    #[serde(default)]
    pub response: WebhookResponse,
    #[serde(default = "default_webhook_timeout")]
    pub timeout_ms: u64,
}

fn default_webhook_timeout() -> u64 {
    30_000
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum WebhookMethod {
    Get,
    #[default]
    Post,
    Put,
    Patch,
    Delete,
}

impl WebhookMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookMethod::Get => "GET",
            WebhookMethod::Post => "POST",
            WebhookMethod::Put => "PUT",
            WebhookMethod::Patch => "PATCH",
            WebhookMethod::Delete => "DELETE",
        }
    }
}

/// When the gateway answers the webhook's HTTP request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookResponse {
    /// At once, once the execution is stored (202 with its id).
    #[default]
    Immediate,
    /// With the output of the execution's `http.respond` node.
    RespondNode,
}

/// Why a webhook path cannot be served, if it cannot.
fn path_problem(path: &str) -> Option<String> {
    if let Some(p) = structural_problem(path) {
        return Some(p);
    }
    if path.is_empty() {
        return Some("must not be empty".into());
    }
    path.chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "._~/-".contains(*c)))
        .map(|c| format!("{c:?} is not allowed: use letters, digits and . _ ~ / -"))
}

/// The rules the schema's character pattern cannot say well (or at all).
fn structural_problem(path: &str) -> Option<String> {
    if Template::is_template(path) {
        return Some(
            "must be a fixed path: requests are routed by it before anything is rendered".into(),
        );
    }
    if path.starts_with('/') {
        let bare = path.trim_start_matches('/');
        return Some(format!(
            "must not start with `/` (it is served below /hooks/): write {bare:?}"
        ));
    }
    if path.contains("..") {
        return Some("must not contain `..`".into());
    }
    None
}

#[async_trait]
impl Node for WebhookTrigger {
    fn runs_inline(&self) -> bool {
        true
    }

    fn spec(&self) -> NodeSpec {
        NodeSpec {
            type_name: Self::TYPE.to_string(),
            category: "trigger".to_string(),
            description: "Starts the workflow when an HTTP request arrives at /hooks/{path}. \
                          Outputs the execution input: {method, path, headers, query, body}. \
                          The request is answered at once, or with the output of an \
                          http.respond node (response: respond_node)."
                .to_string(),
            trigger: true,
            ports: Ports::main(),
            schema: object_schema(
                "Webhook trigger",
                json!({
                    "path": {
                        "type": "string",
                        "title": "Path",
                        "description": "Where the webhook is served, below /hooks/: letters, \
                                        digits and . _ ~ / -, no leading slash, no `..`.",
                        "minLength": 1,
                        "maxLength": 200,
                        "pattern": "^[A-Za-z0-9._~/-]+$",
                        "examples": ["orders/new"]
                    },
                    "method": {
                        "type": "string",
                        "title": "Method",
                        "description": "The HTTP method the webhook accepts.",
                        "enum": ["GET", "POST", "PUT", "PATCH", "DELETE"],
                        "default": "POST"
                    },
                    "response": {
                        "type": "string",
                        "title": "Response",
                        "description": "`immediate`: answer 202 with the execution id as \
                                        soon as it is stored; `respond_node`: answer with \
                                        what the workflow's http.respond node outputs.",
                        "enum": ["immediate", "respond_node"],
                        "default": "immediate"
                    },
                    "timeout_ms": {
                        "type": "integer",
                        "title": "Timeout (ms)",
                        "description": "With respond_node: how long the request waits for \
                                        the http.respond node before it gets 504.",
                        "minimum": 1,
                        "maximum": WEBHOOK_MAX_TIMEOUT_MS,
                        "default": 30000
                    }
                }),
                &["path"],
            ),
            filter_fields: Vec::new(),
            raw_fields: Vec::new(),
            default_retry: None,
        }
    }

    fn check_config(&self, config: &Value) -> Vec<ConfigProblem> {
        // Emptiness and characters are the schema's (`minLength`, `pattern`).
        config
            .get("path")
            .and_then(Value::as_str)
            .and_then(structural_problem)
            .map(|message| ConfigProblem {
                pointer: "/path".to_string(),
                message,
            })
            .into_iter()
            .collect()
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let output = input.context.get("input").cloned().unwrap_or(Value::Null);
        Ok(NodeOutput::main(output))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{TestInput, run};

    #[tokio::test]
    async fn webhook_outputs_the_request_it_was_started_with() {
        let request = json!({"method": "POST", "path": "orders/new", "headers": {},
                             "query": {"a": "1"}, "body": {"id": 7}});
        let out = run(
            &WebhookTrigger,
            TestInput::new(json!({"path": "orders/new"})).input(request.clone()),
        )
        .await
        .unwrap();
        assert_eq!(out.output, request);
    }

    #[test]
    fn webhook_paths_are_checked_with_a_pointer() {
        for (path, needle) in [
            ("/orders", "must not start with `/`"),
            ("a/../b", "`..`"),
            ("{{ .input.p }}", "fixed path"),
        ] {
            let p = WebhookTrigger.check_config(&json!({ "path": path }));
            assert_eq!(p.len(), 1, "{path}: {p:?}");
            assert_eq!(p[0].pointer, "/path");
            assert!(p[0].message.contains(needle), "{path}: {}", p[0].message);
        }
        for ok in ["orders/new", "a.b_c~d-e/f", "v1/x"] {
            assert!(
                WebhookTrigger
                    .check_config(&json!({ "path": ok }))
                    .is_empty(),
                "{ok}"
            );
        }
    }

    #[test]
    fn webhook_config_defaults_and_refusals() {
        let c = WebhookTrigger::parse_config(&json!({"path": "hook"})).unwrap();
        assert_eq!(
            c,
            WebhookConfig {
                path: "hook".into(),
                method: WebhookMethod::Post,
                response: WebhookResponse::Immediate,
                timeout_ms: 30_000,
            }
        );
        let c = WebhookTrigger::parse_config(
            &json!({"path": "h", "method": "GET", "response": "respond_node", "timeout_ms": 5}),
        )
        .unwrap();
        assert_eq!(
            (c.method.as_str(), c.response, c.timeout_ms),
            ("GET", WebhookResponse::RespondNode, 5)
        );
        for bad in [
            json!({"path": "a b"}),
            json!({"path": "/a"}),
            json!({"path": "a", "verb": 1}),
            json!({"path": "a", "timeout_ms": 300_001}),
        ] {
            let e = WebhookTrigger::parse_config(&bad).unwrap_err();
            assert_eq!(e.kind, weft_core::ErrorKind::Config, "{bad}");
        }
    }
}

//! `http.graphql`: one GraphQL operation over HTTP (POST, JSON), through the shared guarded
//! [`HttpClient`].
//!
//! The query text is a raw field (GraphQL has its own `{ }` syntax and variables; it is never
//! template-rendered); `variables` is where workflow data goes in. The output is
//! `{data, errors?}`. A reply carrying `errors` fails the node (`permanent`, the errors in the
//! details) unless `fail_on_errors` is false; GraphQL-over-HTTP servers that answer a bad
//! query with a 4xx and a `{errors}` body get the same treatment.

use super::parse_url;
use super::{HttpCall, HttpClient};
use crate::config::{object_schema, parse_config};
use crate::{Node, NodeInput, NodeOutput};
use async_trait::async_trait;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderName, HeaderValue};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::time::Duration;
use weft_core::catalog::ConfigProblem;
use weft_core::expr::Template;
use weft_core::{ErrorKind, Jitter, NodeError, NodeSpec, Ports, RetryPolicy};

/// Longest query text accepted (bytes).
const MAX_QUERY_BYTES: usize = 100_000;
/// Longest `timeout_ms` accepted.
const MAX_TIMEOUT_MS: u64 = 600_000;
/// How many of the reply's errors are quoted in the error message.
const QUOTED_ERRORS: usize = 3;

/// `http.graphql`: sends a GraphQL query or mutation and outputs `{data, errors?}`.
#[derive(Debug, Clone)]
pub struct GraphqlNode {
    http: HttpClient,
}

impl GraphqlNode {
    pub const TYPE: &'static str = "http.graphql";

    pub fn new(http: HttpClient) -> Self {
        Self { http }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GraphqlConfig {
    url: String,
    query: String,
    #[serde(default)]
    variables: Option<Map<String, Value>>,
    #[serde(default)]
    operation_name: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    auth: Option<GraphqlAuth>,
    #[serde(default)]
    timeout_ms: Option<u64>,
    #[serde(default = "yes")]
    fail_on_errors: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GraphqlAuth {
    credential: String,
}

fn config_error(pointer: &str, message: impl std::fmt::Display) -> NodeError {
    crate::config::config_error(GraphqlNode::TYPE, pointer, message)
}

/// The first few error messages of a GraphQL `errors` array, `; `-separated.
fn quote_errors(errors: &[Value]) -> String {
    let mut quoted: Vec<String> = errors
        .iter()
        .take(QUOTED_ERRORS)
        .map(|e| match e.get("message").and_then(Value::as_str) {
            Some(m) => m.to_string(),
            None => e.to_string(),
        })
        .collect();
    if errors.len() > QUOTED_ERRORS {
        quoted.push(format!("and {} more", errors.len() - QUOTED_ERRORS));
    }
    quoted.join("; ")
}

/// The non-empty `errors` array of a GraphQL reply.
fn errors_of(reply: &Value) -> Option<&Vec<Value>> {
    reply
        .get("errors")
        .and_then(Value::as_array)
        .filter(|e| !e.is_empty())
}

impl GraphqlNode {
    fn prepare(&self, input: &NodeInput) -> Result<(HttpCall, GraphqlConfig), NodeError> {
        let config: GraphqlConfig = parse_config(Self::TYPE, &input.config)?;
        let url = parse_url(&config.url).map_err(|m| config_error("/url", m))?;
        if config.query.trim().is_empty() {
            return Err(config_error("/query", "the query is empty"));
        }
        if config.query.len() > MAX_QUERY_BYTES {
            return Err(config_error(
                "/query",
                format!("the query is longer than {MAX_QUERY_BYTES} bytes"),
            ));
        }
        if let Some(ms) = config.timeout_ms
            && !(1..=MAX_TIMEOUT_MS).contains(&ms)
        {
            return Err(config_error(
                "/timeout_ms",
                format!("must be between 1 and {MAX_TIMEOUT_MS}"),
            ));
        }
        let mut body = json!({"query": config.query});
        if let Some(vars) = &config.variables {
            body["variables"] = Value::Object(vars.clone());
        }
        if let Some(name) = config.operation_name.as_deref().filter(|n| !n.is_empty()) {
            body["operationName"] = json!(name);
        }
        let mut call = HttpCall::post_json(&self.http, input, url, &body);
        call.headers.insert(
            ACCEPT,
            HeaderValue::from_static("application/graphql-response+json, application/json"),
        );
        for (name, value) in &config.headers {
            let pointer = format!("/headers/{}", weft_core::definition::escape_pointer(name));
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| config_error(&pointer, "not a valid header name"))?;
            let value = HeaderValue::from_str(value)
                .map_err(|_| config_error(&pointer, "not a valid header value"))?;
            call.headers.insert(name, value);
        }
        if let Some(ms) = config.timeout_ms {
            call.timeout = Duration::from_millis(ms);
        }
        Ok((call, config))
    }

    /// A 4xx whose body is a GraphQL reply with `errors` (GraphQL over HTTP answers a query
    /// that does not validate this way): the errors in the message and details.
    fn http_error(e: NodeError) -> NodeError {
        let reply = e
            .details
            .as_ref()
            .and_then(|d| d.get("body"))
            .and_then(Value::as_str)
            .and_then(|b| serde_json::from_str::<Value>(b).ok());
        match reply.as_ref().and_then(errors_of) {
            Some(errors) if e.kind == ErrorKind::Permanent => {
                let status = e.details.as_ref().and_then(|d| d.get("status")).cloned();
                NodeError::permanent(format!(
                    "{}: the server answered {} with GraphQL errors: {}",
                    Self::TYPE,
                    status.clone().unwrap_or(Value::Null),
                    quote_errors(errors)
                ))
                .with_details(json!({"status": status, "errors": errors}))
            }
            _ => e,
        }
    }
}

#[async_trait]
impl Node for GraphqlNode {
    fn spec(&self) -> NodeSpec {
        NodeSpec {
            type_name: Self::TYPE.to_string(),
            category: "http".to_string(),
            description: "Sends a GraphQL query or mutation (POST, JSON) and outputs {data, \
                          errors?, extensions?}. A reply with errors fails the node (permanent, the errors \
                          in the details) unless fail_on_errors is false. 5xx, 429 and network \
                          errors are retried. Private, loopback and link-local targets are \
                          refused unless the operator allows them in WEFT_HTTP_ALLOW."
                .to_string(),
            trigger: false,
            ports: Ports::main(),
            schema: object_schema(
                "GraphQL request",
                json!({
                    "url": {
                        "type": "string",
                        "title": "Endpoint URL",
                        "description": "The GraphQL endpoint, an http or https URL; may hold \
                                        {{ }} templates.",
                        "minLength": 1,
                        "examples": ["https://api.example.com/graphql"]
                    },
                    "query": {
                        "type": "string",
                        "title": "Query",
                        "description": "The GraphQL document (query or mutation). Sent as \
                                        written, never template-rendered: pass workflow data \
                                        through variables.",
                        "minLength": 1,
                        "maxLength": MAX_QUERY_BYTES,
                        "examples": ["query Order($id: ID!) { order(id: $id) { id total } }"]
                    },
                    "variables": {
                        "type": "object",
                        "title": "Variables",
                        "description": "The operation's variables; values may be {{ }} \
                                        templates (a template that is the whole value keeps \
                                        its JSON type).",
                        "examples": [{"id": "{{ .input.order_id }}"}]
                    },
                    "operation_name": {
                        "type": "string",
                        "title": "Operation name",
                        "description": "Which operation of the document to run, when it \
                                        holds several."
                    },
                    "headers": {
                        "type": "object",
                        "title": "Headers",
                        "description": "Extra request headers. Content-Type, Accept and \
                                        Idempotency-Key are set unless given here.",
                        "additionalProperties": {"type": "string"},
                        "default": {}
                    },
                    "auth": {
                        "type": "object",
                        "title": "Authentication",
                        "description": "Sends a stored credential as a bearer token \
                                        (Authorization: Bearer …). Its value never appears \
                                        in outputs, logs or errors.",
                        "additionalProperties": false,
                        "required": ["credential"],
                        "properties": {
                            "credential": {
                                "type": "string",
                                "x-weft-widget": "credential",
                                "title": "Credential",
                                "description": "Id or name of a credential holding the token: \
                                                a string, or an object with `token`.",
                                "minLength": 1
                            }
                        }
                    },
                    "timeout_ms": {
                        "type": "integer",
                        "title": "Timeout (ms)",
                        "description": "Time limit for the whole request, reply included; \
                                        the operator's default (30 s) when absent.",
                        "minimum": 1,
                        "maximum": MAX_TIMEOUT_MS
                    },
                    "fail_on_errors": {
                        "type": "boolean",
                        "title": "Fail on errors",
                        "description": "Fail the node (permanent) when the reply has \
                                        `errors`, even with partial data. When false, the \
                                        errors are output next to the data.",
                        "default": true
                    }
                }),
                &["url", "query"],
            ),
            filter_fields: Vec::new(),
            raw_fields: vec!["query".to_string()],
            default_retry: Some(RetryPolicy {
                max_attempts: 3,
                initial_interval_ms: 500,
                multiplier: 2.0,
                max_interval_ms: 10_000,
                jitter: Jitter::Full,
            }),
        }
    }

    fn check_config(&self, config: &Value) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        if let Some(url) = config.get("url").and_then(Value::as_str)
            && !Template::is_template(url)
            && let Err(message) = parse_url(url)
        {
            out.push(ConfigProblem {
                pointer: "/url".to_string(),
                message,
            });
        }
        if let Some(query) = config.get("query").and_then(Value::as_str)
            && query.trim().is_empty()
        {
            out.push(ConfigProblem {
                pointer: "/query".to_string(),
                message: "the query is empty".to_string(),
            });
        }
        if let Some(headers) = config.get("headers").and_then(Value::as_object) {
            for name in headers.keys() {
                if HeaderName::from_bytes(name.as_bytes()).is_err() {
                    out.push(ConfigProblem {
                        pointer: format!(
                            "/headers/{}",
                            weft_core::definition::escape_pointer(name)
                        ),
                        message: "not a valid header name".into(),
                    });
                }
            }
        }
        out
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let (mut call, config) = self.prepare(&input)?;
        if let Some(auth) = &config.auth {
            let secret = input.credential(&auth.credential).await?;
            let token = secret.string_or_field("token")?;
            let value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
                NodeError::config(format!(
                    "credential `{}` cannot be sent as a bearer token",
                    auth.credential
                ))
            })?;
            call.headers.insert(AUTHORIZATION, value);
        }
        let reply = self
            .http
            .call(&input, call)
            .await
            .map_err(Self::http_error)?;
        let body = reply.get("body").cloned().unwrap_or(Value::Null);
        let Value::Object(mut body) = body else {
            return Err(NodeError::permanent(format!(
                "{}: the server's reply is not a GraphQL response (expected a JSON object \
                 with `data` or `errors`)",
                Self::TYPE
            ))
            .with_details(json!({"status": reply.get("status")})));
        };
        if !body.contains_key("data") && !body.contains_key("errors") {
            return Err(NodeError::permanent(format!(
                "{}: the server's reply has neither `data` nor `errors`",
                Self::TYPE
            ))
            .with_details(json!({"status": reply.get("status")})));
        }
        let data = body.remove("data").unwrap_or(Value::Null);
        let errors = body
            .remove("errors")
            .filter(|e| errors_of(&json!({"errors": e})).is_some());
        let mut output = json!({"data": data});
        if let Some(errors) = errors {
            if config.fail_on_errors {
                let list = errors.as_array().cloned().unwrap_or_default();
                return Err(NodeError::permanent(format!(
                    "{}: the server answered with {} GraphQL error(s): {}",
                    Self::TYPE,
                    list.len(),
                    quote_errors(&list)
                ))
                .with_details(json!({"errors": errors, "data": output["data"]})));
            }
            output["errors"] = errors;
        }
        if let Some(extensions) = body.remove("extensions") {
            output["extensions"] = extensions;
        }
        Ok(NodeOutput::main(output))
    }
}

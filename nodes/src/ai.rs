//! AI node types: `ai.chat` (OpenAI-compatible chat completions), over the shared guarded
//! [`HttpClient`].
//!
//! POST `{base_url}/chat/completions` with a bearer API key. The reply's first choice becomes
//! `{content, message, usage, model, finish_reason}`. In the JSON modes the model is asked for
//! JSON (`json_object`, or `json_schema` with a strict schema) and its reply is parsed — and,
//! with a schema, checked against it — so the next node gets data, not text; a reply that is
//! not valid JSON is a `permanent` error.

use crate::Node;
use crate::config::{object_schema, parse_config};
use crate::http::{HttpCall, HttpClient};
use crate::options::NodeOptions;
use crate::registry::RegistryError;
use crate::{NodeInput, NodeOutput};
use async_trait::async_trait;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use url::Url;
use weft_core::catalog::ConfigProblem;
use weft_core::expr::Template;
use weft_core::{Jitter, NodeError, NodeSpec, Ports, RetryPolicy};

/// OpenAI's API.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
/// Model calls are slow: two minutes unless the config says otherwise.
const DEFAULT_TIMEOUT_MS: u64 = 120_000;
/// Longest `timeout_ms` accepted.
const MAX_TIMEOUT_MS: u64 = 600_000;
/// Most messages in one request.
const MAX_MESSAGES: usize = 1_000;
/// Most characters of a reply quoted in an error.
const REPLY_EXCERPT: usize = 500;
/// Most characters of the API's error message quoted.
const MAX_API_MESSAGE: usize = 500;

/// The node types of this module, built from the operator's options.
pub(crate) fn nodes(
    _options: &NodeOptions,
    http: &HttpClient,
) -> Result<Vec<Arc<dyn Node>>, RegistryError> {
    Ok(vec![Arc::new(ChatNode::new(http.clone()))])
}

/// `ai.chat`: one chat completion from an OpenAI-compatible API.
#[derive(Debug, Clone)]
pub struct ChatNode {
    http: HttpClient,
}

impl ChatNode {
    pub const TYPE: &'static str = "ai.chat";

    pub fn new(http: HttpClient) -> Self {
        Self { http }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChatConfig {
    #[serde(default = "default_base_url")]
    base_url: String,
    model: String,
    credential: String,
    #[serde(default)]
    messages: Option<Vec<Message>>,
    #[serde(default)]
    prompt: Option<String>,
    #[serde(default)]
    system: Option<String>,
    #[serde(default)]
    temperature: Option<f64>,
    #[serde(default)]
    max_tokens: Option<u64>,
    #[serde(default)]
    response_format: Option<Format>,
    #[serde(default)]
    json_schema: Option<Value>,
    #[serde(default)]
    timeout_ms: Option<u64>,
}

fn default_base_url() -> String {
    DEFAULT_BASE_URL.to_string()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Message {
    role: Role,
    content: String,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Role {
    System,
    User,
    Assistant,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Format {
    Text,
    Json,
}

fn config_error(pointer: &str, message: impl std::fmt::Display) -> NodeError {
    crate::config::config_error(ChatNode::TYPE, pointer, message)
}

fn parse_base_url(url: &str) -> Result<Url, String> {
    let url = Url::parse(url).map_err(|e| format!("{url:?} is not a valid URL ({e})"))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(format!("unsupported scheme `{other}`: use http or https")),
    }
}

/// `{base_url}/chat/completions`, keeping the base's path (`/v1`).
fn completions_url(base: &Url) -> Url {
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty().extend(["chat", "completions"]);
    }
    url
}

/// The prompt problems no schema keyword expresses: exactly one of `messages` and `prompt`,
/// and a schema only in JSON mode. (pointer, message)
fn shape_problem(
    has_messages: bool,
    has_prompt: bool,
    format: Option<&str>,
    has_schema: bool,
) -> Option<(&'static str, &'static str)> {
    match (has_messages, has_prompt) {
        (true, true) => {
            return Some((
                "/prompt",
                "set either `messages` or `prompt`, not both (put the prompt in a user message)",
            ));
        }
        (false, false) => {
            return Some((
                "/messages",
                "nothing to send: set `messages` (a conversation) or `prompt` (one user message)",
            ));
        }
        _ => {}
    }
    if has_schema && format == Some("text") {
        return Some((
            "/json_schema",
            "a JSON schema needs response_format `json` (or no response_format)",
        ));
    }
    None
}

/// Compiles a user's output schema (offline: no remote references).
fn compile_schema(schema: &Value) -> Result<jsonschema::Validator, String> {
    if !schema.is_object() {
        return Err("a JSON Schema object is required".to_string());
    }
    jsonschema::options()
        .offline()
        .build(schema)
        .map_err(|e| format!("not a valid JSON Schema: {e}"))
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max).collect();
    s.push('…');
    s
}

impl ChatNode {
    /// The API's refusal as an error: OpenAI-style `{error: {message, type, code}}` quoted.
    fn api_error(input: &NodeInput, e: NodeError) -> NodeError {
        let Some(details) = e.details.as_ref() else {
            return e;
        };
        let status = details.get("status").cloned().unwrap_or(Value::Null);
        let reply = details
            .get("body")
            .and_then(Value::as_str)
            .and_then(|b| serde_json::from_str::<Value>(b).ok());
        let error = reply.as_ref().and_then(|r| r.get("error"));
        let message = match error {
            Some(Value::String(m)) => Some(m.as_str()),
            Some(e) => e.get("message").and_then(Value::as_str),
            None => None,
        };
        let Some(message) = message else {
            return e;
        };
        let message = input
            .env
            .credentials
            .scrub_text(&clip(message, MAX_API_MESSAGE));
        let field = |name: &str| error.and_then(|e| e.get(name)).cloned();
        NodeError::new(
            e.kind,
            format!("{}: the API answered {status}: {message}", Self::TYPE),
        )
        .with_details(json!({
            "status": status,
            "message": message,
            "type": field("type"),
            "code": field("code"),
        }))
    }
}

#[async_trait]
impl Node for ChatNode {
    fn spec(&self) -> NodeSpec {
        let message_item = json!({
            "type": "object",
            "title": "Message",
            "description": "One turn of the conversation.",
            "additionalProperties": false,
            "required": ["role", "content"],
            "properties": {
                "role": {
                    "type": "string",
                    "title": "Role",
                    "description": "Who speaks: `system` (instructions), `user` or \
                                    `assistant` (an earlier reply).",
                    "enum": ["system", "user", "assistant"]
                },
                "content": {
                    "type": "string",
                    "title": "Content",
                    "description": "The text; may hold {{ }} templates."
                }
            }
        });
        NodeSpec {
            type_name: Self::TYPE.to_string(),
            category: "ai".to_string(),
            description: "Asks an OpenAI-compatible chat completions API (OpenAI, Azure-style \
                          gateways, Ollama, vLLM, LiteLLM…) and outputs {content, message, \
                          usage, model, finish_reason}. With response_format json (optionally \
                          with a JSON schema) the reply is parsed, so content is data; a reply \
                          that is not valid JSON fails the node. 5xx, 429 and network errors \
                          are retried."
                .to_string(),
            trigger: false,
            ports: Ports::main(),
            schema: object_schema(
                "AI chat",
                json!({
                    "base_url": {
                        "type": "string",
                        "title": "API base URL",
                        "description": "The OpenAI-compatible API; requests go to \
                                        {base_url}/chat/completions.",
                        "default": DEFAULT_BASE_URL,
                        "minLength": 1,
                        "examples": ["https://api.openai.com/v1", "http://ollama:11434/v1"]
                    },
                    "model": {
                        "type": "string",
                        "title": "Model",
                        "description": "The model name, as the API knows it.",
                        "minLength": 1,
                        "examples": ["gpt-4o-mini"]
                    },
                    "credential": {
                        "type": "string",
                        "x-weft-widget": "credential",
                        "title": "API key credential",
                        "description": "Id or name of a credential holding the API key \
                                        (sent as a bearer token): a string, or an object with \
                                        `api_key`. Never appears in outputs, logs or errors.",
                        "minLength": 1
                    },
                    "messages": {
                        "type": "array",
                        "title": "Messages",
                        "description": "The conversation to complete. Set this or `prompt`.",
                        "minItems": 1,
                        "maxItems": MAX_MESSAGES,
                        "items": message_item
                    },
                    "prompt": {
                        "type": "string",
                        "title": "Prompt",
                        "description": "A single user message, instead of `messages`; may \
                                        hold {{ }} templates.",
                        "minLength": 1,
                        "examples": ["Summarise this ticket: {{ .input.body }}"]
                    },
                    "system": {
                        "type": "string",
                        "title": "System prompt",
                        "description": "Instructions sent first, as a system message (with \
                                        `prompt` or before `messages`)."
                    },
                    "temperature": {
                        "type": "number",
                        "title": "Temperature",
                        "description": "Sampling temperature, 0 (focused) to 2 (random); the \
                                        API's default when absent.",
                        "minimum": 0,
                        "maximum": 2
                    },
                    "max_tokens": {
                        "type": "integer",
                        "title": "Max tokens",
                        "description": "Most tokens the reply may have; the API's default \
                                        when absent.",
                        "minimum": 1
                    },
                    "response_format": {
                        "type": "string",
                        "title": "Response format",
                        "description": "`text`: content is the reply's text. `json`: the model \
                                        is asked for a JSON object and content is the parsed \
                                        value (with json_schema: one matching that schema).",
                        "enum": ["text", "json"],
                        "default": "text"
                    },
                    "json_schema": {
                        "type": "object",
                        "title": "Output JSON schema",
                        "description": "A JSON Schema the reply must match (structured \
                                        outputs, strict). Implies response_format json; the \
                                        parsed reply is checked against it. Not \
                                        template-rendered.",
                        "examples": [{"type": "object", "properties": {"sentiment": {"type": "string"}},
                                      "required": ["sentiment"], "additionalProperties": false}]
                    },
                    "timeout_ms": {
                        "type": "integer",
                        "title": "Timeout (ms)",
                        "description": "Time limit for the API call (2 minutes when absent; \
                                        model replies can be slow).",
                        "minimum": 1,
                        "maximum": MAX_TIMEOUT_MS,
                        "default": DEFAULT_TIMEOUT_MS
                    }
                }),
                &["model", "credential"],
            ),
            filter_fields: Vec::new(),
            raw_fields: vec!["json_schema".to_string()],
            default_retry: Some(RetryPolicy {
                max_attempts: 3,
                initial_interval_ms: 2_000,
                multiplier: 2.0,
                max_interval_ms: 60_000,
                jitter: Jitter::Full,
            }),
        }
    }

    fn check_config(&self, config: &Value) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        if let Some(url) = config.get("base_url").and_then(Value::as_str)
            && !Template::is_template(url)
            && let Err(message) = parse_base_url(url)
        {
            out.push(ConfigProblem {
                pointer: "/base_url".to_string(),
                message,
            });
        }
        if let Some((pointer, message)) = shape_problem(
            config.get("messages").is_some(),
            config.get("prompt").is_some(),
            config.get("response_format").and_then(Value::as_str),
            config.get("json_schema").is_some(),
        ) {
            out.push(ConfigProblem {
                pointer: pointer.to_string(),
                message: message.to_string(),
            });
        }
        if let Some(schema) = config.get("json_schema")
            && schema.is_object()
            && let Err(message) = compile_schema(schema)
        {
            out.push(ConfigProblem {
                pointer: "/json_schema".to_string(),
                message,
            });
        }
        out
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let config: ChatConfig = parse_config(Self::TYPE, &input.config)?;
        let base = parse_base_url(&config.base_url).map_err(|m| config_error("/base_url", m))?;
        if let Some((pointer, message)) = shape_problem(
            config.messages.is_some(),
            config.prompt.is_some(),
            match config.response_format {
                Some(Format::Text) => Some("text"),
                Some(Format::Json) => Some("json"),
                None => None,
            },
            config.json_schema.is_some(),
        ) {
            return Err(config_error(pointer, message));
        }
        if let Some(t) = config.temperature
            && !(0.0..=2.0).contains(&t)
        {
            return Err(config_error("/temperature", "must be between 0 and 2"));
        }
        let timeout_ms = config.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS);
        if !(1..=MAX_TIMEOUT_MS).contains(&timeout_ms) {
            return Err(config_error(
                "/timeout_ms",
                format!("must be between 1 and {MAX_TIMEOUT_MS}"),
            ));
        }
        let validator = config
            .json_schema
            .as_ref()
            .map(|s| compile_schema(s).map_err(|m| config_error("/json_schema", m)))
            .transpose()?;
        let json_mode = config.response_format == Some(Format::Json) || validator.is_some();

        let mut messages = Vec::new();
        if let Some(system) = config.system.as_deref().filter(|s| !s.is_empty()) {
            messages.push(json!({"role": "system", "content": system}));
        }
        match (&config.messages, &config.prompt) {
            (Some(list), _) => {
                if list.is_empty() || list.len() > MAX_MESSAGES {
                    return Err(config_error(
                        "/messages",
                        format!("1 to {MAX_MESSAGES} messages"),
                    ));
                }
                messages.extend(
                    list.iter()
                        .map(|m| json!({"role": m.role.as_str(), "content": m.content})),
                );
            }
            (None, Some(prompt)) => {
                if prompt.is_empty() {
                    return Err(config_error("/prompt", "the prompt is empty"));
                }
                messages.push(json!({"role": "user", "content": prompt}));
            }
            (None, None) => unreachable!("checked above"),
        }

        let mut body = json!({"model": config.model, "messages": messages});
        if let Some(t) = config.temperature {
            body["temperature"] = json!(t);
        }
        if let Some(n) = config.max_tokens {
            body["max_tokens"] = json!(n);
        }
        if let Some(schema) = &config.json_schema {
            body["response_format"] = json!({
                "type": "json_schema",
                "json_schema": {"name": "output", "schema": schema, "strict": true}
            });
        } else if json_mode {
            body["response_format"] = json!({"type": "json_object"});
        }

        let secret = input.credential(&config.credential).await?;
        let key = secret.string_or_field("api_key")?;
        let authorization = HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| {
            NodeError::config(format!(
                "credential `{}` cannot be sent as a bearer token",
                config.credential
            ))
        })?;
        let mut call = HttpCall::post_json(&self.http, &input, completions_url(&base), &body);
        call.headers.insert(AUTHORIZATION, authorization);
        call.timeout = Duration::from_millis(timeout_ms);
        let reply = self
            .http
            .call(&input, call)
            .await
            .map_err(|e| Self::api_error(&input, e))?;

        let reply = reply.get("body").unwrap_or(&Value::Null);
        let bad_reply = |what: &str| {
            NodeError::permanent(format!(
                "{}: the API's reply is not a chat completion: {what}",
                Self::TYPE
            ))
        };
        let choice = reply
            .get("choices")
            .and_then(Value::as_array)
            .and_then(|c| c.first())
            .ok_or_else(|| bad_reply("no `choices`"))?;
        let message = choice
            .get("message")
            .filter(|m| m.is_object())
            .ok_or_else(|| bad_reply("the first choice has no `message`"))?;
        let finish_reason = choice.get("finish_reason").cloned().unwrap_or(Value::Null);
        let text = message.get("content").and_then(Value::as_str);
        let content = match (text, json_mode) {
            (Some(text), false) => Value::String(text.to_string()),
            (Some(text), true) => {
                let parsed: Value = serde_json::from_str(text).map_err(|e| {
                    let hint = if finish_reason == "length" {
                        " (the reply was cut off at max_tokens)"
                    } else {
                        ""
                    };
                    NodeError::permanent(format!(
                        "{}: the model's reply is not valid JSON{hint}: {e}",
                        Self::TYPE
                    ))
                    .with_details(json!({
                        "content": clip(text, REPLY_EXCERPT),
                        "finish_reason": finish_reason,
                    }))
                })?;
                if let Some(validator) = &validator {
                    let problems: Vec<String> = validator
                        .iter_errors(&parsed)
                        .take(5)
                        .map(|e| format!("{}: {e}", e.instance_path().as_str()))
                        .collect();
                    if !problems.is_empty() {
                        return Err(NodeError::permanent(format!(
                            "{}: the model's reply does not match json_schema: {}",
                            Self::TYPE,
                            problems.join("; ")
                        ))
                        .with_details(json!({"content": parsed})));
                    }
                }
                parsed
            }
            (None, _) => {
                if let Some(refusal) = message.get("refusal").and_then(Value::as_str) {
                    return Err(NodeError::permanent(format!(
                        "{}: the model refused: {}",
                        Self::TYPE,
                        clip(refusal, REPLY_EXCERPT)
                    )));
                }
                if json_mode {
                    return Err(NodeError::permanent(format!(
                        "{}: the model's reply has no content to parse as JSON",
                        Self::TYPE
                    ))
                    .with_details(json!({"finish_reason": finish_reason})));
                }
                Value::Null
            }
        };
        Ok(NodeOutput::main(json!({
            "content": content,
            "message": message,
            "usage": reply.get("usage").cloned().unwrap_or(Value::Null),
            "model": reply.get("model").cloned().unwrap_or_else(|| json!(config.model)),
            "finish_reason": finish_reason,
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_completions_url_keeps_the_base_path() {
        let url = |b: &str| completions_url(&Url::parse(b).unwrap()).to_string();
        assert_eq!(
            url("https://api.openai.com/v1"),
            "https://api.openai.com/v1/chat/completions"
        );
        assert_eq!(
            url("http://127.0.0.1:8000/v1/"),
            "http://127.0.0.1:8000/v1/chat/completions"
        );
    }

    #[test]
    fn prompt_shapes_are_checked() {
        assert!(shape_problem(true, false, None, false).is_none());
        assert!(shape_problem(false, true, Some("json"), true).is_none());
        assert_eq!(shape_problem(true, true, None, false).unwrap().0, "/prompt");
        assert_eq!(
            shape_problem(false, false, None, false).unwrap().0,
            "/messages"
        );
        assert_eq!(
            shape_problem(false, true, Some("text"), true).unwrap().0,
            "/json_schema"
        );
    }
}

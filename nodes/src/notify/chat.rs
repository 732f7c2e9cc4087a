//! `chat.webhook`: posts a message to a chat incoming webhook (Slack, Discord, Microsoft
//! Teams, or any service taking `{text, title, fields}`), over the shared guarded
//! [`HttpClient`].
//!
//! A webhook URL is a secret (whoever has it can post), so it normally comes from a
//! credential; a plain `url` is for webhooks that are not. When it comes from a credential it
//! is kept out of every error message, the redacted form the client uses included.

use crate::config::{object_schema, parse_config};
use crate::http::ssrf::redact;
use crate::http::{HttpCall, HttpClient, ResponseMode};
use crate::{Node, NodeInput, NodeOutput};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;
use url::Url;
use weft_core::catalog::ConfigProblem;
use weft_core::expr::Template;
use weft_core::{Jitter, NodeError, NodeSpec, Ports, RetryPolicy};

/// Longest `text` (characters): Slack's limit for a message's text.
const MAX_TEXT_CHARS: usize = 40_000;
/// Discord's limit for `content`.
const MAX_DISCORD_CONTENT: usize = 2_000;
/// Longest title (characters): Slack's header block limit.
const MAX_TITLE_CHARS: usize = 150;
/// Most fields: Discord's embed limit.
const MAX_FIELDS: usize = 25;
const MAX_FIELD_NAME_CHARS: usize = 256;
const MAX_FIELD_VALUE_CHARS: usize = 1_024;
/// Slack: characters per section block's text, fields per section block.
const SLACK_SECTION_CHARS: usize = 3_000;
const SLACK_SECTION_FIELDS: usize = 10;
/// Longest `timeout_ms` accepted.
const MAX_TIMEOUT_MS: u64 = 600_000;

/// `chat.webhook`: posts a message to a chat webhook and outputs `{status}`.
#[derive(Debug, Clone)]
pub struct ChatWebhookNode {
    http: HttpClient,
}

impl ChatWebhookNode {
    pub const TYPE: &'static str = "chat.webhook";

    pub fn new(http: HttpClient) -> Self {
        Self { http }
    }
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Platform {
    Slack,
    Discord,
    Teams,
    Generic,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChatConfig {
    platform: Platform,
    #[serde(default)]
    credential: Option<String>,
    #[serde(default)]
    url: Option<String>,
    text: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    fields: Vec<Field>,
    #[serde(default)]
    timeout_ms: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Field {
    name: String,
    value: Value,
}

/// A field with its value as text.
struct Fact {
    name: String,
    value: String,
}

fn config_error(pointer: &str, message: impl std::fmt::Display) -> NodeError {
    crate::config::config_error(ChatWebhookNode::TYPE, pointer, message)
}

fn parse_url(url: &str) -> Result<Url, String> {
    let url = Url::parse(url).map_err(|e| format!("not a valid URL ({e})"))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(format!("unsupported scheme `{other}`: use http or https")),
    }
}

/// Exactly one of `url` and `credential`: the problem (pointer, message) otherwise.
fn one_target(has_url: bool, has_credential: bool) -> Option<(&'static str, &'static str)> {
    match (has_url, has_credential) {
        (true, true) => Some((
            "/url",
            "set either `url` or `credential`, not both (prefer a credential: webhook URLs \
             are secrets)",
        )),
        (false, false) => Some((
            "/credential",
            "a webhook is required: set `credential` (a credential holding the webhook URL) \
             or `url`",
        )),
        _ => None,
    }
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// `text` cut into pieces of at most `max` characters.
fn chunks(text: &str, max: usize) -> Vec<String> {
    let all: Vec<char> = text.chars().collect();
    all.chunks(max).map(|c| c.iter().collect()).collect()
}

/// The request body for `platform`.
fn payload(platform: Platform, text: &str, title: Option<&str>, facts: &[Fact]) -> Value {
    match platform {
        Platform::Slack => {
            let mut blocks = Vec::new();
            if let Some(title) = title {
                blocks.push(json!({
                    "type": "header",
                    "text": {"type": "plain_text", "text": title, "emoji": true}
                }));
            }
            for piece in chunks(text, SLACK_SECTION_CHARS) {
                blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": piece}}));
            }
            for group in facts.chunks(SLACK_SECTION_FIELDS) {
                let fields: Vec<Value> = group
                    .iter()
                    .map(
                        |f| json!({"type": "mrkdwn", "text": format!("*{}*\n{}", f.name, f.value)}),
                    )
                    .collect();
                blocks.push(json!({"type": "section", "fields": fields}));
            }
            // `text` is the notification and fallback text.
            let fallback = match title {
                Some(t) => format!("{t}\n{text}"),
                None => text.to_string(),
            };
            json!({"text": fallback, "blocks": blocks})
        }
        Platform::Discord => {
            let mut body = json!({"content": text});
            if title.is_some() || !facts.is_empty() {
                let mut embed = json!({});
                if let Some(title) = title {
                    embed["title"] = json!(title);
                }
                if !facts.is_empty() {
                    embed["fields"] = facts
                        .iter()
                        .map(|f| json!({"name": f.name, "value": f.value, "inline": true}))
                        .collect();
                }
                body["embeds"] = json!([embed]);
            }
            body
        }
        Platform::Teams => {
            let summary = title.map_or_else(|| chunks(text, 80).swap_remove(0), str::to_string);
            let mut card = json!({
                "@type": "MessageCard",
                "@context": "https://schema.org/extensions",
                "summary": summary,
                "text": text,
            });
            if let Some(title) = title {
                card["title"] = json!(title);
            }
            if !facts.is_empty() {
                let facts: Vec<Value> = facts
                    .iter()
                    .map(|f| json!({"name": f.name, "value": f.value}))
                    .collect();
                card["sections"] = json!([{"facts": facts}]);
            }
            card
        }
        Platform::Generic => json!({
            "text": text,
            "title": title,
            "fields": facts
                .iter()
                .map(|f| json!({"name": f.name, "value": f.value}))
                .collect::<Vec<_>>(),
        }),
    }
}

impl ChatWebhookNode {
    fn facts(fields: &[Field]) -> Result<Vec<Fact>, NodeError> {
        if fields.len() > MAX_FIELDS {
            return Err(config_error(
                "/fields",
                format!("at most {MAX_FIELDS} fields"),
            ));
        }
        fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let value = match &f.value {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => {
                        return Err(config_error(
                            &format!("/fields/{i}/value"),
                            "expected a string, number or boolean",
                        ));
                    }
                };
                if f.name.is_empty() || chars(&f.name) > MAX_FIELD_NAME_CHARS {
                    return Err(config_error(
                        &format!("/fields/{i}/name"),
                        format!("must be 1 to {MAX_FIELD_NAME_CHARS} characters"),
                    ));
                }
                if value.is_empty() || chars(&value) > MAX_FIELD_VALUE_CHARS {
                    return Err(config_error(
                        &format!("/fields/{i}/value"),
                        format!("must be 1 to {MAX_FIELD_VALUE_CHARS} characters"),
                    ));
                }
                Ok(Fact {
                    name: f.name.clone(),
                    value,
                })
            })
            .collect()
    }
}

#[async_trait]
impl Node for ChatWebhookNode {
    fn spec(&self) -> NodeSpec {
        NodeSpec {
            type_name: Self::TYPE.to_string(),
            category: "notify".to_string(),
            description: "Posts a message to a chat incoming webhook and outputs {status}: \
                          Slack (text + blocks), Discord (content + embed), Microsoft Teams \
                          (MessageCard with title, text and facts) or generic JSON {text, \
                          title, fields}. The webhook URL should come from a credential (it is \
                          a secret); it never appears in outputs or errors. 5xx, 429 and \
                          network errors are retried."
                .to_string(),
            trigger: false,
            ports: Ports::main(),
            schema: object_schema(
                "Chat webhook",
                json!({
                    "platform": {
                        "type": "string",
                        "title": "Platform",
                        "description": "Which payload to send: `slack` (text + blocks), \
                                        `discord` (content + embeds), `teams` (MessageCard), \
                                        `generic` ({text, title, fields}).",
                        "enum": ["slack", "discord", "teams", "generic"]
                    },
                    "credential": {
                        "type": "string",
                        "x-weft-widget": "credential",
                        "title": "Webhook credential",
                        "description": "Id or name of a credential holding the webhook URL: \
                                        a string, or an object with `url`. Set this or `url`, \
                                        not both.",
                        "minLength": 1
                    },
                    "url": {
                        "type": "string",
                        "title": "Webhook URL",
                        "description": "The webhook URL written in the workflow, for webhooks \
                                        that are not secret. Set this or `credential`, not \
                                        both.",
                        "minLength": 1
                    },
                    "text": {
                        "type": "string",
                        "title": "Text",
                        "description": "The message (Slack mrkdwn, Discord and Teams \
                                        markdown). Discord allows at most 2000 characters.",
                        "minLength": 1,
                        "maxLength": MAX_TEXT_CHARS
                    },
                    "title": {
                        "type": "string",
                        "title": "Title",
                        "description": "A heading: Slack header block, Discord embed title, \
                                        Teams card title.",
                        "maxLength": MAX_TITLE_CHARS
                    },
                    "fields": {
                        "type": "array",
                        "title": "Fields",
                        "description": "Name/value pairs shown under the text: Slack section \
                                        fields, Discord embed fields, Teams facts.",
                        "maxItems": MAX_FIELDS,
                        "default": [],
                        "items": {
                            "type": "object",
                            "title": "Field",
                            "description": "One name/value pair.",
                            "additionalProperties": false,
                            "required": ["name", "value"],
                            "properties": {
                                "name": {
                                    "type": "string",
                                    "title": "Name",
                                    "description": "The field's label.",
                                    "minLength": 1,
                                    "maxLength": MAX_FIELD_NAME_CHARS
                                },
                                "value": {
                                    "type": ["string", "number", "boolean"],
                                    "title": "Value",
                                    "description": "The field's value (numbers and booleans \
                                                    are shown as text).",
                                    "maxLength": MAX_FIELD_VALUE_CHARS
                                }
                            }
                        }
                    },
                    "timeout_ms": {
                        "type": "integer",
                        "title": "Timeout (ms)",
                        "description": "Time limit for the webhook call; the operator's \
                                        default (30 s) when absent.",
                        "minimum": 1,
                        "maximum": MAX_TIMEOUT_MS
                    }
                }),
                &["platform", "text"],
            ),
            filter_fields: Vec::new(),
            raw_fields: Vec::new(),
            default_retry: Some(RetryPolicy {
                max_attempts: 3,
                initial_interval_ms: 1_000,
                multiplier: 2.0,
                max_interval_ms: 30_000,
                jitter: Jitter::Full,
            }),
        }
    }

    fn check_config(&self, config: &Value) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        if let Some((pointer, message)) = one_target(
            config.get("url").is_some(),
            config.get("credential").is_some(),
        ) {
            out.push(ConfigProblem {
                pointer: pointer.to_string(),
                message: message.to_string(),
            });
        }
        if let Some(url) = config.get("url").and_then(Value::as_str)
            && !Template::is_template(url)
            && let Err(message) = parse_url(url)
        {
            out.push(ConfigProblem {
                pointer: "/url".to_string(),
                message,
            });
        }
        if config.get("platform").and_then(Value::as_str) == Some("discord")
            && let Some(text) = config.get("text").and_then(Value::as_str)
            && !Template::is_template(text)
            && chars(text) > MAX_DISCORD_CONTENT
        {
            out.push(ConfigProblem {
                pointer: "/text".to_string(),
                message: format!("Discord allows at most {MAX_DISCORD_CONTENT} characters"),
            });
        }
        out
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let config: ChatConfig = parse_config(Self::TYPE, &input.config)?;
        if let Some((pointer, message)) =
            one_target(config.url.is_some(), config.credential.is_some())
        {
            return Err(config_error(pointer, message));
        }
        if config.text.is_empty() {
            return Err(config_error("/text", "the message is empty"));
        }
        if chars(&config.text) > MAX_TEXT_CHARS {
            return Err(config_error(
                "/text",
                format!("at most {MAX_TEXT_CHARS} characters"),
            ));
        }
        if matches!(config.platform, Platform::Discord) && chars(&config.text) > MAX_DISCORD_CONTENT
        {
            return Err(config_error(
                "/text",
                format!(
                    "Discord allows at most {MAX_DISCORD_CONTENT} characters, this is {}",
                    chars(&config.text)
                ),
            ));
        }
        let title = config.title.as_deref().filter(|t| !t.is_empty());
        if let Some(t) = title
            && chars(t) > MAX_TITLE_CHARS
        {
            return Err(config_error(
                "/title",
                format!("at most {MAX_TITLE_CHARS} characters"),
            ));
        }
        let facts = Self::facts(&config.fields)?;
        if let Some(ms) = config.timeout_ms
            && !(1..=MAX_TIMEOUT_MS).contains(&ms)
        {
            return Err(config_error(
                "/timeout_ms",
                format!("must be between 1 and {MAX_TIMEOUT_MS}"),
            ));
        }

        // (url, what to call it in errors when it is secret)
        let (url, secret_name) = match (&config.url, &config.credential) {
            (Some(url), _) => (parse_url(url).map_err(|m| config_error("/url", m))?, None),
            (None, Some(reference)) => {
                let secret = input.credential(reference).await?;
                let url = parse_url(secret.string_or_field("url")?.trim()).map_err(|m| {
                    NodeError::config(format!(
                        "credential `{reference}` does not hold a usable webhook URL: {}",
                        // The parser's message may quote the value: keep only the gist.
                        if m.starts_with("unsupported scheme") {
                            m
                        } else {
                            "not a valid URL".to_string()
                        }
                    ))
                })?;
                // The client names the URL without its query in its errors: that is secret
                // too (Slack and Discord keep the token in the path).
                input.env.credentials.derived(&redact(&url));
                (url, Some(reference.clone()))
            }
            (None, None) => unreachable!("checked above"),
        };
        let redacted = redact(&url);

        let body = payload(config.platform, &config.text, title, &facts);
        let mut call = HttpCall::post_json(&self.http, &input, url, &body);
        call.response = ResponseMode::Text;
        if let Some(ms) = config.timeout_ms {
            call.timeout = Duration::from_millis(ms);
        }
        let reply = self.http.call(&input, call).await.map_err(|mut e| {
            if let Some(reference) = &secret_name {
                let name = format!("the webhook of credential `{reference}`");
                e.message = input
                    .env
                    .credentials
                    .scrub_text(&e.message.replace(&redacted, &name));
            }
            e
        })?;
        Ok(NodeOutput::main(json!({"status": reply["status"]})))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Vec<Fact> {
        (0..12)
            .map(|i| Fact {
                name: format!("n{i}"),
                value: format!("v{i}"),
            })
            .collect()
    }

    #[test]
    fn slack_text_and_fields_are_split_into_blocks_within_limits() {
        let text = "x".repeat(6_500);
        let p = payload(Platform::Slack, &text, Some("Deploy"), &facts());
        let blocks = p["blocks"].as_array().unwrap();
        // header, 3 text sections, 2 field sections
        assert_eq!(blocks.len(), 6, "{p}");
        assert_eq!(blocks[0]["type"], "header");
        assert_eq!(blocks[1]["text"]["text"].as_str().unwrap().len(), 3_000);
        assert_eq!(blocks[3]["text"]["text"].as_str().unwrap().len(), 500);
        assert_eq!(blocks[4]["fields"].as_array().unwrap().len(), 10);
        assert_eq!(blocks[5]["fields"][1]["text"], "*n11*\nv11");
        assert!(p["text"].as_str().unwrap().starts_with("Deploy\n"));
    }

    #[test]
    fn discord_teams_and_generic_payloads() {
        let f = &facts()[..1];
        let d = payload(Platform::Discord, "hi", None, &[]);
        assert_eq!(d, json!({"content": "hi"}));
        let d = payload(Platform::Discord, "hi", Some("T"), f);
        assert_eq!(d["embeds"][0]["title"], "T");
        assert_eq!(d["embeds"][0]["fields"][0]["name"], "n0");
        let t = payload(Platform::Teams, "hi", Some("T"), f);
        assert_eq!(t["@type"], "MessageCard");
        assert_eq!(t["summary"], "T");
        assert_eq!(t["sections"][0]["facts"][0]["value"], "v0");
        let t = payload(Platform::Teams, &"é".repeat(100), None, &[]);
        assert_eq!(t["summary"].as_str().unwrap().chars().count(), 80);
        let g = payload(Platform::Generic, "hi", None, f);
        assert_eq!(
            g,
            json!({"text": "hi", "title": null, "fields": [{"name": "n0", "value": "v0"}]})
        );
    }
}

//! `sms.send`: one text message through a Twilio-compatible Messages API, over the shared
//! guarded [`HttpClient`].
//!
//! POST `{base_url}/2010-04-01/Accounts/{account_sid}/Messages.json`, form-encoded `To`,
//! `From`, `Body`, HTTP basic auth with the credential's `account_sid` and `auth_token`.
//! The API's 4xx answers (`{code, message, more_info}`) become `permanent` errors quoting its
//! message; 5xx and 429 are `transient`.

use crate::config::{object_schema, parse_config};
use crate::http::{HttpCall, HttpClient, ResponseMode};
use crate::{Node, NodeInput, NodeOutput};
use async_trait::async_trait;
use base64::Engine;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;
use url::Url;
use weft_core::catalog::ConfigProblem;
use weft_core::expr::Template;
use weft_core::{Jitter, NodeError, NodeSpec, Ports, RetryPolicy};

/// Twilio's API.
pub const DEFAULT_BASE_URL: &str = "https://api.twilio.com";
/// Longest message body (characters): Twilio's limit.
const MAX_BODY_CHARS: usize = 1600;
/// Longest `timeout_ms` accepted.
const MAX_TIMEOUT_MS: u64 = 600_000;
/// Most characters of the API's error message quoted.
const MAX_API_MESSAGE: usize = 500;

/// `sms.send`: sends a text message and outputs `{sid, status, to}`.
#[derive(Debug, Clone)]
pub struct SmsNode {
    http: HttpClient,
}

impl SmsNode {
    pub const TYPE: &'static str = "sms.send";

    pub fn new(http: HttpClient) -> Self {
        Self { http }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SmsConfig {
    #[serde(default = "default_base_url")]
    base_url: String,
    credential: String,
    from: String,
    to: String,
    body: String,
    #[serde(default)]
    timeout_ms: Option<u64>,
}

fn default_base_url() -> String {
    DEFAULT_BASE_URL.to_string()
}

/// A check of one literal config value.
type Check = fn(&str) -> Result<(), String>;

fn config_error(pointer: &str, message: impl std::fmt::Display) -> NodeError {
    crate::config::config_error(SmsNode::TYPE, pointer, message)
}

/// `+` and 2–15 digits, the first not 0 (ITU-T E.164).
fn check_e164(number: &str) -> Result<(), String> {
    let digits = number.strip_prefix('+').unwrap_or("");
    if (2..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
    {
        Ok(())
    } else {
        Err(format!(
            "{number:?} is not an E.164 phone number (`+`, country code and number, digits \
             only, at most 15, e.g. +14155550100)"
        ))
    }
}

/// An E.164 number or an alphanumeric sender ID (1–11 letters, digits and spaces, at least
/// one letter).
fn check_sender(from: &str) -> Result<(), String> {
    if from.starts_with('+') {
        return check_e164(from);
    }
    let ok = (1..=11).contains(&from.chars().count())
        && from.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ')
        && from.chars().any(|c| c.is_ascii_alphabetic());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{from:?} is neither an E.164 phone number (e.g. +14155550100) nor an alphanumeric \
             sender ID (1-11 letters, digits and spaces)"
        ))
    }
}

fn check_body(body: &str) -> Result<(), String> {
    let n = body.chars().count();
    if n == 0 {
        Err("the message is empty".to_string())
    } else if n > MAX_BODY_CHARS {
        Err(format!(
            "the message is {n} characters, more than the limit of {MAX_BODY_CHARS}"
        ))
    } else {
        Ok(())
    }
}

fn parse_base_url(url: &str) -> Result<Url, String> {
    let url = Url::parse(url).map_err(|e| format!("{url:?} is not a valid URL ({e})"))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(format!("unsupported scheme `{other}`: use http or https")),
    }
}

/// `{base_url}/2010-04-01/Accounts/{sid}/Messages.json` (keeping any path `base_url` has).
fn messages_url(base: &Url, sid: &str) -> Url {
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    if let Ok(mut segments) = url.path_segments_mut() {
        segments
            .pop_if_empty()
            .extend(["2010-04-01", "Accounts", sid, "Messages.json"]);
    }
    url
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max).collect();
    s.push('…');
    s
}

impl SmsNode {
    /// The API's refusal as an error: its `message` and `code` (from the body excerpt the
    /// client kept), never the URL (which holds the account SID) or anything secret.
    fn api_error(input: &NodeInput, sid: &str, e: NodeError) -> NodeError {
        let scrub = |s: &str| {
            input
                .env
                .credentials
                .scrub_text(&s.replace(sid, "{account_sid}"))
        };
        let Some(details) = e.details.as_ref() else {
            return NodeError::new(e.kind, scrub(&e.message));
        };
        let status = details.get("status").cloned().unwrap_or(Value::Null);
        let reply = details
            .get("body")
            .and_then(Value::as_str)
            .and_then(|b| serde_json::from_str::<Value>(b).ok());
        let message = reply
            .as_ref()
            .and_then(|r| r.get("message"))
            .and_then(Value::as_str)
            .map(|m| scrub(&clip(m, MAX_API_MESSAGE)));
        let code = reply.as_ref().and_then(|r| r.get("code")).cloned();
        let more_info = reply
            .as_ref()
            .and_then(|r| r.get("more_info"))
            .and_then(Value::as_str)
            .map(scrub);
        let text = match (&message, &code) {
            (Some(m), Some(c)) if !c.is_null() => {
                format!("the SMS API answered {status}: {m} (code {c})")
            }
            (Some(m), _) => format!("the SMS API answered {status}: {m}"),
            _ => format!("the SMS API answered {status}"),
        };
        NodeError::new(e.kind, format!("{}: {text}", Self::TYPE)).with_details(json!({
            "status": status,
            "code": code,
            "message": message,
            "more_info": more_info,
        }))
    }
}

#[async_trait]
impl Node for SmsNode {
    fn spec(&self) -> NodeSpec {
        NodeSpec {
            type_name: Self::TYPE.to_string(),
            category: "notify".to_string(),
            description: "Sends a text message through Twilio's Messages API (or a compatible \
                          one at base_url) and outputs {sid, status, to}. The API's 4xx \
                          refusals fail the node (permanent, quoting its message); 5xx, 429 \
                          and network errors are retried."
                .to_string(),
            trigger: false,
            ports: Ports::main(),
            schema: object_schema(
                "Send SMS",
                json!({
                    "base_url": {
                        "type": "string",
                        "title": "API base URL",
                        "description": "Where the Twilio-compatible API is; messages are \
                                        POSTed to {base_url}/2010-04-01/Accounts/{account_sid}/\
                                        Messages.json.",
                        "default": DEFAULT_BASE_URL,
                        "minLength": 1
                    },
                    "credential": {
                        "type": "string",
                        "x-weft-widget": "credential",
                        "title": "Credential",
                        "description": "Id or name of a credential with `account_sid` and \
                                        `auth_token` (HTTP basic auth). Never appears in \
                                        outputs, logs or errors.",
                        "minLength": 1
                    },
                    "from": {
                        "type": "string",
                        "title": "From",
                        "description": "The sending number in E.164 form (+14155550100), or \
                                        an alphanumeric sender ID where the carrier allows it.",
                        "minLength": 1,
                        "examples": ["+14155550100"]
                    },
                    "to": {
                        "type": "string",
                        "title": "To",
                        "description": "The recipient's number in E.164 form: `+`, country \
                                        code and number, digits only.",
                        "minLength": 1,
                        "examples": ["+14155550123", "{{ .input.phone }}"]
                    },
                    "body": {
                        "type": "string",
                        "title": "Message",
                        "description": "The text to send, 1 to 1600 characters (longer texts \
                                        are split into segments by the carrier).",
                        "minLength": 1,
                        "maxLength": MAX_BODY_CHARS
                    },
                    "timeout_ms": {
                        "type": "integer",
                        "title": "Timeout (ms)",
                        "description": "Time limit for the API call; the operator's default \
                                        (30 s) when absent.",
                        "minimum": 1,
                        "maximum": MAX_TIMEOUT_MS
                    }
                }),
                &["credential", "from", "to", "body"],
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
        let literal = |field: &str| {
            config
                .get(field)
                .and_then(Value::as_str)
                .filter(|s| !Template::is_template(s))
        };
        let checks: [(&str, Check); 3] = [
            ("base_url", |u| parse_base_url(u).map(drop)),
            ("from", check_sender),
            ("to", check_e164),
        ];
        checks
            .into_iter()
            .filter_map(|(field, check)| {
                let message = check(literal(field)?).err()?;
                Some(ConfigProblem {
                    pointer: format!("/{field}"),
                    message,
                })
            })
            .collect()
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let config: SmsConfig = parse_config(Self::TYPE, &input.config)?;
        let base = parse_base_url(&config.base_url).map_err(|m| config_error("/base_url", m))?;
        check_sender(&config.from).map_err(|m| config_error("/from", m))?;
        check_e164(&config.to).map_err(|m| config_error("/to", m))?;
        check_body(&config.body).map_err(|m| config_error("/body", m))?;
        if let Some(ms) = config.timeout_ms
            && !(1..=MAX_TIMEOUT_MS).contains(&ms)
        {
            return Err(config_error(
                "/timeout_ms",
                format!("must be between 1 and {MAX_TIMEOUT_MS}"),
            ));
        }

        let secret = input.credential(&config.credential).await?;
        let (Some(sid), Some(token)) = (secret.field("account_sid"), secret.field("auth_token"))
        else {
            return Err(NodeError::config(format!(
                "credential `{}` must be an object with `account_sid` and `auth_token`",
                config.credential
            )));
        };
        if sid.is_empty() || !sid.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(NodeError::config(format!(
                "credential `{}`: `account_sid` must be letters and digits (e.g. AC…)",
                config.credential
            )));
        }
        let pair = base64::engine::general_purpose::STANDARD.encode(format!("{sid}:{token}"));
        input.env.credentials.derived(&pair);
        let authorization = HeaderValue::from_str(&format!("Basic {pair}"))
            .map_err(|_| NodeError::config("the credential cannot be sent as basic auth"))?;

        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("To", &config.to)
            .append_pair("From", &config.from)
            .append_pair("Body", &config.body)
            .finish();
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        headers.insert(AUTHORIZATION, authorization);
        if let Ok(key) = HeaderValue::from_str(&input.idempotency_key()) {
            headers.insert("idempotency-key", key);
        }
        let call = HttpCall {
            method: reqwest::Method::POST,
            url: messages_url(&base, sid),
            headers,
            body: Some(form.into_bytes()),
            timeout: config
                .timeout_ms
                .map_or(self.http.default_timeout(), Duration::from_millis),
            response: ResponseMode::Auto,
        };
        let reply = self
            .http
            .call(&input, call)
            .await
            .map_err(|e| Self::api_error(&input, sid, e))?;
        let body = reply.get("body").unwrap_or(&Value::Null);
        let Some(message_sid) = body.get("sid").and_then(Value::as_str) else {
            return Err(NodeError::permanent(format!(
                "{}: the SMS API's reply has no message `sid`",
                Self::TYPE
            ))
            .with_details(json!({"status": reply.get("status")})));
        };
        Ok(NodeOutput::main(json!({
            "sid": message_sid,
            "status": body.get("status").cloned().unwrap_or(Value::Null),
            "to": body.get("to").and_then(Value::as_str).unwrap_or(&config.to),
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_senders_are_checked() {
        for ok in ["+14155550100", "+4930123456", "+12"] {
            assert!(check_e164(ok).is_ok(), "{ok}");
        }
        for bad in [
            "14155550100",
            "+0123",
            "+1 415 555",
            "+1234567890123456",
            "+",
            "",
        ] {
            assert!(check_e164(bad).is_err(), "{bad}");
        }
        assert!(check_sender("Weft Alerts").is_ok());
        assert!(check_sender("+14155550100").is_ok());
        for bad in ["123", "TooLongSenderId", "bad-id", ""] {
            assert!(check_sender(bad).is_err(), "{bad}");
        }
        assert!(check_body(&"é".repeat(1600)).is_ok());
        assert!(check_body(&"é".repeat(1601)).is_err());
        assert!(check_body("").is_err());
    }

    #[test]
    fn the_messages_url_keeps_a_base_path() {
        let url = |base: &str| messages_url(&Url::parse(base).unwrap(), "AC1").to_string();
        assert_eq!(
            url("https://api.twilio.com"),
            "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json"
        );
        assert_eq!(
            url("http://127.0.0.1:8080/twilio/?x=1"),
            "http://127.0.0.1:8080/twilio/2010-04-01/Accounts/AC1/Messages.json"
        );
    }
}

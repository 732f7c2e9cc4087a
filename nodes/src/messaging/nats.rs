//! `nats.publish`: publishes one message to a NATS server, or with `request` sends it as a
//! request and outputs the reply.
//!
//! The node keeps one client per credential URL, shared by its activations; a client that has
//! lost its server is dropped and a fresh connection tried, so a server that is down gives a
//! clear `transient` error instead of a publish buffered for a reconnect that may never come.
//! A publish is followed by a flush (PING/PONG), so success means the server has the message.
//! The activation's idempotency key is sent as the `Nats-Msg-Id` header, which JetStream
//! uses to drop duplicates of a retried publish.

use super::{
    Broker, LinkCache, UrlRules, call_timeout, config_error, credential_schema, decode_body,
    default_retry, encode_payload, guarded_call, open_broker, payload_schema, timeout_schema,
};
use crate::config::{object_schema, parse_config};
use crate::{Node, NodeInput, NodeOutput};
use async_nats::client::{FlushErrorKind, PublishErrorKind, RequestErrorKind};
use async_nats::connection::State;
use async_nats::{Client, ConnectErrorKind, ConnectOptions, HeaderMap, HeaderName, HeaderValue};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::str::FromStr;
use std::time::Duration;
use weft_core::catalog::ConfigProblem;
use weft_core::definition::escape_pointer;
use weft_core::expr::Template;
use weft_core::{NodeError, NodeSpec, Ports};

/// The longest subject accepted (bytes).
const MAX_SUBJECT_BYTES: usize = 1024;

/// The header that carries the idempotency key (JetStream's deduplication id).
const MSG_ID_HEADER: HeaderName = async_nats::header::NATS_MESSAGE_ID;

const RULES: UrlRules = UrlRules {
    label: "NATS server",
    schemes: &[("nats", 4222), ("tls", 4222)],
};

/// `nats.publish`.
#[derive(Debug, Default)]
pub struct NatsPublish {
    clients: LinkCache<Client>,
}

impl NatsPublish {
    pub const TYPE: &'static str = "nats.publish";

    pub fn new() -> Self {
        Self::default()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublishConfig {
    credential: String,
    subject: String,
    payload: Value,
    #[serde(default)]
    headers: Map<String, Value>,
    #[serde(default)]
    request: bool,
    #[serde(default)]
    timeout_ms: Option<u64>,
}

/// A subject a client may publish to: dot-separated non-empty tokens, no whitespace, no
/// wildcards (`*`, `>`).
pub(crate) fn check_subject(subject: &str) -> Result<(), String> {
    if subject.is_empty() {
        return Err("the subject cannot be empty".to_string());
    }
    if subject.len() > MAX_SUBJECT_BYTES {
        return Err(format!(
            "the subject is {} bytes; at most {MAX_SUBJECT_BYTES} are allowed",
            subject.len()
        ));
    }
    if subject.chars().any(char::is_whitespace) {
        return Err("the subject cannot contain spaces or other whitespace".to_string());
    }
    if let Some(c) = subject.chars().find(|c| matches!(c, '*' | '>')) {
        return Err(format!(
            "wildcard `{c}` is not allowed in a subject to publish to (wildcards are for \
             subscriptions)"
        ));
    }
    if subject.split('.').any(str::is_empty) {
        return Err(
            "the subject has an empty token (a leading, trailing or doubled `.`)".to_string(),
        );
    }
    Ok(())
}

fn check_header_name(name: &str) -> Result<(), String> {
    HeaderName::from_str(name)
        .map(|_| ())
        .map_err(|_| "not a valid header name (no spaces, control characters or `:`)".to_string())
}

/// The config's headers as NATS headers: strings, numbers and booleans as text; an array
/// gives the header several values.
fn to_headers(map: &Map<String, Value>) -> Result<HeaderMap, NodeError> {
    let mut headers = HeaderMap::new();
    for (name, value) in map {
        let at = format!("/headers/{}", escape_pointer(name));
        let bad = |m: &str| config_error(NatsPublish::TYPE, &at, m);
        // Parsed, not `&str`: the client represents well-known names (Nats-Msg-Id…) as
        // constants, and only a parsed name compares equal to them.
        let header = HeaderName::from_str(name)
            .map_err(|_| bad("not a valid header name (no spaces, control characters or `:`)"))?;
        let values = match value {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        for v in values {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => {
                    return Err(bad(
                        "expected a string, number, boolean or an array of them",
                    ));
                }
            };
            let v = HeaderValue::from_str(&text)
                .map_err(|_| bad("not a valid header value (no line breaks)"))?;
            headers.append(header.clone(), v);
        }
    }
    Ok(headers)
}

fn headers_to_json(headers: Option<&HeaderMap>) -> Map<String, Value> {
    let mut out = Map::new();
    if let Some(headers) = headers {
        for (name, values) in headers.iter() {
            let joined: Vec<&str> = values.iter().map(HeaderValue::as_str).collect();
            out.insert(name.to_string(), Value::String(joined.join(", ")));
        }
    }
    out
}

impl NatsPublish {
    /// The node's client for `broker`, connecting when there is none or the cached one has
    /// lost its server.
    async fn client(&self, broker: &Broker, timeout: Duration) -> Result<Client, NodeError> {
        let slot = self.clients.slot(&broker.cache_key());
        let mut cached = slot.lock().await;
        if let Some(client) = cached.as_ref()
            && client.connection_state() == State::Connected
        {
            return Ok(client.clone());
        }
        // Dropping the last handle of a client closes its connection.
        *cached = None;
        let client = connect(broker, timeout).await?;
        *cached = Some(client.clone());
        Ok(client)
    }
}

async fn connect(broker: &Broker, timeout: Duration) -> Result<Client, NodeError> {
    let target = broker.target();
    let mut options = ConnectOptions::new()
        .name("weft")
        .connection_timeout(timeout)
        .require_tls(broker.url.scheme() == "tls");
    options = match (&broker.token, &broker.username, &broker.password) {
        (Some(token), _, _) => options.token(token.clone()),
        (None, Some(user), Some(password)) => {
            options.user_and_password(user.clone(), password.clone())
        }
        // `nats://TOKEN@host`: a user name without a password is a token.
        (None, Some(token), None) => options.token(token.clone()),
        (None, None, _) => options,
    };
    if let Some(pem) = &broker.ca_cert {
        let tls = crate::tls::trusting(Some(pem))
            .map_err(|m| config_error(NatsPublish::TYPE, "/credential", m))?;
        options = options.tls_client_config((*tls).clone());
    }
    // The address without user info: the client's errors may repeat it.
    let address = format!("{}://{}", broker.url.scheme(), broker.host_port());
    options.connect(address).await.map_err(|e| match e.kind() {
        ConnectErrorKind::AuthorizationViolation | ConnectErrorKind::Authentication => {
            NodeError::permanent(format!(
                "{target} refused the login (check the credential's user name, password or \
                 token)"
            ))
        }
        ConnectErrorKind::ServerParse => config_error(
            NatsPublish::TYPE,
            "/credential",
            "the credential's URL is not a valid NATS server address",
        ),
        ConnectErrorKind::TimedOut => {
            NodeError::transient(format!("could not connect to {target}: timed out"))
        }
        kind => {
            let cause = std::error::Error::source(&e)
                .map(|s| s.to_string())
                .unwrap_or_default();
            // rustls's refusal of the certificate arrives as an IO error.
            if kind == ConnectErrorKind::Tls || crate::tls::is_handshake_failure(&cause) {
                crate::tls::handshake_error(&target, cause)
            } else if cause.is_empty() {
                NodeError::transient(format!("could not connect to {target}: {kind}"))
            } else {
                NodeError::transient(format!("could not connect to {target}: {kind}: {cause}"))
            }
        }
    })
}

#[async_trait]
impl Node for NatsPublish {
    fn spec(&self) -> NodeSpec {
        NodeSpec {
            type_name: Self::TYPE.to_string(),
            category: "messaging".to_string(),
            description: "Publishes a message to a NATS subject and flushes, so success means \
                          the server has it; outputs {subject, bytes}. With `request`, waits for \
                          one reply and outputs it as `reply` {subject, payload, headers} \
                          (payload parsed when it is JSON). Sends Nats-Msg-Id: \
                          {execution_id}/{node_path}. A server that cannot be reached or a \
                          request nobody answers is retried."
                .to_string(),
            trigger: false,
            ports: Ports::main(),
            schema: object_schema(
                "NATS publish",
                json!({
                    "credential": credential_schema(
                    "NATS",
                    "nats://user:pass@127.0.0.1:4222",
                    " A token goes in a `token` field, or as the URL's user name without a \
                     password (`nats://TOKEN@host:4222`); `tls://` requires TLS. The object \
                     may add `ca_cert`: the PEM certificate of a private CA to trust.",
                ),
                    "subject": {
                        "type": "string",
                        "title": "Subject",
                        "description": "The subject to publish to, e.g. `orders.created`: \
                                        dot-separated tokens, no spaces, no wildcards (`*`, \
                                        `>`); at most 1024 bytes. May be a {{ }} template.",
                        "minLength": 1,
                        "maxLength": MAX_SUBJECT_BYTES,
                        "examples": ["orders.{{ .input.region }}.created"]
                    },
                    "payload": payload_schema(),
                    "headers": {
                        "type": "object",
                        "title": "Headers",
                        "description": "Message headers: a string, number or boolean each, or an \
                                        array of them for a repeated header. Nats-Msg-Id is set \
                                        to the idempotency key unless given here.",
                        "additionalProperties": {
                            "type": ["string", "number", "boolean", "array"],
                            "items": {"type": ["string", "number", "boolean"]}
                        },
                        "default": {}
                    },
                    "request": {
                        "type": "boolean",
                        "title": "Request / reply",
                        "description": "Send the message as a request and wait (within \
                                        timeout_ms) for one reply, output as `reply`. Off: \
                                        publish only.",
                        "default": false
                    },
                    "timeout_ms": timeout_schema()
                }),
                &["credential", "subject", "payload"],
            ),
            filter_fields: Vec::new(),
            raw_fields: Vec::new(),
            default_retry: Some(default_retry()),
        }
    }

    fn check_config(&self, config: &Value) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        if let Some(subject) = config.get("subject").and_then(Value::as_str)
            && !Template::is_template(subject)
            && let Err(message) = check_subject(subject)
        {
            out.push(ConfigProblem {
                pointer: "/subject".to_string(),
                message,
            });
        }
        if let Some(headers) = config.get("headers").and_then(Value::as_object) {
            for name in headers.keys() {
                if let Err(message) = check_header_name(name) {
                    out.push(ConfigProblem {
                        pointer: format!("/headers/{}", escape_pointer(name)),
                        message,
                    });
                }
            }
        }
        out
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let cfg: PublishConfig = parse_config(Self::TYPE, &input.config)?;
        check_subject(&cfg.subject).map_err(|m| config_error(Self::TYPE, "/subject", m))?;
        let mut headers = to_headers(&cfg.headers)?;
        if !cfg
            .headers
            .keys()
            .any(|k| k.eq_ignore_ascii_case("Nats-Msg-Id"))
        {
            headers.insert(MSG_ID_HEADER, input.idempotency_key().as_str());
        }
        let payload = encode_payload(Self::TYPE, "/payload", &cfg.payload)?;
        let bytes = payload.bytes.len();
        let broker = open_broker(&input, Self::TYPE, &cfg.credential, &RULES).await?;
        let target = broker.target();
        let timeout = call_timeout(cfg.timeout_ms, &input);
        let subject = cfg.subject.clone();
        let what = if cfg.request {
            "a request"
        } else {
            "publishing"
        };
        let reply = guarded_call(&input, &broker, timeout, what, async {
            let client = self.client(&broker, timeout).await?;
            let max = client.server_info().max_payload;
            if max > 0 && bytes > max {
                return Err(NodeError::permanent(format!(
                    "{}: /payload is {bytes} bytes, more than {target} accepts ({max})",
                    Self::TYPE
                )));
            }
            let body = bytes::Bytes::from(payload.bytes);
            if cfg.request {
                let request = async_nats::Request::new()
                    .headers(headers)
                    .payload(body)
                    .timeout(Some(timeout));
                let message = client
                    .send_request(subject.clone(), request)
                    .await
                    .map_err(|e| match e.kind() {
                        RequestErrorKind::TimedOut => NodeError::timeout(format!(
                            "no reply on `{subject}` via {target} within {} ms",
                            timeout.as_millis()
                        )),
                        RequestErrorKind::NoResponders => NodeError::transient(format!(
                            "no responders on `{subject}` via {target}"
                        )),
                        RequestErrorKind::Other => NodeError::transient(format!(
                            "request on `{subject}` via {target}: {e}"
                        )),
                    })?;
                Ok(Some(json!({
                    "subject": message.subject.as_str(),
                    "payload": decode_body(&message.payload),
                    "headers": headers_to_json(message.headers.as_ref()),
                })))
            } else {
                client
                    .publish_with_headers(subject.clone(), headers, body)
                    .await
                    .map_err(|e| match e.kind() {
                        PublishErrorKind::BadSubject => {
                            config_error(Self::TYPE, "/subject", "not a valid subject")
                        }
                        PublishErrorKind::MaxPayloadExceeded => NodeError::permanent(format!(
                            "{}: /payload is more than {target} accepts",
                            Self::TYPE
                        )),
                        PublishErrorKind::Send => NodeError::transient(format!(
                            "publishing on `{subject}` via {target}: the connection is gone"
                        )),
                    })?;
                client.flush().await.map_err(|e| {
                    let why = match e.kind() {
                        FlushErrorKind::SendError => "the connection is gone",
                        FlushErrorKind::FlushError => "the server did not confirm",
                    };
                    NodeError::transient(format!("publishing on `{subject}` via {target}: {why}"))
                })?;
                Ok(None)
            }
        })
        .await?;
        let mut output = json!({"subject": cfg.subject, "bytes": bytes});
        if let Some(reply) = reply {
            output["reply"] = reply;
        }
        Ok(NodeOutput::main(output))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_subjects_are_plain_tokens() {
        assert!(check_subject("orders.created").is_ok());
        assert!(check_subject("_INBOX.abc").is_ok());
        assert!(check_subject("a b").unwrap_err().contains("spaces"));
        assert!(check_subject("a.*.c").unwrap_err().contains("wildcard `*`"));
        assert!(check_subject("a.>").unwrap_err().contains("wildcard `>`"));
        assert!(check_subject(".a").unwrap_err().contains("empty token"));
        assert!(check_subject("a..b").is_err());
        assert!(check_subject("a.").is_err());
        assert!(check_subject("").is_err());
        assert!(check_subject(&"x".repeat(MAX_SUBJECT_BYTES + 1)).is_err());
    }

    #[test]
    fn headers_become_nats_headers() {
        let h = to_headers(
            json!({"X-One": "1", "X-Num": 2, "X-Many": ["a", true], "Nats-Msg-Id": "k"})
                .as_object()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(h.get("X-One").map(HeaderValue::as_str), Some("1"));
        assert_eq!(h.get("X-Num").map(HeaderValue::as_str), Some("2"));
        let many: Vec<&str> = h.get_all("X-Many").map(HeaderValue::as_str).collect();
        assert_eq!(many, vec!["a", "true"]);
        assert_eq!(h.get(MSG_ID_HEADER).map(HeaderValue::as_str), Some("k"));

        let e = to_headers(json!({"bad name": "x"}).as_object().unwrap()).unwrap_err();
        assert!(e.message.contains("/headers/bad name"), "{e}");
        let e = to_headers(json!({"X": "a\r\nb"}).as_object().unwrap()).unwrap_err();
        assert!(e.message.contains("line breaks"), "{e}");
        let e = to_headers(json!({"X": {"o": 1}}).as_object().unwrap()).unwrap_err();
        assert!(e.message.contains("expected a string"), "{e}");
    }

    #[test]
    fn literal_subjects_and_header_names_are_checked_at_design_time() {
        let node = NatsPublish::new();
        let p = node.check_config(&json!({"subject": "a.>", "headers": {"a:b": "x"}}));
        let pointers: Vec<&str> = p.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(pointers, vec!["/subject", "/headers/a:b"]);
        assert!(
            node.check_config(&json!({"subject": "{{ .input.s }}"}))
                .is_empty()
        );
    }
}

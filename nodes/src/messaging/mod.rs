//! Messaging node types: `amqp.publish` ([`amqp`], RabbitMQ and other AMQP 0-9-1 brokers),
//! `mqtt.publish` ([`mqtt`], MQTT 3.1.1) and `nats.publish` ([`nats`], core NATS, with
//! request/reply).
//!
//! The three share one config shape, so a workflow can switch brokers by renaming fields as
//! little as possible:
//! - `credential` names the broker connection: a URL (`amqp://user:pass@host:5672/%2f`,
//!   `mqtt://user:pass@host:1883`, `nats://user:pass@host:4222`) or an object with `url` and
//!   optionally `username`, `password` (and `token` for NATS), which override the URL's user
//!   info. Connection URLs live in credentials, never in plain config.
//! - the destination: `exchange` + `routing_key` (AMQP), `topic` (MQTT), `subject` (NATS).
//! - `payload`: a string is sent as is (UTF-8), any other JSON value serialized as JSON; at
//!   most [`MAX_PAYLOAD_BYTES`].
//! - `headers` where the protocol has them (AMQP, NATS).
//! - `timeout_ms`: the time limit of the whole call (connecting included), default
//!   [`DEFAULT_TIMEOUT`], capped by the node's own time limit.
//!
//! Success means the broker has the message: AMQP waits for the publisher confirm, MQTT for
//! PUBACK/PUBCOMP (QoS 1/2), NATS flushes and waits for the server's PONG.
//!
//! Errors: a config that cannot work is `config` and names the field; a broker that cannot be
//! reached, drops the connection or refuses the message for a reason that may pass is
//! `transient`; running out of time is `timeout`; anything a retry cannot fix (an unroutable
//! message, a missing exchange, a refused login) is `permanent`. Messages name the broker as
//! "the AMQP broker at host:port", never with its URL (which may hold user info). Every call goes through the circuit
//! breaker of (node type, `host:port`).

pub mod amqp;
pub mod mqtt;
pub mod nats;

pub use amqp::AmqpPublish;
pub use mqtt::MqttPublish;
pub use nats::NatsPublish;

use crate::http::HttpClient;
use crate::options::NodeOptions;
use crate::registry::RegistryError;
use crate::{Node, NodeInput};
use percent_encoding::percent_decode_str;
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use url::Url;
use weft_core::{ErrorKind, Jitter, NodeError, RetryPolicy};

/// The largest payload any of the three types sends (after serialization).
pub const MAX_PAYLOAD_BYTES: usize = 1024 * 1024;

/// The time limit of a call whose config sets no `timeout_ms`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest `timeout_ms` a config may set (5 minutes).
pub const MAX_TIMEOUT_MS: u64 = 300_000;

/// Broker connections a node type keeps open at once (one per distinct credential URL).
const MAX_CACHED_LINKS: usize = 16;

/// The node types of this module, built from the operator's options.
pub(crate) fn nodes(
    _options: &NodeOptions,
    _http: &HttpClient,
) -> Result<Vec<Arc<dyn Node>>, RegistryError> {
    Ok(vec![
        Arc::new(AmqpPublish::new()),
        Arc::new(MqttPublish::new()),
        Arc::new(NatsPublish::new()),
    ])
}

/// The retry policy of the three types when the definition sets none: a few quick attempts,
/// as for `http.request`.
fn default_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        initial_interval_ms: 500,
        multiplier: 2.0,
        max_interval_ms: 10_000,
        jitter: Jitter::Full,
    }
}

pub(crate) use crate::config::config_error;

/// For optional fields where an explicit `null` is a value (`payload: null` sends JSON null),
/// unlike an absent field.
pub(crate) fn some_value<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// The time limit of one call: `timeout_ms` or the default, capped by the activation's.
pub(crate) fn call_timeout(timeout_ms: Option<u64>, input: &NodeInput) -> Duration {
    let wanted = timeout_ms
        .map(|ms| Duration::from_millis(ms.clamp(1, MAX_TIMEOUT_MS)))
        .unwrap_or(DEFAULT_TIMEOUT);
    input.timeout.map_or(wanted, |limit| wanted.min(limit))
}

/// Runs `call` through the breaker of (node type, `broker`'s host:port) with a time limit;
/// running out of time is a `timeout` error saying what was being done.
pub(crate) async fn guarded_call<T>(
    input: &NodeInput,
    broker: &Broker,
    timeout: Duration,
    what: &str,
    call: impl std::future::Future<Output = Result<T, NodeError>>,
) -> Result<T, NodeError> {
    let target = broker.target();
    input
        .guarded(&broker.host_port(), async {
            tokio::time::timeout(timeout, call).await.map_err(|_| {
                NodeError::timeout(format!(
                    "{what} via {target} timed out after {} ms",
                    timeout.as_millis()
                ))
            })?
        })
        .await
}

/// A message body ready to send.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Payload {
    pub bytes: Vec<u8>,
    /// `text/plain; charset=utf-8` for strings, `application/json` otherwise.
    pub content_type: &'static str,
}

pub(crate) const TEXT: &str = "text/plain; charset=utf-8";
pub(crate) const JSON: &str = "application/json";

/// A string as is, any other value as JSON; at most [`MAX_PAYLOAD_BYTES`].
pub(crate) fn encode_payload(
    type_name: &str,
    pointer: &str,
    value: &Value,
) -> Result<Payload, NodeError> {
    let payload = match value {
        Value::String(s) => Payload {
            bytes: s.as_bytes().to_vec(),
            content_type: TEXT,
        },
        other => Payload {
            bytes: other.to_string().into_bytes(),
            content_type: JSON,
        },
    };
    if payload.bytes.len() > MAX_PAYLOAD_BYTES {
        return Err(NodeError::permanent(format!(
            "{type_name}: {pointer} is {} bytes, more than the limit of {MAX_PAYLOAD_BYTES} bytes",
            payload.bytes.len()
        )));
    }
    Ok(payload)
}

/// A received body for an output: the JSON value when it parses as JSON, the text
/// otherwise (invalid UTF-8 replaced), null when empty.
pub(crate) fn decode_body(bytes: &[u8]) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

/// A broker connection as a credential describes it. Its `Debug` shows no secret.
#[derive(Clone)]
pub(crate) struct Broker {
    /// What to call it in messages: "AMQP broker", "NATS server"…
    pub label: &'static str,
    /// The URL without user info.
    pub url: Url,
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<String>,
    /// NATS only: a token (the URL's user name when it has no password, or `token`).
    pub token: Option<String>,
    /// PEM certificate(s) of a private CA to trust for TLS (the object's `ca_cert`).
    pub ca_cert: Option<String>,
}

impl std::fmt::Debug for Broker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Broker({})", self.target())
    }
}

impl Broker {
    /// `the AMQP broker at host:port`, for messages. Never the URL: besides user info, a
    /// credential that is just `scheme://host:port` would be scrubbed out of the message.
    pub fn target(&self) -> String {
        format!("the {} at {}", self.label, self.host_port())
    }

    /// `host:port`: the breaker's key.
    pub fn host_port(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// Everything that identifies one connection (secrets included: it only ever lives in a
    /// node's in-memory connection cache).
    pub fn cache_key(&self) -> String {
        format!(
            "{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}",
            self.url,
            self.username.as_deref().unwrap_or(""),
            self.password.as_deref().unwrap_or(""),
            self.token.as_deref().unwrap_or(""),
            self.ca_cert.as_deref().unwrap_or("")
        )
    }
}

/// What a broker URL may look like for one node type.
pub(crate) struct UrlRules {
    /// What to call the server in messages.
    pub label: &'static str,
    /// Accepted schemes with their default ports.
    pub schemes: &'static [(&'static str, u16)],
}

/// Opens the credential `reference` and reads a broker from it. Problems are `config` errors
/// at `/credential` that never repeat the URL (it may hold a password).
pub(crate) async fn open_broker(
    input: &NodeInput,
    type_name: &str,
    reference: &str,
    rules: &UrlRules,
) -> Result<Broker, NodeError> {
    let secret = input.credential(reference).await.map_err(|e| {
        if e.kind == ErrorKind::Config {
            config_error(type_name, "/credential", e.message)
        } else {
            e
        }
    })?;
    let bad = |m: String| config_error(type_name, "/credential", m);
    let (url, fields) = match secret.value() {
        Value::String(url) => (url.as_str(), None),
        Value::Object(map) => match map.get("url").and_then(Value::as_str) {
            Some(url) => (url, Some(map)),
            None => {
                return Err(bad(format!(
                    "credential `{reference}` must be a URL string or an object with a `url` \
                     string"
                )));
            }
        },
        _ => {
            return Err(bad(format!(
                "credential `{reference}` must be a URL string or an object with a `url` string"
            )));
        }
    };
    let mut url = Url::parse(url.trim())
        .map_err(|e| bad(format!("credential `{reference}` is not a valid URL ({e})")))?;
    let schemes: Vec<&str> = rules.schemes.iter().map(|(s, _)| *s).collect();
    let Some(default_port) = rules
        .schemes
        .iter()
        .find(|(s, _)| *s == url.scheme())
        .map(|(_, p)| *p)
    else {
        return Err(bad(format!(
            "credential `{reference}` has the URL scheme `{}`; use {}",
            url.scheme(),
            schemes.join(" or ")
        )));
    };
    let host = match url.host() {
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        Some(h) => h.to_string().to_ascii_lowercase(),
        None => return Err(bad(format!("credential `{reference}` has no host"))),
    };
    if host.is_empty() {
        return Err(bad(format!("credential `{reference}` has no host")));
    }
    let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
    let mut username = Some(decode(url.username())).filter(|u| !u.is_empty());
    let mut password = url.password().map(decode);
    let field = |name: &str| {
        fields
            .and_then(|m| m.get(name))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    if let Some(u) = field("username") {
        username = Some(u);
    }
    if let Some(p) = field("password") {
        password = Some(p);
    }
    let token = field("token");
    let ca_cert = field("ca_cert").filter(|pem| !pem.trim().is_empty());
    let port = url.port().unwrap_or(default_port);
    // Neither errors for a URL that has a host.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    Ok(Broker {
        label: rules.label,
        url,
        host,
        port,
        username,
        password,
        token,
        ca_cert,
    })
}

/// Open broker connections of one node type, one slot per [`Broker::cache_key`]. A slot's
/// async lock is held only while checking or (re)opening its connection, so activations on
/// one broker share it and different brokers never wait for each other. At most
/// [`MAX_CACHED_LINKS`] slots: when full, an idle slot is dropped (which closes its
/// connection).
pub(crate) struct LinkCache<T> {
    slots: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<T>>>>>,
}

impl<T> Default for LinkCache<T> {
    fn default() -> Self {
        Self {
            slots: Mutex::new(HashMap::new()),
        }
    }
}

impl<T> std::fmt::Debug for LinkCache<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.slots.lock().map(|s| s.len()).unwrap_or(0);
        write!(f, "LinkCache({n} connections)")
    }
}

impl<T> LinkCache<T> {
    pub fn slot(&self, key: &str) -> Arc<tokio::sync::Mutex<Option<T>>> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(slot) = slots.get(key) {
            return Arc::clone(slot);
        }
        if slots.len() >= MAX_CACHED_LINKS {
            // Idle: nobody holds the slot right now.
            let idle: Vec<String> = slots
                .iter()
                .filter(|(_, s)| Arc::strong_count(s) == 1)
                .map(|(k, _)| k.clone())
                .collect();
            for k in idle.into_iter().take(slots.len() + 1 - MAX_CACHED_LINKS) {
                slots.remove(&k);
            }
        }
        Arc::clone(slots.entry(key.to_string()).or_default())
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.slots.lock().map(|s| s.len()).unwrap_or(0)
    }
}

/// The schema of the `credential` field; `note` adds what is particular to the protocol.
fn credential_schema(protocol: &str, example: &str, note: &str) -> Value {
    json!({
        "type": "string",
        "x-weft-widget": "credential",
        "title": "Credential",
        "description": format!(
            "Id or name of the credential holding the {protocol} connection: a URL such as \
             `{example}`, or an object {{url, username, password}} whose username and password \
             override the URL's.{note}"
        ),
        "minLength": 1,
        "examples": [format!("{}-main", protocol.to_ascii_lowercase())]
    })
}

/// The schema of the `payload` field.
fn payload_schema() -> Value {
    json!({
        "title": "Payload",
        "description": format!(
            "The message body; may be a {{{{ }}}} template. A string is sent as is (UTF-8); any \
             other JSON value (object, array, number, boolean, null) is serialized as JSON. At \
             most {MAX_PAYLOAD_BYTES} bytes."
        ),
        "examples": ["{{ .prev }}", "order {{ .input.id }} shipped"]
    })
}

/// The schema of the `timeout_ms` field.
fn timeout_schema() -> Value {
    json!({
        "type": "integer",
        "title": "Timeout (ms)",
        "description": format!(
            "Time limit of the whole call, connecting included; {} ms when absent, and never \
             more than the node's own time limit.",
            DEFAULT_TIMEOUT.as_millis()
        ),
        "minimum": 1,
        "maximum": MAX_TIMEOUT_MS,
        "default": DEFAULT_TIMEOUT.as_millis() as u64
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestInput;

    const AMQP: UrlRules = UrlRules {
        label: "AMQP broker",
        schemes: &[("amqp", 5672), ("amqps", 5671)],
    };

    async fn broker(value: Value) -> Result<Broker, NodeError> {
        let node = AmqpPublish::new();
        let input = TestInput::new(json!({}))
            .credential("c", value)
            .build_for(&node)
            .unwrap();
        open_broker(&input, "amqp.publish", "c", &AMQP).await
    }

    #[tokio::test]
    async fn credentials_give_a_broker_without_user_info_in_its_url() {
        let b = broker(json!("amqp://app:p%40ss@Rabbit.example/%2f"))
            .await
            .unwrap();
        assert_eq!(b.username.as_deref(), Some("app"));
        assert_eq!(b.password.as_deref(), Some("p@ss"));
        assert_eq!(b.target(), "the AMQP broker at rabbit.example:5672");
        assert_eq!(b.url.as_str(), "amqp://Rabbit.example/%2f");
        assert!(!format!("{b:?}").contains("p@ss"));

        let b = broker(json!({"url": "amqps://x:y@[::1]:6000", "password": "other"}))
            .await
            .unwrap();
        assert_eq!(
            (b.username.as_deref(), b.password.as_deref()),
            (Some("x"), Some("other"))
        );
        assert_eq!(b.host_port(), "[::1]:6000");
    }

    #[tokio::test]
    async fn bad_credentials_are_config_errors_that_do_not_echo_the_url() {
        for (value, needle) in [
            (
                json!("http://u:hunter2@h/"),
                "scheme `http`; use amqp or amqps",
            ),
            (json!("not a url hunter2"), "is not a valid URL"),
            (json!({"user": "x"}), "object with a `url` string"),
            (json!(42), "must be a URL string"),
        ] {
            let e = broker(value).await.unwrap_err();
            assert_eq!(e.kind, ErrorKind::Config, "{e}");
            assert!(
                e.message
                    .starts_with("invalid amqp.publish config: /credential: "),
                "{e}"
            );
            assert!(e.message.contains(needle), "{e}");
            assert!(!e.message.contains("hunter2"), "{e}");
        }
    }

    #[test]
    fn payloads_are_text_or_json_and_capped() {
        let p = encode_payload("t.x", "/payload", &json!("héllo")).unwrap();
        assert_eq!(
            (p.bytes.as_slice(), p.content_type),
            ("héllo".as_bytes(), TEXT)
        );
        let p = encode_payload("t.x", "/payload", &json!({"a": [1]})).unwrap();
        assert_eq!(
            (p.bytes.as_slice(), p.content_type),
            (&b"{\"a\":[1]}"[..], JSON)
        );
        let p = encode_payload("t.x", "/payload", &Value::Null).unwrap();
        assert_eq!(p.bytes, b"null");
        let big = Value::String("x".repeat(MAX_PAYLOAD_BYTES + 1));
        let e = encode_payload("t.x", "/payload", &big).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Permanent);
        assert!(e.message.contains("/payload is 1048577 bytes"), "{e}");

        assert_eq!(decode_body(b""), Value::Null);
        assert_eq!(decode_body(b"{\"a\":1}"), json!({"a": 1}));
        assert_eq!(decode_body(b"pong"), json!("pong"));
    }

    #[test]
    fn the_cache_drops_idle_slots_when_full() {
        let cache: LinkCache<u32> = LinkCache::default();
        let held = cache.slot("held");
        for i in 0..40 {
            let _ = cache.slot(&format!("k{i}"));
        }
        assert_eq!(cache.len(), MAX_CACHED_LINKS);
        assert!(Arc::ptr_eq(&held, &cache.slot("held")), "held slots stay");
    }

    #[test]
    fn timeouts_default_and_are_capped() {
        let node = AmqpPublish::new();
        let mut input = TestInput::new(json!({})).build_for(&node).unwrap();
        assert_eq!(call_timeout(None, &input), DEFAULT_TIMEOUT);
        assert_eq!(call_timeout(Some(250), &input), Duration::from_millis(250));
        input.timeout = Some(Duration::from_millis(100));
        assert_eq!(call_timeout(Some(250), &input), Duration::from_millis(100));
    }
}

//! `amqp.publish`: publishes one message to an AMQP 0-9-1 broker (RabbitMQ) and waits for the
//! broker's publisher confirm.
//!
//! The node keeps one connection and one confirm-mode channel per credential URL, shared by
//! its activations and reopened when the broker closed either. A publish succeeds when the
//! broker acks it; a nack is `transient`. With `mandatory` (the default) a message no queue
//! is bound for comes back from the broker and fails the node (`permanent`), instead of being
//! dropped silently. The activation's idempotency key travels as the AMQP `message_id`, so
//! consumers can deduplicate a retried publish.

use super::{
    Broker, LinkCache, UrlRules, call_timeout, config_error, credential_schema, default_retry,
    encode_payload, guarded_call, open_broker, payload_schema, some_value, timeout_schema,
};
use crate::config::{object_schema, parse_config};
use crate::{Node, NodeInput, NodeOutput};
use async_trait::async_trait;
use lapin::message::BasicReturnMessage;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::protocol::{AMQPErrorKind, AMQPHardError, AMQPSoftError};
use lapin::types::{AMQPValue, FieldArray, FieldTable, LongString, ShortString};
use lapin::uri::AMQPUri;
use lapin::{BasicProperties, Channel, Confirmation, Connection, ConnectionProperties};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use weft_core::catalog::ConfigProblem;
use weft_core::definition::escape_pointer;
use weft_core::expr::Template;
use weft_core::{NodeError, NodeSpec, Ports};

/// AMQP short strings (exchange, routing key, header names, message id) hold at most this
/// many bytes.
const MAX_SHORT_STRING: usize = 255;

const RULES: UrlRules = UrlRules {
    label: "AMQP broker",
    schemes: &[("amqp", 5672), ("amqps", 5671)],
};

/// `amqp.publish`.
#[derive(Debug, Default)]
pub struct AmqpPublish {
    links: LinkCache<AmqpLink>,
}

impl AmqpPublish {
    pub const TYPE: &'static str = "amqp.publish";

    pub fn new() -> Self {
        Self::default()
    }
}

/// One cached connection and its confirm-mode channel. Dropping it closes both.
struct AmqpLink {
    connection: Connection,
    channel: Channel,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublishConfig {
    credential: String,
    #[serde(default)]
    exchange: String,
    routing_key: String,
    #[serde(default, deserialize_with = "some_value")]
    payload: Option<Value>,
    #[serde(default, deserialize_with = "some_value")]
    message: Option<Value>,
    #[serde(default)]
    headers: Map<String, Value>,
    #[serde(default)]
    content_type: Option<String>,
    #[serde(default = "yes")]
    persistent: bool,
    #[serde(default = "yes")]
    mandatory: bool,
    #[serde(default)]
    timeout_ms: Option<u64>,
}

fn yes() -> bool {
    true
}

/// RabbitMQ's rule for exchange names: letters, digits, `-`, `_`, `.`, `:`; "" is the default
/// exchange.
fn check_exchange(name: &str) -> Result<(), String> {
    if name.len() > MAX_SHORT_STRING {
        return Err(format!(
            "at most {MAX_SHORT_STRING} bytes (got {})",
            name.len()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')))
    {
        return Err(format!(
            "{c:?} is not allowed in an exchange name (letters, digits, `-`, `_`, `.` and `:` \
             are)"
        ));
    }
    Ok(())
}

fn check_short(what: &str, value: &str) -> Result<(), String> {
    if value.len() > MAX_SHORT_STRING {
        return Err(format!(
            "{what} is {} bytes; AMQP allows at most {MAX_SHORT_STRING}",
            value.len()
        ));
    }
    Ok(())
}

fn check_header_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("header names cannot be empty".to_string());
    }
    check_short("the header name", name)
}

/// A JSON value as an AMQP field value: strings as long strings, integers as 64-bit
/// integers, other numbers as doubles, arrays as field arrays, objects as tables.
fn to_amqp(value: &Value, pointer: &str) -> Result<AMQPValue, NodeError> {
    Ok(match value {
        Value::Null => AMQPValue::Void,
        Value::Bool(b) => AMQPValue::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => AMQPValue::LongLongInt(i),
            None => AMQPValue::Double(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => AMQPValue::LongString(LongString::from(s.as_bytes())),
        Value::Array(items) => {
            let mut array = FieldArray::default();
            for (i, item) in items.iter().enumerate() {
                array.push(to_amqp(item, &format!("{pointer}/{i}"))?);
            }
            AMQPValue::FieldArray(array)
        }
        Value::Object(map) => AMQPValue::FieldTable(to_table(map, pointer)?),
    })
}

fn to_table(map: &Map<String, Value>, pointer: &str) -> Result<FieldTable, NodeError> {
    let mut table = FieldTable::default();
    for (name, value) in map {
        let at = format!("{pointer}/{}", escape_pointer(name));
        check_header_name(name).map_err(|m| config_error(AmqpPublish::TYPE, &at, m))?;
        let key = ShortString::try_new(name.as_str())
            .map_err(|_| config_error(AmqpPublish::TYPE, &at, "header name too long"))?;
        table.insert(key, to_amqp(value, &at)?);
    }
    Ok(table)
}

fn short(pointer: &str, value: &str) -> Result<ShortString, NodeError> {
    ShortString::try_new(value).map_err(|_| {
        config_error(
            AmqpPublish::TYPE,
            pointer,
            format!("at most {MAX_SHORT_STRING} bytes"),
        )
    })
}

/// The activation's idempotency key as a message id (a digest of it when it is longer than
/// an AMQP short string, as very deep node paths can make it).
fn message_id(input: &NodeInput) -> String {
    let key = input.idempotency_key();
    if key.len() <= MAX_SHORT_STRING {
        return key;
    }
    use sha2_11::Digest as _;
    hex::encode(sha2_11::Sha256::digest(key.as_bytes()))
}

fn exchange_label(exchange: &str) -> String {
    if exchange.is_empty() {
        "the default exchange".to_string()
    } else {
        format!("exchange `{exchange}`")
    }
}

/// Maps a client error to an error kind. lapin's messages never hold the URL; ours name the
/// broker by host and port only. For errors the broker raised, its own words are kept (e.g.
/// `NOT_FOUND - no exchange 'x' in vhost '/'`).
fn classify(e: &lapin::Error, target: &str, doing: &str) -> NodeError {
    match e.kind() {
        lapin::ErrorKind::ProtocolError(amqp) => {
            let message = format!("{doing} {target} failed: {}", amqp.get_message());
            match amqp.kind() {
                // A retry cannot change a missing exchange, refused access or a bad message;
                // the rest (resource limits, a forced close) may pass.
                AMQPErrorKind::Soft(
                    AMQPSoftError::NOTFOUND
                    | AMQPSoftError::ACCESSREFUSED
                    | AMQPSoftError::PRECONDITIONFAILED
                    | AMQPSoftError::CONTENTTOOLARGE,
                )
                | AMQPErrorKind::Hard(
                    AMQPHardError::NOTALLOWED
                    | AMQPHardError::INVALIDPATH
                    | AMQPHardError::NOTIMPLEMENTED
                    | AMQPHardError::SYNTAXERROR
                    | AMQPHardError::COMMANDINVALID
                    | AMQPHardError::FRAMEERROR,
                ) => NodeError::permanent(message),
                _ => NodeError::transient(message),
            }
        }
        lapin::ErrorKind::AuthProviderError(_) => {
            NodeError::permanent(format!("{doing} {target} failed: {e}"))
        }
        _ => NodeError::transient(format!("{doing} {target} failed: {e}")),
    }
}

/// Whether a connection attempt failed because the broker refused the login.
fn is_login_refused(e: &lapin::Error) -> bool {
    match e.kind() {
        lapin::ErrorKind::ProtocolError(amqp) => {
            matches!(
                amqp.kind(),
                AMQPErrorKind::Soft(AMQPSoftError::ACCESSREFUSED)
            )
        }
        lapin::ErrorKind::AuthProviderError(_) => true,
        _ => false,
    }
}

impl AmqpPublish {
    /// The node's open channel to `broker`, (re)connecting when there is none or the broker
    /// closed it.
    async fn channel(&self, broker: &Broker) -> Result<Channel, NodeError> {
        let target = broker.target();
        let slot = self.links.slot(&broker.cache_key());
        let mut link = slot.lock().await;
        if let Some(l) = link.as_mut()
            && l.connection.status().connected()
        {
            if l.channel.status().connected() {
                return Ok(l.channel.clone());
            }
            // The broker closed the channel (e.g. after a publish to a missing exchange); the
            // connection is fine.
            if let Ok(channel) = open_channel(&l.connection, &target).await {
                l.channel = channel.clone();
                return Ok(channel);
            }
        }
        // Dropping the old link closes whatever is left of it.
        *link = None;
        let connection = connect(broker).await?;
        let channel = open_channel(&connection, &target).await?;
        *link = Some(AmqpLink {
            connection,
            channel: channel.clone(),
        });
        Ok(channel)
    }
}

async fn connect(broker: &Broker) -> Result<Connection, NodeError> {
    let target = broker.target();
    let mut uri: AMQPUri = broker.url.as_str().parse().map_err(|_| {
        config_error(
            AmqpPublish::TYPE,
            "/credential",
            "the credential is not a valid AMQP URL",
        )
    })?;
    uri.authority.host = broker.host.clone();
    uri.authority.port = broker.port;
    if let Some(u) = &broker.username {
        uri.authority.userinfo.username = u.clone();
    }
    if let Some(p) = &broker.password {
        uri.authority.userinfo.password = p.clone();
    }
    let properties = ConnectionProperties::default().with_connection_name("weft".into());
    Connection::connect_uri(uri, properties).await.map_err(|e| {
        if is_login_refused(&e) {
            NodeError::permanent(format!(
                "{target} refused the login (check the credential's user name and password)"
            ))
        } else {
            let mut error = classify(&e, &target, "connecting to");
            if error.kind == weft_core::ErrorKind::Transient {
                error.message = format!("could not connect to {target}: {e}");
            }
            error
        }
    })
}

async fn open_channel(connection: &Connection, target: &str) -> Result<Channel, NodeError> {
    let channel = connection
        .create_channel()
        .await
        .map_err(|e| classify(&e, target, "opening a channel on"))?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .map_err(|e| classify(&e, target, "enabling publisher confirms on"))?;
    Ok(channel)
}

fn returned_error(returned: &BasicReturnMessage, exchange: &str, routing_key: &str) -> NodeError {
    NodeError::permanent(format!(
        "no queue bound for routing key `{routing_key}` on {}: the broker returned the message \
         ({} {})",
        exchange_label(exchange),
        returned.reply_code,
        returned.reply_text
    ))
}

#[async_trait]
impl Node for AmqpPublish {
    fn spec(&self) -> NodeSpec {
        let mut schema = object_schema(
            "AMQP publish",
            json!({
                "credential": credential_schema(
                    "AMQP",
                    "amqp://guest:guest@127.0.0.1:5672/%2f",
                    " The URL's path is the virtual host (`%2f` for `/`); `amqps://` uses TLS.",
                ),
                "exchange": {
                    "type": "string",
                    "title": "Exchange",
                    "description": "The exchange to publish to; empty for the default exchange, \
                                    which routes to the queue named by the routing key. \
                                    Letters, digits, `-`, `_`, `.` and `:`; at most 255 bytes.",
                    "maxLength": 255,
                    "default": "",
                    "examples": ["", "amq.topic", "orders"]
                },
                "routing_key": {
                    "type": "string",
                    "title": "Routing key",
                    "description": "The routing key; with the default exchange, the name of the \
                                    destination queue. At most 255 bytes; may be a {{ }} \
                                    template.",
                    "maxLength": 255,
                    "examples": ["orders.created", "{{ \"orders.\" + .input.region }}"]
                },
                "payload": payload_schema(),
                "message": {
                    "title": "Message (alias of payload)",
                    "description": "Another name for `payload` (AMQP calls the body a message); \
                                    set one or the other, not both."
                },
                "headers": {
                    "type": "object",
                    "title": "Headers",
                    "description": "Application headers of the message (the AMQP headers \
                                    table). Strings, numbers, booleans, null, arrays and \
                                    objects map to the matching AMQP field types.",
                    "default": {}
                },
                "content_type": {
                    "type": "string",
                    "title": "Content type",
                    "description": "The message's content_type property; when absent, \
                                    `text/plain; charset=utf-8` for a string payload and \
                                    `application/json` otherwise.",
                    "maxLength": 255,
                    "examples": ["application/xml"]
                },
                "persistent": {
                    "type": "boolean",
                    "title": "Persistent",
                    "description": "Delivery mode 2: a durable queue keeps the message across \
                                    broker restarts. Off: delivery mode 1 (transient).",
                    "default": true
                },
                "mandatory": {
                    "type": "boolean",
                    "title": "Mandatory",
                    "description": "Fail the node when no queue is bound for the routing key \
                                    (the broker returns the message). Off: such a message is \
                                    dropped by the broker and the node succeeds.",
                    "default": true
                },
                "timeout_ms": timeout_schema()
            }),
            &["credential", "routing_key"],
        );
        schema["oneOf"] = json!([{"required": ["payload"]}, {"required": ["message"]}]);
        NodeSpec {
            type_name: Self::TYPE.to_string(),
            category: "messaging".to_string(),
            description: "Publishes a message to an AMQP 0-9-1 broker (RabbitMQ) with publisher \
                          confirms: succeeds once the broker acks it and outputs {exchange, \
                          routing_key, message_id, bytes}. A nack or a lost connection is \
                          retried; an unroutable mandatory message, a missing exchange or a \
                          refused login fail. message_id is {execution_id}/{node_path}."
                .to_string(),
            trigger: false,
            ports: Ports::main(),
            schema,
            filter_fields: Vec::new(),
            raw_fields: Vec::new(),
            default_retry: Some(default_retry()),
        }
    }

    fn check_config(&self, config: &Value) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        let literal = |name: &str| {
            config
                .get(name)
                .and_then(Value::as_str)
                .filter(|s| !Template::is_template(s))
        };
        if let Some(exchange) = literal("exchange")
            && let Err(message) = check_exchange(exchange)
        {
            out.push(ConfigProblem {
                pointer: "/exchange".to_string(),
                message,
            });
        }
        if let Some(key) = literal("routing_key")
            && let Err(message) = check_short("the routing key", key)
        {
            out.push(ConfigProblem {
                pointer: "/routing_key".to_string(),
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
        check_exchange(&cfg.exchange).map_err(|m| config_error(Self::TYPE, "/exchange", m))?;
        check_short("the routing key", &cfg.routing_key)
            .map_err(|m| config_error(Self::TYPE, "/routing_key", m))?;
        let (body, pointer) = match (&cfg.payload, &cfg.message) {
            (Some(p), None) => (p, "/payload"),
            (None, Some(m)) => (m, "/message"),
            (Some(_), Some(_)) => {
                return Err(config_error(
                    Self::TYPE,
                    "/",
                    "set only one of `payload`, `message`",
                ));
            }
            (None, None) => {
                return Err(config_error(
                    Self::TYPE,
                    "/payload",
                    "required field is missing",
                ));
            }
        };
        let payload = encode_payload(Self::TYPE, pointer, body)?;
        let content_type = match &cfg.content_type {
            Some(ct) => short("/content_type", ct)?,
            None => ShortString::from(payload.content_type),
        };
        let exchange = short("/exchange", &cfg.exchange)?;
        let routing_key = short("/routing_key", &cfg.routing_key)?;
        let message_id = message_id(&input);
        let mut properties = BasicProperties::default()
            .with_content_type(content_type)
            .with_delivery_mode(if cfg.persistent { 2 } else { 1 })
            .with_message_id(ShortString::from(message_id.as_str()))
            .with_timestamp(jiff::Timestamp::now().as_second().max(0) as u64)
            .with_app_id("weft".into());
        if !cfg.headers.is_empty() {
            properties = properties.with_headers(to_table(&cfg.headers, "/headers")?);
        }
        let broker = open_broker(&input, Self::TYPE, &cfg.credential, &RULES).await?;
        let target = broker.target();
        let timeout = call_timeout(cfg.timeout_ms, &input);
        let options = BasicPublishOptions {
            mandatory: cfg.mandatory,
            ..BasicPublishOptions::default()
        };
        let bytes = payload.bytes.len();
        guarded_call(&input, &broker, timeout, "publishing", async {
            let channel = self.channel(&broker).await?;
            let confirm = channel
                .basic_publish(exchange, routing_key, options, &payload.bytes, properties)
                .await
                .map_err(|e| classify(&e, &target, "publishing via"))?;
            let confirmation = confirm
                .await
                .map_err(|e| classify(&e, &target, "publishing via"))?;
            match confirmation {
                Confirmation::Ack(None) => Ok(()),
                Confirmation::Ack(Some(returned)) | Confirmation::Nack(Some(returned)) => {
                    Err(returned_error(&returned, &cfg.exchange, &cfg.routing_key))
                }
                Confirmation::Nack(None) => Err(NodeError::transient(format!(
                    "{target} did not accept the message for {} (nack)",
                    exchange_label(&cfg.exchange)
                ))),
                Confirmation::NotRequested => Err(NodeError::transient(format!(
                    "publishing via {target}: the channel is not in confirm mode"
                ))),
            }
        })
        .await?;
        Ok(NodeOutput::main(json!({
            "exchange": cfg.exchange,
            "routing_key": cfg.routing_key,
            "message_id": message_id,
            "bytes": bytes,
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_like_rabbitmq_does() {
        assert!(check_exchange("").is_ok());
        assert!(check_exchange("amq.topic").is_ok());
        assert!(check_exchange("orders:v1_a-b").is_ok());
        assert!(check_exchange("has space").unwrap_err().contains("' '"));
        assert!(check_exchange(&"x".repeat(256)).is_err());
        assert!(check_short("k", &"k".repeat(255)).is_ok());
        assert!(check_short("k", &"k".repeat(256)).is_err());
        assert!(check_header_name("").is_err());
    }

    #[test]
    fn json_values_map_to_amqp_fields() {
        let t = to_table(
            json!({"s": "x", "i": -3, "f": 1.5, "b": true, "n": null, "a": [1], "o": {"k": "v"}})
                .as_object()
                .unwrap(),
            "/headers",
        )
        .unwrap();
        let get = |k: &str| t.inner().get(k).cloned().unwrap();
        assert_eq!(get("s"), AMQPValue::LongString("x".into()));
        assert_eq!(get("i"), AMQPValue::LongLongInt(-3));
        assert_eq!(get("f"), AMQPValue::Double(1.5));
        assert_eq!(get("b"), AMQPValue::Boolean(true));
        assert_eq!(get("n"), AMQPValue::Void);
        assert!(matches!(get("a"), AMQPValue::FieldArray(_)));
        assert!(matches!(get("o"), AMQPValue::FieldTable(_)));

        let e = to_table(json!({"": 1}).as_object().unwrap(), "/headers").unwrap_err();
        assert!(
            e.message
                .contains("/headers/: header names cannot be empty"),
            "{e}"
        );
    }

    #[test]
    fn literal_names_are_checked_at_design_time() {
        let node = AmqpPublish::new();
        let p = node.check_config(&json!({
            "exchange": "bad name",
            "routing_key": "k".repeat(300),
            "headers": {"": 1}
        }));
        let pointers: Vec<&str> = p.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(pointers, vec!["/exchange", "/routing_key", "/headers/"]);
        assert!(
            node.check_config(&json!({"exchange": "{{ .input.x }}", "routing_key": "q"}))
                .is_empty()
        );
    }
}

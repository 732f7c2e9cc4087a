//! `db.redis`: one Redis command per activation — strings (get, set, del, incr, expire),
//! hashes (hget, hset, hgetall), lists (lpush, rpush, lrange) and publish.
//!
//! Values: strings are stored as they are and everything else as JSON text
//! (`value_format: string`), or every value as JSON text, strings included
//! (`value_format: json`), so `parse_json` on the way back gives the same JSON value. Reads
//! return strings; with `parse_json` each value that is JSON text is parsed (anything else
//! stays a string). Values that are not UTF-8 come back base64-encoded, and the output says
//! `base64: true`.
//!
//! One small client pool per connection URL, kept by the node; a pool that lost its
//! connection is replaced on the next activation (so a Redis restart costs one failed,
//! retryable activation at most). Every command has a time limit (`timeout_ms`) and fails
//! fast while disconnected. Connection trouble is `transient`, running out of time
//! `timeout`, what Redis refuses (WRONGTYPE, a value that is not an integer for incr…)
//! `permanent`.

use super::{Cache, config_error, connection, host_of, redact, time_limit};
use crate::config::{object_schema, parse_config};
use crate::{Node, NodeInput, NodeOutput};
use async_trait::async_trait;
use base64::Engine as _;
use fred::prelude::{
    Builder, ClientLike, Config, Error as RedisError, ErrorKind as RedisErrorKind, Expiration,
    HashesInterface, KeysInterface, ListInterface, Options, Pool, PubsubInterface, SetOptions,
    Value as RedisValue,
};
use fred::types::config::TlsConnector;
use serde::Deserialize;
use serde_json::{Map, Number, Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OnceCell;
use tokio::time::Instant;
use weft_core::catalog::ConfigProblem;
use weft_core::{NodeError, NodeSpec, Ports};

/// Time limit of a command whose config sets no `timeout_ms`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest `timeout_ms`.
pub const MAX_TIMEOUT_MS: u64 = 300_000;
/// Time limit for opening a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections per pool (per connection URL); commands are pipelined on them.
pub const POOL_SIZE: usize = 2;
/// Items `hgetall` and `lrange` return unless `max_items` says otherwise.
pub const DEFAULT_MAX_ITEMS: usize = 1000;
/// The most items `max_items` may ask for.
pub const MAX_ITEMS: usize = 100_000;
/// The largest value written or read.
pub const MAX_VALUE_BYTES: usize = 10 * 1024 * 1024;

/// `db.redis`. Holds its client pools.
#[derive(Debug, Clone, Default)]
pub struct RedisNode {
    clients: Arc<Cache<Arc<Client>>>,
}

impl RedisNode {
    pub const TYPE: &'static str = "db.redis";

    /// How many client pools the node holds (one per distinct connection URL).
    pub fn pool_count(&self) -> usize {
        self.clients.len()
    }
}

/// A pool and whether it has connected.
struct Client {
    pool: Pool,
    connected: OnceCell<()>,
}

impl Drop for Client {
    fn drop(&mut self) {
        // Close the connections of a pool that was replaced or evicted.
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let pool = self.pool.clone();
            rt.spawn(async move {
                let _ = pool.quit().await;
            });
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Operation {
    Get,
    Set,
    Del,
    Incr,
    Expire,
    Hget,
    Hset,
    Hgetall,
    Lpush,
    Rpush,
    Lrange,
    Publish,
}

impl Operation {
    const ALL: [(&'static str, Operation); 12] = [
        ("get", Operation::Get),
        ("set", Operation::Set),
        ("del", Operation::Del),
        ("incr", Operation::Incr),
        ("expire", Operation::Expire),
        ("hget", Operation::Hget),
        ("hset", Operation::Hset),
        ("hgetall", Operation::Hgetall),
        ("lpush", Operation::Lpush),
        ("rpush", Operation::Rpush),
        ("lrange", Operation::Lrange),
        ("publish", Operation::Publish),
    ];

    fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, op)| *op == self)
            .map_or("?", |(n, _)| n)
    }

    /// Fields this operation needs.
    fn required(self) -> &'static [&'static str] {
        match self {
            Operation::Get | Operation::Del | Operation::Incr | Operation::Hgetall => &["key"],
            Operation::Lrange => &["key"],
            Operation::Set => &["key", "value"],
            Operation::Expire => &["key", "ttl_ms"],
            Operation::Hget => &["key", "field"],
            Operation::Hset => &["key", "fields"],
            Operation::Lpush | Operation::Rpush => &["key"],
            Operation::Publish => &["channel", "message"],
        }
    }

    /// Fields this operation takes besides `credential`, `operation` and `timeout_ms`.
    fn allowed(self) -> &'static [&'static str] {
        match self {
            Operation::Get => &["key", "parse_json"],
            Operation::Set => &["key", "value", "value_format", "ttl_ms", "only_if_absent"],
            Operation::Del => &["key"],
            Operation::Incr => &["key", "by"],
            Operation::Expire => &["key", "ttl_ms"],
            Operation::Hget => &["key", "field", "parse_json"],
            Operation::Hset => &["key", "fields", "value_format"],
            Operation::Hgetall => &["key", "parse_json", "max_items"],
            Operation::Lpush | Operation::Rpush => &["key", "value", "values", "value_format"],
            Operation::Lrange => &["key", "start", "stop", "parse_json", "max_items"],
            Operation::Publish => &["channel", "message", "value_format"],
        }
    }
}

const COMMON_FIELDS: [&str; 3] = ["credential", "operation", "timeout_ms"];

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum ValueFormat {
    #[default]
    String,
    Json,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RedisConfig {
    credential: String,
    operation: Operation,
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    value: Option<Value>,
    #[serde(default)]
    values: Option<Vec<Value>>,
    #[serde(default)]
    value_format: ValueFormat,
    #[serde(default)]
    parse_json: bool,
    #[serde(default)]
    ttl_ms: Option<u64>,
    #[serde(default)]
    only_if_absent: bool,
    #[serde(default)]
    by: Option<i64>,
    #[serde(default)]
    field: Option<String>,
    #[serde(default)]
    fields: Option<Map<String, Value>>,
    #[serde(default)]
    start: Option<i64>,
    #[serde(default)]
    stop: Option<i64>,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    message: Option<Value>,
    #[serde(default)]
    max_items: Option<usize>,
    #[serde(default)]
    timeout_ms: Option<u64>,
}

fn err(pointer: &str, message: impl std::fmt::Display) -> NodeError {
    config_error(RedisNode::TYPE, pointer, message)
}

/// Problems with which fields are set for the operation (shared by the design-time check
/// and the run).
fn field_problems(config: &Value) -> Vec<ConfigProblem> {
    let mut out = Vec::new();
    let Some(op) = config
        .get("operation")
        .and_then(Value::as_str)
        .and_then(|name| Operation::ALL.iter().find(|(n, _)| *n == name))
        .map(|(_, op)| *op)
    else {
        return out;
    };
    let Some(fields) = config.as_object() else {
        return out;
    };
    for name in fields.keys() {
        if !COMMON_FIELDS.contains(&name.as_str()) && !op.allowed().contains(&name.as_str()) {
            // Unknown fields are the schema's business; these are known but out of place.
            if ALL_FIELDS.contains(&name.as_str()) {
                out.push(ConfigProblem {
                    pointer: format!("/{name}"),
                    message: format!("not used by operation {}", op.name()),
                });
            }
        }
    }
    if matches!(op, Operation::Lpush | Operation::Rpush) {
        match (fields.contains_key("value"), fields.contains_key("values")) {
            (false, false) => out.push(ConfigProblem {
                pointer: "/value".to_string(),
                message: "set `value` (one element) or `values` (several)".to_string(),
            }),
            (true, true) => out.push(ConfigProblem {
                pointer: "/values".to_string(),
                message: "set only one of `value` and `values`".to_string(),
            }),
            _ => {}
        }
    }
    if op == Operation::Hset
        && fields
            .get("fields")
            .and_then(Value::as_object)
            .is_some_and(|f| f.is_empty())
    {
        out.push(ConfigProblem {
            pointer: "/fields".to_string(),
            message: "must hold at least one field".to_string(),
        });
    }
    if let Some(key) = fields.get("key").and_then(Value::as_str)
        && key.is_empty()
    {
        out.push(ConfigProblem {
            pointer: "/key".to_string(),
            message: "must not be empty".to_string(),
        });
    }
    out
}

const ALL_FIELDS: [&str; 18] = [
    "credential",
    "operation",
    "key",
    "value",
    "values",
    "value_format",
    "parse_json",
    "ttl_ms",
    "only_if_absent",
    "by",
    "field",
    "fields",
    "start",
    "stop",
    "channel",
    "message",
    "max_items",
    "timeout_ms",
];

fn schema() -> Value {
    let mut schema = object_schema(
        "Redis command",
        json!({
            "credential": {
                "type": "string",
                "x-weft-widget": "credential",
                "title": "Credential",
                "description": "Id or name of the credential holding the Redis URL: a \
                                string, or an object with a `url`, e.g. \
                                redis://:password@host:6379/0 (also redis-cluster://, \
                                redis-sentinel://, valkey://; rediss:// and valkeys:// for \
                                TLS, checked against the platform's trust store). An object \
                                may add `ca_cert`: the PEM certificate of a private CA to \
                                trust.",
                "minLength": 1
            },
            "operation": {
                "type": "string",
                "title": "Operation",
                "description": "get: read a string key → {key, exists, value}. set: write \
                                `value` (optionally with ttl_ms, only_if_absent) → {key, \
                                written}. del: delete → {key, deleted}. incr: add `by` → \
                                {key, value}. expire: set a time to live → {key, applied}. \
                                hget: one hash field → {key, field, exists, value}. hset: set \
                                `fields` → {key, added}. hgetall: the whole hash → {key, \
                                fields}. lpush/rpush: prepend/append `value` or `values` → \
                                {key, length}. lrange: read list items start..stop → {key, \
                                items, truncated}. publish: send `message` on `channel` → \
                                {channel, receivers}.",
                "enum": Operation::ALL.iter().map(|(n, _)| *n).collect::<Vec<_>>()
            },
            "key": {
                "type": "string",
                "title": "Key",
                "description": "The key to work on (every operation but publish); may be a \
                                {{ }} template, e.g. session:{{ .input.id }}.",
                "minLength": 1
            },
            "value": {
                "title": "Value",
                "description": "set: the value to store. lpush/rpush: one element. Strings \
                                are stored as they are, other values as JSON text (see \
                                value_format)."
            },
            "values": {
                "type": "array",
                "title": "Values",
                "description": "lpush/rpush: several elements, pushed in order.",
                "minItems": 1,
                "items": {
                    "title": "Element",
                    "description": "One element, stored like `value`."
                }
            },
            "value_format": {
                "type": "string",
                "title": "Value format",
                "description": "How values are written. string: strings as they are, other \
                                values as JSON text. json: every value as JSON text, strings \
                                too (\"a\" is stored with its quotes), so reading with \
                                parse_json gives back exactly the value written.",
                "enum": ["string", "json"],
                "default": "string"
            },
            "parse_json": {
                "type": "boolean",
                "title": "Parse JSON",
                "description": "get, hget, hgetall, lrange: parse each value that is JSON \
                                text into a JSON value (other values stay strings).",
                "default": false
            },
            "ttl_ms": {
                "type": "integer",
                "title": "Time to live (ms)",
                "description": "set: expire the key after this many milliseconds. expire: \
                                the new time to live of the key.",
                "minimum": 1
            },
            "only_if_absent": {
                "type": "boolean",
                "title": "Only if absent",
                "description": "set: write only when the key does not exist yet (SET NX); \
                                the output's `written` says whether it did.",
                "default": false
            },
            "by": {
                "type": "integer",
                "title": "Increment",
                "description": "incr: how much to add (negative to subtract). The key must \
                                hold an integer or not exist (then it starts at 0).",
                "default": 1
            },
            "field": {
                "type": "string",
                "title": "Field",
                "description": "hget: the hash field to read.",
                "minLength": 1
            },
            "fields": {
                "type": "object",
                "title": "Fields",
                "description": "hset: the fields to set, name → value (stored like `value`).",
                "minProperties": 1,
                "additionalProperties": {
                    "title": "Field value",
                    "description": "The value of one field."
                }
            },
            "start": {
                "type": "integer",
                "title": "Start",
                "description": "lrange: index of the first item (0-based; negative counts \
                                from the end).",
                "default": 0
            },
            "stop": {
                "type": "integer",
                "title": "Stop",
                "description": "lrange: index of the last item, inclusive (-1: the last).",
                "default": -1
            },
            "channel": {
                "type": "string",
                "title": "Channel",
                "description": "publish: the channel to send on.",
                "minLength": 1
            },
            "message": {
                "title": "Message",
                "description": "publish: what to send; strings as they are, other values as \
                                JSON text (see value_format)."
            },
            "max_items": {
                "type": "integer",
                "title": "Maximum items",
                "description": "hgetall, lrange: the most items returned. lrange returns \
                                the first max_items of the range with `truncated: true`; a \
                                hash with more fields fails (read single fields with hget).",
                "minimum": 1,
                "maximum": MAX_ITEMS,
                "default": DEFAULT_MAX_ITEMS
            },
            "timeout_ms": {
                "type": "integer",
                "title": "Timeout (ms)",
                "description": "Time limit for the command (and for connecting, when there \
                                is no connection yet), capped by the node's own timeout.",
                "minimum": 1,
                "maximum": MAX_TIMEOUT_MS,
                "default": DEFAULT_TIMEOUT.as_millis() as u64
            }
        }),
        &["credential", "operation"],
    );
    schema["allOf"] = Value::Array(
        Operation::ALL
            .iter()
            .map(|(name, op)| {
                json!({
                    "if": {"properties": {"operation": {"const": name}}, "required": ["operation"]},
                    "then": {"required": op.required()}
                })
            })
            .collect(),
    );
    schema
}

/// A value as Redis will store it.
fn encode(value: &Value, format: ValueFormat, pointer: &str) -> Result<String, NodeError> {
    let text = match (value, format) {
        (Value::String(s), ValueFormat::String) => s.clone(),
        (other, _) => other.to_string(),
    };
    if text.len() > MAX_VALUE_BYTES {
        return Err(NodeError::permanent(format!(
            "{pointer}: the value is {} bytes, more than the limit of {MAX_VALUE_BYTES}",
            text.len()
        )));
    }
    Ok(text)
}

/// A value read from Redis as JSON.
fn decode(value: RedisValue, parse_json: bool, base64: &mut bool) -> Value {
    match value {
        RedisValue::Null => Value::Null,
        RedisValue::Boolean(b) => Value::Bool(b),
        RedisValue::Integer(i) => json!(i),
        RedisValue::Double(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
        RedisValue::String(s) => text(s.to_string(), parse_json),
        RedisValue::Bytes(b) => match String::from_utf8(b.to_vec()) {
            Ok(s) => text(s, parse_json),
            Err(_) => {
                *base64 = true;
                Value::String(base64::engine::general_purpose::STANDARD.encode(&b))
            }
        },
        RedisValue::Queued => Value::String("QUEUED".to_string()),
        RedisValue::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| decode(v, parse_json, base64))
                .collect(),
        ),
        RedisValue::Map(map) => Value::Object(
            map.inner()
                .into_iter()
                .map(|(k, v)| {
                    (
                        String::from_utf8_lossy(k.as_bytes()).into_owned(),
                        decode(v, parse_json, base64),
                    )
                })
                .collect(),
        ),
    }
}

fn text(s: String, parse_json: bool) -> Value {
    if parse_json && let Ok(v) = serde_json::from_str::<Value>(&s) {
        return v;
    }
    Value::String(s)
}

fn approximate_size(v: &Value) -> usize {
    match v {
        Value::String(s) => s.len(),
        Value::Array(a) => a.iter().map(approximate_size).sum(),
        Value::Object(o) => o.iter().map(|(k, v)| k.len() + approximate_size(v)).sum(),
        _ => 8,
    }
}

/// A driver error's details for people: the OS message of an IO error rather than its
/// `Debug` form (`Os { code: 111, kind: ConnectionRefused, message: "Connection refused" }`).
fn details_of(e: &RedisError) -> String {
    let details = e.details();
    if let Some(start) = details.find("message: \"") {
        let rest = &details[start + 10..];
        if let Some(end) = rest.find('"') {
            return rest[..end].to_lowercase();
        }
    }
    details.to_string()
}

/// A failed command as a `NodeError` of the right kind; never holds the URL.
fn classify(e: &RedisError, command: &str) -> NodeError {
    let details = details_of(e);
    match e.kind() {
        RedisErrorKind::IO
        | RedisErrorKind::Canceled
        | RedisErrorKind::Backpressure
        | RedisErrorKind::Routing
        | RedisErrorKind::Cluster
        | RedisErrorKind::Sentinel => NodeError::transient(format!(
            "{command}: lost the connection to Redis: {details}"
        )),
        RedisErrorKind::Timeout => NodeError::timeout(format!("{command} timed out")),
        RedisErrorKind::Auth => {
            NodeError::permanent(format!("Redis refused the credentials: {details}"))
        }
        RedisErrorKind::Config | RedisErrorKind::Url => err(
            "/credential",
            format!("the credential's Redis URL cannot be used: {details}"),
        ),
        _ => NodeError::permanent(format!("Redis refused {command}: {details}")),
    }
}

/// The pool for `url` (trusting `ca_cert` for TLS), connected; a new one when there is none
/// or it lost its connection.
async fn client(
    cache: &Cache<Arc<Client>>,
    url: &str,
    ca_cert: Option<&str>,
    deadline: Instant,
) -> Result<Arc<Client>, NodeError> {
    // One pool per URL and trusted CA.
    let key = match ca_cert {
        Some(pem) => format!("{url}\n{pem}"),
        None => url.to_string(),
    };
    for _ in 0..2 {
        let client = cache.get_or_insert(&key, || build(url, ca_cert))?;
        let connect = client.connected.get_or_try_init(|| async {
            match tokio::time::timeout_at(deadline, client.pool.init()).await {
                Ok(Ok(_task)) => Ok(()),
                Ok(Err(e)) => Err(match e.kind() {
                    RedisErrorKind::Auth => NodeError::permanent(format!(
                        "Redis refused the credentials: {}",
                        details_of(&e)
                    )),
                    RedisErrorKind::Config | RedisErrorKind::Url => classify(&e, "connect"),
                    kind if *kind == RedisErrorKind::Tls
                        || crate::tls::is_handshake_failure(&details_of(&e)) =>
                    {
                        crate::tls::handshake_error("Redis", details_of(&e))
                    }
                    _ => {
                        NodeError::transient(format!("cannot connect to Redis: {}", details_of(&e)))
                    }
                }),
                Err(_) => Err(NodeError::transient(
                    "cannot connect to Redis: no connection within the time limit",
                )),
            }
        });
        match connect.await {
            Ok(()) if client.pool.clients().iter().all(|c| c.is_connected()) => {
                return Ok(client);
            }
            // Connected once, lost it since: replace it and try again.
            Ok(()) => cache.remove_if(&key, |c| Arc::ptr_eq(c, &client)),
            Err(e) => {
                cache.remove_if(&key, |c| Arc::ptr_eq(c, &client));
                return Err(e);
            }
        }
    }
    Err(NodeError::transient(
        "cannot connect to Redis: the connection keeps dropping",
    ))
}

fn build(url: &str, ca_cert: Option<&str>) -> Result<Arc<Client>, NodeError> {
    let mut config = Config::from_url(url).map_err(|e| {
        err(
            "/credential",
            format!(
                "the credential's Redis URL cannot be used: {} (expected e.g. \
                 redis://:password@host:6379/0)",
                redact(e.details(), url)
            ),
        )
    })?;
    if config.tls.is_some() {
        let tls = crate::tls::trusting(ca_cert).map_err(|m| err("/credential", m))?;
        config.tls = Some(TlsConnector::from(tokio_rustls::TlsConnector::from(tls)).into());
    }
    let pool = Builder::from_config(config)
        .with_connection_config(|c| {
            c.connection_timeout = CONNECT_TIMEOUT;
            c.internal_command_timeout = CONNECT_TIMEOUT;
            c.max_command_attempts = 1;
        })
        .with_performance_config(|p| {
            p.default_command_timeout = Duration::from_millis(MAX_TIMEOUT_MS);
        })
        .build_pool(POOL_SIZE)
        .map_err(|e| classify(&e, "connect"))?;
    Ok(Arc::new(Client {
        pool,
        connected: OnceCell::new(),
    }))
}

#[async_trait]
impl Node for RedisNode {
    fn spec(&self) -> NodeSpec {
        NodeSpec {
            type_name: Self::TYPE.to_string(),
            category: "db".to_string(),
            description: "Runs one Redis command: get, set, del, incr, expire, hget, hset, \
                          hgetall, lpush, rpush, lrange or publish."
                .to_string(),
            trigger: false,
            ports: Ports::main(),
            schema: schema(),
            filter_fields: Vec::new(),
            raw_fields: Vec::new(),
            default_retry: None,
        }
    }

    fn check_config(&self, config: &Value) -> Vec<ConfigProblem> {
        field_problems(config)
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let config: RedisConfig = parse_config(Self::TYPE, &input.config)?;
        if let Some(p) = field_problems(&input.config).into_iter().next() {
            return Err(err(&p.pointer, p.message));
        }
        for field in config.operation.required() {
            if input.config.get(*field).is_none_or(Value::is_null) {
                return Err(err(&format!("/{field}"), "required field is missing"));
            }
        }
        if config
            .timeout_ms
            .is_some_and(|t| t == 0 || t > MAX_TIMEOUT_MS)
        {
            return Err(err(
                "/timeout_ms",
                format!("must be between 1 and {MAX_TIMEOUT_MS}"),
            ));
        }
        let (url, ca_cert) = connection(Self::TYPE, &input, &config.credential).await?;
        let limit = time_limit(config.timeout_ms, DEFAULT_TIMEOUT, &input);
        let deadline = Instant::now() + limit;
        let result = input
            .guarded(&host_of(&url), async {
                let client = client(&self.clients, &url, ca_cert.as_deref(), deadline).await?;
                let remaining = deadline.saturating_duration_since(Instant::now());
                let options = Options {
                    timeout: Some(remaining.max(Duration::from_millis(1))),
                    fail_fast: true,
                    max_attempts: Some(1),
                    ..Options::default()
                };
                let command = config.operation.name();
                match tokio::time::timeout_at(deadline, execute(&client.pool, &options, &config))
                    .await
                {
                    Ok(r) => r.map_err(|e| match e {
                        Failure::Redis(e) => classify(&e, command),
                        Failure::Node(e) => e,
                    }),
                    Err(_) => Err(NodeError::timeout(format!("{command} timed out"))),
                }
            })
            .await;
        match result {
            Ok(output) => Ok(NodeOutput::main(output)),
            Err(mut e) => {
                e.message = redact(&e.message, &url);
                Err(e)
            }
        }
    }
}

enum Failure {
    Redis(RedisError),
    Node(NodeError),
}

impl From<RedisError> for Failure {
    fn from(e: RedisError) -> Self {
        Failure::Redis(e)
    }
}

impl From<NodeError> for Failure {
    fn from(e: NodeError) -> Self {
        Failure::Node(e)
    }
}

async fn execute(pool: &Pool, options: &Options, c: &RedisConfig) -> Result<Value, Failure> {
    let redis = pool.with_options(options);
    let key = c.key.clone().unwrap_or_default();
    let mut base64 = false;
    let mut out = match c.operation {
        Operation::Get => {
            let v: RedisValue = redis.get(key.as_str()).await?;
            let exists = !matches!(v, RedisValue::Null);
            let value = decode(v, c.parse_json, &mut base64);
            check_size(&value)?;
            json!({"key": key, "exists": exists, "value": value})
        }
        Operation::Set => {
            let value = encode(
                c.value.as_ref().unwrap_or(&Value::Null),
                c.value_format,
                "/value",
            )?;
            let expire = c
                .ttl_ms
                .map(|ms| Expiration::PX(ms.min(i64::MAX as u64) as i64));
            let only = c.only_if_absent.then_some(SetOptions::NX);
            let r: RedisValue = redis.set(key.as_str(), value, expire, only, false).await?;
            json!({"key": key, "written": !matches!(r, RedisValue::Null)})
        }
        Operation::Del => {
            let n: i64 = redis.del(key.as_str()).await?;
            json!({"key": key, "deleted": n})
        }
        Operation::Incr => {
            let n: i64 = redis.incr_by(key.as_str(), c.by.unwrap_or(1)).await?;
            json!({"key": key, "value": n})
        }
        Operation::Expire => {
            let ms = c.ttl_ms.unwrap_or(1).min(i64::MAX as u64) as i64;
            let n: i64 = redis.pexpire(key.as_str(), ms, None).await?;
            json!({"key": key, "applied": n == 1})
        }
        Operation::Hget => {
            let field = c.field.clone().unwrap_or_default();
            let v: RedisValue = redis.hget(key.as_str(), field.as_str()).await?;
            let exists = !matches!(v, RedisValue::Null);
            let value = decode(v, c.parse_json, &mut base64);
            check_size(&value)?;
            json!({"key": key, "field": field, "exists": exists, "value": value})
        }
        Operation::Hset => {
            let mut pairs: Vec<(String, String)> = Vec::new();
            for (name, v) in c.fields.iter().flatten() {
                pairs.push((
                    name.clone(),
                    encode(v, c.value_format, &format!("/fields/{name}"))?,
                ));
            }
            let n: i64 = redis.hset(key.as_str(), pairs).await?;
            json!({"key": key, "added": n})
        }
        Operation::Hgetall => {
            let max = c.max_items.unwrap_or(DEFAULT_MAX_ITEMS);
            let len: u64 = redis.hlen(key.as_str()).await?;
            if len > max as u64 {
                return Err(NodeError::permanent(format!(
                    "hash `{key}` has {len} fields, more than max_items ({max}): read single \
                     fields with hget"
                ))
                .into());
            }
            let map: HashMap<String, RedisValue> = redis.hgetall(key.as_str()).await?;
            let fields: Map<String, Value> = map
                .into_iter()
                .map(|(k, v)| (k, decode(v, c.parse_json, &mut base64)))
                .collect();
            let fields = Value::Object(fields);
            check_size(&fields)?;
            json!({"key": key, "fields": fields})
        }
        Operation::Lpush | Operation::Rpush => {
            let items: Vec<String> = match (&c.values, &c.value) {
                (Some(values), _) => values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| encode(v, c.value_format, &format!("/values/{i}")))
                    .collect::<Result<_, _>>()?,
                (None, Some(v)) => vec![encode(v, c.value_format, "/value")?],
                (None, None) => Vec::new(),
            };
            let n: i64 = if c.operation == Operation::Lpush {
                redis.lpush(key.as_str(), items).await?
            } else {
                redis.rpush(key.as_str(), items).await?
            };
            json!({"key": key, "length": n})
        }
        Operation::Lrange => {
            let max = c.max_items.unwrap_or(DEFAULT_MAX_ITEMS) as i64;
            let len: i64 = redis.llen(key.as_str()).await?;
            let norm = |i: i64| if i < 0 { (len + i).max(0) } else { i };
            let start = norm(c.start.unwrap_or(0));
            let mut stop = norm(c.stop.unwrap_or(-1)).min(len - 1);
            let mut truncated = false;
            if stop - start + 1 > max {
                stop = start + max - 1;
                truncated = true;
            }
            let items = if len == 0 || start > stop {
                Value::Array(Vec::new())
            } else {
                let v: RedisValue = redis.lrange(key.as_str(), start, stop).await?;
                decode(v, c.parse_json, &mut base64)
            };
            check_size(&items)?;
            json!({"key": key, "items": items, "truncated": truncated})
        }
        Operation::Publish => {
            let channel = c.channel.clone().unwrap_or_default();
            let message = encode(
                c.message.as_ref().unwrap_or(&Value::Null),
                c.value_format,
                "/message",
            )?;
            let n: i64 = pool
                .next()
                .with_options(options)
                .publish(channel.as_str(), message)
                .await?;
            json!({"channel": channel, "receivers": n})
        }
    };
    if base64 {
        out["base64"] = json!(true);
    }
    Ok(out)
}

fn check_size(v: &Value) -> Result<(), NodeError> {
    let size = approximate_size(v);
    if size > MAX_VALUE_BYTES {
        return Err(NodeError::permanent(format!(
            "the value read is about {size} bytes, more than the limit of {MAX_VALUE_BYTES}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_out_of_place_are_named() {
        let p = field_problems(&json!({
            "credential": "r", "operation": "get", "key": "k", "ttl_ms": 5, "by": 2
        }));
        let pointers: Vec<&str> = p.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(pointers, vec!["/ttl_ms", "/by"]);
        let p = field_problems(&json!({"credential": "r", "operation": "rpush", "key": "k"}));
        assert_eq!(p[0].pointer, "/value");
        assert!(
            field_problems(&json!({"credential": "r", "operation": "publish",
                                        "channel": "c", "message": {"a": 1}}))
            .is_empty()
        );
    }

    #[test]
    fn values_are_encoded_by_format_and_decoded_back() {
        assert_eq!(encode(&json!("a"), ValueFormat::String, "/v").unwrap(), "a");
        assert_eq!(
            encode(&json!("a"), ValueFormat::Json, "/v").unwrap(),
            "\"a\""
        );
        assert_eq!(
            encode(&json!({"n": 1}), ValueFormat::String, "/v").unwrap(),
            r#"{"n":1}"#
        );
        let mut b = false;
        assert_eq!(
            decode(RedisValue::String("{\"n\":1}".into()), true, &mut b),
            json!({"n": 1})
        );
        assert_eq!(
            decode(RedisValue::String("plain".into()), true, &mut b),
            json!("plain")
        );
        assert!(!b);
        decode(RedisValue::Bytes(vec![0xff, 0xfe].into()), false, &mut b);
        assert!(b);
    }
}

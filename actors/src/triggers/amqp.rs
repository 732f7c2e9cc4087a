//! The AMQP consumers: fire `trigger.amqp` nodes.
//!
//! One supervisor task per instance re-reads the latest version of every workflow every
//! `refresh` and keeps one consumer task per (workflow, `trigger.amqp` node): started for a
//! new node, restarted when its config changes, stopped when it goes away. A consumer opens
//! the node's credential through the registry, connects, sets the channel's prefetch,
//! (optionally) declares the queue, and consumes. Per message it starts one execution with
//! the input `{body, headers, routing_key, exchange, message_id, redelivered}` and acks the
//! message only once `start_execution` returned (the execution is stored); when the start
//! fails it nacks with requeue and pauses a moment. A message with a `message_id` starts its
//! execution with the idempotency key `amqp:{node}:{message_id}`, so a message redelivered
//! after a crash between the start and the ack does not start a second execution.
//!
//! A lost connection (broker restart, network) reconnects with exponential backoff (0.5 s
//! doubling up to `max_backoff`); deliveries not acked by then are requeued by the broker.
//! Several instances consume the same queue side by side: the broker hands each message to
//! one of them.

use super::{TriggerIndex, idempotency_key};
use crate::engine::{Engine, StartRequest};
use base64::Engine as _;
use futures::StreamExt;
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Connection, ConnectionProperties};
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{Mutex, watch};
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};
use weft_core::WorkflowId;
use weft_nodes::trigger::{AmqpTrigger, AmqpTriggerConfig};

/// Consumer tuning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmqpConsumersConfig {
    /// How often workflows are re-read: a saved trigger takes effect within this long.
    pub refresh: Duration,
    /// Longest pause between reconnection attempts.
    pub max_backoff: Duration,
    /// Longest wait for the broker while connecting.
    pub connect_timeout: Duration,
}

impl Default for AmqpConsumersConfig {
    fn default() -> Self {
        Self {
            refresh: Duration::from_secs(5),
            max_backoff: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
        }
    }
}

type Key = (WorkflowId, String);

#[derive(Default)]
struct Stats {
    passes: AtomicU64,
    started: AtomicU64,
    consuming: AtomicUsize,
}

/// The AMQP consumer service: a handle on its supervisor task.
pub struct AmqpConsumers {
    stop: watch::Sender<bool>,
    task: Mutex<Option<JoinHandle<()>>>,
    stats: Arc<Stats>,
}

impl AmqpConsumers {
    /// Starts the supervisor; executions start through `engine`, credentials open through
    /// its registry.
    pub fn start(engine: Engine, config: AmqpConsumersConfig) -> AmqpConsumers {
        let (stop, stopped) = watch::channel(false);
        let stats = Arc::new(Stats::default());
        let supervisor = Supervisor {
            engine,
            config,
            stats: stats.clone(),
            consumers: HashMap::new(),
            reported: HashSet::new(),
            index: TriggerIndex::new(AmqpTrigger::TYPE),
        };
        let task = tokio::spawn(supervisor.run(stopped));
        AmqpConsumers {
            stop,
            task: Mutex::new(Some(task)),
            stats,
        }
    }

    /// Completed refreshes of the consumer set.
    pub fn passes(&self) -> u64 {
        self.stats.passes.load(Ordering::SeqCst)
    }

    /// Consumers subscribed to their queue right now.
    pub fn consuming(&self) -> usize {
        self.stats.consuming.load(Ordering::SeqCst)
    }

    /// Executions started (and messages acked) so far.
    pub fn started(&self) -> u64 {
        self.stats.started.load(Ordering::SeqCst)
    }

    /// Stops every consumer (unacked messages go back to their queue) and waits for them.
    pub async fn shutdown(&self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.lock().await.take() {
            let _ = task.await;
        }
    }
}

struct Consumer {
    config: AmqpTriggerConfig,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Consumer {
    async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

struct Supervisor {
    engine: Engine,
    config: AmqpConsumersConfig,
    stats: Arc<Stats>,
    consumers: HashMap<Key, Consumer>,
    /// Invalid configs already logged, by workflow version.
    reported: HashSet<(Key, u32)>,
    index: TriggerIndex,
}

impl Supervisor {
    async fn run(mut self, mut stopped: watch::Receiver<bool>) {
        loop {
            if *stopped.borrow() {
                break;
            }
            self.refresh().await;
            self.stats.passes.fetch_add(1, Ordering::SeqCst);
            tokio::select! {
                _ = tokio::time::sleep(self.config.refresh) => {}
                changed = stopped.changed() => {
                    if changed.is_err() {
                        break;
                    }
                }
            }
        }
        for (_, consumer) in self.consumers.drain() {
            consumer.stop().await;
        }
        debug!("amqp consumers stopped");
    }

    async fn refresh(&mut self) {
        let nodes = match self.index.refresh(self.engine.store()).await {
            Ok(n) => n,
            Err(e) => {
                warn!(error = %e, "amqp triggers: could not read the workflows; keeping the consumers");
                return;
            }
        };
        let mut wanted: HashMap<Key, AmqpTriggerConfig> = HashMap::new();
        for node in nodes {
            let key: Key = (node.workflow_id, node.node_id.clone());
            match AmqpTrigger::parse_config(&node.config) {
                Ok(c) => {
                    wanted.insert(key, c);
                }
                Err(e) => {
                    if self.reported.insert((key, node.version)) {
                        warn!(workflow_id = %node.workflow_id, node = %node.node_id,
                              version = node.version, error = %e,
                              "amqp trigger not active: invalid config");
                    }
                }
            }
        }
        let gone: Vec<Key> = self
            .consumers
            .iter()
            .filter(|(k, c)| wanted.get(*k) != Some(&c.config))
            .map(|(k, _)| k.clone())
            .collect();
        for key in gone {
            if let Some(consumer) = self.consumers.remove(&key) {
                info!(workflow_id = %key.0, node = %key.1, queue = %consumer.config.queue,
                      "amqp trigger stopped");
                consumer.stop().await;
            }
        }
        for (key, config) in wanted {
            if self.consumers.contains_key(&key) {
                continue;
            }
            info!(workflow_id = %key.0, node = %key.1, queue = %config.queue,
                  "amqp trigger active");
            let (stop, stopped) = watch::channel(false);
            let task = tokio::spawn(consume_forever(
                Link {
                    engine: self.engine.clone(),
                    key: key.clone(),
                    config: config.clone(),
                    stats: self.stats.clone(),
                    connect_timeout: self.config.connect_timeout,
                },
                self.config.max_backoff,
                stopped,
            ));
            self.consumers.insert(key, Consumer { config, stop, task });
        }
    }
}

/// What one consumer task works with.
struct Link {
    engine: Engine,
    key: Key,
    config: AmqpTriggerConfig,
    stats: Arc<Stats>,
    connect_timeout: Duration,
}

/// Consumes until stopped, reconnecting with backoff.
async fn consume_forever(link: Link, max_backoff: Duration, mut stopped: watch::Receiver<bool>) {
    let first = Duration::from_millis(500);
    let mut backoff = first;
    loop {
        let mut subscribed = false;
        match link.consume(&mut stopped, &mut subscribed).await {
            Ok(()) => return,
            Err(e) => {
                if subscribed {
                    backoff = first;
                }
                warn!(workflow_id = %link.key.0, node = %link.key.1, queue = %link.config.queue,
                      error = %e, retry_in_ms = backoff.as_millis() as u64,
                      "amqp trigger: consumer down; reconnecting");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = stopped.changed() => return,
        }
        backoff = (backoff * 2).min(max_backoff);
    }
}

/// Decrements the live-consumer count when a subscription ends, however it ends.
struct Subscribed<'a>(&'a AtomicUsize);

impl Drop for Subscribed<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Link {
    /// One connection's life: `Ok` when stopped, `Err` (scrubbed of the credential) when the
    /// connection or consumer failed.
    async fn consume(
        &self,
        stopped: &mut watch::Receiver<bool>,
        subscribed: &mut bool,
    ) -> Result<(), String> {
        let env = self.engine.registry().env(AmqpTrigger::TYPE);
        let scrub = |m: String| env.credentials.scrub_text(&m);
        let secret = env
            .credentials
            .get(&self.config.credential)
            .await
            .map_err(|e| e.message)?;
        let url = secret
            .string_or_field("url")
            .map_err(|e| e.message)?
            .to_string();
        let properties =
            ConnectionProperties::default().with_connection_name("weft trigger.amqp".into());
        let connection =
            match tokio::time::timeout(self.connect_timeout, Connection::connect(&url, properties))
                .await
            {
                Ok(Ok(c)) => c,
                Ok(Err(e)) => return Err(scrub(format!("could not connect to the broker: {e}"))),
                Err(_) => {
                    return Err(format!(
                        "the broker did not answer within {} ms",
                        self.connect_timeout.as_millis()
                    ));
                }
            };
        let result = self.subscribe(&connection, stopped, subscribed).await;
        let _ = connection.close(200, "weft consumer closing".into()).await;
        result.map_err(scrub)
    }

    async fn subscribe(
        &self,
        connection: &Connection,
        stopped: &mut watch::Receiver<bool>,
        subscribed: &mut bool,
    ) -> Result<(), String> {
        let queue = self.config.queue.as_str();
        let channel = connection
            .create_channel()
            .await
            .map_err(|e| format!("could not open a channel: {e}"))?;
        channel
            .basic_qos(self.config.prefetch, BasicQosOptions::default())
            .await
            .map_err(|e| format!("could not set the prefetch: {e}"))?;
        let declare = QueueDeclareOptions {
            passive: !self.config.declare,
            durable: true,
            ..Default::default()
        };
        channel
            .queue_declare(queue.into(), declare, FieldTable::default())
            .await
            .map_err(|e| {
                if self.config.declare {
                    format!("could not declare queue {queue:?}: {e}")
                } else {
                    format!(
                        "queue {queue:?} is not there (declare: false; create it or set \
                         declare: true): {e}"
                    )
                }
            })?;
        let mut consumer = channel
            .basic_consume(
                queue.into(),
                "".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(|e| format!("could not consume queue {queue:?}: {e}"))?;
        *subscribed = true;
        self.stats.consuming.fetch_add(1, Ordering::SeqCst);
        let _guard = Subscribed(&self.stats.consuming);
        debug!(workflow_id = %self.key.0, node = %self.key.1, queue, "consuming");
        loop {
            tokio::select! {
                _ = stopped.changed() => {
                    let _ = channel.close(200, "weft consumer stopping".into()).await;
                    return Ok(());
                }
                next = consumer.next() => match next {
                    Some(Ok(delivery)) => {
                        if !self.deliver(delivery, stopped).await? {
                            let _ = channel.close(200, "weft consumer stopping".into()).await;
                            return Ok(());
                        }
                    }
                    Some(Err(e)) => return Err(format!("the consumer failed: {e}")),
                    None => return Err("the broker ended the consumer".into()),
                }
            }
        }
    }

    /// Starts the message's execution, then acks it; nacks (requeue) when the start fails.
    /// `Ok(false)` when stopped meanwhile.
    async fn deliver(
        &self,
        delivery: Delivery,
        stopped: &mut watch::Receiver<bool>,
    ) -> Result<bool, String> {
        let input = message_input(&delivery, self.config.parse_json);
        let idempotency_key = delivery
            .properties
            .message_id()
            .as_ref()
            .filter(|m| !m.as_str().is_empty())
            .map(|m| idempotency_key("amqp", &self.key.1, m.as_str()));
        let req = StartRequest {
            workflow_id: self.key.0,
            input,
            trigger: Some(self.key.1.clone()),
            idempotency_key,
            ..Default::default()
        };
        match self.engine.start_execution(req).await {
            Ok((rec, _)) => {
                delivery
                    .ack(BasicAckOptions::default())
                    .await
                    .map_err(|e| format!("could not ack a message: {e}"))?;
                self.stats.started.fetch_add(1, Ordering::SeqCst);
                debug!(workflow_id = %self.key.0, node = %self.key.1, execution_id = %rec.id,
                       "amqp message started an execution");
                Ok(true)
            }
            Err(e) => {
                warn!(workflow_id = %self.key.0, node = %self.key.1, error = %e,
                      "amqp trigger: could not start an execution; the message is requeued");
                delivery
                    .nack(BasicNackOptions {
                        requeue: true,
                        multiple: false,
                    })
                    .await
                    .map_err(|e| format!("could not nack a message: {e}"))?;
                // Do not spin on a message that cannot start right now.
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => Ok(true),
                    _ = stopped.changed() => Ok(false),
                }
            }
        }
    }
}

/// The execution input of a message.
fn message_input(delivery: &Delivery, parse_json: bool) -> Value {
    let p = &delivery.properties;
    let mut input = Map::new();
    let data = delivery.data.as_slice();
    let parsed = parse_json
        .then(|| serde_json::from_slice::<Value>(data).ok())
        .flatten();
    match (parsed, std::str::from_utf8(data)) {
        (Some(v), _) => {
            input.insert("body".into(), v);
        }
        (None, Ok(text)) => {
            input.insert("body".into(), Value::String(text.to_string()));
        }
        (None, Err(_)) => {
            input.insert(
                "body".into(),
                Value::String(base64::engine::general_purpose::STANDARD.encode(data)),
            );
            input.insert("body_encoding".into(), json!("base64"));
        }
    }
    let headers = p
        .headers()
        .as_ref()
        .map(table_to_json)
        .unwrap_or_else(|| json!({}));
    input.insert("headers".into(), headers);
    input.insert("routing_key".into(), json!(delivery.routing_key.as_str()));
    input.insert("exchange".into(), json!(delivery.exchange.as_str()));
    input.insert(
        "message_id".into(),
        p.message_id()
            .as_ref()
            .map_or(Value::Null, |m| json!(m.as_str())),
    );
    input.insert("redelivered".into(), json!(delivery.redelivered));
    Value::Object(input)
}

fn table_to_json(table: &FieldTable) -> Value {
    Value::Object(
        table
            .inner()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), amqp_to_json(v)))
            .collect(),
    )
}

/// An AMQP field value as JSON: numbers, strings (byte arrays base64), arrays, objects.
fn amqp_to_json(value: &AMQPValue) -> Value {
    match value {
        AMQPValue::Boolean(b) => json!(b),
        AMQPValue::ShortShortInt(n) => json!(n),
        AMQPValue::ShortShortUInt(n) => json!(n),
        AMQPValue::ShortInt(n) => json!(n),
        AMQPValue::ShortUInt(n) => json!(n),
        AMQPValue::LongInt(n) => json!(n),
        AMQPValue::LongUInt(n) => json!(n),
        AMQPValue::LongLongInt(n) => json!(n),
        AMQPValue::Float(f) => {
            serde_json::Number::from_f64(f64::from(*f)).map_or(Value::Null, Value::Number)
        }
        AMQPValue::Double(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        AMQPValue::DecimalValue(d) => {
            let v = f64::from(d.value) / 10f64.powi(i32::from(d.scale));
            serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
        }
        AMQPValue::ShortString(s) => json!(s.as_str()),
        AMQPValue::LongString(s) => json!(String::from_utf8_lossy(s.as_bytes())),
        AMQPValue::FieldArray(a) => Value::Array(a.as_slice().iter().map(amqp_to_json).collect()),
        AMQPValue::Timestamp(t) => json!(t),
        AMQPValue::FieldTable(t) => table_to_json(t),
        AMQPValue::ByteArray(b) => {
            json!(base64::engine::general_purpose::STANDARD.encode(b.as_slice()))
        }
        AMQPValue::Void => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lapin::types::{FieldArray, LongString, ShortString};

    #[test]
    fn headers_become_json() {
        let mut t = FieldTable::default();
        t.insert(ShortString::from("n"), AMQPValue::LongInt(7));
        t.insert(
            ShortString::from("s"),
            AMQPValue::LongString(LongString::from("x")),
        );
        t.insert(
            ShortString::from("a"),
            AMQPValue::FieldArray(FieldArray::from(vec![
                AMQPValue::Boolean(true),
                AMQPValue::Void,
            ])),
        );
        assert_eq!(
            table_to_json(&t),
            json!({"n": 7, "s": "x", "a": [true, null]})
        );
    }
}

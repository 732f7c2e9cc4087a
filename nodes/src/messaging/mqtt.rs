//! `mqtt.publish`: publishes one message to an MQTT 3.1.1 broker (Mosquitto, EMQX, HiveMQ…).
//!
//! Each activation opens its own short session (clean session, a unique client id), publishes,
//! waits for the broker's acknowledgement — PUBACK for QoS 1, PUBCOMP for QoS 2; for QoS 0 the
//! publish having been written to the socket, before a DISCONNECT — and disconnects. The
//! client's event loop runs in a task of its own, which is stopped when the activation ends,
//! however it ends. MQTT connections are cheap (one round trip), and a session per activation
//! keeps packet ids, in-flight windows and reconnects out of the picture.

use super::{
    Broker, UrlRules, call_timeout, config_error, credential_schema, default_retry, encode_payload,
    guarded_call, open_broker, payload_schema, timeout_schema,
};
use crate::config::{object_schema, parse_config};
use crate::{Node, NodeInput, NodeOutput};
use async_trait::async_trait;
use rumqttc::{
    AsyncClient, ConnectReturnCode, ConnectionError, Event, EventLoop, MqttOptions, Outgoing,
    Packet, QoS, TlsConfiguration, Transport,
};
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::sync::mpsc;
use weft_core::catalog::ConfigProblem;
use weft_core::expr::Template;
use weft_core::{NodeError, NodeSpec, Ports};

/// MQTT's limit on a topic name's length (bytes).
const MAX_TOPIC_BYTES: usize = 65_535;

/// How long the clean DISCONNECT may take once the message is acknowledged.
const DISCONNECT_GRACE: Duration = Duration::from_secs(1);

const RULES: UrlRules = UrlRules {
    label: "MQTT broker",
    schemes: &[
        ("mqtt", 1883),
        ("tcp", 1883),
        ("mqtts", 8883),
        ("ssl", 8883),
    ],
};

/// `mqtt.publish`.
#[derive(Debug, Clone, Copy, Default)]
pub struct MqttPublish;

impl MqttPublish {
    pub const TYPE: &'static str = "mqtt.publish";

    pub fn new() -> Self {
        Self
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublishConfig {
    credential: String,
    topic: String,
    payload: Value,
    #[serde(default = "qos_1")]
    qos: u8,
    #[serde(default)]
    retain: bool,
    #[serde(default)]
    timeout_ms: Option<u64>,
}

fn qos_1() -> u8 {
    1
}

/// A topic a client may publish to: not empty, no wildcards, no NUL, not reserved (`$…`).
pub(crate) fn check_topic(topic: &str) -> Result<(), String> {
    if topic.is_empty() {
        return Err("the topic cannot be empty".to_string());
    }
    if topic.len() > MAX_TOPIC_BYTES {
        return Err(format!(
            "the topic is {} bytes; MQTT allows at most {MAX_TOPIC_BYTES}",
            topic.len()
        ));
    }
    if let Some(c) = topic.chars().find(|c| matches!(c, '+' | '#')) {
        return Err(format!(
            "wildcard `{c}` is not allowed in a topic to publish to (wildcards are for \
             subscriptions)"
        ));
    }
    if topic.contains('\0') {
        return Err("the topic cannot contain a NUL character".to_string());
    }
    if topic.starts_with('$') {
        return Err("topics starting with `$` are reserved for the broker".to_string());
    }
    Ok(())
}

fn qos_of(qos: u8) -> Result<QoS, NodeError> {
    match qos {
        0 => Ok(QoS::AtMostOnce),
        1 => Ok(QoS::AtLeastOnce),
        2 => Ok(QoS::ExactlyOnce),
        other => Err(config_error(
            MqttPublish::TYPE,
            "/qos",
            format!("{other} is not one of 0, 1, 2"),
        )),
    }
}

/// Stops the event loop's task when the activation ends (success, error or cancellation).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Drives `eventloop` until it fails, forwarding every event; stops at the first error (polling
/// again would reconnect).
fn drive(
    mut eventloop: EventLoop,
) -> (
    AbortOnDrop,
    mpsc::UnboundedReceiver<Result<Event, ConnectionError>>,
) {
    let (tx, rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        loop {
            let event = eventloop.poll().await;
            let failed = event.is_err();
            if tx.send(event).is_err() || failed {
                break;
            }
        }
    });
    (AbortOnDrop(task), rx)
}

fn classify(e: &ConnectionError, target: &str) -> NodeError {
    match e {
        ConnectionError::ConnectionRefused(code) => match code {
            ConnectReturnCode::BadUserNamePassword | ConnectReturnCode::NotAuthorized => {
                NodeError::permanent(format!(
                    "{target} refused the login ({code:?}): check the credential's user name \
                     and password"
                ))
            }
            ConnectReturnCode::ServiceUnavailable => {
                NodeError::transient(format!("{target} is unavailable (ServiceUnavailable)"))
            }
            other => NodeError::permanent(format!("{target} refused the connection ({other:?})")),
        },
        ConnectionError::Io(io) if crate::tls::is_handshake_failure(&format!("{io:?}")) => {
            crate::tls::handshake_error(target, io)
        }
        ConnectionError::Tls(tls) => crate::tls::handshake_error(target, tls),
        ConnectionError::Io(io) => {
            NodeError::transient(format!("could not connect to {target}: {io}"))
        }
        ConnectionError::NetworkTimeout => NodeError::transient(format!(
            "could not connect to {target}: connection timed out"
        )),
        ConnectionError::MqttState(rumqttc::StateError::Deserialization(e)) => {
            NodeError::permanent(format!("publishing via {target} failed: {e}"))
        }
        other => NodeError::transient(format!("publishing via {target} failed: {other}")),
    }
}

/// One session: connect, publish, wait for the acknowledgement `qos` calls for, disconnect.
async fn publish(
    broker: &Broker,
    topic: &str,
    qos: QoS,
    retain: bool,
    payload: Vec<u8>,
    connect_timeout: Duration,
) -> Result<(), NodeError> {
    let target = broker.target();
    let client_id = format!("weft-{}", &uuid::Uuid::new_v4().simple().to_string()[..18]);
    let mut options = MqttOptions::new(client_id, broker.host.clone(), broker.port);
    options
        .set_clean_session(true)
        .set_keep_alive(Duration::from_secs(30))
        .set_max_packet_size(
            super::MAX_PAYLOAD_BYTES + MAX_TOPIC_BYTES + 16,
            super::MAX_PAYLOAD_BYTES + MAX_TOPIC_BYTES + 16,
        );
    if let Some(user) = &broker.username {
        options.set_credentials(user.clone(), broker.password.clone().unwrap_or_default());
    }
    if matches!(broker.url.scheme(), "mqtts" | "ssl") {
        let tls = crate::tls::trusting(broker.ca_cert.as_deref())
            .map_err(|m| crate::config::config_error(MqttPublish::TYPE, "/credential", m))?;
        options.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(tls)));
    }
    let (client, mut eventloop) = AsyncClient::new(options, 4);
    let mut network = eventloop.network_options();
    // Whole seconds; our own time limit around the call is the precise one.
    network.set_connection_timeout(connect_timeout.as_secs().max(1));
    eventloop.set_network_options(network);

    client
        .publish(topic, qos, retain, payload)
        .await
        .map_err(|_| {
            NodeError::permanent(format!(
                "publishing via {target}: the client refused the message"
            ))
        })?;
    let (_task, mut events) = drive(eventloop);

    let mut packet_id = None;
    loop {
        let event = events
            .recv()
            .await
            .ok_or_else(|| NodeError::transient(format!("the connection to {target} ended")))?;
        match event.map_err(|e| classify(&e, &target))? {
            Event::Outgoing(Outgoing::Publish(pkid)) => {
                if qos == QoS::AtMostOnce {
                    break;
                }
                packet_id = Some(pkid);
            }
            Event::Incoming(Packet::PubAck(ack))
                if qos == QoS::AtLeastOnce && Some(ack.pkid) == packet_id =>
            {
                break;
            }
            Event::Incoming(Packet::PubComp(comp))
                if qos == QoS::ExactlyOnce && Some(comp.pkid) == packet_id =>
            {
                break;
            }
            _ => {}
        }
    }

    // A clean goodbye; the message is already with the broker, so trouble here is not an
    // error. For QoS 0 the DISCONNECT going out after the PUBLISH on the same connection is
    // the only sign of delivery MQTT gives.
    if client.disconnect().await.is_ok() {
        let _ = tokio::time::timeout(DISCONNECT_GRACE, async {
            while let Some(Ok(event)) = events.recv().await {
                if matches!(event, Event::Outgoing(Outgoing::Disconnect)) {
                    break;
                }
            }
        })
        .await;
    }
    Ok(())
}

#[async_trait]
impl Node for MqttPublish {
    fn spec(&self) -> NodeSpec {
        NodeSpec {
            type_name: Self::TYPE.to_string(),
            category: "messaging".to_string(),
            description: "Publishes a message to an MQTT 3.1.1 broker and, for QoS 1 and 2, \
                          waits for the broker's acknowledgement (PUBACK / PUBCOMP); outputs \
                          {topic, qos, retain, bytes}. A broker that cannot be reached is \
                          retried; a refused login or a wildcard topic fail. TLS with \
                          mqtts:// (port 8883), checked against the platform's trust store \
                          and the credential's `ca_cert`."
                .to_string(),
            trigger: false,
            ports: Ports::main(),
            schema: object_schema(
                "MQTT publish",
                json!({
                    "credential": credential_schema(
                    "MQTT",
                    "mqtt://user:pass@127.0.0.1:1883",
                    " `mqtts://` (port 8883) for TLS; the object may add `ca_cert`, the PEM \
                     certificate of a private CA to trust.",
                ),
                    "topic": {
                        "type": "string",
                        "title": "Topic",
                        "description": "The topic to publish to, e.g. `sensors/42/temperature`; \
                                        no wildcards (`+`, `#`), not starting with `$`. May be \
                                        a {{ }} template.",
                        "minLength": 1,
                        "examples": ["devices/{{ .input.device_id }}/commands"]
                    },
                    "payload": payload_schema(),
                    "qos": {
                        "type": "integer",
                        "title": "QoS",
                        "description": "Quality of service: 0 at most once (no acknowledgement), \
                                        1 at least once (waits for PUBACK), 2 exactly once \
                                        (waits for PUBCOMP).",
                        "enum": [0, 1, 2],
                        "default": 1
                    },
                    "retain": {
                        "type": "boolean",
                        "title": "Retain",
                        "description": "Ask the broker to keep this message as the topic's last \
                                        known value, sent to every new subscriber.",
                        "default": false
                    },
                    "timeout_ms": timeout_schema()
                }),
                &["credential", "topic", "payload"],
            ),
            filter_fields: Vec::new(),
            raw_fields: Vec::new(),
            default_retry: Some(default_retry()),
        }
    }

    fn check_config(&self, config: &Value) -> Vec<ConfigProblem> {
        match config.get("topic").and_then(Value::as_str) {
            Some(topic) if !Template::is_template(topic) => match check_topic(topic) {
                Ok(()) => Vec::new(),
                Err(message) => vec![ConfigProblem {
                    pointer: "/topic".to_string(),
                    message,
                }],
            },
            _ => Vec::new(),
        }
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let cfg: PublishConfig = parse_config(Self::TYPE, &input.config)?;
        check_topic(&cfg.topic).map_err(|m| config_error(Self::TYPE, "/topic", m))?;
        let qos = qos_of(cfg.qos)?;
        let payload = encode_payload(Self::TYPE, "/payload", &cfg.payload)?;
        let bytes = payload.bytes.len();
        let broker = open_broker(&input, Self::TYPE, &cfg.credential, &RULES).await?;
        let timeout = call_timeout(cfg.timeout_ms, &input);
        guarded_call(
            &input,
            &broker,
            timeout,
            "publishing",
            publish(&broker, &cfg.topic, qos, cfg.retain, payload.bytes, timeout),
        )
        .await?;
        Ok(NodeOutput::main(json!({
            "topic": cfg.topic,
            "qos": cfg.qos,
            "retain": cfg.retain,
            "bytes": bytes,
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_topics_have_no_wildcards() {
        assert!(check_topic("a/b/c").is_ok());
        assert!(check_topic("/leading/slash").is_ok());
        assert!(check_topic("a/+/c").unwrap_err().contains("wildcard `+`"));
        assert!(check_topic("a/#").unwrap_err().contains("wildcard `#`"));
        assert!(check_topic("").is_err());
        assert!(check_topic("$SYS/x").unwrap_err().contains("reserved"));
        assert!(check_topic("a\0b").is_err());
        assert!(check_topic(&"x".repeat(MAX_TOPIC_BYTES + 1)).is_err());
    }

    #[test]
    fn literal_topics_are_checked_at_design_time() {
        let p = MqttPublish.check_config(&json!({"topic": "a/#"}));
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].pointer, "/topic");
        assert!(
            MqttPublish
                .check_config(&json!({"topic": "{{ .input.t }}"}))
                .is_empty()
        );
    }

    #[test]
    fn qos_maps_to_the_three_levels() {
        assert_eq!(qos_of(0).unwrap(), QoS::AtMostOnce);
        assert_eq!(qos_of(2).unwrap(), QoS::ExactlyOnce);
        assert!(qos_of(3).unwrap_err().message.contains("/qos"));
    }
}

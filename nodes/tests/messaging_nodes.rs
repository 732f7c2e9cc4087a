//! The messaging node types against the real brokers on 127.0.0.1: RabbitMQ (5672,
//! guest/guest), Mosquitto (1883) and NATS (4222), run through the registry as the engine runs
//! them. Every test uses its own uniquely named queue, topic or subject and cleans up.

use futures::StreamExt;
use lapin::options::{BasicConsumeOptions, QueueDeclareOptions, QueueDeleteOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Connection, ConnectionProperties};
use serde_json::{Value, json};
use std::time::Duration;
use weft_core::catalog::NodeCatalog;
use weft_core::{ErrorKind, NodeError};
use weft_nodes::testing::TestInput;
use weft_nodes::{NodeOptions, Registry};
use weft_test_support::tls::{TestCa, TlsServerProcess};

const AMQP_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";
const MQTT_URL: &str = "mqtt://127.0.0.1:1883";
const NATS_URL: &str = "nats://127.0.0.1:4222";
const DEADLINE: Duration = Duration::from_secs(10);

fn registry() -> Registry {
    Registry::builtin(NodeOptions::default()).expect("built-in registry")
}

fn unique(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}

/// Runs one activation of `type_name` through `registry` (whose node instances, and so
/// connection caches, persist between calls); the output, or the error.
async fn run_in(
    registry: &Registry,
    type_name: &str,
    input: TestInput,
) -> Result<Value, NodeError> {
    let spec = registry.spec(type_name).expect("known type");
    let input = input.build(spec).map_err(NodeError::from)?;
    registry.run(type_name, input).await.map(|o| o.output)
}

async fn run(type_name: &str, input: TestInput) -> Result<Value, NodeError> {
    run_in(&registry(), type_name, input).await
}

#[track_caller]
fn assert_error(result: Result<Value, NodeError>, kind: ErrorKind, needle: &str) -> NodeError {
    let e = result.expect_err("should fail");
    assert_eq!(e.kind, kind, "{e}");
    assert!(
        e.message.contains(needle),
        "{needle:?} not in {}",
        e.message
    );
    e
}

#[test]
fn every_messaging_type_is_fully_described_and_not_inline() {
    let r = registry();
    for t in ["amqp.publish", "mqtt.publish", "nats.publish"] {
        assert!(!r.runs_inline(t), "{t} does IO");
        let spec = r.spec(t).expect(t);
        assert_eq!(spec.category, "messaging");
        assert!(spec.default_retry.is_some(), "{t} retries by default");
        let props = spec.schema["properties"].as_object().unwrap();
        for (name, prop) in props {
            assert!(prop["title"].is_string(), "{t}.{name} title");
            assert!(prop["description"].is_string(), "{t}.{name} description");
        }
        // One shape for the same ideas.
        for common in ["credential", "payload", "timeout_ms"] {
            assert!(props.contains_key(common), "{t} has {common}");
        }
    }
}

#[test]
fn literal_destinations_are_checked_at_design_time() {
    let r = registry();
    let pointers = |t: &str, cfg: Value| -> Vec<String> {
        r.check_config(t, &cfg)
            .into_iter()
            .map(|p| p.pointer)
            .collect()
    };
    assert_eq!(
        pointers(
            "mqtt.publish",
            json!({"credential": "m", "topic": "a/+/c", "payload": 1})
        ),
        vec!["/topic"]
    );
    assert_eq!(
        pointers(
            "nats.publish",
            json!({"credential": "n", "subject": "a.*", "payload": 1})
        ),
        vec!["/subject"]
    );
    assert_eq!(
        pointers(
            "nats.publish",
            json!({"credential": "n", "subject": "has space", "payload": 1})
        ),
        vec!["/subject"]
    );
    assert_eq!(
        pointers("amqp.publish", json!({"credential": "r", "payload": 1})),
        vec!["/routing_key"]
    );
    assert_eq!(
        pointers(
            "amqp.publish",
            json!({"credential": "r", "routing_key": "q", "exchange": "bad name", "payload": 1})
        ),
        vec!["/exchange"]
    );
    let both = r.check_config(
        "amqp.publish",
        &json!({"credential": "r", "routing_key": "q", "payload": 1, "message": 2}),
    );
    assert!(both[0].message.contains("only one of"), "{both:?}");
    let none = r.check_config(
        "amqp.publish",
        &json!({"credential": "r", "routing_key": "q"}),
    );
    assert!(none[0].message.contains("`payload`"), "{none:?}");
    // Templates are only known at run time.
    assert!(
        pointers(
            "mqtt.publish",
            json!({"credential": "m", "topic": "{{ .input.t }}", "payload": 1})
        )
        .is_empty()
    );
}

// ---------------------------------------------------------------------------------------------
// AMQP

async fn amqp() -> (Connection, lapin::Channel) {
    let conn = Connection::connect(AMQP_URL, ConnectionProperties::default())
        .await
        .expect("RabbitMQ on 127.0.0.1:5672");
    let channel = conn.create_channel().await.expect("channel");
    (conn, channel)
}

/// A fresh queue (deleted by [`delete_queue`]).
async fn declare_queue(channel: &lapin::Channel) -> String {
    let name = unique("weft-test-");
    channel
        .queue_declare(
            name.as_str().into(),
            QueueDeclareOptions::default(),
            FieldTable::default(),
        )
        .await
        .expect("queue_declare");
    name
}

async fn delete_queue(channel: &lapin::Channel, name: &str) {
    channel
        .queue_delete(name.into(), QueueDeleteOptions::default())
        .await
        .expect("queue_delete");
}

/// The next message on `queue`, consumed (and acked automatically).
async fn consume_one(channel: &lapin::Channel, queue: &str) -> lapin::message::Delivery {
    let mut consumer = channel
        .basic_consume(
            queue.into(),
            unique("weft-test-consumer-").as_str().into(),
            BasicConsumeOptions {
                no_ack: true,
                ..BasicConsumeOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .expect("basic_consume");
    tokio::time::timeout(DEADLINE, consumer.next())
        .await
        .expect("a message within the deadline")
        .expect("consumer open")
        .expect("delivery")
}

fn amqp_input(config: Value) -> TestInput {
    TestInput::new(config).credential("rabbit", json!(AMQP_URL))
}

#[tokio::test]
async fn amqp_publish_delivers_body_headers_and_message_id_to_a_queue() {
    let (_conn, channel) = amqp().await;
    let queue = declare_queue(&channel).await;

    let input = amqp_input(json!({
        "credential": "rabbit",
        "routing_key": queue,
        "payload": {"order": "{{ .input.id }}", "items": [1, 2]},
        "headers": {"x-trace": "abc-123", "x-attempt": 2}
    }))
    .input(json!({"id": 7}))
    .node_path("publish_order");
    let execution = input.context()["execution"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let out = run("amqp.publish", input).await.unwrap();
    let message_id = format!("{execution}/publish_order");
    assert_eq!(out["message_id"], json!(message_id));
    assert_eq!(out["exchange"], json!(""));
    assert_eq!(out["routing_key"], json!(queue));

    let delivery = consume_one(&channel, &queue).await;
    let body: Value = serde_json::from_slice(&delivery.data).unwrap();
    assert_eq!(body, json!({"order": 7, "items": [1, 2]}));
    assert_eq!(out["bytes"], json!(delivery.data.len()));
    let props = &delivery.properties;
    assert_eq!(
        props.message_id().as_ref().map(|m| m.as_str()),
        Some(message_id.as_str())
    );
    assert_eq!(
        props.content_type().as_ref().map(|c| c.as_str()),
        Some("application/json")
    );
    assert_eq!(*props.delivery_mode(), Some(2), "persistent by default");
    let headers = props.headers().as_ref().expect("headers");
    assert_eq!(
        headers.inner().get("x-trace"),
        Some(&AMQPValue::LongString("abc-123".into()))
    );
    assert_eq!(
        headers.inner().get("x-attempt"),
        Some(&AMQPValue::LongLongInt(2))
    );

    // A string goes as is, as text; `message` is the AMQP name for `payload`.
    run(
        "amqp.publish",
        amqp_input(json!({
            "credential": "rabbit",
            "routing_key": queue,
            "message": "plain text",
            "persistent": false
        })),
    )
    .await
    .unwrap();
    let delivery = consume_one(&channel, &queue).await;
    assert_eq!(delivery.data, b"plain text");
    assert_eq!(
        delivery
            .properties
            .content_type()
            .as_ref()
            .map(|c| c.as_str()),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(*delivery.properties.delivery_mode(), Some(1));

    delete_queue(&channel, &queue).await;
}

#[tokio::test]
async fn amqp_publish_routes_through_a_named_exchange() {
    let (_conn, channel) = amqp().await;
    let queue = declare_queue(&channel).await;
    let key = format!("orders.{}", uuid::Uuid::new_v4().simple());
    channel
        .queue_bind(
            queue.as_str().into(),
            "amq.topic".into(),
            "orders.#".into(),
            lapin::options::QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .expect("queue_bind");

    let out = run(
        "amqp.publish",
        amqp_input(json!({
            "credential": "rabbit",
            "exchange": "amq.topic",
            "routing_key": key,
            "payload": "<order/>",
            "content_type": "application/xml"
        })),
    )
    .await
    .unwrap();
    assert_eq!(out["exchange"], json!("amq.topic"));
    let delivery = consume_one(&channel, &queue).await;
    assert_eq!(delivery.data, b"<order/>");
    assert_eq!(delivery.routing_key.as_str(), key);
    assert_eq!(
        delivery
            .properties
            .content_type()
            .as_ref()
            .map(|c| c.as_str()),
        Some("application/xml")
    );
    delete_queue(&channel, &queue).await;
}

#[tokio::test]
async fn amqp_unroutable_mandatory_messages_fail_and_optional_ones_do_not() {
    let key = unique("weft-nowhere-");
    let e = assert_error(
        run(
            "amqp.publish",
            amqp_input(json!({"credential": "rabbit", "routing_key": key, "payload": "x"})),
        )
        .await,
        ErrorKind::Permanent,
        "no queue bound for routing key",
    );
    assert!(e.message.contains(&key), "{e}");

    let out = run(
        "amqp.publish",
        amqp_input(json!({
            "credential": "rabbit", "routing_key": key, "payload": "x", "mandatory": false
        })),
    )
    .await
    .unwrap();
    assert_eq!(out["routing_key"], json!(key));
}

#[tokio::test]
async fn amqp_a_missing_exchange_fails_and_the_cached_connection_recovers() {
    let (_conn, channel) = amqp().await;
    let queue = declare_queue(&channel).await;
    let r = registry();
    let missing = unique("weft-missing-");
    assert_error(
        run_in(
            &r,
            "amqp.publish",
            amqp_input(json!({
                "credential": "rabbit", "exchange": missing, "routing_key": "k", "payload": 1
            })),
        )
        .await,
        ErrorKind::Permanent,
        "NOT_FOUND",
    );
    // The broker closed the node's channel; the next publish reopens it.
    run_in(
        &r,
        "amqp.publish",
        amqp_input(json!({"credential": "rabbit", "routing_key": queue, "payload": 2})),
    )
    .await
    .unwrap();
    assert_eq!(consume_one(&channel, &queue).await.data, b"2");
    delete_queue(&channel, &queue).await;
}

#[tokio::test]
async fn amqp_bad_config_names_the_field() {
    assert_error(
        run(
            "amqp.publish",
            amqp_input(json!({"credential": "rabbit", "payload": 1})),
        )
        .await,
        ErrorKind::Config,
        "/routing_key: required field is missing",
    );
    assert_error(
        run(
            "amqp.publish",
            amqp_input(json!({"credential": "rabbit", "routing_key": "q"})),
        )
        .await,
        ErrorKind::Config,
        "`payload`",
    );
    assert_error(
        run(
            "amqp.publish",
            amqp_input(
                json!({"credential": "rabbit", "routing_key": "q", "exchange": "a b", "payload": 1}),
            ),
        )
        .await,
        ErrorKind::Config,
        "/exchange",
    );
    assert_error(
        run(
            "amqp.publish",
            amqp_input(json!({"credential": "nope", "routing_key": "q", "payload": 1})),
        )
        .await,
        ErrorKind::Config,
        "/credential: credential `nope` does not exist",
    );
    assert_error(
        run(
            "amqp.publish",
            TestInput::new(json!({"credential": "web", "routing_key": "q", "payload": 1}))
                .credential("web", json!("http://127.0.0.1:5672/")),
        )
        .await,
        ErrorKind::Config,
        "/credential: credential `web` has the URL scheme `http`; use amqp or amqps",
    );
}

#[tokio::test]
async fn amqp_connection_errors_are_transient_and_never_show_the_password() {
    let e = assert_error(
        run(
            "amqp.publish",
            TestInput::new(json!({"credential": "down", "routing_key": "q", "payload": 1}))
                .credential("down", json!("amqp://guest:s3cr3t-pw@127.0.0.1:1/%2f")),
        )
        .await,
        ErrorKind::Transient,
        "could not connect to the AMQP broker at 127.0.0.1:1",
    );
    assert!(!e.message.contains("s3cr3t-pw"), "{e}");

    let e = assert_error(
        run(
            "amqp.publish",
            TestInput::new(json!({"credential": "bad", "routing_key": "q", "payload": 1}))
                .credential("bad", json!("amqp://guest:wrong-pw@127.0.0.1:5672/%2f")),
        )
        .await,
        ErrorKind::Permanent,
        "refused the login",
    );
    assert!(!e.message.contains("wrong-pw"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// MQTT

/// A subscriber to `topic` whose messages arrive on the returned channel; the subscription is
/// acknowledged before this returns.
async fn mqtt_subscribe(
    topic: &str,
) -> (
    rumqttc::AsyncClient,
    tokio::sync::mpsc::UnboundedReceiver<rumqttc::Publish>,
    tokio::task::JoinHandle<()>,
) {
    use rumqttc::{Event, Packet};
    let id = format!(
        "weft-t-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    let options = rumqttc::MqttOptions::new(id, "127.0.0.1", 1883);
    let (client, mut eventloop) = rumqttc::AsyncClient::new(options, 10);
    client
        .subscribe(topic, rumqttc::QoS::ExactlyOnce)
        .await
        .unwrap();
    let (subscribed_tx, subscribed_rx) = tokio::sync::oneshot::channel();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        let mut subscribed = Some(subscribed_tx);
        while let Ok(event) = eventloop.poll().await {
            match event {
                Event::Incoming(Packet::SubAck(_)) => {
                    if let Some(s) = subscribed.take() {
                        let _ = s.send(());
                    }
                }
                Event::Incoming(Packet::Publish(p)) => {
                    let _ = tx.send(p);
                }
                _ => {}
            }
        }
    });
    tokio::time::timeout(DEADLINE, subscribed_rx)
        .await
        .expect("SUBACK within the deadline")
        .expect("event loop alive");
    (client, rx, task)
}

fn mqtt_input(config: Value) -> TestInput {
    TestInput::new(config).credential("mosquitto", json!(MQTT_URL))
}

#[tokio::test]
async fn mqtt_publish_reaches_a_subscriber_at_every_qos() {
    let topic = format!("weft/test/{}", uuid::Uuid::new_v4().simple());
    let (client, mut received, task) = mqtt_subscribe(&topic).await;

    for qos in [1, 0, 2] {
        let out = run(
            "mqtt.publish",
            mqtt_input(json!({
                "credential": "mosquitto",
                "topic": topic,
                "payload": {"reading": "{{ .input.v }}", "qos": qos},
                "qos": qos
            }))
            .input(json!({"v": 21.5})),
        )
        .await
        .unwrap();
        assert_eq!(out["topic"], json!(topic));
        assert_eq!(out["qos"], json!(qos));
        assert_eq!(out["retain"], json!(false));

        let message = weft_test_support::eventually(DEADLINE, "the MQTT message", || {
            let got = received.try_recv().ok();
            async move { got }
        })
        .await;
        assert_eq!(message.topic, topic);
        let body: Value = serde_json::from_slice(&message.payload).unwrap();
        assert_eq!(body, json!({"reading": 21.5, "qos": qos}));
        assert_eq!(out["bytes"], json!(message.payload.len()));
    }

    // A string payload goes as is.
    run(
        "mqtt.publish",
        mqtt_input(json!({"credential": "mosquitto", "topic": topic, "payload": "on"})),
    )
    .await
    .unwrap();
    let message = weft_test_support::eventually(DEADLINE, "the text message", || {
        let got = received.try_recv().ok();
        async move { got }
    })
    .await;
    assert_eq!(&message.payload[..], b"on");

    let _ = client.disconnect().await;
    task.abort();
}

#[tokio::test]
async fn mqtt_retained_messages_reach_later_subscribers() {
    let topic = format!("weft/test/{}", uuid::Uuid::new_v4().simple());
    run(
        "mqtt.publish",
        mqtt_input(json!({
            "credential": "mosquitto", "topic": topic, "payload": "last-known", "retain": true
        })),
    )
    .await
    .unwrap();

    // Subscribed after the publish: only a retained message can arrive.
    let (client, mut received, task) = mqtt_subscribe(&topic).await;
    let message = weft_test_support::eventually(DEADLINE, "the retained message", || {
        let got = received.try_recv().ok();
        async move { got }
    })
    .await;
    assert_eq!(&message.payload[..], b"last-known");
    assert!(message.retain);

    // An empty retained payload clears it again.
    run(
        "mqtt.publish",
        mqtt_input(
            json!({"credential": "mosquitto", "topic": topic, "payload": "", "retain": true}),
        ),
    )
    .await
    .unwrap();
    let _ = client.disconnect().await;
    task.abort();
}

#[tokio::test]
async fn mqtt_bad_config_names_the_field() {
    assert_error(
        run(
            "mqtt.publish",
            mqtt_input(json!({"credential": "mosquitto", "payload": 1})),
        )
        .await,
        ErrorKind::Config,
        "/topic: required field is missing",
    );
    assert_error(
        run(
            "mqtt.publish",
            mqtt_input(json!({"credential": "mosquitto", "topic": "a/#", "payload": 1})),
        )
        .await,
        ErrorKind::Config,
        "/topic: wildcard `#`",
    );
    // A wildcard that only appears once the template is rendered.
    assert_error(
        run(
            "mqtt.publish",
            mqtt_input(json!({"credential": "mosquitto", "topic": "{{ .input.t }}", "payload": 1}))
                .input(json!({"t": "a/+/c"})),
        )
        .await,
        ErrorKind::Config,
        "/topic: wildcard `+`",
    );
    assert_error(
        run(
            "mqtt.publish",
            mqtt_input(json!({"credential": "mosquitto", "topic": "t", "payload": 1, "qos": 3})),
        )
        .await,
        ErrorKind::Config,
        "/qos",
    );
    assert_error(
        run(
            "mqtt.publish",
            mqtt_input(json!({"credential": "missing", "topic": "t", "payload": 1})),
        )
        .await,
        ErrorKind::Config,
        "/credential: credential `missing` does not exist",
    );
}

#[tokio::test]
async fn mqtt_connection_errors_are_transient_and_never_show_the_password() {
    let e = assert_error(
        run(
            "mqtt.publish",
            TestInput::new(json!({"credential": "down", "topic": "t", "payload": 1})).credential(
                "down",
                json!({"url": "mqtt://127.0.0.1:1", "username": "u", "password": "s3cr3t-pw"}),
            ),
        )
        .await,
        ErrorKind::Transient,
        "could not connect to the MQTT broker at 127.0.0.1:1",
    );
    assert!(!e.message.contains("s3cr3t-pw"), "{e}");
    let e = assert_error(
        run(
            "mqtt.publish",
            TestInput::new(json!({"credential": "down", "topic": "t", "payload": 1}))
                .credential("down", json!("mqtt://u:s3cr3t-pw@127.0.0.1:1")),
        )
        .await,
        ErrorKind::Transient,
        "could not connect to the MQTT broker at 127.0.0.1:1",
    );
    assert!(!e.message.contains("s3cr3t-pw"), "{e}");
}

/// Publishes with `type_name` and `config` to the TLS server at `url`: succeeds trusting the
/// server's CA (the output goes to `check`), fails for good with the platform's roots alone or
/// another CA, and names `ca_cert` (not its text) when it is not PEM.
async fn publish_over_tls(
    type_name: &str,
    config: Value,
    url: &str,
    server_ca: &str,
    check: impl FnOnce(&Value),
) {
    let publish = |ca: Option<&str>| {
        let credential = match ca {
            Some(ca) => json!({"url": url, "ca_cert": ca}),
            None => json!(url),
        };
        run(
            type_name,
            TestInput::new(config.clone()).credential("tls", credential),
        )
    };
    let out = publish(Some(server_ca)).await.expect("publish over TLS");
    check(&out);

    // The platform's roots alone, or another CA: refused for good, not retried.
    for ca in [None, Some(TestCa::new().ca_pem)] {
        let e = assert_error(publish(ca.as_deref()).await, ErrorKind::Permanent, "TLS");
        assert!(e.message.contains("certificate"), "{}", e.message);
    }
    let e = assert_error(
        publish(Some("not a certificate")).await,
        ErrorKind::Config,
        "/credential",
    );
    assert!(e.message.contains("ca_cert"), "{}", e.message);
}

#[tokio::test]
async fn mqtt_over_tls_with_a_private_ca() {
    let broker = TlsServerProcess::mosquitto();
    publish_over_tls(
        "mqtt.publish",
        json!({"credential": "tls", "topic": "weft/tls", "payload": {"n": 1}, "qos": 1,
               "timeout_ms": 5000}),
        &format!("mqtts://127.0.0.1:{}", broker.port),
        &broker.ca.ca_pem,
        // QoS 1: the broker's PUBACK came back over the TLS connection.
        |out| assert_eq!(out["qos"], 1),
    )
    .await;
}

#[tokio::test]
async fn nats_over_tls_with_a_private_ca() {
    let server = TlsServerProcess::nats();
    publish_over_tls(
        "nats.publish",
        json!({"credential": "tls", "subject": "weft.tls", "payload": {"n": 1},
               "timeout_ms": 5000}),
        &format!("tls://127.0.0.1:{}", server.port),
        &server.ca.ca_pem,
        // Success means the server has it: the publish was flushed over TLS.
        |out| assert_eq!(out["subject"], "weft.tls"),
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// NATS

fn nats_input(config: Value) -> TestInput {
    TestInput::new(config).credential("nats", json!(NATS_URL))
}

async fn nats() -> async_nats::Client {
    async_nats::connect(NATS_URL)
        .await
        .expect("NATS on 127.0.0.1:4222")
}

#[tokio::test]
async fn nats_publish_reaches_a_subscriber_with_headers() {
    let client = nats().await;
    let subject = unique("weft.test.");
    let mut sub = client.subscribe(subject.clone()).await.unwrap();
    client.flush().await.unwrap();

    let input = nats_input(json!({
        "credential": "nats",
        "subject": subject,
        "payload": {"id": "{{ .input.id }}"},
        "headers": {"X-Trace": "abc", "X-Many": ["1", 2]}
    }))
    .input(json!({"id": 9}))
    .node_path("notify");
    let execution = input.context()["execution"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let out = run("nats.publish", input).await.unwrap();
    assert_eq!(out["subject"], json!(subject));
    assert!(out.get("reply").is_none());

    let message = tokio::time::timeout(DEADLINE, sub.next())
        .await
        .expect("a message within the deadline")
        .expect("subscription open");
    let body: Value = serde_json::from_slice(&message.payload).unwrap();
    assert_eq!(body, json!({"id": 9}));
    assert_eq!(out["bytes"], json!(message.payload.len()));
    let headers = message.headers.expect("headers");
    assert_eq!(headers.get("X-Trace").map(|v| v.as_str()), Some("abc"));
    let many: Vec<&str> = headers.get_all("X-Many").map(|v| v.as_str()).collect();
    assert_eq!(many, vec!["1", "2"]);
    let msg_id = format!("{execution}/notify");
    assert_eq!(
        headers
            .get(async_nats::header::NATS_MESSAGE_ID)
            .map(|v| v.as_str()),
        Some(msg_id.as_str())
    );
    sub.unsubscribe().await.unwrap();
}

#[tokio::test]
async fn nats_request_outputs_the_reply() {
    let client = nats().await;
    let subject = unique("weft.svc.");
    let mut sub = client.subscribe(subject.clone()).await.unwrap();
    client.flush().await.unwrap();
    let responder = tokio::spawn({
        let client = client.clone();
        async move {
            if let Some(request) = sub.next().await {
                let asked: Value = serde_json::from_slice(&request.payload).unwrap();
                let mut headers = async_nats::HeaderMap::new();
                headers.insert("X-Served-By", "test");
                let answer = json!({"echo": asked, "ok": true}).to_string();
                client
                    .publish_with_headers(
                        request.reply.expect("a reply subject"),
                        headers,
                        answer.into(),
                    )
                    .await
                    .unwrap();
                client.flush().await.unwrap();
            }
        }
    });

    let out = run(
        "nats.publish",
        nats_input(json!({
            "credential": "nats",
            "subject": subject,
            "payload": {"q": "price"},
            "request": true,
            "timeout_ms": 5000
        })),
    )
    .await
    .unwrap();
    assert_eq!(
        out["reply"]["payload"],
        json!({"echo": {"q": "price"}, "ok": true})
    );
    assert_eq!(out["reply"]["headers"]["X-Served-By"], json!("test"));
    tokio::time::timeout(DEADLINE, responder)
        .await
        .unwrap()
        .unwrap();

    // Nobody listening: the server says so at once.
    assert_error(
        run(
            "nats.publish",
            nats_input(json!({
                "credential": "nats", "subject": unique("weft.nobody."), "payload": 1,
                "request": true
            })),
        )
        .await,
        ErrorKind::Transient,
        "no responders",
    );
}

#[tokio::test]
async fn nats_bad_config_names_the_field() {
    assert_error(
        run(
            "nats.publish",
            nats_input(json!({"credential": "nats", "payload": 1})),
        )
        .await,
        ErrorKind::Config,
        "/subject: required field is missing",
    );
    assert_error(
        run(
            "nats.publish",
            nats_input(json!({"credential": "nats", "subject": "a.>", "payload": 1})),
        )
        .await,
        ErrorKind::Config,
        "/subject: wildcard `>`",
    );
    assert_error(
        run(
            "nats.publish",
            nats_input(json!({"credential": "nats", "subject": "a b", "payload": 1})),
        )
        .await,
        ErrorKind::Config,
        "/subject: the subject cannot contain spaces",
    );
    assert_error(
        run(
            "nats.publish",
            nats_input(json!({"credential": "nats", "subject": "a", "payload": 1,
                              "headers": {"bad name": "x"}})),
        )
        .await,
        ErrorKind::Config,
        "/headers/bad name",
    );
    assert_error(
        run(
            "nats.publish",
            nats_input(json!({"credential": "other", "subject": "a", "payload": 1})),
        )
        .await,
        ErrorKind::Config,
        "/credential: credential `other` does not exist",
    );
}

#[tokio::test]
async fn nats_connection_errors_are_transient_and_never_show_the_password() {
    let e = assert_error(
        run(
            "nats.publish",
            TestInput::new(json!({"credential": "down", "subject": "a", "payload": 1}))
                .credential("down", json!("nats://u:s3cr3t-pw@127.0.0.1:1")),
        )
        .await,
        ErrorKind::Transient,
        "could not connect to the NATS server at 127.0.0.1:1",
    );
    assert!(!e.message.contains("s3cr3t-pw"), "{e}");
}

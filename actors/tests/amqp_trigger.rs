//! `trigger.amqp` end to end: a real RabbitMQ on 127.0.0.1:5672, a real engine.

mod support;

use lapin::options::{
    BasicPublishOptions, ConfirmSelectOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use support::{Backend, eventually, fast_config};
use weft_actors::Engine;
use weft_actors::triggers::{AmqpConsumers, AmqpConsumersConfig};
use weft_core::{Definition, ExecutionStatus, WorkflowId};
use weft_nodes::credentials::StaticCredentials;
use weft_nodes::{NodeOptions, Registry};
use weft_persistence::{ExecutionFilter, ExecutionRecord, Store};

const BROKER: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

async fn engine(backend: &Backend) -> Engine {
    let mut registry = Registry::builtin(NodeOptions::default()).unwrap();
    registry.set_credentials(Arc::new(StaticCredentials(HashMap::from([(
        "rabbit".to_string(),
        json!({ "url": BROKER }),
    )]))));
    Engine::start(fast_config(), backend.store.clone(), Arc::new(registry))
        .await
        .unwrap()
}

async fn workflow(engine: &Engine, trigger: Value) -> WorkflowId {
    let def = Definition::from_value(json!({
        "name": "consumer",
        "nodes": [
            {"id": "inbox", "type": "trigger.amqp", "config": trigger},
            {"id": "after", "type": "util.noop"}
        ],
        "edges": [{"from": "inbox", "to": "after"}]
    }))
    .unwrap();
    weft_core::validate(&def, engine.registry().as_ref()).expect("valid workflow");
    let id = WorkflowId::new();
    engine
        .store()
        .create_workflow(id, &def.name, &def.to_value())
        .await
        .unwrap();
    id
}

async fn executions(store: &Arc<dyn Store>, wf: WorkflowId) -> Vec<ExecutionRecord> {
    store
        .list_executions(&ExecutionFilter {
            workflow_id: Some(wf),
            limit: 1_000,
            ..Default::default()
        })
        .await
        .unwrap()
}

async fn broker() -> (Connection, Channel) {
    let conn = Connection::connect(BROKER, ConnectionProperties::default())
        .await
        .expect("RabbitMQ on 127.0.0.1:5672");
    let channel = conn.create_channel().await.unwrap();
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    (conn, channel)
}

async fn publish(channel: &Channel, queue: &str, body: &[u8], id: &str) {
    let mut headers = FieldTable::default();
    headers.insert(
        ShortString::from("source"),
        AMQPValue::LongString(LongString::from("test")),
    );
    channel
        .basic_publish(
            "".into(),
            queue.into(),
            BasicPublishOptions::default(),
            body,
            BasicProperties::default()
                .with_message_id(id.into())
                .with_headers(headers),
        )
        .await
        .unwrap()
        .await
        .unwrap();
}

/// Ready messages in the queue (a passive declare fails when it is gone).
async fn ready(channel: &Channel, queue: &str) -> u32 {
    channel
        .queue_declare(
            queue.into(),
            QueueDeclareOptions {
                passive: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap()
        .message_count()
}

fn fast() -> AmqpConsumersConfig {
    AmqpConsumersConfig {
        refresh: Duration::from_millis(200),
        ..AmqpConsumersConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_message_starts_one_execution_and_is_acked() {
    let backend = Backend::sqlite().await;
    let engine = engine(&backend).await;
    let queue = format!("weft-it-{}", uuid::Uuid::new_v4());
    let (conn, channel) = broker().await;
    channel
        .queue_declare(
            queue.as_str().into(),
            QueueDeclareOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    let wf = workflow(&engine, json!({"credential": "rabbit", "queue": queue})).await;
    let consumers = AmqpConsumers::start(engine.clone(), fast());
    eventually(
        Duration::from_secs(20),
        "the consumer subscribed",
        || async { (consumers.consuming() == 1).then_some(()) },
    )
    .await;

    for n in 0..3 {
        let body = serde_json::to_vec(&json!({"n": n})).unwrap();
        publish(&channel, &queue, &body, &format!("m-{n}")).await;
    }
    let store = backend.store.clone();
    let runs = eventually(Duration::from_secs(30), "3 executions", || {
        let store = store.clone();
        async move {
            let runs = executions(&store, wf).await;
            (runs.len() >= 3).then_some(runs)
        }
    })
    .await;
    eventually(Duration::from_secs(10), "3 acks", || async {
        (consumers.started() == 3).then_some(())
    })
    .await;
    consumers.shutdown().await;

    assert_eq!(runs.len(), 3);
    let mut bodies: Vec<i64> = runs
        .iter()
        .map(|r| r.input["body"]["n"].as_i64().unwrap())
        .collect();
    bodies.sort();
    assert_eq!(bodies, vec![0, 1, 2]);
    for r in &runs {
        let input = &r.input;
        assert_eq!(input["routing_key"], json!(queue), "{input}");
        assert_eq!(input["exchange"], json!(""), "{input}");
        assert_eq!(input["headers"], json!({"source": "test"}), "{input}");
        assert_eq!(input["redelivered"], json!(false), "{input}");
        let n = input["body"]["n"].as_i64().unwrap();
        assert_eq!(input["message_id"], json!(format!("m-{n}")));
        assert_eq!(r.trigger.as_deref(), Some("inbox"));
        let done = engine.wait_finished(r.id).await.unwrap();
        assert_eq!(done.status, ExecutionStatus::Succeeded);
        assert_eq!(
            done.output.as_ref().map(|o| &o["body"]),
            Some(&input["body"])
        );
    }
    // Every message was acked: nothing is back in the queue after the consumer left.
    assert_eq!(ready(&channel, &queue).await, 0);

    channel
        .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
        .await
        .unwrap();
    let _ = conn.close(200, "done".into()).await;
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declare_creates_the_queue_and_text_bodies_stay_text() {
    let backend = Backend::sqlite().await;
    let engine = engine(&backend).await;
    let queue = format!("weft-it-{}", uuid::Uuid::new_v4());
    let wf = workflow(
        &engine,
        json!({"credential": "rabbit", "queue": queue, "declare": true, "parse_json": false,
               "prefetch": 1}),
    )
    .await;
    let consumers = AmqpConsumers::start(engine.clone(), fast());
    eventually(
        Duration::from_secs(20),
        "the consumer declared and subscribed",
        || async { (consumers.consuming() == 1).then_some(()) },
    )
    .await;
    let (conn, channel) = broker().await;
    publish(&channel, &queue, br#"{"n": 1}"#, "only").await;
    publish(&channel, &queue, &[0xff, 0x00], "binary").await;
    let store = backend.store.clone();
    let runs = eventually(Duration::from_secs(30), "2 executions", || {
        let store = store.clone();
        async move {
            let runs = executions(&store, wf).await;
            (runs.len() >= 2).then_some(runs)
        }
    })
    .await;
    eventually(Duration::from_secs(10), "2 acks", || async {
        (consumers.started() == 2).then_some(())
    })
    .await;
    consumers.shutdown().await;
    let by_id: HashMap<String, Value> = runs
        .iter()
        .map(|r| {
            (
                r.input["message_id"].as_str().unwrap().to_string(),
                r.input.clone(),
            )
        })
        .collect();
    assert_eq!(
        by_id["only"]["body"],
        json!(r#"{"n": 1}"#),
        "parse_json: false"
    );
    assert_eq!(by_id["binary"]["body"], json!("/wA="));
    assert_eq!(by_id["binary"]["body_encoding"], json!("base64"));
    assert_eq!(ready(&channel, &queue).await, 0);
    channel
        .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
        .await
        .unwrap();
    let _ = conn.close(200, "done".into()).await;
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_queue_is_retried_until_it_exists() {
    let backend = Backend::sqlite().await;
    let engine = engine(&backend).await;
    let queue = format!("weft-it-{}", uuid::Uuid::new_v4());
    let wf = workflow(&engine, json!({"credential": "rabbit", "queue": queue})).await;
    let consumers = AmqpConsumers::start(engine.clone(), fast());
    eventually(Duration::from_secs(10), "a few refreshes", || async {
        (consumers.passes() >= 3).then_some(())
    })
    .await;
    assert_eq!(
        consumers.consuming(),
        0,
        "declare: false does not create the queue"
    );

    let (conn, channel) = broker().await;
    channel
        .queue_declare(
            queue.as_str().into(),
            QueueDeclareOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    eventually(
        Duration::from_secs(20),
        "the consumer reconnected",
        || async { (consumers.consuming() == 1).then_some(()) },
    )
    .await;
    publish(&channel, &queue, b"[1, 2]", "late").await;
    let store = backend.store.clone();
    let runs = eventually(Duration::from_secs(30), "1 execution", || {
        let store = store.clone();
        async move {
            let runs = executions(&store, wf).await;
            (!runs.is_empty()).then_some(runs)
        }
    })
    .await;
    assert_eq!(runs[0].input["body"], json!([1, 2]));
    consumers.shutdown().await;
    channel
        .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
        .await
        .unwrap();
    let _ = conn.close(200, "done".into()).await;
    engine.shutdown().await;
}

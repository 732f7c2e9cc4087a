//! `trigger.schedule` and `trigger.amqp` as the designer and the engine see them: described
//! schemas, design-time problems with pointers, run-time config errors, and their output.

use serde_json::{Value, json};
use weft_core::ErrorKind;
use weft_core::catalog::NodeCatalog;
use weft_nodes::testing::TestInput;
use weft_nodes::trigger::{AmqpTrigger, MissedPolicy, ScheduleTrigger};
use weft_nodes::{NodeOptions, Registry};

fn registry() -> Registry {
    Registry::builtin(NodeOptions::default()).expect("built-in registry")
}

fn pointers(type_name: &str, config: Value) -> Vec<String> {
    registry()
        .check_config(type_name, &config)
        .into_iter()
        .map(|p| p.pointer)
        .collect()
}

#[test]
fn both_triggers_are_registered_and_fully_described() {
    let r = registry();
    for t in ["trigger.schedule", "trigger.amqp"] {
        let spec = r.spec(t).expect(t);
        assert!(spec.trigger, "{t}");
        assert_eq!(spec.category, "trigger");
        for (name, prop) in spec.schema["properties"].as_object().unwrap() {
            assert!(prop["title"].is_string(), "{t}.{name} title");
            assert!(prop["description"].is_string(), "{t}.{name} description");
        }
    }
}

#[test]
fn good_configs_have_no_problems() {
    assert!(pointers("trigger.schedule", json!({"cron": "*/5 * * * * *"})).is_empty());
    assert!(
        pointers(
            "trigger.schedule",
            json!({"cron": "0 9 * * MON-FRI", "timezone": "Europe/Berlin",
                   "missed": "fire_all", "input": {"k": 1}})
        )
        .is_empty()
    );
    assert!(
        pointers(
            "trigger.amqp",
            json!({"credential": "mq", "queue": "orders"})
        )
        .is_empty()
    );
}

#[test]
fn bad_cron_names_cron() {
    for cron in ["61 * * * * *", "* * *", "not a cron", "0 0 0 * * * 2030"] {
        assert_eq!(
            pointers("trigger.schedule", json!({ "cron": cron })),
            vec!["/cron"],
            "{cron}"
        );
        let e = ScheduleTrigger::parse_config(&json!({ "cron": cron })).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Config);
        assert!(e.message.contains("/cron:"), "{}", e.message);
    }
    assert_eq!(pointers("trigger.schedule", json!({})), vec!["/cron"]);
}

#[test]
fn bad_timezone_names_timezone() {
    let config = json!({"cron": "* * * * *", "timezone": "Europe/Atlantis"});
    assert_eq!(
        pointers("trigger.schedule", config.clone()),
        vec!["/timezone"]
    );
    let e = ScheduleTrigger::parse_config(&config).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Config);
    assert!(e.message.contains("/timezone:"), "{}", e.message);
    assert!(e.message.contains("Europe/Atlantis"), "{}", e.message);
}

#[test]
fn bad_missed_policy_names_missed() {
    let config = json!({"cron": "* * * * *", "missed": "later"});
    assert_eq!(
        pointers("trigger.schedule", config.clone()),
        vec!["/missed"]
    );
    let e = ScheduleTrigger::parse_config(&config).unwrap_err();
    assert!(e.message.contains("/missed:"), "{}", e.message);
    let ok =
        ScheduleTrigger::parse_config(&json!({"cron": "* * * * *", "missed": "skip"})).unwrap();
    assert_eq!(ok.config.missed, MissedPolicy::Skip);
}

#[test]
fn missing_or_bad_queue_names_queue() {
    assert_eq!(
        pointers("trigger.amqp", json!({"credential": "mq"})),
        vec!["/queue"]
    );
    let e = AmqpTrigger::parse_config(&json!({"credential": "mq"})).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Config);
    assert!(e.message.contains("/queue:"), "{}", e.message);
    for queue in ["", "{{ .input.q }}", "amq.secret"] {
        let config = json!({"credential": "mq", "queue": queue});
        assert_eq!(
            pointers("trigger.amqp", config.clone()),
            vec!["/queue"],
            "{queue:?}"
        );
        let e = AmqpTrigger::parse_config(&config).unwrap_err();
        assert!(e.message.contains("/queue:"), "{queue:?}: {}", e.message);
    }
    let e = AmqpTrigger::parse_config(&json!({"queue": "q"})).unwrap_err();
    assert!(e.message.contains("/credential:"), "{}", e.message);
    let e = AmqpTrigger::parse_config(&json!({"credential": "mq", "queue": "q", "prefetch": 0}))
        .unwrap_err();
    assert!(e.message.contains("/prefetch:"), "{}", e.message);
}

#[test]
fn amqp_defaults() {
    let c = AmqpTrigger::parse_config(&json!({"credential": "mq", "queue": "orders"})).unwrap();
    assert_eq!((c.declare, c.prefetch, c.parse_json), (false, 10, true));
}

#[tokio::test]
async fn both_output_the_execution_input() {
    let r = registry();
    for (t, config) in [
        ("trigger.schedule", json!({"cron": "0 * * * * *"})),
        (
            "trigger.amqp",
            json!({"credential": "mq", "queue": "orders"}),
        ),
    ] {
        let input = json!({"scheduled_at": "2025-01-01T00:00:00+00:00", "body": {"n": 1}});
        let test = TestInput::new(config).input(input.clone());
        let node_input = test.build(r.spec(t).unwrap()).unwrap();
        let out = r.run(t, node_input).await.unwrap();
        assert_eq!(out.output, input, "{t}");
    }
}

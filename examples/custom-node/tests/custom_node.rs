//! The custom node through the SDK's isolation harness, and registered at start in a real
//! engine running the example workflow.

use serde_json::json;
use std::sync::Arc;
use weft_actors::{Engine, EngineConfig, StartRequest};
use weft_core::definition::{Definition, Format};
use weft_core::{ErrorKind, ExecutionStatus, NodeCatalog, WorkflowId};
use weft_example_custom_node::{SlugifyNode, registry};
use weft_nodes::NodeOptions;
use weft_nodes::testing::{TestInput, run};

#[tokio::test]
async fn slugify_in_isolation() {
    let out = run(
        &SlugifyNode,
        TestInput::new(json!({"text": "{{ .input.title }}", "separator": "_"}))
            .input(json!({"title": "Durable Workflows, Fast!"})),
    )
    .await
    .unwrap();
    assert_eq!(out.output, json!({"slug": "durable_workflows_fast"}));
}

#[tokio::test]
async fn bad_configs_name_the_field() {
    let e = run(
        &SlugifyNode,
        TestInput::new(json!({"text": "x", "separator": "/"})),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Config);
    assert!(e.message.contains("/separator"), "{}", e.message);

    let r = registry(NodeOptions::default()).unwrap();
    let problems = r.check_config(SlugifyNode::TYPE, &json!({"text": "  "}));
    assert_eq!(problems[0].pointer, "/text");
    let problems = r.check_config(SlugifyNode::TYPE, &json!({}));
    assert_eq!(problems[0].pointer, "/text");
    assert_eq!(problems[0].message, "required field is missing");
}

#[tokio::test]
async fn the_example_workflow_runs_with_the_node_registered_at_start() {
    let registry = Arc::new(registry(NodeOptions::default()).unwrap());
    assert!(registry.spec(SlugifyNode::TYPE).is_some());
    let text = include_str!("../workflow.json");
    let def = Definition::parse(text, Format::Json).unwrap();
    weft_core::validate(&def, registry.as_ref()).expect("valid with the custom type");

    let store = weft_persistence::connect("sqlite::memory:").await.unwrap();
    let engine = Engine::start(EngineConfig::default(), store.clone(), registry)
        .await
        .unwrap();
    let workflow_id = WorkflowId::new();
    store
        .create_workflow(workflow_id, &def.name, &def.to_value())
        .await
        .unwrap();
    let (started, _) = engine
        .start_execution(StartRequest {
            workflow_id,
            input: json!({"title": "Weft 1.0 is out — read all about it"}),
            ..Default::default()
        })
        .await
        .unwrap();
    let done = engine.wait_finished(started.id).await.unwrap();
    engine.shutdown().await;
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{:?}", done.error);
    assert_eq!(
        done.output,
        Some(json!({"url": "https://blog.example/weft-1-0-is-out-read-all-about-it"}))
    );
}

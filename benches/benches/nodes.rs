//! Per-node overhead: what one activation of a no-op, a jq transform and a JavaScript node
//! costs, measured two ways.
//!
//! - `node_activation/*`: `Registry::run` alone (schema check of the rendered config, bulkhead,
//!   the node's `run`, credential scrubbing), no engine.
//! - `engine_chain/*`: whole durable executions on an in-memory SQLite store of a trigger
//!   followed by a chain of `CHAIN` nodes of one type, next to a trigger-only workflow; the
//!   per-node overhead is `(chain − trigger_only) / CHAIN` (RESULTS.md shows the arithmetic).

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use std::sync::Arc;
use weft_actors::{Engine, EngineConfig, StartRequest};
use weft_core::catalog::NodeCatalog;
use weft_core::{Definition, ExecutionStatus, WorkflowId};
use weft_nodes::testing::TestInput;
use weft_nodes::{NodeOptions, Registry};

const CHAIN: usize = 10;

/// The node types measured, with a typical config each.
fn cases() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        ("noop", "util.noop", json!({})),
        (
            "transform",
            "data.transform",
            json!({"filter": "{total: ([.prev.items[]?.price] | add), n: (.prev.items | length)}"}),
        ),
        (
            "javascript",
            "code.javascript",
            json!({"code": "return {total: (prev.items || []).reduce((s, i) => s + i.price, 0)};"}),
        ),
    ]
}

fn prev() -> Value {
    json!({"items": [{"price": 3}, {"price": 4}, {"price": 5}]})
}

fn node_activation(c: &mut Criterion) {
    let registry = Registry::builtin(NodeOptions::default()).expect("registry");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let mut group = c.benchmark_group("node_activation");
    for (name, type_name, config) in cases() {
        let spec = registry.spec(type_name).expect("built-in type").clone();
        // Built once: templates and filters compile once per workflow version in the
        // engine too, so only the activation itself is measured.
        let input = TestInput::new(config.clone())
            .prev(prev())
            .build(&spec)
            .expect("input");
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut input = input.clone();
                input.env = registry.env(type_name);
                rt.block_on(registry.run(type_name, input)).expect("runs")
            })
        });
    }
    group.finish();
}

fn chain(type_name: &str, config: &Value, n: usize) -> Value {
    let mut nodes = vec![
        json!({"id": "start", "type": "trigger.manual"}),
        json!({"id": "seed", "type": "data.set", "config": {"fields": prev(), "keep_input": false}}),
    ];
    let mut edges = vec![json!({"from": "start", "to": "seed"})];
    let mut last = "seed".to_string();
    for i in 0..n {
        let id = format!("n{i}");
        nodes.push(json!({"id": id, "type": type_name, "config": config}));
        edges.push(json!({"from": last, "to": id}));
        last = id;
    }
    json!({"name": format!("chain-{type_name}-{n}"), "nodes": nodes, "edges": edges})
}

fn engine_chain(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let registry = Arc::new(Registry::builtin(NodeOptions::default()).expect("registry"));
    let (engine, store) = rt.block_on(async {
        let store = weft_persistence::connect("sqlite::memory:")
            .await
            .expect("store");
        let engine = Engine::start(EngineConfig::default(), store.clone(), registry.clone())
            .await
            .expect("engine");
        (engine, store)
    });
    let mut workflows = vec![(
        "trigger_only".to_string(),
        chain("util.noop", &json!({}), 0),
    )];
    for (name, type_name, config) in cases() {
        workflows.push((format!("{name}_x{CHAIN}"), chain(type_name, &config, CHAIN)));
    }
    let mut group = c.benchmark_group("engine_chain");
    group.sample_size(30);
    for (name, def) in workflows {
        let def = Definition::from_value(def).expect("definition");
        weft_core::validate(&def, registry.as_ref()).expect("valid");
        let workflow_id = WorkflowId::new();
        rt.block_on(store.create_workflow(workflow_id, &def.name, &def.to_value()))
            .expect("workflow stored");
        group.bench_function(name, |b| {
            b.iter(|| {
                rt.block_on(async {
                    let (started, _) = engine
                        .start_execution(StartRequest {
                            workflow_id,
                            input: Value::Null,
                            ..Default::default()
                        })
                        .await
                        .expect("started");
                    let done = engine.wait_finished(started.id).await.expect("finished");
                    assert_eq!(done.status, ExecutionStatus::Succeeded, "{:?}", done.error);
                })
            })
        });
    }
    group.finish();
    rt.block_on(engine.shutdown());
}

criterion_group!(benches, node_activation, engine_chain);
criterion_main!(benches);

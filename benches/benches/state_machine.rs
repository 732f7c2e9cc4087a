//! The pure state machine's speed: events applied per second while driving executions to
//! the end with instantly completing nodes (decide + apply, no IO), and snapshot cost.

/// The allocator the `weft` binary ships with.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};
use std::sync::Arc;
use weft_core::{
    Command, CompiledWorkflow, Definition, Event, EventEnvelope, ExecutionId, ExecutionState,
    WorkflowId,
};
use weft_nodes::{NodeOptions, Registry};

/// Runs one execution to its end, completing every node at once; returns the events.
fn drive(wf: &Arc<CompiledWorkflow>, input: &Value) -> usize {
    let mut s = ExecutionState::new(wf.clone(), ExecutionId::new(), WorkflowId::new(), 1);
    let mut seq = 0;
    let mut now = 1_000;
    let mut apply = |s: &mut ExecutionState, event: Event, now: i64| {
        seq += 1;
        s.apply(&EventEnvelope {
            seq,
            at: now,
            event,
        });
    };
    apply(
        &mut s,
        ExecutionState::start_event(input.clone(), None, None, WorkflowId::new(), 1),
        now,
    );
    let mut running = Vec::new();
    while !s.is_terminal() {
        let cmds = s.decide(now);
        if cmds.is_empty() {
            if let Some(t) = running.pop() {
                apply(&mut s, t, now);
                continue;
            }
            now = s.next_wakeup().unwrap_or(now + 1);
            continue;
        }
        for c in cmds {
            if let Some(e) = c.event() {
                apply(&mut s, e, now);
            }
            if let Command::RunNode(t) = c {
                let ports = if t.type_name == "flow.if" {
                    vec!["true".to_string()]
                } else {
                    vec!["main".to_string()]
                };
                running.push(Event::NodeCompleted {
                    node: t.path,
                    output: json!({"v": 1}),
                    ports,
                });
            }
        }
    }
    seq as usize
}

fn state_machine(c: &mut Criterion) {
    let registry = Registry::builtin(NodeOptions::default()).expect("registry");
    let compile = |v: Value| {
        Arc::new(weft_core::validate(&Definition::from_value(v).unwrap(), &registry).unwrap())
    };
    let chain = compile(weft_benches::wide_workflow(100));
    let loop_wf = compile(
        json!({"name": "loop", "nodes": [{"id": "start", "type": "trigger.manual"},
        {"id": "each", "type": "flow.for_each", "config": {"items": "{{ .input.xs }}", "max_concurrency": 8,
          "body": {"nodes": [{"id": "a", "type": "data.set", "config": {"fields": {"x": 1}}},
                             {"id": "b", "type": "data.set", "config": {"fields": {"y": 2}}}],
                   "edges": [{"from": "a", "to": "b"}]}}}],
        "edges": [{"from": "start", "to": "each"}]}),
    );
    let input = json!({"n": 1, "xs": (0..200).collect::<Vec<_>>()});

    let mut g = c.benchmark_group("state_machine");
    let events = drive(&chain, &input);
    g.throughput(Throughput::Elements(events as u64));
    g.bench_function("100_node_workflow_events", |b| {
        b.iter(|| drive(&chain, &input))
    });
    let events = drive(&loop_wf, &input);
    g.throughput(Throughput::Elements(events as u64));
    g.bench_function("for_each_200_items_events", |b| {
        b.iter(|| drive(&loop_wf, &input))
    });
    g.finish();
}

criterion_group!(benches, state_machine);
criterion_main!(benches);

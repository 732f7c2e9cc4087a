//! The engine end to end on a real store (SQLite and PostgreSQL): panics, passivation,
//! signals, cancellation, child workflows, admission limits, fencing.

mod support;

use futures::StreamExt;
use serde_json::json;
use std::sync::atomic::Ordering;
use std::time::Duration;
use support::{Backend, Harness, eventually, fast_config};
use weft_actors::{EngineConfig, StartRequest};
use weft_core::ExecutionStatus;

on_both_backends!(
    a_panicking_node_is_retried_then_its_on_error_applies,
    parked_executions_hold_no_actors_and_resume_when_their_timers_fire,
    a_signal_rehydrates_a_passivated_execution,
    cancel_kills_running_nodes,
    flow_call_runs_a_child_execution_and_waits_for_it,
    admission_honours_max_concurrency_and_priority,
    a_stale_owner_is_fenced_off,
    a_new_instance_resumes_queued_and_running_executions,
);

async fn a_panicking_node_is_retried_then_its_on_error_applies(backend: Backend) {
    let h = Harness::new(backend, fast_config()).await;
    let def = |on_error: &str| {
        json!({"name": "panics", "nodes": [
            {"id": "start", "type": "trigger.manual"},
            {"id": "boom", "type": "test.panic", "on_error": on_error,
             "retry": {"max_attempts": 3, "initial_interval_ms": 10, "max_interval_ms": 20}},
            {"id": "after", "type": "data.transform", "config": {"filter": "{handled: .prev.error.kind}"}}],
         "edges": [{"from": "start", "to": "boom"}, {"from": "boom", "to": "after"}]})
    };
    let wf = h.workflow(def("continue")).await;
    let id = h.start(wf, json!({})).await;
    let rec = h.finish(id).await;
    assert_eq!(rec.status, ExecutionStatus::Succeeded, "{rec:?}");
    assert_eq!(rec.output, Some(json!({"handled": "transient"})));
    assert_eq!(h.probes.panics.load(Ordering::SeqCst), 3);
    let scheduled = h
        .event_types(id)
        .await
        .iter()
        .filter(|t| *t == "node_scheduled")
        .count();
    assert_eq!(scheduled, 1 + 3 + 1, "trigger, three attempts, the handler");

    let wf = h.workflow(def("fail")).await;
    let rec = h.finish(h.start(wf, json!({})).await).await;
    assert_eq!(rec.status, ExecutionStatus::Failed);
    let err = rec.error.unwrap();
    assert_eq!(err["node"], "boom");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("boom from test.panic"),
        "{err}"
    );
    eventually(Duration::from_secs(5), "node actors to stop", || async {
        (h.engine.live_actors().nodes == 0).then_some(())
    })
    .await;
}

async fn parked_executions_hold_no_actors_and_resume_when_their_timers_fire(backend: Backend) {
    let h = Harness::new(backend, fast_config()).await;
    let parked = h
        .workflow(
            json!({"name": "park", "nodes": [{"id": "start", "type": "trigger.manual"},
            {"id": "nap", "type": "flow.wait", "config": {"duration_ms": 3_600_000}}],
            "edges": [{"from": "start", "to": "nap"}]}),
        )
        .await;
    const N: usize = 10_000;
    let ids: Vec<_> = futures::stream::iter(0..N)
        .map(|i| h.start(parked, json!({"i": i})))
        .buffer_unordered(64)
        .collect()
        .await;
    assert_eq!(ids.len(), N);
    eventually(
        Duration::from_secs(120),
        "all executions parked",
        || async {
            let counts = h
                .backend
                .store
                .count_executions(Some(parked))
                .await
                .unwrap();
            let waiting = counts
                .iter()
                .find(|(s, _)| *s == ExecutionStatus::Waiting)
                .map_or(0, |(_, n)| *n);
            (waiting == N as u64).then_some(())
        },
    )
    .await;
    eventually(
        Duration::from_secs(60),
        "every parked execution to passivate",
        || async {
            let live = h.engine.live_actors();
            (live.executions == 0 && live.nodes == 0).then_some(())
        },
    )
    .await;
    assert_eq!(h.engine.admission_stats().await.unwrap(), (0, 0));

    // Short waits: they passivate before they are due, then the durable timer brings each
    // one back and it finishes with the right output.
    let short = h
        .workflow(json!({"name": "short", "nodes": [{"id": "start", "type": "trigger.manual"},
            {"id": "nap", "type": "flow.wait", "config": {"duration_ms": 1_500}},
            {"id": "out", "type": "data.transform", "config": {"filter": "{i: .input.i, after: .nodes.nap.i}"}}],
            "edges": [{"from": "start", "to": "nap"}, {"from": "nap", "to": "out"}]}))
        .await;
    let ids: Vec<_> = futures::stream::iter(0..200)
        .map(|i| h.start(short, json!({"i": i})))
        .buffer_unordered(32)
        .collect()
        .await;
    eventually(
        Duration::from_secs(30),
        "the short waits to passivate",
        || async { (h.engine.live_actors().executions == 0).then_some(()) },
    )
    .await;
    for (n, id) in ids.iter().enumerate() {
        let rec = h.finish(*id).await;
        assert_eq!(rec.status, ExecutionStatus::Succeeded);
        let i = rec.input["i"].clone();
        assert_eq!(
            rec.output,
            Some(json!({"i": i, "after": i})),
            "execution {n}"
        );
    }
}

async fn a_signal_rehydrates_a_passivated_execution(backend: Backend) {
    let h = Harness::new(backend, fast_config()).await;
    let wf = h
        .workflow(json!({"name": "approve", "nodes": [{"id": "start", "type": "trigger.manual"},
            {"id": "ok", "type": "flow.signal", "config": {"name": "approval"}},
            {"id": "out", "type": "data.transform", "config": {"filter": "{by: .prev.by, order: .input.order}"}}],
            "edges": [{"from": "start", "to": "ok"}, {"from": "ok", "to": "out"}]}))
        .await;
    let id = h.start(wf, json!({"order": 9})).await;
    eventually(
        Duration::from_secs(10),
        "the execution to wait and passivate",
        || async {
            let rec = h.backend.store.get_execution(id).await.unwrap();
            (rec.status == ExecutionStatus::Waiting && h.engine.live_actors().executions == 0)
                .then_some(())
        },
    )
    .await;
    h.engine
        .signal(id, "approval", json!({"by": "ada"}))
        .await
        .unwrap();
    let rec = h.finish(id).await;
    assert_eq!(rec.output, Some(json!({"by": "ada", "order": 9})));
    // Finished executions refuse further signals with a clear error.
    let err = h
        .engine
        .signal(id, "approval", json!({}))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("succeeded"), "{err}");
    let err = h
        .engine
        .signal(weft_core::ExecutionId::new(), "approval", json!({}))
        .await
        .unwrap_err();
    assert!(
        matches!(err, weft_actors::EngineError::NotFound { .. }),
        "{err}"
    );
}

async fn cancel_kills_running_nodes(backend: Backend) {
    let h = Harness::new(backend, fast_config()).await;
    let wf = h
        .workflow(
            json!({"name": "stuck", "nodes": [{"id": "start", "type": "trigger.manual"},
            {"id": "gate", "type": "test.gate"}], "edges": [{"from": "start", "to": "gate"}]}),
        )
        .await;
    let id = h.start(wf, json!({})).await;
    eventually(Duration::from_secs(10), "the gate node to run", || async {
        (h.probes.gate_running.load(Ordering::SeqCst) == 1).then_some(())
    })
    .await;
    h.engine.cancel(id, "operator said so").await.unwrap();
    let rec = h.finish(id).await;
    assert_eq!(rec.status, ExecutionStatus::Cancelled);
    assert!(
        rec.error.unwrap()["message"]
            .as_str()
            .unwrap()
            .contains("operator said so")
    );
    eventually(
        Duration::from_secs(5),
        "the node actor to be killed",
        || async { (h.engine.live_actors().nodes == 0).then_some(()) },
    )
    .await;
}

async fn flow_call_runs_a_child_execution_and_waits_for_it(backend: Backend) {
    let h = Harness::new(backend, fast_config()).await;
    let child = h
        .workflow(json!({"name": "child", "nodes": [{"id": "start", "type": "trigger.manual"},
            {"id": "nap", "type": "flow.wait", "config": {"duration_ms": 300}},
            {"id": "twice", "type": "data.transform", "config": {"filter": "{twice: (.input.n * 2)}"}}],
            "edges": [{"from": "start", "to": "nap"}, {"from": "nap", "to": "twice"}]}))
        .await;
    let failing = h
        .workflow(
            json!({"name": "failing-child", "nodes": [{"id": "start", "type": "trigger.manual"},
            {"id": "no", "type": "flow.fail", "config": {"message": "child says no"}}],
            "edges": [{"from": "start", "to": "no"}]}),
        )
        .await;
    let parent = h
        .workflow(json!({"name": "parent", "nodes": [{"id": "start", "type": "trigger.manual"},
            {"id": "call", "type": "flow.call", "config": {"workflow_id": child.to_string(), "input": {"n": "{{ .input.n }}"}}},
            {"id": "bad", "type": "flow.call", "on_error": "continue", "config": {"workflow_id": failing.to_string()}},
            {"id": "out", "type": "data.transform", "config": {"filter": "{child: .nodes.call, failed: .nodes.bad.error.message}"}}],
            "edges": [{"from": "start", "to": "call"}, {"from": "call", "to": "bad"}, {"from": "bad", "to": "out"}]}))
        .await;
    let id = h.start(parent, json!({"n": 21})).await;
    let rec = h.finish(id).await;
    assert_eq!(rec.status, ExecutionStatus::Succeeded, "{rec:?}");
    assert_eq!(rec.output.as_ref().unwrap()["child"], json!({"twice": 42}));
    let msg = rec.output.as_ref().unwrap()["failed"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("child says no"), "{msg}");
    // The child is an execution of its own, linked to its parent.
    let child_rec = h
        .backend
        .store
        .get_execution(id.child("call"))
        .await
        .unwrap();
    assert_eq!(child_rec.parent.unwrap().execution_id, id);
}

async fn admission_honours_max_concurrency_and_priority(backend: Backend) {
    // One slot in all: the first execution holds it, the rest queue by priority.
    let h = Harness::new(
        backend,
        EngineConfig {
            max_in_flight: 1,
            ..fast_config()
        },
    )
    .await;
    let wf = h
        .workflow(
            json!({"name": "gated", "nodes": [{"id": "start", "type": "trigger.manual"},
            {"id": "gate", "type": "test.gate"}], "edges": [{"from": "start", "to": "gate"}]}),
        )
        .await;
    let first = h.start(wf, json!({"name": "first"})).await;
    eventually(
        Duration::from_secs(10),
        "the first to hold the slot",
        || async { (h.probes.gate_running.load(Ordering::SeqCst) == 1).then_some(()) },
    )
    .await;
    let mut ids = vec![first];
    for (name, priority) in [("low", 1), ("high", 9), ("mid", 5)] {
        ids.push(
            h.start_with(StartRequest {
                workflow_id: wf,
                input: json!({"name": name}),
                priority: Some(priority),
                ..Default::default()
            })
            .await,
        );
    }
    assert_eq!(h.engine.admission_stats().await.unwrap(), (1, 3));
    h.probes.gate.add_permits(4);
    for id in ids {
        assert_eq!(h.finish(id).await.status, ExecutionStatus::Succeeded);
    }
    let order: Vec<_> = h
        .probes
        .gate_order
        .lock()
        .unwrap()
        .iter()
        .map(|v| v["name"].clone())
        .collect();
    assert_eq!(
        order,
        vec![json!("first"), json!("high"), json!("mid"), json!("low")]
    );
    assert_eq!(h.probes.gate_max.load(Ordering::SeqCst), 1);

    // Per-workflow max_concurrency with plenty of global slots.
    let h2 = Harness::new(Backend::sqlite().await, fast_config()).await;
    let wf = h2
        .workflow(json!({"name": "two-at-a-time", "settings": {"max_concurrency": 2},
            "nodes": [{"id": "start", "type": "trigger.manual"}, {"id": "gate", "type": "test.gate"}],
            "edges": [{"from": "start", "to": "gate"}]}))
        .await;
    let ids: Vec<_> = futures::stream::iter(0..6)
        .map(|i| h2.start(wf, json!({"i": i})))
        .buffered(6)
        .collect()
        .await;
    eventually(Duration::from_secs(10), "two to run", || async {
        (h2.probes.gate_running.load(Ordering::SeqCst) == 2).then_some(())
    })
    .await;
    h2.probes.gate.add_permits(6);
    for id in ids {
        assert_eq!(h2.finish(id).await.status, ExecutionStatus::Succeeded);
    }
    assert_eq!(h2.probes.gate_max.load(Ordering::SeqCst), 2);
}

async fn a_stale_owner_is_fenced_off(backend: Backend) {
    // Instance A runs an execution that waits on signals and keeps its actor.
    let cfg = EngineConfig {
        passivate_after_ms: 600_000,
        ..fast_config()
    };
    let a = Harness::new(backend, cfg.clone()).await;
    let wf = a
        .workflow(json!({"name": "fenced", "nodes": [{"id": "start", "type": "trigger.manual"},
            {"id": "one", "type": "flow.signal", "config": {"name": "one"}},
            {"id": "two", "type": "flow.signal", "config": {"name": "two"}},
            {"id": "out", "type": "data.transform", "config": {"filter": "{one: .nodes.one, two: .nodes.two}"}}],
            "edges": [{"from": "start", "to": "one"}, {"from": "one", "to": "two"}, {"from": "two", "to": "out"}]}))
        .await;
    let id = a.start(wf, json!({})).await;
    eventually(Duration::from_secs(10), "the execution to wait", || async {
        (a.backend.store.get_execution(id).await.unwrap().status == ExecutionStatus::Waiting)
            .then_some(())
    })
    .await;
    assert_eq!(a.engine.live_actors().executions, 1);
    // Instance B starts on the same database with a newer epoch and takes the execution
    // over when it delivers a signal to it.
    let b_store = a.backend.reconnect().await;
    let probes = std::sync::Arc::new(support::Probes::default());
    let b = weft_actors::Engine::start(cfg, b_store.clone(), support::registry(&probes))
        .await
        .unwrap();
    assert!(b.epoch() > a.engine.epoch());
    b.signal(id, "one", json!("from b")).await.unwrap();
    let claimed = b_store.get_execution(id).await.unwrap();
    assert_eq!(claimed.owner_epoch, b.epoch());
    // A still believes it owns the execution: its write is refused, the signal reports an
    // error, A's actor stops, and nothing of it is stored.
    let err = a
        .engine
        .signal(id, "two", json!("from a"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("another instance"), "{err}");
    eventually(Duration::from_secs(5), "A's actor to stop", || async {
        (a.engine.live_actors().executions == 0).then_some(())
    })
    .await;
    let untouched = b_store.get_execution(id).await.unwrap();
    assert_eq!(untouched.version, claimed.version);
    b.signal(id, "two", json!("from b too")).await.unwrap();
    let rec = tokio::time::timeout(Duration::from_secs(30), b.wait_finished(id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        rec.output,
        Some(json!({"one": "from b", "two": "from b too"}))
    );
    let events = b_store.events(id, 0, 1_000).await.unwrap();
    assert!(
        events
            .iter()
            .enumerate()
            .all(|(i, e)| e.seq == i as u64 + 1)
    );
}

async fn a_new_instance_resumes_queued_and_running_executions(backend: Backend) {
    // Instance A has one slot: one execution runs (blocked in its node), three are queued.
    let a = Harness::new(
        backend,
        EngineConfig {
            max_in_flight: 1,
            ..fast_config()
        },
    )
    .await;
    let wf = a
        .workflow(json!({"name": "resume", "settings": {"max_concurrency": 2},
            "nodes": [{"id": "start", "type": "trigger.manual"}, {"id": "gate", "type": "test.gate"},
                      {"id": "out", "type": "data.transform", "config": {"filter": "{done: .input.i}"}}],
            "edges": [{"from": "start", "to": "gate"}, {"from": "gate", "to": "out"}]}))
        .await;
    let mut ids = Vec::new();
    for i in 0..4 {
        ids.push(a.start(wf, json!({"i": i})).await);
    }
    eventually(
        Duration::from_secs(10),
        "one running, three queued",
        || async {
            (a.probes.gate_running.load(Ordering::SeqCst) == 1
                && a.engine.admission_stats().await.ok()? == (1, 3))
                .then_some(())
        },
    )
    .await;
    a.engine.shutdown().await;

    // Instance B takes over: the running one's node is dispatched again, the queued ones are
    // admitted (at most two at once: the workflow's max_concurrency).
    let b_store = a.backend.reconnect().await;
    let probes = std::sync::Arc::new(support::Probes::default());
    let b = weft_actors::Engine::start(fast_config(), b_store.clone(), support::registry(&probes))
        .await
        .unwrap();
    eventually(Duration::from_secs(10), "two gates to run on B", || async {
        (probes.gate_running.load(Ordering::SeqCst) == 2).then_some(())
    })
    .await;
    probes.gate.add_permits(4);
    for (i, id) in ids.iter().enumerate() {
        let rec = tokio::time::timeout(Duration::from_secs(30), b.wait_finished(*id))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(rec.status, ExecutionStatus::Succeeded);
        assert_eq!(rec.output, Some(json!({"done": i})));
        assert_eq!(rec.owner_epoch, b.epoch());
    }
    assert_eq!(probes.gate_max.load(Ordering::SeqCst), 2);
}

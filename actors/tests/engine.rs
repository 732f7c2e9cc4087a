//! The engine end to end on a real store (SQLite and PostgreSQL): panics, passivation,
//! signals, cancellation, child workflows, admission limits, fencing, trigger selection,
//! retries, node logs and per-execution watches.

mod support;

use futures::StreamExt;
use serde_json::json;
use std::sync::atomic::Ordering;
use std::time::Duration;
use support::{Backend, Harness, eventually, fast_config};
use weft_actors::{EngineConfig, EngineError, StartRequest, WatchError};
use weft_core::{Event, ExecutionId, ExecutionStatus, LogLevel};

on_both_backends!(
    a_panicking_node_is_retried_then_its_on_error_applies,
    parked_executions_hold_no_actors_and_resume_when_their_timers_fire,
    a_signal_rehydrates_a_passivated_execution,
    cancel_kills_running_nodes,
    flow_call_runs_a_child_execution_and_waits_for_it,
    admission_honours_max_concurrency_and_priority,
    a_stale_owner_is_fenced_off,
    a_new_instance_resumes_queued_and_running_executions,
    only_the_chosen_trigger_runs_and_bad_triggers_are_refused,
    a_failed_execution_is_retried_from_its_failed_node,
    a_retry_on_another_instance_reopens_the_execution,
    node_logs_are_written_before_the_completion,
    a_watch_streams_one_execution_in_order,
    a_queued_execution_keeps_its_trigger_across_a_restart,
);

async fn a_panicking_node_is_retried_then_its_on_error_applies(backend: Backend) {
    // In a node actor, and inline in the execution actor's step: the same outcome.
    let h = Harness::new(backend, fast_config()).await;
    for node_type in ["test.panic", "test.panic_inline"] {
        h.probes.panics.store(0, Ordering::SeqCst);
        panics_are_failed_attempts(&h, node_type).await;
    }
}

async fn panics_are_failed_attempts(h: &Harness, node_type: &str) {
    let def = |on_error: &str| {
        json!({"name": "panics", "nodes": [
            {"id": "start", "type": "trigger.manual"},
            {"id": "boom", "type": node_type, "on_error": on_error,
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
            .contains(&format!("boom from {node_type}")),
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

async fn only_the_chosen_trigger_runs_and_bad_triggers_are_refused(backend: Backend) {
    let h = Harness::new(backend, fast_config()).await;
    let wf = h
        .workflow(json!({"name": "two-doors", "nodes": [
            {"id": "manual", "type": "trigger.manual"},
            {"id": "hook", "type": "trigger.webhook", "config": {"path": "orders/new"}},
            {"id": "by_hand", "type": "data.set", "config": {"fields": {"via": "manual"}, "keep_input": false}},
            {"id": "by_hook", "type": "data.transform", "config": {"filter": "{via: \"hook\", body: .prev.body}"}}],
            "edges": [{"from": "manual", "to": "by_hand"}, {"from": "hook", "to": "by_hook"}]}))
        .await;
    let id = h
        .start_with(StartRequest {
            workflow_id: wf,
            input: json!({"method": "POST", "path": "orders/new", "body": {"n": 1}}),
            trigger: Some("hook".into()),
            correlation_id: Some("req-1".into()),
            ..Default::default()
        })
        .await;
    let rec = h.finish(id).await;
    assert_eq!(rec.status, ExecutionStatus::Succeeded, "{rec:?}");
    assert_eq!(rec.output, Some(json!({"via": "hook", "body": {"n": 1}})));
    let events = h.events(id).await;
    match &events[0].event {
        Event::ExecutionStarted {
            trigger,
            correlation_id,
            ..
        } => {
            assert_eq!(trigger.as_deref(), Some("hook"));
            assert_eq!(correlation_id.as_deref(), Some("req-1"));
        }
        other => panic!("first event: {other:?}"),
    }
    let skipped: Vec<&str> = events
        .iter()
        .filter_map(|e| match &e.event {
            Event::NodeSkipped { node } => Some(node.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(skipped, vec!["manual", "by_hand"]);

    // Without a trigger every one starts.
    let rec = h.finish(h.start(wf, json!({"body": 2})).await).await;
    assert_eq!(
        rec.output,
        Some(json!({"by_hand": {"via": "manual"}, "by_hook": {"via": "hook", "body": 2}}))
    );

    // A trigger that is not one is refused before anything is stored.
    let before = h.backend.store.count_executions(Some(wf)).await.unwrap();
    for (trigger, needle) in [("by_hand", "not a trigger"), ("nope", "manual, hook")] {
        let err = h
            .engine
            .start_execution(StartRequest {
                workflow_id: wf,
                trigger: Some(trigger.into()),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert!(
            matches!(&err, EngineError::BadRequest(m) if m.contains(needle)),
            "{trigger}: {err}"
        );
    }
    let err = h
        .engine
        .start_execution(StartRequest {
            workflow_id: wf,
            correlation_id: Some("bad\nid".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(err, EngineError::BadRequest(_)), "{err}");
    assert_eq!(
        h.backend.store.count_executions(Some(wf)).await.unwrap(),
        before
    );
}

/// start → prep → flaky → out, where `test.flaky` fails until told otherwise.
fn flaky_workflow() -> serde_json::Value {
    json!({"name": "flaky", "nodes": [
        {"id": "start", "type": "trigger.manual"},
        {"id": "prep", "type": "data.set", "config": {"fields": {"prepared": "{{ .input.n }}"}}},
        {"id": "flaky", "type": "test.flaky"},
        {"id": "out", "type": "data.transform", "config": {"filter": "{prepared: .nodes.prep.prepared, ran: .prev.ran}"}}],
        "edges": [{"from": "start", "to": "prep"}, {"from": "prep", "to": "flaky"}, {"from": "flaky", "to": "out"}]})
}

/// The attempts with which `node` was scheduled, in order.
fn attempts(events: &[weft_core::EventEnvelope], node: &str) -> Vec<u32> {
    events
        .iter()
        .filter_map(|e| match &e.event {
            Event::NodeScheduled { node: n, attempt } if n == node => Some(*attempt),
            _ => None,
        })
        .collect()
}

async fn a_failed_execution_is_retried_from_its_failed_node(backend: Backend) {
    let h = Harness::new(backend, fast_config()).await;
    let wf = h.workflow(flaky_workflow()).await;
    let id = h.start(wf, json!({"n": 5})).await;
    let failed = h.finish(id).await;
    assert_eq!(failed.status, ExecutionStatus::Failed);
    assert!(failed.finished_at.is_some() && failed.error.is_some());

    // Right away, while the finished execution's actor may still be stopping.
    h.probes.flaky_fails.store(false, Ordering::SeqCst);
    let rec = h.engine.retry(id).await.unwrap();
    assert_ne!(rec.status, ExecutionStatus::Failed, "{rec:?}");
    let done = h.finish(id).await;
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    assert_eq!(done.output, Some(json!({"prepared": 5, "ran": true})));
    assert!(done.error.is_none());
    assert!(done.finished_at.unwrap() >= failed.finished_at.unwrap());

    let events = h.events(id).await;
    assert_eq!(
        attempts(&events, "flaky"),
        vec![1, 1],
        "attempts start over"
    );
    assert_eq!(
        attempts(&events, "prep"),
        vec![1],
        "completed nodes keep their output"
    );
    let retried: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.event {
            Event::ExecutionRetried { nodes } => Some(nodes.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(retried, vec![vec!["flaky".to_string()]]);
    assert!(
        events
            .iter()
            .enumerate()
            .all(|(i, e)| e.seq == i as u64 + 1)
    );

    // Only failed (or timed-out) executions: a succeeded, running or unknown one is refused.
    let err = h.engine.retry(id).await.unwrap_err();
    assert!(
        matches!(&err, EngineError::NotActive { status, message, .. }
            if status == "succeeded" && message.contains("failed or timed-out")),
        "{err}"
    );
    let gated = h
        .workflow(
            json!({"name": "gated", "nodes": [{"id": "start", "type": "trigger.manual"},
            {"id": "gate", "type": "test.gate"}], "edges": [{"from": "start", "to": "gate"}]}),
        )
        .await;
    let running = h.start(gated, json!({})).await;
    eventually(Duration::from_secs(10), "the gate to run", || async {
        (h.probes.gate_running.load(Ordering::SeqCst) == 1).then_some(())
    })
    .await;
    let err = h.engine.retry(running).await.unwrap_err();
    assert!(matches!(err, EngineError::NotActive { .. }), "{err}");
    h.probes.gate.add_permits(1);
    h.finish(running).await;
    let err = h.engine.retry(ExecutionId::new()).await.unwrap_err();
    assert!(matches!(err, EngineError::NotFound { .. }), "{err}");

    // Timed out while waiting for a signal: the retry gives it a new time limit, the signal
    // still waits, and its arrival finishes the execution.
    let slow = h
        .workflow(json!({"name": "slow", "settings": {"timeout_ms": 1000},
            "nodes": [{"id": "start", "type": "trigger.manual"},
                      {"id": "ok", "type": "flow.signal", "config": {"name": "ok"}}],
            "edges": [{"from": "start", "to": "ok"}]}))
        .await;
    let id = h.start(slow, json!({})).await;
    assert_eq!(h.finish(id).await.status, ExecutionStatus::TimedOut);
    h.engine.retry(id).await.unwrap();
    h.engine
        .signal(id, "ok", json!({"fine": true}))
        .await
        .unwrap();
    let rec = h.finish(id).await;
    assert_eq!(rec.status, ExecutionStatus::Succeeded, "{rec:?}");
    assert_eq!(rec.output, Some(json!({"fine": true})));
}

async fn a_retry_on_another_instance_reopens_the_execution(backend: Backend) {
    let a = Harness::new(backend, fast_config()).await;
    let wf = a.workflow(flaky_workflow()).await;
    let id = a.start(wf, json!({"n": 1})).await;
    assert_eq!(a.finish(id).await.status, ExecutionStatus::Failed);
    a.engine.shutdown().await;

    // Instance B (a newer epoch) takes the finished execution over to retry it.
    let b_store = a.backend.reconnect().await;
    let probes = std::sync::Arc::new(support::Probes::default());
    probes.flaky_fails.store(false, Ordering::SeqCst);
    let b = weft_actors::Engine::start(fast_config(), b_store.clone(), support::registry(&probes))
        .await
        .unwrap();
    b.retry(id).await.unwrap();
    let rec = tokio::time::timeout(Duration::from_secs(30), b.wait_finished(id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.status, ExecutionStatus::Succeeded, "{rec:?}");
    assert_eq!(rec.owner_epoch, b.epoch());
    assert_eq!(rec.output, Some(json!({"prepared": 1, "ran": true})));
    assert_eq!(probes.flaky_runs.load(Ordering::SeqCst), 1);
}

async fn node_logs_are_written_before_the_completion(backend: Backend) {
    let h = Harness::new(backend, fast_config()).await;
    let wf = h
        .workflow(json!({"name": "logs", "nodes": [
            {"id": "start", "type": "trigger.manual"},
            {"id": "say", "type": "util.log", "config": {"message": "order {{ .input.id }} in", "level": "warn"}},
            {"id": "out", "type": "data.set", "config": {"fields": {"ok": true}}}],
            "edges": [{"from": "start", "to": "say"}, {"from": "say", "to": "out"}]}))
        .await;
    let id = h.start(wf, json!({"id": 42})).await;
    let rec = h.finish(id).await;
    assert_eq!(
        rec.output,
        Some(json!({"id": 42, "ok": true})),
        "util.log passes prev on"
    );
    let events = h.events(id).await;
    let at = events
        .iter()
        .position(|e| matches!(&e.event, Event::Log { .. }))
        .expect("a log event");
    assert_eq!(
        events[at].event,
        Event::Log {
            node: Some("say".into()),
            level: LogLevel::Warn,
            message: "order 42 in".into(),
            fields: serde_json::Value::Null,
        }
    );
    assert!(
        matches!(&events[at + 1].event, Event::NodeCompleted { node, .. } if node == "say"),
        "{:?}",
        events[at + 1]
    );
    // The log view renders every event; the node's own line comes out as written.
    let lines: Vec<_> = events.iter().filter_map(|e| e.log_line()).collect();
    assert_eq!(lines.len(), events.len());
    assert_eq!(
        (
            lines[at].level,
            lines[at].node.as_deref(),
            lines[at].message.as_str()
        ),
        (LogLevel::Warn, Some("say"), "order 42 in")
    );
    assert!(
        lines
            .iter()
            .any(|l| l.message == "node say scheduled (attempt 1)")
    );
}

async fn a_watch_streams_one_execution_in_order(backend: Backend) {
    let h = Harness::new(backend, fast_config()).await;
    let wf = h
        .workflow(json!({"name": "watched", "nodes": [
            {"id": "hook", "type": "trigger.webhook", "config": {"path": "w", "response": "respond_node"}},
            {"id": "reply", "type": "http.respond", "config": {"status": 201, "body": {"got": "{{ .input.body }}"}}}],
            "edges": [{"from": "hook", "to": "reply"}]}))
        .await;
    // Watch first, with the id chosen up front, so nothing is missed.
    let id = ExecutionId::new();
    let mut watch = h.engine.watch(id, 64);
    let mut other = h.engine.watch(ExecutionId::new(), 64);
    let noise = h.start(wf, json!({"body": "noise"})).await;
    h.start_with(StartRequest {
        workflow_id: wf,
        input: json!({"body": "hi"}),
        id: Some(id),
        trigger: Some("hook".into()),
        ..Default::default()
    })
    .await;
    let mut seen = Vec::new();
    let mut response = None;
    loop {
        let e = tokio::time::timeout(Duration::from_secs(30), watch.recv())
            .await
            .expect("events in time")
            .expect("no lag");
        assert_eq!(e.execution_id, id);
        seen.push(e.envelope.clone());
        match &e.envelope.event {
            Event::NodeCompleted { node, output, .. } if node == "reply" => {
                response = Some(output.clone())
            }
            Event::ExecutionFinished { .. } => break,
            _ => {}
        }
    }
    assert_eq!(
        response,
        Some(json!({"status": 201, "headers": {}, "body": {"got": "hi"}}))
    );
    assert_eq!(
        seen,
        h.events(id).await,
        "every event, in order, nothing else"
    );
    h.finish(noise).await;
    assert!(
        matches!(other.try_recv(), Ok(None)),
        "no events of other executions"
    );

    // A watcher that does not read is dropped once its buffer is full; the others go on.
    let slow_id = ExecutionId::new();
    let mut slow = h.engine.watch(slow_id, 1);
    let mut fast = h.engine.watch(slow_id, 64);
    h.start_with(StartRequest {
        workflow_id: wf,
        input: json!({"body": 1}),
        id: Some(slow_id),
        ..Default::default()
    })
    .await;
    h.finish(slow_id).await;
    let mut fast_seen = 0;
    while let Ok(Some(_)) = fast.try_recv() {
        fast_seen += 1;
    }
    assert_eq!(fast_seen, h.events(slow_id).await.len());
    assert!(slow.recv().await.is_ok(), "what it had buffered");
    assert_eq!(slow.recv().await.unwrap_err(), WatchError::Lagged);
}

async fn a_queued_execution_keeps_its_trigger_across_a_restart(backend: Backend) {
    // One slot, taken by a blocked execution: the webhook-started one stays queued.
    let a = Harness::new(
        backend,
        EngineConfig {
            max_in_flight: 1,
            ..fast_config()
        },
    )
    .await;
    let blocker = a
        .workflow(json!({"name": "blocker", "nodes": [
            {"id": "start", "type": "trigger.manual"}, {"id": "gate", "type": "test.gate"}],
            "edges": [{"from": "start", "to": "gate"}]}))
        .await;
    let wf = a
        .workflow(json!({"name": "two-doors", "nodes": [
            {"id": "manual", "type": "trigger.manual"},
            {"id": "hook", "type": "trigger.webhook", "config": {"path": "restart/hook"}},
            {"id": "by_hand", "type": "data.set", "config": {"fields": {"via": "manual"}, "keep_input": false}},
            {"id": "by_hook", "type": "data.set", "config": {"fields": {"via": "hook"}, "keep_input": false}}],
            "edges": [{"from": "manual", "to": "by_hand"}, {"from": "hook", "to": "by_hook"}]}))
        .await;
    a.start(blocker, json!({})).await;
    eventually(Duration::from_secs(10), "the blocker to run", || async {
        (a.probes.gate_running.load(Ordering::SeqCst) == 1).then_some(())
    })
    .await;
    let id = a
        .start_with(StartRequest {
            workflow_id: wf,
            input: json!({"body": {}}),
            trigger: Some("hook".into()),
            correlation_id: Some("req-restart".into()),
            ..Default::default()
        })
        .await;
    eventually(
        Duration::from_secs(10),
        "the hook execution to queue",
        || async { (a.engine.admission_stats().await.ok()? == (1, 1)).then_some(()) },
    )
    .await;
    a.engine.shutdown().await;

    // A new instance admits it from the store: still only the webhook trigger, same request.
    let store = a.backend.reconnect().await;
    let probes = std::sync::Arc::new(support::Probes::default());
    let b = weft_actors::Engine::start(fast_config(), store.clone(), support::registry(&probes))
        .await
        .unwrap();
    probes.gate.add_permits(10);
    let rec = tokio::time::timeout(Duration::from_secs(30), b.wait_finished(id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.status, ExecutionStatus::Succeeded, "{rec:?}");
    assert_eq!(rec.output, Some(json!({"via": "hook"})));
    let events = store.events(id, 0, 10).await.unwrap();
    match &events[0].event {
        Event::ExecutionStarted {
            trigger,
            correlation_id,
            ..
        } => {
            assert_eq!(trigger.as_deref(), Some("hook"));
            assert_eq!(correlation_id.as_deref(), Some("req-restart"));
        }
        other => panic!("first event: {other:?}"),
    }
}

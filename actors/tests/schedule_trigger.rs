//! `trigger.schedule` end to end: schedulers on real engines sharing one PostgreSQL database.

mod support;

use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use support::{Backend, Harness, eventually, fast_config};
use weft_actors::Engine;
use weft_actors::triggers::{Scheduler, SchedulerConfig};
use weft_core::{ExecutionStatus, WorkflowId};
use weft_nodes::trigger::ScheduleTrigger;
use weft_persistence::{ExecutionFilter, ExecutionRecord, Store};

fn fast_scheduler() -> SchedulerConfig {
    SchedulerConfig {
        refresh: Duration::from_millis(200),
        ..SchedulerConfig::default()
    }
}

fn scheduled(config: Value) -> Value {
    json!({
        "name": "scheduled",
        "nodes": [
            {"id": "tick", "type": "trigger.schedule", "config": config},
            {"id": "after", "type": "util.noop"}
        ],
        "edges": [{"from": "tick", "to": "after"}]
    })
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_fire_each_tick_once() {
    let a = Harness::new(Backend::postgres().await, fast_config()).await;
    let b = Engine::start(
        fast_config(),
        a.backend.reconnect().await,
        a.engine.registry().clone(),
    )
    .await
    .unwrap();
    let wf = a
        .workflow(scheduled(
            json!({"cron": "*/1 * * * * *", "input": {"job": "pulse"}}),
        ))
        .await;
    let schedulers = [
        Scheduler::start(a.engine.clone(), fast_scheduler()),
        Scheduler::start(b.clone(), fast_scheduler()),
    ];

    let store = a.backend.store.clone();
    eventually(Duration::from_secs(30), "3 scheduled executions", || {
        let store = store.clone();
        async move { (executions(&store, wf).await.len() >= 3).then_some(()) }
    })
    .await;
    for s in &schedulers {
        s.shutdown().await;
    }

    let runs = executions(&store, wf).await;
    let mut per_tick: HashMap<String, usize> = HashMap::new();
    for r in &runs {
        assert_eq!(r.input["job"], "pulse", "{}", r.input);
        assert_eq!(r.trigger.as_deref(), Some("tick"));
        assert!(r.input["fired_at"].is_string(), "{}", r.input);
        let at = r.input["scheduled_at"]
            .as_str()
            .expect("scheduled_at")
            .to_string();
        *per_tick.entry(at).or_default() += 1;
    }
    let doubled: Vec<_> = per_tick.iter().filter(|(_, n)| **n > 1).collect();
    assert!(doubled.is_empty(), "ticks fired twice: {doubled:?}");
    assert_eq!(
        schedulers.iter().map(Scheduler::fired).sum::<u64>(),
        runs.len() as u64,
        "every fire is one execution"
    );
    // The newest claim is the newest tick fired.
    let fires = store.schedule_fires().expect("postgres keeps claims");
    let last = fires.last_schedule_fire(wf, "tick").await.unwrap().unwrap();
    let schedule = ScheduleTrigger::parse_config(&json!({"cron": "*/1 * * * * *"})).unwrap();
    assert!(per_tick.contains_key(&schedule.format(last)), "{last}");
    // And the executions run: the trigger outputs the input to the next node.
    let first = &runs[runs.len() - 1];
    let done = a.finish(first.id).await;
    assert_eq!(done.status, ExecutionStatus::Succeeded);
    b.shutdown().await;
    a.engine.shutdown().await;
}

/// Seeds a claim a day ago for an hourly schedule, starts a scheduler, waits until it has
/// looked a few times, and returns the executions it started.
async fn after_downtime(missed: &str) -> (Vec<ExecutionRecord>, Vec<i64>) {
    let h = Harness::new(Backend::postgres().await, fast_config()).await;
    let config = json!({"cron": "0 0 * * * *", "missed": missed});
    let wf = h.workflow(scheduled(config.clone())).await;
    let schedule = ScheduleTrigger::parse_config(&config).unwrap();
    let now = weft_actors::now_ms();
    let seed = schedule.last_at_or_before(now - 24 * 3_600_000).unwrap();
    let store = h.backend.store.clone();
    let fires = store.schedule_fires().unwrap();
    assert!(
        fires
            .claim_schedule_fire(wf, "tick", seed, seed)
            .await
            .unwrap()
    );

    let scheduler = Scheduler::start(h.engine.clone(), fast_scheduler());
    // A few passes: the schedule was read, the catch-up (if any) done.
    eventually(
        Duration::from_secs(20),
        "three scheduler passes",
        || async { (scheduler.passes() >= 3).then_some(()) },
    )
    .await;
    scheduler.shutdown().await;
    let last = fires.last_schedule_fire(wf, "tick").await.unwrap().unwrap();
    // The ticks the catch-up could have covered: after the seed, up to the last claim.
    let mut missed_ticks = Vec::new();
    let mut at = seed;
    while let Some(t) = schedule.next_after(at).filter(|t| *t <= last) {
        missed_ticks.push(t);
        at = t;
    }
    let runs = executions(&store, wf).await;
    for r in &runs {
        assert_eq!(h.finish(r.id).await.status, ExecutionStatus::Succeeded);
    }
    h.engine.shutdown().await;
    (runs, missed_ticks)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fire_once_catches_up_with_one_run() {
    let (runs, ticks) = after_downtime("fire_once").await;
    assert_eq!(runs.len(), 1, "exactly one catch-up run");
    let latest = ScheduleTrigger::parse_config(&json!({"cron": "0 0 * * * *"}))
        .unwrap()
        .format(*ticks.last().expect("the catch-up was claimed"));
    assert_eq!(
        runs[0].input["scheduled_at"],
        json!(latest),
        "for the latest missed tick"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_fires_nothing_for_missed_ticks() {
    let (runs, ticks) = after_downtime("skip").await;
    assert!(runs.is_empty(), "{runs:?}");
    assert!(
        ticks.is_empty(),
        "nothing claimed after the seed: {ticks:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fire_all_runs_every_missed_tick() {
    let (runs, ticks) = after_downtime("fire_all").await;
    // A day of hourly ticks: 24 (25 when the test straddles an hour).
    assert!((24..=25).contains(&ticks.len()), "{}", ticks.len());
    let schedule = ScheduleTrigger::parse_config(&json!({"cron": "0 0 * * * *"})).unwrap();
    let mut got: Vec<String> = runs
        .iter()
        .map(|r| r.input["scheduled_at"].as_str().unwrap().to_string())
        .collect();
    got.sort();
    let want: Vec<String> = ticks.iter().map(|t| schedule.format(*t)).collect();
    assert_eq!(got, want);
}

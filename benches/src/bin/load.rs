//! Load driver: starts N executions of a 5-node workflow with a durable wait, in one
//! process on a real store, and reports start latency, completions/s and RSS.
//!
//! ```text
//! weft-load [--db sqlite|postgres://…] [--n 1000] [--wait-ms 1000] [--concurrency 1000] [--park]
//! ```
//! `--park` makes the wait one hour and stops once every execution is parked and
//! passivated, to measure what parked executions cost.

use futures::StreamExt;
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use weft_actors::{Engine, EngineConfig, StartRequest};
use weft_core::{Event, ExecutionId, ExecutionStatus, WorkflowId};
use weft_nodes::{NodeOptions, Registry};

/// The same allocator as the `weft` binary, so RSS figures match what users run.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Args {
    db: String,
    n: usize,
    wait_ms: u64,
    concurrency: usize,
    park: bool,
}

fn args() -> Args {
    let mut a = Args {
        db: "sqlite".into(),
        n: 1_000,
        wait_ms: 1_000,
        concurrency: 1_000,
        park: false,
    };
    let mut it = std::env::args();
    it.next(); // the program name
    while let Some(flag) = it.next() {
        let mut val = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--db" => a.db = val(),
            "--n" => a.n = val().parse().expect("--n"),
            "--wait-ms" => a.wait_ms = val().parse().expect("--wait-ms"),
            "--concurrency" => a.concurrency = val().parse().expect("--concurrency"),
            "--park" => a.park = true,
            other => panic!("unknown flag {other}"),
        }
    }
    a
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let a = args();
    let dir = tempfile::tempdir().expect("temp dir");
    let url = if a.db == "sqlite" {
        format!("sqlite://{}", dir.path().join("load.db").display())
    } else {
        a.db.clone()
    };
    let store = weft_persistence::connect(&url).await.expect("store");
    let registry = Arc::new(Registry::builtin(NodeOptions::default()).expect("registry"));
    let config = EngineConfig {
        passivate_after_ms: if a.park { 200 } else { 2_000 },
        bus_capacity: std::env::var("WEFT_LOAD_BUS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(65_536),
        ..EngineConfig::default()
    };
    let engine = Engine::start(config, store.clone(), registry)
        .await
        .expect("engine");
    let wait_ms = if a.park { 3_600_000 } else { a.wait_ms };
    let wf = WorkflowId::new();
    store
        .create_workflow(wf, "load-5", &weft_benches::five_node_workflow(wait_ms))
        .await
        .expect("workflow");

    // Start latency: from the start request to the durable `execution_started` event.
    let requested: Arc<Mutex<HashMap<ExecutionId, Instant>>> = Arc::default();
    let latencies: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let finished = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let node_completions = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let first_done: Arc<Mutex<Option<Instant>>> = Arc::default();
    {
        let mut rx = engine.subscribe();
        let (requested, latencies, finished, first_done, node_completions) = (
            requested.clone(),
            latencies.clone(),
            finished.clone(),
            first_done.clone(),
            node_completions.clone(),
        );
        tokio::spawn(async move {
            let mut early: HashMap<ExecutionId, Instant> = HashMap::new();
            loop {
                let e = match rx.recv().await {
                    Ok(e) => e,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                        eprintln!("warning: the bus dropped {n} events for the driver");
                        continue;
                    }
                    Err(_) => return,
                };
                match e.envelope.event {
                    Event::ExecutionStarted { .. } => {
                        let now = Instant::now();
                        match requested.lock().unwrap().get(&e.execution_id) {
                            Some(t) => latencies.lock().unwrap().push(now - *t),
                            None => {
                                early.insert(e.execution_id, now);
                            }
                        }
                    }
                    Event::NodeCompleted { .. } => {
                        node_completions.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    Event::ExecutionFinished { .. } => {
                        first_done.lock().unwrap().get_or_insert_with(Instant::now);
                        finished.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    _ => {}
                }
                // Started before the driver recorded the request time: the request's own
                // return is later, so count it at the event time (a lower bound).
                if !early.is_empty() {
                    let req = requested.lock().unwrap();
                    early.retain(|id, at| match req.get(id) {
                        Some(t) => {
                            latencies
                                .lock()
                                .unwrap()
                                .push(at.saturating_duration_since(*t));
                            false
                        }
                        None => true,
                    });
                }
            }
        });
    }

    let (rss0, _) = weft_benches::rss_kib();
    let t0 = Instant::now();
    let ids: Vec<ExecutionId> = futures::stream::iter(0..a.n)
        .map(|i| {
            let engine = engine.clone();
            let requested = requested.clone();
            async move {
                let id = ExecutionId::new();
                requested.lock().unwrap().insert(id, Instant::now());
                let req = StartRequest {
                    workflow_id: wf,
                    input: json!({"n": i}),
                    id: Some(id),
                    ..Default::default()
                };
                engine.start_execution(req).await.expect("start").0.id
            }
        })
        .buffer_unordered(a.concurrency)
        .collect()
        .await;
    let accepted = t0.elapsed();

    if a.park {
        loop {
            let counts = store.count_executions(Some(wf)).await.expect("count");
            let waiting = counts
                .iter()
                .find(|(s, _)| *s == ExecutionStatus::Waiting)
                .map_or(0, |(_, n)| *n);
            if waiting == a.n as u64 && engine.live_actors().executions == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let parked_after = t0.elapsed();
        let (rss, peak) = weft_benches::rss_kib();
        println!(
            "park n={} db={} backend={}: all parked and passivated after {:.1}s; RSS {} MiB (before {} MiB, peak {} MiB); live execution actors {}",
            a.n,
            a.db.split('@').next_back().unwrap_or(""),
            store.backend(),
            parked_after.as_secs_f64(),
            rss / 1024,
            rss0 / 1024,
            peak / 1024,
            engine.live_actors().executions
        );
        return;
    }

    while finished.load(std::sync::atomic::Ordering::Relaxed) < a.n {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let total = t0.elapsed();
    let first = first_done.lock().unwrap().map(|t| t - t0).unwrap_or(total);
    let mut lat = latencies.lock().unwrap().clone();
    lat.sort();
    let mut ok = 0;
    for id in ids.iter().take(50) {
        if store.get_execution(*id).await.expect("get").status == ExecutionStatus::Succeeded {
            ok += 1;
        }
    }
    let (_, peak) = weft_benches::rss_kib();
    println!(
        "load n={} wait={}ms backend={}: accepted in {:.2}s; start latency p50 {:.1} ms p99 {:.1} ms (n={}); all finished in {:.2}s; executions/s {:.0} over the run, {:.0} over the completion phase ({:.2}s); node completions/s {:.0} ({} in all); peak RSS {} MiB; sampled {ok}/50 succeeded",
        a.n,
        wait_ms,
        store.backend(),
        accepted.as_secs_f64(),
        percentile(&lat, 0.5).as_secs_f64() * 1e3,
        percentile(&lat, 0.99).as_secs_f64() * 1e3,
        lat.len(),
        total.as_secs_f64(),
        a.n as f64 / total.as_secs_f64(),
        a.n as f64 / (total - first).as_secs_f64().max(0.001),
        (total - first).as_secs_f64(),
        node_completions.load(std::sync::atomic::Ordering::Relaxed) as f64 / total.as_secs_f64(),
        node_completions.load(std::sync::atomic::Ordering::Relaxed),
        peak / 1024,
    );
    engine.shutdown().await;
}

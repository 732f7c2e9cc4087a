//! Crash recovery against the real binary, on PostgreSQL and on SQLite: start 200
//! executions (HTTP call that is retried once, then a 2 s durable wait), SIGKILL the server
//! mid-way, start it again. Every execution succeeds, none is lost, every node activation's
//! attempts carry one stable Idempotency-Key, and timers that fell due during the outage fire
//! at once after the restart.

mod support;

use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use support::{CountingServer, PgDatabase, Server, eventually};

const N: usize = 200;

async fn crash_and_recover(database_url: &str, data_dir: &std::path::Path) {
    let http = CountingServer::start().await;
    // The server fails every first call of a key by design, which a circuit breaker rightly
    // takes for an outage and paces (tests/circuit_breaker.rs covers that); this test is about
    // recovery, so it lets every call through.
    let mut server =
        Server::start_with(database_url, data_dir, &[("WEFT_BREAKER_ENABLED", "false")]).await;
    let wf = server
        .create_workflow(&json!({
            "name": "crash-test",
            "nodes": [
                {"id": "start", "type": "trigger.manual"},
                {"id": "call", "type": "http.request",
                 "config": {"method": "POST", "url": format!("{}/work", http.base), "body": "{{ .input }}"},
                 "retry": {"max_attempts": 5, "initial_interval_ms": 100, "max_interval_ms": 500}},
                {"id": "nap", "type": "flow.wait", "config": {"duration_ms": 2000}},
                {"id": "done", "type": "data.transform", "config": {"filter": "{n: .input.n, key: .nodes.call.body.key}"}}
            ],
            "edges": [{"from": "start", "to": "call"}, {"from": "call", "to": "nap"}, {"from": "nap", "to": "done"}]
        }))
        .await;

    let mut ids = Vec::with_capacity(N);
    for n in 0..N {
        ids.push(server.start_execution(&wf, json!({ "n": n })).await);
    }
    // Crash while work is in flight: some calls done, many executions parked on the timer.
    eventually(
        Duration::from_secs(60),
        "half of the retried calls to succeed",
        || {
            let keys = http.keys.clone();
            async move { (keys.lock().unwrap().len() >= N + N / 2).then_some(()) }
        },
    )
    .await;
    server.kill();
    let killed_at = Instant::now();
    // Stay down longer than the wait, so timers fall due during the outage.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    server.restart().await;
    let restarted = Instant::now();

    let mut finished = HashMap::new();
    for id in &ids {
        let rec: Value = eventually(Duration::from_secs(60), "every execution to finish", || {
            let server = &server;
            async move {
                let r = server.execution(id).await?;
                (r["status"] == "succeeded"
                    || r["status"] == "failed"
                    || r["status"] == "cancelled")
                    .then_some(r)
            }
        })
        .await;
        assert_eq!(
            rec["status"],
            "succeeded",
            "execution {id}: {rec}\n{}",
            server.log()
        );
        finished.insert(id.clone(), rec);
    }
    let recovery = restarted.elapsed();
    // Overdue timers fire at once: everything completes well within one more wait period
    // (2 s) after the restart, although every execution had a 2 s wait to do.
    assert!(
        recovery < Duration::from_secs(20),
        "recovery took {recovery:?}"
    );
    let _ = killed_at;

    // Every execution's output names its own idempotency key: `{execution_id}/call`.
    for (id, rec) in &finished {
        assert_eq!(rec["output"]["key"], json!(format!("{id}/call")), "{rec}");
    }
    // The server saw exactly one key per execution, each at least twice (the 503 + retry),
    // and never a key of an execution that does not exist.
    let keys = http.keys.lock().unwrap().clone();
    let mut per_key: HashMap<&str, usize> = HashMap::new();
    for k in &keys {
        *per_key.entry(k.as_str()).or_default() += 1;
    }
    assert_eq!(per_key.len(), N, "distinct idempotency keys");
    for id in &ids {
        let n = per_key
            .get(format!("{id}/call").as_str())
            .copied()
            .unwrap_or(0);
        assert!(n >= 2, "key of {id} seen {n} times");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_recovery_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("weft.db").display());
    crash_and_recover(&url, dir.path()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_recovery_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let db = PgDatabase::create().await;
    crash_and_recover(&db.url, dir.path()).await;
}

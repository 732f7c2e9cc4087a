//! The group-commit writer: many executions' appends, one transaction; many new executions,
//! another.
//!
//! Every execution actor must make its events durable before acting on them (write-ahead), so
//! the commit rate bounds the whole engine. One commit per event would cost a round trip and a
//! WAL flush each; instead the actors hand their appends to one [`EventWriter`], whose task
//! takes the first waiting append, gathers whatever else arrives within
//! [`WriterOptions::max_delay`] (up to [`WriterOptions::max_batch`]), writes them all with a
//! single [`Store::append`] and answers every caller with its own outcome.
//!
//! Starting executions has the same shape: a burst of starts would otherwise queue for one
//! commit each (SQLite has one write connection, PostgreSQL flushes its WAL per commit). So
//! [`EventWriter::create`] feeds a second task running the same loop over
//! [`Store::create_executions`]. Creations and appends are separate batches: an execution's
//! first append only ever follows its creation's answer.
//!
//! Each task has one batch in flight at a time, so two appends of the same execution are
//! committed in the order they were sent. The tasks stop when the last [`EventWriter`] handle
//! is dropped, after answering what they have already taken.
//!
//! The writer times every transaction and records its size in its own metric handles, one
//! resolved set per queue, so a commit costs two histogram observations and no label lookup;
//! [`EventWriter::register_metrics`] exposes them.

use crate::{Append, ExecutionRecord, NewExecution, Result, Store, StoreError};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// How the writer forms batches (the same for appends and for new executions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterOptions {
    /// The most requests written in one transaction.
    pub max_batch: usize,
    /// How long the writer waits for more requests after the first before it commits.
    /// `Duration::ZERO` commits whatever is already queued, without waiting.
    pub max_delay: Duration,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            max_batch: 512,
            max_delay: Duration::from_millis(2),
        }
    }
}

/// Counters of one of the writer's queues since it started: [`EventWriter::stats`] for
/// appends, [`EventWriter::create_stats`] for new executions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Calls to the store (transactions attempted).
    pub batches: u64,
    /// Requests handed to the store, whatever their outcome.
    pub requests: u64,
    /// Requests the store refused or could not write.
    pub failed: u64,
    /// The size of the most recent batch.
    pub last_batch_size: u64,
}

/// A handle to the group-commit writer's tasks. Cheap to clone; the tasks run while any
/// handle exists.
#[derive(Debug, Clone)]
pub struct EventWriter {
    appends: Queue<Append, ()>,
    creates: Queue<NewExecution, (ExecutionRecord, bool)>,
    metrics: WriterMetrics,
}

impl EventWriter {
    /// Starts the writer's tasks on the current tokio runtime.
    pub fn spawn(store: Arc<dyn Store>, options: WriterOptions) -> EventWriter {
        let metrics = WriterMetrics::new();
        let appends = Queue::spawn(options, metrics.queue("append"), {
            let store = store.clone();
            move |batch| {
                let store = store.clone();
                async move { store.append(batch).await }
            }
        });
        let creates = Queue::spawn(options, metrics.queue("create"), move |batch| {
            let store = store.clone();
            async move { store.create_executions(batch).await }
        });
        EventWriter {
            appends,
            creates,
            metrics,
        }
    }

    /// Makes `append` durable, together with whatever else is waiting. Resolves once the batch
    /// has committed: `Ok` means its events are in the store.
    pub async fn append(&self, append: Append) -> Result<()> {
        self.appends.submit(append).await
    }

    /// Creates the execution, together with whatever other creations are waiting. Resolves
    /// once the batch has committed, with what [`Store::create_execution`] would answer.
    pub async fn create(&self, new: NewExecution) -> Result<(ExecutionRecord, bool)> {
        self.creates.submit(new).await
    }

    /// The appends' counters.
    pub fn stats(&self) -> WriterStats {
        self.appends.stats()
    }

    /// The creations' counters.
    pub fn create_stats(&self) -> WriterStats {
        self.creates.stats()
    }

    /// Adds the writer's metrics to `registry` (once per registry): transaction latency,
    /// batch size and failed requests, each labelled `op` = `append` | `create`.
    pub fn register_metrics(&self, registry: &mut Registry) {
        let m = &self.metrics;
        registry.register(
            "weft_store_write_duration_seconds",
            "Time of one group-commit transaction of the event writer, in seconds",
            m.duration.clone(),
        );
        registry.register(
            "weft_store_write_batch_size",
            "Requests written in one group-commit transaction",
            m.batch_size.clone(),
        );
        registry.register(
            "weft_store_write_failures",
            "Requests of a group-commit transaction that the store refused or could not write",
            m.failures.clone(),
        );
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OpLabels {
    op: &'static str,
}

/// The writer's metric families; each queue holds its own series of them.
#[derive(Debug, Clone)]
struct WriterMetrics {
    duration: Family<OpLabels, Histogram>,
    batch_size: Family<OpLabels, Histogram>,
    failures: Family<OpLabels, Counter>,
}

impl WriterMetrics {
    fn new() -> Self {
        WriterMetrics {
            // 100 µs to ~6.5 s: an in-memory SQLite commit up to a stalled database.
            duration: Family::new_with_constructor(|| {
                Histogram::new(exponential_buckets(0.0001, 2.0, 17))
            }),
            // 1 to 1024: a lone request up to twice the default max_batch.
            batch_size: Family::new_with_constructor(|| {
                Histogram::new(exponential_buckets(1.0, 2.0, 11))
            }),
            failures: Family::default(),
        }
    }

    /// The series of one queue, created now so they are exported (at zero) before its first
    /// commit.
    fn queue(&self, op: &'static str) -> QueueMetrics {
        let labels = OpLabels { op };
        QueueMetrics {
            duration: self.duration.get_or_create_owned(&labels),
            batch_size: self.batch_size.get_or_create_owned(&labels),
            failures: self.failures.get_or_create_owned(&labels),
        }
    }
}

/// One queue's series, resolved once: recording needs no label lookup.
struct QueueMetrics {
    duration: Histogram,
    batch_size: Histogram,
    failures: Counter,
}

fn stopped() -> StoreError {
    StoreError::Unavailable("writer stopped".into())
}

// ---- one queue: the batching loop, whatever it writes --------------------------------------

/// One request waiting for its batch, with the way back to its caller.
type Request<T, O> = (T, oneshot::Sender<Result<O>>);

/// A handle to one group-commit task: requests `T`, each answered with its own `Result<O>`.
#[derive(Debug)]
struct Queue<T, O> {
    requests: mpsc::Sender<Request<T, O>>,
    counters: Arc<Counters>,
}

impl<T, O> Clone for Queue<T, O> {
    fn clone(&self) -> Self {
        Queue {
            requests: self.requests.clone(),
            counters: self.counters.clone(),
        }
    }
}

#[derive(Debug, Default)]
struct Counters {
    batches: AtomicU64,
    requests: AtomicU64,
    failed: AtomicU64,
    last_batch_size: AtomicU64,
}

impl<T: Send + 'static, O: Send + 'static> Queue<T, O> {
    /// Starts the task. `write` writes one batch and answers one outcome per request, in
    /// order.
    fn spawn<W, F>(options: WriterOptions, metrics: QueueMetrics, write: W) -> Self
    where
        W: FnMut(Vec<T>) -> F + Send + 'static,
        F: Future<Output = Vec<Result<O>>> + Send + 'static,
    {
        let options = WriterOptions {
            max_batch: options.max_batch.max(1),
            ..options
        };
        // Room for a few batches: enough that callers rarely wait to enqueue while a batch
        // commits, small enough that a stalled database pushes back on them.
        let (requests, inbox) = mpsc::channel(options.max_batch.saturating_mul(4));
        let counters = Arc::new(Counters::default());
        tokio::spawn(run(write, options, inbox, counters.clone(), metrics));
        Queue { requests, counters }
    }

    async fn submit(&self, request: T) -> Result<O> {
        let (reply, outcome) = oneshot::channel();
        self.requests
            .send((request, reply))
            .await
            .map_err(|_| stopped())?;
        // A dropped reply means the task ended (it panicked) before answering.
        outcome.await.map_err(|_| stopped())?
    }

    fn stats(&self) -> WriterStats {
        let c = &self.counters;
        WriterStats {
            batches: c.batches.load(Ordering::Relaxed),
            requests: c.requests.load(Ordering::Relaxed),
            failed: c.failed.load(Ordering::Relaxed),
            last_batch_size: c.last_batch_size.load(Ordering::Relaxed),
        }
    }
}

/// The task: gather a batch, write it, answer, repeat until every handle is gone.
async fn run<T, O, W, F>(
    mut write: W,
    options: WriterOptions,
    mut inbox: mpsc::Receiver<Request<T, O>>,
    counters: Arc<Counters>,
    metrics: QueueMetrics,
) where
    W: FnMut(Vec<T>) -> F,
    F: Future<Output = Vec<Result<O>>>,
{
    let mut batch: Vec<T> = Vec::with_capacity(options.max_batch);
    let mut replies: Vec<oneshot::Sender<Result<O>>> = Vec::with_capacity(options.max_batch);
    while let Some(first) = inbox.recv().await {
        let deadline = Instant::now() + options.max_delay;
        let mut open = true;
        push(first, &mut batch, &mut replies);
        while batch.len() < options.max_batch {
            // Take what is already queued without touching the timer.
            match inbox.try_recv() {
                Ok(request) => {
                    push(request, &mut batch, &mut replies);
                    continue;
                }
                Err(mpsc::error::TryRecvError::Disconnected) => {
                    open = false;
                    break;
                }
                Err(mpsc::error::TryRecvError::Empty) => {}
            }
            if options.max_delay.is_zero() {
                break;
            }
            tokio::select! {
                request = inbox.recv() => match request {
                    Some(request) => push(request, &mut batch, &mut replies),
                    None => {
                        open = false;
                        break;
                    }
                },
                () = tokio::time::sleep_until(deadline) => break,
            }
        }

        let size = batch.len();
        let full = std::mem::replace(&mut batch, Vec::with_capacity(options.max_batch));
        // Wall-clock time, not tokio's: the transaction's real latency even under paused time.
        let started = std::time::Instant::now();
        let mut outcomes = write(full).await;
        let elapsed = started.elapsed();
        if outcomes.len() != size {
            // A store bug; never leave a caller without an answer.
            let error = StoreError::Internal(format!(
                "the store answered {} of {size} requests",
                outcomes.len()
            ));
            outcomes.resize_with(size, || Err(error.clone()));
        }
        let failed = outcomes.iter().filter(|o| o.is_err()).count() as u64;
        // Count before answering, so a caller that reads the stats after its request sees it.
        counters.batches.fetch_add(1, Ordering::Relaxed);
        counters.requests.fetch_add(size as u64, Ordering::Relaxed);
        counters.failed.fetch_add(failed, Ordering::Relaxed);
        counters
            .last_batch_size
            .store(size as u64, Ordering::Relaxed);
        metrics.duration.observe(elapsed.as_secs_f64());
        metrics.batch_size.observe(size as f64);
        metrics.failures.inc_by(failed);
        for (reply, outcome) in replies.drain(..).zip(outcomes) {
            // The caller may have given up waiting; its request is written all the same.
            let _ = reply.send(outcome);
        }
        tracing::trace!(size, failed, "group commit");
        if !open {
            break;
        }
    }
}

fn push<T, O>(
    (request, reply): Request<T, O>,
    batch: &mut Vec<T>,
    replies: &mut Vec<oneshot::Sender<Result<O>>>,
) {
    batch.push(request);
    replies.push(reply);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        ExecutionFilter, ExecutionRecord, ExecutionSummary, NewExecution, Snapshot, WorkflowRecord,
        WorkflowVersion,
    };
    use async_trait::async_trait;
    use serde_json::Value;
    use std::sync::Mutex;
    use weft_core::{EventEnvelope, ExecutionId, ExecutionStatus, Millis, WorkflowId};

    /// Records the size of every batch; refuses appends to `refused` and creations of it (its
    /// id is taken); panics when asked to.
    #[derive(Default)]
    struct FakeStore {
        batches: Mutex<Vec<usize>>,
        create_batches: Mutex<Vec<usize>>,
        refused: Option<ExecutionId>,
        panic: bool,
    }

    #[async_trait]
    impl Store for FakeStore {
        fn backend(&self) -> &'static str {
            "fake"
        }
        async fn append(&self, appends: Vec<Append>) -> Vec<Result<()>> {
            assert!(!self.panic, "the store broke");
            self.batches.lock().unwrap().push(appends.len());
            appends
                .iter()
                .map(|a| match self.refused {
                    Some(id) if id == a.execution_id => Err(StoreError::Conflict("stale".into())),
                    _ => Ok(()),
                })
                .collect()
        }
        async fn ping(&self) -> Result<()> {
            unreachable!()
        }
        async fn create_workflow(
            &self,
            _: WorkflowId,
            _: &str,
            _: &Value,
        ) -> Result<WorkflowVersion> {
            unreachable!()
        }
        async fn save_workflow_version(
            &self,
            _: WorkflowId,
            _: &str,
            _: &Value,
            _: Option<u32>,
        ) -> Result<WorkflowVersion> {
            unreachable!()
        }
        async fn get_workflow(&self, _: WorkflowId) -> Result<WorkflowRecord> {
            unreachable!()
        }
        async fn list_workflows(
            &self,
            _: &crate::WorkflowFilter,
        ) -> Result<Vec<crate::WorkflowListing>> {
            unreachable!()
        }
        async fn get_workflow_version(
            &self,
            _: WorkflowId,
            _: Option<u32>,
        ) -> Result<WorkflowVersion> {
            unreachable!()
        }
        async fn list_workflow_versions(&self, _: WorkflowId) -> Result<Vec<WorkflowVersion>> {
            unreachable!()
        }
        async fn delete_workflow(&self, _: WorkflowId) -> Result<()> {
            unreachable!()
        }
        async fn create_executions(
            &self,
            batch: Vec<NewExecution>,
        ) -> Vec<Result<(ExecutionRecord, bool)>> {
            assert!(!self.panic, "the store broke");
            self.create_batches.lock().unwrap().push(batch.len());
            batch
                .into_iter()
                .map(|new| match self.refused {
                    Some(id) if id == new.id => Err(StoreError::AlreadyExists {
                        what: "execution",
                        id: id.to_string(),
                    }),
                    _ => Ok((ExecutionRecord::created(new), true)),
                })
                .collect()
        }
        async fn get_execution(&self, _: ExecutionId) -> Result<ExecutionRecord> {
            unreachable!()
        }
        async fn list_executions(&self, _: &ExecutionFilter) -> Result<Vec<ExecutionRecord>> {
            unreachable!()
        }
        async fn count_executions(
            &self,
            _: Option<WorkflowId>,
        ) -> Result<Vec<(ExecutionStatus, u64)>> {
            unreachable!()
        }
        async fn execution_stats(&self, _: crate::StatsRange) -> Result<crate::ExecutionStats> {
            unreachable!()
        }
        async fn events(&self, _: ExecutionId, _: u64, _: u32) -> Result<Vec<EventEnvelope>> {
            unreachable!()
        }
        async fn latest_snapshot(&self, _: ExecutionId) -> Result<Option<Snapshot>> {
            unreachable!()
        }
        async fn next_epoch(&self) -> Result<u64> {
            unreachable!()
        }
        async fn claim_execution(&self, _: ExecutionId, _: u64) -> Result<ExecutionRecord> {
            unreachable!()
        }
        async fn reopen_execution(&self, _: ExecutionId, _: u64) -> Result<ExecutionRecord> {
            unreachable!()
        }
        async fn unfinished_executions(
            &self,
            _: Option<ExecutionId>,
            _: u32,
        ) -> Result<Vec<ExecutionSummary>> {
            unreachable!()
        }
        async fn due_executions(&self, _: Millis, _: u32) -> Result<Vec<ExecutionSummary>> {
            unreachable!()
        }
    }

    fn append(execution_id: ExecutionId) -> Append {
        Append {
            execution_id,
            expected_version: 0,
            owner_epoch: 0,
            events: Vec::new(),
            status: ExecutionStatus::Running,
            output: None,
            error: None,
            wake_at: None,
            snapshot: None,
            now: 0,
        }
    }

    async fn append_all(writer: &EventWriter, n: usize) -> Vec<Result<()>> {
        let tasks: Vec<_> = (0..n)
            .map(|_| {
                let writer = writer.clone();
                tokio::spawn(async move { writer.append(append(ExecutionId::new())).await })
            })
            .collect();
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.expect("append task"));
        }
        results
    }

    #[tokio::test(start_paused = true)]
    async fn batches_are_capped_at_max_batch() {
        let store = Arc::new(FakeStore::default());
        let writer = EventWriter::spawn(
            store.clone(),
            WriterOptions {
                max_batch: 4,
                max_delay: Duration::from_secs(1),
            },
        );
        let results = append_all(&writer, 10).await;
        assert!(results.iter().all(Result::is_ok));
        let batches = store.batches.lock().unwrap().clone();
        assert_eq!(batches.iter().sum::<usize>(), 10);
        assert!(batches.iter().all(|&b| b <= 4), "{batches:?}");
        assert_eq!(batches.len(), 3, "{batches:?}");
        let stats = writer.stats();
        assert_eq!((stats.batches, stats.requests, stats.failed), (3, 10, 0));
        assert_eq!(writer.create_stats(), WriterStats::default());
    }

    #[tokio::test(start_paused = true)]
    async fn a_lone_append_waits_at_most_max_delay() {
        let store = Arc::new(FakeStore::default());
        let max_delay = Duration::from_millis(50);
        let writer = EventWriter::spawn(
            store,
            WriterOptions {
                max_batch: 64,
                max_delay,
            },
        );
        let started = Instant::now();
        writer.append(append(ExecutionId::new())).await.unwrap();
        assert_eq!(started.elapsed(), max_delay);

        let eager = EventWriter::spawn(
            Arc::new(FakeStore::default()),
            WriterOptions {
                max_batch: 64,
                max_delay: Duration::ZERO,
            },
        );
        let started = Instant::now();
        eager.append(append(ExecutionId::new())).await.unwrap();
        assert_eq!(started.elapsed(), Duration::ZERO);
    }

    #[tokio::test]
    async fn each_caller_gets_its_own_outcome() {
        let refused = ExecutionId::new();
        let store = Arc::new(FakeStore {
            refused: Some(refused),
            ..FakeStore::default()
        });
        let writer = EventWriter::spawn(
            store,
            WriterOptions {
                max_batch: 8,
                max_delay: Duration::from_millis(20),
            },
        );
        let (ok, conflict) = tokio::join!(
            writer.append(append(ExecutionId::new())),
            writer.append(append(refused))
        );
        ok.unwrap();
        assert!(conflict.unwrap_err().is_conflict());
        assert_eq!(writer.stats().failed, 1);
    }

    #[tokio::test]
    async fn a_dead_writer_is_unavailable() {
        let store = Arc::new(FakeStore {
            panic: true,
            ..FakeStore::default()
        });
        let writer = EventWriter::spawn(store, WriterOptions::default());
        for _ in 0..2 {
            let err = writer.append(append(ExecutionId::new())).await.unwrap_err();
            assert!(
                matches!(&err, StoreError::Unavailable(m) if m == "writer stopped"),
                "{err:?}"
            );
            let err = writer.create(new_execution()).await.unwrap_err();
            assert!(
                matches!(&err, StoreError::Unavailable(m) if m == "writer stopped"),
                "{err:?}"
            );
        }
    }

    #[tokio::test]
    async fn every_commit_is_timed_and_sized_per_queue() {
        let refused = ExecutionId::new();
        let store = Arc::new(FakeStore {
            refused: Some(refused),
            ..FakeStore::default()
        });
        let writer = EventWriter::spawn(
            store,
            WriterOptions {
                max_batch: 8,
                max_delay: Duration::from_millis(20),
            },
        );
        let mut registry = Registry::default();
        writer.register_metrics(&mut registry);
        let encode = |registry: &Registry| {
            let mut text = String::new();
            prometheus_client::encoding::prometheus_text::encode(&mut text, registry).unwrap();
            text
        };
        // Both queues' series exist before their first commit.
        let before = encode(&registry);
        for series in [
            r#"weft_store_write_batch_size_count{op="append"} 0"#,
            r#"weft_store_write_batch_size_count{op="create"} 0"#,
            r#"weft_store_write_failures_total{op="create"} 0"#,
        ] {
            assert!(before.contains(series), "no `{series}` in:\n{before}");
        }

        let (ok, conflict) = tokio::join!(
            writer.append(append(ExecutionId::new())),
            writer.append(append(refused))
        );
        ok.unwrap();
        conflict.unwrap_err();
        writer.create(new_execution()).await.unwrap();

        let after = encode(&registry);
        let batches = writer.stats().batches;
        for series in [
            format!(r#"weft_store_write_batch_size_count{{op="append"}} {batches}"#),
            r#"weft_store_write_batch_size_sum{op="append"} 2.0"#.to_string(),
            r#"weft_store_write_failures_total{op="append"} 1"#.to_string(),
            format!(r#"weft_store_write_duration_seconds_count{{op="append"}} {batches}"#),
            r#"weft_store_write_batch_size_count{op="create"} 1"#.to_string(),
            r#"weft_store_write_duration_seconds_count{op="create"} 1"#.to_string(),
            r#"weft_store_write_failures_total{op="create"} 0"#.to_string(),
        ] {
            assert!(after.contains(&series), "no `{series}` in:\n{after}");
        }
    }

    fn new_execution() -> NewExecution {
        NewExecution {
            id: ExecutionId::new(),
            workflow_id: WorkflowId::new(),
            workflow_version: 1,
            input: Value::Null,
            priority: 5,
            parent: None,
            idempotency_key: None,
            owner_epoch: 0,
            created_at: 0,
            trigger: None,
            correlation_id: None,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn creations_are_batched_apart_from_appends_and_answered_each() {
        let taken = ExecutionId::new();
        let store = Arc::new(FakeStore {
            refused: Some(taken),
            ..FakeStore::default()
        });
        let writer = EventWriter::spawn(
            store.clone(),
            WriterOptions {
                max_batch: 4,
                max_delay: Duration::from_secs(1),
            },
        );
        let tasks: Vec<_> = (0..10)
            .map(|i| {
                let writer = writer.clone();
                let new = NewExecution {
                    id: if i == 6 { taken } else { ExecutionId::new() },
                    ..new_execution()
                };
                tokio::spawn(async move { (new.id, writer.create(new).await) })
            })
            .collect();
        for task in tasks {
            let (id, outcome) = task.await.unwrap();
            if id == taken {
                assert!(
                    matches!(outcome, Err(StoreError::AlreadyExists { .. })),
                    "{outcome:?}"
                );
            } else {
                let (record, created) = outcome.unwrap();
                assert_eq!((record.id, created), (id, true));
            }
        }
        let batches = store.create_batches.lock().unwrap().clone();
        assert_eq!(batches.iter().sum::<usize>(), 10);
        assert!(batches.iter().all(|&b| b <= 4), "{batches:?}");
        assert_eq!(batches.len(), 3, "{batches:?}");
        assert!(store.batches.lock().unwrap().is_empty(), "no appends");
        let stats = writer.create_stats();
        assert_eq!((stats.batches, stats.requests, stats.failed), (3, 10, 1));
        assert_eq!(writer.stats(), WriterStats::default());
    }
}

//! The engine's metrics: what operators watch to see whether executions flow.
//!
//! The engine owns its metric handles (prometheus-client metrics are shared atomics behind an
//! `Arc`), created in `Engine::start`; whoever serves `/metrics` adds them to its registry with
//! [`Engine::register_metrics`] and calls [`Engine::refresh_metrics`] before each encoding to
//! sample the gauges that are read, not counted (live actors, the admission queue, the store's
//! connection pool).
//!
//! Recording sits on the hot path, so it formats nothing: workflow ids are label values that
//! print themselves only at scrape time, statuses and error kinds are `&'static str`, and the
//! only allocation is one copy of a node's type name per node attempt.
//!
//! What is counted where:
//! - executions: from the events the execution actors publish after making them durable
//!   (`ExecutionStarted`, `ExecutionFinished`), so a count means the transition is stored;
//! - nodes: around each attempt a node actor runs, timed in the actor itself. An attempt that
//!   panics counts as a `transient` failure (what the execution makes of it), one killed
//!   because its execution stopped waiting for it (cancel, timeout, loop ended) as
//!   `cancelled`. Nodes that only wait (`flow.wait`, `flow.signal`, `flow.call`, loops) run no
//!   attempt in a node actor and are not counted here.

use crate::engine::Engine;
use futures::FutureExt;
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::fmt::Write;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};
use weft_core::{
    ErrorKind, Event, EventEnvelope, ExecutionState, ExecutionStatus, NodeError, WorkflowId,
};
use weft_nodes::NodeOutput;

/// How long a scrape waits for the execution manager to report its queue.
const ADMISSION_STATS_TIMEOUT: Duration = Duration::from_secs(1);

/// Execution durations: 5 ms to an hour.
const EXECUTION_BUCKETS: [f64; 16] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0,
];

/// Node attempt durations: 0.5 ms (a `data.set`) to a minute (a slow HTTP call).
const NODE_BUCKETS: [f64; 16] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0,
];

/// A workflow id as a label value: copied on the hot path, printed only when scraped.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq)]
struct WorkflowIdValue(WorkflowId);

impl EncodeLabelValue for WorkflowIdValue {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> std::fmt::Result {
        write!(encoder, "{}", self.0)
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WorkflowLabels {
    workflow_id: WorkflowIdValue,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FinishedLabels {
    workflow_id: WorkflowIdValue,
    status: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct NodeLabels {
    node_type: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct NodeFailureLabels {
    node_type: String,
    error_kind: &'static str,
}

/// The engine's metric handles, shared by its actors.
#[derive(Debug)]
pub(crate) struct EngineMetrics {
    executions_started: Family<WorkflowLabels, Counter>,
    executions_finished: Family<FinishedLabels, Counter>,
    execution_duration: Family<WorkflowLabels, Histogram>,
    executions_in_flight: Gauge,
    executions_queued: Gauge,
    node_actors: Gauge,
    node_executions: Family<NodeLabels, Counter>,
    node_failures: Family<NodeFailureLabels, Counter>,
    node_duration: Family<NodeLabels, Histogram>,
    pool_connections: Gauge,
    pool_idle_connections: Gauge,
}

impl EngineMetrics {
    pub(crate) fn new() -> Self {
        EngineMetrics {
            executions_started: Family::default(),
            executions_finished: Family::default(),
            execution_duration: Family::new_with_constructor(|| Histogram::new(EXECUTION_BUCKETS)),
            executions_in_flight: Gauge::default(),
            executions_queued: Gauge::default(),
            node_actors: Gauge::default(),
            node_executions: Family::default(),
            node_failures: Family::default(),
            node_duration: Family::new_with_constructor(|| Histogram::new(NODE_BUCKETS)),
            pool_connections: Gauge::default(),
            pool_idle_connections: Gauge::default(),
        }
    }

    /// Counts the execution transitions among `envs`, which have just been made durable.
    /// `exec` is the execution's state with `envs` applied (`None` when it failed to load).
    pub(crate) fn events_durable(
        &self,
        workflow_id: WorkflowId,
        exec: Option<&ExecutionState>,
        envs: &[EventEnvelope],
    ) {
        let workflow_id = WorkflowIdValue(workflow_id);
        for env in envs {
            match &env.event {
                Event::ExecutionStarted { .. } => {
                    self.executions_started
                        .get_or_create(&WorkflowLabels { workflow_id })
                        .inc();
                }
                Event::ExecutionFinished { status, .. } => {
                    self.execution_finished(workflow_id, *status, env, exec);
                }
                _ => {}
            }
        }
    }

    fn execution_finished(
        &self,
        workflow_id: WorkflowIdValue,
        status: ExecutionStatus,
        env: &EventEnvelope,
        exec: Option<&ExecutionState>,
    ) {
        self.executions_finished
            .get_or_create(&FinishedLabels {
                workflow_id,
                status: status.as_str(),
            })
            .inc();
        if let Some(started_at) = exec.and_then(|e| e.data().started_at) {
            let millis = env.at.saturating_sub(started_at).max(0);
            self.execution_duration
                .get_or_create(&WorkflowLabels { workflow_id })
                .observe(millis as f64 / 1000.0);
        }
    }

    /// Runs one node attempt, recording its duration and outcome — also when it panics (the
    /// panic goes on to the actor, as before) or is dropped unfinished (killed).
    pub(crate) async fn observe_node<F>(&self, node_type: &str, attempt: F) -> F::Output
    where
        F: Future<Output = Result<NodeOutput, NodeError>>,
    {
        let mut timer = NodeTimer {
            metrics: self,
            labels: NodeLabels {
                node_type: node_type.to_string(),
            },
            started: Instant::now(),
            finished: false,
        };
        match AssertUnwindSafe(attempt).catch_unwind().await {
            Ok(result) => {
                timer.finish(result.as_ref().err().map(|e| e.kind));
                result
            }
            Err(panic) => {
                // The execution turns a panicked attempt into a transient failure.
                timer.finish(Some(ErrorKind::Transient));
                std::panic::resume_unwind(panic)
            }
        }
    }

    fn node_finished(&self, labels: &NodeLabels, elapsed: Duration, failure: Option<ErrorKind>) {
        self.node_executions.get_or_create(labels).inc();
        self.node_duration
            .get_or_create(labels)
            .observe(elapsed.as_secs_f64());
        if let Some(kind) = failure {
            self.node_failures
                .get_or_create(&NodeFailureLabels {
                    node_type: labels.node_type.clone(),
                    error_kind: kind.as_str(),
                })
                .inc();
        }
    }
}

/// Records a node attempt once: when it ends, or — dropped before that — as cancelled.
struct NodeTimer<'m> {
    metrics: &'m EngineMetrics,
    labels: NodeLabels,
    started: Instant,
    finished: bool,
}

impl NodeTimer<'_> {
    fn finish(&mut self, failure: Option<ErrorKind>) {
        if !self.finished {
            self.finished = true;
            self.metrics
                .node_finished(&self.labels, self.started.elapsed(), failure);
        }
    }
}

impl Drop for NodeTimer<'_> {
    fn drop(&mut self) {
        self.finish(Some(ErrorKind::Cancelled));
    }
}

impl Engine {
    /// Adds the engine's metrics to `registry`: executions, nodes, live actors, the admission
    /// queue, and the store's (group-commit writer, connection pool). Call it once per
    /// registry; call [`Engine::refresh_metrics`] before each encoding.
    pub fn register_metrics(&self, registry: &mut Registry) {
        let shared = self.shared();
        let m = &shared.metrics;
        registry.register(
            "weft_executions_started",
            "Executions started (their ExecutionStarted event is durable), by workflow",
            m.executions_started.clone(),
        );
        registry.register(
            "weft_executions_finished",
            "Executions finished, by workflow and final status \
             (succeeded, failed, cancelled, timed_out)",
            m.executions_finished.clone(),
        );
        registry.register(
            "weft_execution_duration_seconds",
            "Time from an execution's start (admitted and running) to its finish, by workflow",
            m.execution_duration.clone(),
        );
        registry.register(
            "weft_executions_in_flight",
            "Executions with a live execution actor (parked executions hold none)",
            m.executions_in_flight.clone(),
        );
        registry.register(
            "weft_executions_queued",
            "Executions waiting for admission (max_in_flight or their workflow's max_concurrency)",
            m.executions_queued.clone(),
        );
        registry.register(
            "weft_node_actors_in_flight",
            "Node attempts running in a node actor right now",
            m.node_actors.clone(),
        );
        registry.register(
            "weft_node_executions",
            "Node attempts run by node actors, by node type",
            m.node_executions.clone(),
        );
        registry.register(
            "weft_node_failures",
            "Node attempts that failed, by node type and error kind \
             (transient, timeout, permanent, config, cancelled)",
            m.node_failures.clone(),
        );
        registry.register(
            "weft_node_duration_seconds",
            "Time a node actor spent on one attempt, by node type",
            m.node_duration.clone(),
        );
        registry.register(
            "weft_store_pool_connections",
            "Open database connections of the store, in use or idle",
            m.pool_connections.clone(),
        );
        registry.register(
            "weft_store_pool_idle_connections",
            "Open database connections of the store waiting to be used",
            m.pool_idle_connections.clone(),
        );
        shared.writer.register_metrics(registry);
    }

    /// Samples the gauges that are read rather than counted: live actors, the admission
    /// queue and the store's connection pool. If the execution manager does not answer
    /// within a second the queue gauge keeps its previous value.
    pub async fn refresh_metrics(&self) {
        let shared = self.shared();
        let m = &shared.metrics;
        let live = self.live_actors();
        m.executions_in_flight.set(gauge_value(live.executions));
        m.node_actors.set(gauge_value(live.nodes));
        let pool = shared.store.pool_stats();
        m.pool_connections.set(i64::from(pool.size));
        m.pool_idle_connections.set(i64::from(pool.idle));
        match tokio::time::timeout(ADMISSION_STATS_TIMEOUT, self.admission_stats()).await {
            Ok(Ok((_, queued))) => {
                m.executions_queued.set(gauge_value(queued));
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "metrics: admission queue not read"),
            Err(_) => tracing::warn!("metrics: the execution manager did not report in time"),
        }
    }
}

fn gauge_value(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::encoding::text::encode;
    use weft_nodes::NodeOutput;

    fn text(m: &EngineMetrics) -> String {
        let mut registry = Registry::default();
        registry.register("nodes", "", m.node_executions.clone());
        registry.register("failures", "", m.node_failures.clone());
        let mut out = String::new();
        encode(&mut out, &registry).unwrap();
        out
    }

    #[tokio::test]
    async fn node_attempts_are_counted_however_they_end() {
        let m = EngineMetrics::new();
        let ok = m
            .observe_node("data.set", async {
                Ok(NodeOutput::main(serde_json::json!(1)))
            })
            .await;
        assert!(ok.is_ok());
        let failed = m
            .observe_node("http.request", async {
                Err(NodeError::new(ErrorKind::Timeout, "slow"))
            })
            .await;
        assert!(failed.is_err());

        // Killed: the attempt's future is dropped before it finishes.
        let mut killed = Box::pin(m.observe_node("http.request", std::future::pending()));
        assert!(futures::poll!(killed.as_mut()).is_pending());
        drop(killed);

        // A panic is counted, then goes on to the caller (the actor).
        async fn explode() -> Result<NodeOutput, NodeError> {
            panic!("a node bug")
        }
        let panicked = AssertUnwindSafe(m.observe_node("flow.fail", explode()))
            .catch_unwind()
            .await;
        assert!(panicked.is_err());

        let out = text(&m);
        for line in [
            r#"nodes_total{node_type="data.set"} 1"#,
            r#"nodes_total{node_type="http.request"} 2"#,
            r#"nodes_total{node_type="flow.fail"} 1"#,
            r#"failures_total{node_type="http.request",error_kind="timeout"} 1"#,
            r#"failures_total{node_type="http.request",error_kind="cancelled"} 1"#,
            r#"failures_total{node_type="flow.fail",error_kind="transient"} 1"#,
        ] {
            assert!(out.contains(line), "missing `{line}` in:\n{out}");
        }
        assert!(!out.contains(r#"node_type="data.set",error_kind"#), "{out}");
    }
}

//! The `Engine` handle: how the CLI and the gateway use the engine. Everything is addressed
//! by execution id; callers never hold actor references.

use crate::bus::{BusEvent, EventBus, ExecutionWatch};
use crate::config::EngineConfig;
use crate::error::EngineError;
use crate::execution::ExecutionMsg;
use crate::manager::{ExecutionManager, ManagerMsg};
use crate::now_ms;
use crate::workflows::WorkflowCache;
use ractor::{Actor, ActorRef};
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{broadcast, watch};
use tracing::info;
use weft_core::event::ParentLink;
use weft_core::{CompiledWorkflow, Event, ExecutionId, ExecutionStatus, WorkflowId};
use weft_nodes::Registry;
use weft_persistence::{
    EventWriter, ExecutionFilter, ExecutionRecord, NewExecution, Store, StoreError, WriterOptions,
};

/// Live actor counts, for tests and metrics.
#[derive(Default)]
pub(crate) struct Counts {
    pub executions: AtomicUsize,
    pub nodes: AtomicUsize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActorCounts {
    pub executions: usize,
    pub nodes: usize,
}

/// What the engine's actors share.
pub(crate) struct Shared {
    pub store: Arc<dyn Store>,
    pub writer: EventWriter,
    pub registry: Arc<Registry>,
    pub workflows: WorkflowCache,
    pub bus: EventBus,
    pub config: EngineConfig,
    /// This instance's owner epoch: every write carries it.
    pub epoch: u64,
    pub counts: Counts,
    pub metrics: Arc<crate::metrics::EngineMetrics>,
}

/// A request to start an execution.
#[derive(Debug, Clone, Default)]
pub struct StartRequest {
    pub workflow_id: WorkflowId,
    /// `None`: the latest version.
    pub version: Option<u32>,
    pub input: Value,
    /// `None`: the workflow's `settings.priority`.
    pub priority: Option<u8>,
    pub idempotency_key: Option<String>,
    /// `None`: a new id.
    pub id: Option<ExecutionId>,
    pub parent: Option<ParentLink>,
    /// The trigger node that starts it (e.g. the `trigger.webhook` a request arrived at):
    /// only that trigger runs, the others are skipped. `None`: every trigger starts. Must
    /// name a trigger node of the workflow version, or the start is refused.
    ///
    /// Stored with the execution's row (as is `correlation_id`) and recorded in
    /// `ExecutionStarted` when the execution is admitted, so an execution still queued when
    /// its instance stops starts the same trigger when it is resumed.
    pub trigger: Option<String>,
    /// The caller's id for the request (at most 255 printable characters): recorded in
    /// `ExecutionStarted`, inherited by child executions, and a field of the execution's
    /// tracing span, so every log line of its nodes carries it.
    pub correlation_id: Option<String>,
}

#[derive(Clone)]
pub struct Engine {
    shared: Arc<Shared>,
    manager: ActorRef<ManagerMsg>,
    shutdown: watch::Sender<bool>,
}

impl Engine {
    /// Starts the engine on `store` and resumes every unfinished execution.
    pub async fn start(
        config: EngineConfig,
        store: Arc<dyn Store>,
        registry: Arc<Registry>,
    ) -> Result<Engine, EngineError> {
        let epoch = store.next_epoch().await?;
        let writer = EventWriter::spawn(
            store.clone(),
            WriterOptions {
                max_batch: config.commit_max_batch,
                max_delay: Duration::from_millis(config.commit_max_delay_ms),
            },
        );
        let shared = Arc::new(Shared {
            workflows: WorkflowCache::new(store.clone(), registry.clone()),
            bus: EventBus::new(config.bus_capacity),
            store: store.clone(),
            writer,
            registry,
            config,
            epoch,
            counts: Counts::default(),
            metrics: Arc::new(crate::metrics::EngineMetrics::new()),
        });
        let (manager, _) = Actor::spawn(None, ExecutionManager, shared.clone())
            .await
            .map_err(|e| {
                EngineError::Unavailable(format!("could not start the execution manager: {e}"))
            })?;
        let (shutdown, rx) = watch::channel(false);
        crate::timers::spawn(store, manager.clone(), shared.config.timer_poll(), rx);
        let engine = Engine {
            shared,
            manager,
            shutdown,
        };
        engine.recover().await?;
        Ok(engine)
    }

    /// Resumes what the previous owner left: queued executions are admitted, running ones
    /// rehydrated (their in-flight nodes dispatched again with the same idempotency key).
    /// Waiting ones come back through the timer service, a signal or a child.
    async fn recover(&self) -> Result<(), EngineError> {
        // Only queued and running executions need anything now; waiting ones (possibly
        // millions) are not read at all: their wake_at, a signal or a child brings them back.
        // Running ones first, so they count toward their workflows' max_concurrency before
        // queued ones are admitted.
        let running: Vec<(ExecutionId, WorkflowId)> = self
            .executions_with(ExecutionStatus::Running)
            .await?
            .into_iter()
            .map(|r| (r.id, r.workflow_id))
            .collect();
        let resumed = running.len();
        if !running.is_empty() {
            self.manager.cast(ManagerMsg::Resume { ids: running })?;
        }
        let mut queued = 0usize;
        for rec in self.executions_with(ExecutionStatus::Queued).await? {
            queued += 1;
            let max_concurrency = match self
                .shared
                .workflows
                .get(rec.workflow_id, rec.workflow_version)
                .await
            {
                Ok(wf) => wf.settings.max_concurrency,
                Err(_) => None,
            };
            self.manager.cast(ManagerMsg::Admit {
                id: rec.id,
                workflow_id: rec.workflow_id,
                priority: rec.priority,
                max_concurrency,
                record: Some(Box::new(rec)),
            })?;
        }
        if queued + resumed > 0 {
            info!(
                queued,
                running = resumed,
                epoch = self.shared.epoch,
                "recovering unfinished executions"
            );
        }
        Ok(())
    }

    /// Every execution in `status`, read page by page.
    async fn executions_with(
        &self,
        status: ExecutionStatus,
    ) -> Result<Vec<ExecutionRecord>, EngineError> {
        let mut all = Vec::new();
        let mut filter = ExecutionFilter {
            status: Some(status),
            limit: 1_000,
            ..Default::default()
        };
        loop {
            let page = self.shared.store.list_executions(&filter).await?;
            let Some(last) = page.last() else { break };
            filter.before = Some(last.id);
            all.extend(page);
        }
        Ok(all)
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.shared.store
    }

    pub fn registry(&self) -> &Arc<Registry> {
        &self.shared.registry
    }

    pub fn epoch(&self) -> u64 {
        self.shared.epoch
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Stores a queued execution and hands it to admission. Idempotent with
    /// `idempotency_key` (or an explicit id): the existing execution is returned with
    /// `false`.
    pub async fn start_execution(
        &self,
        req: StartRequest,
    ) -> Result<(ExecutionRecord, bool), EngineError> {
        create_execution(&self.shared, &self.manager, req).await
    }

    /// Delivers a signal; durable when this returns Ok.
    pub async fn signal(
        &self,
        id: ExecutionId,
        name: &str,
        payload: Value,
    ) -> Result<(), EngineError> {
        if name.is_empty() || name.len() > 200 {
            return Err(EngineError::BadRequest(
                "a signal name must have 1 to 200 characters".into(),
            ));
        }
        self.deliver(id, |reply| ExecutionMsg::Signal {
            name: name.to_string(),
            payload: payload.clone(),
            reply,
        })
        .await
    }

    /// Runs a failed or timed-out execution again: its failed nodes (and those cut off when
    /// it ended) start over from attempt 1, every completed node keeps its output, and it is
    /// `running` again (no `finished_at`, no `error`) with a fresh time limit. Returns the
    /// execution's row once the retry is durable. Any other status is refused with
    /// `NotActive`.
    pub async fn retry(&self, id: ExecutionId) -> Result<ExecutionRecord, EngineError> {
        let rec = self.record(id).await?;
        ensure_retryable(&rec)?;
        // A version that no longer loads (a node type gone) would fail again at once.
        self.shared
            .workflows
            .get(rec.workflow_id, rec.workflow_version)
            .await?;
        self.send(id, ensure_retryable, |reply| ExecutionMsg::Retry { reply })
            .await?;
        info!(execution_id = %id, "execution retried");
        self.record(id).await
    }

    /// The events of execution `id` from now on, in order, as they become durable; at most
    /// `capacity` wait unread before the watch is dropped (then `recv` says
    /// `WatchError::Lagged` after the buffered ones: read the rest from the store). Cheap:
    /// a webhook can watch every execution it starts. To miss nothing, watch before
    /// starting: pick the id with `StartRequest::id`.
    pub fn watch(&self, id: ExecutionId, capacity: usize) -> ExecutionWatch {
        self.shared.bus.watch(id, capacity)
    }

    /// Asks an execution to stop; running nodes are killed and it ends `cancelled`.
    pub async fn cancel(&self, id: ExecutionId, reason: &str) -> Result<(), EngineError> {
        self.deliver(id, |reply| ExecutionMsg::Cancel {
            reason: reason.to_string(),
            reply: Some(reply),
        })
        .await
    }

    async fn deliver(
        &self,
        id: ExecutionId,
        msg: impl Fn(ractor::RpcReplyPort<Result<(), EngineError>>) -> ExecutionMsg,
    ) -> Result<(), EngineError> {
        let active = |rec: &ExecutionRecord| {
            if rec.status.is_terminal() {
                return Err(EngineError::not_active(rec.id, rec.status));
            }
            Ok(())
        };
        self.send(id, active, msg).await
    }

    /// Sends a request to an execution while its row passes `check`, and waits for the
    /// answer.
    async fn send(
        &self,
        id: ExecutionId,
        check: impl Fn(&ExecutionRecord) -> Result<(), EngineError>,
        msg: impl Fn(ractor::RpcReplyPort<Result<(), EngineError>>) -> ExecutionMsg,
    ) -> Result<(), EngineError> {
        // A message can race with the actor passivating (or stopping as its execution ends)
        // and be dropped with it; the reply port tells us, and we try again a moment later
        // (the manager then brings the execution back).
        for attempt in 0..8u64 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(10 * attempt)).await;
            }
            let rec = self.record(id).await?;
            check(&rec)?;
            let (tx, rx) = tokio::sync::oneshot::channel();
            let port = ractor::RpcReplyPort::from(tx);
            self.manager
                .cast(ManagerMsg::Deliver { id, msg: msg(port) })?;
            match tokio::time::timeout(Duration::from_secs(30), rx).await {
                Ok(Ok(r)) => return r,
                Ok(Err(_)) => continue,
                Err(_) => {
                    return Err(EngineError::Unavailable(
                        "the execution did not answer in time".into(),
                    ));
                }
            }
        }
        Err(EngineError::Unavailable(
            "the execution could not be reached".into(),
        ))
    }

    async fn record(&self, id: ExecutionId) -> Result<ExecutionRecord, EngineError> {
        self.shared
            .store
            .get_execution(id)
            .await
            .map_err(EngineError::from_store)
    }

    /// Waits until the execution is finished and returns its record.
    pub async fn wait_finished(&self, id: ExecutionId) -> Result<ExecutionRecord, EngineError> {
        let mut rx = self.shared.bus.subscribe();
        loop {
            let rec = self.record(id).await?;
            if rec.status.is_terminal() {
                return Ok(rec);
            }
            // Wait for its finish event, a lag (then re-read), or a periodic re-check.
            let deadline = tokio::time::sleep(Duration::from_secs(1));
            tokio::pin!(deadline);
            loop {
                tokio::select! {
                    r = rx.recv() => match r {
                        Ok(e) if e.execution_id == id && matches!(e.envelope.event, Event::ExecutionFinished { .. }) => break,
                        Ok(_) => {}
                        Err(broadcast::error::RecvError::Lagged(_)) => break,
                        Err(broadcast::error::RecvError::Closed) => {
                            return Err(EngineError::Unavailable("engine stopped".into()))
                        }
                    },
                    _ = &mut deadline => break,
                }
            }
        }
    }

    /// Every durable event, live.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<BusEvent>> {
        self.shared.bus.subscribe()
    }

    /// Live actors right now. Parked (passivated) executions hold none.
    pub fn live_actors(&self) -> ActorCounts {
        ActorCounts {
            executions: self.shared.counts.executions.load(Ordering::Relaxed),
            nodes: self.shared.counts.nodes.load(Ordering::Relaxed),
        }
    }

    /// (execution actors alive, executions waiting for admission)
    pub async fn admission_stats(&self) -> Result<(usize, usize), EngineError> {
        ractor::call!(self.manager, ManagerMsg::Stats)
            .map_err(|e| EngineError::Unavailable(format!("execution manager unreachable: {e}")))
    }

    /// Stops the timer service and the actors. Durable state stays as it is; the next start
    /// resumes it.
    pub async fn shutdown(&self) {
        let _ = self.shutdown.send(true);
        self.manager
            .stop_and_wait(Some("shutdown".into()), Some(Duration::from_secs(5)))
            .await
            .ok();
    }
}

/// Stores a new queued execution (or finds the existing one) and admits it.
pub(crate) async fn create_execution(
    shared: &Arc<Shared>,
    manager: &ActorRef<ManagerMsg>,
    req: StartRequest,
) -> Result<(ExecutionRecord, bool), EngineError> {
    if let Some(key) = &req.idempotency_key
        && (key.is_empty() || key.len() > 255)
    {
        return Err(EngineError::BadRequest(
            "Idempotency-Key must have 1 to 255 characters".into(),
        ));
    }
    let version = match req.version {
        Some(v) => v,
        None => {
            shared
                .store
                .get_workflow(req.workflow_id)
                .await
                .map_err(EngineError::from_store)?
                .latest_version
        }
    };
    let wf = shared.workflows.get(req.workflow_id, version).await?;
    if let Some(trigger) = &req.trigger {
        check_trigger(&wf, trigger)?;
    }
    if let Some(c) = &req.correlation_id
        && (c.is_empty() || c.len() > 255 || c.chars().any(char::is_control))
    {
        return Err(EngineError::BadRequest(
            "a correlation id must have 1 to 255 printable characters".into(),
        ));
    }
    let priority = req.priority.unwrap_or(wf.settings.priority).min(9);
    let new = NewExecution {
        id: req.id.unwrap_or_default(),
        workflow_id: req.workflow_id,
        workflow_version: version,
        input: req.input,
        priority,
        parent: req.parent,
        idempotency_key: req.idempotency_key,
        owner_epoch: shared.epoch,
        created_at: now_ms(),
        trigger: req.trigger,
        correlation_id: req.correlation_id,
    };
    let id = new.id;
    // Through the group-commit writer: a burst of starts shares a few transactions instead of
    // queueing for one commit each.
    let (rec, created) = match shared.writer.create(new).await {
        Ok(r) => r,
        // A deterministic child id that already exists: the same execution.
        Err(StoreError::AlreadyExists { .. }) => (
            shared
                .store
                .get_execution(id)
                .await
                .map_err(EngineError::from_store)?,
            false,
        ),
        Err(e) => return Err(EngineError::from_store(e)),
    };
    if created {
        manager.cast(ManagerMsg::Admit {
            id: rec.id,
            workflow_id: rec.workflow_id,
            priority,
            max_concurrency: wf.settings.max_concurrency,
            record: Some(Box::new(rec.clone())),
        })?;
    }
    Ok((rec, created))
}

/// Refuses a `StartRequest::trigger` that is not a trigger node of the workflow.
fn check_trigger(wf: &CompiledWorkflow, trigger: &str) -> Result<(), EngineError> {
    match wf.root.node(trigger) {
        Some(node) if node.trigger => Ok(()),
        Some(node) => Err(EngineError::BadRequest(format!(
            "node `{trigger}` is a {} node, not a trigger",
            node.type_name
        ))),
        None => {
            let triggers: Vec<&str> = wf.triggers().map(|n| n.id.as_str()).collect();
            Err(EngineError::BadRequest(format!(
                "the workflow has no trigger `{trigger}` (its triggers: {})",
                triggers.join(", ")
            )))
        }
    }
}

/// Only a failed or timed-out execution can be retried.
fn ensure_retryable(rec: &ExecutionRecord) -> Result<(), EngineError> {
    match rec.status {
        ExecutionStatus::Failed | ExecutionStatus::TimedOut => Ok(()),
        status => Err(EngineError::not_retryable(rec.id, status)),
    }
}

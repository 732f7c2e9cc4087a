//! ExecutionActor: the shell around one execution's pure state machine.
//!
//! For every message it (1) turns the message into events, (2) asks the state machine what
//! follows until nothing does, (3) makes all those events durable in one group-committed
//! append, and only then (4) performs the effects: spawn node actors, start or cancel child
//! executions, publish to the bus. Write-ahead by construction: no effect happens for an event
//! that is not durable. If the append fails the actor stops without effects, and the manager
//! brings the execution back from the store, where the last durable state is.
//!
//! A failed or timed-out execution comes back for a retry: the manager starts an actor for it
//! with the `Retry` message pending, which loads the finished state (claiming it back with
//! `reopen_execution` if another epoch owns it), records `ExecutionRetried` and runs on.
//!
//! Everything the actor and its node actors log happens inside an `execution` span carrying
//! the execution id and the caller's correlation id, so node logs carry both.

use crate::bus::BusEvent;
use crate::engine::{Shared, create_execution};
use crate::error::EngineError;
use crate::manager::ManagerMsg;
use crate::node::{NodeActor, NodeArgs, run_attempt};
use crate::now_ms;
use futures::FutureExt;
use ractor::{
    Actor, ActorCell, ActorId, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent,
};
use serde_json::Value;
use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tracing::{Instrument, Span, debug, info, info_span, warn};
use weft_core::event::ParentLink;
use weft_core::machine::{NodeStatus, SNAPSHOT_FORMAT, WaitFor};
use weft_core::{
    Command, ErrorKind, Event, EventEnvelope, ExecutionId, ExecutionState, ExecutionStatus, Millis,
    NodeError, NodePath, WorkflowId,
};
use weft_nodes::NodeLog;
use weft_nodes::NodeOutput;
use weft_persistence::{Append, ExecutionRecord, Snapshot, StoreError};

/// The task that will send `Wake` when the next timer is due.
type WakeTimer = ractor::concurrency::JoinHandle<Result<(), ractor::MessagingErr<ExecutionMsg>>>;

/// How often a passivated parent re-checks a child it waits for, in case the child's
/// completion notice was lost in a crash.
const CHILD_RECHECK_MS: i64 = 30_000;

/// Most log lines one node activation writes; more are summed up in one line.
const MAX_NODE_LOGS: usize = 100;
/// Longest log message kept, in bytes; longer ones are cut.
const MAX_LOG_MESSAGE: usize = 8 * 1024;

pub(crate) enum ExecutionMsg {
    /// A node actor finished an attempt.
    NodeDone {
        path: String,
        attempt: u32,
        result: Result<NodeOutput, NodeError>,
    },
    Signal {
        name: String,
        payload: Value,
        reply: RpcReplyPort<Result<(), EngineError>>,
    },
    Cancel {
        reason: String,
        reply: Option<RpcReplyPort<Result<(), EngineError>>>,
    },
    /// A child execution started by `flow.call` finished.
    ChildDone {
        path: String,
        child_id: ExecutionId,
        result: Result<Value, NodeError>,
    },
    /// A timer may be due.
    Wake,
    /// Passivate if still idle since `generation`.
    Idle { generation: u64 },
    /// Run a failed or timed-out execution again from its failed nodes.
    Retry {
        reply: RpcReplyPort<Result<(), EngineError>>,
    },
}

pub(crate) struct ExecutionActor;

pub(crate) struct ExecArgs {
    pub id: ExecutionId,
    pub shared: Arc<Shared>,
    pub manager: ActorRef<ManagerMsg>,
    /// Messages that arrived while the execution had no actor.
    pub pending: Vec<ExecutionMsg>,
    /// The execution's row when the caller just wrote it (a new execution).
    pub record: Option<Box<ExecutionRecord>>,
}

pub(crate) struct ExecActorState {
    id: ExecutionId,
    shared: Arc<Shared>,
    manager: ActorRef<ManagerMsg>,
    exec: Option<ExecutionState>,
    record: Option<Box<ExecutionRecord>>,
    /// Running node actors: which attempt of which node each one runs.
    nodes: HashMap<ActorId, (String, u32, ActorCell)>,
    events_since_snapshot: u32,
    /// The `wake_at` the store holds for this execution, as far as this actor knows.
    stored_wake_at: Option<Millis>,
    wake: Option<(Millis, WakeTimer)>,
    idle_generation: u64,
    /// A `Retry` is pending: load the execution even though it has finished.
    reopen: bool,
    /// The actor has asked itself to stop (its execution finished).
    stopping: bool,
    /// `execution{execution_id, correlation_id}`: every log of the actor and its nodes.
    span: Span,
}

// The step, load and perform futures are boxed where they are awaited: inlined, they would
// make every execution actor's task as large as its deepest await, for its whole life.
impl Actor for ExecutionActor {
    type Msg = ExecutionMsg;
    type State = ExecActorState;
    type Arguments = ExecArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<ExecutionMsg>,
        args: ExecArgs,
    ) -> Result<ExecActorState, ActorProcessingErr> {
        args.shared
            .counts
            .executions
            .fetch_add(1, Ordering::Relaxed);
        let reopen = args
            .pending
            .iter()
            .any(|m| matches!(m, ExecutionMsg::Retry { .. }));
        for m in args.pending {
            myself.cast(m)?;
        }
        let span = info_span!(
            "execution",
            execution_id = %args.id,
            correlation_id = tracing::field::Empty
        );
        if let Some(c) = args.record.as_ref().and_then(|r| r.correlation_id.as_ref()) {
            span.record("correlation_id", tracing::field::display(c));
        }
        Ok(ExecActorState {
            id: args.id,
            shared: args.shared,
            manager: args.manager,
            exec: None,
            record: args.record,
            nodes: HashMap::new(),
            events_since_snapshot: 0,
            stored_wake_at: None,
            wake: None,
            idle_generation: 0,
            reopen,
            stopping: false,
            span,
        })
    }

    async fn post_start(
        &self,
        myself: ActorRef<ExecutionMsg>,
        st: &mut ExecActorState,
    ) -> Result<(), ActorProcessingErr> {
        let span = st.span.clone();
        Box::pin(start(myself, st)).instrument(span).await
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<ExecutionMsg>,
        st: &mut ExecActorState,
    ) -> Result<(), ActorProcessingErr> {
        if let Some((_, h)) = st.wake.take() {
            h.abort();
        }
        for (_, (_, _, cell)) in st.nodes.drain() {
            cell.kill();
            st.shared.counts.nodes.fetch_sub(1, Ordering::Relaxed);
        }
        st.shared.counts.executions.fetch_sub(1, Ordering::Relaxed);
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<ExecutionMsg>,
        msg: ExecutionMsg,
        st: &mut ExecActorState,
    ) -> Result<(), ActorProcessingErr> {
        let span = st.span.clone();
        Box::pin(handle(myself, msg, st)).instrument(span).await
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<ExecutionMsg>,
        evt: SupervisionEvent,
        st: &mut ExecActorState,
    ) -> Result<(), ActorProcessingErr> {
        match evt {
            SupervisionEvent::ActorTerminated(cell, ..)
                if st.nodes.remove(&cell.get_id()).is_some() =>
            {
                st.shared.counts.nodes.fetch_sub(1, Ordering::Relaxed);
            }
            SupervisionEvent::ActorFailed(cell, err) => {
                if let Some((path, attempt, _)) = st.nodes.remove(&cell.get_id()) {
                    st.shared.counts.nodes.fetch_sub(1, Ordering::Relaxed);
                    warn!(execution_id = %st.id, node = %path, attempt, error = %err, "node actor panicked");
                    let error = NodeError::transient(format!("node panicked: {err}"));
                    myself.cast(ExecutionMsg::NodeDone {
                        path,
                        attempt,
                        result: Err(error),
                    })?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// Loads the execution and carries on where it stood.
async fn start(
    myself: ActorRef<ExecutionMsg>,
    st: &mut ExecActorState,
) -> Result<(), ActorProcessingErr> {
    match Box::pin(st.load()).await {
        Ok(Loaded::Run(exec, first)) => {
            let _ = st.manager.cast(ManagerMsg::Loaded {
                id: st.id,
                workflow_id: exec.data().workflow_id,
            });
            if let Some(c) = &exec.data().correlation_id {
                st.span.record("correlation_id", tracing::field::display(c));
            }
            let finished = exec.is_terminal();
            st.exec = Some(*exec);
            if finished {
                // Loaded for its pending retry, which comes next in the mailbox.
                return Ok(());
            }
            let redo = st.exec.as_ref().map(|e| e.redispatch()).unwrap_or_default();
            if !redo.is_empty() {
                info!(execution_id = %st.id, effects = redo.len(), "resuming in-flight work");
            }
            Box::pin(st.perform(&myself, redo)).await;
            Box::pin(st.step(&myself, first))
                .await
                .or_else(StepError::into_actor_result)
        }
        Ok(Loaded::Finished) => {
            st.stopping = true;
            myself.stop(Some("finished".into()));
            Ok(())
        }
        Err(LoadError::Lost) => {
            st.stopping = true;
            myself.stop(Some("owned by a newer epoch".into()));
            Ok(())
        }
        Err(LoadError::Other(e)) => Err(e.into()),
    }
}

/// Handles one message (see the module doc for the shape of a step).
async fn handle(
    myself: ActorRef<ExecutionMsg>,
    msg: ExecutionMsg,
    st: &mut ExecActorState,
) -> Result<(), ActorProcessingErr> {
    if matches!(msg, ExecutionMsg::Retry { .. }) && (st.stopping || st.exec.is_none()) {
        // This actor is on its way out (its execution ended, or was finished when it
        // loaded); dropping the request makes the caller send it again, to an actor
        // loaded for it.
        return Ok(());
    }
    let Some(exec) = st.exec.as_ref() else {
        reply_inactive(msg, st.id, "not loaded");
        return Ok(());
    };
    if let ExecutionMsg::Retry { reply } = msg {
        let Some(event) = exec.retry_event() else {
            let _ = reply.send(Err(EngineError::not_retryable(st.id, exec.status())));
            if exec.is_terminal() {
                st.stopping = true;
                myself.stop(Some("finished".into()));
            }
            return Ok(());
        };
        info!(execution_id = %st.id, "retrying the execution");
        let r = Box::pin(st.step(&myself, vec![event])).await;
        let _ = reply.send(r.as_ref().map(|_| ()).map_err(StepError::to_engine_error));
        return r.or_else(StepError::into_actor_result);
    }
    if exec.is_terminal() {
        let status = exec.status();
        reply_inactive(msg, st.id, status.as_str());
        return Ok(());
    }
    let r = match msg {
        ExecutionMsg::NodeDone {
            path,
            attempt,
            result,
        } => {
            if !exec.accepts_result(&path, attempt) {
                debug!(execution_id = %st.id, node = %path, attempt, "dropping a stale node result");
                return Ok(());
            }
            if let Err(error) = &result {
                debug!(execution_id = %st.id, node = %path, attempt, kind = %error.kind, "node attempt failed");
            }
            Box::pin(st.step(&myself, result_events(path, attempt, result))).await
        }
        ExecutionMsg::Signal {
            name,
            payload,
            reply,
        } => {
            let r = st
                .step(&myself, vec![Event::SignalReceived { name, payload }])
                .await;
            let _ = reply.send(r.as_ref().map(|_| ()).map_err(StepError::to_engine_error));
            r
        }
        ExecutionMsg::Cancel { reason, reply } => {
            let r = st
                .step(&myself, vec![Event::CancelRequested { reason }])
                .await;
            if let Some(reply) = reply {
                let _ = reply.send(r.as_ref().map(|_| ()).map_err(StepError::to_engine_error));
            }
            r
        }
        ExecutionMsg::ChildDone {
            path,
            child_id,
            result,
        } => {
            if !exec.awaits_child(&path, child_id) {
                return Ok(());
            }
            let attempt = exec.data().nodes.get(&path).map_or(1, |r| r.attempt);
            let event = match result {
                Ok(output) => Event::NodeCompleted {
                    node: path,
                    output,
                    ports: vec!["main".into()],
                },
                Err(error) => Event::NodeAttemptFailed {
                    node: path,
                    attempt,
                    error,
                    seed: 0,
                },
            };
            Box::pin(st.step(&myself, vec![event])).await
        }
        ExecutionMsg::Wake => {
            Box::pin(st.check_children(&myself)).await;
            Box::pin(st.step(&myself, Vec::new())).await
        }
        // Handled above, before the terminal check.
        ExecutionMsg::Retry { .. } => Ok(()),
        ExecutionMsg::Idle { generation } => {
            if generation == st.idle_generation && !exec.has_running_work() && st.nodes.is_empty() {
                debug!(execution_id = %st.id, "passivating");
                myself.stop(Some("passivated".into()));
            }
            Ok(())
        }
    };
    r.or_else(StepError::into_actor_result)
}

/// The events of one finished node attempt: its log lines first (in the same durable write
/// as its completion), then the completion or the failure.
fn result_events(
    path: NodePath,
    attempt: u32,
    result: Result<NodeOutput, NodeError>,
) -> Vec<Event> {
    match result {
        Ok(out) => {
            let mut events = log_events(&path, out.logs);
            events.push(Event::NodeCompleted {
                node: path,
                output: out.output,
                ports: out.ports,
            });
            events
        }
        Err(error) => vec![Event::NodeAttemptFailed {
            node: path,
            attempt,
            error,
            seed: rand::random(),
        }],
    }
}

/// One `Log` event per node log line, bounded in number and size: a node cannot flood its
/// execution's history.
fn log_events(path: &str, logs: Vec<NodeLog>) -> Vec<Event> {
    let extra = logs.len().saturating_sub(MAX_NODE_LOGS);
    let mut events: Vec<Event> = logs
        .into_iter()
        .take(MAX_NODE_LOGS)
        .map(|log| Event::Log {
            node: Some(path.to_string()),
            level: log.level,
            message: truncate(log.message, MAX_LOG_MESSAGE),
            fields: log.fields,
        })
        .collect();
    if extra > 0 {
        events.push(Event::Log {
            node: Some(path.to_string()),
            level: weft_core::LogLevel::Warn,
            message: format!("{extra} more log lines of this node were dropped"),
            fields: Value::Null,
        });
    }
    events
}

/// `s` cut to at most `max` bytes at a character boundary, marked with `…` when cut.
fn truncate(mut s: String, max: usize) -> String {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    s.push('…');
    s
}

fn reply_inactive(msg: ExecutionMsg, id: ExecutionId, status: &str) {
    match msg {
        ExecutionMsg::Signal { reply, .. } => {
            let _ = reply.send(Err(EngineError::not_active(id, status)));
        }
        ExecutionMsg::Cancel {
            reply: Some(reply), ..
        } => {
            let _ = reply.send(Err(EngineError::not_active(id, status)));
        }
        ExecutionMsg::Retry { reply } => {
            let _ = reply.send(Err(EngineError::not_retryable(id, status)));
        }
        _ => {}
    }
}

/// Why a step did not complete.
enum StepError {
    /// A newer owner epoch holds the execution; the actor has stopped.
    Lost,
    /// The append failed; the actor fails and the manager brings the execution back.
    Store(StoreError),
}

impl StepError {
    fn to_engine_error(&self) -> EngineError {
        match self {
            StepError::Lost => {
                EngineError::Unavailable("the execution is owned by another instance now".into())
            }
            StepError::Store(e) => EngineError::Unavailable(format!("could not persist: {e}")),
        }
    }

    /// Losing ownership is a clean stop; a failed write fails the actor (and is retried).
    fn into_actor_result(self) -> Result<(), ActorProcessingErr> {
        match self {
            StepError::Lost => Ok(()),
            StepError::Store(e) => Err(format!("persisting events failed: {e}").into()),
        }
    }
}

enum Loaded {
    /// Ready to run; the events to record first (`ExecutionStarted` for a new execution).
    Run(Box<ExecutionState>, Vec<Event>),
    Finished,
}

enum LoadError {
    /// A newer owner epoch holds the execution.
    Lost,
    Other(EngineError),
}

impl From<StoreError> for LoadError {
    fn from(e: StoreError) -> Self {
        if e.is_conflict() {
            LoadError::Lost
        } else {
            LoadError::Other(EngineError::from_store(e))
        }
    }
}

impl ExecActorState {
    /// Claims the execution for this instance's epoch and rebuilds its state: latest
    /// snapshot plus the events after it.
    async fn load(&mut self) -> Result<Loaded, LoadError> {
        let shared = self.shared.clone();
        let store = &shared.store;
        let mut rec = match self.record.take() {
            Some(rec) => *rec,
            None => store.get_execution(self.id).await?,
        };
        // A finished execution is loaded only to be retried.
        let retrying = rec.status.is_terminal();
        if retrying
            && !(self.reopen
                && matches!(
                    rec.status,
                    ExecutionStatus::Failed | ExecutionStatus::TimedOut
                ))
        {
            return Ok(Loaded::Finished);
        }
        if rec.owner_epoch != shared.epoch {
            rec = if retrying {
                store.reopen_execution(self.id, shared.epoch).await?
            } else {
                store.claim_execution(self.id, shared.epoch).await?
            };
        }
        let wf = match shared
            .workflows
            .get(rec.workflow_id, rec.workflow_version)
            .await
        {
            Ok(wf) => wf,
            // `Engine::retry` checked the version loads; it stopped doing so since. Nothing
            // is written: the execution stays as it finished.
            Err(e) if retrying => return Err(LoadError::Other(e)),
            Err(e) => {
                // The pinned version cannot run here (e.g. a node type is gone): fail it
                // durably instead of retrying forever.
                let error = weft_core::ExecutionError {
                    kind: ErrorKind::Config,
                    message: format!("workflow version {} cannot run: {e}", rec.workflow_version),
                    node: None,
                    details: None,
                };
                let env = EventEnvelope {
                    seq: rec.version + 1,
                    at: now_ms(),
                    event: Event::ExecutionFinished {
                        status: ExecutionStatus::Failed,
                        output: None,
                        error: Some(error.clone()),
                    },
                };
                shared
                    .writer
                    .append(Append {
                        execution_id: self.id,
                        expected_version: rec.version,
                        owner_epoch: shared.epoch,
                        events: vec![env.clone()],
                        status: ExecutionStatus::Failed,
                        output: None,
                        error: serde_json::to_value(&error).ok(),
                        wake_at: None,
                        snapshot: None,
                        now: env.at,
                    })
                    .await?;
                self.publish(rec.workflow_id, &[env]);
                if let Some(parent) = rec.parent {
                    self.notify_parent(&parent, ExecutionStatus::Failed, None, Some(&error));
                }
                return Ok(Loaded::Finished);
            }
        };
        self.stored_wake_at = rec.wake_at;
        if rec.version == 0 {
            let exec = ExecutionState::new(wf, self.id, rec.workflow_id, rec.workflow_version);
            // The row keeps what the execution was started with, so an execution admitted
            // only after a restart still starts the right trigger.
            if let Some(c) = &rec.correlation_id {
                self.span
                    .record("correlation_id", tracing::field::display(c));
            }
            let start = Event::ExecutionStarted {
                workflow_id: rec.workflow_id,
                version: rec.workflow_version,
                input: rec.input,
                parent: rec.parent,
                trigger: rec.trigger,
                correlation_id: rec.correlation_id,
            };
            return Ok(Loaded::Run(Box::new(exec), vec![start]));
        }
        let mut exec = match store.latest_snapshot(self.id).await? {
            Some(snap) if snap.format_version == SNAPSHOT_FORMAT => {
                ExecutionState::restore(wf.clone(), snap.state).map_err(|e| {
                    LoadError::Other(EngineError::Unavailable(format!("corrupt snapshot: {e}")))
                })?
            }
            _ => ExecutionState::new(wf, self.id, rec.workflow_id, rec.workflow_version),
        };
        loop {
            let batch = store.events(self.id, exec.seq(), 1_000).await?;
            if batch.is_empty() {
                break;
            }
            for env in &batch {
                exec.apply(env);
            }
        }
        if exec.seq() != rec.version {
            return Err(LoadError::Other(EngineError::Unavailable(format!(
                "event log of {} ends at {} but the execution is at version {}",
                self.id,
                exec.seq(),
                rec.version
            ))));
        }
        Ok(Loaded::Run(Box::new(exec), Vec::new()))
    }

    /// Records `first`, then decides until quiescent, persists everything in one append,
    /// and performs the effects.
    async fn step(
        &mut self,
        myself: &ActorRef<ExecutionMsg>,
        first: Vec<Event>,
    ) -> Result<(), StepError> {
        let Some(exec) = self.exec.as_mut() else {
            return Ok(());
        };
        let now = now_ms();
        let before = exec.seq();
        let mut envs = Vec::new();
        let mut effects = Vec::new();
        let mut record = |exec: &mut ExecutionState, event: Event| {
            let env = EventEnvelope {
                seq: exec.seq() + 1,
                at: now,
                event,
            };
            exec.apply(&env);
            envs.push(env);
        };
        for e in first {
            record(exec, e);
        }
        let shared = self.shared.clone();
        let (id, workflow_id) = (self.id, exec.data().workflow_id);
        for _ in 0..100_000 {
            let cmds = exec.decide(now);
            if cmds.is_empty() {
                break;
            }
            for c in cmds {
                if let Some(e) = c.event() {
                    record(exec, e);
                }
                match c {
                    // Pure nodes run right here: their result joins this step's append.
                    Command::RunNode(task) if shared.registry.runs_inline(&task.type_name) => {
                        let run = run_attempt(&shared.registry, &task, id, workflow_id);
                        let run = shared.metrics.observe_node(&task.type_name, run);
                        let result = AssertUnwindSafe(run)
                            .catch_unwind()
                            .instrument(info_span!(parent: &self.span, "node", node = %task.path, attempt = task.attempt))
                            .await
                            .unwrap_or_else(|panic| {
                                let msg = panic
                                    .downcast_ref::<&str>()
                                    .map(|m| m.to_string())
                                    .or_else(|| panic.downcast_ref::<String>().cloned())
                                    .unwrap_or_else(|| "a non-text payload".into());
                                warn!(execution_id = %id, node = %task.path, error = %msg, "inline node panicked");
                                Err(NodeError::transient(format!("node panicked: {msg}")))
                            });
                        for e in result_events(task.path, task.attempt, result) {
                            record(exec, e);
                        }
                    }
                    c => effects.push(c),
                }
            }
        }
        // A step without events still updates a stale `wake_at` (e.g. a child recheck that
        // found nothing), or the timer service would wake the execution again and again.
        let wake_changed = self
            .exec
            .as_ref()
            .is_some_and(|e| store_wake_at(e, now) != self.stored_wake_at);
        if !envs.is_empty() || wake_changed {
            if let Err(e) = self.persist(before, &envs, now).await {
                // The in-memory state is ahead of the store now: stop without effects and
                // let the store's state be the truth.
                self.kill_nodes();
                self.exec = None;
                if e.is_conflict() {
                    warn!(execution_id = %self.id, error = %e, "lost ownership; stopping");
                    myself.stop(Some("ownership lost".into()));
                    return Err(StepError::Lost);
                }
                return Err(StepError::Store(e));
            }
            let wf = self
                .exec
                .as_ref()
                .map(|e| e.data().workflow_id)
                .unwrap_or_default();
            self.publish(wf, &envs);
        }
        Box::pin(self.perform(myself, effects)).await;
        self.reconcile_nodes();
        self.after_step(myself, now);
        Ok(())
    }

    async fn persist(
        &mut self,
        before: u64,
        envs: &[EventEnvelope],
        now: Millis,
    ) -> Result<(), StoreError> {
        let exec = self.exec.as_ref().expect("loaded");
        let d = exec.data();
        let cfg = &self.shared.config;
        self.events_since_snapshot += envs.len() as u32;
        let completion = envs.iter().any(|e| {
            matches!(
                e.event,
                Event::NodeCompleted { .. }
                    | Event::NodeAttemptFailed { .. }
                    | Event::IterationCompleted { .. }
            )
        });
        let due = if cfg.checkpoint_every == 0 {
            completion
        } else {
            self.events_since_snapshot >= cfg.checkpoint_every
        };
        let snapshot = (due && !exec.is_terminal()).then(|| Snapshot {
            seq: exec.seq(),
            format_version: SNAPSHOT_FORMAT,
            state: exec.snapshot(),
        });
        if snapshot.is_some() {
            self.events_since_snapshot = 0;
        }
        let wake_at = store_wake_at(exec, now);
        let append = Append {
            execution_id: self.id,
            expected_version: before,
            owner_epoch: self.shared.epoch,
            events: envs.to_vec(),
            status: d.status,
            output: d.output.clone(),
            error: d.error.as_ref().and_then(|e| serde_json::to_value(e).ok()),
            wake_at,
            snapshot,
            now,
        };
        self.shared.writer.append(append).await?;
        self.stored_wake_at = wake_at;
        Ok(())
    }

    fn publish(&self, workflow_id: WorkflowId, envs: &[EventEnvelope]) {
        self.shared
            .metrics
            .events_durable(workflow_id, self.exec.as_ref(), envs);
        for env in envs {
            self.shared.bus.publish(BusEvent {
                execution_id: self.id,
                workflow_id,
                envelope: env.clone(),
            });
        }
    }

    async fn perform(&mut self, myself: &ActorRef<ExecutionMsg>, effects: Vec<Command>) {
        let Some(exec) = self.exec.as_ref() else {
            return;
        };
        let workflow_id = exec.data().workflow_id;
        let priority = exec.workflow().settings.priority;
        let correlation_id = exec.data().correlation_id.clone();
        for c in effects {
            match c {
                Command::RunNode(task) => {
                    let path = task.path.clone();
                    let attempt = task.attempt;
                    let span = info_span!(parent: &self.span, "node", node = %path, attempt);
                    let args = NodeArgs {
                        task,
                        execution_id: self.id,
                        workflow_id,
                        registry: self.shared.registry.clone(),
                        metrics: self.shared.metrics.clone(),
                        reply_to: myself.clone(),
                        span,
                    };
                    match Actor::spawn_linked(None, NodeActor, args, myself.get_cell()).await {
                        Ok((node, _)) => {
                            self.shared.counts.nodes.fetch_add(1, Ordering::Relaxed);
                            self.nodes
                                .insert(node.get_id(), (path, attempt, node.get_cell()));
                        }
                        Err(e) => {
                            let error = NodeError::transient(format!(
                                "could not start the node actor: {e}"
                            ));
                            let _ = myself.cast(ExecutionMsg::NodeDone {
                                path,
                                attempt,
                                result: Err(error),
                            });
                        }
                    }
                }
                Command::StartChild {
                    path,
                    child_id,
                    workflow_id: child_wf,
                    version,
                    input,
                } => {
                    let parent = ParentLink {
                        execution_id: self.id,
                        node: path.clone(),
                    };
                    let req = crate::engine::StartRequest {
                        workflow_id: child_wf,
                        version,
                        input,
                        priority: Some(priority),
                        id: Some(child_id),
                        parent: Some(parent),
                        // A child's logs belong to the same request as its parent's.
                        correlation_id: correlation_id.clone(),
                        ..Default::default()
                    };
                    match create_execution(&self.shared, &self.manager, req).await {
                        Ok((rec, _)) if rec.status.is_terminal() => {
                            let result =
                                child_result(&rec.id, rec.status, rec.output, rec.error.as_ref());
                            let _ = myself.cast(ExecutionMsg::ChildDone {
                                path,
                                child_id,
                                result,
                            });
                        }
                        Ok((rec, created)) => {
                            if !created {
                                let _ = self.manager.cast(ManagerMsg::Wake { ids: vec![rec.id] });
                            }
                        }
                        Err(e) => {
                            let error = match e {
                                EngineError::NotFound { .. }
                                | EngineError::Invalid(_)
                                | EngineError::BadRequest(_) => {
                                    NodeError::config(format!("flow.call: {e}"))
                                }
                                _ => NodeError::transient(format!("flow.call: {e}")),
                            };
                            let _ = myself.cast(ExecutionMsg::ChildDone {
                                path,
                                child_id,
                                result: Err(error),
                            });
                        }
                    }
                }
                Command::CancelChild { child_id } => {
                    let _ = self.manager.cast(ManagerMsg::Deliver {
                        id: child_id,
                        msg: ExecutionMsg::Cancel {
                            reason: "the parent execution stopped waiting".into(),
                            reply: None,
                        },
                    });
                }
                Command::Record(_) => {}
            }
        }
    }

    /// Stops node actors whose attempt the state no longer wants (cancelled, loop ended).
    fn reconcile_nodes(&mut self) {
        let Some(exec) = self.exec.as_ref() else {
            return;
        };
        let stale: Vec<ActorId> = self
            .nodes
            .iter()
            .filter(|(_, (path, attempt, _))| !exec.accepts_result(path, *attempt))
            .map(|(id, _)| *id)
            .collect();
        for id in stale {
            if let Some((path, _, cell)) = self.nodes.remove(&id) {
                debug!(execution_id = %self.id, node = %path, "stopping a node actor no longer needed");
                cell.kill();
                self.shared.counts.nodes.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }

    fn kill_nodes(&mut self) {
        for (_, (_, _, cell)) in self.nodes.drain() {
            cell.kill();
            self.shared.counts.nodes.fetch_sub(1, Ordering::Relaxed);
        }
    }

    fn after_step(&mut self, myself: &ActorRef<ExecutionMsg>, now: Millis) {
        let Some(exec) = self.exec.as_ref() else {
            return;
        };
        if exec.is_terminal() {
            let d = exec.data();
            info!(execution_id = %self.id, status = %d.status, "execution finished");
            if let Some(parent) = d.parent.clone() {
                self.notify_parent(&parent, d.status, d.output.clone(), d.error.as_ref());
            }
            self.stopping = true;
            myself.stop(None);
            return;
        }
        match exec.next_wakeup() {
            Some(at) if self.wake.as_ref().is_none_or(|(armed, _)| *armed != at) => {
                if let Some((_, h)) = self.wake.take() {
                    h.abort();
                }
                let delay = Duration::from_millis(at.saturating_sub(now).max(0) as u64);
                self.wake = Some((at, myself.send_after(delay, || ExecutionMsg::Wake)));
            }
            None => {
                if let Some((_, h)) = self.wake.take() {
                    h.abort();
                }
            }
            _ => {}
        }
        if !exec.has_running_work() {
            self.idle_generation += 1;
            let generation = self.idle_generation;
            let after = self.shared.config.passivate_after();
            if after.is_zero() {
                let _ = myself.cast(ExecutionMsg::Idle { generation });
            } else {
                myself.send_after(after, move || ExecutionMsg::Idle { generation });
            }
        }
    }

    fn notify_parent(
        &self,
        parent: &ParentLink,
        status: ExecutionStatus,
        output: Option<Value>,
        error: Option<&weft_core::ExecutionError>,
    ) {
        let err_json = error.and_then(|e| serde_json::to_value(e).ok());
        let result = child_result(&self.id, status, output, err_json.as_ref());
        let _ = self.manager.cast(ManagerMsg::Deliver {
            id: parent.execution_id,
            msg: ExecutionMsg::ChildDone {
                path: parent.node.clone(),
                child_id: self.id,
                result,
            },
        });
    }

    /// A parent woken by its timer asks the store about children it waits for, in case a
    /// completion notice was lost.
    async fn check_children(&mut self, myself: &ActorRef<ExecutionMsg>) {
        let Some(exec) = self.exec.as_ref() else {
            return;
        };
        let waiting: Vec<(String, ExecutionId)> = exec
            .data()
            .nodes
            .iter()
            .filter(|(_, r)| r.status == NodeStatus::Waiting)
            .filter_map(|(p, r)| match r.wait {
                Some(WaitFor::Child(c)) => Some((p.clone(), c)),
                _ => None,
            })
            .collect();
        for (path, child_id) in waiting {
            if let Ok(rec) = self.shared.store.get_execution(child_id).await
                && rec.status.is_terminal()
            {
                let result = child_result(&rec.id, rec.status, rec.output, rec.error.as_ref());
                let _ = myself.cast(ExecutionMsg::ChildDone {
                    path,
                    child_id,
                    result,
                });
            }
        }
    }
}

/// What a finished child means for the `flow.call` node waiting on it.
pub(crate) fn child_result(
    id: &ExecutionId,
    status: ExecutionStatus,
    output: Option<Value>,
    error: Option<&Value>,
) -> Result<Value, NodeError> {
    if status == ExecutionStatus::Succeeded {
        return Ok(output.unwrap_or(Value::Null));
    }
    let e: Option<weft_core::ExecutionError> =
        error.and_then(|e| serde_json::from_value(e.clone()).ok());
    let kind = match status {
        ExecutionStatus::TimedOut => ErrorKind::Timeout,
        ExecutionStatus::Cancelled => ErrorKind::Cancelled,
        _ => e.as_ref().map_or(ErrorKind::Permanent, |e| e.kind),
    };
    let message = e.map_or_else(|| status.to_string(), |e| e.to_string());
    Err(NodeError::new(
        kind,
        format!("child execution {id} {status}: {message}"),
    ))
}

/// The `wake_at` stored with the execution: when the timer service must bring it back.
fn store_wake_at(exec: &ExecutionState, now: Millis) -> Option<Millis> {
    let next = exec.next_wakeup();
    let waits_child = exec
        .data()
        .nodes
        .values()
        .any(|r| r.status == NodeStatus::Waiting && matches!(r.wait, Some(WaitFor::Child(_))));
    if waits_child {
        let recheck = now + CHILD_RECHECK_MS;
        return Some(next.map_or(recheck, |n| n.min(recheck)));
    }
    next
}

//! The execution state machine: pure, deterministic, no IO and no clock.
//!
//! `apply(&event)` folds one event into the state; `decide(now)` looks at the state and says
//! what should happen next, as [`Command`]s. The actor shell turns each command into its
//! event, makes the event durable, applies it, and only then performs the effect (spawn a node
//! actor, start a child execution). Replaying the event log through `apply` therefore rebuilds
//! exactly the state the live run had, and the snapshot is just this state serialized.
//!
//! Everything that needs randomness or the clock comes in through events: the retry jitter
//! seed sits in `NodeAttemptFailed`, every event carries the time it happened, and `decide`
//! gets `now` as an argument.

use crate::definition::{ERROR_PORT, MAIN_PORT, OnError};
use crate::error::{ErrorKind, ExecutionError, NodeError};
use crate::event::{Event, EventEnvelope, ExecutionStatus, ParentLink};
use crate::expr::Filter;
use crate::graph::{CompiledNode, CompiledWorkflow, Graph, NodeKind};
use crate::ids::{ExecutionId, Millis, NodePath, WorkflowId, iteration_prefix, node_path};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, OnceLock};

/// Version of the snapshot format (the serialized [`StateData`]).
pub const SNAPSHOT_FORMAT: u32 = 1;

/// How long attempts refused before reaching their target (an open circuit breaker, see
/// [`NodeError::is_refusal`]) stay free for a node with retries: such an attempt is retried
/// when the refusal says, without using up one of `max_attempts`. Long enough to ride out a
/// restart or a blip; a host down for longer makes refusals count again, so executions
/// against a dead host still fail within about this long plus their remaining attempts.
pub const REFUSAL_PATIENCE_MS: Millis = 30_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeStatus {
    /// A node actor runs it.
    Running,
    /// Its last attempt failed; the next starts at `wake_at`.
    Retrying,
    /// Waits for a timer, a signal, a child execution or its loop iterations.
    Waiting,
    Completed,
    /// Failed for good with `on_error: fail`.
    Failed,
    /// Dead-path elimination: no incoming edge was activated.
    Skipped,
    /// Stopped because its loop or the execution ended.
    Cancelled,
}

impl NodeStatus {
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            NodeStatus::Completed
                | NodeStatus::Failed
                | NodeStatus::Skipped
                | NodeStatus::Cancelled
        )
    }
}

/// What a waiting node waits for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "for", content = "id")]
pub enum WaitFor {
    Timer,
    Signal(String),
    Child(ExecutionId),
    Loop,
}

/// One node activation (all its attempts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeRun {
    pub status: NodeStatus,
    pub attempt: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<NodeError>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<WaitFor>,
    /// Retry time, timer due time or wait timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wake_at: Option<Millis>,
    /// The seq of the event that ended it: orders the inputs of a join.
    #[serde(default)]
    pub done_seq: u64,
    /// Attempts refused before reaching the target (an open circuit breaker) that did not
    /// count against `max_attempts`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub refused: u32,
    /// When the current stretch of free refusals began (see [`REFUSAL_PATIENCE_MS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused_since: Option<Millis>,
}

impl NodeRun {
    fn new(status: NodeStatus) -> Self {
        Self {
            status,
            attempt: 0,
            output: None,
            ports: Vec::new(),
            error: None,
            wait: None,
            wake_at: None,
            done_seq: 0,
            refused: 0,
            refused_since: None,
        }
    }
}

/// A running or finished `flow.for_each` / `flow.while`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoopRun {
    /// Loop node ids from the top level down to this loop: finds the body graph.
    pub route: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<Value>>,
    pub input: Value,
    /// The next iteration index to start.
    pub next: usize,
    pub active: BTreeSet<usize>,
    pub results: BTreeMap<usize, Value>,
}

/// The serializable state of an execution: what a snapshot holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateData {
    pub id: ExecutionId,
    pub workflow_id: WorkflowId,
    pub version: u32,
    pub status: ExecutionStatus,
    /// The seq of the last applied event.
    pub seq: u64,
    pub input: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<ParentLink>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Millis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<Millis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Millis>,
    pub nodes: BTreeMap<NodePath, NodeRun>,
    pub loops: BTreeMap<NodePath, LoopRun>,
    /// Signals received that no node has taken yet, per name, oldest first.
    pub signals: BTreeMap<String, VecDeque<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ExecutionError>,
    /// Node runs in `Running` status (kept so status checks are O(1)).
    pub running: u32,
    /// Node runs in `Retrying` or `Waiting` status.
    pub waiting: u32,
    /// How many times the execution was retried (`ExecutionRetried`): tells the child
    /// executions of a `flow.call` run again apart from the ones of earlier runs.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub retries: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A node for a node actor to run.
#[derive(Debug, Clone)]
pub struct NodeTask {
    pub path: NodePath,
    pub node_id: String,
    pub type_name: String,
    pub attempt: u32,
    /// Config with templates rendered.
    pub config: Value,
    /// The expression context `.`.
    pub context: Value,
    /// Outputs of the activated sources, by source id.
    pub inputs: Map<String, Value>,
    pub filters: Arc<Vec<(String, Filter)>>,
    pub timeout_ms: Option<u64>,
}

/// What the shell should do next.
#[derive(Debug, Clone)]
pub enum Command {
    /// Record `NodeScheduled`, then start a node actor.
    RunNode(NodeTask),
    /// Record `ChildStarted`, then create and start the child execution.
    StartChild {
        path: NodePath,
        child_id: ExecutionId,
        workflow_id: WorkflowId,
        version: Option<u32>,
        input: Value,
    },
    /// Stop a child execution (its parent no longer waits for it). No event.
    CancelChild { child_id: ExecutionId },
    /// Record the event; it has no effect beyond the state.
    Record(Event),
}

impl Command {
    /// The event to make durable before the command's effect.
    pub fn event(&self) -> Option<Event> {
        match self {
            Command::RunNode(t) => Some(Event::NodeScheduled {
                node: t.path.clone(),
                attempt: t.attempt,
            }),
            Command::StartChild {
                path,
                child_id,
                workflow_id,
                version,
                input,
            } => Some(Event::ChildStarted {
                node: path.clone(),
                child_id: *child_id,
                workflow_id: *workflow_id,
                version: *version,
                input: input.clone(),
            }),
            Command::CancelChild { .. } => None,
            Command::Record(e) => Some(e.clone()),
        }
    }
}

/// A graph instance being run: the top level (`prefix == ""`) or one loop iteration.
struct Frame<'w> {
    prefix: String,
    graph: &'w Graph,
    /// `prev` of the frame's entry nodes.
    entry_prev: Value,
    item: Value,
    index: Value,
}

enum Readiness {
    NotReady,
    Skip,
    Ready {
        prev: Value,
        inputs: Map<String, Value>,
    },
}

enum FrameState {
    InProgress,
    Complete(Value),
    Failed(NodePath, NodeError),
}

/// An execution's state plus the compiled workflow version it runs.
#[derive(Debug, Clone)]
pub struct ExecutionState {
    data: StateData,
    wf: Arc<CompiledWorkflow>,
}

impl PartialEq for ExecutionState {
    fn eq(&self, other: &Self) -> bool {
        self.data == other.data
    }
}

impl ExecutionState {
    /// A queued execution; the first event applied must be `ExecutionStarted`.
    pub fn new(
        wf: Arc<CompiledWorkflow>,
        id: ExecutionId,
        workflow_id: WorkflowId,
        version: u32,
    ) -> Self {
        Self {
            data: StateData {
                id,
                workflow_id,
                version,
                status: ExecutionStatus::Queued,
                seq: 0,
                input: Value::Null,
                trigger: None,
                correlation_id: None,
                parent: None,
                started_at: None,
                finished_at: None,
                deadline: None,
                nodes: BTreeMap::new(),
                loops: BTreeMap::new(),
                signals: BTreeMap::new(),
                cancel: None,
                output: None,
                error: None,
                running: 0,
                waiting: 0,
                retries: 0,
            },
            wf,
        }
    }

    /// Rebuilds a state from a snapshot.
    pub fn restore(wf: Arc<CompiledWorkflow>, snapshot: Value) -> Result<Self, serde_json::Error> {
        Ok(Self {
            data: serde_json::from_value(snapshot)?,
            wf,
        })
    }

    pub fn snapshot(&self) -> Value {
        serde_json::to_value(&self.data).expect("state always serializes")
    }

    pub fn data(&self) -> &StateData {
        &self.data
    }

    pub fn workflow(&self) -> &Arc<CompiledWorkflow> {
        &self.wf
    }

    pub fn status(&self) -> ExecutionStatus {
        self.data.status
    }

    pub fn seq(&self) -> u64 {
        self.data.seq
    }

    pub fn is_terminal(&self) -> bool {
        self.data.status.is_terminal()
    }

    /// Whether a node actor's result for `attempt` of `path` is still wanted.
    pub fn accepts_result(&self, path: &str, attempt: u32) -> bool {
        !self.is_terminal()
            && self
                .data
                .nodes
                .get(path)
                .is_some_and(|r| r.status == NodeStatus::Running && r.attempt == attempt)
    }

    /// Whether `path` waits for child execution `child`.
    pub fn awaits_child(&self, path: &str, child: ExecutionId) -> bool {
        !self.is_terminal()
            && self.data.nodes.get(path).is_some_and(|r| {
                r.status == NodeStatus::Waiting && r.wait == Some(WaitFor::Child(child))
            })
    }

    /// Node runs currently in the hands of node actors.
    pub fn running_nodes(&self) -> impl Iterator<Item = (&NodePath, &NodeRun)> {
        self.data
            .nodes
            .iter()
            .filter(|(_, r)| r.status == NodeStatus::Running)
    }

    /// Whether something runs right now (a node actor). When not, and the execution is not
    /// finished, it only waits: its actor can passivate.
    pub fn has_running_work(&self) -> bool {
        self.data.running > 0
    }

    /// The earliest time `decide` has something to do without a new event.
    pub fn next_wakeup(&self) -> Option<Millis> {
        if self.is_terminal() || self.data.waiting == 0 && self.data.deadline.is_none() {
            return None;
        }
        let nodes = self
            .data
            .nodes
            .values()
            .filter(|r| matches!(r.status, NodeStatus::Retrying | NodeStatus::Waiting))
            .filter_map(|r| r.wake_at);
        nodes.chain(self.data.deadline).min()
    }

    /// The event that starts a queued execution.
    pub fn start_event(
        input: Value,
        parent: Option<ParentLink>,
        trigger: Option<String>,
        workflow_id: WorkflowId,
        version: u32,
    ) -> Event {
        Event::ExecutionStarted {
            workflow_id,
            version,
            input,
            parent,
            trigger,
            correlation_id: None,
        }
    }

    /// The event that retries this execution, when it failed or timed out (`None` otherwise).
    ///
    /// It resets the nodes whose failure failed the execution (failed nodes of the top-level
    /// graph; a failed loop is run again as a whole) and the nodes whose work was cut off when
    /// it ended (running nodes and `flow.call`s waiting for a child, whose node actors and
    /// children were stopped). Everything else stays: completed nodes keep their outputs,
    /// timers and signals still wait, nodes waiting to retry still do.
    pub fn retry_event(&self) -> Option<Event> {
        if !matches!(
            self.data.status,
            ExecutionStatus::Failed | ExecutionStatus::TimedOut
        ) {
            return None;
        }
        let nodes = self
            .data
            .nodes
            .iter()
            .filter(|(path, run)| match run.status {
                NodeStatus::Failed => !path.contains('/'),
                NodeStatus::Running => true,
                NodeStatus::Waiting => matches!(run.wait, Some(WaitFor::Child(_))),
                _ => false,
            })
            .map(|(path, _)| path.clone())
            .collect();
        Some(Event::ExecutionRetried { nodes })
    }

    /// The id of the child execution a `flow.call` at `path` starts: derived from the
    /// execution id and the path (so a re-dispatch finds the same child), and the retry
    /// count (so a retried execution gets a fresh child, not the one that failed).
    fn child_id(&self, path: &str) -> ExecutionId {
        match self.data.retries {
            0 => self.data.id.child(path),
            n => self.data.id.child(&format!("{path}#retry{n}")),
        }
    }

    // ---- apply ---------------------------------------------------------------------------

    /// Folds one event into the state. Never fails: events were valid when recorded.
    pub fn apply(&mut self, env: &EventEnvelope) {
        let at = env.at;
        self.data.seq = env.seq;
        match &env.event {
            Event::ExecutionStarted {
                input,
                parent,
                trigger,
                correlation_id,
                ..
            } => {
                self.data.status = ExecutionStatus::Running;
                self.data.input = input.clone();
                self.data.parent = parent.clone();
                self.data.trigger = trigger.clone();
                self.data.correlation_id = correlation_id.clone();
                self.data.started_at = Some(at);
                self.data.deadline = self
                    .wf
                    .settings
                    .timeout_ms
                    .map(|t| at.saturating_add(t as i64));
            }
            Event::NodeScheduled { node, attempt } => self.update(node, |run, c| {
                c.set(run, NodeStatus::Running);
                run.attempt = *attempt;
                run.wake_at = None;
                run.wait = None;
            }),
            Event::NodeCompleted {
                node,
                output,
                ports,
            } => {
                if let Some(WaitFor::Signal(name)) =
                    self.data.nodes.get(node).and_then(|r| r.wait.clone())
                    && let Some(q) = self.data.signals.get_mut(&name)
                {
                    q.pop_front();
                    if q.is_empty() {
                        self.data.signals.remove(&name);
                    }
                }
                self.update(node, |run, c| {
                    c.set(run, NodeStatus::Completed);
                    run.attempt = run.attempt.max(1);
                    run.output = non_null(output);
                    run.ports = ports.clone();
                    run.wake_at = None;
                    run.wait = None;
                    run.done_seq = env.seq;
                });
                self.cancel_nested(node);
            }
            Event::NodeAttemptFailed {
                node,
                attempt,
                error,
                seed,
            } => {
                let (refused_before, refused_since) = self
                    .data
                    .nodes
                    .get(node)
                    .map_or((0, None), |r| (r.refused, r.refused_since));
                let (retry, free, on_error, backoff) = match self.locate(node) {
                    Some(n) => {
                        let retryable = n.kind.is_task()
                            && error.kind.is_retryable()
                            && self.data.cancel.is_none();
                        // A refusal costs nothing while the node has retries and the
                        // patience lasts; without retries the node fails fast, which is what
                        // its author asked for.
                        let free = retryable
                            && error.is_refusal()
                            && n.retry.max_attempts > 1
                            && refused_since
                                .is_none_or(|since| at.saturating_sub(since) < REFUSAL_PATIENCE_MS);
                        let spent = attempt.saturating_sub(refused_before + u32::from(free));
                        let backoff = if free {
                            error
                                .retry_after_ms()
                                .unwrap_or_else(|| n.retry.interval_ms(1))
                        } else {
                            n.retry
                                .backoff_ms(spent.max(1), *seed)
                                .max(error.retry_after_ms().unwrap_or(0))
                        };
                        (
                            retryable && (free || n.retry.allows_retry_after(spent)),
                            free,
                            n.on_error,
                            backoff,
                        )
                    }
                    None => (false, false, OnError::Fail, 0),
                };
                self.update(node, |run, c| {
                    run.attempt = *attempt;
                    run.error = Some(error.clone());
                    run.wait = None;
                    if free {
                        run.refused += 1;
                        run.refused_since.get_or_insert(at);
                    } else if !error.is_refusal() {
                        run.refused_since = None;
                    }
                    if retry {
                        c.set(run, NodeStatus::Retrying);
                        run.wake_at = Some(at.saturating_add(backoff as i64));
                        return;
                    }
                    run.wake_at = None;
                    run.done_seq = env.seq;
                    match on_error {
                        OnError::Fail => c.set(run, NodeStatus::Failed),
                        OnError::Continue | OnError::Route => {
                            c.set(run, NodeStatus::Completed);
                            run.output = non_null(&error.to_output());
                            let port = if on_error == OnError::Route {
                                ERROR_PORT
                            } else {
                                MAIN_PORT
                            };
                            run.ports = vec![port.to_string()];
                        }
                    }
                });
                if !retry {
                    self.cancel_nested(node);
                }
            }
            Event::NodeSkipped { node } => self.update(node, |run, c| {
                c.set(run, NodeStatus::Skipped);
                run.done_seq = env.seq;
            }),
            Event::TimerStarted { node, due_at } => self.update(node, |run, c| {
                c.set(run, NodeStatus::Waiting);
                run.attempt = run.attempt.max(1);
                run.wait = Some(WaitFor::Timer);
                run.wake_at = Some(*due_at);
            }),
            Event::SignalAwaited {
                node,
                name,
                timeout_at,
            } => self.update(node, |run, c| {
                c.set(run, NodeStatus::Waiting);
                run.attempt = run.attempt.max(1);
                run.wait = Some(WaitFor::Signal(name.clone()));
                run.wake_at = *timeout_at;
            }),
            Event::SignalReceived { name, payload } => {
                self.data
                    .signals
                    .entry(name.clone())
                    .or_default()
                    .push_back(payload.clone());
            }
            Event::ChildStarted { node, child_id, .. } => {
                let timeout = self.locate(node).and_then(|n| n.timeout_ms);
                self.update(node, |run, c| {
                    c.set(run, NodeStatus::Waiting);
                    run.attempt = run.attempt.max(1);
                    run.wait = Some(WaitFor::Child(*child_id));
                    run.wake_at = timeout.map(|t| at.saturating_add(t as i64));
                });
            }
            Event::LoopStarted { node, input, items } => {
                self.update(node, |run, c| {
                    c.set(run, NodeStatus::Waiting);
                    run.attempt = run.attempt.max(1);
                    run.wait = Some(WaitFor::Loop);
                });
                let (mut route, id) = split_path(node);
                route.push(id.to_string());
                self.data.loops.insert(
                    node.clone(),
                    LoopRun {
                        route,
                        items: items.clone(),
                        input: input.clone(),
                        next: 0,
                        active: BTreeSet::new(),
                        results: BTreeMap::new(),
                    },
                );
            }
            Event::IterationStarted { node, index } => {
                if let Some(l) = self.data.loops.get_mut(node) {
                    l.active.insert(*index);
                    l.next = l.next.max(index + 1);
                }
            }
            Event::IterationCompleted {
                node,
                index,
                output,
            } => {
                if let Some(l) = self.data.loops.get_mut(node) {
                    l.active.remove(index);
                    l.results.insert(*index, output.clone());
                }
            }
            Event::CancelRequested { reason } => {
                if !self.is_terminal() {
                    self.data.cancel = Some(reason.clone());
                }
            }
            Event::ExecutionRetried { nodes } => {
                for path in nodes {
                    self.reset(path);
                }
                self.data.status = ExecutionStatus::Running;
                self.data.finished_at = None;
                self.data.output = None;
                self.data.error = None;
                self.data.cancel = None;
                self.data.retries += 1;
                // A fresh time limit: a timed-out execution would otherwise end at once.
                self.data.deadline = self
                    .wf
                    .settings
                    .timeout_ms
                    .map(|t| at.saturating_add(t as i64));
            }
            // Logs are history for people; the state does not depend on them.
            Event::Log { .. } => {}
            Event::ExecutionFinished {
                status,
                output,
                error,
            } => {
                self.data.status = *status;
                self.data.output = output.as_ref().and_then(non_null);
                self.data.error = error.clone();
                self.data.finished_at = Some(at);
                return;
            }
        }
        if !self.is_terminal() && self.data.status != ExecutionStatus::Queued {
            self.data.status = if self.data.running == 0 && self.data.waiting > 0 {
                ExecutionStatus::Waiting
            } else {
                ExecutionStatus::Running
            };
        }
    }

    /// Changes the run at `path` (created on first use), keeping the status counters right.
    fn update(&mut self, path: &str, f: impl FnOnce(&mut NodeRun, &mut Counters<'_>)) {
        let StateData {
            nodes,
            running,
            waiting,
            ..
        } = &mut self.data;
        let run = nodes
            .entry(path.to_string())
            .or_insert_with(|| NodeRun::new(NodeStatus::Skipped));
        f(run, &mut Counters { running, waiting });
    }

    /// Forgets the run at `path` and, for a loop, everything inside its iterations, so
    /// `decide` activates the node again from scratch (attempt 1).
    fn reset(&mut self, path: &str) {
        let lo = format!("{path}[");
        let hi = format!("{path}\\");
        let nested: Vec<NodePath> = self
            .data
            .nodes
            .range(lo.clone()..hi.clone())
            .map(|(p, _)| p.clone())
            .chain(std::iter::once(path.to_string()))
            .collect();
        for p in nested {
            if let Some(run) = self.data.nodes.remove(&p) {
                match run.status {
                    NodeStatus::Running => self.data.running -= 1,
                    NodeStatus::Retrying | NodeStatus::Waiting => self.data.waiting -= 1,
                    _ => {}
                }
            }
        }
        let loops: Vec<NodePath> = self
            .data
            .loops
            .range(lo..hi)
            .map(|(p, _)| p.clone())
            .collect();
        for p in loops {
            self.data.loops.remove(&p);
        }
        self.data.loops.remove(path);
    }

    /// Cancels every unfinished node run inside the iterations of the loop at `path`.
    fn cancel_nested(&mut self, path: &str) {
        if !self.data.loops.contains_key(path) {
            return;
        }
        let lo = format!("{path}[");
        let hi = format!("{path}\\");
        let mut running = self.data.running;
        let mut waiting = self.data.waiting;
        for (_, run) in self.data.nodes.range_mut(lo..hi) {
            match run.status {
                NodeStatus::Running => running -= 1,
                NodeStatus::Retrying | NodeStatus::Waiting => waiting -= 1,
                _ => continue,
            }
            run.status = NodeStatus::Cancelled;
            run.wake_at = None;
        }
        self.data.running = running;
        self.data.waiting = waiting;
    }

    /// The compiled node at a node path.
    pub fn locate(&self, path: &str) -> Option<&CompiledNode> {
        let (route, id) = split_path(path);
        self.wf.graph(&route)?.node(id)
    }

    // ---- decide --------------------------------------------------------------------------

    /// What should happen next, given the state and the time. Applying the commands' events
    /// in order is always valid; calling `decide` again afterwards yields the follow-ups.
    pub fn decide(&self, now: Millis) -> Vec<Command> {
        let d = &self.data;
        if d.status.is_terminal() || d.status == ExecutionStatus::Queued {
            return Vec::new();
        }
        if let Some(reason) = &d.cancel {
            let err = ExecutionError {
                kind: ErrorKind::Cancelled,
                message: format!("cancelled: {reason}"),
                node: None,
                details: None,
            };
            return self.finish(ExecutionStatus::Cancelled, None, Some(err));
        }
        if let Some(deadline) = d.deadline
            && now >= deadline
        {
            let err = ExecutionError {
                kind: ErrorKind::Timeout,
                message: format!(
                    "the execution exceeded its time limit of {} ms",
                    self.wf.settings.timeout_ms.unwrap_or_default()
                ),
                node: None,
                details: None,
            };
            return self.finish(ExecutionStatus::TimedOut, None, Some(err));
        }
        let root = self.root_frame();
        match self.frame_state(&root) {
            FrameState::Failed(path, e) => {
                let err = ExecutionError::from_node(&path, &e);
                return self.finish(ExecutionStatus::Failed, None, Some(err));
            }
            FrameState::Complete(output) => {
                return self.finish(ExecutionStatus::Succeeded, Some(output), None);
            }
            FrameState::InProgress => {}
        }

        let mut cmds = Vec::new();
        let max = self.wf.settings.max_parallel_nodes as usize;
        let mut budget = max.saturating_sub(d.running as usize);
        let mut signals_taken: HashMap<&str, usize> = HashMap::new();
        self.decide_frame(&root, now, &mut budget, &mut signals_taken, &mut cmds);
        for (path, lp) in &d.loops {
            if d.nodes
                .get(path)
                .is_none_or(|r| r.status != NodeStatus::Waiting)
            {
                continue;
            }
            self.decide_loop(path, lp, &mut budget, now, &mut signals_taken, &mut cmds);
        }
        cmds
    }

    fn finish(
        &self,
        status: ExecutionStatus,
        output: Option<Value>,
        error: Option<ExecutionError>,
    ) -> Vec<Command> {
        let mut cmds: Vec<Command> = self
            .data
            .nodes
            .values()
            .filter(|r| r.status == NodeStatus::Waiting)
            .filter_map(|r| match r.wait {
                Some(WaitFor::Child(child_id)) => Some(Command::CancelChild { child_id }),
                _ => None,
            })
            .collect();
        cmds.push(Command::Record(Event::ExecutionFinished {
            status,
            output,
            error,
        }));
        cmds
    }

    fn root_frame(&self) -> Frame<'_> {
        Frame {
            prefix: String::new(),
            graph: &self.wf.root,
            entry_prev: self.data.input.clone(),
            item: Value::Null,
            index: Value::Null,
        }
    }

    fn iteration_frame<'s>(&'s self, path: &str, lp: &LoopRun, index: usize) -> Option<Frame<'s>> {
        let graph = self.wf.graph(&lp.route)?;
        let (item, entry_prev) = match &lp.items {
            Some(items) => {
                let item = items.get(index).cloned().unwrap_or(Value::Null);
                (item.clone(), item)
            }
            None => {
                let prev = match index.checked_sub(1) {
                    Some(p) => lp.results.get(&p).cloned().unwrap_or(Value::Null),
                    None => lp.input.clone(),
                };
                (Value::Null, prev)
            }
        };
        Some(Frame {
            prefix: iteration_prefix(path, index),
            graph,
            entry_prev,
            item,
            index: json!(index),
        })
    }

    fn decide_frame<'s>(
        &'s self,
        frame: &Frame<'_>,
        now: Millis,
        budget: &mut usize,
        signals_taken: &mut HashMap<&'s str, usize>,
        cmds: &mut Vec<Command>,
    ) {
        for node in &frame.graph.nodes {
            let path = node_path(&frame.prefix, &node.id);
            match self.data.nodes.get(&path) {
                None => match self.readiness(frame, node) {
                    Readiness::NotReady => {}
                    Readiness::Skip => {
                        cmds.push(Command::Record(Event::NodeSkipped { node: path }))
                    }
                    Readiness::Ready { prev, inputs } => {
                        self.activate(frame, node, path, prev, inputs, 1, now, budget, cmds)
                    }
                },
                Some(run) => match run.status {
                    NodeStatus::Retrying if run.wake_at.is_none_or(|t| t <= now) => {
                        if let Readiness::Ready { prev, inputs } = self.readiness(frame, node) {
                            self.activate(
                                frame,
                                node,
                                path,
                                prev,
                                inputs,
                                run.attempt + 1,
                                now,
                                budget,
                                cmds,
                            );
                        }
                    }
                    NodeStatus::Waiting => match &run.wait {
                        Some(WaitFor::Timer) if run.wake_at.is_none_or(|t| t <= now) => {
                            let prev = match self.readiness(frame, node) {
                                Readiness::Ready { prev, .. } => prev,
                                _ => Value::Null,
                            };
                            cmds.push(Command::Record(Event::NodeCompleted {
                                node: path,
                                output: prev,
                                ports: vec![MAIN_PORT.to_string()],
                            }));
                        }
                        Some(WaitFor::Signal(name)) => {
                            let taken = signals_taken.entry(name.as_str()).or_default();
                            let queued = self.data.signals.get(name);
                            if let Some(payload) = queued.and_then(|q| q.get(*taken)) {
                                *taken += 1;
                                cmds.push(Command::Record(Event::NodeCompleted {
                                    node: path,
                                    output: payload.clone(),
                                    ports: vec![MAIN_PORT.to_string()],
                                }));
                            } else if run.wake_at.is_some_and(|t| t <= now) {
                                cmds.push(Command::Record(Event::NodeAttemptFailed {
                                    node: path,
                                    attempt: run.attempt,
                                    error: NodeError::timeout(format!(
                                        "no signal `{name}` arrived in time"
                                    )),
                                    seed: 0,
                                }));
                            }
                        }
                        Some(WaitFor::Child(child_id)) if run.wake_at.is_some_and(|t| t <= now) => {
                            cmds.push(Command::CancelChild {
                                child_id: *child_id,
                            });
                            cmds.push(Command::Record(Event::NodeAttemptFailed {
                                node: path,
                                attempt: run.attempt,
                                error: NodeError::timeout(
                                    "the child execution did not finish in time",
                                ),
                                seed: 0,
                            }));
                        }
                        _ => {}
                    },
                    _ => {}
                },
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn activate(
        &self,
        frame: &Frame<'_>,
        node: &CompiledNode,
        path: NodePath,
        prev: Value,
        inputs: Map<String, Value>,
        attempt: u32,
        now: Millis,
        budget: &mut usize,
        cmds: &mut Vec<Command>,
    ) {
        if node.kind.is_task() {
            if *budget == 0 {
                return;
            }
            *budget -= 1;
        }
        let context = self.context(frame, prev.clone());
        let fail = |path: NodePath, error: NodeError| {
            Command::Record(Event::NodeAttemptFailed {
                node: path,
                attempt,
                error,
                seed: 0,
            })
        };
        let config = match node.config.render(&context) {
            Ok(c) => c,
            Err(e) => {
                let msg = format!("config{}: {}", e.pointer, e.error.message);
                cmds.push(fail(path, NodeError::config(msg)));
                return;
            }
        };
        match &node.kind {
            NodeKind::Task | NodeKind::Merge { .. } => cmds.push(Command::RunNode(NodeTask {
                path,
                node_id: node.id.clone(),
                type_name: node.type_name.clone(),
                attempt,
                config,
                context,
                inputs,
                filters: node.filters.clone(),
                timeout_ms: node.timeout_ms,
            })),
            NodeKind::Wait => match wait_due(&config, now) {
                Ok(due_at) => {
                    cmds.push(Command::Record(Event::TimerStarted { node: path, due_at }))
                }
                Err(e) => cmds.push(fail(path, e)),
            },
            NodeKind::Signal => {
                let name = config.get("name").and_then(Value::as_str).unwrap_or("");
                match optional_u64(&config, "timeout_ms") {
                    Ok(_) if name.is_empty() => cmds.push(fail(
                        path,
                        NodeError::config("config/name: a signal name (string) is required"),
                    )),
                    Ok(timeout_ms) => cmds.push(Command::Record(Event::SignalAwaited {
                        node: path,
                        name: name.to_string(),
                        timeout_at: timeout_ms.map(|t| now.saturating_add(t as i64)),
                    })),
                    Err(e) => cmds.push(fail(path, e)),
                }
            }
            NodeKind::Call => {
                let workflow_id = config
                    .get("workflow_id")
                    .and_then(Value::as_str)
                    .map(WorkflowId::parse);
                let version = match optional_u64(&config, "version") {
                    Ok(v) => v.map(|v| v as u32),
                    Err(e) => return cmds.push(fail(path, e)),
                };
                match workflow_id {
                    Some(Ok(workflow_id)) => {
                        let input = config.get("input").cloned().unwrap_or(prev);
                        cmds.push(Command::StartChild {
                            child_id: self.child_id(&path),
                            path,
                            workflow_id,
                            version,
                            input,
                        });
                    }
                    Some(Err(e)) => cmds.push(fail(
                        path,
                        NodeError::config(format!("config/workflow_id: {e}")),
                    )),
                    None => cmds.push(fail(
                        path,
                        NodeError::config("config/workflow_id: a workflow id is required"),
                    )),
                }
            }
            NodeKind::ForEach { .. } => match config.get("items") {
                Some(Value::Array(items)) => cmds.push(Command::Record(Event::LoopStarted {
                    node: path,
                    input: prev,
                    items: Some(items.clone()),
                })),
                other => {
                    let got = other.map_or("nothing", kind_of);
                    cmds.push(fail(
                        path,
                        NodeError::config(format!("config/items: must give an array, got {got}")),
                    ));
                }
            },
            NodeKind::While { .. } => cmds.push(Command::Record(Event::LoopStarted {
                node: path,
                input: prev,
                items: None,
            })),
        }
    }

    fn decide_loop<'s>(
        &'s self,
        path: &str,
        lp: &'s LoopRun,
        budget: &mut usize,
        now: Millis,
        signals_taken: &mut HashMap<&'s str, usize>,
        cmds: &mut Vec<Command>,
    ) {
        let Some(node) = self.locate(path) else {
            return;
        };
        let attempt = self.data.nodes.get(path).map_or(1, |r| r.attempt);
        let mut finished_one = false;
        for &i in &lp.active {
            let Some(frame) = self.iteration_frame(path, lp, i) else {
                return;
            };
            match self.frame_state(&frame) {
                FrameState::Failed(at, e) => {
                    let error = NodeError {
                        kind: e.kind,
                        message: format!("iteration {i}: node `{at}` failed: {}", e.message),
                        details: e.details.clone(),
                    };
                    cmds.push(Command::Record(Event::NodeAttemptFailed {
                        node: path.to_string(),
                        attempt,
                        error,
                        seed: 0,
                    }));
                    return;
                }
                FrameState::Complete(output) => {
                    finished_one = true;
                    cmds.push(Command::Record(Event::IterationCompleted {
                        node: path.to_string(),
                        index: i,
                        output,
                    }));
                }
                FrameState::InProgress => {
                    self.decide_frame(&frame, now, budget, signals_taken, cmds)
                }
            }
        }
        if finished_one {
            // Start or finish after these completions are applied, on the next decide.
            return;
        }
        let complete = |cmds: &mut Vec<Command>| {
            cmds.push(Command::Record(Event::NodeCompleted {
                node: path.to_string(),
                output: Value::Array(lp.results.values().cloned().collect()),
                ports: vec![MAIN_PORT.to_string()],
            }))
        };
        match &node.kind {
            NodeKind::ForEach { max_concurrency } => {
                let total = lp.items.as_ref().map_or(0, Vec::len);
                if lp.next >= total && lp.active.is_empty() {
                    return complete(cmds);
                }
                let mut active = lp.active.len();
                let mut next = lp.next;
                while active < *max_concurrency && next < total {
                    cmds.push(Command::Record(Event::IterationStarted {
                        node: path.to_string(),
                        index: next,
                    }));
                    active += 1;
                    next += 1;
                }
            }
            NodeKind::While {
                condition,
                max_iterations,
            } => {
                if !lp.active.is_empty() {
                    return;
                }
                if lp.next >= *max_iterations {
                    return complete(cmds);
                }
                let prev = match lp.next.checked_sub(1) {
                    Some(p) => lp.results.get(&p).cloned().unwrap_or(Value::Null),
                    None => lp.input.clone(),
                };
                let (frame_prefix, _) = path.rsplit_once('/').map_or(("", path), |(a, b)| (a, b));
                let outer = self.frame_for_prefix(if frame_prefix.is_empty() {
                    String::new()
                } else {
                    format!("{frame_prefix}/")
                });
                let mut ctx = self.context(&outer, prev);
                ctx["index"] = json!(lp.next);
                match condition.render(&ctx) {
                    Ok(v) if truthy(&v) => cmds.push(Command::Record(Event::IterationStarted {
                        node: path.to_string(),
                        index: lp.next,
                    })),
                    Ok(_) => complete(cmds),
                    Err(e) => cmds.push(Command::Record(Event::NodeAttemptFailed {
                        node: path.to_string(),
                        attempt,
                        error: NodeError::permanent(format!("config/condition: {}", e.message)),
                        seed: 0,
                    })),
                }
            }
            _ => {}
        }
    }

    /// The frame a prefix names (`""` or `a[1]/b[0]/`).
    fn frame_for_prefix(&self, prefix: String) -> Frame<'_> {
        if prefix.is_empty() {
            return self.root_frame();
        }
        let loop_seg = prefix.trim_end_matches('/');
        if let Some((loop_path, idx)) = loop_seg.rsplit_once('[')
            && let (Some(lp), Ok(i)) = (
                self.data.loops.get(loop_path),
                idx.trim_end_matches(']').parse(),
            )
            && let Some(f) = self.iteration_frame(loop_path, lp, i)
        {
            return f;
        }
        self.root_frame()
    }

    fn readiness(&self, frame: &Frame<'_>, node: &CompiledNode) -> Readiness {
        if node.incoming.is_empty() {
            if frame.prefix.is_empty()
                && node.trigger
                && let Some(t) = &self.data.trigger
                && t != &node.id
            {
                return Readiness::Skip;
            }
            return Readiness::Ready {
                prev: frame.entry_prev.clone(),
                inputs: Map::new(),
            };
        }
        let any = matches!(node.kind, NodeKind::Merge { any: true });
        let mut activated: Vec<(u64, &str, &Value)> = Vec::new();
        let mut unresolved = false;
        for &e in &node.incoming {
            let edge = &frame.graph.edges[e];
            let src = &frame.graph.nodes[edge.from];
            match self.data.nodes.get(&node_path(&frame.prefix, &src.id)) {
                Some(run) if run.status == NodeStatus::Completed => {
                    if run.ports.iter().any(|p| p == &edge.port)
                        && !activated.iter().any(|(_, id, _)| *id == src.id)
                    {
                        activated.push((
                            run.done_seq,
                            &src.id,
                            run.output.as_ref().unwrap_or(&Value::Null),
                        ));
                    }
                }
                Some(run) if run.status.is_terminal() => {}
                _ => unresolved = true,
            }
        }
        if activated.is_empty() {
            return if unresolved {
                Readiness::NotReady
            } else {
                Readiness::Skip
            };
        }
        if unresolved && !any {
            return Readiness::NotReady;
        }
        activated.sort_by_key(|(seq, _, _)| *seq);
        let inputs: Map<String, Value> = activated
            .iter()
            .map(|(_, id, v)| (id.to_string(), (*v).clone()))
            .collect();
        let prev = if activated.len() == 1 || any {
            activated[0].2.clone()
        } else {
            Value::Object(inputs.clone())
        };
        Readiness::Ready { prev, inputs }
    }

    fn frame_state(&self, frame: &Frame<'_>) -> FrameState {
        let mut done = 0;
        for node in &frame.graph.nodes {
            match self.data.nodes.get(&node_path(&frame.prefix, &node.id)) {
                Some(run) if run.status == NodeStatus::Failed => {
                    let err = run
                        .error
                        .clone()
                        .unwrap_or_else(|| NodeError::permanent("failed"));
                    return FrameState::Failed(node_path(&frame.prefix, &node.id), err);
                }
                Some(run) if matches!(run.status, NodeStatus::Completed | NodeStatus::Skipped) => {
                    done += 1
                }
                _ => {}
            }
        }
        if done < frame.graph.nodes.len() {
            return FrameState::InProgress;
        }
        FrameState::Complete(self.frame_output(frame))
    }

    /// The output of terminal nodes that ran: one → its output; several → keyed by id.
    fn frame_output(&self, frame: &Frame<'_>) -> Value {
        let mut ran: Vec<(&str, Value)> = frame
            .graph
            .terminals()
            .filter_map(|n| {
                let run = self.data.nodes.get(&node_path(&frame.prefix, &n.id))?;
                (run.status == NodeStatus::Completed)
                    .then(|| (n.id.as_str(), run.output.clone().unwrap_or(Value::Null)))
            })
            .collect();
        match ran.len() {
            0 => Value::Null,
            1 => ran.pop().map(|(_, v)| v).unwrap_or(Value::Null),
            _ => Value::Object(ran.into_iter().map(|(k, v)| (k.to_string(), v)).collect()),
        }
    }

    /// The expression context `.` for a node in `frame` activated with `prev`.
    fn context(&self, frame: &Frame<'_>, prev: Value) -> Value {
        let mut nodes = Map::new();
        // Outer frames first, so inner outputs shadow outer ones with the same id.
        let mut prefixes = vec![String::new()];
        let mut acc = String::new();
        for seg in frame.prefix.split_terminator('/') {
            acc.push_str(seg);
            acc.push('/');
            prefixes.push(acc.clone());
        }
        for p in &prefixes {
            let (route, _) = split_path(&format!("{p}x"));
            let Some(graph) = self.wf.graph(&route) else {
                continue;
            };
            for n in &graph.nodes {
                if let Some(run) = self.data.nodes.get(&node_path(p, &n.id))
                    && run.status == NodeStatus::Completed
                {
                    nodes.insert(n.id.clone(), run.output.clone().unwrap_or(Value::Null));
                }
            }
        }
        json!({
            "input": self.data.input,
            "prev": prev,
            "nodes": nodes,
            "item": frame.item,
            "index": frame.index,
            "execution": {
                "id": self.data.id,
                "workflow_id": self.data.workflow_id,
                "version": self.data.version,
            },
            "vars": self.wf.vars,
        })
    }

    /// Commands that put back the effects a crashed owner had in flight: node actors for
    /// running nodes (same attempt, so the same idempotency key) and child executions. They
    /// carry no new event; the shell performs them directly.
    pub fn redispatch(&self) -> Vec<Command> {
        let mut cmds = Vec::new();
        if self.is_terminal() {
            return cmds;
        }
        for (path, run) in &self.data.nodes {
            let in_flight = run.status == NodeStatus::Running
                || (run.status == NodeStatus::Waiting
                    && matches!(run.wait, Some(WaitFor::Child(_))));
            if !in_flight {
                continue;
            }
            let Some(node) = self.locate(path) else {
                continue;
            };
            let prefix = &path[..path.len() - node.id.len()];
            let frame = self.frame_for_prefix(prefix.to_string());
            let Readiness::Ready { prev, inputs } = self.readiness(&frame, node) else {
                continue;
            };
            let context = self.context(&frame, prev.clone());
            let Ok(config) = node.config.render(&context) else {
                continue;
            };
            match run.wait {
                Some(WaitFor::Child(child_id)) => {
                    let workflow_id = config
                        .get("workflow_id")
                        .and_then(Value::as_str)
                        .map(WorkflowId::parse);
                    if let Some(Ok(workflow_id)) = workflow_id {
                        cmds.push(Command::StartChild {
                            path: path.clone(),
                            child_id,
                            workflow_id,
                            version: config
                                .get("version")
                                .and_then(Value::as_u64)
                                .map(|v| v as u32),
                            input: config.get("input").cloned().unwrap_or(prev),
                        });
                    }
                }
                _ => cmds.push(Command::RunNode(NodeTask {
                    path: path.clone(),
                    node_id: node.id.clone(),
                    type_name: node.type_name.clone(),
                    attempt: run.attempt,
                    config,
                    context,
                    inputs,
                    filters: node.filters.clone(),
                    timeout_ms: node.timeout_ms,
                })),
            }
        }
        cmds
    }
}

/// The `running` / `waiting` counters of a state, borrowed beside one of its node runs.
struct Counters<'a> {
    running: &'a mut u32,
    waiting: &'a mut u32,
}

impl Counters<'_> {
    fn set(&mut self, run: &mut NodeRun, status: NodeStatus) {
        match run.status {
            NodeStatus::Running => *self.running -= 1,
            NodeStatus::Retrying | NodeStatus::Waiting => *self.waiting -= 1,
            _ => {}
        }
        match status {
            NodeStatus::Running => *self.running += 1,
            NodeStatus::Retrying | NodeStatus::Waiting => *self.waiting += 1,
            _ => {}
        }
        run.status = status;
    }
}

/// Splits `a[1]/b[0]/c` into the loop route `["a", "b"]` and the node id `c`.
fn split_path(path: &str) -> (Vec<String>, &str) {
    let mut route = Vec::new();
    let mut segs = path.split('/').peekable();
    let mut last = path;
    while let Some(seg) = segs.next() {
        if segs.peek().is_none() {
            last = seg;
        } else {
            route.push(seg.split('[').next().unwrap_or(seg).to_string());
        }
    }
    (route, last)
}

/// `Some(v)` unless `v` is null: a stored `null` reads back as absent, so the state never
/// holds `Some(Null)` and a snapshot round trip is exact.
fn non_null(v: &Value) -> Option<Value> {
    (!v.is_null()).then(|| v.clone())
}

/// jq truthiness: `false` and `null` are false, everything else true.
pub fn truthy(v: &Value) -> bool {
    !matches!(v, Value::Null | Value::Bool(false))
}

/// A JSON value's kind in words, for error messages: "expected an array, got a string".
pub fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// An optional non-negative integer field of a rendered config; anything else there is a
/// config error naming the field (a template may render to a string or null).
fn optional_u64(config: &Value, field: &str) -> Result<Option<u64>, NodeError> {
    match config.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_u64().map(Some).ok_or_else(|| {
            NodeError::config(format!(
                "config/{field}: must be a non-negative integer, got {v}"
            ))
        }),
    }
}

/// When a `flow.wait` with rendered `config` started at `now` is due.
fn wait_due(config: &Value, now: Millis) -> Result<Millis, NodeError> {
    if let Some(d) = config.get("duration_ms") {
        let ms = d
            .as_u64()
            .or_else(|| d.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
            .ok_or_else(|| {
                NodeError::config(format!(
                    "config/duration_ms: must be a non-negative number, got {d}"
                ))
            })?;
        return Ok(now.saturating_add(ms as i64));
    }
    if let Some(u) = config.get("until") {
        let s = u
            .as_str()
            .ok_or_else(|| NodeError::config("config/until: must be an RFC 3339 time string"))?;
        return parse_rfc3339(s).ok_or_else(|| {
            NodeError::config(format!("config/until: `{s}` is not an RFC 3339 time"))
        });
    }
    Err(NodeError::config(
        "config: flow.wait needs duration_ms or until",
    ))
}

/// Parses an RFC 3339 timestamp into Unix milliseconds, with jq's date functions.
fn parse_rfc3339(s: &str) -> Option<Millis> {
    static PARSER: OnceLock<Filter> = OnceLock::new();
    let f =
        PARSER.get_or_init(|| Filter::compile("fromdateiso8601").expect("builtin filter compiles"));
    let secs = f.first(&Value::String(s.to_string())).ok()?;
    secs.as_f64().map(|s| (s * 1000.0).round() as Millis)
}

#[cfg(test)]
mod tests;

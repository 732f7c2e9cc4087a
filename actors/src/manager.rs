//! ExecutionManager: admission, routing by execution id, and rehydration.
//!
//! New executions wait in a priority queue (higher priority first, then first come) until a
//! slot is free under `max_in_flight` and their workflow's `max_concurrency`. Messages for an
//! execution go through here by id: to its actor when it has one, otherwise the execution is
//! rehydrated from the store (ahead of new work) and the messages are delivered once it is up.
//! ExecutionActors are linked to the manager, so it learns of every stop and failure.

use crate::engine::Shared;
use crate::execution::{ExecArgs, ExecutionActor, ExecutionMsg};
use ractor::{Actor, ActorId, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};
use std::cmp::Ordering as CmpOrdering;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tracing::{debug, warn};
use weft_core::{ExecutionId, WorkflowId};
use weft_persistence::ExecutionRecord;

/// Rehydrations and deliveries go ahead of new executions (whose priority is 0–9).
const REHYDRATE_PRIORITY: u8 = 100;

pub(crate) enum ManagerMsg {
    /// A new execution is stored as queued; run it when there is room.
    /// `record` spares the actor a read when it starts.
    Admit {
        id: ExecutionId,
        workflow_id: WorkflowId,
        priority: u8,
        max_concurrency: Option<u32>,
        record: Option<Box<ExecutionRecord>>,
    },
    /// Running executions of a previous owner: bring them back ahead of new work. They count
    /// toward their workflow's max_concurrency but are not held back by it.
    Resume { ids: Vec<(ExecutionId, WorkflowId)> },
    /// An execution actor loaded its execution (tells the manager its workflow when the
    /// manager did not know it: rehydrated by id).
    Loaded {
        id: ExecutionId,
        workflow_id: WorkflowId,
    },
    /// These executions have something due: bring them back if they have no actor.
    Wake { ids: Vec<ExecutionId> },
    /// Route a message to an execution, rehydrating it if needed.
    Deliver { id: ExecutionId, msg: ExecutionMsg },
    /// Retry bringing an execution back after its actor failed.
    Retry { id: ExecutionId },
    /// (alive execution actors, queued executions)
    Stats(RpcReplyPort<(usize, usize)>),
}

struct Queued {
    priority: u8,
    seq: u64,
    id: ExecutionId,
    workflow: Option<(WorkflowId, Option<u32>)>,
    record: Option<Box<ExecutionRecord>>,
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        self.priority == other.priority && self.seq == other.seq
    }
}

impl Eq for Queued {}

impl Ord for Queued {
    fn cmp(&self, other: &Self) -> CmpOrdering {
        self.priority
            .cmp(&other.priority)
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}

pub(crate) struct ExecutionManager;

pub(crate) struct ManagerState {
    shared: Arc<Shared>,
    queue: BinaryHeap<Queued>,
    seq: u64,
    queued: HashSet<ExecutionId>,
    alive: HashMap<ExecutionId, (ActorRef<ExecutionMsg>, Option<WorkflowId>)>,
    by_actor: HashMap<ActorId, ExecutionId>,
    pending: HashMap<ExecutionId, Vec<ExecutionMsg>>,
    per_workflow: HashMap<WorkflowId, u32>,
    /// Executions held back by their workflow's max_concurrency.
    deferred: HashMap<WorkflowId, VecDeque<Queued>>,
    retries: HashMap<ExecutionId, u32>,
}

impl Actor for ExecutionManager {
    type Msg = ManagerMsg;
    type State = ManagerState;
    type Arguments = Arc<Shared>;

    async fn pre_start(
        &self,
        _myself: ActorRef<ManagerMsg>,
        shared: Arc<Shared>,
    ) -> Result<ManagerState, ActorProcessingErr> {
        Ok(ManagerState {
            shared,
            queue: BinaryHeap::new(),
            seq: 0,
            queued: HashSet::new(),
            alive: HashMap::new(),
            by_actor: HashMap::new(),
            pending: HashMap::new(),
            per_workflow: HashMap::new(),
            deferred: HashMap::new(),
            retries: HashMap::new(),
        })
    }

    async fn handle(
        &self,
        myself: ActorRef<ManagerMsg>,
        msg: ManagerMsg,
        st: &mut ManagerState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            ManagerMsg::Admit {
                id,
                workflow_id,
                priority,
                max_concurrency,
                record,
            } => {
                st.enqueue(
                    id,
                    priority.min(9),
                    Some((workflow_id, max_concurrency)),
                    record,
                );
            }
            ManagerMsg::Resume { ids } => {
                for (id, wf) in ids {
                    st.enqueue(id, REHYDRATE_PRIORITY, Some((wf, None)), None);
                }
            }
            ManagerMsg::Loaded { id, workflow_id } => {
                if let Some(entry) = st.alive.get_mut(&id)
                    && entry.1.is_none()
                {
                    entry.1 = Some(workflow_id);
                    *st.per_workflow.entry(workflow_id).or_default() += 1;
                }
            }
            ManagerMsg::Wake { ids } => {
                for id in ids {
                    match st.alive.get(&id) {
                        Some((actor, _)) => {
                            let _ = actor.cast(ExecutionMsg::Wake);
                        }
                        None => st.enqueue(id, REHYDRATE_PRIORITY, None, None),
                    }
                }
            }
            ManagerMsg::Deliver { id, msg } => match st.alive.get(&id) {
                Some((actor, _)) => {
                    if let Err(ractor::MessagingErr::SendErr(msg)) = actor.cast(msg) {
                        st.pending.entry(id).or_default().push(msg);
                        st.enqueue(id, REHYDRATE_PRIORITY, None, None);
                    }
                }
                None => {
                    st.pending.entry(id).or_default().push(msg);
                    st.enqueue(id, REHYDRATE_PRIORITY, None, None);
                }
            },
            ManagerMsg::Retry { id } => {
                if !st.alive.contains_key(&id) {
                    st.enqueue(id, REHYDRATE_PRIORITY, None, None);
                }
            }
            ManagerMsg::Stats(reply) => {
                let _ = reply.send((st.alive.len(), st.queued.len()));
            }
        }
        st.admit(&myself).await;
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<ManagerMsg>,
        evt: SupervisionEvent,
        st: &mut ManagerState,
    ) -> Result<(), ActorProcessingErr> {
        let (cell, failure) = match evt {
            SupervisionEvent::ActorTerminated(cell, _, _) => (cell, None),
            SupervisionEvent::ActorFailed(cell, err) => (cell, Some(err)),
            _ => return Ok(()),
        };
        let Some(id) = st.by_actor.remove(&cell.get_id()) else {
            return Ok(());
        };
        if let Some((_, Some(wf))) = st.alive.remove(&id) {
            st.release(wf);
        }
        match failure {
            Some(err) => {
                let n = st.retries.entry(id).or_default();
                *n += 1;
                let delay = Duration::from_millis(200 * 2u64.pow((*n).min(8)));
                warn!(execution_id = %id, error = %err, retry_in_ms = delay.as_millis() as u64, "execution actor failed; it will be brought back");
                myself.send_after(delay, move || ManagerMsg::Retry { id });
            }
            None => {
                st.retries.remove(&id);
                // Messages that raced with the stop (e.g. a signal during passivation).
                if st.pending.contains_key(&id) {
                    st.enqueue(id, REHYDRATE_PRIORITY, None, None);
                }
            }
        }
        st.admit(&myself).await;
        Ok(())
    }
}

impl ManagerState {
    fn enqueue(
        &mut self,
        id: ExecutionId,
        priority: u8,
        workflow: Option<(WorkflowId, Option<u32>)>,
        record: Option<Box<ExecutionRecord>>,
    ) {
        if self.alive.contains_key(&id) || !self.queued.insert(id) {
            return;
        }
        self.seq += 1;
        self.queue.push(Queued {
            priority,
            seq: self.seq,
            id,
            workflow,
            record,
        });
    }

    fn release(&mut self, wf: WorkflowId) {
        if let Some(n) = self.per_workflow.get_mut(&wf) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.per_workflow.remove(&wf);
            }
        }
        if let Some(q) = self.deferred.get_mut(&wf) {
            if let Some(next) = q.pop_front() {
                self.queue.push(next);
            }
            if q.is_empty() {
                self.deferred.remove(&wf);
            }
        }
    }

    async fn admit(&mut self, myself: &ActorRef<ManagerMsg>) {
        let max = self.shared.config.max_in_flight.max(1);
        while self.alive.len() < max {
            let Some(q) = self.queue.pop() else { break };
            if let Some((wf, Some(limit))) = q.workflow
                && self.per_workflow.get(&wf).copied().unwrap_or(0) >= limit
            {
                self.deferred.entry(wf).or_default().push_back(q);
                continue;
            }
            self.queued.remove(&q.id);
            let wf = q.workflow.map(|(wf, _)| wf);
            let args = ExecArgs {
                id: q.id,
                shared: self.shared.clone(),
                manager: myself.clone(),
                pending: self.pending.remove(&q.id).unwrap_or_default(),
                record: q.record,
            };
            match Actor::spawn_linked(None, ExecutionActor, args, myself.get_cell()).await {
                Ok((actor, _)) => {
                    debug!(execution_id = %q.id, "execution actor started");
                    self.by_actor.insert(actor.get_id(), q.id);
                    self.alive.insert(q.id, (actor, wf));
                    if let Some(wf) = wf {
                        *self.per_workflow.entry(wf).or_default() += 1;
                    }
                }
                Err(e) => {
                    warn!(execution_id = %q.id, error = %e, "could not start an execution actor")
                }
            }
        }
    }
}

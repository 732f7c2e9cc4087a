//! The event bus: every event, after it is durable, is published here. The live stream and
//! `weft run` subscribe; a subscriber that lags behind loses messages (never memory) and
//! catches up from the store.

use std::sync::Arc;
use tokio::sync::broadcast;
use weft_core::{EventEnvelope, ExecutionId, WorkflowId};

#[derive(Debug, Clone)]
pub struct BusEvent {
    pub execution_id: ExecutionId,
    pub workflow_id: WorkflowId,
    pub envelope: EventEnvelope,
}

#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Arc<BusEvent>>,
}

impl EventBus {
    pub fn new(capacity: usize) -> Self {
        Self {
            tx: broadcast::channel(capacity.max(16)).0,
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<BusEvent>> {
        self.tx.subscribe()
    }

    pub(crate) fn publish(&self, e: BusEvent) {
        // No subscriber is fine: the store has everything.
        let _ = self.tx.send(Arc::new(e));
    }
}

//! The event bus: every event, after it is durable, is published here.
//!
//! Two ways to listen. [`EventBus::subscribe`] gets every event of every execution (the live
//! stream, metrics, `weft run`): a broadcast channel, where a subscriber that lags behind
//! loses messages (never memory) and catches up from the store. [`EventBus::watch`] gets the
//! events of one execution only (a webhook waiting for its `http.respond`, a client streaming
//! one execution): publishing looks the execution up in a sharded map, so an execution
//! nobody watches costs one atomic load, and a watched one a short lock of one shard. A
//! watcher whose bounded channel is full is dropped on the spot, never waited for, and its
//! [`ExecutionWatch`] says so once it has handed out what it had buffered.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{broadcast, mpsc};
use weft_core::{EventEnvelope, ExecutionId, WorkflowId};

#[derive(Debug, Clone)]
pub struct BusEvent {
    pub execution_id: ExecutionId,
    pub workflow_id: WorkflowId,
    pub envelope: EventEnvelope,
}

/// Shards of the watcher map: publishes of different executions rarely share a lock.
const SHARDS: usize = 32;

#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Arc<BusEvent>>,
    watchers: Arc<Watchers>,
}

impl EventBus {
    pub fn new(capacity: usize) -> Self {
        Self {
            tx: broadcast::channel(capacity.max(16)).0,
            watchers: Arc::new(Watchers::new()),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<BusEvent>> {
        self.tx.subscribe()
    }

    /// The events of execution `id` published from now on, in order, buffered up to
    /// `capacity` (at least 1). Register before the execution starts (choose its id with
    /// `StartRequest::id`) to miss none.
    pub fn watch(&self, id: ExecutionId, capacity: usize) -> ExecutionWatch {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let lagged = Arc::new(AtomicBool::new(false));
        let watcher_id = self.watchers.add(
            id,
            Watcher {
                id: 0,
                tx,
                lagged: lagged.clone(),
            },
        );
        ExecutionWatch {
            execution_id: id,
            watcher_id,
            rx,
            lagged,
            watchers: self.watchers.clone(),
        }
    }

    pub(crate) fn publish(&self, e: BusEvent) {
        let e = Arc::new(e);
        self.watchers.offer(&e);
        // No subscriber is fine: the store has everything.
        let _ = self.tx.send(e);
    }

    /// Watchers currently registered (for tests).
    #[cfg(test)]
    fn watcher_count(&self) -> usize {
        self.watchers.count.load(Ordering::Relaxed)
    }
}

struct Watcher {
    id: u64,
    tx: mpsc::Sender<Arc<BusEvent>>,
    lagged: Arc<AtomicBool>,
}

type Shard = Mutex<HashMap<ExecutionId, Vec<Watcher>>>;

/// Execution id → its watchers' senders.
struct Watchers {
    shards: Box<[Shard]>,
    /// Registered watchers in all shards: lets `offer` skip the lock when there are none.
    count: AtomicUsize,
    next_id: AtomicU64,
}

impl Watchers {
    fn new() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            count: AtomicUsize::new(0),
            next_id: AtomicU64::new(1),
        }
    }

    fn shard(&self, id: &ExecutionId) -> &Shard {
        // UUID v7 ends in random bits: the low bits spread executions evenly.
        &self.shards[(id.0.as_u128() as usize) % SHARDS]
    }

    fn add(&self, id: ExecutionId, mut watcher: Watcher) -> u64 {
        watcher.id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let watcher_id = watcher.id;
        let mut shard = self.shard(&id).lock().expect("watcher shard lock");
        shard.entry(id).or_default().push(watcher);
        self.count.fetch_add(1, Ordering::Relaxed);
        watcher_id
    }

    fn remove(&self, id: ExecutionId, watcher_id: u64) {
        let mut shard = self.shard(&id).lock().expect("watcher shard lock");
        let Some(list) = shard.get_mut(&id) else {
            return;
        };
        let before = list.len();
        list.retain(|w| w.id != watcher_id);
        let removed = before - list.len();
        if list.is_empty() {
            shard.remove(&id);
        }
        self.count.fetch_sub(removed, Ordering::Relaxed);
    }

    /// Hands `e` to every watcher of its execution without waiting: a full channel drops its
    /// watcher (marked lagged), a closed one is forgotten.
    fn offer(&self, e: &Arc<BusEvent>) {
        if self.count.load(Ordering::Relaxed) == 0 {
            return;
        }
        let mut shard = self
            .shard(&e.execution_id)
            .lock()
            .expect("watcher shard lock");
        let Some(list) = shard.get_mut(&e.execution_id) else {
            return;
        };
        let before = list.len();
        list.retain(|w| match w.tx.try_send(e.clone()) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                w.lagged.store(true, Ordering::Release);
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        });
        let removed = before - list.len();
        if list.is_empty() {
            shard.remove(&e.execution_id);
        }
        if removed > 0 {
            self.count.fetch_sub(removed, Ordering::Relaxed);
        }
    }
}

/// Why [`ExecutionWatch::recv`] has no more events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WatchError {
    /// The watcher fell behind and was dropped: read the rest from the store (after the last
    /// seq received).
    #[error("the watcher fell behind and was dropped; read the remaining events from the store")]
    Lagged,
    /// The engine's bus is gone (shutdown).
    #[error("the event bus is closed")]
    Closed,
}

/// The live events of one execution (see [`EventBus::watch`]). Dropping it unregisters it.
pub struct ExecutionWatch {
    execution_id: ExecutionId,
    watcher_id: u64,
    rx: mpsc::Receiver<Arc<BusEvent>>,
    lagged: Arc<AtomicBool>,
    watchers: Arc<Watchers>,
}

impl ExecutionWatch {
    pub fn execution_id(&self) -> ExecutionId {
        self.execution_id
    }

    /// The next event, in seq order. After a lag, the events buffered before it come first,
    /// then `Err(WatchError::Lagged)`.
    pub async fn recv(&mut self) -> Result<Arc<BusEvent>, WatchError> {
        match self.rx.recv().await {
            Some(e) => Ok(e),
            None => Err(self.end()),
        }
    }

    /// Like [`recv`](Self::recv) without waiting: `Ok(None)` when nothing is buffered yet.
    pub fn try_recv(&mut self) -> Result<Option<Arc<BusEvent>>, WatchError> {
        match self.rx.try_recv() {
            Ok(e) => Ok(Some(e)),
            Err(mpsc::error::TryRecvError::Empty) => Ok(None),
            Err(mpsc::error::TryRecvError::Disconnected) => Err(self.end()),
        }
    }

    /// Whether the bus dropped this watcher because it fell behind.
    pub fn lagged(&self) -> bool {
        self.lagged.load(Ordering::Acquire)
    }

    fn end(&self) -> WatchError {
        if self.lagged() {
            WatchError::Lagged
        } else {
            WatchError::Closed
        }
    }
}

impl Drop for ExecutionWatch {
    fn drop(&mut self) {
        self.watchers.remove(self.execution_id, self.watcher_id);
    }
}

impl std::fmt::Debug for ExecutionWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecutionWatch")
            .field("execution_id", &self.execution_id)
            .field("lagged", &self.lagged())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use weft_core::Event;

    fn event(id: ExecutionId, seq: u64) -> BusEvent {
        BusEvent {
            execution_id: id,
            workflow_id: WorkflowId::default(),
            envelope: EventEnvelope {
                seq,
                at: 0,
                event: Event::CancelRequested {
                    reason: format!("{seq}"),
                },
            },
        }
    }

    fn seqs(w: &mut ExecutionWatch) -> (Vec<u64>, Option<WatchError>) {
        let mut out = Vec::new();
        loop {
            match w.try_recv() {
                Ok(Some(e)) => out.push(e.envelope.seq),
                Ok(None) => return (out, None),
                Err(e) => return (out, Some(e)),
            }
        }
    }

    #[tokio::test]
    async fn a_watch_sees_its_execution_only_in_order() {
        let bus = EventBus::new(16);
        let (a, b) = (ExecutionId::new(), ExecutionId::new());
        let mut wa = bus.watch(a, 100);
        let mut wb = bus.watch(b, 100);
        for seq in 1..=5 {
            bus.publish(event(a, seq));
            bus.publish(event(b, seq * 10));
        }
        assert_eq!(seqs(&mut wa), (vec![1, 2, 3, 4, 5], None));
        assert_eq!(seqs(&mut wb), (vec![10, 20, 30, 40, 50], None));
        let e = wa.recv();
        bus.publish(event(a, 6));
        assert_eq!(e.await.unwrap().envelope.seq, 6);
        assert!(!wa.lagged());
    }

    #[tokio::test]
    async fn a_slow_watcher_is_dropped_without_holding_up_the_others() {
        let bus = EventBus::new(16);
        let id = ExecutionId::new();
        let mut slow = bus.watch(id, 2);
        let mut fast = bus.watch(id, 100);
        assert_eq!(bus.watcher_count(), 2);
        for seq in 1..=5 {
            bus.publish(event(id, seq));
        }
        // The slow one keeps what it had buffered, then learns it lagged.
        assert_eq!(seqs(&mut slow), (vec![1, 2], Some(WatchError::Lagged)));
        assert!(slow.lagged());
        assert_eq!(slow.recv().await.unwrap_err(), WatchError::Lagged);
        assert_eq!(seqs(&mut fast), (vec![1, 2, 3, 4, 5], None));
        assert_eq!(bus.watcher_count(), 1, "the slow one is unregistered");
    }

    #[test]
    fn dropping_a_watch_unregisters_it() {
        let bus = EventBus::new(16);
        let id = ExecutionId::new();
        let w1 = bus.watch(id, 4);
        let w2 = bus.watch(id, 4);
        let other = bus.watch(ExecutionId::new(), 4);
        assert_eq!(bus.watcher_count(), 3);
        drop(w1);
        assert_eq!(bus.watcher_count(), 2);
        drop(w2);
        drop(other);
        assert_eq!(bus.watcher_count(), 0);
        assert!(
            bus.watchers
                .shards
                .iter()
                .all(|s| s.lock().unwrap().is_empty())
        );
        // Publishing with nobody watching is fine.
        bus.publish(event(id, 1));
    }
}

//! TimerService: durable timers for passivated executions.
//!
//! Every execution stores when it next needs to run (`wake_at`); this task asks the store for
//! due executions and has the manager wake them. Timers that fell due while the process was
//! down are simply due at the first poll after start: they fire at once.

use crate::manager::ManagerMsg;
use crate::now_ms;
use ractor::ActorRef;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tracing::warn;
use weft_persistence::Store;

pub(crate) fn spawn(
    store: Arc<dyn Store>,
    manager: ActorRef<ManagerMsg>,
    every: Duration,
    mut shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = shutdown.changed() => return,
            }
            match store.due_executions(now_ms(), 2_000).await {
                Ok(due) if !due.is_empty() => {
                    let ids = due.into_iter().map(|e| e.id).collect();
                    if manager.cast(ManagerMsg::Wake { ids }).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(e) => warn!(error = %e, "timer poll failed"),
            }
        }
    })
}

//! Engine tuning, with defaults that suit a laptop and a small server alike.

use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EngineConfig {
    /// Execution actors alive at once; more executions wait in the admission queue.
    pub max_in_flight: usize,
    /// How long an execution with only timers, signals or children pending keeps its actor
    /// before passivating.
    pub passivate_after_ms: u64,
    /// How often the timer service asks the store for due executions.
    pub timer_poll_ms: u64,
    /// Snapshot after this many events; `0` snapshots at every node completion.
    pub checkpoint_every: u32,
    /// Group commit: most appends (or new executions) per transaction, and longest wait to
    /// fill one. With 0 (the default) the batch is whatever queued while the previous
    /// transaction ran: no added latency when idle, large batches under load.
    pub commit_max_batch: usize,
    pub commit_max_delay_ms: u64,
    /// Capacity of the live event bus before slow subscribers lag.
    pub bus_capacity: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            max_in_flight: 10_000,
            passivate_after_ms: 2_000,
            timer_poll_ms: 250,
            checkpoint_every: 0,
            commit_max_batch: 512,
            commit_max_delay_ms: 0,
            bus_capacity: 65_536,
        }
    }
}

impl EngineConfig {
    pub(crate) fn passivate_after(&self) -> Duration {
        Duration::from_millis(self.passivate_after_ms)
    }
    pub(crate) fn timer_poll(&self) -> Duration {
        Duration::from_millis(self.timer_poll_ms.max(10))
    }
}

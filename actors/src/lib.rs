//! weft-actors: the engine that runs executions durably, as ractor actors.
//!
//! ```text
//! Engine (handle: start, signal, cancel, retry, wait, subscribe, watch)
//!  └─ ExecutionManager            admission queue, in-flight limit, rehydration, routing by id
//!      └─ ExecutionActor  × N     one per execution with work in flight; owns ExecutionState
//!          └─ NodeActor   × M     one per node attempt, linked: a panic is a failed attempt
//! TimerService (task)             polls the store for due executions and wakes them
//! EventWriter  (tasks)            group commit of every execution's events, and of new ones
//! EventBus                        every durable event: broadcast (live stream, `weft run`)
//!                                 and per-execution watches (webhook responses)
//! ```
//!
//! Executions are addressed by id, never by actor reference: callers go through the
//! [`Engine`] handle, which routes through the manager, so a shard router can later sit in
//! front without changing callers. An execution with nothing running (only timers, signals or
//! children pending) passivates: its actor stops, and the timer service, an arriving signal or
//! a finishing child brings it back from its snapshot.
//!
//! [`StoreCredentials`] hands nodes their credentials from the database, opened by the vault.
//!
//! [`triggers`] holds the services that start executions by themselves: the scheduler
//! (`trigger.schedule`) and the AMQP consumers (`trigger.amqp`).

mod bus;
mod config;
pub mod credentials;
mod engine;
mod error;
mod execution;
mod manager;
mod metrics;
mod node;
mod timers;
pub mod triggers;
mod workflows;

pub use bus::{BusEvent, EventBus, ExecutionWatch, WatchError};
pub use config::EngineConfig;
pub use credentials::StoreCredentials;
pub use engine::{ActorCounts, Engine, StartRequest};
pub use error::EngineError;

/// Wall-clock now in Unix milliseconds: the only clock the engine reads.
pub fn now_ms() -> weft_core::Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

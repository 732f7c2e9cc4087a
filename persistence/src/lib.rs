//! weft-persistence: where executions become durable.
//!
//! The [`Store`] trait is the only way the engine touches a database. Two implementations
//! share one behaviour, checked by one test suite: SQLite (embedded mode, `./weft-data`) and
//! PostgreSQL (production). sqlx errors are translated into [`StoreError`] inside this crate;
//! no layer above sees sqlx.
//!
//! Durability rules the engine relies on:
//! - an execution's events have a gap-free `seq` starting at 1; `(execution_id, seq)` is the
//!   primary key of the append-only log;
//! - every [`Append`] carries the version (last seq) the writer saw and its owner epoch; the
//!   write is refused with [`StoreError::Conflict`] when either is stale, never overwritten;
//! - many executions' appends go to the database in one transaction ([`EventWriter`], the
//!   group-commit writer); each append still succeeds or fails on its own. New executions are
//!   grouped the same way ([`Store::create_executions`], [`EventWriter::create`]).
//!
//! Every `limit` is a page size: 0 means 100, and no call returns more than 1000 rows.
//!
//! Beside the engine's state, the same database holds what the gateway needs
//! ([`AccessStore`]: users, tokens, API keys, credentials, audit log, webhook routes);
//! [`connect_database`] opens both as one [`Database`]. Credentials are sealed by the
//! [`Vault`] before they reach it.

mod access;
mod common;
mod error;
mod model;
pub mod postgres;
mod schedule;
pub mod sqlite;
mod vault;
mod writer;

pub use access::*;
pub use error::StoreError;
pub use model::*;
pub use postgres::{PgStore, PgStoreOptions};
pub use schedule::ScheduleFires;
pub use sqlite::SqliteStore;
pub use vault::{Vault, VaultError};
pub use writer::{EventWriter, WriterOptions, WriterStats};

use async_trait::async_trait;
use serde_json::Value;
use std::sync::Arc;
use weft_core::{ExecutionId, Millis, WorkflowId};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Persistent state of workflows and executions.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `"sqlite"` or `"postgres"`.
    fn backend(&self) -> &'static str;

    /// Cheap round trip, for readiness checks.
    async fn ping(&self) -> Result<()>;

    /// The connection pool right now, for metrics. Zeros for a store without a pool.
    fn pool_stats(&self) -> PoolStats {
        PoolStats::default()
    }

    // ---- workflows -------------------------------------------------------------------

    /// Creates a workflow with its version 1. `AlreadyExists` if the id is taken.
    async fn create_workflow(
        &self,
        id: WorkflowId,
        name: &str,
        definition: &Value,
    ) -> Result<WorkflowVersion>;

    /// Saves a new immutable version (latest + 1). With `expected_latest`, refuses with
    /// `Conflict` when someone saved meanwhile.
    async fn save_workflow_version(
        &self,
        id: WorkflowId,
        name: &str,
        definition: &Value,
        expected_latest: Option<u32>,
    ) -> Result<WorkflowVersion>;

    async fn get_workflow(&self, id: WorkflowId) -> Result<WorkflowRecord>;

    /// Workflows ordered by id, after the cursor, with their latest version's description and
    /// tags and their newest execution.
    async fn list_workflows(&self, filter: &WorkflowFilter) -> Result<Vec<WorkflowListing>>;

    /// One version; `None` means the latest. A numbered version stays readable after the
    /// workflow is deleted (executions pinned to it must finish); the latest of a deleted
    /// workflow is `NotFound`.
    async fn get_workflow_version(
        &self,
        id: WorkflowId,
        version: Option<u32>,
    ) -> Result<WorkflowVersion>;

    /// Every version, oldest first. `NotFound` for an unknown or deleted workflow.
    async fn list_workflow_versions(&self, id: WorkflowId) -> Result<Vec<WorkflowVersion>>;

    /// Marks a workflow deleted (its versions stay, so executions pinned to them can finish);
    /// it no longer appears in lists and `get_workflow` says `NotFound`.
    async fn delete_workflow(&self, id: WorkflowId) -> Result<()>;

    // ---- executions ------------------------------------------------------------------

    /// Inserts a queued execution (version 0, no events) and returns it with `true`. When
    /// `idempotency_key` is set and an execution of the same workflow already has it, returns
    /// that one and `false`; when the id is taken by another execution, `AlreadyExists`.
    ///
    /// A batch of one for [`Store::create_executions`].
    async fn create_execution(&self, new: NewExecution) -> Result<(ExecutionRecord, bool)> {
        let id = new.id;
        self.create_executions(vec![new])
            .await
            .pop()
            .unwrap_or_else(|| {
                Err(StoreError::Internal(format!(
                    "the store answered nothing for execution {id}"
                )))
            })
    }

    /// Inserts many queued executions in one transaction. The result at index `i` is the
    /// outcome of `batch[i]`, exactly as if the items were passed to
    /// [`Store::create_execution`] one after the other: an idempotency key already used in the
    /// workflow (before, or by an earlier item of the batch) gives that execution and `false`;
    /// an id already taken by another execution gives `AlreadyExists` for that item only.
    /// Others in the batch are unaffected. When the transaction itself fails, every item fails
    /// with its error and nothing is written.
    async fn create_executions(
        &self,
        batch: Vec<NewExecution>,
    ) -> Vec<Result<(ExecutionRecord, bool)>>;

    async fn get_execution(&self, id: ExecutionId) -> Result<ExecutionRecord>;

    /// Newest first (by id, which is time-ordered), after the cursor.
    async fn list_executions(&self, filter: &ExecutionFilter) -> Result<Vec<ExecutionRecord>>;

    /// Counts executions per status (for metrics and tests): every status, in
    /// [`weft_core::ExecutionStatus::ALL`] order, zero included.
    async fn count_executions(
        &self,
        workflow_id: Option<WorkflowId>,
    ) -> Result<Vec<(weft_core::ExecutionStatus, u64)>>;

    /// Counts and durations of the executions created in `range`, per bucket and status,
    /// with the p50/p95 duration of those that finished.
    async fn execution_stats(&self, range: StatsRange) -> Result<ExecutionStats>;

    /// Appends events for many executions in one transaction. The result at index `i` is
    /// the outcome of `appends[i]`: `Conflict` when its `expected_version` or `owner_epoch`
    /// is stale (nothing of that append is written), `NotFound` when the execution does not
    /// exist. Others in the batch are unaffected.
    async fn append(&self, appends: Vec<Append>) -> Vec<Result<()>>;

    /// Events with `seq > after_seq`, in order, at most `limit` (none for an unknown id).
    async fn events(
        &self,
        id: ExecutionId,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<weft_core::EventEnvelope>>;

    async fn latest_snapshot(&self, id: ExecutionId) -> Result<Option<Snapshot>>;

    // ---- ownership and recovery --------------------------------------------------------

    /// A new owner epoch, larger than every epoch handed out before (by any instance).
    async fn next_epoch(&self) -> Result<u64>;

    /// Makes `epoch` the owner of a non-terminal execution. `Conflict` if its current
    /// owner epoch is larger (someone newer owns it) or it is terminal.
    async fn claim_execution(&self, id: ExecutionId, epoch: u64) -> Result<ExecutionRecord>;

    /// Makes `epoch` the owner of a failed or timed-out execution so it can be retried; the
    /// status stays until the owner's next append (from the current version) moves the row
    /// back to running, which also clears `finished_at`. `Conflict` if a newer epoch owns it
    /// or its status is anything else.
    async fn reopen_execution(&self, id: ExecutionId, epoch: u64) -> Result<ExecutionRecord>;

    /// Non-terminal executions (queued, running, waiting) ordered by id, after the cursor.
    async fn unfinished_executions(
        &self,
        after: Option<ExecutionId>,
        limit: u32,
    ) -> Result<Vec<ExecutionSummary>>;

    /// Non-terminal executions whose `wake_at <= now`, earliest first.
    async fn due_executions(&self, now: Millis, limit: u32) -> Result<Vec<ExecutionSummary>>;

    // ---- schedule fires (trigger.schedule) ----------------------------------------------

    /// The claims of schedule-trigger ticks ([`ScheduleFires`]); `None` for a store that
    /// keeps none (then no scheduler can run on it). Both backends keep them.
    fn schedule_fires(&self) -> Option<&dyn ScheduleFires> {
        None
    }
}

/// A store's database connections at one moment (all its pools together).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Open connections, in use or idle.
    pub size: u32,
    /// Open connections waiting to be used.
    pub idle: u32,
}

/// Opens the store a database URL names and runs its migrations: `sqlite://path` (created
/// when missing), `sqlite::memory:`, or `postgres://…`.
///
/// The engine's view of [`connect_database`]: the same database (migrated the same way),
/// seen through [`Store`] only.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>> {
    Ok(connect_database(url).await?)
}

/// Opens the database a URL names (same rules as [`connect`]) with both its faces: the
/// engine's [`Store`] and the gateway's [`AccessStore`]. An `Arc<dyn Database>` coerces to
/// `Arc<dyn Store>` (or `Arc<dyn AccessStore>`) for the parts that need only one.
pub async fn connect_database(url: &str) -> Result<Arc<dyn Database>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PgStore::connect(url).await?))
    } else if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::SqliteStore::connect(url).await?))
    } else {
        Err(StoreError::Invalid(format!(
            "unsupported database URL scheme in `{}` (expected sqlite:… or postgres://…)",
            redact_url(url)
        )))
    }
}

/// A database URL with its password replaced by `***`, safe to log: the one in the user-info
/// part (`postgres://user:secret@host/db`) and a `password=` query parameter.
pub fn redact_url(url: &str) -> String {
    let mut redacted = match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    };
    if let Some(q) = redacted.find('?') {
        let (base, query) = redacted.split_at(q + 1);
        let query = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                _ => pair.to_string(),
            })
            .collect::<Vec<_>>()
            .join("&");
        redacted = format!("{base}{query}");
    }
    redacted
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn redact_url_hides_passwords_only() {
        assert_eq!(
            redact_url("postgres://weft:s3cret@db:5432/weft"),
            "postgres://weft:***@db:5432/weft"
        );
        assert_eq!(
            redact_url("postgres://weft@db/weft"),
            "postgres://weft@db/weft"
        );
        assert_eq!(
            redact_url("postgres://db/weft?user=weft&password=s3cret&sslmode=require"),
            "postgres://db/weft?user=weft&password=***&sslmode=require"
        );
        assert_eq!(
            redact_url("sqlite://weft-data/weft.db?mode=rwc"),
            "sqlite://weft-data/weft.db?mode=rwc"
        );
        assert_eq!(redact_url("sqlite::memory:"), "sqlite::memory:");
    }
}

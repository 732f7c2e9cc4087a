//! The SQLite store: embedded mode (`./weft-data`), `weft run`, and tests.
//!
//! Connections are split in two pools. Every write goes through a pool of exactly one
//! connection, so writers queue fairly in the pool instead of spinning in SQLite's busy handler
//! (which sleeps in growing steps and makes latency spiky); reads use a small pool of their own
//! and, thanks to WAL, never wait for the writer. An in-memory database is private to its
//! connection, so `sqlite::memory:` uses one connection for both, which never expires.
//!
//! Durability settings: WAL with `synchronous = NORMAL`. A commit is then safe against a crash
//! of the process (the case recovery is built for) but the last commits can be lost if the
//! machine itself loses power before the WAL is checkpointed. `FULL` would add an fsync to every
//! commit (each group commit of appends or of new executions), milliseconds on ordinary disks on
//! the path of every start and every step; deployments that need power-loss durability run
//! PostgreSQL.

mod access;
mod queries;
mod schedule;

use crate::common::{
    BatchPlan, CreateOutcomes, CreatePlan, Created, Pending, PendingCreate, claim_refused_error,
    every_status, execution_id_taken, now_millis, page_limit, parse_status, parse_tags,
    reopen_refused_error, scrub, stale_append_error, to_i64, to_priority, to_u32, to_u64,
    version_to_i32,
};
use crate::{
    Append, ExecutionBrief, ExecutionFilter, ExecutionRecord, ExecutionStats, ExecutionSummary,
    NewExecution, PoolStats, Result, Snapshot, StatsRange, Store, StoreError, WorkflowFilter,
    WorkflowListing, WorkflowRecord, WorkflowVersion, redact_url,
};
use async_trait::async_trait;
use serde::Serialize;
use serde_json::Value;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::types::Json;
use sqlx::{Connection, Row, SqliteConnection};
use std::collections::HashSet;
use std::str::FromStr;
use std::time::Duration;
use tracing::instrument;
use uuid::Uuid;
use uuid::fmt::Hyphenated;
use weft_core::event::ParentLink;
use weft_core::{Event, EventEnvelope, ExecutionId, ExecutionStatus, Millis, WorkflowId};

/// How long a statement waits for a lock held by another process (or a reader checkpoint)
/// before giving up with `Unavailable`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a caller waits for a pooled connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);
/// Concurrent readers; the machine this targets has few cores.
const READ_CONNECTIONS: u32 = 4;

/// Starts every write transaction: takes the write lock up front, so a transaction never has
/// to upgrade a read lock (which fails with SQLITE_BUSY instead of waiting).
const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

/// A [`Store`] on one SQLite database file (or an in-memory database).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// One connection: SQLite runs one write transaction at a time anyway.
    writer: SqlitePool,
    /// The same pool as `writer` for an in-memory database.
    reader: SqlitePool,
    /// `reader` is `writer` (in-memory): count its connections once.
    one_pool: bool,
}

impl SqliteStore {
    /// Opens (creating when missing, with its parent directory) the database `url` names —
    /// `sqlite://path/to/file.db`, `sqlite:file.db` or `sqlite::memory:` — and runs the
    /// migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| connect_error(e.into(), url))?
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);

        let store = if in_memory {
            // Each in-memory connection would be its own empty database: keep exactly one,
            // forever.
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_with(options)
                .await
                .map_err(|e| connect_error(e.into(), url))?;
            SqliteStore {
                writer: pool.clone(),
                reader: pool,
                one_pool: true,
            }
        } else {
            let options = options
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal);
            if let Some(dir) = options.get_filename().parent()
                && !dir.as_os_str().is_empty()
            {
                tokio::fs::create_dir_all(dir).await.map_err(|e| {
                    StoreError::Unavailable(format!(
                        "cannot create directory {}: {e}",
                        dir.display()
                    ))
                })?;
            }
            let writer = SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_with(options.clone())
                .await
                .map_err(|e| connect_error(e.into(), url))?;
            let reader = SqlitePoolOptions::new()
                .max_connections(READ_CONNECTIONS)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_lazy_with(options);
            SqliteStore {
                writer,
                reader,
                one_pool: false,
            }
        };

        sqlx::migrate!("./migrations/sqlite")
            .run(&store.writer)
            .await?;
        tracing::debug!(url = %redact_url(url), in_memory, "sqlite store ready");
        Ok(store)
    }

    /// Closes both pools, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

/// A connection failure, with the URL (never its password) for the operator.
fn connect_error(err: StoreError, url: &str) -> StoreError {
    let context = |m: String| scrub(format!("cannot open {}: {m}", redact_url(url)), url);
    match err {
        StoreError::Unavailable(m) => StoreError::Unavailable(context(m)),
        StoreError::Invalid(m) => StoreError::Invalid(context(m)),
        StoreError::Internal(m) => StoreError::Internal(context(m)),
        other => other,
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn schedule_fires(&self) -> Option<&dyn crate::ScheduleFires> {
        Some(self)
    }

    fn pool_stats(&self) -> PoolStats {
        let mut stats = PoolStats {
            size: self.writer.size(),
            idle: self.writer.num_idle() as u32,
        };
        if !self.one_pool {
            stats.size += self.reader.size();
            stats.idle += self.reader.num_idle() as u32;
        }
        stats
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query(queries::PING).execute(&self.reader).await?;
        Ok(())
    }

    // ---- workflows -------------------------------------------------------------------

    #[instrument(skip_all, fields(workflow_id = %id))]
    async fn create_workflow(
        &self,
        id: WorkflowId,
        name: &str,
        definition: &Value,
    ) -> Result<WorkflowVersion> {
        let now = now_millis();
        let mut tx = self.writer.begin_with(BEGIN_WRITE).await?;
        sqlx::query(queries::INSERT_WORKFLOW)
            .bind(id.0.hyphenated())
            .bind(name)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::exists_on_unique(e, "workflow", id))?;
        insert_version(&mut tx, id, 1, name, definition, now).await?;
        tx.commit().await?;
        Ok(WorkflowVersion {
            workflow_id: id,
            version: 1,
            name: name.to_string(),
            definition: definition.clone(),
            created_at: now,
        })
    }

    #[instrument(skip_all, fields(workflow_id = %id))]
    async fn save_workflow_version(
        &self,
        id: WorkflowId,
        name: &str,
        definition: &Value,
        expected_latest: Option<u32>,
    ) -> Result<WorkflowVersion> {
        let now = now_millis();
        let mut tx = self.writer.begin_with(BEGIN_WRITE).await?;
        let bumped: Option<i64> = sqlx::query_scalar(queries::BUMP_WORKFLOW_VERSION)
            .bind(id.0.hyphenated())
            .bind(name)
            .bind(now)
            .bind(expected_latest.map(version_to_i32).transpose()?)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(version) = bumped else {
            let state: Option<(i64, bool)> = sqlx::query_as(queries::WORKFLOW_STATE)
                .bind(id.0.hyphenated())
                .fetch_optional(&mut *tx)
                .await?;
            return Err(match state {
                Some((latest, false)) => StoreError::Conflict(format!(
                    "workflow {id} is at version {latest}, not {} as expected",
                    expected_latest.map_or_else(|| "?".into(), |v| v.to_string())
                )),
                _ => StoreError::not_found("workflow", id),
            });
        };
        let version = to_u32(version, "workflow version")?;
        insert_version(&mut tx, id, version, name, definition, now).await?;
        tx.commit().await?;
        Ok(WorkflowVersion {
            workflow_id: id,
            version,
            name: name.to_string(),
            definition: definition.clone(),
            created_at: now,
        })
    }

    async fn get_workflow(&self, id: WorkflowId) -> Result<WorkflowRecord> {
        let row = sqlx::query(queries::SELECT_WORKFLOW)
            .bind(id.0.hyphenated())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref()
            .map(workflow_from_row)
            .ok_or_else(|| StoreError::not_found("workflow", id))?
    }

    async fn list_workflows(&self, filter: &WorkflowFilter) -> Result<Vec<WorkflowListing>> {
        let rows = queries::list_workflows(filter)
            .build()
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(listing_from_row).collect()
    }

    async fn get_workflow_version(
        &self,
        id: WorkflowId,
        version: Option<u32>,
    ) -> Result<WorkflowVersion> {
        let row = match version {
            None => sqlx::query(queries::SELECT_LATEST_WORKFLOW_VERSION).bind(id.0.hyphenated()),
            Some(v) => sqlx::query(queries::SELECT_WORKFLOW_VERSION)
                .bind(id.0.hyphenated())
                .bind(i64::from(v)),
        }
        .fetch_optional(&self.reader)
        .await?;
        match row {
            Some(row) => version_from_row(&row),
            None => Err(match version {
                Some(v) => StoreError::not_found("workflow version", format!("{id}@{v}")),
                None => StoreError::not_found("workflow", id),
            }),
        }
    }

    async fn list_workflow_versions(&self, id: WorkflowId) -> Result<Vec<WorkflowVersion>> {
        // Read the workflow and its versions from one snapshot, so a concurrent delete cannot
        // slip between the existence check and the list.
        let mut conn = self.reader.acquire().await?;
        let mut tx = conn.begin().await?;
        let exists = sqlx::query(queries::SELECT_WORKFLOW)
            .bind(id.0.hyphenated())
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::not_found("workflow", id));
        }
        let rows = sqlx::query(queries::LIST_WORKFLOW_VERSIONS)
            .bind(id.0.hyphenated())
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        rows.iter().map(version_from_row).collect()
    }

    async fn delete_workflow(&self, id: WorkflowId) -> Result<()> {
        let deleted = sqlx::query(queries::DELETE_WORKFLOW)
            .bind(id.0.hyphenated())
            .bind(now_millis())
            .execute(&self.writer)
            .await?
            .rows_affected();
        if deleted == 0 {
            return Err(StoreError::not_found("workflow", id));
        }
        Ok(())
    }

    // ---- executions ------------------------------------------------------------------

    #[instrument(skip_all, fields(batch = batch.len()))]
    async fn create_executions(&self, batch: Vec<NewExecution>) -> Vec<Result<Created>> {
        let CreatePlan { refused, rounds } = CreatePlan::new(batch);
        let mut outcomes: CreateOutcomes = refused.iter().map(|_| None).collect();
        let written = if rounds.is_empty() {
            Ok(())
        } else {
            self.write_creates(rounds, &mut outcomes).await
        };
        CreatePlan::finish(refused, outcomes, written)
    }

    async fn get_execution(&self, id: ExecutionId) -> Result<ExecutionRecord> {
        let row = sqlx::query(queries::SELECT_EXECUTION)
            .bind(id.0.hyphenated())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref()
            .map(execution_from_row)
            .ok_or_else(|| StoreError::not_found("execution", id))?
    }

    async fn list_executions(&self, filter: &ExecutionFilter) -> Result<Vec<ExecutionRecord>> {
        let rows = queries::list_executions(filter)
            .build()
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(execution_from_row).collect()
    }

    async fn count_executions(
        &self,
        workflow_id: Option<WorkflowId>,
    ) -> Result<Vec<(ExecutionStatus, u64)>> {
        let rows: Vec<(String, i64)> = match workflow_id {
            Some(w) => sqlx::query_as(queries::COUNT_WORKFLOW_EXECUTIONS).bind(w.0.hyphenated()),
            None => sqlx::query_as(queries::COUNT_EXECUTIONS),
        }
        .fetch_all(&self.reader)
        .await?;
        let counted = rows
            .into_iter()
            .map(|(status, n)| Ok((parse_status(&status)?, to_u64(n, "count")?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(every_status(counted))
    }

    async fn execution_stats(&self, range: StatsRange) -> Result<ExecutionStats> {
        crate::common::execution_stats_on!(&self.reader, range)
    }

    #[instrument(skip_all, fields(batch = appends.len()))]
    async fn append(&self, appends: Vec<Append>) -> Vec<Result<()>> {
        let BatchPlan {
            mut results,
            rounds,
        } = BatchPlan::new(appends);
        let written = if rounds.is_empty() {
            Ok(())
        } else {
            self.write_appends(rounds, &mut results).await
        };
        BatchPlan::finish(results, written)
    }

    async fn events(
        &self,
        id: ExecutionId,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<EventEnvelope>> {
        let rows = sqlx::query(queries::SELECT_EVENTS)
            .bind(id.0.hyphenated())
            .bind(to_i64(after_seq, "seq")?)
            .bind(page_limit(limit))
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(event_from_row).collect()
    }

    async fn latest_snapshot(&self, id: ExecutionId) -> Result<Option<Snapshot>> {
        let row: Option<(i64, i64, Json<Value>)> = sqlx::query_as(queries::SELECT_SNAPSHOT)
            .bind(id.0.hyphenated())
            .fetch_optional(&self.reader)
            .await?;
        row.map(|(seq, format_version, Json(state))| {
            Ok(Snapshot {
                seq: to_u64(seq, "snapshot seq")?,
                format_version: to_u32(format_version, "snapshot format version")?,
                state,
            })
        })
        .transpose()
    }

    // ---- ownership and recovery --------------------------------------------------------

    async fn next_epoch(&self) -> Result<u64> {
        let epoch: i64 = sqlx::query_scalar(queries::NEXT_EPOCH)
            .fetch_one(&self.writer)
            .await?;
        to_u64(epoch, "epoch")
    }

    #[instrument(skip_all, fields(execution_id = %id, epoch))]
    async fn claim_execution(&self, id: ExecutionId, epoch: u64) -> Result<ExecutionRecord> {
        self.claim(queries::CLAIM_EXECUTION, id, epoch, claim_refused_error)
            .await
    }

    #[instrument(skip_all, fields(execution_id = %id, epoch))]
    async fn reopen_execution(&self, id: ExecutionId, epoch: u64) -> Result<ExecutionRecord> {
        self.claim(queries::REOPEN_EXECUTION, id, epoch, reopen_refused_error)
            .await
    }

    async fn unfinished_executions(
        &self,
        after: Option<ExecutionId>,
        limit: u32,
    ) -> Result<Vec<ExecutionSummary>> {
        let after = after
            .map(|a| a.0.hyphenated().to_string())
            .unwrap_or_default();
        let rows = sqlx::query(queries::UNFINISHED_EXECUTIONS)
            .bind(after)
            .bind(page_limit(limit))
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(summary_from_row).collect()
    }

    async fn due_executions(&self, now: Millis, limit: u32) -> Result<Vec<ExecutionSummary>> {
        let rows = sqlx::query(queries::DUE_EXECUTIONS)
            .bind(now)
            .bind(page_limit(limit))
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(summary_from_row).collect()
    }
}

impl SqliteStore {
    /// Takes ownership of an execution with `query` (`CLAIM_EXECUTION` or
    /// `REOPEN_EXECUTION`); when the row is refused, `refused` explains why from its status
    /// and owner epoch.
    async fn claim(
        &self,
        query: &'static str,
        id: ExecutionId,
        epoch: u64,
        refused: fn(ExecutionId, Option<(ExecutionStatus, i64)>, u64) -> StoreError,
    ) -> Result<ExecutionRecord> {
        let mut tx = self.writer.begin_with(BEGIN_WRITE).await?;
        let claimed = sqlx::query(query)
            .bind(id.0.hyphenated())
            .bind(to_i64(epoch, "epoch")?)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(row) = claimed {
            let record = execution_from_row(&row)?;
            tx.commit().await?;
            return Ok(record);
        }
        let current: Option<(String, i64)> = sqlx::query_as(queries::CLAIM_STATE)
            .bind(id.0.hyphenated())
            .fetch_optional(&mut *tx)
            .await?;
        let current = current
            .map(|(status, owner)| parse_status(&status).map(|s| (s, owner)))
            .transpose()?;
        Err(refused(id, current, epoch))
    }

    /// Inserts a create batch in one transaction, one prepared statement per item (the write
    /// connection runs them back to back, and the commit is what costs). Items go in round
    /// order (see [`CreatePlan`]), which gives each the outcome a lone `create_execution` would.
    /// Each item's outcome goes to `outcomes`; an `Err` means the transaction failed and
    /// nothing was written.
    async fn write_creates(
        &self,
        rounds: Vec<Vec<PendingCreate>>,
        outcomes: &mut CreateOutcomes,
    ) -> Result<()> {
        let mut tx = self.writer.begin_with(BEGIN_WRITE).await?;
        for PendingCreate {
            index,
            new,
            checked,
        } in rounds.into_iter().flatten()
        {
            let inserted = sqlx::query(queries::INSERT_EXECUTION)
                .bind(new.id.0.hyphenated())
                .bind(new.workflow_id.0.hyphenated())
                .bind(checked.workflow_version)
                .bind(Json(&new.input))
                .bind(i64::from(new.priority))
                .bind(new.parent.as_ref().map(|p| p.execution_id.0.hyphenated()))
                .bind(new.parent.as_ref().map(|p| p.node.as_str()))
                .bind(new.idempotency_key.as_deref())
                .bind(checked.owner_epoch)
                .bind(new.created_at)
                .bind(new.trigger.as_deref())
                .bind(new.correlation_id.as_deref())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if inserted == 1 {
                outcomes[index] = Some(Ok((ExecutionRecord::created(new), true)));
                continue;
            }
            // Either the idempotency key was used before (that execution is the answer) or
            // the id is taken by another one.
            let holder = match &new.idempotency_key {
                Some(key) => {
                    sqlx::query(queries::SELECT_EXECUTION_BY_KEY)
                        .bind(new.workflow_id.0.hyphenated())
                        .bind(key)
                        .fetch_optional(&mut *tx)
                        .await?
                }
                None => None,
            };
            outcomes[index] = Some(match holder {
                Some(row) => execution_from_row(&row).map(|existing| (existing, false)),
                None => Err(execution_id_taken(new.id)),
            });
        }
        tx.commit().await?;
        Ok(())
    }

    /// Writes a batch in one transaction: per round (see [`BatchPlan`]) one guarded update of
    /// the execution rows, then the events and snapshots of every applied append with one
    /// statement each. Each refused append's error goes to `results`; an `Err` means the
    /// transaction failed and nothing was written.
    async fn write_appends(
        &self,
        rounds: Vec<Vec<Pending>>,
        results: &mut [Result<()>],
    ) -> Result<()> {
        let mut events: Vec<EventRow> = Vec::new();
        let mut snapshots: Vec<SnapshotRow> = Vec::new();
        let mut tx = self.writer.begin_with(BEGIN_WRITE).await?;
        for round in rounds {
            let rows: Vec<AdvanceRow> = round.iter().map(AdvanceRow::new).collect();
            let advanced: Vec<Hyphenated> = sqlx::query_scalar(queries::ADVANCE_EXECUTIONS)
                .bind(rows_json(&rows)?)
                .fetch_all(&mut *tx)
                .await?;
            let advanced: HashSet<Uuid> = advanced.into_iter().map(Hyphenated::into_uuid).collect();
            for Pending {
                index,
                append,
                checked,
            } in round
            {
                let id = append.execution_id;
                if !advanced.contains(&id.0) {
                    // Only explains the refusal; nothing of this append was written.
                    let current: Option<(i64, i64)> = sqlx::query_as(queries::EXECUTION_GUARD)
                        .bind(id.0.hyphenated())
                        .fetch_optional(&mut *tx)
                        .await?;
                    results[index] = Err(stale_append_error(
                        id,
                        current,
                        append.expected_version,
                        append.owner_epoch,
                    ));
                    continue;
                }
                for (seq, envelope) in (checked.expected_version + 1..).zip(&append.events) {
                    events.push(EventRow {
                        execution_id: id.0,
                        seq,
                        type_name: envelope.event.type_name(),
                        node_id: envelope.event.node().map(str::to_owned),
                        at: envelope.at,
                        data: envelope.event.data(),
                    });
                }
                if let (Some(snapshot), Some((seq, format_version))) =
                    (append.snapshot, checked.snapshot)
                {
                    snapshots.push(SnapshotRow {
                        execution_id: id.0,
                        seq,
                        format_version,
                        state: snapshot.state,
                    });
                }
            }
        }
        if !events.is_empty() {
            sqlx::query(queries::INSERT_EVENTS)
                .bind(rows_json(&events)?)
                .execute(&mut *tx)
                .await?;
        }
        if !snapshots.is_empty() {
            sqlx::query(queries::UPSERT_SNAPSHOTS)
                .bind(rows_json(&snapshots)?)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// One element of `queries::ADVANCE_EXECUTIONS`' batch parameter.
#[derive(Serialize)]
struct AdvanceRow<'a> {
    id: Uuid,
    expected_version: i64,
    owner_epoch: i64,
    new_version: i64,
    status: &'static str,
    /// Left out when `None`, which the SQL reads as NULL (a JSON `null` is a value).
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a Value>,
    wake_at: Option<Millis>,
    now: Millis,
    finished_at: Option<Millis>,
}

impl<'a> AdvanceRow<'a> {
    fn new(p: &'a Pending) -> Self {
        AdvanceRow {
            id: p.append.execution_id.0,
            expected_version: p.checked.expected_version,
            owner_epoch: p.checked.owner_epoch,
            new_version: p.checked.new_version,
            status: p.append.status.as_str(),
            output: p.append.output.as_ref(),
            error: p.append.error.as_ref(),
            wake_at: p.append.wake_at,
            now: p.append.now,
            finished_at: p.checked.finished_at,
        }
    }
}

/// One element of `queries::INSERT_EVENTS`' batch parameter.
#[derive(Serialize)]
struct EventRow {
    execution_id: Uuid,
    seq: i64,
    #[serde(rename = "type")]
    type_name: &'static str,
    node_id: Option<String>,
    at: Millis,
    data: Value,
}

/// One element of `queries::UPSERT_SNAPSHOTS`' batch parameter.
#[derive(Serialize)]
struct SnapshotRow {
    execution_id: Uuid,
    seq: i64,
    format_version: i32,
    state: Value,
}

fn rows_json<T: Serialize>(rows: &[T]) -> Result<String> {
    serde_json::to_string(rows)
        .map_err(|e| StoreError::Invalid(format!("cannot serialize the batch: {e}")))
}

async fn insert_version(
    conn: &mut SqliteConnection,
    id: WorkflowId,
    version: u32,
    name: &str,
    definition: &Value,
    now: Millis,
) -> Result<()> {
    sqlx::query(queries::INSERT_WORKFLOW_VERSION)
        .bind(id.0.hyphenated())
        .bind(i64::from(version))
        .bind(name)
        .bind(Json(definition))
        .bind(now)
        .execute(conn)
        .await
        .map_err(|e| {
            StoreError::exists_on_unique(e, "workflow version", format!("{id}@{version}"))
        })?;
    Ok(())
}

// ---- rows ----------------------------------------------------------------------------------

fn uuid_column(row: &SqliteRow, column: &str) -> Result<uuid::Uuid> {
    Ok(row.try_get::<Hyphenated, _>(column)?.into_uuid())
}

fn workflow_from_row(row: &SqliteRow) -> Result<WorkflowRecord> {
    Ok(WorkflowRecord {
        id: WorkflowId(uuid_column(row, "id")?),
        name: row.try_get("name")?,
        latest_version: to_u32(row.try_get("latest_version")?, "workflow version")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn listing_from_row(row: &SqliteRow) -> Result<WorkflowListing> {
    let last_execution = match row.try_get::<Option<String>, _>("last_id")? {
        Some(_) => Some(ExecutionBrief {
            id: ExecutionId(uuid_column(row, "last_id")?),
            status: parse_status(&row.try_get::<String, _>("last_status")?)?,
            created_at: row.try_get("last_created_at")?,
        }),
        None => None,
    };
    Ok(WorkflowListing {
        record: workflow_from_row(row)?,
        description: row.try_get("description")?,
        tags: parse_tags(row.try_get::<Option<String>, _>("tags")?.as_deref()),
        last_execution,
    })
}

fn version_from_row(row: &SqliteRow) -> Result<WorkflowVersion> {
    Ok(WorkflowVersion {
        workflow_id: WorkflowId(uuid_column(row, "workflow_id")?),
        version: to_u32(row.try_get("version")?, "workflow version")?,
        name: row.try_get("name")?,
        definition: row.try_get::<Json<Value>, _>("definition")?.0,
        created_at: row.try_get("created_at")?,
    })
}

fn execution_from_row(row: &SqliteRow) -> Result<ExecutionRecord> {
    let parent_id: Option<Hyphenated> = row.try_get("parent_id")?;
    let parent_node: Option<String> = row.try_get("parent_node")?;
    Ok(ExecutionRecord {
        id: ExecutionId(uuid_column(row, "id")?),
        workflow_id: WorkflowId(uuid_column(row, "workflow_id")?),
        workflow_version: to_u32(row.try_get("workflow_version")?, "workflow version")?,
        status: parse_status(row.try_get("status")?)?,
        input: row.try_get::<Json<Value>, _>("input")?.0,
        output: row
            .try_get::<Option<Json<Value>>, _>("output")?
            .map(|j| j.0),
        error: row.try_get::<Option<Json<Value>>, _>("error")?.map(|j| j.0),
        priority: to_priority(row.try_get("priority")?)?,
        parent: parent_id.zip(parent_node).map(|(id, node)| ParentLink {
            execution_id: ExecutionId(id.into_uuid()),
            node,
        }),
        idempotency_key: row.try_get("idempotency_key")?,
        trigger: row.try_get("trigger_node")?,
        correlation_id: row.try_get("correlation_id")?,
        version: to_u64(row.try_get("version")?, "version")?,
        owner_epoch: to_u64(row.try_get("owner_epoch")?, "owner epoch")?,
        wake_at: row.try_get("wake_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        finished_at: row.try_get("finished_at")?,
    })
}

fn summary_from_row(row: &SqliteRow) -> Result<ExecutionSummary> {
    Ok(ExecutionSummary {
        id: ExecutionId(uuid_column(row, "id")?),
        workflow_id: WorkflowId(uuid_column(row, "workflow_id")?),
        status: parse_status(row.try_get("status")?)?,
        priority: to_priority(row.try_get("priority")?)?,
        wake_at: row.try_get("wake_at")?,
    })
}

fn event_from_row(row: &SqliteRow) -> Result<EventEnvelope> {
    let type_name: String = row.try_get("type")?;
    let Json(data) = row.try_get::<Json<Value>, _>("data")?;
    let seq = to_u64(row.try_get("seq")?, "seq")?;
    let event = Event::from_parts(&type_name, data).map_err(|e| {
        StoreError::Invalid(format!(
            "stored event {seq} (`{type_name}`) cannot be read: {e}"
        ))
    })?;
    Ok(EventEnvelope {
        seq,
        at: row.try_get("at")?,
        event,
    })
}

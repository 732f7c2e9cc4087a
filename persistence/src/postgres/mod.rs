//! The PostgreSQL store: production mode, and what a cluster of instances shares.
//!
//! The hot path is [`Store::append`]: the group-commit writer hands it a few hundred appends
//! and it writes them all — guarded row updates, events and snapshots — in one statement
//! (one round trip, see `queries::APPEND_BATCH`), passing each column as an array that
//! `UNNEST` turns back into rows. New executions are batched the same way
//! ([`Store::create_executions`], `queries::INSERT_EXECUTIONS`). Everything else is plain
//! single-row SQL.

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
use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{PgConnection, PgExecutor, Row};
use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::time::Duration;
use tracing::instrument;
use uuid::Uuid;
use weft_core::event::ParentLink;
use weft_core::{Event, EventEnvelope, ExecutionId, ExecutionStatus, Millis, WorkflowId};

/// Pool sizing and timeouts for [`PgStore::connect_with`].
#[derive(Debug, Clone)]
pub struct PgStoreOptions {
    /// Upper bound on open connections. The group-commit writer needs one; the rest serve
    /// API reads, creations and claims.
    pub max_connections: u32,
    /// Connections kept open while idle, so a burst does not start with connects.
    pub min_connections: u32,
    /// How long a caller waits for a free connection before getting `Unavailable`.
    pub acquire_timeout: Duration,
}

impl Default for PgStoreOptions {
    fn default() -> Self {
        PgStoreOptions {
            max_connections: 16,
            min_connections: 1,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

/// A [`Store`] on a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects with [`PgStoreOptions::default`] and runs the migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with(url, PgStoreOptions::default()).await
    }

    /// Connects to `postgres://…` and runs the migrations (concurrent instances serialize on
    /// the migrator's advisory lock).
    pub async fn connect_with(url: &str, options: PgStoreOptions) -> Result<Self> {
        let connect_options =
            PgConnectOptions::from_str(url).map_err(|e| connect_error(e.into(), url))?;
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections)
            .min_connections(options.min_connections)
            .acquire_timeout(options.acquire_timeout)
            .connect_with(connect_options)
            .await
            .map_err(|e| connect_error(e.into(), url))?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .map_err(|e| connect_error(e.into(), url))?;
        tracing::debug!(url = %redact_url(url), "postgres store ready");
        Ok(PgStore { pool })
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A connection failure, with the URL (never its password) for the operator.
fn connect_error(err: StoreError, url: &str) -> StoreError {
    let context = |m: String| scrub(format!("cannot connect to {}: {m}", redact_url(url)), url);
    match err {
        StoreError::Unavailable(m) => StoreError::Unavailable(context(m)),
        StoreError::Invalid(m) => StoreError::Invalid(context(m)),
        StoreError::Internal(m) => StoreError::Internal(context(m)),
        StoreError::Conflict(m) => StoreError::Conflict(context(m)),
        other => other,
    }
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn schedule_fires(&self) -> Option<&dyn crate::ScheduleFires> {
        Some(self)
    }

    fn pool_stats(&self) -> PoolStats {
        PoolStats {
            size: self.pool.size(),
            idle: self.pool.num_idle() as u32,
        }
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query(queries::PING).execute(&self.pool).await?;
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
        let mut tx = self.pool.begin().await?;
        sqlx::query(queries::INSERT_WORKFLOW)
            .bind(id.0)
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
        let mut tx = self.pool.begin().await?;
        let bumped: Option<i32> = sqlx::query_scalar(queries::BUMP_WORKFLOW_VERSION)
            .bind(id.0)
            .bind(name)
            .bind(now)
            .bind(expected_latest.map(version_to_i32).transpose()?)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(version) = bumped else {
            let state: Option<(i32, bool)> = sqlx::query_as(queries::WORKFLOW_STATE)
                .bind(id.0)
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
        let version = to_u32(i64::from(version), "workflow version")?;
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
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(workflow_from_row)
            .ok_or_else(|| StoreError::not_found("workflow", id))?
    }

    async fn list_workflows(&self, filter: &WorkflowFilter) -> Result<Vec<WorkflowListing>> {
        let rows = queries::list_workflows(filter)
            .build()
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(listing_from_row).collect()
    }

    async fn get_workflow_version(
        &self,
        id: WorkflowId,
        version: Option<u32>,
    ) -> Result<WorkflowVersion> {
        let row = match version {
            None => {
                sqlx::query(queries::SELECT_LATEST_WORKFLOW_VERSION)
                    .bind(id.0)
                    .fetch_optional(&self.pool)
                    .await?
            }
            // A version beyond `integer` cannot exist.
            Some(v) => match i32::try_from(v) {
                Ok(v) => {
                    sqlx::query(queries::SELECT_WORKFLOW_VERSION)
                        .bind(id.0)
                        .bind(v)
                        .fetch_optional(&self.pool)
                        .await?
                }
                Err(_) => None,
            },
        };
        match row {
            Some(row) => version_from_row(&row),
            None => Err(match version {
                Some(v) => StoreError::not_found("workflow version", format!("{id}@{v}")),
                None => StoreError::not_found("workflow", id),
            }),
        }
    }

    async fn list_workflow_versions(&self, id: WorkflowId) -> Result<Vec<WorkflowVersion>> {
        // One REPEATABLE READ snapshot for the existence check and the list, so a concurrent
        // delete cannot slip in between.
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?;
        let exists = sqlx::query(queries::SELECT_WORKFLOW)
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::not_found("workflow", id));
        }
        let rows = sqlx::query(queries::LIST_WORKFLOW_VERSIONS)
            .bind(id.0)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        rows.iter().map(version_from_row).collect()
    }

    async fn delete_workflow(&self, id: WorkflowId) -> Result<()> {
        let deleted = sqlx::query(queries::DELETE_WORKFLOW)
            .bind(id.0)
            .bind(now_millis())
            .execute(&self.pool)
            .await?
            .rows_affected();
        if deleted == 0 {
            return Err(StoreError::not_found("workflow", id));
        }
        Ok(())
    }

    // ---- executions ------------------------------------------------------------------

    /// One explicit transaction: per round (see `CreatePlan`) one multi-row insert, and a
    /// lookup of the keys of the rows it skipped.
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
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(execution_from_row)
            .ok_or_else(|| StoreError::not_found("execution", id))?
    }

    async fn list_executions(&self, filter: &ExecutionFilter) -> Result<Vec<ExecutionRecord>> {
        let rows = queries::list_executions(filter)
            .build()
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(execution_from_row).collect()
    }

    async fn execution_stats(&self, range: StatsRange) -> Result<ExecutionStats> {
        crate::common::execution_stats_on!(&self.pool, range)
    }

    async fn count_executions(
        &self,
        workflow_id: Option<WorkflowId>,
    ) -> Result<Vec<(ExecutionStatus, u64)>> {
        let rows: Vec<(String, i64)> = match workflow_id {
            Some(w) => sqlx::query_as(queries::COUNT_WORKFLOW_EXECUTIONS).bind(w.0),
            None => sqlx::query_as(queries::COUNT_EXECUTIONS),
        }
        .fetch_all(&self.pool)
        .await?;
        let counted = rows
            .into_iter()
            .map(|(status, n)| Ok((parse_status(&status)?, to_u64(n, "count")?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(every_status(counted))
    }

    /// One statement per round (see `BatchPlan`). A single round runs as an implicit
    /// transaction; several share an explicit one, each round seeing the rows the previous one
    /// advanced.
    #[instrument(skip_all, fields(batch = appends.len()))]
    async fn append(&self, appends: Vec<Append>) -> Vec<Result<()>> {
        let BatchPlan {
            mut results,
            mut rounds,
        } = BatchPlan::new(appends);
        let written = match rounds.len() {
            0 => Ok(()),
            1 => write_round(&self.pool, rounds.swap_remove(0), &mut results).await,
            _ => self.write_rounds(rounds, &mut results).await,
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
            .bind(id.0)
            .bind(to_i64(after_seq, "seq")?)
            .bind(page_limit(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(event_from_row).collect()
    }

    async fn latest_snapshot(&self, id: ExecutionId) -> Result<Option<Snapshot>> {
        let row: Option<(i64, i32, Value)> = sqlx::query_as(queries::SELECT_SNAPSHOT)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|(seq, format_version, state)| {
            Ok(Snapshot {
                seq: to_u64(seq, "snapshot seq")?,
                format_version: to_u32(i64::from(format_version), "snapshot format version")?,
                state,
            })
        })
        .transpose()
    }

    // ---- ownership and recovery --------------------------------------------------------

    async fn next_epoch(&self) -> Result<u64> {
        let epoch: i64 = sqlx::query_scalar(queries::NEXT_EPOCH)
            .fetch_one(&self.pool)
            .await?;
        to_u64(epoch, "epoch")
    }

    #[instrument(skip_all, fields(execution_id = %id, epoch))]
    async fn claim_execution(&self, id: ExecutionId, epoch: u64) -> Result<ExecutionRecord> {
        claim(
            &self.pool,
            queries::CLAIM_EXECUTION,
            id,
            epoch,
            claim_refused_error,
        )
        .await
    }

    #[instrument(skip_all, fields(execution_id = %id, epoch))]
    async fn reopen_execution(&self, id: ExecutionId, epoch: u64) -> Result<ExecutionRecord> {
        claim(
            &self.pool,
            queries::REOPEN_EXECUTION,
            id,
            epoch,
            reopen_refused_error,
        )
        .await
    }

    async fn unfinished_executions(
        &self,
        after: Option<ExecutionId>,
        limit: u32,
    ) -> Result<Vec<ExecutionSummary>> {
        let rows = sqlx::query(queries::UNFINISHED_EXECUTIONS)
            .bind(after.map_or(Uuid::nil(), |a| a.0))
            .bind(page_limit(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(summary_from_row).collect()
    }

    async fn due_executions(&self, now: Millis, limit: u32) -> Result<Vec<ExecutionSummary>> {
        let rows = sqlx::query(queries::DUE_EXECUTIONS)
            .bind(now)
            .bind(page_limit(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(summary_from_row).collect()
    }
}

/// Takes ownership of an execution with `query` (`CLAIM_EXECUTION` or `REOPEN_EXECUTION`);
/// when the row is refused, `refused` explains why from its status and owner epoch.
async fn claim(
    pool: &PgPool,
    query: &'static str,
    id: ExecutionId,
    epoch: u64,
    refused: fn(ExecutionId, Option<(ExecutionStatus, i64)>, u64) -> StoreError,
) -> Result<ExecutionRecord> {
    let claimed = sqlx::query(query)
        .bind(id.0)
        .bind(to_i64(epoch, "epoch")?)
        .fetch_optional(pool)
        .await?;
    if let Some(row) = claimed {
        return execution_from_row(&row);
    }
    // Only explains the refusal: a row that changed since is still refused correctly.
    let current: Option<(String, i64)> = sqlx::query_as(queries::CLAIM_STATE)
        .bind(id.0)
        .fetch_optional(pool)
        .await?;
    let current = current
        .map(|(status, owner)| parse_status(&status).map(|s| (s, owner)))
        .transpose()?;
    Err(refused(id, current, epoch))
}

impl PgStore {
    /// A create batch in one transaction. Each item's outcome goes to `outcomes`; an `Err`
    /// means the transaction failed and nothing was written.
    async fn write_creates(
        &self,
        rounds: Vec<Vec<PendingCreate>>,
        outcomes: &mut CreateOutcomes,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for round in rounds {
            create_round(&mut tx, round, outcomes).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Several rounds of one batch in one explicit transaction.
    async fn write_rounds(
        &self,
        rounds: Vec<Vec<Pending>>,
        results: &mut [Result<()>],
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for round in rounds {
            write_round(&mut *tx, round, results).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Runs `APPEND_BATCH` for one round (each execution at most once) and records each refused
/// append's error in `results`. An `Err` means the statement failed and wrote nothing.
async fn write_round<'e>(
    executor: impl PgExecutor<'e>,
    round: Vec<Pending>,
    results: &mut [Result<()>],
) -> Result<()> {
    let n = round.len();
    let events = round.iter().map(|p| p.append.events.len()).sum();
    let snapshots = round
        .iter()
        .filter(|p| p.checked.snapshot.is_some())
        .count();

    let mut ids = Vec::with_capacity(n);
    let mut expected_versions = Vec::with_capacity(n);
    let mut owner_epochs = Vec::with_capacity(n);
    let mut new_versions = Vec::with_capacity(n);
    let mut statuses = Vec::with_capacity(n);
    let mut outputs = Vec::with_capacity(n);
    let mut errors = Vec::with_capacity(n);
    let mut wake_ats = Vec::with_capacity(n);
    let mut nows = Vec::with_capacity(n);
    let mut finished_ats = Vec::with_capacity(n);

    let mut event_ids = Vec::with_capacity(events);
    let mut event_seqs = Vec::with_capacity(events);
    let mut event_types = Vec::with_capacity(events);
    let mut event_nodes = Vec::with_capacity(events);
    let mut event_ats = Vec::with_capacity(events);
    let mut event_data = Vec::with_capacity(events);

    let mut snapshot_ids = Vec::with_capacity(snapshots);
    let mut snapshot_seqs = Vec::with_capacity(snapshots);
    let mut snapshot_formats = Vec::with_capacity(snapshots);
    let mut snapshot_states = Vec::with_capacity(snapshots);

    // What the outcome mapping needs once the appends themselves have been moved into arrays.
    let mut origins = Vec::with_capacity(n);

    for Pending {
        index,
        append,
        checked,
    } in round
    {
        let id = append.execution_id.0;
        for (seq, envelope) in (checked.expected_version + 1..).zip(&append.events) {
            event_ids.push(id);
            event_seqs.push(seq);
            event_types.push(envelope.event.type_name());
            event_nodes.push(envelope.event.node().map(str::to_owned));
            event_ats.push(envelope.at);
            event_data.push(json_text(&envelope.event.data())?);
        }
        if let (Some(snapshot), Some((seq, format_version))) = (append.snapshot, checked.snapshot) {
            snapshot_ids.push(id);
            snapshot_seqs.push(seq);
            snapshot_formats.push(format_version);
            snapshot_states.push(json_text(&snapshot.state)?);
        }
        ids.push(id);
        expected_versions.push(checked.expected_version);
        owner_epochs.push(checked.owner_epoch);
        new_versions.push(checked.new_version);
        statuses.push(append.status.as_str());
        outputs.push(append.output.as_ref().map(json_text).transpose()?);
        errors.push(append.error.as_ref().map(json_text).transpose()?);
        wake_ats.push(append.wake_at);
        nows.push(append.now);
        finished_ats.push(checked.finished_at);
        origins.push((
            index,
            append.execution_id,
            append.expected_version,
            append.owner_epoch,
        ));
    }

    let rows = sqlx::query(queries::APPEND_BATCH)
        .bind(ids)
        .bind(expected_versions)
        .bind(owner_epochs)
        .bind(new_versions)
        .bind(statuses)
        .bind(outputs)
        .bind(errors)
        .bind(wake_ats)
        .bind(nows)
        .bind(finished_ats)
        .bind(event_ids)
        .bind(event_seqs)
        .bind(event_types)
        .bind(event_nodes)
        .bind(event_ats)
        .bind(event_data)
        .bind(snapshot_ids)
        .bind(snapshot_seqs)
        .bind(snapshot_formats)
        .bind(snapshot_states)
        .fetch_all(executor)
        .await?;

    if rows.len() != origins.len() {
        return Err(StoreError::Internal(format!(
            "append batch of {} reported {} outcomes",
            origins.len(),
            rows.len()
        )));
    }
    // Rows come back in input order (`ORDER BY ord`).
    for (row, (index, id, expected_version, owner_epoch)) in rows.iter().zip(origins) {
        let applied: bool = row.try_get("applied")?;
        if !applied {
            let version: Option<i64> = row.try_get("current_version")?;
            let epoch: Option<i64> = row.try_get("current_epoch")?;
            results[index] = Err(stale_append_error(
                id,
                version.zip(epoch),
                expected_version,
                owner_epoch,
            ));
        }
    }
    Ok(())
}

/// Runs `INSERT_EXECUTIONS` for one round (no two items share an id or a key), then looks up
/// the keys of the items it skipped: the execution holding one is that item's answer; an item
/// skipped with no key, or whose key nobody holds, lost its id to another execution.
async fn create_round(
    conn: &mut PgConnection,
    round: Vec<PendingCreate>,
    outcomes: &mut CreateOutcomes,
) -> Result<()> {
    let n = round.len();
    let mut ids = Vec::with_capacity(n);
    let mut workflow_ids = Vec::with_capacity(n);
    let mut workflow_versions = Vec::with_capacity(n);
    let mut inputs = Vec::with_capacity(n);
    let mut priorities = Vec::with_capacity(n);
    let mut parent_ids = Vec::with_capacity(n);
    let mut parent_nodes = Vec::with_capacity(n);
    let mut keys = Vec::with_capacity(n);
    let mut owner_epochs = Vec::with_capacity(n);
    let mut created_ats = Vec::with_capacity(n);
    let mut triggers = Vec::with_capacity(n);
    let mut correlation_ids = Vec::with_capacity(n);
    for PendingCreate { new, checked, .. } in &round {
        ids.push(new.id.0);
        workflow_ids.push(new.workflow_id.0);
        workflow_versions.push(checked.workflow_version);
        inputs.push(json_text(&new.input)?);
        priorities.push(i16::from(new.priority));
        parent_ids.push(new.parent.as_ref().map(|p| p.execution_id.0));
        parent_nodes.push(new.parent.as_ref().map(|p| p.node.as_str()));
        keys.push(new.idempotency_key.as_deref());
        owner_epochs.push(checked.owner_epoch);
        created_ats.push(new.created_at);
        triggers.push(new.trigger.as_deref());
        correlation_ids.push(new.correlation_id.as_deref());
    }
    let inserted: Vec<Uuid> = sqlx::query_scalar(queries::INSERT_EXECUTIONS)
        .bind(ids)
        .bind(workflow_ids)
        .bind(workflow_versions)
        .bind(inputs)
        .bind(priorities)
        .bind(parent_ids)
        .bind(parent_nodes)
        .bind(keys)
        .bind(owner_epochs)
        .bind(created_ats)
        .bind(triggers)
        .bind(correlation_ids)
        .fetch_all(&mut *conn)
        .await?;
    let inserted: HashSet<Uuid> = inserted.into_iter().collect();

    let mut skipped = Vec::new();
    for PendingCreate { index, new, .. } in round {
        if inserted.contains(&new.id.0) {
            outcomes[index] = Some(Ok((ExecutionRecord::created(new), true)));
        } else {
            skipped.push((index, new));
        }
    }
    let (key_workflows, key_names): (Vec<Uuid>, Vec<&str>) = skipped
        .iter()
        .filter_map(|(_, new)| Some((new.workflow_id.0, new.idempotency_key.as_deref()?)))
        .unzip();
    let mut holders: HashMap<(Uuid, String), Result<ExecutionRecord>> = HashMap::new();
    if !key_names.is_empty() {
        let rows = sqlx::query(queries::SELECT_EXECUTIONS_BY_KEYS)
            .bind(key_workflows)
            .bind(key_names)
            .fetch_all(&mut *conn)
            .await?;
        for row in &rows {
            let workflow_id: Uuid = row.try_get("workflow_id")?;
            let key: Option<String> = row.try_get("idempotency_key")?;
            if let Some(key) = key {
                holders.insert((workflow_id, key), execution_from_row(row));
            }
        }
    }
    for (index, new) in skipped {
        let holder = new
            .idempotency_key
            .and_then(|key| holders.get(&(new.workflow_id.0, key)).cloned());
        outcomes[index] = Some(match holder {
            Some(existing) => existing.map(|existing| (existing, false)),
            None => Err(execution_id_taken(new.id)),
        });
    }
    Ok(())
}

async fn insert_version(
    conn: &mut PgConnection,
    id: WorkflowId,
    version: u32,
    name: &str,
    definition: &Value,
    now: Millis,
) -> Result<()> {
    let definition = json_text(definition)?;
    sqlx::query(queries::INSERT_WORKFLOW_VERSION)
        .bind(id.0)
        .bind(version_to_i32(version)?)
        .bind(name)
        .bind(definition)
        .bind(now)
        .execute(conn)
        .await
        .map_err(|e| {
            StoreError::exists_on_unique(e, "workflow version", format!("{id}@{version}"))
        })?;
    Ok(())
}

/// JSON as the text `$N::json` parameters take (see `queries`).
fn json_text(value: &Value) -> Result<String> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::Invalid(format!("cannot serialize JSON: {e}")))
}

// ---- rows ----------------------------------------------------------------------------------

fn listing_from_row(row: &PgRow) -> Result<WorkflowListing> {
    let last_execution = match row.try_get::<Option<Uuid>, _>("last_id")? {
        Some(id) => Some(ExecutionBrief {
            id: ExecutionId(id),
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

fn workflow_from_row(row: &PgRow) -> Result<WorkflowRecord> {
    Ok(WorkflowRecord {
        id: WorkflowId(row.try_get("id")?),
        name: row.try_get("name")?,
        latest_version: to_u32(
            i64::from(row.try_get::<i32, _>("latest_version")?),
            "workflow version",
        )?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn version_from_row(row: &PgRow) -> Result<WorkflowVersion> {
    Ok(WorkflowVersion {
        workflow_id: WorkflowId(row.try_get("workflow_id")?),
        version: to_u32(
            i64::from(row.try_get::<i32, _>("version")?),
            "workflow version",
        )?,
        name: row.try_get("name")?,
        definition: row.try_get("definition")?,
        created_at: row.try_get("created_at")?,
    })
}

fn execution_from_row(row: &PgRow) -> Result<ExecutionRecord> {
    let parent_id: Option<Uuid> = row.try_get("parent_id")?;
    let parent_node: Option<String> = row.try_get("parent_node")?;
    Ok(ExecutionRecord {
        id: ExecutionId(row.try_get("id")?),
        workflow_id: WorkflowId(row.try_get("workflow_id")?),
        workflow_version: to_u32(
            i64::from(row.try_get::<i32, _>("workflow_version")?),
            "workflow version",
        )?,
        status: parse_status(row.try_get("status")?)?,
        input: row.try_get("input")?,
        output: row.try_get("output")?,
        error: row.try_get("error")?,
        priority: to_priority(i64::from(row.try_get::<i16, _>("priority")?))?,
        parent: parent_id.zip(parent_node).map(|(id, node)| ParentLink {
            execution_id: ExecutionId(id),
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

fn summary_from_row(row: &PgRow) -> Result<ExecutionSummary> {
    Ok(ExecutionSummary {
        id: ExecutionId(row.try_get("id")?),
        workflow_id: WorkflowId(row.try_get("workflow_id")?),
        status: parse_status(row.try_get("status")?)?,
        priority: to_priority(i64::from(row.try_get::<i16, _>("priority")?))?,
        wake_at: row.try_get("wake_at")?,
    })
}

fn event_from_row(row: &PgRow) -> Result<EventEnvelope> {
    let type_name: String = row.try_get("type")?;
    let data: Value = row.try_get("data")?;
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

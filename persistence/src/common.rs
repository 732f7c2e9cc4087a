//! What both backends share: checking an [`Append`] or a [`NewExecution`] (or the access
//! store's inputs) before any SQL runs, converting the engine's unsigned counters to SQL's
//! signed integers, page sizes and the clock.
//!
//! Keeping these here means SQLite and PostgreSQL refuse exactly the same inputs with exactly
//! the same errors, which is what lets one test suite cover both.

use crate::{
    Append, AuditFilter, ExecutionRecord, NewExecution, RefreshTokenRecord, RefreshUse, Result,
    Role, StoreError, WebhookRoute,
};
use std::collections::{HashMap, HashSet};
use std::time::{SystemTime, UNIX_EPOCH};
use uuid::Uuid;
use weft_core::{ExecutionId, ExecutionStatus, Millis, WorkflowId};

/// The most rows one list call returns, whatever the caller asks for.
pub(crate) const MAX_PAGE: u32 = 1000;
/// The page size when the caller passes `limit: 0` (e.g. `ExecutionFilter::default()`).
pub(crate) const DEFAULT_PAGE: u32 = 100;

/// A page size for SQL `LIMIT`: 0 means the default, anything above [`MAX_PAGE`] is capped.
/// A `LIKE … ESCAPE '\\'` pattern matching `text` anywhere, with its wildcards taken literally.
pub(crate) fn contains_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// Tags as stored in a definition (a JSON array of strings, or absent).
pub(crate) fn parse_tags(json: Option<&str>) -> Vec<String> {
    json.and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default()
}

/// The nearest-rank index of quantile `q` among `n` sorted values (`n > 0`).
pub(crate) fn quantile_offset(n: u64, q: f64) -> i64 {
    let rank = (q * n as f64).ceil() as i64;
    (rank - 1).clamp(0, n as i64 - 1)
}

/// One row of `EXECUTION_STATS` (either backend): bucket, status, count, mean and longest
/// duration.
pub(crate) type StatsRow = (i64, String, i64, Option<f64>, Option<i64>);

/// The stats rows as cells, bucket indexes clamped into the range.
pub(crate) fn stats_cells(
    rows: Vec<StatsRow>,
    range: &crate::StatsRange,
) -> Result<Vec<crate::StatsCell>> {
    rows.into_iter()
        .map(|(bucket, status, n, avg, max)| {
            Ok(crate::StatsCell {
                bucket: bucket_index(bucket, range.buckets),
                status: parse_status(&status)?,
                count: to_u64(n, "count")?,
                avg_duration_ms: avg,
                max_duration_ms: max,
            })
        })
        .collect()
}

/// The quantiles a dashboard shows, as (p50, p95).
pub(crate) const DURATION_QUANTILES: [f64; 2] = [0.5, 0.95];

/// `Store::execution_stats` for a backend: the same two statements (each backend's
/// `queries::EXECUTION_STATS` and `queries::DURATION_AT`, resolved where this is used) on its
/// pool. A macro because the pools' types differ while the code does not.
macro_rules! execution_stats_on {
    ($pool:expr, $range:expr) => {{
        let range = $range;
        let rows: Vec<$crate::common::StatsRow> = sqlx::query_as(queries::EXECUTION_STATS)
            .bind(range.from)
            .bind(range.to)
            .bind(range.bucket_ms())
            .fetch_all($pool)
            .await?;
        let cells = $crate::common::stats_cells(rows, &range)?;
        let finished = $crate::common::finished_count(&cells);
        let mut quantiles = [None, None];
        if finished > 0 {
            for (slot, q) in quantiles.iter_mut().zip($crate::common::DURATION_QUANTILES) {
                *slot = sqlx::query_scalar(queries::DURATION_AT)
                    .bind(range.from)
                    .bind(range.to)
                    .bind($crate::common::quantile_offset(finished, q))
                    .fetch_optional($pool)
                    .await?;
            }
        }
        Ok($crate::ExecutionStats {
            cells,
            p50_duration_ms: quantiles[0],
            p95_duration_ms: quantiles[1],
        })
    }};
}
pub(crate) use execution_stats_on;

/// How many of `cells` finished (their status is terminal): the population of the duration
/// quantiles.
pub(crate) fn finished_count(cells: &[crate::StatsCell]) -> u64 {
    cells
        .iter()
        .filter(|c| c.status.is_terminal())
        .map(|c| c.count)
        .sum()
}

/// A bucket index from SQL, clamped into the range (the last bucket takes the remainder).
pub(crate) fn bucket_index(raw: i64, buckets: u32) -> u32 {
    raw.clamp(0, i64::from(buckets.max(1)) - 1) as u32
}

pub(crate) fn page_limit(limit: u32) -> i64 {
    let limit = if limit == 0 {
        DEFAULT_PAGE
    } else {
        limit.min(MAX_PAGE)
    };
    i64::from(limit)
}

/// Wall-clock time for rows the caller gives no timestamp for (workflow saves).
pub(crate) fn now_millis() -> Millis {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| {
        Millis::try_from(d.as_millis()).unwrap_or(Millis::MAX)
    })
}

/// An unsigned counter (seq, version, epoch) as the signed 64-bit integer SQL stores.
pub(crate) fn to_i64(value: u64, what: &str) -> Result<i64> {
    i64::try_from(value).map_err(|_| {
        StoreError::Invalid(format!("{what} {value} is larger than the store can hold"))
    })
}

/// A stored signed counter back as the engine's unsigned one.
pub(crate) fn to_u64(value: i64, what: &str) -> Result<u64> {
    u64::try_from(value)
        .map_err(|_| StoreError::Invalid(format!("stored {what} {value} is negative")))
}

/// A stored signed small counter (workflow or format version) back as `u32`.
pub(crate) fn to_u32(value: i64, what: &str) -> Result<u32> {
    u32::try_from(value)
        .map_err(|_| StoreError::Invalid(format!("stored {what} {value} is out of range")))
}

/// A stored priority back as the engine's `u8`.
pub(crate) fn to_priority(value: i64) -> Result<u8> {
    u8::try_from(value)
        .map_err(|_| StoreError::Invalid(format!("stored priority {value} is out of range")))
}

/// A workflow version as SQL `integer` (PostgreSQL's is 32-bit signed; SQLite refuses the same
/// values so both backends behave alike).
pub(crate) fn version_to_i32(value: u32) -> Result<i32> {
    i32::try_from(value)
        .map_err(|_| StoreError::Invalid(format!("workflow version {value} is too large")))
}

/// Per-status counts in [`ExecutionStatus::ALL`] order, zero for statuses with no row, so a
/// metrics gauge drops to 0 instead of keeping its last value.
pub(crate) fn every_status(counted: Vec<(ExecutionStatus, u64)>) -> Vec<(ExecutionStatus, u64)> {
    ExecutionStatus::ALL
        .iter()
        .map(|&status| {
            let n = counted
                .iter()
                .filter(|(s, _)| *s == status)
                .map(|(_, n)| n)
                .sum();
            (status, n)
        })
        .collect()
}

pub(crate) fn parse_status(s: &str) -> Result<ExecutionStatus> {
    ExecutionStatus::parse(s)
        .ok_or_else(|| StoreError::Invalid(format!("unknown execution status `{s}` in the store")))
}

/// The row values an [`Append`] writes, checked and converted before any SQL runs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CheckedAppend {
    pub expected_version: i64,
    pub owner_epoch: i64,
    /// The execution's version after the append: its last event's seq.
    pub new_version: i64,
    /// `Some(now)` when the append moves the execution to a terminal status.
    pub finished_at: Option<Millis>,
    /// The snapshot's seq and format version, when the append carries one.
    pub snapshot: Option<(i64, i32)>,
}

/// Refuses an append whose events do not continue the log from `expected_version` without a
/// gap, or whose snapshot is ahead of its events. Nothing is written for a refused append.
pub(crate) fn check_append(a: &Append) -> Result<CheckedAppend> {
    let id = a.execution_id;
    for (offset, envelope) in (1u64..).zip(&a.events) {
        let want = a.expected_version.checked_add(offset);
        if Some(envelope.seq) != want {
            return Err(StoreError::Invalid(format!(
                "execution {id}: event seq {} where {} was expected (events must continue from \
                 version {} without gaps)",
                envelope.seq,
                want.map_or_else(|| "an overflowing seq".to_string(), |w| w.to_string()),
                a.expected_version
            )));
        }
    }
    let new_version = a.expected_version + a.events.len() as u64;
    let snapshot = match &a.snapshot {
        None => None,
        Some(s) if s.seq > new_version => {
            return Err(StoreError::Invalid(format!(
                "execution {id}: snapshot at seq {} is ahead of the last event (seq {new_version})",
                s.seq
            )));
        }
        Some(s) => Some((
            to_i64(s.seq, "snapshot seq")?,
            i32::try_from(s.format_version).map_err(|_| {
                StoreError::Invalid(format!(
                    "snapshot format version {} is too large",
                    s.format_version
                ))
            })?,
        )),
    };
    Ok(CheckedAppend {
        expected_version: to_i64(a.expected_version, "expected version")?,
        owner_epoch: to_i64(a.owner_epoch, "owner epoch")?,
        new_version: to_i64(new_version, "version")?,
        finished_at: a.status.is_terminal().then_some(a.now),
        snapshot,
    })
}

/// An append that passed [`check_append`], waiting for its round.
pub(crate) struct Pending {
    /// Its position in the caller's batch.
    pub index: usize,
    pub append: Append,
    pub checked: CheckedAppend,
}

/// A group commit, checked and split into rounds before any SQL runs.
pub(crate) struct BatchPlan {
    /// One outcome per append, in the caller's order: `Ok` until the database says otherwise.
    pub results: Vec<Result<()>>,
    /// Round `k` holds the `k`-th append of each execution in the batch, so no round names an
    /// execution twice and a set-based statement can guard a whole round at once. Usually
    /// there is one round; an execution appears twice only when its writer pipelines, and
    /// then its second append must see the row its first one left.
    pub rounds: Vec<Vec<Pending>>,
}

impl BatchPlan {
    pub(crate) fn new(appends: Vec<Append>) -> BatchPlan {
        let mut results = Vec::with_capacity(appends.len());
        let mut rounds: Vec<Vec<Pending>> = Vec::new();
        let mut seen: HashMap<ExecutionId, usize> = HashMap::with_capacity(appends.len());
        for (index, append) in appends.into_iter().enumerate() {
            match check_append(&append) {
                Ok(checked) => {
                    results.push(Ok(()));
                    let round = seen.entry(append.execution_id).or_insert(0);
                    if *round == rounds.len() {
                        rounds.push(Vec::new());
                    }
                    rounds[*round].push(Pending {
                        index,
                        append,
                        checked,
                    });
                    *round += 1;
                }
                Err(e) => results.push(Err(e)),
            }
        }
        BatchPlan { results, rounds }
    }

    /// The outcomes once the batch was written (`Ok`) or its transaction failed (`Err`):
    /// then nothing was committed, and the appends that had not failed on their own fail
    /// with the batch.
    pub(crate) fn finish(mut results: Vec<Result<()>>, written: Result<()>) -> Vec<Result<()>> {
        if let Err(batch_error) = written {
            for result in &mut results {
                if result.is_ok() {
                    *result = Err(batch_error.clone());
                }
            }
        }
        results
    }
}

/// What creating an execution gives: its record, and whether this call inserted it.
pub(crate) type Created = (ExecutionRecord, bool);

/// The row values a [`NewExecution`] writes that need converting, checked before any SQL runs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CheckedCreate {
    pub workflow_version: i32,
    pub owner_epoch: i64,
}

pub(crate) fn check_create(new: &NewExecution) -> Result<CheckedCreate> {
    Ok(CheckedCreate {
        workflow_version: version_to_i32(new.workflow_version)?,
        owner_epoch: to_i64(new.owner_epoch, "owner epoch")?,
    })
}

/// A new execution that passed [`check_create`], waiting for its round.
pub(crate) struct PendingCreate {
    /// Its position in the caller's batch.
    pub index: usize,
    pub new: NewExecution,
    pub checked: CheckedCreate,
}

/// What the database answered for each item of a create batch, by position (`None`: refused
/// by the checks, or never reached).
pub(crate) type CreateOutcomes = Vec<Option<Result<Created>>>;

/// A batch of new executions, checked and split into rounds before any SQL runs.
pub(crate) struct CreatePlan {
    /// The checks' refusals, by position; `None` for the items that go to the database.
    pub refused: Vec<Option<StoreError>>,
    /// No two items of a round share an id or an idempotency key, so a round's outcomes do not
    /// depend on the order its rows are inserted in, and a set-based insert gives each item
    /// what a lone `create_execution` would. An item that shares one with an earlier item goes
    /// in a later round than it, so it sees that item's row, as it would one call later.
    /// Usually there is one round.
    pub rounds: Vec<Vec<PendingCreate>>,
}

impl CreatePlan {
    pub(crate) fn new(batch: Vec<NewExecution>) -> CreatePlan {
        let mut refused = Vec::with_capacity(batch.len());
        let mut rounds: Vec<Vec<PendingCreate>> = Vec::new();
        // The first round each id or key may still go in.
        let mut by_id: HashMap<ExecutionId, usize> = HashMap::with_capacity(batch.len());
        let mut by_key: HashMap<(WorkflowId, String), usize> = HashMap::new();
        for (index, new) in batch.into_iter().enumerate() {
            let checked = match check_create(&new) {
                Ok(checked) => checked,
                Err(e) => {
                    refused.push(Some(e));
                    continue;
                }
            };
            refused.push(None);
            let key = new
                .idempotency_key
                .as_ref()
                .map(|k| (new.workflow_id, k.clone()));
            let round = by_id
                .get(&new.id)
                .copied()
                .max(key.as_ref().and_then(|k| by_key.get(k).copied()))
                .unwrap_or(0);
            by_id.insert(new.id, round + 1);
            if let Some(key) = key {
                by_key.insert(key, round + 1);
            }
            if round == rounds.len() {
                rounds.push(Vec::new());
            }
            rounds[round].push(PendingCreate {
                index,
                new,
                checked,
            });
        }
        CreatePlan { refused, rounds }
    }

    /// One outcome per item once the batch was written (`Ok`) or its transaction failed
    /// (`Err`): then nothing was committed, and every item that reached the database fails
    /// with the batch.
    pub(crate) fn finish(
        refused: Vec<Option<StoreError>>,
        outcomes: CreateOutcomes,
        written: Result<()>,
    ) -> Vec<Result<Created>> {
        refused
            .into_iter()
            .zip(outcomes)
            .map(|(refused, outcome)| match (refused, &written, outcome) {
                (Some(e), _, _) => Err(e),
                (None, Err(e), _) => Err(e.clone()),
                (None, Ok(()), Some(outcome)) => outcome,
                (None, Ok(()), None) => Err(StoreError::Internal(
                    "the store gave no outcome for this execution".into(),
                )),
            })
            .collect()
    }
}

/// Why an item's insert did nothing when no execution holds its idempotency key (or it has
/// none): its id is taken by another execution.
pub(crate) fn execution_id_taken(id: ExecutionId) -> StoreError {
    StoreError::AlreadyExists {
        what: "execution",
        id: id.to_string(),
    }
}

/// Why an append's guarded UPDATE matched no row, given what the row holds now (`None`: the
/// execution does not exist).
pub(crate) fn stale_append_error(
    id: ExecutionId,
    current: Option<(i64, i64)>,
    expected_version: u64,
    owner_epoch: u64,
) -> StoreError {
    match current {
        None => StoreError::not_found("execution", id),
        Some((version, epoch)) => StoreError::Conflict(format!(
            "execution {id} is at version {version} with owner epoch {epoch}; the append expected \
             version {expected_version} with epoch {owner_epoch}"
        )),
    }
}

/// Why `claim_execution` was refused, given the row's status and owner epoch (`None`: absent).
pub(crate) fn claim_refused_error(
    id: ExecutionId,
    current: Option<(ExecutionStatus, i64)>,
    epoch: u64,
) -> StoreError {
    match current {
        None => StoreError::not_found("execution", id),
        Some((status, _)) if status.is_terminal() => {
            StoreError::Conflict(format!("execution {id} is already finished ({status})"))
        }
        Some((_, owner)) => StoreError::Conflict(format!(
            "execution {id} is owned by epoch {owner}, newer than {epoch}"
        )),
    }
}

/// Why `reopen_execution` was refused, given the row's status and owner epoch.
pub(crate) fn reopen_refused_error(
    id: ExecutionId,
    current: Option<(ExecutionStatus, i64)>,
    epoch: u64,
) -> StoreError {
    match current {
        Some((status, _))
            if !matches!(status, ExecutionStatus::Failed | ExecutionStatus::TimedOut) =>
        {
            StoreError::Conflict(format!(
                "execution {id} is {status}; only a failed or timed-out execution can be retried"
            ))
        }
        other => claim_refused_error(id, other, epoch),
    }
}

/// The password a database URL carries, if any, so messages can be scrubbed of it.
pub(crate) fn url_password(url: &str) -> Option<&str> {
    let after_scheme = url.find("://")? + 3;
    let at = url.rfind('@').filter(|&at| at > after_scheme)?;
    let creds = &url[after_scheme..at];
    let password = &creds[creds.find(':')? + 1..];
    (!password.is_empty()).then_some(password)
}

/// `message` with the URL's password (if any) replaced, for errors raised while connecting.
pub(crate) fn scrub(message: String, url: &str) -> String {
    match url_password(url) {
        Some(p) if message.contains(p) => message.replace(p, "***"),
        _ => message,
    }
}

// ---- access ----------------------------------------------------------------------------------

pub(crate) fn parse_role(s: &str) -> Result<Role> {
    Role::parse(s).ok_or_else(|| StoreError::Invalid(format!("unknown role `{s}` in the store")))
}

/// Refuses an empty (or all-blank) name: a user, credential or webhook path nobody could type.
pub(crate) fn check_name(what: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(StoreError::Invalid(format!("{what} is empty")));
    }
    Ok(())
}

pub(crate) fn username_taken(username: &str) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
    move |e| StoreError::exists_on_unique(e, "user", username)
}

pub(crate) fn credential_name_taken(name: &str) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
    move |e| StoreError::exists_on_unique(e, "credential", name)
}

/// Refuses what no credential update can apply: an empty name, or a new secret sealed for a
/// version no update creates (below 2, or beyond what the columns hold). The version to bind.
pub(crate) fn check_credential_update(update: &crate::CredentialUpdate) -> Result<Option<i32>> {
    if let Some(name) = &update.name {
        check_name("credential name", name)?;
    }
    let Some(secret) = &update.secret else {
        return Ok(None);
    };
    match i32::try_from(secret.version) {
        Ok(v) if v >= 2 => Ok(Some(v)),
        _ => Err(StoreError::Invalid(format!(
            "a new credential secret is sealed for version 2 or later, not {}",
            secret.version
        ))),
    }
}

/// An update whose secret was sealed for a version that is not the stored one plus one.
pub(crate) fn credential_version_conflict(id: Uuid, stored: u32, sealed_for: u32) -> StoreError {
    StoreError::Conflict(format!(
        "credential `{id}` is at version {stored}: a new secret must be sealed for version {}, \
         not {sealed_for} (it changed meanwhile)",
        stored + 1
    ))
}

/// Names an API key looked up by hash in errors without repeating the whole hash.
pub(crate) fn api_key_not_found(key_hash: &str) -> StoreError {
    let shown: String = key_hash.chars().take(8).collect();
    StoreError::not_found("api key", format!("{shown}…"))
}

/// When a lock that starts `now` ends; a negative duration is refused.
pub(crate) fn lock_until(now: Millis, lock_ms: i64) -> Result<Millis> {
    if lock_ms < 0 {
        return Err(StoreError::Invalid(format!(
            "lock duration {lock_ms} ms is negative"
        )));
    }
    Ok(now.saturating_add(lock_ms))
}

/// What a refresh token that the conditional update did not use up means, given its row as it
/// is now (`None`: no such token). Used up or revoked wins over expired: a replay is worth
/// reporting even when the stolen copy has expired meanwhile.
pub(crate) fn refresh_not_used(token: Option<RefreshTokenRecord>, now: Millis) -> RefreshUse {
    match token {
        None => RefreshUse::Unknown,
        Some(t) if t.used_at.is_some() || t.revoked_at.is_some() => RefreshUse::Reused(t),
        Some(t) if t.expires_at <= now => RefreshUse::Expired(t),
        // Live now, so it was inserted after the update looked: it did not exist when it was
        // presented.
        Some(_) => RefreshUse::Unknown,
    }
}

/// How [`AuditFilter::action`] matches: a value ending in `.` is a prefix (`workflow.`), any
/// other value must equal the action.
pub(crate) enum ActionMatch<'a> {
    Exact(&'a str),
    Prefix(&'a str),
}

pub(crate) fn action_match(filter: &AuditFilter) -> Option<ActionMatch<'_>> {
    filter.action.as_deref().map(|a| {
        if a.ends_with('.') {
            ActionMatch::Prefix(a)
        } else {
            ActionMatch::Exact(a)
        }
    })
}

/// A stored HTTP status back as `u16`.
pub(crate) fn to_status(value: i64) -> Result<u16> {
    u16::try_from(value)
        .map_err(|_| StoreError::Invalid(format!("stored HTTP status {value} is out of range")))
}

/// Refuses a webhook route set that could not be stored as given: a route of another workflow,
/// an empty path, a path with a leading `/`, or a path listed twice.
pub(crate) fn check_webhook_routes(workflow_id: WorkflowId, routes: &[WebhookRoute]) -> Result<()> {
    let mut paths = HashSet::with_capacity(routes.len());
    for route in routes {
        if route.workflow_id != workflow_id {
            return Err(StoreError::Invalid(format!(
                "webhook route `{}` names workflow {}, not {workflow_id}",
                route.path, route.workflow_id
            )));
        }
        check_name("webhook path", &route.path)?;
        check_name("webhook node id", &route.node_id)?;
        if route.path.starts_with('/') {
            return Err(StoreError::Invalid(format!(
                "webhook path `{}` starts with `/`; paths are relative to /hooks/",
                route.path
            )));
        }
        if !paths.insert(route.path.as_str()) {
            return Err(StoreError::Invalid(format!(
                "webhook path `{}` is listed twice",
                route.path
            )));
        }
    }
    Ok(())
}

/// Why a webhook route set was refused: `path` belongs to another workflow.
pub(crate) fn webhook_path_taken(path: &str, holder: WorkflowId) -> StoreError {
    StoreError::Conflict(format!(
        "webhook path `{path}` is already used by workflow {holder}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use weft_core::{Event, EventEnvelope};

    fn append(expected_version: u64, seqs: &[u64]) -> Append {
        Append {
            execution_id: ExecutionId::new(),
            expected_version,
            owner_epoch: 1,
            events: seqs
                .iter()
                .map(|&seq| EventEnvelope {
                    seq,
                    at: 0,
                    event: Event::CancelRequested { reason: "x".into() },
                })
                .collect(),
            status: ExecutionStatus::Running,
            output: None,
            error: None,
            wake_at: None,
            snapshot: None,
            now: 5,
        }
    }

    #[test]
    fn appends_must_continue_the_log_without_gaps() {
        assert_eq!(
            check_append(&append(2, &[3, 4]))
                .map(|c| c.new_version)
                .ok(),
            Some(4)
        );
        assert_eq!(
            check_append(&append(2, &[])).map(|c| c.new_version).ok(),
            Some(2)
        );
        assert!(matches!(
            check_append(&append(2, &[4])),
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            check_append(&append(2, &[3, 5])),
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            check_append(&append(2, &[3, 3])),
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            check_append(&append(u64::MAX, &[])),
            Err(StoreError::Invalid(_))
        ));
    }

    #[test]
    fn batches_split_into_rounds_of_distinct_executions() {
        let a = append(0, &[1]);
        let b = append(0, &[1]);
        let a2 = Append {
            expected_version: 1,
            events: Vec::new(),
            ..a.clone()
        };
        let bad = append(0, &[2]);
        let plan = BatchPlan::new(vec![a.clone(), b.clone(), bad, a2.clone()]);
        assert!(matches!(plan.results[2], Err(StoreError::Invalid(_))));
        let rounds: Vec<Vec<usize>> = plan
            .rounds
            .iter()
            .map(|r| r.iter().map(|p| p.index).collect())
            .collect();
        assert_eq!(rounds, [vec![0, 1], vec![3]]);

        let failed = BatchPlan::finish(plan.results, Err(StoreError::Unavailable("gone".into())));
        assert!(failed.iter().all(Result::is_err));
        assert!(
            matches!(failed[2], Err(StoreError::Invalid(_))),
            "own refusals are kept"
        );
    }

    fn new_execution(workflow_id: WorkflowId, key: Option<&str>) -> NewExecution {
        NewExecution {
            id: ExecutionId::new(),
            workflow_id,
            workflow_version: 1,
            input: serde_json::Value::Null,
            priority: 5,
            parent: None,
            idempotency_key: key.map(str::to_owned),
            owner_epoch: 1,
            created_at: 0,
            trigger: None,
            correlation_id: None,
        }
    }

    #[test]
    fn create_batches_split_into_rounds_of_distinct_ids_and_keys() {
        let (w, other) = (WorkflowId::new(), WorkflowId::new());
        let a = new_execution(w, Some("k"));
        let b = new_execution(w, None);
        let a_again = new_execution(w, Some("k"));
        let same_id = NewExecution {
            workflow_id: other,
            ..b.clone()
        };
        let key_elsewhere = new_execution(other, Some("k"));
        let bad = NewExecution {
            owner_epoch: u64::MAX,
            ..new_execution(w, None)
        };
        // Shares its id with `b` (round 1) and its key with `a_again` (round 1): round 2.
        let both = NewExecution {
            id: b.id,
            ..new_execution(w, Some("k"))
        };
        let plan = CreatePlan::new(vec![a, b, a_again, same_id, key_elsewhere, bad, both]);
        let rounds: Vec<Vec<usize>> = plan
            .rounds
            .iter()
            .map(|r| r.iter().map(|p| p.index).collect())
            .collect();
        assert_eq!(rounds, [vec![0, 1, 4], vec![2, 3], vec![6]]);
        assert!(matches!(plan.refused[5], Some(StoreError::Invalid(_))));
        assert_eq!(plan.refused.iter().filter(|r| r.is_some()).count(), 1);

        let failed = CreatePlan::finish(
            plan.refused,
            (0..7).map(|_| None).collect(),
            Err(StoreError::Unavailable("gone".into())),
        );
        assert!(matches!(failed[0], Err(StoreError::Unavailable(_))));
        assert!(
            matches!(failed[5], Err(StoreError::Invalid(_))),
            "own refusals are kept"
        );
    }

    #[test]
    fn contains_patterns_take_wildcards_literally() {
        assert_eq!(contains_pattern("order"), "%order%");
        assert_eq!(contains_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }

    #[test]
    fn quantile_offsets_use_the_nearest_rank() {
        assert_eq!(quantile_offset(1, 0.95), 0);
        assert_eq!(quantile_offset(20, 0.95), 18);
        assert_eq!(quantile_offset(100, 0.5), 49);
        assert_eq!(quantile_offset(3, 0.99), 2);
        assert_eq!(bucket_index(-3, 10), 0);
        assert_eq!(bucket_index(10, 10), 9);
    }

    #[test]
    fn page_limits_are_defaulted_and_capped() {
        assert_eq!(page_limit(0), i64::from(DEFAULT_PAGE));
        assert_eq!(page_limit(7), 7);
        assert_eq!(page_limit(50_000), i64::from(MAX_PAGE));
    }

    #[test]
    fn passwords_are_scrubbed_from_messages() {
        let url = "postgres://weft:s3cret@db:5432/weft";
        assert_eq!(url_password(url), Some("s3cret"));
        assert_eq!(
            scrub("auth failed for s3cret".into(), url),
            "auth failed for ***"
        );
        assert_eq!(url_password("postgres://weft@db/weft"), None);
        assert_eq!(url_password("sqlite://weft-data/weft.db"), None);
    }
}

//! Every statement the PostgreSQL store runs, in one place, so the schema and the SQL can be
//! read side by side. All values are bound parameters (`$N`); nothing is formatted into SQL
//! text.
//!
//! JSON goes in as text cast to `json` (`$N::json`): bound as a `serde_json::Value`, sqlx would
//! send `jsonb`, which PostgreSQL parses and re-sorts before storing it in a `json` column.
//!
//! The status lists `('queued', 'running', 'waiting')` are spelled out literally because the
//! planner only uses the partial indexes of the migration when a query's predicate implies
//! theirs.

use crate::ExecutionFilter;
use crate::common::page_limit;
use sqlx::{Postgres, QueryBuilder};

/// The columns `execution_from_row` reads, in a macro so `concat!` can build `&'static str`
/// statements from it.
macro_rules! execution_columns {
    () => {
        "id, workflow_id, workflow_version, status, input, output, error, priority, parent_id, \
         parent_node, idempotency_key, version, owner_epoch, wake_at, created_at, updated_at, \
         finished_at"
    };
}

macro_rules! summary_columns {
    () => {
        "id, workflow_id, status, priority, wake_at"
    };
}

macro_rules! version_columns {
    () => {
        "workflow_id, version, name, definition, created_at"
    };
}

pub(super) const PING: &str = "SELECT 1";

// ---- workflows -------------------------------------------------------------------------

pub(super) const INSERT_WORKFLOW: &str = "INSERT INTO workflows \
     (id, name, latest_version, deleted, created_at, updated_at) VALUES ($1, $2, 1, false, $3, $3)";

/// `$4` is the definition as JSON text (see the module doc on `json`).
pub(super) const INSERT_WORKFLOW_VERSION: &str = concat!(
    "INSERT INTO workflow_versions (",
    version_columns!(),
    ") VALUES ($1, $2, $3, $4::json, $5)"
);

/// Takes the next version number, locking the workflow row until commit so concurrent saves
/// queue; matches nothing when the workflow is missing, deleted, or (with `$4`) not at the
/// version the caller expects.
pub(super) const BUMP_WORKFLOW_VERSION: &str = "UPDATE workflows \
     SET latest_version = latest_version + 1, name = $2, updated_at = $3 \
     WHERE id = $1 AND NOT deleted AND ($4::integer IS NULL OR latest_version = $4) \
     RETURNING latest_version";

pub(super) const WORKFLOW_STATE: &str =
    "SELECT latest_version, deleted FROM workflows WHERE id = $1";

pub(super) const SELECT_WORKFLOW: &str = "SELECT id, name, latest_version, created_at, updated_at \
     FROM workflows WHERE id = $1 AND NOT deleted";

/// `$1` is the cursor; the nil UUID sorts before every id.
pub(super) const LIST_WORKFLOWS: &str = "SELECT id, name, latest_version, created_at, updated_at \
     FROM workflows WHERE NOT deleted AND id > $1 ORDER BY id LIMIT $2";

pub(super) const SELECT_LATEST_WORKFLOW_VERSION: &str = "SELECT v.workflow_id, v.version, v.name, \
     v.definition, v.created_at FROM workflows w JOIN workflow_versions v \
     ON v.workflow_id = w.id AND v.version = w.latest_version WHERE w.id = $1 AND NOT w.deleted";

pub(super) const SELECT_WORKFLOW_VERSION: &str = concat!(
    "SELECT ",
    version_columns!(),
    " FROM workflow_versions WHERE workflow_id = $1 AND version = $2"
);

pub(super) const LIST_WORKFLOW_VERSIONS: &str = concat!(
    "SELECT ",
    version_columns!(),
    " FROM workflow_versions WHERE workflow_id = $1 ORDER BY version"
);

pub(super) const DELETE_WORKFLOW: &str =
    "UPDATE workflows SET deleted = true, updated_at = $2 WHERE id = $1 AND NOT deleted";

// ---- executions ------------------------------------------------------------------------

/// One round of a create batch (see `CreatePlan`: no two rows share an id or a key) in one
/// statement; each column is an array that `UNNEST` turns back into rows. A row whose id or
/// (workflow, idempotency key) pair is taken is skipped, and only the ids inserted come back;
/// the caller then looks up the skipped rows' keys. A concurrent insert of the same key waits
/// for the first to commit, so the follow-up lookup always finds the winner.
pub(super) const INSERT_EXECUTIONS: &str = "\
INSERT INTO executions
    (id, workflow_id, workflow_version, status, input, priority, parent_id, parent_node,
     idempotency_key, version, owner_epoch, created_at, updated_at)
SELECT b.id, b.workflow_id, b.workflow_version, 'queued', b.input::json, b.priority,
       b.parent_id, b.parent_node, b.idempotency_key, 0, b.owner_epoch, b.created_at,
       b.created_at
FROM UNNEST($1::uuid[], $2::uuid[], $3::integer[], $4::text[], $5::smallint[], $6::uuid[],
            $7::text[], $8::text[], $9::bigint[], $10::bigint[])
     AS b (id, workflow_id, workflow_version, input, priority, parent_id, parent_node,
           idempotency_key, owner_epoch, created_at)
ON CONFLICT DO NOTHING
RETURNING id";

pub(super) const SELECT_EXECUTION: &str = concat!(
    "SELECT ",
    execution_columns!(),
    " FROM executions WHERE id = $1"
);

/// The executions holding the (workflow, idempotency key) pairs `$1`/`$2` list pairwise.
pub(super) const SELECT_EXECUTIONS_BY_KEYS: &str = concat!(
    "SELECT ",
    execution_columns!(),
    " FROM executions WHERE (workflow_id, idempotency_key) IN \
     (SELECT * FROM UNNEST($1::uuid[], $2::text[]))"
);

pub(super) const COUNT_EXECUTIONS: &str = "SELECT status, COUNT(*) FROM executions GROUP BY status";

pub(super) const COUNT_WORKFLOW_EXECUTIONS: &str =
    "SELECT status, COUNT(*) FROM executions WHERE workflow_id = $1 GROUP BY status";

/// Newest first with the optional filters; only the filters present appear in the SQL, so
/// each combination gets its own prepared statement and a plan that uses its index.
pub(super) fn list_executions(filter: &ExecutionFilter) -> QueryBuilder<Postgres> {
    let mut q = QueryBuilder::new(concat!(
        "SELECT ",
        execution_columns!(),
        " FROM executions WHERE true"
    ));
    if let Some(workflow_id) = filter.workflow_id {
        q.push(" AND workflow_id = ").push_bind(workflow_id.0);
    }
    if let Some(status) = filter.status {
        q.push(" AND status = ").push_bind(status.as_str());
    }
    if let Some(before) = filter.before {
        q.push(" AND id < ").push_bind(before.0);
    }
    q.push(" ORDER BY id DESC LIMIT ")
        .push_bind(page_limit(filter.limit));
    q
}

// ---- the event log ---------------------------------------------------------------------

/// A whole group commit (or one round of it, see `PgStore::append`) in one statement and one
/// round trip. Each execution appears at most once in `$1`.
///
/// - `batch` unnests the per-append arrays (`$1`–`$10`);
/// - `advanced` is the optimistic-locking guard: it moves each row to its append's state only
///   if it is still at the expected version and owner epoch. Under READ COMMITTED a row a
///   concurrent transaction changed is re-checked against its new values, so a newer owner's
///   claim fences this write;
/// - `inserted_events` (`$11`–`$16`) and `saved_snapshots` (`$17`–`$20`) keep only the rows of
///   executions `advanced` returned, so a refused append writes nothing at all;
/// - the final select reports, per append in input order, whether it was applied and, if not,
///   what the row held when the statement started (no row: the execution does not exist).
///   `IN (SELECT id FROM advanced)` runs as one hashed subplan; a join against `advanced` was
///   planned as a nested loop (the planner guesses a single row for a CTE), quadratic in the
///   batch size.
///
/// All parts commit or fail together: it is one statement.
pub(super) const APPEND_BATCH: &str = "\
WITH batch AS (
    SELECT *
    FROM UNNEST($1::uuid[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[],
                $6::text[], $7::text[], $8::bigint[], $9::bigint[], $10::bigint[])
         WITH ORDINALITY
         AS b (id, expected_version, owner_epoch, new_version, status,
               output, error, wake_at, now, finished_at, ord)
),
advanced AS (
    UPDATE executions e
    SET version = b.new_version,
        status = b.status,
        output = b.output::json,
        error = b.error::json,
        wake_at = b.wake_at,
        updated_at = b.now,
        finished_at = CASE WHEN b.finished_at IS NULL THEN NULL
                           ELSE COALESCE(e.finished_at, b.finished_at) END
    FROM batch b
    WHERE e.id = b.id AND e.version = b.expected_version AND e.owner_epoch = b.owner_epoch
    RETURNING e.id
),
inserted_events AS (
    INSERT INTO events (execution_id, seq, type, node_id, at, data)
    SELECT v.execution_id, v.seq, v.type, v.node_id, v.at, v.data::json
    FROM UNNEST($11::uuid[], $12::bigint[], $13::text[], $14::text[], $15::bigint[], $16::text[])
         AS v (execution_id, seq, type, node_id, at, data)
    WHERE v.execution_id IN (SELECT id FROM advanced)
),
saved_snapshots AS (
    INSERT INTO snapshots (execution_id, seq, format_version, state)
    SELECT s.execution_id, s.seq, s.format_version, s.state::json
    FROM UNNEST($17::uuid[], $18::bigint[], $19::integer[], $20::text[])
         AS s (execution_id, seq, format_version, state)
    WHERE s.execution_id IN (SELECT id FROM advanced)
    ON CONFLICT (execution_id) DO UPDATE
    SET seq = EXCLUDED.seq, format_version = EXCLUDED.format_version, state = EXCLUDED.state
    WHERE snapshots.seq <= EXCLUDED.seq
)
SELECT b.ord,
       b.id IN (SELECT id FROM advanced) AS applied,
       e.version AS current_version,
       e.owner_epoch AS current_epoch
FROM batch b
LEFT JOIN executions e ON e.id = b.id
ORDER BY b.ord";

pub(super) const SELECT_EVENTS: &str = "SELECT seq, type, at, data FROM events \
     WHERE execution_id = $1 AND seq > $2 ORDER BY seq LIMIT $3";

pub(super) const SELECT_SNAPSHOT: &str =
    "SELECT seq, format_version, state FROM snapshots WHERE execution_id = $1";

// ---- ownership and recovery ------------------------------------------------------------

pub(super) const NEXT_EPOCH: &str = "SELECT nextval('owner_epochs')";

pub(super) const CLAIM_EXECUTION: &str = concat!(
    "UPDATE executions SET owner_epoch = $2 \
     WHERE id = $1 AND owner_epoch <= $2 AND status IN ('queued', 'running', 'waiting') \
     RETURNING ",
    execution_columns!()
);

pub(super) const CLAIM_STATE: &str = "SELECT status, owner_epoch FROM executions WHERE id = $1";

/// `$1` is the cursor; the nil UUID sorts before every id.
pub(super) const UNFINISHED_EXECUTIONS: &str = concat!(
    "SELECT ",
    summary_columns!(),
    " FROM executions WHERE status IN ('queued', 'running', 'waiting') AND id > $1 \
     ORDER BY id LIMIT $2"
);

pub(super) const DUE_EXECUTIONS: &str = concat!(
    "SELECT ",
    summary_columns!(),
    " FROM executions \
     WHERE wake_at IS NOT NULL AND status IN ('queued', 'running', 'waiting') AND wake_at <= $1 \
     ORDER BY wake_at LIMIT $2"
);

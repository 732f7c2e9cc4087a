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

use crate::common::{ActionMatch, action_match, contains_pattern, page_limit};
use crate::{AuditFilter, ExecutionFilter, WorkflowFilter};
use sqlx::{Postgres, QueryBuilder};

/// The columns `execution_from_row` reads, in a macro so `concat!` can build `&'static str`
/// statements from it.
macro_rules! execution_columns {
    () => {
        "id, workflow_id, workflow_version, status, input, output, error, priority, parent_id, \
         parent_node, idempotency_key, version, owner_epoch, wake_at, created_at, updated_at, \
         finished_at, trigger_node, correlation_id"
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
/// Workflows with their latest version's description and tags and their newest execution
/// (found through the `(workflow_id, id)` index, one row per workflow).
pub(super) fn list_workflows(filter: &WorkflowFilter) -> QueryBuilder<Postgres> {
    let mut q = QueryBuilder::new(
        "SELECT w.id, w.name, w.latest_version, w.created_at, w.updated_at, \
         v.definition ->> 'description' AS description, \
         (v.definition -> 'tags')::text AS tags, \
         e.id AS last_id, e.status AS last_status, e.created_at AS last_created_at \
         FROM workflows w \
         JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.latest_version \
         LEFT JOIN executions e ON e.id = (SELECT x.id FROM executions x \
             WHERE x.workflow_id = w.id ORDER BY x.id DESC LIMIT 1) \
         WHERE NOT w.deleted",
    );
    if let Some(after) = filter.after {
        q.push(" AND w.id > ").push_bind(after.0);
    }
    if let Some(search) = &filter.search {
        q.push(" AND w.name ILIKE ")
            .push_bind(contains_pattern(search))
            .push(" ESCAPE '\\'");
    }
    if let Some(tag) = &filter.tag {
        q.push(
            " AND EXISTS (SELECT 1 FROM json_array_elements_text(\
             COALESCE(v.definition -> 'tags', '[]'::json)) AS t(tag) WHERE t.tag = ",
        )
        .push_bind(tag.clone())
        .push(")");
    }
    q.push(" ORDER BY w.id LIMIT ")
        .push_bind(page_limit(filter.limit));
    q
}

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
     idempotency_key, version, owner_epoch, created_at, updated_at, trigger_node, correlation_id)
SELECT b.id, b.workflow_id, b.workflow_version, 'queued', b.input::json, b.priority,
       b.parent_id, b.parent_node, b.idempotency_key, 0, b.owner_epoch, b.created_at,
       b.created_at, b.trigger_node, b.correlation_id
FROM UNNEST($1::uuid[], $2::uuid[], $3::integer[], $4::text[], $5::smallint[], $6::uuid[],
            $7::text[], $8::text[], $9::bigint[], $10::bigint[], $11::text[], $12::text[])
     AS b (id, workflow_id, workflow_version, input, priority, parent_id, parent_node,
           idempotency_key, owner_epoch, created_at, trigger_node, correlation_id)
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
    if let Some(from) = filter.created_from {
        q.push(" AND created_at >= ").push_bind(from);
    }
    if let Some(to) = filter.created_to {
        q.push(" AND created_at < ").push_bind(to);
    }
    q.push(" ORDER BY id DESC LIMIT ")
        .push_bind(page_limit(filter.limit));
    q
}

/// Per bucket (`$3` ms wide from `$1`) and status: how many executions were created in
/// `[$1, $2)`, and the mean and longest duration of those that finished.
pub(super) const EXECUTION_STATS: &str = "SELECT (created_at - $1) / $3 AS bucket, status, \
     COUNT(*) AS n, AVG(finished_at - created_at)::float8 AS avg_ms, \
     MAX(finished_at - created_at) AS max_ms \
     FROM executions WHERE created_at >= $1 AND created_at < $2 GROUP BY bucket, status";

/// The duration at sorted position `$3` among the executions created in `[$1, $2)` that
/// finished.
pub(super) const DURATION_AT: &str = "SELECT finished_at - created_at AS d FROM executions \
     WHERE created_at >= $1 AND created_at < $2 AND finished_at IS NOT NULL \
     ORDER BY d LIMIT 1 OFFSET $3";

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

/// `CLAIM_EXECUTION` for a retry: only a failed or timed-out execution is taken.
pub(super) const REOPEN_EXECUTION: &str = concat!(
    "UPDATE executions SET owner_epoch = $2 \
     WHERE id = $1 AND owner_epoch <= $2 AND status IN ('failed', 'timed_out') \
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

// ---- access: users -----------------------------------------------------------------------

/// The columns `user_from_row` reads.
macro_rules! user_columns {
    () => {
        "id, username, password_hash, role, totp_secret, disabled, failed_logins, locked_until, \
         created_at, updated_at"
    };
}

macro_rules! refresh_token_columns {
    () => {
        "id, family_id, user_id, token_hash, created_at, expires_at, used_at, revoked_at"
    };
}

macro_rules! api_key_columns {
    () => {
        "id, name, prefix, key_hash, role, created_by, created_at, expires_at, last_used_at, \
         revoked_at"
    };
}

/// Everything of a credential but its sealed secret: lists and reads never load it.
macro_rules! credential_columns {
    () => {
        "id, name, kind, version, created_by, created_at, updated_at"
    };
}

macro_rules! audit_columns {
    () => {
        "id, at, principal, action, resource, status, ip, request_id, detail"
    };
}

pub(super) const INSERT_USER: &str = "INSERT INTO users \
     (id, username, password_hash, role, disabled, failed_logins, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, false, 0, $5, $5)";

pub(super) const SELECT_USER: &str =
    concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1");

pub(super) const SELECT_USER_BY_NAME: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users WHERE username = $1"
);

pub(super) const LIST_USERS: &str =
    concat!("SELECT ", user_columns!(), " FROM users ORDER BY username");

pub(super) const COUNT_USERS: &str = "SELECT COUNT(*) FROM users";

/// A NULL parameter leaves its column as it is; `$5` says whether to set the TOTP secret (to
/// `$6`, which may be NULL: MFA off).
pub(super) const UPDATE_USER: &str = concat!(
    "UPDATE users SET password_hash = COALESCE($2, password_hash), role = COALESCE($3, role), \
     disabled = COALESCE($4, disabled), totp_secret = CASE WHEN $5 THEN $6 ELSE totp_secret END, \
     updated_at = $7 WHERE id = $1 RETURNING ",
    user_columns!()
);

pub(super) const DELETE_USER: &str = "DELETE FROM users WHERE id = $1";

/// One failed login, counted in a single statement: concurrent failures queue on the row lock
/// and each re-reads the count the previous one left, so none is lost. Reaching `$3` failures
/// (`$3` > 0) locks the account until `$4` and starts the count again.
pub(super) const RECORD_LOGIN_FAILURE: &str = concat!(
    "UPDATE users SET \
     failed_logins = CASE WHEN $3 > 0 AND failed_logins + 1 >= $3 THEN 0 \
                          ELSE failed_logins + 1 END, \
     locked_until = CASE WHEN $3 > 0 AND failed_logins + 1 >= $3 THEN $4 ELSE locked_until END, \
     updated_at = $2 \
     WHERE id = $1 RETURNING ",
    user_columns!()
);

pub(super) const RECORD_LOGIN_SUCCESS: &str = "UPDATE users \
     SET failed_logins = 0, locked_until = NULL, updated_at = $2 WHERE id = $1";

// ---- access: refresh tokens --------------------------------------------------------------

pub(super) const INSERT_REFRESH_TOKEN: &str = concat!(
    "INSERT INTO refresh_tokens (",
    refresh_token_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
);

/// Uses the token up if it is live, in one statement. Of two concurrent uses the second waits
/// for the first's row lock, then re-checks the row as the first left it (READ COMMITTED) and
/// no longer matches: exactly one gets the token.
pub(super) const USE_REFRESH_TOKEN: &str = concat!(
    "UPDATE refresh_tokens SET used_at = $2 \
     WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2 \
     RETURNING ",
    refresh_token_columns!()
);

pub(super) const SELECT_REFRESH_TOKEN: &str = concat!(
    "SELECT ",
    refresh_token_columns!(),
    " FROM refresh_tokens WHERE token_hash = $1"
);

/// Keeps the first revocation time of tokens revoked before.
pub(super) const REVOKE_REFRESH_FAMILY: &str =
    "UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL";

pub(super) const REVOKE_USER_REFRESH_TOKENS: &str =
    "UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL";

// ---- access: API keys --------------------------------------------------------------------

pub(super) const INSERT_API_KEY: &str = "INSERT INTO api_keys \
     (id, name, prefix, key_hash, role, created_by, created_at, expires_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

pub(super) const SELECT_API_KEY_BY_HASH: &str = concat!(
    "SELECT ",
    api_key_columns!(),
    " FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL"
);

pub(super) const LIST_API_KEYS: &str = concat!(
    "SELECT ",
    api_key_columns!(),
    " FROM api_keys ORDER BY created_at DESC, id DESC"
);

/// Matches the key even when it was revoked before (keeping that first time), so no match
/// means no such key.
pub(super) const REVOKE_API_KEY: &str =
    "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1";

pub(super) const REVOKE_USER_API_KEYS: &str =
    "UPDATE api_keys SET revoked_at = $2 WHERE created_by = $1 AND revoked_at IS NULL";

/// Never moves `last_used_at` back (touches may arrive out of order).
pub(super) const TOUCH_API_KEY: &str = "UPDATE api_keys SET last_used_at = \
     CASE WHEN last_used_at IS NULL OR last_used_at < $2 THEN $2 ELSE last_used_at END \
     WHERE id = $1";

// ---- access: credentials -----------------------------------------------------------------

pub(super) const INSERT_CREDENTIAL: &str = "INSERT INTO credentials \
     (id, name, kind, sealed, version, created_by, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, 1, $5, $6, $6)";

pub(super) const SELECT_CREDENTIAL: &str = concat!(
    "SELECT ",
    credential_columns!(),
    " FROM credentials WHERE id = $1"
);

pub(super) const SELECT_CREDENTIAL_BY_NAME: &str = concat!(
    "SELECT ",
    credential_columns!(),
    " FROM credentials WHERE name = $1"
);

pub(super) const SELECT_CREDENTIAL_SECRET: &str =
    "SELECT sealed, version FROM credentials WHERE id = $1";

pub(super) const SELECT_CREDENTIAL_VERSION: &str = "SELECT version FROM credentials WHERE id = $1";

pub(super) const LIST_CREDENTIALS: &str = concat!(
    "SELECT ",
    credential_columns!(),
    " FROM credentials ORDER BY name"
);

/// A NULL parameter leaves its column as it is. A new secret ($4) comes with the version it
/// was sealed for ($5), which must be the stored one plus one: otherwise no row changes.
pub(super) const UPDATE_CREDENTIAL: &str = concat!(
    "UPDATE credentials SET name = COALESCE($2, name), kind = COALESCE($3, kind), \
     sealed = COALESCE($4, sealed), version = COALESCE($5, version), updated_at = $6 \
     WHERE id = $1 AND ($5::integer IS NULL OR version = $5 - 1) RETURNING ",
    credential_columns!()
);

pub(super) const DELETE_CREDENTIAL: &str = "DELETE FROM credentials WHERE id = $1";

// ---- access: audit log -------------------------------------------------------------------

/// A batch of entries in one statement (so it commits or fails whole); ids follow the input
/// order. `$8` holds each detail as JSON text (see the module doc on `json`).
pub(super) const INSERT_AUDIT: &str = "\
INSERT INTO audit_log (at, principal, action, resource, status, ip, request_id, detail)
SELECT a.at, a.principal, a.action, a.resource, a.status, a.ip, a.request_id, a.detail::json
FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::integer[], $6::text[],
            $7::text[], $8::text[])
     WITH ORDINALITY AS a (at, principal, action, resource, status, ip, request_id, detail, ord)
ORDER BY a.ord";

/// Newest first with the optional filters; only the filters present appear in the SQL.
/// Prefixes compare with `starts_with`, not `LIKE`, so `%` and `_` in them are plain
/// characters.
pub(super) fn list_audit(filter: &AuditFilter) -> QueryBuilder<Postgres> {
    let mut q = QueryBuilder::new(concat!(
        "SELECT ",
        audit_columns!(),
        " FROM audit_log WHERE true"
    ));
    if let Some(principal) = &filter.principal {
        q.push(" AND principal = ").push_bind(principal.clone());
    }
    match action_match(filter) {
        Some(ActionMatch::Exact(action)) => {
            q.push(" AND action = ").push_bind(action.to_string());
        }
        Some(ActionMatch::Prefix(prefix)) => {
            q.push(" AND starts_with(action, ")
                .push_bind(prefix.to_string())
                .push(")");
        }
        None => {}
    }
    if let Some(resource) = &filter.resource {
        q.push(" AND starts_with(resource, ")
            .push_bind(resource.clone())
            .push(")");
    }
    if let Some(since) = filter.since {
        q.push(" AND at >= ").push_bind(since);
    }
    if let Some(until) = filter.until {
        q.push(" AND at < ").push_bind(until);
    }
    if let Some(before) = filter.before {
        q.push(" AND id < ").push_bind(before);
    }
    q.push(" ORDER BY id DESC LIMIT ")
        .push_bind(page_limit(filter.limit));
    q
}

// ---- access: webhook routes --------------------------------------------------------------

/// Taken first by every replacement of routes, until commit: replacements queue behind one
/// another (they are rare: a workflow save or delete), so a path cannot be checked free by two
/// of them at once, nor can two replacements of one workflow's routes mix. Readers
/// (`SELECT`) are not blocked.
pub(super) const LOCK_WEBHOOK_ROUTES: &str =
    "LOCK TABLE webhook_routes IN SHARE ROW EXCLUSIVE MODE";

/// The first of the paths `$1` held by a workflow other than `$2`.
pub(super) const WEBHOOK_PATH_TAKEN: &str = "SELECT path, workflow_id FROM webhook_routes \
     WHERE path = ANY($1) AND workflow_id <> $2 ORDER BY path LIMIT 1";

pub(super) const DELETE_WORKFLOW_WEBHOOK_ROUTES: &str =
    "DELETE FROM webhook_routes WHERE workflow_id = $1";

/// Every route of one workflow (`$1`), its paths and node ids paired by position.
pub(super) const INSERT_WEBHOOK_ROUTES: &str = "INSERT INTO webhook_routes (path, workflow_id, node_id) \
     SELECT r.path, $1, r.node_id FROM UNNEST($2::text[], $3::text[]) AS r (path, node_id)";

pub(super) const LIST_WEBHOOK_ROUTES: &str =
    "SELECT path, workflow_id, node_id FROM webhook_routes ORDER BY path";

//! Every statement the SQLite store runs, in one place, so the schema and the SQL can be read
//! side by side. All values are bound parameters (`?N`); nothing is formatted into SQL text.
//!
//! A group commit passes its rows as one JSON array parameter that `json_each` turns back into
//! rows (SQLite's counterpart of PostgreSQL's `UNNEST`): a few statements per batch instead of
//! several per append, each statement being a round trip to sqlx's SQLite worker thread.
//!
//! The status lists `('queued', 'running', 'waiting')` are spelled out literally because SQLite
//! only uses the partial indexes of the migration when a query's predicate matches theirs.

use crate::common::{ActionMatch, action_match, contains_pattern, page_limit};
use crate::{AuditFilter, ExecutionFilter, WorkflowFilter};
use sqlx::{QueryBuilder, Sqlite};

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
     (id, name, latest_version, deleted, created_at, updated_at) VALUES (?1, ?2, 1, 0, ?3, ?3)";

pub(super) const INSERT_WORKFLOW_VERSION: &str = concat!(
    "INSERT INTO workflow_versions (",
    version_columns!(),
    ") VALUES (?1, ?2, ?3, ?4, ?5)"
);

/// Takes the next version number; matches nothing when the workflow is missing, deleted, or
/// (with `?4`) not at the version the caller expects.
pub(super) const BUMP_WORKFLOW_VERSION: &str = "UPDATE workflows \
     SET latest_version = latest_version + 1, name = ?2, updated_at = ?3 \
     WHERE id = ?1 AND deleted = 0 AND (?4 IS NULL OR latest_version = ?4) \
     RETURNING latest_version";

pub(super) const WORKFLOW_STATE: &str =
    "SELECT latest_version, deleted FROM workflows WHERE id = ?1";

pub(super) const SELECT_WORKFLOW: &str = "SELECT id, name, latest_version, created_at, updated_at \
     FROM workflows WHERE id = ?1 AND deleted = 0";

/// `?1` is the cursor; the empty string sorts before every id.
/// Workflows with their latest version's description and tags and their newest execution
/// (found through the `(workflow_id, id)` index, one row per workflow).
pub(super) fn list_workflows(filter: &WorkflowFilter) -> QueryBuilder<Sqlite> {
    let mut q = QueryBuilder::new(
        "SELECT w.id, w.name, w.latest_version, w.created_at, w.updated_at, \
         json_extract(v.definition, '$.description') AS description, \
         json_extract(v.definition, '$.tags') AS tags, \
         e.id AS last_id, e.status AS last_status, e.created_at AS last_created_at \
         FROM workflows w \
         JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.latest_version \
         LEFT JOIN executions e ON e.id = (SELECT x.id FROM executions x \
             WHERE x.workflow_id = w.id ORDER BY x.id DESC LIMIT 1) \
         WHERE w.deleted = 0",
    );
    if let Some(after) = filter.after {
        q.push(" AND w.id > ")
            .push_bind(after.0.hyphenated().to_string());
    }
    if let Some(search) = &filter.search {
        q.push(" AND w.name LIKE ")
            .push_bind(contains_pattern(search))
            .push(" ESCAPE '\\'");
    }
    if let Some(tag) = &filter.tag {
        q.push(" AND EXISTS (SELECT 1 FROM json_each(v.definition, '$.tags') WHERE value = ")
            .push_bind(tag.clone())
            .push(")");
    }
    q.push(" ORDER BY w.id LIMIT ")
        .push_bind(page_limit(filter.limit));
    q
}

pub(super) const SELECT_LATEST_WORKFLOW_VERSION: &str = "SELECT v.workflow_id, v.version, v.name, \
     v.definition, v.created_at FROM workflows w JOIN workflow_versions v \
     ON v.workflow_id = w.id AND v.version = w.latest_version WHERE w.id = ?1 AND w.deleted = 0";

pub(super) const SELECT_WORKFLOW_VERSION: &str = concat!(
    "SELECT ",
    version_columns!(),
    " FROM workflow_versions WHERE workflow_id = ?1 AND version = ?2"
);

pub(super) const LIST_WORKFLOW_VERSIONS: &str = concat!(
    "SELECT ",
    version_columns!(),
    " FROM workflow_versions WHERE workflow_id = ?1 ORDER BY version"
);

pub(super) const DELETE_WORKFLOW: &str =
    "UPDATE workflows SET deleted = 1, updated_at = ?2 WHERE id = ?1 AND deleted = 0";

// ---- executions ------------------------------------------------------------------------

/// Does nothing when the id or the (workflow, idempotency key) pair is taken; the caller then
/// looks up which.
pub(super) const INSERT_EXECUTION: &str = "INSERT INTO executions \
     (id, workflow_id, workflow_version, status, input, priority, parent_id, parent_node, \
      idempotency_key, version, owner_epoch, created_at, updated_at, trigger_node, correlation_id) \
     VALUES (?1, ?2, ?3, 'queued', ?4, ?5, ?6, ?7, ?8, 0, ?9, ?10, ?10, ?11, ?12) \
     ON CONFLICT DO NOTHING";

pub(super) const SELECT_EXECUTION: &str = concat!(
    "SELECT ",
    execution_columns!(),
    " FROM executions WHERE id = ?1"
);

pub(super) const SELECT_EXECUTION_BY_KEY: &str = concat!(
    "SELECT ",
    execution_columns!(),
    " FROM executions WHERE workflow_id = ?1 AND idempotency_key = ?2"
);

pub(super) const COUNT_EXECUTIONS: &str = "SELECT status, COUNT(*) FROM executions GROUP BY status";

pub(super) const COUNT_WORKFLOW_EXECUTIONS: &str =
    "SELECT status, COUNT(*) FROM executions WHERE workflow_id = ?1 GROUP BY status";

/// Newest first with the optional filters; only the filters present appear in the SQL, so
/// each combination gets a plan that uses its index.
pub(super) fn list_executions(filter: &ExecutionFilter) -> QueryBuilder<Sqlite> {
    let mut q = QueryBuilder::new(concat!(
        "SELECT ",
        execution_columns!(),
        " FROM executions WHERE 1 = 1"
    ));
    if let Some(workflow_id) = filter.workflow_id {
        q.push(" AND workflow_id = ")
            .push_bind(workflow_id.0.hyphenated());
    }
    if let Some(status) = filter.status {
        q.push(" AND status = ").push_bind(status.as_str());
    }
    if let Some(before) = filter.before {
        q.push(" AND id < ").push_bind(before.0.hyphenated());
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

/// Per bucket (`?3` ms wide from `?1`) and status: how many executions were created in
/// `[?1, ?2)`, and the mean and longest duration of those that finished.
pub(super) const EXECUTION_STATS: &str = "SELECT (created_at - ?1) / ?3 AS bucket, status, \
     COUNT(*) AS n, AVG(finished_at - created_at) AS avg_ms, MAX(finished_at - created_at) AS max_ms \
     FROM executions WHERE created_at >= ?1 AND created_at < ?2 GROUP BY bucket, status";

/// The duration at sorted position `?3` among the executions created in `[?1, ?2)` that
/// finished.
pub(super) const DURATION_AT: &str = "SELECT finished_at - created_at AS d FROM executions \
     WHERE created_at >= ?1 AND created_at < ?2 AND finished_at IS NOT NULL \
     ORDER BY d LIMIT 1 OFFSET ?3";

// ---- the event log ---------------------------------------------------------------------

/// The optimistic-locking guard for one round of a batch (each execution at most once):
/// moves each row to its append's state only if it is still at the version and owner epoch the
/// writer saw, and returns the ids it moved. `?1` is a JSON array of `AdvanceRow` objects; an
/// absent `output`/`error` key is SQL NULL. `finished_at` keeps the first finish time.
pub(super) const ADVANCE_EXECUTIONS: &str = "UPDATE executions \
     SET version = b.value ->> 'new_version', \
         status = b.value ->> 'status', \
         output = b.value -> 'output', \
         error = b.value -> 'error', \
         wake_at = b.value ->> 'wake_at', \
         updated_at = b.value ->> 'now', \
         finished_at = CASE WHEN b.value ->> 'finished_at' IS NULL THEN NULL \
                            ELSE COALESCE(executions.finished_at, b.value ->> 'finished_at') END \
     FROM json_each(?1) AS b \
     WHERE executions.id = b.value ->> 'id' \
       AND executions.version = b.value ->> 'expected_version' \
       AND executions.owner_epoch = b.value ->> 'owner_epoch' \
     RETURNING executions.id";

/// What the guard compared against, to tell a stale writer from a missing execution.
pub(super) const EXECUTION_GUARD: &str =
    "SELECT version, owner_epoch FROM executions WHERE id = ?1";

/// The events of every applied append of a batch in one statement; `?1` is a JSON array of
/// `EventRow` objects.
pub(super) const INSERT_EVENTS: &str = "INSERT INTO events (execution_id, seq, type, node_id, at, data) \
     SELECT e.value ->> 'execution_id', e.value ->> 'seq', e.value ->> 'type', \
            e.value ->> 'node_id', e.value ->> 'at', e.value -> 'data' \
     FROM json_each(?1) AS e";

/// The snapshots of a batch; `?1` is a JSON array of `SnapshotRow` objects. Keeps only the
/// latest per execution; an older one never replaces a newer one. (SQLite needs the
/// `WHERE true` to parse an upsert whose rows come from a SELECT.)
pub(super) const UPSERT_SNAPSHOTS: &str = "INSERT INTO snapshots (execution_id, seq, format_version, state) \
     SELECT s.value ->> 'execution_id', s.value ->> 'seq', s.value ->> 'format_version', \
            s.value -> 'state' \
     FROM json_each(?1) AS s WHERE true \
     ON CONFLICT (execution_id) DO UPDATE \
     SET seq = excluded.seq, format_version = excluded.format_version, state = excluded.state \
     WHERE excluded.seq >= snapshots.seq";

pub(super) const SELECT_EVENTS: &str = "SELECT seq, type, at, data FROM events \
     WHERE execution_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3";

pub(super) const SELECT_SNAPSHOT: &str =
    "SELECT seq, format_version, state FROM snapshots WHERE execution_id = ?1";

// ---- ownership and recovery ------------------------------------------------------------

pub(super) const NEXT_EPOCH: &str =
    "UPDATE epochs SET value = value + 1 WHERE id = 1 RETURNING value";

pub(super) const CLAIM_EXECUTION: &str = concat!(
    "UPDATE executions SET owner_epoch = ?2 \
     WHERE id = ?1 AND owner_epoch <= ?2 AND status IN ('queued', 'running', 'waiting') \
     RETURNING ",
    execution_columns!()
);

/// `CLAIM_EXECUTION` for a retry: only a failed or timed-out execution is taken.
pub(super) const REOPEN_EXECUTION: &str = concat!(
    "UPDATE executions SET owner_epoch = ?2 \
     WHERE id = ?1 AND owner_epoch <= ?2 AND status IN ('failed', 'timed_out') \
     RETURNING ",
    execution_columns!()
);

pub(super) const CLAIM_STATE: &str = "SELECT status, owner_epoch FROM executions WHERE id = ?1";

/// `?1` is the cursor; the empty string sorts before every id.
pub(super) const UNFINISHED_EXECUTIONS: &str = concat!(
    "SELECT ",
    summary_columns!(),
    " FROM executions WHERE status IN ('queued', 'running', 'waiting') AND id > ?1 \
     ORDER BY id LIMIT ?2"
);

pub(super) const DUE_EXECUTIONS: &str = concat!(
    "SELECT ",
    summary_columns!(),
    " FROM executions \
     WHERE wake_at IS NOT NULL AND status IN ('queued', 'running', 'waiting') AND wake_at <= ?1 \
     ORDER BY wake_at LIMIT ?2"
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
     VALUES (?1, ?2, ?3, ?4, 0, 0, ?5, ?5)";

pub(super) const SELECT_USER: &str =
    concat!("SELECT ", user_columns!(), " FROM users WHERE id = ?1");

pub(super) const SELECT_USER_BY_NAME: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users WHERE username = ?1"
);

pub(super) const LIST_USERS: &str =
    concat!("SELECT ", user_columns!(), " FROM users ORDER BY username");

pub(super) const COUNT_USERS: &str = "SELECT COUNT(*) FROM users";

/// A NULL parameter leaves its column as it is; `?5` says whether to set the TOTP secret (to
/// `?6`, which may be NULL: MFA off).
pub(super) const UPDATE_USER: &str = concat!(
    "UPDATE users SET password_hash = COALESCE(?2, password_hash), role = COALESCE(?3, role), \
     disabled = COALESCE(?4, disabled), totp_secret = CASE WHEN ?5 THEN ?6 ELSE totp_secret END, \
     updated_at = ?7 WHERE id = ?1 RETURNING ",
    user_columns!()
);

pub(super) const DELETE_USER: &str = "DELETE FROM users WHERE id = ?1";

/// One failed login, counted in a single statement so concurrent failures are each counted
/// (every SET expression reads the row as it was). Reaching `?3` failures (`?3` > 0) locks the
/// account until `?4` and starts the count again.
pub(super) const RECORD_LOGIN_FAILURE: &str = concat!(
    "UPDATE users SET \
     failed_logins = CASE WHEN ?3 > 0 AND failed_logins + 1 >= ?3 THEN 0 \
                          ELSE failed_logins + 1 END, \
     locked_until = CASE WHEN ?3 > 0 AND failed_logins + 1 >= ?3 THEN ?4 ELSE locked_until END, \
     updated_at = ?2 \
     WHERE id = ?1 RETURNING ",
    user_columns!()
);

pub(super) const RECORD_LOGIN_SUCCESS: &str = "UPDATE users \
     SET failed_logins = 0, locked_until = NULL, updated_at = ?2 WHERE id = ?1";

// ---- access: refresh tokens --------------------------------------------------------------

pub(super) const INSERT_REFRESH_TOKEN: &str = concat!(
    "INSERT INTO refresh_tokens (",
    refresh_token_columns!(),
    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
);

/// Uses the token up if it is live, in one statement: of two concurrent uses exactly one
/// matches (the writer runs one statement at a time, and the second sees `used_at` set).
pub(super) const USE_REFRESH_TOKEN: &str = concat!(
    "UPDATE refresh_tokens SET used_at = ?2 \
     WHERE token_hash = ?1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?2 \
     RETURNING ",
    refresh_token_columns!()
);

pub(super) const SELECT_REFRESH_TOKEN: &str = concat!(
    "SELECT ",
    refresh_token_columns!(),
    " FROM refresh_tokens WHERE token_hash = ?1"
);

/// Keeps the first revocation time of tokens revoked before.
pub(super) const REVOKE_REFRESH_FAMILY: &str =
    "UPDATE refresh_tokens SET revoked_at = ?2 WHERE family_id = ?1 AND revoked_at IS NULL";

pub(super) const REVOKE_USER_REFRESH_TOKENS: &str =
    "UPDATE refresh_tokens SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL";

// ---- access: API keys --------------------------------------------------------------------

pub(super) const INSERT_API_KEY: &str = "INSERT INTO api_keys \
     (id, name, prefix, key_hash, role, created_by, created_at, expires_at) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

pub(super) const SELECT_API_KEY_BY_HASH: &str = concat!(
    "SELECT ",
    api_key_columns!(),
    " FROM api_keys WHERE key_hash = ?1 AND revoked_at IS NULL"
);

pub(super) const LIST_API_KEYS: &str = concat!(
    "SELECT ",
    api_key_columns!(),
    " FROM api_keys ORDER BY created_at DESC, id DESC"
);

/// Matches the key even when it was revoked before (keeping that first time), so no match
/// means no such key.
pub(super) const REVOKE_API_KEY: &str =
    "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1";

pub(super) const REVOKE_USER_API_KEYS: &str =
    "UPDATE api_keys SET revoked_at = ?2 WHERE created_by = ?1 AND revoked_at IS NULL";

/// Never moves `last_used_at` back (touches may arrive out of order).
pub(super) const TOUCH_API_KEY: &str = "UPDATE api_keys SET last_used_at = \
     CASE WHEN last_used_at IS NULL OR last_used_at < ?2 THEN ?2 ELSE last_used_at END \
     WHERE id = ?1";

// ---- access: credentials -----------------------------------------------------------------

pub(super) const INSERT_CREDENTIAL: &str = "INSERT INTO credentials \
     (id, name, kind, sealed, version, created_by, created_at, updated_at) \
     VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, ?6)";

pub(super) const SELECT_CREDENTIAL: &str = concat!(
    "SELECT ",
    credential_columns!(),
    " FROM credentials WHERE id = ?1"
);

pub(super) const SELECT_CREDENTIAL_BY_NAME: &str = concat!(
    "SELECT ",
    credential_columns!(),
    " FROM credentials WHERE name = ?1"
);

pub(super) const SELECT_CREDENTIAL_SECRET: &str =
    "SELECT sealed, version FROM credentials WHERE id = ?1";

pub(super) const SELECT_CREDENTIAL_VERSION: &str = "SELECT version FROM credentials WHERE id = ?1";

pub(super) const LIST_CREDENTIALS: &str = concat!(
    "SELECT ",
    credential_columns!(),
    " FROM credentials ORDER BY name"
);

/// A NULL parameter leaves its column as it is. A new secret (?4) comes with the version it
/// was sealed for (?5), which must be the stored one plus one: otherwise no row changes.
pub(super) const UPDATE_CREDENTIAL: &str = concat!(
    "UPDATE credentials SET name = COALESCE(?2, name), kind = COALESCE(?3, kind), \
     sealed = COALESCE(?4, sealed), version = COALESCE(?5, version), updated_at = ?6 \
     WHERE id = ?1 AND (?5 IS NULL OR version = ?5 - 1) RETURNING ",
    credential_columns!()
);

pub(super) const DELETE_CREDENTIAL: &str = "DELETE FROM credentials WHERE id = ?1";

// ---- access: audit log -------------------------------------------------------------------

pub(super) const INSERT_AUDIT: &str = "INSERT INTO audit_log \
     (at, principal, action, resource, status, ip, request_id, detail) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

/// Newest first with the optional filters; only the filters present appear in the SQL.
/// Prefixes compare with `substr`, not `LIKE`, so `%` and `_` in them are plain characters.
pub(super) fn list_audit(filter: &AuditFilter) -> QueryBuilder<Sqlite> {
    let mut q = QueryBuilder::new(concat!(
        "SELECT ",
        audit_columns!(),
        " FROM audit_log WHERE 1 = 1"
    ));
    if let Some(principal) = &filter.principal {
        q.push(" AND principal = ").push_bind(principal.clone());
    }
    match action_match(filter) {
        Some(ActionMatch::Exact(action)) => {
            q.push(" AND action = ").push_bind(action.to_string());
        }
        Some(ActionMatch::Prefix(prefix)) => push_prefix(&mut q, "action", prefix),
        None => {}
    }
    if let Some(resource) = &filter.resource {
        push_prefix(&mut q, "resource", resource);
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

/// `AND substr(column, 1, length(prefix)) = prefix`; `column` is one of ours, never input.
fn push_prefix(q: &mut QueryBuilder<Sqlite>, column: &'static str, prefix: &str) {
    q.push(" AND substr(")
        .push(column)
        .push(", 1, length(")
        .push_bind(prefix.to_string())
        .push(")) = ")
        .push_bind(prefix.to_string());
}

// ---- access: webhook routes --------------------------------------------------------------

pub(super) const DELETE_WORKFLOW_WEBHOOK_ROUTES: &str =
    "DELETE FROM webhook_routes WHERE workflow_id = ?1";

pub(super) const WEBHOOK_ROUTE_HOLDER: &str =
    "SELECT workflow_id FROM webhook_routes WHERE path = ?1";

pub(super) const INSERT_WEBHOOK_ROUTE: &str =
    "INSERT INTO webhook_routes (path, workflow_id, node_id) VALUES (?1, ?2, ?3)";

pub(super) const LIST_WEBHOOK_ROUTES: &str =
    "SELECT path, workflow_id, node_id FROM webhook_routes ORDER BY path";

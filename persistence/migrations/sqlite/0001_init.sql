-- Weft store, SQLite (embedded mode). Same tables and meaning as the PostgreSQL schema:
-- ids are canonical lowercase hyphenated UUID text (UUID v7, so text order = time order),
-- JSON is TEXT, timestamps are INTEGER unix milliseconds.

-- Workflows and their immutable versions. A deleted workflow keeps its row and its versions so
-- executions pinned to a version can still finish.
CREATE TABLE workflows (
    id             TEXT    NOT NULL PRIMARY KEY,
    name           TEXT    NOT NULL,
    latest_version INTEGER NOT NULL,
    deleted        INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

CREATE TABLE workflow_versions (
    workflow_id TEXT    NOT NULL REFERENCES workflows (id),
    version     INTEGER NOT NULL,
    name        TEXT    NOT NULL,
    definition  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (workflow_id, version)
);

-- One row per execution: its current status and the optimistic-locking pair (version = seq of
-- the last event, owner_epoch = the fencing token of the instance allowed to write).
-- No foreign key to workflows: the version an execution pins must stay usable after a soft
-- delete, and the gateway checks the workflow before creating an execution.
CREATE TABLE executions (
    id               TEXT    NOT NULL PRIMARY KEY,
    workflow_id      TEXT    NOT NULL,
    workflow_version INTEGER NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN
                         ('queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled', 'timed_out')),
    input            TEXT    NOT NULL,
    output           TEXT,
    error            TEXT,
    priority         INTEGER NOT NULL,
    parent_id        TEXT,
    parent_node      TEXT,
    idempotency_key  TEXT,
    version          INTEGER NOT NULL DEFAULT 0,
    owner_epoch      INTEGER NOT NULL DEFAULT 0,
    wake_at          INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    finished_at      INTEGER,
    -- NULL keys are distinct, so only executions started with a key are deduplicated.
    CONSTRAINT executions_idempotency_key UNIQUE (workflow_id, idempotency_key)
);

-- Listing newest first, filtered by status or by workflow.
CREATE INDEX executions_status_id ON executions (status, id);
CREATE INDEX executions_workflow_id ON executions (workflow_id, id);
-- Recovery scans and the timer service only touch non-terminal rows. The predicates must match
-- the queries' literally for SQLite to use these partial indexes.
CREATE INDEX executions_unfinished ON executions (id)
    WHERE status IN ('queued', 'running', 'waiting');
CREATE INDEX executions_wake_at ON executions (wake_at)
    WHERE wake_at IS NOT NULL AND status IN ('queued', 'running', 'waiting');

-- The append-only event log. No foreign key to executions: events are only ever inserted for
-- the row the same transaction has just updated under its version guard.
CREATE TABLE events (
    execution_id TEXT    NOT NULL,
    seq          INTEGER NOT NULL,
    type         TEXT    NOT NULL,
    node_id      TEXT,
    at           INTEGER NOT NULL,
    data         TEXT    NOT NULL,
    PRIMARY KEY (execution_id, seq)
);

-- The latest snapshot per execution only; recovery = snapshot + the events after it.
CREATE TABLE snapshots (
    execution_id   TEXT    NOT NULL PRIMARY KEY,
    seq            INTEGER NOT NULL,
    format_version INTEGER NOT NULL,
    state          TEXT    NOT NULL
);

-- Owner epochs (fencing tokens): one counter row, bumped by a single UPDATE … RETURNING, which
-- SQLite runs as its own write transaction, so two callers never see the same value.
CREATE TABLE epochs (
    id    INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
);
INSERT INTO epochs (id, value) VALUES (1, 0);

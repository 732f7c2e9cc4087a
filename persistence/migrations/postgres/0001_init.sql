-- Weft store, PostgreSQL. Timestamps are unix milliseconds (bigint) in both backends, so the
-- engine never converts clocks; ids are native uuids (UUID v7, time-ordered).
--
-- JSON columns are `json`, not `jsonb`: nothing here is queried inside, and `json` keeps the text
-- exactly as written. Key order is part of what people see (a workflow definition they edit, an
-- HTTP body a node returned, an execution's output) and SQLite keeps it too, so both backends
-- give the same answers. It is also the cheaper type to write: `json` only validates its input,
-- `jsonb` converts it to a binary tree, and the event log is written far more than it is read.

-- Workflows and their immutable versions. A deleted workflow keeps its row and its versions so
-- executions pinned to a version can still finish.
CREATE TABLE workflows (
    id             uuid    PRIMARY KEY,
    name           text    NOT NULL,
    latest_version integer NOT NULL,
    deleted        boolean NOT NULL DEFAULT false,
    created_at     bigint  NOT NULL,
    updated_at     bigint  NOT NULL
);

CREATE TABLE workflow_versions (
    workflow_id uuid    NOT NULL REFERENCES workflows (id),
    version     integer NOT NULL,
    name        text    NOT NULL,
    definition  json    NOT NULL,
    created_at  bigint  NOT NULL,
    PRIMARY KEY (workflow_id, version)
);

-- One row per execution: its current status and the optimistic-locking pair (version = seq of
-- the last event, owner_epoch = the fencing token of the instance allowed to write).
-- No foreign key to workflows: the version an execution pins must stay usable after a soft
-- delete, and the gateway checks the workflow before creating an execution.
CREATE TABLE executions (
    id               uuid     PRIMARY KEY,
    workflow_id      uuid     NOT NULL,
    workflow_version integer  NOT NULL,
    status           text     NOT NULL CHECK (status IN
                         ('queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled', 'timed_out')),
    input            json     NOT NULL,
    output           json,
    error            json,
    priority         smallint NOT NULL,
    parent_id        uuid,
    parent_node      text,
    idempotency_key  text,
    version          bigint   NOT NULL DEFAULT 0,
    owner_epoch      bigint   NOT NULL DEFAULT 0,
    wake_at          bigint,
    created_at       bigint   NOT NULL,
    updated_at       bigint   NOT NULL,
    finished_at      bigint,
    -- NULL keys are distinct, so only executions started with a key are deduplicated.
    CONSTRAINT executions_idempotency_key UNIQUE (workflow_id, idempotency_key)
)
-- Every append rewrites the row while its indexed columns rarely change: free space on the page
-- lets PostgreSQL keep the new version there (a HOT update) instead of touching six indexes.
WITH (fillfactor = 80);

-- Listing newest first, filtered by status or by workflow.
CREATE INDEX executions_status_id ON executions (status, id);
CREATE INDEX executions_workflow_id ON executions (workflow_id, id);
-- Recovery scans and the timer service only touch non-terminal rows, a small fraction of the
-- table once it has history. The predicates must match the queries' literally.
CREATE INDEX executions_unfinished ON executions (id)
    WHERE status IN ('queued', 'running', 'waiting');
CREATE INDEX executions_wake_at ON executions (wake_at)
    WHERE wake_at IS NOT NULL AND status IN ('queued', 'running', 'waiting');

-- The append-only event log. No foreign key to executions: events are only ever inserted for
-- the row the same statement has just updated under its version guard, and a foreign key would
-- add a per-row trigger to the hottest insert in the system.
CREATE TABLE events (
    execution_id uuid   NOT NULL,
    seq          bigint NOT NULL,
    type         text   NOT NULL,
    node_id      text,
    at           bigint NOT NULL,
    data         json   NOT NULL,
    PRIMARY KEY (execution_id, seq)
);

-- The latest snapshot per execution only; recovery = snapshot + the events after it.
CREATE TABLE snapshots (
    execution_id   uuid    PRIMARY KEY,
    seq            bigint  NOT NULL,
    format_version integer NOT NULL,
    state          json    NOT NULL
)
-- Rewritten on every checkpoint: room for the new version on the same page (HOT update).
WITH (fillfactor = 70);

-- Owner epochs (fencing tokens). A sequence is strictly increasing across sessions and
-- instances and never rolls back, which is all an epoch needs; gaps are harmless.
CREATE SEQUENCE owner_epochs AS bigint START WITH 1;

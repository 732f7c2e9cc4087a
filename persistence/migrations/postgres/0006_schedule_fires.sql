-- Claims of `trigger.schedule` ticks. Every instance runs a scheduler; at a tick each one tries
-- to insert the tick's row and only the one whose insert succeeds starts the execution, so a
-- tick fires once however many instances run. The newest claim of a (workflow, node) is where
-- the scheduler resumes after downtime (its missed-fire policy counts the ticks after it).
-- Older claims are pruned; the newest per (workflow, node) is kept.
CREATE TABLE schedule_fires (
    workflow_id uuid   NOT NULL,
    node_id     text   NOT NULL,
    -- The tick, Unix milliseconds.
    tick_at     bigint NOT NULL,
    -- When the claim was made, Unix milliseconds (later than tick_at for a catch-up).
    claimed_at  bigint NOT NULL,
    PRIMARY KEY (workflow_id, node_id, tick_at)
);

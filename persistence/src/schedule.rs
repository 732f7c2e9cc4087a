//! Claims of `trigger.schedule` ticks: how several instances agree that a tick fires once.
//!
//! Every instance runs a scheduler. At a tick each one calls
//! [`ScheduleFires::claim_schedule_fire`]; the row's primary key is
//! `(workflow_id, node_id, tick_at)`, so exactly one insert succeeds and only that caller
//! starts the execution. The newest claim of a (workflow, node) is where a scheduler resumes
//! after downtime ([`ScheduleFires::last_schedule_fire`]).
//!
//! Both backends implement it (in `postgres::schedule` and `sqlite::schedule`); reach it
//! through [`crate::Store::schedule_fires`].

use crate::Result;
use async_trait::async_trait;
use weft_core::{Millis, WorkflowId};

#[async_trait]
pub trait ScheduleFires: Send + Sync {
    /// Claims the tick `tick_at` of a schedule trigger: `true` when this call inserted the
    /// claim (the caller starts the execution), `false` when someone claimed it before.
    async fn claim_schedule_fire(
        &self,
        workflow_id: WorkflowId,
        node_id: &str,
        tick_at: Millis,
        claimed_at: Millis,
    ) -> Result<bool>;

    /// The newest claimed tick of a schedule trigger, if any.
    async fn last_schedule_fire(
        &self,
        workflow_id: WorkflowId,
        node_id: &str,
    ) -> Result<Option<Millis>>;

    /// Deletes the claims of ticks before `before`, except the newest of each
    /// (workflow, node). Returns how many it deleted.
    async fn prune_schedule_fires(&self, before: Millis) -> Result<u64>;
}

/// The statements, with `$n` placeholders (PostgreSQL's; SQLite's are `?n`).
pub(crate) const PRUNE_SCHEDULE_FIRES: &str = "DELETE FROM schedule_fires \
     WHERE tick_at < $1 AND tick_at < (SELECT max(g.tick_at) FROM schedule_fires g \
     WHERE g.workflow_id = schedule_fires.workflow_id AND g.node_id = schedule_fires.node_id)";

pub(crate) const CLAIM_SCHEDULE_FIRE: &str = "INSERT INTO schedule_fires \
     (workflow_id, node_id, tick_at, claimed_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING";

pub(crate) const LAST_SCHEDULE_FIRE: &str =
    "SELECT max(tick_at) FROM schedule_fires WHERE workflow_id = $1 AND node_id = $2";

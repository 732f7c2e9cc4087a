//! [`ScheduleFires`] on PostgreSQL.

use super::PgStore;
use crate::Result;
use crate::schedule::{
    CLAIM_SCHEDULE_FIRE, LAST_SCHEDULE_FIRE, PRUNE_SCHEDULE_FIRES, ScheduleFires,
};
use async_trait::async_trait;
use weft_core::{Millis, WorkflowId};

#[async_trait]
impl ScheduleFires for PgStore {
    async fn claim_schedule_fire(
        &self,
        workflow_id: WorkflowId,
        node_id: &str,
        tick_at: Millis,
        claimed_at: Millis,
    ) -> Result<bool> {
        let done = sqlx::query(CLAIM_SCHEDULE_FIRE)
            .bind(workflow_id.0)
            .bind(node_id)
            .bind(tick_at)
            .bind(claimed_at)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn last_schedule_fire(
        &self,
        workflow_id: WorkflowId,
        node_id: &str,
    ) -> Result<Option<Millis>> {
        let last: Option<i64> = sqlx::query_scalar(LAST_SCHEDULE_FIRE)
            .bind(workflow_id.0)
            .bind(node_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(last)
    }

    async fn prune_schedule_fires(&self, before: Millis) -> Result<u64> {
        let done = sqlx::query(PRUNE_SCHEDULE_FIRES)
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}

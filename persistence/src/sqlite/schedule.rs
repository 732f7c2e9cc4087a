//! [`ScheduleFires`] on SQLite: claims go through the one writer connection.

use super::SqliteStore;
use crate::Result;
use crate::schedule::{
    CLAIM_SCHEDULE_FIRE, LAST_SCHEDULE_FIRE, PRUNE_SCHEDULE_FIRES, ScheduleFires,
};
use std::sync::LazyLock;

/// The shared statements with SQLite's `?n` placeholders.
fn sqlite(sql: &str) -> String {
    sql.replace('$', "?")
}

static CLAIM: LazyLock<String> = LazyLock::new(|| sqlite(CLAIM_SCHEDULE_FIRE));
static LAST: LazyLock<String> = LazyLock::new(|| sqlite(LAST_SCHEDULE_FIRE));
static PRUNE: LazyLock<String> = LazyLock::new(|| sqlite(PRUNE_SCHEDULE_FIRES));
use async_trait::async_trait;
use weft_core::{Millis, WorkflowId};

#[async_trait]
impl ScheduleFires for SqliteStore {
    async fn claim_schedule_fire(
        &self,
        workflow_id: WorkflowId,
        node_id: &str,
        tick_at: Millis,
        claimed_at: Millis,
    ) -> Result<bool> {
        let done = sqlx::query(CLAIM.as_str())
            .bind(workflow_id.0.hyphenated())
            .bind(node_id)
            .bind(tick_at)
            .bind(claimed_at)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn last_schedule_fire(
        &self,
        workflow_id: WorkflowId,
        node_id: &str,
    ) -> Result<Option<Millis>> {
        let last: Option<i64> = sqlx::query_scalar(LAST.as_str())
            .bind(workflow_id.0.hyphenated())
            .bind(node_id)
            .fetch_one(&self.reader)
            .await?;
        Ok(last)
    }

    async fn prune_schedule_fires(&self, before: Millis) -> Result<u64> {
        let done = sqlx::query(PRUNE.as_str())
            .bind(before)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }
}

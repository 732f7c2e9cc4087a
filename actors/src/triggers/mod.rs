//! Trigger services: what starts executions without a caller.
//!
//! ```text
//! Scheduler     (task)  trigger.schedule: claims each tick in the store, one fire per tick
//!                       across instances, missed-fire policy after downtime
//! AmqpConsumers (task)  trigger.amqp: one consumer task per (workflow, trigger node), an
//!                       execution per message, ack once the execution is stored
//! ```
//!
//! Both look at every workflow's latest version every `refresh` (through a [`TriggerIndex`],
//! which re-reads only the workflows saved since) and follow what they find: a saved version
//! with a changed trigger config takes effect within one refresh, a deleted workflow stops
//! firing. Both run on every instance; the scheduler's claims keep the
//! instances from firing a tick twice, and the broker hands each message to one consumer.

pub mod amqp;
pub mod schedule;

pub use amqp::{AmqpConsumers, AmqpConsumersConfig};
pub use schedule::{Scheduler, SchedulerConfig};

use crate::error::EngineError;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use weft_core::{Definition, WorkflowId};
use weft_persistence::{Store, StoreError, WorkflowFilter};

/// A trigger node of some workflow's latest version.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TriggerNode {
    pub workflow_id: WorkflowId,
    pub version: u32,
    pub node_id: String,
    /// As written in the definition (nothing rendered).
    pub config: Value,
}

/// The nodes of one trigger type in the latest version of every workflow, kept between
/// refreshes: a refresh lists the workflows (one paged query) and reads and parses a
/// definition only for a workflow whose latest version it has not seen, so a quiet instance
/// with thousands of workflows does not re-read them all every few seconds.
pub(crate) struct TriggerIndex {
    type_name: &'static str,
    /// By workflow: the version looked at and its nodes of `type_name` (none for a version
    /// that does not parse, which cannot run anyway).
    workflows: HashMap<WorkflowId, (u32, Vec<TriggerNode>)>,
    /// Definitions read so far (what the index saves on).
    definitions_read: u64,
}

impl TriggerIndex {
    pub(crate) fn new(type_name: &'static str) -> Self {
        Self {
            type_name,
            workflows: HashMap::new(),
            definitions_read: 0,
        }
    }

    /// Every node of the type in the latest version of every workflow now. Workflows deleted
    /// meanwhile are dropped; one saved meanwhile is seen at its newest version.
    pub(crate) async fn refresh(
        &mut self,
        store: &Arc<dyn Store>,
    ) -> Result<Vec<TriggerNode>, EngineError> {
        let mut seen = HashSet::new();
        let mut filter = WorkflowFilter {
            limit: 1_000,
            ..Default::default()
        };
        loop {
            let page = store.list_workflows(&filter).await?;
            let Some(last) = page.last() else { break };
            filter.after = Some(last.record.id);
            for listing in page {
                let id = listing.record.id;
                if self
                    .workflows
                    .get(&id)
                    .is_some_and(|(v, _)| *v >= listing.record.latest_version)
                {
                    seen.insert(id);
                    continue;
                }
                let version = match store.get_workflow_version(id, None).await {
                    Ok(v) => v,
                    Err(StoreError::NotFound { .. }) => continue,
                    Err(e) => return Err(e.into()),
                };
                seen.insert(id);
                self.definitions_read += 1;
                let nodes = match Definition::from_value(version.definition) {
                    Ok(def) => def
                        .nodes
                        .into_iter()
                        .filter(|n| n.node_type == self.type_name)
                        .map(|n| TriggerNode {
                            workflow_id: id,
                            version: version.version,
                            node_id: n.id,
                            config: n.config,
                        })
                        .collect(),
                    Err(_) => Vec::new(),
                };
                self.workflows.insert(id, (version.version, nodes));
            }
        }
        self.workflows.retain(|id, _| seen.contains(id));
        Ok(self
            .workflows
            .values()
            .flat_map(|(_, nodes)| nodes.iter().cloned())
            .collect())
    }
}

/// An idempotency key of at most 255 bytes: `prefix:node:suffix`, the node id cut when it
/// is very long.
pub(crate) fn idempotency_key(prefix: &str, node_id: &str, suffix: &str) -> String {
    let room = 255usize.saturating_sub(prefix.len() + suffix.len() + 2);
    let mut end = node_id.len().min(room);
    while !node_id.is_char_boundary(end) {
        end -= 1;
    }
    let mut key = format!("{prefix}:{}:{suffix}", &node_id[..end]);
    while key.len() > 255 {
        key.pop();
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn definition(with_trigger: bool) -> Value {
        let mut nodes = vec![json!({"id": "start", "type": "trigger.manual"})];
        if with_trigger {
            nodes.push(json!({"id": "tick", "type": "trigger.schedule", "config": {"cron": "* * * * * *"}}));
        }
        json!({"name": "w", "nodes": nodes, "edges": []})
    }

    #[tokio::test]
    async fn the_index_reads_only_workflows_saved_since_it_last_looked() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store: Arc<dyn Store> = weft_persistence::connect_database(&url).await.unwrap();
        let mut ids = Vec::new();
        for n in 0..5 {
            let id = WorkflowId::new();
            store
                .create_workflow(id, &format!("w{n}"), &definition(n % 2 == 0))
                .await
                .unwrap();
            ids.push(id);
        }
        let mut index = TriggerIndex::new("trigger.schedule");
        let nodes = index.refresh(&store).await.unwrap();
        assert_eq!(nodes.len(), 3);
        assert_eq!(index.definitions_read, 5);

        // Nothing saved: nothing read again.
        assert_eq!(index.refresh(&store).await.unwrap().len(), 3);
        assert_eq!(index.definitions_read, 5);

        // One saved with a trigger, one deleted: one definition read, both followed.
        store
            .save_workflow_version(ids[1], "w1", &definition(true), None)
            .await
            .unwrap();
        store.delete_workflow(ids[0]).await.unwrap();
        let mut nodes = index.refresh(&store).await.unwrap();
        assert_eq!(index.definitions_read, 6);
        nodes.sort_by_key(|n| n.workflow_id);
        let found: Vec<(WorkflowId, u32)> =
            nodes.iter().map(|n| (n.workflow_id, n.version)).collect();
        let mut expected = vec![(ids[1], 2), (ids[2], 1), (ids[4], 1)];
        expected.sort();
        assert_eq!(found, expected);
    }
}

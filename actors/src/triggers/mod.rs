//! Trigger services: what starts executions without a caller.
//!
//! ```text
//! Scheduler     (task)  trigger.schedule: claims each tick in the store, one fire per tick
//!                       across instances, missed-fire policy after downtime
//! AmqpConsumers (task)  trigger.amqp: one consumer task per (workflow, trigger node), an
//!                       execution per message, ack once the execution is stored
//! ```
//!
//! Both read every workflow's latest version every `refresh` and follow what they find: a
//! saved version with a changed trigger config takes effect within one refresh, a deleted
//! workflow stops firing. Both run on every instance; the scheduler's claims keep the
//! instances from firing a tick twice, and the broker hands each message to one consumer.

pub mod amqp;
pub mod schedule;

pub use amqp::{AmqpConsumers, AmqpConsumersConfig};
pub use schedule::{Scheduler, SchedulerConfig};

use crate::error::EngineError;
use serde_json::Value;
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

/// Every node of type `type_name` in the latest version of every workflow. Workflows
/// deleted or saved meanwhile are skipped or seen at their newest version; a version that
/// does not parse is skipped (it cannot run anyway).
pub(crate) async fn trigger_nodes(
    store: &Arc<dyn Store>,
    type_name: &str,
) -> Result<Vec<TriggerNode>, EngineError> {
    let mut found = Vec::new();
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
            let version = match store.get_workflow_version(id, None).await {
                Ok(v) => v,
                Err(StoreError::NotFound { .. }) => continue,
                Err(e) => return Err(e.into()),
            };
            let Ok(def) = Definition::from_value(version.definition) else {
                continue;
            };
            found.extend(
                def.nodes
                    .into_iter()
                    .filter(|n| n.node_type == type_name)
                    .map(|n| TriggerNode {
                        workflow_id: id,
                        version: version.version,
                        node_id: n.id,
                        config: n.config,
                    }),
            );
        }
    }
    Ok(found)
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

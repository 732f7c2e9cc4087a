//! Compiled workflow versions, cached: filters and templates compile once per version, not
//! per run. When many executions of a version start at once, one of them loads and compiles
//! it and the others wait for that result instead of all doing the same work.

use crate::error::EngineError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;
use weft_core::{CompiledWorkflow, Definition, WorkflowId};
use weft_nodes::Registry;
use weft_persistence::Store;

type Slot = Arc<OnceCell<Arc<CompiledWorkflow>>>;

pub(crate) struct WorkflowCache {
    store: Arc<dyn Store>,
    registry: Arc<Registry>,
    compiled: Mutex<HashMap<(WorkflowId, u32), Slot>>,
}

impl WorkflowCache {
    pub fn new(store: Arc<dyn Store>, registry: Arc<Registry>) -> Self {
        Self {
            store,
            registry,
            compiled: Mutex::new(HashMap::new()),
        }
    }

    /// The compiled version, loading and compiling it on first use. A failed load is not
    /// cached: the next caller tries again.
    pub async fn get(
        &self,
        id: WorkflowId,
        version: u32,
    ) -> Result<Arc<CompiledWorkflow>, EngineError> {
        let slot: Slot = self
            .compiled
            .lock()
            .expect("cache lock")
            .entry((id, version))
            .or_default()
            .clone();
        slot.get_or_try_init(|| async {
            let v = self
                .store
                .get_workflow_version(id, Some(version))
                .await
                .map_err(EngineError::from_store)?;
            let def =
                Definition::from_value(v.definition).map_err(|p| EngineError::Invalid(vec![p]))?;
            let wf =
                weft_core::validate(&def, self.registry.as_ref()).map_err(EngineError::Invalid)?;
            Ok(Arc::new(wf))
        })
        .await
        .cloned()
    }
}

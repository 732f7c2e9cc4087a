//! Compiled workflow versions, cached: filters and templates compile once per version, not
//! per run.

use crate::error::EngineError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use weft_core::{CompiledWorkflow, Definition, WorkflowId};
use weft_nodes::Registry;
use weft_persistence::Store;

pub(crate) struct WorkflowCache {
    store: Arc<dyn Store>,
    registry: Arc<Registry>,
    compiled: Mutex<HashMap<(WorkflowId, u32), Arc<CompiledWorkflow>>>,
}

impl WorkflowCache {
    pub fn new(store: Arc<dyn Store>, registry: Arc<Registry>) -> Self {
        Self {
            store,
            registry,
            compiled: Mutex::new(HashMap::new()),
        }
    }

    /// The compiled version, loading and compiling it on first use.
    pub async fn get(
        &self,
        id: WorkflowId,
        version: u32,
    ) -> Result<Arc<CompiledWorkflow>, EngineError> {
        if let Some(wf) = self
            .compiled
            .lock()
            .expect("cache lock")
            .get(&(id, version))
        {
            return Ok(wf.clone());
        }
        let v = self
            .store
            .get_workflow_version(id, Some(version))
            .await
            .map_err(EngineError::from_store)?;
        let def =
            Definition::from_value(v.definition).map_err(|p| EngineError::Invalid(vec![p]))?;
        let wf = Arc::new(
            weft_core::validate(&def, self.registry.as_ref()).map_err(EngineError::Invalid)?,
        );
        self.compiled
            .lock()
            .expect("cache lock")
            .insert((id, version), wf.clone());
        Ok(wf)
    }
}

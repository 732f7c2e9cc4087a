//! Trigger node types: where an execution starts.
//!
//! `trigger.manual` covers every start that carries its input with it (the REST API, the CLI,
//! the designer's "run" button); scheduled and webhook triggers will live here too.

use crate::config::object_schema;
use crate::{Node, NodeInput, NodeOutput};
use async_trait::async_trait;
use serde_json::{Value, json};
use weft_core::{NodeError, NodeSpec, Ports};

/// `trigger.manual`: outputs the execution's input.
#[derive(Debug, Clone, Copy, Default)]
pub struct ManualTrigger;

impl ManualTrigger {
    pub const TYPE: &'static str = "trigger.manual";
}

#[async_trait]
impl Node for ManualTrigger {
    fn spec(&self) -> NodeSpec {
        NodeSpec {
            type_name: Self::TYPE.to_string(),
            category: "trigger".to_string(),
            description: "Starts the workflow when it is run through the API, the CLI or the \
                          designer. Outputs the execution input."
                .to_string(),
            trigger: true,
            ports: Ports::main(),
            schema: object_schema("Manual trigger", json!({}), &[]),
            filter_fields: Vec::new(),
            raw_fields: Vec::new(),
            default_retry: None,
        }
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let output = input.context.get("input").cloned().unwrap_or(Value::Null);
        Ok(NodeOutput::main(output))
    }
}

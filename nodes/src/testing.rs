//! Running one node in isolation, the way the engine would: build its context, render its
//! config's `{{ }}` templates (leaving raw and filter fields alone), compile its filter
//! fields, check the rendered config against the schema, then call `run`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), weft_core::NodeError> {
//! use serde_json::json;
//! use weft_nodes::{data::SetNode, testing::{TestInput, run}};
//!
//! let out = run(&SetNode, TestInput::new(json!({"fields": {"n": "{{ .prev.n + 1 }}"}}))
//!     .prev(json!({"n": 1})))
//!     .await?;
//! assert_eq!(out.output, json!({"n": 2}));
//! # Ok(()) }
//! ```

use crate::credentials::{Credentials, StaticCredentials};
use crate::schema::ConfigSchema;
use crate::{Node, NodeEnv, NodeInput, NodeOutput};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use weft_core::expr::{ConfigTemplate, compile_filter_field};
use weft_core::{ExecutionId, NodeError, NodeSpec, WorkflowId};

/// Why a [`TestInput`] could not be turned into a [`NodeInput`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HarnessError {
    #[error("{pointer}: {message}")]
    Template { pointer: String, message: String },
    #[error("/{field}: {message}")]
    Filter { field: String, message: String },
}

impl From<HarnessError> for NodeError {
    fn from(e: HarnessError) -> Self {
        NodeError::config(e.to_string())
    }
}

/// A node activation under construction: config plus the context the engine would give it.
#[derive(Debug, Clone)]
pub struct TestInput {
    config: Value,
    input: Value,
    prev: Option<Value>,
    nodes: Map<String, Value>,
    inputs: Map<String, Value>,
    vars: Map<String, Value>,
    item: Value,
    index: Value,
    execution_id: ExecutionId,
    workflow_id: WorkflowId,
    version: u32,
    node_id: String,
    node_path: Option<String>,
    attempt: u32,
    timeout: Option<Duration>,
    credentials: HashMap<String, Value>,
    env: Option<NodeEnv>,
}

impl TestInput {
    /// An activation of a node with this (unrendered) config, in a fresh execution.
    pub fn new(config: Value) -> Self {
        Self {
            config,
            input: Value::Null,
            prev: None,
            nodes: Map::new(),
            inputs: Map::new(),
            vars: Map::new(),
            item: Value::Null,
            index: Value::Null,
            execution_id: ExecutionId::new(),
            workflow_id: WorkflowId::new(),
            version: 1,
            node_id: "node".to_string(),
            node_path: None,
            attempt: 1,
            timeout: None,
            credentials: HashMap::new(),
            env: None,
        }
    }

    /// The execution input (`.input`).
    pub fn input(mut self, input: Value) -> Self {
        self.input = input;
        self
    }

    /// `.prev`. When not set: the one activating source's output, an object keyed by source
    /// id when there are several, `null` when there are none.
    pub fn prev(mut self, prev: Value) -> Self {
        self.prev = Some(prev);
        self
    }

    /// An activating source: its output goes into `inputs` and `.nodes`.
    pub fn from_node(mut self, id: &str, output: Value) -> Self {
        self.nodes.insert(id.to_string(), output.clone());
        self.inputs.insert(id.to_string(), output);
        self
    }

    /// A finished node that did not activate this one (only in `.nodes`).
    pub fn node_output(mut self, id: &str, output: Value) -> Self {
        self.nodes.insert(id.to_string(), output);
        self
    }

    pub fn var(mut self, name: &str, value: Value) -> Self {
        self.vars.insert(name.to_string(), value);
        self
    }

    /// Inside a loop body: `.item` and `.index`.
    pub fn item(mut self, item: Value, index: usize) -> Self {
        self.item = item;
        self.index = json!(index);
        self
    }

    pub fn execution_id(mut self, id: ExecutionId) -> Self {
        self.execution_id = id;
        self
    }

    pub fn node_id(mut self, id: &str) -> Self {
        self.node_id = id.to_string();
        self
    }

    /// The node path (default: the node id).
    pub fn node_path(mut self, path: &str) -> Self {
        self.node_path = Some(path.to_string());
        self
    }

    pub fn attempt(mut self, attempt: u32) -> Self {
        self.attempt = attempt;
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// A credential the node may open by `reference` (its id or name).
    pub fn credential(mut self, reference: &str, value: Value) -> Self {
        self.credentials.insert(reference.to_string(), value);
        self
    }

    /// The environment to run in (default: the [`credential`](Self::credential)s given and
    /// breakers of its own). Share one between runs to test breaker behaviour.
    pub fn env(mut self, env: NodeEnv) -> Self {
        self.env = Some(env);
        self
    }

    /// The expression context `.` the node's templates and filters see.
    pub fn context(&self) -> Value {
        let prev = match (&self.prev, self.inputs.len()) {
            (Some(p), _) => p.clone(),
            (None, 0) => Value::Null,
            (None, 1) => self.inputs.values().next().cloned().unwrap_or(Value::Null),
            (None, _) => Value::Object(self.inputs.clone()),
        };
        json!({
            "input": self.input,
            "prev": prev,
            "nodes": self.nodes,
            "item": self.item,
            "index": self.index,
            "execution": {
                "id": self.execution_id,
                "workflow_id": self.workflow_id,
                "version": self.version,
            },
            "vars": self.vars,
        })
    }

    /// The [`NodeInput`] for a node of type `spec`: templates rendered (except raw and
    /// filter fields), filter fields compiled.
    pub fn build(self, spec: &NodeSpec) -> Result<NodeInput, HarnessError> {
        let context = self.context();
        let mut raw = spec.raw_fields.clone();
        raw.extend(spec.filter_fields.iter().cloned());
        let template = ConfigTemplate::compile(&self.config, &raw).map_err(|errors| {
            let e = &errors[0];
            HarnessError::Template {
                pointer: e.pointer.clone(),
                message: e.error.message.clone(),
            }
        })?;
        let config = template
            .render(&context)
            .map_err(|e| HarnessError::Template {
                pointer: e.pointer,
                message: e.error.message,
            })?;
        let mut filters = Vec::new();
        for field in &spec.filter_fields {
            if let Some(source) = self.config.get(field).and_then(Value::as_str) {
                let filter = compile_filter_field(source).map_err(|e| HarnessError::Filter {
                    field: field.clone(),
                    message: e.message,
                })?;
                filters.push((field.clone(), filter));
            }
        }
        let env = match self.env {
            Some(env) => NodeEnv {
                node_type: Arc::from(spec.type_name.as_str()),
                ..env
            },
            None => NodeEnv {
                node_type: Arc::from(spec.type_name.as_str()),
                credentials: Credentials::new(Arc::new(StaticCredentials(self.credentials))),
                breakers: Arc::default(),
            },
        };
        Ok(NodeInput {
            env,
            execution_id: self.execution_id,
            workflow_id: self.workflow_id,
            node_path: self.node_path.unwrap_or_else(|| self.node_id.clone()),
            node_id: self.node_id,
            attempt: self.attempt,
            config,
            context,
            inputs: self.inputs,
            filters: Arc::new(filters),
            timeout: self.timeout,
        })
    }

    /// [`build`](Self::build) for `node`'s spec.
    pub fn build_for(self, node: &dyn Node) -> Result<NodeInput, HarnessError> {
        self.build(&node.spec())
    }
}

/// Builds the input, checks the rendered config against the node's schema (as the engine's
/// [`Registry::run`](crate::Registry::run) does), runs the node and scrubs the credentials it
/// opened from the result. Harness problems (a
/// template that does not compile or render) come back as `config` errors.
pub async fn run(node: &dyn Node, input: TestInput) -> Result<NodeOutput, NodeError> {
    let spec = node.spec();
    let schema = ConfigSchema::compile(spec.schema.clone())
        .map_err(|m| NodeError::config(format!("invalid schema: {m}")))?;
    let input = input.build(&spec)?;
    schema.check_rendered(&spec.type_name, &input.config)?;
    let credentials = input.env.credentials.clone();
    match node.run(input).await {
        Ok(out) => Ok(credentials.scrub_output(out)),
        Err(e) => Err(credentials.scrub_error(e)),
    }
}

//! weft-nodes: the node SDK and the built-in node types.
//!
//! A node type is a [`Node`]: a [`NodeSpec`] (name, category, ports, JSON Schema of its
//! config) and an async `run` that turns a [`NodeInput`] into a [`NodeOutput`] or a
//! [`NodeError`] with a kind. The [`Registry`] holds every type known to the process, checks
//! configs against their schemas (for `weft validate` and again at run time) and implements
//! core's `NodeCatalog`.
//!
//! `flow.wait`, `flow.signal`, `flow.call`, `flow.for_each` and `flow.while` are listed here
//! for their specs, but the engine's state machine runs them, not a node actor
//! ([`ENGINE_TYPES`]).
//!
//! Modules: one per category of built-in types ([`trigger`], [`data`], [`flow`], [`http`],
//! [`db`], [`messaging`], [`notify`], [`file`], [`code`], [`ai`], [`util`]) and
//! [`remote`] types served over HTTP; the [`Registry`], the operator
//! [`options`](NodeOptions), [`credentials`], [`resilience`] (breakers and bulkheads),
//! [`config`] helpers for writing node types and [`testing`], which runs one node in
//! isolation. docs/nodes-sdk.md is the guide.

use async_trait::async_trait;
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Duration;
pub use weft_core::LogLevel;
use weft_core::catalog::ConfigProblem;
use weft_core::expr::Filter;
use weft_core::{ExecutionId, NodeError, NodeSpec, WorkflowId};

pub mod ai;
pub mod catalog;
pub mod code;
pub mod config;
pub mod credentials;
pub mod data;
pub mod db;
pub mod file;
pub mod flow;
pub mod http;
pub mod messaging;
pub mod notify;
pub mod options;
pub mod registry;
pub mod remote;
pub mod resilience;
mod schema;
pub mod testing;
pub mod tls;
pub mod trigger;
pub mod util;

pub use credentials::{CredentialError, CredentialSource, Credentials, Secret};
pub use flow::ENGINE_TYPES;
pub use http::ssrf::{AllowList, AllowListError};
pub use options::{HttpOptions, NodeOptions, OptionsError};
pub use registry::{Registry, RegistryError};
pub use resilience::{Breakers, ResilienceOptions};

/// Everything a node run gets from the engine.
#[derive(Debug, Clone)]
pub struct NodeInput {
    pub execution_id: ExecutionId,
    pub workflow_id: WorkflowId,
    /// e.g. `each[2]/square`; stable across attempts.
    pub node_path: String,
    /// The node's id in the definition, e.g. `square`.
    pub node_id: String,
    /// 1-based.
    pub attempt: u32,
    /// The node's config with every `{{ }}` template rendered (filter fields stay raw).
    pub config: Value,
    /// The expression context `.`: `{input, prev, nodes, item, index, execution, vars}`.
    pub context: Value,
    /// Outputs of the sources whose edges activated this node, keyed by source node id.
    pub inputs: Map<String, Value>,
    /// Compiled filter fields of this node (see `NodeSpec::filter_fields`), by field name.
    pub filters: Arc<Vec<(String, Filter)>>,
    /// The node's time limit (the engine also enforces it around `run`).
    pub timeout: Option<Duration>,
    /// Credentials and circuit breakers lent to this activation.
    pub env: NodeEnv,
}

/// What the engine lends one node activation besides its data: access to credentials
/// (remembered, so the result can be scrubbed of them) and the process's circuit breakers.
/// [`Registry::env`] makes one per activation.
#[derive(Debug, Clone, Default)]
pub struct NodeEnv {
    /// The activation's node type (breakers are per type and host).
    pub node_type: Arc<str>,
    pub credentials: Credentials,
    pub breakers: Arc<Breakers>,
}

impl NodeInput {
    /// `{execution_id}/{node_path}`: the same for every attempt of this activation.
    pub fn idempotency_key(&self) -> String {
        weft_core::ids::idempotency_key(self.execution_id, &self.node_path)
    }

    /// The output that activated this node (`null` when none did).
    pub fn prev(&self) -> &Value {
        self.context.get("prev").unwrap_or(&Value::Null)
    }

    /// Opens the credential a config names (by id or name). Whatever it holds is scrubbed
    /// from this activation's output, logs and error.
    pub async fn credential(&self, reference: &str) -> Result<Secret, NodeError> {
        self.env.credentials.get(reference).await
    }

    /// Runs `call` through the circuit breaker of this node type and `host`: fails fast with
    /// a `transient` error while the breaker is open. Every node that calls out over the
    /// network should wrap its calls in this.
    pub async fn guarded<T>(
        &self,
        host: &str,
        call: impl std::future::Future<Output = Result<T, NodeError>>,
    ) -> Result<T, NodeError> {
        self.env
            .breakers
            .call(&self.env.node_type, host, call)
            .await
    }

    /// The compiled filter for a filter field.
    pub fn filter(&self, field: &str) -> Option<&Filter> {
        self.filters
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, f)| f)
    }
}

/// A node's result: its output value, the ports it activates, and what it logged.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeOutput {
    pub output: Value,
    pub ports: Vec<String>,
    /// Written to the execution's log (one `log` event each), just before the node's
    /// completion, in the same durable write.
    pub logs: Vec<NodeLog>,
}

impl NodeOutput {
    /// Output on the `main` port.
    pub fn main(output: Value) -> Self {
        Self::on_ports(output, vec![weft_core::definition::MAIN_PORT.to_string()])
    }

    pub fn on_ports(output: Value, ports: Vec<String>) -> Self {
        Self {
            output,
            ports,
            logs: Vec::new(),
        }
    }

    /// The same result with one more log line.
    pub fn with_log(mut self, log: NodeLog) -> Self {
        self.logs.push(log);
        self
    }
}

/// A line a node writes to its execution's log.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeLog {
    pub level: LogLevel,
    pub message: String,
    /// Structured details (`null` when none).
    pub fields: Value,
}

impl NodeLog {
    pub fn new(level: LogLevel, message: impl Into<String>) -> Self {
        Self {
            level,
            message: message.into(),
            fields: Value::Null,
        }
    }

    pub fn with_fields(mut self, fields: Value) -> Self {
        self.fields = fields;
        self
    }
}

/// A node type.
#[async_trait]
pub trait Node: Send + Sync + 'static {
    fn spec(&self) -> NodeSpec;

    /// Checks of the config the schema cannot express (unique names, a URL that parses…),
    /// run when a workflow is validated, after the schema check. Values that are still
    /// `{{ }}` templates must be left alone. Pointers are relative to the config.
    fn check_config(&self, _config: &Value) -> Vec<ConfigProblem> {
        Vec::new()
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError>;

    /// Whether the node is pure and quick: its output depends only on its input, it does no
    /// IO and never waits. The engine then runs it inside the execution's own step instead
    /// of a node actor, and writes its scheduling and completion in one durable append —
    /// there is no side effect that write-ahead would have to precede, and a crash loses
    /// both or neither. Never true for anything that talks to the outside world.
    fn runs_inline(&self) -> bool {
        false
    }

    /// How many activations of this type may run at once in one process (its bulkhead),
    /// unless the operator says otherwise (`WEFT_NODE_MAX_CONCURRENT_BY_TYPE`). `None`: the
    /// operator's general limit. CPU-bound types should say the number of cores.
    fn max_concurrency(&self) -> Option<usize> {
        None
    }
}

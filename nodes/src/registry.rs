//! The registry: every node type this process knows, by name.
//!
//! It is what core's validation sees through [`NodeCatalog`] (specs and schema checks), what
//! the `weft nodes` listing and `GET /nodes` print, and what the engine runs nodes through
//! ([`Registry::run`] checks the rendered config first). Each type's schema is compiled once,
//! when the type is registered.

use crate::credentials::{CredentialSource, Credentials, NoCredentials};
use crate::data::{
    AggregateNode, CryptoNode, DateTimeNode, DedupeNode, EncodeNode, FilterNode, JoinNode,
    LimitNode, SetNode, SortNode, SplitNode, TransformNode,
};
use crate::flow::{EngineNode, FailNode, IfNode, MergeNode, SwitchNode};
use crate::http::{ClientError, HttpClient, HttpRequest, RespondNode};
use crate::options::NodeOptions;
use crate::resilience::{Breakers, Bulkheads};
use crate::schema::{ConfigSchema, Stage};
use crate::trigger::{ManualTrigger, WebhookTrigger};
use crate::util::LogNode;
use crate::{Node, NodeEnv, NodeInput, NodeOutput};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use weft_core::catalog::{ConfigProblem, NodeCatalog};
use weft_core::{NodeError, NodeSpec};

/// Why a node type could not be registered, or the built-in ones could not be built.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("node type `{0}` is already registered")]
    Duplicate(String),
    #[error(
        "node type name `{0}` is not valid: use lower-case `category.name`, e.g. `http.request`"
    )]
    InvalidName(String),
    #[error("the config schema of node type `{type_name}` is not a valid JSON Schema: {message}")]
    InvalidSchema { type_name: String, message: String },
    #[error(transparent)]
    HttpClient(#[from] ClientError),
    /// A node type could not be set up from the operator's options.
    #[error("node type `{type_name}` cannot be set up: {message}")]
    Setup { type_name: String, message: String },
}

struct Entry {
    spec: NodeSpec,
    node: Arc<dyn Node>,
    schema: ConfigSchema,
}

/// The node types known to this process. Cheap to share behind an `Arc`; immutable once
/// built.
pub struct Registry {
    entries: BTreeMap<String, Entry>,
    credentials: Arc<dyn CredentialSource>,
    breakers: Arc<Breakers>,
    bulkheads: Bulkheads,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("types", &self.entries.keys())
            .finish()
    }
}

impl Registry {
    /// A registry with no types (custom catalogs, tests).
    pub fn empty() -> Self {
        Self::with_resilience(&Default::default())
    }

    fn with_resilience(options: &crate::ResilienceOptions) -> Self {
        Self {
            entries: BTreeMap::new(),
            credentials: Arc::new(NoCredentials),
            breakers: Arc::new(Breakers::new(options.breaker.clone())),
            bulkheads: Bulkheads::new(
                options.max_concurrent,
                options.max_concurrent_by_type.clone(),
            ),
        }
    }

    /// Where nodes' credentials come from (by default: nowhere, every lookup fails).
    pub fn set_credentials(&mut self, source: Arc<dyn CredentialSource>) {
        self.credentials = source;
    }

    /// A fresh environment for one activation of `type_name`: its own credentials handle,
    /// the shared breakers.
    pub fn env(&self, type_name: &str) -> NodeEnv {
        NodeEnv {
            node_type: Arc::from(type_name),
            credentials: Credentials::new(Arc::clone(&self.credentials)),
            breakers: Arc::clone(&self.breakers),
        }
    }

    /// Every built-in type. Fails only if the HTTP client cannot be built (no usable TLS
    /// configuration on this machine).
    pub fn builtin(options: NodeOptions) -> Result<Self, RegistryError> {
        // Client libraries that build their TLS configuration from rustls's process default
        // (NATS `tls://`, Redis `rediss://`) need one chosen: several providers are compiled in.
        crate::tls::install_default_provider();
        let mut registry = Self::with_resilience(&options.resilience);
        let http = HttpClient::new(&options.http)?;
        let mut nodes: Vec<Arc<dyn Node>> = vec![
            Arc::new(ManualTrigger),
            Arc::new(WebhookTrigger),
            Arc::new(crate::trigger::ScheduleTrigger),
            Arc::new(crate::trigger::AmqpTrigger),
            Arc::new(SetNode),
            Arc::new(TransformNode),
            Arc::new(FilterNode),
            Arc::new(SortNode),
            Arc::new(LimitNode),
            Arc::new(DedupeNode),
            Arc::new(SplitNode),
            Arc::new(AggregateNode),
            Arc::new(JoinNode),
            Arc::new(EncodeNode),
            Arc::new(CryptoNode),
            Arc::new(DateTimeNode),
            Arc::new(crate::data::ValidateNode::default()),
            Arc::new(crate::data::TemplateNode),
            Arc::new(crate::data::CsvNode),
            Arc::new(crate::data::XmlNode),
            Arc::new(IfNode),
            Arc::new(SwitchNode),
            Arc::new(MergeNode),
            Arc::new(FailNode),
            Arc::new(HttpRequest::new(http.clone())),
            Arc::new(crate::http::graphql::GraphqlNode::new(http.clone())),
            Arc::new(RespondNode),
            Arc::new(LogNode),
            Arc::new(crate::util::NoopNode),
        ];
        nodes.extend(
            EngineNode::all()
                .into_iter()
                .map(|n| Arc::new(n) as Arc<dyn Node>),
        );
        nodes.extend(crate::db::nodes(&options, &http)?);
        nodes.extend(crate::messaging::nodes(&options, &http)?);
        nodes.extend(crate::notify::nodes(&options, &http)?);
        nodes.extend(crate::file::nodes(&options, &http)?);
        nodes.extend(crate::code::nodes(&options, &http)?);
        nodes.extend(crate::ai::nodes(&options, &http)?);
        nodes.extend(crate::remote::nodes(&options, &http)?);
        for node in nodes {
            registry.register(node)?;
        }
        Ok(registry)
    }

    /// Adds a node type. Its name must be new and its schema a valid JSON Schema.
    pub fn register(&mut self, node: Arc<dyn Node>) -> Result<(), RegistryError> {
        let spec = node.spec();
        let name = spec.type_name.clone();
        if !valid_type_name(&name) {
            return Err(RegistryError::InvalidName(name));
        }
        if self.entries.contains_key(&name) {
            return Err(RegistryError::Duplicate(name));
        }
        let schema = ConfigSchema::compile(spec.schema.clone()).map_err(|message| {
            RegistryError::InvalidSchema {
                type_name: name.clone(),
                message,
            }
        })?;
        if let Some(limit) = node.max_concurrency() {
            self.bulkheads.set_type_default(&name, limit);
        }
        self.entries.insert(name, Entry { spec, node, schema });
        Ok(())
    }

    /// The node type called `type_name`.
    pub fn get(&self, type_name: &str) -> Option<Arc<dyn Node>> {
        self.entries.get(type_name).map(|e| Arc::clone(&e.node))
    }

    /// See [`Node::runs_inline`]; unknown types are not.
    pub fn runs_inline(&self, type_name: &str) -> bool {
        self.entries
            .get(type_name)
            .is_some_and(|e| e.node.runs_inline())
    }

    /// Every spec, sorted by type name (the catalog listing).
    pub fn specs(&self) -> Vec<&NodeSpec> {
        self.entries.values().map(|e| &e.spec).collect()
    }

    /// The run-time check of a rendered config: a `config` error naming each wrong field.
    pub fn check_rendered(&self, type_name: &str, config: &Value) -> Result<(), NodeError> {
        self.entry(type_name)?
            .schema
            .check_rendered(type_name, config)
    }

    /// Runs one node activation: checks the rendered config, waits for a slot in the type's
    /// bulkhead, calls the type's `run`, and scrubs every credential the node opened from
    /// the result.
    pub async fn run(&self, type_name: &str, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let entry = self.entry(type_name)?;
        entry.schema.check_rendered(type_name, &input.config)?;
        let credentials = input.env.credentials.clone();
        let _slot = if entry.node.runs_inline() {
            None
        } else {
            Some(self.bulkheads.enter(type_name).await)
        };
        match entry.node.run(input).await {
            Ok(out) => Ok(credentials.scrub_output(out)),
            Err(e) => Err(credentials.scrub_error(e)),
        }
    }

    fn entry(&self, type_name: &str) -> Result<&Entry, NodeError> {
        self.entries
            .get(type_name)
            .ok_or_else(|| NodeError::config(format!("unknown node type `{type_name}`")))
    }
}

/// `category.name`, lower case, with digits, `_` and `-` allowed after the first letter.
fn valid_type_name(name: &str) -> bool {
    let part = |p: &str| {
        p.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && p.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
    };
    match name.split_once('.') {
        Some((category, rest)) => part(category) && rest.split('.').all(part),
        None => false,
    }
}

impl NodeCatalog for Registry {
    fn spec(&self, type_name: &str) -> Option<&NodeSpec> {
        self.entries.get(type_name).map(|e| &e.spec)
    }

    fn type_names(&self) -> Vec<&str> {
        self.entries.keys().map(String::as_str).collect()
    }

    /// Schema violations (except where the value is a `{{ }}` template, only known at run
    /// time), then the type's own checks.
    fn check_config(&self, type_name: &str, config: &Value) -> Vec<ConfigProblem> {
        let Some(entry) = self.entries.get(type_name) else {
            // Core reports unknown types itself, with a "did you mean".
            return Vec::new();
        };
        let mut problems = entry.schema.problems(config, Stage::Design);
        for p in entry.node.check_config(config) {
            if !problems.contains(&p) {
                problems.push(p);
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_trait::async_trait;
    use serde_json::json;
    use weft_core::Ports;

    struct Custom(&'static str, Value);

    #[async_trait]
    impl Node for Custom {
        fn spec(&self) -> NodeSpec {
            NodeSpec {
                type_name: self.0.to_string(),
                category: "custom".to_string(),
                description: "test".to_string(),
                trigger: false,
                ports: Ports::main(),
                schema: self.1.clone(),
                filter_fields: Vec::new(),
                raw_fields: Vec::new(),
                default_retry: None,
            }
        }

        async fn run(&self, _input: NodeInput) -> Result<NodeOutput, NodeError> {
            Ok(NodeOutput::main(Value::Null))
        }
    }

    #[test]
    fn registration_rejects_duplicates_bad_names_and_bad_schemas() {
        let mut r = Registry::empty();
        r.register(Arc::new(Custom("custom.one", json!({"type": "object"}))))
            .unwrap();
        assert!(matches!(
            r.register(Arc::new(Custom("custom.one", json!({})))),
            Err(RegistryError::Duplicate(n)) if n == "custom.one"
        ));
        assert!(matches!(
            r.register(Arc::new(Custom("NoCategory", json!({})))),
            Err(RegistryError::InvalidName(_))
        ));
        assert!(matches!(
            r.register(Arc::new(Custom("custom.bad", json!({"type": "nonsense"})))),
            Err(RegistryError::InvalidSchema { .. })
        ));
        assert!(r.get("custom.one").is_some());
        assert!(r.get("custom.two").is_none());
    }

    #[test]
    fn type_names_are_checked() {
        for ok in ["http.request", "db.pg.query", "ai.chat-v2", "x.y_z"] {
            assert!(valid_type_name(ok), "{ok}");
        }
        for bad in ["http", "Http.request", ".x", "x.", "x..y", "1x.y", "x y.z"] {
            assert!(!valid_type_name(bad), "{bad}");
        }
    }
}

//! What core needs to know about node types without depending on their implementations:
//! the `NodeCatalog` trait, implemented by `weft-nodes`' registry.

use crate::retry::RetryPolicy;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Which output ports a node type has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "names")]
pub enum Ports {
    /// A fixed set, e.g. `["main"]` or `["true", "false"]`.
    Fixed(Vec<String>),
    /// The names of `config.cases[*].name` plus `config.default` (default `"default"`):
    /// `flow.switch`.
    Cases,
}

impl Ports {
    pub fn main() -> Ports {
        Ports::Fixed(vec![crate::definition::MAIN_PORT.to_string()])
    }

    /// The port names a node with `config` has (the `error` port is not included).
    pub fn names(&self, config: &Value) -> Vec<String> {
        match self {
            Ports::Fixed(p) => p.clone(),
            Ports::Cases => {
                let mut names: Vec<String> = config
                    .get("cases")
                    .and_then(Value::as_array)
                    .map(|cs| {
                        cs.iter()
                            .filter_map(|c| c.get("name").and_then(Value::as_str))
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default();
                names.push(
                    config
                        .get("default")
                        .and_then(Value::as_str)
                        .unwrap_or("default")
                        .to_string(),
                );
                names
            }
        }
    }
}

/// The description of one node type: enough to validate a definition, render a designer
/// palette and form, and document the type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeSpec {
    /// e.g. `http.request`.
    #[serde(rename = "type")]
    pub type_name: String,
    /// e.g. `http`, `data`, `flow`, `trigger`.
    pub category: String,
    pub description: String,
    /// Starts a workflow; every workflow needs at least one.
    pub trigger: bool,
    pub ports: Ports,
    /// JSON Schema (draft 2020-12) of `config`.
    pub schema: Value,
    /// Top-level config fields holding a raw jq filter (not a `{{ }}` template); compiled
    /// once per workflow version and run by the node against its context.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filter_fields: Vec<String>,
    /// Top-level config fields left untouched by template rendering (loop bodies).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub raw_fields: Vec<String>,
    /// Retry policy used when the node in the definition has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_retry: Option<RetryPolicy>,
}

/// A config problem found by a catalog, relative to the node's `config`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// JSON pointer inside `config` (`""` for the config itself).
    pub pointer: String,
    pub message: String,
}

/// The node types known to this process.
pub trait NodeCatalog: Send + Sync {
    fn spec(&self, type_name: &str) -> Option<&NodeSpec>;

    /// Every known type name, for "did you mean" hints and the catalog listing.
    fn type_names(&self) -> Vec<&str>;

    /// Checks `config` against the type's schema. Values that are `{{ }}` templates are
    /// not known until run time and must not be reported.
    fn check_config(&self, type_name: &str, config: &Value) -> Vec<ConfigProblem>;
}

//! The workflow definition: one schema for the API, the CLI, the designer and files.
//!
//! Parsing is strict (`deny_unknown_fields`) and reports where in the document a problem is,
//! as a JSON pointer, so a typo such as `"retires"` is an error instead of a silent default.

use crate::retry::RetryPolicy;
use crate::validate::Problem;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Largest definition accepted, in bytes of source text.
pub const MAX_DEFINITION_BYTES: usize = 2 * 1024 * 1024;
/// Most nodes accepted in one definition, loop bodies included.
pub const MAX_NODES: usize = 2_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Labels to find the workflow by (the workflow list filters on them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    pub nodes: Vec<NodeDef>,
    #[serde(default)]
    pub edges: Vec<EdgeDef>,
    #[serde(default)]
    pub settings: Settings,
    /// Constants available to expressions as `.vars`.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub vars: serde_json::Map<String, Value>,
}

/// A nested graph: the body of a `flow.for_each` or `flow.while`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Body {
    pub nodes: Vec<NodeDef>,
    #[serde(default)]
    pub edges: Vec<EdgeDef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeDef {
    pub id: String,
    #[serde(rename = "type")]
    pub node_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default = "empty_object", skip_serializing_if = "is_empty_object")]
    pub config: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetryPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "OnError::is_default")]
    pub on_error: OnError,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

fn empty_object() -> Value {
    Value::Object(Default::default())
}

fn is_empty_object(v: &Value) -> bool {
    v.as_object().is_some_and(|o| o.is_empty())
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Position {
    pub x: f64,
    pub y: f64,
}

/// What happens after a node's last attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnError {
    /// The execution fails.
    #[default]
    Fail,
    /// The node outputs `{"error": {kind, message}}` and activates `main`.
    Continue,
    /// The node outputs `{"error": {kind, message}}` and activates its `error` port.
    Route,
}

impl OnError {
    fn is_default(&self) -> bool {
        *self == OnError::Fail
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdgeDef {
    pub from: String,
    #[serde(default = "main_port", skip_serializing_if = "is_main_port")]
    pub port: String,
    pub to: String,
}

/// The port most nodes activate.
pub const MAIN_PORT: &str = "main";
/// The port a node with `on_error: route` activates when it failed.
pub const ERROR_PORT: &str = "error";

fn main_port() -> String {
    MAIN_PORT.to_string()
}

fn is_main_port(p: &str) -> bool {
    p == MAIN_PORT
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The whole execution's time limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// Node runs in flight at once within one execution.
    #[serde(default = "default_max_parallel")]
    pub max_parallel_nodes: u32,
    /// Admission priority, 0 (lowest) to 9 (highest).
    #[serde(default = "default_priority")]
    pub priority: u8,
    /// Executions of this workflow running at once on an instance (unlimited when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrency: Option<u32>,
}

fn default_max_parallel() -> u32 {
    16
}

fn default_priority() -> u8 {
    5
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            timeout_ms: None,
            max_parallel_nodes: default_max_parallel(),
            priority: default_priority(),
            max_concurrency: None,
        }
    }
}

/// The text format of a definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
}

impl Format {
    /// Guesses from a file name: `.yaml`/`.yml` are YAML, everything else JSON.
    pub fn from_path(path: &str) -> Format {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            Format::Yaml
        } else {
            Format::Json
        }
    }
}

impl Definition {
    /// Parses a definition, reporting the first syntax or shape problem with its location.
    pub fn parse(text: &str, format: Format) -> Result<Definition, Problem> {
        if text.len() > MAX_DEFINITION_BYTES {
            return Err(Problem::new(
                "",
                format!(
                    "definition is {} bytes, more than the limit of {} bytes",
                    text.len(),
                    MAX_DEFINITION_BYTES
                ),
            )
            .with_hint("split it into smaller workflows called with flow.call"));
        }
        let def: Definition = match format {
            Format::Json => {
                let mut de = serde_json::Deserializer::from_str(text);
                let r = serde_path_to_error::deserialize(&mut de).map_err(|e| {
                    let pointer = pointer_of(e.path());
                    let inner = e.into_inner();
                    Problem::new(pointer, inner.to_string())
                })?;
                de.end().map_err(|e| Problem::new("", e.to_string()))?;
                r
            }
            Format::Yaml => {
                let de = serde_yaml::Deserializer::from_str(text);
                serde_path_to_error::deserialize(de).map_err(|e| {
                    let pointer = pointer_of(e.path());
                    let inner = e.into_inner();
                    Problem::new(pointer, inner.to_string())
                })?
            }
        };
        Ok(def)
    }

    /// Parses from a JSON value (the REST API receives one).
    pub fn from_value(value: Value) -> Result<Definition, Problem> {
        serde_path_to_error::deserialize(value).map_err(|e| {
            let pointer = pointer_of(e.path());
            let inner = e.into_inner();
            Problem::new(pointer, inner.to_string())
        })
    }

    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("a definition always serializes")
    }
}

/// Turns serde_path_to_error's `nodes[1].type` into the JSON pointer `/nodes/1/type`.
pub fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut p = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => {
                p.push('/');
                p.push_str(&index.to_string());
            }
            Segment::Map { key } | Segment::Enum { variant: key } => {
                p.push('/');
                p.push_str(&escape_pointer(key));
            }
            Segment::Unknown => {}
        }
    }
    p
}

/// Escapes one JSON pointer reference token (RFC 6901).
pub fn escape_pointer(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_field_is_reported_with_its_pointer() {
        let e = Definition::parse(
            r#"{"name":"x","nodes":[{"id":"a","type":"trigger.manual","retires":{}}]}"#,
            Format::Json,
        )
        .unwrap_err();
        assert_eq!(e.pointer, "/nodes/0/retires");
        assert!(
            e.message.contains("unknown field `retires`"),
            "{}",
            e.message
        );
    }

    #[test]
    fn yaml_and_json_give_the_same_definition() {
        let j = Definition::parse(
            r#"{"name":"x","nodes":[{"id":"a","type":"trigger.manual"}],"edges":[]}"#,
            Format::Json,
        )
        .unwrap();
        let y = Definition::parse(
            "name: x\nnodes:\n  - {id: a, type: trigger.manual}\nedges: []\n",
            Format::Yaml,
        )
        .unwrap();
        assert_eq!(j, y);
    }

    #[test]
    fn malformed_json_is_a_clear_error() {
        let e = Definition::parse(r#"{"name": "x", "nodes": [}"#, Format::Json).unwrap_err();
        assert!(e.message.contains("line 1"), "{}", e.message);
    }

    #[test]
    fn oversized_definition_is_refused() {
        let big = format!(
            r#"{{"name":"{}","nodes":[]}}"#,
            "x".repeat(MAX_DEFINITION_BYTES)
        );
        let e = Definition::parse(&big, Format::Json).unwrap_err();
        assert!(e.message.contains("limit"));
    }
}

//! `data.validate`: checks a value against a JSON Schema written in the node's config.
//!
//! Workflows take data from outside (webhooks, APIs, files) and later nodes assume its
//! shape. This node makes that assumption explicit: a value that matches goes out on the
//! `valid` port; one that does not goes out on `invalid` with every problem (a JSON pointer
//! into the value, a message and the schema keyword), or fails the node in `mode: "fail"`.
//!
//! The schema is a raw field (its `{{ }}` are never rendered), so it is fixed per workflow
//! version: it is compiled once at validation time (a bad schema is a config problem at
//! `/schema`) and compiled validators are cached by the schema's JSON text. Schemas never
//! fetch anything: remote `$ref`s are refused (`offline`), whatever features other crates
//! turn on in the `jsonschema` crate.

use crate::config::{object_schema, parse_config};
use crate::{Node, NodeInput, NodeOutput};
use async_trait::async_trait;
use jsonschema::Validator;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use weft_core::catalog::ConfigProblem;
use weft_core::{NodeError, NodeSpec, Ports};

/// The longest schema accepted, as JSON text.
pub const MAX_SCHEMA_BYTES: usize = 1024 * 1024;
/// How many compiled schemas the node keeps.
pub const CACHE_CAPACITY: usize = 256;
/// The most errors reported for one value (`max_errors` may lower it).
pub const MAX_ERRORS: usize = 1000;
/// The longest message kept per error (messages quote the offending value).
const MAX_MESSAGE_CHARS: usize = 500;

/// `data.validate`. Holds the cache of compiled schemas.
#[derive(Debug, Default)]
pub struct ValidateNode {
    cache: SchemaCache,
}

impl ValidateNode {
    pub const TYPE: &'static str = "data.validate";
    pub const VALID_PORT: &'static str = "valid";
    pub const INVALID_PORT: &'static str = "invalid";

    /// How many compiled schemas are cached now.
    pub fn cached_schemas(&self) -> usize {
        self.cache.len()
    }
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
enum Mode {
    #[default]
    Route,
    Fail,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ValidateConfig {
    schema: Value,
    #[serde(default, deserialize_with = "super::present")]
    value: Option<Value>,
    #[serde(default)]
    mode: Mode,
    #[serde(default = "default_max_errors")]
    max_errors: usize,
}

fn default_max_errors() -> usize {
    100
}

/// Compiled validators by schema text; least recently used ones leave first.
#[derive(Default)]
struct SchemaCache {
    inner: Mutex<CacheInner>,
}

#[derive(Default)]
struct CacheInner {
    tick: u64,
    entries: HashMap<String, (Arc<Validator>, u64)>,
}

impl std::fmt::Debug for SchemaCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaCache")
            .field("len", &self.len())
            .finish()
    }
}

impl SchemaCache {
    fn len(&self) -> usize {
        self.inner.lock().map(|c| c.entries.len()).unwrap_or(0)
    }

    /// The validator for `schema`, compiled now unless cached. Errors are config problems
    /// (pointers relative to the node's config).
    fn get(&self, schema: &Value) -> Result<Arc<Validator>, ConfigProblem> {
        let key = schema.to_string();
        if let Ok(mut c) = self.inner.lock() {
            c.tick += 1;
            let tick = c.tick;
            if let Some((v, used)) = c.entries.get_mut(&key) {
                *used = tick;
                return Ok(Arc::clone(v));
            }
        }
        let validator = Arc::new(compile(schema, &key)?);
        if let Ok(mut c) = self.inner.lock() {
            if c.entries.len() >= CACHE_CAPACITY
                && let Some(oldest) = c
                    .entries
                    .iter()
                    .min_by_key(|(_, (_, used))| *used)
                    .map(|(k, _)| k.clone())
            {
                c.entries.remove(&oldest);
            }
            let tick = c.tick;
            c.entries.insert(key, (Arc::clone(&validator), tick));
        }
        Ok(validator)
    }
}

/// Compiles a user's schema: draft from its `$schema` (2020-12 when none), formats checked,
/// no remote references.
fn compile(schema: &Value, text: &str) -> Result<Validator, ConfigProblem> {
    if text.len() > MAX_SCHEMA_BYTES {
        return Err(ConfigProblem {
            pointer: "/schema".to_string(),
            message: format!(
                "the schema is {} bytes of JSON, more than the limit of {MAX_SCHEMA_BYTES}",
                text.len()
            ),
        });
    }
    if !matches!(schema, Value::Object(_) | Value::Bool(_)) {
        return Err(ConfigProblem {
            pointer: "/schema".to_string(),
            message: "a JSON Schema is an object (or true / false)".to_string(),
        });
    }
    jsonschema::options()
        .offline()
        .should_validate_formats(true)
        .build(schema)
        .map_err(|e| {
            let at = e.instance_path().as_str();
            ConfigProblem {
                pointer: format!("/schema{at}"),
                message: format!("not a valid JSON Schema: {}", clip(&e.to_string())),
            }
        })
}

fn clip(message: &str) -> String {
    if message.chars().count() <= MAX_MESSAGE_CHARS {
        return message.to_string();
    }
    let mut s: String = message.chars().take(MAX_MESSAGE_CHARS).collect();
    s.push('…');
    s
}

fn problem_to_error(p: ConfigProblem) -> NodeError {
    NodeError::config(format!(
        "invalid {} config: {}: {}",
        ValidateNode::TYPE,
        p.pointer,
        p.message
    ))
}

#[async_trait]
impl Node for ValidateNode {
    fn runs_inline(&self) -> bool {
        true
    }

    fn spec(&self) -> NodeSpec {
        NodeSpec {
            type_name: Self::TYPE.to_string(),
            category: "data".to_string(),
            description: "Checks a value against a JSON Schema. A value that matches goes out \
                          unchanged on the `valid` port; one that does not goes out on \
                          `invalid` as {value, errors: [{pointer, message, keyword}]} — or, \
                          with mode `fail`, fails the node (permanent) with the errors in its \
                          details. Remote $refs are never fetched."
                .to_string(),
            trigger: false,
            ports: Ports::Fixed(vec![
                Self::VALID_PORT.to_string(),
                Self::INVALID_PORT.to_string(),
            ]),
            schema: object_schema(
                "Validate",
                json!({
                    "schema": {
                        "type": ["object", "boolean"],
                        "title": "JSON Schema",
                        "description": "The schema the value must match (draft 2020-12 unless \
                                        its $schema names another draft). Written as is: \
                                        {{ }} inside it are not templates. Only local $refs \
                                        (#/$defs/…) resolve. At most 1 MiB of JSON.",
                        "examples": [{
                            "type": "object",
                            "required": ["email"],
                            "properties": {"email": {"type": "string", "format": "email"}}
                        }]
                    },
                    "value": {
                        "title": "Value",
                        "description": "The value to check, usually a {{ }} template such as \
                                        {{ .prev.body }}. Left out: the incoming value \
                                        ({{ .prev }}).",
                        "default": "{{ .prev }}"
                    },
                    "mode": {
                        "type": "string",
                        "title": "On mismatch",
                        "description": "route: send {value, errors} out on the `invalid` \
                                        port; fail: fail the node with a permanent error \
                                        whose details list the errors.",
                        "enum": ["route", "fail"],
                        "default": "route"
                    },
                    "max_errors": {
                        "type": "integer",
                        "title": "Most errors",
                        "description": "How many errors to report at most (the first ones \
                                        found).",
                        "minimum": 1,
                        "maximum": MAX_ERRORS,
                        "default": 100
                    }
                }),
                &["schema"],
            ),
            filter_fields: Vec::new(),
            raw_fields: vec!["schema".to_string()],
            default_retry: None,
        }
    }

    fn check_config(&self, config: &Value) -> Vec<ConfigProblem> {
        match config.get("schema") {
            Some(schema) => self.cache.get(schema).err().into_iter().collect(),
            None => Vec::new(),
        }
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let config: ValidateConfig = parse_config(Self::TYPE, &input.config)?;
        let validator = self.cache.get(&config.schema).map_err(problem_to_error)?;
        let value = config.value.unwrap_or_else(|| input.prev().clone());
        let limit = config.max_errors.clamp(1, MAX_ERRORS);
        let errors: Vec<Value> = validator
            .iter_errors(&value)
            .take(limit)
            .map(|e| {
                json!({
                    "pointer": e.instance_path().as_str(),
                    "message": clip(&e.to_string()),
                    "keyword": e.kind().keyword(),
                })
            })
            .collect();
        if errors.is_empty() {
            return Ok(NodeOutput::on_ports(
                value,
                vec![Self::VALID_PORT.to_string()],
            ));
        }
        match config.mode {
            Mode::Route => Ok(NodeOutput::on_ports(
                json!({"value": value, "errors": errors}),
                vec![Self::INVALID_PORT.to_string()],
            )),
            Mode::Fail => {
                let first = &errors[0];
                let at = first["pointer"].as_str().unwrap_or_default();
                let message = format!(
                    "{}: the value does not match the schema ({} error{}); first at `{}`: {}",
                    Self::TYPE,
                    errors.len(),
                    if errors.len() == 1 { "" } else { "s" },
                    if at.is_empty() { "/" } else { at },
                    first["message"].as_str().unwrap_or_default()
                );
                Err(NodeError::permanent(message).with_details(json!({"errors": errors})))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_is_bounded_and_reuses_compiled_schemas() {
        let cache = SchemaCache::default();
        let a = cache.get(&json!({"type": "integer"})).unwrap();
        let b = cache.get(&json!({"type": "integer"})).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        for i in 0..(CACHE_CAPACITY + 10) {
            cache.get(&json!({"minimum": i})).unwrap();
        }
        assert_eq!(cache.len(), CACHE_CAPACITY);
    }

    #[test]
    fn remote_refs_are_refused() {
        let p = compile(
            &json!({"$ref": "https://example.com/schema.json"}),
            "{\"$ref\":\"…\"}",
        )
        .unwrap_err();
        assert!(p.pointer.starts_with("/schema"), "{p:?}");
    }
}

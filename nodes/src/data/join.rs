//! `data.join`: a hash join of two arrays on jq keys.

use super::collection::{canonical_key, per_item};
use crate::config::{object_schema, parse_config};
use crate::{Node, NodeInput, NodeOutput};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use weft_core::{NodeError, NodeSpec, Ports};

/// The most pairs one join outputs.
pub const MAX_JOIN_PAIRS: usize = 100_000;

/// `data.join`.
#[derive(Debug, Clone, Copy, Default)]
pub struct JoinNode;

impl JoinNode {
    pub const TYPE: &'static str = "data.join";
}

#[derive(Debug, Deserialize, Clone, Copy, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Mode {
    #[default]
    Inner,
    Left,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct JoinConfig {
    left: Vec<Value>,
    right: Vec<Value>,
    left_key: String,
    right_key: String,
    #[serde(default)]
    mode: Mode,
}

fn side(title: &str, which: &str) -> Value {
    json!({
        "type": "array",
        "title": title,
        "description": format!(
            "The {which} array, or a {{{{ }}}} template giving one, e.g. {{{{ .nodes.{which}_rows }}}}."
        )
    })
}

fn key(title: &str, which: &str) -> Value {
    json!({
        "type": "string",
        "title": title,
        "description": format!(
            "A jq filter run once per {which} item (`.item`, `.index` and the usual context) \
             giving its join key, e.g. `.item.customer_id`. Keys are compared as JSON values \
             (1 and 1.0 match, \"1\" and 1 do not); a null key matches nothing."
        ),
        "minLength": 1
    })
}

#[async_trait]
impl Node for JoinNode {
    fn runs_inline(&self) -> bool {
        true
    }

    fn spec(&self) -> NodeSpec {
        NodeSpec {
            type_name: Self::TYPE.to_string(),
            category: "data".to_string(),
            description: "Joins two arrays on keys: outputs [{left, right}] for every pair \
                          with equal keys, in left order then right order; in left mode a \
                          left item with no match gives {left, right: null}."
                .to_string(),
            trigger: false,
            ports: Ports::main(),
            schema: object_schema(
                "Join",
                json!({
                    "left": side("Left items", "left"),
                    "right": side("Right items", "right"),
                    "left_key": key("Left key", "left"),
                    "right_key": key("Right key", "right"),
                    "mode": {
                        "type": "string",
                        "title": "Mode",
                        "description": "inner: only matched pairs; left: also every unmatched \
                                        left item, with right null.",
                        "enum": ["inner", "left"],
                        "default": "inner"
                    }
                }),
                &["left", "right", "left_key", "right_key"],
            ),
            filter_fields: vec!["left_key".to_string(), "right_key".to_string()],
            raw_fields: Vec::new(),
            default_retry: None,
        }
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let config: JoinConfig = parse_config(Self::TYPE, &input.config)?;
        let filter = |field: &str| {
            input.filter(field).ok_or_else(|| {
                NodeError::config(format!(
                    "{}: the `{field}` field was not compiled",
                    Self::TYPE
                ))
            })
        };
        let left_keys = per_item(
            Self::TYPE,
            "left_key",
            filter("left_key")?,
            &input,
            &config.left,
        )?;
        let right_keys = per_item(
            Self::TYPE,
            "right_key",
            filter("right_key")?,
            &input,
            &config.right,
        )?;
        let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, k) in right_keys.iter().enumerate() {
            if !k.is_null() {
                by_key.entry(canonical_key(k)).or_default().push(i);
            }
        }
        let mut out = Vec::new();
        for (l, k) in config.left.iter().zip(&left_keys) {
            let matches = if k.is_null() {
                None
            } else {
                by_key.get(&canonical_key(k))
            };
            match matches {
                Some(rs) => {
                    for &r in rs {
                        out.push(json!({"left": l, "right": config.right[r]}));
                        if out.len() > MAX_JOIN_PAIRS {
                            return Err(NodeError::permanent(format!(
                                "{}: the join gives more than {MAX_JOIN_PAIRS} pairs",
                                Self::TYPE
                            )));
                        }
                    }
                }
                None if config.mode == Mode::Left => {
                    out.push(json!({"left": l, "right": null}));
                }
                None => {}
            }
        }
        Ok(NodeOutput::main(Value::Array(out)))
    }
}

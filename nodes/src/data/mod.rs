//! Data node types: shaping values between other nodes, with no side effects.
//!
//! This module holds `data.set` and `data.transform`; [`collection`] the array types
//! (`data.filter`, `data.sort`, `data.limit`, `data.dedupe`, `data.split`); [`aggregate`]
//! `data.aggregate`; [`join`] `data.join`; [`codec`] `data.encode` and `data.crypto`;
//! [`datetime`] `data.datetime`; [`validate`] `data.validate` (JSON Schema);
//! [`template`] `data.template` (Jinja text templates); [`csv`] `data.csv`; [`xml`]
//! `data.xml`.

pub mod aggregate;
pub mod codec;
pub mod collection;
pub mod csv;
pub mod datetime;
pub mod join;
pub mod template;
pub mod validate;
pub mod xml;

pub use self::csv::CsvNode;
pub use template::TemplateNode;
pub use validate::ValidateNode;
pub use xml::XmlNode;

pub use join::JoinNode;

pub use aggregate::AggregateNode;
pub use codec::{CryptoNode, EncodeNode};
pub use datetime::DateTimeNode;

pub use collection::{DedupeNode, FilterNode, LimitNode, SortNode, SplitNode};

use crate::config::{object_schema, parse_config};
use crate::{Node, NodeInput, NodeOutput};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use weft_core::{NodeError, NodeSpec, Ports};

/// `data.set`: sets fields on the incoming value (or makes a new object of them).
#[derive(Debug, Clone, Copy, Default)]
pub struct SetNode;

impl SetNode {
    pub const TYPE: &'static str = "data.set";
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetConfig {
    fields: Map<String, Value>,
    #[serde(default = "yes")]
    keep_input: bool,
}

fn yes() -> bool {
    true
}

/// For an optional config field whose value may legitimately be `null` (a template that
/// rendered to null): present-and-null is `Some(Null)`, only a missing field is `None`.
/// Use with `#[serde(default, deserialize_with = "present")]`.
pub(crate) fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

#[async_trait]
impl Node for SetNode {
    fn runs_inline(&self) -> bool {
        true
    }

    fn spec(&self) -> NodeSpec {
        NodeSpec {
            type_name: Self::TYPE.to_string(),
            category: "data".to_string(),
            description: "Sets fields: outputs the incoming value (when it is an object and \
                          keep_input is on) with `fields` set on top, otherwise just `fields`."
                .to_string(),
            trigger: false,
            ports: Ports::main(),
            schema: object_schema(
                "Set fields",
                json!({
                    "fields": {
                        "type": "object",
                        "title": "Fields",
                        "description": "Field names and their values; values may be {{ }} \
                                        templates, e.g. {\"total\": \"{{ .prev.a + .prev.b }}\"}.",
                        "default": {}
                    },
                    "keep_input": {
                        "type": "boolean",
                        "title": "Keep input",
                        "description": "Start from the incoming value (`prev`) when it is an \
                                        object; off: output only `fields`.",
                        "default": true
                    }
                }),
                &["fields"],
            ),
            filter_fields: Vec::new(),
            raw_fields: Vec::new(),
            default_retry: None,
        }
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let config: SetConfig = parse_config(Self::TYPE, &input.config)?;
        let output = match input.prev() {
            Value::Object(prev) if config.keep_input => {
                let mut out = prev.clone();
                out.extend(config.fields);
                out
            }
            _ => config.fields,
        };
        Ok(NodeOutput::main(Value::Object(output)))
    }
}

/// `data.transform`: runs a jq filter on the expression context.
#[derive(Debug, Clone, Copy, Default)]
pub struct TransformNode;

impl TransformNode {
    pub const TYPE: &'static str = "data.transform";
}

#[async_trait]
impl Node for TransformNode {
    fn runs_inline(&self) -> bool {
        true
    }

    fn spec(&self) -> NodeSpec {
        NodeSpec {
            type_name: Self::TYPE.to_string(),
            category: "data".to_string(),
            description: "Runs a jq filter on the context ({input, prev, nodes, item, index, \
                          execution, vars}) and outputs its first result (null if none)."
                .to_string(),
            trigger: false,
            ports: Ports::main(),
            schema: object_schema(
                "Transform",
                json!({
                    "filter": {
                        "type": "string",
                        "title": "jq filter",
                        "description": "A jq filter, written without {{ }}, e.g. \
                                        `.prev.items | map(.price) | add`.",
                        "minLength": 1
                    }
                }),
                &["filter"],
            ),
            filter_fields: vec!["filter".to_string()],
            raw_fields: Vec::new(),
            default_retry: None,
        }
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        // The engine compiles filter fields once per workflow version; a missing one means
        // the node was not run through a compiled workflow.
        let filter = input.filter("filter").ok_or_else(|| {
            NodeError::config(format!(
                "{}: the `filter` field was not compiled",
                Self::TYPE
            ))
        })?;
        let output = filter
            .first(&input.context)
            .map_err(|e| NodeError::permanent(e.message))?;
        Ok(NodeOutput::main(output))
    }
}

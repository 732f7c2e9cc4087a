//! `data.aggregate`: count, sum, average, minimum and maximum over items, optionally per group.
//!
//! `group_by` is a filter field (compiled once per workflow version). `aggregations` is a raw
//! field (never template-rendered: each `field` is jq run per item, so rendering it up front
//! against a context without the item would be wrong). Each `field` is syntax-checked when
//! the workflow is validated ([`Node::check_config`]) and compiled when the node runs, once
//! per aggregation.

use super::collection::{canonical_key, items_of, items_property, jq_cmp, per_item};
use crate::config::{object_schema, parse_config};
use crate::{Node, NodeInput, NodeOutput};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Map, Number, Value, json};
use std::collections::{HashMap, HashSet};
use weft_core::catalog::ConfigProblem;
use weft_core::expr::{Filter, compile_filter_field};
use weft_core::{NodeError, NodeSpec, Ports};

/// The most aggregations one node computes.
pub const MAX_AGGREGATIONS: usize = 64;

/// `data.aggregate`.
#[derive(Debug, Clone, Copy, Default)]
pub struct AggregateNode;

impl AggregateNode {
    pub const TYPE: &'static str = "data.aggregate";
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Op {
    Count,
    Sum,
    Avg,
    Min,
    Max,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Aggregation {
    name: String,
    op: Op,
    #[serde(default)]
    field: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AggregateConfig {
    #[serde(default)]
    items: Option<Value>,
    #[serde(default)]
    #[allow(dead_code)]
    group_by: Option<String>,
    aggregations: Vec<Aggregation>,
}

#[async_trait]
impl Node for AggregateNode {
    fn runs_inline(&self) -> bool {
        true
    }

    fn spec(&self) -> NodeSpec {
        NodeSpec {
            type_name: Self::TYPE.to_string(),
            category: "data".to_string(),
            description: "Aggregates items: without group_by, one object of {name: result}; \
                          with group_by, an array of {key, name: result…} per distinct key, \
                          in order of first appearance."
                .to_string(),
            trigger: false,
            ports: Ports::main(),
            schema: object_schema(
                "Aggregate",
                json!({
                    "items": items_property(),
                    "group_by": {
                        "type": "string",
                        "title": "Group by",
                        "description": "A jq filter run once per item (`.item`, `.index` and \
                                        the usual context) giving its group key, e.g. \
                                        `.item.country`. Left out: all items form one group.",
                        "minLength": 1
                    },
                    "aggregations": {
                        "type": "array",
                        "title": "Aggregations",
                        "description": "The results to compute, each under its own name.",
                        "minItems": 1,
                        "maxItems": MAX_AGGREGATIONS,
                        "items": {
                            "type": "object",
                            "title": "Aggregation",
                            "description": "One result: an operation over a per-item value.",
                            "additionalProperties": false,
                            "required": ["name", "op"],
                            "properties": {
                                "name": {
                                    "type": "string",
                                    "title": "Name",
                                    "description": "The result's field name in the output; \
                                                    unique, and not `key`.",
                                    "minLength": 1
                                },
                                "op": {
                                    "type": "string",
                                    "title": "Operation",
                                    "description": "count: number of items; sum/avg: of \
                                                    numbers (anything else is an error); \
                                                    min/max: in jq order. avg, min and max \
                                                    of no items are null.",
                                    "enum": ["count", "sum", "avg", "min", "max"],
                                    "default": "count"
                                },
                                "field": {
                                    "type": "string",
                                    "title": "Field",
                                    "description": "A jq filter run once per item giving the \
                                                    value to aggregate, e.g. `.item.total`; \
                                                    required except for count.",
                                    "minLength": 1
                                }
                            }
                        }
                    }
                }),
                &["aggregations"],
            ),
            filter_fields: vec!["group_by".to_string()],
            raw_fields: vec!["aggregations".to_string()],
            default_retry: None,
        }
    }

    fn check_config(&self, config: &Value) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        let Some(aggs) = config.get("aggregations").and_then(Value::as_array) else {
            return out;
        };
        let mut names = HashSet::new();
        for (i, agg) in aggs.iter().enumerate() {
            if let Some(name) = agg.get("name").and_then(Value::as_str) {
                if name == "key" && config.get("group_by").is_some() {
                    out.push(ConfigProblem {
                        pointer: format!("/aggregations/{i}/name"),
                        message: "`key` is taken by the group key; choose another name".to_string(),
                    });
                }
                if !names.insert(name) {
                    out.push(ConfigProblem {
                        pointer: format!("/aggregations/{i}/name"),
                        message: format!("duplicate aggregation name `{name}`"),
                    });
                }
            }
            let op = agg.get("op").and_then(Value::as_str);
            match agg.get("field").and_then(Value::as_str) {
                Some(src) => {
                    if let Err(e) = compile_filter_field(src) {
                        out.push(ConfigProblem {
                            pointer: format!("/aggregations/{i}/field"),
                            message: e.message,
                        });
                    }
                }
                None if op.is_some_and(|op| op != "count") => out.push(ConfigProblem {
                    pointer: format!("/aggregations/{i}/field"),
                    message: format!("`{}` needs a field", op.unwrap_or_default()),
                }),
                None => {}
            }
        }
        out
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let config: AggregateConfig = parse_config(Self::TYPE, &input.config)?;
        let items = items_of(Self::TYPE, config.items, &input)?;
        let problems = self.check_config(&input.config);
        if let Some(p) = problems.first() {
            return Err(NodeError::config(format!(
                "invalid {} config: {}: {}",
                Self::TYPE,
                p.pointer,
                p.message
            )));
        }

        // Per aggregation: the per-item values (None for count).
        let mut values: Vec<Option<Vec<Value>>> = Vec::with_capacity(config.aggregations.len());
        for (i, agg) in config.aggregations.iter().enumerate() {
            match (&agg.field, agg.op) {
                (_, Op::Count) => values.push(None),
                (Some(src), _) => {
                    let filter: Filter = compile_filter_field(src)
                        .and_then(|f| Filter::compile(f.source()))
                        .map_err(|e| {
                            NodeError::config(format!(
                                "invalid {} config: /aggregations/{i}/field: {}",
                                Self::TYPE,
                                e.message
                            ))
                        })?;
                    let field = format!("aggregations/{i}/field");
                    values.push(Some(per_item(Self::TYPE, &field, &filter, &input, &items)?));
                }
                (None, _) => unreachable!("checked above"),
            }
        }

        let output = match input.filter("group_by") {
            None => {
                let all: Vec<usize> = (0..items.len()).collect();
                Value::Object(compute(&config.aggregations, &values, &all)?)
            }
            Some(f) => {
                let keys = per_item(Self::TYPE, "group_by", f, &input, &items)?;
                let mut order: Vec<(Value, Vec<usize>)> = Vec::new();
                let mut index: HashMap<String, usize> = HashMap::new();
                for (i, key) in keys.into_iter().enumerate() {
                    let k = canonical_key(&key);
                    match index.get(&k) {
                        Some(&g) => order[g].1.push(i),
                        None => {
                            index.insert(k, order.len());
                            order.push((key, vec![i]));
                        }
                    }
                }
                let mut groups = Vec::with_capacity(order.len());
                for (key, members) in order {
                    let mut obj = Map::new();
                    obj.insert("key".to_string(), key);
                    obj.extend(compute(&config.aggregations, &values, &members)?);
                    groups.push(Value::Object(obj));
                }
                Value::Array(groups)
            }
        };
        Ok(NodeOutput::main(output))
    }
}

/// Every aggregation over the items at `members`.
fn compute(
    aggs: &[Aggregation],
    values: &[Option<Vec<Value>>],
    members: &[usize],
) -> Result<Map<String, Value>, NodeError> {
    let mut out = Map::new();
    for (agg, vals) in aggs.iter().zip(values) {
        let picked = || {
            members
                .iter()
                .map(|&i| &vals.as_ref().expect("values for non-count ops")[i])
        };
        let result = match agg.op {
            Op::Count => json!(members.len()),
            Op::Sum => sum(&agg.name, picked())?.0,
            Op::Avg => {
                let (total, n) = sum(&agg.name, picked())?;
                if n == 0 {
                    Value::Null
                } else {
                    number(total.as_f64().unwrap_or(0.0) / n as f64)
                }
            }
            Op::Min => picked()
                .min_by(|a, b| jq_cmp(a, b))
                .cloned()
                .unwrap_or(Value::Null),
            // The first of equal maxima, like min.
            Op::Max => picked()
                .fold(None::<&Value>, |best, v| match best {
                    Some(b) if jq_cmp(v, b).is_le() => Some(b),
                    _ => Some(v),
                })
                .cloned()
                .unwrap_or(Value::Null),
        };
        out.insert(agg.name.clone(), result);
    }
    Ok(out)
}

/// The sum (an integer while every value is one and it fits) and the count.
fn sum<'a>(
    name: &str,
    values: impl Iterator<Item = &'a Value>,
) -> Result<(Value, usize), NodeError> {
    let mut int: Option<i64> = Some(0);
    let mut float = 0.0f64;
    let mut n = 0usize;
    for v in values {
        let Value::Number(num) = v else {
            return Err(NodeError::permanent(format!(
                "{}: aggregation `{name}`: expected numbers, got {v}",
                AggregateNode::TYPE
            )));
        };
        float += num.as_f64().unwrap_or(0.0);
        int = match (int, num.as_i64()) {
            (Some(acc), Some(x)) => acc.checked_add(x),
            _ => None,
        };
        n += 1;
    }
    let total = match int {
        Some(i) => json!(i),
        None => number(float),
    };
    Ok((total, n))
}

fn number(f: f64) -> Value {
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

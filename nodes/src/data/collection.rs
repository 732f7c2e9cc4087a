//! Array node types: `data.filter`, `data.sort`, `data.limit`, `data.dedupe`, `data.split`.
//!
//! Each takes `items` (an array, or a `{{ }}` template giving one; the incoming value `prev`
//! when left out). Per-item jq filters (`condition`, `by`) are filter fields: compiled once
//! per workflow version and run against the node's context with `.item` and `.index` set to
//! the item and its position.

use crate::config::kind_of;
use crate::config::{object_schema, parse_config};
use crate::{Node, NodeInput, NodeOutput};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Value, json};
use std::cmp::Ordering;
use std::collections::HashSet;
use weft_core::expr::Filter;
use weft_core::{NodeError, NodeSpec, Ports};

/// The most items a node that runs a jq filter per item accepts (each run converts the
/// whole context, so the cost grows with items × context size).
pub const MAX_FILTERED_ITEMS: usize = 10_000;

/// The `items` property every array node shares.
pub(crate) fn items_property() -> Value {
    json!({
        "type": "array",
        "title": "Items",
        "description": "The array to work on, or a {{ }} template giving one, e.g. \
                        {{ .prev.orders }}. Left out: the incoming value ({{ .prev }}).",
        "default": "{{ .prev }}"
    })
}

/// The items whose value (the per-item filter's result at the same index) passes `keep`, in
/// order.
fn keep_where(
    items: Vec<Value>,
    values: Vec<Value>,
    mut keep: impl FnMut(&Value) -> bool,
) -> Value {
    Value::Array(
        items
            .into_iter()
            .zip(values)
            .filter(|(_, v)| keep(v))
            .map(|(item, _)| item)
            .collect(),
    )
}

/// A per-item jq filter property.
fn filter_property(title: &str, description: &str) -> Value {
    json!({
        "type": "string",
        "title": title,
        "description": description,
        "minLength": 1
    })
}

/// `items` from the rendered config, or `prev` when the config has none.
pub(crate) fn items_of(
    type_name: &str,
    items: Option<Value>,
    input: &NodeInput,
) -> Result<Vec<Value>, NodeError> {
    match items.unwrap_or_else(|| input.prev().clone()) {
        Value::Array(a) => Ok(a),
        other => Err(NodeError::config(format!(
            "invalid {type_name} config: /items: expected an array, got {}",
            kind_of(&other)
        ))),
    }
}

/// The compiled filter field `field`, if the config has one.
fn optional_filter<'a>(input: &'a NodeInput, field: &str) -> Option<&'a Filter> {
    input.filter(field)
}

fn required_filter<'a>(
    type_name: &str,
    input: &'a NodeInput,
    field: &str,
) -> Result<&'a Filter, NodeError> {
    input.filter(field).ok_or_else(|| {
        NodeError::config(format!("{type_name}: the `{field}` field was not compiled"))
    })
}

fn check_count(type_name: &str, items: &[Value]) -> Result<(), NodeError> {
    if items.len() > MAX_FILTERED_ITEMS {
        return Err(NodeError::permanent(format!(
            "{type_name}: {} items is more than the limit of {MAX_FILTERED_ITEMS}",
            items.len()
        )));
    }
    Ok(())
}

/// Runs `filter` once per item with `.item` and `.index` set in a copy of the context;
/// the first result of each (null when none). Errors name the field and the item.
pub(crate) fn per_item(
    type_name: &str,
    field: &str,
    filter: &Filter,
    input: &NodeInput,
    items: &[Value],
) -> Result<Vec<Value>, NodeError> {
    check_count(type_name, items)?;
    let mut context = match &input.context {
        Value::Object(o) => o.clone(),
        _ => serde_json::Map::new(),
    };
    let mut out = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        context.insert("item".to_string(), item.clone());
        context.insert("index".to_string(), json!(index));
        let ctx = Value::Object(context);
        let v = filter.first(&ctx).map_err(|e| {
            NodeError::permanent(format!("{type_name}: `{field}` on item {index}: {e}"))
        })?;
        context = match ctx {
            Value::Object(o) => o,
            _ => unreachable!("built as an object above"),
        };
        out.push(v);
    }
    Ok(out)
}

/// Orders JSON values the way jq does: null < false < true < numbers < strings < arrays <
/// objects; arrays element-wise; objects by their sorted key sets, then value by value.
pub fn jq_cmp(a: &Value, b: &Value) -> Ordering {
    fn rank(v: &Value) -> u8 {
        match v {
            Value::Null => 0,
            Value::Bool(false) => 1,
            Value::Bool(true) => 2,
            Value::Number(_) => 3,
            Value::String(_) => 4,
            Value::Array(_) => 5,
            Value::Object(_) => 6,
        }
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            x.partial_cmp(&y).unwrap_or(Ordering::Equal)
        }
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Array(x), Value::Array(y)) => {
            for (p, q) in x.iter().zip(y) {
                match jq_cmp(p, q) {
                    Ordering::Equal => {}
                    o => return o,
                }
            }
            x.len().cmp(&y.len())
        }
        (Value::Object(x), Value::Object(y)) => {
            let mut xk: Vec<&String> = x.keys().collect();
            let mut yk: Vec<&String> = y.keys().collect();
            xk.sort();
            yk.sort();
            match xk.cmp(&yk) {
                Ordering::Equal => {}
                o => return o,
            }
            for k in xk {
                match jq_cmp(&x[k.as_str()], &y[k.as_str()]) {
                    Ordering::Equal => {}
                    o => return o,
                }
            }
            Ordering::Equal
        }
        _ => rank(a).cmp(&rank(b)),
    }
}

/// A canonical text of a value (object keys sorted), for equality of keys.
pub(crate) fn canonical_key(v: &Value) -> String {
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
            Value::Object(o) => {
                let mut keys: Vec<&String> = o.keys().collect();
                keys.sort();
                let mut m = serde_json::Map::new();
                for k in keys {
                    m.insert(k.clone(), sorted(&o[k.as_str()]));
                }
                Value::Object(m)
            }
            Value::Number(n) => match n.as_f64() {
                // 1 and 1.0 are the same key, as in jq.
                Some(f) if f.fract() == 0.0 && f.abs() < 9e15 => json!(f as i64),
                _ => v.clone(),
            },
            _ => v.clone(),
        }
    }
    sorted(v).to_string()
}

fn spec(type_name: &str, description: &str, schema: Value, filters: &[&str]) -> NodeSpec {
    NodeSpec {
        type_name: type_name.to_string(),
        category: "data".to_string(),
        description: description.to_string(),
        trigger: false,
        ports: Ports::main(),
        schema,
        filter_fields: filters.iter().map(|s| s.to_string()).collect(),
        raw_fields: Vec::new(),
        default_retry: None,
    }
}

// ---------------------------------------------------------------------------------------------

/// `data.filter`: keeps the items for which a jq condition is truthy.
#[derive(Debug, Clone, Copy, Default)]
pub struct FilterNode;

impl FilterNode {
    pub const TYPE: &'static str = "data.filter";
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FilterConfig {
    #[serde(default)]
    items: Option<Value>,
    #[allow(dead_code)]
    condition: String,
}

#[async_trait]
impl Node for FilterNode {
    fn runs_inline(&self) -> bool {
        true
    }

    fn spec(&self) -> NodeSpec {
        spec(
            Self::TYPE,
            "Keeps the items for which `condition` is truthy (not false or null); outputs the \
             array of kept items, in their order.",
            object_schema(
                "Filter items",
                json!({
                    "items": items_property(),
                    "condition": filter_property(
                        "Condition",
                        "A jq filter run once per item, written without {{ }}, with `.item` \
                         the item and `.index` its position (the rest of the context as usual), \
                         e.g. `.item.total > 100`."
                    )
                }),
                &["condition"],
            ),
            &["condition"],
        )
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let config: FilterConfig = parse_config(Self::TYPE, &input.config)?;
        let items = items_of(Self::TYPE, config.items, &input)?;
        let filter = required_filter(Self::TYPE, &input, "condition")?;
        let keep = per_item(Self::TYPE, "condition", filter, &input, &items)?;
        Ok(NodeOutput::main(keep_where(items, keep, |k| {
            crate::config::truthy(k)
        })))
    }
}

// ---------------------------------------------------------------------------------------------

/// `data.sort`: a stable sort of the items, by themselves or by a jq key.
#[derive(Debug, Clone, Copy, Default)]
pub struct SortNode;

impl SortNode {
    pub const TYPE: &'static str = "data.sort";
}

#[derive(Debug, Deserialize, Clone, Copy, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum SortOrder {
    #[default]
    Asc,
    Desc,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SortConfig {
    #[serde(default)]
    items: Option<Value>,
    #[serde(default)]
    #[allow(dead_code)]
    by: Option<String>,
    #[serde(default)]
    order: SortOrder,
}

#[async_trait]
impl Node for SortNode {
    fn runs_inline(&self) -> bool {
        true
    }

    fn spec(&self) -> NodeSpec {
        spec(
            Self::TYPE,
            "Sorts the items (stable: equal keys keep their order), by the items themselves or \
             by the key `by` gives; values of different types are ordered as jq orders them \
             (null, false, true, numbers, strings, arrays, objects).",
            object_schema(
                "Sort items",
                json!({
                    "items": items_property(),
                    "by": filter_property(
                        "Sort key",
                        "A jq filter run once per item (`.item`, `.index` and the usual \
                         context) giving its sort key, e.g. `.item.created_at`. Left out: the \
                         items themselves are compared."
                    ),
                    "order": {
                        "type": "string",
                        "title": "Order",
                        "description": "asc: smallest first; desc: largest first (equal keys \
                                        still keep their order).",
                        "enum": ["asc", "desc"],
                        "default": "asc"
                    }
                }),
                &[],
            ),
            &["by"],
        )
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let config: SortConfig = parse_config(Self::TYPE, &input.config)?;
        let items = items_of(Self::TYPE, config.items, &input)?;
        let keys = match optional_filter(&input, "by") {
            Some(f) => per_item(Self::TYPE, "by", f, &input, &items)?,
            None => {
                check_count(Self::TYPE, &items)?;
                items.clone()
            }
        };
        let mut pairs: Vec<(Value, Value)> = keys.into_iter().zip(items).collect();
        pairs.sort_by(|(a, _), (b, _)| match config.order {
            SortOrder::Asc => jq_cmp(a, b),
            SortOrder::Desc => jq_cmp(b, a),
        });
        Ok(NodeOutput::main(Value::Array(
            pairs.into_iter().map(|(_, item)| item).collect(),
        )))
    }
}

// ---------------------------------------------------------------------------------------------

/// `data.limit`: a slice of the items.
#[derive(Debug, Clone, Copy, Default)]
pub struct LimitNode;

impl LimitNode {
    pub const TYPE: &'static str = "data.limit";
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitConfig {
    #[serde(default)]
    items: Option<Value>,
    count: u64,
    #[serde(default)]
    offset: u64,
}

#[async_trait]
impl Node for LimitNode {
    fn runs_inline(&self) -> bool {
        true
    }

    fn spec(&self) -> NodeSpec {
        spec(
            Self::TYPE,
            "Outputs at most `count` items, starting after the first `offset` ones.",
            object_schema(
                "Limit items",
                json!({
                    "items": items_property(),
                    "count": {
                        "type": "integer",
                        "title": "Count",
                        "description": "The most items to output (0: none).",
                        "minimum": 0
                    },
                    "offset": {
                        "type": "integer",
                        "title": "Offset",
                        "description": "How many items to skip first.",
                        "minimum": 0,
                        "default": 0
                    }
                }),
                &["count"],
            ),
            &[],
        )
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let config: LimitConfig = parse_config(Self::TYPE, &input.config)?;
        let mut items = items_of(Self::TYPE, config.items, &input)?;
        let offset = usize::try_from(config.offset).unwrap_or(usize::MAX);
        let count = usize::try_from(config.count).unwrap_or(usize::MAX);
        let start = offset.min(items.len());
        items.truncate(start.saturating_add(count));
        items.drain(..start);
        Ok(NodeOutput::main(Value::Array(items)))
    }
}

// ---------------------------------------------------------------------------------------------

/// `data.dedupe`: drops repeated items (or items with a repeated key), keeping the first.
#[derive(Debug, Clone, Copy, Default)]
pub struct DedupeNode;

impl DedupeNode {
    pub const TYPE: &'static str = "data.dedupe";
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DedupeConfig {
    #[serde(default)]
    items: Option<Value>,
    #[serde(default)]
    #[allow(dead_code)]
    by: Option<String>,
}

#[async_trait]
impl Node for DedupeNode {
    fn runs_inline(&self) -> bool {
        true
    }

    fn spec(&self) -> NodeSpec {
        spec(
            Self::TYPE,
            "Removes duplicates: keeps the first item of each distinct value (or of each \
             distinct key `by` gives), in their order.",
            object_schema(
                "Remove duplicates",
                json!({
                    "items": items_property(),
                    "by": filter_property(
                        "Key",
                        "A jq filter run once per item (`.item`, `.index` and the usual \
                         context) giving the key two duplicates share, e.g. `.item.email`. \
                         Left out: whole items are compared."
                    )
                }),
                &[],
            ),
            &["by"],
        )
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let config: DedupeConfig = parse_config(Self::TYPE, &input.config)?;
        let items = items_of(Self::TYPE, config.items, &input)?;
        let keys = match optional_filter(&input, "by") {
            Some(f) => per_item(Self::TYPE, "by", f, &input, &items)?,
            None => {
                check_count(Self::TYPE, &items)?;
                items.clone()
            }
        };
        let mut seen = HashSet::new();
        Ok(NodeOutput::main(keep_where(items, keys, |key| {
            seen.insert(canonical_key(key))
        })))
    }
}

// ---------------------------------------------------------------------------------------------

/// `data.split`: outputs an array for a following `flow.for_each`, refusing oversized ones.
#[derive(Debug, Clone, Copy, Default)]
pub struct SplitNode;

impl SplitNode {
    pub const TYPE: &'static str = "data.split";
    /// `max_items` when not set.
    pub const DEFAULT_MAX_ITEMS: u64 = 10_000;
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SplitConfig {
    #[serde(default)]
    items: Option<Value>,
    #[serde(default = "default_max_items")]
    max_items: u64,
}

fn default_max_items() -> u64 {
    SplitNode::DEFAULT_MAX_ITEMS
}

#[async_trait]
impl Node for SplitNode {
    fn runs_inline(&self) -> bool {
        true
    }

    fn spec(&self) -> NodeSpec {
        spec(
            Self::TYPE,
            "Outputs the items as an array, for a following flow.for_each; fails when there \
             are more than `max_items`.",
            object_schema(
                "Split into items",
                json!({
                    "items": items_property(),
                    "max_items": {
                        "type": "integer",
                        "title": "Maximum items",
                        "description": "More items than this is a permanent error.",
                        "minimum": 0,
                        "default": SplitNode::DEFAULT_MAX_ITEMS
                    }
                }),
                &[],
            ),
            &[],
        )
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let config: SplitConfig = parse_config(Self::TYPE, &input.config)?;
        let items = items_of(Self::TYPE, config.items, &input)?;
        if items.len() as u64 > config.max_items {
            return Err(NodeError::permanent(format!(
                "{}: {} items is more than max_items ({})",
                Self::TYPE,
                items.len(),
                config.max_items
            )));
        }
        Ok(NodeOutput::main(Value::Array(items)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jq_order_of_mixed_values() {
        let mut v = vec![
            json!({"a": 1}),
            json!([1]),
            json!("a"),
            json!(2),
            json!(true),
            json!(false),
            Value::Null,
            json!(1.5),
        ];
        v.sort_by(jq_cmp);
        assert_eq!(
            v,
            vec![
                Value::Null,
                json!(false),
                json!(true),
                json!(1.5),
                json!(2),
                json!("a"),
                json!([1]),
                json!({"a": 1})
            ]
        );
    }

    #[test]
    fn canonical_keys_ignore_key_order_and_number_form() {
        assert_eq!(
            canonical_key(&json!({"a": 1, "b": 2})),
            canonical_key(&json!({"b": 2, "a": 1.0}))
        );
        assert_ne!(canonical_key(&json!("1")), canonical_key(&json!(1)));
    }
}

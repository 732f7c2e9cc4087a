//! What changed between two versions of a workflow, node by node: the designer shows it
//! before saving, the API answers `GET /workflows/{id}/diff`. Pure and order-insensitive:
//! moving a node in the list or on the canvas is not a change of behaviour, so positions are
//! reported apart from config changes.

use crate::definition::{Definition, EdgeDef, NodeDef};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DefinitionDiff {
    /// Node ids only in the newer version.
    pub added_nodes: Vec<String>,
    /// Node ids only in the older version.
    pub removed_nodes: Vec<String>,
    /// Nodes in both whose behaviour-relevant fields differ.
    pub changed_nodes: Vec<NodeChange>,
    /// Nodes in both that only moved on the canvas.
    pub moved_nodes: Vec<String>,
    pub added_edges: Vec<EdgeDef>,
    pub removed_edges: Vec<EdgeDef>,
    /// Top-level fields (`name`, `settings`, `vars`, `description`) that differ.
    pub changed_fields: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeChange {
    pub id: String,
    /// Which fields differ (`type`, `config`, `retry`, …).
    pub fields: Vec<String>,
    pub before: Value,
    pub after: Value,
}

impl DefinitionDiff {
    pub fn is_empty(&self) -> bool {
        self.added_nodes.is_empty()
            && self.removed_nodes.is_empty()
            && self.changed_nodes.is_empty()
            && self.moved_nodes.is_empty()
            && self.added_edges.is_empty()
            && self.removed_edges.is_empty()
            && self.changed_fields.is_empty()
    }
}

fn node_fields(n: &NodeDef) -> BTreeMap<String, Value> {
    let mut v = serde_json::to_value(n).unwrap_or(Value::Null);
    let mut out = BTreeMap::new();
    if let Some(obj) = v.as_object_mut() {
        obj.remove("position");
        for (k, val) in obj.iter() {
            out.insert(k.clone(), val.clone());
        }
    }
    out
}

fn edge_key(e: &EdgeDef) -> (String, String, String) {
    (e.from.clone(), e.port.clone(), e.to.clone())
}

pub fn diff(before: &Definition, after: &Definition) -> DefinitionDiff {
    let old: BTreeMap<&str, &NodeDef> = before.nodes.iter().map(|n| (n.id.as_str(), n)).collect();
    let new: BTreeMap<&str, &NodeDef> = after.nodes.iter().map(|n| (n.id.as_str(), n)).collect();
    let added_nodes = new
        .keys()
        .filter(|k| !old.contains_key(*k))
        .map(|k| k.to_string())
        .collect();
    let removed_nodes = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .map(|k| k.to_string())
        .collect();
    let mut changed_nodes = Vec::new();
    let mut moved_nodes = Vec::new();
    for (id, a) in &old {
        let Some(b) = new.get(id) else { continue };
        let (fa, fb) = (node_fields(a), node_fields(b));
        let keys: BTreeSet<&String> = fa.keys().chain(fb.keys()).collect();
        let fields: Vec<String> = keys
            .into_iter()
            .filter(|k| fa.get(*k) != fb.get(*k))
            .cloned()
            .collect();
        if !fields.is_empty() {
            changed_nodes.push(NodeChange {
                id: id.to_string(),
                fields,
                before: serde_json::to_value(a).unwrap_or(Value::Null),
                after: serde_json::to_value(b).unwrap_or(Value::Null),
            });
        } else if a.position != b.position {
            moved_nodes.push(id.to_string());
        }
    }
    let old_edges: BTreeSet<_> = before.edges.iter().map(edge_key).collect();
    let new_edges: BTreeSet<_> = after.edges.iter().map(edge_key).collect();
    let added_edges = after
        .edges
        .iter()
        .filter(|e| !old_edges.contains(&edge_key(e)))
        .cloned()
        .collect();
    let removed_edges = before
        .edges
        .iter()
        .filter(|e| !new_edges.contains(&edge_key(e)))
        .cloned()
        .collect();
    let mut changed_fields = Vec::new();
    if before.name != after.name {
        changed_fields.push("name".to_string());
    }
    if before.description != after.description {
        changed_fields.push("description".to_string());
    }
    if serde_json::to_value(&before.settings).ok() != serde_json::to_value(&after.settings).ok() {
        changed_fields.push("settings".to_string());
    }
    if before.vars != after.vars {
        changed_fields.push("vars".to_string());
    }
    DefinitionDiff {
        added_nodes,
        removed_nodes,
        changed_nodes,
        moved_nodes,
        added_edges,
        removed_edges,
        changed_fields,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(v: Value) -> Definition {
        Definition::from_value(v).unwrap()
    }

    #[test]
    fn reports_added_removed_changed_and_moved() {
        let a = def(json!({"name": "w", "nodes": [
            {"id": "t", "type": "trigger.manual"},
            {"id": "s", "type": "data.set", "config": {"fields": {"a": 1}}},
            {"id": "m", "type": "data.set", "position": {"x": 1.0, "y": 2.0}},
            {"id": "gone", "type": "data.set"}],
            "edges": [{"from": "t", "to": "s"}, {"from": "s", "to": "gone"}]}));
        let b = def(json!({"name": "w2", "nodes": [
            {"id": "m", "type": "data.set", "position": {"x": 5.0, "y": 2.0}},
            {"id": "t", "type": "trigger.manual"},
            {"id": "s", "type": "data.set", "config": {"fields": {"a": 2}}},
            {"id": "new", "type": "data.set"}],
            "edges": [{"from": "t", "to": "s"}, {"from": "s", "to": "new"}]}));
        let d = diff(&a, &b);
        assert_eq!(d.added_nodes, vec!["new"]);
        assert_eq!(d.removed_nodes, vec!["gone"]);
        assert_eq!(d.changed_nodes.len(), 1);
        assert_eq!(d.changed_nodes[0].id, "s");
        assert_eq!(d.changed_nodes[0].fields, vec!["config"]);
        assert_eq!(d.moved_nodes, vec!["m"]);
        assert_eq!(d.added_edges.len(), 1);
        assert_eq!(d.removed_edges.len(), 1);
        assert_eq!(d.changed_fields, vec!["name"]);
        assert!(diff(&a, &a).is_empty());
    }
}

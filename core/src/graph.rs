//! A definition compiled for execution: nodes indexed, edges resolved, templates and filters
//! compiled once per workflow version, loop bodies compiled into nested graphs.
//!
//! Compiling is also validating: [`validate`] walks the whole definition, collects every
//! problem with its JSON pointer, and only returns a [`CompiledWorkflow`] when there are none.

use crate::catalog::{NodeCatalog, NodeSpec};
use crate::definition::{
    Body, Definition, ERROR_PORT, EdgeDef, Format, MAX_NODES, NodeDef, OnError, Settings,
    escape_pointer, pointer_of,
};
use crate::expr::{ConfigTemplate, Filter, Template, compile_filter_field};
use crate::retry::RetryPolicy;
use crate::validate::Problem;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

pub const WAIT: &str = "flow.wait";
pub const SIGNAL: &str = "flow.signal";
pub const CALL: &str = "flow.call";
pub const FOR_EACH: &str = "flow.for_each";
pub const WHILE: &str = "flow.while";
pub const MERGE: &str = "flow.merge";

/// How the engine treats a node.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// Run by a node actor.
    Task,
    /// Run by a node actor, but readiness follows its mode.
    Merge { any: bool },
    /// A durable timer.
    Wait,
    /// Waits for an external signal.
    Signal,
    /// Runs a child execution.
    Call,
    /// Structured loops: a nested body graph run per item / while a condition holds.
    ForEach { max_concurrency: usize },
    While {
        condition: Template,
        max_iterations: usize,
    },
}

impl NodeKind {
    /// Whether a node actor runs it (and the retry policy applies).
    pub fn is_task(&self) -> bool {
        matches!(self, NodeKind::Task | NodeKind::Merge { .. })
    }
}

#[derive(Debug, Clone)]
pub struct CompiledNode {
    pub id: String,
    pub type_name: String,
    pub kind: NodeKind,
    pub config: ConfigTemplate,
    pub filters: Arc<Vec<(String, Filter)>>,
    pub retry: RetryPolicy,
    pub timeout_ms: Option<u64>,
    pub on_error: OnError,
    pub trigger: bool,
    /// Indices into `Graph::edges`.
    pub incoming: Vec<usize>,
    pub outgoing: Vec<usize>,
    /// The body of a loop node.
    pub body: Option<Arc<Graph>>,
}

#[derive(Debug, Clone)]
pub struct Edge {
    pub from: usize,
    pub port: String,
    pub to: usize,
}

/// One graph: the workflow's top level or a loop body.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    pub nodes: Vec<CompiledNode>,
    pub edges: Vec<Edge>,
    index: HashMap<String, usize>,
}

impl Graph {
    pub fn node(&self, id: &str) -> Option<&CompiledNode> {
        self.index.get(id).map(|&i| &self.nodes[i])
    }

    /// Nodes with no outgoing edge: their outputs make the graph's output.
    pub fn terminals(&self) -> impl Iterator<Item = &CompiledNode> {
        self.nodes.iter().filter(|n| n.outgoing.is_empty())
    }

    /// Total nodes, bodies included.
    pub fn deep_len(&self) -> usize {
        self.nodes
            .iter()
            .map(|n| 1 + n.body.as_ref().map_or(0, |b| b.deep_len()))
            .sum()
    }
}

/// A validated, compiled workflow version. Shared (`Arc`) by every execution of it.
#[derive(Debug, Clone)]
pub struct CompiledWorkflow {
    pub definition: Definition,
    pub root: Arc<Graph>,
    pub settings: Settings,
    pub vars: Value,
}

impl CompiledWorkflow {
    /// The top-level trigger nodes: where an execution may start.
    pub fn triggers(&self) -> impl Iterator<Item = &CompiledNode> {
        self.root.nodes.iter().filter(|n| n.trigger)
    }

    /// The graph a frame runs, found by the loop node ids leading to it (`[]` = top level).
    pub fn graph(&self, route: &[String]) -> Option<&Graph> {
        let mut g: &Graph = &self.root;
        for id in route {
            g = g.node(id)?.body.as_deref()?;
        }
        Some(g)
    }
}

/// Parses and validates definition text.
pub fn compile_text(
    text: &str,
    format: Format,
    catalog: &dyn NodeCatalog,
) -> Result<CompiledWorkflow, Vec<Problem>> {
    let def = Definition::parse(text, format).map_err(|p| vec![p])?;
    validate(&def, catalog)
}

/// Most tags on one workflow.
pub const MAX_TAGS: usize = 20;
/// Longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 40;

/// Validates a definition and compiles it. Reports every problem at once.
pub fn validate(
    def: &Definition,
    catalog: &dyn NodeCatalog,
) -> Result<CompiledWorkflow, Vec<Problem>> {
    let mut problems = Vec::new();
    if def.name.trim().is_empty() {
        problems.push(Problem::new("/name", "name must not be empty"));
    }
    if def.tags.len() > MAX_TAGS {
        problems.push(Problem::new(
            "/tags",
            format!("{} tags, more than the limit of {MAX_TAGS}", def.tags.len()),
        ));
    }
    for (i, tag) in def.tags.iter().enumerate() {
        if tag.trim().is_empty() || tag.chars().count() > MAX_TAG_CHARS {
            problems.push(Problem::new(
                format!("/tags/{i}"),
                format!("a tag must be 1 to {MAX_TAG_CHARS} characters"),
            ));
        } else if def.tags[..i].contains(tag) {
            problems.push(Problem::new(format!("/tags/{i}"), "duplicate tag"));
        }
    }
    if def.settings.priority > 9 {
        problems.push(Problem::new(
            "/settings/priority",
            "priority must be between 0 and 9",
        ));
    }
    if def.settings.max_parallel_nodes == 0 {
        problems.push(Problem::new(
            "/settings/max_parallel_nodes",
            "must be at least 1",
        ));
    }
    if def.settings.max_concurrency == Some(0) {
        problems.push(Problem::new(
            "/settings/max_concurrency",
            "must be at least 1",
        ));
    }
    let mut counter = 0usize;
    let root = compile_graph(
        &def.nodes,
        &def.edges,
        "",
        true,
        catalog,
        &mut problems,
        &mut counter,
    );
    if counter > MAX_NODES {
        problems.insert(
            0,
            Problem::new(
                "/nodes",
                format!("{counter} nodes, more than the limit of {MAX_NODES}"),
            )
            .with_hint("split the workflow and call parts with flow.call"),
        );
    }
    // Compile every expression of the version as one program: the jq standard library is
    // compiled once, not once per expression.
    let mut exprs = Vec::new();
    collect_exprs(&root, "", &mut exprs);
    let filters: Vec<&Filter> = exprs.iter().map(|(_, f)| *f).collect();
    for (i, e) in Filter::compile_together(&filters) {
        problems.push(Problem::new(exprs[i].0.clone(), e.message));
    }
    if problems.is_empty() {
        Ok(CompiledWorkflow {
            definition: def.clone(),
            root: Arc::new(root),
            settings: def.settings.clone(),
            vars: Value::Object(def.vars.clone()),
        })
    } else {
        Err(problems)
    }
}

/// Every expression in `graph` (bodies included) with the JSON pointer of its field.
fn collect_exprs<'g>(graph: &'g Graph, base: &str, out: &mut Vec<(String, &'g Filter)>) {
    for (i, n) in graph.nodes.iter().enumerate() {
        let ptr = format!("{base}/nodes/{i}/config");
        for (p, f) in n.config.filters() {
            out.push((format!("{ptr}{p}"), f));
        }
        for (field, f) in n.filters.iter() {
            out.push((format!("{ptr}/{}", escape_pointer(field)), f));
        }
        if let NodeKind::While { condition, .. } = &n.kind {
            out.extend(
                condition
                    .filters()
                    .into_iter()
                    .map(|f| (format!("{ptr}/condition"), f)),
            );
        }
        if let Some(body) = &n.body {
            collect_exprs(body, &format!("{ptr}/body"), out);
        }
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
}

/// The closest known name, for "did you mean" hints.
fn closest<'a>(wanted: &str, names: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    names
        .into_iter()
        .map(|n| (strsim::jaro_winkler(wanted, n), n))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, n)| n)
}

fn compile_graph(
    nodes: &[NodeDef],
    edges: &[EdgeDef],
    base: &str,
    top_level: bool,
    catalog: &dyn NodeCatalog,
    problems: &mut Vec<Problem>,
    counter: &mut usize,
) -> Graph {
    *counter += nodes.len();
    let mut graph = Graph::default();
    if nodes.is_empty() {
        let what = if top_level {
            "a workflow"
        } else {
            "a loop body"
        };
        problems.push(Problem::new(
            format!("{base}/nodes"),
            format!("{what} needs at least one node"),
        ));
    }

    // Nodes.
    for (i, n) in nodes.iter().enumerate() {
        let ptr = format!("{base}/nodes/{i}");
        if !valid_id(&n.id) {
            problems.push(
                Problem::new(format!("{ptr}/id"), format!("invalid node id `{}`", n.id))
                    .with_hint("use letters, digits, `_`, `-` and `.` (at most 128)"),
            );
        }
        if graph.index.contains_key(&n.id) {
            problems.push(Problem::new(
                format!("{ptr}/id"),
                format!("duplicate node id `{}`", n.id),
            ));
        } else {
            graph.index.insert(n.id.clone(), graph.nodes.len());
        }
        let compiled = compile_node(n, &ptr, catalog, problems, counter);
        graph.nodes.push(compiled);
    }
    // Keep the index pointing at the first node with a duplicated id: indices equal positions.

    // Edges.
    let mut seen = HashSet::new();
    for (i, e) in edges.iter().enumerate() {
        let ptr = format!("{base}/edges/{i}");
        let ids = || graph.index.keys().map(String::as_str);
        let from = graph.index.get(&e.from).copied();
        let to = graph.index.get(&e.to).copied();
        if from.is_none() {
            let mut p = Problem::new(
                format!("{ptr}/from"),
                format!("edge from unknown node `{}`", e.from),
            );
            if let Some(h) = closest(&e.from, ids()) {
                p = p.with_hint(format!("did you mean {h}?"));
            }
            problems.push(p);
        }
        if to.is_none() {
            let mut p = Problem::new(
                format!("{ptr}/to"),
                format!("edge to unknown node `{}`", e.to),
            );
            if let Some(h) = closest(&e.to, ids()) {
                p = p.with_hint(format!("did you mean {h}?"));
            }
            problems.push(p);
        }
        let (Some(from), Some(to)) = (from, to) else {
            continue;
        };
        if from == to {
            problems.push(
                Problem::new(
                    ptr.clone(),
                    format!("edge from `{}` to itself: a cycle", e.from),
                )
                .with_hint("loops are structured: use flow.for_each or flow.while"),
            );
            continue;
        }
        let src = &nodes[from];
        if let Some(spec) = catalog.spec(&src.node_type) {
            let mut ports = spec.ports.names(&src.config);
            if src.on_error == OnError::Route {
                ports.push(ERROR_PORT.to_string());
            }
            if !ports.iter().any(|p| p == &e.port) {
                let hint = if e.port == ERROR_PORT {
                    "set on_error: route on the source node to use its error port".to_string()
                } else {
                    format!("ports of {}: {}", src.node_type, ports.join(", "))
                };
                problems.push(
                    Problem::new(
                        format!("{ptr}/port"),
                        format!("node `{}` has no port `{}`", e.from, e.port),
                    )
                    .with_hint(hint),
                );
            }
        }
        if graph.nodes[to].trigger {
            problems.push(Problem::new(
                format!("{ptr}/to"),
                format!(
                    "edge into trigger `{}`: triggers start a workflow and have no inputs",
                    e.to
                ),
            ));
        }
        if !seen.insert((from, e.port.clone(), to)) {
            problems.push(Problem::new(ptr.clone(), "duplicate edge"));
            continue;
        }
        let idx = graph.edges.len();
        graph.edges.push(Edge {
            from,
            port: e.port.clone(),
            to,
        });
        graph.nodes[from].outgoing.push(idx);
        graph.nodes[to].incoming.push(idx);
    }

    // Triggers.
    let triggers: Vec<usize> = (0..graph.nodes.len())
        .filter(|&i| graph.nodes[i].trigger)
        .collect();
    if top_level && triggers.is_empty() && !nodes.is_empty() {
        problems.push(
            Problem::new(format!("{base}/nodes"), "the workflow has no trigger")
                .with_hint("add a node of type trigger.manual (or another trigger.*)"),
        );
    }
    if !top_level {
        for &t in &triggers {
            problems.push(Problem::new(
                format!("{base}/nodes/{t}/type"),
                "a loop body cannot contain a trigger",
            ));
        }
    }

    // Cycles (Kahn): whatever cannot be sorted sits on or behind a cycle.
    let n = graph.nodes.len();
    let mut indegree: Vec<usize> = graph.nodes.iter().map(|n| n.incoming.len()).collect();
    let mut queue: Vec<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
    let mut sorted = 0;
    while let Some(i) = queue.pop() {
        sorted += 1;
        for &e in &graph.nodes[i].outgoing {
            let t = graph.edges[e].to;
            indegree[t] -= 1;
            if indegree[t] == 0 {
                queue.push(t);
            }
        }
    }
    let mut in_cycle = vec![false; n];
    if sorted < n {
        // Nodes left with indegree > 0; report each cycle once, by its edges.
        let cyclic: Vec<usize> = (0..n).filter(|&i| indegree[i] > 0).collect();
        for &i in &cyclic {
            in_cycle[i] = true;
        }
        let names: Vec<&str> = cyclic.iter().map(|&i| graph.nodes[i].id.as_str()).collect();
        let edge_ptr = edges
            .iter()
            .position(|e| names.contains(&e.from.as_str()) && names.contains(&e.to.as_str()))
            .map(|i| format!("{base}/edges/{i}"))
            .unwrap_or_else(|| format!("{base}/edges"));
        problems.push(
            Problem::new(
                edge_ptr,
                format!("cycle between nodes {}", names.join(", ")),
            )
            .with_hint("loops are structured: use flow.for_each or flow.while"),
        );
    }

    // Reachability from the triggers (top level) or from the entry nodes (bodies).
    let starts: Vec<usize> = if top_level {
        triggers.clone()
    } else {
        (0..n)
            .filter(|&i| graph.nodes[i].incoming.is_empty())
            .collect()
    };
    let mut reached = vec![false; n];
    let mut stack = starts;
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut reached[i], true) {
            continue;
        }
        for &e in &graph.nodes[i].outgoing {
            stack.push(graph.edges[e].to);
        }
    }
    if top_level && !triggers.is_empty() {
        for i in 0..n {
            if !reached[i] && !in_cycle[i] {
                problems.push(
                    Problem::new(
                        format!("{base}/nodes/{i}"),
                        format!(
                            "node `{}` is not reachable from a trigger",
                            graph.nodes[i].id
                        ),
                    )
                    .with_hint("connect it with an edge or remove it"),
                );
            }
        }
    }
    graph
}

fn compile_node(
    n: &NodeDef,
    ptr: &str,
    catalog: &dyn NodeCatalog,
    problems: &mut Vec<Problem>,
    counter: &mut usize,
) -> CompiledNode {
    let mut node = CompiledNode {
        id: n.id.clone(),
        type_name: n.node_type.clone(),
        kind: NodeKind::Task,
        config: ConfigTemplate::Literal(n.config.clone()),
        filters: Arc::new(Vec::new()),
        retry: n.retry.unwrap_or_default(),
        timeout_ms: n.timeout_ms,
        on_error: n.on_error,
        trigger: false,
        incoming: Vec::new(),
        outgoing: Vec::new(),
        body: None,
    };
    if let Some(r) = &n.retry {
        for (field, msg) in r.problems() {
            problems.push(Problem::new(format!("{ptr}/retry/{field}"), msg));
        }
    }
    if n.timeout_ms == Some(0) {
        problems.push(Problem::new(
            format!("{ptr}/timeout_ms"),
            "must be at least 1",
        ));
    }
    let Some(spec) = catalog.spec(&n.node_type) else {
        let mut p = Problem::new(
            format!("{ptr}/type"),
            format!("unknown node type `{}`", n.node_type),
        );
        if let Some(h) = closest(&n.node_type, catalog.type_names()) {
            p = p.with_hint(format!("did you mean {h}?"));
        } else {
            p = p.with_hint("`weft nodes` lists the known types");
        }
        problems.push(p);
        return node;
    };
    node.trigger = spec.trigger;
    if n.retry.is_none() {
        node.retry = spec.default_retry.unwrap_or_default();
    }
    if !n.config.is_object() {
        problems.push(Problem::new(
            format!("{ptr}/config"),
            "config must be an object",
        ));
        return node;
    }
    for p in catalog.check_config(&n.node_type, &n.config) {
        problems.push(Problem::new(
            format!("{ptr}/config{}", p.pointer),
            p.message,
        ));
    }
    let mut raw: Vec<String> = spec.raw_fields.clone();
    raw.extend(spec.filter_fields.iter().cloned());
    match ConfigTemplate::compile(&n.config, &raw) {
        Ok(t) => node.config = t,
        Err(errs) => {
            for e in errs {
                problems.push(Problem::new(
                    format!("{ptr}/config{}", e.pointer),
                    e.error.message,
                ));
            }
        }
    }
    let mut filters = Vec::new();
    for field in &spec.filter_fields {
        if let Some(src) = n.config.get(field).and_then(Value::as_str) {
            match compile_filter_field(src) {
                Ok(f) => filters.push((field.clone(), f)),
                Err(e) => problems.push(Problem::new(
                    format!("{ptr}/config/{}", escape_pointer(field)),
                    e.message,
                )),
            }
        }
    }
    node.filters = Arc::new(filters);
    node.kind = node_kind(n, ptr, spec, problems);
    // Engine-run nodes have no attempts to retry, and only flow.call has a time limit of
    // its own kind; refuse settings that would silently do nothing.
    if !node.kind.is_task() && n.retry.is_some() {
        problems.push(
            Problem::new(
                format!("{ptr}/retry"),
                format!("{} is run by the engine and is not retried", n.node_type),
            )
            .with_hint("put the retry on the nodes inside it, or on the called workflow's nodes"),
        );
    }
    if matches!(
        node.kind,
        NodeKind::Wait | NodeKind::Signal | NodeKind::ForEach { .. } | NodeKind::While { .. }
    ) && n.timeout_ms.is_some()
    {
        let hint = if node.kind == NodeKind::Signal {
            "use config.timeout_ms"
        } else {
            "use settings.timeout_ms for the whole execution"
        };
        problems.push(
            Problem::new(
                format!("{ptr}/timeout_ms"),
                format!("timeout_ms has no effect on {}", n.node_type),
            )
            .with_hint(hint),
        );
    }
    if matches!(node.kind, NodeKind::ForEach { .. } | NodeKind::While { .. }) {
        node.body = compile_body(n, ptr, catalog, problems, counter).map(Arc::new);
    }
    node
}

fn node_kind(n: &NodeDef, ptr: &str, spec: &NodeSpec, problems: &mut Vec<Problem>) -> NodeKind {
    let uint = |field: &str, default: usize| -> usize {
        n.config
            .get(field)
            .and_then(Value::as_u64)
            .map_or(default, |v| v as usize)
    };
    match spec.type_name.as_str() {
        WAIT => NodeKind::Wait,
        SIGNAL => NodeKind::Signal,
        CALL => NodeKind::Call,
        MERGE => NodeKind::Merge {
            any: n.config.get("mode").and_then(Value::as_str) == Some("any"),
        },
        FOR_EACH => NodeKind::ForEach {
            max_concurrency: uint("max_concurrency", 1).max(1),
        },
        WHILE => {
            let src = n
                .config
                .get("condition")
                .and_then(Value::as_str)
                .unwrap_or("");
            let condition = match Template::parse(src) {
                Ok(Template::Text(t)) => Filter::parse(&t).map(Template::Whole),
                other => other,
            };
            match condition {
                Ok(condition) => NodeKind::While {
                    condition,
                    max_iterations: uint("max_iterations", 100).max(1),
                },
                Err(e) => {
                    problems.push(Problem::new(format!("{ptr}/config/condition"), e.message));
                    NodeKind::Task
                }
            }
        }
        _ => NodeKind::Task,
    }
}

fn compile_body(
    n: &NodeDef,
    ptr: &str,
    catalog: &dyn NodeCatalog,
    problems: &mut Vec<Problem>,
    counter: &mut usize,
) -> Option<Graph> {
    let body_ptr = format!("{ptr}/config/body");
    let Some(raw) = n.config.get("body") else {
        problems.push(Problem::new(
            body_ptr,
            "a loop needs a body: {nodes, edges}",
        ));
        return None;
    };
    let body: Body = match serde_path_to_error::deserialize(raw) {
        Ok(b) => b,
        Err(e) => {
            let pointer = format!("{body_ptr}{}", pointer_of(e.path()));
            problems.push(Problem::new(pointer, e.into_inner().to_string()));
            return None;
        }
    };
    Some(compile_graph(
        &body.nodes,
        &body.edges,
        &body_ptr,
        false,
        catalog,
        problems,
        counter,
    ))
}

#[cfg(test)]
pub(crate) mod test_catalog {
    //! A small catalog for core's own tests, standing in for weft-nodes' registry.
    use super::*;
    use crate::catalog::{ConfigProblem, Ports};

    pub struct TestCatalog(pub Vec<NodeSpec>);

    fn spec(name: &str, trigger: bool, ports: Ports, filters: &[&str], raw: &[&str]) -> NodeSpec {
        NodeSpec {
            type_name: name.into(),
            category: name.split('.').next().unwrap().into(),
            description: String::new(),
            trigger,
            ports,
            schema: serde_json::json!({"type": "object"}),
            filter_fields: filters.iter().map(|s| s.to_string()).collect(),
            raw_fields: raw.iter().map(|s| s.to_string()).collect(),
            default_retry: None,
        }
    }

    impl TestCatalog {
        pub fn new() -> Self {
            let fixed = |p: &[&str]| Ports::Fixed(p.iter().map(|s| s.to_string()).collect());
            TestCatalog(vec![
                spec("trigger.manual", true, Ports::main(), &[], &[]),
                spec("data.set", false, Ports::main(), &[], &[]),
                spec("data.transform", false, Ports::main(), &["filter"], &[]),
                spec("flow.if", false, fixed(&["true", "false"]), &[], &[]),
                spec("flow.switch", false, Ports::Cases, &[], &[]),
                spec("flow.merge", false, Ports::main(), &[], &[]),
                spec("flow.fail", false, Ports::main(), &[], &[]),
                spec("flow.wait", false, Ports::main(), &[], &[]),
                spec("flow.signal", false, Ports::main(), &[], &[]),
                spec("flow.call", false, Ports::main(), &[], &[]),
                spec("flow.for_each", false, Ports::main(), &[], &["body"]),
                spec(
                    "flow.while",
                    false,
                    Ports::main(),
                    &[],
                    &["body", "condition"],
                ),
                spec("http.request", false, Ports::main(), &[], &[]),
            ])
        }
    }

    impl NodeCatalog for TestCatalog {
        fn spec(&self, type_name: &str) -> Option<&NodeSpec> {
            self.0.iter().find(|s| s.type_name == type_name)
        }
        fn type_names(&self) -> Vec<&str> {
            self.0.iter().map(|s| s.type_name.as_str()).collect()
        }
        fn check_config(&self, _: &str, _: &Value) -> Vec<ConfigProblem> {
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_catalog::TestCatalog;
    use super::*;

    /// One line per problem, as `weft validate` prints them (without the file name).
    fn report(problems: &[Problem]) -> String {
        problems
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn problems(json: &str) -> Vec<Problem> {
        compile_text(json, Format::Json, &TestCatalog::new())
            .err()
            .unwrap_or_default()
    }

    #[test]
    fn reports_every_problem_at_once() {
        let p = problems(
            r#"{"name": "x", "nodes": [{"id": "start", "type": "trigger.manual"},
              {"id": "a", "type": "htp.request"},
              {"id": "b", "type": "data.set"}, {"id": "c", "type": "data.set"}],
             "edges": [{"from": "start", "to": "ghost"}, {"from": "b", "to": "c"}, {"from": "c", "to": "b"}]}"#,
        );
        let all = report(&p);
        assert!(
            all.contains(
                "/nodes/1/type: unknown node type `htp.request` (did you mean http.request?)"
            ),
            "{all}"
        );
        assert!(
            all.contains("/edges/0/to: edge to unknown node `ghost`"),
            "{all}"
        );
        assert!(all.contains("cycle between nodes"), "{all}");
        assert!(all.contains("node `a` is not reachable"), "{all}");
    }

    #[test]
    fn tags_are_checked_one_by_one() {
        let long = "x".repeat(MAX_TAG_CHARS + 1);
        let p = problems(&format!(
            r#"{{"name": "x", "tags": ["ops", "", "ops", "{long}"],
                "nodes": [{{"id": "start", "type": "trigger.manual"}}]}}"#
        ));
        let all = report(&p);
        assert!(all.contains("/tags/1: a tag must be"), "{all}");
        assert!(all.contains("/tags/2: duplicate tag"), "{all}");
        assert!(all.contains("/tags/3: a tag must be"), "{all}");
        assert!(!all.contains("/tags/0"), "{all}");
        let ok = r#"{"name": "x", "tags": ["ops", "billing"], "nodes": [{"id": "start", "type": "trigger.manual"}]}"#;
        assert!(problems(ok).is_empty());
    }

    #[test]
    fn undefined_functions_are_reported_at_their_field() {
        let p = problems(
            r#"{"name": "x", "nodes": [{"id": "start", "type": "trigger.manual"},
              {"id": "t", "type": "data.transform", "config": {"filter": "nosuchfn(1)"}},
              {"id": "s", "type": "data.set", "config": {"fields": {"ok": "{{ .a # a comment }}", "x": "n = {{ nope }}"}}}],
             "edges": [{"from": "start", "to": "t"}, {"from": "t", "to": "s"}]}"#,
        );
        let all = report(&p);
        assert!(
            all.contains("/nodes/1/config/filter: undefined filter(1) `nosuchfn`"),
            "{all}"
        );
        assert!(
            all.contains("/nodes/2/config/fields/x: undefined filter(0) `nope`"),
            "{all}"
        );
        assert_eq!(p.len(), 2, "{all}");
    }

    #[test]
    fn expressions_compiled_together_each_give_their_own_result() {
        let wf = compile_text(
            r#"{"name": "x", "nodes": [{"id": "start", "type": "trigger.manual"},
              {"id": "s", "type": "data.set", "config": {"fields": {"a": "{{ .n + 1 # one more }}", "b": "{{ .n * 10 }}", "c": "n={{ .n }}"}}}],
             "edges": [{"from": "start", "to": "s"}]}"#,
            Format::Json,
            &TestCatalog::new(),
        )
        .unwrap();
        let out = wf
            .root
            .node("s")
            .unwrap()
            .config
            .render(&serde_json::json!({"n": 4}))
            .unwrap();
        assert_eq!(
            out,
            serde_json::json!({"fields": {"a": 5, "b": 40, "c": "n=4"}})
        );
    }

    #[test]
    fn a_valid_workflow_compiles() {
        let wf = compile_text(
            r#"{"name": "x", "nodes": [{"id": "start", "type": "trigger.manual"},
              {"id": "t", "type": "data.transform", "config": {"filter": ".input"}},
              {"id": "l", "type": "flow.for_each", "config": {"items": "{{ .prev }}",
                "body": {"nodes": [{"id": "sq", "type": "data.transform", "config": {"filter": ".item * .item"}}]}}}],
             "edges": [{"from": "start", "to": "t"}, {"from": "t", "to": "l"}]}"#,
            Format::Json,
            &TestCatalog::new(),
        )
        .unwrap();
        assert_eq!(wf.root.deep_len(), 4);
        assert!(wf.graph(&["l".to_string()]).unwrap().node("sq").is_some());
    }

    #[test]
    fn bad_ports_templates_and_bodies_are_reported() {
        let p = problems(
            r#"{"name": "x", "nodes": [{"id": "start", "type": "trigger.manual"},
              {"id": "i", "type": "flow.if", "config": {"condition": "{{ .x | | }}"}},
              {"id": "l", "type": "flow.for_each", "config": {"items": [], "body": {"nodes": [{"id": "t", "type": "trigger.manual"}], "edgez": []}}}],
             "edges": [{"from": "start", "to": "i"}, {"from": "i", "port": "maybe", "to": "l"}]}"#,
        );
        let all = report(&p);
        assert!(
            all.contains("/nodes/1/config/condition: invalid jq"),
            "{all}"
        );
        assert!(
            all.contains(
                "/edges/1/port: node `i` has no port `maybe` (ports of flow.if: true, false)"
            ),
            "{all}"
        );
        assert!(all.contains("/nodes/2/config/body"), "{all}");
    }
}

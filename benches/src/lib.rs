//! Workloads shared by the criterion benches and the load driver.

use serde_json::{Value, json};

/// A workflow of `n` nodes: a trigger, then alternating data.set / data.transform / flow.if
/// nodes with branches that join again, so validation has edges, ports and templates to check.
pub fn wide_workflow(n: usize) -> Value {
    assert!(n >= 2);
    let mut nodes = vec![json!({"id": "n0", "type": "trigger.manual"})];
    let mut edges = Vec::new();
    for i in 1..n {
        let id = format!("n{i}");
        let node = match i % 3 {
            0 => {
                json!({"id": id, "type": "flow.if", "config": {"condition": "{{ .prev.v > 10 }}"}})
            }
            1 => {
                json!({"id": id, "type": "data.set", "config": {"fields": {"v": "{{ .input.n + 1 }}", "label": "step {{ .index }}"}}})
            }
            _ => {
                json!({"id": id, "type": "data.transform", "config": {"filter": "{v: (.prev.v // 0) * 2, seen: (.nodes | keys | length)}"}})
            }
        };
        nodes.push(node);
        let from = i - 1;
        if from % 3 == 0 && from != 0 {
            edges.push(json!({"from": format!("n{from}"), "port": "true", "to": id}));
            edges.push(json!({"from": format!("n{from}"), "port": "false", "to": id}));
        } else {
            edges.push(json!({"from": format!("n{from}"), "to": id}));
        }
    }
    json!({"name": format!("wide-{n}"), "nodes": nodes, "edges": edges})
}

/// The load driver's workflow: five nodes with a durable wait of `wait_ms`.
pub fn five_node_workflow(wait_ms: u64) -> Value {
    json!({
        "name": "load-5",
        "nodes": [
            {"id": "start", "type": "trigger.manual"},
            {"id": "enrich", "type": "data.set", "config": {"fields": {"tier": "{{ if .input.n % 2 == 0 then \"even\" else \"odd\" end }}"}}},
            {"id": "nap", "type": "flow.wait", "config": {"duration_ms": wait_ms}},
            {"id": "score", "type": "data.transform", "config": {"filter": "{n: .input.n, tier: .nodes.enrich.tier, score: (.input.n * 3)}"}},
            {"id": "big", "type": "flow.if", "config": {"condition": "{{ .prev.score > 100 }}"}}
        ],
        "edges": [
            {"from": "start", "to": "enrich"}, {"from": "enrich", "to": "nap"},
            {"from": "nap", "to": "score"}, {"from": "score", "to": "big"}
        ]
    })
}

/// Resident set size now and at its peak, in KiB, from /proc/self/status (Linux).
pub fn rss_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

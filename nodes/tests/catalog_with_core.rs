//! The registry as core's `NodeCatalog`: the example workflows validate against the built-in
//! specs, and config problems come out of core's validation with full pointers.

use std::path::Path;
use weft_core::definition::Format;
use weft_core::{NodeCatalog, compile_text};
use weft_nodes::{NodeOptions, Registry};

fn registry() -> Registry {
    Registry::builtin(NodeOptions::default()).expect("built-in registry")
}

#[test]
fn every_example_workflow_validates() {
    let r = registry();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("examples directory") {
        let path = entry.expect("directory entry").path();
        let name = path.display().to_string();
        if !matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("json" | "yaml" | "yml")
        ) {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable example");
        if let Err(problems) = compile_text(&text, Format::from_path(&name), &r as &dyn NodeCatalog)
        {
            let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
            panic!("{name}:\n{}", lines.join("\n"));
        }
        checked += 1;
    }
    assert!(checked > 0, "no examples found in {}", dir.display());
}

#[test]
fn config_problems_reach_core_with_full_pointers() {
    let r = registry();
    let text = r#"{
      "name": "bad",
      "nodes": [
        {"id": "start", "type": "trigger.manual"},
        {"id": "get", "type": "http.request", "config": {"url": "https://example.com", "method": "FETCH"}},
        {"id": "loop", "type": "flow.for_each", "config": {"items": "{{ .prev }}", "body": {"nodes": [
          {"id": "w", "type": "flow.wait", "config": {}}
        ]}}}
      ],
      "edges": [{"from": "start", "to": "get"}, {"from": "get", "to": "loop"}]
    }"#;
    let problems = compile_text(text, Format::Json, &r).expect_err("invalid");
    let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    let all = lines.join("\n");
    assert!(
        all.contains(r#"/nodes/1/config/method: "FETCH" is not one of "GET""#),
        "{all}"
    );
    assert!(
        all.contains("/nodes/2/config/body/nodes/0/config: set one of `duration_ms`, `until`"),
        "{all}"
    );
    assert_eq!(lines.len(), 2, "{all}");
}

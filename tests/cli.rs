//! The CLI contract: exit codes and messages of `weft validate`, `weft run`, `weft nodes`.

mod support;

use serde_json::Value;
use std::process::{Command, Output};
use support::WEFT;

fn weft(args: &[&str]) -> Output {
    Command::new(WEFT).args(args).output().expect("run weft")
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().to_string()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn validate_reports_every_problem_with_pointer_and_hint() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        &dir,
        "bad.json",
        r#"{"name": "x", "nodes": [{"id": "start", "type": "trigger.manual"},
            {"id": "a", "type": "data.sett"}, {"id": "b", "type": "flow.if", "config": {"condition": "{{ .x | }}"}}],
           "edges": [{"from": "start", "to": "a"}, {"from": "a", "to": "b"}, {"from": "b", "port": "yes", "to": "a"}]}"#,
    );
    let o = weft(&["validate", &f]);
    assert_eq!(o.status.code(), Some(2));
    let out = text(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines.iter().all(|l| l.starts_with(&format!("{f}: /"))),
        "{out}"
    );
    assert!(
        out.contains("/nodes/1/type: unknown node type `data.sett` (did you mean data.set?)"),
        "{out}"
    );
    assert!(out.contains("/nodes/2/config/condition"), "{out}");
    assert!(out.contains("/edges/2/port"), "{out}");
}

#[test]
fn malformed_and_unknown_fields_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let json = write(&dir, "broken.json", r#"{"name": "x", "nodes": [ }"#);
    let yaml = write(&dir, "broken.yaml", "name: x\nnodes: [\n");
    let unknown = write(&dir, "unknown.json", r#"{"name": "x", "nodez": []}"#);
    for (f, needle) in [
        (&json, "line 1"),
        (&yaml, "nodes"),
        (&unknown, "unknown field `nodez`"),
    ] {
        let o = weft(&["validate", f]);
        assert_eq!(o.status.code(), Some(2), "{f}");
        assert!(text(&o).contains(needle), "{f}: {}", text(&o));
        let o = weft(&["run", f]);
        assert_eq!(o.status.code(), Some(2), "{f}");
    }
}

#[test]
fn oversized_definitions_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let big = format!(
        r#"{{"name": "{}", "nodes": []}}"#,
        "x".repeat(3 * 1024 * 1024)
    );
    let f = write(&dir, "big.json", &big);
    let o = weft(&["validate", &f]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("limit"), "{}", text(&o));
}

#[test]
fn run_rejects_bad_input_and_missing_files_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        &dir,
        "ok.json",
        r#"{"name": "x", "nodes": [{"id": "s", "type": "trigger.manual"}]}"#,
    );
    let o = weft(&["run", &f, "--input", "{not json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("not valid JSON"), "{}", text(&o));
    let o = weft(&["run", &dir.path().join("missing.json").to_string_lossy()]);
    assert_eq!(o.status.code(), Some(2));
    let o = weft(&["run"]);
    assert_eq!(o.status.code(), Some(2));
    let input = write(&dir, "input.json", r#"{"a": 1}"#);
    let o = weft(&["run", &f, "--input", &format!("@{input}")]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(out, serde_json::json!({"a": 1}));
}

#[test]
fn failed_workflows_exit_1_with_the_error_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        &dir,
        "fail.json",
        r#"{"name": "x", "nodes": [{"id": "s", "type": "trigger.manual"},
            {"id": "f", "type": "flow.fail", "config": {"message": "no stock for {{ .input.sku }}"}}],
           "edges": [{"from": "s", "to": "f"}]}"#,
    );
    let o = weft(&["run", &f, "--input", r#"{"sku": "A1"}"#]);
    assert_eq!(o.status.code(), Some(1));
    let err: Value = serde_json::from_slice(&o.stderr).expect("error JSON on stderr");
    assert_eq!(err["status"], "failed");
    assert_eq!(err["error"]["message"], "no stock for A1");
    assert_eq!(err["error"]["kind"], "permanent");
    assert_eq!(err["error"]["node"], "f");
    assert!(o.stdout.is_empty());
}

#[test]
fn nodes_lists_the_catalog() {
    let o = weft(&["nodes", "--json"]);
    assert!(o.status.success());
    let specs: Value = serde_json::from_slice(&o.stdout).unwrap();
    let names: Vec<&str> = specs
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["type"].as_str().unwrap())
        .collect();
    for t in [
        "trigger.manual",
        "data.set",
        "data.transform",
        "flow.if",
        "flow.switch",
        "flow.merge",
        "flow.for_each",
        "flow.while",
        "flow.wait",
        "flow.signal",
        "flow.call",
        "flow.fail",
        "http.request",
    ] {
        assert!(names.contains(&t), "{t} missing from {names:?}");
    }
    assert!(specs[0]["schema"].is_object());
    let o = weft(&["nodes"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("http.request"));
}

#[test]
fn nodes_json_lists_35_types_with_category_ports_and_schema_and_markdown_is_the_docs() {
    let o = weft(&["nodes", "--json"]);
    let specs: Value = serde_json::from_slice(&o.stdout).unwrap();
    let specs = specs.as_array().unwrap();
    assert!(specs.len() >= 35, "{} types", specs.len());
    for s in specs {
        assert!(s["category"].is_string(), "{s}");
        assert!(
            s["description"].as_str().is_some_and(|d| !d.is_empty()),
            "{s}"
        );
        assert!(s["ports"].is_object(), "{s}");
        assert_eq!(s["schema"]["type"], "object", "{s}");
    }
    let o = weft(&["nodes", "--markdown"]);
    assert!(o.status.success());
    let docs = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/nodes.md"),
    )
    .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        docs,
        "docs/nodes.md is stale"
    );
}

#[test]
fn run_opens_credentials_from_a_file_and_refuses_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    let wf = write(
        &dir,
        "count.json",
        r#"{"name": "count", "nodes": [
            {"id": "start", "type": "trigger.manual"},
            {"id": "q", "type": "db.sqlite", "config": {"credential": "app-db", "operation": "transaction",
              "statements": [{"sql": "CREATE TABLE t (v TEXT)"},
                             {"sql": "INSERT INTO t (v) VALUES (?)", "params": ["{{ .input.v }}"]},
                             {"sql": "SELECT v FROM t"}]}},
            {"id": "out", "type": "data.transform", "config": {"filter": ".prev.results[2].rows"}}],
          "edges": [{"from": "start", "to": "q"}, {"from": "q", "to": "out"}]}"#,
    );
    let creds = write(
        &dir,
        "creds.json",
        &serde_json::json!({"app-db": format!("sqlite://{}?mode=rwc", db.display())}).to_string(),
    );
    let o = weft(&[
        "run",
        &wf,
        "--input",
        r#"{"v": "it's bound"}"#,
        "--credentials",
        &creds,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let out: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(out, serde_json::json!([{"v": "it's bound"}]));

    // Without the file the credential does not exist: the node fails, naming it.
    let o = weft(&["run", &wf, "--input", r#"{"v": "x"}"#]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("credential `app-db` does not exist"),
        "{}",
        text(&o)
    );

    for (content, wanted) in [
        ("[1, 2]", "expected an object of credentials by name"),
        (
            r#"{"app-db": 42}"#,
            "`app-db` must be a string or an object of strings",
        ),
        (r#"{"app-db": "s3cret-canary"#, "not valid JSON"),
    ] {
        let bad = write(&dir, "bad.json", content);
        let o = weft(&["run", &wf, "--credentials", &bad]);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains(wanted), "{}", text(&o));
        assert!(!text(&o).contains("canary"), "{}", text(&o));
    }
}

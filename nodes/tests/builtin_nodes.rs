//! Every built-in node type through the registry, as the engine uses it: design-time config
//! checks (`NodeCatalog::check_config`), the run-time check of the rendered config
//! (`Registry::check_rendered`) and a run.

use serde_json::{Value, json};
use weft_core::catalog::{ConfigProblem, NodeCatalog};
use weft_core::{ErrorKind, NodeError, Ports};
use weft_nodes::testing::TestInput;
use weft_nodes::{ENGINE_TYPES, NodeOptions, NodeOutput, Registry};

fn registry() -> Registry {
    Registry::builtin(NodeOptions::default()).expect("built-in registry")
}

async fn run(
    registry: &Registry,
    type_name: &str,
    input: TestInput,
) -> Result<NodeOutput, NodeError> {
    let spec = registry.spec(type_name).expect("known type");
    let input = input.build(spec).map_err(NodeError::from)?;
    registry.run(type_name, input).await
}

/// `check_config` reports a problem at `pointer` whose message contains `needle`.
#[track_caller]
fn assert_design_problem(
    r: &Registry,
    type_name: &str,
    config: Value,
    pointer: &str,
    needle: &str,
) {
    let problems = r.check_config(type_name, &config);
    assert!(
        problems
            .iter()
            .any(|p| p.pointer == pointer && p.message.contains(needle)),
        "{type_name} {config}: expected {pointer} containing {needle:?}, got {problems:#?}"
    );
}

#[track_caller]
fn assert_valid(r: &Registry, type_name: &str, config: Value) {
    let problems: Vec<ConfigProblem> = r.check_config(type_name, &config);
    assert!(problems.is_empty(), "{type_name} {config}: {problems:#?}");
}

/// The run-time check fails with a `config` error that names `pointer`.
#[track_caller]
fn assert_rendered_problem(r: &Registry, type_name: &str, config: Value, pointer: &str) {
    let e = r
        .check_rendered(type_name, &config)
        .expect_err("config should be refused");
    assert_eq!(e.kind, ErrorKind::Config, "{e}");
    assert!(
        e.message.contains(&format!("{pointer}: ")),
        "{pointer} not named in: {}",
        e.message
    );
}

#[test]
fn the_catalog_lists_every_builtin_type_sorted() {
    let r = registry();
    let names = r.type_names();
    for expected in [
        "data.aggregate",
        "data.crypto",
        "data.datetime",
        "data.dedupe",
        "data.encode",
        "data.filter",
        "data.join",
        "data.limit",
        "data.set",
        "data.sort",
        "data.split",
        "data.transform",
        "flow.call",
        "flow.fail",
        "flow.for_each",
        "flow.if",
        "flow.merge",
        "flow.signal",
        "flow.switch",
        "flow.wait",
        "flow.while",
        "http.request",
        "http.respond",
        "trigger.manual",
        "trigger.webhook",
        "util.log",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    let spec_names: Vec<&str> = r.specs().iter().map(|s| s.type_name.as_str()).collect();
    assert_eq!(spec_names, names);
    for engine_type in ENGINE_TYPES {
        assert!(r.get(engine_type).is_some(), "{engine_type}");
    }
}

#[test]
fn every_schema_is_documented_and_closed() {
    for spec in registry().specs() {
        let s = &spec.schema;
        let name = &spec.type_name;
        assert_eq!(
            s["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{name}"
        );
        assert_eq!(s["type"], "object", "{name}");
        assert_eq!(s["additionalProperties"], false, "{name}");
        assert!(s["title"].is_string(), "{name} has no title");
        assert!(!spec.description.is_empty(), "{name} has no description");
        for (field, prop) in s["properties"].as_object().expect("properties") {
            assert!(
                prop["description"].is_string(),
                "{name}.{field} has no description"
            );
            assert!(prop["title"].is_string(), "{name}.{field} has no title");
        }
        let expected_trigger = spec.category == "trigger";
        assert_eq!(spec.trigger, expected_trigger, "{name}");
    }
}

#[test]
fn specs_carry_the_contract() {
    let r = registry();
    let spec = |t: &str| r.spec(t).expect(t).clone();
    assert_eq!(
        spec("flow.if").ports,
        Ports::Fixed(vec!["true".into(), "false".into()])
    );
    assert_eq!(spec("flow.switch").ports, Ports::Cases);
    assert_eq!(spec("data.transform").filter_fields, vec!["filter"]);
    assert_eq!(spec("flow.for_each").raw_fields, vec!["body"]);
    assert_eq!(spec("flow.while").raw_fields, vec!["body", "condition"]);
    let retry = spec("http.request")
        .default_retry
        .expect("http has a default retry");
    assert_eq!(
        (
            retry.max_attempts,
            retry.initial_interval_ms,
            retry.max_interval_ms
        ),
        (3, 500, 10_000)
    );
    assert_eq!(retry.multiplier, 2.0);
    assert_eq!(retry.jitter, weft_core::Jitter::Full);
    assert_eq!(spec("http.request").category, "http");
    assert_eq!(spec("flow.wait").category, "flow");
}

#[test]
fn unknown_types_are_left_to_core() {
    let r = registry();
    assert!(r.check_config("nope.nothing", &json!({"x": 1})).is_empty());
    let e = r.check_rendered("nope.nothing", &json!({})).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Config);
}

// trigger.webhook, http.respond, util.log

#[test]
fn webhook_paths_are_checked_through_the_registry() {
    let r = registry();
    assert_valid(&r, "trigger.webhook", json!({"path": "orders/new"}));
    assert_design_problem(
        &r,
        "trigger.webhook",
        json!({"path": "a b"}),
        "/path",
        "does not match",
    );
    assert_design_problem(
        &r,
        "trigger.webhook",
        json!({"path": "/a"}),
        "/path",
        "must not start with",
    );
    assert_design_problem(
        &r,
        "trigger.webhook",
        json!({"path": "a/../b"}),
        "/path",
        "..",
    );
    assert_design_problem(&r, "trigger.webhook", json!({}), "/path", "required");
    assert_design_problem(
        &r,
        "trigger.webhook",
        json!({"path": "a", "timeout_ms": 300_001}),
        "/timeout_ms",
        "maximum",
    );
    assert_design_problem(
        &r,
        "trigger.webhook",
        json!({"path": "a", "response": "later"}),
        "/response",
        "is not one of",
    );
    assert!(r.spec("trigger.webhook").unwrap().trigger);
}

#[tokio::test]
async fn respond_and_log_run_through_the_registry() {
    let r = registry();
    assert_design_problem(
        &r,
        "http.respond",
        json!({"status": 42}),
        "/status",
        "minimum",
    );
    assert_valid(&r, "http.respond", json!({"status": "{{ .prev.code }}"}));
    let out = run(
        &r,
        "http.respond",
        TestInput::new(json!({"status": 202})).prev(json!("ok")),
    )
    .await
    .unwrap();
    assert_eq!(
        out.output,
        json!({"status": 202, "headers": {}, "body": "ok"})
    );

    assert_design_problem(
        &r,
        "util.log",
        json!({"message": "x", "level": "loud"}),
        "/level",
        "is not one of",
    );
    let out = run(
        &r,
        "util.log",
        TestInput::new(json!({"message": "hi {{ .prev }}"})).prev(json!(1)),
    )
    .await
    .unwrap();
    assert_eq!((out.output.clone(), out.logs.len()), (json!(1), 1));
    assert_eq!(out.logs[0].message, "hi 1");
}

// trigger.manual

#[tokio::test]
async fn manual_trigger_outputs_the_execution_input() {
    let r = registry();
    let out = run(
        &r,
        "trigger.manual",
        TestInput::new(json!({})).input(json!({"id": 7})),
    )
    .await
    .unwrap();
    assert_eq!(out, NodeOutput::main(json!({"id": 7})));
}

#[test]
fn manual_trigger_takes_no_config() {
    let r = registry();
    assert_valid(&r, "trigger.manual", json!({}));
    assert_design_problem(
        &r,
        "trigger.manual",
        json!({"x": 1}),
        "/x",
        "unknown field `x`",
    );
    assert_rendered_problem(&r, "trigger.manual", json!({"x": 1}), "/x");
}

// data.set

#[tokio::test]
async fn set_puts_fields_on_top_of_prev() {
    let r = registry();
    let config = json!({"fields": {"total": "{{ .prev.a + .prev.b }}", "ok": true}});
    let out = run(
        &r,
        "data.set",
        TestInput::new(config.clone()).prev(json!({"a": 1, "b": 2})),
    )
    .await
    .unwrap();
    assert_eq!(out.output, json!({"a": 1, "b": 2, "total": 3, "ok": true}));
    assert_eq!(out.ports, vec!["main"]);

    let config = json!({"fields": {"ok": true}, "keep_input": false});
    let out = run(&r, "data.set", TestInput::new(config).prev(json!({"a": 1})))
        .await
        .unwrap();
    assert_eq!(out.output, json!({"ok": true}));

    // A prev that is not an object cannot be kept.
    let out = run(
        &r,
        "data.set",
        TestInput::new(json!({"fields": {"ok": 1}})).prev(json!([1])),
    )
    .await
    .unwrap();
    assert_eq!(out.output, json!({"ok": 1}));
}

#[test]
fn set_config_problems_name_the_field() {
    let r = registry();
    assert_valid(
        &r,
        "data.set",
        json!({"fields": {"x": "{{ .input }}"}, "keep_input": "{{ .vars.k }}"}),
    );
    assert_design_problem(&r, "data.set", json!({}), "/fields", "required");
    assert_design_problem(
        &r,
        "data.set",
        json!({"fields": 5}),
        "/fields",
        "expected an object",
    );
    assert_design_problem(
        &r,
        "data.set",
        json!({"fields": {}, "keep_inputs": true}),
        "/keep_inputs",
        "did you mean `keep_input`?",
    );
    assert_rendered_problem(
        &r,
        "data.set",
        json!({"fields": {}, "keep_input": "yes"}),
        "/keep_input",
    );
}

// data.transform

#[tokio::test]
async fn transform_outputs_the_filters_first_result() {
    let r = registry();
    let input = TestInput::new(json!({"filter": ".prev.items | map(.price) | add"}))
        .prev(json!({"items": [{"price": 2}, {"price": 3}]}));
    assert_eq!(
        run(&r, "data.transform", input).await.unwrap().output,
        json!(5)
    );

    let input = TestInput::new(json!({"filter": ".input[]"})).input(json!([1, 2]));
    assert_eq!(
        run(&r, "data.transform", input).await.unwrap().output,
        json!(1)
    );

    let input = TestInput::new(json!({"filter": "empty"}));
    assert_eq!(
        run(&r, "data.transform", input).await.unwrap().output,
        Value::Null
    );

    // The filter field stays raw (it is a filter, not a template), and may be wrapped in {{ }}.
    let input = TestInput::new(json!({"filter": "{{ .input * 2 }}"})).input(json!(21));
    assert_eq!(
        run(&r, "data.transform", input).await.unwrap().output,
        json!(42)
    );
}

#[tokio::test]
async fn transform_runtime_errors_are_permanent() {
    let r = registry();
    let input = TestInput::new(json!({"filter": ".input + 1"})).input(json!("text"));
    let e = run(&r, "data.transform", input).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Permanent);
    assert!(e.message.contains("jq error"), "{e}");
}

#[test]
fn transform_config_problems_name_the_field() {
    let r = registry();
    assert_valid(&r, "data.transform", json!({"filter": ".prev"}));
    assert_design_problem(&r, "data.transform", json!({}), "/filter", "required");
    assert_design_problem(
        &r,
        "data.transform",
        json!({"filter": ""}),
        "/filter",
        "shorter",
    );
    assert_rendered_problem(&r, "data.transform", json!({"filter": 5}), "/filter");
}

// flow.if

#[tokio::test]
async fn if_activates_true_or_false_by_jq_truthiness() {
    let r = registry();
    let config = json!({"condition": "{{ .prev.total > 100 }}"});
    let out = run(
        &r,
        "flow.if",
        TestInput::new(config.clone()).prev(json!({"total": 150})),
    )
    .await
    .unwrap();
    assert_eq!(
        out,
        NodeOutput::on_ports(json!({"total": 150}), vec!["true".into()])
    );
    let out = run(
        &r,
        "flow.if",
        TestInput::new(config).prev(json!({"total": 5})),
    )
    .await
    .unwrap();
    assert_eq!(out.ports, vec!["false"]);

    for (value, port) in [
        (json!(0), "true"),
        (json!(""), "true"),
        (Value::Null, "false"),
    ] {
        let input = TestInput::new(json!({"condition": "{{ .input }}"})).input(value.clone());
        let out = run(&r, "flow.if", input).await.unwrap();
        assert_eq!(out.ports, vec![port], "{value}");
    }
}

#[test]
fn if_config_problems_name_the_field() {
    let r = registry();
    assert_valid(&r, "flow.if", json!({"condition": "{{ .prev.ok }}"}));
    assert_design_problem(&r, "flow.if", json!({}), "/condition", "required");
    assert_design_problem(
        &r,
        "flow.if",
        json!({"condition": ".prev.ok"}),
        "/condition",
        "always true",
    );
    assert_rendered_problem(
        &r,
        "flow.if",
        json!({"condition": true, "else": 1}),
        "/else",
    );
    assert_rendered_problem(&r, "flow.if", json!({}), "/condition");
}

// flow.switch

fn switch_config(all_matches: bool) -> Value {
    json!({
        "cases": [
            {"name": "big", "condition": "{{ .prev.n > 100 }}"},
            {"name": "even", "condition": "{{ .prev.n % 2 == 0 }}"}
        ],
        "all_matches": all_matches
    })
}

#[tokio::test]
async fn switch_activates_the_first_match_all_matches_or_the_default() {
    let r = registry();
    let go = |config: Value, n: i64| {
        let r = &r;
        async move {
            run(
                r,
                "flow.switch",
                TestInput::new(config).prev(json!({"n": n})),
            )
            .await
            .unwrap()
        }
    };
    let out = go(switch_config(false), 200).await;
    assert_eq!(
        out,
        NodeOutput::on_ports(json!({"n": 200}), vec!["big".into()])
    );
    assert_eq!(
        go(switch_config(true), 200).await.ports,
        vec!["big", "even"]
    );
    assert_eq!(go(switch_config(false), 4).await.ports, vec!["even"]);
    assert_eq!(go(switch_config(false), 3).await.ports, vec!["default"]);
    let mut custom = switch_config(false);
    custom["default"] = json!("other");
    assert_eq!(go(custom, 3).await.ports, vec!["other"]);
}

#[tokio::test]
async fn switch_refuses_duplicate_case_names_at_run_time() {
    let r = registry();
    let config =
        json!({"cases": [{"name": "a", "condition": true}, {"name": "a", "condition": false}]});
    let e = run(&r, "flow.switch", TestInput::new(config))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Config);
    assert!(
        e.message.contains("/cases/1/name") && e.message.contains("used twice"),
        "{e}"
    );
}

#[test]
fn switch_config_problems_name_the_field() {
    let r = registry();
    assert_valid(&r, "flow.switch", switch_config(true));
    assert_design_problem(&r, "flow.switch", json!({}), "/cases", "required");
    assert_design_problem(
        &r,
        "flow.switch",
        json!({"cases": []}),
        "/cases",
        "less than 1 item",
    );
    assert_design_problem(
        &r,
        "flow.switch",
        json!({"cases": [{"condition": "{{ true }}"}]}),
        "/cases/0/name",
        "required",
    );
    assert_design_problem(
        &r,
        "flow.switch",
        json!({"cases": [{"name": "x", "condition": "{{ 1 }}"}, {"name": "x", "condition": "{{ 2 }}"}]}),
        "/cases/1/name",
        "used twice",
    );
    assert_rendered_problem(
        &r,
        "flow.switch",
        json!({"cases": [{"name": 1, "condition": true}]}),
        "/cases/0/name",
    );
    assert_rendered_problem(
        &r,
        "flow.switch",
        json!({"cases": [{"name": "a", "condition": true}], "all_matches": "no"}),
        "/all_matches",
    );
}

// flow.merge

#[tokio::test]
async fn merge_outputs_all_inputs_or_the_first() {
    let r = registry();
    let input = || {
        TestInput::new(json!({}))
            .from_node("a", json!(1))
            .from_node("b", json!(2))
    };
    let out = run(&r, "flow.merge", input()).await.unwrap();
    assert_eq!(out.output, json!({"a": 1, "b": 2}));
    let any = TestInput::new(json!({"mode": "any"})).from_node("b", json!(2));
    assert_eq!(run(&r, "flow.merge", any).await.unwrap().output, json!(2));
}

#[test]
fn merge_config_problems_name_the_field() {
    let r = registry();
    assert_valid(&r, "flow.merge", json!({"mode": "any"}));
    assert_design_problem(
        &r,
        "flow.merge",
        json!({"mode": "some"}),
        "/mode",
        r#""some" is not one of "all", "any""#,
    );
    assert_rendered_problem(&r, "flow.merge", json!({"mode": "some"}), "/mode");
}

// flow.fail

#[tokio::test]
async fn fail_fails_permanently_with_the_rendered_message() {
    let r = registry();
    let input = TestInput::new(json!({"message": "order {{ .input.id }} has no items"}))
        .input(json!({"id": 42}));
    let e = run(&r, "flow.fail", input).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Permanent);
    assert_eq!(e.message, "order 42 has no items");
}

#[test]
fn fail_config_problems_name_the_field() {
    let r = registry();
    assert_valid(&r, "flow.fail", json!({"message": "{{ .input.reason }}"}));
    assert_design_problem(&r, "flow.fail", json!({}), "/message", "required");
    assert_rendered_problem(
        &r,
        "flow.fail",
        json!({"message": {"not": "text"}}),
        "/message",
    );
}

// Engine-run types: real specs, a run that refuses.

#[tokio::test]
async fn engine_types_refuse_to_run_as_nodes() {
    let r = registry();
    let configs = [
        ("flow.wait", json!({"duration_ms": 10})),
        ("flow.signal", json!({"name": "approve"})),
        (
            "flow.call",
            json!({"workflow_id": "0190c4a2-1b2c-7d3e-8f40-123456789abc"}),
        ),
        (
            "flow.for_each",
            json!({"items": [1], "body": {"nodes": []}}),
        ),
        (
            "flow.while",
            json!({"condition": ".index < 3", "body": {"nodes": []}}),
        ),
    ];
    for (type_name, config) in configs {
        assert_valid(&r, type_name, config.clone());
        let e = run(&r, type_name, TestInput::new(config))
            .await
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Config, "{type_name}");
        assert_eq!(
            e.message,
            format!("{type_name} is run by the engine, not as a node")
        );
    }
}

#[test]
fn wait_needs_exactly_one_of_duration_or_until() {
    let r = registry();
    assert_valid(&r, "flow.wait", json!({"until": "2030-01-31T09:00:00Z"}));
    assert_valid(
        &r,
        "flow.wait",
        json!({"duration_ms": "{{ .input.delay }}"}),
    );
    assert_design_problem(
        &r,
        "flow.wait",
        json!({}),
        "",
        "set one of `duration_ms`, `until`",
    );
    assert_design_problem(
        &r,
        "flow.wait",
        json!({"duration_ms": 1, "until": "2030-01-31T09:00:00Z"}),
        "",
        "set only one of",
    );
    assert_design_problem(
        &r,
        "flow.wait",
        json!({"duration_ms": -1}),
        "/duration_ms",
        "minimum of 0",
    );
    assert_design_problem(
        &r,
        "flow.wait",
        json!({"until": "tomorrow"}),
        "/until",
        "RFC 3339",
    );
    assert_rendered_problem(
        &r,
        "flow.wait",
        json!({"duration_ms": "soon"}),
        "/duration_ms",
    );
}

#[test]
fn signal_call_and_loop_config_problems_name_the_field() {
    let r = registry();
    assert_design_problem(&r, "flow.signal", json!({}), "/name", "required");
    assert_design_problem(
        &r,
        "flow.signal",
        json!({"name": "a b"}),
        "/name",
        "does not match",
    );
    assert_valid(
        &r,
        "flow.signal",
        json!({"name": "approve-{{ .input.id }}", "timeout_ms": 1000}),
    );
    assert_design_problem(
        &r,
        "flow.signal",
        json!({"name": "x", "timeout_ms": 0}),
        "/timeout_ms",
        "minimum",
    );

    assert_design_problem(
        &r,
        "flow.call",
        json!({"workflow_id": "nope"}),
        "/workflow_id",
        "UUID",
    );
    assert_design_problem(
        &r,
        "flow.call",
        json!({"workflow_id": "0190c4a2-1b2c-7d3e-8f40-123456789abc", "version": 0}),
        "/version",
        "minimum",
    );
    assert_rendered_problem(
        &r,
        "flow.call",
        json!({"workflow_id": "nope"}),
        "/workflow_id",
    );

    assert_valid(
        &r,
        "flow.for_each",
        json!({"items": "{{ .prev.orders }}", "body": {"nodes": [], "edges": []}}),
    );
    assert_design_problem(
        &r,
        "flow.for_each",
        json!({"items": 5, "body": {"nodes": []}}),
        "/items",
        "expected an array",
    );
    assert_design_problem(
        &r,
        "flow.for_each",
        json!({"items": []}),
        "/body",
        "required",
    );
    assert_design_problem(
        &r,
        "flow.for_each",
        json!({"items": [], "body": {"nodes": []}, "max_concurrency": 0}),
        "/max_concurrency",
        "minimum",
    );

    assert_design_problem(
        &r,
        "flow.while",
        json!({"condition": "true", "body": {}}),
        "/body/nodes",
        "required",
    );
    assert_design_problem(
        &r,
        "flow.while",
        json!({"condition": "true", "body": {"nodes": []}, "max_iterations": 0}),
        "/max_iterations",
        "minimum",
    );
    assert_rendered_problem(
        &r,
        "flow.while",
        json!({"body": {"nodes": []}}),
        "/condition",
    );
}

// http.request (config only; requests are in http_request.rs)

#[test]
fn http_config_problems_name_the_field() {
    let r = registry();
    assert_valid(
        &r,
        "http.request",
        json!({"url": "https://example.com/{{ .input.id }}", "timeout_ms": "{{ .vars.t }}"}),
    );
    assert_design_problem(
        &r,
        "http.request",
        json!({"url": "https://example.com", "method": "FETCH"}),
        "/method",
        r#""FETCH" is not one of "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS""#,
    );
    assert_design_problem(&r, "http.request", json!({}), "/url", "required");
    assert_design_problem(
        &r,
        "http.request",
        json!({"url": "example.com"}),
        "/url",
        "not a valid URL",
    );
    assert_design_problem(
        &r,
        "http.request",
        json!({"url": "https://x", "headers": {"a": 1}}),
        "/headers/a",
        "expected a string",
    );
    assert_design_problem(
        &r,
        "http.request",
        json!({"url": "https://x", "query": {"a": [1]}}),
        "/query/a",
        "expected a boolean, a number or a string, got an array of 1 item",
    );
    assert_rendered_problem(
        &r,
        "http.request",
        json!({"url": "https://x", "timeout_ms": "abc"}),
        "/timeout_ms",
    );
    assert_rendered_problem(
        &r,
        "http.request",
        json!({"url": "https://x", "method": "FETCH"}),
        "/method",
    );
}

//! The format node types (`data.validate`, `data.template`, `data.csv`, `data.xml`) and
//! `util.noop`, run through the registry as the engine runs them.

use serde_json::{Value, json};
use weft_core::catalog::NodeCatalog;
use weft_core::{ErrorKind, NodeError};
use weft_nodes::testing::TestInput;
use weft_nodes::{NodeOptions, NodeOutput, Registry};

fn registry() -> Registry {
    Registry::builtin(NodeOptions::default()).expect("built-in registry")
}

async fn run_full(
    r: &Registry,
    type_name: &str,
    input: TestInput,
) -> Result<NodeOutput, NodeError> {
    let spec = r.spec(type_name).expect("known type");
    let input = input.build(spec).map_err(NodeError::from)?;
    r.run(type_name, input).await
}

async fn run(type_name: &str, input: TestInput) -> Result<Value, NodeError> {
    run_full(&registry(), type_name, input)
        .await
        .map(|o| o.output)
}

#[track_caller]
fn assert_config_error(result: Result<Value, NodeError>, needle: &str) {
    let e = result.expect_err("should fail");
    assert_eq!(e.kind, ErrorKind::Config, "{e}");
    assert!(
        e.message.contains(needle),
        "{needle:?} not in {}",
        e.message
    );
}

#[track_caller]
fn assert_permanent(result: Result<Value, NodeError>, needle: &str) -> NodeError {
    let e = result.expect_err("should fail");
    assert_eq!(e.kind, ErrorKind::Permanent, "{e}");
    assert!(
        e.message.contains(needle),
        "{needle:?} not in {}",
        e.message
    );
    e
}

/// Every property (nested ones too) has a title and a description.
fn assert_described(type_name: &str, schema: &Value, at: &str) {
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (name, prop) in props {
            assert!(prop["title"].is_string(), "{type_name}{at}/{name} title");
            assert!(
                prop["description"].is_string(),
                "{type_name}{at}/{name} description"
            );
            assert_described(type_name, prop, &format!("{at}/{name}"));
        }
    }
    if let Some(items) = schema.get("items") {
        assert!(items["title"].is_string(), "{type_name}{at}/items title");
        assert!(
            items["description"].is_string(),
            "{type_name}{at}/items description"
        );
        assert_described(type_name, items, &format!("{at}/items"));
    }
}

#[test]
fn the_new_types_are_registered_inline_and_fully_described() {
    let r = registry();
    for t in [
        "data.validate",
        "data.template",
        "data.csv",
        "data.xml",
        "util.noop",
    ] {
        assert!(r.runs_inline(t), "{t} is pure and quick");
        let spec = r.spec(t).expect(t);
        assert!(!spec.description.is_empty());
        assert_eq!(spec.schema["type"], "object", "{t}");
        assert_described(t, &spec.schema, "");
    }
    assert_eq!(
        r.spec("data.validate").unwrap().raw_fields,
        vec!["schema".to_string()]
    );
    assert_eq!(
        r.spec("data.template").unwrap().raw_fields,
        vec!["template".to_string()]
    );
}

// --- data.validate ----------------------------------------------------------------------------

fn person_schema() -> Value {
    json!({
        "type": "object",
        "required": ["name", "age"],
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "age": {"type": "integer", "minimum": 0},
            "email": {"type": "string", "format": "email"}
        }
    })
}

#[tokio::test]
async fn validate_sends_a_matching_value_out_on_valid() {
    let r = registry();
    let out = run_full(
        &r,
        "data.validate",
        TestInput::new(json!({"schema": person_schema()}))
            .prev(json!({"name": "Ada", "age": 36, "email": "ada@example.com"})),
    )
    .await
    .unwrap();
    assert_eq!(out.ports, vec!["valid"]);
    assert_eq!(
        out.output,
        json!({"name": "Ada", "age": 36, "email": "ada@example.com"})
    );

    // `value` as a template, and a schema whose text holds {{ }} is not rendered.
    let out = run_full(
        &r,
        "data.validate",
        TestInput::new(json!({
            "schema": {"type": "object", "properties": {"greeting": {"const": "{{ name }}"}}},
            "value": "{{ .input }}"
        }))
        .input(json!({"greeting": "{{ name }}"})),
    )
    .await
    .unwrap();
    assert_eq!(out.ports, vec!["valid"]);
}

#[tokio::test]
async fn validate_routes_a_mismatch_to_invalid_with_every_error() {
    let out = run_full(
        &registry(),
        "data.validate",
        TestInput::new(json!({"schema": person_schema()}))
            .prev(json!({"age": -1, "email": "nope"})),
    )
    .await
    .unwrap();
    assert_eq!(out.ports, vec!["invalid"]);
    assert_eq!(out.output["value"], json!({"age": -1, "email": "nope"}));
    let errors = out.output["errors"].as_array().unwrap();
    let found: Vec<(&str, &str)> = errors
        .iter()
        .map(|e| {
            assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()));
            (
                e["pointer"].as_str().unwrap(),
                e["keyword"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(found.contains(&("", "required")), "{found:?}");
    assert!(found.contains(&("/age", "minimum")), "{found:?}");
    assert!(found.contains(&("/email", "format")), "{found:?}");

    // A `value` template that renders to null checks null, not the incoming value.
    let out = run_full(
        &registry(),
        "data.validate",
        TestInput::new(json!({"schema": {"type": "object"}, "value": "{{ .input.missing }}"}))
            .input(json!({}))
            .prev(json!({"an": "object"})),
    )
    .await
    .unwrap();
    assert_eq!(out.ports, vec!["invalid"]);
    assert_eq!(out.output["value"], Value::Null);
}

#[tokio::test]
async fn validate_in_fail_mode_fails_permanently_with_the_errors() {
    let e = assert_permanent(
        run(
            "data.validate",
            TestInput::new(json!({"schema": person_schema(), "mode": "fail", "max_errors": 1}))
                .prev(json!({"name": "", "age": 3})),
        )
        .await,
        "does not match the schema (1 error); first at `/name`",
    );
    let details = e.details.expect("details");
    assert_eq!(details["errors"].as_array().unwrap().len(), 1);
    assert_eq!(details["errors"][0]["keyword"], "minLength");
}

#[tokio::test]
async fn validate_bad_config_is_refused_at_design_and_run_time() {
    let r = registry();
    let bad = json!({"schema": {"type": "object", "properties": {"n": {"type": "nonsense"}}}});
    let problems = r.check_config("data.validate", &bad);
    assert!(
        problems
            .iter()
            .any(|p| p.pointer.starts_with("/schema") && p.message.contains("JSON Schema")),
        "{problems:?}"
    );
    assert_config_error(
        run("data.validate", TestInput::new(bad).prev(json!({}))).await,
        "/schema",
    );
    // No remote $ref is ever fetched.
    let remote = json!({"schema": {"$ref": "http://127.0.0.1:9/schema.json"}});
    assert!(!r.check_config("data.validate", &remote).is_empty());
    assert_config_error(
        run("data.validate", TestInput::new(remote).prev(json!(1))).await,
        "/schema",
    );
    assert_config_error(
        run("data.validate", TestInput::new(json!({"schema": 5}))).await,
        "/schema",
    );
    assert_config_error(
        run("data.validate", TestInput::new(json!({"value": 1}))).await,
        "/schema",
    );
    assert_config_error(
        run(
            "data.validate",
            TestInput::new(json!({"schema": true, "mode": "explode"})),
        )
        .await,
        "/mode",
    );
    assert!(
        r.check_config("data.validate", &json!({"schema": person_schema()}))
            .is_empty()
    );
}

// --- data.template ----------------------------------------------------------------------------

#[tokio::test]
async fn template_renders_jinja_over_the_whole_context() {
    let out = run(
        "data.template",
        TestInput::new(json!({
            "template": "Hello {{ input.name }}!\n{% for o in prev.orders %}- {{ o.id }}: {{ o.total }}\n{% endfor %}Run {{ execution.version }}"
        }))
        .input(json!({"name": "Ada"}))
        .prev(json!({"orders": [{"id": "a", "total": 3}, {"id": "b", "total": 4.5}]})),
    )
    .await
    .unwrap();
    assert_eq!(out, json!("Hello Ada!\n- a: 3\n- b: 4.5\nRun 1"));

    // `data` (a jq template) replaces the context; a non-object is `data`.
    let out = run(
        "data.template",
        TestInput::new(json!({
            "template": "{{ data | join(', ') }}",
            "data": "{{ .prev | map(.n) }}"
        }))
        .prev(json!([{"n": "x"}, {"n": "y"}])),
    )
    .await
    .unwrap();
    assert_eq!(out, json!("x, y"));
}

#[tokio::test]
async fn template_json_format_escaping_and_strictness() {
    let out = run(
        "data.template",
        TestInput::new(json!({
            "template": "{\"ids\": {{ prev | map(attribute='id') | list | tojson }}, \"n\": {{ prev | length }}}",
            "format": "json"
        }))
        .prev(json!([{"id": 1}, {"id": 2}])),
    )
    .await
    .unwrap();
    assert_eq!(out, json!({"ids": [1, 2], "n": 2}));

    let raw = run(
        "data.template",
        TestInput::new(json!({"template": "<b>{{ input }}</b>"})).input(json!("<i>&")),
    )
    .await
    .unwrap();
    assert_eq!(raw, json!("<b><i>&</b>"));
    let escaped = run(
        "data.template",
        TestInput::new(json!({"template": "<b>{{ input }}</b>", "autoescape": "html"}))
            .input(json!("<i>&")),
    )
    .await
    .unwrap();
    assert_eq!(escaped, json!("<b>&lt;i&gt;&amp;</b>"));

    let lenient = run(
        "data.template",
        TestInput::new(json!({"template": "[{{ input.missing }}]"})),
    )
    .await
    .unwrap();
    assert_eq!(lenient, json!("[]"));
    assert_permanent(
        run(
            "data.template",
            TestInput::new(json!({"template": "[{{ input.missing.deeper }}]", "strict": true})),
        )
        .await,
        "line 1",
    );
    assert_permanent(
        run(
            "data.template",
            TestInput::new(json!({"template": "not json", "format": "json"})),
        )
        .await,
        "not valid JSON",
    );

    let trimmed = run(
        "data.template",
        TestInput::new(json!({
            "template": "{% for x in input %}\n  {% if x %}\n{{ x }}\n  {% endif %}\n{% endfor %}\n",
            "trim_blocks": true
        }))
        .input(json!(["a", "b"])),
    )
    .await
    .unwrap();
    assert_eq!(trimmed, json!("a\nb\n"));
}

#[tokio::test]
async fn template_syntax_errors_are_config_errors_at_template_with_the_line() {
    let r = registry();
    let bad = json!({"template": "line one\n{% for x in %}\n{% endfor %}"});
    let problems = r.check_config("data.template", &bad);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].pointer, "/template");
    assert!(problems[0].message.contains("line 2"), "{problems:?}");
    assert!(problems[0].message.contains("syntax error"), "{problems:?}");

    assert_config_error(
        run("data.template", TestInput::new(bad)).await,
        "/template: line 2",
    );
    assert_config_error(
        run(
            "data.template",
            TestInput::new(json!({"template": "x", "format": "yaml"})),
        )
        .await,
        "/format",
    );
    assert_config_error(
        run("data.template", TestInput::new(json!({}))).await,
        "/template",
    );
    assert_config_error(
        run(
            "data.template",
            TestInput::new(json!({"template": "x".repeat(64 * 1024 + 1)})),
        )
        .await,
        "/template",
    );
    assert!(
        r.check_config("data.template", &json!({"template": "{{ a }}"}))
            .is_empty()
    );
}

// --- data.csv ---------------------------------------------------------------------------------

#[tokio::test]
async fn csv_parses_rows_by_header_with_options() {
    let out = run(
        "data.csv",
        TestInput::new(json!({"operation": "parse", "text": "{{ .input.body }}"})).input(
            json!({"body": "id,name,note\n1,Ada,\"hello, world\"\n2,Bob,\"say \"\"hi\"\"\"\n"}),
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        out,
        json!({
            "rows": [
                {"id": "1", "name": "Ada", "note": "hello, world"},
                {"id": "2", "name": "Bob", "note": "say \"hi\""}
            ],
            "count": 2,
            "columns": ["id", "name", "note"]
        })
    );

    let out = run(
        "data.csv",
        TestInput::new(json!({
            "operation": "parse", "delimiter": ";", "quote": "'", "trim": true,
            "infer_types": true
        }))
        .prev(json!(
            "zip ; n ; ok ; x\r\n007 ; 1.5 ; true ;'a;b'\r\n010 ; -3 ; false ;\r\n"
        )),
    )
    .await
    .unwrap();
    assert_eq!(
        out["rows"],
        json!([
            {"zip": "007", "n": 1.5, "ok": true, "x": "a;b"},
            {"zip": "010", "n": -3, "ok": false, "x": null}
        ])
    );

    let out = run(
        "data.csv",
        TestInput::new(json!({"operation": "parse", "header": false}))
            .prev(json!("\u{feff}a,b\nc,d\n")),
    )
    .await
    .unwrap();
    assert_eq!(out, json!({"rows": [["a", "b"], ["c", "d"]], "count": 2}));
}

#[tokio::test]
async fn csv_parse_limits_and_ragged_rows() {
    assert_permanent(
        run(
            "data.csv",
            TestInput::new(json!({"operation": "parse", "max_rows": 2}))
                .prev(json!("h\n1\n2\n3\n")),
        )
        .await,
        "more than 2 rows",
    );
    assert_permanent(
        run(
            "data.csv",
            TestInput::new(json!({"operation": "parse"})).prev(json!("a,b\n1,2\n3\n")),
        )
        .await,
        "line: 3",
    );
    let out = run(
        "data.csv",
        TestInput::new(json!({"operation": "parse", "flexible": true}))
            .prev(json!("a,b\n1\n2,3,4\n")),
    )
    .await
    .unwrap();
    assert_eq!(
        out["rows"],
        json!([{"a": "1"}, {"a": "2", "b": "3", "3": "4"}])
    );
    assert_permanent(
        run(
            "data.csv",
            TestInput::new(json!({"operation": "parse"})).prev(json!("a,b,a\n1,2,3\n")),
        )
        .await,
        "column `a` twice",
    );
}

#[tokio::test]
async fn csv_writes_rows_in_column_order() {
    let items = json!([
        {"id": 1, "name": "Ada", "tags": ["x"]},
        {"id": 2, "name": "Bob, Jr.", "extra": null, "note": "said \"hi\""}
    ]);
    let out = run(
        "data.csv",
        TestInput::new(json!({"operation": "write"})).prev(items.clone()),
    )
    .await
    .unwrap();
    assert_eq!(
        out,
        json!({
            "text": "id,name,tags,extra,note\n1,Ada,\"[\"\"x\"\"]\",,\n2,\"Bob, Jr.\",,,\"said \"\"hi\"\"\"\n",
            "count": 2
        })
    );

    let out = run(
        "data.csv",
        TestInput::new(json!({
            "operation": "write", "items": "{{ .input.rows }}", "columns": ["name", "id"],
            "delimiter": ";", "line_ending": "crlf", "header": false
        }))
        .input(json!({"rows": items})),
    )
    .await
    .unwrap();
    assert_eq!(out["text"], json!("Ada;1\r\nBob, Jr.;2\r\n"));

    // write then parse gives the rows back (as text cells).
    let rows = json!([{"a": "1", "b": "x,y"}, {"a": "2", "b": "line\nbreak"}]);
    let written = run(
        "data.csv",
        TestInput::new(json!({"operation": "write"})).prev(rows.clone()),
    )
    .await
    .unwrap();
    let parsed = run(
        "data.csv",
        TestInput::new(json!({"operation": "parse", "text": "{{ .prev.text }}"})).prev(written),
    )
    .await
    .unwrap();
    assert_eq!(parsed["rows"], rows);
}

#[tokio::test]
async fn csv_bad_config_names_the_field() {
    let r = registry();
    assert_config_error(
        run("data.csv", TestInput::new(json!({"text": "a"}))).await,
        "/operation",
    );
    assert_config_error(
        run(
            "data.csv",
            TestInput::new(json!({"operation": "parse", "delimiter": "ab"})).prev(json!("a")),
        )
        .await,
        "/delimiter",
    );
    assert_config_error(
        run(
            "data.csv",
            TestInput::new(json!({"operation": "parse", "delimiter": "é"})).prev(json!("a")),
        )
        .await,
        "/delimiter: must be exactly one ASCII character",
    );
    assert_config_error(
        run(
            "data.csv",
            TestInput::new(json!({"operation": "parse", "columns": ["a"]})).prev(json!("a")),
        )
        .await,
        "/columns: not used by operation `parse`",
    );
    assert_config_error(
        run(
            "data.csv",
            TestInput::new(json!({"operation": "parse"})).prev(json!({"not": "text"})),
        )
        .await,
        "/text",
    );
    assert_config_error(
        run(
            "data.csv",
            TestInput::new(json!({"operation": "write"})).prev(json!("nope")),
        )
        .await,
        "/items",
    );
    assert_config_error(
        run(
            "data.csv",
            TestInput::new(json!({"operation": "write", "max_rows": 0})).prev(json!([])),
        )
        .await,
        "/max_rows",
    );
    let problems = r.check_config(
        "data.csv",
        &json!({"operation": "write", "columns": ["a", "a"], "trim": true}),
    );
    let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
    assert!(pointers.contains(&"/columns/1"), "{problems:?}");
    assert!(pointers.contains(&"/trim"), "{problems:?}");
}

// --- data.xml ---------------------------------------------------------------------------------

const ORDER_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!-- an order -->
<order id="7" status="open">
  <customer>Ada &amp; Co</customer>
  <item sku="a1">Widget</item>
  <item sku="b2"><![CDATA[Gadget <large>]]></item>
  <note/>
  <total currency="EUR">12.50</total>
</order>
"#;

#[tokio::test]
async fn xml_parses_attributes_text_and_repeated_elements() {
    let out = run(
        "data.xml",
        TestInput::new(json!({"operation": "parse", "text": "{{ .input.body }}"}))
            .input(json!({"body": ORDER_XML})),
    )
    .await
    .unwrap();
    assert_eq!(
        out,
        json!({"order": {
            "@id": "7",
            "@status": "open",
            "customer": "Ada & Co",
            "item": [
                {"@sku": "a1", "#text": "Widget"},
                {"@sku": "b2", "#text": "Gadget <large>"}
            ],
            "note": null,
            "total": {"@currency": "EUR", "#text": "12.50"}
        }})
    );
}

#[tokio::test]
async fn xml_write_then_parse_round_trips() {
    let value = json!({"feed": {
        "@version": "2.0",
        "title": "News & <views>",
        "entry": [
            {"@id": "1", "title": "First", "tag": ["a", "b"]},
            {"@id": "2", "title": "Second \"quoted\"", "tag": "c"}
        ],
        "empty": null,
        "link": {"@href": "https://example.com/?a=1&b=2", "#text": "home"}
    }});
    for indent in [0, 2] {
        let written = run(
            "data.xml",
            TestInput::new(json!({"operation": "write", "indent": indent})).prev(value.clone()),
        )
        .await
        .unwrap();
        let text = written["text"].as_str().unwrap();
        assert!(
            text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"),
            "{text}"
        );
        assert!(text.contains("News &amp; &lt;views&gt;"), "{text}");
        let parsed = run(
            "data.xml",
            TestInput::new(json!({"operation": "parse", "text": "{{ .prev.text }}"}))
                .prev(written.clone()),
        )
        .await
        .unwrap();
        assert_eq!(parsed, value, "indent {indent}: {text}");
    }

    let out = run(
        "data.xml",
        TestInput::new(json!({
            "operation": "write", "root": "point", "declaration": false, "indent": 0,
            "value": {"x": 1, "y": true}
        })),
    )
    .await
    .unwrap();
    assert_eq!(out["text"], json!("<point><x>1</x><y>true</y></point>"));
}

#[tokio::test]
async fn xml_refuses_doctypes_entities_and_deep_nesting() {
    let xxe = "<?xml version=\"1.0\"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<r>&x;</r>";
    assert_permanent(
        run(
            "data.xml",
            TestInput::new(json!({"operation": "parse"})).prev(json!(xxe)),
        )
        .await,
        "<!DOCTYPE> are refused (line 2)",
    );
    let laughs = "<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]><lolz>&lol2;</lolz>";
    assert_permanent(
        run(
            "data.xml",
            TestInput::new(json!({"operation": "parse"})).prev(json!(laughs)),
        )
        .await,
        "DOCTYPE",
    );
    assert_permanent(
        run(
            "data.xml",
            TestInput::new(json!({"operation": "parse"})).prev(json!("<a>&nbsp;</a>")),
        )
        .await,
        "undefined entity &nbsp;",
    );
    let deep = format!("{}{}", "<a>".repeat(10), "</a>".repeat(10));
    assert_permanent(
        run(
            "data.xml",
            TestInput::new(json!({"operation": "parse", "max_depth": 9})).prev(json!(deep)),
        )
        .await,
        "deeper than max_depth (9)",
    );
    assert!(
        run(
            "data.xml",
            TestInput::new(json!({"operation": "parse", "max_depth": 10})).prev(json!(deep)),
        )
        .await
        .is_ok()
    );
    assert_permanent(
        run(
            "data.xml",
            TestInput::new(json!({"operation": "parse"})).prev(json!("<a><b></a>")),
        )
        .await,
        "not well-formed",
    );
    assert_permanent(
        run(
            "data.xml",
            TestInput::new(json!({"operation": "write", "root": "r", "value": {"bad name": 1}})),
        )
        .await,
        "not an XML element name",
    );
}

#[tokio::test]
async fn xml_bad_config_names_the_field() {
    let r = registry();
    assert_config_error(
        run(
            "data.xml",
            TestInput::new(json!({"operation": "write", "root": "1st", "value": {}})),
        )
        .await,
        "/root",
    );
    assert_config_error(
        run(
            "data.xml",
            TestInput::new(json!({"operation": "parse", "root": "x"})).prev(json!("<a/>")),
        )
        .await,
        "/root: not used by operation `parse`",
    );
    assert_config_error(
        run(
            "data.xml",
            TestInput::new(json!({"operation": "write"})).prev(json!({"a": 1, "b": 2})),
        )
        .await,
        "/value",
    );
    assert_config_error(
        run(
            "data.xml",
            TestInput::new(json!({"operation": "parse", "max_depth": 0})).prev(json!("<a/>")),
        )
        .await,
        "/max_depth",
    );
    assert_config_error(
        run(
            "data.xml",
            TestInput::new(json!({"operation": "parse"})).prev(json!(5)),
        )
        .await,
        "/text",
    );
    let problems = r.check_config("data.xml", &json!({"operation": "write", "root": "a b"}));
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].pointer, "/root");
}

// --- util.noop --------------------------------------------------------------------------------

#[tokio::test]
async fn noop_passes_prev_on_and_takes_no_config() {
    let out = run_full(
        &registry(),
        "util.noop",
        TestInput::new(json!({})).prev(json!({"a": [1, 2]})),
    )
    .await
    .unwrap();
    assert_eq!(out.output, json!({"a": [1, 2]}));
    assert_eq!(out.ports, vec!["main"]);
    assert_config_error(
        run("util.noop", TestInput::new(json!({"anything": 1}))).await,
        "/anything",
    );
}

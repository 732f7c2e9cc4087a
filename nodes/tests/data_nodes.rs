//! The array and value data node types, run through the registry as the engine runs them.

use serde_json::{Value, json};
use weft_core::ErrorKind;
use weft_core::catalog::NodeCatalog;
use weft_nodes::testing::TestInput;
use weft_nodes::{NodeOptions, Registry};

fn registry() -> Registry {
    Registry::builtin(NodeOptions::default()).expect("built-in registry")
}

async fn run(type_name: &str, input: TestInput) -> Result<Value, weft_core::NodeError> {
    let r = registry();
    let spec = r.spec(type_name).expect("known type");
    let input = input.build(spec).map_err(weft_core::NodeError::from)?;
    r.run(type_name, input).await.map(|o| o.output)
}

#[track_caller]
fn assert_config_error(result: Result<Value, weft_core::NodeError>, needle: &str) {
    let e = result.expect_err("should fail");
    assert_eq!(e.kind, ErrorKind::Config, "{e}");
    assert!(
        e.message.contains(needle),
        "{needle:?} not in {}",
        e.message
    );
}

#[test]
fn crypto_and_datetime_are_not_inline_but_fully_described() {
    let r = registry();
    assert!(
        !r.runs_inline("data.crypto"),
        "uuid and random are not pure"
    );
    let spec = r.spec("data.crypto").unwrap();
    for (name, prop) in spec.schema["properties"].as_object().unwrap() {
        assert!(prop["title"].is_string(), "{name} title");
        assert!(prop["description"].is_string(), "{name} description");
    }
}

#[test]
fn every_new_type_is_inline_and_fully_described() {
    let r = registry();
    for t in [
        "data.filter",
        "data.sort",
        "data.limit",
        "data.dedupe",
        "data.split",
        "data.aggregate",
        "data.join",
        "data.encode",
    ] {
        assert!(r.runs_inline(t), "{t}");
        let spec = r.spec(t).expect(t);
        for (name, prop) in spec.schema["properties"].as_object().unwrap() {
            assert!(prop["title"].is_string(), "{t}.{name} title");
            assert!(prop["description"].is_string(), "{t}.{name} description");
        }
    }
}

#[tokio::test]
async fn filter_keeps_matching_items_with_item_and_index() {
    let out = run(
        "data.filter",
        TestInput::new(json!({"condition": ".item.n > 1 and .index < 3"}))
            .prev(json!([{"n": 1}, {"n": 2}, {"n": 3}, {"n": 4}])),
    )
    .await
    .unwrap();
    assert_eq!(out, json!([{"n": 2}, {"n": 3}]));

    let out = run(
        "data.filter",
        TestInput::new(json!({"items": "{{ .input.xs }}", "condition": "{{ .item != null }}"}))
            .input(json!({"xs": [1, null, 2]})),
    )
    .await
    .unwrap();
    assert_eq!(out, json!([1, 2]));
}

#[tokio::test]
async fn filter_bad_config_is_refused() {
    assert_config_error(
        run("data.filter", TestInput::new(json!({"items": [1]}))).await,
        "condition",
    );
    assert_config_error(
        run(
            "data.filter",
            TestInput::new(json!({"condition": ".item", "items": "{{ .input }}"}))
                .input(json!({"a": 1})),
        )
        .await,
        "/items",
    );
    assert_config_error(
        run(
            "data.filter",
            TestInput::new(json!({"condition": ".item", "extra": 1})).prev(json!([])),
        )
        .await,
        "extra",
    );
}

#[tokio::test]
async fn sort_is_stable_by_key_and_orders_mixed_types_like_jq() {
    let items = json!([
        {"k": 2, "id": "a"},
        {"k": 1, "id": "b"},
        {"k": 2, "id": "c"},
        {"k": null, "id": "d"}
    ]);
    let out = run(
        "data.sort",
        TestInput::new(json!({"by": ".item.k"})).prev(items.clone()),
    )
    .await
    .unwrap();
    let ids: Vec<&str> = out
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["d", "b", "a", "c"]);

    let out = run(
        "data.sort",
        TestInput::new(json!({"by": ".item.k", "order": "desc"})).prev(items),
    )
    .await
    .unwrap();
    let ids: Vec<&str> = out
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a", "c", "b", "d"]);

    let out = run(
        "data.sort",
        TestInput::new(json!({})).prev(json!(["b", 3, null, [1], true, {"a": 1}, 1])),
    )
    .await
    .unwrap();
    assert_eq!(out, json!([null, true, 1, 3, "b", [1], {"a": 1}]));
}

#[tokio::test]
async fn sort_bad_config_is_refused() {
    assert_config_error(
        run(
            "data.sort",
            TestInput::new(json!({"order": "sideways"})).prev(json!([])),
        )
        .await,
        "/order",
    );
}

#[tokio::test]
async fn limit_slices_with_offset() {
    let out = run(
        "data.limit",
        TestInput::new(json!({"count": 2, "offset": 1})).prev(json!([1, 2, 3, 4])),
    )
    .await
    .unwrap();
    assert_eq!(out, json!([2, 3]));
    let out = run(
        "data.limit",
        TestInput::new(json!({"count": 0, "items": [1, 2]})),
    )
    .await
    .unwrap();
    assert_eq!(out, json!([]));
    let out = run(
        "data.limit",
        TestInput::new(json!({"count": 5, "offset": 9, "items": [1, 2]})),
    )
    .await
    .unwrap();
    assert_eq!(out, json!([]));
}

#[tokio::test]
async fn limit_bad_config_is_refused() {
    assert_config_error(
        run(
            "data.limit",
            TestInput::new(json!({"count": -1, "items": []})),
        )
        .await,
        "/count",
    );
    assert_config_error(
        run("data.limit", TestInput::new(json!({"items": []}))).await,
        "count",
    );
}

#[tokio::test]
async fn dedupe_keeps_first_occurrences_in_order() {
    let out = run(
        "data.dedupe",
        TestInput::new(json!({})).prev(json!([3, 1, 3, {"a": 1, "b": 2}, {"b": 2, "a": 1}, 1.0])),
    )
    .await
    .unwrap();
    assert_eq!(out, json!([3, 1, {"a": 1, "b": 2}]));

    let out = run(
        "data.dedupe",
        TestInput::new(json!({"by": ".item.email | ascii_downcase"})).prev(json!([
            {"email": "A@x", "n": 1},
            {"email": "b@x", "n": 2},
            {"email": "a@x", "n": 3}
        ])),
    )
    .await
    .unwrap();
    assert_eq!(
        out,
        json!([{"email": "A@x", "n": 1}, {"email": "b@x", "n": 2}])
    );
}

#[tokio::test]
async fn dedupe_bad_config_is_refused() {
    assert_config_error(
        run("data.dedupe", TestInput::new(json!({"by": 3, "items": []}))).await,
        "/by",
    );
}

#[tokio::test]
async fn split_passes_the_array_on_within_max_items() {
    let out = run(
        "data.split",
        TestInput::new(json!({"items": "{{ .input.rows }}"})).input(json!({"rows": [1, 2]})),
    )
    .await
    .unwrap();
    assert_eq!(out, json!([1, 2]));
    let e = run(
        "data.split",
        TestInput::new(json!({"items": [1, 2, 3], "max_items": 2})),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Permanent);
    assert!(e.message.contains("max_items"), "{e}");
}

#[tokio::test]
async fn split_bad_config_is_refused() {
    assert_config_error(
        run(
            "data.split",
            TestInput::new(json!({"items": [1], "max_items": "many"})),
        )
        .await,
        "/max_items",
    );
}

fn orders() -> Value {
    json!([
        {"country": "fr", "total": 10},
        {"country": "de", "total": 2.5},
        {"country": "fr", "total": 5},
        {"country": "it", "total": 1}
    ])
}

#[tokio::test]
async fn aggregate_without_and_with_groups() {
    let aggs = json!([
        {"name": "n", "op": "count"},
        {"name": "sum", "op": "sum", "field": ".item.total"},
        {"name": "avg", "op": "avg", "field": ".item.total"},
        {"name": "min", "op": "min", "field": ".item.total"},
        {"name": "max", "op": "max", "field": ".item.country"}
    ]);
    let out = run(
        "data.aggregate",
        TestInput::new(json!({"aggregations": aggs})).prev(orders()),
    )
    .await
    .unwrap();
    assert_eq!(
        out,
        json!({"n": 4, "sum": 18.5, "avg": 4.625, "min": 1, "max": "it"})
    );

    let out = run(
        "data.aggregate",
        TestInput::new(json!({
            "items": "{{ .input.orders }}",
            "group_by": ".item.country",
            "aggregations": [
                {"name": "n", "op": "count"},
                {"name": "sum", "op": "sum", "field": "{{ .item.total }}"}
            ]
        }))
        .input(json!({"orders": orders()})),
    )
    .await
    .unwrap();
    assert_eq!(
        out,
        json!([
            {"key": "fr", "n": 2, "sum": 15},
            {"key": "de", "n": 1, "sum": 2.5},
            {"key": "it", "n": 1, "sum": 1}
        ])
    );

    let out = run(
        "data.aggregate",
        TestInput::new(json!({"items": [], "aggregations": [
            {"name": "n", "op": "count"},
            {"name": "avg", "op": "avg", "field": ".item"},
            {"name": "sum", "op": "sum", "field": ".item"}
        ]})),
    )
    .await
    .unwrap();
    assert_eq!(out, json!({"n": 0, "avg": null, "sum": 0}));
}

#[tokio::test]
async fn aggregate_non_numbers_fail_naming_the_aggregation() {
    let e = run(
        "data.aggregate",
        TestInput::new(json!({"aggregations": [
            {"name": "revenue", "op": "sum", "field": ".item.country"}
        ]}))
        .prev(orders()),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Permanent);
    assert!(e.message.contains("`revenue`"), "{e}");
}

#[tokio::test]
async fn aggregate_bad_config_is_refused() {
    assert_config_error(
        run(
            "data.aggregate",
            TestInput::new(json!({"items": [], "aggregations": [{"name": "x", "op": "median"}]})),
        )
        .await,
        "/aggregations/0/op",
    );
    assert_config_error(
        run(
            "data.aggregate",
            TestInput::new(json!({"items": [], "aggregations": [{"name": "x", "op": "sum"}]})),
        )
        .await,
        "/aggregations/0/field",
    );
    let r = registry();
    let problems = r.check_config(
        "data.aggregate",
        &json!({"group_by": ".item.k", "aggregations": [
            {"name": "key", "op": "count"},
            {"name": "s", "op": "sum", "field": ".item |||"},
            {"name": "s", "op": "count"}
        ]}),
    );
    let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
    assert!(pointers.contains(&"/aggregations/0/name"), "{problems:?}");
    assert!(pointers.contains(&"/aggregations/1/field"), "{problems:?}");
    assert!(pointers.contains(&"/aggregations/2/name"), "{problems:?}");
}

#[tokio::test]
async fn join_inner_and_left() {
    let config = json!({
        "left": "{{ .input.orders }}",
        "right": [{"id": 1, "name": "ada"}, {"id": 2, "name": "bob"}, {"id": 1.0, "name": "ada2"}],
        "left_key": ".item.customer",
        "right_key": ".item.id"
    });
    let input = json!({"orders": [{"customer": 1.0}, {"customer": 3}, {"customer": null}, {"customer": 2}]});
    let out = run(
        "data.join",
        TestInput::new(config.clone()).input(input.clone()),
    )
    .await
    .unwrap();
    assert_eq!(
        out,
        json!([
            {"left": {"customer": 1}, "right": {"id": 1, "name": "ada"}},
            {"left": {"customer": 1}, "right": {"id": 1.0, "name": "ada2"}},
            {"left": {"customer": 2}, "right": {"id": 2, "name": "bob"}}
        ])
    );
    let mut left = config;
    left["mode"] = json!("left");
    let out = run("data.join", TestInput::new(left).input(input))
        .await
        .unwrap();
    let pairs = out.as_array().unwrap();
    assert_eq!(pairs.len(), 5);
    assert_eq!(pairs[2], json!({"left": {"customer": 3}, "right": null}));
    assert_eq!(pairs[3], json!({"left": {"customer": null}, "right": null}));
}

#[tokio::test]
async fn join_bad_config_is_refused() {
    assert_config_error(
        run(
            "data.join",
            TestInput::new(
                json!({"left": [], "right": {}, "left_key": ".item", "right_key": ".item"}),
            ),
        )
        .await,
        "/right",
    );
    assert_config_error(
        run(
            "data.join",
            TestInput::new(json!({"left": [], "right": [], "left_key": ".item", "right_key": ".item", "mode": "outer"})),
        )
        .await,
        "/mode",
    );
}

#[tokio::test]
async fn encode_and_decode_round_trip() {
    for (encoding, plain, encoded) in [
        ("base64", "hello?>", "aGVsbG8/Pg=="),
        ("base64url", "hello?>", "aGVsbG8_Pg"),
        ("hex", "hello", "68656c6c6f"),
        ("url", "a b&c/é~", "a%20b%26c%2F%C3%A9~"),
    ] {
        let out = run(
            "data.encode",
            TestInput::new(
                json!({"operation": "encode", "encoding": encoding, "value": "{{ .input.v }}"}),
            )
            .input(json!({"v": plain})),
        )
        .await
        .unwrap();
        assert_eq!(out, json!(encoded), "{encoding}");
        let out = run(
            "data.encode",
            TestInput::new(json!({"operation": "decode", "encoding": encoding, "value": encoded})),
        )
        .await
        .unwrap();
        assert_eq!(out, json!(plain), "{encoding}");
    }
}

#[tokio::test]
async fn encode_bad_input_and_config_are_refused() {
    for (encoding, bad) in [
        ("base64", "not base64!"),
        ("hex", "abc"),
        ("hex", "zz"),
        ("base64", "/w=="),
    ] {
        let e = run(
            "data.encode",
            TestInput::new(json!({"operation": "decode", "encoding": encoding, "value": bad})),
        )
        .await
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Permanent, "{encoding} {bad}: {e}");
    }
    assert_config_error(
        run(
            "data.encode",
            TestInput::new(json!({"operation": "encode", "encoding": "rot13", "value": "x"})),
        )
        .await,
        "/encoding",
    );
    assert_config_error(
        run(
            "data.encode",
            TestInput::new(json!({"operation": "encode", "encoding": "hex", "value": 5})),
        )
        .await,
        "/value",
    );
}

#[tokio::test]
async fn crypto_hashes_hmacs_uuids_and_random_bytes() {
    for (algorithm, digest) in [
        (
            "sha256",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        ),
        ("sha1", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        ("md5", "900150983cd24fb0d6963f7d28e17f72"),
    ] {
        let out = run(
            "data.crypto",
            TestInput::new(json!({"operation": "hash", "algorithm": algorithm, "value": "abc"})),
        )
        .await
        .unwrap();
        assert_eq!(out, json!(digest), "{algorithm}");
    }
    let out = run(
        "data.crypto",
        TestInput::new(json!({"operation": "hash", "algorithm": "sha512", "value": "abc", "encoding": "base64"})),
    )
    .await
    .unwrap();
    assert_eq!(out.as_str().unwrap().len(), 88);
    let out = run(
        "data.crypto",
        TestInput::new(json!({
            "operation": "hmac",
            "key": "{{ .vars.secret }}",
            "value": "The quick brown fox jumps over the lazy dog"
        }))
        .var("secret", json!("key")),
    )
    .await
    .unwrap();
    assert_eq!(
        out,
        json!("f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8")
    );
    let out = run("data.crypto", TestInput::new(json!({"operation": "uuid"})))
        .await
        .unwrap();
    let uuid = out.as_str().unwrap();
    assert_eq!((uuid.len(), &uuid[14..15]), (36, "4"));
    let out = run(
        "data.crypto",
        TestInput::new(json!({"operation": "random", "bytes": 16})),
    )
    .await
    .unwrap();
    assert_eq!(out.as_str().unwrap().len(), 32);
}

#[tokio::test]
async fn crypto_bad_config_is_refused() {
    assert_config_error(
        run("data.crypto", TestInput::new(json!({"operation": "hash"}))).await,
        "/value",
    );
    assert_config_error(
        run(
            "data.crypto",
            TestInput::new(json!({"operation": "hmac", "value": "x"})),
        )
        .await,
        "/key",
    );
    assert_config_error(
        run(
            "data.crypto",
            TestInput::new(json!({"operation": "random", "bytes": 2048})),
        )
        .await,
        "/bytes",
    );
    assert_config_error(
        run(
            "data.crypto",
            TestInput::new(json!({"operation": "hash", "algorithm": "crc32", "value": "x"})),
        )
        .await,
        "/algorithm",
    );
}

async fn datetime(config: Value) -> Result<Value, weft_core::NodeError> {
    run("data.datetime", TestInput::new(config)).await
}

#[tokio::test]
async fn datetime_operations() {
    let now = datetime(json!({"operation": "now"})).await.unwrap();
    assert!(now.as_str().unwrap().ends_with("+00:00"), "{now}");
    let year = datetime(json!({"operation": "now", "format": "%Y"}))
        .await
        .unwrap();
    assert_eq!(year.as_str().unwrap().len(), 4);

    assert_eq!(
        datetime(json!({"operation": "parse", "value": "28/11/2026 10:30", "format": "%d/%m/%Y %H:%M", "timezone": "Europe/Paris"}))
            .await
            .unwrap(),
        json!("2026-11-28T10:30:00+01:00")
    );
    assert_eq!(
        datetime(json!({"operation": "parse", "value": "2026-07-01T12:00:00Z", "timezone": "Europe/Paris"}))
            .await
            .unwrap(),
        json!("2026-07-01T14:00:00+02:00")
    );
    assert_eq!(
        datetime(json!({"operation": "format", "value": "2026-11-28T10:30:00Z", "format": "%A %d %B %Y, %H:%M %Z", "timezone": "America/New_York"}))
            .await
            .unwrap(),
        json!("Saturday 28 November 2026, 05:30 EST")
    );
    // Calendar arithmetic in the zone: one day across a DST change is 23 hours.
    assert_eq!(
        datetime(json!({"operation": "add", "value": "2026-03-28T12:00:00+01:00", "amount": 1, "unit": "days", "timezone": "Europe/Paris"}))
            .await
            .unwrap(),
        json!("2026-03-29T12:00:00+02:00")
    );
    assert_eq!(
        datetime(json!({"operation": "add", "value": "2026-01-31", "amount": 1, "unit": "months"}))
            .await
            .unwrap(),
        json!("2026-02-28T00:00:00+00:00")
    );
    assert_eq!(
        datetime(json!({"operation": "diff", "value": "2026-11-28T10:00:00Z", "other": "2026-11-28T11:30:00Z", "unit": "minutes"}))
            .await
            .unwrap(),
        json!(90)
    );
    assert_eq!(
        datetime(json!({"operation": "diff", "value": "2026-11-28T12:00:00Z", "other": "2026-11-28T00:00:00Z", "unit": "days"}))
            .await
            .unwrap(),
        json!(-0.5)
    );
}

#[tokio::test]
async fn datetime_bad_config_and_input_are_refused() {
    assert_config_error(
        datetime(json!({"operation": "now", "timezone": "Mars/Olympus"})).await,
        "/timezone",
    );
    assert_config_error(datetime(json!({"operation": "format"})).await, "/value");
    assert_config_error(
        datetime(json!({"operation": "add", "value": "2026-01-01"})).await,
        "/amount",
    );
    assert_config_error(
        datetime(
            json!({"operation": "add", "value": "2026-01-01", "amount": 1, "unit": "fortnights"}),
        )
        .await,
        "/unit",
    );
    let e = datetime(json!({"operation": "parse", "value": "yesterday"}))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Permanent, "{e}");
    assert!(e.message.contains("`value`"), "{e}");
}

//! `code.javascript`: the sandboxed JavaScript node, its results, its errors and, above all,
//! its sandbox and limits.

use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use weft_core::catalog::NodeCatalog;
use weft_core::{ErrorKind, NodeError};
use weft_nodes::code::{JavaScriptNode, JavaScriptOptions};
use weft_nodes::testing::{TestInput, run};
use weft_nodes::{LogLevel, NodeOptions, NodeOutput, Registry};

const TYPE: &str = "code.javascript";

fn node() -> JavaScriptNode {
    JavaScriptNode::new(JavaScriptOptions::default()).expect("default options")
}

async fn js(code: &str) -> Result<NodeOutput, NodeError> {
    run(&node(), TestInput::new(json!({ "code": code }))).await
}

async fn js_value(code: &str) -> Value {
    match js(code).await {
        Ok(out) => out.output,
        Err(e) => panic!("{code:?} failed: {e} {:?}", e.details),
    }
}

#[track_caller]
fn assert_error(result: Result<NodeOutput, NodeError>, kind: ErrorKind, needle: &str) -> NodeError {
    let e = match result {
        Ok(out) => panic!("should fail, got {}", out.output),
        Err(e) => e,
    };
    assert_eq!(e.kind, kind, "{e}");
    assert!(
        e.message.contains(needle),
        "{needle:?} not in {:?}",
        e.message
    );
    e
}

#[test]
fn registered_not_inline_and_fully_described() {
    let r = Registry::builtin(NodeOptions::default()).expect("registry");
    assert!(!r.runs_inline(TYPE), "scripts are never run inline");
    let spec = r.spec(TYPE).expect("code.javascript is registered");
    assert_eq!(spec.raw_fields, vec!["code".to_string()]);
    for (name, prop) in spec.schema["properties"].as_object().unwrap() {
        assert!(prop["title"].is_string(), "{name} title");
        assert!(prop["description"].is_string(), "{name} description");
    }
    assert_eq!(
        spec.schema["properties"]["timeout_ms"]["maximum"],
        json!(5000)
    );
    assert_eq!(
        spec.schema["properties"]["memory_limit_mb"]["maximum"],
        json!(64)
    );
    assert!(
        r.check_config(TYPE, &json!({"code": "return 1"}))
            .is_empty()
    );
}

#[tokio::test]
async fn runs_through_the_registry_as_the_engine_runs_it() {
    let r = Registry::builtin(NodeOptions::default()).expect("registry");
    let input = TestInput::new(json!({"code": "console.info('hi'); return input.n * 2"}))
        .input(json!({"n": 21}))
        .build(r.spec(TYPE).unwrap())
        .expect("input");
    let out = r.run(TYPE, input).await.expect("runs");
    assert_eq!(out.output, json!(42));
    assert_eq!(out.logs.len(), 1);
    assert_eq!(out.logs[0].message, "hi");
}

#[test]
fn unusable_operator_options_are_refused() {
    let e = JavaScriptNode::new(JavaScriptOptions {
        max_concurrent: 0,
        ..JavaScriptOptions::default()
    })
    .unwrap_err();
    assert!(e.contains("max_concurrent"), "{e}");
}

#[tokio::test]
async fn success_sees_the_context_and_logs_to_the_console() {
    let code = r#"
        const total = prev.items.reduce((sum, i) => sum + i.price, 0);
        console.log('total is', total, { currency: input.currency });
        console.warn('careful');
        console.error(new TypeError('not really'));
        console.debug([1, 2], null, undefined, true);
        return {
            total,
            currency: input.currency,
            user: nodes.fetch_user.name.toUpperCase(),
            region: vars.region,
            item, index,
            execution: typeof execution.id,
        };
    "#;
    let out = run(
        &node(),
        TestInput::new(json!({ "code": code }))
            .input(json!({"currency": "EUR"}))
            .prev(json!({"items": [{"price": 2}, {"price": 3.5}]}))
            .node_output("fetch_user", json!({"name": "ada"}))
            .var("region", json!("eu"))
            .item(json!({"sku": "a"}), 2),
    )
    .await
    .expect("runs");
    assert_eq!(
        out.output,
        json!({
            "total": 5.5, "currency": "EUR", "user": "ADA", "region": "eu",
            "item": {"sku": "a"}, "index": 2, "execution": "string",
        })
    );
    assert_eq!(out.ports, vec!["main".to_string()]);
    let logs: Vec<(LogLevel, &str)> = out
        .logs
        .iter()
        .map(|l| (l.level, l.message.as_str()))
        .collect();
    assert_eq!(
        logs,
        vec![
            (LogLevel::Info, r#"total is 5.5 {"currency":"EUR"}"#),
            (LogLevel::Warn, "careful"),
            (LogLevel::Error, "TypeError: not really"),
            (LogLevel::Debug, "[1,2] null undefined true"),
        ]
    );
}

#[tokio::test]
async fn async_code_is_awaited() {
    let code = r#"
        async function double(x) { await null; return x * 2; }
        const a = await Promise.resolve(20);
        const [b, c] = await Promise.all([double(a), Promise.resolve(1)]);
        return new Promise(resolve => resolve({ a, b, c }));
    "#;
    assert_eq!(js_value(code).await, json!({"a": 20, "b": 40, "c": 1}));
}

#[tokio::test]
async fn outputs_are_plain_json() {
    assert_eq!(js_value("console.log('no return')").await, Value::Null);
    assert_eq!(js_value("return undefined").await, Value::Null);
    assert_eq!(
        js_value("return { d: new Date(0), n: NaN, skip: undefined, list: [undefined, 1] }").await,
        json!({"d": "1970-01-01T00:00:00.000Z", "n": null, "list": [null, 1]})
    );
    assert_eq!(js_value("return 'text'").await, json!("text"));
    assert_eq!(
        js_value("return [1, 'two', false]").await,
        json!([1, "two", false])
    );
    // Template syntax in the code is JavaScript text, never rendered.
    assert_eq!(
        js_value("return '{{ .input }}'").await,
        json!("{{ .input }}")
    );
}

#[tokio::test]
async fn outputs_that_are_not_json_are_refused() {
    let e = assert_error(
        js("return { f() { return 1 } }").await,
        ErrorKind::Permanent,
        "not JSON data",
    );
    assert!(e.message.contains("`f` is a function"), "{e}");
    assert_error(
        js("return () => 1").await,
        ErrorKind::Permanent,
        "is a function",
    );
    assert_error(
        js("const a = {}; a.self = a; return a").await,
        ErrorKind::Permanent,
        "circular",
    );
    assert_error(
        js("return 10n").await,
        ErrorKind::Permanent,
        "not JSON data",
    );
}

#[tokio::test]
async fn exceptions_are_permanent_with_the_message_and_line() {
    let code = "const x = 1;\nfunction check(v) {\n  throw new RangeError('bad value ' + v);\n}\nconsole.log('before');\ncheck(x);";
    let e = assert_error(
        js(code).await,
        ErrorKind::Permanent,
        "RangeError: bad value 1",
    );
    assert!(e.message.contains("(line 3, column"), "{e}");
    let details = e.details.expect("details");
    let stack = details["stack"].as_str().expect("stack");
    assert!(stack.starts_with("at check (line 3, column"), "{stack}");
    assert!(stack.contains("at <script> (line 6, column"), "{stack}");
    assert_eq!(
        details["logs"],
        json!([{"level": "info", "message": "before"}])
    );

    assert_error(js("null.foo").await, ErrorKind::Permanent, "TypeError");
    // A huge message is cut, not copied into the error whole.
    let e = assert_error(
        js("throw new Error('x'.repeat(10 * 1024 * 1024))").await,
        ErrorKind::Permanent,
        "Error: xxx",
    );
    assert!(e.message.len() < 4096, "{} bytes", e.message.len());
    assert_error(
        js("throw 'plain'").await,
        ErrorKind::Permanent,
        r#"script threw "plain""#,
    );
    assert_error(
        js("await Promise.reject(new Error('rejected'))").await,
        ErrorKind::Permanent,
        "Error: rejected",
    );
}

#[tokio::test]
async fn bad_config_syntax_error_names_code() {
    let r = Registry::builtin(NodeOptions::default()).expect("registry");
    // Design time: compiled (never run) by the registry's check.
    let problems = r.check_config(TYPE, &json!({"code": "const a = 1;\nreturn (a +;"}));
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].pointer, "/code");
    assert!(problems[0].message.contains("SyntaxError"), "{problems:?}");
    assert!(problems[0].message.contains("line 2"), "{problems:?}");
    let problems = r.check_config(TYPE, &json!({"code": "if (true) {"}));
    assert_eq!(problems[0].pointer, "/code");
    assert!(
        problems[0].message.contains("end of the code"),
        "{problems:?}"
    );
    // A static import is not allowed either: the code is a function body.
    let problems = r.check_config(TYPE, &json!({"code": "import os from 'os';"}));
    assert_eq!(problems[0].pointer, "/code", "{problems:?}");

    // Run time.
    let e = assert_error(
        js("return {").await,
        ErrorKind::Config,
        "invalid code.javascript config: /code: SyntaxError",
    );
    assert!(e.message.contains("end of the code"), "{e}");
    assert_error(
        run(&node(), TestInput::new(json!({}))).await,
        ErrorKind::Config,
        "code",
    );
}

#[tokio::test]
async fn bad_config_limits_out_of_range_name_the_field() {
    let r = Registry::builtin(NodeOptions::default()).expect("registry");
    for (field, value) in [
        ("timeout_ms", 60_000),
        ("timeout_ms", 0),
        ("memory_limit_mb", 1024),
    ] {
        let config = json!({"code": "return 1", field: value});
        let problems = r.check_config(TYPE, &config);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].pointer, format!("/{field}"), "{problems:?}");
        assert_error(
            run(&node(), TestInput::new(config)).await,
            ErrorKind::Config,
            &format!("/{field}"),
        );
    }
    let big = "x".repeat(300 * 1024);
    let problems = r.check_config(TYPE, &json!({"code": format!("// {big}")}));
    assert_eq!(problems[0].pointer, "/code");
    assert!(
        problems[0].message.contains("the limit is 262144 bytes"),
        "{problems:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Security: the sandbox and its limits.
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn an_endless_loop_is_stopped_at_its_limit() {
    let started = Instant::now();
    let e = assert_error(
        run(
            &node(),
            TestInput::new(json!({"code": "while (true) {}", "timeout_ms": 200})),
        )
        .await,
        ErrorKind::Timeout,
        "script exceeded its 200 ms limit",
    );
    assert!(started.elapsed() < Duration::from_secs(5), "{e}");

    // The node's own timeout caps the script's limit too.
    let started = Instant::now();
    assert_error(
        run(
            &node(),
            TestInput::new(json!({"code": "for (;;) { Math.sqrt(2) }"}))
                .timeout(Duration::from_millis(300)),
        )
        .await,
        ErrorKind::Timeout,
        "script exceeded its 300 ms limit",
    );
    assert!(started.elapsed() < Duration::from_secs(5));

    // Reading what was thrown runs the script's getters: they are held to the limit too.
    let started = Instant::now();
    assert_error(
        run(
            &node(),
            TestInput::new(json!({
                "code": "const e = new Error('x'); Object.defineProperty(e, 'message', { get() { for (;;) {} } }); throw e",
                "timeout_ms": 200
            })),
        )
        .await,
        ErrorKind::Timeout,
        "200 ms",
    );
    assert!(started.elapsed() < Duration::from_secs(5));

    // So is turning the output (or a console argument) into JSON.
    for code in [
        "return { toJSON() { for (;;) {} } }",
        "console.log({ toJSON() { for (;;) {} } }); return 1",
    ] {
        let started = Instant::now();
        assert_error(
            run(
                &node(),
                TestInput::new(json!({"code": code, "timeout_ms": 200})),
            )
            .await,
            ErrorKind::Timeout,
            "200 ms",
        );
        assert!(started.elapsed() < Duration::from_secs(5), "{code}");
    }

    // Catching the interruption is not possible.
    let started = Instant::now();
    assert_error(
        run(
            &node(),
            TestInput::new(json!({
                "code": "for (;;) { try { while (true) {} } catch (e) { console.log('caught', e) } }",
                "timeout_ms": 200
            })),
        )
        .await,
        ErrorKind::Timeout,
        "200 ms",
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn awaiting_forever_is_stopped() {
    // Nothing in the sandbox can ever resolve this promise: the wall clock ends it.
    let started = Instant::now();
    assert_error(
        run(
            &node(),
            TestInput::new(
                json!({"code": "await new Promise(() => {}); return 1", "timeout_ms": 200}),
            ),
        )
        .await,
        ErrorKind::Timeout,
        "200 ms limit",
    );
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(150), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");

    // An endless chain of awaits keeps the job queue busy: stopped by the deadline.
    let started = Instant::now();
    assert_error(
        run(
            &node(),
            TestInput::new(json!({
                "code": "async function spin() { for (;;) await null } await spin()",
                "timeout_ms": 200
            })),
        )
        .await,
        ErrorKind::Timeout,
        "200 ms",
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_huge_allocation_is_refused_and_the_process_survives() {
    assert_error(
        js("return new Array(1e9).fill(0).length").await,
        ErrorKind::Permanent,
        "script exceeded its 64 MiB memory limit",
    );
    assert_error(
        js("const parts = []; for (;;) parts.push({ n: parts.length, s: 'x' + parts.length })")
            .await,
        ErrorKind::Permanent,
        "script exceeded its 64 MiB memory limit",
    );
    assert_error(
        js("return new ArrayBuffer(1 << 30).byteLength").await,
        ErrorKind::Permanent,
        "memory limit",
    );
    // 1 GiB of text is past QuickJS's longest string: refused before allocating.
    let e = js("return 'x'.repeat(1 << 30).length").await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Permanent, "{e}");
    assert!(e.message.contains("invalid string length"), "{e}");
    assert_error(
        js("return 'x'.repeat((1 << 30) - 1).length").await,
        ErrorKind::Permanent,
        "memory limit",
    );
    // A config may lower the limit.
    assert_error(
        run(
            &node(),
            TestInput::new(json!({
                "code": "return new Uint8Array(16 * 1024 * 1024).length",
                "memory_limit_mb": 8
            })),
        )
        .await,
        ErrorKind::Permanent,
        "script exceeded its 8 MiB memory limit",
    );
    // Catching the failure does not lift the limit, and the process is fine afterwards.
    assert_eq!(
        js_value("try { new ArrayBuffer(1 << 30) } catch (e) { return String(e) }").await,
        json!("InternalError: out of memory")
    );
    assert_eq!(
        js_value("return [1, 2, 3].map(x => x * 2)").await,
        json!([2, 4, 6])
    );
}

#[tokio::test]
async fn deep_recursion_hits_the_stack_limit_not_the_process() {
    assert_error(
        js("function down(n) { return down(n + 1) + 1 } return down(0)").await,
        ErrorKind::Permanent,
        "Maximum call stack size exceeded",
    );
    assert_error(
        js("return JSON.parse('['.repeat(1e6) + ']'.repeat(1e6))").await,
        ErrorKind::Permanent,
        "Maximum call stack size exceeded",
    );
    let e = js("let a = []; for (let i = 0; i < 1e5; i++) a = [a]; return a").await;
    assert!(e.is_err(), "too deep to be JSON");
    let deep_source = format!("return {}1{}", "[".repeat(100_000), "]".repeat(100_000));
    let r = Registry::builtin(NodeOptions::default()).expect("registry");
    let problems = r.check_config(TYPE, &json!({ "code": deep_source }));
    assert_eq!(problems[0].pointer, "/code", "{problems:?}");
    assert_eq!(js_value("return 'still alive'").await, json!("still alive"));
}

#[tokio::test]
async fn the_function_constructor_cannot_reach_anything() {
    for code in [
        "return constructor.constructor('return process')()",
        "return (function () {}).constructor('return process')()",
        "return (async function () {}).constructor('return process')()",
        "return (function* () {}).constructor('return process')().next()",
        "return Object.getPrototypeOf(async function* () {}).constructor('return 1')",
        "return Reflect.construct(Function, ['return globalThis'])()",
    ] {
        match js(code).await {
            Err(e) => assert_eq!(e.kind, ErrorKind::Permanent, "{code}: {e}"),
            Ok(out) => assert!(out.output.is_null(), "{code} returned {}", out.output),
        }
    }
    assert_error(
        js("return constructor.constructor('return process')()").await,
        ErrorKind::Permanent,
        "eval is not supported",
    );
}

#[tokio::test]
async fn eval_and_function_are_unavailable() {
    assert_error(
        js("return eval('1+1')").await,
        ErrorKind::Permanent,
        "eval is not supported",
    );
    assert_error(
        js("return (0, eval)('1+1')").await,
        ErrorKind::Permanent,
        "eval is not supported",
    );
    assert_error(
        js("return new Function('return 1')()").await,
        ErrorKind::Permanent,
        "eval is not supported",
    );
    assert_error(
        js("return new RegExp('a').constructor.constructor.constructor('return 1')()").await,
        ErrorKind::Permanent,
        "eval is not supported",
    );
}

#[tokio::test]
async fn no_host_objects_exist() {
    let code = r#"
        return [typeof require, typeof process, typeof fetch, typeof XMLHttpRequest,
                typeof std, typeof os, typeof module, typeof exports, typeof setTimeout,
                typeof Deno, typeof Bun, typeof WebAssembly, typeof performance,
                typeof this, typeof globalThis.scriptArgs, typeof print];
    "#;
    assert_eq!(js_value(code).await, json!(vec!["undefined"; 16]));
    assert_error(
        js("return await import('os')").await,
        ErrorKind::Permanent,
        "os",
    );
    assert_error(
        js("return await import('./x.js')").await,
        ErrorKind::Permanent,
        "x.js",
    );
    assert_error(
        js("return await import('data:text/javascript,export default 1')").await,
        ErrorKind::Permanent,
        "could not load module",
    );
    assert_error(
        js("return Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)").await,
        ErrorKind::Permanent,
        "cannot block",
    );
}

#[tokio::test]
async fn the_global_object_holds_only_standard_builtins_and_the_scope() {
    const ALLOWED: &[&str] = &[
        // The language's own.
        "Object",
        "Function",
        "Error",
        "EvalError",
        "RangeError",
        "ReferenceError",
        "SyntaxError",
        "TypeError",
        "URIError",
        "InternalError",
        "AggregateError",
        "SuppressedError",
        "Iterator",
        "Array",
        "parseInt",
        "parseFloat",
        "isNaN",
        "isFinite",
        "queueMicrotask",
        "decodeURI",
        "decodeURIComponent",
        "encodeURI",
        "encodeURIComponent",
        "escape",
        "unescape",
        "Infinity",
        "NaN",
        "undefined",
        "eval",
        "Number",
        "Boolean",
        "String",
        "Math",
        "Reflect",
        "Symbol",
        "DisposableStack",
        "AsyncDisposableStack",
        "globalThis",
        "BigInt",
        "Date",
        "RegExp",
        "JSON",
        "Proxy",
        "Map",
        "Set",
        "WeakMap",
        "WeakSet",
        "ArrayBuffer",
        "SharedArrayBuffer",
        "Uint8ClampedArray",
        "Int8Array",
        "Uint8Array",
        "Int16Array",
        "Uint16Array",
        "Int32Array",
        "Uint32Array",
        "BigInt64Array",
        "BigUint64Array",
        "Float16Array",
        "Float32Array",
        "Float64Array",
        "DataView",
        "Atomics",
        "Promise",
        "Symbol(Symbol.toStringTag)",
        // Ours.
        "input",
        "prev",
        "nodes",
        "item",
        "index",
        "vars",
        "execution",
        "console",
    ];
    let names = js_value(
        "return [...Object.getOwnPropertyNames(globalThis), \
                 ...Object.getOwnPropertySymbols(globalThis).map(String)]",
    )
    .await;
    let names: Vec<&str> = names
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    let extra: Vec<&&str> = names.iter().filter(|n| !ALLOWED.contains(n)).collect();
    assert!(extra.is_empty(), "unexpected globals: {extra:?}");
    assert!(names.contains(&"console") && names.contains(&"input"));
    assert_eq!(
        js_value("return Object.keys(console).sort()").await,
        json!(["debug", "error", "info", "log", "warn"])
    );
}

#[tokio::test]
async fn console_output_is_capped() {
    let out = js("for (let i = 0; i < 150; i++) console.log('line', i); console.log('x'.repeat(10000)); return 1")
        .await
        .expect("runs");
    assert_eq!(out.logs.len(), 101);
    assert_eq!(out.logs[99].message, "line 99");
    assert_eq!(out.logs[100].level, LogLevel::Warn);
    assert!(
        out.logs[100]
            .message
            .starts_with("51 more console line(s) dropped"),
        "{:?}",
        out.logs[100]
    );

    let out = js("console.log('y'.repeat(10000))").await.expect("runs");
    assert!(out.logs[0].message.len() < 4200);
    assert!(out.logs[0].message.ends_with("(truncated)"));
}

#[tokio::test]
async fn large_outputs_are_refused() {
    let small = JavaScriptNode::new(JavaScriptOptions {
        max_output_bytes: 1000,
        ..JavaScriptOptions::default()
    })
    .unwrap();
    let e = run(
        &small,
        TestInput::new(json!({"code": "return 'x'.repeat(2000)"})),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Permanent);
    assert!(e.message.contains("the limit is 1000 bytes"), "{e}");
}

/// The test runtime is single-threaded: if a script ran on it, the ticker could not tick.
#[tokio::test]
async fn scripts_run_off_the_async_threads() {
    let node = Arc::new(
        JavaScriptNode::new(JavaScriptOptions {
            max_concurrent: 4,
            ..JavaScriptOptions::default()
        })
        .unwrap(),
    );
    let ticks = Arc::new(AtomicUsize::new(0));
    let ticker = {
        let ticks = Arc::clone(&ticks);
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(Duration::from_millis(10));
            loop {
                interval.tick().await;
                ticks.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    let started = Instant::now();
    let runs = (0..4).map(|i| {
        let node = Arc::clone(&node);
        async move {
            let code = format!("let n = {i}; while (true) {{ n = (n * 31 + 7) % 1000003 }}");
            run(
                node.as_ref(),
                TestInput::new(json!({"code": code, "timeout_ms": 500})),
            )
            .await
        }
    });
    let results = futures::future::join_all(runs).await;
    let elapsed = started.elapsed();
    ticker.abort();
    for r in results {
        assert_eq!(r.unwrap_err().kind, ErrorKind::Timeout);
    }
    let ticks = ticks.load(Ordering::Relaxed);
    println!(
        "4 CPU-bound scripts at once took {elapsed:?}; the async ticker ticked {ticks} times meanwhile"
    );
    assert!(
        ticks >= 5,
        "the async runtime was blocked: {ticks} ticks in {elapsed:?}"
    );

    // And four ordinary scripts at once all finish.
    let runs = (0..4).map(|i| {
        let node = Arc::clone(&node);
        async move {
            run(
                node.as_ref(),
                TestInput::new(json!({"code": format!("return {i} * 2")})),
            )
            .await
        }
    });
    let outputs: Vec<Value> = futures::future::join_all(runs)
        .await
        .into_iter()
        .map(|r| r.expect("runs").output)
        .collect();
    assert_eq!(outputs, vec![json!(0), json!(2), json!(4), json!(6)]);
}

/// Informal: what one run of a trivial script costs (a thread, a fresh runtime, compiling,
/// running), measured around `Node::run` alone. Printed, not asserted (run with
/// `--nocapture` to see it).
#[tokio::test]
async fn per_run_overhead_is_printed() {
    use weft_nodes::Node;
    let node = node();
    let runs: u32 = 100;
    let mut total = Duration::ZERO;
    for i in 0..runs {
        let input = TestInput::new(json!({"code": "return 1 + 1"}))
            .build_for(&node)
            .expect("input");
        let started = Instant::now();
        let out = node.run(input).await;
        total += started.elapsed();
        assert_eq!(out.expect("runs").output, json!(2), "run {i}");
    }
    println!(
        "code.javascript: {runs} trivial runs, {:?} per run (debug build)",
        total / runs
    );
}

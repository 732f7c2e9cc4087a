//! `http.request` against a local server: parsing, headers, error classification, limits and
//! the address guard (including redirects). The server binds 127.0.0.1:0, so every test
//! allows `127.0.0.1` explicitly, except the ones checking that loopback is refused.
//!
//! Forbidden redirect targets used here are loopback addresses (127.0.0.2, localhost): had
//! the guard a hole, the request would still stay on this machine.

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{any, get};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;
use weft_core::catalog::NodeCatalog;
use weft_core::{ErrorKind, ExecutionId, NodeError};
use weft_nodes::testing::TestInput;
use weft_nodes::{AllowList, HttpOptions, NodeOptions, NodeOutput, Registry};

const TYPE: &str = "http.request";

async fn echo(request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let headers: Map<String, Value> = parts
        .headers
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v.to_str().unwrap_or("<binary>"))))
        .collect();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    axum::Json(json!({
        "method": parts.method.as_str(),
        "query": parts.uri.query(),
        "headers": headers,
        "idempotency_keys": parts.headers.get_all("idempotency-key").iter().count(),
        "body": String::from_utf8_lossy(&body),
    }))
    .into_response()
}

async fn status(Path(code): Path<u16>) -> Response {
    let code = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (code, format!("oops {}", code.as_u16())).into_response()
}

async fn redirect(Query(q): Query<HashMap<String, String>>) -> Response {
    Redirect::temporary(q.get("to").map_or("/", String::as_str)).into_response()
}

/// A body of `n` bytes sent in 1 KiB chunks with no Content-Length, so only the streaming
/// cap can catch it.
async fn stream(Path(n): Path<usize>) -> Response {
    let chunks = (0..n.div_ceil(1024)).map(move |i| {
        let len = 1024.min(n - i * 1024);
        Ok::<_, std::io::Error>(vec![b'x'; len])
    });
    Body::from_stream(futures::stream::iter(chunks)).into_response()
}

fn app() -> Router {
    Router::new()
        .route(
            "/json",
            get(|| async { axum::Json(json!({"ok": true, "n": 1})) }),
        )
        .route("/text", get(|| async { "plain text" }))
        .route("/echo", any(echo))
        .route("/status/{code}", any(status))
        .route(
            "/big/{n}",
            get(|n: Path<usize>| async move { vec![b'x'; n.0] }),
        )
        .route("/stream/{n}", get(stream))
        .route("/redirect", get(redirect))
        .route("/loop", get(|| async { Redirect::temporary("/loop") }))
        // Never answers: the node's time limit is the only way out.
        .route("/hang", get(std::future::pending::<&'static str>))
        .route(
            "/headers",
            get(|| async {
                let mut h = HeaderMap::new();
                h.insert("X-Custom", "one".parse().unwrap());
                h.append("x-multi", "a".parse().unwrap());
                h.append("x-multi", "b".parse().unwrap());
                (h, [(header::CONTENT_TYPE, "text/plain")], "[1,2]")
            }),
        )
}

struct Server {
    addr: SocketAddr,
}

impl Server {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("local addr");
        tokio::spawn(async move { axum::serve(listener, app()).await });
        Server { addr }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn port(&self) -> u16 {
        self.addr.port()
    }
}

fn registry_with(options: HttpOptions) -> Registry {
    Registry::builtin(NodeOptions {
        http: options,
        ..NodeOptions::default()
    })
    .expect("registry")
}

fn allowing(list: &str) -> Registry {
    registry_with(HttpOptions {
        allow: AllowList::parse(list).unwrap(),
        ..HttpOptions::default()
    })
}

async fn request(r: &Registry, input: TestInput) -> Result<NodeOutput, NodeError> {
    let input = input
        .build(r.spec(TYPE).unwrap())
        .map_err(NodeError::from)?;
    r.run(TYPE, input).await
}

async fn call(r: &Registry, config: Value) -> Result<Value, NodeError> {
    request(r, TestInput::new(config)).await.map(|o| o.output)
}

#[tokio::test]
async fn json_responses_are_parsed() {
    let server = Server::start().await;
    let r = allowing("127.0.0.1");
    let out = call(&r, json!({"url": server.url("/json")})).await.unwrap();
    assert_eq!(out["status"], 200);
    assert_eq!(out["body"], json!({"ok": true, "n": 1}));
    assert_eq!(out["headers"]["content-type"], "application/json");
}

#[tokio::test]
async fn headers_are_lower_case_and_text_mode_keeps_the_body() {
    let server = Server::start().await;
    let r = allowing("127.0.0.1");
    let out = call(&r, json!({"url": server.url("/headers")}))
        .await
        .unwrap();
    assert_eq!(out["headers"]["x-custom"], "one");
    assert_eq!(out["headers"]["x-multi"], "a, b");
    assert_eq!(
        out["body"],
        json!([1, 2]),
        "auto parses a body that is JSON"
    );
    let out = call(
        &r,
        json!({"url": server.url("/headers"), "response": "text"}),
    )
    .await
    .unwrap();
    assert_eq!(out["body"], "[1,2]");
    let out = call(&r, json!({"url": server.url("/text")})).await.unwrap();
    assert_eq!(out["body"], "plain text");
}

#[tokio::test]
async fn sends_idempotency_key_user_agent_query_and_json_body() {
    let server = Server::start().await;
    let r = allowing("127.0.0.1");
    let execution = ExecutionId::new();
    let input = TestInput::new(json!({
        "method": "POST",
        "url": server.url("/echo"),
        "query": {"q": "a b", "n": 2, "on": true},
        "headers": {"X-Trace": "t-{{ .input.id }}"},
        "body": {"id": "{{ .input.id }}"}
    }))
    .input(json!({"id": 7}))
    .execution_id(execution)
    .node_path("each[2]/notify");
    let out = request(&r, input).await.unwrap().output;
    let echoed = &out["body"];
    assert_eq!(echoed["method"], "POST");
    assert_eq!(echoed["query"], "q=a+b&n=2&on=true");
    assert_eq!(
        echoed["headers"]["idempotency-key"],
        format!("{execution}/each[2]/notify")
    );
    assert_eq!(echoed["idempotency_keys"], 1);
    assert!(
        echoed["headers"]["user-agent"]
            .as_str()
            .unwrap()
            .starts_with("weft/")
    );
    assert_eq!(echoed["headers"]["x-trace"], "t-7");
    assert_eq!(echoed["headers"]["content-type"], "application/json");
    assert_eq!(echoed["body"], r#"{"id":7}"#);
}

#[tokio::test]
async fn a_string_body_is_sent_as_text_and_user_headers_win() {
    let server = Server::start().await;
    let r = allowing("127.0.0.1");
    let out = call(
        &r,
        json!({"method": "PUT", "url": server.url("/echo"), "body": "hello",
               "headers": {"Idempotency-Key": "mine", "User-Agent": "custom/1"}}),
    )
    .await
    .unwrap();
    let echoed = &out["body"];
    assert_eq!(echoed["body"], "hello");
    assert_eq!(
        echoed["headers"]["content-type"],
        "text/plain; charset=utf-8"
    );
    assert_eq!(echoed["headers"]["idempotency-key"], "mine");
    assert_eq!(echoed["idempotency_keys"], 1);
    assert_eq!(echoed["headers"]["user-agent"], "custom/1");
}

#[tokio::test]
async fn server_errors_and_429_are_transient() {
    let server = Server::start().await;
    let r = allowing("127.0.0.1");
    for code in [500, 503, 429] {
        let e = call(&r, json!({"url": server.url(&format!("/status/{code}"))}))
            .await
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Transient, "{code}: {e}");
        assert!(e.message.contains(&code.to_string()), "{e}");
        let details = e.details.expect("details");
        assert_eq!(details["status"], code);
        assert_eq!(details["body"], format!("oops {code}"));
    }
}

#[tokio::test]
async fn client_errors_are_permanent() {
    let server = Server::start().await;
    let r = allowing("127.0.0.1");
    for code in [400, 404, 422] {
        let e = call(&r, json!({"url": server.url(&format!("/status/{code}"))}))
            .await
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Permanent, "{code}: {e}");
        assert_eq!(e.details.expect("details")["status"], code);
    }
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let server = Server::start().await;
    let r = allowing("127.0.0.1");
    let e = call(&r, json!({"url": server.url("/hang"), "timeout_ms": 200}))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Timeout, "{e}");
    assert!(e.message.contains("200 ms"), "{e}");

    // The engine's node timeout applies too, when it is the shorter one.
    let input =
        TestInput::new(json!({"url": server.url("/hang")})).timeout(Duration::from_millis(150));
    let e = request(&r, input).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Timeout, "{e}");
    assert!(e.message.contains("150 ms"), "{e}");
}

#[tokio::test]
async fn oversized_responses_are_refused() {
    let server = Server::start().await;
    let r = registry_with(HttpOptions {
        allow: AllowList::parse("127.0.0.1").unwrap(),
        max_response_bytes: 4096,
        ..HttpOptions::default()
    });
    assert!(
        call(
            &r,
            json!({"url": server.url("/big/4096"), "response": "text"})
        )
        .await
        .is_ok()
    );
    for path in ["/big/5000", "/stream/10000"] {
        let e = call(&r, json!({"url": server.url(path)}))
            .await
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Permanent, "{path}: {e}");
        assert_eq!(e.message, "response larger than 4096 bytes");
    }
}

#[tokio::test]
async fn loopback_is_refused_without_an_allow_list() {
    let server = Server::start().await;
    let r = registry_with(HttpOptions::default());
    for url in [
        server.url("/json"),
        format!("http://[::ffff:127.0.0.1]:{}/json", server.port()),
    ] {
        let e = call(&r, json!({"url": url})).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Permanent, "{e}");
        assert!(e.message.contains("loopback"), "{e}");
        assert!(e.message.contains("WEFT_HTTP_ALLOW"), "{e}");
    }
}

#[tokio::test]
async fn loopback_is_reached_when_allowed() {
    let server = Server::start().await;
    for allow in ["127.0.0.1", "127.0.0.0/8"] {
        let out = call(&allowing(allow), json!({"url": server.url("/json")}))
            .await
            .unwrap();
        assert_eq!(out["status"], 200, "{allow}");
    }
}

#[tokio::test]
async fn localhost_is_refused_unless_allowed_by_name() {
    let server = Server::start().await;
    let url = format!("http://localhost:{}/json", server.port());
    for r in [registry_with(HttpOptions::default()), allowing("127.0.0.1")] {
        let e = call(&r, json!({"url": url})).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Permanent, "{e}");
        assert!(
            e.message.contains("localhost") && e.message.contains("loopback"),
            "{e}"
        );
    }
    let out = call(&allowing("localhost"), json!({"url": url}))
        .await
        .unwrap();
    assert_eq!(out["body"]["ok"], true);
}

#[tokio::test]
async fn redirects_to_forbidden_targets_are_refused() {
    let server = Server::start().await;
    let r = allowing("127.0.0.1");
    // Followed while the target stays allowed.
    let to_allowed = format!("{}?to={}", server.url("/redirect"), server.url("/json"));
    let out = call(&r, json!({"url": to_allowed})).await.unwrap();
    assert_eq!(out["body"]["ok"], true);

    for target in [
        format!("http://127.0.0.2:{}/json", server.port()),
        format!("http://[::1]:{}/json", server.port()),
        format!("http://localhost:{}/json", server.port()),
    ] {
        let url = format!("{}?to={target}", server.url("/redirect"));
        let e = call(&r, json!({"url": url})).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Permanent, "{target}: {e}");
        assert!(
            e.message.contains("loopback") && e.message.contains("WEFT_HTTP_ALLOW"),
            "{e}"
        );
    }

    let e = call(&r, json!({"url": server.url("/loop")}))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Permanent, "{e}");
    assert!(e.message.contains("10 redirects"), "{e}");
}

#[tokio::test]
async fn connection_failures_are_transient() {
    // A port nobody listens on: bind one, then free it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let r = allowing("127.0.0.1");
    let e = call(&r, json!({"url": format!("http://127.0.0.1:{port}/")}))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Transient, "{e}");
    assert!(e.message.contains("could not connect"), "{e}");
}

#[tokio::test]
async fn bad_urls_are_config_errors() {
    let r = allowing("127.0.0.1");
    for url in ["not a url", "ftp://127.0.0.1/file", "http://"] {
        let e = call(&r, json!({"url": url})).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Config, "{url}: {e}");
        assert!(e.message.contains("/url"), "{e}");
    }
    let e = call(
        &r,
        json!({"url": "http://127.0.0.1:1/", "headers": {"X": "a\nb"}}),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Config, "{e}");
    assert!(e.message.contains("/headers/X"), "{e}");
}

#[tokio::test]
async fn auth_comes_from_a_credential_and_never_shows_in_the_output() {
    let server = Server::start().await;
    let r = allowing("127.0.0.1");
    let echo = server.url("/echo");
    for (auth, credential, header, sent) in [
        (
            json!({"credential": "api"}),
            json!("tok-canary-1"),
            "authorization",
            "Bearer tok-canary-1",
        ),
        (
            json!({"credential": "api", "type": "basic"}),
            json!({"username": "ada", "password": "pw-canary-2"}),
            "authorization",
            "Basic YWRhOnB3LWNhbmFyeS0y",
        ),
        (
            json!({"credential": "api", "type": "header", "header": "X-Api-Key"}),
            json!({"value": "key-canary-3"}),
            "x-api-key",
            "key-canary-3",
        ),
    ] {
        let out = request(
            &r,
            TestInput::new(json!({"url": echo, "auth": auth})).credential("api", credential),
        )
        .await
        .unwrap()
        .output;
        let got = out["body"]["headers"][header].as_str().unwrap();
        // The echoing server sent the secret back; the registry scrubbed it.
        assert!(!got.contains("canary"), "{got}");
        assert!(got.contains("[redacted]"), "{got} (sent {sent})");
    }
}

#[tokio::test]
async fn bad_auth_configs_name_the_problem() {
    let server = Server::start().await;
    let r = allowing("127.0.0.1");
    let problems = r.check_config(
        TYPE,
        &json!({"url": "https://x.example", "auth": {"type": "bearer"}}),
    );
    assert!(
        problems.iter().any(|p| p.pointer == "/auth/credential"),
        "{problems:?}"
    );
    let e = request(
        &r,
        TestInput::new(json!({"url": server.url("/echo"), "auth": {"credential": "nope"}})),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Config);
    assert_eq!(e.message, "credential `nope` does not exist");
    let e = request(
        &r,
        TestInput::new(
            json!({"url": server.url("/echo"), "auth": {"credential": "api", "type": "basic"}}),
        )
        .credential("api", json!("just-a-token")),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Config);
    assert!(
        e.message.contains("`username` and `password`"),
        "{}",
        e.message
    );
}

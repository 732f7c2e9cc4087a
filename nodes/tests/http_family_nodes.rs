//! The node types built on the shared guarded HTTP client — `http.graphql`, `sms.send`,
//! `chat.webhook`, `ai.chat` — against local fake servers on 127.0.0.1:0 that check what they
//! receive (method, path, auth, body) and answer like the real APIs. Every type is also
//! checked against the address guard: a loopback target is refused unless allow-listed (the
//! server never sees a request), and a redirect to a private or metadata address is refused,
//! not followed. Credentials are canaries that must never come back out, even when the fake
//! server echoes them.

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use weft_core::catalog::NodeCatalog;
use weft_core::{ErrorKind, NodeError};
use weft_nodes::testing::TestInput;
use weft_nodes::{AllowList, HttpOptions, NodeOptions, Registry, catalog};

/// What the fake server received.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    query: Option<String>,
    headers: HashMap<String, String>,
    body: String,
}

impl Seen {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON request body")
    }

    fn form(&self) -> HashMap<String, String> {
        url::form_urlencoded::parse(self.body.as_bytes())
            .into_owned()
            .collect()
    }

    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }
}

/// A fake server on 127.0.0.1:0 answering every request with `reply`.
struct Fake {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Fake {
    async fn start(reply: impl Fn(&Seen) -> Response + Send + Sync + 'static) -> Self {
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let log = Arc::clone(&seen);
        let reply = Arc::new(reply);
        let app = Router::new().fallback(move |request: Request| {
            let log = Arc::clone(&log);
            let reply = Arc::clone(&reply);
            async move {
                let (parts, body) = request.into_parts();
                let body = axum::body::to_bytes(body, 1 << 20)
                    .await
                    .unwrap_or_default();
                let seen = Seen {
                    method: parts.method.to_string(),
                    path: parts.uri.path().to_string(),
                    query: parts.uri.query().map(str::to_string),
                    headers: parts
                        .headers
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                        .collect(),
                    body: String::from_utf8_lossy(&body).into_owned(),
                };
                let response = reply(&seen);
                log.lock().unwrap().push(seen);
                response
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("local addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        Fake { addr, seen }
    }

    /// Answers every request with a 307 to `target`.
    async fn redirecting_to(target: &'static str) -> Self {
        Self::start(move |_| {
            (
                StatusCode::TEMPORARY_REDIRECT,
                [(header::LOCATION, target)],
                Body::empty(),
            )
                .into_response()
        })
        .await
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn only(&self) -> Seen {
        let seen = self.seen();
        assert_eq!(seen.len(), 1, "exactly one request: {seen:?}");
        seen[0].clone()
    }
}

fn json_reply(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// The built-in registry, allowing loopback targets.
fn allowing_loopback() -> Registry {
    Registry::builtin(NodeOptions {
        http: HttpOptions {
            allow: AllowList::parse("127.0.0.1").unwrap(),
            ..Default::default()
        },
        ..Default::default()
    })
    .expect("registry")
}

/// The built-in registry with the operator's default guard (no private targets).
fn guarded() -> Registry {
    Registry::builtin(NodeOptions::default()).expect("registry")
}

async fn run(r: &Registry, type_name: &str, input: TestInput) -> Result<Value, NodeError> {
    let spec = r.spec(type_name).expect("known type");
    let input = input.build(spec).map_err(NodeError::from)?;
    r.run(type_name, input).await.map(|o| o.output)
}

#[track_caller]
fn assert_error(result: Result<Value, NodeError>, kind: ErrorKind, needle: &str) -> NodeError {
    let e = result.expect_err("should fail");
    assert_eq!(e.kind, kind, "{e}");
    assert!(
        e.message.contains(needle),
        "{needle:?} not in {}",
        e.message
    );
    e
}

fn pointers(r: &Registry, type_name: &str, config: Value) -> Vec<String> {
    r.check_config(type_name, &config)
        .into_iter()
        .map(|p| p.pointer)
        .collect()
}

#[test]
fn every_type_is_registered_fully_described_and_not_inline() {
    let r = guarded();
    for t in ["http.graphql", "sms.send", "chat.webhook", "ai.chat"] {
        let spec = r.spec(t).unwrap_or_else(|| panic!("{t} is registered"));
        assert!(!r.runs_inline(t), "{t} does IO");
        assert!(spec.default_retry.is_some(), "{t} retries by default");
        assert!(spec.schema["title"].is_string(), "{t} schema title");
        let missing = catalog::undescribed(&[spec]);
        assert!(missing.is_empty(), "{t}: {missing:?}");
        for field in catalog::fields(&spec.schema) {
            assert!(!field.path.is_empty());
        }
        assert!(
            spec.schema["properties"]["timeout_ms"].is_object(),
            "{t} has timeout_ms"
        );
    }
}

/// Every type refuses a loopback target when the operator has not allowed it, before any
/// request is made, and refuses (does not follow) a redirect to a private or metadata address
/// when loopback is allowed.
async fn assert_guarded(type_name: &str, input: impl Fn(String) -> TestInput) {
    let fake = Fake::start(|_| (StatusCode::OK, "ok").into_response()).await;
    let e = assert_error(
        run(&guarded(), type_name, input(fake.url("/"))).await,
        ErrorKind::Permanent,
        "refused",
    );
    assert!(e.message.contains("loopback"), "{e}");
    assert!(fake.seen().is_empty(), "{type_name}: the server was hit");

    let r = allowing_loopback();
    for target in [
        "http://10.255.255.1/",
        "http://169.254.169.254/latest/meta-data",
    ] {
        let fake = Fake::redirecting_to(target).await;
        let e = assert_error(
            run(&r, type_name, input(fake.url("/hop"))).await,
            ErrorKind::Permanent,
            "refused",
        );
        let host = target.trim_start_matches("http://").split('/').next();
        assert!(e.message.contains(host.unwrap()), "{type_name}: {e}");
        assert_eq!(fake.seen().len(), 1, "{type_name}: one request, no loop");
    }
}

// ---------------------------------------------------------------------------------------
// http.graphql
// ---------------------------------------------------------------------------------------

const GQL: &str = "http.graphql";

#[tokio::test]
async fn graphql_sends_query_variables_and_bearer_and_outputs_data() {
    let fake = Fake::start(|seen| {
        // Echo the token back, as a careless server might.
        let auth = seen.header("authorization").to_string();
        json_reply(
            StatusCode::OK,
            json!({"data": {"order": {"id": seen.json()["variables"]["id"], "total": 12.5,
                                      "echo": auth}}}),
        )
    })
    .await;
    let query =
        "query Order($id: ID!) { order(id: $id) { id total note(f: \"{{ .input.id }}\") } }";
    let out = run(
        &allowing_loopback(),
        GQL,
        TestInput::new(json!({
            "url": fake.url("/graphql"),
            "query": query,
            "variables": {"id": "{{ .input.id }}"},
            "operation_name": "Order",
            "headers": {"X-Tenant": "t-{{ .input.id }}"},
            "auth": {"credential": "gql"}
        }))
        .input(json!({"id": 7}))
        .credential("gql", json!({"token": "canary-gql-5e1f"})),
    )
    .await
    .unwrap();
    let seen = fake.only();
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.path, "/graphql");
    assert_eq!(seen.header("authorization"), "Bearer canary-gql-5e1f");
    assert_eq!(seen.header("content-type"), "application/json");
    assert_eq!(seen.header("x-tenant"), "t-7");
    assert!(
        seen.header("accept")
            .contains("application/graphql-response+json")
    );
    assert!(!seen.header("idempotency-key").is_empty());
    let body = seen.json();
    assert_eq!(body["query"], query, "the query is sent as written");
    assert_eq!(body["variables"], json!({"id": 7}));
    assert_eq!(body["operationName"], "Order");

    assert_eq!(out["data"]["order"]["id"], 7);
    assert_eq!(out["data"]["order"]["total"], 12.5);
    assert!(out.get("errors").is_none());
    assert!(!out.to_string().contains("canary"), "{out}");
}

#[tokio::test]
async fn graphql_errors_fail_the_node_unless_told_otherwise() {
    let fake = Fake::start(|_| {
        json_reply(
            StatusCode::OK,
            json!({"data": {"a": 1, "b": null},
                   "errors": [{"message": "b is forbidden", "path": ["b"]}]}),
        )
    })
    .await;
    let r = allowing_loopback();
    let config = json!({"url": fake.url("/graphql"), "query": "{ a b }"});
    let e = assert_error(
        run(&r, GQL, TestInput::new(config.clone())).await,
        ErrorKind::Permanent,
        "b is forbidden",
    );
    let details = e.details.expect("details");
    assert_eq!(details["errors"][0]["path"], json!(["b"]));
    assert_eq!(details["data"]["a"], 1);

    let mut lenient = config;
    lenient["fail_on_errors"] = json!(false);
    let out = run(&r, GQL, TestInput::new(lenient)).await.unwrap();
    assert_eq!(out["data"]["a"], 1);
    assert_eq!(out["errors"][0]["message"], "b is forbidden");
}

#[tokio::test]
async fn graphql_over_http_4xx_with_errors_and_5xx_are_classified() {
    let fake = Fake::start(|seen| {
        if seen.path == "/bad" {
            json_reply(
                StatusCode::BAD_REQUEST,
                json!({"errors": [{"message": "Cannot query field \"nope\""}]}),
            )
        } else {
            (StatusCode::SERVICE_UNAVAILABLE, "down").into_response()
        }
    })
    .await;
    let r = allowing_loopback();
    let e = assert_error(
        run(
            &r,
            GQL,
            TestInput::new(json!({"url": fake.url("/bad"), "query": "{ nope }"})),
        )
        .await,
        ErrorKind::Permanent,
        "Cannot query field",
    );
    assert_eq!(e.details.unwrap()["status"], 400);
    assert_error(
        run(
            &r,
            GQL,
            TestInput::new(json!({"url": fake.url("/down"), "query": "{ a }"})),
        )
        .await,
        ErrorKind::Transient,
        "503",
    );
}

#[tokio::test]
async fn graphql_bad_config_names_the_field() {
    let r = allowing_loopback();
    assert_error(
        run(
            &r,
            GQL,
            TestInput::new(json!({"url": "ftp://x/", "query": "{ a }"})),
        )
        .await,
        ErrorKind::Config,
        "/url",
    );
    assert_error(
        run(
            &r,
            GQL,
            TestInput::new(json!({"url": "http://127.0.0.1:1/"})),
        )
        .await,
        ErrorKind::Config,
        "query",
    );
    assert_error(
        run(
            &r,
            GQL,
            TestInput::new(json!({"url": "http://127.0.0.1:1/", "query": "{ a }",
                                  "fail_on_errors": "yes"})),
        )
        .await,
        ErrorKind::Config,
        "/fail_on_errors",
    );
    assert_eq!(
        pointers(
            &r,
            GQL,
            json!({"url": "not a url", "query": "  ", "headers": {"bad name": "x"}})
        ),
        vec!["/url", "/query", "/headers/bad name"]
    );
    assert!(pointers(&r, GQL, json!({"url": "{{ .input.u }}", "query": "{ a }"})).is_empty());
    // A missing credential is a config error naming it, and nothing is sent.
    assert_error(
        run(
            &r,
            GQL,
            TestInput::new(json!({"url": "http://127.0.0.1:1/", "query": "{ a }",
                                  "auth": {"credential": "missing"}})),
        )
        .await,
        ErrorKind::Config,
        "credential `missing` does not exist",
    );
}

#[tokio::test]
async fn graphql_is_guarded() {
    assert_guarded(GQL, |url| {
        TestInput::new(json!({"url": url, "query": "{ a }"}))
    })
    .await;
}

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

    fn the_request(&self) -> Seen {
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
    let seen = fake.the_request();
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

// ---------------------------------------------------------------------------------------
// sms.send
// ---------------------------------------------------------------------------------------

const SMS: &str = "sms.send";
const SID: &str = "AC0123456789abcdef";
const TWILIO_TOKEN: &str = "canary-twilio-9b2c";

fn twilio_credential(input: TestInput) -> TestInput {
    input.credential(
        "twilio",
        json!({"account_sid": SID, "auth_token": TWILIO_TOKEN}),
    )
}

fn sms_config(base_url: &str, to: &str) -> Value {
    json!({
        "base_url": base_url,
        "credential": "twilio",
        "from": "+14155550100",
        "to": to,
        "body": "Order {{ .input.id }} shipped & on its way"
    })
}

/// Answers like Twilio: 201 with the message resource, or 400 {code, message} for a number
/// it will not deliver to; echoes the Authorization header in both, as a careless proxy
/// might.
async fn fake_twilio() -> Fake {
    Fake::start(|seen| {
        let form = seen.form();
        let auth = seen.header("authorization").to_string();
        if form.get("To").map(String::as_str) == Some("+15005550001") {
            return json_reply(
                StatusCode::BAD_REQUEST,
                json!({"code": 21211, "message": "The 'To' number +15005550001 is not a valid phone number.",
                       "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400,
                       "auth": auth}),
            );
        }
        if form.get("To").map(String::as_str) == Some("+15005550009") {
            return (StatusCode::SERVICE_UNAVAILABLE, "try later").into_response();
        }
        json_reply(
            StatusCode::CREATED,
            json!({"sid": "SM0123", "status": "queued", "to": form["To"], "from": form["From"],
                   "body": form["Body"], "account_sid": SID, "auth": auth}),
        )
    })
    .await
}

#[tokio::test]
async fn sms_posts_the_form_with_basic_auth_and_outputs_sid_status_to() {
    let fake = fake_twilio().await;
    let input = twilio_credential(TestInput::new(sms_config(&fake.url(""), "+14155550123")))
        .input(json!({"id": 42}));
    let out = run(&allowing_loopback(), SMS, input).await.unwrap();
    assert_eq!(
        out,
        json!({"sid": "SM0123", "status": "queued", "to": "+14155550123"})
    );
    let seen = fake.the_request();
    assert_eq!(seen.method, "POST");
    assert_eq!(
        seen.path,
        format!("/2010-04-01/Accounts/{SID}/Messages.json")
    );
    assert_eq!(
        seen.header("content-type"),
        "application/x-www-form-urlencoded"
    );
    use base64::Engine;
    let expected =
        base64::engine::general_purpose::STANDARD.encode(format!("{SID}:{TWILIO_TOKEN}"));
    assert_eq!(seen.header("authorization"), format!("Basic {expected}"));
    let form = seen.form();
    assert_eq!(form["To"], "+14155550123");
    assert_eq!(form["From"], "+14155550100");
    assert_eq!(form["Body"], "Order 42 shipped & on its way");
    assert!(!out.to_string().contains("canary"));
}

#[tokio::test]
async fn sms_api_refusals_are_permanent_with_the_api_message_and_no_secrets() {
    let fake = fake_twilio().await;
    let r = allowing_loopback();
    let e = assert_error(
        run(
            &r,
            SMS,
            twilio_credential(TestInput::new(sms_config(&fake.url(""), "+15005550001"))),
        )
        .await,
        ErrorKind::Permanent,
        "is not a valid phone number",
    );
    assert!(e.message.contains("21211"), "{e}");
    let details = e.details.clone().unwrap();
    assert_eq!(details["code"], 21211);
    assert_eq!(details["status"], 400);
    let everything = format!("{} {}", e.message, details);
    use base64::Engine;
    let pair = base64::engine::general_purpose::STANDARD.encode(format!("{SID}:{TWILIO_TOKEN}"));
    for secret in [TWILIO_TOKEN, pair.as_str(), SID] {
        assert!(!everything.contains(secret), "{secret} in {everything}");
    }

    let e = assert_error(
        run(
            &r,
            SMS,
            twilio_credential(TestInput::new(sms_config(&fake.url(""), "+15005550009"))),
        )
        .await,
        ErrorKind::Transient,
        "503",
    );
    assert!(!e.message.contains(SID), "{e}");
}

#[tokio::test]
async fn sms_bad_config_names_the_field() {
    let r = allowing_loopback();
    // Never sent anywhere: the port is closed.
    let base = "http://127.0.0.1:1";
    let e = assert_error(
        run(
            &r,
            SMS,
            twilio_credential(TestInput::new(sms_config(base, "0041 79 123"))),
        )
        .await,
        ErrorKind::Config,
        "/to",
    );
    assert!(e.message.contains("E.164"), "{e}");
    let mut long = sms_config(base, "+14155550123");
    long["body"] = json!("x".repeat(1601));
    assert_error(
        run(&r, SMS, twilio_credential(TestInput::new(long))).await,
        ErrorKind::Config,
        "/body",
    );
    let mut from = sms_config(base, "+14155550123");
    from["from"] = json!("not-a-sender!");
    assert_error(
        run(&r, SMS, twilio_credential(TestInput::new(from))).await,
        ErrorKind::Config,
        "/from",
    );
    // A credential without the right fields.
    assert_error(
        run(
            &r,
            SMS,
            TestInput::new(sms_config(base, "+14155550123"))
                .credential("twilio", json!("just-a-string")),
        )
        .await,
        ErrorKind::Config,
        "account_sid",
    );
    assert_eq!(
        pointers(
            &r,
            SMS,
            json!({"credential": "t", "from": "+1415", "to": "123", "body": "x",
                   "base_url": "nope"})
        ),
        vec!["/base_url", "/to"]
    );
    assert!(
        pointers(
            &r,
            SMS,
            json!({"credential": "t", "from": "Weft", "to": "{{ .input.phone }}", "body": "x"})
        )
        .is_empty()
    );
}

#[tokio::test]
async fn sms_is_guarded() {
    assert_guarded(SMS, |url| {
        twilio_credential(TestInput::new(sms_config(&url, "+14155550123")))
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// chat.webhook
// ---------------------------------------------------------------------------------------

const CHAT: &str = "chat.webhook";

async fn fake_webhook() -> Fake {
    Fake::start(|seen| {
        if seen.path.ends_with("/gone") {
            return (StatusCode::NOT_FOUND, "no_service").into_response();
        }
        (StatusCode::OK, "ok").into_response()
    })
    .await
}

fn chat_config(platform: &str) -> Value {
    json!({
        "platform": platform,
        "credential": "hook",
        "text": "Deploy of {{ .input.app }} finished",
        "title": "Deploy",
        "fields": [{"name": "Version", "value": "{{ .input.version }}"},
                   {"name": "Healthy", "value": true}]
    })
}

#[tokio::test]
async fn chat_sends_the_right_payload_per_platform() {
    let fake = fake_webhook().await;
    let r = allowing_loopback();
    let hook = fake.url("/services/T000/B000/canary-hook-secret");
    for platform in ["slack", "discord", "teams", "generic"] {
        let out = run(
            &r,
            CHAT,
            TestInput::new(chat_config(platform))
                .input(json!({"app": "shop", "version": 7}))
                .credential("hook", json!({"url": hook})),
        )
        .await
        .unwrap();
        assert_eq!(out, json!({"status": 200}), "{platform}");
    }
    let seen = fake.seen();
    assert_eq!(seen.len(), 4);
    for s in &seen {
        assert_eq!(s.method, "POST");
        assert_eq!(s.path, "/services/T000/B000/canary-hook-secret");
        assert_eq!(s.header("content-type"), "application/json");
    }
    let slack = seen[0].json();
    assert_eq!(slack["text"], "Deploy\nDeploy of shop finished");
    assert_eq!(slack["blocks"][0]["type"], "header");
    assert_eq!(slack["blocks"][0]["text"]["text"], "Deploy");
    assert_eq!(slack["blocks"][1]["text"]["type"], "mrkdwn");
    assert_eq!(
        slack["blocks"][1]["text"]["text"],
        "Deploy of shop finished"
    );
    assert_eq!(slack["blocks"][2]["fields"][0]["text"], "*Version*\n7");
    assert_eq!(slack["blocks"][2]["fields"][1]["text"], "*Healthy*\ntrue");

    let discord = seen[1].json();
    assert_eq!(discord["content"], "Deploy of shop finished");
    assert_eq!(discord["embeds"][0]["title"], "Deploy");
    assert_eq!(
        discord["embeds"][0]["fields"][0],
        json!({"name": "Version", "value": "7", "inline": true})
    );

    let teams = seen[2].json();
    assert_eq!(teams["@type"], "MessageCard");
    assert_eq!(teams["@context"], "https://schema.org/extensions");
    assert_eq!(teams["title"], "Deploy");
    assert_eq!(teams["text"], "Deploy of shop finished");
    assert_eq!(
        teams["sections"][0]["facts"],
        json!([{"name": "Version", "value": "7"}, {"name": "Healthy", "value": "true"}])
    );

    let generic = seen[3].json();
    assert_eq!(
        generic,
        json!({"text": "Deploy of shop finished", "title": "Deploy",
               "fields": [{"name": "Version", "value": "7"}, {"name": "Healthy", "value": "true"}]})
    );
}

#[tokio::test]
async fn chat_with_a_plain_url_and_a_failing_secret_webhook() {
    let fake = fake_webhook().await;
    let r = allowing_loopback();
    let out = run(
        &r,
        CHAT,
        TestInput::new(json!({"platform": "slack", "url": fake.url("/plain"), "text": "hi"})),
    )
    .await
    .unwrap();
    assert_eq!(out["status"], 200);
    assert_eq!(
        fake.the_request().json(),
        json!({"text": "hi", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]})
    );

    // The webhook URL from a credential never shows up in the error, not even without its
    // query (which is how the client names URLs).
    let secret = fake.url("/hooks/canary-path-token/gone?sig=canary-sig");
    let e = assert_error(
        run(
            &r,
            CHAT,
            TestInput::new(json!({"platform": "teams", "credential": "hook", "text": "hi"}))
                .credential("hook", json!(secret)),
        )
        .await,
        ErrorKind::Permanent,
        "the webhook of credential `hook`",
    );
    let everything = format!("{} {:?}", e.message, e.details);
    assert!(!everything.contains("canary"), "{everything}");
    assert!(everything.contains("no_service"), "{everything}");
}

#[tokio::test]
async fn chat_bad_config_names_the_field() {
    let r = allowing_loopback();
    let e = assert_error(
        run(
            &r,
            CHAT,
            TestInput::new(json!({"platform": "slack", "text": "hi"})),
        )
        .await,
        ErrorKind::Config,
        "/credential",
    );
    assert!(e.message.contains("url"), "{e}");
    assert_error(
        run(
            &r,
            CHAT,
            TestInput::new(
                json!({"platform": "slack", "text": "hi", "url": "http://127.0.0.1:1/",
                                  "credential": "hook"}),
            ),
        )
        .await,
        ErrorKind::Config,
        "/url",
    );
    assert_error(
        run(
            &r,
            CHAT,
            TestInput::new(json!({"platform": "irc", "text": "hi", "url": "http://127.0.0.1:1/"})),
        )
        .await,
        ErrorKind::Config,
        "/platform",
    );
    assert_error(
        run(
            &r,
            CHAT,
            TestInput::new(json!({"platform": "discord", "text": "x".repeat(2001),
                                  "url": "http://127.0.0.1:1/"})),
        )
        .await,
        ErrorKind::Config,
        "/text",
    );
    assert_error(
        run(
            &r,
            CHAT,
            TestInput::new(
                json!({"platform": "generic", "text": "hi", "url": "http://127.0.0.1:1/",
                                  "fields": [{"name": "a", "value": {"x": 1}}]}),
            ),
        )
        .await,
        ErrorKind::Config,
        "/fields/0/value",
    );
    assert_eq!(
        pointers(&r, CHAT, json!({"platform": "slack", "text": "hi"})),
        vec!["/credential"]
    );
    assert_eq!(
        pointers(
            &r,
            CHAT,
            json!({"platform": "discord", "text": "x".repeat(2001), "url": "mailto:x@y"})
        ),
        vec!["/url", "/text"]
    );
}

#[tokio::test]
async fn chat_is_guarded() {
    for platform in ["slack", "generic"] {
        assert_guarded(CHAT, |url| {
            TestInput::new(json!({"platform": platform, "credential": "hook", "text": "hi"}))
                .credential("hook", json!({"url": url}))
        })
        .await;
    }
    // With a plain URL too.
    assert_guarded(CHAT, |url| {
        TestInput::new(json!({"platform": "discord", "url": url, "text": "hi"}))
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// ai.chat
// ---------------------------------------------------------------------------------------

const AI: &str = "ai.chat";
const API_KEY: &str = "sk-canary-ai-77aa";

/// Answers like OpenAI's chat completions: the reply content depends on the last user
/// message (`json` → a JSON object, `bad json` → prose, `schema miss` → JSON of the wrong
/// shape, `key` → echoes the Authorization header); a wrong key gets a 401.
async fn fake_openai() -> Fake {
    Fake::start(|seen| {
        let auth = seen.header("authorization").to_string();
        if auth != format!("Bearer {API_KEY}") {
            return json_reply(
                StatusCode::UNAUTHORIZED,
                json!({"error": {"message": "Incorrect API key provided.",
                                 "type": "invalid_request_error", "code": "invalid_api_key"}}),
            );
        }
        let body = seen.json();
        let last = body["messages"].as_array().and_then(|m| m.last()).cloned();
        let prompt = last
            .as_ref()
            .and_then(|m| m["content"].as_str())
            .unwrap_or("");
        let content = match prompt {
            "json" => r#"{"sentiment": "positive", "score": 0.9}"#.to_string(),
            "bad json" => "Sure! Here is your JSON: {sentiment: positive".to_string(),
            "schema miss" => r#"{"mood": "happy"}"#.to_string(),
            "key" => format!("your key is {auth}"),
            "overload" => return (StatusCode::TOO_MANY_REQUESTS, "slow down").into_response(),
            other => format!("echo: {other}"),
        };
        json_reply(
            StatusCode::OK,
            json!({
                "id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-test-2025",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17}
            }),
        )
    })
    .await
}

fn ai_input(config: Value) -> TestInput {
    TestInput::new(config).credential("openai", json!({"api_key": API_KEY}))
}

#[tokio::test]
async fn ai_chat_sends_messages_with_bearer_and_outputs_the_reply() {
    let fake = fake_openai().await;
    let r = allowing_loopback();
    let out = run(
        &r,
        AI,
        ai_input(json!({
            "base_url": fake.url("/v1"),
            "model": "gpt-test",
            "credential": "openai",
            "system": "Be brief.",
            "prompt": "Summarise {{ .input.ticket }}",
            "temperature": 0.2,
            "max_tokens": 50
        }))
        .input(json!({"ticket": "T-1"})),
    )
    .await
    .unwrap();
    let seen = fake.the_request();
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.path, "/v1/chat/completions");
    assert_eq!(seen.header("authorization"), format!("Bearer {API_KEY}"));
    assert_eq!(seen.header("content-type"), "application/json");
    assert_eq!(
        seen.json(),
        json!({"model": "gpt-test",
               "messages": [{"role": "system", "content": "Be brief."},
                            {"role": "user", "content": "Summarise T-1"}],
               "temperature": 0.2, "max_tokens": 50})
    );
    assert_eq!(out["content"], "echo: Summarise T-1");
    assert_eq!(
        out["message"],
        json!({"role": "assistant", "content": "echo: Summarise T-1"})
    );
    assert_eq!(out["usage"]["total_tokens"], 17);
    assert_eq!(out["model"], "gpt-test-2025");
    assert_eq!(out["finish_reason"], "stop");

    // A conversation, and the key as a plain string credential echoed back: scrubbed.
    let out = run(
        &r,
        AI,
        TestInput::new(json!({
            "base_url": fake.url("/v1"), "model": "gpt-test", "credential": "openai",
            "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"},
                         {"role": "user", "content": "key"}]
        }))
        .credential("openai", json!(API_KEY)),
    )
    .await
    .unwrap();
    assert!(!out.to_string().contains("canary"), "{out}");
    assert_eq!(
        fake.seen()[1].json()["messages"].as_array().unwrap().len(),
        3
    );
}

#[tokio::test]
async fn ai_chat_json_modes_parse_the_reply() {
    let fake = fake_openai().await;
    let r = allowing_loopback();
    let base = json!({"base_url": fake.url("/v1"), "model": "m", "credential": "openai",
                      "prompt": "json", "response_format": "json"});
    let out = run(&r, AI, ai_input(base.clone())).await.unwrap();
    assert_eq!(
        out["content"],
        json!({"sentiment": "positive", "score": 0.9})
    );
    assert_eq!(
        fake.seen()[0].json()["response_format"],
        json!({"type": "json_object"})
    );

    let schema = json!({"type": "object", "properties": {"sentiment": {"type": "string"},
                                                         "score": {"type": "number"}},
                        "required": ["sentiment", "score"], "additionalProperties": false});
    let mut with_schema = base.clone();
    with_schema
        .as_object_mut()
        .unwrap()
        .remove("response_format");
    with_schema["json_schema"] = schema.clone();
    let out = run(&r, AI, ai_input(with_schema.clone())).await.unwrap();
    assert_eq!(out["content"]["sentiment"], "positive");
    assert_eq!(
        fake.seen()[1].json()["response_format"],
        json!({"type": "json_schema",
               "json_schema": {"name": "output", "schema": schema, "strict": true}})
    );

    let mut bad = base.clone();
    bad["prompt"] = json!("bad json");
    let e = assert_error(
        run(&r, AI, ai_input(bad)).await,
        ErrorKind::Permanent,
        "not valid JSON",
    );
    assert!(
        e.details.unwrap()["content"]
            .as_str()
            .unwrap()
            .starts_with("Sure!")
    );

    let mut miss = with_schema;
    miss["prompt"] = json!("schema miss");
    assert_error(
        run(&r, AI, ai_input(miss)).await,
        ErrorKind::Permanent,
        "does not match json_schema",
    );
}

#[tokio::test]
async fn ai_chat_api_errors_are_classified_and_quote_the_api() {
    let fake = fake_openai().await;
    let r = allowing_loopback();
    let config = json!({"base_url": fake.url("/v1"), "model": "m", "credential": "openai",
                        "prompt": "hi"});
    let e = assert_error(
        run(
            &r,
            AI,
            TestInput::new(config.clone()).credential("openai", json!("sk-canary-wrong-key")),
        )
        .await,
        ErrorKind::Permanent,
        "Incorrect API key provided.",
    );
    assert_eq!(e.details.clone().unwrap()["code"], "invalid_api_key");
    assert!(!format!("{e} {:?}", e.details).contains("canary"));
    let mut busy = config;
    busy["prompt"] = json!("overload");
    assert_error(
        run(&r, AI, ai_input(busy)).await,
        ErrorKind::Transient,
        "429",
    );
}

#[tokio::test]
async fn ai_chat_bad_config_names_the_field() {
    let r = allowing_loopback();
    let base = json!({"base_url": "http://127.0.0.1:1/v1", "model": "m", "credential": "openai"});
    let with = |extra: Value| {
        let mut c = base.clone();
        c.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        c
    };
    assert_error(
        run(&r, AI, ai_input(base.clone())).await,
        ErrorKind::Config,
        "/messages",
    );
    assert_error(
        run(
            &r,
            AI,
            ai_input(with(
                json!({"prompt": "a", "messages": [{"role": "user", "content": "b"}]}),
            )),
        )
        .await,
        ErrorKind::Config,
        "/prompt",
    );
    assert_error(
        run(
            &r,
            AI,
            ai_input(with(
                json!({"messages": [{"role": "robot", "content": "b"}]}),
            )),
        )
        .await,
        ErrorKind::Config,
        "/messages/0/role",
    );
    assert_error(
        run(
            &r,
            AI,
            ai_input(with(json!({"prompt": "a", "temperature": 3}))),
        )
        .await,
        ErrorKind::Config,
        "/temperature",
    );
    assert_error(
        run(
            &r,
            AI,
            ai_input(with(json!({"prompt": "a", "response_format": "text",
                                  "json_schema": {"type": "object"}}))),
        )
        .await,
        ErrorKind::Config,
        "/json_schema",
    );
    assert_error(
        run(
            &r,
            AI,
            ai_input(with(
                json!({"prompt": "a", "json_schema": {"type": "nonsense"}}),
            )),
        )
        .await,
        ErrorKind::Config,
        "/json_schema",
    );
    let mut no_model = with(json!({"prompt": "a"}));
    no_model.as_object_mut().unwrap().remove("model");
    assert_error(
        run(&r, AI, ai_input(no_model)).await,
        ErrorKind::Config,
        "model",
    );
    assert_eq!(
        pointers(
            &r,
            AI,
            with(json!({"base_url": "ftp://x", "json_schema": {"type": 5}}))
        ),
        vec!["/base_url", "/messages", "/json_schema"]
    );
    assert!(pointers(&r, AI, with(json!({"prompt": "{{ .input.q }}"}))).is_empty());
}

#[tokio::test]
async fn ai_chat_is_guarded() {
    assert_guarded(AI, |url| {
        ai_input(json!({"base_url": url, "model": "m", "credential": "openai", "prompt": "hi"}))
    })
    .await;
}

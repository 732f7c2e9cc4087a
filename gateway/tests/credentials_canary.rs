//! A credential's value never leaves the vault except into the node that opens it.
//!
//! The canary: a credential with a unique value, stored through the API (created, then its
//! value replaced: version 2), used by a workflow run by the real engine, with the real
//! gateway on a socket, over [`StoreCredentials`] on a real store. Its nodes misbehave on
//! purpose: one sends the value as a bearer header to a local server that echoes the request
//! headers back, and puts the value and the echo into its output and its log line; the next
//! one fails with the value in its error message and details. Then the execution, its events,
//! its log, the credential reads and the audit log are fetched through the API, the database
//! is read raw (SQLite: its files byte by byte; PostgreSQL: every row of every table as text),
//! and everything the process traced is read back: the value appears nowhere; `[redacted]`
//! stands where it was.
//!
//! Also: the `/credentials` API's versions and value checks.

mod support;

use async_trait::async_trait;
use axum::Json;
use axum::http::HeaderMap;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use support::{ADMIN_PASSWORD, TestApp, engine_config, test_options};
use weft_actors::{Engine, StoreCredentials};
use weft_core::{NodeError, NodeSpec, Ports};
use weft_gateway::{AppState, GatewayParts};
use weft_nodes::{LogLevel, Node, NodeInput, NodeLog, NodeOptions, NodeOutput, Registry};
use weft_persistence::Vault;

const REDACTED: &str = "[redacted]";

// ---- everything traced, kept -------------------------------------------------------------

#[derive(Clone)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The process's tracing output from now on, at debug level (one subscriber per test binary;
/// each test looks for its own canary).
fn traced() -> Captured {
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    CAPTURED
        .get_or_init(|| {
            let captured = Captured(Arc::new(Mutex::new(Vec::new())));
            let writer = captured.clone();
            tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new("debug"))
                .with_ansi(false)
                .with_writer(move || writer.clone())
                .init();
            captured
        })
        .clone()
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

// ---- misbehaving nodes -------------------------------------------------------------------

fn spec(type_name: &str) -> NodeSpec {
    NodeSpec {
        type_name: type_name.into(),
        category: "test".into(),
        description: "Leaks its credential on purpose (tests only).".into(),
        trigger: false,
        ports: Ports::main(),
        schema: json!({
            "type": "object",
            "title": "Leak",
            "properties": {"credential": {
                "type": "string", "title": "Credential", "description": "Id or name."
            }},
            "required": ["credential"],
            "additionalProperties": false
        }),
        filter_fields: vec![],
        raw_fields: vec![],
        default_retry: None,
    }
}

fn digest(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Sends the credential's token as a bearer header to the echo server and returns the token,
/// the echoed headers and a digest of the token (so the test can check it got the right
/// value without the value being there), and logs the header.
struct EchoNode {
    echo_url: String,
}

#[async_trait]
impl Node for EchoNode {
    fn spec(&self) -> NodeSpec {
        spec("test.echo_secret")
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let reference = input.config["credential"].as_str().unwrap_or_default();
        let secret = input.credential(reference).await?;
        let token = secret.string_or_field("token")?.to_string();
        let echoed: Value = reqwest::Client::new()
            .get(&self.echo_url)
            .bearer_auth(&token)
            .send()
            .await
            .map_err(|e| NodeError::transient(e.to_string()))?
            .json()
            .await
            .map_err(|e| NodeError::permanent(e.to_string()))?;
        Ok(NodeOutput::main(json!({
            "token": token,
            "echo": echoed,
            "digest": digest(&token),
            "reference": secret.reference(),
        }))
        .with_log(
            NodeLog::new(LogLevel::Info, format!("called with Bearer {token}"))
                .with_fields(json!({"authorization": format!("Bearer {token}")})),
        ))
    }
}

/// Fails with the credential's token in its error message and details.
struct FailNode;

#[async_trait]
impl Node for FailNode {
    fn spec(&self) -> NodeSpec {
        spec("test.fail_secret")
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let reference = input.config["credential"].as_str().unwrap_or_default();
        let secret = input.credential(reference).await?;
        let token = secret.string_or_field("token")?;
        Err(
            NodeError::permanent(format!("login refused for token {token}"))
                .with_details(json!({"sent": token, "digest": digest(token)})),
        )
    }
}

/// Answers every request with its headers as JSON.
async fn echo_server() -> String {
    let app = axum::Router::new().fallback(|headers: HeaderMap| async move {
        let map: serde_json::Map<String, Value> = headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    json!(v.to_str().unwrap_or_default()),
                )
            })
            .collect();
        Json(json!({"headers": map}))
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.ok();
    });
    format!("http://{addr}/echo")
}

// ---- the server --------------------------------------------------------------------------

struct Server {
    base: String,
    token: String,
    engine: Engine,
    client: reqwest::Client,
}

impl Server {
    /// The engine and gateway on `url`, with the misbehaving node types and credentials from
    /// the store, opened with the vault key the gateway uses (the key file in `dir`).
    async fn start(url: &str, dir: &std::path::Path) -> Server {
        let db = weft_persistence::connect_database(url).await.unwrap();
        let vault = Vault::load(None, &dir.join("master.key")).unwrap();
        let mut registry = Registry::builtin(NodeOptions::default()).unwrap();
        registry
            .register(Arc::new(EchoNode {
                echo_url: echo_server().await,
            }))
            .unwrap();
        registry.register(Arc::new(FailNode)).unwrap();
        registry.set_credentials(Arc::new(StoreCredentials::new(db.clone(), vault)));
        let store: Arc<dyn weft_persistence::Store> = db.clone();
        let engine = Engine::start(engine_config(), store, Arc::new(registry))
            .await
            .unwrap();
        let state = AppState::build(GatewayParts {
            engine: engine.clone(),
            db,
            options: test_options(),
            data_dir: dir.to_path_buf(),
        })
        .await
        .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            weft_gateway::serve(listener, state, std::future::pending())
                .await
                .ok();
        });
        let mut server = Server {
            base: format!("http://{addr}"),
            token: String::new(),
            engine,
            client: reqwest::Client::new(),
        };
        let (status, login) = server
            .json(
                "POST",
                "/api/v1/auth/login",
                Some(json!({"username": "admin", "password": ADMIN_PASSWORD})),
            )
            .await;
        assert_eq!(status, 200, "{login}");
        server.token = login["access_token"].as_str().unwrap().to_string();
        server
    }

    /// Status and the whole response (headers and body) as text.
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, String) {
        let mut req = self
            .client
            .request(method.parse().unwrap(), format!("{}{path}", self.base));
        if !self.token.is_empty() {
            req = req.bearer_auth(&self.token);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = format!("{:?}", resp.headers());
        let text = resp.text().await.unwrap();
        (status, format!("{headers}\n{text}"))
    }

    async fn json(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let (status, text) = self.call(method, path, body).await;
        let body = text.split_once('\n').map(|(_, b)| b).unwrap_or_default();
        (status, serde_json::from_str(body).unwrap_or(Value::Null))
    }
}

fn canary() -> String {
    format!("canary-{}", uuid::Uuid::new_v4())
}

/// Runs the canary workflow on `url` and checks every place the value could have gone;
/// returns the canary (for the caller's raw look at the database).
async fn canary_run(url: &str, dir: &std::path::Path) -> (Server, String, String) {
    let captured = traced();
    let server = Server::start(url, dir).await;
    let old = canary();
    let value = canary();

    // Stored through the API: created, then its value replaced (version 2).
    let (status, created) = server
        .json(
            "POST",
            "/api/v1/credentials",
            Some(json!({"name": "payments", "kind": "http.bearer", "value": {"token": old}})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["version"], 1, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    let (status, updated) = server
        .json(
            "PUT",
            &format!("/api/v1/credentials/{id}"),
            Some(json!({"value": {"token": value}})),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["version"], 2, "{updated}");

    // One node refers to it by name, the next by id.
    let (status, wf) = server
        .json(
            "POST",
            "/api/v1/workflows",
            Some(json!({
                "name": "canary",
                "nodes": [
                    {"id": "start", "type": "trigger.manual"},
                    {"id": "call", "type": "test.echo_secret", "config": {"credential": "payments"}},
                    {"id": "login", "type": "test.fail_secret", "config": {"credential": id}}
                ],
                "edges": [{"from": "start", "to": "call"}, {"from": "call", "to": "login"}]
            })),
        )
        .await;
    assert_eq!(status, 201, "{wf}");
    let (status, started) = server
        .json(
            "POST",
            &format!(
                "/api/v1/workflows/{}/executions",
                wf["id"].as_str().unwrap()
            ),
            Some(json!({"input": {"note": "uses payments"}})),
        )
        .await;
    assert_eq!(status, 202, "{started}");
    let exec = started["id"].as_str().unwrap().to_string();
    let execution = weft_test_support::eventually(
        Duration::from_secs(20),
        "the canary execution to finish",
        || async {
            let (_, e) = server
                .json("GET", &format!("/api/v1/executions/{exec}"), None)
                .await;
            matches!(e["status"].as_str(), Some("succeeded" | "failed")).then_some(e)
        },
    )
    .await;
    assert_eq!(execution["status"], "failed", "{execution}");

    // Everything the API says about it.
    let mut seen = Vec::new();
    for path in [
        format!("/api/v1/executions/{exec}"),
        format!("/api/v1/executions/{exec}/events"),
        format!("/api/v1/executions/{exec}/logs?level=debug"),
        "/api/v1/executions".to_string(),
        "/api/v1/credentials".to_string(),
        format!("/api/v1/credentials/{id}"),
        "/api/v1/audit?limit=200".to_string(),
    ] {
        let (status, text) = server.call("GET", &path, None).await;
        assert_eq!(status, 200, "{path}: {text}");
        for secret in [&value, &old] {
            assert!(!text.contains(secret.as_str()), "leaked by {path}: {text}");
        }
        seen.push((path, text));
    }
    let (_, events) = server
        .json("GET", &format!("/api/v1/executions/{exec}/events"), None)
        .await;
    let events_text = events.to_string();
    // The nodes did get the current value (version 2): its digest is in the output.
    assert!(events_text.contains(&digest(&value)), "{events_text}");
    assert!(!events_text.contains(&digest(&old)), "{events_text}");
    // And where they put it, it is redacted: the output, the echoed header, the error and
    // its details.
    for needle in [
        "\"token\":\"[redacted]\"",
        "\"authorization\":\"Bearer [redacted]\"",
        "login refused for token [redacted]",
        "\"sent\":\"[redacted]\"",
    ] {
        assert!(events_text.contains(needle), "{needle} in {events_text}");
    }
    let (_, logs) = server
        .json(
            "GET",
            &format!("/api/v1/executions/{exec}/logs?level=debug"),
            None,
        )
        .await;
    let logs_text = logs.to_string();
    assert!(
        logs_text.contains("called with Bearer [redacted]"),
        "{logs_text}"
    );
    assert!(
        execution.to_string().contains(REDACTED),
        "the execution's error: {execution}"
    );

    // Everything traced while it ran (debug level: engine, gateway, store, HTTP).
    let traced = captured.text();
    assert!(traced.contains(&exec), "the capture saw the run");
    for secret in [&value, &old] {
        assert!(
            !traced.contains(secret.as_str()),
            "leaked in tracing output"
        );
    }
    server.engine.shutdown().await;
    (server, value, old)
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canary_never_leaves_the_vault_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("canary.db").display());
    let (_server, value, old) = canary_run(&url, dir.path()).await;
    // The database files (with the write-ahead log), byte by byte: the secret is sealed, and
    // what the nodes returned is stored redacted.
    let mut redacted = false;
    let mut files = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().contains("canary.db") {
            continue;
        }
        files += 1;
        let bytes = std::fs::read(&path).unwrap();
        for secret in [&value, &old] {
            assert!(!contains(&bytes, secret), "plaintext in {}", path.display());
        }
        redacted |= contains(&bytes, REDACTED);
    }
    assert!(files >= 1);
    assert!(redacted, "the stored events hold the redacted output");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canary_never_leaves_the_vault_postgres() {
    use sqlx::Connection;
    let pg = weft_test_support::PgDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    let (_server, value, old) = canary_run(&pg.url, dir.path()).await;
    // Every row of every table, as text.
    let mut c = sqlx::PgConnection::connect(&pg.url).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    assert!(tables.iter().any(|t| t == "credentials"), "{tables:?}");
    let mut dump = String::new();
    for table in &tables {
        let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT t::text FROM \"{table}\" t"
        )))
        .fetch_all(&mut c)
        .await
        .unwrap();
        for row in rows {
            dump.push_str(&row);
            dump.push('\n');
        }
    }
    for secret in [&value, &old] {
        assert!(!dump.contains(secret.as_str()), "plaintext in the database");
    }
    assert!(
        dump.contains(REDACTED),
        "the stored events hold the redacted output"
    );
    c.close().await.ok();
}

// ---- the API -----------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credential_versions_and_values_through_the_api() {
    let app = TestApp::new().await;
    let admin = Some(app.admin.as_str());
    let r = app
        .call(
            "POST",
            "/api/v1/credentials",
            Some(json!({"name": "smtp", "kind": "smtp", "value": {"user": "u", "password": "p4ss-word"}})),
            admin,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["version"], 1);
    assert!(!r.text.contains("p4ss-word"));
    let id = r.json["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/credentials/{id}");

    // A rename keeps the version; a new value is the next one.
    let r = app
        .call("PUT", &path, Some(json!({"name": "mail"})), admin)
        .await;
    assert_eq!((r.status.as_u16(), &r.json["version"]), (200, &json!(1)));
    let r = app
        .call(
            "PUT",
            &path,
            Some(json!({"value": "n3w-pass", "kind": "smtp.login"})),
            admin,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (&r.json["version"], &r.json["name"], &r.json["kind"]),
        (&json!(2), &json!("mail"), &json!("smtp.login"))
    );
    assert!(!r.text.contains("n3w-pass"));
    let r = app.get_as_admin(&path).await;
    assert_eq!(r.json["version"], 2);
    let r = app.get_as_admin("/api/v1/credentials").await;
    assert_eq!(r.json["items"][0]["version"], 2);

    // Values are strings or objects of strings; refused values change nothing.
    for bad in [json!(42), json!(["a"]), json!({"port": 5432}), json!(true)] {
        let r = app
            .call("PUT", &path, Some(json!({"value": bad})), admin)
            .await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text);
        assert_eq!(r.json["field"], "value", "{}", r.text);
    }
    let r = app
        .call(
            "POST",
            "/api/v1/credentials",
            Some(json!({"name": "empty", "kind": "k", "value": null})),
            admin,
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let r = app
        .call(
            "POST",
            "/api/v1/credentials",
            Some(json!({"name": "big", "kind": "k", "value": "x".repeat(70 * 1024)})),
            admin,
        )
        .await;
    assert_eq!(r.status, 413, "{}", r.text);
    assert_eq!(app.get_as_admin(&path).await.json["version"], 2);

    // Concurrent value changes all land, each a version of its own.
    let puts = (0..3).map(|i| {
        let path = path.clone();
        let app = &app;
        async move {
            let r = app
                .call(
                    "PUT",
                    &path,
                    Some(json!({"value": format!("v-{i}")})),
                    admin,
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.text);
            r.json["version"].as_u64().unwrap()
        }
    });
    let mut versions = futures::future::join_all(puts).await;
    versions.sort();
    assert_eq!(versions, [3, 4, 5]);
}

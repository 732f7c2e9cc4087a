//! Shared fixtures for the gateway tests: an engine and gateway on a fresh SQLite database
//! (or PostgreSQL), requests through the router (no socket) or a real server on a random
//! port, and users of every role.

#![allow(dead_code)]

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use tower::ServiceExt;
use weft_actors::{Engine, EngineConfig};
use weft_gateway::{AppState, GatewayOptions, GatewayParts, router};
use weft_nodes::{NodeOptions, Registry};

pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";
pub const PASSWORD: &str = "a-long-enough-password";
pub const ROLES: [&str; 4] = ["viewer", "operator", "editor", "admin"];

pub struct TestApp {
    pub app: axum::Router,
    pub state: AppState,
    pub engine: Engine,
    pub admin: String,
    pub dir: tempfile::TempDir,
    /// Dropped (and the database with it) after the app.
    pg: Option<weft_test_support::PgDatabase>,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Resp {
    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// Quick passivation and timers, so tests that wait do not wait long.
pub fn engine_config() -> EngineConfig {
    EngineConfig {
        passivate_after_ms: 200,
        timer_poll_ms: 50,
        ..EngineConfig::default()
    }
}

/// Options the tests start from: no rate limits (tests turn them on where they test them),
/// small bodies.
pub fn test_options() -> GatewayOptions {
    let mut o = GatewayOptions::default();
    o.rate_limit.enabled = false;
    o.max_body_bytes = 256 * 1024;
    o.auth.admin_password = Some(ADMIN_PASSWORD.into());
    o.auth.jwt_secret = Some("a-test-secret-that-is-long-enough-0123456789".into());
    o
}

impl TestApp {
    pub async fn new() -> TestApp {
        Self::with_options(test_options()).await
    }

    pub async fn with_options(options: GatewayOptions) -> TestApp {
        Self::with_engine(options, engine_config()).await
    }

    pub async fn with_engine(options: GatewayOptions, config: EngineConfig) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("gw.db").display());
        Self::build(&url, options, config, dir).await
    }

    /// On a fresh PostgreSQL database.
    pub async fn postgres() -> TestApp {
        let pg = weft_test_support::PgDatabase::create().await;
        let mut app = Self::on(&pg.url, test_options(), tempfile::tempdir().unwrap()).await;
        app.pg = Some(pg);
        app
    }

    pub async fn on(url: &str, options: GatewayOptions, dir: tempfile::TempDir) -> TestApp {
        Self::build(url, options, engine_config(), dir).await
    }

    pub async fn build(
        url: &str,
        options: GatewayOptions,
        config: EngineConfig,
        dir: tempfile::TempDir,
    ) -> TestApp {
        let db = weft_persistence::connect_database(url).await.unwrap();
        let registry = Arc::new(Registry::builtin(NodeOptions::default()).unwrap());
        let store: Arc<dyn weft_persistence::Store> = db.clone();
        let engine = Engine::start(config, store, registry).await.unwrap();
        let state = AppState::build(GatewayParts {
            engine: engine.clone(),
            db,
            options,
            data_dir: dir.path().to_path_buf(),
        })
        .await
        .unwrap();
        let app = router(state.clone());
        let mut t = TestApp {
            app,
            state,
            engine,
            admin: String::new(),
            dir,
            pg: None,
        };
        t.admin = t.login("admin", ADMIN_PASSWORD).await["access_token"]
            .as_str()
            .expect("admin login")
            .to_string();
        t
    }

    pub async fn request(&self, req: Request<Body>) -> Resp {
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Resp {
            status,
            headers,
            json: serde_json::from_str(&text).unwrap_or(Value::Null),
            text,
        }
    }

    /// A JSON request with an optional bearer token.
    pub async fn call(
        &self,
        method: &str,
        uri: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> Resp {
        let mut req = Request::builder().method(method).uri(uri);
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let body = body
            .map(|b| Body::from(b.to_string()))
            .unwrap_or_else(Body::empty);
        self.request(req.body(body).unwrap()).await
    }

    pub async fn login(&self, username: &str, password: &str) -> Value {
        let r = self
            .call(
                "POST",
                "/api/v1/auth/login",
                Some(json!({"username": username, "password": password})),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "login {username}: {}", r.text);
        r.json
    }

    /// Creates a user with `role` (named after it plus a suffix) and returns its token.
    pub async fn user(&self, role: &str) -> String {
        let name = format!("{role}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let r = self
            .call(
                "POST",
                "/api/v1/users",
                Some(json!({"username": name, "password": PASSWORD, "role": role})),
                Some(&self.admin),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        self.login(&name, PASSWORD).await["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// POSTs `body` to a collection as admin, expects 201 and returns the new id.
    pub async fn create_as_admin(&self, path: &str, body: Value) -> String {
        let r = self.call("POST", path, Some(body), Some(&self.admin)).await;
        assert_eq!(r.status, StatusCode::CREATED, "POST {path}: {}", r.text);
        r.json["id"].as_str().unwrap().to_string()
    }

    /// A GET as admin.
    pub async fn get_as_admin(&self, path: &str) -> Resp {
        self.call("GET", path, None, Some(&self.admin)).await
    }

    /// Polls an execution (as admin) until it is finished, within `limit`; returns it.
    pub async fn finished(&self, id: &str, limit: std::time::Duration) -> Value {
        weft_test_support::eventually(limit, "the execution to finish", || async {
            let r = self.get_as_admin(&format!("/api/v1/executions/{id}")).await;
            let done = matches!(
                r.json["status"].as_str(),
                Some("succeeded" | "failed" | "cancelled" | "timed_out")
            );
            done.then_some(r.json)
        })
        .await
    }

    /// Creates a workflow from a definition (as admin) and returns its id.
    pub async fn workflow(&self, def: Value) -> String {
        let r = self
            .call("POST", "/api/v1/workflows", Some(def), Some(&self.admin))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.json["id"].as_str().unwrap().to_string()
    }

    /// Starts an execution (as admin) and returns its id.
    pub async fn start(&self, workflow_id: &str, input: Value) -> String {
        let r = self
            .call(
                "POST",
                &format!("/api/v1/workflows/{workflow_id}/executions"),
                Some(json!({"input": input})),
                Some(&self.admin),
            )
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
        r.json["id"].as_str().unwrap().to_string()
    }

    /// Serves the router on a random port, for WebSocket and real-HTTP tests.
    pub async fn serve(&self) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = self.state.clone();
        tokio::spawn(async move {
            weft_gateway::serve(listener, state, std::future::pending())
                .await
                .ok();
        });
        addr
    }
}

/// A workflow that always fails: a manual trigger and a `flow.fail` saying "no".
pub fn failing_workflow(name: &str) -> Value {
    json!({"name": name, "nodes": [
        {"id": "start", "type": "trigger.manual"},
        {"id": "boom", "type": "flow.fail", "config": {"message": "no"}}],
        "edges": [{"from": "start", "to": "boom"}]})
}

/// A small workflow: a manual trigger and one `data.set`.
pub fn simple_workflow(name: &str) -> Value {
    json!({
        "name": name,
        "nodes": [
            {"id": "start", "type": "trigger.manual"},
            {"id": "set", "type": "data.set", "config": {"fields": {"done": true}}}
        ],
        "edges": [{"from": "start", "to": "set"}]
    })
}

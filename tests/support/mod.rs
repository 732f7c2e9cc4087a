//! Shared fixtures for the binary's integration tests: a `weft serve` process on a free port,
//! fresh PostgreSQL databases, a counting HTTP server and polling with deadlines.
#![allow(dead_code)]

use serde_json::{Value, json};
use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
#[allow(unused_imports)]
pub use weft_test_support::{CountingServer, PgDatabase, eventually};

pub const WEFT: &str = env!("CARGO_BIN_EXE_weft");
/// The admin password every test server starts with.
pub const ADMIN_PASSWORD: &str = "integration-admin-password";

pub fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `weft serve` child process; killed with SIGKILL when dropped.
pub struct Server {
    child: Option<Child>,
    pub base: String,
    port: u16,
    database_url: String,
    data_dir: PathBuf,
    log: PathBuf,
    /// An admin access token.
    pub token: String,
    extra_env: Vec<(String, String)>,
}

impl Server {
    pub async fn start(database_url: &str, data_dir: &Path) -> Server {
        Self::start_on(free_port(), database_url, data_dir, Vec::new()).await
    }

    /// With extra environment variables (e.g. `WEFT_LOG`, gateway settings).
    pub async fn start_with(database_url: &str, data_dir: &Path, env: &[(&str, &str)]) -> Server {
        let env = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Self::start_on(free_port(), database_url, data_dir, env).await
    }

    async fn start_on(
        port: u16,
        database_url: &str,
        data_dir: &Path,
        extra_env: Vec<(String, String)>,
    ) -> Server {
        let log = data_dir.join(format!(
            "serve-{port}-{}.log",
            Instant::now().elapsed().as_nanos()
        ));
        let file = std::fs::File::create(&log).unwrap();
        let child = Command::new(WEFT)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("WEFT_DATABASE_URL", database_url)
            .env("WEFT_DATA_DIR", data_dir)
            .env("WEFT_HTTP_ALLOW", "127.0.0.1")
            .env("WEFT_ENGINE__PASSIVATE_AFTER_MS", "200")
            .env("WEFT_ENGINE__TIMER_POLL_MS", "100")
            .env("WEFT_LOG", "warn")
            .env("WEFT_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .envs(extra_env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("spawn weft serve");
        let mut s = Server {
            child: Some(child),
            base: format!("http://127.0.0.1:{port}"),
            port,
            database_url: database_url.to_string(),
            data_dir: data_dir.to_path_buf(),
            log,
            token: String::new(),
            extra_env,
        };
        s.wait_live().await;
        s.token = s.login("admin", ADMIN_PASSWORD).await;
        s
    }

    /// Logs in and returns the access token.
    pub async fn login(&self, username: &str, password: &str) -> String {
        let r = reqwest::Client::new()
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .unwrap();
        let status = r.status();
        let body: Value = r.json().await.unwrap();
        assert_eq!(status, 200, "login: {body}");
        body["access_token"].as_str().unwrap().to_string()
    }

    /// A request builder with the admin token.
    pub fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        reqwest::Client::new()
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }

    async fn wait_live(&mut self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = client
                .get(format!("{}/health/live", self.base))
                .send()
                .await
                && r.status().is_success()
            {
                return;
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!(
                    "weft serve exited with {status}: {}",
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            assert!(
                Instant::now() < deadline,
                "weft serve did not come up: {}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL: no shutdown code runs, like a crash.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts a new process on the same port and database.
    pub async fn restart(&mut self) {
        self.kill();
        let s = Server::start_on(
            self.port,
            &self.database_url.clone(),
            &self.data_dir.clone(),
            self.extra_env.clone(),
        )
        .await;
        *self = s;
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub async fn create_workflow(&self, def: &Value) -> String {
        let r = self
            .req(reqwest::Method::POST, "/api/v1/workflows")
            .json(def)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let body: Value = r.json().await.unwrap();
        assert_eq!(status, 201, "create workflow: {body}");
        body["id"].as_str().unwrap().to_string()
    }

    pub async fn start_execution(&self, workflow: &str, input: Value) -> String {
        let r = self
            .req(
                reqwest::Method::POST,
                &format!("/api/v1/workflows/{workflow}/executions"),
            )
            .json(&json!({ "input": input }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        let body: Value = r.json().await.unwrap();
        body["id"].as_str().unwrap().to_string()
    }

    /// The first page (500) of an execution's events: `{items: [{seq, type, node_id, …}]}`.
    pub async fn events(&self, id: &str) -> Value {
        self.req(
            reqwest::Method::GET,
            &format!("/api/v1/executions/{id}/events?limit=500"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
    }

    pub async fn execution(&self, id: &str) -> Option<Value> {
        let r = self
            .req(reqwest::Method::GET, &format!("/api/v1/executions/{id}"))
            .send()
            .await
            .ok()?;
        r.status().is_success().then_some(())?;
        r.json().await.ok()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

//! Fixtures shared by every Weft test suite (style: one test-support module, not copies):
//! fresh PostgreSQL databases that drop themselves, polling with a deadline instead of
//! sleeping-and-hoping, and small local HTTP and SMTP ([`smtp`]) servers.

pub mod smtp;
pub mod tls;

use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Polls `f` until it returns `Some`, failing the test with `what` after `timeout`.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A fresh PostgreSQL database on 127.0.0.1:5432, dropped with the guard.
pub struct PgDatabase {
    pub url: String,
    name: String,
}

const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";

impl PgDatabase {
    pub async fn create() -> PgDatabase {
        use sqlx::Connection;
        let name = format!("weft_it_{}", uuid::Uuid::new_v4().simple());
        let mut c = sqlx::PgConnection::connect(PG_ADMIN)
            .await
            .expect("PostgreSQL on 127.0.0.1:5432");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut c)
            .await
            .unwrap();
        PgDatabase {
            url: format!("postgres://postgres@127.0.0.1:5432/{name}"),
            name,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop from a fresh runtime on its own thread: the test's runtime may be gone.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                use sqlx::Connection;
                if let Ok(mut c) = sqlx::PgConnection::connect(PG_ADMIN).await {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut c).await;
                }
            });
        })
        .join();
    }
}

/// An HTTP server on 127.0.0.1 that records the `Idempotency-Key` of every request and
/// answers 503 to the first request of each key, 200 with `{"ok": true, "key": …}` after.
#[derive(Clone, Default)]
pub struct CountingServer {
    pub keys: Arc<Mutex<Vec<String>>>,
    pub base: String,
}

impl CountingServer {
    pub async fn start() -> CountingServer {
        use axum::http::{HeaderMap, StatusCode};
        use axum::routing::any;
        let keys: Arc<Mutex<Vec<String>>> = Arc::default();
        let k = keys.clone();
        let app = axum::Router::new().route(
            "/{*path}",
            any(move |headers: HeaderMap| {
                let keys = k.clone();
                async move {
                    let key = headers
                        .get("idempotency-key")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string();
                    let first = {
                        let mut ks = keys.lock().unwrap();
                        let first = !ks.contains(&key);
                        ks.push(key.clone());
                        first
                    };
                    if first {
                        (
                            StatusCode::SERVICE_UNAVAILABLE,
                            axum::Json(json!({"busy": true})),
                        )
                    } else {
                        (StatusCode::OK, axum::Json(json!({"ok": true, "key": key})))
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        CountingServer { keys, base }
    }
}

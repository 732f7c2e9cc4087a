//! The circuit breaker of (node type, host), end to end through the registry and
//! `http.request` against a local server: after enough failures calls fail fast without
//! reaching the server, then one half-open probe finds it healthy again and closes the
//! breaker.

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use weft_core::ErrorKind;
use weft_core::catalog::NodeCatalog;
use weft_nodes::resilience::BreakerPolicy;
use weft_nodes::testing::TestInput;
use weft_nodes::{AllowList, HttpOptions, NodeOptions, Registry, ResilienceOptions};
use weft_test_support::eventually;

struct Flaky {
    url: String,
    hits: Arc<AtomicUsize>,
    healthy: Arc<AtomicBool>,
}

async fn flaky_server() -> Flaky {
    let hits = Arc::new(AtomicUsize::new(0));
    let healthy = Arc::new(AtomicBool::new(false));
    let (h, ok) = (hits.clone(), healthy.clone());
    let app = Router::new().route(
        "/",
        get(move || {
            let (h, ok) = (h.clone(), ok.clone());
            async move {
                h.fetch_add(1, Ordering::SeqCst);
                if ok.load(Ordering::SeqCst) {
                    (StatusCode::OK, "fine")
                } else {
                    (StatusCode::SERVICE_UNAVAILABLE, "down")
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Flaky { url, hits, healthy }
}

async fn call(r: &Registry, url: &str) -> Result<weft_nodes::NodeOutput, weft_core::NodeError> {
    let spec = r.spec("http.request").unwrap().clone();
    let mut input = TestInput::new(json!({"url": url})).build(&spec).unwrap();
    input.env = r.env("http.request");
    r.run("http.request", input).await
}

#[tokio::test]
async fn after_failures_calls_fail_fast_then_a_half_open_probe_recovers() {
    let server = flaky_server().await;
    let registry = Registry::builtin(NodeOptions {
        http: HttpOptions {
            allow: AllowList::parse("127.0.0.1").unwrap(),
            ..HttpOptions::default()
        },
        resilience: ResilienceOptions {
            breaker: BreakerPolicy {
                enabled: true,
                window: Duration::from_secs(60),
                min_calls: 3,
                failure_rate: 0.5,
                open_for: Duration::from_millis(300),
            },
            ..ResilienceOptions::default()
        },
        ..NodeOptions::default()
    })
    .unwrap();

    for _ in 0..3 {
        let e = call(&registry, &server.url).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Transient);
        assert!(e.message.contains("503"), "{}", e.message);
    }
    assert_eq!(server.hits.load(Ordering::SeqCst), 3);

    // Open: the server is not called at all.
    for _ in 0..5 {
        let e = call(&registry, &server.url).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Transient);
        assert!(
            e.message.starts_with("circuit open for 127.0.0.1"),
            "{}",
            e.message
        );
    }
    assert_eq!(server.hits.load(Ordering::SeqCst), 3, "calls failed fast");

    server.healthy.store(true, Ordering::SeqCst);
    // Once open_for has passed, one probe goes through, succeeds and closes the breaker.
    let out = eventually(Duration::from_secs(10), "a half-open probe", || async {
        call(&registry, &server.url).await.ok()
    })
    .await;
    assert_eq!(out.output["status"], 200);
    assert_eq!(server.hits.load(Ordering::SeqCst), 4, "exactly one probe");
    for _ in 0..3 {
        call(&registry, &server.url).await.expect("closed again");
    }
    assert_eq!(server.hits.load(Ordering::SeqCst), 7);
}

#[tokio::test]
async fn a_failed_probe_keeps_it_open() {
    let server = flaky_server().await;
    let registry = Registry::builtin(NodeOptions {
        http: HttpOptions {
            allow: AllowList::parse("127.0.0.1").unwrap(),
            ..HttpOptions::default()
        },
        resilience: ResilienceOptions {
            breaker: BreakerPolicy {
                enabled: true,
                window: Duration::from_secs(60),
                min_calls: 2,
                failure_rate: 1.0,
                open_for: Duration::from_millis(200),
            },
            ..ResilienceOptions::default()
        },
        ..NodeOptions::default()
    })
    .unwrap();
    for _ in 0..2 {
        call(&registry, &server.url).await.unwrap_err();
    }
    // Wait until the probe reaches the (still failing) server.
    eventually(Duration::from_secs(10), "the probe", || async {
        let _ = call(&registry, &server.url).await;
        (server.hits.load(Ordering::SeqCst) == 3).then_some(())
    })
    .await;
    let e = call(&registry, &server.url).await.unwrap_err();
    assert!(e.message.starts_with("circuit open"), "{}", e.message);
    assert_eq!(server.hits.load(Ordering::SeqCst), 3);
}

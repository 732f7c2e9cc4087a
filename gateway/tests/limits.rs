//! Limits and headers: per-IP and per-principal rate limits answer 429 with Retry-After, login
//! attempts are throttled, oversized bodies get 413, wrong content types 415, pages are
//! capped, every answer carries the security headers and a request id, CORS answers only
//! allowed origins, and unknown paths are 404 problems.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::json;
use support::{TestApp, test_options};
use weft_gateway::config::Quota;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_answer_429_with_retry_after() {
    let mut options = test_options();
    options.rate_limit.enabled = true;
    options.rate_limit.per_principal = Quota {
        per_second: 1,
        burst: 5,
    };
    options.rate_limit.login_per_ip = Quota {
        per_second: 1,
        burst: 3,
    };
    let app = TestApp::with_options(options).await;
    let other = app.user("viewer").await;
    let mut limited = None;
    for _ in 0..10 {
        let r = app
            .call("GET", "/api/v1/workflows", None, Some(&app.admin))
            .await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(r);
            break;
        }
    }
    let r = limited.expect("the principal's bucket ran out");
    assert!(
        r.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert_eq!(r.json["code"], "rate_limited");
    // Another principal is unaffected.
    assert_eq!(
        app.call("GET", "/api/v1/workflows", None, Some(&other))
            .await
            .status,
        StatusCode::OK
    );
    // Logins: a burst at once runs the bucket out (sent together, so slow password hashing
    // cannot give the bucket time to refill between them).
    let attempts = (0..8).map(|_| {
        app.call(
            "POST",
            "/api/v1/auth/login",
            Some(json!({"username": "x", "password": "y"})),
            None,
        )
    });
    let throttled = futures::future::join_all(attempts)
        .await
        .iter()
        .any(|r| r.status == StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_ip_limit_covers_anonymous_requests() {
    let mut options = test_options();
    options.rate_limit.enabled = true;
    options.rate_limit.per_ip = Quota {
        per_second: 1,
        burst: 20,
    };
    options.rate_limit.login_per_ip = Quota {
        per_second: 100,
        burst: 100,
    };
    let app = TestApp::with_options(options).await;
    let mut codes = Vec::new();
    for _ in 0..30 {
        codes.push(app.call("GET", "/health/live", None, None).await.status);
    }
    assert!(codes.contains(&StatusCode::TOO_MANY_REQUESTS), "{codes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_types_and_pages_are_bounded() {
    let app = TestApp::new().await;
    let big = json!({"name": "x".repeat(300 * 1024), "nodes": []});
    let r = app
        .call("POST", "/api/v1/workflows", Some(big), Some(&app.admin))
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
    assert_eq!(r.content_type(), "application/problem+json");
    let req = Request::post("/api/v1/workflows")
        .header("authorization", format!("Bearer {}", app.admin))
        .header("content-type", "text/plain")
        .body(Body::from("{}"))
        .unwrap();
    let r = app.request(req).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(r.json["field"], "Content-Type");
    let r = app
        .call(
            "GET",
            "/api/v1/executions?limit=5000",
            None,
            Some(&app.admin),
        )
        .await;
    assert_eq!(
        (r.status, r.json["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("limit"))
    );
    let r = app
        .call(
            "GET",
            "/api/v1/executions?status=sleeping",
            None,
            Some(&app.admin),
        )
        .await;
    assert_eq!(
        (r.status, r.json["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("status"))
    );
    let r = app
        .call(
            "GET",
            "/api/v1/executions?colour=red",
            None,
            Some(&app.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text.contains("colour"), "{}", r.text);
    // A body with the wrong shape names the field.
    let w = app.workflow(support::simple_workflow("p")).await;
    let r = app
        .call(
            "POST",
            &format!("/api/v1/workflows/{w}/executions"),
            Some(json!({"priority": "high"})),
            Some(&app.admin),
        )
        .await;
    assert_eq!(
        (r.status, r.json["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("priority")),
        "{}",
        r.text
    );
    // Invalid definitions list every problem with its pointer; nothing is stored.
    let r = app
        .call(
            "POST",
            "/api/v1/workflows",
            Some(json!({"name": "bad", "nodes": [{"id": "a", "type": "http.requst"}]})),
            Some(&app.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!r.json["problems"].as_array().unwrap().is_empty());
    let list = app
        .call("GET", "/api/v1/workflows", None, Some(&app.admin))
        .await;
    assert_eq!(list.json["items"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_request_ids_cors_and_not_found() {
    let mut options = test_options();
    options.cors.allowed_origins = vec!["https://ui.example".into()];
    let app = TestApp::with_options(options).await;
    let r = app
        .call("GET", "/api/v1/workflows", None, Some(&app.admin))
        .await;
    for h in [
        "x-content-type-options",
        "x-frame-options",
        "referrer-policy",
        "content-security-policy",
        "x-request-id",
    ] {
        assert!(r.headers.contains_key(h), "missing {h}");
    }
    assert_eq!(r.headers["cache-control"], "no-store");
    let req = Request::get("/health/live")
        .header("x-request-id", "abc-123")
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.request(req).await.headers["x-request-id"], "abc-123");
    let req = Request::get("/health/live")
        .header(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        )
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        app.request(req).await.headers["x-request-id"],
        "4bf92f3577b34da6a3ce929d0e0e4736"
    );
    // CORS preflight: allowed origin yes, others no.
    let pre = |origin: &str| {
        Request::builder()
            .method("OPTIONS")
            .uri("/api/v1/workflows")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .body(Body::empty())
            .unwrap()
    };
    let r = app.request(pre("https://ui.example")).await;
    assert_eq!(
        r.headers["access-control-allow-origin"],
        "https://ui.example"
    );
    let r = app.request(pre("https://evil.example")).await;
    assert!(!r.headers.contains_key("access-control-allow-origin"));
    let r = app.call("GET", "/nowhere", None, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.content_type(), "application/problem+json");
    let r = app
        .call("DELETE", "/api/v1/nodes", None, Some(&app.admin))
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.content_type(), "application/problem+json");
    assert_eq!(r.json["code"], "method_not_allowed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutating_requests_are_audited_without_bodies() {
    let app = TestApp::new().await;
    let w = app.workflow(support::simple_workflow("audited")).await;
    let r = app
        .call(
            "POST",
            "/api/v1/credentials",
            Some(json!({"name": "c", "kind": "k", "value": "audit-canary-3141"})),
            Some(&app.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let denied = app.user("viewer").await;
    app.call(
        "DELETE",
        &format!("/api/v1/workflows/{w}"),
        None,
        Some(&denied),
    )
    .await;
    let page = weft_test_support::eventually(
        std::time::Duration::from_secs(5),
        "audit entries",
        || async {
            let r = app
                .call("GET", "/api/v1/audit?limit=100", None, Some(&app.admin))
                .await;
            let done = r.json["items"].as_array().is_some_and(|items| {
                items
                    .iter()
                    .any(|e| e["action"] == "DELETE /api/v1/workflows/{id}")
            });
            done.then_some(r)
        },
    )
    .await;
    assert!(!page.text.contains("audit-canary-3141"));
    let items = page.json["items"].as_array().unwrap();
    assert!(items.iter().any(|e| e["action"] == "POST /api/v1/workflows"
        && e["principal"] == "user:admin"
        && e["status"] == 201));
    assert!(
        items
            .iter()
            .any(|e| e["action"] == "DELETE /api/v1/workflows/{id}" && e["status"] == 403)
    );
    assert!(
        items
            .iter()
            .any(|e| e["action"] == "POST /api/v1/auth/login")
    );
    // Filters.
    let r = app
        .call(
            "GET",
            "/api/v1/audit?principal=user:admin&action=POST%20/api/v1/credentials",
            None,
            Some(&app.admin),
        )
        .await;
    let items = r.json["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", r.text);
}

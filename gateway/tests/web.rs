//! What browsers get: the web app from `web_dist` with index.html for client-side routes,
//! the bundled API docs, and the OpenAPI document.

mod support;

use axum::http::StatusCode;
use support::{TestApp, test_options};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_app_is_served_with_a_spa_fallback() {
    let dist = tempfile::tempdir().unwrap();
    std::fs::write(
        dist.path().join("index.html"),
        "<!doctype html><title>Weft</title>",
    )
    .unwrap();
    std::fs::create_dir(dist.path().join("assets")).unwrap();
    std::fs::write(dist.path().join("assets/app.js"), "console.log('weft')").unwrap();
    let mut options = test_options();
    options.web_dist = Some(dist.path().to_path_buf());
    let app = TestApp::with_options(options).await;
    let r = app.call("GET", "/", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("<title>Weft</title>"));
    let r = app.call("GET", "/assets/app.js", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.content_type().contains("javascript"),
        "{}",
        r.content_type()
    );
    // A client-side route gets the app.
    let r = app.call("GET", "/workflows/0192/edit", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("<title>Weft</title>"));
    assert!(r.headers.contains_key("content-security-policy"));
    // The API keeps its own answers.
    let r = app.call("GET", "/api/v1/workflows", None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // Without a web app, unknown paths are 404 problems.
    let bare = TestApp::new().await;
    let r = bare.call("GET", "/workflows/0192/edit", None, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_docs_and_the_openapi_document_are_served_from_the_binary() {
    let app = TestApp::new().await;
    let r = app.call("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json["openapi"], "3.1.0");
    assert!(r.json["paths"]["/api/v1/workflows/{id}/executions"]["post"].is_object());
    let r = app.call("GET", "/api/docs/", None, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("swagger"), "{}", r.text);
    // Its assets come from the binary too.
    let r = app
        .call("GET", "/api/docs/swagger-ui.css", None, None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.text.contains("cdn."), "no CDN");
}

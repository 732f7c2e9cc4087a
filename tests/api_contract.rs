//! The API against its own OpenAPI document, on the real binary:
//! - schemathesis (from PyPI) generates requests for every operation, as an admin, and must
//!   find no 5xx and no response that breaks the documented schema or content type;
//! - a canary secret stored as a credential never shows up in logs, events, errors, API
//!   output or the database file.

mod support;

use reqwest::Method;
use serde_json::{Value, json};
use std::process::Command;
use support::Server;

fn schemathesis() -> Command {
    // `.ci/run` installs it; a missing tool is a failure, not a skip.
    let found = Command::new("schemathesis").arg("--version").output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "schemathesis is not installed (pip install schemathesis)"
    );
    Command::new("schemathesis")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_errors_or_schema_violations() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("fuzz.db").display());
    let server = Server::start_with(
        &url,
        dir.path(),
        &[("WEFT_GATEWAY__RATE_LIMIT__ENABLED", "false")],
    )
    .await;
    // Something to read: a workflow with a finished execution.
    let def: Value = serde_json::from_str(include_str!("../examples/order-routing.json")).unwrap();
    let w = server.create_workflow(&def).await;
    server
        .start_execution(&w, json!({"id": 1, "total": 250}))
        .await;

    let report = dir.path().join("report");
    let out = schemathesis()
        .args(["run", &format!("{}/api/v1/openapi.json", server.base)])
        .args(["--url", &server.base])
        .args(["-H", &format!("Authorization: Bearer {}", server.token)])
        .args([
            "--checks",
            "not_a_server_error,response_schema_conformance,content_type_conformance",
        ])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--max-examples", "8", "--seed", "7", "--workers", "2"])
        .args(["--generation-database", "none"])
        .args(["--request-timeout", "10", "--max-time", "150"])
        .args(["--report", "junit", "--report-dir"])
        .arg(&report)
        .env("NO_COLOR", "1")
        .output()
        .expect("run schemathesis");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "schemathesis found problems:\n{text}\n--- server log ---\n{}",
        server.log()
    );
    // It really exercised the API.
    assert!(text.contains("passed") || text.contains("Passed"), "{text}");
}

const CANARY: &str = "canary-7f3a9c1e-do-not-leak";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_canary_credential_never_leaks() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("canary.db").display());
    let server = Server::start_with(&url, dir.path(), &[("WEFT_LOG", "debug")]).await;
    let mut seen = Vec::new();
    let mut call = async |method: Method, path: &str, body: Option<Value>| {
        let mut r = server.req(method, path);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = format!("{:?}", resp.headers());
        let text = resp.text().await.unwrap();
        seen.push(format!("{path} {status} {headers} {text}"));
        (status, text)
    };
    let (status, created) = call(
        Method::POST,
        "/api/v1/credentials",
        Some(json!({"name": "payments", "kind": "http.bearer", "value": {"token": CANARY}})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = serde_json::from_str::<Value>(&created).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Bad requests around the secret.
    call(
        Method::POST,
        "/api/v1/credentials",
        Some(json!({"name": "payments", "kind": "x", "value": CANARY})),
    )
    .await;
    call(
        Method::POST,
        "/api/v1/credentials",
        Some(json!({"name": "p2", "kind": "x", "value": [CANARY]})),
    )
    .await;
    call(
        Method::POST,
        "/api/v1/credentials",
        Some(json!({"name": "p3", "kind": "x", "value": CANARY, "extra": CANARY})),
    )
    .await;
    call(
        Method::PUT,
        &format!("/api/v1/credentials/{id}"),
        Some(json!({"value": {"token": CANARY}})),
    )
    .await;
    call(
        Method::PUT,
        &format!("/api/v1/credentials/{id}"),
        Some(json!({"value": 42, "colour": CANARY})),
    )
    .await;
    // Every read.
    for path in [
        "/api/v1/credentials".to_string(),
        format!("/api/v1/credentials/{id}"),
        "/api/v1/audit".to_string(),
        "/api/v1/executions".to_string(),
        "/api/v1/workflows".to_string(),
    ] {
        let (status, _) = call(Method::GET, &path, None).await;
        assert_eq!(status, 200, "{path}");
    }
    // An execution whose input mentions the credential's name, and its events and logs.
    let def: Value = serde_json::from_str(include_str!("../examples/order-routing.json")).unwrap();
    let w = server.create_workflow(&def).await;
    let e = server
        .start_execution(&w, json!({"id": 1, "total": 1}))
        .await;
    support::eventually(std::time::Duration::from_secs(10), "execution", || async {
        server
            .execution(&e)
            .await
            .filter(|x| x["status"] != "queued" && x["status"] != "running")
    })
    .await;
    call(Method::GET, &format!("/api/v1/executions/{e}/events"), None).await;
    call(
        Method::GET,
        &format!("/api/v1/executions/{e}/logs?level=debug"),
        None,
    )
    .await;
    for s in &seen {
        assert!(!s.contains(CANARY), "leaked in API output: {s}");
    }
    let log = server.log();
    assert!(!log.is_empty());
    assert!(!log.contains(CANARY), "leaked in the log");
    // Sealed at rest: not in the database files.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let p = entry.unwrap().path();
        if p.to_string_lossy().contains("canary.db") {
            let bytes = std::fs::read(&p).unwrap();
            assert!(
                !bytes.windows(CANARY.len()).any(|w| w == CANARY.as_bytes()),
                "plaintext in {}",
                p.display()
            );
        }
    }
}

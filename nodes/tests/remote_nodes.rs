//! Remote node types against a local service speaking the remote node protocol: the request
//! the engine sends, replies with ports and logs, error kinds chosen by the service, bearer
//! credentials (and their scrubbing), design-time checks against the declared schema, the
//! declaration file formats, and the address guard (only declared hosts are reachable).

use axum::Router;
use axum::extract::Json;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::post;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use weft_core::ErrorKind;
use weft_core::catalog::NodeCatalog;
use weft_nodes::remote::{RemoteNodeDeclaration, RemoteOptions};
use weft_nodes::testing::TestInput;
use weft_nodes::{NodeOptions, Registry};

/// What the service saw: the last request body and its headers.
type Seen = Arc<Mutex<Vec<(Value, HeaderMap)>>>;

async fn service() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let s = seen.clone();
    let app = Router::new()
        .route(
            "/score",
            post(move |headers: HeaderMap, Json(body): Json<Value>| {
                let seen = s.clone();
                async move {
                    seen.lock().unwrap().push((body.clone(), headers));
                    let text = body["config"]["text"].as_str().unwrap_or("").to_string();
                    let score = text.len() as i64;
                    let port = if score > 5 { "high" } else { "low" };
                    Json(json!({
                        "output": {"score": score, "echo": body["input"]},
                        "port": port,
                        "logs": [{"level": "info", "message": format!("scored {score}")}],
                    }))
                }
            }),
        )
        .route("/plain", post(|| async { Json(json!([1, 2, 3])) }))
        .route(
            "/refuse",
            post(|| async {
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Json(json!({"error": {"kind": "permanent", "message": "text is too rude"}})),
                )
                    .into_response()
            }),
        )
        .route(
            "/busy",
            post(|| async { (StatusCode::SERVICE_UNAVAILABLE, "try later").into_response() }),
        )
        .route(
            "/bad-port",
            post(|| async { Json(json!({"output": 1, "port": "sideways"})) }),
        )
        .route(
            "/token",
            post(|headers: HeaderMap| async move {
                let auth = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                // A careless service echoing the token back: the registry must scrub it.
                Json(json!({"output": {"auth": auth}}))
            }),
        )
        .route(
            "/hop",
            post(|| async { Redirect::temporary("http://10.255.255.1/steal").into_response() }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, seen)
}

fn declaration(type_name: &str, url: String) -> RemoteNodeDeclaration {
    RemoteNodeDeclaration {
        type_name: type_name.to_string(),
        url,
        description: "Scores a text.".to_string(),
        category: None,
        ports: Some(vec!["high".into(), "low".into()]),
        schema: Some(json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["text"],
            "properties": {"text": {"type": "string", "title": "Text", "description": "What to score."}}
        })),
        timeout_ms: Some(5_000),
        credential: None,
        retry: None,
    }
}

fn registry(declarations: Vec<RemoteNodeDeclaration>) -> Registry {
    Registry::builtin(NodeOptions {
        remote: RemoteOptions {
            remote: declarations,
        },
        ..NodeOptions::default()
    })
    .expect("registry with remote types")
}

async fn run(
    registry: &Registry,
    type_name: &str,
    input: TestInput,
) -> Result<weft_nodes::NodeOutput, weft_core::NodeError> {
    let spec = registry.spec(type_name).expect("declared").clone();
    let mut input = input.build(&spec).expect("input builds");
    // Keep the harness's credentials but use the registry's breakers and type name.
    input.env = weft_nodes::NodeEnv {
        credentials: input.env.credentials.clone(),
        ..registry.env(type_name)
    };
    registry.run(type_name, input).await
}

#[tokio::test]
async fn a_remote_type_is_called_with_config_input_and_idempotency_key() {
    let (base, seen) = service().await;
    let r = registry(vec![declaration("acme.score", format!("{base}/score"))]);
    let spec = r.spec("acme.score").unwrap();
    assert_eq!(spec.category, "acme");
    assert_eq!(
        spec.ports.names(&json!({})),
        vec!["high".to_string(), "low".to_string()]
    );

    let out = run(
        &r,
        "acme.score",
        TestInput::new(json!({"text": "{{ .prev.word }}"}))
            .prev(json!({"word": "weftwork"}))
            .node_id("score")
            .attempt(2),
    )
    .await
    .expect("remote call succeeds");
    assert_eq!(
        out.output,
        json!({"score": 8, "echo": {"word": "weftwork"}})
    );
    assert_eq!(out.ports, vec!["high"]);
    assert_eq!(out.logs[0].message, "scored 8");

    let (body, headers) = seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(body["type"], "acme.score");
    assert_eq!(
        body["config"],
        json!({"text": "weftwork"}),
        "rendered config"
    );
    assert_eq!(body["node_id"], "score");
    assert_eq!(body["attempt"], 2);
    assert_eq!(body["context"]["prev"], json!({"word": "weftwork"}));
    let key = body["idempotency_key"].as_str().unwrap();
    assert!(key.ends_with("/score"), "{key}");
    assert_eq!(headers.get("idempotency-key").unwrap(), key);
}

#[tokio::test]
async fn a_reply_without_output_is_the_output_on_the_first_port() {
    let (base, _) = service().await;
    let mut d = declaration("acme.plain", format!("{base}/plain"));
    d.ports = None;
    d.schema = None;
    let r = registry(vec![d]);
    let out = run(&r, "acme.plain", TestInput::new(json!({})))
        .await
        .unwrap();
    assert_eq!(out.output, json!([1, 2, 3]));
    assert_eq!(out.ports, vec!["main"]);
}

#[tokio::test]
async fn the_service_chooses_error_kinds_and_undeclared_ports_are_refused() {
    let (base, _) = service().await;
    let r = registry(vec![
        declaration("acme.refuse", format!("{base}/refuse")),
        declaration("acme.busy", format!("{base}/busy")),
        declaration("acme.badport", format!("{base}/bad-port")),
    ]);
    let e = run(&r, "acme.refuse", TestInput::new(json!({"text": "x"})))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Permanent);
    assert_eq!(e.message, "acme.refuse: text is too rude");

    let e = run(&r, "acme.busy", TestInput::new(json!({"text": "x"})))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Transient, "{e:?}");

    let e = run(&r, "acme.badport", TestInput::new(json!({"text": "x"})))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Permanent);
    assert!(e.message.contains("port `sideways`"), "{}", e.message);
}

#[tokio::test]
async fn configs_are_checked_against_the_declared_schema() {
    let (base, _) = service().await;
    let r = registry(vec![declaration("acme.score", format!("{base}/score"))]);
    let problems = r.check_config("acme.score", &json!({"txt": "hi"}));
    let text = format!("{problems:?}");
    assert!(text.contains("text"), "{text}");
    let e = run(&r, "acme.score", TestInput::new(json!({"text": 5})))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Config);
    assert!(e.message.contains("/text"), "{}", e.message);
}

#[tokio::test]
async fn a_bearer_credential_is_sent_and_never_comes_back_out() {
    let (base, _) = service().await;
    let mut d = declaration("acme.token", format!("{base}/token"));
    d.credential = Some("acme-key".into());
    d.schema = None;
    d.ports = None;
    let r = registry(vec![d]);
    let out = run(
        &r,
        "acme.token",
        TestInput::new(json!({})).credential("acme-key", json!({"token": "canary-7d1f2a"})),
    )
    .await
    .unwrap();
    assert_eq!(out.output, json!({"auth": "Bearer [redacted]"}));

    let e = run(&r, "acme.token", TestInput::new(json!({})))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Config);
    assert_eq!(e.message, "credential `acme-key` does not exist");
}

#[tokio::test]
async fn only_declared_hosts_are_reachable_even_through_redirects() {
    let (base, _) = service().await;
    let r = registry(vec![declaration("acme.hop", format!("{base}/hop"))]);
    let e = run(&r, "acme.hop", TestInput::new(json!({"text": "x"})))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Permanent, "{e:?}");
    assert!(e.message.contains("10.255.255.1"), "{}", e.message);
    // http.request in the same registry still refuses the declared (loopback) host.
    let e = run(
        &r,
        "http.request",
        TestInput::new(json!({"url": format!("{base}/plain"), "method": "POST"})),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Permanent);
}

#[test]
fn declarations_load_from_toml_yaml_and_json_and_bad_ones_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("remote.toml");
    std::fs::write(
        &toml,
        r#"
[[remote]]
type = "acme.score"
url = "http://127.0.0.1:9000/score"
description = "Scores a text."
ports = ["high", "low"]
timeout_ms = 2000
schema = { type = "object", properties = { text = { type = "string", description = "What to score." } } }
"#,
    )
    .unwrap();
    let o = RemoteOptions::from_file(&toml).unwrap();
    assert_eq!(o.remote[0].type_name, "acme.score");
    assert_eq!(o.remote[0].timeout_ms, Some(2000));

    let yaml = dir.path().join("remote.yaml");
    std::fs::write(
        &yaml,
        "remote:\n  - type: acme.x\n    url: https://nodes.example/x\n    description: X.\n",
    )
    .unwrap();
    assert_eq!(
        RemoteOptions::from_file(&yaml).unwrap().remote[0].url,
        "https://nodes.example/x"
    );

    let json_file = dir.path().join("remote.json");
    for (text, wanted) in [
        (
            r#"{"remote": [{"type": "acme.x", "url": "ftp://h/x", "description": "X."}]}"#,
            "remote node `acme.x`: url must be an http or https URL",
        ),
        (
            r#"{"remote": [{"type": "acme.x", "url": "http://h/x", "description": " "}]}"#,
            "description is empty",
        ),
        (
            r#"{"remote": [{"type": "acme.x", "url": "http://h/x", "description": "X.", "schema": {"type": "string"}}]}"#,
            "schema must be a JSON Schema of type object",
        ),
        (
            r#"{"remote": [{"type": "acme.x", "url": "http://h/x", "description": "X.", "colour": 1}]}"#,
            "unknown field `colour`",
        ),
    ] {
        std::fs::write(&json_file, text).unwrap();
        let e = RemoteOptions::from_file(&json_file)
            .unwrap_err()
            .to_string();
        assert!(e.contains(wanted), "{e}");
    }
}

#[test]
fn a_remote_type_cannot_shadow_a_built_in_one() {
    let e = Registry::builtin(NodeOptions {
        remote: RemoteOptions {
            remote: vec![declaration(
                "http.request",
                "http://127.0.0.1:1/x".to_string(),
            )],
        },
        ..NodeOptions::default()
    })
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "node type `http.request` is already registered"
    );
}

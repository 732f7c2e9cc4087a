//! Every route: 401 without a credential and with an invalid one, 403 with the role just
//! below the one it needs, and the happy path with exactly that role.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;
use support::{TestApp, simple_workflow};

struct Route {
    method: &'static str,
    path: String,
    /// The weakest role allowed.
    role: &'static str,
    body: Option<Value>,
    /// The status the happy path answers with the weakest allowed role.
    happy: u16,
}

fn below(role: &str) -> Option<&'static str> {
    match role {
        "operator" => Some("viewer"),
        "editor" => Some("operator"),
        "admin" => Some("editor"),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_checks_authentication_and_role() {
    let app = TestApp::new().await;
    let w = app.workflow(simple_workflow("rbac")).await;
    let w_delete = app.workflow(simple_workflow("to delete")).await;
    let e = app.start(&w, json!({})).await;
    app.finished(&e, Duration::from_secs(10)).await;
    let failing = app.workflow(support::failing_workflow("fails")).await;
    let f = app.start(&failing, json!({})).await;
    assert_eq!(
        app.finished(&f, Duration::from_secs(10)).await["status"],
        "failed"
    );
    let waiting = app
        .workflow(json!({"name": "waits", "nodes": [
            {"id": "start", "type": "trigger.manual"},
            {"id": "approve", "type": "flow.signal", "config": {"name": "go", "timeout_ms": 600000}}],
            "edges": [{"from": "start", "to": "approve"}]}))
        .await;
    let s = app.start(&waiting, json!({})).await;
    let c = app.start(&waiting, json!({})).await;
    let user = app
        .create_as_admin(
            "/api/v1/users",
            json!({"username": "someone", "password": support::PASSWORD, "role": "viewer"}),
        )
        .await;
    let user_delete = app
        .create_as_admin(
            "/api/v1/users",
            json!({"username": "leaving", "password": support::PASSWORD, "role": "viewer"}),
        )
        .await;
    let key = app
        .create_as_admin(
            "/api/v1/api-keys",
            json!({"name": "admin key", "role": "viewer"}),
        )
        .await;
    let cred = app
        .create_as_admin(
            "/api/v1/credentials",
            json!({"name": "c1", "kind": "http.bearer", "value": "s3cret"}),
        )
        .await;
    let cred_delete = app
        .create_as_admin(
            "/api/v1/credentials",
            json!({"name": "c2", "kind": "http.bearer", "value": "s3cret"}),
        )
        .await;

    let r = |method: &'static str,
             path: String,
             role: &'static str,
             body: Option<Value>,
             happy: u16| Route {
        method,
        path,
        role,
        body,
        happy,
    };
    let v1 = |p: &str| format!("/api/v1{p}");
    let routes = vec![
        r("GET", v1("/auth/me"), "viewer", None, 200),
        r(
            "POST",
            v1("/auth/logout"),
            "viewer",
            Some(json!({"refresh_token": "unknown"})),
            204,
        ),
        r("POST", v1("/auth/mfa/setup"), "viewer", None, 200),
        r("GET", v1("/users"), "admin", None, 200),
        r(
            "POST",
            v1("/users"),
            "admin",
            Some(json!({"username": "new-user", "password": support::PASSWORD, "role": "editor"})),
            201,
        ),
        r("GET", v1(&format!("/users/{user}")), "admin", None, 200),
        r(
            "PATCH",
            v1(&format!("/users/{user}")),
            "admin",
            Some(json!({"role": "operator"})),
            200,
        ),
        r(
            "DELETE",
            v1(&format!("/users/{user_delete}")),
            "admin",
            None,
            204,
        ),
        r("GET", v1("/api-keys"), "viewer", None, 200),
        r(
            "POST",
            v1("/api-keys"),
            "viewer",
            Some(json!({"name": "mine", "role": "viewer"})),
            201,
        ),
        r(
            "DELETE",
            v1(&format!("/api-keys/{key}")),
            "admin",
            None,
            204,
        ),
        r("GET", v1("/audit"), "admin", None, 200),
        r("GET", v1("/stats"), "viewer", None, 200),
        r(
            "POST",
            v1("/expressions/evaluate"),
            "editor",
            Some(json!({"expression": "{{ .a }}", "context": {"a": 1}})),
            200,
        ),
        r("GET", v1("/workflows"), "viewer", None, 200),
        r(
            "POST",
            v1("/workflows"),
            "editor",
            Some(simple_workflow("created")),
            201,
        ),
        r(
            "POST",
            v1("/workflows/validate"),
            "viewer",
            Some(simple_workflow("checked")),
            200,
        ),
        r("GET", v1(&format!("/workflows/{w}")), "viewer", None, 200),
        r(
            "PUT",
            v1(&format!("/workflows/{w}")),
            "editor",
            Some(simple_workflow("rbac v2")),
            200,
        ),
        r(
            "DELETE",
            v1(&format!("/workflows/{w_delete}")),
            "editor",
            None,
            204,
        ),
        r(
            "GET",
            v1(&format!("/workflows/{w}/versions")),
            "viewer",
            None,
            200,
        ),
        r(
            "GET",
            v1(&format!("/workflows/{w}/versions/1")),
            "viewer",
            None,
            200,
        ),
        r(
            "GET",
            v1(&format!("/workflows/{w}/diff?from=1&to=1")),
            "viewer",
            None,
            200,
        ),
        r(
            "GET",
            v1(&format!("/workflows/{w}/export")),
            "viewer",
            None,
            200,
        ),
        r(
            "POST",
            v1(&format!("/workflows/{w}/executions")),
            "operator",
            Some(json!({"input": {}})),
            202,
        ),
        r("GET", v1("/executions"), "viewer", None, 200),
        r("GET", v1(&format!("/executions/{e}")), "viewer", None, 200),
        r(
            "GET",
            v1(&format!("/executions/{e}/events")),
            "viewer",
            None,
            200,
        ),
        r(
            "GET",
            v1(&format!("/executions/{e}/logs")),
            "viewer",
            None,
            200,
        ),
        r(
            "POST",
            v1(&format!("/executions/{c}/cancel")),
            "operator",
            None,
            202,
        ),
        r(
            "POST",
            v1(&format!("/executions/{s}/signals/go")),
            "operator",
            Some(json!({"ok": true})),
            202,
        ),
        r(
            "POST",
            v1(&format!("/executions/{f}/retry")),
            "operator",
            None,
            202,
        ),
        r("GET", v1("/credentials"), "editor", None, 200),
        r(
            "POST",
            v1("/credentials"),
            "editor",
            Some(json!({"name": "c3", "kind": "k", "value": {"token": "t"}})),
            201,
        ),
        r(
            "GET",
            v1(&format!("/credentials/{cred}")),
            "editor",
            None,
            200,
        ),
        r(
            "PUT",
            v1(&format!("/credentials/{cred}")),
            "editor",
            Some(json!({"kind": "other"})),
            200,
        ),
        r(
            "DELETE",
            v1(&format!("/credentials/{cred_delete}")),
            "editor",
            None,
            204,
        ),
        r("GET", v1("/nodes"), "viewer", None, 200),
        // Without an upgrade the handshake is refused as a bad request, after authorisation.
        r(
            "GET",
            v1(&format!("/executions/{e}/stream")),
            "viewer",
            None,
            400,
        ),
        r("GET", v1("/ws"), "viewer", None, 400),
    ];

    let mut tokens = std::collections::HashMap::new();
    for role in support::ROLES {
        tokens.insert(role, app.user(role).await);
    }

    for route in &routes {
        let what = format!("{} {}", route.method, route.path);
        // No credential.
        let resp = app
            .call(route.method, &route.path, route.body.clone(), None)
            .await;
        assert_eq!(
            resp.status,
            StatusCode::UNAUTHORIZED,
            "{what} without a token: {}",
            resp.text
        );
        assert_eq!(resp.content_type(), "application/problem+json", "{what}");
        assert!(resp.headers.contains_key("www-authenticate"), "{what}");
        // Invalid credentials: garbage, a forged JWT, an unknown API key.
        for bad in [
            "garbage",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
            "weft_notakey",
        ] {
            let resp = app
                .call(route.method, &route.path, route.body.clone(), Some(bad))
                .await;
            assert_eq!(
                resp.status,
                StatusCode::UNAUTHORIZED,
                "{what} with {bad}: {}",
                resp.text
            );
        }
        // The role just below.
        if let Some(weaker) = below(route.role) {
            let resp = app
                .call(
                    route.method,
                    &route.path,
                    route.body.clone(),
                    Some(&tokens[weaker]),
                )
                .await;
            assert_eq!(
                resp.status,
                StatusCode::FORBIDDEN,
                "{what} as {weaker}: {}",
                resp.text
            );
            assert_eq!(resp.json["code"], "forbidden", "{what}");
        }
    }
    // Happy paths, with exactly the role each route needs.
    for route in &routes {
        let what = format!("{} {}", route.method, route.path);
        let token = &tokens[route.role];
        let resp = app
            .call(route.method, &route.path, route.body.clone(), Some(token))
            .await;
        assert_eq!(
            resp.status.as_u16(),
            route.happy,
            "{what} as {}: {}",
            route.role,
            resp.text
        );
    }
    // Import takes a file, not JSON.
    let yaml = "name: imported\nnodes:\n  - {id: start, type: trigger.manual}\n";
    let req = |token: Option<&str>| {
        let mut b =
            Request::post("/api/v1/workflows/import").header("content-type", "application/yaml");
        if let Some(t) = token {
            b = b.header("authorization", format!("Bearer {t}"));
        }
        b.body(Body::from(yaml)).unwrap()
    };
    assert_eq!(
        app.request(req(None)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.request(req(Some(&tokens["operator"]))).await.status,
        StatusCode::FORBIDDEN
    );
    let resp = app.request(req(Some(&tokens["editor"]))).await;
    assert_eq!(resp.status, StatusCode::CREATED, "{}", resp.text);
    assert_eq!(resp.json["name"], "imported");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_act_with_their_role_and_stop_when_revoked() {
    let app = TestApp::new().await;
    let editor = app.user("editor").await;
    // A key cannot exceed its creator's role.
    let r = app
        .call(
            "POST",
            "/api/v1/api-keys",
            Some(json!({"name": "k", "role": "admin"})),
            Some(&editor),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = app
        .call(
            "POST",
            "/api/v1/api-keys",
            Some(json!({"name": "k", "role": "operator"})),
            Some(&editor),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let secret = r.json["secret"].as_str().unwrap().to_string();
    let id = r.json["id"].as_str().unwrap().to_string();
    assert!(secret.starts_with("weft_"));
    // Shown once: lists never carry it.
    let list = app
        .call("GET", "/api/v1/api-keys", None, Some(&editor))
        .await;
    assert!(!list.text.contains(&secret));
    assert!(
        list.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["id"] == id.as_str())
    );
    // Works as a bearer token and as X-API-Key, with the key's role.
    let me = app
        .call("GET", "/api/v1/auth/me", None, Some(&secret))
        .await;
    assert_eq!(me.json["role"], "operator", "{}", me.text);
    let req = Request::get("/api/v1/workflows")
        .header("x-api-key", &secret)
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.request(req).await.status, StatusCode::OK);
    let r = app
        .call(
            "POST",
            "/api/v1/workflows",
            Some(simple_workflow("x")),
            Some(&secret),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Another user cannot revoke it; its owner can.
    let other = app.user("editor").await;
    let r = app
        .call(
            "DELETE",
            &format!("/api/v1/api-keys/{id}"),
            None,
            Some(&other),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .call(
            "DELETE",
            &format!("/api/v1/api-keys/{id}"),
            None,
            Some(&editor),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let me = app
        .call("GET", "/api/v1/auth/me", None, Some(&secret))
        .await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_see_only_themselves_and_the_last_admin_stays() {
    let app = TestApp::new().await;
    let viewer = app.user("viewer").await;
    let me = app
        .call("GET", "/api/v1/auth/me", None, Some(&viewer))
        .await;
    let my_id = me.json["user_id"].as_str().unwrap().to_string();
    assert_eq!(
        app.call(
            "GET",
            &format!("/api/v1/users/{my_id}"),
            None,
            Some(&viewer)
        )
        .await
        .status,
        StatusCode::OK
    );
    let admin_me = app
        .call("GET", "/api/v1/auth/me", None, Some(&app.admin))
        .await;
    let admin_id = admin_me.json["user_id"].as_str().unwrap().to_string();
    assert_eq!(
        app.call(
            "GET",
            &format!("/api/v1/users/{admin_id}"),
            None,
            Some(&viewer)
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    // The only admin cannot be demoted or deleted.
    let r = app
        .call(
            "PATCH",
            &format!("/api/v1/users/{admin_id}"),
            Some(json!({"role": "viewer"})),
            Some(&app.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    let r = app
        .call(
            "DELETE",
            &format!("/api/v1/users/{admin_id}"),
            None,
            Some(&app.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // Bad input names the field.
    let r = app
        .call(
            "POST",
            "/api/v1/users",
            Some(json!({"username": "x y", "password": support::PASSWORD, "role": "viewer"})),
            Some(&app.admin),
        )
        .await;
    assert_eq!(
        (r.status, r.json["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("username"))
    );
    let r = app
        .call(
            "POST",
            "/api/v1/users",
            Some(json!({"username": "short", "password": "short", "role": "viewer"})),
            Some(&app.admin),
        )
        .await;
    assert_eq!(
        (r.status, r.json["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("password"))
    );
    let r = app
        .call(
            "POST",
            "/api/v1/users",
            Some(json!({"username": "r", "password": support::PASSWORD, "role": "root"})),
            Some(&app.admin),
        )
        .await;
    assert_eq!(
        (r.status, r.json["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("role")),
        "{}",
        r.text
    );
}

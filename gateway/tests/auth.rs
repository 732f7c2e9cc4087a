//! Authentication: login, lockout without account enumeration, refresh rotation and reuse
//! detection, logout, TOTP, and the JWT attacks (alg=none, HS/RS confusion, expired, wrong
//! audience or issuer, tampered signature) — plus RS256 tokens from an OIDC provider checked
//! against a local JWKS server.

mod support;

use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use support::{ADMIN_PASSWORD, PASSWORD, TestApp, test_options};
use weft_gateway::config::OidcOptions;

fn now() -> i64 {
    jsonwebtoken::get_current_timestamp() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_failures_look_the_same_and_lock_the_account() {
    let mut options = test_options();
    options.auth.max_failed_logins = 3;
    let app = TestApp::with_options(options).await;
    app.user("viewer").await;
    let login = |u: &'static str, p: &'static str| {
        app.call(
            "POST",
            "/api/v1/auth/login",
            Some(json!({"username": u, "password": p})),
            None,
        )
    };
    let wrong = login("admin", "wrong-password-here").await;
    let unknown = login("nobody", "wrong-password-here").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong.json["detail"], unknown.json["detail"],
        "no account enumeration"
    );
    assert_eq!(wrong.json["code"], "unauthenticated");
    // Two more failures lock admin: even the right password is refused, with the same answer.
    login("admin", "wrong-password-here").await;
    login("admin", "wrong-password-here").await;
    let locked = login("admin", ADMIN_PASSWORD).await;
    assert_eq!(locked.status, StatusCode::UNAUTHORIZED);
    assert_eq!(locked.json["detail"], unknown.json["detail"]);
    // Malformed bodies name the field.
    let r = app
        .call(
            "POST",
            "/api/v1/auth/login",
            Some(json!({"username": "admin"})),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text.contains("password"), "{}", r.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = TestApp::new().await;
    let first = app.login("admin", ADMIN_PASSWORD).await;
    let r1 = first["refresh_token"].as_str().unwrap().to_string();
    let refresh = |t: String| {
        app.call(
            "POST",
            "/api/v1/auth/refresh",
            Some(json!({"refresh_token": t})),
            None,
        )
    };
    let second = refresh(r1.clone()).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    let r2 = second.json["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(r1, r2);
    let access = second.json["access_token"].as_str().unwrap();
    assert_eq!(
        app.call("GET", "/api/v1/auth/me", None, Some(access))
            .await
            .status,
        StatusCode::OK
    );
    // Replaying the used token is refused and kills the family: r2 stops working too.
    assert_eq!(refresh(r1).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refresh(r2).await.status, StatusCode::UNAUTHORIZED);
    // Logout ends a session.
    let s = app.login("admin", ADMIN_PASSWORD).await;
    let token = s["access_token"].as_str().unwrap();
    let rt = s["refresh_token"].as_str().unwrap().to_string();
    let r = app
        .call(
            "POST",
            "/api/v1/auth/logout",
            Some(json!({"refresh_token": rt})),
            Some(token),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(refresh(rt).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        refresh("not-a-token".into()).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn totp_enrolment_then_login_needs_a_code() {
    let app = TestApp::new().await;
    let setup = app
        .call("POST", "/api/v1/auth/mfa/setup", None, Some(&app.admin))
        .await;
    assert_eq!(setup.status, StatusCode::OK, "{}", setup.text);
    let secret_b32 = setup.json["secret"].as_str().unwrap();
    let secret = totp_rs::Secret::try_from_base32(secret_b32)
        .unwrap()
        .as_bytes()
        .to_vec();
    let code = weft_gateway::auth::totp::current(&secret, "admin").unwrap();
    let token = setup.json["setup_token"].as_str().unwrap();
    let bad = app
        .call(
            "POST",
            "/api/v1/auth/mfa/enable",
            Some(json!({"setup_token": token, "code": "000000"})),
            Some(&app.admin),
        )
        .await;
    assert_eq!(
        (bad.status, bad.json["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("code"))
    );
    let ok = app
        .call(
            "POST",
            "/api/v1/auth/mfa/enable",
            Some(json!({"setup_token": token, "code": code})),
            Some(&app.admin),
        )
        .await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT, "{}", ok.text);
    let r = app
        .call(
            "POST",
            "/api/v1/auth/login",
            Some(json!({"username": "admin", "password": ADMIN_PASSWORD})),
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("mfa_required"))
    );
    let r = app
        .call(
            "POST",
            "/api/v1/auth/login",
            Some(json!({"username": "admin", "password": ADMIN_PASSWORD, "totp": "123456x"})),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let code = weft_gateway::auth::totp::current(&secret, "admin").unwrap();
    let r = app
        .call(
            "POST",
            "/api/v1/auth/login",
            Some(json!({"username": "admin", "password": ADMIN_PASSWORD, "totp": code})),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let me = app
        .call(
            "GET",
            "/api/v1/auth/me",
            None,
            Some(r.json["access_token"].as_str().unwrap()),
        )
        .await;
    assert_eq!(me.json["mfa_enabled"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_change_ends_other_sessions() {
    let app = TestApp::new().await;
    let s = app.login("admin", ADMIN_PASSWORD).await;
    let weak = app
        .call(
            "POST",
            "/api/v1/auth/password",
            Some(json!({"current_password": ADMIN_PASSWORD, "new_password": "short"})),
            Some(&app.admin),
        )
        .await;
    assert_eq!(
        (weak.status, weak.json["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("new_password"))
    );
    let r = app
        .call(
            "POST",
            "/api/v1/auth/password",
            Some(json!({"current_password": ADMIN_PASSWORD, "new_password": PASSWORD})),
            Some(&app.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let old = app
        .call(
            "POST",
            "/api/v1/auth/refresh",
            Some(json!({"refresh_token": s["refresh_token"]})),
            None,
        )
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    app.login("admin", PASSWORD).await;
}

/// Signs claims with the test's HS256 secret, as the gateway would.
fn hs256(claims: &Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

fn claims(sub: &str, aud: &str, iss: &str, exp: i64) -> Value {
    json!({"sub": sub, "name": "admin", "role": "admin", "aud": aud, "iss": iss,
           "iat": now(), "nbf": now() - 5, "exp": exp, "jti": "x"})
}

async fn jwks_server() -> (String, tokio::task::JoinHandle<()>) {
    let jwks: Value = serde_json::from_str(include_str!("fixtures/oidc-jwks.json")).unwrap();
    let app = axum::Router::new().route(
        "/jwks",
        axum::routing::get(move || async move { axum::Json(jwks) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks", listener.local_addr().unwrap());
    let h = tokio::spawn(async move {
        axum::serve(listener, app).await.ok();
    });
    (url, h)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwt_attacks_are_refused_and_oidc_tokens_accepted() {
    let (jwks_url, _server) = jwks_server().await;
    let mut options = test_options();
    options.auth.oidc = Some(OidcOptions {
        issuer: "https://idp.example".into(),
        audience: "weft".into(),
        jwks_url,
        role_claim: "weft_role".into(),
        default_role: "viewer".into(),
        jwks_ttl_secs: 300,
    });
    let secret = options.auth.jwt_secret.clone().unwrap();
    let app = TestApp::with_options(options).await;
    let me = app
        .call("GET", "/api/v1/auth/me", None, Some(&app.admin))
        .await;
    let sub = me.json["user_id"].as_str().unwrap().to_string();
    let refused = |token: String| {
        let app = &app;
        async move {
            let r = app
                .call("GET", "/api/v1/workflows", None, Some(&token))
                .await;
            assert_eq!(
                r.status,
                StatusCode::UNAUTHORIZED,
                "accepted: {token}\n{}",
                r.text
            );
        }
    };
    // A well-formed token with our secret works (control).
    let good = hs256(
        &claims(&sub, "weft-api", "weft", now() + 60),
        secret.as_bytes(),
    );
    assert_eq!(
        app.call("GET", "/api/v1/workflows", None, Some(&good))
            .await
            .status,
        StatusCode::OK
    );
    // alg = none, with and without a trailing signature.
    let body = URL_SAFE_NO_PAD.encode(claims(&sub, "weft-api", "weft", now() + 60).to_string());
    let none = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    refused(format!("{none}.{body}.")).await;
    refused(format!("{none}.{body}")).await;
    // Expired, wrong audience, wrong issuer, not yet valid.
    refused(hs256(
        &claims(&sub, "weft-api", "weft", now() - 3600),
        secret.as_bytes(),
    ))
    .await;
    refused(hs256(
        &claims(&sub, "other-api", "weft", now() + 60),
        secret.as_bytes(),
    ))
    .await;
    refused(hs256(
        &claims(&sub, "weft-api", "evil", now() + 60),
        secret.as_bytes(),
    ))
    .await;
    let mut early = claims(&sub, "weft-api", "weft", now() + 7200);
    early["nbf"] = json!(now() + 3600);
    refused(hs256(&early, secret.as_bytes())).await;
    // Tampered: role raised without re-signing, and a signature from another secret.
    let parts: Vec<&str> = good.split('.').collect();
    let mut c = claims(&sub, "weft-api", "weft", now() + 60);
    c["name"] = json!("someone-else");
    refused(format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(c.to_string()),
        parts[2]
    ))
    .await;
    refused(hs256(
        &claims(&sub, "weft-api", "weft", now() + 60),
        b"another-secret-of-enough-length-000000",
    ))
    .await;
    // HS/RS confusion: HMAC-signed with the provider's public key as the secret.
    let public_pem = include_bytes!("fixtures/oidc-rsa.pub.pem");
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("test-key".into());
    let oidc_claims = json!({"sub": "alice", "aud": "weft", "iss": "https://idp.example", "exp": now() + 60, "weft_role": "admin"});
    refused(
        jsonwebtoken::encode(&header, &oidc_claims, &EncodingKey::from_secret(public_pem)).unwrap(),
    )
    .await;
    // Other algorithms are not on the list at all.
    let hs384 = jsonwebtoken::encode(
        &Header::new(Algorithm::HS384),
        &claims(&sub, "weft-api", "weft", now() + 60),
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap();
    refused(hs384).await;

    // A real RS256 token from the provider is accepted with the role from its claim.
    let key = EncodingKey::from_rsa_pem(include_bytes!("fixtures/oidc-rsa.pem")).unwrap();
    let mut rs = Header::new(Algorithm::RS256);
    rs.kid = Some("test-key".into());
    let token = jsonwebtoken::encode(&rs, &oidc_claims, &key).unwrap();
    let me = app.call("GET", "/api/v1/auth/me", None, Some(&token)).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    assert_eq!(me.json["principal"], "oidc:alice");
    assert_eq!(me.json["role"], "admin");
    // …but not with the wrong audience or issuer, an unknown kid, or once expired.
    for (k, v) in [
        ("aud", json!("other")),
        ("iss", json!("https://evil.example")),
        ("exp", json!(now() - 120)),
    ] {
        let mut c = oidc_claims.clone();
        c[k] = v;
        refused(jsonwebtoken::encode(&rs, &c, &key).unwrap()).await;
    }
    let mut unknown_kid = rs.clone();
    unknown_kid.kid = Some("rotated-away".into());
    refused(jsonwebtoken::encode(&unknown_kid, &oidc_claims, &key).unwrap()).await;
    // Without a role claim: the default role.
    let plain =
        json!({"sub": "bob", "aud": "weft", "iss": "https://idp.example", "exp": now() + 60});
    let me = app
        .call(
            "GET",
            "/api/v1/auth/me",
            None,
            Some(&jsonwebtoken::encode(&rs, &plain, &key).unwrap()),
        )
        .await;
    assert_eq!(me.json["role"], "viewer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_must_enrol_in_totp_when_required() {
    let mut options = test_options();
    options.auth.require_admin_mfa = true;
    let mut app = TestApp::with_options(options).await;
    // The admin's first token only enrols.
    let r = app
        .call("GET", "/api/v1/workflows", None, Some(&app.admin))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert!(r.json["detail"].as_str().unwrap().contains("TOTP"));
    let setup = app
        .call("POST", "/api/v1/auth/mfa/setup", None, Some(&app.admin))
        .await;
    assert_eq!(setup.status, StatusCode::OK, "{}", setup.text);
    let secret = totp_rs::Secret::try_from_base32(setup.json["secret"].as_str().unwrap())
        .unwrap()
        .as_bytes()
        .to_vec();
    let code = weft_gateway::auth::totp::current(&secret, "admin").unwrap();
    let r = app
        .call(
            "POST",
            "/api/v1/auth/mfa/enable",
            Some(json!({"setup_token": setup.json["setup_token"], "code": code})),
            Some(&app.admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    // Logging in again, with a code, gives a full token.
    let code = weft_gateway::auth::totp::current(&secret, "admin").unwrap();
    let r = app
        .call(
            "POST",
            "/api/v1/auth/login",
            Some(json!({"username": "admin", "password": ADMIN_PASSWORD, "totp": code})),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let token = r.json["access_token"].as_str().unwrap();
    assert_eq!(
        app.call("GET", "/api/v1/workflows", None, Some(token))
            .await
            .status,
        StatusCode::OK
    );
    // Other roles are not concerned.
    app.admin = token.to_string();
    let viewer = app.user("viewer").await;
    assert_eq!(
        app.call("GET", "/api/v1/workflows", None, Some(&viewer))
            .await
            .status,
        StatusCode::OK
    );
}

//! examples/order-fulfilment.json end to end on a real `weft serve`: 13 node types, from the
//! webhook through JSON Schema validation, a PostgreSQL transaction, a loop of HTTP calls to an
//! inventory service, JavaScript pricing, a text template and an email over SMTP, to the
//! webhook's 201 answer — and the 422 path for an invalid order. The credentials go through
//! the API, are opened by the nodes, and never show in the execution.

mod support;

use axum::Json;
use axum::routing::post;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{PgDatabase, Server, examples_dir};
use weft_test_support::smtp::SmtpServer;

/// The inventory service: reserves lines and prices them by SKU; remembers what it saw.
async fn inventory() -> (String, Arc<Mutex<Vec<Value>>>) {
    let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
    let s = seen.clone();
    let app = axum::Router::new().route(
        "/reserve",
        post(move |Json(body): Json<Value>| {
            let seen = s.clone();
            async move {
                seen.lock().unwrap().push(body.clone());
                let price = match body["sku"].as_str() {
                    Some("mug") => 12.5,
                    Some("tee") => 25.0,
                    _ => 1.0,
                };
                Json(json!({"reserved": true, "unit_price": price}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, seen)
}

async fn create_credential(server: &Server, name: &str, kind: &str, value: Value) {
    let r = server
        .req(reqwest::Method::POST, "/api/v1/credentials")
        .json(&json!({"name": name, "kind": kind, "value": value}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
}

#[tokio::test]
async fn the_order_fulfilment_example_runs_end_to_end() {
    let orders = PgDatabase::create().await;
    let smtp = SmtpServer::start().await;
    let (inventory_url, reservations) = inventory().await;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        &format!("sqlite://{}", dir.path().join("weft.db").display()),
        dir.path(),
    )
    .await;

    let db_password_free_url = orders.url.clone();
    create_credential(
        &server,
        "orders-db",
        "postgres",
        json!(db_password_free_url),
    )
    .await;
    create_credential(
        &server,
        "smtp",
        "smtp",
        json!({"host": "127.0.0.1", "port": smtp.port().to_string(),
               "username": "shop", "password": "smtp-canary-5e1"}),
    )
    .await;

    let text = std::fs::read_to_string(examples_dir().join("order-fulfilment.json")).unwrap();
    let mut def: Value = serde_json::from_str(&text).unwrap();
    let types: HashSet<String> = collect_types(&def["nodes"]);
    assert!(types.len() >= 12, "{} node types: {types:?}", types.len());
    def["vars"]["inventory_url"] = json!(inventory_url);
    server.create_workflow(&def).await;

    // A valid order: 2 mugs and 3 tees = 100.0, 10 % off = 90.0.
    let order = json!({
        "customer": {"name": "Ada Lovelace", "email": "ada@example.com"},
        "items": [{"sku": "mug", "qty": 2}, {"sku": "tee", "qty": 3}]
    });
    let r = reqwest::Client::new()
        .post(format!("{}/hooks/orders", server.base))
        .json(&order)
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{body}\n{}", server.log());
    let order_id = body["order_id"].as_i64().expect("an order id");
    assert_eq!(body["total"].as_f64(), Some(90.0), "{body}");
    assert_eq!(body["units"], json!(5));

    // The inventory service reserved every line.
    let mut seen = reservations.lock().unwrap().clone();
    seen.sort_by_key(|v| v["sku"].as_str().unwrap_or("").to_string());
    assert_eq!(
        seen,
        vec![
            json!({"sku": "mug", "qty": 2}),
            json!({"sku": "tee", "qty": 3})
        ]
    );

    // PostgreSQL holds the order, priced and reserved.
    let pool = sqlx::PgPool::connect(&orders.url).await.unwrap();
    let row: (String, String, f64, String) =
        sqlx::query_as("SELECT customer, email, total, status FROM weft_orders WHERE id = $1")
            .bind(order_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        row,
        (
            "Ada Lovelace".to_string(),
            "ada@example.com".to_string(),
            90.0,
            "reserved".to_string()
        )
    );
    pool.close().await;

    // The confirmation went out over SMTP, rendered from the template.
    let mails = smtp.wait_for(1, Duration::from_secs(10)).await;
    let mail = &mails[0];
    assert_eq!(mail.to, vec!["ada@example.com".to_string()]);
    assert_eq!(mail.auth_user.as_deref(), Some("shop"));
    assert!(
        mail.data
            .contains(&format!("Subject: Order #{order_id} confirmed")),
        "{}",
        mail.data
    );
    assert!(mail.data.contains("Hello Ada Lovelace"), "{}", mail.data);
    assert!(mail.data.contains("3 x tee at 25"), "{}", mail.data);
    assert!(mail.data.contains("Total: 90"), "{}", mail.data);

    // The execution succeeded, logged its line, and carries no secret.
    let executions: Value = server
        .req(reqwest::Method::GET, "/api/v1/executions?limit=10")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = executions["items"][0]["id"].as_str().unwrap().to_string();
    let execution = server.execution(&id).await.unwrap();
    assert_eq!(execution["status"], "succeeded", "{execution}");
    let events = server.events(&id).await.to_string();
    assert!(
        events.contains(&format!("order {order_id} confirmed: 5 units, total 90")),
        "{events}"
    );
    assert!(!events.contains("smtp-canary-5e1"));
    assert!(!server.log().contains("smtp-canary-5e1"));

    // An invalid order is answered 422 with every problem and nothing is stored or sent.
    let r = reqwest::Client::new()
        .post(format!("{}/hooks/orders", server.base))
        .json(&json!({"customer": {"name": "", "email": "nope"}, "items": []}))
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid order");
    let pointers: HashSet<&str> = body["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["pointer"].as_str())
        .collect();
    for p in ["/customer/name", "/customer/email", "/items"] {
        assert!(pointers.contains(p), "{p} missing from {body}");
    }
    assert_eq!(smtp.messages().len(), 1, "no mail for an invalid order");
}

fn collect_types(nodes: &Value) -> HashSet<String> {
    let mut out = HashSet::new();
    for n in nodes.as_array().into_iter().flatten() {
        if let Some(t) = n["type"].as_str() {
            out.insert(t.to_string());
        }
        out.extend(collect_types(&n["config"]["body"]["nodes"]));
    }
    out
}

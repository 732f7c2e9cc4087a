//! The live WebSocket streams against a real server: a client joining mid-run gets every
//! event exactly once and in order; a foreign Origin is refused; a client that does not read
//! is dropped (close 4008) without holding the execution back; a stream closes when its token
//! expires; the multiplexed socket follows a whole workflow.

mod support;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::Duration;
use support::{TestApp, test_options};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use weft_test_support::eventually;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(
    addr: SocketAddr,
    path: &str,
    token: &str,
    origin: Option<&str>,
) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    let mut req = format!("ws://{addr}{path}").into_client_request().unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    if let Some(o) = origin {
        req.headers_mut().insert("origin", o.parse().unwrap());
    }
    tokio_tungstenite::connect_async(req)
        .await
        .map(|(ws, _)| ws)
}

/// Reads text messages until the server closes; returns them and the close frame's code.
async fn read_all(ws: &mut Ws, limit: Duration) -> (Vec<Value>, Option<CloseCode>) {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let msg = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("stream did not end in time");
        match msg {
            Some(Ok(Message::Text(t))) => out.push(serde_json::from_str(&t).unwrap()),
            Some(Ok(Message::Close(frame))) => return (out, frame.map(|f| f.code)),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return (out, None),
        }
    }
}

fn paced_workflow() -> Value {
    json!({"name": "paced", "nodes": [
        {"id": "start", "type": "trigger.manual"},
        {"id": "a", "type": "data.set", "config": {"fields": {"a": 1}}},
        {"id": "pause", "type": "flow.wait", "config": {"duration_ms": 400}},
        {"id": "b", "type": "data.set", "config": {"fields": {"b": 2}}},
        {"id": "pause2", "type": "flow.wait", "config": {"duration_ms": 400}},
        {"id": "c", "type": "data.set", "config": {"fields": {"c": 3}}}],
        "edges": [{"from": "start", "to": "a"}, {"from": "a", "to": "pause"}, {"from": "pause", "to": "b"},
                  {"from": "b", "to": "pause2"}, {"from": "pause2", "to": "c"}]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joining_mid_run_gets_every_event_once_in_order() {
    let app = TestApp::new().await;
    let addr = app.serve().await;
    let w = app.workflow(paced_workflow()).await;
    let id = app.start(&w, json!({})).await;
    // Join once the execution is under way (some events stored, more to come).
    eventually(Duration::from_secs(5), "first events", || async {
        let r = app
            .call(
                "GET",
                &format!("/api/v1/executions/{id}/events"),
                None,
                Some(&app.admin),
            )
            .await;
        (r.json["items"].as_array().map_or(0, Vec::len) >= 3).then_some(())
    })
    .await;
    let mut ws = connect(
        addr,
        &format!("/api/v1/executions/{id}/stream?from_seq=0"),
        &app.admin,
        None,
    )
    .await
    .unwrap();
    let (events, close) = read_all(&mut ws, Duration::from_secs(15)).await;
    assert_eq!(close, Some(CloseCode::Normal));
    let seqs: Vec<u64> = events.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    let expected: Vec<u64> = (1..=seqs.len() as u64).collect();
    assert_eq!(seqs, expected, "every seq once, in order");
    assert_eq!(events.last().unwrap()["type"], "execution_finished");
    // Exactly what the store holds.
    let stored = app
        .call(
            "GET",
            &format!("/api/v1/executions/{id}/events?limit=1000"),
            None,
            Some(&app.admin),
        )
        .await;
    assert_eq!(stored.json["items"].as_array().unwrap(), &events);

    // from_seq skips what the client already has.
    let mut ws = connect(
        addr,
        &format!("/api/v1/executions/{id}/stream?from_seq=4"),
        &app.admin,
        None,
    )
    .await
    .unwrap();
    let (tail, _) = read_all(&mut ws, Duration::from_secs(5)).await;
    assert_eq!(tail.first().unwrap()["seq"], 5);
    assert_eq!(tail.len(), events.len() - 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshakes_need_a_token_and_a_friendly_origin() {
    let app = TestApp::new().await;
    let addr = app.serve().await;
    let w = app.workflow(support::simple_workflow("s")).await;
    let id = app.start(&w, json!({})).await;
    let path = format!("/api/v1/executions/{id}/stream");
    let err = connect(addr, &path, &app.admin, Some("http://evil.example"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("403"), "{err}");
    let err = connect(addr, &path, "not-a-token", None).await.unwrap_err();
    assert!(err.to_string().contains("401"), "{err}");
    // The server's own origin, and browsers' query-parameter token, are fine.
    let mut req = format!("ws://{addr}{path}?access_token={}", app.admin)
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("origin", format!("http://{addr}").parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let (events, _) = read_all(&mut ws, Duration::from_secs(10)).await;
    assert!(!events.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_does_not_read_is_dropped_and_holds_nothing_back() {
    let mut options = test_options();
    options.ws_buffer = 16;
    // Snapshots of a state holding every big iteration result would dominate the run.
    let config = weft_actors::EngineConfig {
        checkpoint_every: 100_000,
        ..support::engine_config()
    };
    let app = TestApp::with_engine(options, config).await;
    let addr = app.serve().await;
    // Big events: each iteration's output carries 64 KiB, so unread data soon exceeds any
    // socket buffer.
    let w = app
        .workflow(json!({"name": "bulky", "nodes": [
            {"id": "start", "type": "trigger.manual"},
            {"id": "pause", "type": "flow.wait", "config": {"duration_ms": 300}},
            {"id": "each", "type": "flow.for_each", "config": {"items": "{{ [range(150)] }}", "max_concurrency": 8,
                "body": {"nodes": [{"id": "copy", "type": "data.transform", "config": {"filter": ".input.blob"}}], "edges": []}}}],
            "edges": [{"from": "start", "to": "pause"}, {"from": "pause", "to": "each"}]}))
        .await;
    let id = app.start(&w, json!({"blob": "x".repeat(64 * 1024)})).await;
    let mut ws = connect(
        addr,
        &format!("/api/v1/executions/{id}/stream"),
        &app.admin,
        None,
    )
    .await
    .unwrap();
    // Do not read while the execution runs; it must finish regardless.
    let rec = app.finished(&id, Duration::from_secs(60)).await;
    assert_eq!(rec["status"], "succeeded");
    // Now read: some events, then the server's close with 4008 "too slow", not the whole log.
    let (events, close) = read_all(&mut ws, Duration::from_secs(30)).await;
    assert_eq!(
        close,
        Some(CloseCode::Library(4008)),
        "after {} events",
        events.len()
    );
    let total = app
        .call(
            "GET",
            &format!("/api/v1/executions/{id}"),
            None,
            Some(&app.admin),
        )
        .await
        .json["last_seq"]
        .as_u64()
        .unwrap();
    assert!(
        (events.len() as u64) < total,
        "dropped before the end ({} of {total})",
        events.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_close_when_the_token_expires() {
    let mut options = test_options();
    options.auth.access_ttl_secs = 2;
    options.auth.leeway_secs = 0;
    let app = TestApp::with_options(options).await;
    let addr = app.serve().await;
    let w = app
        .workflow(json!({"name": "long", "nodes": [
            {"id": "start", "type": "trigger.manual"},
            {"id": "approve", "type": "flow.signal", "config": {"name": "go", "timeout_ms": 600000}}],
            "edges": [{"from": "start", "to": "approve"}]}))
        .await;
    let id = app.start(&w, json!({})).await;
    let token = app.login("admin", support::ADMIN_PASSWORD).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let mut ws = connect(
        addr,
        &format!("/api/v1/executions/{id}/stream"),
        &token,
        None,
    )
    .await
    .unwrap();
    let (_, close) = read_all(&mut ws, Duration::from_secs(10)).await;
    assert_eq!(close, Some(CloseCode::Library(4001)));
    let mut ws = connect(addr, "/api/v1/ws", &token, None).await;
    if let Ok(ws) = ws.as_mut() {
        // Token may have expired already at the handshake (then it fails with 401).
        let (_, close) = read_all(ws, Duration::from_secs(10)).await;
        assert_eq!(close, Some(CloseCode::Library(4001)));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_multiplexed_socket_follows_a_workflow_and_single_executions() {
    let app = TestApp::new().await;
    let addr = app.serve().await;
    let w = app.workflow(paced_workflow()).await;
    let mut ws = connect(addr, "/api/v1/ws", &app.admin, None).await.unwrap();
    ws.send(Message::Text(
        json!({"op": "subscribe", "workflow_id": w})
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    let ack = ws.next().await.unwrap().unwrap();
    assert!(ack.to_text().unwrap().contains("subscribed"));
    let ids = [
        app.start(&w, json!({})).await,
        app.start(&w, json!({})).await,
    ];
    let mut finished = std::collections::HashMap::new();
    let mut last = std::collections::HashMap::new();
    while finished.len() < ids.len() {
        let msg = tokio::time::timeout(Duration::from_secs(15), ws.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let v: Value = serde_json::from_str(msg.to_text().unwrap()).unwrap();
        if v["op"] != "event" {
            continue;
        }
        let id = v["execution_id"].as_str().unwrap().to_string();
        let seq = v["event"]["seq"].as_u64().unwrap();
        let prev = last.insert(id.clone(), seq).unwrap_or(0);
        assert_eq!(seq, prev + 1, "in order, no gap, no duplicate");
        if v["event"]["type"] == "execution_finished" {
            finished.insert(id, seq);
        }
    }
    // Subscribing to one finished execution replays it from from_seq.
    ws.send(Message::Text(
        json!({"op": "subscribe", "execution_id": ids[0], "from_seq": 2})
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    let mut seqs = Vec::new();
    while seqs.len() < (finished[&ids[0]] - 2) as usize {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let v: Value = serde_json::from_str(msg.to_text().unwrap()).unwrap();
        if v["op"] == "event" {
            seqs.push(v["event"]["seq"].as_u64().unwrap());
        }
    }
    assert_eq!(seqs, (3..=finished[&ids[0]]).collect::<Vec<_>>());
    // Bad messages get an error, not a dropped socket.
    ws.send(Message::Text("{\"op\":\"dance\"}".into()))
        .await
        .unwrap();
    let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(msg.to_text().unwrap().contains("error"));
}

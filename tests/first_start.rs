//! The first start of the embedded mode: `admin` is created with a generated password printed
//! once on stderr (never in the log lines), the secrets Weft generates are private files, and
//! a second start prints nothing new.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::WEFT;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `weft serve` on `dir`, reads stderr until it listens, returns the lines and the child.
fn start(dir: &std::path::Path, port: u16) -> (Vec<String>, std::process::Child) {
    let mut child = Command::new(WEFT)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("WEFT_DATA_DIR", dir)
        .env_remove("WEFT_ADMIN_PASSWORD")
        .env_remove("WEFT_DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut lines = Vec::new();
    while Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            let done = line.contains("Weft listening on");
            lines.push(line);
            if done {
                return (lines, child);
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("weft serve did not start: {lines:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_start_creates_admin_and_prints_its_password_once() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let (lines, mut child) = start(dir.path(), port);
    let announced: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("the password:"))
        .collect();
    assert_eq!(announced.len(), 1, "{lines:?}");
    let password = announced[0].rsplit(": ").next().unwrap().trim().to_string();
    assert!(password.len() >= 12);
    // Printed for the person, not logged: no JSON log line carries it.
    assert!(
        lines
            .iter()
            .filter(|l| l.starts_with('{'))
            .all(|l| !l.contains(&password))
    );
    let base = format!("http://127.0.0.1:{port}");
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "admin", "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    #[cfg(unix)]
    for secret in ["jwt-secret", "master.key"] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(secret))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{secret} is mode {mode:o}");
    }
    let _ = child.kill();
    let _ = child.wait();
    // The second start finds the admin (and the secrets): nothing printed, old tokens still valid.
    let (lines, mut child) = start(dir.path(), port);
    assert!(
        lines.iter().all(|l| !l.contains("the password:")),
        "{lines:?}"
    );
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "admin", "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let _ = child.kill();
    let _ = child.wait();
}

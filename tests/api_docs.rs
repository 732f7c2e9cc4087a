//! docs/api.md runs: every ```bash block, in order, as one script against a real
//! `weft serve`, so the documented calls stay true.

mod support;

use std::process::Command;
use support::{ADMIN_PASSWORD, Server};

fn bash_blocks(md: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in md.lines() {
        if line.trim_start().starts_with("```") {
            if inside {
                inside = false;
                out.push('\n');
            } else if line.trim() == "```bash" {
                inside = true;
            }
            continue;
        }
        if inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_example_in_the_api_guide_works() {
    let md = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/api.md")).unwrap();
    let script = bash_blocks(&md);
    assert!(script.matches("curl").count() >= 10, "{script}");
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("docs.db").display());
    let server = Server::start(&url, dir.path()).await;
    let out = tokio::task::spawn_blocking(move || {
        Command::new("bash")
            .arg("-c")
            .arg(format!("set -euo pipefail\n{script}"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("WEFT", &server.base)
            .env("WEFT_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the guide's script failed:\n{stdout}\n{stderr}"
    );
    // What the guide promises the reader sees.
    assert!(stdout.contains("admin\n"), "{stdout}");
    assert!(stdout.contains("execution_finished"), "{stdout}");
    assert!(stdout.contains(r#""greeting":"hello Ada""#), "{stdout}");
    assert!(stdout.contains(r#""branch":"high""#), "{stdout}");
    assert!(
        stdout.contains(r#"{"status":400,"code":"bad_request","field":"priority"}"#),
        "{stdout}"
    );
}

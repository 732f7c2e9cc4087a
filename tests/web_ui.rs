//! The web app's own checks and its end-to-end tests, as part of the one test command:
//! ESLint, the TypeScript check and the Vitest unit tests in `web/`, then a production build
//! served by a real `weft serve` and driven through Chromium (`web/e2e/run.mjs`).
//!
//! Needs Node.js with npm and Chromium (`/usr/bin/chromium`, or `CHROMIUM`); `.ci/run`
//! installs Chromium when it is missing. `npm ci` runs when `web/node_modules` is missing or
//! older than `package-lock.json`.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use support::{ADMIN_PASSWORD, Server};

fn web_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("web")
}

/// One test at a time uses `web/`: both write into `node_modules/.tmp`, and the latency the
/// end-to-end run measures should not share the cores with a type check.
static WEB: Mutex<()> = Mutex::new(());

fn run(what: &str, cmd: &mut Command) {
    let out = cmd
        .current_dir(web_dir())
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot start ({e}); is Node.js with npm installed?"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("---- {what}\n{stdout}{stderr}");
    assert!(out.status.success(), "{what} failed ({})", out.status);
}

fn npm(args: &[&str]) -> Command {
    let mut c = Command::new("npm");
    c.args(args);
    c
}

/// Installs the locked dependencies once per test run, when they are missing or stale.
fn dependencies() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let web = web_dir();
        let modified = |p: PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        let installed = modified(web.join("node_modules/.package-lock.json"));
        let locked = modified(web.join("package-lock.json"));
        if installed.is_none() || installed < locked {
            run("npm ci", &mut npm(&["ci", "--no-audit", "--no-fund"]));
        }
    });
}

#[test]
fn web_lint_types_and_unit_tests_pass() {
    let _web = WEB.lock().unwrap_or_else(|e| e.into_inner());
    dependencies();
    run("eslint", &mut npm(&["run", "lint"]));
    run("typescript", &mut npm(&["run", "typecheck"]));
    run("vitest", &mut npm(&["test"]));
}

#[test]
fn web_app_end_to_end_in_chromium() {
    let _web = WEB.lock().unwrap_or_else(|e| e.into_inner());
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "Chromium is needed for the end-to-end tests: apt-get install chromium (or set CHROMIUM)"
    );
    dependencies();
    run("vite build", &mut npm(&["exec", "--", "vite", "build"]));

    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("weft.db").display());
    let dist = web_dir().join("dist");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(Server::start_with(
        &db,
        dir.path(),
        &[("WEFT_GATEWAY__WEB_DIST", dist.to_str().unwrap())],
    ));
    let out = Command::new("node")
        .arg("e2e/run.mjs")
        .current_dir(web_dir())
        .env("WEFT_URL", &server.base)
        .env("WEFT_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("CHROMIUM", chromium)
        .output()
        .expect("run node e2e/run.mjs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}\n{stderr}");
    assert!(
        out.status.success(),
        "end-to-end tests failed ({}); screenshots of the failure are in web/e2e/out/\nserver log:\n{}",
        out.status,
        server.log()
    );
}

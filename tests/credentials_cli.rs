//! `weft credentials` on the real binary: create, list, update, delete against a fresh SQLite
//! database, values from stdin and files, never printed, exit codes 2 for bad usage and 1 for
//! failures; and what it writes is what `weft serve` reads (same database, same key).

mod support;

use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use support::{Server, WEFT};

struct Cli {
    dir: tempfile::TempDir,
    url: String,
}

impl Cli {
    fn new() -> Cli {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("cli.db").display());
        Cli { dir, url }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(WEFT);
        c.arg("credentials")
            .args(args)
            .env("WEFT_DATABASE_URL", &self.url)
            .env("WEFT_DATA_DIR", self.dir.path())
            .env_remove("WEFT_MASTER_KEY")
            .env_remove("WEFT_CONFIG");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args)
            .stdin(Stdio::null())
            .output()
            .expect("run weft")
    }

    /// With `stdin` piped in.
    fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Output {
        Self::feed(self.command(args), stdin)
    }

    fn feed(mut command: Command, stdin: &str) -> Output {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn weft");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    fn list(&self) -> Vec<Value> {
        let o = self.run(&["list", "--json"]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        v["items"].as_array().unwrap().clone()
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn canary() -> String {
    format!("canary-{}", uuid::Uuid::new_v4().simple())
}

fn assert_no_leak(o: &Output, secret: &str) {
    assert!(!text(o).contains(secret), "value printed: {}", text(o));
}

fn db_file_has(dir: &Path, secret: &str) -> bool {
    std::fs::read_dir(dir).unwrap().any(|e| {
        let p = e.unwrap().path();
        p.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("cli.db")
            && std::fs::read(&p)
                .unwrap()
                .windows(secret.len())
                .any(|w| w == secret.as_bytes())
    })
}

#[test]
fn create_list_update_delete_without_showing_values() {
    let cli = Cli::new();
    let first = canary();
    let o = cli.run_with_stdin(
        &["create", "github", "--kind", "http.bearer", "--value-stdin"],
        &format!("{first}\n"),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_no_leak(&o, &first);
    assert!(text(&o).contains("version 1"), "{}", text(&o));

    // An object value from a file.
    let file = cli.dir.path().join("db.json");
    let password = canary();
    std::fs::write(
        &file,
        json!({"user": "app", "password": password}).to_string(),
    )
    .unwrap();
    let o = cli.run(&[
        "create",
        "analytics",
        "--kind",
        "postgres",
        "--value-file",
        file.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_no_leak(&o, &password);

    let items = cli.list();
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(items[0]["name"], "analytics", "by name");
    assert_eq!(items[1]["name"], "github");
    assert_eq!(items[1]["kind"], "http.bearer");
    assert_eq!(items[1]["version"], 1);
    let github_id = items[1]["id"].as_str().unwrap().to_string();
    for args in [&["list"][..], &["list", "--json"]] {
        let o = cli.run(args);
        assert_eq!(o.status.code(), Some(0));
        assert_no_leak(&o, &first);
        assert_no_leak(&o, &password);
        assert!(text(&o).contains("github"), "{}", text(&o));
    }
    // The key file was created private, next to the database, and no plaintext is stored.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(cli.dir.path().join("master.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "mode {mode:o}");
    }
    assert!(!db_file_has(cli.dir.path(), &first));
    assert!(!db_file_has(cli.dir.path(), &password));

    // Update by name: a new value is version 2; by id: a rename keeps the version.
    let second = canary();
    let o = cli.run_with_stdin(&["update", "github", "--value-stdin"], &second);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_no_leak(&o, &second);
    assert!(text(&o).contains("version 2"), "{}", text(&o));
    let o = cli.run(&["update", &github_id, "--name", "github-bot"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let items = cli.list();
    let bot = items
        .iter()
        .find(|c| c["id"] == github_id.as_str())
        .unwrap();
    assert_eq!(
        (&bot["name"], &bot["version"]),
        (&json!("github-bot"), &json!(2))
    );

    let o = cli.run(&["delete", "github-bot"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let items = cli.list();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["name"], "analytics");
    let o = cli.run(&["delete", &github_id]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("does not exist"), "{}", text(&o));
}

#[test]
fn bad_usage_exits_2_and_failures_exit_1() {
    let cli = Cli::new();
    let secret = canary();
    // No value given.
    let o = cli.run(&["create", "x", "--kind", "k"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--value-stdin"), "{}", text(&o));
    // An empty value.
    let o = cli.run_with_stdin(&["create", "x", "--kind", "k", "--value-stdin"], "\n");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("empty"), "{}", text(&o));
    // A missing file.
    let o = cli.run(&[
        "create",
        "x",
        "--kind",
        "k",
        "--value-file",
        "/nonexistent/v",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("/nonexistent/v"), "{}", text(&o));
    // Both sources at once.
    let o = cli.run(&[
        "create",
        "x",
        "--kind",
        "k",
        "--value-stdin",
        "--value-file",
        "f",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    // Bad names and kinds.
    for args in [
        &["create", "", "--kind", "k", "--value-stdin"][..],
        &["create", "   ", "--kind", "k", "--value-stdin"],
        &["create", "tab\there", "--kind", "k", "--value-stdin"],
        &["create", &"n".repeat(101), "--kind", "k", "--value-stdin"],
        &["create", "ok", "--kind", "", "--value-stdin"],
    ] {
        let o = cli.run_with_stdin(args, &secret);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains("1–100 characters"), "{}", text(&o));
        assert_no_leak(&o, &secret);
    }
    // An object whose values are not all strings: refused without quoting it.
    let o = cli.run_with_stdin(
        &["create", "x", "--kind", "k", "--value-stdin"],
        &format!(r#"{{"token": "{secret}", "port": 5432}}"#),
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("object of strings"), "{}", text(&o));
    assert_no_leak(&o, &secret);
    // Update with nothing to change.
    let o = cli.run(&["update", "x"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("nothing to change"), "{}", text(&o));
    // Unknown subcommand.
    let o = cli.run(&["show", "x"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    // Nothing was created by any of these.
    assert!(cli.list().is_empty());

    // Failures: a name taken, an unknown credential.
    let ok = cli.run_with_stdin(
        &["create", "taken", "--kind", "k", "--value-stdin"],
        &secret,
    );
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    let o = cli.run_with_stdin(
        &["create", "taken", "--kind", "k", "--value-stdin"],
        &secret,
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("exists already"), "{}", text(&o));
    assert_no_leak(&o, &secret);
    let o = cli.run_with_stdin(&["update", "nobody", "--value-stdin"], &secret);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("`nobody` does not exist"), "{}", text(&o));
    let o = cli.run(&["delete", "nobody"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    // A master key that is not a key: the configuration is wrong.
    let mut command = cli.command(&["create", "y", "--kind", "k", "--value-stdin"]);
    command.env("WEFT_MASTER_KEY", "not-a-key");
    let o = Cli::feed(command, &secret);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("WEFT_MASTER_KEY"), "{}", text(&o));
    assert!(!text(&o).contains("not-a-key"), "{}", text(&o));
}

/// What the CLI stores, `weft serve` opens with the same key: the API lists it with its
/// version, and a value changed through the API is read back as version 2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_reads_what_the_cli_wrote() {
    let cli = Cli::new();
    let secret = canary();
    let o = cli.run_with_stdin(
        &["create", "shared", "--kind", "http.bearer", "--value-stdin"],
        &secret,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let server = Server::start(&cli.url, cli.dir.path()).await;
    let r = server
        .req(reqwest::Method::GET, "/api/v1/credentials")
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    let item = &body["items"][0];
    assert_eq!(
        (&item["name"], &item["version"]),
        (&json!("shared"), &json!(1))
    );
    let id = item["id"].as_str().unwrap().to_string();
    let r = server
        .req(reqwest::Method::PUT, &format!("/api/v1/credentials/{id}"))
        .json(&json!({"value": {"token": canary()}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["version"], 2, "{body}");
    let items = cli.list();
    assert_eq!(items[0]["version"], 2);
    assert!(!server.log().contains(&secret));
}

/// Stores a credential the way builds before envelopes did: the single-key format, version 1.
async fn store_legacy(cli: &Cli, name: &str, value: &str) {
    let vault = weft_persistence::Vault::load(None, &cli.dir.path().join("master.key")).unwrap();
    let db = weft_persistence::connect_database(&cli.url).await.unwrap();
    db.create_credential(weft_persistence::NewCredential {
        id: uuid::Uuid::now_v7(),
        name: name.into(),
        kind: "http.bearer".into(),
        sealed: vault.seal(serde_json::to_string(value).unwrap().as_bytes()),
        created_by: uuid::Uuid::nil(),
        now: 1,
    })
    .await
    .unwrap();
}

fn version_of(cli: &Cli, name: &str) -> Value {
    cli.list()
        .into_iter()
        .find(|c| c["name"] == name)
        .map(|c| c["version"].clone())
        .unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_credentials_are_resealed_by_the_command_and_at_start() {
    let cli = Cli::new();
    // A current credential first: it also creates the key file.
    let o = cli.run_with_stdin(&["create", "current", "--kind", "k", "--value-stdin"], "v");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let secret = canary();
    store_legacy(&cli, "old", &secret).await;

    let o = cli.run(&["reseal"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "resealed 1 of 2 credentials"
    );
    assert_no_leak(&o, &secret);
    assert_eq!(version_of(&cli, "old"), json!(2));
    assert_eq!(version_of(&cli, "current"), json!(1));
    let o = cli.run(&["reseal"]);
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "resealed 0 of 2 credentials"
    );

    // `weft serve` does the same at start.
    store_legacy(&cli, "older", &secret).await;
    let server = Server::start(&cli.url, cli.dir.path()).await;
    assert_eq!(version_of(&cli, "older"), json!(2));
    assert!(!server.log().contains(&secret));
}

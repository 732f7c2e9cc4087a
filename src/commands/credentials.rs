//! `weft credentials list|create|update|delete|reseal`: node credentials, straight in the configured
//! database (the same settings as `weft serve`: `--config`, `WEFT_*`, `--database-url`), sealed
//! with the same vault key (`WEFT_MASTER_KEY` or the key file in the data directory).
//!
//! Values are read from stdin or a file, never from the command line (where `ps` and shell
//! history would see them), and never printed. Exit codes: 0 done, 1 the operation failed
//! (unknown credential, name taken, database unreachable), 2 bad usage (missing or malformed
//! value, bad name, bad configuration).

use crate::settings::{LogFormat, Settings, init_logging};
use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use weft_actors::credentials::{
    self as store, CredentialInput, CredentialWriteError, MAX_SECRET_BYTES,
};
use weft_persistence::{AuditEntry, CredentialRecord, Database, StoreError, Vault, VaultError};

#[derive(Args)]
pub struct CredentialsArgs {
    /// TOML config file (the one `weft serve --config` reads).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Database URL (`postgres://…` or `sqlite://FILE`); also WEFT_DATABASE_URL. Default: the
    /// embedded SQLite database in the data directory.
    #[arg(long, global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: CredentialsCommand,
}

/// Where a value comes from: standard input or a file. Read as JSON when it is a JSON string
/// or object, otherwise as the text itself (one trailing line break dropped).
#[derive(Args)]
struct ValueSource {
    /// Read the value from standard input.
    #[arg(long, conflicts_with = "value_file")]
    value_stdin: bool,
    /// Read the value from FILE.
    #[arg(long, value_name = "FILE")]
    value_file: Option<PathBuf>,
}

#[derive(Subcommand)]
enum CredentialsCommand {
    /// List credentials: id, name, kind and version (never values).
    List {
        /// Print `{"items": [...]}` as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Create a credential from a value on stdin or in a file.
    Create {
        /// Unique name nodes refer to it by.
        name: String,
        /// What it is for, e.g. `http.bearer`, `postgres`.
        #[arg(long)]
        kind: String,
        #[command(flatten)]
        value: ValueSource,
    },
    /// Replace a credential's value (its version goes up by one), rename or re-kind it.
    Update {
        /// The credential's id or name.
        credential: String,
        #[command(flatten)]
        value: ValueSource,
        /// New name.
        #[arg(long)]
        name: Option<String>,
        /// New kind.
        #[arg(long)]
        kind: Option<String>,
    },
    /// Delete a credential.
    Delete {
        /// The credential's id or name.
        credential: String,
    },
    /// Seal credentials stored by builds before envelopes again as envelopes (each goes up
    /// one version). `weft serve` does this at start; nodes refuse the old format.
    Reseal,
}

/// Why the command stopped: bad usage (exit 2) or a failure (exit 1).
enum Failure {
    Usage(String),
    Failed(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Failed(e)
    }
}

impl From<CredentialWriteError> for Failure {
    fn from(e: CredentialWriteError) -> Self {
        match e {
            CredentialWriteError::Value(p) => Failure::Usage(format!("the value: {p}")),
            CredentialWriteError::Store(e) => Failure::Failed(store_error(e)),
        }
    }
}

fn store_error(e: StoreError) -> anyhow::Error {
    match e {
        StoreError::NotFound { id, .. } => anyhow::anyhow!("credential `{id}` does not exist"),
        StoreError::AlreadyExists { id, .. } => {
            anyhow::anyhow!("a credential named `{id}` exists already")
        }
        e => anyhow::Error::new(e),
    }
}

pub fn run(args: CredentialsArgs) -> ExitCode {
    init_logging("warn", LogFormat::Pretty);
    let mut settings = match Settings::load(args.config.as_deref()) {
        Ok(s) => s,
        Err(e) => return usage(&format!("invalid configuration: {e}")),
    };
    if let Some(u) = args.database_url {
        settings.database_url = Some(u);
    }
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(execute(&settings, args.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(msg)) => usage(&msg),
        Err(Failure::Failed(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(2)
}

/// The vault `weft serve` seals credentials with: `WEFT_MASTER_KEY` (or `auth.master_key`),
/// else the key file (`auth.master_key_file`, relative to the data directory), created on
/// first use.
pub fn vault(settings: &Settings) -> Result<Vault, VaultError> {
    let auth = &settings.gateway.auth;
    let file = if auth.master_key_file.is_absolute() {
        auth.master_key_file.clone()
    } else {
        settings.data_dir.join(&auth.master_key_file)
    };
    Vault::load(auth.master_key.as_deref(), &file)
}

/// A master key or key file that is not usable is a configuration mistake (exit 2); a key
/// file that cannot be read or written is a failure (exit 1).
fn vault_for_cli(settings: &Settings) -> Result<Vault, Failure> {
    vault(settings).map_err(|e| match e {
        VaultError::KeyFileIo { .. } => Failure::Failed(anyhow::Error::new(e)),
        e => Failure::Usage(e.to_string()),
    })
}

/// Opens the configured database as `weft serve` does (creating the data directory for the
/// embedded one).
pub async fn open_database(settings: &Settings) -> anyhow::Result<Arc<dyn Database>> {
    let url = settings.database_url();
    if settings.database_url.is_none() {
        std::fs::create_dir_all(&settings.data_dir).with_context(|| {
            format!(
                "creating the data directory {}",
                settings.data_dir.display()
            )
        })?;
    }
    weft_persistence::connect_database(&url)
        .await
        .with_context(|| {
            format!(
                "opening the database {}",
                weft_persistence::redact_url(&url)
            )
        })
}

async fn execute(settings: &Settings, command: CredentialsCommand) -> Result<(), Failure> {
    // Usage is checked before anything is opened or created.
    match command {
        CredentialsCommand::List { json } => {
            let db = open_database(settings).await?;
            let items = db.list_credentials().await.map_err(store_error)?;
            print_list(&items, json);
        }
        CredentialsCommand::Create { name, kind, value } => {
            let name = store::check_label(&name, "name").map_err(Failure::Usage)?;
            let kind = store::check_label(&kind, "--kind").map_err(Failure::Usage)?;
            let Some(value) = read_value(&value)? else {
                return Err(Failure::Usage(
                    "give the value with --value-stdin or --value-file FILE".into(),
                ));
            };
            let vault = vault_for_cli(settings)?;
            let db = open_database(settings).await?;
            let rec = store::create_credential(
                db.as_ref(),
                &vault,
                name,
                kind,
                &value,
                uuid::Uuid::nil(),
                weft_actors::now_ms(),
            )
            .await?;
            audit(db.as_ref(), "create", &rec, 201).await;
            println!(
                "created credential `{}` ({}) version {}",
                rec.name, rec.id, rec.version
            );
        }
        CredentialsCommand::Update {
            credential,
            value,
            name,
            kind,
        } => {
            let name = name
                .map(|n| store::check_label(&n, "--name"))
                .transpose()
                .map_err(Failure::Usage)?;
            let kind = kind
                .map(|k| store::check_label(&k, "--kind"))
                .transpose()
                .map_err(Failure::Usage)?;
            let value = read_value(&value)?;
            if name.is_none() && kind.is_none() && value.is_none() {
                return Err(Failure::Usage(
                    "nothing to change: give --value-stdin, --value-file FILE, --name or --kind"
                        .into(),
                ));
            }
            let vault = match value {
                Some(_) => Some(vault_for_cli(settings)?),
                None => None,
            };
            let db = open_database(settings).await?;
            let found = store::find_credential(db.as_ref(), &credential)
                .await
                .map_err(store_error)?;
            let change = CredentialInput { name, kind, value };
            let rec = match &vault {
                Some(vault) => {
                    store::update_credential(
                        db.as_ref(),
                        vault,
                        found.id,
                        change,
                        weft_actors::now_ms(),
                    )
                    .await?
                }
                // No value to seal: no vault needed (nor a key file created).
                None => db
                    .update_credential(
                        found.id,
                        weft_persistence::CredentialUpdate {
                            name: change.name,
                            kind: change.kind,
                            secret: None,
                        },
                        weft_actors::now_ms(),
                    )
                    .await
                    .map_err(store_error)?,
            };
            audit(db.as_ref(), "update", &rec, 200).await;
            println!(
                "updated credential `{}` ({}) version {}",
                rec.name, rec.id, rec.version
            );
        }
        CredentialsCommand::Delete { credential } => {
            let db = open_database(settings).await?;
            let found = store::find_credential(db.as_ref(), &credential)
                .await
                .map_err(store_error)?;
            db.delete_credential(found.id).await.map_err(store_error)?;
            audit(db.as_ref(), "delete", &found, 204).await;
            println!("deleted credential `{}` ({})", found.name, found.id);
        }
        CredentialsCommand::Reseal => {
            let vault = vault_for_cli(settings)?;
            let db = open_database(settings).await?;
            let report =
                store::reseal_legacy_credentials(db.as_ref(), &vault, weft_actors::now_ms())
                    .await
                    .map_err(store_error)?;
            println!(
                "resealed {} of {} credentials",
                report.resealed, report.total
            );
            if !report.unreadable.is_empty() {
                return Err(Failure::Failed(anyhow::anyhow!(
                    "{} legacy credential(s) cannot be opened with this master key: {}",
                    report.unreadable.len(),
                    report.unreadable.join(", ")
                )));
            }
        }
    }
    Ok(())
}

fn print_list(items: &[CredentialRecord], json: bool) {
    if json {
        println!("{}", json!({ "items": items }));
        return;
    }
    if items.is_empty() {
        println!("no credentials");
        return;
    }
    let width = |f: fn(&CredentialRecord) -> usize, title: &str| {
        items.iter().map(f).max().unwrap_or(0).max(title.len())
    };
    let name_w = width(|c| c.name.chars().count(), "NAME");
    let kind_w = width(|c| c.kind.chars().count(), "KIND");
    let line = |id: &str, name: &str, kind: &str, version: &str| {
        println!("{id:<36}  {name:<name_w$}  {kind:<kind_w$}  {version}");
    };
    line("ID", "NAME", "KIND", "VERSION");
    for c in items {
        line(&c.id.to_string(), &c.name, &c.kind, &c.version.to_string());
    }
}

/// The value from stdin or the file, when one is given.
fn read_value(source: &ValueSource) -> Result<Option<Value>, Failure> {
    let (bytes, origin) = match (&source.value_file, source.value_stdin) {
        (Some(path), _) => (read_file(path)?, format!("--value-file {}", path.display())),
        (None, true) => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|e| Failure::Usage(format!("--value-stdin: cannot read: {e}")))?;
            (bytes, "--value-stdin".to_string())
        }
        (None, false) => return Ok(None),
    };
    parse_value(bytes)
        .map(Some)
        .map_err(|m| Failure::Usage(format!("{origin}: {m}")))
}

fn read_file(path: &Path) -> Result<Vec<u8>, Failure> {
    // Not read past the limit: a mistaken path to a huge file fails quickly.
    let file = std::fs::File::open(path).map_err(|e| {
        Failure::Usage(format!("--value-file {}: cannot read: {e}", path.display()))
    })?;
    let mut bytes = Vec::new();
    file.take(MAX_SECRET_BYTES as u64 + 2)
        .read_to_end(&mut bytes)
        .map_err(|e| {
            Failure::Usage(format!("--value-file {}: cannot read: {e}", path.display()))
        })?;
    Ok(bytes)
}

/// JSON when the text is a JSON string or object, otherwise the text itself without one
/// trailing line break. Messages never quote the value.
fn parse_value(bytes: Vec<u8>) -> Result<Value, String> {
    let text = String::from_utf8(bytes).map_err(|_| "the value is not UTF-8 text".to_string())?;
    let value = match serde_json::from_str::<Value>(&text) {
        Ok(v @ (Value::String(_) | Value::Object(_))) => v,
        _ => {
            let trimmed = text
                .strip_suffix("\r\n")
                .or_else(|| text.strip_suffix('\n'))
                .unwrap_or(&text);
            Value::String(trimmed.to_string())
        }
    };
    if value.as_str().is_some_and(str::is_empty) {
        return Err("the value is empty".into());
    }
    store::value_bytes(&value).map_err(|p| p.to_string())?;
    Ok(value)
}

/// Records the change in the audit log as the gateway does for API calls (best effort: the
/// change is made either way).
async fn audit(db: &dyn Database, action: &str, rec: &CredentialRecord, status: u16) {
    let entry = AuditEntry {
        id: 0,
        at: weft_actors::now_ms(),
        principal: "cli".into(),
        action: format!("credentials.{action}"),
        resource: format!("credential/{}", rec.id),
        status,
        ip: None,
        request_id: None,
        detail: json!({"name": rec.name, "version": rec.version}),
    };
    if let Err(e) = db.append_audit(vec![entry]).await {
        tracing::warn!(error = %e, "could not write the audit entry");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_json_strings_or_objects_else_text() {
        let parse = |s: &str| parse_value(s.as_bytes().to_vec());
        assert_eq!(parse("tok3n\n").unwrap(), json!("tok3n"));
        assert_eq!(parse("tok3n\r\n").unwrap(), json!("tok3n"));
        assert_eq!(parse("two\nlines\n\n").unwrap(), json!("two\nlines\n"));
        assert_eq!(parse(r#""quoted""#).unwrap(), json!("quoted"));
        assert_eq!(
            parse(r#"{"user": "u", "password": "p"}"#).unwrap(),
            json!({"user": "u", "password": "p"})
        );
        // JSON that is neither a string nor an object is text.
        assert_eq!(parse("12345").unwrap(), json!("12345"));
        assert_eq!(parse("[1]").unwrap(), json!("[1]"));
        assert!(parse("").unwrap_err().contains("empty"));
        assert!(parse("\n").unwrap_err().contains("empty"));
        let err = parse(r#"{"port": 5432}"#).unwrap_err();
        assert!(err.contains("object of strings"), "{err}");
        assert!(!err.contains("5432"), "{err}");
        assert!(parse_value(vec![0xff, 0xfe]).unwrap_err().contains("UTF-8"));
        let big = "x".repeat(MAX_SECRET_BYTES + 1);
        assert!(parse(&big).unwrap_err().contains("at most"));
    }
}

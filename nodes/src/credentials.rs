//! Credentials as nodes see them: a node names a credential (by id or name) in its config and
//! asks for it at run time; the engine's [`CredentialSource`] opens it from the store.
//!
//! A secret must never leave the node through its output, its error, its log lines or the
//! events built from them. Nodes are written not to echo secrets, and the registry does not
//! rely on that alone: every string value a [`Credentials`] handle hands out is remembered,
//! and [`Registry::run`](crate::Registry::run) scrubs those strings from the result before it
//! goes anywhere ([`Credentials::scrub_output`], [`Credentials::scrub_error`]).

use crate::NodeOutput;
use async_trait::async_trait;
use serde_json::Value;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use weft_core::NodeError;

/// What replaces a secret in anything a node returns.
pub const REDACTED: &str = "[redacted]";

/// Secrets shorter than this are not scrubbed: replacing every `a` or `42` in an output
/// would destroy it, and such values protect nothing anyway.
const MIN_SCRUBBED_LEN: usize = 4;

/// Why a credential could not be handed to a node. The message never holds the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error("credential `{0}` does not exist")]
    NotFound(String),
    #[error("credential `{0}` cannot be opened: {1}")]
    Unreadable(String, String),
    #[error("credentials are not available here: {0}")]
    Unavailable(String),
}

impl From<CredentialError> for NodeError {
    fn from(e: CredentialError) -> Self {
        match e {
            CredentialError::Unavailable(_) => NodeError::transient(e.to_string()),
            _ => NodeError::config(e.to_string()),
        }
    }
}

/// Where secrets come from: the store and vault in a server, a map in tests.
#[async_trait]
pub trait CredentialSource: Send + Sync + 'static {
    /// The opened value of the credential with this id (a UUID) or name: a string or an
    /// object of strings.
    async fn credential(&self, reference: &str) -> Result<Value, CredentialError>;
}

/// A source with no credentials (`weft run` without a store, registries in tests).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoCredentials;

#[async_trait]
impl CredentialSource for NoCredentials {
    async fn credential(&self, reference: &str) -> Result<Value, CredentialError> {
        Err(CredentialError::NotFound(reference.to_string()))
    }
}

/// Fixed credentials by reference (tests, the harness, `weft run --credentials`).
#[derive(Debug, Default, Clone)]
pub struct StaticCredentials(pub HashMap<String, Value>);

#[async_trait]
impl CredentialSource for StaticCredentials {
    async fn credential(&self, reference: &str) -> Result<Value, CredentialError> {
        self.0
            .get(reference)
            .cloned()
            .ok_or_else(|| CredentialError::NotFound(reference.to_string()))
    }
}

/// An opened credential. Its `Debug` never shows the value.
#[derive(Clone)]
pub struct Secret {
    reference: String,
    value: Value,
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.reference)
    }
}

impl Secret {
    /// The reference it was asked for by.
    pub fn reference(&self) -> &str {
        &self.reference
    }

    /// The value when the credential is a plain string.
    pub fn as_str(&self) -> Option<&str> {
        self.value.as_str()
    }

    /// A string field of an object credential (`{"user": …, "password": …}`).
    pub fn field(&self, name: &str) -> Option<&str> {
        self.value.get(name).and_then(Value::as_str)
    }

    /// The string value, or the named field of an object: the usual "token" shape either way.
    /// A `config` error naming the credential when neither exists.
    pub fn string_or_field(&self, name: &str) -> Result<&str, NodeError> {
        self.as_str().or_else(|| self.field(name)).ok_or_else(|| {
            NodeError::config(format!(
                "credential `{}` must be a string or an object with a `{name}` string",
                self.reference
            ))
        })
    }

    /// The whole opened value.
    pub fn value(&self) -> &Value {
        &self.value
    }
}

/// One activation's access to credentials; remembers what it handed out so the result can be
/// scrubbed. Cheap to clone (clones share the memory).
#[derive(Clone)]
pub struct Credentials {
    source: Arc<dyn CredentialSource>,
    handed_out: Arc<Mutex<Vec<String>>>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials").finish_non_exhaustive()
    }
}

impl Default for Credentials {
    fn default() -> Self {
        Self::new(Arc::new(NoCredentials))
    }
}

impl Credentials {
    pub fn new(source: Arc<dyn CredentialSource>) -> Self {
        Self {
            source,
            handed_out: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Opens the credential named by a node's config.
    pub async fn get(&self, reference: &str) -> Result<Secret, NodeError> {
        let value = self.source.credential(reference).await?;
        let mut strings = Vec::new();
        collect_strings(&value, &mut strings);
        if let Ok(mut handed_out) = self.handed_out.lock() {
            handed_out.extend(strings.into_iter().filter(|s| s.len() >= MIN_SCRUBBED_LEN));
            // Longest first, so a secret that contains another is replaced whole.
            handed_out.sort_by_key(|s| std::cmp::Reverse(s.len()));
            handed_out.dedup();
        }
        Ok(Secret {
            reference: reference.to_string(),
            value,
        })
    }

    /// Marks a value derived from a secret (an encoded `user:password` pair, a signature
    /// key) as secret too, so it is scrubbed like the secret itself.
    pub fn derived(&self, value: &str) {
        if value.len() < MIN_SCRUBBED_LEN {
            return;
        }
        if let Ok(mut handed_out) = self.handed_out.lock() {
            handed_out.push(value.to_string());
            handed_out.sort_by_key(|s| std::cmp::Reverse(s.len()));
            handed_out.dedup();
        }
    }

    fn secrets(&self) -> Vec<String> {
        self.handed_out
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    /// `text` with every secret handed out so far replaced by [`REDACTED`].
    pub fn scrub_text(&self, text: &str) -> String {
        scrub(text, &self.secrets())
    }

    /// The output, its logs and their fields, with every secret handed out replaced.
    pub fn scrub_output(&self, mut out: NodeOutput) -> NodeOutput {
        let secrets = self.secrets();
        if secrets.is_empty() {
            return out;
        }
        scrub_value(&mut out.output, &secrets);
        for log in &mut out.logs {
            log.message = scrub(&log.message, &secrets);
            scrub_value(&mut log.fields, &secrets);
        }
        out
    }

    /// The error's message and details, with every secret handed out replaced.
    pub fn scrub_error(&self, mut e: NodeError) -> NodeError {
        let secrets = self.secrets();
        if secrets.is_empty() {
            return e;
        }
        e.message = scrub(&e.message, &secrets);
        if let Some(details) = e.details.as_mut() {
            scrub_value(details, &secrets);
        }
        e
    }
}

/// Fields of an object credential that say where a service is and how to recognise it, not
/// how to get in: their values are not scrubbed, so an error can still name the host that
/// failed. Everything else (user names, passwords, tokens, URLs that may hold a login) is.
const PUBLIC_FIELDS: &[&str] = &["host", "port", "ca_cert"];

fn collect_strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        Value::Object(map) => map
            .iter()
            .filter(|(k, _)| !PUBLIC_FIELDS.contains(&k.as_str()))
            .for_each(|(_, v)| collect_strings(v, out)),
        _ => {}
    }
}

fn scrub(text: &str, secrets: &[String]) -> String {
    let mut text = text.to_string();
    for s in secrets {
        if text.contains(s.as_str()) {
            text = text.replace(s.as_str(), REDACTED);
        }
    }
    text
}

fn scrub_value(value: &mut Value, secrets: &[String]) {
    match value {
        Value::String(s) if secrets.iter().any(|secret| s.contains(secret.as_str())) => {
            *s = scrub(s, secrets);
        }
        Value::Array(items) => items.iter_mut().for_each(|v| scrub_value(v, secrets)),
        Value::Object(map) => {
            // Keys can carry secrets too (a header map keyed by a token is unlikely but cheap
            // to cover): rebuild the map only when one does.
            if map
                .keys()
                .any(|k| secrets.iter().any(|s| k.contains(s.as_str())))
            {
                let old = std::mem::take(map);
                for (k, mut v) in old {
                    scrub_value(&mut v, secrets);
                    map.insert(scrub(&k, secrets), v);
                }
            } else {
                map.values_mut().for_each(|v| scrub_value(v, secrets));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LogLevel, NodeLog};
    use serde_json::json;

    fn handle() -> Credentials {
        Credentials::new(Arc::new(StaticCredentials(HashMap::from([
            ("token".to_string(), json!("s3cr3t-canary")),
            (
                "db".to_string(),
                json!({"user": "app", "password": "hunter2-canary"}),
            ),
            (
                "smtp".to_string(),
                json!({"host": "mail.example.com", "port": "2525", "username": "mailer-canary",
                       "password": "smtp-canary"}),
            ),
        ]))))
    }

    #[tokio::test]
    async fn where_a_service_is_stays_readable() {
        let c = handle();
        c.get("smtp").await.unwrap();
        let e = c.scrub_error(NodeError::transient(
            "mail.example.com:2525 refused mailer-canary with smtp-canary",
        ));
        assert_eq!(
            e.message,
            "mail.example.com:2525 refused [redacted] with [redacted]"
        );
    }

    #[tokio::test]
    async fn secrets_handed_out_are_scrubbed_from_outputs_logs_and_errors() {
        let c = handle();
        let token = c.get("token").await.unwrap();
        assert_eq!(token.as_str(), Some("s3cr3t-canary"));
        assert_eq!(format!("{token:?}"), "Secret(token)");
        let db = c.get("db").await.unwrap();
        assert_eq!(db.field("password"), Some("hunter2-canary"));

        let out = NodeOutput::main(json!({
            "echo": "Bearer s3cr3t-canary",
            "nested": [{"pw": "hunter2-canary"}],
            "hunter2-canary": 1,
            "user": "app",
        }))
        .with_log(
            NodeLog::new(LogLevel::Info, "sent s3cr3t-canary")
                .with_fields(json!({"h": "s3cr3t-canary"})),
        );
        let out = c.scrub_output(out);
        let text = serde_json::to_string(&out.output).unwrap();
        assert!(!text.contains("canary"), "{text}");
        // Too short to scrub.
        assert_eq!(out.output["user"], "app");
        assert_eq!(out.logs[0].message, "sent [redacted]");
        assert_eq!(out.logs[0].fields["h"], REDACTED);

        let e = c.scrub_error(NodeError::permanent("login failed for hunter2-canary"));
        assert_eq!(e.message, "login failed for [redacted]");
    }

    #[tokio::test]
    async fn unknown_credentials_are_config_errors_naming_the_reference() {
        let e = handle().get("nope").await.unwrap_err();
        assert_eq!(e.kind, weft_core::ErrorKind::Config);
        assert_eq!(e.message, "credential `nope` does not exist");
    }
}

//! Node credentials from the database: [`StoreCredentials`] opens them for nodes, and
//! [`create_credential`] / [`update_credential`] seal and store them for the two writers (the
//! gateway's `/credentials` API and the `weft credentials` command), so both check values and
//! handle versions the same way.
//!
//! A credential's value is JSON, a string or an object of strings, sealed by the vault's
//! envelope format for the credential's id and version. Nothing here logs, traces or puts a
//! value into an error: errors name the credential (by the reference it was asked for) and
//! say what is wrong in other words.

use async_trait::async_trait;
use serde_json::Value;
use std::sync::Arc;
use uuid::Uuid;
use weft_core::Millis;
use weft_nodes::{CredentialError, CredentialSource};
use weft_persistence::{
    AccessStore, CredentialRecord, CredentialSecret, CredentialUpdate, NewCredential, StoreError,
    Vault,
};

/// Largest value, serialized.
pub const MAX_SECRET_BYTES: usize = 64 * 1024;

/// How many times a secret change is sealed again when another writer changed the credential
/// between reading its version and writing.
const SEAL_ATTEMPTS: usize = 5;

/// Credentials for nodes from the access store, opened with the vault. A reference is the
/// credential's id (a UUID) or its name. Every call reads the store, so a changed secret is
/// used from the next activation on; nothing opened is kept.
#[derive(Clone)]
pub struct StoreCredentials {
    db: Arc<dyn AccessStore>,
    vault: Vault,
}

impl std::fmt::Debug for StoreCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreCredentials").finish_non_exhaustive()
    }
}

impl StoreCredentials {
    pub fn new(db: Arc<dyn AccessStore>, vault: Vault) -> Self {
        Self { db, vault }
    }
}

/// The credential a reference names: by id when it is a UUID (then by name, for a name that
/// looks like one), otherwise by name. `NotFound` names the reference.
pub async fn find_credential(
    db: &dyn AccessStore,
    reference: &str,
) -> Result<CredentialRecord, StoreError> {
    if let Ok(id) = Uuid::parse_str(reference) {
        match db.get_credential(id).await {
            Err(StoreError::NotFound { .. }) => {}
            other => return other,
        }
    }
    db.get_credential_by_name(reference)
        .await
        .map_err(|e| match e {
            StoreError::NotFound { what, .. } => StoreError::not_found(what, reference),
            e => e,
        })
}

/// A credential's name or kind, trimmed: 1–100 characters, none of them control characters.
pub fn check_label(value: &str, field: &str) -> Result<String, String> {
    let t = value.trim();
    if t.is_empty() || t.chars().count() > 100 || t.chars().any(char::is_control) {
        return Err(format!(
            "{field} has 1–100 characters and no control characters"
        ));
    }
    Ok(t.to_string())
}

#[async_trait]
impl CredentialSource for StoreCredentials {
    async fn credential(&self, reference: &str) -> Result<Value, CredentialError> {
        let store_error = |e: StoreError| match e {
            StoreError::NotFound { .. } => CredentialError::NotFound(reference.to_string()),
            e if e.is_transient() => CredentialError::Unavailable(e.to_string()),
            e => CredentialError::Unreadable(reference.to_string(), e.to_string()),
        };
        let id = find_credential(self.db.as_ref(), reference)
            .await
            .map_err(store_error)?
            .id;
        let secret = self
            .db
            .get_credential_secret(id)
            .await
            .map_err(store_error)?;
        let plaintext = self
            .vault
            .open_credential(id, secret.version, &secret.sealed)
            .map_err(|e| CredentialError::Unreadable(reference.to_string(), e.to_string()))?;
        // The serde error could quote the text: say what is wrong without it.
        let value: Value = serde_json::from_slice(&plaintext).map_err(|_| {
            CredentialError::Unreadable(reference.to_string(), "it does not hold JSON".into())
        })?;
        check_value(&value).map_err(|problem| {
            CredentialError::Unreadable(reference.to_string(), problem.to_string())
        })?;
        Ok(value)
    }
}

/// Why a value cannot be a credential. Never quotes the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueProblem {
    #[error("a credential value is a string or an object of strings")]
    Shape,
    #[error("a credential value is at most {MAX_SECRET_BYTES} bytes")]
    TooLarge,
}

/// Checks a value's shape (a string, or an object whose values are strings).
pub fn check_value(value: &Value) -> Result<(), ValueProblem> {
    match value {
        Value::String(_) => Ok(()),
        Value::Object(map) if map.values().all(Value::is_string) => Ok(()),
        _ => Err(ValueProblem::Shape),
    }
}

/// The value serialized for sealing, checked for shape and size.
pub fn value_bytes(value: &Value) -> Result<Vec<u8>, ValueProblem> {
    check_value(value)?;
    let bytes = serde_json::to_vec(value).map_err(|_| ValueProblem::Shape)?;
    if bytes.len() > MAX_SECRET_BYTES {
        return Err(ValueProblem::TooLarge);
    }
    Ok(bytes)
}

/// What went wrong writing a credential.
#[derive(Debug, thiserror::Error)]
pub enum CredentialWriteError {
    #[error(transparent)]
    Value(#[from] ValueProblem),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A credential to create or change, as the writers receive it.
#[derive(Clone, Default)]
pub struct CredentialInput {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub value: Option<Value>,
}

impl std::fmt::Debug for CredentialInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialInput")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("value", &self.value.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// Seals `value` for version 1 of a new credential and stores it.
pub async fn create_credential(
    db: &dyn AccessStore,
    vault: &Vault,
    name: String,
    kind: String,
    value: &Value,
    created_by: Uuid,
    now: Millis,
) -> Result<CredentialRecord, CredentialWriteError> {
    let bytes = value_bytes(value)?;
    let id = Uuid::now_v7();
    Ok(db
        .create_credential(NewCredential {
            id,
            name,
            kind,
            sealed: vault.seal_credential(id, 1, &bytes),
            created_by,
            now,
        })
        .await?)
}

/// Renames, re-kinds and/or replaces the value of credential `id`. A new value is sealed for
/// the next version; when another writer changed the secret in between, it is sealed again
/// for the version after theirs (the last write wins, as with any update).
pub async fn update_credential(
    db: &dyn AccessStore,
    vault: &Vault,
    id: Uuid,
    change: CredentialInput,
    now: Millis,
) -> Result<CredentialRecord, CredentialWriteError> {
    let bytes = change.value.as_ref().map(value_bytes).transpose()?;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let secret = match &bytes {
            Some(bytes) => {
                let version = db.get_credential(id).await?.version + 1;
                Some(CredentialSecret {
                    version,
                    sealed: vault.seal_credential(id, version, bytes),
                })
            }
            None => None,
        };
        let update = CredentialUpdate {
            name: change.name.clone(),
            kind: change.kind.clone(),
            secret,
        };
        match db.update_credential(id, update, now).await {
            Err(StoreError::Conflict(_)) if attempt < SEAL_ATTEMPTS && bytes.is_some() => {}
            other => return Ok(other?),
        }
    }
}

/// What [`reseal_legacy_credentials`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResealReport {
    /// Credentials looked at.
    pub total: usize,
    /// Legacy values now stored as envelopes (each one version up).
    pub resealed: usize,
    /// Names of legacy values this vault's key cannot open (sealed under another key);
    /// left as they are.
    pub unreadable: Vec<String>,
}

/// Stores every credential still sealed in the legacy single-key format (builds before
/// envelopes) again as an envelope for its next version, so [`StoreCredentials`], which
/// refuses legacy values, can open it. Idempotent; safe beside other writers: a credential
/// whose secret changed meanwhile was written as an envelope by that writer and is skipped.
pub async fn reseal_legacy_credentials(
    db: &dyn AccessStore,
    vault: &Vault,
    now: Millis,
) -> Result<ResealReport, StoreError> {
    let mut report = ResealReport::default();
    for rec in db.list_credentials().await? {
        report.total += 1;
        let secret = match db.get_credential_secret(rec.id).await {
            Ok(s) => s,
            Err(StoreError::NotFound { .. }) => continue, // deleted meanwhile
            Err(e) => return Err(e),
        };
        let next = secret.version + 1;
        let sealed = match vault.reseal_legacy_credential(rec.id, next, &secret.sealed) {
            Ok(Some(sealed)) => sealed,
            Ok(None) => continue,
            Err(_) => {
                report.unreadable.push(rec.name);
                continue;
            }
        };
        let update = CredentialUpdate {
            name: None,
            kind: None,
            secret: Some(CredentialSecret {
                version: next,
                sealed,
            }),
        };
        match db.update_credential(rec.id, update, now).await {
            Ok(_) => report.resealed += 1,
            Err(StoreError::Conflict(_) | StoreError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    async fn store() -> (Arc<dyn weft_persistence::Database>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("c.db").display());
        (weft_persistence::connect_database(&url).await.unwrap(), dir)
    }

    #[tokio::test]
    async fn opens_by_id_and_name_and_follows_new_versions() {
        let (db, _dir) = store().await;
        let vault = Vault::from_key([5; 32]);
        let rec = create_credential(
            db.as_ref(),
            &vault,
            "api".into(),
            "http.bearer".into(),
            &json!({"token": "t0k3n-one"}),
            Uuid::nil(),
            1,
        )
        .await
        .unwrap();
        assert_eq!(rec.version, 1);
        let source = StoreCredentials::new(db.clone(), vault.clone());
        assert_eq!(
            source.credential("api").await.unwrap(),
            json!({"token": "t0k3n-one"})
        );
        assert_eq!(
            source.credential(&rec.id.to_string()).await.unwrap(),
            json!({"token": "t0k3n-one"})
        );
        let rec = update_credential(
            db.as_ref(),
            &vault,
            rec.id,
            CredentialInput {
                value: Some(json!("t0k3n-two")),
                ..Default::default()
            },
            2,
        )
        .await
        .unwrap();
        assert_eq!(rec.version, 2);
        assert_eq!(source.credential("api").await.unwrap(), json!("t0k3n-two"));

        // Concurrent value changes all land, each sealed for its own version.
        let writes = (0..4).map(|i| {
            let db = db.clone();
            let vault = vault.clone();
            async move {
                update_credential(
                    db.as_ref(),
                    &vault,
                    rec.id,
                    CredentialInput {
                        value: Some(json!(format!("value-{i}"))),
                        ..Default::default()
                    },
                    3,
                )
                .await
                .unwrap()
                .version
            }
        });
        let mut versions = futures::future::join_all(writes).await;
        versions.sort();
        assert_eq!(versions, [3, 4, 5, 6]);
        let opened = source.credential("api").await.unwrap();
        assert!(opened.as_str().unwrap().starts_with("value-"), "{opened}");
    }

    #[tokio::test]
    async fn legacy_values_are_refused_until_resealed() {
        let (db, _dir) = store().await;
        let vault = Vault::from_key([5; 32]);
        // As an older build stored them: the single-key format, version 1 by the migration.
        let legacy = |name: &str, vault: &Vault| NewCredential {
            id: Uuid::now_v7(),
            name: name.into(),
            kind: "k".into(),
            sealed: vault.seal(br#"{"token":"old-format"}"#),
            created_by: Uuid::nil(),
            now: 1,
        };
        let old = db
            .create_credential(legacy("legacy", &vault))
            .await
            .unwrap();
        db.create_credential(legacy("other-key", &Vault::from_key([9; 32])))
            .await
            .unwrap();
        create_credential(
            db.as_ref(),
            &vault,
            "current".into(),
            "k".into(),
            &json!("envelope"),
            Uuid::nil(),
            1,
        )
        .await
        .unwrap();
        let source = StoreCredentials::new(db.clone(), vault.clone());
        let err = source.credential("legacy").await.unwrap_err();
        assert!(err.to_string().contains("weft credentials reseal"), "{err}");

        let report = reseal_legacy_credentials(db.as_ref(), &vault, 2)
            .await
            .unwrap();
        assert_eq!(
            report,
            ResealReport {
                total: 3,
                resealed: 1,
                unreadable: vec!["other-key".to_string()],
            }
        );
        let secret = db.get_credential_secret(old.id).await.unwrap();
        assert_eq!((secret.version, secret.sealed[0]), (2, 2));
        assert_eq!(
            source.credential("legacy").await.unwrap(),
            json!({"token": "old-format"})
        );
        assert_eq!(
            source.credential("current").await.unwrap(),
            json!("envelope")
        );
        // Nothing left to do the second time.
        let again = reseal_legacy_credentials(db.as_ref(), &vault, 3)
            .await
            .unwrap();
        assert_eq!(again.resealed, 0);
    }

    #[tokio::test]
    async fn unknown_and_unreadable_credentials_are_clear_errors() {
        let (db, _dir) = store().await;
        let vault = Vault::from_key([5; 32]);
        let source = StoreCredentials::new(db.clone(), vault.clone());
        assert_eq!(
            source.credential("nope").await.unwrap_err(),
            CredentialError::NotFound("nope".into())
        );
        let id = Uuid::now_v7().to_string();
        assert_eq!(
            source.credential(&id).await.unwrap_err(),
            CredentialError::NotFound(id)
        );
        create_credential(
            db.as_ref(),
            &vault,
            "db".into(),
            "postgres".into(),
            &json!("pa55word-secret"),
            Uuid::nil(),
            1,
        )
        .await
        .unwrap();
        // Another master key: unreadable, and the message holds no secret.
        let other = StoreCredentials::new(db.clone(), Vault::from_key([6; 32]));
        let err = other.credential("db").await.unwrap_err();
        assert!(
            matches!(&err, CredentialError::Unreadable(r, _) if r == "db"),
            "{err:?}"
        );
        assert!(!err.to_string().contains("pa55word"), "{err}");
    }

    #[tokio::test]
    async fn values_are_strings_or_objects_of_strings() {
        let (db, _dir) = store().await;
        let vault = Vault::from_key([5; 32]);
        for bad in [json!(42), json!(["a"]), json!({"port": 5432}), json!(null)] {
            let err = create_credential(
                db.as_ref(),
                &vault,
                "x".into(),
                "k".into(),
                &bad,
                Uuid::nil(),
                1,
            )
            .await
            .unwrap_err();
            assert!(
                matches!(err, CredentialWriteError::Value(ValueProblem::Shape)),
                "{bad}"
            );
        }
        let big = json!("x".repeat(MAX_SECRET_BYTES));
        assert!(matches!(value_bytes(&big), Err(ValueProblem::TooLarge)));
        assert!(db.list_credentials().await.unwrap().is_empty());
    }
}

//! Who may do what, and what they did: users, refresh-token families, API keys, node
//! credentials (sealed), the audit log and the webhook routes.
//!
//! Apart from [`Store`](crate::Store) because the engine never needs it: the gateway does.
//! Both backends implement it; [`Database`] is the two together, which is what
//! [`connect_database`](crate::connect_database) returns.
//!
//! Nothing here hashes, signs or encrypts: the gateway hashes passwords and tokens before they
//! arrive, and credentials arrive sealed by the [`Vault`](crate::Vault). The store only keeps
//! what it is given and answers lookups, atomically where a race matters (a refresh token used
//! twice, a failed login counted twice).

use crate::{Result, Store};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;
use weft_core::{Millis, WorkflowId};

/// Roles, weakest first: each can do everything the ones before it can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads workflows, executions, events and logs.
    Viewer,
    /// Also starts, cancels, signals and retries executions.
    Operator,
    /// Also creates, edits and deletes workflows and credentials.
    Editor,
    /// Also manages users, API keys and reads the audit log.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Operator, Role::Editor, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewUser {
    pub id: Uuid,
    /// Unique, compared case-sensitively.
    pub username: String,
    /// A PHC string (argon2id), never the password.
    pub password_hash: String,
    pub role: Role,
    pub now: Millis,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    pub id: Uuid,
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    /// The TOTP secret, sealed by the vault; `None` when MFA is off.
    pub totp_secret: Option<Vec<u8>>,
    pub disabled: bool,
    /// Failed logins since the last success.
    pub failed_logins: u32,
    /// Logins are refused until then.
    pub locked_until: Option<Millis>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// Fields to change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserUpdate {
    pub password_hash: Option<String>,
    pub role: Option<Role>,
    pub disabled: Option<bool>,
    /// `Some(None)` turns MFA off.
    pub totp_secret: Option<Option<Vec<u8>>>,
}

/// One refresh token, by the hash of its value. Tokens of one login form a family: each
/// refresh uses up one token and issues the next in the same family.
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshTokenRecord {
    pub id: Uuid,
    pub family_id: Uuid,
    pub user_id: Uuid,
    /// SHA-256 of the token, hex.
    pub token_hash: String,
    pub created_at: Millis,
    pub expires_at: Millis,
    pub used_at: Option<Millis>,
    pub revoked_at: Option<Millis>,
}

/// What happened when a refresh token was presented.
#[derive(Debug, Clone, PartialEq)]
pub enum RefreshUse {
    /// It was live; it is now used up (atomically: two concurrent uses cannot both get this).
    Fresh(RefreshTokenRecord),
    /// It had been used (or its family revoked) before: a replay. The caller revokes the
    /// family.
    Reused(RefreshTokenRecord),
    Expired(RefreshTokenRecord),
    Unknown,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewApiKey {
    pub id: Uuid,
    pub name: String,
    /// The first characters of the key, shown in lists so people can tell keys apart.
    pub prefix: String,
    /// SHA-256 of the whole key, hex.
    pub key_hash: String,
    pub role: Role,
    pub created_by: Uuid,
    pub expires_at: Option<Millis>,
    pub now: Millis,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiKeyRecord {
    pub id: Uuid,
    pub name: String,
    pub prefix: String,
    #[serde(skip)]
    pub key_hash: String,
    pub role: Role,
    pub created_by: Uuid,
    pub created_at: Millis,
    pub expires_at: Option<Millis>,
    pub last_used_at: Option<Millis>,
    pub revoked_at: Option<Millis>,
}

/// A credential to create, as version 1. The caller picks the id because the secret is
/// sealed for it (and version 1) before it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCredential {
    pub id: Uuid,
    /// Unique.
    pub name: String,
    /// What it is for, e.g. `http.bearer`, `postgres`, free text.
    pub kind: String,
    /// The secret, sealed by the vault for this id and version 1
    /// ([`Vault::seal_credential`](crate::Vault::seal_credential)).
    pub sealed: Vec<u8>,
    pub created_by: Uuid,
    pub now: Millis,
}

/// A credential without its secret: what lists and reads return.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CredentialRecord {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    /// 1 when created; one more each time the secret changes.
    pub version: u32,
    pub created_by: Uuid,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// What changes; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CredentialUpdate {
    pub name: Option<String>,
    pub kind: Option<String>,
    /// A new secret, sealed for the version it becomes: the stored version plus one.
    pub secret: Option<CredentialSecret>,
}

/// A sealed secret and the credential version it is sealed for: what the vault needs, with
/// the id, to open it.
#[derive(Clone, PartialEq)]
pub struct CredentialSecret {
    pub version: u32,
    pub sealed: Vec<u8>,
}

impl std::fmt::Debug for CredentialSecret {
    /// The length only: sealed bytes are no use in a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialSecret")
            .field("version", &self.version)
            .field("sealed_len", &self.sealed.len())
            .finish()
    }
}

/// One audited request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Assigned by the store; ignored on append.
    #[serde(default)]
    pub id: i64,
    pub at: Millis,
    /// `user:{name}`, `api_key:{id}`, or `anonymous`.
    pub principal: String,
    /// e.g. `workflow.create`, `auth.login`.
    pub action: String,
    /// e.g. `workflow/{id}`; empty when none.
    pub resource: String,
    /// HTTP status of the answer.
    pub status: u16,
    pub ip: Option<String>,
    pub request_id: Option<String>,
    /// Extra facts; never secrets.
    pub detail: Value,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    pub principal: Option<String>,
    /// Exact action, or a prefix ending in `.` (`workflow.`).
    pub action: Option<String>,
    /// Resource prefix.
    pub resource: Option<String>,
    /// Entries at or after this time.
    pub since: Option<Millis>,
    /// Entries before this time (exclusive, so consecutive ranges do not overlap).
    pub until: Option<Millis>,
    /// Cursor: only entries with a smaller id (newest first).
    pub before: Option<i64>,
    /// Page size: 0 means 100; at most 1000.
    pub limit: u32,
}

/// A webhook path and the workflow (and its trigger node) it starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebhookRoute {
    /// Without a leading slash, e.g. `orders/new`.
    pub path: String,
    pub workflow_id: WorkflowId,
    /// The `trigger.webhook` node's id.
    pub node_id: String,
}

#[async_trait]
pub trait AccessStore: Send + Sync + 'static {
    // ---- users ------------------------------------------------------------------------

    /// `AlreadyExists` when the username is taken.
    async fn create_user(&self, user: NewUser) -> Result<UserRecord>;
    async fn get_user(&self, id: Uuid) -> Result<UserRecord>;
    async fn get_user_by_name(&self, username: &str) -> Result<UserRecord>;
    /// By username.
    async fn list_users(&self) -> Result<Vec<UserRecord>>;
    async fn count_users(&self) -> Result<u64>;
    async fn update_user(&self, id: Uuid, update: UserUpdate, now: Millis) -> Result<UserRecord>;
    /// Also revokes the user's refresh tokens and the API keys they created (in one
    /// transaction); those rows stay, revoked.
    async fn delete_user(&self, id: Uuid) -> Result<()>;
    /// Counts one failed login atomically; once `max_failures` is reached, sets
    /// `locked_until = now + lock_ms` and resets the count. `max_failures == 0` counts but
    /// never locks; a negative `lock_ms` is `Invalid`.
    async fn record_login_failure(
        &self,
        id: Uuid,
        now: Millis,
        max_failures: u32,
        lock_ms: i64,
    ) -> Result<UserRecord>;
    /// Clears the failure count and any lock.
    async fn record_login_success(&self, id: Uuid, now: Millis) -> Result<()>;

    // ---- refresh tokens ------------------------------------------------------------------

    async fn insert_refresh_token(&self, token: RefreshTokenRecord) -> Result<()>;
    /// Looks the token up by hash and, if it is live, marks it used in the same statement.
    async fn use_refresh_token(&self, token_hash: &str, now: Millis) -> Result<RefreshUse>;
    /// Revokes every token of the family (reuse detected, or logout).
    async fn revoke_refresh_family(&self, family_id: Uuid, now: Millis) -> Result<()>;
    async fn revoke_user_refresh_tokens(&self, user_id: Uuid, now: Millis) -> Result<()>;

    // ---- API keys ------------------------------------------------------------------------

    async fn create_api_key(&self, key: NewApiKey) -> Result<ApiKeyRecord>;
    /// A key that is not revoked (expiry is the caller's check). `NotFound` otherwise.
    async fn get_api_key_by_hash(&self, key_hash: &str) -> Result<ApiKeyRecord>;
    /// Newest first, revoked ones included.
    async fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>>;
    async fn revoke_api_key(&self, id: Uuid, now: Millis) -> Result<()>;
    /// Best effort; callers may skip it when the last touch is recent.
    async fn touch_api_key(&self, id: Uuid, now: Millis) -> Result<()>;

    // ---- credentials ---------------------------------------------------------------------

    /// Stores version 1 of a new credential. `AlreadyExists` when the name (or id) is taken.
    async fn create_credential(&self, c: NewCredential) -> Result<CredentialRecord>;
    async fn get_credential(&self, id: Uuid) -> Result<CredentialRecord>;
    async fn get_credential_by_name(&self, name: &str) -> Result<CredentialRecord>;
    /// The sealed secret and its version, for the engine's use only; never for API output.
    async fn get_credential_secret(&self, id: Uuid) -> Result<CredentialSecret>;
    /// By name.
    async fn list_credentials(&self) -> Result<Vec<CredentialRecord>>;
    /// Renames, re-kinds and/or replaces the secret. A new secret must be sealed for the
    /// stored version plus one, which it becomes: `Conflict` when the stored version is
    /// another (someone changed the secret meanwhile: seal again for the new version),
    /// `Invalid` for a version below 2. Nothing changes when refused.
    async fn update_credential(
        &self,
        id: Uuid,
        update: CredentialUpdate,
        now: Millis,
    ) -> Result<CredentialRecord>;
    async fn delete_credential(&self, id: Uuid) -> Result<()>;

    // ---- audit ---------------------------------------------------------------------------

    /// Appends entries (ids assigned by the store), in one transaction.
    async fn append_audit(&self, entries: Vec<AuditEntry>) -> Result<()>;
    /// Newest first.
    async fn list_audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>>;

    // ---- webhook routes ------------------------------------------------------------------

    /// Replaces the workflow's routes with `routes` (each with this workflow id). `Conflict`
    /// naming the path when another workflow holds one of them; nothing changes then.
    /// `Invalid` for a route of another workflow, an empty path, a leading `/`, or a path
    /// listed twice. An empty `routes` removes the workflow's routes.
    async fn set_webhook_routes(
        &self,
        workflow_id: WorkflowId,
        routes: Vec<WebhookRoute>,
    ) -> Result<()>;
    async fn list_webhook_routes(&self) -> Result<Vec<WebhookRoute>>;
}

/// The whole database: the engine's [`Store`] and the gateway's [`AccessStore`] on one
/// connection pool. Every type that is both is one.
pub trait Database: Store + AccessStore {}

impl<T: Store + AccessStore> Database for T {}

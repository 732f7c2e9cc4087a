//! Administration of who may do what: users (admin), API keys (each user their own; admins
//! every key) and the audit log (admin).

use super::{JsonBody, QueryParams, page_limit, parse_uuid};
use crate::auth::{Principal, password, secrets};
use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;
use weft_persistence::{
    ApiKeyRecord, AuditEntry, AuditFilter, NewApiKey, NewUser, Role, StoreError, UserRecord,
    UserUpdate,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user, delete_user))
        .routes(routes!(list_api_keys, create_api_key))
        .routes(routes!(revoke_api_key))
        .routes(routes!(list_audit))
}

/// A user as the API shows it (never the password hash or the TOTP secret).
#[derive(Serialize, ToSchema)]
pub struct User {
    pub id: Uuid,
    pub username: String,
    #[schema(value_type = crate::api::RoleName)]
    pub role: Role,
    pub disabled: bool,
    pub mfa_enabled: bool,
    pub locked_until: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<UserRecord> for User {
    fn from(u: UserRecord) -> Self {
        User {
            id: u.id,
            username: u.username,
            role: u.role,
            disabled: u.disabled,
            mfa_enabled: u.totp_secret.is_some(),
            locked_until: u.locked_until,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UserList {
    pub items: Vec<User>,
}

/// Every user (admin).
#[utoipa::path(get, path = "/users", tag = "users",
    responses(
        (status = 200, body = UserList),
        crate::error::AuthProblems,
    ),
    security(("bearer" = [])))]
async fn list_users(
    State(state): State<AppState>,
    p: Principal,
) -> Result<Json<UserList>, ApiError> {
    p.require(Role::Admin)?;
    let items = state
        .db
        .list_users()
        .await?
        .into_iter()
        .map(User::from)
        .collect();
    Ok(Json(UserList { items }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    /// Letters, digits, `.`, `_`, `-` and `@`; 1–64 characters.
    #[schema(min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9._@-]+$")]
    pub username: String,
    #[schema(min_length = 12, max_length = 1024)]
    pub password: String,
    #[schema(value_type = crate::api::RoleName)]
    pub role: Role,
}

fn check_username(name: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "a username has 1–64 letters, digits, `.`, `_`, `-` or `@`",
            Some("username"),
        ))
    }
}

/// Creates a user (admin).
#[utoipa::path(post, path = "/users", tag = "users",
    request_body = NewUserRequest,
    responses(
        (status = 201, body = User),
        crate::error::WriteProblems,
    ),
    security(("bearer" = [])))]
async fn create_user(
    State(state): State<AppState>,
    p: Principal,
    JsonBody(req): JsonBody<NewUserRequest>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    p.require(Role::Admin)?;
    check_username(&req.username)?;
    password::check_strength(&req.password)
        .map_err(|m| ApiError::bad_request(m, Some("password")))?;
    let hash = password::hash(req.password)
        .await
        .map_err(ApiError::internal)?;
    let user = state
        .db
        .create_user(NewUser {
            id: Uuid::now_v7(),
            username: req.username,
            password_hash: hash,
            role: req.role,
            now: weft_actors::now_ms(),
        })
        .await
        .map_err(|e| match e {
            StoreError::AlreadyExists { .. } => {
                ApiError::conflict("the username is taken").with_field("username")
            }
            e => e.into(),
        })?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// One user: admins see anyone, others only themselves.
#[utoipa::path(get, path = "/users/{id}", tag = "users",
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 200, body = User),
        crate::error::ReadProblems,
    ),
    security(("bearer" = [])))]
async fn get_user(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<User>, ApiError> {
    let id = parse_uuid(&id, "id")?;
    if p.user_id() != Some(id) {
        p.require(Role::Admin)?;
    }
    Ok(Json(state.db.get_user(id).await?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    #[schema(value_type = Option<crate::api::RoleName>)]
    pub role: Option<Role>,
    pub disabled: Option<bool>,
    /// Sets a new password (and ends the user's sessions).
    #[schema(min_length = 12, max_length = 1024)]
    pub password: Option<String>,
    /// `false` turns the user's MFA off (when they lost their device).
    pub mfa_enabled: Option<bool>,
    /// `true` lifts a login lockout.
    pub unlock: Option<bool>,
}

/// Changes a user's role, password, disabled flag or MFA (admin).
#[utoipa::path(patch, path = "/users/{id}", tag = "users",
    params(("id" = Uuid, Path, description = "User id")),
    request_body = UserChange,
    responses(
        (status = 200, body = User),
        crate::error::WriteProblems,
    ),
    security(("bearer" = [])))]
async fn update_user(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<UserChange>,
) -> Result<Json<User>, ApiError> {
    p.require(Role::Admin)?;
    let id = parse_uuid(&id, "id")?;
    let current = state.db.get_user(id).await?;
    let demotes = (req.role.is_some_and(|r| r != Role::Admin) || req.disabled == Some(true))
        && current.role == Role::Admin;
    if demotes {
        last_admin_guard(&state, id).await?;
    }
    if req.mfa_enabled == Some(true) {
        return Err(ApiError::bad_request(
            "MFA is turned on by the user through /auth/mfa/setup",
            Some("mfa_enabled"),
        ));
    }
    let password_hash = match req.password {
        Some(pw) => {
            password::check_strength(&pw)
                .map_err(|m| ApiError::bad_request(m, Some("password")))?;
            Some(password::hash(pw).await.map_err(ApiError::internal)?)
        }
        None => None,
    };
    let now = weft_actors::now_ms();
    let ends_sessions = password_hash.is_some() || req.disabled == Some(true) || req.role.is_some();
    let user = state
        .db
        .update_user(
            id,
            UserUpdate {
                password_hash,
                role: req.role,
                disabled: req.disabled,
                totp_secret: (req.mfa_enabled == Some(false)).then_some(None),
            },
            now,
        )
        .await?;
    if req.unlock == Some(true) {
        state.db.record_login_success(id, now).await?;
    }
    if ends_sessions {
        state.db.revoke_user_refresh_tokens(id, now).await?;
    }
    Ok(Json(state.db.get_user(user.id).await?.into()))
}

/// Refuses to remove the last active admin (nobody could administer Weft any more).
async fn last_admin_guard(state: &AppState, leaving: Uuid) -> Result<(), ApiError> {
    let others = state
        .db
        .list_users()
        .await?
        .into_iter()
        .filter(|u| u.id != leaving && u.role == Role::Admin && !u.disabled)
        .count();
    if others == 0 {
        return Err(ApiError::conflict("this is the last active admin"));
    }
    Ok(())
}

/// Deletes a user, revoking their sessions and API keys (admin).
#[utoipa::path(delete, path = "/users/{id}", tag = "users",
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 204, description = "Deleted"),
        crate::error::WriteProblems,
    ),
    security(("bearer" = [])))]
async fn delete_user(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    p.require(Role::Admin)?;
    let id = parse_uuid(&id, "id")?;
    let user = state.db.get_user(id).await?;
    if user.role == Role::Admin {
        last_admin_guard(&state, id).await?;
    }
    state.db.delete_user(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An API key as lists show it: never the key itself, nor its hash.
#[derive(Serialize, ToSchema)]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    /// The key's first characters.
    pub prefix: String,
    #[schema(value_type = crate::api::RoleName)]
    pub role: Role,
    pub created_by: Uuid,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl From<ApiKeyRecord> for ApiKey {
    fn from(k: ApiKeyRecord) -> Self {
        ApiKey {
            id: k.id,
            name: k.name,
            prefix: k.prefix,
            role: k.role,
            created_by: k.created_by,
            created_at: k.created_at,
            expires_at: k.expires_at,
            last_used_at: k.last_used_at,
            revoked_at: k.revoked_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ApiKeyList {
    pub items: Vec<ApiKey>,
}

/// The caller's API keys (admins: every key).
#[utoipa::path(get, path = "/api-keys", tag = "api-keys",
    responses(
        (status = 200, body = ApiKeyList),
        crate::error::AuthProblems,
    ),
    security(("bearer" = [])))]
async fn list_api_keys(
    State(state): State<AppState>,
    p: Principal,
) -> Result<Json<ApiKeyList>, ApiError> {
    let owner = p.user_id();
    if owner.is_none() {
        p.require(Role::Admin)?;
    }
    let admin = p.role == Role::Admin;
    let items = state
        .db
        .list_api_keys()
        .await?
        .into_iter()
        .filter(|k| admin || Some(k.created_by) == owner)
        .map(ApiKey::from)
        .collect();
    Ok(Json(ApiKeyList { items }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKeyRequest {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// At most the creator's own role.
    #[schema(value_type = crate::api::RoleName)]
    pub role: Role,
    /// Unix milliseconds; none: never expires.
    pub expires_at: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub key: ApiKey,
    /// The key itself, shown this once only.
    pub secret: String,
}

/// Creates an API key for the caller, scoped to a role no higher than theirs.
#[utoipa::path(post, path = "/api-keys", tag = "api-keys",
    request_body = NewApiKeyRequest,
    responses(
        (status = 201, body = CreatedApiKey),
        crate::error::ReadProblems,
    ),
    security(("bearer" = [])))]
async fn create_api_key(
    State(state): State<AppState>,
    p: Principal,
    JsonBody(req): JsonBody<NewApiKeyRequest>,
) -> Result<(StatusCode, Json<CreatedApiKey>), ApiError> {
    let Some(owner) = p.user_id() else {
        return Err(ApiError::forbidden("API keys belong to users"));
    };
    if matches!(p.identity, crate::auth::Identity::ApiKey { .. }) {
        return Err(ApiError::forbidden("an API key cannot create API keys"));
    }
    if req.role > p.role {
        return Err(ApiError::forbidden(format!(
            "a key cannot have more than your role ({})",
            p.role
        ))
        .with_field("role"));
    }
    let name = req.name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(ApiError::bad_request(
            "a name has 1–100 characters",
            Some("name"),
        ));
    }
    let now = weft_actors::now_ms();
    if req.expires_at.is_some_and(|t| t <= now) {
        return Err(ApiError::bad_request(
            "expires_at is in the past",
            Some("expires_at"),
        ));
    }
    let secret = secrets::new_api_key();
    let rec = state
        .db
        .create_api_key(NewApiKey {
            id: Uuid::now_v7(),
            name: name.to_string(),
            prefix: secret[..secrets::API_KEY_PREFIX.len() + 6].to_string(),
            key_hash: secrets::sha256_hex(&secret),
            role: req.role,
            created_by: owner,
            expires_at: req.expires_at,
            now,
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiKey {
            key: rec.into(),
            secret,
        }),
    ))
}

/// Revokes a key (its owner or an admin).
#[utoipa::path(delete, path = "/api-keys/{id}", tag = "api-keys",
    params(("id" = Uuid, Path, description = "API key id")),
    responses(
        (status = 204, description = "Revoked"),
        crate::error::ReadProblems,
    ),
    security(("bearer" = [])))]
async fn revoke_api_key(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_uuid(&id, "id")?;
    let key = state
        .db
        .list_api_keys()
        .await?
        .into_iter()
        .find(|k| k.id == id)
        .ok_or_else(|| ApiError::not_found(format!("API key `{id}` not found")))?;
    if Some(key.created_by) != p.user_id() {
        p.require(Role::Admin)?;
    }
    state.db.revoke_api_key(id, weft_actors::now_ms()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// e.g. `user:admin`.
    pub principal: Option<String>,
    /// Exact action, or a prefix ending in `.`… here: a method and route, e.g. `POST /api/v1/workflows`.
    pub action: Option<String>,
    /// Resource (path) prefix.
    pub resource: Option<String>,
    /// Unix ms, inclusive.
    pub since: Option<i64>,
    pub until: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<i64>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditEntryOut {
    pub id: i64,
    pub at: i64,
    pub principal: String,
    pub action: String,
    pub resource: String,
    pub status: u16,
    pub ip: Option<String>,
    pub request_id: Option<String>,
    #[schema(value_type = Object)]
    pub detail: Value,
}

#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEntryOut>,
    pub next_cursor: Option<i64>,
}

/// The audit log, newest first (admin).
#[utoipa::path(get, path = "/audit", tag = "audit",
    params(AuditQuery),
    responses(
        (status = 200, body = AuditPage),
        crate::error::ReadProblems,
    ),
    security(("bearer" = [])))]
async fn list_audit(
    State(state): State<AppState>,
    p: Principal,
    QueryParams(q): QueryParams<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    p.require(Role::Admin)?;
    let limit = page_limit(q.limit, &state)?;
    let entries = state
        .db
        .list_audit(&AuditFilter {
            principal: q.principal,
            action: q.action,
            resource: q.resource,
            since: q.since,
            until: q.until,
            before: q.cursor,
            limit,
        })
        .await?;
    let next_cursor = (entries.len() as u32 == limit)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    let items = entries
        .into_iter()
        .map(|e: AuditEntry| AuditEntryOut {
            id: e.id,
            at: e.at,
            principal: e.principal,
            action: e.action,
            resource: e.resource,
            status: e.status,
            ip: e.ip,
            request_id: e.request_id,
            detail: e.detail,
        })
        .collect();
    Ok(Json(AuditPage { items, next_cursor }))
}

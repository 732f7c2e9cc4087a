//! `/auth`: log in (password, then TOTP when enrolled), refresh (rotation with reuse
//! detection), log out, who am I, TOTP enrolment and password change.
//!
//! Login never says whether an account exists: an unknown user, a wrong password, a disabled
//! or a locked account all get the same 401 after the same password-hashing work. Only a
//! correct password on an account with TOTP gets `mfa_required`.

use super::JsonBody;
use crate::audit::AuditSlot;
use crate::auth::{Identity, Principal, password, secrets, totp};
use crate::error::{ApiError, ErrorCode};
use crate::limits::client_ip;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{Extensions, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;
use weft_persistence::{RefreshTokenRecord, RefreshUse, Role, StoreError, UserRecord, UserUpdate};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(mfa_setup))
        .routes(routes!(mfa_enable))
        .routes(routes!(mfa_disable))
        .routes(routes!(change_password))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(min_length = 1, max_length = 128)]
    pub username: String,
    #[schema(min_length = 1, max_length = 1024)]
    pub password: String,
    /// The current TOTP code, for accounts with MFA.
    #[serde(default)]
    pub totp: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    #[schema(example = "Bearer")]
    pub token_type: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    /// `user:ann`, `api_key:{id}` or `oidc:{subject}`.
    pub principal: String,
    #[schema(value_type = crate::api::RoleName)]
    pub role: Role,
    /// Set for users and for API keys (their owner).
    pub user_id: Option<Uuid>,
    pub username: Option<String>,
    pub mfa_enabled: bool,
    /// Unix seconds.
    pub expires_at: Option<i64>,
}

/// An admin without TOTP where `auth.require_admin_mfa` is on: their tokens only enrol.
fn must_enrol_mfa(state: &AppState, user: &UserRecord) -> bool {
    state.options.auth.require_admin_mfa && user.role == Role::Admin && user.totp_secret.is_none()
}

fn bad_login() -> ApiError {
    ApiError::unauthenticated("invalid username or password, or the account is locked")
}

fn now_secs(now_ms: i64) -> i64 {
    now_ms / 1000
}

async fn issue(
    state: &AppState,
    user: &UserRecord,
    family: Uuid,
    now_ms: i64,
) -> Result<TokenPair, ApiError> {
    let refresh = secrets::random_token();
    state
        .db
        .insert_refresh_token(RefreshTokenRecord {
            id: Uuid::now_v7(),
            family_id: family,
            user_id: user.id,
            token_hash: secrets::sha256_hex(&refresh),
            created_at: now_ms,
            expires_at: now_ms + state.options.auth.refresh_ttl_secs as i64 * 1000,
            used_at: None,
            revoked_at: None,
        })
        .await?;
    Ok(TokenPair {
        access_token: state.auth.local.issue_with(
            user.id,
            &user.username,
            user.role,
            now_secs(now_ms),
            must_enrol_mfa(state, user),
        ),
        refresh_token: refresh,
        expires_in: state.auth.local.ttl_secs(),
        token_type: "Bearer".into(),
    })
}

/// Logs in with a username and password (and a TOTP code when the account has MFA).
#[utoipa::path(post, path = "/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = TokenPair),
        (status = 400, description = "Malformed request", body = crate::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 401, description = "Wrong credentials, locked account, or a TOTP code is needed (`code` = `mfa_required`)", body = crate::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address", body = crate::error::ProblemDocument, content_type = "application/problem+json"),
    ))]
async fn login(
    State(state): State<AppState>,
    ext: Extensions,
    JsonBody(req): JsonBody<LoginRequest>,
) -> Result<Json<TokenPair>, ApiError> {
    state.limits.check_login(client_ip(&ext))?;
    if req.username.is_empty() || req.username.len() > 128 {
        return Err(bad_login());
    }
    let now = weft_actors::now_ms();
    let user = match state.db.get_user_by_name(&req.username).await {
        Ok(u) => Some(u),
        Err(StoreError::NotFound { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let ok = password::verify(req.password, user.as_ref().map(|u| u.password_hash.clone())).await;
    let Some(user) = user else {
        return Err(bad_login());
    };
    let locked = user.locked_until.is_some_and(|t| t > now);
    if !ok || locked || user.disabled {
        if !ok && !locked {
            state
                .db
                .record_login_failure(
                    user.id,
                    now,
                    state.options.auth.max_failed_logins,
                    state.options.auth.lockout_secs as i64 * 1000,
                )
                .await?;
        }
        return Err(bad_login());
    }
    if let Some(sealed) = &user.totp_secret {
        let secret = state
            .vault
            .open(sealed)
            .map_err(|e| ApiError::internal(format!("opening a TOTP secret: {e}")))?;
        match req.totp.as_deref() {
            None => {
                return Err(ApiError::new(
                    ErrorCode::MfaRequired,
                    "this account needs a TOTP code (`totp`)",
                )
                .with_field("totp"));
            }
            Some(code) if !totp::check(&secret, &user.username, code) => {
                state
                    .db
                    .record_login_failure(
                        user.id,
                        now,
                        state.options.auth.max_failed_logins,
                        state.options.auth.lockout_secs as i64 * 1000,
                    )
                    .await?;
                return Err(ApiError::unauthenticated("the TOTP code is wrong").with_field("totp"));
            }
            Some(_) => {}
        }
    }
    state.db.record_login_success(user.id, now).await?;
    if let Some(slot) = ext.get::<AuditSlot>() {
        slot.set_principal(format!("user:{}", user.username));
    }
    Ok(Json(issue(&state, &user, Uuid::now_v7(), now).await?))
}

/// Trades a refresh token for a new pair. Each refresh token works once; presenting a used
/// one again revokes its whole family (every token descended from the same login).
#[utoipa::path(post, path = "/auth/refresh", tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new pair", body = TokenPair),
        (status = 400, description = "Malformed request", body = crate::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 401, description = "Unknown, expired or reused refresh token", body = crate::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address", body = crate::error::ProblemDocument, content_type = "application/problem+json"),
    ))]
async fn refresh(
    State(state): State<AppState>,
    ext: Extensions,
    JsonBody(req): JsonBody<RefreshRequest>,
) -> Result<Json<TokenPair>, ApiError> {
    state.limits.check_login(client_ip(&ext))?;
    let now = weft_actors::now_ms();
    let invalid = || ApiError::unauthenticated("the refresh token is not valid");
    let rec = match state
        .db
        .use_refresh_token(&secrets::sha256_hex(&req.refresh_token), now)
        .await?
    {
        RefreshUse::Fresh(r) => r,
        RefreshUse::Reused(r) => {
            tracing::warn!(user_id = %r.user_id, family = %r.family_id, "refresh token reused; revoking its family");
            state.db.revoke_refresh_family(r.family_id, now).await?;
            return Err(invalid());
        }
        RefreshUse::Expired(_) | RefreshUse::Unknown => return Err(invalid()),
    };
    let user = match state.db.get_user(rec.user_id).await {
        Ok(u) if !u.disabled => u,
        Ok(_) | Err(StoreError::NotFound { .. }) => return Err(invalid()),
        Err(e) => return Err(e.into()),
    };
    if let Some(slot) = ext.get::<AuditSlot>() {
        slot.set_principal(format!("user:{}", user.username));
    }
    Ok(Json(issue(&state, &user, rec.family_id, now).await?))
}

/// Revokes the refresh token's family (this session). Access tokens stay valid until they
/// expire (minutes).
#[utoipa::path(post, path = "/auth/logout", tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "Logged out"),
        crate::error::ReadProblems,
    ),
    security(("bearer" = [])))]
async fn logout(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(req): JsonBody<RefreshRequest>,
) -> Result<StatusCode, ApiError> {
    let now = weft_actors::now_ms();
    match state
        .db
        .use_refresh_token(&secrets::sha256_hex(&req.refresh_token), now)
        .await?
    {
        RefreshUse::Fresh(r) | RefreshUse::Reused(r) | RefreshUse::Expired(r)
            if Some(r.user_id) == principal.user_id() =>
        {
            state.db.revoke_refresh_family(r.family_id, now).await?;
        }
        // Someone else's token, or none: nothing to do, and nothing to reveal.
        _ => {}
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Who the credential belongs to.
#[utoipa::path(get, path = "/auth/me", tag = "auth",
    responses(
        (status = 200, description = "The principal", body = Me),
        crate::error::AuthProblems,
    ),
    security(("bearer" = [])))]
async fn me(State(state): State<AppState>, principal: Principal) -> Result<Json<Me>, ApiError> {
    let user = match principal.user_id() {
        Some(id) => match state.db.get_user(id).await {
            Ok(u) => Some(u),
            Err(StoreError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    Ok(Json(Me {
        principal: principal.label(),
        role: principal.role,
        user_id: principal.user_id(),
        username: user.as_ref().map(|u| u.username.clone()),
        mfa_enabled: user.as_ref().is_some_and(|u| u.totp_secret.is_some()),
        expires_at: principal.expires_at,
    }))
}

/// The caller's own account: only a logged-in user has one to change (not an API key or an
/// external identity).
async fn own_account(state: &AppState, principal: &Principal) -> Result<UserRecord, ApiError> {
    match &principal.identity {
        Identity::User { id, .. } => Ok(state.db.get_user(*id).await?),
        _ => Err(ApiError::forbidden(
            "only a logged-in user can change their own account (not an API key or an external identity)",
        )),
    }
}

#[derive(Serialize, ToSchema)]
pub struct MfaSetup {
    /// The secret in base32, for typing into an authenticator app.
    pub secret: String,
    /// `otpauth://` URL (QR code content).
    pub otpauth_url: String,
    /// Hand back to `/auth/mfa/enable` with a code; valid for 10 minutes.
    pub setup_token: String,
}

/// Starts TOTP enrolment: a new secret, not active until confirmed with a code.
#[utoipa::path(post, path = "/auth/mfa/setup", tag = "auth",
    responses(
        (status = 200, description = "A secret to confirm", body = MfaSetup),
        crate::error::AuthProblems,
    ),
    security(("bearer" = [])))]
async fn mfa_setup(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<MfaSetup>, ApiError> {
    let user = own_account(&state, &principal).await?;
    let user_id = user.id;
    let secret = totp::new_secret();
    let (b32, url) = totp::enrolment(&secret, &user.username).map_err(ApiError::internal)?;
    // The pending secret travels sealed (with its owner and expiry, so the token cannot be
    // moved to another account or kept alive), and nothing is stored before it is confirmed.
    let expires = weft_actors::now_ms() + 600_000;
    let payload = format!("{expires}:{user_id}:{}", hex::encode(&secret));
    let token = hex::encode(state.vault.seal(payload.as_bytes()));
    Ok(Json(MfaSetup {
        secret: b32,
        otpauth_url: url,
        setup_token: token,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaEnable {
    pub setup_token: String,
    /// The code the authenticator shows now.
    pub code: String,
}

/// Confirms enrolment with a current code; from then on login needs a code.
#[utoipa::path(post, path = "/auth/mfa/enable", tag = "auth",
    request_body = MfaEnable,
    responses(
        (status = 204, description = "MFA is on"),
        crate::error::ReadProblems,
    ),
    security(("bearer" = [])))]
async fn mfa_enable(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(req): JsonBody<MfaEnable>,
) -> Result<StatusCode, ApiError> {
    let user = own_account(&state, &principal).await?;
    let user_id = user.id;
    let bad = || {
        ApiError::bad_request(
            "the setup token is not valid or has expired",
            Some("setup_token"),
        )
    };
    let sealed = hex::decode(&req.setup_token).map_err(|_| bad())?;
    let payload = state.vault.open(&sealed).map_err(|_| bad())?;
    let payload = String::from_utf8(payload).map_err(|_| bad())?;
    let mut parts = payload.splitn(3, ':');
    let (Some(expires), Some(owner), Some(secret_hex)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let fresh = expires
        .parse::<i64>()
        .is_ok_and(|t| t >= weft_actors::now_ms());
    if !fresh || owner != user_id.to_string() {
        return Err(bad());
    }
    let secret = hex::decode(secret_hex).map_err(|_| bad())?;
    if !totp::check(&secret, &user.username, &req.code) {
        return Err(ApiError::bad_request(
            "the code does not match",
            Some("code"),
        ));
    }
    state
        .db
        .update_user(
            user_id,
            UserUpdate {
                totp_secret: Some(Some(state.vault.seal(&secret))),
                ..UserUpdate::default()
            },
            weft_actors::now_ms(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordConfirmation {
    pub password: String,
}

/// Turns MFA off (needs the password again).
#[utoipa::path(post, path = "/auth/mfa/disable", tag = "auth",
    request_body = PasswordConfirmation,
    responses(
        (status = 204, description = "MFA is off"),
        crate::error::ReadProblems,
    ),
    security(("bearer" = [])))]
async fn mfa_disable(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(req): JsonBody<PasswordConfirmation>,
) -> Result<StatusCode, ApiError> {
    let user = own_account(&state, &principal).await?;
    let user_id = user.id;
    if !password::verify(req.password, Some(user.password_hash)).await {
        return Err(ApiError::unauthenticated("the password is wrong").with_field("password"));
    }
    state
        .db
        .update_user(
            user_id,
            UserUpdate {
                totp_secret: Some(None),
                ..UserUpdate::default()
            },
            weft_actors::now_ms(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    #[schema(min_length = 12, max_length = 1024)]
    pub new_password: String,
}

/// Changes the caller's password and ends their other sessions.
#[utoipa::path(post, path = "/auth/password", tag = "auth",
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed"),
        crate::error::ReadProblems,
    ),
    security(("bearer" = [])))]
async fn change_password(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(req): JsonBody<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    let user = own_account(&state, &principal).await?;
    let user_id = user.id;
    password::check_strength(&req.new_password)
        .map_err(|m| ApiError::bad_request(m, Some("new_password")))?;
    if !password::verify(req.current_password, Some(user.password_hash)).await {
        return Err(ApiError::unauthenticated("the current password is wrong")
            .with_field("current_password"));
    }
    let hash = password::hash(req.new_password)
        .await
        .map_err(ApiError::internal)?;
    let now = weft_actors::now_ms();
    state
        .db
        .update_user(
            user_id,
            UserUpdate {
                password_hash: Some(hash),
                ..UserUpdate::default()
            },
            now,
        )
        .await?;
    state.db.revoke_user_refresh_tokens(user_id, now).await?;
    Ok(StatusCode::NO_CONTENT)
}

//! Authentication and authorisation.
//!
//! Every request but health, metrics, login/refresh, the OpenAPI document and webhooks names
//! a [`Principal`]: a user (a JWT this gateway issued), an API key (`weft_…`, looked up by its
//! hash) or an external identity (an OIDC provider's token). The principal carries a [`Role`];
//! handlers state the role they need with [`Principal::require`], so the check is visible next
//! to the work it guards. Roles are ordered: viewer < operator < editor < admin.

pub mod jwt;
pub mod password;
pub mod secrets;
pub mod totp;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use jsonwebtoken::Algorithm;
use jwt::{LocalTokens, OidcVerifier, TokenError};
use std::collections::HashMap;
use std::sync::Mutex;
use uuid::Uuid;
use weft_persistence::{Database, Role, StoreError};

pub use weft_persistence::Role as PrincipalRole;

/// Who is asking.
#[derive(Debug, Clone, PartialEq)]
pub enum Identity {
    User { id: Uuid, name: String },
    ApiKey { id: Uuid, owner: Uuid },
    External { subject: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub identity: Identity,
    pub role: Role,
    /// Unix seconds when the credential stops being valid (WebSocket streams close then).
    pub expires_at: Option<i64>,
    /// An admin who must enrol in TOTP first: only the enrolment routes accept it.
    pub mfa_enrolment_only: bool,
}

impl Principal {
    /// `Forbidden` unless the principal's role is at least `role`.
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.role >= role {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "this needs the {role} role; you have {}",
                self.role
            )))
        }
    }

    /// For audit entries and rate-limit keys: `user:ann`, `api_key:{id}`, `oidc:{sub}`.
    pub fn label(&self) -> String {
        match &self.identity {
            Identity::User { name, .. } => format!("user:{name}"),
            Identity::ApiKey { id, .. } => format!("api_key:{id}"),
            Identity::External { subject } => format!("oidc:{subject}"),
        }
    }

    /// The user this principal acts for (an API key's owner), when there is one.
    pub fn user_id(&self) -> Option<Uuid> {
        match &self.identity {
            Identity::User { id, .. } => Some(*id),
            Identity::ApiKey { owner, .. } => Some(*owner),
            Identity::External { .. } => None,
        }
    }
}

/// Checks credentials and issues tokens.
pub struct AuthService {
    pub local: LocalTokens,
    pub oidc: Option<OidcVerifier>,
    /// API keys' last touch, so `last_used_at` is written at most once a minute per key.
    key_touches: Mutex<HashMap<Uuid, i64>>,
}

const TOUCH_EVERY_MS: i64 = 60_000;

impl AuthService {
    pub fn new(local: LocalTokens, oidc: Option<OidcVerifier>) -> Self {
        AuthService {
            local,
            oidc,
            key_touches: Mutex::new(HashMap::new()),
        }
    }

    /// Turns a bearer credential into a principal, or says why not (never which part of a
    /// stored secret was wrong).
    pub async fn authenticate(
        &self,
        db: &dyn Database,
        credential: &str,
        now_ms: i64,
    ) -> Result<Principal, ApiError> {
        if credential.starts_with(secrets::API_KEY_PREFIX) {
            return self.api_key(db, credential, now_ms).await;
        }
        let header = jsonwebtoken::decode_header(credential)
            .map_err(|_| ApiError::unauthenticated("the bearer token is malformed"))?;
        let rejected = |e: TokenError| match e {
            TokenError::Jwks(m) => ApiError::unavailable(format!("identity provider keys: {m}")),
            e => ApiError::unauthenticated(e.to_string()),
        };
        match header.alg {
            Algorithm::HS256 => {
                let claims = self.local.verify(credential).map_err(rejected)?;
                let id = Uuid::parse_str(&claims.sub).map_err(|_| {
                    ApiError::unauthenticated("the token's subject is not a user id")
                })?;
                Ok(Principal {
                    identity: Identity::User {
                        id,
                        name: claims.name,
                    },
                    role: claims.role,
                    expires_at: Some(claims.exp),
                    mfa_enrolment_only: claims.mfa_enrolment,
                })
            }
            alg if OidcVerifier::accepts(alg) => {
                let Some(oidc) = &self.oidc else {
                    return Err(ApiError::unauthenticated(
                        "tokens signed with this algorithm are not accepted",
                    ));
                };
                let ext = oidc
                    .verify(credential, alg, header.kid.as_deref())
                    .await
                    .map_err(rejected)?;
                Ok(Principal {
                    identity: Identity::External {
                        subject: ext.subject,
                    },
                    role: ext.role,
                    expires_at: Some(ext.exp),
                    mfa_enrolment_only: false,
                })
            }
            _ => Err(ApiError::unauthenticated(
                "tokens signed with this algorithm are not accepted",
            )),
        }
    }

    async fn api_key(
        &self,
        db: &dyn Database,
        key: &str,
        now_ms: i64,
    ) -> Result<Principal, ApiError> {
        let invalid = || ApiError::unauthenticated("the API key is not valid");
        let rec = match db.get_api_key_by_hash(&secrets::sha256_hex(key)).await {
            Ok(r) => r,
            Err(StoreError::NotFound { .. }) => return Err(invalid()),
            Err(e) => return Err(e.into()),
        };
        if rec.revoked_at.is_some() || rec.expires_at.is_some_and(|t| t <= now_ms) {
            return Err(invalid());
        }
        let touch = {
            let mut touches = self.key_touches.lock().unwrap_or_else(|p| p.into_inner());
            let last = touches.get(&rec.id).copied().unwrap_or(i64::MIN);
            if now_ms.saturating_sub(last) >= TOUCH_EVERY_MS {
                touches.insert(rec.id, now_ms);
                true
            } else {
                false
            }
        };
        if touch && let Err(e) = db.touch_api_key(rec.id, now_ms).await {
            tracing::warn!(error = %e, key_id = %rec.id, "could not record api key use");
        }
        Ok(Principal {
            identity: Identity::ApiKey {
                id: rec.id,
                owner: rec.created_by,
            },
            role: rec.role,
            expires_at: rec.expires_at.map(|ms| ms / 1000),
            mfa_enrolment_only: false,
        })
    }
}

/// What a token of an admin who still has to enrol in TOTP may call.
const MFA_ENROLMENT_ROUTES: [&str; 4] = [
    "/api/v1/auth/me",
    "/api/v1/auth/mfa/setup",
    "/api/v1/auth/mfa/enable",
    "/api/v1/auth/logout",
];

/// The credential a request carries: `Authorization: Bearer …`, `X-API-Key: …`, or — for
/// WebSocket handshakes only, since browsers cannot set headers on them — an
/// `access_token` query parameter.
fn credential(parts: &Parts) -> Option<String> {
    if let Some(v) = parts.headers.get(header::AUTHORIZATION) {
        let v = v.to_str().ok()?;
        let (scheme, token) = v.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_string());
    }
    if let Some(v) = parts.headers.get("x-api-key") {
        return v.to_str().ok().map(|s| s.trim().to_string());
    }
    if is_websocket_upgrade(&parts.headers) {
        let query = parts.uri.query()?;
        return url_param(query, "access_token");
    }
    None
}

pub fn is_websocket_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

fn url_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(p) = parts.extensions.get::<Principal>() {
            return Ok(p.clone());
        }
        let Some(cred) = credential(parts) else {
            return Err(ApiError::new(
                ErrorCode::Unauthenticated,
                "this needs a bearer token or an API key",
            ));
        };
        let principal = state
            .auth
            .authenticate(state.db.as_ref(), &cred, weft_actors::now_ms())
            .await?;
        // Inside the nested `/api/v1` router the URI has lost its prefix; the original has it.
        let path = parts
            .extensions
            .get::<axum::extract::OriginalUri>()
            .map_or_else(|| parts.uri.path().to_string(), |u| u.0.path().to_string());
        if principal.mfa_enrolment_only && !MFA_ENROLMENT_ROUTES.contains(&path.as_str()) {
            return Err(ApiError::forbidden(
                "admins must turn on TOTP first: POST /api/v1/auth/mfa/setup, then /auth/mfa/enable, then log in again",
            ));
        }
        if let Some(slot) = parts.extensions.get::<crate::audit::AuditSlot>() {
            slot.set_principal(principal.label());
        }
        state.limits.check_principal(&principal.label())?;
        parts.extensions.insert(principal.clone());
        Ok(principal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered() {
        let p = Principal {
            identity: Identity::External {
                subject: "x".into(),
            },
            role: Role::Operator,
            expires_at: None,
            mfa_enrolment_only: false,
        };
        assert!(p.require(Role::Viewer).is_ok());
        assert!(p.require(Role::Operator).is_ok());
        let e = p.require(Role::Editor).unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden);
    }

    #[test]
    fn query_token_is_read_only_for_websockets() {
        let req = axum::http::Request::get("/api/v1/ws?access_token=abc")
            .body(())
            .unwrap();
        let (parts, _) = req.into_parts();
        assert_eq!(credential(&parts), None);
        let req = axum::http::Request::get("/api/v1/ws?x=1&access_token=abc")
            .header("upgrade", "websocket")
            .body(())
            .unwrap();
        let (parts, _) = req.into_parts();
        assert_eq!(credential(&parts).as_deref(), Some("abc"));
    }
}

//! Access tokens: HS256 JWTs this gateway signs, and (optionally) RS256/ES256 tokens from an
//! external identity provider, checked against its JWKS.
//!
//! Which check applies is decided by the token's `alg` header against an allow-list: HS256
//! goes to the local key only, RS256/ES256 to the provider's keys only, anything else
//! (`none`, HS384, a typo) is refused before any signature work. So a token signed with HMAC
//! using the provider's public key as the secret (the HS/RS confusion attack) meets the local
//! secret and fails. `exp`, `nbf`, `iss` and `aud` are always validated.

use crate::config::{AuthOptions, OidcOptions};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;
use uuid::Uuid;
use weft_persistence::Role;

/// Claims of a token this gateway issues.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    /// The user id.
    pub sub: String,
    pub name: String,
    pub role: Role,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
    /// Only good for enrolling in TOTP: an admin without MFA where MFA is required.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mfa_enrolment: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("the token is malformed")]
    Malformed,
    #[error("the token's algorithm is not accepted")]
    Algorithm,
    #[error("the token is not valid: {0}")]
    Invalid(String),
    #[error("the token has expired")]
    Expired,
    #[error("the identity provider's keys could not be fetched: {0}")]
    Jwks(String),
}

impl From<jsonwebtoken::errors::Error> for TokenError {
    fn from(e: jsonwebtoken::errors::Error) -> Self {
        use jsonwebtoken::errors::ErrorKind as K;
        match e.kind() {
            K::ExpiredSignature => TokenError::Expired,
            K::InvalidToken | K::Base64(_) | K::Json(_) | K::Utf8(_) => TokenError::Malformed,
            K::InvalidAlgorithm | K::InvalidAlgorithmName => TokenError::Algorithm,
            K::ImmatureSignature => TokenError::Invalid("not valid yet (nbf)".into()),
            K::InvalidAudience => TokenError::Invalid("wrong audience".into()),
            K::InvalidIssuer => TokenError::Invalid("wrong issuer".into()),
            K::InvalidSignature => TokenError::Invalid("bad signature".into()),
            K::MissingRequiredClaim(c) => TokenError::Invalid(format!("missing claim `{c}`")),
            _ => TokenError::Invalid("rejected".into()),
        }
    }
}

/// The local HS256 key pair and its validation rules.
pub struct LocalTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl_secs: u64,
}

impl LocalTokens {
    pub fn new(secret: &[u8], options: &AuthOptions) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_issuer(&[&options.issuer]);
        validation.set_audience(&[&options.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = options.leeway_secs;
        LocalTokens {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: options.issuer.clone(),
            audience: options.audience.clone(),
            ttl_secs: options.access_ttl_secs,
        }
    }

    pub fn ttl_secs(&self) -> u64 {
        self.ttl_secs
    }

    pub fn issue(&self, user_id: Uuid, name: &str, role: Role, now_secs: i64) -> String {
        self.issue_with(user_id, name, role, now_secs, false)
    }

    /// With `mfa_enrolment`, the token works only for the MFA enrolment routes.
    pub fn issue_with(
        &self,
        user_id: Uuid,
        name: &str,
        role: Role,
        now_secs: i64,
        mfa_enrolment: bool,
    ) -> String {
        let claims = AccessClaims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: user_id.to_string(),
            name: name.to_string(),
            role,
            iat: now_secs,
            nbf: now_secs,
            exp: now_secs + self.ttl_secs as i64,
            jti: Uuid::new_v4().to_string(),
            mfa_enrolment,
        };
        // HS256 over serializable claims cannot fail.
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .unwrap_or_default()
    }

    pub fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        Ok(jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation)?.claims)
    }
}

/// Claims we read from a provider's token.
#[derive(Debug, Clone)]
pub struct ExternalIdentity {
    pub subject: String,
    pub role: Role,
    pub exp: i64,
}

/// Tokens from an external identity provider, checked against its JWKS. Keys are cached for
/// `jwks_ttl_secs`; an unknown `kid` refetches at most every 30 s (so a flood of tokens with
/// random kids cannot make us hammer the provider).
pub struct OidcVerifier {
    options: OidcOptions,
    client: reqwest::Client,
    cache: Mutex<JwksCache>,
    leeway: u64,
}

#[derive(Default)]
struct JwksCache {
    keys: HashMap<String, (Algorithm, DecodingKey)>,
    fetched: Option<Instant>,
}

const REFETCH_MIN: Duration = Duration::from_secs(30);

impl OidcVerifier {
    pub fn new(options: OidcOptions, leeway: u64) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .connect_timeout(Duration::from_secs(3))
            .build()
            .map_err(|e| format!("http client: {e}"))?;
        Role::parse(&options.default_role).ok_or_else(|| {
            format!(
                "oidc.default_role `{}` is not a role (viewer, operator, editor, admin)",
                options.default_role
            )
        })?;
        Ok(OidcVerifier {
            options,
            client,
            cache: Mutex::new(JwksCache::default()),
            leeway,
        })
    }

    pub fn accepts(alg: Algorithm) -> bool {
        matches!(alg, Algorithm::RS256 | Algorithm::ES256)
    }

    async fn key(&self, kid: &str, alg: Algorithm) -> Result<DecodingKey, TokenError> {
        let mut cache = self.cache.lock().await;
        let stale = cache
            .fetched
            .is_none_or(|t| t.elapsed() > Duration::from_secs(self.options.jwks_ttl_secs));
        let missing = !cache.keys.contains_key(kid);
        let may_refetch = cache.fetched.is_none_or(|t| t.elapsed() > REFETCH_MIN);
        if stale || (missing && may_refetch) {
            let set: JwkSet = self
                .client
                .get(&self.options.jwks_url)
                .send()
                .await
                .and_then(|r| r.error_for_status())
                .map_err(|e| TokenError::Jwks(e.without_url().to_string()))?
                .json()
                .await
                .map_err(|e| TokenError::Jwks(e.without_url().to_string()))?;
            cache.keys.clear();
            for jwk in &set.keys {
                let Some(kid) = jwk.common.key_id.clone() else {
                    continue;
                };
                let Ok(key) = DecodingKey::from_jwk(jwk) else {
                    continue;
                };
                let key_alg = match &jwk.algorithm {
                    jsonwebtoken::jwk::AlgorithmParameters::RSA(_) => Algorithm::RS256,
                    jsonwebtoken::jwk::AlgorithmParameters::EllipticCurve(_) => Algorithm::ES256,
                    _ => continue,
                };
                cache.keys.insert(kid, (key_alg, key));
            }
            cache.fetched = Some(Instant::now());
        }
        match cache.keys.get(kid) {
            Some((key_alg, key)) if *key_alg == alg => Ok(key.clone()),
            Some(_) => Err(TokenError::Algorithm),
            None => Err(TokenError::Invalid(
                "signed by a key the identity provider does not publish".into(),
            )),
        }
    }

    pub async fn verify(
        &self,
        token: &str,
        alg: Algorithm,
        kid: Option<&str>,
    ) -> Result<ExternalIdentity, TokenError> {
        if !Self::accepts(alg) {
            return Err(TokenError::Algorithm);
        }
        let kid = kid.ok_or_else(|| TokenError::Invalid("no `kid` in the header".into()))?;
        let key = self.key(kid, alg).await?;
        let mut validation = Validation::new(alg);
        validation.algorithms = vec![alg];
        validation.set_issuer(&[&self.options.issuer]);
        validation.set_audience(&[&self.options.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = self.leeway;
        let claims =
            jsonwebtoken::decode::<serde_json::Map<String, Value>>(token, &key, &validation)?
                .claims;
        let subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .ok_or_else(|| TokenError::Invalid("`sub` is not a string".into()))?
            .to_string();
        let role = match claims.get(&self.options.role_claim) {
            None => Role::parse(&self.options.default_role).unwrap_or(Role::Viewer),
            Some(v) => v.as_str().and_then(Role::parse).ok_or_else(|| {
                TokenError::Invalid(format!("`{}` is not a role", self.options.role_claim))
            })?,
        };
        let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(0);
        Ok(ExternalIdentity { subject, role, exp })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn local() -> LocalTokens {
        LocalTokens::new(b"0123456789abcdef0123456789abcdef", &AuthOptions::default())
    }

    fn now() -> i64 {
        jsonwebtoken::get_current_timestamp() as i64
    }

    #[test]
    fn issued_tokens_verify() {
        let t = local();
        let id = Uuid::new_v4();
        let claims = t.verify(&t.issue(id, "ann", Role::Editor, now())).unwrap();
        assert_eq!(claims.sub, id.to_string());
        assert_eq!(claims.role, Role::Editor);
    }

    #[test]
    fn alg_none_and_tampering_are_refused() {
        let t = local();
        let token = t.issue(Uuid::new_v4(), "ann", Role::Viewer, now());
        let parts: Vec<&str> = token.split('.').collect();
        let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        assert!(t.verify(&format!("{none_header}.{}.", parts[1])).is_err());
        // Promote to admin without re-signing.
        let claims = String::from_utf8(URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        let forged = URL_SAFE_NO_PAD.encode(claims.replace("viewer", "admin"));
        assert!(matches!(
            t.verify(&format!("{}.{forged}.{}", parts[0], parts[2])),
            Err(TokenError::Invalid(_))
        ));
    }

    #[test]
    fn expired_wrong_audience_and_issuer_are_refused() {
        let t = local();
        let old = t.issue(Uuid::new_v4(), "ann", Role::Viewer, now() - 10_000);
        assert!(matches!(t.verify(&old), Err(TokenError::Expired)));
        let other = LocalTokens::new(
            b"0123456789abcdef0123456789abcdef",
            &AuthOptions {
                audience: "someone-else".into(),
                ..AuthOptions::default()
            },
        );
        let token = other.issue(Uuid::new_v4(), "ann", Role::Viewer, now());
        assert!(t.verify(&token).is_err());
        let other = LocalTokens::new(
            b"0123456789abcdef0123456789abcdef",
            &AuthOptions {
                issuer: "evil".into(),
                ..AuthOptions::default()
            },
        );
        let token = other.issue(Uuid::new_v4(), "ann", Role::Viewer, now());
        assert!(t.verify(&token).is_err());
    }
}

//! The gateway's options: one documented struct per concern, part of `weft serve`'s layered
//! settings (`[gateway]` in the TOML file, `WEFT_GATEWAY__…` in the environment). Unknown keys
//! are errors, so a typo never silently falls back to a default.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GatewayOptions {
    /// Largest request body, in bytes (workflow definitions have their own, smaller limit).
    pub max_body_bytes: usize,
    /// Longest time a request may take before it is answered 503 (webhooks waiting for a
    /// response node use their own timeout, up to `max_webhook_wait_ms`).
    pub request_timeout_ms: u64,
    /// Upper bound for a webhook's `timeout_ms`.
    pub max_webhook_wait_ms: u64,
    /// Largest `limit` a list accepts.
    pub max_page_size: u32,
    pub auth: AuthOptions,
    pub rate_limit: RateLimitOptions,
    pub cors: CorsOptions,
    /// The built web app (`web/dist`); served with index.html as the fallback for unknown
    /// paths when the directory exists.
    pub web_dist: Option<PathBuf>,
    /// WebSocket streams: events buffered per client before a slow client is dropped.
    pub ws_buffer: usize,
    /// When set, `GET /metrics` needs `Authorization: Bearer <metrics_token>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics_token: Option<String>,
}

impl Default for GatewayOptions {
    fn default() -> Self {
        Self {
            max_body_bytes: 4 * 1024 * 1024,
            request_timeout_ms: 30_000,
            max_webhook_wait_ms: 300_000,
            max_page_size: 1000,
            auth: AuthOptions::default(),
            rate_limit: RateLimitOptions::default(),
            cors: CorsOptions::default(),
            web_dist: None,
            ws_buffer: 1024,
            metrics_token: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthOptions {
    /// HS256 signing secret for access tokens (at least 32 bytes). When absent, a random one
    /// is generated once into `secret_file` (mode 0600) and reused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwt_secret: Option<String>,
    /// Where the generated secret lives; relative paths are under the data directory.
    pub jwt_secret_file: PathBuf,
    pub issuer: String,
    pub audience: String,
    /// Access token lifetime.
    pub access_ttl_secs: u64,
    /// Refresh token lifetime (each refresh issues a new one).
    pub refresh_ttl_secs: u64,
    /// Clock skew tolerated on `exp` and `nbf`.
    pub leeway_secs: u64,
    /// Failed logins before an account is locked, and for how long.
    pub max_failed_logins: u32,
    pub lockout_secs: u64,
    /// Admins must use TOTP: until they enrol, their tokens only reach the enrolment routes.
    pub require_admin_mfa: bool,
    /// Password of the `admin` user created on first start (otherwise a generated one is
    /// printed once). Also `WEFT_ADMIN_PASSWORD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_password: Option<String>,
    /// Key sealing node credentials (32 bytes, base64 or hex). Also `WEFT_MASTER_KEY`. When
    /// absent, a generated 0600 key file in the data directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub master_key: Option<String>,
    pub master_key_file: PathBuf,
    /// Tokens from an external identity provider (RS256/ES256, checked against its JWKS).
    pub oidc: Option<OidcOptions>,
}

impl Default for AuthOptions {
    fn default() -> Self {
        Self {
            jwt_secret: None,
            jwt_secret_file: PathBuf::from("jwt-secret"),
            issuer: "weft".into(),
            audience: "weft-api".into(),
            access_ttl_secs: 900,
            refresh_ttl_secs: 14 * 24 * 3600,
            leeway_secs: 30,
            max_failed_logins: 5,
            lockout_secs: 900,
            require_admin_mfa: false,
            admin_password: None,
            master_key: None,
            master_key_file: PathBuf::from("master.key"),
            oidc: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcOptions {
    /// Expected `iss`.
    pub issuer: String,
    /// Expected `aud`.
    pub audience: String,
    /// Where the provider publishes its signing keys.
    pub jwks_url: String,
    /// Claim holding the Weft role (`viewer` … `admin`); missing → `default_role`.
    #[serde(default = "default_role_claim")]
    pub role_claim: String,
    #[serde(default = "default_oidc_role")]
    pub default_role: String,
    /// How long fetched keys are trusted before they are fetched again.
    #[serde(default = "default_jwks_ttl")]
    pub jwks_ttl_secs: u64,
}

fn default_role_claim() -> String {
    "weft_role".into()
}

fn default_oidc_role() -> String {
    "viewer".into()
}

fn default_jwks_ttl() -> u64 {
    300
}

/// Token buckets: `per_second` sustained, `burst` at once.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quota {
    pub per_second: u32,
    pub burst: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitOptions {
    pub enabled: bool,
    /// Every request, by client IP (before authentication).
    pub per_ip: Quota,
    /// Authenticated requests, by user or API key.
    pub per_principal: Quota,
    /// Login and refresh attempts, by client IP: slows password guessing.
    pub login_per_ip: Quota,
}

impl Default for RateLimitOptions {
    fn default() -> Self {
        Self {
            enabled: true,
            per_ip: Quota {
                per_second: 2_000,
                burst: 4_000,
            },
            per_principal: Quota {
                per_second: 500,
                burst: 1_000,
            },
            login_per_ip: Quota {
                per_second: 1,
                burst: 10,
            },
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CorsOptions {
    /// Origins (e.g. `https://weft.example.com`) allowed to call the API from a browser and
    /// to open WebSockets, besides the gateway's own origin. Empty: same origin only.
    pub allowed_origins: Vec<String>,
}

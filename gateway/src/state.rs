//! What every handler shares, and how it is put together at start: the engine, the database,
//! the vault, token keys, rate limiters, the audit writer and the webhook table. On the first
//! start against an empty database it creates the `admin` user.

use crate::api::hooks::{HookEntry, entries_of};
use crate::audit::AuditSink;
use crate::auth::jwt::{LocalTokens, OidcVerifier};
use crate::auth::{AuthService, password, secrets};
use crate::config::GatewayOptions;
use crate::limits::RateLimits;
use std::collections::HashMap;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use weft_actors::Engine;
use weft_persistence::{Database, NewUser, Role, Vault};

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub engine: Engine,
    pub db: Arc<dyn Database>,
    pub vault: Arc<Vault>,
    pub auth: AuthService,
    pub options: GatewayOptions,
    pub limits: RateLimits,
    pub audit: AuditSink,
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Webhook path → route and trigger settings, loaded from the store on start and
    /// updated on every workflow save.
    pub hooks: RwLock<HashMap<String, Arc<HookEntry>>>,
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// What the gateway needs from the process that runs it.
pub struct GatewayParts {
    pub engine: Engine,
    pub db: Arc<dyn Database>,
    pub options: GatewayOptions,
    /// Where generated secrets (JWT secret, master key) are kept.
    pub data_dir: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("the JWT secret: {0}")]
    JwtSecret(String),
    #[error("the master key: {0}")]
    MasterKey(String),
    #[error("OIDC: {0}")]
    Oidc(String),
    #[error("creating the admin user: {0}")]
    Admin(String),
    #[error(transparent)]
    Store(#[from] weft_persistence::StoreError),
}

fn under(dir: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        dir.join(p)
    }
}

impl AppState {
    pub async fn build(parts: GatewayParts) -> Result<AppState, GatewayError> {
        let GatewayParts {
            engine,
            db,
            options,
            data_dir,
        } = parts;
        let auth_opts = &options.auth;
        let secret = match &auth_opts.jwt_secret {
            Some(s) if s.len() >= 32 => s.clone(),
            Some(_) => {
                return Err(GatewayError::JwtSecret(
                    "it must be at least 32 characters long".into(),
                ));
            }
            None => secrets::load_or_create_secret(&under(&data_dir, &auth_opts.jwt_secret_file))
                .map_err(|e| GatewayError::JwtSecret(e.to_string()))?,
        };
        let vault = Vault::load(
            auth_opts.master_key.as_deref(),
            &under(&data_dir, &auth_opts.master_key_file),
        )
        .map_err(|e| GatewayError::MasterKey(e.to_string()))?;
        let oidc = match &auth_opts.oidc {
            Some(o) => Some(
                OidcVerifier::new(o.clone(), auth_opts.leeway_secs).map_err(GatewayError::Oidc)?,
            ),
            None => None,
        };
        let auth = AuthService::new(LocalTokens::new(secret.as_bytes(), auth_opts), oidc);
        ensure_admin(db.as_ref(), auth_opts.admin_password.clone()).await?;
        let hooks = load_hooks(db.as_ref(), &options).await?;
        let state = AppState(Arc::new(Inner {
            limits: RateLimits::new(&options.rate_limit),
            audit: AuditSink::start(db.clone()),
            metrics: crate::metrics::Metrics::new(&engine),
            engine,
            db,
            vault: Arc::new(vault),
            auth,
            options,
            hooks: RwLock::new(hooks),
        }));
        // Idle rate-limit buckets are forgotten once a minute.
        let weak = Arc::downgrade(&state.0);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                match weak.upgrade() {
                    Some(inner) => inner.limits.sweep(),
                    None => break,
                }
            }
        });
        Ok(state)
    }
}

/// On an empty user table: creates `admin` with the configured password, or a generated one
/// printed once on stderr (never logged).
async fn ensure_admin(db: &dyn Database, configured: Option<String>) -> Result<(), GatewayError> {
    if db.count_users().await? > 0 {
        return Ok(());
    }
    let (pw, generated) = match configured {
        Some(p) => {
            password::check_strength(&p)
                .map_err(|m| GatewayError::Admin(format!("WEFT_ADMIN_PASSWORD: {m}")))?;
            (p, false)
        }
        None => (secrets::random_token()[..24].to_string(), true),
    };
    let hash = password::hash(pw.clone())
        .await
        .map_err(GatewayError::Admin)?;
    match db
        .create_user(NewUser {
            id: uuid::Uuid::now_v7(),
            username: "admin".into(),
            password_hash: hash,
            role: Role::Admin,
            now: weft_actors::now_ms(),
        })
        .await
    {
        Ok(_) => {
            if generated {
                eprintln!(
                    "Created the user `admin` with the password: {pw}\n(shown once; change it after logging in, or set WEFT_ADMIN_PASSWORD before the first start)"
                );
            }
            tracing::info!("created the admin user");
            Ok(())
        }
        // Another instance created it first.
        Err(weft_persistence::StoreError::AlreadyExists { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The webhook table from the stored routes and their workflows' latest definitions.
async fn load_hooks(
    db: &dyn Database,
    options: &GatewayOptions,
) -> Result<HashMap<String, Arc<HookEntry>>, GatewayError> {
    let max_wait = Duration::from_millis(options.max_webhook_wait_ms);
    let mut table = HashMap::new();
    let mut workflows: Vec<_> = db
        .list_webhook_routes()
        .await?
        .into_iter()
        .map(|r| r.workflow_id)
        .collect();
    workflows.sort_by_key(|w| w.to_string());
    workflows.dedup();
    for id in workflows {
        let v = match db.get_workflow_version(id, None).await {
            Ok(v) => v,
            Err(weft_persistence::StoreError::NotFound { .. }) => continue,
            Err(e) => return Err(e.into()),
        };
        let Ok(def) = weft_core::Definition::from_value(v.definition) else {
            tracing::warn!(workflow_id = %id, "stored definition does not parse; its webhooks are off");
            continue;
        };
        for (e, _) in entries_of(id, &def, max_wait) {
            table.insert(e.route.path.clone(), Arc::new(e));
        }
    }
    Ok(table)
}

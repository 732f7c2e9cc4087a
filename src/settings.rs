//! Layered configuration: defaults → config file (TOML) → `WEFT_*` environment → flags.
//! One typed struct; unknown keys in the file are errors, so a typo never silently falls
//! back to a default.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use weft_actors::EngineConfig;
use weft_gateway::GatewayOptions;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Address the API and UI listen on.
    pub listen: String,
    /// `postgres://…` for production; when absent, SQLite in `data_dir`.
    pub database_url: Option<String>,
    /// Where embedded mode keeps its SQLite database.
    pub data_dir: PathBuf,
    /// An EnvFilter: a level, or per-module levels (`info,weft_actors=debug,sqlx=warn`).
    pub log_level: String,
    pub log_format: LogFormat,
    pub engine: EngineConfig,
    /// The HTTP API: limits, auth, rate limits, CORS, the web app.
    pub gateway: GatewayOptions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            database_url: None,
            data_dir: PathBuf::from("./weft-data"),
            log_level: "info".into(),
            log_format: LogFormat::Json,
            engine: EngineConfig::default(),
            gateway: GatewayOptions::default(),
        }
    }
}

/// Environment variables that map onto settings (others with the `WEFT_` prefix, such as
/// `WEFT_HTTP_ALLOW`, belong to other parts and are ignored here).
const ENV_KEYS: &[&str] = &[
    "listen",
    "database_url",
    "data_dir",
    "log_level",
    "log_format",
    "engine",
    "gateway",
];

impl Settings {
    pub fn load(file: Option<&Path>) -> Result<Settings, Box<figment::Error>> {
        let mut f = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = file {
            f = f.merge(Toml::file_exact(path));
        }
        f = f.merge(Env::prefixed("WEFT_").split("__").filter(|k| {
            // Keys arrive as written (`DATABASE_URL`); figment lowercases them later.
            let top = k
                .as_str()
                .split('.')
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            ENV_KEYS.contains(&top.as_str())
        }));
        let mut settings: Settings = f.extract().map_err(Box::new)?;
        // The brief's names for these two secrets.
        if settings.gateway.auth.admin_password.is_none() {
            settings.gateway.auth.admin_password = std::env::var("WEFT_ADMIN_PASSWORD").ok();
        }
        if settings.gateway.auth.master_key.is_none() {
            settings.gateway.auth.master_key = std::env::var("WEFT_MASTER_KEY").ok();
        }
        if settings.gateway.web_dist.is_none() {
            let dist = PathBuf::from("web/dist");
            if dist.join("index.html").is_file() {
                settings.gateway.web_dist = Some(dist);
            }
        }
        Ok(settings)
    }

    /// The database URL in effect: the configured one or the embedded SQLite file.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(u) => u.clone(),
            None => format!("sqlite://{}", self.data_dir.join("weft.db").display()),
        }
    }
}

/// Sets up tracing to stderr. `WEFT_LOG` (an EnvFilter string) overrides the level.
pub fn init_logging(level: &str, format: LogFormat) {
    let filter = std::env::var("WEFT_LOG")
        .ok()
        .and_then(|s| tracing_subscriber::EnvFilter::try_new(s).ok())
        .unwrap_or_else(|| {
            tracing_subscriber::EnvFilter::try_new(level)
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"))
        });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

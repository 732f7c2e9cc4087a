//! `weft serve`: the engine with recovery, the trigger services (schedules, AMQP consumers),
//! the REST API and health endpoints.

use crate::settings::{LogFormat, Settings, init_logging};
use anyhow::Context;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use weft_actors::triggers::{AmqpConsumers, AmqpConsumersConfig, Scheduler, SchedulerConfig};
use weft_actors::{Engine, StoreCredentials};

#[derive(clap::Args)]
pub struct ServeArgs {
    /// TOML config file (settings: listen, database_url, data_dir, log_level, log_format,
    /// [engine], [gateway]; see docs/operations.md).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long)]
    listen: Option<String>,
    /// Database URL (`postgres://…` or `sqlite://FILE`); also WEFT_DATABASE_URL.
    #[arg(long)]
    database_url: Option<String>,
    #[arg(long, value_enum)]
    log_format: Option<LogFormat>,
    /// Print the effective configuration and exit.
    #[arg(long)]
    print_config: bool,
}

pub fn run(args: ServeArgs) -> ExitCode {
    let mut settings = match Settings::load(args.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: invalid configuration: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(l) = args.listen {
        settings.listen = l;
    }
    if let Some(u) = args.database_url {
        settings.database_url = Some(u);
    }
    if let Some(f) = args.log_format {
        settings.log_format = f;
    }
    if args.print_config {
        let mut shown = settings.clone();
        shown.database_url = shown
            .database_url
            .as_deref()
            .map(weft_persistence::redact_url);
        // Secrets are never printed.
        if shown.gateway.metrics_token.is_some() {
            shown.gateway.metrics_token = Some("***".into());
        }
        let auth = &mut shown.gateway.auth;
        let gateway_secrets = [
            &mut auth.jwt_secret,
            &mut auth.admin_password,
            &mut auth.master_key,
        ];
        for secret in gateway_secrets {
            if secret.is_some() {
                *secret = Some("***".into());
            }
        }
        match toml::to_string_pretty(&shown) {
            Ok(t) => print!("{t}"),
            Err(e) => eprintln!("error: {e}"),
        }
        return ExitCode::SUCCESS;
    }
    init_logging(&settings.log_level, settings.log_format);
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(serve(settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "weft serve stopped");
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let url = settings.database_url();
    if settings.database_url.is_none() {
        std::fs::create_dir_all(&settings.data_dir).with_context(|| {
            format!(
                "creating the data directory {}",
                settings.data_dir.display()
            )
        })?;
    }
    let db = weft_persistence::connect_database(&url)
        .await
        .with_context(|| {
            format!(
                "opening the database {}",
                weft_persistence::redact_url(&url)
            )
        })?;
    // Nodes open their credentials from this database with the gateway's vault key.
    let vault = super::credentials::vault(&settings).context("the master key")?;
    // Credentials older builds sealed without an envelope become envelopes before any node
    // asks for one (nodes refuse the old format).
    let resealed = weft_actors::credentials::reseal_legacy_credentials(
        db.as_ref(),
        &vault,
        weft_actors::now_ms(),
    )
    .await
    .context("resealing legacy credentials")?;
    if resealed.resealed > 0 {
        tracing::info!(
            resealed = resealed.resealed,
            "legacy credentials sealed again as envelopes"
        );
    }
    if !resealed.unreadable.is_empty() {
        tracing::warn!(
            credentials = ?resealed.unreadable,
            "legacy credentials this master key cannot open; nodes using them will fail"
        );
    }
    let mut registry = super::registry()?;
    registry.set_credentials(Arc::new(StoreCredentials::new(db.clone(), vault)));
    let registry = Arc::new(registry);
    let store: Arc<dyn weft_persistence::Store> = db.clone();
    let engine = Engine::start(settings.engine.clone(), store, registry)
        .await
        .context("starting the engine")?;
    // Executions nobody asks for: cron ticks (claimed in the database, so each tick fires once
    // across instances) and AMQP messages.
    let scheduler = Scheduler::start(engine.clone(), SchedulerConfig::default());
    let consumers = AmqpConsumers::start(engine.clone(), AmqpConsumersConfig::default());
    let state = weft_gateway::AppState::build(weft_gateway::GatewayParts {
        engine: engine.clone(),
        db,
        options: settings.gateway.clone(),
        data_dir: settings.data_dir.clone(),
    })
    .await
    .context("starting the gateway")?;
    let listener = tokio::net::TcpListener::bind(&settings.listen)
        .await
        .with_context(|| format!("binding {}", settings.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, backend = engine.store().backend(), "weft is serving");
    eprintln!("Weft listening on http://{addr}");
    let served = weft_gateway::serve(listener, state, shutdown_signal()).await;
    // Triggers first, so nothing starts an execution on an engine that is stopping.
    consumers.shutdown().await;
    scheduler.shutdown().await;
    engine.shutdown().await;
    served?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

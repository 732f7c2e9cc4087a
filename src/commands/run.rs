//! `weft run FILE [--input JSON|@file] [--credentials FILE]`: the whole engine, in-process, on an
//! in-memory store; prints the output on stdout (exit 0) or the error on stderr (exit 1).

use serde_json::{Value, json};
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use weft_actors::{Engine, EngineConfig, StartRequest};
use weft_core::{ExecutionStatus, WorkflowId};

pub fn run(file: &Path, input: Option<&str>, credentials: Option<&Path>) -> ExitCode {
    crate::settings::init_logging("warn", crate::settings::LogFormat::Pretty);
    let mut registry = match super::registry() {
        Ok(r) => r,
        Err(e) => return usage_error(&format!("{e:#}")),
    };
    if let Some(path) = credentials {
        match read_credentials(path) {
            Ok(source) => registry.set_credentials(Arc::new(source)),
            Err(msg) => return usage_error(&msg),
        }
    }
    let registry = Arc::new(registry);
    let (def, _) = match super::load_definition(file, &registry) {
        Ok(d) => d,
        Err(lines) => {
            for l in lines {
                eprintln!("{l}");
            }
            return ExitCode::from(2);
        }
    };
    let input = match parse_input(input) {
        Ok(v) => v,
        Err(msg) => return usage_error(&msg),
    };
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => return usage_error(&format!("cannot start the runtime: {e}")),
    };
    let result = rt.block_on(async move {
        let store = weft_persistence::connect("sqlite::memory:").await?;
        let engine = Engine::start(EngineConfig::default(), store.clone(), registry).await?;
        let wf_id = WorkflowId::new();
        store
            .create_workflow(wf_id, &def.name, &def.to_value())
            .await?;
        let (rec, _) = engine
            .start_execution(StartRequest {
                workflow_id: wf_id,
                input,
                ..Default::default()
            })
            .await?;
        let done = engine.wait_finished(rec.id).await?;
        engine.shutdown().await;
        anyhow::Ok(done)
    });
    match result {
        Ok(rec) if rec.status == ExecutionStatus::Succeeded => {
            let out = rec.output.unwrap_or(Value::Null);
            let text = if std::io::stdout().is_terminal() {
                serde_json::to_string_pretty(&out)
            } else {
                serde_json::to_string(&out)
            };
            println!("{}", text.unwrap_or_else(|_| "null".into()));
            ExitCode::SUCCESS
        }
        Ok(rec) => {
            let err = json!({"execution_id": rec.id, "status": rec.status, "error": rec.error});
            eprintln!("{}", serde_json::to_string_pretty(&err).unwrap_or_default());
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!(
                "{}",
                json!({"status": "error", "error": {"message": format!("{e:#}")}})
            );
            ExitCode::from(1)
        }
    }
}

fn usage_error(msg: &str) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(2)
}

/// `--credentials FILE`: a JSON object of credential values by name (a string, or an object
/// of strings). Its contents never reach an error message.
fn read_credentials(path: &Path) -> Result<weft_nodes::credentials::StaticCredentials, String> {
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("--credentials {shown}: cannot read: {e}"))?;
    let value: Value = serde_json::from_str(&text).map_err(|e| {
        format!(
            "--credentials {shown}: not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        )
    })?;
    let Value::Object(map) = value else {
        return Err(format!(
            "--credentials {shown}: expected an object of credentials by name"
        ));
    };
    for (name, v) in &map {
        let ok = v.is_string()
            || v.as_object()
                .is_some_and(|o| o.values().all(Value::is_string));
        if !ok {
            return Err(format!(
                "--credentials {shown}: `{name}` must be a string or an object of strings"
            ));
        }
    }
    Ok(weft_nodes::credentials::StaticCredentials(
        map.into_iter().collect(),
    ))
}

/// `--input` as JSON text, or `@FILE` holding JSON; absent means `{}`.
fn parse_input(input: Option<&str>) -> Result<Value, String> {
    let Some(raw) = input else {
        return Ok(json!({}));
    };
    let (text, origin) = match raw.strip_prefix('@') {
        Some(path) => (
            std::fs::read_to_string(path)
                .map_err(|e| format!("--input @{path}: cannot read: {e}"))?,
            format!("@{path}"),
        ),
        None => (raw.to_string(), "--input".to_string()),
    };
    serde_json::from_str(&text).map_err(|e| format!("{origin} is not valid JSON: {e}"))
}

//! `weft-example-custom-node FILE [INPUT_JSON]`: runs a workflow in-process, like `weft run`,
//! with `text.slugify` registered next to the built-in node types.

use anyhow::Context;
use std::sync::Arc;
use weft_actors::{Engine, EngineConfig, StartRequest};
use weft_core::WorkflowId;
use weft_core::definition::{Definition, Format};
use weft_nodes::NodeOptions;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let file = args
        .get(1)
        .cloned()
        .context("usage: weft-example-custom-node FILE [INPUT_JSON]")?;
    let input = match args.get(2) {
        Some(text) => serde_json::from_str(text).context("INPUT_JSON is not JSON")?,
        None => serde_json::Value::Null,
    };
    let registry = Arc::new(weft_example_custom_node::registry(NodeOptions::from_env()?)?);
    let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {file}"))?;
    let def = Definition::parse(&text, Format::from_path(&file))
        .map_err(|p| anyhow::anyhow!("{file}: {p}"))?;
    if let Err(problems) = weft_core::validate(&def, registry.as_ref()) {
        for p in problems {
            eprintln!("{file}: {p}");
        }
        std::process::exit(2);
    }
    let store = weft_persistence::connect("sqlite::memory:").await?;
    let engine = Engine::start(EngineConfig::default(), store.clone(), registry).await?;
    let workflow_id = WorkflowId::new();
    store
        .create_workflow(workflow_id, &def.name, &def.to_value())
        .await?;
    let (started, _) = engine
        .start_execution(StartRequest {
            workflow_id,
            input,
            ..Default::default()
        })
        .await?;
    let done = engine.wait_finished(started.id).await?;
    engine.shutdown().await;
    println!("{}", serde_json::to_string_pretty(&done.output)?);
    Ok(())
}

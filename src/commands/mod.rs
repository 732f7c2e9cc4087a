//! One module per subcommand; each turns its outcome into the exit code of the contract:
//! 0 success, 1 the workflow (or operation) did not succeed, 2 bad definition or command line.

pub mod credentials;
pub mod nodes;
pub mod openapi;
pub mod run;
pub mod serve;
pub mod validate;

use std::path::Path;
use weft_core::definition::Format;
use weft_core::{CompiledWorkflow, Definition, Problem};
use weft_nodes::Registry;

/// Reads, parses and validates a definition file; problems come back ready to print.
pub fn load_definition(
    path: &Path,
    registry: &Registry,
) -> Result<(Definition, CompiledWorkflow), Vec<String>> {
    let shown = path.display().to_string();
    let text =
        std::fs::read_to_string(path).map_err(|e| vec![format!("{shown}: cannot read: {e}")])?;
    let format = Format::from_path(&shown);
    let fmt = |p: Problem| format!("{shown}: {p}");
    let def = Definition::parse(&text, format).map_err(|p| vec![fmt(p)])?;
    let wf = weft_core::validate(&def, registry)
        .map_err(|ps| ps.into_iter().map(fmt).collect::<Vec<_>>())?;
    Ok((def, wf))
}

/// The node registry with built-in types, configured from the environment.
pub fn registry() -> anyhow::Result<Registry> {
    let options = weft_nodes::NodeOptions::from_env()?;
    Ok(Registry::builtin(options)?)
}

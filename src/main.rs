//! The `weft` command line: parses arguments and calls into the crates.

mod commands;
mod settings;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc returns freed memory to the OS, so RSS follows running work: passivated
/// executions cost nothing once their actors are gone (glibc's arenas keep the pages).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "weft",
    version,
    about = "Durable workflow orchestration",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the engine, the REST API and (when built) the UI. Embedded SQLite by default.
    Serve(commands::serve::ServeArgs),
    /// Run one workflow in-process and print its output as JSON.
    Run {
        /// Workflow definition (.json, .yaml or .yml).
        file: PathBuf,
        /// Input as JSON, or @FILE to read it from a file.
        #[arg(long, short)]
        input: Option<String>,
        /// A JSON file of credentials nodes may open, by name: {"orders-db": "postgres://…"}.
        #[arg(long, value_name = "FILE")]
        credentials: Option<PathBuf>,
    },
    /// Check workflow definitions; one line per problem.
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// List the node types with their config schemas.
    Nodes {
        /// Print the catalog as JSON.
        #[arg(long, conflicts_with = "markdown")]
        json: bool,
        /// Print the catalog as Markdown (docs/nodes.md is this output).
        #[arg(long)]
        markdown: bool,
    },
    /// Print the REST API's OpenAPI document (JSON).
    Openapi,
    /// Manage node credentials in the configured database (values are never printed).
    Credentials(commands::credentials::CredentialsArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Command::Serve(args) => commands::serve::run(args),
        Command::Run {
            file,
            input,
            credentials,
        } => commands::run::run(&file, input.as_deref(), credentials.as_deref()),
        Command::Validate { files } => commands::validate::run(&files),
        Command::Nodes { json, markdown } => commands::nodes::run(json, markdown),
        Command::Openapi => commands::openapi::run(),
        Command::Credentials(args) => commands::credentials::run(args),
    }
}

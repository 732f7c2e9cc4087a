//! `weft nodes [--json | --markdown]`

use std::process::ExitCode;

pub fn run(json: bool, markdown: bool) -> ExitCode {
    let registry = match super::registry() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    let specs = registry.specs();
    if markdown {
        print!("{}", weft_nodes::catalog::markdown(&specs));
    } else if json {
        match serde_json::to_string_pretty(&specs) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(1);
            }
        }
    } else {
        let width = specs.iter().map(|s| s.type_name.len()).max().unwrap_or(0);
        for s in specs {
            println!(
                "{:width$}  {:8}  {}",
                s.type_name,
                s.category,
                s.description,
                width = width
            );
        }
    }
    ExitCode::SUCCESS
}

//! `weft validate FILE…`

use std::path::PathBuf;
use std::process::ExitCode;

pub fn run(files: &[PathBuf]) -> ExitCode {
    let registry = match super::registry() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    let mut invalid = false;
    for f in files {
        match super::load_definition(f, &registry) {
            Ok(_) => println!("{}: valid", f.display()),
            Err(lines) => {
                invalid = true;
                for l in lines {
                    println!("{l}");
                }
            }
        }
    }
    ExitCode::from(if invalid { 2 } else { 0 })
}

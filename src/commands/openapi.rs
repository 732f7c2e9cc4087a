//! `weft openapi`: the REST API's OpenAPI 3.1 document, as served at `/api/v1/openapi.json`.
//! The web app's typed client is generated from it (`web/openapi.json`).

use std::process::ExitCode;

pub fn run() -> ExitCode {
    match weft_gateway::openapi::document().to_pretty_json() {
        Ok(s) => {
            println!("{s}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

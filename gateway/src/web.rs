//! The web app: files from `web/dist`, with `index.html` for any other path (the app routes
//! on the client, e.g. `/workflows/{id}`). Only when the directory exists; otherwise unknown
//! paths get a 404 problem.

use std::path::Path;
use tower_http::services::{ServeDir, ServeFile};

pub fn service(dist: Option<&Path>) -> Option<ServeDir<ServeFile>> {
    let dist = dist?;
    let index = dist.join("index.html");
    if !index.is_file() {
        if dist.exists() {
            tracing::warn!(dir = %dist.display(), "web_dist has no index.html; the UI is off");
        }
        return None;
    }
    Some(ServeDir::new(dist).fallback(ServeFile::new(index)))
}

//! File node types: `file.read`, `file.write`, `file.list`, `file.delete`, confined to a base directory.
//!
//! (Being written: this module registers no node type yet.)

use crate::Node;
use crate::http::HttpClient;
use crate::options::NodeOptions;
use crate::registry::RegistryError;
use std::sync::Arc;

/// Settings of the file node types.
#[derive(Debug, Clone, Default)]
pub struct FileOptions {}

/// The node types of this module, built from the operator's options.
pub(crate) fn nodes(
    _options: &NodeOptions,
    _http: &HttpClient,
) -> Result<Vec<Arc<dyn Node>>, RegistryError> {
    Ok(Vec::new())
}

//! Code node types: `code.javascript`, sandboxed.
//!
//! (Being written: this module registers no node type yet.)

use crate::Node;
use crate::http::HttpClient;
use crate::options::NodeOptions;
use crate::registry::RegistryError;
use std::sync::Arc;

/// Settings of the `code.javascript` node.
#[derive(Debug, Clone, Default)]
pub struct JavaScriptOptions {}

/// The node types of this module, built from the operator's options.
pub(crate) fn nodes(
    _options: &NodeOptions,
    _http: &HttpClient,
) -> Result<Vec<Arc<dyn Node>>, RegistryError> {
    Ok(Vec::new())
}

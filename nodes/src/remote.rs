//! Remote node types: served by an external HTTP service declared in the operator's config.
//!
//! (Being written: this module registers no node type yet.)

use crate::Node;
use crate::http::HttpClient;
use crate::options::NodeOptions;
use crate::registry::RegistryError;
use std::sync::Arc;

/// Remote node types declared by the operator.
#[derive(Debug, Clone, Default)]
pub struct RemoteOptions {}

/// The node types of this module, built from the operator's options.
pub(crate) fn nodes(
    _options: &NodeOptions,
    _http: &HttpClient,
) -> Result<Vec<Arc<dyn Node>>, RegistryError> {
    Ok(Vec::new())
}

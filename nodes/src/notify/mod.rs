//! Notification node types: `email.send`, `sms.send`, `chat.webhook`.
//!
//! (Being written: this module registers no node type yet.)

mod email;

use crate::Node;
use crate::http::HttpClient;
use crate::options::NodeOptions;
use crate::registry::RegistryError;
use std::sync::Arc;

/// The node types of this module, built from the operator's options.
pub(crate) fn nodes(
    options: &NodeOptions,
    _http: &HttpClient,
) -> Result<Vec<Arc<dyn Node>>, RegistryError> {
    Ok(vec![Arc::new(email::EmailSend::new(options))])
}

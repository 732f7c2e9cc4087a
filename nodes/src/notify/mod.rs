//! Notification node types: `email.send`, `sms.send` ([`sms`]), `chat.webhook` ([`chat`]).

pub mod chat;
pub mod sms;

use crate::Node;
use crate::http::HttpClient;
use crate::options::NodeOptions;
use crate::registry::RegistryError;
use std::sync::Arc;

/// The node types of this module, built from the operator's options.
pub(crate) fn nodes(
    _options: &NodeOptions,
    http: &HttpClient,
) -> Result<Vec<Arc<dyn Node>>, RegistryError> {
    Ok(vec![
        Arc::new(sms::SmsNode::new(http.clone())),
        Arc::new(chat::ChatWebhookNode::new(http.clone())),
    ])
}

//! Notification node types: `email.send` (SMTP, [`email`]), `sms.send` (a Twilio-compatible
//! API, [`sms`]) and `chat.webhook` (Slack, Discord, Teams or generic incoming webhooks,
//! [`chat`]). The HTTP-based ones share the process's guarded HTTP client; SMTP hosts come
//! from credentials and are not subject to the HTTP address guard.

pub mod chat;
pub mod email;
pub mod sms;

use crate::Node;
use crate::http::HttpClient;
use crate::options::NodeOptions;
use crate::registry::RegistryError;
use std::sync::Arc;

/// The node types of this module, built from the operator's options.
pub(crate) fn nodes(
    options: &NodeOptions,
    http: &HttpClient,
) -> Result<Vec<Arc<dyn Node>>, RegistryError> {
    Ok(vec![
        Arc::new(email::EmailSend::new(options)),
        Arc::new(sms::SmsNode::new(http.clone())),
        Arc::new(chat::ChatWebhookNode::new(http.clone())),
    ])
}

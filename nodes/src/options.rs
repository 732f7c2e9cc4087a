//! Operator settings of the built-in node types.
//!
//! One typed struct per subsystem, built once at startup (from the environment or from the
//! binary's layered configuration) and handed to [`Registry::builtin`](crate::Registry::builtin).
//! Nodes never read the environment themselves.

use crate::code::JavaScriptOptions;
use crate::file::FileOptions;
use crate::http::ssrf::{ALLOW_ENV, AllowList, AllowListError};
use crate::remote::{RemoteOptions, RemoteOptionsError};
use crate::resilience::ResilienceOptions;
use std::time::Duration;

/// Settings of every built-in node type that has any.
#[derive(Debug, Clone, Default)]
pub struct NodeOptions {
    pub http: HttpOptions,
    pub resilience: ResilienceOptions,
    pub files: FileOptions,
    pub javascript: JavaScriptOptions,
    pub remote: RemoteOptions,
}

impl NodeOptions {
    /// Reads every node setting from `WEFT_*` environment variables.
    pub fn from_env() -> Result<Self, OptionsError> {
        Ok(Self {
            http: HttpOptions::from_env()?,
            remote: RemoteOptions::from_env()?,
            resilience: ResilienceOptions::from_env().map_err(OptionsError::Resilience)?,
            files: FileOptions::from_env(),
            ..Self::default()
        })
    }
}

/// Settings of the `http.request` node.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Non-public targets the node may reach anyway (`WEFT_HTTP_ALLOW`).
    pub allow: AllowList,
    /// Largest response body read; a larger one fails the node.
    pub max_response_bytes: usize,
    /// Time limit of a request whose config sets no `timeout_ms`.
    pub default_timeout: Duration,
    /// Time limit for establishing a connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// `User-Agent` sent unless the node's headers set one.
    pub user_agent: String,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            allow: AllowList::none(),
            max_response_bytes: 10 * 1024 * 1024,
            default_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            user_agent: format!("weft/{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

impl HttpOptions {
    /// Defaults, with the allow-list from `WEFT_HTTP_ALLOW` (comma-separated CIDRs, IP
    /// addresses or host names). A bad entry is an error, so a typo cannot silently leave a
    /// target blocked or, worse, be read as something broader.
    pub fn from_env() -> Result<Self, OptionsError> {
        Self::from_allow_var(std::env::var(ALLOW_ENV))
    }

    /// [`from_env`](Self::from_env) given the variable's value (tests cannot safely change
    /// the process environment).
    fn from_allow_var(value: Result<String, std::env::VarError>) -> Result<Self, OptionsError> {
        let allow = match value {
            Ok(list) => AllowList::parse(&list).map_err(|source| OptionsError::Allow {
                var: ALLOW_ENV,
                source,
            })?,
            Err(std::env::VarError::NotPresent) => AllowList::none(),
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(OptionsError::NotUnicode { var: ALLOW_ENV });
            }
        };
        Ok(Self {
            allow,
            ..Self::default()
        })
    }
}

/// A node setting that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum OptionsError {
    #[error("{var}: {source}")]
    Allow {
        var: &'static str,
        #[source]
        source: AllowListError,
    },
    #[error("{var} is not valid UTF-8")]
    NotUnicode { var: &'static str },
    #[error("{0}")]
    Resilience(String),
    #[error("WEFT_REMOTE_NODES: {0}")]
    Remote(#[from] RemoteOptionsError),
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::env::VarError;

    #[test]
    fn the_allow_list_comes_from_weft_http_allow() {
        let o = HttpOptions::from_allow_var(Ok("127.0.0.1, 10.0.0.0/8, api.internal".into()))
            .expect("valid list");
        assert!(o.allow.allows_ip("10.1.2.3".parse().expect("ip")));
        assert!(o.allow.allows_host("api.internal"));
        assert_eq!(o.max_response_bytes, 10 * 1024 * 1024);
        assert_eq!(o.default_timeout, Duration::from_secs(30));
        assert!(o.user_agent.starts_with("weft/"));

        let unset = HttpOptions::from_allow_var(Err(VarError::NotPresent)).expect("unset is fine");
        assert!(unset.allow.is_empty());
    }

    #[test]
    fn a_bad_entry_stops_startup_with_a_clear_message() {
        let e = HttpOptions::from_allow_var(Ok("127.0.0.1, 10.0.0.0/99".into())).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.starts_with("WEFT_HTTP_ALLOW: invalid allow-list entry `10.0.0.0/99`"),
            "{msg}"
        );
        let e = HttpOptions::from_allow_var(Err(VarError::NotUnicode("x".into()))).unwrap_err();
        assert!(matches!(e, OptionsError::NotUnicode { .. }));
    }
}

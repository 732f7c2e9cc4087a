//! Database node types: `db.postgres`, `db.mysql`, `db.sqlite` ([`sql`]) and `db.redis`
//! ([`redis`]).
//!
//! Every type names a credential holding the connection URL (a string, or an object with a
//! `url`), so passwords never sit in a workflow definition. Connections are pooled per
//! (type, URL) inside the node and reused across activations; the pool key holds the
//! password, so it is never logged or shown. Every call goes through the node type's circuit
//! breaker for the target host ([`NodeInput::guarded`]) and has a time limit.
//!
//! SQL text is a raw field: it is never template-rendered, so no value can be spliced into
//! it. Values travel in `params` and are always bound as parameters.

pub mod redis;
pub mod sql;

mod mysql;
mod postgres;
mod sqlite;

use crate::http::HttpClient;
use crate::options::NodeOptions;
use crate::registry::RegistryError;
use crate::{Node, NodeInput};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use weft_core::NodeError;

pub use mysql::MySql;
pub use postgres::Postgres;
pub use redis::RedisNode;
pub use sql::{MySqlNode, PostgresNode, SqlNode, SqliteNode};
pub use sqlite::Sqlite;

/// The node types of this module.
pub(crate) fn nodes(
    _options: &NodeOptions,
    _http: &HttpClient,
) -> Result<Vec<std::sync::Arc<dyn Node>>, RegistryError> {
    Ok(vec![
        std::sync::Arc::new(PostgresNode::default()),
        std::sync::Arc::new(MySqlNode::default()),
        std::sync::Arc::new(SqliteNode::default()),
        std::sync::Arc::new(RedisNode::default()),
    ])
}

/// How many connection pools (distinct connection URLs) one node type keeps; the least
/// recently used one is dropped beyond that.
pub const MAX_POOLS: usize = 32;

pub(crate) use crate::config::config_error;

/// The connection URL from the credential the config names: its string value or its `url`
/// field.
pub(crate) async fn connection_url(
    type_name: &str,
    input: &NodeInput,
    reference: &str,
) -> Result<String, NodeError> {
    Ok(connection(type_name, input, reference).await?.0)
}

/// The credential's connection URL and, from an object credential, its `ca_cert`: the PEM
/// certificate of a private CA to trust for a TLS URL.
pub(crate) async fn connection(
    type_name: &str,
    input: &NodeInput,
    reference: &str,
) -> Result<(String, Option<String>), NodeError> {
    let secret = input.credential(reference).await.map_err(|e| {
        NodeError::new(
            e.kind,
            format!("invalid {type_name} config: /credential: {}", e.message),
        )
    })?;
    let url = secret.string_or_field("url")?.to_string();
    let ca_cert = secret
        .field("ca_cert")
        .filter(|pem| !pem.trim().is_empty())
        .map(str::to_string);
    Ok((url, ca_cert))
}

/// The call's time limit: the config's `timeout_ms` (or `default`), capped by the
/// activation's own limit.
pub(crate) fn time_limit(config_ms: Option<u64>, default: Duration, input: &NodeInput) -> Duration {
    let limit = config_ms.map_or(default, Duration::from_millis);
    match input.timeout {
        Some(t) => limit.min(t),
        None => limit,
    }
}

/// The host a URL points at, for the circuit breaker (never the whole URL: it holds the
/// password).
pub(crate) fn host_of(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => match (u.host_str(), u.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            (None, _) => u.scheme().to_string(),
        },
        Err(_) => "unknown".to_string(),
    }
}

/// `text` with the URL's password (and the URL itself) replaced, for error messages built
/// from driver errors.
pub(crate) fn redact(text: &str, url: &str) -> String {
    let mut text = text.replace(url, "[redacted]");
    if let Ok(u) = url::Url::parse(url)
        && let Some(pw) = u.password()
        && !pw.is_empty()
    {
        text = text.replace(pw, "[redacted]");
        if let Ok(decoded) = percent_encoding::percent_decode_str(pw).decode_utf8()
            && !decoded.is_empty()
        {
            text = text.replace(decoded.as_ref(), "[redacted]");
        }
    }
    text
}

/// Connection handles (pools, clients) by connection URL, least recently used dropped
/// beyond [`MAX_POOLS`]. The keys hold passwords: `Debug` shows only how many there are.
pub(crate) struct Cache<T> {
    /// Handle and the tick of its last use.
    entries: Mutex<HashMap<String, (T, u64)>>,
    tick: AtomicU64,
}

impl<T> Default for Cache<T> {
    fn default() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            tick: AtomicU64::new(0),
        }
    }
}

impl<T> std::fmt::Debug for Cache<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.entries.lock().map(|e| e.len()).unwrap_or(0);
        write!(f, "Cache({n} entries)")
    }
}

impl<T: Clone> Cache<T> {
    /// The handle for `url`, made by `make` when there is none yet.
    pub(crate) fn get_or_insert(
        &self,
        url: &str,
        make: impl FnOnce() -> Result<T, NodeError>,
    ) -> Result<T, NodeError> {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let now = self.tick.fetch_add(1, Ordering::Relaxed);
        if let Some((handle, used)) = entries.get_mut(url) {
            *used = now;
            return Ok(handle.clone());
        }
        let handle = make()?;
        if entries.len() >= MAX_POOLS
            && let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone())
        {
            entries.remove(&oldest);
        }
        entries.insert(url.to_string(), (handle.clone(), now));
        Ok(handle)
    }

    /// The handle for `url`, if there is one.
    #[cfg(test)]
    pub(crate) fn get(&self, url: &str) -> Option<T> {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let now = self.tick.fetch_add(1, Ordering::Relaxed);
        entries.get_mut(url).map(|(h, used)| {
            *used = now;
            h.clone()
        })
    }

    /// Forgets the handle for `url` if `pred` says so (it failed to connect).
    pub(crate) fn remove_if(&self, url: &str, pred: impl FnOnce(&T) -> bool) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.get(url).is_some_and(|(h, _)| pred(h)) {
            entries.remove(url);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_the_password_and_the_url() {
        let url = "postgres://app:s%40cret-pw@db.example:5432/app";
        let msg = format!("failed for {url} with s@cret-pw and s%40cret-pw");
        let out = redact(&msg, url);
        assert!(!out.contains("cret-pw"), "{out}");
        assert_eq!(host_of(url), "db.example:5432");
        assert_eq!(host_of("sqlite:///tmp/x.db"), "sqlite");
    }

    #[test]
    fn the_cache_drops_the_least_recently_used_entry() {
        let cache: Cache<usize> = Cache::default();
        for i in 0..MAX_POOLS {
            cache.get_or_insert(&format!("u{i}"), || Ok(i)).unwrap();
        }
        assert_eq!(cache.get("u0"), Some(0), "touches u0");
        cache.get_or_insert("new", || Ok(99)).unwrap();
        assert_eq!(cache.len(), MAX_POOLS);
        assert_eq!(cache.get("u0"), Some(0));
        assert_eq!(cache.get("u1"), None, "u1 was the least recently used");
        assert!(!format!("{cache:?}").contains("u0"));
    }
}

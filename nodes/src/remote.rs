//! Remote node types: node types served by an external HTTP service, so users can write
//! nodes in any language.
//!
//! The operator declares each one (type name, URL, description, ports, config JSON Schema) in
//! a file named by `WEFT_REMOTE_NODES` (JSON, YAML or TOML: a list under `remote`). To the
//! designer, validation and the catalog a remote type is like any other: its schema is
//! compiled and checked at design time. At run time the engine POSTs one JSON request per
//! activation and the service answers with the output. The protocol, in full:
//!
//! ```text
//! POST {url}
//! Content-Type: application/json
//! Idempotency-Key: {execution_id}/{node_path}
//! Authorization: Bearer {token}          (when the declaration names a credential)
//!
//! {"type": "acme.score", "config": {...rendered config...}, "input": <prev>,
//!  "context": {input, prev, nodes, item, index, execution, vars},
//!  "idempotency_key": "...", "execution_id": "...", "node_id": "...", "attempt": 1}
//!
//! 200 {"output": <any JSON>, "port": "main", "logs": [{"level": "info", "message": "..."}]}
//!     ("port"/"ports" and "logs" optional; a body without "output" is the output itself)
//! 4xx → permanent failure, 5xx/429 → transient (retried by the node's retry policy);
//!     a JSON error body {"error": {"kind": "permanent"|"transient"|..., "message": "..."}}
//!     sets the kind and message explicitly.
//! ```
//!
//! Requests go through the shared HTTP machinery (breaker per type and host, time limit,
//! response size cap, no redirects to forbidden addresses); the declared hosts, and only
//! those, are exempt from the private-address guard, since the operator chose them.

use crate::http::ssrf::AllowList;
use crate::http::{HttpCall, HttpClient};
use crate::options::{HttpOptions, NodeOptions};
use crate::registry::RegistryError;
use crate::{LogLevel, Node, NodeInput, NodeLog, NodeOutput};
use async_trait::async_trait;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use url::Url;
use weft_core::{ErrorKind, NodeError, NodeSpec, Ports, RetryPolicy};

/// The environment variable naming the file of remote node declarations.
pub const REMOTE_NODES_ENV: &str = "WEFT_REMOTE_NODES";

/// Remote node types declared by the operator.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteOptions {
    #[serde(default)]
    pub remote: Vec<RemoteNodeDeclaration>,
}

/// One remote node type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteNodeDeclaration {
    /// `category.name`, e.g. `acme.score`.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Where activations are POSTed (http or https).
    pub url: String,
    pub description: String,
    /// Palette group (default: the type name's category).
    #[serde(default)]
    pub category: Option<String>,
    /// Output ports (default `["main"]`).
    #[serde(default)]
    pub ports: Option<Vec<String>>,
    /// JSON Schema of the config (default: an object with no fields).
    #[serde(default)]
    pub schema: Option<Value>,
    /// Per-request time limit (default 30 s).
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// A credential whose value (a string, or an object's `token`) is sent as a bearer token.
    #[serde(default)]
    pub credential: Option<String>,
    /// Retry policy when the workflow's node sets none.
    #[serde(default)]
    pub retry: Option<RetryPolicy>,
}

/// Why the remote declarations cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RemoteOptionsError {
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("remote node `{type_name}`: {message}")]
    Declaration { type_name: String, message: String },
}

impl RemoteOptions {
    /// Reads the file named by `WEFT_REMOTE_NODES`, if set.
    pub fn from_env() -> Result<Self, RemoteOptionsError> {
        match std::env::var_os(REMOTE_NODES_ENV) {
            Some(path) => Self::from_file(Path::new(&path)),
            None => Ok(Self::default()),
        }
    }

    /// Reads declarations from a `.json`, `.yaml`/`.yml` or `.toml` file.
    pub fn from_file(path: &Path) -> Result<Self, RemoteOptionsError> {
        let shown = path.display().to_string();
        let err = |message: String| RemoteOptionsError::File {
            path: shown.clone(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read: {e}")))?;
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        let options: RemoteOptions = match ext {
            "toml" => toml_like(&text).map_err(err)?,
            "yaml" | "yml" => serde_yaml::from_str(&text).map_err(|e| err(e.to_string()))?,
            _ => serde_json::from_str(&text).map_err(|e| err(e.to_string()))?,
        };
        for d in &options.remote {
            d.check()?;
        }
        Ok(options)
    }
}

/// TOML through its JSON shape, so one set of serde attributes serves every format.
fn toml_like(text: &str) -> Result<RemoteOptions, String> {
    let value: toml::Value = toml::from_str(text).map_err(|e| e.to_string())?;
    let json = serde_json::to_value(value).map_err(|e| e.to_string())?;
    serde_json::from_value(json).map_err(|e| e.to_string())
}

impl RemoteNodeDeclaration {
    fn error(&self, message: impl Into<String>) -> RemoteOptionsError {
        RemoteOptionsError::Declaration {
            type_name: self.type_name.clone(),
            message: message.into(),
        }
    }

    fn parsed_url(&self) -> Result<Url, RemoteOptionsError> {
        let url = Url::parse(&self.url)
            .map_err(|e| self.error(format!("url {:?} is not valid ({e})", self.url)))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(self.error("url must be an http or https URL with a host"));
        }
        Ok(url)
    }

    fn check(&self) -> Result<(), RemoteOptionsError> {
        self.parsed_url()?;
        if self.description.trim().is_empty() {
            return Err(self.error("description is empty"));
        }
        if let Some(schema) = &self.schema
            && schema.get("type").and_then(Value::as_str) != Some("object")
        {
            return Err(self.error("schema must be a JSON Schema of type object"));
        }
        if let Some(ports) = &self.ports
            && ports.is_empty()
        {
            return Err(self.error("ports, when given, names at least one port"));
        }
        Ok(())
    }
}

/// A node type served by a remote HTTP service.
#[derive(Debug, Clone)]
pub struct RemoteNode {
    declaration: RemoteNodeDeclaration,
    url: Url,
    http: HttpClient,
}

impl RemoteNode {
    /// A remote type calling its service through `http`; the declaration must be valid.
    pub fn new(
        declaration: RemoteNodeDeclaration,
        http: HttpClient,
    ) -> Result<Self, RemoteOptionsError> {
        declaration.check()?;
        let url = declaration.parsed_url()?;
        Ok(Self {
            declaration,
            url,
            http,
        })
    }

    fn timeout(&self) -> Duration {
        Duration::from_millis(self.declaration.timeout_ms.unwrap_or(30_000))
    }
}

#[derive(Debug, Deserialize)]
struct RemoteReply {
    output: Value,
    #[serde(default)]
    port: Option<String>,
    #[serde(default)]
    ports: Option<Vec<String>>,
    #[serde(default)]
    logs: Vec<RemoteLog>,
}

#[derive(Debug, Deserialize)]
struct RemoteLog {
    #[serde(default = "info")]
    level: LogLevel,
    message: String,
}

fn info() -> LogLevel {
    LogLevel::Info
}

#[derive(Debug, Deserialize)]
struct RemoteFailure {
    error: RemoteErrorBody,
}

#[derive(Debug, Deserialize)]
struct RemoteErrorBody {
    #[serde(default)]
    kind: Option<ErrorKind>,
    message: String,
}

/// A failed call's error, with the kind and message the service chose when its body says.
fn remote_error(type_name: &str, e: NodeError) -> NodeError {
    let body = e
        .details
        .as_ref()
        .and_then(|d| d.get("body"))
        .and_then(Value::as_str)
        .and_then(|b| serde_json::from_str::<RemoteFailure>(b).ok());
    match body {
        Some(f) => NodeError::new(
            f.error.kind.unwrap_or(e.kind),
            format!("{type_name}: {}", f.error.message),
        ),
        None => e,
    }
}

#[async_trait]
impl Node for RemoteNode {
    fn spec(&self) -> NodeSpec {
        let d = &self.declaration;
        let category = d.category.clone().unwrap_or_else(|| {
            d.type_name
                .split_once('.')
                .map_or("remote", |(c, _)| c)
                .to_string()
        });
        NodeSpec {
            type_name: d.type_name.clone(),
            category,
            description: d.description.clone(),
            trigger: false,
            ports: d.ports.clone().map_or_else(Ports::main, Ports::Fixed),
            schema: d
                .schema
                .clone()
                .unwrap_or_else(|| crate::config::object_schema(&d.type_name, json!({}), &[])),
            filter_fields: Vec::new(),
            raw_fields: Vec::new(),
            default_retry: d.retry,
        }
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let d = &self.declaration;
        let body = json!({
            "type": d.type_name,
            "config": input.config,
            "input": input.prev(),
            "context": input.context,
            "idempotency_key": input.idempotency_key(),
            "execution_id": input.execution_id,
            "node_id": input.node_id,
            "attempt": input.attempt,
        });
        let mut call = HttpCall::post_json(&self.http, &input, self.url.clone(), &body);
        call.timeout = self.timeout();
        if let Some(reference) = &d.credential {
            let secret = input.credential(reference).await?;
            let token = secret.string_or_field("token")?;
            let value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
                NodeError::config(format!(
                    "credential `{reference}` cannot be sent as a bearer token"
                ))
            })?;
            call.headers.insert(AUTHORIZATION, value);
        }
        let reply = self
            .http
            .call(&input, call)
            .await
            .map_err(|e| remote_error(&d.type_name, e))?;
        let body = reply.get("body").cloned().unwrap_or(Value::Null);
        let known = self.spec().ports.names(&input.config);
        let (output, ports, logs) = match body {
            Value::Object(ref map) if map.contains_key("output") => {
                let r: RemoteReply = serde_json::from_value(body.clone()).map_err(|e| {
                    NodeError::permanent(format!(
                        "{}: the service's reply does not follow the remote node protocol: {e}",
                        d.type_name
                    ))
                })?;
                let ports = match (r.ports, r.port) {
                    (Some(ps), _) => ps,
                    (None, Some(p)) => vec![p],
                    (None, None) => vec![known[0].clone()],
                };
                (r.output, ports, r.logs)
            }
            other => (other, vec![known[0].clone()], Vec::new()),
        };
        if let Some(bad) = ports.iter().find(|p| !known.contains(p)) {
            return Err(NodeError::permanent(format!(
                "{}: the service activated port `{bad}`, which is not declared ({})",
                d.type_name,
                known.join(", ")
            )));
        }
        let mut out = NodeOutput::on_ports(output, ports);
        out.logs = logs
            .into_iter()
            .take(100)
            .map(|l| NodeLog::new(l.level, l.message))
            .collect();
        Ok(out)
    }
}

/// The declared remote types, sharing one client whose guard lets exactly the declared hosts
/// through.
pub(crate) fn nodes(
    options: &NodeOptions,
    _http: &HttpClient,
) -> Result<Vec<Arc<dyn Node>>, RegistryError> {
    if options.remote.remote.is_empty() {
        return Ok(Vec::new());
    }
    let setup = |type_name: &str, message: String| RegistryError::Setup {
        type_name: type_name.to_string(),
        message,
    };
    let mut hosts = Vec::new();
    for d in &options.remote.remote {
        let url = d
            .parsed_url()
            .map_err(|e| setup(&d.type_name, e.to_string()))?;
        if let Some(host) = url.host_str() {
            hosts.push(host.trim_matches(|c| c == '[' || c == ']').to_string());
        }
    }
    let allow = AllowList::parse(&hosts.join(","))
        .map_err(|e| setup(&options.remote.remote[0].type_name, e.to_string()))?;
    let http = HttpClient::new(&HttpOptions {
        allow,
        ..options.http.clone()
    })?;
    options
        .remote
        .remote
        .iter()
        .map(|d| {
            RemoteNode::new(d.clone(), http.clone())
                .map(|n| Arc::new(n) as Arc<dyn Node>)
                .map_err(|e| setup(&d.type_name, e.to_string()))
        })
        .collect()
}

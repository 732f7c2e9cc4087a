//! HTTP node types: `http.request`, and `http.respond` ([`respond`]), which answers a
//! webhook.
//!
//! One shared client per process (connection pooling, one TLS setup), built from
//! [`HttpOptions`]: the [`ssrf`] guard as its only DNS resolver and as its redirect policy,
//! no proxy, a connect timeout. Each request gets a time limit (its `timeout_ms`, the default,
//! and the engine's node timeout, whichever is shortest), an `Idempotency-Key` so a retried
//! or re-dispatched activation can be deduplicated by the server, and a response size cap.
//!
//! Failures are classified for the retry logic: 5xx and 429 are `transient`, other 4xx
//! `permanent`, network trouble `transient`, running out of time `timeout`, a URL the guard
//! refuses `permanent`, a config that cannot make a request `config`.

pub mod graphql;
pub mod respond;
pub mod ssrf;

use crate::config::{object_schema, parse_config};
use crate::options::HttpOptions;
use crate::{Node, NodeInput, NodeOutput};
use async_trait::async_trait;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use ssrf::{Guard, GuardedResolver, Refusal, find_refusal, redact};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use url::Url;
use weft_core::catalog::ConfigProblem;
use weft_core::expr::Template;
use weft_core::{Jitter, NodeError, NodeSpec, Ports, RetryPolicy};

pub use respond::RespondNode;

/// Most bytes of an error response's body kept in the error details.
const ERROR_BODY_EXCERPT: usize = 1024;

const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The process's guarded HTTP client, shared by every node type that speaks HTTP
/// (`http.request`, `http.graphql`, `sms.send`, `chat.webhook`, `ai.chat`, remote nodes):
/// SSRF guard on every address and redirect, a circuit breaker per node type and host, a
/// time limit, a response size cap and one error classification. Cheap to clone.
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    guard: Arc<Guard>,
    max_response_bytes: usize,
    default_timeout: Duration,
}

/// One request for [`HttpClient::call`].
#[derive(Debug, Clone)]
pub struct HttpCall {
    pub method: reqwest::Method,
    pub url: Url,
    pub headers: HeaderMap,
    pub body: Option<Vec<u8>>,
    /// Capped by the activation's own time limit.
    pub timeout: Duration,
    pub response: ResponseMode,
}

impl HttpCall {
    /// A POST of `body` as JSON to `url`, with the client's default time limit and the
    /// activation's idempotency key.
    pub fn post_json(client: &HttpClient, input: &NodeInput, url: Url, body: &Value) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Ok(key) = HeaderValue::from_str(&input.idempotency_key()) {
            headers.insert(IDEMPOTENCY_KEY, key);
        }
        Self {
            method: reqwest::Method::POST,
            url,
            headers,
            body: Some(body.to_string().into_bytes()),
            timeout: client.default_timeout,
            response: ResponseMode::Auto,
        }
    }
}

/// `http.request`: sends one HTTP request and outputs `{status, headers, body}`.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    http: HttpClient,
}

/// Building the shared HTTP client failed (e.g. no TLS root certificates could be loaded).
#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client: {0}")]
pub struct ClientError(#[from] reqwest::Error);

impl HttpRequest {
    pub const TYPE: &'static str = "http.request";

    pub fn new(http: HttpClient) -> Self {
        Self { http }
    }
}

impl HttpClient {
    pub fn new(options: &HttpOptions) -> Result<Self, ClientError> {
        let guard = Arc::new(Guard::new(options.allow.clone()));
        let resolver = GuardedResolver::new(Arc::clone(&guard));
        Self::with_resolver(options, guard, resolver)
    }

    fn with_resolver(
        options: &HttpOptions,
        guard: Arc<Guard>,
        resolver: GuardedResolver,
    ) -> Result<Self, ClientError> {
        let client = reqwest::Client::builder()
            .user_agent(options.user_agent.clone())
            .connect_timeout(options.connect_timeout)
            // A proxy would resolve and connect on our behalf, around the guard.
            .no_proxy()
            .dns_resolver(resolver)
            .redirect(guard.redirect_policy())
            // Do not tell the next hop where we came from (URLs may carry tokens).
            .referer(false)
            .build()?;
        Ok(Self {
            client,
            guard,
            max_response_bytes: options.max_response_bytes,
            default_timeout: options.default_timeout,
        })
    }

    /// A node whose resolver answers from a fixed table, for tests of the resolver path.
    #[cfg(test)]
    pub(crate) fn with_dns_table(
        options: &HttpOptions,
        table: &[(&str, std::net::IpAddr)],
    ) -> Result<Self, ClientError> {
        let guard = Arc::new(Guard::new(options.allow.clone()));
        let resolver = GuardedResolver::with_table(Arc::clone(&guard), table);
        Self::with_resolver(options, guard, resolver)
    }

    /// The time limit of a call whose config sets none.
    pub fn default_timeout(&self) -> Duration {
        self.default_timeout
    }

    /// Sends one request on behalf of `input`'s activation: refuses targets the SSRF guard
    /// forbids, goes through the breaker of (node type, host), and enforces the call's time
    /// limit (capped by the activation's). Outputs `{status, headers, body}`; 5xx, 429 and
    /// network trouble are `transient`, other 4xx `permanent`.
    pub async fn call(&self, input: &NodeInput, mut call: HttpCall) -> Result<Value, NodeError> {
        if let Some(limit) = input.timeout {
            call.timeout = call.timeout.min(limit);
        }
        if let Err(refusal) = self.guard.check_url(&call.url) {
            // IP literals never reach the resolver, so they are checked here.
            // The host only: a path can be a secret (chat webhook URLs carry their token).
            tracing::info!(
                node_type = %input.env.node_type,
                host = call.url.host_str().unwrap_or_default(),
                %refusal,
                "http request refused"
            );
            return Err(match refusal {
                Refusal::Scheme(_) | Refusal::NoHost => {
                    NodeError::config(format!("invalid {} config: {refusal}", input.env.node_type))
                }
                _ => NodeError::permanent(refusal.to_string()),
            });
        }
        // Host and port: two services on one machine fail independently.
        let host = match call.url.port_or_known_default() {
            Some(port) => format!("{}:{port}", call.url.host_str().unwrap_or_default()),
            None => call.url.host_str().unwrap_or_default().to_string(),
        };
        let timeout = call.timeout;
        let target = format!("{} {}", call.method, redact(&call.url));
        input
            .guarded(&host, async {
                // reqwest enforces the same limit; this outer one also covers the body loop
                // and makes the outcome a `timeout` whatever stage the request was in.
                tokio::time::timeout(timeout, self.send(call))
                    .await
                    .map_err(|_| {
                        NodeError::timeout(format!(
                            "{target} timed out after {} ms",
                            timeout.as_millis()
                        ))
                    })?
            })
            .await
    }
}

impl HttpRequest {
    /// The retry policy of an `http.request` node whose definition sets none.
    pub fn default_retry() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            initial_interval_ms: 500,
            multiplier: 2.0,
            max_interval_ms: 10_000,
            jitter: Jitter::Full,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
enum Method {
    #[default]
    Get,
    Post,
    Put,
    Patch,
    Delete,
    Head,
    Options,
}

impl From<Method> for reqwest::Method {
    fn from(m: Method) -> Self {
        match m {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
            Method::Head => reqwest::Method::HEAD,
            Method::Options => reqwest::Method::OPTIONS,
        }
    }
}

/// How a response body is decoded.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseMode {
    /// JSON when the content type says so or the body parses; text otherwise.
    #[default]
    Auto,
    Text,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestConfig {
    #[serde(default)]
    method: Method,
    url: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    query: Map<String, Value>,
    #[serde(default)]
    body: Option<Value>,
    #[serde(default)]
    timeout_ms: Option<u64>,
    #[serde(default)]
    response: ResponseMode,
    #[serde(default)]
    auth: Option<AuthConfig>,
}

/// Authentication from a stored credential, so no secret is written in the workflow.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuthConfig {
    credential: String,
    #[serde(default, rename = "type")]
    scheme: AuthScheme,
    /// For `header`: the header's name.
    #[serde(default)]
    header: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
enum AuthScheme {
    /// `Authorization: Bearer {token}`; the credential is a string or has `token`.
    #[default]
    Bearer,
    /// `Authorization: Basic …`; the credential has `username` and `password`.
    Basic,
    /// `{header}: {value}`; the credential is a string or has `value`.
    Header,
}

fn config_error(pointer: &str, message: impl std::fmt::Display) -> NodeError {
    crate::config::config_error(HttpRequest::TYPE, pointer, message)
}

/// An http or https URL; the error says what is wrong with it.
pub(crate) fn parse_url(url: &str) -> Result<Url, String> {
    let url = Url::parse(url).map_err(|e| format!("{url:?} is not a valid URL ({e})"))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(format!("unsupported scheme `{other}`: use http or https")),
    }
}

fn query_value(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl HttpRequest {
    fn prepare(&self, input: &NodeInput) -> Result<(HttpCall, Option<AuthConfig>), NodeError> {
        let config: RequestConfig = parse_config(Self::TYPE, &input.config)?;
        let mut url = parse_url(&config.url).map_err(|m| config_error("/url", m))?;
        if !config.query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in &config.query {
                let v = query_value(v).ok_or_else(|| {
                    config_error(
                        &format!("/query/{k}"),
                        "expected a string, number or boolean",
                    )
                })?;
                pairs.append_pair(k, &v);
            }
        }
        let mut headers = HeaderMap::with_capacity(config.headers.len() + 2);
        for (name, value) in &config.headers {
            let pointer = format!("/headers/{name}");
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| config_error(&pointer, "not a valid header name"))?;
            let value = HeaderValue::from_str(value)
                .map_err(|_| config_error(&pointer, "not a valid header value"))?;
            headers.append(name, value);
        }
        if !headers.contains_key(IDEMPOTENCY_KEY) {
            let key = HeaderValue::from_str(&input.idempotency_key())
                .map_err(|_| NodeError::config("the node path cannot be sent as a header"))?;
            headers.insert(IDEMPOTENCY_KEY, key);
        }
        let body = match config.body {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => {
                if !headers.contains_key(CONTENT_TYPE) {
                    headers.insert(
                        CONTENT_TYPE,
                        HeaderValue::from_static("text/plain; charset=utf-8"),
                    );
                }
                Some(text.into_bytes())
            }
            Some(json) => {
                if !headers.contains_key(CONTENT_TYPE) {
                    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                }
                Some(json.to_string().into_bytes())
            }
        };
        let timeout = config
            .timeout_ms
            .map_or(self.http.default_timeout, Duration::from_millis);
        let auth = config.auth;
        Ok((
            HttpCall {
                method: config.method.into(),
                url,
                headers,
                body,
                timeout,
                response: config.response,
            },
            auth,
        ))
    }

    /// Adds the credential-backed authentication header.
    async fn authenticate(
        input: &NodeInput,
        auth: &AuthConfig,
        headers: &mut HeaderMap,
    ) -> Result<(), NodeError> {
        let secret = input.credential(&auth.credential).await?;
        let (name, value) = match auth.scheme {
            AuthScheme::Bearer => (
                reqwest::header::AUTHORIZATION,
                format!("Bearer {}", secret.string_or_field("token")?),
            ),
            AuthScheme::Basic => {
                use base64::Engine;
                let (Some(user), Some(password)) =
                    (secret.field("username"), secret.field("password"))
                else {
                    return Err(NodeError::config(format!(
                        "credential `{}` must be an object with `username` and `password` for basic auth",
                        auth.credential
                    )));
                };
                let pair =
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                input.env.credentials.derived(&pair);
                (reqwest::header::AUTHORIZATION, format!("Basic {pair}"))
            }
            AuthScheme::Header => {
                let name = auth.header.as_deref().unwrap_or("");
                let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                    config_error(
                        "/auth/header",
                        "a header name is required for `header` auth",
                    )
                })?;
                (name, secret.string_or_field("value")?.to_string())
            }
        };
        let value = HeaderValue::from_str(&value).map_err(|_| {
            NodeError::config(format!(
                "credential `{}` holds characters a header cannot carry",
                auth.credential
            ))
        })?;
        headers.insert(name, value);
        Ok(())
    }
}

impl HttpClient {
    async fn send(&self, req: HttpCall) -> Result<Value, NodeError> {
        let target = format!("{} {}", req.method, redact(&req.url));
        let mut builder = self
            .client
            .request(req.method, req.url)
            .headers(req.headers)
            .timeout(req.timeout);
        if let Some(body) = req.body {
            builder = builder.body(body);
        }
        let mut response = builder
            .send()
            .await
            .map_err(|e| classify(e, &target, req.timeout))?;
        let status = response.status();
        let headers = headers_to_json(response.headers());

        if status.is_client_error() || status.is_server_error() {
            let excerpt = read_body(&mut response, ERROR_BODY_EXCERPT, false)
                .await
                .map(|b| text_excerpt(&b, ERROR_BODY_EXCERPT))
                .unwrap_or_default();
            let message = format!("{target} answered {status}");
            let details = json!({"status": status.as_u16(), "body": excerpt});
            let retryable = status.is_server_error() || status.as_u16() == 429;
            let error = if retryable {
                NodeError::transient(message)
            } else {
                NodeError::permanent(message)
            };
            return Err(error.with_details(details));
        }

        if let Some(len) = response.content_length()
            && len > self.max_response_bytes as u64
        {
            return Err(too_large(self.max_response_bytes));
        }
        let bytes = read_body(&mut response, self.max_response_bytes, true)
            .await
            .map_err(|e| match e {
                BodyError::TooLarge => too_large(self.max_response_bytes),
                BodyError::Read(e) => classify(e, &target, req.timeout),
            })?;
        let body = decode_body(&bytes, req.response);
        Ok(json!({"status": status.as_u16(), "headers": headers, "body": body}))
    }
}

fn too_large(max: usize) -> NodeError {
    NodeError::permanent(format!("response larger than {max} bytes"))
}

enum BodyError {
    TooLarge,
    Read(reqwest::Error),
}

/// Reads the body chunk by chunk, never holding more than `max` bytes. With `strict`, a
/// longer body is an error; without, reading just stops (error excerpts).
async fn read_body(
    response: &mut reqwest::Response,
    max: usize,
    strict: bool,
) -> Result<Vec<u8>, BodyError> {
    let mut out = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Read)? {
        if out.len() + chunk.len() > max {
            if strict {
                return Err(BodyError::TooLarge);
            }
            out.extend_from_slice(&chunk[..max - out.len()]);
            break;
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// Response headers as an object with lower-case names; repeated headers are joined with
/// ", " as RFC 9110 allows.
fn headers_to_json(headers: &HeaderMap) -> Map<String, Value> {
    let mut out = Map::new();
    for name in headers.keys() {
        let values: Vec<String> = headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        // `HeaderName` is always lower case.
        out.insert(name.as_str().to_string(), Value::String(values.join(", ")));
    }
    out
}

fn decode_body(bytes: &[u8], mode: ResponseMode) -> Value {
    let text = || Value::String(String::from_utf8_lossy(bytes).into_owned());
    match mode {
        ResponseMode::Text => text(),
        ResponseMode::Auto if bytes.is_empty() => Value::Null,
        // Whatever the content type says: a JSON body labelled text/plain is still JSON, and
        // a body labelled JSON that does not parse is still worth seeing as text.
        ResponseMode::Auto => serde_json::from_slice::<Value>(bytes).unwrap_or_else(|_| text()),
    }
}

/// The start of a body as text, cut at a character boundary.
fn text_excerpt(bytes: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(max)]);
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// Maps a client error to an error kind. reqwest's own message names the URL, which may hold
/// credentials, so it is dropped and `target` (no query, no user info) used instead.
fn classify(error: reqwest::Error, target: &str, timeout: Duration) -> NodeError {
    if let Some(refusal) = find_refusal(&error) {
        return match refusal {
            Refusal::Scheme(_) | Refusal::NoHost | Refusal::TooManyRedirects => {
                NodeError::permanent(format!("{target}: {refusal}"))
            }
            Refusal::Address { .. } | Refusal::HostName { .. } => {
                NodeError::permanent(refusal.to_string())
            }
        };
    }
    if error.is_timeout() {
        return NodeError::timeout(format!(
            "{target} timed out after {} ms",
            timeout.as_millis()
        ));
    }
    let (builder, redirect, connect) =
        (error.is_builder(), error.is_redirect(), error.is_connect());
    let cause = error_chain(&error.without_url());
    if builder {
        NodeError::config(format!("{target}: {cause}"))
    } else if redirect {
        NodeError::permanent(format!("{target}: {cause}"))
    } else if connect {
        NodeError::transient(format!("{target}: could not connect: {cause}"))
    } else {
        NodeError::transient(format!("{target}: {cause}"))
    }
}

/// An error and its sources, `: `-separated, skipping repeats (wrappers often repeat their
/// source's message).
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(error);
    while let Some(e) = current {
        let s = e.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        current = e.source();
    }
    parts.join(": ")
}

#[async_trait]
impl Node for HttpRequest {
    fn spec(&self) -> NodeSpec {
        NodeSpec {
            type_name: Self::TYPE.to_string(),
            category: "http".to_string(),
            description: "Sends an HTTP request and outputs {status, headers, body}; the body is \
                          parsed when it is JSON. 5xx, 429 and network errors are retried; \
                          other 4xx fail. Sends Idempotency-Key: {execution_id}/{node_path}. \
                          Private, loopback and link-local targets are refused unless the \
                          operator allows them in WEFT_HTTP_ALLOW."
                .to_string(),
            trigger: false,
            ports: Ports::main(),
            schema: object_schema(
                "HTTP request",
                json!({
                    "method": {
                        "type": "string",
                        "title": "Method",
                        "description": "The HTTP method.",
                        "enum": ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
                        "default": "GET"
                    },
                    "url": {
                        "type": "string",
                        "title": "URL",
                        "description": "An http or https URL; may hold {{ }} templates.",
                        "minLength": 1,
                        "examples": ["https://api.example.com/orders/{{ .input.id }}"]
                    },
                    "headers": {
                        "type": "object",
                        "title": "Headers",
                        "description": "Request headers. Idempotency-Key and User-Agent are set \
                                        unless given here.",
                        "additionalProperties": {"type": "string"},
                        "default": {}
                    },
                    "query": {
                        "type": "object",
                        "title": "Query parameters",
                        "description": "Added to the URL's query string.",
                        "additionalProperties": {"type": ["string", "number", "boolean"]},
                        "default": {}
                    },
                    "body": {
                        "title": "Body",
                        "description": "The request body: a string is sent as text, any \
                                        other JSON value as JSON (Content-Type set unless \
                                        given); none when absent or null."
                    },
                    "timeout_ms": {
                        "type": "integer",
                        "title": "Timeout (ms)",
                        "description": "Time limit for the whole request, response body \
                                        included; the operator's default (30 s) when absent.",
                        "minimum": 1
                    },
                    "response": {
                        "type": "string",
                        "title": "Response body",
                        "description": "`auto`: parse JSON when the content type says so or \
                                        the body parses (an empty body is null); `text`: keep \
                                        it as a string.",
                        "enum": ["auto", "text"],
                        "default": "auto"
                    },
                    "auth": {
                        "type": "object",
                        "title": "Authentication",
                        "description": "Authenticates with a stored credential, so no secret \
                                        is written in the workflow. The credential's value \
                                        never appears in outputs, logs or errors.",
                        "additionalProperties": false,
                        "required": ["credential"],
                        "properties": {
                            "credential": {
                                "type": "string",
                                "x-weft-widget": "credential",
                                "title": "Credential",
                                "description": "Id or name of the credential.",
                                "minLength": 1
                            },
                            "type": {
                                "type": "string",
                                "title": "Scheme",
                                "description": "`bearer`: Authorization: Bearer <string or \
                                                token>; `basic`: Authorization: Basic from \
                                                username and password; `header`: the header \
                                                named below set to <string or value>.",
                                "enum": ["bearer", "basic", "header"],
                                "default": "bearer"
                            },
                            "header": {
                                "type": "string",
                                "title": "Header name",
                                "description": "For `header`: the header to set, e.g. \
                                                X-Api-Key.",
                                "examples": ["X-Api-Key"]
                            }
                        }
                    }
                }),
                &["url"],
            ),
            filter_fields: Vec::new(),
            raw_fields: Vec::new(),
            default_retry: Some(Self::default_retry()),
        }
    }

    fn check_config(&self, config: &Value) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        if let Some(url) = config.get("url").and_then(Value::as_str)
            && !Template::is_template(url)
            && let Err(message) = parse_url(url)
        {
            out.push(ConfigProblem {
                pointer: "/url".to_string(),
                message,
            });
        }
        if let Some(headers) = config.get("headers").and_then(Value::as_object) {
            for (name, value) in headers {
                let pointer = format!("/headers/{}", weft_core::definition::escape_pointer(name));
                if HeaderName::from_bytes(name.as_bytes()).is_err() {
                    out.push(ConfigProblem {
                        pointer,
                        message: "not a valid header name".into(),
                    });
                } else if let Some(v) = value.as_str()
                    && !Template::is_template(v)
                    && HeaderValue::from_str(v).is_err()
                {
                    out.push(ConfigProblem {
                        pointer,
                        message: "not a valid header value".into(),
                    });
                }
            }
        }
        out
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let (mut request, auth) = self.prepare(&input)?;
        if let Some(auth) = &auth {
            Self::authenticate(&input, auth, &mut request.headers).await?;
        }
        let output = self.http.call(&input, request).await?;
        Ok(NodeOutput::main(output))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestInput;
    use axum::Router;
    use axum::routing::get;
    use std::net::{IpAddr, SocketAddr};

    async fn serve(app: Router) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        addr
    }

    /// Runs `node` with a GET of `url`.
    async fn fetch(node: &HttpRequest, url: &str) -> Result<NodeOutput, NodeError> {
        node.run(TestInput::new(json!({"url": url})).build_for(node).unwrap())
            .await
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn body_decoding_follows_the_mode() {
        assert_eq!(
            decode_body(br#"{"a":1}"#, ResponseMode::Auto),
            json!({"a": 1})
        );
        assert_eq!(decode_body(b"12", ResponseMode::Auto), json!(12));
        assert_eq!(decode_body(b"12", ResponseMode::Text), json!("12"));
        assert_eq!(decode_body(b"hi", ResponseMode::Auto), json!("hi"));
        assert_eq!(decode_body(b"{bad", ResponseMode::Auto), json!("{bad"));
        assert_eq!(decode_body(b"", ResponseMode::Auto), Value::Null);
        assert_eq!(decode_body(b"", ResponseMode::Text), json!(""));
    }

    #[test]
    fn excerpts_cut_at_character_boundaries() {
        let s = "é".repeat(600); // 1200 bytes
        let cut = text_excerpt(s.as_bytes(), 1024);
        assert!(cut.len() <= 1024 && cut.chars().all(|c| c == 'é'));
    }

    #[test]
    fn literal_urls_and_headers_are_checked_at_design_time() {
        let node = HttpRequest::new(HttpClient::new(&HttpOptions::default()).unwrap());
        let p = node.check_config(&json!({"url": "not a url", "headers": {"bad name": "x"}}));
        let pointers: Vec<&str> = p.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(pointers, vec!["/url", "/headers/bad name"]);
        assert!(
            node.check_config(&json!({"url": "ftp://x/"}))[0]
                .message
                .contains("scheme")
        );
        assert!(
            node.check_config(&json!({"url": "{{ .input.url }}"}))
                .is_empty()
        );
    }

    /// A host name that resolves to a forbidden address is refused by the resolver (the
    /// connection is never made), and passes when its address is allowed.
    #[tokio::test]
    async fn names_resolving_to_forbidden_addresses_are_refused() {
        let addr = serve(Router::new().route("/", get(|| async { "ok" }))).await;
        let table = [("internal.test", ip("127.0.0.1"))];
        let url = format!("http://internal.test:{}/", addr.port());

        let node =
            HttpRequest::new(HttpClient::with_dns_table(&HttpOptions::default(), &table).unwrap());
        let e = fetch(&node, &url).await;
        let e = e.unwrap_err();
        assert_eq!(e.kind, weft_core::ErrorKind::Permanent, "{e}");
        assert!(
            e.message.contains("loopback") && e.message.contains("WEFT_HTTP_ALLOW"),
            "{e}"
        );

        let options = HttpOptions {
            allow: crate::AllowList::parse("127.0.0.1").unwrap(),
            ..HttpOptions::default()
        };
        let node = HttpRequest::new(HttpClient::with_dns_table(&options, &table).unwrap());
        let out = fetch(&node, &url).await;
        assert_eq!(out.unwrap().output["body"], json!("ok"));

        // An unknown name is a lookup failure, which may heal: transient.
        let node =
            HttpRequest::new(HttpClient::with_dns_table(&HttpOptions::default(), &table).unwrap());
        let url = format!("http://missing.test:{}/", addr.port());
        let e = fetch(&node, &url).await;
        assert_eq!(e.unwrap_err().kind, weft_core::ErrorKind::Transient);
    }
}

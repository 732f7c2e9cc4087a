//! `email.send`: sends one e-mail through an SMTP server (lettre, rustls; no OpenSSL).
//!
//! The server and its login come from a credential: an SMTP URL
//! (`smtp://user:pass@host:587`, `smtps://user:pass@host:465`) or an object
//! `{host, port, username, password}`. Connection security is `tls`: `starttls` (the
//! default for `smtp://`: upgrade a plain connection, required), `tls` (implicit TLS, the
//! default for `smtps://`) or `none` (plain text — only for a relay on the local machine or
//! network). Certificates are checked against the platform's trust store, plus the CA in the
//! credential object's `ca_cert` (PEM) for a server with a private CA.
//!
//! The message: `from`, `to`, `cc`, `bcc`, `reply_to` (addresses checked with lettre's
//! parser; a bad one is a `config` error naming it, e.g. `/to/1`), `subject`, `text` and/or
//! `html` (both: `multipart/alternative`), extra `headers` and `attachments` (text, base64 or
//! a file under the operator's file base directory, confined like the `file.*` nodes). No
//! field may hold a line break where it would end up in a header (header injection is
//! refused). Limits: [`MAX_ATTACHMENTS`] attachments, [`MAX_RECIPIENTS`] recipients,
//! [`MAX_MESSAGE_BYTES`] for the whole encoded message.
//!
//! The `Message-ID` is derived from the activation's idempotency key
//! (`<{sha256 hex}@weft>`), so a message sent again by a retry carries the same id and can
//! be recognised as a duplicate. Errors: a server that cannot be reached, a dropped
//! connection and 4xx replies are `transient`; 5xx replies (a refused recipient or login)
//! and TLS failures are `permanent`, with the server's reply. Messages name the server as
//! `host:port`, never with the credential's login.
//!
//! SMTP hosts are not passed through the HTTP SSRF guard: they come from credentials, which
//! operators and credential owners configure, not from workflow config.

use crate::config::{object_schema, parse_config};
use crate::file::{BaseDir, resolve_within};
use crate::options::NodeOptions;
use crate::schema::problems_to_error;
use crate::{Node, NodeInput, NodeOutput};
use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use lettre::message::header::{ContentTransferEncoding, ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Body, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use percent_encoding::percent_decode_str;
use serde::Deserialize;
use serde_json::{Value, json};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;
use url::Url;
use weft_core::catalog::ConfigProblem;
use weft_core::expr::Template;
use weft_core::{ErrorKind, Jitter, NodeError, NodeSpec, Ports, RetryPolicy};

/// The largest message sent, attachments included, after encoding (10 MiB).
pub const MAX_MESSAGE_BYTES: usize = 10 * 1024 * 1024;
/// The most attachments of one message.
pub const MAX_ATTACHMENTS: usize = 20;
/// The most recipients (to + cc + bcc) of one message.
pub const MAX_RECIPIENTS: usize = 100;
/// The most extra headers.
pub const MAX_HEADERS: usize = 50;
/// The longest header value (RFC 5322's line limit).
const MAX_HEADER_VALUE: usize = 998;
/// The time limit of a send whose config sets no `timeout_ms`.
pub const DEFAULT_TIMEOUT_MS: u64 = 30_000;
/// The largest `timeout_ms` (5 minutes).
pub const MAX_TIMEOUT_MS: u64 = 300_000;

/// Headers the node sets itself from its fields; `headers` may not set them.
const RESERVED_HEADERS: &[(&str, &str)] = &[
    ("from", "use the `from` field"),
    ("to", "use the `to` field"),
    ("cc", "use the `cc` field"),
    ("bcc", "use the `bcc` field"),
    ("reply-to", "use the `reply_to` field"),
    ("subject", "use the `subject` field"),
    (
        "message-id",
        "it is derived from the activation's idempotency key",
    ),
    ("date", "it is set when the message is sent"),
    ("mime-version", "it is set by the node"),
    ("content-type", "it follows from text, html and attachments"),
    (
        "content-transfer-encoding",
        "it follows from text, html and attachments",
    ),
    ("return-path", "the receiving server sets it"),
];

/// `email.send`.
#[derive(Debug, Clone)]
pub struct EmailSend {
    /// Where `attachments[].path` files are (the file nodes' base directory).
    files: BaseDir,
}

impl EmailSend {
    pub const TYPE: &'static str = "email.send";

    pub fn new(options: &NodeOptions) -> Self {
        Self {
            files: BaseDir::new(options.files.base_dir.clone()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum TlsMode {
    None,
    Starttls,
    Tls,
}

impl TlsMode {
    fn default_port(self) -> u16 {
        match self {
            TlsMode::None => 25,
            TlsMode::Starttls => 587,
            TlsMode::Tls => 465,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Addresses {
    One(String),
    Many(Vec<String>),
}

impl Addresses {
    /// Each address with its pointer.
    fn each(&self, field: &str) -> Vec<(String, &str)> {
        match self {
            Addresses::One(s) => vec![(format!("/{field}"), s.as_str())],
            Addresses::Many(list) => list
                .iter()
                .enumerate()
                .map(|(i, s)| (format!("/{field}/{i}"), s.as_str()))
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EmailConfig {
    credential: String,
    #[serde(default)]
    tls: Option<TlsMode>,
    #[serde(default)]
    timeout_ms: Option<u64>,
    from: String,
    to: Addresses,
    #[serde(default)]
    cc: Option<Addresses>,
    #[serde(default)]
    bcc: Option<Addresses>,
    #[serde(default)]
    reply_to: Option<Addresses>,
    subject: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    html: Option<String>,
    #[serde(default)]
    headers: serde_json::Map<String, Value>,
    #[serde(default)]
    attachments: Vec<AttachmentConfig>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AttachmentConfig {
    #[serde(default)]
    filename: Option<String>,
    #[serde(default)]
    content_type: Option<String>,
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    content_base64: Option<String>,
    #[serde(default)]
    path: Option<String>,
}

// --- checks shared by design time and run time -------------------------------------------------

/// Collects problems; at design time, values that are still templates are skipped.
struct Checker {
    design: bool,
    problems: Vec<ConfigProblem>,
}

impl Checker {
    fn push(&mut self, pointer: impl Into<String>, message: impl Into<String>) {
        let problem = ConfigProblem {
            pointer: pointer.into(),
            message: message.into(),
        };
        if !self.problems.contains(&problem) {
            self.problems.push(problem);
        }
    }

    /// The value to check, unless it is a template at design time.
    fn literal<'a>(&self, v: &'a Value) -> Option<&'a str> {
        v.as_str()
            .filter(|s| !(self.design && Template::is_template(s)))
    }

    fn no_line_breaks(&mut self, pointer: &str, v: &Value) {
        if let Some(s) = self.literal(v)
            && let Some(problem) = line_break_problem(s)
        {
            self.push(pointer, problem);
        }
    }

    fn addresses(&mut self, field: &str, v: Option<&Value>) -> usize {
        let items: Vec<(String, &Value)> = match v {
            None | Some(Value::Null) => return 0,
            Some(Value::Array(list)) => list
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("/{field}/{i}"), v))
                .collect(),
            Some(other) => vec![(format!("/{field}"), other)],
        };
        let n = items.len();
        for (pointer, v) in items {
            if let Some(s) = self.literal(v)
                && let Err(m) = mailbox(s)
            {
                self.push(pointer, m);
            }
        }
        n
    }
}

/// Why a value that goes into a header may not be used, if it may not.
fn line_break_problem(s: &str) -> Option<&'static str> {
    if s.contains(['\r', '\n']) {
        Some("must not contain line breaks (CR or LF): they would start new headers")
    } else if s.contains('\0') {
        Some("must not contain a NUL character")
    } else {
        None
    }
}

/// An address (`a@example.com` or `Name <a@example.com>`), or why it is not one.
fn mailbox(s: &str) -> Result<Mailbox, String> {
    if let Some(problem) = line_break_problem(s) {
        return Err(problem.to_string());
    }
    s.trim()
        .parse::<Mailbox>()
        .map_err(|e| format!("`{s}` is not a valid e-mail address ({e})"))
}

/// Why a header name may not be used, if it may not.
fn header_name_problem(name: &str) -> Option<String> {
    if name.is_empty() || name.len() > 76 {
        return Some("header names are 1 to 76 characters".to_string());
    }
    if !name.bytes().all(|b| (33..=126).contains(&b) && b != b':') {
        return Some(format!(
            "`{}` is not a valid header name (printable ASCII without spaces or `:`)",
            name.escape_debug()
        ));
    }
    let lower = name.to_ascii_lowercase();
    RESERVED_HEADERS
        .iter()
        .find(|(h, _)| *h == lower)
        .map(|(_, why)| format!("`{name}` cannot be set here: {why}"))
}

/// Every problem with `config` the schema cannot express. `design`: skip templates.
fn problems(config: &Value, design: bool) -> Vec<ConfigProblem> {
    let mut c = Checker {
        design,
        problems: Vec::new(),
    };
    // A list is the schema's to report.
    c.addresses("from", config.get("from").filter(|v| v.is_string()));
    let mut recipients = 0;
    for field in ["to", "cc", "bcc"] {
        recipients += c.addresses(field, config.get(field));
    }
    if recipients > MAX_RECIPIENTS {
        c.push(
            "/to",
            format!("{recipients} recipients (to, cc and bcc); at most {MAX_RECIPIENTS}"),
        );
    }
    c.addresses("reply_to", config.get("reply_to"));
    if let Some(subject) = config.get("subject") {
        c.no_line_breaks("/subject", subject);
    }
    if config.get("text").is_none_or(Value::is_null)
        && config.get("html").is_none_or(Value::is_null)
    {
        c.push("", "set one of `text`, `html`");
    }
    if let Some(headers) = config.get("headers").and_then(Value::as_object) {
        if headers.len() > MAX_HEADERS {
            c.push(
                "/headers",
                format!("{} headers; at most {MAX_HEADERS}", headers.len()),
            );
        }
        for (name, value) in headers {
            let pointer = format!("/headers/{}", weft_core::definition::escape_pointer(name));
            if let Some(problem) = header_name_problem(name) {
                c.push(pointer.clone(), problem);
            }
            c.no_line_breaks(&pointer, value);
            if let Some(s) = c.literal(value)
                && s.len() > MAX_HEADER_VALUE
            {
                c.push(
                    pointer,
                    format!("the value is {} bytes; at most {MAX_HEADER_VALUE}", s.len()),
                );
            }
        }
    }
    if let Some(list) = config.get("attachments").and_then(Value::as_array) {
        if list.len() > MAX_ATTACHMENTS {
            c.push(
                "/attachments",
                format!("{} attachments; at most {MAX_ATTACHMENTS}", list.len()),
            );
        }
        for (i, a) in list.iter().enumerate() {
            attachment_problems(&mut c, i, a);
        }
    }
    c.problems
}

fn attachment_problems(c: &mut Checker, i: usize, a: &Value) {
    let at = |field: &str| format!("/attachments/{i}/{field}");
    let set: Vec<&str> = ["content", "content_base64", "path"]
        .into_iter()
        .filter(|f| a.get(*f).is_some_and(|v| !v.is_null()))
        .collect();
    match set.len() {
        0 => c.push(
            format!("/attachments/{i}"),
            "set one of `content`, `content_base64`, `path`",
        ),
        1 => {}
        _ => c.push(
            format!("/attachments/{i}"),
            "set only one of `content`, `content_base64`, `path`",
        ),
    }
    if a.get("filename").is_none_or(Value::is_null) && a.get("path").is_none_or(Value::is_null) {
        c.push(at("filename"), "required unless `path` is set");
    }
    if let Some(name) = a.get("filename") {
        c.no_line_breaks(&at("filename"), name);
        if let Some(s) = c.literal(name) {
            if s.trim().is_empty() {
                c.push(at("filename"), "the file name cannot be empty");
            } else if s.chars().any(char::is_control) {
                c.push(
                    at("filename"),
                    "the file name cannot hold control characters",
                );
            }
        }
    }
    if let Some(ct) = a.get("content_type") {
        c.no_line_breaks(&at("content_type"), ct);
        if let Some(s) = c.literal(ct)
            && ContentType::parse(s).is_err()
        {
            c.push(
                at("content_type"),
                format!("`{s}` is not a valid MIME type (e.g. application/pdf)"),
            );
        }
    }
    if let Some(b64) = a.get("content_base64")
        && let Some(s) = c.literal(b64)
        && let Err(e) = decode_base64(s)
    {
        c.push(at("content_base64"), format!("not valid base64: {e}"));
    }
    if let Some(path) = a.get("path")
        && let Some(s) = c.literal(path)
        && let Err(e) = crate::file::normalize(s)
    {
        c.push(at("path"), e.message);
    }
}

fn decode_base64(s: &str) -> Result<Vec<u8>, base64::DecodeError> {
    let compact: String = s.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    STANDARD.decode(compact)
}

/// A content type for a file name without one given.
fn guess_content_type(filename: &str) -> &'static str {
    let ext = Path::new(filename)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "txt" | "log" => "text/plain; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "html" | "htm" => "text/html; charset=utf-8",
        "md" => "text/markdown; charset=utf-8",
        "json" => "application/json",
        "xml" => "application/xml",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "webp" => "image/webp",
        "ics" => "text/calendar; charset=utf-8",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ => "application/octet-stream",
    }
}

// --- the SMTP server ---------------------------------------------------------------------------

/// An SMTP server as a credential describes it. `Debug` shows no secret.
struct Server {
    host: String,
    port: u16,
    tls: TlsMode,
    login: Option<(String, String)>,
    /// PEM certificates of a private CA to trust besides the platform's.
    ca_cert: Option<String>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Server({})", self.host_port())
    }
}

impl Server {
    fn host_port(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    fn target(&self) -> String {
        format!("the SMTP server at {}", self.host_port())
    }
}

fn credential_error(message: impl std::fmt::Display) -> NodeError {
    NodeError::config(format!(
        "invalid {} config: /credential: {message}",
        EmailSend::TYPE
    ))
}

/// The server from the credential `reference`; `tls` from the config wins over the URL's
/// scheme. Problems are `config` errors at `/credential` that never repeat its value.
async fn open_server(
    input: &NodeInput,
    reference: &str,
    tls: Option<TlsMode>,
) -> Result<Server, NodeError> {
    let secret = input.credential(reference).await.map_err(|e| {
        if e.kind == ErrorKind::Config {
            credential_error(e.message)
        } else {
            e
        }
    })?;
    let shape = format!(
        "credential `{reference}` must be an SMTP URL (smtp://user:pass@host:587, \
         smtps://…) or an object {{host, port, username, password, ca_cert}}"
    );
    match secret.value() {
        Value::String(url) => server_from_url(reference, url, tls),
        Value::Object(map) => {
            let text = |name: &str| map.get(name).and_then(Value::as_str).map(str::to_string);
            let ca_cert = text("ca_cert").filter(|pem| !pem.trim().is_empty());
            if let Some(url) = text("url") {
                let mut server = server_from_url(reference, &url, tls)?;
                if let Some(user) = text("username") {
                    let password = text("password").unwrap_or_default();
                    server.login = Some((user, password));
                }
                server.ca_cert = ca_cert;
                return Ok(server);
            }
            let host = text("host")
                .map(|h| h.trim().to_string())
                .filter(|h| !h.is_empty())
                .ok_or_else(|| credential_error(format!("{shape}; it has no `host`")))?;
            let tls = tls.unwrap_or(TlsMode::Starttls);
            let port = match map.get("port") {
                None | Some(Value::Null) => tls.default_port(),
                Some(Value::Number(n)) => n
                    .as_u64()
                    .and_then(|p| u16::try_from(p).ok())
                    .filter(|p| *p > 0)
                    .ok_or_else(|| {
                        credential_error(format!("credential `{reference}` has a bad `port`"))
                    })?,
                Some(Value::String(s)) => s.trim().parse::<u16>().map_err(|_| {
                    credential_error(format!("credential `{reference}` has a bad `port`"))
                })?,
                Some(_) => {
                    return Err(credential_error(format!(
                        "credential `{reference}` has a bad `port`"
                    )));
                }
            };
            let login = text("username")
                .filter(|u| !u.is_empty())
                .map(|u| (u, text("password").unwrap_or_default()));
            Ok(Server {
                host: host.trim_matches(['[', ']']).to_ascii_lowercase(),
                port,
                tls,
                login,
                ca_cert,
            })
        }
        _ => Err(credential_error(shape)),
    }
}

fn server_from_url(reference: &str, url: &str, tls: Option<TlsMode>) -> Result<Server, NodeError> {
    let url = Url::parse(url.trim()).map_err(|e| {
        credential_error(format!("credential `{reference}` is not a valid URL ({e})"))
    })?;
    let scheme_tls = match url.scheme() {
        "smtp" => TlsMode::Starttls,
        "smtps" => TlsMode::Tls,
        other => {
            return Err(credential_error(format!(
                "credential `{reference}` has the URL scheme `{other}`; use smtp or smtps"
            )));
        }
    };
    let tls = tls.unwrap_or(scheme_tls);
    let host = match url.host() {
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        Some(h) => h.to_string().to_ascii_lowercase(),
        None => String::new(),
    };
    if host.is_empty() {
        return Err(credential_error(format!(
            "credential `{reference}` has no host"
        )));
    }
    let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
    let user = decode(url.username());
    let login = (!user.is_empty()).then(|| (user, url.password().map(decode).unwrap_or_default()));
    Ok(Server {
        host,
        port: url.port().unwrap_or(tls.default_port()),
        tls,
        login,
        ca_cert: None,
    })
}

/// A lettre error as a node error. Never holds the login: lettre's errors carry the server's
/// reply or the IO error, not the credentials.
fn classify(e: &lettre::transport::smtp::Error, target: &str) -> NodeError {
    let detail = std::error::Error::source(e)
        .map(ToString::to_string)
        .unwrap_or_default();
    if let Some(code) = e.status() {
        let mut reply = format!("{code} {detail}").trim_end().to_string();
        if matches!(code.to_string().as_str(), "530" | "534" | "535") {
            reply.push_str(" (check the credential's user name and password)");
        }
        return if e.is_transient() {
            NodeError::transient(format!("{target} refused for now: {reply}"))
        } else {
            NodeError::permanent(format!("{target} refused: {reply}"))
        };
    }
    if e.is_timeout() {
        return NodeError::timeout(format!("{target} did not answer in time: {e}"));
    }
    // rustls reports a certificate it does not trust, or a failed handshake, as the cause of a
    // connection error; retrying cannot fix either.
    let chain = error_chain(e);
    if e.is_tls() || crate::tls::is_handshake_failure(&chain) {
        return NodeError::permanent(format!(
            "TLS with {target} failed (check its certificate and the `tls` setting): {e}"
        ));
    }
    if e.is_client() || e.is_response() {
        let hint = if detail.contains("STARTTLS") {
            " (set `tls` to `tls` for a server that speaks TLS from the start, or to `none` \
             for a local relay without encryption)"
        } else {
            ""
        };
        return NodeError::permanent(format!("sending via {target} failed: {e}{hint}"));
    }
    NodeError::transient(format!("could not send via {target}: {e}"))
}

/// `e` and its causes, as one text.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

fn retry_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        initial_interval_ms: 1_000,
        multiplier: 2.0,
        max_interval_ms: 30_000,
        jitter: Jitter::Full,
    }
}

// --- the message -------------------------------------------------------------------------------

/// An attachment's bytes and how to label them.
struct Part {
    filename: String,
    content_type: ContentType,
    bytes: Vec<u8>,
}

fn config_error(pointer: &str, message: impl std::fmt::Display) -> NodeError {
    crate::config::config_error(EmailSend::TYPE, pointer, message)
}

/// Reads the attachment file `path` under `base` (blocking), at most `limit` bytes. Paths
/// that cannot be used are `config` errors at `pointer`; a file too large is `permanent`.
fn read_attachment(
    base: &BaseDir,
    pointer: &str,
    path: &str,
    limit: usize,
) -> Result<Vec<u8>, NodeError> {
    let bad = |m: String| config_error(pointer, m);
    let too_big = |size: u64| {
        NodeError::permanent(format!(
            "{}: {pointer}: `{path}` is {size} bytes; the message may hold at most \
             {MAX_MESSAGE_BYTES} bytes in all",
            EmailSend::TYPE
        ))
    };
    let base = base.ensure()?;
    let resolved: PathBuf = resolve_within(&base, path).map_err(|e| bad(e.message))?;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // The path is canonical: a link in its last component now was swapped in since.
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(&resolved).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => bad(format!("`{path}` does not exist")),
        _ => bad(format!("`{path}` cannot be opened: {e}")),
    })?;
    let meta = file
        .metadata()
        .map_err(|e| bad(format!("`{path}` cannot be read: {e}")))?;
    if !meta.is_file() {
        return Err(bad(format!("`{path}` is not a regular file")));
    }
    if meta.len() > limit as u64 {
        return Err(too_big(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| NodeError::transient(format!("reading {pointer} failed: {e}")))?;
    if bytes.len() > limit {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(bytes)
}

impl EmailSend {
    /// The attachments' bytes, within the message budget `budget`.
    async fn attachments(
        &self,
        list: &[AttachmentConfig],
        mut budget: usize,
    ) -> Result<Vec<Part>, NodeError> {
        let too_big = |pointer: &str| {
            NodeError::permanent(format!(
                "{}: {pointer} makes the message larger than {MAX_MESSAGE_BYTES} bytes",
                EmailSend::TYPE
            ))
        };
        let mut parts = Vec::with_capacity(list.len());
        for (i, a) in list.iter().enumerate() {
            let (pointer, bytes) = if let Some(text) = &a.content {
                (
                    format!("/attachments/{i}/content"),
                    text.as_bytes().to_vec(),
                )
            } else if let Some(b64) = &a.content_base64 {
                let pointer = format!("/attachments/{i}/content_base64");
                let bytes = decode_base64(b64)
                    .map_err(|e| config_error(&pointer, format!("not valid base64: {e}")))?;
                (pointer, bytes)
            } else if let Some(path) = &a.path {
                let pointer = format!("/attachments/{i}/path");
                let base = self.files.clone();
                let p = path.clone();
                let at = pointer.clone();
                let bytes =
                    tokio::task::spawn_blocking(move || read_attachment(&base, &at, &p, budget))
                        .await
                        .map_err(|e| {
                            NodeError::permanent(format!("reading {pointer} failed: {e}"))
                        })??;
                (pointer, bytes)
            } else {
                return Err(config_error(
                    &format!("/attachments/{i}"),
                    "set one of `content`, `content_base64`, `path`",
                ));
            };
            budget = budget
                .checked_sub(bytes.len())
                .ok_or_else(|| too_big(&pointer))?;
            let filename = match (&a.filename, &a.path) {
                (Some(f), _) => f.trim().to_string(),
                (None, Some(p)) => Path::new(p)
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or("attachment")
                    .to_string(),
                (None, None) => "attachment".to_string(),
            };
            let ct_pointer = format!("/attachments/{i}/content_type");
            let content_type = match &a.content_type {
                Some(ct) => ContentType::parse(ct.trim())
                    .map_err(|_| config_error(&ct_pointer, format!("`{ct}` is not a MIME type")))?,
                None => ContentType::parse(guess_content_type(&filename))
                    .map_err(|_| config_error(&ct_pointer, "no content type"))?,
            };
            parts.push(Part {
                filename,
                content_type,
                bytes,
            });
        }
        Ok(parts)
    }
}

/// `<{sha256 hex of the idempotency key}@weft>`.
fn message_id(key: &str) -> String {
    use sha2_11::Digest as _;
    format!(
        "<{}@weft>",
        hex::encode(sha2_11::Sha256::digest(key.as_bytes()))
    )
}

fn build_message(
    cfg: &EmailConfig,
    id: String,
    attachments: Vec<Part>,
) -> Result<Message, NodeError> {
    let parse = |pointer: &str, s: &str| mailbox(s).map_err(|m| config_error(pointer, m));
    let mut b = Message::builder()
        .from(parse("/from", &cfg.from)?)
        .subject(cfg.subject.clone())
        .message_id(Some(id));
    for (pointer, s) in cfg.to.each("to") {
        b = b.to(parse(&pointer, s)?);
    }
    for (field, list) in [
        ("cc", &cfg.cc),
        ("bcc", &cfg.bcc),
        ("reply_to", &cfg.reply_to),
    ] {
        for (pointer, s) in list.iter().flat_map(|l| l.each(field)) {
            let m = parse(&pointer, s)?;
            b = match field {
                "cc" => b.cc(m),
                "bcc" => b.bcc(m),
                _ => b.reply_to(m),
            };
        }
    }
    for (name, value) in &cfg.headers {
        let pointer = format!("/headers/{}", weft_core::definition::escape_pointer(name));
        let header = HeaderName::new_from_ascii(name.clone())
            .map_err(|_| config_error(&pointer, "not a valid header name"))?;
        let value = value
            .as_str()
            .ok_or_else(|| config_error(&pointer, "header values are strings"))?;
        b = b.raw_header(HeaderValue::new(header, value.to_string()));
    }

    let message = match (&cfg.text, &cfg.html) {
        (None, None) => return Err(config_error("/", "set one of `text`, `html`")),
        (Some(text), Some(html)) if attachments.is_empty() => b.multipart(
            MultiPart::alternative_plain_html(text.clone(), html.clone()),
        ),
        (Some(text), None) if attachments.is_empty() => {
            b.singlepart(SinglePart::plain(text.clone()))
        }
        (None, Some(html)) if attachments.is_empty() => {
            b.singlepart(SinglePart::html(html.clone()))
        }
        (text, html) => {
            let mixed = MultiPart::mixed();
            let mut mixed = match (text, html) {
                (Some(t), Some(h)) => {
                    mixed.multipart(MultiPart::alternative_plain_html(t.clone(), h.clone()))
                }
                (Some(t), None) => mixed.singlepart(SinglePart::plain(t.clone())),
                (None, h) => mixed.singlepart(SinglePart::html(h.clone().unwrap_or_default())),
            };
            for part in attachments {
                let encoded = Body::new_with_encoding(part.bytes, ContentTransferEncoding::Base64)
                    .map_err(|_| NodeError::permanent("an attachment could not be encoded"))?;
                mixed = mixed
                    .singlepart(Attachment::new(part.filename).body(encoded, part.content_type));
            }
            b.multipart(mixed)
        }
    };
    message.map_err(|e| {
        NodeError::config(format!(
            "{}: cannot build the message: {e}",
            EmailSend::TYPE
        ))
    })
}

// --- the schema --------------------------------------------------------------------------------

fn address_list_schema(field: &str, title: &str, what: &str, example: &str) -> Value {
    let limit = if field == "reply_to" {
        String::new()
    } else {
        format!(" At most {MAX_RECIPIENTS} recipients in to, cc and bcc together.")
    };
    json!({
        "type": ["string", "array"],
        "title": title,
        "description": format!(
            "{what}: one address (`a@example.com` or `Name <a@example.com>`) or a list of \
             them. Each is checked; a bad one fails the node naming it (e.g. /{field}/1). May \
             be a {{{{ }}}} template.{limit}"
        ),
        "items": {
            "type": "string",
            "title": "Address",
            "description": "One e-mail address, optionally with a display name: \
                            `Name <a@example.com>`.",
            "minLength": 3
        },
        "minLength": 3,
        "minItems": 1,
        "examples": [example, [example, "Ops <ops@example.com>"]]
    })
}

fn schema() -> Value {
    let mut schema = object_schema(
        "Send e-mail",
        json!({
            "credential": {
                "type": "string",
                "x-weft-widget": "credential",
                "title": "Credential",
                "description": "Id or name of the credential holding the SMTP server: a URL \
                                such as `smtp://user:pass@mail.example.com:587` (STARTTLS) or \
                                `smtps://user:pass@mail.example.com:465` (implicit TLS), or an \
                                object {host, port, username, password, ca_cert} (username \
                                and password optional: no AUTH without them; ca_cert: the PEM \
                                certificate of a private CA to trust besides the platform's, \
                                also allowed beside a `url`). The login never appears in \
                                outputs or errors.",
                "minLength": 1,
                "examples": ["smtp-main"]
            },
            "tls": {
                "type": "string",
                "title": "Connection security",
                "description": "starttls: connect in plain text and upgrade with STARTTLS, \
                                which the server must offer (the default for smtp:// and \
                                objects); tls: TLS from the first byte (the default for \
                                smtps://); none: no encryption at all — only for a relay on \
                                the local machine or a trusted network, as the login and the \
                                message travel in clear text. Set here, it wins over the \
                                credential URL's scheme. Default port: 587 (starttls), 465 \
                                (tls), 25 (none).",
                "enum": ["none", "starttls", "tls"],
                "default": "starttls"
            },
            "timeout_ms": {
                "type": "integer",
                "title": "Timeout (ms)",
                "description": "Time limit of the whole send (connecting, TLS, login, \
                                transfer); never more than the node's own time limit.",
                "minimum": 1,
                "maximum": MAX_TIMEOUT_MS,
                "default": DEFAULT_TIMEOUT_MS
            },
            "from": {
                "type": "string",
                "title": "From",
                "description": "The sender: `a@example.com` or `Name <a@example.com>`. The \
                                server may require it to match the login. Also the envelope \
                                sender (MAIL FROM).",
                "minLength": 3,
                "examples": ["Weft <noreply@example.com>"]
            },
            "to": address_list_schema("to", "To", "Recipients shown in the To header", "a@example.com"),
            "cc": address_list_schema("cc", "Cc", "Recipients shown in the Cc header", "boss@example.com"),
            "bcc": address_list_schema(
                "bcc",
                "Bcc",
                "Hidden recipients: they get the message, but no header names them",
                "archive@example.com"
            ),
            "reply_to": address_list_schema(
                "reply_to",
                "Reply-To",
                "Where replies should go, when not to the sender",
                "support@example.com"
            ),
            "subject": {
                "type": "string",
                "title": "Subject",
                "description": "The subject line; may be a {{ }} template. No line breaks. \
                                Non-ASCII text is encoded as the standard requires.",
                "examples": ["Order {{ .input.id }} shipped"]
            },
            "text": {
                "type": "string",
                "title": "Text body",
                "description": "The plain-text body. Set text, html or both (both: the \
                                recipient's program shows the one it prefers).",
                "examples": ["Hello {{ .input.name }},\n\nyour order has shipped."]
            },
            "html": {
                "type": "string",
                "title": "HTML body",
                "description": "The HTML body. Set text, html or both; with only html, some \
                                programs show nothing readable in plain-text mode.",
                "examples": ["<p>Hello {{ .input.name }},</p><p>your order has shipped.</p>"]
            },
            "headers": {
                "type": "object",
                "title": "Extra headers",
                "description": format!(
                    "More headers, name → value, e.g. {{\"X-Campaign\": \"spring\"}}. Names are \
                     printable ASCII without spaces or `:`; values have no line breaks (header \
                     injection is refused). Headers the node sets itself (From, To, Cc, Bcc, \
                     Reply-To, Subject, Message-ID, Date, MIME-Version, Content-Type…) are \
                     refused. At most {MAX_HEADERS}."
                ),
                "additionalProperties": {
                    "type": "string",
                    "title": "Header value",
                    "description": format!(
                        "The header's value; no line breaks, at most {MAX_HEADER_VALUE} bytes."
                    )
                },
                "examples": [{"X-Campaign": "spring", "List-Unsubscribe": "<mailto:unsub@example.com>"}]
            },
            "attachments": {
                "type": "array",
                "title": "Attachments",
                "description": format!(
                    "Files attached to the message, each from text (content), base64 \
                     (content_base64) or a file under the operator's file base directory \
                     (path). At most {MAX_ATTACHMENTS}; the whole message, encoded, at most \
                     {MAX_MESSAGE_BYTES} bytes (10 MiB)."
                ),
                "items": {
                    "type": "object",
                    "title": "Attachment",
                    "description": "One attachment: a file name and exactly one of content, \
                                    content_base64, path.",
                    "additionalProperties": false,
                    "properties": {
                        "filename": {
                            "type": "string",
                            "title": "File name",
                            "description": "The name the recipient sees, e.g. report.pdf. \
                                            Required unless path is set (then it defaults to \
                                            the file's name).",
                            "minLength": 1,
                            "examples": ["report.pdf"]
                        },
                        "content_type": {
                            "type": "string",
                            "title": "Content type",
                            "description": "The MIME type, e.g. application/pdf; guessed from \
                                            the file name's extension when absent \
                                            (application/octet-stream when unknown).",
                            "examples": ["application/pdf", "text/csv; charset=utf-8"]
                        },
                        "content": {
                            "type": "string",
                            "title": "Text content",
                            "description": "The attachment's content as text (sent as UTF-8); \
                                            may be a {{ }} template.",
                            "examples": ["{{ .nodes.report.csv }}"]
                        },
                        "content_base64": {
                            "type": "string",
                            "title": "Base64 content",
                            "description": "The attachment's bytes, base64-encoded (standard \
                                            alphabet, padding; whitespace ignored), e.g. from \
                                            file.read with encoding base64.",
                            "examples": ["{{ .nodes.read_pdf.content }}"]
                        },
                        "path": {
                            "type": "string",
                            "title": "File path",
                            "description": "A file relative to the operator's file base \
                                            directory (WEFT_FILES_DIR), e.g. reports/may.pdf. \
                                            Absolute paths, .. that climbs out and symbolic \
                                            links leading out are refused.",
                            "examples": ["reports/{{ .input.month }}.pdf"]
                        }
                    },
                    "oneOf": [
                        {"required": ["content"]},
                        {"required": ["content_base64"]},
                        {"required": ["path"]}
                    ]
                }
            }
        }),
        &["credential", "from", "to", "subject"],
    );
    schema["anyOf"] = json!([{"required": ["text"]}, {"required": ["html"]}]);
    schema
}

fn send_timeout(timeout_ms: Option<u64>, input: &NodeInput) -> Duration {
    let wanted = Duration::from_millis(
        timeout_ms
            .unwrap_or(DEFAULT_TIMEOUT_MS)
            .clamp(1, MAX_TIMEOUT_MS),
    );
    input.timeout.map_or(wanted, |limit| wanted.min(limit))
}

#[async_trait]
impl Node for EmailSend {
    fn spec(&self) -> NodeSpec {
        NodeSpec {
            type_name: Self::TYPE.to_string(),
            category: "notify".to_string(),
            description: format!(
                "Sends an e-mail through an SMTP server (STARTTLS, implicit TLS or, for local \
                 relays, plain) with text and/or HTML bodies, cc/bcc, extra headers and up to \
                 {MAX_ATTACHMENTS} attachments (text, base64 or files under the file base \
                 directory); the message is at most 10 MiB. Outputs {{message_id, accepted, \
                 response}}: the Message-ID (derived from the activation's idempotency key, \
                 so a retried send can be recognised as a duplicate), the recipients the \
                 server accepted and its final reply. Unreachable servers and 4xx replies are \
                 retried; 5xx replies (refused recipient or login) fail with the server's \
                 reply. The SMTP host comes from the credential and is not subject to the \
                 HTTP private-address guard (operators configure it)."
            ),
            trigger: false,
            ports: Ports::main(),
            schema: schema(),
            filter_fields: Vec::new(),
            raw_fields: Vec::new(),
            default_retry: Some(retry_policy()),
        }
    }

    fn check_config(&self, config: &Value) -> Vec<ConfigProblem> {
        problems(config, true)
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let cfg: EmailConfig = parse_config(Self::TYPE, &input.config)?;
        let found = problems(&input.config, false);
        if !found.is_empty() {
            return Err(problems_to_error(Self::TYPE, &found));
        }
        let body_bytes =
            cfg.text.as_ref().map_or(0, String::len) + cfg.html.as_ref().map_or(0, String::len);
        let budget = MAX_MESSAGE_BYTES.checked_sub(body_bytes).ok_or_else(|| {
            NodeError::permanent(format!(
                "{}: the bodies are {body_bytes} bytes, more than the message limit of \
                 {MAX_MESSAGE_BYTES} bytes",
                Self::TYPE
            ))
        })?;
        let attachments = self.attachments(&cfg.attachments, budget).await?;
        let id = message_id(&input.idempotency_key());
        let message = build_message(&cfg, id.clone(), attachments)?;
        let raw = message.formatted();
        if raw.len() > MAX_MESSAGE_BYTES {
            return Err(NodeError::permanent(format!(
                "{}: the encoded message is {} bytes, more than the limit of \
                 {MAX_MESSAGE_BYTES} bytes",
                Self::TYPE,
                raw.len()
            )));
        }
        let envelope = message.envelope().clone();
        let accepted: Vec<String> = envelope.to().iter().map(ToString::to_string).collect();

        let server = open_server(&input, &cfg.credential, cfg.tls).await?;
        let target = server.target();
        let timeout = send_timeout(cfg.timeout_ms, &input);
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&server.host)
            .port(server.port)
            .timeout(Some(timeout));
        builder = match server.tls {
            TlsMode::None => builder.tls(Tls::None),
            mode => {
                let mut params = TlsParameters::builder(server.host.clone());
                if let Some(pem) = &server.ca_cert {
                    // Text without a PEM block would parse as no certificate at all.
                    let ca = crate::tls::parse_ca(pem)
                        .map_err(|_| ())
                        .and_then(|_| Certificate::from_pem(pem.as_bytes()).map_err(|_| ()))
                        .map_err(|()| {
                            credential_error(format!(
                                "credential `{}`: `ca_cert` is not a PEM certificate",
                                cfg.credential
                            ))
                        })?;
                    params = params.add_root_certificate(ca);
                }
                let params = params.build().map_err(|e| {
                    NodeError::permanent(format!("TLS for {target} cannot be set up: {e}"))
                })?;
                builder.tls(if mode == TlsMode::Tls {
                    Tls::Wrapper(params)
                } else {
                    Tls::Required(params)
                })
            }
        };
        if let Some((user, password)) = &server.login {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        let transport = builder.build::<Tokio1Executor>();

        let response = input
            .guarded(&server.host_port(), async {
                match tokio::time::timeout(timeout, transport.send_raw(&envelope, &raw)).await {
                    Err(_) => Err(NodeError::timeout(format!(
                        "sending via {target} timed out after {} ms",
                        timeout.as_millis()
                    ))),
                    Ok(Err(e)) => Err(classify(&e, &target)),
                    Ok(Ok(response)) => Ok(response),
                }
            })
            .await?;
        let reply = response.message().collect::<Vec<_>>().join(" ");
        Ok(NodeOutput::main(json!({
            "message_id": id,
            "accepted": accepted,
            "response": format!("{} {reply}", response.code()).trim_end(),
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_follow_the_idempotency_key() {
        let a = message_id("exec/node");
        assert_eq!(a, message_id("exec/node"));
        assert_ne!(a, message_id("exec/other"));
        assert!(a.starts_with('<') && a.ends_with("@weft>") && a.len() == 64 + 7);
    }

    #[test]
    fn urls_give_host_port_tls_and_login() {
        let s = server_from_url("c", "smtp://u%40x:p%3Ass@Mail.Example.com", None).unwrap();
        assert_eq!(s.host_port(), "mail.example.com:587");
        assert_eq!(s.tls, TlsMode::Starttls);
        assert_eq!(s.login, Some(("u@x".to_string(), "p:ss".to_string())));
        let s = server_from_url("c", "smtps://h", None).unwrap();
        assert_eq!(
            (s.port, s.tls, s.login.is_none()),
            (465, TlsMode::Tls, true)
        );
        let s = server_from_url("c", "smtp://h:2525", Some(TlsMode::None)).unwrap();
        assert_eq!((s.port, s.tls), (2525, TlsMode::None));
        let e = server_from_url("c", "http://u:secret@h", None).unwrap_err();
        assert!(e.message.contains("/credential") && !e.message.contains("secret"));
        assert_eq!(format!("{s:?}"), "Server(h:2525)");
    }

    #[test]
    fn header_names_are_checked_and_reserved_ones_refused() {
        assert!(header_name_problem("X-Campaign").is_none());
        assert!(header_name_problem("Bad Name").is_some());
        assert!(header_name_problem("Bad:Name").is_some());
        assert!(header_name_problem("").is_some());
        assert!(header_name_problem("BCC").unwrap().contains("`bcc` field"));
    }

    #[test]
    fn design_time_checks_skip_templates() {
        let p = problems(
            &json!({
                "from": "{{ .input.from }}",
                "to": ["a@example.com", "{{ .input.to }}", "nope"],
                "subject": "x",
                "text": "t",
                "attachments": [{"path": "../x"}, {"filename": "a", "content": "x", "path": "y"}]
            }),
            true,
        );
        let pointers: Vec<&str> = p.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            vec!["/to/2", "/attachments/0/path", "/attachments/1"],
            "{p:?}"
        );
    }

    #[test]
    fn content_types_are_guessed() {
        assert_eq!(guess_content_type("a.PDF"), "application/pdf");
        assert_eq!(guess_content_type("noext"), "application/octet-stream");
        for ext in ["a.txt", "a.csv", "a.xlsx", "a.json"] {
            assert!(ContentType::parse(guess_content_type(ext)).is_ok(), "{ext}");
        }
    }
}

//! File node types: `file.read`, `file.write`, `file.list`, `file.delete`, confined to one
//! base directory.
//!
//! Workflows exchange files with the machine they run on: a CSV export to pick up, a report
//! to leave for another system, a drop folder to watch. Workflow authors are not operators,
//! so these nodes may only touch files under the operator's base directory
//! ([`FileOptions::base_dir`], `WEFT_FILES_DIR`, default `./weft-data/files`). Every path in
//! a config is relative to it, and [`resolve_within`] refuses what would leave it: absolute
//! paths, `..` that climbs out, and symbolic links (at any level) whose target is outside.
//! Beyond that check, the final component is opened with `O_NOFOLLOW` (a link swapped in
//! after the check is not followed), on Linux the opened file's real path is checked again
//! through `/proc/self/fd`, and directories created for a write are re-checked after they
//! exist. Writes that overwrite go through a temporary file and a rename, so a reader never
//! sees half a file.
//!
//! All file IO is blocking and runs on tokio's blocking pool (`spawn_blocking`).
//! [`BaseDir`] / [`resolve_within`] are public so other node types that take file paths
//! (e-mail attachments, for one) confine them the same way.

use crate::Node;
use crate::config::kind_of;
use crate::config::{object_schema, parse_config};
use crate::http::HttpClient;
use crate::options::NodeOptions;
use crate::registry::RegistryError;
use crate::{NodeInput, NodeOutput};
use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::{Value, json};
use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use weft_core::catalog::ConfigProblem;
use weft_core::{NodeError, NodeSpec, Ports};

/// The variable naming the base directory.
pub const FILES_DIR_ENV: &str = "WEFT_FILES_DIR";
/// The base directory when none is configured (relative to the working directory).
pub const DEFAULT_BASE_DIR: &str = "./weft-data/files";
/// The largest file `file.read` reads unless the operator changes it.
pub const DEFAULT_MAX_READ_BYTES: u64 = 10 * 1024 * 1024;
/// The most bytes one `file.write` writes.
pub const MAX_WRITE_BYTES: usize = 10 * 1024 * 1024;
/// The default and the largest `max_entries` of `file.list`.
pub const DEFAULT_MAX_ENTRIES: usize = 1000;
pub const MAX_MAX_ENTRIES: usize = 100_000;
/// How deep a recursive `file.list` descends.
pub const MAX_LIST_DEPTH: usize = 32;
/// Temporary files of writes in progress end with this (and are not listed).
const TEMP_SUFFIX: &str = ".weft-tmp";

/// Settings of the file node types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileOptions {
    /// The directory every file node is confined to (created on first use).
    pub base_dir: PathBuf,
    /// The largest file `file.read` reads; a node's `max_bytes` may only lower it.
    pub max_read_bytes: u64,
}

impl Default for FileOptions {
    fn default() -> Self {
        Self {
            base_dir: PathBuf::from(DEFAULT_BASE_DIR),
            max_read_bytes: DEFAULT_MAX_READ_BYTES,
        }
    }
}

impl FileOptions {
    /// Defaults, with the base directory from `WEFT_FILES_DIR` when it is set and not empty.
    pub fn from_env() -> Self {
        Self::from_var(std::env::var_os(FILES_DIR_ENV))
    }

    fn from_var(value: Option<OsString>) -> Self {
        match value {
            Some(dir) if !dir.is_empty() => Self {
                base_dir: PathBuf::from(dir),
                ..Self::default()
            },
            _ => Self::default(),
        }
    }
}

// --- confinement ------------------------------------------------------------------------------

/// A directory file paths are confined to. Its methods do blocking IO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseDir {
    root: PathBuf,
}

impl BaseDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The directory as configured.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Creates the directory if it is missing; its canonical path.
    pub fn ensure(&self) -> Result<PathBuf, NodeError> {
        fs::create_dir_all(&self.root)
            .and_then(|()| fs::canonicalize(&self.root))
            .map_err(|e| {
                NodeError::permanent(format!("the file base directory is not usable: {e}"))
            })
    }

    /// [`resolve_within`] this directory.
    pub fn resolve(&self, relative: &str) -> Result<PathBuf, NodeError> {
        resolve_within(&self.root, relative)
    }
}

/// Why a relative path is refused, without the field it came from.
fn refused(message: String) -> NodeError {
    NodeError::permanent(message)
}

/// The components of `relative` after removing `.` and applying `..` lexically, or why the
/// path may not be used: it is absolute, holds a NUL byte or climbs above the base.
/// `""` and `"."` are the base itself (no components).
pub fn normalize(relative: &str) -> Result<Vec<OsString>, NodeError> {
    if relative.contains('\0') {
        return Err(refused(format!("`{relative}` holds a NUL byte")));
    }
    let path = Path::new(relative);
    if path.is_absolute() || path.has_root() || relative.starts_with('\\') {
        return Err(refused(format!(
            "`{relative}` is absolute; paths are relative to the file base directory"
        )));
    }
    let mut parts: Vec<OsString> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if parts.pop().is_none() {
                    return Err(refused(format!(
                        "`{relative}` leaves the file base directory (`..`)"
                    )));
                }
            }
            Component::Normal(s) => parts.push(s.to_os_string()),
            Component::RootDir | Component::Prefix(_) => {
                return Err(refused(format!(
                    "`{relative}` is absolute; paths are relative to the file base directory"
                )));
            }
        }
    }
    Ok(parts)
}

/// `relative` resolved under `base`: the absolute path to use, with every existing component
/// canonical (symbolic links resolved) and checked to be inside `base`. Refuses absolute
/// paths, `..` that leaves `base`, symbolic links whose target is outside `base` (or does not
/// exist), at any level. The part of the path that does not exist yet is appended as given;
/// whoever creates it should open the final component without following links and check
/// again after creating (as the file nodes do). Errors are `permanent`. Blocking IO;
/// `base` must exist.
pub fn resolve_within(base: &Path, relative: &str) -> Result<PathBuf, NodeError> {
    let parts = normalize(relative)?;
    let base = fs::canonicalize(base)
        .map_err(|e| NodeError::permanent(format!("the file base directory is not usable: {e}")))?;
    resolve_parts(&base, &parts, relative)
}

/// [`resolve_within`] with the base canonical and the path normalized already.
fn resolve_parts(base: &Path, parts: &[OsString], shown: &str) -> Result<PathBuf, NodeError> {
    let mut current = base.to_path_buf();
    let mut rest = parts.iter();
    for part in rest.by_ref() {
        let candidate = current.join(part);
        match fs::symlink_metadata(&candidate) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = fs::canonicalize(&candidate).map_err(|_| {
                    refused(format!(
                        "`{shown}` goes through a symbolic link whose target does not exist"
                    ))
                })?;
                if !target.starts_with(base) {
                    return Err(refused(format!(
                        "`{shown}` goes through a symbolic link that leads outside the file \
                         base directory"
                    )));
                }
                current = target;
            }
            Ok(_) => current = candidate,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                current = candidate;
                break;
            }
            Err(e) if e.kind() == io::ErrorKind::NotADirectory => {
                return Err(refused(format!(
                    "`{shown}`: a parent of it is a file, not a directory"
                )));
            }
            Err(e) => return Err(io_error(shown, e)),
        }
    }
    for part in rest {
        current.push(part);
    }
    Ok(current)
}

/// Checks that an opened file is inside `base` (where the OS can tell: Linux's
/// `/proc/self/fd`), catching a link swapped in between the check and the open.
fn verify_opened(file: &File, base: &Path, shown: &str) -> Result<(), NodeError> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        if let Ok(real) = fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd()))
            && !real.starts_with(base)
        {
            return Err(refused(format!(
                "`{shown}` was replaced by a link leading outside the file base directory"
            )));
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (file, base, shown);
    Ok(())
}

/// Opening without following a symbolic link in the final component, and without blocking
/// on a FIFO.
fn no_follow(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    options
}

fn is_loop(e: &io::Error) -> bool {
    #[cfg(unix)]
    {
        e.raw_os_error() == Some(libc::ELOOP)
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}

/// An IO error as a node error: what went wrong with `shown` (never the absolute path).
/// Problems a retry cannot fix are `permanent`; the rest (disk full, IO errors) `transient`.
fn io_error(shown: &str, e: io::Error) -> NodeError {
    use io::ErrorKind as K;
    let permanent = |what: &str| NodeError::permanent(format!("`{shown}` {what}"));
    if is_loop(&e) {
        return permanent("is a symbolic link; links are not followed here");
    }
    match e.kind() {
        K::NotFound => permanent("does not exist"),
        K::PermissionDenied => permanent("cannot be accessed: permission denied"),
        K::AlreadyExists => permanent("already exists"),
        K::IsADirectory => permanent("is a directory"),
        K::NotADirectory => permanent("has a parent that is a file, not a directory"),
        K::DirectoryNotEmpty => permanent("is a directory that is not empty"),
        K::InvalidInput | K::InvalidFilename => permanent(&format!("is not a valid path: {e}")),
        _ => NodeError::transient(format!("`{shown}`: {e}")),
    }
}

/// Puts the field's pointer and the type in front of a node error's message.
fn at_field(type_name: &str, field: &str, e: NodeError) -> NodeError {
    NodeError {
        message: format!("{type_name}: /{field}: {}", e.message),
        ..e
    }
}

/// Runs blocking file work on the blocking pool.
async fn blocking<T: Send + 'static>(
    type_name: &'static str,
    work: impl FnOnce() -> Result<T, NodeError> + Send + 'static,
) -> Result<T, NodeError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        NodeError::permanent(format!(
            "{type_name}: the file operation did not finish: {e}"
        ))
    })?
}

fn modified(meta: &fs::Metadata) -> Value {
    meta.modified()
        .ok()
        .and_then(|t| jiff::Timestamp::try_from(t).ok())
        .and_then(|t| jiff::Timestamp::from_millisecond(t.as_millisecond()).ok())
        .map_or(Value::Null, |t| Value::String(t.to_string()))
}

/// The normalized relative path, `/`-separated (what outputs show).
fn display(parts: &[OsString]) -> String {
    parts
        .iter()
        .map(|p| p.to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Design-time problems of a literal `path` field.
fn path_problems(config: &Value, field: &str) -> Vec<ConfigProblem> {
    match config.get(field).and_then(Value::as_str) {
        Some(p) if !weft_core::expr::Template::is_template(p) => match normalize(p) {
            Ok(_) => Vec::new(),
            Err(e) => vec![ConfigProblem {
                pointer: format!("/{field}"),
                message: e.message,
            }],
        },
        _ => Vec::new(),
    }
}

fn path_property(description: &str) -> Value {
    json!({
        "type": "string",
        "title": "Path",
        "description": description,
        "minLength": 1,
        "examples": ["reports/{{ .execution.id }}.csv"]
    })
}

fn spec(type_name: &str, description: &str, schema: Value) -> NodeSpec {
    NodeSpec {
        type_name: type_name.to_string(),
        category: "file".to_string(),
        description: description.to_string(),
        trigger: false,
        ports: Ports::main(),
        schema,
        filter_fields: Vec::new(),
        raw_fields: Vec::new(),
        default_retry: None,
    }
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
enum Encoding {
    #[default]
    Utf8,
    Base64,
    Json,
}

fn encoding_property(description: &str) -> Value {
    json!({
        "type": "string",
        "title": "Encoding",
        "description": description,
        "enum": ["utf8", "base64", "json"],
        "default": "utf8"
    })
}

/// What every file node holds: its base directory and limits.
#[derive(Debug, Clone)]
struct Shared {
    base: BaseDir,
    max_read_bytes: u64,
}

impl Shared {
    fn new(options: &FileOptions) -> Arc<Self> {
        Arc::new(Self {
            base: BaseDir::new(options.base_dir.clone()),
            max_read_bytes: options.max_read_bytes,
        })
    }
}

// --- file.read --------------------------------------------------------------------------------

/// `file.read`.
#[derive(Debug, Clone)]
pub struct ReadNode {
    shared: Arc<Shared>,
}

impl ReadNode {
    pub const TYPE: &'static str = "file.read";

    pub fn new(options: &FileOptions) -> Self {
        Self {
            shared: Shared::new(options),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadConfig {
    path: String,
    #[serde(default)]
    encoding: Encoding,
    #[serde(default)]
    max_bytes: Option<u64>,
}

#[async_trait]
impl Node for ReadNode {
    fn spec(&self) -> NodeSpec {
        spec(
            Self::TYPE,
            "Reads a file under the file base directory. Outputs {path, size, modified, \
             content}: content is the text (utf8), base64 of the bytes (base64) or the parsed \
             value (json). Paths that leave the base directory (absolute, .., links leading \
             out) are refused.",
            object_schema(
                "Read file",
                json!({
                    "path": path_property(
                        "The file, relative to the file base directory, e.g. inbox/orders.csv; \
                         may be a {{ }} template. Absolute paths, .. that climbs out and \
                         symbolic links leading out are refused."),
                    "encoding": encoding_property(
                        "utf8: the content as text (a file that is not UTF-8 fails); base64: \
                         the bytes as base64 text (any file); json: the content parsed as \
                         JSON."),
                    "max_bytes": {
                        "type": "integer",
                        "title": "Most bytes",
                        "description": "A larger file fails the node. Capped by the operator's \
                                        limit (10 MiB unless changed).",
                        "minimum": 1
                    }
                }),
                &["path"],
            ),
        )
    }

    fn check_config(&self, config: &Value) -> Vec<ConfigProblem> {
        path_problems(config, "path")
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let config: ReadConfig = parse_config(Self::TYPE, &input.config)?;
        let shared = Arc::clone(&self.shared);
        let limit = config
            .max_bytes
            .map_or(shared.max_read_bytes, |m| m.min(shared.max_read_bytes));
        let out = blocking(Self::TYPE, move || read(&shared, &config, limit)).await?;
        Ok(NodeOutput::main(out))
    }
}

fn read(shared: &Shared, config: &ReadConfig, limit: u64) -> Result<Value, NodeError> {
    let t = ReadNode::TYPE;
    let field = |e: NodeError| at_field(t, "path", e);
    let parts = normalize(&config.path).map_err(field)?;
    let shown = display(&parts);
    let base = shared.base.ensure().map_err(|e| at_field(t, "path", e))?;
    let path = resolve_parts(&base, &parts, &config.path).map_err(field)?;
    let mut file = no_follow(OpenOptions::new().read(true))
        .open(&path)
        .map_err(|e| field(io_error(&shown, e)))?;
    verify_opened(&file, &base, &shown).map_err(field)?;
    let meta = file.metadata().map_err(|e| field(io_error(&shown, e)))?;
    if !meta.is_file() {
        return Err(field(NodeError::permanent(format!(
            "`{shown}` is not a regular file{}",
            if meta.is_dir() {
                " (a directory: use file.list)"
            } else {
                ""
            }
        ))));
    }
    let too_big = |size: u64| {
        NodeError::permanent(format!(
            "{t}: /path: `{shown}` is {size} bytes, more than the limit of {limit} (max_bytes)"
        ))
    };
    if meta.len() > limit {
        return Err(too_big(meta.len()));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    (&mut file)
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| field(io_error(&shown, e)))?;
    let size = bytes.len() as u64;
    if size > limit {
        return Err(too_big(size));
    }
    let content = match config.encoding {
        Encoding::Utf8 => Value::String(String::from_utf8(bytes).map_err(|_| {
            NodeError::permanent(format!(
                "{t}: `{shown}` is not UTF-8 text; read it with encoding base64"
            ))
        })?),
        Encoding::Base64 => Value::String(STANDARD.encode(&bytes)),
        Encoding::Json => serde_json::from_slice(&bytes)
            .map_err(|e| NodeError::permanent(format!("{t}: `{shown}` is not valid JSON: {e}")))?,
    };
    Ok(json!({
        "path": shown,
        "size": size,
        "modified": modified(&meta),
        "content": content,
    }))
}

// --- file.write -------------------------------------------------------------------------------

/// `file.write`.
#[derive(Debug, Clone)]
pub struct WriteNode {
    shared: Arc<Shared>,
}

impl WriteNode {
    pub const TYPE: &'static str = "file.write";

    pub fn new(options: &FileOptions) -> Self {
        Self {
            shared: Shared::new(options),
        }
    }
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
enum WriteMode {
    #[default]
    Overwrite,
    Append,
    CreateNew,
}

impl WriteMode {
    fn as_str(self) -> &'static str {
        match self {
            WriteMode::Overwrite => "overwrite",
            WriteMode::Append => "append",
            WriteMode::CreateNew => "create_new",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WriteConfig {
    path: String,
    content: Value,
    #[serde(default)]
    encoding: Encoding,
    #[serde(default)]
    mode: WriteMode,
}

#[async_trait]
impl Node for WriteNode {
    fn spec(&self) -> NodeSpec {
        spec(
            Self::TYPE,
            "Writes a file under the file base directory, creating missing parent \
             directories. overwrite replaces the file atomically (temporary file + rename), \
             append adds to its end, create_new fails if it exists. Outputs {path, size, \
             mode}. At most 10 MiB per write.",
            object_schema(
                "Write file",
                json!({
                    "path": path_property(
                        "The file, relative to the file base directory, e.g. \
                         out/report.txt; may be a {{ }} template. Absolute paths, .. that \
                         climbs out and symbolic links leading out are refused."),
                    "content": {
                        "title": "Content",
                        "description": "What to write, usually a {{ }} template: text \
                                        (utf8), base64 text of the bytes (base64), or any \
                                        value, written as one line of JSON (json; with \
                                        append this makes JSON Lines).",
                        "examples": ["{{ .prev.text }}"]
                    },
                    "encoding": encoding_property(
                        "utf8: content is text, written as UTF-8; base64: content is base64 \
                         text, its decoded bytes are written; json: content is any value, \
                         written as compact JSON and a line break."),
                    "mode": {
                        "type": "string",
                        "title": "Mode",
                        "description": "overwrite: replace the file (atomically); append: \
                                        add to the end (creating the file if missing); \
                                        create_new: fail if the file exists.",
                        "enum": ["overwrite", "append", "create_new"],
                        "default": "overwrite"
                    }
                }),
                &["path", "content"],
            ),
        )
    }

    fn check_config(&self, config: &Value) -> Vec<ConfigProblem> {
        path_problems(config, "path")
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let config: WriteConfig = parse_config(Self::TYPE, &input.config)?;
        let t = Self::TYPE;
        let bytes = match config.encoding {
            Encoding::Utf8 => match &config.content {
                Value::String(s) => s.clone().into_bytes(),
                other => {
                    return Err(NodeError::config(format!(
                        "invalid {t} config: /content: expected text for encoding utf8, got \
                         {}; use encoding json to write a value as JSON",
                        kind_of(other)
                    )));
                }
            },
            Encoding::Base64 => match &config.content {
                Value::String(s) => STANDARD.decode(s.trim()).map_err(|e| {
                    NodeError::config(format!(
                        "invalid {t} config: /content: not base64 text: {e}"
                    ))
                })?,
                other => {
                    return Err(NodeError::config(format!(
                        "invalid {t} config: /content: expected base64 text, got {}",
                        kind_of(other)
                    )));
                }
            },
            Encoding::Json => {
                let mut b = serde_json::to_vec(&config.content)
                    .map_err(|e| NodeError::permanent(format!("{t}: {e}")))?;
                b.push(b'\n');
                b
            }
        };
        if bytes.len() > MAX_WRITE_BYTES {
            return Err(NodeError::permanent(format!(
                "{t}: /content: {} bytes is more than the limit of {MAX_WRITE_BYTES}",
                bytes.len()
            )));
        }
        let shared = Arc::clone(&self.shared);
        let out = blocking(t, move || write(&shared, &config, &bytes)).await?;
        Ok(NodeOutput::main(out))
    }
}

fn write(shared: &Shared, config: &WriteConfig, bytes: &[u8]) -> Result<Value, NodeError> {
    let t = WriteNode::TYPE;
    let field = |e: NodeError| at_field(t, "path", e);
    let parts = normalize(&config.path).map_err(field)?;
    let shown = display(&parts);
    let Some(name) = parts.last().cloned() else {
        return Err(field(NodeError::permanent(format!(
            "`{}` names the base directory itself, not a file",
            config.path
        ))));
    };
    let base = shared.base.ensure().map_err(field)?;
    let path = resolve_parts(&base, &parts, &config.path).map_err(field)?;
    let parent = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| base.clone());
    fs::create_dir_all(&parent).map_err(|e| field(io_error(&shown, e)))?;
    // Re-check what was created: a link swapped in meanwhile must not lead out.
    let real_parent = fs::canonicalize(&parent).map_err(|e| field(io_error(&shown, e)))?;
    if !real_parent.starts_with(&base) {
        return Err(field(refused(format!(
            "`{shown}`: its directory leads outside the file base directory"
        ))));
    }
    let target = real_parent.join(path.file_name().unwrap_or(name.as_os_str()));
    match config.mode {
        WriteMode::Overwrite => {
            let existing = fs::symlink_metadata(&target).ok();
            if existing.as_ref().is_some_and(fs::Metadata::is_dir) {
                return Err(field(NodeError::permanent(format!(
                    "`{shown}` is a directory"
                ))));
            }
            let temp = real_parent.join(format!(
                ".{}.{}{TEMP_SUFFIX}",
                name.to_string_lossy(),
                uuid::Uuid::new_v4().simple()
            ));
            let result = (|| {
                let mut file = no_follow(OpenOptions::new().write(true).create_new(true))
                    .open(&temp)
                    .map_err(|e| field(io_error(&shown, e)))?;
                verify_opened(&file, &base, &shown).map_err(field)?;
                // The replacement keeps the permissions of the file it replaces.
                if let Some(meta) = existing.as_ref().filter(|m| m.is_file()) {
                    file.set_permissions(meta.permissions())
                        .map_err(|e| field(io_error(&shown, e)))?;
                }
                file.write_all(bytes)
                    .and_then(|()| file.sync_all())
                    .map_err(|e| field(io_error(&shown, e)))?;
                drop(file);
                fs::rename(&temp, &target).map_err(|e| field(io_error(&shown, e)))
            })();
            if result.is_err() {
                let _ = fs::remove_file(&temp);
            }
            result?;
        }
        WriteMode::Append | WriteMode::CreateNew => {
            let mut options = OpenOptions::new();
            if config.mode == WriteMode::Append {
                options.append(true).create(true);
            } else {
                options.write(true).create_new(true);
            }
            let mut file = no_follow(&mut options)
                .open(&target)
                .map_err(|e| field(io_error(&shown, e)))?;
            verify_opened(&file, &base, &shown).map_err(field)?;
            let meta = file.metadata().map_err(|e| field(io_error(&shown, e)))?;
            if !meta.is_file() {
                return Err(field(NodeError::permanent(format!(
                    "`{shown}` is not a regular file"
                ))));
            }
            file.write_all(bytes)
                .and_then(|()| file.sync_all())
                .map_err(|e| field(io_error(&shown, e)))?;
        }
    }
    Ok(json!({"path": shown, "size": bytes.len(), "mode": config.mode.as_str()}))
}

// --- file.list --------------------------------------------------------------------------------

/// `file.list`.
#[derive(Debug, Clone)]
pub struct ListNode {
    shared: Arc<Shared>,
}

impl ListNode {
    pub const TYPE: &'static str = "file.list";

    pub fn new(options: &FileOptions) -> Self {
        Self {
            shared: Shared::new(options),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListConfig {
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    pattern: Option<String>,
    #[serde(default)]
    recursive: bool,
    #[serde(default = "default_max_entries")]
    max_entries: usize,
}

fn default_max_entries() -> usize {
    DEFAULT_MAX_ENTRIES
}

#[async_trait]
impl Node for ListNode {
    fn spec(&self) -> NodeSpec {
        spec(
            Self::TYPE,
            "Lists a directory under the file base directory. Outputs {path, entries: \
             [{path, name, size, modified, is_dir, is_symlink}], count, truncated}, sorted by \
             path; entry paths are relative to the base directory. Symbolic links are listed \
             but never followed.",
            object_schema(
                "List files",
                json!({
                    "path": {
                        "type": "string",
                        "title": "Directory",
                        "description": "The directory, relative to the file base directory; \
                                        may be a {{ }} template. Left out: the base directory \
                                        itself. Absolute paths, .. that climbs out and \
                                        symbolic links leading out are refused.",
                        "default": "."
                    },
                    "pattern": {
                        "type": "string",
                        "title": "Name pattern",
                        "description": "Only entries whose name matches: * is any run of \
                                        characters, ? any one character, e.g. *.csv. Left \
                                        out: every entry. Recursive listings still descend \
                                        into directories that do not match.",
                        "minLength": 1,
                        "examples": ["*.csv", "report-????.txt"]
                    },
                    "recursive": {
                        "type": "boolean",
                        "title": "Recursive",
                        "description": "Also list the contents of subdirectories (at most 32 \
                                        levels deep).",
                        "default": false
                    },
                    "max_entries": {
                        "type": "integer",
                        "title": "Most entries",
                        "description": "The most entries output; beyond it the listing stops \
                                        and `truncated` is true.",
                        "minimum": 1,
                        "maximum": MAX_MAX_ENTRIES,
                        "default": DEFAULT_MAX_ENTRIES
                    }
                }),
                &[],
            ),
        )
    }

    fn check_config(&self, config: &Value) -> Vec<ConfigProblem> {
        path_problems(config, "path")
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let config: ListConfig = parse_config(Self::TYPE, &input.config)?;
        let shared = Arc::clone(&self.shared);
        let out = blocking(Self::TYPE, move || list(&shared, &config)).await?;
        Ok(NodeOutput::main(out))
    }
}

fn list(shared: &Shared, config: &ListConfig) -> Result<Value, NodeError> {
    let t = ListNode::TYPE;
    let field = |e: NodeError| at_field(t, "path", e);
    let relative = config.path.as_deref().unwrap_or(".");
    let parts = normalize(relative).map_err(field)?;
    let shown = if parts.is_empty() {
        ".".to_string()
    } else {
        display(&parts)
    };
    let base = shared.base.ensure().map_err(field)?;
    let dir = resolve_parts(&base, &parts, relative).map_err(field)?;
    let meta = fs::symlink_metadata(&dir).map_err(|e| field(io_error(&shown, e)))?;
    if !meta.is_dir() {
        return Err(field(NodeError::permanent(format!(
            "`{shown}` is not a directory"
        ))));
    }
    let pattern: Option<Vec<char>> = config.pattern.as_deref().map(|p| p.chars().collect());
    let max = config.max_entries.clamp(1, MAX_MAX_ENTRIES);
    let prefix = display(&parts);
    let mut entries = Vec::new();
    let mut truncated = false;
    // Depth-first, each directory's entries sorted by name, so the output is sorted by path.
    let mut stack: Vec<(PathBuf, String, usize)> = vec![(dir, prefix, 0)];
    'walk: while let Some((dir, rel, depth)) = stack.pop() {
        let mut children: Vec<(String, fs::Metadata)> = Vec::new();
        let read = fs::read_dir(&dir).map_err(|e| field(io_error(&shown, e)))?;
        for entry in read {
            let entry = entry.map_err(|e| field(io_error(&shown, e)))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(TEMP_SUFFIX) {
                continue;
            }
            // DirEntry::metadata does not follow symbolic links.
            let Ok(meta) = entry.metadata() else { continue };
            children.push((name, meta));
        }
        children.sort_by(|a, b| a.0.cmp(&b.0));
        let mut subdirs = Vec::new();
        for (name, meta) in children {
            let path = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            let is_symlink = meta.file_type().is_symlink();
            let is_dir = meta.is_dir() && !is_symlink;
            if pattern
                .as_deref()
                .is_none_or(|p| glob_match(p, &name.chars().collect::<Vec<_>>()))
            {
                if entries.len() == max {
                    truncated = true;
                    break 'walk;
                }
                entries.push(json!({
                    "path": path,
                    "name": name,
                    "size": if is_dir { 0 } else { meta.len() },
                    "modified": modified(&meta),
                    "is_dir": is_dir,
                    "is_symlink": is_symlink,
                }));
            }
            if is_dir && config.recursive && depth + 1 < MAX_LIST_DEPTH {
                subdirs.push((dir.join(&name), path, depth + 1));
            }
        }
        // Reverse, so the stack pops them in name order.
        stack.extend(subdirs.into_iter().rev());
    }
    if config.recursive {
        entries.sort_by(|a, b| a["path"].as_str().cmp(&b["path"].as_str()));
    }
    let count = entries.len();
    Ok(json!({
        "path": shown,
        "entries": entries,
        "count": count,
        "truncated": truncated,
    }))
}

/// Whether `name` matches `pattern`, where `*` is any run of characters and `?` any one.
fn glob_match(pattern: &[char], name: &[char]) -> bool {
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == name[n]) {
            p += 1;
            n += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, n));
            p += 1;
        } else if let Some((sp, sn)) = star {
            p = sp + 1;
            n = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

// --- file.delete ------------------------------------------------------------------------------

/// `file.delete`.
#[derive(Debug, Clone)]
pub struct DeleteNode {
    shared: Arc<Shared>,
}

impl DeleteNode {
    pub const TYPE: &'static str = "file.delete";

    pub fn new(options: &FileOptions) -> Self {
        Self {
            shared: Shared::new(options),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeleteConfig {
    path: String,
    #[serde(default)]
    missing_ok: bool,
    #[serde(default)]
    recursive: bool,
}

#[async_trait]
impl Node for DeleteNode {
    fn spec(&self) -> NodeSpec {
        spec(
            Self::TYPE,
            "Deletes a file (or a directory) under the file base directory. Outputs {path, \
             deleted}. A missing path fails unless missing_ok; a directory must be empty \
             unless recursive. The base directory itself and paths leading out of it are \
             refused.",
            object_schema(
                "Delete file",
                json!({
                    "path": path_property(
                        "The file or directory, relative to the file base directory; may be a \
                         {{ }} template. Absolute paths, .. that climbs out and symbolic links \
                         leading out are refused."),
                    "missing_ok": {
                        "type": "boolean",
                        "title": "Missing is fine",
                        "description": "On: a path that does not exist is not an error \
                                        (deleted: false). Off: it fails the node.",
                        "default": false
                    },
                    "recursive": {
                        "type": "boolean",
                        "title": "Recursive",
                        "description": "On: delete a directory with everything in it \
                                        (symbolic links inside are removed, never followed). \
                                        Off: only an empty directory is deleted.",
                        "default": false
                    }
                }),
                &["path"],
            ),
        )
    }

    fn check_config(&self, config: &Value) -> Vec<ConfigProblem> {
        path_problems(config, "path")
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let config: DeleteConfig = parse_config(Self::TYPE, &input.config)?;
        let shared = Arc::clone(&self.shared);
        let out = blocking(Self::TYPE, move || delete(&shared, &config)).await?;
        Ok(NodeOutput::main(out))
    }
}

fn delete(shared: &Shared, config: &DeleteConfig) -> Result<Value, NodeError> {
    let t = DeleteNode::TYPE;
    let field = |e: NodeError| at_field(t, "path", e);
    let parts = normalize(&config.path).map_err(field)?;
    let shown = display(&parts);
    let Some((name, parent_parts)) = parts.split_last() else {
        return Err(field(NodeError::permanent(format!(
            "`{}` names the base directory itself; it is never deleted",
            config.path
        ))));
    };
    let base = shared.base.ensure().map_err(field)?;
    // The whole path must stay inside (a link leading out is refused even though only the
    // link itself would be removed); then the final component is removed as it is: a link
    // inside the base is removed, not its target.
    resolve_parts(&base, &parts, &config.path).map_err(field)?;
    let parent = resolve_parts(&base, parent_parts, &config.path).map_err(field)?;
    let target = parent.join(name);
    let not_deleted = json!({"path": shown, "deleted": false});
    let meta = match fs::symlink_metadata(&target) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound && config.missing_ok => {
            return Ok(not_deleted);
        }
        Err(e) => return Err(field(io_error(&shown, e))),
    };
    let removed = if meta.is_dir() {
        if config.recursive {
            fs::remove_dir_all(&target)
        } else {
            fs::remove_dir(&target)
        }
    } else {
        fs::remove_file(&target)
    };
    match removed {
        Ok(()) => Ok(json!({"path": shown, "deleted": true})),
        Err(e) if e.kind() == io::ErrorKind::NotFound && config.missing_ok => Ok(not_deleted),
        Err(e) if e.kind() == io::ErrorKind::DirectoryNotEmpty => {
            Err(field(NodeError::permanent(format!(
                "`{shown}` is a directory that is not empty; set recursive to delete it with \
                 its contents"
            ))))
        }
        Err(e) => Err(field(io_error(&shown, e))),
    }
}

// --- registration -----------------------------------------------------------------------------

/// The node types of this module, built from the operator's options.
pub(crate) fn nodes(
    options: &NodeOptions,
    _http: &HttpClient,
) -> Result<Vec<Arc<dyn Node>>, RegistryError> {
    let files = &options.files;
    Ok(vec![
        Arc::new(ReadNode::new(files)),
        Arc::new(WriteNode::new(files)),
        Arc::new(ListNode::new(files)),
        Arc::new(DeleteNode::new(files)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_names() {
        let m = |p: &str, n: &str| {
            glob_match(
                &p.chars().collect::<Vec<_>>(),
                &n.chars().collect::<Vec<_>>(),
            )
        };
        assert!(m("*.csv", "a.csv"));
        assert!(m("*.csv", ".csv"));
        assert!(!m("*.csv", "a.csv.bak"));
        assert!(m("report-????.txt", "report-2024.txt"));
        assert!(!m("report-????.txt", "report-24.txt"));
        assert!(m("*a*b*", "xxaxxbxx"));
        assert!(m("*", ""));
        assert!(!m("?", ""));
    }

    #[test]
    fn paths_are_normalized_lexically() {
        assert_eq!(normalize("a/./b/../c").unwrap(), vec!["a", "c"]);
        assert!(normalize("").unwrap().is_empty());
        assert!(normalize(".").unwrap().is_empty());
        assert!(normalize("a/../..").is_err());
        assert!(normalize("/etc/passwd").is_err());
        assert!(normalize("a\0b").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn the_final_link_is_never_followed_and_opened_files_are_rechecked() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("base");
        fs::create_dir_all(&base).unwrap();
        let outside = dir.path().join("secret.txt");
        fs::write(&outside, "x").unwrap();
        let link = base.join("link");
        std::os::unix::fs::symlink(&outside, &link).unwrap();
        // A link swapped in after the check: O_NOFOLLOW refuses to open it.
        let e = no_follow(OpenOptions::new().read(true))
            .open(&link)
            .unwrap_err();
        assert!(io_error("link", e).message.contains("symbolic link"));
        // A file that is outside after all is caught after opening.
        let base = fs::canonicalize(&base).unwrap();
        let file = File::open(&outside).unwrap();
        let checked = verify_opened(&file, &base, "link");
        if cfg!(target_os = "linux") {
            assert!(checked.unwrap_err().message.contains("outside"));
        }
        let inside = base.join("ok.txt");
        fs::write(&inside, "y").unwrap();
        verify_opened(&File::open(&inside).unwrap(), &base, "ok.txt").unwrap();
    }

    #[test]
    fn the_base_comes_from_weft_files_dir() {
        assert_eq!(
            FileOptions::from_var(Some("/srv/weft".into())).base_dir,
            PathBuf::from("/srv/weft")
        );
        assert_eq!(
            FileOptions::from_var(Some("".into())),
            FileOptions::default()
        );
        assert_eq!(
            FileOptions::from_var(None).base_dir,
            PathBuf::from(DEFAULT_BASE_DIR)
        );
    }
}

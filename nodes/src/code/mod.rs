//! Code node types: `code.javascript`, a sandboxed JavaScript snippet.
//!
//! The snippet is the body of an async function: it sees the node's context as globals
//! (`input`, `prev`, `nodes`, `item`, `index`, `vars`, `execution`) plus a `console` whose
//! lines become the activation's log, and what it returns (awaited if a promise) is the
//! output. It runs in QuickJS ([`sandbox`]): no file, network, process or module access, no
//! `eval` or `Function` constructor, a memory limit, a native stack limit and a time limit
//! enforced twice: by QuickJS's interrupt handler (CPU loops) and by a wall clock around the
//! run (anything the handler cannot see).
//!
//! Every run gets a fresh runtime on a thread of its own (never an async worker), at most
//! [`JavaScriptOptions::max_concurrent`] at once; a thread stuck past the wall clock keeps
//! its slot until it ends, so runaway scripts cannot pile up threads.

mod sandbox;

use crate::config::{object_schema, parse_config};
use crate::http::HttpClient;
use crate::options::NodeOptions;
use crate::registry::RegistryError;
use crate::{Node, NodeInput, NodeOutput};
use async_trait::async_trait;
use sandbox::{Failure, Finished, Limits};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use weft_core::catalog::ConfigProblem;
use weft_core::{NodeError, NodeSpec, Ports};

const MIB: usize = 1024 * 1024;

/// Extra time the wall clock allows beyond the script's limit before giving up on its
/// thread (the interrupt handler normally stops it first, at the limit itself).
const WALL_CLOCK_GRACE: Duration = Duration::from_millis(250);

/// Time allowed to compile a config's code at design time.
const CHECK_TIME: Duration = Duration::from_secs(2);

/// Operator settings of the `code.javascript` node.
#[derive(Debug, Clone)]
pub struct JavaScriptOptions {
    /// Most memory one run's JavaScript runtime may allocate (the default and the highest
    /// `memory_limit_mb` a config may ask for). Default 64 MiB.
    pub memory_limit: usize,
    /// Longest one run may take (the default and the highest `timeout_ms`). Default 5 s.
    pub time_limit: Duration,
    /// Native stack QuickJS may use for recursion (parsing included). Default 1 MiB.
    pub max_stack_size: usize,
    /// Runs at once (each on a thread of its own); further runs wait for a slot. Default:
    /// the number of CPUs.
    pub max_concurrent: usize,
    /// Largest `code`, in bytes. Default 256 KiB.
    pub max_source_bytes: usize,
    /// Largest output, in bytes of JSON. Default 10 MiB.
    pub max_output_bytes: usize,
    /// `console` lines kept per run (the rest are counted). Default 100.
    pub max_log_lines: usize,
    /// Longest `console` line kept, in bytes (longer ones are cut). Default 4 KiB.
    pub max_log_line_bytes: usize,
}

impl Default for JavaScriptOptions {
    fn default() -> Self {
        Self {
            memory_limit: 64 * MIB,
            time_limit: Duration::from_secs(5),
            max_stack_size: MIB,
            max_concurrent: std::thread::available_parallelism().map_or(2, |n| n.get()),
            max_source_bytes: 256 * 1024,
            max_output_bytes: 10 * MIB,
            max_log_lines: 100,
            max_log_line_bytes: 4096,
        }
    }
}

impl JavaScriptOptions {
    fn check(&self) -> Result<(), String> {
        let positive = [
            (
                self.memory_limit >= MIB,
                "memory_limit must be at least 1 MiB",
            ),
            (
                self.time_limit >= Duration::from_millis(1),
                "time_limit must be at least 1 ms",
            ),
            (
                self.max_stack_size >= 64 * 1024,
                "max_stack_size must be at least 64 KiB",
            ),
            (
                self.max_concurrent >= 1,
                "max_concurrent must be at least 1",
            ),
            (
                self.max_source_bytes >= 1,
                "max_source_bytes must be at least 1",
            ),
            (
                self.max_output_bytes >= 4,
                "max_output_bytes must be at least 4",
            ),
        ];
        match positive.iter().find(|(ok, _)| !ok) {
            Some((_, message)) => Err((*message).to_string()),
            None => Ok(()),
        }
    }

    fn memory_limit_mb(&self) -> u64 {
        (self.memory_limit / MIB) as u64
    }

    fn time_limit_ms(&self) -> u64 {
        self.time_limit.as_millis().max(1) as u64
    }
}

/// The node types of this module, built from the operator's options.
pub(crate) fn nodes(
    options: &NodeOptions,
    _http: &HttpClient,
) -> Result<Vec<Arc<dyn Node>>, RegistryError> {
    let node = JavaScriptNode::new(options.javascript.clone()).map_err(|message| {
        RegistryError::Setup {
            type_name: JavaScriptNode::TYPE.to_string(),
            message,
        }
    })?;
    Ok(vec![Arc::new(node)])
}

/// `code.javascript`: runs a JavaScript snippet in a sandbox and outputs what it returns.
#[derive(Debug, Clone)]
pub struct JavaScriptNode {
    options: Arc<JavaScriptOptions>,
    slots: Arc<Semaphore>,
    /// Design-time syntax checks by hash of the code (a workflow is validated more often
    /// than its code changes).
    checked: Arc<Mutex<HashMap<u64, Option<String>>>>,
    hasher: RandomState,
}

/// Syntax check results kept; the memo starts over when full.
const CHECK_MEMO: usize = 1024;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JavaScriptConfig {
    code: String,
    #[serde(default)]
    timeout_ms: Option<u64>,
    #[serde(default)]
    memory_limit_mb: Option<u64>,
}

fn config_error(pointer: &str, message: impl std::fmt::Display) -> NodeError {
    crate::config::config_error(JavaScriptNode::TYPE, pointer, message)
}

impl JavaScriptNode {
    pub const TYPE: &'static str = "code.javascript";

    /// A node with these limits; `Err` says which setting cannot be used.
    pub fn new(options: JavaScriptOptions) -> Result<Self, String> {
        options.check()?;
        Ok(Self {
            slots: Arc::new(Semaphore::new(options.max_concurrent)),
            options: Arc::new(options),
            checked: Arc::default(),
            hasher: RandomState::new(),
        })
    }

    fn source_problem(&self, code: &str) -> Option<String> {
        (code.len() > self.options.max_source_bytes).then(|| {
            format!(
                "the code is {} bytes; the limit is {} bytes",
                code.len(),
                self.options.max_source_bytes
            )
        })
    }

    fn limits(&self, memory_bytes: usize, deadline: Instant) -> Limits {
        Limits {
            memory_bytes,
            max_stack_bytes: self.options.max_stack_size,
            deadline,
            max_output_bytes: self.options.max_output_bytes,
            max_log_lines: self.options.max_log_lines,
            max_log_line_bytes: self.options.max_log_line_bytes,
        }
    }

    /// Stack of a script thread: QuickJS's own limit plus room for the Rust frames around
    /// it and native code between its checks.
    fn thread_stack(&self) -> usize {
        self.options.max_stack_size + 2 * MIB
    }

    /// The syntax error of `code`, if any (remembered).
    fn syntax_problem(&self, code: &str) -> Option<String> {
        let key = self.hasher.hash_one(code);
        let memo = |m: &Mutex<HashMap<u64, Option<String>>>| {
            m.lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .get(&key)
                .cloned()
        };
        if let Some(known) = memo(&self.checked) {
            return known;
        }
        let problem = self.compile_check(code);
        let mut checked = self
            .checked
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if checked.len() >= CHECK_MEMO {
            checked.clear();
        }
        checked.insert(key, problem.clone());
        problem
    }

    /// Compiles `code` on a thread of its own (with the operator's limits) without running
    /// it: the syntax error, if any.
    fn compile_check(&self, code: &str) -> Option<String> {
        let limits = self.limits(self.options.memory_limit, Instant::now() + CHECK_TIME);
        let outcome = std::thread::scope(|scope| {
            std::thread::Builder::new()
                .name("weft-js-check".to_string())
                .stack_size(self.thread_stack())
                .spawn_scoped(scope, || sandbox::check_syntax(code, &limits))
                .map(|thread| thread.join())
        });
        match outcome {
            Ok(Ok(Ok(()))) => None,
            Ok(Ok(Err(Failure::Syntax(message)))) => Some(message),
            Ok(Ok(Err(Failure::Timeout))) => Some(format!(
                "the code did not compile within {} ms",
                CHECK_TIME.as_millis()
            )),
            Ok(Ok(Err(Failure::Memory))) => {
                Some("compiling the code needs more memory than the limit".to_string())
            }
            // The checker itself could not run (no thread, a crash): not the config's fault;
            // the run will report whatever it is.
            Ok(Ok(Err(_))) | Ok(Err(_)) | Err(_) => None,
        }
    }

    /// Runs `job` on a new thread holding one of the slots (waiting at most `slot_wait`
    /// for one), with a deadline `limit` from when it got the slot, and waits for its answer
    /// at most until the deadline plus a grace period: the wall clock, which holds even when
    /// the thread is stuck where QuickJS's interrupt handler cannot reach.
    async fn run_on_thread<T: Send + 'static>(
        &self,
        slot_wait: Option<Duration>,
        limit: Duration,
        job: impl FnOnce(Instant) -> T + Send + 'static,
    ) -> Result<T, RunError> {
        let slot = Arc::clone(&self.slots).acquire_owned();
        let slot = match slot_wait {
            Some(wait) => tokio::time::timeout(wait, slot)
                .await
                .map_err(|_| RunError::NoSlot(wait))?,
            None => slot.await,
        }
        .map_err(|_| RunError::Crashed)?;
        // Waiting for a slot does not count against the script.
        let deadline = Instant::now() + limit;
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::Builder::new()
            .name("weft-js".to_string())
            .stack_size(self.thread_stack())
            .spawn(move || {
                // The slot is held until the thread ends, even if nobody waits any more.
                let _slot = slot;
                let _ = tx.send(job(deadline));
            })
            .map_err(|e| RunError::Spawn(e.to_string()))?;
        let wall_clock = tokio::time::Instant::from_std(deadline) + WALL_CLOCK_GRACE;
        match tokio::time::timeout_at(wall_clock, rx).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(_)) => Err(RunError::Crashed),
            Err(_) => Err(RunError::WallClock),
        }
    }
}

/// Why a run's thread gave no answer.
#[derive(Debug)]
enum RunError {
    NoSlot(Duration),
    Spawn(String),
    Crashed,
    WallClock,
}

#[async_trait]
impl Node for JavaScriptNode {
    fn spec(&self) -> NodeSpec {
        let max_ms = self.options.time_limit_ms();
        let max_mb = self.options.memory_limit_mb().max(1);
        NodeSpec {
            type_name: Self::TYPE.to_string(),
            category: "code".to_string(),
            description: "Runs a JavaScript snippet in a sandbox and outputs what it returns. \
                          The snippet is the body of an async function: it sees `input`, \
                          `prev`, `nodes`, `item`, `index`, `vars` and `execution` as globals, \
                          may `await`, and logs with `console.log`. It has no file, network, \
                          module or process access and runs under memory and time limits."
                .to_string(),
            trigger: false,
            ports: Ports::main(),
            schema: object_schema(
                "JavaScript",
                json!({
                    "code": {
                        "type": "string",
                        "title": "Code",
                        "description": format!(
                            "JavaScript, the body of an async function: `return` gives the \
                             output (a returned promise is awaited; `undefined` becomes null) \
                             and must be JSON data: no functions, symbols or cycles. Globals: \
                             `input` (the execution's input), `prev` (the output that \
                             activated this node), `nodes` (outputs by node id), `item` and \
                             `index` (inside a loop), `vars`, `execution` ({{id, workflow_id, \
                             version}}) and `console.log/info/warn/error/debug` (written to \
                             the execution's log). Standard builtins only: no `require`, \
                             `import`, `fetch`, timers, `eval` or `Function`. Never rendered \
                             as a {{{{ }}}} template. At most {} bytes.",
                            self.options.max_source_bytes
                        ),
                        "minLength": 1,
                        "examples": [
                            "return { total: prev.items.reduce((sum, i) => sum + i.price, 0) };",
                            "const user = nodes.fetch_user.body;\nconsole.log('user', user.id);\nreturn { name: user.name.toUpperCase() };"
                        ]
                    },
                    "timeout_ms": {
                        "type": "integer",
                        "title": "Time limit (ms)",
                        "description": format!(
                            "Longest the script may run, in milliseconds, awaiting included; \
                             it is stopped with a timeout error after that. At most {max_ms} \
                             (the operator's limit) and never longer than the node's own \
                             timeout."
                        ),
                        "minimum": 1,
                        "maximum": max_ms,
                        "default": max_ms
                    },
                    "memory_limit_mb": {
                        "type": "integer",
                        "title": "Memory limit (MiB)",
                        "description": format!(
                            "Most memory the script may allocate, in MiB (its input counts \
                             too); an allocation past it fails the node. At most {max_mb} \
                             (the operator's limit)."
                        ),
                        "minimum": 1,
                        "maximum": max_mb,
                        "default": max_mb
                    }
                }),
                &["code"],
            ),
            filter_fields: Vec::new(),
            raw_fields: vec!["code".to_string()],
            default_retry: None,
        }
    }

    fn check_config(&self, config: &Value) -> Vec<ConfigProblem> {
        let Some(code) = config.get("code").and_then(Value::as_str) else {
            return Vec::new();
        };
        let message = self
            .source_problem(code)
            .or_else(|| self.syntax_problem(code));
        message
            .map(|message| ConfigProblem {
                pointer: "/code".to_string(),
                message,
            })
            .into_iter()
            .collect()
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let config: JavaScriptConfig = parse_config(Self::TYPE, &input.config)?;
        if let Some(problem) = self.source_problem(&config.code) {
            return Err(config_error("/code", problem));
        }
        let max_ms = self.options.time_limit_ms();
        let timeout_ms = config.timeout_ms.unwrap_or(max_ms);
        if !(1..=max_ms).contains(&timeout_ms) {
            return Err(config_error(
                "/timeout_ms",
                format!("{timeout_ms} is out of range: use 1 to {max_ms}"),
            ));
        }
        let max_mb = self.options.memory_limit_mb().max(1);
        let memory_mb = config.memory_limit_mb.unwrap_or(max_mb);
        if !(1..=max_mb).contains(&memory_mb) {
            return Err(config_error(
                "/memory_limit_mb",
                format!("{memory_mb} is out of range: use 1 to {max_mb}"),
            ));
        }
        let memory_bytes = (memory_mb as usize * MIB).min(self.options.memory_limit);
        let mut limit = Duration::from_millis(timeout_ms);
        if let Some(node_timeout) = input.timeout {
            limit = limit.min(node_timeout);
        }
        let limit_ms = limit.as_millis();

        let code = config.code;
        let context = input.context;
        let node = self.clone();
        let job = move |deadline: Instant| {
            let limits = node.limits(memory_bytes, deadline);
            sandbox::execute(&code, &context, &limits)
        };
        // The node's own timeout (if any) bounds the wait for a slot.
        let started = Instant::now();
        let finished = self
            .run_on_thread(input.timeout, limit, job)
            .await
            .map_err(|e| match e {
                RunError::WallClock => {
                    NodeError::timeout(format!("script exceeded its {limit_ms} ms limit"))
                }
                RunError::NoSlot(waited) => NodeError::transient(format!(
                    "no JavaScript slot became free within {} ms (all {} are busy)",
                    waited.as_millis(),
                    self.options.max_concurrent
                )),
                RunError::Spawn(e) => {
                    NodeError::transient(format!("cannot start a JavaScript thread: {e}"))
                }
                RunError::Crashed => {
                    NodeError::permanent("the JavaScript runner stopped unexpectedly")
                }
            })?;
        tracing::debug!(
            node = %input.node_path,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "javascript run finished"
        );
        let Finished { result, logs } = finished;
        match result {
            Ok(output) => {
                let mut out = NodeOutput::main(output);
                out.logs = logs;
                Ok(out)
            }
            Err(failure) => Err(failure_error(failure, limit_ms, memory_mb, &logs)),
        }
    }

    fn runs_inline(&self) -> bool {
        false
    }
}

/// A failed run as a node error; the console lines go into the details.
fn failure_error(
    failure: Failure,
    limit_ms: u128,
    memory_mb: u64,
    logs: &[crate::NodeLog],
) -> NodeError {
    let (error, stack) = match failure {
        Failure::Syntax(message) => (config_error("/code", message), None),
        Failure::Threw { message, stack } => (
            NodeError::permanent(format!("script threw {message}")),
            Some(stack).filter(|s| !s.is_empty()),
        ),
        Failure::Timeout => (
            NodeError::timeout(format!("script exceeded its {limit_ms} ms limit")),
            None,
        ),
        Failure::Memory => (
            NodeError::permanent(format!("script exceeded its {memory_mb} MiB memory limit")),
            None,
        ),
        Failure::NeverSettles => (
            NodeError::timeout(format!(
                "script exceeded its {limit_ms} ms limit: it awaits a promise that nothing \
                 settles (the sandbox has no timers or I/O)"
            )),
            None,
        ),
        Failure::Output(message) => (
            NodeError::permanent(format!("script output is not JSON data: {message}")),
            None,
        ),
        Failure::Internal(message) => (NodeError::permanent(message), None),
    };
    if stack.is_none() && logs.is_empty() {
        return error;
    }
    let mut details = serde_json::Map::new();
    if let Some(stack) = stack {
        details.insert("stack".to_string(), Value::String(stack));
    }
    if !logs.is_empty() {
        let lines: Vec<Value> = logs
            .iter()
            .map(|l| json!({"level": l.level.as_str(), "message": l.message}))
            .collect();
        details.insert("logs".to_string(), Value::Array(lines));
    }
    error.with_details(Value::Object(details))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The wall clock answers even when the thread is stuck where the interrupt handler
    /// cannot reach (simulated by a native sleep), and the stuck thread keeps its slot.
    #[tokio::test]
    async fn the_wall_clock_gives_up_on_a_stuck_thread() {
        let node = JavaScriptNode::new(JavaScriptOptions {
            max_concurrent: 1,
            ..JavaScriptOptions::default()
        })
        .unwrap();
        let started = Instant::now();
        let stuck = node
            .run_on_thread(None, Duration::from_millis(100), |_deadline| {
                std::thread::sleep(Duration::from_secs(2));
            })
            .await;
        assert!(matches!(stuck, Err(RunError::WallClock)), "{stuck:?}");
        assert!(started.elapsed() < Duration::from_millis(1500));
        // The only slot is still taken by the sleeping thread.
        let waiting = node
            .run_on_thread(
                Some(Duration::from_millis(50)),
                Duration::from_secs(1),
                |_| (),
            )
            .await;
        assert!(matches!(waiting, Err(RunError::NoSlot(_))), "{waiting:?}");
        // Once it ends, the slot is free again.
        let after = node
            .run_on_thread(Some(Duration::from_secs(10)), Duration::from_secs(1), |_| 7)
            .await;
        assert_eq!(after.unwrap(), 7);
    }

    #[test]
    fn schema_maxima_follow_the_operator_limits() {
        let node = JavaScriptNode::new(JavaScriptOptions {
            time_limit: Duration::from_secs(30),
            memory_limit: 256 * MIB,
            ..JavaScriptOptions::default()
        })
        .unwrap();
        let schema = node.spec().schema;
        assert_eq!(schema["properties"]["timeout_ms"]["maximum"], json!(30_000));
        assert_eq!(
            schema["properties"]["memory_limit_mb"]["maximum"],
            json!(256)
        );
    }
}

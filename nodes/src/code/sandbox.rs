//! One script run in a fresh QuickJS runtime, on the calling (dedicated) thread.
//!
//! The user's code becomes the body of `export default (async function () { … })` in a
//! module, compiled in a throwaway context that has the `Eval` intrinsic (QuickJS cannot
//! parse without it), written out as bytecode and read back into the sandbox context, which
//! is built WITHOUT `Eval`: there `eval`, `Function`, `AsyncFunction` and friends all throw
//! "eval is not supported", however they are reached (`constructor.constructor`…). No
//! module loader is installed, so `import()` fails; there is no `std`/`os`, no timers, no
//! I/O: the only ways out are the scope values in, `console` lines and the return value out.
//!
//! Limits: memory through a counting allocator (so hitting the limit is known for sure, even
//! when QuickJS cannot allocate the error object itself), the native stack through
//! `set_max_stack_size`, CPU through the interrupt handler checking a deadline (which also
//! bounds the job-queue loop). The caller adds a wall clock around the whole thread.

use crate::{LogLevel, NodeLog};
use rquickjs::allocator::{Allocator, RustAllocator};
use rquickjs::context::intrinsic;
use rquickjs::function::Rest;
use rquickjs::promise::PromiseState;
use rquickjs::{
    CatchResultExt, CaughtError, Coerced, Context, Ctx, Exception, FromJs, Function, Module,
    Object, Runtime, Type, Value, WriteOptions,
};
use serde_json::Value as Json;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Instant;

/// The sandbox's builtins: everything standard except `Eval` (and the non-language extras
/// `performance`, `WeakRef`/`FinalizationRegistry`, `DOMException`).
type SandboxIntrinsics = (
    intrinsic::Date,
    intrinsic::RegExpCompiler,
    intrinsic::RegExp,
    intrinsic::Json,
    intrinsic::Proxy,
    intrinsic::MapSet,
    intrinsic::TypedArrays,
    intrinsic::Promise,
);

/// What the compiling context needs: the parser, and the regexp compiler for literals.
type CompilerIntrinsics = (intrinsic::Eval, intrinsic::RegExpCompiler);

/// The user's code starts on this line, so JS line numbers are the user's; columns on line
/// 1 are shifted by its length.
const PREFIX: &str = "export default (async function () {";
/// On its own line, so a trailing `// comment` cannot swallow it.
const SUFFIX: &str = "\n});";
/// The module's name, as it appears in QuickJS stack frames (`code:3:5`).
const MODULE_NAME: &str = "code";

/// The names the script sees as globals, taken from the node's expression context.
pub(super) const SCOPE: [&str; 7] = [
    "input",
    "prev",
    "nodes",
    "item",
    "index",
    "vars",
    "execution",
];

/// Limits of one run.
#[derive(Debug, Clone)]
pub(super) struct Limits {
    pub memory_bytes: usize,
    pub max_stack_bytes: usize,
    pub deadline: Instant,
    pub max_output_bytes: usize,
    pub max_log_lines: usize,
    pub max_log_line_bytes: usize,
}

/// Why a run produced no output.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Failure {
    /// The code does not compile: the message names the line.
    Syntax(String),
    /// The script threw (or its promise rejected).
    Threw { message: String, stack: String },
    /// The deadline passed.
    Timeout,
    /// An allocation would have crossed the memory limit.
    Memory,
    /// The returned promise is pending and nothing is left to run that could settle it.
    NeverSettles,
    /// The return value cannot become JSON (or is too large).
    Output(String),
    /// The engine itself failed (could not create a runtime…).
    Internal(String),
}

/// A run's result and the console lines it wrote (kept on failure too).
#[derive(Debug)]
pub(super) struct Finished {
    pub result: Result<Json, Failure>,
    pub logs: Vec<NodeLog>,
}

/// Compiles `source` without running it (design-time check). `Err` is the syntax error
/// message, with its line.
pub(super) fn check_syntax(source: &str, limits: &Limits) -> Result<(), Failure> {
    let watch = Watch::new(limits.deadline);
    let runtime = new_runtime(limits, &watch)?;
    compile(&runtime, source, &watch).map(|_| ())
}

/// Runs `source` with the scope values of `context` (the node's expression context).
pub(super) fn execute(source: &str, context: &Json, limits: &Limits) -> Finished {
    let watch = Watch::new(limits.deadline);
    let logs = Rc::new(RefCell::new(LogSink::new(limits)));
    let result = run(source, context, limits, &watch, &logs);
    let logs = logs.borrow_mut().drain();
    Finished { result, logs }
}

fn run(
    source: &str,
    context: &Json,
    limits: &Limits,
    watch: &Rc<Watch>,
    logs: &Rc<RefCell<LogSink>>,
) -> Result<Json, Failure> {
    let runtime = new_runtime(limits, watch)?;
    let bytecode = compile(&runtime, source, watch)?;
    let sandbox = Context::custom::<SandboxIntrinsics>(&runtime)
        .map_err(|e| watch.engine_failure(format!("cannot create the sandbox context: {e}")))?;
    let scope = serde_json::to_string(context)
        .map_err(|e| Failure::Internal(format!("cannot serialize the node's context: {e}")))?;
    let result = sandbox.with(|ctx| {
        prepare(&ctx, &scope, Rc::clone(logs), watch)
            .catch(&ctx)
            .map_err(|e| watch.classify(&ctx, e))?;
        let promise = start(&ctx, &bytecode).map_err(|e| watch.classify(&ctx, e))?;
        let value = settle(&ctx, &promise, watch)?;
        to_json(&ctx, value, limits, watch)
    });
    // Whatever is still queued (floating promises) is dropped with the runtime.
    drop(sandbox);
    result
}

/// Shared between the interrupt handler, the allocator and the run: has the deadline passed,
/// has the memory limit been hit.
#[derive(Debug)]
struct Watch {
    deadline: Instant,
    interrupted: Cell<bool>,
    out_of_memory: Rc<Cell<bool>>,
}

impl Watch {
    fn new(deadline: Instant) -> Rc<Self> {
        Rc::new(Self {
            deadline,
            interrupted: Cell::new(false),
            out_of_memory: Rc::new(Cell::new(false)),
        })
    }

    fn expired(&self) -> bool {
        self.interrupted.get() || Instant::now() >= self.deadline
    }

    /// A failure as the limits explain it: running out of time or memory is reported as
    /// that, whatever exception it surfaced as.
    fn limit_hit(&self) -> Option<Failure> {
        if self.expired() {
            Some(Failure::Timeout)
        } else if self.out_of_memory.get() {
            Some(Failure::Memory)
        } else {
            None
        }
    }

    fn engine_failure(&self, message: String) -> Failure {
        self.limit_hit().unwrap_or(Failure::Internal(message))
    }

    /// Turns what the script threw into a failure.
    fn classify<'js>(&self, ctx: &Ctx<'js>, error: CaughtError<'js>) -> Failure {
        if let Some(limit) = self.limit_hit() {
            return limit;
        }
        let failure = self.describe_failure(ctx, error);
        // Reading the thrown value runs the script's getters, which may themselves run out
        // of time or memory.
        self.limit_hit().unwrap_or(failure)
    }

    fn describe_failure<'js>(&self, ctx: &Ctx<'js>, error: CaughtError<'js>) -> Failure {
        match error {
            CaughtError::Exception(e) => {
                let raw = text_property(e.as_object(), "stack", MAX_ERROR_TEXT).unwrap_or_default();
                let at = raw
                    .lines()
                    .find_map(frame_position)
                    .map(|(line, column)| format!(" (line {line}, column {column})"))
                    .unwrap_or_default();
                Failure::Threw {
                    message: format!("{}{at}", error_text(e.as_object())),
                    stack: clean_stack(&raw),
                }
            }
            CaughtError::Value(v) => {
                let text = describe(ctx, &v, MAX_ERROR_TEXT).unwrap_or_else(|_| "a value".into());
                Failure::Threw {
                    // A thrown string is quoted, so it reads as the value it was.
                    message: if v.is_string() {
                        Json::String(text).to_string()
                    } else {
                        text
                    },
                    stack: String::new(),
                }
            }
            CaughtError::Error(e) => Failure::Threw {
                message: e.to_string(),
                stack: String::new(),
            },
        }
    }
}

/// A fresh runtime with the memory, stack and time limits installed.
fn new_runtime(limits: &Limits, watch: &Rc<Watch>) -> Result<Runtime, Failure> {
    let allocator = LimitedAllocator {
        used: 0,
        limit: limits.memory_bytes,
        exceeded: Rc::clone(&watch.out_of_memory),
    };
    let runtime = Runtime::new_with_alloc(allocator)
        .map_err(|e| watch.engine_failure(format!("cannot create a JavaScript runtime: {e}")))?;
    runtime.set_max_stack_size(limits.max_stack_bytes);
    let handler_watch = Rc::clone(watch);
    runtime.set_interrupt_handler(Some(Box::new(move || {
        let stop = Instant::now() >= handler_watch.deadline;
        if stop {
            handler_watch.interrupted.set(true);
        }
        stop
    })));
    Ok(runtime)
}

/// Compiles the wrapped source in a context of its own (the only one with a parser) and
/// returns the module's bytecode.
fn compile(runtime: &Runtime, source: &str, watch: &Rc<Watch>) -> Result<Vec<u8>, Failure> {
    let compiler = Context::custom::<CompilerIntrinsics>(runtime)
        .map_err(|e| watch.engine_failure(format!("cannot create the compiler context: {e}")))?;
    let wrapped = format!("{PREFIX}{source}{SUFFIX}");
    let user_lines = source.split('\n').count();
    compiler.with(|ctx| {
        let module = Module::declare(ctx.clone(), MODULE_NAME, wrapped)
            .catch(&ctx)
            .map_err(|e| syntax_failure(&ctx, e, user_lines, watch))?;
        module
            .write(WriteOptions {
                strip_source: true,
                ..WriteOptions::default()
            })
            .catch(&ctx)
            .map_err(|e| syntax_failure(&ctx, e, user_lines, watch))
    })
}

fn syntax_failure<'js>(
    ctx: &Ctx<'js>,
    error: CaughtError<'js>,
    user_lines: usize,
    watch: &Watch,
) -> Failure {
    if watch.out_of_memory.get() {
        return Failure::Syntax("compiling the code needs more memory than the limit".into());
    }
    match error {
        CaughtError::Exception(e) => {
            let text = error_text(e.as_object());
            let stack = text_property(e.as_object(), "stack", MAX_ERROR_TEXT).unwrap_or_default();
            let at = stack
                .lines()
                .find_map(frame_position)
                .map(|(line, column)| {
                    if line > user_lines {
                        " (at the end of the code: is a brace, bracket, parenthesis or string \
                         left open?)"
                            .to_string()
                    } else {
                        format!(" (line {line}, column {column})")
                    }
                })
                .unwrap_or_default();
            Failure::Syntax(format!("{text}{at}"))
        }
        CaughtError::Value(v) => {
            Failure::Syntax(describe(ctx, &v, MAX_ERROR_TEXT).unwrap_or_default())
        }
        CaughtError::Error(e) => Failure::Syntax(e.to_string()),
    }
}

/// Puts the scope values and `console` into the global object.
fn prepare<'js>(
    ctx: &Ctx<'js>,
    scope: &str,
    logs: Rc<RefCell<LogSink>>,
    watch: &Rc<Watch>,
) -> rquickjs::Result<()> {
    let globals = ctx.globals();
    let scope = ctx.json_parse(scope)?;
    let scope = scope.as_object();
    for name in SCOPE {
        let value: Value = match scope {
            Some(o) => o.get(name)?,
            None => Value::new_null(ctx.clone()),
        };
        let value = if value.is_undefined() {
            Value::new_null(ctx.clone())
        } else {
            value
        };
        globals.set(name, value)?;
    }
    install_console(ctx, logs, watch)
}

fn install_console<'js>(
    ctx: &Ctx<'js>,
    logs: Rc<RefCell<LogSink>>,
    watch: &Rc<Watch>,
) -> rquickjs::Result<()> {
    let console = Object::new(ctx.clone())?;
    for (name, level) in [
        ("log", LogLevel::Info),
        ("info", LogLevel::Info),
        ("debug", LogLevel::Debug),
        ("warn", LogLevel::Warn),
        ("error", LogLevel::Error),
    ] {
        let logs = Rc::clone(&logs);
        let watch = Rc::clone(watch);
        // One byte more than is kept, so the sink sees that the line was cut.
        let max_line = logs.borrow().max_line_bytes + 1;
        let f = Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, args: Rest<Value<'js>>| -> rquickjs::Result<()> {
                if logs.borrow_mut().full() {
                    return Ok(());
                }
                let mut parts = Vec::with_capacity(args.0.len());
                for arg in &args.0 {
                    match describe(&ctx, arg, max_line) {
                        Ok(text) => parts.push(text),
                        // Out of time: let the (uncatchable) interruption unwind.
                        Err(e) if watch.expired() => return Err(e),
                        Err(_) => {
                            let _ = ctx.catch();
                            parts.push("[unprintable]".to_string());
                        }
                    }
                }
                logs.borrow_mut().push(level, parts.join(" "));
                Ok(())
            },
        )?
        .with_name(name)?;
        console.set(name, f)?;
    }
    ctx.globals().set("console", console)
}

/// Evaluates the module and calls its default export: the script's promise.
fn start<'js>(ctx: &Ctx<'js>, bytecode: &[u8]) -> Result<Value<'js>, CaughtError<'js>> {
    // SAFETY: `bytecode` was written by `Module::write` moments ago, in this process, by the
    // same QuickJS build (`compile`); it never comes from outside.
    let module = unsafe { Module::load(ctx.clone(), bytecode) }.catch(ctx)?;
    let (module, evaluated) = module.eval().catch(ctx)?;
    evaluated.finish::<()>().catch(ctx)?;
    let main: Function = module.get("default").catch(ctx)?;
    main.call(()).catch(ctx)
}

/// Runs the job queue until the script's promise settles, the deadline passes, or nothing
/// is left that could settle it.
fn settle<'js>(
    ctx: &Ctx<'js>,
    returned: &Value<'js>,
    watch: &Watch,
) -> Result<Value<'js>, Failure> {
    let Some(promise) = returned.as_promise() else {
        return Ok(returned.clone());
    };
    loop {
        match promise.state() {
            PromiseState::Resolved | PromiseState::Rejected => {
                return match promise.result::<Value>() {
                    Some(result) => result.catch(ctx).map_err(|e| watch.classify(ctx, e)),
                    None => Err(Failure::Internal(
                        "the promise settled and then did not".into(),
                    )),
                };
            }
            PromiseState::Pending => {
                if watch.expired() {
                    return Err(Failure::Timeout);
                }
                if !ctx.execute_pending_job() {
                    if let Some(hit) = watch.limit_hit() {
                        return Err(hit);
                    }
                    // Nothing can settle it (no timers or I/O here), but the script is
                    // still "awaiting": it gets its full time, like any other script that
                    // does not finish, and ends as a timeout.
                    std::thread::sleep(watch.deadline.saturating_duration_since(Instant::now()));
                    return Err(Failure::NeverSettles);
                }
            }
        }
    }
}

/// The return value as JSON: `undefined` is `null`; functions, symbols, cycles and BigInts
/// are refused; `toJSON` (e.g. `Date`) is honoured.
fn to_json<'js>(
    ctx: &Ctx<'js>,
    value: Value<'js>,
    limits: &Limits,
    watch: &Watch,
) -> Result<Json, Failure> {
    if value.is_undefined() {
        return Ok(Json::Null);
    }
    let replacer = Function::new(
        ctx.clone(),
        |ctx: Ctx<'js>, key: Coerced<String>, value: Value<'js>| -> rquickjs::Result<Value<'js>> {
            let what = match value.type_of() {
                Type::Function | Type::Constructor => "a function",
                Type::Symbol => "a symbol",
                _ => return Ok(value),
            };
            let at = if key.0.is_empty() {
                "the return value is".to_string()
            } else {
                format!("the value at key `{}` is", key.0)
            };
            Err(Exception::throw_type(
                &ctx,
                &format!("{at} {what}: return plain data (objects, arrays, strings, numbers, booleans, null)"),
            ))
        },
    )
    .map_err(|e| watch.engine_failure(e.to_string()))?;
    let text = ctx
        .json_stringify_replacer(value, replacer)
        .catch(ctx)
        .map_err(|e| match watch.classify(ctx, e) {
            Failure::Threw { message, .. } => Failure::Output(message),
            other => other,
        })?;
    let Some(text) = text else {
        return Ok(Json::Null);
    };
    let text = text
        .to_cstring()
        .map_err(|e| watch.engine_failure(format!("the output is not valid text: {e}")))?;
    if text.len() > limits.max_output_bytes {
        return Err(Failure::Output(format!(
            "the output is {} bytes of JSON; the limit is {} bytes",
            text.len(),
            limits.max_output_bytes
        )));
    }
    serde_json::from_str(text.as_str()).map_err(|e| {
        Failure::Output(format!(
            "the output cannot be read back as JSON ({e}): nest it less deeply"
        ))
    })
}

/// Most bytes of a thrown value's text (message, stack) kept in an error.
const MAX_ERROR_TEXT: usize = 2048;

/// Up to `max` bytes of a JS string (cut at a character boundary), without copying the rest
/// out of the runtime.
fn js_text(s: &rquickjs::String<'_>, max: usize) -> rquickjs::Result<String> {
    let c = s.clone().to_cstring()?;
    Ok(cut(c.as_str(), max).to_string())
}

fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A property of a thrown object as (capped) text; `None` when absent or unreadable.
fn text_property(object: &Object<'_>, name: &str, max: usize) -> Option<String> {
    let value: Value = object.get(name).ok()?;
    if value.is_undefined() || value.is_null() {
        return None;
    }
    let text = match value.as_string() {
        Some(s) => js_text(s, max).ok()?,
        None => cut(
            &Coerced::<String>::from_js(object.ctx(), value).ok()?.0,
            max,
        )
        .to_string(),
    };
    Some(text)
}

/// `Name: message` of an error object (`Error` when it has no readable name).
fn error_text(error: &Object<'_>) -> String {
    let name = text_property(error, "name", 200)
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "Error".to_string());
    match text_property(error, "message", MAX_ERROR_TEXT) {
        Some(message) if !message.is_empty() => format!("{name}: {message}"),
        _ => name,
    }
}

/// A console argument or thrown value as text (at most about `max` bytes): strings as they
/// are, errors as `Name: message`, everything else as JSON.
fn describe<'js>(ctx: &Ctx<'js>, value: &Value<'js>, max: usize) -> rquickjs::Result<String> {
    Ok(match value.type_of() {
        Type::String => match value.as_string() {
            Some(s) => js_text(s, max)?,
            None => String::new(),
        },
        Type::Undefined | Type::Uninitialized => "undefined".to_string(),
        Type::Function | Type::Constructor => "[function]".to_string(),
        Type::Symbol => "[symbol]".to_string(),
        Type::BigInt | Type::Int | Type::Float | Type::Bool | Type::Null => {
            Coerced::<String>::from_js(ctx, value.clone())?.0
        }
        _ => match value.as_object().filter(|o| o.is_error()) {
            Some(o) => error_text(o),
            None => match ctx.json_stringify(value.clone())? {
                Some(s) => js_text(&s, max)?,
                None => "undefined".to_string(),
            },
        },
    })
}

/// Rewrites QuickJS frames (`    at f (code:3:5)`) into the user's terms
/// (`at f (line 3, column 5)`); the script body itself is `<script>`.
fn clean_stack(stack: &str) -> String {
    stack
        .lines()
        .filter_map(|line| {
            let frame = line.trim().strip_prefix("at ")?;
            let (name, place) = match frame.rsplit_once(" (") {
                Some((name, place)) => (name, place.trim_end_matches(')')),
                None => ("<script>", frame),
            };
            let name = if name == "default" { "<script>" } else { name };
            Some(match frame_position(line) {
                Some((l, c)) => format!("at {name} (line {l}, column {c})"),
                None => format!("at {name} ({place})"),
            })
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The user's (line, column) of a frame in the script module.
fn frame_position(frame: &str) -> Option<(usize, usize)> {
    let marker = format!("{MODULE_NAME}:");
    let start = frame.find(&marker)? + marker.len();
    let rest = frame[start..].trim_end_matches(')');
    let (line, column) = rest.split_once(':')?;
    let line: usize = line.parse().ok()?;
    let column: usize = column.parse().ok()?;
    let column = if line == 1 {
        column.saturating_sub(PREFIX.len()).max(1)
    } else {
        column
    };
    Some((line, column))
}

/// `console` lines, capped in number and length.
#[derive(Debug)]
struct LogSink {
    lines: Vec<NodeLog>,
    dropped: usize,
    max_lines: usize,
    max_line_bytes: usize,
}

impl LogSink {
    fn new(limits: &Limits) -> Self {
        Self {
            lines: Vec::new(),
            dropped: 0,
            max_lines: limits.max_log_lines,
            max_line_bytes: limits.max_log_line_bytes,
        }
    }

    /// True (and the line counted as dropped) when no more lines are kept.
    fn full(&mut self) -> bool {
        if self.lines.len() >= self.max_lines {
            self.dropped += 1;
            true
        } else {
            false
        }
    }

    fn push(&mut self, level: LogLevel, mut line: String) {
        if line.len() > self.max_line_bytes {
            let end = cut(&line, self.max_line_bytes).len();
            line.truncate(end);
            line.push_str("… (truncated)");
        }
        self.lines.push(NodeLog::new(level, line));
    }

    /// The kept lines, plus one saying how many were dropped.
    fn drain(&mut self) -> Vec<NodeLog> {
        let mut lines = std::mem::take(&mut self.lines);
        if self.dropped > 0 {
            lines.push(NodeLog::new(
                LogLevel::Warn,
                format!(
                    "{} more console line(s) dropped: at most {} are kept",
                    self.dropped, self.max_lines
                ),
            ));
        }
        lines
    }
}

/// Rust's allocator with a budget: refuses (and remembers refusing) any allocation that
/// would take the runtime past `limit` bytes. QuickJS turns the refusal into an
/// "out of memory" error; `exceeded` tells the run it was the limit, even when QuickJS could
/// not allocate the error object and threw `null`.
struct LimitedAllocator {
    used: usize,
    limit: usize,
    exceeded: Rc<Cell<bool>>,
}

impl LimitedAllocator {
    fn admit(&mut self, extra: usize) -> bool {
        let fits = self
            .used
            .checked_add(extra)
            .is_some_and(|total| total <= self.limit);
        if !fits {
            self.exceeded.set(true);
        }
        fits
    }
}

// SAFETY: every call is forwarded to `RustAllocator`, which upholds the contract; this type
// only counts `usable_size` of what it hands out and refuses requests over the budget by
// returning null, which QuickJS handles as an allocation failure.
unsafe impl Allocator for LimitedAllocator {
    fn alloc(&mut self, size: usize) -> *mut u8 {
        if !self.admit(size) {
            return std::ptr::null_mut();
        }
        let ptr = RustAllocator.alloc(size);
        if !ptr.is_null() {
            // SAFETY: `ptr` was just returned by `RustAllocator`.
            self.used += unsafe { RustAllocator::usable_size(ptr) };
        }
        ptr
    }

    fn calloc(&mut self, count: usize, size: usize) -> *mut u8 {
        let Some(total) = count.checked_mul(size) else {
            self.exceeded.set(true);
            return std::ptr::null_mut();
        };
        if !self.admit(total) {
            return std::ptr::null_mut();
        }
        let ptr = RustAllocator.calloc(count, size);
        if !ptr.is_null() {
            // SAFETY: `ptr` was just returned by `RustAllocator`.
            self.used += unsafe { RustAllocator::usable_size(ptr) };
        }
        ptr
    }

    unsafe fn dealloc(&mut self, ptr: *mut u8) {
        // SAFETY: QuickJS only frees what this allocator handed out.
        unsafe {
            self.used = self.used.saturating_sub(RustAllocator::usable_size(ptr));
            RustAllocator.dealloc(ptr);
        }
    }

    unsafe fn realloc(&mut self, ptr: *mut u8, new_size: usize) -> *mut u8 {
        // SAFETY: QuickJS only reallocates what this allocator handed out (never null, never
        // to size 0: it handles those cases itself).
        unsafe {
            let old = RustAllocator::usable_size(ptr);
            if new_size > old && !self.admit(new_size - old) {
                return std::ptr::null_mut();
            }
            let new = RustAllocator.realloc(ptr, new_size);
            if !new.is_null() {
                self.used = self.used.saturating_sub(old) + RustAllocator::usable_size(new);
            }
            new
        }
    }

    unsafe fn usable_size(ptr: *mut u8) -> usize {
        // SAFETY: forwarded as is.
        unsafe { RustAllocator::usable_size(ptr) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_rewritten_into_user_lines() {
        let stack = "    at f (code:1:60)\n    at default (code:3:1)\n    at parse (native)\n";
        assert_eq!(
            clean_stack(stack),
            format!(
                "at f (line 1, column {})\nat <script> (line 3, column 1)\nat parse (native)",
                60 - PREFIX.len()
            )
        );
        assert_eq!(frame_position("    at code:2:7"), Some((2, 7)));
        assert_eq!(frame_position("    at parse (native)"), None);
    }
}

//! jq expressions (via jaq) and `{{ }}` templates.
//!
//! Every expression is compiled once, when a workflow version is compiled, and then run many
//! times. A config string that is exactly one `{{ expr }}` yields the expression's JSON value;
//! a string mixing text and templates yields a string. Functions that would reach outside the
//! workflow (`env`, `$ENV`, `input`) are not available.

use jaq_core::load::parse::Def;
use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Vars, data::JustLut};
use jaq_json::Val;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::fmt;
use std::sync::{Arc, LazyLock, OnceLock};

/// Functions left out of the jq standard library: they read the process environment or stdin.
const BLOCKED: &[&str] = &["env", "input", "inputs"];

/// Most outputs an expression may produce before we stop collecting.
const MAX_OUTPUTS: usize = 100_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    pub message: String,
}

impl ExprError {
    fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExprError {}

type JaqFilter = jaq_core::Filter<JustLut<Val>>;

/// The global variable that selects one expression of a program compiled from many.
const BRANCH_VAR: &str = "$__weft_branch";

/// A jq filter. Cheap to clone.
///
/// Compiling a jq program also compiles the standard library it may call, which costs far
/// more than a typical one-line expression. So a filter is parsed (syntax checked) when it is
/// created, and compiled either together with every other expression of its workflow
/// version ([`Filter::compile_together`]: one program, one standard library) or, failing
/// that, on its own the first time it runs.
#[derive(Clone)]
pub struct Filter {
    source: Arc<str>,
    compiled: Arc<OnceLock<Result<Compiled, ExprError>>>,
}

/// A filter's program: its own, or a shared one in which `branch` selects it.
#[derive(Clone)]
struct Compiled {
    program: Arc<JaqFilter>,
    branch: Option<usize>,
}

impl fmt::Debug for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Filter({:?})", self.source)
    }
}

impl PartialEq for Filter {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

/// The jq standard library's definitions, parsed once per process.
static DEFS: LazyLock<Vec<Def>> = LazyLock::new(|| {
    jaq_core::defs()
        .chain(jaq_std::defs())
        .chain(jaq_json::defs())
        .collect()
});

/// Compiles one jq program; undefined names are reported by name.
fn compile_program(code: &str, global_vars: &[&'static str]) -> Result<JaqFilter, ExprError> {
    let funs = jaq_core::funs()
        .chain(jaq_std::funs())
        .chain(jaq_json::funs())
        .filter(|f| !BLOCKED.contains(&f.0));
    let arena = Arena::default();
    let modules = Loader::new(DEFS.iter().cloned())
        .load(&arena, File { code, path: () })
        .map_err(|errs| ExprError::new(describe_load_errors(code, errs)))?;
    Compiler::default()
        .with_funs(funs)
        .with_global_vars(global_vars.iter().copied())
        .compile(modules)
        .map_err(|errs| {
            let names: Vec<String> = errs
                .into_iter()
                .flat_map(|(_, es)| es.into_iter())
                .map(|(name, undefined)| {
                    format!("{} `{name}`", format!("{undefined:?}").to_lowercase())
                })
                .collect();
            ExprError::new(format!("undefined {}", names.join(", ")))
        })
}

impl Filter {
    /// Checks the syntax of a jq filter without compiling it yet.
    pub fn parse(source: &str) -> Result<Filter, ExprError> {
        let arena = Arena::default();
        Loader::new(DEFS.iter().cloned())
            .load(
                &arena,
                File {
                    code: source,
                    path: (),
                },
            )
            .map_err(|errs| ExprError::new(describe_load_errors(source, errs)))?;
        Ok(Filter {
            source: source.into(),
            compiled: Arc::new(OnceLock::new()),
        })
    }

    /// Parses and compiles a jq filter on its own; the error says what is wrong and where.
    pub fn compile(source: &str) -> Result<Filter, ExprError> {
        let f = Filter::parse(source)?;
        f.compiled()?;
        Ok(f)
    }

    /// Compiles `filters` as one program (the standard library once for all of them).
    /// Returns the index and error of each filter that does not compile; the others are
    /// ready to run.
    pub fn compile_together(filters: &[&Filter]) -> Vec<(usize, ExprError)> {
        let pending: Vec<(usize, &Filter)> = filters
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, f)| f.compiled.get().is_none())
            .collect();
        if pending.len() > 1 {
            let sources: Vec<&str> = pending.iter().map(|(_, f)| &*f.source).collect();
            if let Ok(program) = compile_program(&branch_tree(&sources, 0), &[BRANCH_VAR]) {
                let program = Arc::new(program);
                for (branch, (_, f)) in pending.iter().enumerate() {
                    let _ = f.compiled.set(Ok(Compiled {
                        program: program.clone(),
                        branch: Some(branch),
                    }));
                }
                return Vec::new();
            }
        }
        // Something does not compile: compile each on its own to say which and why.
        pending
            .into_iter()
            .filter_map(|(i, f)| f.compiled().err().map(|e| (i, e)))
            .collect()
    }

    fn compiled(&self) -> Result<&Compiled, ExprError> {
        self.compiled
            .get_or_init(|| {
                compile_program(&self.source, &[]).map(|p| Compiled {
                    program: Arc::new(p),
                    branch: None,
                })
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// Runs the filter on `input`, collecting every output.
    pub fn run(&self, input: &Value) -> Result<Vec<Value>, ExprError> {
        self.run_val(to_val(input))
    }

    fn run_val(&self, input: Val) -> Result<Vec<Value>, ExprError> {
        let c = self.compiled()?;
        let vars = match c.branch {
            Some(b) => Vars::new([Val::from(b)]),
            None => Vars::new([]),
        };
        let ctx = Ctx::<JustLut<Val>>::new(&c.program.lut, vars);
        let mut out = Vec::new();
        for r in c.program.id.run((ctx, input)).map(jaq_core::unwrap_valr) {
            match r {
                Ok(v) => out.push(from_val(&v)?),
                Err(e) => return Err(ExprError::new(format!("jq error: {e}"))),
            }
            if out.len() >= MAX_OUTPUTS {
                return Err(ExprError::new(format!(
                    "expression produced more than {MAX_OUTPUTS} values"
                )));
            }
        }
        Ok(out)
    }

    /// The first output, or `null` when the filter produces none.
    pub fn first(&self, input: &Value) -> Result<Value, ExprError> {
        Ok(self.run(input)?.into_iter().next().unwrap_or(Value::Null))
    }

    fn first_of(&self, input: &Converted<'_>) -> Result<Value, ExprError> {
        Ok(self
            .run_val(input.get())?
            .into_iter()
            .next()
            .unwrap_or(Value::Null))
    }
}

/// A context converted to jaq's value type at most once, however many templates of a config
/// read it (the conversion is a deep copy; cloning the converted value is cheap).
struct Converted<'a> {
    json: &'a Value,
    val: std::cell::OnceCell<Val>,
}

impl<'a> Converted<'a> {
    fn new(json: &'a Value) -> Self {
        Self {
            json,
            val: std::cell::OnceCell::new(),
        }
    }

    fn get(&self) -> Val {
        self.val.get_or_init(|| to_val(self.json)).clone()
    }
}

/// One program running the expression `$__weft_branch` selects: a balanced tree of `if`s,
/// so selecting costs log2(n) comparisons. Each expression sits on lines of its own, so a
/// trailing `# comment` cannot swallow the closing parenthesis.
fn branch_tree(sources: &[&str], base: usize) -> String {
    if sources.len() == 1 {
        return format!("(\n{}\n)", sources[0]);
    }
    let mid = sources.len() / 2;
    format!(
        "if {BRANCH_VAR} < {} then {} else {} end",
        base + mid,
        branch_tree(&sources[..mid], base),
        branch_tree(&sources[mid..], base + mid)
    )
}

fn describe_load_errors(source: &str, errs: jaq_core::load::Errors<&str, ()>) -> String {
    use jaq_core::load::Error;
    let mut msgs = Vec::new();
    for (_, e) in errs {
        match e {
            Error::Io(es) => msgs.extend(es.into_iter().map(|(p, m)| format!("{p}: {m}"))),
            Error::Lex(es) => msgs.extend(es.into_iter().map(|(expect, at)| {
                format!(
                    "expected {} at offset {}",
                    expect.as_str(),
                    jaq_core::load::span(source, at).start
                )
            })),
            Error::Parse(es) => msgs.extend(es.into_iter().map(|(expect, at)| {
                let offset = jaq_core::load::span(source, at).start;
                let found = if at.is_empty() {
                    "end of expression".to_string()
                } else {
                    format!("`{}`", at.chars().take(12).collect::<String>())
                };
                format!(
                    "expected {} at offset {offset}, found {found}",
                    expect.as_str()
                )
            })),
        }
    }
    if msgs.is_empty() {
        "invalid expression".to_string()
    } else {
        format!("invalid jq expression: {}", msgs.join("; "))
    }
}

/// Converts a JSON value into jaq's value type.
pub fn to_val(v: &Value) -> Val {
    Val::deserialize(v).expect("every JSON value converts")
}

/// Converts jaq's value back into JSON. Integral floats become integers, so `.n * 2` on 7
/// gives `14`, as jq prints it.
pub fn from_val(v: &Val) -> Result<Value, ExprError> {
    use jaq_json::Num;
    Ok(match v {
        Val::Null => Value::Null,
        Val::Bool(b) => Value::Bool(*b),
        Val::Num(n) => match n {
            Num::Int(i) => Value::from(*i as i64),
            Num::Float(f) => float_to_json(*f),
            Num::BigInt(b) => serde_json::from_str(&b.to_string())
                .unwrap_or_else(|_| Value::String(b.to_string())),
            Num::Dec(s) => match s.parse::<serde_json::Number>() {
                Ok(n) => Value::Number(n),
                Err(_) => s.parse::<f64>().map(float_to_json).unwrap_or(Value::Null),
            },
        },
        Val::TStr(b) | Val::BStr(b) => Value::String(String::from_utf8_lossy(b).into_owned()),
        Val::Arr(a) => Value::Array(a.iter().map(from_val).collect::<Result<_, _>>()?),
        Val::Obj(o) => {
            let mut m = Map::with_capacity(o.len());
            for (k, v) in o.iter() {
                let key = match k {
                    Val::TStr(b) | Val::BStr(b) => String::from_utf8_lossy(b).into_owned(),
                    other => other.to_string(),
                };
                m.insert(key, from_val(v)?);
            }
            Value::Object(m)
        }
    })
}

fn float_to_json(f: f64) -> Value {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
        Value::from(f as i64)
    } else {
        serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

/// A config string: plain text, exactly one expression (typed result), or text with
/// embedded expressions (string result).
#[derive(Debug, Clone, PartialEq)]
pub enum Template {
    Text(String),
    Whole(Filter),
    Mixed(Vec<Part>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Text(String),
    Expr(Filter),
}

impl Template {
    /// Whether `s` holds a `{{` template at all.
    pub fn is_template(s: &str) -> bool {
        s.contains("{{")
    }

    pub fn parse(s: &str) -> Result<Template, ExprError> {
        if !Self::is_template(s) {
            return Ok(Template::Text(s.to_string()));
        }
        let mut parts = Vec::new();
        let mut rest = s;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_string()));
            }
            let after = &rest[open + 2..];
            let (filter, consumed) = compile_until_close(after)?;
            parts.push(Part::Expr(filter));
            rest = &after[consumed..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        if parts.len() == 1 && matches!(parts[0], Part::Expr(_)) {
            let Some(Part::Expr(f)) = parts.pop() else {
                unreachable!()
            };
            return Ok(Template::Whole(f));
        }
        Ok(Template::Mixed(parts))
    }

    pub fn render(&self, ctx: &Value) -> Result<Value, ExprError> {
        self.render_converted(&Converted::new(ctx))
    }

    /// The filters this template runs.
    pub fn filters(&self) -> Vec<&Filter> {
        match self {
            Template::Text(_) => Vec::new(),
            Template::Whole(f) => vec![f],
            Template::Mixed(parts) => parts
                .iter()
                .filter_map(|p| match p {
                    Part::Expr(f) => Some(f),
                    Part::Text(_) => None,
                })
                .collect(),
        }
    }

    fn render_converted(&self, ctx: &Converted<'_>) -> Result<Value, ExprError> {
        match self {
            Template::Text(t) => Ok(Value::String(t.clone())),
            Template::Whole(f) => f.first_of(ctx),
            Template::Mixed(parts) => {
                let mut s = String::new();
                for p in parts {
                    match p {
                        Part::Text(t) => s.push_str(t),
                        Part::Expr(f) => match f.first_of(ctx)? {
                            Value::String(v) => s.push_str(&v),
                            Value::Null => {}
                            other => s.push_str(&other.to_string()),
                        },
                    }
                }
                Ok(Value::String(s))
            }
        }
    }
}

/// Finds the `}}` that closes a template. jq objects can contain `}}` themselves
/// (`{{ {a: {b: 1}} }}`), so take the first candidate whose inside parses.
fn compile_until_close(after_open: &str) -> Result<(Filter, usize), ExprError> {
    let mut first_err = None;
    let mut from = 0;
    while let Some(i) = after_open[from..].find("}}") {
        let close = from + i;
        let inner = after_open[..close].trim();
        if inner.is_empty() {
            return Err(ExprError::new("empty expression in `{{ }}`"));
        }
        match Filter::parse(inner) {
            Ok(f) => return Ok((f, close + 2)),
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
        from = close + 1;
    }
    Err(first_err.unwrap_or_else(|| ExprError::new("`{{` without a closing `}}`")))
}

/// A config value with every template compiled, ready to render against a context.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigTemplate {
    /// Holds no template: rendering is a clone.
    Literal(Value),
    String(Template),
    Array(Vec<ConfigTemplate>),
    Object(Vec<(String, ConfigTemplate)>),
}

/// Where in a config a template failed to compile (JSON pointer relative to the config).
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateError {
    pub pointer: String,
    pub error: ExprError,
}

impl ConfigTemplate {
    /// Compiles every template in `value`. `raw` top-level keys are kept as they are.
    pub fn compile(value: &Value, raw: &[String]) -> Result<ConfigTemplate, Vec<TemplateError>> {
        let mut errors = Vec::new();
        let t = Self::compile_at(value, "", raw, &mut errors);
        if errors.is_empty() {
            Ok(t)
        } else {
            Err(errors)
        }
    }

    fn compile_at(
        value: &Value,
        pointer: &str,
        raw: &[String],
        errors: &mut Vec<TemplateError>,
    ) -> ConfigTemplate {
        if !contains_template(value) {
            return ConfigTemplate::Literal(value.clone());
        }
        match value {
            Value::String(s) => match Template::parse(s) {
                Ok(t) => ConfigTemplate::String(t),
                Err(error) => {
                    errors.push(TemplateError {
                        pointer: pointer.to_string(),
                        error,
                    });
                    ConfigTemplate::Literal(value.clone())
                }
            },
            Value::Array(items) => ConfigTemplate::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| Self::compile_at(v, &format!("{pointer}/{i}"), &[], errors))
                    .collect(),
            ),
            Value::Object(o) => ConfigTemplate::Object(
                o.iter()
                    .map(|(k, v)| {
                        let t = if raw.iter().any(|r| r == k) {
                            ConfigTemplate::Literal(v.clone())
                        } else {
                            let p = format!("{pointer}/{}", crate::definition::escape_pointer(k));
                            Self::compile_at(v, &p, &[], errors)
                        };
                        (k.clone(), t)
                    })
                    .collect(),
            ),
            _ => ConfigTemplate::Literal(value.clone()),
        }
    }

    pub fn render(&self, ctx: &Value) -> Result<Value, TemplateError> {
        self.render_at(&Converted::new(ctx), "")
    }

    fn render_at(&self, ctx: &Converted<'_>, pointer: &str) -> Result<Value, TemplateError> {
        match self {
            ConfigTemplate::Literal(v) => Ok(v.clone()),
            ConfigTemplate::String(t) => t.render_converted(ctx).map_err(|error| TemplateError {
                pointer: pointer.to_string(),
                error,
            }),
            ConfigTemplate::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, t)| t.render_at(ctx, &format!("{pointer}/{i}")))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            ConfigTemplate::Object(fields) => {
                let mut m = Map::with_capacity(fields.len());
                for (k, t) in fields {
                    let p = format!("{pointer}/{}", crate::definition::escape_pointer(k));
                    m.insert(k.clone(), t.render_at(ctx, &p)?);
                }
                Ok(Value::Object(m))
            }
        }
    }

    /// Every filter in the config with its JSON pointer (relative to the config).
    pub fn filters(&self) -> Vec<(String, &Filter)> {
        let mut out = Vec::new();
        self.collect_filters("", &mut out);
        out
    }

    fn collect_filters<'a>(&'a self, pointer: &str, out: &mut Vec<(String, &'a Filter)>) {
        match self {
            ConfigTemplate::Literal(_) => {}
            ConfigTemplate::String(t) => {
                out.extend(t.filters().into_iter().map(|f| (pointer.to_string(), f)))
            }
            ConfigTemplate::Array(items) => {
                for (i, t) in items.iter().enumerate() {
                    t.collect_filters(&format!("{pointer}/{i}"), out);
                }
            }
            ConfigTemplate::Object(fields) => {
                for (k, t) in fields {
                    t.collect_filters(
                        &format!("{pointer}/{}", crate::definition::escape_pointer(k)),
                        out,
                    );
                }
            }
        }
    }

    /// The compiled template at a top-level key, if that key holds one.
    pub fn field(&self, key: &str) -> Option<&ConfigTemplate> {
        match self {
            ConfigTemplate::Object(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, t)| t),
            _ => None,
        }
    }
}

/// Whether any string inside `value` holds a template.
pub fn contains_template(value: &Value) -> bool {
    match value {
        Value::String(s) => Template::is_template(s),
        Value::Array(a) => a.iter().any(contains_template),
        Value::Object(o) => o.values().any(contains_template),
        _ => false,
    }
}

/// Compiles a raw filter field: plain jq, or jq wrapped in one `{{ }}`.
pub fn compile_filter_field(source: &str) -> Result<Filter, ExprError> {
    let trimmed = source.trim();
    if trimmed.starts_with("{{")
        && trimmed.ends_with("}}")
        && let Ok(Template::Whole(f)) = Template::parse(trimmed)
    {
        return Ok(f);
    }
    Filter::parse(trimmed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn whole_template_yields_the_typed_value() {
        let t = Template::parse("{{ .xs | length }}").unwrap();
        assert_eq!(t.render(&json!({"xs": [1, 2, 3]})).unwrap(), json!(3));
    }

    #[test]
    fn mixed_template_yields_a_string() {
        let t = Template::parse("hello {{ .who }}, you are {{ .age }}").unwrap();
        assert_eq!(
            t.render(&json!({"who": "ada", "age": 36})).unwrap(),
            json!("hello ada, you are 36")
        );
    }

    #[test]
    fn object_literals_with_closing_braces_inside_work() {
        let t = Template::parse("{{ {a: {b: .x}} }}").unwrap();
        assert_eq!(t.render(&json!({"x": 1})).unwrap(), json!({"a": {"b": 1}}));
    }

    #[test]
    fn arithmetic_keeps_integers() {
        let f = Filter::compile("{n: (.n * 2)}").unwrap();
        assert_eq!(f.first(&json!({"n": 7})).unwrap(), json!({"n": 14}));
        assert_eq!(
            Filter::compile(".n / 2")
                .unwrap()
                .first(&json!({"n": 3}))
                .unwrap(),
            json!(1.5)
        );
    }

    #[test]
    fn syntax_errors_are_reported() {
        let e = Filter::compile(".a | | .b").unwrap_err();
        assert!(e.message.contains("invalid jq"), "{}", e.message);
        let e = Filter::compile("nosuchfn(1)").unwrap_err();
        assert!(e.message.contains("nosuchfn"), "{}", e.message);
    }

    #[test]
    fn env_is_not_available() {
        assert!(Filter::compile("env").is_err());
        assert!(Filter::compile("$ENV").is_err());
    }

    #[test]
    fn config_templates_render_recursively_and_leave_raw_fields() {
        let cfg = json!({"url": "http://x/{{ .id }}", "n": "{{ .id }}", "body": {"x": "{{ .id }}"}, "keep": 1});
        let t = ConfigTemplate::compile(&cfg, &["body".to_string()]).unwrap();
        assert_eq!(
            t.render(&json!({"id": 5})).unwrap(),
            json!({"url": "http://x/5", "n": 5, "body": {"x": "{{ .id }}"}, "keep": 1})
        );
    }

    #[test]
    fn runtime_errors_name_the_field() {
        let t = ConfigTemplate::compile(&json!({"a": {"b": "{{ .x + 1 }}"}}), &[]).unwrap();
        let e = t.render(&json!({"x": "s"})).unwrap_err();
        assert_eq!(e.pointer, "/a/b");
    }
}

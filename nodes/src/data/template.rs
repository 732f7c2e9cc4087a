//! `data.template`: renders a Jinja text template (minijinja) over the node's context.
//!
//! Weft's own `{{ }}` templates are jq and give one value; building a whole email body, a
//! report or a configuration file out of loops and conditions is what a text template
//! engine is for. The template is a raw field (the engine does not render its `{{ }}`), so
//! `{{ input.name }}` and `{% for o in prev.orders %}` are Jinja, evaluated over `data`
//! (by default the whole context: `input`, `prev`, `nodes`, `item`, `index`, `execution`,
//! `vars`).
//!
//! Templates come from workflow authors and data from outside, so rendering is bounded: the
//! template's size, the output's size, the instructions one render may run (minijinja fuel)
//! and its nesting depth. Syntax errors are config problems at `/template` with their line,
//! found when the workflow is validated.

use crate::config::{object_schema, parse_config};
use crate::{Node, NodeInput, NodeOutput};
use async_trait::async_trait;
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Deserialize;
use serde_json::{Value, json};
use std::io::Write;
use weft_core::catalog::ConfigProblem;
use weft_core::{NodeError, NodeSpec, Ports};

/// The longest template accepted, in bytes.
pub const MAX_TEMPLATE_BYTES: usize = 64 * 1024;
/// The longest rendered output, in bytes.
pub const MAX_OUTPUT_BYTES: usize = 1024 * 1024;
/// Instructions one render may run (minijinja fuel): enough for loops over ~100k items,
/// not for a loop nested in a loop over big ranges.
pub const FUEL: u64 = 5_000_000;
/// How deeply blocks (for, if, with, filters) may nest while rendering.
pub const RECURSION_LIMIT: usize = 100;

/// `data.template`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TemplateNode;

impl TemplateNode {
    pub const TYPE: &'static str = "data.template";
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
enum Format {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
enum Escape {
    #[default]
    None,
    Html,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateConfig {
    template: String,
    #[serde(default, deserialize_with = "super::present")]
    data: Option<Value>,
    #[serde(default)]
    format: Format,
    #[serde(default)]
    autoescape: Escape,
    #[serde(default)]
    strict: bool,
    #[serde(default)]
    trim_blocks: bool,
}

/// The settings a template is compiled with (they matter for parsing too).
#[derive(Debug, Clone, Copy, Default)]
struct Settings {
    autoescape: Escape,
    strict: bool,
    trim_blocks: bool,
}

fn environment<'s>(settings: Settings) -> Environment<'s> {
    let mut env = Environment::new();
    env.set_fuel(Some(FUEL));
    env.set_recursion_limit(RECURSION_LIMIT);
    env.set_keep_trailing_newline(true);
    env.set_trim_blocks(settings.trim_blocks);
    env.set_lstrip_blocks(settings.trim_blocks);
    env.set_undefined_behavior(if settings.strict {
        UndefinedBehavior::Strict
    } else {
        UndefinedBehavior::Lenient
    });
    let escape = settings.autoescape;
    env.set_auto_escape_callback(move |_| match escape {
        Escape::None => AutoEscape::None,
        Escape::Html => AutoEscape::Html,
    });
    env
}

/// A minijinja error as one line: `line N: kind: detail`.
fn describe(e: &minijinja::Error) -> String {
    let mut s = match e.detail() {
        Some(detail) => format!("{}: {detail}", e.kind()),
        None => e.kind().to_string(),
    };
    if let Some(line) = e.line() {
        s = format!("line {line}: {s}");
    }
    s
}

/// The template's problems, as config problems at `/template`.
fn check_template(source: &str, settings: Settings) -> Option<ConfigProblem> {
    let at = |message: String| ConfigProblem {
        pointer: "/template".to_string(),
        message,
    };
    if source.len() > MAX_TEMPLATE_BYTES {
        return Some(at(format!(
            "the template is {} bytes, more than the limit of {MAX_TEMPLATE_BYTES}",
            source.len()
        )));
    }
    let env = environment(settings);
    env.template_from_named_str("template", source)
        .err()
        .map(|e| at(describe(&e)))
}

/// A writer that stops the render once the output would pass the limit.
struct Capped {
    buf: Vec<u8>,
    over: bool,
}

impl Write for Capped {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        if self.buf.len() + b.len() > MAX_OUTPUT_BYTES {
            self.over = true;
            return Err(std::io::Error::other("output limit reached"));
        }
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn render(source: &str, data: Value, settings: Settings) -> Result<String, NodeError> {
    if let Some(p) = check_template(source, settings) {
        return Err(NodeError::config(format!(
            "invalid {} config: {}: {}",
            TemplateNode::TYPE,
            p.pointer,
            p.message
        )));
    }
    let env = environment(settings);
    let template = env
        .template_from_named_str("template", source)
        .map_err(|e| {
            NodeError::config(format!(
                "invalid {} config: /template: {}",
                TemplateNode::TYPE,
                describe(&e)
            ))
        })?;
    // An object's fields are the template's variables; anything else is `data`.
    let context = match data {
        Value::Object(_) => minijinja::Value::from_serialize(&data),
        other => minijinja::context! { data => minijinja::Value::from_serialize(&other) },
    };
    let mut out = Capped {
        buf: Vec::new(),
        over: false,
    };
    if let Err(e) = template.render_captured_to(context, &mut out) {
        if out.over {
            return Err(NodeError::permanent(format!(
                "{}: the rendered text is longer than the limit of {MAX_OUTPUT_BYTES} bytes",
                TemplateNode::TYPE
            )));
        }
        let hint = match e.kind() {
            minijinja::ErrorKind::OutOfFuel => {
                format!(" (the limit is {FUEL} instructions per render)")
            }
            _ => String::new(),
        };
        return Err(NodeError::permanent(format!(
            "{}: rendering failed: {}{hint}",
            TemplateNode::TYPE,
            describe(&e)
        )));
    }
    String::from_utf8(out.buf).map_err(|_| {
        NodeError::permanent(format!(
            "{}: the rendered text is not UTF-8",
            TemplateNode::TYPE
        ))
    })
}

#[async_trait]
impl Node for TemplateNode {
    fn runs_inline(&self) -> bool {
        true
    }

    fn spec(&self) -> NodeSpec {
        NodeSpec {
            type_name: Self::TYPE.to_string(),
            category: "data".to_string(),
            description: "Renders a Jinja text template (minijinja) over `data` — by default \
                          the whole context, so {{ input.name }}, {{ prev.total }} and \
                          {% for o in nodes.fetch.body %} work. Outputs the text, or with \
                          format `json` the value the text parses to. Bounded: 64 KiB \
                          template, 1 MiB output, 5 million instructions per render."
                .to_string(),
            trigger: false,
            ports: Ports::main(),
            schema: object_schema(
                "Template",
                json!({
                    "template": {
                        "type": "string",
                        "title": "Template",
                        "description": "A Jinja template (minijinja dialect): {{ expr }}, \
                                        {% if %}, {% for %}, filters such as | upper, | join, \
                                        | tojson. Written as is: the engine does not render \
                                        its {{ }}. At most 64 KiB.",
                        "maxLength": MAX_TEMPLATE_BYTES,
                        "examples": ["Hello {{ input.name }}!\n{% for o in prev.orders %}- {{ o.id }}: {{ o.total }}\n{% endfor %}"]
                    },
                    "data": {
                        "title": "Data",
                        "description": "The values the template sees: an object's fields \
                                        become its variables; anything else is the variable \
                                        `data`. May be a {{ }} (jq) template such as \
                                        {{ .prev }}. Left out: the whole context \
                                        ({{ . }}: input, prev, nodes, item, index, execution, \
                                        vars).",
                        "default": "{{ . }}"
                    },
                    "format": {
                        "type": "string",
                        "title": "Output format",
                        "description": "text: output the rendered string; json: parse the \
                                        rendered text as JSON and output that value (text \
                                        that does not parse is a permanent error).",
                        "enum": ["text", "json"],
                        "default": "text"
                    },
                    "autoescape": {
                        "type": "string",
                        "title": "Auto-escape",
                        "description": "none: values are inserted as they are; html: values \
                                        are HTML-escaped (use | safe to insert one \
                                        unescaped).",
                        "enum": ["none", "html"],
                        "default": "none"
                    },
                    "strict": {
                        "type": "boolean",
                        "title": "Strict variables",
                        "description": "On: using a variable or field that does not exist \
                                        fails the node. Off: it renders as empty text.",
                        "default": false
                    },
                    "trim_blocks": {
                        "type": "boolean",
                        "title": "Trim blocks",
                        "description": "On: the newline after a {% %} tag and the spaces \
                                        before it on its line are removed, so block tags on \
                                        lines of their own leave no blank lines.",
                        "default": false
                    }
                }),
                &["template"],
            ),
            filter_fields: Vec::new(),
            raw_fields: vec!["template".to_string()],
            default_retry: None,
        }
    }

    fn check_config(&self, config: &Value) -> Vec<ConfigProblem> {
        let Some(source) = config.get("template").and_then(Value::as_str) else {
            return Vec::new();
        };
        let settings = Settings {
            trim_blocks: config
                .get("trim_blocks")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            ..Settings::default()
        };
        check_template(source, settings).into_iter().collect()
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let config: TemplateConfig = parse_config(Self::TYPE, &input.config)?;
        let data = config.data.unwrap_or_else(|| input.context.clone());
        let settings = Settings {
            autoescape: config.autoescape,
            strict: config.strict,
            trim_blocks: config.trim_blocks,
        };
        let text = render(&config.template, data, settings)?;
        let output = match config.format {
            Format::Text => Value::String(text),
            Format::Json => serde_json::from_str(&text).map_err(|e| {
                NodeError::permanent(format!(
                    "{}: the rendered text is not valid JSON (format: json): {e}",
                    Self::TYPE
                ))
            })?,
        };
        Ok(NodeOutput::main(output))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuel_stops_runaway_loops_but_not_ordinary_ones() {
        let ok = render(
            "{% for i in range(10000) %}{{ i }},{% endfor %}",
            json!({}),
            Settings::default(),
        )
        .unwrap();
        assert!(ok.ends_with("9999,"));
        let e = render(
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
            json!({}),
            Settings::default(),
        )
        .unwrap_err();
        assert_eq!(e.kind, weft_core::ErrorKind::Permanent);
        assert!(e.message.contains("fuel"), "{}", e.message);
    }

    #[test]
    fn output_is_capped() {
        let e = render(
            "{% for i in range(100000) %}{{ x }}{% endfor %}",
            json!({"x": "y".repeat(100)}),
            Settings::default(),
        )
        .unwrap_err();
        assert!(e.message.contains("longer than the limit"), "{}", e.message);
    }
}

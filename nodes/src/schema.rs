//! Checking a node's config against its type's JSON Schema, with messages meant for people.
//!
//! A config is checked twice: when a workflow is validated (every `{{ }}` template is still
//! text then, so a violation whose value is a template is not reported: it will only be known
//! at run time) and after the engine rendered the templates, right before the node runs
//! (then everything counts). Both report each problem with a JSON pointer into the config and
//! a sentence that names what is wrong, rather than the validator's schema jargon.

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{Draft, JsonType, ValidationError, Validator};
use serde_json::{Value, json};
use weft_core::NodeError;
use weft_core::catalog::ConfigProblem;
use weft_core::definition::escape_pointer;
use weft_core::expr::Template;

/// When a config is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Validating a definition: templates are not rendered yet.
    Design,
    /// Right before a run: templates are rendered.
    Rendered,
}

/// A type's compiled config schema.
pub(crate) struct ConfigSchema {
    schema: Value,
    validator: Validator,
}

impl std::fmt::Debug for ConfigSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigSchema")
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

/// One problem, plus whether it is a missing required field (alternatives in `oneOf` are
/// ranked by that: a branch that only lacks a field says less than one whose field is wrong).
struct Found {
    problem: ConfigProblem,
    missing: bool,
}

impl Found {
    fn new(pointer: String, message: String) -> Self {
        Self {
            problem: ConfigProblem { pointer, message },
            missing: false,
        }
    }
}

impl ConfigSchema {
    /// Compiles a draft 2020-12 schema. Formats (`uuid`, `date-time`, …) are checked, and
    /// no remote `$ref` is ever fetched (the crate is built without its HTTP resolver).
    pub(crate) fn compile(schema: Value) -> Result<Self, String> {
        let validator = jsonschema::options()
            .with_draft(Draft::Draft202012)
            .should_validate_formats(true)
            .build(&schema)
            .map_err(|e| e.to_string())?;
        Ok(Self { schema, validator })
    }

    /// Every problem with `config`, in the order the validator found them, without repeats.
    pub(crate) fn problems(&self, config: &Value, stage: Stage) -> Vec<ConfigProblem> {
        let mut found = Vec::new();
        for error in self.validator.iter_errors(config) {
            self.convert(&error, stage, &mut found);
        }
        let mut problems: Vec<ConfigProblem> = Vec::with_capacity(found.len());
        for f in found {
            if !problems.contains(&f.problem) {
                problems.push(f.problem);
            }
        }
        problems
    }

    /// The run-time check: a `config` error naming every field that is wrong.
    pub(crate) fn check_rendered(&self, type_name: &str, config: &Value) -> Result<(), NodeError> {
        let problems = self.problems(config, Stage::Rendered);
        if problems.is_empty() {
            return Ok(());
        }
        Err(problems_to_error(type_name, &problems))
    }

    fn convert(&self, e: &ValidationError<'_>, stage: Stage, out: &mut Vec<Found>) {
        let instance: &Value = e.instance();
        if stage == Stage::Design && is_template(instance) {
            // Known only at run time; the rendered value is checked then.
            return;
        }
        let path = e.instance_path().as_str();
        let at = |name: &str| format!("{path}/{}", escape_pointer(name));
        match e.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected }
            | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
                let known = self.known_properties(e.schema_path().as_str());
                for name in unexpected {
                    out.push(Found::new(at(name), unknown_field_message(name, &known)));
                }
            }
            ValidationErrorKind::Required { property } => {
                let name = property
                    .as_str()
                    .map_or_else(|| property.to_string(), str::to_string);
                out.push(Found {
                    problem: ConfigProblem {
                        pointer: at(&name),
                        message: "required field is missing".to_string(),
                    },
                    missing: true,
                });
            }
            ValidationErrorKind::Type { kind } => {
                let expected = match kind {
                    TypeKind::Single(t) => with_article(*t).to_string(),
                    TypeKind::Multiple(set) => {
                        or_list(&set.iter().map(with_article).collect::<Vec<_>>())
                    }
                };
                out.push(Found::new(
                    path.to_string(),
                    format!("expected {expected}, got {}", describe(instance)),
                ));
            }
            ValidationErrorKind::Enum { options } => {
                let options = options.as_array().map_or_else(
                    || options.to_string(),
                    |o| {
                        o.iter()
                            .map(Value::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    },
                );
                out.push(Found::new(
                    path.to_string(),
                    format!("{} is not one of {options}", excerpt(instance)),
                ));
            }
            ValidationErrorKind::Constant { expected_value } => {
                out.push(Found::new(
                    path.to_string(),
                    format!("must be {expected_value}"),
                ));
            }
            ValidationErrorKind::Format { format } => {
                let what = match format.as_str() {
                    "date-time" => "RFC 3339 date-time (e.g. 2030-01-31T12:00:00Z)",
                    "uuid" => "UUID",
                    "uri" => "absolute URI",
                    other => other,
                };
                out.push(Found::new(
                    path.to_string(),
                    format!("{} is not a valid {what}", excerpt(instance)),
                ));
            }
            ValidationErrorKind::OneOfNotValid { context }
            | ValidationErrorKind::AnyOf { context } => {
                self.convert_alternatives(e, context, stage, out);
            }
            ValidationErrorKind::OneOfMultipleValid { .. } => {
                let message = match self.alternative_fields(e.schema_path().as_str()) {
                    Some(names) => format!("set only one of {}", names.join(", ")),
                    None => "matches more than one of the allowed forms".to_string(),
                };
                out.push(Found::new(path.to_string(), message));
            }
            _ => out.push(Found::new(path.to_string(), e.to_string())),
        }
    }

    /// `oneOf` / `anyOf` that no branch satisfied: report the branch that came closest,
    /// rather than "not valid under any of the schemas".
    fn convert_alternatives(
        &self,
        e: &ValidationError<'_>,
        branches: &[Vec<ValidationError<'static>>],
        stage: Stage,
        out: &mut Vec<Found>,
    ) {
        let mut converted: Vec<Vec<Found>> = Vec::with_capacity(branches.len());
        for errors in branches {
            let mut found = Vec::new();
            for error in errors {
                self.convert(error, stage, &mut found);
            }
            if found.is_empty() {
                // This branch failed only because of templates: it may well hold at run time.
                return;
            }
            converted.push(found);
        }
        if converted.iter().all(|b| b.iter().all(|f| f.missing))
            && let Some(names) = self.alternative_fields(e.schema_path().as_str())
        {
            out.push(Found {
                problem: ConfigProblem {
                    pointer: e.instance_path().as_str().to_string(),
                    message: format!("set one of {}", names.join(", ")),
                },
                missing: true,
            });
            return;
        }
        if let Some(best) = converted
            .into_iter()
            .min_by_key(|b| (b.iter().filter(|f| f.missing).count(), b.len()))
        {
            out.extend(best);
        }
    }

    /// The property names declared next to the `additionalProperties` keyword at
    /// `keyword_path`.
    fn known_properties(&self, keyword_path: &str) -> Vec<String> {
        let parent = keyword_path.rsplit_once('/').map_or("", |(p, _)| p);
        self.schema
            .pointer(parent)
            .and_then(|s| s.get("properties"))
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// For a `oneOf`/`anyOf` whose branches each just require fields (`flow.wait`:
    /// `duration_ms` or `until`), those field names, quoted.
    fn alternative_fields(&self, keyword_path: &str) -> Option<Vec<String>> {
        let branches = self.schema.pointer(keyword_path)?.as_array()?;
        let mut names = Vec::new();
        for branch in branches {
            for name in branch.get("required")?.as_array()? {
                names.push(format!("`{}`", name.as_str()?));
            }
        }
        (!names.is_empty()).then_some(names)
    }
}

/// The `config` error for problems found in a rendered config.
pub(crate) fn problems_to_error(type_name: &str, problems: &[ConfigProblem]) -> NodeError {
    let lines: Vec<String> = problems.iter().map(format_problem).collect();
    let details: Vec<Value> = problems
        .iter()
        .map(|p| json!({"pointer": p.pointer, "message": p.message}))
        .collect();
    NodeError::config(format!("invalid {type_name} config: {}", lines.join("; ")))
        .with_details(json!({ "problems": details }))
}

/// `/pointer: message`, with `/` standing for the config itself.
pub(crate) fn format_problem(p: &ConfigProblem) -> String {
    let pointer = if p.pointer.is_empty() {
        "/"
    } else {
        &p.pointer
    };
    format!("{pointer}: {}", p.message)
}

fn is_template(v: &Value) -> bool {
    v.as_str().is_some_and(Template::is_template)
}

fn unknown_field_message(name: &str, known: &[String]) -> String {
    let closest = known
        .iter()
        .map(|k| (strsim::jaro_winkler(name, k), k))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match closest {
        Some((_, k)) => format!("unknown field `{name}` (did you mean `{k}`?)"),
        None if known.is_empty() => format!("unknown field `{name}` (this type takes no config)"),
        None => format!(
            "unknown field `{name}` (known fields: {})",
            known.join(", ")
        ),
    }
}

/// `a`, `a or b`, `a, b or c`.
fn or_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn with_article(t: JsonType) -> &'static str {
    match t {
        JsonType::Null => "null",
        JsonType::Boolean => "a boolean",
        JsonType::Integer => "an integer",
        JsonType::Number => "a number",
        JsonType::String => "a string",
        JsonType::Array => "an array",
        JsonType::Object => "an object",
    }
}

/// What a value is, for "expected X, got Y".
fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::Number(n) => format!("a number ({n})"),
        Value::String(_) => format!("a string ({})", excerpt(v)),
        Value::Array(a) if a.len() == 1 => "an array of 1 item".to_string(),
        Value::Array(a) => format!("an array of {} items", a.len()),
        Value::Object(_) => "an object".to_string(),
    }
}

/// A value as JSON, cut short when long (configs can hold big documents).
fn excerpt(v: &Value) -> String {
    const MAX: usize = 60;
    let s = v.to_string();
    if s.chars().count() <= MAX {
        return s;
    }
    let cut: String = s.chars().take(MAX).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> ConfigSchema {
        ConfigSchema::compile(json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "method": {"type": "string", "enum": ["GET", "POST", "PUT"]},
                "n": {"type": "integer", "minimum": 0},
                "at": {"type": "string", "format": "date-time"},
                "id": {"type": "string", "format": "uuid"},
                "inner": {"type": "object", "additionalProperties": false,
                          "properties": {"x": {"type": "boolean"}}, "required": ["x"]}
            },
            "required": ["method"]
        }))
        .expect("valid schema")
    }

    fn problems(config: Value, stage: Stage) -> Vec<String> {
        schema()
            .problems(&config, stage)
            .iter()
            .map(format_problem)
            .collect()
    }

    #[test]
    fn messages_name_the_field_and_the_problem() {
        let got = problems(
            json!({"method": "FETCH", "n": "x", "methd": 1, "at": "tomorrow", "id": "nope",
                   "inner": {}}),
            Stage::Rendered,
        );
        for expected in [
            r#"/method: "FETCH" is not one of "GET", "POST", "PUT""#,
            r#"/n: expected an integer, got a string ("x")"#,
            "/methd: unknown field `methd` (did you mean `method`?)",
            r#"/at: "tomorrow" is not a valid RFC 3339 date-time"#,
            r#"/id: "nope" is not a valid UUID"#,
            "/inner/x: required field is missing",
        ] {
            assert!(
                got.iter().any(|g| g.starts_with(expected)),
                "{expected} not in {got:#?}"
            );
        }
        assert_eq!(
            problems(json!({}), Stage::Rendered),
            vec!["/method: required field is missing"]
        );
    }

    #[test]
    fn templates_are_not_judged_at_design_time() {
        let config = json!({"method": "{{ .input.m }}", "n": "{{ .input.n }}",
                            "inner": {"x": "{{ true }}"}});
        assert!(problems(config.clone(), Stage::Design).is_empty());
        // After rendering the same text would be a real problem.
        assert_eq!(problems(config, Stage::Rendered).len(), 3);
        // Non-template mistakes are still reported at design time.
        assert_eq!(
            problems(json!({"method": "{{ .m }}", "n": -1}), Stage::Design),
            vec!["/n: -1 is less than the minimum of 0"]
        );
    }

    #[test]
    fn rendered_errors_are_config_errors_with_every_problem() {
        let e = schema()
            .check_rendered("x.y", &json!({"method": "FETCH", "n": 1.5}))
            .unwrap_err();
        assert_eq!(e.kind, weft_core::ErrorKind::Config);
        assert!(
            e.message
                .starts_with("invalid x.y config: /method: \"FETCH\""),
            "{}",
            e.message
        );
        assert!(
            e.message.contains("/n: expected an integer"),
            "{}",
            e.message
        );
        assert_eq!(e.details.unwrap()["problems"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn one_of_reports_the_closest_branch_or_the_choice() {
        let s = ConfigSchema::compile(json!({
            "type": "object",
            "additionalProperties": false,
            "properties": {"duration_ms": {"type": "integer", "minimum": 0},
                           "until": {"type": "string", "format": "date-time"}},
            "oneOf": [{"required": ["duration_ms"]}, {"required": ["until"]}]
        }))
        .unwrap();
        let run = |c: Value, stage| -> Vec<String> {
            s.problems(&c, stage).iter().map(format_problem).collect()
        };
        assert_eq!(
            run(json!({}), Stage::Rendered),
            vec!["/: set one of `duration_ms`, `until`"]
        );
        assert_eq!(
            run(
                json!({"duration_ms": 5, "until": "2030-01-01T00:00:00Z"}),
                Stage::Rendered
            ),
            vec!["/: set only one of `duration_ms`, `until`"]
        );
        assert_eq!(
            run(json!({"duration_ms": -5}), Stage::Rendered),
            vec!["/duration_ms: -5 is less than the minimum of 0"]
        );
        assert!(run(json!({"duration_ms": "{{ .input.ms }}"}), Stage::Design).is_empty());
    }
}

//! Flow node types: branching, joining, failing on purpose, and the types the engine runs
//! itself.
//!
//! `flow.if`, `flow.switch`, `flow.merge` and `flow.fail` are ordinary nodes: they look at
//! their rendered config and choose ports. `flow.wait`, `flow.signal`, `flow.call`,
//! `flow.for_each` and `flow.while` ([`ENGINE_TYPES`]) need durable timers, signals, child
//! executions or nested graphs, which only the execution state machine has; they are here for
//! their specs (validation, designer forms, docs) and refuse to run as nodes.

use crate::config::{object_schema, parse_config, truthy};
use crate::{Node, NodeInput, NodeOutput};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashSet;
use weft_core::catalog::ConfigProblem;
use weft_core::definition::ERROR_PORT;
use weft_core::expr::Template;
use weft_core::{NodeError, NodeSpec, Ports};

/// Types the engine's state machine runs itself; their `run` is never called.
pub const ENGINE_TYPES: &[&str] = &[
    "flow.wait",
    "flow.signal",
    "flow.call",
    "flow.for_each",
    "flow.while",
];

fn spec(
    type_name: &str,
    description: &str,
    ports: Ports,
    schema: Value,
    raw_fields: &[&str],
) -> NodeSpec {
    NodeSpec {
        type_name: type_name.to_string(),
        category: "flow".to_string(),
        description: description.to_string(),
        trigger: false,
        ports,
        schema,
        filter_fields: Vec::new(),
        raw_fields: raw_fields.iter().map(|s| s.to_string()).collect(),
        default_retry: None,
    }
}

/// A condition written as plain text is a string, and every string is true: almost surely a
/// forgotten `{{ }}`.
fn check_condition(pointer: String, condition: Option<&Value>, out: &mut Vec<ConfigProblem>) {
    if let Some(Value::String(s)) = condition
        && !Template::is_template(s)
    {
        out.push(ConfigProblem {
            pointer,
            message: format!(
                "the condition is the plain string {s:?}, which is always true; write the \
                 expression as a template, e.g. \"{{{{ {s} }}}}\""
            ),
        });
    }
}

fn condition_schema(description: &str) -> Value {
    // No `type`: after rendering, any JSON value is judged by jq truthiness.
    json!({
        "title": "Condition",
        "description": description,
        "examples": ["{{ .prev.total > 100 }}"]
    })
}

/// `flow.if`: activates `true` or `false`.
#[derive(Debug, Clone, Copy, Default)]
pub struct IfNode;

impl IfNode {
    pub const TYPE: &'static str = "flow.if";
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IfConfig {
    condition: Value,
}

#[async_trait]
impl Node for IfNode {
    fn runs_inline(&self) -> bool {
        true
    }

    fn spec(&self) -> NodeSpec {
        spec(
            Self::TYPE,
            "Branches on a condition: activates the `true` port when it holds (jq truthiness: \
             anything but false and null), `false` otherwise. Outputs the incoming value.",
            Ports::Fixed(vec!["true".to_string(), "false".to_string()]),
            object_schema(
                "If",
                json!({ "condition": condition_schema(
                    "A {{ }} template giving the value to test, e.g. {{ .prev.total > 100 }}.") }),
                &["condition"],
            ),
            &[],
        )
    }

    fn check_config(&self, config: &Value) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        check_condition("/condition".to_string(), config.get("condition"), &mut out);
        out
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let config: IfConfig = parse_config(Self::TYPE, &input.config)?;
        let port = if truthy(&config.condition) {
            "true"
        } else {
            "false"
        };
        Ok(NodeOutput::on_ports(
            input.prev().clone(),
            vec![port.to_string()],
        ))
    }
}

/// `flow.switch`: activates the first case whose condition holds (or all of them), else the
/// default port.
#[derive(Debug, Clone, Copy, Default)]
pub struct SwitchNode;

impl SwitchNode {
    pub const TYPE: &'static str = "flow.switch";
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SwitchConfig {
    cases: Vec<Case>,
    #[serde(default = "default_port")]
    default: String,
    #[serde(default)]
    all_matches: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    condition: Value,
}

fn default_port() -> String {
    "default".to_string()
}

/// Port names a switch may not use twice: every case name and the default port.
fn port_name_problems(names: &[(String, &str)]) -> Vec<ConfigProblem> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (pointer, name) in names {
        if *name == ERROR_PORT {
            out.push(ConfigProblem {
                pointer: pointer.clone(),
                message: format!("`{ERROR_PORT}` is reserved for on_error: route"),
            });
        } else if !seen.insert(*name) {
            out.push(ConfigProblem {
                pointer: pointer.clone(),
                message: format!("port name `{name}` is used twice"),
            });
        }
    }
    out
}

#[async_trait]
impl Node for SwitchNode {
    fn runs_inline(&self) -> bool {
        true
    }

    fn spec(&self) -> NodeSpec {
        spec(
            Self::TYPE,
            "Routes by cases: activates the port of the first case whose condition holds, \
             every matching case with all_matches, or the default port when none does. \
             Outputs the incoming value.",
            Ports::Cases,
            object_schema(
                "Switch",
                json!({
                    "cases": {
                        "type": "array",
                        "title": "Cases",
                        "description": "Checked in order; each case's name is an output port.",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "additionalProperties": false,
                            "required": ["name", "condition"],
                            "properties": {
                                "name": {
                                    "type": "string",
                                    "title": "Port name",
                                    "description": "The port this case activates; unique \
                                                    within the switch.",
                                    "minLength": 1
                                },
                                "condition": condition_schema(
                                    "A {{ }} template; the case matches when its value is \
                                     neither false nor null.")
                            }
                        }
                    },
                    "default": {
                        "type": "string",
                        "title": "Default port",
                        "description": "The port activated when no case matches.",
                        "minLength": 1,
                        "default": "default"
                    },
                    "all_matches": {
                        "type": "boolean",
                        "title": "All matches",
                        "description": "Activate every matching case instead of only the first.",
                        "default": false
                    }
                }),
                &["cases"],
            ),
            &[],
        )
    }

    fn check_config(&self, config: &Value) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        let mut names = Vec::new();
        if let Some(cases) = config.get("cases").and_then(Value::as_array) {
            for (i, case) in cases.iter().enumerate() {
                check_condition(
                    format!("/cases/{i}/condition"),
                    case.get("condition"),
                    &mut out,
                );
                if let Some(name) = case.get("name").and_then(Value::as_str) {
                    names.push((format!("/cases/{i}/name"), name));
                }
            }
        }
        let default = config
            .get("default")
            .and_then(Value::as_str)
            .unwrap_or("default");
        names.push(("/default".to_string(), default));
        out.extend(port_name_problems(&names));
        out
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let config: SwitchConfig = parse_config(Self::TYPE, &input.config)?;
        let mut names: Vec<(String, &str)> = config
            .cases
            .iter()
            .enumerate()
            .map(|(i, c)| (format!("/cases/{i}/name"), c.name.as_str()))
            .collect();
        names.push(("/default".to_string(), &config.default));
        if let Some(p) = port_name_problems(&names).first() {
            return Err(NodeError::config(format!(
                "invalid {} config: {}: {}",
                Self::TYPE,
                p.pointer,
                p.message
            )));
        }
        let mut matched = config.cases.iter().filter(|c| truthy(&c.condition));
        let ports: Vec<String> = if config.all_matches {
            matched.map(|c| c.name.clone()).collect()
        } else {
            matched.next().map(|c| c.name.clone()).into_iter().collect()
        };
        let ports = if ports.is_empty() {
            vec![config.default]
        } else {
            ports
        };
        Ok(NodeOutput::on_ports(input.prev().clone(), ports))
    }
}

/// `flow.merge`: joins branches. The engine decides when it runs (every live input for
/// `all`, the first for `any`); the node only shapes the output.
#[derive(Debug, Clone, Copy, Default)]
pub struct MergeNode;

impl MergeNode {
    pub const TYPE: &'static str = "flow.merge";
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
enum MergeMode {
    #[default]
    All,
    Any,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MergeConfig {
    #[serde(default)]
    mode: MergeMode,
}

#[async_trait]
impl Node for MergeNode {
    fn runs_inline(&self) -> bool {
        true
    }

    fn spec(&self) -> NodeSpec {
        spec(
            Self::TYPE,
            "Joins branches. `all` waits for every input that can still arrive and outputs \
             them keyed by source node id; `any` continues with the first one.",
            Ports::main(),
            object_schema(
                "Merge",
                json!({
                    "mode": {
                        "type": "string",
                        "title": "Mode",
                        "description": "`all`: wait for every live input, output {source_id: \
                                        output}; `any`: continue with the first input.",
                        "enum": ["all", "any"],
                        "default": "all"
                    }
                }),
                &[],
            ),
            &[],
        )
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let config: MergeConfig = parse_config(Self::TYPE, &input.config)?;
        let output = match config.mode {
            MergeMode::All => Value::Object(input.inputs.clone()),
            MergeMode::Any => input.prev().clone(),
        };
        Ok(NodeOutput::main(output))
    }
}

/// `flow.fail`: fails the node on purpose, with a message.
#[derive(Debug, Clone, Copy, Default)]
pub struct FailNode;

impl FailNode {
    pub const TYPE: &'static str = "flow.fail";
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FailConfig {
    message: String,
}

#[async_trait]
impl Node for FailNode {
    fn runs_inline(&self) -> bool {
        true
    }

    fn spec(&self) -> NodeSpec {
        spec(
            Self::TYPE,
            "Fails with a permanent error carrying the message (not retried).",
            Ports::main(),
            object_schema(
                "Fail",
                json!({
                    "message": {
                        "type": "string",
                        "title": "Message",
                        "description": "The error message; may hold {{ }} templates, e.g. \
                                        \"order {{ .input.id }} has no items\".",
                        "minLength": 1
                    }
                }),
                &["message"],
            ),
            &[],
        )
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let config: FailConfig = parse_config(Self::TYPE, &input.config)?;
        Err(NodeError::permanent(config.message))
    }
}

/// A type run by the engine's state machine (see [`ENGINE_TYPES`]): its spec is real, its
/// `run` refuses.
#[derive(Debug, Clone)]
pub struct EngineNode {
    spec: NodeSpec,
}

fn body_schema() -> Value {
    json!({
        "type": "object",
        "title": "Body",
        "description": "The loop body: a nested graph {nodes, edges} with the same schema as a \
                        workflow. Nodes with no incoming edge are its entry points; the output \
                        of its terminal node is the iteration's result.",
        "additionalProperties": false,
        "required": ["nodes"],
        "properties": {
            "nodes": {
                "type": "array",
                "description": "The body's nodes.",
                "items": {"type": "object"}
            },
            "edges": {
                "type": "array",
                "description": "The body's edges.",
                "items": {"type": "object"},
                "default": []
            }
        }
    })
}

impl EngineNode {
    /// `flow.wait`: a durable timer.
    pub fn wait() -> Self {
        let mut schema = object_schema(
            "Wait",
            json!({
                "duration_ms": {
                    "type": "integer",
                    "title": "Duration (ms)",
                    "description": "How long to wait, in milliseconds.",
                    "minimum": 0
                },
                "until": {
                    "type": "string",
                    "format": "date-time",
                    "title": "Until",
                    "description": "When to continue, as an RFC 3339 date-time, e.g. \
                                    2030-01-31T09:00:00Z."
                }
            }),
            &[],
        );
        schema["oneOf"] = json!([{"required": ["duration_ms"]}, {"required": ["until"]}]);
        Self {
            spec: spec(
                "flow.wait",
                "Waits durably (a restart does not lose the timer) for `duration_ms` or until a \
                 point in time, then outputs the incoming value.",
                Ports::main(),
                schema,
                &[],
            ),
        }
    }

    /// `flow.signal`: waits for `POST /executions/{id}/signals/{name}`.
    pub fn signal() -> Self {
        Self {
            spec: spec(
                "flow.signal",
                "Waits for a signal sent to the execution (POST \
                 /api/v1/executions/{id}/signals/{name}), e.g. a human approval; outputs the \
                 signal's payload. Fails with a timeout error after timeout_ms.",
                Ports::main(),
                object_schema(
                    "Wait for signal",
                    json!({
                        "name": {
                            "type": "string",
                            "title": "Signal name",
                            "description": "The name in the signal URL.",
                            "minLength": 1,
                            "maxLength": 200,
                            "pattern": "^[A-Za-z0-9_.-]+$"
                        },
                        "timeout_ms": {
                            "type": "integer",
                            "title": "Timeout (ms)",
                            "description": "Give up after this long; no limit when absent.",
                            "minimum": 1
                        }
                    }),
                    &["name"],
                ),
                &[],
            ),
        }
    }

    /// `flow.call`: runs another workflow as a child execution and waits for it.
    pub fn call() -> Self {
        Self {
            spec: spec(
                "flow.call",
                "Runs another workflow as a child execution, waits for it and outputs its \
                 output.",
                Ports::main(),
                object_schema(
                    "Call workflow",
                    json!({
                        "workflow_id": {
                            "type": "string",
                            "format": "uuid",
                            "title": "Workflow",
                            "description": "The id of the workflow to run."
                        },
                        "version": {
                            "type": "integer",
                            "title": "Version",
                            "description": "The version to run; the latest when absent.",
                            "minimum": 1
                        },
                        "input": {
                            "title": "Input",
                            "description": "The child execution's input; the incoming value \
                                            (`prev`) when absent."
                        }
                    }),
                    &["workflow_id"],
                ),
                &[],
            ),
        }
    }

    /// `flow.for_each`: runs a body graph per item.
    pub fn for_each() -> Self {
        Self {
            spec: spec(
                "flow.for_each",
                "Runs the body once per item (.item and .index inside it), up to \
                 max_concurrency at a time; outputs the array of per-item results in item \
                 order.",
                Ports::main(),
                object_schema(
                    "For each",
                    json!({
                        "items": {
                            "type": "array",
                            "title": "Items",
                            "description": "The items: an array, or a {{ }} template giving \
                                            one, e.g. {{ .prev.orders }}."
                        },
                        "body": body_schema(),
                        "max_concurrency": {
                            "type": "integer",
                            "title": "Max concurrency",
                            "description": "How many items run at once.",
                            "minimum": 1,
                            "default": 1
                        }
                    }),
                    &["items", "body"],
                ),
                &["body"],
            ),
        }
    }

    /// `flow.while`: runs a body graph while a condition holds.
    pub fn while_loop() -> Self {
        Self {
            spec: spec(
                "flow.while",
                "Runs the body while the condition holds (checked before each iteration, \
                 with .index the iteration number from 0 and .prev the previous iteration's \
                 result), at most max_iterations times; outputs the array of iteration \
                 results.",
                Ports::main(),
                object_schema(
                    "While",
                    json!({
                        "condition": {
                            "type": "string",
                            "title": "Condition",
                            "description": "A jq expression (with or without {{ }}), e.g. \
                                            .index < 3 or {{ .prev.next_page != null }}.",
                            "minLength": 1
                        },
                        "body": body_schema(),
                        "max_iterations": {
                            "type": "integer",
                            "title": "Max iterations",
                            "description": "Stop after this many iterations even if the \
                                            condition still holds.",
                            "minimum": 1,
                            "default": 100
                        }
                    }),
                    &["condition", "body"],
                ),
                &["body", "condition"],
            ),
        }
    }

    /// Every engine-run type.
    pub fn all() -> Vec<EngineNode> {
        vec![
            Self::wait(),
            Self::signal(),
            Self::call(),
            Self::for_each(),
            Self::while_loop(),
        ]
    }
}

#[async_trait]
impl Node for EngineNode {
    fn spec(&self) -> NodeSpec {
        self.spec.clone()
    }

    async fn run(&self, _input: NodeInput) -> Result<NodeOutput, NodeError> {
        Err(NodeError::config(format!(
            "{} is run by the engine, not as a node",
            self.spec.type_name
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_types_match_their_specs() {
        let names: Vec<String> = EngineNode::all()
            .iter()
            .map(|n| n.spec().type_name)
            .collect();
        assert_eq!(names, ENGINE_TYPES);
    }

    #[test]
    fn plain_string_conditions_are_flagged() {
        let p = IfNode.check_config(&json!({"condition": ".x > 1"}));
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].pointer, "/condition");
        assert!(p[0].message.contains("{{ .x > 1 }}"), "{}", p[0].message);
        assert!(
            IfNode
                .check_config(&json!({"condition": "{{ .x > 1 }}"}))
                .is_empty()
        );
        assert!(IfNode.check_config(&json!({"condition": true})).is_empty());
    }

    #[test]
    fn switch_port_names_must_be_unique() {
        let p = SwitchNode.check_config(&json!({
            "cases": [{"name": "a", "condition": "{{ 1 }}"}, {"name": "a", "condition": "{{ 2 }}"},
                      {"name": "error", "condition": "{{ 3 }}"}, {"name": "b", "condition": "{{ 4 }}"}],
            "default": "b"
        }));
        let got: Vec<(&str, &str)> = p
            .iter()
            .map(|p| (p.pointer.as_str(), p.message.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("/cases/1/name", "port name `a` is used twice"),
                ("/cases/2/name", "`error` is reserved for on_error: route"),
                ("/default", "port name `b` is used twice"),
            ]
        );
    }
}

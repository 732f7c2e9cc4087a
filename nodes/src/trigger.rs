//! Trigger node types: where an execution starts.
//!
//! `trigger.manual` covers every start that carries its input with it (the REST API, the CLI,
//! the designer's "run" button); `trigger.webhook` a start by an HTTP request the gateway
//! routes by path; `trigger.schedule` a start on a cron schedule (the scheduler service in
//! weft-actors fires it); `trigger.amqp` a start per message consumed from a RabbitMQ queue
//! (the AMQP consumer service in weft-actors). Every trigger node outputs the execution input.

use crate::config::{object_schema, parse_config};
use crate::{Node, NodeInput, NodeOutput};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Value, json};
use weft_core::catalog::ConfigProblem;
use weft_core::expr::Template;
use weft_core::{NodeError, NodeSpec, Ports};

/// `trigger.manual`: outputs the execution's input.
#[derive(Debug, Clone, Copy, Default)]
pub struct ManualTrigger;

impl ManualTrigger {
    pub const TYPE: &'static str = "trigger.manual";
}

#[async_trait]
impl Node for ManualTrigger {
    fn runs_inline(&self) -> bool {
        true
    }

    fn spec(&self) -> NodeSpec {
        NodeSpec {
            type_name: Self::TYPE.to_string(),
            category: "trigger".to_string(),
            description: "Starts the workflow when it is run through the API, the CLI or the \
                          designer. Outputs the execution input."
                .to_string(),
            trigger: true,
            ports: Ports::main(),
            schema: object_schema("Manual trigger", json!({}), &[]),
            filter_fields: Vec::new(),
            raw_fields: Vec::new(),
            default_retry: None,
        }
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let output = input.context.get("input").cloned().unwrap_or(Value::Null);
        Ok(NodeOutput::main(output))
    }
}

/// `trigger.webhook`: starts the workflow when an HTTP request reaches `/hooks/{path}`.
///
/// The gateway does the HTTP part: it routes the request by `path` and `method`, starts the
/// execution with this trigger and the input `{method, path, headers, query, body}`, and
/// answers either at once (`response: immediate`, 202 with the execution id) or with what an
/// `http.respond` node outputs (`response: respond_node`), waiting at most `timeout_ms`. The
/// node itself only outputs the execution input, like `trigger.manual`.
#[derive(Debug, Clone, Copy, Default)]
pub struct WebhookTrigger;

impl WebhookTrigger {
    pub const TYPE: &'static str = "trigger.webhook";

    /// The config with its defaults filled in, for the gateway's routing table.
    pub fn parse_config(config: &Value) -> Result<WebhookConfig, NodeError> {
        let c: WebhookConfig = parse_config(Self::TYPE, config)?;
        let invalid = |pointer: &str, problem: String| {
            NodeError::config(format!(
                "invalid {} config: {pointer}: {problem}",
                Self::TYPE
            ))
        };
        if let Some(problem) = path_problem(&c.path) {
            return Err(invalid("/path", problem));
        }
        if !(1..=WEBHOOK_MAX_TIMEOUT_MS).contains(&c.timeout_ms) {
            return Err(invalid(
                "/timeout_ms",
                format!("must be between 1 and {WEBHOOK_MAX_TIMEOUT_MS}"),
            ));
        }
        Ok(c)
    }
}

/// Longest wait for an `http.respond` node the config may ask for.
pub const WEBHOOK_MAX_TIMEOUT_MS: u64 = 300_000;

/// A `trigger.webhook` config, defaults applied.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Served at `/hooks/{path}`; no leading slash.
    pub path: String,
    #[serde(default)]
    pub method: WebhookMethod,
    #[serde(default)]
    pub response: WebhookResponse,
    #[serde(default = "default_webhook_timeout")]
    pub timeout_ms: u64,
}

fn default_webhook_timeout() -> u64 {
    30_000
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum WebhookMethod {
    Get,
    #[default]
    Post,
    Put,
    Patch,
    Delete,
}

impl WebhookMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookMethod::Get => "GET",
            WebhookMethod::Post => "POST",
            WebhookMethod::Put => "PUT",
            WebhookMethod::Patch => "PATCH",
            WebhookMethod::Delete => "DELETE",
        }
    }
}

/// When the gateway answers the webhook's HTTP request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookResponse {
    /// At once, once the execution is stored (202 with its id).
    #[default]
    Immediate,
    /// With the output of the execution's `http.respond` node.
    RespondNode,
}

/// Why a webhook path cannot be served, if it cannot.
fn path_problem(path: &str) -> Option<String> {
    if let Some(p) = structural_problem(path) {
        return Some(p);
    }
    if path.is_empty() {
        return Some("must not be empty".into());
    }
    path.chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "._~/-".contains(*c)))
        .map(|c| format!("{c:?} is not allowed: use letters, digits and . _ ~ / -"))
}

/// The rules the schema's character pattern cannot say well (or at all).
fn structural_problem(path: &str) -> Option<String> {
    if Template::is_template(path) {
        return Some(
            "must be a fixed path: requests are routed by it before anything is rendered".into(),
        );
    }
    if path.starts_with('/') {
        let bare = path.trim_start_matches('/');
        return Some(format!(
            "must not start with `/` (it is served below /hooks/): write {bare:?}"
        ));
    }
    if path.contains("..") {
        return Some("must not contain `..`".into());
    }
    None
}

#[async_trait]
impl Node for WebhookTrigger {
    fn runs_inline(&self) -> bool {
        true
    }

    fn spec(&self) -> NodeSpec {
        NodeSpec {
            type_name: Self::TYPE.to_string(),
            category: "trigger".to_string(),
            description: "Starts the workflow when an HTTP request arrives at /hooks/{path}. \
                          Outputs the execution input: {method, path, headers, query, body}. \
                          The request is answered at once, or with the output of an \
                          http.respond node (response: respond_node)."
                .to_string(),
            trigger: true,
            ports: Ports::main(),
            schema: object_schema(
                "Webhook trigger",
                json!({
                    "path": {
                        "type": "string",
                        "title": "Path",
                        "description": "Where the webhook is served, below /hooks/: letters, \
                                        digits and . _ ~ / -, no leading slash, no `..`.",
                        "minLength": 1,
                        "maxLength": 200,
                        "pattern": "^[A-Za-z0-9._~/-]+$",
                        "examples": ["orders/new"]
                    },
                    "method": {
                        "type": "string",
                        "title": "Method",
                        "description": "The HTTP method the webhook accepts.",
                        "enum": ["GET", "POST", "PUT", "PATCH", "DELETE"],
                        "default": "POST"
                    },
                    "response": {
                        "type": "string",
                        "title": "Response",
                        "description": "`immediate`: answer 202 with the execution id as \
                                        soon as it is stored; `respond_node`: answer with \
                                        what the workflow's http.respond node outputs.",
                        "enum": ["immediate", "respond_node"],
                        "default": "immediate"
                    },
                    "timeout_ms": {
                        "type": "integer",
                        "title": "Timeout (ms)",
                        "description": "With respond_node: how long the request waits for \
                                        the http.respond node before it gets 504.",
                        "minimum": 1,
                        "maximum": WEBHOOK_MAX_TIMEOUT_MS,
                        "default": 30000
                    }
                }),
                &["path"],
            ),
            filter_fields: Vec::new(),
            raw_fields: Vec::new(),
            default_retry: None,
        }
    }

    fn check_config(&self, config: &Value) -> Vec<ConfigProblem> {
        // Emptiness and characters are the schema's (`minLength`, `pattern`).
        config
            .get("path")
            .and_then(Value::as_str)
            .and_then(structural_problem)
            .map(|message| ConfigProblem {
                pointer: "/path".to_string(),
                message,
            })
            .into_iter()
            .collect()
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let output = input.context.get("input").cloned().unwrap_or(Value::Null);
        Ok(NodeOutput::main(output))
    }
}

// ---- trigger.schedule ------------------------------------------------------------------

/// `trigger.schedule`: starts the workflow on a cron schedule.
///
/// The scheduler service (weft-actors `triggers::Scheduler`) reads every workflow's latest
/// version, computes the next tick of each `trigger.schedule` node with [`Schedule`], and at a
/// tick claims it in the store so exactly one instance starts the execution, with the input
/// `{...config.input, scheduled_at, fired_at}`. The node only outputs that input.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScheduleTrigger;

impl ScheduleTrigger {
    pub const TYPE: &'static str = "trigger.schedule";

    /// The config with its defaults applied, its cron parsed and its time zone loaded.
    pub fn parse_config(config: &Value) -> Result<Schedule, NodeError> {
        let invalid = |pointer: &str, problem: String| {
            NodeError::config(format!(
                "invalid {} config: {pointer}: {problem}",
                Self::TYPE
            ))
        };
        if config.get("cron").is_none() {
            return Err(invalid("/cron", "required field is missing".into()));
        }
        let c: ScheduleConfig = parse_config(Self::TYPE, config)?;
        let cron = parse_cron(&c.cron).map_err(|p| invalid("/cron", p))?;
        let zone = load_zone(&c.timezone).map_err(|p| invalid("/timezone", p))?;
        Ok(Schedule {
            cron,
            zone,
            config: c,
        })
    }
}

/// At most this many missed ticks fire after downtime with `missed: fire_all`.
pub const SCHEDULE_MAX_CATCH_UP: usize = 100;

/// A `trigger.schedule` config, defaults applied.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleConfig {
    /// 6 fields (with seconds) or 5 (seconds are 0).
    pub cron: String,
    /// An IANA time zone name.
    #[serde(default = "default_timezone")]
    pub timezone: String,
    #[serde(default)]
    pub missed: MissedPolicy,
    /// Merged into the execution input.
    #[serde(default)]
    pub input: serde_json::Map<String, Value>,
}

fn default_timezone() -> String {
    "UTC".to_string()
}

/// What a schedule does about the ticks nobody fired (every instance was down).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissedPolicy {
    /// Only future ticks fire.
    Skip,
    /// One catch-up run, for the latest missed tick.
    #[default]
    FireOnce,
    /// Every missed tick fires, oldest first, at most [`SCHEDULE_MAX_CATCH_UP`] (the latest).
    FireAll,
}

/// A parsed `trigger.schedule` config: its cron in its time zone. Times are Unix
/// milliseconds; ticks fall on whole seconds.
#[derive(Clone)]
pub struct Schedule {
    cron: croner::Cron,
    zone: jiff::tz::TimeZone,
    pub config: ScheduleConfig,
}

impl std::fmt::Debug for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schedule")
            .field("cron", &self.config.cron)
            .field("timezone", &self.config.timezone)
            .field("missed", &self.config.missed)
            .finish()
    }
}

impl Schedule {
    fn zoned(&self, ms: i64) -> Option<jiff::Zoned> {
        jiff::Timestamp::from_millisecond(ms)
            .ok()
            .map(|t| t.to_zoned(self.zone.clone()))
    }

    /// The first tick strictly after `after`; `None` when there is none (a pattern that never
    /// matches again, or past the year 9999).
    pub fn next_after(&self, after: i64) -> Option<i64> {
        let from = self.zoned(after)?;
        let next = self.cron.find_next_occurrence(&from, false).ok()?;
        let ms = next.timestamp().as_millisecond();
        // croner steps off the start's wall-clock second; a start with a fraction of a
        // second sits inside the second it would otherwise return.
        (ms > after).then_some(ms).or_else(|| self.next_after(ms))
    }

    /// The last tick at or before `at`.
    pub fn last_at_or_before(&self, at: i64) -> Option<i64> {
        let from = self.zoned(at)?;
        let prev = self.cron.find_previous_occurrence(&from, true).ok()?;
        let ms = prev.timestamp().as_millisecond();
        if ms <= at {
            Some(ms)
        } else {
            self.last_at_or_before(ms - 1)
        }
    }

    /// An instant as the input shows it: RFC 3339 in the schedule's time zone
    /// (`2025-03-30T03:00:00+02:00`).
    pub fn format(&self, ms: i64) -> String {
        match self.zoned(ms) {
            Some(z) => z.strftime("%Y-%m-%dT%H:%M:%S%.f%:z").to_string(),
            None => ms.to_string(),
        }
    }

    /// The execution input of a fire: the config's `input` with `scheduled_at` (the tick) and
    /// `fired_at` (now) on top.
    pub fn execution_input(&self, tick: i64, fired_at: i64) -> Value {
        let mut input = self.config.input.clone();
        input.insert("scheduled_at".into(), Value::String(self.format(tick)));
        input.insert("fired_at".into(), Value::String(self.format(fired_at)));
        Value::Object(input)
    }
}

/// A cron pattern as the schedule trigger takes it: 6 fields (seconds first) or 5.
fn parse_cron(pattern: &str) -> Result<croner::Cron, String> {
    let fields = pattern.split_whitespace().count();
    if !pattern.trim_start().starts_with('@') && !(5..=6).contains(&fields) {
        return Err(format!(
            "{pattern:?} has {fields} fields: write 6 (second minute hour day-of-month month \
             day-of-week) or 5 (without seconds)"
        ));
    }
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Optional)
        .year(croner::parser::Year::Disallowed)
        .build()
        .parse(pattern)
        .map_err(|e| format!("{pattern:?} is not a valid cron pattern: {e}"))
}

fn load_zone(name: &str) -> Result<jiff::tz::TimeZone, String> {
    if name.is_empty() {
        return Err("must not be empty".into());
    }
    jiff::tz::TimeZone::get(name)
        .map_err(|_| format!("{name:?} is not a known IANA time zone (e.g. Europe/Berlin, UTC)"))
}

#[async_trait]
impl Node for ScheduleTrigger {
    fn runs_inline(&self) -> bool {
        true
    }

    fn spec(&self) -> NodeSpec {
        NodeSpec {
            type_name: Self::TYPE.to_string(),
            category: "trigger".to_string(),
            description: "Starts the workflow on a cron schedule (with seconds, in a time \
                          zone). Each tick starts one execution however many instances run; \
                          ticks missed while every instance was down are skipped, fired once \
                          or all fired (at most 100). Outputs the execution input: the \
                          configured input with scheduled_at and fired_at."
                .to_string(),
            trigger: true,
            ports: Ports::main(),
            schema: object_schema(
                "Schedule trigger",
                json!({
                    "cron": {
                        "type": "string",
                        "title": "Cron",
                        "description": "When to fire: 6 fields `second minute hour \
                                        day-of-month month day-of-week`, or 5 without the \
                                        seconds (second 0). Names (MON, JAN), ranges, lists, \
                                        steps, L, W and # work; so do @hourly, @daily, \
                                        @weekly, @monthly, @yearly.",
                        "minLength": 1,
                        "examples": ["0 */5 * * * *", "0 9 * * MON-FRI", "@daily"]
                    },
                    "timezone": {
                        "type": "string",
                        "title": "Time zone",
                        "description": "The IANA time zone the cron's wall-clock times are \
                                        in. Ticks follow its daylight-saving changes: a fixed \
                                        time the change skips fires right after it (02:30 → \
                                        03:00), a time it repeats fires once.",
                        "default": "UTC",
                        "examples": ["UTC", "Europe/Berlin", "America/New_York"]
                    },
                    "missed": {
                        "type": "string",
                        "title": "Missed ticks",
                        "description": "Ticks that passed while no instance was running: \
                                        `skip` fires only future ticks; `fire_once` starts \
                                        one catch-up run (for the latest missed tick); \
                                        `fire_all` starts one run per missed tick, at most \
                                        the latest 100.",
                        "enum": ["skip", "fire_once", "fire_all"],
                        "default": "fire_once"
                    },
                    "input": {
                        "type": "object",
                        "title": "Input",
                        "description": "Fields of the execution input, beside `scheduled_at` \
                                        (the tick) and `fired_at` (when it started), both RFC \
                                        3339 in the time zone.",
                        "default": {}
                    }
                }),
                &["cron"],
            ),
            filter_fields: Vec::new(),
            // The scheduler reads them as they are: no execution exists to render them in.
            raw_fields: vec!["cron".into(), "timezone".into(), "input".into()],
            default_retry: None,
        }
    }

    fn check_config(&self, config: &Value) -> Vec<ConfigProblem> {
        let mut problems = Vec::new();
        if let Some(cron) = config.get("cron").and_then(Value::as_str)
            && let Err(message) = parse_cron(cron)
        {
            problems.push(ConfigProblem {
                pointer: "/cron".into(),
                message,
            });
        }
        if let Some(zone) = config.get("timezone").and_then(Value::as_str)
            && let Err(message) = load_zone(zone)
        {
            problems.push(ConfigProblem {
                pointer: "/timezone".into(),
                message,
            });
        }
        problems
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let output = input.context.get("input").cloned().unwrap_or(Value::Null);
        Ok(NodeOutput::main(output))
    }
}

// ---- trigger.amqp ----------------------------------------------------------------------

/// `trigger.amqp`: starts the workflow once per message consumed from an AMQP 0-9-1 queue.
///
/// The consumer service (weft-actors `triggers::AmqpConsumers`) keeps one consumer per
/// (workflow, trigger node) of the latest versions, starts an execution per message with the
/// input `{body, headers, routing_key, exchange, message_id, redelivered}` and acks the
/// message once the execution is stored. The node only outputs that input.
#[derive(Debug, Clone, Copy, Default)]
pub struct AmqpTrigger;

/// Most unacknowledged messages a consumer may hold.
pub const AMQP_MAX_PREFETCH: u16 = 10_000;

impl AmqpTrigger {
    pub const TYPE: &'static str = "trigger.amqp";

    /// The config with its defaults applied and checked.
    pub fn parse_config(config: &Value) -> Result<AmqpTriggerConfig, NodeError> {
        let invalid = |pointer: &str, problem: String| {
            NodeError::config(format!(
                "invalid {} config: {pointer}: {problem}",
                Self::TYPE
            ))
        };
        for field in ["credential", "queue"] {
            if config.get(field).is_none() {
                return Err(invalid(
                    &format!("/{field}"),
                    "required field is missing".into(),
                ));
            }
        }
        let c: AmqpTriggerConfig = parse_config(Self::TYPE, config)?;
        if c.credential.trim().is_empty() {
            return Err(invalid("/credential", "must name a credential".into()));
        }
        if let Some(p) = queue_problem(&c.queue) {
            return Err(invalid("/queue", p));
        }
        if !(1..=AMQP_MAX_PREFETCH).contains(&c.prefetch) {
            return Err(invalid(
                "/prefetch",
                format!("must be between 1 and {AMQP_MAX_PREFETCH}"),
            ));
        }
        Ok(c)
    }
}

/// A `trigger.amqp` config, defaults applied.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmqpTriggerConfig {
    /// The AMQP URL credential (`amqp://user:password@host:5672/vhost`).
    pub credential: String,
    pub queue: String,
    /// Declare the queue (durable) when it does not exist.
    #[serde(default)]
    pub declare: bool,
    #[serde(default = "default_prefetch")]
    pub prefetch: u16,
    #[serde(default = "yes")]
    pub parse_json: bool,
}

fn default_prefetch() -> u16 {
    10
}

fn yes() -> bool {
    true
}

fn queue_problem(queue: &str) -> Option<String> {
    if queue.is_empty() {
        return Some("must not be empty".into());
    }
    if queue.len() > 255 {
        return Some("must have at most 255 bytes".into());
    }
    if Template::is_template(queue) {
        return Some(
            "must be a fixed queue name: the consumer subscribes before anything is rendered"
                .into(),
        );
    }
    if queue.starts_with("amq.") {
        return Some("names starting with `amq.` are reserved by the broker".into());
    }
    None
}

#[async_trait]
impl Node for AmqpTrigger {
    fn runs_inline(&self) -> bool {
        true
    }

    fn spec(&self) -> NodeSpec {
        NodeSpec {
            type_name: Self::TYPE.to_string(),
            category: "trigger".to_string(),
            description: "Starts the workflow once per message consumed from an AMQP 0-9-1 \
                          queue (RabbitMQ). A message is acknowledged once its execution is \
                          stored, and requeued when it cannot be. Outputs the execution input: \
                          {body, headers, routing_key, exchange, message_id, redelivered}."
                .to_string(),
            trigger: true,
            ports: Ports::main(),
            schema: object_schema(
                "AMQP trigger",
                json!({
                    "credential": {
                        "type": "string",
                        "x-weft-widget": "credential",
                        "title": "Credential",
                        "description": "Id or name of the credential holding the broker URL \
                                        (`amqp://user:password@host:5672/vhost`, or amqps://): \
                                        a string, or an object with a `url` field.",
                        "minLength": 1
                    },
                    "queue": {
                        "type": "string",
                        "title": "Queue",
                        "description": "The queue to consume. A fixed name (no templates), at \
                                        most 255 bytes, not starting with `amq.`.",
                        "minLength": 1,
                        "maxLength": 255,
                        "examples": ["orders"]
                    },
                    "declare": {
                        "type": "boolean",
                        "title": "Declare the queue",
                        "description": "Declare the queue (durable) when it does not exist. \
                                        Off: the queue must exist, or the consumer keeps \
                                        retrying and logs why.",
                        "default": false
                    },
                    "prefetch": {
                        "type": "integer",
                        "title": "Prefetch",
                        "description": "Most messages handed to the consumer before it \
                                        acknowledges them (the channel's QoS).",
                        "minimum": 1,
                        "maximum": AMQP_MAX_PREFETCH,
                        "default": 10
                    },
                    "parse_json": {
                        "type": "boolean",
                        "title": "Parse JSON",
                        "description": "Parse a body that is valid JSON into `body`; other \
                                        bodies (and every body when off) are UTF-8 text, or \
                                        base64 when not UTF-8 (then `body_encoding` says \
                                        `base64`).",
                        "default": true
                    }
                }),
                &["credential", "queue"],
            ),
            filter_fields: Vec::new(),
            raw_fields: Vec::new(),
            default_retry: None,
        }
    }

    fn check_config(&self, config: &Value) -> Vec<ConfigProblem> {
        config
            .get("queue")
            .and_then(Value::as_str)
            .filter(|q| !q.is_empty())
            .and_then(queue_problem)
            .map(|message| ConfigProblem {
                pointer: "/queue".to_string(),
                message,
            })
            .into_iter()
            .collect()
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let output = input.context.get("input").cloned().unwrap_or(Value::Null);
        Ok(NodeOutput::main(output))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{TestInput, run};

    #[tokio::test]
    async fn webhook_outputs_the_request_it_was_started_with() {
        let request = json!({"method": "POST", "path": "orders/new", "headers": {},
                             "query": {"a": "1"}, "body": {"id": 7}});
        let out = run(
            &WebhookTrigger,
            TestInput::new(json!({"path": "orders/new"})).input(request.clone()),
        )
        .await
        .unwrap();
        assert_eq!(out.output, request);
    }

    #[test]
    fn webhook_paths_are_checked_with_a_pointer() {
        for (path, needle) in [
            ("/orders", "must not start with `/`"),
            ("a/../b", "`..`"),
            ("{{ .input.p }}", "fixed path"),
        ] {
            let p = WebhookTrigger.check_config(&json!({ "path": path }));
            assert_eq!(p.len(), 1, "{path}: {p:?}");
            assert_eq!(p[0].pointer, "/path");
            assert!(p[0].message.contains(needle), "{path}: {}", p[0].message);
        }
        for ok in ["orders/new", "a.b_c~d-e/f", "v1/x"] {
            assert!(
                WebhookTrigger
                    .check_config(&json!({ "path": ok }))
                    .is_empty(),
                "{ok}"
            );
        }
    }

    #[test]
    fn webhook_config_defaults_and_refusals() {
        let c = WebhookTrigger::parse_config(&json!({"path": "hook"})).unwrap();
        assert_eq!(
            c,
            WebhookConfig {
                path: "hook".into(),
                method: WebhookMethod::Post,
                response: WebhookResponse::Immediate,
                timeout_ms: 30_000,
            }
        );
        let c = WebhookTrigger::parse_config(
            &json!({"path": "h", "method": "GET", "response": "respond_node", "timeout_ms": 5}),
        )
        .unwrap();
        assert_eq!(
            (c.method.as_str(), c.response, c.timeout_ms),
            ("GET", WebhookResponse::RespondNode, 5)
        );
        for bad in [
            json!({"path": "a b"}),
            json!({"path": "/a"}),
            json!({"path": "a", "verb": 1}),
            json!({"path": "a", "timeout_ms": 300_001}),
        ] {
            let e = WebhookTrigger::parse_config(&bad).unwrap_err();
            assert_eq!(e.kind, weft_core::ErrorKind::Config, "{bad}");
        }
    }
}

#[cfg(test)]
mod schedule_tests {
    use super::*;

    fn ms(rfc3339: &str) -> i64 {
        rfc3339.parse::<jiff::Timestamp>().unwrap().as_millisecond()
    }

    fn schedule(config: Value) -> Schedule {
        ScheduleTrigger::parse_config(&config).unwrap()
    }

    #[test]
    fn six_and_five_field_patterns_tick_on_whole_seconds() {
        let every_second = schedule(json!({"cron": "*/1 * * * * *"}));
        let t = ms("2025-01-01T00:00:00.250Z");
        assert_eq!(every_second.next_after(t), Some(ms("2025-01-01T00:00:01Z")));
        assert_eq!(
            every_second.next_after(ms("2025-01-01T00:00:01Z")),
            Some(ms("2025-01-01T00:00:02Z"))
        );
        assert_eq!(
            every_second.last_at_or_before(t),
            Some(ms("2025-01-01T00:00:00Z"))
        );
        let five = schedule(json!({"cron": "*/15 * * * *"}));
        assert_eq!(
            five.next_after(ms("2025-01-01T10:07:30Z")),
            Some(ms("2025-01-01T10:15:00Z"))
        );
        assert_eq!(
            five.last_at_or_before(ms("2025-01-01T10:15:00Z")),
            Some(ms("2025-01-01T10:15:00Z"))
        );
        let c = &five.config;
        assert_eq!(
            (c.timezone.as_str(), c.missed),
            ("UTC", MissedPolicy::FireOnce)
        );
    }

    #[test]
    fn ticks_follow_daylight_saving_time_in_the_time_zone() {
        // 09:00 in Berlin is 08:00Z in winter (CET) and 07:00Z in summer (CEST); the clocks
        // moved forward on 2025-03-30.
        let nine = schedule(json!({"cron": "0 0 9 * * *", "timezone": "Europe/Berlin"}));
        let sat = ms("2025-03-29T08:00:00Z");
        assert_eq!(nine.next_after(sat - 1), Some(sat));
        let sun = nine.next_after(sat).unwrap();
        assert_eq!(sun, ms("2025-03-30T07:00:00Z"));
        assert_eq!(
            sun - sat,
            23 * 3_600_000,
            "the day of the change is 23 h long"
        );
        assert_eq!(nine.format(sun), "2025-03-30T09:00:00+02:00");
        // 02:30 does not exist on 2025-03-30 (02:00 → 03:00): it fires right after the
        // change, at 03:00 CEST, and at 02:30 again the next day.
        let half_past_two = schedule(json!({"cron": "0 30 2 * * *", "timezone": "Europe/Berlin"}));
        let shifted = half_past_two
            .next_after(ms("2025-03-29T12:00:00Z"))
            .unwrap();
        assert_eq!(shifted, ms("2025-03-30T01:00:00Z"));
        assert_eq!(half_past_two.format(shifted), "2025-03-30T03:00:00+02:00");
        assert_eq!(
            half_past_two.next_after(shifted),
            Some(ms("2025-03-31T00:30:00Z"))
        );
        // 02:30 happens twice on 2025-10-26 (03:00 → 02:00): it fires once, the first time.
        let first = half_past_two
            .next_after(ms("2025-10-25T12:00:00Z"))
            .unwrap();
        assert_eq!(first, ms("2025-10-26T00:30:00Z"));
        assert_eq!(
            half_past_two.next_after(first),
            Some(ms("2025-10-27T01:30:00Z"))
        );
    }

    #[test]
    fn execution_input_merges_the_configured_input() {
        let s = schedule(
            json!({"cron": "0 0 * * * *", "timezone": "America/New_York",
                                "input": {"report": "daily", "scheduled_at": "overridden"}}),
        );
        let input = s.execution_input(ms("2025-06-01T16:00:00Z"), ms("2025-06-01T16:00:00.042Z"));
        assert_eq!(
            input,
            json!({"report": "daily", "scheduled_at": "2025-06-01T12:00:00-04:00",
                   "fired_at": "2025-06-01T12:00:00.042-04:00"})
        );
    }

    #[test]
    fn bad_patterns_and_zones_name_their_field() {
        for (config, pointer) in [
            (json!({"cron": "61 * * * * *"}), "/cron"),
            (json!({"cron": "* * * *"}), "/cron"),
            (json!({"cron": "0 0 0 * * * 2030"}), "/cron"),
            (json!({"cron": "often"}), "/cron"),
            (json!({}), "/cron"),
            (
                json!({"cron": "* * * * *", "timezone": "Mars/Olympus"}),
                "/timezone",
            ),
            (json!({"cron": "* * * * *", "timezone": ""}), "/timezone"),
            (
                json!({"cron": "* * * * *", "missed": "sometimes"}),
                "/missed",
            ),
        ] {
            let e = ScheduleTrigger::parse_config(&config).unwrap_err();
            assert_eq!(e.kind, weft_core::ErrorKind::Config, "{config}");
            assert!(
                e.message.contains(&format!("{pointer}:")),
                "{config}: {}",
                e.message
            );
        }
    }
}

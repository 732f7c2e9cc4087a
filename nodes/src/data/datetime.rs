//! `data.datetime`: the current time, parsing, formatting and calendar arithmetic, with
//! `jiff` and IANA time zones (read from the system's tz database).

use crate::config::{object_schema, parse_config};
use crate::{Node, NodeInput, NodeOutput};
use async_trait::async_trait;
use jiff::civil::DateTime;
use jiff::fmt::strtime;
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp, Unit, Zoned};
use serde::Deserialize;
use serde_json::{Number, Value, json};
use weft_core::{NodeError, NodeSpec, Ports};

/// The format of every date-time this node outputs unless `format` says otherwise.
const RFC3339: &str = "%Y-%m-%dT%H:%M:%S%.f%:z";

/// `data.datetime`.
#[derive(Debug, Clone, Copy, Default)]
pub struct DateTimeNode;

impl DateTimeNode {
    pub const TYPE: &'static str = "data.datetime";
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Op {
    Now,
    Parse,
    Format,
    Add,
    Diff,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
enum TimeUnit {
    Years,
    Months,
    Weeks,
    Days,
    Hours,
    Minutes,
    #[default]
    Seconds,
    Milliseconds,
}

impl TimeUnit {
    fn unit(self) -> Unit {
        match self {
            TimeUnit::Years => Unit::Year,
            TimeUnit::Months => Unit::Month,
            TimeUnit::Weeks => Unit::Week,
            TimeUnit::Days => Unit::Day,
            TimeUnit::Hours => Unit::Hour,
            TimeUnit::Minutes => Unit::Minute,
            TimeUnit::Seconds => Unit::Second,
            TimeUnit::Milliseconds => Unit::Millisecond,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DateTimeConfig {
    operation: Op,
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    format: Option<String>,
    #[serde(default = "utc")]
    timezone: String,
    #[serde(default)]
    amount: Option<i64>,
    #[serde(default)]
    unit: TimeUnit,
    #[serde(default)]
    other: Option<String>,
}

fn utc() -> String {
    "UTC".to_string()
}

fn config_error(field: &str, message: impl std::fmt::Display) -> NodeError {
    crate::config::config_error(DateTimeNode::TYPE, &format!("/{field}"), message)
}

fn permanent(field: &str, message: impl std::fmt::Display) -> NodeError {
    NodeError::permanent(format!("{}: `{field}`: {message}", DateTimeNode::TYPE))
}

/// A date-time from RFC 3339 (with an offset), or a civil date-time / date taken in `tz`.
fn read(field: &str, s: &str, tz: &TimeZone) -> Result<Zoned, NodeError> {
    let s = s.trim();
    if let Ok(z) = s.parse::<Zoned>() {
        return Ok(z.with_time_zone(tz.clone()));
    }
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Ok(ts.to_zoned(tz.clone()));
    }
    if let Ok(dt) = s.parse::<DateTime>() {
        return dt.to_zoned(tz.clone()).map_err(|e| permanent(field, e));
    }
    Err(permanent(
        field,
        format!("{s:?} is not an RFC 3339 date-time or an ISO 8601 date"),
    ))
}

fn write(z: &Zoned, format: Option<&str>) -> Result<String, NodeError> {
    strtime::format(format.unwrap_or(RFC3339), z).map_err(|e| config_error("format", e))
}

#[async_trait]
impl Node for DateTimeNode {
    // Not inline: `now` is not a function of the input.
    fn spec(&self) -> NodeSpec {
        NodeSpec {
            type_name: Self::TYPE.to_string(),
            category: "data".to_string(),
            description: "Dates and times: now, parse (with a strftime format), format, add \
                          an amount of a unit, or diff two date-times. Date-times are output \
                          as RFC 3339 in `timezone` unless `format` is given; diff outputs a \
                          number."
                .to_string(),
            trigger: false,
            ports: Ports::main(),
            schema: object_schema(
                "Date and time",
                json!({
                    "operation": {
                        "type": "string",
                        "title": "Operation",
                        "description": "now: the current time; parse: `value` read with \
                                        `format`; format: `value` written with `format`; add: \
                                        `value` plus `amount` `unit`s; diff: `other` minus \
                                        `value` in `unit`s.",
                        "enum": ["now", "parse", "format", "add", "diff"],
                        "default": "now"
                    },
                    "value": {
                        "type": "string",
                        "title": "Value",
                        "description": "The date-time to work on (all but now): RFC 3339, \
                                        e.g. 2026-11-28T10:00:00Z, or an ISO 8601 date or \
                                        date-time without offset (taken in `timezone`); for \
                                        parse, text in `format`. May be a {{ }} template.",
                        "maxLength": 256
                    },
                    "format": {
                        "type": "string",
                        "title": "Format",
                        "description": "A strftime format, e.g. %d/%m/%Y %H:%M. parse: the \
                                        format `value` is in (left out: RFC 3339/ISO 8601); \
                                        now, format, add: the output format (left out: RFC \
                                        3339).",
                        "minLength": 1,
                        "maxLength": 256
                    },
                    "timezone": {
                        "type": "string",
                        "title": "Time zone",
                        "description": "An IANA time zone, e.g. Europe/Paris: the zone outputs \
                                        are written in, values without an offset are read in, \
                                        and calendar units are added in.",
                        "default": "UTC",
                        "minLength": 1
                    },
                    "amount": {
                        "type": "integer",
                        "title": "Amount",
                        "description": "add: how many `unit`s to add (negative subtracts)."
                    },
                    "unit": {
                        "type": "string",
                        "title": "Unit",
                        "description": "add: the unit of `amount`; diff: the unit of the \
                                        result.",
                        "enum": ["years", "months", "weeks", "days", "hours", "minutes",
                                 "seconds", "milliseconds"],
                        "default": "seconds"
                    },
                    "other": {
                        "type": "string",
                        "title": "Other",
                        "description": "diff: the later date-time (same forms as `value`); the \
                                        result is negative when it is earlier.",
                        "maxLength": 256
                    }
                }),
                &["operation"],
            ),
            filter_fields: Vec::new(),
            raw_fields: Vec::new(),
            default_retry: None,
        }
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let c: DateTimeConfig = parse_config(Self::TYPE, &input.config)?;
        let tz = TimeZone::get(&c.timezone)
            .map_err(|e| config_error("timezone", format!("{:?}: {e}", c.timezone)))?;
        let value = || {
            c.value
                .as_deref()
                .ok_or_else(|| config_error("value", "required for this operation"))
        };
        let format = c.format.as_deref();
        let out = match c.operation {
            Op::Now => Value::String(write(&Timestamp::now().to_zoned(tz), format)?),
            Op::Parse => {
                let v = value()?;
                let z = match format {
                    None => read("value", v, &tz)?,
                    Some(f) => {
                        let tm = strtime::parse(f, v.trim()).map_err(|e| permanent("value", e))?;
                        match tm.to_zoned() {
                            Ok(z) => z.with_time_zone(tz.clone()),
                            Err(_) => tm
                                .to_datetime()
                                .and_then(|dt| dt.to_zoned(tz.clone()))
                                .or_else(|_| tm.to_date().and_then(|d| d.to_zoned(tz.clone())))
                                .map_err(|e| permanent("value", e))?,
                        }
                    }
                };
                Value::String(write(&z, None)?)
            }
            Op::Format => Value::String(write(&read("value", value()?, &tz)?, format)?),
            Op::Add => {
                let z = read("value", value()?, &tz)?;
                let amount = c
                    .amount
                    .ok_or_else(|| config_error("amount", "required for add"))?;
                let span = match c.unit {
                    TimeUnit::Years => Span::new().try_years(amount),
                    TimeUnit::Months => Span::new().try_months(amount),
                    TimeUnit::Weeks => Span::new().try_weeks(amount),
                    TimeUnit::Days => Span::new().try_days(amount),
                    TimeUnit::Hours => Span::new().try_hours(amount),
                    TimeUnit::Minutes => Span::new().try_minutes(amount),
                    TimeUnit::Seconds => Span::new().try_seconds(amount),
                    TimeUnit::Milliseconds => Span::new().try_milliseconds(amount),
                }
                .map_err(|e| config_error("amount", e))?;
                let z = z.checked_add(span).map_err(|e| permanent("amount", e))?;
                Value::String(write(&z, format)?)
            }
            Op::Diff => {
                let a = read("value", value()?, &tz)?;
                let other = c
                    .other
                    .as_deref()
                    .ok_or_else(|| config_error("other", "required for diff"))?;
                let b = read("other", other, &tz)?;
                let total = a
                    .until((Unit::Year, &b))
                    .and_then(|span| span.total((c.unit.unit(), &a)))
                    .map_err(|e| permanent("other", e))?;
                if total.fract() == 0.0 && total.abs() < 9e15 {
                    json!(total as i64)
                } else {
                    Number::from_f64(total).map_or(Value::Null, Value::Number)
                }
            }
        };
        Ok(NodeOutput::main(out))
    }
}

//! `data.csv`: turns CSV text into rows and rows into CSV text.
//!
//! CSV is still how spreadsheets, exports and many partners exchange data. `parse` reads
//! text into an array of objects keyed by the header row (or arrays of cells without one);
//! `write` turns an array of objects into text, with a column order the workflow controls.
//! Both are bounded (text size, row count) so a huge upload fails clearly instead of
//! exhausting memory.

use crate::config::kind_of;
use crate::config::{object_schema, parse_config};
use crate::{Node, NodeInput, NodeOutput};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use weft_core::catalog::ConfigProblem;
use weft_core::{NodeError, NodeSpec, Ports};

/// The longest CSV text parsed or written, in bytes.
pub const MAX_TEXT_BYTES: usize = 10 * 1024 * 1024;
/// The default (and the most) rows one run parses or writes.
pub const DEFAULT_MAX_ROWS: usize = 100_000;
pub const MAX_MAX_ROWS: usize = 1_000_000;

/// `data.csv`.
#[derive(Debug, Clone, Copy, Default)]
pub struct CsvNode;

impl CsvNode {
    pub const TYPE: &'static str = "data.csv";
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Operation {
    Parse,
    Write,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
enum LineEnding {
    #[default]
    Lf,
    Crlf,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CsvConfig {
    operation: Operation,
    #[serde(default, deserialize_with = "super::present")]
    text: Option<Value>,
    #[serde(default, deserialize_with = "super::present")]
    items: Option<Value>,
    #[serde(default = "yes")]
    header: bool,
    #[serde(default = "comma")]
    delimiter: String,
    #[serde(default = "double_quote")]
    quote: String,
    #[serde(default)]
    trim: bool,
    #[serde(default)]
    flexible: bool,
    #[serde(default)]
    infer_types: bool,
    #[serde(default = "default_max_rows")]
    max_rows: usize,
    #[serde(default)]
    columns: Option<Vec<String>>,
    #[serde(default)]
    line_ending: LineEnding,
}

fn yes() -> bool {
    true
}
fn comma() -> String {
    ",".to_string()
}
fn double_quote() -> String {
    "\"".to_string()
}
fn default_max_rows() -> usize {
    DEFAULT_MAX_ROWS
}

/// Fields only one operation uses: naming one for the other is a mistake worth reporting.
const PARSE_ONLY: &[&str] = &["text", "trim", "flexible", "infer_types"];
const WRITE_ONLY: &[&str] = &["items", "columns", "line_ending"];

fn config_error(pointer: &str, message: impl std::fmt::Display) -> NodeError {
    crate::config::config_error(CsvNode::TYPE, pointer, message)
}

/// Problems the schema cannot express: fields of the other operation, and delimiter / quote
/// that are not one ASCII character.
fn problems(config: &Value) -> Vec<ConfigProblem> {
    let mut out = Vec::new();
    let op = config.get("operation").and_then(Value::as_str);
    let (other, wrong) = match op {
        Some("parse") => ("parse", WRITE_ONLY),
        Some("write") => ("write", PARSE_ONLY),
        _ => ("", &[][..]),
    };
    for field in wrong {
        if config.get(*field).is_some() {
            out.push(ConfigProblem {
                pointer: format!("/{field}"),
                message: format!("not used by operation `{other}`"),
            });
        }
    }
    for field in ["delimiter", "quote"] {
        if let Some(s) = config.get(field).and_then(Value::as_str)
            && !weft_core::expr::Template::is_template(s)
            && one_ascii(s).is_none()
        {
            out.push(ConfigProblem {
                pointer: format!("/{field}"),
                message: format!("must be exactly one ASCII character, got {s:?}"),
            });
        }
    }
    if let Some(cols) = config.get("columns").and_then(Value::as_array) {
        let mut seen = std::collections::HashSet::new();
        for (i, c) in cols.iter().enumerate() {
            if let Some(c) = c.as_str()
                && !seen.insert(c)
            {
                out.push(ConfigProblem {
                    pointer: format!("/columns/{i}"),
                    message: format!("column `{c}` is listed twice"),
                });
            }
        }
    }
    out
}

fn one_ascii(s: &str) -> Option<u8> {
    match s.as_bytes() {
        [b] if b.is_ascii() => Some(*b),
        _ => None,
    }
}

#[async_trait]
impl Node for CsvNode {
    fn runs_inline(&self) -> bool {
        true
    }

    fn spec(&self) -> NodeSpec {
        NodeSpec {
            type_name: Self::TYPE.to_string(),
            category: "data".to_string(),
            description: "Parses CSV text into rows, or writes rows as CSV text. parse \
                          outputs {rows, count, columns}: objects keyed by the header row (or \
                          arrays of cells with header off). write outputs {text, count}. At \
                          most 10 MiB of text and max_rows rows."
                .to_string(),
            trigger: false,
            ports: Ports::main(),
            schema: object_schema(
                "CSV",
                json!({
                    "operation": {
                        "type": "string",
                        "title": "Operation",
                        "description": "parse: CSV text → rows; write: rows → CSV text.",
                        "enum": ["parse", "write"],
                        "default": "parse"
                    },
                    "text": {
                        "type": "string",
                        "title": "CSV text",
                        "description": "parse only. The text to parse, usually a {{ }} \
                                        template such as {{ .prev.body }}. Left out: the \
                                        incoming value ({{ .prev }}), which must be a string. \
                                        At most 10 MiB.",
                        "default": "{{ .prev }}",
                        "maxLength": MAX_TEXT_BYTES
                    },
                    "items": {
                        "type": "array",
                        "title": "Rows",
                        "description": "write only. The rows to write: objects (cells by \
                                        column name) or arrays of cells; usually a {{ }} \
                                        template such as {{ .prev.rows }}. Left out: the \
                                        incoming value ({{ .prev }}). Strings are written as \
                                        they are, null as an empty cell, numbers and booleans \
                                        as text, objects and arrays as JSON.",
                        "default": "{{ .prev }}"
                    },
                    "header": {
                        "type": "boolean",
                        "title": "Header row",
                        "description": "parse: the first row names the columns and rows \
                                        become objects (off: rows are arrays of cells). \
                                        write: write the column names as the first row.",
                        "default": true
                    },
                    "columns": {
                        "type": "array",
                        "title": "Columns",
                        "description": "write only. The columns to write, in order, for rows \
                                        that are objects (fields not listed are left out, \
                                        missing ones are empty). Left out: the first row's \
                                        fields in their order, then any new field of later \
                                        rows in the order met.",
                        "items": {
                            "type": "string",
                            "title": "Column",
                            "description": "A field name of the rows."
                        },
                        "examples": [["id", "name", "email"]]
                    },
                    "delimiter": {
                        "type": "string",
                        "title": "Delimiter",
                        "description": "The one ASCII character between cells, e.g. , ; | \
                                        or a tab (\\t).",
                        "minLength": 1,
                        "maxLength": 1,
                        "default": ","
                    },
                    "quote": {
                        "type": "string",
                        "title": "Quote",
                        "description": "The one ASCII character that quotes cells holding \
                                        the delimiter, quotes or line breaks (doubled inside \
                                        a quoted cell).",
                        "minLength": 1,
                        "maxLength": 1,
                        "default": "\""
                    },
                    "trim": {
                        "type": "boolean",
                        "title": "Trim",
                        "description": "parse only. Remove spaces around cells and header \
                                        names.",
                        "default": false
                    },
                    "flexible": {
                        "type": "boolean",
                        "title": "Flexible rows",
                        "description": "parse only. Accept rows with fewer or more cells than \
                                        the first: missing cells are left out of the object, \
                                        extra ones are named by their position (\"4\", \
                                        \"5\"…). Off: such a row fails the node, naming its \
                                        line.",
                        "default": false
                    },
                    "infer_types": {
                        "type": "boolean",
                        "title": "Infer types",
                        "description": "parse only. Cells that are JSON numbers (no leading \
                                        zeros or +, so 007 stays text) become numbers, true \
                                        and false become booleans, empty cells null. Off: \
                                        every cell is a string.",
                        "default": false
                    },
                    "max_rows": {
                        "type": "integer",
                        "title": "Most rows",
                        "description": "The most data rows parsed or written (the header \
                                        row is not counted); more fails the node.",
                        "minimum": 1,
                        "maximum": MAX_MAX_ROWS,
                        "default": DEFAULT_MAX_ROWS
                    },
                    "line_ending": {
                        "type": "string",
                        "title": "Line ending",
                        "description": "write only. lf (\\n) or crlf (\\r\\n, as RFC 4180 \
                                        and Excel expect). parse accepts either.",
                        "enum": ["lf", "crlf"],
                        "default": "lf"
                    }
                }),
                &["operation"],
            ),
            filter_fields: Vec::new(),
            raw_fields: Vec::new(),
            default_retry: None,
        }
    }

    fn check_config(&self, config: &Value) -> Vec<ConfigProblem> {
        problems(config)
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        if let Some(p) = problems(&input.config).into_iter().next() {
            return Err(config_error(&p.pointer, p.message));
        }
        let mut config: CsvConfig = parse_config(Self::TYPE, &input.config)?;
        let delimiter = one_ascii(&config.delimiter)
            .ok_or_else(|| config_error("/delimiter", "must be exactly one ASCII character"))?;
        let quote = one_ascii(&config.quote)
            .ok_or_else(|| config_error("/quote", "must be exactly one ASCII character"))?;
        let max_rows = config.max_rows.min(MAX_MAX_ROWS);
        let output = match config.operation {
            Operation::Parse => {
                let text = match config.text.take().unwrap_or_else(|| input.prev().clone()) {
                    Value::String(s) => s,
                    other => {
                        return Err(config_error(
                            "/text",
                            format!("expected a string, got {}", kind_of(&other)),
                        ));
                    }
                };
                parse(&text, &config, delimiter, quote, max_rows)?
            }
            Operation::Write => {
                let items = match config.items.take().unwrap_or_else(|| input.prev().clone()) {
                    Value::Array(a) => a,
                    other => {
                        return Err(config_error(
                            "/items",
                            format!("expected an array, got {}", kind_of(&other)),
                        ));
                    }
                };
                write(&items, &config, delimiter, quote, max_rows)?
            }
        };
        Ok(NodeOutput::main(output))
    }
}

fn permanent(message: impl std::fmt::Display) -> NodeError {
    NodeError::permanent(format!("{}: {message}", CsvNode::TYPE))
}

fn cell(s: &str, infer: bool) -> Value {
    if !infer {
        return Value::String(s.to_string());
    }
    match s {
        "" => Value::Null,
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => match serde_json::from_str::<serde_json::Number>(s) {
            Ok(n) => Value::Number(n),
            Err(_) => Value::String(s.to_string()),
        },
    }
}

fn parse(
    text: &str,
    config: &CsvConfig,
    delimiter: u8,
    quote: u8,
    max_rows: usize,
) -> Result<Value, NodeError> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(permanent(format!(
            "the text is {} bytes, more than the limit of {MAX_TEXT_BYTES}",
            text.len()
        )));
    }
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .quote(quote)
        .has_headers(config.header)
        .flexible(config.flexible)
        .trim(if config.trim {
            ::csv::Trim::All
        } else {
            ::csv::Trim::None
        })
        .from_reader(text.as_bytes());
    let columns: Option<Vec<String>> = if config.header {
        let headers = reader
            .headers()
            .map_err(|e| permanent(format!("the header row does not parse: {e}")))?;
        let names: Vec<String> = headers.iter().map(str::to_string).collect();
        for (i, name) in names.iter().enumerate() {
            if let Some(j) = names[..i].iter().position(|n| n == name) {
                return Err(permanent(format!(
                    "the header row names column `{name}` twice (columns {} and {}); \
                     rename one or parse with header: false",
                    j + 1,
                    i + 1
                )));
            }
        }
        Some(names)
    } else {
        None
    };
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| permanent(format!("the text does not parse: {e}")))?;
        if rows.len() == max_rows {
            return Err(permanent(format!(
                "more than {max_rows} rows (max_rows); raise max_rows (at most {MAX_MAX_ROWS}) \
                 or split the input"
            )));
        }
        let row = match &columns {
            Some(names) => {
                let mut obj = Map::with_capacity(names.len());
                for (i, value) in record.iter().enumerate() {
                    let key = names.get(i).cloned().unwrap_or_else(|| (i + 1).to_string());
                    obj.insert(key, cell(value, config.infer_types));
                }
                Value::Object(obj)
            }
            None => Value::Array(record.iter().map(|v| cell(v, config.infer_types)).collect()),
        };
        rows.push(row);
    }
    let count = rows.len();
    let mut out = json!({"rows": rows, "count": count});
    if let Some(names) = columns {
        out["columns"] = json!(names);
    }
    Ok(out)
}

fn cell_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn write(
    items: &[Value],
    config: &CsvConfig,
    delimiter: u8,
    quote: u8,
    max_rows: usize,
) -> Result<Value, NodeError> {
    if items.len() > max_rows {
        return Err(permanent(format!(
            "{} rows is more than max_rows ({max_rows})",
            items.len()
        )));
    }
    let columns: Vec<String> = match &config.columns {
        Some(c) => c.clone(),
        None => {
            let mut cols: Vec<String> = Vec::new();
            let mut seen = std::collections::HashSet::new();
            for item in items {
                if let Value::Object(o) = item {
                    for k in o.keys() {
                        if seen.insert(k.as_str()) {
                            cols.push(k.clone());
                        }
                    }
                }
            }
            cols
        }
    };
    let mut writer = ::csv::WriterBuilder::new()
        .delimiter(delimiter)
        .quote(quote)
        .flexible(true)
        .terminator(match config.line_ending {
            LineEnding::Lf => ::csv::Terminator::Any(b'\n'),
            LineEnding::Crlf => ::csv::Terminator::CRLF,
        })
        .from_writer(Vec::new());
    let too_long = || {
        permanent(format!(
            "the CSV text would be longer than the limit of {MAX_TEXT_BYTES} bytes"
        ))
    };
    let failed = |e: ::csv::Error| permanent(format!("writing failed: {e}"));
    if config.header && !columns.is_empty() {
        writer.write_record(&columns).map_err(failed)?;
    }
    for (i, item) in items.iter().enumerate() {
        match item {
            Value::Object(o) => {
                let row = columns
                    .iter()
                    .map(|c| o.get(c).map(cell_text).unwrap_or_default());
                writer.write_record(row).map_err(failed)?;
            }
            Value::Array(cells) => {
                writer
                    .write_record(cells.iter().map(cell_text))
                    .map_err(failed)?;
            }
            other => {
                return Err(permanent(format!(
                    "row {i} of `items` is {}; expected an object or an array of cells",
                    kind_of(other)
                )));
            }
        }
        if writer.get_ref().len() > MAX_TEXT_BYTES {
            return Err(too_long());
        }
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| permanent(format!("writing failed: {e}")))?;
    if bytes.len() > MAX_TEXT_BYTES {
        return Err(too_long());
    }
    let text = String::from_utf8(bytes).map_err(|_| permanent("the CSV text is not UTF-8"))?;
    Ok(json!({"text": text, "count": items.len()}))
}

//! `data.xml`: turns XML text into JSON and JSON into XML text (quick-xml).
//!
//! SOAP services, RSS feeds, invoices and bank statements still speak XML while the rest of a
//! workflow speaks JSON. The mapping is the common one: an element becomes a field named
//! after it; its attributes become `@name` fields and its text `#text` (an element with
//! neither attributes nor children is just its text, or null when empty); repeated elements
//! become arrays. `write` is the inverse, so parse ∘ write keeps a value whose leaves are
//! strings.
//!
//! XML from outside is hostile input: documents with a `<!DOCTYPE` are refused (no DTD, so
//! no entity definitions: no XXE file reads and no "billion laughs" expansion), only the
//! five predefined entities and character references are resolved, and size and nesting
//! depth are bounded. Parsing walks a stack, not recursion.

use crate::config::kind_of;
use crate::config::{object_schema, parse_config};
use crate::{Node, NodeInput, NodeOutput};
use async_trait::async_trait;
use quick_xml::Reader;
use quick_xml::Writer;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use weft_core::catalog::ConfigProblem;
use weft_core::{NodeError, NodeSpec, Ports};

/// The longest XML text parsed or written, in bytes.
pub const MAX_TEXT_BYTES: usize = 10 * 1024 * 1024;
/// The default and the largest `max_depth`.
pub const DEFAULT_MAX_DEPTH: usize = 64;
pub const MAX_MAX_DEPTH: usize = 256;
/// The field an element's attributes are prefixed with, and the field of its text.
pub const ATTRIBUTE_PREFIX: &str = "@";
pub const TEXT_KEY: &str = "#text";

/// `data.xml`.
#[derive(Debug, Clone, Copy, Default)]
pub struct XmlNode;

impl XmlNode {
    pub const TYPE: &'static str = "data.xml";
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Operation {
    Parse,
    Write,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct XmlConfig {
    operation: Operation,
    #[serde(default, deserialize_with = "super::present")]
    text: Option<Value>,
    #[serde(default, deserialize_with = "super::present")]
    value: Option<Value>,
    #[serde(default)]
    root: Option<String>,
    #[serde(default = "default_max_depth")]
    max_depth: usize,
    #[serde(default = "yes")]
    declaration: bool,
    #[serde(default = "two")]
    indent: usize,
}

fn default_max_depth() -> usize {
    DEFAULT_MAX_DEPTH
}
fn yes() -> bool {
    true
}
fn two() -> usize {
    2
}

const PARSE_ONLY: &[&str] = &["text"];
const WRITE_ONLY: &[&str] = &["value", "root", "declaration", "indent"];

fn config_error(pointer: &str, message: impl std::fmt::Display) -> NodeError {
    crate::config::config_error(XmlNode::TYPE, pointer, message)
}

fn permanent(message: impl std::fmt::Display) -> NodeError {
    NodeError::permanent(format!("{}: {message}", XmlNode::TYPE))
}

fn problems(config: &Value) -> Vec<ConfigProblem> {
    let mut out = Vec::new();
    let (op, wrong) = match config.get("operation").and_then(Value::as_str) {
        Some("parse") => ("parse", WRITE_ONLY),
        Some("write") => ("write", PARSE_ONLY),
        _ => ("", &[][..]),
    };
    for field in wrong {
        if config.get(*field).is_some() {
            out.push(ConfigProblem {
                pointer: format!("/{field}"),
                message: format!("not used by operation `{op}`"),
            });
        }
    }
    if let Some(root) = config.get("root").and_then(Value::as_str)
        && !weft_core::expr::Template::is_template(root)
        && !valid_name(root)
    {
        out.push(ConfigProblem {
            pointer: "/root".to_string(),
            message: format!(
                "`{root}` is not an XML element name (a letter or _ first, then letters, \
                 digits, - . _ or :)"
            ),
        });
    }
    out
}

/// An XML name, restricted to what is safe to write: a letter, `_` or `:` first, then
/// letters, digits, `-`, `.`, `_`, `:`. Names starting with `xml` (any case) are reserved
/// but legal in practice, so they pass.
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first.is_alphabetic() || first == '_' || first == ':')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '-' | '.' | '_' | ':'))
}

#[async_trait]
impl Node for XmlNode {
    fn runs_inline(&self) -> bool {
        true
    }

    fn spec(&self) -> NodeSpec {
        NodeSpec {
            type_name: Self::TYPE.to_string(),
            category: "data".to_string(),
            description: "Parses XML text into JSON, or writes JSON as XML. An element becomes \
                          a field named after it: attributes as \"@name\", text as \"#text\" \
                          (an element with neither is just its text, null when empty), \
                          repeated elements as arrays; parse outputs {root: …}, write \
                          outputs {text}. Documents with a DOCTYPE (DTDs, entity definitions) \
                          are refused; at most 10 MiB and max_depth levels."
                .to_string(),
            trigger: false,
            ports: Ports::main(),
            schema: object_schema(
                "XML",
                json!({
                    "operation": {
                        "type": "string",
                        "title": "Operation",
                        "description": "parse: XML text → JSON; write: JSON → XML text.",
                        "enum": ["parse", "write"],
                        "default": "parse"
                    },
                    "text": {
                        "type": "string",
                        "title": "XML text",
                        "description": "parse only. The document, usually a {{ }} template \
                                        such as {{ .prev.body }}. Left out: the incoming \
                                        value ({{ .prev }}), which must be a string. At most \
                                        10 MiB; a <!DOCTYPE is refused.",
                        "default": "{{ .prev }}",
                        "maxLength": MAX_TEXT_BYTES
                    },
                    "value": {
                        "title": "Value",
                        "description": "write only. The JSON to write: with `root`, the root \
                                        element's content; without, an object with one field \
                                        naming the root, e.g. {\"order\": {\"@id\": \"7\", \
                                        \"item\": [\"a\", \"b\"]}}. Left out: the incoming \
                                        value ({{ .prev }}).",
                        "default": "{{ .prev }}"
                    },
                    "root": {
                        "type": "string",
                        "title": "Root element",
                        "description": "write only. The root element's name; `value` is then \
                                        its content. Left out: `value` must be an object with \
                                        exactly one field, the root.",
                        "minLength": 1,
                        "examples": ["order"]
                    },
                    "max_depth": {
                        "type": "integer",
                        "title": "Most nesting",
                        "description": "How deeply elements may nest (the root is level 1); \
                                        deeper fails the node.",
                        "minimum": 1,
                        "maximum": MAX_MAX_DEPTH,
                        "default": DEFAULT_MAX_DEPTH
                    },
                    "declaration": {
                        "type": "boolean",
                        "title": "XML declaration",
                        "description": "write only. Start with <?xml version=\"1.0\" \
                                        encoding=\"UTF-8\"?>.",
                        "default": true
                    },
                    "indent": {
                        "type": "integer",
                        "title": "Indent",
                        "description": "write only. Spaces per nesting level; 0 writes \
                                        everything on one line.",
                        "minimum": 0,
                        "maximum": 8,
                        "default": 2
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
        let config: XmlConfig = parse_config(Self::TYPE, &input.config)?;
        let max_depth = config.max_depth.clamp(1, MAX_MAX_DEPTH);
        let output = match config.operation {
            Operation::Parse => {
                let text = match config.text.unwrap_or_else(|| input.prev().clone()) {
                    Value::String(s) => s,
                    other => {
                        return Err(config_error(
                            "/text",
                            format!("expected a string, got {}", kind_of(&other)),
                        ));
                    }
                };
                parse(&text, max_depth)?
            }
            Operation::Write => {
                let value = config.value.unwrap_or_else(|| input.prev().clone());
                let (root, content) = match config.root {
                    Some(root) => (root, value),
                    None => match value {
                        Value::Object(o) if o.len() == 1 => {
                            let (k, v) = o.into_iter().next().expect("one field");
                            (k, v)
                        }
                        other => {
                            return Err(config_error(
                                "/value",
                                format!(
                                    "without `root`, expected an object with exactly one field \
                                     (the root element), got {}",
                                    match &other {
                                        Value::Object(o) =>
                                            format!("an object with {} fields", o.len()),
                                        v => kind_of(v).to_string(),
                                    }
                                ),
                            ));
                        }
                    },
                };
                let text = write(
                    &root,
                    &content,
                    max_depth,
                    config.declaration,
                    config.indent.min(8),
                )?;
                json!({ "text": text })
            }
        };
        Ok(NodeOutput::main(output))
    }
}

// --- parse ------------------------------------------------------------------------------------

/// An element being read.
struct Frame {
    name: String,
    fields: Map<String, Value>,
    text: String,
}

fn line_of(text: &str, pos: u64) -> usize {
    let pos = usize::try_from(pos).unwrap_or(usize::MAX).min(text.len());
    text.as_bytes()[..pos]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn parse(text: &str, max_depth: usize) -> Result<Value, NodeError> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(permanent(format!(
            "the text is {} bytes, more than the limit of {MAX_TEXT_BYTES}",
            text.len()
        )));
    }
    let mut reader = Reader::from_str(text);
    let cfg = reader.config_mut();
    cfg.check_end_names = true;
    cfg.expand_empty_elements = false;
    cfg.trim_text(false);

    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<(String, Value)> = None;
    loop {
        let event = reader.read_event().map_err(|e| {
            permanent(format!(
                "the text is not well-formed XML (line {}): {e}",
                line_of(text, reader.error_position())
            ))
        })?;
        let line = || line_of(text, reader.buffer_position());
        match event {
            Event::DocType(_) => {
                return Err(permanent(format!(
                    "documents with a <!DOCTYPE> are refused (line {}): DTDs and entity \
                     definitions could read local files or expand without bound",
                    line()
                )));
            }
            Event::Start(_) | Event::Empty(_) if root.is_some() => {
                return Err(permanent(format!(
                    "more than one root element (line {})",
                    line()
                )));
            }
            Event::Start(e) => {
                if stack.len() >= max_depth {
                    return Err(permanent(format!(
                        "elements nest deeper than max_depth ({max_depth}) at line {}",
                        line()
                    )));
                }
                stack.push(open(&e, line())?);
            }
            Event::Empty(e) => {
                if stack.len() >= max_depth {
                    return Err(permanent(format!(
                        "elements nest deeper than max_depth ({max_depth}) at line {}",
                        line()
                    )));
                }
                let frame = open(&e, line())?;
                close(frame, &mut stack, &mut root);
            }
            Event::End(_) => {
                let frame = stack.pop().ok_or_else(|| {
                    permanent(format!(
                        "a closing tag without an opening one (line {})",
                        line()
                    ))
                })?;
                close(frame, &mut stack, &mut root);
            }
            Event::Text(t) => {
                let s = t.xml10_content().map_err(|e| {
                    permanent(format!("text that does not decode (line {}): {e}", line()))
                })?;
                push_text(&mut stack, &s, line())?;
            }
            Event::CData(c) => {
                let s = c.decode().map_err(|e| {
                    permanent(format!("CDATA that does not decode (line {}): {e}", line()))
                })?;
                push_text(&mut stack, &s, line())?;
            }
            Event::GeneralRef(r) => {
                let resolved: String = if r.is_char_ref() {
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        _ => {
                            return Err(permanent(format!(
                                "a character reference that is not a character (line {})",
                                line()
                            )));
                        }
                    }
                } else {
                    let name = r.decode().map_err(|e| permanent(e.to_string()))?;
                    match resolve_predefined_entity(&name) {
                        Some(s) => s.to_string(),
                        None => {
                            return Err(permanent(format!(
                                "undefined entity &{name}; (line {}): only &lt; &gt; &amp; \
                                 &apos; &quot; and character references are resolved",
                                line()
                            )));
                        }
                    }
                };
                push_text(&mut stack, &resolved, line())?;
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if let Some(open) = stack.last() {
        return Err(permanent(format!(
            "the text ends before element <{}> is closed",
            open.name
        )));
    }
    let (name, value) = root.ok_or_else(|| permanent("the text has no root element"))?;
    let mut out = Map::new();
    out.insert(name, value);
    Ok(Value::Object(out))
}

fn push_text(stack: &mut [Frame], s: &str, line: usize) -> Result<(), NodeError> {
    match stack.last_mut() {
        Some(frame) => {
            frame.text.push_str(s);
            Ok(())
        }
        None if s.trim().is_empty() => Ok(()),
        None => Err(permanent(format!(
            "text outside the root element (line {line})"
        ))),
    }
}

fn open(e: &BytesStart<'_>, line: usize) -> Result<Frame, NodeError> {
    let name = std::str::from_utf8(e.name().as_ref())
        .map_err(|_| permanent(format!("an element name that is not UTF-8 (line {line})")))?
        .to_string();
    let mut fields = Map::new();
    for attr in e.attributes() {
        let attr = attr.map_err(|err| {
            permanent(format!("a bad attribute on <{name}> (line {line}): {err}"))
        })?;
        let key = std::str::from_utf8(attr.key.as_ref()).map_err(|_| {
            permanent(format!(
                "an attribute name on <{name}> that is not UTF-8 (line {line})"
            ))
        })?;
        let value = attr.unescape_value().map_err(|err| {
            permanent(format!(
                "attribute `{key}` of <{name}> (line {line}): {err} (only the predefined \
                 entities and character references are resolved)"
            ))
        })?;
        fields.insert(
            format!("{ATTRIBUTE_PREFIX}{key}"),
            Value::String(value.into_owned()),
        );
    }
    Ok(Frame {
        name,
        fields,
        text: String::new(),
    })
}

/// Finishes an element and adds it to its parent (or makes it the root).
fn close(frame: Frame, stack: &mut [Frame], root: &mut Option<(String, Value)>) {
    let text = frame.text.trim();
    let value = if frame.fields.is_empty() {
        if text.is_empty() {
            Value::Null
        } else {
            Value::String(text.to_string())
        }
    } else {
        let mut fields = frame.fields;
        if !text.is_empty() {
            fields.insert(TEXT_KEY.to_string(), Value::String(text.to_string()));
        }
        Value::Object(fields)
    };
    match stack.last_mut() {
        Some(parent) => match parent.fields.get_mut(&frame.name) {
            Some(Value::Array(items)) => items.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
            None => {
                parent.fields.insert(frame.name, value);
            }
        },
        None => *root = Some((frame.name, value)),
    }
}

// --- write ------------------------------------------------------------------------------------

type XmlWriter = Writer<Vec<u8>>;

fn io_error(e: std::io::Error) -> NodeError {
    permanent(format!("writing failed: {e}"))
}

/// Text XML 1.0 can hold: no control characters but tab, line feed and carriage return.
fn check_chars(s: &str, path: &str) -> Result<(), NodeError> {
    match s
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        Some(c) => Err(permanent(format!(
            "`{path}` holds the control character U+{:04X}, which XML 1.0 cannot hold",
            c as u32
        ))),
        None => Ok(()),
    }
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn write(
    root: &str,
    content: &Value,
    max_depth: usize,
    declaration: bool,
    indent: usize,
) -> Result<String, NodeError> {
    let mut w = if indent == 0 {
        Writer::new(Vec::new())
    } else {
        Writer::new_with_indent(Vec::new(), b' ', indent)
    };
    if declaration {
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
            .map_err(io_error)?;
    }
    if matches!(content, Value::Array(_)) {
        return Err(permanent(format!(
            "the root element <{root}> cannot be an array (XML has one root): set `root` and \
             make the array a field of the value"
        )));
    }
    element(&mut w, root, content, 1, max_depth, root)?;
    let bytes = w.into_inner();
    if bytes.len() > MAX_TEXT_BYTES {
        return Err(permanent(format!(
            "the XML text would be longer than the limit of {MAX_TEXT_BYTES} bytes"
        )));
    }
    String::from_utf8(bytes).map_err(|_| permanent("the XML text is not UTF-8"))
}

fn element(
    w: &mut XmlWriter,
    name: &str,
    value: &Value,
    depth: usize,
    max_depth: usize,
    path: &str,
) -> Result<(), NodeError> {
    if !valid_name(name) {
        return Err(permanent(format!(
            "`{path}`: `{name}` is not an XML element name (a letter or _ first, then \
             letters, digits, - . _ or :)"
        )));
    }
    if depth > max_depth {
        return Err(permanent(format!(
            "`{path}` nests deeper than max_depth ({max_depth})"
        )));
    }
    if w.get_ref().len() > MAX_TEXT_BYTES {
        return Err(permanent(format!(
            "the XML text would be longer than the limit of {MAX_TEXT_BYTES} bytes"
        )));
    }
    let mut start = BytesStart::new(name);
    match value {
        Value::Null => {
            w.write_event(Event::Empty(start)).map_err(io_error)?;
        }
        Value::Array(_) => {
            return Err(permanent(format!(
                "`{path}` is an array inside an array; XML repeats elements, it cannot nest \
                 lists directly"
            )));
        }
        Value::String(_) | Value::Number(_) | Value::Bool(_) => {
            let text = scalar_text(value).unwrap_or_default();
            check_chars(&text, path)?;
            w.write_event(Event::Start(start)).map_err(io_error)?;
            w.write_event(Event::Text(BytesText::new(&text)))
                .map_err(io_error)?;
            w.write_event(Event::End(BytesEnd::new(name)))
                .map_err(io_error)?;
        }
        Value::Object(fields) => {
            let mut text: Option<String> = None;
            let mut children = Vec::new();
            for (key, v) in fields {
                let at = format!("{path}/{key}");
                if let Some(attr) = key.strip_prefix(ATTRIBUTE_PREFIX) {
                    if !valid_name(attr) {
                        return Err(permanent(format!(
                            "`{at}`: `{attr}` is not an XML attribute name"
                        )));
                    }
                    if v.is_null() {
                        continue;
                    }
                    let s = scalar_text(v).ok_or_else(|| {
                        permanent(format!(
                            "`{at}` is {}; an attribute is a string, number or boolean",
                            kind_of(v)
                        ))
                    })?;
                    check_chars(&s, &at)?;
                    start.push_attribute((attr, s.as_str()));
                } else if key == TEXT_KEY {
                    if v.is_null() {
                        continue;
                    }
                    let s = scalar_text(v).ok_or_else(|| {
                        permanent(format!(
                            "`{at}` is {}; text is a string, number or boolean",
                            kind_of(v)
                        ))
                    })?;
                    check_chars(&s, &at)?;
                    text = Some(s);
                } else {
                    children.push((key, v, at));
                }
            }
            if text.is_none() && children.is_empty() {
                w.write_event(Event::Empty(start)).map_err(io_error)?;
                return Ok(());
            }
            w.write_event(Event::Start(start)).map_err(io_error)?;
            if let Some(t) = text {
                w.write_event(Event::Text(BytesText::new(&t)))
                    .map_err(io_error)?;
            }
            for (key, v, at) in children {
                match v {
                    Value::Array(items) => {
                        for (i, item) in items.iter().enumerate() {
                            element(w, key, item, depth + 1, max_depth, &format!("{at}/{i}"))?;
                        }
                    }
                    _ => element(w, key, v, depth + 1, max_depth, &at)?,
                }
            }
            w.write_event(Event::End(BytesEnd::new(name)))
                .map_err(io_error)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_and_text_around_them_are_kept() {
        let v = parse("<a x=\"1 &amp; 2\">b &lt; c &#65;</a>", 8).unwrap();
        assert_eq!(v, json!({"a": {"@x": "1 & 2", "#text": "b < c A"}}));
    }

    #[test]
    fn doctype_and_custom_entities_are_refused() {
        let e = parse(
            "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><a>&x;</a>",
            8,
        )
        .unwrap_err();
        assert!(e.message.contains("DOCTYPE"), "{}", e.message);
        let e = parse("<a>&x;</a>", 8).unwrap_err();
        assert!(e.message.contains("undefined entity &x;"), "{}", e.message);
    }
}

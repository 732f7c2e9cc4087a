//! An example node type living outside Weft's own crates: `text.slugify` turns a title into a
//! URL slug. It shows the whole SDK surface a real integration needs — a spec with a
//! described config schema, typed config parsing with errors that name the field, a
//! design-time check, and tests through the isolation harness — and, in `main.rs`, how a
//! program registers it next to the built-in types at start.
//!
//! The guide is docs/nodes-sdk.md.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use weft_core::catalog::ConfigProblem;
use weft_core::{NodeError, NodeSpec, Ports};
use weft_nodes::config::{object_schema, parse_config};
use weft_nodes::{Node, NodeInput, NodeOptions, NodeOutput, Registry, RegistryError};

/// `text.slugify`: `"Hello, World!"` → `"hello-world"`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SlugifyNode;

impl SlugifyNode {
    pub const TYPE: &'static str = "text.slugify";
    /// Longest slug a config may ask for.
    pub const MAX_LENGTH: usize = 200;
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlugifyConfig {
    text: String,
    #[serde(default = "dash")]
    separator: String,
    #[serde(default)]
    max_length: Option<usize>,
}

fn dash() -> String {
    "-".to_string()
}

/// The slug of `text`: lower-case ASCII letters and digits, runs of anything else collapsed
/// into one `separator`, none at either end, cut at `max_length` on a word boundary when it
/// can be.
pub fn slugify(text: &str, separator: &str, max_length: Option<usize>) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            word.push(c);
        } else if !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    let mut slug = String::new();
    for w in words {
        let extra = if slug.is_empty() { 0 } else { separator.len() } + w.len();
        if let Some(max) = max_length
            && slug.len() + extra > max
        {
            if slug.is_empty() {
                slug = w[..max.min(w.len())].to_string();
            }
            break;
        }
        if !slug.is_empty() {
            slug.push_str(separator);
        }
        slug.push_str(&w);
    }
    slug
}

#[async_trait]
impl Node for SlugifyNode {
    fn spec(&self) -> NodeSpec {
        NodeSpec {
            type_name: Self::TYPE.to_string(),
            category: "text".to_string(),
            description: "Turns a text into a URL slug: lower-case letters and digits joined by \
                          a separator."
                .to_string(),
            trigger: false,
            ports: Ports::main(),
            schema: object_schema(
                "Slugify",
                json!({
                    "text": {
                        "type": "string",
                        "title": "Text",
                        "description": "The text to turn into a slug; may hold {{ }} \
                                        templates, e.g. {{ .input.title }}.",
                        "examples": ["{{ .input.title }}"]
                    },
                    "separator": {
                        "type": "string",
                        "title": "Separator",
                        "description": "Put between words.",
                        "enum": ["-", "_", "."],
                        "default": "-"
                    },
                    "max_length": {
                        "type": "integer",
                        "title": "Maximum length",
                        "description": "Longest slug, cut at a word boundary when possible.",
                        "minimum": 1,
                        "maximum": Self::MAX_LENGTH
                    }
                }),
                &["text"],
            ),
            filter_fields: Vec::new(),
            raw_fields: Vec::new(),
            default_retry: None,
        }
    }

    fn check_config(&self, config: &Value) -> Vec<ConfigProblem> {
        // The schema cannot say "not only whitespace" for a literal text.
        match config.get("text").and_then(Value::as_str) {
            Some(t) if !t.contains("{{") && t.trim().is_empty() => vec![ConfigProblem {
                pointer: "/text".to_string(),
                message: "the text is empty".to_string(),
            }],
            _ => Vec::new(),
        }
    }

    /// Pure and quick: the engine may run it inside the execution's own step.
    fn runs_inline(&self) -> bool {
        true
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let config: SlugifyConfig = parse_config(Self::TYPE, &input.config)?;
        let slug = slugify(&config.text, &config.separator, config.max_length);
        if slug.is_empty() {
            return Err(NodeError::permanent(format!(
                "{:?} has no letters or digits to make a slug of",
                config.text
            )));
        }
        Ok(NodeOutput::main(json!({ "slug": slug })))
    }
}

/// The built-in node types plus this crate's: what a program embedding Weft registers at
/// start.
pub fn registry(options: NodeOptions) -> Result<Registry, RegistryError> {
    let mut registry = Registry::builtin(options)?;
    registry.register(Arc::new(SlugifyNode))?;
    Ok(registry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slugify("Hello, World!", "-", None), "hello-world");
        assert_eq!(
            slugify("  Weft 2.0 -- Release ", "_", None),
            "weft_2_0_release"
        );
        assert_eq!(slugify("alpha beta gamma", "-", Some(11)), "alpha-beta");
        assert_eq!(slugify("supercalifragilistic", "-", Some(5)), "super");
        assert_eq!(slugify("!!!", "-", None), "");
    }
}

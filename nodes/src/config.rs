//! Small helpers for writing node types: a config schema skeleton, typed config parsing with
//! errors that name the field, and jq truthiness.

use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use weft_core::NodeError;
use weft_core::definition::pointer_of;

/// The JSON Schema dialect every config schema declares.
pub const SCHEMA_DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// A config schema: an object with exactly `properties` (each should carry a `description`)
/// and the `required` ones.
pub fn object_schema(title: &str, properties: Value, required: &[&str]) -> Value {
    let mut schema = json!({
        "$schema": SCHEMA_DIALECT,
        "title": title,
        "type": "object",
        "additionalProperties": false,
        "properties": properties,
    });
    if !required.is_empty() {
        schema["required"] = json!(required);
    }
    schema
}

/// A `config` error naming the field, in the one format every node type uses:
/// `invalid {type} config: {pointer}: {message}`.
pub fn config_error(type_name: &str, pointer: &str, message: impl std::fmt::Display) -> NodeError {
    NodeError::config(format!("invalid {type_name} config: {pointer}: {message}"))
}

/// Deserializes a rendered config into the node's typed config. The registry has checked it
/// against the schema already; this is the second line of defence, so a mismatch between
/// schema and struct still becomes a clear `config` error, never a panic.
pub fn parse_config<T: DeserializeOwned>(type_name: &str, config: &Value) -> Result<T, NodeError> {
    serde_path_to_error::deserialize(config).map_err(|e| {
        let pointer = pointer_of(e.path());
        let pointer = if pointer.is_empty() {
            "/".to_string()
        } else {
            pointer
        };
        config_error(type_name, &pointer, e.inner())
    })
}

pub use weft_core::machine::{kind_of, truthy};

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Cfg {
        items: Vec<Item>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Item {
        n: u32,
    }

    #[test]
    fn parse_errors_name_the_field() {
        let e =
            parse_config::<Cfg>("t.x", &json!({"items": [{"n": 1}, {"n": "two"}]})).unwrap_err();
        assert_eq!(e.kind, weft_core::ErrorKind::Config);
        assert!(
            e.message
                .starts_with("invalid t.x config: /items/1/n: invalid type"),
            "{}",
            e.message
        );
    }

    #[test]
    fn truthiness_follows_jq() {
        for v in [
            json!(true),
            json!(0),
            json!(""),
            json!([]),
            json!({}),
            json!("false"),
        ] {
            assert!(truthy(&v), "{v}");
        }
        assert!(!truthy(&json!(false)));
        assert!(!truthy(&Value::Null));
    }
}

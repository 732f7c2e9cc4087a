//! The catalog as users see it: enough node types, every config field described (the
//! designer's forms and docs/nodes.md are built from the schemas), and docs/nodes.md in step
//! with the code. Regenerate it with `weft nodes --markdown > docs/nodes.md` (or run this
//! test with `WEFT_UPDATE_DOCS=1`).

use std::path::Path;
use weft_nodes::{NodeOptions, Registry, catalog};

fn registry() -> Registry {
    Registry::builtin(NodeOptions::default()).expect("built-in registry")
}

#[test]
fn at_least_35_types_with_every_config_field_described() {
    let r = registry();
    let specs = r.specs();
    assert!(specs.len() >= 35, "only {} node types", specs.len());
    for s in &specs {
        assert!(
            !s.description.trim().is_empty(),
            "{} has no description",
            s.type_name
        );
        assert!(
            s.schema.get("title").is_some(),
            "{}'s schema has no title",
            s.type_name
        );
    }
    let missing = catalog::undescribed(&specs);
    assert!(
        missing.is_empty(),
        "fields without a description:\n{}",
        missing.join("\n")
    );
}

#[test]
fn docs_nodes_md_is_generated_from_the_current_catalog() {
    let r = registry();
    let generated = catalog::markdown(&r.specs());
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/nodes.md");
    if std::env::var_os("WEFT_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &generated).expect("write docs/nodes.md");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/nodes.md is stale: run `weft nodes --markdown > docs/nodes.md` \
         (or this test with WEFT_UPDATE_DOCS=1)"
    );
}

/// Every `properties` entry named `credential`, at any depth of `schema`, by JSON pointer.
fn credential_fields<'a>(
    schema: &'a serde_json::Value,
    at: String,
    out: &mut Vec<(String, &'a serde_json::Value)>,
) {
    match schema {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                let here = format!("{at}/{key}");
                if key == "properties"
                    && let Some(c) = value.get("credential")
                {
                    out.push((format!("{here}/credential"), c));
                }
                credential_fields(value, here, out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                credential_fields(item, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn credential_fields_are_marked_for_the_designers_picker() {
    let r = registry();
    let mut found = 0;
    for s in r.specs() {
        let mut fields = Vec::new();
        credential_fields(&s.schema, String::new(), &mut fields);
        for (pointer, field) in fields {
            found += 1;
            assert_eq!(
                field["x-weft-widget"], "credential",
                "{} {pointer}: a credential field without the designer's marker",
                s.type_name
            );
        }
    }
    assert!(
        found >= 10,
        "only {found} credential fields: did the walk miss some?"
    );
}

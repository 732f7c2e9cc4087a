//! The OpenAPI 3.1 document, generated from the handlers' annotations (utoipa), served at
//! `/api/v1/openapi.json`, with interactive docs (Swagger UI, bundled in the binary — no CDN,
//! no download at build time) at `/api/docs`.

use crate::api;
use crate::state::AppState;
use axum::Router;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Weft API",
        description = "Workflows, executions, live streams and administration of a Weft instance. \
                       Authenticate with `POST /api/v1/auth/login` and send `Authorization: Bearer <access_token>`, \
                       or send an API key (`weft_…`) the same way or as `X-API-Key`. Errors are RFC 9457 problem documents."
    ),
    paths(api::hooks::webhook, crate::stream::execution_stream, crate::stream::multiplexed),
    components(schemas(crate::error::ProblemDocument, crate::error::ErrorCode)),
    modifiers(&Security),
    tags(
        (name = "auth", description = "Log in, tokens, MFA"),
        (name = "users", description = "User administration"),
        (name = "api-keys", description = "API keys"),
        (name = "workflows", description = "Workflow definitions and versions"),
        (name = "executions", description = "Executions, events, logs, streams"),
        (name = "credentials", description = "Secrets for nodes (write-only values)"),
        (name = "audit", description = "Audit log"),
        (name = "nodes", description = "Node catalog"),
        (name = "webhooks", description = "Webhook triggers"),
        (name = "health", description = "Liveness and readiness"),
    )
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT or weft_ API key")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
        );
    }
}

/// The documented routes: `/api/v1/…` and health.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", api::routes())
        .routes(routes!(api::health::live))
        .routes(routes!(api::health::ready))
}

/// The whole document.
pub fn document() -> utoipa::openapi::OpenApi {
    api_router().split_for_parts().1
}

/// `/api/v1/openapi.json` and `/api/docs`.
pub fn docs_routes() -> Router<AppState> {
    Router::from(SwaggerUi::new("/api/docs").url("/api/v1/openapi.json", document()))
}

#[cfg(test)]
mod tests {
    use super::document;

    #[test]
    fn every_operation_is_documented_with_its_answers() {
        let doc = serde_json::to_value(document()).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        let paths = doc["paths"].as_object().unwrap();
        let mut operations = 0;
        for (path, item) in paths {
            for (method, op) in item.as_object().unwrap() {
                operations += 1;
                let responses = op["responses"].as_object().unwrap();
                assert!(
                    responses.keys().any(|c| c.starts_with('2') || c == "101"),
                    "{method} {path} documents no success"
                );
                if op.get("security").is_some() {
                    for code in ["401", "403", "429"] {
                        let r = &responses[code];
                        assert!(
                            r["content"]["application/problem+json"].is_object(),
                            "{method} {path} lacks a {code} problem"
                        );
                    }
                }
                assert!(
                    op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                    "{method} {path}"
                );
            }
        }
        assert!(operations >= 47, "{operations} operations");
        assert!(paths.contains_key("/api/v1/executions/{id}/stream"));
        assert!(paths.contains_key("/hooks/{path}"));
        assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    }

    /// A dangling `$ref` breaks every generated client (the web app's among them).
    #[test]
    fn every_schema_reference_resolves() {
        fn walk(v: &serde_json::Value, doc: &serde_json::Value, missing: &mut Vec<String>) {
            match v {
                serde_json::Value::Object(m) => {
                    if let Some(r) = m.get("$ref").and_then(|r| r.as_str()) {
                        let pointer = r.trim_start_matches('#');
                        if doc.pointer(pointer).is_none() {
                            missing.push(r.to_string());
                        }
                    }
                    m.values().for_each(|c| walk(c, doc, missing));
                }
                serde_json::Value::Array(a) => a.iter().for_each(|c| walk(c, doc, missing)),
                _ => {}
            }
        }
        let doc = serde_json::to_value(document()).unwrap();
        let mut missing = Vec::new();
        walk(&doc, &doc, &mut missing);
        assert!(missing.is_empty(), "dangling references: {missing:?}");
    }

    /// The web app's typed client is generated from `web/openapi.json`; it must be this
    /// document. Regenerate with `weft openapi > web/openapi.json && npm --prefix web run api:types`.
    #[test]
    fn the_web_client_is_generated_from_the_current_document() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/openapi.json");
        let committed: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let current = serde_json::to_value(document()).unwrap();
        assert!(
            committed == current,
            "web/openapi.json is stale: run `weft openapi > web/openapi.json && npm --prefix web run api:types`"
        );
    }
}

//! `/nodes`: the node catalog with each type's config JSON Schema, for the designer.

use crate::auth::Principal;
use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use weft_persistence::Role;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(nodes))
}

#[derive(Serialize, ToSchema)]
pub struct NodeCatalog {
    /// One spec per type: name, category, ports, config schema.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Value>,
}

/// Every node type.
#[utoipa::path(get, path = "/nodes", tag = "nodes",
    responses((status = 200, body = NodeCatalog), crate::error::AuthProblems),
    security(("bearer" = [])))]
async fn nodes(State(state): State<AppState>, p: Principal) -> Result<Json<NodeCatalog>, ApiError> {
    p.require(Role::Viewer)?;
    let items = state
        .engine
        .registry()
        .specs()
        .into_iter()
        .map(|s| serde_json::to_value(s).unwrap_or(Value::Null))
        .collect();
    Ok(Json(NodeCatalog { items }))
}

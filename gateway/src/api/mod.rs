//! The REST API under `/api/v1`, one module per resource. Handlers are thin: parse and check
//! the request (a [`Principal`](crate::auth::Principal) with the role the route needs, a
//! [`JsonBody`], validated ids), call the engine or the store, shape the answer. Each one is
//! annotated for the OpenAPI document, which is generated from these annotations.

pub mod access;
pub mod auth;
pub mod credentials;
pub mod executions;
pub mod expressions;
pub mod health;
pub mod hooks;
pub mod nodes;
pub mod stats;
pub mod workflows;

use crate::error::ApiError;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;
use utoipa_axum::router::OpenApiRouter;

/// A role, weakest first (documentation of `weft_persistence::Role`, which the store owns).
#[derive(utoipa::ToSchema)]
#[schema(as = Role)]
#[allow(dead_code)]
pub enum RoleName {
    #[schema(rename = "viewer")]
    Viewer,
    #[schema(rename = "operator")]
    Operator,
    #[schema(rename = "editor")]
    Editor,
    #[schema(rename = "admin")]
    Admin,
}

/// Every `/api/v1` route.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(auth::routes())
        .merge(access::routes())
        .merge(workflows::routes())
        .merge(executions::routes())
        .merge(expressions::routes())
        .merge(stats::routes())
        .merge(credentials::routes())
        .merge(nodes::routes())
}

/// A JSON request body. Unlike `axum::Json`, a body that does not fit the type names the
/// field at fault (`field` in the problem), and problems come as problem+json.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|ct| {
                let mime = ct.split(';').next().unwrap_or("").trim();
                mime.eq_ignore_ascii_case("application/json") || mime.ends_with("+json")
            })
            .unwrap_or(false);
        if !json {
            return Err(ApiError::new(
                crate::error::ErrorCode::UnsupportedMediaType,
                "the body must be JSON (Content-Type: application/json)",
            )
            .with_field("Content-Type"));
        }
        let bytes = read_body(req, state).await?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// The body's bytes, or 413 when it is over the limit.
pub async fn read_body(req: Request, state: &AppState) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state)
        .await
        .map_err(|e: BytesRejection| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::too_large("the request body is larger than the limit")
            } else {
                ApiError::bad_request(e.body_text(), None)
            }
        })
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let field = (path != "." && !path.is_empty()).then_some(path);
        let mut err = ApiError::bad_request(format!("invalid JSON body: {inner}"), None);
        err.field = field;
        err
    })
}

/// A path or query id, or a 400 naming the parameter.
pub fn parse_uuid(s: &str, field: &str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::parse_str(s)
        .map_err(|_| ApiError::bad_request(format!("`{s}` is not a valid id"), Some(field)))
}

/// A page size: absent → 100, capped by the configured maximum, 0 refused.
pub fn page_limit(limit: Option<u32>, state: &AppState) -> Result<u32, ApiError> {
    match limit {
        None => Ok(100.min(state.options.max_page_size)),
        Some(0) => Err(ApiError::bad_request(
            "limit must be at least 1",
            Some("limit"),
        )),
        Some(n) if n > state.options.max_page_size => Err(ApiError::bad_request(
            format!("limit must be at most {}", state.options.max_page_size),
            Some("limit"),
        )),
        Some(n) => Ok(n),
    }
}

/// Query strings with problems named by parameter.
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned + Send> axum::extract::FromRequestParts<AppState> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &AppState,
    ) -> Result<Self, ApiError> {
        let q = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(q.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(QueryParams)
            .map_err(|e| {
                let field = e.path().to_string();
                ApiError::bad_request(
                    format!("invalid query string: {}", e.into_inner()),
                    (field != ".").then_some(field.as_str()),
                )
            })
    }
}

//! API errors as RFC 9457 `application/problem+json`, mapped from engine and store errors in
//! this one place. A 500 never carries internals: the client gets a generic message and the
//! real error goes to the log.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use weft_actors::EngineError;
use weft_core::Problem;
use weft_persistence::StoreError;

#[derive(Debug)]
pub enum ApiError {
    BadRequest {
        detail: String,
        field: Option<String>,
    },
    Invalid(Vec<Problem>),
    NotFound(String),
    Conflict(String),
    PayloadTooLarge(String),
    Unavailable(String),
    Internal(String),
}

impl ApiError {
    pub fn bad_request(detail: impl Into<String>, field: Option<&str>) -> Self {
        ApiError::BadRequest {
            detail: detail.into(),
            field: field.map(str::to_string),
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::NotFound { .. } => ApiError::NotFound(e.to_string()),
            EngineError::Invalid(problems) => ApiError::Invalid(problems),
            EngineError::NotActive { .. } => ApiError::Conflict(e.to_string()),
            EngineError::BadRequest(m) => ApiError::bad_request(m, None),
            EngineError::Store(s) => s.into(),
            EngineError::Unavailable(m) => ApiError::Unavailable(m),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { .. } => ApiError::NotFound(e.to_string()),
            StoreError::AlreadyExists { .. } | StoreError::Conflict(_) => {
                ApiError::Conflict(e.to_string())
            }
            StoreError::Unavailable(m) => ApiError::Unavailable(m),
            StoreError::Invalid(m) | StoreError::Internal(m) => ApiError::Internal(m),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, title, detail, extra): (StatusCode, &str, String, Value) = match self {
            ApiError::BadRequest { detail, field } => (
                StatusCode::BAD_REQUEST,
                "Bad request",
                detail,
                json!({ "field": field }),
            ),
            ApiError::Invalid(problems) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid workflow definition",
                format!("{} problem(s) in the definition", problems.len()),
                json!({ "problems": problems }),
            ),
            ApiError::NotFound(d) => (StatusCode::NOT_FOUND, "Not found", d, Value::Null),
            ApiError::Conflict(d) => (StatusCode::CONFLICT, "Conflict", d, Value::Null),
            ApiError::PayloadTooLarge(d) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "Payload too large",
                d,
                Value::Null,
            ),
            ApiError::Unavailable(d) => {
                tracing::warn!(error = %d, "service unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Service unavailable",
                    "try again shortly".into(),
                    Value::Null,
                )
            }
            ApiError::Internal(d) => {
                tracing::error!(error = %d, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal error",
                    "an internal error occurred".into(),
                    Value::Null,
                )
            }
        };
        let mut body = json!({
            "type": "about:blank",
            "title": title,
            "status": status.as_u16(),
            "detail": detail,
        });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                if !v.is_null() {
                    b.insert(k.clone(), v.clone());
                }
            }
        }
        let mut resp = (status, axum::Json(body)).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        resp
    }
}

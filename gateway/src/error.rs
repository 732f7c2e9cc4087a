//! API errors as RFC 9457 `application/problem+json`.
//!
//! One small [`ErrorCode`] enum says what went wrong; it is mapped to an HTTP status and a
//! title here and nowhere else. Engine and store errors are translated into it in this module
//! too. A 500 never carries internals: the client gets a generic message and the real error
//! goes to the log.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use weft_actors::EngineError;
use weft_core::Problem;
use weft_persistence::StoreError;

/// What went wrong, as the `code` member of every problem document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request is malformed: bad JSON, a bad parameter, a bad header.
    BadRequest,
    /// A workflow definition has problems (listed in `problems`).
    InvalidDefinition,
    /// A jq expression that does not parse or fails on the given data.
    InvalidExpression,
    /// No credentials, or credentials that are not valid.
    Unauthenticated,
    /// The password was right; a TOTP code is needed too.
    MfaRequired,
    /// Authenticated, but the role or grant does not allow it.
    Forbidden,
    NotFound,
    /// The method is not allowed on this resource (e.g. a webhook path).
    MethodNotAllowed,
    /// The state forbids it (already exists, stale version, not active…).
    Conflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    RateLimited,
    /// Waited too long for something (a webhook's response node).
    Timeout,
    /// A webhook's workflow ended without responding because it failed.
    WorkflowFailed,
    Unavailable,
    Internal,
}

impl ErrorCode {
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::BadRequest => StatusCode::BAD_REQUEST,
            ErrorCode::InvalidDefinition | ErrorCode::InvalidExpression => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ErrorCode::Unauthenticated | ErrorCode::MfaRequired => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Timeout => StatusCode::GATEWAY_TIMEOUT,
            ErrorCode::WorkflowFailed => StatusCode::BAD_GATEWAY,
            ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "Bad request",
            ErrorCode::InvalidDefinition => "Invalid workflow definition",
            ErrorCode::InvalidExpression => "Invalid expression",
            ErrorCode::Unauthenticated => "Unauthenticated",
            ErrorCode::MfaRequired => "MFA code required",
            ErrorCode::Forbidden => "Forbidden",
            ErrorCode::NotFound => "Not found",
            ErrorCode::MethodNotAllowed => "Method not allowed",
            ErrorCode::Conflict => "Conflict",
            ErrorCode::PayloadTooLarge => "Payload too large",
            ErrorCode::UnsupportedMediaType => "Unsupported media type",
            ErrorCode::RateLimited => "Too many requests",
            ErrorCode::Timeout => "Timed out",
            ErrorCode::WorkflowFailed => "Workflow failed",
            ErrorCode::Unavailable => "Service unavailable",
            ErrorCode::Internal => "Internal error",
        }
    }
}

/// An error answer. Build it with the constructors; the response is made in one place.
#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub detail: String,
    /// The request field at fault: a body member, a query parameter, a path segment or a
    /// header name.
    pub field: Option<String>,
    pub problems: Vec<Problem>,
    /// Seconds, for `RateLimited` (also sent as `Retry-After`).
    pub retry_after: Option<u64>,
}

/// The problem document, as the OpenAPI document describes it.
#[derive(Serialize, ToSchema)]
pub struct ProblemDocument {
    #[schema(example = "about:blank")]
    pub r#type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub code: ErrorCode,
    /// The request field at fault, when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every problem of an invalid definition.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub problems: Option<Vec<Problem>>,
}

impl ApiError {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        ApiError {
            code,
            detail: detail.into(),
            field: None,
            problems: Vec::new(),
            retry_after: None,
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn bad_request(detail: impl Into<String>, field: Option<&str>) -> Self {
        let e = ApiError::new(ErrorCode::BadRequest, detail);
        match field {
            Some(f) => e.with_field(f),
            None => e,
        }
    }

    pub fn invalid(problems: Vec<Problem>) -> Self {
        let mut e = ApiError::new(
            ErrorCode::InvalidDefinition,
            format!("{} problem(s) in the definition", problems.len()),
        );
        e.field = problems.first().map(|p| p.pointer.clone());
        e.problems = problems;
        e
    }

    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::Unauthenticated, detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::Forbidden, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::NotFound, detail)
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::Conflict, detail)
    }

    pub fn too_large(detail: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::PayloadTooLarge, detail)
    }

    pub fn rate_limited(retry_after_secs: u64) -> Self {
        let mut e = ApiError::new(
            ErrorCode::RateLimited,
            format!("too many requests; retry in {retry_after_secs} s"),
        );
        e.retry_after = Some(retry_after_secs.max(1));
        e
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::Unavailable, detail)
    }

    /// The detail is logged, never sent.
    pub fn internal(detail: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::Internal, detail)
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::NotFound { .. } => ApiError::not_found(e.to_string()),
            EngineError::Invalid(problems) => ApiError::invalid(problems),
            EngineError::NotActive { .. } => ApiError::conflict(e.to_string()),
            EngineError::BadRequest(m) => ApiError::bad_request(m, None),
            EngineError::Store(s) => s.into(),
            EngineError::Unavailable(m) => ApiError::unavailable(m),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { .. } => ApiError::not_found(e.to_string()),
            StoreError::AlreadyExists { .. } | StoreError::Conflict(_) => {
                ApiError::conflict(e.to_string())
            }
            StoreError::Unavailable(m) => ApiError::unavailable(m),
            StoreError::Invalid(m) | StoreError::Internal(m) => ApiError::internal(m),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.code.status();
        let detail = match self.code {
            ErrorCode::Internal => {
                tracing::error!(error = %self.detail.escape_debug(), "internal error");
                "an internal error occurred".to_string()
            }
            ErrorCode::Unavailable => {
                tracing::warn!(error = %self.detail.escape_debug(), "service unavailable");
                "a dependency is unavailable; try again shortly".to_string()
            }
            _ => self.detail,
        };
        let mut body = json!({
            "type": "about:blank",
            "title": self.code.title(),
            "status": status.as_u16(),
            "detail": detail,
            "code": self.code,
        });
        if let Some(obj) = body.as_object_mut() {
            if let Some(f) = self.field {
                obj.insert("field".into(), Value::String(f));
            }
            if !self.problems.is_empty() {
                obj.insert("problems".into(), json!(self.problems));
            }
        }
        let mut resp = (status, axum::Json(body)).into_response();
        let headers = resp.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.code == ErrorCode::Unauthenticated || self.code == ErrorCode::MfaRequired {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"weft\""),
            );
        }
        resp
    }
}

/// Problem answers as OpenAPI responses, in the sets routes share, so each route lists its
/// success answers and one set instead of repeating every error status.
mod responses {
    use super::ProblemDocument;
    use std::collections::BTreeMap;
    use utoipa::openapi::{ContentBuilder, RefOr, Response, ResponseBuilder};
    use utoipa::{IntoResponses, PartialSchema};

    fn problem(description: &str) -> RefOr<Response> {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(ProblemDocument::schema()))
                    .build(),
            )
            .build()
            .into()
    }

    fn set(codes: &[(&str, &str)]) -> BTreeMap<String, RefOr<Response>> {
        codes
            .iter()
            .map(|(code, description)| (code.to_string(), problem(description)))
            .collect()
    }

    const AUTH: [(&str, &str); 4] = [
        ("401", "No credential, or one that is not valid"),
        ("403", "The role is too low"),
        ("429", "Rate limited; see Retry-After"),
        ("503", "A dependency is unavailable"),
    ];
    const READ: [(&str, &str); 2] = [("400", "A bad parameter"), ("404", "Not found")];
    const WRITE: [(&str, &str); 4] = [
        ("409", "Conflicts with the current state"),
        ("413", "The body is too large"),
        ("415", "The body is not JSON"),
        ("422", "An invalid workflow definition"),
    ];

    /// 401, 403, 429, 503: any authenticated route.
    pub struct AuthProblems;
    /// Also 400 and 404: routes that read by id or take parameters.
    pub struct ReadProblems;
    /// Also 409, 413, 415, 422: routes that change things.
    pub struct WriteProblems;

    impl IntoResponses for AuthProblems {
        fn responses() -> BTreeMap<String, RefOr<Response>> {
            set(&AUTH)
        }
    }

    impl IntoResponses for ReadProblems {
        fn responses() -> BTreeMap<String, RefOr<Response>> {
            set(&[AUTH.as_slice(), READ.as_slice()].concat())
        }
    }

    impl IntoResponses for WriteProblems {
        fn responses() -> BTreeMap<String, RefOr<Response>> {
            set(&[AUTH.as_slice(), READ.as_slice(), WRITE.as_slice()].concat())
        }
    }
}

pub use responses::{AuthProblems, ReadProblems, WriteProblems};

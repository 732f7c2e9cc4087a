//! Trying an expression before saving it: the designer's "test expression" action runs a
//! config field's template (or a `data.transform` filter) against the data of the last run,
//! with the same jq engine and rules as the executions themselves.

use crate::api::JsonBody;
use crate::auth::Principal;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use weft_core::expr::{Filter, Template};
use weft_persistence::Role;

/// Longest expression accepted, in bytes.
const MAX_EXPRESSION_BYTES: usize = 16 * 1024;
/// Most results shown for a filter that yields several.
const MAX_RESULTS: usize = 20;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(evaluate))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluateRequest {
    /// A config value with `{{ … }}` templates, or (mode `filter`) a bare jq filter.
    pub expression: String,
    /// The data `.` stands for: `{input, prev, nodes, item, index, execution, vars}` as a
    /// node would see it. Default: `{}`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub context: Value,
    /// `template` (default when the text holds `{{`) or `filter`.
    #[serde(default)]
    pub mode: Option<EvaluateMode>,
}

#[derive(Deserialize, ToSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum EvaluateMode {
    Template,
    Filter,
}

#[derive(Serialize, ToSchema)]
pub struct EvaluateResult {
    /// The value a node would get: a template's value, or a filter's first result (any JSON
    /// value).
    pub result: Value,
    /// Every result of a filter (at most 20); a template has exactly one.
    pub results: Vec<Value>,
}

/// Evaluates an expression against the given data.
#[utoipa::path(post, path = "/expressions/evaluate", tag = "workflows",
    request_body = EvaluateRequest,
    responses(
        (status = 200, body = EvaluateResult),
        (status = 422, description = "The expression does not parse or fails on this data",
            body = crate::error::ProblemDocument, content_type = "application/problem+json"),
        crate::error::WriteProblems,
    ),
    security(("bearer" = [])))]
async fn evaluate(
    p: Principal,
    JsonBody(req): JsonBody<EvaluateRequest>,
) -> Result<Json<EvaluateResult>, ApiError> {
    // Editors write expressions; the evaluation is CPU work on the caller's data only.
    p.require(Role::Editor)?;
    if req.expression.len() > MAX_EXPRESSION_BYTES {
        return Err(ApiError::bad_request(
            format!("expression is longer than {MAX_EXPRESSION_BYTES} bytes"),
            Some("expression"),
        ));
    }
    let mode = req
        .mode
        .unwrap_or(if Template::is_template(&req.expression) {
            EvaluateMode::Template
        } else {
            EvaluateMode::Filter
        });
    let invalid = |e: weft_core::expr::ExprError| {
        ApiError::new(ErrorCode::InvalidExpression, e.to_string()).with_field("expression")
    };
    let results = match mode {
        EvaluateMode::Template => {
            let t = Template::parse(&req.expression).map_err(invalid)?;
            vec![t.render(&req.context).map_err(invalid)?]
        }
        EvaluateMode::Filter => {
            let f = Filter::compile(&req.expression).map_err(invalid)?;
            let mut all = f.run(&req.context).map_err(invalid)?;
            all.truncate(MAX_RESULTS);
            all
        }
    };
    Ok(Json(EvaluateResult {
        result: results.first().cloned().unwrap_or(Value::Null),
        results,
    }))
}

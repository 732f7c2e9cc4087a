//! `/workflows`: create, read, update (each save is a new immutable version), delete, list,
//! versions, diff between versions, export and import (JSON or YAML), validate, and starting
//! executions. Saving a workflow also claims the webhook paths of its `trigger.webhook`
//! nodes.

use super::hooks::{HookEntry, entries_of};
use super::{JsonBody, QueryParams, page_limit, read_body};
use crate::auth::Principal;
use crate::context::RequestId;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use weft_actors::StartRequest;
use weft_core::definition::{Format, MAX_DEFINITION_BYTES};
use weft_core::{Definition, ExecutionId, WorkflowId};
use weft_persistence::{
    Role, StoreError, WebhookRoute, WorkflowFilter, WorkflowListing, WorkflowVersion,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_workflows, create_workflow))
        .routes(routes!(validate))
        .routes(routes!(import))
        .routes(routes!(get_workflow, update_workflow, delete_workflow))
        .routes(routes!(list_versions))
        .routes(routes!(get_version))
        .routes(routes!(diff))
        .routes(routes!(export))
        .routes(routes!(start_execution))
}

pub fn workflow_id(s: &str) -> Result<WorkflowId, ApiError> {
    WorkflowId::parse(s).map_err(|m| ApiError::bad_request(m, Some("id")))
}

/// A workflow version as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct Workflow {
    #[schema(value_type = uuid::Uuid)]
    pub id: WorkflowId,
    pub name: String,
    pub version: u32,
    pub created_at: i64,
    /// The definition (see the brief's schema).
    #[schema(value_type = Object)]
    pub definition: Value,
}

impl From<WorkflowVersion> for Workflow {
    fn from(v: WorkflowVersion) -> Self {
        Workflow {
            id: v.workflow_id,
            name: v.name,
            version: v.version,
            created_at: v.created_at,
            definition: v.definition,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct WorkflowSummary {
    #[schema(value_type = uuid::Uuid)]
    pub id: WorkflowId,
    pub name: String,
    /// From the latest version.
    pub description: Option<String>,
    /// From the latest version.
    pub tags: Vec<String>,
    pub latest_version: u32,
    pub created_at: i64,
    pub updated_at: i64,
    /// The newest execution, of any version.
    pub last_execution: Option<LastExecution>,
}

#[derive(Serialize, ToSchema)]
pub struct LastExecution {
    #[schema(value_type = uuid::Uuid)]
    pub id: ExecutionId,
    #[schema(example = "succeeded")]
    pub status: String,
    pub created_at: i64,
}

impl From<WorkflowListing> for WorkflowSummary {
    fn from(w: WorkflowListing) -> Self {
        WorkflowSummary {
            id: w.record.id,
            name: w.record.name,
            description: w.description,
            tags: w.tags,
            latest_version: w.record.latest_version,
            created_at: w.record.created_at,
            updated_at: w.record.updated_at,
            last_execution: w.last_execution.map(|e| LastExecution {
                id: e.id,
                status: e.status.as_str().to_string(),
                created_at: e.created_at,
            }),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct WorkflowPage {
    pub items: Vec<WorkflowSummary>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListWorkflowsQuery {
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// Only workflows whose name contains this text (case-insensitive).
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Only workflows tagged with this (exact) tag.
    #[param(max_length = 40)]
    pub tag: Option<String>,
}

/// A search parameter: blank means absent; longer than `max` characters is refused.
fn search_param(
    value: Option<String>,
    field: &str,
    max: usize,
) -> Result<Option<String>, ApiError> {
    match value {
        Some(v) if v.chars().count() > max => Err(ApiError::bad_request(
            format!("{field} is longer than {max} characters"),
            Some(field),
        )),
        Some(v) if v.trim().is_empty() => Ok(None),
        v => Ok(v),
    }
}

/// Workflows, by id, with their tags and last run.
#[utoipa::path(get, path = "/workflows", tag = "workflows",
    params(ListWorkflowsQuery),
    responses(
        (status = 200, body = WorkflowPage),
        crate::error::ReadProblems,
    ),
    security(("bearer" = [])))]
async fn list_workflows(
    State(state): State<AppState>,
    p: Principal,
    QueryParams(q): QueryParams<ListWorkflowsQuery>,
) -> Result<Json<WorkflowPage>, ApiError> {
    p.require(Role::Viewer)?;
    let limit = page_limit(q.limit, &state)?;
    let after = match q.cursor.as_deref() {
        Some(c) => {
            Some(WorkflowId::parse(c).map_err(|m| ApiError::bad_request(m, Some("cursor")))?)
        }
        None => None,
    };
    let rows = state
        .db
        .list_workflows(&WorkflowFilter {
            after,
            limit,
            search: search_param(q.q, "q", 200)?,
            tag: search_param(q.tag, "tag", 40)?,
        })
        .await?;
    let next_cursor = (rows.len() as u32 == limit)
        .then(|| rows.last().map(|w| w.record.id.to_string()))
        .flatten();
    Ok(Json(WorkflowPage {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// Parses and validates a definition, refusing oversized ones.
fn parse_definition(state: &AppState, value: Value) -> Result<Definition, ApiError> {
    let def = Definition::from_value(value).map_err(|p| ApiError::invalid(vec![p]))?;
    let size = serde_json::to_vec(&def).map(|v| v.len()).unwrap_or(0);
    if size > MAX_DEFINITION_BYTES {
        return Err(ApiError::too_large(format!(
            "the definition is {size} bytes; the limit is {MAX_DEFINITION_BYTES}"
        )));
    }
    weft_core::validate(&def, state.engine.registry().as_ref()).map_err(ApiError::invalid)?;
    Ok(def)
}

/// Checks that no other workflow holds one of these paths (the store checks again).
fn check_webhooks(
    state: &AppState,
    id: WorkflowId,
    entries: &[(HookEntry, String)],
) -> Result<(), ApiError> {
    let table = state.hooks.read().unwrap_or_else(|p| p.into_inner());
    let mut seen = std::collections::HashSet::new();
    for (e, pointer) in entries {
        let path = &e.route.path;
        let taken = table.get(path).is_some_and(|o| o.route.workflow_id != id);
        if taken || !seen.insert(path.clone()) {
            return Err(ApiError::conflict(format!(
                "the webhook path `{path}` is already used by another trigger"
            ))
            .with_field(pointer.clone()));
        }
    }
    Ok(())
}

/// Makes these the workflow's webhooks, in the store and in the gateway's table.
pub async fn claim_webhooks(
    state: &AppState,
    id: WorkflowId,
    entries: Vec<(HookEntry, String)>,
) -> Result<(), ApiError> {
    let routes: Vec<WebhookRoute> = entries.iter().map(|(e, _)| e.route.clone()).collect();
    state
        .db
        .set_webhook_routes(id, routes)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(m) => ApiError::conflict(m),
            e => e.into(),
        })?;
    let mut table = state.hooks.write().unwrap_or_else(|p| p.into_inner());
    table.retain(|_, e| e.route.workflow_id != id);
    for (e, _) in entries {
        table.insert(e.route.path.clone(), Arc::new(e));
    }
    Ok(())
}

fn hook_entries(state: &AppState, id: WorkflowId, def: &Definition) -> Vec<(HookEntry, String)> {
    entries_of(
        id,
        def,
        Duration::from_millis(state.options.max_webhook_wait_ms),
    )
}

async fn create_from(state: &AppState, def: Definition) -> Result<Response, ApiError> {
    let id = WorkflowId::new();
    let hooks = hook_entries(state, id, &def);
    check_webhooks(state, id, &hooks)?;
    let v = state
        .db
        .create_workflow(id, &def.name, &def.to_value())
        .await?;
    claim_webhooks(state, id, hooks).await?;
    let mut resp = (StatusCode::CREATED, Json(Workflow::from(v))).into_response();
    if let Ok(loc) = HeaderValue::from_str(&format!("/api/v1/workflows/{id}")) {
        resp.headers_mut().insert(header::LOCATION, loc);
    }
    Ok(resp)
}

/// Creates a workflow (version 1) from a definition.
#[utoipa::path(post, path = "/workflows", tag = "workflows",
    request_body(content = Object, description = "A workflow definition"),
    responses(
        (status = 201, body = Workflow),
        crate::error::WriteProblems,
    ),
    security(("bearer" = [])))]
async fn create_workflow(
    State(state): State<AppState>,
    p: Principal,
    JsonBody(body): JsonBody<Value>,
) -> Result<Response, ApiError> {
    p.require(Role::Editor)?;
    let def = parse_definition(&state, body)?;
    create_from(&state, def).await
}

#[derive(Serialize, ToSchema)]
pub struct ValidationReport {
    pub valid: bool,
    /// Every problem, each with a JSON pointer, a message and maybe a hint.
    #[schema(value_type = Vec<Object>)]
    pub problems: Vec<weft_core::Problem>,
}

/// Checks a definition without saving it.
#[utoipa::path(post, path = "/workflows/validate", tag = "workflows",
    request_body(content = Object, description = "A workflow definition"),
    responses(
        (status = 200, body = ValidationReport),
        crate::error::WriteProblems,
    ),
    security(("bearer" = [])))]
async fn validate(
    State(state): State<AppState>,
    p: Principal,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<ValidationReport>, ApiError> {
    p.require(Role::Viewer)?;
    let problems = match Definition::from_value(body) {
        Ok(def) => weft_core::validate(&def, state.engine.registry().as_ref())
            .err()
            .unwrap_or_default(),
        Err(p) => vec![p],
    };
    Ok(Json(ValidationReport {
        valid: problems.is_empty(),
        problems,
    }))
}

/// Creates a workflow from an exported file: JSON (`application/json`) or YAML
/// (`application/yaml`).
#[utoipa::path(post, path = "/workflows/import", tag = "workflows",
    request_body(content = String, description = "A definition file", content_type = "application/yaml"),
    responses(
        (status = 201, body = Workflow),
        crate::error::WriteProblems,
    ),
    security(("bearer" = [])))]
async fn import(
    State(state): State<AppState>,
    p: Principal,
    req: Request,
) -> Result<Response, ApiError> {
    p.require(Role::Editor)?;
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let format = match ct.as_str() {
        "application/json" => Format::Json,
        "application/yaml" | "application/x-yaml" | "text/yaml" | "text/x-yaml" => Format::Yaml,
        _ => {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "send the file as application/json or application/yaml",
            )
            .with_field("Content-Type"));
        }
    };
    let bytes = read_body(req, &state).await?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| ApiError::bad_request("the file is not UTF-8 text", None))?;
    let def = Definition::parse(text, format).map_err(|p| ApiError::invalid(vec![p]))?;
    let def = parse_definition(&state, def.to_value())?;
    create_from(&state, def).await
}

/// The latest version of a workflow.
#[utoipa::path(get, path = "/workflows/{id}", tag = "workflows",
    params(("id" = String, Path, description = "Workflow id")),
    responses(
        (status = 200, body = Workflow),
        crate::error::ReadProblems,
    ),
    security(("bearer" = [])))]
async fn get_workflow(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<Workflow>, ApiError> {
    p.require(Role::Viewer)?;
    let id = workflow_id(&id)?;
    Ok(Json(state.db.get_workflow_version(id, None).await?.into()))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UpdateQuery {
    /// Refuse with 409 unless the latest version is still this one (optimistic locking).
    pub expected_version: Option<u32>,
}

/// Saves a new version.
#[utoipa::path(put, path = "/workflows/{id}", tag = "workflows",
    params(("id" = String, Path, description = "Workflow id"), UpdateQuery),
    request_body(content = Object, description = "A workflow definition"),
    responses(
        (status = 200, body = Workflow),
        crate::error::WriteProblems,
    ),
    security(("bearer" = [])))]
async fn update_workflow(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<UpdateQuery>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<Workflow>, ApiError> {
    p.require(Role::Editor)?;
    let id = workflow_id(&id)?;
    state.db.get_workflow(id).await?;
    let def = parse_definition(&state, body)?;
    let hooks = hook_entries(&state, id, &def);
    check_webhooks(&state, id, &hooks)?;
    let v = state
        .db
        .save_workflow_version(id, &def.name, &def.to_value(), q.expected_version)
        .await?;
    claim_webhooks(&state, id, hooks).await?;
    Ok(Json(v.into()))
}

/// Deletes a workflow. Running executions finish on their pinned version; its webhooks stop.
#[utoipa::path(delete, path = "/workflows/{id}", tag = "workflows",
    params(("id" = String, Path, description = "Workflow id")),
    responses(
        (status = 204, description = "Deleted"),
        crate::error::ReadProblems,
    ),
    security(("bearer" = [])))]
async fn delete_workflow(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    p.require(Role::Editor)?;
    let id = workflow_id(&id)?;
    state.db.delete_workflow(id).await?;
    claim_webhooks(&state, id, Vec::new()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct VersionList {
    pub items: Vec<Workflow>,
}

/// Every version, oldest first.
#[utoipa::path(get, path = "/workflows/{id}/versions", tag = "workflows",
    params(("id" = String, Path, description = "Workflow id")),
    responses(
        (status = 200, body = VersionList),
        crate::error::ReadProblems,
    ),
    security(("bearer" = [])))]
async fn list_versions(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<VersionList>, ApiError> {
    p.require(Role::Viewer)?;
    let id = workflow_id(&id)?;
    let items = state
        .db
        .list_workflow_versions(id)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(VersionList { items }))
}

fn version_number(s: &str, field: &str) -> Result<u32, ApiError> {
    s.parse::<u32>()
        .ok()
        .filter(|v| *v >= 1)
        .ok_or_else(|| ApiError::bad_request("a version is a number from 1", Some(field)))
}

/// One version.
#[utoipa::path(get, path = "/workflows/{id}/versions/{version}", tag = "workflows",
    params(("id" = String, Path, description = "Workflow id"), ("version" = u32, Path, description = "Version number, from 1")),
    responses(
        (status = 200, body = Workflow),
        crate::error::ReadProblems,
    ),
    security(("bearer" = [])))]
async fn get_version(
    State(state): State<AppState>,
    p: Principal,
    Path((id, version)): Path<(String, String)>,
) -> Result<Json<Workflow>, ApiError> {
    p.require(Role::Viewer)?;
    let id = workflow_id(&id)?;
    let version = version_number(&version, "version")?;
    Ok(Json(
        state
            .db
            .get_workflow_version(id, Some(version))
            .await?
            .into(),
    ))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DiffQuery {
    /// The older version; default: the one before `to`.
    #[param(minimum = 1)]
    pub from: Option<u32>,
    /// The newer version; default: the latest.
    #[param(minimum = 1)]
    pub to: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct WorkflowDiff {
    pub from: u32,
    pub to: u32,
    pub added_nodes: Vec<String>,
    pub removed_nodes: Vec<String>,
    #[schema(value_type = Vec<Object>)]
    pub changed_nodes: Vec<weft_core::diff::NodeChange>,
    pub moved_nodes: Vec<String>,
    #[schema(value_type = Vec<Object>)]
    pub added_edges: Vec<weft_core::EdgeDef>,
    #[schema(value_type = Vec<Object>)]
    pub removed_edges: Vec<weft_core::EdgeDef>,
    pub changed_fields: Vec<String>,
}

async fn definition_at(
    state: &AppState,
    id: WorkflowId,
    version: u32,
) -> Result<Definition, ApiError> {
    let v = state.db.get_workflow_version(id, Some(version)).await?;
    Definition::from_value(v.definition)
        .map_err(|p| ApiError::internal(format!("stored definition does not parse: {}", p.message)))
}

/// What changed between two versions.
#[utoipa::path(get, path = "/workflows/{id}/diff", tag = "workflows",
    params(("id" = String, Path, description = "Workflow id"), DiffQuery),
    responses(
        (status = 200, body = WorkflowDiff),
        crate::error::ReadProblems,
    ),
    security(("bearer" = [])))]
async fn diff(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<DiffQuery>,
) -> Result<Json<WorkflowDiff>, ApiError> {
    p.require(Role::Viewer)?;
    let id = workflow_id(&id)?;
    let latest = state.db.get_workflow(id).await?.latest_version;
    let to = q.to.unwrap_or(latest);
    let from = q.from.unwrap_or(to.saturating_sub(1).max(1));
    if from == 0 || to == 0 {
        return Err(ApiError::bad_request(
            "versions start at 1",
            Some(if from == 0 { "from" } else { "to" }),
        ));
    }
    let (a, b) = (
        definition_at(&state, id, from).await?,
        definition_at(&state, id, to).await?,
    );
    let d = weft_core::diff::diff(&a, &b);
    Ok(Json(WorkflowDiff {
        from,
        to,
        added_nodes: d.added_nodes,
        removed_nodes: d.removed_nodes,
        changed_nodes: d.changed_nodes,
        moved_nodes: d.moved_nodes,
        added_edges: d.added_edges,
        removed_edges: d.removed_edges,
        changed_fields: d.changed_fields,
    }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// Default: the latest.
    #[param(minimum = 1)]
    pub version: Option<u32>,
    /// `json` (default) or `yaml`.
    #[param(inline)]
    pub format: Option<ExportFormat>,
}

#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Json,
    Yaml,
}

/// The definition as a file to download (and import elsewhere).
#[utoipa::path(get, path = "/workflows/{id}/export", tag = "workflows",
    params(("id" = String, Path, description = "Workflow id"), ExportQuery),
    responses(
        (status = 200, description = "The definition file", content(
            (Object = "application/json"),
            (String = "application/yaml"),
        )),
        crate::error::ReadProblems,
    ),
    security(("bearer" = [])))]
async fn export(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<ExportQuery>,
) -> Result<Response, ApiError> {
    p.require(Role::Viewer)?;
    let id = workflow_id(&id)?;
    if q.version == Some(0) {
        return Err(ApiError::bad_request(
            "versions start at 1",
            Some("version"),
        ));
    }
    let v = state.db.get_workflow_version(id, q.version).await?;
    let (body, ct, ext) = match q.format.unwrap_or(ExportFormat::Json) {
        ExportFormat::Json => (
            serde_json::to_string_pretty(&v.definition)
                .map_err(|e| ApiError::internal(e.to_string()))?,
            "application/json",
            "json",
        ),
        ExportFormat::Yaml => (
            serde_yaml::to_string(&v.definition).map_err(|e| ApiError::internal(e.to_string()))?,
            "application/yaml",
            "yaml",
        ),
    };
    let safe: String = v
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    let disposition = format!("attachment; filename=\"{safe}-v{}.{ext}\"", v.version);
    let mut resp = (StatusCode::OK, body).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    if let Ok(d) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, d);
    }
    Ok(resp)
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct StartBody {
    /// The execution's input (`.input` in expressions); default `{}`.
    #[schema(value_type = Option<Object>)]
    #[serde(default)]
    pub input: Option<Value>,
    /// 0 (lowest) – 9; default: the workflow's `settings.priority`.
    #[schema(minimum = 0, maximum = 9)]
    #[serde(default)]
    pub priority: Option<u8>,
    /// Pin a version; default: the latest.
    #[schema(minimum = 1)]
    #[serde(default)]
    pub version: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct Started {
    #[schema(value_type = uuid::Uuid)]
    pub id: weft_core::ExecutionId,
    #[schema(value_type = String, example = "queued")]
    pub status: weft_core::ExecutionStatus,
}

/// Starts an execution. With `Idempotency-Key`, the same key returns the execution it
/// started the first time (200 instead of 202).
#[utoipa::path(post, path = "/workflows/{id}/executions", tag = "executions",
    params(("id" = String, Path, description = "Workflow id"),
           ("Idempotency-Key" = Option<String>, Header, description = "Deduplicates retries of this request")),
    request_body = StartBody,
    responses(
        (status = 202, description = "Started", body = Started),
        (status = 200, description = "Already started with this Idempotency-Key", body = Started),
        crate::error::WriteProblems,
    ),
    security(("bearer" = [])))]
async fn start_execution(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
    request_id: Option<axum::Extension<RequestId>>,
    JsonBody(b): JsonBody<StartBody>,
) -> Result<Response, ApiError> {
    p.require(Role::Operator)?;
    let id = workflow_id(&id)?;
    if b.priority.is_some_and(|p| p > 9) {
        return Err(ApiError::bad_request(
            "priority must be between 0 and 9",
            Some("priority"),
        ));
    }
    if b.version == Some(0) {
        return Err(ApiError::bad_request(
            "versions start at 1",
            Some("version"),
        ));
    }
    let key = match headers.get("idempotency-key") {
        Some(v) => {
            let k = v
                .to_str()
                .ok()
                .filter(|k| !k.is_empty() && k.len() <= 255)
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "Idempotency-Key must be 1–255 visible ASCII characters",
                        Some("Idempotency-Key"),
                    )
                })?;
            Some(k.to_string())
        }
        None => None,
    };
    let (rec, created) = state
        .engine
        .start_execution(StartRequest {
            workflow_id: id,
            version: b.version,
            input: b.input.unwrap_or_else(|| json!({})),
            priority: b.priority,
            idempotency_key: key,
            correlation_id: request_id.map(|r| r.0.0.clone()),
            ..Default::default()
        })
        .await?;
    let status = if created {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    let mut resp = (
        status,
        Json(Started {
            id: rec.id,
            status: rec.status,
        }),
    )
        .into_response();
    if let Ok(loc) = HeaderValue::from_str(&format!("/api/v1/executions/{}", rec.id)) {
        resp.headers_mut().insert(header::LOCATION, loc);
    }
    Ok(resp)
}

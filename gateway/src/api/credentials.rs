//! `/credentials`: secrets nodes use (API tokens, database passwords). Values are sealed by
//! the vault (AES-256-GCM envelope: a data key per credential version, bound to the id and
//! version) before they are stored and are never returned: reads and lists show names, kinds
//! and versions only. Editors manage them. Checking and sealing is shared with the
//! `weft credentials` command ([`weft_actors::credentials`]).

use super::{JsonBody, parse_uuid};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;
use weft_actors::credentials::{
    self as store, CredentialInput, CredentialWriteError, MAX_SECRET_BYTES, ValueProblem,
};
use weft_persistence::{CredentialRecord, Role, StoreError};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_credentials, create_credential))
        .routes(routes!(
            get_credential,
            update_credential,
            delete_credential
        ))
}

#[derive(Serialize, ToSchema)]
pub struct Credential {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    /// 1 when created; one more each time the value changes.
    #[schema(minimum = 1)]
    pub version: u32,
    pub created_by: Uuid,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<CredentialRecord> for Credential {
    fn from(c: CredentialRecord) -> Self {
        Credential {
            id: c.id,
            name: c.name,
            kind: c.kind,
            version: c.version,
            created_by: c.created_by,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CredentialList {
    pub items: Vec<Credential>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCredentialRequest {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// What it is for, e.g. `http.bearer`.
    #[schema(min_length = 1, max_length = 100)]
    pub kind: String,
    /// The secret: a string or an object of strings (at most 64 KiB as JSON). Write-only.
    #[schema(value_type = Object)]
    pub value: Value,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CredentialChange {
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    #[schema(min_length = 1, max_length = 100)]
    pub kind: Option<String>,
    /// A new secret value: a string or an object of strings. Write-only. The credential's
    /// version goes up by one.
    #[schema(value_type = Option<Object>)]
    pub value: Option<Value>,
}

fn check_text(v: &str, field: &str) -> Result<String, ApiError> {
    store::check_label(v, field).map_err(|m| ApiError::bad_request(m, Some(field)))
}

fn write_error(e: CredentialWriteError) -> ApiError {
    match e {
        CredentialWriteError::Value(p @ ValueProblem::Shape) => {
            ApiError::bad_request(p.to_string(), Some("value"))
        }
        CredentialWriteError::Value(ValueProblem::TooLarge) => {
            ApiError::too_large(format!("a secret is at most {MAX_SECRET_BYTES} bytes"))
                .with_field("value")
        }
        CredentialWriteError::Store(StoreError::AlreadyExists { .. }) => {
            ApiError::conflict("a credential with this name exists").with_field("name")
        }
        CredentialWriteError::Store(e) => e.into(),
    }
}

/// Credentials, without their values (editor).
#[utoipa::path(get, path = "/credentials", tag = "credentials",
    responses(
        (status = 200, body = CredentialList),
        crate::error::AuthProblems,
    ),
    security(("bearer" = [])))]
async fn list_credentials(
    State(state): State<AppState>,
    p: Principal,
) -> Result<Json<CredentialList>, ApiError> {
    p.require(Role::Editor)?;
    let items = state
        .db
        .list_credentials()
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(CredentialList { items }))
}

/// Stores a credential; the value is sealed and never shown again (editor).
#[utoipa::path(post, path = "/credentials", tag = "credentials",
    request_body = NewCredentialRequest,
    responses(
        (status = 201, body = Credential),
        crate::error::WriteProblems,
    ),
    security(("bearer" = [])))]
async fn create_credential(
    State(state): State<AppState>,
    p: Principal,
    JsonBody(req): JsonBody<NewCredentialRequest>,
) -> Result<(StatusCode, Json<Credential>), ApiError> {
    p.require(Role::Editor)?;
    let name = check_text(&req.name, "name")?;
    let kind = check_text(&req.kind, "kind")?;
    let rec = store::create_credential(
        state.db.as_ref(),
        &state.vault,
        name,
        kind,
        &req.value,
        p.user_id().unwrap_or_else(Uuid::nil),
        weft_actors::now_ms(),
    )
    .await
    .map_err(write_error)?;
    Ok((StatusCode::CREATED, Json(rec.into())))
}

/// One credential, without its value (editor).
#[utoipa::path(get, path = "/credentials/{id}", tag = "credentials",
    params(("id" = Uuid, Path, description = "Credential id")),
    responses(
        (status = 200, body = Credential),
        crate::error::ReadProblems,
    ),
    security(("bearer" = [])))]
async fn get_credential(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<Credential>, ApiError> {
    p.require(Role::Editor)?;
    Ok(Json(
        state
            .db
            .get_credential(parse_uuid(&id, "id")?)
            .await?
            .into(),
    ))
}

/// Renames, re-kinds or replaces the value of a credential (editor). A new value is sealed
/// for the next version.
#[utoipa::path(put, path = "/credentials/{id}", tag = "credentials",
    params(("id" = Uuid, Path, description = "Credential id")),
    request_body = CredentialChange,
    responses(
        (status = 200, body = Credential),
        crate::error::WriteProblems,
    ),
    security(("bearer" = [])))]
async fn update_credential(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<CredentialChange>,
) -> Result<Json<Credential>, ApiError> {
    p.require(Role::Editor)?;
    let id = parse_uuid(&id, "id")?;
    let change = CredentialInput {
        name: req
            .name
            .as_deref()
            .map(|n| check_text(n, "name"))
            .transpose()?,
        kind: req
            .kind
            .as_deref()
            .map(|k| check_text(k, "kind"))
            .transpose()?,
        value: req.value,
    };
    let rec = store::update_credential(
        state.db.as_ref(),
        &state.vault,
        id,
        change,
        weft_actors::now_ms(),
    )
    .await
    .map_err(write_error)?;
    Ok(Json(rec.into()))
}

/// Deletes a credential (editor).
#[utoipa::path(delete, path = "/credentials/{id}", tag = "credentials",
    params(("id" = Uuid, Path, description = "Credential id")),
    responses(
        (status = 204, description = "Deleted"),
        crate::error::ReadProblems,
    ),
    security(("bearer" = [])))]
async fn delete_credential(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    p.require(Role::Editor)?;
    state.db.delete_credential(parse_uuid(&id, "id")?).await?;
    Ok(StatusCode::NO_CONTENT)
}

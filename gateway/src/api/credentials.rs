//! `/credentials`: secrets nodes use (API tokens, database passwords). Values are sealed by
//! the vault (AES-256-GCM) before they are stored and are never returned: reads and lists
//! show names and kinds only. Editors manage them.

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
use weft_persistence::{CredentialRecord, CredentialUpdate, NewCredential, Role, StoreError};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_credentials, create_credential))
        .routes(routes!(
            get_credential,
            update_credential,
            delete_credential
        ))
}

/// Largest secret value, serialized.
const MAX_SECRET_BYTES: usize = 64 * 1024;

#[derive(Serialize, ToSchema)]
pub struct Credential {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
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
    /// The secret: a string or an object of strings. Write-only.
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
    /// A new secret value. Write-only.
    #[schema(value_type = Option<Object>)]
    pub value: Option<Value>,
}

fn check_text(v: &str, field: &str) -> Result<String, ApiError> {
    let t = v.trim();
    if t.is_empty() || t.len() > 100 || t.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            format!("{field} has 1–100 characters and no control characters"),
            Some(field),
        ));
    }
    Ok(t.to_string())
}

fn seal(state: &AppState, value: &Value) -> Result<Vec<u8>, ApiError> {
    if !(value.is_string() || value.is_object()) {
        return Err(ApiError::bad_request(
            "value is a string or an object",
            Some("value"),
        ));
    }
    let bytes = serde_json::to_vec(value).map_err(|e| ApiError::internal(e.to_string()))?;
    if bytes.len() > MAX_SECRET_BYTES {
        return Err(
            ApiError::too_large(format!("a secret is at most {MAX_SECRET_BYTES} bytes"))
                .with_field("value"),
        );
    }
    Ok(state.vault.seal(&bytes))
}

fn name_taken(e: StoreError) -> ApiError {
    match e {
        StoreError::AlreadyExists { .. } => {
            ApiError::conflict("a credential with this name exists").with_field("name")
        }
        e => e.into(),
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
    let sealed = seal(&state, &req.value)?;
    let rec = state
        .db
        .create_credential(NewCredential {
            id: Uuid::now_v7(),
            name,
            kind,
            sealed,
            created_by: p.user_id().unwrap_or_else(Uuid::nil),
            now: weft_actors::now_ms(),
        })
        .await
        .map_err(name_taken)?;
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

/// Renames, re-kinds or replaces the value of a credential (editor).
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
    let update = CredentialUpdate {
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
        sealed: req.value.as_ref().map(|v| seal(&state, v)).transpose()?,
    };
    let rec = state
        .db
        .update_credential(id, update, weft_actors::now_ms())
        .await
        .map_err(name_taken)?;
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

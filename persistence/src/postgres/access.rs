//! [`AccessStore`] on PostgreSQL. What must be atomic is one statement (using a refresh token,
//! counting a failed login, appending a batch of audit entries) or one transaction (deleting a
//! user with their tokens and keys, replacing a workflow's webhook routes); the statements say
//! how each stays correct under concurrent callers.

use super::{PgStore, json_text, queries};
use crate::common::{
    api_key_not_found, check_credential_update, check_name, check_webhook_routes,
    credential_name_taken, credential_version_conflict, lock_until, now_millis, parse_role,
    refresh_not_used, to_status, to_u32, to_u64, username_taken, webhook_path_taken,
};
use crate::{
    AccessStore, ApiKeyRecord, AuditEntry, AuditFilter, CredentialRecord, CredentialSecret,
    CredentialUpdate, NewApiKey, NewCredential, NewUser, RefreshTokenRecord, RefreshUse, Result,
    StoreError, UserRecord, UserUpdate, WebhookRoute,
};
use async_trait::async_trait;
use sqlx::Row;
use sqlx::postgres::PgRow;
use tracing::instrument;
use uuid::Uuid;
use weft_core::{Millis, WorkflowId};

#[async_trait]
impl AccessStore for PgStore {
    // ---- users ------------------------------------------------------------------------

    #[instrument(skip_all, fields(user_id = %user.id))]
    async fn create_user(&self, user: NewUser) -> Result<UserRecord> {
        check_name("username", &user.username)?;
        sqlx::query(queries::INSERT_USER)
            .bind(user.id)
            .bind(&user.username)
            .bind(&user.password_hash)
            .bind(user.role.as_str())
            .bind(user.now)
            .execute(&self.pool)
            .await
            .map_err(username_taken(&user.username))?;
        Ok(UserRecord {
            id: user.id,
            username: user.username,
            password_hash: user.password_hash,
            role: user.role,
            totp_secret: None,
            disabled: false,
            failed_logins: 0,
            locked_until: None,
            created_at: user.now,
            updated_at: user.now,
        })
    }

    async fn get_user(&self, id: Uuid) -> Result<UserRecord> {
        let row = sqlx::query(queries::SELECT_USER)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(user_from_row)
            .ok_or_else(|| StoreError::not_found("user", id))?
    }

    async fn get_user_by_name(&self, username: &str) -> Result<UserRecord> {
        let row = sqlx::query(queries::SELECT_USER_BY_NAME)
            .bind(username)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(user_from_row)
            .ok_or_else(|| StoreError::not_found("user", username))?
    }

    async fn list_users(&self) -> Result<Vec<UserRecord>> {
        let rows = sqlx::query(queries::LIST_USERS)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    async fn count_users(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar(queries::COUNT_USERS)
            .fetch_one(&self.pool)
            .await?;
        to_u64(n, "user count")
    }

    #[instrument(skip_all, fields(user_id = %id))]
    async fn update_user(&self, id: Uuid, update: UserUpdate, now: Millis) -> Result<UserRecord> {
        let (set_totp, totp_secret) = match update.totp_secret {
            Some(secret) => (true, secret),
            None => (false, None),
        };
        let row = sqlx::query(queries::UPDATE_USER)
            .bind(id)
            .bind(update.password_hash)
            .bind(update.role.map(|r| r.as_str()))
            .bind(update.disabled)
            .bind(set_totp)
            .bind(totp_secret)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(user_from_row)
            .ok_or_else(|| StoreError::not_found("user", id))?
    }

    #[instrument(skip_all, fields(user_id = %id))]
    async fn delete_user(&self, id: Uuid) -> Result<()> {
        let now = now_millis();
        let mut tx = self.pool.begin().await?;
        let deleted = sqlx::query(queries::DELETE_USER)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if deleted == 0 {
            return Err(StoreError::not_found("user", id));
        }
        sqlx::query(queries::REVOKE_USER_REFRESH_TOKENS)
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(queries::REVOKE_USER_API_KEYS)
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    #[instrument(skip_all, fields(user_id = %id))]
    async fn record_login_failure(
        &self,
        id: Uuid,
        now: Millis,
        max_failures: u32,
        lock_ms: i64,
    ) -> Result<UserRecord> {
        let row = sqlx::query(queries::RECORD_LOGIN_FAILURE)
            .bind(id)
            .bind(now)
            .bind(i64::from(max_failures))
            .bind(lock_until(now, lock_ms)?)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(user_from_row)
            .ok_or_else(|| StoreError::not_found("user", id))?
    }

    async fn record_login_success(&self, id: Uuid, now: Millis) -> Result<()> {
        let updated = sqlx::query(queries::RECORD_LOGIN_SUCCESS)
            .bind(id)
            .bind(now)
            .execute(&self.pool)
            .await?
            .rows_affected();
        if updated == 0 {
            return Err(StoreError::not_found("user", id));
        }
        Ok(())
    }

    // ---- refresh tokens ------------------------------------------------------------------

    async fn insert_refresh_token(&self, token: RefreshTokenRecord) -> Result<()> {
        sqlx::query(queries::INSERT_REFRESH_TOKEN)
            .bind(token.id)
            .bind(token.family_id)
            .bind(token.user_id)
            .bind(&token.token_hash)
            .bind(token.created_at)
            .bind(token.expires_at)
            .bind(token.used_at)
            .bind(token.revoked_at)
            .execute(&self.pool)
            .await
            .map_err(|e| StoreError::exists_on_unique(e, "refresh token", token.id))?;
        Ok(())
    }

    async fn use_refresh_token(&self, token_hash: &str, now: Millis) -> Result<RefreshUse> {
        let used = sqlx::query(queries::USE_REFRESH_TOKEN)
            .bind(token_hash)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
        if let Some(row) = used {
            return Ok(RefreshUse::Fresh(refresh_token_from_row(&row)?));
        }
        // Not used up by this call: only explain why. A token's state only moves forward
        // (used, revoked, expired), so reading it afterwards cannot make it look live.
        let row = sqlx::query(queries::SELECT_REFRESH_TOKEN)
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        let token = row.as_ref().map(refresh_token_from_row).transpose()?;
        Ok(refresh_not_used(token, now))
    }

    async fn revoke_refresh_family(&self, family_id: Uuid, now: Millis) -> Result<()> {
        sqlx::query(queries::REVOKE_REFRESH_FAMILY)
            .bind(family_id)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn revoke_user_refresh_tokens(&self, user_id: Uuid, now: Millis) -> Result<()> {
        sqlx::query(queries::REVOKE_USER_REFRESH_TOKENS)
            .bind(user_id)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    // ---- API keys ------------------------------------------------------------------------

    async fn create_api_key(&self, key: NewApiKey) -> Result<ApiKeyRecord> {
        check_name("API key name", &key.name)?;
        sqlx::query(queries::INSERT_API_KEY)
            .bind(key.id)
            .bind(&key.name)
            .bind(&key.prefix)
            .bind(&key.key_hash)
            .bind(key.role.as_str())
            .bind(key.created_by)
            .bind(key.now)
            .bind(key.expires_at)
            .execute(&self.pool)
            .await
            .map_err(|e| StoreError::exists_on_unique(e, "api key", key.id))?;
        Ok(ApiKeyRecord {
            id: key.id,
            name: key.name,
            prefix: key.prefix,
            key_hash: key.key_hash,
            role: key.role,
            created_by: key.created_by,
            created_at: key.now,
            expires_at: key.expires_at,
            last_used_at: None,
            revoked_at: None,
        })
    }

    async fn get_api_key_by_hash(&self, key_hash: &str) -> Result<ApiKeyRecord> {
        let row = sqlx::query(queries::SELECT_API_KEY_BY_HASH)
            .bind(key_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(api_key_from_row)
            .ok_or_else(|| api_key_not_found(key_hash))?
    }

    async fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>> {
        let rows = sqlx::query(queries::LIST_API_KEYS)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(api_key_from_row).collect()
    }

    async fn revoke_api_key(&self, id: Uuid, now: Millis) -> Result<()> {
        let revoked = sqlx::query(queries::REVOKE_API_KEY)
            .bind(id)
            .bind(now)
            .execute(&self.pool)
            .await?
            .rows_affected();
        if revoked == 0 {
            return Err(StoreError::not_found("api key", id));
        }
        Ok(())
    }

    async fn touch_api_key(&self, id: Uuid, now: Millis) -> Result<()> {
        let touched = sqlx::query(queries::TOUCH_API_KEY)
            .bind(id)
            .bind(now)
            .execute(&self.pool)
            .await?
            .rows_affected();
        if touched == 0 {
            return Err(StoreError::not_found("api key", id));
        }
        Ok(())
    }

    // ---- credentials ---------------------------------------------------------------------

    #[instrument(skip_all, fields(credential_id = %c.id))]
    async fn create_credential(&self, c: NewCredential) -> Result<CredentialRecord> {
        check_name("credential name", &c.name)?;
        sqlx::query(queries::INSERT_CREDENTIAL)
            .bind(c.id)
            .bind(&c.name)
            .bind(&c.kind)
            .bind(&c.sealed)
            .bind(c.created_by)
            .bind(c.now)
            .execute(&self.pool)
            .await
            .map_err(credential_name_taken(&c.name))?;
        Ok(CredentialRecord {
            id: c.id,
            name: c.name,
            kind: c.kind,
            version: 1,
            created_by: c.created_by,
            created_at: c.now,
            updated_at: c.now,
        })
    }

    async fn get_credential(&self, id: Uuid) -> Result<CredentialRecord> {
        let row = sqlx::query(queries::SELECT_CREDENTIAL)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(credential_from_row)
            .ok_or_else(|| StoreError::not_found("credential", id))?
    }

    async fn get_credential_by_name(&self, name: &str) -> Result<CredentialRecord> {
        let row = sqlx::query(queries::SELECT_CREDENTIAL_BY_NAME)
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(credential_from_row)
            .ok_or_else(|| StoreError::not_found("credential", name))?
    }

    async fn get_credential_secret(&self, id: Uuid) -> Result<CredentialSecret> {
        let row = sqlx::query(queries::SELECT_CREDENTIAL_SECRET)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::not_found("credential", id))?;
        Ok(CredentialSecret {
            sealed: row.try_get("sealed")?,
            version: to_u32(
                i64::from(row.try_get::<i32, _>("version")?),
                "credential version",
            )?,
        })
    }

    async fn list_credentials(&self) -> Result<Vec<CredentialRecord>> {
        let rows = sqlx::query(queries::LIST_CREDENTIALS)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(credential_from_row).collect()
    }

    #[instrument(skip_all, fields(credential_id = %id))]
    async fn update_credential(
        &self,
        id: Uuid,
        update: CredentialUpdate,
        now: Millis,
    ) -> Result<CredentialRecord> {
        let version = check_credential_update(&update)?;
        let row = sqlx::query(queries::UPDATE_CREDENTIAL)
            .bind(id)
            .bind(update.name.as_deref())
            .bind(update.kind.as_deref())
            .bind(update.secret.as_ref().map(|s| s.sealed.as_slice()))
            .bind(version)
            .bind(now)
            .fetch_optional(&self.pool)
            .await
            .map_err(credential_name_taken(
                update.name.as_deref().unwrap_or_default(),
            ))?;
        if let Some(row) = row {
            return credential_from_row(&row);
        }
        // Nothing changed: the credential is gone, or its version is not the one expected.
        let stored: Option<i32> = sqlx::query_scalar(queries::SELECT_CREDENTIAL_VERSION)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        match (stored, &update.secret) {
            (Some(stored), Some(secret)) => Err(credential_version_conflict(
                id,
                to_u32(i64::from(stored), "credential version")?,
                secret.version,
            )),
            _ => Err(StoreError::not_found("credential", id)),
        }
    }

    async fn delete_credential(&self, id: Uuid) -> Result<()> {
        let deleted = sqlx::query(queries::DELETE_CREDENTIAL)
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        if deleted == 0 {
            return Err(StoreError::not_found("credential", id));
        }
        Ok(())
    }

    // ---- audit ---------------------------------------------------------------------------

    #[instrument(skip_all, fields(entries = entries.len()))]
    async fn append_audit(&self, entries: Vec<AuditEntry>) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let n = entries.len();
        let mut ats = Vec::with_capacity(n);
        let mut principals = Vec::with_capacity(n);
        let mut actions = Vec::with_capacity(n);
        let mut resources = Vec::with_capacity(n);
        let mut statuses = Vec::with_capacity(n);
        let mut ips = Vec::with_capacity(n);
        let mut request_ids = Vec::with_capacity(n);
        let mut details = Vec::with_capacity(n);
        for entry in &entries {
            ats.push(entry.at);
            principals.push(entry.principal.as_str());
            actions.push(entry.action.as_str());
            resources.push(entry.resource.as_str());
            statuses.push(i32::from(entry.status));
            ips.push(entry.ip.as_deref());
            request_ids.push(entry.request_id.as_deref());
            details.push(json_text(&entry.detail)?);
        }
        sqlx::query(queries::INSERT_AUDIT)
            .bind(ats)
            .bind(principals)
            .bind(actions)
            .bind(resources)
            .bind(statuses)
            .bind(ips)
            .bind(request_ids)
            .bind(details)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn list_audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
        let rows = queries::list_audit(filter)
            .build()
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(audit_from_row).collect()
    }

    // ---- webhook routes ------------------------------------------------------------------

    #[instrument(skip_all, fields(workflow_id = %workflow_id, routes = routes.len()))]
    async fn set_webhook_routes(
        &self,
        workflow_id: WorkflowId,
        routes: Vec<WebhookRoute>,
    ) -> Result<()> {
        check_webhook_routes(workflow_id, &routes)?;
        let (paths, node_ids): (Vec<&str>, Vec<&str>) = routes
            .iter()
            .map(|r| (r.path.as_str(), r.node_id.as_str()))
            .unzip();
        let mut tx = self.pool.begin().await?;
        sqlx::query(queries::LOCK_WEBHOOK_ROUTES)
            .execute(&mut *tx)
            .await?;
        let taken: Option<(String, Uuid)> = sqlx::query_as(queries::WEBHOOK_PATH_TAKEN)
            .bind(&paths)
            .bind(workflow_id.0)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some((path, holder)) = taken {
            // Dropping the transaction rolls it back: the table is as it was.
            return Err(webhook_path_taken(&path, WorkflowId(holder)));
        }
        sqlx::query(queries::DELETE_WORKFLOW_WEBHOOK_ROUTES)
            .bind(workflow_id.0)
            .execute(&mut *tx)
            .await?;
        if !routes.is_empty() {
            sqlx::query(queries::INSERT_WEBHOOK_ROUTES)
                .bind(workflow_id.0)
                .bind(&paths)
                .bind(&node_ids)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn list_webhook_routes(&self) -> Result<Vec<WebhookRoute>> {
        let rows = sqlx::query(queries::LIST_WEBHOOK_ROUTES)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(WebhookRoute {
                    path: row.try_get("path")?,
                    workflow_id: WorkflowId(row.try_get("workflow_id")?),
                    node_id: row.try_get("node_id")?,
                })
            })
            .collect()
    }
}

// ---- rows ----------------------------------------------------------------------------------

fn user_from_row(row: &PgRow) -> Result<UserRecord> {
    Ok(UserRecord {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        password_hash: row.try_get("password_hash")?,
        role: parse_role(row.try_get("role")?)?,
        totp_secret: row.try_get("totp_secret")?,
        disabled: row.try_get("disabled")?,
        failed_logins: to_u32(
            i64::from(row.try_get::<i32, _>("failed_logins")?),
            "failed login count",
        )?,
        locked_until: row.try_get("locked_until")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn refresh_token_from_row(row: &PgRow) -> Result<RefreshTokenRecord> {
    Ok(RefreshTokenRecord {
        id: row.try_get("id")?,
        family_id: row.try_get("family_id")?,
        user_id: row.try_get("user_id")?,
        token_hash: row.try_get("token_hash")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        used_at: row.try_get("used_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

fn api_key_from_row(row: &PgRow) -> Result<ApiKeyRecord> {
    Ok(ApiKeyRecord {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        prefix: row.try_get("prefix")?,
        key_hash: row.try_get("key_hash")?,
        role: parse_role(row.try_get("role")?)?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        last_used_at: row.try_get("last_used_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

fn credential_from_row(row: &PgRow) -> Result<CredentialRecord> {
    Ok(CredentialRecord {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        kind: row.try_get("kind")?,
        version: to_u32(
            i64::from(row.try_get::<i32, _>("version")?),
            "credential version",
        )?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn audit_from_row(row: &PgRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        id: row.try_get("id")?,
        at: row.try_get("at")?,
        principal: row.try_get("principal")?,
        action: row.try_get("action")?,
        resource: row.try_get("resource")?,
        status: to_status(i64::from(row.try_get::<i32, _>("status")?))?,
        ip: row.try_get("ip")?,
        request_id: row.try_get("request_id")?,
        detail: row.try_get("detail")?,
    })
}

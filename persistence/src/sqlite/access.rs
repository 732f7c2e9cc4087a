//! [`AccessStore`] on SQLite: every write goes through the one-connection write pool, like the
//! rest of [`SqliteStore`], so the statements that must be atomic (using a refresh token,
//! counting a failed login) are single statements that cannot interleave, and multi-statement
//! writes take the write lock up front (`BEGIN IMMEDIATE`).

use super::{BEGIN_WRITE, SqliteStore, queries, uuid_column};
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
use serde_json::Value;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use sqlx::types::Json;
use tracing::instrument;
use uuid::Uuid;
use uuid::fmt::Hyphenated;
use weft_core::{Millis, WorkflowId};

#[async_trait]
impl AccessStore for SqliteStore {
    // ---- users ------------------------------------------------------------------------

    #[instrument(skip_all, fields(user_id = %user.id))]
    async fn create_user(&self, user: NewUser) -> Result<UserRecord> {
        check_name("username", &user.username)?;
        sqlx::query(queries::INSERT_USER)
            .bind(user.id.hyphenated())
            .bind(&user.username)
            .bind(&user.password_hash)
            .bind(user.role.as_str())
            .bind(user.now)
            .execute(&self.writer)
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
            .bind(id.hyphenated())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref()
            .map(user_from_row)
            .ok_or_else(|| StoreError::not_found("user", id))?
    }

    async fn get_user_by_name(&self, username: &str) -> Result<UserRecord> {
        let row = sqlx::query(queries::SELECT_USER_BY_NAME)
            .bind(username)
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref()
            .map(user_from_row)
            .ok_or_else(|| StoreError::not_found("user", username))?
    }

    async fn list_users(&self) -> Result<Vec<UserRecord>> {
        let rows = sqlx::query(queries::LIST_USERS)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    async fn count_users(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar(queries::COUNT_USERS)
            .fetch_one(&self.reader)
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
            .bind(id.hyphenated())
            .bind(update.password_hash)
            .bind(update.role.map(|r| r.as_str()))
            .bind(update.disabled)
            .bind(set_totp)
            .bind(totp_secret)
            .bind(now)
            .fetch_optional(&self.writer)
            .await?;
        row.as_ref()
            .map(user_from_row)
            .ok_or_else(|| StoreError::not_found("user", id))?
    }

    #[instrument(skip_all, fields(user_id = %id))]
    async fn delete_user(&self, id: Uuid) -> Result<()> {
        let now = now_millis();
        let mut tx = self.writer.begin_with(BEGIN_WRITE).await?;
        let deleted = sqlx::query(queries::DELETE_USER)
            .bind(id.hyphenated())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if deleted == 0 {
            return Err(StoreError::not_found("user", id));
        }
        sqlx::query(queries::REVOKE_USER_REFRESH_TOKENS)
            .bind(id.hyphenated())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(queries::REVOKE_USER_API_KEYS)
            .bind(id.hyphenated())
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
            .bind(id.hyphenated())
            .bind(now)
            .bind(i64::from(max_failures))
            .bind(lock_until(now, lock_ms)?)
            .fetch_optional(&self.writer)
            .await?;
        row.as_ref()
            .map(user_from_row)
            .ok_or_else(|| StoreError::not_found("user", id))?
    }

    async fn record_login_success(&self, id: Uuid, now: Millis) -> Result<()> {
        let updated = sqlx::query(queries::RECORD_LOGIN_SUCCESS)
            .bind(id.hyphenated())
            .bind(now)
            .execute(&self.writer)
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
            .bind(token.id.hyphenated())
            .bind(token.family_id.hyphenated())
            .bind(token.user_id.hyphenated())
            .bind(&token.token_hash)
            .bind(token.created_at)
            .bind(token.expires_at)
            .bind(token.used_at)
            .bind(token.revoked_at)
            .execute(&self.writer)
            .await
            .map_err(|e| StoreError::exists_on_unique(e, "refresh token", token.id))?;
        Ok(())
    }

    async fn use_refresh_token(&self, token_hash: &str, now: Millis) -> Result<RefreshUse> {
        let used = sqlx::query(queries::USE_REFRESH_TOKEN)
            .bind(token_hash)
            .bind(now)
            .fetch_optional(&self.writer)
            .await?;
        if let Some(row) = used {
            return Ok(RefreshUse::Fresh(refresh_token_from_row(&row)?));
        }
        // Not used up by this call: only explain why. A token's state only moves forward
        // (used, revoked, expired), so reading it afterwards cannot make it look live.
        let row = sqlx::query(queries::SELECT_REFRESH_TOKEN)
            .bind(token_hash)
            .fetch_optional(&self.reader)
            .await?;
        let token = row.as_ref().map(refresh_token_from_row).transpose()?;
        Ok(refresh_not_used(token, now))
    }

    async fn revoke_refresh_family(&self, family_id: Uuid, now: Millis) -> Result<()> {
        sqlx::query(queries::REVOKE_REFRESH_FAMILY)
            .bind(family_id.hyphenated())
            .bind(now)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn revoke_user_refresh_tokens(&self, user_id: Uuid, now: Millis) -> Result<()> {
        sqlx::query(queries::REVOKE_USER_REFRESH_TOKENS)
            .bind(user_id.hyphenated())
            .bind(now)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    // ---- API keys ------------------------------------------------------------------------

    async fn create_api_key(&self, key: NewApiKey) -> Result<ApiKeyRecord> {
        check_name("API key name", &key.name)?;
        sqlx::query(queries::INSERT_API_KEY)
            .bind(key.id.hyphenated())
            .bind(&key.name)
            .bind(&key.prefix)
            .bind(&key.key_hash)
            .bind(key.role.as_str())
            .bind(key.created_by.hyphenated())
            .bind(key.now)
            .bind(key.expires_at)
            .execute(&self.writer)
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
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref()
            .map(api_key_from_row)
            .ok_or_else(|| api_key_not_found(key_hash))?
    }

    async fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>> {
        let rows = sqlx::query(queries::LIST_API_KEYS)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(api_key_from_row).collect()
    }

    async fn revoke_api_key(&self, id: Uuid, now: Millis) -> Result<()> {
        let revoked = sqlx::query(queries::REVOKE_API_KEY)
            .bind(id.hyphenated())
            .bind(now)
            .execute(&self.writer)
            .await?
            .rows_affected();
        if revoked == 0 {
            return Err(StoreError::not_found("api key", id));
        }
        Ok(())
    }

    async fn touch_api_key(&self, id: Uuid, now: Millis) -> Result<()> {
        let touched = sqlx::query(queries::TOUCH_API_KEY)
            .bind(id.hyphenated())
            .bind(now)
            .execute(&self.writer)
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
            .bind(c.id.hyphenated())
            .bind(&c.name)
            .bind(&c.kind)
            .bind(&c.sealed)
            .bind(c.created_by.hyphenated())
            .bind(c.now)
            .execute(&self.writer)
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
            .bind(id.hyphenated())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref()
            .map(credential_from_row)
            .ok_or_else(|| StoreError::not_found("credential", id))?
    }

    async fn get_credential_by_name(&self, name: &str) -> Result<CredentialRecord> {
        let row = sqlx::query(queries::SELECT_CREDENTIAL_BY_NAME)
            .bind(name)
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref()
            .map(credential_from_row)
            .ok_or_else(|| StoreError::not_found("credential", name))?
    }

    async fn get_credential_secret(&self, id: Uuid) -> Result<CredentialSecret> {
        let row = sqlx::query(queries::SELECT_CREDENTIAL_SECRET)
            .bind(id.hyphenated())
            .fetch_optional(&self.reader)
            .await?
            .ok_or_else(|| StoreError::not_found("credential", id))?;
        Ok(CredentialSecret {
            sealed: row.try_get("sealed")?,
            version: to_u32(row.try_get::<i64, _>("version")?, "credential version")?,
        })
    }

    async fn list_credentials(&self) -> Result<Vec<CredentialRecord>> {
        let rows = sqlx::query(queries::LIST_CREDENTIALS)
            .fetch_all(&self.reader)
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
            .bind(id.hyphenated())
            .bind(update.name.as_deref())
            .bind(update.kind.as_deref())
            .bind(update.secret.as_ref().map(|s| s.sealed.as_slice()))
            .bind(version)
            .bind(now)
            .fetch_optional(&self.writer)
            .await
            .map_err(credential_name_taken(
                update.name.as_deref().unwrap_or_default(),
            ))?;
        if let Some(row) = row {
            return credential_from_row(&row);
        }
        // Nothing changed: the credential is gone, or its version is not the one expected.
        let stored: Option<i64> = sqlx::query_scalar(queries::SELECT_CREDENTIAL_VERSION)
            .bind(id.hyphenated())
            .fetch_optional(&self.reader)
            .await?;
        match (stored, &update.secret) {
            (Some(stored), Some(secret)) => Err(credential_version_conflict(
                id,
                to_u32(stored, "credential version")?,
                secret.version,
            )),
            _ => Err(StoreError::not_found("credential", id)),
        }
    }

    async fn delete_credential(&self, id: Uuid) -> Result<()> {
        let deleted = sqlx::query(queries::DELETE_CREDENTIAL)
            .bind(id.hyphenated())
            .execute(&self.writer)
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
        let mut tx = self.writer.begin_with(BEGIN_WRITE).await?;
        for entry in &entries {
            sqlx::query(queries::INSERT_AUDIT)
                .bind(entry.at)
                .bind(&entry.principal)
                .bind(&entry.action)
                .bind(&entry.resource)
                .bind(i64::from(entry.status))
                .bind(entry.ip.as_deref())
                .bind(entry.request_id.as_deref())
                .bind(Json(&entry.detail))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn list_audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
        let rows = queries::list_audit(filter)
            .build()
            .fetch_all(&self.reader)
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
        // One write transaction: the check and the replacement see the same table, and a
        // refusal rolls back (the transaction is dropped uncommitted), leaving it unchanged.
        let mut tx = self.writer.begin_with(BEGIN_WRITE).await?;
        for route in &routes {
            let holder: Option<Hyphenated> = sqlx::query_scalar(queries::WEBHOOK_ROUTE_HOLDER)
                .bind(&route.path)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(holder) = holder.map(|h| WorkflowId(h.into_uuid()))
                && holder != workflow_id
            {
                return Err(webhook_path_taken(&route.path, holder));
            }
        }
        sqlx::query(queries::DELETE_WORKFLOW_WEBHOOK_ROUTES)
            .bind(workflow_id.0.hyphenated())
            .execute(&mut *tx)
            .await?;
        for route in &routes {
            sqlx::query(queries::INSERT_WEBHOOK_ROUTE)
                .bind(&route.path)
                .bind(workflow_id.0.hyphenated())
                .bind(&route.node_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn list_webhook_routes(&self) -> Result<Vec<WebhookRoute>> {
        let rows = sqlx::query(queries::LIST_WEBHOOK_ROUTES)
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(WebhookRoute {
                    path: row.try_get("path")?,
                    workflow_id: WorkflowId(uuid_column(row, "workflow_id")?),
                    node_id: row.try_get("node_id")?,
                })
            })
            .collect()
    }
}

// ---- rows ----------------------------------------------------------------------------------

fn user_from_row(row: &SqliteRow) -> Result<UserRecord> {
    Ok(UserRecord {
        id: uuid_column(row, "id")?,
        username: row.try_get("username")?,
        password_hash: row.try_get("password_hash")?,
        role: parse_role(row.try_get("role")?)?,
        totp_secret: row.try_get("totp_secret")?,
        disabled: row.try_get("disabled")?,
        failed_logins: to_u32(row.try_get("failed_logins")?, "failed login count")?,
        locked_until: row.try_get("locked_until")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn refresh_token_from_row(row: &SqliteRow) -> Result<RefreshTokenRecord> {
    Ok(RefreshTokenRecord {
        id: uuid_column(row, "id")?,
        family_id: uuid_column(row, "family_id")?,
        user_id: uuid_column(row, "user_id")?,
        token_hash: row.try_get("token_hash")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        used_at: row.try_get("used_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

fn api_key_from_row(row: &SqliteRow) -> Result<ApiKeyRecord> {
    Ok(ApiKeyRecord {
        id: uuid_column(row, "id")?,
        name: row.try_get("name")?,
        prefix: row.try_get("prefix")?,
        key_hash: row.try_get("key_hash")?,
        role: parse_role(row.try_get("role")?)?,
        created_by: uuid_column(row, "created_by")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        last_used_at: row.try_get("last_used_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

fn credential_from_row(row: &SqliteRow) -> Result<CredentialRecord> {
    Ok(CredentialRecord {
        id: uuid_column(row, "id")?,
        name: row.try_get("name")?,
        kind: row.try_get("kind")?,
        version: to_u32(row.try_get::<i64, _>("version")?, "credential version")?,
        created_by: uuid_column(row, "created_by")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn audit_from_row(row: &SqliteRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        id: row.try_get("id")?,
        at: row.try_get("at")?,
        principal: row.try_get("principal")?,
        action: row.try_get("action")?,
        resource: row.try_get("resource")?,
        status: to_status(row.try_get("status")?)?,
        ip: row.try_get("ip")?,
        request_id: row.try_get("request_id")?,
        detail: row.try_get::<Json<Value>, _>("detail")?.0,
    })
}

-- Access: who may do what, and what they did (users, refresh tokens, API keys, node
-- credentials, the audit log, webhook routes). Same tables and meaning as the PostgreSQL
-- schema and the conventions of 0001: ids are lowercase hyphenated UUID text, timestamps
-- INTEGER unix milliseconds, JSON is TEXT, booleans are 0/1, sealed bytes are BLOBs.
--
-- Secrets are never stored in the clear: passwords as argon2id PHC strings, refresh tokens and
-- API keys as SHA-256 hashes (the token itself is only ever in the client's hands), credentials
-- and TOTP secrets sealed by the vault (AES-256-GCM) before they get here.
--
-- No foreign keys to users: refresh tokens and API keys outlive a deleted user as revoked rows
-- (the key list and the audit trail still name who created them), and a credential outlives its
-- creator.

CREATE TABLE users (
    id            TEXT    NOT NULL PRIMARY KEY,
    -- Compared as written (BINARY collation): `Alice` and `alice` are two users.
    username      TEXT    NOT NULL CONSTRAINT users_username UNIQUE,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('viewer', 'operator', 'editor', 'admin')),
    -- Sealed by the vault; NULL when MFA is off.
    totp_secret   BLOB,
    disabled      INTEGER NOT NULL DEFAULT 0,
    -- Failed logins since the last success (or the last lock), and the lock they led to.
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

-- One row per refresh token ever issued. A token is used once: the refresh that uses it issues
-- the next one in the same family, so a token presented twice reveals a stolen copy and the
-- whole family is revoked.
CREATE TABLE refresh_tokens (
    id         TEXT    NOT NULL PRIMARY KEY,
    family_id  TEXT    NOT NULL,
    user_id    TEXT    NOT NULL,
    token_hash TEXT    NOT NULL CONSTRAINT refresh_tokens_token_hash UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    revoked_at INTEGER
);
-- Revoking a family (reuse, logout) and all of a user's tokens (deletion, password change).
CREATE INDEX refresh_tokens_family_id ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_id ON refresh_tokens (user_id);

CREATE TABLE api_keys (
    id           TEXT    NOT NULL PRIMARY KEY,
    name         TEXT    NOT NULL,
    -- The first characters of the key, to tell keys apart in a list.
    prefix       TEXT    NOT NULL,
    key_hash     TEXT    NOT NULL CONSTRAINT api_keys_key_hash UNIQUE,
    role         TEXT    NOT NULL CHECK (role IN ('viewer', 'operator', 'editor', 'admin')),
    created_by   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    last_used_at INTEGER,
    -- Revoked keys stay listed; lookups by hash skip them.
    revoked_at   INTEGER
);
-- Revoking a deleted user's keys.
CREATE INDEX api_keys_created_by ON api_keys (created_by);

-- Credentials for nodes (HTTP tokens, database passwords). Only `sealed` is secret; the rest is
-- what the API lists.
CREATE TABLE credentials (
    id         TEXT    NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL CONSTRAINT credentials_name UNIQUE,
    kind       TEXT    NOT NULL,
    sealed     BLOB    NOT NULL,
    created_by TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Every mutating request, append-only. The id is the order of arrival and the cursor of the
-- newest-first listing, which the primary key (the rowid) serves. AUTOINCREMENT: ids are never
-- reused, even after the newest entries are pruned, so a cursor never points at a newer entry.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,
    principal  TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    resource   TEXT    NOT NULL,
    status     INTEGER NOT NULL,
    ip         TEXT,
    request_id TEXT,
    detail     TEXT    NOT NULL
);
-- "What did this principal do", newest first.
CREATE INDEX audit_log_principal_id ON audit_log (principal, id);
-- Time ranges, and pruning old entries.
CREATE INDEX audit_log_at ON audit_log (at);

-- Which workflow (and which of its trigger.webhook nodes) a path under /hooks/ starts. A path
-- belongs to one workflow at a time: the primary key is what refuses a second claim.
CREATE TABLE webhook_routes (
    path        TEXT NOT NULL PRIMARY KEY,
    workflow_id TEXT NOT NULL,
    node_id     TEXT NOT NULL
);
-- Replacing one workflow's routes when it is saved or deleted.
CREATE INDEX webhook_routes_workflow_id ON webhook_routes (workflow_id);

-- Access: who may do what, and what they did (users, refresh tokens, API keys, node
-- credentials, the audit log, webhook routes). Same conventions as 0001: uuid ids, bigint unix
-- milliseconds, `json` for free-form data.
--
-- Secrets are never stored in the clear: passwords as argon2id PHC strings, refresh tokens and
-- API keys as SHA-256 hashes (the token itself is only ever in the client's hands), credentials
-- and TOTP secrets sealed by the vault (AES-256-GCM) before they get here.
--
-- Names that are listed in order (usernames, credential names, webhook paths) use the "C"
-- collation: byte order, as SQLite's BINARY, so both backends list them alike whatever the
-- database's locale.
--
-- No foreign keys to users: refresh tokens and API keys outlive a deleted user as revoked rows
-- (the key list and the audit trail still name who created them), and a credential outlives its
-- creator.

CREATE TABLE users (
    id            uuid    PRIMARY KEY,
    -- Compared as written: `Alice` and `alice` are two users.
    username      text    COLLATE "C" NOT NULL CONSTRAINT users_username UNIQUE,
    password_hash text    NOT NULL,
    role          text    NOT NULL CHECK (role IN ('viewer', 'operator', 'editor', 'admin')),
    -- Sealed by the vault; NULL when MFA is off.
    totp_secret   bytea,
    disabled      boolean NOT NULL DEFAULT false,
    -- Failed logins since the last success (or the last lock), and the lock they led to.
    failed_logins integer NOT NULL DEFAULT 0,
    locked_until  bigint,
    created_at    bigint  NOT NULL,
    updated_at    bigint  NOT NULL
);

-- One row per refresh token ever issued. A token is used once: the refresh that uses it issues
-- the next one in the same family, so a token presented twice reveals a stolen copy and the
-- whole family is revoked.
CREATE TABLE refresh_tokens (
    id         uuid   PRIMARY KEY,
    family_id  uuid   NOT NULL,
    user_id    uuid   NOT NULL,
    token_hash text   NOT NULL CONSTRAINT refresh_tokens_token_hash UNIQUE,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    used_at    bigint,
    revoked_at bigint
);
-- Revoking a family (reuse, logout) and all of a user's tokens (deletion, password change).
CREATE INDEX refresh_tokens_family_id ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_id ON refresh_tokens (user_id);

CREATE TABLE api_keys (
    id           uuid   PRIMARY KEY,
    name         text   NOT NULL,
    -- The first characters of the key, to tell keys apart in a list.
    prefix       text   NOT NULL,
    key_hash     text   NOT NULL CONSTRAINT api_keys_key_hash UNIQUE,
    role         text   NOT NULL CHECK (role IN ('viewer', 'operator', 'editor', 'admin')),
    created_by   uuid   NOT NULL,
    created_at   bigint NOT NULL,
    expires_at   bigint,
    last_used_at bigint,
    -- Revoked keys stay listed; lookups by hash skip them.
    revoked_at   bigint
);
-- Revoking a deleted user's keys.
CREATE INDEX api_keys_created_by ON api_keys (created_by);

-- Credentials for nodes (HTTP tokens, database passwords). Only `sealed` is secret; the rest is
-- what the API lists.
CREATE TABLE credentials (
    id         uuid   PRIMARY KEY,
    name       text   COLLATE "C" NOT NULL CONSTRAINT credentials_name UNIQUE,
    kind       text   NOT NULL,
    sealed     bytea  NOT NULL,
    created_by uuid   NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
);

-- Every mutating request, append-only. The id is the order of arrival and the cursor of the
-- newest-first listing, which the primary key's index serves (scanned backwards).
CREATE TABLE audit_log (
    id         bigserial PRIMARY KEY,
    at         bigint    NOT NULL,
    principal  text      NOT NULL,
    action     text      NOT NULL,
    resource   text      NOT NULL,
    status     integer   NOT NULL,
    ip         text,
    request_id text,
    detail     json      NOT NULL
);
-- "What did this principal do", newest first.
CREATE INDEX audit_log_principal_id ON audit_log (principal, id);
-- Time ranges, and pruning old entries.
CREATE INDEX audit_log_at ON audit_log (at);

-- Which workflow (and which of its trigger.webhook nodes) a path under /hooks/ starts. A path
-- belongs to one workflow at a time: the primary key is what refuses a second claim.
CREATE TABLE webhook_routes (
    path        text COLLATE "C" PRIMARY KEY,
    workflow_id uuid NOT NULL,
    node_id     text NOT NULL
);
-- Replacing one workflow's routes when it is saved or deleted.
CREATE INDEX webhook_routes_workflow_id ON webhook_routes (workflow_id);

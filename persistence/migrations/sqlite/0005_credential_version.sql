-- Credentials carry a version: 1 when created, one more each time the secret changes (not on a
-- rename). A secret is sealed for its credential id and version (the vault's envelope format
-- binds both), so a sealed value copied to another row, or an older value put back, no longer
-- opens. Rows written before this migration are version 1; their values are in the vault's
-- older single-key format, which it still opens, and are re-sealed when next changed.
ALTER TABLE credentials ADD COLUMN version INTEGER NOT NULL DEFAULT 1
    CONSTRAINT credentials_version_positive CHECK (version >= 1);

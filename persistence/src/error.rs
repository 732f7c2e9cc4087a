//! The store's error type. sqlx errors are translated here, by SQLSTATE (PostgreSQL) or
//! extended result code (SQLite) where it matters, so callers match on meaning rather than on
//! driver details and no layer above this crate sees sqlx.
//!
//! The translation is the only place that decides what is worth retrying: `Unavailable` means
//! "the database could not do it now" (pool exhausted, connection lost, lock timeout, deadlock),
//! `Conflict` means "someone else changed it" (stale version or epoch, concurrent save) and is
//! never fixed by retrying the same write.

use sqlx::error::{DatabaseError, ErrorKind};

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("{what} `{id}` not found")]
    NotFound { what: &'static str, id: String },
    #[error("{what} `{id}` already exists")]
    AlreadyExists { what: &'static str, id: String },
    /// A stale version or owner epoch, or a concurrent save.
    #[error("conflict: {0}")]
    Conflict(String),
    /// Input the store cannot accept (e.g. a bad URL) or data it cannot decode.
    #[error("invalid: {0}")]
    Invalid(String),
    /// The database cannot be reached or timed out.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Internal(String),
}

impl StoreError {
    pub fn not_found(what: &'static str, id: impl ToString) -> Self {
        StoreError::NotFound {
            what,
            id: id.to_string(),
        }
    }

    pub fn is_conflict(&self) -> bool {
        matches!(self, StoreError::Conflict(_))
    }

    /// Whether trying the same operation again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }

    /// Like `From<sqlx::Error>`, except that a unique violation means `what` `id` is taken:
    /// for inserts whose only unique key is the id the caller chose.
    pub(crate) fn exists_on_unique(
        err: sqlx::Error,
        what: &'static str,
        id: impl ToString,
    ) -> Self {
        match &err {
            sqlx::Error::Database(db) if db.kind() == ErrorKind::UniqueViolation => {
                StoreError::AlreadyExists {
                    what,
                    id: id.to_string(),
                }
            }
            _ => err.into(),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::Database(db) => from_database(db.as_ref()),
            sqlx::Error::PoolTimedOut => {
                StoreError::Unavailable("timed out waiting for a database connection".into())
            }
            sqlx::Error::PoolClosed => {
                StoreError::Unavailable("the connection pool is closed".into())
            }
            sqlx::Error::Io(e) => StoreError::Unavailable(format!("i/o error: {e}")),
            sqlx::Error::Tls(e) => StoreError::Unavailable(format!("tls error: {e}")),
            // A garbled wire message means the connection is in an unknown state; the pool
            // drops it, so a later attempt gets a fresh one.
            sqlx::Error::Protocol(m) => StoreError::Unavailable(format!("protocol error: {m}")),
            sqlx::Error::WorkerCrashed => {
                StoreError::Unavailable("the sqlite worker thread stopped".into())
            }
            sqlx::Error::Configuration(e) => {
                StoreError::Invalid(format!("database configuration: {e}"))
            }
            sqlx::Error::InvalidArgument(m) => StoreError::Invalid(m),
            e @ (sqlx::Error::ColumnDecode { .. }
            | sqlx::Error::Decode(_)
            | sqlx::Error::Encode(_)) => StoreError::Invalid(e.to_string()),
            sqlx::Error::Migrate(e) => (*e).into(),
            other => StoreError::Internal(other.to_string()),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        use sqlx::migrate::MigrateError;
        match err {
            MigrateError::Execute(e) => e.into(),
            MigrateError::ExecuteMigration(e, version) => match StoreError::from(e) {
                StoreError::Unavailable(m) => {
                    StoreError::Unavailable(format!("migration {version}: {m}"))
                }
                other => StoreError::Internal(format!("migration {version} failed: {other}")),
            },
            // A database migrated by a newer (or different) build: refuse rather than guess.
            other => StoreError::Internal(format!("migrations: {other}")),
        }
    }
}

/// Translates an error the database itself reported.
fn from_database(db: &dyn DatabaseError) -> StoreError {
    let message = db.message().to_string();
    match db.kind() {
        // Callers that know which key was hit turn this into `AlreadyExists`
        // (see `exists_on_unique`); anything else racing on a unique key is a conflict.
        ErrorKind::UniqueViolation => return StoreError::Conflict(message),
        ErrorKind::ForeignKeyViolation
        | ErrorKind::NotNullViolation
        | ErrorKind::CheckViolation => {
            return StoreError::Invalid(message);
        }
        _ => {}
    }
    let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
    if db
        .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .is_some()
    {
        from_sqlstate(&code, message)
    } else {
        from_sqlite_code(&code, message)
    }
}

/// PostgreSQL, by SQLSTATE class (the first two characters).
fn from_sqlstate(code: &str, message: String) -> StoreError {
    match code.get(..2).unwrap_or_default() {
        // connection exception, insufficient resources, operator intervention (shutdown,
        // statement timeout), transaction rollback (serialization failure, deadlock):
        // all worth retrying, none says anything about the data.
        "08" | "53" | "57" | "40" => StoreError::Unavailable(format!("{message} ({code})")),
        // invalid authorization, unknown database: the operator has to fix the URL.
        "28" | "3D" => StoreError::Unavailable(format!("{message} ({code})")),
        // data exception (bad JSON, out-of-range number): the input is at fault.
        "22" => StoreError::Invalid(format!("{message} ({code})")),
        _ => StoreError::Internal(format!("{message} ({code})")),
    }
}

/// SQLite, by primary result code (the low byte of the extended code sqlx reports).
fn from_sqlite_code(code: &str, message: String) -> StoreError {
    const BUSY: i64 = 5;
    const LOCKED: i64 = 6;
    const IOERR: i64 = 10;
    const FULL: i64 = 13;
    const CANTOPEN: i64 = 14;
    const CONSTRAINT: i64 = 19;
    match code.parse::<i64>().map(|c| c & 0xff) {
        Ok(BUSY | LOCKED | IOERR | FULL | CANTOPEN) => {
            StoreError::Unavailable(format!("{message} (sqlite code {code})"))
        }
        Ok(CONSTRAINT) => StoreError::Invalid(format!("{message} (sqlite code {code})")),
        _ => StoreError::Internal(format!("{message} (sqlite code {code})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_and_io_failures_are_transient() {
        assert!(StoreError::from(sqlx::Error::PoolTimedOut).is_transient());
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert!(StoreError::from(sqlx::Error::Io(io)).is_transient());
        assert!(matches!(
            StoreError::from(sqlx::Error::Decode("bad".into())),
            StoreError::Invalid(_)
        ));
    }

    #[test]
    fn sqlstate_classes_map_to_meanings() {
        assert!(matches!(
            from_sqlstate("40P01", "deadlock".into()),
            StoreError::Unavailable(_)
        ));
        assert!(matches!(
            from_sqlstate("22P02", "bad".into()),
            StoreError::Invalid(_)
        ));
        assert!(matches!(
            from_sqlstate("42P01", "no table".into()),
            StoreError::Internal(_)
        ));
        assert!(matches!(
            from_sqlite_code("517", "busy".into()),
            StoreError::Unavailable(_)
        ));
        assert!(matches!(
            from_sqlite_code("1", "oops".into()),
            StoreError::Internal(_)
        ));
    }
}

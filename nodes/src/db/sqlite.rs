//! SQLite for the generic SQL node: URL parsing, parameter binding and decoding of result
//! values to JSON by each value's storage class (INTEGER, REAL, TEXT, BLOB as base64; an
//! INTEGER in a column declared BOOLEAN as true/false).

use super::sql::Step;
use super::sql::{Dialect, SqlQuery};
use base64::Engine as _;
use futures::stream::BoxStream;
use serde_json::{Number, Value, json};
use sqlx::error::DatabaseError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteQueryResult, SqliteValueRef};
use sqlx::sqlite::{SqliteConnection, SqliteRow};
use sqlx::{Column, Decode, Executor, Row, TypeInfo, ValueRef};
use std::str::FromStr;
use std::time::Duration;

/// `db.sqlite`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sqlite;

impl Dialect for Sqlite {
    type DB = sqlx::Sqlite;
    const TYPE: &'static str = "db.sqlite";
    const TITLE: &'static str = "SQLite";
    const PLACEHOLDERS: &'static str = "? (or ?1, ?2, …)";
    const URL_EXAMPLE: &'static str = "sqlite:///var/lib/app/data.db";
    const EXAMPLE_SQL: &'static str = "SELECT id, name FROM users WHERE email = ?";
    const BINDING_NOTES: &'static str = "Strings are bound as TEXT, integers as INTEGER, other \
        numbers as REAL, booleans as 0/1, objects and arrays as JSON text (use SQLite's JSON \
        functions on them), null as NULL. The database file must exist unless the URL says \
        `?mode=rwc`.";
    const CACHE_STATEMENTS: bool = true;

    fn connect_options(url: &str) -> Result<SqliteConnectOptions, String> {
        if !url.starts_with("sqlite:") {
            let scheme = url.split(':').next().unwrap_or_default();
            return Err(format!(
                "a SQLite URL starts with sqlite: (got a `{scheme}:` URL)"
            ));
        }
        let options = SqliteConnectOptions::from_str(url).map_err(|e| e.to_string())?;
        Ok(options
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5)))
    }

    fn bind<'q>(
        mut query: SqlQuery<'q, Self::DB>,
        value: Value,
    ) -> Result<SqlQuery<'q, Self::DB>, String> {
        let r = match value {
            Value::Null => query.try_bind(None::<String>),
            Value::Bool(b) => query.try_bind(b),
            Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => query.try_bind(i),
                (None, _) if n.is_u64() => {
                    return Err(format!(
                        "{n} does not fit in a 64-bit signed integer: pass it as a string"
                    ));
                }
                (None, Some(f)) => query.try_bind(f),
                (None, None) => return Err(format!("{n} is not a number SQLite can take")),
            },
            Value::String(s) => query.try_bind(s),
            v @ (Value::Array(_) | Value::Object(_)) => query.try_bind(v.to_string()),
        };
        r.map_err(|e| e.to_string())?;
        Ok(query)
    }

    fn fetch_many<'c>(
        conn: &'c mut SqliteConnection,
        query: super::sql::SqlQuery<'c, Self::DB>,
    ) -> BoxStream<'c, Step<Self>> {
        Executor::fetch_many(conn, query)
    }

    fn decode(row: &SqliteRow, index: usize) -> Result<Value, String> {
        let value: SqliteValueRef<'_> = row.try_get_raw(index).map_err(|e| e.to_string())?;
        let declared = row.column(index).type_info().name().to_string();
        if value.is_null() {
            return Ok(Value::Null);
        }
        let storage = value.type_info().name().to_string();
        let err = |e: sqlx::error::BoxDynError| e.to_string();
        Ok(match storage.as_str() {
            "INTEGER" | "BOOLEAN" => {
                let i = <i64 as Decode<sqlx::Sqlite>>::decode(value).map_err(err)?;
                if declared == "BOOLEAN" && (i == 0 || i == 1) {
                    Value::Bool(i == 1)
                } else {
                    json!(i)
                }
            }
            "REAL" => {
                let f = <f64 as Decode<sqlx::Sqlite>>::decode(value).map_err(err)?;
                Number::from_f64(f).map_or(Value::Null, Value::Number)
            }
            "BLOB" => {
                let b = <Vec<u8> as Decode<sqlx::Sqlite>>::decode(value).map_err(err)?;
                Value::String(base64::engine::general_purpose::STANDARD.encode(b))
            }
            _ => Value::String(<String as Decode<sqlx::Sqlite>>::decode(value).map_err(err)?),
        })
    }

    fn rows_affected(r: &SqliteQueryResult) -> u64 {
        r.rows_affected()
    }

    /// SQLite reports the connection's last inserted rowid whatever the statement was, so it
    /// is only given for statements that insert.
    fn last_insert_id(sql: &str, r: &SqliteQueryResult) -> Option<Value> {
        let verb = sql
            .trim_start()
            .split(|c: char| !c.is_ascii_alphabetic())
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        (matches!(verb.as_str(), "INSERT" | "REPLACE") && r.rows_affected() > 0)
            .then(|| json!(r.last_insert_rowid()))
    }

    fn retryable(e: &dyn DatabaseError) -> bool {
        // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with any extended code.
        e.code()
            .and_then(|c| c.parse::<i32>().ok())
            .is_some_and(|c| matches!(c & 0xff, 5 | 6))
    }
}

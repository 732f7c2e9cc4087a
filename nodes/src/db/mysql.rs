//! MySQL and MariaDB for the generic SQL node: URL parsing, parameter binding and decoding
//! of result values to JSON.
//!
//! Integers and floats become numbers, DECIMAL an exact decimal string, DATETIME an ISO 8601
//! date-time without offset, TIMESTAMP RFC 3339 in UTC (the session time zone is UTC), DATE
//! `YYYY-MM-DD`, TIME `[-]HH:MM:SS[.ffffff]`, JSON (MySQL) parsed, binary strings base64,
//! BIT an integer. MariaDB reports JSON columns as text: list them in `json_columns`.

use super::sql::Step;
use super::sql::{Dialect, SqlQuery};
use base64::Engine as _;
use futures::stream::BoxStream;
use serde_json::{Number, Value, json};
use sqlx::error::DatabaseError;
use sqlx::mysql::types::MySqlTime;
use sqlx::mysql::{MySqlConnectOptions, MySqlDatabaseError, MySqlQueryResult, MySqlValueRef};
use sqlx::mysql::{MySqlConnection, MySqlRow};
use sqlx::{Decode, Executor, Row, Type, TypeInfo, ValueRef};
use std::str::FromStr;

/// `db.mysql`.
#[derive(Debug, Clone, Copy, Default)]
pub struct MySql;

impl Dialect for MySql {
    type DB = sqlx::MySql;
    const TYPE: &'static str = "db.mysql";
    const TITLE: &'static str = "MySQL";
    const PLACEHOLDERS: &'static str = "?";
    const URL_EXAMPLE: &'static str = "mysql://user:password@host:3306/database";
    const EXAMPLE_SQL: &'static str = "SELECT id, name FROM users WHERE email = ?";
    const BINDING_NOTES: &'static str = "Strings, numbers and booleans are bound as they are \
        (the server converts them to the column's type), objects and arrays as JSON text, \
        null as NULL.";
    const CACHE_STATEMENTS: bool = true;

    fn connect_options(url: &str) -> Result<MySqlConnectOptions, String> {
        let scheme = url.split(':').next().unwrap_or_default();
        if !matches!(scheme, "mysql" | "mariadb") {
            return Err(format!(
                "a MySQL URL starts with mysql:// or mariadb:// (got a `{scheme}:` URL)"
            ));
        }
        let url = if scheme == "mariadb" {
            url.replacen("mariadb:", "mysql:", 1)
        } else {
            url.to_string()
        };
        // The session time zone stays UTC (sqlx's default), so TIMESTAMPs read as UTC.
        MySqlConnectOptions::from_str(&url).map_err(|e| e.to_string())
    }

    fn bind<'q>(
        mut query: SqlQuery<'q, Self::DB>,
        value: Value,
    ) -> Result<SqlQuery<'q, Self::DB>, String> {
        let r = match value {
            Value::Null => query.try_bind(None::<String>),
            Value::Bool(b) => query.try_bind(b),
            Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
                (Some(i), _, _) => query.try_bind(i),
                (None, Some(u), _) => query.try_bind(u),
                (None, None, Some(f)) => query.try_bind(f),
                _ => return Err(format!("{n} is not a number MySQL can take")),
            },
            Value::String(s) => query.try_bind(s),
            v @ (Value::Array(_) | Value::Object(_)) => query.try_bind(v.to_string()),
        };
        r.map_err(|e| e.to_string())?;
        Ok(query)
    }

    fn fetch_many<'c>(
        conn: &'c mut MySqlConnection,
        query: super::sql::SqlQuery<'c, Self::DB>,
    ) -> BoxStream<'c, Step<Self>> {
        Executor::fetch_many(conn, query)
    }

    fn decode(row: &MySqlRow, index: usize) -> Result<Value, String> {
        let value: MySqlValueRef<'_> = row.try_get_raw(index).map_err(|e| e.to_string())?;
        if value.is_null() {
            return Ok(Value::Null);
        }
        let ty = value.type_info().into_owned();
        let err = |e: sqlx::error::BoxDynError| e.to_string();
        Ok(match ty.name() {
            "BOOLEAN" => {
                let i = <i64 as Decode<sqlx::MySql>>::decode(value).map_err(err)?;
                match i {
                    0 => Value::Bool(false),
                    1 => Value::Bool(true),
                    other => json!(other),
                }
            }
            "TINYINT" | "SMALLINT" | "INT" | "MEDIUMINT" | "BIGINT" | "YEAR" => {
                json!(<i64 as Decode<sqlx::MySql>>::decode(value).map_err(err)?)
            }
            "TINYINT UNSIGNED" | "SMALLINT UNSIGNED" | "INT UNSIGNED" | "MEDIUMINT UNSIGNED"
            | "BIGINT UNSIGNED" => json!(<u64 as Decode<sqlx::MySql>>::decode(value).map_err(err)?),
            "FLOAT" => {
                let f = <f32 as Decode<sqlx::MySql>>::decode(value).map_err(err)?;
                number(f.to_string().parse::<f64>().unwrap_or(f64::from(f)))
            }
            "DOUBLE" => number(<f64 as Decode<sqlx::MySql>>::decode(value).map_err(err)?),
            "DECIMAL" => json!(<&str as Decode<sqlx::MySql>>::decode(value).map_err(err)?),
            "JSON" => {
                let text = <&str as Decode<sqlx::MySql>>::decode(value).map_err(err)?;
                serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?
            }
            "BIT" => {
                let bytes = <&[u8] as Decode<sqlx::MySql>>::decode(value).map_err(err)?;
                json!(bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
            }
            "DATE" => {
                let bytes = <&[u8] as Decode<sqlx::MySql>>::decode(value).map_err(err)?;
                Value::String(datetime(bytes, DateKind::Date)?)
            }
            "DATETIME" => {
                let bytes = <&[u8] as Decode<sqlx::MySql>>::decode(value).map_err(err)?;
                Value::String(datetime(bytes, DateKind::DateTime)?)
            }
            "TIMESTAMP" => {
                let bytes = <&[u8] as Decode<sqlx::MySql>>::decode(value).map_err(err)?;
                Value::String(datetime(bytes, DateKind::Timestamp)?)
            }
            "TIME" => {
                let bytes = <&[u8] as Decode<sqlx::MySql>>::decode(value.clone()).map_err(err)?;
                if is_text(bytes) {
                    json!(std::str::from_utf8(bytes).map_err(|e| e.to_string())?)
                } else {
                    let t = MySqlTime::decode(value).map_err(err)?;
                    Value::String(t.to_string())
                }
            }
            "NULL" => Value::Null,
            _ if <String as Type<sqlx::MySql>>::compatible(&ty) => {
                json!(<&str as Decode<sqlx::MySql>>::decode(value).map_err(err)?)
            }
            _ if <Vec<u8> as Type<sqlx::MySql>>::compatible(&ty) => {
                let bytes = <&[u8] as Decode<sqlx::MySql>>::decode(value).map_err(err)?;
                Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
            }
            other => {
                return Err(format!(
                    "values of type {other} cannot be turned into JSON: convert the column in \
                     the query, e.g. `CAST(col AS CHAR)`"
                ));
            }
        })
    }

    fn rows_affected(r: &MySqlQueryResult) -> u64 {
        r.rows_affected()
    }

    fn last_insert_id(_sql: &str, r: &MySqlQueryResult) -> Option<Value> {
        match r.last_insert_id() {
            0 => None,
            id => Some(json!(id)),
        }
    }

    fn retryable(e: &dyn DatabaseError) -> bool {
        // 1213 deadlock, 1205 lock wait timeout, 1040 too many connections, 1053 shutdown.
        e.try_downcast_ref::<MySqlDatabaseError>()
            .is_some_and(|e| matches!(e.number(), 1213 | 1205 | 1040 | 1053))
    }
}

fn number(f: f64) -> Value {
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

/// Text-protocol values start with a digit (or a sign); binary ones with their length
/// (at most 12).
fn is_text(bytes: &[u8]) -> bool {
    bytes
        .first()
        .is_some_and(|b| b.is_ascii_digit() || *b == b'-')
}

#[derive(Clone, Copy, PartialEq)]
enum DateKind {
    Date,
    DateTime,
    Timestamp,
}

/// DATE, DATETIME and TIMESTAMP from either protocol. The binary form is a length byte
/// (0, 4, 7 or 11), year (2 bytes, little-endian), month, day, hour, minute, second and
/// microseconds (4 bytes). Zero dates come out as MySQL writes them.
fn datetime(bytes: &[u8], kind: DateKind) -> Result<String, String> {
    let (date, time, micros) = if is_text(bytes) {
        let s = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
        return Ok(match kind {
            DateKind::Date => s.to_string(),
            _ if s.starts_with("0000-00-00") => s.to_string(),
            DateKind::DateTime => s.replacen(' ', "T", 1),
            DateKind::Timestamp => format!("{}Z", s.replacen(' ', "T", 1)),
        });
    } else {
        let len = bytes.first().copied().unwrap_or(0) as usize;
        let b = bytes.get(1..=len).ok_or("malformed date value")?;
        if len == 0 {
            return Ok(match kind {
                DateKind::Date => "0000-00-00".to_string(),
                _ => "0000-00-00 00:00:00".to_string(),
            });
        }
        let year = u16::from_le_bytes([b[0], b[1]]);
        let date = format!("{year:04}-{:02}-{:02}", b[2], b[3]);
        let time = if len >= 7 {
            format!("{:02}:{:02}:{:02}", b[4], b[5], b[6])
        } else {
            "00:00:00".to_string()
        };
        let micros = if len >= 11 {
            u32::from_le_bytes([b[7], b[8], b[9], b[10]])
        } else {
            0
        };
        (date, time, micros)
    };
    let frac = if micros == 0 {
        String::new()
    } else {
        format!(".{micros:06}").trim_end_matches('0').to_string()
    };
    Ok(match kind {
        DateKind::Date => date,
        DateKind::DateTime => format!("{date}T{time}{frac}"),
        DateKind::Timestamp => format!("{date}T{time}{frac}Z"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_and_text_dates_read_the_same() {
        let bin = [11u8, 0xE8, 0x07, 3, 9, 14, 5, 6, 0x20, 0xA1, 0x07, 0];
        assert_eq!(
            datetime(&bin, DateKind::DateTime).unwrap(),
            "2024-03-09T14:05:06.5"
        );
        assert_eq!(
            datetime(&bin, DateKind::Timestamp).unwrap(),
            "2024-03-09T14:05:06.5Z"
        );
        assert_eq!(
            datetime(&[4, 0xE8, 0x07, 3, 9], DateKind::Date).unwrap(),
            "2024-03-09"
        );
        assert_eq!(
            datetime(b"2024-03-09 14:05:06", DateKind::Timestamp).unwrap(),
            "2024-03-09T14:05:06Z"
        );
        assert_eq!(
            datetime(&[0], DateKind::DateTime).unwrap(),
            "0000-00-00 00:00:00"
        );
    }
}

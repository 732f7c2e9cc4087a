//! PostgreSQL for the generic SQL node: URL parsing, parameter binding and decoding of
//! result values to JSON from PostgreSQL's binary wire format.
//!
//! Decoding works on the raw bytes rather than through sqlx's typed decoders, so every
//! common type (numeric, dates and times, intervals, arrays of any of them) maps to JSON
//! without extra crates: numeric as an exact decimal string, `timestamptz` as RFC 3339 in
//! UTC, `timestamp` without a zone as an ISO 8601 date-time without offset, `date` as
//! `YYYY-MM-DD`, `time` as `HH:MM:SS[.ffffff]`, `interval` as an ISO 8601 duration,
//! `bytea` as base64, arrays as JSON arrays. Anything else that is not text fails with a hint
//! to cast it in the query (`col::text`).

use super::sql::Dialect;
use super::sql::Step;
use base64::Engine as _;
use futures::stream::BoxStream;
use serde_json::{Number, Value, json};
use sqlx::encode::IsNull;
use sqlx::error::{BoxDynError, DatabaseError};
use sqlx::postgres::types::Oid;
use sqlx::postgres::{
    PgArgumentBuffer, PgConnectOptions, PgQueryResult, PgTypeInfo, PgTypeKind, PgValueFormat,
    PgValueRef,
};
use sqlx::postgres::{PgConnection, PgRow};
use sqlx::{Encode, Executor, Row, Type, TypeInfo, ValueRef};
use std::str::FromStr;

/// `db.postgres`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Postgres;

/// A NULL parameter whose type PostgreSQL infers from where it is used (a typed NULL would
/// fail with "column is of type integer but expression is of type text").
struct UntypedNull;

impl Type<sqlx::Postgres> for UntypedNull {
    fn type_info() -> PgTypeInfo {
        PgTypeInfo::with_oid(Oid(0))
    }
}

impl Encode<'_, sqlx::Postgres> for UntypedNull {
    fn encode_by_ref(&self, _buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        Ok(IsNull::Yes)
    }
}

impl Dialect for Postgres {
    type DB = sqlx::Postgres;
    const TYPE: &'static str = "db.postgres";
    const TITLE: &'static str = "PostgreSQL";
    const PLACEHOLDERS: &'static str = "$1, $2, …";
    const URL_EXAMPLE: &'static str = "postgres://user:password@host:5432/database";
    const EXAMPLE_SQL: &'static str = "SELECT id, name FROM users WHERE email = $1";
    const BINDING_NOTES: &'static str = "Strings are bound as text, integers as bigint, other \
        numbers as double precision, objects and arrays as jsonb, null as an untyped NULL. \
        Cast where the column has another type, e.g. `$1::uuid`, `$1::timestamptz`, \
        `$1::numeric`; expand a JSON array with `jsonb_array_elements_text($1)`.";
    const CACHE_STATEMENTS: bool = false;

    fn connect_options(url: &str) -> Result<PgConnectOptions, String> {
        let scheme = url.split(':').next().unwrap_or_default();
        if !matches!(scheme, "postgres" | "postgresql") {
            return Err(format!(
                "a PostgreSQL URL starts with postgres:// (got a `{scheme}:` URL)"
            ));
        }
        let options = PgConnectOptions::from_str(url).map_err(|e| e.to_string())?;
        Ok(options.application_name("weft"))
    }

    fn bind<'q>(
        mut query: super::sql::SqlQuery<'q, Self::DB>,
        value: Value,
    ) -> Result<super::sql::SqlQuery<'q, Self::DB>, String> {
        let r = match value {
            Value::Null => query.try_bind(UntypedNull),
            Value::Bool(b) => query.try_bind(b),
            Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => query.try_bind(i),
                (None, _) if n.is_u64() => {
                    return Err(format!(
                        "{n} does not fit in a bigint: pass it as a string and cast it, \
                         e.g. `$1::numeric`"
                    ));
                }
                (None, Some(f)) => query.try_bind(f),
                (None, None) => return Err(format!("{n} is not a number PostgreSQL can take")),
            },
            Value::String(s) => query.try_bind(s),
            v @ (Value::Array(_) | Value::Object(_)) => query.try_bind(sqlx::types::Json(v)),
        };
        r.map_err(|e| e.to_string())?;
        Ok(query)
    }

    fn fetch_many<'c>(
        conn: &'c mut PgConnection,
        query: super::sql::SqlQuery<'c, Self::DB>,
    ) -> BoxStream<'c, Step<Self>> {
        Executor::fetch_many(conn, query)
    }

    fn decode(row: &PgRow, index: usize) -> Result<Value, String> {
        let value: PgValueRef<'_> = row.try_get_raw(index).map_err(|e| e.to_string())?;
        if value.is_null() {
            return Ok(Value::Null);
        }
        let ty = value.type_info().into_owned();
        let bytes = value.as_bytes().map_err(|e| e.to_string())?;
        match value.format() {
            PgValueFormat::Binary => decode_binary(&ty, bytes),
            PgValueFormat::Text => Ok(decode_text(&ty, bytes)),
        }
    }

    fn rows_affected(r: &PgQueryResult) -> u64 {
        r.rows_affected()
    }

    fn last_insert_id(_sql: &str, _r: &PgQueryResult) -> Option<Value> {
        None
    }

    fn statement_timeout_sql(ms: u64) -> Option<String> {
        Some(format!("SET statement_timeout = {ms}"))
    }

    fn retryable(e: &dyn DatabaseError) -> bool {
        e.code().is_some_and(|c| {
            c.starts_with("08") // connection exception
                || matches!(
                    c.as_ref(),
                    "40001" | "40P01" | "55P03" | "53300" | "57P01" | "57P02" | "57P03"
                )
        })
    }
}

const MICROS_PER_DAY: i64 = 86_400_000_000;
/// Seconds from 1970-01-01 to PostgreSQL's epoch, 2000-01-01.
const PG_EPOCH_UNIX_SECONDS: i64 = 946_684_800;

fn be<const N: usize>(bytes: &[u8], what: &str) -> Result<[u8; N], String> {
    bytes
        .get(..N)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| format!("malformed {what} value"))
}

fn number(f: f64) -> Value {
    match Number::from_f64(f) {
        Some(n) => Value::Number(n),
        None if f.is_nan() => json!("NaN"),
        None if f > 0.0 => json!("Infinity"),
        None => json!("-Infinity"),
    }
}

fn utf8(bytes: &[u8]) -> Result<Value, String> {
    std::str::from_utf8(bytes)
        .map(|s| Value::String(s.to_string()))
        .map_err(|_| "text that is not valid UTF-8".to_string())
}

/// Decodes one value in PostgreSQL's binary format.
fn decode_binary(ty: &PgTypeInfo, bytes: &[u8]) -> Result<Value, String> {
    match ty.kind() {
        PgTypeKind::Array(elem) => return decode_array(elem, bytes),
        PgTypeKind::Enum(_) => return utf8(bytes),
        PgTypeKind::Domain(base) => return decode_binary(base, bytes),
        _ => {}
    }
    Ok(match ty.name() {
        "BOOL" => Value::Bool(bytes.first().is_some_and(|b| *b != 0)),
        "INT2" => json!(i16::from_be_bytes(be(bytes, "int2")?)),
        "INT4" => json!(i32::from_be_bytes(be(bytes, "int4")?)),
        "INT8" => json!(i64::from_be_bytes(be(bytes, "int8")?)),
        "OID" => json!(u32::from_be_bytes(be(bytes, "oid")?)),
        "FLOAT4" => {
            let f = f32::from_be_bytes(be(bytes, "float4")?);
            // Through its shortest text, so 1.1 stays 1.1 rather than 1.100000023841858.
            number(f.to_string().parse::<f64>().unwrap_or(f64::from(f)))
        }
        "FLOAT8" => number(f64::from_be_bytes(be(bytes, "float8")?)),
        "NUMERIC" => Value::String(numeric_to_string(bytes)?),
        "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" | "\"CHAR\"" | "CHAR" | "UNKNOWN" | "XML"
        | "citext" => utf8(bytes)?,
        "UUID" => {
            let b: [u8; 16] = be(bytes, "uuid")?;
            Value::String(uuid::Uuid::from_bytes(b).to_string())
        }
        "JSON" => serde_json::from_slice(bytes).map_err(|e| format!("invalid json: {e}"))?,
        "JSONB" => match bytes.split_first() {
            Some((1, rest)) => {
                serde_json::from_slice(rest).map_err(|e| format!("invalid jsonb: {e}"))?
            }
            _ => return Err("unknown jsonb format version".to_string()),
        },
        "BYTEA" => Value::String(base64::engine::general_purpose::STANDARD.encode(bytes)),
        "DATE" => Value::String(date(i32::from_be_bytes(be(bytes, "date")?))?),
        "TIME" => Value::String(time_of_day(i64::from_be_bytes(be(bytes, "time")?))?),
        "TIMETZ" => {
            let micros = i64::from_be_bytes(be(bytes, "timetz")?);
            let west: [u8; 4] = be(bytes.get(8..).unwrap_or_default(), "timetz")?;
            // PostgreSQL stores seconds *west* of UTC.
            let east = -i32::from_be_bytes(west);
            Value::String(format!("{}{}", time_of_day(micros)?, offset(east)))
        }
        "TIMESTAMP" => Value::String(timestamp(i64::from_be_bytes(be(bytes, "timestamp")?))?),
        "TIMESTAMPTZ" => Value::String(timestamptz(i64::from_be_bytes(be(bytes, "timestamptz")?))?),
        "INTERVAL" => {
            let micros = i64::from_be_bytes(be(bytes, "interval")?);
            let rest = bytes.get(8..).unwrap_or_default();
            let days = i32::from_be_bytes(be(rest, "interval")?);
            let months = i32::from_be_bytes(be(rest.get(4..).unwrap_or_default(), "interval")?);
            Value::String(interval(months, days, micros))
        }
        "VOID" => Value::Null,
        other => {
            return Err(format!(
                "values of type `{}` cannot be turned into JSON: cast the column in the \
                 query, e.g. `col::text`",
                other.to_lowercase()
            ));
        }
    })
}

/// Text-format values (only seen from simple queries): typed where the text is
/// unambiguous, strings otherwise.
fn decode_text(ty: &PgTypeInfo, bytes: &[u8]) -> Value {
    let s = String::from_utf8_lossy(bytes).into_owned();
    match ty.name() {
        "BOOL" => Value::Bool(s == "t"),
        "INT2" | "INT4" | "INT8" | "OID" => s.parse::<i64>().map_or(Value::String(s), |i| json!(i)),
        "FLOAT4" | "FLOAT8" => s.parse::<f64>().map_or(Value::String(s.clone()), number),
        "JSON" | "JSONB" => serde_json::from_str(&s).unwrap_or(Value::String(s)),
        _ => Value::String(s),
    }
}

/// The binary array format: dimensions, a null flag, the element type, each dimension's
/// length and lower bound, then each element as length + bytes (-1 for NULL).
fn decode_array(elem: &PgTypeInfo, bytes: &[u8]) -> Result<Value, String> {
    let mut at = 0usize;
    let read_i32 = |bytes: &[u8], at: &mut usize| -> Result<i32, String> {
        let v = i32::from_be_bytes(be(bytes.get(*at..).unwrap_or_default(), "array")?);
        *at += 4;
        Ok(v)
    };
    let ndim = read_i32(bytes, &mut at)?;
    let _has_null = read_i32(bytes, &mut at)?;
    let _elem_oid = read_i32(bytes, &mut at)?;
    if ndim == 0 {
        return Ok(json!([]));
    }
    let mut dims = Vec::with_capacity(ndim as usize);
    for _ in 0..ndim {
        let len = read_i32(bytes, &mut at)?;
        let _lower_bound = read_i32(bytes, &mut at)?;
        dims.push(usize::try_from(len).map_err(|_| "malformed array value")?);
    }
    let total: usize = dims.iter().product();
    let mut items = Vec::with_capacity(total.min(100_000));
    for _ in 0..total {
        let len = read_i32(bytes, &mut at)?;
        if len < 0 {
            items.push(Value::Null);
            continue;
        }
        let end = at + len as usize;
        let raw = bytes.get(at..end).ok_or("malformed array value")?;
        at = end;
        items.push(decode_binary(elem, raw)?);
    }
    Ok(nest(&dims, &mut items.into_iter()))
}

/// Flat elements into nested arrays of the given dimensions.
fn nest(dims: &[usize], items: &mut impl Iterator<Item = Value>) -> Value {
    match dims {
        [] => Value::Null,
        [n] => Value::Array(items.take(*n).collect()),
        [n, rest @ ..] => Value::Array((0..*n).map(|_| nest(rest, items)).collect()),
    }
}

/// NUMERIC's binary format as an exact decimal string: digit count, weight (of the first
/// base-10000 digit), sign, display scale, then the base-10000 digits.
fn numeric_to_string(bytes: &[u8]) -> Result<String, String> {
    let word = |i: usize| -> Result<i16, String> {
        Ok(i16::from_be_bytes(be(
            bytes.get(i * 2..).unwrap_or_default(),
            "numeric",
        )?))
    };
    let ndigits = word(0)? as usize;
    let weight = word(1)? as i64;
    let sign = word(2)? as u16;
    let dscale = word(3)? as u16 as usize;
    match sign {
        0xC000 => return Ok("NaN".to_string()),
        0xD000 => return Ok("Infinity".to_string()),
        0xF000 => return Ok("-Infinity".to_string()),
        _ => {}
    }
    let mut digits = Vec::with_capacity(ndigits);
    for i in 0..ndigits {
        digits.push(word(4 + i)?);
    }
    let digit = |i: i64| -> i16 {
        if i >= 0 && (i as usize) < digits.len() {
            digits[i as usize]
        } else {
            0
        }
    };
    let mut out = String::new();
    if sign == 0x4000 {
        out.push('-');
    }
    if weight < 0 {
        out.push('0');
    } else {
        for i in 0..=weight {
            if i == 0 {
                out.push_str(&digit(i).to_string());
            } else {
                out.push_str(&format!("{:04}", digit(i)));
            }
        }
    }
    if dscale > 0 {
        let mut frac = String::with_capacity(dscale + 4);
        let mut i = weight + 1;
        while frac.len() < dscale {
            frac.push_str(&format!("{:04}", digit(i)));
            i += 1;
        }
        frac.truncate(dscale);
        out.push('.');
        out.push_str(&frac);
    }
    if out == "-0" || (out.starts_with("-0.") && out[3..].bytes().all(|b| b == b'0')) {
        out.remove(0);
    }
    Ok(out)
}

fn pg_epoch() -> jiff::civil::DateTime {
    jiff::civil::date(2000, 1, 1).at(0, 0, 0, 0)
}

fn date(days: i32) -> Result<String, String> {
    match days {
        i32::MAX => return Ok("infinity".to_string()),
        i32::MIN => return Ok("-infinity".to_string()),
        _ => {}
    }
    jiff::civil::date(2000, 1, 1)
        .checked_add(jiff::Span::new().days(i64::from(days)))
        .map(|d| d.to_string())
        .map_err(|_| format!("date {days} days from 2000-01-01 is out of range"))
}

fn time_of_day(micros: i64) -> Result<String, String> {
    if micros == MICROS_PER_DAY {
        return Ok("24:00:00".to_string());
    }
    jiff::civil::Time::midnight()
        .checked_add(jiff::SignedDuration::from_micros(micros))
        .map(|t| t.to_string())
        .map_err(|_| "time out of range".to_string())
}

fn offset(seconds_east: i32) -> String {
    let sign = if seconds_east < 0 { '-' } else { '+' };
    let s = seconds_east.unsigned_abs();
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    if sec == 0 {
        format!("{sign}{h:02}:{m:02}")
    } else {
        format!("{sign}{h:02}:{m:02}:{sec:02}")
    }
}

fn timestamp(micros: i64) -> Result<String, String> {
    match micros {
        i64::MAX => return Ok("infinity".to_string()),
        i64::MIN => return Ok("-infinity".to_string()),
        _ => {}
    }
    pg_epoch()
        .checked_add(jiff::SignedDuration::from_micros(micros))
        .map(|d| d.to_string())
        .map_err(|_| "timestamp out of range".to_string())
}

fn timestamptz(micros: i64) -> Result<String, String> {
    match micros {
        i64::MAX => return Ok("infinity".to_string()),
        i64::MIN => return Ok("-infinity".to_string()),
        _ => {}
    }
    let unix = micros
        .checked_add(PG_EPOCH_UNIX_SECONDS * 1_000_000)
        .ok_or("timestamp out of range")?;
    jiff::Timestamp::from_microsecond(unix)
        .map(|t| t.to_string())
        .map_err(|_| "timestamp out of range".to_string())
}

/// An ISO 8601 duration, e.g. `P1Y2M3DT4H5M6.5S`; `PT0S` when zero.
fn interval(months: i32, days: i32, micros: i64) -> String {
    let mut out = String::from("P");
    let (years, months) = (months / 12, months % 12);
    if years != 0 {
        out.push_str(&format!("{years}Y"));
    }
    if months != 0 {
        out.push_str(&format!("{months}M"));
    }
    if days != 0 {
        out.push_str(&format!("{days}D"));
    }
    if micros != 0 {
        out.push('T');
        let neg = micros < 0;
        let m = micros.unsigned_abs();
        let (h, rest) = (m / 3_600_000_000, m % 3_600_000_000);
        let (min, rest) = (rest / 60_000_000, rest % 60_000_000);
        let (s, frac) = (rest / 1_000_000, rest % 1_000_000);
        let sign = if neg { "-" } else { "" };
        if h != 0 {
            out.push_str(&format!("{sign}{h}H"));
        }
        if min != 0 {
            out.push_str(&format!("{sign}{min}M"));
        }
        if s != 0 || frac != 0 {
            if frac == 0 {
                out.push_str(&format!("{sign}{s}S"));
            } else {
                let f = format!("{frac:06}");
                out.push_str(&format!("{sign}{s}.{}S", f.trim_end_matches('0')));
            }
        }
    }
    if out == "P" {
        out.push_str("T0S");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric(ndigits: i16, weight: i16, sign: u16, dscale: u16, digits: &[i16]) -> Vec<u8> {
        let mut b = Vec::new();
        for w in [ndigits, weight, sign as i16, dscale as i16] {
            b.extend_from_slice(&w.to_be_bytes());
        }
        for d in digits {
            b.extend_from_slice(&d.to_be_bytes());
        }
        b
    }

    #[test]
    fn numeric_values_become_exact_decimal_strings() {
        // 12345.678 = [1, 2345, 6780] weight 1, dscale 3
        let n = numeric(3, 1, 0, 3, &[1, 2345, 6780]);
        assert_eq!(numeric_to_string(&n).unwrap(), "12345.678");
        // -0.0012 = [12] weight -1, dscale 4
        let n = numeric(1, -1, 0x4000, 4, &[12]);
        assert_eq!(numeric_to_string(&n).unwrap(), "-0.0012");
        // 0.00000001 = [1] weight -2 (1 * 10000^-2), dscale 8
        let n = numeric(1, -2, 0, 8, &[100]);
        assert_eq!(numeric_to_string(&n).unwrap(), "0.00000100");
        // 10000000 = [1000] weight 1... ([1000, 0] trimmed to [1000]) -> 1000 * 10000
        let n = numeric(1, 1, 0, 0, &[1000]);
        assert_eq!(numeric_to_string(&n).unwrap(), "10000000");
        assert_eq!(
            numeric_to_string(&numeric(0, 0, 0, 2, &[])).unwrap(),
            "0.00"
        );
        assert_eq!(
            numeric_to_string(&numeric(0, 0, 0xC000, 0, &[])).unwrap(),
            "NaN"
        );
    }

    #[test]
    fn dates_times_and_intervals_have_standard_text() {
        assert_eq!(date(0).unwrap(), "2000-01-01");
        assert_eq!(date(-1).unwrap(), "1999-12-31");
        assert_eq!(timestamp(1_500_000).unwrap(), "2000-01-01T00:00:01.5");
        assert_eq!(timestamptz(0).unwrap(), "2000-01-01T00:00:00Z");
        assert_eq!(time_of_day(3_723_000_001).unwrap(), "01:02:03.000001");
        assert_eq!(offset(-(5 * 3600 + 30 * 60)), "-05:30");
        assert_eq!(
            interval(14, 3, 4 * 3_600_000_000 + 500_000),
            "P1Y2M3DT4H0.5S"
        );
        assert_eq!(interval(0, 0, 0), "PT0S");
    }
}

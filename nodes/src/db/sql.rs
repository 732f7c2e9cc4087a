//! The SQL node types `db.postgres`, `db.mysql` and `db.sqlite`: one generic implementation
//! ([`SqlNode`]) over a [`Dialect`] that knows its database's URLs, parameter types and
//! value decoding.
//!
//! Operations:
//! - `query`: runs `sql` with `params` and outputs `{rows, row_count, truncated}`; at most
//!   `max_rows` rows are kept; reading stops there (`truncated` is true) and the connection
//!   is closed rather than drained.
//! - `execute`: runs `sql` with `params` and outputs `{rows_affected, last_insert_id?}`.
//! - `transaction`: runs `statements` in one transaction and outputs `{results: [...]}`, one
//!   `{rows, row_count, truncated, rows_affected, last_insert_id?}` per statement; any failure
//!   rolls everything back. Each statement's `params` are rendered just before it runs, with
//!   `.results` (the earlier statements' results) in the context, so a statement can use the
//!   id an earlier `INSERT … RETURNING` produced.
//!
//! `sql` and `statements` are raw fields: SQL text is never template-rendered, so no value
//! can ever be spliced into it. Values go in `params` and are always bound as parameters.
//!
//! Connections: one pool per connection URL (at most [`POOL_SIZE`] connections, created on
//! demand, idle ones closed after a minute), kept by the node. A connection that timed out
//! or stopped reading mid-result is closed rather than returned to the pool. On PostgreSQL
//! `statement_timeout` is set from the call's time limit, so the server itself stops a
//! statement that outlives its node; and statements are not cached per connection (a cached
//! statement keeps its first run's parameter types, and a later run with other types would
//! be misread).
//!
//! Errors: connection trouble is `transient` (the message never holds the URL or password);
//! statements the database rejects are `permanent`, with the SQLSTATE (SQLite: the extended
//! result code) in the details, except serialization failures, deadlocks and lock timeouts,
//! which are `transient`; config mistakes are `config` errors naming the field.

use super::{Cache, config_error, connection_url, host_of, redact, time_limit};
use crate::config::{object_schema, parse_config};
use crate::{Node, NodeInput, NodeOutput};
use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::BoxStream;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use sqlx::database::HasStatementCache;
use sqlx::error::{DatabaseError, ErrorKind as DbErrorKind};
use sqlx::pool::{Pool, PoolConnection, PoolOptions};
use sqlx::{AssertSqlSafe, Column, Connection, Database, Either, Row};
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::time::Instant;
use weft_core::catalog::ConfigProblem;
use weft_core::expr::{ConfigTemplate, Template};
use weft_core::{ErrorKind, NodeError, NodeSpec, Ports};

pub use super::mysql::MySql;
pub use super::postgres::Postgres;
pub use super::sqlite::Sqlite;

/// Rows a `query` returns unless `max_rows` says otherwise.
pub const DEFAULT_MAX_ROWS: usize = 1000;
/// The most rows `max_rows` may ask for.
pub const MAX_ROWS: usize = 100_000;
/// Time limit of a call whose config sets no `timeout_ms`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest `timeout_ms`.
pub const MAX_TIMEOUT_MS: u64 = 600_000;
/// The most statements in one transaction.
pub const MAX_STATEMENTS: usize = 100;
/// The most parameters of one statement.
pub const MAX_PARAMS: usize = 10_000;
/// Largest result (approximate JSON size) one node returns.
pub const MAX_RESULT_BYTES: usize = 10 * 1024 * 1024;
/// Connections per pool (per connection URL).
pub const POOL_SIZE: u32 = 5;
/// How long to wait for a pooled connection (or a new one) before giving up.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// A query under construction for database `DB`.
pub type SqlQuery<'q, DB> = sqlx::query::Query<'q, DB, <DB as Database>::Arguments>;

pub(crate) type Conn<D> = <<D as Dialect>::DB as Database>::Connection;
pub(crate) type RowOf<D> = <<D as Dialect>::DB as Database>::Row;
pub(crate) type QueryResultOf<D> = <<D as Dialect>::DB as Database>::QueryResult;
/// One item of a statement's result stream: a result summary or a row.
pub(crate) type Step<D> = Result<Either<QueryResultOf<D>, RowOf<D>>, sqlx::Error>;

/// What differs between the SQL databases.
pub trait Dialect: Send + Sync + 'static {
    type DB: Database + HasStatementCache;
    /// The node type, e.g. `db.postgres`.
    const TYPE: &'static str;
    /// The database's name for people, e.g. `PostgreSQL`.
    const TITLE: &'static str;
    /// Placeholder syntax, for the `sql` field's description.
    const PLACEHOLDERS: &'static str;
    const URL_EXAMPLE: &'static str;
    /// A statement with a placeholder, for the `sql` field's examples.
    const EXAMPLE_SQL: &'static str;
    /// How JSON values are bound, for the `params` field's description.
    const BINDING_NOTES: &'static str;
    /// Whether prepared statements may be cached per connection. Not for PostgreSQL: a
    /// cached statement keeps the parameter types of its first run, and the same SQL run
    /// later with, say, a float where an integer was would be misread by the server.
    const CACHE_STATEMENTS: bool;

    /// Connect options from a URL, or what is wrong with it.
    fn connect_options(url: &str) -> Result<<Conn<Self> as Connection>::Options, String>;

    /// Binds one JSON value as the next parameter.
    fn bind<'q>(
        query: SqlQuery<'q, Self::DB>,
        value: Value,
    ) -> Result<SqlQuery<'q, Self::DB>, String>;

    /// Runs a query on a connection: its rows and its result(s), as they come.
    fn fetch_many<'c>(
        conn: &'c mut Conn<Self>,
        query: SqlQuery<'c, Self::DB>,
    ) -> BoxStream<'c, Step<Self>>;

    /// The value of column `index` as JSON.
    fn decode(row: &RowOf<Self>, index: usize) -> Result<Value, String>;

    fn rows_affected(result: &<Self::DB as Database>::QueryResult) -> u64;

    /// The id a statement generated, when the database reports one.
    fn last_insert_id(sql: &str, result: &<Self::DB as Database>::QueryResult) -> Option<Value>;

    /// Whether a database error may go away on retry (deadlock, serialization failure…).
    fn retryable(error: &dyn DatabaseError) -> bool;

    /// A statement making the server itself stop statements that run longer than `ms`,
    /// run on the connection before the work (PostgreSQL: `SET statement_timeout`), so a
    /// statement that outlives its node does not keep running on the server.
    fn statement_timeout_sql(_ms: u64) -> Option<String> {
        None
    }
}

/// A SQL node type over dialect `D`. Holds its connection pools.
pub struct SqlNode<D: Dialect> {
    pools: Arc<Cache<Pool<D::DB>>>,
    dialect: PhantomData<fn() -> D>,
}

/// `db.postgres`.
pub type PostgresNode = SqlNode<Postgres>;
/// `db.mysql` (MySQL and MariaDB).
pub type MySqlNode = SqlNode<MySql>;
/// `db.sqlite`.
pub type SqliteNode = SqlNode<Sqlite>;

impl<D: Dialect> Default for SqlNode<D> {
    fn default() -> Self {
        Self {
            pools: Arc::default(),
            dialect: PhantomData,
        }
    }
}

impl<D: Dialect> Clone for SqlNode<D> {
    fn clone(&self) -> Self {
        Self {
            pools: Arc::clone(&self.pools),
            dialect: PhantomData,
        }
    }
}

impl<D: Dialect> std::fmt::Debug for SqlNode<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the pool keys: they are connection URLs with passwords.
        write!(f, "SqlNode({}, {:?})", D::TYPE, self.pools)
    }
}

impl<D: Dialect> SqlNode<D> {
    pub const TYPE: &'static str = D::TYPE;

    /// How many connection pools the node holds (one per distinct connection URL).
    pub fn pool_count(&self) -> usize {
        self.pools.len()
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Operation {
    #[default]
    Query,
    Execute,
    Transaction,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SqlConfig {
    credential: String,
    #[serde(default)]
    operation: Operation,
    #[serde(default)]
    sql: Option<String>,
    #[serde(default)]
    params: Vec<Value>,
    #[serde(default)]
    statements: Option<Vec<StatementConfig>>,
    #[serde(default = "default_max_rows")]
    max_rows: usize,
    #[serde(default)]
    timeout_ms: Option<u64>,
    #[serde(default)]
    json_columns: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatementConfig {
    sql: String,
    #[serde(default)]
    params: Vec<Value>,
}

fn default_max_rows() -> usize {
    DEFAULT_MAX_ROWS
}

/// What one statement does with the rows it returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    /// Keep up to `max_rows`, then stop reading (the connection is then closed).
    Rows,
    /// Keep up to `max_rows`, read on to the end for the statement's result (transactions).
    Drain,
    /// Ignore rows (`execute`).
    Discard,
}

struct Limits {
    max_rows: usize,
    json_columns: Vec<String>,
    /// Approximate JSON size of the rows kept so far, over all statements of the call.
    bytes: AtomicUsize,
}

#[derive(Debug, Default)]
struct Outcome {
    rows: Vec<Value>,
    truncated: bool,
    rows_affected: u64,
    last_insert_id: Option<Value>,
    /// The whole result was read (the connection can go back to the pool).
    complete: bool,
}

impl Outcome {
    fn query_output(self) -> Value {
        json!({"row_count": self.rows.len(), "truncated": self.truncated, "rows": self.rows})
    }

    fn execute_output(self) -> Value {
        let mut out = json!({"rows_affected": self.rows_affected});
        if let Some(id) = self.last_insert_id {
            out["last_insert_id"] = id;
        }
        out
    }

    fn statement_output(self) -> Value {
        let mut out = json!({
            "row_count": self.rows.len(),
            "truncated": self.truncated,
            "rows_affected": self.rows_affected,
            "rows": self.rows,
        });
        if let Some(id) = self.last_insert_id {
            out["last_insert_id"] = id;
        }
        out
    }
}

fn schema<D: Dialect>() -> Value {
    let sql_description = format!(
        "The SQL statement (one per node), with {} placeholders for the values in `params`. \
         Never template-rendered: {{{{ }}}} here is sent to the database as it is, so no \
         value can be spliced into the SQL. Put values in `params`.",
        D::PLACEHOLDERS
    );
    let params = json!({
        "type": "array",
        "title": "Parameters",
        "description": format!(
            "Values for the placeholders, in order; each may be a {{{{ }}}} template. Always \
             bound as parameters, never pasted into the SQL. {}",
            D::BINDING_NOTES
        ),
        "maxItems": MAX_PARAMS,
        "default": [],
        "items": {
            "title": "Parameter",
            "description": "One value: null, boolean, number, string, or an object/array \
                            (bound as JSON)."
        },
        "examples": [["{{ .input.email }}", 42]]
    });
    let mut schema = object_schema(
        &format!("{} statement", D::TITLE),
        json!({
            "credential": {
                "type": "string",
                "x-weft-widget": "credential",
                "title": "Credential",
                "description": format!(
                    "Id or name of the credential holding the connection URL: a string, or \
                     an object with a `url`, e.g. {}. Connections are pooled per URL (at most \
                     {POOL_SIZE}).",
                    D::URL_EXAMPLE
                ),
                "minLength": 1
            },
            "operation": {
                "type": "string",
                "title": "Operation",
                "description": "query: run `sql` and output {rows, row_count, truncated}. \
                                execute: run `sql` and output {rows_affected, \
                                last_insert_id?}. transaction: run `statements` in one \
                                transaction (all or nothing) and output {results}.",
                "enum": ["query", "execute", "transaction"],
                "default": "query"
            },
            "sql": {
                "type": "string",
                "title": "SQL",
                "description": sql_description,
                "minLength": 1,
                "examples": [D::EXAMPLE_SQL]
            },
            "params": params,
            "statements": {
                "type": "array",
                "title": "Statements",
                "description": "For operation transaction: the statements to run in order, \
                                in one transaction. If any fails, everything is rolled back. \
                                Each statement's params are rendered just before it runs and \
                                may use `.results`, the earlier statements' results, e.g. \
                                {{ .results[0].rows[0].id }}.",
                "minItems": 1,
                "maxItems": MAX_STATEMENTS,
                "items": {
                    "type": "object",
                    "title": "Statement",
                    "description": "One statement of the transaction.",
                    "additionalProperties": false,
                    "required": ["sql"],
                    "properties": {
                        "sql": {
                            "type": "string",
                            "title": "SQL",
                            "description": format!(
                                "The statement, with {} placeholders. Never \
                                 template-rendered.",
                                D::PLACEHOLDERS
                            ),
                            "minLength": 1
                        },
                        "params": {
                            "type": "array",
                            "title": "Parameters",
                            "description": "Values for the placeholders, in order; each may \
                                            be a {{ }} template (with `.results`). Always \
                                            bound as parameters.",
                            "maxItems": MAX_PARAMS,
                            "default": [],
                            "items": {
                                "title": "Parameter",
                                "description": "One value: null, boolean, number, string, \
                                                or an object/array (bound as JSON)."
                            }
                        }
                    }
                }
            },
            "max_rows": {
                "type": "integer",
                "title": "Maximum rows",
                "description": format!(
                    "The most rows kept per statement; when there are more, the output says \
                     `truncated: true` (a query stops reading; a transaction reads on but \
                     drops them). Results over {} MiB fail instead.",
                    MAX_RESULT_BYTES / (1024 * 1024)
                ),
                "minimum": 1,
                "maximum": MAX_ROWS,
                "default": DEFAULT_MAX_ROWS
            },
            "timeout_ms": {
                "type": "integer",
                "title": "Timeout (ms)",
                "description": "Time limit for the whole call (getting a connection, running, \
                                reading), capped by the node's own timeout. Running out of \
                                time fails with kind `timeout` (a transaction is rolled back).",
                "minimum": 1,
                "maximum": MAX_TIMEOUT_MS,
                "default": DEFAULT_TIMEOUT.as_millis() as u64
            },
            "json_columns": {
                "type": "array",
                "title": "JSON columns",
                "description": "Names of result columns holding JSON text to parse into \
                                values (for databases that return JSON as text, e.g. MariaDB \
                                and SQLite). A value that is not valid JSON is an error.",
                "default": [],
                "items": {
                    "type": "string",
                    "title": "Column",
                    "description": "A result column name.",
                    "minLength": 1
                }
            }
        }),
        &["credential"],
    );
    schema["allOf"] = json!([{
        "if": {"properties": {"operation": {"const": "transaction"}}, "required": ["operation"]},
        "then": {"required": ["statements"]},
        "else": {"required": ["sql"]}
    }]);
    schema
}

/// Design-time problems of one SQL text.
fn sql_problems(pointer: &str, sql: &str, out: &mut Vec<ConfigProblem>) {
    if sql.trim().is_empty() {
        out.push(ConfigProblem {
            pointer: pointer.to_string(),
            message: "must not be empty".to_string(),
        });
    } else if Template::is_template(sql) {
        out.push(ConfigProblem {
            pointer: pointer.to_string(),
            message: "{{ }} is not rendered in SQL (it is sent as it is): pass values in \
                      `params` and use placeholders"
                .to_string(),
        });
    }
}

#[async_trait]
impl<D: Dialect> Node for SqlNode<D> {
    fn spec(&self) -> NodeSpec {
        NodeSpec {
            type_name: D::TYPE.to_string(),
            category: "db".to_string(),
            description: format!(
                "Runs SQL on {}: a query (rows as JSON), a statement (rows affected) or \
                 several statements in one transaction. Values are always bound as \
                 parameters; the SQL text is never template-rendered.",
                D::TITLE
            ),
            trigger: false,
            ports: Ports::main(),
            schema: schema::<D>(),
            filter_fields: Vec::new(),
            raw_fields: vec!["sql".to_string(), "statements".to_string()],
            default_retry: None,
        }
    }

    fn check_config(&self, config: &Value) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        let op = config.get("operation").and_then(Value::as_str);
        if let Some(sql) = config.get("sql").and_then(Value::as_str) {
            sql_problems("/sql", sql, &mut out);
            if op == Some("transaction") {
                out.push(ConfigProblem {
                    pointer: "/sql".to_string(),
                    message: "not used by a transaction: put the statements in `statements`"
                        .to_string(),
                });
            }
        }
        if config.get("statements").is_some() && op != Some("transaction") {
            out.push(ConfigProblem {
                pointer: "/statements".to_string(),
                message: "only used when `operation` is transaction".to_string(),
            });
        }
        if let Some(statements) = config.get("statements").and_then(Value::as_array) {
            for (i, s) in statements.iter().enumerate() {
                if let Some(sql) = s.get("sql").and_then(Value::as_str) {
                    sql_problems(&format!("/statements/{i}/sql"), sql, &mut out);
                }
                if let Some(params) = s.get("params")
                    && let Err(errors) = ConfigTemplate::compile(params, &[])
                {
                    for e in errors {
                        out.push(ConfigProblem {
                            pointer: format!("/statements/{i}/params{}", e.pointer),
                            message: e.error.message,
                        });
                    }
                }
            }
        }
        out
    }

    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let config: SqlConfig = parse_config(D::TYPE, &input.config)?;
        let work = Work::<D>::plan(config)?;
        let url = connection_url(D::TYPE, &input, &work.credential).await?;
        let result = async {
            let pool = self.pool(&url)?;
            let deadline = Instant::now() + time_limit(work.timeout_ms, DEFAULT_TIMEOUT, &input);
            input
                .guarded(&host_of(&url), work.run(&pool, &input, deadline))
                .await
        }
        .await;
        match result {
            Ok(output) => Ok(NodeOutput::main(output)),
            Err(mut e) => {
                e.message = redact(&e.message, &url);
                Err(e)
            }
        }
    }
}

impl<D: Dialect> SqlNode<D> {
    /// The pool for `url`, made (without connecting) on first use.
    fn pool(&self, url: &str) -> Result<Pool<D::DB>, NodeError> {
        self.pools.get_or_insert(url, || {
            let options = D::connect_options(url).map_err(|m| {
                config_error(
                    D::TYPE,
                    "/credential",
                    format!(
                        "the credential's connection URL cannot be used: {} (expected e.g. {})",
                        redact(&m, url),
                        D::URL_EXAMPLE
                    ),
                )
            })?;
            Ok(PoolOptions::<D::DB>::new()
                .max_connections(POOL_SIZE)
                .min_connections(0)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .idle_timeout(Some(Duration::from_secs(60)))
                .max_lifetime(Some(Duration::from_secs(30 * 60)))
                .connect_lazy_with(options))
        })
    }
}

/// A checked config, ready to run.
struct Work<D> {
    credential: String,
    operation: Operation,
    sql: String,
    params: Vec<Value>,
    statements: Vec<StatementConfig>,
    limits: Limits,
    timeout_ms: Option<u64>,
    dialect: PhantomData<fn() -> D>,
}

impl<D: Dialect> Work<D> {
    /// The config's fields for its operation, or a `config` error naming the one that is
    /// missing or out of place.
    fn plan(config: SqlConfig) -> Result<Self, NodeError> {
        let err = |pointer: &str, message: &str| config_error(D::TYPE, pointer, message);
        if config.max_rows == 0 || config.max_rows > MAX_ROWS {
            return Err(err(
                "/max_rows",
                &format!("must be between 1 and {MAX_ROWS}"),
            ));
        }
        if config
            .timeout_ms
            .is_some_and(|t| t == 0 || t > MAX_TIMEOUT_MS)
        {
            return Err(err(
                "/timeout_ms",
                &format!("must be between 1 and {MAX_TIMEOUT_MS}"),
            ));
        }
        let (sql, statements) = match config.operation {
            Operation::Transaction => {
                if config.sql.is_some() {
                    return Err(err(
                        "/sql",
                        "not used by a transaction: put the statements in `statements`",
                    ));
                }
                if !config.params.is_empty() {
                    return Err(err(
                        "/params",
                        "not used by a transaction: each statement has its own `params`",
                    ));
                }
                let statements = config.statements.unwrap_or_default();
                if statements.is_empty() {
                    return Err(err(
                        "/statements",
                        "a transaction needs at least one statement",
                    ));
                }
                if statements.len() > MAX_STATEMENTS {
                    return Err(err(
                        "/statements",
                        &format!("at most {MAX_STATEMENTS} statements"),
                    ));
                }
                for (i, s) in statements.iter().enumerate() {
                    if s.sql.trim().is_empty() {
                        return Err(err(&format!("/statements/{i}/sql"), "must not be empty"));
                    }
                }
                (String::new(), statements)
            }
            Operation::Query | Operation::Execute => {
                if config.statements.is_some() {
                    return Err(err(
                        "/statements",
                        "only used when `operation` is transaction",
                    ));
                }
                match config.sql {
                    Some(sql) if !sql.trim().is_empty() => (sql, Vec::new()),
                    Some(_) => return Err(err("/sql", "must not be empty")),
                    None => return Err(err("/sql", "required field is missing")),
                }
            }
        };
        if config.params.len() > MAX_PARAMS {
            return Err(err("/params", &format!("at most {MAX_PARAMS} values")));
        }
        Ok(Self {
            credential: config.credential,
            operation: config.operation,
            sql,
            params: config.params,
            statements,
            limits: Limits {
                max_rows: config.max_rows,
                json_columns: config.json_columns,
                bytes: AtomicUsize::new(0),
            },
            timeout_ms: config.timeout_ms,
            dialect: PhantomData,
        })
    }

    async fn run(
        self,
        pool: &Pool<D::DB>,
        input: &NodeInput,
        deadline: Instant,
    ) -> Result<Value, NodeError> {
        let mut conn = acquire::<D>(pool, deadline).await?;
        let outcome = match self.operation {
            Operation::Query | Operation::Execute => {
                let read = if self.operation == Operation::Query {
                    Read::Rows
                } else {
                    Read::Discard
                };
                let run = async {
                    limit_server_side::<D>(&mut *conn, deadline).await?;
                    run_statement::<D>(&mut *conn, &self.sql, self.params, "", &self.limits, read)
                        .await
                };
                match tokio::time::timeout_at(deadline, run).await {
                    Ok(Ok(outcome)) => {
                        if !outcome.complete {
                            conn.close_on_drop();
                        }
                        Ok(if self.operation == Operation::Query {
                            outcome.query_output()
                        } else {
                            outcome.execute_output()
                        })
                    }
                    Ok(Err(e)) => Err(e),
                    Err(_) => Err(timed_out::<D>()),
                }
            }
            Operation::Transaction => {
                let run = async {
                    limit_server_side::<D>(&mut *conn, deadline).await?;
                    transaction::<D>(&mut conn, &self.statements, input, &self.limits).await
                };
                match tokio::time::timeout_at(deadline, run).await {
                    Ok(r) => r.map(|results| json!({ "results": results })),
                    Err(_) => Err(timed_out::<D>()),
                }
            }
        };
        if outcome
            .as_ref()
            .is_err_and(|e| matches!(e.kind, ErrorKind::Transient | ErrorKind::Timeout))
        {
            // It may be broken or still busy: do not hand it to the next activation.
            conn.close_on_drop();
        }
        outcome
    }
}

/// Sets the server-side statement time limit to what is left of the call's (a little less,
/// so the server stops the statement before the client gives up on the connection).
async fn limit_server_side<D: Dialect>(
    conn: &mut Conn<D>,
    deadline: Instant,
) -> Result<(), NodeError> {
    let left = deadline
        .saturating_duration_since(Instant::now())
        .as_millis() as u64;
    if let Some(sql) = D::statement_timeout_sql(left.saturating_sub(20).max(1)) {
        let limits = Limits {
            max_rows: 0,
            json_columns: Vec::new(),
            bytes: AtomicUsize::new(0),
        };
        run_statement::<D>(conn, &sql, Vec::new(), "", &limits, Read::Discard).await?;
    }
    Ok(())
}

fn timed_out<D: Dialect>() -> NodeError {
    NodeError::timeout(format!(
        "{} did not finish within the time limit (timeout_ms)",
        D::TYPE
    ))
}

/// A connection from the pool, or a `transient` error that holds no URL.
async fn acquire<D: Dialect>(
    pool: &Pool<D::DB>,
    deadline: Instant,
) -> Result<PoolConnection<D::DB>, NodeError> {
    let unreachable = || {
        NodeError::transient(format!(
            "could not get a connection to the {} server in time: it is down or \
             unreachable, or all {POOL_SIZE} pooled connections are busy",
            D::TITLE
        ))
    };
    match tokio::time::timeout_at(deadline, pool.acquire()).await {
        Err(_) => Err(unreachable()),
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(e)) => Err(match e {
            sqlx::Error::PoolTimedOut => unreachable(),
            sqlx::Error::Database(db) => {
                let mut e = database_error::<D>(db.as_ref());
                e.message = format!("{} refused the connection: {}", D::TITLE, db.message());
                e
            }
            sqlx::Error::Configuration(m) => config_error(
                D::TYPE,
                "/credential",
                format!("the credential's connection URL cannot be used: {m}"),
            ),
            sqlx::Error::Io(io) => NodeError::transient(format!(
                "cannot connect to the {} server: {}",
                D::TITLE,
                io.kind()
            )),
            sqlx::Error::Tls(_) => NodeError::transient(format!(
                "cannot connect to the {} server: the TLS handshake failed",
                D::TITLE
            )),
            other => NodeError::transient(format!(
                "cannot connect to the {} server: {other}",
                D::TITLE
            )),
        }),
    }
}

/// Runs `statements` in one transaction; rolls back on any failure.
async fn transaction<D: Dialect>(
    conn: &mut PoolConnection<D::DB>,
    statements: &[StatementConfig],
    input: &NodeInput,
    limits: &Limits,
) -> Result<Vec<Value>, NodeError> {
    let mut tx = Connection::begin(&mut **conn)
        .await
        .map_err(classify::<D>)?;
    let mut context = match &input.context {
        Value::Object(o) => o.clone(),
        _ => Map::new(),
    };
    context.insert("results".to_string(), json!([]));
    let mut context = Value::Object(context);
    let mut failed = None;
    for (i, statement) in statements.iter().enumerate() {
        let at = format!("/statements/{i}");
        let step = async {
            let params = render_params::<D>(&statement.params, &context, &at)?;
            run_statement::<D>(&mut *tx, &statement.sql, params, &at, limits, Read::Drain).await
        }
        .await;
        match step {
            Ok(outcome) => {
                if let Some(results) = context["results"].as_array_mut() {
                    results.push(outcome.statement_output());
                }
            }
            Err(e) => {
                failed = Some(at_statement(e, i, statements.len()));
                break;
            }
        }
    }
    if let Some(e) = failed {
        // Best effort: if the rollback cannot be sent, the connection is closed (the error
        // path closes connections on transient errors) and the server rolls back.
        let _ = tx.rollback().await;
        return Err(e);
    }
    tx.commit().await.map_err(classify::<D>)?;
    match context["results"].take() {
        Value::Array(results) => Ok(results),
        _ => Ok(Vec::new()),
    }
}

/// A statement's error, saying which statement it was.
fn at_statement(mut e: NodeError, index: usize, count: usize) -> NodeError {
    if e.kind != ErrorKind::Config {
        e.message = format!(
            "statement {index} of {count} failed (the transaction was rolled back): {}",
            e.message
        );
    } else {
        e.message = format!("{} (the transaction was rolled back)", e.message);
    }
    let mut details = match e.details.take() {
        Some(Value::Object(o)) => o,
        _ => Map::new(),
    };
    details.insert("statement".to_string(), json!(index));
    e.details = Some(Value::Object(details));
    e
}

/// A statement's `params` rendered against the context (with `.results`).
fn render_params<D: Dialect>(
    params: &[Value],
    context: &Value,
    at: &str,
) -> Result<Vec<Value>, NodeError> {
    let raw = Value::Array(params.to_vec());
    let template = ConfigTemplate::compile(&raw, &[]).map_err(|errors| {
        let e = &errors[0];
        config_error(
            D::TYPE,
            &format!("{at}/params{}", e.pointer),
            &e.error.message,
        )
    })?;
    match template.render(context) {
        Ok(Value::Array(values)) => Ok(values),
        Ok(_) => Ok(Vec::new()),
        Err(e) => Err(config_error(
            D::TYPE,
            &format!("{at}/params{}", e.pointer),
            e.error.message,
        )),
    }
}

/// Runs one statement on `conn` and reads its result as `read` says.
async fn run_statement<D: Dialect>(
    conn: &mut Conn<D>,
    sql: &str,
    params: Vec<Value>,
    at: &str,
    limits: &Limits,
    read: Read,
) -> Result<Outcome, NodeError> {
    let mut query =
        sqlx::query::<D::DB>(AssertSqlSafe(sql.to_string())).persistent(D::CACHE_STATEMENTS);
    for (i, value) in params.into_iter().enumerate() {
        query = D::bind(query, value)
            .map_err(|m| config_error(D::TYPE, &format!("{at}/params/{i}"), m))?;
    }
    let mut stream = D::fetch_many(conn, query);
    let mut out = Outcome::default();
    let mut names: Option<Vec<String>> = None;
    while let Some(step) = stream.next().await {
        match step.map_err(classify::<D>)? {
            Either::Left(result) => {
                out.rows_affected += D::rows_affected(&result);
                if let Some(id) = D::last_insert_id(sql, &result) {
                    out.last_insert_id = Some(id);
                }
            }
            Either::Right(row) => {
                if read == Read::Discard {
                    continue;
                }
                if out.rows.len() >= limits.max_rows {
                    out.truncated = true;
                    if read == Read::Rows {
                        return Ok(out);
                    }
                    continue;
                }
                let names = names.get_or_insert_with(|| column_names(&row));
                let (value, size) = row_to_json::<D>(&row, names, &limits.json_columns)?;
                let total = limits.bytes.fetch_add(size, Ordering::Relaxed) + size;
                if total > MAX_RESULT_BYTES {
                    return Err(NodeError::permanent(format!(
                        "the result is larger than {} MiB after {} rows: select fewer rows \
                         or columns (max_rows)",
                        MAX_RESULT_BYTES / (1024 * 1024),
                        out.rows.len()
                    )));
                }
                out.rows.push(value);
            }
        }
    }
    out.complete = true;
    Ok(out)
}

/// Column names, with repeats made unique (`id`, `id_2`, …).
fn column_names<R: Row>(row: &R) -> Vec<String> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    row.columns()
        .iter()
        .map(|c| {
            let n = seen.entry(c.name()).or_insert(0);
            *n += 1;
            if *n == 1 {
                c.name().to_string()
            } else {
                format!("{}_{n}", c.name())
            }
        })
        .collect()
}

fn row_to_json<D: Dialect>(
    row: &<D::DB as Database>::Row,
    names: &[String],
    json_columns: &[String],
) -> Result<(Value, usize), NodeError> {
    let mut obj = Map::with_capacity(names.len());
    let mut bytes = 0;
    for (i, column) in row.columns().iter().enumerate() {
        let name = names
            .get(i)
            .cloned()
            .unwrap_or_else(|| column.name().to_string());
        let mut value =
            D::decode(row, i).map_err(|m| NodeError::permanent(format!("column `{name}`: {m}")))?;
        if json_columns.iter().any(|c| c == column.name())
            && let Value::String(text) = &value
        {
            value = serde_json::from_str(text).map_err(|e| {
                NodeError::permanent(format!(
                    "column `{name}` is listed in json_columns but does not hold JSON: {e}"
                ))
            })?;
        }
        bytes += approximate_size(&value) + name.len() + 4;
        obj.insert(name, value);
    }
    Ok((Value::Object(obj), bytes))
}

fn approximate_size(v: &Value) -> usize {
    match v {
        Value::String(s) => s.len() + 2,
        Value::Array(a) => a.iter().map(approximate_size).sum::<usize>() + 2,
        Value::Object(o) => o
            .iter()
            .map(|(k, v)| k.len() + 4 + approximate_size(v))
            .sum(),
        _ => 8,
    }
}

/// A failed statement as a `NodeError` of the right kind.
fn classify<D: Dialect>(e: sqlx::Error) -> NodeError {
    match e {
        sqlx::Error::Database(db) => database_error::<D>(db.as_ref()),
        sqlx::Error::Io(io) => NodeError::transient(format!(
            "lost the connection to the {} server: {}",
            D::TITLE,
            io.kind()
        )),
        sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => NodeError::transient(format!(
            "lost the connection to the {} server: {e}",
            D::TITLE
        )),
        other => NodeError::permanent(format!("{}: {other}", D::TITLE)),
    }
}

/// A database's refusal: `permanent` (or `transient` when a retry may help) with the
/// SQLSTATE, the constraint and the table in the details.
fn database_error<D: Dialect>(db: &dyn DatabaseError) -> NodeError {
    let code = db.code().map(|c| c.into_owned());
    let kind = match db.kind() {
        DbErrorKind::UniqueViolation => "unique_violation",
        DbErrorKind::ForeignKeyViolation => "foreign_key_violation",
        DbErrorKind::NotNullViolation => "not_null_violation",
        DbErrorKind::CheckViolation => "check_violation",
        DbErrorKind::ExclusionViolation => "exclusion_violation",
        _ => "other",
    };
    let mut details = json!({"code": code, "kind": kind});
    if let Some(c) = db.constraint() {
        details["constraint"] = json!(c);
    }
    if let Some(t) = db.table() {
        details["table"] = json!(t);
    }
    let message = format!("{} rejected the statement: {}", D::TITLE, db.message());
    let error = if D::retryable(db) {
        NodeError::transient(message)
    } else if code.as_deref() == Some("57014") {
        // PostgreSQL's query_canceled: the statement_timeout set from timeout_ms.
        NodeError::timeout(format!(
            "{} stopped the statement at the time limit (timeout_ms): {}",
            D::TITLE,
            db.message()
        ))
    } else {
        NodeError::permanent(message)
    };
    error.with_details(details)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_is_described_for_each_dialect() {
        fn walk(path: &str, schema: &Value) {
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (name, p) in props {
                    let at = format!("{path}/{name}");
                    assert!(p["title"].is_string(), "{at} title");
                    assert!(p["description"].is_string(), "{at} description");
                    walk(&at, p);
                }
            }
            if let Some(items) = schema.get("items") {
                assert!(items["title"].is_string(), "{path}[] title");
                assert!(items["description"].is_string(), "{path}[] description");
                walk(&format!("{path}[]"), items);
            }
        }
        walk("postgres", &schema::<Postgres>());
        walk("mysql", &schema::<MySql>());
        walk("sqlite", &schema::<Sqlite>());
    }

    #[test]
    fn design_time_checks_name_the_field() {
        let node = PostgresNode::default();
        let p = node.check_config(&json!({
            "credential": "pg",
            "sql": "SELECT * FROM t WHERE id = {{ .input.id }}"
        }));
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].pointer, "/sql");
        assert!(p[0].message.contains("params"), "{}", p[0].message);

        let p = node.check_config(&json!({
            "credential": "pg",
            "operation": "transaction",
            "sql": "SELECT 1",
            "statements": [{"sql": " "}, {"sql": "SELECT $1", "params": ["{{ .input. }}"]}]
        }));
        let pointers: Vec<&str> = p.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            vec!["/sql", "/statements/0/sql", "/statements/1/params/0"]
        );
        assert!(
            node.check_config(
                &json!({"credential": "pg", "sql": "SELECT $1", "params": ["{{ .input.x }}"]})
            )
            .is_empty()
        );
    }

    #[test]
    fn plans_name_the_missing_or_misplaced_field() {
        let plan = |c: Value| {
            Work::<Postgres>::plan(serde_json::from_value(c).unwrap())
                .err()
                .map(|e| e.message)
        };
        assert!(
            plan(json!({"credential": "c"}))
                .unwrap()
                .contains("/sql: required")
        );
        assert!(
            plan(json!({"credential": "c", "operation": "transaction"}))
                .unwrap()
                .contains("/statements")
        );
        assert!(
            plan(json!({"credential": "c", "sql": "x", "statements": []}))
                .unwrap()
                .contains("/statements: only used")
        );
        assert!(
            plan(json!({"credential": "c", "sql": "x", "max_rows": 0}))
                .unwrap()
                .contains("/max_rows")
        );
        assert!(plan(json!({"credential": "c", "sql": "x"})).is_none());
    }
}

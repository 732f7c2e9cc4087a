//! The database node types, run through the registry as the engine runs them, against the
//! real services on 127.0.0.1: PostgreSQL (a fresh database per test), MariaDB (a uniquely
//! named database per test, dropped after), SQLite (a file in a temporary directory) and
//! Redis (unique key prefixes, deleted after).

use serde_json::{Value, json};
use std::time::Duration;
use weft_core::catalog::NodeCatalog;
use weft_core::{ErrorKind, NodeError};
use weft_nodes::testing::TestInput;
use weft_nodes::{NodeOptions, Registry};
use weft_test_support::tls::{TestCa, TlsServerProcess};
use weft_test_support::{PgDatabase, eventually};

fn registry() -> Registry {
    Registry::builtin(NodeOptions::default()).expect("built-in registry")
}

/// One node type with a credential named `db`, on one registry (so its pools are reused
/// from run to run, as in a server).
struct Db {
    registry: Registry,
    type_name: &'static str,
    credential: Value,
}

impl Db {
    fn new(type_name: &'static str, url: &str) -> Self {
        Self {
            registry: registry(),
            type_name,
            credential: json!(url),
        }
    }

    async fn run_input(&self, input: TestInput) -> Result<Value, NodeError> {
        let spec = self.registry.spec(self.type_name).expect("known type");
        let input = input
            .credential("db", self.credential.clone())
            .build(spec)
            .map_err(NodeError::from)?;
        self.registry
            .run(self.type_name, input)
            .await
            .map(|o| o.output)
    }

    async fn run(&self, config: Value) -> Result<Value, NodeError> {
        self.run_input(TestInput::new(config)).await
    }

    /// `operation: execute`; panics on failure.
    async fn exec(&self, sql: &str, params: Value) -> Value {
        self.run(json!({"credential": "db", "operation": "execute", "sql": sql, "params": params}))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// `operation: query`'s rows; panics on failure.
    async fn rows(&self, sql: &str, params: Value) -> Vec<Value> {
        let out = self
            .run(json!({"credential": "db", "sql": sql, "params": params}))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        out["rows"].as_array().expect("rows").clone()
    }

    /// The placeholder for parameter `n` (1-based).
    fn ph(&self, n: usize) -> String {
        if self.type_name == "db.postgres" {
            format!("${n}")
        } else {
            "?".to_string()
        }
    }
}

#[track_caller]
fn assert_error(result: Result<Value, NodeError>, kind: ErrorKind, needle: &str) -> NodeError {
    let e = result.expect_err("should fail");
    assert_eq!(e.kind, kind, "{e}");
    assert!(
        e.message.contains(needle),
        "{needle:?} not in {}",
        e.message
    );
    e
}

// ---------------------------------------------------------------------------------------
// Fixtures: MariaDB database, SQLite file, Redis keys.

const MY_ADMIN: &str = "mysql://root@127.0.0.1:3306/test";

/// A fresh MariaDB database on 127.0.0.1:3306, dropped with the guard.
struct MariaDb {
    url: String,
    name: String,
}

impl MariaDb {
    async fn create() -> Self {
        use sqlx::Connection;
        let name = format!("weft_it_{}", uuid::Uuid::new_v4().simple());
        let mut c = sqlx::MySqlConnection::connect(MY_ADMIN)
            .await
            .expect("MariaDB on 127.0.0.1:3306");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut c)
            .await
            .expect("create database");
        Self {
            url: format!("mysql://root@127.0.0.1:3306/{name}"),
            name,
        }
    }
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // From a fresh runtime on its own thread: the test's runtime may be gone.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                use sqlx::Connection;
                if let Ok(mut c) = sqlx::MySqlConnection::connect(MY_ADMIN).await {
                    let sql = format!("DROP DATABASE IF EXISTS {name}");
                    let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut c).await;
                }
            });
        })
        .join();
    }
}

/// A SQLite database file in a temporary directory (removed with the guard).
struct SqliteFile {
    url: String,
    _dir: tempfile::TempDir,
}

impl SqliteFile {
    fn create() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("test.db");
        Self {
            url: format!("sqlite://{}?mode=rwc", path.display()),
            _dir: dir,
        }
    }
}

// ---------------------------------------------------------------------------------------
// The same behaviour on every SQL database.

/// Table, params (with templates), the SQL never rendered, values always bound, a rolled
/// back transaction, a transaction using earlier results, truncation, and bad configs.
async fn common_suite(db: &Db) {
    let ph = |n| db.ph(n);
    db.exec(
        "CREATE TABLE items (id BIGINT PRIMARY KEY, name VARCHAR(200) NOT NULL UNIQUE, \
         qty INT, note TEXT)",
        json!([]),
    )
    .await;

    // Insert with params; a template in params is rendered, null goes into an INT column.
    let insert = format!(
        "INSERT INTO items (id, name, qty, note) VALUES ({}, {}, {}, {})",
        ph(1),
        ph(2),
        ph(3),
        ph(4)
    );
    let out = db
        .run_input(
            TestInput::new(json!({
                "credential": "db", "operation": "execute", "sql": insert,
                "params": [1, "{{ .input.name }}", null, "first"]
            }))
            .input(json!({"name": "apple"})),
        )
        .await
        .expect("insert");
    assert_eq!(out["rows_affected"], 1, "{out}");

    // SECURITY: an injection attempt in a value is stored verbatim; the table survives.
    let evil = "x'); DROP TABLE items; --";
    let out = db
        .exec(
            &insert,
            json!([2, evil, 5, "Robert'); DROP TABLE items;--"]),
        )
        .await;
    assert_eq!(out["rows_affected"], 1);
    let rows = db
        .rows(
            &format!(
                "SELECT id, name, qty, note FROM items WHERE name = {}",
                ph(1)
            ),
            json!([evil]),
        )
        .await;
    assert_eq!(
        rows,
        vec![json!({"id": 2, "name": evil, "qty": 5, "note": "Robert'); DROP TABLE items;--"})]
    );
    let rows = db
        .rows(
            "SELECT id, name, qty, note FROM items ORDER BY id",
            json!([]),
        )
        .await;
    assert_eq!(rows.len(), 2, "the table still exists with both rows");
    assert_eq!(
        rows[0],
        json!({"id": 1, "name": "apple", "qty": null, "note": "first"})
    );

    // The SQL text is never rendered: {{ }} reaches the database as it is.
    let out = db
        .run_input(
            TestInput::new(json!({
                "credential": "db",
                "sql": "SELECT '{{ .input.x }}' AS v"
            }))
            .input(json!({"x": "1' OR '1'='1"})),
        )
        .await
        .expect("raw sql");
    assert_eq!(out["rows"], json!([{"v": "{{ .input.x }}"}]));

    // A transaction whose second statement fails leaves nothing behind.
    let e = db
        .run(json!({
            "credential": "db",
            "operation": "transaction",
            "statements": [
                {"sql": insert, "params": [10, "committed?", 1, null]},
                {"sql": insert, "params": [11, "apple", 1, null]}
            ]
        }))
        .await
        .expect_err("unique violation");
    assert_eq!(e.kind, ErrorKind::Permanent, "{e}");
    assert!(e.message.contains("statement 1 of 2"), "{}", e.message);
    assert!(e.message.contains("rolled back"), "{}", e.message);
    let details = e.details.expect("details");
    assert_eq!(details["statement"], 1);
    assert_eq!(details["kind"], "unique_violation", "{details}");
    assert!(details["code"].is_string(), "{details}");
    let rows = db
        .rows(
            &format!("SELECT COUNT(*) AS n FROM items WHERE id = {}", ph(1)),
            json!([10]),
        )
        .await;
    assert_eq!(rows[0]["n"], 0, "the first statement was rolled back");

    // A transaction whose statements use earlier results.
    let out = db
        .run(json!({
            "credential": "db",
            "operation": "transaction",
            "statements": [
                {"sql": "SELECT MAX(id) AS m FROM items"},
                {"sql": insert, "params": ["{{ .results[0].rows[0].m + 100 }}", "derived", 0, null]}
            ]
        }))
        .await
        .expect("transaction");
    let results = out["results"].as_array().expect("results");
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["rows"], json!([{"m": 2}]));
    assert_eq!(results[1]["rows_affected"], 1);
    let rows = db
        .rows("SELECT id FROM items WHERE name = 'derived'", json!([]))
        .await;
    assert_eq!(rows, vec![json!({"id": 102})]);

    // max_rows: the rest is not returned, and the pool still works afterwards.
    let series = "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 50) \
                  SELECT n FROM s";
    let out = db
        .run(json!({"credential": "db", "sql": series, "max_rows": 5}))
        .await
        .expect("series");
    assert_eq!(out["row_count"], 5);
    assert_eq!(out["truncated"], true);
    assert_eq!(out["rows"][4], json!({"n": 5}));
    for _ in 0..6 {
        // More runs than pooled connections: a truncated read must not leave one stuck.
        let out = db
            .run(json!({"credential": "db", "sql": series, "max_rows": 100}))
            .await
            .expect("series again");
        assert_eq!(out["row_count"], 50);
        assert_eq!(out["truncated"], false);
    }

    // A transaction reads past max_rows (to finish the statement) but keeps only max_rows.
    let out = db
        .run(json!({
            "credential": "db", "operation": "transaction", "max_rows": 3,
            "statements": [{"sql": series}]
        }))
        .await
        .expect("transaction series");
    assert_eq!(out["results"][0]["row_count"], 3);
    assert_eq!(out["results"][0]["truncated"], true);

    // SQL the database rejects: permanent, with the database's code.
    let e = db
        .run(json!({"credential": "db", "sql": "SELEC nonsense"}))
        .await
        .expect_err("syntax error");
    assert_eq!(e.kind, ErrorKind::Permanent, "{e}");
    assert!(
        e.details.as_ref().is_some_and(|d| d["code"].is_string()),
        "{e:?}"
    );

    bad_configs(db).await;
}

async fn bad_configs(db: &Db) {
    // No sql.
    let e = assert_error(
        db.run(json!({"credential": "db", "operation": "query"}))
            .await,
        ErrorKind::Config,
        "/sql",
    );
    assert!(e.message.contains("required"), "{}", e.message);
    // A transaction without statements.
    assert_error(
        db.run(json!({"credential": "db", "operation": "transaction"}))
            .await,
        ErrorKind::Config,
        "/statements",
    );
    // An operation that does not exist.
    assert_error(
        db.run(json!({"credential": "db", "operation": "upsert", "sql": "SELECT 1"}))
            .await,
        ErrorKind::Config,
        "/operation",
    );
    // max_rows out of range.
    assert_error(
        db.run(json!({"credential": "db", "sql": "SELECT 1", "max_rows": 1_000_000}))
            .await,
        ErrorKind::Config,
        "/max_rows",
    );
    // params must render to an array.
    assert_error(
        db.run_input(
            TestInput::new(
                json!({"credential": "db", "sql": "SELECT 1", "params": "{{ .input }}"}),
            )
            .input(json!({"a": 1})),
        )
        .await,
        ErrorKind::Config,
        "/params",
    );
    // A credential nobody has.
    let e = assert_error(
        db.run(json!({"credential": "nope", "sql": "SELECT 1"}))
            .await,
        ErrorKind::Config,
        "/credential",
    );
    assert!(e.message.contains("`nope` does not exist"), "{}", e.message);

    // Design time: the same problems, with pointers, plus SQL that holds templates.
    let problems = db.registry.check_config(
        db.type_name,
        &json!({"credential": "db", "operation": "upsert", "sql": "SELECT {{ .input.id }}"}),
    );
    let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
    assert!(pointers.contains(&"/operation"), "{problems:?}");
    assert!(pointers.contains(&"/sql"), "{problems:?}");
    let problems = db
        .registry
        .check_config(db.type_name, &json!({"credential": "db"}));
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].pointer, "/sql");
    let problems = db.registry.check_config(
        db.type_name,
        &json!({"credential": "db", "operation": "transaction"}),
    );
    assert_eq!(problems[0].pointer, "/statements", "{problems:?}");
    assert!(
        db.registry
            .check_config(
                db.type_name,
                &json!({"credential": "db", "sql": "SELECT 1", "params": ["{{ .input.x }}"]})
            )
            .is_empty()
    );
}

// ---------------------------------------------------------------------------------------
// PostgreSQL

#[tokio::test]
async fn postgres_statements_transactions_limits_and_errors() {
    let pg = PgDatabase::create().await;
    let db = Db::new("db.postgres", &pg.url);
    common_suite(&db).await;
}

#[tokio::test]
async fn postgres_values_decode_to_json() {
    let pg = PgDatabase::create().await;
    let db = Db::new("db.postgres", &pg.url);
    let rows = db
        .rows(
            r#"SELECT 1::int2 AS i2, 2::int4 AS i4, 9007199254740993::int8 AS i8,
                      1.5::float8 AS f8, 1.1::float4 AS f4, 12345.678::numeric AS num,
                      (-0.5)::numeric(10,3) AS neg, 'héllo'::text AS t, 'ab'::char(3) AS c,
                      true AS b, '{"a":[1,2]}'::jsonb AS jb, '{"x":1}'::json AS j,
                      '2024-03-09 14:05:06.5+00'::timestamptz AS tstz,
                      '2024-03-09 14:05:06'::timestamp AS ts, '2024-03-09'::date AS d,
                      '14:05:06'::time AS tm, '\x00ff'::bytea AS by,
                      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS u,
                      ARRAY[1, 2, NULL]::int4[] AS arr, ARRAY['a', 'b'] AS tarr,
                      ARRAY[[1.5, 2], [3, 4]]::numeric[] AS marr,
                      NULL::text AS n, interval '1 day 2 hours' AS iv,
                      $1::uuid AS pu, $2::jsonb AS pj, $3::float8 AS pf, $4::bool AS pb,
                      1 AS dup, 2 AS dup"#,
            json!(["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", {"k": [1, "two"]}, 0.25, true]),
        )
        .await;
    assert_eq!(
        rows[0],
        json!({
            "i2": 1, "i4": 2, "i8": 9007199254740993_i64, "f8": 1.5, "f4": 1.1,
            "num": "12345.678", "neg": "-0.500", "t": "héllo", "c": "ab ", "b": true,
            "jb": {"a": [1, 2]}, "j": {"x": 1},
            "tstz": "2024-03-09T14:05:06.5Z", "ts": "2024-03-09T14:05:06",
            "d": "2024-03-09", "tm": "14:05:06", "by": "AP8=",
            "u": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            "arr": [1, 2, null], "tarr": ["a", "b"], "marr": [["1.5", "2"], ["3", "4"]],
            "n": null, "iv": "P1DT2H",
            "pu": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "pj": {"k": [1, "two"]},
            "pf": 0.25, "pb": true, "dup": 1, "dup_2": 2
        })
    );

    // Objects bind as jsonb; a column type with no JSON form says how to cast it.
    db.exec(
        "CREATE TABLE docs (id serial PRIMARY KEY, body jsonb, addr inet)",
        json!([]),
    )
    .await;
    db.exec(
        "INSERT INTO docs (body, addr) VALUES ($1, '10.0.0.1')",
        json!([{"tags": ["x"], "n": 1}]),
    )
    .await;
    let rows = db.rows("SELECT body FROM docs", json!([])).await;
    assert_eq!(rows[0]["body"], json!({"tags": ["x"], "n": 1}));
    let e = assert_error(
        db.run(json!({"credential": "db", "sql": "SELECT addr FROM docs"}))
            .await,
        ErrorKind::Permanent,
        "column `addr`",
    );
    assert!(e.message.contains("::text"), "{}", e.message);
    let rows = db
        .rows("SELECT addr::text AS addr FROM docs", json!([]))
        .await;
    assert_eq!(rows[0]["addr"], "10.0.0.1/32");
}

/// The same SQL run again with values of other types (integer, float, null, JSON) binds
/// each run's own types: nothing is misread through a statement prepared for the first.
#[tokio::test]
async fn postgres_reruns_of_the_same_sql_bind_each_runs_types() {
    let pg = PgDatabase::create().await;
    let db = Db::new("db.postgres", &pg.url);
    db.exec("CREATE TABLE nums (v double precision)", json!([]))
        .await;
    for _ in 0..3 {
        for v in [json!(5), json!(5.5), Value::Null] {
            db.exec("INSERT INTO nums (v) VALUES ($1)", json!([v]))
                .await;
        }
    }
    let rows = db
        .rows("SELECT v FROM nums ORDER BY v NULLS LAST", json!([]))
        .await;
    let values: Vec<Value> = rows.iter().map(|r| r["v"].clone()).collect();
    assert_eq!(
        values,
        vec![
            json!(5.0),
            json!(5.0),
            json!(5.0),
            json!(5.5),
            json!(5.5),
            json!(5.5),
            Value::Null,
            Value::Null,
            Value::Null
        ]
    );
    for v in [json!(1), json!("two"), json!({"three": 3}), json!(4.5)] {
        let rows = db.rows("SELECT $1::text AS t", json!([v])).await;
        assert!(rows[0]["t"].is_string(), "{v}: {rows:?}");
    }
}

#[tokio::test]
async fn postgres_time_limits_end_slow_statements_and_the_pool_recovers() {
    let pg = PgDatabase::create().await;
    let db = Db::new("db.postgres", &pg.url);
    assert_error(
        db.run(json!({"credential": "db", "sql": "SELECT pg_sleep(5)", "timeout_ms": 300}))
            .await,
        ErrorKind::Timeout,
        "time limit",
    );
    let rows = db.rows("SELECT 1 AS one", json!([])).await;
    assert_eq!(rows, vec![json!({"one": 1})]);
}

#[tokio::test]
async fn postgres_connection_refused_is_transient_and_hides_the_password() {
    let db = Db {
        registry: registry(),
        type_name: "db.postgres",
        credential: json!({"url": "postgres://weft:hunter2-canary@127.0.0.1:1/app"}),
    };
    let e = assert_error(
        db.run(json!({"credential": "db", "sql": "SELECT 1", "timeout_ms": 1500}))
            .await,
        ErrorKind::Transient,
        "PostgreSQL",
    );
    assert!(!e.message.contains("hunter2"), "{}", e.message);
    assert!(!format!("{:?}", e.details).contains("hunter2"));

    // A URL of the wrong kind is a config error that does not echo it.
    let db = Db {
        registry: registry(),
        type_name: "db.postgres",
        credential: json!("mysql://weft:hunter2-canary@127.0.0.1:3306/app"),
    };
    let e = assert_error(
        db.run(json!({"credential": "db", "sql": "SELECT 1"})).await,
        ErrorKind::Config,
        "/credential",
    );
    assert!(!e.message.contains("hunter2"), "{}", e.message);
}

// ---------------------------------------------------------------------------------------
// MariaDB / MySQL

#[tokio::test]
async fn mysql_statements_transactions_limits_and_errors() {
    let my = MariaDb::create().await;
    let db = Db::new("db.mysql", &my.url);
    common_suite(&db).await;
}

#[tokio::test]
async fn mysql_values_decode_to_json() {
    let my = MariaDb::create().await;
    let db = Db::new("db.mysql", &my.url);
    db.exec(
        "CREATE TABLE types_t (id INT AUTO_INCREMENT PRIMARY KEY, i INT, bu BIGINT UNSIGNED, \
         f FLOAT, d DOUBLE, amount DECIMAL(10,3), b BOOLEAN, s VARCHAR(20), bin VARBINARY(4), \
         dt DATETIME(6), ts TIMESTAMP NULL, da DATE, tm TIME, j JSON, bits BIT(8))",
        json!([]),
    )
    .await;
    let out = db
        .exec(
            "INSERT INTO types_t (i, bu, f, d, amount, b, s, bin, dt, ts, da, tm, j, bits) \
             VALUES (?, ?, ?, ?, ?, ?, ?, X'00FF', ?, ?, ?, ?, ?, b'10000001')",
            json!([-5, 18446744073709551615_u64, 1.5, 2.25, "1234.5", true, "héllo",
                   "2024-03-09 14:05:06.5", "2024-03-09 14:05:06", "2024-03-09", "14:05:06",
                   {"a": [1, 2]}]),
        )
        .await;
    assert_eq!(out, json!({"rows_affected": 1, "last_insert_id": 1}));
    let out = db
        .run(json!({
            "credential": "db",
            "sql": "SELECT i, bu, f, d, amount, b, s, bin, dt, ts, da, tm, j, bits, \
                    NULL AS n FROM types_t",
            "json_columns": ["j"]
        }))
        .await
        .expect("select");
    assert_eq!(
        out["rows"][0],
        json!({
            "i": -5, "bu": 18446744073709551615_u64, "f": 1.5, "d": 2.25, "amount": "1234.500",
            "b": true, "s": "héllo", "bin": "AP8=", "dt": "2024-03-09T14:05:06.5",
            "ts": "2024-03-09T14:05:06Z", "da": "2024-03-09", "tm": "14:05:06",
            "j": {"a": [1, 2]}, "bits": 129, "n": null
        })
    );
    // json_columns on a column that does not hold JSON.
    assert_error(
        db.run(json!({"credential": "db", "sql": "SELECT s FROM types_t", "json_columns": ["s"]}))
            .await,
        ErrorKind::Permanent,
        "json_columns",
    );
}

#[tokio::test]
async fn mysql_connection_refused_is_transient_and_hides_the_password() {
    let db = Db {
        registry: registry(),
        type_name: "db.mysql",
        credential: json!({"url": "mysql://weft:hunter2-canary@127.0.0.1:1/app"}),
    };
    let e = assert_error(
        db.run(json!({"credential": "db", "sql": "SELECT 1", "timeout_ms": 1500}))
            .await,
        ErrorKind::Transient,
        "MySQL",
    );
    assert!(!e.message.contains("hunter2"), "{}", e.message);
}

// ---------------------------------------------------------------------------------------
// SQLite

#[tokio::test]
async fn sqlite_statements_transactions_limits_and_errors() {
    let file = SqliteFile::create();
    let db = Db::new("db.sqlite", &file.url);
    common_suite(&db).await;
}

#[tokio::test]
async fn sqlite_values_decode_to_json() {
    let file = SqliteFile::create();
    let db = Db::new("db.sqlite", &file.url);
    db.exec(
        "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, i INTEGER, r REAL, s TEXT, \
         b BLOB, flag BOOLEAN, j TEXT)",
        json!([]),
    )
    .await;
    let out = db
        .exec(
            "INSERT INTO t (i, r, s, b, flag, j) VALUES (?, ?, ?, X'00FF', ?, ?)",
            json!([7, 2.5, "héllo", true, {"a": 1}]),
        )
        .await;
    assert_eq!(out, json!({"rows_affected": 1, "last_insert_id": 1}));
    let out = db
        .run(json!({
            "credential": "db",
            "sql": "SELECT i, r, s, b, flag, j, NULL AS n FROM t",
            "json_columns": ["j"]
        }))
        .await
        .expect("select");
    assert_eq!(
        out["rows"][0],
        json!({"i": 7, "r": 2.5, "s": "héllo", "b": "AP8=", "flag": true, "j": {"a": 1},
               "n": null})
    );
    // An UPDATE reports no insert id.
    let out = db.exec("UPDATE t SET i = i + 1", json!([])).await;
    assert_eq!(out, json!({"rows_affected": 1}));

    // Results over the size limit fail rather than flood the execution's history.
    assert_error(
        db.run(json!({
            "credential": "db",
            "sql": "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 6) \
                    SELECT n, hex(randomblob(1000000)) AS h FROM s"
        }))
        .await,
        ErrorKind::Permanent,
        "larger than 10 MiB",
    );
}

#[tokio::test]
async fn sqlite_missing_file_and_bad_urls_are_clear() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("missing.db");
    let db = Db::new("db.sqlite", &format!("sqlite://{}", missing.display()));
    let e = db
        .run(json!({"credential": "db", "sql": "SELECT 1"}))
        .await
        .expect_err("no such file");
    assert_eq!(e.kind, ErrorKind::Permanent, "{e}");
    assert!(e.message.contains("SQLite"), "{}", e.message);
    assert!(!missing.exists(), "not created without mode=rwc");

    let db = Db::new("db.sqlite", "postgres://x@127.0.0.1/db");
    assert_error(
        db.run(json!({"credential": "db", "sql": "SELECT 1"})).await,
        ErrorKind::Config,
        "sqlite:",
    );
}

// ---------------------------------------------------------------------------------------
// Redis

const REDIS: &str = "redis://127.0.0.1:6379";

/// A direct client for checks and cleanup, and a unique key prefix.
struct RedisKeys {
    client: fred::prelude::Client,
    prefix: String,
}

impl RedisKeys {
    async fn new() -> Self {
        use fred::prelude::*;
        let client = Builder::from_config(Config::from_url(REDIS).expect("url"))
            .build()
            .expect("client");
        client.init().await.expect("Redis on 127.0.0.1:6379");
        Self {
            client,
            prefix: format!("weft_it:{}:", uuid::Uuid::new_v4().simple()),
        }
    }

    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    async fn cleanup(&self) {
        use fred::prelude::*;
        let keys: Vec<String> = self
            .client
            .custom(
                fred::types::CustomCommand::new_static("KEYS", None, false),
                vec![format!("{}*", self.prefix)],
            )
            .await
            .expect("keys");
        if !keys.is_empty() {
            let _: i64 = self.client.del(keys).await.expect("del");
        }
        let _ = self.client.quit().await;
    }
}

#[tokio::test]
async fn redis_strings_counters_and_expiry() {
    use fred::prelude::KeysInterface;
    let r = RedisKeys::new().await;
    let db = Db::new("db.redis", REDIS);
    let k = r.key("greeting");

    let out = db
        .run(json!({"credential": "db", "operation": "set", "key": k, "value": "hello"}))
        .await
        .expect("set");
    assert_eq!(out, json!({"key": k, "written": true}));
    let out = db
        .run(json!({"credential": "db", "operation": "get", "key": k}))
        .await
        .expect("get");
    assert_eq!(out, json!({"key": k, "exists": true, "value": "hello"}));

    // only_if_absent does not overwrite; a missing key reads as not existing.
    let out = db
        .run(
            json!({"credential": "db", "operation": "set", "key": k, "value": "other",
                    "only_if_absent": true}),
        )
        .await
        .expect("set nx");
    assert_eq!(out["written"], false);
    let out = db
        .run(json!({"credential": "db", "operation": "get", "key": r.key("none")}))
        .await
        .expect("get missing");
    assert_eq!(out["exists"], false);
    assert_eq!(out["value"], Value::Null);

    // JSON values, templates in key and value, ttl.
    let doc = r.key("doc");
    let out = db
        .run_input(
            TestInput::new(json!({
                "credential": "db", "operation": "set", "key": "{{ .input.key }}",
                "value": "{{ .input.doc }}", "ttl_ms": 60000
            }))
            .input(json!({"key": doc, "doc": {"n": 1, "tags": ["a"]}})),
        )
        .await
        .expect("set json");
    assert_eq!(out["written"], true);
    let stored: String = r.client.get(&doc).await.expect("raw get");
    assert_eq!(stored, r#"{"n":1,"tags":["a"]}"#);
    let ttl: i64 = r.client.pttl(&doc).await.expect("pttl");
    assert!(ttl > 50_000 && ttl <= 60_000, "{ttl}");
    let out = db
        .run(json!({"credential": "db", "operation": "get", "key": doc, "parse_json": true}))
        .await
        .expect("get json");
    assert_eq!(out["value"], json!({"n": 1, "tags": ["a"]}));

    // value_format json keeps strings distinguishable from numbers.
    let quoted = r.key("quoted");
    db.run(
        json!({"credential": "db", "operation": "set", "key": quoted, "value": "42",
                  "value_format": "json"}),
    )
    .await
    .expect("set json string");
    let out = db
        .run(json!({"credential": "db", "operation": "get", "key": quoted, "parse_json": true}))
        .await
        .expect("get");
    assert_eq!(out["value"], json!("42"));

    // incr, expire, del.
    let counter = r.key("counter");
    let out = db
        .run(json!({"credential": "db", "operation": "incr", "key": counter, "by": 5}))
        .await
        .expect("incr");
    assert_eq!(out, json!({"key": counter, "value": 5}));
    let out = db
        .run(json!({"credential": "db", "operation": "incr", "key": counter}))
        .await
        .expect("incr 1");
    assert_eq!(out["value"], 6);
    let out = db
        .run(json!({"credential": "db", "operation": "expire", "key": counter, "ttl_ms": 5000}))
        .await
        .expect("expire");
    assert_eq!(out, json!({"key": counter, "applied": true}));
    let ttl: i64 = r.client.pttl(&counter).await.expect("pttl");
    assert!(ttl > 0 && ttl <= 5000, "{ttl}");
    let out = db
        .run(
            json!({"credential": "db", "operation": "expire", "key": r.key("none"),
                    "ttl_ms": 5000}),
        )
        .await
        .expect("expire missing");
    assert_eq!(out["applied"], false);
    let out = db
        .run(json!({"credential": "db", "operation": "del", "key": counter}))
        .await
        .expect("del");
    assert_eq!(out, json!({"key": counter, "deleted": 1}));
    let out = db
        .run(json!({"credential": "db", "operation": "del", "key": counter}))
        .await
        .expect("del again");
    assert_eq!(out["deleted"], 0);

    // incr on a value that is not an integer: Redis refuses, permanently.
    assert_error(
        db.run(json!({"credential": "db", "operation": "incr", "key": k}))
            .await,
        ErrorKind::Permanent,
        "incr",
    );
    r.cleanup().await;
}

#[tokio::test]
async fn redis_hashes_lists_and_publish() {
    use fred::prelude::{ClientLike, EventInterface, PubsubInterface};
    let r = RedisKeys::new().await;
    let db = Db::new("db.redis", REDIS);

    let h = r.key("user");
    let out = db
        .run(json!({"credential": "db", "operation": "hset", "key": h,
                    "fields": {"name": "Ada", "prefs": {"dark": true}, "age": 36}}))
        .await
        .expect("hset");
    assert_eq!(out, json!({"key": h, "added": 3}));
    let out = db
        .run(
            json!({"credential": "db", "operation": "hget", "key": h, "field": "prefs",
                    "parse_json": true}),
        )
        .await
        .expect("hget");
    assert_eq!(
        out,
        json!({"key": h, "field": "prefs", "exists": true, "value": {"dark": true}})
    );
    let out = db
        .run(json!({"credential": "db", "operation": "hgetall", "key": h, "parse_json": true}))
        .await
        .expect("hgetall");
    assert_eq!(
        out["fields"],
        json!({"name": "Ada", "prefs": {"dark": true}, "age": 36})
    );
    assert_error(
        db.run(json!({"credential": "db", "operation": "hgetall", "key": h, "max_items": 2}))
            .await,
        ErrorKind::Permanent,
        "max_items",
    );
    // WRONGTYPE: a hash read as a string.
    assert_error(
        db.run(json!({"credential": "db", "operation": "get", "key": h}))
            .await,
        ErrorKind::Permanent,
        "WRONGTYPE",
    );

    let l = r.key("list");
    let out = db
        .run(json!({"credential": "db", "operation": "rpush", "key": l, "values": ["a", "b", {"c": 1}]}))
        .await
        .expect("rpush");
    assert_eq!(out, json!({"key": l, "length": 3}));
    let out = db
        .run(json!({"credential": "db", "operation": "lpush", "key": l, "value": "z"}))
        .await
        .expect("lpush");
    assert_eq!(out["length"], 4);
    let out = db
        .run(json!({"credential": "db", "operation": "lrange", "key": l, "parse_json": true}))
        .await
        .expect("lrange");
    assert_eq!(
        out,
        json!({"key": l, "items": ["z", "a", "b", {"c": 1}], "truncated": false})
    );
    let out = db
        .run(json!({"credential": "db", "operation": "lrange", "key": l, "max_items": 2}))
        .await
        .expect("lrange max");
    assert_eq!(out["items"], json!(["z", "a"]));
    assert_eq!(out["truncated"], true);
    let out = db
        .run(json!({"credential": "db", "operation": "lrange", "key": l, "start": -2}))
        .await
        .expect("lrange tail");
    assert_eq!(out["items"], json!(["b", "{\"c\":1}"]));
    let out = db
        .run(json!({"credential": "db", "operation": "lrange", "key": r.key("none")}))
        .await
        .expect("lrange missing");
    assert_eq!(out["items"], json!([]));

    // publish reaches a subscriber.
    let channel = r.key("events");
    let subscriber =
        fred::prelude::Builder::from_config(fred::prelude::Config::from_url(REDIS).expect("url"))
            .build()
            .expect("subscriber");
    subscriber.init().await.expect("subscriber connects");
    let mut messages = subscriber.message_rx();
    subscriber
        .subscribe(channel.as_str())
        .await
        .expect("subscribe");
    let out = db
        .run(
            json!({"credential": "db", "operation": "publish", "channel": channel,
                    "message": {"hello": "world"}}),
        )
        .await
        .expect("publish");
    assert_eq!(out, json!({"channel": channel, "receivers": 1}));
    let message = eventually(Duration::from_secs(5), "the published message", || {
        let next = messages.try_recv().ok();
        async move { next }
    })
    .await;
    assert_eq!(
        message.value.as_str().as_deref(),
        Some(r#"{"hello":"world"}"#)
    );
    let _ = subscriber.quit().await;
    r.cleanup().await;
}

#[tokio::test]
async fn redis_bad_configs_name_the_field() {
    let db = Db::new("db.redis", REDIS);
    assert_error(
        db.run(json!({"credential": "db", "operation": "get"}))
            .await,
        ErrorKind::Config,
        "/key",
    );
    assert_error(
        db.run(json!({"credential": "db", "operation": "fetch", "key": "k"}))
            .await,
        ErrorKind::Config,
        "/operation",
    );
    assert_error(
        db.run(json!({"credential": "db", "operation": "get", "key": "k", "ttl_ms": 5}))
            .await,
        ErrorKind::Config,
        "/ttl_ms: not used by operation get",
    );
    assert_error(
        db.run(json!({"credential": "db", "operation": "set", "key": "k"}))
            .await,
        ErrorKind::Config,
        "/value",
    );
    assert_error(
        db.run(json!({"credential": "db", "operation": "rpush", "key": "k"}))
            .await,
        ErrorKind::Config,
        "/value",
    );
    assert_error(
        db.run(json!({"credential": "db", "operation": "publish", "channel": "c"}))
            .await,
        ErrorKind::Config,
        "/message",
    );
    let e = assert_error(
        db.run(json!({"credential": "nope", "operation": "get", "key": "k"}))
            .await,
        ErrorKind::Config,
        "/credential",
    );
    assert!(e.message.contains("`nope` does not exist"), "{}", e.message);

    // Design time.
    let problems = db.registry.check_config(
        "db.redis",
        &json!({"credential": "db", "operation": "hget", "key": "k", "by": 2}),
    );
    let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
    assert!(pointers.contains(&"/field"), "{problems:?}");
    assert!(pointers.contains(&"/by"), "{problems:?}");
    assert!(
        db.registry
            .check_config(
                "db.redis",
                &json!({"credential": "db", "operation": "get", "key": "{{ .input.k }}"})
            )
            .is_empty()
    );
}

#[tokio::test]
async fn redis_connection_refused_is_transient_and_hides_the_password() {
    let db = Db::new("db.redis", "redis://:hunter2-canary@127.0.0.1:1/0");
    let e = assert_error(
        db.run(json!({"credential": "db", "operation": "get", "key": "k", "timeout_ms": 2000}))
            .await,
        ErrorKind::Transient,
        "Redis",
    );
    assert!(!e.message.contains("hunter2"), "{}", e.message);
}

#[tokio::test]
async fn redis_over_tls_with_a_private_ca() {
    let server = TlsServerProcess::redis();
    let url = format!("rediss://127.0.0.1:{}/0", server.port);
    let with_ca = |ca: &str| Db {
        credential: json!({"url": url, "ca_cert": ca}),
        ..Db::new("db.redis", &url)
    };
    let db = with_ca(&server.ca.ca_pem);
    let out = db
        .run(json!({"credential": "db", "operation": "set", "key": "tls-k", "value": "over tls"}))
        .await
        .expect("set over TLS");
    assert_eq!(out["written"], true);
    let out = db
        .run(json!({"credential": "db", "operation": "get", "key": "tls-k"}))
        .await
        .expect("get over TLS");
    assert_eq!(out["value"], "over tls");

    // The platform's roots alone, or another CA: refused for good, not retried.
    for db in [Db::new("db.redis", &url), with_ca(&TestCa::new().ca_pem)] {
        let e = assert_error(
            db.run(
                json!({"credential": "db", "operation": "get", "key": "tls-k", "timeout_ms": 5000}),
            )
            .await,
            ErrorKind::Permanent,
            "TLS",
        );
        assert!(e.message.contains("certificate"), "{}", e.message);
    }
    // A `ca_cert` that is not PEM names the credential, not its text.
    let e = assert_error(
        with_ca("not a certificate")
            .run(json!({"credential": "db", "operation": "get", "key": "tls-k"}))
            .await,
        ErrorKind::Config,
        "/credential",
    );
    assert!(e.message.contains("ca_cert"), "{}", e.message);
}

#[test]
fn every_db_type_is_registered_and_fully_described() {
    let r = registry();
    fn walk(path: &str, schema: &Value) {
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (name, p) in props {
                let at = format!("{path}/{name}");
                assert!(p["title"].is_string(), "{at} title");
                assert!(p["description"].is_string(), "{at} description");
                walk(&at, p);
            }
        }
        for key in ["items", "additionalProperties"] {
            if let Some(sub) = schema.get(key).filter(|s| s.is_object()) {
                assert!(sub["title"].is_string(), "{path}/{key} title");
                assert!(sub["description"].is_string(), "{path}/{key} description");
                walk(&format!("{path}/{key}"), sub);
            }
        }
    }
    for t in ["db.postgres", "db.mysql", "db.sqlite", "db.redis"] {
        let spec = r.spec(t).expect(t);
        assert!(!r.runs_inline(t), "{t} does IO");
        assert_eq!(spec.category, "db");
        walk(t, &spec.schema);
    }
    for t in ["db.postgres", "db.mysql", "db.sqlite"] {
        assert_eq!(r.spec(t).unwrap().raw_fields, vec!["sql", "statements"]);
    }
}

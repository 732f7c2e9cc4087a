//! Fixtures for the store test suite: every test gets a fresh, migrated database of its own,
//! removed again when the test ends (also when it panics), and a few builders for the records
//! the tests write.
//!
//! PostgreSQL is expected at `WEFT_TEST_POSTGRES_URL`, by default
//! `postgres://postgres@127.0.0.1:5432/test` (trust auth on the development machines); that
//! database is only used to create and drop the per-test ones.

use sqlx::{AssertSqlSafe, Connection, Executor, PgConnection};
use std::sync::Arc;
use tempfile::TempDir;
use weft_core::{Event, EventEnvelope, ExecutionId, ExecutionStatus, Millis, WorkflowId};
use weft_persistence::{Append, Database, NewExecution, Store};

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A store on a database of its own.
pub struct TestStore {
    /// The engine's face of `database`.
    pub store: Arc<dyn Store>,
    /// The whole database, for the access store's tests.
    pub database: Arc<dyn Database>,
    /// Opens another instance on the same database, as a second engine process would.
    pub url: String,
    // Declared last: dropped after the store, so its pool is gone first.
    _database: TestDatabase,
}

#[allow(
    dead_code,
    reason = "held only to be dropped: the directory or database goes with it"
)]
enum TestDatabase {
    Sqlite(TempDir),
    Postgres(PgDatabase),
}

/// A SQLite file in a directory of its own (one level down, so connecting has to create it).
pub async fn sqlite() -> TestStore {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let url = format!(
        "sqlite://{}",
        dir.path().join("data").join("weft.db").display()
    );
    let database = weft_persistence::connect_database(&url)
        .await
        .expect("open the sqlite store");
    assert_eq!(database.backend(), "sqlite");
    TestStore {
        store: database.clone(),
        database,
        url,
        _database: TestDatabase::Sqlite(dir),
    }
}

/// A PostgreSQL database named `weft_test_<random>`.
pub async fn postgres() -> TestStore {
    let admin_url =
        std::env::var("WEFT_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.into());
    let name = format!("weft_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = PgConnection::connect(&admin_url).await.unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is not reachable at {admin_url} ({e}); start it with \
             `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` \
             or point WEFT_TEST_POSTGRES_URL at another server"
        )
    });
    // The name is ours (a random hex suffix), not input: formatting it into DDL is safe, and
    // DDL cannot take bound parameters.
    admin
        .execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .expect("create the test database");
    let _ = admin.close().await;
    // From here on the guard drops the database, even if connecting fails.
    let pg_database = PgDatabase {
        admin_url: admin_url.clone(),
        name: name.clone(),
    };
    let (base, _) = admin_url
        .rsplit_once('/')
        .expect("the admin URL names a database");
    let url = format!("{base}/{name}");
    let database = weft_persistence::connect_database(&url)
        .await
        .expect("open the postgres store");
    assert_eq!(database.backend(), "postgres");
    TestStore {
        store: database.clone(),
        database,
        url,
        _database: TestDatabase::Postgres(pg_database),
    }
}

struct PgDatabase {
    admin_url: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs inside the test's runtime, which cannot block on another future: use a
        // thread with a runtime of its own. FORCE closes the store's pooled connections.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&admin_url).await?;
                admin
                    .execute(AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .await?;
                admin.close().await?;
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("could not drop test database {}: {e}", self.name),
            Err(_) => eprintln!(
                "could not drop test database {}: the cleanup thread panicked",
                self.name
            ),
        }
    }
}

// ---- builders --------------------------------------------------------------------------

pub const NOW: Millis = 1_700_000_000_000;

pub fn new_execution(workflow_id: WorkflowId) -> NewExecution {
    NewExecution {
        id: ExecutionId::new(),
        workflow_id,
        workflow_version: 1,
        input: serde_json::json!({"n": 1}),
        priority: 5,
        parent: None,
        idempotency_key: None,
        owner_epoch: 0,
        created_at: NOW,
        trigger: None,
        correlation_id: None,
    }
}

/// Creates a queued execution of a fresh workflow id and returns its id.
pub async fn create_execution(store: &dyn Store) -> ExecutionId {
    let (record, created) = store
        .create_execution(new_execution(WorkflowId::new()))
        .await
        .expect("create execution");
    assert!(created);
    record.id
}

/// `count` `CancelRequested` events continuing from `after`: the simplest valid events.
pub fn events_after(after: u64, count: u64) -> Vec<EventEnvelope> {
    (after + 1..=after + count)
        .map(|seq| EventEnvelope {
            seq,
            at: NOW + seq as Millis,
            event: Event::CancelRequested {
                reason: format!("event {seq}"),
            },
        })
        .collect()
}

/// A running-state append of `count` events on top of `expected_version`.
pub fn append(id: ExecutionId, expected_version: u64, owner_epoch: u64, count: u64) -> Append {
    Append {
        execution_id: id,
        expected_version,
        owner_epoch,
        events: events_after(expected_version, count),
        status: ExecutionStatus::Running,
        output: None,
        error: None,
        wake_at: None,
        snapshot: None,
        now: NOW + 1_000,
    }
}

//! The store test suite, run against every backend (style: one suite, many backends).
//!
//! `store_test_suite!(backend)` generates a module with one `#[tokio::test]` per function of
//! `suite`, each on a fresh database from `support::backend()`. A behaviour is added once, in
//! `suite`, and listed once, below.

mod suite;
mod support;

macro_rules! store_test_suite {
    ($backend:ident) => {
        mod $backend {
            store_test_suite!(@tests $backend:
                workflow_versions,
                concurrent_saves_get_distinct_versions,
                workflow_listing_and_soft_delete,
                workflow_listing_filters_and_last_run,
                execution_stats_per_bucket,
                create_get_and_list_executions,
                idempotency_key_returns_the_same_execution,
                create_executions_in_one_batch,
                start_settings_are_kept_with_the_execution,
                create_batches_honour_idempotency_keys,
                mixed_create_batch_refuses_items_on_their_own,
                events_round_trip_every_variant,
                append_updates_the_execution_row,
                json_values_survive_exactly,
                stale_version_conflicts_and_writes_nothing,
                stale_epoch_conflicts,
                mixed_batch_commits_each_append_on_its_own,
                one_execution_twice_in_a_batch,
                gaps_in_seqs_are_invalid,
                only_the_latest_snapshot_is_kept,
                epochs_strictly_increase,
                claims_fence_older_owners,
                a_failed_execution_reopens_for_a_retry,
                unfinished_and_due_executions,
                unknown_ids_are_not_found,
                writer_batches_concurrent_appends,
                writer_reports_each_outcome,
                writer_batches_concurrent_creates,
                // the access store
                users_crud_and_username_taken,
                login_failures_lock_and_reset,
                refresh_tokens_are_used_once,
                concurrent_refresh_uses_give_one_fresh,
                api_keys_lifecycle,
                credentials_keep_their_secret_apart,
                credential_versions_refuse_stale_secrets,
                audit_log_filters_and_pages,
                webhook_routes_replace_and_conflict,
                deleting_a_user_revokes_their_tokens_and_keys,
            );
        }
    };
    (@tests $backend:ident: $($test:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $test() {
                let db = crate::support::$backend().await;
                crate::suite::$test(&db).await;
            }
        )*
    };
}

store_test_suite!(sqlite);
store_test_suite!(postgres);

// ---- connecting ----------------------------------------------------------------------------

#[tokio::test]
async fn in_memory_sqlite_keeps_its_data_across_calls() {
    let store = weft_persistence::connect("sqlite::memory:").await.unwrap();
    let id = weft_core::WorkflowId::new();
    store
        .create_workflow(id, "mem", &serde_json::json!({}))
        .await
        .unwrap();
    // Many calls at once on the single connection: all see the same database.
    let reads: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.get_workflow(id).await })
        })
        .collect();
    for read in reads {
        assert_eq!(read.await.unwrap().unwrap().name, "mem");
    }
}

#[tokio::test]
async fn unsupported_urls_are_invalid() {
    let err = weft_persistence::connect("mysql://root:pw@localhost/weft")
        .await
        .err()
        .unwrap();
    assert!(
        matches!(err, weft_persistence::StoreError::Invalid(_)),
        "{err:?}"
    );
    assert!(!err.to_string().contains("pw@"), "{err}");
}

#[tokio::test]
async fn connection_errors_never_show_the_password() {
    // Nothing listens on port 1.
    let url = "postgres://weft:hunter2@127.0.0.1:1/weft?connect_timeout=2";
    let err = weft_persistence::connect(url).await.err().unwrap();
    assert!(err.is_transient(), "{err:?}");
    let message = err.to_string();
    assert!(!message.contains("hunter2"), "{message}");
    assert!(
        message.contains("weft:***@127.0.0.1"),
        "the redacted URL is named: {message}"
    );
}

#[tokio::test]
async fn one_database_serves_the_engine_and_the_gateway() {
    use std::sync::Arc;
    use weft_persistence::{AccessStore, Database, Role, Store};

    let database: Arc<dyn Database> = weft_persistence::connect_database("sqlite::memory:")
        .await
        .unwrap();
    // Trait upcasting: each part of the system takes only the face it needs.
    let store: Arc<dyn Store> = database.clone();
    let access: Arc<dyn AccessStore> = database.clone();
    let id = weft_core::WorkflowId::new();
    store
        .create_workflow(id, "shared", &serde_json::json!({}))
        .await
        .unwrap();
    access
        .create_user(weft_persistence::NewUser {
            id: uuid::Uuid::now_v7(),
            username: "admin".into(),
            password_hash: "$argon2id$x".into(),
            role: Role::Admin,
            now: 1,
        })
        .await
        .unwrap();
    assert_eq!(database.get_workflow(id).await.unwrap().name, "shared");
    assert_eq!(database.count_users().await.unwrap(), 1);

    let err = weft_persistence::connect_database("mysql://root:pw@localhost/weft")
        .await
        .err()
        .unwrap();
    assert!(
        matches!(err, weft_persistence::StoreError::Invalid(_)),
        "{err:?}"
    );
}

//! The behaviour every [`Store`] backend must have. Each function is one test; `tests/store.rs`
//! runs all of them against SQLite and PostgreSQL.

mod access;
pub use access::*;

use crate::support::{NOW, TestStore, append, create_execution, events_after, new_execution};
use serde_json::json;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use weft_core::event::ParentLink;
use weft_core::{
    Event, EventEnvelope, ExecutionError, ExecutionId, ExecutionStatus, NodeError, WorkflowId,
};
use weft_persistence::{
    Append, EventWriter, ExecutionFilter, NewExecution, Snapshot, StatsRange, Store, StoreError,
    WorkflowFilter, WriterOptions,
};

fn definition(marker: &str) -> serde_json::Value {
    // Keys deliberately out of alphabetical order: both backends must give them back intact.
    json!({"name": marker, "nodes": [{"id": "a", "type": "data.set"}], "edges": [], "vars": {"z": 1, "a": 2}})
}

// ---- workflows -------------------------------------------------------------------------

pub async fn workflow_versions(db: &TestStore) {
    let store = &db.store;
    let id = WorkflowId::new();
    let v1 = store
        .create_workflow(id, "orders", &definition("v1"))
        .await
        .unwrap();
    assert_eq!(
        (v1.workflow_id, v1.version, v1.name.as_str()),
        (id, 1, "orders")
    );

    let err = store
        .create_workflow(id, "again", &definition("x"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::AlreadyExists {
                what: "workflow",
                ..
            }
        ),
        "{err:?}"
    );

    let v2 = store
        .save_workflow_version(id, "orders v2", &definition("v2"), Some(1))
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    // Someone saved meanwhile: the caller still believes 1 is the latest.
    let err = store
        .save_workflow_version(id, "stale", &definition("x"), Some(1))
        .await
        .unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    let v3 = store
        .save_workflow_version(id, "orders v3", &definition("v3"), None)
        .await
        .unwrap();
    assert_eq!(v3.version, 3);

    let record = store.get_workflow(id).await.unwrap();
    assert_eq!(
        (record.name.as_str(), record.latest_version),
        ("orders v3", 3)
    );
    assert_eq!(store.get_workflow_version(id, None).await.unwrap(), v3);
    let stored_v2 = store.get_workflow_version(id, Some(2)).await.unwrap();
    assert_eq!(stored_v2, v2);
    assert_eq!(
        serde_json::to_string(&stored_v2.definition).unwrap(),
        serde_json::to_string(&definition("v2")).unwrap(),
        "definitions keep their key order"
    );
    let versions = store.list_workflow_versions(id).await.unwrap();
    assert_eq!(
        versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(versions[0].definition, definition("v1"));

    let missing = store.get_workflow_version(id, Some(9)).await.unwrap_err();
    assert!(
        matches!(missing, StoreError::NotFound { .. }),
        "{missing:?}"
    );
    let unknown = store
        .save_workflow_version(WorkflowId::new(), "x", &definition("x"), None)
        .await
        .unwrap_err();
    assert!(
        matches!(
            unknown,
            StoreError::NotFound {
                what: "workflow",
                ..
            }
        ),
        "{unknown:?}"
    );
}

pub async fn concurrent_saves_get_distinct_versions(db: &TestStore) {
    let id = WorkflowId::new();
    db.store
        .create_workflow(id, "busy", &definition("v1"))
        .await
        .unwrap();
    let saves = (0..10).map(|i| {
        let store = db.store.clone();
        tokio::spawn(async move {
            store
                .save_workflow_version(id, "busy", &definition(&format!("{i}")), None)
                .await
        })
    });
    let mut versions = Vec::new();
    for save in saves {
        versions.push(save.await.unwrap().unwrap().version);
    }
    versions.sort_unstable();
    assert_eq!(versions, (2..=11).collect::<Vec<_>>());
    assert_eq!(db.store.get_workflow(id).await.unwrap().latest_version, 11);
}

pub async fn workflow_listing_and_soft_delete(db: &TestStore) {
    let store = &db.store;
    let mut ids: Vec<WorkflowId> = (0..3).map(|_| WorkflowId::new()).collect();
    for (i, id) in ids.iter().enumerate() {
        store
            .create_workflow(*id, &format!("wf{i}"), &definition("v1"))
            .await
            .unwrap();
    }
    ids.sort();

    let page = |after, limit| WorkflowFilter {
        after,
        limit,
        ..WorkflowFilter::default()
    };
    let first = store.list_workflows(&page(None, 2)).await.unwrap();
    assert_eq!(
        first.iter().map(|w| w.record.id).collect::<Vec<_>>(),
        ids[..2]
    );
    let rest = store
        .list_workflows(&page(Some(first[1].record.id), 2))
        .await
        .unwrap();
    assert_eq!(
        rest.iter().map(|w| w.record.id).collect::<Vec<_>>(),
        ids[2..]
    );

    let gone = ids[1];
    store
        .save_workflow_version(gone, "wf", &definition("v2"), None)
        .await
        .unwrap();
    store.delete_workflow(gone).await.unwrap();
    let not_found = |r: Result<(), StoreError>| matches!(r, Err(StoreError::NotFound { .. }));
    assert!(not_found(store.get_workflow(gone).await.map(drop)));
    assert!(not_found(store.delete_workflow(gone).await));
    assert!(not_found(
        store
            .save_workflow_version(gone, "wf", &definition("v3"), None)
            .await
            .map(drop)
    ));
    assert!(not_found(
        store.get_workflow_version(gone, None).await.map(drop)
    ));
    assert!(not_found(
        store.list_workflow_versions(gone).await.map(drop)
    ));
    // Executions pinned to a version of a deleted workflow can still load it.
    assert_eq!(
        store
            .get_workflow_version(gone, Some(2))
            .await
            .unwrap()
            .version,
        2
    );
    let listed = store.list_workflows(&page(None, 10)).await.unwrap();
    assert_eq!(
        listed.iter().map(|w| w.record.id).collect::<Vec<_>>(),
        [ids[0], ids[2]]
    );
    let err = store
        .create_workflow(gone, "reuse", &definition("v1"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::AlreadyExists { .. }), "{err:?}");
}

// ---- executions ------------------------------------------------------------------------

pub async fn workflow_listing_filters_and_last_run(db: &TestStore) {
    let store = &db.store;
    let (orders, sale, cleanup) = (WorkflowId::new(), WorkflowId::new(), WorkflowId::new());
    let nodes = json!([{"id": "a", "type": "data.set"}]);
    store
        .create_workflow(
            orders,
            "Order intake",
            &json!({"name": "Order intake", "description": "Takes orders", "tags": ["ops", "billing"], "nodes": nodes}),
        )
        .await
        .unwrap();
    store
        .create_workflow(
            sale,
            "50%_sale",
            &json!({"name": "50%_sale", "tags": ["ops"], "nodes": nodes}),
        )
        .await
        .unwrap();
    store
        .create_workflow(cleanup, "cleanup", &definition("cleanup"))
        .await
        .unwrap();
    let names = |filter: WorkflowFilter| async move {
        let mut names: Vec<String> = store
            .list_workflows(&filter)
            .await
            .unwrap()
            .into_iter()
            .map(|w| w.record.name)
            .collect();
        names.sort();
        names
    };
    let search = |s: &str| WorkflowFilter {
        search: Some(s.into()),
        ..WorkflowFilter::default()
    };
    let tag = |t: &str| WorkflowFilter {
        tag: Some(t.into()),
        ..WorkflowFilter::default()
    };
    assert_eq!(names(search("ORDER")).await, ["Order intake"]);
    // Wildcards in the search text are literal.
    assert_eq!(names(search("%_")).await, ["50%_sale"]);
    assert!(names(search("_")).await == ["50%_sale"]);
    assert_eq!(names(tag("ops")).await, ["50%_sale", "Order intake"]);
    assert_eq!(names(tag("billing")).await, ["Order intake"]);
    assert!(names(tag("op")).await.is_empty());

    let first = store
        .create_execution(new_execution(orders))
        .await
        .unwrap()
        .0;
    let newest = store
        .create_execution(new_execution(orders))
        .await
        .unwrap()
        .0;
    store
        .append(vec![
            append(newest.id, 0, 0, 1).with_status(ExecutionStatus::Failed),
        ])
        .await
        .pop()
        .unwrap()
        .unwrap();
    assert!(first.id < newest.id);
    let all = store
        .list_workflows(&WorkflowFilter::default())
        .await
        .unwrap();
    let of = |id| all.iter().find(|w| w.record.id == id).unwrap();
    assert_eq!(of(orders).description.as_deref(), Some("Takes orders"));
    assert_eq!(of(orders).tags, ["ops", "billing"]);
    let last = of(orders).last_execution.clone().unwrap();
    assert_eq!((last.id, last.status), (newest.id, ExecutionStatus::Failed));
    assert_eq!(last.created_at, NOW);
    assert!(of(cleanup).tags.is_empty() && of(cleanup).description.is_none());
    assert!(of(sale).last_execution.is_none());

    // The listing follows the latest version.
    store
        .save_workflow_version(
            orders,
            "Order intake",
            &json!({"name": "Order intake", "nodes": nodes}),
            None,
        )
        .await
        .unwrap();
    assert!(names(tag("billing")).await.is_empty());
}

pub async fn execution_stats_per_bucket(db: &TestStore) {
    let store = &db.store;
    let workflow = WorkflowId::new();
    // (created at, how it ends, after how long)
    let runs = [
        (NOW - 5, Some((ExecutionStatus::Succeeded, 999))), // before the range
        (NOW, Some((ExecutionStatus::Succeeded, 100))),
        (NOW + 10, Some((ExecutionStatus::Failed, 300))),
        (NOW + 1_500, None),                                  // still running
        (NOW + 2_000, Some((ExecutionStatus::Succeeded, 5))), // at the (exclusive) end
    ];
    for (at, end) in runs {
        let (e, _) = store
            .create_execution(NewExecution {
                created_at: at,
                ..new_execution(workflow)
            })
            .await
            .unwrap();
        let status = end.map_or(ExecutionStatus::Running, |(s, _)| s);
        let now = at + end.map_or(1, |(_, d)| d);
        store
            .append(vec![Append {
                now,
                ..append(e.id, 0, 0, 1).with_status(status)
            }])
            .await
            .pop()
            .unwrap()
            .unwrap();
    }
    let range = StatsRange {
        from: NOW,
        to: NOW + 2_000,
        buckets: 2,
    };
    let stats = store.execution_stats(range).await.unwrap();
    let mut cells: Vec<_> = stats
        .cells
        .iter()
        .map(|c| {
            (
                c.bucket,
                c.status,
                c.count,
                c.avg_duration_ms,
                c.max_duration_ms,
            )
        })
        .collect();
    cells.sort_by_key(|c| (c.0, c.1.as_str()));
    assert_eq!(
        cells,
        [
            (0, ExecutionStatus::Failed, 1, Some(300.0), Some(300)),
            (0, ExecutionStatus::Succeeded, 1, Some(100.0), Some(100)),
            (1, ExecutionStatus::Running, 1, None, None),
        ]
    );
    assert_eq!(stats.p50_duration_ms, Some(100));
    assert_eq!(stats.p95_duration_ms, Some(300));

    let empty = store
        .execution_stats(StatsRange {
            from: NOW + 10_000,
            to: NOW + 20_000,
            buckets: 10,
        })
        .await
        .unwrap();
    assert!(empty.cells.is_empty() && empty.p95_duration_ms.is_none());

    // The same range filters the executions list.
    let listed = store
        .list_executions(&ExecutionFilter {
            created_from: Some(NOW),
            created_to: Some(NOW + 2_000),
            ..ExecutionFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(listed.len(), 3);
    assert!(
        listed
            .iter()
            .all(|e| (NOW..NOW + 2_000).contains(&e.created_at))
    );
}

pub async fn create_get_and_list_executions(db: &TestStore) {
    let store = &db.store;
    let workflow = WorkflowId::new();
    let other = WorkflowId::new();
    let parent = ExecutionId::new();

    let mut first = new_execution(workflow);
    first.parent = Some(ParentLink {
        execution_id: parent,
        node: "each[2]/call".into(),
    });
    first.idempotency_key = Some("key-1".into());
    first.owner_epoch = 7;
    first.priority = 200;
    let (created, is_new) = store.create_execution(first.clone()).await.unwrap();
    assert!(is_new);
    let fetched = store.get_execution(first.id).await.unwrap();
    assert_eq!(fetched, created);
    assert_eq!(fetched.status, ExecutionStatus::Queued);
    assert_eq!(
        (fetched.version, fetched.owner_epoch, fetched.priority),
        (0, 7, 200)
    );
    assert_eq!(fetched.parent, first.parent);
    assert_eq!(fetched.idempotency_key.as_deref(), Some("key-1"));
    assert_eq!(fetched.input, json!({"n": 1}));
    assert_eq!(
        (fetched.created_at, fetched.updated_at, fetched.finished_at),
        (NOW, NOW, None)
    );

    let err = store
        .create_execution(new_execution(other).with_id(first.id))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::AlreadyExists {
                what: "execution",
                ..
            }
        ),
        "{err:?}"
    );

    let mut ids = vec![first.id];
    for i in 0..6 {
        let w = if i % 2 == 0 { workflow } else { other };
        ids.push(store.create_execution(new_execution(w)).await.unwrap().0.id);
    }
    ids.sort();
    ids.reverse(); // newest first

    // Page through everything, two at a time.
    let mut seen = Vec::new();
    let mut filter = ExecutionFilter {
        limit: 2,
        ..ExecutionFilter::default()
    };
    loop {
        let page = store.list_executions(&filter).await.unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 2);
        seen.extend(page.iter().map(|e| e.id));
        filter.before = page.last().map(|e| e.id);
    }
    assert_eq!(seen, ids);

    let of_workflow = store
        .list_executions(&ExecutionFilter {
            workflow_id: Some(workflow),
            ..ExecutionFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(of_workflow.len(), 4);
    assert!(of_workflow.iter().all(|e| e.workflow_id == workflow));
    assert!(of_workflow.windows(2).all(|w| w[0].id > w[1].id));

    store
        .append(vec![
            append(ids[0], 0, 0, 1).with_status(ExecutionStatus::Failed),
        ])
        .await
        .pop()
        .unwrap()
        .unwrap();
    let failed = store
        .list_executions(&ExecutionFilter {
            status: Some(ExecutionStatus::Failed),
            ..ExecutionFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(failed.iter().map(|e| e.id).collect::<Vec<_>>(), [ids[0]]);

    let counts = store.count_executions(None).await.unwrap();
    assert_eq!(
        counts.len(),
        ExecutionStatus::ALL.len(),
        "every status is reported: {counts:?}"
    );
    let count = |s| {
        counts
            .iter()
            .find(|(status, _)| *status == s)
            .map(|(_, n)| *n)
    };
    assert_eq!(count(ExecutionStatus::Queued), Some(6));
    assert_eq!(count(ExecutionStatus::Failed), Some(1));
    assert_eq!(count(ExecutionStatus::Running), Some(0));
    let per_workflow = store.count_executions(Some(other)).await.unwrap();
    assert_eq!(per_workflow.iter().map(|(_, n)| n).sum::<u64>(), 3);
}

pub async fn idempotency_key_returns_the_same_execution(db: &TestStore) {
    let store = &db.store;
    let workflow = WorkflowId::new();
    let mut new = new_execution(workflow);
    new.idempotency_key = Some("order-42".into());
    let (original, created) = store.create_execution(new.clone()).await.unwrap();
    assert!(created);

    // A retried request: new id, same key.
    let (again, created) = store
        .create_execution(new.clone().with_id(ExecutionId::new()))
        .await
        .unwrap();
    assert!(!created);
    assert_eq!(again, original);

    // The key is per workflow.
    let mut elsewhere = new_execution(WorkflowId::new());
    elsewhere.idempotency_key = Some("order-42".into());
    assert!(store.create_execution(elsewhere).await.unwrap().1);

    // Racing requests with one key: exactly one creates, all see the same execution.
    let mut racing = new_execution(workflow);
    racing.idempotency_key = Some("order-43".into());
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = db.store.clone();
            let new = racing.clone().with_id(ExecutionId::new());
            tokio::spawn(async move { store.create_execution(new).await })
        })
        .collect();
    let mut created = 0;
    let mut ids = HashSet::new();
    for task in tasks {
        let (record, is_new) = task.await.unwrap().unwrap();
        created += usize::from(is_new);
        ids.insert(record.id);
    }
    assert_eq!((created, ids.len()), (1, 1));
}

pub async fn create_executions_in_one_batch(db: &TestStore) {
    let store = &db.store;
    assert!(store.create_executions(Vec::new()).await.is_empty());

    let workflow = WorkflowId::new();
    let batch: Vec<NewExecution> = (0..50)
        .map(|i| {
            let mut new = new_execution(workflow);
            new.input = json!({"i": i, "z": [1, {"b": 2, "a": 1}]});
            new.priority = (i % 10) as u8;
            if i % 7 == 0 {
                new.parent = Some(ParentLink {
                    execution_id: ExecutionId::new(),
                    node: format!("call[{i}]"),
                });
            }
            if i % 3 == 0 {
                new.idempotency_key = Some(format!("key-{i}"));
            }
            new
        })
        .collect();
    let outcomes = store.create_executions(batch.clone()).await;
    assert_eq!(outcomes.len(), batch.len());
    for (new, outcome) in batch.iter().zip(outcomes) {
        let (record, created) = outcome.unwrap();
        assert!(created);
        assert_eq!(
            (record.id, record.status, record.version),
            (new.id, ExecutionStatus::Queued, 0)
        );
        assert_eq!(
            (&record.parent, &record.idempotency_key, record.priority),
            (&new.parent, &new.idempotency_key, new.priority)
        );
        let stored = store.get_execution(new.id).await.unwrap();
        assert_eq!(stored, record);
        assert_eq!(
            serde_json::to_string(&stored.input).unwrap(),
            serde_json::to_string(&new.input).unwrap(),
            "inputs keep their key order"
        );
    }
    let counts = store.count_executions(Some(workflow)).await.unwrap();
    assert_eq!(counts.iter().map(|(_, n)| n).sum::<u64>(), 50);
}

pub async fn create_batches_honour_idempotency_keys(db: &TestStore) {
    let store = &db.store;
    let workflow = WorkflowId::new();
    let keyed = |key: &str| {
        let mut new = new_execution(workflow);
        new.idempotency_key = Some(key.into());
        new
    };

    // Within a batch: the first item with a key creates, later ones get that execution.
    let first = store
        .create_executions(vec![
            keyed("a"),
            keyed("a"),
            keyed("b"),
            new_execution(workflow),
            keyed("a"),
        ])
        .await;
    let first: Vec<_> = first.into_iter().map(Result::unwrap).collect();
    assert_eq!(
        first
            .iter()
            .map(|(_, created)| *created)
            .collect::<Vec<_>>(),
        [true, false, true, true, false]
    );
    assert_eq!(first[1].0, first[0].0);
    assert_eq!(first[4].0, first[0].0);
    assert_ne!(first[2].0.id, first[0].0.id);

    // Across batches: keys used before give the earlier executions; the same key in another
    // workflow is another execution.
    let mut elsewhere = new_execution(WorkflowId::new());
    elsewhere.idempotency_key = Some("a".into());
    // The exact request again (same id and key) is the same execution too.
    let repeated = keyed("b").with_id(first[2].0.id);
    let second = store
        .create_executions(vec![
            keyed("b"),
            keyed("a"),
            elsewhere,
            repeated,
            keyed("c"),
        ])
        .await;
    let second: Vec<_> = second.into_iter().map(Result::unwrap).collect();
    assert_eq!(
        second
            .iter()
            .map(|(_, created)| *created)
            .collect::<Vec<_>>(),
        [false, false, true, false, true]
    );
    assert_eq!(second[0].0, first[2].0);
    assert_eq!(second[1].0, first[0].0);
    assert_eq!(second[3].0, first[2].0);

    // Only the executions that were created exist.
    let counts = store.count_executions(Some(workflow)).await.unwrap();
    assert_eq!(counts.iter().map(|(_, n)| n).sum::<u64>(), 4);
}

pub async fn mixed_create_batch_refuses_items_on_their_own(db: &TestStore) {
    let store = &db.store;
    let workflow = WorkflowId::new();
    let existing = create_execution(store.as_ref()).await;

    let fine = new_execution(workflow);
    // The id of an existing execution, for another workflow.
    let taken = new_execution(WorkflowId::new()).with_id(existing);
    let also_fine = new_execution(workflow);
    // An id an earlier item of this batch takes.
    let twice = new_execution(WorkflowId::new()).with_id(fine.id);
    // Refused before any SQL.
    let mut invalid = new_execution(workflow);
    invalid.workflow_version = u32::MAX;
    // A key whose first user failed (its id is taken): the next one with it creates, as it
    // would one call later.
    let mut lost = new_execution(workflow).with_id(existing);
    lost.idempotency_key = Some("k".into());
    let mut next = new_execution(workflow);
    next.idempotency_key = Some("k".into());

    let outcomes = store
        .create_executions(vec![
            fine.clone(),
            taken,
            also_fine.clone(),
            twice,
            invalid,
            lost,
            next.clone(),
        ])
        .await;
    let already_exists = |o: &Result<_, StoreError>| {
        matches!(
            o,
            Err(StoreError::AlreadyExists {
                what: "execution",
                ..
            })
        )
    };
    assert!(
        matches!(&outcomes[0], Ok((r, true)) if r.id == fine.id),
        "{outcomes:?}"
    );
    assert!(already_exists(&outcomes[1]), "{:?}", outcomes[1]);
    assert!(matches!(&outcomes[2], Ok((r, true)) if r.id == also_fine.id));
    assert!(already_exists(&outcomes[3]), "{:?}", outcomes[3]);
    assert!(
        matches!(&outcomes[4], Err(StoreError::Invalid(_))),
        "{:?}",
        outcomes[4]
    );
    assert!(already_exists(&outcomes[5]), "{:?}", outcomes[5]);
    assert!(matches!(&outcomes[6], Ok((r, true)) if r.id == next.id));

    // The refused items changed nothing; the others are stored.
    let kept = store.get_execution(existing).await.unwrap();
    assert_ne!(kept.workflow_id, workflow);
    assert_eq!(kept.idempotency_key, None);
    assert_eq!(
        store.get_execution(fine.id).await.unwrap().workflow_id,
        workflow
    );
    store.get_execution(also_fine.id).await.unwrap();
    assert_eq!(
        store
            .get_execution(next.id)
            .await
            .unwrap()
            .idempotency_key
            .as_deref(),
        Some("k")
    );
    let counts = store.count_executions(Some(workflow)).await.unwrap();
    assert_eq!(counts.iter().map(|(_, n)| n).sum::<u64>(), 3);
}

// ---- the event log ---------------------------------------------------------------------

/// One event of each kind, seqs 1..=14.
fn every_event() -> Vec<EventEnvelope> {
    let node_error = NodeError::transient("503 from upstream").with_details(json!({"status": 503}));
    let events = vec![
        Event::ExecutionStarted {
            workflow_id: WorkflowId::new(),
            version: 3,
            input: json!({"a": [1, 2, {"b": null}]}),
            parent: Some(ParentLink {
                execution_id: ExecutionId::new(),
                node: "call".into(),
            }),
            trigger: Some("webhook".into()),
            correlation_id: Some("req-42".into()),
        },
        Event::NodeScheduled {
            node: "fetch".into(),
            attempt: 1,
        },
        Event::NodeAttemptFailed {
            node: "fetch".into(),
            attempt: 1,
            error: node_error.clone(),
            seed: u64::MAX,
        },
        Event::NodeCompleted {
            node: "fetch".into(),
            output: json!({"body": "ok", "n": 1.5}),
            ports: vec!["main".into()],
        },
        Event::NodeSkipped {
            node: "else".into(),
        },
        Event::TimerStarted {
            node: "wait".into(),
            due_at: NOW + 60_000,
        },
        Event::SignalAwaited {
            node: "approve".into(),
            name: "approval".into(),
            timeout_at: Some(NOW + 5),
        },
        Event::SignalReceived {
            name: "approval".into(),
            payload: json!({"ok": true}),
        },
        Event::ChildStarted {
            node: "call".into(),
            child_id: ExecutionId::new(),
            workflow_id: WorkflowId::new(),
            version: None,
            input: json!("text"),
        },
        Event::LoopStarted {
            node: "each".into(),
            input: json!({"prev": 1}),
            items: Some(vec![json!(1), json!("two")]),
        },
        Event::IterationStarted {
            node: "each".into(),
            index: 1,
        },
        Event::IterationCompleted {
            node: "each".into(),
            index: 1,
            output: json!([]),
        },
        Event::CancelRequested {
            reason: "operator said so — ünïcode".into(),
        },
        Event::ExecutionRetried {
            nodes: vec!["fetch".into(), "each".into()],
        },
        Event::Log {
            node: Some("each[1]/say".into()),
            level: weft_core::LogLevel::Warn,
            message: "stock low".into(),
            fields: json!({"sku": "a-1", "left": 2}),
        },
        Event::ExecutionFinished {
            status: ExecutionStatus::Failed,
            output: None,
            error: Some(ExecutionError::from_node("fetch", &node_error)),
        },
    ];
    // One of each: this match stops compiling when core adds a variant, so the new one gets
    // added above and its round trip tested.
    let mut kinds: Vec<usize> = events
        .iter()
        .map(|e| match e {
            Event::ExecutionStarted { .. } => 0,
            Event::NodeScheduled { .. } => 1,
            Event::NodeAttemptFailed { .. } => 2,
            Event::NodeCompleted { .. } => 3,
            Event::NodeSkipped { .. } => 4,
            Event::TimerStarted { .. } => 5,
            Event::SignalAwaited { .. } => 6,
            Event::SignalReceived { .. } => 7,
            Event::ChildStarted { .. } => 8,
            Event::LoopStarted { .. } => 9,
            Event::IterationStarted { .. } => 10,
            Event::IterationCompleted { .. } => 11,
            Event::CancelRequested { .. } => 12,
            Event::ExecutionRetried { .. } => 13,
            Event::Log { .. } => 14,
            Event::ExecutionFinished { .. } => 15,
        })
        .collect();
    kinds.dedup();
    assert_eq!(
        kinds,
        (0..16).collect::<Vec<_>>(),
        "one event of every kind, in order"
    );
    events
        .into_iter()
        .zip(1u64..)
        .map(|(event, seq)| EventEnvelope {
            seq,
            at: NOW + seq as i64,
            event,
        })
        .collect()
}

pub async fn events_round_trip_every_variant(db: &TestStore) {
    let store = &db.store;
    let id = create_execution(store.as_ref()).await;
    let events = every_event();
    let (head, tail) = events.split_at(5);

    store
        .append(vec![Append {
            events: head.to_vec(),
            ..append(id, 0, 0, 0)
        }])
        .await
        .pop()
        .unwrap()
        .unwrap();
    let finish = Append {
        events: tail.to_vec(),
        status: ExecutionStatus::Failed,
        error: Some(json!({"kind": "transient", "message": "503 from upstream"})),
        now: NOW + 9_000,
        ..append(id, 5, 0, 0)
    };
    store.append(vec![finish]).await.pop().unwrap().unwrap();

    assert_eq!(store.events(id, 0, 100).await.unwrap(), events);
    assert_eq!(store.events(id, 5, 3).await.unwrap(), events[5..8]);
    assert!(store.events(id, 16, 10).await.unwrap().is_empty());

    let record = store.get_execution(id).await.unwrap();
    assert_eq!(
        (record.version, record.status),
        (16, ExecutionStatus::Failed)
    );
    assert_eq!(
        record.error,
        Some(json!({"kind": "transient", "message": "503 from upstream"}))
    );
    assert_eq!(
        (record.updated_at, record.finished_at),
        (NOW + 9_000, Some(NOW + 9_000))
    );
}

pub async fn append_updates_the_execution_row(db: &TestStore) {
    let store = &db.store;
    let id = create_execution(store.as_ref()).await;
    let waiting = Append {
        status: ExecutionStatus::Waiting,
        wake_at: Some(NOW + 500),
        ..append(id, 0, 0, 2)
    };
    store.append(vec![waiting]).await.pop().unwrap().unwrap();
    let record = store.get_execution(id).await.unwrap();
    assert_eq!(
        (record.status, record.version, record.wake_at),
        (ExecutionStatus::Waiting, 2, Some(NOW + 500))
    );
    assert_eq!((record.updated_at, record.finished_at), (NOW + 1_000, None));

    // An append without events still moves the row (e.g. a cleared timer) and keeps the version.
    let running = append(id, 2, 0, 0);
    store.append(vec![running]).await.pop().unwrap().unwrap();
    let record = store.get_execution(id).await.unwrap();
    assert_eq!(
        (record.status, record.version, record.wake_at),
        (ExecutionStatus::Running, 2, None)
    );

    let done = Append {
        output: Some(json!({"total": 3})),
        now: NOW + 2_000,
        ..append(id, 2, 0, 1)
    }
    .with_status(ExecutionStatus::Succeeded);
    store.append(vec![done]).await.pop().unwrap().unwrap();
    let record = store.get_execution(id).await.unwrap();
    assert_eq!(record.status, ExecutionStatus::Succeeded);
    assert_eq!(
        (record.output, record.finished_at),
        (Some(json!({"total": 3})), Some(NOW + 2_000))
    );
}

pub async fn json_values_survive_exactly(db: &TestStore) {
    let store = &db.store;
    let tricky = json!({
        "z": u64::MAX,
        "a": i64::MIN,
        "float": 0.30000000000000004,
        "tiny": 1e-300,
        "text": "quote \" backslash \\ newline \n ünïcode \u{1F600}",
        "nested": [null, true, [], {}],
    });
    // Outputs that are not objects, and a JSON null output (which is not "no output").
    for output in [tricky.clone(), json!("just text"), json!(42), json!(null)] {
        let id = create_execution(store.as_ref()).await;
        let done = Append {
            output: Some(output.clone()),
            error: Some(json!({"kind": "permanent"})),
            ..append(id, 0, 0, 1)
        };
        store.append(vec![done]).await.pop().unwrap().unwrap();
        let record = store.get_execution(id).await.unwrap();
        assert_eq!(record.output, Some(output.clone()));
        assert_eq!(
            serde_json::to_string(&record.output).unwrap(),
            serde_json::to_string(&Some(&output)).unwrap(),
            "key order and number forms survive"
        );
    }

    let id = create_execution(store.as_ref()).await;
    let event = EventEnvelope {
        seq: 1,
        at: NOW,
        event: Event::NodeCompleted {
            node: "n".into(),
            output: tricky.clone(),
            ports: vec![],
        },
    };
    let snapshot = Snapshot {
        seq: 1,
        format_version: 1,
        state: tricky.clone(),
    };
    let write = Append {
        events: vec![event.clone()],
        snapshot: Some(snapshot.clone()),
        ..append(id, 0, 0, 0)
    };
    store.append(vec![write]).await.pop().unwrap().unwrap();
    assert_eq!(store.events(id, 0, 10).await.unwrap(), [event]);
    assert_eq!(store.latest_snapshot(id).await.unwrap(), Some(snapshot));
}

pub async fn stale_version_conflicts_and_writes_nothing(db: &TestStore) {
    let store = &db.store;
    let id = create_execution(store.as_ref()).await;
    store
        .append(vec![append(id, 0, 0, 2)])
        .await
        .pop()
        .unwrap()
        .unwrap();

    // A second writer that still believes the execution is at version 0.
    let stale = Append {
        status: ExecutionStatus::Failed,
        snapshot: Some(Snapshot {
            seq: 2,
            format_version: 1,
            state: json!("stale"),
        }),
        ..append(id, 0, 0, 2)
    };
    let err = store.append(vec![stale]).await.pop().unwrap().unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    let ahead = store
        .append(vec![append(id, 5, 0, 1)])
        .await
        .pop()
        .unwrap()
        .unwrap_err();
    assert!(ahead.is_conflict(), "{ahead:?}");

    let record = store.get_execution(id).await.unwrap();
    assert_eq!(
        (record.version, record.status),
        (2, ExecutionStatus::Running)
    );
    assert_eq!(store.events(id, 0, 100).await.unwrap(), events_after(0, 2));
    assert_eq!(store.latest_snapshot(id).await.unwrap(), None);
}

pub async fn stale_epoch_conflicts(db: &TestStore) {
    let store = &db.store;
    let old_owner = store.next_epoch().await.unwrap();
    let mut new = new_execution(WorkflowId::new());
    new.owner_epoch = old_owner;
    let id = store.create_execution(new).await.unwrap().0.id;
    store
        .append(vec![append(id, 0, old_owner, 1)])
        .await
        .pop()
        .unwrap()
        .unwrap();

    // Another instance takes the execution over.
    let new_owner = store.next_epoch().await.unwrap();
    assert_eq!(
        store
            .claim_execution(id, new_owner)
            .await
            .unwrap()
            .owner_epoch,
        new_owner
    );

    let err = store
        .append(vec![append(id, 1, old_owner, 1)])
        .await
        .pop()
        .unwrap()
        .unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    store
        .append(vec![append(id, 1, new_owner, 1)])
        .await
        .pop()
        .unwrap()
        .unwrap();
    assert_eq!(store.get_execution(id).await.unwrap().version, 2);
}

pub async fn mixed_batch_commits_each_append_on_its_own(db: &TestStore) {
    let store = &db.store;
    let good = create_execution(store.as_ref()).await;
    let stale = create_execution(store.as_ref()).await;
    let gapped = create_execution(store.as_ref()).await;
    let unknown = ExecutionId::new();
    store
        .append(vec![append(stale, 0, 0, 1)])
        .await
        .pop()
        .unwrap()
        .unwrap();

    let mut with_gap = append(gapped, 0, 0, 2);
    with_gap.events[1].seq = 3;
    let results = store
        .append(vec![
            Append {
                snapshot: Some(Snapshot {
                    seq: 3,
                    format_version: 1,
                    state: json!({"ok": 1}),
                }),
                ..append(good, 0, 0, 3)
            },
            append(stale, 0, 0, 1),
            append(unknown, 0, 0, 1),
            with_gap,
        ])
        .await;
    assert_eq!(results.len(), 4);
    assert!(results[0].is_ok(), "{:?}", results[0]);
    assert!(
        matches!(&results[1], Err(StoreError::Conflict(_))),
        "{:?}",
        results[1]
    );
    assert!(
        matches!(
            &results[2],
            Err(StoreError::NotFound {
                what: "execution",
                ..
            })
        ),
        "{:?}",
        results[2]
    );
    assert!(
        matches!(&results[3], Err(StoreError::Invalid(_))),
        "{:?}",
        results[3]
    );

    assert_eq!(store.events(good, 0, 10).await.unwrap(), events_after(0, 3));
    assert_eq!(
        store.latest_snapshot(good).await.unwrap().map(|s| s.seq),
        Some(3)
    );
    assert_eq!(store.get_execution(stale).await.unwrap().version, 1);
    assert_eq!(store.events(stale, 0, 10).await.unwrap().len(), 1);
    assert!(store.events(gapped, 0, 10).await.unwrap().is_empty());
    assert!(store.events(unknown, 0, 10).await.unwrap().is_empty());
}

pub async fn one_execution_twice_in_a_batch(db: &TestStore) {
    let store = &db.store;
    let id = create_execution(store.as_ref()).await;
    let other = create_execution(store.as_ref()).await;
    // A writer that pipelines: its second append builds on its first.
    let results = store
        .append(vec![
            append(id, 0, 0, 1),
            append(other, 0, 0, 1),
            append(id, 1, 0, 2),
        ])
        .await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(store.get_execution(id).await.unwrap().version, 3);
    assert_eq!(store.events(id, 0, 10).await.unwrap(), events_after(0, 3));

    // Two writers racing from the same version: the first wins, the second conflicts.
    let results = store
        .append(vec![append(id, 3, 0, 1), append(id, 3, 0, 1)])
        .await;
    assert!(results[0].is_ok(), "{:?}", results[0]);
    assert!(
        matches!(&results[1], Err(e) if e.is_conflict()),
        "{:?}",
        results[1]
    );
    assert_eq!(store.get_execution(id).await.unwrap().version, 4);
}

pub async fn gaps_in_seqs_are_invalid(db: &TestStore) {
    let store = &db.store;
    let id = create_execution(store.as_ref()).await;
    let mut skips = append(id, 0, 0, 2);
    skips.events[1].seq = 3;
    let mut starts_late = append(id, 0, 0, 1);
    starts_late.events[0].seq = 2;
    let snapshot_ahead = Append {
        snapshot: Some(Snapshot {
            seq: 5,
            format_version: 1,
            state: json!(null),
        }),
        ..append(id, 0, 0, 1)
    };
    for bad in [skips, starts_late, snapshot_ahead] {
        let err = store.append(vec![bad]).await.pop().unwrap().unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    }
    assert_eq!(store.get_execution(id).await.unwrap().version, 0);
    assert!(store.events(id, 0, 10).await.unwrap().is_empty());
}

pub async fn only_the_latest_snapshot_is_kept(db: &TestStore) {
    let store = &db.store;
    let id = create_execution(store.as_ref()).await;
    assert_eq!(store.latest_snapshot(id).await.unwrap(), None);
    let first = Snapshot {
        seq: 2,
        format_version: 1,
        state: json!({"done": ["a"]}),
    };
    store
        .append(vec![Append {
            snapshot: Some(first.clone()),
            ..append(id, 0, 0, 2)
        }])
        .await
        .pop()
        .unwrap()
        .unwrap();
    assert_eq!(store.latest_snapshot(id).await.unwrap(), Some(first));

    // No snapshot in this append: the previous one stays.
    store
        .append(vec![append(id, 2, 0, 1)])
        .await
        .pop()
        .unwrap()
        .unwrap();
    let second = Snapshot {
        seq: 4,
        format_version: 2,
        state: json!({"done": ["a", "b"]}),
    };
    store
        .append(vec![Append {
            snapshot: Some(second.clone()),
            ..append(id, 3, 0, 1)
        }])
        .await
        .pop()
        .unwrap()
        .unwrap();
    assert_eq!(store.latest_snapshot(id).await.unwrap(), Some(second));
}

// ---- ownership and recovery ------------------------------------------------------------

pub async fn epochs_strictly_increase(db: &TestStore) {
    let mut last = 0;
    for _ in 0..5 {
        let epoch = db.store.next_epoch().await.unwrap();
        assert!(epoch > last, "{epoch} after {last}");
        last = epoch;
    }
    // Another instance on the same database, drawing concurrently with this one.
    let other = weft_persistence::connect(&db.url).await.unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = if i % 2 == 0 {
                db.store.clone()
            } else {
                other.clone()
            };
            tokio::spawn(async move { store.next_epoch().await })
        })
        .collect();
    let mut epochs = HashSet::new();
    for task in tasks {
        let epoch = task.await.unwrap().unwrap();
        assert!(epoch > last);
        epochs.insert(epoch);
    }
    assert_eq!(epochs.len(), 20, "no epoch handed out twice");
    let max = epochs.into_iter().max().unwrap();
    assert!(other.next_epoch().await.unwrap() > max);
}

pub async fn claims_fence_older_owners(db: &TestStore) {
    let store = &db.store;
    let id = create_execution(store.as_ref()).await;
    assert_eq!(store.claim_execution(id, 5).await.unwrap().owner_epoch, 5);
    // The same owner again (e.g. after a passivation) is fine.
    assert_eq!(store.claim_execution(id, 5).await.unwrap().owner_epoch, 5);
    let err = store.claim_execution(id, 4).await.unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    let claimed = store.claim_execution(id, 9).await.unwrap();
    assert_eq!((claimed.id, claimed.owner_epoch), (id, 9));

    let finished = append(id, 0, 9, 1).with_status(ExecutionStatus::Cancelled);
    store.append(vec![finished]).await.pop().unwrap().unwrap();
    let err = store.claim_execution(id, 10).await.unwrap_err();
    assert!(
        err.is_conflict(),
        "a finished execution cannot be claimed: {err:?}"
    );

    let err = store
        .claim_execution(ExecutionId::new(), 10)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
}

pub async fn a_failed_execution_reopens_for_a_retry(db: &TestStore) {
    let store = &db.store;
    let id = create_execution(store.as_ref()).await;
    // Running is not retryable: nothing to reopen.
    store.claim_execution(id, 3).await.unwrap();
    store
        .append(vec![append(id, 0, 3, 2)])
        .await
        .pop()
        .unwrap()
        .unwrap();
    let err = store.reopen_execution(id, 4).await.unwrap_err();
    assert!(
        err.is_conflict() && err.to_string().contains("running"),
        "{err:?}"
    );

    let failed = Append {
        error: Some(json!({"kind": "permanent", "message": "no"})),
        ..append(id, 2, 3, 1).with_status(ExecutionStatus::Failed)
    };
    store.append(vec![failed]).await.pop().unwrap().unwrap();
    let record = store.get_execution(id).await.unwrap();
    assert_eq!(record.finished_at, Some(NOW + 1_000));
    // An older epoch may not take it; a newer one may, and the status stays until it writes.
    let err = store.reopen_execution(id, 2).await.unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    let reopened = store.reopen_execution(id, 7).await.unwrap();
    assert_eq!(
        (reopened.status, reopened.owner_epoch, reopened.version),
        (ExecutionStatus::Failed, 7, 3)
    );
    // A plain claim still refuses a finished execution.
    assert!(
        store
            .claim_execution(id, 8)
            .await
            .unwrap_err()
            .is_conflict()
    );

    // The retry's append moves the row back to running: error and finish time are cleared.
    let retried = Append {
        now: NOW + 5_000,
        ..append(id, 3, 7, 2)
    };
    store.append(vec![retried]).await.pop().unwrap().unwrap();
    let record = store.get_execution(id).await.unwrap();
    assert_eq!(
        (
            record.status,
            record.version,
            record.error,
            record.finished_at
        ),
        (ExecutionStatus::Running, 5, None, None)
    );
    assert_eq!(
        store
            .unfinished_executions(None, 10)
            .await
            .unwrap()
            .iter()
            .map(|s| s.id)
            .collect::<Vec<_>>(),
        vec![id],
        "a retried execution is recovered like any running one"
    );
    // Finishing again records the new finish time.
    let done = Append {
        now: NOW + 9_000,
        ..append(id, 5, 7, 1).with_status(ExecutionStatus::Succeeded)
    };
    store.append(vec![done]).await.pop().unwrap().unwrap();
    let record = store.get_execution(id).await.unwrap();
    assert_eq!(
        (record.status, record.finished_at),
        (ExecutionStatus::Succeeded, Some(NOW + 9_000))
    );
    let err = store.reopen_execution(id, 9).await.unwrap_err();
    assert!(err.to_string().contains("succeeded"), "{err:?}");

    // Timed out is retryable too; an unknown id is not found.
    let other = create_execution(store.as_ref()).await;
    let timed_out = append(other, 0, 0, 1).with_status(ExecutionStatus::TimedOut);
    store.append(vec![timed_out]).await.pop().unwrap().unwrap();
    assert_eq!(
        store.reopen_execution(other, 1).await.unwrap().owner_epoch,
        1
    );
    let err = store
        .reopen_execution(ExecutionId::new(), 1)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
}

pub async fn unfinished_and_due_executions(db: &TestStore) {
    let store = &db.store;
    let mut ids = Vec::new();
    for _ in 0..6 {
        ids.push(create_execution(store.as_ref()).await);
    }
    ids.sort();
    // ids[0] queued; ids[1] running; ids[2] waiting until NOW+300; ids[3] waiting until NOW+100;
    // ids[4] succeeded (with a stale wake_at); ids[5] waiting until later.
    let waits = |id, at| Append {
        status: ExecutionStatus::Waiting,
        wake_at: Some(at),
        ..append(id, 0, 0, 1)
    };
    let results = store
        .append(vec![
            append(ids[1], 0, 0, 1),
            waits(ids[2], NOW + 300),
            waits(ids[3], NOW + 100),
            Append {
                wake_at: Some(NOW),
                ..append(ids[4], 0, 0, 1).with_status(ExecutionStatus::Succeeded)
            },
            waits(ids[5], NOW + 10_000),
        ])
        .await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");

    let unfinished: Vec<_> = store
        .unfinished_executions(None, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(unfinished, [ids[0], ids[1], ids[2], ids[3], ids[5]]);
    let page = store.unfinished_executions(None, 2).await.unwrap();
    assert_eq!(page.iter().map(|s| s.id).collect::<Vec<_>>(), ids[..2]);
    let next = store.unfinished_executions(Some(ids[1]), 2).await.unwrap();
    assert_eq!(
        next.iter().map(|s| s.id).collect::<Vec<_>>(),
        [ids[2], ids[3]]
    );
    assert_eq!(next[0].status, ExecutionStatus::Waiting);
    assert_eq!(next[0].priority, 5);

    let due = store.due_executions(NOW + 300, 10).await.unwrap();
    assert_eq!(
        due.iter().map(|s| s.id).collect::<Vec<_>>(),
        [ids[3], ids[2]],
        "earliest first"
    );
    assert_eq!(due[0].wake_at, Some(NOW + 100));
    assert_eq!(store.due_executions(NOW + 300, 1).await.unwrap().len(), 1);
    assert!(store.due_executions(NOW, 10).await.unwrap().is_empty());
}

pub async fn unknown_ids_are_not_found(db: &TestStore) {
    let store = &db.store;
    let id = ExecutionId::new();
    let workflow = WorkflowId::new();
    let is_not_found = |e: StoreError| matches!(e, StoreError::NotFound { .. });
    assert!(is_not_found(store.get_execution(id).await.unwrap_err()));
    assert!(is_not_found(
        store.claim_execution(id, 1).await.unwrap_err()
    ));
    assert!(is_not_found(
        store
            .append(vec![append(id, 0, 0, 1)])
            .await
            .pop()
            .unwrap()
            .unwrap_err()
    ));
    assert!(is_not_found(
        store.get_workflow(workflow).await.unwrap_err()
    ));
    assert!(is_not_found(
        store
            .get_workflow_version(workflow, None)
            .await
            .unwrap_err()
    ));
    assert!(is_not_found(
        store
            .get_workflow_version(workflow, Some(1))
            .await
            .unwrap_err()
    ));
    assert!(is_not_found(
        store.list_workflow_versions(workflow).await.unwrap_err()
    ));
    assert!(is_not_found(
        store.delete_workflow(workflow).await.unwrap_err()
    ));
    assert_eq!(store.latest_snapshot(id).await.unwrap(), None);
    assert!(store.events(id, 0, 10).await.unwrap().is_empty());
    store.ping().await.unwrap();
}

// ---- the group-commit writer -----------------------------------------------------------

pub async fn writer_batches_concurrent_appends(db: &TestStore) {
    let mut ids = Vec::new();
    for _ in 0..200 {
        ids.push(create_execution(db.store.as_ref()).await);
    }
    let writer = EventWriter::spawn(
        db.store.clone(),
        WriterOptions {
            max_batch: 64,
            max_delay: Duration::from_millis(5),
        },
    );

    // Each task writes three appends in sequence, as an execution actor does.
    let tasks: Vec<_> = ids
        .iter()
        .map(|&id| {
            let writer = writer.clone();
            tokio::spawn(async move {
                for version in 0..3 {
                    writer.append(append(id, version, 0, 1)).await?;
                }
                Ok::<_, StoreError>(())
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }

    let stats = writer.stats();
    assert_eq!((stats.requests, stats.failed), (600, 0));
    assert!(stats.batches < 600 / 4, "appends were grouped: {stats:?}");
    assert!(stats.last_batch_size >= 1);
    for &id in &ids {
        assert_eq!(db.store.get_execution(id).await.unwrap().version, 3);
        assert_eq!(
            db.store.events(id, 0, 10).await.unwrap(),
            events_after(0, 3)
        );
    }
}

pub async fn writer_reports_each_outcome(db: &TestStore) {
    let store: Arc<dyn Store> = db.store.clone();
    let ok = create_execution(store.as_ref()).await;
    let stale = create_execution(store.as_ref()).await;
    store
        .append(vec![append(stale, 0, 0, 1)])
        .await
        .pop()
        .unwrap()
        .unwrap();

    let writer = EventWriter::spawn(
        store,
        WriterOptions {
            max_batch: 16,
            max_delay: Duration::from_millis(20),
        },
    );
    let (first, second, third) = tokio::join!(
        writer.append(append(ok, 0, 0, 1)),
        writer.append(append(stale, 0, 0, 1)),
        writer.append(append(ExecutionId::new(), 0, 0, 1)),
    );
    first.unwrap();
    assert!(second.unwrap_err().is_conflict());
    assert!(matches!(third.unwrap_err(), StoreError::NotFound { .. }));
    let stats = writer.stats();
    assert_eq!((stats.requests, stats.failed), (3, 2));
}

pub async fn writer_batches_concurrent_creates(db: &TestStore) {
    let writer = EventWriter::spawn(
        db.store.clone(),
        WriterOptions {
            max_batch: 64,
            max_delay: Duration::from_millis(5),
        },
    );
    let workflow = WorkflowId::new();
    // 200 starts at once; every fourth shares one of ten keys with others.
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let writer = writer.clone();
            let mut new = new_execution(workflow);
            if i % 4 == 0 {
                new.idempotency_key = Some(format!("retry-{}", i % 10));
            }
            tokio::spawn(async move { writer.create(new).await })
        })
        .collect();
    let mut created = 0;
    let mut by_key = std::collections::HashMap::new();
    for task in tasks {
        let (record, is_new) = task.await.unwrap().unwrap();
        created += usize::from(is_new);
        if let Some(key) = record.idempotency_key.clone() {
            assert_eq!(*by_key.entry(key).or_insert(record.id), record.id);
        }
    }
    // 150 without a key, and one per distinct key (i % 10 over multiples of 4: 0, 2, 4, 6, 8).
    assert_eq!((created, by_key.len()), (155, 5));
    let stats = writer.create_stats();
    assert_eq!((stats.requests, stats.failed), (200, 0));
    assert!(stats.batches < 200 / 4, "creations were grouped: {stats:?}");
    assert_eq!(writer.stats().requests, 0, "no appends");
    let counts = db.store.count_executions(Some(workflow)).await.unwrap();
    assert_eq!(counts.iter().map(|(_, n)| n).sum::<u64>(), 155);
}

// ---- small conveniences for building records ------------------------------------------

trait WithId {
    fn with_id(self, id: ExecutionId) -> Self;
}

impl WithId for weft_persistence::NewExecution {
    fn with_id(mut self, id: ExecutionId) -> Self {
        self.id = id;
        self
    }
}

trait WithStatus {
    fn with_status(self, status: ExecutionStatus) -> Self;
}

impl WithStatus for Append {
    /// The append with `status`; a terminal one also ends with `ExecutionFinished`.
    fn with_status(mut self, status: ExecutionStatus) -> Self {
        self.status = status;
        if status.is_terminal()
            && let Some(last) = self.events.last_mut()
        {
            last.event = Event::ExecutionFinished {
                status,
                output: self.output.clone(),
                error: None,
            };
        }
        self
    }
}

/// The trigger and correlation id an execution was started with survive in its row, through
/// single and batched creates, reads and lists.
pub async fn start_settings_are_kept_with_the_execution(db: &TestStore) {
    let store = &db.store;
    let workflow = WorkflowId::new();
    let mut one = new_execution(workflow);
    one.trigger = Some("hook".into());
    one.correlation_id = Some("req-1".into());
    let (created, _) = store.create_execution(one.clone()).await.unwrap();
    assert_eq!(created.trigger.as_deref(), Some("hook"));
    let read = store.get_execution(one.id).await.unwrap();
    assert_eq!(read.trigger.as_deref(), Some("hook"));
    assert_eq!(read.correlation_id.as_deref(), Some("req-1"));
    let mut batch = Vec::new();
    for i in 0..3 {
        let mut n = new_execution(workflow);
        n.trigger = (i != 1).then(|| format!("t{i}"));
        n.correlation_id = (i != 2).then(|| format!("c{i}"));
        batch.push(n);
    }
    let outcomes = store.create_executions(batch.clone()).await;
    assert!(outcomes.iter().all(Result::is_ok));
    let listed = store
        .list_executions(&weft_persistence::ExecutionFilter {
            workflow_id: Some(workflow),
            ..Default::default()
        })
        .await
        .unwrap();
    for n in &batch {
        let r = listed.iter().find(|r| r.id == n.id).unwrap();
        assert_eq!(
            (&r.trigger, &r.correlation_id),
            (&n.trigger, &n.correlation_id)
        );
    }
}

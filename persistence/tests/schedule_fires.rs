//! Schedule-trigger claims on both backends: one claim per tick, the newest claim, pruning.

#[allow(
    dead_code,
    reason = "the store suite's fixtures; this file uses two of them"
)]
mod support;

use std::sync::Arc;
use weft_core::WorkflowId;
use weft_persistence::Store;

async fn claims_are_exclusive_and_prune_keeps_the_newest(
    store: Arc<dyn Store>,
    second: Arc<dyn Store>,
) {
    let fires = store.schedule_fires().expect("the backend keeps claims");
    let other = second.schedule_fires().unwrap();
    let (wf, other_wf) = (WorkflowId::new(), WorkflowId::new());
    assert_eq!(fires.last_schedule_fire(wf, "tick").await.unwrap(), None);

    assert!(
        fires
            .claim_schedule_fire(wf, "tick", 1_000, 1_001)
            .await
            .unwrap()
    );
    // The same tick again, from this instance or another: refused.
    assert!(
        !fires
            .claim_schedule_fire(wf, "tick", 1_000, 1_002)
            .await
            .unwrap()
    );
    assert!(
        !other
            .claim_schedule_fire(wf, "tick", 1_000, 1_003)
            .await
            .unwrap()
    );
    // Other ticks, nodes and workflows are claims of their own.
    assert!(
        other
            .claim_schedule_fire(wf, "tick", 2_000, 2_001)
            .await
            .unwrap()
    );
    assert!(
        fires
            .claim_schedule_fire(wf, "tock", 1_000, 1_001)
            .await
            .unwrap()
    );
    assert!(
        fires
            .claim_schedule_fire(other_wf, "tick", 500, 501)
            .await
            .unwrap()
    );
    assert_eq!(
        fires.last_schedule_fire(wf, "tick").await.unwrap(),
        Some(2_000)
    );
    assert_eq!(
        other.last_schedule_fire(wf, "tock").await.unwrap(),
        Some(1_000)
    );

    // Everything before 10 000 is old, but the newest claim of each schedule stays.
    assert_eq!(fires.prune_schedule_fires(10_000).await.unwrap(), 1);
    assert_eq!(
        fires.last_schedule_fire(wf, "tick").await.unwrap(),
        Some(2_000)
    );
    assert_eq!(
        fires.last_schedule_fire(wf, "tock").await.unwrap(),
        Some(1_000)
    );
    assert_eq!(
        fires.last_schedule_fire(other_wf, "tick").await.unwrap(),
        Some(500)
    );
    // The pruned tick is claimable again only because it is gone: it is in the past, and
    // the scheduler never goes back before the newest claim.
    assert!(
        fires
            .claim_schedule_fire(wf, "tick", 1_000, 9_000)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn sqlite_schedule_fires() {
    let db = support::sqlite().await;
    let second = weft_persistence::connect(&db.url).await.unwrap();
    claims_are_exclusive_and_prune_keeps_the_newest(db.store.clone(), second).await;
}

#[tokio::test]
async fn postgres_schedule_fires() {
    let db = support::postgres().await;
    let second = weft_persistence::connect(&db.url).await.unwrap();
    claims_are_exclusive_and_prune_keeps_the_newest(db.store.clone(), second).await;
}

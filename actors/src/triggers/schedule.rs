//! The scheduler: fires `trigger.schedule` nodes.
//!
//! One task per instance. Every `refresh` it looks at the latest version of every workflow and
//! keeps one entry per (workflow, schedule node) with a cursor: the time up to which it has
//! dealt with the schedule's ticks. Between refreshes it sleeps until the earliest next tick.
//! At a tick it *claims* the tick in the store (`schedule_fires`, primary key
//! `(workflow_id, node_id, tick_at)`); only the instance whose insert succeeds starts the
//! execution, so a tick fires once however many instances run.
//!
//! Missed ticks: when the scheduler first sees a schedule, its cursor is the newest claimed
//! tick in the store (`max(tick_at)`), and every tick after it up to now was missed (no
//! instance fired it): the node's `missed` policy decides (`skip`, `fire_once` for the
//! latest, `fire_all` for up to 100). A running scheduler that finds a tick more than
//! `late_after` old (the database was unreachable, the machine suspended) treats it the same
//! way. A catch-up claims the missed tick itself, so instances catching up together still
//! fire it once. A schedule never fired before, or whose cron or time zone changed, starts
//! from now.
//!
//! The tick computation is pure ([`ticks_to_fire`]) and the clock is read in one place.

use super::{TriggerIndex, idempotency_key};
use crate::engine::{Engine, StartRequest};
use crate::now_ms;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, watch};
use tokio::task::JoinHandle;
use tracing::{debug, error, info, warn};
use weft_core::{Millis, WorkflowId};
use weft_nodes::trigger::{MissedPolicy, SCHEDULE_MAX_CATCH_UP, Schedule, ScheduleTrigger};
use weft_persistence::ScheduleFires;

/// Scheduler tuning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchedulerConfig {
    /// How often workflows are re-read: a saved schedule takes effect within this long.
    pub refresh: Duration,
    /// A running scheduler that finds a tick older than this treats it as missed.
    pub late_after: Duration,
    /// Claims of ticks older than this are pruned (the newest of each schedule is kept).
    pub keep_claims: Duration,
    /// How often old claims are pruned.
    pub prune_every: Duration,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        Self {
            refresh: Duration::from_secs(5),
            late_after: Duration::from_secs(60),
            keep_claims: Duration::from_secs(7 * 24 * 3600),
            prune_every: Duration::from_secs(3600),
        }
    }
}

/// The ticks to fire now, oldest first: those after `cursor` and at or before `now`.
///
/// Ticks at or after `on_time_from` are due and fire (at most [`SCHEDULE_MAX_CATCH_UP`]);
/// earlier ones were missed and follow the schedule's `missed` policy: none, the latest one,
/// or all of them (the latest [`SCHEDULE_MAX_CATCH_UP`]). Pure: the caller passes the clock.
pub fn ticks_to_fire(
    schedule: &Schedule,
    cursor: Millis,
    now: Millis,
    on_time_from: Millis,
) -> Vec<Millis> {
    let mut fire = Vec::new();
    let missed_until = now.min(on_time_from.saturating_sub(1));
    if missed_until > cursor {
        match schedule.config.missed {
            MissedPolicy::Skip => {}
            MissedPolicy::FireOnce => {
                if let Some(t) = schedule.last_at_or_before(missed_until)
                    && t > cursor
                {
                    fire.push(t);
                }
            }
            MissedPolicy::FireAll => {
                let mut at = missed_until;
                while fire.len() < SCHEDULE_MAX_CATCH_UP {
                    match schedule.last_at_or_before(at) {
                        Some(t) if t > cursor => {
                            fire.push(t);
                            at = t - 1;
                        }
                        _ => break,
                    }
                }
                fire.reverse();
            }
        }
    }
    let mut at = cursor.max(on_time_from.saturating_sub(1));
    let mut due = 0;
    while due < SCHEDULE_MAX_CATCH_UP {
        match schedule.next_after(at) {
            Some(t) if t <= now => {
                fire.push(t);
                at = t;
                due += 1;
            }
            _ => break,
        }
    }
    fire
}

type Key = (WorkflowId, String);

/// One schedule node the scheduler follows.
struct Entry {
    schedule: Schedule,
    version: u32,
    /// Every tick up to here is dealt with (fired, claimed by another instance, or skipped).
    cursor: Millis,
    /// Just discovered with claims in the store: every tick up to now was missed.
    catching_up: bool,
}

#[derive(Default)]
struct Stats {
    passes: AtomicU64,
    fired: AtomicU64,
}

/// The scheduler service: a handle on its task.
pub struct Scheduler {
    stop: watch::Sender<bool>,
    task: Mutex<Option<JoinHandle<()>>>,
    stats: Arc<Stats>,
}

impl Scheduler {
    /// Starts the scheduler on the engine's store; executions start through `engine`.
    pub fn start(engine: Engine, config: SchedulerConfig) -> Scheduler {
        let (stop, stopped) = watch::channel(false);
        let stats = Arc::new(Stats::default());
        let run = Run {
            engine,
            config,
            stats: stats.clone(),
            entries: HashMap::new(),
            reported: HashSet::new(),
            index: TriggerIndex::new(ScheduleTrigger::TYPE),
        };
        let task = tokio::spawn(run.run(stopped));
        Scheduler {
            stop,
            task: Mutex::new(Some(task)),
            stats,
        }
    }

    /// Completed passes over the schedules (each refresh or wake-up is one): a test waits
    /// for a few to know the scheduler has looked.
    pub fn passes(&self) -> u64 {
        self.stats.passes.load(Ordering::SeqCst)
    }

    /// Executions this instance started.
    pub fn fired(&self) -> u64 {
        self.stats.fired.load(Ordering::SeqCst)
    }

    /// Stops the task and waits for it: a claim in progress finishes with its start.
    pub async fn shutdown(&self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.lock().await.take() {
            let _ = task.await;
        }
    }
}

struct Run {
    engine: Engine,
    config: SchedulerConfig,
    stats: Arc<Stats>,
    entries: HashMap<Key, Entry>,
    /// Invalid configs already logged, by workflow version.
    reported: HashSet<(Key, u32)>,
    index: TriggerIndex,
}

impl Run {
    fn fires(&self) -> Option<&dyn ScheduleFires> {
        self.engine.store().schedule_fires()
    }

    async fn run(mut self, mut stopped: watch::Receiver<bool>) {
        if self.fires().is_none() {
            warn!(
                backend = self.engine.store().backend(),
                "this store keeps no schedule claims: schedule triggers will not fire"
            );
            return;
        }
        let mut next_refresh = Instant::now();
        let mut next_prune = Instant::now();
        loop {
            if *stopped.borrow() {
                break;
            }
            if Instant::now() >= next_refresh {
                self.refresh().await;
                next_refresh = Instant::now() + self.config.refresh;
            }
            if Instant::now() >= next_prune {
                self.prune().await;
                next_prune = Instant::now() + self.config.prune_every;
            }
            self.fire_due(&stopped).await;
            self.stats.passes.fetch_add(1, Ordering::SeqCst);

            let now = now_ms();
            let next_tick = self
                .entries
                .values()
                .filter_map(|e| e.schedule.next_after(e.cursor.max(now - 1)))
                .min();
            let mut wait = next_refresh.saturating_duration_since(Instant::now());
            if let Some(t) = next_tick {
                wait = wait.min(Duration::from_millis((t - now).max(1) as u64));
            }
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                changed = stopped.changed() => {
                    if changed.is_err() {
                        break;
                    }
                }
            }
        }
        debug!("scheduler stopped");
    }

    /// Re-reads the schedule nodes of every workflow's latest version.
    async fn refresh(&mut self) {
        let nodes = match self.index.refresh(self.engine.store()).await {
            Ok(n) => n,
            Err(e) => {
                warn!(error = %e, "scheduler: could not read the workflows; keeping the schedules it had");
                return;
            }
        };
        let mut seen = HashSet::new();
        for node in nodes {
            let key: Key = (node.workflow_id, node.node_id.clone());
            seen.insert(key.clone());
            let schedule = match ScheduleTrigger::parse_config(&node.config) {
                Ok(s) => s,
                Err(e) => {
                    if self.reported.insert((key.clone(), node.version)) {
                        warn!(workflow_id = %node.workflow_id, node = %node.node_id,
                              version = node.version, error = %e,
                              "schedule trigger not active: invalid config");
                    }
                    self.entries.remove(&key);
                    continue;
                }
            };
            let same_times = |e: &Entry| {
                e.schedule.config.cron == schedule.config.cron
                    && e.schedule.config.timezone == schedule.config.timezone
            };
            match self.entries.get_mut(&key) {
                Some(entry) if same_times(entry) => {
                    entry.schedule = schedule;
                    entry.version = node.version;
                }
                existing => {
                    let retimed = existing.is_some();
                    let Some(fires) = self.fires() else { return };
                    let last = match fires
                        .last_schedule_fire(node.workflow_id, &node.node_id)
                        .await
                    {
                        Ok(last) => last,
                        Err(e) => {
                            warn!(workflow_id = %node.workflow_id, node = %node.node_id,
                                  error = %e, "scheduler: could not read the last claim");
                            continue;
                        }
                    };
                    let now = now_ms();
                    let (cursor, catching_up) = match last {
                        Some(last) if !retimed => (last, true),
                        _ => (now, false),
                    };
                    info!(workflow_id = %node.workflow_id, node = %node.node_id,
                          cron = %schedule.config.cron, timezone = %schedule.config.timezone,
                          missed = ?schedule.config.missed, "schedule trigger active");
                    self.entries.insert(
                        key,
                        Entry {
                            schedule,
                            version: node.version,
                            cursor,
                            catching_up,
                        },
                    );
                }
            }
        }
        self.entries.retain(|key, _| {
            let keep = seen.contains(key);
            if !keep {
                info!(workflow_id = %key.0, node = %key.1, "schedule trigger removed");
            }
            keep
        });
    }

    async fn prune(&self) {
        let Some(fires) = self.fires() else { return };
        let before = now_ms() - self.config.keep_claims.as_millis() as i64;
        match fires.prune_schedule_fires(before).await {
            Ok(0) => {}
            Ok(n) => debug!(pruned = n, "old schedule claims pruned"),
            Err(e) => warn!(error = %e, "scheduler: could not prune old claims"),
        }
    }

    /// Claims and fires every due tick of every schedule.
    async fn fire_due(&mut self, stopped: &watch::Receiver<bool>) {
        let late_after = self.config.late_after.as_millis() as i64;
        let keys: Vec<Key> = self.entries.keys().cloned().collect();
        for key in keys {
            if *stopped.borrow() {
                return;
            }
            let now = now_ms();
            let Some(entry) = self.entries.get(&key) else {
                continue;
            };
            let on_time_from = if entry.catching_up {
                now + 1
            } else {
                now - late_after
            };
            let ticks = ticks_to_fire(&entry.schedule, entry.cursor, now, on_time_from);
            let (schedule, version) = (entry.schedule.clone(), entry.version);
            let mut cursor = entry.cursor;
            let mut complete = true;
            for tick in ticks {
                let Some(fires) = self.fires() else { return };
                match fires
                    .claim_schedule_fire(key.0, &key.1, tick, now_ms())
                    .await
                {
                    Ok(true) => {
                        if tick < on_time_from {
                            info!(workflow_id = %key.0, node = %key.1,
                                  scheduled_at = %schedule.format(tick),
                                  "firing a missed schedule tick");
                        }
                        self.start(&key, &schedule, version, tick).await;
                    }
                    Ok(false) => {}
                    Err(e) => {
                        warn!(workflow_id = %key.0, node = %key.1, error = %e,
                              "scheduler: could not claim a tick; trying again");
                        complete = false;
                        break;
                    }
                }
                cursor = tick;
            }
            if let Some(entry) = self.entries.get_mut(&key) {
                if complete {
                    entry.cursor = now.max(cursor);
                    entry.catching_up = false;
                } else {
                    entry.cursor = cursor;
                }
            }
        }
    }

    /// Starts the execution of a claimed tick, trying a few times: the claim is taken, so a
    /// tick whose start keeps failing is lost (and logged).
    async fn start(&self, key: &Key, schedule: &Schedule, version: u32, tick: Millis) {
        let key_text = idempotency_key("schedule", &key.1, &tick.to_string());
        let mut delay = Duration::from_millis(200);
        for attempt in 1..=4 {
            let req = StartRequest {
                workflow_id: key.0,
                version: Some(version),
                input: schedule.execution_input(tick, now_ms()),
                trigger: Some(key.1.clone()),
                idempotency_key: Some(key_text.clone()),
                ..Default::default()
            };
            match self.engine.start_execution(req).await {
                Ok((rec, _)) => {
                    self.stats.fired.fetch_add(1, Ordering::SeqCst);
                    debug!(workflow_id = %key.0, node = %key.1, execution_id = %rec.id,
                           scheduled_at = %schedule.format(tick), "schedule fired");
                    return;
                }
                Err(e) if attempt < 4 => {
                    warn!(workflow_id = %key.0, node = %key.1, error = %e, attempt,
                          "scheduler: could not start the execution; retrying");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
                Err(e) => {
                    error!(workflow_id = %key.0, node = %key.1, error = %e,
                           scheduled_at = %schedule.format(tick),
                           "scheduler: the tick is claimed but its execution could not start");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ms(rfc3339: &str) -> Millis {
        rfc3339.parse::<jiff::Timestamp>().unwrap().as_millisecond()
    }

    fn schedule(cron: &str, timezone: &str, missed: &str) -> Schedule {
        ScheduleTrigger::parse_config(
            &json!({"cron": cron, "timezone": timezone, "missed": missed}),
        )
        .unwrap()
    }

    /// Everything up to `now` on time: what a running scheduler does.
    fn due(s: &Schedule, cursor: &str, now: &str) -> Vec<Millis> {
        ticks_to_fire(s, ms(cursor), ms(now), ms(now) - 60_000)
    }

    /// Everything up to `now` missed: what a scheduler does after downtime.
    fn after_downtime(s: &Schedule, cursor: &str, now: &str) -> Vec<Millis> {
        ticks_to_fire(s, ms(cursor), ms(now), ms(now) + 1)
    }

    #[test]
    fn a_running_scheduler_fires_each_tick_once() {
        let s = schedule("*/1 * * * * *", "UTC", "skip");
        assert_eq!(
            due(&s, "2025-01-01T00:00:00.400Z", "2025-01-01T00:00:00.999Z"),
            Vec::<Millis>::new()
        );
        assert_eq!(
            due(&s, "2025-01-01T00:00:00.400Z", "2025-01-01T00:00:01Z"),
            vec![ms("2025-01-01T00:00:01Z")]
        );
        // The cursor is past the tick: nothing again.
        assert!(due(&s, "2025-01-01T00:00:01Z", "2025-01-01T00:00:01.500Z").is_empty());
        // A late pass (within late_after) fires every tick it passed.
        assert_eq!(
            due(&s, "2025-01-01T00:00:01Z", "2025-01-01T00:00:04.100Z"),
            vec![
                ms("2025-01-01T00:00:02Z"),
                ms("2025-01-01T00:00:03Z"),
                ms("2025-01-01T00:00:04Z")
            ]
        );
    }

    #[test]
    fn missed_ticks_follow_the_policy() {
        let (last, now) = ("2025-01-01T00:00:00Z", "2025-01-01T05:30:00Z");
        let skip = schedule("0 0 * * * *", "UTC", "skip");
        assert!(after_downtime(&skip, last, now).is_empty());
        let once = schedule("0 0 * * * *", "UTC", "fire_once");
        assert_eq!(
            after_downtime(&once, last, now),
            vec![ms("2025-01-01T05:00:00Z")],
            "one catch-up, for the latest missed tick"
        );
        let all = schedule("0 0 * * * *", "UTC", "fire_all");
        assert_eq!(
            after_downtime(&all, last, now),
            (1..=5)
                .map(|h| ms(&format!("2025-01-01T0{h}:00:00Z")))
                .collect::<Vec<_>>()
        );
        // Nothing was missed: nothing to catch up, whatever the policy.
        for s in [&skip, &once, &all] {
            assert!(after_downtime(s, "2025-01-01T05:00:00Z", now).is_empty());
        }
    }

    #[test]
    fn fire_all_is_capped_at_the_latest_hundred() {
        let all = schedule("0 * * * * *", "UTC", "fire_all");
        let ticks = after_downtime(&all, "2025-01-01T00:00:00Z", "2025-01-02T00:00:30Z");
        assert_eq!(ticks.len(), SCHEDULE_MAX_CATCH_UP);
        assert_eq!(ticks.last(), Some(&ms("2025-01-02T00:00:00Z")));
        assert_eq!(ticks[0], ms("2025-01-01T22:21:00Z"));
        assert!(ticks.windows(2).all(|w| w[1] - w[0] == 60_000));
    }

    #[test]
    fn late_ticks_of_a_running_scheduler_count_as_missed() {
        // The database was unreachable for 10 minutes: ticks older than late_after (1 min)
        // follow the policy, the recent ones are due.
        let once = schedule("0 * * * * *", "UTC", "fire_once");
        let (cursor, now) = (ms("2025-01-01T00:00:00Z"), ms("2025-01-01T00:10:30Z"));
        assert_eq!(
            ticks_to_fire(&once, cursor, now, now - 60_000),
            vec![ms("2025-01-01T00:09:00Z"), ms("2025-01-01T00:10:00Z")]
        );
        let skip = schedule("0 * * * * *", "UTC", "skip");
        assert_eq!(
            ticks_to_fire(&skip, cursor, now, now - 60_000),
            vec![ms("2025-01-01T00:10:00Z")]
        );
    }

    #[test]
    fn missed_ticks_across_a_dst_change_are_counted_in_the_time_zone() {
        // 09:00 in New York on each day around the spring change (2025-03-09): 14:00Z in
        // winter (EST), 13:00Z in summer (EDT).
        let all = schedule("0 0 9 * * *", "America/New_York", "fire_all");
        assert_eq!(
            after_downtime(&all, "2025-03-07T15:00:00Z", "2025-03-10T18:00:00Z"),
            vec![
                ms("2025-03-08T14:00:00Z"),
                ms("2025-03-09T13:00:00Z"),
                ms("2025-03-10T13:00:00Z")
            ]
        );
        let once = schedule("0 0 9 * * *", "America/New_York", "fire_once");
        let catch_up = after_downtime(&once, "2025-03-07T15:00:00Z", "2025-03-10T18:00:00Z");
        assert_eq!(catch_up, vec![ms("2025-03-10T13:00:00Z")]);
        assert_eq!(once.format(catch_up[0]), "2025-03-10T09:00:00-04:00");
    }
}

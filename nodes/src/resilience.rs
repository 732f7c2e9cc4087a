//! Resilience of node types that call out: a circuit breaker per (node type, target host and
//! port) and a bulkhead per node type. The core's retry policy handles one activation failing;
//! these protect the process and the target when many activations fail together.
//!
//! **Breaker.** Closed, it counts outcomes in a sliding window; once the window holds at least
//! `min_calls` outcomes and the failure share reaches `failure_rate`, it opens: calls fail at
//! once with a `transient` error marked `refused` and saying `retry_after_ms`, without
//! touching the host. A node without retries fails fast on it; a node with retries comes back
//! when the refusal says, and the refused attempt does not use up one of its retries (for up
//! to the core's `REFUSAL_PATIENCE_MS`). After `open_for`, one call is let through as a probe
//! (half-open): success closes the breaker, failure opens it again. Only `transient` and
//! `timeout` errors count as failures; a `config` or `permanent` error says nothing about the
//! host's health.
//!
//! **Bulkhead.** At most `max_concurrent` activations of one node type run at once in this
//! process; the rest wait their turn (inside their own time limit), so one slow integration
//! cannot take every worker and connection.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use weft_core::{ErrorKind, NodeError};

/// How long a call refused while a half-open probe is in flight waits before trying again.
const PROBE_PATIENCE: Duration = Duration::from_millis(250);

/// When a breaker opens and for how long.
#[derive(Debug, Clone, PartialEq)]
pub struct BreakerPolicy {
    /// On by default; `WEFT_BREAKER_ENABLED=false` lets every call through uncounted.
    pub enabled: bool,
    /// How far back outcomes count.
    pub window: Duration,
    /// Outcomes needed in the window before the breaker may open.
    pub min_calls: usize,
    /// Failure share (0–1) that opens the breaker.
    pub failure_rate: f64,
    /// How long it stays open before a probe is let through.
    pub open_for: Duration,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        Self {
            enabled: true,
            window: Duration::from_secs(30),
            min_calls: 20,
            failure_rate: 0.5,
            open_for: Duration::from_secs(5),
        }
    }
}

/// Where a breaker stands (for tests and metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

#[derive(Debug)]
enum State {
    Closed {
        outcomes: VecDeque<(Instant, bool)>,
    },
    Open {
        until: Instant,
    },
    /// A probe is in flight; everyone else fails fast until it reports.
    HalfOpen,
}

/// One breaker: for one node type calling one host.
#[derive(Debug)]
pub struct CircuitBreaker {
    policy: BreakerPolicy,
    state: Mutex<State>,
}

/// The breaker refused a call: it is open, or a probe is already in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejected {
    /// When a call may be let through again (zero while a probe is in flight).
    pub retry_after: Duration,
}

impl CircuitBreaker {
    pub fn new(policy: BreakerPolicy) -> Self {
        Self {
            policy,
            state: Mutex::new(State::Closed {
                outcomes: VecDeque::new(),
            }),
        }
    }

    pub fn state(&self) -> BreakerState {
        match *self.lock() {
            State::Closed { .. } => BreakerState::Closed,
            State::Open { .. } => BreakerState::Open,
            State::HalfOpen => BreakerState::HalfOpen,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the state half-changed (every update
        // is one assignment), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// May a call go through at `now`? An open breaker whose time is up lets exactly one
    /// probe through.
    pub fn admit(&self, now: Instant) -> Result<(), Rejected> {
        let mut state = self.lock();
        match &*state {
            State::Closed { .. } => Ok(()),
            State::Open { until } if now >= *until => {
                *state = State::HalfOpen;
                Ok(())
            }
            State::Open { until } => Err(Rejected {
                retry_after: *until - now,
            }),
            State::HalfOpen => Err(Rejected {
                retry_after: Duration::ZERO,
            }),
        }
    }

    /// Reports the outcome of an admitted call.
    pub fn record(&self, now: Instant, success: bool) {
        let mut state = self.lock();
        match &mut *state {
            State::HalfOpen => {
                *state = if success {
                    State::Closed {
                        outcomes: VecDeque::new(),
                    }
                } else {
                    State::Open {
                        until: now + self.policy.open_for,
                    }
                };
            }
            State::Closed { outcomes } => {
                outcomes.push_back((now, success));
                while outcomes
                    .front()
                    .is_some_and(|(at, _)| now.duration_since(*at) > self.policy.window)
                {
                    outcomes.pop_front();
                }
                let failures = outcomes.iter().filter(|(_, ok)| !ok).count();
                if outcomes.len() >= self.policy.min_calls
                    && failures as f64 >= self.policy.failure_rate * outcomes.len() as f64
                {
                    *state = State::Open {
                        until: now + self.policy.open_for,
                    };
                }
            }
            // A call admitted before the breaker opened reports late: nothing to learn.
            State::Open { .. } => {}
        }
    }
}

/// Every breaker of the process, by (node type, host). Cheap to share.
#[derive(Debug, Default)]
pub struct Breakers {
    policy: BreakerPolicy,
    breakers: Mutex<HashMap<(String, String), Arc<CircuitBreaker>>>,
}

impl Breakers {
    pub fn new(policy: BreakerPolicy) -> Self {
        Self {
            policy,
            breakers: Mutex::new(HashMap::new()),
        }
    }

    /// The breaker of `node_type` calling `host` (created closed on first use).
    pub fn get(&self, node_type: &str, host: &str) -> Arc<CircuitBreaker> {
        let mut map = self.breakers.lock().unwrap_or_else(|p| p.into_inner());
        Arc::clone(
            map.entry((node_type.to_string(), host.to_ascii_lowercase()))
                .or_insert_with(|| Arc::new(CircuitBreaker::new(self.policy.clone()))),
        )
    }

    /// Runs `call` through the breaker of (`node_type`, `host`): fails fast while it is open,
    /// and records the outcome.
    pub async fn call<T>(
        &self,
        node_type: &str,
        host: &str,
        call: impl Future<Output = Result<T, NodeError>>,
    ) -> Result<T, NodeError> {
        if !self.policy.enabled {
            return call.await;
        }
        let breaker = self.get(node_type, host);
        if let Err(r) = breaker.admit(Instant::now()) {
            // While a probe is in flight, come back shortly rather than at once.
            let retry_after = r.retry_after.max(PROBE_PATIENCE);
            return Err(NodeError::transient(format!(
                "circuit open for {host}: recent calls from {node_type} failed; not calling it \
                 for another {} ms",
                r.retry_after.as_millis()
            ))
            .with_details(serde_json::json!({
                "circuit": "open",
                "refused": true,
                "host": host,
                "retry_after_ms": retry_after.as_millis() as u64,
            })));
        }
        let result = call.await;
        let healthy = match &result {
            Ok(_) => true,
            Err(e) => !matches!(e.kind, ErrorKind::Transient | ErrorKind::Timeout),
        };
        breaker.record(Instant::now(), healthy);
        result
    }
}

/// Concurrency limits per node type.
#[derive(Debug)]
pub struct Bulkheads {
    default_limit: usize,
    /// The operator's limits by type.
    limits: HashMap<String, usize>,
    /// The types' own defaults (see `Node::max_concurrency`), below the operator's.
    type_defaults: HashMap<String, usize>,
    semaphores: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl Bulkheads {
    /// `default_limit` for every type, except those in `limits`.
    pub fn new(default_limit: usize, limits: HashMap<String, usize>) -> Self {
        Self {
            default_limit: default_limit.max(1),
            limits,
            type_defaults: HashMap::new(),
            semaphores: Mutex::new(HashMap::new()),
        }
    }

    /// A node type's own default limit, used unless the operator set one for it.
    pub fn set_type_default(&mut self, node_type: &str, limit: usize) {
        self.type_defaults
            .insert(node_type.to_string(), limit.max(1));
    }

    /// The limit of `node_type`.
    pub fn limit(&self, node_type: &str) -> usize {
        self.limits
            .get(node_type)
            .or_else(|| self.type_defaults.get(node_type))
            .copied()
            .unwrap_or(self.default_limit)
            .max(1)
    }

    /// Waits for a slot of `node_type`; the slot is freed when the permit is dropped.
    pub async fn enter(&self, node_type: &str) -> OwnedSemaphorePermit {
        let semaphore = {
            let mut map = self.semaphores.lock().unwrap_or_else(|p| p.into_inner());
            Arc::clone(
                map.entry(node_type.to_string())
                    .or_insert_with(|| Arc::new(Semaphore::new(self.limit(node_type)))),
            )
        };
        semaphore
            .acquire_owned()
            .await
            .expect("bulkhead semaphores are never closed")
    }
}

/// Operator settings of breakers and bulkheads.
#[derive(Debug, Clone)]
pub struct ResilienceOptions {
    pub breaker: BreakerPolicy,
    /// Concurrent activations per node type unless `max_concurrent_by_type` says otherwise.
    pub max_concurrent: usize,
    pub max_concurrent_by_type: HashMap<String, usize>,
}

impl ResilienceOptions {
    /// Defaults overridden by `WEFT_BREAKER_ENABLED`, `WEFT_NODE_MAX_CONCURRENT`, `WEFT_NODE_MAX_CONCURRENT_BY_TYPE`
    /// (`type=n,type=n`), `WEFT_BREAKER_MIN_CALLS`, `WEFT_BREAKER_FAILURE_RATE` (0–1),
    /// `WEFT_BREAKER_WINDOW_MS` and `WEFT_BREAKER_OPEN_MS`.
    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) over any lookup (tests cannot safely change the process
    /// environment).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        fn number<T: std::str::FromStr>(
            get: &impl Fn(&str) -> Option<String>,
            name: &str,
        ) -> Result<Option<T>, String> {
            get(name)
                .map(|v| {
                    v.trim()
                        .parse::<T>()
                        .map_err(|_| format!("{name}: `{v}` is not a valid number"))
                })
                .transpose()
        }
        let mut o = Self::default();
        if let Some(v) = get("WEFT_BREAKER_ENABLED") {
            o.breaker.enabled = match v.trim() {
                "true" | "1" | "on" => true,
                "false" | "0" | "off" => false,
                other => {
                    return Err(format!(
                        "WEFT_BREAKER_ENABLED: `{other}` is not true or false"
                    ));
                }
            };
        }
        if let Some(n) = number::<usize>(&get, "WEFT_NODE_MAX_CONCURRENT")? {
            o.max_concurrent = n.max(1);
        }
        if let Some(list) = get("WEFT_NODE_MAX_CONCURRENT_BY_TYPE") {
            for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
                let parsed = entry.split_once('=').and_then(|(t, n)| {
                    Some((t.trim().to_string(), n.trim().parse::<usize>().ok()?))
                });
                let Some((type_name, n)) = parsed else {
                    return Err(format!(
                        "WEFT_NODE_MAX_CONCURRENT_BY_TYPE: `{entry}` is not `type=number`"
                    ));
                };
                o.max_concurrent_by_type.insert(type_name, n.max(1));
            }
        }
        if let Some(n) = number::<usize>(&get, "WEFT_BREAKER_MIN_CALLS")? {
            o.breaker.min_calls = n.max(1);
        }
        if let Some(r) = number::<f64>(&get, "WEFT_BREAKER_FAILURE_RATE")? {
            if !(r > 0.0 && r <= 1.0) {
                return Err(format!(
                    "WEFT_BREAKER_FAILURE_RATE: {r} is not a share between 0 (excluded) and 1"
                ));
            }
            o.breaker.failure_rate = r;
        }
        if let Some(ms) = number::<u64>(&get, "WEFT_BREAKER_WINDOW_MS")? {
            o.breaker.window = Duration::from_millis(ms.max(1));
        }
        if let Some(ms) = number::<u64>(&get, "WEFT_BREAKER_OPEN_MS")? {
            o.breaker.open_for = Duration::from_millis(ms.max(1));
        }
        Ok(o)
    }
}

impl Default for ResilienceOptions {
    fn default() -> Self {
        Self {
            breaker: BreakerPolicy::default(),
            max_concurrent: 256,
            max_concurrent_by_type: HashMap::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> BreakerPolicy {
        BreakerPolicy {
            enabled: true,
            window: Duration::from_secs(10),
            min_calls: 4,
            failure_rate: 0.5,
            open_for: Duration::from_secs(5),
        }
    }

    #[test]
    fn opens_at_the_failure_rate_probes_once_and_closes_on_success() {
        let b = CircuitBreaker::new(policy());
        let t0 = Instant::now();
        b.record(t0, true);
        b.record(t0, false);
        b.record(t0, true);
        assert_eq!(b.state(), BreakerState::Closed, "3 calls < min_calls");
        b.record(t0, false);
        assert_eq!(b.state(), BreakerState::Open, "2 of 4 failed");
        let r = b.admit(t0 + Duration::from_secs(1)).unwrap_err();
        assert_eq!(r.retry_after, Duration::from_secs(4));

        let later = t0 + Duration::from_secs(5);
        assert!(b.admit(later).is_ok(), "the probe goes through");
        assert_eq!(b.state(), BreakerState::HalfOpen);
        assert!(b.admit(later).is_err(), "only one probe at a time");
        b.record(later, true);
        assert_eq!(b.state(), BreakerState::Closed);
        assert!(b.admit(later).is_ok());
    }

    #[test]
    fn a_failed_probe_opens_it_again_and_old_outcomes_leave_the_window() {
        let b = CircuitBreaker::new(policy());
        let t0 = Instant::now();
        for _ in 0..4 {
            b.record(t0, false);
        }
        let t1 = t0 + Duration::from_secs(5);
        b.admit(t1).unwrap();
        b.record(t1, false);
        assert_eq!(b.state(), BreakerState::Open);
        assert!(b.admit(t1 + Duration::from_secs(4)).is_err());

        let b = CircuitBreaker::new(policy());
        for _ in 0..3 {
            b.record(t0, false);
        }
        // Eleven seconds later the three failures are out of the window.
        let t2 = t0 + Duration::from_secs(11);
        for _ in 0..3 {
            b.record(t2, true);
        }
        b.record(t2, false);
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[tokio::test]
    async fn only_transient_and_timeout_errors_count() {
        let breakers = Breakers::new(policy());
        for _ in 0..4 {
            let r: Result<(), _> = breakers
                .call("http.request", "api.example", async {
                    Err(NodeError::permanent("404"))
                })
                .await;
            assert!(r.is_err());
        }
        assert_eq!(
            breakers.get("http.request", "API.example").state(),
            BreakerState::Closed
        );
        for _ in 0..4 {
            let _ = breakers
                .call("http.request", "api.example", async {
                    Err::<(), _>(NodeError::transient("503"))
                })
                .await;
        }
        let e = breakers
            .call("http.request", "api.example", async { Ok(()) })
            .await
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Transient);
        assert!(e.message.starts_with("circuit open for api.example"), "{e}");
        assert!(e.retry_after_ms().is_some_and(|ms| ms > 0), "{e:?}");
        assert!(e.is_refusal(), "a refusal says so: {e:?}");
        // Another type calling the same host has its own breaker.
        assert!(
            breakers
                .call("ai.chat", "api.example", async { Ok(()) })
                .await
                .is_ok()
        );
    }

    #[test]
    fn options_come_from_the_environment_and_bad_values_are_named() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let o = ResilienceOptions::from_lookup(env(&[
            ("WEFT_NODE_MAX_CONCURRENT", "64"),
            (
                "WEFT_NODE_MAX_CONCURRENT_BY_TYPE",
                "code.javascript=2, db.postgres=16",
            ),
            ("WEFT_BREAKER_MIN_CALLS", "10"),
            ("WEFT_BREAKER_FAILURE_RATE", "0.25"),
            ("WEFT_BREAKER_OPEN_MS", "500"),
        ]))
        .unwrap();
        assert_eq!(o.max_concurrent, 64);
        assert!(o.breaker.enabled, "the breaker is on by default");
        assert_eq!(o.max_concurrent_by_type["code.javascript"], 2);
        assert_eq!(o.breaker.min_calls, 10);
        assert_eq!(o.breaker.failure_rate, 0.25);
        assert_eq!(o.breaker.open_for, Duration::from_millis(500));
        assert_eq!(o.breaker.window, BreakerPolicy::default().window);

        let e =
            ResilienceOptions::from_lookup(env(&[("WEFT_BREAKER_FAILURE_RATE", "2")])).unwrap_err();
        assert!(e.starts_with("WEFT_BREAKER_FAILURE_RATE"), "{e}");
        let e = ResilienceOptions::from_lookup(env(&[(
            "WEFT_NODE_MAX_CONCURRENT_BY_TYPE",
            "code.javascript",
        )]))
        .unwrap_err();
        assert!(e.contains("`code.javascript` is not `type=number`"), "{e}");
        let e = ResilienceOptions::from_lookup(env(&[("WEFT_NODE_MAX_CONCURRENT", "many")]))
            .unwrap_err();
        assert_eq!(e, "WEFT_NODE_MAX_CONCURRENT: `many` is not a valid number");
        let off =
            ResilienceOptions::from_lookup(env(&[("WEFT_BREAKER_ENABLED", "false")])).unwrap();
        assert!(!off.breaker.enabled);
        let e =
            ResilienceOptions::from_lookup(env(&[("WEFT_BREAKER_ENABLED", "maybe")])).unwrap_err();
        assert_eq!(e, "WEFT_BREAKER_ENABLED: `maybe` is not true or false");
    }

    #[tokio::test]
    async fn a_bulkhead_caps_concurrency_per_type() {
        let mut b = Bulkheads::new(8, HashMap::from([("code.javascript".to_string(), 2)]));
        b.set_type_default("code.javascript", 4);
        b.set_type_default("db.postgres", 16);
        let b = Arc::new(b);
        assert_eq!(b.limit("http.request"), 8);
        assert_eq!(b.limit("db.postgres"), 16, "the type's own default");
        assert_eq!(b.limit("code.javascript"), 2, "the operator's wins");
        let p1 = b.enter("code.javascript").await;
        let _p2 = b.enter("code.javascript").await;
        let waiting = tokio::spawn({
            let b = Arc::clone(&b);
            async move {
                let _p = b.enter("code.javascript").await;
            }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "the third waits");
        drop(p1);
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("a freed slot lets it in")
            .unwrap();
    }
}

//! State machine tests: a simulated shell drives `decide`/`apply` the way the actor shell
//! does, with node results chosen by the test (or at random, for the property tests).

use super::*;
use crate::definition::Format;
use crate::graph::compile_text;
use crate::graph::test_catalog::TestCatalog;
use proptest::prelude::*;
use serde_json::json;

/// How the simulated node actors answer.
trait Outcomes {
    fn run(&mut self, task: &NodeTask) -> Result<(Value, Vec<String>), NodeError>;
    /// Which running task finishes next (index into the running list).
    fn pick(&mut self, running: usize) -> usize {
        let _ = running;
        0
    }
}

/// Runs tasks with the semantics of the real core nodes.
struct Faithful;

impl Outcomes for Faithful {
    fn run(&mut self, t: &NodeTask) -> Result<(Value, Vec<String>), NodeError> {
        faithful(t)
    }
}

fn faithful(t: &NodeTask) -> Result<(Value, Vec<String>), NodeError> {
    let main = vec!["main".to_string()];
    let prev = t.context["prev"].clone();
    Ok(match t.type_name.as_str() {
        "trigger.manual" => (t.context["input"].clone(), main),
        "data.set" => {
            let mut out = if prev.is_object() { prev } else { json!({}) };
            for (k, v) in t.config["fields"].as_object().cloned().unwrap_or_default() {
                out[k] = v;
            }
            (out, main)
        }
        "data.transform" => {
            let f = &t.filters.iter().find(|(n, _)| n == "filter").unwrap().1;
            (
                f.first(&t.context)
                    .map_err(|e| NodeError::permanent(e.message))?,
                main,
            )
        }
        "flow.if" => {
            let port = if truthy(&t.config["condition"]) {
                "true"
            } else {
                "false"
            };
            (prev, vec![port.to_string()])
        }
        "flow.merge" => (Value::Object(t.inputs.clone()), main),
        "flow.fail" => {
            return Err(NodeError::permanent(
                t.config["message"].as_str().unwrap_or("").to_string(),
            ));
        }
        other => panic!("no simulated behaviour for {other}"),
    })
}

struct Sim {
    state: ExecutionState,
    log: Vec<EventEnvelope>,
    snapshots: Vec<(usize, Value)>,
    now: Millis,
    running: Vec<NodeTask>,
    seed: u64,
}

impl Sim {
    fn new(def: &str, input: Value) -> Sim {
        Sim::started_by(def, input, None)
    }

    /// An execution started by one trigger (`None`: every trigger).
    fn started_by(def: &str, input: Value, trigger: Option<&str>) -> Sim {
        let wf = Arc::new(
            compile_text(def, Format::Json, &TestCatalog::new()).expect("valid test workflow"),
        );
        let id = ExecutionId(uuid::Uuid::from_u128(7));
        let wid = WorkflowId(uuid::Uuid::from_u128(9));
        let mut sim = Sim {
            state: ExecutionState::new(wf, id, wid, 1),
            log: Vec::new(),
            snapshots: Vec::new(),
            now: 1_000_000,
            running: Vec::new(),
            seed: 0,
        };
        sim.record(ExecutionState::start_event(
            input,
            None,
            trigger.map(str::to_string),
            wid,
            1,
        ));
        sim
    }

    /// Retries the finished execution, as the shell does: its node actors were stopped when
    /// it ended, so nothing of them is left.
    fn retry(&mut self) -> Vec<NodePath> {
        let e = self
            .state
            .retry_event()
            .expect("a failed or timed-out execution");
        let Event::ExecutionRetried { nodes } = &e else {
            panic!("not a retry event: {e:?}");
        };
        let nodes = nodes.clone();
        self.running.clear();
        self.record(e);
        nodes
    }

    /// The attempts of `NodeScheduled` events for `path` from log index `from` on.
    fn attempts(&self, path: &str, from: usize) -> Vec<u32> {
        self.log[from..]
            .iter()
            .filter_map(|e| match &e.event {
                Event::NodeScheduled { node, attempt } if node == path => Some(*attempt),
                _ => None,
            })
            .collect()
    }

    fn record(&mut self, event: Event) {
        let env = EventEnvelope {
            seq: self.state.seq() + 1,
            at: self.now,
            event,
        };
        self.state.apply(&env);
        self.log.push(env);
    }

    /// Decides until quiescent, like the shell does before it persists a step.
    fn settle(&mut self) {
        for _ in 0..10_000 {
            let cmds = self.state.decide(self.now);
            if cmds.is_empty() {
                return;
            }
            for c in cmds {
                if let Some(e) = c.event() {
                    self.record(e);
                }
                if let Command::RunNode(t) = c {
                    self.running.push(t);
                }
            }
        }
        panic!("decide never settled");
    }

    fn run(&mut self, outcomes: &mut dyn Outcomes) -> &ExecutionState {
        self.run_with_snapshots(outcomes, |_| false)
    }

    fn run_with_snapshots(
        &mut self,
        outcomes: &mut dyn Outcomes,
        mut snap: impl FnMut(u64) -> bool,
    ) -> &ExecutionState {
        for _ in 0..100_000 {
            self.settle();
            if snap(self.state.seq()) {
                self.snapshots.push((self.log.len(), self.state.snapshot()));
            }
            if self.state.is_terminal() {
                return &self.state;
            }
            // Results of tasks the state no longer wants are dropped, like the shell does.
            self.running
                .retain(|t| self.state.accepts_result(&t.path, t.attempt));
            if !self.running.is_empty() {
                let i = outcomes.pick(self.running.len()) % self.running.len();
                let t = self.running.remove(i);
                self.seed += 1;
                let e = match outcomes.run(&t) {
                    Ok((output, ports)) => Event::NodeCompleted {
                        node: t.path,
                        output,
                        ports,
                    },
                    Err(error) => Event::NodeAttemptFailed {
                        node: t.path,
                        attempt: t.attempt,
                        error,
                        seed: self.seed,
                    },
                };
                self.record(e);
                continue;
            }
            match self.state.next_wakeup() {
                Some(t) => self.now = self.now.max(t),
                None => panic!(
                    "stuck: nothing running, nothing to wake for: {:#?}",
                    self.state.data()
                ),
            }
        }
        panic!("did not finish");
    }

    fn output(&self) -> Value {
        self.state.data().output.clone().unwrap_or(Value::Null)
    }
}

const BRANCH: &str = r#"{"name": "b", "nodes": [
  {"id": "start", "type": "trigger.manual"},
  {"id": "double", "type": "data.transform", "config": {"filter": "{n: (.input.n * 2)}"}},
  {"id": "big", "type": "flow.if", "config": {"condition": "{{ .prev.n > 10 }}"}},
  {"id": "yes", "type": "data.set", "config": {"fields": {"size": "big"}}},
  {"id": "no", "type": "data.set", "config": {"fields": {"size": "small"}}},
  {"id": "out", "type": "data.transform", "config": {"filter": "{size: .prev.size, n: .nodes.double.n}"}}],
 "edges": [{"from": "start", "to": "double"}, {"from": "double", "to": "big"},
  {"from": "big", "port": "true", "to": "yes"}, {"from": "big", "port": "false", "to": "no"},
  {"from": "yes", "to": "out"}, {"from": "no", "to": "out"}]}"#;

#[test]
fn branches_skip_the_dead_path_and_the_join_still_runs() {
    let mut sim = Sim::new(BRANCH, json!({"n": 7}));
    assert_eq!(sim.run(&mut Faithful).status(), ExecutionStatus::Succeeded);
    assert_eq!(sim.output(), json!({"size": "big", "n": 14}));
    assert_eq!(sim.state.data().nodes["no"].status, NodeStatus::Skipped);

    let mut sim = Sim::new(BRANCH, json!({"n": 3}));
    sim.run(&mut Faithful);
    assert_eq!(sim.output(), json!({"size": "small", "n": 6}));
}

#[test]
fn for_each_returns_results_in_item_order_with_bounded_concurrency() {
    struct Reverse(usize);
    impl Outcomes for Reverse {
        fn run(&mut self, t: &NodeTask) -> Result<(Value, Vec<String>), NodeError> {
            faithful(t)
        }
        fn pick(&mut self, running: usize) -> usize {
            self.0 = self.0.max(running);
            running - 1 // finish the newest first
        }
    }
    let def = r#"{"name": "l", "nodes": [{"id": "start", "type": "trigger.manual"},
      {"id": "each", "type": "flow.for_each", "config": {"items": "{{ .input.xs }}", "max_concurrency": 2,
        "body": {"nodes": [{"id": "sq", "type": "data.transform", "config": {"filter": ".item * .item"}}], "edges": []}}},
      {"id": "sum", "type": "data.transform", "config": {"filter": "{squares: .prev, total: (.prev | add)}"}}],
     "edges": [{"from": "start", "to": "each"}, {"from": "each", "to": "sum"}]}"#;
    let mut sim = Sim::new(def, json!({"xs": [1, 2, 3, 4, 5]}));
    let mut o = Reverse(0);
    sim.run(&mut o);
    assert_eq!(
        sim.output(),
        json!({"squares": [1, 4, 9, 16, 25], "total": 55})
    );
    assert_eq!(o.0, 2, "at most max_concurrency iterations run at once");
}

#[test]
fn while_loops_until_the_condition_fails_and_caps_iterations() {
    let def = r#"{"name": "w", "nodes": [{"id": "start", "type": "trigger.manual"},
      {"id": "count", "type": "flow.while", "config": {"condition": "{{ .index < 3 }}", "max_iterations": 10,
        "body": {"nodes": [{"id": "inc", "type": "data.transform", "config": {"filter": "{i: .index, p: .prev}"}}]}}}],
     "edges": [{"from": "start", "to": "count"}]}"#;
    let mut sim = Sim::new(def, json!("in"));
    sim.run(&mut Faithful);
    assert_eq!(
        sim.output(),
        json!([{"i": 0, "p": "in"}, {"i": 1, "p": {"i": 0, "p": "in"}}, {"i": 2, "p": {"i": 1, "p": {"i": 0, "p": "in"}}}])
    );
    let capped = def.replace("\"max_iterations\": 10", "\"max_iterations\": 2");
    let mut sim = Sim::new(&capped, json!(null));
    sim.run(&mut Faithful);
    assert_eq!(sim.output().as_array().unwrap().len(), 2);
}

#[test]
fn transient_failures_retry_with_backoff_then_on_error_applies() {
    struct Flaky(u32);
    impl Outcomes for Flaky {
        fn run(&mut self, t: &NodeTask) -> Result<(Value, Vec<String>), NodeError> {
            if t.type_name == "http.request" {
                self.0 += 1;
                return Err(NodeError::transient("503"));
            }
            faithful(t)
        }
    }
    let def = |on_error: &str| {
        format!(
            r#"{{"name": "r", "nodes": [{{"id": "start", "type": "trigger.manual"}},
          {{"id": "call", "type": "http.request", "on_error": "{on_error}",
            "retry": {{"max_attempts": 3, "initial_interval_ms": 100, "jitter": "none"}}}},
          {{"id": "handled", "type": "data.set", "config": {{"fields": {{"handled": true}}}}}}],
         "edges": [{{"from": "start", "to": "call"}}, {{"from": "call", "port": "error", "to": "handled"}}]}}"#
        )
    };
    let mut sim = Sim::new(&def("route"), json!({}));
    let mut flaky = Flaky(0);
    sim.run(&mut flaky);
    assert_eq!(flaky.0, 3);
    assert_eq!(sim.state.status(), ExecutionStatus::Succeeded);
    assert_eq!(sim.output()["handled"], json!(true));
    assert_eq!(sim.output()["error"]["kind"], json!("transient"));
    // Backoff: 100 ms then 200 ms between attempts.
    let sched: Vec<Millis> = sim
        .log
        .iter()
        .filter(|e| matches!(e.event, Event::NodeScheduled { ref node, .. } if node == "call"))
        .map(|e| e.at)
        .collect();
    assert_eq!(
        sched.windows(2).map(|w| w[1] - w[0]).collect::<Vec<_>>(),
        vec![100, 200]
    );

    let fail = r#"{"name": "r", "nodes": [{"id": "start", "type": "trigger.manual"},
          {"id": "call", "type": "http.request", "retry": {"max_attempts": 2, "initial_interval_ms": 10}}],
         "edges": [{"from": "start", "to": "call"}]}"#;
    let mut sim = Sim::new(fail, json!({}));
    sim.run(&mut Flaky(0));
    assert_eq!(sim.state.status(), ExecutionStatus::Failed);
    assert_eq!(
        sim.state.data().error.as_ref().unwrap().node.as_deref(),
        Some("call")
    );
}

#[test]
fn a_retry_waits_at_least_as_long_as_the_failure_asks() {
    // A circuit breaker that is open says when calling again is worth it; the backoff
    // (100 ms here) is stretched to that, never shortened.
    struct Breaker(u32);
    impl Outcomes for Breaker {
        fn run(&mut self, t: &NodeTask) -> Result<(Value, Vec<String>), NodeError> {
            if t.type_name == "http.request" {
                self.0 += 1;
                if self.0 <= 2 {
                    let after = if self.0 == 1 { 5_000 } else { 10 };
                    return Err(NodeError::transient("circuit open")
                        .with_details(json!({"retry_after_ms": after})));
                }
                return Ok((json!({"status": 200}), vec!["main".to_string()]));
            }
            faithful(t)
        }
    }
    let def = r#"{"name": "r", "nodes": [{"id": "start", "type": "trigger.manual"},
          {"id": "call", "type": "http.request",
           "retry": {"max_attempts": 3, "initial_interval_ms": 100, "jitter": "none"}}],
         "edges": [{"from": "start", "to": "call"}]}"#;
    let mut sim = Sim::new(def, json!({}));
    sim.run(&mut Breaker(0));
    assert_eq!(sim.state.status(), ExecutionStatus::Succeeded);
    let sched: Vec<Millis> = sim
        .log
        .iter()
        .filter(|e| matches!(e.event, Event::NodeScheduled { ref node, .. } if node == "call"))
        .map(|e| e.at)
        .collect();
    assert_eq!(
        sched.windows(2).map(|w| w[1] - w[0]).collect::<Vec<_>>(),
        vec![5_000, 200],
        "5 s as asked, then the 200 ms backoff (longer than the 10 ms asked)"
    );
}

/// A target behind an open breaker: the first `refusals` calls are refused (nothing reached
/// the host), then `failures` real failures, then success.
struct Refusing {
    calls: u32,
    refusals: u32,
    failures: u32,
    retry_after_ms: u64,
}

impl Refusing {
    fn new(refusals: u32, failures: u32, retry_after_ms: u64) -> Self {
        Self {
            calls: 0,
            refusals,
            failures,
            retry_after_ms,
        }
    }
}

/// Runs the one-call workflow with `max_attempts` against `target` to the end.
fn run_against(max_attempts: u32, target: &mut impl Outcomes) -> Sim {
    let mut sim = Sim::new(&call_with_retry(max_attempts), json!({}));
    sim.run(target);
    sim
}

impl Outcomes for Refusing {
    fn run(&mut self, t: &NodeTask) -> Result<(Value, Vec<String>), NodeError> {
        if t.type_name != "http.request" {
            return faithful(t);
        }
        self.calls += 1;
        if self.calls <= self.refusals {
            return Err(NodeError::transient("circuit open").with_details(
                json!({"circuit": "open", "refused": true, "retry_after_ms": self.retry_after_ms}),
            ));
        }
        if self.calls <= self.refusals + self.failures {
            return Err(NodeError::transient("503"));
        }
        Ok((json!({"status": 200}), vec!["main".to_string()]))
    }
}

fn call_with_retry(max_attempts: u32) -> String {
    format!(
        r#"{{"name": "r", "nodes": [{{"id": "start", "type": "trigger.manual"}},
          {{"id": "call", "type": "http.request",
            "retry": {{"max_attempts": {max_attempts}, "initial_interval_ms": 100, "jitter": "none"}}}}],
         "edges": [{{"from": "start", "to": "call"}}]}}"#
    )
}

fn call_gaps(sim: &Sim) -> Vec<Millis> {
    let at: Vec<Millis> = sim
        .log
        .iter()
        .filter(|e| matches!(e.event, Event::NodeScheduled { ref node, .. } if node == "call"))
        .map(|e| e.at)
        .collect();
    at.windows(2).map(|w| w[1] - w[0]).collect()
}

#[test]
fn refused_attempts_do_not_use_up_a_nodes_retries() {
    // Five refusals, then the two real failures that two of three attempts allow, then
    // success: the refusals were free, so the node still succeeds.
    let mut target = Refusing::new(5, 2, 1_000);
    let sim = run_against(3, &mut target);
    assert_eq!(sim.state.status(), ExecutionStatus::Succeeded);
    assert_eq!(target.calls, 8);
    assert_eq!(
        call_gaps(&sim),
        vec![1_000, 1_000, 1_000, 1_000, 1_000, 100, 200],
        "refusals come back when the breaker says; real failures keep their own backoff"
    );
    assert_eq!(sim.state.data().nodes["call"].refused, 5);
}

#[test]
fn a_refusal_fails_a_node_without_retries_at_once() {
    let mut target = Refusing::new(u32::MAX, 0, 1_000);
    let sim = run_against(1, &mut target);
    assert_eq!(sim.state.status(), ExecutionStatus::Failed);
    assert_eq!(target.calls, 1);
}

#[test]
fn refusals_count_again_once_the_patience_is_over() {
    // A host that stays refused: free refusals every 5 s for the patience, then each refusal
    // is an attempt, and the node fails after its remaining three.
    let mut target = Refusing::new(u32::MAX, 0, 5_000);
    let sim = run_against(3, &mut target);
    assert_eq!(sim.state.status(), ExecutionStatus::Failed);
    let free = (REFUSAL_PATIENCE_MS as u64).div_ceil(5_000) as u32;
    assert_eq!(target.calls, free + 3);
    assert_eq!(sim.state.data().nodes["call"].refused, free);
}

#[test]
fn a_real_failure_restarts_the_refusal_patience() {
    // Refused for 20 s, one real failure, refused for 20 s more: still within the (30 s)
    // patience, because the host answered in between; without the restart the third
    // attempt would be the last.
    let mut sim = Sim::new(&call_with_retry(3), json!({}));
    struct Intermittent(u32);
    impl Outcomes for Intermittent {
        fn run(&mut self, t: &NodeTask) -> Result<(Value, Vec<String>), NodeError> {
            if t.type_name != "http.request" {
                return faithful(t);
            }
            self.0 += 1;
            match self.0 {
                6 => Err(NodeError::transient("503")),
                n if n < 12 => Err(NodeError::transient("circuit open")
                    .with_details(json!({"refused": true, "retry_after_ms": 5_000}))),
                _ => Ok((json!({"status": 200}), vec!["main".to_string()])),
            }
        }
    }
    let mut target = Intermittent(0);
    sim.run(&mut target);
    assert_eq!(sim.state.status(), ExecutionStatus::Succeeded);
    assert_eq!(target.0, 12);
}

#[test]
fn waits_signals_and_cancellation() {
    let def = r#"{"name": "s", "nodes": [{"id": "start", "type": "trigger.manual"},
      {"id": "nap", "type": "flow.wait", "config": {"duration_ms": 1500}},
      {"id": "approve", "type": "flow.signal", "config": {"name": "approval", "timeout_ms": 60000}}],
     "edges": [{"from": "start", "to": "nap"}, {"from": "nap", "to": "approve"}]}"#;
    let mut sim = Sim::new(def, json!({"k": 1}));
    sim.settle();
    let t0 = sim.now;
    // trigger runs, then the wait is armed
    let t = sim.running.remove(0);
    sim.record(Event::NodeCompleted {
        node: t.path,
        output: json!({"k": 1}),
        ports: vec!["main".into()],
    });
    sim.settle();
    assert_eq!(sim.state.status(), ExecutionStatus::Waiting);
    assert_eq!(sim.state.next_wakeup(), Some(t0 + 1500));
    assert!(!sim.state.has_running_work());
    sim.now = t0 + 1500;
    sim.settle();
    assert_eq!(sim.state.data().nodes["nap"].output, Some(json!({"k": 1})));
    // the signal arrives
    sim.record(Event::SignalReceived {
        name: "approval".into(),
        payload: json!({"ok": true}),
    });
    sim.settle();
    assert_eq!(sim.state.status(), ExecutionStatus::Succeeded);
    assert_eq!(sim.output(), json!({"ok": true}));

    let mut sim = Sim::new(def, json!({}));
    sim.settle();
    sim.record(Event::CancelRequested {
        reason: "user".into(),
    });
    sim.settle();
    assert_eq!(sim.state.status(), ExecutionStatus::Cancelled);
    assert!(!sim.state.accepts_result("start", 1));
}

#[test]
fn execution_timeout_ends_a_waiting_execution() {
    let def = r#"{"name": "t", "settings": {"timeout_ms": 500}, "nodes": [{"id": "start", "type": "trigger.manual"},
      {"id": "nap", "type": "flow.wait", "config": {"duration_ms": 100000}}],
     "edges": [{"from": "start", "to": "nap"}]}"#;
    let mut sim = Sim::new(def, json!({}));
    assert_eq!(sim.run(&mut Faithful).status(), ExecutionStatus::TimedOut);
}

#[test]
fn merge_any_runs_on_the_first_input_and_all_waits() {
    let def = |mode: &str| {
        format!(
            r#"{{"name": "m", "nodes": [{{"id": "start", "type": "trigger.manual"}},
          {{"id": "a", "type": "data.set", "config": {{"fields": {{"a": 1}}, "keep_input": false}}}},
          {{"id": "b", "type": "data.set", "config": {{"fields": {{"b": 2}}, "keep_input": false}}}},
          {{"id": "m", "type": "flow.merge", "config": {{"mode": "{mode}"}}}}],
         "edges": [{{"from": "start", "to": "a"}}, {{"from": "start", "to": "b"}}, {{"from": "a", "to": "m"}}, {{"from": "b", "to": "m"}}]}}"#
        )
    };
    let mut sim = Sim::new(&def("all"), json!({}));
    sim.run(&mut Faithful);
    assert_eq!(sim.output(), json!({"a": {"a": 1}, "b": {"b": 2}}));
    let mut sim = Sim::new(&def("any"), json!({}));
    sim.run(&mut Faithful);
    assert_eq!(sim.output().as_object().unwrap().len(), 1);
}

#[test]
fn only_the_chosen_trigger_starts_and_the_others_are_skipped() {
    let def = r#"{"name": "two", "nodes": [
      {"id": "hook", "type": "trigger.manual"}, {"id": "manual", "type": "trigger.manual"},
      {"id": "from_hook", "type": "data.set", "config": {"fields": {"via": "hook"}, "keep_input": false}},
      {"id": "from_manual", "type": "data.set", "config": {"fields": {"via": "manual"}, "keep_input": false}}],
     "edges": [{"from": "hook", "to": "from_hook"}, {"from": "manual", "to": "from_manual"}]}"#;
    let mut sim = Sim::started_by(def, json!({}), Some("hook"));
    assert_eq!(sim.run(&mut Faithful).status(), ExecutionStatus::Succeeded);
    assert_eq!(sim.output(), json!({"via": "hook"}));
    let nodes = &sim.state.data().nodes;
    assert_eq!(nodes["manual"].status, NodeStatus::Skipped);
    assert_eq!(nodes["from_manual"].status, NodeStatus::Skipped);
    assert_eq!(sim.state.data().trigger.as_deref(), Some("hook"));
    // Without a choice every trigger starts.
    let mut sim = Sim::new(def, json!({}));
    sim.run(&mut Faithful);
    assert_eq!(
        sim.output(),
        json!({"from_hook": {"via": "hook"}, "from_manual": {"via": "manual"}})
    );
}

/// `http.request` fails (transient) until `ok_after` calls were made.
struct FailFirst {
    calls: u32,
    ok_after: u32,
}

impl Outcomes for FailFirst {
    fn run(&mut self, t: &NodeTask) -> Result<(Value, Vec<String>), NodeError> {
        if t.type_name == "http.request" {
            self.calls += 1;
            if self.calls <= self.ok_after {
                return Err(NodeError::transient(format!("503 #{}", self.calls)));
            }
            return Ok((json!({"status": 200}), vec!["main".into()]));
        }
        faithful(t)
    }
}

#[test]
fn a_retry_runs_the_failed_node_again_from_attempt_one_and_keeps_completed_outputs() {
    let def = r#"{"name": "r", "nodes": [{"id": "start", "type": "trigger.manual"},
      {"id": "prep", "type": "data.set", "config": {"fields": {"prepared": true}}},
      {"id": "call", "type": "http.request", "retry": {"max_attempts": 2, "initial_interval_ms": 10}},
      {"id": "out", "type": "data.transform", "config": {"filter": "{prep: .nodes.prep.prepared, status: .prev.status}"}}],
     "edges": [{"from": "start", "to": "prep"}, {"from": "prep", "to": "call"}, {"from": "call", "to": "out"}]}"#;
    let mut sim = Sim::new(def, json!({"k": 1}));
    let mut outcomes = FailFirst {
        calls: 0,
        ok_after: 2,
    };
    assert_eq!(sim.run(&mut outcomes).status(), ExecutionStatus::Failed);
    assert!(sim.state.retry_event().is_some());
    let before = sim.log.len();
    let finished_at = sim.state.data().finished_at;
    assert!(finished_at.is_some());

    assert_eq!(sim.retry(), vec!["call".to_string()]);
    let d = sim.state.data();
    assert_eq!(d.status, ExecutionStatus::Running);
    assert_eq!((d.finished_at, d.error.as_ref()), (None, None));
    assert!(!d.nodes.contains_key("call"));

    assert_eq!(sim.run(&mut outcomes).status(), ExecutionStatus::Succeeded);
    assert_eq!(sim.output(), json!({"prep": true, "status": 200}));
    assert_eq!(sim.attempts("call", before), vec![1], "attempts start over");
    assert!(
        sim.attempts("start", before).is_empty() && sim.attempts("prep", before).is_empty(),
        "completed nodes do not run again"
    );
    // Only a failed or timed-out execution can be retried.
    assert!(sim.state.retry_event().is_none());
    let wf = sim.state.workflow().clone();
    assert_eq!(replay(&wf, None, &sim.log), sim.state);
}

#[test]
fn a_retried_loop_runs_again_as_a_whole_and_a_timed_out_execution_resumes() {
    let def = r#"{"name": "l", "nodes": [{"id": "start", "type": "trigger.manual"},
      {"id": "each", "type": "flow.for_each", "config": {"items": [1, 2, 3], "max_concurrency": 1,
        "body": {"nodes": [{"id": "x", "type": "http.request", "retry": {"max_attempts": 1}}]}}}],
     "edges": [{"from": "start", "to": "each"}]}"#;
    let mut sim = Sim::new(def, json!({}));
    let mut outcomes = FailFirst {
        calls: 0,
        ok_after: 1,
    };
    assert_eq!(sim.run(&mut outcomes).status(), ExecutionStatus::Failed);
    assert_eq!(sim.retry(), vec!["each".to_string()]);
    assert!(sim.state.data().loops.is_empty());
    assert!(
        sim.state
            .data()
            .nodes
            .keys()
            .all(|p| !p.starts_with("each"))
    );
    assert_eq!(sim.run(&mut outcomes).status(), ExecutionStatus::Succeeded);
    assert_eq!(sim.output().as_array().unwrap().len(), 3);

    // Timed out while a node ran: the retry runs that node again with a fresh time limit.
    let def = r#"{"name": "t", "settings": {"timeout_ms": 500}, "nodes": [{"id": "start", "type": "trigger.manual"},
      {"id": "call", "type": "http.request"}], "edges": [{"from": "start", "to": "call"}]}"#;
    let mut sim = Sim::new(def, json!({}));
    sim.settle();
    let t = sim.running.remove(0);
    sim.record(Event::NodeCompleted {
        node: t.path,
        output: json!({}),
        ports: vec!["main".into()],
    });
    sim.settle();
    assert_eq!(sim.running.len(), 1, "call runs");
    sim.now += 500;
    sim.settle();
    assert_eq!(sim.state.status(), ExecutionStatus::TimedOut);
    let before = sim.log.len();
    assert_eq!(sim.retry(), vec!["call".to_string()]);
    assert_eq!(sim.state.data().deadline, Some(sim.now + 500));
    assert_eq!(
        sim.run(&mut Faithful2xx).status(),
        ExecutionStatus::Succeeded
    );
    assert_eq!(sim.attempts("call", before), vec![1]);
}

/// Every `http.request` answers 200.
struct Faithful2xx;

impl Outcomes for Faithful2xx {
    fn run(&mut self, t: &NodeTask) -> Result<(Value, Vec<String>), NodeError> {
        if t.type_name == "http.request" {
            return Ok((json!({"status": 200}), vec!["main".into()]));
        }
        faithful(t)
    }
}

#[test]
fn a_retried_call_starts_a_new_child() {
    let def = r#"{"name": "c", "nodes": [{"id": "start", "type": "trigger.manual"},
      {"id": "call", "type": "flow.call", "config": {"workflow_id": "00000000-0000-0000-0000-000000000001"}}],
     "edges": [{"from": "start", "to": "call"}]}"#;
    let mut sim = Sim::new(def, json!({}));
    let children = |sim: &Sim| -> Vec<ExecutionId> {
        sim.log
            .iter()
            .filter_map(|e| match e.event {
                Event::ChildStarted { child_id, .. } => Some(child_id),
                _ => None,
            })
            .collect()
    };
    sim.settle();
    let t = sim.running.remove(0);
    sim.record(Event::NodeCompleted {
        node: t.path,
        output: json!({}),
        ports: vec!["main".into()],
    });
    sim.settle();
    let first = children(&sim);
    assert_eq!(first, vec![sim.state.data().id.child("call")]);
    sim.record(Event::NodeAttemptFailed {
        node: "call".into(),
        attempt: 1,
        error: NodeError::permanent("child failed"),
        seed: 0,
    });
    sim.settle();
    assert_eq!(sim.state.status(), ExecutionStatus::Failed);
    sim.retry();
    sim.settle();
    let all = children(&sim);
    assert_eq!(all.len(), 2);
    assert_ne!(all[0], all[1], "a fresh child for the retried call");
}

#[test]
fn log_events_change_nothing_but_the_seq() {
    let mut sim = Sim::new(BRANCH, json!({"n": 1}));
    sim.settle();
    let before = sim.state.data().clone();
    sim.record(Event::Log {
        node: Some("start".into()),
        level: crate::event::LogLevel::Info,
        message: "hello".into(),
        fields: json!({"a": 1}),
    });
    let mut after = sim.state.data().clone();
    assert_eq!(after.seq, before.seq + 1);
    after.seq = before.seq;
    assert_eq!(after, before);
    assert_eq!(sim.run(&mut Faithful).status(), ExecutionStatus::Succeeded);
}

// ---- property tests ----------------------------------------------------------------------

/// A random DAG: node 0 is the trigger; node i > 0 has 1–2 incoming edges from earlier
/// nodes, so every node is reachable and there is no cycle.
#[derive(Debug, Clone)]
struct Spec {
    kinds: Vec<u8>,
    parents: Vec<(usize, Option<usize>)>,
    ports: Vec<bool>,
    items: usize,
}

fn spec() -> impl Strategy<Value = Spec> {
    (2usize..9).prop_flat_map(|n| {
        (
            proptest::collection::vec(0u8..7, n),
            proptest::collection::vec((0usize..64, proptest::option::of(0usize..64)), n),
            proptest::collection::vec(any::<bool>(), n),
            0usize..4,
        )
            .prop_map(|(kinds, parents, ports, items)| Spec {
                kinds,
                parents,
                ports,
                items,
            })
    })
}

fn build(s: &Spec) -> String {
    let n = s.kinds.len();
    let mut nodes = vec![json!({"id": "n0", "type": "trigger.manual"})];
    let retry = json!({"max_attempts": 3, "initial_interval_ms": 10, "max_interval_ms": 50});
    for i in 1..n {
        let id = format!("n{i}");
        nodes.push(match s.kinds[i] {
            0 => json!({"id": id, "type": "data.set", "config": {"fields": {"v": i}}}),
            1 => json!({"id": id, "type": "flow.if", "config": {"condition": "{{ true }}"}}),
            2 => json!({"id": id, "type": "flow.merge", "config": {"mode": if s.ports[i] {"any"} else {"all"}}}),
            3 => json!({"id": id, "type": "http.request", "retry": retry,
                         "on_error": if s.ports[i] {"continue"} else {"fail"}}),
            4 => json!({"id": id, "type": "flow.wait", "config": {"duration_ms": 20 * i}}),
            5 => json!({"id": id, "type": "flow.for_each", "config": {"items": "{{ [range(.input.items)] }}", "max_concurrency": 2,
                    "body": {"nodes": [{"id": "x", "type": "http.request", "retry": retry},
                                        {"id": "y", "type": "flow.if", "config": {"condition": "{{ true }}"}},
                                        {"id": "z", "type": "data.set", "config": {"fields": {"i": "{{ .index }}"}}}],
                             "edges": [{"from": "x", "to": "y"}, {"from": "y", "port": "true", "to": "z"}]}}}),
            _ => json!({"id": id, "type": "flow.while", "config": {"condition": "{{ .index < 2 }}",
                    "body": {"nodes": [{"id": "w", "type": "http.request", "retry": retry}]}}}),
        });
    }
    let mut edges = Vec::new();
    for i in 1..n {
        let (a, b) = s.parents[i];
        let mut from = vec![a % i];
        if let Some(b) = b.map(|b| b % i)
            && b != from[0]
        {
            from.push(b);
        }
        for f in from {
            let mut e = json!({"from": format!("n{f}"), "to": format!("n{i}")});
            if s.kinds[f] == 1 && f != 0 {
                e["port"] = json!(if s.ports[(i + f) % n] {
                    "true"
                } else {
                    "false"
                });
            }
            edges.push(e);
        }
    }
    json!({"name": "random", "nodes": nodes, "edges": edges}).to_string()
}

/// Random results: transient failures, random `flow.if` ports, random completion order.
struct Chaos {
    rng: u64,
    fail_pct: u64,
}

impl Chaos {
    fn next(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }
}

impl Outcomes for Chaos {
    fn run(&mut self, t: &NodeTask) -> Result<(Value, Vec<String>), NodeError> {
        match t.type_name.as_str() {
            "http.request" => {
                if self.next() % 100 < self.fail_pct {
                    Err(NodeError::transient("flaky"))
                } else {
                    Ok((json!({"status": 200, "path": t.path}), vec!["main".into()]))
                }
            }
            "flow.if" => {
                let port = if self.next().is_multiple_of(2) {
                    "true"
                } else {
                    "false"
                };
                Ok((t.context["prev"].clone(), vec![port.into()]))
            }
            _ => faithful(t),
        }
    }
    fn pick(&mut self, running: usize) -> usize {
        (self.next() % running as u64) as usize
    }
}

fn replay(
    wf: &Arc<CompiledWorkflow>,
    from: Option<&Value>,
    events: &[EventEnvelope],
) -> ExecutionState {
    let mut s = match from {
        Some(snap) => ExecutionState::restore(wf.clone(), snap.clone()).unwrap(),
        None => ExecutionState::new(
            wf.clone(),
            ExecutionId(uuid::Uuid::from_u128(7)),
            WorkflowId(uuid::Uuid::from_u128(9)),
            1,
        ),
    };
    for e in events {
        s.apply(e);
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn every_run_terminates_and_replay_from_any_snapshot_matches(s in spec(), seed in 1u64..u64::MAX, fail_pct in 0u64..60, snap_every in 1u64..6, retries in 0u32..3) {
        let def = build(&s);
        let mut sim = Sim::new(&def, json!({"items": s.items}));
        let mut chaos = Chaos { rng: seed, fail_pct };
        let mut status = sim.run_with_snapshots(&mut chaos, |seq| seq % snap_every == 0).status();
        // Some failed executions are retried (up to `retries` times), each retry running
        // through the same checks as a first run.
        for _ in 0..retries {
            if status != ExecutionStatus::Failed {
                break;
            }
            let completed: Vec<NodePath> = sim.state.data().nodes.iter()
                .filter(|(p, r)| r.status == NodeStatus::Completed && !p.contains('/'))
                .map(|(p, _)| p.clone())
                .collect();
            let from = sim.log.len();
            let reset = sim.retry();
            prop_assert!(!reset.is_empty(), "a failed execution has a node to retry");
            status = sim.run_with_snapshots(&mut chaos, |seq| seq % snap_every == 0).status();
            for p in &reset {
                if let Some(first) = sim.attempts(p, from).first() {
                    prop_assert_eq!(*first, 1, "attempts of {} start over", p);
                }
            }
            for p in &completed {
                prop_assert!(sim.attempts(p, from).is_empty(), "completed {} ran again", p);
            }
        }
        prop_assert!(status.is_terminal());
        prop_assert!(matches!(status, ExecutionStatus::Succeeded | ExecutionStatus::Failed));
        let wf = sim.state.workflow().clone();
        // From scratch.
        prop_assert_eq!(&replay(&wf, None, &sim.log), &sim.state);
        // From every snapshot taken during the run (through JSON, as stored).
        for (at, snap) in &sim.snapshots {
            let text = serde_json::to_string(snap).unwrap();
            let snap: Value = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(&replay(&wf, Some(&snap), &sim.log[*at..]), &sim.state);
        }
        // Gap-free sequence numbers.
        for (i, e) in sim.log.iter().enumerate() {
            prop_assert_eq!(e.seq, i as u64 + 1);
        }
    }
}

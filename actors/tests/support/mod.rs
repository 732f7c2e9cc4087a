//! Engine fixtures: a store on either backend, an engine on it, and test node types
//! (`test.panic`, `test.panic_inline`, `test.gate`, `test.flaky`, `test.say`) registered beside the
//! built-in ones.
#![allow(dead_code)]

use async_trait::async_trait;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use weft_actors::{Engine, EngineConfig, StartRequest};
use weft_core::catalog::Ports;
use weft_core::{Definition, ExecutionId, NodeError, NodeSpec, WorkflowId};
use weft_nodes::{Node, NodeInput, NodeOptions, NodeOutput, Registry};
use weft_persistence::{ExecutionRecord, Store};
// Not every test binary uses both.
#[allow(unused_imports)]
pub use weft_test_support::{PgDatabase, eventually};

/// A store on a fresh database, kept alive by its guard.
pub struct Backend {
    pub store: Arc<dyn Store>,
    pub url: String,
    _sqlite: Option<tempfile::TempDir>,
    _pg: Option<PgDatabase>,
}

impl Backend {
    pub async fn sqlite() -> Backend {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("weft.db").display());
        let store = weft_persistence::connect(&url).await.unwrap();
        Backend {
            store,
            url,
            _sqlite: Some(dir),
            _pg: None,
        }
    }

    pub async fn postgres() -> Backend {
        let db = PgDatabase::create().await;
        let store = weft_persistence::connect(&db.url).await.unwrap();
        Backend {
            store,
            url: db.url.clone(),
            _sqlite: None,
            _pg: Some(db),
        }
    }

    /// A second connection to the same database (another "instance").
    pub async fn reconnect(&self) -> Arc<dyn Store> {
        weft_persistence::connect(&self.url).await.unwrap()
    }
}

/// Shared state of the test node types.
pub struct Probes {
    pub panics: AtomicUsize,
    pub gate_running: AtomicUsize,
    pub gate_max: AtomicUsize,
    pub gate_order: Mutex<Vec<Value>>,
    pub gate: tokio::sync::Semaphore,
    /// `test.flaky` fails (permanently) while this is set.
    pub flaky_fails: AtomicBool,
    pub flaky_runs: AtomicUsize,
}

impl Default for Probes {
    fn default() -> Self {
        Self {
            flaky_fails: AtomicBool::new(true),
            flaky_runs: AtomicUsize::new(0),
            panics: AtomicUsize::new(0),
            gate_running: AtomicUsize::new(0),
            gate_max: AtomicUsize::new(0),
            gate_order: Mutex::new(Vec::new()),
            gate: tokio::sync::Semaphore::new(0),
        }
    }
}

fn spec(name: &str) -> NodeSpec {
    NodeSpec {
        type_name: name.into(),
        category: "test".into(),
        description: "test node".into(),
        trigger: false,
        ports: Ports::main(),
        schema: json!({"type": "object"}),
        filter_fields: vec![],
        raw_fields: vec![],
        default_retry: None,
    }
}

struct PanicNode(Arc<Probes>);

#[async_trait]
impl Node for PanicNode {
    fn spec(&self) -> NodeSpec {
        spec("test.panic")
    }
    async fn run(&self, _input: NodeInput) -> Result<NodeOutput, NodeError> {
        self.0.panics.fetch_add(1, Ordering::SeqCst);
        panic!("boom from test.panic");
    }
}

/// `test.panic`, but pure: the engine runs it inside the execution actor's step.
struct InlinePanicNode(Arc<Probes>);

#[async_trait]
impl Node for InlinePanicNode {
    fn spec(&self) -> NodeSpec {
        spec("test.panic_inline")
    }
    async fn run(&self, _input: NodeInput) -> Result<NodeOutput, NodeError> {
        self.0.panics.fetch_add(1, Ordering::SeqCst);
        panic!("boom from test.panic_inline");
    }
    fn runs_inline(&self) -> bool {
        true
    }
}

/// Blocks until a permit is added to `Probes::gate`, recording concurrency and order.
struct GateNode(Arc<Probes>);

#[async_trait]
impl Node for GateNode {
    fn spec(&self) -> NodeSpec {
        spec("test.gate")
    }
    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        let p = &self.0;
        let now = p.gate_running.fetch_add(1, Ordering::SeqCst) + 1;
        p.gate_max.fetch_max(now, Ordering::SeqCst);
        p.gate_order
            .lock()
            .unwrap()
            .push(input.context["input"].clone());
        let permit = p
            .gate
            .acquire()
            .await
            .map_err(|_| NodeError::cancelled("gate closed"))?;
        permit.forget();
        p.gate_running.fetch_sub(1, Ordering::SeqCst);
        Ok(NodeOutput::main(input.prev().clone()))
    }
}

/// Fails with a permanent error while `Probes::flaky_fails` is set; otherwise outputs
/// `{ran: true}` on top of `prev`.
struct FlakyNode(Arc<Probes>);

#[async_trait]
impl Node for FlakyNode {
    fn spec(&self) -> NodeSpec {
        spec("test.flaky")
    }
    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        self.0.flaky_runs.fetch_add(1, Ordering::SeqCst);
        if self.0.flaky_fails.load(Ordering::SeqCst) {
            return Err(NodeError::permanent("test.flaky is failing"));
        }
        let mut out = input.prev().clone();
        if !out.is_object() {
            out = json!({});
        }
        out["ran"] = json!(true);
        Ok(NodeOutput::main(out))
    }
}

/// Writes a `tracing` line from inside the node, and outputs `prev`.
struct SayNode;

#[async_trait]
impl Node for SayNode {
    fn spec(&self) -> NodeSpec {
        spec("test.say")
    }
    async fn run(&self, input: NodeInput) -> Result<NodeOutput, NodeError> {
        tracing::info!("test.say says hello");
        Ok(NodeOutput::main(input.prev().clone()))
    }
}

pub fn registry(probes: &Arc<Probes>) -> Arc<Registry> {
    let mut r = Registry::builtin(NodeOptions::default()).unwrap();
    r.register(Arc::new(PanicNode(probes.clone()))).unwrap();
    r.register(Arc::new(InlinePanicNode(probes.clone())))
        .unwrap();
    r.register(Arc::new(GateNode(probes.clone()))).unwrap();
    r.register(Arc::new(FlakyNode(probes.clone()))).unwrap();
    r.register(Arc::new(SayNode)).unwrap();
    Arc::new(r)
}

pub fn fast_config() -> EngineConfig {
    EngineConfig {
        passivate_after_ms: 100,
        timer_poll_ms: 50,
        ..EngineConfig::default()
    }
}

pub struct Harness {
    pub engine: Engine,
    pub probes: Arc<Probes>,
    pub backend: Backend,
}

impl Harness {
    pub async fn new(backend: Backend, config: EngineConfig) -> Harness {
        let probes = Arc::new(Probes::default());
        let engine = Engine::start(config, backend.store.clone(), registry(&probes))
            .await
            .unwrap();
        Harness {
            engine,
            probes,
            backend,
        }
    }

    pub async fn workflow(&self, def: Value) -> WorkflowId {
        let def = Definition::from_value(def).unwrap();
        weft_core::validate(&def, self.engine.registry().as_ref()).expect("valid test workflow");
        let id = WorkflowId::new();
        self.backend
            .store
            .create_workflow(id, &def.name, &def.to_value())
            .await
            .unwrap();
        id
    }

    pub async fn start(&self, workflow_id: WorkflowId, input: Value) -> ExecutionId {
        self.start_with(StartRequest {
            workflow_id,
            input,
            ..Default::default()
        })
        .await
    }

    pub async fn start_with(&self, req: StartRequest) -> ExecutionId {
        self.engine.start_execution(req).await.unwrap().0.id
    }

    pub async fn finish(&self, id: ExecutionId) -> ExecutionRecord {
        tokio::time::timeout(
            std::time::Duration::from_secs(60),
            self.engine.wait_finished(id),
        )
        .await
        .expect("execution finished in time")
        .unwrap()
    }

    pub async fn events(&self, id: ExecutionId) -> Vec<weft_core::EventEnvelope> {
        self.backend.store.events(id, 0, 10_000).await.unwrap()
    }

    pub async fn event_types(&self, id: ExecutionId) -> Vec<String> {
        let evs = self.backend.store.events(id, 0, 10_000).await.unwrap();
        evs.iter()
            .map(|e| e.event.type_name().to_string())
            .collect()
    }
}

/// Runs each listed test body (an `async fn(Backend)`) on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::support::Backend::sqlite().await).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::support::Backend::postgres().await).await
                }
            )*
        }
    };
}

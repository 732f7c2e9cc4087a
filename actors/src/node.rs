//! NodeActor: runs one attempt of one node, then stops.
//!
//! It is spawned linked to its ExecutionActor. The work runs in a message handler, so ractor
//! catches a panic there and reports `ActorFailed` to the supervisor, which turns it into a
//! failed attempt (kind `transient`) instead of a stuck execution; and `kill()` from the
//! supervisor (cancel, timeout of the execution) drops the work at its next await.

use crate::execution::ExecutionMsg;
use crate::metrics::EngineMetrics;
use ractor::{Actor, ActorProcessingErr, ActorRef};
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;
use weft_core::{ExecutionId, NodeError, NodeTask, WorkflowId};
use weft_nodes::{NodeInput, NodeOutput, Registry};

pub(crate) struct NodeActor;

pub(crate) struct NodeArgs {
    pub task: NodeTask,
    pub execution_id: ExecutionId,
    pub workflow_id: WorkflowId,
    pub registry: Arc<Registry>,
    pub metrics: Arc<EngineMetrics>,
    pub reply_to: ActorRef<ExecutionMsg>,
    /// `node{node, attempt}` inside the execution's span: the node's own logs carry both.
    pub span: tracing::Span,
}

pub(crate) enum NodeMsg {
    Run,
}

impl Actor for NodeActor {
    type Msg = NodeMsg;
    type State = Option<NodeArgs>;
    type Arguments = NodeArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<NodeMsg>,
        args: NodeArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        myself.cast(NodeMsg::Run)?;
        Ok(Some(args))
    }

    async fn handle(
        &self,
        myself: ActorRef<NodeMsg>,
        _msg: NodeMsg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        let Some(args) = state.take() else {
            return Ok(());
        };
        let path = args.task.path.clone();
        let attempt = args.task.attempt;
        // Boxed: the node future can be large, and only this short-lived task holds it.
        let attempt_run = run_attempt(
            &args.registry,
            &args.task,
            args.execution_id,
            args.workflow_id,
        );
        let result = Box::pin(args.metrics.observe_node(&args.task.type_name, attempt_run))
            .instrument(args.span.clone())
            .await;
        // The execution may be gone (cancelled, passivated after a crash): nothing to do then.
        let _ = args.reply_to.cast(ExecutionMsg::NodeDone {
            path,
            attempt,
            result,
        });
        myself.stop(None);
        Ok(())
    }
}

/// One attempt of a node: the rendered config checked against its schema, then `run`, within
/// the node's time limit. Node actors call it, and the execution actor for inline nodes.
pub(crate) async fn run_attempt(
    registry: &Registry,
    t: &NodeTask,
    execution_id: ExecutionId,
    workflow_id: WorkflowId,
) -> Result<NodeOutput, NodeError> {
    let timeout = t.timeout_ms.map(Duration::from_millis);
    let input = NodeInput {
        execution_id,
        workflow_id,
        node_path: t.path.clone(),
        node_id: t.node_id.clone(),
        attempt: t.attempt,
        config: t.config.clone(),
        context: t.context.clone(),
        inputs: t.inputs.clone(),
        filters: t.filters.clone(),
        timeout,
        env: registry.env(&t.type_name),
    };
    let run = registry.run(&t.type_name, input);
    match timeout {
        Some(limit) => tokio::time::timeout(limit, run).await.unwrap_or_else(|_| {
            Err(NodeError::timeout(format!(
                "node timed out after {} ms",
                limit.as_millis()
            )))
        }),
        None => run.await,
    }
}

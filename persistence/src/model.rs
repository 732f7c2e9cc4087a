//! Records the store reads and writes.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use weft_core::event::ParentLink;
use weft_core::{EventEnvelope, ExecutionId, ExecutionStatus, Millis, WorkflowId};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowRecord {
    pub id: WorkflowId,
    pub name: String,
    pub latest_version: u32,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// Which workflows a list shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkflowFilter {
    /// Cursor: only workflows with a larger id than this one.
    pub after: Option<WorkflowId>,
    /// Page size: 0 means the default (100); at most 1000.
    pub limit: u32,
    /// Case-insensitive substring of the name.
    pub search: Option<String>,
    /// Only workflows whose latest version carries this tag.
    pub tag: Option<String>,
}

/// A workflow as lists show it: the record, what its latest version says about itself, and
/// its newest execution.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowListing {
    pub record: WorkflowRecord,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub last_execution: Option<ExecutionBrief>,
}

/// Enough of an execution to show its status beside something else.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionBrief {
    pub id: ExecutionId,
    pub status: ExecutionStatus,
    pub created_at: Millis,
}

/// One immutable version of a workflow's definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowVersion {
    pub workflow_id: WorkflowId,
    pub version: u32,
    pub name: String,
    pub definition: Value,
    pub created_at: Millis,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewExecution {
    pub id: ExecutionId,
    pub workflow_id: WorkflowId,
    pub workflow_version: u32,
    pub input: Value,
    pub priority: u8,
    pub parent: Option<ParentLink>,
    pub idempotency_key: Option<String>,
    pub owner_epoch: u64,
    pub created_at: Millis,
    /// The trigger node that starts it; `None` starts every trigger.
    pub trigger: Option<String>,
    /// The request (or parent execution) it belongs to, for logs.
    pub correlation_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionRecord {
    pub id: ExecutionId,
    pub workflow_id: WorkflowId,
    pub workflow_version: u32,
    pub status: ExecutionStatus,
    pub input: Value,
    pub output: Option<Value>,
    /// An `ExecutionError` as JSON.
    pub error: Option<Value>,
    pub priority: u8,
    pub parent: Option<ParentLink>,
    pub idempotency_key: Option<String>,
    /// The seq of the last event written (0 before the first).
    pub version: u64,
    pub owner_epoch: u64,
    /// When the execution next needs to run (earliest timer), if it waits for one.
    pub wake_at: Option<Millis>,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub finished_at: Option<Millis>,
    /// What it was started with (see [`NewExecution`]).
    pub trigger: Option<String>,
    pub correlation_id: Option<String>,
}

impl ExecutionRecord {
    /// The row `create_execution` has just inserted for `new`: queued, version 0, no events.
    pub(crate) fn created(new: NewExecution) -> Self {
        ExecutionRecord {
            id: new.id,
            workflow_id: new.workflow_id,
            workflow_version: new.workflow_version,
            status: ExecutionStatus::Queued,
            input: new.input,
            output: None,
            error: None,
            priority: new.priority,
            parent: new.parent,
            idempotency_key: new.idempotency_key,
            version: 0,
            owner_epoch: new.owner_epoch,
            wake_at: None,
            created_at: new.created_at,
            updated_at: new.created_at,
            finished_at: None,
            trigger: new.trigger,
            correlation_id: new.correlation_id,
        }
    }
}

/// The columns recovery and the timer service need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionSummary {
    pub id: ExecutionId,
    pub workflow_id: WorkflowId,
    pub status: ExecutionStatus,
    pub priority: u8,
    pub wake_at: Option<Millis>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExecutionFilter {
    pub workflow_id: Option<WorkflowId>,
    pub status: Option<ExecutionStatus>,
    /// Cursor: only executions with a smaller id (older) than this one.
    pub before: Option<ExecutionId>,
    /// Only executions created at or after this time.
    pub created_from: Option<Millis>,
    /// Only executions created before this time.
    pub created_to: Option<Millis>,
    /// Page size: 0 means the default (100); at most 1000.
    pub limit: u32,
}

/// A serialized execution state at `seq`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub seq: u64,
    pub format_version: u32,
    pub state: Value,
}

/// One execution's share of a group commit.
#[derive(Debug, Clone, PartialEq)]
pub struct Append {
    pub execution_id: ExecutionId,
    /// The version (last seq) the writer's state is at; the events continue from it.
    pub expected_version: u64,
    pub owner_epoch: u64,
    /// Seqs `expected_version + 1 ..` without gaps.
    pub events: Vec<EventEnvelope>,
    /// The execution row after these events.
    pub status: ExecutionStatus,
    pub output: Option<Value>,
    pub error: Option<Value>,
    pub wake_at: Option<Millis>,
    /// Replaces the execution's snapshot when present (its `seq` is the last event's).
    pub snapshot: Option<Snapshot>,
    pub now: Millis,
}

/// Executions created in `[from, to)`, cut into `buckets` equal intervals, for dashboards.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StatsRange {
    pub from: Millis,
    pub to: Millis,
    pub buckets: u32,
}

impl StatsRange {
    /// The width of one bucket (at least 1 ms).
    pub fn bucket_ms(&self) -> Millis {
        ((self.to - self.from) / Millis::from(self.buckets.max(1))).max(1)
    }
}

/// How many executions of one status one bucket holds, and how long the finished ones took.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsCell {
    /// Bucket index from 0, by creation time.
    pub bucket: u32,
    pub status: ExecutionStatus,
    pub count: u64,
    /// Over executions of this cell that finished; `None` when none did.
    pub avg_duration_ms: Option<f64>,
    pub max_duration_ms: Option<Millis>,
}

/// What a dashboard shows for a range.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExecutionStats {
    pub cells: Vec<StatsCell>,
    /// Durations of the executions created in the range that finished.
    pub p50_duration_ms: Option<Millis>,
    pub p95_duration_ms: Option<Millis>,
}

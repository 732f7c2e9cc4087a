//! Execution statistics for the dashboard: what is running and queued now, and for a time
//! range how many executions started, how they ended and how long they took, per bucket.
//! Counts are exact (SQL aggregates over the `created_at` index); the range is bucketed by
//! creation time.

use crate::api::QueryParams;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use weft_core::ExecutionStatus;
use weft_persistence::{ExecutionStats, Role, StatsRange};

const DAY_MS: i64 = 24 * 3600 * 1000;
/// Longest range one request may cover.
const MAX_RANGE_MS: i64 = 400 * DAY_MS;
const MAX_BUCKETS: u32 = 500;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(stats))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// Start of the range, epoch ms (default: 24 hours before `to`).
    #[param(minimum = 0)]
    pub from: Option<i64>,
    /// End of the range (exclusive), epoch ms (default: now).
    #[param(minimum = 1)]
    pub to: Option<i64>,
    /// How many equal intervals to cut the range into (default 24).
    #[param(minimum = 1, maximum = 500)]
    pub buckets: Option<u32>,
}

/// One interval of the range.
#[derive(Serialize, ToSchema, Debug, PartialEq)]
pub struct StatsBucket {
    /// Start of the interval, epoch ms.
    pub at: i64,
    /// Executions created in it.
    pub started: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub cancelled: u64,
    pub timed_out: u64,
    /// Mean duration of those that finished.
    pub avg_duration_ms: Option<f64>,
    /// Longest duration of those that finished.
    pub max_duration_ms: Option<i64>,
}

#[derive(Serialize, ToSchema, Debug, PartialEq)]
pub struct Stats {
    pub from: i64,
    pub to: i64,
    pub bucket_ms: i64,
    /// Now, whatever the range.
    pub running: u64,
    pub waiting: u64,
    /// The queue depth: accepted, not yet admitted.
    pub queued: u64,
    /// Created in the range, and how those ended.
    pub started: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub cancelled: u64,
    pub timed_out: u64,
    /// Durations of the executions created in the range that finished.
    pub p50_duration_ms: Option<i64>,
    pub p95_duration_ms: Option<i64>,
    pub series: Vec<StatsBucket>,
}

/// Dashboard figures for a time range.
#[utoipa::path(get, path = "/stats", tag = "executions",
    params(StatsQuery),
    responses(
        (status = 200, body = Stats),
        crate::error::ReadProblems,
    ),
    security(("bearer" = [])))]
async fn stats(
    State(state): State<AppState>,
    p: Principal,
    QueryParams(q): QueryParams<StatsQuery>,
) -> Result<Json<Stats>, ApiError> {
    p.require(Role::Viewer)?;
    let range = parse_range(&q, weft_actors::now_ms())?;
    let now = state.db.count_executions(None).await?;
    let count_now = |s: ExecutionStatus| now.iter().find(|(st, _)| *st == s).map_or(0, |(_, n)| *n);
    let mut stats = summarize(range, state.db.execution_stats(range).await?);
    stats.running = count_now(ExecutionStatus::Running);
    stats.waiting = count_now(ExecutionStatus::Waiting);
    stats.queued = count_now(ExecutionStatus::Queued);
    Ok(Json(stats))
}

fn parse_range(q: &StatsQuery, now: i64) -> Result<StatsRange, ApiError> {
    let to = q.to.unwrap_or(now);
    let from = q.from.unwrap_or(to - DAY_MS).max(0);
    if to <= from {
        return Err(ApiError::bad_request("to must be after from", Some("to")));
    }
    if to - from > MAX_RANGE_MS {
        return Err(ApiError::bad_request(
            "the range may cover at most 400 days",
            Some("from"),
        ));
    }
    let buckets = q.buckets.unwrap_or(24);
    if !(1..=MAX_BUCKETS).contains(&buckets) {
        return Err(ApiError::bad_request(
            format!("buckets must be between 1 and {MAX_BUCKETS}"),
            Some("buckets"),
        ));
    }
    Ok(StatsRange { from, to, buckets })
}

/// Folds the store's (bucket, status) cells into the range totals and one entry per bucket.
fn summarize(range: StatsRange, raw: ExecutionStats) -> Stats {
    let bucket_ms = range.bucket_ms();
    let mut series: Vec<StatsBucket> = (0..range.buckets)
        .map(|i| StatsBucket {
            at: range.from + i64::from(i) * bucket_ms,
            started: 0,
            succeeded: 0,
            failed: 0,
            cancelled: 0,
            timed_out: 0,
            avg_duration_ms: None,
            max_duration_ms: None,
        })
        .collect();
    // Per bucket: the sum of durations over finished executions, to weight the cells' means.
    let mut finished = vec![(0u64, 0f64); series.len()];
    for cell in &raw.cells {
        let i = cell.bucket as usize;
        let b = &mut series[i];
        b.started += cell.count;
        match cell.status {
            ExecutionStatus::Succeeded => b.succeeded += cell.count,
            ExecutionStatus::Failed => b.failed += cell.count,
            ExecutionStatus::Cancelled => b.cancelled += cell.count,
            ExecutionStatus::TimedOut => b.timed_out += cell.count,
            _ => {}
        }
        if let Some(avg) = cell.avg_duration_ms {
            finished[i].0 += cell.count;
            finished[i].1 += avg * cell.count as f64;
        }
        if let Some(max) = cell.max_duration_ms {
            b.max_duration_ms = Some(b.max_duration_ms.map_or(max, |m| m.max(max)));
        }
    }
    for (b, (n, sum)) in series.iter_mut().zip(finished) {
        if n > 0 {
            b.avg_duration_ms = Some(sum / n as f64);
        }
    }
    let total = |f: fn(&StatsBucket) -> u64| series.iter().map(f).sum();
    Stats {
        from: range.from,
        to: range.to,
        bucket_ms,
        running: 0,
        waiting: 0,
        queued: 0,
        started: total(|b| b.started),
        succeeded: total(|b| b.succeeded),
        failed: total(|b| b.failed),
        cancelled: total(|b| b.cancelled),
        timed_out: total(|b| b.timed_out),
        p50_duration_ms: raw.p50_duration_ms,
        p95_duration_ms: raw.p95_duration_ms,
        series,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use weft_persistence::StatsCell;

    fn cell(bucket: u32, status: ExecutionStatus, count: u64, avg: Option<f64>) -> StatsCell {
        StatsCell {
            bucket,
            status,
            count,
            avg_duration_ms: avg,
            max_duration_ms: avg.map(|a| a as i64 * 2),
        }
    }

    #[test]
    fn cells_fold_into_buckets_and_totals() {
        let range = StatsRange {
            from: 1_000,
            to: 5_000,
            buckets: 4,
        };
        let raw = ExecutionStats {
            cells: vec![
                cell(0, ExecutionStatus::Succeeded, 3, Some(10.0)),
                cell(0, ExecutionStatus::Failed, 1, Some(50.0)),
                cell(2, ExecutionStatus::Running, 2, None),
                cell(3, ExecutionStatus::TimedOut, 1, Some(400.0)),
            ],
            p50_duration_ms: Some(10),
            p95_duration_ms: Some(400),
        };
        let s = summarize(range, raw);
        assert_eq!(s.bucket_ms, 1_000);
        assert_eq!(s.series.len(), 4);
        assert_eq!(s.series[1].at, 2_000);
        assert_eq!(
            (s.started, s.succeeded, s.failed, s.timed_out),
            (7, 3, 1, 1)
        );
        // (3 × 10 + 1 × 50) / 4
        assert_eq!(s.series[0].avg_duration_ms, Some(20.0));
        assert_eq!(s.series[0].max_duration_ms, Some(100));
        assert_eq!(s.series[1].started, 0);
        assert_eq!(s.series[1].avg_duration_ms, None);
        assert_eq!(s.series[2].started, 2);
        assert_eq!(s.series[2].avg_duration_ms, None);
        assert_eq!(s.p95_duration_ms, Some(400));
    }

    #[test]
    fn ranges_are_checked() {
        let q = |from, to, buckets| StatsQuery { from, to, buckets };
        let now = 10 * DAY_MS;
        let r = parse_range(&q(None, None, None), now).unwrap();
        assert_eq!((r.from, r.to, r.buckets), (9 * DAY_MS, now, 24));
        let field = |e: ApiError| e.field.unwrap();
        assert_eq!(
            field(parse_range(&q(Some(5), Some(5), None), now).unwrap_err()),
            "to"
        );
        assert_eq!(
            field(parse_range(&q(Some(0), Some(500 * DAY_MS), None), now).unwrap_err()),
            "from"
        );
        assert_eq!(
            field(parse_range(&q(None, None, Some(0)), now).unwrap_err()),
            "buckets"
        );
        assert_eq!(
            field(parse_range(&q(None, None, Some(501)), now).unwrap_err()),
            "buckets"
        );
    }
}

//! `GET /metrics`: everything an operator's Prometheus scrapes, in the Prometheus text format.
//!
//! One [`Metrics`] per router holds the registry: the engine's own metrics (executions, nodes,
//! live actors, the admission queue, the store's writer and pool — owned by the engine and
//! registered through [`Engine::register_metrics`]), the HTTP metrics recorded by
//! [`track_http`], and the process metrics read from `/proc/self` at scrape time
//! ([`ProcessCollector`]; prometheus-client has none).
//!
//! Label values are bounded: a route is the router's template (`/api/v1/executions/{id}`),
//! never the raw path, and requests no route matched share `route="unmatched"`; a method
//! outside the standard ones is `other`; a status is its number.

use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::time::{Duration, Instant};
use weft_actors::Engine;

/// The `Content-Type` of what [`render`] serves: the Prometheus text format 0.0.4.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// The route label of a request no route matched (404s of unknown paths).
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// HTTP latencies: 0.5 ms to 10 s.
const HTTP_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    route: String,
    method: &'static str,
    status: u16,
}

/// The registry `/metrics` serves and the HTTP metrics the middleware records.
pub struct Metrics {
    registry: Registry,
    engine: Engine,
    http_requests: Family<HttpLabels, Counter>,
    http_duration: Family<HttpLabels, Histogram>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// A registry with every metric: the engine's (and its store's), HTTP and process.
    pub fn new(engine: &Engine) -> Arc<Metrics> {
        let mut registry = Registry::default();
        engine.register_metrics(&mut registry);
        let http_requests = Family::<HttpLabels, Counter>::default();
        let http_duration =
            Family::<HttpLabels, Histogram>::new_with_constructor(|| Histogram::new(HTTP_BUCKETS));
        registry.register(
            "weft_http_requests",
            "HTTP requests answered, by route template, method and status",
            http_requests.clone(),
        );
        registry.register(
            "weft_http_request_duration_seconds",
            "Time from a request's arrival to its response head, by route template, method \
             and status",
            http_duration.clone(),
        );
        registry.register_collector(Box::new(ProcessCollector));
        Arc::new(Metrics {
            registry,
            engine: engine.clone(),
            http_requests,
            http_duration,
        })
    }

    /// Samples the engine's gauges and encodes every metric in the Prometheus text format.
    pub async fn encode(&self) -> String {
        self.engine.refresh_metrics().await;
        let mut out = String::with_capacity(16 * 1024);
        // Writing into a String fails only if a metric's encoding does, which is a bug.
        if let Err(e) =
            prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry)
        {
            tracing::error!(error = %e, "metrics: encoding failed");
        }
        out
    }

    /// Records one answered request. `route` is the matched route template, or `None`.
    pub fn record_http(
        &self,
        route: Option<&str>,
        method: &Method,
        status: StatusCode,
        elapsed: Duration,
    ) {
        let labels = HttpLabels {
            route: route.unwrap_or(UNMATCHED_ROUTE).to_string(),
            method: method_label(method),
            status: status.as_u16(),
        };
        self.http_requests.get_or_create(&labels).inc();
        self.http_duration
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
    }
}

/// `GET /metrics`.
pub async fn render(State(metrics): State<Arc<Metrics>>) -> Response {
    let body = metrics.encode().await;
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], body).into_response()
}

/// Middleware recording every request's count and latency (`from_fn_with_state`). Added with
/// `Router::layer` it sees the matched route template of routed requests, and runs for the
/// fallback too (those get `route="unmatched"`).
pub async fn track_http(
    State(metrics): State<Arc<Metrics>>,
    matched: Option<MatchedPath>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let response = next.run(request).await;
    metrics.record_http(
        matched.as_ref().map(MatchedPath::as_str),
        &method,
        response.status(),
        started.elapsed(),
    );
    response
}

/// Standard methods by name; anything else (extension methods are unbounded) as `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

// ---- process metrics ----------------------------------------------------------------------

/// The standard `process_*` metrics, read from `/proc/self` at each scrape. Where `/proc` is
/// missing (not Linux) or a file cannot be read, the metrics it would give are left out.
#[derive(Debug)]
pub struct ProcessCollector;

/// Clock ticks per second of the CPU times in `/proc/self/stat` (`USER_HZ`). It is 100 on
/// every architecture Linux exposes to user space; Prometheus's own procfs reader fixes it the
/// same way rather than call `sysconf`.
const USER_HZ: f64 = 100.0;

/// What `/proc/self` says about this process.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ProcessStats {
    pub cpu_seconds: Option<f64>,
    pub resident_memory_bytes: Option<u64>,
    pub virtual_memory_bytes: Option<u64>,
    pub open_fds: Option<u64>,
    pub max_fds: Option<u64>,
    pub start_time_seconds: Option<f64>,
}

impl ProcessStats {
    /// Reads `/proc/self/{stat,status,limits,fd}` and the boot time from `/proc/stat`.
    pub fn read() -> ProcessStats {
        let read = |path: &str| std::fs::read_to_string(path).ok();
        let stat = read("/proc/self/stat")
            .as_deref()
            .and_then(parse_stat)
            .unwrap_or_default();
        let boot_time = read("/proc/stat").as_deref().and_then(parse_boot_time);
        ProcessStats {
            cpu_seconds: stat.cpu_ticks.map(|t| t as f64 / USER_HZ),
            resident_memory_bytes: read("/proc/self/status")
                .as_deref()
                .and_then(parse_resident_bytes),
            virtual_memory_bytes: stat.vsize,
            open_fds: std::fs::read_dir("/proc/self/fd")
                .ok()
                .map(|dir| dir.count() as u64),
            max_fds: read("/proc/self/limits")
                .as_deref()
                .and_then(parse_max_open_files),
            start_time_seconds: match (boot_time, stat.start_ticks) {
                (Some(boot), Some(ticks)) => Some(boot as f64 + ticks as f64 / USER_HZ),
                _ => None,
            },
        }
    }
}

/// The fields of `/proc/self/stat` the metrics use.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct Stat {
    /// utime + stime, in clock ticks.
    cpu_ticks: Option<u64>,
    /// Start time after boot, in clock ticks.
    start_ticks: Option<u64>,
    vsize: Option<u64>,
}

/// Parses `/proc/[pid]/stat`. The command name (field 2) is in parentheses and may hold
/// spaces or parentheses itself, so fields are counted from the last `)`.
fn parse_stat(text: &str) -> Option<Stat> {
    let rest = &text[text.rfind(')')? + 1..];
    // After the name, index 0 is field 3 (state): utime is field 14, stime 15, starttime 22,
    // vsize 23 (proc(5)).
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<u64>().ok());
    Some(Stat {
        cpu_ticks: field(14).zip(field(15)).map(|(u, s)| u + s),
        start_ticks: field(22),
        vsize: field(23),
    })
}

/// `btime` of `/proc/stat`: the boot time in Unix seconds.
fn parse_boot_time(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|v| v.trim().parse().ok())
}

/// `VmRSS` of `/proc/self/status` (in kB there), in bytes.
fn parse_resident_bytes(text: &str) -> Option<u64> {
    let value = text.lines().find_map(|l| l.strip_prefix("VmRSS:"))?;
    let kib: u64 = value.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib * 1024)
}

/// The soft limit of "Max open files" in `/proc/self/limits`; `None` when unlimited.
fn parse_max_open_files(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let stats = ProcessStats::read();
        if let Some(v) = stats.cpu_seconds {
            // `_total` is added by the encoder.
            let metric = ConstCounter::new(v);
            metric.encode(encoder.encode_descriptor(
                "process_cpu_seconds",
                "Total user and system CPU time spent in seconds",
                None,
                metric.metric_type(),
            )?)?;
        }
        let to_i64 = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let gauges = [
            (
                "process_resident_memory_bytes",
                "Resident memory size in bytes",
                stats.resident_memory_bytes.map(to_i64),
            ),
            (
                "process_virtual_memory_bytes",
                "Virtual memory size in bytes",
                stats.virtual_memory_bytes.map(to_i64),
            ),
            (
                "process_open_fds",
                "Number of open file descriptors",
                stats.open_fds.map(to_i64),
            ),
            (
                "process_max_fds",
                "Maximum number of open file descriptors",
                stats.max_fds.map(to_i64),
            ),
        ];
        for (name, help, value) in gauges {
            if let Some(v) = value {
                let metric = ConstGauge::new(v);
                metric.encode(encoder.encode_descriptor(
                    name,
                    help,
                    None,
                    metric.metric_type(),
                )?)?;
            }
        }
        if let Some(v) = stats.start_time_seconds {
            let metric = ConstGauge::new(v);
            metric.encode(encoder.encode_descriptor(
                "process_start_time_seconds",
                "Start time of the process since unix epoch in seconds",
                None,
                metric.metric_type(),
            )?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_files_parse() {
        // A command name with a space and a parenthesis.
        let stat = "4242 (weft (x) y) S 1 4242 4242 0 -1 4194560 2200 0 0 0 150 50 0 0 20 0 \
                    9 0 123456 987654321 5000 18446744073709551615 1 1 0 0 0 0 0 4096 17734 0 \
                    0 0 17 1 0 0 0 0 0";
        assert_eq!(
            parse_stat(stat),
            Some(Stat {
                cpu_ticks: Some(200),
                start_ticks: Some(123456),
                vsize: Some(987654321),
            })
        );
        assert_eq!(parse_stat("garbage"), None);
        assert_eq!(
            parse_boot_time("cpu  1 2 3\nintr 5\nbtime 1700000000\nprocesses 9\n"),
            Some(1_700_000_000)
        );
        assert_eq!(
            parse_resident_bytes("Name:\tweft\nVmSize:\t  20000 kB\nVmRSS:\t    5120 kB\n"),
            Some(5120 * 1024)
        );
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                      Max processes             127355               127355               processes\n\
                      Max open files            1024                 524288               files\n";
        assert_eq!(parse_max_open_files(limits), Some(1024));
        assert_eq!(
            parse_max_open_files(
                "Max open files            unlimited            unlimited            files\n"
            ),
            None
        );
    }

    #[test]
    fn this_process_is_read() {
        let stats = ProcessStats::read();
        if !std::path::Path::new("/proc/self/stat").exists() {
            return; // not Linux: nothing to read, and the collector then exports nothing
        }
        assert!(stats.cpu_seconds.is_some_and(|s| s >= 0.0), "{stats:?}");
        assert!(
            stats.resident_memory_bytes.is_some_and(|b| b > 0),
            "{stats:?}"
        );
        assert!(
            stats.virtual_memory_bytes.is_some_and(|b| b > 0),
            "{stats:?}"
        );
        assert!(stats.open_fds.is_some_and(|n| n >= 3), "{stats:?}");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        let started = stats.start_time_seconds.expect("start time");
        assert!(
            started <= now + 1.0 && started > now - 86_400.0 * 365.0,
            "{started}"
        );
    }

    #[test]
    fn methods_outside_the_standard_ones_share_a_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(
            method_label(&Method::from_bytes(b"PURGE").unwrap()),
            "other"
        );
    }
}

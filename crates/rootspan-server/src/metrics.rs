//! `GET /metrics`: the server's counters in the Prometheus text exposition format (0.0.4).
//!
//! - ingest, per transport (`http`, `grpc`): export requests accepted per signal, spans and log
//!   records accepted, items rejected within accepted requests, request body bytes read, and
//!   requests rejected as a whole by reason (`invalid`, `too_large`, `busy`, `internal`);
//! - the store: spans, bytes on disk;
//! - query latencies: one histogram per API route (the route template without its `/api` or
//!   `/api/v1` prefix, e.g. `/traces/{trace_id}`; `/mcp` for MCP calls);
//! - detector findings: stored traces whose failure signature names each detector;
//! - forwarding, per destination: queue depth and bytes, requests sent, dropped (by reason) and
//!   retried.
//!
//! Counters are atomics bumped by the adapters; the store figures are read at scrape time.

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rootspan_app::{ErrorKind, Signal};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The transport a request came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Http,
    Grpc,
}

impl Transport {
    fn index(self) -> usize {
        self as usize
    }
    const ALL: [(Transport, &'static str); 2] = [(Transport::Http, "http"), (Transport::Grpc, "grpc")];
}

/// Why a whole export request was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// Malformed: undecodable body, unknown content type or encoding, every item invalid (400,
    /// 415, INVALID_ARGUMENT).
    Invalid,
    /// Over the size limit (413, RESOURCE_EXHAUSTED without RetryInfo).
    TooLarge,
    /// Shed by admission or the store busy (429, 503, RESOURCE_EXHAUSTED with RetryInfo,
    /// UNAVAILABLE): the client retries.
    Busy,
    /// A failure of ours (500, INTERNAL).
    Internal,
}

impl Rejection {
    const ALL: [(Rejection, &'static str); 4] = [
        (Rejection::Invalid, "invalid"),
        (Rejection::TooLarge, "too_large"),
        (Rejection::Busy, "busy"),
        (Rejection::Internal, "internal"),
    ];

    /// The reason of a use-case error.
    pub fn of(kind: ErrorKind) -> Rejection {
        match kind {
            ErrorKind::InvalidRequest | ErrorKind::NotFound => Rejection::Invalid,
            ErrorKind::TooLarge => Rejection::TooLarge,
            ErrorKind::Busy => Rejection::Busy,
            ErrorKind::Unsupported | ErrorKind::Internal => Rejection::Internal,
        }
    }
}

const SIGNALS: [(Signal, &str); 3] = [(Signal::Traces, "traces"), (Signal::Logs, "logs"), (Signal::Metrics, "metrics")];

fn signal_index(signal: Signal) -> usize {
    match signal {
        Signal::Traces => 0,
        Signal::Logs => 1,
        Signal::Metrics => 2,
    }
}

#[derive(Default)]
struct IngestCounters {
    requests: [AtomicU64; 3],
    items_rejected: [AtomicU64; 3],
    spans: AtomicU64,
    log_records: AtomicU64,
    bytes: AtomicU64,
    rejected: [AtomicU64; 4],
}

/// Upper bounds of the query latency buckets, in seconds.
const BUCKETS: [f64; 14] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

#[derive(Default, Clone)]
struct Histogram {
    /// Observations per bucket (not cumulative); the last is above every bound.
    counts: [u64; BUCKETS.len() + 1],
    sum_seconds: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        let bucket = BUCKETS.iter().position(|bound| seconds <= *bound).unwrap_or(BUCKETS.len());
        self.counts[bucket] += 1;
        self.sum_seconds += seconds;
    }
}

/// The server's counters.
#[derive(Default)]
pub struct Metrics {
    ingest: [IngestCounters; 2],
    queries: Mutex<BTreeMap<String, Histogram>>,
    /// Requests refused for their Host header, and for want of a valid key or role.
    host_refused: AtomicU64,
    auth_refused: AtomicU64,
}

impl Metrics {
    /// A request refused by the DNS-rebinding guard.
    pub fn host_refused(&self) {
        self.host_refused.fetch_add(1, Ordering::Relaxed);
    }

    /// A request refused for want of a valid key, or of the role its route needs.
    pub fn auth_refused(&self) {
        self.auth_refused.fetch_add(1, Ordering::Relaxed);
    }

    /// An export request accepted: its signal, the items stored and those rejected within it.
    pub fn accepted(&self, transport: Transport, signal: Signal, accepted: u64, rejected: u64) {
        let counters = &self.ingest[transport.index()];
        counters.requests[signal_index(signal)].fetch_add(1, Ordering::Relaxed);
        counters.items_rejected[signal_index(signal)].fetch_add(rejected, Ordering::Relaxed);
        match signal {
            Signal::Traces => counters.spans.fetch_add(accepted, Ordering::Relaxed),
            Signal::Logs => counters.log_records.fetch_add(accepted, Ordering::Relaxed),
            Signal::Metrics => 0,
        };
    }

    /// Bytes of a request body read whole (as on the wire, before decompression).
    pub fn received(&self, transport: Transport, bytes: usize) {
        self.ingest[transport.index()].bytes.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    /// A whole export request rejected.
    pub fn rejected(&self, transport: Transport, reason: Rejection) {
        self.ingest[transport.index()].rejected[reason as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// One query answered on `route` in `elapsed`.
    pub fn query(&self, route: &str, elapsed: Duration) {
        let mut queries = self.queries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match queries.get_mut(route) {
            Some(histogram) => histogram.observe(elapsed.as_secs_f64()),
            None => {
                let mut histogram = Histogram::default();
                histogram.observe(elapsed.as_secs_f64());
                queries.insert(route.to_owned(), histogram);
            }
        }
    }
}

/// The route family of a matched path: the template without the `/api/v1` or `/api` prefix.
fn route_family(path: &str) -> &str {
    path.strip_prefix("/api/v1").or_else(|| path.strip_prefix("/api")).filter(|rest| !rest.is_empty()).unwrap_or(path)
}

/// Middleware of the API routes: times each answer into its route's histogram.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map(|path| route_family(path.as_str()).to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    if let Some(route) = route {
        state.metrics.query(&route, started.elapsed());
    }
    response
}

/// Escapes a label value (backslash, double quote, newline).
fn label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// The detector id a stored signature names: its `detector` is the diagnosis' failure mode for
/// a diagnosed failure (the failure mode of one detector), else a detector id, else `error`.
fn detector_id(detector: &str) -> &str {
    rootspan_analysis::detectors::all()
        .iter()
        .find(|info| info.failure_mode == detector || info.id == detector)
        .map_or(detector, |info| info.id)
}

/// What the store says at scrape time.
struct StoreFigures {
    spans: u64,
    size_bytes: Option<u64>,
    signatures: Vec<(String, u64)>,
}

/// Renders every metric.
/// The security counters: refusals, and replacements per redaction rule.
fn render_security(out: &mut String, state: &AppState) {
    let metrics = &state.metrics;
    header(out, "rootspan_requests_refused_total", "counter", "HTTP requests refused before any route ran.");
    let _ = writeln!(
        out,
        "rootspan_requests_refused_total{{reason=\"host\"}} {}",
        metrics.host_refused.load(Ordering::Relaxed)
    );
    let _ = writeln!(
        out,
        "rootspan_requests_refused_total{{reason=\"auth\"}} {}",
        metrics.auth_refused.load(Ordering::Relaxed)
    );
    if let Some(redactor) = &state.app.config.redactor {
        header(out, "rootspan_redactions_total", "counter", "Values replaced by redaction at ingest, per rule.");
        for (rule, count) in redactor.counts() {
            let _ = writeln!(out, "rootspan_redactions_total{{rule=\"{rule}\"}} {count}");
        }
    }
}

fn render(state: &AppState, store: Option<&StoreFigures>) -> String {
    let metrics = &state.metrics;
    let mut out = String::with_capacity(8 * 1024);
    let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
    render_security(&mut out, state);

    header(
        &mut out,
        "rootspan_ingest_requests_total",
        "counter",
        "Export requests accepted (stored whole or in part).",
    );
    for (transport, transport_name) in Transport::ALL {
        for (signal, signal_name) in SIGNALS {
            let value = load(&metrics.ingest[transport.index()].requests[signal_index(signal)]);
            let _ = writeln!(
                out,
                "rootspan_ingest_requests_total{{transport=\"{transport_name}\",signal=\"{signal_name}\"}} {value}"
            );
        }
    }
    header(&mut out, "rootspan_ingest_spans_accepted_total", "counter", "Spans stored.");
    for (transport, name) in Transport::ALL {
        let value = load(&metrics.ingest[transport.index()].spans);
        let _ = writeln!(out, "rootspan_ingest_spans_accepted_total{{transport=\"{name}\"}} {value}");
    }
    header(&mut out, "rootspan_ingest_log_records_accepted_total", "counter", "Log records stored.");
    for (transport, name) in Transport::ALL {
        let value = load(&metrics.ingest[transport.index()].log_records);
        let _ = writeln!(out, "rootspan_ingest_log_records_accepted_total{{transport=\"{name}\"}} {value}");
    }
    header(
        &mut out,
        "rootspan_ingest_items_rejected_total",
        "counter",
        "Spans or log records rejected one by one within accepted requests (partial success).",
    );
    for (transport, transport_name) in Transport::ALL {
        for (signal, signal_name) in &SIGNALS[..2] {
            let value = load(&metrics.ingest[transport.index()].items_rejected[signal_index(*signal)]);
            let _ = writeln!(
                out,
                "rootspan_ingest_items_rejected_total{{transport=\"{transport_name}\",signal=\"{signal_name}\"}} {value}"
            );
        }
    }
    header(
        &mut out,
        "rootspan_ingest_received_bytes_total",
        "counter",
        "Bytes of export request bodies read whole, as on the wire (before decompression).",
    );
    for (transport, name) in Transport::ALL {
        let value = load(&metrics.ingest[transport.index()].bytes);
        let _ = writeln!(out, "rootspan_ingest_received_bytes_total{{transport=\"{name}\"}} {value}");
    }
    header(
        &mut out,
        "rootspan_ingest_rejected_requests_total",
        "counter",
        "Export requests rejected as a whole, by reason: invalid (400/415), too_large (413), busy (429/503, retried by clients), internal (500).",
    );
    for (transport, transport_name) in Transport::ALL {
        for (reason, reason_name) in Rejection::ALL {
            let value = load(&metrics.ingest[transport.index()].rejected[reason as usize]);
            let _ = writeln!(
                out,
                "rootspan_ingest_rejected_requests_total{{transport=\"{transport_name}\",reason=\"{reason_name}\"}} {value}"
            );
        }
    }
    header(
        &mut out,
        "rootspan_export_inflight_bytes",
        "gauge",
        "Bytes charged to export requests in flight (the --max-inflight-mib budget).",
    );
    let _ = writeln!(out, "rootspan_export_inflight_bytes {}", state.admission.budget.used());
    header(&mut out, "rootspan_export_inflight_capacity_bytes", "gauge", "The in-flight budget.");
    let _ = writeln!(out, "rootspan_export_inflight_capacity_bytes {}", state.admission.budget.capacity());

    if let Some(store) = store {
        header(&mut out, "rootspan_store_spans", "gauge", "Spans in the store.");
        let _ = writeln!(out, "rootspan_store_spans {}", store.spans);
        if let Some(size) = store.size_bytes {
            header(&mut out, "rootspan_store_size_bytes", "gauge", "Bytes the store takes on disk (database and log).");
            let _ = writeln!(out, "rootspan_store_size_bytes {size}");
        }
        header(
            &mut out,
            "rootspan_detector_findings",
            "gauge",
            "Stored traces whose failure signature names this detector (the detector of the diagnosed failure mode, else of the first lesser finding; error: an error span no detector explained).",
        );
        let mut by_detector: BTreeMap<&str, u64> = BTreeMap::new();
        for (detector, count) in &store.signatures {
            *by_detector.entry(detector_id(detector)).or_default() += count;
        }
        for (detector, count) in by_detector {
            let _ = writeln!(out, "rootspan_detector_findings{{detector=\"{}\"}} {count}", label(detector));
        }
    }

    let queries = metrics.queries.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
    header(&mut out, "rootspan_query_duration_seconds", "histogram", "Time to answer API and MCP queries, by route.");
    for (route, histogram) in &queries {
        let route = label(route);
        let mut cumulative = 0;
        for (bound, count) in BUCKETS.iter().zip(histogram.counts) {
            cumulative += count;
            let _ = writeln!(
                out,
                "rootspan_query_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {cumulative}"
            );
        }
        cumulative += histogram.counts[BUCKETS.len()];
        let _ = writeln!(out, "rootspan_query_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {cumulative}");
        let _ = writeln!(out, "rootspan_query_duration_seconds_sum{{route=\"{route}\"}} {}", histogram.sum_seconds);
        let _ = writeln!(out, "rootspan_query_duration_seconds_count{{route=\"{route}\"}} {cumulative}");
    }

    if let Some(forwarder) = state.app.forwarder() {
        let stats: Vec<(String, rootspan_app::forward::DestinationStats, usize)> =
            forwarder.destinations().iter().map(|d| (label(d.label()), d.stats(), d.capacity_bytes())).collect();
        let gauge = |out: &mut String,
                     name: &str,
                     kind: &str,
                     help: &str,
                     value: &dyn Fn(&rootspan_app::forward::DestinationStats, usize) -> u64| {
            header(out, name, kind, help);
            for (destination, stats, capacity) in &stats {
                let _ = writeln!(out, "{name}{{destination=\"{destination}\"}} {}", value(stats, *capacity));
            }
        };
        gauge(
            &mut out,
            "rootspan_forward_queue_requests",
            "gauge",
            "Requests waiting to be forwarded, or being sent.",
            &|s, _| s.queued_requests + s.in_flight_requests,
        );
        gauge(
            &mut out,
            "rootspan_forward_queue_bytes",
            "gauge",
            "Bytes waiting to be forwarded, or being sent.",
            &|s, _| s.queued_bytes + s.in_flight_bytes,
        );
        gauge(
            &mut out,
            "rootspan_forward_queue_capacity_bytes",
            "gauge",
            "The queue's bound (--forward-queue-mib).",
            &|_, c| c as u64,
        );
        gauge(
            &mut out,
            "rootspan_forward_sent_requests_total",
            "counter",
            "Requests the destination accepted.",
            &|s, _| s.sent_requests,
        );
        gauge(&mut out, "rootspan_forward_sent_bytes_total", "counter", "Bytes the destination accepted.", &|s, _| {
            s.sent_bytes
        });
        gauge(
            &mut out,
            "rootspan_forward_retries_total",
            "counter",
            "Delivery attempts that failed and were retried.",
            &|s, _| s.retries,
        );
        header(
            &mut out,
            "rootspan_forward_dropped_requests_total",
            "counter",
            "Requests not forwarded, by reason: queue_full (the oldest dropped), refused (by the destination, for good), shutdown (undelivered at exit).",
        );
        for (destination, stats, _) in &stats {
            for (reason, value) in
                [("queue_full", stats.dropped_full), ("refused", stats.refused), ("shutdown", stats.dropped_shutdown)]
            {
                let _ = writeln!(
                    out,
                    "rootspan_forward_dropped_requests_total{{destination=\"{destination}\",reason=\"{reason}\"}} {value}"
                );
            }
        }
    }
    out
}

/// `GET /metrics`.
pub async fn scrape(State(state): State<AppState>) -> Response {
    let app = state.app.clone();
    let store = crate::blocking(move || {
        let store = app.store();
        Ok(StoreFigures {
            spans: store.span_count()?,
            size_bytes: store.size_bytes()?,
            signatures: store.signature_counts()?,
        })
    })
    .await;
    let store = match store {
        Ok(figures) => Some(figures),
        Err(error) => {
            // The counters are still worth a scrape when the store is busy.
            tracing::warn!(%error, "reading the store figures for /metrics failed");
            None
        }
    };
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], render(&state, store.as_ref()))
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_families_drop_the_api_prefix() {
        assert_eq!(route_family("/api/v1/traces/{trace_id}"), "/traces/{trace_id}");
        assert_eq!(route_family("/api/traces"), "/traces");
        assert_eq!(route_family("/mcp"), "/mcp");
    }

    #[test]
    fn histograms_are_cumulative_when_rendered() {
        let mut histogram = Histogram::default();
        histogram.observe(0.0001);
        histogram.observe(0.003);
        histogram.observe(99.0);
        assert_eq!(histogram.counts[0], 1);
        assert_eq!(histogram.counts[3], 1, "0.003 s falls in le=0.005");
        assert_eq!(histogram.counts[BUCKETS.len()], 1, "above every bound");
    }

    #[test]
    fn failure_modes_count_under_their_detector_id() {
        assert_eq!(detector_id("tool_error_ignored"), "tool-error-ignored");
        assert_eq!(detector_id("rate-limited"), "rate-limited");
        assert_eq!(detector_id("error"), "error");
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}

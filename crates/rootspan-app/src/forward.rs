//! Forwarding: every accepted export is re-sent, unchanged, to other OTLP backends, so that
//! rootspan can run beside Jaeger, Tempo or Langfuse instead of replacing them.
//!
//! What is decided here (the transport, an HTTP client, lives in the server):
//! - **What**: only exports that were accepted (acknowledged to the client: stored whole or in
//!   part) are forwarded, traces and logs, as the bytes that arrived (same encoding, same
//!   compression) with the project the client named. Rejected requests are not forwarded, nor
//!   are metrics (acknowledged and not stored).
//! - **Never in the way**: [`Forwarder::offer`] only appends to in-memory queues and wakes their
//!   senders; it never waits for a destination, so a slow or dead destination cannot slow the
//!   acknowledgements to rootspan's own clients.
//! - **Bounded**: each destination has its own queue, bounded by bytes. When a new request does
//!   not fit, the oldest queued requests are dropped (and counted) until it does; a request
//!   larger than the whole queue is dropped at once. The request being sent is held apart from
//!   the queue (so the bound can be passed by that one request).
//! - **Retries**: a delivery that may succeed later (no connection, 429, 502, 503, 504) is tried
//!   again after a delay ([`Backoff`]): exponential with jitter, or the destination's
//!   `Retry-After` when it gives one. A destination that refuses a request for good (400, ...)
//!   gets the next one; the refused request is counted and dropped. Requests go out one at a time
//!   per destination, oldest first.

use crate::export::{Compression, Signal};
use rootspan_ingest::Encoding;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// One accepted export, as it arrived.
#[derive(Clone, PartialEq, Eq)]
pub struct Forwarded {
    pub signal: Signal,
    /// The request body exactly as received (still compressed when it arrived compressed).
    pub body: Arc<[u8]>,
    pub encoding: Encoding,
    pub compression: Compression,
    /// The project the client named (header or metadata), passed on.
    pub project: Option<Arc<str>>,
}

impl std::fmt::Debug for Forwarded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forwarded")
            .field("signal", &self.signal)
            .field("bytes", &self.body.len())
            .field("encoding", &self.encoding)
            .field("compression", &self.compression)
            .finish()
    }
}

impl Forwarded {
    /// The OTLP/HTTP path of its signal under a destination's base URL.
    pub fn path(&self) -> &'static str {
        match self.signal {
            Signal::Traces => "/v1/traces",
            Signal::Logs => "/v1/logs",
            Signal::Metrics => "/v1/metrics",
        }
    }

    /// The `Content-Type` it arrived with.
    pub fn content_type(&self) -> &'static str {
        match self.encoding {
            Encoding::Protobuf => "application/x-protobuf",
            Encoding::Json => "application/json",
        }
    }
}

/// What one delivery attempt came to, as the transport reads the destination's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Accepted by the destination.
    Delivered,
    /// Worth trying again: no connection, a timeout, 429, 502, 503 or 504; with the delay the
    /// destination asked for (`Retry-After`) when it gave one.
    Retry { after: Option<Duration>, reason: String },
    /// Refused for good (any other answer): the request is dropped and counted.
    Refused { reason: String },
}

/// Retry delays: exponential from `initial` (doubling) up to `max`, with jitter (each delay is
/// drawn from its upper half, so senders that failed together do not retry together). A
/// destination's `Retry-After` is honoured as given, up to `max_retry_after`.
#[derive(Debug, Clone)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
    pub max_retry_after: Duration,
    attempt: u32,
    random: u64,
}

impl Backoff {
    /// Delays from `initial` to `max`; `seed` seeds the jitter (any value but 0 works alike).
    pub fn new(initial: Duration, max: Duration, seed: u64) -> Backoff {
        Backoff { initial, max, max_retry_after: Duration::from_secs(300), attempt: 0, random: seed | 1 }
    }

    fn next_random(&mut self) -> u64 {
        // xorshift64
        self.random ^= self.random << 13;
        self.random ^= self.random >> 7;
        self.random ^= self.random << 17;
        self.random
    }

    /// The delay before the next attempt, after a failed one.
    pub fn next_delay(&mut self, retry_after: Option<Duration>) -> Duration {
        let exponent = self.attempt.min(30);
        self.attempt = self.attempt.saturating_add(1);
        if let Some(asked) = retry_after {
            return asked.min(self.max_retry_after);
        }
        let ceiling = self.initial.saturating_mul(1u32 << exponent.min(20)).min(self.max);
        let ceiling_ms = ceiling.as_millis().max(1) as u64;
        let half = ceiling_ms / 2;
        Duration::from_millis(half + self.next_random() % (ceiling_ms - half).max(1))
    }

    /// After a delivery: the next failure starts from `initial` again.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

impl Default for Backoff {
    /// 100 ms doubling to 30 s.
    fn default() -> Backoff {
        Backoff::new(Duration::from_millis(100), Duration::from_secs(30), 0x9e37_79b9_7f4a_7c15)
    }
}

/// What a destination has done so far (for `/metrics`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DestinationStats {
    /// Requests waiting in the queue, and their bytes.
    pub queued_requests: u64,
    pub queued_bytes: u64,
    /// Requests being sent or waiting for a retry (0 or 1).
    pub in_flight_requests: u64,
    pub in_flight_bytes: u64,
    /// Requests offered to this destination.
    pub offered_requests: u64,
    /// Requests the destination accepted, and their bytes.
    pub sent_requests: u64,
    pub sent_bytes: u64,
    /// Requests dropped because the queue was full (the oldest go first).
    pub dropped_full: u64,
    /// Requests the destination refused for good.
    pub refused: u64,
    /// Requests still undelivered when the server stopped.
    pub dropped_shutdown: u64,
    /// Delivery attempts that will be retried.
    pub retries: u64,
}

#[derive(Default)]
struct Queue {
    items: VecDeque<Arc<Forwarded>>,
    bytes: usize,
    in_flight: Option<usize>,
}

#[derive(Default)]
struct Counters {
    offered: AtomicU64,
    sent: AtomicU64,
    sent_bytes: AtomicU64,
    dropped_full: AtomicU64,
    refused: AtomicU64,
    dropped_shutdown: AtomicU64,
    retries: AtomicU64,
}

/// One destination: its queue and its counters. The transport takes requests from it with
/// [`Destination::take`] and reports each outcome with [`Destination::finish`].
pub struct Destination {
    label: String,
    target: String,
    capacity_bytes: usize,
    queue: Mutex<Queue>,
    counters: Counters,
    waker: OnceLock<Box<dyn Fn() + Send + Sync>>,
}

impl std::fmt::Debug for Destination {
    /// The label only: the target may hold credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Destination").field("label", &self.label).field("capacity_bytes", &self.capacity_bytes).finish()
    }
}

impl Destination {
    /// A destination named `label` in logs and metrics (it must not hold credentials), sent to
    /// `target` (opaque here; the transport reads it), with a queue of `capacity_bytes`.
    pub fn new(label: impl Into<String>, target: impl Into<String>, capacity_bytes: usize) -> Destination {
        Destination {
            label: label.into(),
            target: target.into(),
            capacity_bytes: capacity_bytes.max(1),
            queue: Mutex::new(Queue::default()),
            counters: Counters::default(),
            waker: OnceLock::new(),
        }
    }

    /// The name for logs and metrics (no credentials).
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Where the transport sends (may hold credentials: never log it).
    pub fn target(&self) -> &str {
        &self.target
    }

    pub fn capacity_bytes(&self) -> usize {
        self.capacity_bytes
    }

    /// Called (without locks held) whenever a request is queued; the transport sets it once.
    pub fn set_waker(&self, waker: impl Fn() + Send + Sync + 'static) {
        let _ = self.waker.set(Box::new(waker));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        // A panic while the lock was held leaves a queue that is still consistent (every
        // update is a single push or pop with its byte count): keep using it.
        self.queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues a request, dropping the oldest queued ones when it does not fit. Never waits.
    pub fn offer(&self, item: Arc<Forwarded>) {
        self.counters.offered.fetch_add(1, Ordering::Relaxed);
        let size = item.body.len();
        if size > self.capacity_bytes {
            self.counters.dropped_full.fetch_add(1, Ordering::Relaxed);
            return;
        }
        {
            let mut queue = self.lock();
            while queue.bytes + size > self.capacity_bytes {
                let Some(oldest) = queue.items.pop_front() else { break };
                queue.bytes -= oldest.body.len();
                self.counters.dropped_full.fetch_add(1, Ordering::Relaxed);
            }
            queue.bytes += size;
            queue.items.push_back(item);
        }
        if let Some(wake) = self.waker.get() {
            wake();
        }
    }

    /// The oldest queued request, now in flight; `None` when the queue is empty. Each taken
    /// request must be given back to [`Destination::finish`] once its outcome is known.
    pub fn take(&self) -> Option<Arc<Forwarded>> {
        let mut queue = self.lock();
        let item = queue.items.pop_front()?;
        queue.bytes -= item.body.len();
        queue.in_flight = Some(item.body.len());
        Some(item)
    }

    /// Records a failed attempt that will be retried (the request stays in flight).
    pub fn retrying(&self) {
        self.counters.retries.fetch_add(1, Ordering::Relaxed);
    }

    /// Records the outcome of the request in flight: delivered or refused for good.
    pub fn finish(&self, item: &Forwarded, delivered: bool) {
        self.lock().in_flight = None;
        if delivered {
            self.counters.sent.fetch_add(1, Ordering::Relaxed);
            self.counters.sent_bytes.fetch_add(item.body.len() as u64, Ordering::Relaxed);
        } else {
            self.counters.refused.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Drops everything still queued or in flight (the server is stopping); returns how many.
    pub fn abandon(&self) -> u64 {
        let mut queue = self.lock();
        let count = queue.items.len() as u64 + u64::from(queue.in_flight.is_some());
        queue.items.clear();
        queue.bytes = 0;
        queue.in_flight = None;
        self.counters.dropped_shutdown.fetch_add(count, Ordering::Relaxed);
        count
    }

    /// Whether nothing is queued or in flight.
    pub fn is_idle(&self) -> bool {
        let queue = self.lock();
        queue.items.is_empty() && queue.in_flight.is_none()
    }

    pub fn stats(&self) -> DestinationStats {
        let (queued_requests, queued_bytes, in_flight) = {
            let queue = self.lock();
            (queue.items.len() as u64, queue.bytes as u64, queue.in_flight)
        };
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        DestinationStats {
            queued_requests,
            queued_bytes,
            in_flight_requests: u64::from(in_flight.is_some()),
            in_flight_bytes: in_flight.unwrap_or(0) as u64,
            offered_requests: load(&self.counters.offered),
            sent_requests: load(&self.counters.sent),
            sent_bytes: load(&self.counters.sent_bytes),
            dropped_full: load(&self.counters.dropped_full),
            refused: load(&self.counters.refused),
            dropped_shutdown: load(&self.counters.dropped_shutdown),
            retries: load(&self.counters.retries),
        }
    }
}

/// Every destination of a server.
#[derive(Debug, Default)]
pub struct Forwarder {
    destinations: Vec<Arc<Destination>>,
}

impl Forwarder {
    pub fn new(destinations: Vec<Destination>) -> Forwarder {
        Forwarder { destinations: destinations.into_iter().map(Arc::new).collect() }
    }

    pub fn destinations(&self) -> &[Arc<Destination>] {
        &self.destinations
    }

    /// Queues an accepted export for every destination (one copy of the bytes, shared). Metrics
    /// are not forwarded. Never waits.
    pub fn offer(&self, item: Forwarded) {
        if self.destinations.is_empty() || item.signal == Signal::Metrics {
            return;
        }
        let item = Arc::new(item);
        for destination in &self.destinations {
            destination.offer(item.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(size: usize, tag: u8) -> Arc<Forwarded> {
        Arc::new(Forwarded {
            signal: Signal::Traces,
            body: vec![tag; size].into(),
            encoding: Encoding::Protobuf,
            compression: Compression::None,
            project: None,
        })
    }

    #[test]
    fn a_full_queue_drops_its_oldest_requests_and_counts_them() {
        let destination = Destination::new("http://a", "http://user:secret@a", 100);
        for tag in 0..5u8 {
            destination.offer(item(30, tag));
        }
        let stats = destination.stats();
        assert_eq!((stats.queued_requests, stats.queued_bytes, stats.dropped_full), (3, 90, 2));
        assert_eq!(destination.take().unwrap().body[0], 2, "the two oldest went first");
        destination.offer(item(101, 9));
        assert_eq!(destination.stats().dropped_full, 3, "larger than the whole queue: dropped at once");
        assert_eq!(destination.stats().queued_requests, 2, "and nothing else was dropped for it");
    }

    #[test]
    fn in_flight_requests_are_counted_until_finished() {
        let destination = Destination::new("d", "d", 1_000);
        destination.offer(item(10, 1));
        let taken = destination.take().unwrap();
        assert!(!destination.is_idle());
        assert_eq!(destination.stats().in_flight_bytes, 10);
        destination.retrying();
        destination.finish(&taken, true);
        let stats = destination.stats();
        assert_eq!((stats.sent_requests, stats.sent_bytes, stats.retries, stats.in_flight_requests), (1, 10, 1, 0));
        assert!(destination.is_idle());
        destination.offer(item(10, 2));
        assert_eq!(destination.abandon(), 1);
        assert_eq!(destination.stats().dropped_shutdown, 1);
    }

    #[test]
    fn the_label_is_what_debug_shows() {
        let destination = Destination::new("http://a:1", "http://user:secret@a:1", 10);
        assert!(!format!("{destination:?}").contains("secret"));
    }

    #[test]
    fn metrics_are_not_forwarded() {
        let forwarder = Forwarder::new(vec![Destination::new("a", "a", 100), Destination::new("b", "b", 100)]);
        let mut metrics = (*item(5, 0)).clone();
        metrics.signal = Signal::Metrics;
        forwarder.offer(metrics);
        forwarder.offer((*item(5, 1)).clone());
        for destination in forwarder.destinations() {
            assert_eq!(destination.stats().queued_requests, 1);
        }
    }

    #[test]
    fn backoff_grows_with_jitter_and_honours_retry_after() {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(2), 7);
        let delays: Vec<u128> = (0..8).map(|_| backoff.next_delay(None).as_millis()).collect();
        for (attempt, delay) in delays.iter().enumerate() {
            let ceiling = (100u128 << attempt).min(2_000);
            assert!(*delay >= ceiling / 2 && *delay <= ceiling, "attempt {attempt}: {delay} ms of {ceiling}");
        }
        assert!(delays[7] >= 1_000, "capped at the maximum: {delays:?}");
        assert_eq!(backoff.next_delay(Some(Duration::from_secs(7))), Duration::from_secs(7), "Retry-After as given");
        assert_eq!(backoff.next_delay(Some(Duration::from_secs(9_999))), Duration::from_secs(300), "within reason");
        backoff.reset();
        assert!(backoff.next_delay(None) <= Duration::from_millis(100));
    }
}

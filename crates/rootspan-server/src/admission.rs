//! Admission control for exports: load is shed, not queued.
//!
//! Two bounds protect the server under load:
//! - a **byte budget** ([`Budget`]): the memory that export requests in flight (admitted and not
//!   yet answered) may use. A request is charged when it arrives, from its `Content-Length` (or
//!   as chunks of a chunked body arrive; for gRPC, from the message length in the frame header),
//!   before its body is read. The charge is [`charge_for`] the wire bytes: the body itself plus
//!   [`DECODE_FACTOR`] times it for what decoding makes of it (spans, attributes, the
//!   normalised view, the store's chunks). A compressed body is charged again for its
//!   decompressed size once that is known. A request that does not fit what is left of the
//!   budget is answered at once (OTLP/HTTP 429 with `Retry-After`, OTLP/gRPC RESOURCE_EXHAUSTED
//!   with a `google.rpc.RetryInfo`), so exporters back off and retry.
//! - **export slots**: at most [`ServerConfig::export_concurrency`](crate::ServerConfig) exports
//!   run on blocking threads at once; admitted requests wait for a slot (their memory is
//!   bounded by the budget), so queries always find a blocking thread.
//!
//! A single request whose charge is larger than the whole budget is charged the whole budget:
//! it is admitted only when nothing else is in flight, so every request under the size limit
//! can be served, one at a time.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::Semaphore;

/// What decoding an OTLP protobuf request costs in memory, per byte of the request, beyond the
/// request bytes themselves. Measured with `rootspan bench --batch N --concurrency 1` (one
/// request in flight, peak RSS minus the idle server's, over the request size): a 35 MB request
/// of SDK-shaped spans (many small attributes) peaked at 5.9 times its size, a 34 MB request of
/// agent spans (long texts) at 2.8 times. Charged for the worse.
pub const DECODE_FACTOR: usize = 5;

/// The seconds an exporter is told to wait before retrying a shed request.
pub const RETRY_AFTER_SECONDS: u64 = 1;

/// The bytes a request of `wire_bytes` is charged: the bytes and what decoding them makes.
pub fn charge_for(wire_bytes: usize) -> usize {
    wire_bytes.saturating_mul(1 + DECODE_FACTOR)
}

/// The byte budget of requests in flight.
#[derive(Debug)]
pub struct Budget {
    capacity: usize,
    used: AtomicUsize,
}

impl Budget {
    pub fn new(capacity: usize) -> Arc<Budget> {
        Arc::new(Budget { capacity: capacity.max(1), used: AtomicUsize::new(0) })
    }

    /// The whole budget in bytes.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Bytes charged to requests in flight now.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Acquire)
    }

    fn try_add(&self, bytes: usize) -> bool {
        if bytes == 0 {
            return true;
        }
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(bytes).filter(|total| *total <= self.capacity)
            })
            .is_ok()
    }

    /// Charges `bytes` (at most the whole budget) to a new request, or `None` when they do not
    /// fit what is left.
    pub fn try_acquire(self: &Arc<Self>, bytes: usize) -> Option<Permit> {
        let bytes = bytes.min(self.capacity);
        self.try_add(bytes).then(|| Permit { budget: self.clone(), charged: AtomicUsize::new(bytes) })
    }
}

/// The charge of one admitted request, given back when it is dropped (the request answered).
#[derive(Debug)]
pub struct Permit {
    budget: Arc<Budget>,
    charged: AtomicUsize,
}

impl Permit {
    /// Bytes charged to this request.
    pub fn charged(&self) -> usize {
        self.charged.load(Ordering::Acquire)
    }

    /// Charges `bytes` more (the request's total stays at most the whole budget); false when
    /// they do not fit what is left.
    pub fn try_grow(&self, bytes: usize) -> bool {
        let charged = self.charged();
        let bytes = bytes.min(self.budget.capacity - charged);
        if !self.budget.try_add(bytes) {
            return false;
        }
        self.charged.fetch_add(bytes, Ordering::AcqRel);
        true
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.budget.used.fetch_sub(*self.charged.get_mut(), Ordering::AcqRel);
    }
}

/// The budget and the export slots of a server.
#[derive(Debug, Clone)]
pub struct Admission {
    pub budget: Arc<Budget>,
    slots: Arc<Semaphore>,
}

impl Admission {
    pub fn new(max_inflight_bytes: usize, export_concurrency: usize) -> Admission {
        Admission {
            budget: Budget::new(max_inflight_bytes),
            slots: Arc::new(Semaphore::new(export_concurrency.max(1))),
        }
    }

    /// Runs an export use case on a blocking thread once an export slot is free.
    pub async fn export<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> rootspan_app::AppResult<T> + Send + 'static,
    ) -> rootspan_app::AppResult<T> {
        let _slot =
            self.slots.acquire().await.map_err(|_| rootspan_app::AppError::internal("the export slots were closed"))?;
        crate::blocking(f).await
    }
}

/// The decompressed size a gzip body declares in its trailer (ISIZE, the size modulo 2^32 of
/// the last member), used to charge a compressed body before it is inflated. `None` when the
/// body is too short to be gzip.
pub fn gzip_declared_size(body: &[u8]) -> Option<usize> {
    if body.len() < 18 {
        return None;
    }
    let trailer: [u8; 4] = body[body.len() - 4..].try_into().ok()?;
    Some(u32::from_le_bytes(trailer) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permits_give_their_bytes_back() {
        let budget = Budget::new(100);
        let a = budget.try_acquire(60).expect("fits");
        assert!(budget.try_acquire(50).is_none());
        let b = budget.try_acquire(40).expect("fits exactly");
        assert!(!b.try_grow(1));
        drop(a);
        assert!(b.try_grow(60));
        assert_eq!(budget.used(), 100);
        drop(b);
        assert_eq!(budget.used(), 0);
    }

    #[test]
    fn a_request_larger_than_the_budget_runs_alone() {
        let budget = Budget::new(100);
        let big = budget.try_acquire(1_000).expect("admitted when nothing is in flight");
        assert_eq!(big.charged(), 100);
        assert!(big.try_grow(1_000), "its charge is capped at the budget");
        assert!(budget.try_acquire(1).is_none());
        drop(big);
        assert!(budget.try_acquire(1_000).is_some());
    }

    #[test]
    fn gzip_trailer_size() {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(&[7u8; 12_345]).unwrap();
        assert_eq!(gzip_declared_size(&encoder.finish().unwrap()), Some(12_345));
        assert_eq!(gzip_declared_size(b"short"), None);
    }
}

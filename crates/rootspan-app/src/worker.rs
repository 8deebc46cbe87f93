//! The work after writes, on one background thread: traces are diagnosed and their failure
//! signatures stored once they have been quiet for [`QUIET`] (the spans of one trace usually
//! arrive in several batches), and the store's deferred work (full-text indexing) runs while
//! nothing new arrives.

use crate::analysis::refresh;
use rootspan_model::TraceId;
use rootspan_store::TraceStore;
use std::collections::BTreeSet;
use std::sync::{Arc, mpsc};
use std::time::Duration;

/// How long a trace must receive no spans before it is analysed.
pub const QUIET: Duration = Duration::from_secs(1);

/// Tells the worker which traces a write touched. Dropping every handle stops the worker.
#[derive(Clone)]
pub struct WorkerHandle {
    sender: mpsc::Sender<Vec<TraceId>>,
}

impl WorkerHandle {
    /// Schedules traces for analysis (never blocks).
    pub fn notify(&self, trace_ids: Vec<TraceId>) {
        let _ = self.sender.send(trace_ids);
    }
}

/// Deferred store work while no new traces arrive.
fn idle_work(store: &dyn TraceStore, receiver: &mpsc::Receiver<Vec<TraceId>>, pending: &mut BTreeSet<TraceId>) {
    loop {
        match store.background_work() {
            Ok(true) => {}
            Ok(false) => return,
            Err(error) => {
                tracing::warn!(%error, "deferred store work failed");
                return;
            }
        }
        if let Ok(ids) = receiver.try_recv() {
            pending.extend(ids);
            return;
        }
    }
}

/// Starts the worker thread; `None` when the thread cannot be started (the server then runs
/// without background analysis, and readers catch up on demand).
pub fn start(store: Arc<dyn TraceStore>, online: Option<Arc<crate::online::OnlineEval>>) -> Option<WorkerHandle> {
    let (sender, receiver) = mpsc::channel::<Vec<TraceId>>();
    let spawned = std::thread::Builder::new().name("rootspan-worker".into()).spawn(move || {
        let mut pending: BTreeSet<TraceId> = BTreeSet::new();
        loop {
            match receiver.recv_timeout(QUIET) {
                Ok(ids) => pending.extend(ids),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if !pending.is_empty() {
                        refresh(store.as_ref(), std::mem::take(&mut pending).into_iter().collect(), online.as_deref());
                    }
                    idle_work(store.as_ref(), &receiver, &mut pending);
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        }
    });
    match spawned {
        Ok(_) => Some(WorkerHandle { sender }),
        Err(error) => {
            tracing::warn!(%error, "cannot start the background worker; analyses run on demand");
            None
        }
    }
}

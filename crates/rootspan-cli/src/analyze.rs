//! Analysis after ingest: each written trace is diagnosed and its failure signatures stored, so a
//! new trace joins its cluster at ingest time without re-clustering the store.

use rootspan_model::TraceId;
use rootspan_store::TraceStore;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

/// Analyses every trace the analysis has not seen at its current size (so commands that read
/// signatures never miss a trace the server has not got round to yet).
pub fn catch_up(store: &dyn TraceStore, project: Option<&str>) -> anyhow::Result<()> {
    Ok(rootspan_server::analysis::catch_up(store, project)?)
}

/// Diagnoses the given traces and replaces their stored signatures.
pub fn refresh(store: &dyn TraceStore, trace_ids: Vec<TraceId>) {
    rootspan_server::analysis::refresh(store, trace_ids);
}

/// Deferred store work (full-text indexing) while no new traces arrive.
fn idle_work(store: &dyn TraceStore, receiver: &mpsc::Receiver<Vec<TraceId>>, pending: &mut BTreeSet<TraceId>) {
    loop {
        match store.background_work() {
            Ok(true) => {}
            Ok(false) => return,
            Err(error) => {
                eprintln!("warning: background indexing: {error}");
                return;
            }
        }
        if let Ok(ids) = receiver.try_recv() {
            pending.extend(ids);
            return;
        }
    }
}

/// A write hook for the server: traces are analysed on a background thread once they have been
/// quiet for a second (spans of one trace usually arrive in several batches).
pub fn hook(store: Arc<dyn TraceStore>) -> Option<rootspan_server::WrittenHook> {
    let (sender, receiver) = mpsc::channel::<Vec<TraceId>>();
    std::thread::Builder::new()
        .name("rootspan-analysis".into())
        .spawn(move || {
            let mut pending: BTreeSet<TraceId> = BTreeSet::new();
            loop {
                match receiver.recv_timeout(Duration::from_secs(1)) {
                    Ok(ids) => pending.extend(ids),
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        if !pending.is_empty() {
                            refresh(store.as_ref(), std::mem::take(&mut pending).into_iter().collect());
                        }
                        idle_work(store.as_ref(), &receiver, &mut pending);
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => return,
                }
            }
        })
        .ok()?;
    Some(Arc::new(move |ids: Vec<TraceId>| {
        let _ = sender.send(ids);
    }))
}

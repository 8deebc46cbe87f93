//! Analysis after ingest, shared by the server and the CLI: each written trace is diagnosed and
//! its failure signatures stored, so a new trace joins its cluster without re-clustering.

use rootspan_analysis::cluster::Signature;
use rootspan_model::{SpanTree, TraceId};
use rootspan_store::{StoreResult, TraceSignature, TraceStore};

/// The analysis crate does not depend on the store; these two map its signature onto the stored row.
fn to_stored(s: Signature) -> TraceSignature {
    TraceSignature {
        trace_id: s.trace_id,
        signature_id: s.signature_id,
        signature: s.signature,
        detector: s.detector,
        service: s.service,
        model: s.model,
        start_time_unix_nano: s.start_time_unix_nano,
    }
}

fn from_stored(s: TraceSignature) -> Signature {
    Signature {
        trace_id: s.trace_id,
        signature_id: s.signature_id,
        signature: s.signature,
        detector: s.detector,
        service: s.service,
        model: s.model,
        start_time_unix_nano: s.start_time_unix_nano,
    }
}

/// Diagnoses one stored trace and replaces its signatures.
pub fn refresh_one(store: &dyn TraceStore, trace_id: &TraceId) -> StoreResult<()> {
    let Some(spans) = store.get_trace(trace_id)? else { return Ok(()) };
    let tree = SpanTree::build(spans);
    let diagnosis = rootspan_analysis::diagnose(&tree, &rootspan_analysis::DiagnoseOptions::default());
    let signatures: Vec<TraceSignature> =
        rootspan_analysis::cluster::trace_signatures(&tree, &diagnosis).into_iter().map(to_stored).collect();
    store.put_signatures(trace_id, &signatures)
}

/// Diagnoses the given traces; a trace that fails is reported on stderr and skipped.
pub fn refresh(store: &dyn TraceStore, trace_ids: Vec<TraceId>) {
    for trace_id in trace_ids {
        if let Err(error) = refresh_one(store, &trace_id) {
            tracing::warn!(trace = %rootspan_model::trace_id_hex(&trace_id), %error, "analysing a trace failed");
        }
    }
}

/// Analyses every trace not yet analysed at its current size.
pub fn catch_up(store: &dyn TraceStore, project: Option<&str>) -> StoreResult<()> {
    let pending = store.unanalysed_traces(project)?;
    refresh(store, pending);
    Ok(())
}

/// The clusters of the stored failure signatures (after catching up).
pub fn clusters(
    store: &dyn TraceStore,
    project: Option<&str>,
) -> StoreResult<Vec<rootspan_analysis::cluster::Cluster>> {
    catch_up(store, project)?;
    let signatures: Vec<Signature> = store.list_signatures(project)?.into_iter().map(from_stored).collect();
    Ok(rootspan_analysis::cluster::cluster_signatures(&signatures))
}

//! `rootspan copy --from LOCATION --to LOCATION`: moves a store's traces to another store, either
//! way between the embedded store and ClickHouse (or between two of a kind).
//!
//! Every trace is copied as stored (raw spans with their log records, the project they belong
//! to), then its failure signatures and whether it was analysed. Writes are idempotent, so a
//! copy that stopped can simply be run again: traces the target already holds with the same
//! span count are skipped (`--no-resume` copies them again). At the end every copied trace's
//! span count and the signatures are checked on the target; a mismatch exits 1.

use crate::output::print_json;
use indicatif::{ProgressBar, ProgressStyle};
use rootspan_model::TraceId;
use rootspan_store::{TraceFilter, TraceStore, WriteBatch};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The store to read: a SQLite path, sqlite://PATH or clickhouse://... URI.
    #[arg(long, value_name = "PATH|URI")]
    pub from: String,
    /// The store to write (created or migrated when needed).
    #[arg(long, value_name = "PATH|URI")]
    pub to: String,
    /// Spans per write to the target.
    #[arg(long, default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub batch_spans: u64,
    /// Copy every trace, also those the target already holds with the same span count.
    #[arg(long)]
    pub no_resume: bool,
    /// Print a JSON report.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Default, Serialize)]
struct Report {
    from: String,
    to: String,
    traces: u64,
    copied_traces: u64,
    skipped_traces: u64,
    copied_spans: u64,
    signatures: u64,
    verified: bool,
    mismatches: Vec<String>,
}

/// Every trace of a store, all projects: (trace id, span count), by paging the list.
fn all_traces(store: &dyn TraceStore) -> anyhow::Result<Vec<(TraceId, u64)>> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let filter = TraceFilter { limit: Some(1_000), after, ..Default::default() };
        let page = store.list_traces(&filter)?;
        let Some(last) = page.last() else { break };
        after = rootspan_store::ListCursor::after(last);
        for item in &page {
            let id = rootspan_model::parse_trace_id(&item.trace_id)
                .map_err(|e| anyhow::anyhow!("a listed trace id {:?}: {e}", item.trace_id))?;
            out.push((id, item.span_count));
        }
        if after.is_none() {
            break;
        }
    }
    Ok(out)
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let from_shown = crate::store::display(&args.from);
    let to_shown = crate::store::display(&args.to);
    let source = crate::store::open(&args.from)?;
    let target = crate::store::open(&args.to)?;
    let traces = all_traces(source.as_ref())?;
    let unanalysed: HashSet<TraceId> = source.unanalysed_traces(None)?.into_iter().collect();
    let mut signatures: BTreeMap<TraceId, Vec<rootspan_store::TraceSignature>> = BTreeMap::new();
    for signature in source.list_signatures(None)? {
        signatures.entry(signature.trace_id).or_default().push(signature);
    }
    // Resuming: a trace is done when the target has it with the same span count, the same
    // number of signatures and the same analysis state.
    let mut done: HashSet<TraceId> = HashSet::new();
    if !args.no_resume {
        let present: HashMap<TraceId, u64> = all_traces(target.as_ref())?.into_iter().collect();
        let target_unanalysed: HashSet<TraceId> = target.unanalysed_traces(None)?.into_iter().collect();
        let mut target_signatures: HashMap<TraceId, usize> = HashMap::new();
        for signature in target.list_signatures(None)? {
            *target_signatures.entry(signature.trace_id).or_default() += 1;
        }
        for (trace_id, span_count) in &traces {
            if present.get(trace_id) == Some(span_count)
                && target_signatures.get(trace_id).copied().unwrap_or(0)
                    == signatures.get(trace_id).map(Vec::len).unwrap_or(0)
                && target_unanalysed.contains(trace_id) == unanalysed.contains(trace_id)
            {
                done.insert(*trace_id);
            }
        }
    }
    let mut report = Report { from: from_shown, to: to_shown, traces: traces.len() as u64, ..Default::default() };
    let progress = if args.json { ProgressBar::hidden() } else { ProgressBar::new(traces.len() as u64) };
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} traces {per_sec} eta {eta} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut pending: Vec<rootspan_model::Span> = Vec::new();
    let mut pending_traces: Vec<TraceId> = Vec::new();
    let flush = |pending: &mut Vec<rootspan_model::Span>, pending_traces: &mut Vec<TraceId>| -> anyhow::Result<()> {
        if !pending.is_empty() {
            target.write(WriteBatch::spans_only(std::mem::take(pending)))?;
        }
        for trace_id in pending_traces.drain(..) {
            if !unanalysed.contains(&trace_id) {
                target.put_signatures(&trace_id, signatures.get(&trace_id).map(Vec::as_slice).unwrap_or(&[]))?;
            }
        }
        Ok(())
    };
    for (trace_id, _) in &traces {
        if done.contains(trace_id) {
            report.skipped_traces += 1;
            progress.inc(1);
            continue;
        }
        let Some(spans) = source.load_trace(trace_id)? else { continue };
        // A trace that grew after its analysis keeps its signatures and stays unanalysed: they
        // are put before its spans, at the span count the target had then.
        if unanalysed.contains(trace_id)
            && let Some(list) = signatures.get(trace_id)
        {
            target.put_signatures(trace_id, list)?;
        }
        report.copied_spans += spans.len() as u64;
        report.copied_traces += 1;
        pending.extend(spans);
        pending_traces.push(*trace_id);
        if pending.len() as u64 >= args.batch_spans {
            flush(&mut pending, &mut pending_traces)?;
        }
        progress.inc(1);
        progress.set_message(format!("{} spans", report.copied_spans));
    }
    flush(&mut pending, &mut pending_traces)?;
    progress.finish_and_clear();
    // Verify: every trace of the source, with its span count and its signatures, on the target.
    let copied: HashMap<TraceId, u64> = all_traces(target.as_ref())?.into_iter().collect();
    for (trace_id, span_count) in &traces {
        let found = copied.get(trace_id).copied();
        if found != Some(*span_count) {
            report.mismatches.push(format!(
                "trace {}: {span_count} spans in the source, {} in the target",
                rootspan_model::trace_id_hex(trace_id),
                found.map(|n| n.to_string()).unwrap_or_else(|| "none".to_owned())
            ));
        }
    }
    let source_signatures = signatures.values().map(Vec::len).sum::<usize>() as u64;
    let target_signatures: u64 = {
        let wanted: HashSet<TraceId> = traces.iter().map(|(id, _)| *id).collect();
        target.list_signatures(None)?.iter().filter(|s| wanted.contains(&s.trace_id)).count() as u64
    };
    if source_signatures != target_signatures {
        report.mismatches.push(format!(
            "signatures: {source_signatures} in the source, {target_signatures} for these traces in the target"
        ));
    }
    report.signatures = target_signatures;
    report.verified = report.mismatches.is_empty();
    if args.json {
        print_json(&report)?;
    } else {
        println!(
            "copied {} traces ({} spans) from {} to {}; {} already there, skipped",
            report.copied_traces, report.copied_spans, report.from, report.to, report.skipped_traces
        );
        if report.verified {
            println!(
                "verified: all {} traces have the same span count on both sides, and {} signatures",
                report.traces, report.signatures
            );
        } else {
            for mismatch in &report.mismatches {
                eprintln!("mismatch: {mismatch}");
            }
        }
    }
    target.flush()?;
    Ok(if report.verified { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

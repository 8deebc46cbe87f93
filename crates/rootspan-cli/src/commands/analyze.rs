//! `rootspan analyze TRACE_ID`: the seed analyses of one trace. The critical path from the root
//! with self times, the slowest spans, the tool dependency graph with failure paths, context
//! drift, state-transition violations (against schemas the trace declares, or `--schemas FILE`),
//! confidence calibration, the retrieval audit (with `--relevant` document ids) and rollback
//! points. The JSON is documented in docs/analyze-schema.md.

use crate::output::{clip, duration, print_json};
use crate::store::StoreArgs;
use anyhow::Context;
use rootspan_analysis::{Analysis, AnalyzeOptions};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The trace: 32 hex digits or a unique prefix.
    pub trace_id: String,
    #[command(flatten)]
    pub store: StoreArgs,
    /// A JSON file mapping tool (or span) names to JSON Schemas of their outputs, for state validation.
    #[arg(long, value_name = "FILE")]
    pub schemas: Option<PathBuf>,
    /// Document ids known to be relevant (comma-separated), for the retrieval audit.
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub relevant: Vec<String>,
    /// Print JSON: `critical_path`, `slowest`, `dependency_graph`, `context_drift`,
    /// `state_validation`, `calibration`, `retrieval_audit`, `rollback_points`.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let schemas: BTreeMap<String, serde_json::Value> = match &args.schemas {
        None => BTreeMap::new(),
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            serde_json::from_str(&text)
                .with_context(|| format!("{}: expected a JSON object of name -> JSON Schema", path.display()))?
        }
    };
    let options = AnalyzeOptions {
        schemas,
        relevant_documents: args.relevant.iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect(),
        ..AnalyzeOptions::default()
    };
    let analysis = args.store.app()?.analyze(&args.trace_id, &options)?;
    if args.json {
        print_json(&analysis)?;
    } else {
        print_human(&analysis);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_human(analysis: &Analysis) {
    println!("trace {}  {}", analysis.trace_id, duration(analysis.duration_ns));
    println!("\ncritical path ({} spans):", analysis.critical_path.len());
    for entry in analysis.critical_path.iter().take(20) {
        println!(
            "  {:>9} self  {:>9} total  {:<9} {}",
            duration(entry.self_time_ns),
            duration(entry.duration_ns),
            entry.kind,
            clip(&entry.span_name, 40)
        );
    }
    if analysis.critical_path.len() > 20 {
        println!("  … {} more", analysis.critical_path.len() - 20);
    }
    let graph = &analysis.dependency_graph;
    println!(
        "\ntool dependency graph: {} calls, {} data edges, {} failures propagating",
        graph.nodes.len(),
        graph.edges.len(),
        graph.failure_paths.iter().filter(|p| !p.reaches.is_empty()).count()
    );
    for edge in graph.edges.iter().take(10) {
        let name = |i: usize| graph.nodes.get(i).map(|n| n.tool.as_str()).unwrap_or("?");
        println!("  {} -> {}  ({})", name(edge.from), name(edge.to), clip(&edge.value, 40));
    }
    let drift = &analysis.context_drift;
    match &drift.inflection_span_id {
        Some(span) => println!("\ncontext drift: alignment drops from span {span} (decay {:.2})", drift.decay),
        None => println!("\ncontext drift: none over {} model steps", drift.steps.len()),
    }
    let validation = &analysis.state_validation;
    println!("\nstate validation: {} schemas, {} violations", validation.schemas.len(), validation.violations.len());
    for violation in &validation.violations {
        println!("  {} ({}): {}", violation.step, violation.span_id, clip(&violation.problems.join("; "), 60));
    }
    let calibration = &analysis.calibration;
    match &calibration.calibration {
        Some(c) => println!(
            "\ncalibration: {} confidences, Brier {:.3}, ECE {:.3}, overconfidence {:+.3}",
            c.count, c.brier, c.ece, c.overconfidence
        ),
        None => println!("\ncalibration: the run reports no confidences"),
    }
    println!("\nretrieval audit: {} retrieval steps", analysis.retrieval_audit.len());
    for entry in &analysis.retrieval_audit {
        let scores = match (entry.precision, entry.recall) {
            (Some(p), Some(r)) => format!("precision {p:.2}, recall {r:.2}"),
            _ => "no relevant documents given".to_owned(),
        };
        println!("  {} retrieved {} ({scores})", clip(&entry.span_name, 30), entry.retrieved.len());
    }
    println!("\nrollback points: {}", analysis.rollback_points.len());
    for point in analysis.rollback_points.iter().take(3) {
        println!("  {:.2}  {} ({}): {}", point.score, clip(&point.span_name, 30), point.span_id, point.reason);
    }
}

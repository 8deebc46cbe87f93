//! Prints the detector view (steps) and the diagnosis of every trace in an OTLP file.
//! Usage: cargo run -p rootspan-analysis --example inspect -- FILE.pb

use rootspan_analysis::view::TraceView;
use rootspan_analysis::{DiagnoseOptions, diagnose};
use rootspan_model::{Span, SpanTree, trace_id_hex};
use std::collections::BTreeMap;

fn main() {
    let path = std::env::args().nth(1).expect("usage: inspect FILE");
    let bytes = std::fs::read(&path).expect("read");
    let imported = rootspan_ingest::import_file(std::path::Path::new(&path), &bytes, None).expect("decode");
    let mut by_trace: BTreeMap<String, Vec<Span>> = BTreeMap::new();
    for span in imported.spans {
        by_trace.entry(trace_id_hex(&span.trace_id)).or_default().push(span);
    }
    for (id, spans) in by_trace {
        let tree = SpanTree::build(spans);
        let view = TraceView::new(&tree);
        println!(
            "trace {id}\n  request: {:.200}\n  final: {:?}",
            view.user_request,
            view.final_answer.as_ref().map(|a| (a.0, &a.1[..a.1.len().min(200)]))
        );
        for step in &view.steps {
            println!(
                "  [{}] {:?} {} tool={:?} args={:.150?} calls={:?} err={:.150?}\n      out={:.200}",
                step.span,
                step.kind,
                view.span_name(step.span),
                step.tool_name,
                step.arguments,
                step.tool_calls.iter().map(|c| format!("{}({:.100})", c.0, c.1)).collect::<Vec<_>>(),
                step.error,
                step.output.replace('\n', " ")
            );
        }
        let diagnosis = diagnose(&tree, &DiagnoseOptions::default());
        println!("{}", serde_json::to_string_pretty(&diagnosis).unwrap_or_default());
    }
}

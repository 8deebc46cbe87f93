//! `rootspan show TRACE_ID`: the span tree, readable in an 80-column terminal.

use crate::output::{clip, duration, money, print_json};
use crate::store::StoreArgs;
use rootspan_model::{SpanTree, StatusCode};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Trace id (32 hex digits, or a unique prefix).
    pub trace_id: String,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Print JSON: `summary` (the counts) and `spans` (tree order, with attributes and the normalised view).
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let app = args.store.app()?;
    let tree = app.load_tree(&args.trace_id)?;
    let view = rootspan_app::views::trace_view(&tree);
    if args.json {
        print_json(&view)?;
        return Ok(ExitCode::SUCCESS);
    }
    let summary = &view.summary;
    println!("trace {}  {}  {}", view.header.trace_id, view.header.service, duration(view.header.duration_ns));
    println!(
        "{} spans, depth {}, {} LLM calls, {} tool calls ({} failed), {} error spans, tokens {} in / {} out{}",
        summary.spans,
        summary.max_depth,
        summary.llm_calls,
        summary.tool_calls,
        summary.tool_errors,
        summary.error_spans,
        summary.input_tokens,
        summary.output_tokens,
        if summary.cost_usd > 0.0 { format!(", {}", money(summary.cost_usd)) } else { String::new() }
    );
    println!();
    print_tree(&tree);
    Ok(ExitCode::SUCCESS)
}

fn print_tree(tree: &SpanTree) {
    for index in tree.preorder() {
        let span = &tree.spans[index];
        let depth = tree.depth[index] as usize;
        let indent = "  ".repeat(depth.min(12));
        let view = &span.gen_ai;
        let mut details = vec![duration(span.duration_ns())];
        if let Some(total) = view.total_tokens() {
            details.push(format!("{total} tok"));
        }
        let cost = money(view.cost_usd.unwrap_or(0.0));
        if !cost.is_empty() {
            details.push(cost);
        }
        let marker = match span.status.code {
            StatusCode::Error => "✗ ",
            _ => "",
        };
        let orphan = if tree.orphan[index] { " (orphan)" } else { "" };
        let label = format!("{indent}{marker}{} {}{orphan}", view.kind.as_str(), span.name);
        let right = details.join(" ");
        let width = 80usize.saturating_sub(right.chars().count() + 1);
        println!("{:<width$} {right}", clip(&label, width));
        if let Some(message) = &view.error_message {
            println!("{indent}    error: {}", clip(message, 72usize.saturating_sub(indent.len())));
        }
    }
}

//! `rootspan diff FAILED GOOD`: two runs of the same agent side by side, aligned step by step,
//! with the first divergence marked. `--auto` picks the good run: the most similar successful
//! trace of the same workflow (service and root span name) in the store.

use crate::output::{clip, duration, money, print_json};
use crate::store::StoreArgs;
use rootspan_analysis::diff::{AlignedStep, StepOp, TraceDiff};
use std::process::ExitCode;
/// Runs of unchanged steps longer than this are folded in the human output (without `--all`).
const CONTEXT: usize = 2;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The failed (or first) trace: 32 hex digits or a unique prefix.
    pub trace_a: String,
    /// The good (or second) trace; omit with --auto.
    pub trace_b: Option<String>,
    /// Compare with the most similar successful trace of the same workflow in the store.
    #[arg(long, conflicts_with = "trace_b")]
    pub auto: bool,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Show every step, not only the changes and their context.
    #[arg(long)]
    pub all: bool,
    /// Print JSON: `first_divergence` (null when the runs do not diverge), `steps` (the alignment),
    /// `counts`, and the totals of both runs.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let app = args.store.app()?;
    let report = match (&args.trace_b, args.auto) {
        (Some(b), _) => app.diff(&args.trace_a, b)?,
        (None, true) => app.diff_with_good_run(&args.trace_a)?,
        (None, false) => anyhow::bail!("give a second trace to compare with, or --auto to pick one from the store"),
    };
    if args.json {
        print_json(&report)?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(pick) = &report.auto {
        println!(
            "compared with {} (similarity {:.2}, the closest of {} successful runs)",
            &pick.trace_id[..8],
            pick.similarity,
            pick.candidates
        );
    }
    print_human(&report.diff, args.all);
    Ok(ExitCode::SUCCESS)
}

fn print_human(diff: &TraceDiff, all: bool) {
    for (label, run) in [("A", &diff.a), ("B", &diff.b)] {
        println!(
            "{label} {}  {}  {} spans  {}  {} tok{}{}",
            &run.trace_id[..8.min(run.trace_id.len())],
            clip(&run.root_name, 24),
            run.spans,
            duration(run.duration_ns),
            run.total_tokens,
            if run.cost_usd > 0.0 { format!("  {}", money(run.cost_usd)) } else { String::new() },
            if run.error_spans > 0 { format!("  {} errors", run.error_spans) } else { String::new() }
        );
    }
    let counts = &diff.counts;
    println!(
        "{} same, {} changed, {} only in A, {} only in B",
        counts.same, counts.changed, counts.only_a, counts.only_b
    );
    match &diff.first_divergence {
        None => {
            println!("the runs do not diverge");
            return;
        }
        Some(divergence) => {
            let name = divergence.a_span_name.as_deref().or(divergence.b_span_name.as_deref()).unwrap_or("?");
            println!("first divergence: step {}, {} ({})", divergence.step + 1, clip(name, 30), divergence.reason);
        }
    }
    println!();
    println!("{:>5}    {:<33} {:<33}", "step", "A", "B");
    let divergence_step = diff.first_divergence.as_ref().map(|d| d.step);
    let shown = visible_steps(&diff.steps, all);
    let mut previous: Option<usize> = None;
    for index in shown {
        if let Some(previous) = previous
            && index > previous + 1
        {
            println!("{:>5}    … {} unchanged steps", "", index - previous - 1);
        }
        previous = Some(index);
        print_step(index, &diff.steps[index], divergence_step == Some(index));
    }
    if let Some(previous) = previous
        && previous + 1 < diff.steps.len()
    {
        println!("{:>5}    … {} unchanged steps", "", diff.steps.len() - previous - 1);
    }
}

/// Steps to print: all, or every differing step with `CONTEXT` steps around it.
fn visible_steps(steps: &[AlignedStep], all: bool) -> Vec<usize> {
    if all {
        return (0..steps.len()).collect();
    }
    let mut keep = vec![false; steps.len()];
    for (index, step) in steps.iter().enumerate() {
        if step.op != StepOp::Same {
            let from = index.saturating_sub(CONTEXT);
            let to = (index + CONTEXT + 1).min(steps.len());
            keep[from..to].iter_mut().for_each(|k| *k = true);
        }
    }
    (0..steps.len()).filter(|&i| keep[i]).collect()
}

fn print_step(index: usize, step: &AlignedStep, is_divergence: bool) {
    let op = match step.op {
        StepOp::Same => '=',
        StepOp::Changed => '~',
        StepOp::OnlyA => '-',
        StepOp::OnlyB => '+',
    };
    let marker = if is_divergence { '>' } else { ' ' };
    let name = |side: &Option<rootspan_analysis::diff::StepSide>| match side {
        Some(side) => {
            let indent = "  ".repeat((side.depth as usize).min(4));
            let status = if side.status == "error" { " !" } else { "" };
            clip(&format!("{indent}{}{status}", side.name), 33)
        }
        None => String::new(),
    };
    println!("{:>5} {op}{marker} {:<33} {:<33}", index + 1, name(&step.a), name(&step.b));
    if step.op != StepOp::Changed {
        return;
    }
    if step.enclosing {
        println!("{:>9}(encloses a later change; not a cause)", "");
        return;
    }
    for change in step.changes.iter().filter(|c| c.material) {
        let a = change.a.as_deref().unwrap_or("(none)");
        let b = change.b.as_deref().unwrap_or("(none)");
        let (a, b) = around_difference(a, b, 57);
        println!("{:>9}{:<10} A: {a}", "", change.field);
        println!("{:>9}{:<10} B: {b}", "", "");
    }
    let measures: Vec<String> = step
        .changes
        .iter()
        .filter(|c| !c.material)
        .map(|c| {
            let show = |v: &Option<String>| {
                let text = v.as_deref().unwrap_or("-");
                if c.field == "latency" {
                    text.parse().map(duration).unwrap_or_else(|_| text.to_owned())
                } else {
                    text.to_owned()
                }
            };
            format!("{} {}→{}", c.field, show(&c.a), show(&c.b))
        })
        .collect();
    if !measures.is_empty() {
        println!("{:>9}{}", "", clip(&measures.join(", "), 70));
    }
}

/// Both texts on one line each, cut to `width` characters so that their first difference shows.
fn around_difference(a: &str, b: &str, width: usize) -> (String, String) {
    let flat = |text: &str| -> Vec<char> { text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect() };
    let (a, b) = (flat(a), flat(b));
    let first = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let start = if first + 12 > width { first.saturating_sub(width / 3) } else { 0 };
    let cut = |text: &[char]| -> String {
        let mut out = String::new();
        if start > 0 {
            out.push('…');
        }
        let room = width - usize::from(start > 0);
        let body: String = text.iter().skip(start).collect();
        out.push_str(&clip(&body, room));
        out
    };
    (cut(&a), cut(&b))
}

//! `rootspan clusters`: failing traces grouped by failure signature (computed once per trace at
//! ingest and stored), largest cluster first. Grouping stored signatures is O(n).

use crate::output::{clip, print_json, timestamp};
use crate::store::StoreArgs;
use rootspan_analysis::cluster::Cluster;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Only this project.
    #[arg(long)]
    pub project: Option<String>,
    /// Only clusters with at least this many traces.
    #[arg(long, default_value_t = 1)]
    pub min_count: u64,
    /// At most this many clusters (all with --json unless given).
    #[arg(long)]
    pub limit: Option<usize>,
    /// Diagnose every trace in the store again and replace its stored signatures first (for
    /// traces ingested before analysis ran, or after a detector change).
    #[arg(long)]
    pub recompute: bool,
    /// Print JSON: an array of clusters, each with `signature`, `signature_id`, `detector`,
    /// `count`, `trace_ids`, `representative_trace_id`, first/last seen, services and models.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let app = args.store.app()?;
    if args.recompute {
        eprintln!("analysing every trace again");
        let count = app.recompute_signatures(args.project.as_deref())?;
        eprintln!("analysed {count} traces");
    }
    let all = app.clusters(args.project.as_deref())?;
    let any_failures = !all.is_empty();
    let mut clusters: Vec<Cluster> = all.into_iter().filter(|c| c.count >= args.min_count).collect();
    if let Some(limit) = args.limit {
        clusters.truncate(limit);
    }
    if args.json {
        print_json(&clusters)?;
        return Ok(ExitCode::SUCCESS);
    }
    if clusters.is_empty() {
        if !any_failures {
            println!("no failing traces");
        } else {
            println!("no cluster has {} or more traces", args.min_count);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let traces: u64 = clusters.iter().map(|c| c.count).sum();
    println!("{} clusters over {traces} failing traces", clusters.len());
    for (position, cluster) in clusters.iter().enumerate() {
        println!();
        print_cluster(position + 1, cluster);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_cluster(position: usize, cluster: &Cluster) {
    let head = format!("#{position:<3} {:>5} trace{} ", cluster.count, if cluster.count == 1 { " " } else { "s" });
    let mut lines = wrap(&cluster.signature, 80 - head.chars().count());
    let first = if lines.is_empty() { String::new() } else { lines.remove(0) };
    println!("{head}{first}");
    let pad = " ".repeat(head.chars().count());
    for line in lines {
        println!("{pad}{line}");
    }
    println!("{pad}seen {} .. {}", timestamp(cluster.first_seen_unix_nano), timestamp(cluster.last_seen_unix_nano));
    println!("{pad}{}", clip(&format!("detectors: {}", cluster.detectors.join(", ")), 80 - pad.len()));
    println!("{pad}{}", clip(&format!("services: {}", cluster.services.join(", ")), 80 - pad.len()));
    if !cluster.models.is_empty() {
        println!("{pad}{}", clip(&format!("models: {}", cluster.models.join(", ")), 80 - pad.len()));
    }
    println!("{pad}e.g. {}", cluster.representative_trace_id);
}

/// Splits text into lines of at most `width` characters, at spaces when possible.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(20);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let mut word = word.to_owned();
        while word.chars().count() > width {
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            let head: String = word.chars().take(width).collect();
            word = word.chars().skip(width).collect();
            lines.push(head);
        }
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

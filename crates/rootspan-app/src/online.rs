//! Continuous evaluation: a configured share of incoming traces is scored, after the detectors,
//! by the chosen eval scorers. A scorer that fails becomes a failure signature of the trace
//! (`eval | <scorer>`), so quality drift shows up as a growing issue, and a resolved one
//! regresses, like any other failure.
//!
//! Configuration (`rootspan serve --online-eval FILE`):
//!
//! ```json
//! {"share": 0.25, "scorers": [{"type": "not_contains", "value": "I cannot help"},
//!                             {"type": "no_finding", "failure_modes": []}]}
//! ```

use crate::error::{AppError, AppResult};
use rootspan_analysis::Diagnosis;
use rootspan_evals::{RunOutput, Scorer};
use rootspan_model::ids::fnv1a64;
use rootspan_model::{SpanKind, SpanTree};
use rootspan_store::TraceSignature;
use serde::Deserialize;

/// What continuous evaluation scores, and how much of the traffic.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnlineEval {
    /// Share of traces scored, 0 to 1; which traces is decided by their id, so every process
    /// samples the same ones.
    pub share: f64,
    pub scorers: Vec<Scorer>,
}

impl OnlineEval {
    /// Parses and checks a configuration.
    pub fn parse(text: &str, origin: &str) -> AppResult<OnlineEval> {
        let config: OnlineEval = serde_json::from_str(text).map_err(|e| AppError::invalid(format!("{origin}: {e}")))?;
        if !(0.0..=1.0).contains(&config.share) {
            return Err(AppError::invalid(format!("{origin}: share must be between 0 and 1, not {}", config.share)));
        }
        if config.scorers.is_empty() {
            return Err(AppError::invalid(format!("{origin}: no scorers")));
        }
        for scorer in &config.scorers {
            scorer.check().map_err(|e| AppError::invalid(format!("{origin}: {e}")))?;
            if matches!(scorer, Scorer::LlmJudge { .. }) {
                return Err(AppError::invalid(format!("{origin}: llm_judge is not available at ingest")));
            }
        }
        Ok(config)
    }

    /// Whether a trace is in the scored share.
    pub fn sampled(&self, trace_id: &rootspan_model::TraceId) -> bool {
        (fnv1a64(trace_id, 0xcbf2_9ce4_8422_2325) % 10_000) < (self.share * 10_000.0).round() as u64
    }

    /// The signatures of the scorers a trace fails (none when it is not sampled).
    pub fn signatures(&self, tree: &SpanTree, diagnosis: &Diagnosis) -> Vec<TraceSignature> {
        let Some(root) = tree.root() else { return Vec::new() };
        if !self.sampled(&root.trace_id) {
            return Vec::new();
        }
        let run = run_of(tree, diagnosis);
        self.scorers
            .iter()
            .map(|scorer| scorer.score(&run, None))
            .filter(|score| !score.passed)
            .map(|score| {
                let text = format!("eval | {}", score.scorer);
                TraceSignature {
                    trace_id: root.trace_id,
                    signature_id: rootspan_analysis::cluster::signature_id(&text),
                    signature: text,
                    detector: "eval".into(),
                    service: root.service_name().to_owned(),
                    model: tree.spans.iter().find_map(|s| s.gen_ai.model.clone()),
                    start_time_unix_nano: root.start_time_unix_nano,
                    failure_mode: None,
                }
            })
            .collect()
    }
}

/// A stored run as the scorers see it: the final answer (the root's output, else the last model
/// answer), the tools called in order, the failure mode diagnosed.
pub fn run_of(tree: &SpanTree, diagnosis: &Diagnosis) -> RunOutput {
    let root_output = tree.root().and_then(|r| r.gen_ai.output_text.clone()).filter(|t| !t.trim().is_empty());
    let last_answer = tree
        .spans
        .iter()
        .filter(|s| s.gen_ai.kind == SpanKind::Llm)
        .filter_map(|s| {
            s.gen_ai.output_messages.iter().rev().find(|m| !m.content.is_empty()).map(|m| m.content.clone())
        })
        .next_back();
    let tools = tools_called(tree).into_iter().map(|(_, name)| name).collect();
    RunOutput {
        output: root_output.or(last_answer).unwrap_or_default(),
        tools,
        failure_modes: crate::analysis::diagnosed_failure_mode(diagnosis).into_iter().collect(),
        traced: true,
    }
}

/// The tools a trace called, with their start times, in start order; a tool span inside a tool
/// span (a framework's wrapper around the tool) counts once.
pub fn tools_called(tree: &SpanTree) -> Vec<(u64, String)> {
    let mut tools = Vec::new();
    for (index, span) in tree.spans.iter().enumerate() {
        if span.gen_ai.kind != SpanKind::Tool {
            continue;
        }
        let mut ancestor = tree.parent[index];
        let mut nested = false;
        while let Some(parent) = ancestor {
            nested |= tree.spans[parent].gen_ai.kind == SpanKind::Tool;
            ancestor = tree.parent[parent];
        }
        if !nested {
            tools.push((span.start_time_unix_nano, span.gen_ai.tool_name.clone().unwrap_or_else(|| span.name.clone())));
        }
    }
    tools
}

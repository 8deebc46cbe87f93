//! `resource-abuse`: runaway repeated calls.
//!
//! **What.** The same tool called with identical arguments three or more times in one run (whatever
//! the outcome), or one tool called more than 20 times. Unlike `retry-loop`, it does not require the
//! calls to fail; it flags the waste. Following the TRAIL convention, the *last* instance is reported.
//!
//! **Why.** Repeated identical calls cost money and rate-limit budget, and often hide a missing
//! memory of earlier results.
//!
//! **Example.** `web_search("capital of France")` issued four times in one run.
//!
//! **False positives.** Polling tools; parallel fan-out with identical arguments by design. Calls
//! without recorded arguments are not compared.

use super::Hit;
use crate::DiagnoseOptions;
use crate::diagnosis::Severity;
use crate::text;
use crate::view::TraceView;
use rootspan_model::SpanKind;
use std::collections::HashMap;

pub const ID: &str = "resource-abuse";

pub fn detect(view: &TraceView, _options: &DiagnoseOptions) -> Vec<Hit> {
    let mut identical: HashMap<(String, String), Vec<usize>> = HashMap::new();
    for step in &view.steps {
        if step.kind != SpanKind::Tool {
            continue;
        }
        let (Some(tool), Some(arguments), Some(canonical)) =
            (&step.tool_name, &step.arguments, &step.canonical_arguments)
        else {
            continue;
        };
        if arguments.trim().is_empty() || arguments.trim() == "{}" {
            continue;
        }
        identical.entry((tool.clone(), canonical.clone())).or_default().push(step.span);
    }
    let mut groups: Vec<_> = identical.into_iter().filter(|(_, spans)| spans.len() >= 3 || spans.len() > 20).collect();
    groups.sort_by_key(|(_, spans)| spans[0]);
    groups
        .into_iter()
        .take(1)
        .map(|((tool, arguments), spans)| {
            let last = *spans.last().unwrap_or(&spans[0]);
            let mut hit = Hit::new(
                ID,
                last,
                Severity::Medium,
                format!("`{tool}` called {} times with identical arguments", spans.len()),
            )
            .evidence(format!("arguments: {}", text::clip(&arguments, 200)))
            .confidence(0.7);
            hit.chain = spans.clone();
            hit.chain.retain(|s| *s != last);
            hit.chain.insert(0, last);
            hit
        })
        .collect()
}

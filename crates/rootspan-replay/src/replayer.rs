//! The replay engine: answers each call of the agent with the recorded event of its kind, or
//! with a [`ReplayFailure`] that names the step, the kind and the difference. It never goes live
//! and never falls back silently; the [`ReplaySummary`] lists what was consumed, what was not,
//! and what diverged.

use crate::compare::{self, LlmRequest, Tolerance};
use crate::index::{StepRef, TraceIndex};
use crate::recording::{Event, EventKind, Recording};
use serde::Serialize;
use serde_json::Value;

/// Why a call could not be answered from the recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// Every recorded event of the kind was already consumed.
    Exhausted,
    /// The request differs from the recorded one beyond the tolerance.
    Diverged,
    /// The recording holds the step without its content.
    NotCaptured,
}

/// A call replay refused, with a message that names the step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplayFailure {
    pub failure: FailureKind,
    pub kind: EventKind,
    /// The recorded step the call was matched against (`None` when exhausted).
    pub step: Option<u64>,
    pub message: String,
    /// The difference, when diverged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub difference: Option<String>,
}

/// What a replay did, step by step.
#[derive(Debug, Clone, Serialize)]
pub struct ReplaySummary {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
    pub steps: usize,
    pub consumed: Vec<StepRef>,
    /// Tool calls the agent ran itself, whose recorded results reached the next model request.
    pub observed: Vec<StepRef>,
    pub unconsumed: Vec<StepRef>,
    pub diverged: Vec<StepRef>,
    pub failures: Vec<ReplayFailure>,
    /// Every step consumed, nothing diverged, nothing refused.
    pub complete: bool,
}

/// Replays one recording.
#[derive(Debug, Clone)]
pub struct Replayer {
    index: TraceIndex,
    tolerance: Tolerance,
    failures: Vec<ReplayFailure>,
}

impl Replayer {
    pub fn new(recording: Recording, tolerance: Tolerance) -> Replayer {
        Replayer { index: TraceIndex::new(recording), tolerance, failures: Vec::new() }
    }

    pub fn recording(&self) -> &Recording {
        self.index.recording()
    }

    fn fail(&mut self, failure: ReplayFailure) -> ReplayFailure {
        tracing::warn!(step = ?failure.step, kind = %failure.kind, "{}", failure.message);
        self.failures.push(failure.clone());
        failure
    }

    fn exhausted(&mut self, kind: EventKind, what: &str) -> ReplayFailure {
        let steps: Vec<String> =
            self.index.recording().events.iter().filter(|e| e.kind == kind).map(|e| e.step.to_string()).collect();
        let message = match steps.last() {
            Some(last) => format!(
                "replay exhausted after step {last}: {what} is {kind} call {} but the recording holds only {} {kind} step{} ({}), all consumed; no live call is made",
                self.index.position(kind) + 1,
                steps.len(),
                if steps.len() == 1 { "" } else { "s" },
                steps.join(", "),
            ),
            None => format!(
                "replay exhausted: {what} is a {kind} call, and the recording holds no {kind} step (its {} steps are of other kinds); no live call is made",
                self.index.recording().events.len()
            ),
        };
        self.fail(ReplayFailure { failure: FailureKind::Exhausted, kind, step: None, message, difference: None })
    }

    fn not_captured(&mut self, position: usize) -> ReplayFailure {
        let event = self.index.event_at(position).clone();
        self.index.take(position, Some("not captured".into()));
        let message = format!(
            "step {} ({} {}) cannot be replayed: {}",
            event.step,
            event.kind,
            event.name,
            event.missing.as_deref().unwrap_or("its content was not captured")
        );
        self.fail(ReplayFailure {
            failure: FailureKind::NotCaptured,
            kind: event.kind,
            step: Some(event.step),
            message,
            difference: None,
        })
    }

    fn diverged(&mut self, position: usize, difference: String) -> ReplayFailure {
        let event = self.index.event_at(position).clone();
        self.index.take(position, Some(difference.clone()));
        let message = format!("replay diverged at step {} ({} {}): {difference}", event.step, event.kind, event.name);
        self.fail(ReplayFailure {
            failure: FailureKind::Diverged,
            kind: event.kind,
            step: Some(event.step),
            message,
            difference: Some(difference),
        })
    }

    /// The recorded answer to an LLM call.
    pub fn llm(&mut self, request: &LlmRequest) -> Result<Event, ReplayFailure> {
        let Some(&position) = self.index.remaining(EventKind::LlmCall).first() else {
            return Err(self.exhausted(EventKind::LlmCall, "this request"));
        };
        let event = self.index.event_at(position);
        if event.missing.is_some() {
            return Err(self.not_captured(position));
        }
        let recorded = compare::recorded_llm_request(&event.request);
        if let Some(difference) = compare::llm_difference(&recorded, request, &self.tolerance) {
            return Err(self.diverged(position, difference));
        }
        let step = event.step;
        self.index.observe_tools_before(step);
        Ok(self.index.take(position, None).clone())
    }

    /// The recorded result of a tool call. Tool calls asked for by the same model turn may come
    /// in any order; across turns they keep the recorded order.
    pub fn tool(&mut self, name: &str, arguments: &Value) -> Result<Event, ReplayFailure> {
        let remaining = self.index.remaining(EventKind::ToolCall);
        let Some(&first) = remaining.first() else {
            return Err(self.exhausted(EventKind::ToolCall, &format!("this call of {name:?}")));
        };
        let turn = self.index.event_at(first).caused_by;
        let batch: Vec<usize> =
            remaining.iter().copied().take_while(|&p| self.index.event_at(p).caused_by == turn).collect();
        let same_name: Vec<usize> = batch.iter().copied().filter(|&p| self.index.event_at(p).name == name).collect();
        let matching = same_name.iter().copied().find(|&p| {
            compare::arguments_difference(self.index.event_at(p).request.get("arguments"), arguments, &self.tolerance)
                .is_none()
        });
        let position = match (matching, same_name.first()) {
            (Some(position), _) => position,
            (None, Some(&position)) => {
                let difference = compare::arguments_difference(
                    self.index.event_at(position).request.get("arguments"),
                    arguments,
                    &self.tolerance,
                )
                .unwrap_or_default();
                if self.index.event_at(position).missing.is_some() {
                    return Err(self.not_captured(position));
                }
                return Err(self.diverged(position, format!("{name}: {difference}")));
            }
            (None, None) => {
                let expected: Vec<String> = batch.iter().map(|&p| self.index.event_at(p).name.clone()).collect();
                return Err(self.diverged(
                    first,
                    format!("tool {name:?} was called; the recording's next tool calls are {expected:?}"),
                ));
            }
        };
        if self.index.event_at(position).missing.is_some() {
            return Err(self.not_captured(position));
        }
        Ok(self.index.take(position, None).clone())
    }

    /// The next recorded event of any other kind (retrieval, decision, memory, clock, random),
    /// compared with the recorded request when both have one.
    pub fn generic(&mut self, kind: EventKind, request: &Value) -> Result<Event, ReplayFailure> {
        let Some(&position) = self.index.remaining(kind).first() else {
            return Err(self.exhausted(kind, "this request"));
        };
        let event = self.index.event_at(position);
        if event.missing.is_some() {
            return Err(self.not_captured(position));
        }
        if !request.is_null() && !event.request.is_null() {
            let (recorded, received) = (compare::canonical(&event.request), compare::canonical(request));
            if recorded != received && compare::difference_share(&recorded, &received) > self.tolerance.text {
                let difference = format!("request: {}", compare::excerpt_difference(&recorded, &received));
                return Err(self.diverged(position, difference));
            }
        }
        Ok(self.index.take(position, None).clone())
    }

    pub fn summary(&self) -> ReplaySummary {
        let unconsumed = self.index.unconsumed();
        let diverged = self.index.diverged();
        ReplaySummary {
            trace_id: self.index.recording().header.trace_id.clone(),
            steps: self.index.recording().events.len(),
            consumed: self.index.consumed(),
            observed: self.index.observed(),
            complete: unconsumed.is_empty() && diverged.is_empty() && self.failures.is_empty(),
            unconsumed,
            diverged,
            failures: self.failures.clone(),
        }
    }
}

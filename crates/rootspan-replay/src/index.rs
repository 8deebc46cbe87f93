//! [`TraceIndex`]: the events of a recording grouped by kind, each kind with its own cursor, so
//! that LLM calls, tool calls, clock reads and the rest are handed out in recorded order
//! independently of one another. It also keeps what happened to every step (consumed, diverged),
//! for the summary at the end of a replay.

use crate::recording::{Event, EventKind, Recording};
use serde::Serialize;
use std::collections::BTreeMap;

/// What replay did with one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    Unconsumed,
    Consumed,
    Diverged,
    /// A tool call the agent ran itself: not asked of the replay server, but its recorded result
    /// was in the next model request, which matched the recording.
    Observed,
}

/// A step as the summary names it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StepRef {
    pub step: u64,
    pub kind: EventKind,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub difference: Option<String>,
}

/// The events of one recording with a cursor per kind.
#[derive(Debug, Clone)]
pub struct TraceIndex {
    recording: Recording,
    by_kind: BTreeMap<EventKind, Vec<usize>>,
    cursor: BTreeMap<EventKind, usize>,
    state: Vec<StepState>,
    difference: Vec<Option<String>>,
}

impl TraceIndex {
    pub fn new(recording: Recording) -> TraceIndex {
        let mut by_kind: BTreeMap<EventKind, Vec<usize>> = BTreeMap::new();
        for (position, event) in recording.events.iter().enumerate() {
            by_kind.entry(event.kind).or_default().push(position);
        }
        let count = recording.events.len();
        TraceIndex {
            recording,
            by_kind,
            cursor: BTreeMap::new(),
            state: vec![StepState::Unconsumed; count],
            difference: vec![None; count],
        }
    }

    pub fn recording(&self) -> &Recording {
        &self.recording
    }

    /// How many events of a kind the recording holds.
    pub fn count(&self, kind: EventKind) -> usize {
        self.by_kind.get(&kind).map_or(0, Vec::len)
    }

    /// How many events of a kind were handed out so far.
    pub fn position(&self, kind: EventKind) -> usize {
        self.cursor.get(&kind).copied().unwrap_or(0)
    }

    /// The events of a kind not yet handed out, in recorded order (positions into the events).
    pub fn remaining(&self, kind: EventKind) -> Vec<usize> {
        let Some(positions) = self.by_kind.get(&kind) else { return Vec::new() };
        positions.iter().copied().filter(|&p| self.state[p] == StepState::Unconsumed).collect()
    }

    /// The next event of a kind, without handing it out.
    pub fn peek(&self, kind: EventKind) -> Option<&Event> {
        self.remaining(kind).first().map(|&p| &self.recording.events[p])
    }

    pub fn event_at(&self, position: usize) -> &Event {
        &self.recording.events[position]
    }

    /// Hands out the event at a position (consumed, or diverged with the difference).
    pub fn take(&mut self, position: usize, difference: Option<String>) -> &Event {
        let kind = self.recording.events[position].kind;
        self.state[position] = if difference.is_some() { StepState::Diverged } else { StepState::Consumed };
        self.difference[position] = difference;
        *self.cursor.entry(kind).or_default() += 1;
        &self.recording.events[position]
    }

    /// Hands out the next event of a kind.
    pub fn next(&mut self, kind: EventKind) -> Option<&Event> {
        let position = *self.remaining(kind).first()?;
        Some(self.take(position, None))
    }

    fn steps_in(&self, state: StepState) -> Vec<StepRef> {
        self.recording
            .events
            .iter()
            .enumerate()
            .filter(|(p, _)| self.state[*p] == state)
            .map(|(p, e)| StepRef {
                step: e.step,
                kind: e.kind,
                name: e.name.clone(),
                difference: self.difference[p].clone(),
            })
            .collect()
    }

    /// Marks the unconsumed tool calls asked for by model turns before `step` as run by the
    /// agent itself (their results reached the model request of `step`, which matched).
    pub fn observe_tools_before(&mut self, step: u64) {
        for (position, event) in self.recording.events.iter().enumerate() {
            if event.kind == EventKind::ToolCall
                && self.state[position] == StepState::Unconsumed
                && event.step < step
                && event.caused_by.is_some_and(|turn| turn < step)
            {
                self.state[position] = StepState::Observed;
            }
        }
    }

    pub fn observed(&self) -> Vec<StepRef> {
        self.steps_in(StepState::Observed)
    }

    pub fn consumed(&self) -> Vec<StepRef> {
        self.steps_in(StepState::Consumed)
    }

    pub fn unconsumed(&self) -> Vec<StepRef> {
        self.steps_in(StepState::Unconsumed)
    }

    pub fn diverged(&self) -> Vec<StepRef> {
        self.steps_in(StepState::Diverged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recording::{Event, Header};

    fn event(step: u64, kind: EventKind) -> Event {
        Event {
            step,
            kind,
            name: format!("e{step}"),
            span_id: None,
            caused_by: None,
            start_time_unix_nano: 0,
            duration_ns: 0,
            request: serde_json::Value::Null,
            response: Some(serde_json::json!({})),
            error: None,
            missing: None,
        }
    }

    #[test]
    fn each_kind_has_its_own_cursor_in_recorded_order() {
        let events = vec![
            event(1, EventKind::LlmCall),
            event(2, EventKind::ToolCall),
            event(3, EventKind::ToolCall),
            event(4, EventKind::LlmCall),
        ];
        let mut index = TraceIndex::new(Recording { header: Header::new(), events });
        assert_eq!(index.next(EventKind::ToolCall).unwrap().step, 2, "tools do not wait for LLM calls");
        assert_eq!(index.next(EventKind::LlmCall).unwrap().step, 1);
        assert_eq!(index.next(EventKind::LlmCall).unwrap().step, 4);
        assert!(index.next(EventKind::LlmCall).is_none(), "exhausted");
        assert_eq!(index.position(EventKind::LlmCall), 2);
        let unconsumed: Vec<u64> = index.unconsumed().iter().map(|s| s.step).collect();
        assert_eq!(unconsumed, vec![3]);
        assert!(index.next(EventKind::ClockRead).is_none());
    }
}

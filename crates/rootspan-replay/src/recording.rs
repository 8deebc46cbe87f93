//! The recording format: an immutable event log of one agent run, as JSON lines. The first line
//! is the [`Header`]; every other line is one [`Event`] with a step id that increases strictly
//! from line to line. Documented in `docs/recording-format.md`.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::io::{BufRead, Write};
use std::path::Path;

/// The version of the format this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// What kind of interaction an event records. Each kind has its own replay cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    LlmCall,
    ToolCall,
    Retrieval,
    Decision,
    MemoryRead,
    MemoryWrite,
    ClockRead,
    RandomRead,
}

impl EventKind {
    pub const ALL: [EventKind; 8] = [
        EventKind::LlmCall,
        EventKind::ToolCall,
        EventKind::Retrieval,
        EventKind::Decision,
        EventKind::MemoryRead,
        EventKind::MemoryWrite,
        EventKind::ClockRead,
        EventKind::RandomRead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::LlmCall => "llm_call",
            EventKind::ToolCall => "tool_call",
            EventKind::Retrieval => "retrieval",
            EventKind::Decision => "decision",
            EventKind::MemoryRead => "memory_read",
            EventKind::MemoryWrite => "memory_write",
            EventKind::ClockRead => "clock_read",
            EventKind::RandomRead => "random_read",
        }
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The first line of a recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Always [`FORMAT_VERSION`] for what this build writes.
    pub rootspan_recording: u32,
    /// The stored trace this recording was exported from (hex), when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// When the run started (virtual clock origin of the replay).
    #[serde(default)]
    pub start_time_unix_nano: u64,
    /// The user's request that started the run, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    /// The run's final answer, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// Steps whose content the source did not capture: replaying them fails, naming the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<MissingStep>,
}

impl Header {
    pub fn new() -> Header {
        Header {
            rootspan_recording: FORMAT_VERSION,
            trace_id: None,
            service: None,
            start_time_unix_nano: 0,
            input: None,
            output: None,
            missing: Vec::new(),
        }
    }
}

impl Default for Header {
    fn default() -> Self {
        Header::new()
    }
}

/// A step the recording holds without the content replay needs, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MissingStep {
    pub step: u64,
    pub kind: EventKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span_id: Option<String>,
    pub name: String,
    pub reason: String,
}

/// One recorded interaction: the full request and the full response (or the error).
///
/// `response` is `None` only when the content was not captured (then `missing` says why);
/// a captured empty result is `Some` of an empty value, and replays as empty, not as a failure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub step: u64,
    pub kind: EventKind,
    /// What was called: the model for an LLM call, the tool's name, the retriever, the key read.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span_id: Option<String>,
    /// The step of the LLM call that asked for this one (tool calls), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caused_by: Option<u64>,
    #[serde(default)]
    pub start_time_unix_nano: u64,
    #[serde(default)]
    pub duration_ns: u64,
    /// The request as the callee received it (see docs/recording-format.md for each kind).
    #[serde(default)]
    pub request: Value,
    /// The response, `None` when not captured.
    #[serde(default)]
    pub response: Option<Value>,
    /// The error the call ended with, if it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<RecordedError>,
    /// Why this step cannot be replayed (content not captured), if it cannot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<String>,
}

/// A recorded failure of a call: replayed as the same failure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedError {
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    /// The HTTP status the callee answered, when known (429, 500, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default)]
    pub timed_out: bool,
}

/// A whole recording in memory.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Recording {
    pub header: Header,
    pub events: Vec<Event>,
}

/// Why a recording could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path}:{line}: {message}")]
    Invalid { path: String, line: usize, message: String },
}

impl Recording {
    /// The event of a step.
    pub fn event(&self, step: u64) -> Option<&Event> {
        self.events.binary_search_by_key(&step, |e| e.step).ok().map(|i| &self.events[i])
    }

    /// Writes the recording as JSON lines.
    pub fn write_to(&self, mut out: impl Write) -> std::io::Result<()> {
        serde_json::to_writer(&mut out, &self.header)?;
        out.write_all(b"\n")?;
        for event in &self.events {
            serde_json::to_writer(&mut out, event)?;
            out.write_all(b"\n")?;
        }
        out.flush()
    }

    /// Writes the recording to a file (created or replaced).
    pub fn save(&self, path: &Path) -> Result<(), RecordingError> {
        let io = |source| RecordingError::Io { path: path.display().to_string(), source };
        let file = std::fs::File::create(path).map_err(io)?;
        self.write_to(std::io::BufWriter::new(file)).map_err(io)
    }

    /// Reads a recording file.
    pub fn load(path: &Path) -> Result<Recording, RecordingError> {
        let io = |source| RecordingError::Io { path: path.display().to_string(), source };
        let file = std::fs::File::open(path).map_err(io)?;
        Recording::read_from(std::io::BufReader::new(file), &path.display().to_string())
    }

    /// Reads JSON lines; `origin` names the source in errors. Blank lines are skipped; steps must
    /// increase strictly.
    pub fn read_from(input: impl BufRead, origin: &str) -> Result<Recording, RecordingError> {
        let invalid = |line: usize, message: String| RecordingError::Invalid { path: origin.to_owned(), line, message };
        let mut header: Option<Header> = None;
        let mut events: Vec<Event> = Vec::new();
        for (index, line) in input.lines().enumerate() {
            let number = index + 1;
            let line = line.map_err(|source| RecordingError::Io { path: origin.to_owned(), source })?;
            if line.trim().is_empty() {
                continue;
            }
            if header.is_none() {
                let parsed: Header = serde_json::from_str(&line)
                    .map_err(|e| invalid(number, format!("the first line is not a recording header: {e}")))?;
                if parsed.rootspan_recording != FORMAT_VERSION {
                    return Err(invalid(
                        number,
                        format!(
                            "recording format version {} is not supported (this build reads {FORMAT_VERSION})",
                            parsed.rootspan_recording
                        ),
                    ));
                }
                header = Some(parsed);
                continue;
            }
            let event: Event =
                serde_json::from_str(&line).map_err(|e| invalid(number, format!("not an event: {e}")))?;
            if let Some(last) = events.last()
                && event.step <= last.step
            {
                return Err(invalid(
                    number,
                    format!("step {} does not follow step {}: steps must increase", event.step, last.step),
                ));
            }
            events.push(event);
        }
        let header = header.ok_or_else(|| invalid(1, "empty file: a recording starts with its header line".into()))?;
        Ok(Recording { header, events })
    }
}

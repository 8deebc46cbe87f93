//! [`TraceWriter`]: writes a recording directly, event by event, for agents that want to record
//! without OpenTelemetry. Each event is appended and flushed as it happens, with the next step
//! id, so a crash leaves every earlier event readable.
//!
//! ```
//! use rootspan_replay::{TraceWriter, Recording, EventKind};
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("run.recording.jsonl");
//! let mut writer = TraceWriter::create(&path, Some("Where is order A1?")).unwrap();
//! writer.clock_read(1_700_000_000_000_000_000).unwrap();
//! writer.tool_call("get_order", serde_json::json!({"id": "A1"}), Ok(serde_json::json!({"status": "shipped"}))).unwrap();
//! writer.finish(Some("It has shipped.")).unwrap();
//! let recording = Recording::load(&path).unwrap();
//! assert_eq!(recording.events[1].kind, EventKind::ToolCall);
//! assert_eq!(recording.header.output.as_deref(), None, "the header is written first");
//! ```

use crate::recording::{Event, EventKind, Header, RecordedError};
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;

/// Appends events to a recording file.
pub struct TraceWriter {
    out: std::io::BufWriter<std::fs::File>,
    next_step: u64,
}

fn now_unix_nano() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64)
}

impl TraceWriter {
    /// Creates (or replaces) a recording file and writes its header.
    pub fn create(path: &Path, input: Option<&str>) -> std::io::Result<TraceWriter> {
        let file = std::fs::File::create(path)?;
        let mut writer = TraceWriter { out: std::io::BufWriter::new(file), next_step: 1 };
        let header = Header { start_time_unix_nano: now_unix_nano(), input: input.map(str::to_owned), ..Header::new() };
        serde_json::to_writer(&mut writer.out, &header)?;
        writer.out.write_all(b"\n")?;
        writer.out.flush()?;
        Ok(writer)
    }

    /// Appends one event of any kind; returns its step id.
    pub fn record(
        &mut self,
        kind: EventKind,
        name: &str,
        request: Value,
        outcome: Result<Value, RecordedError>,
        duration_ns: u64,
    ) -> std::io::Result<u64> {
        let step = self.next_step;
        let (response, error) = match outcome {
            Ok(response) => (Some(response), None),
            Err(error) => (None, Some(error)),
        };
        let event = Event {
            step,
            kind,
            name: name.to_owned(),
            span_id: None,
            caused_by: None,
            start_time_unix_nano: now_unix_nano(),
            duration_ns,
            request,
            response,
            error,
            missing: None,
        };
        serde_json::to_writer(&mut self.out, &event)?;
        self.out.write_all(b"\n")?;
        self.out.flush()?;
        self.next_step += 1;
        Ok(step)
    }

    /// An LLM call: `request` holds `model`, `messages` (role, content, tool_calls) and `tools`;
    /// `response` holds `message` (the assistant message), `finish_reason` and `usage`.
    pub fn llm_call(
        &mut self,
        model: &str,
        request: Value,
        response: Result<Value, RecordedError>,
    ) -> std::io::Result<u64> {
        self.record(EventKind::LlmCall, model, request, response, 0)
    }

    /// A tool call with its arguments and its result (an empty result is a result, not a failure).
    pub fn tool_call(
        &mut self,
        name: &str,
        arguments: Value,
        result: Result<Value, RecordedError>,
    ) -> std::io::Result<u64> {
        self.record(
            EventKind::ToolCall,
            name,
            json!({"name": name, "arguments": arguments}),
            result.map(|r| json!({"result": r})),
            0,
        )
    }

    /// A read of the wall clock.
    pub fn clock_read(&mut self, unix_nano: u64) -> std::io::Result<u64> {
        self.record(EventKind::ClockRead, "clock", Value::Null, Ok(json!({"unix_nano": unix_nano})), 0)
    }

    /// A random value the agent drew.
    pub fn random_read(&mut self, value: Value) -> std::io::Result<u64> {
        self.record(EventKind::RandomRead, "random", Value::Null, Ok(json!({"value": value})), 0)
    }

    /// A memory read: the key and what it held.
    pub fn memory_read(&mut self, key: &str, value: Value) -> std::io::Result<u64> {
        self.record(EventKind::MemoryRead, key, json!({"key": key}), Ok(json!({"value": value})), 0)
    }

    /// A memory write.
    pub fn memory_write(&mut self, key: &str, value: Value) -> std::io::Result<u64> {
        self.record(EventKind::MemoryWrite, key, json!({"key": key, "value": value}), Ok(json!({"ok": true})), 0)
    }

    /// A decision the agent took (a route, a handoff, a plan choice).
    pub fn decision(&mut self, name: &str, options: Value, chosen: Value) -> std::io::Result<u64> {
        self.record(EventKind::Decision, name, json!({"options": options}), Ok(json!({"chosen": chosen})), 0)
    }

    /// Flushes the file. The final answer, when given, is appended as a `decision` named
    /// `final_answer`, since the header was written first and is never rewritten.
    pub fn finish(mut self, output: Option<&str>) -> std::io::Result<()> {
        if let Some(output) = output {
            self.decision("final_answer", Value::Null, Value::String(output.to_owned()))?;
        }
        self.out.flush()
    }
}

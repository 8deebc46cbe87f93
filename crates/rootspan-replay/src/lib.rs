//! Deterministic replay of agent runs.
//!
//! - [`recording`]: the recording format, an immutable event log (JSON lines) of LLM calls, tool
//!   calls, retrievals, decisions, memory reads and writes, clock and random reads; documented in
//!   `docs/recording-format.md`.
//! - [`from_trace`]: any stored trace with captured content as a recording, naming every step
//!   whose content is missing.
//! - [`writer`]: [`TraceWriter`], for agents that record without OpenTelemetry.
//! - [`index`]: [`TraceIndex`], the events by kind with a cursor per kind.
//! - [`replayer`]: the engine that answers each call from the recording or fails loudly
//!   (exhausted, diverged beyond the [`compare::Tolerance`], not captured), never going live.
//! - [`server`]: the HTTP server an unchanged agent talks to (OpenAI, Anthropic, tools, MCP).
//! - [`step`]: one LLM step re-run in isolation against a real endpoint, old and new side by side.
//!
//! ```
//! use rootspan_replay::{Recording, Replayer, TraceWriter, compare::Tolerance};
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("r.jsonl");
//! let mut writer = TraceWriter::create(&path, None).unwrap();
//! writer.tool_call("search", serde_json::json!({"q": "policy"}), Ok(serde_json::json!([]))).unwrap();
//! writer.finish(None).unwrap();
//! let mut replayer = Replayer::new(Recording::load(&path).unwrap(), Tolerance::default());
//! let event = replayer.tool("search", &serde_json::json!({"q": "policy"})).unwrap();
//! assert_eq!(event.response.unwrap()["result"], serde_json::json!([]), "an empty result replays as empty");
//! let refused = replayer.tool("search", &serde_json::json!({"q": "again"})).unwrap_err();
//! assert!(refused.message.contains("exhausted"), "{}", refused.message);
//! ```

pub mod anthropic;
pub mod compare;
pub mod from_trace;
pub mod index;
pub mod mcp;
pub mod openai;
pub mod recording;
pub mod replayer;
pub mod server;
pub mod step;
pub mod writer;

pub use from_trace::recording_from_trace;
pub use index::TraceIndex;
pub use recording::{Event, EventKind, Header, MissingStep, RecordedError, Recording, RecordingError};
pub use replayer::{FailureKind, ReplayFailure, ReplaySummary, Replayer};
pub use writer::TraceWriter;

//! The canonical model of rootspan.
//!
//! A [`Span`] keeps every OTLP field (resource, scope, attributes of any [`AnyValue`] type, events,
//! links, status, flags, dropped counts) so that a store round trip is lossless, and carries a
//! derived [`GenAi`] view (span kind, model, tokens, cost, tool call, messages, agent, session,
//! error) computed by [`conventions::normalize`] from the raw attributes. The view is never the
//! source of truth: it is recomputed whenever a span is built or loaded.
//!
//! ```
//! use rootspan_model::{Span, AnyValue, KeyValue, SpanKind, conventions};
//! let mut span = Span::new([1; 16], [2; 8], "chat gpt-4o");
//! span.attributes.push(KeyValue::new("gen_ai.operation.name", AnyValue::from("chat")));
//! span.attributes.push(KeyValue::new("gen_ai.usage.input_tokens", AnyValue::Int(12)));
//! conventions::normalize(&mut span);
//! assert_eq!(span.gen_ai.kind, SpanKind::Llm);
//! assert_eq!(span.gen_ai.input_tokens, Some(12));
//! ```
//! No IO, no clock, no async.

pub mod conventions;
pub mod display;
pub mod genai;
pub mod ids;
pub mod keys;
pub mod pricing;
pub mod span;
pub mod tree;
pub mod value;

pub use genai::{Component, GenAi, Message, SpanKind, ToolCall};
pub use ids::{SpanId, TraceId, parse_span_id, parse_trace_id, span_id_hex, trace_id_hex};
pub use span::{Event, Link, LogRecord, Resource, Scope, Span, Status, StatusCode};
pub use tree::{SpanTree, TraceSummary};
pub use value::{AnyValue, KeyValue};

/// The project a trace belongs to when nothing names one.
pub const DEFAULT_PROJECT: &str = "default";

//! Test support for rootspan: one way to build spans and agent traces in tests, benches, examples
//! and fixture generators, and one way to find the shared evaluation data.
//!
//! - [`span`] and [`llm`] make single spans with byte-pattern ids (`[id; 8]`), for storage and
//!   model tests that need a few spans and nothing more.
//! - [`TraceBuilder`] makes realistic agent traces: agent spans, model calls with GenAI messages
//!   and token usage, tool calls with arguments and results, retrievals, errors and exceptions,
//!   with deterministic ids and a monotonically advancing clock. It writes the OTel GenAI keys
//!   that `rootspan_model::conventions` reads, and normalises every span.
//! - [`messages`] writes the JSON of `gen_ai.input.messages` / `gen_ai.output.messages`.
//! - [`shared_data`] and [`require_data`] locate the evaluation data beside the checkout: a test
//!   whose data is missing is skipped with a note locally, and fails when `CI` is `true`.
//!
//! ```
//! use rootspan_model::{SpanKind, StatusCode};
//! use rootspan_testkit::{TraceBuilder, messages};
//!
//! let mut trace = TraceBuilder::new([7; 16]).service("support-bot");
//! let root = trace.agent(None, "support");
//! let chat = trace.llm(
//!     root,
//!     "gpt-4o",
//!     &messages::user("Cancel order A1002"),
//!     &messages::tool_call("call_1", "cancel_order", r#"{"order_id":"A1002"}"#),
//!     Some((120, 18)),
//! );
//! let tool = trace.tool(root, "cancel_order", r#"{"order_id":"A1002"}"#, "HTTP 503 Service Unavailable");
//! trace.error(tool, "orders-api returned HTTP 503").error_type(tool, "ServiceUnavailable");
//! trace.llm(root, "gpt-4o", "", &messages::assistant("Done! Order A1002 is cancelled."), Some((160, 12)));
//!
//! let tree = trace.tree();
//! assert_eq!(tree.spans.len(), 4);
//! assert_eq!(tree.spans[0].name, "invoke_agent support");
//! assert_eq!(tree.spans[0].service_name(), "support-bot");
//! let chat = tree.index_of(&rootspan_testkit::span_id(chat)).unwrap();
//! assert_eq!(tree.spans[chat].gen_ai.kind, SpanKind::Llm);
//! assert_eq!(tree.spans[chat].gen_ai.input_tokens, Some(120));
//! let tool = tree.index_of(&rootspan_testkit::span_id(tool)).unwrap();
//! assert_eq!(tree.spans[tool].status.code, StatusCode::Error);
//! assert_eq!(tree.spans[tool].gen_ai.tool_name.as_deref(), Some("cancel_order"));
//! // Parents cover their children: the agent span ends when its last child ends.
//! assert_eq!(tree.spans[0].end_time_unix_nano, tree.spans[3].end_time_unix_nano);
//! ```

mod builder;
mod data;
pub mod messages;

pub use builder::{DEFAULT_START_UNIX_NANO, DEFAULT_STEP_NS, TraceBuilder, span_id, span_id_hex};
pub use data::{fixtures_dir, require_data, running_in_ci, shared_data, workspace_root};

use rootspan_model::{AnyValue, KeyValue, Span, conventions};

/// A bare span: trace id `[trace; 16]`, span id `[id; 8]`, parent `[p; 8]`, end = start + 1_000,
/// no attributes, not normalised.
pub fn span(trace: u8, id: u8, parent: Option<u8>, start: u64, name: &str) -> Span {
    let mut span = Span::new([trace; 16], [id; 8], name);
    span.parent_span_id = parent.map(|p| [p; 8]);
    span.start_time_unix_nano = start;
    span.end_time_unix_nano = start + 1_000;
    span
}

/// An LLM chat span named `chat gpt-4o` (`gen_ai.operation.name=chat`,
/// `gen_ai.request.model=gpt-4o`, the given input and output token counts, and a user message in
/// `gen_ai.input.messages` that mentions "zebracorn", for text search), normalised with
/// [`conventions::normalize`].
pub fn llm(trace: u8, id: u8, parent: u8, start: u64, input: i64, output: i64) -> Span {
    let mut span = span(trace, id, Some(parent), start, "chat gpt-4o");
    span.attributes = vec![
        KeyValue::new("gen_ai.operation.name", "chat".into()),
        KeyValue::new("gen_ai.request.model", "gpt-4o".into()),
        KeyValue::new("gen_ai.usage.input_tokens", AnyValue::Int(input)),
        KeyValue::new("gen_ai.usage.output_tokens", AnyValue::Int(output)),
        KeyValue::new("gen_ai.input.messages", messages::user("where is my zebracorn order").into()),
    ];
    conventions::normalize(&mut span);
    span
}

#[cfg(test)]
mod tests {
    use super::*;
    use rootspan_model::SpanKind;

    #[test]
    fn bare_span_has_byte_pattern_ids_and_a_microsecond() {
        let span = span(3, 4, Some(1), 50, "root");
        assert_eq!(span.trace_id, [3; 16]);
        assert_eq!(span.span_id, [4; 8]);
        assert_eq!(span.parent_span_id, Some([1; 8]));
        assert_eq!((span.start_time_unix_nano, span.end_time_unix_nano), (50, 1_050));
        assert_eq!(span.gen_ai.kind, SpanKind::Other);
    }

    #[test]
    fn llm_span_is_normalised() {
        let span = llm(1, 2, 1, 10, 100, 20);
        assert_eq!(span.gen_ai.kind, SpanKind::Llm);
        assert_eq!(span.gen_ai.model.as_deref(), Some("gpt-4o"));
        assert_eq!((span.gen_ai.input_tokens, span.gen_ai.output_tokens), (Some(100), Some(20)));
        assert!(span.gen_ai.input_messages[0].content.contains("zebracorn"));
        assert_eq!(
            span.attr_str("gen_ai.input.messages"),
            Some(r#"[{"role":"user","parts":[{"type":"text","content":"where is my zebracorn order"}]}]"#)
        );
    }
}

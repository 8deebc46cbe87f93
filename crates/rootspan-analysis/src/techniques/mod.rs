//! The seed's analysis techniques, one file each, as pure functions: stepwise decomposition of the
//! reasoning chain, the tool-call dependency graph with failure propagation, temporal profiling
//! (critical path, slowest segments, waterfall), context drift, state-transition validation,
//! confidence calibration (Brier, ECE), retrieval relevance audit and rollback-point ranking.

pub mod agent_graph;
pub mod confidence;
pub mod context_drift;
pub mod dependency_graph;
pub mod governance;
pub mod profile;
pub mod reasoning;
pub mod retrieval_audit;
pub mod rollback;
pub mod state_validation;
pub mod token_usage;

#[cfg(test)]
pub(crate) mod fixture {
    //! A tiny agent trace for the technique tests, made with `rootspan_testkit`.
    use rootspan_model::{AnyValue, KeyValue, Span, SpanTree, conventions};
    use rootspan_testkit::{TraceBuilder, messages};

    /// One normalised span of trace `[9; 16]` with span id `[id; 8]` and string attributes.
    pub fn span(id: u8, parent: Option<u8>, start: u64, end: u64, name: &str, attributes: &[(&str, &str)]) -> Span {
        let mut span = rootspan_testkit::span(9, id, parent, start, name);
        span.end_time_unix_nano = end;
        span.attributes = attributes.iter().map(|(k, v)| KeyValue::new(*k, AnyValue::from(*v))).collect();
        conventions::normalize(&mut span);
        span
    }

    /// root agent -> chat (calls get_order) -> get_order -> chat (calls refund with the order's
    /// payment id) -> refund (fails) -> chat (answer). Span ids are `[1; 8]` to `[6; 8]`.
    pub fn tree() -> SpanTree {
        let request = messages::user("Refund order A1002 please");
        let mut trace = TraceBuilder::new([9; 16]).byte_ids();
        let root = trace.agent(None, "support");
        trace.times(root, 0, 100);
        let chat = trace.llm(
            root,
            "gpt-4o",
            &request,
            &messages::tool_call("c1", "get_order", r#"{"order_id":"A1002"}"#),
            None,
        );
        trace.times(chat, 1, 10);
        let get_order = trace.tool(
            root,
            "get_order",
            r#"{"order_id":"A1002"}"#,
            r#"{"order_id":"A1002","payment_id":"P-7781","total":89.99}"#,
        );
        trace.times(get_order, 11, 40);
        let chat = trace.llm(
            root,
            "gpt-4o",
            &request,
            &messages::tool_call("c2", "refund", r#"{"payment_id":"P-7781","amount":89.99}"#),
            None,
        );
        trace.times(chat, 41, 50);
        let refund =
            trace.tool(root, "refund", r#"{"payment_id":"P-7781","amount":89.99}"#, "payments-api returned HTTP 503");
        trace.times(refund, 51, 90).error(refund, "");
        let answer = trace.llm(root, "gpt-4o", &request, &messages::assistant("Your refund of $89.99 is done."), None);
        trace.times(answer, 91, 99);
        trace.tree()
    }
}

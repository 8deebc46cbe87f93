//! The seed's analysis techniques, one file each, as pure functions: stepwise decomposition of the
//! reasoning chain, the tool-call dependency graph with failure propagation, temporal profiling
//! (critical path, slowest segments, waterfall), context drift, state-transition validation,
//! confidence calibration (Brier, ECE), retrieval relevance audit and rollback-point ranking.

pub mod confidence;
pub mod context_drift;
pub mod dependency_graph;
pub mod profile;
pub mod reasoning;
pub mod retrieval_audit;
pub mod rollback;
pub mod state_validation;

#[cfg(test)]
pub(crate) mod fixture {
    //! A tiny agent trace for the technique tests.
    use rootspan_model::{AnyValue, KeyValue, Span, SpanTree, StatusCode, conventions};

    pub fn span(id: u8, parent: Option<u8>, start: u64, end: u64, name: &str, attributes: &[(&str, &str)]) -> Span {
        let mut span = Span::new([9; 16], [id; 8], name);
        span.parent_span_id = parent.map(|p| [p; 8]);
        span.start_time_unix_nano = start;
        span.end_time_unix_nano = end;
        span.attributes = attributes.iter().map(|(k, v)| KeyValue::new(*k, AnyValue::from(*v))).collect();
        conventions::normalize(&mut span);
        span
    }

    /// root agent -> chat (calls get_order) -> get_order (fails) -> chat (calls refund with the
    /// order's id) -> refund -> chat (answer).
    pub fn tree() -> SpanTree {
        let chat = |id, start, end, output: &str| {
            span(
                id,
                Some(1),
                start,
                end,
                "chat gpt-4o",
                &[
                    ("gen_ai.operation.name", "chat"),
                    ("gen_ai.request.model", "gpt-4o"),
                    (
                        "gen_ai.input.messages",
                        r#"[{"role":"user","parts":[{"type":"text","content":"Refund order A1002 please"}]}]"#,
                    ),
                    ("gen_ai.output.messages", output),
                ],
            )
        };
        let tool = |id, start, end, name: &str, arguments: &str, result: &str| {
            span(
                id,
                Some(1),
                start,
                end,
                &format!("execute_tool {name}"),
                &[
                    ("gen_ai.operation.name", "execute_tool"),
                    ("gen_ai.tool.name", name),
                    ("gen_ai.tool.call.arguments", arguments),
                    ("gen_ai.tool.call.result", result),
                ],
            )
        };
        let mut spans = vec![
            span(1, None, 0, 100, "invoke_agent support", &[("gen_ai.operation.name", "invoke_agent")]),
            chat(
                2,
                1,
                10,
                r#"[{"role":"assistant","parts":[{"type":"tool_call","id":"c1","name":"get_order","arguments":{"order_id":"A1002"}}]}]"#,
            ),
            tool(
                3,
                11,
                40,
                "get_order",
                r#"{"order_id":"A1002"}"#,
                r#"{"order_id":"A1002","payment_id":"P-7781","total":89.99}"#,
            ),
            chat(
                4,
                41,
                50,
                r#"[{"role":"assistant","parts":[{"type":"tool_call","id":"c2","name":"refund","arguments":{"payment_id":"P-7781","amount":89.99}}]}]"#,
            ),
            tool(5, 51, 90, "refund", r#"{"payment_id":"P-7781","amount":89.99}"#, "payments-api returned HTTP 503"),
            chat(
                6,
                91,
                99,
                r#"[{"role":"assistant","parts":[{"type":"text","content":"Your refund of $89.99 is done."}]}]"#,
            ),
        ];
        spans[4].status.code = StatusCode::Error;
        conventions::normalize(&mut spans[4]);
        SpanTree::build(spans)
    }
}

//! Fixtures of the agent-behaviour detectors: loops, context, handoffs, ignored errors, empty
//! results, wrong arguments, drift and wrong answers.

use crate::{Fixture, trace};
use rootspan_testkit::{TraceBuilder, messages};

const MODEL: &str = "gpt-4o";

/// A model call that emits one tool call, then the tool span that runs it: (model call, tool).
fn call(trace: &mut TraceBuilder, parent: u64, request: &str, call: (&str, &str, &str), result: &str) -> (u64, u64) {
    let (call_id, tool, arguments) = call;
    let chat = trace.llm(parent, MODEL, request, &messages::tool_call(call_id, tool, arguments), Some((320, 24)));
    let run = trace.tool(parent, tool, arguments, result);
    trace.call_id(run, call_id);
    (chat, run)
}

/// The final model call: a text answer.
fn answer(trace: &mut TraceBuilder, parent: u64, request: &str, text: &str) -> u64 {
    trace.llm(parent, MODEL, request, &messages::assistant(text), Some((410, 40)))
}

pub fn fixtures() -> Vec<Fixture> {
    vec![
        retry_loop(),
        context_overflow(),
        cascading_multi_agent(),
        tool_error_ignored(),
        empty_tool_result_used(),
        wrong_tool_args(),
        goal_drift(),
        silent_wrong_answer(),
    ]
}

fn retry_loop() -> Fixture {
    let id = "retry-loop";
    let request = messages::user("Find me a flight from SFO to JFK on 2025-02-28.");
    let arguments = r#"{"origin":"SFO","destination":"JFK","date":"2025-02-28"}"#;
    let timeout = "flights-api timeout after 30s";
    // Fires: the same search three times, timing out every time, until the run gives up.
    let mut fires = trace(id, "fires", "travel-agent");
    let root = fires.agent(None, "travel_planner");
    for attempt in 1..=3 {
        let (_, search) =
            call(&mut fires, root, &request, (&format!("call_{attempt}"), "search_flights", arguments), "");
        fires.error(search, timeout).error_type(search, "TimeoutError");
    }
    answer(&mut fires, root, &request, "Sorry, the flight search kept timing out, so I could not find a flight.");
    fires.error(root, "max retries exceeded for search_flights");
    // Quiet: one timeout, one retry with the same arguments, and the retry succeeds.
    let mut quiet = trace(id, "quiet", "travel-agent");
    let root = quiet.agent(None, "travel_planner");
    let (_, search) = call(&mut quiet, root, &request, ("call_1", "search_flights", arguments), "");
    quiet.error(search, timeout).error_type(search, "TimeoutError");
    call(
        &mut quiet,
        root,
        &request,
        ("call_2", "search_flights", arguments),
        r#"{"flights":[{"flight":"UA 1532","departs":"2025-02-28T07:05","price_usd":389}]}"#,
    );
    answer(&mut quiet, root, &request, "United UA 1532 leaves SFO for JFK at 07:05 on 2025-02-28 for $389.");
    Fixture { detector: id, fires: fires.build(), quiet: quiet.build() }
}

fn context_overflow() -> Fixture {
    let id = "context-overflow";
    let request = messages::user("Summarise yesterday's checkout incident from the application logs.");
    let logs = "2025-01-01T02:14:03Z ERROR checkout payment gateway latency 9.8s ... (2.1 MB of log lines)";
    let build = |variant: &str, input: i64, output: i64, finish: &str, text: &str| {
        let mut trace = trace(id, variant, "ops-assistant");
        let root = trace.agent(None, "incident_summariser");
        let chat = trace.llm(
            root,
            MODEL,
            &request,
            &messages::tool_call("call_1", "fetch_logs", r#"{"service":"checkout","day":"yesterday"}"#),
            Some((2_100, 30)),
        );
        trace.finish_reasons(chat, &["tool_calls"]);
        trace.tool(root, "fetch_logs", r#"{"service":"checkout","day":"yesterday"}"#, logs);
        let summary = trace.llm(root, MODEL, &request, &messages::assistant(text), Some((input, output)));
        trace.finish_reasons(summary, &[finish]);
        trace.build()
    };
    Fixture {
        detector: id,
        // Fires: the logs fill 124,500 + 3,500 of gpt-4o's 128,000 tokens and the summary is cut off.
        fires: build(
            "fires",
            124_500,
            3_500,
            "length",
            "Summary of the checkout incident: the first errors appear at 02:14 when the payment gateway",
        ),
        // Quiet: a large context (92% of the window) but the summary completes normally.
        quiet: build(
            "quiet",
            116_000,
            1_800,
            "stop",
            "Summary of the checkout incident: payment gateway latency rose from 02:14 and recovered by 02:40.",
        ),
    }
}

fn cascading_multi_agent() -> Fixture {
    let id = "cascading-multi-agent";
    let request = messages::user("Customer C-3227 asks how much they owe on their open invoices.");
    let build = |variant: &str, handed_over: &str| {
        let mut trace = trace(id, variant, "support-desk");
        let root = trace.agent(None, "support_desk");
        let triage = trace.agent(root, "triage_agent");
        let handoff = format!(r#"{{"customer_id":"{handed_over}","topic":"open invoices"}}"#);
        call(&mut trace, triage, &request, ("call_1", "transfer_to_billing", &handoff), "transferred to billing_agent");
        let billing = trace.agent(root, "billing_agent");
        let lookup = format!(r#"{{"customer_id":"{handed_over}","status":"open"}}"#);
        let invoices = format!(r#"{{"customer_id":"{handed_over}","invoices":[{{"id":"INV-88","amount":120.0}}]}}"#);
        call(&mut trace, billing, &request, ("call_2", "get_invoices", &lookup), &invoices);
        answer(
            &mut trace,
            billing,
            &request,
            &format!("Customer {handed_over} has one open invoice, INV-88, for $120.00."),
        );
        trace.build()
    };
    Fixture {
        detector: id,
        // Fires: triage hands over C-3272 (digits swapped); billing looks up the wrong customer.
        fires: build("fires", "C-3272"),
        // Quiet: the same handoff with the id the customer gave.
        quiet: build("quiet", "C-3227"),
    }
}

fn tool_error_ignored() -> Fixture {
    let id = "tool-error-ignored";
    let request = messages::user("Please cancel order A1002.");
    let build = |variant: &str, text: &str| {
        let mut trace = trace(id, variant, "support-bot");
        let root = trace.agent(None, "support_agent");
        let (_, cancel) = call(
            &mut trace,
            root,
            &request,
            ("call_1", "cancel_order", r#"{"order_id":"A1002"}"#),
            "orders-api returned HTTP 503 Service Unavailable",
        );
        trace.error(cancel, "orders-api returned HTTP 503 Service Unavailable");
        answer(&mut trace, root, &request, text);
        trace.build()
    };
    Fixture {
        detector: id,
        // Fires: the cancellation failed and the answer says it is done.
        fires: build("fires", "Done! Order A1002 has been cancelled."),
        // Quiet: the same failure, reported honestly.
        quiet: build(
            "quiet",
            "Sorry, I could not cancel order A1002: the orders service is down. Please try again later.",
        ),
    }
}

fn empty_tool_result_used() -> Fixture {
    let id = "empty-tool-result-used";
    let request = messages::user("What is your refund policy for opened electronics?");
    let build = |variant: &str, text: &str| {
        let mut trace = trace(id, variant, "help-center");
        let root = trace.agent(None, "policy_agent");
        call(
            &mut trace,
            root,
            &request,
            ("call_1", "search_kb", r#"{"query":"refund policy opened electronics"}"#),
            r#"{"query":"refund policy opened electronics","results":[],"total":0}"#,
        );
        answer(&mut trace, root, &request, text);
        trace.build()
    };
    Fixture {
        detector: id,
        // Fires: the search found nothing and the answer cites a policy anyway.
        fires: build("fires", "Opened electronics can be returned within 30 days for a full refund."),
        // Quiet: the same empty search, and the answer says nothing was found.
        quiet: build(
            "quiet",
            "I could not find a refund policy for opened electronics in the help center; a human agent will follow up.",
        ),
    }
}

fn wrong_tool_args() -> Fixture {
    let id = "wrong-tool-args";
    let request = messages::user("Book a table for 4 at Luigi's on March 5th 2025 at 7:30pm.");
    let build = |variant: &str, arguments: &str, text: &str| {
        let mut trace = trace(id, variant, "concierge");
        let root = trace.agent(None, "concierge_agent");
        call(
            &mut trace,
            root,
            &request,
            ("call_1", "book_table", arguments),
            r#"{"confirmation":"LUI-5521","status":"booked"}"#,
        );
        answer(&mut trace, root, &request, text);
        trace.build()
    };
    Fixture {
        detector: id,
        // Fires: party size 2 and the day and month swapped.
        fires: build(
            "fires",
            r#"{"restaurant":"Luigi's","party_size":2,"date":"2025-05-03","time":"19:30"}"#,
            "Your table at Luigi's is booked, confirmation LUI-5521.",
        ),
        // Quiet: the arguments the user gave.
        quiet: build(
            "quiet",
            r#"{"restaurant":"Luigi's","party_size":4,"date":"2025-03-05","time":"19:30"}"#,
            "Your table for 4 at Luigi's on March 5th 2025 at 7:30pm is booked, confirmation LUI-5521.",
        ),
    }
}

fn goal_drift() -> Fixture {
    let id = "goal-drift";
    let request = messages::user("Which phone has the longer battery life, the Pixel 9 or the iPhone 16?");
    let build = |variant: &str, queries: &[&str], text: &str| {
        let mut trace = trace(id, variant, "research-agent");
        let root = trace.agent(None, "researcher");
        for (index, query) in queries.iter().enumerate() {
            let arguments = serde_json::json!({ "query": query }).to_string();
            let result = format!("Top result for \"{query}\": a review page");
            call(&mut trace, root, &request, (&format!("call_{}", index + 1), "web_search", &arguments), &result);
        }
        answer(&mut trace, root, &request, text);
        trace.build()
    };
    Fixture {
        detector: id,
        // Fires: battery, then cameras, and the answer is about cameras.
        fires: build(
            "fires",
            &["Pixel 9 battery life", "iPhone 16 camera review", "best camera phone 2025"],
            "The iPhone 16 has the best camera of 2025 according to reviewers.",
        ),
        // Quiet: one detour to cameras, then back to battery life, and the answer is on topic.
        quiet: build(
            "quiet",
            &["Pixel 9 battery life", "iPhone 16 camera review", "iPhone 16 battery life"],
            "The Pixel 9 has the longer battery life: about 30 hours of video playback against 27 hours for the iPhone 16.",
        ),
    }
}

fn silent_wrong_answer() -> Fixture {
    let id = "silent-wrong-answer";
    let request = messages::user("What is the total of my three open invoices?");
    let invoices = r#"{"invoices":[{"id":"INV-1","amount":1200.50},{"id":"INV-2","amount":980.25},{"id":"INV-3","amount":1500.00}]}"#;
    let build = |variant: &str, text: &str| {
        let mut trace = trace(id, variant, "billing-assistant");
        let root = trace.agent(None, "billing_agent");
        call(&mut trace, root, &request, ("call_1", "list_invoices", r#"{"status":"open"}"#), invoices);
        answer(&mut trace, root, &request, text);
        trace.build()
    };
    Fixture {
        detector: id,
        // Fires: 1200.50 + 980.25 + 1500.00 is 3680.75, not 3580.75.
        fires: build("fires", "Your three open invoices total $3,580.75."),
        // Quiet: the right total.
        quiet: build("quiet", "Your three open invoices total $3,680.75."),
    }
}

//! Fixtures of the system-execution detectors (rate limits, authentication, timeouts, missing
//! resources, service errors, format errors) and of `resource-abuse`.

use crate::{Fixture, trace};
use rootspan_testkit::{TraceBuilder, messages};

const MODEL: &str = "gpt-4o-mini";

/// A model call that emits one tool call, then the tool span that runs it: the tool span.
fn call(trace: &mut TraceBuilder, parent: u64, request: &str, call: (&str, &str, &str), result: &str) -> u64 {
    let (call_id, tool, arguments) = call;
    trace.llm(parent, MODEL, request, &messages::tool_call(call_id, tool, arguments), Some((250, 20)));
    let run = trace.tool(parent, tool, arguments, result);
    trace.call_id(run, call_id);
    run
}

/// The final model call: a text answer.
fn answer(trace: &mut TraceBuilder, parent: u64, request: &str, text: &str) -> u64 {
    trace.llm(parent, MODEL, request, &messages::assistant(text), Some((330, 35)))
}

pub fn fixtures() -> Vec<Fixture> {
    vec![
        rate_limited(),
        auth_error(),
        timeout(),
        resource_not_found(),
        service_error(),
        format_error(),
        resource_abuse(),
    ]
}

/// One agent run: a single tool call (`failure`: its error message, if it fails) and an answer.
fn single_call(
    detector: &str,
    variant: &str,
    request: &str,
    tool: (&str, &str, &str),
    failure: Option<&str>,
    text: &str,
) -> Vec<rootspan_model::Span> {
    let mut trace = trace(detector, variant, "ops-agent");
    let request = messages::user(request);
    let root = trace.agent(None, "ops_agent");
    let (name, arguments, result) = tool;
    let run = call(&mut trace, root, &request, ("call_1", name, arguments), result);
    if let Some(message) = failure {
        trace.error(run, message);
    }
    answer(&mut trace, root, &request, text);
    trace.build()
}

fn rate_limited() -> Fixture {
    let id = "rate-limited";
    let request = "Search the news for the latest on the Artemis III launch.";
    let arguments = r#"{"query":"Artemis III launch"}"#;
    Fixture {
        detector: id,
        // Fires: the search API answers 429.
        fires: single_call(
            id,
            "fires",
            request,
            ("news_search", arguments, r#"{"error":"rate limit exceeded","retry_after_s":60}"#),
            Some("news-api returned HTTP 429 Too Many Requests"),
            "The news search is rate limited right now; please try again in a minute.",
        ),
        // Quiet: the call succeeds, and its result mentions the rate limit budget in passing.
        quiet: single_call(
            id,
            "quiet",
            request,
            (
                "news_search",
                arguments,
                "Artemis III is scheduled for September 2026. (rate limit: 100 requests per minute, 12 used)",
            ),
            None,
            "Artemis III is scheduled to launch in September 2026.",
        ),
    }
}

fn auth_error() -> Fixture {
    let id = "auth-error";
    let request = messages::user("Draft a polite reply to the customer who asked about late delivery.");
    // Fires: the model provider rejects the API key; the run fails on its first model call.
    let mut fires = trace(id, "fires", "mail-assistant");
    let root = fires.agent(None, "mail_agent");
    let chat = fires.llm(root, MODEL, &request, "", None);
    fires.error(chat, "Error code: 401 - Incorrect API key provided").exception(
        chat,
        "openai.AuthenticationError",
        "Error code: 401 - Incorrect API key provided",
    );
    fires.error(root, "agent run failed: AuthenticationError");
    // Quiet: a credentials lookup that succeeds; authentication words in a successful result.
    let quiet = single_call(
        id,
        "quiet",
        "Is the mail API token still valid?",
        ("check_credentials", r#"{"service":"mail-api"}"#, r#"{"authenticated":true,"token_expires_in_s":3600}"#),
        None,
        "Yes, the mail API token is valid for another hour.",
    );
    Fixture { detector: id, fires: fires.build(), quiet }
}

fn timeout() -> Fixture {
    let id = "timeout";
    let request = messages::user("Is there a train from Lyon to Paris before 9am tomorrow?");
    let arguments = r#"{"from":"Lyon","to":"Paris","before":"09:00"}"#;
    // Fires: the timetable service times out after 30 s.
    let mut fires = trace(id, "fires", "rail-agent");
    let root = fires.agent(None, "rail_agent");
    let run = call(&mut fires, root, &request, ("call_1", "search_trains", arguments), "");
    fires.duration(run, 30_000_000_000).error(run, "timetable-api timed out after 30s").error_type(run, "TimeoutError");
    fires.wait(30_000_000_000);
    answer(&mut fires, root, &request, "Sorry, the timetable service did not answer in time, so I could not check.");
    // Quiet: the same call is slow (25 s) but answers.
    let mut quiet = trace(id, "quiet", "rail-agent");
    let root = quiet.agent(None, "rail_agent");
    let run = call(
        &mut quiet,
        root,
        &request,
        ("call_1", "search_trains", arguments),
        r#"{"trains":[{"departs":"07:04","arrives":"09:00"}]}"#,
    );
    quiet.duration(run, 25_000_000_000);
    quiet.wait(25_000_000_000);
    answer(&mut quiet, root, &request, "Yes: a train leaves Lyon at 07:04 and reaches Paris at 09:00.");
    Fixture { detector: id, fires: fires.build(), quiet: quiet.build() }
}

fn resource_not_found() -> Fixture {
    let id = "resource-not-found";
    let request = "Load reports/q3.csv and tell me the largest expense.";
    let arguments = r#"{"path":"reports/q3.csv"}"#;
    Fixture {
        detector: id,
        // Fires: the file does not exist.
        fires: single_call(
            id,
            "fires",
            request,
            ("read_file", arguments, ""),
            Some("FileNotFoundError: [Errno 2] No such file or directory: 'reports/q3.csv'"),
            "I could not open reports/q3.csv: the file is missing.",
        ),
        // Quiet: the lookup succeeds and says, as data, that there is no such record; the answer
        // reports it.
        quiet: single_call(
            id,
            "quiet",
            "What is the status of order A9999?",
            ("lookup_order", r#"{"order_id":"A9999"}"#, "Order A9999 not found"),
            None,
            "I could not find an order A9999; could you check the number?",
        ),
    }
}

fn service_error() -> Fixture {
    let id = "service-error";
    let request = "Charge the customer's card 25 EUR for the late fee.";
    let arguments = r#"{"customer_id":"cus_812","amount":25,"currency":"EUR"}"#;
    Fixture {
        detector: id,
        // Fires: the payments service is down.
        fires: single_call(
            id,
            "fires",
            request,
            ("charge_card", arguments, ""),
            Some("payments-api returned HTTP 503 Service Unavailable"),
            "I could not charge the card: the payments service is unavailable. I will retry later.",
        ),
        // Quiet: a client error (HTTP 400, a rejected request), not a service failure.
        quiet: single_call(
            id,
            "quiet",
            request,
            ("charge_card", arguments, ""),
            Some("payments-api returned HTTP 400 Bad Request: card declined by issuer"),
            "I could not charge the card: the issuer declined it. Please ask the customer for another card.",
        ),
    }
}

fn format_error() -> Fixture {
    let id = "format-error";
    let request = "Import the supplier price list from the feed.";
    Fixture {
        detector: id,
        // Fires: the feed is not valid JSON.
        fires: single_call(
            id,
            "fires",
            request,
            ("import_price_list", r#"{"feed":"https://supplier.example/prices.json"}"#, ""),
            Some("JSONDecodeError: Expecting value: line 1 column 1 (char 0)"),
            "I could not import the price list: the supplier feed is not valid JSON.",
        ),
        // Quiet: the error mentions JSON but is a timeout (classified as such, not as a format error).
        quiet: single_call(
            id,
            "quiet",
            request,
            ("import_price_list", r#"{"feed":"https://supplier.example/prices.json"}"#, ""),
            Some("timed out after 10s while downloading the JSON feed"),
            "I could not import the price list: the supplier feed did not answer in time.",
        ),
    }
}

fn resource_abuse() -> Fixture {
    let id = "resource-abuse";
    let request = messages::user("What's the weather in Paris right now?");
    let build = |variant: &str, lookups: &[&str], text: &str| {
        let mut trace = trace(id, variant, "weather-bot");
        let root = trace.agent(None, "weather_agent");
        for (index, arguments) in lookups.iter().enumerate() {
            let result = format!("Paris: 14°C, light rain (observed 10:0{index})");
            call(&mut trace, root, &request, (&format!("call_{}", index + 1), "get_weather", arguments), &result);
        }
        answer(&mut trace, root, &request, text);
        trace.build()
    };
    let paris = r#"{"city":"Paris"}"#;
    Fixture {
        detector: id,
        // Fires: the same lookup three times, each answering (no failure, only waste).
        fires: build("fires", &[paris, paris, paris], "It is 14°C with light rain in Paris."),
        // Quiet: two identical lookups (below the threshold of three), then one in other units.
        quiet: build(
            "quiet",
            &[paris, paris, r#"{"city":"Paris","units":"imperial"}"#],
            "It is 14°C (57°F) with light rain in Paris.",
        ),
    }
}

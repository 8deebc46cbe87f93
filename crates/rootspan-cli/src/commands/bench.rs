//! `rootspan bench`: the ingest benchmark. Starts `rootspan serve` as a child process on a fresh
//! store, sends generated agent-shaped spans (~1 KB of prompt/attribute text each) over OTLP/HTTP
//! protobuf, and reports: spans/s until every span is durable and queryable, time-to-queryable
//! after the last acknowledgement, p50/p99 latency of fetching one trace through the REST API,
//! bytes on disk per span, and the server's peak RSS. `--mcp FILE` measures MCP `tools/call`
//! latency instead ([`super::bench_mcp`]).

use crate::output::print_json;
use anyhow::{Context, bail};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use prost::Message;
use serde::Serialize;
use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Spans to send (without --duration-secs).
    #[arg(long, default_value_t = 200_000)]
    pub spans: usize,
    /// The shape of the spans: sdk (~1 KB spans of a web service, 512 per request, 10 per
    /// trace) or agent (~4.4 KB agent spans, 500 per request, 20 per trace, repeating a long
    /// system prompt, tool schemas and a growing message history). Without it: the original
    /// benchmark (~1 KB agent spans, 5,000 per request, 20 per trace).
    #[arg(long, value_enum)]
    pub preset: Option<Preset>,
    /// Spans per trace [default: 20, or the preset's].
    #[arg(long)]
    pub spans_per_trace: Option<usize>,
    /// Spans per export request [default: 5000, or the preset's].
    #[arg(long)]
    pub batch: Option<usize>,
    /// Concurrent export requests (without --duration-secs).
    #[arg(long, default_value_t = 2)]
    pub concurrency: usize,
    /// Load mode: this many clients send flat out (each honouring Retry-After when shed) for
    /// --duration-secs, while a trace is fetched over and over.
    #[arg(long, default_value_t = 4)]
    pub clients: usize,
    /// Load mode: how long the clients send.
    #[arg(long)]
    pub duration_secs: Option<u64>,
    /// --max-inflight-mib of the server under test [default: the server's].
    #[arg(long)]
    pub max_inflight_mib: Option<u64>,
    /// --max-body-mib of the server under test [default: the server's].
    #[arg(long)]
    pub max_body_mib: Option<u64>,
    /// --durability of the server under test (normal or full).
    #[arg(long, default_value = "normal", value_parser = ["normal", "full"])]
    pub durability: String,
    /// Trace fetches for the latency figures (without --duration-secs).
    #[arg(long, default_value_t = 2_000)]
    pub fetches: usize,
    /// HTTP port of the server under test.
    #[arg(long, default_value_t = 14318)]
    pub port: u16,
    /// Directory for the store (default: a fresh temporary directory, removed afterwards).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// MCP mode: store this OTLP trace file (.pb or .json) and measure `tools/call` latency of
    /// search_traces, get_trace and diagnose_trace on its largest trace over POST /mcp.
    #[arg(long, value_name = "FILE")]
    pub mcp: Option<PathBuf>,
    /// MCP mode: measured calls per tool.
    #[arg(long, default_value_t = 200)]
    pub calls: usize,
    /// Run the server under test without redaction (`serve --no-redact-builtin all`), to
    /// measure what redaction costs.
    #[arg(long)]
    pub no_redact: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// The shapes of generated spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    Sdk,
    Agent,
}

impl Args {
    fn spans_per_trace(&self) -> usize {
        self.spans_per_trace.unwrap_or(match self.preset {
            Some(Preset::Sdk) => 10,
            Some(Preset::Agent) | None => 20,
        })
    }

    fn batch(&self) -> usize {
        self.batch.unwrap_or(match self.preset {
            Some(Preset::Sdk) => 512,
            Some(Preset::Agent) => 500,
            None => 5_000,
        })
    }
}

/// The figures.
#[derive(Debug, Serialize)]
pub struct BenchReport {
    pub preset: Option<Preset>,
    pub spans: usize,
    pub traces: usize,
    pub request_bytes: usize,
    pub send_seconds: f64,
    pub queryable_seconds: f64,
    pub spans_per_second: f64,
    pub time_to_queryable_after_last_ack_ms: f64,
    pub fetch_p50_ms: f64,
    pub fetch_p99_ms: f64,
    pub disk_bytes: u64,
    pub disk_bytes_per_span: f64,
    pub server_peak_rss_mib: f64,
    /// Requests answered 429 (and sent again after Retry-After).
    pub shed_requests: usize,
    pub request_bytes_per_span: f64,
}

const WORDS: &[&str] = &[
    "order",
    "refund",
    "shipping",
    "invoice",
    "customer",
    "account",
    "balance",
    "transfer",
    "warehouse",
    "carrier",
    "tracking",
    "delivery",
    "address",
    "payment",
    "card",
    "subscription",
    "cancel",
    "status",
    "policy",
    "return",
    "the",
    "a",
    "is",
    "was",
    "will",
    "be",
    "to",
    "from",
    "with",
    "for",
    "and",
    "or",
    "not",
    "please",
    "check",
    "my",
    "your",
    "their",
    "when",
    "where",
    "why",
    "how",
    "which",
    "latest",
    "previous",
    "search",
    "results",
    "document",
    "summary",
    "question",
    "answer",
    "report",
    "ticket",
    "priority",
    "escalate",
    "agent",
    "tool",
    "database",
    "query",
    "timeout",
    "retry",
    "error",
    "success",
    "pending",
    "approved",
    "rejected",
    "amount",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn words(&mut self, bytes: usize) -> String {
        let mut text = String::with_capacity(bytes + 16);
        while text.len() < bytes {
            text.push_str(WORDS[(self.next() % WORDS.len() as u64) as usize]);
            if self.next().is_multiple_of(11) {
                text.push_str(&format!(" {}", self.next() % 100_000));
            }
            text.push(' ');
        }
        text
    }
}

fn kv(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue { key: key.into(), value: Some(AnyValue { value: Some(value) }), ..Default::default() }
}

fn text(key: &str, value: String) -> KeyValue {
    kv(key, any_value::Value::StringValue(value))
}

const SYSTEM_PROMPT: &str = "You are the customer-support agent of an online shop. Use the tools to look up orders, \
refunds and shipping; never invent order data. Answer briefly and cite the order id.";

fn make_requests(args: &Args) -> Vec<Vec<u8>> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let base_ns: u64 = 1_760_000_000_000_000_000;
    let mut requests = Vec::new();
    let (batch, spans_per_trace) = (args.batch(), args.spans_per_trace());
    let mut spans = Vec::with_capacity(batch);
    let traces = args.spans.div_ceil(spans_per_trace);
    let mut sent = 0usize;
    for trace in 0..traces {
        let mut trace_id = [0u8; 16];
        trace_id[..8].copy_from_slice(&rng.next().to_be_bytes());
        trace_id[8..].copy_from_slice(&(trace as u64).to_be_bytes());
        let root_id = rng.next().to_be_bytes();
        let start = base_ns + trace as u64 * 1_000_000;
        for index in 0..spans_per_trace.min(args.spans - sent) {
            let span_id = if index == 0 { root_id } else { rng.next().to_be_bytes() };
            let (name, attributes) = match index {
                0 => (
                    "invoke_agent support_agent".to_owned(),
                    vec![
                        text("gen_ai.operation.name", "invoke_agent".into()),
                        text("gen_ai.agent.name", "support_agent".into()),
                        text("gen_ai.conversation.id", format!("session-{}", trace % 1000)),
                        text("final_result", rng.words(600)),
                    ],
                ),
                i if i % 2 == 1 => (
                    "chat gpt-4o".to_owned(),
                    vec![
                        text("gen_ai.operation.name", "chat".into()),
                        text("gen_ai.provider.name", "openai".into()),
                        text("gen_ai.request.model", "gpt-4o".into()),
                        text(
                            "gen_ai.system_instructions",
                            format!("[{{\"type\":\"text\",\"content\":\"{SYSTEM_PROMPT}\"}}]"),
                        ),
                        text(
                            "gen_ai.input.messages",
                            format!(
                                "[{{\"role\":\"user\",\"parts\":[{{\"type\":\"text\",\"content\":\"{}\"}}]}}]",
                                rng.words(350)
                            ),
                        ),
                        text(
                            "gen_ai.output.messages",
                            format!(
                                "[{{\"role\":\"assistant\",\"parts\":[{{\"type\":\"text\",\"content\":\"{}\"}}]}}]",
                                rng.words(250)
                            ),
                        ),
                        kv("gen_ai.usage.input_tokens", any_value::Value::IntValue((rng.next() % 2000) as i64)),
                        kv("gen_ai.usage.output_tokens", any_value::Value::IntValue((rng.next() % 300) as i64)),
                    ],
                ),
                _ => (
                    "execute_tool get_order".to_owned(),
                    vec![
                        text("gen_ai.operation.name", "execute_tool".into()),
                        text("gen_ai.tool.name", "get_order".into()),
                        text("gen_ai.tool.call.id", format!("call_{}", rng.next())),
                        text("gen_ai.tool.call.arguments", format!("{{\"order_id\":\"A{}\"}}", rng.next() % 100_000)),
                        text("gen_ai.tool.call.result", rng.words(700)),
                    ],
                ),
            };
            let span_start = start + index as u64 * 10_000;
            spans.push(Span {
                trace_id: trace_id.to_vec(),
                span_id: span_id.to_vec(),
                parent_span_id: if index == 0 { Vec::new() } else { root_id.to_vec() },
                name,
                kind: 1,
                start_time_unix_nano: span_start,
                end_time_unix_nano: span_start + if index == 0 { 500_000 } else { 9_000 },
                attributes,
                status: Some(Status::default()),
                ..Default::default()
            });
            sent += 1;
            if spans.len() == batch {
                requests.push(encode(std::mem::take(&mut spans)));
            }
        }
    }
    if !spans.is_empty() {
        requests.push(encode(spans));
    }
    requests
}

fn encode(spans: Vec<Span>) -> Vec<u8> {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![text("service.name", "bench-agent".into())],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope { name: "rootspan-bench".into(), ..Default::default() }),
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec()
}

pub(super) struct Server(Child);

impl Server {
    /// Stops the server the way Ctrl-C does, so the store closes cleanly (WAL checkpointed).
    fn stop(&mut self) {
        let _ = Command::new("kill").args(["-INT", &self.0.id().to_string()]).status();
        for _ in 0..200 {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn peak_rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|line| line.starts_with("VmHWM:"))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

pub(super) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Marks the trace ids of a generated request template, so that each instance sent gets
/// distinct ids by patching the encoded bytes (generating every request anew would cost the
/// sender more CPU than the server spends storing it).
const MAGIC: [u8; 6] = [0xf1, 0x9b, 0x2e, 0xc7, 0x5a, 0xd3];

/// An encoded request whose trace ids are `MAGIC ++ trace index (2 bytes) ++ instance (8 bytes)`.
struct Template {
    bytes: Vec<u8>,
    offsets: Vec<usize>,
    spans: usize,
}

impl Template {
    fn new(bytes: Vec<u8>, spans: usize) -> Template {
        let offsets = bytes
            .windows(MAGIC.len())
            .enumerate()
            .filter(|(_, window)| *window == MAGIC)
            .map(|(offset, _)| offset)
            .filter(|offset| offset + 16 <= bytes.len())
            .collect();
        Template { bytes, offsets, spans }
    }

    /// The request with every trace id made unique to `instance`.
    fn instance(&self, instance: u64) -> Vec<u8> {
        let mut bytes = self.bytes.clone();
        for &offset in &self.offsets {
            bytes[offset + 8..offset + 16].copy_from_slice(&instance.to_be_bytes());
        }
        bytes
    }
}

fn template_trace_id(trace: usize) -> Vec<u8> {
    let mut id = Vec::with_capacity(16);
    id.extend_from_slice(&MAGIC);
    id.extend_from_slice(&(trace as u16).to_be_bytes());
    id.extend_from_slice(&[0; 8]);
    id
}

/// The id of trace `trace` of instance `instance`, in hex.
fn instance_trace_id(trace: usize, instance: u64) -> String {
    let mut id = template_trace_id(trace);
    id[8..].copy_from_slice(&instance.to_be_bytes());
    hex::encode(id)
}

/// Text that stays the same across spans and traces, as agents repeat it on every call.
struct AgentContext {
    system_prompt: String,
    tool_definitions: String,
    history: std::collections::VecDeque<String>,
}

impl AgentContext {
    fn new(rng: &mut Rng) -> AgentContext {
        let system_prompt = format!("{SYSTEM_PROMPT} {}", rng.words(4_000));
        let tools = ["get_order", "refund_order", "track_shipment", "search_policies", "escalate_ticket"];
        let tool_definitions = tools
            .iter()
            .map(|tool| {
                format!(
                    "{{\"type\":\"function\",\"name\":\"{tool}\",\"description\":\"{}\",\"parameters\":{{\"type\":\"object\",\"properties\":{{\"order_id\":{{\"type\":\"string\",\"description\":\"{}\"}},\"reason\":{{\"type\":\"string\"}}}},\"required\":[\"order_id\"]}}}}",
                    rng.words(90),
                    rng.words(30)
                )
            })
            .collect::<Vec<_>>()
            .join(",");
        AgentContext { system_prompt, tool_definitions: format!("[{tool_definitions}]"), history: Default::default() }
    }

    fn remember(&mut self, message: String) {
        self.history.push_back(message);
        while self.history.len() > 8 {
            self.history.pop_front();
        }
    }
}

fn message(role: &str, content: &str) -> String {
    format!("{{\"role\":\"{role}\",\"parts\":[{{\"type\":\"text\",\"content\":\"{content}\"}}]}}")
}

/// One span of an agent trace: an agent invocation, then alternating LLM and tool calls.
fn agent_span(rng: &mut Rng, context: &mut AgentContext, trace: usize, index: usize) -> (String, Vec<KeyValue>) {
    match index {
        0 => {
            let question = rng.words(160);
            context.remember(message("user", &question));
            (
                "invoke_agent support_agent".to_owned(),
                vec![
                    text("gen_ai.operation.name", "invoke_agent".into()),
                    text("gen_ai.agent.name", "support_agent".into()),
                    text("gen_ai.conversation.id", format!("session-{}", trace / 5)),
                    text("input.value", question),
                    text("output.value", rng.words(300)),
                ],
            )
        }
        i if i % 2 == 1 => {
            let history = context.history.iter().cloned().collect::<Vec<_>>().join(",");
            let answer = rng.words(200);
            context.remember(message("assistant", &answer));
            (
                "chat gpt-4o".to_owned(),
                vec![
                    text("gen_ai.operation.name", "chat".into()),
                    text("gen_ai.provider.name", "openai".into()),
                    text("gen_ai.request.model", "gpt-4o".into()),
                    text("gen_ai.response.model", "gpt-4o-2024-08-06".into()),
                    text("gen_ai.response.id", format!("chatcmpl-{:016x}", rng.next())),
                    text(
                        "gen_ai.system_instructions",
                        format!("[{{\"type\":\"text\",\"content\":\"{}\"}}]", context.system_prompt),
                    ),
                    text("gen_ai.tool.definitions", context.tool_definitions.clone()),
                    text("gen_ai.input.messages", format!("[{history}]")),
                    text("gen_ai.output.messages", format!("[{}]", message("assistant", &answer))),
                    kv("gen_ai.usage.input_tokens", any_value::Value::IntValue(1_500 + (rng.next() % 2000) as i64)),
                    kv("gen_ai.usage.output_tokens", any_value::Value::IntValue((rng.next() % 300) as i64)),
                ],
            )
        }
        _ => {
            let result = rng.words(260);
            context.remember(message("tool", &result));
            (
                "execute_tool get_order".to_owned(),
                vec![
                    text("gen_ai.operation.name", "execute_tool".into()),
                    text("gen_ai.tool.name", "get_order".into()),
                    text("gen_ai.tool.call.id", format!("call_{:016x}", rng.next())),
                    text("gen_ai.tool.call.arguments", format!("{{\"order_id\":\"A{}\"}}", rng.next() % 100_000)),
                    text("gen_ai.tool.call.result", result),
                ],
            )
        }
    }
}

/// One span of a web service trace, as an OpenTelemetry SDK's auto-instrumentation makes them.
fn sdk_span(rng: &mut Rng, trace: usize, index: usize) -> (String, i32, Vec<KeyValue>) {
    let int = |key: &str, value: i64| kv(key, any_value::Value::IntValue(value));
    let order = rng.next() % 1_000_000;
    let common = |rng: &mut Rng| {
        vec![
            text("thread.name", format!("http-worker-{}", rng.next() % 16)),
            int("thread.id", (rng.next() % 64) as i64),
            text("code.namespace", "shop.orders.service.OrderService".into()),
        ]
    };
    match index % 4 {
        0 => {
            let mut attributes = vec![
                text("http.request.method", "GET".into()),
                text("http.route", "/api/v1/orders/{order_id}".into()),
                text("url.path", format!("/api/v1/orders/{order}")),
                text("url.scheme", "https".into()),
                text("url.query", format!("include=items,shipping&trace={trace}")),
                int("http.response.status_code", 200),
                text("server.address", "orders.shop.internal".into()),
                int("server.port", 8443),
                text("client.address", format!("10.0.{}.{}", rng.next() % 255, rng.next() % 255)),
                text("network.protocol.version", "1.1".into()),
                text(
                    "user_agent.original",
                    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
                        .into(),
                ),
                text("http.request.header.x_request_id", format!("{:032x}", rng.next())),
                text("enduser.id", format!("customer-{}", rng.next() % 50_000)),
                text(
                    "http.request.header.baggage",
                    format!("tenant=eu-shop,session={:016x},{}", rng.next(), rng.words(230)),
                ),
            ];
            attributes.extend(common(rng));
            (format!("GET /api/v1/orders/{{order_id}} {}", index / 4), 2, attributes)
        }
        1 => {
            let mut attributes = vec![
                text("db.system", "postgresql".into()),
                text("db.namespace", "shop".into()),
                text("db.operation.name", "SELECT".into()),
                text("db.collection.name", "orders".into()),
                text(
                    "db.query.text",
                    format!(
                        "SELECT o.id, o.customer_id, o.status, o.total_cents, o.currency, o.created_at, o.updated_at, \
                         i.sku, i.quantity, i.price_cents, s.carrier, s.tracking_number, s.eta FROM orders o \
                         LEFT JOIN order_items i ON i.order_id = o.id LEFT JOIN shipments s ON s.order_id = o.id \
                         WHERE o.id = $1 AND o.tenant_id = $2 ORDER BY i.position LIMIT {}",
                        50 + rng.next() % 50
                    ),
                ),
                text("server.address", "pg-primary.shop.internal".into()),
                int("server.port", 5432),
                int("db.response.returned_rows", (rng.next() % 40) as i64),
                text("db.query.parameter.0", format!("{order}")),
                text("db.query.summary", rng.words(250)),
            ];
            attributes.extend(common(rng));
            ("SELECT shop.orders".to_owned(), 3, attributes)
        }
        2 => {
            let mut attributes = vec![
                text("http.request.method", "GET".into()),
                text(
                    "url.full",
                    format!("http://inventory.shop.internal:8080/v2/stock?sku=SKU-{order}&warehouse=eu-1"),
                ),
                text("server.address", "inventory.shop.internal".into()),
                int("server.port", 8080),
                int("http.response.status_code", 200),
                text("network.peer.address", format!("10.1.{}.{}", rng.next() % 255, rng.next() % 255)),
                int("http.response.body.size", (rng.next() % 20_000) as i64),
                text("rpc.note", rng.words(460)),
            ];
            attributes.extend(common(rng));
            ("GET inventory".to_owned(), 3, attributes)
        }
        _ => {
            let mut attributes = vec![
                text("db.system", "redis".into()),
                text("db.operation.name", "GET".into()),
                text("db.query.text", format!("GET order:{order}:summary")),
                text("server.address", "cache.shop.internal".into()),
                int("server.port", 6379),
                text("cache.result", rng.words(540)),
            ];
            attributes.extend(common(rng));
            ("GET order cache".to_owned(), 3, attributes)
        }
    }
}

fn encode_with_resource(spans: Vec<Span>, preset: Preset) -> Vec<u8> {
    let service = match preset {
        Preset::Sdk => "orders-service",
        Preset::Agent => "bench-agent",
    };
    let resource = vec![
        text("service.name", service.into()),
        text("service.version", "2.14.1".into()),
        text("deployment.environment.name", "production".into()),
        text("telemetry.sdk.name", "opentelemetry".into()),
        text("telemetry.sdk.language", "python".into()),
        text("telemetry.sdk.version", "1.38.0".into()),
        text("host.name", "ip-10-0-3-17.eu-west-1.compute.internal".into()),
        text("process.runtime.name", "cpython".into()),
        text("process.runtime.version", "3.12.7".into()),
        kv("process.pid", any_value::Value::IntValue(4242)),
    ];
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource { attributes: resource, ..Default::default() }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope { name: "rootspan-bench".into(), ..Default::default() }),
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec()
}

/// Request templates of a preset, `spans` spans each.
fn make_templates(preset: Preset, count: usize, spans: usize, spans_per_trace: usize) -> Vec<Template> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut context = AgentContext::new(&mut rng);
    let base_ns: u64 = 1_760_000_000_000_000_000;
    let mut templates = Vec::with_capacity(count);
    let mut trace_number = 0usize;
    for _ in 0..count {
        let mut batch = Vec::with_capacity(spans);
        let traces = spans.div_ceil(spans_per_trace);
        for trace in 0..traces {
            let trace_id = template_trace_id(trace);
            let root_id = rng.next().to_be_bytes();
            let start = base_ns + trace_number as u64 * 1_000_000;
            trace_number += 1;
            let mut parent = root_id;
            for index in 0..spans_per_trace.min(spans - batch.len()) {
                let span_id = if index == 0 { root_id } else { rng.next().to_be_bytes() };
                let (name, kind, attributes) = match preset {
                    Preset::Agent => {
                        let (name, attributes) = agent_span(&mut rng, &mut context, trace_number, index);
                        (name, 1, attributes)
                    }
                    Preset::Sdk => sdk_span(&mut rng, trace_number, index),
                };
                let parent_span_id = match index {
                    0 => Vec::new(),
                    _ if preset == Preset::Sdk && index % 4 == 0 => root_id.to_vec(),
                    _ if preset == Preset::Sdk => parent.to_vec(),
                    _ => root_id.to_vec(),
                };
                if preset == Preset::Sdk && index % 4 == 0 {
                    parent = span_id;
                }
                let span_start = start + index as u64 * 10_000;
                batch.push(Span {
                    trace_id: trace_id.clone(),
                    span_id: span_id.to_vec(),
                    parent_span_id,
                    name,
                    kind,
                    start_time_unix_nano: span_start,
                    end_time_unix_nano: span_start + if index == 0 { 500_000 } else { 9_000 },
                    attributes,
                    status: Some(Status::default()),
                    ..Default::default()
                });
            }
        }
        let spans_in = batch.len();
        templates.push(Template::new(encode_with_resource(batch, preset), spans_in));
    }
    templates
}

/// What one export request came to.
enum Sent {
    Ok,
    /// 429: sent again after this long.
    Shed(Duration),
}

async fn send_export(client: &reqwest::Client, url: &str, body: Vec<u8>) -> anyhow::Result<Sent> {
    let response = client.post(url).header("content-type", "application/x-protobuf").body(body).send().await?;
    let status = response.status();
    if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        let seconds = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .context("a 429 without a Retry-After header")?;
        let _ = response.bytes().await;
        return Ok(Sent::Shed(Duration::from_secs(seconds.clamp(1, 30))));
    }
    if !status.is_success() {
        bail!("export failed: {status}: {}", response.text().await.unwrap_or_default());
    }
    let _ = response.bytes().await?;
    Ok(Sent::Ok)
}

/// Starts `rootspan serve` on a fresh store, with the flags of the benchmark.
pub(super) fn start_server(args: &Args, store_path: &std::path::Path) -> anyhow::Result<Server> {
    // A server already on these ports would answer the health check, and the benchmark would
    // load it instead of its own.
    for port in [args.port, args.port.saturating_add(1)] {
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
            bail!("port {port} is in use; give the benchmark free ports with --port (it uses PORT and PORT+1)");
        }
    }
    let exe = std::env::current_exe()?;
    let mut command = Command::new(exe);
    command
        .args(["serve", "--store"])
        .arg(store_path)
        .args([
            "--listen",
            &format!("127.0.0.1:{}", args.port),
            "--grpc-listen",
            &format!("127.0.0.1:{}", args.port + 1),
            "--durability",
            &args.durability,
        ])
        .env("ROOTSPAN_LOG", std::env::var("ROOTSPAN_LOG").unwrap_or_else(|_| "warn".into()))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    if let Some(mib) = args.max_inflight_mib {
        command.args(["--max-inflight-mib", &mib.to_string()]);
    }
    if let Some(mib) = args.max_body_mib {
        command.args(["--max-body-mib", &mib.to_string()]);
    }
    if args.no_redact {
        command.args(["--no-redact-builtin", "all"]);
    }
    Ok(Server(command.spawn().context("starting the server")?))
}

pub(super) async fn wait_ready(client: &reqwest::Client, base: &str) -> anyhow::Result<()> {
    let ready = Instant::now();
    loop {
        if client.get(format!("{base}/api/health")).send().await.is_ok_and(|r| r.status().is_success()) {
            return Ok(());
        }
        if ready.elapsed() > Duration::from_secs(30) {
            bail!("the server did not become ready within 30 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn disk_bytes(dir: &std::path::Path) -> anyhow::Result<u64> {
    Ok(std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("bench.db"))
        .filter_map(|e| e.metadata().ok().map(|m| m.len()))
        .sum())
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if let Some(file) = &args.mcp {
        return super::bench_mcp::run(&args, file);
    }
    if args.spans == 0 || args.batch() == 0 || args.spans_per_trace() == 0 || args.concurrency == 0 || args.clients == 0
    {
        bail!("--spans, --batch, --spans-per-trace, --concurrency and --clients must be positive");
    }
    if args.duration_secs.is_some() {
        return run_load(args);
    }
    let temp = tempfile::tempdir()?;
    let dir = args.dir.clone().unwrap_or_else(|| temp.path().to_owned());
    let store_path = dir.join("bench.db");
    let _ = std::fs::remove_file(&store_path);
    eprintln!("generating {} spans...", args.spans);
    let requests = match args.preset {
        None => make_requests(&args),
        Some(preset) => {
            let batch = args.batch().min(args.spans);
            let count = args.spans.div_ceil(batch);
            let distinct = count.min(8);
            let templates = make_templates(preset, distinct, batch, args.spans_per_trace());
            let mut left = args.spans;
            let mut requests = Vec::with_capacity(count);
            for instance in 0..count {
                let template = &templates[instance % distinct];
                if left < template.spans {
                    let last = make_templates(preset, 1, left, args.spans_per_trace()).remove(0);
                    requests.push(last.instance(instance as u64));
                    break;
                }
                left -= template.spans;
                requests.push(template.instance(instance as u64));
            }
            requests
        }
    };
    let request_bytes: usize = requests.iter().map(Vec::len).sum();
    let mut server = start_server(&args, &store_path)?;
    let pid = server.0.id();
    let base = format!("http://127.0.0.1:{}", args.port);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    let report = runtime.block_on(async {
        let client = reqwest::Client::new();
        wait_ready(&client, &base).await?;
        eprintln!(
            "sending {} requests ({:.1} MB) with concurrency {}...",
            requests.len(),
            request_bytes as f64 / 1e6,
            args.concurrency
        );
        let started = Instant::now();
        let queue = std::sync::Arc::new(tokio::sync::Mutex::new(requests.into_iter()));
        let shed = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut workers = Vec::new();
        for _ in 0..args.concurrency {
            let queue = queue.clone();
            let client = client.clone();
            let shed = shed.clone();
            let url = format!("{base}/v1/traces");
            workers.push(tokio::spawn(async move {
                loop {
                    let next = queue.lock().await.next();
                    let Some(body) = next else { return Ok::<(), anyhow::Error>(()) };
                    let mut attempts = 0;
                    while let Sent::Shed(delay) = send_export(&client, &url, body.clone()).await? {
                        shed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        attempts += 1;
                        if attempts > 600 {
                            bail!("a request was shed 600 times");
                        }
                        tokio::time::sleep(delay).await;
                    }
                }
            }));
        }
        for worker in workers {
            worker.await??;
        }
        let acked = started.elapsed();
        loop {
            let health: serde_json::Value = client.get(format!("{base}/api/health")).send().await?.json().await?;
            if health["spans"].as_u64() == Some(args.spans as u64) {
                break;
            }
            if started.elapsed() > Duration::from_secs(600) {
                bail!("spans did not all become queryable within 600 s: {health}");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let queryable = started.elapsed();
        let traces: Vec<serde_json::Value> =
            client.get(format!("{base}/api/traces?limit={}", args.fetches)).send().await?.json().await?;
        let ids: Vec<String> = traces.iter().filter_map(|t| t["trace_id"].as_str().map(str::to_owned)).collect();
        let mut latencies = Vec::with_capacity(ids.len());
        for id in &ids {
            let begin = Instant::now();
            let response = client.get(format!("{base}/api/traces/{id}")).send().await?;
            let _ = response.bytes().await?;
            latencies.push(begin.elapsed().as_secs_f64() * 1000.0);
        }
        latencies.sort_by(f64::total_cmp);
        Ok(BenchReport {
            preset: args.preset,
            spans: args.spans,
            traces: args.spans.div_ceil(args.spans_per_trace()),
            request_bytes,
            send_seconds: acked.as_secs_f64(),
            queryable_seconds: queryable.as_secs_f64(),
            spans_per_second: args.spans as f64 / queryable.as_secs_f64(),
            time_to_queryable_after_last_ack_ms: (queryable - acked).as_secs_f64() * 1000.0,
            fetch_p50_ms: percentile(&latencies, 0.5),
            fetch_p99_ms: percentile(&latencies, 0.99),
            disk_bytes: 0,
            disk_bytes_per_span: 0.0,
            server_peak_rss_mib: 0.0,
            shed_requests: shed.load(std::sync::atomic::Ordering::Relaxed),
            request_bytes_per_span: request_bytes as f64 / args.spans as f64,
        })
    })?;
    let mut report = report;
    report.server_peak_rss_mib = peak_rss_mib(pid);
    server.stop();
    drop(server);
    let disk = disk_bytes(&dir)?;
    report.disk_bytes = disk;
    report.disk_bytes_per_span = disk as f64 / args.spans as f64;
    if args.json {
        print_json(&report)?;
    } else {
        println!(
            "spans                       {} ({:.0} request bytes/span)",
            report.spans, report.request_bytes_per_span
        );
        println!(
            "durable + queryable         {:.0} spans/s ({:.2} s)",
            report.spans_per_second, report.queryable_seconds
        );
        println!("queryable after last ack    {:.1} ms", report.time_to_queryable_after_last_ack_ms);
        println!("trace fetch (REST)          p50 {:.3} ms, p99 {:.3} ms", report.fetch_p50_ms, report.fetch_p99_ms);
        println!(
            "disk                        {:.0} bytes/span ({:.1} MB)",
            report.disk_bytes_per_span,
            report.disk_bytes as f64 / 1e6
        );
        println!("server peak RSS             {:.1} MiB", report.server_peak_rss_mib);
        println!("shed (429, sent again)      {}", report.shed_requests);
    }
    Ok(ExitCode::SUCCESS)
}

/// The figures of the load mode.
#[derive(Debug, Serialize)]
pub struct LoadReport {
    pub preset: Preset,
    pub clients: usize,
    pub duration_seconds: f64,
    pub max_inflight_mib: Option<u64>,
    pub spans_per_request: usize,
    pub request_bytes_per_span: f64,
    pub requests_ok: usize,
    /// Requests answered 429 (each client waits Retry-After, then sends again).
    pub requests_shed: usize,
    pub spans_acked: usize,
    /// Acknowledged (durable and queryable) spans per second over the load.
    pub spans_per_second: f64,
    pub ack_p50_ms: f64,
    pub ack_p99_ms: f64,
    /// Fetches of one trace through the REST API during the load.
    pub fetches: usize,
    pub fetch_trace_spans: usize,
    pub fetch_p50_ms: f64,
    pub fetch_p99_ms: f64,
    pub fetch_max_ms: f64,
    pub server_peak_rss_mib: f64,
    pub disk_bytes_per_span: f64,
}

/// Load mode: `--clients` send flat out for `--duration-secs` while one trace is fetched over and
/// over from another thread.
fn run_load(args: Args) -> anyhow::Result<ExitCode> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
    let preset = args.preset.unwrap_or(Preset::Agent);
    let duration = Duration::from_secs(args.duration_secs.unwrap_or(10).clamp(1, 3_600));
    let temp = tempfile::tempdir()?;
    let dir = args.dir.clone().unwrap_or_else(|| temp.path().to_owned());
    let store_path = dir.join("bench.db");
    let _ = std::fs::remove_file(&store_path);
    let batch = args.batch();
    let spans_per_trace = args.spans_per_trace();
    eprintln!("generating request templates ({batch} {preset:?} spans each)...");
    let templates = Arc::new(make_templates(preset, 8, batch, spans_per_trace));
    let request_bytes_per_span = templates[0].bytes.len() as f64 / templates[0].spans as f64;
    let mut server = start_server(&args, &store_path)?;
    let pid = server.0.id();
    let base = format!("http://127.0.0.1:{}", args.port);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    let client = reqwest::Client::builder().timeout(Duration::from_secs(120)).build()?;
    let url = format!("{base}/v1/traces");
    // A first request, whose first trace is fetched during the load.
    runtime.block_on(async {
        wait_ready(&client, &base).await?;
        match send_export(&client, &url, templates[0].instance(0)).await? {
            Sent::Ok => Ok(()),
            Sent::Shed(_) => bail!("the first request was shed"),
        }
    })?;
    let fetched = instance_trace_id(0, 0);
    let fetch_trace_spans = spans_per_trace.min(batch);
    let stop = Arc::new(AtomicBool::new(false));
    let fetcher = {
        let stop = stop.clone();
        let url = format!("{base}/api/traces/{fetched}");
        std::thread::spawn(move || -> anyhow::Result<Vec<f64>> {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(async {
                let client = reqwest::Client::builder().timeout(Duration::from_secs(60)).build()?;
                let mut latencies = Vec::new();
                while !stop.load(Ordering::Relaxed) && latencies.len() < 1_000_000 {
                    let begin = Instant::now();
                    let response = client.get(&url).send().await?;
                    if !response.status().is_success() {
                        bail!("fetching the trace failed: {}", response.status());
                    }
                    let _ = response.bytes().await?;
                    latencies.push(begin.elapsed().as_secs_f64() * 1000.0);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Ok(latencies)
            })
        })
    };
    eprintln!("{} clients sending flat out for {} s...", args.clients, duration.as_secs());
    let next_instance = Arc::new(AtomicU64::new(1));
    let shed = Arc::new(AtomicUsize::new(0));
    let (ok, acks, elapsed) = runtime.block_on(async {
        let started = Instant::now();
        let deadline = started + duration;
        let mut workers = Vec::new();
        for _ in 0..args.clients {
            let (client, url, templates) = (client.clone(), url.clone(), templates.clone());
            let (next_instance, shed) = (next_instance.clone(), shed.clone());
            workers.push(tokio::spawn(async move {
                let mut acks = Vec::new();
                while Instant::now() < deadline {
                    let instance = next_instance.fetch_add(1, Ordering::Relaxed);
                    let body = templates[instance as usize % templates.len()].instance(instance);
                    let begin = Instant::now();
                    match send_export(&client, &url, body).await? {
                        Sent::Ok => acks.push(begin.elapsed().as_secs_f64() * 1000.0),
                        Sent::Shed(delay) => {
                            shed.fetch_add(1, Ordering::Relaxed);
                            let left = deadline.saturating_duration_since(Instant::now());
                            tokio::time::sleep(delay.min(left)).await;
                        }
                    }
                }
                Ok::<Vec<f64>, anyhow::Error>(acks)
            }));
        }
        let mut acks = Vec::new();
        for worker in workers {
            acks.extend(worker.await??);
        }
        Ok::<_, anyhow::Error>((acks.len(), acks, started.elapsed()))
    })?;
    stop.store(true, Ordering::Relaxed);
    let mut fetches = fetcher.join().map_err(|_| anyhow::anyhow!("the fetcher panicked"))??;
    let peak = peak_rss_mib(pid);
    server.stop();
    drop(server);
    let mut acks = acks;
    acks.sort_by(f64::total_cmp);
    fetches.sort_by(f64::total_cmp);
    let spans_acked = ok * batch;
    let report = LoadReport {
        preset,
        clients: args.clients,
        duration_seconds: elapsed.as_secs_f64(),
        max_inflight_mib: args.max_inflight_mib,
        spans_per_request: batch,
        request_bytes_per_span,
        requests_ok: ok,
        requests_shed: shed.load(Ordering::Relaxed),
        spans_acked,
        spans_per_second: spans_acked as f64 / elapsed.as_secs_f64(),
        ack_p50_ms: percentile(&acks, 0.5),
        ack_p99_ms: percentile(&acks, 0.99),
        fetches: fetches.len(),
        fetch_trace_spans,
        fetch_p50_ms: percentile(&fetches, 0.5),
        fetch_p99_ms: percentile(&fetches, 0.99),
        fetch_max_ms: fetches.last().copied().unwrap_or(f64::NAN),
        server_peak_rss_mib: peak,
        disk_bytes_per_span: disk_bytes(&dir)? as f64 / (spans_acked + batch).max(1) as f64,
    };
    if args.json {
        print_json(&report)?;
    } else {
        println!(
            "preset                      {:?}, {} spans/request, {:.0} bytes/span",
            report.preset, batch, request_bytes_per_span
        );
        println!("clients                     {} for {:.1} s", report.clients, report.duration_seconds);
        println!("sustained                   {:.0} spans/s ({} requests acknowledged)", report.spans_per_second, ok);
        println!("ack latency                 p50 {:.1} ms, p99 {:.1} ms", report.ack_p50_ms, report.ack_p99_ms);
        println!("shed (429)                  {}", report.requests_shed);
        println!(
            "trace fetch during load     p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} fetches of {} spans)",
            report.fetch_p50_ms, report.fetch_p99_ms, report.fetch_max_ms, report.fetches, fetch_trace_spans
        );
        println!("server peak RSS             {:.1} MiB", report.server_peak_rss_mib);
        println!("disk                        {:.0} bytes/span", report.disk_bytes_per_span);
    }
    Ok(ExitCode::SUCCESS)
}

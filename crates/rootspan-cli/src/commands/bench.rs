//! `rootspan bench`: the ingest benchmark. Starts `rootspan serve` as a child process on a fresh
//! store, sends generated agent-shaped spans (~1 KB of prompt/attribute text each) over OTLP/HTTP
//! protobuf, and reports: spans/s until every span is durable and queryable, time-to-queryable
//! after the last acknowledgement, p50/p99 latency of fetching one trace through the REST API,
//! bytes on disk per span, and the server's peak RSS.

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
    /// Spans to send.
    #[arg(long, default_value_t = 200_000)]
    pub spans: usize,
    /// Spans per trace (one agent span, then alternating LLM and tool calls).
    #[arg(long, default_value_t = 20)]
    pub spans_per_trace: usize,
    /// Spans per export request.
    #[arg(long, default_value_t = 5_000)]
    pub batch: usize,
    /// Concurrent export requests.
    #[arg(long, default_value_t = 2)]
    pub concurrency: usize,
    /// Trace fetches for the latency figures.
    #[arg(long, default_value_t = 2_000)]
    pub fetches: usize,
    /// HTTP port of the server under test.
    #[arg(long, default_value_t = 14318)]
    pub port: u16,
    /// Directory for the store (default: a fresh temporary directory, removed afterwards).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// The figures.
#[derive(Debug, Serialize)]
pub struct BenchReport {
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
    let mut spans = Vec::with_capacity(args.batch);
    let traces = args.spans.div_ceil(args.spans_per_trace);
    let mut sent = 0usize;
    for trace in 0..traces {
        let mut trace_id = [0u8; 16];
        trace_id[..8].copy_from_slice(&rng.next().to_be_bytes());
        trace_id[8..].copy_from_slice(&(trace as u64).to_be_bytes());
        let root_id = rng.next().to_be_bytes();
        let start = base_ns + trace as u64 * 1_000_000;
        for index in 0..args.spans_per_trace.min(args.spans - sent) {
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
            if spans.len() == args.batch {
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

struct Server(Child);

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

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.spans == 0 || args.batch == 0 || args.spans_per_trace == 0 || args.concurrency == 0 {
        bail!("--spans, --batch, --spans-per-trace and --concurrency must be positive");
    }
    let temp = tempfile::tempdir()?;
    let dir = args.dir.clone().unwrap_or_else(|| temp.path().to_owned());
    let store_path = dir.join("bench.db");
    let _ = std::fs::remove_file(&store_path);
    eprintln!("generating {} spans...", args.spans);
    let requests = make_requests(&args);
    let request_bytes: usize = requests.iter().map(Vec::len).sum();
    let exe = std::env::current_exe()?;
    let child = Command::new(exe)
        .args(["serve", "--store"])
        .arg(&store_path)
        .args([
            "--listen",
            &format!("127.0.0.1:{}", args.port),
            "--grpc-listen",
            &format!("127.0.0.1:{}", args.port + 1),
        ])
        .env("ROOTSPAN_LOG", std::env::var("ROOTSPAN_LOG").unwrap_or_else(|_| "warn".into()))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting the server")?;
    let mut server = Server(child);
    let pid = server.0.id();
    let base = format!("http://127.0.0.1:{}", args.port);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    let report = runtime.block_on(async {
        let client = reqwest::Client::new();
        let ready = Instant::now();
        loop {
            if client.get(format!("{base}/api/health")).send().await.is_ok_and(|r| r.status().is_success()) {
                break;
            }
            if ready.elapsed() > Duration::from_secs(30) {
                bail!("the server did not become ready within 30 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        eprintln!(
            "sending {} requests ({:.1} MB) with concurrency {}...",
            requests.len(),
            request_bytes as f64 / 1e6,
            args.concurrency
        );
        let started = Instant::now();
        let queue = std::sync::Arc::new(tokio::sync::Mutex::new(requests.into_iter()));
        let mut workers = Vec::new();
        for _ in 0..args.concurrency {
            let queue = queue.clone();
            let client = client.clone();
            let url = format!("{base}/v1/traces");
            workers.push(tokio::spawn(async move {
                loop {
                    let next = queue.lock().await.next();
                    let Some(body) = next else { return Ok::<(), anyhow::Error>(()) };
                    let response =
                        client.post(&url).header("content-type", "application/x-protobuf").body(body).send().await?;
                    if !response.status().is_success() {
                        bail!("export failed: {}", response.status());
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
            spans: args.spans,
            traces: args.spans.div_ceil(args.spans_per_trace),
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
        })
    })?;
    let mut report = report;
    report.server_peak_rss_mib = peak_rss_mib(pid);
    server.stop();
    drop(server);
    let disk: u64 = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("bench.db"))
        .filter_map(|e| e.metadata().ok().map(|m| m.len()))
        .sum();
    report.disk_bytes = disk;
    report.disk_bytes_per_span = disk as f64 / args.spans as f64;
    if args.json {
        print_json(&report)?;
    } else {
        println!("spans                       {}", report.spans);
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
    }
    Ok(ExitCode::SUCCESS)
}

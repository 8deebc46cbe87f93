//! `rootspan bench --mcp FILE`: the latency of MCP `tools/call` over streamable HTTP. Starts
//! `rootspan serve` on a fresh store, stores the trace file over OTLP/HTTP, waits until the
//! after-write worker has analysed it, then calls `search_traces`, `get_trace` and
//! `diagnose_trace` on it `--calls` times each (one at a time, over one kept-alive connection,
//! after a few warm-up calls) and reports p50, p99 and mean per tool, client side: from sending
//! the POST to having read the whole answer.

use super::bench::{Args, percentile, start_server, wait_ready};
use crate::output::print_json;
use anyhow::{Context, bail};
use serde::Serialize;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Calls made per tool before measuring.
const WARM_UP: usize = 10;

/// The figures of one tool.
#[derive(Debug, Serialize)]
pub struct ToolLatency {
    pub tool: String,
    pub calls: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub mean_ms: f64,
    pub answer_bytes: usize,
}

/// The report.
#[derive(Debug, Serialize)]
pub struct McpBenchReport {
    pub file: String,
    pub trace_id: String,
    pub spans: u64,
    pub tools: Vec<ToolLatency>,
}

async fn rpc(
    client: &reqwest::Client,
    url: &str,
    body: &serde_json::Value,
) -> anyhow::Result<(serde_json::Value, usize)> {
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(body.to_string())
        .send()
        .await?;
    let status = response.status();
    let bytes = response.bytes().await?;
    if !status.is_success() {
        bail!("POST /mcp answered {status}: {}", String::from_utf8_lossy(&bytes));
    }
    if bytes.is_empty() {
        return Ok((serde_json::Value::Null, 0));
    }
    Ok((serde_json::from_slice(&bytes).context("POST /mcp answered something that is not JSON")?, bytes.len()))
}

pub fn run(args: &Args, file: &Path) -> anyhow::Result<ExitCode> {
    if args.calls == 0 {
        bail!("--calls must be positive");
    }
    let body = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let content_type = match file.extension().and_then(|e| e.to_str()) {
        Some("json") => "application/json",
        Some("pb" | "otlp" | "protobuf" | "bin") => "application/x-protobuf",
        _ => bail!("{}: give an OTLP trace file (.pb for protobuf, .json for OTLP/JSON)", file.display()),
    };
    let temp = tempfile::tempdir()?;
    let dir = args.dir.clone().unwrap_or_else(|| temp.path().to_owned());
    let store_path = dir.join("bench-mcp.db");
    let _ = std::fs::remove_file(&store_path);
    let _server = start_server(args, &store_path)?;
    let base = format!("http://127.0.0.1:{}", args.port);
    let calls = args.calls;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let report = runtime.block_on(async {
        let client = reqwest::Client::new();
        wait_ready(&client, &base).await?;
        let stored = client
            .post(format!("{base}/v1/traces"))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await?;
        if !stored.status().is_success() {
            bail!("storing {} answered {}", file.display(), stored.status());
        }
        // The largest trace of the file, once the worker has analysed it (failure_mode set, or
        // the quiet period long past for a healthy one).
        let started = Instant::now();
        let (trace_id, spans) = loop {
            let page: serde_json::Value =
                client.get(format!("{base}/api/v1/traces?limit=1000")).send().await?.json().await?;
            let traces = page["traces"].as_array().cloned().unwrap_or_default();
            let largest = traces.iter().max_by_key(|t| t["span_count"].as_u64().unwrap_or(0));
            if let Some(trace) = largest
                && (!trace["failure_mode"].is_null() || started.elapsed() > Duration::from_secs(3))
            {
                break (trace["trace_id"].as_str().unwrap_or_default().to_owned(), trace["span_count"].as_u64().unwrap_or(0));
            }
            if started.elapsed() > Duration::from_secs(30) {
                bail!("{} stored no trace within 30 s", file.display());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let url = format!("{base}/mcp");
        let initialize = serde_json::json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "rootspan-bench", "version": "1"}}});
        rpc(&client, &url, &initialize).await?;
        rpc(&client, &url, &serde_json::json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).await?;
        let tools = [
            ("search_traces", serde_json::json!({"limit": 20})),
            ("get_trace", serde_json::json!({"trace_id": trace_id})),
            ("diagnose_trace", serde_json::json!({"trace_id": trace_id})),
        ];
        let mut figures = Vec::new();
        let mut id = 1u64;
        for (tool, arguments) in tools {
            let mut millis = Vec::with_capacity(calls);
            let mut answer_bytes = 0;
            for call in 0..WARM_UP + calls {
                id += 1;
                let request = serde_json::json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                    "params": {"name": tool, "arguments": arguments}});
                let sent = Instant::now();
                let (answer, bytes) = rpc(&client, &url, &request).await?;
                let elapsed = sent.elapsed();
                if answer["result"]["isError"].as_bool() != Some(false) {
                    bail!("{tool} failed: {answer}");
                }
                if call >= WARM_UP {
                    millis.push(elapsed.as_secs_f64() * 1e3);
                    answer_bytes = bytes;
                }
            }
            let mean = millis.iter().sum::<f64>() / millis.len() as f64;
            millis.sort_by(f64::total_cmp);
            figures.push(ToolLatency {
                tool: tool.to_owned(),
                calls,
                p50_ms: percentile(&millis, 0.50),
                p99_ms: percentile(&millis, 0.99),
                mean_ms: mean,
                answer_bytes,
            });
        }
        Ok(McpBenchReport { file: file.display().to_string(), trace_id, spans, tools: figures })
    })?;
    if args.json {
        print_json(&report)?;
    } else {
        println!(
            "MCP tools/call over streamable HTTP, {} ({} spans, trace {})",
            report.file, report.spans, report.trace_id
        );
        println!("{:<16} {:>6} {:>9} {:>9} {:>9} {:>9}", "tool", "calls", "p50 ms", "p99 ms", "mean ms", "bytes");
        for tool in &report.tools {
            println!(
                "{:<16} {:>6} {:>9.2} {:>9.2} {:>9.2} {:>9}",
                tool.tool, tool.calls, tool.p50_ms, tool.p99_ms, tool.mean_ms, tool.answer_bytes
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

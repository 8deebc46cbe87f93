//! Runs one eval case: scores the recorded run itself when the case names no agent command;
//! otherwise runs the command with a replay server of the recording (mode `replay`) or against
//! the live services (mode `live`), captures the agent's OpenTelemetry traces with an in-process
//! OTLP receiver on a temporary store, diagnoses them, and scores the output and the traces.

use rootspan_app::{App, AppConfig};
use rootspan_evals::{CaseResult, Judge, LoadedCase, RunOutput, Score};
use rootspan_replay::compare::Tolerance;
use rootspan_replay::{EventKind, Recording, ReplaySummary, Replayer};
use rootspan_store::{TraceFilter, TraceStore};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How cases run.
#[derive(Default)]
pub struct RunSettings {
    /// Replaces every case's `target.command`.
    pub agent: Option<Vec<String>>,
    /// Replaces every case's `target.mode`.
    pub mode: Option<String>,
    pub judge: Option<HttpJudge>,
}

/// An LLM judge over an OpenAI-compatible endpoint.
pub struct HttpJudge {
    pub url: String,
    pub model: String,
    pub api_key: Option<String>,
}

impl Judge for HttpJudge {
    fn ask(&self, model: Option<&str>, prompt: &str) -> Result<String, String> {
        let client = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| e.to_string())?;
        let url = format!("{}/chat/completions", self.url.trim_end_matches('/'));
        let mut call = client.post(&url).json(&serde_json::json!({
            "model": model.unwrap_or(&self.model),
            "temperature": 0,
            "messages": [{"role": "user", "content": prompt}],
        }));
        if let Some(key) = &self.api_key {
            call = call.bearer_auth(key);
        }
        let response = call.send().map_err(|e| format!("calling {url}: {e}"))?;
        let status = response.status();
        let body: serde_json::Value = response.json().map_err(|e| format!("reading {url}: {e}"))?;
        if !status.is_success() {
            return Err(format!("{url} answered {status}"));
        }
        body["choices"][0]["message"]["content"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("{url}: no message content"))
    }
}

fn recorded_run(case: &LoadedCase, recording: Option<&Recording>) -> RunOutput {
    let origin_mode = case.case.origin.as_ref().and_then(|o| o.failure_mode.clone());
    RunOutput {
        output: recording.and_then(|r| r.header.output.clone()).unwrap_or_default(),
        tools: recording
            .map(|r| r.events.iter().filter(|e| e.kind == EventKind::ToolCall).map(|e| e.name.clone()).collect())
            .unwrap_or_default(),
        failure_modes: origin_mode.into_iter().collect(),
        traced: recording.is_some(),
    }
}

struct AgentRun {
    stdout: String,
    failure_modes: Vec<String>,
    tools: Vec<String>,
    traces: usize,
    replay: Option<ReplaySummary>,
}

fn run_agent(
    case: &LoadedCase,
    command: &[String],
    mode: &str,
    recording: Option<Recording>,
) -> anyhow::Result<AgentRun> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().worker_threads(2).build()?;
    let scratch = tempfile::tempdir()?;
    let store: Arc<dyn TraceStore> =
        Arc::new(rootspan_store_sqlite::SqliteStore::open(&scratch.path().join("capture.db"))?);
    let app = App::new(store.clone(), AppConfig::default());
    let state = rootspan_server::AppState::new(app.clone(), rootspan_server::ServerConfig::default());
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let capture_listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let capture_address = capture_listener.local_addr()?;
    let mut waiting = stopped.clone();
    let capture = runtime.spawn(rootspan_server::serve_http_on(capture_listener, state, async move {
        let _ = waiting.changed().await;
    }));
    let mut replayer: Option<Arc<Mutex<Replayer>>> = None;
    let mut replay_address = None;
    if mode == "replay" {
        let recording = recording.ok_or_else(|| anyhow::anyhow!("mode replay needs the case's recording"))?;
        let shared = Arc::new(Mutex::new(Replayer::new(
            recording,
            Tolerance { text: case.case.target.tolerance, ..Tolerance::default() },
        )));
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
        replay_address = Some(listener.local_addr()?);
        let mut waiting = stopped.clone();
        let router = rootspan_replay::server::router(shared.clone());
        runtime.spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = waiting.changed().await;
                })
                .await;
        });
        replayer = Some(shared);
    }
    let (program, arguments) = command.split_first().ok_or_else(|| anyhow::anyhow!("empty agent command"))?;
    let mut process = Command::new(program);
    process.args(arguments).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    process.current_dir(case.dir.join(case.case.target.working_dir.as_deref().unwrap_or(".")));
    process
        .env("ROOTSPAN_EVAL_INPUT", &case.case.input)
        .env("ROOTSPAN_EVAL_CASE", &case.case.id)
        .env("ROOTSPAN_EVAL_DIR", &case.dir)
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{capture_address}"))
        .env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", format!("http://{capture_address}/v1/traces"))
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
        .env("OTEL_BSP_SCHEDULE_DELAY", "200");
    if let Some(address) = replay_address {
        process
            .env("ROOTSPAN_REPLAY_URL", format!("http://{address}"))
            .env("OPENAI_BASE_URL", format!("http://{address}/v1"))
            .env("ANTHROPIC_BASE_URL", format!("http://{address}"));
        for key in ["OPENAI_API_KEY", "ANTHROPIC_API_KEY"] {
            if std::env::var(key).is_err() {
                process.env(key, "rootspan-replay");
            }
        }
    }
    let child = process.spawn().map_err(|e| anyhow::anyhow!("cannot start {program:?}: {e}"))?;
    let output = wait_with_timeout(child, Duration::from_secs(case.case.target.timeout_secs.max(1)))?;
    let _ = stop.send(true);
    let _ = runtime.block_on(capture);
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(8).collect::<Vec<_>>().into_iter().rev().collect();
        let replay_note = replayer
            .as_ref()
            .and_then(|r| {
                r.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .summary()
                    .failures
                    .first()
                    .map(|f| format!("; replay: {}", f.message))
            })
            .unwrap_or_default();
        anyhow::bail!("the agent exited with {}{replay_note}\n{}", output.status, tail.join("\n"));
    }
    let mut failure_modes = Vec::new();
    let mut tools = Vec::new();
    let listed = store.list_traces(&TraceFilter { limit: Some(1000), ..TraceFilter::default() })?;
    for item in &listed {
        let tree = app.load_tree(&item.trace_id)?;
        let diagnosis = rootspan_analysis::diagnose(&tree, &rootspan_analysis::DiagnoseOptions::default());
        if let Some(mode) = rootspan_app::analysis::diagnosed_failure_mode(&diagnosis) {
            failure_modes.push(mode);
        }
        tools.extend(rootspan_app::online::tools_called(&tree));
    }
    tools.sort();
    Ok(AgentRun {
        stdout: String::from_utf8_lossy(&output.stdout).trim().to_owned(),
        failure_modes,
        tools: tools.into_iter().map(|(_, name)| name).collect(),
        traces: listed.len(),
        replay: replayer.map(|r| r.lock().unwrap_or_else(|p| p.into_inner()).summary()),
    })
}

fn wait_with_timeout(mut child: std::process::Child, timeout: Duration) -> anyhow::Result<std::process::Output> {
    let started = Instant::now();
    // Read the pipes on threads so a chatty agent never blocks on a full pipe.
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let out = std::thread::spawn(move || {
        let mut buffer = Vec::new();
        if let Some(pipe) = stdout.as_mut() {
            let _ = std::io::Read::read_to_end(pipe, &mut buffer);
        }
        buffer
    });
    let err = std::thread::spawn(move || {
        let mut buffer = Vec::new();
        if let Some(pipe) = stderr.as_mut() {
            let _ = std::io::Read::read_to_end(pipe, &mut buffer);
        }
        buffer
    });
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!("the agent did not finish within {} s and was killed", timeout.as_secs());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Ok(std::process::Output { status, stdout: out.join().unwrap_or_default(), stderr: err.join().unwrap_or_default() })
}

/// Runs and scores one case.
pub fn run_case(case: &LoadedCase, settings: &RunSettings) -> CaseResult {
    let started = Instant::now();
    let mut result = CaseResult {
        id: case.case.id.clone(),
        version: case.case.version,
        passed: false,
        scores: Vec::new(),
        error: None,
        replay: None,
        output: String::new(),
        duration_ms: 0,
        issue_id: case.case.origin.as_ref().and_then(|o| o.issue_id.clone()),
    };
    let recording = match case.recording_path() {
        Some(path) => match Recording::load(&path) {
            Ok(recording) => Some(recording),
            Err(error) => {
                result.error = Some(error.to_string());
                return result;
            }
        },
        None => None,
    };
    let command = settings.agent.clone().unwrap_or_else(|| case.case.target.command.clone());
    let mode = settings.mode.clone().unwrap_or_else(|| case.case.target.mode.clone());
    let run = if command.is_empty() {
        recorded_run(case, recording.as_ref())
    } else {
        match run_agent(case, &command, &mode, recording) {
            Ok(agent) => {
                if let Some(summary) = &agent.replay
                    && !summary.complete
                {
                    let detail =
                        summary.failures.first().map(|f| f.message.clone()).unwrap_or_else(|| {
                            format!("{} recorded steps were never asked for", summary.unconsumed.len())
                        });
                    result.scores.push(Score { scorer: "replay".into(), passed: false, detail });
                }
                result.replay = agent.replay;
                RunOutput {
                    output: agent.stdout,
                    tools: agent.tools,
                    failure_modes: agent.failure_modes,
                    traced: agent.traces > 0,
                }
            }
            Err(error) => {
                result.error = Some(format!("{error:#}"));
                result.duration_ms = started.elapsed().as_millis() as u64;
                return result;
            }
        }
    };
    let judge = settings.judge.as_ref().map(|j| j as &dyn Judge);
    result.scores.extend(case.case.effective_scorers().iter().map(|scorer| scorer.score(&run, judge)));
    result.output = run.output;
    result.passed = result.error.is_none() && result.scores.iter().all(|s| s.passed);
    result.duration_ms = started.elapsed().as_millis() as u64;
    result
}

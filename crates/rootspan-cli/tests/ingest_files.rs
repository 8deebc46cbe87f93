//! `rootspan ingest DIR`: every file considered (by extension) that is not ingested is named on
//! stderr with the reason, and the exit code says so; the good files still land in the store.

mod support;

use support::*;

const GOOD: &str = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"ingest-files-test"}}]},
  "scopeSpans":[{"spans":[
    {"traceId":"5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a","spanId":"0000000000000001","name":"agent run",
     "startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000002000000000"},
    {"traceId":"5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a","spanId":"0000000000000002","parentSpanId":"0000000000000001",
     "name":"chat gpt-4o","startTimeUnixNano":"1700000000500000000","endTimeUnixNano":"1700000001500000000"}]}]}]}"#;

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn skipped_files_are_named_with_a_reason_and_fail_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input");
    std::fs::create_dir_all(input.join("nested")).unwrap();
    std::fs::write(input.join("good.json"), GOOD).unwrap();
    std::fs::write(input.join("empty.pb"), b"").unwrap();
    std::fs::write(input.join("nested/empty.json"), b"").unwrap();
    std::fs::write(input.join("corrupt.json"), br#"{"resourceSpans": ["#).unwrap();
    std::fs::write(input.join("README.md"), "# not a trace\n").unwrap();
    let store = dir.path().join("store.db");
    let store = store.to_str().unwrap();
    let input = input.to_str().unwrap();

    let output = cli(&["ingest", input, "--store", store]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "stderr: {err}");
    let line = |name: &str| {
        err.lines()
            .find(|line| line.starts_with("skipped: ") && line.contains(name))
            .unwrap_or_else(|| panic!("no skipped line for {name} in: {err}"))
            .to_owned()
    };
    assert!(line("empty.pb").ends_with(": empty file"), "{err}");
    assert!(line(&format!("nested{}empty.json", std::path::MAIN_SEPARATOR)).ends_with(": empty file"), "{err}");
    assert!(line("corrupt.json").contains(": not valid JSON: EOF while parsing"), "{err}");
    assert!(!err.contains("README.md"), "{err}");
    assert!(!err.contains("good.json"), "{err}");
    assert_eq!(err.lines().filter(|l| l.starts_with("skipped: ")).count(), 3, "{err}");
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(out.contains("ingested 2 spans") && out.contains("3 files skipped"), "{out}");

    // The good file's spans are in the store.
    let traces = cli_json(&["traces", "--store", store, "--json"]);
    let traces = traces.as_array().expect("trace list");
    assert_eq!(traces.len(), 1, "{traces:?}");
    assert_eq!(traces[0]["trace_id"], "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a");
    assert_eq!(traces[0]["span_count"].as_u64().or_else(|| traces[0]["spans"].as_u64()), Some(2), "{traces:?}");

    // The JSON report: the same, with the reasons; ingesting again is idempotent.
    let output = cli(&["ingest", input, "--store", store, "--json"]);
    assert_eq!(output.status.code(), Some(2), "stderr: {}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    assert_eq!(report["skipped_files"], 3);
    assert_eq!(report["failed_files"], 0);
    assert_eq!(
        (report["spans"].as_u64(), report["traces"].as_u64(), report["rejected"].as_u64()),
        (Some(2), Some(1), Some(0))
    );
    let files = report["files"].as_array().expect("files");
    assert_eq!(files.len(), 4, "{files:?}");
    let file = |name: &str| files.iter().find(|f| f["path"].as_str().is_some_and(|p| p.ends_with(name))).cloned();
    assert_eq!(file("empty.pb").map(|f| f["skipped"].clone()), Some(serde_json::json!("empty file")));
    assert!(
        file("corrupt.json")
            .and_then(|f| f["skipped"].as_str().map(str::to_owned))
            .is_some_and(|r| r.starts_with("not valid JSON"))
    );
    let good = file("good.json").expect("good.json in the report");
    assert_eq!((good["spans"].as_u64(), good["skipped"].is_null(), good["error"].is_null()), (Some(2), true, true));
    assert!(files.iter().all(|f| !f["path"].as_str().unwrap_or("").ends_with("README.md")));

    // Named on the command line, a corrupt file is an error that says why; an empty one is skipped.
    let corrupt = format!("{input}/corrupt.json");
    let output = cli(&["ingest", &corrupt, "--store", store]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("error: ") && stderr(&output).contains("not valid JSON"), "{}", stderr(&output));
    let output = cli(&["ingest", &format!("{input}/empty.pb"), "--store", store]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("empty.pb: empty file"), "{}", stderr(&output));
}

#[test]
fn a_clean_directory_exits_zero_and_rejections_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input");
    std::fs::create_dir_all(&input).unwrap();
    std::fs::write(input.join("good.json"), GOOD).unwrap();
    std::fs::write(input.join("notes.txt"), "not considered").unwrap();
    let store = dir.path().join("store.db");
    let output = cli(&["ingest", input.to_str().unwrap(), "--store", store.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    assert!(!stderr(&output).contains("skipped"), "{}", stderr(&output));

    // One span of two has an all-zero trace id: rejected, counted, named; the run still succeeds.
    let partial = GOOD.replacen("5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a", "00000000000000000000000000000000", 1);
    std::fs::write(input.join("partial.json"), partial).unwrap();
    let output = cli(&["ingest", input.to_str().unwrap(), "--store", store.to_str().unwrap()]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "stderr: {err}");
    assert!(
        err.lines().any(|l| l.starts_with("rejected: ") && l.contains("partial.json") && l.contains("1 of 2")),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("traceId"), "{}", String::from_utf8_lossy(&output.stdout));
}

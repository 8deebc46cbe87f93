//! The outcome of an eval run: per case, every scorer's verdict; printed as a table, written as
//! JUnit XML for CI, and summarised in the exit code (1 when any case fails).

use crate::scorers::Score;
use rootspan_replay::ReplaySummary;
use serde::Serialize;

/// The outcome of one case.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    pub id: String,
    pub version: u32,
    pub passed: bool,
    pub scores: Vec<Score>,
    /// Why the case could not be run or scored (the case then fails).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What replay did, when the case ran against a replay server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replay: Option<ReplaySummary>,
    pub output: String,
    pub duration_ms: u64,
    /// The issue the case guards, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issue_id: Option<String>,
}

/// The outcome of a run of cases.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    pub cases: Vec<CaseResult>,
    pub passed: usize,
    pub failed: usize,
}

impl EvalReport {
    pub fn new(cases: Vec<CaseResult>) -> EvalReport {
        let passed = cases.iter().filter(|c| c.passed).count();
        EvalReport { failed: cases.len() - passed, passed, cases }
    }

    /// A plain-text table: one line per scorer, grouped by case.
    pub fn table(&self) -> String {
        let mut out = String::new();
        for case in &self.cases {
            out.push_str(&format!(
                "{} {} (v{}, {} ms)\n",
                if case.passed { "PASS" } else { "FAIL" },
                case.id,
                case.version,
                case.duration_ms
            ));
            if let Some(error) = &case.error {
                out.push_str(&format!("    error: {error}\n"));
            }
            for score in &case.scores {
                out.push_str(&format!(
                    "    {} {}: {}\n",
                    if score.passed { "ok  " } else { "fail" },
                    score.scorer,
                    score.detail
                ));
            }
        }
        out.push_str(&format!("{} passed, {} failed, {} cases\n", self.passed, self.failed, self.cases.len()));
        out
    }

    /// JUnit XML: one testsuite, one testcase per case, a failure element with every failed
    /// scorer's detail.
    pub fn junit(&self) -> String {
        let total_ms: u64 = self.cases.iter().map(|c| c.duration_ms).sum();
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        out.push_str(&format!(
            "<testsuites name=\"rootspan eval\" tests=\"{}\" failures=\"{}\" time=\"{:.3}\">\n",
            self.cases.len(),
            self.failed,
            total_ms as f64 / 1000.0
        ));
        out.push_str(&format!(
            "  <testsuite name=\"rootspan eval\" tests=\"{}\" failures=\"{}\" errors=\"0\" time=\"{:.3}\">\n",
            self.cases.len(),
            self.failed,
            total_ms as f64 / 1000.0
        ));
        for case in &self.cases {
            out.push_str(&format!(
                "    <testcase classname=\"rootspan.eval\" name=\"{}\" time=\"{:.3}\"",
                xml_escape(&case.id),
                case.duration_ms as f64 / 1000.0
            ));
            if case.passed {
                out.push_str("/>\n");
                continue;
            }
            let mut lines: Vec<String> = case.error.iter().cloned().collect();
            lines.extend(case.scores.iter().filter(|s| !s.passed).map(|s| format!("{}: {}", s.scorer, s.detail)));
            let message = lines.first().cloned().unwrap_or_else(|| "failed".into());
            out.push_str(&format!(
                ">\n      <failure message=\"{}\" type=\"eval\">{}</failure>\n    </testcase>\n",
                xml_escape(&message),
                xml_escape(&lines.join("\n"))
            ));
        }
        out.push_str("  </testsuite>\n</testsuites>\n");
        out
    }
}

/// Escapes text for XML attributes and content; drops characters XML 1.0 cannot hold.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

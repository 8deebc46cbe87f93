//! An eval case on disk: `DIR/<id>/case.json` (reviewed and versioned like code) and, beside it,
//! the recording it replays (`recording.jsonl`). Documented in `docs/evals.md`.

use crate::scorers::Scorer;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The version of the case format this build reads and writes.
pub const CASE_FORMAT: u32 = 1;
/// The file name of a case in its directory.
pub const CASE_FILE: &str = "case.json";
/// The file name of a case's recording in its directory.
pub const RECORDING_FILE: &str = "recording.jsonl";

/// Where a case came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Origin {
    pub trace_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_mode: Option<String>,
    /// The issue (failure signature id) the case guards against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// The first faulty span of the diagnosis (hex id) and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_cause_span_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_cause: Option<String>,
}

/// What a good run does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Expected {
    /// The expected answer, when one is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    /// Failure modes the run must not show.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forbidden_failure_modes: Vec<String>,
    /// Tools the run must call, in this order (other calls may come between).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required_tools: Vec<String>,
    /// Tools the run must not call.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forbidden_tools: Vec<String>,
    /// A JSON Schema the output (parsed as JSON) must satisfy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<serde_json::Value>,
}

/// How a case is run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// The agent to run (program and arguments). Empty: the recorded run itself is scored.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// `replay` (the agent talks to a replay server of the recording) or `live`.
    #[serde(default = "default_mode")]
    pub mode: String,
    /// Working directory of the command, relative to the case directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    /// Seconds before the command is killed.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// Replay tolerance (share of a text that may differ).
    #[serde(default)]
    pub tolerance: f64,
}

impl Default for Target {
    fn default() -> Self {
        Target {
            command: Vec::new(),
            mode: default_mode(),
            working_dir: None,
            timeout_secs: default_timeout(),
            tolerance: 0.0,
        }
    }
}

fn default_mode() -> String {
    "replay".into()
}

fn default_timeout() -> u64 {
    120
}

/// One eval case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalCase {
    pub rootspan_eval: u32,
    pub id: String,
    /// The case's own revision; bump it when the expectations change.
    #[serde(default = "one")]
    pub version: u32,
    #[serde(default)]
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    /// The user's request.
    #[serde(default)]
    pub input: String,
    /// The recording, relative to the case directory (absent: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<String>,
    #[serde(default)]
    pub expected: Expected,
    pub scorers: Vec<Scorer>,
    #[serde(default)]
    pub target: Target,
}

fn one() -> u32 {
    1
}

/// Why a case could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    #[error("{0}: {1}")]
    Invalid(String, String),
}

/// A case with the directory it was read from.
#[derive(Debug, Clone)]
pub struct LoadedCase {
    pub case: EvalCase,
    pub dir: PathBuf,
}

impl LoadedCase {
    /// The recording's path, if the case has one.
    pub fn recording_path(&self) -> Option<PathBuf> {
        self.case.recording.as_ref().map(|r| self.dir.join(r))
    }
}

impl EvalCase {
    /// The scorers that run: the case's own, then one for each expectation that no scorer
    /// already checks (an expected answer is contained in the output, forbidden failure modes
    /// are not found, required tools come in order, forbidden tools are not called, the output
    /// satisfies the schema).
    pub fn effective_scorers(&self) -> Vec<Scorer> {
        let mut scorers = self.scorers.clone();
        let expected = &self.expected;
        let mut derived = Vec::new();
        if let Some(answer) = &expected.answer
            && !scorers
                .iter()
                .any(|s| matches!(s, Scorer::Exact { .. } | Scorer::Contains { .. } | Scorer::LlmJudge { .. }))
        {
            derived.push(Scorer::Contains { value: answer.clone(), case_sensitive: false });
        }
        if !expected.forbidden_failure_modes.is_empty() {
            derived.push(Scorer::NoFinding { failure_modes: expected.forbidden_failure_modes.clone() });
        }
        if !expected.required_tools.is_empty() {
            derived.push(Scorer::ToolSequence { tools: expected.required_tools.clone(), mode: "subsequence".into() });
        }
        if !expected.forbidden_tools.is_empty() {
            derived.push(Scorer::ToolSequence { tools: expected.forbidden_tools.clone(), mode: "forbidden".into() });
        }
        if let Some(schema) = &expected.output_schema {
            derived.push(Scorer::JsonSchema { schema: schema.clone() });
        }
        for scorer in derived {
            if !scorers.contains(&scorer) {
                scorers.push(scorer);
            }
        }
        scorers
    }

    /// Writes the case (and nothing else) into `dir/case.json`.
    pub fn save(&self, dir: &Path) -> Result<PathBuf, CaseError> {
        std::fs::create_dir_all(dir).map_err(|e| CaseError::Io(dir.display().to_string(), e))?;
        let path = dir.join(CASE_FILE);
        let mut text = serde_json::to_string_pretty(self)
            .map_err(|e| CaseError::Invalid(path.display().to_string(), e.to_string()))?;
        text.push('\n');
        std::fs::write(&path, text).map_err(|e| CaseError::Io(path.display().to_string(), e))?;
        Ok(path)
    }

    /// Reads and checks one `case.json`.
    pub fn load(path: &Path) -> Result<EvalCase, CaseError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| CaseError::Io(name.clone(), e))?;
        let case: EvalCase =
            serde_json::from_str(&text).map_err(|e| CaseError::Invalid(name.clone(), e.to_string()))?;
        if case.rootspan_eval != CASE_FORMAT {
            return Err(CaseError::Invalid(
                name,
                format!("case format {} is not supported (this build reads {CASE_FORMAT})", case.rootspan_eval),
            ));
        }
        if case.effective_scorers().is_empty() {
            return Err(CaseError::Invalid(name, "a case needs at least one scorer or expectation".into()));
        }
        if !["replay", "live"].contains(&case.target.mode.as_str()) {
            return Err(CaseError::Invalid(name, format!("target.mode {:?} is not replay or live", case.target.mode)));
        }
        for scorer in &case.effective_scorers() {
            scorer.check().map_err(|message| CaseError::Invalid(name.clone(), message))?;
        }
        Ok(case)
    }
}

/// Every case under a directory: `DIR/case.json` itself, or `DIR/*/case.json`, by path order.
pub fn discover(dir: &Path) -> Result<Vec<LoadedCase>, CaseError> {
    let direct = dir.join(CASE_FILE);
    if direct.is_file() {
        return Ok(vec![LoadedCase { case: EvalCase::load(&direct)?, dir: dir.to_path_buf() }]);
    }
    let entries = std::fs::read_dir(dir).map_err(|e| CaseError::Io(dir.display().to_string(), e))?;
    let mut dirs: Vec<PathBuf> =
        entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.join(CASE_FILE).is_file()).collect();
    dirs.sort();
    dirs.into_iter().map(|d| Ok(LoadedCase { case: EvalCase::load(&d.join(CASE_FILE))?, dir: d })).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expectations_add_the_scorers_that_check_them_once() {
        let text = r#"{"rootspan_eval": 1, "id": "c", "scorers": [{"type": "no_finding", "failure_modes": ["retry_loop"]}],
            "expected": {"answer": "129", "forbidden_failure_modes": ["retry_loop"], "required_tools": ["get_order"],
                         "forbidden_tools": ["delete_order"], "output_schema": {"type": "string"}}}"#;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CASE_FILE);
        std::fs::write(&path, text).unwrap();
        let case = EvalCase::load(&path).unwrap();
        assert_eq!(case.target.mode, "replay", "the default target");
        let names: Vec<String> = case.effective_scorers().iter().map(Scorer::name).collect();
        assert_eq!(
            names,
            vec![
                "no_finding",
                "contains \"129\"",
                "tool_sequence (subsequence)",
                "tool_sequence (forbidden)",
                "json_schema"
            ],
            "the no_finding of the forbidden mode is not added twice"
        );
        std::fs::write(&path, r#"{"rootspan_eval": 1, "id": "c", "scorers": []}"#).unwrap();
        assert!(EvalCase::load(&path).unwrap_err().to_string().contains("at least one scorer"));
        std::fs::write(&path, r#"{"rootspan_eval": 2, "id": "c", "scorers": []}"#).unwrap();
        assert!(EvalCase::load(&path).unwrap_err().to_string().contains("case format 2"));
    }
}

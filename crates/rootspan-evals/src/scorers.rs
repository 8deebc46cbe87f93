//! The scorers of an eval case. Each scores one [`RunOutput`] and says why it passed or failed.
//! All are deterministic except `llm_judge`, which asks an OpenAI-compatible endpoint through the
//! [`Judge`] the caller provides (the CLI's HTTP client).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What one run of an agent produced.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunOutput {
    /// The final answer.
    pub output: String,
    /// The tools called, in order.
    pub tools: Vec<String>,
    /// Failure modes the detectors found in the run's trace (`none` is never listed).
    pub failure_modes: Vec<String>,
    /// Whether the run's trace was available to the detectors.
    pub traced: bool,
}

/// One scorer; `type` names it in `case.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Scorer {
    /// The output equals `value` (whitespace at the ends ignored).
    Exact { value: String },
    /// The output contains `value` (`case_sensitive` false by default).
    Contains {
        value: String,
        #[serde(default)]
        case_sensitive: bool,
    },
    /// The output does not contain `value`.
    NotContains {
        value: String,
        #[serde(default)]
        case_sensitive: bool,
    },
    /// The output matches the regular expression.
    Regex { pattern: String },
    /// The output, parsed as JSON, satisfies the schema.
    JsonSchema { schema: Value },
    /// The tools called: `exact` the same list, `subsequence` these in order with others between,
    /// `forbidden` none of these.
    ToolSequence {
        tools: Vec<String>,
        #[serde(default = "subsequence")]
        mode: String,
    },
    /// No detector finds a failure in the run (or none of `failure_modes`, when given).
    NoFinding {
        #[serde(default)]
        failure_modes: Vec<String>,
    },
    /// A number in the output (the first, or the first capture of `pattern`) is within
    /// `tolerance` of `expected`.
    Numeric {
        expected: f64,
        #[serde(default)]
        tolerance: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pattern: Option<String>,
    },
    /// An LLM judges the output against `criteria` and answers PASS or FAIL.
    LlmJudge {
        criteria: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        model: Option<String>,
    },
}

fn subsequence() -> String {
    "subsequence".into()
}

/// Asks a model; implemented by the caller (an HTTP client for an OpenAI-compatible endpoint).
pub trait Judge {
    /// The model's answer to a prompt.
    fn ask(&self, model: Option<&str>, prompt: &str) -> Result<String, String>;
}

/// The result of one scorer.
#[derive(Debug, Clone, Serialize)]
pub struct Score {
    pub scorer: String,
    pub passed: bool,
    pub detail: String,
}

fn first_number(text: &str, pattern: Option<&str>) -> Result<Option<f64>, String> {
    let number = regex::Regex::new(r"-?\d+(?:[.,]\d+)*(?:\.\d+)?").map_err(|e| e.to_string())?;
    let source = match pattern {
        Some(pattern) => {
            let regex = regex::Regex::new(pattern).map_err(|e| format!("numeric pattern: {e}"))?;
            match regex.captures(text) {
                Some(captures) => captures.get(1).or_else(|| captures.get(0)).map_or("", |m| m.as_str()).to_owned(),
                None => return Ok(None),
            }
        }
        None => text.to_owned(),
    };
    Ok(number.find(&source).and_then(|m| m.as_str().replace(',', "").parse().ok()))
}

fn is_subsequence(wanted: &[String], got: &[String]) -> bool {
    let mut iter = got.iter();
    wanted.iter().all(|w| iter.any(|g| g == w))
}

impl Scorer {
    /// The scorer's name in reports.
    pub fn name(&self) -> String {
        match self {
            Scorer::Exact { .. } => "exact".into(),
            Scorer::Contains { value, .. } => format!("contains {value:?}"),
            Scorer::NotContains { value, .. } => format!("not_contains {value:?}"),
            Scorer::Regex { pattern } => format!("regex {pattern:?}"),
            Scorer::JsonSchema { .. } => "json_schema".into(),
            Scorer::ToolSequence { mode, .. } => format!("tool_sequence ({mode})"),
            Scorer::NoFinding { .. } => "no_finding".into(),
            Scorer::Numeric { expected, .. } => format!("numeric {expected}"),
            Scorer::LlmJudge { .. } => "llm_judge".into(),
        }
    }

    /// Checks the scorer's own settings (a regex compiles, a schema is a schema, a mode exists).
    pub fn check(&self) -> Result<(), String> {
        match self {
            Scorer::Regex { pattern } => {
                regex::Regex::new(pattern).map(|_| ()).map_err(|e| format!("scorer regex: {e}"))
            }
            Scorer::Numeric { pattern: Some(pattern), .. } => {
                regex::Regex::new(pattern).map(|_| ()).map_err(|e| format!("scorer numeric pattern: {e}"))
            }
            Scorer::JsonSchema { schema } => {
                jsonschema::validator_for(schema).map(|_| ()).map_err(|e| format!("scorer json_schema: {e}"))
            }
            Scorer::ToolSequence { mode, .. } if !["exact", "subsequence", "forbidden"].contains(&mode.as_str()) => {
                Err(format!("scorer tool_sequence: mode {mode:?} is not exact, subsequence or forbidden"))
            }
            _ => Ok(()),
        }
    }

    /// Scores one run.
    pub fn score(&self, run: &RunOutput, judge: Option<&dyn Judge>) -> Score {
        let output = run.output.trim();
        let (passed, detail) = match self {
            Scorer::Exact { value } => {
                (output == value.trim(), format!("expected {:?}, got {:?}", value.trim(), clip(output)))
            }
            Scorer::Contains { value, case_sensitive } | Scorer::NotContains { value, case_sensitive } => {
                let found = if *case_sensitive {
                    output.contains(value.as_str())
                } else {
                    output.to_lowercase().contains(&value.to_lowercase())
                };
                let wanted = matches!(self, Scorer::Contains { .. });
                (
                    found == wanted,
                    format!("{:?} {} in {:?}", value, if found { "found" } else { "not found" }, clip(output)),
                )
            }
            Scorer::Regex { pattern } => match regex::Regex::new(pattern) {
                Ok(regex) => (regex.is_match(output), format!("/{pattern}/ against {:?}", clip(output))),
                Err(e) => (false, format!("invalid regex: {e}")),
            },
            Scorer::JsonSchema { schema } => {
                match (jsonschema::validator_for(schema), serde_json::from_str::<Value>(output)) {
                    (Err(e), _) => (false, format!("invalid schema: {e}")),
                    (_, Err(e)) => (false, format!("the output is not JSON: {e}")),
                    (Ok(validator), Ok(value)) => {
                        let errors: Vec<String> =
                            validator.iter_errors(&value).map(|e| format!("{} at {}", e, e.instance_path())).collect();
                        (errors.is_empty(), if errors.is_empty() { "valid".into() } else { errors.join("; ") })
                    }
                }
            }
            Scorer::ToolSequence { tools, mode } => {
                let passed = match mode.as_str() {
                    "exact" => &run.tools == tools,
                    "forbidden" => !run.tools.iter().any(|t| tools.contains(t)),
                    _ => is_subsequence(tools, &run.tools),
                };
                (passed, format!("{mode} {tools:?}; called {:?}", run.tools))
            }
            Scorer::NoFinding { failure_modes } => {
                let found: Vec<&String> = run
                    .failure_modes
                    .iter()
                    .filter(|m| failure_modes.is_empty() || failure_modes.contains(m))
                    .collect();
                if !run.traced {
                    (false, "the run left no trace for the detectors".to_owned())
                } else {
                    (found.is_empty(), if found.is_empty() { "no finding".into() } else { format!("found {found:?}") })
                }
            }
            Scorer::Numeric { expected, tolerance, pattern } => match first_number(output, pattern.as_deref()) {
                Ok(Some(number)) => {
                    ((number - expected).abs() <= *tolerance, format!("{number} against {expected} ± {tolerance}"))
                }
                Ok(None) => (false, format!("no number in {:?}", clip(output))),
                Err(e) => (false, e),
            },
            Scorer::LlmJudge { criteria, model } => match judge {
                None => (false, "no judge endpoint configured (--judge-url)".to_owned()),
                Some(judge) => {
                    let prompt = format!(
                        "You grade an AI agent's answer.\nCriteria: {criteria}\nAnswer:\n{output}\n\nReply with PASS or FAIL on the first line, then one sentence why."
                    );
                    match judge.ask(model.as_deref(), &prompt) {
                        Ok(reply) => {
                            let verdict = reply.trim_start().to_ascii_uppercase();
                            (verdict.starts_with("PASS"), format!("judge: {}", clip(reply.trim())))
                        }
                        Err(e) => (false, format!("judge failed: {e}")),
                    }
                }
            },
        };
        Score { scorer: self.name(), passed, detail }
    }
}

fn clip(text: &str) -> String {
    if text.chars().count() <= 120 {
        return text.to_owned();
    }
    let cut: String = text.chars().take(117).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(output: &str, tools: &[&str]) -> RunOutput {
        RunOutput {
            output: output.into(),
            tools: tools.iter().map(|t| (*t).to_owned()).collect(),
            failure_modes: vec![],
            traced: true,
        }
    }

    #[test]
    fn each_scorer_passes_and_fails() {
        let good = run(r#"{"refund": 129.0, "order": "A1003"}"#, &["get_order", "refund_order"]);
        let cases: Vec<(Scorer, bool)> = vec![
            (Scorer::Contains { value: "a1003".into(), case_sensitive: false }, true),
            (Scorer::Contains { value: "a1003".into(), case_sensitive: true }, false),
            (Scorer::NotContains { value: "A1002".into(), case_sensitive: false }, true),
            (Scorer::Regex { pattern: r#""refund":\s*\d+"#.into() }, true),
            (Scorer::Numeric { expected: 129.0, tolerance: 0.01, pattern: None }, true),
            (Scorer::Numeric { expected: 100.0, tolerance: 1.0, pattern: None }, false),
            (Scorer::ToolSequence { tools: vec!["refund_order".into()], mode: "subsequence".into() }, true),
            (
                Scorer::ToolSequence {
                    tools: vec!["refund_order".into(), "get_order".into()],
                    mode: "subsequence".into(),
                },
                false,
            ),
            (Scorer::ToolSequence { tools: vec!["refund_order".into()], mode: "forbidden".into() }, false),
            (
                Scorer::JsonSchema {
                    schema: serde_json::json!({"type": "object", "required": ["refund"], "properties": {"refund": {"type": "number"}}}),
                },
                true,
            ),
            (Scorer::JsonSchema { schema: serde_json::json!({"type": "object", "required": ["reason"]}) }, false),
            (Scorer::NoFinding { failure_modes: vec![] }, true),
            (Scorer::Exact { value: "x".into() }, false),
        ];
        for (scorer, expected) in cases {
            let score = scorer.score(&good, None);
            assert_eq!(score.passed, expected, "{} → {}", score.scorer, score.detail);
        }
        let failed = RunOutput { failure_modes: vec!["tool_error_ignored".into()], ..good };
        assert!(!Scorer::NoFinding { failure_modes: vec![] }.score(&failed, None).passed);
        assert!(Scorer::NoFinding { failure_modes: vec!["retry_loop".into()] }.score(&failed, None).passed);
        assert!(Scorer::Regex { pattern: "(".into() }.check().is_err());
    }
}

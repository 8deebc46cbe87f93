//! Prevention: a diagnosed failure becomes an eval case in CI, and each failure signature is an
//! issue that is active, resolved or regressed.
//!
//! - [`case`]: the eval case on disk (`DIR/<id>/case.json` and its recording);
//! - [`scorers`]: exact, contains, regex, JSON Schema, tool sequence, no detector finding,
//!   numeric tolerance, LLM judge;
//! - [`report`]: the table, JUnit XML and pass/fail of a run;
//! - [`issues`]: the lifecycle of failure issues from the append-only issue log.
//!
//! ```
//! use rootspan_evals::scorers::{RunOutput, Scorer};
//! let run = RunOutput { output: "Refunded 129.00 USD".into(), tools: vec!["refund_order".into()], failure_modes: vec![], traced: true };
//! let score = Scorer::Numeric { expected: 129.0, tolerance: 0.005, pattern: None }.score(&run, None);
//! assert!(score.passed, "{}", score.detail);
//! ```

pub mod case;
pub mod issues;
pub mod report;
pub mod scorers;

pub use case::{EvalCase, Expected, LoadedCase, Origin, Target};
pub use report::{CaseResult, EvalReport};
pub use scorers::{Judge, RunOutput, Score, Scorer};

//! Pure analyses over traces: failure-mode detectors, root-cause localisation, the seed's
//! analysis techniques, trace diff and failure clustering.
//!
//! Pure and synchronous: no IO, no clock, no randomness. CLI, REST, web UI and MCP all call these
//! functions, so they cannot disagree.

pub mod analyze;
pub mod attribution;
pub mod benchmarks;
pub mod cluster;
pub mod detectors;
pub mod diagnose;
pub mod diagnosis;
pub mod diff;
pub mod evaluation;
pub mod sessions;
pub mod taxonomy;
pub mod techniques;
pub mod text;
pub mod view;

pub use analyze::{Analysis, AnalyzeOptions, analyze};
pub use diagnose::{DiagnoseOptions, diagnose};
pub use diagnosis::{Blame, ChainLink, Diagnosis, Finding, RootCause, Severity};

//! Pure analyses over traces: failure-mode detectors, root-cause localisation, the seed's
//! analysis techniques, trace diff and failure clustering.
//!
//! Pure and synchronous: no IO, no clock, no randomness. CLI, REST, web UI and MCP all call these
//! functions, so they cannot disagree.

pub mod diagnosis;

pub use diagnosis::{Diagnosis, Finding, RootCause, Severity};

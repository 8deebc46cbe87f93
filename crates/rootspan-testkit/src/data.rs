//! Where the shared evaluation data and the project's fixtures are.
//!
//! The evaluation data sets live outside the repository (they are read in place and never copied
//! in). Tests that need them call [`require_data`]: locally a missing data set skips the test with
//! a note on stderr; under CI (`CI=true` or `CI=1`) it fails the test, so a misconfigured CI job
//! cannot pass by silently skipping every data test.

use std::path::{Path, PathBuf};

/// The workspace root (the directory of the root `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    // crates/rootspan-testkit -> crates -> the workspace root.
    manifest.ancestors().nth(2).unwrap_or(manifest).to_path_buf()
}

/// The project's own test inputs: `<workspace root>/fixtures`.
pub fn fixtures_dir() -> PathBuf {
    workspace_root().join("fixtures")
}

/// The root of the shared evaluation data: `ROOTSPAN_SHARED_DATA`, else `ROOTSPAN_DATA`, else
/// `shared/data` beside the checkout (`<workspace root>/../shared/data`).
pub fn shared_data() -> PathBuf {
    for variable in ["ROOTSPAN_SHARED_DATA", "ROOTSPAN_DATA"] {
        if let Some(value) = std::env::var_os(variable).filter(|value| !value.is_empty()) {
            return PathBuf::from(value);
        }
    }
    let root = workspace_root();
    root.parent().unwrap_or(&root).join("shared").join("data")
}

/// Whether the tests run under CI: `CI` is `true` or `1` (as GitHub Actions, GitLab and most
/// CI services set it).
pub fn running_in_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| matches!(value.trim().to_ascii_lowercase().as_str(), "true" | "1"))
}

/// `relative` under [`shared_data`] when it exists. When it does not: panics under CI
/// ([`running_in_ci`]), otherwise prints `skipping: ... not found` to stderr and returns `None`,
/// so the caller returns early.
///
/// ```no_run
/// let Some(dir) = rootspan_testkit::require_data("otel-clients") else { return };
/// assert!(dir.join("ground_truth.json").exists());
/// ```
pub fn require_data(relative: &str) -> Option<PathBuf> {
    let path = shared_data().join(relative);
    if path.exists() {
        return Some(path);
    }
    let hint = "set ROOTSPAN_SHARED_DATA to the shared data directory";
    if running_in_ci() {
        panic!("shared test data {} not found under CI ({hint})", path.display());
    }
    eprintln!("skipping: {} not found ({hint})", path.display());
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspace_root_holds_the_workspace_manifest() {
        let manifest = std::fs::read_to_string(workspace_root().join("Cargo.toml")).expect("root Cargo.toml");
        assert!(manifest.contains("[workspace]"));
        assert_eq!(fixtures_dir(), workspace_root().join("fixtures"));
    }
}

//! The ClickHouse that tests and benchmarks run against: `ROOTSPAN_CLICKHOUSE_URI` when it is
//! set (CI exports it after `scripts/clickhouse-test-server start`), otherwise a server this
//! process starts once with that script (it ends when the process ends). Each caller gets a
//! database of its own on it, so tests run in parallel on one server.

use crate::ClickHouseConfig;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// The environment variable naming the ClickHouse to test against.
pub const URI_ENV: &str = "ROOTSPAN_CLICKHOUSE_URI";

/// The repository's `scripts/clickhouse-test-server`.
pub fn script() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/clickhouse-test-server")
}

fn start_with_script() -> Result<String, String> {
    let dir = std::env::temp_dir().join(format!("rootspan-clickhouse-test-{}", std::process::id()));
    let output = std::process::Command::new("bash")
        .arg(script())
        .arg("start")
        .arg(&dir)
        .env("CLICKHOUSE_TEST_SERVER_OWNER_PID", std::process::id().to_string())
        .env("CLICKHOUSE_TEST_SERVER_CLEANUP", "1")
        .output()
        .map_err(|e| format!("running {}: {e}", script().display()))?;
    if !output.status.success() {
        return Err(format!("{} start failed: {}", script().display(), String::from_utf8_lossy(&output.stderr).trim()));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .rev()
        .find(|line| line.starts_with("clickhouse://"))
        .map(str::to_owned)
        .ok_or_else(|| "the script printed no clickhouse:// URI".to_owned())
}

/// The URI of the test ClickHouse, or why there is none.
pub fn uri() -> Result<String, String> {
    static URI: OnceLock<Result<String, String>> = OnceLock::new();
    URI.get_or_init(|| match std::env::var(URI_ENV) {
        Ok(uri) if !uri.is_empty() => Ok(uri),
        _ => start_with_script(),
    })
    .clone()
}

/// A fresh database on the test ClickHouse, as a location; `None` (after a loud message on
/// stderr) only when `ROOTSPAN_CLICKHOUSE_URI` is unset and the script cannot start a server
/// outside CI. In CI (`CI` set) that is a failure instead.
pub fn fresh(label: &str) -> Option<ClickHouseConfig> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let uri = match uri() {
        Ok(uri) => uri,
        Err(why) => {
            if std::env::var_os("CI").is_some() || std::env::var_os(URI_ENV).is_some() {
                panic!("no ClickHouse to test against: {why}");
            }
            eprintln!(
                "\n*** SKIPPED: no ClickHouse to test against ({why}); set {URI_ENV} or make the script work ***\n"
            );
            return None;
        }
    };
    let base = ClickHouseConfig::parse(&uri).unwrap_or_else(|e| panic!("{URI_ENV}: {e}"));
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let name = format!(
        "t_{label}_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos % 1_000_000_007
    );
    Some(base.with_database(&name))
}

/// The `--store` URI of a config, password included (for child processes of tests).
pub fn store_uri(config: &ClickHouseConfig) -> String {
    let password = if config.password.is_empty() {
        String::new()
    } else {
        format!(":{}", percent_encoding::utf8_percent_encode(&config.password, percent_encoding::NON_ALPHANUMERIC))
    };
    format!("clickhouse://{}{password}@{}:{}/{}", config.user, config.host, config.port, config.database)
}

//! The ClickHouse HTTP interface: one pooled, synchronous client. SQL text is always a fixed
//! string of this crate; every value travels as a query parameter (`{name:Type}` in the SQL,
//! `param_name=` in the URL), so nothing a caller sends is ever parsed as SQL.
//!
//! Errors name the server (`host:port`) and ClickHouse's own message, never the password.

use crate::config::ClickHouseConfig;
use rootspan_store::{StoreError, StoreErrorKind, StoreResult};
use std::time::Duration;

/// A query parameter: its name (as in `{name:Type}`) and its value in ClickHouse's escaped
/// text form (see [`Param`]'s constructors).
pub struct Param {
    name: &'static str,
    value: String,
}

/// ClickHouse parses parameter values in its escaped (TSV) text format: backslash, tab and
/// newline must be escaped, and nothing else is interpreted.
fn escape_tsv(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c => out.push(c),
        }
    }
    out
}

impl Param {
    /// A `String` parameter.
    pub fn str(name: &'static str, value: &str) -> Param {
        Param { name, value: escape_tsv(value) }
    }

    /// A `UInt64` parameter.
    pub fn u64(name: &'static str, value: u64) -> Param {
        Param { name, value: value.to_string() }
    }

    /// A hex `String` parameter (ids: compared as `unhex({name:String})`).
    pub fn hex(name: &'static str, bytes: &[u8]) -> Param {
        Param { name, value: hex::encode(bytes) }
    }

    /// An `Array(String)` of hex ids.
    pub fn hex_array<'a>(name: &'static str, ids: impl IntoIterator<Item = &'a [u8]>) -> Param {
        let items: Vec<String> = ids.into_iter().map(|id| format!("'{}'", hex::encode(id))).collect();
        Param { name, value: format!("[{}]", items.join(",")) }
    }
}

/// `ROOTSPAN_CLICKHOUSE_TIMINGS=1` prints the time of every round trip to stderr.
static TIMINGS: std::sync::LazyLock<bool> =
    std::sync::LazyLock::new(|| std::env::var_os("ROOTSPAN_CLICKHOUSE_TIMINGS").is_some_and(|v| v == "1"));

/// A client of one ClickHouse server and database.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    server: String,
    user: String,
    password: String,
    database: String,
}

impl Client {
    pub fn new(config: &ClickHouseConfig) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_global(Some(Duration::from_secs(600)))
            .max_idle_connections_per_host(16)
            .build()
            .into();
        let host = if config.host.contains(':') && !config.host.starts_with('[') {
            format!("[{}]", config.host)
        } else {
            config.host.clone()
        };
        Client {
            agent,
            base: format!("http://{host}:{}/", config.port),
            server: format!("{host}:{}", config.port),
            user: config.user.clone(),
            password: config.password.clone(),
            database: config.database.clone(),
        }
    }

    /// The same server and credentials, another database (for `CREATE DATABASE`).
    pub fn database(&self) -> &str {
        &self.database
    }

    /// Runs a statement with no result (DDL, `INSERT ... SELECT`).
    pub fn execute(&self, sql: &str, params: &[Param]) -> StoreResult<()> {
        self.run(sql, params, None, true).map(|_| ())
    }

    /// Runs a statement against the `default` database (creating the store's own database).
    pub fn execute_outside(&self, sql: &str) -> StoreResult<()> {
        self.run(sql, &[], None, false).map(|_| ())
    }

    /// Runs a `SELECT ... FORMAT RowBinary` and returns the answer's bytes.
    pub fn select(&self, sql: &str, params: &[Param]) -> StoreResult<Vec<u8>> {
        self.run(sql, params, None, true)
    }

    /// Inserts a RowBinary body: `sql` is `INSERT INTO t (columns) FORMAT RowBinary`.
    pub fn insert(&self, sql: &str, body: &[u8]) -> StoreResult<()> {
        self.run(sql, &[], Some(body), true).map(|_| ())
    }

    fn run(&self, sql: &str, params: &[Param], data: Option<&[u8]>, in_database: bool) -> StoreResult<Vec<u8>> {
        let started = std::time::Instant::now();
        let result = self.round_trip(sql, params, data, in_database);
        if *TIMINGS {
            // The SQL text is this crate's own (values travel as parameters): safe to print.
            let head: String = sql.split_whitespace().take(6).collect::<Vec<_>>().join(" ");
            eprintln!(
                "clickhouse: {:>8.2} ms  {} B in  {head}",
                started.elapsed().as_secs_f64() * 1e3,
                data.map_or(0, <[u8]>::len)
            );
        }
        result
    }

    fn round_trip(&self, sql: &str, params: &[Param], data: Option<&[u8]>, in_database: bool) -> StoreResult<Vec<u8>> {
        let mut request = self
            .agent
            .post(&self.base)
            .header("X-ClickHouse-User", &self.user)
            .header("X-ClickHouse-Format", "RowBinary");
        if !self.password.is_empty() {
            request = request.header("X-ClickHouse-Key", &self.password);
        }
        if in_database {
            request = request.query("database", &self.database);
        }
        for param in params {
            request = request.query(format!("param_{}", param.name), &param.value);
        }
        // A query goes in the body; an insert's query goes in the URL and its rows in the body.
        let result = match data {
            Some(rows) => request.query("query", sql).send(rows),
            None => request.send(sql.as_bytes()),
        };
        let mut response = result.map_err(|error| self.transport(error))?;
        let status = response.status().as_u16();
        let body =
            response.body_mut().with_config().limit(u64::MAX).read_to_vec().map_err(|error| self.transport(error))?;
        if status == 200 {
            return Ok(body);
        }
        Err(self.server_error(status, &body))
    }

    fn transport(&self, error: ureq::Error) -> StoreError {
        let kind = match &error {
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => StoreErrorKind::Open,
            ureq::Error::ConnectionFailed | ureq::Error::HostNotFound => StoreErrorKind::Open,
            ureq::Error::Timeout(_) => StoreErrorKind::Busy,
            _ => StoreErrorKind::Backend,
        };
        StoreError::new(kind, format!("ClickHouse at {}: {}", self.server, describe(&error)))
    }

    fn server_error(&self, status: u16, body: &[u8]) -> StoreError {
        let mut text = String::from_utf8_lossy(body).trim().to_owned();
        if !self.password.is_empty() {
            text = text.replace(&self.password, "***");
        }
        text.truncate(text.floor_char_boundary(2_000));
        let code = text
            .strip_prefix("Code: ")
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|digits| digits.parse::<u32>().ok());
        let kind = match (status, code) {
            // Authentication, access and unknown database: the store cannot be opened as given.
            (_, Some(516 | 497 | 81 | 192 | 193 | 194)) | (401 | 403, _) => StoreErrorKind::Open,
            // Too many queries or parts, timeouts, memory limits: retry later.
            (_, Some(202 | 203 | 159 | 209 | 210 | 241 | 252 | 425)) | (503, _) => StoreErrorKind::Busy,
            _ => StoreErrorKind::Backend,
        };
        StoreError::new(kind, format!("ClickHouse at {} answered HTTP {status}: {text}", self.server))
    }
}

/// A transport error in words, without the request URL (its query string can be long).
fn describe(error: &ureq::Error) -> String {
    match error {
        ureq::Error::Io(io) => io.to_string(),
        ureq::Error::Timeout(what) => format!("timed out ({what:?})"),
        ureq::Error::HostNotFound => "host not found".to_owned(),
        ureq::Error::ConnectionFailed => "connection failed".to_owned(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_values_are_escaped_for_clickhouse() {
        assert_eq!(Param::str("a", "x\\y\tz\n'q'").value, "x\\\\y\\tz\\n'q'");
        assert_eq!(Param::hex_array("ids", [&[0xab_u8, 1][..]]).value, "['ab01']");
    }

    #[test]
    fn an_unreachable_server_is_an_open_error_without_the_password() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let config =
            ClickHouseConfig::parse_with(&format!("clickhouse://u:topsecret@127.0.0.1:{port}/d"), None).unwrap();
        let error = Client::new(&config).select("SELECT 1 FORMAT RowBinary", &[]).unwrap_err();
        assert_eq!(error.kind, StoreErrorKind::Open, "{}", error.message);
        assert!(!error.message.contains("topsecret"));
        assert!(error.message.contains(&format!("127.0.0.1:{port}")), "{}", error.message);
    }
}

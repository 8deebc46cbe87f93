//! Where the store is: `clickhouse://USER[:PASSWORD]@HOST[:PORT][/DATABASE][?cluster=NAME&retention_days=N]`.
//!
//! The password may come from the URI or, when the URI has none, from the environment variable
//! [`PASSWORD_ENV`]. It is sent in the `X-ClickHouse-Key` header only, and never appears in
//! `Debug` output, [`ClickHouseConfig::display`] or any error message.

use rootspan_store::{StoreError, StoreResult};

/// The environment variable the password is read from when the URI has none.
pub const PASSWORD_ENV: &str = "ROOTSPAN_CLICKHOUSE_PASSWORD";
/// ClickHouse's HTTP port.
pub const DEFAULT_PORT: u16 = 8123;
/// The database when the URI names none.
pub const DEFAULT_DATABASE: &str = "rootspan";
/// How long data is kept when the URI says nothing (days, by ingest time).
pub const DEFAULT_RETENTION_DAYS: u32 = 365;

/// A ClickHouse store location.
#[derive(Clone, PartialEq, Eq)]
pub struct ClickHouseConfig {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    pub database: String,
    /// `ON CLUSTER` name for migrations: replicated local tables under distributed ones.
    pub cluster: Option<String>,
    pub retention_days: u32,
}

impl std::fmt::Debug for ClickHouseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display())
    }
}

/// An identifier used in DDL (database and cluster names): letters, digits and `_`, not
/// starting with a digit, at most 64 characters. Nothing else reaches SQL text.
pub fn valid_identifier(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
}

fn decode(text: &str, what: &str) -> StoreResult<String> {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| StoreError::invalid(format!("the {what} of the ClickHouse URI is not UTF-8 once decoded")))
}

impl ClickHouseConfig {
    /// Parses a `clickhouse://` URI; the password falls back to [`PASSWORD_ENV`].
    pub fn parse(uri: &str) -> StoreResult<ClickHouseConfig> {
        let env = std::env::var(PASSWORD_ENV).ok();
        ClickHouseConfig::parse_with(uri, env.as_deref())
    }

    /// Parses a URI with this fallback password. Errors never repeat the URI (it may hold a
    /// password).
    pub fn parse_with(uri: &str, env_password: Option<&str>) -> StoreResult<ClickHouseConfig> {
        let Some(rest) = uri.strip_prefix("clickhouse://") else {
            return Err(StoreError::invalid("a ClickHouse store URI starts with clickhouse://"));
        };
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, authority),
        };
        let (user, password) = match userinfo {
            Some(info) => match info.split_once(':') {
                Some((user, password)) => (decode(user, "user")?, Some(decode(password, "password")?)),
                None => (decode(info, "user")?, None),
            },
            None => ("default".to_owned(), None),
        };
        let password = password.or(env_password.map(str::to_owned)).unwrap_or_default();
        let (host, port) = match hostport.rsplit_once(':') {
            Some((host, port)) => {
                let port = port.parse::<u16>().map_err(|_| {
                    StoreError::invalid("the port of the ClickHouse URI is not a number from 1 to 65535")
                })?;
                (host.to_owned(), port)
            }
            None => (hostport.to_owned(), DEFAULT_PORT),
        };
        if host.is_empty() || !host.chars().all(|c| c.is_ascii_alphanumeric() || ".-_[]:".contains(c)) {
            return Err(StoreError::invalid("the ClickHouse URI names no valid host"));
        }
        let database = if path.is_empty() { DEFAULT_DATABASE.to_owned() } else { decode(path, "database")? };
        if !valid_identifier(&database) {
            return Err(StoreError::invalid(format!(
                "database {database:?}: use letters, digits and _ (not starting with a digit)"
            )));
        }
        let mut config = ClickHouseConfig {
            host,
            port,
            user,
            password,
            database,
            cluster: None,
            retention_days: DEFAULT_RETENTION_DAYS,
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "cluster" => {
                    if !valid_identifier(value) {
                        return Err(StoreError::invalid("cluster: use letters, digits and _"));
                    }
                    config.cluster = Some(value.to_owned());
                }
                "retention_days" => {
                    config.retention_days = value
                        .parse::<u32>()
                        .ok()
                        .filter(|days| *days > 0)
                        .ok_or_else(|| StoreError::invalid("retention_days: a whole number of days, at least 1"))?;
                }
                other => {
                    return Err(StoreError::invalid(format!(
                        "unknown ClickHouse URI option {other:?} (known: cluster, retention_days)"
                    )));
                }
            }
        }
        Ok(config)
    }

    /// The location without the password, for messages and logs.
    pub fn display(&self) -> String {
        let password = if self.password.is_empty() { "" } else { ":***" };
        format!("clickhouse://{}{password}@{}:{}/{}", self.user, self.host, self.port, self.database)
    }

    /// The same server, another database.
    pub fn with_database(&self, database: &str) -> ClickHouseConfig {
        ClickHouseConfig { database: database.to_owned(), ..self.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_parse() {
        let config = ClickHouseConfig::parse_with("clickhouse://alice:s%40cret@db.example:9000/traces", None).unwrap();
        assert_eq!(
            (config.user.as_str(), config.password.as_str(), config.host.as_str(), config.port),
            ("alice", "s@cret", "db.example", 9000)
        );
        assert_eq!(config.database, "traces");
        let defaults = ClickHouseConfig::parse_with("clickhouse://localhost", Some("fromenv")).unwrap();
        assert_eq!((defaults.user.as_str(), defaults.password.as_str(), defaults.port), ("default", "fromenv", 8123));
        assert_eq!(defaults.database, DEFAULT_DATABASE);
        let options = ClickHouseConfig::parse_with("clickhouse://u@h/db?cluster=main&retention_days=30", None).unwrap();
        assert_eq!((options.cluster.as_deref(), options.retention_days), (Some("main"), 30));
    }

    #[test]
    fn the_password_never_shows() {
        let config = ClickHouseConfig::parse_with("clickhouse://bob:hunter2@h:1/d", None).unwrap();
        assert!(!format!("{config:?}").contains("hunter2"));
        assert!(!config.display().contains("hunter2"));
        for bad in [
            "clickhouse://bob:hunter2@h:99999/d",
            "clickhouse://bob:hunter2@/d",
            "clickhouse://bob:hunter2@h/d;drop",
            "clickhouse://bob:hunter2@h/d?x=1",
            "clickhouse://bob:hunter2@h/d?cluster=a%20b",
        ] {
            let error = ClickHouseConfig::parse_with(bad, None).unwrap_err();
            assert!(!error.message.contains("hunter2"), "{bad}: {}", error.message);
        }
    }
}

//! Opening a store: the only place the CLI picks a concrete backend, and builds the application
//! over it.
//!
//! A store location is a path (an SQLite file) or a URI: `sqlite://PATH`, or
//! `clickhouse://USER[:PASSWORD]@HOST[:PORT]/DATABASE` (the password may instead come from
//! `ROOTSPAN_CLICKHOUSE_PASSWORD`). A ClickHouse location is only ever shown through
//! [`display`], which hides the password.

use anyhow::Context;
use clap::Args as ClapArgs;
use rootspan_app::{App, AppConfig};
use rootspan_store::TraceStore;
use std::path::PathBuf;
use std::sync::Arc;

/// `--store PATH`, shared by every command that reads or writes traces.
#[derive(Debug, Clone, ClapArgs)]
pub struct StoreArgs {
    /// Store location: a SQLite file path, sqlite://PATH, or
    /// clickhouse://USER[:PASSWORD]@HOST:8123/DATABASE (password also from
    /// ROOTSPAN_CLICKHOUSE_PASSWORD) [env: ROOTSPAN_STORE; config: store; default: ./rootspan.db]
    #[arg(long, value_name = "PATH|URI")]
    pub store: Option<String>,
}

impl StoreArgs {
    /// The resolved location: flag > environment > config file > default.
    pub fn location(&self) -> anyhow::Result<String> {
        if let Some(store) = &self.store {
            return Ok(store.clone());
        }
        if let Ok(store) = std::env::var("ROOTSPAN_STORE")
            && !store.is_empty()
        {
            return Ok(store);
        }
        if let Some(store) = crate::config::load()?.store {
            return Ok(store);
        }
        Ok("rootspan.db".to_owned())
    }

    /// The application over the store (created if needed), without background work.
    pub fn app(&self) -> anyhow::Result<App> {
        Ok(App::new(open(&self.location()?)?, AppConfig::default()))
    }
}

/// A location as it may be shown: a ClickHouse URI without its password.
pub fn display(location: &str) -> String {
    if location.starts_with("clickhouse://") {
        return match rootspan_store_clickhouse::ClickHouseConfig::parse_with(location, None) {
            Ok(config) => config.display(),
            Err(_) => "clickhouse://(an invalid URI)".to_owned(),
        };
    }
    location.to_owned()
}

/// Opens a ClickHouse store (creating or upgrading its schema when it is behind).
pub fn open_clickhouse(location: &str) -> anyhow::Result<rootspan_store_clickhouse::ClickHouseStore> {
    rootspan_store_clickhouse::ClickHouseStore::open(location)
        .map_err(|error| anyhow::anyhow!("opening store {}: {error}", display(location)))
}

/// Opens a store by location.
pub fn open(location: &str) -> anyhow::Result<Arc<dyn TraceStore>> {
    if location.starts_with("clickhouse://") {
        return Ok(Arc::new(open_clickhouse(location)?));
    }
    let path = location.strip_prefix("sqlite://").unwrap_or(location);
    if location.contains("://") && !location.starts_with("sqlite://") {
        anyhow::bail!(
            "unsupported store location {}: use a file path, sqlite://PATH or clickhouse://USER@HOST:PORT/DATABASE",
            display(location)
        );
    }
    let store = rootspan_store_sqlite::SqliteStore::open(PathBuf::from(path).as_path())
        .with_context(|| format!("opening store {path}"))?;
    Ok(Arc::new(store))
}

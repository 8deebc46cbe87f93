//! Opening a store: the only place the CLI picks a concrete backend, and builds the application
//! over it.
//!
//! A store location is a path (an SQLite file) or a URI: `sqlite://PATH`.

use anyhow::Context;
use clap::Args as ClapArgs;
use rootspan_app::{App, AppConfig};
use rootspan_store::TraceStore;
use std::path::PathBuf;
use std::sync::Arc;

/// `--store PATH`, shared by every command that reads or writes traces.
#[derive(Debug, Clone, ClapArgs)]
pub struct StoreArgs {
    /// Store location: a SQLite file path or sqlite://PATH [env: ROOTSPAN_STORE; config: store;
    /// default: ./rootspan.db]
    #[arg(long, value_name = "PATH")]
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

/// Opens a store by location.
pub fn open(location: &str) -> anyhow::Result<Arc<dyn TraceStore>> {
    let path = location.strip_prefix("sqlite://").unwrap_or(location);
    if location.contains("://") && !location.starts_with("sqlite://") {
        anyhow::bail!("unsupported store location {location:?}: use a file path or sqlite://PATH");
    }
    let store = rootspan_store_sqlite::SqliteStore::open(PathBuf::from(path).as_path())
        .with_context(|| format!("opening store {path}"))?;
    Ok(Arc::new(store))
}

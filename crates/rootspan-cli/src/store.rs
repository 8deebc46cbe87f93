//! Opening a store: the only place the CLI picks a concrete backend.
//!
//! A store location is a path (an SQLite file) or a URI: `sqlite://PATH`.

use anyhow::Context;
use clap::Args as ClapArgs;
use rootspan_model::TraceId;
use rootspan_store::TraceStore;
use std::path::PathBuf;

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

    /// Opens (creating if needed) the store.
    pub fn open(&self) -> anyhow::Result<Box<dyn TraceStore>> {
        open(&self.location()?)
    }
}

/// Opens a store by location.
pub fn open(location: &str) -> anyhow::Result<Box<dyn TraceStore>> {
    let path = location.strip_prefix("sqlite://").unwrap_or(location);
    if location.contains("://") && !location.starts_with("sqlite://") {
        anyhow::bail!("unsupported store location {location:?}: use a file path or sqlite://PATH");
    }
    let store = rootspan_store_sqlite::SqliteStore::open(PathBuf::from(path).as_path())
        .with_context(|| format!("opening store {path}"))?;
    Ok(Box::new(store))
}

/// Resolves a full or abbreviated (>= 4 hex digits) trace id.
pub fn resolve_trace(store: &dyn TraceStore, text: &str) -> anyhow::Result<TraceId> {
    if let Ok(id) = rootspan_model::parse_trace_id(text) {
        return Ok(id);
    }
    match store.resolve_trace_id(text)? {
        Some(id) => Ok(id),
        None => {
            anyhow::bail!("no trace matches id {text:?} (give the 32 hex digits, or a unique prefix of at least 4)")
        }
    }
}

/// Loads a trace as a tree, or fails naming the id.
pub fn load_tree(store: &dyn TraceStore, text: &str) -> anyhow::Result<rootspan_model::SpanTree> {
    let id = resolve_trace(store, text)?;
    let spans = store.get_trace(&id)?.with_context(|| format!("trace {text} is not in the store"))?;
    Ok(rootspan_model::SpanTree::build(spans))
}

//! The embedded SQLite backend of rootspan: one file, no server.
//!
//! Layout (see `migrations/`): the spans of one trace from one write batch are stored together as
//! one chunk row: the compressed spans, their narrow rows (the columns summaries and pages need)
//! and a Bloom filter of their words; the latest delivery of a span id wins. The `traces` table
//! holds one summary row per trace, rolled up again when a batch touches the trace;
//! FTS5 indexes the text of each chunk, off the write path (see `fulltext`), and a Bloom filter
//! per chunk finds what it has not indexed yet (see `bloom`). WAL mode lets the
//! CLI read while `serve` writes.
//!
//! ```no_run
//! use rootspan_store::TraceStore;
//! let store = rootspan_store_sqlite::SqliteStore::open(std::path::Path::new("rootspan.db")).unwrap();
//! println!("{} spans", store.span_count().unwrap());
//! ```

mod bloom;
mod codec;
mod fulltext;
mod issues;
mod keys;
mod migrations;
mod read;
mod text;
mod write;

pub use migrations::SCHEMA_VERSION;

use rootspan_store::{StoreError, StoreErrorKind, StoreResult};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

const READERS: usize = 2;

/// The SQLite store. Cheap to share behind an `Arc`; one writer connection, a few readers.
pub struct SqliteStore {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

pub(crate) fn backend(error: rusqlite::Error) -> StoreError {
    let kind = match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => StoreErrorKind::Busy,
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase) => StoreErrorKind::Corrupt,
        _ => StoreErrorKind::Backend,
    };
    StoreError::new(kind, error.to_string())
}

/// What an acknowledged write survives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `synchronous=NORMAL` in WAL mode: a committed write survives a crash or SIGKILL of the
    /// process; after an OS crash or power loss the last transactions before it may be lost, but
    /// the store is never corrupt.
    #[default]
    Normal,
    /// `synchronous=FULL`: the WAL is synced at every commit, so a committed write also survives
    /// an OS crash or power loss, at the cost of one fsync per write.
    Full,
}

impl Durability {
    pub fn parse(text: &str) -> Option<Durability> {
        match text {
            "normal" => Some(Durability::Normal),
            "full" => Some(Durability::Full),
            _ => None,
        }
    }
}

/// How to open a store.
#[derive(Debug, Clone, Default)]
pub struct SqliteOptions {
    pub durability: Durability,
}

fn connect(path: &Path, options: &SqliteOptions) -> StoreResult<Connection> {
    let open = |e: rusqlite::Error| StoreError::new(StoreErrorKind::Open, format!("{}: {e}", path.display()));
    let connection = Connection::open(path).map_err(open)?;
    let synchronous = match options.durability {
        Durability::Normal => "NORMAL",
        Durability::Full => "FULL",
    };
    connection
        .execute_batch(&format!(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous={synchronous}; PRAGMA busy_timeout=10000;
             PRAGMA temp_store=MEMORY; PRAGMA foreign_keys=OFF;"
        ))
        .map_err(open)?;
    Ok(connection)
}

impl SqliteStore {
    /// Opens or creates the store at `path`, with the default options.
    pub fn open(path: &Path) -> StoreResult<SqliteStore> {
        SqliteStore::open_with(path, &SqliteOptions::default())
    }

    /// Opens or creates the store at `path`.
    pub fn open_with(path: &Path, options: &SqliteOptions) -> StoreResult<SqliteStore> {
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
            && !parent.exists()
        {
            return Err(StoreError::new(
                StoreErrorKind::Open,
                format!("directory {} does not exist", parent.display()),
            ));
        }
        owner_only(path)?;
        let mut writer = connect(path, options)?;
        writer.execute_batch("PRAGMA cache_size=-8192;").map_err(backend)?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos().min(i64::MAX as u128) as i64)
            .unwrap_or(0);
        migrations::migrate(&mut writer, path, now)?;
        let readers = (0..READERS)
            .map(|_| {
                let reader = connect(path, options)?;
                reader.execute_batch("PRAGMA cache_size=-4096;").map_err(backend)?;
                Ok(Mutex::new(reader))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(SqliteStore { path: path.to_owned(), writer: Mutex::new(writer), readers, next_reader: AtomicUsize::new(0) })
    }

    /// The file this store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes on disk (database + WAL).
    pub fn disk_bytes(&self) -> u64 {
        let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        let mut wal = self.path.as_os_str().to_owned();
        wal.push("-wal");
        size(&self.path) + size(Path::new(&wal))
    }

    /// Checkpoints the WAL into the main file.
    pub fn checkpoint(&self) -> StoreResult<()> {
        let writer = self.writer.lock().map_err(|_| poisoned())?;
        writer.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").map_err(backend)
    }

    pub(crate) fn with_reader<T>(&self, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let index = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        let connection = self.readers[index].lock().map_err(|_| poisoned())?;
        f(&connection)
    }
}

/// Creates the store file readable and writable by its owner only (0600), and takes the group's
/// and others' rights away from an existing store file and its WAL and shared-memory files.
/// SQLite creates the WAL and shared-memory files with the mode of the database file, so they
/// follow.
#[cfg(unix)]
fn owner_only(path: &Path) -> StoreResult<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let fail = |what: &Path, e: std::io::Error| {
        StoreError::new(StoreErrorKind::Open, format!("{}: setting owner-only permissions: {e}", what.display()))
    };
    match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
        Ok(_) => {}
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(error) => return Err(fail(path, error)),
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let file = Path::new(&name);
        let Ok(metadata) = std::fs::metadata(file) else { continue };
        if metadata.is_file() && metadata.permissions().mode() & 0o077 != 0 {
            let mode = metadata.permissions().mode() & 0o700;
            std::fs::set_permissions(file, std::fs::Permissions::from_mode(mode)).map_err(|e| fail(file, e))?;
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn owner_only(_path: &Path) -> StoreResult<()> {
    Ok(())
}

pub(crate) fn poisoned() -> StoreError {
    StoreError::new(StoreErrorKind::Backend, "a store connection was poisoned by an earlier panic")
}

impl rootspan_store::TraceStore for SqliteStore {
    fn write(&self, batch: rootspan_store::WriteBatch) -> StoreResult<rootspan_store::WriteOutcome> {
        let prepared = write::prepare(batch)?;
        let mut writer = self.writer.lock().map_err(|_| poisoned())?;
        write::commit(&mut writer, prepared)
    }

    fn load_trace(&self, trace_id: &rootspan_model::TraceId) -> StoreResult<Option<Vec<rootspan_model::Span>>> {
        self.with_reader(|c| read::load_trace(c, trace_id))
    }

    fn span_rows_page(
        &self,
        trace_id: &rootspan_model::TraceId,
        after: Option<&rootspan_model::SpanId>,
        limit: usize,
    ) -> StoreResult<Option<Vec<rootspan_store::rows::SpanRow>>> {
        self.with_reader(|c| read::span_rows_page(c, trace_id, after, limit))
    }

    fn get_span(
        &self,
        trace_id: &rootspan_model::TraceId,
        span_id: &rootspan_model::SpanId,
    ) -> StoreResult<Option<rootspan_model::Span>> {
        let span = self.with_reader(|c| read::load_span(c, trace_id, span_id))?;
        Ok(span.map(|span| rootspan_store::finish_loaded(vec![span]).remove(0)))
    }

    fn list_traces(&self, filter: &rootspan_store::TraceFilter) -> StoreResult<Vec<rootspan_store::TraceListItem>> {
        // A text search reads the index and the not-yet-indexed tail on a reader: it never
        // waits for the indexer or the writer.
        self.with_reader(|c| read::list_traces(c, filter))
    }

    fn unanalysed_traces(&self, project: Option<&str>) -> StoreResult<Vec<rootspan_model::TraceId>> {
        self.with_reader(|c| read::unanalysed_traces(c, project))
    }

    fn background_work(&self) -> StoreResult<bool> {
        // Small steps: the writer is held only to insert already-decoded text.
        const CHUNKS_PER_STEP: usize = 64;
        let bodies = self.with_reader(|c| fulltext::pending(c, CHUNKS_PER_STEP))?;
        if bodies.is_empty() {
            return Ok(false);
        }
        let mut writer = self.writer.lock().map_err(|_| poisoned())?;
        fulltext::commit(&mut writer, &bodies)?;
        Ok(bodies.len() == CHUNKS_PER_STEP)
    }

    fn trace_summary(&self, trace_id: &rootspan_model::TraceId) -> StoreResult<Option<rootspan_model::TraceSummary>> {
        self.with_reader(|c| read::trace_summary(c, trace_id))
    }

    fn resolve_trace_id(&self, prefix: &str) -> StoreResult<rootspan_store::PrefixMatch> {
        self.with_reader(|c| read::resolve_trace_id(c, prefix))
    }

    fn put_signatures(
        &self,
        trace_id: &rootspan_model::TraceId,
        signatures: &[rootspan_store::TraceSignature],
    ) -> StoreResult<()> {
        let mut writer = self.writer.lock().map_err(|_| poisoned())?;
        write::put_signatures(&mut writer, trace_id, signatures)
    }

    fn list_signatures(&self, project: Option<&str>) -> StoreResult<Vec<rootspan_store::TraceSignature>> {
        self.with_reader(|c| read::list_signatures(c, project))
    }

    fn flush(&self) -> StoreResult<()> {
        self.checkpoint()
    }

    fn append_issue_events(&self, events: &[rootspan_store::IssueEvent]) -> StoreResult<()> {
        if events.is_empty() {
            return Ok(());
        }
        let mut writer = self.writer.lock().map_err(|_| poisoned())?;
        issues::append(&mut writer, events)
    }

    fn issue_events(&self, project: Option<&str>) -> StoreResult<Vec<rootspan_store::IssueEvent>> {
        self.with_reader(|c| issues::list(c, project))
    }

    fn put_key(&self, key: &rootspan_store::ApiKey) -> StoreResult<()> {
        let writer = self.writer.lock().map_err(|_| poisoned())?;
        keys::put(&writer, key)
    }

    fn list_keys(&self) -> StoreResult<Vec<rootspan_store::ApiKey>> {
        self.with_reader(keys::list)
    }

    fn find_key_by_hash(&self, hash: &str) -> StoreResult<Option<rootspan_store::ApiKey>> {
        self.with_reader(|c| keys::find(c, hash))
    }

    fn revoke_key(&self, prefix: &str, at_unix_nano: u64) -> StoreResult<bool> {
        let writer = self.writer.lock().map_err(|_| poisoned())?;
        keys::revoke(&writer, prefix, at_unix_nano)
    }

    fn trace_project(&self, trace_id: &rootspan_model::TraceId) -> StoreResult<Option<String>> {
        self.with_reader(|c| keys::trace_project(c, trace_id))
    }

    fn signature_counts(&self) -> StoreResult<Vec<(String, u64)>> {
        self.with_reader(read::signature_counts)
    }

    /// The database file and its write-ahead log.
    fn size_bytes(&self) -> StoreResult<Option<u64>> {
        let mut total = 0u64;
        for suffix in ["", "-wal"] {
            let mut name = self.path.clone().into_os_string();
            name.push(suffix);
            match std::fs::metadata(&name) {
                Ok(metadata) => total = total.saturating_add(metadata.len()),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => {
                    return Err(StoreError::new(
                        StoreErrorKind::Backend,
                        format!("reading the size of {}: {error}", std::path::Path::new(&name).display()),
                    ));
                }
            }
        }
        Ok(Some(total))
    }

    fn span_count(&self) -> StoreResult<u64> {
        self.with_reader(read::span_count)
    }
}

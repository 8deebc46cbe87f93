//! The ClickHouse backend of rootspan: the storage contract ([`rootspan_store::TraceStore`])
//! over ClickHouse's HTTP interface, for teams that outgrow one machine. Several stateless
//! rootspan nodes can write to one ClickHouse (or a cluster) at once.
//!
//! Layout (see `migrations/001_initial.sql` and docs/adr/005-clickhouse-backend.md):
//! - `spans`: one row per span delivery (ReplacingMergeTree by `(trace_id, span_id)`,
//!   partitioned by month of start time, ZSTD payloads, a token index over the searchable
//!   words); reads take the latest delivery with `argMax`, so they are right before merges;
//! - `trace_ranges`: trace id -> time range of its spans (a materialised view), so fetching one
//!   trace reads only the partitions it lies in;
//! - `traces`: the per-trace summary row the trace list reads, rolled up by the shared roll-up;
//! - `logs`, `signatures` + `analysed` (generations of failure signatures);
//! - `issue_events`: the append-only issue log, `api_keys` (by hash; no TTL on either);
//! - TTL retention by ingest time on every other table.
//!
//! ```no_run
//! use rootspan_store::TraceStore;
//! let store = rootspan_store_clickhouse::ClickHouseStore::open("clickhouse://default@localhost:8123/rootspan").unwrap();
//! println!("{} spans", store.span_count().unwrap());
//! ```

pub mod config;
mod http;
mod issues;
mod keys;
pub mod migrations;
mod read;
mod rowbinary;
mod summaries;
pub mod test_server;
mod text;
mod write;

pub use config::{ClickHouseConfig, PASSWORD_ENV};
pub use migrations::{Layout, MigrationReport, SCHEMA_VERSION};

use rootspan_model::{Span, SpanId, TraceId, TraceSummary};
use rootspan_store::{
    ApiKey, IssueEvent, PrefixMatch, StoreResult, TraceFilter, TraceListItem, TraceSignature, TraceStore, WriteBatch,
    WriteOutcome, rows,
};

/// A store in one ClickHouse database. Cheap to share behind an `Arc`; holds no state but a
/// connection pool and its version clock.
pub struct ClickHouseStore {
    config: ClickHouseConfig,
    client: http::Client,
    versions: write::Versions,
}

impl ClickHouseStore {
    /// Opens the store at a `clickhouse://` URI (password from the URI or [`PASSWORD_ENV`]),
    /// creating or upgrading its schema when it is behind this build.
    pub fn open(uri: &str) -> StoreResult<ClickHouseStore> {
        ClickHouseStore::open_config(ClickHouseConfig::parse(uri)?)
    }

    /// Opens the store of a parsed location, migrating when needed.
    pub fn open_config(config: ClickHouseConfig) -> StoreResult<ClickHouseStore> {
        let store = ClickHouseStore::connect(config);
        if migrations::current_version(&store.client)? != SCHEMA_VERSION {
            store.migrate()?;
        }
        Ok(store)
    }

    /// A store handle without checking or migrating the schema.
    pub fn connect(config: ClickHouseConfig) -> ClickHouseStore {
        let client = http::Client::new(&config);
        ClickHouseStore { config, client, versions: write::Versions::new() }
    }

    /// Creates or upgrades the schema (idempotent); `ON CLUSTER` when the location names a cluster.
    pub fn migrate(&self) -> StoreResult<MigrationReport> {
        migrations::migrate(&self.client, &Layout::of(&self.config))
    }

    /// Changes the retention (days by ingest time) of every table.
    pub fn set_retention(&self, days: u32) -> StoreResult<()> {
        migrations::set_retention(&self.client, &Layout::of(&self.config), days)
    }

    /// The schema version the database is at.
    pub fn schema_version(&self) -> StoreResult<u32> {
        migrations::current_version(&self.client)
    }

    /// The location this store was opened with.
    pub fn config(&self) -> &ClickHouseConfig {
        &self.config
    }

    /// Where this store is, without the password.
    pub fn location(&self) -> String {
        self.config.display()
    }

    /// Merges every table's parts now (`OPTIMIZE TABLE ... FINAL`), as background merges would
    /// in time: for measuring the settled size on disk.
    pub fn optimize(&self) -> StoreResult<()> {
        let local = if self.config.cluster.is_some() { "_local" } else { "" };
        for table in ["spans", "trace_ranges", "logs", "traces", "signatures", "analysed", "issue_events", "api_keys"] {
            self.client.execute(&format!("OPTIMIZE TABLE {table}{local} FINAL"), &[])?;
        }
        Ok(())
    }

    /// Drops this store's database (tests and benchmarks clean up with it).
    pub fn drop_database(&self) -> StoreResult<()> {
        let on_cluster = self.config.cluster.as_ref().map(|c| format!(" ON CLUSTER {c}")).unwrap_or_default();
        // The name was checked by ClickHouseConfig::parse (letters, digits, _).
        self.client.execute_outside(&format!("DROP DATABASE IF EXISTS {}{on_cluster}", self.config.database))
    }
}

impl TraceStore for ClickHouseStore {
    fn write(&self, batch: WriteBatch) -> StoreResult<WriteOutcome> {
        write::write(&self.client, &self.versions, batch)
    }

    fn load_trace(&self, trace_id: &TraceId) -> StoreResult<Option<Vec<Span>>> {
        read::load_trace(&self.client, trace_id)
    }

    fn span_rows_page(
        &self,
        trace_id: &TraceId,
        after: Option<&SpanId>,
        limit: usize,
    ) -> StoreResult<Option<Vec<rows::SpanRow>>> {
        read::span_rows_page(&self.client, trace_id, after, limit)
    }

    fn get_span(&self, trace_id: &TraceId, span_id: &SpanId) -> StoreResult<Option<Span>> {
        let span = read::load_span(&self.client, trace_id, span_id)?;
        Ok(span.map(|span| rootspan_store::finish_loaded(vec![span]).remove(0)))
    }

    fn list_traces(&self, filter: &TraceFilter) -> StoreResult<Vec<TraceListItem>> {
        summaries::list_traces(&self.client, filter)
    }

    fn trace_summary(&self, trace_id: &TraceId) -> StoreResult<Option<TraceSummary>> {
        summaries::trace_summary(&self.client, trace_id)
    }

    fn resolve_trace_id(&self, prefix: &str) -> StoreResult<PrefixMatch> {
        summaries::resolve_trace_id(&self.client, prefix)
    }

    fn put_signatures(&self, trace_id: &TraceId, signatures: &[TraceSignature]) -> StoreResult<()> {
        write::put_signatures(&self.client, &self.versions, trace_id, signatures)
    }

    fn unanalysed_traces(&self, project: Option<&str>) -> StoreResult<Vec<TraceId>> {
        summaries::unanalysed_traces(&self.client, project)
    }

    fn list_signatures(&self, project: Option<&str>) -> StoreResult<Vec<TraceSignature>> {
        summaries::list_signatures(&self.client, project)
    }

    fn append_issue_events(&self, events: &[IssueEvent]) -> StoreResult<()> {
        issues::append(&self.client, &self.versions, events)
    }

    fn issue_events(&self, project: Option<&str>) -> StoreResult<Vec<IssueEvent>> {
        issues::list(&self.client, project)
    }

    fn put_key(&self, key: &ApiKey) -> StoreResult<()> {
        keys::put(&self.client, &self.versions, key)
    }

    fn list_keys(&self) -> StoreResult<Vec<ApiKey>> {
        keys::list(&self.client)
    }

    fn find_key_by_hash(&self, hash: &str) -> StoreResult<Option<ApiKey>> {
        keys::find(&self.client, hash)
    }

    fn revoke_key(&self, prefix: &str, at_unix_nano: u64) -> StoreResult<bool> {
        keys::revoke(&self.client, &self.versions, prefix, at_unix_nano)
    }

    fn trace_project(&self, trace_id: &TraceId) -> StoreResult<Option<String>> {
        keys::trace_project(&self.client, trace_id)
    }

    fn span_count(&self) -> StoreResult<u64> {
        summaries::span_count(&self.client)
    }

    fn signature_counts(&self) -> StoreResult<Vec<(String, u64)>> {
        summaries::signature_counts(&self.client)
    }

    /// The active parts of this database's tables on the node that answers.
    fn size_bytes(&self) -> StoreResult<Option<u64>> {
        summaries::size_bytes(&self.client).map(Some)
    }
}

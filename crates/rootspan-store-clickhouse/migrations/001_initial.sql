-- rootspan on ClickHouse, schema 1. Rendered by src/migrations.rs: @LOCAL@ is "" on one node and
-- "_local" on a cluster (where each storage table is replicated and a Distributed table of the
-- plain name is put in front of it, see the @DISTRIBUTED lines); @ON_CLUSTER@, @REPLICATED@,
-- @ZK@ / @ZK_@ (ZooKeeper path and replica) and @RETENTION_DAYS@ are filled in the same way.
-- Every statement is idempotent (IF NOT EXISTS), so a migration that stopped half way re-runs.

-- One row per delivery of a span: the narrow columns that summaries and span pages need, the
-- span itself (postcard bytes) and its searchable words. The latest delivery (highest version)
-- of a (trace_id, span_id) is the live one: merges drop the others, and every read picks it with
-- argMax(..., version) so answers are right before merges too.
CREATE TABLE IF NOT EXISTS spans@LOCAL@ @ON_CLUSTER@
(
    trace_id FixedString(16),
    span_id FixedString(8),
    project LowCardinality(String),
    parent_span_id Nullable(FixedString(8)),
    start_ns UInt64 CODEC(Delta, ZSTD(1)),
    end_ns UInt64 CODEC(Delta, ZSTD(1)),
    name String CODEC(ZSTD(3)),
    kind UInt8,
    status UInt8,
    input_tokens Nullable(UInt64),
    output_tokens Nullable(UInt64),
    cost_usd Nullable(Float64),
    model LowCardinality(Nullable(String)),
    tool LowCardinality(Nullable(String)),
    session_id Nullable(String) CODEC(ZSTD(3)),
    service LowCardinality(String),
    payload String CODEC(ZSTD(3)),
    words String CODEC(ZSTD(3)),
    version UInt64,
    ingested_at DateTime DEFAULT now(),
    INDEX words_tokens words TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 1,
    INDEX model_set model TYPE set(256) GRANULARITY 4,
    INDEX tool_set tool TYPE set(256) GRANULARITY 4
)
ENGINE = @REPLICATED@ReplacingMergeTree(@ZK_@version)
PARTITION BY toYYYYMM(toDateTime(least(intDiv(start_ns, 1000000000), 4294967295), 'UTC'))
ORDER BY (trace_id, span_id)
TTL ingested_at + toIntervalDay(@RETENTION_DAYS@)
SETTINGS index_granularity = 256;
-- @DISTRIBUTED spans cityHash64(trace_id)

-- Trace id -> the time range its spans were stamped with, so that fetching one trace reads only
-- the partitions of that range. Filled by the materialised view below on every insert.
CREATE TABLE IF NOT EXISTS trace_ranges@LOCAL@ @ON_CLUSTER@
(
    trace_id FixedString(16),
    start_min SimpleAggregateFunction(min, UInt64),
    start_max SimpleAggregateFunction(max, UInt64),
    ingested_at SimpleAggregateFunction(max, DateTime)
)
ENGINE = @REPLICATED@AggregatingMergeTree(@ZK@)
ORDER BY trace_id
TTL ingested_at + toIntervalDay(@RETENTION_DAYS@);
-- @DISTRIBUTED trace_ranges cityHash64(trace_id)

CREATE MATERIALIZED VIEW IF NOT EXISTS trace_ranges_mv@LOCAL@ @ON_CLUSTER@ TO trace_ranges@LOCAL@ AS
SELECT trace_id, min(start_ns) AS start_min, max(start_ns) AS start_max, max(ingested_at) AS ingested_at
FROM spans@LOCAL@
GROUP BY trace_id;

-- Log records, deduplicated by content (fingerprint); the first delivery gives the order.
CREATE TABLE IF NOT EXISTS logs@LOCAL@ @ON_CLUSTER@
(
    trace_id FixedString(16),
    span_id FixedString(8),
    fingerprint UInt64,
    payload String CODEC(ZSTD(3)),
    version UInt64,
    ingested_at DateTime DEFAULT now()
)
ENGINE = @REPLICATED@ReplacingMergeTree(@ZK@)
ORDER BY (trace_id, span_id, fingerprint)
TTL ingested_at + toIntervalDay(@RETENTION_DAYS@)
SETTINGS index_granularity = 1024;
-- @DISTRIBUTED logs cityHash64(trace_id)

-- The per-trace summary the trace list reads, rolled up by rootspan (the storage contract's
-- shared roll-up) after each write; the highest version is the live one (its version is the
-- server's clock when the roll-up read the spans, so the last roll-up to read wins).
CREATE TABLE IF NOT EXISTS traces@LOCAL@ @ON_CLUSTER@
(
    trace_id FixedString(16),
    project LowCardinality(String),
    service LowCardinality(String),
    root_name String,
    start_ns UInt64,
    end_ns UInt64,
    span_count UInt64,
    max_depth UInt64,
    llm_calls UInt64,
    tool_calls UInt64,
    tool_errors UInt64,
    error_spans UInt64,
    agent_spans UInt64,
    input_tokens UInt64,
    output_tokens UInt64,
    cost_usd Float64,
    orphans UInt64,
    session_id Nullable(String),
    models Array(LowCardinality(String)),
    tools Array(LowCardinality(String)),
    version UInt64,
    updated_at DateTime DEFAULT now()
)
ENGINE = @REPLICATED@ReplacingMergeTree(@ZK_@version)
ORDER BY trace_id
TTL updated_at + toIntervalDay(@RETENTION_DAYS@);
-- @DISTRIBUTED traces cityHash64(trace_id)

-- Failure signatures, one generation per analysis of a trace; the live generation of a trace is
-- the highest one recorded in `analysed` (written after its signatures).
CREATE TABLE IF NOT EXISTS signatures@LOCAL@ @ON_CLUSTER@
(
    trace_id FixedString(16),
    generation UInt64,
    ordinal UInt32,
    signature_id String,
    signature String CODEC(ZSTD(3)),
    detector LowCardinality(String),
    service LowCardinality(String),
    model Nullable(String),
    start_ns UInt64,
    failure_mode LowCardinality(Nullable(String)),
    created_at DateTime DEFAULT now()
)
ENGINE = @REPLICATED@ReplacingMergeTree(@ZK@)
ORDER BY (trace_id, generation, ordinal)
TTL created_at + toIntervalDay(@RETENTION_DAYS@);
-- @DISTRIBUTED signatures cityHash64(trace_id)

CREATE TABLE IF NOT EXISTS analysed@LOCAL@ @ON_CLUSTER@
(
    trace_id FixedString(16),
    span_count UInt64,
    generation UInt64,
    created_at DateTime DEFAULT now()
)
ENGINE = @REPLICATED@ReplacingMergeTree(@ZK_@generation)
ORDER BY trace_id
TTL created_at + toIntervalDay(@RETENTION_DAYS@);
-- @DISTRIBUTED analysed cityHash64(trace_id)

-- Schema 2: the append-only log of failure issues (one issue per failure signature): state
-- changes and eval outcomes, each with its time and cause. `seq` is the appending node's
-- monotonic clock, so entries with the same time read back in the order they were appended.
-- No TTL: the log is each issue's history. A retried insert repeats identical rows, which
-- FINAL reads once.
CREATE TABLE IF NOT EXISTS issue_events@LOCAL@ @ON_CLUSTER@
(
    project LowCardinality(String),
    at_ns UInt64,
    seq UInt64,
    issue_id String,
    kind LowCardinality(String),
    state LowCardinality(Nullable(String)),
    cause String CODEC(ZSTD(3)),
    trace_id Nullable(String),
    case_id Nullable(String),
    created_at DateTime DEFAULT now()
)
ENGINE = @REPLICATED@ReplacingMergeTree(@ZK@)
ORDER BY (project, at_ns, seq, issue_id);
-- @DISTRIBUTED issue_events cityHash64(issue_id)

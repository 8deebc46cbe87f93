-- rootspan embedded store, migration 1: the initial schema (schema version 1, release 0.1).
-- chunks: the spans of one trace from one write batch, postcard-encoded and zstd-compressed.
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY,
    trace_id BLOB NOT NULL,
    payload BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_trace ON chunks(trace_id);

-- spans: one narrow row per live span (the latest delivery wins); points at its chunk.
CREATE TABLE IF NOT EXISTS spans (
    trace_id BLOB NOT NULL,
    span_id BLOB NOT NULL,
    chunk_id INTEGER NOT NULL,
    parent_span_id BLOB,
    start_ns INTEGER NOT NULL,
    end_ns INTEGER NOT NULL,
    name TEXT NOT NULL,
    kind INTEGER NOT NULL,
    status INTEGER NOT NULL,
    input_tokens INTEGER,
    output_tokens INTEGER,
    cost REAL,
    model TEXT,
    tool TEXT,
    session_id TEXT,
    service TEXT NOT NULL,
    PRIMARY KEY (trace_id, span_id)
) WITHOUT ROWID;

-- logs: OTLP log records, attached to their span on read.
CREATE TABLE IF NOT EXISTS logs (
    id INTEGER PRIMARY KEY,
    trace_id BLOB NOT NULL,
    span_id BLOB NOT NULL,
    fingerprint INTEGER NOT NULL,
    payload BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS logs_trace ON logs(trace_id, span_id, fingerprint);

-- traces: the summary row of each trace, recomputed from `spans` when a batch touches it.
CREATE TABLE IF NOT EXISTS traces (
    trace_id BLOB PRIMARY KEY,
    project TEXT NOT NULL,
    service TEXT NOT NULL,
    root_name TEXT NOT NULL,
    start_ns INTEGER NOT NULL,
    end_ns INTEGER NOT NULL,
    span_count INTEGER NOT NULL,
    max_depth INTEGER NOT NULL,
    llm_calls INTEGER NOT NULL,
    tool_calls INTEGER NOT NULL,
    tool_errors INTEGER NOT NULL,
    error_spans INTEGER NOT NULL,
    agent_spans INTEGER NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cost REAL NOT NULL,
    orphans INTEGER NOT NULL,
    session_id TEXT,
    models TEXT NOT NULL,
    tools TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS traces_start ON traces(start_ns DESC);
CREATE INDEX IF NOT EXISTS traces_session ON traces(session_id) WHERE session_id IS NOT NULL;

-- Full-text index over prompts, outputs, tool arguments/results and errors; rowid = chunks.id.
-- detail=none keeps the index small: searches are AND-ed single terms, which need no positions.
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_text USING fts5(body, content='', detail=none, columnsize=0);

-- Failure signatures (from analysis), for clustering.
CREATE TABLE IF NOT EXISTS signatures (
    trace_id BLOB NOT NULL,
    signature_id TEXT NOT NULL,
    signature TEXT NOT NULL,
    detector TEXT NOT NULL,
    service TEXT NOT NULL,
    model TEXT,
    start_ns INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS signatures_trace ON signatures(trace_id);

-- Which traces the analysis has seen, and at how many spans (a trace that grew is analysed again).
CREATE TABLE IF NOT EXISTS analysed (trace_id BLOB PRIMARY KEY, span_count INTEGER NOT NULL);

CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', '1');

-- Migration 3: a Bloom filter of the words of each chunk the full-text index has not reached yet,
-- so a text search never waits for the indexer (rows are deleted once their chunk is indexed).
CREATE TABLE IF NOT EXISTS chunk_blooms (
    chunk_id INTEGER PRIMARY KEY,
    bloom BLOB NOT NULL
);

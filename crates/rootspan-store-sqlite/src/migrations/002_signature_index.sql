-- Migration 2: signatures are looked up by id (cluster members, issue states), and every applied
-- migration is recorded with the time it ran.
CREATE INDEX IF NOT EXISTS signatures_id ON signatures(signature_id);
CREATE TABLE IF NOT EXISTS schema_history (
    version INTEGER PRIMARY KEY,
    applied_unix_ns INTEGER NOT NULL
);

-- Migration 7: API keys, stored by the SHA-256 of their secret (never the secret), with the
-- project and role they grant and when they were revoked.
CREATE TABLE api_keys (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    prefix       TEXT NOT NULL UNIQUE,
    hash         TEXT NOT NULL UNIQUE,
    label        TEXT NOT NULL,
    project      TEXT NOT NULL,
    role         TEXT NOT NULL,
    created_ns   INTEGER NOT NULL,
    revoked_ns   INTEGER
);

-- Schema 3: API keys, stored by the hash of their secret (never the secret). A revocation is a
-- new version of the key's row; reads take the live one with FINAL. No TTL.
CREATE TABLE IF NOT EXISTS api_keys@LOCAL@ @ON_CLUSTER@
(
    prefix String,
    hash String,
    label String,
    project LowCardinality(String),
    role LowCardinality(String),
    created_ns UInt64,
    revoked_ns Nullable(UInt64),
    version UInt64
)
ENGINE = @REPLICATED@ReplacingMergeTree(@ZK_@version)
ORDER BY prefix;
-- @DISTRIBUTED api_keys cityHash64(prefix)

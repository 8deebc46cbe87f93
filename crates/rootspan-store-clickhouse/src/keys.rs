//! API keys (schema 3): stored by hash, listed oldest first, revoked by writing a new version of
//! the key's row (the live version is read with FINAL).
//!
//! `put_key` refuses a prefix or hash already stored by checking first: two nodes creating keys
//! with the same prefix at the same instant could both succeed (keys are created by an admin
//! command, one at a time, and prefixes are random).

use crate::http::{Client, Param};
use crate::rowbinary::{Reader, Writer};
use crate::write::Versions;
use rootspan_store::{ApiKey, StoreError, StoreResult};

const COLUMNS: &str = "prefix, hash, label, project, role, created_ns, revoked_ns";

fn read_keys(body: &[u8]) -> StoreResult<Vec<ApiKey>> {
    let mut reader = Reader::new(body);
    let mut out = Vec::new();
    while !reader.is_empty() {
        out.push(ApiKey {
            prefix: reader.string()?,
            hash: reader.string()?,
            label: reader.string()?,
            project: reader.string()?,
            role: reader.string()?,
            created_unix_nano: reader.u64()?,
            revoked_unix_nano: reader.nullable(Reader::u64)?,
        });
    }
    Ok(out)
}

fn insert(client: &Client, versions: &Versions, key: &ApiKey) -> StoreResult<()> {
    let mut body = Writer::default();
    body.str(&key.prefix);
    body.str(&key.hash);
    body.str(&key.label);
    body.str(&key.project);
    body.str(&key.role);
    body.u64(key.created_unix_nano);
    body.nullable(key.revoked_unix_nano, Writer::u64);
    body.u64(versions.reserve(1));
    client.insert(&format!("INSERT INTO api_keys ({COLUMNS}, version) FORMAT RowBinary"), &body.buf)
}

pub fn put(client: &Client, versions: &Versions, key: &ApiKey) -> StoreResult<()> {
    let body = client.select(
        "SELECT count() FROM api_keys WHERE prefix = {prefix:String} OR hash = {hash:String} FORMAT RowBinary",
        &[Param::str("prefix", &key.prefix), Param::str("hash", &key.hash)],
    )?;
    if Reader::new(&body).u64()? > 0 {
        return Err(StoreError::invalid("key: a key with this prefix or hash is already stored"));
    }
    insert(client, versions, key)
}

pub fn list(client: &Client) -> StoreResult<Vec<ApiKey>> {
    read_keys(
        &client.select(
            &format!("SELECT {COLUMNS} FROM api_keys FINAL ORDER BY created_ns, prefix FORMAT RowBinary"),
            &[],
        )?,
    )
}

pub fn find(client: &Client, hash: &str) -> StoreResult<Option<ApiKey>> {
    let body = client.select(
        &format!("SELECT {COLUMNS} FROM api_keys FINAL WHERE hash = {{hash:String}} LIMIT 1 FORMAT RowBinary"),
        &[Param::str("hash", hash)],
    )?;
    Ok(read_keys(&body)?.pop())
}

pub fn revoke(client: &Client, versions: &Versions, prefix: &str, at_unix_nano: u64) -> StoreResult<bool> {
    let body = client.select(
        &format!("SELECT {COLUMNS} FROM api_keys FINAL WHERE prefix = {{prefix:String}} FORMAT RowBinary"),
        &[Param::str("prefix", prefix)],
    )?;
    let Some(mut key) = read_keys(&body)?.pop() else { return Ok(false) };
    if key.revoked_unix_nano.is_some() {
        return Ok(false);
    }
    key.revoked_unix_nano = Some(at_unix_nano);
    insert(client, versions, &key)?;
    Ok(true)
}

/// The project of a trace, from its summary row.
pub fn trace_project(client: &Client, trace_id: &rootspan_model::TraceId) -> StoreResult<Option<String>> {
    let body = client.select(
        "SELECT project FROM traces WHERE trace_id = toFixedString(unhex({trace:String}), 16) LIMIT 1 FORMAT RowBinary",
        &[Param::hex("trace", trace_id)],
    )?;
    let mut reader = Reader::new(&body);
    if reader.is_empty() { Ok(None) } else { reader.string().map(Some) }
}

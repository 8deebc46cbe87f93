//! API keys and what they let in: creating a key (shown once, stored as its SHA-256), listing and
//! revoking keys, and authenticating a presented key into a [`Principal`] (a project and a role).
//!
//! - Keys are `rsk_` and 64 hex digits (32 random bytes from the operating system); the first
//!   12 characters are the key's prefix, shown in lists and used to revoke it.
//! - A presented key is hashed and looked up by its hash; the stored hash is then compared with
//!   the computed one in constant time. The lookup itself reveals nothing about a key, since
//!   its input is the hash of a high-entropy secret.
//! - Every request is checked against the store, without a cache: a revoked key stops working
//!   at once, and a key created by another process (`rootspan keys create` beside a running
//!   server) works at once.
//! - Once any key exists (revoked ones count), requests without a valid key are refused. With no
//!   key at all, the store is open ([`Access::Open`]), and servers bind to loopback only.

use crate::App;
use crate::error::{AppError, AppResult};
use rootspan_store::ApiKey;
use sha2::{Digest, Sha256};

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Write traces and logs (OTLP) only.
    Ingest,
    /// Queries, the web UI and MCP.
    Read,
    /// Everything a key can do: writes, reads, `/metrics`.
    Admin,
}

impl Role {
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "ingest" => Some(Role::Ingest),
            "read" => Some(Role::Read),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Ingest => "ingest",
            Role::Read => "read",
            Role::Admin => "admin",
        }
    }

    /// May it send OTLP exports?
    pub fn can_write(self) -> bool {
        matches!(self, Role::Ingest | Role::Admin)
    }

    /// May it query traces (REST, UI, MCP)?
    pub fn can_read(self) -> bool {
        matches!(self, Role::Read | Role::Admin)
    }
}

/// Who a valid key says the caller is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub project: String,
    pub role: Role,
    /// The key's prefix (for logs; never the key).
    pub prefix: String,
}

/// The outcome of authenticating a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// No key exists: the store is open to whoever reaches the listener.
    Open,
    /// A valid key.
    Key(Principal),
    /// Keys exist and the request carries none, or one that is unknown, revoked or malformed.
    Denied,
}

/// The start of every key.
pub const KEY_PREFIX: &str = "rsk_";
/// Characters of a key shown in lists (`rsk_` and 8 hex digits).
pub const SHOWN_PREFIX_LEN: usize = 12;

/// The hex SHA-256 of a key: what the store keeps.
pub fn hash_key(key: &str) -> String {
    hex_of(&Sha256::digest(key.as_bytes()))
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Equal, in time that depends only on the lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn now_unix_nano() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64)
}

/// A new key's secret: `rsk_` and 64 hex digits of operating-system randomness.
pub fn generate_key() -> AppResult<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AppError::internal(format!("no randomness for a key: {e}")))?;
    Ok(format!("{KEY_PREFIX}{}", hex_of(&bytes)))
}

/// A project name a key may be scoped to: 1 to 128 characters, no control characters.
fn check_project(project: &str) -> AppResult<()> {
    if project.is_empty() || project.len() > 128 || project.chars().any(char::is_control) {
        return Err(AppError::invalid("project must be 1 to 128 characters, without control characters"));
    }
    Ok(())
}

impl App {
    /// Creates a key for `project` and `role`; returns the key (to show once) and what was stored.
    pub fn create_key(&self, project: &str, role: Role, label: &str) -> AppResult<(String, ApiKey)> {
        check_project(project)?;
        let key = generate_key()?;
        let stored = ApiKey {
            prefix: key[..SHOWN_PREFIX_LEN].to_owned(),
            hash: hash_key(&key),
            label: label.to_owned(),
            project: project.to_owned(),
            role: role.as_str().to_owned(),
            created_unix_nano: now_unix_nano(),
            revoked_unix_nano: None,
        };
        self.store.put_key(&stored)?;
        Ok((key, stored))
    }

    /// Every key, revoked ones included, oldest first.
    pub fn list_keys(&self) -> AppResult<Vec<ApiKey>> {
        Ok(self.store.list_keys()?)
    }

    /// Revokes the one key whose prefix starts with `prefix` (at least `rsk_` and 4 more).
    pub fn revoke_key(&self, prefix: &str) -> AppResult<ApiKey> {
        let prefix = prefix.trim();
        if prefix.len() < KEY_PREFIX.len() + 4 || !prefix.starts_with(KEY_PREFIX) {
            return Err(AppError::invalid(format!("give a key prefix such as rsk_1a2b3c4d, not {prefix:?}")));
        }
        let wanted = &prefix[..prefix.len().min(SHOWN_PREFIX_LEN)];
        let keys = self.store.list_keys()?;
        let matching: Vec<&ApiKey> = keys.iter().filter(|k| k.prefix.starts_with(wanted)).collect();
        let key = match matching.as_slice() {
            [one] => *one,
            [] => return Err(AppError::not_found(format!("no key has prefix {wanted}"))),
            _ => return Err(AppError::invalid(format!("prefix {wanted} matches several keys; give more of it"))),
        };
        if key.revoked_unix_nano.is_some() {
            return Err(AppError::invalid(format!("key {} is already revoked", key.prefix)));
        }
        let at = now_unix_nano();
        self.store.revoke_key(&key.prefix, at)?;
        Ok(ApiKey { revoked_unix_nano: Some(at), ..key.clone() })
    }

    /// Whether keys are required: true once any key exists.
    pub fn auth_required(&self) -> AppResult<bool> {
        Ok(!self.store.list_keys()?.is_empty())
    }

    /// What a request presenting `key` (or none) may do. Checked against the store every time.
    pub fn authenticate(&self, key: Option<&str>) -> AppResult<Access> {
        let Some(key) = key.map(str::trim).filter(|k| !k.is_empty()) else {
            return Ok(if self.auth_required()? { Access::Denied } else { Access::Open });
        };
        let hash = hash_key(key);
        let Some(stored) = self.store.find_key_by_hash(&hash)? else {
            return Ok(if self.auth_required()? { Access::Denied } else { Access::Open });
        };
        let role = Role::parse(&stored.role);
        match role {
            Some(role)
                if stored.revoked_unix_nano.is_none() && constant_time_eq(stored.hash.as_bytes(), hash.as_bytes()) =>
            {
                Ok(Access::Key(Principal { project: stored.project, role, prefix: stored.prefix }))
            }
            _ => Ok(Access::Denied),
        }
    }
}

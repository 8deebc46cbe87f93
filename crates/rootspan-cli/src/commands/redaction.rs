//! The redaction flags that `serve` and `ingest` share, and the redactor they make (flags win
//! over the configuration file's `redact_rules`, `redact_keys` and `no_redact_builtin`).

use anyhow::Context;
use rootspan_app::redact::{RedactConfig, Redactor};
use std::sync::Arc;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct RedactArgs {
    /// Also replace what this regular expression matches with [REDACTED:NAME]; repeatable
    /// [config: redact_rules = { NAME = "REGEX" }]
    #[arg(long = "redact-rule", value_name = "NAME=REGEX")]
    pub rules: Vec<String>,
    /// Replace the whole value of attributes whose key matches this pattern (`*` matches any
    /// characters, e.g. `*.session_token`); repeatable [config: redact_keys]
    #[arg(long = "redact-key", value_name = "PATTERN")]
    pub keys: Vec<String>,
    /// Turn off a built-in detector (openai_key, email, phone_number, ...; `all` turns off every
    /// built-in detector and key pattern); repeatable [config: no_redact_builtin]
    #[arg(long = "no-redact-builtin", value_name = "NAME")]
    pub disabled: Vec<String>,
}

impl RedactArgs {
    /// The redactor these flags and the configuration file ask for.
    pub fn redactor(&self, config: &crate::config::Config) -> anyhow::Result<Arc<Redactor>> {
        let mut rules = Vec::new();
        for rule in &self.rules {
            let (name, pattern) =
                rule.split_once('=').with_context(|| format!("--redact-rule {rule:?}: give NAME=REGEX"))?;
            rules.push((name.trim().to_owned(), pattern.to_owned()));
        }
        if let Some(configured) = &config.redact_rules {
            for (name, pattern) in configured {
                if !rules.iter().any(|(n, _)| n == name) {
                    rules.push((name.clone(), pattern.clone()));
                }
            }
        }
        let mut key_patterns = self.keys.clone();
        key_patterns.extend(config.redact_keys.iter().flatten().cloned());
        let mut disabled_builtins = self.disabled.clone();
        disabled_builtins.extend(config.no_redact_builtin.iter().flatten().cloned());
        if rules.is_empty() && key_patterns.is_empty() && disabled_builtins.is_empty() {
            return Ok(Redactor::builtin());
        }
        let config = RedactConfig { disabled_builtins, rules, key_patterns };
        Ok(Arc::new(Redactor::new(&config).map_err(|e| anyhow::anyhow!("redaction: {e}"))?))
    }
}

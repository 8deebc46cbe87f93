//! The optional configuration file: `rootspan.toml` in the working directory, or the file named by
//! `ROOTSPAN_CONFIG`. Precedence everywhere: flag > environment > file > default. Unknown keys are
//! an error that names them.

use anyhow::Context;
use serde::Deserialize;

/// Keys of the configuration file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Store location.
    pub store: Option<String>,
    /// HTTP listen address (OTLP/HTTP, REST).
    pub listen: Option<String>,
    /// gRPC listen address (OTLP/gRPC).
    pub grpc_listen: Option<String>,
    /// A JSON price file extending the built-in table.
    pub prices: Option<String>,
    /// OTLP/HTTP base URLs that `serve` forwards accepted exports to (when no --forward is given).
    pub forward: Option<Vec<String>>,
    /// Redaction rules besides the built-in ones: name = regular expression.
    pub redact_rules: Option<std::collections::BTreeMap<String, String>>,
    /// Attribute-key patterns whose values are redacted.
    pub redact_keys: Option<Vec<String>>,
    /// Built-in detectors turned off.
    pub no_redact_builtin: Option<Vec<String>>,
    /// Host names `serve` answers besides its own address (the DNS-rebinding guard).
    pub allowed_hosts: Option<Vec<String>>,
}

/// Loads the configuration file if there is one.
pub fn load() -> anyhow::Result<Config> {
    let explicit = std::env::var("ROOTSPAN_CONFIG").ok().filter(|path| !path.is_empty());
    let path = explicit.clone().unwrap_or_else(|| "rootspan.toml".to_owned());
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound && explicit.is_none() => {
            return Ok(Config::default());
        }
        Err(error) => return Err(error).with_context(|| format!("reading config file {path}")),
    };
    toml::from_str(&text)
        .with_context(|| format!("config file {path}: valid keys are store, listen, grpc_listen, prices, forward, redact_rules, redact_keys, no_redact_builtin, allowed_hosts"))
}

/// Installs the user's price file (`ROOTSPAN_PRICES`, else `prices` in the config file), if any.
pub fn install_prices() -> anyhow::Result<()> {
    let path = match std::env::var("ROOTSPAN_PRICES").ok().filter(|p| !p.is_empty()) {
        Some(path) => path,
        None => match load()?.prices {
            Some(path) => path,
            None => return Ok(()),
        },
    };
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading price file {path}"))?;
    let table = rootspan_model::pricing::PriceTable::from_json(&text).with_context(|| {
        format!(
            "price file {path}: expected {{\"models\": [{{\"model\", \"input_per_mtok\", \"output_per_mtok\", ...}}]}}"
        )
    })?;
    rootspan_model::pricing::install(table);
    Ok(())
}

//! Model prices (US dollars per million tokens) and context windows, built in and extendable.
//!
//! The built-in figures are list prices as published by the providers; users extend or override
//! them with a JSON file (`{"models": [{"model": "...", "input_per_mtok": ..., ...}]}`).
//! A model matches an entry when its name equals the entry or starts with it followed by `-` or
//! `:` (dated snapshots such as `gpt-4o-2024-08-06`); the longest matching entry wins.

use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// One model's price and context window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub model: String,
    /// US dollars per million input tokens.
    pub input_per_mtok: f64,
    /// US dollars per million output tokens.
    pub output_per_mtok: f64,
    /// US dollars per million cached input tokens (defaults to the input price).
    #[serde(default)]
    pub cached_input_per_mtok: Option<f64>,
    /// Context window in tokens.
    #[serde(default)]
    pub context_window: Option<u64>,
}

/// A table of models.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct PriceTable {
    pub models: Vec<ModelInfo>,
}

const BUILTIN: &[(&str, f64, f64, Option<f64>, u64)] = &[
    ("gpt-4o", 2.50, 10.00, Some(1.25), 128_000),
    ("gpt-4o-mini", 0.15, 0.60, Some(0.075), 128_000),
    ("gpt-4.1", 2.00, 8.00, Some(0.50), 1_047_576),
    ("gpt-4.1-mini", 0.40, 1.60, Some(0.10), 1_047_576),
    ("gpt-4.1-nano", 0.10, 0.40, Some(0.025), 1_047_576),
    ("gpt-4-turbo", 10.00, 30.00, None, 128_000),
    ("gpt-4", 30.00, 60.00, None, 8_192),
    ("gpt-3.5-turbo", 0.50, 1.50, None, 16_385),
    ("gpt-5", 1.25, 10.00, Some(0.125), 400_000),
    ("gpt-5-mini", 0.25, 2.00, Some(0.025), 400_000),
    ("gpt-5-nano", 0.05, 0.40, Some(0.005), 400_000),
    ("o1", 15.00, 60.00, Some(7.50), 200_000),
    ("o1-mini", 1.10, 4.40, Some(0.55), 128_000),
    ("o3", 2.00, 8.00, Some(0.50), 200_000),
    ("o3-mini", 1.10, 4.40, Some(0.55), 200_000),
    ("o4-mini", 1.10, 4.40, Some(0.275), 200_000),
    ("claude-3-5-sonnet", 3.00, 15.00, Some(0.30), 200_000),
    ("claude-3-7-sonnet", 3.00, 15.00, Some(0.30), 200_000),
    ("claude-3.7-sonnet", 3.00, 15.00, Some(0.30), 200_000),
    ("claude-3-5-haiku", 0.80, 4.00, Some(0.08), 200_000),
    ("claude-3-haiku", 0.25, 1.25, Some(0.03), 200_000),
    ("claude-3-opus", 15.00, 75.00, Some(1.50), 200_000),
    ("claude-sonnet-4", 3.00, 15.00, Some(0.30), 200_000),
    ("claude-opus-4", 15.00, 75.00, Some(1.50), 200_000),
    ("claude-haiku-4", 1.00, 5.00, Some(0.10), 200_000),
    ("gemini-1.5-pro", 1.25, 5.00, None, 2_000_000),
    ("gemini-1.5-flash", 0.075, 0.30, None, 1_000_000),
    ("gemini-2.0-flash", 0.10, 0.40, Some(0.025), 1_048_576),
    ("gemini-2.5-pro", 1.25, 10.00, Some(0.31), 1_048_576),
    ("gemini-2.5-flash", 0.30, 2.50, Some(0.075), 1_048_576),
    ("mistral-large", 2.00, 6.00, None, 128_000),
    ("llama-3.1-8b", 0.05, 0.08, None, 128_000),
    ("llama-3.1-70b", 0.60, 0.80, None, 128_000),
];

static ACTIVE: OnceLock<PriceTable> = OnceLock::new();

/// Installs the process-wide table (the built-in one extended by the user's entries). Called once
/// at start-up by the program; later calls are ignored and return `false`.
pub fn install(extra: PriceTable) -> bool {
    ACTIVE.set(PriceTable::extended(extra)).is_ok()
}

impl PriceTable {
    /// The process-wide table: what [`install`] set, else the built-in table.
    pub fn active() -> &'static PriceTable {
        ACTIVE.get().unwrap_or_else(|| PriceTable::builtin())
    }

    /// The built-in table.
    pub fn builtin() -> &'static PriceTable {
        static TABLE: OnceLock<PriceTable> = OnceLock::new();
        TABLE.get_or_init(|| PriceTable {
            models: BUILTIN
                .iter()
                .map(|(model, input, output, cached, window)| ModelInfo {
                    model: (*model).to_owned(),
                    input_per_mtok: *input,
                    output_per_mtok: *output,
                    cached_input_per_mtok: *cached,
                    context_window: Some(*window),
                })
                .collect(),
        })
    }

    /// The built-in table extended (and overridden) by `extra`.
    pub fn extended(extra: PriceTable) -> PriceTable {
        let mut table = PriceTable::builtin().clone();
        for info in extra.models {
            table.models.retain(|existing| existing.model != info.model);
            table.models.push(info);
        }
        table
    }

    /// Parses a user price file (JSON).
    pub fn from_json(text: &str) -> Result<PriceTable, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The entry for a model name (provider prefixes such as `openai/` are ignored).
    pub fn lookup(&self, model: &str) -> Option<&ModelInfo> {
        let model = model.rsplit('/').next().unwrap_or(model).to_ascii_lowercase();
        self.models
            .iter()
            .filter(|info| {
                let key = info.model.to_ascii_lowercase();
                model == key
                    || (model.starts_with(&key) && matches!(model.as_bytes().get(key.len()), Some(b'-' | b':' | b'@')))
            })
            .max_by_key(|info| info.model.len())
    }

    /// Cost in dollars of a call; `None` for an unknown model.
    pub fn cost(&self, model: &str, input: u64, output: u64, cached_input: u64) -> Option<f64> {
        let info = self.lookup(model)?;
        let cached = cached_input.min(input);
        let fresh = input - cached;
        let cached_price = info.cached_input_per_mtok.unwrap_or(info.input_per_mtok);
        Some(
            (fresh as f64 * info.input_per_mtok + cached as f64 * cached_price + output as f64 * info.output_per_mtok)
                / 1_000_000.0,
        )
    }

    /// Context window of a model, if known.
    pub fn context_window(&self, model: &str) -> Option<u64> {
        self.lookup(model).and_then(|info| info.context_window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_wins_and_dated_snapshots_match() {
        let table = PriceTable::builtin();
        assert_eq!(table.lookup("gpt-4o-mini-2024-07-18").unwrap().model, "gpt-4o-mini");
        assert_eq!(table.lookup("openai/gpt-4o-2024-08-06").unwrap().model, "gpt-4o");
        assert!(table.lookup("gpt-4oo").is_none());
        let cost = table.cost("gpt-4o", 1_000_000, 0, 0).unwrap();
        assert!((cost - 2.5).abs() < 1e-9);
    }

    #[test]
    fn user_entries_override() {
        let extra =
            PriceTable::from_json(r#"{"models":[{"model":"gpt-4o","input_per_mtok":1.0,"output_per_mtok":1.0}]}"#)
                .unwrap();
        let table = PriceTable::extended(extra);
        assert!((table.cost("gpt-4o", 1_000_000, 0, 0).unwrap() - 1.0).abs() < 1e-9);
    }
}

//! How often each failure signature occurred over time: members per equal time bucket, from the
//! first to the last occurrence of any signature, so the clusters page can show a trend.

use crate::App;
use crate::error::AppResult;
use serde::Serialize;
use std::collections::BTreeMap;

/// Members of each signature per bucket, over one common time range.
#[derive(Debug, Clone, Serialize, Default)]
pub struct SignatureTrends {
    pub from_unix_nano: u64,
    pub to_unix_nano: u64,
    /// Signature id -> members per bucket, oldest first.
    pub counts: BTreeMap<String, Vec<u64>>,
}

impl App {
    /// Occurrences of every stored signature in `buckets` equal time buckets.
    pub fn signature_trends(&self, project: Option<&str>, buckets: usize) -> AppResult<SignatureTrends> {
        let buckets = buckets.clamp(1, 200);
        let signatures = self.store.list_signatures(project)?;
        let Some(from) = signatures.iter().map(|s| s.start_time_unix_nano).min() else {
            return Ok(SignatureTrends::default());
        };
        let to = signatures.iter().map(|s| s.start_time_unix_nano).max().unwrap_or(from);
        let width = ((to - from) / buckets as u64).max(1);
        let mut counts: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        for signature in &signatures {
            let bucket = (((signature.start_time_unix_nano - from) / width) as usize).min(buckets - 1);
            counts.entry(signature.signature_id.clone()).or_insert_with(|| vec![0; buckets])[bucket] += 1;
        }
        Ok(SignatureTrends { from_unix_nano: from, to_unix_nano: to, counts })
    }
}

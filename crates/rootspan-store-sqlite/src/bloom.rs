//! Per-chunk Bloom filters over the words of a chunk's text, so that a text search finds the
//! chunks the full-text index has not reached yet without decoding them and without waiting for
//! the indexer. Built in [`crate::write::prepare`], outside the writer lock; dropped once the
//! chunk is indexed.
//!
//! Words are lowercased runs of letters and digits, as the FTS5 `unicode61` tokenizer splits
//! them. 16 bits per distinct word and 8 probes give a false-positive rate of about 6 in 10,000
//! per word (lower still for several words, which must all match), so a search of the
//! not-yet-indexed tail may, rarely, list a trace that lacks a word; it never misses one.

use rootspan_model::ids::fnv1a64;
use std::collections::HashSet;

const BITS_PER_WORD: usize = 16;
const PROBES: u8 = 8;
const MIN_BYTES: usize = 8;
const FORMAT: u8 = 1;

/// The words of a text: lowercased runs of alphanumeric characters.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(|w| w.to_lowercase())
}

fn probes(word: &str) -> (u64, u64) {
    let a = fnv1a64(word.as_bytes(), 0xcbf2_9ce4_8422_2325);
    let b = fnv1a64(word.as_bytes(), 0x8422_2325_cbf2_9ce4) | 1;
    (a, b)
}

/// A filter over these words: a format byte, the probe count, then the bits.
pub fn build(words: &HashSet<String>) -> Vec<u8> {
    let bytes = (words.len() * BITS_PER_WORD).div_ceil(8).max(MIN_BYTES);
    let bits = (bytes * 8) as u64;
    let mut out = vec![0u8; bytes + 2];
    out[0] = FORMAT;
    out[1] = PROBES;
    for word in words {
        let (a, b) = probes(word);
        for i in 0..u64::from(PROBES) {
            let bit = a.wrapping_add(i.wrapping_mul(b)) % bits;
            out[2 + (bit / 8) as usize] |= 1 << (bit % 8);
        }
    }
    out
}

/// Whether the filter may hold every one of `words` (`true` for a filter it cannot read).
pub fn may_contain_all(filter: &[u8], words: &[String]) -> bool {
    let Some((&[format, probes_count], bits)) = filter.split_first_chunk::<2>().map(|(h, b)| (h, b)) else {
        return true;
    };
    if format != FORMAT || bits.is_empty() {
        return true;
    }
    let total = (bits.len() * 8) as u64;
    words.iter().all(|word| {
        let (a, b) = probes(word);
        (0..u64::from(probes_count)).all(|i| {
            let bit = a.wrapping_add(i.wrapping_mul(b)) % total;
            bits[(bit / 8) as usize] & (1 << (bit % 8)) != 0
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_found_and_most_others_are_not() {
        let set: HashSet<String> = words("Refund order A1002, please: the payments-API failed").collect();
        let filter = build(&set);
        for word in ["refund", "a1002", "payments", "api", "failed"] {
            assert!(may_contain_all(&filter, &[word.to_owned()]), "{word}");
        }
        assert!(may_contain_all(&filter, &["refund".into(), "order".into()]));
        let misses = (0..1000).filter(|i| may_contain_all(&filter, &[format!("absent{i}")])).count();
        assert!(misses < 10, "{misses} false positives in 1000");
        assert!(may_contain_all(&[], &["x".into()]), "an unreadable filter matches");
    }

    #[test]
    fn words_split_like_unicode61() {
        let split: Vec<String> = words("get_order(Zürich) 42").collect();
        assert_eq!(split, ["get", "order", "zürich", "42"]);
    }
}

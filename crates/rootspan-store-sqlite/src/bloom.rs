//! Per-chunk Bloom filters over the words of a chunk's text, so that a text search finds the
//! chunks the full-text index has not reached yet without decoding them and without waiting for
//! the indexer. Built in [`crate::write::prepare`], outside the writer lock; dropped once the
//! chunk is indexed.
//!
//! Words are lowercased runs of letters and digits, as the FTS5 `unicode61` tokenizer splits
//! them, hashed (FNV-1a) without allocating; the filter holds the hashes. 16 bits per distinct word and 8 probes give a false-positive rate of about 6 in 10,000
//! per word (lower still for several words, which must all match), so a search of the
//! not-yet-indexed tail may, rarely, list a trace that lacks a word; it never misses one.

const BITS_PER_WORD: usize = 16;
const PROBES: u8 = 8;
const MIN_BYTES: usize = 8;
const FORMAT: u8 = 1;
const FNV_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv(hash: u64, byte: u8) -> u64 {
    (hash ^ u64::from(byte)).wrapping_mul(FNV_PRIME)
}

/// Appends the hash of every word of `text` (lowercased runs of alphanumeric characters) to
/// `out`, without allocating per word; ASCII bytes take a fast path. Callers deduplicate.
pub fn word_hashes(text: &str, out: &mut Vec<u64>) {
    let bytes = text.as_bytes();
    let mut hash = FNV_BASIS;
    let mut in_word = false;
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        if byte < 0x80 {
            index += 1;
            if byte.is_ascii_alphanumeric() {
                in_word = true;
                hash = fnv(hash, byte.to_ascii_lowercase());
                continue;
            }
        } else {
            let Some(c) = text[index..].chars().next() else { break };
            index += c.len_utf8();
            if c.is_alphanumeric() {
                in_word = true;
                let mut buffer = [0u8; 4];
                for lower in c.to_lowercase() {
                    for &b in lower.encode_utf8(&mut buffer).as_bytes() {
                        hash = fnv(hash, b);
                    }
                }
                continue;
            }
        }
        if in_word {
            out.push(hash);
            hash = FNV_BASIS;
            in_word = false;
        }
    }
    if in_word {
        out.push(hash);
    }
}

/// Sorts and deduplicates word hashes.
pub fn distinct(mut hashes: Vec<u64>) -> Vec<u64> {
    hashes.sort_unstable();
    hashes.dedup();
    hashes
}

/// The distinct word hashes of one text (a search's words).
pub fn hashes_of(text: &str) -> Vec<u64> {
    let mut hashes = Vec::new();
    word_hashes(text, &mut hashes);
    distinct(hashes)
}

/// The splitmix64 finaliser: spreads FNV's weak low bits over the whole word.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn probe(hash: u64, i: u64, bits: u64) -> u64 {
    let first = mix(hash);
    let step = mix(hash ^ 0x9e37_79b9_7f4a_7c15) | 1;
    first.wrapping_add(i.wrapping_mul(step)) % bits
}

/// A filter over these distinct word hashes: a format byte, the probe count, then the bits.
pub fn build(words: &[u64]) -> Vec<u8> {
    let bytes = (words.len() * BITS_PER_WORD).div_ceil(8).max(MIN_BYTES);
    let bits = (bytes * 8) as u64;
    let mut out = vec![0u8; bytes + 2];
    out[0] = FORMAT;
    out[1] = PROBES;
    for &word in words {
        for i in 0..u64::from(PROBES) {
            let bit = probe(word, i, bits);
            out[2 + (bit / 8) as usize] |= 1 << (bit % 8);
        }
    }
    out
}

/// Whether the filter may hold every one of `words` (`true` for a filter it cannot read).
pub fn may_contain_all(filter: &[u8], words: &[u64]) -> bool {
    let Some((&[format, probes_count], bits)) = filter.split_first_chunk::<2>() else {
        return true;
    };
    if format != FORMAT || bits.is_empty() {
        return true;
    }
    let total = (bits.len() * 8) as u64;
    words.iter().all(|&word| {
        (0..u64::from(probes_count)).all(|i| {
            let bit = probe(word, i, total);
            bits[(bit / 8) as usize] & (1 << (bit % 8)) != 0
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_found_and_most_others_are_not() {
        let filter = build(&hashes_of("Refund order A1002, please: the payments-API failed"));
        for word in ["refund", "REFUND", "a1002", "payments", "api", "failed"] {
            assert!(may_contain_all(&filter, &hashes_of(word)), "{word}");
        }
        assert!(may_contain_all(&filter, &hashes_of("refund order")));
        let misses = (0..1000).filter(|i| may_contain_all(&filter, &hashes_of(&format!("absent{i}")))).count();
        assert!(misses < 10, "{misses} false positives in 1000");
        assert!(may_contain_all(&[], &hashes_of("x")), "an unreadable filter matches");
    }

    #[test]
    fn words_split_like_unicode61_and_ignore_case() {
        assert_eq!(hashes_of("get_order").len(), 2);
        assert_eq!(hashes_of("ZÜRICH"), hashes_of("zürich"));
        assert_eq!(hashes_of("Straße"), hashes_of("STRAßE"));
        assert_eq!(hashes_of("a,b a").len(), 2);
    }
}

//! Sequence alignment for trace diff: Myers' O((N+M)·D) diff in linear space (the "middle snake"
//! divide and conquer), then a similarity-scored Needleman-Wunsch pass inside each gap so that a
//! step whose arguments changed is shown as one changed pair rather than a deletion plus an
//! insertion.
//!
//! Memory is O(N + M) for the Myers pass; the gap pass is O(g·h) for a gap of g by h steps and is
//! only used up to [`MAX_GAP_CELLS`]; larger gaps are aligned by a second Myers pass over coarse
//! keys, again in linear space.

/// Gaps up to this many cells (deleted × inserted steps) get the scored Needleman-Wunsch pass.
pub const MAX_GAP_CELLS: usize = 1 << 14;

/// One row of an alignment: a pair of indexes, or an index on one side only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pair {
    /// Same key on both sides.
    Match(usize, usize),
    /// Paired inside a gap by similarity (the key differs).
    Paired(usize, usize),
    OnlyA(usize),
    OnlyB(usize),
}

/// Matches between `a` and `b` under key equality, as (a index, b index) in increasing order:
/// a longest common subsequence, found by Myers' linear-space algorithm.
pub fn lcs_pairs<K: PartialEq>(a: &[K], b: &[K]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut forward = Vec::new();
    let mut backward = Vec::new();
    // Explicit work stack instead of recursion: (a_lo, a_hi, b_lo, b_hi).
    let mut work = vec![(0usize, a.len(), 0usize, b.len())];
    let mut snakes: Vec<(usize, usize, usize)> = Vec::new(); // (a start, b start, length)
    while let Some((mut a_lo, mut a_hi, mut b_lo, mut b_hi)) = work.pop() {
        while a_lo < a_hi && b_lo < b_hi && a[a_lo] == b[b_lo] {
            snakes.push((a_lo, b_lo, 1));
            a_lo += 1;
            b_lo += 1;
        }
        while a_lo < a_hi && b_lo < b_hi && a[a_hi - 1] == b[b_hi - 1] {
            a_hi -= 1;
            b_hi -= 1;
            snakes.push((a_hi, b_hi, 1));
        }
        if a_lo == a_hi || b_lo == b_hi {
            continue;
        }
        let (x0, y0, x1, y1) = middle_snake(&a[a_lo..a_hi], &b[b_lo..b_hi], &mut forward, &mut backward);
        if x1 > x0 {
            snakes.push((a_lo + x0, b_lo + y0, x1 - x0));
        }
        let whole = (a_hi - a_lo, b_hi - b_lo);
        let first = (x0, y0);
        let second = (whole.0 - x1, whole.1 - y1);
        // Guard against a split that makes no progress (cannot happen for D >= 1, kept for safety).
        if first == whole || second == whole {
            continue;
        }
        work.push((a_lo, a_lo + x0, b_lo, b_lo + y0));
        work.push((a_lo + x1, a_hi, b_lo + y1, b_hi));
    }
    snakes.sort_unstable();
    for (x, y, length) in snakes {
        for offset in 0..length {
            out.push((x + offset, y + offset));
        }
    }
    out
}

/// The middle snake of Myers' algorithm: a diagonal run on some optimal edit path whose both ends
/// split the edit distance in halves. Returns (x start, y start, x end, y end).
fn middle_snake<K: PartialEq>(
    a: &[K],
    b: &[K],
    forward: &mut Vec<isize>,
    backward: &mut Vec<isize>,
) -> (usize, usize, usize, usize) {
    let n = a.len() as isize;
    let m = b.len() as isize;
    let delta = n - m;
    let odd = delta & 1 != 0;
    let max = (n + m + 1) / 2;
    let offset = max + 1;
    let size = (2 * max + 3) as usize;
    forward.clear();
    forward.resize(size, 0);
    backward.clear();
    backward.resize(size, 0);
    let at = |k: isize| (k + offset) as usize;
    for d in 0..=max {
        if d > MAX_COST {
            return too_expensive(n, m, d - 1, forward, backward, &at);
        }
        let mut k = -d;
        while k <= d {
            let mut x = if k == -d || (k != d && forward[at(k - 1)] < forward[at(k + 1)]) {
                forward[at(k + 1)]
            } else {
                forward[at(k - 1)] + 1
            };
            let mut y = x - k;
            let (x0, y0) = (x, y);
            while x < n && y < m && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
            }
            forward[at(k)] = x;
            let reverse_k = delta - k;
            if odd && reverse_k.abs() < d && forward[at(k)] + backward[at(reverse_k)] >= n {
                return (x0 as usize, y0 as usize, x as usize, y as usize);
            }
            k += 2;
        }
        let mut k = -d;
        while k <= d {
            let mut x = if k == -d || (k != d && backward[at(k - 1)] < backward[at(k + 1)]) {
                backward[at(k + 1)]
            } else {
                backward[at(k - 1)] + 1
            };
            let mut y = x - k;
            let (x0, y0) = (x, y);
            while x < n && y < m && a[(n - 1 - x) as usize] == b[(m - 1 - y) as usize] {
                x += 1;
                y += 1;
            }
            backward[at(k)] = x;
            let forward_k = delta - k;
            if !odd && forward_k.abs() <= d && backward[at(k)] + forward[at(forward_k)] >= n {
                return ((n - x) as usize, (m - y) as usize, (n - x0) as usize, (m - y0) as usize);
            }
            k += 2;
        }
    }
    // Unreachable for non-empty inputs: the paths always meet by d = max.
    (0, 0, 0, 0)
}

/// When the edit distance of a sub-problem exceeds this, the split is chosen heuristically (the
/// furthest-reaching path so far, as GNU diff does) instead of exactly: the alignment stays a
/// valid common subsequence, possibly not a longest one, and runs that share almost nothing
/// cost O((N+M)·MAX_COST) instead of O((N+M)·D).
pub const MAX_COST: isize = 256;

/// The split point of the furthest-reaching forward or backward path after `d` steps, as an
/// empty snake.
fn too_expensive(
    n: isize,
    m: isize,
    d: isize,
    forward: &[isize],
    backward: &[isize],
    at: &dyn Fn(isize) -> usize,
) -> (usize, usize, usize, usize) {
    let mut best_forward = (-1isize, 0isize, 0isize);
    let mut best_backward = (-1isize, 0isize, 0isize);
    let mut k = -d;
    while k <= d {
        let x = forward[at(k)].min(n);
        let y = (x - k).clamp(0, m);
        if x + y > best_forward.0 {
            best_forward = (x + y, x, y);
        }
        let xb = backward[at(k)].min(n);
        let yb = (xb - k).clamp(0, m);
        if xb + yb > best_backward.0 {
            best_backward = (xb + yb, n - xb, m - yb);
        }
        k += 2;
    }
    let (_, x, y) = if best_forward.0 >= best_backward.0 { best_forward } else { best_backward };
    (x as usize, y as usize, x as usize, y as usize)
}

/// Aligns `a` and `b`: exact matches of `fine` keys (Myers), then, inside each gap, pairs steps
/// by `similarity` (Needleman-Wunsch with free gaps, pairs scoring above zero only), or by a
/// second Myers pass on `coarse` keys when the gap is too large for the quadratic pass.
pub fn align<K: PartialEq, C: PartialEq>(
    fine_a: &[K],
    fine_b: &[K],
    coarse_a: &[C],
    coarse_b: &[C],
    similarity: &dyn Fn(usize, usize) -> f64,
) -> Vec<Pair> {
    let matches = lcs_pairs(fine_a, fine_b);
    let mut out = Vec::with_capacity(fine_a.len().max(fine_b.len()));
    let (mut i, mut j) = (0usize, 0usize);
    let emit_gap = |out: &mut Vec<Pair>, a_lo: usize, a_hi: usize, b_lo: usize, b_hi: usize| {
        fill_gap(out, a_lo, a_hi, b_lo, b_hi, coarse_a, coarse_b, similarity);
    };
    for (x, y) in matches {
        emit_gap(&mut out, i, x, j, y);
        out.push(Pair::Match(x, y));
        i = x + 1;
        j = y + 1;
    }
    emit_gap(&mut out, i, fine_a.len(), j, fine_b.len());
    out
}

#[allow(clippy::too_many_arguments)]
fn fill_gap<C: PartialEq>(
    out: &mut Vec<Pair>,
    a_lo: usize,
    a_hi: usize,
    b_lo: usize,
    b_hi: usize,
    coarse_a: &[C],
    coarse_b: &[C],
    similarity: &dyn Fn(usize, usize) -> f64,
) {
    let g = a_hi - a_lo;
    let h = b_hi - b_lo;
    if g == 0 {
        out.extend((b_lo..b_hi).map(Pair::OnlyB));
        return;
    }
    if h == 0 {
        out.extend((a_lo..a_hi).map(Pair::OnlyA));
        return;
    }
    let pairs: Vec<(usize, usize)> = if g.saturating_mul(h) <= MAX_GAP_CELLS {
        scored_pairs(a_lo, a_hi, b_lo, b_hi, similarity)
    } else {
        lcs_pairs(&coarse_a[a_lo..a_hi], &coarse_b[b_lo..b_hi]).into_iter().map(|(x, y)| (a_lo + x, b_lo + y)).collect()
    };
    let (mut i, mut j) = (a_lo, b_lo);
    for (x, y) in pairs {
        // Within a gap, steps only in A come before steps only in B (deletions first).
        out.extend((i..x).map(Pair::OnlyA));
        out.extend((j..y).map(Pair::OnlyB));
        out.push(Pair::Paired(x, y));
        i = x + 1;
        j = y + 1;
    }
    out.extend((i..a_hi).map(Pair::OnlyA));
    out.extend((j..b_hi).map(Pair::OnlyB));
}

/// Needleman-Wunsch over a small gap: maximise the summed similarity of pairs, gaps cost nothing,
/// pairs with similarity <= 0 are never made.
fn scored_pairs(
    a_lo: usize,
    a_hi: usize,
    b_lo: usize,
    b_hi: usize,
    similarity: &dyn Fn(usize, usize) -> f64,
) -> Vec<(usize, usize)> {
    let g = a_hi - a_lo;
    let h = b_hi - b_lo;
    let width = h + 1;
    let mut score = vec![0.0f64; (g + 1) * width];
    // 0: diagonal (pair), 1: up (skip a), 2: left (skip b).
    let mut step = vec![0u8; (g + 1) * width];
    for i in 1..=g {
        step[i * width] = 1;
    }
    for cell in step.iter_mut().take(h + 1).skip(1) {
        *cell = 2;
    }
    for i in 1..=g {
        for j in 1..=h {
            let s = similarity(a_lo + i - 1, b_lo + j - 1);
            let diagonal = if s > 0.0 { score[(i - 1) * width + j - 1] + s } else { f64::NEG_INFINITY };
            let up = score[(i - 1) * width + j];
            let left = score[i * width + j - 1];
            let (best, choice) = if diagonal >= up && diagonal >= left {
                (diagonal, 0)
            } else if up >= left {
                (up, 1)
            } else {
                (left, 2)
            };
            score[i * width + j] = best;
            step[i * width + j] = choice;
        }
    }
    let mut pairs = Vec::new();
    let (mut i, mut j) = (g, h);
    while i > 0 || j > 0 {
        match step[i * width + j] {
            0 if i > 0 && j > 0 => {
                pairs.push((a_lo + i - 1, b_lo + j - 1));
                i -= 1;
                j -= 1;
            }
            1 if i > 0 => i -= 1,
            _ if j > 0 => j -= 1,
            _ => i -= 1,
        }
    }
    pairs.reverse();
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcs_length_dp(a: &[u8], b: &[u8]) -> usize {
        let mut table = vec![vec![0usize; b.len() + 1]; a.len() + 1];
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                table[i][j] =
                    if a[i - 1] == b[j - 1] { table[i - 1][j - 1] + 1 } else { table[i - 1][j].max(table[i][j - 1]) };
            }
        }
        table[a.len()][b.len()]
    }

    fn check(a: &[u8], b: &[u8]) {
        let pairs = lcs_pairs(a, b);
        assert_eq!(pairs.len(), lcs_length_dp(a, b), "a={a:?} b={b:?}");
        for window in pairs.windows(2) {
            assert!(window[0].0 < window[1].0 && window[0].1 < window[1].1);
        }
        for (x, y) in pairs {
            assert_eq!(a[x], b[y]);
        }
    }

    #[test]
    fn myers_finds_a_longest_common_subsequence() {
        check(b"abcabba", b"cbabac");
        check(b"", b"abc");
        check(b"abc", b"");
        check(b"abc", b"abc");
        check(b"xaxbxc", b"abc");
        // A small deterministic pseudo-random sweep (linear congruential; no external randomness).
        let mut state = 12345u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) as u8
        };
        for _ in 0..300 {
            let la = usize::from(next() % 14);
            let lb = usize::from(next() % 14);
            let a: Vec<u8> = (0..la).map(|_| next() % 3).collect();
            let b: Vec<u8> = (0..lb).map(|_| next() % 3).collect();
            check(&a, &b);
        }
    }

    #[test]
    fn expensive_inputs_still_give_a_common_subsequence() {
        let mut state = 7u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) as u16
        };
        let a: Vec<u16> = (0..6000).map(|_| next() % 50).collect();
        let b: Vec<u16> = (0..6000).map(|_| next() % 50).collect();
        let pairs = lcs_pairs(&a, &b);
        assert!(pairs.len() > 1000, "{}", pairs.len());
        for window in pairs.windows(2) {
            assert!(window[0].0 < window[1].0 && window[0].1 < window[1].1);
        }
        assert!(pairs.iter().all(|&(x, y)| a[x] == b[y]));
    }

    #[test]
    fn gaps_are_paired_by_similarity() {
        let fine_a = [1, 2, 3];
        let fine_b = [1, 9, 3];
        let coarse = [0, 0, 0];
        let pairs = align(&fine_a, &fine_b, &coarse, &coarse, &|_, _| 1.0);
        assert_eq!(pairs, vec![Pair::Match(0, 0), Pair::Paired(1, 1), Pair::Match(2, 2)]);
        let pairs = align(&fine_a, &fine_b, &coarse, &coarse, &|_, _| 0.0);
        assert_eq!(pairs, vec![Pair::Match(0, 0), Pair::OnlyA(1), Pair::OnlyB(1), Pair::Match(2, 2)]);
    }
}

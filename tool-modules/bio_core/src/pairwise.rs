//! Pairwise alignment with the semantics of Biopython 1.88's Bio.pairwise2 for an
//! identity match function (match / mismatch scores) and affine gap penalties
//! (`align.globalms`, `localms`, `globalxx`, `localxx`): the Gotoh score and trace
//! matrices of `_make_score_matrix_fast` (its C version), then the traceback of
//! `_recover_alignments`, which yields the optimal alignments in Biopython's order
//! (including its quirks: the score and start reported are the values its loop
//! variables hold at the time, at most 1,000 tracebacks are followed, duplicates and
//! empty local alignments are dropped, and a traceback that finds nothing is retried
//! on the transposed matrices).

/// Biopython's MAX_ALIGNMENTS: the most tracebacks followed.
pub const MAX_TRACEBACKS: usize = 1000;

/// `rint` of cpairwise2 / pairwise2: `(int)(x * 1000 + 0.5)`, truncating.
fn rint(x: f64) -> i64 {
    (x * 1000.0 + 0.5) as i64
}

#[derive(Clone, Copy, Debug)]
pub struct Gap {
    pub open: f64,
    pub extend: f64,
}

/// calc_affine_penalty with penalize_extend_when_opening = 0.
fn penalty(length: usize, open: f64, extend: f64) -> f64 {
    if length == 0 {
        return 0.0;
    }
    let p = open + extend * length as f64;
    p - extend
}

#[derive(Clone, Copy, Debug)]
pub struct Params {
    pub match_score: f64,
    pub mismatch_score: f64,
    pub gap_a: Gap,
    pub gap_b: Gap,
    /// (gaps in A, gaps in B) at the ends are penalised.
    pub penalize_end_gaps: (bool, bool),
    pub global: bool,
}

/// Score matrix (row-major, (lenA+1) x (lenB+1)), trace matrix (0 on the edges) and
/// best score. With `score_only`, only the best score is computed (two rows kept).
pub struct Matrices {
    pub score: Vec<f64>,
    pub trace: Vec<u8>,
    pub best: f64,
}

pub fn score_matrices(a: &[u8], b: &[u8], p: &Params, score_only: bool) -> Matrices {
    let (la, lb) = (a.len(), b.len());
    let w = lb + 1;
    let first_a_gap = penalty(1, p.gap_a.open, p.gap_a.extend);
    let first_b_gap = penalty(1, p.gap_b.open, p.gap_b.extend);
    // With score_only, rows are kept modulo 2.
    let rows = if score_only { 2 } else { la + 1 };
    let mut score = vec![0.0f64; rows * w];
    let mut trace = if score_only {
        Vec::new()
    } else {
        vec![0u8; (la + 1) * w]
    };
    let edge_col = |i: usize| {
        if p.penalize_end_gaps.1 {
            penalty(i, p.gap_b.open, p.gap_b.extend)
        } else {
            0.0
        }
    };
    for (j, s) in score.iter_mut().take(w).enumerate() {
        *s = if p.penalize_end_gaps.0 {
            penalty(j, p.gap_a.open, p.gap_a.extend)
        } else {
            0.0
        };
    }
    score[0] = edge_col(0);
    let mut col_cache: Vec<f64> = (0..=lb)
        .map(|i| penalty(i, 2.0 * p.gap_b.open, p.gap_b.extend))
        .collect();
    let mut local_max = 0.0f64;
    for row in 1..=la {
        let r = if score_only { row % 2 } else { row };
        let rp = if score_only { (row - 1) % 2 } else { row - 1 };
        score[r * w] = edge_col(row);
        let mut row_cache = penalty(row, 2.0 * p.gap_a.open, p.gap_a.extend);
        for col in 1..=lb {
            let m = if a[row - 1] == b[col - 1] {
                p.match_score
            } else {
                p.mismatch_score
            };
            let nogap = score[rp * w + col - 1] + m;
            let (row_open, row_extend) = if !p.penalize_end_gaps.0 && row == la {
                (score[r * w + col - 1], row_cache)
            } else {
                (
                    score[r * w + col - 1] + first_a_gap,
                    row_cache + p.gap_a.extend,
                )
            };
            row_cache = if row_open > row_extend {
                row_open
            } else {
                row_extend
            };
            let (col_open, col_extend) = if !p.penalize_end_gaps.1 && col == lb {
                (score[rp * w + col], col_cache[col])
            } else {
                (
                    score[rp * w + col] + first_b_gap,
                    col_cache[col] + p.gap_b.extend,
                )
            };
            col_cache[col] = if col_open > col_extend {
                col_open
            } else {
                col_extend
            };
            let mut best = if row_cache > col_cache[col] {
                row_cache
            } else {
                col_cache[col]
            };
            if nogap > best {
                best = nogap;
            }
            if best > local_max {
                local_max = best;
            }
            score[r * w + col] = if !p.global && best < 0.0 { 0.0 } else { best };
            if !score_only {
                let row_rint = rint(row_cache);
                let col_rint = rint(col_cache[col]);
                let mut row_trace = 0u8;
                let mut col_trace = 0u8;
                if rint(row_open) == row_rint {
                    row_trace |= 1;
                }
                if rint(row_extend) == row_rint {
                    row_trace |= 8;
                }
                if rint(col_open) == col_rint {
                    col_trace |= 4;
                }
                if rint(col_extend) == col_rint {
                    col_trace |= 16;
                }
                let best_rint = rint(best);
                let mut t = 0u8;
                if rint(nogap) == best_rint {
                    t |= 2;
                }
                if row_rint == best_rint {
                    t += row_trace;
                }
                if col_rint == best_rint {
                    t += col_trace;
                }
                trace[row * w + col] = t;
            }
        }
    }
    let best = if p.global {
        score[(if score_only { la % 2 } else { la }) * w + lb]
    } else {
        local_max
    };
    Matrices { score, trace, best }
}

/// The best score alone, in linear space: the recurrence of [`score_matrices`] (same
/// operations in the same order, so the same floating-point result to the bit) with one
/// row of scores, one of column-gap scores and no trace. What `score_only` runs.
pub fn best_score(a: &[u8], b: &[u8], p: &Params) -> f64 {
    let lb = b.len();
    let (pen_a, pen_b) = p.penalize_end_gaps;
    let edge_col = |i: usize| if pen_b { penalty(i, p.gap_b.open, p.gap_b.extend) } else { 0.0 };
    // `h[c]`: the score of column c in the last row computed there (row 0 at first).
    let mut h: Vec<f64> =
        (0..=lb).map(|j| if pen_a { penalty(j, p.gap_a.open, p.gap_a.extend) } else { 0.0 }).collect();
    h[0] = edge_col(0);
    let mut col_cache: Vec<f64> = (0..=lb).map(|i| penalty(i, 2.0 * p.gap_b.open, p.gap_b.extend)).collect();
    let cell = Cell {
        first_a_gap: penalty(1, p.gap_a.open, p.gap_a.extend),
        first_b_gap: penalty(1, p.gap_b.open, p.gap_b.extend),
        extend_a: p.gap_a.extend,
        extend_b: p.gap_b.extend,
        global: p.global,
    };
    let mut local_max = 0.0f64;
    let profiles = Profiles::new(a, b, p);
    let mut first = 1;
    while first <= a.len() {
        let rows = STRIP.min(a.len() + 1 - first);
        strip(a, b, p, &profiles, &cell, first, rows, &mut h, &mut col_cache, &mut local_max, edge_col);
        first += rows;
    }
    if p.global {
        h[lb]
    } else {
        local_max
    }
}

/// For each letter of `a`, its match score against each letter of `b` (index `c - 1` for
/// column `c`): a cell's match score is then one load instead of a comparison and a
/// choice. Made on WebAssembly only (natively the choice is cheap), and only while the
/// table stays within [`Profiles::MAX_ENTRIES`] (DNA or protein at the tools' 5,000
/// letters; not 94 printable letters against 3,000): otherwise each cell compares.
struct Profiles(Vec<Option<Box<[f64]>>>);

impl Profiles {
    /// At most 2 MiB of profiles.
    const MAX_ENTRIES: usize = 1 << 18;

    fn new(a: &[u8], b: &[u8], p: &Params) -> Profiles {
        if !cfg!(target_arch = "wasm32") {
            return Profiles(Vec::new());
        }
        let mut present = [false; 256];
        for &x in a {
            present[usize::from(x)] = true;
        }
        let letters = present.iter().filter(|x| **x).count();
        if letters.saturating_mul(b.len()) > Self::MAX_ENTRIES {
            return Profiles(Vec::new());
        }
        let profile = |x: u8| b.iter().map(|&y| if y == x { p.match_score } else { p.mismatch_score }).collect();
        Profiles((0..=255u8).map(|x| present[usize::from(x)].then(|| profile(x))).collect())
    }

    /// The profiles of a strip's rows' letters, when there are profiles.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    fn of(&self, letters: &[u8; STRIP]) -> Option<[&[f64]; STRIP]> {
        let one = |x: u8| self.0.get(usize::from(x)).and_then(|p| p.as_deref());
        Some([one(letters[0])?, one(letters[1])?, one(letters[2])?, one(letters[3])?])
    }
}

/// Rows filled together, one column apart: their cells' dependency chains are
/// independent, so the processor overlaps them (one row alone is one long chain of
/// dependent additions and comparisons).
const STRIP: usize = 4;

/// Fill rows `first..first + rows` (1-based) as a wavefront: at step `t`, row `first + k`
/// fills column `t - k + 1`. A cell's left neighbour is its row's previous cell, its upper
/// and diagonal ones are the row above's, computed one and two steps earlier: the same
/// values, and the same operations, as filling the rows one after the other.
#[allow(clippy::too_many_arguments)]
fn strip(
    a: &[u8],
    b: &[u8],
    p: &Params,
    profiles: &Profiles,
    cell: &Cell,
    first: usize,
    rows: usize,
    h: &mut [f64],
    col_cache: &mut [f64],
    local_max: &mut f64,
    edge_col: impl Fn(usize) -> f64,
) {
    let lb = b.len();
    let mut left = [0.0f64; STRIP];
    let mut diag = [0.0f64; STRIP];
    let mut row_cache = [0.0f64; STRIP];
    let mut letter = [0u8; STRIP];
    let mut free_row_end = [false; STRIP];
    for k in 0..rows {
        let row = first + k;
        left[k] = edge_col(row);
        row_cache[k] = penalty(row, 2.0 * p.gap_a.open, p.gap_a.extend);
        letter[k] = a[row - 1];
        free_row_end[k] = !p.penalize_end_gaps.0 && row == a.len();
    }
    // Column 0 of each row: its edge value; the row below reads it as its diagonal.
    diag[0] = h[0];
    h[0] = left[rows - 1];
    for k in 1..rows {
        diag[k] = left[k - 1];
    }
    let free_col_end = !p.penalize_end_gaps.1;
    // The steps where all four rows have a column short of the last: unrolled, the rows'
    // state in locals (registers), not in arrays (which a WebAssembly compiler keeps in
    // memory). The other steps go through the general loop below.
    let steady = if rows == STRIP && lb > STRIP { STRIP - 1..lb - 1 } else { 0..0 };
    let general = (0..lb + rows - 1).filter(|t| !steady.contains(t));
    if !steady.is_empty() {
        let mut general_first = general.clone().take_while(|t| *t < steady.start);
        for t in &mut general_first {
            general_step(t, rows, b, p, cell, &letter, &free_row_end, free_col_end, &mut left, &mut diag, &mut row_cache, h, col_cache, local_max);
        }
        #[cfg(target_arch = "wasm32")]
        if !free_row_end.contains(&true) {
            let ts = steady.clone();
            let scores = simd::Scores { b, letters: &letter, profiles: profiles.of(&letter), p };
            match p.global {
                true => simd::steady_steps::<false>(ts, &scores, cell, &mut left, &mut diag, &mut row_cache, h, col_cache, local_max),
                false => simd::steady_steps::<true>(ts, &scores, cell, &mut left, &mut diag, &mut row_cache, h, col_cache, local_max),
            }
        } else {
            steady_steps(steady.clone(), b, p, cell, &letter, &free_row_end, &mut left, &mut diag, &mut row_cache, h, col_cache, local_max);
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            let _ = profiles;
            steady_steps(steady.clone(), b, p, cell, &letter, &free_row_end, &mut left, &mut diag, &mut row_cache, h, col_cache, local_max);
        }
    }
    for t in general.filter(|t| steady.is_empty() || *t >= steady.end) {
        general_step(t, rows, b, p, cell, &letter, &free_row_end, free_col_end, &mut left, &mut diag, &mut row_cache, h, col_cache, local_max);
    }
}

/// One wavefront step for rows of any count, near the strip's ends.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn general_step(
    t: usize,
    rows: usize,
    b: &[u8],
    p: &Params,
    cell: &Cell,
    letter: &[u8; STRIP],
    free_row_end: &[bool; STRIP],
    free_col_end: bool,
    left: &mut [f64; STRIP],
    diag: &mut [f64; STRIP],
    row_cache: &mut [f64; STRIP],
    h: &mut [f64],
    col_cache: &mut [f64],
    local_max: &mut f64,
) {
    let lb = b.len();
    {
        for k in 0..rows {
            let Some(c) = (t + 1).checked_sub(k).filter(|c| (1..=lb).contains(c)) else { continue };
            let m = if letter[k] == b[c - 1] { p.match_score } else { p.mismatch_score };
            let up = h[c];
            let best = cell.step(
                diag[k] + m,
                left[k],
                up,
                &mut row_cache[k],
                &mut col_cache[c],
                free_row_end[k],
                free_col_end && c == lb,
                local_max,
            );
            diag[k] = up;
            left[k] = best;
            h[c] = best;
        }
    }
}

/// The steps `ts` of a strip of [`STRIP`] rows where every row's column is inside
/// `1..b.len()`: the same cells as [`general_step`], unrolled.
#[allow(clippy::too_many_arguments)]
fn steady_steps(
    ts: std::ops::Range<usize>,
    b: &[u8],
    p: &Params,
    cell: &Cell,
    letter: &[u8; STRIP],
    free_row_end: &[bool; STRIP],
    left: &mut [f64; STRIP],
    diag: &mut [f64; STRIP],
    row_cache: &mut [f64; STRIP],
    h: &mut [f64],
    col_cache: &mut [f64],
    local_max: &mut f64,
) {
    let [mut l0, mut l1, mut l2, mut l3] = *left;
    let [mut d0, mut d1, mut d2, mut d3] = *diag;
    let [mut r0, mut r1, mut r2, mut r3] = *row_cache;
    let [a0, a1, a2, a3] = *letter;
    let [f0, f1, f2, f3] = *free_row_end;
    let mut max = *local_max;
    macro_rules! cell {
        ($c:expr, $a:ident, $l:ident, $d:ident, $r:ident, $f:ident) => {{
            let c = $c;
            let m = if $a == b[c - 1] { p.match_score } else { p.mismatch_score };
            let up = h[c];
            let best = cell.step($d + m, $l, up, &mut $r, &mut col_cache[c], $f, false, &mut max);
            $d = up;
            $l = best;
            h[c] = best;
        }};
    }
    for t in ts {
        cell!(t + 1, a0, l0, d0, r0, f0);
        cell!(t, a1, l1, d1, r1, f1);
        cell!(t - 1, a2, l2, d2, r2, f2);
        cell!(t - 2, a3, l3, d3, r3, f3);
    }
    *left = [l0, l1, l2, l3];
    *diag = [d0, d1, d2, d3];
    *row_cache = [r0, r1, r2, r3];
    *local_max = max;
}

/// The steady steps on WebAssembly: the same operations as [`steady_steps`], two rows
/// to a vector and each choice made without a branch. wasmtime compiles a choice between
/// two floats (`if x > y { x } else { y }`, a `select`) to a conditional jump, and in an
/// alignment those jumps go either way at random: the branchy loop took ~20 ns a cell.
/// Here every maximum is `f64x2.pmax` (`if a < b { b } else { a }`: one `maxpd`, the
/// same choice, ties and signed zeros included) and the match score is a load from a
/// profile (or a lane mask), so a cell costs ~3 ns. Checked against Biopython's
/// pairwise2 by the differential tests, which run this build.
#[cfg(target_arch = "wasm32")]
mod simd {
    use super::{Cell, Params, STRIP};
    use core::arch::wasm32::*;

    /// Where a strip's match scores come from.
    pub(super) struct Scores<'a> {
        pub b: &'a [u8],
        pub letters: &'a [u8; STRIP],
        /// The rows' letters' profiles, when there are profiles.
        pub profiles: Option<[&'a [f64]; STRIP]>,
        pub p: &'a Params,
    }

    /// [`super::steady_steps`] for rows none of which is a free last row (their row-gap
    /// rule differs; that strip takes the scalar loop). `LOCAL`: scores are clamped at 0.
    ///
    /// Two rows share a vector: lane 0 holds row `2j` at column `c`, lane 1 row `2j + 1`
    /// at column `c - 1`, the wavefront's own offset. Lane 1's upper neighbour (and
    /// column-gap score) is what lane 0 computed the step before, so it is passed in a
    /// register by a shuffle; only lane 1, the lower row, is written to `h` and
    /// `col_cache` for the rows below. Each cell sees the same values in the same
    /// operations as in [`super::steady_steps`].
    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "simd128")]
    pub(super) fn steady_steps<const LOCAL: bool>(
        ts: std::ops::Range<usize>,
        scores: &Scores<'_>,
        cell: &Cell,
        left: &mut [f64; STRIP],
        diag: &mut [f64; STRIP],
        row_cache: &mut [f64; STRIP],
        h: &mut [f64],
        col_cache: &mut [f64],
        local_max: &mut f64,
    ) {
        let b = scores.b;
        let pair = |x: &[f64; STRIP], j: usize| f64x2(x[2 * j], x[2 * j + 1]);
        let (mut l0, mut l1) = (pair(left, 0), pair(left, 1));
        let (mut d0, mut d1) = (pair(diag, 0), pair(diag, 1));
        let (mut r0, mut r1) = (pair(row_cache, 0), pair(row_cache, 1));
        let sp = |x: f64| f64x2_splat(x);
        let mut max = sp(*local_max);
        let (mat, mis) = (sp(scores.p.match_score), sp(scores.p.mismatch_score));
        let (fa, fb, ea, eb) = (sp(cell.first_a_gap), sp(cell.first_b_gap), sp(cell.extend_a), sp(cell.extend_b));
        let zero = sp(0.0);
        // Every column the steps touch, `ts.start - 3 ..= ts.end`, is a column of `b`
        // (1-based), of both rows and of the profiles: checked once here instead of on
        // every access.
        let profiles_fit = scores.profiles.is_none_or(|ps| ps.iter().all(|p| p.len() == b.len()));
        assert!(ts.start >= STRIP - 1 && ts.end < b.len() && h.len() > ts.end && col_cache.len() > ts.end && profiles_fit);
        let (bp, hp, cp) = (b.as_ptr(), h.as_mut_ptr(), col_cache.as_mut_ptr());
        // Lane 0's column-gap score of the step before (row 2j at column c - 1): from
        // memory at the first step, where the scalar steps left it.
        // SAFETY (here and below): every index is a column in `ts.start - 3 ..= ts.end`
        // (asserted above); `h` and `col_cache` are borrowed by nothing else.
        let (mut cc0, mut cc1) = unsafe { (sp(*cp.add(ts.start)), sp(*cp.add(ts.start - 2))) };
        macro_rules! pair_step {
            ($c:expr, $m:expr, $l:ident, $d:ident, $r:ident, $cc:ident) => {{
                let c = $c;
                let (above, above_cc) = unsafe { (v128_load64_splat(hp.add(c) as *const u64), v128_load64_splat(cp.add(c) as *const u64)) };
                // (row above at c, lane 0's last value), (the same for column gaps)
                let up = i64x2_shuffle::<0, 2>(above, $l);
                let up_cc = i64x2_shuffle::<0, 2>(above_cc, $cc);
                let m: v128 = $m(c);
                let nogap = f64x2_add($d, m);
                $r = f64x2_pmax(f64x2_add($r, ea), f64x2_add($l, fa));
                $cc = f64x2_pmax(f64x2_add(up_cc, eb), f64x2_add(up, fb));
                let best = f64x2_pmax(f64x2_pmax($cc, $r), nogap);
                max = f64x2_pmax(max, best);
                let stored = if LOCAL { f64x2_pmax(best, zero) } else { best };
                $d = up;
                $l = stored;
                unsafe {
                    v128_store64_lane::<1>($cc, cp.add(c - 1) as *mut u64);
                    v128_store64_lane::<1>(stored, hp.add(c - 1) as *mut u64);
                }
            }};
        }
        match scores.profiles {
            Some([p0, p1, p2, p3]) => {
                let (p0, p1, p2, p3) = (p0.as_ptr(), p1.as_ptr(), p2.as_ptr(), p3.as_ptr());
                // Lane 0: row 2j's letter against column c; lane 1: row 2j + 1's against c - 1.
                let from = |pa: *const f64, pb: *const f64| {
                    move |c: usize| unsafe { v128_load64_lane::<1>(v128_load64_zero(pa.add(c - 1) as *const u64), pb.add(c - 2) as *const u64) }
                };
                let (m0, m1) = (from(p0, p1), from(p2, p3));
                for t in ts.clone() {
                    pair_step!(t + 1, m0, l0, d0, r0, cc0);
                    pair_step!(t - 1, m1, l1, d1, r1, cc1);
                }
            }
            None => {
                let [a0, a1, a2, a3] = *scores.letters;
                let same = |a: u8, c: usize| -i64::from(a == unsafe { *bp.add(c - 1) });
                let by_letters = |a: u8, a_below: u8| move |c: usize| v128_bitselect(mat, mis, i64x2(same(a, c), same(a_below, c - 1)));
                let (m0, m1) = (by_letters(a0, a1), by_letters(a2, a3));
                for t in ts.clone() {
                    pair_step!(t + 1, m0, l0, d0, r0, cc0);
                    pair_step!(t - 1, m1, l1, d1, r1, cc1);
                }
            }
        }
        // Lane 0's last cells were kept in registers: write them where the scalar steps
        // that follow read them.
        let last = ts.end - 1;
        unsafe {
            v128_store64_lane::<0>(l0, hp.add(last + 1) as *mut u64);
            v128_store64_lane::<0>(cc0, cp.add(last + 1) as *mut u64);
            v128_store64_lane::<0>(l1, hp.add(last - 1) as *mut u64);
            v128_store64_lane::<0>(cc1, cp.add(last - 1) as *mut u64);
        }
        let lanes = |v: v128| [f64x2_extract_lane::<0>(v), f64x2_extract_lane::<1>(v)];
        let join = |x: v128, y: v128| {
            let ([a, b], [c, d]) = (lanes(x), lanes(y));
            [a, b, c, d]
        };
        *left = join(l0, l1);
        *diag = join(d0, d1);
        *row_cache = join(r0, r1);
        *local_max = f64x2_extract_lane::<0>(max).max(f64x2_extract_lane::<1>(max));
    }
}

/// The constants of one cell's recurrence.
struct Cell {
    first_a_gap: f64,
    first_b_gap: f64,
    extend_a: f64,
    extend_b: f64,
    global: bool,
}

impl Cell {
    /// One cell of [`score_matrices`]: returns the value stored (clamped at 0 in local
    /// mode), updating the row and column gap scores and the local maximum.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn step(
        &self,
        nogap: f64,
        left: f64,
        up: f64,
        row_cache: &mut f64,
        col_cache: &mut f64,
        free_row_end: bool,
        free_col_end: bool,
        local_max: &mut f64,
    ) -> f64 {
        let (row_open, row_extend) =
            if free_row_end { (left, *row_cache) } else { (left + self.first_a_gap, *row_cache + self.extend_a) };
        *row_cache = if row_open > row_extend { row_open } else { row_extend };
        let (col_open, col_extend) =
            if free_col_end { (up, *col_cache) } else { (up + self.first_b_gap, *col_cache + self.extend_b) };
        *col_cache = if col_open > col_extend { col_open } else { col_extend };
        let mut best = if *row_cache > *col_cache { *row_cache } else { *col_cache };
        if nogap > best {
            best = nogap;
        }
        if best > *local_max {
            *local_max = best;
        }
        if !self.global && best < 0.0 {
            0.0
        } else {
            best
        }
    }
}

/// One alignment as Biopython returns it.
#[derive(Clone, Debug, PartialEq)]
pub struct Alignment {
    pub seq_a: Vec<u8>,
    pub seq_b: Vec<u8>,
    pub score: f64,
    pub start: usize,
    pub end: usize,
}

struct Ctx<'a> {
    a: &'a [u8],
    b: &'a [u8],
    w: usize,
    score: &'a [f64],
    trace: &'a mut [u8],
    best: f64,
    global: bool,
    gap: u8,
    gap_a: Gap,
    gap_b: Gap,
}

#[derive(Clone)]
struct State {
    a: Vec<u8>,
    b: Vec<u8>,
    end: Option<i64>,
    row: usize,
    col: usize,
    col_gap: bool,
    trace: u8,
}

/// A raw traceback: (seqA, seqB, score, begin, end) before cleaning.
type Raw = (Vec<u8>, Vec<u8>, f64, usize, Option<i64>);

fn recover(
    cx: &mut Ctx,
    starts: &[(f64, usize, usize)],
    one_only: bool,
    reverse: bool,
) -> Vec<Raw> {
    let (la, lb) = (cx.a.len(), cx.b.len());
    let w = cx.w;
    let mut ali_a: Vec<u8> = Vec::new();
    let mut ali_b: Vec<u8> = Vec::new();
    let mut tracebacks: Vec<Raw> = Vec::new();
    let mut in_process: Vec<State> = Vec::new();
    let mut score = 0.0f64;
    let mut begin = 0usize;
    for &(s, row, col) in starts {
        score = s;
        begin = 0;
        let end;
        if cx.global {
            end = None;
        } else {
            if row >= 1
                && col >= 1
                && starts
                    .iter()
                    .any(|&(s2, r2, c2)| s2 == s && r2 == row - 1 && c2 == col - 1)
            {
                continue;
            }
            if s <= 0.0 {
                continue;
            }
            let t = cx.trace[row * w + col];
            if (t - t % 2) % 4 == 2 {
                cx.trace[row * w + col] = 2;
            } else {
                continue;
            }
            let e = -((la - row).max(lb - col) as i64);
            end = if e == 0 { None } else { Some(e) };
            let (cd, rd) = ((lb - col) as i64, (la - row) as i64);
            ali_a = vec![cx.gap; (cd - rd).max(0) as usize];
            ali_a.extend(cx.a[row..].iter().rev());
            ali_b = vec![cx.gap; (rd - cd).max(0) as usize];
            ali_b.extend(cx.b[col..].iter().rev());
        }
        in_process.push(State {
            a: ali_a.clone(),
            b: ali_b.clone(),
            end,
            row,
            col,
            col_gap: false,
            trace: cx.trace[row * w + col],
        });
    }
    while let Some(st) = (tracebacks.len() < MAX_TRACEBACKS)
        .then(|| in_process.pop())
        .flatten()
    {
        let State {
            a: mut sa,
            b: mut sb,
            end,
            mut row,
            mut col,
            mut col_gap,
            mut trace,
        } = st;
        let mut dead_end = false;
        while (row > 0 || col > 0) && !dead_end {
            let cache = State {
                a: sa.clone(),
                b: sb.clone(),
                end,
                row,
                col,
                col_gap,
                trace: 0,
            };
            if trace == 0 {
                if col > 0 && col_gap {
                    dead_end = true;
                } else {
                    // _finish_backtrace
                    if row > 0 {
                        sa.extend(cx.a[..row].iter().rev());
                    }
                    if col > 0 {
                        sb.extend(cx.b[..col].iter().rev());
                    }
                    if row > col {
                        let n = sa.len().saturating_sub(sb.len());
                        sb.extend(std::iter::repeat(cx.gap).take(n));
                    } else if col > row {
                        let n = sb.len().saturating_sub(sa.len());
                        sa.extend(std::iter::repeat(cx.gap).take(n));
                    }
                }
                break;
            } else if trace % 2 == 1 {
                trace -= 1;
                if col_gap {
                    dead_end = true;
                } else {
                    col -= 1;
                    sa.push(cx.gap);
                    sb.push(cx.b[col]);
                    col_gap = false;
                }
            } else if trace % 4 == 2 {
                trace -= 2;
                row -= 1;
                col -= 1;
                sa.push(cx.a[row]);
                sb.push(cx.b[col]);
                col_gap = false;
            } else if trace % 8 == 4 {
                trace -= 4;
                row -= 1;
                sa.push(cx.a[row]);
                sb.push(cx.gap);
                col_gap = true;
            } else if trace == 8 || trace == 24 {
                trace -= 8;
                if col_gap {
                    dead_end = true;
                } else {
                    col_gap = false;
                    dead_end = find_gap_open(
                        cx,
                        &mut sa,
                        &mut sb,
                        end,
                        &mut row,
                        &mut col,
                        col_gap,
                        &mut in_process,
                        true,
                    );
                }
            } else if trace == 16 {
                trace -= 16;
                col_gap = true;
                dead_end = find_gap_open(
                    cx,
                    &mut sa,
                    &mut sb,
                    end,
                    &mut row,
                    &mut col,
                    col_gap,
                    &mut in_process,
                    false,
                );
            }
            if trace != 0 {
                in_process.push(State { trace, ..cache });
            }
            trace = cx.trace[row * w + col];
            if !cx.global {
                let s = cx.score[row * w + col];
                if s == cx.best {
                    dead_end = true;
                } else if s <= 0.0 {
                    begin = row.max(col);
                    trace = 0;
                }
            }
        }
        if !dead_end {
            sa.reverse();
            sb.reverse();
            if reverse {
                tracebacks.push((sb, sa, score, begin, end));
            } else {
                tracebacks.push((sa, sb, score, begin, end));
            }
            if one_only {
                break;
            }
        }
    }
    tracebacks
}

#[allow(clippy::too_many_arguments)]
fn find_gap_open(
    cx: &Ctx,
    sa: &mut Vec<u8>,
    sb: &mut Vec<u8>,
    end: Option<i64>,
    row: &mut usize,
    col: &mut usize,
    col_gap: bool,
    in_process: &mut Vec<State>,
    along_col: bool,
) -> bool {
    let w = cx.w;
    let mut dead_end = false;
    let target_score = cx.score[*row * w + *col];
    let (target, index_gap) = if along_col {
        (*col, cx.gap_a)
    } else {
        (*row, cx.gap_b)
    };
    for n in 0..target {
        if along_col {
            *col -= 1;
            sa.push(cx.gap);
            sb.push(cx.b[*col]);
        } else {
            *row -= 1;
            sa.push(cx.a[*row]);
            sb.push(cx.gap);
        }
        let here = cx.score[*row * w + *col];
        let actual = here + penalty(n + 1, index_gap.open, index_gap.extend);
        if !cx.global && here == cx.best {
            dead_end = true;
            break;
        }
        let t = cx.trace[*row * w + *col];
        if rint(actual) == rint(target_score) && n > 0 {
            if t == 0 {
                break;
            }
            in_process.push(State {
                a: sa.clone(),
                b: sb.clone(),
                end,
                row: *row,
                col: *col,
                col_gap,
                trace: t,
            });
        }
        if t == 0 {
            dead_end = true;
        }
    }
    dead_end
}

fn clean(raw: Vec<Raw>) -> Vec<Alignment> {
    let mut unique: Vec<Raw> = Vec::new();
    for r in raw {
        if !unique.contains(&r) {
            unique.push(r);
        }
    }
    unique
        .into_iter()
        .filter_map(|(a, b, score, begin, end)| {
            let len = a.len() as i64;
            let end = match end {
                None => len,
                Some(e) if e < 0 => e + len,
                Some(e) => e,
            };
            if begin as i64 >= end {
                return None;
            }
            Some(Alignment {
                seq_a: a,
                seq_b: b,
                score,
                start: begin,
                end: end as usize,
            })
        })
        .collect()
}

/// Bit swap of a trace value for the transposed problem (1 <-> 4, 8 <-> 16).
fn reverse_trace(t: u8) -> u8 {
    (t & 2) | ((t & 1) << 2) | ((t & 4) >> 2) | ((t & 8) << 1) | ((t & 16) >> 1)
}

/// The alignments Biopython returns (all of them, up to its 1,000 tracebacks).
pub fn align(a: &[u8], b: &[u8], p: &Params, gap: u8, one_only: bool) -> Vec<Alignment> {
    let Matrices {
        score,
        mut trace,
        best,
    } = score_matrices(a, b, p, false);
    let (la, lb) = (a.len(), b.len());
    let w = lb + 1;
    let starts: Vec<(f64, usize, usize)> = if p.global {
        vec![(best, la, lb)]
    } else {
        let mut v = Vec::new();
        for row in 0..=la {
            for col in 0..=lb {
                let s = score[row * w + col];
                if rint((s - best).abs()) <= 0 {
                    v.push((s, row, col));
                }
            }
        }
        v
    };
    let raw = {
        let mut cx = Ctx {
            a,
            b,
            w,
            score: &score,
            trace: &mut trace,
            best,
            global: p.global,
            gap,
            gap_a: p.gap_a,
            gap_b: p.gap_b,
        };
        recover(&mut cx, &starts, one_only, false)
    };
    let out = clean(raw);
    if !out.is_empty() {
        return out;
    }
    // Retry on the transposed matrices (built from the current, modified trace).
    let w2 = la + 1;
    let mut score_t = vec![0.0; (lb + 1) * w2];
    let mut trace_t = vec![0u8; (lb + 1) * w2];
    for row in 0..=la {
        for col in 0..=lb {
            score_t[col * w2 + row] = score[row * w + col];
            trace_t[col * w2 + row] = reverse_trace(trace[row * w + col]);
        }
    }
    let starts_t: Vec<(f64, usize, usize)> = starts.iter().map(|&(s, r, c)| (s, c, r)).collect();
    let mut cx = Ctx {
        a: b,
        b: a,
        w: w2,
        score: &score_t,
        trace: &mut trace_t,
        best,
        global: p.global,
        gap,
        gap_a: p.gap_b,
        gap_b: p.gap_a,
    };
    clean(recover(&mut cx, &starts_t, one_only, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (no dependency): xorshift64*.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn seq(&mut self, max_len: usize, alphabet: &[u8]) -> Vec<u8> {
            let n = (self.next() % (max_len as u64 + 1)) as usize;
            (0..n).map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize]).collect()
        }
        fn pick(&mut self, xs: &[f64]) -> f64 {
            xs[(self.next() % xs.len() as u64) as usize]
        }
    }

    #[test]
    fn the_linear_space_score_is_the_full_recurrences_to_the_bit() {
        let mut r = Rng(0x9e37_79b9_7f4a_7c15);
        for case in 0..3000 {
            let alphabet: &[u8] = if case % 3 == 0 { b"AC" } else { b"ACGT" };
            let (a, b) = (r.seq(40, alphabet), r.seq(40, alphabet));
            let gap = |r: &mut Rng| {
                let open = r.pick(&[0.0, -0.5, -1.0, -2.0, -10.0, -0.1]);
                let extend = r.pick(&[0.0, -0.1, -0.5, -1.0]).max(open);
                Gap { open, extend }
            };
            let p = Params {
                match_score: r.pick(&[1.0, 2.0, 5.0, 0.5]),
                mismatch_score: r.pick(&[0.0, -1.0, -3.0, -0.4]),
                gap_a: gap(&mut r),
                gap_b: gap(&mut r),
                penalize_end_gaps: (r.next() % 2 == 0, r.next() % 2 == 0),
                global: r.next() % 2 == 0,
            };
            let full = score_matrices(&a, &b, &p, false).best;
            let two_rows = score_matrices(&a, &b, &p, true).best;
            let linear = best_score(&a, &b, &p);
            assert_eq!(full.to_bits(), two_rows.to_bits(), "case {case}");
            assert_eq!(linear.to_bits(), full.to_bits(), "case {case}: {a:?} {b:?} {p:?}");
        }
    }
}

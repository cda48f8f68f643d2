use std::borrow::Cow;

use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::spread::sort_spread;
use super::tokens::for_each_word;
use super::{DedupConfig, Shingle, Signature};
use crate::Result;

/// Version of the signature scheme (shingle hash, permutation family, seeds
/// derivation). Sketches are comparable only within one version and one
/// `normalize::KEY_VERSION`; it is recorded in `summary.json`.
pub const SIGNATURE_VERSION: u32 = 6;

/// The signature version the permutations' seeds are derived from: version 6
/// changed the exact hash and the length ([`layout_free`]), not the signatures,
/// so LSH buckets and estimates stay those of version 5.
const PERMUTATIONS_OF: u64 = 5;

/// A key text as the exact hash and the length ([`Sketch::chars`]) see it: its
/// non-empty lines joined by single spaces. Line breaks and blank lines are
/// layout: keys that differ only there (a trailing newline, a paragraph break, the
/// blank line left by a cut footer) have the same tokens, and their texts are
/// exact duplicates, of the same length.
pub fn layout_free(key: &str) -> Cow<'_, str> {
    if memchr::memchr(b'\n', key.as_bytes()).is_none() {
        return Cow::Borrowed(key);
    }
    let mut out = String::with_capacity(key.len());
    push_layout_free(key, &mut out);
    Cow::Owned(out)
}

/// The non-empty lines of `key` (the standard library's `split` finds line
/// breaks a word at a time; `memchr` 32 bytes at a time).
fn lines(key: &str) -> impl Iterator<Item = &str> {
    let mut from = 0;
    memchr::memchr_iter(b'\n', key.as_bytes())
        .chain(std::iter::once(key.len()))
        .filter_map(move |end| {
            // Line breaks are ASCII: `from` and `end` fall on character boundaries.
            let line = key.get(from..end);
            from = end + 1;
            line.filter(|l| !l.is_empty())
        })
}

/// Appends the [`layout_free`] form of `key` to `out`.
fn push_layout_free(key: &str, out: &mut String) {
    let start = out.len();
    for line in lines(key) {
        if out.len() > start {
            out.push(' ');
        }
        out.push_str(line);
    }
}

/// The length in characters of the [`layout_free`] form of `key`, without making
/// it: every line break goes, and one space joins each two non-empty lines.
fn layout_free_chars(key: &str) -> u64 {
    let chars = key.chars().count();
    let breaks = memchr::memchr_iter(b'\n', key.as_bytes()).count();
    if breaks == 0 {
        return chars as u64;
    }
    (chars - breaks + lines(key).count().saturating_sub(1)) as u64
}

/// At most this many number tokens are kept per document for the number check:
/// the ones with the smallest hashes, so two documents keep comparable samples.
const MAX_NUMBERS: usize = 32;

/// Fixed-size summary of one document's key text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sketch {
    /// xxh3-128 of the key text's [`layout_free`] form (exact duplicates).
    pub exact: u128,
    /// MinHash signature, one value per permutation; empty for `exact_only`.
    pub sig: Box<[u32]>,
    /// Number of distinct shingles (0 for an empty text).
    pub shingles: u32,
    /// Length of the key text's [`layout_free`] form in characters.
    pub chars: u64,
    /// Hashes of the distinct number tokens (runs of ASCII digits after key
    /// normalization), sorted; a bottom-k sample of at most 32. Two texts that each
    /// carry numbers the other lacks (other dates, scores, tolls) are reports of
    /// different events even when their wording is a shared template.
    pub numbers: Box<[u32]>,
    /// Anchors: the shingles whose 64-bit hash falls in a fixed 1/16 slice
    /// (the high 32 bits of each), sorted; empty when containment is off. Two texts sharing two
    /// anchors become a containment candidate even when their Jaccard similarity is
    /// too low for LSH (a short item quoted in a long page).
    pub anchors: Box<[u32]>,
    /// The whole shingle set (high 32 bits of each hash, sorted) when exact verification
    /// is on (`DedupConfig::exact_verify`); empty otherwise.
    pub set: Box<[u32]>,
    /// Where each entry of `set` first occurs in the text (its shingle index,
    /// capped at 65,535), in `set` order; empty when `set` is. Verification uses it
    /// to tell a copy with scattered edits from a text that shares a passage with
    /// another one but also carries passages of its own ([`Sketch::own_passages`]).
    pub pos: Box<[u16]>,
}

impl Sketch {
    /// Jaccard similarity and containment of the smaller set in the larger one
    /// (and its coverage of the larger): exact when both sketches carry their
    /// shingle sets, else estimated from the signatures.
    pub fn similarity(&self, other: &Sketch) -> (f64, f64, f64) {
        if self.set.is_empty() || other.set.is_empty() {
            let j = self.jaccard(other);
            let (c, v) = containment_from(j, self.shingles, other.shingles);
            return (j, c, v);
        }
        let (a, b) = (&self.set, &other.set);
        // Branch-free merge: the comparisons are unpredictable.
        let (mut i, mut k, mut inter) = (0, 0, 0usize);
        while i < a.len() && k < b.len() {
            let (x, y) = (a[i], b[k]);
            inter += (x == y) as usize;
            i += (x <= y) as usize;
            k += (y <= x) as usize;
        }
        set_ratios(inter, a.len(), b.len())
    }

    /// How much of this text is its own: the distinct shingles of `self` absent from
    /// `other` that lie in runs of at least `run` consecutive shingle positions
    /// (passages `other` does not have at all), and all distinct shingles absent
    /// from `other`. `None` without exact sets (`exact_verify` off).
    ///
    /// A copy edited word by word misses shingles in short runs (an edit costs
    /// `ngram` of them); a text made of a passage of another one plus paragraphs of
    /// its own misses them in long runs.
    pub fn own_passages(&self, other: &Sketch, run: usize) -> Option<(u32, u32)> {
        let mut scratch = Overlap::default();
        self.overlap(other, &mut scratch)?;
        Some(scratch.own_passages(run))
    }

    /// Intersects the exact sets in one branch-free pass and records, in `out`,
    /// where `self`'s shingles missing from `other` sit in its text. Returns the
    /// intersection size; `None` without exact sets and positions.
    pub(crate) fn overlap(&self, other: &Sketch, out: &mut Overlap) -> Option<usize> {
        let (a, b, pos) = (&self.set, &other.set, &self.pos);
        if pos.len() != a.len() || a.is_empty() || b.is_empty() {
            return None;
        }
        let (inter, n) = missing_from(a, b, &mut out.missing);
        // Positions of the missing entries only: a near-copy reads few of them.
        let missing = std::mem::take(&mut out.missing);
        out.set_private(missing[..n].iter().map(|&i| pos[i as usize]));
        out.missing = missing;
        Some(inter)
    }

    /// Estimated Jaccard similarity: the share of equal signature positions.
    pub fn jaccard(&self, other: &Sketch) -> f64 {
        if self.sig.is_empty() || self.shingles == 0 || other.shingles == 0 {
            return if self.exact == other.exact { 1.0 } else { 0.0 };
        }
        // A 32-bit sum vectorizes four lanes wide (a `count` adds 64-bit lanes).
        let eq: u32 = self
            .sig
            .iter()
            .zip(other.sig.iter())
            .map(|(a, b)| (a == b) as u32)
            .sum();
        eq as f64 / self.sig.len() as f64
    }

    /// Estimated containment of the smaller shingle set in the larger one, and the
    /// share of the larger one it covers, from the Jaccard estimate and the sizes.
    pub fn containment(&self, other: &Sketch) -> (f64, f64) {
        containment_from(self.jaccard(other), self.shingles, other.shingles)
    }

    /// Whether both texts carry numbers the other lacks, and they share at most
    /// half of the smaller set of numbers: a sign of two reports of different
    /// events (dates, tolls, scores) written from one template.
    pub fn numbers_conflict(&self, other: &Sketch) -> bool {
        let (a, b) = (&self.numbers, &other.numbers);
        if a.is_empty() || b.is_empty() {
            return false;
        }
        // Both are bottom-k samples: compare below the smaller sample's maximum.
        let cap = match (a.len() == MAX_NUMBERS, b.len() == MAX_NUMBERS) {
            (true, true) => a[a.len() - 1].min(b[b.len() - 1]),
            (true, false) => a[a.len() - 1],
            (false, true) => b[b.len() - 1],
            (false, false) => u32::MAX,
        };
        // Sorted: the entries up to the cap are a prefix.
        let a = &a[..a.partition_point(|&x| x <= cap)];
        let b = &b[..b.partition_point(|&x| x <= cap)];
        let (mut i, mut j, mut shared) = (0, 0, 0usize);
        while i < a.len() && j < b.len() {
            match a[i].cmp(&b[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    shared += 1;
                    i += 1;
                    j += 1;
                }
            }
        }
        let only_a = a.len() - shared;
        let only_b = b.len() - shared;
        only_a > 0 && only_b > 0 && 2 * shared <= a.len().min(b.len())
    }
}

/// Intersects two sorted, duplicate-free sets: returns the size of the
/// intersection and `n`, with `missing[..n]` the indices of `a`'s entries absent
/// from `b`, in order.
///
/// Blocks of entries of each side are compared all against all, the side with
/// the smaller last entry moving on, without branches on the data; the rest is
/// merged one entry at a time. Blocks are of eight with AVX2 (detected at run
/// time), else of four with SSE2.
pub(crate) fn missing_from(a: &[u32], b: &[u32], missing: &mut Vec<u32>) -> (usize, usize) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 was detected just above.
        #[allow(unsafe_code)]
        return unsafe { missing_from_avx2(a, b, missing) };
    }
    intersect_blocks::<4, 16>(a, b, missing, block_hits, &MISSED4)
}

/// [`missing_from`] in blocks of eight, compiled with AVX2 so that
/// [`block_hits8`] inlines.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn missing_from_avx2(a: &[u32], b: &[u32], missing: &mut Vec<u32>) -> (usize, usize) {
    intersect_blocks::<8, 256>(a, b, missing, |x, y| block_hits8(x, y), &MISSED8)
}

/// The block intersection of [`missing_from`] with blocks of `W` entries:
/// `hits(a, b)` sets bit `l` when `a[l]` is one of `b[..W]`, and `missed[m]`
/// lists the set bits of a `W`-bit mask `m` (`M` = 2^`W` masks).
#[inline(always)]
fn intersect_blocks<const W: usize, const M: usize>(
    a: &[u32],
    b: &[u32],
    missing: &mut Vec<u32>,
    hits: impl Fn(&[u32], &[u32]) -> u32,
    missed: &[([u8; W], u8); M],
) -> (usize, usize) {
    missing.clear();
    missing.resize(a.len() + W, 0);
    let (mut i, mut k, mut inter, mut n) = (0usize, 0usize, 0usize, 0usize);
    // Match bits of the a-block at `i`, gathered over the b-blocks it meets.
    let mut hit = 0u32;
    while i + W <= a.len() && k + W <= b.len() {
        let (va, vb) = (a[i + W - 1], b[k + W - 1]);
        hit |= hits(&a[i..i + W], &b[k..k + W]);
        let next_a = va <= vb;
        let next_b = vb <= va;
        // Written always, kept only when the a-block is done: its missed entries.
        let miss = !hit & (M as u32 - 1);
        let (offsets, count) = missed[miss as usize];
        for (slot, off) in missing[n..n + W].iter_mut().zip(offsets) {
            *slot = (i + off as usize) as u32;
        }
        n += count as usize * usize::from(next_a);
        inter += hit.count_ones() as usize * usize::from(next_a);
        hit *= u32::from(!next_a);
        i += W * usize::from(next_a);
        k += W * usize::from(next_b);
    }
    // The rest, entry by entry; entries of a part-done a-block that already met
    // their match count as found (their match lies before `k`).
    let done_to = if hit != 0 { i + W } else { i };
    let block = i;
    while i < a.len() {
        let x = a[i];
        if i < done_to && hit >> (i - block) & 1 != 0 {
            inter += 1;
            i += 1;
            continue;
        }
        while k < b.len() && b[k] < x {
            k += 1;
        }
        if k < b.len() && b[k] == x {
            inter += 1;
            k += 1;
        } else {
            missing[n] = i as u32;
            n += 1;
        }
        i += 1;
    }
    (inter, n)
}

/// For each `W`-bit mask (`M` = 2^`W` of them), the positions of its set bits
/// (padded) and their number.
const fn missed_table<const W: usize, const M: usize>() -> [([u8; W], u8); M] {
    let mut t = [([0u8; W], 0u8); M];
    let mut m = 0;
    while m < M {
        let (mut l, mut c) = (0, 0);
        while l < W {
            if m >> l & 1 == 1 {
                t[m].0[c] = l as u8;
                c += 1;
            }
            l += 1;
        }
        t[m].1 = c as u8;
        m += 1;
    }
    t
}

const MISSED4: [([u8; 4], u8); 16] = missed_table::<4, 16>();
#[cfg(target_arch = "x86_64")]
const MISSED8: [([u8; 8], u8); 256] = missed_table::<8, 256>();

/// Bit `l` set when `a[l]` is one of `b[0..4]` (four entries each).
#[inline]
fn block_hits(a: &[u32], b: &[u32]) -> u32 {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        assert!(a.len() >= 4 && b.len() >= 4);
        // SAFETY: SSE2 is part of the x86-64 baseline, and both loads read four
        // u32 inside slices checked just above.
        #[allow(unsafe_code)]
        unsafe {
            let va = _mm_loadu_si128(a.as_ptr().cast());
            let vb = _mm_loadu_si128(b.as_ptr().cast());
            let m = _mm_or_si128(
                _mm_or_si128(
                    _mm_cmpeq_epi32(va, vb),
                    _mm_cmpeq_epi32(va, _mm_shuffle_epi32::<0x39>(vb)),
                ),
                _mm_or_si128(
                    _mm_cmpeq_epi32(va, _mm_shuffle_epi32::<0x4E>(vb)),
                    _mm_cmpeq_epi32(va, _mm_shuffle_epi32::<0x93>(vb)),
                ),
            );
            _mm_movemask_ps(_mm_castsi128_ps(m)) as u32
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let mut hit = 0;
        for (l, x) in a[..4].iter().enumerate() {
            hit |= u32::from(b[..4].contains(x)) << l;
        }
        hit
    }
}

/// Bit `l` set when `a[l]` is one of `b[0..8]` (eight entries each): `b` and
/// its halves swapped, each in four rotations within the halves, make the 64
/// comparisons in eight.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn block_hits8(a: &[u32], b: &[u32]) -> u32 {
    use std::arch::x86_64::*;
    assert!(a.len() >= 8 && b.len() >= 8);
    // SAFETY: both loads read eight u32 inside slices checked just above.
    #[allow(unsafe_code)]
    let (va, vb) = unsafe {
        (
            _mm256_loadu_si256(a.as_ptr().cast()),
            _mm256_loadu_si256(b.as_ptr().cast()),
        )
    };
    let vs = _mm256_permute2x128_si256::<0x01>(vb, vb);
    let eq = |x: __m256i| {
        _mm256_or_si256(
            _mm256_or_si256(
                _mm256_cmpeq_epi32(va, x),
                _mm256_cmpeq_epi32(va, _mm256_shuffle_epi32::<0x39>(x)),
            ),
            _mm256_or_si256(
                _mm256_cmpeq_epi32(va, _mm256_shuffle_epi32::<0x4E>(x)),
                _mm256_cmpeq_epi32(va, _mm256_shuffle_epi32::<0x93>(x)),
            ),
        )
    };
    let m = _mm256_or_si256(eq(vb), eq(vs));
    _mm256_movemask_ps(_mm256_castsi256_ps(m)) as u32
}

/// Reusable buffers of [`Sketch::overlap`]: one side's shingles missing from the
/// other, and their text positions as a bitmap (a position bit per shingle of
/// the text: runs are read off it without sorting).
#[derive(Clone, Debug, Default)]
pub(crate) struct Overlap {
    missing: Vec<u32>,
    private: Vec<u64>,
    /// Number of missing shingles (positions capped at 65,535 share a bit).
    count: u32,
}

impl Overlap {
    /// Records the text positions of the missing shingles.
    fn set_private(&mut self, positions: impl Iterator<Item = u16>) {
        self.private.clear();
        self.count = 0;
        for p in positions {
            let (word, bit) = (p as usize >> 6, p & 63);
            if word >= self.private.len() {
                self.private.resize(word + 1, 0);
            }
            self.private[word] |= 1 << bit;
            self.count += 1;
        }
    }

    /// The missing shingles lying in runs of at least `run` consecutive positions,
    /// and all missing shingles (see [`Sketch::own_passages`]).
    pub(crate) fn own_passages(&self, run: usize) -> (u32, u32) {
        // Positions capped at 65,535 collapse into one: a text that long is judged
        // on its first 65,535 shingles.
        let run = run as u32;
        let (mut own, mut current) = (0u32, 0u32);
        for &w in &self.private {
            let mut bit = 0u32;
            while bit < 64 {
                let ones = (w >> bit).trailing_ones().min(64 - bit);
                current += ones;
                bit += ones;
                if bit == 64 {
                    break;
                }
                // A position not missing at `bit`: the passage before it ends.
                if current >= run {
                    own += current;
                }
                current = 0;
                bit += (w >> bit).trailing_zeros().min(64 - bit);
            }
        }
        if current >= run {
            own += current;
        }
        (own, self.count)
    }
}

/// Jaccard similarity, containment of the smaller set in the larger and coverage
/// of the larger, from the size of the intersection and of the two sets.
pub(crate) fn set_ratios(inter: usize, a: usize, b: usize) -> (f64, f64, f64) {
    let inter = inter as f64;
    let (small, large) = (a.min(b) as f64, a.max(b) as f64);
    (
        inter / (small + large - inter),
        inter / small,
        inter / large,
    )
}

/// Containment of the smaller set in the larger, and coverage of the larger, from
/// a Jaccard value and the two set sizes: |A∩B| = J·(|A|+|B|)/(1+J).
pub(crate) fn containment_from(j: f64, a: u32, b: u32) -> (f64, f64) {
    let (a, b) = (a as f64, b as f64);
    if a == 0.0 || b == 0.0 {
        return (j, j);
    }
    let inter = j * (a + b) / (1.0 + j);
    let (small, large) = if a <= b { (a, b) } else { (b, a) };
    ((inter / small).min(1.0), (inter / large).min(1.0))
}

/// Computes [`Sketch`]es. Hash functions and seeds are fixed: the same text,
/// configuration and key version give the same sketch on every machine.
///
/// Shingles are word n-grams of the key text: each token is hashed with seeded
/// xxh3-64, and a shingle's 64-bit hash is a position-weighted sum of its token
/// hashes under a full-avalanche finalizer. The default signature
/// is one-permutation hashing with densification; with k permutations, a
/// shingle is folded to 32 bits and permutation `i` maps it to
/// `mul[i]·x + add[i]` (mod 2³², `mul[i]` odd, a bijection). Measured on random set
/// pairs this family's Jaccard estimate has the textbook error √(J(1−J)/k), the
/// same as 64-bit multiply-shift, and it runs on 32-bit vector lanes (SSE2, and
/// AVX2/AVX-512 chosen at run time).
#[derive(Clone, Debug)]
pub struct Sketcher {
    unit: Shingle,
    ngram: usize,
    seed: u64,
    exact_only: bool,
    anchors: bool,
    keep_set: bool,
    one_permutation: bool,
    probes: Box<[u16]>,
    num_perm: usize,
    /// Multipliers and offsets, padded to a multiple of [`LANES`].
    mul: Box<[u32]>,
    add: Box<[u32]>,
}

/// Permutations computed together, kept in vector registers across all shingles.
const LANES: usize = 32;

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Reusable buffers of [`Sketcher::sketch_with`]: nothing is allocated per shingle,
/// and nothing per document once the buffers have grown (the signature itself is
/// the one allocation that leaves).
#[derive(Clone, Debug, Default)]
pub struct Scratch {
    hashes: Vec<u64>,
    folded: Vec<u32>,
    numbers: Vec<u32>,
    /// (high 32 bits of a shingle hash, text position) packed for one sort.
    packed: Vec<u64>,
    /// Character shingles: the key's tokens joined by single spaces, and where
    /// each of its characters starts.
    joined: String,
    starts: Vec<u32>,
    /// Scratch of the entries' sort.
    spill: Vec<u64>,
    /// The open-addressing table of [`count_distinct`].
    seen: Vec<u32>,
}

impl Sketcher {
    /// Builds a sketcher for `cfg`.
    ///
    /// # Errors
    /// [`crate::Error::Config`] if `cfg` is invalid.
    pub fn new(cfg: &DedupConfig) -> Result<Self> {
        cfg.validate()?;
        // "ghirbal" + signature version: seeds are derived, never random.
        let mut state = cfg.seed ^ 0x6768_6972_6261_6c00 ^ PERMUTATIONS_OF;
        let n = if cfg.exact_only { 0 } else { cfg.num_perm };
        let padded = n.div_ceil(LANES) * LANES;
        let mul = (0..padded)
            .map(|_| (splitmix64(&mut state) >> 32) as u32 | 1)
            .collect();
        let add = (0..padded)
            .map(|_| (splitmix64(&mut state) >> 32) as u32)
            .collect();
        Ok(Sketcher {
            unit: cfg.shingle,
            ngram: cfg.effective_ngram(),
            seed: cfg.seed,
            exact_only: cfg.exact_only,
            anchors: cfg.containment,
            keep_set: cfg.exact_verify,
            one_permutation: cfg.signature == Signature::OnePermutation,
            probes: probe_table(cfg.seed, n),
            num_perm: n,
            mul,
            add,
        })
    }

    /// Sketches one key text. `scratch` is reused across calls.
    pub fn sketch(&self, key: &str, scratch: &mut Vec<u64>) -> Sketch {
        let mut s = Scratch {
            hashes: std::mem::take(scratch),
            ..Scratch::default()
        };
        let out = self.sketch_with(key, &mut s);
        *scratch = s.hashes;
        out
    }

    /// Sketches one key text with this thread's reusable [`Scratch`] buffers.
    pub fn sketch_local(&self, key: &str) -> Sketch {
        self.sketch_keyed(key, self.exact_key(key))
    }

    /// [`Sketcher::sketch_local`] for a key whose [`Sketcher::exact_key`] the
    /// caller already has.
    pub(crate) fn sketch_keyed(&self, key: &str, exact: u128) -> Sketch {
        thread_local! {
            static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
        }
        SCRATCH.with(|s| self.sketch_parts(key, exact, &mut s.borrow_mut()))
    }

    /// The exact-duplicate hash of a key text ([`Sketch::exact`]): of its
    /// [`layout_free`] form.
    pub fn exact_key(&self, key: &str) -> u128 {
        if memchr::memchr(b'\n', key.as_bytes()).is_none() {
            return crate::hash::long128_seeded(key.as_bytes(), self.seed);
        }
        thread_local! {
            static FREE: std::cell::RefCell<String> = std::cell::RefCell::default();
        }
        FREE.with_borrow_mut(|free| {
            free.clear();
            push_layout_free(key, free);
            crate::hash::long128_seeded(free.as_bytes(), self.seed)
        })
    }

    /// Sketches one key text with reusable [`Scratch`] buffers (the fast path).
    pub fn sketch_with(&self, key: &str, scratch: &mut Scratch) -> Sketch {
        self.sketch_parts(key, self.exact_key(key), scratch)
    }

    fn sketch_parts(&self, key: &str, exact: u128, scratch: &mut Scratch) -> Sketch {
        let chars = layout_free_chars(key);
        if self.exact_only {
            return Sketch {
                exact,
                chars,
                ..Sketch::default()
            };
        }
        self.shingle_hashes(key, scratch);
        if !self.keep_set && !self.anchors {
            // Only their number is kept: counted in a table, without the sort.
            let shingles = count_distinct(&scratch.hashes, &mut scratch.seen);
            return self.finish(
                scratch,
                exact,
                chars,
                shingles,
                [].into(),
                [].into(),
                [].into(),
            );
        }
        // One sort gives the distinct shingles (high 32 bits of each hash), in
        // order, with the first text position of each: (hash, position) packed
        // in a u64 sorts each entry's first occurrence first.
        let packed = &mut scratch.packed;
        packed.clear();
        packed.extend(
            scratch
                .hashes
                .iter()
                .enumerate()
                .map(|(i, &h)| (h >> 32) << 16 | i.min(u16::MAX as usize) as u64),
        );
        // The top byte of the 48 bits is the hash's: spread (see `spread`).
        sort_spread(packed, &mut scratch.spill, 40);
        packed.dedup_by_key(|v| *v >> 16);
        let shingles = packed.len() as u32;
        // Anchors: the shingles whose hash has its top 4 bits clear (already sorted).
        let anchors: Box<[u32]> = if self.anchors {
            packed
                .iter()
                .map(|&v| (v >> 16) as u32)
                .take_while(|&a| a >> 28 == 0)
                .collect()
        } else {
            Box::new([])
        };
        let (set, pos): (Box<[u32]>, Box<[u16]>) = if self.keep_set {
            (
                packed.iter().map(|&v| (v >> 16) as u32).collect(),
                packed.iter().map(|&v| v as u16).collect(),
            )
        } else {
            (Box::new([]), Box::new([]))
        };
        self.finish(scratch, exact, chars, shingles, anchors, set, pos)
    }

    /// The sketch from the shingle hashes in `scratch` and the parts already made.
    #[allow(clippy::too_many_arguments)] // a private step of `sketch_parts`
    fn finish(
        &self,
        scratch: &mut Scratch,
        exact: u128,
        chars: u64,
        shingles: u32,
        anchors: Box<[u32]>,
        set: Box<[u32]>,
        pos: Box<[u16]>,
    ) -> Sketch {
        // Both schemes take the minimum over the shingles, so repeated shingles
        // (the hashes are in text order, not deduplicated) change nothing.
        let hashes = &scratch.hashes;
        let mut sig = vec![u32::MAX; self.mul.len()];
        if self.one_permutation {
            sig.truncate(self.num_perm);
            one_permutation(hashes, self.seed, &self.probes, &mut sig);
        } else {
            scratch.folded.clear();
            scratch
                .folded
                .extend(hashes.iter().map(|&x| (x ^ (x >> 32)) as u32));
            signature(&mut sig, &scratch.folded, &self.mul, &self.add);
            sig.truncate(self.num_perm);
        }
        Sketch {
            exact,
            sig: sig.into_boxed_slice(),
            shingles,
            chars,
            numbers: scratch.numbers.as_slice().into(),
            anchors,
            set,
            pos,
        }
    }

    /// Fills `scratch.hashes` with the shingle hashes of `key` in text order
    /// and `scratch.numbers` with the number sample.
    fn shingle_hashes(&self, key: &str, scratch: &mut Scratch) {
        let (hashes, numbers) = (&mut scratch.hashes, &mut scratch.numbers);
        hashes.clear();
        numbers.clear();
        let seed = self.seed;
        let is_number = |w: &str| w.bytes().all(|b| b.is_ascii_digit());
        if self.unit == Shingle::Chars {
            let joined = &mut scratch.joined;
            joined.clear();
            for_each_word(key, |w| {
                if is_number(w) {
                    numbers.push(xxh3_64_with_seed(w.as_bytes(), seed) as u32);
                }
                if !joined.is_empty() {
                    joined.push(' ');
                }
                joined.push_str(w);
            });
            char_shingles(joined, self.ngram, seed, &mut scratch.starts, hashes);
        } else {
            for_each_word(key, |w| {
                let h = xxh3_64_with_seed(w.as_bytes(), seed);
                if is_number(w) {
                    numbers.push(h as u32);
                }
                hashes.push(h);
            });
            word_shingles(hashes, self.ngram, seed);
        }
        numbers.sort_unstable();
        numbers.dedup();
        numbers.truncate(MAX_NUMBERS);
    }

    /// The signature of 64-bit shingle hashes computed elsewhere (e.g. to compare
    /// the kernel with another library on the same input), into `out`, with the
    /// given kernel. Returns false (and leaves `out` empty) when this CPU lacks it.
    pub fn signature_from_hashes(
        &self,
        hashes: &[u64],
        out: &mut Vec<u32>,
        kernel: Kernel,
    ) -> bool {
        out.clear();
        if !kernel.available() {
            return false;
        }
        if kernel == Kernel::OnePermutation {
            out.resize(self.num_perm, u32::MAX);
            one_permutation(hashes, self.seed, &self.probes, out);
            return true;
        }
        let folded: Vec<u32> = hashes.iter().map(|&x| (x ^ (x >> 32)) as u32).collect();
        out.resize(self.mul.len(), u32::MAX);
        run_kernel(kernel, out, &folded, &self.mul, &self.add);
        out.truncate(self.num_perm);
        true
    }

    /// Distinct shingle hashes of `key`, sorted (for exact verification and tests).
    pub fn shingle_set(&self, key: &str) -> Vec<u64> {
        let mut s = Scratch::default();
        self.shingle_hashes(key, &mut s);
        s.hashes.sort_unstable();
        s.hashes.dedup();
        s.hashes
    }
}

/// The number of distinct high halves (what the sketch's sets hold) among
/// `hashes`, with `table` as scratch: linear probing in a table at most half
/// full, addressed by the top bits (the hashes are uniformly spread).
fn count_distinct(hashes: &[u64], table: &mut Vec<u32>) -> u32 {
    // A slot holds a high half or EMPTY; the high half equal to EMPTY is
    // counted apart.
    const EMPTY: u32 = u32::MAX;
    let bits = (2 * hashes.len())
        .max(64)
        .next_power_of_two()
        .trailing_zeros();
    table.clear();
    table.resize(1 << bits, EMPTY);
    let mask = (1usize << bits) - 1;
    let (mut distinct, mut empty_value) = (0, 0);
    for &h in hashes {
        let v = (h >> 32) as u32;
        if v == EMPTY {
            empty_value = 1;
            continue;
        }
        let mut i = (u64::from(v) << 32 >> (64 - bits.min(64))) as usize & mask;
        loop {
            match table.get(i).copied() {
                Some(EMPTY) => {
                    table[i] = v;
                    distinct += 1;
                    break;
                }
                Some(x) if x == v => break,
                _ => i = (i + 1) & mask,
            }
        }
    }
    distinct + empty_value
}

/// Turns token hashes into the hashes of every run of `n` tokens (all of them
/// when fewer), in place: shingle i needs tokens i..i+n, so writing it over token
/// i is safe.
fn word_shingles(hashes: &mut Vec<u64>, n: usize, seed: u64) {
    if hashes.is_empty() {
        return;
    }
    let n = n.min(hashes.len());
    let count = hashes.len() + 1 - n;
    match n {
        // The default (3) and common sizes: a window of known length, so that
        // `combine` unrolls with its weights as constants.
        3 => windows_of::<3>(hashes, seed),
        5 => windows_of::<5>(hashes, seed),
        _ => {
            for i in 0..count {
                hashes[i] = combine(&hashes[i..i + n], seed);
            }
        }
    }
    hashes.truncate(count);
}

/// [`word_shingles`] for runs of `N` tokens, `N` at most the number of tokens;
/// leaves the tail for the caller to cut.
fn windows_of<const N: usize>(hashes: &mut [u64], seed: u64) {
    for i in 0..hashes.len() + 1 - N {
        let run: [u64; N] = std::array::from_fn(|k| hashes[i + k]);
        hashes[i] = combine(&run, seed);
    }
}

/// The hashes of every run of `n` characters of `text` (all of it when shorter),
/// in text order; `starts` is scratch.
fn char_shingles(text: &str, n: usize, seed: u64, starts: &mut Vec<u32>, out: &mut Vec<u64>) {
    starts.clear();
    starts.extend(text.char_indices().map(|(i, _)| i as u32));
    starts.push(text.len() as u32);
    let chars = starts.len() - 1;
    if chars == 0 {
        return;
    }
    let n = n.min(chars);
    let bytes = text.as_bytes();
    out.extend(
        starts
            .windows(n + 1)
            .map(|w| xxh3_64_with_seed(&bytes[w[0] as usize..w[n] as usize], seed)),
    );
}

/// Odd 64-bit weights of the tokens of a shingle, by position (fixed forever
/// for a signature version).
const TOKEN_WEIGHTS: [u64; 16] = [
    0x9E37_79B9_7F4A_7C15,
    0xC2B2_AE3D_27D4_EB4F,
    0x1656_67B1_9E37_79F9,
    0xD6E8_FEB8_6659_FD93,
    0xFF51_AFD7_ED55_8CCD,
    0xC4CE_B9FE_1A85_EC53,
    0x8CB9_2BA7_2F3D_8DD7,
    0xA076_1D64_78BD_642F,
    0xE703_7ED1_A0B4_28DB,
    0x8EBC_6AF0_9C88_C6E3,
    0x5899_65CC_7537_4CC3,
    0x1D8E_4E27_C47D_124F,
    0xBF58_476D_1CE4_E5B9,
    0x94D0_49BB_1331_11EB,
    0x2545_F491_4F6C_DD1D,
    0x6C8E_9CF5_7093_2BD5,
];

/// The hash of a shingle from the hashes of its tokens: a position-weighted sum
/// (the products are independent, so they pipeline) finished by a full-avalanche
/// mix. The token hashes are already uniform 64-bit values, so this is as good a
/// shingle hash as hashing their bytes again, at a fraction of the cost.
#[inline]
fn combine(tokens: &[u64], seed: u64) -> u64 {
    let mut acc = seed;
    for (k, &t) in tokens.iter().enumerate() {
        let w = TOKEN_WEIGHTS[k % TOKEN_WEIGHTS.len()]
            .wrapping_add((k / TOKEN_WEIGHTS.len()) as u64 * 2);
        acc = acc.wrapping_add(t.wrapping_mul(w));
    }
    fmix64(acc ^ tokens.len() as u64)
}

/// The 64-bit finalizer of MurmurHash3: every input bit flips each output bit
/// with probability about one half.
#[inline]
fn fmix64(mut z: u64) -> u64 {
    z ^= z >> 33;
    z = z.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    z ^= z >> 33;
    z = z.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    z ^ (z >> 33)
}

/// One-permutation hashing with optimal densification: each shingle goes to one
/// of `k` bins by the high half of its 64-bit hash and bids the low half; each bin
/// keeps the minimum. An empty bin copies the bin found first by a fixed probe
/// sequence of its own (Shrivastava, ICML 2017), so two documents with the same
/// filled bins fill their empty ones alike. O(1) work per shingle instead of O(k);
/// measured on random set pairs its Jaccard estimate is unbiased, with an error
/// at or below k-permutation MinHash's from ~100 shingles up (sampling without
/// replacement), and up to 10 % above it on 40–60-shingle texts.
fn one_permutation(hashes: &[u64], seed: u64, probes: &[u16], sig: &mut [u32]) {
    sig.fill(u32::MAX);
    match <&mut [u32; 128]>::try_from(&mut *sig) {
        // The default size: a fixed-size table and a shift for the bin index (the
        // same bin as the general formula when k is a power of two).
        Ok(table) => bin_fixed(hashes, table),
        Err(_) => bin_any(hashes, sig),
    }
    // No shingles: every bin stays empty (the signature of an empty text).
    if !hashes.is_empty() {
        densify(seed, probes, sig);
    }
}

/// Bids stop at MAX - 1, so MAX marks an empty bin: no bitmap to update (a
/// read-modify-write chain) per shingle.
#[inline(always)]
fn bid_value(x: u64) -> u32 {
    (x as u32).min(u32::MAX - 1)
}

/// Binning into 128 bins: the bin is the top 7 bits of the hash, which is
/// `((x >> 32) * 128) >> 32`.
fn bin_fixed(hashes: &[u64], sig: &mut [u32; 128]) {
    // Even and odd shingles bid into two tables, merged after: two bids on one
    // bin in a row would otherwise wait for each other through memory.
    let mut odd = [u32::MAX; 128];
    let mut pairs = hashes.chunks_exact(2);
    for p in &mut pairs {
        let (a, b) = (p[0], p[1]);
        let (ia, ib) = ((a >> 57) as usize, (b >> 57) as usize);
        sig[ia] = sig[ia].min(bid_value(a));
        odd[ib] = odd[ib].min(bid_value(b));
    }
    for &x in pairs.remainder() {
        let i = (x >> 57) as usize;
        sig[i] = sig[i].min(bid_value(x));
    }
    for (slot, &o) in sig.iter_mut().zip(odd.iter()) {
        *slot = (*slot).min(o);
    }
}

/// Binning into any number of bins.
fn bin_any(hashes: &[u64], sig: &mut [u32]) {
    let k = sig.len() as u64;
    for &x in hashes {
        if let Some(slot) = sig.get_mut((((x >> 32) * k) >> 32) as usize) {
            *slot = (*slot).min(bid_value(x));
        }
    }
}

/// Fills the empty bins of `sig`, which has at least one filled bin (see
/// [`one_permutation`]).
fn densify(seed: u64, probes: &[u16], sig: &mut [u32]) {
    let k = sig.len();
    // Per bin, 1 when it is empty (as read before any copy); and the same as bits.
    let mut empty = [0u8; 1024];
    let mut bits = [0u64; 1024 / 64];
    mark_empty(sig, &mut empty, &mut bits);
    for (w, &word) in bits.iter().enumerate().take(k.div_ceil(64)) {
        let mut left = word;
        'bins: while left != 0 {
            let i = w * 64 + left.trailing_zeros() as usize;
            left &= left - 1;
            // Empty bins copy only originally filled ones; the probe sequence depends
            // on the bin alone, so equal filled bins give equal copies in every document.
            // Its first PROBES steps are cached in `probes`: which of them hit a
            // filled bin is found without a branch per probe.
            if let Some(p) = probes
                .get(i * PROBES..(i + 1) * PROBES)
                .and_then(|p| <&[u16; PROBES]>::try_from(p).ok())
            {
                let mut hit = 0u32;
                for (t, &j) in p.iter().enumerate() {
                    hit |= u32::from(empty[j as usize & 1023] ^ 1) << t;
                }
                if hit != 0 {
                    let j = p[hit.trailing_zeros() as usize & (PROBES - 1)] as usize;
                    sig[i] = sig.get(j).copied().unwrap_or(u32::MAX);
                    continue 'bins;
                }
            }
            let mut state = probe_state(seed, i);
            for _ in 0..PROBES {
                splitmix64(&mut state);
            }
            loop {
                let j = (((splitmix64(&mut state) >> 32) * k as u64) >> 32) as usize;
                if empty[j & 1023] == 0 {
                    sig[i] = sig[j];
                    break;
                }
            }
        }
    }
}

/// Marks the empty bins of `sig` (value `u32::MAX`) in `empty` (1 per empty
/// bin) and `bits` (bit `i % 64` of word `i / 64`).
#[inline(always)]
fn mark_empty(sig: &[u32], empty: &mut [u8; 1024], bits: &mut [u64; 16]) {
    #[cfg(not(target_arch = "x86_64"))]
    let done = 0;
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE2 is part of the x86-64 baseline; each step reads bins
    // 16q..16q+16 of `sig` and writes bytes 16q..16q+16 of `empty`, all in bounds
    // (q < sig.len() / 16 and sig.len() <= 1024).
    #[allow(unsafe_code)]
    let done = unsafe {
        use std::arch::x86_64::*;
        let max = _mm_set1_epi32(-1);
        let one = _mm_set1_epi8(1);
        for q in 0..sig.len().min(1024) / 16 {
            let at = |r: usize| {
                _mm_cmpeq_epi32(
                    _mm_loadu_si128(sig.as_ptr().add(q * 16 + r * 4).cast()),
                    max,
                )
            };
            let m = _mm_packs_epi16(_mm_packs_epi32(at(0), at(1)), _mm_packs_epi32(at(2), at(3)));
            _mm_storeu_si128(empty.as_mut_ptr().add(q * 16).cast(), _mm_and_si128(m, one));
            bits[q / 4] |= (_mm_movemask_epi8(m) as u64 & 0xFFFF) << (q % 4 * 16);
        }
        sig.len().min(1024) / 16 * 16
    };
    for (i, &v) in sig.iter().enumerate().take(1024).skip(done) {
        let e = v == u32::MAX;
        empty[i] = u8::from(e);
        bits[i / 64] |= u64::from(e) << (i % 64);
    }
}

/// Probe steps cached per bin for densification.
const PROBES: usize = 8;

fn probe_state(seed: u64, bin: usize) -> u64 {
    seed ^ ((bin as u64) << 32) ^ 0x6f70_6800_0000_0000
}

/// The first [`PROBES`] steps of every bin's probe sequence.
fn probe_table(seed: u64, k: usize) -> Box<[u16]> {
    let mut t = Vec::with_capacity(k * PROBES);
    for i in 0..k {
        let mut state = probe_state(seed, i);
        for _ in 0..PROBES {
            t.push((((splitmix64(&mut state) >> 32) * k as u64) >> 32) as u16);
        }
    }
    t.into()
}

/// A signature kernel: one-permutation hashing, or k-permutation MinHash on
/// vector units of different widths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    /// One-permutation hashing with densification (the default scheme).
    OnePermutation,
    /// The widest one this CPU has (what sketching uses).
    Auto,
    /// AVX-512F (16 lanes of 32 bits).
    Avx512,
    /// AVX2 (8 lanes).
    Avx2,
    /// SSE4.1 (4 lanes with a native 32-bit multiply).
    Sse41,
    /// The baseline the binary is compiled for (SSE2 on x86-64, 4 lanes with an
    /// emulated 32-bit multiply).
    Portable,
}

impl Kernel {
    /// Every kernel.
    pub const ALL: [Kernel; 6] = [
        Kernel::OnePermutation,
        Kernel::Auto,
        Kernel::Avx512,
        Kernel::Avx2,
        Kernel::Sse41,
        Kernel::Portable,
    ];

    /// Whether this CPU can run it.
    pub fn available(self) -> bool {
        match self {
            Kernel::OnePermutation | Kernel::Auto | Kernel::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 => std::is_x86_feature_detected!("avx512f"),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => std::is_x86_feature_detected!("avx2"),
            #[cfg(target_arch = "x86_64")]
            Kernel::Sse41 => std::is_x86_feature_detected!("sse4.1"),
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// The kernel [`Kernel::Auto`] resolves to on this CPU.
    pub fn detect() -> Kernel {
        [Kernel::Avx512, Kernel::Avx2, Kernel::Sse41]
            .into_iter()
            .find(|k| k.available())
            .unwrap_or(Kernel::Portable)
    }
}

/// Signature of folded shingle hashes, on the widest vector unit available.
fn signature(sig: &mut [u32], xs: &[u32], mul: &[u32], add: &[u32]) {
    run_kernel(Kernel::Auto, sig, xs, mul, add)
}

fn run_kernel(kernel: Kernel, sig: &mut [u32], xs: &[u32], mul: &[u32], add: &[u32]) {
    let kernel = if kernel == Kernel::Auto {
        Kernel::detect()
    } else {
        kernel
    };
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY (all three): callers only pass a kernel whose `available()` is true
        // (`Auto` resolves through `detect`, which checks the CPU features).
        #[allow(unsafe_code)]
        match kernel {
            Kernel::Avx512 => return unsafe { signature_avx512(sig, xs, mul, add) },
            Kernel::Avx2 => return unsafe { signature_avx2(sig, xs, mul, add) },
            Kernel::Sse41 => return unsafe { signature_sse41(sig, xs, mul, add) },
            _ => {}
        }
    }
    signature_portable(sig, xs, mul, add)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn signature_avx512(sig: &mut [u32], xs: &[u32], mul: &[u32], add: &[u32]) {
    signature_portable(sig, xs, mul, add)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn signature_avx2(sig: &mut [u32], xs: &[u32], mul: &[u32], add: &[u32]) {
    signature_portable(sig, xs, mul, add)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse4.1")]
fn signature_sse41(sig: &mut [u32], xs: &[u32], mul: &[u32], add: &[u32]) {
    signature_portable(sig, xs, mul, add)
}

/// The kernel: [`LANES`] permutations at a time, their minima held in registers
/// while every shingle streams past, so the compiler vectorizes over lanes.
#[inline(always)]
fn signature_portable(sig: &mut [u32], xs: &[u32], mul: &[u32], add: &[u32]) {
    for ((s, m), a) in sig
        .chunks_exact_mut(LANES)
        .zip(mul.chunks_exact(LANES))
        .zip(add.chunks_exact(LANES))
    {
        let mut acc = [u32::MAX; LANES];
        let mut mm = [0u32; LANES];
        let mut aa = [0u32; LANES];
        mm.copy_from_slice(m);
        aa.copy_from_slice(a);
        for &x in xs {
            for l in 0..LANES {
                acc[l] = acc[l].min(mm[l].wrapping_mul(x).wrapping_add(aa[l]));
            }
        }
        s.copy_from_slice(&acc);
    }
}

/// Chooses LSH bands and rows for a Jaccard `threshold` by minimizing the sum of
/// the false-positive and false-negative probability mass (equal weights), as
/// datasketch does. Returns `(bands, rows)` with `bands * rows <= num_perm`.
pub fn lsh_params(threshold: f64, num_perm: usize) -> (usize, usize) {
    // Midpoint sums of 200 steps over [0, threshold] (false positives) and
    // [threshold, 1] (false negatives). Each point's `s^r` is computed once per
    // `r`, not once per (bands, rows) pair: a job waits for this choice.
    const STEPS: usize = 200;
    let grid = |a: f64, b: f64| {
        let h = (b - a) / STEPS as f64;
        let points: Vec<f64> = (0..STEPS).map(|i| a + (i as f64 + 0.5) * h).collect();
        let powers: Vec<Vec<f64>> = (0..=num_perm)
            .map(|r| points.iter().map(|s| s.powi(r as i32)).collect())
            .collect();
        (powers, h)
    };
    let ((below, h_below), (above, h_above)) = (grid(0.0, threshold), grid(threshold, 1.0));
    let mut best = (1, num_perm);
    let mut best_err = f64::INFINITY;
    for b in 1..=num_perm {
        for r in 1..=num_perm / b {
            // The chance that a pair of similarity s (here s^r) shares a band.
            let p = |sr: f64| 1.0 - (1.0 - sr).powi(b as i32);
            let fp: f64 = below[r].iter().map(|&sr| p(sr) * h_below).sum();
            let fnn: f64 = above[r].iter().map(|&sr| (1.0 - p(sr)) * h_above).sum();
            let err = fp + fnn;
            if err < best_err {
                best_err = err;
                best = (b, r);
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lsh_params_match_the_usual_choice() {
        // The common 0.8 / 128 setting.
        assert_eq!(lsh_params(0.8, 128), (9, 13));
        // The choice by the integrals' plain definition, over thresholds and sizes.
        let plain = |threshold: f64, num_perm: usize| {
            let integrate = |f: &dyn Fn(f64) -> f64, a: f64, b: f64| -> f64 {
                let h = (b - a) / 200.0;
                (0..200).map(|i| f(a + (i as f64 + 0.5) * h) * h).sum()
            };
            let mut best = ((1, num_perm), f64::INFINITY);
            for b in 1..=num_perm {
                for r in 1..=num_perm / b {
                    let p = |s: f64| 1.0 - (1.0 - s.powi(r as i32)).powi(b as i32);
                    let err =
                        integrate(&p, 0.0, threshold) + integrate(&|s| 1.0 - p(s), threshold, 1.0);
                    if err < best.1 {
                        best = ((b, r), err);
                    }
                }
            }
            best.0
        };
        for num_perm in [16, 64, 128, 200] {
            for t in (1..20).map(|k| k as f64 * 0.05) {
                assert_eq!(
                    lsh_params(t, num_perm),
                    plain(t, num_perm),
                    "{t} {num_perm}"
                );
            }
        }
    }

    #[test]
    fn identical_texts_have_jaccard_one() {
        let s = Sketcher::new(&DedupConfig::default()).unwrap();
        let mut scratch = Vec::new();
        let a = s.sketch("one two three four five six seven", &mut scratch);
        let b = s.sketch("one two three four five six seven", &mut scratch);
        assert_eq!(a.jaccard(&b), 1.0);
        let c = s.sketch(
            "entirely different words are written here now",
            &mut scratch,
        );
        assert!(a.jaccard(&c) < 0.2);
    }

    fn chars_config() -> DedupConfig {
        DedupConfig {
            shingle: Shingle::Chars,
            ..DedupConfig::default()
        }
    }

    /// The character shingle set of `text` by its definition: every run of `n`
    /// characters of the tokens joined by single spaces (all of them when fewer).
    fn char_shingles_by_definition(text: &str, n: usize) -> Vec<u64> {
        let tokens: Vec<&str> = crate::normalize::words(text).collect();
        let joined: Vec<char> = tokens.join(" ").chars().collect();
        let n = n.min(joined.len()).max(1);
        let mut want: Vec<u64> = joined
            .windows(n)
            .map(|w| xxh3_64_with_seed(w.iter().collect::<String>().as_bytes(), 0))
            .collect();
        want.sort_unstable();
        want.dedup();
        want
    }

    /// A sketch that keeps neither the set nor the anchors counts its shingles
    /// in a table instead of sorting them: the same count, and the same rest.
    #[test]
    fn counting_the_shingles_without_the_set_changes_nothing() {
        let whole = Sketcher::new(&DedupConfig::default()).unwrap();
        let bare = Sketcher::new(&DedupConfig {
            exact_verify: false,
            containment: false,
            ..DedupConfig::default()
        })
        .unwrap();
        assert!(!bare.keep_set && !bare.anchors && whole.keep_set);
        let mut texts = crate::seed_texts();
        texts.push(String::new());
        texts.push("كلمة ".repeat(500));
        for text in texts {
            let (a, b) = (whole.sketch_local(&text), bare.sketch_local(&text));
            assert_eq!(a.shingles, whole.shingle_set(&text).len() as u32);
            assert_eq!(
                (a.shingles, &a.sig, &a.numbers, a.exact, a.chars),
                (b.shingles, &b.sig, &b.numbers, b.exact, b.chars)
            );
        }
    }

    proptest::proptest! {
        /// Many values share a high half, or all of a table's top bits.
        #[test]
        fn distinct_counts_equal_a_sort(
            v in proptest::collection::vec(proptest::num::u64::ANY, 0..3000),
            crowd in 0u32..4,
        ) {
            let v: Vec<u64> = v.into_iter().map(|x| match crowd {
                0 => x,
                1 => x & 0xFFFF_0000_0000_0000 | x & 0xFFFF,
                2 if x & 1 == 0 => x | 0xFFFF_FFFF_0000_0000, // the table's empty mark
                2 => x,
                _ => x & 0x0000_00FF_FFFF_FFFF | 0x1234_5600_0000_0000,
            }).collect();
            let mut want: Vec<u64> = v.iter().map(|&x| x >> 32).collect();
            want.sort_unstable();
            want.dedup();
            proptest::prop_assert_eq!(count_distinct(&v, &mut Vec::new()) as usize, want.len());
        }

        #[test]
        fn character_shingles_equal_their_definition(
            // Arabic with marks, ASCII, punctuation, digits, whitespace of several
            // kinds, and three- and four-byte characters.
            text in "[ا-يًٌٍَُِّ a-zA-Z0-9.,:«»،؟\n\t\u{2009}\u{200F}中文😀]{0,80}",
            n in 1usize..9,
        ) {
            let s = Sketcher::new(&DedupConfig { ngram: Some(n), ..chars_config() }).unwrap();
            proptest::prop_assert_eq!(s.shingle_set(&text), char_shingles_by_definition(&text, n));
        }
    }

    #[test]
    fn character_shingles_are_every_run_of_the_joined_tokens() {
        let cfg = chars_config();
        let s = Sketcher::new(&cfg).unwrap();
        let mut texts = crate::seed_texts();
        // Punctuation, a blank line and a run of spaces; a text shorter than a
        // shingle (one shingle, all of it); no text at all.
        texts.extend(["قال: «نعم»\n\nثم   مضى 12 يوما.", "abc", ""].map(String::from));
        for text in &texts {
            let want = char_shingles_by_definition(text, cfg.effective_ngram());
            assert_eq!(s.shingle_set(text), want, "{text}");
        }
        // The number sample is the words mode's: the number check works alike.
        let words = Sketcher::new(&DedupConfig::default()).unwrap();
        for text in &texts {
            let mut sc = Vec::new();
            assert_eq!(
                s.sketch(text, &mut sc).numbers,
                words.sketch(text, &mut sc).numbers
            );
        }
    }

    #[test]
    fn character_shingles_see_through_attached_particles() {
        // A reprint that attaches "و" ("and") to every fourth word: most word
        // 3-grams change, most character 6-grams do not.
        let text = &crate::seed_texts()[0];
        let edited: Vec<String> = crate::normalize::words(text)
            .enumerate()
            .map(|(i, w)| {
                if i % 4 == 0 {
                    format!("و{w}")
                } else {
                    w.to_owned()
                }
            })
            .collect();
        let edited = edited.join(" ");
        let sim = |cfg: &DedupConfig| {
            let s = Sketcher::new(cfg).unwrap();
            let (a, b) = (s.shingle_set(text), s.shingle_set(&edited));
            let inter = a.iter().filter(|h| b.binary_search(h).is_ok()).count();
            inter as f64 / (a.len() + b.len() - inter) as f64
        };
        let (words, chars) = (sim(&DedupConfig::default()), sim(&chars_config()));
        assert!(words < 0.3, "words {words}");
        assert!(chars > 0.55, "chars {chars}");
    }

    /// A digest of every signature, shingle set and number sample of the seed
    /// texts, in both shingle units and both signature schemes, with their exact
    /// keys and lengths when `whole`.
    fn seed_sketches_digest(whole: bool) -> u64 {
        let mut bytes = Vec::new();
        for cfg in [
            DedupConfig::default(),
            chars_config(),
            DedupConfig {
                signature: Signature::Permutations,
                ..DedupConfig::default()
            },
        ] {
            let s = Sketcher::new(&cfg).unwrap();
            for text in crate::seed_texts() {
                let k = s.sketch(&text, &mut Vec::new());
                if whole {
                    bytes.extend(k.exact.to_le_bytes());
                    bytes.extend(k.chars.to_le_bytes());
                }
                for v in k.sig.iter().chain(&k.set[..]).chain(&k.numbers[..]) {
                    bytes.extend(v.to_le_bytes());
                }
            }
        }
        xxhash_rust::xxh3::xxh3_64(&bytes)
    }

    #[test]
    fn layout_free_joins_the_non_empty_lines_with_single_spaces() {
        for (key, want) in [
            ("", ""),
            ("\n\n", ""),
            ("قال", "قال"),
            ("قال الوزير\n", "قال الوزير"),
            ("\n\nقال\n\n\nالوزير\nاليوم\n", "قال الوزير اليوم"),
            // Spaces are the key normalizer's business: kept as they are.
            ("a  b\n c", "a  b  c"),
        ] {
            assert_eq!(layout_free(key), want, "{key:?}");
            assert_eq!(
                layout_free_chars(key),
                want.chars().count() as u64,
                "{key:?}"
            );
            let s = Sketcher::new(&DedupConfig::default()).unwrap();
            assert_eq!(s.exact_key(key), s.exact_key(want), "{key:?}");
        }
        assert!(matches!(layout_free("a b"), Cow::Borrowed(_)));
        for text in crate::seed_texts() {
            let free = layout_free(&text);
            assert_eq!(layout_free_chars(&text), free.chars().count() as u64);
            assert!(free.len() < text.len() && !free.contains('\n'));
        }
    }

    #[test]
    fn signatures_are_fixed_for_a_signature_version() {
        // Sketches are saved (checkpoints) and compared across runs and machines:
        // the same text must give the same sketch on every platform, build and
        // run. A change to any hash, seed or permutation must bump
        // SIGNATURE_VERSION, and then this value.
        assert_eq!(SIGNATURE_VERSION, 6);
        assert_eq!(
            seed_sketches_digest(true),
            0x587A_B826_EEE7_0156,
            "the signature scheme (or the seed texts) changed"
        );
        // Version 6 changed only the exact keys and lengths: the signatures,
        // sets and numbers are version 5's.
        assert_eq!(
            seed_sketches_digest(false),
            0x8DFB_2C75_DCCF_B82B,
            "the signatures changed"
        );
    }

    #[test]
    fn dispatched_kernel_equals_portable_kernel() {
        let s = Sketcher::new(&DedupConfig::default()).unwrap();
        let xs: Vec<u32> = (0..777u32).map(|i| i.wrapping_mul(0x9E37_79B9)).collect();
        let mut b = vec![u32::MAX; s.mul.len()];
        signature_portable(&mut b, &xs, &s.mul, &s.add);
        for k in Kernel::ALL
            .into_iter()
            .filter(|&k| k.available() && k != Kernel::OnePermutation)
        {
            let mut a = vec![u32::MAX; s.mul.len()];
            run_kernel(k, &mut a, &xs, &s.mul, &s.add);
            assert_eq!(a, b, "{k:?}");
        }
    }

    #[test]
    fn estimate_error_matches_theory() {
        // Sets of 300 with J = 0.5: the estimate's RMSE over many pairs must be
        // close to sqrt(J(1-J)/k) = 0.044 for k = 128 (a weak family shows more).
        let s = Sketcher::new(&DedupConfig::default()).unwrap();
        let mut state = 1u64;
        let mut se = 0.0;
        let trials = 300;
        for _ in 0..trials {
            let common: Vec<u32> = (0..200).map(|_| splitmix64(&mut state) as u32).collect();
            let mut a = common.clone();
            let mut b = common;
            a.extend((0..100).map(|_| splitmix64(&mut state) as u32));
            b.extend((0..100).map(|_| splitmix64(&mut state) as u32));
            let (mut sa, mut sb) = (vec![u32::MAX; 128], vec![u32::MAX; 128]);
            signature(&mut sa, &a, &s.mul, &s.add);
            signature(&mut sb, &b, &s.mul, &s.add);
            let eq = sa.iter().zip(&sb).filter(|(x, y)| x == y).count();
            se += (eq as f64 / 128.0 - 0.5).powi(2);
        }
        let rmse = (se / trials as f64).sqrt();
        assert!(rmse < 0.055, "rmse {rmse}");
    }

    #[test]
    fn fixed_windows_equal_the_general_combine() {
        let mut state = 7u64;
        for len in [1usize, 2, 3, 4, 5, 6, 40] {
            let tokens: Vec<u64> = (0..len).map(|_| splitmix64(&mut state)).collect();
            for n in 1..=7 {
                let mut fast = tokens.clone();
                word_shingles(&mut fast, n, 11);
                let m = n.min(len);
                let general: Vec<u64> = tokens.windows(m).map(|w| combine(w, 11)).collect();
                assert_eq!(fast, general, "{len} tokens, runs of {n}");
            }
        }
    }

    #[test]
    fn one_permutation_estimate_error_matches_theory() {
        // As above, for one-permutation hashing with densification, on sets of 300
        // and of 60 shingles (many empty bins to fill).
        let mut state = 3u64;
        for (n, common, tol) in [(300usize, 200usize, 0.055), (60, 40, 0.06)] {
            let mut se = 0.0;
            let trials = 300;
            for _ in 0..trials {
                let c: Vec<u64> = (0..common).map(|_| splitmix64(&mut state)).collect();
                let mut a = c.clone();
                let mut b = c;
                a.extend((0..n - common).map(|_| splitmix64(&mut state)));
                b.extend((0..n - common).map(|_| splitmix64(&mut state)));
                let (mut sa, mut sb) = (vec![0u32; 128], vec![0u32; 128]);
                let probes = probe_table(0, 128);
                one_permutation(&a, 0, &probes, &mut sa);
                one_permutation(&b, 0, &probes, &mut sb);
                let eq = sa.iter().zip(&sb).filter(|(x, y)| x == y).count();
                let j = common as f64 / (2 * n - common) as f64;
                se += (eq as f64 / 128.0 - j).powi(2);
            }
            let rmse = (se / trials as f64).sqrt();
            assert!(rmse < tol, "n {n}: rmse {rmse}");
        }
    }

    #[test]
    fn own_passages_counts_long_runs_only() {
        // Missing positions in runs of 1, 3, 10 and 12 (the last across
        // position 64), in scrambled order.
        let mut private: Vec<u16> = [5u16]
            .into_iter()
            .chain(20..23)
            .chain(40..50)
            .chain(58..70)
            .collect();
        private.reverse();
        let mut o = Overlap::default();
        o.set_private(private.into_iter());
        assert_eq!(o.own_passages(10), (22, 26));
        assert_eq!(o.own_passages(3), (25, 26));
        assert_eq!(o.own_passages(11), (12, 26));
        o.set_private(0..200);
        assert_eq!(o.own_passages(10), (200, 200));
        o.set_private(std::iter::empty());
        assert_eq!(o.own_passages(10), (0, 0));
    }

    /// Own passages as the documentation states them: the distinct positions,
    /// sorted, cut where they stop being consecutive.
    fn own_passages_reference(mut private: Vec<u16>, run: usize) -> (u32, u32) {
        let missing = private.len() as u32;
        private.sort_unstable();
        private.dedup();
        let own = private
            .chunk_by(|a, b| a + 1 == *b)
            .filter(|p| p.len() >= run)
            .map(|p| p.len() as u32)
            .sum();
        (own, missing)
    }

    proptest::proptest! {
        #[test]
        fn own_passages_equal_their_definition(
            // Runs of positions (so that passages of every length occur), some
            // repeated, near word boundaries and at the 65,535 cap.
            runs in proptest::collection::vec((0u16..300, 0u16..80), 0..12),
            capped in 0usize..3,
            run in 1usize..20,
        ) {
            let mut private: Vec<u16> = runs
                .iter()
                .flat_map(|&(start, len)| start..start.saturating_add(len).min(300))
                .collect();
            private.extend(std::iter::repeat_n(u16::MAX, capped));
            private.extend((65_500..=u16::MAX).take(20 * capped));
            let mut o = Overlap::default();
            o.set_private(private.iter().copied());
            proptest::prop_assert_eq!(o.own_passages(run), own_passages_reference(private, run));
        }
    }

    /// One-permutation hashing as its documentation states it: every bin in
    /// order, an empty one taking the first originally filled bin of its probe
    /// sequence.
    fn one_permutation_reference(hashes: &[u64], seed: u64, k: usize) -> Vec<u32> {
        let mut sig = vec![u32::MAX; k];
        for &x in hashes {
            let b = (((x >> 32) * k as u64) >> 32) as usize;
            sig[b] = sig[b].min((x as u32).min(u32::MAX - 1));
        }
        let filled: Vec<bool> = sig.iter().map(|&v| v != u32::MAX).collect();
        if hashes.is_empty() {
            return sig;
        }
        for i in 0..k {
            if filled[i] {
                continue;
            }
            let mut state = probe_state(seed, i);
            loop {
                let j = (((splitmix64(&mut state) >> 32) * k as u64) >> 32) as usize;
                if filled[j] {
                    sig[i] = sig[j];
                    break;
                }
            }
        }
        sig
    }

    proptest::proptest! {
        #[test]
        fn one_permutation_equals_its_definition(
            hashes in proptest::collection::vec(proptest::num::u64::ANY, 0..400),
            k in proptest::sample::select(vec![1usize, 7, 64, 100, 128, 200, 256]),
        ) {
            let seed = 42;
            let mut sig = vec![0; k];
            one_permutation(&hashes, seed, &probe_table(seed, k), &mut sig);
            proptest::prop_assert_eq!(sig, one_permutation_reference(&hashes, seed, k));
        }
    }

    proptest::proptest! {
        #[test]
        fn block_intersection_equals_a_plain_merge(
            a in proptest::collection::btree_set(0u32..400, 0..120),
            b in proptest::collection::btree_set(0u32..400, 0..120),
        ) {
            let (a, b): (Vec<u32>, Vec<u32>) = (a.into_iter().collect(), b.into_iter().collect());
            let want: Vec<u32> = (0..a.len() as u32)
                .filter(|&i| b.binary_search(&a[i as usize]).is_err())
                .collect();
            // The kernel this CPU runs, and the four-wide one every CPU has.
            let mut missing = Vec::new();
            let (inter, n) = missing_from(&a, &b, &mut missing);
            proptest::prop_assert_eq!(inter, a.len() - want.len());
            proptest::prop_assert_eq!(&missing[..n], &want[..]);
            let (inter, n) = intersect_blocks(&a, &b, &mut missing, block_hits, &MISSED4);
            proptest::prop_assert_eq!(inter, a.len() - want.len());
            proptest::prop_assert_eq!(&missing[..n], &want[..]);
        }
    }

    #[test]
    fn overlap_finds_where_the_missing_shingles_are() {
        let s = Sketcher::new(&DedupConfig::default()).unwrap();
        let mut sc = Vec::new();
        let words: Vec<String> = (0..60).map(|i| format!("w{i}")).collect();
        let a = s.sketch(&words.join(" "), &mut sc);
        // The first 40 words, then 20 others: shingles 38.. of b are its own.
        let other: Vec<String> = (0..20).map(|i| format!("x{i}")).collect();
        let b = s.sketch(
            &format!("{} {}", words[..40].join(" "), other.join(" ")),
            &mut sc,
        );
        let mut o = Overlap::default();
        assert_eq!(b.overlap(&a, &mut o), Some(38));
        let p: Vec<u16> = (0..o.private.len() as u16 * 64)
            .filter(|&p| o.private[p as usize / 64] >> (p % 64) & 1 == 1)
            .collect();
        assert_eq!(p, (38..58).collect::<Vec<u16>>());
        assert_eq!(b.own_passages(&a, 10), Some((20, 20)));
        assert_eq!(b.similarity(&a).1, 38.0 / 58.0);
    }

    #[test]
    fn numbers_conflict_needs_numbers_on_both_sides() {
        let s = Sketcher::new(&DedupConfig::default()).unwrap();
        let mut sc = Vec::new();
        let a = s.sketch("درجة الحرارة 45 في الرياض و 38 في جدة", &mut sc);
        let b = s.sketch("درجة الحرارة 41 في الرياض و 33 في جدة", &mut sc);
        let c = s.sketch("درجة الحرارة 45 في الرياض", &mut sc);
        let d = s.sketch("درجة الحرارة في الرياض", &mut sc);
        assert!(a.numbers_conflict(&b));
        assert!(!a.numbers_conflict(&c)); // a subset: a trimmed copy
        assert!(!a.numbers_conflict(&d));
    }
}

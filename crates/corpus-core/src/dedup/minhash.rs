use xxhash_rust::xxh3::{xxh3_64_with_seed, xxh3_128_with_seed};

use super::DedupConfig;
use crate::Result;
use crate::normalize::words;

/// Fixed-size summary of one document's key text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sketch {
    /// xxh3-128 of the key text (exact duplicates).
    pub exact: u128,
    /// MinHash signature, one value per permutation; empty for `exact_only`.
    pub sig: Box<[u32]>,
    /// Number of distinct shingles (0 for an empty text).
    pub shingles: u32,
    /// Length of the key text in characters.
    pub chars: u64,
}

impl Sketch {
    /// Estimated Jaccard similarity: the share of equal signature positions.
    pub fn jaccard(&self, other: &Sketch) -> f64 {
        if self.sig.is_empty() || self.shingles == 0 || other.shingles == 0 {
            return if self.exact == other.exact { 1.0 } else { 0.0 };
        }
        let eq = self
            .sig
            .iter()
            .zip(other.sig.iter())
            .filter(|(a, b)| a == b)
            .count();
        eq as f64 / self.sig.len() as f64
    }

    /// Estimated containment of the smaller shingle set in the larger one, and the
    /// share of the larger one it covers, from the Jaccard estimate and the sizes.
    pub fn containment(&self, other: &Sketch) -> (f64, f64) {
        let j = self.jaccard(other);
        let (a, b) = (self.shingles as f64, other.shingles as f64);
        if a == 0.0 || b == 0.0 {
            return (j, j);
        }
        let inter = j * (a + b) / (1.0 + j);
        let (small, large) = if a <= b { (a, b) } else { (b, a) };
        ((inter / small).min(1.0), (inter / large).min(1.0))
    }
}

/// Computes [`Sketch`]es. Hash functions and seeds are fixed: the same text,
/// configuration and key version give the same sketch on every machine.
#[derive(Clone, Debug)]
pub struct Sketcher {
    ngram: usize,
    seed: u64,
    exact_only: bool,
    mul: Vec<u64>,
    add: Vec<u64>,
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Sketcher {
    /// Builds a sketcher for `cfg`.
    ///
    /// # Errors
    /// [`crate::Error::Config`] if `cfg` is invalid.
    pub fn new(cfg: &DedupConfig) -> Result<Self> {
        cfg.validate()?;
        let mut state = cfg.seed ^ 0x6768_6972_6261_6c00; // "ghirbal"
        let n = if cfg.exact_only { 0 } else { cfg.num_perm };
        // Multiply-shift hashing: odd multipliers, top 32 bits of a·x + b.
        let mul = (0..n).map(|_| splitmix64(&mut state) | 1).collect();
        let add = (0..n).map(|_| splitmix64(&mut state)).collect();
        Ok(Sketcher {
            ngram: cfg.ngram,
            seed: cfg.seed,
            exact_only: cfg.exact_only,
            mul,
            add,
        })
    }

    /// Sketches one key text. `scratch` is reused across calls to avoid allocation.
    pub fn sketch(&self, key: &str, scratch: &mut Vec<u64>) -> Sketch {
        let exact = xxh3_128_with_seed(key.as_bytes(), self.seed);
        let chars = key.chars().count() as u64;
        if self.exact_only {
            return Sketch {
                exact,
                sig: Box::new([]),
                shingles: 0,
                chars,
            };
        }
        scratch.clear();
        let tokens: Vec<u64> = words(key)
            .map(|w| xxh3_64_with_seed(w.as_bytes(), self.seed))
            .collect();
        if !tokens.is_empty() {
            let n = self.ngram.min(tokens.len());
            let mut buf = [0u8; 8 * 16];
            for win in tokens.windows(n) {
                let h = if n <= 16 {
                    for (i, t) in win.iter().enumerate() {
                        buf[i * 8..i * 8 + 8].copy_from_slice(&t.to_le_bytes());
                    }
                    xxh3_64_with_seed(&buf[..n * 8], self.seed)
                } else {
                    let bytes: Vec<u8> = win.iter().flat_map(|t| t.to_le_bytes()).collect();
                    xxh3_64_with_seed(&bytes, self.seed)
                };
                scratch.push(h);
            }
        }
        scratch.sort_unstable();
        scratch.dedup();
        let mut sig = vec![u32::MAX; self.mul.len()].into_boxed_slice();
        for &x in scratch.iter() {
            for ((s, &m), &a) in sig.iter_mut().zip(&self.mul).zip(&self.add) {
                let v = (m.wrapping_mul(x).wrapping_add(a) >> 32) as u32;
                if v < *s {
                    *s = v;
                }
            }
        }
        Sketch {
            exact,
            sig,
            shingles: scratch.len() as u32,
            chars,
        }
    }
}

/// Chooses LSH bands and rows for a Jaccard `threshold` by minimizing the sum of
/// the false-positive and false-negative probability mass (equal weights), as
/// datasketch does. Returns `(bands, rows)` with `bands * rows <= num_perm`.
pub fn lsh_params(threshold: f64, num_perm: usize) -> (usize, usize) {
    fn integrate(f: impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
        let steps = 200;
        let h = (b - a) / steps as f64;
        (0..steps).map(|i| f(a + (i as f64 + 0.5) * h) * h).sum()
    }
    let mut best = (1, num_perm);
    let mut best_err = f64::INFINITY;
    for b in 1..=num_perm {
        for r in 1..=num_perm / b {
            let p = |s: f64| 1.0 - (1.0 - s.powi(r as i32)).powi(b as i32);
            let fp = integrate(p, 0.0, threshold);
            let fnn = integrate(|s| 1.0 - p(s), threshold, 1.0);
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
}

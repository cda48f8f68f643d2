use std::cmp::Ordering;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use super::{DedupConfig, Sketch, Survivor, lsh_params};

/// Why a document was kept or removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Kept: no duplicate found.
    Unique,
    /// Kept: chosen by the survivor policy among its duplicates.
    Survivor,
    /// Removed: same key text as the survivor.
    Exact,
    /// Removed: estimated Jaccard similarity to a cluster member at or above the threshold.
    NearDuplicate,
    /// Removed: mostly contained in (or containing) a cluster member.
    Containment,
}

/// Input of [`cluster`] for one document.
#[derive(Clone, Debug)]
pub struct Member {
    /// Document id (unique).
    pub id: String,
    /// Its sketch.
    pub sketch: Sketch,
    /// Characters removed by cleaning (page chrome).
    pub chrome: u64,
    /// Value of the survivor field, if the policy uses one.
    pub rank: Option<RankValue>,
}

/// A survivor field value.
#[derive(Clone, Debug, PartialEq)]
pub enum RankValue {
    /// A number.
    Num(f64),
    /// A string (dates in ISO form sort correctly as strings).
    Str(String),
}

fn cmp_rank(a: &RankValue, b: &RankValue) -> Ordering {
    match (a, b) {
        (RankValue::Num(x), RankValue::Num(y)) => x.total_cmp(y),
        (RankValue::Str(x), RankValue::Str(y)) => x.cmp(y),
        (RankValue::Num(_), RankValue::Str(_)) => Ordering::Less,
        (RankValue::Str(_), RankValue::Num(_)) => Ordering::Greater,
    }
}

/// The decision for one document.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// Index (into the input) of the cluster's canonical member: the smallest id.
    pub cluster: usize,
    /// Whether the document is kept.
    pub kept: bool,
    /// Index of the kept document this one duplicates.
    pub duplicate_of: Option<usize>,
    /// Why.
    pub reason: Reason,
    /// Similarity to the survivor (estimated Jaccard, or containment), 1.0 for the survivor.
    pub similarity: f64,
}

struct UnionFind(Vec<u32>);

impl UnionFind {
    fn find(&mut self, mut x: u32) -> u32 {
        while self.0[x as usize] != x {
            let p = self.0[x as usize];
            self.0[x as usize] = self.0[p as usize];
            x = p;
        }
        x
    }
    fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        // The smaller root wins, so the result does not depend on edge order.
        match ra.cmp(&rb) {
            Ordering::Less => self.0[rb as usize] = ra,
            Ordering::Greater => self.0[ra as usize] = rb,
            Ordering::Equal => {}
        }
    }
}

/// Clusters documents and picks a survivor per cluster.
///
/// Every decision is made on documents sorted by id, so the result does not depend
/// on input order or thread count.
pub fn cluster(members: &[Member], cfg: &DedupConfig) -> Vec<Verdict> {
    let n = members.len();
    // Work in id order: position p holds input index order[p].
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.par_sort_unstable_by(|&a, &b| members[a as usize].id.cmp(&members[b as usize].id));
    let m = |p: u32| &members[order[p as usize] as usize];
    let mut uf = UnionFind((0..n as u32).collect());

    // Exact duplicates: same key hash.
    let mut by_hash: Vec<u32> = (0..n as u32).collect();
    by_hash.par_sort_unstable_by_key(|&p| (m(p).sketch.exact, p));
    let mut reps = Vec::new();
    for group in by_hash.chunk_by(|&a, &b| m(a).sketch.exact == m(b).sketch.exact) {
        reps.push(group[0]);
        for &p in &group[1..] {
            uf.union(group[0], p);
        }
    }

    if !cfg.exact_only {
        for (a, b) in candidate_pairs(&reps, &m, cfg) {
            if let Some(_sim) = verify(&m(a).sketch, &m(b).sketch, cfg) {
                uf.union(a, b);
            }
        }
    }

    // Components, survivors, verdicts.
    let roots: Vec<u32> = (0..n as u32).map(|p| uf.find(p)).collect();
    let mut by_root: Vec<u32> = (0..n as u32).collect();
    by_root.sort_unstable_by_key(|&p| (roots[p as usize], p));
    let mut verdicts = vec![None; n];
    for comp in by_root.chunk_by(|&a, &b| roots[a as usize] == roots[b as usize]) {
        let canonical = order[comp[0] as usize] as usize; // smallest id: comp is in id order
        let surv = *comp
            .iter()
            .min_by(|&&a, &&b| survivor_cmp(m(a), m(b), &cfg.survivor).then(a.cmp(&b)))
            .unwrap_or(&comp[0]);
        let sv = m(surv);
        for &p in comp {
            let idx = order[p as usize] as usize;
            let v = if p == surv {
                let reason = if comp.len() > 1 {
                    Reason::Survivor
                } else {
                    Reason::Unique
                };
                Verdict {
                    cluster: canonical,
                    kept: true,
                    duplicate_of: None,
                    reason,
                    similarity: 1.0,
                }
            } else {
                let me = m(p);
                let (reason, similarity) = if me.sketch.exact == sv.sketch.exact {
                    (Reason::Exact, 1.0)
                } else {
                    let j = me.sketch.jaccard(&sv.sketch);
                    if j >= cfg.threshold || !cfg.containment {
                        (Reason::NearDuplicate, j)
                    } else {
                        (Reason::Containment, me.sketch.containment(&sv.sketch).0)
                    }
                };
                Verdict {
                    cluster: canonical,
                    kept: false,
                    duplicate_of: Some(order[surv as usize] as usize),
                    reason,
                    similarity,
                }
            };
            verdicts[idx] = Some(v);
        }
    }
    verdicts.into_iter().flatten().collect()
}

fn survivor_cmp(a: &Member, b: &Member, policy: &Survivor) -> Ordering {
    let longest = b.sketch.chars.cmp(&a.sketch.chars);
    match policy {
        Survivor::LeastChrome => a.chrome.cmp(&b.chrome).then(longest),
        Survivor::Longest => longest,
        Survivor::Earliest(_) | Survivor::Highest(_) => {
            let ord = match (&a.rank, &b.rank) {
                (Some(x), Some(y)) => {
                    let o = cmp_rank(x, y);
                    if matches!(policy, Survivor::Highest(_)) {
                        o.reverse()
                    } else {
                        o
                    }
                }
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            };
            ord.then(longest)
        }
    }
}

/// Whether a candidate pair is a duplicate, with its similarity.
fn verify(a: &Sketch, b: &Sketch, cfg: &DedupConfig) -> Option<f64> {
    if a.shingles == 0 || b.shingles == 0 {
        return None;
    }
    let j = a.jaccard(b);
    if j >= cfg.threshold {
        return Some(j);
    }
    if cfg.containment {
        let (c, cover) = a.containment(b);
        if c >= cfg.containment_threshold && cover >= cfg.min_coverage {
            return Some(c);
        }
    }
    None
}

/// LSH candidates among `reps` (positions in id order), sorted and unique.
fn candidate_pairs<'a>(
    reps: &[u32],
    m: &(impl Fn(u32) -> &'a Member + Sync),
    cfg: &DedupConfig,
) -> Vec<(u32, u32)> {
    let (bands, rows) = lsh_bands(cfg);
    let reps: Vec<u32> = reps
        .iter()
        .copied()
        .filter(|&p| m(p).sketch.shingles > 0)
        .collect();
    let mut pairs: Vec<(u32, u32)> = (0..bands)
        .into_par_iter()
        .flat_map_iter(|band| {
            let mut keys: Vec<(u64, u32)> = reps
                .iter()
                .map(|&p| {
                    let sig = &m(p).sketch.sig[band * rows..(band + 1) * rows];
                    let bytes: Vec<u8> = sig.iter().flat_map(|v| v.to_le_bytes()).collect();
                    (xxh3_64(&bytes), p)
                })
                .collect();
            keys.sort_unstable();
            let mut out = Vec::new();
            for run in keys.chunk_by(|a, b| a.0 == b.0) {
                if run.len() <= 8 {
                    for (i, a) in run.iter().enumerate() {
                        for b in &run[i + 1..] {
                            out.push((a.1, b.1));
                        }
                    }
                } else {
                    for b in &run[1..] {
                        out.push((run[0].1, b.1));
                    }
                }
            }
            out
        })
        .collect();
    pairs.par_sort_unstable();
    pairs.dedup();
    pairs
}

/// The LSH bands and rows a configuration uses: as set, or chosen from the
/// threshold by [`lsh_params`].
pub fn lsh_bands(cfg: &DedupConfig) -> (usize, usize) {
    if let (Some(b), Some(r)) = (cfg.bands, cfg.rows) {
        return (b, r);
    }
    // With containment on, band for the lowest Jaccard a contained pair can have
    // (about containment_threshold × min_coverage) so that it becomes a candidate.
    let t = if cfg.containment {
        cfg.threshold
            .min(cfg.containment_threshold * cfg.min_coverage)
    } else {
        cfg.threshold
    };
    lsh_params(t, cfg.num_perm)
}

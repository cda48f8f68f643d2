//! `audit.json`: what a person reads before trusting a threshold.
//!
//! The histogram of checked candidate pairs around the thresholds (joined or
//! refused, and why), the cluster-size histogram, and a sample of clusters with
//! each member's similarity to the survivor (the one the decision used and the
//! signature estimate), plus the exact similarity of its full 64-bit shingle set
//! when the text was seen again (the dedup job's second pass).

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use xxhash_rust::xxh3::xxh3_64;

use super::{ClusterMode, DedupConfig, Member, Reason, Rejection, Report, Shingle, Verdict};

/// Clusters sampled for `audit.json`: half the ones whose weakest member is least
/// similar to its survivor (the borderline ones), half chosen by a hash of the
/// cluster id (an unbiased look).
pub const AUDIT_SAMPLE: usize = 20;

/// One bin of the pair histogram.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Bin {
    /// Lower edge (inclusive).
    pub from: f64,
    /// Upper edge (exclusive, except for the last bin).
    pub to: f64,
    /// Pairs joined as near-duplicates or by containment.
    pub joined: u64,
    /// Pairs below every threshold.
    pub dissimilar: u64,
    /// Pairs refused by the number check.
    pub numbers: u64,
    /// Pairs refused because the smaller text is too short for containment.
    pub too_short: u64,
    /// Containment pairs refused because the smaller text has passages of its own.
    pub own_passages: u64,
}

/// One member of a sampled cluster.
#[derive(Clone, Debug, Serialize)]
pub struct SampleMember {
    /// Document id.
    pub id: String,
    /// Kept or removed.
    pub kept: bool,
    /// Why.
    pub reason: Reason,
    /// Similarity to the survivor the decision used (Jaccard, or containment for a
    /// containment removal; exact unless `exact_verify` is off).
    pub similarity: f64,
    /// Jaccard similarity to the survivor estimated from the signatures.
    pub estimated_jaccard: f64,
    /// Exact Jaccard similarity of the shingle sets with the survivor's, when the
    /// text was available.
    pub exact_jaccard: Option<f64>,
    /// Exact share of the smaller shingle set inside the larger one.
    pub exact_containment: Option<f64>,
    /// Distinct shingles.
    pub shingles: u32,
}

/// One sampled cluster.
#[derive(Clone, Debug, Serialize)]
pub struct SampleCluster {
    /// Canonical cluster id (smallest member id).
    pub cluster: String,
    /// Id of the kept member.
    pub survivor: String,
    /// Members.
    pub size: usize,
    /// The smallest similarity of a member to the survivor.
    pub min_similarity: f64,
    /// Why it was sampled: `borderline` or `random`.
    pub picked: &'static str,
    /// Members, survivor first, then by id.
    pub members: Vec<SampleMember>,
}

/// The content of `audit.json`.
#[derive(Clone, Debug, Serialize)]
pub struct Audit {
    /// Settings the decisions depend on.
    pub threshold: f64,
    /// Containment threshold (None when containment is off).
    pub containment_threshold: Option<f64>,
    /// What shingles are made of.
    pub shingle: Shingle,
    /// Words (or characters) per shingle, as used.
    pub ngram: usize,
    /// Least shingles of the smaller text of a containment pair, as used.
    pub min_shingles: u32,
    /// Clustering mode.
    pub mode: ClusterMode,
    /// LSH bands and rows.
    pub lsh: Option<(usize, usize)>,
    /// Candidate pairs checked.
    pub candidate_pairs: u64,
    /// Checked pairs by outcome.
    pub pairs_by_outcome: BTreeMap<&'static str, u64>,
    /// Checked pairs by estimated Jaccard similarity, bins of 0.05.
    pub jaccard_histogram: Vec<Bin>,
    /// Checked pairs by estimated containment, bins of 0.05.
    pub containment_histogram: Vec<Bin>,
    /// Number of clusters of each size (size 1 = unique documents).
    pub cluster_sizes: BTreeMap<usize, u64>,
    /// Clusters (size > 1) by their weakest member's similarity to the survivor,
    /// bins of 0.05: in components mode this is where chaining shows.
    pub min_similarity_histogram: Vec<(f64, u64)>,
    /// Sampled clusters.
    pub sample: Vec<SampleCluster>,
    /// Members whose text is still needed for exact similarities: input index ->
    /// (sample position, member position).
    #[serde(skip)]
    wanted: HashMap<usize, (usize, usize)>,
    #[serde(skip)]
    shingle_sets: HashMap<usize, Vec<u64>>,
}

fn bins() -> Vec<Bin> {
    (0..20)
        .map(|i| Bin {
            from: i as f64 / 20.0,
            to: (i + 1) as f64 / 20.0,
            ..Bin::default()
        })
        .collect()
}

fn bin_of(x: f64) -> usize {
    ((x * 20.0).floor().max(0.0) as usize).min(19)
}

impl Audit {
    /// Builds the audit of one clustering run.
    pub fn new<M: Borrow<Member>>(
        members: &[M],
        verdicts: &[Verdict],
        report: &Report,
        cfg: &DedupConfig,
    ) -> Audit {
        let member = |i: usize| -> &Member { members[i].borrow() };
        let mut jh = bins();
        let mut ch = bins();
        let mut outcomes: BTreeMap<&'static str, u64> = BTreeMap::new();
        for p in &report.pairs {
            let name = match p.outcome {
                Ok(Reason::Containment) => "containment",
                Ok(_) => "near_duplicate",
                Err(Rejection::Dissimilar) => "dissimilar",
                Err(Rejection::Numbers) => "numbers",
                Err(Rejection::TooShort) => "too_short",
                Err(Rejection::OwnPassages) => "own_passages",
            };
            *outcomes.entry(name).or_default() += 1;
            for (h, x) in [(&mut jh, p.jaccard), (&mut ch, p.containment)] {
                let b = &mut h[bin_of(x)];
                match p.outcome {
                    Ok(_) => b.joined += 1,
                    Err(Rejection::Dissimilar) => b.dissimilar += 1,
                    Err(Rejection::Numbers) => b.numbers += 1,
                    Err(Rejection::TooShort) => b.too_short += 1,
                    Err(Rejection::OwnPassages) => b.own_passages += 1,
                }
            }
        }

        // Size and least similarity of each cluster, by canonical index (the
        // member lists are gathered for the sampled clusters only).
        let mut size = vec![0usize; verdicts.len()];
        let mut least = vec![1.0f64; verdicts.len()];
        for v in verdicts {
            size[v.cluster] += 1;
            least[v.cluster] = least[v.cluster].min(v.similarity);
        }
        let mut sizes: BTreeMap<usize, u64> = BTreeMap::new();
        let mut min_hist = vec![0u64; 20];
        let mut multi: Vec<(usize, f64)> = Vec::new();
        for (c, &n) in size.iter().enumerate().filter(|(_, n)| **n > 0) {
            *sizes.entry(n).or_default() += 1;
            if n > 1 {
                min_hist[bin_of(least[c])] += 1;
                multi.push((c, least[c]));
            }
        }
        // Borderline half, then a hash-ordered half, no cluster twice.
        let mut by_min = multi.clone();
        by_min.sort_by(|a, b| {
            a.1.total_cmp(&b.1)
                .then_with(|| member(a.0).id.cmp(&member(b.0).id))
        });
        let mut picked: Vec<(usize, f64, &'static str)> = by_min
            .iter()
            .take(AUDIT_SAMPLE / 2)
            .map(|&(c, m)| (c, m, "borderline"))
            .collect();
        let mut by_hash = multi;
        by_hash.sort_by_key(|&(c, _)| (xxh3_64(member(c).id.as_bytes()), c));
        for (c, m) in by_hash {
            if picked.len() >= AUDIT_SAMPLE {
                break;
            }
            if !picked.iter().any(|p| p.0 == c) {
                picked.push((c, m, "random"));
            }
        }

        let mut lists: HashMap<usize, Vec<usize>> =
            picked.iter().map(|p| (p.0, Vec::new())).collect();
        for (i, v) in verdicts.iter().enumerate() {
            if let Some(list) = lists.get_mut(&v.cluster) {
                list.push(i);
            }
        }
        let mut wanted = HashMap::new();
        let mut sample = Vec::new();
        for (si, (c, min, why)) in picked.into_iter().enumerate() {
            let mut list = lists.remove(&c).unwrap_or_default();
            list.sort_by(|&a, &b| {
                verdicts[b]
                    .kept
                    .cmp(&verdicts[a].kept)
                    .then_with(|| member(a).id.cmp(&member(b).id))
            });
            let survivor = list[0];
            let ms = list
                .iter()
                .enumerate()
                .map(|(mi, &i)| {
                    wanted.insert(i, (si, mi));
                    let v = &verdicts[i];
                    SampleMember {
                        id: member(i).id.clone(),
                        kept: v.kept,
                        reason: v.reason,
                        similarity: round4(v.similarity),
                        estimated_jaccard: round4(
                            member(i).sketch.jaccard(&member(list[0]).sketch),
                        ),
                        exact_jaccard: None,
                        exact_containment: None,
                        shingles: member(i).sketch.shingles,
                    }
                })
                .collect();
            sample.push(SampleCluster {
                cluster: member(c).id.clone(),
                survivor: member(survivor).id.clone(),
                size: list.len(),
                min_similarity: round4(min),
                picked: why,
                members: ms,
            });
        }
        Audit {
            threshold: cfg.threshold,
            containment_threshold: cfg
                .containment
                .then_some(cfg.effective_containment_threshold()),
            shingle: cfg.shingle,
            ngram: cfg.effective_ngram(),
            min_shingles: cfg.effective_min_shingles(),
            mode: cfg.mode,
            lsh: report.lsh,
            candidate_pairs: report.pairs.len() as u64,
            pairs_by_outcome: outcomes,
            jaccard_histogram: jh,
            containment_histogram: ch,
            cluster_sizes: sizes,
            min_similarity_histogram: min_hist
                .into_iter()
                .enumerate()
                .map(|(i, n)| (i as f64 / 20.0, n))
                .collect(),
            sample,
            wanted,
            shingle_sets: HashMap::new(),
        }
    }

    /// Whether the shingle set of input document `index` is wanted.
    pub fn wants(&self, index: usize) -> bool {
        self.wanted.contains_key(&index)
    }

    /// Records the shingle set of input document `index` (sorted, distinct).
    pub fn observe(&mut self, index: usize, shingles: Vec<u64>) {
        if self.wants(index) {
            self.shingle_sets.insert(index, shingles);
        }
    }

    /// Fills the exact similarities from the recorded shingle sets.
    pub fn finish(&mut self) {
        let mut by_sample: HashMap<usize, Vec<(usize, usize)>> = HashMap::new();
        for (&i, &(s, m)) in &self.wanted {
            by_sample.entry(s).or_default().push((m, i));
        }
        for (s, mut list) in by_sample {
            list.sort_unstable();
            let Some(surv) = list.first().and_then(|&(_, i)| self.shingle_sets.get(&i)) else {
                continue;
            };
            for &(m, i) in &list {
                if let Some(set) = self.shingle_sets.get(&i) {
                    let (j, c) = exact_similarity(surv, set);
                    let member = &mut self.sample[s].members[m];
                    member.exact_jaccard = Some(round4(j));
                    member.exact_containment = Some(round4(c));
                }
            }
        }
    }
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

/// Exact Jaccard similarity and containment (of the smaller in the larger) of two
/// sorted, distinct sets.
pub fn exact_similarity(a: &[u64], b: &[u64]) -> (f64, f64) {
    let (mut i, mut j, mut inter) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                inter += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - inter;
    let small = a.len().min(b.len());
    if union == 0 {
        return (1.0, 1.0);
    }
    (
        inter as f64 / union as f64,
        if small == 0 {
            0.0
        } else {
            inter as f64 / small as f64
        },
    )
}

/// Writes `audit` as pretty JSON to `path`.
///
/// # Errors
/// [`crate::Error::Io`] if the file cannot be written.
pub fn write_audit(path: &std::path::Path, audit: &Audit) -> crate::Result<()> {
    let json = serde_json::to_string_pretty(audit)
        .map_err(|e| crate::Error::io(path, std::io::Error::other(e)))?;
    std::fs::write(path, json + "\n").map_err(|e| crate::Error::io(path, e))
}

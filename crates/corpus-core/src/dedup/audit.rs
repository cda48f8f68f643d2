//! `audit.json`: what a person reads before trusting a threshold.
//!
//! The histogram of checked candidate pairs around the thresholds (joined or
//! refused, and why), the cluster-size histogram, and a sample of clusters with
//! each member's similarity to the survivor (the one the decision used and the
//! signature estimate), plus the exact similarity of its full 64-bit shingle set
//! when the text was seen again (the dedup job's second pass).

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use super::{
    ClusterMode, DedupConfig, Member, PairCheck, Reason, Rejection, Report, Shingle, Sketch,
    Verdict,
};

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
    /// (1.6) The start of the document's text as read (its first
    /// [`TEXT_START`] characters, each run of whitespace as one space), when the
    /// text was available: what a person reads to judge the pair.
    pub text_start: Option<String>,
}

/// Characters of each sampled member's text that `audit.json` quotes.
pub const TEXT_START: usize = 200;

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
    /// Checked pairs by Jaccard similarity, bins of 0.05: the value the check
    /// decided on (see [`crate::dedup::cluster::PairCheck`]).
    pub jaccard_histogram: Vec<Bin>,
    /// Checked pairs by containment, bins of 0.05, as the Jaccard histogram.
    pub containment_histogram: Vec<Bin>,
    /// Number of clusters of each size (size 1 = unique documents).
    pub cluster_sizes: BTreeMap<usize, u64>,
    /// Clusters (size > 1) by their weakest member's similarity to the survivor,
    /// bins of 0.05, as `[from, count]`: in components mode this is where
    /// chaining shows.
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
    (0..BINS)
        .map(|i| Bin {
            from: i as f64 / BINS as f64,
            to: (i + 1) as f64 / BINS as f64,
            ..Bin::default()
        })
        .collect()
}

/// Bins of the histograms, 0.05 wide.
const BINS: usize = 20;

fn bin_of(x: f64) -> usize {
    ((x * BINS as f64).floor().max(0.0) as usize).min(BINS - 1)
}

/// Pair outcomes as `pairs_by_outcome` names them, by [`outcome_index`].
const OUTCOMES: [&str; 6] = [
    "containment",
    "near_duplicate",
    "dissimilar",
    "numbers",
    "too_short",
    "own_passages",
];

/// A checked pair's cell: outcome × Jaccard bin × containment bin.
fn pair_cell(p: &PairCheck) -> u32 {
    outcome_index(p.outcome) * (BINS * BINS) as u32
        + (bin_of(p.jaccard) * BINS + bin_of(p.containment)) as u32
}

fn outcome_index(o: Result<Reason, Rejection>) -> u32 {
    match o {
        Ok(Reason::Containment) => 0,
        Ok(_) => 1,
        Err(Rejection::Dissimilar) => 2,
        Err(Rejection::Numbers) => 3,
        Err(Rejection::TooShort) => 4,
        Err(Rejection::OwnPassages) => 5,
    }
}

/// What `audit.json` counts over the whole corpus, in parts that merge: the
/// checked pairs, the clusters' sizes and weakest similarities, and the
/// clusters that may be sampled. An engine that sees the corpus in pieces
/// (`ghirbal.spark`) tallies each piece, merges the tallies, and gets the same
/// audit as the local engine.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditTally {
    /// Checked pairs per cell: outcome × Jaccard bin × containment bin.
    pairs: BTreeMap<u32, u64>,
    /// Clusters per cell: size × weakest-similarity bin ([`BINS`] for size 1).
    clusters: BTreeMap<u64, u64>,
    /// The clusters of two or more first by (weakest similarity, id): the
    /// borderline ones, up to half the sample.
    borderline: Vec<(f64, String)>,
    /// The clusters of two or more first by (hash of the id, id), with their
    /// weakest similarity: the random ones, up to the whole sample.
    by_hash: Vec<(u64, String, f64)>,
}

/// Keeps `v` sorted by `cmp` and at most `k` long with `x` added.
fn keep_first<T>(v: &mut Vec<T>, k: usize, x: T, cmp: impl Fn(&T, &T) -> Ordering) {
    if v.len() == k && v.last().is_some_and(|last| cmp(&x, last) != Ordering::Less) {
        return;
    }
    let at = v.partition_point(|y| cmp(y, &x) == Ordering::Less);
    v.insert(at, x);
    v.truncate(k);
}

fn by_weakest(a: &(f64, String), b: &(f64, String)) -> Ordering {
    a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1))
}

fn by_hash(a: &(u64, String, f64), b: &(u64, String, f64)) -> Ordering {
    (a.0, &a.1).cmp(&(b.0, &b.1))
}

impl AuditTally {
    /// Counts one checked pair.
    pub fn add_pair(&mut self, p: &PairCheck) {
        *self.pairs.entry(pair_cell(p)).or_default() += 1;
    }

    /// Counts many checked pairs: [`AuditTally::add_pair`] for each, counted
    /// in parallel into flat cells (a local run checks about a million pairs,
    /// and a map update each took 40 ms on one thread while the others waited).
    pub fn add_pairs(&mut self, pairs: &[PairCheck]) {
        const CELLS: usize = OUTCOMES.len() * BINS * BINS;
        let counts = pairs
            .par_chunks(1 << 14)
            .map(|chunk| {
                let mut c = vec![0u64; CELLS];
                for p in chunk {
                    c[pair_cell(p) as usize] += 1;
                }
                c
            })
            .reduce(
                || vec![0u64; CELLS],
                |mut a, b| {
                    a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                    a
                },
            );
        for (cell, n) in counts.into_iter().enumerate().filter(|(_, n)| *n > 0) {
            *self.pairs.entry(cell as u32).or_default() += n;
        }
    }

    /// Counts one cluster: its canonical id, size, and the smallest similarity
    /// of a member to the survivor.
    pub fn add_cluster(&mut self, id: &str, size: usize, weakest: f64) {
        let weakest = weakest.min(1.0);
        let bin = if size > 1 { bin_of(weakest) } else { BINS };
        *self
            .clusters
            .entry(size as u64 * (BINS as u64 + 1) + bin as u64)
            .or_default() += 1;
        if size > 1 {
            keep_first(
                &mut self.borderline,
                AUDIT_SAMPLE / 2,
                (weakest, id.to_owned()),
                by_weakest,
            );
            keep_first(
                &mut self.by_hash,
                AUDIT_SAMPLE,
                (xxh3_64(id.as_bytes()), id.to_owned(), weakest),
                by_hash,
            );
        }
    }

    /// Adds the counts of `other`, a tally of other pairs and clusters.
    pub fn merge(&mut self, other: AuditTally) {
        for (cell, n) in other.pairs {
            *self.pairs.entry(cell).or_default() += n;
        }
        for (cell, n) in other.clusters {
            *self.clusters.entry(cell).or_default() += n;
        }
        for x in other.borderline {
            keep_first(&mut self.borderline, AUDIT_SAMPLE / 2, x, by_weakest);
        }
        for x in other.by_hash {
            keep_first(&mut self.by_hash, AUDIT_SAMPLE, x, by_hash);
        }
    }

    /// The sampled clusters: (canonical id, weakest similarity, why picked),
    /// the borderline half first, then by hash, no cluster twice.
    pub fn sample(&self) -> Vec<(String, f64, &'static str)> {
        let mut picked: Vec<(String, f64, &'static str)> = self
            .borderline
            .iter()
            .map(|(m, id)| (id.clone(), *m, "borderline"))
            .collect();
        for (_, id, m) in &self.by_hash {
            if picked.len() >= AUDIT_SAMPLE {
                break;
            }
            if !picked.iter().any(|p| &p.0 == id) {
                picked.push((id.clone(), *m, "random"));
            }
        }
        picked
    }
}

/// A member of a sampled cluster, as [`Audit::assemble`] takes it.
pub struct SampleInput<'a> {
    /// The caller's number for the member, which [`Audit::observe`] takes.
    pub key: usize,
    /// Document id.
    pub id: &'a str,
    /// Kept or removed.
    pub kept: bool,
    /// Why.
    pub reason: Reason,
    /// Similarity to the survivor the decision used.
    pub similarity: f64,
    /// Its sketch.
    pub sketch: &'a Sketch,
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
        let mut tally = AuditTally::default();
        tally.add_pairs(&report.pairs);
        // Size and least similarity of each cluster, by canonical index.
        let mut size = vec![0usize; verdicts.len()];
        let mut least = vec![1.0f64; verdicts.len()];
        for v in verdicts {
            size[v.cluster] += 1;
            least[v.cluster] = least[v.cluster].min(v.similarity);
        }
        for (c, &n) in size.iter().enumerate().filter(|(_, n)| **n > 0) {
            tally.add_cluster(&member(c).id, n, least[c]);
        }
        // The member lists of the sampled clusters alone.
        let sample = tally.sample();
        let at: HashMap<&str, usize> = sample
            .iter()
            .enumerate()
            .map(|(k, s)| (s.0.as_str(), k))
            .collect();
        let slot: HashMap<usize, usize> = size
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 1)
            .filter_map(|(c, _)| at.get(member(c).id.as_str()).map(|&k| (c, k)))
            .collect();
        let mut lists: Vec<Vec<SampleInput<'_>>> = (0..sample.len()).map(|_| Vec::new()).collect();
        for (i, v) in verdicts.iter().enumerate() {
            if let Some(&k) = slot.get(&v.cluster) {
                lists[k].push(SampleInput {
                    key: i,
                    id: &member(i).id,
                    kept: v.kept,
                    reason: v.reason,
                    similarity: v.similarity,
                    sketch: &member(i).sketch,
                });
            }
        }
        Audit::assemble(&tally, cfg, report.lsh, lists)
    }

    /// The audit from a corpus' tally and the members of its sampled clusters
    /// (`members[k]` those of the `k`th of [`AuditTally::sample`], in any order);
    /// `lsh` as used (`None` for exact dedup alone). The exact similarities come
    /// from the shingle sets given to [`Audit::observe`] under the members' keys.
    pub fn assemble(
        tally: &AuditTally,
        cfg: &DedupConfig,
        lsh: Option<(usize, usize)>,
        members: Vec<Vec<SampleInput<'_>>>,
    ) -> Audit {
        let mut jh = bins();
        let mut ch = bins();
        let mut outcomes: BTreeMap<&'static str, u64> = BTreeMap::new();
        for (&cell, &n) in &tally.pairs {
            let cell = cell as usize;
            let (outcome, jbin, cbin) = (cell / (BINS * BINS), cell / BINS % BINS, cell % BINS);
            *outcomes.entry(OUTCOMES[outcome.min(5)]).or_default() += n;
            for b in [&mut jh[jbin], &mut ch[cbin]] {
                *match outcome {
                    0 | 1 => &mut b.joined,
                    2 => &mut b.dissimilar,
                    3 => &mut b.numbers,
                    4 => &mut b.too_short,
                    _ => &mut b.own_passages,
                } += n;
            }
        }
        let mut sizes: BTreeMap<usize, u64> = BTreeMap::new();
        let mut min_hist = vec![0u64; BINS];
        for (&cell, &n) in &tally.clusters {
            let (size, bin) = (
                cell / (BINS as u64 + 1),
                (cell % (BINS as u64 + 1)) as usize,
            );
            *sizes.entry(size as usize).or_default() += n;
            if let Some(h) = min_hist.get_mut(bin) {
                *h += n;
            }
        }

        let mut wanted = HashMap::new();
        let mut sample = Vec::new();
        for ((cluster, min, why), mut list) in tally.sample().into_iter().zip(members) {
            let si = sample.len();
            list.sort_by(|a, b| b.kept.cmp(&a.kept).then_with(|| a.id.cmp(b.id)));
            let Some(survivor) = list.first() else {
                continue;
            };
            let (survivor_id, survivor_sketch) = (survivor.id.to_owned(), survivor.sketch);
            let ms = list
                .iter()
                .enumerate()
                .map(|(mi, m)| {
                    wanted.insert(m.key, (si, mi));
                    SampleMember {
                        id: m.id.to_owned(),
                        kept: m.kept,
                        reason: m.reason,
                        similarity: round4(m.similarity),
                        estimated_jaccard: round4(m.sketch.jaccard(survivor_sketch)),
                        exact_jaccard: None,
                        exact_containment: None,
                        shingles: m.sketch.shingles,
                        text_start: None,
                    }
                })
                .collect();
            sample.push(SampleCluster {
                cluster,
                survivor: survivor_id,
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
            lsh,
            candidate_pairs: tally.pairs.values().sum(),
            pairs_by_outcome: outcomes,
            jaccard_histogram: jh,
            containment_histogram: ch,
            cluster_sizes: sizes,
            min_similarity_histogram: min_hist
                .into_iter()
                .enumerate()
                .map(|(i, n)| (i as f64 / BINS as f64, n))
                .collect(),
            sample,
            wanted,
            shingle_sets: HashMap::new(),
        }
    }

    /// Whether the shingle set of the member under `index` is wanted (with
    /// [`Audit::new`], members are under their input index).
    pub fn wants(&self, index: usize) -> bool {
        self.wanted.contains_key(&index)
    }

    /// Records the text and the shingle set (sorted, distinct) of the member
    /// under `index`.
    pub fn observe(&mut self, index: usize, text: &str, shingles: Vec<u64>) {
        if let Some(&(s, m)) = self.wanted.get(&index) {
            self.sample[s].members[m].text_start = Some(text_start(text));
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

/// The first [`TEXT_START`] characters of `text`, each run of whitespace as one
/// space (line breaks included: one line of JSON reads as one line).
fn text_start(text: &str) -> String {
    let mut out = String::new();
    for (n, word) in text.split_whitespace().enumerate() {
        if n > 0 {
            out.push(' ');
        }
        out.push_str(word);
        if out.chars().count() >= TEXT_START {
            break;
        }
    }
    match out.char_indices().nth(TEXT_START) {
        Some((at, _)) => out[..at].to_owned(),
        None => out,
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

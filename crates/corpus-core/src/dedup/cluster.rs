use std::borrow::Borrow;
use std::cell::RefCell;
use std::cmp::Ordering;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::config::CHARS_PER_WORD;
use super::minhash::{Overlap, containment_from, set_ratios};
use super::{ClusterMode, DedupConfig, Shingle, Sketch, Survivor, lsh_params};

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
    /// Removed: Jaccard similarity to the survivor at or above the threshold.
    NearDuplicate,
    /// Removed: mostly contained in (or containing) the survivor.
    Containment,
}

impl Reason {
    /// The name `clusters.jsonl` gives it (its serde name).
    pub fn name(self) -> &'static str {
        match self {
            Reason::Unique => "unique",
            Reason::Survivor => "survivor",
            Reason::Exact => "exact",
            Reason::NearDuplicate => "near_duplicate",
            Reason::Containment => "containment",
        }
    }
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
    /// A string that reads as a date ([`RankValue::of_str`]), as milliseconds
    /// since 1970-01-01 UTC.
    Time(i64),
    /// A number.
    Num(f64),
    /// Any other string.
    Str(String),
}

impl RankValue {
    /// The rank of a string field: the instant it names when it reads as a date
    /// written as news feeds write them, else the string itself. Dates are
    /// RFC 3339 / ISO 8601 (`2016-12-08T18:18:00+01:00`; `T` or a space; seconds,
    /// fraction and offset optional, no offset meaning UTC; `/` for `-`), a day
    /// alone (`2015-07-21`, its midnight UTC), a day written day first
    /// (`29/05/2016`, `29-05-2016 14:30`, as Arabic-language and European outlets
    /// write it; a US month-first date is misread), RFC 2822 (`Fri, 02 Mar 2018
    /// 16:49:57 +0400`), or a date with its month written out in Arabic, English
    /// or French, after an optional weekday and before an optional time
    /// (`الجمعة 9 ديسمبر 2016`, `25 جانفي 2017`, `12 آذار 2018 - 3:30 م`,
    /// `أغسطس 8, 2015, 1:16 ص`, `12 March 2018`, `12 mars 2018`; the Egyptian and
    /// Gulf, Levantine, Tunisian and Algerian, and Moroccan month names alike;
    /// the Gregorian date after `الموافق` when a Hijri one comes first). Arabic-Indic
    /// digits count as digits. Compared as text, these forms disagree with time:
    /// the same instant written two ways, and weekday names, sort apart.
    ///
    /// ```
    /// use corpus_core::dedup::RankValue;
    /// let a = RankValue::of_str("Fri, 02 Mar 2018 16:49:57 +0400".into());
    /// let b = RankValue::of_str("2018-03-02 12:49:57".into());
    /// assert_eq!(a, b);
    /// let c = RankValue::of_str("الجمعة ٢ آذار ٢٠١٨ - 12:49:57 م".into());
    /// assert_eq!(c, b);
    /// assert_eq!(RankValue::of_str("soon".into()), RankValue::Str("soon".into()));
    /// // A number written as a string (CSV-born fields) is a number: 10 above 9.
    /// assert_eq!(RankValue::of_str(" 10 ".into()), RankValue::Num(10.0));
    /// ```
    ///
    /// A string that is not a date but a plain decimal number (`10`, `-2.5`,
    /// `1e3`, blanks around it) is that number.
    pub fn of_str(s: String) -> RankValue {
        if let Some(t) = super::date::instant(&s) {
            return RankValue::Time(t);
        }
        let t = s.trim();
        let plain = !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
            && t.bytes().any(|b| b.is_ascii_digit());
        match t.parse::<f64>() {
            Ok(n) if plain && n.is_finite() => RankValue::Num(n),
            _ => RankValue::Str(s),
        }
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
    /// Similarity to the survivor (Jaccard, or containment for a containment
    /// removal; exact unless `exact_verify` is off), 1.0 for the survivor.
    pub similarity: f64,
}

/// Why a candidate pair was not joined.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rejection {
    /// Below every similarity threshold.
    Dissimilar,
    /// Similar enough, but each text carries numbers the other lacks.
    Numbers,
    /// Contained, but the smaller text is too short for containment to count.
    TooShort,
    /// Contained, but the smaller text also carries passages of its own (see
    /// `DedupConfig::max_own_passages`): two texts sharing a passage.
    OwnPassages,
}

/// One checked candidate pair (positions are input indices). Its similarities
/// are those the check decided on: exact ones from the shingle sets, except
/// for a pair whose signature estimates lie far below every threshold (0.2
/// under, four standard errors), which is settled on those estimates, and
/// with `exact_verify` off, when all are estimates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PairCheck {
    /// Input index of one document (the smaller id).
    pub a: usize,
    /// Input index of the other.
    pub b: usize,
    /// Jaccard similarity.
    pub jaccard: f64,
    /// Containment of the smaller shingle set in the larger.
    pub containment: f64,
    /// The decision: `Ok(kind)` joined as near-duplicate or containment.
    pub outcome: Result<Reason, Rejection>,
}

/// What [`cluster_report`] saw besides the verdicts: the material of `audit.json`.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Every LSH candidate pair that was checked, in id order.
    pub pairs: Vec<PairCheck>,
    /// LSH bands and rows used.
    pub lsh: Option<(usize, usize)>,
    /// Seconds spent in each step: `exact`, `lsh`, `anchors`, `verify`, `assign`.
    pub timings: Vec<(&'static str, f64)>,
}

/// Clusters documents and picks a survivor per cluster.
///
/// Every decision is made on documents sorted by id, so the result does not depend
/// on input order or thread count. See [`DedupConfig`] for the rules.
pub fn cluster(members: &[Member], cfg: &DedupConfig) -> Vec<Verdict> {
    cluster_report(members, cfg).0
}

/// How a verified pair may merge.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Link {
    /// Either document may be removed in favour of the other.
    Both(Reason),
    /// Only the document at this position (the contained one) may be removed.
    Only(u32),
}

impl Link {
    /// Whether the document at position `v` may be removed by this link.
    fn removes(self, v: u32) -> bool {
        match self {
            Link::Both(_) => true,
            Link::Only(small) => small == v,
        }
    }

    /// The reason a document removed by this link is given.
    fn reason(self) -> Reason {
        match self {
            Link::Both(r) => r,
            Link::Only(_) => Reason::Containment,
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Edge {
    pub(super) a: u32,
    pub(super) b: u32,
    pub(super) sim: f64,
    /// Jaccard similarity: ranks the centres a document could join.
    pub(super) jaccard: f64,
    pub(super) link: Link,
}

/// Verifies the candidate pair of positions `a` and `b` (sketches `sa`, `sb`):
/// the audit's record (positions not filled in) and the edge, if it joins.
pub(super) fn check_pair(
    (a, sa): (u32, &Sketch),
    (b, sb): (u32, &Sketch),
    cfg: &DedupConfig,
) -> (PairCheck, Option<Edge>) {
    let (check, link, sim) = verify(sa, sb, cfg);
    let small = if sa.shingles <= sb.shingles { a } else { b };
    let edge = link.map(|l| Edge {
        a,
        b,
        sim,
        jaccard: check.jaccard,
        link: match l {
            Ok(reason) => Link::Both(reason),
            Err(()) => Link::Only(small),
        },
    });
    (check, edge)
}

/// [`cluster`], also returning the checked candidate pairs.
///
/// `members` may be [`Member`]s or anything that holds one (the dedup job's
/// per-document records), so the caller need not move them out.
pub fn cluster_report<M: Borrow<Member> + Sync>(
    members: &[M],
    cfg: &DedupConfig,
) -> (Vec<Verdict>, Report) {
    let get = |i: u32| -> &Member { members[i as usize].borrow() };
    let n = members.len();
    let mut lap = Lap::default();
    // Work in id order: position p holds input index order[p].
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.par_sort_unstable_by(|&a, &b| get(a).id.cmp(&get(b).id));
    let m = |p: u32| get(order[p as usize]);
    // The policy's order is computed once, as a rank per position: each
    // comparison would otherwise look two records up through the id order (the
    // star's sort of 166k champions alone took 37 ms of 66).
    let rank = policy_ranks(n, &m, &cfg.survivor);
    let by_policy = |a: u32, b: u32| rank[a as usize].cmp(&rank[b as usize]);

    // Exact duplicates: same key hash. Each group is a unit led by its champion,
    // the member the survivor policy prefers.
    // The keys are gathered first: a sort that looked each one up through the
    // id order would miss the cache at every comparison.
    let mut by_hash: Vec<(u128, u32)> = (0..n as u32)
        .into_par_iter()
        .map(|p| (m(p).sketch.exact, p))
        .collect();
    by_hash.par_sort_unstable();
    let mut unit_of = vec![0u32; n];
    let mut champions: Vec<u32> = Vec::with_capacity(n);
    for group in by_hash.chunk_by(|a, b| a.0 == b.0) {
        let champ = group
            .iter()
            .map(|&(_, p)| p)
            .min_by(|&a, &b| by_policy(a, b))
            .unwrap_or(group[0].1);
        for &(_, p) in group {
            unit_of[p as usize] = champ;
        }
        champions.push(champ);
    }
    // In the policy's order, which is how the assignment takes them: the ranks
    // are a permutation of the positions, so each champion has a slot of its own.
    let mut by_rank = vec![u32::MAX; n];
    for &c in &champions {
        by_rank[rank[c as usize] as usize] = c;
    }
    let champions: Vec<u32> = by_rank.into_iter().filter(|&c| c != u32::MAX).collect();

    let mut report = Report::default();
    lap.mark(&mut report, "exact");
    let mut edges: Vec<Edge> = Vec::new();
    if !cfg.exact_only {
        let lsh = lsh_bands(cfg);
        report.lsh = Some(lsh);
        // Sketches are read in memory (input) order: input index -> id-order
        // position of each champion.
        let mut rep_pos = vec![u32::MAX; n];
        for &p in &champions {
            rep_pos[order[p as usize] as usize] = p;
        }
        // Pairs whose sizes no rule could join are no candidates, from either source.
        let sizes = SizeBound::new(members, &rep_pos, cfg);
        let mut pairs = candidate_pairs(members, &rep_pos, lsh);
        pairs.retain(|&(a, b)| sizes.allows(a, b));
        lap.mark(&mut report, "lsh");
        if cfg.containment {
            pairs = union_sorted(pairs, anchor_pairs(members, &rep_pos, &sizes));
            lap.mark(&mut report, "anchors");
        }
        let (checks, links): (Vec<PairCheck>, Vec<Option<Edge>>) = pairs
            .par_iter()
            .enumerate()
            .map(|(j, &(a, b))| {
                // The second members of the pairs ahead are scattered in memory:
                // their records, then their sketches, are fetched early.
                if let Some(&(_, far)) = pairs.get(j + 2 * AHEAD) {
                    prefetch_all(std::slice::from_ref(m(far)));
                }
                if let Some(&(_, near)) = pairs.get(j + AHEAD) {
                    let s = &m(near).sketch;
                    prefetch(s.sig.as_ptr());
                    prefetch_all(&s.set);
                    prefetch_all(&s.pos);
                }
                let (check, edge) = check_pair((a, &m(a).sketch), (b, &m(b).sketch), cfg);
                let check = PairCheck {
                    a: order[a as usize] as usize,
                    b: order[b as usize] as usize,
                    ..check
                };
                (check, edge)
            })
            .unzip();
        report.pairs = checks;
        edges = links.into_iter().flatten().collect();
        lap.mark(&mut report, "verify");
    }

    // Assignment: parent[p] = the champion position p is removed in favour of
    // (itself for a kept champion), with the similarity and reason.
    let mut parent: Vec<(u32, f64, Reason)> =
        (0..n as u32).map(|p| (p, 1.0, Reason::Unique)).collect();
    match cfg.mode {
        ClusterMode::Star => star(&champions, &edges, &by_policy, &mut parent),
        ClusterMode::Components => components(&champions, &edges, &m, cfg, &by_policy, &mut parent),
    }

    // Verdicts: every document follows its unit's champion. Computed in
    // parallel: a cluster's canonical id is its smallest position, its size a
    // count, both the same in any order.
    let root = |p: u32| settle(p, unit_of[p as usize], parent[unit_of[p as usize] as usize]);
    let roots: Vec<(u32, f64, Reason)> = (0..n as u32).into_par_iter().map(root).collect();
    let canonical: Vec<AtomicU32> = (0..n).map(|_| AtomicU32::new(u32::MAX)).collect();
    let size: Vec<AtomicU32> = (0..n).map(|_| AtomicU32::new(0)).collect();
    roots.par_iter().enumerate().for_each(|(p, &(r, _, _))| {
        canonical[r as usize].fetch_min(p as u32, Relaxed); // positions are in id order
        size[r as usize].fetch_add(1, Relaxed);
    });
    // The position of each input index, to give the verdicts in input order.
    let mut position = vec![0u32; n];
    for (p, &idx) in order.iter().enumerate() {
        position[idx as usize] = p as u32;
    }
    let verdicts: Vec<Verdict> = position
        .par_iter()
        .map(|&p| {
            let (r, sim, reason) = roots[p as usize];
            let cluster = order[canonical[r as usize].load(Relaxed) as usize] as usize;
            let (kept, reason, similarity) = outcome(
                r == p,
                size[r as usize].load(Relaxed),
                m(p).sketch.exact == m(r).sketch.exact,
                sim,
                reason,
            );
            Verdict {
                cluster,
                kept,
                duplicate_of: (!kept).then(|| order[r as usize] as usize),
                reason,
                similarity,
            }
        })
        .collect();
    lap.mark(&mut report, "assign");
    (verdicts, report)
}

/// Where the document at `p` ends, given its unit's champion `c` (`p` itself, or
/// `p` is an exact copy of it) and where the champion went (`c` itself when kept):
/// the document it is removed in favour of (itself when kept), the similarity
/// and the reason.
pub(super) fn settle(p: u32, c: u32, (r, sim, reason): (u32, f64, Reason)) -> (u32, f64, Reason) {
    if c != p && r == c {
        // An exact copy of a kept champion.
        (c, 1.0, Reason::Exact)
    } else {
        (r, sim, reason)
    }
}

/// The verdict of a document that settled on a root (see `settle`): whether it is kept, why,
/// and its similarity to the kept one. `is_root`: it is the root; `size`: the
/// root's cluster size; `same_key`: it has the root's key text.
pub fn outcome(
    is_root: bool,
    size: u32,
    same_key: bool,
    sim: f64,
    reason: Reason,
) -> (bool, Reason, f64) {
    if is_root {
        let reason = if size > 1 {
            Reason::Survivor
        } else {
            Reason::Unique
        };
        (true, reason, 1.0)
    } else if same_key {
        (false, Reason::Exact, 1.0)
    } else {
        (false, reason, sim)
    }
}

/// How many pairs ahead verification prefetches (and members ahead, LSH).
const AHEAD: usize = 8;

/// [`prefetch`] for every cache line of `s`.
#[inline]
fn prefetch_all<T>(s: &[T]) {
    let bytes = std::mem::size_of_val(s);
    let start = s.as_ptr().cast::<u8>();
    for at in (0..bytes).step_by(64) {
        prefetch(start.wrapping_add(at));
    }
}

/// Asks the CPU to start loading the cache line at `p` (a hint: no effect on
/// results).
#[inline]
fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults and reads nothing into the program,
    // whatever the address; SSE is part of the x86-64 baseline.
    #[allow(unsafe_code)]
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Times the steps of [`cluster_report`].
struct Lap(std::time::Instant);

impl Default for Lap {
    fn default() -> Self {
        Lap(std::time::Instant::now())
    }
}

impl Lap {
    fn mark(&mut self, report: &mut Report, step: &'static str) {
        let now = std::time::Instant::now();
        report
            .timings
            .push((step, now.duration_since(self.0).as_secs_f64()));
        self.0 = now;
    }
}

/// Star clustering: champions in survivor-policy order; each one not yet taken
/// becomes a centre and takes every untaken neighbour it verified against; each
/// removed document then moves to the centre it is most similar to. Every removed
/// document is similar to the one kept in its place (no chaining).
/// A contained text that stayed alone then joins the best kept container.
pub(super) fn star(
    champions: &[u32],
    edges: &[Edge],
    by_policy: &impl Fn(u32, u32) -> Ordering,
    parent: &mut [(u32, f64, Reason)],
) {
    let adj = adjacency(parent.len(), edges);
    let mut ranked = champions.to_vec();
    ranked.sort_unstable_by(|&a, &b| by_policy(a, b));
    let mut taken = vec![false; parent.len()];
    let mut members = vec![0u32; parent.len()];
    for &c in &ranked {
        if taken[c as usize] {
            continue;
        }
        taken[c as usize] = true;
        for &(v, e) in adj.of(c) {
            let e = &edges[e as usize];
            if e.link.removes(v) && !taken[v as usize] {
                taken[v as usize] = true;
                parent[v as usize] = (c, e.sim, e.link.reason());
                members[c as usize] += 1;
            }
        }
    }
    // The order above decides which documents are centres; each removed one then
    // joins the centre it is most similar to (Jaccard, then policy order), not the
    // first one that reached it: a reprint goes with its original rather than
    // with a text that merely contains it.
    let moved: Vec<(u32, u32, f64, Reason)> = (0..parent.len() as u32)
        .filter(|&v| parent[v as usize].0 != v)
        .filter_map(|v| {
            let (cur, _, _) = parent[v as usize];
            let best = adj
                .of(v)
                .iter()
                .filter_map(|&(c, e)| {
                    let e = &edges[e as usize];
                    (e.link.removes(v) && parent[c as usize].0 == c).then_some((c, e))
                })
                .min_by(|x, y| {
                    y.1.jaccard
                        .total_cmp(&x.1.jaccard)
                        .then(by_policy(x.0, y.0))
                })?;
            let (c, e) = best;
            (c != cur).then(|| (v, c, e.sim, e.link.reason()))
        })
        .collect();
    for (v, c, sim, reason) in moved {
        members[parent[v as usize].0 as usize] -= 1;
        members[c as usize] += 1;
        parent[v as usize] = (c, sim, reason);
    }
    // Lone centres contained in another centre's text (which could not be removed
    // for them): they go, the container stays.
    let is_lone_centre = |p: u32, parent: &[(u32, f64, Reason)]| {
        parent[p as usize].0 == p && members[p as usize] == 0
    };
    let target = |c: u32, parent: &[(u32, f64, Reason)]| {
        adj.of(c)
            .iter()
            .filter_map(|&(v, e)| {
                let e = &edges[e as usize];
                (e.link == Link::Only(c) && parent[v as usize].0 == v).then_some((v, e.sim))
            })
            .min_by(|x, y| y.1.total_cmp(&x.1).then(by_policy(x.0, y.0)))
    };
    let moving: Vec<bool> = (0..parent.len() as u32)
        .map(|p| is_lone_centre(p, parent) && target(p, parent).is_some())
        .collect();
    let mut moves = Vec::new();
    for &c in &ranked {
        if !moving[c as usize] {
            continue;
        }
        let best = adj
            .of(c)
            .iter()
            .filter_map(|&(v, e)| {
                let e = &edges[e as usize];
                (e.link == Link::Only(c) && parent[v as usize].0 == v && !moving[v as usize])
                    .then_some((v, e.sim))
            })
            .min_by(|x, y| y.1.total_cmp(&x.1).then(by_policy(x.0, y.0)));
        if let Some((v, sim)) = best {
            moves.push((c, v, sim));
        }
    }
    for (c, v, sim) in moves {
        parent[c as usize] = (v, sim, Reason::Containment);
    }
}

/// Connected components of the verified pairs (chains allowed); the survivor is
/// the policy's choice in each component and the similarity reported is each
/// member's similarity to it ([`component_link`]).
fn components<'a>(
    champions: &[u32],
    edges: &[Edge],
    m: &impl Fn(u32) -> &'a Member,
    cfg: &DedupConfig,
    by_policy: &impl Fn(u32, u32) -> Ordering,
    parent: &mut [(u32, f64, Reason)],
) {
    for (p, surv) in component_survivors(champions, edges, by_policy, parent.len()) {
        let (sim, reason) = component_link(&m(p).sketch, &m(surv).sketch, cfg);
        parent[p as usize] = (surv, sim, reason);
    }
}

/// In connected-components mode: (member, survivor) for every champion that is
/// not its component's survivor (the policy's choice in the component).
pub(super) fn component_survivors(
    champions: &[u32],
    edges: &[Edge],
    by_policy: &impl Fn(u32, u32) -> Ordering,
    n: usize,
) -> Vec<(u32, u32)> {
    let mut uf = UnionFind::new(n);
    for e in edges {
        uf.union(e.a, e.b);
    }
    let mut comps: Vec<u32> = champions.to_vec();
    let roots: Vec<u32> = (0..n as u32).map(|p| uf.find(p)).collect();
    comps.sort_unstable_by_key(|&p| (roots[p as usize], p));
    let mut out = Vec::new();
    for comp in comps.chunk_by(|&a, &b| roots[a as usize] == roots[b as usize]) {
        let surv = comp
            .iter()
            .copied()
            .min_by(|&a, &b| by_policy(a, b))
            .unwrap_or(comp[0]);
        out.extend(comp.iter().filter(|&&p| p != surv).map(|&p| (p, surv)));
    }
    out
}

/// In connected-components mode, how a member relates to its survivor: its
/// similarity and the reason it goes (near-duplicate when Jaccard reaches the
/// threshold or containment is off, else containment).
pub(super) fn component_link(
    member: &Sketch,
    survivor: &Sketch,
    cfg: &DedupConfig,
) -> (f64, Reason) {
    let (j, c, _) = member.similarity(survivor);
    if j >= cfg.threshold || !cfg.containment {
        (j, Reason::NearDuplicate)
    } else {
        (c, Reason::Containment)
    }
}

/// Neighbour lists (position, edge index), in position order.
struct Adjacency {
    start: Vec<u32>,
    items: Vec<(u32, u32)>,
}

impl Adjacency {
    fn of(&self, p: u32) -> &[(u32, u32)] {
        &self.items[self.start[p as usize] as usize..self.start[p as usize + 1] as usize]
    }
}

fn adjacency(n: usize, edges: &[Edge]) -> Adjacency {
    let mut items: Vec<(u32, u32, u32)> = Vec::with_capacity(edges.len() * 2);
    for (i, e) in edges.iter().enumerate() {
        items.push((e.a, e.b, i as u32));
        items.push((e.b, e.a, i as u32));
    }
    items.sort_unstable();
    let mut start = vec![0u32; n + 1];
    for &(p, _, _) in &items {
        start[p as usize + 1] += 1;
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    Adjacency {
        start,
        items: items.into_iter().map(|(_, v, e)| (v, e)).collect(),
    }
}

/// Union-find with path halving; the smaller root wins, so the result does not
/// depend on edge order.
pub struct UnionFind(Vec<u32>);

impl UnionFind {
    /// `n` singletons.
    pub fn new(n: usize) -> Self {
        UnionFind((0..n as u32).collect())
    }
    /// The root of `x`.
    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.0[x as usize] != x {
            let p = self.0[x as usize];
            self.0[x as usize] = self.0[p as usize];
            x = p;
        }
        x
    }
    /// Joins the sets of `a` and `b`.
    pub fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        match ra.cmp(&rb) {
            Ordering::Less => self.0[rb as usize] = ra,
            Ordering::Greater => self.0[ra as usize] = rb,
            Ordering::Equal => {}
        }
    }
}

/// The rank of each position in the survivor policy's order, then position
/// (id) order: the order of [`policy_key`]s, computed without them for the
/// policies whose order is a pair of integers (chrome removed, length).
fn policy_ranks<'a>(
    n: usize,
    m: &(impl Fn(u32) -> &'a Member + Sync),
    policy: &Survivor,
) -> Vec<u32> {
    let positions: Vec<u32> = match policy {
        Survivor::LeastChrome | Survivor::Longest => {
            let least_chrome = matches!(policy, Survivor::LeastChrome);
            // Fewer characters removed first, then more characters, then position;
            // the keys are gathered first so that the sort reads them in order.
            let mut keys: Vec<(u64, std::cmp::Reverse<u64>, u32)> = (0..n as u32)
                .into_par_iter()
                .map(|p| {
                    let x = m(p);
                    let chrome = if least_chrome { x.chrome } else { 0 };
                    (chrome, std::cmp::Reverse(x.sketch.chars), p)
                })
                .collect();
            keys.par_sort_unstable();
            keys.into_iter().map(|(_, _, p)| p).collect()
        }
        Survivor::Earliest(_) | Survivor::Highest(_) => {
            let mut keys: Vec<(Vec<u8>, u32)> = (0..n as u32)
                .into_par_iter()
                .map(|p| (policy_key(m(p), policy), p))
                .collect();
            keys.par_sort_unstable();
            keys.into_iter().map(|(_, p)| p).collect()
        }
    };
    let mut rank = vec![0u32; n];
    for (r, &p) in positions.iter().enumerate() {
        rank[p as usize] = r as u32;
    }
    rank
}

/// A byte string whose order is the survivor policy's order of documents, then
/// their ids' (the first is the survivor): engines that compare documents apart
/// from each other (the Spark driver) sort by it.
///
/// - `least-chrome`: fewer characters removed by cleaning, then longer key text;
/// - `longest`: longer key text;
/// - `earliest:F` / `highest:F`: the smaller (larger) value of field F (dates
///   first, then numbers, then other strings, each kind in the policy's order; a
///   record without F last), then longer key text.
pub fn policy_key(m: &Member, policy: &Survivor) -> Vec<u8> {
    let mut key = Vec::with_capacity(24 + m.id.len());
    match policy {
        Survivor::LeastChrome => key.extend_from_slice(&m.chrome.to_be_bytes()),
        Survivor::Longest => {}
        Survivor::Earliest(_) | Survivor::Highest(_) => {
            // The kind first, in either policy: dates, numbers, other strings, no
            // value. A string that is not a date never beats a date, even under
            // `highest`.
            key.push(match &m.rank {
                Some(RankValue::Time(_)) => 0,
                Some(RankValue::Num(_)) => 1,
                Some(RankValue::Str(_)) => 2,
                None => 3,
            });
            let start = key.len();
            match &m.rank {
                // Each value's bytes are prefix-free, so inverting them all
                // reverses the order (`highest`).
                Some(RankValue::Time(t)) => {
                    // Two's complement with the sign bit flipped: unsigned order.
                    key.extend_from_slice(&((*t as u64) ^ 1 << 63).to_be_bytes());
                }
                Some(RankValue::Num(x)) => {
                    let bits = x.to_bits();
                    // `f64::total_cmp`'s order as unsigned big-endian bytes.
                    let ordered = if bits >> 63 == 1 {
                        !bits
                    } else {
                        bits | 1 << 63
                    };
                    key.extend_from_slice(&ordered.to_be_bytes());
                }
                Some(RankValue::Str(s)) => {
                    for &byte in s.as_bytes() {
                        key.push(byte);
                        if byte == 0 {
                            key.push(0xFF);
                        }
                    }
                    key.extend_from_slice(&[0, 0]);
                }
                None => {}
            }
            if matches!(policy, Survivor::Highest(_)) {
                for byte in &mut key[start..] {
                    *byte = !*byte;
                }
            }
        }
    }
    key.extend_from_slice(&(u64::MAX - m.sketch.chars).to_be_bytes());
    key.extend_from_slice(m.id.as_bytes());
    key
}

/// The survivor-field value a [`policy_key`] under `policy` was made from:
/// `None` when the policy ranks no field or the bytes are no such key,
/// `Some(None)` for a record without a value. Engines that move only the keys
/// (the Spark driver) tally the field's values from them.
pub fn rank_of_policy_key(key: &[u8], policy: &Survivor) -> Option<Option<RankValue>> {
    if !matches!(policy, Survivor::Earliest(_) | Survivor::Highest(_)) {
        return None;
    }
    let (&kind, rest) = key.split_first()?;
    let flip = matches!(policy, Survivor::Highest(_));
    let byte = |i: usize| rest.get(i).map(|&b| if flip { !b } else { b });
    let word = || -> Option<u64> {
        let bytes: Vec<u8> = (0..8).map(byte).collect::<Option<_>>()?;
        Some(u64::from_be_bytes(bytes.try_into().ok()?))
    };
    Some(match kind {
        0 => Some(RankValue::Time((word()? ^ 1 << 63) as i64)),
        1 => {
            let ordered = word()?;
            let bits = if ordered >> 63 == 1 {
                ordered & !(1 << 63)
            } else {
                !ordered
            };
            Some(RankValue::Num(f64::from_bits(bits)))
        }
        2 => {
            // The bytes up to the unescaped `0, 0` (a NUL is `0, 0xFF`).
            let mut s = Vec::new();
            let mut i = 0;
            loop {
                match (byte(i)?, byte(i + 1)) {
                    (0, Some(0)) => break,
                    (0, Some(0xFF)) => {
                        s.push(0);
                        i += 2;
                    }
                    (0, _) => return None,
                    (b, _) => {
                        s.push(b);
                        i += 1;
                    }
                }
            }
            Some(RankValue::Str(String::from_utf8(s).ok()?))
        }
        3 => None,
        _ => return None,
    })
}

/// How far below a threshold a signature estimate must be for a pair to be
/// rejected without its exact check: four standard errors of a 128-bin estimate.
const PREFILTER_MARGIN: f64 = 0.2;

/// Checks a candidate pair. Returns the record for the audit, the link
/// (`Ok(reason)`: either may go; `Err(())`: only the contained one may go) and the
/// similarity that justified it.
#[allow(clippy::type_complexity)] // a private helper with one caller
fn verify(
    a: &Sketch,
    b: &Sketch,
    cfg: &DedupConfig,
) -> (PairCheck, Option<Result<Reason, ()>>, f64) {
    if !a.set.is_empty() && !b.set.is_empty() {
        // Most candidates are far from every threshold: the signature estimate
        // (error ±0.06 at 128 bins) settles them without intersecting the sets.
        let j = a.jaccard(b);
        let (c, _) = containment_from(j, a.shingles, b.shingles);
        if j < cfg.threshold - PREFILTER_MARGIN
            && (!cfg.containment || c < cfg.effective_containment_threshold() - PREFILTER_MARGIN)
        {
            let check = PairCheck {
                a: 0,
                b: 0,
                jaccard: j,
                containment: c,
                outcome: Err(Rejection::Dissimilar),
            };
            return (check, None, 0.0);
        }
    }
    let (small, large) = if a.shingles <= b.shingles {
        (a, b)
    } else {
        (b, a)
    };
    thread_local! {
        static OVERLAP: RefCell<Overlap> = RefCell::default();
    }
    OVERLAP.with_borrow_mut(|o| {
        // One pass gives the similarities and where the smaller text's missing
        // shingles sit (for the own-passage check).
        let (j, c, cover, own) = match small.overlap(large, o) {
            Some(inter) => {
                let (j, c, v) = set_ratios(inter, small.set.len(), large.set.len());
                (j, c, v, Some(&mut *o))
            }
            None => {
                let (j, c, v) = a.similarity(b);
                (j, c, v, None)
            }
        };
        decide(a, b, cfg, (j, c, cover), own)
    })
}

/// The decision on a pair given its similarities (and, with exact sets, the
/// smaller text's missing shingles).
#[allow(clippy::type_complexity)] // a private helper with one caller
fn decide(
    a: &Sketch,
    b: &Sketch,
    cfg: &DedupConfig,
    (j, c, cover): (f64, f64, f64),
    own: Option<&mut Overlap>,
) -> (PairCheck, Option<Result<Reason, ()>>, f64) {
    let mut check = PairCheck {
        a: 0,
        b: 0,
        jaccard: j,
        containment: c,
        outcome: Err(Rejection::Dissimilar),
    };
    if a.shingles == 0 || b.shingles == 0 {
        return (check, None, 0.0);
    }
    let (link, sim) = if j >= cfg.threshold {
        (Ok(Reason::NearDuplicate), j)
    } else if cfg.containment && c >= cfg.effective_containment_threshold() {
        let (small, min) = (a.shingles.min(b.shingles), cfg.effective_min_shingles());
        if small < min {
            // A short text counts only as a cut copy of the other: at least half the
            // minimum long, all but a few of its shingles inside it, covering
            // `min_coverage` of it; and only the short one may go. Templated
            // statements differ in a name or a number, so they stay apart.
            if small < min / 2 || c < WHOLE_COPY || cover < cfg.min_coverage {
                check.outcome = Err(Rejection::TooShort);
                return (check, None, 0.0);
            }
            (Err(()), c)
        } else if cover >= cfg.min_coverage {
            (Ok(Reason::Containment), c)
        } else {
            if !cfg.remove_contained {
                return (check, None, 0.0);
            }
            (Err(()), c)
        }
    } else {
        return (check, None, 0.0);
    };
    if cfg.check_numbers && a.numbers_conflict(b) {
        check.outcome = Err(Rejection::Numbers);
        return (check, None, 0.0);
    }
    if let (Some(o), Err(()) | Ok(Reason::Containment)) = (own, link)
        && cfg.max_own_passages < 1.0
    {
        let small = a.set.len().min(b.set.len()) as f64;
        let (own, missing) = o.own_passages(passage_run(cfg));
        if own as f64 >= cfg.max_own_passages * small && 2 * own >= missing {
            check.outcome = Err(Rejection::OwnPassages);
            return (check, None, 0.0);
        }
    }
    check.outcome = Ok(link.unwrap_or(Reason::Containment));
    (check, Some(link), sim)
}

/// The containment at which a text shorter than `DedupConfig::min_shingles` is a
/// whole copy of part of the other (a head or tail cut), not a template.
const WHOLE_COPY: f64 = 0.95;

/// A run of at least this many consecutive words absent from the other text is a
/// passage of its own, not an edit (`DedupConfig::max_own_passages`).
const PASSAGE_WORDS: usize = 12;

/// [`PASSAGE_WORDS`] in consecutive shingles of the configured unit and length.
fn passage_run(cfg: &DedupConfig) -> usize {
    let units = match cfg.shingle {
        Shingle::Words => PASSAGE_WORDS,
        Shingle::Chars => PASSAGE_WORDS * CHARS_PER_WORD,
    };
    units
        .saturating_sub(cfg.effective_ngram().saturating_sub(1))
        .max(1)
}

/// Bands whose keys are computed in one pass over the signatures, at most:
/// their columns of entries (8 bytes per representative each) are what such a
/// pass holds in memory.
const BANDS_PER_PASS: usize = 16;

/// Members whose band entries one task computes: each task fills a piece of
/// every band's column.
const MEMBERS_PER_TASK: usize = 4096;

/// LSH candidates among the representatives (`rep_pos[i]`: the id-order
/// position of input `i`, `u32::MAX` for others), as sorted, unique pairs of
/// positions.
///
/// Signatures are read in memory order (input order, the order they were
/// made in) rather than in id order, and each is read once for up to
/// [`BANDS_PER_PASS`] bands: band keys of 200,000 documents read in id order
/// cost a cache miss each, and a pass per band read every signature again.
fn candidate_pairs<M: Borrow<Member> + Sync>(
    members: &[M],
    rep_pos: &[u32],
    (bands, rows): (usize, usize),
) -> Vec<(u32, u32)> {
    let reps = rep_pos.iter().filter(|&&p| p != u32::MAX).count();
    let mut pairs: Vec<u64> = Vec::new();
    let per_pass = bands.div_ceil(bands.div_ceil(BANDS_PER_PASS).max(1)).max(1);
    for group in (0..bands).step_by(per_pass) {
        let group = group..(group + per_pass).min(bands);
        // Each task's pieces of the group's columns, in input order.
        let pieces: Vec<Vec<Vec<u64>>> = members
            .par_chunks(MEMBERS_PER_TASK)
            .zip(rep_pos.par_chunks(MEMBERS_PER_TASK))
            .map(|(ms, ps)| {
                let mut columns: Vec<Vec<u64>> = group
                    .clone()
                    .map(|_| Vec::with_capacity(ms.len()))
                    .collect();
                for (i, (m, &p)) in ms.iter().zip(ps).enumerate() {
                    // Signatures are scattered on the heap: the rows of the
                    // members ahead are fetched early.
                    if let Some(ahead) = ms.get(i + AHEAD) {
                        let sig = &ahead.borrow().sketch.sig;
                        prefetch(sig.as_ptr().wrapping_add(group.start * rows));
                    }
                    let m: &Member = m.borrow();
                    if p == u32::MAX || m.sketch.shingles == 0 {
                        continue;
                    }
                    for (column, band) in columns.iter_mut().zip(group.clone()) {
                        column.push(band_entry(&m.sketch.sig[band * rows..(band + 1) * rows], p));
                    }
                }
                columns
            })
            .collect();
        // Pairs packed in one u64 (smaller position high): sorting them is cheaper.
        let found: Vec<u64> = (0..group.len())
            .into_par_iter()
            .flat_map_iter(|b| {
                let mut keys: Vec<u64> = Vec::with_capacity(reps);
                for piece in &pieces {
                    keys.extend_from_slice(&piece[b]);
                }
                keys.sort_unstable();
                bucket_pairs(&keys).into_iter().map(pack)
            })
            .collect();
        pairs.extend(found);
    }
    pairs.par_sort_unstable();
    pairs.dedup();
    pairs.into_iter().map(unpack).collect()
}

/// Two u32 in one u64, the first high: pairs and (key, position) entries sort
/// as plain integers.
fn pack((a, b): (u32, u32)) -> u64 {
    (a as u64) << 32 | b as u64
}

fn unpack(x: u64) -> (u32, u32) {
    ((x >> 32) as u32, x as u32)
}

/// The union of two sorted, duplicate-free lists, sorted and duplicate-free.
fn union_sorted(a: Vec<(u32, u32)>, b: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut k) = (0, 0);
    while i < a.len() && k < b.len() {
        match a[i].cmp(&b[k]) {
            Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            Ordering::Greater => {
                out.push(b[k]);
                k += 1;
            }
            Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                k += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[k..]);
    out
}

/// An anchor shared by more documents than this is site chrome or a formula, not
/// evidence of copying: it makes no candidates.
const MAX_ANCHOR_DF: usize = 32;

/// Whether an anchor shared by `df` documents makes candidates among them.
pub(super) fn anchor_makes_pairs(df: usize) -> bool {
    (2..=MAX_ANCHOR_DF).contains(&df)
}

/// Anchors two documents must share (among those that make pairs) to become a
/// containment candidate.
pub const SHARED_ANCHORS: usize = 2;

/// Containment candidates: pairs of representatives (`rep_pos` as in
/// [`candidate_pairs`]) sharing at least two anchors, whose sizes `sizes` allows.
fn anchor_pairs<M: Borrow<Member> + Sync>(
    members: &[M],
    rep_pos: &[u32],
    sizes: &SizeBound,
) -> Vec<(u32, u32)> {
    // (anchor, position) and then pairs packed in one u64, as in `candidate_pairs`.
    let mut entries: Vec<u64> = members
        .par_iter()
        .zip(rep_pos)
        .filter(|(_, p)| **p != u32::MAX)
        .flat_map_iter(|(m, &p)| {
            let m: &Member = m.borrow();
            m.sketch.anchors.iter().map(move |&a| pack((a, p)))
        })
        .collect();
    entries.par_sort_unstable();
    let mut pairs: Vec<u64> = entries
        .par_chunk_by(|&a, &b| unpack(a).0 == unpack(b).0)
        .filter(|run| anchor_makes_pairs(run.len()))
        .flat_map_iter(|run| {
            run.iter().enumerate().flat_map(move |(i, &a)| {
                run[i + 1..]
                    .iter()
                    .map(move |&b| (unpack(a).1, unpack(b).1))
                    .filter(move |&(x, y)| sizes.allows(x, y))
                    .map(pack)
            })
        })
        .collect();
    pairs.par_sort_unstable();
    pairs
        .chunk_by(|a, b| a == b)
        .filter(|run| run.len() >= SHARED_ANCHORS)
        .map(|run| unpack(run[0]))
        .collect()
}

/// The least ratio of the smaller shingle set to the larger at which verification
/// can join a pair: Jaccard ≥ `threshold` needs at least that ratio, and every
/// containment link needs the smaller text to cover `min_coverage` of the larger
/// (unless `remove_contained`, which joins any ratio). Estimated verification
/// (`exact_verify` off) decides on noisy estimates: no bound then.
pub(super) fn min_size_ratio(cfg: &DedupConfig) -> f64 {
    if !cfg.exact_verify || (cfg.containment && cfg.remove_contained) {
        0.0
    } else if cfg.containment {
        cfg.min_coverage.min(cfg.threshold)
    } else {
        cfg.threshold
    }
}

/// The representatives' shingle counts by position, and [`min_size_ratio`]: which
/// pairs verification could join at all.
struct SizeBound {
    sizes: Vec<u32>,
    ratio: f64,
}

impl SizeBound {
    fn new<M: Borrow<Member>>(members: &[M], rep_pos: &[u32], cfg: &DedupConfig) -> Self {
        let mut sizes = vec![0u32; members.len()];
        for (m, &p) in members.iter().zip(rep_pos) {
            if p != u32::MAX {
                sizes[p as usize] = m.borrow().sketch.shingles;
            }
        }
        SizeBound {
            sizes,
            ratio: min_size_ratio(cfg),
        }
    }

    /// Whether the sizes of the representatives at positions `a` and `b` allow a link.
    fn allows(&self, a: u32, b: u32) -> bool {
        sizes_allow(self.sizes[a as usize], self.sizes[b as usize], self.ratio)
    }
}

/// Whether texts of `x` and `y` shingles are within `ratio` ([`min_size_ratio`]).
pub(super) fn sizes_allow(x: u32, y: u32, ratio: f64) -> bool {
    x.min(y) as f64 >= ratio * x.max(y) as f64
}

/// The LSH bucket entry of one band of a signature (`rows`) for the document at
/// position `pos`: a 32-bit hash of the band above the position, so that entries
/// sort as plain integers (half the bytes of a 64-bit key and a position). A
/// collision only adds a candidate, which verification then rejects.
pub fn band_entry(rows: &[u32], pos: u32) -> u64 {
    let mut h = 0x9E37_79B9_7F4A_7C15u64 ^ rows.len() as u64;
    for &v in rows {
        h = (h ^ v as u64).wrapping_mul(0xFF51_AFD7_ED55_8CCD);
        h ^= h >> 29;
    }
    pack(((h >> 32) as u32, pos))
}

/// Pairs of positions from sorted [`band_entry`] values: all pairs in a small
/// bucket, the first member with each other one in a large bucket (whose
/// members are near copies of each other anyway), so a bucket never costs
/// quadratic work.
pub fn bucket_pairs(keys: &[u64]) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    let pos = |x: &u64| unpack(*x).1;
    for run in keys.chunk_by(|&a, &b| unpack(a).0 == unpack(b).0) {
        if run.len() <= 8 {
            for (i, a) in run.iter().enumerate() {
                for b in &run[i + 1..] {
                    out.push((pos(a), pos(b)));
                }
            }
        } else {
            for b in &run[1..] {
                out.push((pos(&run[0]), pos(b)));
            }
        }
    }
    out
}

/// The LSH bands and rows a configuration uses: as set, or chosen from the
/// threshold by [`lsh_params`].
pub fn lsh_bands(cfg: &DedupConfig) -> (usize, usize) {
    if let (Some(b), Some(r)) = (cfg.bands, cfg.rows) {
        return (b, r);
    }
    // With containment on, band for the Jaccard of a pair at the containment
    // threshold and the minimum coverage, so that such pairs become candidates.
    let t = if cfg.containment {
        let (c, v) = (cfg.effective_containment_threshold(), cfg.min_coverage);
        cfg.threshold.min(c * v / (c + v - c * v))
    } else {
        cfg.threshold
    };
    lsh_params(t, cfg.num_perm)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::Sketcher;

    fn member(id: usize, chrome: u64, chars: u64) -> Member {
        Member {
            // Zero-padded: position order is id order, as in `cluster_report`.
            id: format!("d{id:04}"),
            sketch: Sketch {
                exact: id as u128,
                chars,
                ..Sketch::default()
            },
            chrome,
            rank: None,
        }
    }

    /// The survivor policies as `DedupConfig` documents them, written out plainly
    /// (then the smaller id).
    fn policy_order(a: &Member, b: &Member, policy: &Survivor) -> Ordering {
        let longest = b.sketch.chars.cmp(&a.sketch.chars);
        let by_field = |highest: bool| match (&a.rank, &b.rank) {
            (Some(x), Some(y)) => {
                // Dates, then numbers, then other strings.
                let kind = |v: &RankValue| match v {
                    RankValue::Time(_) => 0,
                    RankValue::Num(_) => 1,
                    RankValue::Str(_) => 2,
                };
                let o = match (x, y) {
                    (RankValue::Time(x), RankValue::Time(y)) => x.cmp(y),
                    (RankValue::Num(x), RankValue::Num(y)) => x.total_cmp(y),
                    (RankValue::Str(x), RankValue::Str(y)) => x.cmp(y),
                    _ => Ordering::Equal,
                };
                let o = if highest { o.reverse() } else { o };
                kind(x).cmp(&kind(y)).then(o)
            }
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        match policy {
            Survivor::LeastChrome => a.chrome.cmp(&b.chrome).then(longest),
            Survivor::Longest => longest,
            Survivor::Earliest(_) => by_field(false).then(longest),
            Survivor::Highest(_) => by_field(true).then(longest),
        }
        .then(a.id.cmp(&b.id))
    }

    /// Policy keys and the precomputed ranks order documents exactly as the
    /// policies say, ties (equal chrome, length or value) included: dates (before
    /// 1970 too), numbers (negative, zero of both signs, infinite), strings with
    /// NUL and 0xFF-free prefixes of each other, missing values.
    #[test]
    fn policy_keys_and_ranks_follow_the_policy() {
        let mut state = 7u64;
        let mut next = |k: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % k
        };
        let nums = [
            -1.5,
            -0.0,
            0.0,
            2.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e-300,
        ];
        let strs = ["", "a", "a\0", "a\0b", "a\u{1}", "ab", "2024-01-0", "٢٠٢٤"];
        let times = [i64::MIN, -1, 0, 1, 1_525_752_059_000, i64::MAX];
        let members: Vec<Member> = (0..240)
            .map(|i| {
                let mut m = member(i, next(4), next(6));
                m.rank = match next(4) {
                    0 => Some(RankValue::Num(nums[next(nums.len() as u64) as usize])),
                    3 => Some(RankValue::Time(times[next(times.len() as u64) as usize])),
                    1 => Some(RankValue::Str(
                        strs[next(strs.len() as u64) as usize].into(),
                    )),
                    _ => None,
                };
                m
            })
            .collect();
        let m = |p: u32| &members[p as usize];
        for policy in [
            Survivor::LeastChrome,
            Survivor::Longest,
            Survivor::Earliest("date".into()),
            Survivor::Highest("priority".into()),
        ] {
            let rank = policy_ranks(members.len(), &m, &policy);
            let keys: Vec<Vec<u8>> = members.iter().map(|x| policy_key(x, &policy)).collect();
            for a in 0..members.len() {
                for b in 0..members.len() {
                    let want = policy_order(&members[a], &members[b], &policy);
                    assert_eq!(rank[a].cmp(&rank[b]), want, "{policy} ranks {a} {b}");
                    assert_eq!(keys[a].cmp(&keys[b]), want, "{policy} keys {a} {b}");
                }
                // The key gives back the value it was made from.
                let back = rank_of_policy_key(&keys[a], &policy);
                match &policy {
                    Survivor::Earliest(_) | Survivor::Highest(_) => {
                        let same = match (back.as_ref().unwrap(), &members[a].rank) {
                            (Some(RankValue::Num(x)), Some(RankValue::Num(y))) => {
                                x.to_bits() == y.to_bits()
                            }
                            (x, y) => x == y,
                        };
                        assert!(same, "{policy} value {a}: {back:?}");
                    }
                    _ => assert_eq!(back, None),
                }
            }
        }
    }

    proptest::proptest! {
        /// No pair whose sizes are under `min_size_ratio` is ever joined, so
        /// leaving such pairs out of the candidates changes no decision.
        #[test]
        fn pairs_under_the_size_ratio_never_join(
            // A shared run of words, each text with words of its own around it.
            shared in 0usize..400,
            own_a in 0usize..400,
            own_b in 0usize..400,
            cut in 0usize..3,
            remove_contained in proptest::bool::ANY,
            chars in proptest::bool::ANY,
        ) {
            let words = |n: usize, tag: &str| -> Vec<String> {
                (0..n).map(|i| format!("{tag}{i}")).collect()
            };
            let common = words(shared, "w");
            let before = own_a / (cut + 1);
            let a = [words(before, "a"), common.clone(), words(own_a - before, "x")].concat();
            let b = [common, words(own_b, "b")].concat();
            let cfg = DedupConfig {
                remove_contained,
                shingle: if chars { Shingle::Chars } else { Shingle::Words },
                ..DedupConfig::default()
            };
            let s = Sketcher::new(&cfg).unwrap();
            let (sa, sb) = (s.sketch_local(&a.join(" ")), s.sketch_local(&b.join(" ")));
            let (check, link, _) = verify(&sa, &sb, &cfg);
            let (x, y) = (sa.shingles.min(sb.shingles), sa.shingles.max(sb.shingles));
            if (x as f64) < min_size_ratio(&cfg) * y as f64 {
                proptest::prop_assert!(link.is_none(), "{check:?}");
            }
        }
    }
}

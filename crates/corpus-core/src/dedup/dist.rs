//! The clustering of [`cluster_report`](super::cluster_report) cut into stages
//! that an engine can run on parts of a corpus at a time (the Python package's
//! Spark driver, `ghirbal.spark`): analysis per document, exact units, LSH and
//! anchor candidates per bucket, verification per pair, assignment on the
//! verified pairs alone, verdicts per document. Each stage calls the functions
//! the local engine calls, so on the same documents the verdicts are the same.
//!
//! The engine only moves documents between stages: it groups by the keys given
//! here (exact key, band key, anchor, cluster root) and sorts within a group by
//! id, but never decides anything itself.

use std::cmp::Ordering;

use super::cluster::{
    Edge, Link, anchor_makes_pairs, check_pair, component_link, component_survivors,
    min_size_ratio, settle, sizes_allow, star,
};
use super::{ClusterMode, DedupConfig, Member, PairCheck, Reason};
use super::{band_entry, bucket_pairs, lsh_bands, policy_key};
use crate::codec::{Bytes, put_bytes, put_rank, put_sketch};
use crate::{Config, Error, Result};

pub use super::cluster::{SHARED_ANCHORS, outcome};

/// Format of [`Stages::encode`]'s bytes.
const FORMAT: u8 = 1;

/// How a verified pair may merge (`a` is the one with the smaller id).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Joined {
    /// Either may be removed for the other, for this reason.
    Both(Reason),
    /// Only `a` (contained in `b`) may be removed.
    OnlyA,
    /// Only `b` may be removed.
    OnlyB,
}

/// A verified pair that joins.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Join {
    /// Which of the two may go.
    pub link: Joined,
    /// The similarity that justified it (Jaccard, or containment).
    pub sim: f64,
    /// Jaccard similarity: ranks the representatives a document could join.
    pub jaccard: f64,
}

/// Where a representative went (an index; itself when it stays) and, when
/// known, the similarity and reason (see [`Stages::assign`]).
pub type Went = (usize, Option<(f64, Reason)>);

/// The stages for one configuration.
#[derive(Clone, Debug)]
pub struct Stages {
    cfg: DedupConfig,
    /// Of the whole configuration: members encoded under another one are refused.
    fingerprint: u64,
    size_ratio: f64,
    lsh: (usize, usize),
}

impl Stages {
    /// The stages for `cfg`. Under `clean.boilerplate.in_dedup`, the engine
    /// counts the corpus' lines first and gives the analysis the model
    /// ([`crate::clean::BoilerplateModel::from_counts`],
    /// [`crate::pipeline::Analyzer::learn_boilerplate`]).
    ///
    /// # Errors
    /// [`Error::Config`] for an invalid configuration.
    pub fn new(cfg: &Config) -> Result<Self> {
        cfg.validate()?;
        let fingerprint = u64::from_str_radix(&crate::checkpoint::config_fingerprint(cfg), 16)
            .map_err(|e| Error::Invariant(format!("config fingerprint: {e}")))?;
        Ok(Stages {
            cfg: cfg.dedup.clone(),
            fingerprint,
            size_ratio: min_size_ratio(&cfg.dedup),
            lsh: lsh_bands(&cfg.dedup),
        })
    }

    /// A member as bytes, for [`Stages::decode`] under the same configuration:
    /// a header, then the id, sketch, chrome and survivor value in the encoding
    /// checkpoint shards use (the crate's `codec` module).
    pub fn encode(&self, m: &Member) -> Vec<u8> {
        let s = &m.sketch;
        let lists = s.sig.len() + s.numbers.len() + s.anchors.len() + s.set.len();
        let mut out = Vec::with_capacity(64 + m.id.len() + 4 * lists + 2 * s.pos.len());
        out.push(FORMAT);
        out.extend_from_slice(&self.fingerprint.to_le_bytes());
        put_bytes(&mut out, m.id.as_bytes());
        put_sketch(&mut out, s);
        out.extend_from_slice(&m.chrome.to_le_bytes());
        put_rank(&mut out, m.rank.as_ref());
        out
    }

    /// The member [`Stages::encode`] wrote.
    ///
    /// # Errors
    /// [`Error::Invariant`] for bytes that are not a member encoded under this
    /// configuration.
    pub fn decode(&self, bytes: &[u8]) -> Result<Member> {
        let mut r = Bytes(bytes);
        if r.u8() != Some(FORMAT) || r.u64() != Some(self.fingerprint) {
            return Err(Error::Invariant(
                "a member encoded by another version or configuration".into(),
            ));
        }
        let member = (|| {
            Some(Member {
                id: r.string()?,
                sketch: r.sketch()?,
                chrome: r.u64()?,
                rank: r.rank()?,
            })
        })();
        match member {
            Some(m) if r.0.is_empty() => Ok(m),
            _ => Err(Error::Invariant(
                "member bytes cut short or malformed".into(),
            )),
        }
    }

    /// LSH bands and rows, as `audit.json` gives them: none for exact dedup
    /// alone.
    pub fn lsh(&self) -> Option<(usize, usize)> {
        (!self.cfg.exact_only).then_some(self.lsh)
    }

    /// The member's survivor-policy key ([`policy_key`]): the smallest key in a
    /// group is the policy's choice.
    pub fn policy_key(&self, m: &Member) -> Vec<u8> {
        policy_key(m, &self.cfg.survivor)
    }

    /// The LSH buckets of a representative (the survivor of its exact unit): one
    /// key per band, the band's number in the high 32 bits. None for an empty text
    /// or `exact_only`.
    pub fn band_keys(&self, m: &Member) -> Vec<u64> {
        if self.cfg.exact_only || m.sketch.shingles == 0 {
            return Vec::new();
        }
        let (bands, rows) = self.lsh;
        (0..bands)
            .map(|b| {
                let entry = band_entry(&m.sketch.sig[b * rows..(b + 1) * rows], 0);
                (b as u64) << 32 | entry >> 32
            })
            .collect()
    }

    /// The anchors of a representative (none without containment).
    pub fn anchors<'m>(&self, m: &'m Member) -> &'m [u32] {
        if self.cfg.exact_only || !self.cfg.containment {
            return &[];
        }
        &m.sketch.anchors
    }

    /// Candidate pairs among the members of one LSH bucket, given as (id,
    /// shingle count): indices into `bucket`, the smaller id first.
    pub fn bucket_pairs(&self, bucket: &[(&str, u32)]) -> Vec<(usize, usize)> {
        let by_id = sorted_by_id(bucket);
        let keys: Vec<u64> = (0..by_id.len() as u64).collect();
        bucket_pairs(&keys)
            .into_iter()
            .map(|(x, y)| (by_id[x as usize], by_id[y as usize]))
            .filter(|&(x, y)| sizes_allow(bucket[x].1, bucket[y].1, self.size_ratio))
            .collect()
    }

    /// Pairs among the members of one anchor's group (as in
    /// [`Stages::bucket_pairs`]); a pair that comes out of [`SHARED_ANCHORS`]
    /// groups or more is a candidate.
    pub fn anchor_pairs(&self, group: &[(&str, u32)]) -> Vec<(usize, usize)> {
        if !anchor_makes_pairs(group.len()) {
            return Vec::new();
        }
        let by_id = sorted_by_id(group);
        let mut out = Vec::new();
        for (i, &x) in by_id.iter().enumerate() {
            for &y in &by_id[i + 1..] {
                if sizes_allow(group[x].1, group[y].1, self.size_ratio) {
                    out.push((x, y));
                }
            }
        }
        out
    }

    /// Verifies a candidate pair; `a` must have the smaller id. The check for the
    /// audit (its positions are 0 and 1) and how the pair joins, if it does.
    ///
    /// # Errors
    /// [`Error::Invariant`] when `a`'s id is not the smaller one.
    pub fn check(&self, a: &Member, b: &Member) -> Result<(PairCheck, Option<Join>)> {
        if a.id >= b.id {
            return Err(Error::Invariant(format!(
                "pair ({:?}, {:?}) out of order",
                a.id, b.id
            )));
        }
        let (check, edge) = check_pair((0, &a.sketch), (1, &b.sketch), &self.cfg);
        let joined = edge.map(|e| {
            let link = match e.link {
                Link::Both(r) => Joined::Both(r),
                Link::Only(0) => Joined::OnlyA,
                Link::Only(_) => Joined::OnlyB,
            };
            Join {
                link,
                sim: e.sim,
                jaccard: e.jaccard,
            }
        });
        Ok((check, joined))
    }

    /// Assignment on the verified pairs (star, or connected components):
    /// `keys` are the policy keys of the representatives in some pair (in any
    /// order), `pairs` index them, `a` with the smaller id. Representatives in no
    /// pair stay as they are, and neither mode reaches past a pair, so the
    /// pairs of one connected component are enough. Returns per representative
    /// where it went and, when known, the similarity and reason (`None` in
    /// components mode: [`Stages::component_link`] of the two members gives
    /// them); itself with `Unique` when it stays.
    ///
    /// # Errors
    /// [`Error::Invariant`] for an index out of range.
    pub fn assign(&self, keys: &[Vec<u8>], pairs: &[(usize, usize, Join)]) -> Result<Vec<Went>> {
        let n = keys.len();
        let mut edges = Vec::with_capacity(pairs.len());
        for &(a, b, Join { link, sim, jaccard }) in pairs {
            if a >= n || b >= n {
                return Err(Error::Invariant(format!(
                    "pair ({a}, {b}) of {n} documents"
                )));
            }
            let (a, b) = (a as u32, b as u32);
            let link = match link {
                Joined::Both(r) => Link::Both(r),
                Joined::OnlyA => Link::Only(a),
                Joined::OnlyB => Link::Only(b),
            };
            edges.push(Edge {
                a,
                b,
                sim,
                jaccard,
                link,
            });
        }
        // Ties in the policy key cannot happen: it ends with the id.
        let by_policy = |a: u32, b: u32| -> Ordering { keys[a as usize].cmp(&keys[b as usize]) };
        let everyone: Vec<u32> = (0..n as u32).collect();
        if self.cfg.mode == ClusterMode::Components {
            let mut went: Vec<Went> = (0..n).map(|p| (p, Some((1.0, Reason::Unique)))).collect();
            for (p, surv) in component_survivors(&everyone, &edges, &by_policy, n) {
                went[p as usize] = (surv as usize, None);
            }
            return Ok(went);
        }
        let mut parent: Vec<(u32, f64, Reason)> =
            (0..n as u32).map(|p| (p, 1.0, Reason::Unique)).collect();
        star(&everyone, &edges, &by_policy, &mut parent);
        Ok(parent
            .into_iter()
            .map(|(p, sim, reason)| (p as usize, Some((sim, reason))))
            .collect())
    }

    /// In components mode, the similarity of a member to its component's
    /// survivor and the reason it goes.
    pub fn component_link(&self, member: &Member, survivor: &Member) -> (f64, Reason) {
        component_link(&member.sketch, &survivor.sketch, &self.cfg)
    }

    /// Where a document ends (the local engine's rule): `is_champion` when it is its exact
    /// unit's representative, `champion_went` where that one went (`None`: it
    /// stays). Returns the root (0: the document, 1: its champion, 2: where the
    /// champion went), the similarity and the reason.
    pub fn settle(
        &self,
        is_champion: bool,
        champion_went: Option<(f64, Reason)>,
    ) -> (u32, f64, Reason) {
        let c = if is_champion { 0 } else { 1 };
        let went = match champion_went {
            Some((sim, reason)) => (2, sim, reason),
            None => (c, 1.0, Reason::Unique),
        };
        settle(0, c, went)
    }
}

/// Indices of `items` in id order.
fn sorted_by_id(items: &[(&str, u32)]) -> Vec<usize> {
    let mut by_id: Vec<usize> = (0..items.len()).collect();
    by_id.sort_unstable_by(|&x, &y| items[x].0.cmp(items[y].0));
    by_id
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Document;
    use crate::pipeline::Analyzer;

    /// Members of the seed articles, with a rank value and chrome, under `cfg`.
    fn members(cfg: &Config) -> Vec<Member> {
        let analyzer = Analyzer::new(cfg).unwrap();
        crate::seed_texts()
            .into_iter()
            .enumerate()
            .map(|(i, text)| {
                let raw = serde_json::json!({"id": format!("s{i}"), "text": text, "date": i as f64 - 1.5});
                let doc = Document {
                    id: format!("s{i}"),
                    text,
                    origin: crate::Origin {
                        path: std::path::Path::new("seeds").into(),
                        line: i as u64 + 1,
                    },
                    raw: Some(raw.to_string()),
                };
                analyzer.member(&doc)
            })
            .collect()
    }

    /// Encoding keeps every field, under each shingle unit, signature scheme and
    /// survivor field; bytes of another configuration, cut short or with a byte
    /// too many are refused.
    #[test]
    fn members_come_back_as_they_went() {
        for overrides in [
            serde_json::json!({}),
            serde_json::json!({"dedup": {"shingle": "chars", "survivor": "earliest:date"}}),
            serde_json::json!({"dedup": {"signature": "permutations", "exact_verify": false}}),
        ] {
            let cfg = Config::default().with_overrides(overrides.clone()).unwrap();
            let stages = Stages::new(&cfg).unwrap();
            for m in members(&cfg) {
                let bytes = stages.encode(&m);
                let back = stages.decode(&bytes).unwrap();
                assert_eq!(back.id, m.id);
                assert_eq!(
                    (back.chrome, &back.rank),
                    (m.chrome, &m.rank),
                    "{overrides}"
                );
                assert_eq!(back.sketch, m.sketch);
                assert!(stages.decode(&bytes[..bytes.len() - 1]).is_err());
                assert!(stages.decode(&[bytes.as_slice(), &[0]].concat()).is_err());
            }
        }
        let cfg = Config::default();
        let m = &members(&cfg)[0];
        let bytes = Stages::new(&cfg).unwrap().encode(m);
        let other = cfg
            .with_overrides(serde_json::json!({"dedup": {"ngram": 4}}))
            .unwrap();
        assert!(Stages::new(&other).unwrap().decode(&bytes).is_err());
    }

    /// A pair given the wrong way round is an error, not a wrong link.
    #[test]
    fn pairs_come_smaller_id_first() {
        let cfg = Config::default();
        let stages = Stages::new(&cfg).unwrap();
        let ms = members(&cfg);
        assert!(stages.check(&ms[0], &ms[1]).is_ok());
        assert!(stages.check(&ms[1], &ms[0]).is_err());
    }
}

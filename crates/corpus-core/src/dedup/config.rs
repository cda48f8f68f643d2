use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Which member of a duplicate cluster is kept.
///
/// Every policy breaks its last ties by the smallest id (byte order), so the
/// survivor never depends on input order or thread count.
///
/// In a TOML file, JSON or Python options it is written as on the command line:
/// `"least-chrome"`, `"longest"`, `"earliest:date"`, `"highest:priority"`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Survivor {
    /// The member from which cleaning removed the fewest characters (page chrome,
    /// comments, embeds), then the longest, then the smallest id. Default.
    #[default]
    LeastChrome,
    /// The longest member (in characters of its key text), then the smallest id.
    Longest,
    /// The smallest value of a record field (e.g. `earliest:date`): dates as the
    /// instants they name ([`crate::dedup::RankValue::of_str`]), then numbers, then
    /// other strings; records without it lose. Then the longest, then the
    /// smallest id.
    Earliest(String),
    /// The largest value of a record field (e.g. `highest:priority`), kinds in the
    /// same order as for [`Survivor::Earliest`]. Then the longest, then the
    /// smallest id.
    Highest(String),
}

impl fmt::Display for Survivor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Survivor::LeastChrome => f.write_str("least-chrome"),
            Survivor::Longest => f.write_str("longest"),
            Survivor::Earliest(k) => write!(f, "earliest:{k}"),
            Survivor::Highest(k) => write!(f, "highest:{k}"),
        }
    }
}

impl From<Survivor> for String {
    fn from(s: Survivor) -> String {
        s.to_string()
    }
}

impl TryFrom<String> for Survivor {
    /// The reason alone: serde's error around it is made a configuration
    /// error once, by whoever reads the configuration.
    type Error = String;
    fn try_from(s: String) -> std::result::Result<Self, String> {
        s.parse().map_err(|e| match e {
            Error::Config(reason) => reason,
            e => e.to_string(),
        })
    }
}

impl FromStr for Survivor {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.split_once(':') {
            None if s == "least-chrome" => Ok(Survivor::LeastChrome),
            None if s == "longest" => Ok(Survivor::Longest),
            Some(("earliest", f)) if !f.is_empty() => Ok(Survivor::Earliest(f.into())),
            Some(("highest", f)) if !f.is_empty() => Ok(Survivor::Highest(f.into())),
            _ => Err(Error::Config(format!(
                "unknown survivor policy {s:?} (least-chrome, longest, earliest:FIELD, highest:FIELD)"
            ))),
        }
    }
}

/// How verified pairs form clusters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClusterMode {
    /// Default. Documents in survivor-policy order; each one not yet taken keeps
    /// itself and takes every document verified similar to it; each removed
    /// document then joins the kept one it is most similar to (Jaccard). Every
    /// removed document is similar to the one kept in its place: clusters cannot
    /// chain.
    #[default]
    Star,
    /// Connected components of the verified pairs (what most peers do). Chains
    /// A~B~C can join dissimilar A and C; `audit.json` reports each cluster's
    /// minimum similarity to its survivor.
    Components,
}

impl FromStr for ClusterMode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "star" => Ok(ClusterMode::Star),
            "components" => Ok(ClusterMode::Components),
            _ => Err(Error::Config(format!(
                "unknown cluster mode {s:?} (star or components)"
            ))),
        }
    }
}

/// How signatures are computed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Signature {
    /// Default. One-permutation hashing with optimal densification: one hash per
    /// shingle, `num_perm` bins. As accurate as k permutations on news-length texts
    /// (see `eval_pairs`) at a fraction of the cost.
    #[default]
    OnePermutation,
    /// Classic MinHash: `num_perm` permutations (32-bit multiply-add, vectorized
    /// and chosen at run time for AVX-512, AVX2 or SSE4.1).
    Permutations,
}

/// What a shingle is made of.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shingle {
    /// Default. `ngram` consecutive word tokens of the key text (3 by default).
    #[default]
    Words,
    /// `ngram` consecutive characters of the key text's tokens joined by single
    /// spaces (6 by default): robust to words split or joined differently, and to
    /// misspellings and inflections, at the cost of more shingles per text.
    Chars,
}

/// Key-text characters per word token, spaces included (5.3 on `arabic_news`):
/// turns the word-counted defaults into characters for [`Shingle::Chars`].
pub(crate) const CHARS_PER_WORD: usize = 5;

/// Near-duplicate settings.
///
/// Two documents are compared only when LSH makes them a candidate pair; the pair
/// is then verified, on the exact shingle sets by default (`exact_verify`), before
/// anything is merged:
/// - **near-duplicate** when the Jaccard similarity of their shingle
///   sets is at least `threshold`;
/// - **containment** when at least `containment_threshold` of the smaller text's
///   shingles are in the larger one and the smaller has at least `min_shingles`
///   shingles (short template texts share most of their words by construction).
///   The pair merges when the smaller also covers at least `min_coverage` of the
///   larger, and the survivor policy picks which one goes. A contained text that
///   covers less of its container (a short wire item quoted in a long round-up)
///   merges only with `remove_contained`, and then only the contained one may go:
///   a container is never removed for a text that covers less than
///   `min_coverage` of it; and never when the smaller text also carries passages
///   of its own (`max_own_passages`): two texts sharing a paragraph. A smaller
///   text under `min_shingles` (but at least half of it) counts only as a cut
///   copy: at least 0.95 of it inside the larger, covering `min_coverage` of it,
///   and then only it may go (a head or tail cut goes; templated short statements,
///   which differ in a name or a number, stay);
/// - never when each text carries numbers the other lacks (`check_numbers`):
///   weather bulletins of two days, tolls of two attacks.
///
/// In the default star mode a document is removed only in favour of a document it
/// was verified against.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DedupConfig {
    /// Jaccard similarity at or above which two documents are
    /// near-duplicates (default 0.8).
    pub threshold: f64,
    /// What a shingle is made of (default `words`).
    pub shingle: Shingle,
    /// Words per shingle (3 when unset: edited reprints keep far more 3-grams than
    /// 5-grams; measured in `eval_pairs`), or characters with `shingle = "chars"`
    /// (6 when unset). See [`DedupConfig::effective_ngram`].
    pub ngram: Option<usize>,
    /// MinHash permutations, or bins in one-permutation hashing (default 128).
    pub num_perm: usize,
    /// How signatures are computed (default `one-permutation`).
    pub signature: Signature,
    /// LSH bands; chosen from the threshold when unset.
    pub bands: Option<usize>,
    /// LSH rows per band; chosen from the threshold when unset.
    pub rows: Option<usize>,
    /// Seed of the shingle hash and the permutations (default 0). Fixed for a key
    /// version: outputs are comparable across runs only with the same seed.
    pub seed: u64,
    /// Also treat a text mostly contained in another one as a duplicate (default true).
    pub containment: bool,
    /// Share of the smaller document's shingles found in the larger one at or
    /// above which it is contained (when unset: 0.6 with word shingles, 0.75 with
    /// character shingles, whose containment between different texts is inflated
    /// by the substrings of shared words; measured in `eval_pairs`). See
    /// [`DedupConfig::effective_containment_threshold`].
    pub containment_threshold: Option<f64>,
    /// A containment pair is merged only when the smaller document covers at least
    /// this share of the larger one (default 0.5), so that a short item quoted in a
    /// long round-up does not cost us the round-up.
    pub min_coverage: f64,
    /// Survivor policy (default `least-chrome`).
    pub survivor: Survivor,
    /// Only exact duplicates (skip MinHash). Default false.
    pub exact_only: bool,
    /// How verified pairs form clusters (default `star`).
    pub mode: ClusterMode,
    /// Containment counts only when the smaller text has at least this many
    /// shingles (when unset: 60 word shingles, or 300 character shingles, about
    /// 60 words either way), or at least half as many for a cut copy (see above).
    /// See [`DedupConfig::effective_min_shingles`].
    pub min_shingles: Option<u32>,
    /// Refuse a pair when each text carries numbers the other lacks (default true).
    pub check_numbers: bool,
    /// Also remove a contained text that covers less than `min_coverage` of its
    /// container (the container always stays). Default false: on every labelled
    /// set it merged more wrong pairs than right ones (texts sharing one long
    /// paragraph, an agency story inside a round-up; see `eval_pairs`).
    pub remove_contained: bool,
    /// Verify candidate pairs on the exact shingle sets (32-bit shingle hashes)
    /// instead of the MinHash estimates (default true). The estimate of a
    /// containment is ±0.06 at 128 permutations, enough to flip pairs near the
    /// threshold from one seed to the next; exact sets make the decision stable.
    /// Costs 6 bytes per distinct shingle per document until clustering ends (the
    /// set and where each shingle first occurs).
    pub exact_verify: bool,
    /// A containment pair is refused when the smaller text's own passages (runs of
    /// at least 12 consecutive words none of whose shingles is in the larger text)
    /// make up at least this share of its shingles and at least half of what it
    /// does not share (default 0.1; 1 turns the check off). Such a text is not a
    /// trimmed or edited copy of the larger one but another text that shares a
    /// passage with it (one paragraph of an agency story, a quoted statement):
    /// on the labelled scale corpus these were 99.9 % of the false merges. Edits to
    /// a copy cost shingles in short runs and do not count. Needs `exact_verify`
    /// (the estimated path keeps the containment and coverage rules only).
    pub max_own_passages: f64,
}

impl Default for DedupConfig {
    fn default() -> Self {
        DedupConfig {
            threshold: 0.8,
            shingle: Shingle::Words,
            ngram: None,
            num_perm: 128,
            signature: Signature::OnePermutation,
            bands: None,
            rows: None,
            seed: 0,
            containment: true,
            containment_threshold: None,
            min_coverage: 0.5,
            survivor: Survivor::default(),
            exact_only: false,
            mode: ClusterMode::Star,
            min_shingles: None,
            check_numbers: true,
            exact_verify: true,
            remove_contained: false,
            max_own_passages: 0.1,
        }
    }
}

impl DedupConfig {
    /// Words (or characters) per shingle: `ngram`, else the unit's default.
    pub fn effective_ngram(&self) -> usize {
        self.ngram.unwrap_or(match self.shingle {
            Shingle::Words => 3,
            Shingle::Chars => 6,
        })
    }

    /// `containment_threshold`, else the unit's default.
    pub fn effective_containment_threshold(&self) -> f64 {
        self.containment_threshold.unwrap_or(match self.shingle {
            Shingle::Words => 0.6,
            Shingle::Chars => 0.75,
        })
    }

    /// `min_shingles`, else the unit's default (60 words' worth).
    pub fn effective_min_shingles(&self) -> u32 {
        self.min_shingles.unwrap_or(match self.shingle {
            Shingle::Words => 60,
            Shingle::Chars => 60 * CHARS_PER_WORD as u32,
        })
    }

    /// Checks ranges and the bands × rows product.
    ///
    /// # Errors
    /// [`Error::Config`] naming the bad value.
    pub fn validate(&self) -> Result<()> {
        let unit = |name: &str, v: f64| {
            if (0.0..=1.0).contains(&v) && v > 0.0 {
                Ok(())
            } else {
                Err(Error::Config(format!("{name} must be in (0, 1], got {v}")))
            }
        };
        unit("threshold", self.threshold)?;
        unit(
            "containment_threshold",
            self.effective_containment_threshold(),
        )?;
        unit("min_coverage", self.min_coverage)?;
        unit("max_own_passages", self.max_own_passages)?;
        if self.ngram == Some(0) {
            return Err(Error::Config("ngram must be at least 1".into()));
        }
        if self.num_perm == 0 || self.num_perm > 1024 {
            return Err(Error::Config(format!(
                "num_perm must be in 1..=1024, got {}",
                self.num_perm
            )));
        }
        match (self.bands, self.rows) {
            (Some(b), Some(r)) if b * r > self.num_perm || b == 0 || r == 0 => {
                Err(Error::Config(format!(
                    "bands × rows = {} exceeds num_perm = {}",
                    b * r,
                    self.num_perm
                )))
            }
            (Some(_), None) | (None, Some(_)) => {
                Err(Error::Config("set both bands and rows, or neither".into()))
            }
            _ => Ok(()),
        }
    }
}

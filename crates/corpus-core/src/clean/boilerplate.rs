//! Corpus-level boilerplate: lines that recur across many documents of a source.
//!
//! A first pass counts, per group (a metadata field such as `outlet`, the host
//! of a URL field, or the whole corpus), in how many *distinct* documents each
//! line occurs. Lines are compared by a 64-bit hash of their key-folded text
//! with digit runs collapsed (so `16:16 ت م` and `19:59 ت م`, or a footer with a
//! changing date, count as one line). Exact duplicate documents are counted
//! once, so that a reprinted article does not turn its own paragraphs into
//! boilerplate. A line is boilerplate of its group when it occurs in at least
//! `min_docs` documents *and* in at least `min_fraction` of the group's
//! documents, and has at least `min_chars` characters.
//!
//! The idea follows dolma's paragraph deduplication and datatrove's sentence
//! deduplication (both drop spans seen elsewhere in the corpus); unlike them
//! the first occurrence is not kept, because a recurring line is chrome in
//! every copy, and thresholds are per source.
//!
//! Memory: one `(hash, count)` entry per distinct line per group during the
//! count, then only the flagged hashes.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use xxhash_rust::xxh3::xxh3_64;

use crate::document::Document;
use crate::{Error, Result};

/// The rule name of corpus-level cuts.
pub const RULE: &str = "boilerplate";

/// How documents are grouped into sources.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum GroupBy {
    /// One group: the whole corpus (`corpus`, the default).
    #[default]
    Corpus,
    /// The value of a JSON field (`outlet`, or `field:outlet`).
    Field(String),
    /// The host of a URL field (`host:url`), without `www.`.
    Host(String),
}

impl FromStr for GroupBy {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim();
        if s.is_empty() {
            return Err(Error::Config("empty --group-by".into()));
        }
        Ok(if s == "corpus" {
            GroupBy::Corpus
        } else if let Some(f) = s.strip_prefix("host:") {
            GroupBy::Host(f.to_owned())
        } else if let Some(f) = s.strip_prefix("field:") {
            GroupBy::Field(f.to_owned())
        } else {
            GroupBy::Field(s.to_owned())
        })
    }
}

impl TryFrom<String> for GroupBy {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

impl From<GroupBy> for String {
    fn from(g: GroupBy) -> String {
        g.to_string()
    }
}

impl fmt::Display for GroupBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupBy::Corpus => f.write_str("corpus"),
            GroupBy::Field(x) => write!(f, "field:{x}"),
            GroupBy::Host(x) => write!(f, "host:{x}"),
        }
    }
}

impl GroupBy {
    /// The group of `doc` (`""` for the whole corpus or a missing field).
    pub fn group_of(&self, doc: &Document) -> String {
        let field = match self {
            GroupBy::Corpus => return String::new(),
            GroupBy::Field(f) | GroupBy::Host(f) => f,
        };
        let Some(raw) = &doc.raw else {
            return String::new();
        };
        let value = match serde_json::from_str::<Value>(raw) {
            Ok(Value::Object(mut m)) => m.remove(field),
            _ => None,
        };
        let s = match value {
            Some(Value::String(s)) => s,
            Some(Value::Number(n)) => n.to_string(),
            _ => return String::new(),
        };
        match self {
            GroupBy::Host(_) => host(&s),
            _ => s,
        }
    }
}

/// The lower-cased host of a URL, without `www.` and port.
fn host(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let h = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let h = h.rsplit_once('@').map_or(h, |(_, h)| h);
    let h = h.split(':').next().unwrap_or_default().to_lowercase();
    h.strip_prefix("www.").map(str::to_owned).unwrap_or(h)
}

/// Corpus-level boilerplate settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BoilerplateConfig {
    /// Run the corpus-level stage in the `clean` job (default true).
    pub enabled: bool,
    /// How documents are grouped into sources (default `corpus`).
    pub group_by: GroupBy,
    /// A line must occur in at least this many distinct documents (default 3).
    pub min_docs: u64,
    /// ... and in at least this share of its group's documents (default 0.005).
    pub min_fraction: f64,
    /// Lines shorter than this many key characters are never counted (default 8).
    pub min_chars: usize,
    /// Also run the corpus-level stage before `ghirbal dedup` (default false):
    /// one more pass over the input counts the lines before sketching.
    pub in_dedup: bool,
}

impl Default for BoilerplateConfig {
    fn default() -> Self {
        BoilerplateConfig {
            enabled: true,
            group_by: GroupBy::Corpus,
            min_docs: 3,
            min_fraction: 0.005,
            min_chars: 8,
            in_dedup: false,
        }
    }
}

impl BoilerplateConfig {
    /// Distinct documents of a group of `docs` a line must occur in.
    pub fn need(&self, docs: u64) -> u64 {
        let need = (self.min_fraction * docs as f64).ceil() as u64;
        need.max(self.min_docs)
    }

    /// What the count takes of one document: its group, a hash of its text
    /// (exact duplicates are counted once) and its distinct line hashes, folded
    /// by `cleaner`.
    pub fn document_lines(&self, cleaner: &super::Cleaner, doc: &Document) -> DocumentLines {
        (
            self.group_by.group_of(doc),
            xxh3_64(doc.text.as_bytes()),
            cleaner.line_hashes(&doc.text, self.min_chars),
        )
    }

    /// Checks the thresholds.
    ///
    /// # Errors
    /// [`Error::Config`] for `min_docs < 2` or a fraction outside `[0, 1]`.
    pub fn validate(&self) -> Result<()> {
        if self.min_docs < 2 {
            return Err(Error::Config(format!(
                "boilerplate.min_docs must be at least 2, not {}",
                self.min_docs
            )));
        }
        if !(0.0..=1.0).contains(&self.min_fraction) {
            return Err(Error::Config(format!(
                "boilerplate.min_fraction must be in [0, 1], not {}",
                self.min_fraction
            )));
        }
        Ok(())
    }
}

/// Hash of a key-folded line with digit runs collapsed; `None` when the line has
/// fewer than `min_chars` non-space characters.
pub(crate) fn line_hash(key: &str, min_chars: usize) -> Option<u64> {
    let b = key.as_bytes();
    // Code points other than spaces: bytes that do not continue a character.
    let chars = b
        .iter()
        .filter(|&&x| x != b' ' && (x & 0xC0) != 0x80)
        .count();
    if chars < min_chars {
        return None;
    }
    if !b.iter().any(u8::is_ascii_digit) {
        return Some(xxh3_64(b));
    }
    // Streamed, without building the collapsed line: same digest as hashing it.
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    let mut rest = b;
    while let Some(p) = rest.iter().position(u8::is_ascii_digit) {
        h.update(&rest[..p]);
        h.update(b"0");
        let run = rest[p..].iter().take_while(|x| x.is_ascii_digit()).count();
        rest = &rest[p + run..];
    }
    h.update(rest);
    Some(h.digest())
}

/// A document as the count takes it ([`BoilerplateConfig::document_lines`]):
/// group, text hash, distinct line hashes.
pub type DocumentLines = (String, u64, Vec<u64>);

#[derive(Default)]
struct GroupCount {
    docs: u64,
    texts: HashSet<u64>,
    lines: HashMap<u64, u32>,
}

/// First pass: counts line hashes per group.
pub struct BoilerplateCounter {
    cfg: BoilerplateConfig,
    groups: HashMap<String, GroupCount>,
}

impl BoilerplateCounter {
    /// An empty counter.
    pub fn new(cfg: &BoilerplateConfig) -> Self {
        BoilerplateCounter {
            cfg: cfg.clone(),
            groups: HashMap::new(),
        }
    }

    /// Adds one document: its group, a hash of its whole text (exact duplicates
    /// are counted once) and its distinct line hashes.
    pub fn add(&mut self, group: &str, text_hash: u64, line_hashes: &[u64]) {
        let g = match self.groups.get_mut(group) {
            Some(g) => g,
            None => self.groups.entry(group.to_owned()).or_default(),
        };
        if !g.texts.insert(text_hash) {
            return;
        }
        g.docs += 1;
        for &h in line_hashes {
            *g.lines.entry(h).or_default() += 1;
        }
    }

    /// Adds one document, hashing its lines with `cleaner`'s key folding.
    pub fn count_document(&mut self, cleaner: &super::Cleaner, doc: &Document) {
        let (group, text, lines) = self.cfg.document_lines(cleaner, doc);
        self.add(&group, text, &lines);
    }

    /// The model: the boilerplate lines of each group.
    pub fn finish(self) -> BoilerplateModel {
        let cfg = self.cfg;
        BoilerplateModel::from_counts(
            &cfg,
            self.groups.into_iter().map(|(name, g)| {
                let need = cfg.need(g.docs);
                let lines = g
                    .lines
                    .iter()
                    .filter(|&(_, &c)| u64::from(c) >= need)
                    .map(|(&h, _)| h)
                    .collect();
                (name, g.docs, g.lines.len() as u64, lines)
            }),
        )
    }
}

/// What the first pass learnt about one group (for summary.json).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GroupStats {
    /// The group's name (`""` for the whole corpus or a missing field).
    pub group: String,
    /// Distinct documents counted.
    pub docs: u64,
    /// Distinct lines seen.
    pub distinct_lines: u64,
    /// Lines flagged as boilerplate.
    pub boilerplate_lines: u64,
    /// Documents a line had to occur in.
    pub min_docs: u64,
}

/// The boilerplate lines of each group.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct BoilerplateModel {
    min_chars: usize,
    groups: HashMap<String, HashSet<u64>>,
    stats: Vec<GroupStats>,
}

impl BoilerplateModel {
    /// The model from counts made elsewhere (`ghirbal.spark` counts in
    /// Spark): per group, its name, distinct documents, distinct lines, and the
    /// lines that occur in at least [`BoilerplateConfig::need`] of its documents.
    pub fn from_counts(
        cfg: &BoilerplateConfig,
        groups: impl IntoIterator<Item = (String, u64, u64, HashSet<u64>)>,
    ) -> Self {
        let mut sets = HashMap::new();
        let mut stats = Vec::new();
        for (name, docs, distinct_lines, lines) in groups {
            stats.push(GroupStats {
                group: name.clone(),
                docs,
                distinct_lines,
                boilerplate_lines: lines.len() as u64,
                min_docs: cfg.need(docs),
            });
            sets.insert(name, lines);
        }
        stats.sort_by(|a, b| a.group.cmp(&b.group));
        BoilerplateModel {
            min_chars: cfg.min_chars,
            groups: sets,
            stats,
        }
    }

    /// True when the key-folded line `key` is boilerplate in `group`.
    pub fn is_boilerplate(&self, group: &str, key: &str) -> bool {
        match self.groups.get(group) {
            Some(set) if !set.is_empty() => {
                line_hash(key, self.min_chars).is_some_and(|h| set.contains(&h))
            }
            _ => false,
        }
    }

    /// Per-group statistics, sorted by group.
    pub fn stats(&self) -> &[GroupStats] {
        &self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_hash_collapses_digit_runs_like_the_plain_definition() {
        let plain = |key: &str| {
            let mut shape = String::new();
            let mut in_digits = false;
            for c in key.chars() {
                if c.is_ascii_digit() {
                    if !in_digits {
                        shape.push('0');
                    }
                    in_digits = true;
                } else {
                    in_digits = false;
                    shape.push(c);
                }
            }
            xxh3_64(shape.as_bytes())
        };
        for key in ["عدد 12 من 2015 مواد", "2015", "بلا ارقام هنا", "a1b22c333 4"]
        {
            assert_eq!(line_hash(key, 0), Some(plain(key)), "{key}");
        }
        assert_eq!(line_hash("عدد 12", 5), Some(plain("عدد 12")));
        assert_eq!(line_hash("عدد 12", 6), None); // 5 characters besides the space
    }

    #[test]
    fn hosts_and_groups() {
        assert_eq!(host("https://www.Example.com:8080/a/b?x"), "example.com");
        assert_eq!(host("news.site.org/x"), "news.site.org");
        assert_eq!(
            "outlet".parse::<GroupBy>().unwrap(),
            GroupBy::Field("outlet".into())
        );
        assert_eq!(
            "host:url".parse::<GroupBy>().unwrap(),
            GroupBy::Host("url".into())
        );
    }

    #[test]
    fn thresholds_count_distinct_documents() {
        let cfg = BoilerplateConfig {
            min_docs: 3,
            min_fraction: 0.0,
            ..Default::default()
        };
        let footer = line_hash("// انتهي // 12:30", 8).unwrap();
        let mut c = BoilerplateCounter::new(&cfg);
        c.add("a", 1, &[footer]);
        c.add("a", 1, &[footer]); // the same text again: not counted
        c.add("a", 2, &[footer]);
        c.add("b", 3, &[footer]);
        let m = c.finish();
        assert!(!m.is_boilerplate("a", "// انتهي // 19:59"));
        let mut c = BoilerplateCounter::new(&cfg);
        for t in 0..3 {
            c.add("a", t, &[footer]);
        }
        let m = c.finish();
        assert!(
            m.is_boilerplate("a", "// انتهي // 19:59"),
            "digits collapse"
        );
        assert!(!m.is_boilerplate("b", "// انتهي // 19:59"));
    }
}

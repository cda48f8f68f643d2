//! Repeated passages: a long paragraph found in several documents is kept in
//! one of them and cut from the others.
//!
//! A news archive still repeats itself after near-duplicate removal: the same
//! background paragraph, agency statement or quoted speech runs in articles
//! that are otherwise different. `ghirbal clean --passages` keeps one copy of
//! each such paragraph and records every other one, with the document that
//! keeps it.
//!
//! * A passage is a line of the text that cleaning left whole (no rule or
//!   boilerplate cut touches it) with at least [`PassageConfig::min_chars`]
//!   characters besides spaces in its key-folded form. Two lines are the same
//!   passage when their key folds are equal (diacritics, letter variants,
//!   digits and spacing aside), numbers included: a paragraph with other
//!   figures is another paragraph.
//! * The document that keeps a passage (its *holder*) is the one with the
//!   smallest id among those that carry it, so the choice does not depend on
//!   the input order or the thread count; the holder keeps its first copy.
//!   Every other copy is cut under the rule [`RULE`] with the holder's id.
//! * Counting needs the whole corpus first ([`PassageCounter`]), like the
//!   corpus-level boilerplate; documents are then cut with the
//!   [`PassageModel`].

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use super::Cut;
use crate::pipeline::FastMap;
use crate::{Error, Result};

/// The rule name of a repeated passage's cut.
pub const RULE: &str = "repeated_passage";

/// Repeated-passage settings (`[clean.passages]`; the `clean` job only).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PassageConfig {
    /// Cut repeated passages (default false).
    pub enabled: bool,
    /// Lines with fewer characters than this (besides spaces, key-folded) are
    /// never passages (default 100, about 18 Arabic words: a sentence that long
    /// repeated word for word is a copy, shorter ones are often set phrases).
    pub min_chars: usize,
}

impl Default for PassageConfig {
    fn default() -> Self {
        PassageConfig {
            enabled: false,
            min_chars: 100,
        }
    }
}

impl PassageConfig {
    /// Checks the minimum length.
    ///
    /// # Errors
    /// [`Error::Config`] for a minimum under [`MIN_PASSAGE_CHARS`].
    pub fn validate(&self) -> Result<()> {
        if self.min_chars < MIN_PASSAGE_CHARS {
            return Err(Error::Config(format!(
                "passages.min_chars must be at least {MIN_PASSAGE_CHARS}, not {}",
                self.min_chars
            )));
        }
        Ok(())
    }
}

/// The least `min_chars` accepted: below it, headings and set phrases would be
/// cut as copies of each other.
pub const MIN_PASSAGE_CHARS: usize = 20;

/// One passage of a document: its byte span in the text (with the line break
/// after it, as rules cut whole lines) and the hash of its key fold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Passage {
    /// Byte offset of the line's start.
    pub start: usize,
    /// Byte offset after the line (and its line break, if any).
    pub end: usize,
    /// xxh3 of the key-folded line.
    pub hash: u64,
}

/// Hash of a key-folded line (a [`Passage`]'s identity).
pub(crate) fn passage_hash(key: &str) -> u64 {
    xxh3_64(key.as_bytes())
}

/// Counts, over a corpus, which documents carry each passage.
#[derive(Debug, Default)]
pub struct PassageCounter {
    /// The ids of the documents counted that carry a passage.
    ids: Vec<Box<str>>,
    /// Per passage hash: the smallest id carrying it (an index in `ids`: most
    /// passages occur once, so an entry is kept small), and its copies so far.
    seen: FastMap<u64, (u32, u32)>,
}

impl PassageCounter {
    /// An empty count.
    pub fn new() -> Self {
        PassageCounter::default()
    }

    /// Counts the passages of the document `id` (as
    /// [`super::Cleaner::cuts_and_passages`] gives them). Each id must be
    /// counted once.
    ///
    /// # Errors
    /// [`Error::Config`] past 2³² documents with passages (one machine's count
    /// is not for corpora that large).
    pub fn add(&mut self, id: &str, passages: &[Passage]) -> Result<()> {
        if passages.is_empty() {
            return Ok(());
        }
        let at = u32::try_from(self.ids.len()).map_err(|_| {
            Error::Config(
                "repeated passages: more than 2^32 documents to count on one machine".into(),
            )
        })?;
        self.ids.push(id.into());
        for p in passages {
            let (holder, copies) = self.seen.entry(p.hash).or_insert((at, 0));
            *copies += 1;
            if id.as_bytes() < self.ids[*holder as usize].as_bytes() {
                *holder = at;
            }
        }
        Ok(())
    }

    /// The model: the passages seen more than once, each with its holder.
    pub fn finish(self) -> PassageModel {
        let mut copies = 0u64;
        // One shared string per holder, however many passages it holds.
        let mut shared: FastMap<u32, Arc<str>> = FastMap::default();
        let holders: FastMap<u64, Arc<str>> = self
            .seen
            .into_iter()
            .filter(|(_, (_, n))| *n > 1)
            .map(|(h, (holder, n))| {
                copies += u64::from(n);
                let id = shared
                    .entry(holder)
                    .or_insert_with(|| Arc::from(&*self.ids[holder as usize]));
                (h, id.clone())
            })
            .collect();
        PassageModel {
            stats: PassageStats {
                repeated: holders.len() as u64,
                copies,
            },
            holders,
        }
    }
}

/// What the count found (in the clean job's `summary.json`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PassageStats {
    /// Distinct passages found more than once.
    pub repeated: u64,
    /// Their copies, the kept ones included.
    pub copies: u64,
}

/// The repeated passages of a corpus and the document that keeps each one.
#[derive(Clone, Debug, Default)]
pub struct PassageModel {
    holders: FastMap<u64, Arc<str>>,
    stats: PassageStats,
}

impl PassageModel {
    /// The model restricted to what some documents need: each passage hash with
    /// its holder, as an engine that counts the corpus itself (Spark) hands them
    /// to the document that carries them. Only repeated passages may be given.
    pub fn from_holders<'a>(holders: impl IntoIterator<Item = (u64, &'a str)>) -> Self {
        PassageModel {
            holders: holders
                .into_iter()
                .map(|(h, id)| (h, Arc::from(id)))
                .collect(),
            stats: PassageStats::default(),
        }
    }

    /// The cuts of the document `id` whose passages are `passages` (in text
    /// order): every copy held by another document, and every copy after the
    /// first of a passage it holds, each with the holder's id.
    pub fn cuts(&self, id: &str, passages: &[Passage]) -> Vec<(Cut, Arc<str>)> {
        let mut out = Vec::new();
        let mut kept: Vec<u64> = Vec::new();
        for p in passages {
            let Some(holder) = self.holders.get(&p.hash) else {
                continue;
            };
            if &**holder == id && !kept.contains(&p.hash) {
                kept.push(p.hash);
                continue;
            }
            let cut = Cut {
                rule: RULE,
                start: p.start,
                end: p.end,
            };
            out.push((cut, holder.clone()));
        }
        out
    }

    /// What the count found.
    pub fn stats(&self) -> PassageStats {
        self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passages(hashes: &[u64]) -> Vec<Passage> {
        hashes
            .iter()
            .enumerate()
            .map(|(i, &hash)| Passage {
                start: i * 10,
                end: i * 10 + 10,
                hash,
            })
            .collect()
    }

    fn model(docs: &[(&str, &[u64])]) -> PassageModel {
        let mut c = PassageCounter::new();
        for (id, hs) in docs {
            c.add(id, &passages(hs)).unwrap();
        }
        c.finish()
    }

    #[test]
    fn the_smallest_id_keeps_a_passage_whatever_the_order() {
        let docs: [(&str, &[u64]); 3] = [("b", &[1, 2]), ("a", &[2, 3]), ("c", &[1, 2, 2])];
        let mut reversed = docs;
        reversed.reverse();
        for m in [model(&docs), model(&reversed)] {
            assert_eq!(
                m.stats(),
                PassageStats {
                    repeated: 2,
                    copies: 6
                }
            );
            // "a" holds 2 (its only copy is kept); "b" holds 1 and gives up 2.
            assert!(m.cuts("a", &passages(&[2, 3])).is_empty());
            let b: Vec<(usize, String)> = m
                .cuts("b", &passages(&[1, 2]))
                .into_iter()
                .map(|(c, h)| (c.start, h.to_string()))
                .collect();
            assert_eq!(b, [(10, "a".to_owned())]);
            // "c": both of its copies of 2 and its copy of 1 go.
            let c: Vec<(usize, String)> = m
                .cuts("c", &passages(&[1, 2, 2]))
                .into_iter()
                .map(|(c, h)| (c.start, h.to_string()))
                .collect();
            assert_eq!(
                c,
                [
                    (0, "b".to_owned()),
                    (10, "a".to_owned()),
                    (20, "a".to_owned())
                ]
            );
        }
    }

    #[test]
    fn a_holder_keeps_only_its_first_copy() {
        let m = model(&[("x", &[7, 8, 7])]);
        let cuts = m.cuts("x", &passages(&[7, 8, 7]));
        assert_eq!(cuts.len(), 1);
        assert_eq!((cuts[0].0.start, &*cuts[0].1), (20, "x"));
    }

    #[test]
    fn short_minimums_are_refused() {
        let cfg = PassageConfig {
            enabled: true,
            min_chars: 5,
        };
        assert!(cfg.validate().is_err());
        assert!(PassageConfig::default().validate().is_ok());
    }
}

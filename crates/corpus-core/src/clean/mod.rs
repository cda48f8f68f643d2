//! Cleaning: page chrome and boilerplate cut out of a document before dedup.
//!
//! Two kinds of evidence are used:
//!
//! * **Single-document rules** ([`Rule`]): structural patterns that need no
//!   corpus — embed attributions, link-only lines, read-more blocks, reader
//!   comment blocks, navigation at the edges of a page, bylines, agency
//!   sign-offs, site signatures, disclaimers. Each rule is named, documented
//!   and can be switched off by name (`disable`). Markers are matched on the
//!   `key`-normalized text ([`crate::normalize::Profile::Key`]), so spelling
//!   variants (أ/ا, ة/ه, tanwin, dashes, quotes) collapse.
//! * **Corpus-level boilerplate** ([`boilerplate`]): lines that recur in many
//!   distinct articles of the same source (grouped by a metadata field, a URL
//!   host, or the whole corpus; versions of one story count once). This needs a
//!   first pass over the corpus that counts line hashes; see
//!   [`boilerplate::BoilerplateModel`].
//!
//! Every cut is a [`Cut`] with its rule and its byte span in the original text;
//! [`apply`] removes them. The `clean` job ([`job::run_clean`]) records them in
//! code points.
//!
//! ```
//! use corpus_core::clean::{apply, CleanConfig, Cleaner};
//! let cleaner = Cleaner::new(&CleanConfig::default())?;
//! let text = "نص الخبر الأول وهو طويل بما يكفي ليكون فقرة كاملة من فقرات المقال هنا.\n// انتهى //";
//! let cuts = cleaner.cuts(text);
//! assert_eq!(cuts[0].rule, "signoff");
//! assert!(!apply(text, &cuts).contains("انتهى"));
//! # Ok::<(), corpus_core::Error>(())
//! ```

pub mod boilerplate;
pub mod eval;
mod fold;
pub mod job;
pub mod passages;
mod rules;

use serde::{Deserialize, Serialize};

pub use boilerplate::{BoilerplateConfig, BoilerplateCounter, BoilerplateModel, GroupBy};
pub use job::{
    CleanCounts, CleanOutcome, CleanRun, CleanStage, CleanSummary, CutRecord, clean_documents,
    run_clean,
};
pub use passages::{Passage, PassageConfig, PassageCounter, PassageModel};
pub use rules::Rule;

use crate::normalize::Profile;
use crate::{Error, Result};

/// Cleaning settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CleanConfig {
    /// Run cleaning (default true).
    pub enabled: bool,
    /// Rules switched off by name (see [`Rule::ALL`]; `boilerplate` switches the
    /// corpus-level stage off).
    pub disable: Vec<String>,
    /// Corpus-level boilerplate (lines recurring across documents of a source).
    pub boilerplate: BoilerplateConfig,
    /// Repeated passages (`clean` job only; off by default): see [`passages`].
    pub passages: PassageConfig,
    /// `clean` job only: normalize the kept text with this profile (default: none,
    /// the text is written as read minus the cuts).
    pub output_profile: Option<Profile>,
}

impl Default for CleanConfig {
    fn default() -> Self {
        CleanConfig {
            enabled: true,
            disable: Vec::new(),
            boilerplate: BoilerplateConfig::default(),
            passages: PassageConfig::default(),
            output_profile: None,
        }
    }
}

impl CleanConfig {
    /// Cleaning with every rule and the corpus-level stage switched off: what is
    /// left is splitting into lines and the per-line key fold (the key of a text
    /// without cleaning, and a measure of that fold's cost).
    pub fn every_rule_off() -> Self {
        let rules = Rule::ALL.iter().map(|r| r.name().to_owned());
        CleanConfig {
            disable: rules.chain([boilerplate::RULE.to_owned()]).collect(),
            ..CleanConfig::default()
        }
    }

    /// Checks rule names and thresholds.
    ///
    /// # Errors
    /// [`Error::Config`] naming an unknown rule or a bad threshold.
    pub fn validate(&self) -> Result<()> {
        for name in &self.disable {
            if name != boilerplate::RULE && Rule::from_name(name).is_none() {
                let known: Vec<&str> = Rule::ALL.iter().map(|r| r.name()).collect();
                return Err(Error::Config(format!(
                    "unknown cleaning rule {name:?} (known: {}, {})",
                    known.join(", "),
                    boilerplate::RULE
                )));
            }
        }
        self.boilerplate.validate()?;
        self.passages.validate()
    }

    /// A note when a stage is asked for and another setting switches it off
    /// (a configuration file's `in_dedup` under `--no-clean` or `--disable
    /// boilerplate`): the layers are allowed, the later one wins, and the run
    /// says what did not happen.
    pub fn switched_off_note(&self) -> Option<String> {
        let off = if !self.enabled {
            "clean.enabled = false"
        } else {
            "the boilerplate stage is off"
        };
        if self.boilerplate.in_dedup && !self.boilerplate_enabled() {
            return Some(format!(
                "clean.boilerplate.in_dedup is set, but {off}: no corpus-level boilerplate was cut"
            ));
        }
        (self.passages.enabled && !self.enabled).then(|| {
            "clean.passages.enabled is set, but clean.enabled = false: no repeated passages \
             were cut"
                .to_owned()
        })
    }

    /// True when the dedup job runs the corpus-level boilerplate stage too.
    pub fn boilerplate_in_dedup(&self) -> bool {
        self.boilerplate_enabled() && self.boilerplate.in_dedup
    }

    /// True when the `clean` job cuts repeated passages.
    pub fn passages_enabled(&self) -> bool {
        self.enabled && self.passages.enabled
    }

    /// True when the corpus-level boilerplate stage runs.
    pub fn boilerplate_enabled(&self) -> bool {
        self.enabled
            && self.boilerplate.enabled
            && !self.disable.iter().any(|d| d == boilerplate::RULE)
    }
}

/// One removed span.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cut {
    /// The rule that made the cut.
    pub rule: &'static str,
    /// Byte offset of the start in the original text.
    pub start: usize,
    /// Byte offset of the end (exclusive).
    pub end: usize,
}

/// Applies the cleaning rules to one document.
#[derive(Clone, Debug)]
pub struct Cleaner {
    rules: rules::RuleSet,
}

impl Cleaner {
    /// Builds a cleaner.
    ///
    /// # Errors
    /// [`crate::Error::Config`] if a disabled rule name is unknown.
    pub fn new(cfg: &CleanConfig) -> Result<Self> {
        cfg.validate()?;
        Ok(Cleaner {
            rules: rules::RuleSet::new(cfg)?,
        })
    }

    /// The spans the single-document rules cut from `text`, sorted and
    /// non-overlapping.
    pub fn cuts(&self, text: &str) -> Vec<Cut> {
        self.rules.cuts(text, None)
    }

    /// Like [`Cleaner::cuts`], and also cuts the lines that `model` knows as
    /// boilerplate of `group`.
    pub fn cuts_with(&self, text: &str, model: &BoilerplateModel, group: &str) -> Vec<Cut> {
        self.rules.cuts(text, Some((model, group)))
    }

    /// [`Cleaner::cuts`] (with the boilerplate of `group` in `model`, if given)
    /// and, when it can be had from the folds the rules computed anyway, the
    /// `key`-normalized cleaned text: equal to normalizing
    /// [`apply`]`(text, &cuts)` with the key profile, without a second pass.
    pub fn cuts_and_key(
        &self,
        text: &str,
        model: Option<(&BoilerplateModel, &str)>,
    ) -> (Vec<Cut>, Option<String>) {
        self.rules.cuts_and_key(text, model)
    }

    /// The hashes the boilerplate model counts lines by (see
    /// [`BoilerplateModel`]), each once, and those of the text's long lines
    /// ([`boilerplate::article_keys`]).
    pub(crate) fn line_hashes(&self, text: &str, min_chars: usize) -> (Vec<u64>, Vec<u64>) {
        self.rules.line_hashes(text, min_chars)
    }

    /// [`Cleaner::cuts`] (with the boilerplate of `group` in `model`, if given)
    /// and the passages they leave whole: the lines of at least `min_chars`
    /// key-folded characters besides spaces that no cut touches, in text order
    /// (see [`passages`]), each line folded once.
    pub fn cuts_and_passages(
        &self,
        text: &str,
        model: Option<(&BoilerplateModel, &str)>,
        min_chars: usize,
    ) -> (Vec<Cut>, Vec<Passage>) {
        self.rules.cuts_and_passages(text, model, min_chars)
    }
}

/// `text` without the `cuts` (sorted, non-overlapping byte spans).
pub fn apply(text: &str, cuts: &[Cut]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for c in cuts {
        if c.start >= pos && c.end <= text.len() && c.start <= c.end {
            out.push_str(text.get(pos..c.start).unwrap_or_default());
            pos = c.end;
        }
    }
    out.push_str(text.get(pos..).unwrap_or_default());
    out
}

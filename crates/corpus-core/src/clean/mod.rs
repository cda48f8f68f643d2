//! Cleaning: page chrome and boilerplate cut out of a document before dedup.
//!
//! Each rule is named and switchable; every cut is recorded as a [`Cut`] with
//! its rule and its byte span in the original text.

use serde::{Deserialize, Serialize};

use crate::Result;

/// Cleaning settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CleanConfig {
    /// Run cleaning (default true).
    pub enabled: bool,
    /// Rules switched off by name.
    pub disable: Vec<String>,
}

impl Default for CleanConfig {
    fn default() -> Self {
        CleanConfig {
            enabled: true,
            disable: Vec::new(),
        }
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

/// Applies the single-document cleaning rules.
#[derive(Clone, Debug)]
pub struct Cleaner {
    cfg: CleanConfig,
}

impl Cleaner {
    /// Builds a cleaner.
    ///
    /// # Errors
    /// [`crate::Error::Config`] if a disabled rule name is unknown.
    pub fn new(cfg: &CleanConfig) -> Result<Self> {
        Ok(Cleaner { cfg: cfg.clone() })
    }

    /// The spans to cut from `text`, sorted and non-overlapping.
    pub fn cuts(&self, text: &str) -> Vec<Cut> {
        let _ = (&self.cfg, text);
        Vec::new()
    }
}

/// `text` without the `cuts` (sorted, non-overlapping byte spans).
pub fn apply(text: &str, cuts: &[Cut]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for c in cuts {
        out.push_str(&text[pos..c.start]);
        pos = c.end;
    }
    out.push_str(&text[pos..]);
    out
}

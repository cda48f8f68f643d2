//! Text normalization: named, switchable steps grouped into profiles.
//!
//! A [`Normalizer`] is built once from a [`NormalizeConfig`] (a profile plus steps
//! added or removed by name) and then applied to many texts. The `key` profile is
//! what deduplication hashes and shingles; `stored` is what may be written out.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::{Error, Result};

/// Version of the `key` profile. Changing what the key profile does changes every
/// hash, so it is recorded in `summary.json` and in anything saved.
pub const KEY_VERSION: u32 = 1;

/// A normalization profile: a fixed, ordered list of steps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// What we write out: never changes spelling.
    Stored,
    /// What we hash and shingle for deduplication: folds aggressively.
    #[default]
    Key,
    /// No step at all.
    None,
}

impl FromStr for Profile {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "stored" => Ok(Profile::Stored),
            "key" => Ok(Profile::Key),
            "none" => Ok(Profile::None),
            _ => Err(Error::Config(format!(
                "unknown profile {s:?} (expected stored, key or none)"
            ))),
        }
    }
}

/// One named normalization step. Names are public API (see the README).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Delete BOM, bidi and invisible format controls (keeps ZWNJ/ZWJ).
    Controls,
    /// Also delete ZWNJ U+200C and ZWJ U+200D (keys only).
    Joiners,
    /// Unicode NFC.
    Nfc,
    /// Unicode NFKC (full compatibility decomposition, then composition).
    Nfkc,
    /// Delete tatweel U+0640.
    Tatweel,
    /// Delete Arabic diacritics and Quranic marks.
    Diacritics,
    /// Fold آ أ إ ٱ to ا.
    Alef,
    /// Fold alef maqsura ى to ي.
    AlefMaksura,
    /// Fold teh marbuta ة to ه.
    TehMarbuta,
    /// Map Arabic-Indic and Persian digits to ASCII.
    Digits,
    /// Map Arabic punctuation, quotes and dashes to ASCII.
    Punct,
    /// Map every space character to U+0020, collapse runs, trim lines.
    Whitespace,
    /// Lower-case (full Unicode case folding for cased scripts).
    Casefold,
}

impl Step {
    /// Every step, in the order a normalizer applies them.
    pub const ALL: &'static [Step] = &[
        Step::Controls,
        Step::Joiners,
        Step::Nfc,
        Step::Nfkc,
        Step::Tatweel,
        Step::Diacritics,
        Step::Alef,
        Step::AlefMaksura,
        Step::TehMarbuta,
        Step::Digits,
        Step::Punct,
        Step::Whitespace,
        Step::Casefold,
    ];

    /// The public name of the step.
    pub fn name(self) -> &'static str {
        match self {
            Step::Controls => "controls",
            Step::Joiners => "joiners",
            Step::Nfc => "nfc",
            Step::Nfkc => "nfkc",
            Step::Tatweel => "tatweel",
            Step::Diacritics => "diacritics",
            Step::Alef => "alef",
            Step::AlefMaksura => "alef_maksura",
            Step::TehMarbuta => "teh_marbuta",
            Step::Digits => "digits",
            Step::Punct => "punct",
            Step::Whitespace => "whitespace",
            Step::Casefold => "casefold",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Step {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Step::ALL
            .iter()
            .copied()
            .find(|st| st.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Step::ALL.iter().map(|s| s.name()).collect();
                Error::Config(format!(
                    "unknown normalization step {s:?} (known: {})",
                    names.join(", ")
                ))
            })
    }
}

impl Profile {
    /// The steps of this profile, in application order.
    pub fn steps(self) -> &'static [Step] {
        match self {
            Profile::Stored => &[Step::Controls, Step::Nfc, Step::Whitespace],
            Profile::Key => &[
                Step::Controls,
                Step::Joiners,
                Step::Nfkc,
                Step::Tatweel,
                Step::Diacritics,
                Step::Alef,
                Step::AlefMaksura,
                Step::TehMarbuta,
                Step::Digits,
                Step::Punct,
                Step::Whitespace,
                Step::Casefold,
            ],
            Profile::None => &[],
        }
    }
}

/// Which steps to run: a profile, plus steps added or removed by name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NormalizeConfig {
    /// Starting profile (default `key`).
    pub profile: Profile,
    /// Steps added to the profile.
    pub add: Vec<Step>,
    /// Steps removed from the profile.
    pub remove: Vec<Step>,
}

impl NormalizeConfig {
    /// A configuration for `profile` with no change.
    pub fn profile(profile: Profile) -> Self {
        NormalizeConfig {
            profile,
            ..Default::default()
        }
    }

    /// The resolved, ordered list of steps.
    pub fn steps(&self) -> Vec<Step> {
        let mut steps: Vec<Step> = self.profile.steps().to_vec();
        steps.extend(self.add.iter().copied());
        steps.retain(|s| !self.remove.contains(s));
        steps.sort();
        steps.dedup();
        steps
    }
}

/// Applies a fixed list of normalization steps.
///
/// ```
/// use corpus_core::normalize::{Normalizer, NormalizeConfig};
/// let n = Normalizer::new(&NormalizeConfig::default())?;
/// assert_eq!(n.normalize("أَهْلًا   وسهلاً"), "اهلا وسهلا");
/// # Ok::<(), corpus_core::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Normalizer {
    steps: Vec<Step>,
}

impl Normalizer {
    /// Builds a normalizer.
    ///
    /// # Errors
    /// [`Error::Config`] if the configuration is inconsistent.
    pub fn new(cfg: &NormalizeConfig) -> Result<Self> {
        Ok(Normalizer { steps: cfg.steps() })
    }

    /// The steps this normalizer runs, in order.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// Normalizes `text`, borrowing it when nothing changes.
    pub fn normalize<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if self.steps.is_empty() {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        self.normalize_into(text, &mut out);
        if out == text {
            Cow::Borrowed(text)
        } else {
            Cow::Owned(out)
        }
    }

    /// Normalizes `text` into `out` (cleared first), reusing its allocation.
    pub fn normalize_into(&self, text: &str, out: &mut String) {
        out.clear();
        let mut cur: Cow<'_, str> = Cow::Borrowed(text);
        for &step in &self.steps {
            cur = Cow::Owned(apply_step(step, &cur));
        }
        out.push_str(&cur);
    }
}

fn apply_step(step: Step, s: &str) -> String {
    match step {
        Step::Controls => s.chars().filter(|&c| !is_control(c)).collect(),
        Step::Joiners => s
            .chars()
            .filter(|&c| c != '\u{200C}' && c != '\u{200D}')
            .collect(),
        Step::Nfc => s.nfc().collect(),
        Step::Nfkc => s.nfkc().collect(),
        Step::Tatweel => s.chars().filter(|&c| c != '\u{0640}').collect(),
        Step::Diacritics => s.chars().filter(|&c| !is_diacritic(c)).collect(),
        Step::Alef => s
            .chars()
            .map(|c| {
                if matches!(c, '\u{0622}' | '\u{0623}' | '\u{0625}' | '\u{0671}') {
                    'ا'
                } else {
                    c
                }
            })
            .collect(),
        Step::AlefMaksura => s.chars().map(|c| if c == 'ى' { 'ي' } else { c }).collect(),
        Step::TehMarbuta => s.chars().map(|c| if c == 'ة' { 'ه' } else { c }).collect(),
        Step::Digits => s
            .chars()
            .map(|c| match c {
                '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
                '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
                _ => c,
            })
            .collect(),
        Step::Punct => s
            .chars()
            .map(|c| match c {
                '\u{060C}' => ',',
                '\u{061B}' => ';',
                '\u{061F}' => '?',
                '\u{00AB}' | '\u{00BB}' | '\u{201C}'..='\u{201F}' => '"',
                '\u{2018}'..='\u{201B}' => '\'',
                '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
                _ => c,
            })
            .collect(),
        Step::Whitespace => whitespace(s),
        Step::Casefold => s.to_lowercase(),
    }
}

fn is_control(c: char) -> bool {
    matches!(c,
        '\u{200B}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        | '\u{061C}' | '\u{2060}' | '\u{00AD}' | '\u{180E}' | '\u{FEFF}')
}

fn is_diacritic(c: char) -> bool {
    matches!(c, '\u{0610}'..='\u{061A}' | '\u{064B}'..='\u{065F}' | '\u{0670}'
        | '\u{06D6}'..='\u{06DC}' | '\u{06DF}'..='\u{06E8}' | '\u{06EA}'..='\u{06ED}')
}

fn whitespace(s: &str) -> String {
    let s = s.replace("\r\n", "\n").replace(['\r', '\u{2029}'], "\n");
    let mut out = String::with_capacity(s.len());
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let mut first = true;
        for w in line
            .split(|c: char| c.is_whitespace())
            .filter(|w| !w.is_empty())
        {
            if !first {
                out.push(' ');
            }
            out.push_str(w);
            first = false;
        }
    }
    out
}

/// Splits normalized text into word tokens: runs of letters, digits and marks;
/// every other non-space character is a token of its own.
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split_whitespace().flat_map(split_punct)
}

fn split_punct(w: &str) -> impl Iterator<Item = &str> {
    let mut rest = w;
    std::iter::from_fn(move || {
        let c = rest.chars().next()?;
        let end = if c.is_alphanumeric() || is_mark(c) {
            rest.find(|c: char| !(c.is_alphanumeric() || is_mark(c)))
                .unwrap_or(rest.len())
        } else {
            c.len_utf8()
        };
        let (tok, r) = rest.split_at(end);
        rest = r;
        Some(tok)
    })
}

fn is_mark(c: char) -> bool {
    is_diacritic(c) || c == '\u{0640}'
}

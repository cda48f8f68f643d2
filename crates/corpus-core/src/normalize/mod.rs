//! Text normalization: named, switchable steps grouped into profiles.
//!
//! A [`Normalizer`] is built once from a [`NormalizeConfig`] (a profile plus steps
//! added or removed by name) and then applied to many texts. The `key` profile is
//! what deduplication hashes and shingles; `stored` is what may be written out.

mod engine;
mod jsonl;
mod mojibake;
mod script;
mod tables;
pub(crate) mod tokenize;

pub use jsonl::{JsonlStats, normalize_jsonl};
pub use mojibake::{MojibakeKind, MojibakeReport, detect_mojibake, repair_mojibake};
pub use script::{Detection, Language, detect, detect_common};
pub use tokenize::{sentences, words};

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::sync::Arc;

use crate::{Error, Result};

/// Whether the `lookalikes` step maps `c` (it applies only to documents
/// detected as Arabic).
pub(crate) fn is_lookalike(c: char) -> bool {
    tables::map_char(Step::Lookalikes, c, &mut String::new())
}

/// Version of the `key` profile. Changing what the key profile does changes every
/// hash, so it is recorded in `summary.json` and in anything saved.
pub const KEY_VERSION: u32 = 2;

/// The Unicode version of the normalization data (that of the `unicode-normalization`
/// crate). Python 3.11, which made the golden vectors, uses Unicode 14.0; the
/// normalization of characters assigned by 14.0 is stable across versions.
pub const UNICODE_VERSION: &str = "18.0.0";

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

/// One named normalization step. Names are public API (docs/normalization.md
/// lists the code points each touches).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Repair mojibake (UTF-8 read as windows-1256, windows-1252 or Latin-1)
    /// where the repair is unambiguous. Opt-in; runs first.
    Mojibake,
    /// Delete BOM, bidi controls and invisible format characters (keeps ZWNJ/ZWJ).
    Controls,
    /// Also delete ZWNJ U+200C and ZWJ U+200D (keys only).
    Joiners,
    /// Map the 14 presentation forms that NFKC turns into space + mark(s)
    /// (U+FE70 … U+FE7E even, U+FC5E–U+FC63) to the bare mark(s), before NFKC.
    SpacingMarks,
    /// CAMeL's pre-map: U+FDFC ﷼ → ريال, U+FDFD ﷽ → بسم الله الرحمن الرحيم.
    CamelLigatures,
    /// NFKC applied only to the Arabic presentation forms (U+FB50–U+FDFF,
    /// U+FE70–U+FEFE): what `stored` uses instead of full NFKC.
    PresentationForms,
    /// Unicode NFC.
    Nfc,
    /// Unicode NFKC (full compatibility decomposition, then composition).
    Nfkc,
    /// Delete tatweel U+0640.
    Tatweel,
    /// Delete Arabic diacritics and Quranic marks (the toolkit's key set).
    Diacritics,
    /// Delete CAMeL `dediac_ar`'s set only: U+064B–U+0652 and U+0670.
    Dediac,
    /// Fold Persian/Urdu look-alike letters to Arabic (Arabic documents only).
    Lookalikes,
    /// Fold آ أ إ ٱ (and U+0672, U+0673, U+0675) to ا.
    Alef,
    /// Fold alef maqsura ى to ي.
    AlefMaksura,
    /// Fold teh marbuta ة to ه.
    TehMarbuta,
    /// Fold hamza carriers ؤ → و and ئ → ي.
    Hamza,
    /// Map Arabic-Indic and Persian digits to ASCII.
    Digits,
    /// Map Arabic punctuation, quotes and dashes to ASCII.
    Punct,
    /// Map every space character to U+0020, collapse runs, trim lines; CR LF,
    /// CR and U+2029 become LF.
    Whitespace,
    /// Full Unicode case folding (Latin, Greek and other cased scripts).
    Casefold,
}

impl Step {
    /// Every step, in the order a normalizer applies them.
    pub const ALL: &'static [Step] = &[
        Step::Mojibake,
        Step::Controls,
        Step::Joiners,
        Step::SpacingMarks,
        Step::CamelLigatures,
        Step::PresentationForms,
        Step::Nfc,
        Step::Nfkc,
        Step::Tatweel,
        Step::Diacritics,
        Step::Dediac,
        Step::Lookalikes,
        Step::Alef,
        Step::AlefMaksura,
        Step::TehMarbuta,
        Step::Hamza,
        Step::Digits,
        Step::Punct,
        Step::Whitespace,
        Step::Casefold,
    ];

    /// The public name of the step.
    pub fn name(self) -> &'static str {
        match self {
            Step::Mojibake => "mojibake",
            Step::Controls => "controls",
            Step::Joiners => "joiners",
            Step::SpacingMarks => "spacing_marks",
            Step::CamelLigatures => "camel_ligatures",
            Step::PresentationForms => "presentation_forms",
            Step::Nfc => "nfc",
            Step::Nfkc => "nfkc",
            Step::Tatweel => "tatweel",
            Step::Diacritics => "diacritics",
            Step::Dediac => "dediac",
            Step::Lookalikes => "lookalikes",
            Step::Alef => "alef",
            Step::AlefMaksura => "alef_maksura",
            Step::TehMarbuta => "teh_marbuta",
            Step::Hamza => "hamza",
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
            Profile::Stored => &[
                Step::Controls,
                Step::SpacingMarks,
                Step::PresentationForms,
                Step::Nfc,
                Step::Whitespace,
            ],
            Profile::Key => &[
                Step::Controls,
                Step::Joiners,
                Step::SpacingMarks,
                Step::CamelLigatures,
                Step::Nfkc,
                Step::Tatweel,
                Step::Diacritics,
                Step::Lookalikes,
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

/// Applies a fixed list of normalization steps in one pass.
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
    plan: engine::Plan,
    mojibake: bool,
    table: Arc<engine::Table>,
    nolook: Option<Arc<engine::Table>>,
}

impl Normalizer {
    /// Builds a normalizer. The per-character tables are built once per distinct
    /// list of steps in a process and shared.
    ///
    /// # Errors
    /// [`Error::Config`] if the configuration is inconsistent.
    pub fn new(cfg: &NormalizeConfig) -> Result<Self> {
        let steps = cfg.steps();
        if let Some(s) = cfg.add.iter().find(|s| cfg.remove.contains(s)) {
            return Err(Error::Config(format!(
                "normalization step {s} is both added and removed"
            )));
        }
        let plan = engine::Plan::new(&steps);
        let (table, nolook) = engine::tables(&plan);
        Ok(Normalizer {
            mojibake: steps.contains(&Step::Mojibake),
            steps,
            plan,
            table,
            nolook,
        })
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
        let repaired = self.repair(text);
        let t = repaired.as_ref().map_or(text, |r| r.text.as_str());
        self.run(t, out, &mut ());
    }

    /// Normalizes `text` and maps every output byte to the `[start, end)` byte
    /// range of `text` it came from. Ranges are monotone; a character expanded to
    /// many (U+FDFA) maps all its output to itself, and characters composed or
    /// reordered together map to their whole cluster.
    pub fn normalize_with_offsets(&self, text: &str) -> (String, Vec<Range<usize>>) {
        let mut out = String::with_capacity(text.len());
        let mut offs = Vec::with_capacity(text.len());
        let repaired = self.repair(text);
        let t = repaired.as_ref().map_or(text, |r| r.text.as_str());
        self.run(t, &mut out, &mut offs);
        if let Some(r) = repaired {
            for o in &mut offs {
                *o = r.original_range(o.clone());
            }
        }
        (out, offs)
    }

    /// The simple, slow reference: each step over the whole text in turn. The
    /// fast path must give byte-identical output (checked by property tests).
    pub fn normalize_reference(&self, text: &str) -> String {
        let repaired = self.repair(text);
        let t = repaired.as_ref().map_or(text, |r| r.text.as_str());
        let look = self.plan.has_lookalikes() && detect(t).is_arabic();
        self.plan.reference(t, look)
    }

    fn repair(&self, text: &str) -> Option<mojibake::Repaired> {
        if self.mojibake {
            mojibake::repair(text)
        } else {
            None
        }
    }

    fn run<T: engine::Track>(&self, text: &str, out: &mut String, tr: &mut T) {
        if self.steps.is_empty() {
            out.push_str(text);
            if T::ON {
                for (i, c) in text.char_indices() {
                    tr.push(c.len_utf8(), i, i + c.len_utf8());
                }
            }
            return;
        }
        let looked = self.plan.run(&self.table, true, text, out, tr);
        if let Some(nolook) = &self.nolook {
            // The look-alike fold applies to Arabic documents only.
            if looked && !detect(text).is_arabic() {
                out.clear();
                tr.truncate(0);
                self.plan.run(nolook, false, text, out, tr);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unicode_version_is_that_of_the_data() {
        let (a, b, c) = unicode_normalization::UNICODE_VERSION;
        assert_eq!(UNICODE_VERSION, format!("{a}.{b}.{c}"));
    }

    #[test]
    fn step_names_round_trip() {
        for &s in Step::ALL {
            assert_eq!(s.name().parse::<Step>().expect("known"), s);
            let json = serde_json::to_string(&s).expect("serialize");
            assert_eq!(json, format!("\"{}\"", s.name()));
        }
        assert!("nope".parse::<Step>().is_err());
    }

    #[test]
    fn key_profile_folds_what_arabic_md_asks() {
        let key = Normalizer::new(&NormalizeConfig::default()).expect("key");
        let cases = [
            ("\u{200F}مرحبا\u{200F}", "مرحبا"),
            ("كل\u{200C}مة", "كلمه"),
            ("العـــــربية", "العربيه"),
            ("إِلَى مَدْرَسَةٍ", "الي مدرسه"),
            ("رحمٰن", "رحمن"),
            ("ا\u{0654}", "ا"),
            ("ب\u{FE76}ت", "بت"),
            ("\u{FDFA}", "صلي الله عليه وسلم"),
            ("\u{FDFC}", "ريال"),
            ("٣٫١٤ ۱۲", "3.14 12"),
            ("«نعم»، ؟", "\"نعم\", ?"),
            ("  a \t b  \r\n\r\n c ", "a b\n\nc"),
            ("Straße FILE", "strasse file"),
        ];
        for (input, want) in cases {
            assert_eq!(key.normalize(input), want, "{input:?}");
        }
    }

    #[test]
    fn lookalikes_only_for_arabic_documents() {
        let key = Normalizer::new(&NormalizeConfig::default()).expect("key");
        // An Arabic report quoting a tweet written with Urdu heh.
        assert_eq!(
            key.normalize("قالت الوزارة في بيانها إن ھذا الارھاب مرفوض"),
            "قالت الوزاره في بيانها ان هذا الارهاب مرفوض"
        );
        // A Persian sentence keeps its letters.
        let fa = "این یک کتاب خوب است که من خواندم";
        assert_eq!(key.normalize(fa), fa);
    }

    #[test]
    fn stored_never_changes_spelling() {
        let stored = Normalizer::new(&NormalizeConfig::profile(Profile::Stored)).expect("stored");
        let text = "إِلَى مَدْرَسَةٍ ى ة ٣ «x»";
        assert_eq!(stored.normalize(text), text.nfc_string());
        assert_eq!(stored.normalize("\u{FEF7}"), "لأ");
        assert_eq!(stored.normalize("ﬁ ½ كل\u{200C}مة"), "ﬁ ½ كل\u{200C}مة");
    }

    #[test]
    fn offsets_map_expansions_and_clusters() {
        let key = Normalizer::new(&NormalizeConfig::default()).expect("key");
        // One-to-many: every byte of U+FDFA's expansion maps to U+FDFA.
        let text = "ب \u{FDFA} ج";
        let (out, offs) = key.normalize_with_offsets(text);
        assert_eq!(out, "ب صلي الله عليه وسلم ج");
        let fdfa = 3..6;
        let from = out.find('ص').expect("expansion");
        let to = out.rfind('م').expect("expansion") + 'م'.len_utf8();
        assert!(
            offs[from..to].iter().all(|r| *r == fdfa),
            "{:?}",
            &offs[from..to]
        );
        // Many-to-one: ا + U+0654 composes; the result maps to the whole cluster.
        let (out, offs) = key.normalize_with_offsets("ا\u{0654}ب");
        assert_eq!(out, "اب");
        assert_eq!(offs[..2], [0..4, 0..4]);
        assert_eq!(offs[2..], [4..6, 4..6]);
        // Through a mojibake repair, to the mis-decoded token in the input.
        let mut cfg = NormalizeConfig::default();
        cfg.add.push(Step::Mojibake);
        let n = Normalizer::new(&cfg).expect("key + mojibake");
        let bad = "ط§ظ„ط¹ط±ط¨ظٹط©";
        let text = format!("x {bad} y");
        let (out, offs) = n.normalize_with_offsets(&text);
        assert_eq!(out, "x العربيه y");
        let tok = 2..2 + bad.len();
        assert!(offs[2..out.len() - 2].iter().all(|r| *r == tok));
        assert_eq!(offs[out.len() - 1], text.len() - 1..text.len());
    }

    trait NfcString {
        fn nfc_string(&self) -> String;
    }
    impl NfcString for str {
        fn nfc_string(&self) -> String {
            use unicode_normalization::UnicodeNormalization;
            self.nfc().collect()
        }
    }
}

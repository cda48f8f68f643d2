//! Per-document language detection with no downloaded model.
//!
//! Text mostly in Arabic script is told apart by its letter profile: letters that
//! only Arabic uses (ي ك ى), the Persian set (ی ک پ چ ژ گ), the Urdu set
//! (ٹ ڈ ڑ ں ے ہ ھ) and letters of other Arabic-script languages (Kurdish, Pashto,
//! Sindhi, Uyghur …). Other text goes to `whatlang`'s embedded trigram profiles.

use unicode_general_category::{GeneralCategory as G, get_general_category};
use unicode_normalization::char::decompose_compatible;

/// A detected language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    /// Arabic (any variety).
    Arabic,
    /// Persian.
    Persian,
    /// Urdu.
    Urdu,
    /// Another language in Arabic script (Kurdish, Pashto, Sindhi, Uyghur …).
    OtherArabicScript,
    /// A language in another script, as whatlang's ISO 639-3 code.
    Other(&'static str),
    /// Too little text to tell.
    Unknown,
}

impl Language {
    /// ISO 639-3 code (`ara`, `fas`, `urd`, `eng` …); `arb-script` for other
    /// Arabic-script languages and `und` when unknown.
    pub fn code(self) -> &'static str {
        match self {
            Language::Arabic => "ara",
            Language::Persian => "fas",
            Language::Urdu => "urd",
            Language::OtherArabicScript => "arab-script",
            Language::Other(c) => c,
            Language::Unknown => "und",
        }
    }
}

/// The result of [`detect`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Detection {
    /// The language.
    pub language: Language,
    /// Confidence in `[0, 1]`.
    pub confidence: f32,
    /// Share of the letters that are in Arabic script.
    pub arabic_script: f32,
}

impl Detection {
    /// True for Arabic: the documents the look-alike fold applies to.
    pub fn is_arabic(&self) -> bool {
        self.language == Language::Arabic
    }
}

/// Letters only (not the marks that are Alphabetic too), so that deleting
/// diacritics does not change the decision.
fn is_letter(c: char) -> bool {
    matches!(
        get_general_category(c),
        G::UppercaseLetter
            | G::LowercaseLetter
            | G::TitlecaseLetter
            | G::ModifierLetter
            | G::OtherLetter
    )
}

fn is_arabic_script_letter(c: char) -> bool {
    matches!(c, '\u{0620}'..='\u{063F}' | '\u{0641}'..='\u{064A}' | '\u{066E}'..='\u{066F}'
        | '\u{0671}'..='\u{06D3}' | '\u{06D5}' | '\u{06EE}'..='\u{06EF}' | '\u{06FA}'..='\u{06FF}'
        | '\u{0750}'..='\u{077F}' | '\u{0870}'..='\u{0887}' | '\u{0889}'..='\u{088E}'
        | '\u{08A0}'..='\u{08C9}' | '\u{FB50}'..='\u{FDFF}'
        | '\u{FE70}'..='\u{FEFC}')
}

/// How much each letter says for each language (Arabic, Persian, Urdu, other).
fn weights(c: char) -> [u32; 4] {
    match c {
        // Not ة أ إ: the key folds them away, and the decision must not change
        // when a key is normalized again.
        'ي' | 'ك' | 'ى' => [1, 0, 0, 0],
        'ی' | 'ک' => [0, 1, 0, 0],
        'پ' | 'چ' | 'ژ' | 'گ' => [0, 3, 0, 0],
        'ٹ' | 'ڈ' | 'ڑ' | 'ں' | 'ے' | 'ہ' | 'ھ' | 'ۓ' => [0, 0, 1, 0],
        // Kurdish, Pashto, Sindhi, Uyghur, Kashmiri …
        '\u{0695}' | '\u{06B5}' | '\u{06C6}' | '\u{06CE}' | '\u{06C7}' | '\u{06C8}'
        | '\u{06CB}' | '\u{06D0}' | '\u{067C}' | '\u{0693}' | '\u{0696}' | '\u{069A}'
        | '\u{06AB}' | '\u{06BC}' | '\u{06CD}' | '\u{0684}' | '\u{0683}' | '\u{0687}'
        | '\u{0699}' | '\u{06BB}' | '\u{067B}' | '\u{0680}' | '\u{067A}' | '\u{067D}'
        | '\u{067F}' | '\u{06A6}' | '\u{06B3}' | '\u{06B1}' | '\u{06AA}' => [0, 0, 0, 3],
        _ => [0; 4],
    }
}

/// How much text whatlang sees: its trigram profile settles long before this.
const WHATLANG_BYTES: usize = 4096;

/// Fewer letters than this outside Arabic script tell no language (a word or
/// two: `ok`, `x`), unless they are clearly English: `und`.
const MIN_OTHER_LETTERS: u32 = 10;

/// Detects the language of a document.
///
/// ```
/// use corpus_core::normalize::{detect, Language};
/// assert_eq!(detect("ذهبت الطالبة إلى المدرسة في الصباح").language, Language::Arabic);
/// assert_eq!(detect("این یک کتاب خوب است که من خواندم").language, Language::Persian);
/// assert_eq!(detect("یہ ایک اچھی کتاب ہے جو میں نے پڑھی").language, Language::Urdu);
/// ```
pub fn detect(text: &str) -> Detection {
    detect_among(text, false)
}

/// The languages [`detect_common`] tells apart outside Arabic script: the
/// common languages of web and news corpora.
const COMMON: &[whatlang::Lang] = {
    use whatlang::Lang::*;
    &[
        Eng, Fra, Spa, Deu, Ita, Por, Nld, Tur, Ind, Rus, Ukr, Pol, Heb, Hin, Cmn, Jpn, Kor, Ell,
        Swe, Vie, Tha, Ben, Tam, Ron, Ces, Hun,
    ]
};

/// English function words: in running English text about one word in three
/// or four is one of these.
const ENGLISH: &[&str] = &[
    "the", "of", "and", "to", "in", "is", "that", "for", "on", "with", "was", "as", "by", "at",
    "are", "from", "it", "has", "have", "be", "this", "which", "an", "were", "said", "he", "his",
    "their", "will", "not", "but", "they", "been", "after", "who", "had", "its", "would", "she",
    "her", "we", "more", "than", "also", "about", "into", "over",
];

/// Function words of the other common Latin-script languages (French, Spanish,
/// Portuguese, Italian, German, Dutch, Swedish) that are not English words.
const NOT_ENGLISH: &[&str] = &[
    "de", "la", "le", "et", "les", "des", "un", "une", "du", "est", "que", "el", "los", "las", "y",
    "por", "con", "para", "del", "der", "die", "das", "und", "ist", "nicht", "mit", "den", "il",
    "di", "che", "per", "non", "da", "della", "het", "een", "van", "op", "och", "att", "en", "em",
    "uma", "um", "dos", "ein", "eine", "zu", "auf", "sich",
];

/// A word of at most 8 ASCII letters, lowercased, as one integer (its bytes,
/// zero-padded): the function-word lists are searched as sorted integers, not
/// compared string by string (a hundred comparisons per word).
fn word_key(w: &str) -> u64 {
    let mut b = [0u8; 8];
    b[..w.len()].copy_from_slice(w.as_bytes());
    b.make_ascii_lowercase();
    u64::from_le_bytes(b)
}

/// [`ENGLISH`] and [`NOT_ENGLISH`] as sorted [`word_key`]s.
static FUNCTION_WORDS: std::sync::LazyLock<(Vec<u64>, Vec<u64>)> = std::sync::LazyLock::new(|| {
    let keys = |list: &[&str]| {
        let mut k: Vec<u64> = list.iter().map(|w| word_key(w)).collect();
        k.sort_unstable();
        k
    };
    (keys(ENGLISH), keys(NOT_ENGLISH))
});

/// Decides English from function words alone when the evidence is strong (at
/// least 8 words, a fifth of them English function words, and almost none of
/// another language's): the common case of English text in a bulk job, at a
/// small fraction of the trigram detector's cost. `None` leaves the decision to
/// the trigram detector. Returns the confidence.
fn clearly_english(text: &str) -> Option<f32> {
    let (mut words, mut en, mut other) = (0u32, 0u32, 0u32);
    for w in text
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
    {
        if !w.is_ascii() {
            if w.chars().any(|c| matches!(c, '\u{C0}'..='\u{24F}')) {
                // Accented Latin letters: not English; let the trigrams decide.
                return None;
            }
            // Another script (a quoted Arabic name, say): not a Latin word.
            continue;
        }
        words += 1;
        if w.len() <= 8 {
            let w = word_key(w);
            let (english, not_english) = &*FUNCTION_WORDS;
            en += u32::from(english.binary_search(&w).is_ok());
            other += u32::from(not_english.binary_search(&w).is_ok());
        }
    }
    (words >= 8 && 5 * en >= words && 8 * other <= en)
        .then(|| (en as f32 / words as f32 * 2.5).min(1.0))
}

/// A detector limited to [`COMMON`], built once.
static COMMON_DETECTOR: std::sync::LazyLock<whatlang::Detector> =
    std::sync::LazyLock::new(|| whatlang::Detector::with_allowlist(COMMON.to_vec()));

/// [`detect`] choosing among common languages only outside Arabic script
/// (see the list in the source): whatlang's cost is per candidate language, so
/// this is several times cheaper on Latin-script text, for per-document labels
/// in bulk jobs. Arabic-script decisions are the same as [`detect`]'s.
pub fn detect_common(text: &str) -> Detection {
    detect_among(text, true)
}

/// Letter counts of a text: Arabic-script letters, other letters, and the
/// weights of [`weights`] summed per language.
#[derive(Default)]
struct Tally {
    arabic: u32,
    other: u32,
    score: [u32; 4],
}

impl Tally {
    /// Counts `c` as the letters of its compatibility decomposition.
    fn add_decomposed(&mut self, c: char) {
        if matches!(c, '\u{FDFC}' | '\u{FDFD}') {
            // As the key's `camel_ligatures` spells them out.
            let mut spelled = String::new();
            super::tables::map_char(super::Step::CamelLigatures, c, &mut spelled);
            spelled.chars().for_each(|c| self.add(c));
        } else {
            decompose_compatible(c, |c| self.add(c));
        }
    }

    fn add(&mut self, c: char) {
        // What the key deletes does not count, so that a key is judged as its text.
        if c == '\u{0640}' || super::tables::is_diacritic(c) {
            return;
        }
        if is_arabic_script_letter(c) {
            self.arabic += 1;
            for (s, w) in self.score.iter_mut().zip(weights(c)) {
                *s += w;
            }
        } else if is_letter(c) {
            self.other += 1;
        }
    }
}

/// Bits per field of a [`Tally`] packed in a `u64` (see [`arabic_block`]).
const LANE: u32 = 10;

/// Letters of the Arabic block added to a packed sum before it is unpacked:
/// no field of it can then pass `2^LANE - 1` (one letter adds at most 5 to a
/// field, a test checks).
const PACKED_RUN: u32 = 200;

/// The fields of a [`Tally`] (arabic, other, the four scores), each in a lane
/// of [`LANE`] bits of one word.
fn pack(t: &Tally) -> u64 {
    [
        t.arabic, t.other, t.score[0], t.score[1], t.score[2], t.score[3],
    ]
    .iter()
    .enumerate()
    .map(|(k, &v)| u64::from(v) << (LANE * k as u32))
    .sum()
}

/// [`Tally::add_decomposed`] of every character of the Arabic block, computed
/// once and packed: the vote's inner loop then adds one word per letter.
fn arabic_block() -> &'static [u64; 256] {
    static T: std::sync::OnceLock<[u64; 256]> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        std::array::from_fn(|i| {
            let mut t = Tally::default();
            if let Some(c) = char::from_u32(0x600 + i as u32) {
                t.add_decomposed(c);
            }
            pack(&t)
        })
    })
}

impl Tally {
    /// Adds a sum of [`pack`]ed tallies.
    fn add_packed(&mut self, sum: u64) {
        let lane = |k: u32| (sum >> (LANE * k) & ((1 << LANE) - 1)) as u32;
        self.arabic += lane(0);
        self.other += lane(1);
        for (k, s) in self.score.iter_mut().enumerate() {
            *s += lane(2 + k as u32);
        }
    }
}

/// The letter counts of `text` (see [`Tally`]).
fn tally(text: &str) -> Tally {
    let mut t = Tally::default();
    let block = arabic_block();
    // Letters of the Arabic block, summed packed: `run` of them in `sum`.
    let (mut sum, mut run) = (0u64, 0u32);
    let b = text.as_bytes();
    let mut i = 0;
    // Every character counts as the letters of its decomposition, so that
    // normalizing (ﮤ → ۀ, presentation forms, Hangul) cannot change the result.
    // ASCII and the Arabic block (leads 0xD8–0xDB) take tables, read off the
    // bytes; other characters are decoded.
    while i < b.len() {
        let x = b[i];
        if x < 0x80 {
            t.other += u32::from(x.is_ascii_alphabetic());
            i += 1;
        } else if let (0xD8..=0xDB, Some(&y)) = (x, b.get(i + 1)) {
            sum += block[usize::from(x & 0x03) << 6 | usize::from(y & 0x3F)];
            run += 1;
            if run == PACKED_RUN {
                t.add_packed(sum);
                (sum, run) = (0, 0);
            }
            i += 2;
        } else {
            let c = text[i..].chars().next().unwrap_or_default();
            t.add_decomposed(c);
            i += c.len_utf8();
        }
    }
    t.add_packed(sum);
    t
}

fn detect_among(text: &str, common_only: bool) -> Detection {
    let Tally {
        arabic,
        other,
        score,
    } = tally(text);
    let letters = arabic + other;
    if letters == 0 {
        return Detection {
            language: Language::Unknown,
            confidence: 0.0,
            arabic_script: 0.0,
        };
    }
    let share = arabic as f32 / letters as f32;
    if arabic >= other {
        let total: u32 = score.iter().sum();
        let (language, confidence) = if total == 0 {
            // Only letters common to all: most likely Arabic, weakly.
            (Language::Arabic, 0.5)
        } else {
            let f = |k: usize| score[k] as f32 / total as f32;
            if f(3) > 0.15 {
                (Language::OtherArabicScript, f(3))
            } else if f(0) >= 0.5 {
                (Language::Arabic, f(0))
            } else if f(2) >= 0.12 {
                (Language::Urdu, f(1) + f(2))
            } else {
                (Language::Persian, f(1))
            }
        };
        // Few deciding letters, little confidence.
        let evidence = (total as f32 / 10.0).min(1.0);
        return Detection {
            language,
            confidence: confidence * share * (0.5 + 0.5 * evidence),
            arabic_script: share,
        };
    }
    let mut end = text.len().min(WHATLANG_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let info = if common_only {
        if let Some(confidence) = clearly_english(&text[..end]) {
            return Detection {
                language: Language::Other(whatlang::Lang::Eng.code()),
                confidence: confidence * (1.0 - share),
                arabic_script: share,
            };
        }
        if other < MIN_OTHER_LETTERS {
            None
        } else {
            COMMON_DETECTOR.detect(&text[..end])
        }
    } else if other < MIN_OTHER_LETTERS {
        None
    } else {
        whatlang::detect(&text[..end])
    };
    match info {
        Some(info) => Detection {
            language: Language::Other(info.lang().code()),
            confidence: info.confidence() as f32 * (1.0 - share),
            arabic_script: share,
        },
        None => Detection {
            language: Language::Unknown,
            confidence: 0.0,
            arabic_script: share,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The packed sums cannot overflow a lane: every field a letter of the
    /// Arabic block adds, times the letters summed before unpacking, fits.
    #[test]
    fn packed_letters_fit_their_lanes() {
        for &packed in arabic_block() {
            for k in 0..6 {
                let v = (packed >> (LANE * k)) & ((1 << LANE) - 1);
                assert!(v * u64::from(PACKED_RUN) < 1 << LANE);
            }
        }
        // Real texts and a long one (many unpackings) count as letter by letter.
        let mut texts = crate::seed_texts();
        texts.push("يكی پ ڈ ه a ﻻ".repeat(500));
        for text in texts {
            let mut want = Tally::default();
            for c in text.chars() {
                if c.is_ascii() {
                    want.other += u32::from(c.is_ascii_alphabetic());
                } else {
                    want.add_decomposed(c);
                }
            }
            let got = tally(&text);
            assert_eq!(
                (got.arabic, got.other, got.score),
                (want.arabic, want.other, want.score)
            );
        }
    }

    /// A word or two outside Arabic script is `und`, not a confident guess
    /// (`ok` was Hungarian, `x` Spanish); a sentence is still told.
    #[test]
    fn too_few_letters_tell_no_language() {
        for text in ["x", "ok", "a b c", "the end", "12345 ...", "Mr. X"] {
            for common in [true, false] {
                let d = detect_among(text, common);
                assert_eq!(d.language, Language::Unknown, "{text:?}");
                assert_eq!(d.confidence, 0.0, "{text:?}");
            }
        }
        let d = detect_common("Le gouvernement a annoncé de nouvelles mesures");
        assert_eq!(d.language, Language::Other(whatlang::Lang::Fra.code()));
    }

    /// The integer lookup answers as the lists do, whatever the case, and for
    /// words that are prefixes or extensions of listed ones.
    #[test]
    fn function_word_keys_match_the_lists() {
        let (english, not_english) = &*FUNCTION_WORDS;
        let mut probes: Vec<String> = Vec::new();
        for w in ENGLISH.iter().chain(NOT_ENGLISH) {
            assert!(w.len() <= 8, "{w} does not fit a key");
            probes.push(w.to_string());
            probes.push(w.to_uppercase());
            probes.push(w[..w.len() - 1].to_owned());
            probes.push(format!("{w}s"));
        }
        probes.extend(["", "a", "theater", "Zzzzzzzz", "undo", "dies"].map(String::from));
        for p in probes.iter().filter(|p| p.len() <= 8) {
            let lower = p.to_ascii_lowercase();
            let key = word_key(p);
            assert_eq!(
                english.binary_search(&key).is_ok(),
                ENGLISH.contains(&lower.as_str()),
                "{p}"
            );
            assert_eq!(
                not_english.binary_search(&key).is_ok(),
                NOT_ENGLISH.contains(&lower.as_str()),
                "{p}"
            );
        }
    }
}

//! Mojibake: UTF-8 text that was decoded with a single-byte code page and saved
//! again as UTF-8. Arabic read as windows-1256 looks like `ط§ظ„ط¹ط±ط¨ظٹط©`, read as
//! windows-1252 or Latin-1 like `Ø§Ù„Ø¹Ø±Ø¨ÙŠØ©`; European text like `fÃ¼r`.
//!
//! A token is repaired only when mapping its characters back to the code page's
//! bytes gives valid UTF-8 that differs from it: ordinary Arabic or Latin words
//! almost never survive that round trip, so the repair is unambiguous.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::OnceLock;

/// Which code page a mojibake token was decoded with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MojibakeKind {
    /// UTF-8 read as windows-1256 (Arabic Windows).
    Windows1256 = 0,
    /// UTF-8 read as windows-1252 or Latin-1 (doubly encoded UTF-8).
    Latin1 = 1,
}

/// Mojibake found in one document.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MojibakeReport {
    /// Tokens that are UTF-8 read as windows-1256.
    pub windows_1256: usize,
    /// Tokens that are UTF-8 read as windows-1252/Latin-1.
    pub latin1: usize,
}

impl MojibakeReport {
    /// Total number of mojibake tokens.
    pub fn total(&self) -> usize {
        self.windows_1256 + self.latin1
    }
}

/// Byte of each non-ASCII character of a code page (0x80–0xFF).
fn reverse(enc: &'static encoding_rs::Encoding) -> HashMap<char, u8> {
    let bytes: Vec<u8> = (0x80..=0xFF).collect();
    let (s, _) = enc.decode_without_bom_handling(&bytes);
    s.chars().zip(bytes.iter().copied()).collect()
}

fn cp1256() -> &'static HashMap<char, u8> {
    static T: OnceLock<HashMap<char, u8>> = OnceLock::new();
    T.get_or_init(|| reverse(encoding_rs::WINDOWS_1256))
}

fn cp1252() -> &'static HashMap<char, u8> {
    static T: OnceLock<HashMap<char, u8>> = OnceLock::new();
    T.get_or_init(|| {
        let mut m = reverse(encoding_rs::WINDOWS_1252);
        // Latin-1 proper: C1 controls stand for their own byte.
        for b in 0x80..=0x9Fu8 {
            m.entry(char::from(b)).or_insert(b);
        }
        m
    })
}

/// Maps `token` back to code-page bytes and decodes them as UTF-8.
fn round_trip(token: &str, table: &HashMap<char, u8>) -> Option<String> {
    let mut bytes = Vec::with_capacity(token.len());
    let mut high = false;
    for c in token.chars() {
        if c.is_ascii() {
            bytes.push(c as u8);
        } else {
            bytes.push(*table.get(&c)?);
            high = true;
        }
    }
    if !high {
        return None;
    }
    let s = String::from_utf8(bytes).ok()?;
    (s != token).then_some(s)
}

/// Repairs one token, if it is mojibake. A *strong* token holds the lead-byte
/// characters of 2-byte UTF-8 (ط ظ ع غ for windows-1256, Â … ô for Latin-1);
/// others (`آ` + NBSP, `â€` + ZWNJ) are only repaired in a document that has a
/// strong token of the same kind, since alone they could be real text.
fn repair_token(token: &str, weak: [bool; 2]) -> Option<(MojibakeKind, String, bool)> {
    let strong_1256 = token.chars().any(|c| matches!(c, '\u{0637}'..='\u{063A}'));
    if (strong_1256 || weak[0])
        && let Some(s) = round_trip(token, cp1256())
    {
        return Some((MojibakeKind::Windows1256, s, strong_1256));
    }
    let strong_latin = token.chars().any(|c| matches!(c, '\u{00C2}'..='\u{00F4}'));
    if (strong_latin || weak[1])
        && let Some(s) = round_trip(token, cp1252())
    {
        return Some((MojibakeKind::Latin1, s, strong_latin));
    }
    None
}

/// The mojibake tokens of `text`: (range, kind, repair).
fn find(text: &str) -> Vec<(Range<usize>, MojibakeKind, String)> {
    let mut strong = [false; 2];
    let mut found = Vec::new();
    for t in tokens(text) {
        if let Some((kind, fixed, is_strong)) = repair_token(&text[t.clone()], [false; 2]) {
            strong[kind as usize] |= is_strong;
            found.push((t, kind, fixed));
        }
    }
    if !(strong[0] || strong[1]) {
        return Vec::new();
    }
    // Second pass: weak tokens of a kind the document is known to have.
    found.clear();
    for t in tokens(text) {
        if let Some((kind, fixed, _)) = repair_token(&text[t.clone()], strong) {
            found.push((t, kind, fixed));
        }
    }
    found
}

/// Tokens between ASCII whitespace (which survives mis-decoding, unlike the
/// U+00A0 that a 0xA0 continuation byte turns into) with their byte ranges.
fn tokens(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut pos = 0;
    std::iter::from_fn(move || {
        let rest = &text[pos..];
        let start = pos + rest.find(|c: char| !c.is_ascii_whitespace())?;
        let end = text[start..]
            .find(|c: char| c.is_ascii_whitespace())
            .map_or(text.len(), |e| start + e);
        pos = end;
        Some(start..end)
    })
}

/// Counts mojibake tokens in `text`.
pub fn detect_mojibake(text: &str) -> MojibakeReport {
    let mut r = MojibakeReport::default();
    for (_, kind, _) in find(text) {
        match kind {
            MojibakeKind::Windows1256 => r.windows_1256 += 1,
            MojibakeKind::Latin1 => r.latin1 += 1,
        }
    }
    r
}

/// Repairs every mojibake token of `text`; borrows it when there is none.
pub fn repair_mojibake(text: &str) -> Cow<'_, str> {
    match repair(text) {
        Some(r) => Cow::Owned(r.text),
        None => Cow::Borrowed(text),
    }
}

/// A repaired text and where its replaced tokens came from.
#[derive(Debug)]
pub(crate) struct Repaired {
    pub text: String,
    /// (range in `text`, range in the original), sorted.
    edits: Vec<(Range<usize>, Range<usize>)>,
}

impl Repaired {
    /// Maps a range of the repaired text back to the original.
    pub fn original_range(&self, r: Range<usize>) -> Range<usize> {
        let map = |p: usize, is_end: bool| -> usize {
            // The last edit starting at or before p.
            let i = self.edits.partition_point(|(new, _)| new.start <= p);
            if i == 0 {
                return p;
            }
            let (new, old) = &self.edits[i - 1];
            if p < new.end || (is_end && p == new.end) {
                if is_end { old.end } else { old.start }
            } else {
                p - new.end + old.end
            }
        };
        map(r.start, false)..map(r.end, true).max(map(r.start, false))
    }
}

pub(crate) fn repair(text: &str) -> Option<Repaired> {
    let found = find(text);
    if found.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut edits = Vec::with_capacity(found.len());
    let mut last = 0;
    for (t, _, fixed) in found {
        out.push_str(&text[last..t.start]);
        let start = out.len();
        out.push_str(&fixed);
        edits.push((start..out.len(), t.clone()));
        last = t.end;
    }
    out.push_str(&text[last..]);
    Some(Repaired { text: out, edits })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repairs_both_kinds_and_leaves_real_text() {
        let ar = "العربية";
        let bad: String = encoding_rs::WINDOWS_1256
            .decode(ar.as_bytes())
            .0
            .into_owned();
        assert_eq!(bad, "ط§ظ„ط¹ط±ط¨ظٹط©");
        assert_eq!(
            repair_mojibake(&format!("{bad} فقط، نعم")),
            "العربية فقط، نعم"
        );
        assert_eq!(repair_mojibake("fÃ¼r Ã¼ber"), "für über");
        assert_eq!(detect_mojibake("fÃ¼r und für").latin1, 1);
        for real in ["فقط، طظعغ", "für Ärger", "naïve café"] {
            assert_eq!(detect_mojibake(real).total(), 0, "{real}");
        }
        let r = repair(&format!("x {bad} y")).expect("repaired");
        assert_eq!(r.text, "x العربية y");
        assert_eq!(r.original_range(2..4), 2..2 + bad.len());
        assert_eq!(r.original_range(r.text.len() - 1..r.text.len()), {
            let n = 2 + bad.len() + 1;
            n..n + 1
        });
    }
}

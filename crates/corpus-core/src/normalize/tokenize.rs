//! Word tokens (the reference tokenizer, matching CAMeL's `simple_word_tokenize`)
//! and sentence spans.

use std::ops::Range;

use unicode_general_category::{GeneralCategory as G, get_general_category};

/// Python's `str.split()` whitespace, which CAMeL splits words on.
pub(crate) fn is_py_space(c: char) -> bool {
    matches!(c, '\t'..='\r' | '\u{1C}'..='\u{20}' | '\u{85}' | '\u{A0}' | '\u{1680}'
        | '\u{2000}'..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}')
}

pub(crate) fn is_punct_or_symbol(c: char) -> bool {
    matches!(
        get_general_category(c),
        G::ConnectorPunctuation
            | G::DashPunctuation
            | G::OpenPunctuation
            | G::ClosePunctuation
            | G::InitialPunctuation
            | G::FinalPunctuation
            | G::OtherPunctuation
            | G::MathSymbol
            | G::CurrencySymbol
            | G::ModifierSymbol
            | G::OtherSymbol
    )
}

fn is_regional(c: char) -> bool {
    matches!(c, '\u{1F1E6}'..='\u{1F1FF}')
}

fn is_skin_tone(c: char) -> bool {
    matches!(c, '\u{1F3FB}'..='\u{1F3FF}')
}

/// Characters that can start an emoji sequence.
fn is_emoji_base(c: char) -> bool {
    matches!(c, '0'..='9' | '#' | '*') || is_punct_or_symbol(c)
}

/// Length in bytes of the emoji sequence at the start of `s` (flag, skin tone,
/// variation selector, keycap, tag sequence, ZWJ sequence), if it is longer than
/// one character; a lone character is judged by its category instead.
fn emoji_len(s: &str) -> Option<usize> {
    let mut it = s.char_indices().peekable();
    let element = |it: &mut std::iter::Peekable<std::str::CharIndices<'_>>| -> Option<usize> {
        let (at, c) = it.next()?;
        if is_regional(c) {
            let (i, d) = *it.peek()?;
            if is_regional(d) {
                it.next();
                return Some(i + d.len_utf8());
            }
            return None;
        }
        if !is_emoji_base(c) {
            return None;
        }
        let mut end = None;
        match it.peek().copied() {
            Some((i, d)) if is_skin_tone(d) => {
                it.next();
                end = Some(i + d.len_utf8());
            }
            Some((i, '\u{FE0F}')) => {
                it.next();
                end = Some(i + 3);
                if let Some((j, '\u{20E3}')) = it.peek().copied() {
                    it.next();
                    end = Some(j + 3);
                }
            }
            Some((i, '\u{20E3}')) if matches!(c, '0'..='9' | '#' | '*') => {
                it.next();
                end = Some(i + 3);
            }
            Some((_, '\u{E0020}'..='\u{E007E}')) => {
                let mut last = 0;
                while let Some((i, d @ '\u{E0020}'..='\u{E007E}')) = it.peek().copied() {
                    it.next();
                    last = i + d.len_utf8();
                }
                if let Some((i, '\u{E007F}')) = it.peek().copied() {
                    it.next();
                    end = Some(i + 4);
                } else {
                    end = Some(last);
                }
            }
            _ => {}
        }
        Some(end.unwrap_or(at + c.len_utf8()))
    };
    let first_char = s.chars().next()?;
    let mut end = element(&mut it)?;
    // ZWJ continuations, each followed by another element.
    while let Some((_, '\u{200D}')) = it.peek().copied() {
        let mut probe = it.clone();
        probe.next();
        match element(&mut probe) {
            Some(e) => {
                end = e.max(end);
                it = probe;
            }
            _ => break,
        }
    }
    (end > first_char.len_utf8()).then_some(end)
}

/// Splits text into word tokens the way CAMeL's `simple_word_tokenize` does:
/// on whitespace, then every punctuation or symbol character and every emoji
/// sequence becomes a token of its own. Marks, tatweel and digits stay inside
/// words.
///
/// ```
/// let w: Vec<_> = corpus_core::normalize::words("قال: «نعم»، 3.5٪ 👍🏽").collect();
/// assert_eq!(w, ["قال", ":", "«", "نعم", "»", "،", "3", ".", "5", "٪", "👍🏽"]);
/// ```
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(is_py_space)
        .filter(|w| !w.is_empty())
        .flat_map(split_word)
}

pub(crate) fn split_word(word: &str) -> impl Iterator<Item = &str> {
    let mut rest = word;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        // Length of the symbol token at `i`, if one starts there.
        let symbol = |s: &str| -> Option<usize> {
            if let Some(n) = emoji_len(s) {
                return Some(n);
            }
            let c = s.chars().next()?;
            is_punct_or_symbol(c).then_some(c.len_utf8())
        };
        if let Some(n) = symbol(rest) {
            let (tok, r) = rest.split_at(n);
            rest = r;
            return Some(tok);
        }
        let mut end = rest.len();
        for (i, _) in rest.char_indices().skip(1) {
            if symbol(&rest[i..]).is_some() {
                end = i;
                break;
            }
        }
        let (tok, r) = rest.split_at(end);
        rest = r;
        Some(tok)
    })
}

fn is_terminator(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '\u{061F}' | '\u{06D4}' | '\u{2026}')
}

fn is_closer(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | ')' | ']' | '}' | '\u{BB}' | '\u{2019}' | '\u{201D}' | '\u{203A}'
    )
}

fn is_arabic_letter(c: char) -> bool {
    matches!(c, '\u{0620}'..='\u{064A}' | '\u{066E}'..='\u{06D3}' | '\u{06D5}'
        | '\u{0750}'..='\u{077F}' | '\u{08A0}'..='\u{08C9}')
}

/// Splits text into sentences and returns their byte ranges (trimmed, never
/// empty). A sentence ends at `.` `!` `?` ؟ ۔ `…` (with any closing quotes or
/// brackets after them) when whitespace, the end of the text or an Arabic letter
/// follows, and at every line break. It does not end at ، or ؛, nor inside a
/// number (`3.5`).
///
/// ```
/// let t = "قال: نعم، جاء.ثم ذهب؟ العدد 3.5 هنا!\nسطر";
/// let s: Vec<_> = corpus_core::normalize::sentences(t).map(|r| &t[r]).collect();
/// assert_eq!(s, ["قال: نعم، جاء.", "ثم ذهب؟", "العدد 3.5 هنا!", "سطر"]);
/// ```
pub fn sentences(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut cuts = Vec::new();
    let mut chars = text.char_indices().peekable();
    let mut prev: Option<char> = None;
    while let Some((i, c)) = chars.next() {
        if matches!(c, '\n' | '\r' | '\u{2029}' | '\u{2028}' | '\u{85}') {
            cuts.push(i + c.len_utf8());
        } else if is_terminator(c) {
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = chars.peek() {
                if is_terminator(d) || is_closer(d) {
                    end = j + d.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            let next = chars.peek().map(|&(_, d)| d);
            let in_number = c == '.'
                && end == i + 1
                && prev.is_some_and(|p| p.is_numeric())
                && next.is_some_and(|d| d.is_numeric());
            let split = match next {
                None => true,
                Some(d) => d.is_whitespace() || is_arabic_letter(d),
            };
            if split && !in_number {
                cuts.push(end);
            }
            prev = Some(c);
            continue;
        }
        prev = Some(c);
    }
    cuts.push(text.len());
    let mut start = 0;
    cuts.into_iter().filter_map(move |end| {
        let s = &text[start..end];
        let lead = s.len() - s.trim_start().len();
        let r = (start + lead)..(start + s.trim_end().len());
        start = end;
        (!r.is_empty()).then_some(r)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(t: &str) -> Vec<&str> {
        sentences(t).map(|r| &t[r]).collect()
    }

    #[test]
    fn sentence_rule_of_arabic_md() {
        // Ends at . ! ? ؟ ۔ … and line breaks; also before an Arabic letter.
        assert_eq!(split("حضرت؟نعم"), ["حضرت؟", "نعم"]);
        assert_eq!(
            split("جاء! ثم ذهب۔ وعاد… أخيرا"),
            ["جاء!", "ثم ذهب۔", "وعاد…", "أخيرا"]
        );
        // Not at ، or ؛, nor inside numbers.
        assert_eq!(
            split("قال، ثم؛ بلغ ٣٫٥ و3.5 بالمئة."),
            ["قال، ثم؛ بلغ ٣٫٥ و3.5 بالمئة."]
        );
        // Closing quotes stay with their sentence; runs of terminators are one end.
        assert_eq!(
            split("قال: «انتهى.» ماذا؟!  نعم"),
            ["قال: «انتهى.»", "ماذا؟!", "نعم"]
        );
        assert_eq!(split("سطر\r\n\nآخر"), ["سطر", "آخر"]);
        assert_eq!(split("   "), Vec::<&str>::new());
        // Latin abbreviations and URLs glued to letters do not split.
        assert_eq!(
            split("see www.example.com now"),
            ["see www.example.com now"]
        );
    }

    #[test]
    fn words_split_like_camel() {
        let w: Vec<_> =
            words("و«الحكومة»(2024) ـ بـ\"جرائم\" كل\u{200C}مة 👨\u{200D}👩\u{200D}👧").collect();
        assert_eq!(
            w,
            [
                "و",
                "«",
                "الحكومة",
                "»",
                "(",
                "2024",
                ")",
                "ـ",
                "بـ",
                "\"",
                "جرائم",
                "\"",
                "كل\u{200C}مة",
                "👨\u{200D}👩\u{200D}👧"
            ]
        );
    }
}

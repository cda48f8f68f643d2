//! A fast tokenizer equal to [`crate::normalize::words`]: the standard library's
//! `char::is_alphanumeric` does a slow table search for every non-ASCII
//! character, which made tokenizing Arabic the most expensive part of sketching.
//! Here the ASCII and Arabic blocks are classified by a lookup table built once.

use std::sync::OnceLock;

const SPACE: u8 = 0;
const WORD: u8 = 1;
const OTHER: u8 = 2;

/// Arabic diacritics, Quranic marks and tatweel: part of a word (as in `words`).
fn is_mark(c: char) -> bool {
    matches!(c, '\u{0610}'..='\u{061A}' | '\u{064B}'..='\u{065F}' | '\u{0670}'
        | '\u{06D6}'..='\u{06DC}' | '\u{06DF}'..='\u{06E8}' | '\u{06EA}'..='\u{06ED}' | '\u{0640}')
}

fn classify_slow(c: char) -> u8 {
    if c.is_whitespace() {
        SPACE
    } else if c.is_alphanumeric() || is_mark(c) {
        WORD
    } else {
        OTHER
    }
}

/// Classes of U+0000–U+07FF (ASCII, Latin, Greek, Cyrillic, Hebrew, Arabic).
fn table() -> &'static [u8; 0x800] {
    static T: OnceLock<[u8; 0x800]> = OnceLock::new();
    T.get_or_init(|| {
        let mut t = [OTHER; 0x800];
        for (i, slot) in t.iter_mut().enumerate() {
            if let Some(c) = char::from_u32(i as u32) {
                *slot = classify_slow(c);
            }
        }
        t
    })
}

/// Calls `f` with every word token of `text`, exactly as `normalize::words` yields
/// them: runs of letters, digits and marks; every other non-space character alone.
#[inline]
pub(crate) fn for_each_word<'a>(text: &'a str, mut f: impl FnMut(&'a str)) {
    let t = table();
    let class = |c: char| -> u8 {
        let u = c as u32;
        if u < 0x800 {
            t[u as usize]
        } else {
            classify_slow(c)
        }
    };
    let mut start: Option<usize> = None;
    for (i, c) in text.char_indices() {
        match class(c) {
            WORD => {
                if start.is_none() {
                    start = Some(i);
                }
            }
            k => {
                if let Some(s) = start.take() {
                    f(&text[s..i]);
                }
                if k == OTHER {
                    f(&text[i..i + c.len_utf8()]);
                }
            }
        }
    }
    if let Some(s) = start {
        f(&text[s..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::words;

    fn ours(s: &str) -> Vec<&str> {
        let mut v = Vec::new();
        for_each_word(s, |w| v.push(w));
        v
    }

    #[test]
    fn equals_normalize_words_on_real_text() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../corpora/seeds");
        let mut n = 0;
        for e in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
            assert_eq!(ours(&text), words(&text).collect::<Vec<_>>());
            n += 1;
        }
        assert!(n >= 5);
    }

    proptest::proptest! {
        #[test]
        fn equals_normalize_words(s in "\\PC{0,80}|[ a-z0-9\u{0600}-\u{06FF}\u{064B}\u{0640}.,:\u{00A0}\u{2003}]{0,80}") {
            proptest::prop_assert_eq!(ours(&s), words(&s).collect::<Vec<_>>());
        }
    }
}

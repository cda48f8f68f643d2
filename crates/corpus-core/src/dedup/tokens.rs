//! A fast tokenizer equal to [`crate::normalize::words`]: the standard library's
//! `char::is_alphanumeric` does a slow table search for every non-ASCII
//! character, which made tokenizing Arabic the most expensive part of sketching.
//! Here the ASCII and Arabic blocks are classified by a lookup table built once.

use std::sync::OnceLock;

use crate::normalize::tokenize::{is_punct_or_symbol, is_py_space, split_word};

const SPACE: u8 = 0;
const WORD: u8 = 1;
const OTHER: u8 = 2;

/// Classes of U+0000–U+07FF (ASCII, Latin, Greek, Cyrillic, Hebrew, Arabic), as
/// `normalize::words` sees them: Python whitespace, punctuation or symbol (a
/// token alone), or part of a word.
fn table() -> &'static [u8; 0x800] {
    static T: OnceLock<[u8; 0x800]> = OnceLock::new();
    T.get_or_init(|| {
        let mut t = [WORD; 0x800];
        for (i, slot) in t.iter_mut().enumerate() {
            if let Some(c) = char::from_u32(i as u32) {
                *slot = if is_py_space(c) {
                    SPACE
                } else if is_punct_or_symbol(c) {
                    OTHER
                } else {
                    WORD
                };
            }
        }
        t
    })
}

/// Calls `f` with every word token of `text`, exactly as `normalize::words` yields
/// them. A whitespace-delimited word made only of characters below U+0800 is split
/// by the table; emoji sequences need characters above it, so any other word goes
/// through `normalize`'s own splitter.
#[inline]
pub(crate) fn for_each_word<'a>(text: &'a str, mut f: impl FnMut(&'a str)) {
    let t = table();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // Skip whitespace (any Python space: the table for small ones).
        let c = text[i..].chars().next().unwrap_or(' ');
        let u = c as u32;
        let is_space = if u < 0x800 {
            t[u as usize] == SPACE
        } else {
            is_py_space(c)
        };
        if is_space {
            i += c.len_utf8();
            continue;
        }
        // The whitespace-delimited word starting at i.
        let mut end = i;
        let mut wide = false;
        for (k, d) in text[i..].char_indices() {
            let v = d as u32;
            let space = if v < 0x800 {
                t[v as usize] == SPACE
            } else {
                is_py_space(d)
            };
            if space {
                break;
            }
            wide |= v >= 0x800;
            end = i + k + d.len_utf8();
        }
        let word = &text[i..end];
        if wide {
            split_word(word).for_each(&mut f);
        } else {
            let mut start: Option<usize> = None;
            for (k, d) in word.char_indices() {
                if t[d as usize] == OTHER {
                    if let Some(s) = start.take() {
                        f(&word[s..k]);
                    }
                    f(&word[k..k + d.len_utf8()]);
                } else if start.is_none() {
                    start = Some(k);
                }
            }
            if let Some(s) = start {
                f(&word[s..]);
            }
        }
        i = end;
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
        fn equals_normalize_words(s in "\\PC{0,80}|[ a-z0-9\u{0600}-\u{06FF}\u{064B}\u{0640}.,:\u{00A0}\u{2003}\u{00A9}\u{FE0F}\u{200D}\u{1F600}]{0,80}") {
            proptest::prop_assert_eq!(ours(&s), words(&s).collect::<Vec<_>>());
        }
    }
}

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

/// Most tokens a whitespace-delimited word is split into before it is handed
/// to the general splitter instead (a long run of punctuation).
const MAX_PARTS: usize = 32;

/// Calls `f` with every word token of `text`, exactly as `normalize::words` yields
/// them. A whitespace-delimited word made only of characters below U+0800 is split
/// by the table in one pass over its bytes, its tokens held back until its end;
/// emoji sequences need characters above U+0800, so a word that has one goes
/// through `normalize`'s own splitter instead.
#[inline]
pub(crate) fn for_each_word<'a>(text: &'a str, mut f: impl FnMut(&'a str)) {
    let t = table();
    let b = text.as_bytes();
    // Tokens of the current word, as byte ranges, emitted when the word ends.
    let mut parts = [(0u32, 0u32); MAX_PARTS];
    let mut np = 0usize;
    let mut word = 0usize; // start of the current word
    let mut run: Option<usize> = None; // start of the current letter run
    let mut i = 0usize;
    let emit = |parts: &[(u32, u32)], f: &mut dyn FnMut(&'a str)| {
        for &(s, e) in parts {
            f(&text[s as usize..e as usize]);
        }
    };
    while i < b.len() {
        let b0 = b[i];
        let (cp, width) = if b0 < 0x80 {
            (b0 as u32, 1)
        } else if b0 < 0xE0 {
            let b1 = b.get(i + 1).copied().unwrap_or(0x80);
            ((((b0 & 0x1F) as u32) << 6) | (b1 & 0x3F) as u32, 2)
        } else {
            // Three- and four-byte characters: a space ends the word, anything
            // else sends the whole word to the general splitter.
            let c = text[i..].chars().next().unwrap_or(' ');
            if is_py_space(c) {
                if let Some(r) = run.take() {
                    parts[np] = (r as u32, i as u32);
                    np += 1;
                }
                emit(&parts[..np], &mut f);
                np = 0;
                i += c.len_utf8();
                word = i;
                continue;
            }
            let end = word_end(text, i);
            split_word(&text[word..end]).for_each(&mut f);
            np = 0;
            run = None;
            i = end;
            word = i;
            continue;
        };
        match t[cp as usize & 0x7FF] {
            WORD => {
                if run.is_none() {
                    run = Some(i);
                }
                i += width;
            }
            class => {
                if let Some(r) = run.take() {
                    parts[np] = (r as u32, i as u32);
                    np += 1;
                }
                let next = i + width;
                if class == SPACE {
                    emit(&parts[..np], &mut f);
                    np = 0;
                    word = next;
                } else {
                    parts[np] = (i as u32, next as u32);
                    np += 1;
                }
                i = next;
            }
        }
        if np + 2 > MAX_PARTS {
            // A word of many parts: the general splitter, from its start.
            let end = word_end(text, i);
            split_word(&text[word..end]).for_each(&mut f);
            np = 0;
            run = None;
            i = end;
            word = i;
        }
    }
    if let Some(r) = run {
        parts[np] = (r as u32, b.len() as u32);
        np += 1;
    }
    emit(&parts[..np], &mut f);
}

/// End of the whitespace-delimited word that contains byte `i` of `text`.
fn word_end(text: &str, i: usize) -> usize {
    text[i..]
        .char_indices()
        .find(|&(_, c)| is_py_space(c))
        .map_or(text.len(), |(k, _)| i + k)
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

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
    let mut w = Word::default();
    let mut i = 0usize;
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
                w.end_run(i);
                i += c.len_utf8();
                w.emit(text, i, &mut f);
            } else {
                i = w.general(text, i, &mut f);
            }
            continue;
        };
        match t[cp as usize & 0x7FF] {
            WORD => {
                w.run.get_or_insert(i);
                i += width;
            }
            class => {
                w.end_run(i);
                let next = i + width;
                if class == SPACE {
                    w.emit(text, next, &mut f);
                } else {
                    w.push(i, next);
                }
                i = next;
            }
        }
        if w.n + 2 > MAX_PARTS {
            // A word of many parts: the general splitter, from its start.
            i = w.general(text, i, &mut f);
        }
    }
    w.end_run(b.len());
    w.emit(text, b.len(), &mut f);
}

/// The whitespace-delimited word being read: where it starts, the letter run
/// in progress, and its tokens so far (byte ranges), emitted when it ends.
#[derive(Default)]
struct Word {
    start: usize,
    run: Option<usize>,
    parts: [(u32, u32); MAX_PARTS],
    n: usize,
}

impl Word {
    #[inline(always)]
    fn push(&mut self, start: usize, end: usize) {
        self.parts[self.n] = (start as u32, end as u32);
        self.n += 1;
    }

    #[inline(always)]
    fn end_run(&mut self, at: usize) {
        if let Some(r) = self.run.take() {
            self.push(r, at);
        }
    }

    /// Emits the tokens; the next word starts at `next`.
    #[inline(always)]
    fn emit<'a>(&mut self, text: &'a str, next: usize, f: &mut impl FnMut(&'a str)) {
        for &(s, e) in &self.parts[..self.n] {
            f(&text[s as usize..e as usize]);
        }
        self.n = 0;
        self.start = next;
    }

    /// Hands the whole word (which contains byte `at`) to the general splitter
    /// instead; returns where it ends, where the next word starts.
    fn general<'a>(&mut self, text: &'a str, at: usize, f: &mut impl FnMut(&'a str)) -> usize {
        let end = word_end(text, at);
        split_word(&text[self.start..end]).for_each(&mut *f);
        self.n = 0;
        self.run = None;
        self.start = end;
        end
    }
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

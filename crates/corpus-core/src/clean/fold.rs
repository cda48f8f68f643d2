//! Key-folding of one line with a map back to the original bytes.
//!
//! Rules match markers on `key`-normalized text, but cuts must be spans of the
//! original text. Normalizing a whole line loses the alignment, so each
//! character is folded on its own through the public [`Normalizer`] (the key
//! profile's steps are all per-character except whitespace, which is done
//! here) and every folded byte remembers the original byte it came from.

use crate::Result;
use crate::normalize::{NormalizeConfig, Normalizer, Profile};

/// Characters below this code point are folded once, up front; Arabic, Latin and
/// most punctuation live there.
const TABLE: u32 = 0x0800;

/// Folds characters with the key profile.
#[derive(Clone, Debug)]
pub(crate) struct Folder {
    norm: Normalizer,
    low: Vec<Box<str>>,
}

/// A folded line: `s` and, for each byte of `s`, the byte offset in the original
/// line of the character it came from (plus one final entry: the line length).
#[derive(Clone, Debug, Default)]
pub(crate) struct Folded {
    pub s: String,
    map: Vec<u32>,
}

impl Folded {
    /// Original byte offset of folded byte `i` (`i == s.len()` gives the end).
    pub fn orig(&self, i: usize) -> usize {
        self.map
            .get(i)
            .or(self.map.last())
            .copied()
            .unwrap_or_default() as usize
    }
}

impl Folder {
    pub fn new() -> Result<Self> {
        let norm = Normalizer::new(&NormalizeConfig::profile(Profile::Key))?;
        let low = (0..TABLE)
            .map(|u| match char::from_u32(u) {
                Some(c) => {
                    let mut b = [0u8; 4];
                    Box::from(norm.normalize(c.encode_utf8(&mut b)).as_ref())
                }
                None => Box::from(""),
            })
            .collect();
        Ok(Folder { norm, low })
    }

    /// Folds `line` into `out`: key-normalized, whitespace runs collapsed to one
    /// space, trimmed.
    pub fn fold(&self, line: &str, out: &mut Folded) {
        out.s.clear();
        out.map.clear();
        let mut pending_space: Option<usize> = None;
        for (i, c) in line.char_indices() {
            if c.is_whitespace() {
                if !out.s.is_empty() && pending_space.is_none() {
                    pending_space = Some(i);
                }
                continue;
            }
            let mut b = [0u8; 4];
            let folded: std::borrow::Cow<'_, str> = if (c as u32) < TABLE {
                std::borrow::Cow::Borrowed(&self.low[c as usize])
            } else {
                self.norm.normalize(c.encode_utf8(&mut b))
            };
            if folded.is_empty() {
                continue;
            }
            if let Some(sp) = pending_space.take() {
                out.s.push(' ');
                out.map.push(sp as u32);
            }
            out.s.push_str(&folded);
            out.map.extend(std::iter::repeat_n(i as u32, folded.len()));
        }
        out.map.push(line.len() as u32);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_and_maps_back() {
        let f = Folder::new().unwrap();
        let mut out = Folded::default();
        let line = "  اقرأ   المزيــد ";
        f.fold(line, &mut out);
        assert_eq!(out.s, "اقرا المزيد");
        let sp = out.s.find(' ').unwrap();
        assert_eq!(&line[out.orig(0)..out.orig(sp)], "اقرأ");
        assert_eq!(out.orig(out.s.len()), line.len());
    }
}

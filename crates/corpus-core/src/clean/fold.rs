//! Key-folding of one line, with an optional map back to the original bytes.
//!
//! Rules match markers on `key`-normalized text, but cuts must be spans of the
//! original text. Normalizing a whole line loses the alignment, so each
//! character is folded on its own through the public [`Normalizer`] (the key
//! profile's steps are all per-character except whitespace, which is done
//! here). Folding runs on every line of every document, so the folds of the
//! common characters are precomputed into one flat table and the hot loop
//! ([`Folder::fold_into`]) works on bytes and keeps no offset map; the map is
//! rebuilt ([`Folder::fold`]) only for the rare line a rule cuts a span from.

use std::borrow::Cow;

use crate::Result;
use crate::normalize::{NormalizeConfig, Normalizer, Profile};

/// Characters in these ranges are folded once, up front: Arabic, Latin and most
/// punctuation (`[0, 0x800)`), the general punctuation block (dashes, quotes,
/// joiners) that news text is full of, and the Arabic presentation forms.
const RANGES: [(u32, u32); 3] = [(0, 0x0800), (0x2000, 0x2070), (0xFB50, 0xFF00)];
const TABLE_LEN: usize = 0x0800 + 0x70 + (0xFF00 - 0xFB50);

/// Index of `cp` in the table, if it is in one of the [`RANGES`].
#[inline]
fn slot(cp: u32) -> Option<usize> {
    if cp < 0x0800 {
        Some(cp as usize)
    } else if (0x2000..0x2070).contains(&cp) {
        Some(cp as usize - 0x2000 + 0x0800)
    } else if (0xFB50..0xFF00).contains(&cp) {
        Some(cp as usize - 0xFB50 + 0x0870)
    } else {
        None
    }
}

/// Table flag: the character is whitespace.
const SPACE: u32 = 1;
/// Table flag: the character folds to itself.
const IDENT: u32 = 2;
/// Table flag: an ASCII or U+0600–U+067F character that folds to another one
/// of the same length which folds to itself (`أ` → `ا`, `ة` → `ه`, `A` → `a`).
/// With the vector tables, runs keep such characters as they are and the
/// folded line is rewritten in place afterwards ([`skip::Tables::translate`]).
const SUBST: u32 = 1 << 9;
/// Table length value meaning "too long, ask the normalizer".
const LONG: u32 = 0x7F;
/// First bit of a table entry's start in [`Folder::bytes`] (below it: the
/// length in bits 2..9, then the flags).
const START: u32 = 10;

/// The length of a table entry's fold ([`LONG`]: not tabled).
#[inline]
fn len_of(e: u32) -> u32 {
    (e >> 2) & 0x7F
}

/// Where a tabled entry's fold lies in [`Folder::bytes`].
#[inline]
fn span_of(e: u32) -> std::ops::Range<usize> {
    let start = (e >> START) as usize;
    start..start + len_of(e) as usize
}

/// Folds characters with the key profile.
#[derive(Clone, Debug)]
pub(crate) struct Folder {
    norm: Normalizer,
    /// Folded bytes of every tabled character, back to back.
    bytes: String,
    /// Per table slot: start in `bytes` (bits [`START`]..), length (bits 2..9), and
    /// the [`SPACE`], [`IDENT`] and [`SUBST`] flags.
    entries: Vec<u32>,
    /// Vector skipping over runs of unchanged ASCII and Arabic characters, when
    /// the CPU has it.
    skip: Option<skip::Tables>,
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

/// What to do with one character.
enum Fold<'a> {
    Space,
    Text(Cow<'a, str>),
}

/// Whether the key fold of `c` (`fold`) may depend on more than `c`: `c` may
/// compose with the character before it under NFC/NFKC (quick-check value
/// "maybe": U+0653–U+0655 after alef, waw or ya, Latin combining accents, Hangul
/// vowel jamo …), its NFKC form holds such a character (´ → space + U+0301) or a
/// letter of the look-alike fold (which applies only when the whole document is
/// detected as Arabic), or its fold keeps a combining mark, which canonical
/// ordering may swap with a neighbouring one.
fn context_dependent(c: char, fold: &str) -> bool {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::canonical_combining_class as ccc;
    let maybe = |d: char| {
        unicode_normalization::is_nfkc_quick(std::iter::once(d))
            == unicode_normalization::IsNormalized::Maybe
    };
    maybe(c)
        || std::iter::once(c)
            .nfkc()
            .any(|d| maybe(d) || crate::normalize::is_lookalike(d))
        || (ccc(c) != 0 && !fold.is_empty())
        || fold.chars().any(|d| ccc(d) != 0)
}

impl Folder {
    pub fn new() -> Result<Self> {
        let norm = Normalizer::new(&NormalizeConfig::profile(Profile::Key))?;
        let mut bytes = String::new();
        let mut entries = vec![0u32; TABLE_LEN];
        for (lo, hi) in RANGES {
            for u in lo..hi {
                let Some(i) = slot(u) else { continue };
                let Some(c) = char::from_u32(u) else { continue };
                let mut b = [0u8; 4];
                let f = norm.normalize(c.encode_utf8(&mut b));
                // Lengths above 127 bytes do not occur; fall back to the
                // normalizer if one ever does.
                let len = if f.len() < LONG as usize {
                    f.len() as u32
                } else {
                    LONG
                };
                let start = bytes.len() as u32;
                if context_dependent(c, &f) {
                    // Always the general path, which reports it.
                    entries[i] = LONG << 2;
                    continue;
                }
                if len < LONG {
                    bytes.push_str(&f);
                }
                let mut one = f.chars();
                let flags = if c.is_whitespace() {
                    SPACE
                } else if f.chars().eq(std::iter::once(c)) {
                    IDENT
                } else if (u < 0x80 || (0x600..0x680).contains(&u))
                    && one.next().is_some_and(|d| d.len_utf8() == c.len_utf8())
                    && one.next().is_none()
                    && norm.normalize(&f) == f
                {
                    SUBST
                } else {
                    0
                };
                entries[i] = (start << START) | (len << 2) | flags;
            }
        }
        let skip = skip::Tables::new(
            |cp| entries[cp as usize] & (IDENT | SUBST) != 0,
            |cp| {
                let e = entries[cp as usize];
                (e & SUBST != 0).then(|| &bytes.as_bytes()[span_of(e)])
            },
        );
        Ok(Folder {
            norm,
            bytes,
            entries,
            skip,
        })
    }

    #[inline]
    fn fold_char(&self, c: char) -> Fold<'_> {
        if let Some(i) = slot(c as u32) {
            let e = self.entries[i];
            if e & SPACE != 0 {
                return Fold::Space;
            }
            if len_of(e) < LONG {
                return Fold::Text(Cow::Borrowed(&self.bytes[span_of(e)]));
            }
        }
        if c.is_whitespace() {
            return Fold::Space;
        }
        let mut b = [0u8; 4];
        Fold::Text(Cow::Owned(
            self.norm.normalize(c.encode_utf8(&mut b)).into_owned(),
        ))
    }

    /// Appends the fold of `line` to `out` (key-normalized, whitespace runs
    /// collapsed to one space, trimmed) and returns the number of words (pieces
    /// between single spaces). Same result as [`Folder::fold`], without the map.
    /// Sets `composes` when the line has a character whose fold depends on its
    /// context (see [`context_dependent`]): then the fold of the whole document
    /// may differ from this per-character fold.
    pub fn fold_into(&self, line: &str, out: &mut String, composes: &mut bool) -> usize {
        #[cfg(target_arch = "x86_64")]
        if let Some(t) = &self.skip {
            // SAFETY: `skip` exists only when SSSE3 and POPCNT were detected, and
            // says AVX2 only when it was detected too.
            #[allow(unsafe_code)]
            return unsafe {
                if t.avx2 {
                    self.fold_into_avx2(line, out, composes)
                } else {
                    self.fold_into_ssse3(line, out, composes)
                }
            };
        }
        self.fold_body::<false>(line, out, composes)
    }

    /// [`Folder::fold_into`] compiled with SSSE3 and POPCNT, so that the vector
    /// skip's classification and bit counts are inlined into the loop.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "ssse3,popcnt")]
    fn fold_into_ssse3(&self, line: &str, out: &mut String, composes: &mut bool) -> usize {
        self.fold_body::<false>(line, out, composes)
    }

    /// [`Folder::fold_into`] compiled with AVX2 too: the skip classifies its
    /// 32-byte windows in one vector instead of two.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,ssse3,popcnt")]
    fn fold_into_avx2(&self, line: &str, out: &mut String, composes: &mut bool) -> usize {
        self.fold_body::<true>(line, out, composes)
    }

    /// The fold; `AVX2` picks the skip's classification (see [`skip::Tables`]).
    #[inline(always)]
    fn fold_body<const AVX2: bool>(
        &self,
        line: &str,
        out: &mut String,
        composes: &mut bool,
    ) -> usize {
        let base = out.len();
        // Characters copied as they are: with the vector tables, also those
        // rewritten in place at the end.
        let keep = if self.skip.is_some() {
            IDENT | SUBST
        } else {
            IDENT
        };
        let mut pending_space = false;
        let mut spaces = 0;
        let b = line.as_bytes();
        let mut i = 0;
        // Characters that fold to themselves are copied in runs.
        let mut run = 0;
        // One- and two-byte characters are all in the table; a fixed-size view
        // lets the hot lookups go without bounds checks.
        let Some(low) = self
            .entries
            .get(..0x800)
            .and_then(|s| <&[u32; 0x800]>::try_from(s).ok())
        else {
            return 0;
        };
        // Where the vector skip may next be tried: it stops at once on characters
        // it does not know (other scripts), and is then left alone for a while.
        let mut skip_from = 0;
        while i < b.len() {
            let b0 = b[i];
            if b0 < 0xE0 {
                // Fast path, without branches on the width: a character that
                // folds to itself.
                let two = b0 >= 0x80;
                let b1 = b.get(i + 1).copied().unwrap_or(0);
                let slot = if two {
                    ((b0 as usize & 0x1F) << 6) | (b1 as usize & 0x3F)
                } else {
                    b0 as usize
                };
                let kept = low[slot & 0x7FF] & keep != 0;
                // A single space between two characters runs keep stays as it
                // is: keep the run going (one in six characters).
                let plain_space = !kept && b0 == b' ' && run < i && self.kept_at(b, i + 1, keep);
                if kept || plain_space {
                    if let Some(t) = self.skip.as_ref().filter(|_| i >= skip_from) {
                        let (n, skipped_spaces) = t.run::<AVX2>(b, i);
                        if n > 0 {
                            spaces += skipped_spaces;
                            i += n;
                            continue;
                        }
                        skip_from = i + 32;
                    }
                    spaces += usize::from(plain_space);
                    i += 1 + usize::from(two && kept);
                    continue;
                }
            }
            let (e, width) = if b0 < 0x80 {
                (self.entries[b0 as usize], 1)
            } else if b0 < 0xE0 && i + 1 < b.len() {
                let slot = ((b0 as usize & 0x1F) << 6) | (b[i + 1] as usize & 0x3F);
                (self.entries[slot], 2)
            } else {
                (0, 0)
            };
            // Three- and four-byte characters and over-long folds (none so
            // far) take the general path.
            let width = if len_of(e) == LONG { 0 } else { width };
            if e & keep != 0 {
                i += width;
                continue;
            }
            if run < i {
                if pending_space {
                    out.push(' ');
                    spaces += 1;
                    pending_space = false;
                }
                out.push_str(&line[run..i]);
            }
            let f: Cow<'_, str> = if width == 0 {
                let c = line[i..].chars().next().unwrap_or_default();
                i += c.len_utf8();
                match self.fold_char(c) {
                    Fold::Space => {
                        pending_space = out.len() > base;
                        run = i;
                        continue;
                    }
                    Fold::Text(f) => {
                        // Tabled characters were checked when the table was built
                        // (the context-dependent ones are stored as LONG).
                        let tabled =
                            slot(c as u32).is_some_and(|i| len_of(self.entries[i]) != LONG);
                        *composes |= !tabled && context_dependent(c, &f);
                        f
                    }
                }
            } else {
                i += width;
                if e & SPACE != 0 {
                    pending_space = out.len() > base;
                    run = i;
                    continue;
                }
                Cow::Borrowed(&self.bytes[span_of(e)])
            };
            run = i;
            if f.is_empty() {
                continue;
            }
            if pending_space {
                out.push(' ');
                spaces += 1;
                pending_space = false;
            }
            if f.len() > 1 {
                // Compatibility folds can contain spaces.
                spaces += f.bytes().filter(|&x| x == b' ').count();
            }
            out.push_str(&f);
        }
        if run < b.len() {
            if pending_space {
                out.push(' ');
                spaces += 1;
            }
            out.push_str(&line[run..]);
        }
        if let Some(t) = &self.skip {
            // SAFETY: `translate` replaces whole characters by characters of
            // the same length, so the string stays UTF-8.
            #[allow(unsafe_code)]
            t.translate::<AVX2>(unsafe { &mut out.as_mut_vec()[base..] });
        }
        if out.len() > base { spaces + 1 } else { 0 }
    }

    /// True when the character at byte `i` of `b` is tabled and has a `keep` flag.
    #[inline]
    fn kept_at(&self, b: &[u8], i: usize, keep: u32) -> bool {
        match b.get(i) {
            Some(&b0) if b0 < 0x80 => self.entries[b0 as usize] & keep != 0,
            Some(&b0) if b0 < 0xE0 => b.get(i + 1).is_some_and(|&b1| {
                let slot = ((b0 as usize & 0x1F) << 6) | (b1 as usize & 0x3F);
                self.entries[slot] & keep != 0
            }),
            _ => false,
        }
    }

    /// Folds `line` into `out` with the map back to the original bytes.
    pub fn fold(&self, line: &str, out: &mut Folded) {
        out.s.clear();
        out.map.clear();
        let mut pending_space: Option<usize> = None;
        for (i, c) in line.char_indices() {
            let folded = match self.fold_char(c) {
                Fold::Space => {
                    if !out.s.is_empty() && pending_space.is_none() {
                        pending_space = Some(i);
                    }
                    continue;
                }
                Fold::Text(f) => f,
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

/// Skipping runs of characters that fold to themselves, up to 28 bytes at a time,
/// and rewriting in place those that fold to one other character of their length.
///
/// The scalar loop of [`Folder::fold_into`] spends a few cycles on each character
/// of a run it copies unchanged. Here a 32-byte window is classified at once:
/// ASCII and the two Arabic lead bytes (U+0600–U+067F) by bitmaps taken from the
/// fold table, spaces by their neighbours. The skip only ever covers characters
/// the scalar fast path would also have let through, so results are the same
/// with or without it; anything else (other scripts, characters that change
/// length) stops it and is left to the scalar loop. Runs also keep the
/// [`SUBST`] characters; [`skip::Tables::translate`] rewrites them in the folded line.
mod skip {
    /// Bitmaps of a set of ASCII and U+0600–U+067F characters, laid out for byte
    /// shuffles: `ascii[lo]` has bit `hi` for byte `hi * 16 + lo`, and `arabic[k]`
    /// (lead `0xD8 + k`) has in byte `r` bit `c` for continuation `r * 8 + c`.
    #[derive(Clone, Debug, Default)]
    struct Bitmaps {
        ascii: [u8; 16],
        arabic: [[u8; 16]; 2],
    }

    impl Bitmaps {
        fn of(has: impl Fn(u32) -> bool) -> Self {
            let mut t = Bitmaps::default();
            for b in 0..0x80u32 {
                if has(b) {
                    t.ascii[(b & 15) as usize] |= 1 << (b >> 4);
                }
            }
            for (k, table) in t.arabic.iter_mut().enumerate() {
                for c in 0..64u32 {
                    if has(0x600 + 64 * k as u32 + c) {
                        table[(c >> 3) as usize] |= 1 << (c & 7);
                    }
                }
            }
            t
        }
    }

    /// The vector tables: the characters runs keep (folding to themselves, or
    /// rewritten afterwards), those rewritten, and what they become.
    #[derive(Clone, Debug)]
    pub(super) struct Tables {
        /// The CPU has AVX2 as well: [`super::Folder::fold_into`] then takes
        /// the AVX2 build of the loop.
        pub(super) avx2: bool,
        keep: Bitmaps,
        subst: Bitmaps,
        ascii_to: [u8; 0x80],
        arabic_to: [[[u8; 2]; 64]; 2],
    }

    /// Window length; the run found starts 2 bytes in (the two before it give
    /// the context of its first character) and ends 2 bytes before the end.
    const WINDOW: usize = 32;
    const BEFORE: usize = 2;
    const LAST: usize = WINDOW - 3;

    impl Tables {
        /// Tables from `keep` (a code point a run may hold) and `subst` (the
        /// UTF-8 of what a code point is rewritten to, of its own length), when
        /// the CPU has SSSE3 byte shuffles (and POPCNT, which every such CPU but
        /// the first Core 2 has).
        pub(super) fn new<'a>(
            keep: impl Fn(u32) -> bool,
            subst: impl Fn(u32) -> Option<&'a [u8]>,
        ) -> Option<Self> {
            #[cfg(target_arch = "x86_64")]
            if std::is_x86_feature_detected!("ssse3") && std::is_x86_feature_detected!("popcnt") {
                let mut t = Tables {
                    avx2: std::is_x86_feature_detected!("avx2"),
                    keep: Bitmaps::of(keep),
                    subst: Bitmaps::of(|cp| subst(cp).is_some()),
                    ascii_to: std::array::from_fn(|b| b as u8),
                    arabic_to: [[[0; 2]; 64]; 2],
                };
                for b in 0..0x80u32 {
                    if let Some(&[to]) = subst(b) {
                        t.ascii_to[b as usize] = to;
                    }
                }
                for (k, table) in t.arabic_to.iter_mut().enumerate() {
                    for (c, to) in table.iter_mut().enumerate() {
                        let cp = 0x600 + 64 * k as u32 + c as u32;
                        if let Some(&[x, y]) = subst(cp) {
                            *to = [x, y];
                        }
                    }
                }
                return Some(t);
            }
            let _ = (keep, subst);
            None
        }

        /// Rewrites in place the characters of `s` (whole UTF-8 characters)
        /// that `subst` names, 31 bytes at a time.
        #[inline]
        pub(super) fn translate<const AVX2: bool>(&self, s: &mut [u8]) {
            let mut at = 0;
            while at < s.len() {
                let n = (s.len() - at).min(WINDOW);
                let m = match <&[u8; WINDOW]>::try_from(&s[at..at + n]) {
                    Ok(window) => classify::<AVX2>(&self.subst, window),
                    Err(_) => {
                        let mut w = [0u8; WINDOW];
                        w[..n].copy_from_slice(&s[at..at + n]);
                        classify::<AVX2>(&self.subst, &w)
                    }
                };
                let pair = (m.d8 & (m.arabic[0] >> 1)) | (m.d9 & (m.arabic[1] >> 1));
                // A lead in the last byte of a full window is read again as the
                // first of the next one, with its continuation.
                let step = if n == WINDOW { WINDOW - 1 } else { n };
                let mut hits = (m.ascii | pair) & (u32::MAX >> (WINDOW - step));
                while hits != 0 {
                    let p = at + hits.trailing_zeros() as usize;
                    let b0 = s[p];
                    if b0 < 0x80 {
                        s[p] = self.ascii_to[b0 as usize];
                    } else if let Some(&b1) = s.get(p + 1) {
                        let [x, y] = self.arabic_to[usize::from(b0 & 1)][usize::from(b1 & 0x3F)];
                        s[p] = x;
                        s[p + 1] = y;
                    }
                    hits &= hits - 1;
                }
                at += step;
            }
        }

        /// Length in bytes of the run from `b[i]` that the scalar fast path
        /// would copy unchanged (characters that fold to themselves and single
        /// spaces between two of them), as far as the window sees, ending on a
        /// character boundary; and the number of spaces in it. The character
        /// at `i` is one the scalar fast path lets through.
        #[inline]
        pub(super) fn run<const AVX2: bool>(&self, b: &[u8], i: usize) -> (usize, usize) {
            // The window is b[i - 2 .. i + 30]; bytes outside `b` read as NUL
            // and are masked off below.
            let mut w = [0u8; WINDOW];
            let window = if i >= BEFORE && i + WINDOW - BEFORE <= b.len() {
                &b[i - BEFORE..i - BEFORE + WINDOW]
            } else {
                let from = i.saturating_sub(BEFORE);
                let to = (i + WINDOW - BEFORE).min(b.len()).max(from);
                let at = BEFORE - (i - from);
                w[at..at + (to - from)].copy_from_slice(&b[from..to]);
                &w[..]
            };
            let Some(window) = <&[u8; WINDOW]>::try_from(window).ok() else {
                return (0, 0);
            };
            let mut m = classify::<AVX2>(&self.keep, window);
            // Only bytes of `b` count (a NUL may fold to itself).
            let first = BEFORE.saturating_sub(i);
            let past = (b.len() + BEFORE).saturating_sub(i).min(WINDOW);
            let inside = (u32::MAX >> (WINDOW - past)) & (u32::MAX << first);
            for x in [&mut m.ascii, &mut m.space, &mut m.d8, &mut m.d9] {
                *x &= inside;
            }
            // Bit q: the pair (q, q + 1) is an Arabic character that folds to
            // itself.
            let pair = (m.d8 & (m.arabic[0] >> 1)) | (m.d9 & (m.arabic[1] >> 1));
            let starts = m.ascii | pair; // a good character starts at q
            let ends = m.ascii | (pair << 1); // a good character ends at q
            // A space before a good character: the one before it is in the run
            // (`i` is a character the scalar fast path lets through, and a
            // space is never one before another space).
            let spaces = m.space & (starts >> 1);
            let good = starts | ends | spaces;
            // Bits BEFORE..=LAST: their neighbours are all inside the window.
            let mut n = (!(good >> BEFORE)).trailing_zeros() as usize;
            n = n.min(LAST + 1 - BEFORE);
            // Never stop inside a character (a lead whose pair is past the cut).
            if n > 0 && b.get(i + n).is_some_and(|&x| x & 0xC0 == 0x80) {
                n -= 1;
            }
            let in_run = if n >= 32 { u32::MAX } else { (1u32 << n) - 1 };
            (n, ((spaces >> BEFORE) & in_run).count_ones() as usize)
        }
    }

    /// Which bytes of the window begin characters of `set` (and which are
    /// spaces and Arabic leads), with AVX2 or SSSE3. Called only through
    /// [`Tables`].
    #[inline(always)]
    fn classify<const AVX2: bool>(set: &Bitmaps, w: &[u8; WINDOW]) -> Masks {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `Tables` (every caller's receiver) exists only when SSSE3 was
        // detected (`Tables::new`), and the AVX2 loop runs only when
        // `Tables::avx2` says AVX2 was detected too.
        #[allow(unsafe_code)]
        unsafe {
            if AVX2 {
                avx2::classify(set, w)
            } else {
                ssse3::classify(set, w)
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = (set, w);
            Masks::default()
        }
    }

    /// Per byte of the window, one bit each: ASCII that folds to itself, an
    /// ASCII space, lead 0xD8, lead 0xD9, and a byte that would be a
    /// continuation folding to itself after 0xD8 / after 0xD9.
    #[derive(Default)]
    struct Masks {
        ascii: u32,
        space: u32,
        d8: u32,
        d9: u32,
        arabic: [u32; 2],
    }

    #[cfg(target_arch = "x86_64")]
    mod ssse3 {
        use super::{Bitmaps, Masks, WINDOW};
        use std::arch::x86_64::*;

        /// [`super::classify`] with SSSE3.
        ///
        /// # Safety
        /// The CPU must have SSSE3.
        #[inline]
        #[target_feature(enable = "ssse3")]
        pub(super) fn classify(t: &Bitmaps, w: &[u8; WINDOW]) -> Masks {
            // SAFETY: the loads read 16 bytes of the 32-byte window and of the
            // 16-byte tables.
            #[allow(unsafe_code)]
            let (lo, hi, ascii, a8, a9) = unsafe {
                (
                    _mm_loadu_si128(w.as_ptr().cast()),
                    _mm_loadu_si128(w.as_ptr().add(16).cast()),
                    _mm_loadu_si128(t.ascii.as_ptr().cast()),
                    _mm_loadu_si128(t.arabic[0].as_ptr().cast()),
                    _mm_loadu_si128(t.arabic[1].as_ptr().cast()),
                )
            };
            let half = |v: __m128i| -> [u32; 6] {
                let nib = _mm_set1_epi8(0x0F);
                let seven = _mm_set1_epi8(7);
                // 1 << n for n < 8, 0 above: the bit of a row.
                let bits = _mm_setr_epi8(1, 2, 4, 8, 16, 32, 64, -128, 0, 0, 0, 0, 0, 0, 0, 0);
                let test = |rows: __m128i, row: __m128i, bit: __m128i| {
                    let hit =
                        _mm_and_si128(_mm_shuffle_epi8(rows, row), _mm_shuffle_epi8(bits, bit));
                    !_mm_movemask_epi8(_mm_cmpeq_epi8(hit, _mm_setzero_si128())) as u32 & 0xFFFF
                };
                // ASCII: row = low nibble, bit = high nibble (8 and up: none).
                let high = _mm_and_si128(_mm_srli_epi16::<4>(v), nib);
                let ascii = test(ascii, _mm_and_si128(v, nib), high);
                // Continuations: row = bits 3..6, bit = bits 0..3.
                let row = _mm_and_si128(_mm_srli_epi16::<3>(v), seven);
                let bit = _mm_and_si128(v, seven);
                let is = |x: i8| _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(x))) as u32;
                [
                    ascii,
                    is(b' ' as i8),
                    is(0xD8u8 as i8),
                    is(0xD9u8 as i8),
                    test(a8, row, bit),
                    test(a9, row, bit),
                ]
            };
            let (l, h) = (half(lo), half(hi));
            let join = |k: usize| l[k] | (h[k] << 16);
            Masks {
                ascii: join(0),
                space: join(1),
                d8: join(2),
                d9: join(3),
                arabic: [join(4), join(5)],
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    mod avx2 {
        use super::{Bitmaps, Masks, WINDOW};
        use std::arch::x86_64::*;

        /// [`super::classify`] with AVX2: the whole window in one vector, each
        /// 16-byte table in both lanes (byte shuffles stay within a lane).
        ///
        /// # Safety
        /// The CPU must have AVX2.
        #[inline]
        #[target_feature(enable = "avx2")]
        pub(super) fn classify(t: &Bitmaps, w: &[u8; WINDOW]) -> Masks {
            // SAFETY: the loads read the 32-byte window and the 16-byte tables.
            #[allow(unsafe_code)]
            let (v, ascii, a8, a9) = unsafe {
                let lanes =
                    |p: &[u8; 16]| _mm256_broadcastsi128_si256(_mm_loadu_si128(p.as_ptr().cast()));
                (
                    _mm256_loadu_si256(w.as_ptr().cast()),
                    lanes(&t.ascii),
                    lanes(&t.arabic[0]),
                    lanes(&t.arabic[1]),
                )
            };
            let nib = _mm256_set1_epi8(0x0F);
            let seven = _mm256_set1_epi8(7);
            // 1 << n for n < 8, 0 above: the bit of a row (in each lane).
            #[rustfmt::skip]
            let bits = _mm256_setr_epi8(
                1, 2, 4, 8, 16, 32, 64, -128, 0, 0, 0, 0, 0, 0, 0, 0,
                1, 2, 4, 8, 16, 32, 64, -128, 0, 0, 0, 0, 0, 0, 0, 0,
            );
            let test = |rows: __m256i, row: __m256i, bit: __m256i| {
                let hit = _mm256_and_si256(
                    _mm256_shuffle_epi8(rows, row),
                    _mm256_shuffle_epi8(bits, bit),
                );
                !(_mm256_movemask_epi8(_mm256_cmpeq_epi8(hit, _mm256_setzero_si256())) as u32)
            };
            // ASCII: row = low nibble, bit = high nibble (8 and up: none).
            let high = _mm256_and_si256(_mm256_srli_epi16::<4>(v), nib);
            // Continuations: row = bits 3..6, bit = bits 0..3.
            let row = _mm256_and_si256(_mm256_srli_epi16::<3>(v), seven);
            let bit = _mm256_and_si256(v, seven);
            let is = |x: i8| _mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(x))) as u32;
            Masks {
                ascii: test(ascii, _mm256_and_si256(v, nib), high),
                space: is(b' ' as i8),
                d8: is(0xD8u8 as i8),
                d9: is(0xD9u8 as i8),
                arabic: [test(a8, row, bit), test(a9, row, bit)],
            }
        }
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

    #[test]
    fn fast_fold_matches_mapped_fold() {
        let f = Folder::new().unwrap();
        let mut out = Folded::default();
        for line in [
            "  اقرأ   المزيــد ",
            "“قالَ” — Name (@handle) January 8, 2026 pic.twitter.com/x",
            "\u{a0}ﷺ\u{2003}ـ ـ ﻻ\u{200c}x ＡＢＣ 𝐀 ",
            "",
            "ـ",
        ] {
            f.fold(line, &mut out);
            let mut s = String::from("prefix");
            let words = f.fold_into(line, &mut s, &mut false);
            assert_eq!(&s["prefix".len()..], out.s, "{line:?}");
            let expected = if out.s.is_empty() {
                0
            } else {
                out.s.split(' ').count()
            };
            assert_eq!(words, expected, "{line:?}");
        }
    }

    /// The fast fold (runs of unchanged characters, single spaces) against the mapped
    /// one, character by character, with the word count.
    fn check_fast(f: &Folder, line: &str) -> Result<(), String> {
        let mut out = Folded::default();
        f.fold(line, &mut out);
        let mut s = String::from("prefix");
        let words = f.fold_into(line, &mut s, &mut false);
        let expected = if out.s.is_empty() {
            0
        } else {
            out.s.split(' ').count()
        };
        if s["prefix".len()..] != out.s || words != expected {
            return Err(format!(
                "{line:?}: {:?} {words} vs {:?} {expected}",
                &s["prefix".len()..],
                out.s
            ));
        }
        Ok(())
    }

    #[test]
    fn fast_fold_matches_mapped_fold_on_real_lines() {
        let f = Folder::new().unwrap();
        let mut lines = 0;
        for text in crate::seed_texts() {
            for line in text.lines() {
                check_fast(&f, line).unwrap();
                lines += 1;
            }
        }
        assert!(lines > 20);
    }

    /// The vector skip changes nothing: every character it knows (ASCII and
    /// U+0600–U+067F), after runs of every length of one- and two-byte letters,
    /// with and without spaces (so that it lands at every place of the window),
    /// before neighbours that do and do not fold to themselves.
    /// The folder with its vector tables (on x86-64), and the same one
    /// without them: the scalar loop, rewriting nothing.
    fn with_and_without() -> (Vec<Folder>, Folder) {
        let with = Folder::new().unwrap();
        #[cfg(target_arch = "x86_64")]
        assert!(
            with.skip.is_some(),
            "every x86-64 CI machine has SSSE3 and POPCNT"
        );
        let without = Folder {
            skip: None,
            ..with.clone()
        };
        // With AVX2 (when the CPU has it), and with SSSE3 alone.
        let mut vector = vec![with.clone()];
        if let Some(t) = with.skip.as_ref().filter(|t| t.avx2) {
            let mut tables = t.clone();
            tables.avx2 = false;
            let mut ssse3 = with.clone();
            ssse3.skip = Some(tables);
            vector.push(ssse3);
        }
        (vector, without)
    }

    /// Everything `fold_into` gives: the fold, its word count, the
    /// "composes" flag.
    fn fold(f: &Folder, line: &str) -> (String, usize, bool) {
        let (mut s, mut composes) = (String::new(), false);
        let words = f.fold_into(line, &mut s, &mut composes);
        (s, words, composes)
    }

    #[test]
    fn the_vector_skip_changes_nothing() {
        let (with, without) = with_and_without();
        let chars: Vec<char> = (0..0x80)
            .chain(0x600..0x680)
            .filter_map(char::from_u32)
            .collect();
        let after = [
            "", " ", "  ", "ب", " ب", "a b", "\u{e9}", "\u{a0}x", "\u{623}",
        ];
        let mut lines = 0;
        for c in &chars {
            for run in ["ب", "a", "ب ", "a ", "aب", "ب a"] {
                for k in 0..36 {
                    for tail in after {
                        let line = format!("{}{c}{tail}", run.repeat(k));
                        for with in &with {
                            assert_eq!(fold(with, &line), fold(&without, &line), "{line:?}");
                        }
                        lines += 1;
                    }
                }
            }
        }
        assert!(lines > 100_000);
        // Real text: the seed articles, line by line and whole.
        for text in crate::seed_texts() {
            for line in text.lines().chain([text.as_str()]) {
                for with in &with {
                    assert_eq!(fold(with, line), fold(&without, line));
                }
            }
        }
    }

    /// What the rewrite relies on: no character's fold holds a character the
    /// rewrite would change (each rewritten one becomes a character that folds
    /// to itself), so rewriting a whole folded line changes only the characters
    /// runs kept as they were. Every character of the tabled ranges and beyond,
    /// between letters that stay and letters that are rewritten, folds as the
    /// scalar loop (no tables, nothing rewritten) folds it.
    #[test]
    fn the_rewrite_changes_only_what_runs_kept() {
        let (with, without) = with_and_without();
        let mut checked = 0;
        for cp in (0..0x3000).chain(0xFB50..0x10000).chain(0x1D400..0x1D800) {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            for line in [format!("x{c}x"), format!("أ{c}ة A{c}"), format!("{c}{c} ى")] {
                for with in &with {
                    assert_eq!(fold(with, &line), fold(&without, &line), "U+{cp:04X}");
                }
            }
            checked += 1;
        }
        assert!(checked > 10_000);
    }

    proptest::proptest! {
        #[test]
        fn fast_fold_matches_mapped_fold_on_mixed_text(
            // Runs of letters that fold to themselves, so that long runs occur,
            // between spaces, other separators and characters that change.
            line in "(?:[\u{0628}-\u{063A}\u{0641}-\u{0648}\u{064A}a-z0-9]{1,9}(?: |  |\u{00A0})?|[ A-Z.,\u{0623}\u{0629}\u{064B}\u{0640}\u{060C}\u{0660}\u{00E9}\u{2003}\u{201C}\u{FEFB}\u{1F600}]){0,40}"
        ) {
            static FOLDER: std::sync::LazyLock<Folder> =
                std::sync::LazyLock::new(|| Folder::new().unwrap());
            proptest::prop_assert_eq!(check_fast(&FOLDER, &line), Ok(()));
        }
    }
}

//! A fast tokenizer equal to [`crate::normalize::words`]: the standard library's
//! `char::is_alphanumeric` does a slow table search for every non-ASCII
//! character, which made tokenizing Arabic the most expensive part of sketching.
//! Here the ASCII and Arabic blocks are classified by a lookup table built once.
//!
//! Most words of a key text are one token, or a few split off by punctuation:
//! the bytes are first marked 16 at a time (breaks, punctuation that is a token
//! by itself, anything else that is not a word character), and such words are cut
//! from the marks; only a word with anything else (other whitespace, characters
//! of blocks not listed, characters above U+07FF) goes through the
//! character-by-character splitter. Tokens never cross whitespace, so splitting
//! word by word gives the same tokens. Sketch 20.5 → 18.0 ms on the criterion
//! corpus (`dedup/ar/sketch`).

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

/// Where the bytes of a text that matter to tokenizing are, one bit per byte
/// (see [`classify`]).
#[derive(Default)]
struct Marks {
    /// Spaces and line feeds: the breaks between words.
    breaks: Vec<u64>,
    /// Punctuation and symbols that are a token each: the ASCII ones (bit on the
    /// byte) and the two-byte ones of the Latin-1 and Arabic blocks (bit on their
    /// second byte).
    single: Vec<u64>,
    /// The two-byte ones of `single`.
    double: Vec<u64>,
    /// Anything else that is not a word character, or may not be: other
    /// whitespace, the first byte of a two-byte character of a block with
    /// punctuation not listed in `single`, and every byte from 0xE0 up.
    other: Vec<u64>,
}

/// Calls `f` with every word token of `text`, exactly as `normalize::words` yields
/// them. The bytes are classified 16 or 32 at a time ([`classify`]); a word between
/// breaks that holds only word characters and the punctuation of `single` is cut
/// from those marks, and one with anything else goes to the
/// character-by-character splitter ([`split_any`]).
#[inline]
pub(crate) fn for_each_word<'a>(text: &'a str, mut f: impl FnMut(&'a str)) {
    thread_local! {
        static MARKS: std::cell::RefCell<Marks> = std::cell::RefCell::default();
    }
    MARKS.with_borrow_mut(|m| {
        classify(text.as_bytes(), m);
        if m.other.iter().all(|&w| w == 0) {
            // The usual key text: breaks and single marks alone cut it, in one
            // walk over both.
            cut_plain(text, m, &mut f);
            return;
        }
        let mut start = 0;
        for (w, &bits) in m.breaks.iter().enumerate() {
            let mut bits = bits;
            while bits != 0 {
                let end = w * 64 + bits.trailing_zeros() as usize;
                word(text, start, end, m, &mut f);
                start = end + 1;
                bits &= bits - 1;
            }
        }
        word(text, start, text.len(), m, &mut f);
    });
}

/// The tokens of a `text` without `other` marks: the pieces between breaks and
/// single marks, and each single mark (with its lead byte when it is `double`).
/// The same tokens as [`word`] gives each word between breaks.
#[inline(always)]
fn cut_plain<'a>(text: &'a str, m: &Marks, f: &mut impl FnMut(&'a str)) {
    let mut run = 0;
    for (w, (&brk, &single)) in m.breaks.iter().zip(&m.single).enumerate() {
        let mut bits = brk | single;
        while bits != 0 {
            let bit = bits.trailing_zeros();
            let at = w * 64 + bit as usize;
            if brk >> bit & 1 != 0 {
                if run < at {
                    f(&text[run..at]);
                }
            } else {
                let from = at - (m.double[w] >> bit & 1) as usize;
                if run < from {
                    f(&text[run..from]);
                }
                f(&text[from..at + 1]);
            }
            run = at + 1;
            bits &= bits - 1;
        }
    }
    if run < text.len() {
        f(&text[run..]);
    }
}

/// The bits of `marks` in `[s, e)`, word by word: (index of the u64, its bits).
#[inline(always)]
fn bits_in(marks: &[u64], s: usize, e: usize) -> impl Iterator<Item = (usize, u64)> + '_ {
    (s / 64..e.div_ceil(64)).map(move |w| {
        let mut bits = marks[w];
        if w == s / 64 {
            bits &= u64::MAX << (s % 64);
        }
        if w == (e - 1) / 64 && !e.is_multiple_of(64) {
            bits &= u64::MAX >> (64 - e % 64);
        }
        (w, bits)
    })
}

/// The tokens of `text[s..e]`, a word between breaks.
#[inline(always)]
fn word<'a>(text: &'a str, s: usize, e: usize, m: &Marks, f: &mut impl FnMut(&'a str)) {
    if s >= e {
        return;
    }
    if bits_in(&m.other, s, e).any(|(_, b)| b != 0) {
        split_any(&text[s..e], f);
        return;
    }
    let mut run = s;
    for (w, mut bits) in bits_in(&m.single, s, e) {
        while bits != 0 {
            let at = w * 64 + bits.trailing_zeros() as usize;
            let from = if m.double[w] >> (at % 64) & 1 != 0 {
                at - 1
            } else {
                at
            };
            if run < from {
                f(&text[run..from]);
            }
            f(&text[from..at + 1]);
            run = at + 1;
            bits &= bits - 1;
        }
    }
    if run < e {
        f(&text[run..e]);
    }
}

/// Fills `m` for `b` (see [`Marks`]): whole 64-byte blocks with AVX2 when the
/// CPU has it, then 16 bytes at a time with SSE2, then byte by byte.
fn classify(b: &[u8], m: &mut Marks) {
    #[cfg(target_arch = "x86_64")]
    let avx2 = std::is_x86_feature_detected!("avx2");
    #[cfg(not(target_arch = "x86_64"))]
    let avx2 = false;
    classify_with(b, m, avx2);
}

/// [`classify`], with the AVX2 blocks when `avx2` (which the CPU must have).
fn classify_with(b: &[u8], m: &mut Marks, avx2: bool) {
    let words = b.len().div_ceil(64);
    for v in [&mut m.breaks, &mut m.single, &mut m.double, &mut m.other] {
        v.clear();
        v.resize(words, 0);
    }
    let mut i = 0;
    let mut prev = 0u8;
    #[cfg(target_arch = "x86_64")]
    if avx2 {
        // SAFETY: the caller detected AVX2; the marks are sized for `b`.
        #[allow(unsafe_code)]
        let done = unsafe { avx2::blocks(b, m) };
        i = done;
        prev = if done > 0 { b[done - 1] } else { 0 };
    }
    #[cfg(target_arch = "x86_64")]
    while i + 16 <= b.len() {
        // SAFETY: SSE2 is part of the x86-64 baseline; the load reads the 16
        // bytes at `i`, inside `b` (the loop condition).
        #[allow(unsafe_code)]
        let (brk, single, double, other) = unsafe { sse2::marks(b.as_ptr().add(i), prev) };
        let (w, shift) = (i / 64, i % 64);
        m.breaks[w] |= u64::from(brk) << shift;
        m.single[w] |= u64::from(single) << shift;
        m.double[w] |= u64::from(double) << shift;
        m.other[w] |= u64::from(other) << shift;
        prev = b[i + 15];
        i += 16;
    }
    while i < b.len() {
        let (brk, single, double, other) = scalar_marks(b[i], prev);
        let bit = 1u64 << (i % 64);
        let w = i / 64;
        for (v, on) in [
            (&mut m.breaks, brk),
            (&mut m.single, single),
            (&mut m.double, double),
            (&mut m.other, other),
        ] {
            if on {
                v[w] |= bit;
            }
        }
        prev = b[i];
        i += 1;
    }
}

/// First bytes of the two-byte characters whose punctuation is marked `double`
/// (Latin-1 letters, Arabic): their blocks are common in our texts, and each has
/// only a few punctuation marks among its letters. The first bytes of other
/// blocks with any non-word character are marked `other`.
const DOUBLE_LEADS: [u8; 4] = [0xC3, 0xD8, 0xD9, 0xDB];

/// The marks of byte `x` after byte `p`, one byte at a time, from the class
/// table: the definition the vector code follows (and the tail's code).
fn scalar_marks(x: u8, p: u8) -> (bool, bool, bool, bool) {
    let t = table();
    let class = |lead: u8, cont: u8| t[((lead as usize & 0x1F) << 6) | (cont as usize & 0x3F)];
    let brk = x == b' ' || x == b'\n';
    match x {
        0..=0x7F => {
            let c = t[x as usize];
            (brk, c == OTHER, false, c == SPACE && !brk)
        }
        0x80..=0xBF if DOUBLE_LEADS.contains(&p) => {
            let c = class(p, x);
            (false, c == OTHER, c == OTHER, c == SPACE)
        }
        0x80..=0xBF => (false, false, false, false),
        0xC2..=0xDF => {
            let mixed = (0x80..0xC0).any(|cont| class(x, cont) != WORD);
            (false, false, false, mixed && !DOUBLE_LEADS.contains(&x))
        }
        _ => (false, false, false, true),
    }
}

/// The four marks of a vector `v` of bytes whose preceding bytes are `before`,
/// as vectors, given the width's compare, splat, minimum, maximum, or and and
/// intrinsics: one definition for both widths, following [`scalar_marks`].
#[cfg(target_arch = "x86_64")]
macro_rules! vector_marks {
    ($v:expr, $before:expr, $cmpeq:ident, $splat:ident, $min:ident, $max:ident, $or:ident, $and:ident) => {{
        let (v, before) = ($v, $before);
        let eq = |x, c: u8| $cmpeq(x, $splat(c as i8));
        // `lo <= x <= hi`: `x` clamped to the range is `x`.
        let within =
            |x, lo: u8, hi: u8| $cmpeq($min($max(x, $splat(lo as i8)), $splat(hi as i8)), x);
        let or = |a, b| $or(a, b);
        let and = |a, b| $and(a, b);
        let brk = or(eq(v, b' '), eq(v, b'\n'));
        let ascii_single = or(
            or(within(v, 0x21, 0x2F), within(v, 0x3A, 0x40)),
            or(within(v, 0x5B, 0x60), within(v, 0x7B, 0x7E)),
        );
        let double = or(
            or(
                and(eq(before, 0xC3), or(eq(v, 0x97), eq(v, 0xB7))),
                and(
                    eq(before, 0xD8),
                    or(
                        or(within(v, 0x86, 0x8F), eq(v, 0x9B)),
                        within(v, 0x9D, 0x9F),
                    ),
                ),
            ),
            or(
                and(eq(before, 0xD9), within(v, 0xAA, 0xAD)),
                and(
                    eq(before, 0xDB),
                    or(
                        or(eq(v, 0x94), eq(v, 0x9E)),
                        or(eq(v, 0xA9), within(v, 0xBD, 0xBE)),
                    ),
                ),
            ),
        );
        let other = or(
            or(
                or(eq(v, 0x09), within(v, 0x0B, 0x0D)),
                or(within(v, 0x1C, 0x1F), eq(v, 0xC2)),
            ),
            or(
                or(
                    or(eq(v, 0xCB), within(v, 0xCD, 0xCF)),
                    or(eq(v, 0xD2), within(v, 0xD5, 0xD7)),
                ),
                or(or(eq(v, 0xDC), eq(v, 0xDF)), within(v, 0xE0, 0xFF)),
            ),
        );
        (brk, or(ascii_single, double), double, other)
    }};
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::*;

    /// [`super::scalar_marks`] of the 16 bytes at `p` (`prev` is the byte before
    /// them), as four 16-bit masks.
    ///
    /// # Safety
    /// `p` must be readable for 16 bytes.
    #[allow(unsafe_code)]
    #[inline(always)]
    pub(super) unsafe fn marks(p: *const u8, prev: u8) -> (u16, u16, u16, u16) {
        // SAFETY: the caller's contract; SSE2 is part of the x86-64 baseline.
        unsafe {
            let v = _mm_loadu_si128(p.cast());
            let before = _mm_or_si128(_mm_slli_si128::<1>(v), _mm_cvtsi32_si128(prev as i32));
            let (brk, single, double, other) = vector_marks!(
                v,
                before,
                _mm_cmpeq_epi8,
                _mm_set1_epi8,
                _mm_min_epu8,
                _mm_max_epu8,
                _mm_or_si128,
                _mm_and_si128
            );
            let mask = |x: __m128i| _mm_movemask_epi8(x) as u16;
            (mask(brk), mask(single), mask(double), mask(other))
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::Marks;
    use std::arch::x86_64::*;

    /// Marks the whole 64-byte blocks of `b` (a word of each mark per block,
    /// stored once) and returns how many bytes that was. The marks must be
    /// sized for `b`.
    ///
    /// # Safety
    /// The CPU must have AVX2.
    #[allow(unsafe_code)]
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn blocks(b: &[u8], m: &mut Marks) -> usize {
        let done = b.len() / 64 * 64;
        for (w, block) in b[..done].chunks_exact(64).enumerate() {
            // The byte before the text is taken as 0, as in `classify`.
            let mut first = [0u8; 32];
            let before = if w == 0 {
                first[1..].copy_from_slice(&block[..31]);
                first.as_ptr()
            } else {
                // SAFETY: the block starts at 64 * w >= 64, so the byte before
                // it is in `b`.
                unsafe { block.as_ptr().sub(1) }
            };
            // SAFETY: AVX2 (this function's contract); every load reads 32
            // bytes inside `block`, or inside `first`, or from one byte before
            // `block` (in `b`, as above).
            let (lo, hi) = unsafe {
                (
                    marks(block.as_ptr(), before),
                    marks(block.as_ptr().add(32), block.as_ptr().add(31)),
                )
            };
            let join = |l: u32, h: u32| u64::from(l) | u64::from(h) << 32;
            m.breaks[w] = join(lo.0, hi.0);
            m.single[w] = join(lo.1, hi.1);
            m.double[w] = join(lo.2, hi.2);
            m.other[w] = join(lo.3, hi.3);
        }
        done
    }

    /// [`super::scalar_marks`] of the 32 bytes at `p`, whose preceding bytes
    /// are the 32 at `before`, as four 32-bit masks.
    #[allow(unsafe_code)]
    #[inline(always)]
    unsafe fn marks(p: *const u8, before: *const u8) -> (u32, u32, u32, u32) {
        // SAFETY: the caller's contract: AVX2, and 32 readable bytes at each.
        unsafe {
            let v = _mm256_loadu_si256(p.cast());
            let before = _mm256_loadu_si256(before.cast());
            let (brk, single, double, other) = vector_marks!(
                v,
                before,
                _mm256_cmpeq_epi8,
                _mm256_set1_epi8,
                _mm256_min_epu8,
                _mm256_max_epu8,
                _mm256_or_si256,
                _mm256_and_si256
            );
            let mask = |x: __m256i| _mm256_movemask_epi8(x) as u32;
            (mask(brk), mask(single), mask(double), mask(other))
        }
    }
}

/// Calls `f` with every word token of any `text`, character by character. A
/// whitespace-delimited word made only of characters below U+0800 is split by the
/// table in one pass over its bytes, its tokens held back until its end; emoji
/// sequences need characters above U+0800, so a word that has one goes through
/// `normalize`'s own splitter instead.
fn split_any<'a>(text: &'a str, f: &mut impl FnMut(&'a str)) {
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
                w.emit(text, i, f);
            } else {
                i = w.general(text, i, f);
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
                    w.emit(text, next, f);
                } else {
                    w.push(i, next);
                }
                i = next;
            }
        }
        if w.n + 2 > MAX_PARTS {
            // A word of many parts: the general splitter, from its start.
            i = w.general(text, i, f);
        }
    }
    w.end_run(b.len());
    w.emit(text, b.len(), f);
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
        for text in crate::seed_texts() {
            assert_eq!(ours(&text), words(&text).collect::<Vec<_>>());
        }
    }

    /// Every character below U+0800 (the ones the marks are about), at every
    /// offset around a 16-byte block boundary, alone and next to letters,
    /// punctuation and breaks.
    #[test]
    fn every_two_byte_character_at_every_offset() {
        for c in (0..0x800u32).filter_map(char::from_u32) {
            for off in 0..18 {
                let pad = "x".repeat(off);
                for s in [
                    format!("{pad}{c}"),
                    format!("{pad}{c}ab ب{c}ب,{c}\n{c}{c} «x» y.z ا{c}"),
                    format!("{pad}ا{c} {c}ا\t{c}"),
                ] {
                    assert_eq!(
                        ours(&s),
                        words(&s).collect::<Vec<_>>(),
                        "U+{:04X} at {off}",
                        c as u32
                    );
                }
            }
        }
    }

    /// The vector marks equal the byte-by-byte definition, with SSE2 alone
    /// and with AVX2 where the CPU has it.
    #[test]
    fn marks_equal_their_definition() {
        let mut texts = crate::seed_texts();
        texts.push((0..0x800u32).filter_map(char::from_u32).collect());
        #[cfg(target_arch = "x86_64")]
        let widths = [false, std::is_x86_feature_detected!("avx2")];
        #[cfg(not(target_arch = "x86_64"))]
        let widths = [false];
        for (t, avx2) in texts.iter().flat_map(|t| widths.map(|w| (t, w))) {
            let b = t.as_bytes();
            let mut m = Marks::default();
            classify_with(b, &mut m, avx2);
            for (i, &x) in b.iter().enumerate() {
                let p = if i == 0 { 0 } else { b[i - 1] };
                let (brk, single, double, other) = scalar_marks(x, p);
                let bit = |v: &[u64]| v[i / 64] >> (i % 64) & 1 == 1;
                assert_eq!(
                    (
                        bit(&m.breaks),
                        bit(&m.single),
                        bit(&m.double),
                        bit(&m.other)
                    ),
                    (brk, single, double, other),
                    "byte {i}"
                );
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn equals_normalize_words(s in "\\PC{0,80}|[ \n\ta-z0-9\u{0600}-\u{06FF}\u{064B}\u{0640}.,:\u{00A0}\u{2003}\u{00A9}\u{00D7}\u{FE0F}\u{200D}\u{1F600}]{0,120}") {
            proptest::prop_assert_eq!(ours(&s), words(&s).collect::<Vec<_>>());
        }
    }
}

//! The single-pass, table-driven normalizer and the simple reference it must match.
//!
//! A normalizer's steps fall in three groups: per-character *pre-maps* run before
//! Unicode normalization (controls, joiners, the presentation-form pre-maps), the
//! normalization form itself (NFC or NFKC), and per-character *post-maps*
//! (tatweel … casefold), followed by the contextual `whitespace` step.
//!
//! The reference ([`Plan::reference`]) runs these one after the other on whole
//! strings. The fast path gets the same result in one pass: for every BMP code
//! point a table holds the composed effect of all steps on that character alone,
//! which is exact whenever the character starts a normalization segment that it
//! ends too. Text only falls back to `unicode-normalization` for the segments that
//! hold a character that may compose with or reorder against its neighbours.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock};

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::{decompose_canonical, decompose_compatible};

use super::Step;
use super::tables::{ccc, is_newline, is_space, map_char};

/// Unicode NFKC of a string.
pub(crate) fn nfkc_str(s: &str) -> String {
    s.nfkc().collect()
}

/// Which Unicode normalization form a normalizer applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Form {
    None,
    Nfc,
    Nfkc,
}

impl Form {
    fn apply(self, s: &str) -> String {
        match self {
            Form::None => s.to_owned(),
            Form::Nfc => s.nfc().collect(),
            Form::Nfkc => s.nfkc().collect(),
        }
    }

    /// The first character of `c`'s decomposition in this form.
    fn first_of_decomposition(self, c: char) -> char {
        let mut first = None;
        let mut keep = |d: char| {
            if first.is_none() {
                first = Some(d);
            }
        };
        match self {
            Form::None => return c,
            Form::Nfc => decompose_canonical(c, &mut keep),
            Form::Nfkc => decompose_compatible(c, &mut keep),
        }
        first.unwrap_or(c)
    }
}

/// Starters (combining class 0) that are the second element of a canonical
/// composition (Hangul vowels and trailing consonants, some Indic vowel signs):
/// such a character may merge with the one before it.
fn composes_backwards(c: char) -> bool {
    static SET: OnceLock<Vec<u64>> = OnceLock::new();
    let set = SET.get_or_init(|| {
        let mut bits = vec![0u64; 0x110000 / 64];
        // Canonical decompositions exist only below U+30000.
        for cp in 0..0x30000u32 {
            let Some(x) = char::from_u32(cp) else {
                continue;
            };
            let mut d = Vec::new();
            decompose_canonical(x, |y| d.push(y));
            if d.len() >= 2 {
                for &y in &d[1..] {
                    bits[y as usize / 64] |= 1 << (y as u32 % 64);
                }
            }
        }
        bits
    });
    set[c as usize / 64] & (1 << (c as u32 % 64)) != 0
}

/// The compiled list of steps.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Plan {
    pub pre: Vec<Step>,
    pub form: Form,
    pub post: Vec<Step>,
    pub ws: bool,
}

impl Plan {
    pub fn new(steps: &[Step]) -> Plan {
        let has = |s| steps.contains(&s);
        let form = if has(Step::Nfkc) {
            Form::Nfkc
        } else if has(Step::Nfc) {
            Form::Nfc
        } else {
            Form::None
        };
        let pick = |list: &[Step]| -> Vec<Step> {
            list.iter().copied().filter(|s| steps.contains(s)).collect()
        };
        Plan {
            pre: pick(&[
                Step::Controls,
                Step::Joiners,
                Step::SpacingMarks,
                Step::CamelLigatures,
                Step::PresentationForms,
            ]),
            form,
            post: pick(&[
                Step::Tatweel,
                Step::Diacritics,
                Step::Dediac,
                Step::Lookalikes,
                Step::Alef,
                Step::AlefMaksura,
                Step::TehMarbuta,
                Step::Hamza,
                Step::Digits,
                Step::Punct,
                Step::Casefold,
            ]),
            ws: has(Step::Whitespace),
        }
    }

    pub fn has_lookalikes(&self) -> bool {
        self.post.contains(&Step::Lookalikes)
    }

    /// Runs each of `steps` in turn over `s`, character by character.
    fn chain(steps: &[Step], s: &str, skip_look: bool) -> String {
        let mut cur = s.to_owned();
        let mut next = String::with_capacity(s.len());
        for &st in steps {
            if skip_look && st == Step::Lookalikes {
                continue;
            }
            next.clear();
            for c in cur.chars() {
                if !map_char(st, c, &mut next) {
                    next.push(c);
                }
            }
            std::mem::swap(&mut cur, &mut next);
        }
        cur
    }

    /// Post-maps, then re-normalizes until stable: deleting a mark can unblock a
    /// composition (`e` + U+0610 + U+0301), and folding a letter can expose one.
    fn post_fix(&self, s: &str, look: bool) -> String {
        let mut x = Self::chain(&self.post, s, !look);
        if self.form != Form::None {
            for _ in 0..8 {
                let n = self.form.apply(&x);
                if n == x {
                    break;
                }
                x = Self::chain(&self.post, &n, !look);
            }
        }
        x
    }

    /// The simple reference: every step over the whole string in turn. `look`
    /// says whether the look-alike fold applies (the document is Arabic).
    pub fn reference(&self, text: &str, look: bool) -> String {
        let pre = Self::chain(&self.pre, text, false);
        let n = self.form.apply(&pre);
        let post = self.post_fix(&n, look);
        if self.ws {
            reference_whitespace(&post)
        } else {
            post
        }
    }
}

/// The `whitespace` step on a whole string.
fn reference_whitespace(s: &str) -> String {
    let s = s.replace("\r\n", "\n").replace(['\r', '\u{2029}'], "\n");
    let mut out = String::with_capacity(s.len());
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let mut first = true;
        for w in line.split(is_space).filter(|w| !w.is_empty()) {
            if !first {
                out.push(' ');
            }
            out.push_str(w);
            first = false;
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Fast path

const COPY: u8 = 0; // output = input bytes, a segment start, not whitespace
const MAP: u8 = 1; // a segment start whose output (no whitespace) is in the pool
const WS: u8 = 2; // a segment start whose output holds whitespace: fed char by char
const SPACE: u8 = 3; // a segment start that becomes one space
const NL: u8 = 4; // a segment start that becomes a line break
const CR: u8 = 5; // carriage return (joins a following LF)
const GONE: u8 = 6; // deleted before normalization: transparent
const MARK: u8 = 7; // a stable combining mark: fast when in canonical order
const SLOW: u8 = 8; // may compose or reorder: normalize its segment
const SUB: u8 = 9; // like MAP, but one starter of the same byte length: patched in runs
const ASTRAL: u8 = 255; // in `kinds` only: outside the BMP, classified on the fly

#[derive(Clone, Copy, Debug, Default)]
struct Entry {
    kind: u8,
    /// Combining class of the last normalized character (for MARK: its own).
    ccc: u8,
    /// The output involves the look-alike fold.
    look: bool,
    len: u16,
    off: u32,
}

/// The per-code-point table of one plan (with or without the look-alike fold).
#[derive(Debug)]
pub(crate) struct Table {
    /// The kind of every BMP code point (the hot loop reads only this).
    kinds: Box<[u8; 0x10000]>,
    bmp: Box<[Entry]>,
    pool: String,
}

impl Plan {
    /// What the whole chain does to `c` alone: the entry and its output.
    fn classify(&self, c: char, look: bool) -> (Entry, String) {
        if self.inert(c, look) {
            return (Entry::default(), c.to_string());
        }
        let p = Self::chain(&self.pre, c.encode_utf8(&mut [0; 4]), false);
        let mut e = Entry::default();
        let Some(first) = p.chars().next() else {
            e.kind = GONE;
            return (e, String::new());
        };
        let boundary = self.form == Form::None || {
            let f = self.form.first_of_decomposition(first);
            ccc(f) == 0 && !composes_backwards(f) && !composes_backwards(first)
        };
        if !boundary {
            let mut it = p.chars();
            let single = it.next().filter(|_| it.next().is_none());
            if let Some(x) = single {
                let stable = self.form.apply(&p) == p
                    && self.form.first_of_decomposition(x) == x
                    && !composes_backwards(x)
                    && ccc(x) > 0;
                if stable {
                    let out = self.post_fix(&p, look);
                    e.kind = MARK;
                    e.ccc = ccc(x);
                    e.look = look && out != Self::chain(&self.post, &p, true);
                    return (e, out);
                }
            }
            e.kind = SLOW;
            return (e, String::new());
        }
        let n = self.form.apply(&p);
        let out = self.post_fix(&n, look);
        // A following mark is in order only if it sorts after both the
        // normalized character and its folded image (casefold İ → i + U+0307).
        e.ccc = n
            .chars()
            .next_back()
            .map_or(0, ccc)
            .max(out.chars().next_back().map_or(0, ccc));
        e.look = look && out != self.post_fix(&n, false);
        // A deleted starter (tatweel) or an image that starts with a mark (U+FCF2
        // → tatweel + marks, tatweel deleted) lets the marks meet the previous
        // character: normalize it together with its neighbours.
        if self.form != Form::None && out.chars().next().is_none_or(|f| ccc(f) != 0) {
            e.kind = SLOW;
            return (e, String::new());
        }
        let has_ws = out
            .chars()
            .any(|ch| is_space(ch) || is_newline(ch) || ch == '\r');
        e.kind = if self.ws && has_ws {
            let mut it = out.chars();
            match (it.next(), it.next()) {
                (Some(ch), None) if is_space(ch) => SPACE,
                (Some(ch), None) if is_newline(ch) => NL,
                (Some('\r'), None) => CR,
                _ => WS,
            }
        } else if out.as_str() == c.encode_utf8(&mut [0; 4]) && e.ccc == 0 {
            COPY
        } else if out.len() == c.len_utf8() && out.chars().count() == 1 && e.ccc == 0 {
            SUB
        } else {
            MAP
        };
        (e, out)
    }

    /// True when no step touches `c` and it is a stable starter: a COPY entry,
    /// found without running the chain (most of the BMP: this keeps building fast).
    fn inert(&self, c: char, look: bool) -> bool {
        let mut scratch = String::new();
        let untouched = |steps: &[Step], scratch: &mut String| {
            steps.iter().all(|&st| {
                (st == Step::Lookalikes && !look) || {
                    scratch.clear();
                    !map_char(st, c, scratch)
                }
            })
        };
        if !untouched(&self.pre, &mut scratch) || !untouched(&self.post, &mut scratch) {
            return false;
        }
        if self.ws && (is_space(c) || is_newline(c) || c == '\r') {
            return false;
        }
        // Hangul syllables decompose, but normalize back to themselves alone.
        if self.form == Form::None || matches!(c, '\u{AC00}'..='\u{D7A3}') {
            return true;
        }
        let mut n = 0;
        let mut same = true;
        let mut each = |d: char| {
            n += 1;
            same &= d == c;
        };
        match self.form {
            Form::Nfkc => decompose_compatible(c, &mut each),
            _ => decompose_canonical(c, &mut each),
        }
        n == 1 && same && ccc(c) == 0 && !composes_backwards(c)
    }

    fn build_table(&self, look: bool) -> Table {
        let mut bmp = vec![Entry::default(); 0x10000].into_boxed_slice();
        let mut pool = String::new();
        let mut interned: HashMap<String, (u32, u16)> = HashMap::new();
        for cp in 0..0x10000u32 {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            let (mut e, out) = self.classify(c, look);
            if e.kind != COPY && !out.is_empty() {
                let (off, len) = *interned.entry(out).or_insert_with_key(|s| {
                    let off = pool.len() as u32;
                    pool.push_str(s);
                    (off, s.len() as u16)
                });
                e.off = off;
                e.len = len;
            }
            bmp[cp as usize] = e;
        }
        let mut kinds = Box::new([0u8; 0x10000]);
        for (k, e) in kinds.iter_mut().zip(bmp.iter()) {
            *k = e.kind;
        }
        Table { kinds, bmp, pool }
    }
}

/// Tables are costly to build (every BMP code point through the chain), so
/// normalizers with the same plan share them.
pub(crate) fn tables(plan: &Plan) -> (Arc<Table>, Option<Arc<Table>>) {
    type Cache = Mutex<HashMap<Plan, (Arc<Table>, Option<Arc<Table>>)>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(t) = cache.lock().ok().and_then(|c| c.get(plan).cloned()) {
        return t;
    }
    // Both at once: every job waits for them before its first document.
    let t = rayon::join(
        || Arc::new(plan.build_table(true)),
        || {
            plan.has_lookalikes()
                .then(|| Arc::new(plan.build_table(false)))
        },
    );
    if let Ok(mut c) = cache.lock() {
        c.insert(plan.clone(), t.clone());
    }
    t
}

/// Where offsets go: nowhere (fast path) or one source range per output byte.
pub(crate) trait Track {
    const ON: bool;
    fn push(&mut self, n: usize, start: usize, end: usize);
    fn truncate(&mut self, n: usize);
}

impl Track for () {
    const ON: bool = false;
    #[inline(always)]
    fn push(&mut self, _: usize, _: usize, _: usize) {}
    #[inline(always)]
    fn truncate(&mut self, _: usize) {}
}

impl Track for Vec<Range<usize>> {
    const ON: bool = true;
    fn push(&mut self, n: usize, start: usize, end: usize) {
        self.extend(std::iter::repeat_n(start..end, n));
    }
    fn truncate(&mut self, n: usize) {
        Vec::truncate(self, n);
    }
}

/// State of the `whitespace` step while writing.
#[derive(Clone, Copy, Debug)]
struct Ws {
    line_start: bool,
    pending: bool,
    after_cr: bool,
    ps: usize,
    pe: usize,
}

impl Ws {
    const START: Ws = Ws {
        line_start: true,
        pending: false,
        after_cr: false,
        ps: 0,
        pe: 0,
    };
    const MID_LINE: Ws = Ws {
        line_start: false,
        ..Ws::START
    };

    #[inline]
    fn other<T: Track>(&mut self, out: &mut String, tr: &mut T, s: &str, start: usize, end: usize) {
        if self.pending {
            out.push(' ');
            tr.push(1, self.ps, self.pe);
            self.pending = false;
        }
        self.line_start = false;
        self.after_cr = false;
        out.push_str(s);
        tr.push(s.len(), start, end);
    }

    #[inline]
    fn space(&mut self, start: usize, end: usize) {
        self.after_cr = false;
        if !self.line_start {
            if !self.pending {
                self.ps = start;
                self.pending = true;
            }
            self.pe = end;
        }
    }

    fn newline<T: Track>(
        &mut self,
        out: &mut String,
        tr: &mut T,
        cr: bool,
        lf: bool,
        start: usize,
        end: usize,
    ) {
        if lf && self.after_cr {
            self.after_cr = false;
            return;
        }
        self.pending = false;
        self.line_start = true;
        self.after_cr = cr;
        out.push('\n');
        tr.push(1, start, end);
    }

    /// Feeds one output character of a multi-character image.
    fn feed<T: Track>(
        &mut self,
        on: bool,
        out: &mut String,
        tr: &mut T,
        ch: char,
        start: usize,
        end: usize,
    ) {
        if on {
            if is_space(ch) {
                return self.space(start, end);
            }
            if ch == '\r' || is_newline(ch) {
                return self.newline(out, tr, ch == '\r', ch == '\n', start, end);
            }
        }
        self.other(out, tr, ch.encode_utf8(&mut [0; 4]), start, end);
    }
}

#[inline(always)]
fn decode(b: &[u8], i: usize) -> (u32, usize) {
    let b0 = b[i];
    if b0 < 0x80 {
        (b0 as u32, 1)
    } else if b0 < 0xE0 {
        (((b0 as u32 & 0x1F) << 6) | (b[i + 1] as u32 & 0x3F), 2)
    } else if b0 < 0xF0 {
        (
            ((b0 as u32 & 0x0F) << 12) | ((b[i + 1] as u32 & 0x3F) << 6) | (b[i + 2] as u32 & 0x3F),
            3,
        )
    } else {
        (
            ((b0 as u32 & 0x07) << 18)
                | ((b[i + 1] as u32 & 0x3F) << 12)
                | ((b[i + 2] as u32 & 0x3F) << 6)
                | (b[i + 3] as u32 & 0x3F),
            4,
        )
    }
}

/// How many same-length substitutions a run holds before it is flushed.
const PATCHES: usize = 32;

/// Segment start saved so that a later combining character can back up to it.
#[derive(Clone, Copy)]
struct Seg {
    inp: usize,
    out: usize,
    ws: Ws,
}

impl Plan {
    /// Normalizes `text` into `out` (appending) with table `tab`. Returns whether
    /// the look-alike fold changed anything.
    pub(crate) fn run<T: Track>(
        &self,
        tab: &Table,
        look: bool,
        text: &str,
        out: &mut String,
        tr: &mut T,
    ) -> bool {
        let b = text.as_bytes();
        let n = b.len();
        let pool = tab.pool.as_str();
        let mut ws = Ws::START;
        let mut seg = Seg {
            inp: 0,
            out: out.len(),
            ws,
        };
        let mut last_ccc = 0u8;
        let mut looked = false;
        let mut run = Run {
            start: 0,
            npatch: 0,
            patches: [(0, 0); PATCHES],
        };
        let mut owned;
        let mut i = 0usize;
        while i < n {
            if !T::ON {
                i = scan(b, &tab.kinds, i, &mut run);
                if run.start < i {
                    looked |= run.flush(tab, text, i, out, &mut ws, &mut seg);
                    last_ccc = 0;
                }
                if i >= n {
                    break;
                }
            }
            let (cp, len) = decode(b, i);
            let k = if cp < 0x10000 {
                tab.kinds[cp as usize & 0xFFFF]
            } else {
                ASTRAL
            };
            let (e, img): (Entry, &str) = if k != ASTRAL {
                let e = tab.bmp[cp as usize & 0xFFFF];
                (e, &pool[e.off as usize..e.off as usize + e.len as usize])
            } else {
                let c = char::from_u32(cp).unwrap_or('\u{FFFD}');
                let (e, s) = self.classify(c, look);
                owned = s;
                (e, owned.as_str())
            };
            match e.kind {
                GONE => {}
                COPY | MAP | SUB => {
                    seg = Seg {
                        inp: i,
                        out: out.len(),
                        ws,
                    };
                    // COPY entries keep no image: the source is the image.
                    let img = if e.kind == COPY {
                        &text[i..i + len]
                    } else {
                        img
                    };
                    if !img.is_empty() {
                        ws.other(out, tr, img, i, i + len);
                    }
                    looked |= e.look;
                    last_ccc = e.ccc;
                }
                SPACE | NL | CR | WS => {
                    seg = Seg {
                        inp: i,
                        out: out.len(),
                        ws,
                    };
                    match e.kind {
                        SPACE => ws.space(i, i + len),
                        NL => ws.newline(out, tr, false, cp == 0x0A, i, i + len),
                        CR => ws.newline(out, tr, true, false, i, i + len),
                        _ => {
                            for ch in img.chars() {
                                ws.feed(self.ws, out, tr, ch, i, i + len);
                            }
                        }
                    }
                    looked |= e.look;
                    last_ccc = e.ccc;
                }
                MARK if e.ccc >= last_ccc => {
                    if !img.is_empty() {
                        ws.other(out, tr, img, i, i + len);
                    }
                    looked |= e.look;
                    last_ccc = e.ccc;
                }
                _ => {
                    // Back up to the segment start and normalize the whole segment.
                    let mut j = i + len;
                    while j < n {
                        let (cp2, l2) = decode(b, j);
                        let k = if cp2 < 0x10000 {
                            tab.bmp[cp2 as usize & 0xFFFF].kind
                        } else {
                            self.classify(char::from_u32(cp2).unwrap_or('\u{FFFD}'), look)
                                .0
                                .kind
                        };
                        if !matches!(k, GONE | MARK | SLOW) {
                            break;
                        }
                        j += l2;
                    }
                    out.truncate(seg.out);
                    tr.truncate(seg.out);
                    ws = seg.ws;
                    let src = &text[seg.inp..j];
                    let pre = Self::chain(&self.pre, src, false);
                    let norm = self.form.apply(&pre);
                    let img = self.post_fix(&norm, look);
                    looked |= look && self.has_lookalikes() && img != self.post_fix(&norm, false);
                    for ch in img.chars() {
                        ws.feed(self.ws, out, tr, ch, seg.inp, j);
                    }
                    last_ccc = img.chars().next_back().map_or(0, ccc);
                    i = j;
                    run.start = j;
                    continue;
                }
            }
            i += len;
            run.start = i;
        }
        looked
    }
}

const NONE: usize = usize::MAX;

/// A run of characters written with plain copies: unchanged ones, single spaces
/// between them, and a few same-length substitutions.
struct Run {
    start: usize,
    npatch: usize,
    /// (input offset, code point) of the substitutions.
    patches: [(usize, u16); PATCHES],
}

/// Extends the run from `i` as far as it goes; returns where it stopped. Kept
/// small so that its state stays in registers: where the run's last character
/// starts and whether it ends with a space are worked out by `flush`.
#[inline(never)]
fn scan(b: &[u8], kinds: &[u8; 0x10000], mut i: usize, r: &mut Run) -> usize {
    let n = b.len();
    let start = r.start;
    let mut np = r.npatch;
    while i < n {
        let b0 = b[i];
        let (cp, len) = if b0 < 0x80 {
            (b0 as usize, 1)
        } else if b0 < 0xE0 {
            (((b0 as usize & 0x1F) << 6) | (b[i + 1] as usize & 0x3F), 2)
        } else if b0 < 0xF0 {
            let cp = ((b0 as usize & 0x0F) << 12)
                | ((b[i + 1] as usize & 0x3F) << 6)
                | (b[i + 2] as usize & 0x3F);
            (cp, 3)
        } else {
            break;
        };
        let k = kinds[cp & 0xFFFF];
        if k == COPY {
            i += len;
        } else if k == SPACE && cp == 0x20 && i > start && b[i - 1] != b' ' {
            i += 1;
        } else if k == SUB && np < PATCHES {
            r.patches[np] = (i, cp as u16);
            np += 1;
            i += len;
        } else {
            break;
        }
    }
    r.npatch = np;
    i
}

/// Start of the character that ends just before `end` (> 0).
fn char_start_before(b: &[u8], end: usize) -> usize {
    let mut j = end - 1;
    while j > 0 && b[j] & 0xC0 == 0x80 {
        j -= 1;
    }
    j
}

impl Run {
    /// Writes the run `[start, stop)`; a space it ends with stays pending (and is
    /// trimmed at the end of a line). Records the run's last character as the
    /// segment start. Returns whether a substitution was a look-alike fold.
    fn flush(
        &mut self,
        tab: &Table,
        text: &str,
        stop: usize,
        out: &mut String,
        ws: &mut Ws,
        seg: &mut Seg,
    ) -> bool {
        let b = text.as_bytes();
        let mut end = stop;
        let mut sp = NONE;
        if end > self.start && b[end - 1] == b' ' && tab.kinds[0x20] == SPACE {
            sp = end - 1;
            end -= 1;
        }
        let mut looked = false;
        if self.start < end {
            let last = char_start_before(b, end);
            let pre_ws = *ws;
            let pre_len = out.len();
            ws.other(out, &mut (), "", 0, 0);
            let mut at = self.start;
            for &(p, cp) in &self.patches[..self.npatch] {
                let e = tab.bmp[cp as usize];
                let img = &tab.pool[e.off as usize..e.off as usize + e.len as usize];
                out.push_str(&text[at..p]);
                out.push_str(img);
                looked |= e.look;
                at = p + img.len();
            }
            out.push_str(&text[at..end]);
            *seg = if last == self.start {
                Seg {
                    inp: last,
                    out: pre_len,
                    ws: pre_ws,
                }
            } else {
                Seg {
                    inp: last,
                    out: out.len() - (end - last),
                    ws: Ws::MID_LINE,
                }
            };
        }
        self.npatch = 0;
        if sp != NONE {
            *seg = Seg {
                inp: sp,
                out: out.len(),
                ws: *ws,
            };
            ws.space(sp, sp + 1);
        }
        self.start = stop;
        looked
    }
}

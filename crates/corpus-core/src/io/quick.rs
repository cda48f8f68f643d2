//! The id and text of a usual JSON Lines record, read in one pass over its bytes,
//! strings scanned 16 or 32 bytes at a time.
//!
//! It decides only records it reads exactly as serde_json does: a flat or nested
//! object of well-formed values whose keys have no escapes, the text field a
//! string, the id field an integer written plainly, a non-empty string or null,
//! neither field given twice. Anything else (an escaped key, a float id, a lone
//! surrogate, a control character in a string, a field given twice, a
//! malformed line) is left undecided, for serde_json (`super::read::fields`).
//! Strings were the cost there: serde_json looks for quotes and backslashes
//! eight bytes at a time.

use super::read::fields::Fields;

/// Nesting deeper than serde_json's own limit is left to it (it reports it).
const MAX_DEPTH: usize = 128;

/// The fields of `line` as [`super::read::fields::scan`] reads them, or `None`
/// when this reader does not decide the line.
pub(crate) fn fields(line: &str, id_field: &str, text_field: &str) -> Option<Fields> {
    if id_field == text_field {
        return None;
    }
    let (mut text, mut id): (Option<String>, Option<Option<String>>) = (None, None);
    let mut p = Parser::new(line);
    p.members(false, |p, key| {
        if key == text_field {
            // A field given twice is the general path's to report.
            text.is_none().then_some(())?;
            text = Some(p.string(true)?.unwrap_or_default());
        } else if key == id_field {
            id.is_none().then_some(())?;
            id = Some(p.id()?);
        } else {
            p.skip_value(0)?;
        }
        Some(())
    })?;
    p.ws();
    if p.i != p.b.len() {
        return None;
    }
    Some(Fields {
        id: id.flatten(),
        text: text?,
    })
}

/// Byte span of the value of top-level key `field` in the JSON object `raw`
/// (the last one if the key repeats, as serde_json reads it); `None` when `raw`
/// is no well-formed object or has no such field.
pub(crate) fn value_span(raw: &str, field: &str) -> Option<(usize, usize)> {
    let mut found = None;
    let mut p = Parser::new(raw);
    p.members(true, |p, key| {
        let start = p.i;
        p.skip_value(0)?;
        if key == field {
            found = Some((start, p.i));
        }
        Some(())
    })?;
    found
}

/// Whether the top-level key `field` appears more than once in the JSON object
/// `raw` (false also when `raw` is no well-formed object).
pub(crate) fn repeats(raw: &str, field: &str) -> bool {
    let mut n = 0;
    let mut p = Parser::new(raw);
    let walked = p.members(true, |p, key| {
        n += usize::from(key == field);
        p.skip_value(0)
    });
    walked.is_some() && n > 1
}

/// The JSON object `raw` without its top-level members named `field`; every
/// other byte (members, their separators, the whitespace around them) stays as
/// it was, so numbers and escapes are not rewritten. `None` when `raw` is no
/// well-formed object.
pub(crate) fn without_members(raw: &str, field: &str) -> Option<String> {
    // (key start, value end, whether it goes) of each member.
    let mut members: Vec<(usize, usize, bool)> = Vec::new();
    let mut p = Parser::new(raw);
    p.members(true, |p, key| {
        let at = p.key_at;
        p.skip_value(0)?;
        members.push((at, p.i, key == field));
        Some(())
    })?;
    let (Some(first), Some(last)) = (members.first(), members.last()) else {
        return Some(raw.to_owned());
    };
    let mut out = String::with_capacity(raw.len());
    out.push_str(&raw[..first.0]);
    let mut any_kept = false;
    for (k, &(at, end, goes)) in members.iter().enumerate() {
        if goes {
            continue;
        }
        if any_kept {
            // The separator written before this member (comma and whitespace).
            out.push_str(&raw[members[k - 1].1..at]);
        }
        out.push_str(&raw[at..end]);
        any_kept = true;
    }
    out.push_str(&raw[last.1..]);
    Some(out)
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
    /// Where the key of the member [`Parser::members`] is at starts.
    key_at: usize,
}

impl<'a> Parser<'a> {
    fn new(s: &'a str) -> Self {
        Parser {
            s,
            b: s.as_bytes(),
            i: 0,
            key_at: 0,
        }
    }

    /// Walks the object that starts here (after whitespace) to its closing
    /// brace, calling `value` with each key (decoded when `decode`; else a key
    /// with escapes gives `None`) and the parser at the key's value, which
    /// `value` must read.
    fn members(
        &mut self,
        decode: bool,
        mut value: impl FnMut(&mut Self, &str) -> Option<()>,
    ) -> Option<()> {
        self.ws();
        self.eat(b'{')?;
        self.ws();
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(());
        }
        loop {
            self.ws();
            self.key_at = self.i;
            let key = self.key(decode)?;
            self.ws();
            self.eat(b':')?;
            self.ws();
            value(self, &key)?;
            self.ws();
            match self.next()? {
                b',' => continue,
                b'}' => return Some(()),
                _ => return None,
            }
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        Some(c)
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.next()? == c).then_some(())
    }

    /// JSON's whitespace (not the form feed `is_ascii_whitespace` allows).
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\t' | b'\r')) {
            self.i += 1;
        }
    }

    /// A key: borrowed when it has no escapes, else decoded when `decode`
    /// (`None` if not).
    fn key(&mut self, decode: bool) -> Option<std::borrow::Cow<'a, str>> {
        let start = self.i + 1;
        if self.peek()? != b'"' {
            return None;
        }
        let end = start + special(&self.b[start..])?;
        if self.b[end] == b'"' {
            self.i = end + 1;
            return Some(std::borrow::Cow::Borrowed(&self.s[start..end]));
        }
        if !decode {
            return None;
        }
        self.string(true)?.map(std::borrow::Cow::Owned)
    }

    /// A string, decoded when `keep` (else only checked). `None` when it is not
    /// one serde_json reads to the same text; `Some(None)` when not kept.
    fn string(&mut self, keep: bool) -> Option<Option<String>> {
        self.eat(b'"')?;
        let mut out = keep.then(String::new);
        loop {
            let start = self.i;
            let at = start + special(&self.b[start..])?;
            if let Some(o) = out.as_mut() {
                // The run starts and ends next to ASCII bytes: whole characters.
                o.push_str(self.s.get(start..at)?);
            }
            self.i = at + 1;
            match self.b[at] {
                b'"' => return Some(out),
                b'\\' => {
                    let c = self.escape()?;
                    if let Some(o) = out.as_mut() {
                        o.push(c);
                    }
                }
                // A control character, which JSON strings may not hold raw.
                _ => return None,
            }
        }
    }

    /// The character of the escape after a backslash.
    fn escape(&mut self) -> Option<char> {
        Some(match self.next()? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = self.hex4()?;
                match hi {
                    0xD800..=0xDBFF => {
                        self.eat(b'\\')?;
                        self.eat(b'u')?;
                        let lo = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&lo) {
                            return None;
                        }
                        char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))?
                    }
                    _ => char::from_u32(hi)?,
                }
            }
            _ => return None,
        })
    }

    fn hex4(&mut self) -> Option<u32> {
        let h = self.b.get(self.i..self.i + 4)?;
        self.i += 4;
        h.iter()
            .try_fold(0u32, |v, &d| Some(v << 4 | char::from(d).to_digit(16)?))
    }

    /// The id: a non-empty string, an integer written plainly (as serde_json
    /// prints it back) or null (`None`).
    fn id(&mut self) -> Option<Option<String>> {
        match self.peek()? {
            b'"' => {
                let s = self.string(true)??;
                (!s.is_empty()).then_some(Some(s))
            }
            b'n' => self.literal(b"null").map(|()| None),
            _ => {
                let start = self.i;
                let neg = usize::from(self.peek() == Some(b'-'));
                self.i += neg;
                let digits = self.b[self.i..]
                    .iter()
                    .take_while(|d| d.is_ascii_digit())
                    .count();
                self.i += digits;
                let text = &self.b[start..self.i];
                // 1 to 18 digits, no leading zero (but "0"), not "-0": an i64,
                // printed as written; a fraction or exponent goes to serde_json.
                let plain = (1..=18).contains(&digits)
                    && (text[neg] != b'0' || (digits == 1 && neg == 0))
                    && !matches!(self.peek(), Some(b'.' | b'e' | b'E'));
                plain.then(|| Some(self.s[start..self.i].to_owned()))
            }
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.i + word.len();
        (self.b.get(self.i..end)? == word).then(|| self.i = end)
    }

    /// Skips one well-formed value.
    fn skip_value(&mut self, depth: usize) -> Option<()> {
        match self.peek()? {
            b'"' => self.string(false).map(drop),
            b'{' | b'[' if depth < MAX_DEPTH => self.skip_container(depth + 1),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn skip_container(&mut self, depth: usize) -> Option<()> {
        let close = if self.next()? == b'{' { b'}' } else { b']' };
        self.ws();
        if self.peek()? == close {
            self.i += 1;
            return Some(());
        }
        loop {
            self.ws();
            if close == b'}' {
                self.string(false)?;
                self.ws();
                self.eat(b':')?;
                self.ws();
            }
            self.skip_value(depth)?;
            self.ws();
            match self.next()? {
                b',' => continue,
                c if c == close => return Some(()),
                _ => return None,
            }
        }
    }

    /// A number as JSON writes it: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Option<()> {
        let digits = |p: &mut Self| {
            let n = p.b[p.i..].iter().take_while(|d| d.is_ascii_digit()).count();
            p.i += n;
            n
        };
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => {
                digits(self);
            }
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            (digits(self) > 0).then_some(())?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            (digits(self) > 0).then_some(())?;
        }
        Some(())
    }
}

/// Offset of the first quote, backslash or control character of `b`.
fn special(b: &[u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: AVX2 was detected just above.
            #[allow(unsafe_code)]
            return unsafe { vector::special_avx2(b) };
        }
        vector::special_sse2(b)
    }
    #[cfg(not(target_arch = "x86_64"))]
    special_scalar(b)
}

/// [`special`] a byte at a time (the tails of the vector scans).
fn special_scalar(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20)
}

#[cfg(target_arch = "x86_64")]
mod vector {
    use std::arch::x86_64::*;

    /// The scan of [`super::special`] over whole vectors of `$width` bytes, with
    /// that width's load, compare, splat, minimum, or and mask; returns where the
    /// vectors stopped and the offset found, if any.
    macro_rules! scan {
        ($b:expr, $width:expr, $load:ident, $eq:ident, $splat:ident, $min:ident, $or:ident, $mask:ident) => {{
            let b: &[u8] = $b;
            let mut i = 0;
            let mut found = None;
            while i + $width <= b.len() {
                // SAFETY: the caller's CPU features; the load reads the bytes at
                // `i`, inside `b` (the loop condition).
                #[allow(unsafe_code)]
                let m = unsafe {
                    let v = $load(b.as_ptr().add(i).cast());
                    let quote = $eq(v, $splat(b'"' as i8));
                    let backslash = $eq(v, $splat(b'\\' as i8));
                    let control = $eq($min(v, $splat(0x1F)), v);
                    $mask($or($or(quote, backslash), control)) as u32
                };
                if m != 0 {
                    found = Some(i + m.trailing_zeros() as usize);
                    break;
                }
                i += $width;
            }
            (i, found)
        }};
    }

    /// [`super::special`] 16 bytes at a time (SSE2 is part of the x86-64 baseline).
    pub(super) fn special_sse2(b: &[u8]) -> Option<usize> {
        let (i, found) = scan!(
            b,
            16,
            _mm_loadu_si128,
            _mm_cmpeq_epi8,
            _mm_set1_epi8,
            _mm_min_epu8,
            _mm_or_si128,
            _mm_movemask_epi8
        );
        found.or_else(|| super::special_scalar(&b[i..]).map(|k| i + k))
    }

    /// [`super::special`] 32 bytes at a time.
    ///
    /// # Safety
    /// The CPU must have AVX2.
    #[allow(unsafe_code)]
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn special_avx2(b: &[u8]) -> Option<usize> {
        let (i, found) = scan!(
            b,
            32,
            _mm256_loadu_si256,
            _mm256_cmpeq_epi8,
            _mm256_set1_epi8,
            _mm256_min_epu8,
            _mm256_or_si256,
            _mm256_movemask_epi8
        );
        found.or_else(|| special_sse2(&b[i..]).map(|k| i + k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::read::fields::scan_serde;

    /// Decided records equal serde_json's reading, and the usual ones are decided.
    fn check(line: &str, decided: bool) {
        let quick = fields(line, "id", "text");
        assert_eq!(quick.is_some(), decided, "{line}");
        if let Some(q) = quick {
            let s = scan_serde(line, "id", "text").expect(line);
            assert_eq!((q.id, q.text), (s.id, s.text), "{line}");
        }
    }

    #[test]
    fn reads_usual_records_as_serde_json_does() {
        for line in [
            r#"{"id":"a","text":"نص عربي"}"#,
            r#"{"text":"x y","id":12}"#,
            r#"{"text":"x y","id":-7}"#,
            r#"{"text":"x y","id":0}"#,
            r#"{"text":"x y","id":null}"#,
            r#"{"text":"x y"}"#,
            r#"{"meta":{"text":"inner","id":[1,{"a":null}],"x":[]},"id":"b","text":"outer"}"#,
            r#"{"id":"d","text":"line\nbreak \"quoted\" \u0645 \ud83d\ude00 \/ \\ \b\f\r\t"}"#,
            "  {\"id\":\"e\",\r\n\t\"text\":\"spaces around\"}  ",
            r#"{"id":"f","n":-0.5e+3,"m":1E9,"t":true,"u":false,"text":"x"}"#,
            r#"{"id":"g","text":"\u0000 nul"}"#,
        ] {
            check(line, true);
        }
    }

    #[test]
    fn leaves_the_rest_to_serde_json() {
        for line in [
            r#"{"text":"x y","id":1.5e3}"#,
            r#"{"text":"x y","id":-0}"#,
            r#"{"text":"x y","id":007}"#,
            r#"{"text":"x y","id":1234567890123456789}"#,
            r#"{"id":"a","text":"first","text":"second"}"#,
            r#"{"id":"a","id":"b","text":"x"}"#,
            r#"{"te\u0078t":"escaped key","id":"c"}"#,
            r#"{"id":"","text":"empty id"}"#,
            r#"{"id":true,"text":"bad id"}"#,
            r#"{"id":"f","text":5}"#,
            r#"{"id":"g"}"#,
            r#"[1,2]"#,
            r#"{"id":"h","text":"unterminated"#,
            r#"{"id":"j","text":"x"} trailing"#,
            "{\"id\":\"k\",\"text\":\"raw\ttab\"}",
            "\u{c}{\"id\":\"l\",\"text\":\"form feed\"}",
            r#"{"id":"m","text":"lone \ud83d surrogate"}"#,
            r#"{"id":"n","text":"bad \x escape"}"#,
            r#"{"id":"o","n":01,"text":"x"}"#,
            r#"{"id":"p","n":1.,"text":"x"}"#,
            r#"{"id":"q","n":tru,"text":"x"}"#,
            r#"{"id":"r","text":"x",}"#,
            r#"{"id":"s" "text":"x"}"#,
        ] {
            check(line, false);
        }
    }

    /// Every record of the real corpora is decided, as serde_json reads it.
    #[test]
    fn reads_the_real_corpora_as_serde_json_does() {
        let Some(root) = crate::shared_corpora() else {
            return;
        };
        let mut n = 0;
        for name in ["news_pairs", "near_dup_labeled", "multilingual"] {
            let Ok(dir) = std::fs::read_dir(root.join(name)) else {
                continue;
            };
            for e in dir.flatten() {
                let path = e.path();
                if path.extension().is_none_or(|x| x != "jsonl") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for line in text.lines().filter(|l| !l.trim().is_empty()) {
                    let quick = fields(line, "id", "text");
                    let serde = scan_serde(line, "id", "text");
                    if let Some(q) = quick {
                        let s = serde.expect(line);
                        assert_eq!((&q.id, &q.text), (&s.id, &s.text));
                        n += 1;
                    }
                }
            }
        }
        assert!(n > 1000, "only {n} records read");
    }

    /// The vector scans find what the byte-by-byte one finds, at every offset
    /// around their blocks.
    #[test]
    fn scans_agree() {
        for len in 0..100 {
            for at in 0..=len {
                for c in [b'"', b'\\', 0x00, 0x1F, 0x20, b'a', 0xD8] {
                    let mut b = vec![b'x'; len];
                    if at < len {
                        b[at] = c;
                    }
                    let want = special_scalar(&b);
                    #[cfg(target_arch = "x86_64")]
                    {
                        assert_eq!(vector::special_sse2(&b), want, "{len} {at} {c}");
                        if std::is_x86_feature_detected!("avx2") {
                            // SAFETY: AVX2 was detected just above.
                            #[allow(unsafe_code)]
                            let got = unsafe { vector::special_avx2(&b) };
                            assert_eq!(got, want, "{len} {at} {c}");
                        }
                    }
                    assert_eq!(special(&b), want);
                }
            }
        }
    }

    #[test]
    fn repeats_counts_top_level_keys_escaped_or_not() {
        assert!(repeats(r#"{"text":"a","text":"b"}"#, "text"));
        assert!(repeats(r#"{"t\u0065xt":"a","id":1,"text":"b"}"#, "text"));
        assert!(!repeats(r#"{"text":"a","m":{"text":"b"}}"#, "text"));
        assert!(!repeats(r#"{"text":"a","texts":"b"}"#, "text"));
        assert!(!repeats(r#"{"text":"a","text":}"#, "text"));
    }

    #[test]
    fn without_members_takes_out_those_members_alone() {
        let out = |raw: &str| without_members(raw, "ghirbal");
        for (raw, want) in [
            (
                r#"{"id":1,"ghirbal":{"a":1},"text":"x"}"#,
                r#"{"id":1,"text":"x"}"#,
            ),
            (r#"{"ghirbal":null, "id":1}"#, r#"{"id":1}"#),
            (r#"{"id":1 , "ghirbal" : [1,{"b":2}] }"#, r#"{"id":1 }"#),
            (r#"{"ghirbal":1}"#, r#"{}"#),
            (r#" { "ghirbal":1 } "#, r#" {  } "#),
            (r#"{}"#, r#"{}"#),
            // Every copy, an escaped name too; a nested one stays.
            (
                r#"{"ghirbal":1,"x":{"ghirbal":2},"ghirbal":3,"n":1E400}"#,
                r#"{"x":{"ghirbal":2},"n":1E400}"#,
            ),
            // The other members' bytes as they were.
            (
                r#"{"big":12345678901234567890123,"f":1.10,"e":1e2,"w":"é","ghirbal":{}}"#,
                r#"{"big":12345678901234567890123,"f":1.10,"e":1e2,"w":"é"}"#,
            ),
        ] {
            assert_eq!(out(raw).as_deref(), Some(want), "{raw}");
        }
        for bad in [r#"{"ghirbal":}"#, r#"["ghirbal"]"#, r#"{"a":1,}"#, ""] {
            assert_eq!(out(bad), None, "{bad}");
        }
    }

    proptest::proptest! {
        /// Any object of random values, keys and spacing: decided the same as
        /// serde_json, or left to it.
        #[test]
        fn agrees_with_serde_json(
            entries in proptest::collection::vec(
                (
                    proptest::sample::select(vec!["id", "text", "meta", "t\\u0065xt", "n"]),
                    proptest::sample::select(vec![
                        r#""plain""#, r#""""#, r#""a\"b\\c\/\n\u0041\ud83d\ude00""#,
                        r#""\ud83d""#, "12", "-3", "0", "-0", "1.5", "2e3", "true", "null",
                        r#"{"text":"x","a":[1,"2",{}]}"#, "[]", r#""نص""#, "\"tab\there\"",
                    ]),
                    proptest::sample::select(vec!["", " ", "\n", "\t\r "]),
                ),
                0..6,
            ),
            trailing in proptest::sample::select(vec!["", " ", "x", ","]),
        ) {
            let body: Vec<String> = entries
                .iter()
                .map(|(k, v, s)| format!("{s}\"{k}\"{s}:{s}{v}{s}"))
                .collect();
            let line = format!("{{{}}}{trailing}", body.join(","));
            // Taking out a field leaves what serde_json reads, without it.
            if let Ok(mut tree) = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&line) {
                let rest = without_members(&line, "meta");
                proptest::prop_assert!(rest.is_some(), "{}", line);
                tree.remove("meta");
                let rest: serde_json::Map<String, serde_json::Value> =
                    serde_json::from_str(&rest.unwrap()).unwrap();
                proptest::prop_assert_eq!(rest, tree, "{}", line);
            }
            if let Some(q) = fields(&line, "id", "text") {
                let s = scan_serde(&line, "id", "text");
                proptest::prop_assert!(s.is_some(), "{}", line);
                let s = s.unwrap();
                proptest::prop_assert_eq!((q.id, q.text), (s.id, s.text), "{}", line);
            }
        }
    }
}

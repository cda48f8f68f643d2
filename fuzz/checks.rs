// The properties each fuzz target checks. Shared, through `include!`/`#[path]`,
// by the fuzz targets and by the test that replays fuzz/corpus/ in CI, so both
// run exactly the same code.

use std::path::Path;

use corpus_core::io::{InputConfig, InvalidBytes, Oversize, Reader, decode_bytes};
use corpus_core::normalize::{NormalizeConfig, Normalizer};
use corpus_core::{Document, Error};

/// Every record comes out as a document or a located error; a document is
/// never empty, respects the size limit, and its raw record is a JSON object.
pub fn jsonl_reader(data: &[u8]) {
    for (encoding, invalid, max, oversize) in [
        ("utf-8", InvalidBytes::Error, None, Oversize::Reject),
        ("auto", InvalidBytes::Replace, Some(40), Oversize::Truncate),
        (
            "windows-1256",
            InvalidBytes::Error,
            Some(7),
            Oversize::Reject,
        ),
    ] {
        let cfg = InputConfig {
            encoding: encoding.into(),
            invalid_bytes: invalid,
            max_doc_bytes: max,
            oversize,
            ..InputConfig::default()
        };
        let reader = Reader::from_jsonl_bytes(Path::new("fuzz"), data.to_vec(), cfg)
            .expect("valid configuration");
        for item in reader {
            match item {
                Ok(Document { text, raw, .. }) => {
                    assert!(!text.trim().is_empty());
                    if let Some(m) = max {
                        assert!(text.len() as u64 <= m);
                    }
                    let raw = raw.expect("a JSONL record keeps its raw line");
                    let v: serde_json::Value = serde_json::from_str(&raw).expect("raw is JSON");
                    assert!(v.is_object());
                }
                Err(Error::Record { line, .. }) => assert!(line > 0),
                Err(Error::Data { .. }) => {}
                Err(e) => panic!("unexpected error kind: {e}"),
            }
        }
    }
}

/// Detection never fails under `replace`; where strict decoding succeeds it
/// agrees with it and replaced nothing.
pub fn encoding(data: &[u8]) {
    let (lenient, enc, replaced) =
        decode_bytes(data, "auto", InvalidBytes::Replace).expect("replace never fails");
    match decode_bytes(data, "auto", InvalidBytes::Error) {
        Ok((strict, enc2, r2)) => {
            assert_eq!((strict.as_str(), enc2, r2), (lenient.as_str(), enc, 0));
            assert_eq!(replaced, 0);
        }
        Err(Error::Data { offset, .. }) => {
            assert!(replaced > 0);
            assert!(offset <= data.len() as u64);
        }
        Err(e) => panic!("unexpected error kind: {e}"),
    }
}

/// The key normalizer never panics and is idempotent.
pub fn normalize(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let n = Normalizer::new(&NormalizeConfig::default()).expect("default config");
    let once = n.normalize(text).into_owned();
    let twice = n.normalize(&once).into_owned();
    assert_eq!(once, twice, "normalization is not idempotent");
}

/// Cuts are sorted, in bounds, on character boundaries; applying them works.
pub fn clean(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let c = corpus_core::clean::Cleaner::new(&corpus_core::clean::CleanConfig::default())
        .expect("default config");
    let cuts = c.cuts(text);
    let mut pos = 0;
    for cut in &cuts {
        assert!(pos <= cut.start && cut.start <= cut.end && cut.end <= text.len());
        assert!(text.is_char_boundary(cut.start) && text.is_char_boundary(cut.end));
        pos = cut.end;
    }
    let out = corpus_core::clean::apply(text, &cuts);
    assert!(out.len() <= text.len());
    // The passages the cuts leave: the same cuts, and whole lines apart from
    // them and from each other, so that both merge into sorted, disjoint spans.
    let (again, passages) = c.cuts_and_passages(text, None, 20);
    assert_eq!(again, cuts);
    let mut spans: Vec<(usize, usize)> = cuts.iter().map(|c| (c.start, c.end)).collect();
    for p in &passages {
        assert!(text.is_char_boundary(p.start) && text.is_char_boundary(p.end));
        assert!(p.start == 0 || text.as_bytes()[p.start - 1] == b'\n');
        spans.push((p.start, p.end));
    }
    spans.sort_unstable();
    for w in spans.windows(2) {
        assert!(w[0].1 <= w[1].0, "{spans:?}");
    }
}

//! Broken records, compression and encodings: what the reader does with each
//! kind of bad input (the table in docs/failures.md points at these tests).

use std::io::Write;
use std::path::{Path, PathBuf};

use corpus_core::clean::job::run_clean;
use corpus_core::io::{
    Detection, InputConfig, InvalidBytes, Oversize, Reader, decode_bytes, fingerprint_file,
    list_inputs,
};
use corpus_core::pipeline::run_dedup;
use corpus_core::{Config, Document, Error, OnError};
use serde_json::{Value, json};

use crate::common::seeds;

/// The text of one bundled seed article.
pub fn seed(n: usize) -> String {
    let mut files: Vec<PathBuf> = std::fs::read_dir(seeds())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    std::fs::read_to_string(&files[n]).unwrap()
}

/// One JSONL line for a seed-derived record.
fn rec(id: &str, text: &str) -> String {
    json!({"id": id, "text": text, "source": "test"}).to_string()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn read_all(path: &Path, cfg: InputConfig) -> (Vec<Result<Document, Error>>, Reader) {
    let files = list_inputs(&[path.to_path_buf()], None).unwrap();
    let mut r = Reader::new(files, cfg);
    let items: Vec<_> = r.by_ref().collect();
    (items, r)
}

fn ok_docs(items: &[Result<Document, Error>]) -> Vec<&Document> {
    items.iter().filter_map(|r| r.as_ref().ok()).collect()
}

/// The reason of a record error at `line`, or a panic naming what came instead.
fn record_error(item: &Result<Document, Error>, line: u64) -> String {
    match item {
        Err(Error::Record {
            line: l, reason, ..
        }) if *l == line => reason.clone(),
        other => panic!("expected a record error at line {line}, got {other:?}"),
    }
}

fn skip_cfg() -> Config {
    Config {
        on_error: OnError::Skip,
        ..Config::default()
    }
}

fn rejects(out: &Path) -> Vec<Value> {
    std::fs::read_to_string(out.join("rejects.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn malformed_json_names_file_and_line_and_reading_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let body = format!(
        "{}\n{{\"id\": \"b\", \"text\": \"نص مقطوع\n{}\n",
        rec("a", &seed(0)),
        rec("c", &seed(2))
    );
    let p = write(tmp.path(), "in.jsonl", body.as_bytes());
    let (items, _) = read_all(&p, InputConfig::default());
    assert_eq!(items.len(), 3);
    let reason = record_error(&items[1], 2);
    assert!(reason.starts_with("malformed JSON"), "{reason}");
    let msg = items[1].as_ref().unwrap_err().to_string();
    assert!(msg.starts_with(&format!("{}:2: ", p.display())), "{msg}");
    let ids: Vec<_> = ok_docs(&items).iter().map(|d| d.id.clone()).collect();
    assert_eq!(ids, ["a", "c"]);
}

#[test]
fn on_error_fail_stops_with_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let body = format!("{}\nnot json\n", rec("a", &seed(0)));
    let p = write(tmp.path(), "in.jsonl", body.as_bytes());
    let out = tmp.path().join("out");
    let err = run_dedup(std::slice::from_ref(&p), &out, &Config::default(), None).unwrap_err();
    assert!(
        err.to_string()
            .starts_with(&format!("{}:2: malformed JSON", p.display())),
        "{err}"
    );
    assert!(!out.exists(), "a failed run leaves no output folder");
}

#[test]
fn lone_surrogate_escape_is_rejected_but_a_pair_is_read() {
    // serde_json refuses a lone surrogate: it cannot be held in a Rust string,
    // and writing U+FFFD in its place would change the record silently.
    let tmp = tempfile::tempdir().unwrap();
    let body = concat!(
        r#"{"id": "lone", "text": "قبل \ud800 بعد"}"#,
        "\n",
        r#"{"id": "pair", "text": "وجه \ud83d\ude00 مبتسم"}"#,
        "\n",
        r#"{"id": "low", "text": "\udc00"}"#,
        "\n"
    );
    let p = write(tmp.path(), "in.jsonl", body.as_bytes());
    let (items, _) = read_all(&p, InputConfig::default());
    for (i, line) in [(0, 1), (2, 3)] {
        let r = record_error(&items[i], line);
        assert!(
            r.starts_with("malformed JSON") && r.contains("surrogate"),
            "{r}"
        );
    }
    assert_eq!(items[1].as_ref().unwrap().text, "وجه 😀 مبتسم");
}

#[test]
fn nul_bytes_raw_are_rejected_escaped_are_text() {
    let tmp = tempfile::tempdir().unwrap();
    let mut body = Vec::new();
    body.extend_from_slice(b"{\"id\": \"raw\", \"text\": \"a\0b\"}\n");
    body.extend_from_slice(b"{\"id\": \"esc\", \"text\": \"\\u0000\xd9\x86\xd8\xb5\"}\n");
    body.extend_from_slice(b"\0\n");
    let p = write(tmp.path(), "in.jsonl", &body);
    let (items, _) = read_all(&p, InputConfig::default());
    assert!(record_error(&items[0], 1).contains("control character"));
    assert_eq!(items[1].as_ref().unwrap().text, "\0نص");
    assert!(record_error(&items[2], 3).starts_with("malformed JSON"));
    // A NUL inside a plain-text file is text like any other character.
    let t = write(tmp.path(), "nul.txt", "نص\0نص".as_bytes());
    let (items, _) = read_all(&t, InputConfig::default());
    assert_eq!(items[0].as_ref().unwrap().text, "نص\0نص");
}

#[test]
fn crlf_blank_lines_bom_and_missing_final_newline() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, c) = (seed(0), seed(2), seed(3));
    let mut body = Vec::new();
    body.extend_from_slice(b"\xEF\xBB\xBF");
    body.extend_from_slice(rec("a", &a).as_bytes());
    body.extend_from_slice(b"\r\n\r\n   \n\t\r\n");
    // A second file joined with `cat` keeps its BOM in the middle.
    body.extend_from_slice(b"\xEF\xBB\xBF");
    body.extend_from_slice(rec("b", &b).as_bytes());
    body.extend_from_slice(b"\r\n");
    body.extend_from_slice(rec("c", &c).as_bytes()); // no final newline
    let p = write(tmp.path(), "in.jsonl", &body);
    let (items, _) = read_all(&p, InputConfig::default());
    let docs: Vec<_> = items.into_iter().map(Result::unwrap).collect();
    let got: Vec<_> = docs
        .iter()
        .map(|d| (d.id.as_str(), d.origin.line))
        .collect();
    // Blank lines are not records, but line numbers still count them.
    assert_eq!(got, [("a", 1), ("b", 5), ("c", 6)]);
    assert_eq!(docs[0].text, a);
    assert_eq!(docs[2].text, c);
    for d in &docs {
        let raw = d.raw.as_deref().unwrap();
        assert!(
            !raw.ends_with('\r') && !raw.starts_with('\u{FEFF}'),
            "{raw:?}"
        );
    }
}

#[test]
fn text_field_missing_null_number_array_or_empty() {
    let tmp = tempfile::tempdir().unwrap();
    let body = [
        r#"{"id": "1", "body": "نص"}"#,
        r#"{"id": "2", "text": null}"#,
        r#"{"id": "3", "text": 42}"#,
        r#"{"id": "4", "text": ["نص", "آخر"]}"#,
        r#"{"id": "5", "text": ""}"#,
        r#"{"id": "6", "text": " \n\t "}"#,
        r#"["not", "an", "object"]"#,
        r#"{"id": {"nested": 1}, "text": "نص"}"#,
        r#"{"id": "9", "text": "نص سليم"}"#,
        r#"{"id": "10", "text": "نص", "text": "نص آخر"}"#,
        r#"{"id": "11", "text": "نص", "id": "12"}"#,
        r#"{"id": "13", "text": "نص", "meta": {"text": "داخل", "id": 1}, "x": 1, "x": 2}"#,
    ]
    .join("\n");
    let p = write(tmp.path(), "in.jsonl", body.as_bytes());
    let (items, _) = read_all(&p, InputConfig::default());
    // Line by line; a repeated text or id field makes the record ambiguous (which
    // copy counts is up to the reader), repeats elsewhere (nested, other fields) not.
    let errors = [
        (1, "missing field \"text\""),
        (2, "field \"text\" is null, not a string"),
        (3, "field \"text\" is a number, not a string"),
        (4, "field \"text\" is an array, not a string"),
        (5, "empty text"),
        (6, "empty text"),
        (7, "record is not a JSON object"),
        (8, "field \"id\" is an object, not a string or number"),
        (
            10,
            "field \"text\" appears more than once: the record is ambiguous",
        ),
        (
            11,
            "field \"id\" appears more than once: the record is ambiguous",
        ),
    ];
    for (line, want) in errors {
        assert_eq!(
            record_error(&items[line - 1], line as u64),
            want,
            "line {line}"
        );
    }
    assert_eq!(items[8].as_ref().unwrap().id, "9");
    assert_eq!(items[11].as_ref().unwrap().id, "13");
    // An empty .txt file is an empty document: rejected too.
    let t = write(tmp.path(), "empty.txt", b"");
    let (items, _) = read_all(&t, InputConfig::default());
    assert_eq!(record_error(&items[0], 0), "empty text");
}

#[test]
fn skip_sends_every_bad_record_to_rejects_and_accounting_holds() {
    let tmp = tempfile::tempdir().unwrap();
    let mut body = Vec::new();
    for (i, line) in [
        rec("a", &seed(0)),
        "{broken".to_string(),
        r#"{"id": "n", "text": null}"#.to_string(),
        r#"{"id": "s", "text": "\ud800"}"#.to_string(),
        rec("b", &seed(2)),
        r#"{"id": "e", "text": ""}"#.to_string(),
        rec("a", &seed(3)), // duplicate id
    ]
    .iter()
    .enumerate()
    {
        if i > 0 {
            body.push(b'\n');
        }
        body.extend_from_slice(line.as_bytes());
    }
    body.extend_from_slice(b"\n{\"id\": \"u\", \"text\": \"\xff\xfe\"}\n");
    let p = write(tmp.path(), "in.jsonl", &body);
    let out = tmp.path().join("out");
    let s = run_dedup(std::slice::from_ref(&p), &out, &skip_cfg(), None).unwrap();
    let c = &s.counts;
    assert_eq!(c.input, 8);
    assert_eq!(c.rejected, 6);
    assert_eq!(c.kept + c.removed, 2);
    assert_eq!(c.input, c.kept + c.removed + c.rejected);
    let r = rejects(&out);
    let lines: Vec<u64> = r.iter().map(|v| v["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [2, 3, 4, 6, 7, 8]);
    for v in &r {
        assert_eq!(v["file"], p.display().to_string());
        assert!(!v["reason"].as_str().unwrap().is_empty());
    }
    assert!(r[4]["reason"].as_str().unwrap().contains("duplicate id"));
    assert!(
        r[5]["reason"]
            .as_str()
            .unwrap()
            .starts_with("invalid UTF-8 at byte")
    );
}

#[test]
fn invalid_utf8_in_a_line_names_the_byte_offset() {
    let tmp = tempfile::tempdir().unwrap();
    let first = rec("a", &seed(0));
    let mut body = first.clone().into_bytes();
    body.push(b'\n');
    let second = b"{\"id\": \"b\", \"text\": \"ab\xC3(\"}";
    body.extend_from_slice(second);
    let p = write(tmp.path(), "in.jsonl", &body);
    let (items, _) = read_all(&p, InputConfig::default());
    let at = first.len() + 1 + second.iter().position(|&b| b == 0xC3).unwrap();
    assert_eq!(
        record_error(&items[1], 2),
        format!("invalid UTF-8 at byte {at}")
    );
    assert!(
        matches!(&items[1], Err(Error::Record { offset: Some(o), .. }) if *o == at as u64),
        "{:?}",
        items[1]
    );
    // In a line opened by a byte-order mark (files joined with `cat`), the
    // offset is still the bad byte's place in the file.
    let mut joined = body.clone();
    joined.push(b'\n');
    let start = joined.len();
    joined.extend_from_slice(b"\xEF\xBB\xBF");
    joined.extend_from_slice(second);
    let (items, _) = read_all(
        &write(tmp.path(), "joined.jsonl", &joined),
        InputConfig::default(),
    );
    let bad = start + 3 + second.iter().position(|&b| b == 0xC3).unwrap();
    assert_eq!(
        record_error(&items[2], 3),
        format!("invalid UTF-8 at byte {bad}")
    );
    // The reject gives the offset as a field too, beside the line.
    run_dedup(
        std::slice::from_ref(&p),
        &tmp.path().join("o"),
        &skip_cfg(),
        None,
    )
    .unwrap();
    let rejects = std::fs::read_to_string(tmp.path().join("o/rejects.jsonl")).unwrap();
    let reject: Value = serde_json::from_str(rejects.trim()).unwrap();
    assert_eq!(reject["line"], 2);
    assert_eq!(reject["offset"], at);
    // Under `replace` it is read, with U+FFFD, and counted.
    let cfg = InputConfig {
        invalid_bytes: InvalidBytes::Replace,
        ..InputConfig::default()
    };
    let (items, r) = read_all(&p, cfg);
    assert_eq!(items[1].as_ref().unwrap().text, "ab\u{FFFD}(");
    assert_eq!(r.reports()[0].replaced, 1);
}

/// An Arabic article of about `bytes` bytes, from the seeds.
fn big_text(bytes: usize) -> String {
    let base = seed(0) + "\n" + &seed(2);
    let mut t = String::with_capacity(bytes + base.len());
    while t.len() < bytes {
        t.push_str(&base);
    }
    t
}

#[test]
fn fifty_megabyte_document_rejected_or_truncated() {
    let tmp = tempfile::tempdir().unwrap();
    let text = big_text(50 << 20);
    let body = format!("{}\n{}\n", rec("big", &text), rec("small", &seed(3)));
    let p = write(tmp.path(), "in.jsonl", body.as_bytes());
    // No limit: read whole.
    let (items, _) = read_all(&p, InputConfig::default());
    assert_eq!(items[0].as_ref().unwrap().text.len(), text.len());
    // Reject.
    let max = 1_000_001; // odd: falls inside a two-byte Arabic letter
    let cfg = InputConfig {
        max_doc_bytes: Some(max),
        ..InputConfig::default()
    };
    let (items, _) = read_all(&p, cfg.clone());
    let reason = record_error(&items[0], 1);
    assert!(reason.contains("over max_doc_bytes = 1000001"), "{reason}");
    assert_eq!(items[1].as_ref().unwrap().id, "small");
    // Truncate: cut at a character boundary, other fields kept.
    let cfg = InputConfig {
        oversize: Oversize::Truncate,
        ..cfg
    };
    let (items, r) = read_all(&p, cfg);
    let d = items[0].as_ref().unwrap();
    assert!(d.text.len() as u64 <= max && d.text.len() as u64 > max - 4);
    assert!(text.starts_with(&d.text));
    let raw: Value = serde_json::from_str(d.raw.as_deref().unwrap()).unwrap();
    assert_eq!(raw["text"].as_str().unwrap(), d.text);
    assert_eq!(raw["source"], "test");
    assert_eq!(r.reports()[0].truncated, 1);
}

#[test]
fn overlong_line_is_skipped_without_buffering_it() {
    // Far over the limit even fully escaped: dropped while reading.
    let tmp = tempfile::tempdir().unwrap();
    let text = big_text(3 << 20);
    let body = format!("{}\n{}\n", rec("big", &text), rec("small", &seed(3)));
    let p = write(tmp.path(), "in.jsonl", body.as_bytes());
    let cfg = InputConfig {
        max_doc_bytes: Some(10_000),
        ..InputConfig::default()
    };
    let (items, _) = read_all(&p, cfg);
    assert!(record_error(&items[0], 1).contains("far over max_doc_bytes = 10000"));
    assert_eq!(items[1].as_ref().unwrap().id, "small");
}

fn records(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| rec(&format!("r{i}"), &seed(i % 5)))
        .collect()
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zst(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 3).unwrap()
}

fn bz2(data: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn multi_member_gz_multi_frame_zst_multi_stream_bz2() {
    let tmp = tempfile::tempdir().unwrap();
    let recs = records(9);
    // Three members/frames/streams; the middle split falls inside a record.
    let all = recs.join("\n") + "\n";
    let cut = all.len() / 2;
    let parts = [
        &all[..recs[0].len() + 1],
        &all[recs[0].len() + 1..cut],
        &all[cut..],
    ];
    for (ext, f) in [
        ("gz", gz as fn(&[u8]) -> Vec<u8>),
        ("zst", zst),
        ("bz2", bz2),
    ] {
        let mut bytes = Vec::new();
        for p in parts {
            bytes.extend(f(p.as_bytes()));
        }
        let p = write(tmp.path(), &format!("in.jsonl.{ext}"), &bytes);
        let (items, _) = read_all(&p, InputConfig::default());
        let ids: Vec<_> = items
            .iter()
            .map(|d| d.as_ref().unwrap().id.clone())
            .collect();
        let want: Vec<_> = (0..9).map(|i| format!("r{i}")).collect();
        assert_eq!(ids, want, "{ext}");
        assert_eq!(items[4].as_ref().unwrap().text, seed(4), "{ext}");
    }
}

#[test]
fn truncated_gz_and_zst_are_data_errors_and_skip_keeps_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let all = records(40).join("\n") + "\n";
    for (ext, bytes) in [("gz", gz(all.as_bytes())), ("zst", zst(all.as_bytes()))] {
        // Cut inside the last block: everything before it still decodes.
        let cut = &bytes[..bytes.len() - 20];
        let p = write(tmp.path(), &format!("cut.jsonl.{ext}"), cut);
        let (items, _) = read_all(&p, InputConfig::default());
        let last = items.last().unwrap();
        match last {
            Err(Error::Data {
                path,
                offset,
                reason,
            }) => {
                assert_eq!(path, &p);
                assert!(
                    *offset > 0 && reason.starts_with("cannot read further"),
                    "{reason}"
                );
            }
            other => panic!("{ext}: expected a data error at the end, got {other:?}"),
        }
        let good = ok_docs(&items).len();
        assert!(
            good > 10 && good < 40,
            "{ext}: {good} records before the cut"
        );
        // With skip, a second intact file is still read and the accounting holds.
        let whole = write(
            tmp.path(),
            "whole.jsonl",
            records(3).join("\n").replace("\"r", "\"w").as_bytes(),
        );
        let out = tmp.path().join(format!("out-{ext}"));
        let s = run_dedup(&[p.clone(), whole.clone()], &out, &skip_cfg(), None).unwrap();
        assert_eq!(s.counts.rejected, 1);
        assert_eq!(s.counts.input, good as u64 + 1 + 3);
        assert_eq!(
            s.counts.input,
            s.counts.kept + s.counts.removed + s.counts.rejected
        );
        let r = rejects(&out);
        assert!(r[0]["offset"].as_u64().unwrap() > 0);
        // The clean job counts the unreadable rest as one rejected record too.
        let out = tmp.path().join(format!("clean-{ext}"));
        let s = run_clean(&[p.clone(), whole], &out, &skip_cfg(), None).unwrap();
        assert_eq!(s.counts.rejected, 1, "{ext}");
        assert_eq!(s.counts.input, good as u64 + 1 + 3, "{ext}");
        assert_eq!(s.counts.input, s.counts.kept + s.counts.emptied + 1);
        assert!(rejects(&out)[0]["offset"].as_u64().unwrap() > 0);
    }
}

/// Encodes text in a single-byte code page (the text must fit it).
fn encode(text: &str, label: &str) -> Vec<u8> {
    let enc = encoding_rs::Encoding::for_label(label.as_bytes()).unwrap();
    let (bytes, _, unmappable) = enc.encode(text);
    assert!(!unmappable, "{label} cannot hold the text");
    bytes.into_owned()
}

fn utf16(text: &str, le: bool) -> Vec<u8> {
    let mut out = if le {
        vec![0xFF, 0xFE]
    } else {
        vec![0xFE, 0xFF]
    };
    for u in text.encode_utf16() {
        out.extend(if le { u.to_le_bytes() } else { u.to_be_bytes() });
    }
    out
}

/// The same Arabic article in every supported encoding, as text files.
fn encoded_variants(text: &str) -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(text.as_bytes());
    vec![
        ("utf8", "UTF-8", text.as_bytes().to_vec()),
        ("utf8bom", "UTF-8", bom),
        ("utf16le", "UTF-16LE", utf16(text, true)),
        ("utf16be", "UTF-16BE", utf16(text, false)),
        ("cp1256", "windows-1256", encode(text, "windows-1256")),
        ("iso88596", "ISO-8859-6", encode(text, "iso-8859-6")),
    ]
}

#[test]
fn auto_detects_every_encoding_of_real_arabic_text() {
    for n in [0, 3] {
        let text = seed(n);
        let tmp = tempfile::tempdir().unwrap();
        for (name, want, bytes) in encoded_variants(&text) {
            let p = write(tmp.path(), &format!("{name}.txt"), &bytes);
            let cfg = InputConfig {
                encoding: "auto".into(),
                ..InputConfig::default()
            };
            let (items, r) = read_all(&p, cfg);
            assert_eq!(items[0].as_ref().unwrap().text, text, "seed {n} {name}");
            let rep = &r.reports()[0];
            assert_eq!(rep.encoding, want, "seed {n} {name}");
            let bom = name.starts_with("utf16") || name == "utf8bom";
            assert_eq!(rep.detection == Detection::Bom, bom, "{name}");
            if !bom {
                assert_eq!(rep.confidence, "high", "seed {n} {name}");
            }
        }
    }
    // A few bytes fit several legacy encodings alike: a guess on them is low,
    // whichever it is (three bytes of ISO-8859-6 read as windows-1256 too).
    let tmp = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        ("short1256", encode("علي", "windows-1256")),
        ("short88596", encode("علي", "iso-8859-6")),
    ] {
        let p = write(tmp.path(), &format!("{name}.txt"), &bytes);
        let cfg = InputConfig {
            encoding: "auto".into(),
            ..InputConfig::default()
        };
        let (_, r) = read_all(&p, cfg);
        assert_eq!(r.reports()[0].confidence, "low", "{name}");
    }
}

#[test]
fn auto_detects_legacy_encodings_in_jsonl_too() {
    let tmp = tempfile::tempdir().unwrap();
    let text = [rec("a", &seed(0)), rec("b", &seed(3))].join("\r\n");
    for label in ["windows-1256", "iso-8859-6"] {
        let p = write(tmp.path(), &format!("{label}.jsonl"), &encode(&text, label));
        let (items, r) = read_all(
            &p,
            InputConfig {
                encoding: "auto".into(),
                ..InputConfig::default()
            },
        );
        assert_eq!(items[1].as_ref().unwrap().text, seed(3), "{label}");
        assert_eq!(r.reports()[0].encoding.to_ascii_lowercase(), label);
        // The default (UTF-8) refuses the same bytes, naming line and byte.
        let (items, _) = read_all(&p, InputConfig::default());
        assert!(record_error(&items[0], 1).starts_with("invalid UTF-8 at byte"));
    }
    let p = write(tmp.path(), "u16.jsonl", &utf16(&text, true));
    let (items, r) = read_all(&p, InputConfig::default());
    assert_eq!(items[0].as_ref().unwrap().text, seed(0));
    assert_eq!(r.reports()[0].encoding, "UTF-16LE");
}

#[test]
fn forced_encoding_is_used_as_given() {
    let tmp = tempfile::tempdir().unwrap();
    let text = seed(3);
    let bytes = encode(&text, "windows-1256");
    let p = write(tmp.path(), "doc.txt", &bytes);
    let cfg = |e: &str| InputConfig {
        encoding: e.into(),
        ..InputConfig::default()
    };
    let (items, r) = read_all(&p, cfg("windows-1256"));
    assert_eq!(items[0].as_ref().unwrap().text, text);
    assert_eq!(r.reports()[0].detection, Detection::Given);
    // Forced wrongly, it decodes to different (mojibake) text: the user's call.
    let (items, _) = read_all(&p, cfg("iso-8859-6"));
    match &items[0] {
        Ok(d) => assert_ne!(d.text, text),
        Err(Error::Data { .. }) => {}
        Err(e) => panic!("{e}"),
    }
    assert!(
        InputConfig {
            encoding: "klingon".into(),
            ..InputConfig::default()
        }
        .validate()
        .is_err()
    );
}

#[test]
fn both_jobs_report_the_encodings_and_truncations_they_read() {
    // A legacy-encoded text file (detected) and a JSON Lines file with texts over
    // the limit (truncated): what was done to the input is in either job's summary.
    let tmp = tempfile::tempdir().unwrap();
    let legacy = write(tmp.path(), "a.txt", &encode(&seed(3), "windows-1256"));
    let long = (0..6)
        .map(|i| rec(&format!("j{i}"), &seed(i % 5)))
        .collect::<Vec<_>>()
        .join("\n");
    let jsonl = write(tmp.path(), "b.jsonl", long.as_bytes());
    let max = 6000;
    let over = (0..6).filter(|i| seed(i % 5).len() > max).count() as u64;
    assert!(over > 0 && over < 6, "{over} seeds over {max} bytes");
    let mut cfg = Config::default();
    cfg.input.encoding = "auto".into();
    cfg.input.max_doc_bytes = Some(max as u64);
    cfg.input.oversize = Oversize::Truncate;
    let inputs = [legacy.clone(), jsonl.clone()];
    let dedup = run_dedup(&inputs, &tmp.path().join("d"), &cfg, None).unwrap();
    let clean = run_clean(&inputs, &tmp.path().join("c"), &cfg, None).unwrap();
    assert_eq!(clean.decoding, dedup.decoding);
    let by_path = |p: &Path| {
        let name = p.display().to_string();
        clean
            .decoding
            .iter()
            .find(|r| r.path == name)
            .cloned()
            .unwrap()
    };
    let a = by_path(&legacy);
    assert_eq!(
        (a.encoding.as_str(), a.detection),
        ("windows-1256", Detection::Detected)
    );
    assert_eq!(by_path(&jsonl).truncated, over);
    // And it is what summary.json says.
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("c/summary.json")).unwrap())
            .unwrap();
    assert_eq!(
        written["decoding"],
        serde_json::to_value(&clean.decoding).unwrap()
    );
}

#[test]
fn invalid_bytes_error_with_offset_or_replaced_and_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let text = seed(0);
    let mut bytes = encode(&text, "iso-8859-6");
    // 0xA1 is unassigned in ISO-8859-6.
    let at = bytes.iter().position(|&b| b == b' ').unwrap() + 1;
    bytes.insert(at, 0xA1);
    let p = write(tmp.path(), "doc.txt", &bytes);
    let forced = InputConfig {
        encoding: "iso-8859-6".into(),
        ..InputConfig::default()
    };
    let (items, _) = read_all(&p, forced.clone());
    match &items[0] {
        Err(Error::Data { offset, reason, .. }) => {
            assert_eq!(*offset, at as u64);
            assert_eq!(reason, "invalid ISO-8859-6 bytes");
        }
        other => panic!("{other:?}"),
    }
    let lenient = InputConfig {
        invalid_bytes: InvalidBytes::Replace,
        ..forced
    };
    let (items, r) = read_all(&p, lenient.clone());
    let got = &items[0].as_ref().unwrap().text;
    assert_eq!(got.replace('\u{FFFD}', ""), text);
    assert_eq!(r.reports()[0].replaced, 1);
    // The count reaches summary.json.
    let out = tmp.path().join("out");
    let cfg = Config {
        input: lenient,
        ..Config::default()
    };
    run_dedup(&[p], &out, &cfg, None).unwrap();
    let s: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["decoding"][0]["replaced"], 1);
    assert_eq!(s["decoding"][0]["encoding"], "ISO-8859-6");
    assert_eq!(s["config"]["input"]["invalid_bytes"], "replace");
}

#[test]
fn invalid_bytes_in_a_legacy_jsonl_line_reject_that_line_only() {
    let tmp = tempfile::tempdir().unwrap();
    let lines = [
        rec("a", &seed(0)),
        rec("b", &seed(3)),
        rec("c", &seed(0).replace("حلب", "دمشق")),
    ];
    let mut bytes = Vec::new();
    let mut bad_at = 0;
    for (i, l) in lines.iter().enumerate() {
        let mut e = encode(l, "iso-8859-6");
        if i == 1 {
            let pos = e.len() - 10;
            e.insert(pos, 0xA1);
            bad_at = bytes.len() + pos;
        }
        bytes.extend(e);
        bytes.push(b'\n');
    }
    let p = write(tmp.path(), "doc.jsonl", &bytes);
    let (items, _) = read_all(
        &p,
        InputConfig {
            encoding: "iso-8859-6".into(),
            ..InputConfig::default()
        },
    );
    assert_eq!(items.len(), 3);
    assert_eq!(
        record_error(&items[1], 2),
        format!("invalid ISO-8859-6 bytes at byte {bad_at}")
    );
    assert_eq!(items[2].as_ref().unwrap().id, "c");
}

#[test]
fn decode_bytes_matches_the_reader() {
    let text = seed(3);
    for (name, want, bytes) in encoded_variants(&text) {
        let (got, enc, replaced) = decode_bytes(&bytes, "auto", InvalidBytes::Error).unwrap();
        assert_eq!(
            (got.as_str(), enc, replaced),
            (text.as_str(), want, 0),
            "{name}"
        );
    }
    let err = decode_bytes(b"ab\xffcd", "utf-8", InvalidBytes::Error).unwrap_err();
    assert!(matches!(err, Error::Data { offset: 2, .. }), "{err}");
}

#[test]
fn fingerprints_taken_while_reading_equal_a_separate_pass() {
    // Whatever way a file is read (plain, compressed, cut short, another
    // encoding, a BOM), the fingerprint taken on the way is the file's own,
    // so resumed runs and summaries see the same value as `fingerprint_file`.
    let tmp = tempfile::tempdir().unwrap();
    let all = records(40).join("\n") + "\n";
    let gzipped = gz(all.as_bytes());
    let latin: String = (0..30)
        .map(|i| {
            rec(
                &format!("l{i}"),
                "caf\u{e9} cr\u{e8}me br\u{fb}l\u{e9}e \u{e0} la carte",
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(all.as_bytes());
    let files = [
        write(tmp.path(), "plain.jsonl", all.as_bytes()),
        write(tmp.path(), "whole.jsonl.gz", &gzipped),
        write(tmp.path(), "cut.jsonl.gz", &gzipped[..gzipped.len() - 20]),
        // The decoder stops at the junk: the rest is read for the fingerprint.
        write(
            tmp.path(),
            "junk.jsonl.gz",
            &[gzipped.as_slice(), &[0x55; 100_000]].concat(),
        ),
        write(tmp.path(), "frames.jsonl.zst", &zst(all.as_bytes())),
        write(tmp.path(), "latin.jsonl", &encode(&latin, "windows-1252")),
        write(tmp.path(), "bom.jsonl", &bom),
        // Text files: one document each, read whole.
        write(tmp.path(), "article.txt", seed(2).as_bytes()),
        write(tmp.path(), "legacy.txt", &encode(&seed(3), "windows-1256")),
    ];
    for cfg in [
        InputConfig::default(),
        InputConfig {
            encoding: "auto".into(),
            ..InputConfig::default()
        },
    ] {
        let listed = list_inputs(&files, None).unwrap();
        let mut r = Reader::new(listed, cfg).fingerprinting();
        let n = r.by_ref().count();
        assert!(n > 100, "{n} records");
        for f in &files {
            let want = fingerprint_file(f).unwrap();
            assert_eq!(r.fingerprint(f), Some(want.as_str()), "{}", f.display());
        }
    }
    // Without `fingerprinting`, none are taken.
    let mut r = Reader::new(
        list_inputs(&files[..1], None).unwrap(),
        InputConfig::default(),
    );
    assert!(r.by_ref().count() > 0);
    assert_eq!(r.fingerprint(&files[0]), None);
}

/// A link to a folder is followed (data lakes link their partitions in), and a
/// folder reached twice, or through a link back up, is read once.
#[cfg(unix)]
#[test]
fn folder_links_are_followed_and_each_folder_read_once() {
    use std::os::unix::fs::symlink;
    let tmp = tempfile::tempdir().unwrap();
    let (dir, elsewhere) = (tmp.path().join("corpus"), tmp.path().join("part-2"));
    std::fs::create_dir_all(dir.join("part-1")).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    write(
        &dir.join("part-1"),
        "a.jsonl",
        (rec("a", &seed(0)) + "\n").as_bytes(),
    );
    write(
        &elsewhere,
        "b.jsonl",
        (rec("b", &seed(1)) + "\n").as_bytes(),
    );
    symlink(&elsewhere, dir.join("part-2")).unwrap();
    symlink(&elsewhere, dir.join("part-2-again")).unwrap();
    symlink(&dir, dir.join("part-1").join("up")).unwrap();
    let listed = list_inputs(std::slice::from_ref(&dir), None).unwrap();
    let names: Vec<String> = listed
        .iter()
        .map(|f| f.path.strip_prefix(&dir).unwrap().display().to_string())
        .collect();
    assert_eq!(names, ["part-1/a.jsonl", "part-2/b.jsonl"]);
}

#[test]
fn a_folder_holds_text_and_record_files_but_not_other_files_or_our_output() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("corpus");
    std::fs::create_dir_all(dir.join("articles")).unwrap();
    std::fs::create_dir_all(dir.join(".cache")).unwrap();
    write(&dir.join("articles"), "one.txt", seed(0).as_bytes());
    let lines = |ids: &[(&str, usize)]| -> String {
        ids.iter()
            .map(|(id, n)| rec(id, &seed(*n)) + "\n")
            .collect()
    };
    write(&dir, "b.jsonl", lines(&[("b1", 1)]).as_bytes());
    write(
        &dir,
        "c.jsonl.gz",
        &gz(lines(&[("c1", 2), ("c2", 3)]).as_bytes()),
    );
    write(&dir, "d.jsonl.zst", &zst(lines(&[("d1", 4)]).as_bytes()));
    write(&dir, "e.jsonl.bz2", &bz2(lines(&[("e1", 0)]).as_bytes()));
    write(&dir, "README.md", b"# not a document\n");
    write(&dir, "page.html.gz", &gz(b"<p>not an input</p>"));
    write(
        &dir,
        "notes.json",
        b"{\"id\": \"x\", \"text\": \"not an input\"}\n",
    );
    write(
        &dir.join(".cache"),
        "old.jsonl",
        lines(&[("hidden", 0)]).as_bytes(),
    );

    let listed = list_inputs(std::slice::from_ref(&dir), None).unwrap();
    let names: Vec<String> = listed
        .iter()
        .map(|f| f.path.strip_prefix(&dir).unwrap().display().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "articles/one.txt",
            "b.jsonl",
            "c.jsonl.gz",
            "d.jsonl.zst",
            "e.jsonl.bz2"
        ]
    );
    let ids: Vec<String> = Reader::new(listed, InputConfig::default())
        .map(|d| d.unwrap().id)
        .collect();
    assert_eq!(ids, ["articles/one", "b1", "c1", "c2", "d1", "e1"]);

    // The output written inside the folder is not read back by the next run.
    let out = dir.join("dedup");
    let cfg = Config {
        output: corpus_core::config::OutputConfig {
            overwrite: true,
            ..Default::default()
        },
        ..Config::default()
    };
    for _ in 0..2 {
        let s = run_dedup(std::slice::from_ref(&dir), &out, &cfg, None).unwrap();
        assert_eq!(s.counts.input, 6);
        assert_eq!(s.counts.rejected, 0);
    }

    // An empty folder is an error that names it and what would be read.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    write(&empty, "README.md", b"nothing\n");
    let e = list_inputs(std::slice::from_ref(&empty), None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&empty.display().to_string()) && e.contains(".jsonl.gz"),
        "{e}"
    );
}

/// UTF-8 Arabic with a few damaged bytes is read as UTF-8 under `auto`, the
/// damage counted: it was guessed windows-1252 with confidence `high`, and the
/// whole text came out as mojibake. Legacy text is not mistaken for it.
#[test]
fn auto_reads_damaged_utf8_as_utf8() {
    let text = seed(3);
    let mut bytes = text.as_bytes().to_vec();
    // Three stray bytes: a lone continuation byte, a lead byte cut short, 0xFF.
    // Inserted from the end, so each offset is still one of the text's.
    for (at, b) in [(1500, 0xFF), (900, 0xD8), (200, 0x80)] {
        let at = (at..).find(|&i| text.is_char_boundary(i)).unwrap();
        bytes.insert(at, b);
    }
    let tmp = tempfile::tempdir().unwrap();
    let p = write(tmp.path(), "damaged.txt", &bytes);
    let cfg = || InputConfig {
        encoding: "auto".into(),
        ..InputConfig::default()
    };
    // By default the document is refused for its damage, naming where it is.
    let (items, r) = read_all(&p, cfg());
    let rep = &r.reports()[0];
    assert_eq!(rep.encoding, "UTF-8");
    assert_eq!(rep.confidence, "low");
    match &items[0] {
        Err(Error::Data { offset, .. }) => assert!(*offset >= 200, "{offset}"),
        other => panic!("{other:?}"),
    }
    // Under `invalid_bytes = "replace"` the text is kept, each sequence replaced.
    let (items, r) = read_all(
        &p,
        InputConfig {
            invalid_bytes: InvalidBytes::Replace,
            ..cfg()
        },
    );
    let d = items[0].as_ref().unwrap();
    assert_eq!(d.text.matches('\u{FFFD}').count(), 3);
    assert_eq!(d.text.replace('\u{FFFD}', ""), text);
    assert_eq!(r.reports()[0].encoding, "UTF-8");
    for label in ["windows-1256", "iso-8859-6"] {
        let p = write(tmp.path(), &format!("{label}.txt"), &encode(&text, label));
        let (items, r) = read_all(&p, cfg());
        assert_eq!(r.reports()[0].encoding.to_ascii_lowercase(), label);
        assert_eq!(items[0].as_ref().unwrap().text, text);
    }
}

/// Pass 2 reads a plain JSON Lines file where pass 1 found each record, in
/// parallel chunks; it must write what reading the file through the reader
/// writes (as it does for the same lines gzip-compressed): with a byte-order
/// mark opening the file and one opening a line, CRLF and blank lines, records
/// rejected in pass 1 between kept ones, a record already carrying our key, a
/// truncated text, exact copies, and enough records for several chunks.
#[test]
fn pass_two_by_position_writes_what_the_reader_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let words: Vec<Vec<String>> = (0..5)
        .map(|n| seed(n).split_whitespace().map(str::to_owned).collect())
        .collect();
    // Each pair of records its own text (the words of a seed in an order of its
    // own): the second of each pair an exact copy of the first.
    let text_of = |k: usize| {
        let mut w = words[k % 5].clone();
        let mut state = k as u64 + 1;
        for j in (1..w.len()).rev() {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            w.swap(j, (state >> 33) as usize % (j + 1));
        }
        w.join(" ")
    };
    let mut body = b"\xEF\xBB\xBF".to_vec();
    for i in 0..1500 {
        let text = text_of(i / 2);
        let line = match i {
            7 => "{\"id\": \"bad\", \"text\": ".to_owned(), // malformed: rejected
            8 => rec("r3", &text),                          // a taken id: rejected
            9 => json!({"id": "ours", "text": text, "ghirbal": {"x": 1}}).to_string(),
            10 => rec("long", &big_text(3000)),
            _ => rec(&format!("r{i}"), &text),
        };
        if i == 600 {
            body.extend_from_slice(b"\xEF\xBB\xBF");
        }
        body.extend_from_slice(line.as_bytes());
        body.extend_from_slice(if i % 2 == 0 { b"\r\n" } else { b"\n" });
        if i % 97 == 0 {
            body.extend_from_slice(b"\n  \t\r\n");
        }
    }
    let plain = write(tmp.path(), "in.jsonl", &body);
    let packed = write(tmp.path(), "in.jsonl.gz", &gz(&body));
    let mut cfg = skip_cfg();
    cfg.input.max_doc_bytes = Some(2000);
    cfg.input.oversize = Oversize::Truncate;
    let mut outputs = Vec::new();
    for (name, input) in [("plain", &plain), ("packed", &packed)] {
        let out = tmp.path().join(name);
        let s = run_dedup(std::slice::from_ref(input), &out, &cfg, None).unwrap();
        assert_eq!(s.counts.rejected, 2, "{name}");
        outputs.push(std::fs::read(out.join("kept.jsonl")).unwrap());
        // The audit's sampled members are read in pass 2 too: their texts and
        // sets must be the same (its places name the file: left out).
        let audit = std::fs::read_to_string(out.join("audit.json")).unwrap();
        outputs.push(audit.replace("in.jsonl.gz", "in.jsonl").into_bytes());
    }
    let kept = String::from_utf8(outputs[0].clone()).unwrap();
    assert!(
        (700..760).contains(&kept.lines().count()),
        "{}",
        kept.lines().count()
    );
    assert!(kept.contains("\"id\":\"ours\"") && kept.contains("\"id\":\"long\""));
    assert!(
        outputs[0] == outputs[2],
        "the two passes wrote different kept records"
    );
    assert_eq!(
        String::from_utf8_lossy(&outputs[1]),
        String::from_utf8_lossy(&outputs[3])
    );
    assert!(String::from_utf8_lossy(&outputs[1]).contains("text_start"));
}

/// A JSON Lines file whose records end with a lone carriage return (old Mac line
/// ends) is one line: one record, rejected, and the reason says why, whether
/// the "line" parses as JSON with trailing records or runs over the size cap.
#[test]
fn records_ended_by_a_lone_carriage_return_are_rejected_with_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    // Over 1 MiB in all: past the line cap of `max_doc_bytes = 1000` below.
    let body: Vec<String> = (0..300)
        .map(|i| rec(&format!("r{i}"), &seed(i % 5)))
        .collect();
    let p = write(tmp.path(), "mac.jsonl", body.join("\r").as_bytes());
    let (items, _) = read_all(&p, InputConfig::default());
    assert_eq!(items.len(), 1);
    let reason = record_error(&items[0], 1);
    assert!(
        reason.starts_with("malformed JSON") && reason.contains("lone carriage return"),
        "{reason}"
    );
    let capped = InputConfig {
        max_doc_bytes: Some(1000),
        ..InputConfig::default()
    };
    let (items, _) = read_all(&p, capped);
    let reason = record_error(&items[0], 1);
    assert!(
        reason.contains("far over") && reason.contains("lone carriage return"),
        "{reason}"
    );
    // Records ended by CRLF read one by one.
    let p = write(tmp.path(), "dos.jsonl", body.join("\r\n").as_bytes());
    let (items, _) = read_all(&p, InputConfig::default());
    assert!(items.len() == 300 && items.iter().all(Result::is_ok));
}

/// A kept line of an earlier run (or any record with a `ghirbal` key) keeps
/// every other byte: its old key alone is taken out before ours is added, so
/// numbers past 64 bits, `1.10`, `1e2` and escapes are written as they came,
/// and a record serde_json cannot hold in a tree (`1E400`) gets one key, not two.
/// Running dedup again on its own `kept.jsonl` writes the same file.
#[test]
fn a_record_with_our_key_keeps_its_other_bytes() {
    // Three seeds that are no copies of each other (the first two are).
    let text = |n: usize| serde_json::to_string(&seed(n)).unwrap();
    let lines = [
        format!(
            r#"{{"id":"a","tweet_id":12345678901234567890123,"score":1.10,"z":1e2,"w":"\u00e9","text":{}}}"#,
            text(0)
        ),
        format!(
            r#"{{"id":"b","text":{},"ghirbal":null,"u":1E400}}"#,
            text(3)
        ),
        format!(
            r#"{{"ghirbal":{{"old":true}}, "id":"c","text":{}}}"#,
            text(2)
        ),
    ];
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.jsonl");
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let cfg = Config::default();
    run_dedup(&[input], &tmp.path().join("one"), &cfg, None).unwrap();
    let kept = std::fs::read_to_string(tmp.path().join("one/kept.jsonl")).unwrap();
    let ours = |id: &str| format!(r#""ghirbal":{{"cluster":"{id}","cluster_size":1}}}}"#);
    let want = [
        format!("{},{}", lines[0].strip_suffix('}').unwrap(), ours("a")),
        format!(r#"{{"id":"b","text":{},"u":1E400,{}"#, text(3), ours("b")),
        format!(r#"{{"id":"c","text":{},{}"#, text(2), ours("c")),
    ];
    assert_eq!(kept, want.join("\n") + "\n");
    // Again, on the kept lines.
    run_dedup(
        &[tmp.path().join("one/kept.jsonl")],
        &tmp.path().join("two"),
        &cfg,
        None,
    )
    .unwrap();
    let again = std::fs::read_to_string(tmp.path().join("two/kept.jsonl")).unwrap();
    assert_eq!(again, kept);
}

/// Text files named in a legacy encoding (windows-1256 Arabic names, not
/// UTF-8) keep distinct ids: each byte that is not UTF-8 is written `\xhh`, in
/// ids and in the places rejects and messages name. Before, every such byte
/// was U+FFFD, so two names of one length were one id ("duplicate id").
#[cfg(unix)]
#[test]
fn text_files_named_in_a_legacy_encoding_keep_distinct_ids() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("names");
    std::fs::create_dir(&dir).unwrap();
    // سلام, كتاب (as long as the first), مدرسة and an empty one, in windows-1256.
    let names: [&[u8]; 4] = [
        b"\xd3\xe1\xc7\xe3",
        b"\xdf\xca\xc7\xc8",
        b"\xe3\xcf\xd1\xd3\xc9",
        b"\xdd\xc7\xd1\xda",
    ];
    for (i, n) in names.iter().enumerate() {
        let mut file = n.to_vec();
        file.extend_from_slice(b".txt");
        let text = if i < 3 { seed(i + 2) } else { String::new() };
        std::fs::write(dir.join(OsStr::from_bytes(&file)), text).unwrap();
    }
    let cfg = Config {
        on_error: OnError::Skip,
        ..Config::default()
    };
    let out = tmp.path().join("out");
    let summary = run_dedup(std::slice::from_ref(&dir), &out, &cfg, None).unwrap();
    assert_eq!(
        (
            summary.counts.input,
            summary.counts.kept,
            summary.counts.rejected
        ),
        (4, 3, 1)
    );
    let mut ids: Vec<String> = crate::common::read_jsonl(&out.join("clusters.jsonl"))
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            r"\xd3\xe1\xc7\xe3",
            r"\xdf\xca\xc7\xc8",
            r"\xe3\xcf\xd1\xd3\xc9"
        ]
    );
    let rejects = crate::common::read_jsonl(&out.join("rejects.jsonl"));
    let file = format!(r"{}/\xdd\xc7\xd1\xda.txt", dir.display());
    assert_eq!(rejects[0]["file"], file, "{rejects:?}");
    assert_eq!(rejects[0]["reason"], "empty text");
}

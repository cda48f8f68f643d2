//! `normalize::normalize_jsonl` (`ghirbal normalize --jsonl`): each record's text
//! field normalized, every other byte as read, in input order on any pool.

use std::path::Path;

use corpus_core::normalize::{NormalizeConfig, Normalizer, Profile, normalize_jsonl};
use corpus_core::{Config, Error};

use crate::common::shared;

fn run(n: &Normalizer, input: impl AsRef<[u8]>, threads: usize) -> corpus_core::Result<String> {
    let mut out = Vec::new();
    let pool = Config {
        threads,
        ..Config::default()
    };
    let input = input.as_ref();
    pool.in_pool(|| normalize_jsonl(n, "text", input, &mut out, Path::new("in.jsonl")))?;
    Ok(String::from_utf8(out).unwrap())
}

/// Real news records (ten fields each, the text second): the output line is the
/// input line with the text value alone replaced by its normalized text, in
/// order, the same on one thread and two.
#[test]
fn only_the_text_value_changes() {
    let Some(shared) = shared() else {
        return;
    };
    let input =
        std::fs::read_to_string(shared.join("corpora/arabic_news/saudinewsnet.jsonl")).unwrap();
    let n = Normalizer::new(&NormalizeConfig::profile(Profile::Key)).unwrap();
    let one = run(&n, &input, 1).unwrap();
    assert_eq!(run(&n, &input, 2).unwrap(), one);
    let outs: Vec<&str> = one.lines().collect();
    let ins: Vec<&str> = input.lines().collect();
    assert_eq!(outs.len(), ins.len());
    let mut changed = 0;
    for (i, o) in ins.iter().zip(&outs) {
        let text: String = serde_json::from_value(
            serde_json::from_str::<serde_json::Value>(i).unwrap()["text"].clone(),
        )
        .unwrap();
        // The text value sits between `"text": ` and `, "title": ` in these records.
        let start = i.find("\"text\": ").unwrap() + "\"text\": ".len();
        let end = i.find(", \"title\": ").unwrap();
        let norm = n.normalize(&text);
        let want = format!(
            "{}{}{}",
            &i[..start],
            serde_json::to_string(&norm).unwrap(),
            &i[end..]
        );
        if norm != text {
            changed += 1;
            assert_eq!(*o, want);
        } else {
            assert_eq!(o, i, "an unchanged record is copied as read");
        }
    }
    assert!(changed > 700, "{changed}");
}

/// Blank lines and an opening byte-order mark are passed over; a bad record
/// stops the run naming its line.
#[test]
fn bad_records_are_named_by_line() {
    let n = Normalizer::new(&NormalizeConfig::profile(Profile::Key)).unwrap();
    let ok = r#"{"id": 1, "text": "أَهْلاً  وسَهْلاً", "n": 1.50}"#;
    let out = run(&n, format!("\u{feff}{ok}\n\n  \n{ok}\r\n"), 2).unwrap();
    assert_eq!(
        out,
        "{\"id\": 1, \"text\": \"اهلا وسهلا\", \"n\": 1.50}\n".repeat(2)
    );
    for (line, why) in [
        (
            r#"{"id": 2, "text": 5}"#,
            r#"in.jsonl:3: field "text" is a number, not a string"#,
        ),
        (r#"{"id": 2}"#, r#"in.jsonl:3: missing field "text""#),
        (r#"[1, 2]"#, "in.jsonl:3: record is not a JSON object"),
        (r#"{"id": 2, "text": "x""#, "in.jsonl:3: malformed JSON"),
        // Only one copy would be normalized, and readers differ on which counts.
        (
            r#"{"id": 3, "text": "ABC", "text": "DEF"}"#,
            r#"in.jsonl:3: field "text" appears more than once: the record is ambiguous"#,
        ),
        (
            r#"{"text": "ABC", "id": 3, "t\u0065xt": "DEF"}"#,
            r#"in.jsonl:3: field "text" appears more than once"#,
        ),
    ] {
        let e = run(&n, format!("{ok}\n\n{line}\n{ok}\n"), 2).unwrap_err();
        assert!(matches!(e, Error::Record { line: 3, .. }), "{e}");
        assert!(e.to_string().starts_with(why), "{e} / {why}");
    }
    // A line that is not UTF-8 (windows-1256 bytes) is named too.
    let mut bytes = format!("{ok}\n").into_bytes();
    bytes.extend(b"{\"text\": \"\xe3\xd1\xcd\xc8\xc7\"}\n");
    let e = run(&n, &bytes, 2).unwrap_err();
    assert!(
        e.to_string().starts_with("in.jsonl:2: invalid UTF-8"),
        "{e}"
    );
}

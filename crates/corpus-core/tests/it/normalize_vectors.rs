//! Golden vectors (ARABIC.md): every file marked "reproduce exactly" against the
//! matching step or step combination. The only differences allowed are those
//! ARABIC.md prescribes. Each is checked exactly (our output must equal the
//! library's output with the prescribed change applied to it) and counted; on the
//! shipped vectors the counts must equal the listed ones.
//!
//! The folder is `$ARABIC_VECTORS`, or `../shared/arabic-vectors`. On another
//! folder (a held-out split) the counts are reported, not compared.

use std::collections::BTreeMap;
use std::path::PathBuf;

use corpus_core::normalize::{NormalizeConfig, Normalizer, Profile, Step, words};

/// A difference ARABIC.md prescribes: its name, the change it makes to the
/// library's output, and how many of the shipped vectors it explains.
type Prescribed = (&'static str, fn(&str) -> String, usize);

fn delete(s: &str, f: impl Fn(char) -> bool) -> String {
    s.chars().filter(|&c| !f(c)).collect()
}

fn small_waw_yeh(s: &str) -> String {
    delete(s, |c| matches!(c, '\u{06E5}' | '\u{06E6}'))
}
fn high_hamza(s: &str) -> String {
    delete(s, |c| c == '\u{0674}')
}
fn extended_a_marks(s: &str) -> String {
    delete(
        s,
        |c| matches!(c, '\u{08D3}'..='\u{08E1}' | '\u{08E3}'..='\u{08FF}'),
    )
}
fn extra_alefs(s: &str) -> String {
    let fold = |c| matches!(c, '\u{0672}' | '\u{0673}' | '\u{0675}');
    s.chars()
        .map(|c| if fold(c) { '\u{0627}' } else { c })
        .collect()
}

struct Case {
    file: &'static str,
    steps: &'static [Step],
    prescribed: &'static [Prescribed],
}

const CASES: &[Case] = &[
    Case {
        file: "unicodedata.NFC",
        steps: &[Step::Nfc],
        prescribed: &[],
    },
    Case {
        file: "unicodedata.NFKC",
        steps: &[Step::Nfkc],
        prescribed: &[],
    },
    Case {
        file: "camel.normalize_unicode",
        steps: &[Step::CamelLigatures, Step::Nfkc],
        prescribed: &[],
    },
    Case {
        file: "camel.normalize_unicode__compatibility_False",
        steps: &[Step::Nfc],
        prescribed: &[],
    },
    Case {
        file: "camel.dediac_ar",
        steps: &[Step::Dediac],
        prescribed: &[],
    },
    Case {
        file: "pyarabic.strip_diacritics",
        steps: &[Step::Diacritics],
        prescribed: &[
            ("key set adds small waw/yeh U+06E5 U+06E6", small_waw_yeh, 2),
            ("key set adds high hamza U+0674", high_hamza, 0),
            ("key set adds Extended-A marks", extended_a_marks, 43),
        ],
    },
    Case {
        file: "pyarabic.strip_tatweel",
        steps: &[Step::Tatweel],
        prescribed: &[],
    },
    Case {
        file: "camel.normalize_alef_ar",
        steps: &[Step::Alef],
        prescribed: &[("alef adds U+0672 U+0673 U+0675", extra_alefs, 3)],
    },
    Case {
        file: "camel.normalize_alef_maksura_ar",
        steps: &[Step::AlefMaksura],
        prescribed: &[],
    },
    Case {
        file: "camel.normalize_teh_marbuta_ar",
        steps: &[Step::TehMarbuta],
        prescribed: &[],
    },
    Case {
        file: "pyarabic.trans.normalize_digits",
        steps: &[Step::Digits],
        prescribed: &[],
    },
];

fn folder() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("ARABIC_VECTORS") {
        return Some(PathBuf::from(d));
    }
    crate::common::shared().map(|s| s.join("arabic-vectors"))
}

/// (input, output) pairs of one vector file.
fn load(dir: &std::path::Path, file: &str) -> Vec<(String, serde_json::Value)> {
    let path = dir.join(format!("{file}.jsonl"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.split('\n')
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            let v: serde_json::Value = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), i + 1));
            let input = v["input"].as_str().expect("input string").to_owned();
            (input, v["output"].clone())
        })
        .collect()
}

fn only(steps: &[Step]) -> Normalizer {
    Normalizer::new(&NormalizeConfig {
        profile: Profile::None,
        add: steps.to_vec(),
        remove: vec![],
    })
    .expect("normalizer")
}

#[test]
fn vectors_reproduce_exactly() {
    let Some(dir) = folder() else { return };
    let shipped = std::env::var_os("ARABIC_VECTORS").is_none();
    let mut report = Vec::new();
    let mut failures = Vec::new();
    for case in CASES {
        let n = only(case.steps);
        let rows = load(&dir, case.file);
        assert!(!rows.is_empty(), "{}: no vectors", case.file);
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for (input, want) in &rows {
            let want = want.as_str().expect("string output");
            let got = n.normalize(input);
            assert_eq!(
                got,
                n.normalize_reference(input),
                "fast != reference on {input:?}"
            );
            if got == want {
                continue;
            }
            match case
                .prescribed
                .iter()
                .find(|(_, change, _)| got == change(want))
            {
                Some((why, _, _)) => *counts.entry(why).or_default() += 1,
                None => failures.push(format!(
                    "{} (steps {:?}): {input:?} -> {got:?}, want {want:?}",
                    case.file, case.steps
                )),
            }
        }
        for (why, _, expected) in case.prescribed {
            let got = counts.get(why).copied().unwrap_or(0);
            report.push(format!("{}: {why}: {got} (expected {expected})", case.file));
            if shipped && got != *expected {
                failures.push(format!(
                    "{}: {why}: {got} differences, expected {expected}",
                    case.file
                ));
            }
        }
        report.push(format!("{}: {} vectors", case.file, rows.len()));
    }
    eprintln!("{}", report.join("\n"));
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn word_tokenizer_matches_camel() {
    let Some(dir) = folder() else { return };
    let rows = load(&dir, "camel.simple_word_tokenize");
    let mut failures = Vec::new();
    for (input, want) in &rows {
        let want: Vec<&str> = want
            .as_array()
            .expect("token list")
            .iter()
            .map(|t| t.as_str().expect("token"))
            .collect();
        let got: Vec<&str> = words(input).collect();
        if got != want {
            failures.push(format!("{input:?}: {got:?}, want {want:?}"));
        }
    }
    eprintln!("camel.simple_word_tokenize: {} vectors", rows.len());
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

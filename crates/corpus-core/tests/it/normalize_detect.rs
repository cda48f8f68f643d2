//! Language detection accuracy on the development corpora, and mojibake counts
//! on mojibake made from real Arabic news.

use std::collections::BTreeMap;
use std::path::Path;

use corpus_core::normalize::{Language, detect, detect_common, detect_mojibake, repair_mojibake};

fn records(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("JSON record"))
        .collect()
}

fn arabic_news(shared: &Path) -> Vec<String> {
    let mut texts = Vec::new();
    for f in ["saudinewsnet", "ant_multisource", "ant_jawharafm"] {
        for r in records(&shared.join(format!("corpora/arabic_news/{f}.jsonl"))) {
            texts.push(r["text"].as_str().expect("text").to_owned());
        }
    }
    texts
}

#[test]
fn arabic_news_is_detected_as_arabic() {
    let Some(shared) = crate::common::shared() else {
        return;
    };
    let texts = arabic_news(&shared);
    let mut by: BTreeMap<&str, usize> = BTreeMap::new();
    for t in &texts {
        *by.entry(detect(t).language.code()).or_default() += 1;
    }
    let ok = by.get("ara").copied().unwrap_or(0);
    let acc = ok as f64 / texts.len() as f64;
    eprintln!(
        "arabic_news: {ok}/{} detected Arabic ({:.2}%), all: {by:?}",
        texts.len(),
        acc * 100.0
    );
    assert!(acc >= 0.99, "accuracy {acc}");
}

#[test]
fn leipzig_sentences_languages() {
    let Some(shared) = crate::common::shared() else {
        return;
    };
    let rows = records(&shared.join("corpora/multilingual/leipzig_sentences.jsonl"));
    let mut per: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for r in &rows {
        let want = r["lang"].as_str().expect("lang");
        let got = detect(r["text"].as_str().expect("text"));
        let e = per.entry(want.to_owned()).or_default();
        e.1 += 1;
        if got.language == Language::Other(whatlang_code(want)) {
            e.0 += 1;
        }
    }
    let (ok, all) = per.values().fold((0, 0), |a, v| (a.0 + v.0, a.1 + v.1));
    let acc = ok as f64 / all as f64;
    eprintln!(
        "leipzig_sentences: {ok}/{all} ({:.2}%), per language: {per:?}",
        acc * 100.0
    );
    assert!(acc >= 0.92, "accuracy {acc}");
}

/// The bulk per-document label (`detect_common`, with its function-word
/// shortcut for English) is as accurate as the full detector on the Leipzig
/// sentences, and its shortcut does not call other languages English.
#[test]
fn leipzig_sentences_bulk_labels() {
    let Some(shared) = crate::common::shared() else {
        return;
    };
    let rows = records(&shared.join("corpora/multilingual/leipzig_sentences.jsonl"));
    let (mut ok_full, mut ok_bulk, mut false_en_full, mut false_en_bulk) = (0, 0, 0, 0);
    let eng = Language::Other(whatlang_code("eng"));
    for r in &rows {
        let want = Language::Other(whatlang_code(r["lang"].as_str().expect("lang")));
        let text = r["text"].as_str().expect("text");
        let (full, bulk) = (detect(text).language, detect_common(text).language);
        ok_full += usize::from(full == want);
        ok_bulk += usize::from(bulk == want);
        false_en_full += usize::from(full == eng && want != eng);
        false_en_bulk += usize::from(bulk == eng && want != eng);
    }
    eprintln!(
        "leipzig_sentences: full {ok_full}/{n}, bulk {ok_bulk}/{n}; other languages called English: full {false_en_full}, bulk {false_en_bulk}",
        n = rows.len()
    );
    assert!(
        ok_bulk >= ok_full,
        "bulk labels less accurate: {ok_bulk} < {ok_full}"
    );
    assert!(false_en_bulk <= false_en_full + rows.len() / 500);
}

/// The corpus's ISO 639-3 codes as whatlang spells them.
fn whatlang_code(c: &str) -> &'static str {
    match c {
        "deu" => "deu",
        "eng" => "eng",
        "fra" => "fra",
        "ita" => "ita",
        "spa" => "spa",
        _ => "und",
    }
}

#[test]
fn mojibake_of_real_news_is_found_and_repaired() {
    let Some(shared) = crate::common::shared() else {
        return;
    };
    let texts = arabic_news(&shared);
    let mut clean_hits = 0;
    let mut repaired = 0;
    let sample: Vec<&String> = texts.iter().step_by(20).collect();
    for t in &sample {
        clean_hits += detect_mojibake(t).total();
        // What a scraper that assumed windows-1256 or Latin-1 would have stored.
        let w1256 = encoding_rs::WINDOWS_1256
            .decode(t.as_bytes())
            .0
            .into_owned();
        let w1252 = encoding_rs::WINDOWS_1252
            .decode(t.as_bytes())
            .0
            .into_owned();
        assert!(detect_mojibake(&w1256).windows_1256 > 0);
        assert!(detect_mojibake(&w1252).latin1 > 0);
        if repair_mojibake(&w1256) == t.as_str() && repair_mojibake(&w1252) == t.as_str() {
            repaired += 1;
        }
    }
    eprintln!(
        "mojibake: {} docs, {clean_hits} false hits on clean text, {repaired} repaired exactly",
        sample.len()
    );
    assert_eq!(clean_hits, 0);
    assert_eq!(repaired, sample.len());
}

//! Repeated passages (`clean.passages`) on real Arabic news: the three
//! arabic_news files and the news_pairs reprints, where one outlet files a story
//! under two sections and reprints share paragraphs.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use corpus_core::clean::{GroupBy, clean_documents, run_clean};
use corpus_core::normalize::{NormalizeConfig, Normalizer, Profile};
use corpus_core::{Config, OnError};

use crate::common::{read_jsonl, shared};

fn inputs(shared: &Path) -> Vec<PathBuf> {
    let news = shared.join("corpora/arabic_news");
    let mut files: Vec<PathBuf> = ["ant_jawharafm", "ant_multisource", "saudinewsnet"]
        .iter()
        .map(|f| news.join(format!("{f}.jsonl")))
        .collect();
    files.push(shared.join("corpora/news_pairs/docs.jsonl"));
    files
}

fn config(passages: bool, threads: usize) -> Config {
    let mut cfg = Config {
        // news_pairs repeats a few arabic_news ids: the repeats are rejected.
        on_error: OnError::Skip,
        threads,
        ..Default::default()
    };
    cfg.clean.boilerplate.group_by = GroupBy::Field("outlet".into());
    cfg.clean.passages.enabled = passages;
    cfg
}

/// Runs the clean job; returns (kept text per id, removed.jsonl records).
fn job(files: &[PathBuf], cfg: &Config) -> (BTreeMap<String, String>, Vec<serde_json::Value>) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    run_clean(files, &out, cfg, None).unwrap();
    let kept = read_jsonl(&out.join("kept.jsonl"))
        .into_iter()
        .map(|v| {
            let id = v["id"].as_str().unwrap().to_owned();
            (id, v["text"].as_str().unwrap().to_owned())
        })
        .collect();
    (kept, read_jsonl(&out.join("removed.jsonl")))
}

/// The key fold of each line of `text` at least `min` characters long
/// (besides spaces), with the normalizer rather than the cleaner's line fold.
fn long_keys(key: &Normalizer, text: &str, min: usize) -> Vec<String> {
    text.lines()
        .map(|l| key.normalize(l).into_owned())
        .filter(|k| k.chars().filter(|c| *c != ' ').count() >= min)
        .collect()
}

#[test]
fn each_repeated_passage_is_kept_once_in_the_smallest_id() {
    let Some(shared) = shared() else { return };
    let files = inputs(&shared);
    let cfg = config(true, 0);
    let (kept, removed) = job(&files, &cfg);
    let key = Normalizer::new(&NormalizeConfig::profile(Profile::Key)).unwrap();
    let min = cfg.clean.passages.min_chars;

    // After the job, no long line is in two kept documents, nor twice in one.
    let mut holders: HashMap<String, &str> = HashMap::new();
    for (id, text) in &kept {
        for k in long_keys(&key, text, min) {
            if let Some(other) = holders.insert(k.clone(), id) {
                panic!("{k:?} kept in {other} and {id}");
            }
        }
    }
    // Every copy cut names a holder with a smaller or equal id that kept it.
    let cuts: Vec<&serde_json::Value> = removed
        .iter()
        .filter(|r| r["rule"] == "repeated_passage")
        .collect();
    eprintln!("{} repeated passages cut", cuts.len());
    assert!(cuts.len() >= 100, "{} passages cut", cuts.len());
    for r in &cuts {
        let (id, of) = (
            r["id"].as_str().unwrap(),
            r["duplicate_of"].as_str().unwrap(),
        );
        assert!(of <= id, "{id} cut for {of}");
        let k = key
            .normalize(r["text"].as_str().unwrap().trim())
            .into_owned();
        assert_eq!(
            holders.get(&k),
            Some(&of),
            "{id}: {k:?} is not kept in {of}"
        );
    }
    // Only passages carry a holder.
    assert!(
        removed
            .iter()
            .all(|r| (r["rule"] == "repeated_passage") == r.get("duplicate_of").is_some())
    );
}

#[test]
fn passages_change_no_other_cut_and_follow_no_input_order() {
    let Some(shared) = shared() else { return };
    let files = inputs(&shared);
    let (kept, removed) = job(&files, &config(true, 2));

    // Without passages: the same rule and boilerplate cuts.
    let (_, without) = job(&files, &config(false, 2));
    let others: Vec<&serde_json::Value> = removed
        .iter()
        .filter(|r| r["rule"] != "repeated_passage")
        .collect();
    assert_eq!(others, without.iter().collect::<Vec<_>>());

    // The records in reverse order, on one thread: the same holders and cuts.
    // (The ids news_pairs repeats would then keep their other copy: left out.)
    let tmp = tempfile::tempdir().unwrap();
    let mut lines: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for f in &files {
        for l in std::fs::read_to_string(f).unwrap().lines() {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            if seen.insert(v["id"].as_str().unwrap().to_owned()) {
                lines.push(l.to_owned());
            }
        }
    }
    lines.reverse();
    let reversed = tmp.path().join("reversed.jsonl");
    std::fs::write(&reversed, lines.join("\n") + "\n").unwrap();
    let (kept_r, removed_r) = job(&[reversed], &config(true, 1));
    assert_eq!(kept, kept_r);
    let by_id = |rs: &[serde_json::Value]| {
        let mut m: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
        for r in rs {
            m.entry(r["id"].as_str().unwrap().to_owned())
                .or_default()
                .push(r.clone());
        }
        m
    };
    assert_eq!(by_id(&removed), by_id(&removed_r));
}

#[test]
fn memory_and_file_jobs_cut_the_same_passages() {
    let Some(shared) = shared() else { return };
    let files = inputs(&shared);
    let cfg = config(true, 0);
    let (kept, removed) = job(&files, &cfg);
    let all = corpus_core::io::list_inputs(&files, None).unwrap();
    let docs: Vec<_> = corpus_core::io::Reader::new(all, cfg.input.clone()).collect();
    let run = clean_documents(docs, &cfg, None).unwrap();
    assert!(run.summary.passages.is_some_and(|p| p.repeated > 0));
    let (from_memory, kept_memory) = crate::common::cleaned_as_written(&run);
    assert_eq!(from_memory, removed);
    assert_eq!(kept_memory.into_iter().collect::<BTreeMap<_, _>>(), kept);
}

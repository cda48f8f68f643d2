//! The same dedup with 1 and 2 threads and with the input shuffled across files
//! gives byte-identical clusters (sorted by id, without the `source` field, which
//! names the line a record was read from); the clean job writes the same bytes
//! whatever its thread count.

use std::path::{Path, PathBuf};

use corpus_core::Config;
use corpus_core::clean::job::run_clean;
use corpus_core::pipeline::run_dedup;
use serde_json::Value;

use crate::common::shared;

/// Real Arabic news plus near-duplicates of some of them (a word dropped, a
/// line of chrome added), so that there are clusters to agree on.
fn records(shared: &Path) -> Vec<String> {
    let src = shared.join("corpora/arabic_news/ant_jawharafm.jsonl");
    let mut out = Vec::new();
    for (i, line) in std::fs::read_to_string(src).unwrap().lines().enumerate() {
        out.push(line.to_owned());
        let v: Value = serde_json::from_str(line).unwrap();
        let text = v["text"].as_str().unwrap();
        if i % 7 == 0 && text.split_whitespace().count() > 40 {
            let mut words: Vec<&str> = text.split_whitespace().collect();
            words.remove(words.len() / 2);
            let near = format!("{}\nشارك هذا الخبر", words.join(" "));
            let id = format!("{}-near", v["id"].as_str().unwrap());
            out.push(serde_json::json!({"id": id, "text": near}).to_string());
        }
    }
    out
}

/// Writes the records into three files in a permuted order.
fn write_shuffled(dir: &Path, recs: &[String], seed: u64) -> Vec<PathBuf> {
    let mut order: Vec<usize> = (0..recs.len()).collect();
    let mut x = seed;
    for i in (1..order.len()).rev() {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        order.swap(i, (x >> 33) as usize % (i + 1));
    }
    let mut bodies = vec![String::new(); 3];
    for (k, &i) in order.iter().enumerate() {
        bodies[k % 3].push_str(&recs[i]);
        bodies[k % 3].push('\n');
    }
    std::fs::create_dir_all(dir).unwrap();
    let mut files: Vec<PathBuf> = bodies
        .iter()
        .enumerate()
        .map(|(k, b)| {
            let p = dir.join(format!("part{k}.jsonl"));
            std::fs::write(&p, b).unwrap();
            p
        })
        .collect();
    if seed % 2 == 1 {
        files.reverse();
    }
    files
}

fn clusters_without_source(out: &Path) -> String {
    let text = std::fs::read_to_string(out.join("clusters.jsonl")).unwrap();
    let mut lines: Vec<String> = text
        .lines()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            v.as_object_mut().unwrap().remove("source");
            v.to_string()
        })
        .collect();
    lines.sort();
    lines.join("\n")
}

#[test]
fn clusters_do_not_depend_on_threads_or_input_order() {
    let Some(shared) = shared() else { return };
    let recs = records(&shared);
    let tmp = tempfile::tempdir().unwrap();
    let mut reference: Option<String> = None;
    for (run, (threads, seed)) in [(1, 0), (2, 0), (1, 7), (2, 12345)].into_iter().enumerate() {
        let files = if seed == 0 {
            let p = tmp.path().join("plain.jsonl");
            std::fs::write(&p, recs.join("\n") + "\n").unwrap();
            vec![p]
        } else {
            write_shuffled(&tmp.path().join(format!("in{run}")), &recs, seed)
        };
        let out = tmp.path().join(format!("out{run}"));
        let cfg = Config {
            threads,
            ..Config::default()
        };
        let s = run_dedup(&files, &out, &cfg, None).unwrap();
        assert!(s.counts.removed > 10, "the corpus must have duplicates");
        let got = clusters_without_source(&out);
        match &reference {
            None => reference = Some(got),
            Some(r) => assert!(
                *r == got,
                "run {run} (threads {threads}, shuffle {seed}) differs from run 0"
            ),
        }
    }
}

/// The clean job, boilerplate counted by outlet and repeated passages cut, on
/// real news from several outlets: every output file is byte for byte the same
/// on 1, 2 and 4 threads (records are cleaned on the pool and written in order).
#[test]
fn clean_output_does_not_depend_on_threads() {
    let Some(shared) = shared() else { return };
    let news = shared.join("corpora/arabic_news");
    let inputs = [
        news.join("ant_multisource.jsonl"),
        news.join("ant_jawharafm.jsonl"),
        shared.join("corpora/news_pairs/docs.jsonl"),
    ];
    let tmp = tempfile::tempdir().unwrap();
    let mut reference: Option<Vec<Vec<u8>>> = None;
    for threads in [1, 2, 4] {
        let cfg = Config::default()
            .with_overrides(serde_json::json!({
                "threads": threads,
                "on_error": "skip",
                "clean": {"boilerplate": {"group_by": "outlet"}, "passages": {"enabled": true}},
            }))
            .unwrap();
        let out = tmp.path().join(format!("out{threads}"));
        let s = run_clean(&inputs, &out, &cfg, None).unwrap();
        assert!(s.counts.rejected > 0 && s.passages.is_some_and(|p| p.repeated > 0));
        let files: Vec<Vec<u8>> = [
            "kept.jsonl",
            "removed.jsonl",
            "emptied.jsonl",
            "rejects.jsonl",
        ]
        .iter()
        .map(|f| std::fs::read(out.join(f)).unwrap())
        .collect();
        match &reference {
            None => reference = Some(files),
            Some(r) => assert!(*r == files, "{threads} threads differ from 1"),
        }
    }
}

//! CPU time (min over rounds) of each per-document stage of `ghirbal dedup` on one JSON Lines
//! file, single thread, so that speed work goes where the time is:
//! parsing, cleaning (rules), key normalization, language detection, the
//! mojibake gate, and sketching. Clustering and writing are timed by the job
//! itself (`summary.json` timings).
//!
//! `cargo run --release -p corpus-bench --example stage_times -- FILE.jsonl [ROUNDS]`
#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::time::Instant;

use corpus_core::clean::{Cleaner, apply};
use corpus_core::io::{InputConfig, Reader, list_inputs};
use corpus_core::normalize::Normalizer;
use corpus_core::pipeline::{Analyzer, key_language};
use corpus_core::{Config, Document};

/// This thread's CPU time, else the wall clock.
fn now() -> f64 {
    corpus_bench::thread_cpu_seconds().unwrap_or_else(|| START.elapsed().as_secs_f64())
}

static START: std::sync::LazyLock<Instant> = std::sync::LazyLock::new(Instant::now);

fn main() {
    let mut args = std::env::args().skip(1);
    let path = PathBuf::from(args.next().expect("usage: stage_times FILE.jsonl [ROUNDS]"));
    let rounds: usize = args.next().map_or(3, |r| r.parse().expect("rounds"));
    let cfg = Config::default();
    let bytes = std::fs::metadata(&path).expect("input").len() as f64;

    let t = Instant::now();
    let files = list_inputs(std::slice::from_ref(&path), None).expect("inputs");
    let docs: Vec<Document> = Reader::new(files, InputConfig::default())
        .collect::<Result<_, _>>()
        .expect("records");
    let parse = t.elapsed().as_secs_f64();
    let n = docs.len() as f64;
    println!(
        "{} documents, {:.1} MB; read and parse {:.2} s ({:.1} µs/doc)",
        docs.len(),
        bytes / 1e6,
        parse,
        parse / n * 1e6
    );

    let cleaner = Cleaner::new(&cfg.clean).expect("cleaner");
    // Every rule off: what is left is splitting into lines and the per-line fold.
    let fold_only =
        Cleaner::new(&corpus_core::clean::CleanConfig::every_rule_off()).expect("cleaner");
    let key = Normalizer::new(&cfg.normalize).expect("normalizer");
    let analyzer = Analyzer::new(&cfg).expect("analyzer");
    let cleaned: Vec<String> = docs
        .iter()
        .map(|d| apply(&d.text, &cleaner.cuts(&d.text)))
        .collect();
    let keys: Vec<String> = cleaned
        .iter()
        .map(|t| key.normalize(t).into_owned())
        .collect();

    // Documents outside Arabic script go to whatlang: timed apart.
    let other: Vec<usize> = (0..keys.len())
        .filter(|&i| key_language(&keys[i]).arabic_script < 0.5)
        .collect();
    let t = now();
    let mut sink = 0usize;
    for &i in &other {
        sink += key_language(&keys[i]).confidence as usize;
    }
    let el = now() - t;
    println!(
        "language, {} documents outside Arabic script: {:.2} s, {:.1} µs/doc",
        other.len(),
        el,
        el / other.len().max(1) as f64 * 1e6
    );
    type Stage<'a> = (&'a str, Box<dyn FnMut(usize) -> usize + 'a>);
    let mut stages: Vec<Stage> = vec![
        (
            "clean (rules + apply)",
            Box::new(|i| apply(&docs[i].text, &cleaner.cuts(&docs[i].text)).len()),
        ),
        (
            "clean, every rule off (lines + fold)",
            Box::new(|i| apply(&docs[i].text, &fold_only.cuts(&docs[i].text)).len()),
        ),
        (
            "key normalization",
            Box::new(|i| key.normalize(&cleaned[i]).len()),
        ),
        (
            "language (start of the key)",
            Box::new(|i| key_language(&keys[i]).confidence as usize),
        ),
        (
            "sketch",
            Box::new(|i| analyzer.sketcher().sketch_local(&keys[i]).shingles as usize),
        ),
        (
            "whole analysis (clean, key, sketch)",
            Box::new(|i| analyzer.member(&docs[i]).sketch.shingles as usize),
        ),
    ];
    for (name, f) in &mut stages {
        let mut best = f64::MAX;
        for _ in 0..rounds {
            let t = now();
            for i in 0..docs.len() {
                sink = sink.wrapping_add(f(i));
            }
            best = best.min(now() - t);
        }
        println!(
            "{name:<38} {best:6.2} s  {:6.1} µs/doc  {:6.0} MB/s",
            best / n * 1e6,
            bytes / best / 1e6
        );
    }
    println!("(checksum {sink})");
}

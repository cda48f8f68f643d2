//! Dumps every cut the cleaner makes on the development corpora, and times the
//! single-document rules. Used to check that a change of the rules' code keeps
//! the same cuts (`diff` two dumps) and to measure their speed without criterion.
//!
//! ```text
//! cargo run --release -p corpus-bench --example clean_dump [-- SHARED_DIR] > cuts.tsv
//! cargo run --release -p corpus-bench --example clean_dump -- --time   # timing only
//! cargo run --release -p corpus-bench --example clean_dump -- --time --disable teaser_run
//! ```
//! `--disable RULE` (repeatable) switches a rule off, so that one binary
//! measures what a rule costs: two builds of different code also differ in
//! code layout, which moves the timing by a percent or two on its own.
//! Reads `SHARED_DIR/corpora/arabic_news/*.jsonl` and
//! `SHARED_DIR/corpora/boilerplate_gold/docs.jsonl`; for each document prints the
//! rule-only cuts and the cuts with a whole-corpus boilerplate model, one per line
//! (`file id mode rule start end`). The timing goes to stderr.

#![allow(clippy::print_stdout, clippy::print_stderr)] // a report printer

use std::path::PathBuf;
use std::time::Instant;

use corpus_core::clean::{BoilerplateCounter, CleanConfig, Cleaner};
use corpus_core::{Document, Origin};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let time_only = args.iter().any(|a| a == "--time");
    let disable: Vec<String> = args
        .windows(2)
        .filter(|w| w[0] == "--disable")
        .map(|w| w[1].clone())
        .collect();
    let shared = args
        .iter()
        .enumerate()
        .find(|&(i, a)| !a.starts_with("--") && (i == 0 || args[i - 1] != "--disable"))
        .map(|(_, a)| a)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    let files = [
        "arabic_news/saudinewsnet.jsonl",
        "arabic_news/ant_multisource.jsonl",
        "arabic_news/ant_jawharafm.jsonl",
        "boilerplate_gold/docs.jsonl",
    ];
    let mut docs: Vec<(&str, Document)> = Vec::new();
    for f in files {
        let s = std::fs::read_to_string(shared.join("corpora").join(f))?;
        for (n, line) in s.lines().enumerate() {
            let v: serde_json::Value = serde_json::from_str(line)?;
            let text = v.get("text").and_then(|t| t.as_str()).unwrap_or_default();
            let id = v.get("id").and_then(|t| t.as_str()).unwrap_or_default();
            docs.push((
                f,
                Document {
                    id: id.to_owned(),
                    text: text.to_owned(),
                    origin: Origin {
                        path: std::path::Path::new(f).into(),
                        line: n as u64 + 1,
                    },
                    raw: None,
                },
            ));
        }
    }
    let cfg = CleanConfig {
        disable,
        ..CleanConfig::default()
    };
    let cleaner = Cleaner::new(&cfg)?;
    if !time_only {
        dump(&cleaner, &cfg, &docs);
    }
    let bytes: usize = docs.iter().map(|(_, d)| d.text.len()).sum();
    let rounds = 5;
    let cpu0 = corpus_bench::thread_cpu_seconds();
    let t = Instant::now();
    let mut n = 0;
    for _ in 0..rounds {
        for (_, d) in &docs {
            n += cleaner.cuts(std::hint::black_box(&d.text)).len();
        }
    }
    let s = t.elapsed().as_secs_f64();
    let cpu = corpus_bench::thread_cpu_seconds()
        .zip(cpu0)
        .map(|(b, a)| b - a);
    eprintln!(
        "rules: {} docs, {:.1} MB x {rounds} in {s:.2} s = {:.1} MB/s wall ({n} cuts)",
        docs.len(),
        bytes as f64 / 1e6,
        (bytes * rounds) as f64 / 1e6 / s
    );
    if let Some(cpu) = cpu {
        // On a loaded machine the thread is descheduled part of the time.
        eprintln!(
            "rules: {cpu:.2} s on CPU = {:.1} MB/s per CPU-second",
            (bytes * rounds) as f64 / 1e6 / cpu
        );
    }
    Ok(())
}

fn dump(cleaner: &Cleaner, cfg: &CleanConfig, docs: &[(&str, Document)]) {
    let mut counter = BoilerplateCounter::new(&cfg.boilerplate);
    for (_, d) in docs {
        counter.count_document(cleaner, d);
    }
    let model = counter.finish();
    for (f, d) in docs {
        for c in cleaner.cuts(&d.text) {
            println!("{f}\t{}\trules\t{}\t{}\t{}", d.id, c.rule, c.start, c.end);
        }
        for c in cleaner.cuts_with(&d.text, &model, "") {
            println!("{f}\t{}\tmodel\t{}\t{}\t{}", d.id, c.rule, c.start, c.end);
        }
    }
}

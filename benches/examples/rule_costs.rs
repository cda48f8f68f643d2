//! What each cleaning rule costs on one JSON Lines file: the CPU time of
//! `Cleaner::cuts` with every rule on, with every rule off (splitting into lines
//! and the per-line fold), and with each rule off in turn (its cost is the
//! difference), single thread, the least of several rounds.
//!
//! `cargo run --release -p corpus-bench --example rule_costs -- FILE.jsonl [ROUNDS]`
#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::time::Instant;

use corpus_core::Document;
use corpus_core::clean::{CleanConfig, Cleaner, Rule};
use corpus_core::io::{InputConfig, Reader, list_inputs};

fn main() {
    let mut args = std::env::args().skip(1);
    let path = PathBuf::from(args.next().expect("usage: rule_costs FILE.jsonl [ROUNDS]"));
    let rounds: usize = args.next().map_or(3, |r| r.parse().expect("rounds"));
    let files = list_inputs(std::slice::from_ref(&path), None).expect("inputs");
    let docs: Vec<Document> = Reader::new(files, InputConfig::default())
        .collect::<Result<_, _>>()
        .expect("records");
    let mut settings: Vec<(String, CleanConfig)> = vec![
        ("every rule".into(), CleanConfig::default()),
        ("no rule".into(), CleanConfig::every_rule_off()),
    ];
    for rule in Rule::ALL {
        let mut cfg = CleanConfig::default();
        cfg.disable.push(rule.name().into());
        settings.push((format!("all but {}", rule.name()), cfg));
    }
    let cleaners: Vec<Cleaner> = settings
        .iter()
        .map(|(_, cfg)| Cleaner::new(cfg).expect("cleaner"))
        .collect();
    // Rounds interleave the settings, so a slower stretch hits them alike.
    let mut best = vec![f64::MAX; settings.len()];
    let mut sink = 0usize;
    for _ in 0..rounds {
        for (k, cleaner) in cleaners.iter().enumerate() {
            let t = corpus_bench::thread_cpu_seconds();
            let wall = Instant::now();
            for d in &docs {
                sink += cleaner.cuts(&d.text).len();
            }
            let el = match (t, corpus_bench::thread_cpu_seconds()) {
                (Some(a), Some(b)) => b - a,
                _ => wall.elapsed().as_secs_f64(),
            };
            best[k] = best[k].min(el);
        }
    }
    let per_doc = |s: f64| s / docs.len() as f64 * 1e6;
    println!(
        "{} documents, least of {rounds} rounds (checksum {sink})",
        docs.len()
    );
    println!("{:32} {:>12} {:>14}", "setting", "µs/doc", "rule's cost");
    for (k, (name, _)) in settings.iter().enumerate() {
        let cost = if k >= 2 {
            format!("{:+.3}", per_doc(best[0] - best[k]))
        } else {
            String::new()
        };
        println!("{name:32} {:12.3} {cost:>14}", per_doc(best[k]));
    }
}

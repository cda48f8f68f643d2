//! Line-level precision/recall of cleaning on `shared/corpora/boilerplate_gold`,
//! per chrome category and outlet.
//!
//! ```text
//! cargo run -p corpus-bench --example clean_eval [-- SHARED_DIR] [--errors] [--no-boilerplate]
//! ```
//! The boilerplate model is counted over `SHARED_DIR/corpora/arabic_news/*.jsonl`
//! grouped by `outlet` (the gold documents are drawn from those files).

#![allow(clippy::print_stdout)] // a report printer

use std::path::PathBuf;

use corpus_core::clean::{CleanConfig, GroupBy, eval};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let shared = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    let mut cfg = CleanConfig::default();
    cfg.boilerplate.group_by = GroupBy::Field("outlet".into());
    cfg.boilerplate.enabled = !args.iter().any(|a| a == "--no-boilerplate");
    let news = shared.join("corpora/arabic_news");
    let sources: Vec<PathBuf> = ["saudinewsnet", "ant_multisource", "ant_jawharafm"]
        .iter()
        .map(|f| news.join(format!("{f}.jsonl")))
        .collect();
    let report = eval::evaluate(&shared.join("corpora/boilerplate_gold"), &sources, &cfg)?;
    print!("{}", report.table());
    if args.iter().any(|a| a == "--errors") {
        println!("\nlines counted wrong:");
        for (id, n, label, text) in &report.errors {
            println!("{id}:{n} [{label}] {text}");
        }
    }
    Ok(())
}

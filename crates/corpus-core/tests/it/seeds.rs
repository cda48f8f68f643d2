//! The bundled sample corpus, end to end through the dedup job.

use std::path::Path;

use corpus_core::Config;
use corpus_core::pipeline::run_dedup;

use crate::common::seeds;

fn clusters(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("clusters.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn seeds_accounting_and_contract_files() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let summary = run_dedup(&[seeds()], &out, &Config::default(), None).unwrap();
    let c = &summary.counts;
    assert_eq!(c.input, 5);
    assert_eq!(c.input, c.kept + c.removed + c.rejected);
    for f in [
        "kept.jsonl",
        "clusters.jsonl",
        "rejects.jsonl",
        "summary.json",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    assert_eq!(clusters(&out).len(), 5);
}

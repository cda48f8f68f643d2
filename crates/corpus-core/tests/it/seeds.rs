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

/// After cleaning, 001 (the article inside page chrome and reader comments) is a
/// duplicate of 000, and 000 — the clean text — is kept; 002, 003, 004 stay.
#[test]
fn seeds_dedup_after_cleaning_keeps_000_and_drops_001() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run_dedup(&[seeds()], &out, &Config::default(), None).unwrap();
    let cl = clusters(&out);
    let by_id = |p: &str| {
        cl.iter()
            .find(|c| c["id"].as_str().unwrap().starts_with(p))
            .unwrap()
            .clone()
    };
    let (c0, c1) = (by_id("000"), by_id("001"));
    assert_eq!(c0["kept"], true);
    assert_eq!(c1["kept"], false);
    assert_eq!(c1["duplicate_of"], c0["id"]);
    for p in ["002", "003", "004"] {
        let c = by_id(p);
        assert_eq!(c["kept"], true, "{p}");
        assert_eq!(c["cluster"], c["id"], "{p} is alone");
    }
}

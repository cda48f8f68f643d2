//! Shared by the CLI's test binaries.

use std::path::{Path, PathBuf};

/// The paragraphs of more than eight words of the bundled seed articles, in
/// file order: material for corpora with near-duplicates.
pub fn seed_paragraphs() -> Vec<String> {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../corpora/seeds");
    let mut files: Vec<PathBuf> = std::fs::read_dir(seeds)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let paras: Vec<String> = files
        .iter()
        .flat_map(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .split('\n')
                .filter(|p| p.split_whitespace().count() > 8)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(paras.len() > 20, "the seeds are missing");
    paras
}

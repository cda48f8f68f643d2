//! Shared by the CLI's test binaries (each uses a part of it).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the `ghirbal` binary with `args` and waits for it.
pub fn ghirbal(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ghirbal"))
        .args(args)
        .output()
        .expect("run ghirbal")
}

/// Runs `ghirbal dedup INPUT --output OUT -q` with `extra` arguments.
pub fn dedup(input: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "dedup",
        input.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "-q",
    ];
    args.extend(extra);
    ghirbal(&args)
}

/// The bundled sample corpus.
pub fn seeds() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../corpora/seeds")
}

/// The seed articles' files, sorted.
pub fn seed_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(seeds())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

/// The paragraphs of more than eight words of the bundled seed articles, in
/// file order: material for corpora with near-duplicates.
pub fn seed_paragraphs() -> Vec<String> {
    let paras: Vec<String> = seed_files()
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

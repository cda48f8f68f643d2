//! Replays every fuzz seed and every crash found (fuzz/corpus/TARGET/ and
//! fuzz/regressions/TARGET/) through the same checks the fuzz targets run, so
//! that CI, which has no fuzzer, keeps them fixed.

#[allow(dead_code)] // each function is one fuzz target's check
#[path = "../../../../fuzz/checks.rs"]
mod checks;

use std::path::Path;

use crate::common::repo;

fn replay(target: &str, check: fn(&[u8])) {
    let mut n = 0;
    for dir in ["corpus", "regressions"] {
        let d = repo().join("fuzz").join(dir).join(target);
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        files.sort();
        for f in files {
            let data = std::fs::read(&f).unwrap();
            let name = f
                .strip_prefix(repo())
                .unwrap_or(Path::new("?"))
                .display()
                .to_string();
            std::panic::catch_unwind(|| check(&data))
                .unwrap_or_else(|_| panic!("{name} fails the {target} check"));
            n += 1;
        }
    }
    assert!(n > 0, "no fuzz inputs for {target}");
}

#[test]
fn fuzz_jsonl_reader_inputs() {
    replay("jsonl_reader", checks::jsonl_reader);
}

#[test]
fn fuzz_encoding_inputs() {
    replay("encoding", checks::encoding);
}

#[test]
fn fuzz_normalize_inputs() {
    replay("normalize", checks::normalize);
}

#[test]
fn fuzz_clean_inputs() {
    replay("clean", checks::clean);
}

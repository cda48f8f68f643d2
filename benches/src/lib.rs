//! Shared helpers of the criterion benchmarks: loading the development corpora.

use std::path::PathBuf;

/// Seconds this thread has run on a CPU (Linux `schedstat`), if the kernel
/// tells: on a shared machine a steadier figure than the wall clock.
pub fn thread_cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(s.split_whitespace().next()?.parse::<f64>().ok()? / 1e9)
}

/// Texts of the Arabic development news corpus (`../shared/corpora/arabic_news`),
/// or the bundled seeds when it is absent.
pub fn arabic_texts() -> Vec<String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpora/arabic_news");
    let mut texts = Vec::new();
    if let Ok(dir) = std::fs::read_dir(&root) {
        let mut paths: Vec<_> = dir.flatten().map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            let Ok(s) = std::fs::read_to_string(&p) else {
                continue;
            };
            for line in s.lines() {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(line) {
                    if let Some(t) = v.get("text").and_then(|t| t.as_str()) {
                        texts.push(t.to_owned());
                    }
                }
            }
        }
    }
    if texts.is_empty() {
        let seeds = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../corpora/seeds");
        if let Ok(dir) = std::fs::read_dir(seeds) {
            for e in dir.flatten() {
                if let Ok(t) = std::fs::read_to_string(e.path()) {
                    texts.push(t);
                }
            }
        }
    }
    texts
}

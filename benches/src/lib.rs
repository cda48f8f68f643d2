//! Shared helpers of the criterion benchmarks: loading the development corpora.

use std::path::PathBuf;

/// Seconds this thread has run on a CPU (Linux `schedstat`), if the kernel
/// tells: on a shared machine a steadier figure than the wall clock.
pub fn thread_cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(s.split_whitespace().next()?.parse::<f64>().ok()? / 1e9)
}

/// The `text` of every record of the JSON Lines files `paths`, in order.
fn jsonl_texts(paths: &[PathBuf]) -> Vec<String> {
    let mut texts = Vec::new();
    for p in paths {
        let Ok(s) = std::fs::read_to_string(p) else {
            continue;
        };
        for line in s.lines() {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(line)
                && let Some(t) = v.get("text").and_then(|t| t.as_str())
            {
                texts.push(t.to_owned());
            }
        }
    }
    texts
}

/// Texts of the English news of the multilingual development corpus
/// (`../shared/corpora/multilingual/bbc_news_en.jsonl`); empty when it is absent.
pub fn english_texts() -> Vec<String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpora/multilingual");
    jsonl_texts(&[root.join("bbc_news_en.jsonl")])
}

/// Texts of the Arabic development news corpus (`../shared/corpora/arabic_news`),
/// or the bundled seeds when it is absent.
pub fn arabic_texts() -> Vec<String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpora/arabic_news");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&root)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    paths.sort();
    let mut texts = jsonl_texts(&paths);
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

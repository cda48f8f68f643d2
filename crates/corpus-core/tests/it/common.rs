//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The bundled sample corpus.
pub fn seeds() -> PathBuf {
    repo().join("corpora/seeds")
}

/// `../shared` beside the repository (or `$GHIRBAL_SHARED`), or `None` when it is
/// absent and we are not in CI. Under `CI=true` a missing folder fails the test.
#[allow(clippy::print_stderr)] // say why a test checked nothing
pub fn shared() -> Option<PathBuf> {
    let dir = std::env::var_os("GHIRBAL_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared"));
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{} is missing, and CI=true requires it", dir.display());
    }
    eprintln!("skipping: {} not found", dir.display());
    None
}

/// The texts of the bundled sample corpus.
pub fn seed_texts() -> Vec<String> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(seeds())
        .expect("seeds")
        .flatten()
        .map(|e| e.path())
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("seed text"))
        .collect()
}

/// Every string field whose name starts with `text` (`text`, `text1`,
/// `text2` …) or is `html`, of every JSON Lines file in `dir`: the texts of a
/// development corpus.
pub fn jsonl_texts(dir: &Path) -> Vec<String> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for p in paths {
        let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        for line in text.lines() {
            let Ok(serde_json::Value::Object(m)) = serde_json::from_str(line) else {
                continue;
            };
            for (k, v) in m {
                if let (true, Some(s)) = (k.starts_with("text") || k == "html", v.as_str()) {
                    out.push(s.to_owned());
                }
            }
        }
    }
    out
}

/// What `clean_documents` returned, as the clean job writes it: the lines of
/// `removed.jsonl` and the kept texts in input order.
pub fn cleaned_as_written(
    run: &corpus_core::clean::CleanRun,
) -> (Vec<serde_json::Value>, Vec<(String, String)>) {
    let (mut removed, mut kept) = (Vec::new(), Vec::new());
    for (id, o) in run.ids.iter().zip(&run.outcomes) {
        let corpus_core::clean::CleanOutcome::Cleaned {
            text,
            cuts,
            emptied,
        } = o
        else {
            continue;
        };
        if !emptied {
            kept.push((id.clone(), text.clone()));
        }
        for c in cuts {
            let mut r = serde_json::json!({
                "id": id, "rule": c.rule, "start": c.start, "end": c.end, "text": c.text,
            });
            if let Some(of) = &c.duplicate_of {
                r["duplicate_of"] = of.as_str().into();
            }
            removed.push(r);
        }
    }
    (removed, kept)
}

/// The records of a JSON Lines file.
pub fn read_jsonl(p: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

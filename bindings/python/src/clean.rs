//! `clean` (documents in memory) and `clean_files` (the file job).

use std::path::PathBuf;

use corpus_core::clean::{CleanOutcome, clean_documents, run_clean};
use pyo3::prelude::*;

use crate::dedup::{documents, extract, resolve, to_json};
use crate::errors::to_py;

/// One cut: (rule, start, end, removed text), offsets in code points.
type PyCut = (String, u64, u64, String);

/// The columns of a clean result, aligned with the input.
type Columns = (
    Vec<String>,
    Vec<Option<String>>,
    Vec<Vec<PyCut>>,
    Vec<bool>,
    Vec<(usize, String)>,
    String,
);

/// Cleans documents held in memory (strings, or dicts with the id and text
/// fields). Returns (ids, texts, cuts, emptied, rejects, summary JSON); the text
/// of a rejected record is `None`.
#[pyfunction]
#[pyo3(signature = (docs, config_path, overrides_json))]
pub fn clean(
    py: Python<'_>,
    docs: &Bound<'_, PyAny>,
    config_path: Option<PathBuf>,
    overrides_json: &str,
) -> PyResult<Columns> {
    let cfg = resolve(config_path, overrides_json)?;
    let pending = extract(docs)?;
    let run = py
        .detach(|| clean_documents(documents(pending, &cfg), &cfg))
        .map_err(to_py)?;
    let n = run.outcomes.len();
    let (mut texts, mut cuts, mut emptied, mut rejects) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::new(),
    );
    for (i, o) in run.outcomes.into_iter().enumerate() {
        match o {
            CleanOutcome::Cleaned {
                text,
                cuts: c,
                emptied: e,
            } => {
                texts.push(Some(text));
                cuts.push(
                    c.into_iter()
                        .map(|c| (c.rule.to_owned(), c.start, c.end, c.text))
                        .collect(),
                );
                emptied.push(e);
            }
            CleanOutcome::Rejected(r) => {
                texts.push(None);
                cuts.push(Vec::new());
                emptied.push(false);
                rejects.push((i, r.reason));
            }
        }
    }
    let summary = to_json(&run.summary)?;
    Ok((run.ids, texts, cuts, emptied, rejects, summary))
}

/// Runs the clean job on files and folders, writing the output folder; returns
/// the summary as JSON.
#[pyfunction]
#[pyo3(signature = (inputs, output, config_path, overrides_json))]
pub fn clean_files(
    py: Python<'_>,
    inputs: Vec<PathBuf>,
    output: PathBuf,
    config_path: Option<PathBuf>,
    overrides_json: &str,
) -> PyResult<String> {
    let cfg = resolve(config_path, overrides_json)?;
    let summary = py
        .detach(|| run_clean(&inputs, &output, &cfg, None))
        .map_err(to_py)?;
    to_json(&summary)
}

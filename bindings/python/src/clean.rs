//! `clean` (documents in memory) and `clean_files` (the file job).

use std::path::PathBuf;

use corpus_core::Config;
use corpus_core::clean::{
    CleanOutcome, CleanStage, CutRecord, PassageModel, clean_documents, run_clean,
};
use pyo3::prelude::*;

use crate::dedup::{documents, documents_at, extract, resolve, to_json, with_read_ids};
use crate::dist::{
    LinesOut, boilerplate_lines_of, config_and_model, of_readable, pending_at, rows_of,
};
use crate::errors::to_py;

/// One cut: (rule, start, end, removed text, the id of the document that keeps
/// a repeated passage), offsets in code points.
type PyCut = (String, u64, u64, String, Option<String>);

fn py_cuts(cuts: Vec<CutRecord>) -> Vec<PyCut> {
    cuts.into_iter()
        .map(|c| (c.rule.to_owned(), c.start, c.end, c.text, c.duplicate_of))
        .collect()
}

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
/// of a rejected record is `None`. `progress` as for `clean_files`; Ctrl-C
/// stops it.
#[pyfunction]
#[pyo3(signature = (docs, config_path, overrides_json, progress=None))]
pub fn clean(
    py: Python<'_>,
    docs: &Bound<'_, PyAny>,
    config_path: Option<PathBuf>,
    overrides_json: &str,
    progress: Option<Py<PyAny>>,
) -> PyResult<Columns> {
    let cfg = resolve(config_path, overrides_json)?;
    let pending = extract(docs, &cfg)?;
    let (run, read_ids) = crate::run::interruptible(py, progress, |p| {
        cfg.in_pool(|| {
            let (docs, read_ids) = documents(pending, &cfg);
            Ok((clean_documents(docs, &cfg, Some(p))?, read_ids))
        })
    })?;
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
                cuts.push(py_cuts(c));
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
    crate::dedup::warn_notes(py, &run.summary.notes)?;
    let summary = to_json(&run.summary)?;
    Ok((
        with_read_ids(run.ids, read_ids),
        texts,
        cuts,
        emptied,
        rejects,
        summary,
    ))
}

/// A record's passages for the count: its id and the passages' hashes (as
/// Spark's signed integers); `None` for a bad record.
type PassagesRow = Option<(String, Vec<i64>)>;

/// Per record, the (hash, holder id) of each repeated passage it carries.
type Holders = Vec<Option<Vec<(i64, String)>>>;

/// One record cleaned on Spark: (id, text, cuts, emptied, reject). A rejected
/// record has its (reason, error as raised), no text and no cuts.
type CleanedRow = (
    String,
    Option<String>,
    Vec<PyCut>,
    bool,
    Option<(String, String)>,
);

/// corpus-core's clean stage for the Spark driver (`ghirbal.spark.clean_spark`):
/// the corpus-level count of each record's lines, then each record cleaned with
/// the model built from the counts (see `Stages.boilerplate_model`).
#[pyclass(name = "CleanStages", module = "ghirbal._core", frozen)]
pub struct PyCleanStages {
    cfg: Config,
    stage: CleanStage,
}

#[pymethods]
impl PyCleanStages {
    /// The stage for a configuration as `resolve_config` gives it (JSON), with
    /// the corpus' boilerplate model when the configuration cuts corpus-level
    /// boilerplate (without it, only `boilerplate_lines` works).
    #[new]
    #[pyo3(signature = (config_json, boilerplate = None))]
    fn new(config_json: &str, boilerplate: Option<&str>) -> PyResult<Self> {
        let (cfg, model) = config_and_model(config_json, boilerplate)?;
        let stage = CleanStage::new(&cfg, model).map_err(to_py)?;
        Ok(PyCleanStages { cfg, stage })
    }

    /// Whether records are cleaned with the corpus' boilerplate model.
    #[getter]
    fn wants_boilerplate(&self) -> bool {
        CleanStage::wants_model(&self.cfg)
    }

    /// What the corpus-level count takes of each readable record (read as
    /// `clean` reads them): (group, article, (line hash, its article) per distinct
    /// line), the hashes as signed 64-bit integers; `None` for a bad record.
    /// Beside them, the notes' tally of their groups (see `notes`).
    fn boilerplate_lines(
        &self,
        py: Python<'_>,
        orders: Vec<usize>,
        docs: &Bound<'_, PyAny>,
    ) -> PyResult<(Vec<Option<LinesOut>>, String)> {
        boilerplate_lines_of(py, &self.cfg, orders, docs, |d| {
            Some(self.stage.document_lines(d))
        })
    }

    /// The notes' tally (JSON) of readable records, each id once: (input
    /// position, id, `None`), as `Stages.tally_notes` takes them.
    fn tally_notes(&self, rows: Vec<crate::dist::NoteRow>) -> PyResult<String> {
        crate::dist::tally_notes_of(&self.cfg, &rows)
    }

    /// The job's notes from the tallies of its records and, when counted, of
    /// their groups (merged as `Stages.merge_notes` merges them): what `clean`
    /// warns on the same records, in the same words.
    fn notes(&self, tallies: Vec<String>) -> PyResult<Vec<String>> {
        crate::dist::notes_of(&self.cfg, &tallies)
    }

    /// Distinct articles of a group of `docs` articles a line must occur in to be
    /// boilerplate.
    fn boilerplate_need(&self, docs: u64) -> u64 {
        self.cfg.clean.boilerplate.need(docs)
    }

    /// The boilerplate model (JSON, for `CleanStages(config, boilerplate)`), as
    /// `Stages.boilerplate_model` makes it.
    fn boilerplate_model(&self, groups: Vec<crate::dist::GroupCounts>) -> PyResult<String> {
        crate::dist::boilerplate_model_of(&self.cfg, groups)
    }

    /// Whether repeated passages are cut: `passages` counts them and `clean`
    /// takes each record's holders.
    #[getter]
    fn wants_passages(&self) -> bool {
        CleanStage::wants_passages(&self.cfg)
    }

    /// What the repeated-passage count takes of each readable record (read as
    /// `clean` reads them): its id and its passages' hashes (signed 64-bit
    /// integers), in text order; `None` for a bad record.
    fn passages(
        &self,
        py: Python<'_>,
        orders: Vec<usize>,
        docs: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<PassagesRow>> {
        of_readable(py, &self.cfg, orders, docs, |d| {
            let hashes = self
                .stage
                .passages(&d)
                .iter()
                .map(|p| p.hash as i64)
                .collect();
            Some((d.id, hashes))
        })
    }

    /// Cleans records (str, or dicts read like JSON Lines records); `orders[i]`
    /// is the input position `N` of `docs[i]` (errors name it `docs[N]`, and so
    /// is a record without an id). With repeated passages on, `holders[i]`
    /// gives the (hash, holder id) of each repeated passage `docs[i]` carries
    /// (`None`: none).
    #[pyo3(signature = (orders, docs, holders = None))]
    fn clean(
        &self,
        py: Python<'_>,
        orders: Vec<usize>,
        docs: &Bound<'_, PyAny>,
        holders: Option<Holders>,
    ) -> PyResult<Vec<CleanedRow>> {
        self.stage.ready().map_err(to_py)?;
        let wants = CleanStage::wants_passages(&self.cfg);
        let holders = match (wants, holders) {
            (true, Some(h)) if h.len() == orders.len() => h,
            (false, None) => Vec::new(),
            (true, _) => {
                return Err(crate::errors::ConfigError::new_err(
                    "repeated passages are on: clean() needs each record's holders \
                     (one entry per record)",
                ));
            }
            (false, Some(_)) => {
                return Err(crate::errors::ConfigError::new_err(
                    "holders were given, but this configuration does not cut repeated passages",
                ));
            }
        };
        let pending = pending_at(&orders, docs, &self.cfg)?;
        py.detach(|| {
            let docs = documents_at(pending, &self.cfg, |i| orders[i]);
            rows_of(
                // Each record with its position in `docs`, for its holders.
                docs.into_iter().enumerate().map(|(i, d)| d.map(|d| (i, d))),
                |(i, doc)| {
                    let (text, cuts, emptied) = if wants {
                        let mine = holders[i].as_deref().unwrap_or_default();
                        let model = PassageModel::from_holders(
                            mine.iter().map(|(h, id)| (*h as u64, id.as_str())),
                        );
                        self.stage.clean_with_passages(&doc, &model)
                    } else {
                        self.stage.clean(&doc)
                    };
                    (doc.id, Some(text), py_cuts(cuts), emptied, None)
                },
                |r| (String::new(), None, Vec::new(), false, Some(r)),
            )
        })
        .map_err(to_py)
    }
}

/// Runs the clean job on files and folders, writing the output folder; returns
/// the summary as JSON. `progress` as for `dedup_files`; Ctrl-C stops it.
#[pyfunction]
#[pyo3(signature = (inputs, output, config_path, overrides_json, progress=None))]
pub fn clean_files(
    py: Python<'_>,
    inputs: Vec<PathBuf>,
    output: PathBuf,
    config_path: Option<PathBuf>,
    overrides_json: &str,
    progress: Option<Py<PyAny>>,
) -> PyResult<String> {
    let cfg = resolve(config_path, overrides_json)?;
    let summary =
        crate::run::interruptible(py, progress, |p| run_clean(&inputs, &output, &cfg, Some(p)))?;
    crate::dedup::warn_notes(py, &summary.notes)?;
    to_json(&summary)
}

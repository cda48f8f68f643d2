//! `dedup` (documents in memory), `dedup_files` (the file job) and
//! `resolve_config`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, RecordBatch};
use corpus_core::io::ArrowRecords;
use corpus_core::pipeline::{Outcome, dedup_documents, run_dedup};
use corpus_core::{Config, Document, Error, Origin};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyMapping, PyString};
use rayon::prelude::*;
use serde_json::{Map, Number, Value};

use crate::errors::{ConfigError, DataError, to_py};

/// The configuration: a TOML file (or the defaults) with the keyword arguments,
/// given as a JSON object, laid over it.
pub(crate) fn resolve(config_path: Option<PathBuf>, overrides_json: &str) -> PyResult<Config> {
    let base = match &config_path {
        Some(p) => Config::from_toml_file(p).map_err(to_py)?,
        None => Config::default(),
    };
    let overrides: serde_json::Value = serde_json::from_str(overrides_json)
        .map_err(|e| ConfigError::new_err(format!("options are not JSON: {e}")))?;
    base.with_overrides(overrides).map_err(to_py)
}

/// A reason's name, as `clusters.jsonl` spells it.
pub(crate) fn reason_name(r: corpus_core::dedup::Reason) -> String {
    serde_json::to_value(r)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> PyResult<String> {
    serde_json::to_string(v).map_err(|e| crate::errors::CorpusError::new_err(e.to_string()))
}

/// The fully resolved configuration, as JSON.
#[pyfunction]
#[pyo3(signature = (config_path, overrides_json))]
pub fn resolve_config(config_path: Option<PathBuf>, overrides_json: &str) -> PyResult<String> {
    to_json(&resolve(config_path, overrides_json)?)
}

/// The record fields a job with this configuration reads (the id and text
/// fields, then the survivor's and the boilerplate group's fields, if any).
#[pyfunction]
#[pyo3(signature = (config_path, overrides_json))]
pub fn record_fields(config_path: Option<PathBuf>, overrides_json: &str) -> PyResult<Vec<String>> {
    let cfg = resolve(config_path, overrides_json)?;
    Ok(cfg.record_fields().into_iter().map(str::to_owned).collect())
}

/// One input record as extracted while holding the GIL.
pub(crate) enum Pending {
    /// A string: the text, read as the record of that text alone (its id
    /// its position).
    Text(String),
    /// The fields the job reads of a dict ([`read_fields`]).
    Fields(Map<String, Value>),
    /// A row of an Arrow table.
    Row(Arc<ArrowRecords>, usize),
    /// Not a record.
    Bad(String),
}

/// Where `docs[i]` is, as errors name it.
pub(crate) fn place(i: usize) -> Origin {
    Origin {
        path: Path::new(&place_name(i)).into(),
        line: 0,
    }
}

/// `docs[i]`: the place of item `i`, and the id of a record there that has
/// none, as a record of a file without an id gets `file:line`. Its position
/// alone ("1") would be taken for the id "1" of another record.
fn place_name(i: usize) -> String {
    format!("docs[{i}]")
}

/// Builds the documents (outside the GIL), in parallel on the current thread
/// pool: the same record parsing as a JSONL line, so a dict is accepted or
/// rejected exactly like a record in a file. Beside them, the id each record
/// that is not a document carries ([`Built`]).
pub(crate) fn documents(
    pending: Vec<Pending>,
    cfg: &Config,
) -> (Vec<corpus_core::Result<Document>>, Vec<String>) {
    pending
        .into_par_iter()
        .enumerate()
        .map(|(i, p)| document(p, i, cfg))
        .unzip()
}

/// [`documents`] on this thread, where item `i` is `docs[at(i)]` of a larger
/// input (a Spark batch: the partitions are the parallelism there).
pub(crate) fn documents_at(
    pending: Vec<Pending>,
    cfg: &Config,
    at: impl Fn(usize) -> usize,
) -> Vec<corpus_core::Result<Document>> {
    pending
        .into_iter()
        .enumerate()
        .map(|(i, p)| document(p, at(i), cfg).0)
        .collect()
}

/// A record's document, and when it is none (a bad record), the id the record
/// carries ("" when none could be read): the core knows only the documents'
/// ids, and a rejected record keeps its own in the results.
type Built = (corpus_core::Result<Document>, String);

/// The document of `docs[i]`.
fn document(p: Pending, i: usize, cfg: &Config) -> Built {
    // `fallback`: the id of a record without one.
    let of_fields = |map: Map<String, Value>, fallback: String| {
        let id = cfg.input.id_of(&map, None, || fallback.clone()).ok();
        match cfg.input.record_from_fields(map, place(i), || fallback) {
            Ok(doc) => (Ok(doc), String::new()),
            Err(e) => (Err(e), id.unwrap_or_default()),
        }
    };
    match p {
        // A string is the record of its text alone, read as a dict is (an
        // empty or oversized text is refused as in a file), its position its id.
        Pending::Text(text) => of_fields(
            Map::from_iter([(cfg.input.text_field.clone(), Value::String(text))]),
            i.to_string(),
        ),
        Pending::Fields(map) => of_fields(map, place_name(i)),
        Pending::Row(rows, row) => match rows.fields(row) {
            Ok(map) => of_fields(map, place_name(i)),
            Err(reason) => (Err(Error::record(&place(i), reason)), String::new()),
        },
        Pending::Bad(reason) => (Err(Error::record(&place(i), reason)), String::new()),
    }
}

/// `ids` (the core's, "" for a record that is no document) with the id each
/// such record carries, from [`documents`].
pub(crate) fn with_read_ids(mut ids: Vec<String>, read: Vec<String>) -> Vec<String> {
    for (id, read) in ids.iter_mut().zip(read) {
        if id.is_empty() {
            *id = read;
        }
    }
    ids
}

/// Documents converted between two looks for a pending signal.
const SIGNAL_EVERY: usize = 4096;

/// The records of `docs`: the rows of a table that exports Arrow (a pyarrow
/// table or batch, a pandas or polars frame: anything with
/// `__arrow_c_stream__`), else the items of an iterable of strings and dicts.
pub(crate) fn extract(docs: &Bound<'_, PyAny>, cfg: &Config) -> PyResult<Vec<Pending>> {
    match crate::arrow::chunks(docs) {
        Ok(Some(chunks)) => return arrow_items(chunks, cfg),
        Ok(None) => {}
        // A frame with a column pyarrow cannot convert (an object column of
        // mixed types): its rows as dicts, as `dedup_frame` reads them, so that
        // a bad value is a bad record named by its row.
        Err(e) if from_pyarrow(docs.py(), &e)? && docs.hasattr("columns")? => {
            return extract(&docs.call_method1("to_dict", ("records",))?, cfg);
        }
        Err(e) => return Err(e),
    }
    let py = docs.py();
    let fields = cfg.record_fields();
    let reader = ValueReader::new(py, &cfg.input.id_field)?;
    let mut out = Vec::new();
    for item in docs.try_iter()? {
        let item = item?;
        // A list of millions of dicts takes seconds: Ctrl-C is heard here too.
        if out.len() % SIGNAL_EVERY == 0 {
            py.check_signals()?;
        }
        let pending = if let Ok(s) = item.cast::<PyString>() {
            match s.to_cow() {
                Ok(t) => Pending::Text(t.into_owned()),
                Err(e) => Pending::Bad(format!("text is not valid Unicode: {e}")),
            }
        } else if item.cast::<PyDict>().is_ok() || item.cast::<PyMapping>().is_ok() {
            match read_fields(&item, &fields, &reader)? {
                Ok(map) => Pending::Fields(map),
                Err(reason) => Pending::Bad(reason),
            }
        } else {
            let ty = item.get_type().name()?;
            Pending::Bad(format!("expected a str or a dict, got {ty}"))
        };
        out.push(pending);
    }
    Ok(out)
}

/// The items of Arrow data: the rows of a table (struct arrays), read from the
/// columns the job reads ([`Config::record_fields`]), or the strings of a
/// column of texts, as a list of strings is read.
fn arrow_items(chunks: Vec<ArrayRef>, cfg: &Config) -> PyResult<Vec<Pending>> {
    const NULL: &str = "expected a str or a dict, got null";
    if !chunks.iter().all(|c| c.as_struct_opt().is_some()) {
        let texts =
            crate::arrow::texts(&chunks).map_err(crate::arrow::column_error(DataError::new_err))?;
        return Ok(texts
            .into_iter()
            .map(|t| t.map_or_else(|| Pending::Bad(NULL.into()), Pending::Text))
            .collect());
    }
    let fields = cfg.record_fields();
    let mut out = Vec::new();
    for rows in chunks.iter().filter_map(|c| c.as_struct_opt()) {
        // Not `RecordBatch::from`, which panics on a struct array with null
        // rows: its columns as they are, the null rows marked below.
        let schema = arrow_schema::Schema::new(
            rows.fields()
                .iter()
                .map(|f| f.as_ref().clone().with_nullable(true))
                .collect::<Vec<_>>(),
        );
        let batch = RecordBatch::try_new_with_options(
            Arc::new(schema),
            rows.columns().to_vec(),
            &arrow_array::RecordBatchOptions::new().with_row_count(Some(rows.len())),
        )
        .map_err(|e| DataError::new_err(format!("the table cannot be read: {e}")))?;
        let records = ArrowRecords::new(&batch, &fields)
            .map_err(crate::arrow::column_error(DataError::new_err))?;
        let records = Arc::new(records);
        out.extend((0..rows.len()).map(|r| match rows.is_null(r) {
            true => Pending::Bad(NULL.into()),
            false => Pending::Row(records.clone(), r),
        }));
    }
    Ok(out)
}

/// Reads the values of a dict's fields as JSON, as a JSON Lines writer would
/// write them: numbers of any Python type as numbers, the missing values of
/// pandas as `null`, anything else through `json.dumps`.
struct ValueReader<'py> {
    dumps: Bound<'py, PyAny>,
    kwargs: Bound<'py, PyDict>,
    /// `numbers.Integral` (numpy integers), `numbers.Real` (numpy floats) and
    /// `decimal.Decimal`: numbers that `json.dumps` would turn into strings.
    integral: Bound<'py, PyAny>,
    real: Bound<'py, PyAny>,
    decimal: Bound<'py, PyAny>,
    /// `operator.index`: a numpy integer's `int`.
    index: Bound<'py, PyAny>,
    /// The id field, whose integers keep every digit.
    id_field: &'py str,
}

impl<'py> ValueReader<'py> {
    fn new(py: Python<'py>, id_field: &'py str) -> PyResult<Self> {
        let kwargs = PyDict::new(py);
        kwargs.set_item("ensure_ascii", false)?;
        // NaN is not JSON: say so rather than fail later on "malformed JSON".
        kwargs.set_item("allow_nan", false)?;
        // Dates and the like become strings rather than errors; bytes and
        // arrays, whose `str` is their repr, are errors (see `json_default`).
        kwargs.set_item("default", json_default(py)?)?;
        let numbers = py.import("numbers")?;
        Ok(ValueReader {
            dumps: py.import("json")?.getattr("dumps")?,
            kwargs,
            integral: numbers.getattr("Integral")?,
            real: numbers.getattr("Real")?,
            decimal: py.import("decimal")?.getattr("Decimal")?,
            index: py.import("operator")?.getattr("index")?,
            id_field,
        })
    }

    /// The JSON value of field `f`'s value `v`; `Err` says why JSON cannot
    /// hold it.
    fn value(&self, f: &str, v: &Bound<'py, PyAny>) -> PyResult<Result<Value, String>> {
        let cannot =
            |why: &dyn std::fmt::Display| Err(format!("field {f:?} cannot be read as JSON: {why}"));
        let is_id = f == self.id_field;
        if let Some(value) = plain_value(v, is_id) {
            return Ok(Ok(value));
        }
        if let Ok(s) = v.cast::<PyString>() {
            // A lone surrogate (text read with `errors="surrogateescape"`).
            if let Err(e) = s.to_cow() {
                return Ok(cannot(&format!("not valid Unicode: {e}")));
            }
        }
        if is_numpy(v, "bool")? {
            return Ok(Ok(Value::Bool(v.is_truthy()?)));
        }
        if is_pandas_missing(v)? {
            return Ok(Ok(Value::Null));
        }
        // A numpy integer or a Decimal is a number, as a numpy float (a
        // `float`) already is: `json.dumps` would write it as a string, and
        // 9 would then rank above 10.
        let number = if v.is_instance(&self.integral)? {
            Some(self.index.call1((v,))?)
        } else if v.is_instance(&self.decimal)? {
            if v.call_method0("is_nan")?.is_truthy()? {
                return Ok(Ok(Value::Null));
            }
            let finite = v.call_method0("is_finite")?.is_truthy()?;
            let integral = finite && v.eq(v.call_method0("to_integral_value")?)?;
            if is_id && finite && !integral {
                // Its digits, as a JSON Lines file's id keeps them as written: a
                // double would make two such ids one.
                return Ok(Ok(Value::String(v.str()?.to_cow()?.into_owned())));
            }
            let py = v.py();
            let to = if integral {
                py.get_type::<PyInt>()
            } else {
                py.get_type::<PyFloat>()
            };
            Some(to.call1((v,))?)
        } else if v.is_instance(&self.real)? {
            Some(v.py().get_type::<PyFloat>().call1((v,))?)
        } else {
            None
        };
        if let Some(n) = number {
            return Ok(match plain_value(&n, is_id) {
                Some(value) => Ok(value),
                None => cannot(&format!("{n} is not a number JSON can hold")),
            });
        }
        match self.dumps.call((v,), Some(&self.kwargs)) {
            Ok(j) => Ok(match j.cast::<PyString>().map(|j| j.to_cow()) {
                Ok(Ok(j)) => serde_json::from_str(&j).or_else(|e| cannot(&e)),
                // A lone surrogate inside a list or a dict.
                Ok(Err(e)) => cannot(&format!("not valid Unicode: {e}")),
                Err(e) => cannot(&e),
            }),
            // KeyboardInterrupt, SystemExit: not the record's fault.
            Err(e) if !e.is_instance_of::<pyo3::exceptions::PyException>(v.py()) => Err(e),
            Err(e) => Ok(cannot(&e)),
        }
    }
}

/// Whether `e` is one of pyarrow's own errors (a conversion it refused).
fn from_pyarrow(py: Python<'_>, e: &PyErr) -> PyResult<bool> {
    Ok(e.get_type(py).module()?.to_cow()?.starts_with("pyarrow"))
}

/// Whether `v` is of numpy's type `name` (`bool` also matches numpy 1's `bool_`).
fn is_numpy(v: &Bound<'_, PyAny>, name: &str) -> PyResult<bool> {
    let ty = v.get_type();
    let ty_name = ty.name()?;
    let ty_name = ty_name.to_cow()?;
    Ok(ty_name.trim_end_matches('_') == name && ty.module()?.to_cow()? == "numpy")
}

/// `json.dumps`' `default`: a value JSON has no type for (a date, a UUID)
/// becomes its `str`, but not bytes or an array, whose `str` is their repr
/// (`b'...'`, `['a' 'b']`): those are a `TypeError`, so the record is rejected
/// with the reason, as a list item of bytes or a binary column is.
fn json_default(py: Python<'_>) -> PyResult<Bound<'_, pyo3::types::PyCFunction>> {
    pyo3::types::PyCFunction::new_closure(
        py,
        None,
        None,
        |args: &Bound<'_, pyo3::types::PyTuple>, _kwargs| -> PyResult<String> {
            let v = args.get_item(0)?;
            let bytes_like = v.cast::<pyo3::types::PyBytes>().is_ok()
                || v.cast::<pyo3::types::PyByteArray>().is_ok()
                || v.cast::<pyo3::types::PyMemoryView>().is_ok();
            if bytes_like || is_numpy(&v, "ndarray")? {
                let ty = v.get_type().name()?;
                return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                    "a value of type {ty} is no text (decode bytes, join arrays first)"
                )));
            }
            Ok(v.str()?.to_cow()?.into_owned())
        },
    )
}

/// Whether `v` is pandas' `NA` or `NaT`, the missing values of a
/// `to_dict("records")` row (a float NaN is read as missing already).
fn is_pandas_missing(v: &Bound<'_, PyAny>) -> PyResult<bool> {
    let ty = v.get_type();
    let name = ty.name()?;
    Ok((name == "NAType" || name == "NaTType") && ty.module()?.to_cow()?.starts_with("pandas"))
}

/// The fields the job reads (`fields`: the id, the text, the survivor's and
/// the boilerplate group's) of a dict or mapping, as JSON values
/// ([`ValueReader`]); `None`, a float NaN and pandas' `NA` and `NaT` are `null`,
/// a missing value, as in a table. Other fields are not looked at: a value JSON
/// cannot hold there (the NaN of a pandas record's empty cell, a numpy array)
/// is no concern of the job's. `Err` says which read field JSON cannot hold.
fn read_fields(
    item: &Bound<'_, PyAny>,
    fields: &[&str],
    reader: &ValueReader<'_>,
) -> PyResult<Result<Map<String, Value>, String>> {
    let py = item.py();
    let mut map = Map::with_capacity(fields.len());
    for &f in fields {
        let v = match item.get_item(f) {
            Ok(v) => v,
            Err(e) if e.is_instance_of::<pyo3::exceptions::PyKeyError>(py) => continue,
            Err(e) => return Err(e),
        };
        match reader.value(f, &v)? {
            Ok(value) => map.insert(f.to_owned(), value),
            Err(reason) => return Ok(Err(reason)),
        };
    }
    Ok(Ok(map))
}

/// A value of exactly the types `str`, `bool`, `int`, `float` (NaN as `null`;
/// infinities, which JSON cannot hold, as `None`) or `None`, as JSON, without
/// writing it and parsing it again (for 200,000 news articles that took longer
/// than the dedup itself). An `int` beyond 64 bits is a double, as JSON reads
/// it, except in the id field (`is_id`), where it is its decimal text: two
/// such ids must not become the same double.
fn plain_value(v: &Bound<'_, PyAny>, is_id: bool) -> Option<Value> {
    Some(if v.is_none() {
        Value::Null
    } else if let Ok(s) = v.cast_exact::<PyString>() {
        Value::String(s.to_cow().ok()?.into_owned())
    } else if let Ok(b) = v.cast_exact::<PyBool>() {
        Value::Bool(b.is_true())
    } else if let Ok(i) = v.cast_exact::<PyInt>() {
        if let Ok(n) = i.extract::<i64>() {
            Value::from(n)
        } else if let Ok(n) = i.extract::<u64>() {
            Value::from(n)
        } else if is_id {
            Value::String(i.str().ok()?.to_cow().ok()?.into_owned())
        } else {
            Value::Number(Number::from_f64(i.extract::<f64>().ok()?)?)
        }
    } else if let Ok(f) = v.cast_exact::<PyFloat>() {
        match f.value() {
            x if x.is_nan() => Value::Null,
            x => Value::Number(Number::from_f64(x)?),
        }
    } else {
        return None;
    })
}

/// The columns of a dedup result, aligned with the input.
type Columns = (
    Vec<String>,
    Vec<Option<String>>,
    Vec<bool>,
    Vec<Option<String>>,
    Vec<String>,
    Vec<Option<f64>>,
    Vec<Option<&'static str>>,
    Vec<(usize, String)>,
    String,
    String,
);

/// Deduplicates documents held in memory (strings, or dicts with the id and
/// text fields). Returns (ids, clusters, kept, duplicate_of, reason,
/// similarity, languages, rejects, summary JSON, audit JSON). `progress` as
/// for [`dedup_files`]; Ctrl-C stops it.
#[pyfunction]
#[pyo3(signature = (docs, config_path, overrides_json, progress=None))]
pub fn dedup(
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
            Ok((dedup_documents(docs, &cfg, Some(p))?, read_ids))
        })
    })?;
    let n = run.outcomes.len();
    let (mut clusters, mut kept, mut duplicate_of, mut reason, mut similarity, mut rejects) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::new(),
    );
    let id = |i: usize| run.ids[i].clone();
    for (i, o) in run.outcomes.iter().enumerate() {
        match o {
            Outcome::Verdict(v) => {
                clusters.push(Some(id(v.cluster)));
                kept.push(v.kept);
                duplicate_of.push(v.duplicate_of.map(id));
                reason.push(reason_name(v.reason));
                similarity.push(Some(v.similarity));
            }
            Outcome::Rejected(r) => {
                clusters.push(None);
                kept.push(false);
                duplicate_of.push(None);
                reason.push("rejected".to_owned());
                similarity.push(None);
                rejects.push((i, r.reason.clone()));
            }
        }
    }
    warn_notes_of(py, &run.summary)?;
    let (summary, audit) = (to_json(&run.summary)?, to_json(&run.audit)?);
    Ok((
        with_read_ids(run.ids, read_ids),
        clusters,
        kept,
        duplicate_of,
        reason,
        similarity,
        run.languages,
        rejects,
        summary,
        audit,
    ))
}

/// Runs the dedup job on files and folders, writing the output folder; returns
/// the summary as JSON. `progress` gets `(step, records)` as the job goes
/// (see [`crate::run::interruptible`]); Ctrl-C stops it.
#[pyfunction]
#[pyo3(signature = (inputs, output, config_path, overrides_json, progress=None))]
pub fn dedup_files(
    py: Python<'_>,
    inputs: Vec<PathBuf>,
    output: PathBuf,
    config_path: Option<PathBuf>,
    overrides_json: &str,
    progress: Option<Py<PyAny>>,
) -> PyResult<String> {
    let cfg = resolve(config_path, overrides_json)?;
    let summary =
        crate::run::interruptible(py, progress, |p| run_dedup(&inputs, &output, &cfg, Some(p)))?;
    warn_notes_of(py, &summary)?;
    to_json(&summary)
}

/// A `UserWarning` per note of a dedup run (the notes `ghirbal dedup`
/// prints): the survivor field not read as dates or numbers everywhere, an id
/// or group field no record has.
fn warn_notes_of(py: Python<'_>, summary: &corpus_core::pipeline::Summary) -> PyResult<()> {
    let survivor = summary.survivor_values.as_ref().and_then(|v| v.note());
    warn_notes(py, survivor.iter().chain(&summary.notes))
}

/// A `UserWarning` per note (see `summary.json`'s `notes`).
pub(crate) fn warn_notes<'a>(
    py: Python<'_>,
    notes: impl IntoIterator<Item = &'a String>,
) -> PyResult<()> {
    let cat = py.get_type::<pyo3::exceptions::PyUserWarning>();
    let mut level = None; // found at the first note: most runs have none
    for note in notes {
        let level = match level {
            Some(l) => l,
            None => *level.insert(caller_level(py)?),
        };
        PyErr::warn(py, &cat, &std::ffi::CString::new(note.as_str())?, level)?;
    }
    Ok(())
}

/// The `stacklevel` of a warning that names the user's line: the first frame
/// outward that is not the `ghirbal` package's own (a public function calls
/// the core through one or two helpers, so no fixed level is right). Warnings
/// filters by module and the once-per-place rule then see the caller's code.
fn caller_level(py: Python<'_>) -> PyResult<i32> {
    let getframe = py.import("sys")?.getattr("_getframe")?;
    let mut level = 1;
    // `_getframe(n)` is the frame `n` levels out from the innermost Python
    // frame, which is stack level 1 to a warning raised from here.
    while let Ok(frame) = getframe.call1((level - 1,)) {
        let module = frame.getattr("f_globals")?.get_item("__name__")?;
        let module = module.cast::<PyString>()?.to_cow()?.into_owned();
        if module != "ghirbal" && !module.starts_with("ghirbal.") {
            break;
        }
        level += 1;
    }
    Ok(level)
}

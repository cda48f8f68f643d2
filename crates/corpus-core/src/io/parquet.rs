//! Parquet input and output, streamed one record batch (within one row group)
//! at a time, so memory follows the batch size, not the file size.
//!
//! Input: the text and id columns are named by [`super::InputConfig`]; they
//! may be `string`, `large_string` or dictionary-encoded strings (the id may
//! also be an integer). Each row also becomes a JSON object (every column,
//! nested ones included) for JSONL output and ranking fields; a pass that
//! writes no record asks for the ranking fields only ([`super::Reader::raw_fields`]).
//!
//! Output: kept rows are copied batch by batch with their original schema,
//! every column carried through unchanged, plus one struct column `ghirbal`
//! (`cluster`, `cluster_size`).

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{
    Array, ArrayRef, BooleanArray, RecordBatch, RecordBatchReader, StringArray, StructArray,
    UInt64Array,
};
use arrow_schema::{DataType, Field, Fields, Schema};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::{
    ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder, RowSelection, RowSelector,
};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

use crate::document::Origin;
use crate::{Error, Result};

/// Rows per record batch read.
const BATCH_ROWS: usize = 1024;

/// Rows per row group written (the writer holds one row group in memory).
const KEPT_ROW_GROUP: usize = 64 * BATCH_ROWS;

fn data_err(path: &Path, offset: u64, reason: impl std::fmt::Display) -> Error {
    Error::Data {
        path: path.to_path_buf(),
        offset,
        reason: reason.to_string(),
    }
}

fn open(path: &Path) -> Result<ParquetRecordBatchReader> {
    open_rows(path, None)
}

/// [`open`], reading only the rows `rows` (1-based, ascending) when given.
fn open_rows(path: &Path, rows: Option<&[u64]>) -> Result<ParquetRecordBatchReader> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut selectors = Vec::new();
    let mut next = 1; // the first row not yet selected or skipped
    for &r in rows.unwrap_or_default() {
        if r < next {
            continue; // a repeat
        }
        if r > next {
            selectors.push(RowSelector::skip((r - next) as usize));
        }
        selectors.push(RowSelector::select(1));
        next = r + 1;
    }
    ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| {
            let b = b.with_batch_size(BATCH_ROWS);
            match rows {
                Some(_) => b.with_row_selection(RowSelection::from(selectors)).build(),
                None => b.build(),
            }
        })
        .map_err(|e| data_err(path, 0, format!("not a readable Parquet file: {e}")))
}

/// The values of a column of any string type (or anything castable to one),
/// `None` for a null. String columns are read in place, not cast first.
fn strings(col: &ArrayRef) -> std::result::Result<Vec<Option<String>>, String> {
    if col.data_type().is_floating() {
        // As a float read from a table anywhere else: an integral value as an
        // integer, NaN (pandas' missing value) as missing.
        let floats = arrow_cast::cast(col, &DataType::Float64).map_err(|e| e.to_string())?;
        let floats =
            arrow_array::cast::AsArray::as_primitive::<arrow_array::types::Float64Type>(&floats);
        return Ok(floats
            .iter()
            .map(|f| f.filter(|f| f.is_finite()).map(super::read::float_id_text))
            .collect());
    }
    let texts = match super::arrow::text_column(col) {
        Ok(Some(texts)) => texts,
        Ok(None) => return Ok(vec![None; col.len()]),
        // An id of another type (an integer) is read as its text.
        Err(_) => arrow_cast::cast(col, &DataType::LargeUtf8)
            .map_err(|e| format!("column of type {} is not text: {e}", col.data_type()))?,
    };
    Ok((0..texts.len())
        .map(|i| super::arrow::str_at(&texts, i).map(str::to_owned))
        .collect())
}

/// Whether a column of this type holds texts: strings, or bytes (read as
/// UTF-8), plain or dictionary-encoded.
fn textual(dt: &DataType) -> bool {
    match dt {
        DataType::Utf8
        | DataType::LargeUtf8
        | DataType::Utf8View
        | DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::Null => true,
        DataType::Dictionary(_, v) => textual(v),
        _ => false,
    }
}

/// The error for an input whose schema is not the first input's.
fn schema_differs(path: &Path) -> Error {
    Error::Config(format!(
        "{}: its Parquet schema differs from the first input's; write JSONL instead (--output-format jsonl)",
        path.display()
    ))
}

/// Checks, before any work, that the Parquet `inputs` that can be read share
/// one schema, which Parquet output carries (an unreadable one is left to the
/// job, which rejects it).
///
/// # Errors
/// [`Error::Config`] naming the first input whose schema differs.
pub(crate) fn check_one_schema(inputs: &[PathBuf]) -> Result<()> {
    let mut first: Option<Arc<Schema>> = None;
    for path in inputs {
        let Ok(file) = File::open(path) else {
            continue;
        };
        let Ok(b) = ParquetRecordBatchReaderBuilder::try_new(file) else {
            continue;
        };
        let schema = b.schema().clone();
        match &first {
            Some(f) if f.fields() != schema.fields() => return Err(schema_differs(path)),
            Some(_) => {}
            None => first = Some(schema),
        }
    }
    Ok(())
}

/// One row read from a Parquet file.
pub(crate) struct Row {
    /// 1-based row number in the file (used as the record's "line").
    pub line: u64,
    /// The id, when the column exists and is not null.
    pub id: Option<String>,
    /// The text, or why there is none.
    pub text: std::result::Result<String, String>,
    /// The whole row as one JSON object.
    pub raw: String,
}

/// Streams the rows of one Parquet file.
pub(crate) struct ParquetRows {
    path: PathBuf,
    batches: ParquetRecordBatchReader,
    text_field: String,
    id_field: String,
    /// The columns that make `raw`, when not all of them.
    raw_columns: Option<Vec<usize>>,
    rows: std::vec::IntoIter<Row>,
    next_line: u64,
    /// The row numbers of a selection ([`ParquetRows::open`]'s `only`), in order.
    selected: Option<std::vec::IntoIter<u64>>,
}

impl ParquetRows {
    /// Opens `path`. Each row's `raw` will hold the columns `raw_fields` names,
    /// or all of them. With `only`, just those rows (1-based, ascending) are read.
    ///
    /// # Errors
    /// [`Error::Data`] if it is not Parquet or has no text column.
    pub(crate) fn open(
        path: &Path,
        text_field: &str,
        id_field: &str,
        raw_fields: Option<&[String]>,
        only: Option<&[u64]>,
    ) -> Result<Self> {
        let batches = open_rows(path, only)?;
        let schema = batches.schema();
        if schema.index_of(text_field).is_err() {
            return Err(data_err(path, 0, format!("no column {text_field:?}")));
        }
        let raw_columns = raw_fields.map(|names| {
            (0..schema.fields().len())
                .filter(|&i| names.contains(schema.field(i).name()))
                .collect()
        });
        Ok(ParquetRows {
            path: path.to_path_buf(),
            batches,
            text_field: text_field.to_owned(),
            id_field: id_field.to_owned(),
            raw_columns,
            rows: Vec::new().into_iter(),
            next_line: 1,
            selected: only.map(|rows| {
                let mut rows = rows.to_vec();
                rows.dedup();
                rows.into_iter()
            }),
        })
    }

    fn load(&mut self, batch: &RecordBatch) -> Result<()> {
        let first = self.next_line;
        let bad = |reason: String| data_err(&self.path, 0, format!("row {first}: {reason}"));
        let text_col = batch
            .column_by_name(&self.text_field)
            .ok_or_else(|| bad(format!("no column {:?}", self.text_field)))?;
        // As a JSON Lines record's: the text a string (or UTF-8 bytes), the id
        // a string or a number.
        if !textual(text_col.data_type()) {
            return Err(bad(format!(
                "column {:?} is {}, not text",
                self.text_field,
                text_col.data_type()
            )));
        }
        let texts = strings(text_col).map_err(&bad)?;
        let ids = match batch.column_by_name(&self.id_field) {
            Some(c) if c.data_type().is_nested() => {
                return Err(bad(format!(
                    "column {:?} is {}, not a string or number",
                    self.id_field,
                    c.data_type()
                )));
            }
            Some(c) => Some(strings(c).map_err(&bad)?),
            None => None,
        };
        let for_raw = match &self.raw_columns {
            Some(columns) => batch.project(columns).map_err(|e| bad(e.to_string()))?,
            None => batch.clone(),
        };
        let for_raw = super::arrow::named_zones_as_utc(&for_raw).map_err(&bad)?;
        let mut json = arrow_json::LineDelimitedWriter::new(Vec::new());
        json.write(&for_raw)
            .and_then(|()| json.finish())
            .map_err(|e| bad(format!("cannot convert to JSON: {e}")))?;
        let json = super::read::utf8_string(json.into_inner())
            .map_err(|e| bad(format!("JSON is not UTF-8: {e}")))?;
        let mut raws = json.lines();
        let mut ids = ids.map(Vec::into_iter);
        let mut rows = Vec::with_capacity(batch.num_rows());
        for (i, text) in texts.into_iter().enumerate() {
            let text = text.ok_or_else(|| format!("column {:?} is null", self.text_field));
            let id = ids.as_mut().and_then(|ids| ids.next().flatten());
            let line = match self.selected.as_mut() {
                Some(lines) => lines.next().unwrap_or(0),
                None => first + i as u64,
            };
            rows.push(Row {
                line,
                id,
                text,
                raw: raws.next().unwrap_or("{}").to_owned(),
            });
        }
        self.next_line += batch.num_rows() as u64;
        self.rows = rows.into_iter();
        Ok(())
    }
}

impl Iterator for ParquetRows {
    type Item = Result<Row>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(r) = self.rows.next() {
                return Some(Ok(r));
            }
            let batch = match self.batches.next()? {
                Ok(b) => b,
                Err(e) => {
                    let line = self.next_line;
                    return Some(Err(data_err(
                        &self.path,
                        0,
                        format!("cannot read further at row {line}: {e}"),
                    )));
                }
            };
            if let Err(e) = self.load(&batch) {
                return Some(Err(e));
            }
        }
    }
}

/// The fields of the dedup job's struct column `ghirbal` in `kept.parquet`.
fn dedup_ours() -> Fields {
    Fields::from(vec![
        Field::new("cluster", DataType::Utf8, false),
        Field::new("cluster_size", DataType::UInt64, false),
    ])
}

/// The dedup job's struct column `ghirbal` in `kept.parquet`, whatever the inputs.
#[must_use]
pub fn dedup_ours_field() -> Field {
    Field::new(
        crate::pipeline::OUR_KEY,
        DataType::Struct(dedup_ours()),
        false,
    )
}

/// Converts `src`, a job's kept records as JSON Lines, into the Parquet file
/// `dst`, and returns the rows written. This is how inputs that are not all
/// Parquet give `kept.parquet`: there is no input schema to carry through, so
/// each top-level field becomes a column whose type is inferred over every
/// record (fields in the order first met; integers and floats in one field
/// make floats, other mixed scalars strings, a scalar beside lists a list, a
/// field missing from a record null, an object only ever empty a map of
/// strings). `ours`, when given, replaces the inferred type of its column (the
/// dedup job's `ghirbal` struct, typed as for Parquet inputs). The text column
/// (`text_field`) is written without a dictionary.
///
/// # Errors
/// [`Error::Config`] when a field holds values no one column type can hold
/// (an object in one record, a string in another), naming the field (a nested
/// one as `meta.author`, a list's items as `tags[]`) and two such records;
/// [`Error::Io`] when reading or writing fails.
pub fn jsonl_to_parquet(
    src: &Path,
    dst: &Path,
    text_field: &str,
    id_field: &str,
    ours: Option<Field>,
) -> Result<u64> {
    let open_src = || -> Result<std::io::BufReader<File>> {
        Ok(std::io::BufReader::new(
            File::open(src).map_err(|e| Error::io(src, e))?,
        ))
    };
    let (inferred, _) = match arrow_json::reader::infer_json_schema(open_src()?, None) {
        Ok(schema) => schema,
        // Inference fails on types alone when the file reads.
        Err(arrow_schema::ArrowError::JsonError(_)) => {
            let kinds = FieldKinds::of(open_src()?, src, id_field);
            return Err(kinds.conflict().unwrap_or_else(|| {
                Error::Config(
                    "the kept records cannot make one Parquet table: their fields' types \
                     differ between records. Write JSON Lines instead (--output-format jsonl)"
                        .into(),
                )
            }));
        }
        Err(e) => return Err(data_err(src, 0, e)),
    };
    let wide = wide_integers(open_src, src)?;
    let schema = {
        let mut fields: Vec<Arc<Field>> = inferred
            .fields()
            .iter()
            .map(|f| writable(f, f.name(), &wide))
            .collect();
        if fields.is_empty() {
            // No record kept: the text column alone.
            fields.push(Arc::new(Field::new(text_field, DataType::Utf8, true)));
        }
        if let Some(ours) = &ours {
            fields.retain(|f| f.name() != ours.name());
            fields.push(Arc::new(ours.clone()));
        }
        Arc::new(Schema::new(fields))
    };
    let convert = |from: &Path| -> Result<u64> {
        let open = File::open(from).map_err(|e| Error::io(from, e))?;
        let batches = arrow_json::ReaderBuilder::new(schema.clone())
            .with_batch_size(BATCH_ROWS)
            // A field inferred as strings over mixed scalars takes the others as text.
            .with_coerce_primitive(true)
            .build(std::io::BufReader::new(open))
            .map_err(|e| data_err(src, 0, e))?;
        write_produced(KeptWriter::new(dst, text_field), |send| {
            if !send(Kept::Schema(schema.clone()))? {
                return Ok(());
            }
            for batch in batches {
                if !send(Kept::Batch(batch.map_err(|e| data_err(src, 0, e))?))? {
                    break;
                }
            }
            Ok(())
        })
    };
    match convert(src) {
        // Inference makes a field with lists and scalars a list, which the
        // decoder then refuses a scalar for: those scalars are written as
        // one-item lists in a copy (rare, so found only on failing).
        Err(Error::Data { reason, .. }) => {
            let kinds = FieldKinds::of(open_src()?, src, id_field);
            let lists = kinds.scalars_beside_lists();
            if lists.is_empty() {
                return Err(kinds.conflict().unwrap_or_else(|| {
                    Error::Config(format!(
                        "the kept records cannot make one Parquet table: {reason}. Write \
                         JSON Lines instead (--output-format jsonl)"
                    ))
                }));
            }
            let copy = src.with_extension("lists.jsonl");
            wrap_scalars(open_src()?, src, &copy, &lists)?;
            let written = convert(&copy);
            let _ = std::fs::remove_file(&copy);
            written
        }
        done => done,
    }
}

/// Copies the JSON Lines `lines` (of `src`) to `dst` with each scalar at one
/// of the field paths `lists` (see [`FieldKinds`]) made a one-item list.
fn wrap_scalars(
    lines: impl std::io::BufRead,
    src: &Path,
    dst: &Path,
    lists: &[String],
) -> Result<()> {
    use serde_json::Value;
    use std::io::Write;
    fn wrap(path: &str, v: &mut Value, lists: &[String]) {
        match v {
            Value::Null => {}
            Value::Object(fields) => {
                for (name, value) in fields.iter_mut() {
                    let inner = match path {
                        "" => name.clone(),
                        _ => format!("{path}.{name}"),
                    };
                    wrap(&inner, value, lists);
                }
            }
            Value::Array(items) => {
                let inner = format!("{path}[]");
                for item in items {
                    wrap(&inner, item, lists);
                }
            }
            scalar if lists.iter().any(|l| l == path) => {
                *scalar = Value::Array(vec![scalar.take()]);
            }
            _ => {}
        }
    }
    let mut out = std::io::BufWriter::new(File::create(dst).map_err(|e| Error::io(dst, e))?);
    for line in lines.lines() {
        let line = line.map_err(|e| Error::io(src, e))?;
        let mut record: Value = serde_json::from_str(&line).map_err(|e| data_err(src, 0, e))?;
        wrap("", &mut record, lists);
        serde_json::to_writer(&mut out, &record).map_err(|e| Error::io(dst, e.into()))?;
        out.write_all(b"\n").map_err(|e| Error::io(dst, e))?;
    }
    out.flush().map_err(|e| Error::io(dst, e))
}

/// Calls `f` with every value of a JSON record's field `name`, nested ones
/// included, and its path: `meta.author` for an object's field, `tags[]` for a
/// list's items (the paths the conversion's messages and types go by).
fn for_each_path(name: &str, v: &serde_json::Value, f: &mut impl FnMut(&str, &serde_json::Value)) {
    use serde_json::Value;
    f(name, v);
    match v {
        Value::Object(fields) => {
            for (inner, value) in fields {
                for_each_path(&format!("{name}.{inner}"), value, f);
            }
        }
        Value::Array(items) => {
            let inner = format!("{name}[]");
            for item in items {
                for_each_path(&inner, item, f);
            }
        }
        _ => {}
    }
}

/// Calls `f` with the fields of each JSON object among `lines` (of `src`) that
/// `wanted` picks by its bytes; other lines are not parsed.
fn for_each_record(
    mut lines: impl std::io::BufRead,
    src: &Path,
    wanted: impl Fn(&[u8]) -> bool,
    mut f: impl FnMut(&serde_json::Map<String, serde_json::Value>),
) -> Result<()> {
    let mut line = Vec::new();
    loop {
        line.clear();
        if lines
            .read_until(b'\n', &mut line)
            .map_err(|e| Error::io(src, e))?
            == 0
        {
            return Ok(());
        }
        if wanted(&line)
            && let Ok(serde_json::Value::Object(fields)) = serde_json::from_slice(&line)
        {
            f(&fields);
        }
    }
}

/// The fields (paths as [`for_each_path`] names them) holding a JSON integer
/// that no Int64 holds, each with whether all its numbers fit a UInt64.
/// Inference makes such a field Float64, which would round them (a 64-bit hash
/// or id loses its last digits): [`writable`] types it UInt64, or text, which
/// keeps every digit. To find them, only lines with a run of 19 digits (every
/// integer beyond Int64 has one) are parsed, and one byte in 19 is looked at in
/// the others; only when some are found is every line parsed (`open` again),
/// for whether all their numbers fit.
fn wide_integers<R: std::io::BufRead>(
    open: impl Fn() -> Result<R>,
    src: &Path,
) -> Result<HashMap<String, bool>> {
    use serde_json::Value;
    /// Whether `b` has a run of 19 ASCII digits: such a run covers a position
    /// 19·k + 18, so only those are looked at until one is a digit.
    fn has_long_digit_run(b: &[u8]) -> bool {
        const RUN: usize = 19;
        let mut p = RUN - 1;
        while p < b.len() {
            if b[p].is_ascii_digit() {
                let start = b[..p]
                    .iter()
                    .rposition(|c| !c.is_ascii_digit())
                    .map_or(0, |i| i + 1);
                let end = b[p..]
                    .iter()
                    .position(|c| !c.is_ascii_digit())
                    .map_or(b.len(), |i| p + i);
                if end - start >= RUN {
                    return true;
                }
                p = end + RUN;
            } else {
                p += RUN;
            }
        }
        false
    }
    let mut wide: HashMap<String, bool> = HashMap::new();
    for_each_record(open()?, src, has_long_digit_run, |fields| {
        for (name, value) in fields {
            for_each_path(name, value, &mut |path, v| {
                // A float this large is most likely an integer literal beyond
                // UInt64 (and if not, its text is kept exactly anyway).
                if let Value::Number(n) = v
                    && !n.is_i64()
                    && (n.is_u64() || n.as_f64().is_some_and(|f| f.abs() >= 9.2e18))
                {
                    wide.insert(path.to_owned(), true);
                }
            });
        }
    })?;
    if !wide.is_empty() {
        for_each_record(
            open()?,
            src,
            |_| true,
            |fields| {
                for (name, value) in fields {
                    for_each_path(name, value, &mut |path, v| {
                        if let (Value::Number(n), Some(fits)) = (v, wide.get_mut(path)) {
                            *fits &= n.is_u64();
                        }
                    });
                }
            },
        )?;
    }
    Ok(wide)
}

/// `field` (at `path`) with a type Parquet can write, and that loses nothing:
/// a field that held only empty objects (`{}`, inferred as a struct without
/// fields, which Parquet has no form for) becomes a map of strings, so its
/// objects stay objects (empty ones); a number field holding integers beyond
/// Int64 (`wide`, see [`wide_integers`]) becomes UInt64 when all its numbers
/// fit one, else text.
fn writable(field: &Arc<Field>, path: &str, wide: &HashMap<String, bool>) -> Arc<Field> {
    let of = |dt: &DataType| -> DataType {
        match dt {
            DataType::Int64 | DataType::Float64 if wide.contains_key(path) => {
                if wide[path] {
                    DataType::UInt64
                } else {
                    DataType::Utf8
                }
            }
            DataType::Struct(fields) if fields.is_empty() => {
                let entries = Fields::from(vec![
                    Field::new("keys", DataType::Utf8, false),
                    Field::new("values", DataType::Utf8, true),
                ]);
                DataType::Map(
                    Arc::new(Field::new("entries", DataType::Struct(entries), false)),
                    false,
                )
            }
            DataType::Struct(fields) => DataType::Struct(
                fields
                    .iter()
                    .map(|f| writable(f, &format!("{path}.{}", f.name()), wide))
                    .collect::<Fields>(),
            ),
            DataType::List(item) => DataType::List(writable(item, &format!("{path}[]"), wide)),
            other => other.clone(),
        }
    };
    Arc::new(field.as_ref().clone().with_data_type(of(field.data_type())))
}

/// Per field path of the kept records (nested ones as `meta.author`, a list's
/// items as `tags[]`), in the order first met: each kind of value it holds,
/// with the id of the first record holding it.
#[derive(Default)]
struct FieldKinds {
    paths: Vec<(String, Vec<(&'static str, String)>)>,
    at: HashMap<String, usize>,
}

impl FieldKinds {
    /// The kinds of every field of the JSON Lines `lines` (of `src`).
    fn of(lines: impl std::io::BufRead, src: &Path, id_field: &str) -> Self {
        use serde_json::Value;
        let mut kinds = FieldKinds::default();
        // A read error leaves the kinds found so far: the caller reports a
        // conflict among them, or the error it met first.
        let _ = for_each_record(
            lines,
            src,
            |_| true,
            |fields| {
                let id = fields
                    .get(id_field)
                    .map(ToString::to_string)
                    .unwrap_or_default();
                for (name, value) in fields {
                    for_each_path(name, value, &mut |path, v| {
                        let kind = match v {
                            Value::Null => return,
                            Value::Bool(_) => "a boolean",
                            Value::Number(_) => "a number",
                            Value::String(_) => "a string",
                            Value::Array(_) => "a list",
                            Value::Object(_) => "an object",
                        };
                        kinds.add(path, kind, &id);
                    });
                }
            },
        );
        // A scalar beside lists is read as a one-item list: it counts among the
        // items' kinds.
        let beside: Vec<(String, &'static str, String)> = kinds
            .paths
            .iter()
            .filter(|(_, seen)| seen.iter().any(|(k, _)| *k == "a list"))
            .flat_map(|(path, seen)| {
                seen.iter()
                    .filter(|(k, _)| !matches!(*k, "a list" | "an object"))
                    .map(move |(k, id)| (format!("{path}[]"), *k, id.clone()))
            })
            .collect();
        for (path, kind, id) in beside {
            kinds.add(&path, kind, &id);
        }
        kinds
    }

    fn add(&mut self, path: &str, kind: &'static str, id: &str) {
        let i = match self.at.get(path) {
            Some(&i) => i,
            None => {
                self.paths.push((path.to_owned(), Vec::new()));
                self.at.insert(path.to_owned(), self.paths.len() - 1);
                self.paths.len() - 1
            }
        };
        let seen = &mut self.paths[i].1;
        if !seen.iter().any(|(k, _)| *k == kind) {
            seen.push((kind, id.to_owned()));
        }
    }

    /// The fields holding both lists and scalars.
    fn scalars_beside_lists(&self) -> Vec<String> {
        self.paths
            .iter()
            .filter(|(_, seen)| {
                seen.iter().any(|(k, _)| *k == "a list")
                    && seen
                        .iter()
                        .any(|(k, _)| !matches!(*k, "a list" | "an object"))
            })
            .map(|(path, _)| path.clone())
            .collect()
    }

    /// The error for kept records whose types no one schema holds: the first
    /// field whose values cannot share a column, with the ids of the first
    /// record of each of two kinds it holds. Scalars share a column (as strings
    /// at worst), and lists take scalars as one-item lists: an object is what
    /// cannot share one with anything else.
    fn conflict(&self) -> Option<Error> {
        let (path, (k1, id1), (k2, id2)) = self.paths.iter().find_map(|(path, seen)| {
            let object = seen.iter().find(|(k, _)| *k == "an object")?;
            let other = seen.iter().find(|(k, _)| *k != "an object")?;
            Some((path, object, other))
        })?;
        Some(Error::Config(format!(
            "the kept records cannot make one Parquet table: field {path:?} is {k1} in record \
             {id1} and {k2} in record {id2}; a Parquet column holds one type. Write JSON Lines \
             instead (--output-format jsonl)"
        )))
    }
}

/// Cluster id and cluster size of each kept record, keyed by file and row.
pub type KeptRows = HashMap<(PathBuf, u64), (String, u64)>;

/// What the reading side of [`write_kept_parquet`] hands to the writing side.
enum Kept {
    /// The output schema (sent once, before any batch).
    Schema(Arc<Schema>),
    /// The kept rows of one input batch, in the output schema.
    Batch(RecordBatch),
}

/// Writes the kept rows of the Parquet `inputs`, in order, to `out`: every
/// input column unchanged plus the struct column `ghirbal`. All inputs must
/// share one schema. The text column (`text_field`) is written without a
/// dictionary: its values are nearly all distinct, so trying one only costs
/// time (zstd compresses it as well). Returns the rows written.
///
/// On a thread pool of more than one thread, reading (decompressing, decoding,
/// filtering) and writing (encoding, compressing), which take about as long
/// each, run on two threads a few batches apart.
///
/// # Errors
/// [`Error::Config`] when the inputs' schemas differ; [`Error::Data`] or
/// [`Error::Io`] when reading or writing fails.
pub fn write_kept_parquet(
    inputs: &[PathBuf],
    kept: &KeptRows,
    text_field: &str,
    out: &Path,
) -> Result<u64> {
    write_produced(KeptWriter::new(out, text_field), |send| {
        read_kept(inputs, kept, text_field, send)
    })
}

/// Runs `produce` (reading, decoding, filtering), which hands each [`Kept`]
/// to the function it is given (false: the writer has stopped), and writes
/// them with `w` (encoding, compressing). The two take about as long each: on
/// a pool of more than one thread they run on two threads, a few batches
/// apart. Returns the rows written.
fn write_produced(
    mut w: KeptWriter,
    produce: impl FnOnce(&mut dyn FnMut(Kept) -> Result<bool>) -> Result<()> + Send,
) -> Result<u64> {
    if rayon::current_num_threads() < 2 {
        produce(&mut |k| w.take(k).map(|()| true))?;
        return w.finish();
    }
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Kept>>(4);
        s.spawn(move || {
            if let Err(e) = produce(&mut |k| Ok(tx.send(Ok(k)).is_ok())) {
                // The writer may have stopped already; then the error is moot.
                let _ = tx.send(Err(e));
            }
        });
        for k in rx {
            w.take(k?)?;
        }
        w.finish()
    })
}

/// The writing side of [`write_kept_parquet`], [`jsonl_to_parquet`] and
/// [`CleanedParquet`].
struct KeptWriter {
    out: PathBuf,
    text_field: String,
    writer: Option<ArrowWriter<File>>,
    written: u64,
}

impl KeptWriter {
    fn new(out: &Path, text_field: &str) -> Self {
        KeptWriter {
            out: out.to_path_buf(),
            text_field: text_field.to_owned(),
            writer: None,
            written: 0,
        }
    }

    fn take(&mut self, k: Kept) -> Result<()> {
        let out = self.out.as_path();
        let io = |e: parquet::errors::ParquetError| Error::io(out, std::io::Error::other(e));
        match k {
            Kept::Schema(schema) => {
                let file = File::create(out).map_err(|e| Error::io(out, e))?;
                let props = WriterProperties::builder()
                    .set_compression(Compression::ZSTD(ZstdLevel::default()))
                    // A row group is held in memory until it is complete: bound it.
                    .set_max_row_group_size(KEPT_ROW_GROUP)
                    .set_column_dictionary_enabled(
                        ColumnPath::from(self.text_field.as_str()),
                        false,
                    )
                    .build();
                self.writer = Some(ArrowWriter::try_new(file, schema, Some(props)).map_err(io)?);
            }
            Kept::Batch(batch) => {
                let Some(w) = self.writer.as_mut() else {
                    return Err(Error::Invariant("kept rows before their schema".into()));
                };
                self.written += batch.num_rows() as u64;
                w.write(&batch).map_err(io)?;
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<u64> {
        if let Some(w) = self.writer {
            w.close()
                .map_err(|e| Error::io(&self.out, std::io::Error::other(e)))?;
        }
        Ok(self.written)
    }
}

/// The clean job's `kept.parquet`: the rows of the Parquet inputs that cleaning
/// kept, in input order, every column as read except the text column, which
/// holds the cleaned text (a dictionary-encoded text column is written as plain
/// strings). Kept rows are handed over in input order ([`CleanedParquet::keep`]);
/// the rows between them (emptied or rejected) are left out. The inputs are read
/// again one batch at a time beside the job's own reading, so memory follows the
/// batch size, not the file. On a thread pool of more than one thread, that
/// reading and the writing (encoding, compressing) run on a thread of their own,
/// so the job's serial loop only hands the rows over.
pub struct CleanedParquet {
    /// Kept rows not yet handed to the writing side.
    pending: Vec<(Origin, String)>,
    side: Side,
}

/// Where [`CleanedParquet`]'s rows go.
enum Side {
    /// Written on the calling thread.
    Here(Box<CleanedRows>),
    /// Sent to a thread of their own, a block at a time; `None` ends the
    /// file. Without it (the job failed and dropped this), the thread stops
    /// without writing further.
    Thread {
        tx: std::sync::mpsc::SyncSender<Option<Vec<(Origin, String)>>>,
        done: std::thread::JoinHandle<Result<u64>>,
    },
    /// The writing thread stopped on an error, already reported.
    Stopped,
}

/// Rows handed over at once to the writing thread.
const KEPT_BLOCK: usize = 1024;

impl CleanedParquet {
    /// Prepares `out` for the kept rows of `inputs`, whose text column is
    /// `text_field`. Nothing is opened until a row is kept.
    #[must_use]
    pub fn new(inputs: &[PathBuf], text_field: &str, out: &Path) -> Self {
        let rows = CleanedRows {
            inputs: inputs.to_vec(),
            writer: KeptWriter::new(out, text_field),
            schemas: None,
            file: None,
            batch: None,
            mask: Vec::new(),
            texts: Vec::new(),
        };
        let side = if rayon::current_num_threads() < 2 {
            Side::Here(Box::new(rows))
        } else {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Option<Vec<(Origin, String)>>>(4);
            let done = std::thread::spawn(move || {
                let mut rows = rows;
                for block in rx {
                    let Some(block) = block else {
                        return rows.finish();
                    };
                    for (origin, text) in block {
                        rows.keep(&origin.path, origin.line, text)?;
                    }
                }
                Ok(0)
            });
            Side::Thread { tx, done }
        };
        CleanedParquet {
            pending: Vec::new(),
            side,
        }
    }

    /// Keeps the row at `origin` (its file and 1-based row), with `text` as
    /// its text. Calls come in input order.
    ///
    /// # Errors
    /// As [`CleanedParquet::finish`]; with a thread of its own, an error shows
    /// at the latest there.
    pub fn keep(&mut self, origin: &Origin, text: String) -> Result<()> {
        match &mut self.side {
            Side::Here(rows) => rows.keep(&origin.path, origin.line, text),
            Side::Thread { tx, .. } => {
                self.pending.push((origin.clone(), text));
                if self.pending.len() >= KEPT_BLOCK {
                    let block = std::mem::take(&mut self.pending);
                    if tx.send(Some(block)).is_err() {
                        return self.stopped();
                    }
                }
                Ok(())
            }
            Side::Stopped => Err(stopped()),
        }
    }

    /// The error the writing thread stopped on.
    fn stopped(&mut self) -> Result<()> {
        match std::mem::replace(&mut self.side, Side::Stopped) {
            Side::Thread { tx, done } => {
                drop(tx);
                join(done).and(Err(stopped()))
            }
            _ => Err(stopped()),
        }
    }

    /// Writes what is left and closes the file; returns the rows written. With
    /// no row kept, the file holds no row, in the first readable input's
    /// schema (or a lone text column when none is readable).
    ///
    /// # Errors
    /// [`Error::Config`] when an input's schema differs from the first one's;
    /// [`Error::Data`] or [`Error::Io`] when reading or writing fails;
    /// [`Error::Invariant`] for a row that was not ahead of the last one kept.
    pub fn finish(self) -> Result<u64> {
        match self.side {
            Side::Here(rows) => rows.finish(),
            Side::Thread { tx, done } => {
                // A failed send means the thread has stopped: `join` says why.
                let _ = tx.send(Some(self.pending)).and_then(|()| tx.send(None));
                drop(tx);
                join(done)
            }
            Side::Stopped => Err(stopped()),
        }
    }
}

fn stopped() -> Error {
    Error::Invariant("the kept.parquet writer has stopped".into())
}

/// The result of a writing thread, its panic passed on.
fn join(done: std::thread::JoinHandle<Result<u64>>) -> Result<u64> {
    done.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
}

/// The reading and writing side of [`CleanedParquet`].
struct CleanedRows {
    inputs: Vec<PathBuf>,
    writer: KeptWriter,
    /// The first input's schema and the output schema.
    schemas: Option<(Arc<Schema>, Arc<Schema>)>,
    /// The input being read (index into `inputs`) and its remaining batches.
    file: Option<(usize, ParquetRecordBatchReader)>,
    /// The batch being filled and the 1-based row of its first row.
    batch: Option<(RecordBatch, u64)>,
    /// Which rows of `batch` are kept, and their cleaned texts in order.
    mask: Vec<bool>,
    texts: Vec<String>,
}

impl CleanedRows {
    /// [`CleanedParquet::keep`] for row `row` (1-based) of the input `path`.
    fn keep(&mut self, path: &Path, row: u64, text: String) -> Result<()> {
        let behind = || {
            Error::Invariant(format!(
                "{}:{row}: a kept row out of input order",
                path.display()
            ))
        };
        // Move on to the row's file, leaving out what is left of the current one.
        let at = self.file.as_ref().map(|(i, _)| *i);
        if at.is_none_or(|i| self.inputs[i] != path) {
            self.flush()?;
            let from = at.map_or(0, |i| i + 1);
            let i = from
                + self.inputs[from..]
                    .iter()
                    .position(|p| p == path)
                    .ok_or_else(behind)?;
            self.open(i)?;
        }
        // Move on to the row's batch.
        loop {
            if let Some((b, first)) = &self.batch {
                if row < *first {
                    return Err(behind());
                }
                if row < *first + b.num_rows() as u64 {
                    break;
                }
            }
            self.flush()?;
            let Some((i, batches)) = self.file.as_mut() else {
                return Err(behind());
            };
            let first = self
                .batch
                .take()
                .map_or(1, |(b, f)| f + b.num_rows() as u64);
            let path = &self.inputs[*i];
            let b = batches.next().ok_or_else(behind)?;
            let b = b.map_err(|e| data_err(path, 0, e))?;
            self.mask = vec![false; b.num_rows()];
            self.batch = Some((b, first));
        }
        let first = self.batch.as_ref().map_or(1, |(_, f)| *f);
        let slot = &mut self.mask[(row - first) as usize];
        if *slot {
            return Err(behind());
        }
        *slot = true;
        self.texts.push(text);
        Ok(())
    }

    /// Opens input `i`, checking its schema against the first input's.
    fn open(&mut self, i: usize) -> Result<()> {
        let path = &self.inputs[i];
        let batches = open(path)?;
        let schema = batches.schema();
        match &self.schemas {
            Some((first, _)) if first.fields() != schema.fields() => {
                return Err(schema_differs(path));
            }
            Some(_) => {}
            None => {
                let text = self.writer.text_field.as_str();
                let fields: Vec<_> = schema
                    .fields()
                    .iter()
                    .map(|f| match f.data_type() {
                        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => f.clone(),
                        _ if f.name() == text => {
                            Arc::new(f.as_ref().clone().with_data_type(DataType::Utf8))
                        }
                        _ => f.clone(),
                    })
                    .collect();
                let out = Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()));
                self.writer.take(Kept::Schema(out.clone()))?;
                self.schemas = Some((schema, out));
            }
        }
        self.file = Some((i, batches));
        self.batch = None;
        Ok(())
    }

    /// Writes the kept rows of the current batch, with their cleaned texts.
    fn flush(&mut self) -> Result<()> {
        let (Some((batch, _)), Some((i, _)), Some((_, out_schema))) =
            (&self.batch, &self.file, &self.schemas)
        else {
            return Ok(());
        };
        if self.texts.is_empty() {
            return Ok(());
        }
        let path = &self.inputs[*i];
        let err = |e: arrow_schema::ArrowError| data_err(path, 0, e);
        let mask = BooleanArray::from(std::mem::take(&mut self.mask));
        let texts = std::mem::take(&mut self.texts);
        let kept = arrow_select::filter::filter_record_batch(batch, &mask).map_err(err)?;
        let text = self.writer.text_field.as_str();
        let cols = out_schema
            .fields()
            .iter()
            .zip(kept.columns())
            .map(|(f, col)| {
                if f.name() != text {
                    return Ok(col.clone());
                }
                let texts = texts.iter().map(String::as_str);
                Ok(match f.data_type() {
                    DataType::LargeUtf8 => {
                        Arc::new(arrow_array::LargeStringArray::from_iter_values(texts)) as ArrayRef
                    }
                    DataType::Utf8View => {
                        Arc::new(arrow_array::StringViewArray::from_iter_values(texts))
                    }
                    DataType::Utf8 => Arc::new(StringArray::from_iter_values(texts)),
                    other => {
                        return Err(Error::Invariant(format!(
                            "text column of type {other} in the output schema"
                        )));
                    }
                })
            })
            .collect::<Result<Vec<ArrayRef>>>()?;
        let out = RecordBatch::try_new(out_schema.clone(), cols).map_err(err)?;
        self.writer.take(Kept::Batch(out))
    }

    /// [`CleanedParquet::finish`].
    fn finish(mut self) -> Result<u64> {
        self.flush()?;
        if self.schemas.is_none() {
            let first = (0..self.inputs.len()).find(|&i| open(&self.inputs[i]).is_ok());
            match first {
                Some(i) => self.open(i)?,
                None => {
                    let text = self.writer.text_field.clone();
                    let schema =
                        Arc::new(Schema::new(vec![Field::new(text, DataType::Utf8, false)]));
                    self.writer.take(Kept::Schema(schema))?;
                }
            }
        }
        self.writer.finish()
    }
}

/// The reading side of [`write_kept_parquet`]: gives `send` the output schema,
/// then the kept rows of each input batch. Stops early, with `Ok`, when `send`
/// says the writing side has stopped listening (`Ok(false)`).
fn read_kept(
    inputs: &[PathBuf],
    kept: &KeptRows,
    text_field: &str,
    send: &mut dyn FnMut(Kept) -> Result<bool>,
) -> Result<()> {
    let ours = dedup_ours();
    // Each file is read up to its last kept row only: a file rejected whole in
    // pass 1 (not Parquet, a corrupt footer), or whose unreadable rest was, under
    // `on_error = "skip"`, is not read into its error again.
    let mut last: HashMap<&Path, u64> = HashMap::new();
    for (path, line) in kept.keys() {
        let l = last.entry(path.as_path()).or_default();
        *l = (*l).max(*line);
    }
    let mut schemas: Option<(Arc<Schema>, Arc<Schema>)> = None;
    for path in inputs {
        let mut line = 1u64;
        let wanted = last.get(path.as_path()).copied();
        // A file without kept rows gives the schema at most.
        let batches = match open(path) {
            Ok(_) if wanted.is_none() && schemas.is_some() => continue,
            Ok(b) => b,
            Err(_) if wanted.is_none() => continue,
            Err(e) => return Err(e),
        };
        let in_schema = batches.schema();
        let (first_schema, out_schema) = match &schemas {
            Some(s) => s.clone(),
            None => {
                let mut fields: Vec<_> = in_schema
                    .fields()
                    .iter()
                    .filter(|f| f.name() != crate::pipeline::OUR_KEY)
                    .cloned()
                    .collect();
                fields.push(Arc::new(dedup_ours_field()));
                let out_schema = Arc::new(Schema::new_with_metadata(
                    fields,
                    in_schema.metadata().clone(),
                ));
                if !send(Kept::Schema(out_schema.clone()))? {
                    return Ok(());
                }
                schemas = Some((in_schema.clone(), out_schema.clone()));
                (in_schema.clone(), out_schema)
            }
        };
        if in_schema.fields() != first_schema.fields() {
            return Err(schema_differs(path));
        }
        let Some(wanted) = wanted else { continue };
        for batch in batches {
            if line > wanted {
                break;
            }
            let batch = batch.map_err(|e| data_err(path, 0, e))?;
            let n = batch.num_rows();
            let mut mask = Vec::with_capacity(n);
            let mut clusters = Vec::new();
            let mut sizes = Vec::new();
            for i in 0..n as u64 {
                let k = kept.get(&(path.clone(), line + i));
                mask.push(k.is_some());
                if let Some((c, s)) = k {
                    clusters.push(c.as_str());
                    sizes.push(*s);
                }
            }
            line += n as u64;
            let filtered =
                arrow_select::filter::filter_record_batch(&batch, &BooleanArray::from(mask))
                    .map_err(|e| data_err(path, 0, e))?;
            let ours_col: ArrayRef = Arc::new(StructArray::new(
                ours.clone(),
                vec![
                    Arc::new(StringArray::from(clusters)) as ArrayRef,
                    Arc::new(UInt64Array::from(sizes)) as ArrayRef,
                ],
                None,
            ));
            let mut cols: Vec<ArrayRef> = filtered
                .schema()
                .fields()
                .iter()
                .zip(filtered.columns())
                .filter(|(f, _)| f.name() != crate::pipeline::OUR_KEY)
                .map(|(_, c)| c.clone())
                .collect();
            cols.push(ours_col);
            let out_batch =
                RecordBatch::try_new(out_schema.clone(), cols).map_err(|e| data_err(path, 0, e))?;
            if !send(Kept::Batch(out_batch))? {
                return Ok(());
            }
        }
    }
    if schemas.is_none() {
        // No input could be read: an empty table of the text column.
        let fields = vec![
            Field::new(text_field, DataType::Utf8, true),
            dedup_ours_field(),
        ];
        send(Kept::Schema(Arc::new(Schema::new(fields))))?;
    }
    Ok(())
}

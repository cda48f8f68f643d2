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

use arrow_array::cast::AsArray;
use arrow_array::{
    Array, ArrayRef, BooleanArray, RecordBatch, RecordBatchReader, StringArray, StructArray,
    UInt64Array,
};
use arrow_schema::{DataType, Field, Fields, Schema};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

use crate::{Error, Result};

/// Rows per record batch read.
const BATCH_ROWS: usize = 1024;

fn data_err(path: &Path, offset: u64, reason: impl std::fmt::Display) -> Error {
    Error::Data {
        path: path.to_path_buf(),
        offset,
        reason: reason.to_string(),
    }
}

fn open(path: &Path) -> Result<ParquetRecordBatchReader> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.with_batch_size(BATCH_ROWS).build())
        .map_err(|e| data_err(path, 0, format!("not a readable Parquet file: {e}")))
}

/// The values of a column of any string type (or anything castable to one),
/// `None` for a null. String columns are read in place, not cast first.
fn strings(col: &ArrayRef) -> std::result::Result<Vec<Option<String>>, String> {
    fn owned<'a>(values: impl Iterator<Item = Option<&'a str>>) -> Vec<Option<String>> {
        values.map(|v| v.map(str::to_owned)).collect()
    }
    Ok(match col.data_type() {
        DataType::Utf8 => owned(col.as_string::<i32>().iter()),
        DataType::LargeUtf8 => owned(col.as_string::<i64>().iter()),
        DataType::Utf8View => owned(col.as_string_view().iter()),
        other => {
            let cast = arrow_cast::cast(col, &DataType::LargeUtf8)
                .map_err(|e| format!("column of type {other} is not text: {e}"))?;
            owned(cast.as_string::<i64>().iter())
        }
    })
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
}

impl ParquetRows {
    /// Opens `path`. Each row's `raw` will hold the columns `raw_fields` names,
    /// or all of them.
    ///
    /// # Errors
    /// [`Error::Data`] if it is not Parquet or has no text column.
    pub(crate) fn open(
        path: &Path,
        text_field: &str,
        id_field: &str,
        raw_fields: Option<&[String]>,
    ) -> Result<Self> {
        let batches = open(path)?;
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
        })
    }

    fn load(&mut self, batch: &RecordBatch) -> Result<()> {
        let first = self.next_line;
        let bad = |reason: String| data_err(&self.path, 0, format!("row {first}: {reason}"));
        let text_col = batch
            .column_by_name(&self.text_field)
            .ok_or_else(|| bad(format!("no column {:?}", self.text_field)))?;
        let texts = strings(text_col).map_err(&bad)?;
        let ids = match batch.column_by_name(&self.id_field) {
            Some(c) => Some(strings(c).map_err(&bad)?),
            None => None,
        };
        let for_raw = match &self.raw_columns {
            Some(columns) => batch.project(columns).map_err(|e| bad(e.to_string()))?,
            None => batch.clone(),
        };
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
            rows.push(Row {
                line: first + i as u64,
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
    let mut w = KeptWriter {
        out,
        text_field,
        writer: None,
        written: 0,
    };
    if rayon::current_num_threads() < 2 {
        read_kept(inputs, kept, &mut |k| w.take(k).map(|()| true))?;
        return w.finish();
    }
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Kept>>(4);
        s.spawn(move || {
            let sent = read_kept(inputs, kept, &mut |k| Ok(tx.send(Ok(k)).is_ok()));
            if let Err(e) = sent {
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

/// The writing side of [`write_kept_parquet`].
struct KeptWriter<'a> {
    out: &'a Path,
    text_field: &'a str,
    writer: Option<ArrowWriter<File>>,
    written: u64,
}

impl KeptWriter<'_> {
    fn take(&mut self, k: Kept) -> Result<()> {
        let out = self.out;
        let io = |e: parquet::errors::ParquetError| Error::io(out, std::io::Error::other(e));
        match k {
            Kept::Schema(schema) => {
                let file = File::create(out).map_err(|e| Error::io(out, e))?;
                let props = WriterProperties::builder()
                    .set_compression(Compression::ZSTD(ZstdLevel::default()))
                    .set_column_dictionary_enabled(ColumnPath::from(self.text_field), false)
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
                .map_err(|e| Error::io(self.out, std::io::Error::other(e)))?;
        }
        Ok(self.written)
    }
}

/// The reading side of [`write_kept_parquet`]: gives `send` the output schema,
/// then the kept rows of each input batch. Stops early, with `Ok`, when `send`
/// says the writing side has stopped listening (`Ok(false)`).
fn read_kept(
    inputs: &[PathBuf],
    kept: &KeptRows,
    send: &mut dyn FnMut(Kept) -> Result<bool>,
) -> Result<()> {
    let ours = Fields::from(vec![
        Field::new("cluster", DataType::Utf8, false),
        Field::new("cluster_size", DataType::UInt64, false),
    ]);
    let mut schemas: Option<(Arc<Schema>, Arc<Schema>)> = None;
    for path in inputs {
        let mut line = 1u64;
        let batches = open(path)?;
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
                fields.push(Arc::new(Field::new(
                    crate::pipeline::OUR_KEY,
                    DataType::Struct(ours.clone()),
                    false,
                )));
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
            return Err(Error::Config(format!(
                "{}: its Parquet schema differs from the first input's; write JSONL instead (--output-format jsonl)",
                path.display()
            )));
        }
        for batch in batches {
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
    Ok(())
}

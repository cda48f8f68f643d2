//! Records handed over as Arrow record batches (a pyarrow table, a pandas or
//! polars frame, a Spark batch): each row is read as the record of its
//! columns, through [`super::InputConfig::record_from_fields`], so a row is
//! accepted or rejected exactly like the JSON object of the same values. A
//! column of texts gives its strings ([`ArrowRecords::texts`]).
//!
//! Only the columns a job reads are taken ([`crate::Config::record_fields`]);
//! their buffers are read in place, and each text is copied once, into its
//! document.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type, UInt64Type};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::DataType;
use serde_json::{Map, Number, Value};

use crate::{Error, Result};

/// One column, in the few physical types rows are read from.
enum Column {
    /// Strings of any width, or views ([`str_at`] reads them).
    Text(ArrayRef),
    Int(ArrayRef),
    UInt(ArrayRef),
    Float(ArrayRef),
    Bool(ArrayRef),
    Null,
}

/// The rows of one record batch, as records of the columns a job reads.
pub struct ArrowRecords {
    columns: Vec<(String, Column)>,
    rows: usize,
}

impl ArrowRecords {
    /// Takes the columns `fields` of `batch` (a field without a column is
    /// absent from every record, as a key missing from a JSON object).
    ///
    /// Strings stay as they are; other integer, float and text types are cast
    /// to 64-bit integers, doubles or strings; dates, times, timestamps and
    /// decimals become their ISO text (which sorts in time order, as the survivor
    /// policy compares it).
    ///
    /// # Errors
    /// [`Error::Config`] for a column of a type no record field can hold
    /// (lists, structs, binary data).
    pub fn new(batch: &RecordBatch, fields: &[&str]) -> Result<Self> {
        let mut columns = Vec::new();
        for &name in fields {
            let Some(col) = batch.column_by_name(name) else {
                continue;
            };
            if columns.iter().any(|(n, _)| n == name) {
                continue;
            }
            columns.push((name.to_owned(), column(name, col)?));
        }
        Ok(ArrowRecords {
            columns,
            rows: batch.num_rows(),
        })
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether there is no row.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The values of a column of texts (of any string type): `None` for a null.
    ///
    /// # Errors
    /// [`Error::Config`] for a column of another type.
    pub fn texts(col: &ArrayRef) -> Result<Vec<Option<String>>> {
        if !is_text(col.data_type()) {
            return Err(Error::Config(format!(
                "a column of {} holds no texts (strings) and no records (structs)",
                col.data_type()
            )));
        }
        let Some(c) = text_column(col)? else {
            return Ok(vec![None; col.len()]);
        };
        Ok((0..c.len())
            .map(|i| str_at(&c, i).map(str::to_owned))
            .collect())
    }

    /// The fields of row `row`: a null is JSON `null`.
    ///
    /// # Errors
    /// Why the row is not a record: a float that is not finite (JSON has no
    /// NaN or infinity).
    pub fn fields(&self, row: usize) -> std::result::Result<Map<String, Value>, String> {
        let mut map = Map::with_capacity(self.columns.len());
        for (name, col) in &self.columns {
            map.insert(
                name.clone(),
                value(col, row).map_err(|e| format!("field {name:?} {e}"))?,
            );
        }
        Ok(map)
    }
}

/// A column of texts (its chunks in order: strings of any width or views, or a
/// dictionary of them) normalized by `normalizer` into one array of strings,
/// nulls kept: `string`, or `large_string` past 2 GiB of text. Runs in pieces on
/// the current rayon pool; an unchanged text is copied once, straight into the
/// result.
///
/// # Errors
/// [`Error::Config`] for a chunk that holds no texts.
pub fn normalize_texts(
    chunks: &[ArrayRef],
    normalizer: &crate::normalize::Normalizer,
) -> Result<ArrayRef> {
    use arrow_array::builder::{LargeStringBuilder, StringBuilder};
    use rayon::prelude::*;
    use std::sync::Arc;

    const PIECE: usize = 1024;
    let columns = chunks.iter().map(text_column).collect::<Result<Vec<_>>>()?;
    let mut pieces = Vec::new();
    for (k, c) in chunks.iter().enumerate() {
        pieces.extend(
            (0..c.len())
                .step_by(PIECE)
                .map(|a| (k, a, (a + PIECE).min(c.len()))),
        );
    }
    let done: Vec<Vec<Option<std::borrow::Cow<'_, str>>>> = pieces
        .par_iter()
        .map(|&(k, a, b)| match &columns[k] {
            Some(col) => (a..b)
                .map(|i| str_at(col, i).map(|t| normalizer.normalize(t)))
                .collect(),
            None => vec![None; b - a],
        })
        .collect();
    let rows: usize = done.iter().map(Vec::len).sum();
    let bytes: usize = done.iter().flatten().flatten().map(|t| t.len()).sum();
    let values = done.iter().flatten().map(|t| t.as_deref());
    Ok(if i32::try_from(bytes).is_ok() {
        let mut b = StringBuilder::with_capacity(rows, bytes);
        values.for_each(|t| b.append_option(t));
        Arc::new(b.finish())
    } else {
        let mut b = LargeStringBuilder::with_capacity(rows, bytes);
        values.for_each(|t| b.append_option(t));
        Arc::new(b.finish())
    })
}

/// Whether values of this type are strings (or all null).
fn is_text(t: &DataType) -> bool {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null => true,
        DataType::Dictionary(_, v) => is_text(v),
        _ => false,
    }
}

/// `col` with every timestamp's named time zone (`UTC`, `Asia/Riyadh`), nested ones
/// included, replaced by the offset `+00:00`. The values are UTC instants either
/// way; only printing a named zone would need the zone database, which this build
/// does not carry (pandas and pyarrow write tz-aware columns with named zones).
pub(crate) fn named_zone_as_utc(col: &ArrayRef) -> std::result::Result<ArrayRef, String> {
    if utc_type(col.data_type()) == *col.data_type() {
        return Ok(col.clone());
    }
    utc_data(col.to_data())
        .map(arrow_array::make_array)
        .map_err(|e| e.to_string())
}

/// `t` with named zones replaced by `+00:00`, at any depth.
fn utc_type(t: &DataType) -> DataType {
    use std::sync::Arc;
    let field = |f: &arrow_schema::Field| f.clone().with_data_type(utc_type(f.data_type()));
    match t {
        DataType::Timestamp(unit, Some(tz)) if !tz.starts_with(['+', '-']) => {
            DataType::Timestamp(*unit, Some("+00:00".into()))
        }
        DataType::List(f) => DataType::List(Arc::new(field(f))),
        DataType::LargeList(f) => DataType::LargeList(Arc::new(field(f))),
        DataType::FixedSizeList(f, n) => DataType::FixedSizeList(Arc::new(field(f)), *n),
        DataType::Struct(fs) => DataType::Struct(fs.iter().map(|f| field(f)).collect()),
        DataType::Map(f, sorted) => DataType::Map(Arc::new(field(f)), *sorted),
        DataType::Dictionary(k, v) => DataType::Dictionary(k.clone(), Box::new(utc_type(v))),
        other => other.clone(),
    }
}

/// `d` retyped by [`utc_type`], its children too (the buffers stay as they are).
fn utc_data(
    d: arrow_data::ArrayData,
) -> std::result::Result<arrow_data::ArrayData, arrow_schema::ArrowError> {
    let children = d
        .child_data()
        .iter()
        .cloned()
        .map(utc_data)
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let t = utc_type(d.data_type());
    d.into_builder().data_type(t).child_data(children).build()
}

/// `batch` with [`named_zone_as_utc`] applied to each column.
#[cfg(feature = "parquet")]
pub(crate) fn named_zones_as_utc(batch: &RecordBatch) -> std::result::Result<RecordBatch, String> {
    let schema = batch.schema();
    if schema
        .fields()
        .iter()
        .all(|f| utc_type(f.data_type()) == *f.data_type())
    {
        return Ok(batch.clone());
    }
    let columns = batch
        .columns()
        .iter()
        .map(named_zone_as_utc)
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let fields: Vec<arrow_schema::Field> = schema
        .fields()
        .iter()
        .zip(&columns)
        .map(|(f, c)| f.as_ref().clone().with_data_type(c.data_type().clone()))
        .collect();
    RecordBatch::try_new(
        std::sync::Arc::new(arrow_schema::Schema::new(fields)),
        columns,
    )
    .map_err(|e| e.to_string())
}

fn column(name: &str, col: &ArrayRef) -> Result<Column> {
    let col = &named_zone_as_utc(col).map_err(Error::Config)?;
    let cast = |to: &DataType| {
        arrow_cast::cast(col, to).map_err(|e| {
            Error::Config(format!(
                "column {name:?} of type {} cannot be read as a record field: {e}",
                col.data_type()
            ))
        })
    };
    Ok(match col.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Column::Text(col.clone()),
        DataType::Boolean => Column::Bool(col.clone()),
        DataType::Null => Column::Null,
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => {
            Column::Int(cast(&DataType::Int64)?)
        }
        DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64 => {
            Column::UInt(cast(&DataType::UInt64)?)
        }
        DataType::Float16 | DataType::Float32 | DataType::Float64 => {
            Column::Float(cast(&DataType::Float64)?)
        }
        DataType::Dictionary(_, v) if is_text(v) => Column::Text(cast(&DataType::LargeUtf8)?),
        DataType::Date32
        | DataType::Date64
        | DataType::Timestamp(..)
        | DataType::Time32(_)
        | DataType::Time64(_)
        | DataType::Decimal32(..)
        | DataType::Decimal64(..)
        | DataType::Decimal128(..)
        | DataType::Decimal256(..) => Column::Text(cast(&DataType::LargeUtf8)?),
        other => {
            return Err(Error::Config(format!(
                "column {name:?} of type {other} cannot be read as a record field \
                 (strings, numbers, booleans, dates and timestamps can)"
            )));
        }
    })
}

/// The column of a column of texts whose values [`str_at`] reads (a dictionary
/// is decoded), or `None` when all of it is null.
///
/// # Errors
/// [`Error::Config`] for a column of another type.
pub(crate) fn text_column(col: &ArrayRef) -> Result<Option<ArrayRef>> {
    if !is_text(col.data_type()) {
        return Err(Error::Config(format!(
            "a column of {} holds no texts (strings)",
            col.data_type()
        )));
    }
    Ok(match column("texts", col)? {
        Column::Text(a) => Some(a),
        _ => None,
    })
}

/// Row `i` of a string column of any width or of views; `None` for a null.
pub(crate) fn str_at(a: &ArrayRef, i: usize) -> Option<&str> {
    if a.is_null(i) {
        return None;
    }
    Some(match a.data_type() {
        DataType::Utf8 => a.as_string::<i32>().value(i),
        DataType::LargeUtf8 => a.as_string::<i64>().value(i),
        _ => a.as_string_view().value(i),
    })
}

fn value(col: &Column, row: usize) -> std::result::Result<Value, &'static str> {
    Ok(match col {
        Column::Null => Value::Null,
        Column::Text(a) => str_at(a, row).map_or(Value::Null, |s| Value::String(s.to_owned())),
        Column::Int(a) | Column::UInt(a) | Column::Float(a) | Column::Bool(a) if a.is_null(row) => {
            Value::Null
        }
        Column::Int(a) => Value::from(a.as_primitive::<Int64Type>().value(row)),
        Column::UInt(a) => Value::from(a.as_primitive::<UInt64Type>().value(row)),
        Column::Float(a) => match a.as_primitive::<Float64Type>().value(row) {
            // pandas' missing value, as NaN is in a dict's field.
            f if f.is_nan() => Value::Null,
            f => Number::from_f64(f)
                .map(Value::Number)
                .ok_or("is not a finite number")?,
        },
        Column::Bool(a) => Value::Bool(a.as_boolean().value(row)),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{
        BooleanArray, Date32Array, Float64Array, Int32Array, LargeStringArray, StringArray,
        StringViewArray, UInt64Array,
    };
    use arrow_schema::{Field, Schema};

    use super::*;

    fn batch(cols: Vec<(&str, ArrayRef)>) -> RecordBatch {
        let schema = Schema::new(
            cols.iter()
                .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
                .collect::<Vec<_>>(),
        );
        RecordBatch::try_new(Arc::new(schema), cols.into_iter().map(|(_, a)| a).collect())
            .expect("batch")
    }

    #[test]
    fn rows_read_as_the_json_objects_of_their_values() {
        let b = batch(vec![
            (
                "id",
                Arc::new(Int32Array::from(vec![Some(7), None])) as ArrayRef,
            ),
            (
                "text",
                Arc::new(LargeStringArray::from(vec!["نص أول", "second"])),
            ),
            ("s", Arc::new(StringArray::from(vec![Some("a"), None]))),
            ("v", Arc::new(StringViewArray::from(vec!["x", "y"]))),
            ("f", Arc::new(Float64Array::from(vec![1.5, 2.0]))),
            ("u", Arc::new(UInt64Array::from(vec![u64::MAX, 0]))),
            ("b", Arc::new(BooleanArray::from(vec![true, false]))),
            ("d", Arc::new(Date32Array::from(vec![19_723, 0]))),
            ("unread", Arc::new(StringArray::from(vec!["no", "no"]))),
        ]);
        let names = ["id", "text", "s", "v", "f", "u", "b", "d", "missing"];
        let r = ArrowRecords::new(&b, &names).expect("records");
        assert_eq!(r.len(), 2);
        let row = |i| Value::Object(r.fields(i).expect("row"));
        assert_eq!(
            row(0),
            serde_json::json!({"id": 7, "text": "نص أول", "s": "a", "v": "x", "f": 1.5,
                "u": u64::MAX, "b": true, "d": "2024-01-01"})
        );
        assert_eq!(
            row(1),
            serde_json::json!({"id": null, "text": "second", "s": null, "v": "y", "f": 2.0,
                "u": 0, "b": false, "d": "1970-01-01"})
        );
    }

    #[test]
    fn a_column_of_texts_gives_its_strings() {
        let dict: ArrayRef = Arc::new(
            vec![Some("أ"), None, Some("أ")]
                .into_iter()
                .collect::<arrow_array::DictionaryArray<arrow_array::types::Int32Type>>(),
        );
        let want = vec![Some("أ".to_owned()), None, Some("أ".to_owned())];
        assert_eq!(ArrowRecords::texts(&dict).expect("texts"), want);
        let view: ArrayRef = Arc::new(StringViewArray::from(vec![Some("أ"), None, Some("أ")]));
        assert_eq!(ArrowRecords::texts(&view).expect("texts"), want);
        let ints: ArrayRef = Arc::new(Int32Array::from(vec![1]));
        assert!(ArrowRecords::texts(&ints).is_err());
    }

    #[test]
    fn an_infinite_float_is_no_record_nan_a_missing_value_and_a_list_no_field() {
        let b = batch(vec![(
            "f",
            Arc::new(Float64Array::from(vec![f64::INFINITY, f64::NAN, 1.0])) as ArrayRef,
        )]);
        let r = ArrowRecords::new(&b, &["f"]).expect("records");
        assert_eq!(
            r.fields(0),
            Err("field \"f\" is not a finite number".into())
        );
        // NaN is pandas' missing value, as in a dict's field.
        assert_eq!(r.fields(1).expect("row 1")["f"], Value::Null);
        assert!(r.fields(2).is_ok());
        let list = arrow_array::ListArray::from_iter_primitive::<Int64Type, _, _>(vec![Some(
            vec![Some(1)],
        )]);
        let b = batch(vec![("l", Arc::new(list) as ArrayRef)]);
        let e = ArrowRecords::new(&b, &["l"]).err().expect("refused");
        assert!(e.to_string().contains("\"l\""), "{e}");
    }
}

//! Parquet in and out (cargo feature `parquet`): string, large_string and
//! dictionary text columns, nested columns carried through, row-group streaming.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::types::Int32Type;
use arrow_array::{
    Array, ArrayRef, DictionaryArray, Int64Array, LargeStringArray, RecordBatch, StringArray,
    StructArray,
};
use arrow_schema::{DataType, Field, Fields, Schema};
use corpus_core::io::{InputConfig, OutputFormat, Reader, list_inputs};
use corpus_core::pipeline::run_dedup;
use corpus_core::{Config, Error, OnError};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::properties::WriterProperties;
use serde_json::Value;

use crate::formats::seed;

/// Texts: the five seeds, an exact copy of seed 0, a near copy of seed 2, and
/// (when `with_null`) a null text.
fn texts(with_null: bool) -> Vec<Option<String>> {
    let mut t: Vec<Option<String>> = (0..5).map(|i| Some(seed(i))).collect();
    t.push(Some(seed(0)));
    t.push(Some(seed(2).replacen("حلب", "مدينة حلب", 1)));
    if with_null {
        t.push(None);
    }
    t
}

fn nested(n: usize) -> (Field, ArrayRef) {
    let sources: Vec<String> = (0..n).map(|i| format!("site{}", i % 3)).collect();
    let mut tags = ListBuilder::new(StringBuilder::new());
    for i in 0..n {
        tags.values().append_value("أخبار");
        if i % 2 == 0 {
            tags.values().append_value(format!("t{i}"));
        }
        tags.append(true);
    }
    let tags = tags.finish();
    let fields = Fields::from(vec![
        Field::new("source", DataType::Utf8, false),
        Field::new("tags", tags.data_type().clone(), true),
    ]);
    let arr = StructArray::new(
        fields.clone(),
        vec![
            Arc::new(StringArray::from(sources)) as ArrayRef,
            Arc::new(tags),
        ],
        None,
    );
    (
        Field::new("meta", DataType::Struct(fields), true),
        Arc::new(arr),
    )
}

/// Writes a Parquet file with `text` in the given column type, row groups of 3 rows.
fn write_parquet(path: &Path, kind: &str, with_null: bool) -> RecordBatch {
    let t = texts(with_null);
    let n = t.len();
    let text: ArrayRef = match kind {
        "string" => Arc::new(StringArray::from(t.clone())),
        "large_string" => Arc::new(LargeStringArray::from(t.clone())),
        "dictionary" => Arc::new(
            t.iter()
                .map(|s| s.as_deref())
                .collect::<DictionaryArray<Int32Type>>(),
        ),
        _ => unreachable!(),
    };
    let ids: ArrayRef = Arc::new(StringArray::from(
        (0..n).map(|i| format!("doc{i}")).collect::<Vec<_>>(),
    ));
    let year: ArrayRef = Arc::new(Int64Array::from(
        (0..n as i64).map(|i| 2020 + i).collect::<Vec<_>>(),
    ));
    let (meta_field, meta) = nested(n);
    let schema = Arc::new(Schema::new(vec![
        Field::new("doc_id", DataType::Utf8, false),
        Field::new("body", text.data_type().clone(), true),
        Field::new("year", DataType::Int64, false),
        meta_field,
    ]));
    let batch = RecordBatch::try_new(schema, vec![ids, text, year, meta]).unwrap();
    let props = WriterProperties::builder()
        .set_max_row_group_size(3)
        .build();
    write_batch(path, &batch, props);
    batch
}

/// Writes `batch` as the Parquet file `path`.
fn write_batch(path: &Path, batch: &RecordBatch, props: WriterProperties) {
    let mut w =
        ArrowWriter::try_new(File::create(path).unwrap(), batch.schema(), Some(props)).unwrap();
    w.write(batch).unwrap();
    w.close().unwrap();
}

fn cfg() -> InputConfig {
    InputConfig {
        id_field: "doc_id".into(),
        text_field: "body".into(),
        ..InputConfig::default()
    }
}

fn read_back(path: &Path) -> Vec<RecordBatch> {
    ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap())
        .unwrap()
        .build()
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn string_large_string_and_dictionary_text_columns_are_read() {
    let tmp = tempfile::tempdir().unwrap();
    for kind in ["string", "large_string", "dictionary"] {
        let p = tmp.path().join(format!("{kind}.parquet"));
        write_parquet(&p, kind, true);
        let files = list_inputs(std::slice::from_ref(&p), None).unwrap();
        let items: Vec<_> = Reader::new(files, cfg()).collect();
        assert_eq!(items.len(), 8, "{kind}");
        for (i, want) in texts(false).iter().enumerate() {
            let d = items[i].as_ref().unwrap();
            assert_eq!(Some(&d.text), want.as_ref(), "{kind} row {i}");
            assert_eq!(d.id, format!("doc{i}"));
            assert_eq!(d.origin.line, i as u64 + 1);
            let raw: Value = serde_json::from_str(d.raw.as_deref().unwrap()).unwrap();
            assert_eq!(raw["year"], 2020 + i as i64);
            assert_eq!(raw["meta"]["tags"][0], "أخبار");
        }
        match &items[7] {
            Err(Error::Record {
                line: 8, reason, ..
            }) => {
                assert_eq!(reason, "column \"body\" is null")
            }
            other => panic!("{kind}: {other:?}"),
        }
    }
}

#[test]
fn files_of_every_codec_are_read() {
    use parquet::basic::{BrotliLevel, Compression, GzipLevel, ZstdLevel};
    let tmp = tempfile::tempdir().unwrap();
    let want = texts(false);
    let schema = Arc::new(Schema::new(vec![Field::new("body", DataType::Utf8, false)]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![Arc::new(StringArray::from(want.clone())) as ArrayRef],
    )
    .unwrap();
    for codec in [
        Compression::UNCOMPRESSED,
        Compression::SNAPPY,
        Compression::GZIP(GzipLevel::default()),
        Compression::LZ4,
        Compression::LZ4_RAW,
        Compression::BROTLI(BrotliLevel::default()),
        Compression::ZSTD(ZstdLevel::default()),
    ] {
        let p = tmp.path().join(format!("{codec:?}.parquet"));
        write_batch(
            &p,
            &batch,
            WriterProperties::builder().set_compression(codec).build(),
        );
        let files = list_inputs(std::slice::from_ref(&p), None).unwrap();
        let got: Vec<Option<String>> = Reader::new(files, cfg())
            .map(|d| Some(d.expect("readable").text))
            .collect();
        assert_eq!(got, want, "{codec:?}");
    }
}

#[test]
fn missing_text_column_is_a_data_error() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("x.parquet");
    write_parquet(&p, "string", false);
    let files = list_inputs(std::slice::from_ref(&p), None).unwrap();
    let items: Vec<_> = Reader::new(files, InputConfig::default()).collect();
    assert_eq!(items.len(), 1);
    assert!(
        matches!(&items[0], Err(Error::Data { reason, .. }) if reason == "no column \"text\""),
        "{items:?}"
    );
    // A text column that holds no text, an id column that holds neither strings
    // nor numbers: the file's rows are bad data, as such JSON Lines records are
    // (an integer was read as the text "2020", a struct as the id's JSON).
    for (id_field, text_field, said) in [
        ("doc_id", "year", "column \"year\" is Int64, not text"),
        ("meta", "body", "column \"meta\" is Struct("),
    ] {
        let c = InputConfig {
            id_field: id_field.into(),
            text_field: text_field.into(),
            ..InputConfig::default()
        };
        let files = list_inputs(std::slice::from_ref(&p), None).unwrap();
        let items: Vec<_> = Reader::new(files, c).collect();
        assert!(
            matches!(&items[..], [Err(Error::Data { reason, .. })] if reason.contains(said)),
            "{items:?}"
        );
    }
    // Not Parquet at all.
    let bad = tmp.path().join("bad.parquet");
    std::fs::write(&bad, b"PAR1 this is not parquet").unwrap();
    let files = list_inputs(std::slice::from_ref(&bad), None).unwrap();
    let items: Vec<_> = Reader::new(files, cfg()).collect();
    assert!(matches!(&items[0], Err(Error::Data { .. })), "{items:?}");
}

fn run(inputs: &[PathBuf], out: &Path, format: OutputFormat) -> corpus_core::pipeline::Summary {
    run_on(inputs, out, format, 0)
}

fn run_on(
    inputs: &[PathBuf],
    out: &Path,
    format: OutputFormat,
    threads: usize,
) -> corpus_core::pipeline::Summary {
    let mut c = Config {
        input: cfg(),
        on_error: OnError::Skip,
        threads,
        ..Config::default()
    };
    c.output.format = format;
    run_dedup(inputs, out, &c, None).unwrap()
}

/// Under `on_error = "skip"`, a `.parquet` input that is not readable Parquet
/// (a cut-off copy, a text file so named) is one rejected record, and the
/// readable inputs still give `kept.parquet`, the same rows as without it; with
/// nothing readable, an empty table of the text column.
#[test]
fn an_unreadable_parquet_input_is_rejected_and_the_others_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("good.parquet");
    write_parquet(&good, "string", false);
    let bytes = std::fs::read(&good).unwrap();
    let cut = tmp.path().join("a-cut.parquet");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let fake = tmp.path().join("fake.parquet");
    std::fs::write(&fake, "{\"id\": 1, \"text\": \"not Parquet\"}\n").unwrap();
    let alone = run(
        std::slice::from_ref(&good),
        &tmp.path().join("alone"),
        OutputFormat::Auto,
    );
    let with = run(
        &[cut.clone(), good.clone(), fake.clone()],
        &tmp.path().join("with"),
        OutputFormat::Auto,
    );
    assert_eq!(with.counts.rejected, 2);
    assert_eq!(with.counts.kept, alone.counts.kept);
    let rows = |dir: &str| rows_as_json(&tmp.path().join(dir).join("kept.parquet"), "body");
    assert_eq!(rows("with"), rows("alone"));
    let rejects = crate::common::read_jsonl(&tmp.path().join("with/rejects.jsonl"));
    assert!(
        rejects.iter().all(|r| r["reason"]
            .as_str()
            .unwrap()
            .starts_with("not a readable Parquet file")),
        "{rejects:?}"
    );
    let none = run(
        std::slice::from_ref(&fake),
        &tmp.path().join("none"),
        OutputFormat::Auto,
    );
    assert_eq!((none.counts.kept, none.counts.rejected), (0, 1));
    let table = read_back(&tmp.path().join("none/kept.parquet"));
    let schema = ParquetRecordBatchReaderBuilder::try_new(
        File::open(tmp.path().join("none/kept.parquet")).unwrap(),
    )
    .unwrap()
    .schema()
    .clone();
    assert_eq!(table.iter().map(RecordBatch::num_rows).sum::<usize>(), 0);
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["body", "ghirbal"]);
}

#[test]
fn parquet_in_parquet_out_carries_every_column() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("in.parquet");
    let input = write_parquet(&p, "dictionary", true);
    let out = tmp.path().join("out");
    let s = run(std::slice::from_ref(&p), &out, OutputFormat::Auto);
    assert_eq!(s.counts.input, 8);
    assert_eq!(s.counts.rejected, 1);
    assert!(
        s.counts.removed >= 2,
        "the copies of seeds 0 and 2 are removed"
    );
    assert!(!out.join("kept.jsonl").exists());
    let batches = read_back(&out.join("kept.parquet"));
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    assert_eq!(rows as u64, s.counts.kept);
    let schema = batches[0].schema();
    // The input columns, unchanged (types included), then ours.
    for (f, g) in input.schema().fields().iter().zip(schema.fields()) {
        assert_eq!(f, g);
    }
    assert_eq!(schema.field(4).name(), "ghirbal");
    // Kept rows match clusters.jsonl and carry their nested values.
    let clusters = std::fs::read_to_string(out.join("clusters.jsonl")).unwrap();
    let kept_ids: Vec<String> = clusters
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["kept"] == true)
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect();
    let mut got = Vec::new();
    for b in &batches {
        let ids = b.column(0).as_any().downcast_ref::<StringArray>().unwrap();
        let meta = b.column(3).as_any().downcast_ref::<StructArray>().unwrap();
        let src = meta
            .column(0)
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        for i in 0..b.num_rows() {
            let n: usize = ids.value(i)[3..].parse().unwrap();
            assert_eq!(src.value(i), format!("site{}", n % 3));
            got.push(ids.value(i).to_owned());
        }
    }
    let mut sorted = got.clone();
    sorted.sort();
    assert_eq!(sorted, kept_ids);
    // The text column is written without a dictionary (the others may have one).
    let meta =
        ParquetRecordBatchReaderBuilder::try_new(File::open(out.join("kept.parquet")).unwrap())
            .unwrap()
            .metadata()
            .clone();
    let body = meta.row_group(0).column(1);
    assert_eq!(body.column_path().string(), "body");
    assert_eq!(body.dictionary_page_offset(), None);
    assert!(
        meta.row_group(0)
            .column(0)
            .dictionary_page_offset()
            .is_some()
    );
}

#[test]
fn a_survivor_field_is_read_from_its_column() {
    // Rows 0 and 5 hold the same text; `year` is 2020 + row.
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("in.parquet");
    write_parquet(&p, "string", false);
    let removed = |survivor: &str| -> Vec<String> {
        let out = tmp.path().join(survivor.replace(':', "_"));
        let mut c = Config {
            input: cfg(),
            ..Config::default()
        };
        c.dedup.survivor = survivor.parse().unwrap();
        run_dedup(std::slice::from_ref(&p), &out, &c, None).unwrap();
        let clusters = std::fs::read_to_string(out.join("clusters.jsonl")).unwrap();
        clusters
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|v| v["kept"] == false && v["reason"] == "exact")
            .map(|v| v["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(removed("highest:year"), ["doc0"]);
    assert_eq!(removed("earliest:year"), ["doc5"]);
}

/// Timestamps with a named zone (what pandas and pyarrow write for tz-aware
/// columns) are read as the instants they hold: as a survivor field, and into
/// `kept.jsonl` (as UTC). Printing a named zone would need the zone database:
/// such files used to be refused whole.
#[test]
fn timestamps_with_named_zones_are_read_as_instants() {
    use arrow_array::TimestampSecondArray;
    let tmp = tempfile::tempdir().unwrap();
    // The same text three times; the second copy is the earliest.
    let secs = [1_525_748_036_i64, 1_525_734_000, 1_525_744_800];
    for zone in ["UTC", "Asia/Riyadh", "+03:00"] {
        let p = tmp
            .path()
            .join(format!("{}.parquet", zone.replace('/', "_")));
        let ts_type = DataType::Timestamp(arrow_schema::TimeUnit::Second, Some(zone.into()));
        let published: ArrayRef =
            Arc::new(TimestampSecondArray::from(secs.to_vec()).with_timezone(zone));
        // The same instants nested in a struct column too.
        let meta = StructArray::from(vec![(
            Arc::new(Field::new("updated", ts_type.clone(), false)),
            published.clone(),
        )]);
        let schema = Arc::new(Schema::new(vec![
            Field::new("doc_id", DataType::Utf8, false),
            Field::new("body", DataType::Utf8, false),
            Field::new("published", ts_type, false),
            Field::new("meta", meta.data_type().clone(), false),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(vec!["b", "a", "c"])),
                Arc::new(StringArray::from(vec![seed(3); 3])),
                published,
                Arc::new(meta),
            ],
        )
        .unwrap();
        write_batch(&p, &batch, WriterProperties::default());
        let out = tmp.path().join(format!("out-{}", zone.replace('/', "_")));
        let mut c = Config {
            input: cfg(),
            ..Config::default()
        };
        c.dedup.survivor = "earliest:published".parse().unwrap();
        c.output.format = OutputFormat::Jsonl;
        run_dedup(std::slice::from_ref(&p), &out, &c, None).unwrap();
        let kept: Vec<Value> = std::fs::read_to_string(out.join("kept.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(kept.len(), 1, "{zone}");
        assert_eq!(kept[0]["doc_id"], "a", "{zone}");
        for value in [&kept[0]["published"], &kept[0]["meta"]["updated"]] {
            let value = value.as_str().unwrap();
            assert!(
                ["2018-05-07T23:00:00Z", "2018-05-08T02:00:00+03:00"].contains(&value),
                "{zone}: {value}"
            );
        }
    }
}

#[test]
fn kept_parquet_is_the_same_on_one_thread_and_several() {
    // 2,600 distinct texts: several record batches, every row kept (exact only,
    // no cleaning).
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("in.parquet");
    let n = 2600;
    let texts: Vec<String> = (0..n).map(|i| format!("{}\n{i}", seed(i % 5))).collect();
    let schema = Arc::new(Schema::new(vec![
        Field::new("doc_id", DataType::Utf8, false),
        Field::new("body", DataType::Utf8, false),
    ]));
    let ids: Vec<String> = (0..n).map(|i| format!("doc{i}")).collect();
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from(ids)) as ArrayRef,
            Arc::new(StringArray::from(texts)),
        ],
    )
    .unwrap();
    write_batch(&p, &batch, WriterProperties::default());
    // One thread reads and writes in turn; more overlap them: the same rows.
    let mut outputs = Vec::new();
    for threads in [1, 2] {
        let out = tmp.path().join(format!("out{threads}"));
        let mut c = Config {
            input: cfg(),
            threads,
            ..Config::default()
        };
        c.dedup.exact_only = true;
        c.clean.enabled = false;
        let s = run_dedup(std::slice::from_ref(&p), &out, &c, None).unwrap();
        assert_eq!(s.counts.kept, n as u64);
        let rows = read_back(&out.join("kept.parquet"));
        assert_eq!(
            rows.iter().map(RecordBatch::num_rows).sum::<usize>(),
            n,
            "{threads}"
        );
        outputs.push(rows);
    }
    assert_eq!(outputs[0], outputs[1]);
}

#[test]
fn parquet_in_jsonl_out_by_flag_and_mixed_inputs() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("in.parquet");
    write_parquet(&p, "large_string", false);
    let out = tmp.path().join("out");
    let s = run(std::slice::from_ref(&p), &out, OutputFormat::Jsonl);
    let kept = std::fs::read_to_string(out.join("kept.jsonl")).unwrap();
    assert_eq!(kept.lines().count() as u64, s.counts.kept);
    let first: Value = serde_json::from_str(kept.lines().next().unwrap()).unwrap();
    let n: usize = first["doc_id"].as_str().unwrap()[3..].parse().unwrap();
    assert_eq!(first["meta"]["source"], format!("site{}", n % 3));
    assert_eq!(first["meta"]["tags"][0], "أخبار");
    assert_eq!(first["year"], 2020 + n as i64);
    assert!(first["ghirbal"]["cluster"].is_string());
    // Mixed inputs: Parquet asked for converts the kept records (nested
    // columns become structs again), and auto writes JSONL.
    let j = tmp.path().join("more.jsonl");
    std::fs::write(&j, "{\"doc_id\": \"j\", \"body\": \"نص قصير آخر هنا\"}\n").unwrap();
    let s = run(
        &[p.clone(), j.clone()],
        &tmp.path().join("o2"),
        OutputFormat::Parquet,
    );
    let rows = rows_as_json(&tmp.path().join("o2/kept.parquet"), "body");
    assert_eq!(rows.len() as u64, s.counts.kept);
    let from_parquet = rows.iter().find(|r| r["doc_id"] != "j").unwrap();
    assert!(from_parquet["meta"]["tags"].is_array(), "{from_parquet}");
    assert!(
        rows.iter()
            .any(|r| r["doc_id"] == "j" && r["meta"].is_null())
    );
    let s = run(&[p, j], &tmp.path().join("o3"), OutputFormat::Auto);
    assert!(tmp.path().join("o3/kept.jsonl").exists());
    assert_eq!(s.counts.input, 8);
}

/// The rows of a Parquet file as JSON records, read back by ghirbal's own
/// reader (every column, nested ones included; the text under `text_field`).
fn rows_as_json(path: &Path, text_field: &str) -> Vec<Value> {
    let input = InputConfig {
        id_field: "doc_id".into(),
        text_field: text_field.into(),
        ..InputConfig::default()
    };
    let files = list_inputs(&[path.to_path_buf()], None).unwrap();
    Reader::new(files, input)
        .map(|d| {
            let d = d.unwrap();
            let mut r: Value = serde_json::from_str(d.raw.as_deref().unwrap()).unwrap();
            r[text_field] = d.text.into();
            r
        })
        .collect()
}

/// `v` with every number as a float: a column of integers and floats holds
/// floats (`3` is read back as `3.0`).
fn numbers_as_floats(v: &Value) -> Value {
    match v {
        Value::Number(n) => serde_json::json!(n.as_f64().unwrap()),
        Value::Array(a) => Value::Array(a.iter().map(numbers_as_floats).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), numbers_as_floats(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// JSON Lines inputs give `kept.parquet` too, in both jobs: the records
/// `kept.jsonl` holds for the same run, converted, one column per field in the
/// order the fields are first met, its type inferred over every record
/// (integers beside floats make floats; a field most records lack is null in
/// them, and a field only ever `{}` a map), and the dedup job's `ghirbal`
/// struct typed as for Parquet inputs. Real news from three outlets, with a
/// score, a rare field and empty objects and lists added.
#[test]
fn json_lines_inputs_give_kept_parquet_with_the_same_records() {
    let Some(mut rows) = arabic_news() else {
        return;
    };
    for (i, r) in rows.iter_mut().enumerate() {
        r["score"] = if i % 2 == 0 {
            serde_json::json!(i)
        } else {
            serde_json::json!(i as f64 + 0.5)
        };
        if i % 50 == 7 {
            r["tags"] = serde_json::json!(["خبر", i.to_string()]);
        }
        // Only ever empty: no column type to infer from a value (Parquet has
        // no struct without fields).
        r["extra"] = serde_json::json!({"seen": {}, "links": []});
    }
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("news.jsonl");
    let lines: Vec<String> = rows.iter().map(Value::to_string).collect();
    std::fs::write(&input, lines.join("\n")).unwrap();
    let inputs = [input];
    let threads = std::sync::atomic::AtomicUsize::new(0);
    let cfg = |format| {
        let mut c = Config {
            input: InputConfig {
                id_field: "id".into(),
                ..InputConfig::default()
            },
            threads: threads.load(std::sync::atomic::Ordering::Relaxed),
            ..Config::default()
        };
        c.output.format = format;
        c
    };
    for job in ["dedup", "clean"] {
        let out = |f: &str| tmp.path().join(format!("{job}-{f}"));
        let run = |format, dir: &Path| match job {
            "dedup" => {
                run_dedup(&inputs, dir, &cfg(format), None)
                    .unwrap()
                    .counts
                    .kept
            }
            _ => {
                let s = corpus_core::clean::run_clean(&inputs, dir, &cfg(format), None).unwrap();
                s.counts.kept
            }
        };
        let kept = run(OutputFormat::Jsonl, &out("jsonl"));
        assert_eq!(run(OutputFormat::Parquet, &out("parquet")), kept);
        assert!(!out("parquet").join("kept.jsonl").exists());
        let path = out("parquet").join("kept.parquet");
        // The same bytes on one thread (decoding and encoding in turn).
        threads.store(1, std::sync::atomic::Ordering::Relaxed);
        run(OutputFormat::Parquet, &out("parquet-1"));
        threads.store(0, std::sync::atomic::Ordering::Relaxed);
        let one = std::fs::read(out("parquet-1").join("kept.parquet")).unwrap();
        assert!(one == std::fs::read(&path).unwrap(), "{job}");
        let jsonl = crate::common::read_jsonl(&out("jsonl").join("kept.jsonl"));
        let parquet = rows_as_json(&path, "text");
        assert_eq!(parquet.len() as u64, kept, "{job}");
        assert_eq!(jsonl.len(), parquet.len(), "{job}");
        for (a, b) in jsonl.iter().zip(&parquet) {
            assert_eq!(numbers_as_floats(a), numbers_as_floats(b), "{job}");
        }
        let schema = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).unwrap())
            .unwrap()
            .schema()
            .clone();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        let mut expected: Vec<&str> = Vec::new();
        for r in &rows {
            for k in r.as_object().unwrap().keys() {
                if !expected.contains(&k.as_str()) {
                    expected.push(k);
                }
            }
        }
        if job == "dedup" {
            expected.push("ghirbal");
            assert_eq!(
                schema.field_with_name("ghirbal").unwrap(),
                &corpus_core::io::dedup_ours_field()
            );
        }
        assert_eq!(names, expected, "{job}");
        let ty = |k: &str| schema.field_with_name(k).unwrap().data_type().clone();
        assert_eq!(ty("score"), DataType::Float64);
        assert_eq!(ty("text"), DataType::Utf8);
        assert!(matches!(ty("tags"), DataType::List(_)), "{:?}", ty("tags"));
    }
}

/// Scalars of several kinds in one field make a column of strings, each value
/// written as JSON writes it. A field whose values no one column type holds (an
/// object in one record, a string in another) cannot be written as Parquet: the
/// run fails naming the field and a record of each kind, and says to write JSON
/// Lines.
#[test]
fn kept_records_of_mixed_types_name_the_field_that_mixes() {
    let tmp = tempfile::tempdir().unwrap();
    let scalars = tmp.path().join("scalars.jsonl");
    let records = [
        serde_json::json!({"id": "a", "text": seed(0), "n": 5}),
        serde_json::json!({"id": "b", "text": seed(2), "n": "خمسة"}),
        serde_json::json!({"id": "c", "text": seed(3), "n": true}),
    ];
    let lines: Vec<String> = records.iter().map(Value::to_string).collect();
    std::fs::write(&scalars, lines.join("\n")).unwrap();
    let mut c = Config::default();
    c.output.format = OutputFormat::Parquet;
    run_dedup(&[scalars], &tmp.path().join("s"), &c, None).unwrap();
    let rows = read_back(&tmp.path().join("s/kept.parquet"));
    let n = rows[0].column_by_name("n").unwrap();
    let n = n.as_any().downcast_ref::<StringArray>().unwrap();
    assert_eq!(
        n.iter().collect::<Vec<_>>(),
        [Some("5"), Some("خمسة"), Some("true")]
    );

    // A scalar beside lists is a one-item list, whichever comes first, nested
    // too.
    for (n, first) in [true, false].into_iter().enumerate() {
        let (a, b) = (serde_json::json!([1, 2]), serde_json::json!(3));
        let (a, b) = if first { (a, b) } else { (b, a) };
        let records = [
            serde_json::json!({"id": "a", "text": seed(0), "tags": a, "meta": {"k": a}}),
            serde_json::json!({"id": "b", "text": seed(2), "tags": b, "meta": {"k": b}}),
        ];
        let lines: Vec<String> = records.iter().map(Value::to_string).collect();
        let input = tmp.path().join(format!("lists{n}.jsonl"));
        std::fs::write(&input, lines.join("\n")).unwrap();
        let out = tmp.path().join(format!("l{n}"));
        run_dedup(&[input], &out, &c, None).unwrap();
        let rows = rows_as_json(&out.join("kept.parquet"), "text");
        let want = |v: &Value| match v {
            Value::Array(_) => v.clone(),
            _ => Value::Array(vec![v.clone()]),
        };
        for (row, record) in rows.iter().zip(&records) {
            assert_eq!(row["tags"], want(&record["tags"]), "{row}");
            assert_eq!(row["meta"]["k"], want(&record["meta"]["k"]), "{row}");
        }
        let names: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(!names.iter().any(|n| n.contains("lists")), "{names:?}");
    }

    let input = tmp.path().join("in.jsonl");
    // Three different articles (seeds 0 and 1 are one story reprinted).
    let records = [
        serde_json::json!({"id": "a", "text": seed(0), "meta": {"source": "وكالة"}}),
        serde_json::json!({"id": "b", "text": seed(2), "meta": "وكالة"}),
        serde_json::json!({"id": "c", "text": seed(3), "meta": null}),
    ];
    let lines: Vec<String> = records.iter().map(Value::to_string).collect();
    std::fs::write(&input, lines.join("\n")).unwrap();
    let e = run_dedup(
        std::slice::from_ref(&input),
        &tmp.path().join("o"),
        &c,
        None,
    )
    .unwrap_err();
    let message = e.to_string();
    assert!(
        message
            .contains("field \"meta\" is an object in record \"a\" and a string in record \"b\"")
            && message.contains("--output-format jsonl"),
        "{message}"
    );
    assert!(!tmp.path().join("o").exists());
    // The advice works: the same run, as JSON Lines, resumes from the failed
    // run's checkpoints (how outputs are written is not part of what they hold).
    let mut jsonl = c.clone();
    jsonl.output.format = OutputFormat::Jsonl;
    let s = run_dedup(
        std::slice::from_ref(&input),
        &tmp.path().join("o"),
        &jsonl,
        None,
    )
    .unwrap();
    assert_eq!((s.resume.shards, s.resume.skipped_shards), (1, 1));
    assert!(tmp.path().join("o/kept.jsonl").exists());
    // Nested: a field of an object, and the items of a list (a string beside
    // lists counts as one of their items).
    let said = |path: &str| {
        format!("field \"{path}\" is an object in record \"a\" and a string in record \"b\"")
    };
    let nested = [
        (
            serde_json::json!({"author": {"name": "س"}}),
            serde_json::json!({"author": "س"}),
            said("meta.author"),
        ),
        (
            serde_json::json!([{"name": "س"}]),
            serde_json::json!("س"),
            said("meta[]"),
        ),
    ];
    for (n, (first, second, said)) in nested.into_iter().enumerate() {
        let records = [
            serde_json::json!({"id": "a", "text": seed(0), "meta": first}),
            serde_json::json!({"id": "b", "text": seed(2), "meta": second}),
        ];
        let lines: Vec<String> = records.iter().map(Value::to_string).collect();
        let input = tmp.path().join(format!("nested{n}.jsonl"));
        std::fs::write(&input, lines.join("\n")).unwrap();
        let out = tmp.path().join(format!("n{n}"));
        let message = run_dedup(&[input], &out, &c, None).unwrap_err().to_string();
        assert!(message.contains(&said), "{message}");
    }
}

/// Integers beyond Int64 keep every digit in `kept.parquet` (inference alone
/// would make their column Float64 and round a 64-bit hash or id): a field whose
/// numbers all fit UInt64 becomes UInt64, nested ones too; a field that also
/// holds a negative number, or integers beyond UInt64, becomes text. Fields of
/// ordinary numbers keep their types, and a long run of digits inside a text
/// changes nothing.
#[test]
fn integers_beyond_int64_keep_every_digit() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.jsonl");
    // Three different articles (seeds 0 and 1 are one story reprinted), one
    // with a 20-digit number in its text.
    let lines = [
        format!(
            r#"{{"id": "a", "text": {}, "hash": 18446744073709551615, "signed": -5, "big": 123456789012345678901234, "meta": {{"k": 9223372036854775808}}, "n": 7, "x": 1.5}}"#,
            serde_json::json!(seed(0))
        ),
        format!(
            r#"{{"id": "b", "text": {}, "hash": 9223372036854775808, "signed": 18446744073709551615, "big": 3, "meta": {{"k": 1}}, "n": 8, "x": 2}}"#,
            serde_json::json!(format!("{} 12345678901234567890", seed(2)))
        ),
        format!(
            r#"{{"id": "c", "text": {}, "hash": 12, "signed": 3, "big": 4, "meta": {{"k": 2}}, "n": 9, "x": 3}}"#,
            serde_json::json!(seed(3))
        ),
    ];
    std::fs::write(&input, lines.join("\n")).unwrap();
    let mut c = Config::default();
    c.output.format = OutputFormat::Parquet;
    run_dedup(&[input], &tmp.path().join("o"), &c, None).unwrap();
    let rows = read_back(&tmp.path().join("o/kept.parquet"));
    let batch = &rows[0];
    let schema = batch.schema();
    let ty = |k: &str| schema.field_with_name(k).unwrap().data_type().clone();
    assert_eq!(ty("hash"), DataType::UInt64);
    assert_eq!(ty("signed"), DataType::Utf8);
    assert_eq!(ty("big"), DataType::Utf8);
    assert_eq!(ty("n"), DataType::Int64);
    assert_eq!(ty("x"), DataType::Float64);
    assert_eq!(
        ty("meta"),
        DataType::Struct(Fields::from(vec![Field::new("k", DataType::UInt64, true)]))
    );
    let column = |k: &str| batch.column_by_name(k).unwrap().clone();
    let hash = column("hash");
    let hash = hash
        .as_any()
        .downcast_ref::<arrow_array::UInt64Array>()
        .unwrap();
    assert_eq!(
        hash.values().to_vec(),
        [u64::MAX, 9_223_372_036_854_775_808, 12]
    );
    let texts = |k: &str| -> Vec<Option<String>> {
        column(k)
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap()
            .iter()
            .map(|v| v.map(str::to_owned))
            .collect()
    };
    let want = |v: [&str; 3]| v.map(|s| Some(s.to_owned())).to_vec();
    assert_eq!(texts("signed"), want(["-5", "18446744073709551615", "3"]));
    assert_eq!(texts("big"), want(["123456789012345678901234", "3", "4"]));
    let meta = column("meta");
    let meta = meta.as_any().downcast_ref::<StructArray>().unwrap();
    let k = meta
        .column(0)
        .as_any()
        .downcast_ref::<arrow_array::UInt64Array>()
        .unwrap();
    assert_eq!(k.values().to_vec(), [9_223_372_036_854_775_808, 1, 2]);
}

/// Writes `rows` (JSON records) as Parquet: `doc_id`, `body` (of the given
/// type, null where the record has none), `outlet`, `date`, and `n` (the row's
/// number, counted from `first`), in row groups of 700 rows (several record
/// batches).
fn write_records(path: &Path, rows: &[Value], first: i64, text_kind: &str) {
    let s = |k: &str| -> Vec<Option<String>> {
        rows.iter()
            .map(|r| r[k].as_str().map(str::to_owned))
            .collect()
    };
    let body = s("text");
    let body: ArrayRef = match text_kind {
        "string" => Arc::new(StringArray::from(body)),
        "dictionary" => Arc::new(
            body.iter()
                .map(|s| s.as_deref())
                .collect::<DictionaryArray<Int32Type>>(),
        ),
        _ => unreachable!(),
    };
    let schema = Arc::new(Schema::new(vec![
        Field::new("doc_id", DataType::Utf8, true),
        Field::new("body", body.data_type().clone(), true),
        Field::new("outlet", DataType::Utf8, true),
        Field::new("date", DataType::Utf8, true),
        Field::new("n", DataType::Int64, false),
    ]));
    let n: ArrayRef = Arc::new(Int64Array::from_iter_values(
        first..first + rows.len() as i64,
    ));
    let cols: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(s("id"))),
        body,
        Arc::new(StringArray::from(s("outlet"))),
        Arc::new(StringArray::from(s("date"))),
        n,
    ];
    let batch = RecordBatch::try_new(schema, cols).unwrap();
    let props = WriterProperties::builder()
        .set_max_row_group_size(700)
        .build();
    write_batch(path, &batch, props);
}

/// The records of the three `arabic_news` files, in order (`None` without
/// ../shared).
fn arabic_news() -> Option<Vec<Value>> {
    let shared = crate::common::shared()?;
    let files = ["saudinewsnet", "ant_multisource", "ant_jawharafm"];
    let path = |name: &str| shared.join(format!("corpora/arabic_news/{name}.jsonl"));
    Some(
        files
            .iter()
            .flat_map(|n| crate::common::read_jsonl(&path(n)))
            .collect(),
    )
}

/// The rows of a Parquet file as JSON records (`body` read as text).
fn parquet_records(path: &Path) -> Vec<Value> {
    let mut out = Vec::new();
    for b in read_back(path) {
        let body = arrow_cast::cast(b.column_by_name("body").unwrap(), &DataType::Utf8).unwrap();
        let body = body.as_any().downcast_ref::<StringArray>().unwrap();
        let col = |k: &str| {
            b.column_by_name(k)
                .unwrap()
                .as_any()
                .downcast_ref::<StringArray>()
                .unwrap()
                .clone()
        };
        let (id, outlet, date) = (col("doc_id"), col("outlet"), col("date"));
        let n = b.column_by_name("n").unwrap();
        let n = n.as_any().downcast_ref::<Int64Array>().unwrap();
        for i in 0..b.num_rows() {
            out.push(serde_json::json!({
                "doc_id": id.value(i), "body": body.value(i), "outlet": outlet.value(i),
                "date": date.value(i), "n": n.value(i),
            }));
        }
    }
    out
}

/// The clean job on Parquet inputs writes `kept.parquet`: the kept rows in input
/// order, every column as read but the text, which is the cleaned text, exactly
/// the records `kept.jsonl` holds for the same inputs. Real news from three
/// outlets, boilerplate counted per outlet, with rows that are emptied or
/// rejected (a null text, a repeated id) between kept ones, across record
/// batches and two files.
#[test]
fn the_clean_job_writes_parquet_rows_with_the_cleaned_text() {
    let Some(mut rows) = arabic_news() else {
        return;
    };
    // Every 97th text is chrome alone (emptied); every 101st is null
    // (rejected); row 500 repeats row 499's id (rejected).
    for (i, r) in rows.iter_mut().enumerate() {
        if i % 97 == 3 {
            r["text"] = "// انتهى //".into();
        } else if i % 101 == 5 {
            r["text"] = Value::Null;
        }
    }
    rows[500]["id"] = rows[499]["id"].clone();
    let tmp = tempfile::tempdir().unwrap();
    for kind in ["string", "dictionary"] {
        let (a, b) = (tmp.path().join("a.parquet"), tmp.path().join("b.parquet"));
        write_records(&a, &rows[..1300], 0, kind);
        write_records(&b, &rows[1300..], 1300, kind);
        let inputs = [a, b];
        let run = |format: OutputFormat| {
            let out = tmp.path().join(format!("{kind}-{format:?}"));
            let mut c = Config {
                input: cfg(),
                on_error: OnError::Skip,
                ..Config::default()
            };
            c.clean.boilerplate.group_by = "field:outlet".parse().unwrap();
            c.output.format = format;
            let s = corpus_core::clean::run_clean(&inputs, &out, &c, None).unwrap();
            (s, out)
        };
        let (s, pq) = run(OutputFormat::Auto);
        let (sj, js) = run(OutputFormat::Jsonl);
        assert!(!pq.join("kept.jsonl").exists());
        assert_eq!(s.counts, sj.counts);
        let c = &s.counts;
        assert!(
            c.emptied >= 20 && c.rejected >= 20 && c.kept > 1800,
            "{c:?}"
        );
        assert!(
            c.cuts_by_rule.get("boilerplate").is_some_and(|&n| n > 0),
            "{c:?}"
        );
        for f in ["removed.jsonl", "emptied.jsonl", "rejects.jsonl"] {
            let read = |d: &Path| std::fs::read_to_string(d.join(f)).unwrap();
            assert_eq!(read(&pq), read(&js), "{f}");
        }
        let want: Vec<Value> = std::fs::read_to_string(js.join("kept.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let got = parquet_records(&pq.join("kept.parquet"));
        assert_eq!(got.len() as u64, c.kept);
        assert_eq!(got, want, "{kind}");
        // Some texts were cut, and the cut ones are what was written.
        let cut = got
            .iter()
            .filter(|r| rows[r["n"].as_u64().unwrap() as usize]["text"] != r["body"])
            .count();
        assert!(cut > 100, "{cut}");
    }
}

/// Parquet output carries one schema: inputs whose schemas differ are refused
/// before any work (so before the null text in the first file is met), by both
/// jobs; JSON Lines output takes them.
#[test]
fn inputs_of_different_schemas_are_refused_before_any_work() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a.parquet"), tmp.path().join("b.parquet"));
    write_parquet(&a, "string", true);
    write_parquet(&b, "large_string", false);
    let inputs = [a, b];
    for format in [OutputFormat::Auto, OutputFormat::Parquet] {
        let mut c = Config {
            input: cfg(),
            ..Config::default()
        };
        c.output.format = format;
        let out = tmp.path().join("o");
        let e = run_dedup(&inputs, &out, &c, None).unwrap_err();
        assert!(
            matches!(&e, Error::Config(m) if m.contains("b.parquet")),
            "{e}"
        );
        let e = corpus_core::clean::run_clean(&inputs, &out, &c, None).unwrap_err();
        assert!(
            matches!(&e, Error::Config(m) if m.contains("b.parquet")),
            "{e}"
        );
        assert!(!out.exists());
    }
    let s = run(&inputs, &tmp.path().join("j"), OutputFormat::Jsonl);
    assert_eq!(s.counts.input, 15);
}

/// Compressing or sharding the kept records is for JSON Lines: asked with
/// Parquet output, both jobs refuse before any work; with JSON Lines output
/// from Parquet inputs, they apply.
#[test]
fn compress_and_shards_are_for_json_lines_output() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("in.parquet");
    write_parquet(&p, "string", false);
    for (compress, shard_size) in [(true, None), (false, Some(1000))] {
        let mut c = Config {
            input: cfg(),
            ..Config::default()
        };
        c.output.compress = compress;
        c.output.shard_size = shard_size;
        let out = tmp.path().join("o");
        let e = run_dedup(std::slice::from_ref(&p), &out, &c, None).unwrap_err();
        assert!(
            matches!(&e, Error::Config(m) if m.contains("JSON Lines")),
            "{e}"
        );
        let e =
            corpus_core::clean::run_clean(std::slice::from_ref(&p), &out, &c, None).unwrap_err();
        assert!(
            matches!(&e, Error::Config(m) if m.contains("JSON Lines")),
            "{e}"
        );
        c.output.format = OutputFormat::Jsonl;
        let s = corpus_core::clean::run_clean(std::slice::from_ref(&p), &out, &c, None).unwrap();
        let first = if compress {
            "kept.jsonl.zst"
        } else {
            "kept-00000.jsonl"
        };
        assert!(out.join(first).exists() && s.counts.kept == 7, "{compress}");
        std::fs::remove_dir_all(&out).unwrap();
    }
}

/// `kept.parquet` is written from batches, without documents; the audit's
/// sampled members are read again, those rows alone, for their texts: the audit
/// is the one a JSON Lines output gives for the same rows (it had no exact
/// similarities and no text starts).
#[test]
fn the_audit_of_a_parquet_output_has_its_texts_and_exact_similarities() {
    let Some(rows) = arabic_news() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    // Two files, three row groups of 700 rows.
    let (a, b) = (tmp.path().join("a.parquet"), tmp.path().join("b.parquet"));
    write_records(&a, &rows[..1300], 0, "string");
    write_records(&b, &rows[1300..], 1300, "string");
    let inputs = [a, b];
    let audit = |format: OutputFormat| -> Value {
        let out = tmp.path().join(format!("{format:?}"));
        run(&inputs, &out, format);
        serde_json::from_str(&std::fs::read_to_string(out.join("audit.json")).unwrap()).unwrap()
    };
    let (parquet, jsonl) = (audit(OutputFormat::Parquet), audit(OutputFormat::Jsonl));
    assert_eq!(parquet, jsonl);
    let members: Vec<&Value> = parquet["sample"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["members"].as_array().unwrap())
        .collect();
    assert!(members.len() >= 20, "{}", members.len());
    for m in members {
        assert!(m["exact_jaccard"].as_f64().is_some(), "{m}");
        assert!(
            m["text_start"]
                .as_str()
                .is_some_and(|t| t.chars().count() > 50),
            "{m}"
        );
    }
}

/// A float id column (a pandas column of integers made float by a missing
/// value) reads as a table in memory reads it: an integral value as an
/// integer, NaN as a missing id (the row's place), others as JSON writes them.
#[test]
fn float_ids_read_as_a_table_in_memory_reads_them() {
    use arrow_array::Float64Array;
    let tmp = tempfile::tempdir().unwrap();
    let ids: ArrayRef = Arc::new(Float64Array::from(vec![1.0, 2.5, f64::NAN, 1e20]));
    let texts: ArrayRef = Arc::new(StringArray::from((1..5).map(seed).collect::<Vec<String>>()));
    let batch =
        RecordBatch::try_from_iter([("doc_id", ids.clone()), ("body", texts.clone())]).unwrap();
    let path = tmp.path().join("floats.parquet");
    write_batch(&path, &batch, WriterProperties::default());
    run(
        std::slice::from_ref(&path),
        &tmp.path().join("out"),
        OutputFormat::Jsonl,
    );
    let from_file: Vec<String> = crate::common::read_jsonl(&tmp.path().join("out/clusters.jsonl"))
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect();
    let mut from_file = from_file;
    from_file.sort();
    let place = format!("{}:3", path.display());
    let mut want = vec![place, "1".into(), "1e+20".into(), "2.5".into()];
    want.sort();
    assert_eq!(from_file, want);
    // The same rows in memory.
    let records = corpus_core::io::ArrowRecords::new(&batch, &["doc_id", "body"]).unwrap();
    let input = cfg();
    let in_memory: Vec<String> = (0..4)
        .map(|r| {
            let map = records.fields(r).unwrap();
            let origin = corpus_core::Origin {
                path: path.as_path().into(),
                line: r as u64 + 1,
            };
            let place = origin.to_string();
            input.record_from_fields(map, origin, || place).unwrap().id
        })
        .collect();
    let mut in_memory = in_memory;
    in_memory.sort();
    assert_eq!(in_memory, from_file);
}

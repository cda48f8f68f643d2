//! The reader on the Arabic development corpus: JSONL plain, zstd, and in a
//! legacy encoding through the transcoder; and the same records read from an
//! Arrow table, as the Python package reads tables.

#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::hint::black_box;
use std::path::{Path, PathBuf};

use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, StringArray};
use corpus_core::Origin;
use corpus_core::io::{ArrowRecords, InputConfig, Reader, list_inputs};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn read_all(path: &Path, cfg: &InputConfig) -> usize {
    let files = list_inputs(&[path.to_path_buf()], None).expect("input exists");
    Reader::new(files, cfg.clone())
        .map(|d| d.map(|d| d.text.len()).unwrap_or(0))
        .sum()
}

fn bench(c: &mut Criterion) {
    let texts = corpus_bench::arabic_texts();
    let body: String = texts
        .iter()
        .enumerate()
        .map(|(i, t)| serde_json::json!({"id": i, "text": t}).to_string() + "\n")
        .collect();
    let dir = std::env::temp_dir().join(format!("ghirbal-read-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let plain = dir.join("a.jsonl");
    std::fs::write(&plain, &body).expect("write");
    let zst = dir.join("a.jsonl.zst");
    std::fs::write(&zst, zstd::encode_all(body.as_bytes(), 3).expect("zstd")).expect("write");
    // Text a windows-1256 file can hold (those seeds' characters all map).
    let (cp, _, _) = encoding_rs::WINDOWS_1256.encode(&body);
    let legacy = dir.join("a-1256.jsonl");
    std::fs::write(&legacy, &cp).expect("write");

    let mut g = c.benchmark_group("read");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(body.len() as u64));
    let utf8 = InputConfig::default();
    let auto = InputConfig {
        encoding: "auto".into(),
        ..InputConfig::default()
    };
    let cases: [(&str, &PathBuf, &InputConfig); 3] = [
        ("ar/jsonl", &plain, &utf8),
        ("ar/jsonl.zst", &zst, &utf8),
        ("ar/windows-1256-auto", &legacy, &auto),
    ];
    for (name, path, cfg) in cases {
        g.bench_function(name, |b| b.iter(|| black_box(read_all(path, cfg))));
    }
    // The same records handed over as an Arrow table (Python's tables and
    // frames): each row read from its columns into a document.
    let ids: Vec<String> = (0..texts.len()).map(|i| i.to_string()).collect();
    let table = RecordBatch::try_from_iter([
        ("id", Arc::new(StringArray::from(ids)) as ArrayRef),
        (
            "text",
            Arc::new(StringArray::from(texts.clone())) as ArrayRef,
        ),
    ])
    .expect("batch");
    g.bench_function("ar/arrow-records", |b| {
        b.iter(|| {
            let rows = ArrowRecords::new(&table, &["id", "text"]).expect("records");
            let origin = || Origin {
                path: Path::new("docs").into(),
                line: 0,
            };
            (0..rows.len())
                .map(|i| {
                    let fields = rows.fields(i).expect("row");
                    let doc = utf8.record_from_fields(fields, origin(), String::new);
                    doc.map(|d| d.text.len()).unwrap_or(0)
                })
                .sum::<usize>()
        });
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);

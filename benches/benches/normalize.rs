//! Normalization throughput on the concatenated Arabic development news
//! (`../shared/corpora/arabic_news`), single thread: texts, an Arrow column of
//! them (the Python package's `normalize_arrow`) and JSON Lines records of them
//! (`ghirbal normalize --jsonl`).
#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, StringArray};
use corpus_core::io::normalize_texts;
use corpus_core::normalize::normalize_jsonl;

use corpus_core::normalize::{NormalizeConfig, Normalizer, Profile, detect, words};
use corpus_core::pipeline::key_language;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let texts = corpus_bench::arabic_texts();
    let bytes: usize = texts.iter().map(String::len).sum();
    let key = Normalizer::new(&NormalizeConfig::profile(Profile::Key)).expect("key");
    let stored = Normalizer::new(&NormalizeConfig::profile(Profile::Stored)).expect("stored");

    let mut g = c.benchmark_group("normalize");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes as u64));
    for (name, n) in [("ar/key", &key), ("ar/stored", &stored)] {
        g.bench_function(name, |b| {
            let mut out = String::new();
            b.iter(|| {
                for t in &texts {
                    n.normalize_into(black_box(t), &mut out);
                    black_box(&out);
                }
            })
        });
    }
    g.bench_function("ar/key+offsets", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(key.normalize_with_offsets(black_box(t)));
            }
        })
    });
    g.bench_function("ar/key-reference", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(key.normalize_reference(black_box(t)));
            }
        })
    });
    g.bench_function("ar/detect", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(detect(black_box(t)));
            }
        })
    });
    // The pipeline's language label on English news: the function-word test
    // decides most of them before the trigram detector.
    let english = corpus_bench::english_texts();
    if !english.is_empty() {
        let keys: Vec<String> = english
            .iter()
            .map(|t| key.normalize(t).into_owned())
            .collect();
        g.bench_function("en/key_language", |b| {
            b.iter(|| {
                for k in &keys {
                    black_box(key_language(black_box(k)));
                }
            })
        });
    }
    // The column and stream paths run on a pool: one thread here.
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool");
    let column: ArrayRef = Arc::new(StringArray::from_iter_values(&texts));
    g.bench_function("ar/key-arrow-column", |b| {
        b.iter(|| {
            one.install(|| {
                black_box(normalize_texts(std::slice::from_ref(&column), &key).expect("texts"))
            })
        })
    });
    let jsonl: String = texts
        .iter()
        .map(|t| format!("{}\n", serde_json::json!({"id": 1, "text": t})))
        .collect();
    g.bench_function("ar/key-jsonl", |b| {
        b.iter(|| {
            one.install(|| {
                let mut out = Vec::with_capacity(jsonl.len());
                normalize_jsonl(&key, "text", jsonl.as_bytes(), &mut out, Path::new("-"))
                    .expect("records");
                black_box(out)
            })
        })
    });
    g.bench_function("ar/words", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(words(black_box(t)).count());
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Cleaning throughput on the Arabic development corpus: the single-document
//! rules alone, the boilerplate count (pass 1), rules + boilerplate (pass 2), and
//! rules + boilerplate with the passages they leave, counted (`--passages`).

#![allow(missing_docs)] // criterion_group! generates an undocumented pub fn

use std::hint::black_box;

use corpus_core::clean::{BoilerplateCounter, CleanConfig, Cleaner, PassageCounter};
use corpus_core::{Document, Origin};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let texts = corpus_bench::arabic_texts();
    let bytes: usize = texts.iter().map(String::len).sum();
    let cfg = CleanConfig::default();
    let cleaner = Cleaner::new(&cfg).expect("default config");
    let origin = Origin {
        path: std::path::Path::new("bench").into(),
        line: 0,
    };
    let docs: Vec<Document> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| Document {
            id: i.to_string(),
            text: t.clone(),
            origin: origin.clone(),
            raw: None,
        })
        .collect();

    let mut g = c.benchmark_group("clean");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("ar/rules", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(cleaner.cuts(black_box(t)));
            }
        })
    });
    let count = || {
        let mut counter = BoilerplateCounter::new(&cfg.boilerplate);
        for d in &docs {
            counter.count_document(&cleaner, d);
        }
        counter.finish()
    };
    g.bench_function("ar/boilerplate_count", |b| b.iter(|| black_box(count())));
    let model = count();
    g.bench_function("ar/rules_and_boilerplate", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(cleaner.cuts_with(black_box(t), &model, ""));
            }
        })
    });
    // The `--passages` count: the cuts of pass 2 with the whole long lines they
    // leave, hashed and counted (against `rules_and_boilerplate`: their cost).
    let min = cfg.passages.min_chars;
    g.bench_function("ar/rules_boilerplate_and_passage_count", |b| {
        b.iter(|| {
            let mut counter = PassageCounter::new();
            for d in &docs {
                let (_, found) = cleaner.cuts_and_passages(&d.text, Some((&model, "")), min);
                counter.add(&d.id, &found).expect("a bench corpus");
            }
            black_box(counter.finish())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

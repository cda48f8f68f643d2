//! Shingling + MinHash signatures and clustering on the Arabic development corpus.
#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::hint::black_box;

use corpus_core::dedup::{DedupConfig, Member, Sketcher, cluster};
use corpus_core::normalize::{NormalizeConfig, Normalizer};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let texts = corpus_bench::arabic_texts();
    let key = Normalizer::new(&NormalizeConfig::default()).expect("key profile");
    let keys: Vec<String> = texts
        .iter()
        .map(|t| key.normalize(t).into_owned())
        .collect();
    let bytes: usize = keys.iter().map(String::len).sum();
    let sketcher = Sketcher::new(&DedupConfig::default()).expect("default config");

    let mut g = c.benchmark_group("dedup");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("ar/sketch", |b| {
        let mut scratch = Vec::new();
        b.iter(|| {
            for k in &keys {
                black_box(sketcher.sketch(black_box(k), &mut scratch));
            }
        })
    });
    let mut scratch = Vec::new();
    let members: Vec<Member> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| Member {
            id: format!("{i:06}"),
            sketch: sketcher.sketch(k, &mut scratch),
            chrome: 0,
            rank: None,
        })
        .collect();
    g.throughput(Throughput::Elements(members.len() as u64));
    g.bench_function("ar/cluster", |b| {
        b.iter(|| black_box(cluster(&members, &DedupConfig::default())))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Hot paths of the near-duplicate engine on the Arabic development corpus:
//! shingling, signatures (each vector kernel this CPU has), whole sketches (word
//! and character shingles), LSH bucketing, pair verification, union-find and
//! clustering.
//!
//! `cargo bench -p corpus-bench --bench dedup` (add `-- --save-baseline main` /
//! `--baseline main` to compare branches).

#![allow(missing_docs)] // criterion_group! generates an undocumented function

use std::hint::black_box;

use corpus_core::dedup::{
    DedupConfig, Kernel, Member, Scratch, Shingle, Sketcher, UnionFind, band_entry, bucket_pairs,
    cluster, lsh_bands,
};
use corpus_core::normalize::{NormalizeConfig, Normalizer};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let texts = corpus_bench::arabic_texts();
    let key = Normalizer::new(&NormalizeConfig::default()).expect("key profile");
    let keys: Vec<String> = texts
        .iter()
        .map(|t| key.normalize(t).into_owned())
        .collect();
    let bytes: u64 = keys.iter().map(|k| k.len() as u64).sum();
    let cfg = DedupConfig::default();
    let sketcher = Sketcher::new(&cfg).expect("default config");

    let mut g = c.benchmark_group("dedup");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("ar/shingle", |b| {
        b.iter(|| {
            for k in &keys {
                black_box(sketcher.shingle_set(black_box(k)));
            }
        })
    });
    g.bench_function("ar/sketch", |b| {
        let mut scratch = Scratch::default();
        b.iter(|| {
            for k in &keys {
                black_box(sketcher.sketch_with(black_box(k), &mut scratch));
            }
        })
    });
    // The same texts in character 6-grams (`shingle = "chars"`).
    let chars = Sketcher::new(&DedupConfig {
        shingle: Shingle::Chars,
        ..DedupConfig::default()
    })
    .expect("character shingles");
    g.bench_function("ar/sketch_chars", |b| {
        let mut scratch = Scratch::default();
        b.iter(|| {
            for k in &keys {
                black_box(chars.sketch_with(black_box(k), &mut scratch));
            }
        })
    });

    let sets: Vec<Vec<u64>> = keys.iter().map(|k| sketcher.shingle_set(k)).collect();
    let shingles: u64 = sets.iter().map(|s| s.len() as u64).sum();
    g.throughput(Throughput::Elements(shingles));
    for kernel in Kernel::ALL.into_iter().filter(|k| k.available()) {
        g.bench_function(format!("signature/{kernel:?}"), |b| {
            let mut out = Vec::new();
            b.iter(|| {
                for s in &sets {
                    sketcher.signature_from_hashes(black_box(s), &mut out, kernel);
                    black_box(&out);
                }
            })
        });
    }

    let mut scratch = Scratch::default();
    let members: Vec<Member> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| Member {
            id: format!("{i:06}"),
            sketch: sketcher.sketch_with(k, &mut scratch),
            chrome: 0,
            rank: None,
        })
        .collect();
    let n = members.len() as u64;
    let (bands, rows) = lsh_bands(&cfg);
    g.throughput(Throughput::Elements(n * bands as u64));
    g.bench_function("lsh/bucket", |b| {
        b.iter(|| {
            let mut total = 0;
            for band in 0..bands {
                let mut keys: Vec<u64> = members
                    .iter()
                    .enumerate()
                    .map(|(p, m)| {
                        band_entry(&m.sketch.sig[band * rows..(band + 1) * rows], p as u32)
                    })
                    .collect();
                keys.sort_unstable();
                total += bucket_pairs(&keys).len();
            }
            black_box(total)
        })
    });

    // Verification: every document against its 8 successors.
    let pairs: Vec<(usize, usize)> = (0..members.len())
        .flat_map(|i| (i + 1..(i + 9).min(members.len())).map(move |j| (i, j)))
        .collect();
    g.throughput(Throughput::Elements(pairs.len() as u64));
    g.bench_function("verify/estimate", |b| {
        b.iter(|| {
            let mut joined = 0;
            for &(i, j) in &pairs {
                let (x, y) = (&members[i].sketch, &members[j].sketch);
                let (c, _) = x.containment(y);
                joined += (x.jaccard(y) >= 0.8 || (c >= 0.65 && !x.numbers_conflict(y))) as usize;
            }
            black_box(joined)
        })
    });

    g.bench_function("verify/exact", |b| {
        b.iter(|| {
            let mut own = 0;
            for &(i, j) in &pairs {
                let (x, y) = (&members[i].sketch, &members[j].sketch);
                own += x.own_passages(y, 8).map_or(0, |(o, _)| o);
            }
            black_box(own)
        })
    });

    let edges: Vec<(u32, u32)> = (0..1_000_000u64)
        .map(|i| {
            let h = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            ((h >> 40) as u32 % 200_000, (h >> 10) as u32 % 200_000)
        })
        .collect();
    g.throughput(Throughput::Elements(edges.len() as u64));
    g.bench_function("union_find/1M_edges", |b| {
        b.iter(|| {
            let mut uf = UnionFind::new(200_000);
            for &(a, b) in &edges {
                uf.union(a, b);
            }
            black_box(uf.find(0))
        })
    });

    g.throughput(Throughput::Elements(n));
    g.bench_function("ar/cluster", |b| {
        b.iter(|| black_box(cluster(&members, &cfg)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

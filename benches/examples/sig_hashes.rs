//! Signatures alone, from the same 64-bit shingle hashes on both sides: writes the
//! shingle hashes of the Arabic development corpus (word 3-grams of the key text)
//! for `benches/compare_signatures.py`, and times our kernel on them (one thread).
//!
//! ```text
//! cargo run --release -p corpus-bench --example sig_hashes -- OUT_PREFIX [RUNS [REPEAT]]
//! ```
//! Writes `OUT_PREFIX.u64` (all hashes, little-endian), `OUT_PREFIX.offsets.u64`
//! (row offsets, n + 1 values) and `OUT_PREFIX.version` unless this signature
//! version made them, and prints one JSON line per
//! kernel: the median over RUNS of the time to sign every document REPEAT times
//! (default 5 and 10).

#![allow(clippy::print_stdout, clippy::print_stderr)] // a report printer

use std::io::Write;
use std::time::Instant;

use corpus_core::dedup::{DedupConfig, Kernel, Sketcher};
use corpus_core::normalize::{NormalizeConfig, Normalizer};

fn main() {
    let mut args = std::env::args().skip(1);
    let prefix = args.next().unwrap_or_else(|| {
        eprintln!("usage: sig_hashes OUT_PREFIX [RUNS]");
        std::process::exit(2);
    });
    let runs: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(5);
    let repeat: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(10);
    let key = Normalizer::new(&NormalizeConfig::default()).expect("key profile");
    let sketcher = Sketcher::new(&DedupConfig::default()).expect("default config");
    let sets: Vec<Vec<u64>> = corpus_bench::arabic_texts()
        .iter()
        .map(|t| sketcher.shingle_set(&key.normalize(t)))
        .collect();
    let total: usize = sets.iter().map(Vec::len).sum::<usize>() * repeat;
    // The files are reused only when made by this signature version (they hold
    // its shingle hashes; the version is in `PREFIX.version`).
    let version = corpus_core::dedup::SIGNATURE_VERSION.to_string();
    let made_by = std::fs::read_to_string(format!("{prefix}.version")).unwrap_or_default();
    if std::path::Path::new(&format!("{prefix}.offsets.u64")).exists() && made_by == version {
        return time_kernels(&sketcher, &sets, total, runs, repeat);
    }
    let mut flat =
        std::io::BufWriter::new(std::fs::File::create(format!("{prefix}.u64")).expect("create"));
    let mut offs = std::io::BufWriter::new(
        std::fs::File::create(format!("{prefix}.offsets.u64")).expect("create"),
    );
    let mut off = 0u64;
    offs.write_all(&off.to_le_bytes()).expect("write");
    for s in &sets {
        for h in s {
            flat.write_all(&h.to_le_bytes()).expect("write");
        }
        off += s.len() as u64;
        offs.write_all(&off.to_le_bytes()).expect("write");
    }
    flat.flush().expect("flush");
    offs.flush().expect("flush");
    std::fs::write(format!("{prefix}.version"), &version).expect("write");
    time_kernels(&sketcher, &sets, total, runs, repeat);
}

fn time_kernels(sketcher: &Sketcher, sets: &[Vec<u64>], total: usize, runs: usize, repeat: usize) {
    for kernel in Kernel::ALL.into_iter().filter(|k| k.available()) {
        let name = match kernel {
            Kernel::Auto => format!("ghirbal (run-time choice: {:?})", Kernel::detect()),
            k => format!("ghirbal ({k:?} kernel)"),
        };
        let mut times = Vec::new();
        let mut out = Vec::new();
        // One untimed pass first: caches, page faults and clock ramp-up would
        // otherwise be charged to whichever kernel runs first.
        for s in sets {
            sketcher.signature_from_hashes(s, &mut out, kernel);
        }
        for _ in 0..runs {
            let t = Instant::now();
            for _ in 0..repeat {
                for s in sets {
                    sketcher.signature_from_hashes(s, &mut out, kernel);
                    std::hint::black_box(&out);
                }
            }
            times.push(t.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        let med = times[times.len() / 2];
        println!(
            "{{\"tool\": \"{name}\", \"docs\": {}, \"shingles\": {total}, \"num_perm\": 128, \"median_s\": {med:.5}, \"mshingles_per_s\": {:.2}}}",
            sets.len() * repeat,
            total as f64 / med / 1e6
        );
    }
}

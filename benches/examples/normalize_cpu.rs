//! Key-profile throughput on the Arabic development news, single thread, by
//! wall clock and by this thread's CPU time (Linux `schedstat`). On a shared
//! machine the CPU-time figure is the steadier one.
//!
//! `cargo run --release -p corpus-bench --example normalize_cpu [-- PROFILE]`
#![allow(clippy::print_stdout)]

use std::time::Instant;

use corpus_core::normalize::{NormalizeConfig, Normalizer, Profile};

fn main() {
    let profile: Profile = std::env::args()
        .nth(1)
        .map_or(Ok(Profile::Key), |p| p.parse())
        .expect("profile: stored, key or none");
    let texts = corpus_bench::arabic_texts();
    let bytes: usize = texts.iter().map(String::len).sum();
    let t0 = Instant::now();
    let n = Normalizer::new(&NormalizeConfig::profile(profile)).expect("normalizer");
    println!(
        "{profile:?}: {} documents, {bytes} bytes; tables built in {:?}",
        texts.len(),
        t0.elapsed()
    );
    let mut out = String::new();
    for round in 1..=5 {
        let (w0, c0) = (Instant::now(), corpus_bench::thread_cpu_seconds());
        for t in &texts {
            n.normalize_into(t, &mut out);
        }
        let wall = w0.elapsed().as_secs_f64();
        let cpu = corpus_bench::thread_cpu_seconds()
            .zip(c0)
            .map(|(b, a)| b - a);
        let mbs = |s: f64| bytes as f64 / s / 1e6;
        match cpu {
            Some(c) => println!(
                "round {round}: wall {:.0} MB/s, cpu {:.0} MB/s",
                mbs(wall),
                mbs(c)
            ),
            None => println!("round {round}: wall {:.0} MB/s", mbs(wall)),
        }
    }
}

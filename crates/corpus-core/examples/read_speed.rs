//! Streams every record of the given inputs through `corpus_core::io::Reader`
//! and prints one JSON line: records, decompressed text bytes, seconds, MB/s.
//! Used by benches/scripts/read_speed.py; run with `--release`.

#![allow(clippy::print_stdout)] // a measuring tool prints its result

use std::path::PathBuf;
use std::time::Instant;

use corpus_core::io::{InputConfig, Reader, list_inputs};

fn main() -> Result<(), corpus_core::Error> {
    let inputs: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let files = list_inputs(&inputs, None)?;
    let t = Instant::now();
    let (mut records, mut bytes, mut errors) = (0u64, 0u64, 0u64);
    for item in Reader::new(files, InputConfig::default()) {
        match item {
            Ok(d) => {
                records += 1;
                bytes += d.text.len() as u64;
            }
            Err(_) => errors += 1,
        }
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "{{\"tool\":\"ghirbal\",\"records\":{records},\"errors\":{errors},\"text_bytes\":{bytes},\"seconds\":{s:.3},\"text_mb_per_s\":{:.1}}}",
        bytes as f64 / 1e6 / s
    );
    Ok(())
}

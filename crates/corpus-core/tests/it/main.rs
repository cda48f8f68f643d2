//! Integration tests of corpus-core (one binary).
// Tests report what they measured on stderr.
#![allow(clippy::print_stderr)]

mod clean;
mod common;
mod contract;
mod dedup;
mod determinism;
mod formats;
mod fuzz_replay;
mod memory;
mod news;
mod normalize_detect;
mod normalize_jsonl;
mod normalize_props;
mod normalize_vectors;
#[cfg(feature = "parquet")]
mod parquet;
mod passages;
mod seeds;

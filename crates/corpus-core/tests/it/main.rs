//! Integration tests of corpus-core (one binary).

mod clean;
mod common;
mod contract;
mod dedup;
mod determinism;
mod formats;
mod fuzz_replay;
mod memory;
mod news;
#[cfg(feature = "parquet")]
mod parquet;
mod seeds;

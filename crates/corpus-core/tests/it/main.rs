//! Integration tests of corpus-core (one binary).

mod common;
mod determinism;
mod formats;
mod fuzz_replay;
#[cfg(feature = "parquet")]
mod parquet;
mod seeds;

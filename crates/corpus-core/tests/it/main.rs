//! Integration tests of corpus-core (one binary).

mod common;
mod determinism;
mod formats;
mod fuzz_replay;
mod seeds;

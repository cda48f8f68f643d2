//! Integration tests of corpus-core (one binary).

mod common;
mod dedup;
mod seeds;

//! Integration tests of corpus-core (one binary).

mod common;
mod memory;
mod seeds;

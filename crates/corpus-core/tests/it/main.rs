//! Integration tests of corpus-core (one binary).

mod common;
mod contract;
mod seeds;

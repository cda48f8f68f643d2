//! Integration tests of corpus-core (one binary).

mod clean;
mod common;
mod seeds;

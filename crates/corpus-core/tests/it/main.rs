//! Integration tests of corpus-core (one binary).

mod common;
mod formats;
mod seeds;

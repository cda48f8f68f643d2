//! Integration tests of corpus-core (one binary).

mod common;
mod contract;
mod news;
mod seeds;

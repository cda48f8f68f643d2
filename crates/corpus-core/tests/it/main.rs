//! Integration tests of corpus-core (one binary).
// Tests report what they measured on stderr.
#![allow(clippy::print_stderr)]

mod common;
mod normalize_detect;
mod normalize_props;
mod normalize_vectors;
mod seeds;

//! Integration tests of corpus-core (one binary).

mod seeds;

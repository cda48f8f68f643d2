//! Duplicate detection: exact (128-bit hash of the key text) and near-duplicate
//! (MinHash over word n-gram shingles, LSH banding, verification, clustering).
//!
//! The engine works on [`Sketch`]es, small fixed-size summaries computed per
//! document (in parallel, by [`Sketcher`]), so memory grows with the number of
//! documents, never with their text.

mod cluster;
mod config;
mod minhash;

pub use cluster::{Member, RankValue, Reason, Verdict, cluster, lsh_bands};
pub use config::{DedupConfig, Survivor};
pub use minhash::{Sketch, Sketcher, lsh_params};

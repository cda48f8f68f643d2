//! Duplicate detection: exact (128-bit hash of the key text) and near-duplicate
//! (MinHash over word or character n-gram shingles, LSH banding, verification, clustering).
//!
//! The engine works on [`Sketch`]es, small fixed-size summaries computed per
//! document (in parallel, by [`Sketcher`]), so memory grows with the number of
//! documents, never with their text.

pub mod audit;
mod cluster;
mod config;
mod date;
pub mod dist;
mod minhash;
mod spread;
mod tokens;

pub use cluster::{
    Member, PairCheck, RankValue, Reason, Rejection, Report, UnionFind, Verdict, band_entry,
    bucket_pairs, cluster, cluster_report, lsh_bands, policy_key, rank_of_policy_key,
};
pub use config::{ClusterMode, DedupConfig, Shingle, Signature, Survivor};
pub use minhash::{Kernel, SIGNATURE_VERSION, Scratch, Sketch, Sketcher, layout_free, lsh_params};

//! Parse, normalize, clean and deduplicate text corpora — Arabic first.
//!
//! The pipeline: [`io`] streams [`Document`]s out of text folders and JSON Lines
//! files; [`clean`] cuts page chrome; [`normalize`] builds the `key` text that
//! [`dedup`] hashes and sketches; [`pipeline`] runs the whole job and writes the
//! output folder described in SCHEMA.md.
//!
//! ```
//! use corpus_core::dedup::{DedupConfig, Sketcher};
//! use corpus_core::normalize::{NormalizeConfig, Normalizer};
//!
//! let key = Normalizer::new(&NormalizeConfig::default())?;
//! let sketcher = Sketcher::new(&DedupConfig::default())?;
//! let mut scratch = Vec::new();
//! let a = sketcher.sketch(&key.normalize("أعلنت الحكومة السورية اليوم عن خطة جديدة للإعمار"), &mut scratch);
//! let b = sketcher.sketch(&key.normalize("اعلنت الحكومة السورية اليوم عن خطة جديدة للاعمار"), &mut scratch);
//! assert_eq!(a.exact, b.exact); // hamza and alef variants fold in the key
//! # Ok::<(), corpus_core::Error>(())
//! ```

#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod checkpoint;
pub mod clean;
mod codec;
pub mod config;
pub mod dedup;
pub mod document;
mod error;
mod hash;
pub mod io;
pub mod normalize;
pub mod pipeline;

pub use config::{Config, OnError};
pub use document::{Document, Origin};
pub use error::{Error, Result};

/// `../shared/corpora` beside the repository (or under `$GHIRBAL_SHARED`), for
/// unit tests on the development corpora; `None` when it is absent, except under
/// `CI=true`, where a missing folder fails the test.
#[cfg(test)]
pub(crate) fn shared_corpora() -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("GHIRBAL_SHARED")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
        .join("corpora");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        !std::env::var("CI").is_ok_and(|v| v == "true"),
        "{} is missing, and CI=true requires it",
        dir.display()
    );
    None
}

/// The texts of the bundled sample corpus, for unit tests on real text.
#[cfg(test)]
pub(crate) fn seed_texts() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../corpora/seeds");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    let texts: Vec<String> = paths
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    assert!(texts.len() >= 5, "the seeds are missing");
    texts
}

//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The bundled sample corpus.
pub fn seeds() -> PathBuf {
    repo().join("corpora/seeds")
}

/// `../shared` beside the repository (or `$GHIRBAL_SHARED`), or `None` when it is
/// absent and we are not in CI. Under `CI=true` a missing folder fails the test.
#[allow(clippy::print_stderr)] // say why a test checked nothing
pub fn shared() -> Option<PathBuf> {
    let dir = std::env::var_os("GHIRBAL_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared"));
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{} is missing, and CI=true requires it", dir.display());
    }
    eprintln!("skipping: {} not found", dir.display());
    None
}

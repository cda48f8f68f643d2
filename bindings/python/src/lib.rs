//! Python bindings of corpus-core: the `ghirbal._core` extension module.
//!
//! Each function converts its arguments, releases the GIL for the work, calls
//! corpus-core and maps errors to the `CorpusError` hierarchy. The pure-Python
//! part of the package (`python/ghirbal`) wraps these into the public API.

mod arrow;
mod clean;
mod cli;
mod dedup;
mod dist;
mod errors;
mod normalize;
mod run;

use pyo3::prelude::*;

// The same allocator as the `ghirbal` binary, for the same reason: a job makes
// a few small allocations per document on every worker thread. Python's own
// objects keep its allocator; memory is always freed by the side that made it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The `ghirbal._core` module.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("STEPS", normalize::all_steps())?;
    errors::register(m)?;
    m.add_function(wrap_pyfunction!(normalize::normalize, m)?)?;
    m.add_class::<normalize::PyNormalizer>()?;
    m.add_function(wrap_pyfunction!(dedup::dedup, m)?)?;
    m.add_function(wrap_pyfunction!(dedup::dedup_files, m)?)?;
    m.add_function(wrap_pyfunction!(dedup::resolve_config, m)?)?;
    m.add_function(wrap_pyfunction!(dedup::record_fields, m)?)?;
    m.add_class::<dist::PyStages>()?;
    m.add_class::<clean::PyCleanStages>()?;
    m.add_function(wrap_pyfunction!(clean::clean, m)?)?;
    m.add_function(wrap_pyfunction!(clean::clean_files, m)?)?;
    m.add_function(wrap_pyfunction!(cli::_cli_main, m)?)?;
    Ok(())
}

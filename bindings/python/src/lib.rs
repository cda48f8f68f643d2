//! Python bindings of corpus-core: the `ghirbal._core` extension module.

use pyo3::prelude::*;

/// The `ghirbal._core` module.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

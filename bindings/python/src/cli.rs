//! The `ghirbal` command, run from Python.

use std::ffi::OsString;

use pyo3::prelude::*;

/// Runs the `ghirbal` command with `argv` (program name first) and returns its
/// exit status. The GIL is released while it runs.
#[pyfunction]
pub fn _cli_main(py: Python<'_>, argv: Vec<OsString>) -> u8 {
    py.detach(|| corpus_cli::main_from_args(argv))
}

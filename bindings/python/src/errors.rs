//! The exception hierarchy and the mapping of core errors onto it.

use std::io::ErrorKind;

use corpus_core::Error;
use pyo3::create_exception;
use pyo3::exceptions::{
    PyException, PyFileExistsError, PyFileNotFoundError, PyOSError, PyPermissionError,
};
use pyo3::prelude::*;

create_exception!(
    ghirbal,
    CorpusError,
    PyException,
    "Base class of the errors ghirbal raises (file errors are OSError subclasses)."
);
create_exception!(
    ghirbal,
    ConfigError,
    CorpusError,
    "An invalid configuration: unknown key, bad value, unknown step or profile."
);
create_exception!(
    ghirbal,
    DataError,
    CorpusError,
    "Bad input data; the message names the file and line (or docs[index])."
);

/// Maps a core error to its Python exception. The message is the core's own,
/// which already names the file and line.
pub fn to_py(e: Error) -> PyErr {
    let msg = e.to_string();
    match e {
        Error::Config(_) => ConfigError::new_err(msg),
        Error::Record { .. } | Error::Data { .. } => DataError::new_err(msg),
        Error::OutputExists(_) | Error::OutputNotReplaced { .. } => PyFileExistsError::new_err(msg),
        Error::Io { error, .. } => match error.kind() {
            ErrorKind::NotFound => PyFileNotFoundError::new_err(msg),
            ErrorKind::PermissionDenied => PyPermissionError::new_err(msg),
            _ => PyOSError::new_err(msg),
        },
        _ => CorpusError::new_err(msg),
    }
}

/// Registers the exception classes on the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("CorpusError", py.get_type::<CorpusError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("DataError", py.get_type::<DataError>())?;
    Ok(())
}

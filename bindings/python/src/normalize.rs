//! `normalize` and the `Normalizer` class.

use corpus_core::normalize::{NormalizeConfig, Normalizer, Profile, Step};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};
use rayon::prelude::*;

use crate::errors::to_py;

fn config(profile: &str, add: Vec<String>, remove: Vec<String>) -> PyResult<NormalizeConfig> {
    let steps = |names: Vec<String>| -> PyResult<Vec<Step>> {
        names
            .iter()
            .map(|n| n.parse::<Step>().map_err(to_py))
            .collect()
    };
    Ok(NormalizeConfig {
        profile: profile.parse::<Profile>().map_err(to_py)?,
        add: steps(add)?,
        remove: steps(remove)?,
    })
}

/// Step names given as a list, or as one string (comma-separated, as on the
/// command line): a string is not read as its letters.
fn step_names(v: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<String>> {
    let Some(v) = v else {
        return Ok(Vec::new());
    };
    if let Ok(s) = v.extract::<String>() {
        return Ok(s
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect());
    }
    v.extract::<Vec<String>>()
}

fn names(steps: &[Step]) -> Vec<&'static str> {
    steps.iter().map(|s| s.name()).collect()
}

/// Normalizes one text with a profile ("key", "stored" or "none") plus steps
/// added or removed by name.
#[pyfunction]
#[pyo3(signature = (text, profile = "key", add = None, remove = None))]
pub fn normalize(
    text: &str,
    profile: &str,
    add: Option<&Bound<'_, PyAny>>,
    remove: Option<&Bound<'_, PyAny>>,
) -> PyResult<String> {
    let cfg = config(profile, step_names(add)?, step_names(remove)?)?;
    let n = Normalizer::new(&cfg).map_err(to_py)?;
    Ok(n.normalize(text).into_owned())
}

/// A reusable normalizer: a profile plus steps added or removed by name.
#[pyclass(name = "Normalizer", module = "ghirbal._core", frozen)]
pub struct PyNormalizer {
    cfg: NormalizeConfig,
    inner: Normalizer,
}

#[pymethods]
impl PyNormalizer {
    #[new]
    #[pyo3(signature = (profile = "key", add = None, remove = None))]
    fn new(
        profile: &str,
        add: Option<&Bound<'_, PyAny>>,
        remove: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let cfg = config(profile, step_names(add)?, step_names(remove)?)?;
        let inner = Normalizer::new(&cfg).map_err(to_py)?;
        Ok(PyNormalizer { cfg, inner })
    }

    /// Normalizes one text.
    fn normalize(&self, text: &str) -> String {
        self.inner.normalize(text).into_owned()
    }

    /// Normalizes many texts, without holding the GIL, on every core: an
    /// iterable of strings (a `None` stays `None`; anything else is a
    /// `TypeError` naming `texts[i]`), or a column of texts that exports Arrow
    /// (read in place; a null stays `None`; a column of another type is a
    /// `TypeError`).
    fn normalize_batch(
        &self,
        py: Python<'_>,
        texts: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<Option<String>>> {
        let inner = &self.inner;
        if let Some(chunks) = crate::arrow::chunks(texts)? {
            // The column path of `normalize_arrow`, then its strings.
            return py
                .detach(|| {
                    crate::arrow::texts(&[corpus_core::io::normalize_texts(&chunks, inner)?])
                })
                .map_err(crate::arrow::column_error(PyTypeError::new_err));
        }
        if texts.is_instance_of::<PyString>() {
            return Err(PyTypeError::new_err(
                "normalize_batch takes a list of texts, not one str (normalize takes one)",
            ));
        }
        // A None stays None, as a null of an Arrow column does.
        let mut strings = Vec::new();
        for (i, t) in texts.try_iter()?.enumerate() {
            let t = t?;
            strings.push(if t.is_none() {
                None
            } else if let Ok(s) = t.cast::<PyString>() {
                Some(s.to_cow()?.into_owned())
            } else {
                let ty = t.get_type().name()?;
                return Err(PyTypeError::new_err(format!(
                    "texts[{i}] is {ty}, not a str (or None)"
                )));
            });
        }
        Ok(py.detach(|| {
            strings
                .par_iter()
                .with_min_len(64)
                .map(|t| t.as_deref().map(|t| inner.normalize(t).into_owned()))
                .collect()
        }))
    }

    /// Normalizes a column of texts that exports Arrow (a pyarrow array or
    /// chunked array, a pandas or polars series) into a `pyarrow.Array` of
    /// strings (`large_string` past 2 GiB of text; needs pyarrow), without
    /// holding the GIL, on every core; a null stays null. No Python string is
    /// made.
    fn normalize_arrow<'py>(
        &self,
        py: Python<'py>,
        texts: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let Some(chunks) = crate::arrow::chunks(texts)? else {
            return Err(PyTypeError::new_err(
                "normalize_arrow takes a column that exports Arrow (__arrow_c_array__ or \
                 __arrow_c_stream__); normalize_batch takes a list",
            ));
        };
        let inner = &self.inner;
        let array = py
            .detach(|| corpus_core::io::normalize_texts(&chunks, inner))
            .map_err(crate::arrow::column_error(PyTypeError::new_err))?;
        crate::arrow::to_pyarrow(py, &array)
    }

    /// The steps run, in order.
    #[getter]
    fn steps(&self) -> Vec<&'static str> {
        names(self.inner.steps())
    }

    /// The profile this normalizer starts from.
    #[getter]
    fn profile(&self) -> String {
        // The serde name is the public one (as in a TOML file).
        serde_json::to_value(self.cfg.profile)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// Steps added to the profile.
    #[getter]
    fn add(&self) -> Vec<&'static str> {
        names(&self.cfg.add)
    }

    /// Steps removed from the profile.
    #[getter]
    fn remove(&self) -> Vec<&'static str> {
        names(&self.cfg.remove)
    }

    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let me = slf.get();
        let args = (me.profile(), me.add(), me.remove());
        Ok((slf.get_type().into_any(), args.into_pyobject(slf.py())?))
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyNormalizer>()
            .is_ok_and(|o| o.get().inner.steps() == self.inner.steps())
    }

    fn __hash__(&self) -> u64 {
        self.inner
            .steps()
            .iter()
            .fold(17u64, |h, s| h.wrapping_mul(31).wrapping_add(*s as u64))
    }

    fn __repr__(&self) -> String {
        format!(
            "Normalizer(profile={:?}, add={:?}, remove={:?})",
            self.profile(),
            self.add(),
            self.remove()
        )
    }
}

/// Every step name, in the order a normalizer applies them.
pub fn all_steps() -> Vec<&'static str> {
    names(Step::ALL)
}

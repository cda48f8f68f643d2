//! Data handed over through the Arrow PyCapsule interface: a table, frame,
//! chunked array or series (`__arrow_c_stream__`), or one batch or array
//! (`__arrow_c_array__`), read in place.

use arrow_array::ffi::{FFI_ArrowArray, FFI_ArrowSchema, from_ffi, from_ffi_and_data_type};
use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{Array, ArrayRef, make_array};
use arrow_schema::DataType;
use corpus_core::io::ArrowRecords;
use pyo3::exceptions::PyImportError;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::errors::DataError;

fn unreadable(e: impl std::fmt::Display) -> PyErr {
    DataError::new_err(format!("cannot read the Arrow data: {e}"))
}

/// The chunks of `obj` if it exports Arrow, else `None` (also for a pandas
/// series that cannot, without pyarrow: it is then read item by item).
pub(crate) fn chunks(obj: &Bound<'_, PyAny>) -> PyResult<Option<Vec<ArrayRef>>> {
    if obj.hasattr("__arrow_c_stream__")? {
        let capsule = match obj.call_method0("__arrow_c_stream__") {
            Ok(c) => c,
            Err(e) if e.is_instance_of::<PyImportError>(obj.py()) && !obj.hasattr("columns")? => {
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        let ptr = capsule
            .cast::<PyCapsule>()?
            .pointer_checked(Some(c"arrow_array_stream"))?;
        // SAFETY: a capsule named "arrow_array_stream" holds an
        // FFI_ArrowArrayStream; `from_raw` moves the stream out and leaves a
        // released one, which the capsule's destructor then frees.
        #[allow(unsafe_code)]
        let stream = unsafe { FFI_ArrowArrayStream::from_raw(ptr.as_ptr().cast()) };
        return read_stream(stream).map(Some);
    }
    if obj.hasattr("__arrow_c_array__")? {
        let (schema, array): (Bound<'_, PyAny>, Bound<'_, PyAny>) =
            obj.call_method0("__arrow_c_array__")?.extract()?;
        let schema = schema
            .cast::<PyCapsule>()?
            .pointer_checked(Some(c"arrow_schema"))?;
        let array = array
            .cast::<PyCapsule>()?
            .pointer_checked(Some(c"arrow_array"))?;
        // SAFETY: the capsules hold an FFI_ArrowSchema and an FFI_ArrowArray
        // (the Arrow PyCapsule interface). The array is moved out (its capsule
        // then frees a released one); the schema is only read, while its
        // capsule lives.
        #[allow(unsafe_code)]
        let data = unsafe {
            let array = FFI_ArrowArray::from_raw(array.as_ptr().cast());
            from_ffi(array, &*schema.as_ptr().cast::<FFI_ArrowSchema>())
        }
        .map_err(unreadable)?;
        return Ok(Some(vec![make_array(data)]));
    }
    Ok(None)
}

/// The strings of the chunks of a column of texts, in order (`None` for a null).
///
/// # Errors
/// [`corpus_core::Error::Config`] for chunks of another type.
pub(crate) fn texts(chunks: &[ArrayRef]) -> corpus_core::Result<Vec<Option<String>>> {
    let mut all = Vec::with_capacity(chunks.iter().map(|c| c.len()).sum());
    for c in chunks {
        all.extend(ArrowRecords::texts(c)?);
    }
    Ok(all)
}

/// A core error about Arrow data, raised as `kind`: the core calls a column of
/// the wrong type an invalid configuration, while it is the data's type, not a
/// setting's (`DataError` for documents, as a bad record is; `TypeError` for
/// texts to normalize, as a list item that is no string is).
pub(crate) fn column_error(kind: fn(String) -> PyErr) -> impl Fn(corpus_core::Error) -> PyErr {
    move |e| match e {
        corpus_core::Error::Config(msg) => kind(msg),
        e => crate::errors::to_py(e),
    }
}

/// Every array of a stream, of whatever type (a table's are structs).
fn read_stream(mut stream: FFI_ArrowArrayStream) -> PyResult<Vec<ArrayRef>> {
    let (Some(get_schema), Some(get_next)) = (stream.get_schema, stream.get_next) else {
        return Err(unreadable("the stream was released"));
    };
    let mut schema = FFI_ArrowSchema::empty();
    // SAFETY: the stream is live (it has its callbacks) and owned here; it is
    // released when dropped.
    #[allow(unsafe_code)]
    let code = unsafe { get_schema(&mut stream, &mut schema) };
    if code != 0 {
        return Err(unreadable(last_error(&mut stream, code)));
    }
    let data_type = DataType::try_from(&schema).map_err(unreadable)?;
    let mut out = Vec::new();
    loop {
        let mut array = FFI_ArrowArray::empty();
        // SAFETY: as above; each array returned is moved into the import.
        #[allow(unsafe_code)]
        let code = unsafe { get_next(&mut stream, &mut array) };
        if code != 0 {
            return Err(unreadable(last_error(&mut stream, code)));
        }
        if array.is_released() {
            if out.is_empty() {
                // A stream of no rows may send no array (pyarrow's empty batch
                // does): one empty array of its type, so that its columns are
                // checked as those of any table.
                out.push(arrow_array::new_empty_array(&data_type));
            }
            return Ok(out);
        }
        // SAFETY: the array has the stream's schema.
        #[allow(unsafe_code)]
        let data =
            unsafe { from_ffi_and_data_type(array, data_type.clone()) }.map_err(unreadable)?;
        out.push(make_array(data));
    }
}

/// What the stream says of its last error, else the error code.
fn last_error(stream: &mut FFI_ArrowArrayStream, code: i32) -> String {
    let Some(get_last_error) = stream.get_last_error else {
        return format!("error {code}");
    };
    // SAFETY: the stream is live; the message, if any, is a C string it owns
    // until its next call, copied here.
    #[allow(unsafe_code)]
    unsafe {
        let msg = get_last_error(stream);
        if msg.is_null() {
            return format!("error {code}");
        }
        std::ffi::CStr::from_ptr(msg).to_string_lossy().into_owned()
    }
}

/// An array on its way out through the Arrow PyCapsule interface: pyarrow (or
/// any consumer) takes it with `__arrow_c_array__`, once.
#[pyclass(module = "ghirbal._core", name = "_ArrowExport", frozen)]
struct ArrowExport(std::sync::Mutex<Option<(FFI_ArrowSchema, FFI_ArrowArray)>>);

#[pymethods]
impl ArrowExport {
    /// The schema and array capsules (the consumer moves the array out).
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_array__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<(Bound<'py, PyCapsule>, Bound<'py, PyCapsule>)> {
        // The requested schema is a hint the interface lets producers pass over.
        let _ = requested_schema;
        let taken = self.0.lock().ok().and_then(|mut g| g.take());
        let Some((schema, array)) = taken else {
            return Err(pyo3::exceptions::PyRuntimeError::new_err(
                "the array was exported already",
            ));
        };
        Ok((
            PyCapsule::new(py, schema, Some(c"arrow_schema".to_owned()))?,
            PyCapsule::new(py, array, Some(c"arrow_array".to_owned()))?,
        ))
    }
}

/// `array` as a `pyarrow.Array`, handed over in place through the Arrow C data
/// interface.
pub(crate) fn to_pyarrow<'py>(py: Python<'py>, array: &ArrayRef) -> PyResult<Bound<'py, PyAny>> {
    let (array, schema) = arrow_array::ffi::to_ffi(&array.to_data()).map_err(unreadable)?;
    let export = Py::new(
        py,
        ArrowExport(std::sync::Mutex::new(Some((schema, array)))),
    )?;
    py.import("pyarrow")?.call_method1("array", (export,))
}

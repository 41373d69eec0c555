//! Owns what crosses from Python into numjit: which NumPy arrays are read and written in
//! place, Python scalars as numjit scalars, everything else handed to the Python package's
//! `numjit._coerce` (dtype widening, copies of unaligned or byte-swapped data), and owned
//! results as NumPy arrays.
//! Must not make views itself (`raw` does) or run expressions (`lib` does).

use crate::raw;
use numjit::{Arg, Array, Complex64, DType, Out};
use numpy::{PyArray, PyArrayDescrMethods, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyComplex, PyFloat, PyInt};

/// One input of a call, held for the call's duration.
pub(crate) enum Input<'py> {
    /// A NumPy array read in place.
    Array(Bound<'py, PyUntypedArray>, DType),
    /// A byte string (a 0-d `S<len>` value).
    Bytes(Bound<'py, PyBytes>),
    /// A scalar copied into the call.
    Scalar(Arg<'static>),
    /// A name the caller did not bind: numjit reports it, with a suggestion.
    Missing,
}

impl<'py> Input<'py> {
    /// The numjit view of this input (`None` for a missing name).
    pub(crate) fn arg(&self) -> Option<Arg<'_>> {
        match self {
            Input::Array(a, dt) => Some(raw::arg(a, *dt)),
            Input::Bytes(b) => {
                let s = b.as_bytes();
                // NumPy pads byte strings with NULs, so b'' equals b'\0'.
                Some(if s.is_empty() {
                    Arg::bytes(b"\0", 1, &[])
                } else {
                    Arg::bytes(s, s.len(), &[])
                })
            }
            Input::Scalar(a) => Some(a.clone()),
            Input::Missing => None,
        }
    }
}

/// The numjit dtype of `arr` when numjit can read it in place: a numjit dtype in native byte
/// order, aligned, every stride a multiple of the element size.
pub(crate) fn direct(arr: &Bound<'_, PyUntypedArray>) -> Option<DType> {
    let descr = arr.dtype();
    if descr.has_fields() || descr.has_subarray() || descr.is_native_byteorder() == Some(false) {
        return None;
    }
    let size = descr.itemsize();
    let dtype = match (descr.kind(), size) {
        (b'b', 1) => DType::Bool,
        (b'i', 4) => DType::Int32,
        (b'i', 8) => DType::Int64,
        (b'f', 4) => DType::Float32,
        (b'f', 8) => DType::Float64,
        (b'c', 16) => DType::Complex128,
        (b'S', n) if n > 0 => DType::Bytes(n),
        _ => return None,
    };
    if !raw::is_aligned(arr) || arr.strides().iter().any(|s| s % size as isize != 0) {
        return None;
    }
    Some(dtype)
}

/// The Python package's `numjit._coerce.coerce`: any other value → an array `direct` accepts,
/// or a TypeError saying what numjit reads.
fn coerce<'py>(py: Python<'py>, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    static COERCE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let f = COERCE.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
        Ok(py.import("numjit._coerce")?.getattr("coerce")?.unbind())
    })?;
    f.bind(py).call1((value,))
}

/// `value` as a call input.
pub(crate) fn input<'py>(py: Python<'py>, value: &Bound<'py, PyAny>) -> PyResult<Input<'py>> {
    if let Ok(arr) = value.cast::<PyUntypedArray>() {
        if let Some(dt) = direct(arr) {
            return Ok(Input::Array(arr.clone(), dt));
        }
    } else if let Ok(f) = value.cast_exact::<PyFloat>() {
        return Ok(Input::Scalar(Arg::from(f.value())));
    } else if value.is_exact_instance_of::<PyBool>() {
        return Ok(Input::Scalar(Arg::from(value.is_truthy()?)));
    } else if let Ok(i) = value.cast_exact::<PyInt>() {
        if let Ok(v) = i.extract::<i64>() {
            return Ok(Input::Scalar(Arg::from(v)));
        }
    } else if let Ok(c) = value.cast_exact::<PyComplex>() {
        return Ok(Input::Scalar(Arg::from(Complex64::new(c.real(), c.imag()))));
    } else if let Ok(b) = value.cast_exact::<PyBytes>() {
        return Ok(Input::Bytes(b.clone()));
    }
    let arr = coerce(py, value)?;
    let arr = arr.cast_into::<PyUntypedArray>().map_err(|_| {
        PyTypeError::new_err("numjit._coerce returned something other than an array")
    })?;
    match direct(&arr) {
        Some(dt) => Ok(Input::Array(arr, dt)),
        None => Err(PyTypeError::new_err(
            "numjit._coerce returned an array numjit cannot read",
        )),
    }
}

/// How a call's result reaches an `out=` array.
pub(crate) enum Write {
    /// Written in place by numjit's kernels (a numjit dtype, native, aligned, no two positions
    /// sharing memory).
    InPlace(DType),
    /// Computed into a new array first, then copied in by `numpy.copyto` under the casting rule:
    /// a dtype numjit does not compute in, unaligned or byte-swapped data.
    Copy,
    /// Computed into a new array first, then written as NumPy's `out=` writes an output some of
    /// whose positions share memory (a zero stride, or `as_strided` views): the element last
    /// in C order wins (`numjit._out.write_overlapping`).
    Overlapping,
}

/// An `out=` argument and how it is written; errors for what cannot be an output at all.
pub(crate) fn output<'a>(
    value: &'a Bound<'_, PyAny>,
) -> PyResult<(&'a Bound<'a, PyUntypedArray>, Write)> {
    let arr = value.cast::<PyUntypedArray>().map_err(|_| {
        PyTypeError::new_err(format!(
            "out must be a NumPy array, not {}",
            value
                .get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        ))
    })?;
    if !raw::is_writeable(arr) {
        return Err(PyValueError::new_err("output array is read-only"));
    }
    let itemsize = arr.dtype().itemsize();
    if may_overlap_itself(arr.shape(), arr.strides(), itemsize) {
        return Ok((arr, Write::Overlapping));
    }
    Ok((
        arr,
        match direct(arr) {
            Some(DType::Bytes(_)) | None => Write::Copy,
            Some(dt) => Write::InPlace(dt),
        },
    ))
}

/// Whether two positions of an array of `shape` and byte `strides` (elements of `itemsize`
/// bytes) may share memory. Conservative: `false` proves that none do (taken in order of
/// stride, each axis steps past everything the axes before it span); `true` may be a false
/// alarm for unusual layouts, which then only cost a copy. An empty array has no positions.
pub(crate) fn may_overlap_itself(shape: &[usize], strides: &[isize], itemsize: usize) -> bool {
    if shape.contains(&0) {
        return false;
    }
    // (|stride|, length) of the axes longer than one, on the stack (this runs on every call
    // with `out=`; NumPy has at most 64 axes).
    let mut buf = [(0usize, 0usize); 64];
    let mut k = 0;
    for (&n, &s) in shape.iter().zip(strides) {
        if n > 1 {
            let Some(slot) = buf.get_mut(k) else {
                return true;
            };
            *slot = (s.unsigned_abs(), n);
            k += 1;
        }
    }
    let axes = &mut buf[..k];
    axes.sort_unstable();
    // The bytes one position of the axes so far spans, from its first element's start.
    let mut extent = itemsize;
    for &mut (stride, n) in axes {
        if stride < extent {
            return true;
        }
        extent = stride.saturating_mul(n - 1).saturating_add(extent);
    }
    false
}

/// Writes `result` (a new array) into `out`, whose positions may share memory, as NumPy's
/// `out=` does: the Python package's `numjit._out.write_overlapping`.
pub(crate) fn write_overlapping<'py>(
    py: Python<'py>,
    out: &Bound<'py, PyAny>,
    result: &Bound<'py, PyAny>,
    casting: &str,
) -> PyResult<()> {
    static WRITE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let f = WRITE.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
        Ok(py
            .import("numjit._out")?
            .getattr("write_overlapping")?
            .unbind())
    })?;
    f.bind(py).call1((out, result, casting))?;
    Ok(())
}

/// A writable view of an output `output` accepted for writing in place ([`Write::InPlace`]).
pub(crate) fn out_view<'a>(arr: &'a Bound<'_, PyUntypedArray>, dtype: DType) -> Out<'a> {
    raw::out(arr, dtype)
}

/// The most dimensions an array handed to NumPy may have here (rust-numpy's limit; NumPy 2
/// allows 64).
const MAX_DIMS: usize = 32;

/// An owned result as a NumPy array (no copy: NumPy takes over the buffer); a result of more
/// than [`MAX_DIMS`] dimensions is a ValueError.
pub(crate) fn to_numpy(py: Python<'_>, a: Array) -> PyResult<Bound<'_, PyAny>> {
    if a.shape().len() > MAX_DIMS {
        return Err(pyo3::exceptions::PyValueError::new_err(format!(
            "numjit returns arrays of at most {MAX_DIMS} dimensions; this result has {}",
            a.shape().len()
        )));
    }
    Ok(match a {
        Array::Bool(x) => PyArray::from_owned_array(py, x).into_any(),
        Array::Int32(x) => PyArray::from_owned_array(py, x).into_any(),
        Array::Int64(x) => PyArray::from_owned_array(py, x).into_any(),
        Array::Float32(x) => PyArray::from_owned_array(py, x).into_any(),
        Array::Float64(x) => PyArray::from_owned_array(py, x).into_any(),
        Array::Complex128(x) => PyArray::from_owned_array(py, x).into_any(),
    })
}

/// An uninitialised C-order NumPy array of `dtype` and `shape` (`numpy.empty`).
pub(crate) fn empty<'py>(
    py: Python<'py>,
    dtype: DType,
    shape: &[usize],
) -> PyResult<Bound<'py, PyAny>> {
    static EMPTY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let f = EMPTY.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
        Ok(py.import("numpy")?.getattr("empty")?.unbind())
    })?;
    f.bind(py).call1((shape.to_vec(), dtype.name()))
}

//! Owns every `unsafe` of the extension: numjit views over NumPy arrays' memory, and the
//! promise that lets a call's views cross into a region without the GIL.
//! Must not decide which arrays may be read in place (that is `convert`'s job) or run
//! anything: it only builds views and wraps them.

use numjit::{Arg, DType, Out};
use numpy::{PyUntypedArray, PyUntypedArrayMethods};
use pyo3::prelude::*;

/// A NumPy array's data pointer (the address of its element at index 0 of every axis).
fn data(arr: &Bound<'_, PyUntypedArray>) -> *mut u8 {
    // SAFETY: `as_array_ptr` is a live `PyArrayObject` (the `Bound` holds a reference), and
    // reading its `data` field reads no element.
    unsafe { (*arr.as_array_ptr()).fields.data as *mut u8 }
}

/// NumPy's flags of `arr` (NPY_ARRAY_*).
fn flags(arr: &Bound<'_, PyUntypedArray>) -> i32 {
    // SAFETY: as in `data`: a field of the live array object, no element.
    unsafe { (*arr.as_array_ptr()).fields.flags }
}

/// Whether `arr`'s data is aligned for its dtype (NumPy's ALIGNED flag).
pub(crate) fn is_aligned(arr: &Bound<'_, PyUntypedArray>) -> bool {
    flags(arr) & numpy::npyffi::NPY_ARRAY_ALIGNED != 0
}

/// Whether `arr` may be written (NumPy's WRITEABLE flag).
pub(crate) fn is_writeable(arr: &Bound<'_, PyUntypedArray>) -> bool {
    flags(arr) & numpy::npyffi::NPY_ARRAY_WRITEABLE != 0
}

/// Calls `f` with `arr`'s strides in elements of `size` bytes (`convert::direct` has checked
/// they divide evenly), held on the stack up to 16 axes: this runs on every call.
fn with_element_strides<R>(
    arr: &Bound<'_, PyUntypedArray>,
    size: usize,
    f: impl FnOnce(&[isize]) -> R,
) -> R {
    let strides = arr.strides();
    let size = size as isize;
    let mut buf = [0isize; 16];
    if strides.len() <= buf.len() {
        for (b, s) in buf.iter_mut().zip(strides) {
            *b = s / size;
        }
        f(&buf[..strides.len()])
    } else {
        let v: Vec<isize> = strides.iter().map(|s| s / size).collect();
        f(&v)
    }
}

/// A read-only view of `arr`, whose dtype is `dtype`, for as long as `arr` is borrowed.
///
/// The caller (`convert::direct`) has checked that `arr`'s dtype is `dtype` in native byte
/// order, that its data is aligned and that every stride is a multiple of the element size.
pub(crate) fn arg<'a>(arr: &'a Bound<'_, PyUntypedArray>, dtype: DType) -> Arg<'a> {
    with_element_strides(arr, dtype.size(), |strides| {
        // SAFETY: NumPy guarantees that every element `shape` and `strides` reach from `data` lies
        // in the array's buffer; the buffer lives as long as the array, which the borrow `'a`
        // keeps alive (NumPy cannot resize an array others reference). The elements are `dtype`'s
        // (native order) and aligned (checked by the caller). Python code on other threads may
        // write the array while a kernel runs without the GIL, exactly as with numexpr or a NumPy
        // ufunc; no Rust reference to the elements ever exists, only raw reads in kernels.
        unsafe { Arg::from_raw_parts(dtype, data(arr), arr.shape(), strides) }
    })
}

/// A writable view of `arr`, whose dtype is `dtype`: the caller (`convert::output`, giving
/// `Write::InPlace`) has checked it writeable, aligned, native, and that no two of its
/// positions share memory.
pub(crate) fn out<'a>(arr: &'a Bound<'_, PyUntypedArray>, dtype: DType) -> Out<'a> {
    with_element_strides(arr, dtype.size(), |strides| {
        // SAFETY: as in `arg`; in addition NumPy's WRITEABLE flag was checked, and
        // `convert::output` sends every output two of whose positions may share memory (a
        // zero stride, an `as_strided` view whose steps overlap: `may_overlap_itself`)
        // through NumPy instead, so each position here is its own element and the kernels'
        // threads never write one element twice. Inputs may overlap this output: numjit
        // buffers the result then (`Out::from_raw_parts`).
        unsafe { Out::from_raw_parts(dtype, data(arr), arr.shape(), strides) }
    })
}

/// Lets a call's bindings (raw views of NumPy memory) move into `Python::detach`, which runs
/// them on this same thread with the GIL released.
pub(crate) struct Detached<T>(pub(crate) T);

impl<T> Detached<T> {
    /// The value carried (taken whole, so that a closure captures all of it).
    pub(crate) fn into_inner(self) -> T {
        self.0
    }
}

// SAFETY: `Detached` only carries views into `Python::detach`, whose closure runs on the
// calling thread before `detach` returns; the arrays they view are kept alive by `Bound`
// references held by the caller across the call. Releasing the GIL lets other Python threads
// run meanwhile; what they may do to the arrays is what they may do during any NumPy ufunc
// that releases the GIL (see `arg`).
unsafe impl<T> Send for Detached<T> {}

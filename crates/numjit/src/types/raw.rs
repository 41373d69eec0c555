//! Owns every dereference of a borrowed view's raw pointer: element reads for the
//! interpreter, addresses and byte ranges for the executor, overlap tests, and aliasing views
//! for scripts. This is one of numjit's two `unsafe` modules (the other is `codegen::jit`).
//! Must not touch expressions, kernels or threads.

use super::{Arg, Complex64, DType, Out, Scalar, Storage};

/// The address of `arg`'s first element (not dereferenced here, so no `unsafe`).
pub(crate) fn arg_ptr(arg: &Arg<'_>) -> *const u8 {
    let base = match &arg.storage {
        Storage::Ptr(p) => *p,
        Storage::Inline(bytes) => bytes.as_ptr(),
        Storage::Placeholder => std::ptr::null(),
    };
    base.wrapping_offset(arg.offset * arg.dtype.size() as isize)
}

/// The address of `out`'s first element.
pub(crate) fn out_ptr(out: &Out<'_>) -> *mut u8 {
    out.ptr
        .wrapping_offset(out.offset * out.dtype.size() as isize)
}

/// The byte range `[lo, hi)` an operand touches, for overlap tests.
fn byte_range(ptr: *const u8, shape: &[usize], strides: &[isize], size: usize) -> (usize, usize) {
    let (mut lo, mut hi) = (0isize, 0isize);
    for (&n, &s) in shape.iter().zip(strides) {
        if n == 0 {
            return (0, 0);
        }
        let reach = (n as isize - 1) * s * size as isize;
        if reach < 0 {
            lo += reach;
        } else {
            hi += reach;
        }
    }
    let p = ptr as usize as isize;
    ((p + lo) as usize, (p + hi) as usize + size)
}

/// Whether writing `out` while reading `arg` could read an element after it was written:
/// true when their memory overlaps, unless `arg` reads exactly the element each output
/// position writes (same address, shape and strides).
pub(crate) fn overlaps(out: &Out<'_>, arg: &Arg<'_>) -> bool {
    if arg.is_placeholder() || matches!(arg.storage, Storage::Inline(_)) {
        return false;
    }
    let (op, ap) = (out_ptr(out) as *const u8, arg_ptr(arg));
    let (olo, ohi) = byte_range(op, &out.shape, &out.strides, out.dtype.size());
    let (alo, ahi) = byte_range(ap, &arg.shape, &arg.strides, arg.dtype.size());
    if ohi <= alo || ahi <= olo {
        return false;
    }
    let exact = op == ap && out.shape == arg.shape && out.strides == arg.strides;
    !exact
}

/// The byte string of `arg` (of dtype [`DType::Bytes`]) at index `idx` (one index per axis,
/// each within the shape), all its `width` bytes.
pub(crate) fn read_bytes(arg: &Arg<'_>, idx: &[usize]) -> Vec<u8> {
    let DType::Bytes(width) = arg.dtype else {
        panic!("read_bytes reads byte strings")
    };
    let p = element_ptr(arg, idx);
    // SAFETY: `element_ptr` checked the index against the shape, so `p` addresses one whole
    // element of `width` bytes in memory `arg` borrows.
    unsafe { std::slice::from_raw_parts(p, width).to_vec() }
}

/// The address of the element of `arg` at `idx`, checked against the shape.
pub(crate) fn element_ptr(arg: &Arg<'_>, idx: &[usize]) -> *const u8 {
    assert_eq!(idx.len(), arg.shape.len(), "index rank");
    let mut off: isize = 0;
    for ((&i, &len), &st) in idx.iter().zip(&arg.shape).zip(&arg.strides) {
        assert!(i < len, "index within shape");
        off += i as isize * st;
    }
    assert!(!arg.is_placeholder(), "placeholders are never read");
    arg_ptr(arg).wrapping_offset(off * arg.dtype.size() as isize)
}

/// Reads the element of `arg` at index `idx` (one index per axis, each within the shape).
pub(crate) fn read(arg: &Arg<'_>, idx: &[usize]) -> Scalar {
    let p = element_ptr(arg, idx);
    // SAFETY: `element_ptr` checked the index against the shape, and `arg` borrows memory
    // holding an element at every in-bounds index (it was made from a slice, an ndarray view
    // with valid strides, or an inline scalar, and views are resolved within the array by
    // `check::resolve_view`), so `p` addresses one whole element of `arg`'s dtype.
    unsafe {
        match arg.dtype {
            DType::Bool => Scalar::Bool(p.read() != 0),
            DType::Int32 => Scalar::Int32((p as *const i32).read_unaligned()),
            DType::Int64 => Scalar::Int((p as *const i64).read_unaligned()),
            DType::Float32 => Scalar::Float32((p as *const f32).read_unaligned()),
            DType::Float64 => Scalar::Float((p as *const f64).read_unaligned()),
            DType::Bytes(_) => unreachable!("byte strings are read with read_bytes"),
            DType::Complex128 => {
                let q = p as *const f64;
                Scalar::Complex(Complex64::new(
                    q.read_unaligned(),
                    q.add(1).read_unaligned(),
                ))
            }
        }
    }
}

//! Owns every dereference of a borrowed view's raw pointer: element reads for the
//! interpreter, addresses and byte ranges for the executor, overlap tests, and aliasing views
//! for scripts, and ndarray views of inputs for reductions. One of numjit's `unsafe` modules
//! (with `exec::call` and `codegen::wide`).
//! Must not touch expressions, kernels or threads.

use super::{Arg, Complex64, DType, Element, Out, Scalar, Storage, Strided};
use ndarray::ShapeBuilder;
use std::marker::PhantomData;

/// The address of `arg`'s first element (not dereferenced here, so no `unsafe`).
pub(crate) fn arg_ptr(arg: &Arg<'_>) -> *const u8 {
    let base = match &arg.storage {
        Storage::Ptr(p) => *p,
        Storage::Inline(bytes) => bytes.as_ptr(),
        Storage::Placeholder => std::ptr::null(),
    };
    base.wrapping_offset(arg.offset * arg.dtype.size() as isize)
}

/// `arg` as an ndarray view of `T`, when it is an array of that dtype in borrowed memory with
/// non-negative strides and `T`'s alignment (what reductions read in place); `None`
/// otherwise (the caller then copies).
pub(crate) fn view<'a, T: Element>(arg: &Arg<'a>) -> Option<ndarray::ArrayViewD<'a, T>> {
    if arg.dtype != T::DTYPE || !matches!(arg.storage, Storage::Ptr(_)) {
        return None;
    }
    let ptr = arg_ptr(arg) as *const T;
    if arg.strides.iter().any(|&s| s < 0) || !(ptr as usize).is_multiple_of(align_of::<T>()) {
        return None;
    }
    let strides: Vec<usize> = arg.strides.iter().map(|&s| s as usize).collect();
    let shape = ndarray::IxDyn(&arg.shape).strides(ndarray::IxDyn(&strides));
    // SAFETY: an `Arg` over borrowed memory (`Storage::Ptr`) is made from a live borrow of
    // lifetime 'a whose memory holds every element its shape and (element) strides reach,
    // of its dtype, which is `T`'s; the pointer is aligned for `T` and the strides are
    // non-negative (checked above), as `from_shape_ptr` requires; the view is read-only, like
    // the borrow.
    Some(unsafe { ndarray::ArrayViewD::from_shape_ptr(shape, ptr) })
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

/// The bytes from `base`'s first element to `view`'s, if `view` is a view of `base`'s memory
/// within its extent (an inline scalar only of itself: the same value and layout).
pub(crate) fn arg_within(base: &Arg<'_>, view: &Arg<'_>) -> Option<isize> {
    let same_memory = match (&base.storage, &view.storage) {
        (Storage::Ptr(b), Storage::Ptr(v)) => b == v,
        (Storage::Inline(b), Storage::Inline(v)) => {
            b == v && base.layout() == view.layout() && base.dtype == view.dtype
        }
        _ => false,
    };
    let inside = within(&base.layout(), &view.layout(), base.dtype.size());
    (same_memory && inside && base.dtype.size() == view.dtype.size())
        .then(|| (arg_ptr(view) as isize).wrapping_sub(arg_ptr(base) as isize))
}

/// [`arg_within`] for destinations.
pub(crate) fn out_within(base: &Out<'_>, view: &Out<'_>) -> Option<isize> {
    let inside = within(&base.layout(), &view.layout(), base.dtype.size());
    (base.ptr == view.ptr && inside && base.dtype.size() == view.dtype.size())
        .then(|| (out_ptr(view) as isize).wrapping_sub(out_ptr(base) as isize))
}

/// Whether `a` and `b` touch no byte in common (an inline scalar touches caller memory not
/// at all).
pub(crate) fn disjoint(a: &Arg<'_>, b: &Arg<'_>) -> bool {
    let range = |x: &Arg<'_>| match x.storage {
        Storage::Ptr(_) => Some(byte_range(arg_ptr(x), &x.shape, &x.strides, x.dtype.size())),
        _ => None,
    };
    match (range(a), range(b)) {
        (Some((alo, ahi)), Some((blo, bhi))) => ahi <= blo || bhi <= alo,
        _ => true,
    }
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

/// Whether `inner` (a layout relative to the same base pointer) touches only bytes within the
/// extent of `outer`: every view numjit makes of a caller's array lies within it.
fn within(outer: &Strided, inner: &Strided, size: usize) -> bool {
    let extent = |l: &Strided| {
        let base = (l.offset * size as isize) as usize as *const u8;
        byte_range(base, &l.shape, &l.strides, size)
    };
    let ((olo, ohi), (ilo, ihi)) = (extent(outer), extent(inner));
    let empty = inner.shape.contains(&0);
    empty || (olo <= ilo && ihi <= ohi)
}

impl<'a> Arg<'a> {
    /// An input over memory numjit does not own (a NumPy array's buffer, say): `dtype`
    /// elements at `ptr` (the element at index 0 of every axis), with `shape` and `strides`
    /// in elements (negative and zero strides allowed).
    ///
    /// # Safety
    /// For all of `'a`, every element that `shape` and `strides` reach from `ptr` must be
    /// readable memory holding a value of `dtype`, aligned for it, and not written except
    /// through numjit's own outputs (which numjit orders: see [`Out::from_raw_parts`]).
    pub unsafe fn from_raw_parts(
        dtype: DType,
        ptr: *const u8,
        shape: &[usize],
        strides: &[isize],
    ) -> Arg<'a> {
        assert_eq!(shape.len(), strides.len(), "one stride per axis");
        Arg {
            dtype,
            storage: super::Storage::Ptr(ptr),
            shape: shape.iter().copied().collect(),
            strides: strides.iter().copied().collect(),
            offset: 0,
            _life: PhantomData,
        }
    }
}

impl<'a> Out<'a> {
    /// A destination over memory numjit does not own, laid out as in
    /// [`Arg::from_raw_parts`]. Unlike a `&mut` borrow it may overlap the inputs of the call
    /// it is passed to: an output that overlaps an input other than exactly (the same
    /// elements in the same order) receives the result through a buffer, so the result is
    /// NumPy's, as if every input were read before anything is written.
    ///
    /// # Safety
    /// For all of `'a`, every element that `shape` and `strides` reach from `ptr` must be
    /// writable memory of `dtype`'s elements, aligned for it, no two positions of the view
    /// the same element, and not accessed except through numjit views while numjit runs.
    pub unsafe fn from_raw_parts(
        dtype: DType,
        ptr: *mut u8,
        shape: &[usize],
        strides: &[isize],
    ) -> Out<'a> {
        assert_eq!(shape.len(), strides.len(), "one stride per axis");
        Out {
            dtype,
            ptr,
            shape: shape.iter().copied().collect(),
            strides: strides.iter().copied().collect(),
            offset: 0,
            _life: PhantomData,
        }
    }
}

impl<'a> Arg<'a> {
    /// This input restricted to a view (offset, shape and strides in elements of the storage)
    /// within its extent.
    ///
    /// # Panics
    /// If the view reaches outside this input: checking resolves every view within its array
    /// first, so that would be a bug in numjit, and the panic keeps it from reading memory
    /// the input does not borrow.
    pub(crate) fn with_layout(&self, layout: Strided) -> Arg<'a> {
        assert!(
            self.is_placeholder()
                || matches!(self.storage, Storage::Inline(_))
                || within(&self.layout(), &layout, self.dtype.size()),
            "a view within its array"
        );
        Arg {
            dtype: self.dtype,
            storage: self.storage,
            shape: layout.shape,
            strides: layout.strides,
            offset: layout.offset,
            _life: PhantomData,
        }
    }
}

impl<'a> Out<'a> {
    /// The same memory, for reading (a mutable binding read as an input).
    pub(crate) fn as_arg(&self) -> Arg<'a> {
        Arg {
            dtype: self.dtype,
            storage: Storage::Ptr(self.ptr as *const u8),
            shape: self.shape.clone(),
            strides: self.strides.clone(),
            offset: self.offset,
            _life: PhantomData,
        }
    }

    /// A second raw view of the same memory, for the same lifetime. The script executor
    /// reaches its arrays and writable bindings through several such views at once (a
    /// statement's target and its inputs may be the same array). That is sound because views
    /// are raw pointers, never references: no `&`/`&mut` to the elements exists while
    /// kernels run, every access is a raw read or write in a kernel, in this module or in a
    /// helper called by a kernel, and a statement whose target overlaps an input other than
    /// exactly is evaluated into a buffer before it writes (`overlaps`).
    pub(crate) fn alias(&self) -> Out<'a> {
        self.with_layout(self.layout())
    }

    /// Another view of the same memory (the target of `x[...] = ...`) within this one's
    /// extent, for the same lifetime (see [`Out::alias`]).
    ///
    /// # Panics
    /// If the view reaches outside this destination (a bug in numjit: checking resolves
    /// views within their arrays).
    pub(crate) fn with_layout(&self, layout: Strided) -> Out<'a> {
        assert!(
            within(&self.layout(), &layout, self.dtype.size()),
            "a view within its array"
        );
        Out {
            dtype: self.dtype,
            ptr: self.ptr,
            shape: layout.shape,
            strides: layout.strides,
            offset: layout.offset,
            _life: PhantomData,
        }
    }
}

// ---- helpers that kernels call with the addresses of byte-string elements ----

/// `bytes_cmp` of two byte strings as -1, 0 or 1.
pub(crate) extern "C" fn h_bytes_cmp(a: *const u8, la: usize, b: *const u8, lb: usize) -> i32 {
    // SAFETY: the kernel passes the addresses of two whole elements (array elements of a
    // byte-string operand, or a literal the kernel owns) with their dtypes' widths.
    let (a, b) = unsafe {
        (
            std::slice::from_raw_parts(a, la),
            std::slice::from_raw_parts(b, lb),
        )
    };
    super::bytes_cmp(a, b) as i32
}
/// `bytes_contains` of two byte strings as 0 or 1.
pub(crate) extern "C" fn h_contains(a: *const u8, la: usize, b: *const u8, lb: usize) -> u8 {
    // SAFETY: as in `h_bytes_cmp`.
    let (a, b) = unsafe {
        (
            std::slice::from_raw_parts(a, la),
            std::slice::from_raw_parts(b, lb),
        )
    };
    super::bytes_contains(a, b) as u8
}

/// Element types whose all-zero bytes are a valid value (false, 0, 0.0, 0+0j): numjit's own
/// dtypes, not every [`Element`] a user could implement.
pub(crate) trait Zeroable: Element {}
impl Zeroable for bool {}
impl Zeroable for i32 {}
impl Zeroable for i64 {}
impl Zeroable for f32 {}
impl Zeroable for f64 {}
impl Zeroable for Complex64 {}

/// A vector of `n` zeros allocated zeroed (untouched pages stay unmapped, as with
/// `vec![0; n]`), or `None` when the size overflows or the allocator refuses, where `vec!`
/// would abort the process: results and temporaries whose size comes from user input are
/// allocated here so that running out of memory is an error (NumPy's `MemoryError`).
pub(crate) fn try_zeroed<T: Zeroable>(n: usize) -> Option<Vec<T>> {
    let layout = std::alloc::Layout::array::<T>(n).ok()?;
    if layout.size() == 0 {
        return Some(Vec::new());
    }
    // SAFETY: the layout has a non-zero size (checked above), as `alloc_zeroed` requires.
    let p = unsafe { std::alloc::alloc_zeroed(layout) } as *mut T;
    if p.is_null() {
        return None;
    }
    // SAFETY: `p` was allocated by the global allocator with the layout of `[T; n]` (the size
    // and alignment a `Vec<T>` of capacity `n` uses, so the `Vec` frees it correctly); its
    // `n` elements are zero bytes, a valid value of every `Zeroable` type; the allocation is
    // owned by nothing else, so the `Vec` takes it over.
    Some(unsafe { Vec::from_raw_parts(p, n, n) })
}

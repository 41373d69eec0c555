//! Owns the arrays: the owned result [`Array`] and the borrowed views [`Arg`] (an input) and
//! [`Out`] (a destination) that the API hands to the executor.
//! Must not touch expressions, kernels or threads, and never dereferences a view's pointer
//! (that is `raw`'s job).

use super::{Complex64, DType, Dims, Steps};
use ndarray::{ArrayBase, ArrayD, Data, DataMut, Dimension, IxDyn};
use std::marker::PhantomData;

/// An element type numjit can read and write.
pub trait Element: Copy + Send + Sync + 'static {
    /// The dtype of this element type.
    const DTYPE: DType;
    /// The value's bytes in memory order, padded to 16 (how kernels read a scalar).
    fn to_bytes(self) -> [u8; 16];
}

fn pad<const N: usize>(b: [u8; N]) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..N].copy_from_slice(&b);
    out
}

impl Element for bool {
    const DTYPE: DType = DType::Bool;
    fn to_bytes(self) -> [u8; 16] {
        pad([self as u8])
    }
}
impl Element for i32 {
    const DTYPE: DType = DType::Int32;
    fn to_bytes(self) -> [u8; 16] {
        pad(self.to_ne_bytes())
    }
}
impl Element for i64 {
    const DTYPE: DType = DType::Int64;
    fn to_bytes(self) -> [u8; 16] {
        pad(self.to_ne_bytes())
    }
}
impl Element for f32 {
    const DTYPE: DType = DType::Float32;
    fn to_bytes(self) -> [u8; 16] {
        pad(self.to_ne_bytes())
    }
}
impl Element for f64 {
    const DTYPE: DType = DType::Float64;
    fn to_bytes(self) -> [u8; 16] {
        pad(self.to_ne_bytes())
    }
}
impl Element for Complex64 {
    const DTYPE: DType = DType::Complex128;
    fn to_bytes(self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&self.re.to_ne_bytes());
        out[8..].copy_from_slice(&self.im.to_ne_bytes());
        out
    }
}

/// An owned n-dimensional array of one of numjit's dtypes (what [`crate::eval`](fn@crate::eval) returns).
#[derive(Clone, Debug, PartialEq)]
pub enum Array {
    /// A bool array.
    Bool(ArrayD<bool>),
    /// An int32 array.
    Int32(ArrayD<i32>),
    /// An int64 array.
    Int64(ArrayD<i64>),
    /// A float32 array.
    Float32(ArrayD<f32>),
    /// A float64 array.
    Float64(ArrayD<f64>),
    /// A complex128 array.
    Complex128(ArrayD<Complex64>),
}

/// The bytes an array of `dtype` and `shape` occupies, if that is addressable (at most
/// `isize::MAX`, as Rust's allocations must be).
pub(crate) fn byte_size(dtype: DType, shape: &[usize]) -> Option<usize> {
    shape
        .iter()
        .try_fold(dtype.size(), |n, &len| n.checked_mul(len))
        .filter(|&n| n <= isize::MAX as usize)
}

/// A vector with room for `n` elements, or `None` when the allocator refuses (the fallible
/// `Vec::with_capacity`, for buffers whose size comes from user input).
pub(crate) fn try_with_capacity<T>(n: usize) -> Option<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).ok()?;
    Some(v)
}

/// A byte count as NumPy's `MemoryError` words it: `16.0 GiB`, `100 bytes`.
pub(crate) fn human_bytes(bytes: f64) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let (mut v, mut u) = (bytes, 0);
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{v} bytes")
    } else {
        format!("{v:.1} {}", units[u])
    }
}

/// The error for an array of `dtype` and `shape` the allocator refused, worded as NumPy's
/// `MemoryError`: "out of memory: unable to allocate 16.0 GiB for an array with shape
/// (2147483648,) and data type float64". It has no span; callers attach one.
pub(crate) fn out_of_memory(dtype: DType, shape: &[usize]) -> numjit_syntax::Error {
    let bytes = shape
        .iter()
        .fold(dtype.size() as f64, |n, &len| n * len as f64);
    let size = human_bytes(bytes);
    numjit_syntax::Error::new(
        numjit_syntax::ErrorKind::OutOfMemory,
        format!(
            "out of memory: unable to allocate {size} for an array with shape {} and data type {dtype}",
            shape_str(shape)
        ),
        None,
    )
}

/// Applies `$body` to the ndarray inside any [`Array`] variant, bound to `$a`.
#[macro_export]
#[doc(hidden)]
macro_rules! each_array {
    ($arr:expr, $a:ident => $body:expr) => {
        match $arr {
            $crate::Array::Bool($a) => $body,
            $crate::Array::Int32($a) => $body,
            $crate::Array::Int64($a) => $body,
            $crate::Array::Float32($a) => $body,
            $crate::Array::Float64($a) => $body,
            $crate::Array::Complex128($a) => $body,
        }
    };
}

impl Array {
    /// A zero-filled array of the given dtype and shape.
    ///
    /// # Panics
    /// For [`DType::Bytes`]: byte strings are inputs only, never results.
    pub fn zeros(dtype: DType, shape: &[usize]) -> Array {
        let s = IxDyn(shape);
        match dtype {
            DType::Bool => Array::Bool(ArrayD::from_elem(s, false)),
            DType::Int32 => Array::Int32(ArrayD::zeros(s)),
            DType::Int64 => Array::Int64(ArrayD::zeros(s)),
            DType::Float32 => Array::Float32(ArrayD::zeros(s)),
            DType::Float64 => Array::Float64(ArrayD::zeros(s)),
            DType::Complex128 => Array::Complex128(ArrayD::zeros(s)),
            DType::Bytes(_) => {
                panic!("byte strings are inputs only; there are no byte-string results")
            }
        }
    }

    /// A zero-filled array of the given dtype and shape, or the out-of-memory error (kind
    /// [`numjit_syntax::ErrorKind::OutOfMemory`]) when the allocator refuses, where
    /// [`Array::zeros`] would abort. Byte strings are refused as by `zeros`.
    pub(crate) fn try_zeros(dtype: DType, shape: &[usize]) -> Result<Array, numjit_syntax::Error> {
        fn make<T: super::raw::Zeroable>(
            shape: &[usize],
        ) -> Result<ArrayD<T>, numjit_syntax::Error> {
            let n = shape.iter().try_fold(1usize, |n, &len| n.checked_mul(len));
            let v = n
                .and_then(super::raw::try_zeroed::<T>)
                .ok_or_else(|| out_of_memory(T::DTYPE, shape))?;
            Ok(ArrayD::from_shape_vec(IxDyn(shape), v).expect("one element per position"))
        }
        Ok(match dtype {
            DType::Bool => Array::Bool(make(shape)?),
            DType::Int32 => Array::Int32(make(shape)?),
            DType::Int64 => Array::Int64(make(shape)?),
            DType::Float32 => Array::Float32(make(shape)?),
            DType::Float64 => Array::Float64(make(shape)?),
            DType::Complex128 => Array::Complex128(make(shape)?),
            DType::Bytes(_) => {
                panic!("byte strings are inputs only; there are no byte-string results")
            }
        })
    }

    /// The array's dtype.
    pub fn dtype(&self) -> DType {
        match self {
            Array::Bool(_) => DType::Bool,
            Array::Int32(_) => DType::Int32,
            Array::Int64(_) => DType::Int64,
            Array::Float32(_) => DType::Float32,
            Array::Float64(_) => DType::Float64,
            Array::Complex128(_) => DType::Complex128,
        }
    }

    /// The array's shape.
    pub fn shape(&self) -> &[usize] {
        crate::each_array!(self, a => a.shape())
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape().iter().product()
    }

    /// True when the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The float64 data, if this is a float64 array.
    pub fn as_f64(&self) -> Option<&ArrayD<f64>> {
        match self {
            Array::Float64(a) => Some(a),
            _ => None,
        }
    }

    /// The int64 data, if this is an int64 array.
    pub fn as_i64(&self) -> Option<&ArrayD<i64>> {
        match self {
            Array::Int64(a) => Some(a),
            _ => None,
        }
    }

    /// The int32 data, if this is an int32 array.
    pub fn as_i32(&self) -> Option<&ArrayD<i32>> {
        match self {
            Array::Int32(a) => Some(a),
            _ => None,
        }
    }

    /// The float32 data, if this is a float32 array.
    pub fn as_f32(&self) -> Option<&ArrayD<f32>> {
        match self {
            Array::Float32(a) => Some(a),
            _ => None,
        }
    }

    /// The complex128 data, if this is a complex128 array.
    pub fn as_c128(&self) -> Option<&ArrayD<Complex64>> {
        match self {
            Array::Complex128(a) => Some(a),
            _ => None,
        }
    }

    /// The bool data, if this is a bool array.
    pub fn as_bool(&self) -> Option<&ArrayD<bool>> {
        match self {
            Array::Bool(a) => Some(a),
            _ => None,
        }
    }

    /// A mutable destination view of the whole array.
    pub fn view_mut(&mut self) -> Out<'_> {
        crate::each_array!(self, a => Out::from(a.view_mut()))
    }
}

macro_rules! array_from {
    ($($t:ty => $variant:ident, $into:ident),* $(,)?) => {
        $(impl From<ArrayD<$t>> for Array {
            fn from(a: ArrayD<$t>) -> Self {
                Array::$variant(a)
            }
        }

        /// The ndarray inside an [`Array`] of this element type; an array of another dtype
        /// comes back unchanged as the error (see [`Array::dtype`]).
        impl TryFrom<Array> for ArrayD<$t> {
            type Error = Array;
            fn try_from(a: Array) -> Result<Self, Array> {
                match a {
                    Array::$variant(x) => Ok(x),
                    other => Err(other),
                }
            }
        }

        impl Array {
            #[doc = concat!("The owned `ArrayD<", stringify!($t), ">` (no copy), if this is a ",
                stringify!($variant), " array: `numjit::eval(...)?.", stringify!($into), "()`.")]
            pub fn $into(self) -> Option<ArrayD<$t>> {
                ArrayD::<$t>::try_from(self).ok()
            }
        })*
    };
}
array_from!(
    bool => Bool, into_bool,
    i32 => Int32, into_i32,
    i64 => Int64, into_i64,
    f32 => Float32, into_f32,
    f64 => Float64, into_f64,
    Complex64 => Complex128, into_c128,
);

/// Where a scalar argument's value lives: arrays borrow the caller's memory, scalars are copied
/// into the argument itself so that `vars!{x}` with `x: f64` needs no long-lived storage.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Storage {
    /// Borrowed memory of the caller.
    Ptr(*const u8),
    /// A scalar held inline, at most 16 bytes (its leading bytes used).
    Inline([u8; 16]),
    /// No memory: stands for an array a script has yet to create, while the script is
    /// checked; never read.
    Placeholder,
}

/// A borrowed, read-only n-dimensional input of any strides (or a scalar).
///
/// Made from slices, `Vec`s, ndarray arrays and views, [`Array`]s, and Rust scalars
/// (`f64`, `i64`, `bool`), usually through [`crate::vars!`].
#[derive(Clone, Debug)]
pub struct Arg<'a> {
    pub(crate) dtype: DType,
    pub(crate) storage: Storage,
    pub(crate) shape: Dims,
    /// Strides in elements (may be negative or zero).
    pub(crate) strides: Steps,
    /// Offset of the first element from the storage pointer, in elements (views).
    pub(crate) offset: isize,
    pub(super) _life: PhantomData<&'a ()>,
}

impl<'a> Arg<'a> {
    /// The input's dtype.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// The input's shape (empty for a scalar).
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// A placeholder for an array of `dtype` and `shape` that does not exist yet.
    pub(crate) fn placeholder(dtype: DType, shape: Dims) -> Arg<'a> {
        let strides = Steps::from_elem(0, shape.len());
        Arg {
            dtype,
            storage: Storage::Placeholder,
            shape,
            strides,
            offset: 0,
            _life: PhantomData,
        }
    }

    /// True for a placeholder (see [`Storage::Placeholder`]).
    pub(crate) fn is_placeholder(&self) -> bool {
        matches!(self.storage, Storage::Placeholder)
    }

    /// The layout of this input relative to its storage.
    pub(crate) fn layout(&self) -> Strided {
        Strided {
            offset: self.offset,
            shape: self.shape.clone(),
            strides: self.strides.clone(),
        }
    }

    fn scalar<T: Element>(v: T) -> Arg<'a> {
        let bytes = v.to_bytes();
        Arg {
            dtype: T::DTYPE,
            storage: Storage::Inline(bytes),
            shape: Dims::new(),
            strides: Steps::new(),
            offset: 0,
            _life: PhantomData,
        }
    }

    fn from_ndarray<T: Element, S: Data<Elem = T>, D: Dimension>(a: &'a ArrayBase<S, D>) -> Self {
        Arg {
            dtype: T::DTYPE,
            storage: Storage::Ptr(a.as_ptr() as *const u8),
            shape: Dims::from_slice(a.shape()),
            strides: Steps::from_slice(a.strides()),
            offset: 0,
            _life: PhantomData,
        }
    }
}

impl<'a> Arg<'a> {
    /// Fixed-width byte strings: `data` holds `shape`'s elements of `width` bytes each, C
    /// order, each NUL-padded (NumPy's `S<width>` layout).
    ///
    /// # Panics
    /// If `width` is 0 or `data` does not hold exactly the elements `shape` describes.
    pub fn bytes(data: &'a [u8], width: usize, shape: &[usize]) -> Arg<'a> {
        assert!(width > 0, "byte strings have a width of at least 1");
        let bytes = shape
            .iter()
            .try_fold(width, |n, &len| n.checked_mul(len))
            .filter(|&n| n <= isize::MAX as usize);
        assert_eq!(bytes, Some(data.len()), "data holds shape × width bytes");
        let mut strides = Steps::from_elem(0, shape.len());
        let mut step = 1isize;
        for (d, &len) in shape.iter().enumerate().rev() {
            strides[d] = step;
            step *= len.max(1) as isize;
        }
        Arg {
            dtype: DType::Bytes(width),
            storage: Storage::Ptr(data.as_ptr()),
            shape: Dims::from_slice(shape),
            strides,
            offset: 0,
            _life: PhantomData,
        }
    }
}

impl<'a, const N: usize> From<&'a [[u8; N]]> for Arg<'a> {
    /// A 1-D array of `N`-byte strings.
    ///
    /// # Panics
    /// If `N` is 0 (NumPy has no zero-width strings either).
    fn from(v: &'a [[u8; N]]) -> Self {
        Arg::bytes(v.as_flattened(), N, &[v.len()])
    }
}
impl<'a, const N: usize> From<&'a Vec<[u8; N]>> for Arg<'a> {
    fn from(v: &'a Vec<[u8; N]>) -> Self {
        Arg::from(v.as_slice())
    }
}

macro_rules! arg_from_element {
    ($t:ty) => {
        impl<'a> From<$t> for Arg<'a> {
            fn from(v: $t) -> Self {
                Arg::scalar(v)
            }
        }
        impl<'a> From<&'a $t> for Arg<'a> {
            fn from(v: &'a $t) -> Self {
                Arg::scalar(*v)
            }
        }
        impl<'a> From<&'a [$t]> for Arg<'a> {
            fn from(v: &'a [$t]) -> Self {
                Arg {
                    dtype: <$t as Element>::DTYPE,
                    storage: Storage::Ptr(v.as_ptr() as *const u8),
                    shape: smallvec::smallvec![v.len()],
                    strides: smallvec::smallvec![1],
                    offset: 0,
                    _life: PhantomData,
                }
            }
        }
        impl<'a, const N: usize> From<&'a [$t; N]> for Arg<'a> {
            fn from(v: &'a [$t; N]) -> Self {
                Arg::from(&v[..])
            }
        }
        impl<'a, 'b: 'a> From<&'a &'b [$t]> for Arg<'a> {
            fn from(v: &'a &'b [$t]) -> Self {
                Arg::from(*v)
            }
        }
        impl<'a> From<&'a Vec<$t>> for Arg<'a> {
            fn from(v: &'a Vec<$t>) -> Self {
                Arg::from(v.as_slice())
            }
        }
        impl<'a, D: Dimension> From<ndarray::ArrayView<'a, $t, D>> for Arg<'a> {
            fn from(a: ndarray::ArrayView<'a, $t, D>) -> Self {
                Arg {
                    dtype: <$t as Element>::DTYPE,
                    storage: Storage::Ptr(a.as_ptr() as *const u8),
                    shape: Dims::from_slice(a.shape()),
                    strides: Steps::from_slice(a.strides()),
                    offset: 0,
                    _life: PhantomData,
                }
            }
        }
    };
}
impl<'a, T: Element, S: Data<Elem = T>, D: Dimension> From<&'a ArrayBase<S, D>> for Arg<'a> {
    fn from(a: &'a ArrayBase<S, D>) -> Self {
        Arg::from_ndarray(a)
    }
}
arg_from_element!(f64);
arg_from_element!(f32);
arg_from_element!(i64);
arg_from_element!(i32);
arg_from_element!(bool);
arg_from_element!(Complex64);

impl<'a> From<&'a Array> for Arg<'a> {
    fn from(a: &'a Array) -> Self {
        crate::each_array!(a, x => Arg::from(x))
    }
}

/// A borrowed, writable n-dimensional destination of any strides.
///
/// Made from `&mut [T]`, `&mut Vec<T>`, ndarray mutable views and arrays, and
/// [`Array::view_mut`].
#[derive(Debug)]
pub struct Out<'a> {
    pub(crate) dtype: DType,
    pub(crate) ptr: *mut u8,
    pub(crate) shape: Dims,
    pub(crate) strides: Steps,
    /// Offset of the first element from `ptr`, in elements (views).
    pub(crate) offset: isize,
    pub(super) _life: PhantomData<&'a mut ()>,
}

impl<'a> Out<'a> {
    /// The layout of this destination relative to its pointer.
    pub(crate) fn layout(&self) -> Strided {
        Strided {
            offset: self.offset,
            shape: self.shape.clone(),
            strides: self.strides.clone(),
        }
    }

    /// The destination's dtype.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// The destination's shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }
}

macro_rules! out_from_element {
    ($t:ty) => {
        impl<'a> From<&'a mut [$t]> for Out<'a> {
            fn from(v: &'a mut [$t]) -> Self {
                Out {
                    dtype: <$t as Element>::DTYPE,
                    ptr: v.as_mut_ptr() as *mut u8,
                    shape: smallvec::smallvec![v.len()],
                    strides: smallvec::smallvec![1],
                    offset: 0,
                    _life: PhantomData,
                }
            }
        }
        impl<'a, const N: usize> From<&'a mut [$t; N]> for Out<'a> {
            fn from(v: &'a mut [$t; N]) -> Self {
                Out::from(&mut v[..])
            }
        }
        impl<'a> From<&'a mut Vec<$t>> for Out<'a> {
            fn from(v: &'a mut Vec<$t>) -> Self {
                Out::from(v.as_mut_slice())
            }
        }
        impl<'a, D: Dimension> From<ndarray::ArrayViewMut<'a, $t, D>> for Out<'a> {
            fn from(mut a: ndarray::ArrayViewMut<'a, $t, D>) -> Self {
                Out {
                    dtype: <$t as Element>::DTYPE,
                    ptr: a.as_mut_ptr() as *mut u8,
                    shape: Dims::from_slice(a.shape()),
                    strides: Steps::from_slice(a.strides()),
                    offset: 0,
                    _life: PhantomData,
                }
            }
        }
    };
}
impl<'a, T: Element, S: DataMut<Elem = T>, D: Dimension> From<&'a mut ArrayBase<S, D>> for Out<'a> {
    fn from(a: &'a mut ArrayBase<S, D>) -> Self {
        Out {
            dtype: T::DTYPE,
            ptr: a.as_mut_ptr() as *mut u8,
            shape: Dims::from_slice(a.shape()),
            strides: Steps::from_slice(a.strides()),
            offset: 0,
            _life: PhantomData,
        }
    }
}
out_from_element!(f64);
out_from_element!(f32);
out_from_element!(i64);
out_from_element!(i32);
out_from_element!(bool);
out_from_element!(Complex64);

impl<'a> From<&'a mut Array> for Out<'a> {
    fn from(a: &'a mut Array) -> Self {
        a.view_mut()
    }
}

/// A strided view of memory: element offset of the first element, shape, strides in elements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Strided {
    /// Offset of element `[0, 0, ...]` from the base pointer, in elements.
    pub offset: isize,
    /// Length of each axis.
    pub shape: Dims,
    /// Step of each axis, in elements.
    pub strides: Steps,
}

/// Formats a shape as NumPy does: `(3,)`, `(2, 3)`, `()`.
pub fn shape_str(shape: &[usize]) -> String {
    match shape {
        [] => "()".into(),
        [n] => format!("({n},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// What numjit can read as an input: everything that converts into an [`Arg`]. Implemented for
/// every such type; it exists so that a type numjit cannot read gets an error saying what it
/// accepts ("numjit cannot read `&Vec<u16>` as an input array or scalar", with a note listing
/// the accepted types):
///
/// ```compile_fail,E0277
/// let a: Vec<u16> = vec![1, 2];
/// numjit::eval("a + 1", numjit::vars! {a}).unwrap();
/// ```
#[diagnostic::on_unimplemented(
    message = "numjit cannot read `{Self}` as an input array or scalar",
    label = "not an input numjit accepts",
    note = "inputs are references to slices, Vecs, arrays or ndarray arrays/views of bool, i32, i64, \
            f32, f64 or numjit::Complex64 (`&x`), such scalars by value, a `&numjit::Array`, or \
            byte strings as `&[[u8; N]]`",
    note = "ndarray types must come from the ndarray numjit uses: `numjit::ndarray`"
)]
pub trait IntoArg<'a> {
    /// The input view.
    fn into_arg(self) -> Arg<'a>;
}

/// `IntoArg` for types with `From<T> for Arg` (one impl each, so that an unsupported type
/// reaches the `on_unimplemented` message above rather than a `From` bound).
macro_rules! into_arg {
    ($([$($g:tt)*] $t:ty),* $(,)?) => {$(
        impl<$($g)*> IntoArg<'a> for $t {
            fn into_arg(self) -> Arg<'a> {
                Arg::from(self)
            }
        }
    )*};
}
macro_rules! into_arg_element {
    ($($t:ty),*) => {$(
        into_arg!(
            ['a] $t,
            ['a] &'a $t,
            ['a] &'a [$t],
            ['a, const N: usize] &'a [$t; N],
            ['a] &'a Vec<$t>,
            ['a, D: Dimension] ndarray::ArrayView<'a, $t, D>,
        );
    )*};
}
into_arg_element!(bool, i32, i64, f32, f64, Complex64);
into_arg!(
    ['a] Arg<'a>,
    ['a] &'a Array,
    ['a, const N: usize] &'a [[u8; N]],
    ['a, const N: usize] &'a Vec<[u8; N]>,
    ['a, T: Element, S: Data<Elem = T>, D: Dimension] &'a ArrayBase<S, D>,
);

/// A borrowed input is an input (a copy of the view).
impl<'a, 'b: 'a> IntoArg<'a> for &'a Arg<'b> {
    fn into_arg(self) -> Arg<'a> {
        self.clone()
    }
}

/// A reference to anything readable by reference is readable: `vars!{x}` with `x: &Vec<f64>`
/// (a loop variable over `pairs.iter()`, a function parameter) binds `&&Vec<f64>`.
impl<'a, 'b: 'a, T: ?Sized> IntoArg<'a> for &'a &'b T
where
    &'b T: IntoArg<'b>,
{
    fn into_arg(self) -> Arg<'a> {
        (*self).into_arg()
    }
}

/// What numjit can write into: everything that converts into an [`Out`]. Implemented for every
/// such type; it exists so that a type numjit cannot write gets an error saying what it accepts:
///
/// ```compile_fail,E0277
/// let a = vec![1.0, 2.0];
/// let mut out = vec![0u8; 2];
/// numjit::evaluate("a + 1", &mut out, numjit::vars! {a}).unwrap();
/// ```
#[diagnostic::on_unimplemented(
    message = "numjit cannot write into `{Self}`",
    label = "not an output numjit accepts",
    note = "outputs are mutable references to slices, Vecs, arrays or ndarray arrays/views of \
            bool, i32, i64, f32, f64 or numjit::Complex64 (`&mut out`), or a `&mut numjit::Array`",
    note = "ndarray types must come from the ndarray numjit uses: `numjit::ndarray`"
)]
pub trait IntoOut<'a> {
    /// The output view.
    fn into_out(self) -> Out<'a>;
}

/// `IntoOut` for types with `From<T> for Out` (see `into_arg!`).
macro_rules! into_out {
    ($([$($g:tt)*] $t:ty),* $(,)?) => {$(
        impl<$($g)*> IntoOut<'a> for $t {
            fn into_out(self) -> Out<'a> {
                Out::from(self)
            }
        }
    )*};
}
macro_rules! into_out_element {
    ($($t:ty),*) => {$(
        into_out!(
            ['a] &'a mut [$t],
            ['a, const N: usize] &'a mut [$t; N],
            ['a] &'a mut Vec<$t>,
            ['a, D: Dimension] ndarray::ArrayViewMut<'a, $t, D>,
        );
    )*};
}
into_out_element!(bool, i32, i64, f32, f64, Complex64);
into_out!(
    ['a] Out<'a>,
    ['a] &'a mut Array,
    ['a, T: Element, S: DataMut<Elem = T>, D: Dimension] &'a mut ArrayBase<S, D>,
);

/// A mutable reference to a writable reference is writable: `vars!{mut x}` or `evaluate!(.., x)`
/// with `x: &mut [f64]` (a function parameter) passes `&mut &mut [f64]`.
impl<'a, 'b: 'a, T: ?Sized> IntoOut<'a> for &'a mut &'b mut T
where
    &'a mut T: IntoOut<'a>,
{
    fn into_out(self) -> Out<'a> {
        (&mut **self).into_out()
    }
}

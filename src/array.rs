//! Provides numjit's array types: [`DType`], the owned result [`Array`], and the borrowed
//! views [`Arg`] (an input) and [`Out`] (a destination) that the API hands to the executor.
//!
//! This module knows nothing about expressions, kernels or threads.

use ndarray::{ArrayBase, ArrayD, Data, DataMut, Dimension, IxDyn};
use smallvec::SmallVec;
use std::fmt;
use std::marker::PhantomData;

/// A shape: axis lengths, inline for up to four axes (no allocation on the hot path).
pub(crate) type Dims = SmallVec<[usize; 4]>;
/// Strides or offsets per axis, inline for up to four axes.
pub(crate) type Steps = SmallVec<[isize; 4]>;

/// The element types numjit evaluates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    /// `bool`, one byte per element (0 or 1), NumPy's `bool`.
    Bool,
    /// `i64`, NumPy's `int64`.
    Int64,
    /// `f64`, NumPy's `float64`.
    Float64,
}

impl DType {
    /// The NumPy name of the dtype.
    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::Int64 => "int64",
            DType::Float64 => "float64",
        }
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            DType::Bool => 1,
            DType::Int64 | DType::Float64 => 8,
        }
    }

    /// NumPy's result type of a binary arithmetic operation (bool < int64 < float64).
    pub fn promote(self, other: DType) -> DType {
        self.max(other)
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An element type numjit can read and write.
pub trait Element: Copy + Send + Sync + 'static {
    /// The dtype of this element type.
    const DTYPE: DType;
    /// The value's bytes in memory order, padded to 8 (how kernels read a scalar).
    fn to_bytes(self) -> [u8; 8];
}
impl Element for bool {
    const DTYPE: DType = DType::Bool;
    fn to_bytes(self) -> [u8; 8] {
        [self as u8, 0, 0, 0, 0, 0, 0, 0]
    }
}
impl Element for i64 {
    const DTYPE: DType = DType::Int64;
    fn to_bytes(self) -> [u8; 8] {
        self.to_ne_bytes()
    }
}
impl Element for f64 {
    const DTYPE: DType = DType::Float64;
    fn to_bytes(self) -> [u8; 8] {
        self.to_ne_bytes()
    }
}

/// An owned n-dimensional array of one of numjit's dtypes (what [`crate::eval`] returns).
#[derive(Clone, Debug, PartialEq)]
pub enum Array {
    /// A bool array.
    Bool(ArrayD<bool>),
    /// An int64 array.
    Int64(ArrayD<i64>),
    /// A float64 array.
    Float64(ArrayD<f64>),
}

impl Array {
    /// A zero-filled array of the given dtype and shape.
    pub fn zeros(dtype: DType, shape: &[usize]) -> Array {
        let s = IxDyn(shape);
        match dtype {
            DType::Bool => Array::Bool(ArrayD::from_elem(s, false)),
            DType::Int64 => Array::Int64(ArrayD::zeros(s)),
            DType::Float64 => Array::Float64(ArrayD::zeros(s)),
        }
    }

    /// The array's dtype.
    pub fn dtype(&self) -> DType {
        match self {
            Array::Bool(_) => DType::Bool,
            Array::Int64(_) => DType::Int64,
            Array::Float64(_) => DType::Float64,
        }
    }

    /// The array's shape.
    pub fn shape(&self) -> &[usize] {
        match self {
            Array::Bool(a) => a.shape(),
            Array::Int64(a) => a.shape(),
            Array::Float64(a) => a.shape(),
        }
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

    /// The bool data, if this is a bool array.
    pub fn as_bool(&self) -> Option<&ArrayD<bool>> {
        match self {
            Array::Bool(a) => Some(a),
            _ => None,
        }
    }

    /// A mutable destination view of the whole array.
    pub fn view_mut(&mut self) -> Out<'_> {
        match self {
            Array::Bool(a) => Out::from(a.view_mut()),
            Array::Int64(a) => Out::from(a.view_mut()),
            Array::Float64(a) => Out::from(a.view_mut()),
        }
    }
}

impl From<ArrayD<f64>> for Array {
    fn from(a: ArrayD<f64>) -> Self {
        Array::Float64(a)
    }
}
impl From<ArrayD<i64>> for Array {
    fn from(a: ArrayD<i64>) -> Self {
        Array::Int64(a)
    }
}
impl From<ArrayD<bool>> for Array {
    fn from(a: ArrayD<bool>) -> Self {
        Array::Bool(a)
    }
}

/// Where a scalar argument's value lives: arrays borrow the caller's memory, scalars are copied
/// into the argument itself so that `vars!{x}` with `x: f64` needs no long-lived storage.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Storage {
    /// Borrowed memory of the caller.
    Ptr(*const u8),
    /// An 8-byte scalar held inline (bool uses the low byte).
    Inline([u8; 8]),
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
    _life: PhantomData<&'a ()>,
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

    /// This input restricted to a view (offset, shape and strides in elements of the storage).
    pub(crate) fn with_layout(&self, layout: crate::check::Strided) -> Arg<'a> {
        Arg {
            dtype: self.dtype,
            storage: self.storage,
            shape: layout.shape,
            strides: layout.strides,
            offset: layout.offset,
            _life: PhantomData,
        }
    }

    /// The layout of this input relative to its storage.
    pub(crate) fn layout(&self) -> crate::check::Strided {
        crate::check::Strided {
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
arg_from_element!(i64);
arg_from_element!(bool);

impl<'a> From<&'a Array> for Arg<'a> {
    fn from(a: &'a Array) -> Self {
        match a {
            Array::Bool(x) => Arg::from(x),
            Array::Int64(x) => Arg::from(x),
            Array::Float64(x) => Arg::from(x),
        }
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
    _life: PhantomData<&'a mut ()>,
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

    /// A copy of this raw view that borrows nothing. The script executor uses it to reach
    /// memory it holds exclusively (its own arrays and writable bindings) from several views;
    /// it keeps that memory alive while the copies are in use.
    pub(crate) fn detach(&self) -> Out<'static> {
        self.with_layout(self.layout())
    }

    /// Another view of the same memory (the target of `x[...] = ...`), borrowing nothing
    /// (see [`Out::detach`]).
    pub(crate) fn with_layout(&self, layout: crate::check::Strided) -> Out<'static> {
        Out {
            dtype: self.dtype,
            ptr: self.ptr,
            shape: layout.shape,
            strides: layout.strides,
            offset: layout.offset,
            _life: PhantomData,
        }
    }

    /// The layout of this destination relative to its pointer.
    pub(crate) fn layout(&self) -> crate::check::Strided {
        crate::check::Strided {
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
out_from_element!(i64);
out_from_element!(bool);

impl<'a> From<&'a mut Array> for Out<'a> {
    fn from(a: &'a mut Array) -> Self {
        a.view_mut()
    }
}

//! Owns the values numjit computes on: dtypes and their rules ([`DType`], [`Casting`]), owned
//! arrays ([`Array`]), borrowed strided views ([`Arg`], [`Out`]), scalars ([`Scalar`]).
//! Must not touch expressions, kernels or threads; only `raw` dereferences a view's pointer.

mod array;
mod dtype;
pub(crate) mod raw;
mod scalar;

pub(crate) use array::{byte_size, human_bytes, out_of_memory, try_with_capacity, Storage};
pub use array::{shape_str, Arg, Array, Element, IntoArg, IntoOut, Out, Strided};
pub(crate) use dtype::{bytes_cmp, bytes_contains, Dims, Steps};
pub use dtype::{Casting, DType, Kind};
pub use num_complex::Complex64;
pub use scalar::{float_to_int, Scalar};

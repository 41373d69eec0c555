//! Owns [`Scalar`], one value of any dtype, and its conversions (NumPy's casts).
//! Must not touch arrays, expressions, kernels or threads.

use super::{Complex64, DType};
use std::fmt;

/// A scalar value of one of numjit's dtypes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar {
    /// A bool.
    Bool(bool),
    /// An int32.
    Int32(i32),
    /// An int64.
    Int(i64),
    /// A float32.
    Float32(f32),
    /// A float64.
    Float(f64),
    /// A complex128.
    Complex(Complex64),
    /// A byte-string literal: index into [`Program::strings`] and its width.
    Str(u32, u32),
}

impl Scalar {
    /// The dtype of the value.
    pub fn dtype(self) -> DType {
        match self {
            Scalar::Bool(_) => DType::Bool,
            Scalar::Int32(_) => DType::Int32,
            Scalar::Int(_) => DType::Int64,
            Scalar::Float32(_) => DType::Float32,
            Scalar::Float(_) => DType::Float64,
            Scalar::Complex(_) => DType::Complex128,
            Scalar::Str(_, w) => DType::Bytes(w as usize),
        }
    }

    /// The value as a complex number (every dtype converts exactly but int64 beyond 2**53).
    pub fn to_complex(self) -> Complex64 {
        match self {
            Scalar::Complex(z) => z,
            other => Complex64::new(other.to_f64(), 0.0),
        }
    }

    /// The value as float64 (complex: its real part, as NumPy's unsafe cast).
    pub fn to_f64(self) -> f64 {
        match self {
            Scalar::Bool(b) => b as u8 as f64,
            Scalar::Int32(i) => i as f64,
            Scalar::Int(i) => i as f64,
            Scalar::Float32(x) => x as f64,
            Scalar::Float(x) => x,
            Scalar::Complex(z) => z.re,
            Scalar::Str(..) => unreachable!("byte strings are never converted"),
        }
    }

    /// The value as int64 (floats truncate toward zero; NaN and values out of range give
    /// `i64::MIN`, as NumPy's casts do on x86-64).
    pub fn to_i64(self) -> i64 {
        match self {
            Scalar::Bool(b) => b as i64,
            Scalar::Int32(i) => i as i64,
            Scalar::Int(i) => i,
            Scalar::Float32(x) => float_to_int(x as f64, 64),
            Scalar::Float(x) => float_to_int(x, 64),
            Scalar::Complex(z) => float_to_int(z.re, 64),
            Scalar::Str(..) => unreachable!("byte strings are never converted"),
        }
    }

    /// Whether the value is non-zero (NaN is true, as in NumPy).
    pub fn truthy(self) -> bool {
        match self {
            Scalar::Bool(b) => b,
            Scalar::Int32(i) => i != 0,
            Scalar::Int(i) => i != 0,
            Scalar::Float32(x) => x != 0.0,
            Scalar::Float(x) => x != 0.0,
            Scalar::Complex(z) => z.re != 0.0 || z.im != 0.0,
            Scalar::Str(..) => unreachable!("byte strings are never converted"),
        }
    }

    /// Converts to `dtype` as NumPy's `astype` does: to bool is `!= 0` (NaN is true); int64 →
    /// int32 wraps; floats → integers truncate toward zero, NaN and out-of-range values giving
    /// the integer minimum (NumPy on x86-64; C leaves them undefined); float64 → float32 rounds
    /// to nearest; complex → real keeps the real part.
    pub fn cast(self, dtype: DType) -> Scalar {
        match dtype {
            DType::Bool => Scalar::Bool(self.truthy()),
            DType::Int32 => Scalar::Int32(match self {
                Scalar::Float32(x) => float_to_int(x as f64, 32) as i32,
                Scalar::Float(x) => float_to_int(x, 32) as i32,
                Scalar::Complex(z) => float_to_int(z.re, 32) as i32,
                other => other.to_i64() as i32,
            }),
            DType::Int64 => Scalar::Int(self.to_i64()),
            DType::Float32 => Scalar::Float32(match self {
                Scalar::Int(i) => i as f32,
                Scalar::Float32(x) => x,
                other => other.to_f64() as f32,
            }),
            DType::Float64 => Scalar::Float(self.to_f64()),
            DType::Complex128 => Scalar::Complex(self.to_complex()),
            DType::Bytes(_) => {
                assert_eq!(self.dtype(), dtype, "byte strings are never converted");
                self
            }
        }
    }

    /// The raw bits (bool as 0/1, complex as the real part's bits then the imaginary part's),
    /// for hashing.
    pub fn bits(self) -> u128 {
        match self {
            Scalar::Bool(b) => b as u128,
            Scalar::Int32(i) => i as u32 as u128,
            Scalar::Int(i) => i as u64 as u128,
            Scalar::Float32(x) => x.to_bits() as u128,
            Scalar::Float(x) => x.to_bits() as u128,
            Scalar::Complex(z) => (z.re.to_bits() as u128) << 64 | z.im.to_bits() as u128,
            Scalar::Str(k, w) => (k as u128) << 32 | w as u128,
        }
    }
}

/// `x` truncated to a `bits`-bit integer as x86-64's conversion (and so NumPy there) gives it:
/// the integer minimum for NaN and for values whose truncation does not fit.
pub fn float_to_int(x: f64, bits: u32) -> i64 {
    let limit = (1u64 << (bits - 1)) as f64;
    // Below -limit, Rust's saturating `as` gives the minimum too.
    if x < limit {
        if bits == 32 {
            x as i32 as i64
        } else {
            x as i64
        }
    } else if bits == 32 {
        i32::MIN as i64
    } else {
        i64::MIN
    }
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Bool(b) => f.write_str(if *b { "True" } else { "False" }),
            Scalar::Int32(i) => write!(f, "{i}"),
            Scalar::Int(i) => write!(f, "{i}"),
            Scalar::Float32(x) => write!(f, "{x:?}"),
            Scalar::Float(x) => write!(f, "{x:?}"),
            Scalar::Complex(z) => write!(f, "({:?}{:+?}j)", z.re, z.im),
            Scalar::Str(k, _) => write!(f, "string #{k}"),
        }
    }
}

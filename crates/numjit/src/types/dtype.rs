//! Owns the dtypes: [`DType`] with NumPy's promotion table, weak literals and casting rules
//! ([`Casting`]), and [`Element`], the Rust types that carry them.
//! Must not touch arrays, expressions, kernels or threads.

use smallvec::SmallVec;
use std::fmt;
/// A shape: axis lengths, inline for up to four axes (no allocation on the hot path).
pub(crate) type Dims = SmallVec<[usize; 4]>;
/// Strides or offsets per axis, inline for up to four axes.
pub(crate) type Steps = SmallVec<[isize; 4]>;

/// The element types numjit evaluates.
///
/// Declared in NumPy's promotion order of kinds (bool < integers < floats < complex); within a
/// kind, narrower first. See [`DType::promote`] for the full table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    /// `bool`, one byte per element (0 or 1), NumPy's `bool`.
    Bool,
    /// `i32`, NumPy's `int32`.
    Int32,
    /// `i64`, NumPy's `int64`.
    Int64,
    /// `f32`, NumPy's `float32`.
    Float32,
    /// `f64`, NumPy's `float64`.
    Float64,
    /// [`Complex64`](crate::Complex64) (two `f64`), NumPy's `complex128`.
    Complex128,
    /// Fixed-width byte strings of this many bytes, NUL-padded (NumPy's `S<width>`). Only
    /// compared (`==`, `<`, …) and searched (`contains`); never a result.
    Bytes(usize),
}

/// The kinds NumPy promotes between (`np.dtype.kind`, ordered).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// bool
    Bool,
    /// signed integers
    Int,
    /// floats
    Float,
    /// complex
    Complex,
    /// byte strings
    Bytes,
}

impl DType {
    /// Every dtype, in promotion order.
    pub const ALL: [DType; 6] = [
        DType::Bool,
        DType::Int32,
        DType::Int64,
        DType::Float32,
        DType::Float64,
        DType::Complex128,
    ];

    /// The NumPy name of the dtype.
    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::Int32 => "int32",
            DType::Int64 => "int64",
            DType::Float32 => "float32",
            DType::Float64 => "float64",
            DType::Complex128 => "complex128",
            DType::Bytes(_) => "bytes",
        }
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            DType::Bool => 1,
            DType::Int32 | DType::Float32 => 4,
            DType::Int64 | DType::Float64 => 8,
            DType::Complex128 => 16,
            DType::Bytes(w) => w,
        }
    }

    /// The dtype's kind.
    pub fn kind(self) -> Kind {
        match self {
            DType::Bool => Kind::Bool,
            DType::Int32 | DType::Int64 => Kind::Int,
            DType::Float32 | DType::Float64 => Kind::Float,
            DType::Complex128 => Kind::Complex,
            DType::Bytes(_) => Kind::Bytes,
        }
    }

    /// True for int32 and int64.
    pub fn is_int(self) -> bool {
        self.kind() == Kind::Int
    }

    /// True for float32 and float64.
    pub fn is_float(self) -> bool {
        self.kind() == Kind::Float
    }

    /// NumPy's result type of a binary arithmetic operation on two arrays (`np.result_type`):
    ///
    /// | ⊕          | bool       | int32      | int64      | float32    | float64    | complex128 |
    /// |------------|------------|------------|------------|------------|------------|------------|
    /// | bool       | bool       | int32      | int64      | float32    | float64    | complex128 |
    /// | int32      | int32      | int32      | int64      | float64    | float64    | complex128 |
    /// | int64      | int64      | int64      | int64      | float64    | float64    | complex128 |
    /// | float32    | float32    | float64    | float64    | float32    | float64    | complex128 |
    /// | float64    | float64    | float64    | float64    | float64    | float64    | complex128 |
    /// | complex128 | complex128 | complex128 | complex128 | complex128 | complex128 | complex128 |
    ///
    /// (An integer and float32 give float64: float32 cannot hold every int32.)
    pub fn promote(self, other: DType) -> DType {
        let (lo, hi) = if self <= other {
            (self, other)
        } else {
            (other, self)
        };
        if lo.is_int() && hi == DType::Float32 {
            DType::Float64
        } else {
            hi
        }
    }

    /// The result type of an array of dtype `self` with a Python literal of dtype `weak`
    /// (NumPy 2's weak scalars, NEP 50): the array's dtype wins unless the literal is of a
    /// higher kind, which then gives that kind's default dtype (int64, float64, complex128).
    /// A bool literal is not weak in NumPy, but bool never raises an array's kind anyway.
    pub fn promote_weak(self, weak: DType) -> DType {
        if weak.kind() <= self.kind() {
            self
        } else {
            weak.kind_default()
        }
    }

    /// The default dtype of this dtype's kind (bool, int64, float64, complex128).
    pub fn kind_default(self) -> DType {
        match self.kind() {
            Kind::Bool => DType::Bool,
            Kind::Int => DType::Int64,
            Kind::Float => DType::Float64,
            Kind::Complex => DType::Complex128,
            Kind::Bytes => self,
        }
    }

    /// The float dtype math functions of this dtype compute in (NumPy: float32 stays float32,
    /// integers and bool give float64, complex stays complex).
    pub fn float_of(self) -> DType {
        match self {
            DType::Float32 => DType::Float32,
            DType::Complex128 => DType::Complex128,
            _ => DType::Float64,
        }
    }

    /// Whether NumPy's `np.can_cast(self, to, casting)` allows the cast.
    pub fn can_cast(self, to: DType, casting: Casting) -> bool {
        if (self.kind() == Kind::Bytes) != (to.kind() == Kind::Bytes) {
            return false;
        }
        match casting {
            Casting::No | Casting::Equiv => self == to,
            Casting::Safe => self == to || self.promote(to) == to,
            Casting::SameKind => self.kind() <= to.kind() || self.can_cast(to, Casting::Safe),
            Casting::Unsafe => true,
        }
    }
}

/// NumPy's `casting` rule for writing a result into an output of another dtype.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Casting {
    /// Only the same dtype.
    No,
    /// Only the same dtype (byte order is always native here, so as `No`).
    Equiv,
    /// Only casts that keep every value (`int32 → int64`, `int32 → float64`, `float32 → float64`).
    Safe,
    /// Safe casts, or within a kind (`float64 → float32`, `int64 → int32`). NumPy's default.
    #[default]
    SameKind,
    /// Any cast.
    Unsafe,
}

impl Casting {
    /// Parses NumPy's name (`'no'`, `'equiv'`, `'safe'`, `'same_kind'`, `'unsafe'`).
    pub fn from_name(name: &str) -> Option<Casting> {
        Some(match name {
            "no" => Casting::No,
            "equiv" => Casting::Equiv,
            "safe" => Casting::Safe,
            "same_kind" => Casting::SameKind,
            "unsafe" => Casting::Unsafe,
            _ => return None,
        })
    }

    /// NumPy's name of the rule.
    pub fn name(self) -> &'static str {
        match self {
            Casting::No => "no",
            Casting::Equiv => "equiv",
            Casting::Safe => "safe",
            Casting::SameKind => "same_kind",
            Casting::Unsafe => "unsafe",
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DType::Bytes(w) => write!(f, "bytes{w} (S{w})"),
            _ => f.write_str(self.name()),
        }
    }
}

/// Compares two NUL-padded byte strings as NumPy (and numexpr) do: as if the shorter
/// were padded with NULs to the longer's width, bytes unsigned.
pub fn bytes_cmp(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let n = a.len().max(b.len());
    let at = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    (0..n)
        .map(|i| at(a, i).cmp(&at(b, i)))
        .find(|o| o.is_ne())
        .unwrap_or(std::cmp::Ordering::Equal)
}

/// numexpr's `contains`: whether `needle` (up to its first NUL) occurs in `haystack` (up to
/// its first NUL); an empty needle is found everywhere.
pub fn bytes_contains(haystack: &[u8], needle: &[u8]) -> bool {
    let trim = |s: &[u8]| -> usize { s.iter().position(|&c| c == 0).unwrap_or(s.len()) };
    let (h, n) = (&haystack[..trim(haystack)], &needle[..trim(needle)]);
    n.is_empty() || h.windows(n.len()).any(|w| w == n)
}

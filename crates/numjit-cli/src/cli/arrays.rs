//! Building the constructors' arrays the way NumPy does: `full` (and so `zeros`, `ones`),
//! `arange`, `linspace` and `astype`-style casts. Sizes are checked and allocations that fail
//! are reported, never aborted on.

use super::repl::{human_bytes, shape_repr, Failure, Res};
use ndarray::{ArrayD, IxDyn};
use numjit::{Array, Complex64, DType};

/// A scalar argument's value, in the dtype it came with.
#[derive(Clone, Copy, Debug)]
pub enum Num {
    Bool(bool),
    Int32(i32),
    Int(i64),
    Float32(f32),
    Float(f64),
    Complex(Complex64),
}

impl Num {
    /// The value if it is real (not complex), as a float64.
    pub fn real(self) -> Option<f64> {
        match self {
            Num::Complex(_) => None,
            v => Some(v.to_f64()),
        }
    }

    /// The dtype NumPy gives the value.
    pub fn dtype(self) -> DType {
        match self {
            Num::Bool(_) => DType::Bool,
            Num::Int32(_) => DType::Int32,
            Num::Int(_) => DType::Int64,
            Num::Float32(_) => DType::Float32,
            Num::Float(_) => DType::Float64,
            Num::Complex(_) => DType::Complex128,
        }
    }

    /// The value of a 0-d array.
    pub fn of(a: &Array) -> Option<Num> {
        Some(match a {
            Array::Bool(x) => Num::Bool(*x.first()?),
            Array::Int32(x) => Num::Int32(*x.first()?),
            Array::Int64(x) => Num::Int(*x.first()?),
            Array::Float32(x) => Num::Float32(*x.first()?),
            Array::Float64(x) => Num::Float(*x.first()?),
            Array::Complex128(x) => Num::Complex(*x.first()?),
        })
    }

    /// The value for an error message: "the float64 2.5".
    pub fn describe(self) -> String {
        match self {
            Num::Bool(b) => format!("the bool {}", if b { "True" } else { "False" }),
            Num::Int32(v) => format!("the int32 {v}"),
            Num::Int(v) => format!("the int64 {v}"),
            Num::Float32(v) => format!("the float32 {v:?}"),
            Num::Float(v) => format!("the float64 {v:?}"),
            Num::Complex(v) => format!("the complex128 ({:?}{:+?}j)", v.re, v.im),
        }
    }
}

/// An element converted the way NumPy's `astype` converts it (casting='unsafe'): integers wrap,
/// floats truncate toward zero, a NaN or out-of-range float becomes the integer type's minimum
/// (what NumPy gives on x86-64), complex values lose their imaginary part, anything nonzero is
/// True.
pub trait Convert: Copy {
    fn to_bool(self) -> bool;
    fn to_i32(self) -> i32;
    fn to_i64(self) -> i64;
    fn to_f32(self) -> f32;
    fn to_f64(self) -> f64;
    fn to_c128(self) -> Complex64 {
        Complex64::new(self.to_f64(), 0.0)
    }
}

/// A float truncated to i32 as NumPy on x86-64 does it (`i32::MIN` when NaN or out of range).
fn f_to_i32(v: f64) -> i32 {
    numjit::internals::float_to_int(v, 32) as i32
}

/// A float truncated to i64 as NumPy on x86-64 does it (`i64::MIN` when NaN or out of range).
fn f_to_i64(v: f64) -> i64 {
    numjit::internals::float_to_int(v, 64)
}

impl Convert for bool {
    fn to_bool(self) -> bool {
        self
    }
    fn to_i32(self) -> i32 {
        i32::from(self)
    }
    fn to_i64(self) -> i64 {
        i64::from(self)
    }
    fn to_f32(self) -> f32 {
        f32::from(u8::from(self))
    }
    fn to_f64(self) -> f64 {
        f64::from(u8::from(self))
    }
}

impl Convert for i32 {
    fn to_bool(self) -> bool {
        self != 0
    }
    fn to_i32(self) -> i32 {
        self
    }
    fn to_i64(self) -> i64 {
        i64::from(self)
    }
    fn to_f32(self) -> f32 {
        self as f32
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
}

impl Convert for i64 {
    fn to_bool(self) -> bool {
        self != 0
    }
    fn to_i32(self) -> i32 {
        self as i32
    }
    fn to_i64(self) -> i64 {
        self
    }
    fn to_f32(self) -> f32 {
        self as f32
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
}

impl Convert for f32 {
    fn to_bool(self) -> bool {
        self != 0.0
    }
    fn to_i32(self) -> i32 {
        f_to_i32(f64::from(self))
    }
    fn to_i64(self) -> i64 {
        f_to_i64(f64::from(self))
    }
    fn to_f32(self) -> f32 {
        self
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
}

impl Convert for f64 {
    fn to_bool(self) -> bool {
        self != 0.0
    }
    fn to_i32(self) -> i32 {
        f_to_i32(self)
    }
    fn to_i64(self) -> i64 {
        f_to_i64(self)
    }
    fn to_f32(self) -> f32 {
        self as f32
    }
    fn to_f64(self) -> f64 {
        self
    }
}

impl Convert for Complex64 {
    fn to_bool(self) -> bool {
        self.re != 0.0 || self.im != 0.0
    }
    fn to_i32(self) -> i32 {
        f_to_i32(self.re)
    }
    fn to_i64(self) -> i64 {
        f_to_i64(self.re)
    }
    fn to_f32(self) -> f32 {
        self.re as f32
    }
    fn to_f64(self) -> f64 {
        self.re
    }
    fn to_c128(self) -> Complex64 {
        self
    }
}

/// `$e` with `$v` bound to the value inside the [`Num`] `$n`.
macro_rules! each_num {
    ($n:expr, $v:ident => $e:expr) => {
        match $n {
            Num::Bool($v) => $e,
            Num::Int32($v) => $e,
            Num::Int($v) => $e,
            Num::Float32($v) => $e,
            Num::Float($v) => $e,
            Num::Complex($v) => $e,
        }
    };
}

impl Convert for Num {
    fn to_bool(self) -> bool {
        each_num!(self, v => v.to_bool())
    }
    fn to_i32(self) -> i32 {
        each_num!(self, v => v.to_i32())
    }
    fn to_i64(self) -> i64 {
        each_num!(self, v => v.to_i64())
    }
    fn to_f32(self) -> f32 {
        each_num!(self, v => v.to_f32())
    }
    fn to_f64(self) -> f64 {
        each_num!(self, v => v.to_f64())
    }
    fn to_c128(self) -> Complex64 {
        each_num!(self, v => v.to_c128())
    }
}

/// The element count of `shape`, refusing more than `isize::MAX` bytes at `size` per element.
pub fn elements(shape: &[usize], size: usize) -> Res<usize> {
    shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .filter(|n| {
            n.checked_mul(size)
                .is_some_and(|b| b <= isize::MAX as usize)
        })
        .ok_or_else(|| {
            Failure::plain(format!(
                "an array of shape {} is too large",
                shape_repr(shape)
            ))
        })
}

/// A vector of `n` elements made by `f`, reporting an allocation failure instead of aborting.
pub fn vec_with<T>(n: usize, f: impl FnMut() -> T) -> Res<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| {
        Failure::plain(format!(
            "cannot allocate {} for {n} elements",
            human_bytes(n.saturating_mul(std::mem::size_of::<T>()))
        ))
    })?;
    v.extend(std::iter::repeat_with(f).take(n));
    Ok(v)
}

pub fn shaped<T>(shape: &[usize], v: Vec<T>) -> Res<Array>
where
    Array: From<ArrayD<T>>,
{
    ArrayD::from_shape_vec(IxDyn(shape), v)
        .map(Array::from)
        .map_err(|e| Failure::plain(e.to_string()))
}

/// An array of `shape` filled with `value` converted to `dtype` (as NumPy's `full` does).
pub fn fill(shape: &[usize], dtype: DType, value: Num) -> Res<Array> {
    int32_fits(dtype, &[value])?;
    let n = elements(shape, dtype.size())?;
    match dtype {
        DType::Bool => shaped(shape, vec_with(n, || value.to_bool())?),
        DType::Int32 => shaped(shape, vec_with(n, || value.to_i32())?),
        DType::Int64 => shaped(shape, vec_with(n, || value.to_i64())?),
        DType::Float32 => shaped(shape, vec_with(n, || value.to_f32())?),
        DType::Float64 => shaped(shape, vec_with(n, || value.to_f64())?),
        DType::Complex128 => shaped(shape, vec_with(n, || value.to_c128())?),
        DType::Bytes(_) => Err(no_bytes()),
    }
}

/// NumPy 2 refuses a Python integer an int32 array cannot hold (`full(2, 3000000000,
/// dtype=int32)`): so does numjit, rather than wrapping it.
fn int32_fits(dtype: DType, nums: &[Num]) -> Res<()> {
    for n in nums {
        if let (DType::Int32, Num::Int(v)) = (dtype, n) {
            if i32::try_from(*v).is_err() {
                return Err(Failure::plain(format!(
                    "Python integer {v} out of bounds for int32"
                )));
            }
        }
    }
    Ok(())
}

/// The error for a byte-string dtype, which no constructor makes.
fn no_bytes() -> Failure {
    Failure::plain("numjit makes no byte-string arrays (they are only compared)")
}

/// Sets the element at `index` of `a` to one (for `eye`).
pub fn set_one(a: &mut Array, index: &[usize]) {
    match a {
        Array::Bool(x) => x[index] = true,
        Array::Int32(x) => x[index] = 1,
        Array::Int64(x) => x[index] = 1,
        Array::Float32(x) => x[index] = 1.0,
        Array::Float64(x) => x[index] = 1.0,
        Array::Complex128(x) => x[index] = Complex64::new(1.0, 0.0),
    }
}

/// NumPy's `arange`: int64 when every argument is an integer, else float64, unless `dtype` is
/// given. As in NumPy, the first element is `start` and the second `start + step`, both
/// converted to the dtype; the rest are `first + i*delta` in the dtype's arithmetic, with
/// `delta` the difference of the first two (so `arange(0, 1, 0.1, dtype=float32)` gives
/// NumPy's float32 values, and `arange(0, 5, 0.5, dtype=int32)` NumPy's zeros).
pub fn arange(
    nums: &[Num],
    dtype: Option<DType>,
    span: (usize, usize),
    limit: usize,
) -> Res<Array> {
    let (start, stop, step) = match nums {
        [stop] => (Num::Int(0), *stop, Num::Int(1)),
        [start, stop] => (*start, *stop, Num::Int(1)),
        [start, stop, step] => (*start, *stop, *step),
        _ => return Err(Failure::at("usage: arange([start,] stop[, step])", span)),
    };
    if [start, stop, step].iter().any(|n| n.real().is_none()) {
        return Err(Failure::at("arange needs real numbers", span));
    }
    let all_int = [start, stop, step]
        .iter()
        .all(|n| matches!(n, Num::Int(_) | Num::Int32(_) | Num::Bool(_)));
    let dtype = dtype.unwrap_or(if all_int {
        DType::Int64
    } else {
        DType::Float64
    });
    int32_fits(dtype, &[start, stop, step])?;
    let len = if all_int {
        let (a, b, s) = (
            start.to_i64() as i128,
            stop.to_i64() as i128,
            step.to_i64() as i128,
        );
        if s == 0 {
            return Err(Failure::at("arange's step must not be zero", span));
        }
        ((b - a + s - s.signum()) / s).max(0)
    } else {
        let (a, b, s) = (start.to_f64(), stop.to_f64(), step.to_f64());
        if s == 0.0 || !s.is_finite() || !a.is_finite() || !b.is_finite() {
            return Err(Failure::at(
                "arange needs finite bounds and a nonzero step",
                span,
            ));
        }
        ((b - a) / s).ceil().max(0.0) as i128
    };
    let len = usize::try_from(len)
        .ok()
        .filter(|&l| l <= limit)
        .ok_or_else(|| Failure::at("arange: too many elements", span))?;
    if dtype == DType::Bool && len > 2 {
        return Err(Failure::at(
            "arange makes bool arrays of at most 2 elements (as NumPy)",
            span,
        ));
    }
    // The first two elements, as Python computes them, then converted to the dtype.
    let second = if all_int {
        Num::Int(start.to_i64().wrapping_add(step.to_i64()))
    } else {
        Num::Float(start.to_f64() + step.to_f64())
    };
    fn fill_from<T: Copy>(
        len: usize,
        first: T,
        second: T,
        at: impl Fn(T, T, usize) -> T,
    ) -> Res<Vec<T>> {
        let mut i = 0usize;
        vec_with(len, || {
            let v = match i {
                0 => first,
                1 => second,
                _ => at(first, second, i),
            };
            i += 1;
            v
        })
    }
    let shape = [len];
    match dtype {
        DType::Bool => shaped(
            &shape,
            fill_from(len, start.to_bool(), second.to_bool(), |a, _, _| a)?,
        ),
        DType::Int32 => shaped(
            &shape,
            fill_from(len, start.to_i32(), second.to_i32(), |a, b, i| {
                a.wrapping_add((i as i32).wrapping_mul(b.wrapping_sub(a)))
            })?,
        ),
        DType::Int64 => shaped(
            &shape,
            fill_from(len, start.to_i64(), second.to_i64(), |a, b, i| {
                a.wrapping_add((i as i64).wrapping_mul(b.wrapping_sub(a)))
            })?,
        ),
        DType::Float32 => shaped(
            &shape,
            fill_from(len, start.to_f32(), second.to_f32(), |a, b, i| {
                a + i as f32 * (b - a)
            })?,
        ),
        DType::Float64 => shaped(
            &shape,
            fill_from(len, start.to_f64(), second.to_f64(), |a, b, i| {
                a + i as f64 * (b - a)
            })?,
        ),
        DType::Complex128 => shaped(
            &shape,
            fill_from(len, start.to_c128(), second.to_c128(), |a, b, i| {
                a + (b - a) * i as f64
            })?,
        ),
        DType::Bytes(_) => Err(no_bytes()),
    }
}

/// `a` converted to `dtype` the way NumPy's `astype` does (see [`Convert`]).
pub fn cast(a: Array, dtype: DType) -> Res<Array> {
    fn to<T: Convert>(x: &ArrayD<T>, dtype: DType) -> Res<Array> {
        Ok(match dtype {
            DType::Bool => Array::from(x.mapv(T::to_bool)),
            DType::Int32 => Array::from(x.mapv(T::to_i32)),
            DType::Int64 => Array::from(x.mapv(T::to_i64)),
            DType::Float32 => Array::from(x.mapv(T::to_f32)),
            DType::Float64 => Array::from(x.mapv(T::to_f64)),
            DType::Complex128 => Array::from(x.mapv(T::to_c128)),
            DType::Bytes(_) => return Err(no_bytes()),
        })
    }
    if a.dtype() == dtype {
        return Ok(a);
    }
    numjit::each_array!(&a, x => to(x, dtype))
}

/// NumPy's `linspace`: `start + i*step` in float64, the last element exactly `stop` with
/// `endpoint`, then converted to `dtype` (floored first for an integer dtype, as NumPy does).
pub fn linspace(start: f64, stop: f64, num: usize, endpoint: bool, dtype: DType) -> Res<Array> {
    let n = elements(&[num], 8)?;
    let div = if endpoint { num.saturating_sub(1) } else { num };
    let delta = stop - start;
    let step = if div > 0 {
        delta / div as f64
    } else {
        f64::NAN
    };
    let mut i = 0usize;
    let mut v = vec_with(n, || {
        let y = if div == 0 {
            i as f64 * delta + start
        } else if step == 0.0 {
            i as f64 / div as f64 * delta + start
        } else {
            i as f64 * step + start
        };
        i += 1;
        y
    })?;
    if endpoint && num > 1 {
        v[num - 1] = stop;
    }
    if dtype.is_int() {
        v.iter_mut().for_each(|y| *y = y.floor());
    }
    cast(shaped(&[n], v)?, dtype)
}

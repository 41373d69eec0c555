//! Building the constructors' arrays the way NumPy does: `full` (and so `zeros`, `ones`),
//! `arange`, `linspace` and `astype`-style casts. Sizes are checked and allocations that fail
//! are reported, never aborted on.

use super::repl::{human_bytes, shape_repr, Failure, Res};
use ndarray::{ArrayD, IxDyn};
use numjit::{Array, DType};

/// A scalar argument's value.
#[derive(Clone, Copy, Debug)]
pub enum Num {
    Bool(bool),
    Int(i64),
    Float(f64),
}

impl Num {
    /// The value as a float64 (True is 1).
    pub fn as_f64(self) -> f64 {
        match self {
            Num::Bool(b) => b as i64 as f64,
            Num::Int(v) => v as f64,
            Num::Float(v) => v,
        }
    }

    /// The dtype NumPy gives the value.
    pub fn dtype(self) -> DType {
        match self {
            Num::Bool(_) => DType::Bool,
            Num::Int(_) => DType::Int64,
            Num::Float(_) => DType::Float64,
        }
    }

    /// The value for an error message: "the float64 2.5".
    pub fn describe(self) -> String {
        match self {
            Num::Bool(b) => format!("the bool {}", if b { "True" } else { "False" }),
            Num::Int(v) => format!("the int64 {v}"),
            Num::Float(v) => format!("the float64 {v:?}"),
        }
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
    let n = elements(shape, dtype.size())?;
    match dtype {
        DType::Float64 => shaped(shape, vec_with(n, || value.as_f64())?),
        DType::Int64 => {
            let v = match value {
                Num::Bool(b) => b as i64,
                Num::Int(v) => v,
                Num::Float(f) => f as i64,
            };
            shaped(shape, vec_with(n, || v)?)
        }
        DType::Bool => {
            let v = value.as_f64() != 0.0;
            shaped(shape, vec_with(n, || v)?)
        }
    }
}

/// NumPy's `arange`: int64 when every argument is an integer, else float64.
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
    let all_int = [start, stop, step]
        .iter()
        .all(|n| matches!(n, Num::Int(_) | Num::Bool(_)));
    let as_int = |n: Num| match n {
        Num::Bool(b) => b as i64,
        Num::Int(v) => v,
        Num::Float(f) => f as i64,
    };
    let dtype = dtype.unwrap_or(if all_int {
        DType::Int64
    } else {
        DType::Float64
    });
    if all_int {
        let (a, b, s) = (
            as_int(start) as i128,
            as_int(stop) as i128,
            as_int(step) as i128,
        );
        if s == 0 {
            return Err(Failure::at("arange's step must not be zero", span));
        }
        let len = ((b - a + s - s.signum()) / s).max(0);
        let len = usize::try_from(len)
            .ok()
            .filter(|&l| l <= limit)
            .ok_or_else(|| Failure::at("arange: too many elements", span))?;
        let mut i = 0i128;
        let v = vec_with(len, || {
            let x = a + i * s;
            i += 1;
            x as i64
        })?;
        return Ok(cast(shaped(&[len], v)?, dtype));
    }
    let (a, b, s) = (start.as_f64(), stop.as_f64(), step.as_f64());
    if s == 0.0 || !s.is_finite() || !a.is_finite() || !b.is_finite() {
        return Err(Failure::at(
            "arange needs finite bounds and a nonzero step",
            span,
        ));
    }
    let len = ((b - a) / s).ceil().max(0.0);
    if len > limit as f64 {
        return Err(Failure::at("arange: too many elements", span));
    }
    let len = len as usize;
    let mut i = 0usize;
    let v = vec_with(len, || {
        let x = a + i as f64 * s;
        i += 1;
        x
    })?;
    Ok(cast(shaped(&[len], v)?, dtype))
}

/// `a` converted to `dtype` the way NumPy's `astype` does (floats truncate toward zero).
pub fn cast(a: Array, dtype: DType) -> Array {
    match (a, dtype) {
        (Array::Int64(x), DType::Float64) => Array::from(x.mapv(|v| v as f64)),
        (Array::Int64(x), DType::Bool) => Array::from(x.mapv(|v| v != 0)),
        (Array::Float64(x), DType::Int64) => Array::from(x.mapv(|v| v as i64)),
        (Array::Float64(x), DType::Bool) => Array::from(x.mapv(|v| v != 0.0)),
        (Array::Bool(x), DType::Int64) => Array::from(x.mapv(|v| v as i64)),
        (Array::Bool(x), DType::Float64) => Array::from(x.mapv(|v| v as i64 as f64)),
        (a, _) => a,
    }
}

/// NumPy's `linspace`: `start + i*step`, the last element exactly `stop` with `endpoint`.
pub fn linspace(start: f64, stop: f64, num: usize, endpoint: bool) -> Res<Array> {
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
    shaped(&[n], v)
}

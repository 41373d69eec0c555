//! Owns the numerics of reductions (`sum`, `prod`, `min`, `max`, over all elements or one axis) in a deterministic order.
//! Must not touch the AST, Cranelift or raw pointers; how a reduction inside an expression is evaluated is `api`'s.
//!
//! Provides the reductions `sum`, `prod`, `min` and `max` over an owned [`Array`], over all
//! elements or along one axis, with NumPy's semantics: [`reduce`], and the dtype and shape of
//! a reduction without computing it ([`result_dtype`], [`result_shape`]), which is how a
//! script is checked before it runs.
//!
//! This module owns the numerics of reductions; `crate::api` owns how a reduction inside an
//! expression is evaluated (its argument is materialised once into an array, reduced here, and
//! the result bound under a hidden name for the expression around it).
//!
//! NumPy's rules, for each input dtype:
//!
//! | input      | `sum`, `prod` | `min`, `max` |
//! |------------|---------------|--------------|
//! | bool       | int64         | bool (all / any) |
//! | int32      | int64         | int32        |
//! | int64      | int64         | int64        |
//! | float32    | float32 (accumulated in float32) | float32 |
//! | float64    | float64       | float64      |
//! | complex128 | complex128    | complex128 (lexicographic, as NumPy's) |
//!
//! - Integer sums and products wrap, as NumPy's.
//! - Float and complex sums are NumPy's pairwise summation (`pairwise_sum` in NumPy's
//!   `loops_utils.h.src`: runs under 8 elements summed in order from -0.0, runs up to 128 with
//!   eight accumulators, longer runs split in two at a multiple of 8), added to the identity
//!   0.0. A sum over all elements of a C-contiguous array, or along its last axis, is
//!   therefore bit-identical to NumPy's; NumPy sums other layouts in memory order and adds
//!   row after row along other axes, which this module does not copy (its pairwise sum in
//!   logical order is as accurate or better).
//! - Float and complex products multiply in order from the identity 1 (complex with NumPy's
//!   formula, so `prod([inf+0j])` is `inf+nanj` as in NumPy); past [`BLOCK`] elements, blocks
//!   of that size are multiplied in order and their products combined in order.
//! - `min`/`max` propagate NaN (the first NaN met). Between +0.0 and -0.0, `max` gives +0.0
//!   and `min` -0.0 (IEEE 754-2019, numjit's `maximum`/`minimum`; NumPy's answer there
//!   depends on its SIMD path). Complex values compare as NumPy's: by real part, then
//!   imaginary part, and a NaN in either part propagates.
//! - Empty: `sum` gives 0, `prod` 1; `min`/`max` of an empty reduction is NumPy's error
//!   "zero-size array to reduction operation minimum which has no identity".
//! - `axis` may be negative; out of range is NumPy's error "axis 2 is out of bounds for array
//!   of dimension 2". A 0-d array reduces to itself (the dtype rules apply); as in NumPy,
//!   axis 0 and -1 are accepted for it.
//!
//! **Determinism.** Work is split into pieces fixed by the data's size alone (the top of the
//! pairwise tree, or blocks of [`BLOCK`] elements, or groups of whole lanes), run with
//! [`exec::parallel_for`], and their partial results combined in a fixed order; so the result
//! has the same bits for every thread count and schedule.

use crate::exec::{self, Schedule};
use crate::semantics::cmath;
use crate::types::{out_of_memory, raw, try_with_capacity, Arg, Array, Complex64, DType};
use ndarray::{ArrayD, ArrayView1, ArrayViewD, Axis, IxDyn};
use numjit_syntax::ast::ReduceOp;
use numjit_syntax::{Error, ErrorKind};
use std::borrow::Cow;
use std::ops::{Add, Mul};
use std::sync::OnceLock;

/// Elements per piece of parallel work: a leaf of the pairwise tree is at most this long, a
/// block of a product or an extremum exactly this long (the last one shorter), and a task over
/// many short lanes covers about this many elements.
pub const BLOCK: usize = 1 << 15;

/// The dtype of `op` over an array of `dtype` (see the module table).
pub fn result_dtype(dtype: DType, op: ReduceOp) -> DType {
    match op {
        ReduceOp::Sum | ReduceOp::Prod => match dtype {
            DType::Bool | DType::Int32 | DType::Int64 => DType::Int64,
            d => d,
        },
        ReduceOp::Min | ReduceOp::Max => dtype,
        ReduceOp::Mean => match dtype {
            DType::Bool | DType::Int32 | DType::Int64 => DType::Float64,
            d => d,
        },
        ReduceOp::Any | ReduceOp::All => DType::Bool,
    }
}

/// The shape of `op` over an array of `shape` along `axis` (all axes for `None`), or NumPy's
/// error for an axis out of range or an empty `min`/`max`. A reduction whose shape is accepted
/// here cannot fail in [`reduce`].
pub fn result_shape(
    shape: &[usize],
    op: ReduceOp,
    axis: Option<i64>,
) -> Result<Vec<usize>, String> {
    let ax = normalize_axis(axis, shape.len())?;
    let reduced = match ax {
        Some(k) => shape[k],
        None => shape.iter().product(),
    };
    if reduced == 0 {
        let name = match op {
            ReduceOp::Min => Some("minimum"),
            ReduceOp::Max => Some("maximum"),
            ReduceOp::Sum | ReduceOp::Prod | ReduceOp::Mean | ReduceOp::Any | ReduceOp::All => None,
        };
        if let Some(name) = name {
            return Err(format!(
                "zero-size array to reduction operation {name} which has no identity"
            ));
        }
    }
    Ok(match ax {
        Some(k) => shape
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != k)
            .map(|(_, &n)| n)
            .collect(),
        None => Vec::new(),
    })
}

/// The axis `axis` names in an array of `ndim` dimensions (`None`: all of them).
fn normalize_axis(axis: Option<i64>, ndim: usize) -> Result<Option<usize>, String> {
    let Some(k) = axis else { return Ok(None) };
    if ndim == 0 && (k == 0 || k == -1) {
        // NumPy accepts these for 0-d arrays.
        return Ok(None);
    }
    let n = ndim as i64;
    if k < -n || k >= n {
        return Err(format!(
            "axis {k} is out of bounds for array of dimension {ndim}"
        ));
    }
    Ok(Some(if k < 0 { (k + n) as usize } else { k as usize }))
}

/// Reduces `a` with `op` over all elements (`axis` `None`) or along one axis, as NumPy's
/// `np.sum`/`np.prod`/`np.min`/`np.max` (see the module documentation). Errors are NumPy's
/// messages (axis out of range, empty `min`/`max`).
pub fn reduce(
    a: &Array,
    op: ReduceOp,
    axis: Option<i64>,
    sched: &Schedule,
) -> Result<Array, Error> {
    let views = match a {
        Array::Bool(x) => Views::Bool(x.view()),
        Array::Int32(x) => Views::Int32(x.view()),
        Array::Int64(x) => Views::Int64(x.view()),
        Array::Float32(x) => Views::Float32(x.view()),
        Array::Float64(x) => Views::Float64(x.view()),
        Array::Complex128(x) => Views::Complex128(x.view()),
    };
    reduce_views(views, op, axis, sched)
}

/// [`reduce`] of an input as it is bound, read in place (no copy of the argument), when it
/// is an array numjit can view directly (see `types::raw::view`); `None` otherwise.
pub fn reduce_arg(
    a: &Arg<'_>,
    op: ReduceOp,
    axis: Option<i64>,
    sched: &Schedule,
) -> Option<Result<Array, Error>> {
    let views = match a.dtype() {
        DType::Bool => Views::Bool(raw::view(a)?),
        DType::Int32 => Views::Int32(raw::view(a)?),
        DType::Int64 => Views::Int64(raw::view(a)?),
        DType::Float32 => Views::Float32(raw::view(a)?),
        DType::Float64 => Views::Float64(raw::view(a)?),
        DType::Complex128 => Views::Complex128(raw::view(a)?),
        DType::Bytes(_) => return None,
    };
    Some(reduce_views(views, op, axis, sched))
}

/// Elements computed at a time by [`sum_filled`]: a subtree of the pairwise sum that fits in
/// L1 (32 KiB of float64).
const FILL: usize = 4096;

/// `sum` over all `n` elements of an argument that `fill(start, buf)` computes piece by piece
/// (never materialised): the pieces, pairwise trees and combination of [`reduce`], so the
/// same bits, with each subtree of at most [`FILL`] elements computed into a small buffer
/// and summed there. Pieces run on the pool as [`reduce`]'s do.
pub(crate) fn sum_filled<F: Float + Default>(
    n: usize,
    sched: &Schedule,
    fill: &(dyn Fn(usize, &mut [F]) + Sync),
) -> ArrayD<F> {
    /// NumPy's pairwise sum of elements `start .. start + len`, as `pairwise` recurses.
    fn tree<F: Float + Default>(
        start: usize,
        len: usize,
        fill: &(dyn Fn(usize, &mut [F]) + Sync),
        buf: &mut Vec<F>,
    ) -> F {
        if len <= FILL {
            // Zeroed once per buffer; `fill` overwrites the elements it is given.
            if buf.len() < len {
                buf.resize(FILL, F::default());
            }
            let part = &mut buf[..len];
            fill(start, part);
            pairwise(part)
        } else {
            let n2 = split_real(len);
            let l = tree(start, n2, fill, buf);
            let r = tree(start + n2, len - n2, fill, buf);
            l + r
        }
    }
    let v = if n <= BLOCK {
        tree(0, n, fill, &mut Vec::with_capacity(FILL))
    } else {
        let plan = Plan::Pairwise(split_real);
        let pieces = plan.pieces(n);
        let parts = run_tasks(sched, n, pieces.len(), &|k| {
            let (s, len) = pieces[k];
            tree(s, len, fill, &mut Vec::with_capacity(FILL))
        });
        plan.combine(n, parts, &|p, q| p + q)
    };
    ArrayD::from_shape_vec(IxDyn(&[]), vec![F::ZERO + v]).expect("one value")
}

/// The data a reduction reads: a view of one dtype.
enum Views<'a> {
    Bool(ArrayViewD<'a, bool>),
    Int32(ArrayViewD<'a, i32>),
    Int64(ArrayViewD<'a, i64>),
    Float32(ArrayViewD<'a, f32>),
    Float64(ArrayViewD<'a, f64>),
    Complex128(ArrayViewD<'a, Complex64>),
}

impl Views<'_> {
    fn shape(&self) -> &[usize] {
        match self {
            Views::Bool(x) => x.shape(),
            Views::Int32(x) => x.shape(),
            Views::Int64(x) => x.shape(),
            Views::Float32(x) => x.shape(),
            Views::Float64(x) => x.shape(),
            Views::Complex128(x) => x.shape(),
        }
    }

    fn dtype(&self) -> DType {
        match self {
            Views::Bool(_) => DType::Bool,
            Views::Int32(_) => DType::Int32,
            Views::Int64(_) => DType::Int64,
            Views::Float32(_) => DType::Float32,
            Views::Float64(_) => DType::Float64,
            Views::Complex128(_) => DType::Complex128,
        }
    }
}

fn reduce_views(
    a: Views<'_>,
    op: ReduceOp,
    axis: Option<i64>,
    sched: &Schedule,
) -> Result<Array, Error> {
    let shape_err = |msg| Error::new(ErrorKind::Shape, msg, None);
    let shape = result_shape(a.shape(), op, axis).map_err(shape_err)?;
    let dtype = result_dtype(a.dtype(), op);
    if crate::types::byte_size(dtype, &shape).is_none() {
        return Err(Error::new(
            ErrorKind::Limit,
            format!(
                "the result would have {} elements of {dtype}, more than memory can address",
                shape.iter().map(|&n| n as u128).product::<u128>()
            ),
            None,
        ));
    }
    let ax = normalize_axis(axis, a.shape().len()).map_err(shape_err)?;
    let r = Reducer {
        ax,
        sched,
        dtype,
        in_dtype: a.dtype(),
    };
    use ReduceOp::*;
    // The number of elements each result averages (NumPy's `rcount`).
    let rcount = match ax {
        Some(k) => a.shape()[k],
        None => a.shape().iter().product(),
    };
    match (a, op) {
        (a, Any | All) => {
            let all = op == All;
            // Nonzero is true (NaN included), as NumPy's `logical_or`/`logical_and` reduce.
            match a {
                Views::Bool(x) => r.truth(&x, all, &|v| v),
                Views::Int32(x) => r.truth(&x, all, &|v| v != 0),
                Views::Int64(x) => r.truth(&x, all, &|v| v != 0),
                Views::Float32(x) => r.truth(&x, all, &|v| v != 0.0),
                Views::Float64(x) => r.truth(&x, all, &|v| v != 0.0),
                Views::Complex128(x) => r.truth(&x, all, &|v| v.re != 0.0 || v.im != 0.0),
            }
            .map(Array::Bool)
        }
        (a, Mean) => match a {
            // NumPy sums bool and integers in float64 (`dtype='f8'`), then divides by the count.
            Views::Bool(x) => mean_f64(&r, &x.mapv(|v| v as u8 as f64).view(), rcount),
            Views::Int32(x) => mean_f64(&r, &x.mapv(|v| v as f64).view(), rcount),
            Views::Int64(x) => mean_f64(&r, &x.mapv(|v| v as f64).view(), rcount),
            Views::Float64(x) => mean_f64(&r, &x, rcount),
            // float32 sums in float32 and divides by the count as a float32.
            Views::Float32(x) => r
                .pairwise(
                    &x,
                    &pairwise::<f32>,
                    &|p, q| p + q,
                    &|v| 0.0 + v,
                    split_real,
                )
                .map(|sums| Array::Float32(sums.mapv(|v| v / rcount as f32))),
            // Complex: NumPy's complex division by `count + 0j`.
            Views::Complex128(x) => {
                let n = Complex64::new(rcount as f64, 0.0);
                r.pairwise(
                    &x,
                    &pairwise_complex,
                    &|p: Complex64, q: Complex64| Complex64::new(p.re + q.re, p.im + q.im),
                    &|v| Complex64::new(0.0 + v.re, 0.0 + v.im),
                    split_complex,
                )
                .map(|sums| Array::Complex128(sums.mapv(|v| cmath::div(v, n))))
            }
        },
        (Views::Bool(x), Sum) => r
            .blocks(&x, &|s| count(s), &add_i64, &|v| v)
            .map(Array::Int64),
        (Views::Bool(x), Prod) => r
            .blocks(&x, &|s| s.iter().all(|&b| b), &|p, q| p & q, &|v| v as i64)
            .map(Array::Int64),
        (Views::Bool(x), Min) => r
            .blocks(&x, &|s| s.iter().all(|&b| b), &|p, q| p & q, &|v| v)
            .map(Array::Bool),
        (Views::Bool(x), Max) => r
            .blocks(&x, &|s| s.iter().any(|&b| b), &|p, q| p | q, &|v| v)
            .map(Array::Bool),
        (Views::Int32(x), Sum) => r
            .blocks(
                &x,
                &|s| s.iter().fold(0i64, |acc, &v| acc.wrapping_add(v as i64)),
                &add_i64,
                &|v| v,
            )
            .map(Array::Int64),
        (Views::Int32(x), Prod) => r
            .blocks(
                &x,
                &|s| s.iter().fold(1i64, |acc, &v| acc.wrapping_mul(v as i64)),
                &|p, q| p.wrapping_mul(q),
                &|v| v,
            )
            .map(Array::Int64),
        (Views::Int32(x), Min) => r.extremum(&x, &|p, q| p.min(q)).map(Array::Int32),
        (Views::Int32(x), Max) => r.extremum(&x, &|p, q| p.max(q)).map(Array::Int32),
        (Views::Int64(x), Sum) => r
            .blocks(
                &x,
                &|s| s.iter().fold(0i64, |acc, &v| acc.wrapping_add(v)),
                &add_i64,
                &|v| v,
            )
            .map(Array::Int64),
        (Views::Int64(x), Prod) => r
            .blocks(
                &x,
                &|s| s.iter().fold(1i64, |acc, &v| acc.wrapping_mul(v)),
                &|p, q| p.wrapping_mul(q),
                &|v| v,
            )
            .map(Array::Int64),
        (Views::Int64(x), Min) => r.extremum(&x, &|p, q| p.min(q)).map(Array::Int64),
        (Views::Int64(x), Max) => r.extremum(&x, &|p, q| p.max(q)).map(Array::Int64),
        (Views::Float32(x), Sum) => r
            .pairwise(
                &x,
                &pairwise::<f32>,
                &|p, q| p + q,
                &|v| 0.0 + v,
                split_real,
            )
            .map(Array::Float32),
        (Views::Float32(x), Prod) => r
            .blocks(&x, &product::<f32>, &|p, q| p * q, &|v| v)
            .map(Array::Float32),
        (Views::Float32(x), Min) => r
            .float_extremum(&x, &float_extreme::<f32, false>, &fmin::<f32>)
            .map(Array::Float32),
        (Views::Float32(x), Max) => r
            .float_extremum(&x, &float_extreme::<f32, true>, &fmax::<f32>)
            .map(Array::Float32),
        (Views::Float64(x), Sum) => r
            .pairwise(
                &x,
                &pairwise::<f64>,
                &|p, q| p + q,
                &|v| 0.0 + v,
                split_real,
            )
            .map(Array::Float64),
        (Views::Float64(x), Prod) => r
            .blocks(&x, &product::<f64>, &|p, q| p * q, &|v| v)
            .map(Array::Float64),
        (Views::Float64(x), Min) => r
            .float_extremum(&x, &float_extreme::<f64, false>, &fmin::<f64>)
            .map(Array::Float64),
        (Views::Float64(x), Max) => r
            .float_extremum(&x, &float_extreme::<f64, true>, &fmax::<f64>)
            .map(Array::Float64),
        (Views::Complex128(x), Sum) => r
            .pairwise(
                &x,
                &pairwise_complex,
                &|p: Complex64, q: Complex64| Complex64::new(p.re + q.re, p.im + q.im),
                &|v| Complex64::new(0.0 + v.re, 0.0 + v.im),
                split_complex,
            )
            .map(Array::Complex128),
        (Views::Complex128(x), Prod) => r
            .blocks(
                &x,
                &|s| s.iter().fold(Complex64::new(1.0, 0.0), |p, &q| cmul(p, q)),
                &cmul,
                &|v| v,
            )
            .map(Array::Complex128),
        (Views::Complex128(x), Min) => r.extremum(&x, &cmin).map(Array::Complex128),
        (Views::Complex128(x), Max) => r.extremum(&x, &cmax).map(Array::Complex128),
    }
}

/// NumPy's float64 `mean`: the pairwise sum divided by the count.
fn mean_f64(r: &Reducer<'_>, x: &ArrayViewD<'_, f64>, count: usize) -> Result<Array, Error> {
    let sums = r.pairwise(x, &pairwise::<f64>, &|p, q| p + q, &|v| 0.0 + v, split_real)?;
    Ok(Array::Float64(sums.mapv(|v| v / count as f64)))
}

fn add_i64(p: i64, q: i64) -> i64 {
    p.wrapping_add(q)
}

fn count(s: &[bool]) -> i64 {
    s.iter().filter(|&&b| b).count() as i64
}

/// NumPy's complex multiplication (no special handling of infinities).
fn cmul(p: Complex64, q: Complex64) -> Complex64 {
    Complex64::new(p.re * q.re - p.im * q.im, p.re * q.im + p.im * q.re)
}

/// NumPy's complex `>=` for `maximum` (`CGE` in NumPy's loops).
fn cge(x: Complex64, y: Complex64) -> bool {
    (x.re > y.re && !x.im.is_nan() && !y.im.is_nan()) || (x.re == y.re && x.im >= y.im)
}

/// NumPy's complex `<=` for `minimum` (`CLE`).
fn cle(x: Complex64, y: Complex64) -> bool {
    (x.re < y.re && !x.im.is_nan() && !y.im.is_nan()) || (x.re == y.re && x.im <= y.im)
}

fn has_nan(z: Complex64) -> bool {
    z.re.is_nan() || z.im.is_nan()
}

/// NumPy's complex `maximum` with the accumulator first: a NaN accumulator stays, otherwise
/// the accumulator is replaced unless it is `>=` the new value (so a NaN propagates, and ties
/// keep the first).
fn cmax(acc: Complex64, z: Complex64) -> Complex64 {
    if has_nan(acc) || cge(acc, z) {
        acc
    } else {
        z
    }
}

/// NumPy's complex `minimum` (see [`cmax`]).
fn cmin(acc: Complex64, z: Complex64) -> Complex64 {
    if has_nan(acc) || cle(acc, z) {
        acc
    } else {
        z
    }
}

/// The float operations the generic kernels need (f32 and f64).
pub(crate) trait Float:
    Copy + PartialOrd + Add<Output = Self> + Mul<Output = Self> + Send + Sync + 'static
{
    const NEG_ZERO: Self;
    const ZERO: Self;
    const ONE: Self;
    fn is_nan(self) -> bool;
    fn is_sign_negative(self) -> bool;
}

impl Float for f32 {
    const NEG_ZERO: f32 = -0.0;
    const ZERO: f32 = 0.0;
    const ONE: f32 = 1.0;
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
    fn is_sign_negative(self) -> bool {
        f32::is_sign_negative(self)
    }
}

impl Float for f64 {
    const NEG_ZERO: f64 = -0.0;
    const ZERO: f64 = 0.0;
    const ONE: f64 = 1.0;
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
    fn is_sign_negative(self) -> bool {
        f64::is_sign_negative(self)
    }
}

/// The larger, NaN first (the accumulator's NaN if both are), +0.0 over -0.0 (equal values
/// differ only in the sign of zero).
fn fmax<F: Float>(acc: F, x: F) -> F {
    if acc.is_nan() {
        acc
    } else if x.is_nan() || x > acc || (x == acc && acc.is_sign_negative()) {
        x
    } else {
        acc
    }
}

/// The smaller, NaN first, -0.0 over +0.0.
fn fmin<F: Float>(acc: F, x: F) -> F {
    if acc.is_nan() {
        acc
    } else if x.is_nan() || x < acc || (x == acc && !acc.is_sign_negative()) {
        x
    } else {
        acc
    }
}

/// [`fmax`] (`MAX`) or [`fmin`] folded over a run, in one vectorisable pass: eight running
/// extremes and a NaN flag; then the rare cases as the fold decides them (a NaN: the first
/// one; a zero extreme: +0.0 for `max` if there is one, -0.0 for `min`). `None` if empty.
fn float_extreme<F: Float, const MAX: bool>(s: &[F]) -> Option<F> {
    let pick = |x: F, m: F| {
        if (MAX && x > m) || (!MAX && x < m) {
            x
        } else {
            m
        }
    };
    let first = *s.first()?;
    let mut m = [first; 8];
    let mut nan = [false; 8];
    let chunks = s.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for k in 0..8 {
            nan[k] |= c[k].is_nan();
            m[k] = pick(c[k], m[k]);
        }
    }
    for &x in rest {
        nan[0] |= x.is_nan();
        m[0] = pick(x, m[0]);
    }
    if nan.contains(&true) {
        return s.iter().copied().find(|x| x.is_nan());
    }
    let r = m[1..].iter().fold(m[0], |acc, &x| pick(x, acc));
    if r == F::ZERO {
        // Every extreme is a zero; the fold prefers +0.0 for max and -0.0 for min.
        if let Some(&z) = s
            .iter()
            .find(|&&x| x == F::ZERO && x.is_sign_negative() != MAX)
        {
            return Some(z);
        }
    }
    Some(r)
}

fn product<F: Float>(s: &[F]) -> F {
    s.iter().fold(F::ONE, |p, &x| p * x)
}

/// Where NumPy's pairwise sum splits a run of `n` > 128 reals: half, rounded down to a
/// multiple of 8.
fn split_real(n: usize) -> usize {
    let h = n / 2;
    h - h % 8
}

/// Where NumPy's pairwise sum splits a run of `m` > 64 complex numbers (it counts the real
/// and imaginary parts as 2m reals: half of those, rounded down to a multiple of 8).
fn split_complex(m: usize) -> usize {
    (m - m % 8) / 2
}

/// NumPy's pairwise sum of reals (`@TYPE@_pairwise_sum`), operation for operation.
fn pairwise<F: Float>(a: &[F]) -> F {
    let n = a.len();
    if n < 8 {
        // From -0.0 so that a sum of -0.0s is -0.0.
        let mut res = F::NEG_ZERO;
        for &x in a {
            res = res + x;
        }
        res
    } else if n <= 128 {
        let mut r = [a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]];
        let end = n - n % 8;
        for c in a[8..end].chunks_exact(8) {
            for k in 0..8 {
                r[k] = r[k] + c[k];
            }
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &x in &a[end..] {
            res = res + x;
        }
        res
    } else {
        let n2 = split_real(n);
        pairwise(&a[..n2]) + pairwise(&a[n2..])
    }
}

/// NumPy's pairwise sum of complex numbers (`CDOUBLE_pairwise_sum`): the same tree over the
/// interleaved real and imaginary parts, with four complex accumulators.
fn pairwise_complex(a: &[Complex64]) -> Complex64 {
    let m = a.len();
    if m < 4 {
        let (mut rr, mut ri) = (-0.0, -0.0);
        for z in a {
            rr += z.re;
            ri += z.im;
        }
        Complex64::new(rr, ri)
    } else if m <= 64 {
        let mut r = [
            a[0].re, a[0].im, a[1].re, a[1].im, a[2].re, a[2].im, a[3].re, a[3].im,
        ];
        let end = m - m % 4;
        for c in a[4..end].chunks_exact(4) {
            for k in 0..4 {
                r[2 * k] += c[k].re;
                r[2 * k + 1] += c[k].im;
            }
        }
        let mut rr = (r[0] + r[2]) + (r[4] + r[6]);
        let mut ri = (r[1] + r[3]) + (r[5] + r[7]);
        for z in &a[end..] {
            rr += z.re;
            ri += z.im;
        }
        Complex64::new(rr, ri)
    } else {
        let m2 = split_complex(m);
        let (p, q) = (pairwise_complex(&a[..m2]), pairwise_complex(&a[m2..]));
        Complex64::new(p.re + q.re, p.im + q.im)
    }
}

/// How a run is cut into independent pieces.
#[derive(Clone, Copy)]
enum Plan {
    /// The top of a pairwise tree with this split, down to runs of at most [`BLOCK`]; the
    /// pieces combine back up the same tree.
    Pairwise(fn(usize) -> usize),
    /// Consecutive blocks of [`BLOCK`], combined left to right.
    Blocks,
}

impl Plan {
    /// The pieces of a run of `n`, as (start, length), in order.
    fn pieces(self, n: usize) -> Vec<(usize, usize)> {
        let mut out = Vec::with_capacity(n / BLOCK + 1);
        match self {
            Plan::Pairwise(split) => {
                fn rec(
                    start: usize,
                    n: usize,
                    split: fn(usize) -> usize,
                    out: &mut Vec<(usize, usize)>,
                ) {
                    if n <= BLOCK {
                        out.push((start, n));
                    } else {
                        let n2 = split(n);
                        rec(start, n2, split, out);
                        rec(start + n2, n - n2, split, out);
                    }
                }
                rec(0, n, split, &mut out);
            }
            Plan::Blocks => {
                let mut start = 0;
                loop {
                    let len = BLOCK.min(n - start);
                    out.push((start, len));
                    start += len;
                    if start >= n {
                        break;
                    }
                }
            }
        }
        out
    }

    /// Combines the pieces' results (in order) as [`Plan::pieces`] cut a run of `n`.
    fn combine<A>(self, n: usize, parts: Vec<A>, combine: &dyn Fn(A, A) -> A) -> A {
        let mut it = parts.into_iter();
        match self {
            Plan::Pairwise(split) => {
                fn rec<A>(
                    n: usize,
                    split: fn(usize) -> usize,
                    it: &mut std::vec::IntoIter<A>,
                    combine: &dyn Fn(A, A) -> A,
                ) -> A {
                    if n <= BLOCK {
                        it.next().expect("one result per piece")
                    } else {
                        let n2 = split(n);
                        let l = rec(n2, split, it, combine);
                        let r = rec(n - n2, split, it, combine);
                        combine(l, r)
                    }
                }
                rec(n, split, &mut it, combine)
            }
            Plan::Blocks => {
                let first = it.next().expect("at least one piece");
                it.fold(first, combine)
            }
        }
    }
}

/// One reduction's axis and schedule, and the dtypes of its result and argument (for the
/// out-of-memory errors of its buffers).
struct Reducer<'s> {
    ax: Option<usize>,
    sched: &'s Schedule,
    dtype: DType,
    in_dtype: DType,
}

/// Runs `count` tasks, on the pool when `elements` (the work in all of them) is large enough
/// for the schedule, and returns their results in order.
fn run_tasks<A: Send + Sync>(
    sched: &Schedule,
    elements: usize,
    count: usize,
    task: &(dyn Fn(usize) -> A + Sync),
) -> Vec<A> {
    if count <= 1 || elements < sched.serial_below {
        return (0..count).map(task).collect();
    }
    let slots: Vec<OnceLock<A>> = (0..count).map(|_| OnceLock::new()).collect();
    exec::parallel_for(sched, count, &|k| {
        let _ = slots[k].set(task(k));
    });
    slots
        .into_iter()
        .map(|s| s.into_inner().expect("parallel_for runs every task"))
        .collect()
}

impl Reducer<'_> {
    /// A reduction cut by [`Plan::Blocks`].
    fn blocks<T, A, R>(
        &self,
        x: &ArrayViewD<'_, T>,
        leaf: &(dyn Fn(&[T]) -> A + Sync),
        combine: &(dyn Fn(A, A) -> A + Sync),
        finish: &(dyn Fn(A) -> R + Sync),
    ) -> Result<ArrayD<R>, Error>
    where
        T: Copy + Send + Sync,
        A: Send + Sync,
        R: Send + Sync,
    {
        self.run(x, Plan::Blocks, leaf, combine, finish)
    }

    /// `any` (`all` false) or `all` of `truth` over the elements (an empty `any` is false, an
    /// empty `all` true, as NumPy's).
    fn truth<T>(
        &self,
        x: &ArrayViewD<'_, T>,
        all: bool,
        truth: &(dyn Fn(T) -> bool + Sync),
    ) -> Result<ArrayD<bool>, Error>
    where
        T: Copy + Send + Sync,
    {
        if all {
            self.blocks(x, &|s| s.iter().all(|&v| truth(v)), &|p, q| p & q, &|v| v)
        } else {
            self.blocks(x, &|s| s.iter().any(|&v| truth(v)), &|p, q| p | q, &|v| v)
        }
    }

    /// A pairwise sum cut along NumPy's tree with `split`.
    fn pairwise<T, A, R>(
        &self,
        x: &ArrayViewD<'_, T>,
        leaf: &(dyn Fn(&[T]) -> A + Sync),
        combine: &(dyn Fn(A, A) -> A + Sync),
        finish: &(dyn Fn(A) -> R + Sync),
        split: fn(usize) -> usize,
    ) -> Result<ArrayD<R>, Error>
    where
        T: Copy + Send + Sync,
        A: Send + Sync,
        R: Send + Sync,
    {
        self.run(x, Plan::Pairwise(split), leaf, combine, finish)
    }

    /// `min`/`max` with the binary operation `pick` (accumulator first); runs are never empty
    /// (checked by [`result_shape`]), but an empty one would give the default value rather
    /// than panic.
    fn extremum<T>(
        &self,
        x: &ArrayViewD<'_, T>,
        pick: &(dyn Fn(T, T) -> T + Sync),
    ) -> Result<ArrayD<T>, Error>
    where
        T: Copy + Send + Sync + Default,
    {
        self.run(
            x,
            Plan::Blocks,
            &|s: &[T]| {
                let (&first, rest) = s.split_first()?;
                Some(rest.iter().fold(first, |acc, &v| pick(acc, v)))
            },
            &|p: Option<T>, q: Option<T>| match (p, q) {
                (Some(p), Some(q)) => Some(pick(p, q)),
                (p, q) => p.or(q),
            },
            &|v| v.unwrap_or_default(),
        )
    }

    /// Float `min`/`max`: runs reduced by `leaf` (equal to folding `pick`), combined by `pick`.
    fn float_extremum<F: Float + Default>(
        &self,
        x: &ArrayViewD<'_, F>,
        leaf: &(dyn Fn(&[F]) -> Option<F> + Sync),
        pick: &(dyn Fn(F, F) -> F + Sync),
    ) -> Result<ArrayD<F>, Error> {
        self.run(
            x,
            Plan::Blocks,
            leaf,
            &|p: Option<F>, q: Option<F>| match (p, q) {
                (Some(p), Some(q)) => Some(pick(p, q)),
                (p, q) => p.or(q),
            },
            &|v| v.unwrap_or_default(),
        )
    }

    /// Reduces one run (`xs`, contiguous), in parallel when `parallel` and long enough.
    fn lane<T, A>(
        &self,
        xs: &[T],
        plan: Plan,
        leaf: &(dyn Fn(&[T]) -> A + Sync),
        combine: &(dyn Fn(A, A) -> A + Sync),
        parallel: bool,
    ) -> A
    where
        T: Sync,
        A: Send + Sync,
    {
        if xs.len() <= BLOCK {
            // One piece (as `Plan::pieces` would cut it), without the bookkeeping.
            return leaf(xs);
        }
        let pieces = plan.pieces(xs.len());
        let parts = if parallel {
            run_tasks(self.sched, xs.len(), pieces.len(), &|k| {
                let (s, n) = pieces[k];
                leaf(&xs[s..s + n])
            })
        } else {
            pieces.iter().map(|&(s, n)| leaf(&xs[s..s + n])).collect()
        };
        plan.combine(xs.len(), parts, combine)
    }

    fn run<T, A, R>(
        &self,
        x: &ArrayViewD<'_, T>,
        plan: Plan,
        leaf: &(dyn Fn(&[T]) -> A + Sync),
        combine: &(dyn Fn(A, A) -> A + Sync),
        finish: &(dyn Fn(A) -> R + Sync),
    ) -> Result<ArrayD<R>, Error>
    where
        T: Copy + Send + Sync,
        A: Send + Sync,
        R: Send + Sync,
    {
        let Some(k) = self.ax else {
            // All elements, in logical (C) order.
            let data: Cow<[T]> = match x.as_slice() {
                Some(s) => Cow::Borrowed(s),
                None => Cow::Owned(self.copy(x.iter().copied(), x.shape())?),
            };
            let v = self.lane(&data, plan, leaf, combine, true);
            return Ok(ArrayD::from_shape_vec(IxDyn(&[]), vec![finish(v)]).expect("one value"));
        };
        let shape = x.shape();
        let len = shape[k];
        let out_shape: Vec<usize> = shape
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != k)
            .map(|(_, &n)| n)
            .collect();
        let outer: usize = out_shape.iter().product();
        // The reduced axis last; lane `p` is the 1-D view at output position `p` (C order).
        let mut perm: Vec<usize> = (0..shape.len()).filter(|&i| i != k).collect();
        perm.push(k);
        let v: ArrayViewD<T> = x.view().permuted_axes(IxDyn(&perm));
        // The multi-index of output position `p` (C order).
        let index_of = |mut p: usize| -> Vec<usize> {
            let mut idx = vec![0usize; out_shape.len()];
            for (i, n) in out_shape.iter().enumerate().rev() {
                idx[i] = p % n;
                p /= n;
            }
            idx
        };
        // The next multi-index after `idx` (C order).
        let advance = |idx: &mut [usize]| {
            for (i, n) in out_shape.iter().enumerate().rev() {
                idx[i] += 1;
                if idx[i] < *n {
                    return;
                }
                idx[i] = 0;
            }
        };
        let lane_at = |idx: &[usize]| -> ArrayView1<T> {
            let mut l = v.view();
            for &i in idx {
                l = l.index_axis_move(Axis(0), i);
            }
            l.into_dimensionality().expect("one axis is left")
        };
        // The result is allocated before any work, so that one too large for memory fails
        // at once (NumPy's MemoryError), even when every lane is empty.
        let mut values: Vec<R> =
            try_with_capacity(outer).ok_or_else(|| out_of_memory(self.dtype, &out_shape))?;
        if outer == 0 {
            // No output elements (another axis is empty): nothing to reduce.
        } else if len > BLOCK {
            // Few long lanes: one after the other, each split across the pool.
            let mut idx = index_of(0);
            for _ in 0..outer {
                let l = lane_at(&idx);
                let data: Cow<[T]> = match l.as_slice() {
                    Some(s) => Cow::Borrowed(s),
                    None => Cow::Owned(self.copy(l.iter().copied(), &[len])?),
                };
                values.push(finish(self.lane(&data, plan, leaf, combine, true)));
                advance(&mut idx);
            }
        } else if let (true, Some(data)) = (k + 1 == shape.len(), x.as_slice()) {
            // Many short lanes, each a contiguous run of a C-contiguous array: groups of whole
            // rows per task, read in place.
            let per_task = (BLOCK / len.max(1)).max(1);
            let tasks = outer.div_ceil(per_task);
            let groups = run_tasks(self.sched, outer * len, tasks, &|t| {
                let (from, to) = (t * per_task, ((t + 1) * per_task).min(outer));
                (from..to)
                    .map(|p| {
                        finish(self.lane(&data[p * len..(p + 1) * len], plan, leaf, combine, false))
                    })
                    .collect::<Vec<R>>()
            });
            values.extend(groups.into_iter().flatten());
        } else {
            // Many short lanes: groups of whole lanes per task.
            let per_task = (BLOCK / len.max(1)).max(1);
            let tasks = outer.div_ceil(per_task);
            let groups = run_tasks(self.sched, outer * len, tasks, &|t| {
                let (from, to) = (t * per_task, ((t + 1) * per_task).min(outer));
                let mut buf: Vec<T> = Vec::with_capacity(len);
                let mut idx = index_of(from);
                let mut values = Vec::with_capacity(to - from);
                for _ in from..to {
                    let l = lane_at(&idx);
                    let data: &[T] = match l.as_slice() {
                        Some(s) => s,
                        None => {
                            buf.clear();
                            buf.extend(l.iter().copied());
                            &buf
                        }
                    };
                    values.push(finish(self.lane(data, plan, leaf, combine, false)));
                    advance(&mut idx);
                }
                values
            });
            values.extend(groups.into_iter().flatten());
        }
        Ok(ArrayD::from_shape_vec(IxDyn(&out_shape), values)
            .expect("one value per output position"))
    }

    /// The elements of a view that is not one contiguous run (of `shape`), copied into a
    /// buffer allocated fallibly: a broadcast view may stand for far more elements than
    /// memory holds.
    fn copy<T>(&self, it: impl Iterator<Item = T>, shape: &[usize]) -> Result<Vec<T>, Error> {
        let n = shape.iter().try_fold(1usize, |n, &len| n.checked_mul(len));
        let mut buf = n
            .and_then(try_with_capacity)
            .ok_or_else(|| out_of_memory(self.in_dtype, shape))?;
        buf.extend(it);
        Ok(buf)
    }
}

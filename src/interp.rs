//! Provides the reference interpreter: [`apply`] gives one operation's value on scalars and
//! [`run`] evaluates a whole [`Program`] element by element. It is slow and obviously right, and
//! it is the oracle the JIT is tested against (constant folding uses [`apply`] too).
//!
//! It knows nothing about Cranelift, chunks or threads.

use crate::array::{Arg, Array, DType};
use crate::exec;
use crate::ir::{Cmp, Op, Program, Scalar};
use crate::ops::{scalar as s, Func};
use ndarray::{ArrayD, IxDyn};

/// The value of `op` of result dtype `dtype` on `args` (already of the dtypes the op expects).
pub fn apply(op: Op, dtype: DType, args: &[Scalar]) -> Scalar {
    use Scalar::{Bool as B, Float as F, Int as I};
    let bad = || -> Scalar {
        // Checking guarantees well-typed programs; reaching here is a bug in numjit.
        unreachable!("ill-typed operation {op:?} on {args:?}")
    };
    match op {
        Op::Input(_) => bad(),
        Op::Const(c) => c,
        Op::Cast => args[0].cast(dtype),
        Op::Neg => match args[0] {
            I(a) => I(a.wrapping_neg()),
            F(a) => F(-a),
            _ => bad(),
        },
        Op::Invert => match args[0] {
            B(a) => B(!a),
            I(a) => I(!a),
            _ => bad(),
        },
        Op::Cmp(c) => {
            let ord = match (args[0], args[1]) {
                (B(a), B(b)) => a.partial_cmp(&b),
                (I(a), I(b)) => a.partial_cmp(&b),
                (F(a), F(b)) => a.partial_cmp(&b),
                _ => return bad(),
            };
            use std::cmp::Ordering::*;
            B(match (c, ord) {
                (Cmp::Ne, None) => true,
                (_, None) => false,
                (Cmp::Lt, Some(o)) => o == Less,
                (Cmp::Le, Some(o)) => o != Greater,
                (Cmp::Eq, Some(o)) => o == Equal,
                (Cmp::Ne, Some(o)) => o != Equal,
                (Cmp::Ge, Some(o)) => o != Less,
                (Cmp::Gt, Some(o)) => o == Greater,
            })
        }
        Op::Call(f) => call(f, args),
        _ => match (args[0], args[1]) {
            (B(a), B(b)) => match op {
                Op::Add | Op::Or => B(a | b),
                Op::Mul | Op::And => B(a & b),
                Op::Xor => B(a ^ b),
                _ => bad(),
            },
            (I(a), I(b)) => I(match op {
                Op::Add => a.wrapping_add(b),
                Op::Sub => a.wrapping_sub(b),
                Op::Mul => a.wrapping_mul(b),
                Op::FloorDiv => s::floordiv_i64(a, b),
                Op::Mod => s::mod_i64(a, b),
                Op::Pow => s::pow_i64(a, b),
                Op::Shl => s::shl_i64(a, b),
                Op::Shr => s::shr_i64(a, b),
                Op::And => a & b,
                Op::Or => a | b,
                Op::Xor => a ^ b,
                _ => return bad(),
            }),
            (F(a), F(b)) => F(match op {
                Op::Add => a + b,
                Op::Sub => a - b,
                Op::Mul => a * b,
                Op::Div => a / b,
                Op::FloorDiv => s::floordiv_f64(a, b),
                Op::Mod => s::mod_f64(a, b),
                // numjit's pow kernel (within 1 ulp of libm's), as the JIT computes it.
                Op::Pow => exec::math(Op::Pow, &[a, b]),
                _ => return bad(),
            }),
            _ => bad(),
        },
    }
}

/// A float64 function of one argument that has no numjit kernel ([`crate::vmath`]): the
/// routine the JIT calls too (or the operation its instruction computes).
pub fn float_unary(f: Func) -> Option<fn(f64) -> f64> {
    use Func::*;
    Some(match f {
        Arcsin => f64::asin,
        Arccos => f64::acos,
        // std's inverse hyperbolics are not libm-accurate; the libm crate's (musl's) are.
        Arcsinh => libm::asinh,
        Arccosh => libm::acosh,
        Arctanh => libm::atanh,
        Sqrt => f64::sqrt,
        Abs => f64::abs,
        Floor => f64::floor,
        Ceil => f64::ceil,
        Trunc => f64::trunc,
        Round => f64::round_ties_even,
        Sign => s::sign_f64,
        _ => return None,
    })
}

/// A float64 function of two arguments that has no numjit kernel.
pub fn float_binary(f: Func) -> Option<fn(f64, f64) -> f64> {
    use Func::*;
    Some(match f {
        Fmod => |a: f64, b: f64| a % b,
        Hypot => f64::hypot,
        Copysign => f64::copysign,
        Nextafter => s::nextafter_f64,
        Maximum => s::maximum_f64,
        Minimum => s::minimum_f64,
        _ => return None,
    })
}

fn call(f: Func, args: &[Scalar]) -> Scalar {
    use Func::*;
    use Scalar::{Bool as B, Float as F, Int as I};
    match (f, args) {
        (Where, [B(c), a, b]) => {
            if *c {
                *a
            } else {
                *b
            }
        }
        (Isnan, [F(x)]) => B(x.is_nan()),
        (Isfinite, [F(x)]) => B(x.is_finite()),
        (Isinf, [F(x)]) => B(x.is_infinite()),
        (Signbit, [F(x)]) => B(x.is_sign_negative()),
        (Isnan | Isinf | Signbit, [B(_)]) => B(false),
        (Isfinite, [B(_) | I(_)]) => B(true),
        (Isnan | Isinf, [I(_)]) => B(false),
        (Signbit, [I(x)]) => B(*x < 0),
        (Abs | Floor | Ceil | Trunc | Round, [I(x)]) => {
            I(if f == Abs { x.wrapping_abs() } else { *x })
        }
        (Abs | Floor | Ceil | Trunc, [B(x)]) => B(*x),
        (Sign, [I(x)]) => I(x.signum()),
        (Maximum, [I(a), I(b)]) => I(*a.max(b)),
        (Minimum, [I(a), I(b)]) => I(*a.min(b)),
        (Maximum, [B(a), B(b)]) => B(*a | *b),
        (Minimum, [B(a), B(b)]) => B(*a & *b),
        (Fmod, [I(a), I(b)]) => I(s::fmod_i64(*a, *b)),
        (_, [F(x)]) if crate::vmath::has_kernel(f) => F(exec::math(Op::Call(f), &[*x])),
        (_, [F(a), F(b)]) if crate::vmath::has_kernel(f) => F(exec::math(Op::Call(f), &[*a, *b])),
        (_, [F(x)]) => match float_unary(f) {
            Some(g) => F(g(*x)),
            None => unreachable!("{f:?} has no float64 loop"),
        },
        (_, [F(a), F(b)]) => match float_binary(f) {
            Some(g) => F(g(*a, *b)),
            None => unreachable!("{f:?} has no binary float64 loop"),
        },
        _ => unreachable!("ill-typed call {f:?} on {args:?}"),
    }
}

/// Evaluates `program` on `args` (one per program input, in order) into a new array of
/// `shape`, one element at a time with NumPy broadcasting.
pub fn run(program: &Program, args: &[&Arg<'_>], shape: &[usize]) -> Array {
    let total: usize = shape.iter().product();
    let mut values = vec![Scalar::Bool(false); program.nodes.len()];
    let mut results = Vec::with_capacity(total);
    let mut idx = vec![0usize; shape.len()];
    for flat in 0..total {
        // Unravel the row-major flat index.
        let mut rem = flat;
        for d in (0..shape.len()).rev() {
            idx[d] = rem % shape[d];
            rem /= shape[d];
        }
        for (i, node) in program.nodes.iter().enumerate() {
            values[i] = match node.op {
                Op::Input(k) => {
                    let arg = args[k];
                    let nd = arg.shape().len();
                    // Broadcasting: align trailing axes; length-1 axes repeat index 0.
                    let aidx: Vec<usize> = (0..nd)
                        .map(|d| {
                            let od = shape.len() - nd + d;
                            if arg.shape()[d] == 1 {
                                0
                            } else {
                                idx[od]
                            }
                        })
                        .collect();
                    exec::read(arg, &aidx)
                }
                op => {
                    let a: Vec<Scalar> = node.args.iter().map(|&j| values[j]).collect();
                    apply(op, node.dtype, &a)
                }
            };
        }
        results.push(values[program.root]);
    }
    let s = IxDyn(shape);
    let err = "shape and length agree by construction";
    match program.dtype() {
        DType::Bool => Array::Bool(
            ArrayD::from_shape_vec(
                s,
                build_vec(&results, |v| match v {
                    Scalar::Bool(b) => Some(*b),
                    _ => None,
                }),
            )
            .expect(err),
        ),
        DType::Int64 => Array::Int64(
            ArrayD::from_shape_vec(
                s,
                build_vec(&results, |v| match v {
                    Scalar::Int(i) => Some(*i),
                    _ => None,
                }),
            )
            .expect(err),
        ),
        DType::Float64 => Array::Float64(
            ArrayD::from_shape_vec(
                s,
                build_vec(&results, |v| match v {
                    Scalar::Float(f) => Some(*f),
                    _ => None,
                }),
            )
            .expect(err),
        ),
    }
}

/// The payloads of `values` (all of one dtype, as checking guarantees).
fn build_vec<T: Default>(values: &[Scalar], payload: fn(&Scalar) -> Option<T>) -> Vec<T> {
    values
        .iter()
        .map(|v| payload(v).unwrap_or_default())
        .collect()
}

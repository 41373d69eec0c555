//! Owns the scalar reference implementation of every operation: [`apply`] gives one
//! operation's value on scalars, as NumPy defines it (the interpreter and constant folding call it).
//! Must not touch Cranelift, codegen, exec or generated code: math comes from Rust (`refmath`,
//! `cmath`, std, libm).

use super::{cmath, refmath, scalar as s, Cmp, Func, Op};
use crate::types::{Complex64, DType, Scalar};

/// The value of `op` of result dtype `dtype` on `args` (already of the dtypes the op expects).
///
/// int32 operations are computed in int64 and wrapped (every int32 operation NumPy defines,
/// shifts included, gives the low 32 bits of the int64 result); float32 operations are
/// computed in float64 and rounded (exact for `+ - * /`, `sqrt` and the like, whose float64
/// result rounds to the correctly rounded float32; numjit's definition for the math functions)
/// except floor division, remainder and `nextafter`, which NumPy defines in float32 itself.
pub fn apply(op: Op, dtype: DType, args: &[Scalar]) -> Scalar {
    match op {
        Op::Input(_) => unreachable!("inputs are read, not applied"),
        Op::Const(c) => return c,
        Op::Cast => return args[0].cast(dtype),
        // `where`'s first operand is bool; its branches are returned as they are.
        Op::Call(Func::Where) => return if args[0].truthy() { args[1] } else { args[2] },
        // Floats only: float32 through float64, rounded once.
        Op::PowConst(halves) => {
            return Scalar::Float(refmath::pow_const(args[0].to_f64(), halves)).cast(dtype)
        }
        _ => {}
    }
    match args.first().map(|a| a.dtype()) {
        Some(DType::Int32) => {
            let wide: Vec<Scalar> = args.iter().map(|a| a.cast(DType::Int64)).collect();
            let wide_dt = if dtype == DType::Int32 {
                DType::Int64
            } else {
                dtype
            };
            apply64(op, wide_dt, &wide).cast(dtype)
        }
        Some(DType::Float32) => {
            use Scalar::Float32 as F32;
            match (op, args) {
                (Op::FloorDiv, [F32(a), F32(b)]) => F32(s::floordiv_f32(*a, *b)),
                (Op::Mod, [F32(a), F32(b)]) => F32(s::mod_f32(*a, *b)),
                (Op::Call(Func::Nextafter), [F32(a), F32(b)]) => F32(s::nextafter_f32(*a, *b)),
                _ => {
                    let wide: Vec<Scalar> = args.iter().map(|a| a.cast(DType::Float64)).collect();
                    let wide_dt = if dtype == DType::Float32 {
                        DType::Float64
                    } else {
                        dtype
                    };
                    apply64(op, wide_dt, &wide).cast(dtype)
                }
            }
        }
        Some(DType::Complex128) => complex(op, dtype, args),
        _ => apply64(op, dtype, args),
    }
}

/// [`apply`] for complex128 operands.
fn complex(op: Op, dtype: DType, args: &[Scalar]) -> Scalar {
    use Scalar::{Bool as B, Complex as C};
    let z: Vec<Complex64> = args.iter().map(|a| a.to_complex()).collect();
    match op {
        Op::Neg => C(-z[0]),
        Op::Add => C(z[0] + z[1]),
        Op::Sub => C(z[0] - z[1]),
        Op::Mul => C(complex_mul(z[0], z[1])),
        Op::Div => C(cmath::div(z[0], z[1])),
        Op::Pow => C(cmath::pow(z[0], z[1])),
        Op::Cmp(c) => B(complex_cmp(c, z[0], z[1])),
        Op::Call(f) => match f {
            Func::Isnan => B(z[0].re.is_nan() || z[0].im.is_nan()),
            Func::Isinf => B(z[0].re.is_infinite() || z[0].im.is_infinite()),
            Func::Isfinite => B(z[0].re.is_finite() && z[0].im.is_finite()),
            Func::Abs => Scalar::Float(cmath::abs(z[0])),
            Func::Real => Scalar::Float(z[0].re),
            Func::Imag => Scalar::Float(z[0].im),
            Func::Conj => C(z[0].conj()),
            Func::Copy => C(z[0]),
            Func::OnesLike => C(Complex64::new(1.0, 0.0)),
            Func::Maximum | Func::Minimum => {
                // NumPy: a NaN operand (either part) propagates; otherwise lexicographic.
                let nan = |w: Complex64| w.re.is_nan() || w.im.is_nan();
                C(if nan(z[0]) {
                    z[0]
                } else if nan(z[1]) {
                    z[1]
                } else {
                    let first = complex_cmp(
                        if f == Func::Maximum { Cmp::Ge } else { Cmp::Le },
                        z[0],
                        z[1],
                    );
                    if first {
                        z[0]
                    } else {
                        z[1]
                    }
                })
            }
            f => C(complex_fn(f)
                .unwrap_or_else(|| unreachable!("{f:?} on complex"))(
                z[0]
            )),
        },
        _ => unreachable!("ill-typed complex operation {op:?} → {dtype}"),
    }
}

/// NumPy's complex product as its x86-64 loops compute it, with fused multiply-adds:
/// re = fma(ar, br, -(ai·bi)), im = fma(ar, bi, ai·br) (one rounding fewer than the textbook
/// formula, and `(1e308+1e308j)**2` is `-inf+infj`, not `nan+infj`).
pub fn complex_mul(a: Complex64, b: Complex64) -> Complex64 {
    Complex64::new(
        a.re.mul_add(b.re, -(a.im * b.im)),
        a.re.mul_add(b.im, a.im * b.re),
    )
}

/// NumPy's complex comparisons: lexicographic on (real, imaginary), the real parts deciding
/// only where no imaginary part is NaN.
pub fn complex_cmp(c: Cmp, a: Complex64, b: Complex64) -> bool {
    let (ar, ai, br, bi) = (a.re, a.im, b.re, b.im);
    // NumPy's CLT & co.: the real parts decide only where neither imaginary part is NaN.
    let ordered = !ai.is_nan() && !bi.is_nan();
    match c {
        Cmp::Lt => (ar < br && ordered) || (ar == br && ai < bi),
        Cmp::Le => (ar < br && ordered) || (ar == br && ai <= bi),
        Cmp::Gt => (ar > br && ordered) || (ar == br && ai > bi),
        Cmp::Ge => (ar > br && ordered) || (ar == br && ai >= bi),
        Cmp::Eq => ar == br && ai == bi,
        Cmp::Ne => ar != br || ai != bi,
    }
}

/// The complex128 routine of a one-argument function ([`crate::semantics::cmath`]), if it has one.
pub fn complex_fn(f: Func) -> Option<fn(Complex64) -> Complex64> {
    use cmath as c;
    use Func::*;
    Some(match f {
        Sqrt => c::sqrt,
        Exp => c::exp,
        Expm1 => c::expm1,
        Log => c::log,
        Log1p => c::log1p,
        Log10 => c::log10,
        Log2 => c::log2,
        Sin => c::sin,
        Cos => c::cos,
        Tan => c::tan,
        Arcsin => c::arcsin,
        Arccos => c::arccos,
        Arctan => c::arctan,
        Sinh => c::sinh,
        Cosh => c::cosh,
        Tanh => c::tanh,
        Arcsinh => c::arcsinh,
        Arccosh => c::arccosh,
        Arctanh => c::arctanh,
        Sign => c::sign,
        Round => c::round,
        Reciprocal => c::reciprocal,
        _ => return None,
    })
}

/// [`apply`] on bool, int64 and float64 operands.
fn apply64(op: Op, dtype: DType, args: &[Scalar]) -> Scalar {
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
                Op::Pow => refmath::pow(a, b),
                _ => return bad(),
            }),
            _ => bad(),
        },
    }
}

/// A float64 function of one argument that numjit computes with its own polynomial kernel (the
/// JIT emits it inline; [`refmath`] is the same algorithm in plain Rust, bit for bit).
/// `arctan2` (two arguments) and `**` are the others with an own kernel.
pub fn own_unary(f: Func) -> Option<fn(f64) -> f64> {
    use Func::*;
    Some(match f {
        Exp => refmath::exp,
        Expm1 => refmath::expm1,
        Log => refmath::log,
        Log1p => refmath::log1p,
        Log2 => refmath::log2,
        Log10 => refmath::log10,
        Sin => refmath::sin,
        Cos => refmath::cos,
        Tan => refmath::tan,
        Tanh => refmath::tanh,
        Sinh => refmath::sinh,
        Cosh => refmath::cosh,
        Arctan => refmath::atan,
        _ => return None,
    })
}

/// Whether numjit computes the float64 function `f` with its own kernel ([`own_unary`], or
/// `arctan2`) rather than a libm routine or an instruction.
pub fn has_own_kernel(f: Func) -> bool {
    f == Func::Arctan2 || own_unary(f).is_some()
}

/// A float64 function of one argument that has no numjit kernel ([`own_unary`]): the
/// routine the JIT calls too (or the operation its instruction computes).
pub fn float_unary(f: Func) -> Option<fn(f64) -> f64> {
    use Func::*;
    Some(match f {
        Arcsin => f64::asin,
        Arccos => f64::acos,
        // std's inverse hyperbolics are not libm-accurate; the libm crate's (musl's) are.
        Arcsinh => libm::asinh,
        Arccosh => s::acosh_f64,
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
        (Real | Conj | Copy, [x]) => *x,
        (Imag, [x]) => Scalar::Int(0).cast(x.dtype()),
        (OnesLike, [x]) => Scalar::Int(1).cast(x.dtype()),
        (Complex, [a, b]) => Scalar::Complex(Complex64::new(a.to_f64(), b.to_f64())),
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
        (Arctan2, [F(a), F(b)]) => F(refmath::atan2(*a, *b)),
        // numjit's own kernels return a NaN argument itself (its sign and payload): inside
        // a kernel, which of two NaN operands an instruction passes on is up to the
        // compiler, so without this the NaN's sign could differ between the JIT and here.
        (_, [F(x)]) if x.is_nan() && own_unary(f).is_some() => F(*x),
        (_, [F(x)]) => match own_unary(f).or_else(|| float_unary(f)) {
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

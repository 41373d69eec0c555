//! Owns the scalar reference implementation of every operation: [`apply`] gives one
//! operation's value on scalars, as NumPy defines it (the interpreter and constant folding call it).
//! Must not touch Cranelift, codegen, exec or generated code: math comes from Rust (`refmath`,
//! `cmath`, std, libm).

use super::{cmath, refmath, scalar as s, Cmp, ComplexRef, FloatRef, Func, Op};
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
        Op::Call(f) => match (f.spec().complex, &z[..]) {
            (ComplexRef::Map(g), [a]) => C(g(*a)),
            (ComplexRef::Map2(g), [a, b]) => C(g(*a, *b)),
            (ComplexRef::ToFloat(g), [a]) => Scalar::Float(g(*a)),
            (ComplexRef::Test(g), [a]) => B(g(*a)),
            (ComplexRef::Rule, [a]) => match f {
                Func::Real => Scalar::Float(a.re),
                Func::Imag => Scalar::Float(a.im),
                Func::Conj => C(a.conj()),
                Func::Copy => C(*a),
                Func::OnesLike => C(Complex64::new(1.0, 0.0)),
                _ => unreachable!("{f:?} on complex"),
            },
            _ => unreachable!("{f:?} on complex"),
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

/// NumPy's `maximum` on complex128: a NaN operand (either part) propagates, the first if both
/// are; otherwise the lexicographically larger, the first on ties.
pub fn complex_maximum(a: Complex64, b: Complex64) -> Complex64 {
    complex_extremum(Cmp::Ge, a, b)
}

/// NumPy's `minimum` on complex128 (see [`complex_maximum`]).
pub fn complex_minimum(a: Complex64, b: Complex64) -> Complex64 {
    complex_extremum(Cmp::Le, a, b)
}

/// `a` if `a keep b` (or `a` has a NaN part), else `b` (or `b`'s NaN).
fn complex_extremum(keep: Cmp, a: Complex64, b: Complex64) -> Complex64 {
    if complex_isnan(a) {
        a
    } else if complex_isnan(b) {
        b
    } else if complex_cmp(keep, a, b) {
        a
    } else {
        b
    }
}

/// NumPy's `isnan` on complex128: either part NaN.
pub fn complex_isnan(z: Complex64) -> bool {
    z.re.is_nan() || z.im.is_nan()
}

/// NumPy's `isinf` on complex128: either part infinite.
pub fn complex_isinf(z: Complex64) -> bool {
    z.re.is_infinite() || z.im.is_infinite()
}

/// NumPy's `isfinite` on complex128: both parts finite.
pub fn complex_isfinite(z: Complex64) -> bool {
    z.re.is_finite() && z.im.is_finite()
}

/// The complex128 routine of a one-argument function with a complex128 result (its
/// `ComplexRef::Map` in the function table), if it has one.
pub fn complex_fn(f: Func) -> Option<fn(Complex64) -> Complex64> {
    match f.spec().complex {
        ComplexRef::Map(g) => Some(g),
        _ => None,
    }
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

/// Whether numjit computes the float64 function `f` with its own kernel (`FloatRef::Own` or
/// `Own2` in the function table: [`refmath`] here, inline in the JIT) rather than a libm routine
/// or an instruction. `**` is the other operation with an own kernel.
pub fn has_own_kernel(f: Func) -> bool {
    matches!(f.spec().float, FloatRef::Own(_) | FloatRef::Own2(_))
}

/// A function on bool, int64 and float64 arguments: the rules that are not a float64 routine
/// (`where`, the parts, the int and bool loops), then the function's float64 routine.
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
        _ => match (f.spec().float, args) {
            // numjit's own kernels return a NaN argument itself (its sign and payload):
            // inside a kernel, which of two NaN operands an instruction passes on is up to
            // the compiler, so without this the NaN's sign could differ between the JIT and
            // here.
            (FloatRef::Own(_), [F(x)]) if x.is_nan() => F(*x),
            (FloatRef::Own(g) | FloatRef::Lib(g), [F(x)]) => F(g(*x)),
            (FloatRef::Own2(g) | FloatRef::Lib2(g), [F(a), F(b)]) => F(g(*a, *b)),
            // On bool and int the predicate of the value as float64 (exact: see `FloatRef::Test`).
            (FloatRef::Test(g), [x @ (B(_) | I(_) | F(_))]) => B(g(x.to_f64())),
            _ => unreachable!("ill-typed call {f:?} on {args:?}"),
        },
    }
}

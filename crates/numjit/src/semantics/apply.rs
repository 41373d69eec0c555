//! Owns the scalar reference implementation of every operation: [`apply`] gives one
//! operation's value on scalars, as NumPy defines it (the interpreter and constant folding call it).
//! Must not touch Cranelift, codegen, exec or generated code: math comes from Rust (`refmath`,
//! `cmath`, std, libm).

use super::{refmath, scalar as s, Cmp, ComplexRef, FloatRef, Func, Loop, Op};
use crate::types::{Complex64, DType, Scalar};

/// The value of `op` of result dtype `dtype` on `args` (already of the dtypes the op expects).
///
/// int32 operations are computed in int64 and wrapped (every int32 operation NumPy defines,
/// shifts included, gives the low 32 bits of the int64 result); float32 operations are
/// computed in float64 and rounded (exact for `+ - * /`, `sqrt` and the like, whose float64
/// result rounds to the correctly rounded float32; numjit's definition for the math functions)
/// except floor division, remainder and `nextafter`, which NumPy defines in float32 itself.
/// Operators are computed through their row's loops in the operator table ([`super::OPS`]),
/// functions through their row in the function table ([`super::FUNCS`]) and the rules here.
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
            apply64(op, &wide).cast(dtype)
        }
        Some(DType::Float32) => {
            use Scalar::Float32 as F32;
            match (op, args) {
                (Op::FloorDiv, [F32(a), F32(b)]) => F32(s::floordiv_f32(*a, *b)),
                (Op::Mod, [F32(a), F32(b)]) => F32(s::mod_f32(*a, *b)),
                (Op::Call(Func::Nextafter), [F32(a), F32(b)]) => F32(s::nextafter_f32(*a, *b)),
                _ => {
                    let wide: Vec<Scalar> = args.iter().map(|a| a.cast(DType::Float64)).collect();
                    apply64(op, &wide).cast(dtype)
                }
            }
        }
        Some(DType::Complex128) => complex(op, dtype, args),
        _ => apply64(op, args),
    }
}

/// [`apply`] for complex128 operands.
fn complex(op: Op, dtype: DType, args: &[Scalar]) -> Scalar {
    use Scalar::{Bool as B, Complex as C};
    let z: Vec<Complex64> = args.iter().map(|a| a.to_complex()).collect();
    match op {
        Op::Call(f) => match (f.spec().complex, &z[..]) {
            (ComplexRef::Map(g), [a]) => C(g(super::cmath::positive_nans(*a))),
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
        _ => op
            .spec()
            .and_then(|o| operator(o.complex, &z, C))
            .unwrap_or_else(|| unreachable!("ill-typed complex operation {op:?} → {dtype}")),
    }
}

/// An operator's value through its loop for the operands' kind (its row in the operator
/// table); `wrap` makes the result a [`Scalar`]. `None`: no such loop (an ill-typed program).
fn operator<T: Copy>(kind: Loop<T>, args: &[T], wrap: fn(T) -> Scalar) -> Option<Scalar> {
    match (kind, args) {
        (Loop::Unary(g), [a]) => Some(wrap(g(*a))),
        (Loop::Binary(g), [a, b]) => Some(wrap(g(*a, *b))),
        (Loop::Test(g), [a, b]) => Some(Scalar::Bool(g(*a, *b))),
        _ => None,
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

// The comparisons on complex128 (the operator table's complex loops): [`complex_cmp`].
macro_rules! complex_comparisons {
    ($($name:ident: $cmp:ident, $sym:literal;)*) => {$(
        #[doc = concat!("`a ", $sym, " b` on complex128 (see [`complex_cmp`]).")]
        pub fn $name(a: Complex64, b: Complex64) -> bool {
            complex_cmp(Cmp::$cmp, a, b)
        }
    )*};
}
complex_comparisons! {
    complex_lt: Lt, "<";
    complex_le: Le, "<=";
    complex_eq: Eq, "==";
    complex_ne: Ne, "!=";
    complex_ge: Ge, ">=";
    complex_gt: Gt, ">";
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
fn apply64(op: Op, args: &[Scalar]) -> Scalar {
    use Scalar::{Bool as B, Float as F, Int as I};
    if let Op::Call(f) = op {
        return call(f, args);
    }
    // Operands share a kind: the operator's loop for it.
    let value = op.spec().and_then(|o| match *args {
        [B(a)] => operator(o.bool, &[a], B),
        [B(a), B(b)] => operator(o.bool, &[a, b], B),
        [I(a)] => operator(o.int, &[a], I),
        [I(a), I(b)] => operator(o.int, &[a, b], I),
        [F(a)] => operator(o.float, &[a], F),
        [F(a), F(b)] => operator(o.float, &[a, b], F),
        _ => None,
    });
    // Checking guarantees well-typed programs; reaching the panic is a bug in numjit.
    value.unwrap_or_else(|| unreachable!("ill-typed operation {op:?} on {args:?}"))
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

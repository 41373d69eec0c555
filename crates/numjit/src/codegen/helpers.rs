//! Owns the `extern "C"` helpers kernels call for operations without an instruction or an
//! inline kernel (integer division and power, float remainders, libm functions, complex math).
//! Must not touch Cranelift IR or raw memory: each helper is the very `semantics` routine the
//! interpreter uses, so the JIT and the oracle agree bit for bit.

use crate::semantics::{refmath, scalar as sc, Func, Op};
use crate::types::{Complex64, DType, Scalar};

macro_rules! unary_helpers {
    ($($func:ident => $name:ident = $f:expr),* $(,)?) => {
        /// The out-of-line float64 routine for a function without a machine instruction.
        pub(super) fn unary_helper(f: Func) -> Option<extern "C" fn(f64) -> f64> {
            $(pub(super) extern "C" fn $name(x: f64) -> f64 {
                $f(x)
            })*
            match f {
                $(Func::$func => Some($name),)*
                _ => None,
            }
        }
    };
}

// Functions without a numjit kernel (`crate::codegen::vmath`) call these; each is the very routine the
// reference interpreter uses (the `FloatRef::Lib` of its row in `semantics::FUNCS`), so the JIT and the
// oracle agree bit for bit.
unary_helpers! {
    Arcsin => h_asin = f64::asin, Arccos => h_acos = f64::acos,
    Arcsinh => h_asinh = libm::asinh, Arccosh => h_acosh = sc::acosh_f64,
    Arctanh => h_atanh = libm::atanh,
    Sign => h_sign = sc::sign_f64,
    Cbrt => h_cbrt = f64::cbrt, Exp2 => h_exp2 = f64::exp2,
}

pub(super) extern "C" fn h_floordiv_f32(a: f32, b: f32) -> f32 {
    sc::floordiv_f32(a, b)
}
pub(super) extern "C" fn h_mod_f32(a: f32, b: f32) -> f32 {
    sc::mod_f32(a, b)
}
pub(super) extern "C" fn h_nextafter_f32(a: f32, b: f32) -> f32 {
    sc::nextafter_f32(a, b)
}

/// A complex128 result as the C ABI returns `struct { double re, im; }`: in two float
/// registers, which is how Cranelift returns two `f64` results.
#[repr(C)]
pub(super) struct Pair {
    re: f64,
    im: f64,
}

impl From<Complex64> for Pair {
    fn from(z: Complex64) -> Pair {
        Pair { re: z.re, im: z.im }
    }
}

pub(super) extern "C" fn h_cdiv(ar: f64, ai: f64, br: f64, bi: f64) -> Pair {
    crate::semantics::cmath::div(Complex64::new(ar, ai), Complex64::new(br, bi)).into()
}
pub(super) extern "C" fn h_cpow(ar: f64, ai: f64, br: f64, bi: f64) -> Pair {
    crate::semantics::cmath::pow(Complex64::new(ar, ai), Complex64::new(br, bi)).into()
}
pub(super) extern "C" fn h_cabs(re: f64, im: f64) -> f64 {
    crate::semantics::cmath::abs(Complex64::new(re, im))
}
pub(super) extern "C" fn h_cmax(ar: f64, ai: f64, br: f64, bi: f64) -> Pair {
    complex_extremum(Func::Maximum, ar, ai, br, bi)
}
pub(super) extern "C" fn h_cmin(ar: f64, ai: f64, br: f64, bi: f64) -> Pair {
    complex_extremum(Func::Minimum, ar, ai, br, bi)
}
pub(super) fn complex_extremum(f: Func, ar: f64, ai: f64, br: f64, bi: f64) -> Pair {
    let args = [
        Scalar::Complex(Complex64::new(ar, ai)),
        Scalar::Complex(Complex64::new(br, bi)),
    ];
    match crate::semantics::apply::apply(Op::Call(f), DType::Complex128, &args) {
        Scalar::Complex(z) => z.into(),
        _ => unreachable!("maximum of complex numbers is complex"),
    }
}

macro_rules! complex_helpers {
    ($($func:ident => $name:ident),* $(,)?) => {
        /// The complex128 routine ([`crate::semantics::cmath`]) of a one-argument function.
        pub(super) fn complex_helper(f: Func) -> Option<extern "C" fn(f64, f64) -> Pair> {
            $(pub(super) extern "C" fn $name(re: f64, im: f64) -> Pair {
                let g = crate::semantics::apply::complex_fn(Func::$func).expect("listed functions have one");
                g(crate::semantics::cmath::positive_nans(Complex64::new(re, im))).into()
            })*
            match f {
                $(Func::$func => Some($name),)*
                _ => None,
            }
        }
    };
}

complex_helpers! {
    Sqrt => hc_sqrt, Exp => hc_exp, Expm1 => hc_expm1, Log => hc_log, Log1p => hc_log1p,
    Log10 => hc_log10, Log2 => hc_log2, Sin => hc_sin, Cos => hc_cos, Tan => hc_tan,
    Arcsin => hc_asin, Arccos => hc_acos, Arctan => hc_atan, Sinh => hc_sinh, Cosh => hc_cosh,
    Tanh => hc_tanh, Arcsinh => hc_asinh, Arccosh => hc_acosh, Arctanh => hc_atanh,
    Sign => hc_sign, Round => hc_round, Reciprocal => hc_reciprocal,
}

macro_rules! own_helpers {
    ($($func:ident => $name:ident = $f:path),* $(,)?) => {
        /// The out-of-line float64 routine of a function numjit has its own kernel for
        /// (`refmath`, called as `semantics::apply` calls it: a NaN argument is the result).
        /// Scalar code (hoisted values, a row's last element) calls it instead of inlining the
        /// kernel: the same bits (`refmath` is the kernels' reference, `tests/it/refmath.rs`),
        /// a fraction of the code to compile.
        pub(super) fn own_helper(f: Func) -> Option<extern "C" fn(f64) -> f64> {
            $(pub(super) extern "C" fn $name(x: f64) -> f64 {
                if x.is_nan() { x } else { $f(x) }
            })*
            match f {
                $(Func::$func => Some($name),)*
                _ => None,
            }
        }
    };
}

own_helpers! {
    Exp => ho_exp = refmath::exp, Expm1 => ho_expm1 = refmath::expm1,
    Log => ho_log = refmath::log, Log1p => ho_log1p = refmath::log1p,
    Log2 => ho_log2 = refmath::log2, Log10 => ho_log10 = refmath::log10,
    Tanh => ho_tanh = refmath::tanh, Sinh => ho_sinh = refmath::sinh,
    Cosh => ho_cosh = refmath::cosh, Arctan => ho_atan = refmath::atan,
    Sin => ho_sin = refmath::sin, Cos => ho_cos = refmath::cos, Tan => ho_tan = refmath::tan,
}

/// `arctan2(y, x)`: [`own_helper`] for the two-argument kernel.
pub(super) extern "C" fn h_atan2(y: f64, x: f64) -> f64 {
    refmath::atan2(y, x)
}

/// `x ** y` on float64: `refmath::pow`, the inline kernel's reference (see [`own_helper`]).
pub(super) extern "C" fn h_pow_f64(x: f64, y: f64) -> f64 {
    refmath::pow(x, y)
}

pub(super) extern "C" fn h_fmod_f64(a: f64, b: f64) -> f64 {
    a % b
}
pub(super) extern "C" fn h_hypot(a: f64, b: f64) -> f64 {
    a.hypot(b)
}
pub(super) extern "C" fn h_nextafter(a: f64, b: f64) -> f64 {
    sc::nextafter_f64(a, b)
}

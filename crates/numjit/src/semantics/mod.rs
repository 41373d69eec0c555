//! Owns the operations: `Op` and `Cmp`, the function table `Func` (name, arity, signature, accepted dtypes) and the scalar rules every stage follows.
//! Must not touch syntax, shapes, Cranelift, threads or raw pointers.
//!
//! Provides the operation vocabulary shared by checking, the reference interpreter and code
//! generation: the functions numjit knows ([`Func`], looked up by name), and the scalar
//! semantics of every operation ([`scalar`]) written as plain Rust, NumPy's answers included
//! (integer division by zero gives 0, `%` takes the divisor's sign, shifts saturate).
//!
//! This module knows nothing about syntax, shapes, Cranelift or threads.

use crate::types::DType;

/// A function callable from an expression (numexpr's names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)]
pub enum Func {
    Where,
    Sin,
    Cos,
    Tan,
    Arcsin,
    Arccos,
    Arctan,
    Sinh,
    Cosh,
    Tanh,
    Arcsinh,
    Arccosh,
    Arctanh,
    Log,
    Log10,
    Log1p,
    Log2,
    Exp,
    Expm1,
    Sqrt,
    Abs,
    Floor,
    Ceil,
    Trunc,
    Round,
    Sign,
    Arctan2,
    Fmod,
    Hypot,
    Copysign,
    Nextafter,
    Maximum,
    Minimum,
    Isnan,
    Isfinite,
    Isinf,
    Signbit,
    Conj,
    Real,
    Imag,
    Complex,
    Copy,
    OnesLike,
    Contains,
    /// `1/x` as NumPy's `reciprocal` computes it (complex `x ** -1`); not callable by name.
    Reciprocal,
}

/// How a function types its arguments and result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sig {
    /// float64 in, float64 out; int and bool arguments become float64.
    Float,
    /// Same dtype out as the (promoted) arguments: ints stay ints.
    Same,
    /// Any numeric dtype in (promoted), bool out.
    Predicate,
    /// `where(cond, a, b)`.
    Where,
    /// `conj`, `real`, `imag`, `copy`, `ones_like`: one argument of any numeric dtype;
    /// `real`/`imag` of complex128 give float64, the rest keep the dtype.
    Part,
    /// `complex(re, im)`: two real arguments (as float64), complex128 out.
    MakeComplex,
    /// `contains(haystack, needle)`: two byte strings, bool out.
    Contains,
}

impl Func {
    /// Every function, for lookups and "did you mean" suggestions.
    pub const ALL: &'static [Func] = &[
        Func::Where,
        Func::Sin,
        Func::Cos,
        Func::Tan,
        Func::Arcsin,
        Func::Arccos,
        Func::Arctan,
        Func::Sinh,
        Func::Cosh,
        Func::Tanh,
        Func::Arcsinh,
        Func::Arccosh,
        Func::Arctanh,
        Func::Log,
        Func::Log10,
        Func::Log1p,
        Func::Log2,
        Func::Exp,
        Func::Expm1,
        Func::Sqrt,
        Func::Abs,
        Func::Floor,
        Func::Ceil,
        Func::Trunc,
        Func::Round,
        Func::Sign,
        Func::Arctan2,
        Func::Fmod,
        Func::Hypot,
        Func::Copysign,
        Func::Nextafter,
        Func::Maximum,
        Func::Minimum,
        Func::Isnan,
        Func::Isfinite,
        Func::Isinf,
        Func::Signbit,
        Func::Conj,
        Func::Real,
        Func::Imag,
        Func::Complex,
        Func::Copy,
        Func::OnesLike,
        Func::Contains,
    ];

    /// The name used in expressions.
    pub fn name(self) -> &'static str {
        use Func::*;
        match self {
            Where => "where",
            Sin => "sin",
            Cos => "cos",
            Tan => "tan",
            Arcsin => "arcsin",
            Arccos => "arccos",
            Arctan => "arctan",
            Sinh => "sinh",
            Cosh => "cosh",
            Tanh => "tanh",
            Arcsinh => "arcsinh",
            Arccosh => "arccosh",
            Arctanh => "arctanh",
            Log => "log",
            Log10 => "log10",
            Log1p => "log1p",
            Log2 => "log2",
            Exp => "exp",
            Expm1 => "expm1",
            Sqrt => "sqrt",
            Abs => "abs",
            Floor => "floor",
            Ceil => "ceil",
            Trunc => "trunc",
            Round => "round",
            Sign => "sign",
            Arctan2 => "arctan2",
            Fmod => "fmod",
            Hypot => "hypot",
            Copysign => "copysign",
            Nextafter => "nextafter",
            Maximum => "maximum",
            Minimum => "minimum",
            Isnan => "isnan",
            Isfinite => "isfinite",
            Isinf => "isinf",
            Signbit => "signbit",
            Conj => "conj",
            Real => "real",
            Imag => "imag",
            Complex => "complex",
            Copy => "copy",
            OnesLike => "ones_like",
            Contains => "contains",
            Reciprocal => "reciprocal",
        }
    }

    /// Looks a function up by its expression name.
    pub fn from_name(name: &str) -> Option<Func> {
        Func::ALL.iter().copied().find(|f| f.name() == name)
    }

    /// Number of arguments.
    pub fn arity(self) -> usize {
        use Func::*;
        match self {
            Where => 3,
            Arctan2 | Fmod | Hypot | Copysign | Nextafter | Maximum | Minimum | Complex
            | Contains => 2,
            _ => 1,
        }
    }

    /// How the function types its arguments.
    pub fn sig(self) -> Sig {
        use Func::*;
        match self {
            Where => Sig::Where,
            Abs | Sign | Maximum | Minimum | Fmod | Floor | Ceil | Trunc | Round => Sig::Same,
            Isnan | Isfinite | Isinf | Signbit => Sig::Predicate,
            Conj | Real | Imag | Copy | OnesLike | Reciprocal => Sig::Part,
            Complex => Sig::MakeComplex,
            Contains => Sig::Contains,
            _ => Sig::Float,
        }
    }

    /// Whether the function accepts arguments of `dtype` after promotion (NumPy's loops).
    pub fn accepts(self, dtype: DType) -> bool {
        use Func::*;
        match (self, dtype) {
            // NumPy has no bool loop for sign.
            (Sign, DType::Bool) => false,
            // No complex loops (NumPy refuses these on complex numbers).
            (
                Arctan2 | Fmod | Hypot | Copysign | Nextafter | Floor | Ceil | Trunc | Signbit,
                DType::Complex128,
            ) => false,
            _ => true,
        }
    }
}

/// Scalar semantics of every operation, as NumPy defines them on one element.
///
/// The reference interpreter, constant folding, and the JIT's calls for operations that have no
/// single machine instruction all use these functions.
pub mod apply;
pub mod cmath;
pub mod refmath;

/// Comparison operators (operands share a dtype; the result is bool).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Cmp {
    Lt,
    Le,
    Eq,
    Ne,
    Ge,
    Gt,
}

/// An operation. Unless noted, operands and result share the node's dtype.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    /// The k-th program input.
    Input(usize),
    /// A constant.
    Const(crate::types::Scalar),
    /// Converts the operand (any dtype) to the node's dtype.
    Cast,
    /// `-x` (int64, float64).
    Neg,
    /// `~x`: logical not on bool, bitwise not on int64.
    Invert,
    /// `+`; on bool, logical or (NumPy).
    Add,
    /// `-` (int64, float64).
    Sub,
    /// `*`; on bool, logical and (NumPy).
    Mul,
    /// `/` (float64 only; ints are cast first).
    Div,
    /// `//` (int64, float64).
    FloorDiv,
    /// `%` (int64, float64).
    Mod,
    /// `**` (int64, float64).
    Pow,
    /// `x ** (k / 2)` on floats for a constant exponent `k / 2` that is an integer or half an
    /// integer (`k` not −1 or 0; checking turns `**` with such a constant into this):
    /// [`refmath::pow_const`]'s double-double binary powering, within 1 ulp of `pow`.
    PowConst(i32),
    /// `<<` (int64).
    Shl,
    /// `>>` (int64).
    Shr,
    /// `&`: logical on bool, bitwise on int64.
    And,
    /// `|`: logical on bool, bitwise on int64.
    Or,
    /// `^`: logical on bool, bitwise on int64.
    Xor,
    /// A comparison; operands share a dtype, the result is bool.
    Cmp(Cmp),
    /// A function; operands are typed by [`Func::sig`] (`where`'s condition is bool).
    Call(Func),
}

pub mod scalar {
    /// Python/NumPy floor division on int64: rounds toward -inf; division by zero gives 0;
    /// `i64::MIN // -1` wraps.
    pub fn floordiv_i64(a: i64, b: i64) -> i64 {
        if b == 0 {
            return 0;
        }
        let q = a.wrapping_div(b);
        if a.wrapping_rem(b) != 0 && ((a < 0) != (b < 0)) {
            q - 1
        } else {
            q
        }
    }

    /// Python/NumPy modulo on int64: the result has the divisor's sign; `% 0` gives 0.
    pub fn mod_i64(a: i64, b: i64) -> i64 {
        if b == 0 {
            return 0;
        }
        let r = a.wrapping_rem(b);
        if r != 0 && ((r < 0) != (b < 0)) {
            r + b
        } else {
            r
        }
    }

    /// C's `fmod` on int64 (sign of the dividend), as NumPy's `fmod` on integers; `fmod(a, 0)`
    /// gives 0.
    pub fn fmod_i64(a: i64, b: i64) -> i64 {
        if b == 0 {
            0
        } else {
            a.wrapping_rem(b)
        }
    }

    // NumPy's float floor division, remainder and `nextafter` for one float type, computed in
    // that type as NumPy's `npy_divmod`/`npy_divmodf` and C's `nextafter`/`nextafterf` do.
    macro_rules! float_division {
        ($t:ident, $divmod:ident, $floordiv:ident, $modulo:ident, $nextafter:ident) => {
            #[doc = concat!("NumPy's `npy_divmod` for ", stringify!($t), ": (floor quotient, modulo).")]
            pub fn $divmod(a: $t, b: $t) -> ($t, $t) {
                let m = a % b; // C fmod
                if b == 0.0 {
                    // NumPy: floor_divide gives a/b, remainder gives fmod (nan).
                    return (a / b, m);
                }
                let mut div = (a - m) / b;
                let mut m = m;
                if m != 0.0 {
                    if (b < 0.0) != (m < 0.0) {
                        m += b;
                        div -= 1.0;
                    }
                } else {
                    m = (0.0 as $t).copysign(b);
                }
                let floordiv = if div != 0.0 {
                    let mut f = div.floor();
                    if div - f > 0.5 {
                        f += 1.0;
                    }
                    f
                } else {
                    (0.0 as $t).copysign(a / b)
                };
                (floordiv, m)
            }

            #[doc = concat!("NumPy's `floor_divide` on ", stringify!($t), ".")]
            pub fn $floordiv(a: $t, b: $t) -> $t {
                $divmod(a, b).0
            }

            #[doc = concat!("NumPy's `remainder` (`%`) on ", stringify!($t), ".")]
            pub fn $modulo(a: $t, b: $t) -> $t {
                if a.is_nan() || b.is_nan() {
                    return $t::NAN;
                }
                $divmod(a, b).1
            }

            #[doc = concat!("C's `nextafter` on ", stringify!($t), ".")]
            pub fn $nextafter(x: $t, y: $t) -> $t {
                if x.is_nan() || y.is_nan() {
                    return $t::NAN;
                }
                if x == y {
                    return y;
                }
                if x == 0.0 {
                    let tiny = $t::from_bits(1);
                    return if y > 0.0 { tiny } else { -tiny };
                }
                let bits = x.to_bits();
                let up = (y > x) == (x > 0.0);
                $t::from_bits(if up { bits + 1 } else { bits - 1 })
            }
        };
    }
    float_division!(f64, divmod_f64, floordiv_f64, mod_f64, nextafter_f64);
    float_division!(f32, divmod_f32, floordiv_f32, mod_f32, nextafter_f32);

    pub(crate) use crate::types::{bytes_cmp, bytes_contains};

    /// Integer power with wrapping, by repeated squaring. A negative exponent (which NumPy
    /// refuses and numjit refuses for literal exponents) gives the truncated value of the real
    /// power: 1 for base 1, ±1 for base -1, 0 otherwise (including base 0).
    pub fn pow_i64(base: i64, exp: i64) -> i64 {
        if exp < 0 {
            return match base {
                1 => 1,
                -1 => {
                    if exp & 1 == 0 {
                        1
                    } else {
                        -1
                    }
                }
                _ => 0,
            };
        }
        let mut result: i64 = 1;
        let mut b = base;
        let mut e = exp as u64;
        while e > 0 {
            if e & 1 == 1 {
                result = result.wrapping_mul(b);
            }
            e >>= 1;
            if e > 0 {
                b = b.wrapping_mul(b);
            }
        }
        result
    }

    /// NumPy's `left_shift` on int64: counts outside 0..64 give 0.
    pub fn shl_i64(a: i64, b: i64) -> i64 {
        if (0..64).contains(&b) {
            a.wrapping_shl(b as u32)
        } else {
            0
        }
    }

    /// NumPy's `right_shift` on int64 (arithmetic): counts outside 0..64 give 0 or -1.
    pub fn shr_i64(a: i64, b: i64) -> i64 {
        if (0..64).contains(&b) {
            a >> b
        } else if a < 0 {
            -1
        } else {
            0
        }
    }

    /// `acosh` with NaN below 1 (the libm crate's acosh assumes its domain).
    pub fn acosh_f64(x: f64) -> f64 {
        if x < 1.0 {
            f64::NAN
        } else {
            libm::acosh(x)
        }
    }

    /// NumPy's `sign` on float64 (NaN stays NaN, zeros give +0).
    pub fn sign_f64(x: f64) -> f64 {
        if x > 0.0 {
            1.0
        } else if x < 0.0 {
            -1.0
        } else if x == 0.0 {
            0.0
        } else {
            x
        }
    }

    /// NaN-propagating maximum (NumPy's `maximum`: a NaN operand is returned).
    pub fn maximum_f64(a: f64, b: f64) -> f64 {
        // A NaN operand is returned (the second if both are NaN, as the x86-64 instruction
        // sequence the JIT emits does).
        if b.is_nan() {
            b
        } else if a.is_nan() {
            a
        } else if a == b {
            // +0 wins over -0 (IEEE 754-2019 `maximum`, and Cranelift's `fmax`, which the JIT
            // uses). NumPy on x86-64 returns the second operand on such ties instead.
            if a.is_sign_negative() {
                b
            } else {
                a
            }
        } else if a > b {
            a
        } else {
            b
        }
    }

    /// NaN-propagating minimum (NumPy's `minimum`).
    pub fn minimum_f64(a: f64, b: f64) -> f64 {
        // A NaN operand is returned (the second if both are NaN, as the x86-64 instruction
        // sequence the JIT emits does).
        if b.is_nan() {
            b
        } else if a.is_nan() {
            a
        } else if a == b {
            if a.is_sign_negative() {
                a
            } else {
                b
            }
        } else if a < b {
            a
        } else {
            b
        }
    }
}

#[cfg(test)]
mod tests {
    use super::scalar::*;

    #[test]
    fn integer_division_matches_python() {
        assert_eq!(floordiv_i64(7, 2), 3);
        assert_eq!(floordiv_i64(-7, 2), -4);
        assert_eq!(floordiv_i64(7, -2), -4);
        assert_eq!(floordiv_i64(-7, -2), 3);
        assert_eq!(floordiv_i64(5, 0), 0);
        assert_eq!(floordiv_i64(i64::MIN, -1), i64::MIN);
        assert_eq!(mod_i64(-7, 2), 1);
        assert_eq!(mod_i64(7, -2), -1);
        assert_eq!(mod_i64(5, 0), 0);
        assert_eq!(mod_i64(i64::MIN, -1), 0);
        assert_eq!(fmod_i64(-7, 2), -1);
    }

    #[test]
    fn float_divmod_matches_python() {
        assert_eq!(floordiv_f64(7.0, 2.0), 3.0);
        assert_eq!(floordiv_f64(-7.0, 2.0), -4.0);
        assert_eq!(mod_f64(-7.0, 2.0), 1.0);
        assert_eq!(mod_f64(7.0, -2.0), -1.0);
        assert!(mod_f64(-0.0, 2.0).is_sign_positive());
        assert!(mod_f64(0.0, -2.0).is_sign_negative());
        assert!(mod_f64(1.0, 0.0).is_nan());
        assert_eq!(floordiv_f64(1.0, 0.0), f64::INFINITY);
        assert_eq!(mod_f64(-1e-300, 1.0), 1.0);
    }

    #[test]
    fn powers_and_shifts() {
        assert_eq!(pow_i64(3, 4), 81);
        assert_eq!(pow_i64(2, 63), i64::MIN);
        assert_eq!(pow_i64(-1, -3), -1);
        assert_eq!(pow_i64(0, 0), 1);
        assert_eq!(shl_i64(1, 64), 0);
        assert_eq!(shl_i64(1, -1), 0);
        assert_eq!(shr_i64(-8, 100), -1);
        assert_eq!(shr_i64(-8, 1), -4);
    }

    #[test]
    fn nan_propagating_extrema() {
        assert!(maximum_f64(f64::NAN, 1.0).is_nan());
        assert!(minimum_f64(1.0, f64::NAN).is_nan());
        assert!(maximum_f64(-0.0, 0.0).is_sign_positive());
        assert!(minimum_f64(0.0, -0.0).is_sign_negative());
        assert_eq!(nextafter_f64(1.0, 2.0), 1.0 + f64::EPSILON);
        assert_eq!(nextafter_f64(0.0, -1.0), -f64::from_bits(1));
    }
}

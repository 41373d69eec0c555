//! Owns the operations: `Op` and `Cmp` with the operator table `OPS`, the function table `FUNCS` (one row each: name, arity, type rule, reference routines) and the scalar rules every stage follows.
//! Must not touch syntax, shapes, Cranelift, threads or raw pointers.
//!
//! Provides the operation vocabulary shared by checking, the reference interpreter and code
//! generation, and the scalar semantics of every operation written as plain Rust ([`scalar`],
//! [`apply`]), NumPy's answers included (integer division by zero gives 0, `%` takes the
//! divisor's sign, shifts saturate). Two tables hold the facts about the operations that do
//! not depend on a code generator: [`OPS`] for the operators, [`FUNCS`] for the functions.
//!
//! # The operator table
//!
//! Every operator (`-x ~x + - * / // % ** << >> & | ^` and each of the comparisons
//! `< <= == != >= >`) has exactly one row in [`OPS`], an [`OpSpec`], at the index
//! [`Op::spec`] computes (checked at compile time). [`Op::Input`], [`Op::Const`],
//! [`Op::Cast`], [`Op::Call`] and [`Op::PowConst`] are not operators and have no row. Each
//! comparison has its own row: its symbol, name and routines are its own, and the table
//! keeps one row per operator written in an expression. A row holds:
//!
//! - `name`: its name in the IR's text form (`add`, `lt`);
//! - `symbol`: how expressions write it; checking maps a parsed operator to its operation by
//!   symbol and arity ([`Op::from_symbol`]; `-` is [`Op::Neg`] with one operand, [`Op::Sub`]
//!   with two);
//! - `arity`: one or two operands;
//! - the type rule and the scalar reference together: one [`Loop`] per kind of operand, bool,
//!   int (on int64), float (on float64) and complex128, as NumPy has them: a routine
//!   (`Unary`, `Binary`, or `Test` for a comparison, bool out) or `No`. [`Op::accepts`] reads
//!   the kinds from the loops; checking refuses an operator on a kind without a loop, or
//!   first converts the operands where NumPy does (bool to int64, numjit's nearest to NumPy's
//!   int8, for `//`, `%`, `**`, `<<` and `>>`; bool and int to float64 for `/`), and gives
//!   the result dtype (the operands', bool for comparisons). [`apply`] evaluates every
//!   operator through its row, keeping the general dispatch: int32 is computed in int64 and
//!   wrapped, float32 in float64 and rounded, except `//` and `%`, which NumPy computes in
//!   float32 ([`scalar::floordiv_f32`], [`scalar::mod_f32`]).
//!
//! # The function table
//!
//! Every [`Func`] has exactly one row in [`FUNCS`], a [`FuncSpec`], in enum order (checked at
//! compile time, so [`Func::spec`] indexes the table). A row holds every fact about the
//! function that does not depend on a code generator:
//!
//! - `name`: its name in expressions ([`Func::from_name`], [`Func::ALL`], messages, IR dumps);
//!   `callable` is false for a function numjit builds itself (`reciprocal`);
//! - `arity`: the number of arguments checking requires;
//! - the type rule: `sig` ([`Sig`]: how checking types the arguments and the result) and the
//!   loops NumPy has besides the real ones: `bool_loop`, and a complex128 loop unless the
//!   complex128 routine is [`ComplexRef::No`] ([`Func::accepts`] reads both);
//! - the scalar reference: `float` ([`FloatRef`]), the float64 routine, and `complex`
//!   ([`ComplexRef`]), the complex128 routine. [`apply`] keeps the general dispatch (int32
//!   and float32 computed wide, the int and bool loops of [`Sig::Same`] functions, `where` and
//!   the parts) and evaluates everything else through these routines. `FloatRef::Own` marks
//!   numjit's own kernels ([`refmath`], emitted inline by `codegen::vmath`), `FloatRef::Lib`
//!   the std/libm routines the JIT calls too (or whose operation its instruction computes);
//!   the JIT's complex128 helpers call the `ComplexRef::Map` routines from here.
//!
//! Checking, the interpreter, constant folding and code generation take these facts from the
//! tables; code generation adds how to emit each operation. (Checking still spells out a few
//! result dtypes itself: `abs`, `real` and `imag` of complex128 give float64, and the nearest
//! dtypes numjit has for NumPy's bool results of `fmod`, `round` and `conj`.)
//!
//! This module knows nothing about syntax, shapes, Cranelift or threads.

use crate::types::{Complex64, DType};

/// A function callable from an expression (numexpr's names). Each has one row in the
/// function table, in this order, which holds every fact about it.
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
    Cbrt,
    Exp2,
    /// `1/x` as NumPy's `reciprocal` computes it (complex `x ** -1`); not callable by name.
    /// Stays the last variant (the table's compile-time check counts on it).
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

/// A function's float64 reference routine: its value on float64 arguments (float32
/// arguments are computed through it in float64, see [`apply::apply`]).
#[derive(Clone, Copy, Debug)]
pub(crate) enum FloatRef {
    /// numjit's own kernel, in plain Rust ([`refmath`]); `codegen::vmath` emits the same
    /// algorithm inline, so the two agree bit for bit.
    Own(fn(f64) -> f64),
    /// numjit's own kernel of two arguments.
    Own2(fn(f64, f64) -> f64),
    /// A std or libm routine, or the operation of the instruction the JIT emits; the JIT's
    /// helpers call the same routine.
    Lib(fn(f64) -> f64),
    /// A std or libm routine of two arguments (or an instruction's operation).
    Lib2(fn(f64, f64) -> f64),
    /// A predicate (bool out). On bool and int arguments it is the predicate of the value as
    /// float64, which is exact: never NaN or infinite, and negative exactly when the value is.
    Test(fn(f64) -> bool),
    /// [`apply`]'s own rule for the function, the same on every dtype (`where`, the parts,
    /// `complex`).
    Rule,
    /// No float64 loop: `contains` takes byte strings, `reciprocal` is built for complex128
    /// only.
    No,
}

/// A function's complex128 reference routine ([`cmath`] or [`apply`]'s complex helpers).
#[derive(Clone, Copy, Debug)]
pub(crate) enum ComplexRef {
    /// One complex128 argument, complex128 out.
    Map(fn(Complex64) -> Complex64),
    /// Two complex128 arguments, complex128 out.
    Map2(fn(Complex64, Complex64) -> Complex64),
    /// One complex128 argument, float64 out (`abs`, the modulus).
    ToFloat(fn(Complex64) -> f64),
    /// A predicate (bool out).
    Test(fn(Complex64) -> bool),
    /// [`apply`]'s own rule (`where`, the parts).
    Rule,
    /// No complex128 loop: checking refuses complex arguments (NumPy refuses them too).
    No,
}

/// Every fact about one function that does not depend on a code generator: its row in
/// [`FUNCS`] (see the module documentation).
#[derive(Clone, Copy, Debug)]
pub(crate) struct FuncSpec {
    /// The function this row describes (the row's index is `func as usize`).
    pub(crate) func: Func,
    /// Its name in expressions.
    pub(crate) name: &'static str,
    /// Whether expressions may call it by `name` (false: numjit builds it itself).
    pub(crate) callable: bool,
    /// Number of arguments.
    pub(crate) arity: usize,
    /// How checking types the arguments and the result.
    pub(crate) sig: Sig,
    /// Whether it has a bool loop (NumPy's `sign` has none).
    pub(crate) bool_loop: bool,
    /// The float64 reference routine.
    pub(crate) float: FloatRef,
    /// The complex128 reference routine; [`ComplexRef::No`]: no complex128 loop.
    pub(crate) complex: ComplexRef,
}

/// A row of [`FUNCS`] for a function callable by name.
const fn row(
    func: Func,
    name: &'static str,
    arity: usize,
    sig: Sig,
    bool_loop: bool,
    float: FloatRef,
    complex: ComplexRef,
) -> FuncSpec {
    FuncSpec {
        func,
        name,
        callable: true,
        arity,
        sig,
        bool_loop,
        float,
        complex,
    }
}

/// A row for a function numjit builds itself, which expressions cannot call by name.
const fn internal(spec: FuncSpec) -> FuncSpec {
    FuncSpec {
        callable: false,
        ..spec
    }
}

/// The function table: one row per [`Func`], in enum order. Adding a function is a variant, a
/// row here, its emission in `codegen` and its tests.
#[rustfmt::skip]
pub(crate) const FUNCS: &[FuncSpec] = {
    use self::{scalar as s, ComplexRef as C, FloatRef as F};
    use Func::*;
    &[
    //  function    name          n  sig               bool   float64                         complex128
    row(Where,      "where",      3, Sig::Where,       true,  F::Rule,                        C::Rule),
    row(Sin,        "sin",        1, Sig::Float,       true,  F::Own(refmath::sin),           C::Map(cmath::sin)),
    row(Cos,        "cos",        1, Sig::Float,       true,  F::Own(refmath::cos),           C::Map(cmath::cos)),
    row(Tan,        "tan",        1, Sig::Float,       true,  F::Own(refmath::tan),           C::Map(cmath::tan)),
    row(Arcsin,     "arcsin",     1, Sig::Float,       true,  F::Lib(f64::asin),              C::Map(cmath::arcsin)),
    row(Arccos,     "arccos",     1, Sig::Float,       true,  F::Lib(f64::acos),              C::Map(cmath::arccos)),
    row(Arctan,     "arctan",     1, Sig::Float,       true,  F::Own(refmath::atan),          C::Map(cmath::arctan)),
    row(Sinh,       "sinh",       1, Sig::Float,       true,  F::Own(refmath::sinh),          C::Map(cmath::sinh)),
    row(Cosh,       "cosh",       1, Sig::Float,       true,  F::Own(refmath::cosh),          C::Map(cmath::cosh)),
    row(Tanh,       "tanh",       1, Sig::Float,       true,  F::Own(refmath::tanh),          C::Map(cmath::tanh)),
    // std's inverse hyperbolics are not libm-accurate; the libm crate's (musl's) are.
    row(Arcsinh,    "arcsinh",    1, Sig::Float,       true,  F::Lib(libm::asinh),            C::Map(cmath::arcsinh)),
    row(Arccosh,    "arccosh",    1, Sig::Float,       true,  F::Lib(s::acosh_f64),           C::Map(cmath::arccosh)),
    row(Arctanh,    "arctanh",    1, Sig::Float,       true,  F::Lib(libm::atanh),            C::Map(cmath::arctanh)),
    row(Log,        "log",        1, Sig::Float,       true,  F::Own(refmath::log),           C::Map(cmath::log)),
    row(Log10,      "log10",      1, Sig::Float,       true,  F::Own(refmath::log10),         C::Map(cmath::log10)),
    row(Log1p,      "log1p",      1, Sig::Float,       true,  F::Own(refmath::log1p),         C::Map(cmath::log1p)),
    row(Log2,       "log2",       1, Sig::Float,       true,  F::Own(refmath::log2),          C::Map(cmath::log2)),
    row(Exp,        "exp",        1, Sig::Float,       true,  F::Own(refmath::exp),           C::Map(cmath::exp)),
    row(Expm1,      "expm1",      1, Sig::Float,       true,  F::Own(refmath::expm1),         C::Map(cmath::expm1)),
    row(Sqrt,       "sqrt",       1, Sig::Float,       true,  F::Lib(f64::sqrt),              C::Map(cmath::sqrt)),
    row(Abs,        "abs",        1, Sig::Same,        true,  F::Lib(f64::abs),               C::ToFloat(cmath::abs)),
    row(Floor,      "floor",      1, Sig::Same,        true,  F::Lib(f64::floor),             C::No),
    row(Ceil,       "ceil",       1, Sig::Same,        true,  F::Lib(f64::ceil),              C::No),
    row(Trunc,      "trunc",      1, Sig::Same,        true,  F::Lib(f64::trunc),             C::No),
    row(Round,      "round",      1, Sig::Same,        true,  F::Lib(f64::round_ties_even),   C::Map(cmath::round)),
    row(Sign,       "sign",       1, Sig::Same,        false, F::Lib(s::sign_f64),            C::Map(cmath::sign)),
    row(Arctan2,    "arctan2",    2, Sig::Float,       true,  F::Own2(refmath::atan2),        C::No),
    row(Fmod,       "fmod",       2, Sig::Same,        true,  F::Lib2(s::fmod_f64),           C::No),
    row(Hypot,      "hypot",      2, Sig::Float,       true,  F::Lib2(f64::hypot),            C::No),
    row(Copysign,   "copysign",   2, Sig::Float,       true,  F::Lib2(s::copysign_f64),       C::No),
    row(Nextafter,  "nextafter",  2, Sig::Float,       true,  F::Lib2(s::nextafter_f64),      C::No),
    row(Maximum,    "maximum",    2, Sig::Same,        true,  F::Lib2(s::maximum_f64),        C::Map2(apply::complex_maximum)),
    row(Minimum,    "minimum",    2, Sig::Same,        true,  F::Lib2(s::minimum_f64),        C::Map2(apply::complex_minimum)),
    row(Isnan,      "isnan",      1, Sig::Predicate,   true,  F::Test(f64::is_nan),           C::Test(apply::complex_isnan)),
    row(Isfinite,   "isfinite",   1, Sig::Predicate,   true,  F::Test(f64::is_finite),        C::Test(apply::complex_isfinite)),
    row(Isinf,      "isinf",      1, Sig::Predicate,   true,  F::Test(f64::is_infinite),      C::Test(apply::complex_isinf)),
    row(Signbit,    "signbit",    1, Sig::Predicate,   true,  F::Test(s::signbit_f64),        C::No),
    row(Conj,       "conj",       1, Sig::Part,        true,  F::Rule,                        C::Rule),
    row(Real,       "real",       1, Sig::Part,        true,  F::Rule,                        C::Rule),
    row(Imag,       "imag",       1, Sig::Part,        true,  F::Rule,                        C::Rule),
    row(Complex,    "complex",    2, Sig::MakeComplex, true,  F::Rule,                        C::No),
    row(Copy,       "copy",       1, Sig::Part,        true,  F::Rule,                        C::Rule),
    row(OnesLike,   "ones_like",  1, Sig::Part,        true,  F::Rule,                        C::Rule),
    row(Contains,   "contains",   2, Sig::Contains,    true,  F::No,                          C::No),
    // The platform's libm, as NumPy calls it (std's cbrt and exp2 call it too).
    row(Cbrt,       "cbrt",       1, Sig::Float,       true,  F::Lib(f64::cbrt),              C::No),
    // Complex exp2 is checked into `exp(complex(real(z)*ln2, imag(z)*ln2))`, NumPy's formula.
    row(Exp2,       "exp2",       1, Sig::Float,       true,  F::Lib(f64::exp2),              C::No),
    // Built by checking (`x ** -1` on complex128); not callable by name.
    internal(row(Reciprocal, "reciprocal", 1, Sig::Part, true, F::No, C::Map(cmath::reciprocal))),
    ]
};

// The table's shape, checked at compile time: every function has exactly one row, at its own
// index, and each routine takes as many arguments as the function.
const _: () = {
    assert!(
        FUNCS.len() == Func::Reciprocal as usize + 1,
        "FUNCS has one row per Func"
    );
    let mut i = 0;
    while i < FUNCS.len() {
        let f = &FUNCS[i];
        assert!(
            f.func as usize == i,
            "FUNCS lists the functions in enum order"
        );
        let float_arity = match f.float {
            FloatRef::Own(_) | FloatRef::Lib(_) | FloatRef::Test(_) => 1,
            FloatRef::Own2(_) | FloatRef::Lib2(_) => 2,
            FloatRef::Rule | FloatRef::No => f.arity,
        };
        let complex_arity = match f.complex {
            ComplexRef::Map(_) | ComplexRef::ToFloat(_) | ComplexRef::Test(_) => 1,
            ComplexRef::Map2(_) => 2,
            ComplexRef::Rule | ComplexRef::No => f.arity,
        };
        assert!(
            float_arity == f.arity && complex_arity == f.arity,
            "a function's routines take its arity's arguments"
        );
        i += 1;
    }
};

/// How many functions are callable by name.
const fn callable_count() -> usize {
    let (mut i, mut n) = (0, 0);
    while i < FUNCS.len() {
        if FUNCS[i].callable {
            n += 1;
        }
        i += 1;
    }
    n
}

/// The functions callable by name, in table order.
const CALLABLE: [Func; callable_count()] = {
    let mut out = [Func::Where; callable_count()];
    let (mut i, mut n) = (0, 0);
    while i < FUNCS.len() {
        if FUNCS[i].callable {
            out[n] = FUNCS[i].func;
            n += 1;
        }
        i += 1;
    }
    out
};

impl Func {
    /// Every function callable by name, for lookups and "did you mean" suggestions.
    pub const ALL: &'static [Func] = &CALLABLE;

    /// The function's row in the function table.
    pub(crate) fn spec(self) -> &'static FuncSpec {
        &FUNCS[self as usize]
    }

    /// The name used in expressions.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// Looks a function up by its expression name.
    pub fn from_name(name: &str) -> Option<Func> {
        Func::ALL.iter().copied().find(|f| f.name() == name)
    }

    /// Number of arguments.
    pub fn arity(self) -> usize {
        self.spec().arity
    }

    /// How the function types its arguments.
    pub fn sig(self) -> Sig {
        self.spec().sig
    }

    /// Whether the function accepts arguments of `dtype` after promotion (NumPy's loops):
    /// bool if it has a bool loop, complex128 if it has a complex128 routine, any other
    /// dtype always.
    pub fn accepts(self, dtype: DType) -> bool {
        match dtype {
            DType::Bool => self.spec().bool_loop,
            DType::Complex128 => !matches!(self.spec().complex, ComplexRef::No),
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

/// An operation. Unless noted, operands and result share the node's dtype. Each operator has
/// a row in the operator table ([`OPS`]: its name, symbol, arity and loops).
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

/// An operator's loop on one kind of operand (NumPy's bool, int, float or complex loop): its
/// scalar reference routine on the widest dtype of the kind (bool, int64, float64,
/// complex128; [`apply::apply`] computes int32 and float32 through them).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Loop<T> {
    /// One operand, same type out (`-x`, `~x`).
    Unary(fn(T) -> T),
    /// Two operands, same type out.
    Binary(fn(T, T) -> T),
    /// A comparison: two operands, bool out.
    Test(fn(T, T) -> bool),
    /// No loop on this kind: checking converts such operands first (bool to int64 for `//`,
    /// `%`, `**`, `<<`, `>>`; bool and int to float64 for `/`) or refuses them.
    No,
}

impl<T> Loop<T> {
    /// Whether the operator has this loop.
    const fn exists(&self) -> bool {
        !matches!(self, Loop::No)
    }

    /// How many operands the routine takes (`None`: no loop).
    const fn arity(&self) -> Option<usize> {
        match self {
            Loop::Unary(_) => Some(1),
            Loop::Binary(_) | Loop::Test(_) => Some(2),
            Loop::No => None,
        }
    }
}

/// Every fact about one operator that does not depend on a code generator: its row in [`OPS`]
/// (see the module documentation).
#[derive(Clone, Copy, Debug)]
pub(crate) struct OpSpec {
    /// The operator this row describes (one row per comparison).
    pub(crate) op: Op,
    /// Its name in the IR's text form (`%2 = add.float64 %0, %1`).
    pub(crate) name: &'static str,
    /// Its symbol in expressions (`+`; checking maps the parsed operator by it).
    pub(crate) symbol: &'static str,
    /// Number of operands.
    pub(crate) arity: usize,
    /// The bool loop.
    pub(crate) bool: Loop<bool>,
    /// The int loop, on int64 (int32 is computed in int64 and wrapped).
    pub(crate) int: Loop<i64>,
    /// The float loop, on float64 (float32 is computed in float64 and rounded, except `//`
    /// and `%`, which [`apply::apply`] computes in float32 as NumPy does).
    pub(crate) float: Loop<f64>,
    /// The complex128 loop.
    pub(crate) complex: Loop<Complex64>,
}

/// A row of [`OPS`], one argument per column.
#[allow(clippy::too_many_arguments)]
const fn op(
    op: Op,
    name: &'static str,
    symbol: &'static str,
    arity: usize,
    bool: Loop<bool>,
    int: Loop<i64>,
    float: Loop<f64>,
    complex: Loop<Complex64>,
) -> OpSpec {
    OpSpec {
        op,
        name,
        symbol,
        arity,
        bool,
        int,
        float,
        complex,
    }
}

/// The operator table: one row per operator, one per comparison, in the order of
/// [`Op::row`]. Adding an operator is a variant, its index in `Op::row`, a row here, its
/// symbol in the parser and checking's type rule, its emission in `codegen` and its tests.
#[rustfmt::skip]
pub(crate) const OPS: &[OpSpec] = {
    use self::{apply as a, scalar as s, Cmp::*, Op::*};
    use std::ops::{Add, BitAnd, BitOr, BitXor, Div, Mul, Neg, Not, Sub};
    use Loop::{Binary as B, No, Test as T, Unary as U};
    type C = Complex64;
    &[
    // operator  name        sym   n  bool             int64                 float64             complex128
    op(Neg,      "neg",      "-",  1, No,              U(i64::wrapping_neg), U(f64::neg),        U(C::neg)),
    op(Invert,   "invert",   "~",  1, U(bool::not),    U(i64::not),          No,                 No),
    // On bool, `+` is logical or and `*` logical and (NumPy).
    op(Add,      "add",      "+",  2, B(bool::bitor),  B(i64::wrapping_add), B(f64::add),        B(C::add)),
    op(Sub,      "sub",      "-",  2, No,              B(i64::wrapping_sub), B(f64::sub),        B(C::sub)),
    op(Mul,      "mul",      "*",  2, B(bool::bitand), B(i64::wrapping_mul), B(f64::mul),        B(a::complex_mul)),
    op(Div,      "div",      "/",  2, No,              No,                   B(f64::div),        B(cmath::div)),
    op(FloorDiv, "floordiv", "//", 2, No,              B(s::floordiv_i64),   B(s::floordiv_f64), No),
    op(Mod,      "mod",      "%",  2, No,              B(s::mod_i64),        B(s::mod_f64),      No),
    // numjit's pow kernel (within 1 ulp of libm's), as the JIT computes it.
    op(Pow,      "pow",      "**", 2, No,              B(s::pow_i64),        B(refmath::pow),    B(cmath::pow)),
    op(Shl,      "shl",      "<<", 2, No,              B(s::shl_i64),        No,                 No),
    op(Shr,      "shr",      ">>", 2, No,              B(s::shr_i64),        No,                 No),
    op(And,      "and",      "&",  2, B(bool::bitand), B(i64::bitand),       No,                 No),
    op(Or,       "or",       "|",  2, B(bool::bitor),  B(i64::bitor),        No,                 No),
    op(Xor,      "xor",      "^",  2, B(bool::bitxor), B(i64::bitxor),       No,                 No),
    op(Cmp(Lt),  "lt",       "<",  2, T(s::lt),        T(s::lt),             T(s::lt),           T(a::complex_lt)),
    op(Cmp(Le),  "le",       "<=", 2, T(s::le),        T(s::le),             T(s::le),           T(a::complex_le)),
    op(Cmp(Eq),  "eq",       "==", 2, T(s::eq),        T(s::eq),             T(s::eq),           T(a::complex_eq)),
    op(Cmp(Ne),  "ne",       "!=", 2, T(s::ne),        T(s::ne),             T(s::ne),           T(a::complex_ne)),
    op(Cmp(Ge),  "ge",       ">=", 2, T(s::ge),        T(s::ge),             T(s::ge),           T(a::complex_ge)),
    op(Cmp(Gt),  "gt",       ">",  2, T(s::gt),        T(s::gt),             T(s::gt),           T(a::complex_gt)),
    ]
};

/// Whether a loop taking `loop_arity` operands (`None`: no loop) fits an operator of `arity`.
const fn fits(loop_arity: Option<usize>, arity: usize) -> bool {
    match loop_arity {
        Some(k) => k == arity,
        None => true,
    }
}

// The table's shape, checked at compile time: every operator has exactly one row, at its own
// index, and each loop takes as many operands as the operator.
const _: () = {
    let mut i = 0;
    while i < OPS.len() {
        let o = &OPS[i];
        assert!(
            matches!(o.op.row(), Some(r) if r == i),
            "OPS lists the operators in the order of Op::row"
        );
        let n = o.arity;
        assert!(
            fits(o.bool.arity(), n)
                && fits(o.int.arity(), n)
                && fits(o.float.arity(), n)
                && fits(o.complex.arity(), n),
            "an operator's routines take its arity's operands"
        );
        i += 1;
    }
    assert!(
        matches!(Op::Cmp(Cmp::Gt).row(), Some(r) if r + 1 == OPS.len()),
        "OPS has one row per operator"
    );
};

impl Op {
    /// The index of the operator's row in the operator table; `None` for what is not an
    /// operator (inputs, constants, casts, calls, constant powers).
    const fn row(&self) -> Option<usize> {
        Some(match self {
            Op::Neg => 0,
            Op::Invert => 1,
            Op::Add => 2,
            Op::Sub => 3,
            Op::Mul => 4,
            Op::Div => 5,
            Op::FloorDiv => 6,
            Op::Mod => 7,
            Op::Pow => 8,
            Op::Shl => 9,
            Op::Shr => 10,
            Op::And => 11,
            Op::Or => 12,
            Op::Xor => 13,
            Op::Cmp(c) => 14 + *c as usize,
            Op::Input(_) | Op::Const(_) | Op::Cast | Op::PowConst(_) | Op::Call(_) => return None,
        })
    }

    /// The operator's row in the operator table; `None` for what is not an operator.
    pub(crate) fn spec(self) -> Option<&'static OpSpec> {
        self.row().map(|i| &OPS[i])
    }

    /// The operator's name in the IR's text form (`add`, `lt`); `None` for what is not an
    /// operator.
    pub fn name(self) -> Option<&'static str> {
        self.spec().map(|o| o.name)
    }

    /// The operator written `symbol` with `arity` operands (`-` is [`Op::Neg`] with one,
    /// [`Op::Sub`] with two).
    pub fn from_symbol(symbol: &str, arity: usize) -> Option<Op> {
        OPS.iter()
            .find(|o| o.symbol == symbol && o.arity == arity)
            .map(|o| o.op)
    }

    /// Whether the operator has a loop for operands of `dtype` (NumPy's loops; a comparison
    /// also compares byte strings). False for what is not an operator.
    pub fn accepts(self, dtype: DType) -> bool {
        let Some(o) = self.spec() else {
            return false;
        };
        match dtype {
            DType::Bool => o.bool.exists(),
            DType::Int32 | DType::Int64 => o.int.exists(),
            DType::Float32 | DType::Float64 => o.float.exists(),
            DType::Complex128 => o.complex.exists(),
            DType::Bytes(_) => matches!(self, Op::Cmp(_)),
        }
    }
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

    /// C's `fmod` on float64 (Rust's `%`), as NumPy's `fmod` on floats.
    pub fn fmod_f64(a: f64, b: f64) -> f64 {
        a % b
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

    /// `a < b`: the comparisons on bool, int64 and float64 (IEEE on floats: false when an
    /// operand is NaN, except `!=`, which is true; `-0.0 == 0.0`).
    pub fn lt<T: PartialOrd>(a: T, b: T) -> bool {
        a < b
    }

    /// `a <= b` (see [`lt`]).
    pub fn le<T: PartialOrd>(a: T, b: T) -> bool {
        a <= b
    }

    /// `a == b` (see [`lt`]).
    pub fn eq<T: PartialOrd>(a: T, b: T) -> bool {
        a == b
    }

    /// `a != b` (see [`lt`]).
    pub fn ne<T: PartialOrd>(a: T, b: T) -> bool {
        a != b
    }

    /// `a >= b` (see [`lt`]).
    pub fn ge<T: PartialOrd>(a: T, b: T) -> bool {
        a >= b
    }

    /// `a > b` (see [`lt`]).
    pub fn gt<T: PartialOrd>(a: T, b: T) -> bool {
        a > b
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

    /// `copysign(x, y)` with numjit's NaN rule: a NaN `y` counts as positive (its sign is
    /// never observable in numjit, see docs/language.md "NaN signs"), so the result is `|x|`.
    /// NumPy reads the NaN's sign bit, but which sign a NaN computed by `+`, `*`, a complex
    /// product, ... carries differs between its SIMD and scalar loops (array length) and
    /// between platforms, and between numjit's layouts: no rule on that bit can be followed.
    pub fn copysign_f64(x: f64, y: f64) -> f64 {
        if y.is_nan() {
            x.abs()
        } else {
            x.copysign(y)
        }
    }

    /// `signbit(x)` with numjit's NaN rule: false for every NaN (see [`copysign_f64`]).
    pub fn signbit_f64(x: f64) -> bool {
        x.is_sign_negative() && !x.is_nan()
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
    use super::{Cmp, Func, Op, FUNCS, OPS};
    use crate::types::DType;

    #[test]
    fn operators_have_their_rows() {
        for o in OPS {
            assert_eq!(o.op.spec().map(|s| s.symbol), Some(o.symbol));
            assert_eq!(
                Op::from_symbol(o.symbol, o.arity),
                Some(o.op),
                "{}",
                o.symbol
            );
            // The IR's names are the variants' (`Cmp(Lt)` is `lt`).
            let variant = match o.op {
                Op::Cmp(c) => format!("{c:?}"),
                op => format!("{op:?}"),
            };
            assert_eq!(o.name, variant.to_lowercase());
        }
        assert_eq!(Op::from_symbol("-", 1), Some(Op::Neg));
        assert_eq!(Op::from_symbol("-", 2), Some(Op::Sub));
        assert_eq!(Op::from_symbol("+", 1), None);
        for other in [Op::Cast, Op::Input(0), Op::PowConst(4), Op::Call(Func::Sin)] {
            assert!(other.spec().is_none() && !other.accepts(DType::Float64));
        }
    }

    #[test]
    fn operator_loops_are_numpys() {
        use DType::*;
        // The kinds each operator computes on (NumPy's loops; checking converts bool operands
        // of `//`, `%`, `**`, `<<` and `>>` to int64, and bool and int operands of `/` to
        // float64).
        let kinds = |op: Op| -> &'static str {
            match op {
                Op::Neg | Op::Sub => "ifc",
                Op::Invert | Op::And | Op::Or | Op::Xor => "bi",
                Op::Add | Op::Mul | Op::Cmp(_) => "bifc",
                Op::Div => "fc",
                Op::FloorDiv | Op::Mod => "if",
                Op::Pow => "ifc",
                Op::Shl | Op::Shr => "i",
                _ => unreachable!(),
            }
        };
        for o in OPS {
            let k = kinds(o.op);
            let has = |c: char, d: DType| o.op.accepts(d) == k.contains(c);
            assert!(has('b', Bool), "{:?}", o.op);
            assert!(has('i', Int32) && has('i', Int64), "{:?}", o.op);
            assert!(has('f', Float32) && has('f', Float64), "{:?}", o.op);
            assert!(has('c', Complex128), "{:?}", o.op);
            assert_eq!(o.op.accepts(Bytes(3)), matches!(o.op, Op::Cmp(_)));
        }
        assert_eq!(OPS.len(), 14 + 6);
        assert!(Op::Cmp(Cmp::Ge).accepts(Complex128));
    }

    #[test]
    fn names_find_their_functions() {
        for spec in FUNCS {
            let found = Func::from_name(spec.name);
            assert_eq!(found, spec.callable.then_some(spec.func), "{}", spec.name);
        }
        assert_eq!(Func::ALL.len(), FUNCS.len() - 1);
        assert_eq!(Func::from_name("reciprocal"), None);
        assert_eq!(Func::Reciprocal.name(), "reciprocal");
    }

    #[test]
    fn loops_are_numpys() {
        use Func::*;
        // NumPy has no complex loops for these, and no bool loop for sign. (NumPy's complex
        // exp2 is checked into `exp(z*ln 2)` by `check`, so its row has no complex routine.)
        let no_complex = [
            Arctan2, Fmod, Hypot, Copysign, Nextafter, Floor, Ceil, Trunc, Signbit, Complex,
            Contains, Cbrt, Exp2,
        ];
        for spec in FUNCS {
            let f = spec.func;
            assert_eq!(
                f.accepts(DType::Complex128),
                !no_complex.contains(&f),
                "{f:?}"
            );
            assert_eq!(f.accepts(DType::Bool), f != Sign, "{f:?}");
            assert!(
                f.accepts(DType::Int64) && f.accepts(DType::Float64),
                "{f:?}"
            );
        }
    }

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

//! Owns numjit's engine and its public API: numexpr-style array expressions, compiled with
//! Cranelift into one fused native loop and run in chunks across a thread pool.
//! Must not touch terminals or files other than .npy (`npy`): the `numjit` command lives in
//! numjit-cli.
//!
//! ```
//! let a = vec![1.0, 2.0, 3.0];
//! let b = vec![10.0, 20.0, 30.0];
//! let mut out = vec![0.0; 3];
//! numjit::evaluate("a**2 + b**2 + 2*a*b", &mut out, numjit::vars! {a, b})?;
//! assert_eq!(out, vec![121.0, 484.0, 1089.0]);
//!
//! // `eval` allocates the result; inputs broadcast as in NumPy, scalars included.
//! let m = ndarray::array![[1i64, 2], [3, 4]];
//! let k = 10i64;
//! let r = numjit::eval("m * k + (m % 2 == 0)", numjit::vars! {m, k})?;
//! assert_eq!(r.as_i64().unwrap(), &ndarray::array![[10i64, 21], [30, 41]].into_dyn());
//!
//! // A compiled handle skips the cache lookup when one expression runs many times.
//! let f = numjit::compile("where(x > 0, sqrt(x), -1.0)")?;
//! for x in [4.0, -2.0] {
//!     let r = f.eval(numjit::vars! {"x" => x})?;
//!     assert_eq!(r.as_f64().unwrap().first(), Some(&if x > 0.0 { 2.0 } else { -1.0 }));
//! }
//!
//! // Errors point at the mistake.
//! let err = numjit::eval("a + ab", numjit::vars! {a}).unwrap_err();
//! assert_eq!(err.to_string(), "error: unknown name `ab`; did you mean `a`?\n  a + ab\n      ^^");
//! # Ok::<(), numjit::Error>(())
//! ```
//!
//! The pipeline, one folder per stage, data flowing one way: `numjit_syntax` (text → AST),
//! `check` (names, dtypes, shapes → typed `ir`), `codegen` (IR → Cranelift → native kernel),
//! `exec` (chunks on a thread pool); `semantics` is the table of every operation the stages
//! follow, `interp` the reference interpreter the JIT is tested against, `api` what users call.
//! See ARCHITECTURE.md for the design and `grammar/numjit.ebnf` for the language.
#![deny(missing_docs)]

// So that the macros' expansions (`::numjit::...`) also work inside this crate's tests.
extern crate self as numjit;

// In data-flow order: a module imports only modules above it (tests/tidy.rs holds this).
mod api;
mod check;
mod codegen;
mod exec;
mod format;
mod interp;
mod ir;
pub mod npy;
mod reduce;
mod semantics;
mod types;

pub use api::{
    compile, compile_script, eval, evaluate, evaluate_casting, execute, interpret, Compiled,
    Outputs, Script, Vars,
};
pub use exec::{num_threads, set_num_threads, Schedule};
pub use ndarray;
pub use numjit_macros::{eval, evaluate, execute};
pub use numjit_syntax::{Error, ErrorKind, Result, Span};
pub use types::{Arg, Array, Casting, Complex64, DType, Element, IntoArg, IntoOut, Kind, Out};

/// What the macros' expansions name. Not a public interface.
#[doc(hidden)]
pub mod __private {
    pub use crate::api::{AsOut, Site};
}

/// What the `numjit` command, the benchmarks and the tests reach below the public API: the
/// front end, single stages of the pipeline, NumPy-style printing and the reduction kernels.
/// Not a stable interface.
pub mod internals {
    pub use crate::check::check;
    pub use crate::codegen::{compile as compile_kernel, vmath, Access, Kernel};
    pub use crate::exec::default_threads;
    pub use crate::format::repr;
    pub use crate::ir::Program;
    pub use crate::reduce::{reduce, result_dtype, result_shape, BLOCK};
    pub use crate::semantics::Func;
    pub use crate::types::float_to_int;
    pub use numjit_syntax as syntax;
}

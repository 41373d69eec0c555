//! Owns numjit's engine and its public API: numexpr-style array expressions, compiled with
//! Cranelift into one fused native loop and run in chunks across a thread pool.
//! Must not touch terminals or files other than .npy (`npy`): the `numjit` command lives in
//! numjit-cli.
//!
//! # A tour
//!
//! **Evaluate into an output.** [`evaluate!`] parses the expression when your crate compiles
//! (a syntax error is a compile error) and binds every name it reads from the enclosing
//! scope, as numexpr takes names from the caller's frame; the parse and the compiled kernels
//! are cached at the call site:
//!
//! ```
//! let a = vec![1.0, 2.0, 3.0];
//! let b = vec![10.0, 20.0, 30.0];
//! let mut out = vec![0.0; 3];
//! numjit::evaluate!("a**2 + b**2 + 2*a*b", out)?;
//! assert_eq!(out, vec![121.0, 484.0, 1089.0]);
//! # Ok::<(), numjit::Error>(())
//! ```
//!
//! The function forms take the text at run time and the names from [`vars!`]:
//! [`evaluate`](fn@evaluate)`("a + b", &mut out, vars!{a, b})`.
//!
//! **Allocate the result.** [`eval!`] and [`eval`](fn@eval) return an [`Array`] (one variant per
//! dtype; it prints as NumPy's `repr` and converts into an owned ndarray array). Inputs are
//! slices, `Vec`s, ndarray arrays and views of any strides, and scalars, broadcast as in
//! NumPy:
//!
//! ```
//! let m = ndarray::array![[1i64, 2], [3, 4]];
//! let k = 10i64;
//! let r = numjit::eval!("where(m % 2 == 0, m, -m) * k")?;
//! assert_eq!(r.to_string(), "array([[-10,  20],\n       [-30,  40]])");
//! let r: ndarray::ArrayD<i64> = r.try_into().unwrap();
//! assert_eq!(r, ndarray::array![[-10i64, 20], [-30, 40]].into_dyn());
//!
//! // NumPy's functions, constants, dtypes and reductions (anywhere in an expression).
//! let x: Vec<f32> = vec![1.5, -3.0, 2.25];
//! let r = numjit::eval("clip(x, -1, 1) * pi - mean(x)", numjit::vars! {x})?;
//! assert_eq!(r.dtype(), numjit::DType::Float32);
//! # Ok::<(), numjit::Error>(())
//! ```
//!
//! **Scripts.** [`execute!`] and [`execute`](fn@execute) run statements: `name = expr` makes a new array,
//! `x[1:-1] = expr` writes into a view of `x` (bound writably; NumPy's semantics when the
//! sides overlap). A stencil is one fused loop with no copies:
//!
//! ```
//! let dens = ndarray::Array2::<f64>::ones((6, 6));
//! let mut next = dens.clone();
//! let c = 0.25;
//! numjit::execute!(
//!     "next[1:-1,1:-1] = dens[1:-1,1:-1] + c*(dens[2:,1:-1] + dens[:-2,1:-1] + dens[1:-1,2:] + dens[1:-1,:-2] - 4*dens[1:-1,1:-1])"
//! )?;
//! assert_eq!(next, dens);
//! # Ok::<(), numjit::Error>(())
//! ```
//!
//! **Compiled handles.** [`compile`] returns a [`Compiled`] that re-runs one expression
//! without the text lookup; [`compile_script`] a [`Script`]:
//!
//! ```
//! let f = numjit::compile("where(x > 0, sqrt(x), -1.0)")?;
//! for x in [4.0, -2.0] {
//!     let r = f.eval(numjit::vars! {x})?;
//!     assert_eq!(r.into_f64().unwrap().first(), Some(&if x > 0.0 { 2.0 } else { -1.0 }));
//! }
//! # Ok::<(), numjit::Error>(())
//! ```
//!
//! **Errors** are [`Error`] values with a kind and a byte span; `Display` and `Debug` print the
//! expression with a caret under the mistake, so `fn main() -> Result<(), numjit::Error>` shows
//! it, and a failed call never writes to its output:
//!
//! ```
//! let a = vec![1.0];
//! let err = numjit::eval("a + ab", numjit::vars! {a}).unwrap_err();
//! assert_eq!(err.to_string(), "error: unknown name `ab`; did you mean `a`?\n  a + ab\n      ^^");
//! ```
//!
//! A name the expression of a macro reads must be in scope, or the crate does not compile:
//!
//! ```compile_fail
//! let a = vec![1.0];
//! let r = numjit::eval!("a + ab"); // error[E0425]: cannot find value `ab` in this scope
//! ```
//!
//! **Threads.** [`set_num_threads`] (numexpr's, returning the previous count) sizes the pool;
//! [`Schedule`] sets threads and chunk size per call. Results are bit-identical for every
//! thread count.
//!
//! **Stopping a long call.** A schedule may hold an [`Interrupt`], a handle another thread or
//! a signal handler trips; the call then returns an [`ErrorKind::Interrupted`] error ("interrupted")
//! at its next check: between chunks of 16 Ki elements (one relaxed atomic load each),
//! between a script's statements and between reductions. The `numjit` REPL stops a statement
//! on Ctrl-C this way. What a stopped call was writing may be partly written (it is the one
//! error that is not found before effects):
//!
//! ```
//! use numjit::{ErrorKind, Interrupt, Schedule};
//! let stop = Interrupt::new();
//! let sched = Schedule::default().with_interrupt(&stop);
//! let x = vec![0.5; 1 << 20];
//! let f = numjit::compile("sum(exp(x) * sin(x))")?;
//! let tripper = stop.clone();
//! std::thread::spawn(move || tripper.trip()); // say, on Ctrl-C
//! match f.eval_with(numjit::vars! {x}, &sched) {
//!     Err(e) => assert_eq!(e.kind(), ErrorKind::Interrupted),
//!     Ok(v) => assert_eq!(v.len(), 1), // finished before the trip
//! }
//! # Ok::<(), numjit::Error>(())
//! ```
//!
//! **The language** — every operator, function, constant, dtype rule, reduction, subscript
//! rule and each deliberate difference from numexpr — is [`language`]. The pipeline:
//! `numjit_syntax` (text → AST), `check` (names, dtypes, shapes → typed IR), `codegen`
//! (IR → Cranelift → native kernel), `exec` (chunks on a thread pool), with a reference
//! interpreter the JIT is tested against; ARCHITECTURE.md in the repository has the design.
#![deny(missing_docs)]

// So that the macros' expansions (`::numjit::...`) also work inside this crate's tests.
extern crate self as numjit;

// In data-flow order: a module imports only modules above it (tests/tidy.rs holds this).
mod api;
mod check;
mod codegen;
pub mod dist;
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
pub use exec::{num_threads, set_num_threads, Interrupt, Schedule};
pub use ndarray;
pub use numjit_macros::{eval, evaluate, execute};
pub use numjit_syntax::{Error, ErrorKind, Result, Span};
pub use types::{Arg, Array, Casting, Complex64, DType, Element, IntoArg, IntoOut, Kind, Out};

/// The language reference: docs/language.md of the repository.
#[doc = include_str!("../../../docs/language.md")]
pub mod language {}

/// What the macros' expansions name. Not a public interface.
#[doc(hidden)]
pub mod __private {
    pub use crate::api::{AsOut, Site};
}

/// What the `numjit` command, the benchmarks and the tests reach below the public API: the
/// front end, single stages of the pipeline, NumPy-style printing and the reduction kernels.
/// Not a stable interface (hidden from the documentation).
#[doc(hidden)]
pub mod internals {
    pub use crate::check::check;
    pub use crate::codegen::{
        compile as compile_kernel, stream_stores_from, vmath, Access, Kernel,
    };
    pub use crate::exec::default_threads;
    pub use crate::format::repr;
    pub use crate::ir::Program;
    pub use crate::reduce::{reduce, result_dtype, result_shape, BLOCK};
    pub use crate::semantics::Func;
    pub use crate::types::float_to_int;
    pub use numjit_syntax as syntax;
}

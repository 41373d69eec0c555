//! This crate provides numjit: numexpr-style array expressions, compiled with Cranelift into
//! one fused native loop and run in chunks across a thread pool.
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
//! The pipeline, one module per stage: [`syntax`] (text → tokens → AST), [`check`] (names,
//! dtypes → typed [`ir`]), [`codegen`] (IR → Cranelift → machine code), [`exec`] (chunks on a
//! rayon pool). [`interp`] is the reference interpreter the JIT is tested against. See
//! ARCHITECTURE.md for the design and `grammar/numjit.ebnf` for the language.
#![deny(missing_docs)]

mod api;
pub mod array;
pub mod check;
pub mod cmath;
pub mod codegen;
pub mod error;
pub mod exec;
pub mod format;
pub mod interp;
pub mod ir;
pub mod npy;
pub mod ops;
pub mod reduce;
pub mod syntax;
pub mod vmath;

pub use api::{
    compile, compile_script, eval, evaluate, evaluate_casting, execute, interpret, Compiled,
    Outputs, Script, Vars,
};
pub use array::{Arg, Array, Casting, Complex64, DType, Kind, Out};
pub use error::{Error, ErrorKind, Span};
pub use exec::{num_threads, set_num_threads, Schedule};

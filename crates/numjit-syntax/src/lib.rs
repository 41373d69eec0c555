//! Owns numjit's front end: text → tokens ([`lexer`], logos) → untyped AST with spans
//! ([`ast`]) by a Pratt parser ([`parser`]), and the diagnostics every phase reports ([`diag`]:
//! an error with a caret under the offending span).
//! Must not touch dtypes, shapes, Cranelift or threads: it depends on logos only.
//!
//! The grammar it implements is written down in `grammar/numjit.ebnf` at the repository root.
//!
//! ```
//! let ast = numjit_syntax::parse("a**2 + sin(b)").unwrap();
//! assert!(matches!(ast.kind, numjit_syntax::ast::ExprKind::Binary { .. }));
//! let err = numjit_syntax::parse("a + * b").unwrap_err();
//! assert_eq!(err.kind(), numjit_syntax::ErrorKind::Syntax);
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod ast;
pub mod diag;
pub mod lexer;
pub mod parser;

pub use diag::{Error, ErrorKind, Result, Span};
pub use parser::{parse, parse_script, MAX_DEPTH, MAX_SOURCE};

//! Provides the front end: text → tokens ([`lexer`]) → untyped AST with spans ([`ast`]) by a
//! Pratt parser ([`parser`]). The grammar it implements is written down in `grammar/numjit.ebnf`.
//!
//! **Invariant:** this module knows nothing about dtypes, shapes, Cranelift or threads.

pub mod ast;
pub mod lexer;
pub mod parser;

pub use parser::{parse, parse_script, MAX_DEPTH};

//! The `numjit` command's interactive and benchmarking parts: the REPL ([`repl`]), the
//! thread-scaling benchmark ([`bench`]) with its PNG chart ([`plot`]), and the seeded random
//! numbers both use ([`random`]). They use only numjit's public API.

mod arrays;
pub mod bench;
pub mod plot;
pub mod random;
pub mod repl;
mod scan;

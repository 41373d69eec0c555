//! The command's integration tests: the `numjit` binary run as a user runs it (eval over .npy
//! files, the REPL, bench), checked against hand-computed values and NumPy's recorded answers.
mod bench_cmd;
mod bin;
mod cli;
#[cfg(unix)]
mod ctrl_c;
mod numexpr_cli;
#[path = "../../../numjit/tests/support/numpy_cases.rs"]
#[allow(dead_code)]
mod numpy_cases;
mod repl;

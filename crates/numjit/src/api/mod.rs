//! Owns what users call: evaluate, eval, execute, compile, interpret, and the caches from text
//! to parsed expressions and scripts.
//! Must not touch Cranelift IR, raw pointers or threads: it drives check, codegen, exec and
//! reduce through their entry points.
//!
//! Provides the public entry points ([`evaluate`], [`evaluate_casting`], [`eval`],
//! [`compile`], [`interpret`], [`execute`], [`compile_script`]), the bindings type [`Vars`],
//! and the caches: text → parsed [`Compiled`] or [`Script`] (bounded LRU) → typed program per
//! input dtypes → kernel per operand layout.
//!
//! The parts: `bindings` (names → arrays: [`Vars`], `vars!`, the lookup scope), `lift` (the
//! parse-time passes: reductions lifted out, free names), `compiled` ([`Compiled`]: typed
//! programs, kernels, reductions at each call, casting into the output), `script`
//! ([`Script`], [`Outputs`]) and `cache` (the bounded LRU behind [`compile`] and
//! [`compile_script`]).

mod bindings;
mod cache;
mod compiled;
mod lift;
mod script;
mod site;

pub use bindings::Vars;
pub use compiled::Compiled;
pub use script::{Outputs, Script};
pub use site::{AsOut, Site};

use crate::types::{Array, Casting, IntoOut};
use cache::Cache;
use numjit_syntax::Result;
use smallvec::SmallVec;
use std::sync::Mutex;

static EXPRS: Mutex<Option<Cache<Compiled>>> = Mutex::new(None);
static SCRIPTS: Mutex<Option<Cache<Script>>> = Mutex::new(None);

thread_local! {
    /// The last few expressions this thread used, keyed by the text's address and length
    /// (checked against the text itself), so a call in a loop finds its expression without
    /// hashing the text or taking the global cache's lock.
    static RECENT: std::cell::RefCell<SmallVec<[(usize, usize, Compiled); RECENT_SIZE]>> =
        std::cell::RefCell::new(SmallVec::new());
}
const RECENT_SIZE: usize = 8;

/// Parses `expr`, or returns the cached parse (a bounded LRU of 256 expressions).
pub fn compile(expr: &str) -> Result<Compiled> {
    let key = (expr.as_ptr() as usize, expr.len());
    let hit = RECENT.with(|r| {
        r.borrow()
            .iter()
            .find(|(p, l, c)| (*p, *l) == key && c.source() == expr)
            .map(|(_, _, c)| c.clone())
    });
    if let Some(c) = hit {
        return Ok(c);
    }
    let c = Cache::get_or(&EXPRS, expr, || Compiled::new(expr))?;
    RECENT.with(|r| {
        let mut r = r.borrow_mut();
        if r.len() == RECENT_SIZE {
            r.pop();
        }
        r.insert(0, (key.0, key.1, c.clone()));
    });
    Ok(c)
}

/// Parses a script, or returns the cached parse (a bounded LRU of 256 scripts).
pub fn compile_script(script: &str) -> Result<Script> {
    Cache::get_or(&SCRIPTS, script, || Script::new(script))
}

/// Runs a script (see [`Script`]): `next[1:-1, 1:-1] = dens[1:-1, 1:-1] + c*lap; n = x*2`.
pub fn execute(script: &str, vars: Vars<'_>) -> Result<Outputs> {
    compile_script(script)?.execute(vars)
}

/// Evaluates `expr` into `out` (a mutable slice, `Vec`, ndarray array or view).
///
/// The result must broadcast to `out`'s shape; an `out` of another dtype receives it cast
/// under NumPy's default rule, `casting='same_kind'` (see [`Compiled::evaluate_casting`]).
/// On any error `out` is left untouched.
pub fn evaluate<'o>(expr: &str, out: impl IntoOut<'o>, vars: Vars<'_>) -> Result<()> {
    compile(expr)?.evaluate(out, vars)
}

/// Evaluates `expr` into `out` under NumPy's casting rule `casting` (see
/// [`Compiled::evaluate_casting`]): `numjit::evaluate_casting("a / 2", &mut ints, vars,
/// Casting::Unsafe)` truncates into an int64 output, where the default rule refuses.
// Re-exported by lib.rs (`pub use api::{..., evaluate_casting, ...}`).
pub fn evaluate_casting<'o>(
    expr: &str,
    out: impl IntoOut<'o>,
    vars: Vars<'_>,
    casting: Casting,
) -> Result<()> {
    compile(expr)?.evaluate_casting(out, vars, casting)
}

/// Evaluates `expr` into a newly allocated array of the broadcast shape.
pub fn eval(expr: &str, vars: Vars<'_>) -> Result<Array> {
    compile(expr)?.eval(vars)
}

/// Evaluates `expr` with the reference interpreter (slow, obviously right).
pub fn interpret(expr: &str, vars: Vars<'_>) -> Result<Array> {
    compile(expr)?.interpret(vars)
}

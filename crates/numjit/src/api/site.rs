//! Owns the per-call-site cache behind `evaluate!`, `eval!` and `execute!`: a `static` in the
//! macro's expansion that parses its text once and keeps the parsed [`Compiled`] or [`Script`]
//! (and so its typed programs and kernels).
//! Must not look at the text itself: parsing and checking are `Compiled`'s and `Script`'s.

use super::{Compiled, Outputs, Script, Vars};
use crate::types::{Array, Element, IntoOut, Out};
use ndarray::{ArrayBase, DataMut, Dimension};
use numjit_syntax::Result;
use std::sync::OnceLock;

/// One call site of a numjit macro. Not a public interface: only the macros' expansions
/// name it.
#[doc(hidden)]
#[derive(Debug)]
pub struct Site {
    text: &'static str,
    expr: OnceLock<Result<Compiled>>,
    script: OnceLock<Result<Script>>,
}

impl Site {
    /// A call site of `text` (parsed on first use).
    pub const fn new(text: &'static str) -> Site {
        Site {
            text,
            expr: OnceLock::new(),
            script: OnceLock::new(),
        }
    }

    fn compiled(&self) -> Result<&Compiled> {
        self.expr
            .get_or_init(|| Compiled::new(self.text))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// `evaluate!`.
    pub fn evaluate<'o>(&self, out: impl IntoOut<'o>, vars: Vars<'_>) -> Result<()> {
        self.compiled()?.evaluate(out, vars)
    }

    /// `eval!`.
    pub fn eval(&self, vars: Vars<'_>) -> Result<Array> {
        self.compiled()?.eval(vars)
    }

    /// `execute!`.
    pub fn execute(&self, vars: Vars<'_>) -> Result<Outputs> {
        self.script
            .get_or_init(|| Script::new(self.text))
            .as_ref()
            .map_err(Clone::clone)?
            .execute(vars)
    }
}

/// What `evaluate!(text, out)` does with an output given as a plain name: `out.__numjit_out()`,
/// so that method-call auto-referencing takes `&mut out` of an owned `Vec`, array or `Array`
/// (declared `mut`) and reborrows an `out` that is already a `&mut [f64]` (no `mut` needed).
#[doc(hidden)]
pub trait AsOut {
    /// The destination view.
    fn __numjit_out(&mut self) -> Out<'_>;
}

impl<T: Element> AsOut for [T]
where
    for<'a> &'a mut [T]: IntoOut<'a>,
{
    fn __numjit_out(&mut self) -> Out<'_> {
        self.into_out()
    }
}

impl<T: Element> AsOut for Vec<T>
where
    for<'a> &'a mut [T]: IntoOut<'a>,
{
    fn __numjit_out(&mut self) -> Out<'_> {
        self.as_mut_slice().into_out()
    }
}

impl<T: Element, const N: usize> AsOut for [T; N]
where
    for<'a> &'a mut [T]: IntoOut<'a>,
{
    fn __numjit_out(&mut self) -> Out<'_> {
        self.as_mut_slice().into_out()
    }
}

impl<T: Element, S: DataMut<Elem = T>, D: Dimension> AsOut for ArrayBase<S, D> {
    fn __numjit_out(&mut self) -> Out<'_> {
        self.into_out()
    }
}

impl AsOut for Array {
    fn __numjit_out(&mut self) -> Out<'_> {
        self.into_out()
    }
}

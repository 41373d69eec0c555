//! Owns `Compiled`, an expression parsed once: its typed programs per input dtypes and kernels
//! per operand layout, the evaluation of its reductions at each call, the checks of outputs and
//! the casting of results into outputs of another dtype.
//! Must not touch Cranelift IR, raw pointers or threads: kernels come from `codegen`, runs
//! from `exec`, reductions from `reduce`.
//!
//! **Reductions at each call.** A call evaluates the reductions `lift` took out of the
//! expression innermost first, before the expression around them is checked: each argument
//! is evaluated with the call's bindings (the JIT for `evaluate`/`eval`, the interpreter for
//! `interpret`), materialised once into an array, reduced by [`crate::reduce::reduce`], and
//! bound for the rest of the call under its hidden name. All of that happens before the
//! caller's output is touched, so an error anywhere leaves it unchanged; scripts check every
//! statement first with the reductions' result dtypes and shapes alone
//! ([`crate::reduce::result_shape`]), without computing them.
//!
//! **Reuse.** `eval` keeps its last call's plan (`Reused`): a next call whose bindings have
//! the same names, dtypes, layouts and integer scalars allocates the result and runs the
//! kernel on the new arrays (`exec::Planned::run_on` checks the layouts), as scripts do.
//!
//! **Casting.** Evaluating into an output of another dtype follows NumPy's `casting` rule
//! ([`Casting::SameKind`] by default, as NumPy's `out=`): the result is computed in its own
//! dtype into a temporary and cast-copied into the output (float → int truncates, complex →
//! real keeps the real part, as NumPy's casts); a cast the rule refuses is an
//! [`ErrorKind::Output`] error and the output is left untouched.

use super::bindings::{BindingKey, Scope, Vars};
use super::lift::{free_names, has_reduction, is_hidden, lift, Reduction};
use crate::check::{self, broadcast, is_constant, Literals};
use crate::codegen::{self, Access, Kernel};
use crate::exec::{self, Schedule};
use crate::interp;
use crate::ir::{view_text, Program};
use crate::reduce;
use crate::types::raw;
use crate::types::shape_str;
use crate::types::Dims;
use crate::types::IntoOut;
use crate::types::{Arg, Array, Casting, DType, Out};
use numjit_syntax::ast::{Expr, ExprKind, ReduceOp};
use numjit_syntax::{Error, ErrorKind, Result, Span};
use smallvec::SmallVec;
use std::borrow::Cow;
use std::sync::{Arc, Mutex};

/// An expression parsed once, ready to run on any inputs without a cache lookup.
///
/// Cloning is cheap (shared). Typed programs and kernels are compiled on first use for each
/// combination of input dtypes and operand layouts, and kept.
#[derive(Clone, Debug)]
pub struct Compiled {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The text the spans refer to (a whole script for a statement's expression, shared by
    /// its statements).
    source: Arc<str>,
    /// The parsed expression, reductions included.
    ast: Expr,
    /// What checking sees when the expression has reductions: `ast` with each outermost
    /// reduction replaced by the hidden name of its result. `None` without reductions.
    lifted: Option<Expr>,
    /// The outermost reductions, in order of appearance (empty for most expressions).
    reductions: Vec<Reduction>,
    /// Free names of the checked expression in order of first appearance, with the span of
    /// that appearance (hidden names included).
    names: Vec<(String, Span)>,
    /// How integer literals are typed (NumPy's rule unless made by [`Compiled::numexpr`]).
    literals: Literals,
    typed: Mutex<Vec<Arc<Typed>>>,
    /// The last `eval` call's plan, for the next call with bindings of the same layouts.
    reused: Mutex<Option<Arc<Reused>>>,
}

/// An `eval` call's plan kept for the next call whose bindings match it (names, dtypes,
/// layouts, integer scalars: the script's `FastPlan` says why that is sound; the result is a
/// new array, which overlaps nothing): that call allocates the result and runs the kernel on
/// the new arrays, without checking, view resolution or planning.
struct Reused {
    bindings: Vec<BindingKey>,
    dtype: DType,
    shape: Vec<usize>,
    planned: exec::Planned,
    /// Each program input's binding, by index in the call's bindings.
    sources: SmallVec<[usize; 8]>,
}

impl std::fmt::Debug for Reused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reused")
            .field("bindings", &self.bindings)
            .finish_non_exhaustive()
    }
}

/// A reduction's result during one call.
enum Hidden {
    /// Computed.
    Value(Array),
    /// Not computed (checking): its dtype and shape.
    Placeholder(DType, Vec<usize>),
}

/// How the reductions of one call are evaluated.
#[derive(Clone, Copy)]
pub(super) enum Mode<'m> {
    /// With the JIT, on this schedule.
    Jit(&'m Schedule),
    /// With the reference interpreter.
    Interp,
    /// Not at all: placeholders of the results' dtypes and shapes stand in (checking).
    Check,
}

/// A program for one combination of input dtypes, with its kernels per layout.
#[derive(Debug)]
pub(super) struct Typed {
    /// Each free name's dtype, `None` for a constant (`pi`) that no binding shadows.
    dtypes: Vec<Option<DType>>,
    pub(super) program: Program,
    kernels: Mutex<Vec<(Vec<Access>, Arc<Kernel>)>>,
}

/// Bound on typed programs kept per expression (distinct input dtype combinations).
const MAX_TYPED: usize = 16;
/// Bound on kernels kept per typed program (distinct layouts).
const MAX_KERNELS: usize = 16;

/// A call's inputs resolved against a typed program (views applied), and the result shape.
pub(super) struct Prepared<'s, 'a> {
    pub(super) typed: Arc<Typed>,
    /// Borrowed from the scope, or a view of a bound array (owned).
    pub(super) args: SmallVec<[Cow<'s, Arg<'a>>; 8]>,
    pub(super) shape: Dims,
}

impl Compiled {
    /// Parses `source`.
    pub fn new(source: &str) -> Result<Compiled> {
        let ast = numjit_syntax::parse(source).map_err(|e| e.with_source(source))?;
        Ok(Compiled::from_ast(&Arc::from(source), ast))
    }

    /// Parses `source`, whose integer literals are typed as numexpr types them rather than
    /// by NumPy's rule: a literal, or an integer expression of literals only, is int32 when
    /// its value fits and int64 otherwise, and promotes as that dtype with bool and integer
    /// operands (`evaluate('2')` is int32, `bool_array + 2` int32, `int32_array + 2**40`
    /// int64, `float32_array * 2` float32). For numexpr compatibility layers (the Python
    /// package's `numjit.evaluate`); everything else is as [`Compiled::new`].
    pub fn numexpr(source: &str) -> Result<Compiled> {
        let ast = numjit_syntax::parse(source).map_err(|e| e.with_source(source))?;
        Ok(Compiled::from_ast_with(
            &Arc::from(source),
            ast,
            Literals::Numexpr,
        ))
    }

    /// An expression already parsed out of `source` (whose spans it uses).
    /// The text is shared, not copied: a script's statements all point into one.
    pub(super) fn from_ast(source: &Arc<str>, ast: Expr) -> Compiled {
        Compiled::from_ast_with(source, ast, Literals::NumPy)
    }

    /// [`Compiled::from_ast`] with integer literals typed by `literals` (its reductions'
    /// arguments too).
    pub(super) fn from_ast_with(source: &Arc<str>, ast: Expr, literals: Literals) -> Compiled {
        let mut reductions = Vec::new();
        let lifted = has_reduction(&ast).then(|| lift(&ast, source, literals, &mut reductions));
        let mut names = Vec::new();
        free_names(lifted.as_ref().unwrap_or(&ast), &mut names);
        Compiled {
            inner: Arc::new(Inner {
                source: source.clone(),
                ast,
                lifted,
                reductions,
                names,
                literals,
                typed: Mutex::new(Vec::new()),
                reused: Mutex::new(None),
            }),
        }
    }

    /// The expression text.
    pub fn source(&self) -> &str {
        &self.inner.source
    }

    /// The parsed syntax tree.
    pub fn ast(&self) -> &Expr {
        &self.inner.ast
    }

    /// The names the expression reads (reductions' arguments and subscript bounds included),
    /// in order of first appearance: what a caller binds, as numexpr's frame lookup does.
    pub fn input_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        free_names(&self.inner.ast, &mut names);
        names.into_iter().map(|(n, _)| n).collect()
    }

    /// Evaluates into `out`, whose shape the result must broadcast to. An output of another
    /// dtype receives the result cast under NumPy's default rule, [`Casting::SameKind`] (a
    /// float64 result into float32 works, into int64 is refused); see
    /// [`Compiled::evaluate_casting`]. On error `out` is untouched.
    pub fn evaluate<'o>(&self, out: impl IntoOut<'o>, vars: Vars<'_>) -> Result<()> {
        self.evaluate_casting_with(out, vars, Casting::default(), &Schedule::default())
    }

    /// [`Compiled::evaluate`] with an explicit schedule (thread count, chunk size).
    pub fn evaluate_with<'o>(
        &self,
        out: impl IntoOut<'o>,
        vars: Vars<'_>,
        sched: &Schedule,
    ) -> Result<()> {
        self.evaluate_casting_with(out, vars, Casting::default(), sched)
    }

    /// Evaluates into `out` under the casting rule `casting`, as NumPy's `out=` with
    /// `casting=`: an output of the result's dtype is written directly; one of another dtype
    /// receives the result cast to it if `casting` allows ([`DType::can_cast`]), and
    /// otherwise the call fails with an [`ErrorKind::Output`] error naming both dtypes and the
    /// rule. On error `out` is untouched.
    pub fn evaluate_casting<'o>(
        &self,
        out: impl IntoOut<'o>,
        vars: Vars<'_>,
        casting: Casting,
    ) -> Result<()> {
        self.evaluate_casting_with(out, vars, casting, &Schedule::default())
    }

    /// [`Compiled::evaluate_casting`] with an explicit schedule.
    pub fn evaluate_casting_with<'o>(
        &self,
        out: impl IntoOut<'o>,
        vars: Vars<'_>,
        casting: Casting,
        sched: &Schedule,
    ) -> Result<()> {
        let mut out = out.into_out();
        let scope = Scope {
            vars: &vars,
            env: &[],
            written: &[],
        };
        self.with_reductions(&scope, Mode::Jit(sched), |scope| {
            let p = self.prepare(scope)?;
            self.check_out(&p, &out, casting)?;
            // In safe Rust `out` is a `&mut` borrow the inputs cannot alias, but views made
            // with `Out::from_raw_parts` may: an output that overlaps an input other than
            // exactly (same elements in the same order) receives the result through a buffer,
            // as NumPy's `out=` does.
            let overlap = p.args.iter().any(|a| raw::overlaps(&out, a));
            if out.dtype() == p.typed.program.dtype() && !overlap {
                self.execute(&p, &mut out, sched)
            } else {
                let tmp = self.eval_prepared(&p, sched)?;
                copy_into(&mut out, &tmp, sched).map_err(|e| e.with_source(self.source()))
            }
        })
    }

    /// Evaluates into a newly allocated array.
    pub fn eval(&self, vars: Vars<'_>) -> Result<Array> {
        self.eval_with(vars, &Schedule::default())
    }

    /// [`Compiled::eval`] with an explicit schedule.
    pub fn eval_with(&self, vars: Vars<'_>, sched: &Schedule) -> Result<Array> {
        let scope = Scope {
            vars: &vars,
            env: &[],
            written: &[],
        };
        if !self.inner.reductions.is_empty() {
            return self.eval_in(&scope, sched);
        }
        let reused = self
            .inner
            .reused
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some(r) = reused.filter(|r| vars.match_keys(&r.bindings)) {
            let mut result = Array::try_zeros(r.dtype, &r.shape).map_err(|e| self.at_whole(e))?;
            let ran = {
                let out = result.view_mut();
                let bases = vars.views_at(&r.sources);
                r.planned.run_on(&out, &bases, sched)
            };
            if let Some(ran) = ran {
                ran.map_err(|e| e.with_source(self.source()))?;
                return Ok(result);
            }
        }
        let p = self.prepare(&scope)?;
        self.check_size(&p)?;
        let dtype = p.typed.program.dtype();
        let mut result = Array::try_zeros(dtype, &p.shape).map_err(|e| self.at_whole(e))?;
        let reuse = {
            let mut out = result.view_mut();
            let planned = self.execute_planned(&p, &mut out, sched)?;
            planned.and_then(|planned| self.reusable(&vars, &p, &out, planned))
        };
        if let Some(planned) = reuse {
            *self.inner.reused.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(planned));
        }
        Ok(result)
    }

    /// The plan of an `eval` call into `out` (its new result), anchored to the call's
    /// bindings for reuse; `None` if an input is not a caller's binding.
    fn reusable(
        &self,
        vars: &Vars<'_>,
        p: &Prepared<'_, '_>,
        out: &Out<'_>,
        mut planned: exec::Planned,
    ) -> Option<Reused> {
        let mut sources: SmallVec<[usize; 8]> = SmallVec::new();
        for input in &p.typed.program.inputs {
            sources.push(vars.index_of(&input.name)?);
        }
        let args: SmallVec<[&Arg<'_>; 8]> = p.args.iter().map(|a| &**a).collect();
        let bases = vars.views_at(&sources);
        planned.anchor((out, &args), (out, &bases)).then(|| Reused {
            bindings: vars.keys(),
            dtype: p.typed.program.dtype(),
            shape: p.shape.to_vec(),
            planned,
            sources,
        })
    }

    /// Evaluates in `scope` into a new array (reductions included).
    fn eval_in(&self, scope: &Scope<'_, '_>, sched: &Schedule) -> Result<Array> {
        self.with_reductions(scope, Mode::Jit(sched), |scope| {
            let p = self.prepare(scope)?;
            self.eval_prepared(&p, sched)
        })
    }

    /// `sum` over all elements of this expression. Computed piece by piece as the kernel
    /// produces them (each subtree of the pairwise sum into a small buffer, never the whole
    /// argument) when the result is float64 or float32 and its operands walk it along one
    /// axis; otherwise the argument is evaluated and reduced. Bit for bit the same either way
    /// (the same pieces, pairwise sums and combination).
    fn sum_all(
        &self,
        scope: &Scope<'_, '_>,
        sched: &Schedule,
    ) -> Result<std::result::Result<Array, Error>> {
        self.with_reductions(scope, Mode::Jit(sched), |scope| {
            let p = self.prepare(scope)?;
            self.check_size(&p)?;
            let n: usize = p.shape.iter().product();
            let args: SmallVec<[&Arg<'_>; 8]> = p.args.iter().map(|a| &**a).collect();
            let kernel = |layout: &[Access]| self.kernel(&p.typed, layout);
            // Once the schedule's interrupt is tripped, the pieces left are not computed (the
            // sum is then discarded by the check after it).
            let stop = sched.interrupt.as_ref();
            macro_rules! fused {
                ($t:ty, $variant:ident) => {
                    exec::with_filler::<$t, _>(&p.shape, &args, &kernel, |fill| {
                        reduce::sum_filled(n, sched, &|start, buf: &mut [$t]| {
                            if !stop.is_some_and(|s| s.is_tripped()) {
                                fill(start, buf)
                            }
                        })
                    })
                    .map_err(|e| e.with_source(self.source()))?
                    .map(Array::$variant)
                };
            }
            let fused = match p.typed.program.dtype() {
                DType::Float64 => fused!(f64, Float64),
                DType::Float32 => fused!(f32, Float32),
                _ => None,
            };
            match fused {
                Some(sum) => Ok(Ok(sum)),
                None => {
                    let a = self.eval_prepared(&p, sched)?;
                    Ok(reduce::reduce(&a, ReduceOp::Sum, None, sched))
                }
            }
        })
    }

    pub(super) fn eval_prepared(&self, p: &Prepared<'_, '_>, sched: &Schedule) -> Result<Array> {
        self.check_size(p)?;
        let mut result =
            Array::try_zeros(p.typed.program.dtype(), &p.shape).map_err(|e| self.at_whole(e))?;
        let mut out = result.view_mut();
        self.execute(p, &mut out, sched)?;
        Ok(result)
    }

    /// Evaluates with the reference interpreter (slow; the oracle numjit's tests use). The
    /// arguments of reductions are interpreted too.
    pub fn interpret(&self, vars: Vars<'_>) -> Result<Array> {
        self.interpret_in(&Scope {
            vars: &vars,
            env: &[],
            written: &[],
        })
    }

    fn interpret_in(&self, scope: &Scope<'_, '_>) -> Result<Array> {
        self.with_reductions(scope, Mode::Interp, |scope| {
            let p = self.prepare(scope)?;
            self.check_size(&p)?;
            let args: SmallVec<[&Arg<'_>; 8]> = p.args.iter().map(|a| &**a).collect();
            interp::run(&p.typed.program, &args, &p.shape).map_err(|e| self.at_whole(e))
        })
    }

    /// The dtype and shape of the result for these inputs, computing nothing (reductions
    /// included: only their dtypes and shapes are worked out). A caller that allocates the
    /// output itself (uninitialised, say) asks this first, then calls [`Compiled::evaluate`].
    pub fn result_type(&self, vars: Vars<'_>) -> Result<(DType, Vec<usize>)> {
        self.result_in(&Scope {
            vars: &vars,
            env: &[],
            written: &[],
        })
    }

    /// The typed program for these inputs (printable, one node per line). A reduction's
    /// result is an input of the program under its hidden name (`sum#0`); reductions are not
    /// computed for this, only their dtypes and shapes.
    pub fn program(&self, vars: Vars<'_>) -> Result<Program> {
        let scope = Scope {
            vars: &vars,
            env: &[],
            written: &[],
        };
        self.with_reductions(&scope, Mode::Check, |scope| {
            Ok(self.prepare(scope)?.typed.program.clone())
        })
    }

    /// The Cranelift IR of the kernel these inputs use (reductions are computed first).
    pub fn clif(&self, vars: Vars<'_>) -> Result<String> {
        let scope = Scope {
            vars: &vars,
            env: &[],
            written: &[],
        };
        let sched = Schedule::default();
        self.with_reductions(&scope, Mode::Jit(&sched), |scope| {
            let p = self.prepare(scope)?;
            let text = Mutex::new(String::new());
            let mut result = Array::try_zeros(p.typed.program.dtype(), &p.shape)
                .map_err(|e| self.at_whole(e))?;
            let mut out = result.view_mut();
            let args: SmallVec<[&Arg<'_>; 8]> = p.args.iter().map(|a| &**a).collect();
            exec::run(&mut out, &args, &sched, &|layout| {
                let ir = codegen::clif(&p.typed.program, layout).map_err(|msg| {
                    Error::new(
                        ErrorKind::Internal,
                        format!("code generation failed: {msg}"),
                        None,
                    )
                })?;
                *text.lock().unwrap_or_else(|e| e.into_inner()) = ir;
                self.kernel(&p.typed, layout)
            })
            .map_err(|e| e.with_source(self.source()))?;
            Ok(text.into_inner().unwrap_or_else(|e| e.into_inner()))
        })
    }

    /// Runs `f` in `scope` extended with this expression's reductions, evaluated as `mode`
    /// says (innermost first); without reductions, `f` runs in `scope` itself. Errors about
    /// hidden names are reworded with the reductions' text.
    pub(super) fn with_reductions<R>(
        &self,
        scope: &Scope<'_, '_>,
        mode: Mode<'_>,
        f: impl FnOnce(&Scope<'_, '_>) -> Result<R>,
    ) -> Result<R> {
        if self.inner.reductions.is_empty() {
            return f(scope);
        }
        let values = self.reduce_all(scope, mode)?;
        let env = self.hidden_env(scope, &values);
        let extended = Scope {
            vars: scope.vars,
            env: &env,
            written: scope.written,
        };
        f(&extended).map_err(|e| self.unhide(e))
    }

    /// The values of this expression's reductions in `scope`, computed as `mode` says.
    fn reduce_all(&self, scope: &Scope<'_, '_>, mode: Mode<'_>) -> Result<Vec<Hidden>> {
        // A name the expression around the reductions uses but nobody bound is reported by
        // checking (with a suggestion) before any reduction is computed.
        let unbound = self
            .inner
            .names
            .iter()
            .any(|(n, _)| !is_hidden(n) && !is_constant(n) && scope.get(n).is_none());
        if unbound && !matches!(mode, Mode::Check) {
            let values = self.reduce_all(scope, Mode::Check)?;
            let env = self.hidden_env(scope, &values);
            let extended = Scope {
                vars: scope.vars,
                env: &env,
                written: scope.written,
            };
            self.prepare(&extended).map_err(|e| self.unhide(e))?;
        }
        let mut values = Vec::with_capacity(self.inner.reductions.len());
        for r in &self.inner.reductions {
            let fail = |e: Error| {
                Error::new(e.kind(), e.message(), Some(r.span)).with_source(self.source())
            };
            let shape_fail = |msg: String| fail(Error::new(ErrorKind::Shape, msg, None));
            values.push(match mode {
                Mode::Jit(sched) => {
                    // A bare name is reduced where it lies, without a copy.
                    let direct = match &r.arg.ast().kind {
                        ExprKind::Name(n) => scope
                            .get(n)
                            .and_then(|a| reduce::reduce_arg(a, r.op, r.axis, sched)),
                        _ => None,
                    };
                    let direct = match direct {
                        Some(v) => Some(v),
                        None if r.axis.is_none() && r.op == ReduceOp::Sum => {
                            Some(r.arg.sum_all(scope, sched)?)
                        }
                        None => None,
                    };
                    let value = match direct {
                        Some(v) => v,
                        None => {
                            let a = r.arg.eval_in(scope, sched)?;
                            reduce::reduce(&a, r.op, r.axis, sched)
                        }
                    };
                    // A reduction whose pieces an interrupt skipped has no value.
                    sched.check_interrupt()?;
                    Hidden::Value(value.map_err(fail)?)
                }
                Mode::Interp => {
                    let a = r.arg.interpret_in(scope)?;
                    let serial = Schedule {
                        threads: Some(1),
                        ..Schedule::default()
                    };
                    Hidden::Value(reduce::reduce(&a, r.op, r.axis, &serial).map_err(fail)?)
                }
                Mode::Check => {
                    let (dtype, shape) = r.arg.result_in(scope)?;
                    let shape = reduce::result_shape(&shape, r.op, r.axis).map_err(shape_fail)?;
                    Hidden::Placeholder(reduce::result_dtype(dtype, r.op), shape)
                }
            });
        }
        Ok(values)
    }

    /// The dtype and shape of this expression's result in `scope`, computing nothing.
    fn result_in(&self, scope: &Scope<'_, '_>) -> Result<(DType, Vec<usize>)> {
        self.with_reductions(scope, Mode::Check, |scope| {
            let p = self.prepare(scope)?;
            Ok((p.typed.program.dtype(), p.shape.to_vec()))
        })
    }

    /// `scope`'s arrays followed by the reductions' results under their hidden names.
    fn hidden_env<'v>(
        &self,
        scope: &Scope<'_, 'v>,
        values: &'v [Hidden],
    ) -> Vec<(String, Arg<'v>)> {
        let mut env: Vec<(String, Arg<'v>)> = Vec::with_capacity(scope.env.len() + values.len());
        env.extend(scope.env.iter().cloned());
        for (r, v) in self.inner.reductions.iter().zip(values) {
            let arg = match v {
                Hidden::Value(a) => Arg::from(a),
                Hidden::Placeholder(dtype, shape) => {
                    Arg::placeholder(*dtype, shape.iter().copied().collect())
                }
            };
            env.push((r.name.clone(), arg));
        }
        env
    }

    /// `e` with hidden names in its message replaced by the text of their reductions.
    fn unhide(&self, e: Error) -> Error {
        if !e.message().contains('#') {
            return e;
        }
        let mut msg = e.message().to_string();
        for r in &self.inner.reductions {
            let text = &self.source()[r.span.start..r.span.end];
            msg = msg.replace(&format!("`{}`", r.name), &format!("`{text}`"));
        }
        Error::new(e.kind(), msg, e.span()).with_source(self.source())
    }

    pub(super) fn prepare<'s, 'a>(&self, scope: &Scope<'s, 'a>) -> Result<Prepared<'s, 'a>> {
        self.prepare_inner(scope)
            .map_err(|e| e.with_source(self.source()))
    }

    fn prepare_inner<'s, 'a>(&self, scope: &Scope<'s, 'a>) -> Result<Prepared<'s, 'a>> {
        let inner = &*self.inner;
        // A free name is bound, or a constant (`pi`) nobody bound: the typed program depends
        // on which, so the key is each name's dtype or `None`.
        let mut bound: SmallVec<[Option<&'s Arg<'a>>; 8]> =
            SmallVec::with_capacity(inner.names.len());
        for (name, _) in &inner.names {
            match scope.get(name) {
                Some(a) => bound.push(Some(a)),
                None if is_constant(name) => bound.push(None),
                None => break,
            }
        }
        let typed = if bound.len() < inner.names.len() {
            None
        } else {
            let typed = inner.typed.lock().unwrap_or_else(|e| e.into_inner());
            typed
                .iter()
                .find(|t| {
                    t.dtypes
                        .iter()
                        .zip(&bound)
                        .all(|(d, a)| *d == a.map(|a| a.dtype()))
                })
                .cloned()
        };
        let typed = match typed {
            Some(t) => t,
            None => {
                // Checking reports any unbound name with a suggestion.
                let lookup = |n: &str| scope.get(n).map(|a| a.dtype());
                let known = scope.names();
                let ast = inner.lifted.as_ref().unwrap_or(&inner.ast);
                let program = check::check_with(ast, &lookup, &known, inner.literals)?;
                let t = Arc::new(Typed {
                    dtypes: bound.iter().map(|a| a.map(|a| a.dtype())).collect(),
                    program,
                    kernels: Mutex::new(Vec::new()),
                });
                let mut all = inner.typed.lock().unwrap_or_else(|e| e.into_inner());
                if all.len() >= MAX_TYPED {
                    all.remove(0);
                }
                all.push(t.clone());
                t
            }
        };
        let mut args: SmallVec<[Cow<'s, Arg<'a>>; 8]> =
            SmallVec::with_capacity(typed.program.inputs.len());
        for input in &typed.program.inputs {
            let i = inner
                .names
                .iter()
                .position(|(n, _)| *n == input.name)
                .expect("program inputs are free names");
            let base = bound[i].expect("program inputs are bound names");
            if input.view.is_empty() {
                args.push(Cow::Borrowed(base));
            } else {
                let layout =
                    check::resolve_view(&base.layout(), &input.view, &|n, s| scope.int(n, s))?;
                args.push(Cow::Owned(base.with_layout(layout)));
            }
        }
        let shapes: SmallVec<[&[usize]; 8]> = args.iter().map(|a| a.shape()).collect();
        let shape = broadcast(&shapes);
        drop(shapes);
        let shape = shape.map_err(|(i, j)| {
            let shapes: SmallVec<[&[usize]; 8]> = args.iter().map(|a| a.shape()).collect();
            let (a, b) = (&typed.program.inputs[i], &typed.program.inputs[j]);
            // Each operand as the user typed it (`d[::-1]`), where its text is at hand.
            let typed_text = |inp: &crate::ir::Input| {
                self.source()
                    .get(inp.span.start..inp.span.end)
                    .filter(|t| !t.is_empty())
                    .map_or_else(|| view_text(&inp.name, &inp.view), str::to_string)
            };
            Error::new(
                ErrorKind::Shape,
                format!(
                    "shapes do not broadcast: `{}` has shape {} but `{}` has shape {}",
                    typed_text(a),
                    shape_str(shapes[i]),
                    typed_text(b),
                    shape_str(shapes[j])
                ),
                Some(b.span),
            )
        })?;
        Ok(Prepared { typed, args, shape })
    }

    /// Refuses a result too large to address (inputs that broadcast to a huge shape).
    /// `e` (an error without a span, such as running out of memory) placed under the whole
    /// expression.
    pub(super) fn at_whole(&self, e: Error) -> Error {
        Error::new(e.kind(), e.message(), Some(self.inner.ast.span)).with_source(self.source())
    }

    fn check_size(&self, p: &Prepared<'_, '_>) -> Result<()> {
        let dt = p.typed.program.dtype();
        if crate::types::byte_size(dt, &p.shape).is_none() {
            return Err(Error::new(
                ErrorKind::Limit,
                format!(
                    "the result would have shape {} of {dt}, more than memory can address",
                    shape_str(&p.shape)
                ),
                Some(Span::new(0, self.source().len())),
            )
            .with_source(self.source()));
        }
        Ok(())
    }

    /// Refuses an output whose dtype the result cannot be cast to under `casting`, or a shape
    /// the result does not broadcast to. The caret is under the whole expression.
    fn check_out(&self, p: &Prepared<'_, '_>, out: &Out<'_>, casting: Casting) -> Result<()> {
        let whole = Some(Span::new(0, self.source().len()));
        let dt = p.typed.program.dtype();
        if !dt.can_cast(out.dtype(), casting) {
            return Err(Error::new(
                ErrorKind::Output,
                format!(
                    "cannot cast the result from {dt} to {} under casting='{}'",
                    out.dtype(),
                    casting.name()
                ),
                whole,
            )
            .with_source(self.source()));
        }
        self.check_out_at(p, dt, out.shape(), whole, "the output")
    }

    /// Refuses a destination (`what`, at `span`) of another dtype than the result, or a shape
    /// the result does not broadcast to.
    pub(super) fn check_out_at(
        &self,
        p: &Prepared<'_, '_>,
        dtype: DType,
        shape: &[usize],
        span: Option<Span>,
        what: &str,
    ) -> Result<()> {
        let dt = p.typed.program.dtype();
        let err =
            |msg: String| Err(Error::new(ErrorKind::Output, msg, span).with_source(self.source()));
        if dtype != dt {
            return err(format!(
                "{what} has dtype {dtype} but the expression's result is {dt}"
            ));
        }
        if broadcast(&[&p.shape, shape]).as_deref() != Ok(shape) {
            return err(format!(
                "{what} has shape {} but the expression's result has shape {}",
                shape_str(shape),
                shape_str(&p.shape)
            ));
        }
        Ok(())
    }

    fn kernel(&self, typed: &Typed, layout: &[Access]) -> Result<Arc<Kernel>> {
        kernel_for(typed, layout)
    }

    /// [`Compiled::execute`], returning the plan it ran (`None` for an empty output), which
    /// runs again on operands of the same layouts.
    pub(super) fn execute_planned(
        &self,
        p: &Prepared<'_, '_>,
        out: &mut Out<'_>,
        sched: &Schedule,
    ) -> Result<Option<exec::Planned>> {
        let args: SmallVec<[&Arg<'_>; 8]> = p.args.iter().map(|a| &**a).collect();
        let planned = exec::plan(out, &args, &|layout| self.kernel(&p.typed, layout))
            .map_err(|e| e.with_source(self.source()))?;
        if let Some(planned) = &planned {
            planned
                .run(sched)
                .map_err(|e| e.with_source(self.source()))?;
        }
        Ok(planned)
    }

    /// Whether the expression has reductions (computed at each call before the rest).
    pub(super) fn has_reductions(&self) -> bool {
        !self.inner.reductions.is_empty()
    }

    pub(super) fn execute(
        &self,
        p: &Prepared<'_, '_>,
        out: &mut Out<'_>,
        sched: &Schedule,
    ) -> Result<()> {
        // A program folded to a constant (`x7 = 7`) is a fill through the cached copy
        // kernel: compiling a kernel per distinct constant made a script of 100,000 such
        // statements take minutes (issue 14).
        if let Some(c) = constant_array(&p.typed.program) {
            return copy_into(out, &c, sched).map_err(|e| e.with_source(self.source()));
        }
        let args: SmallVec<[&Arg<'_>; 8]> = p.args.iter().map(|a| &**a).collect();
        exec::run(out, &args, sched, &|layout| self.kernel(&p.typed, layout))
            .map_err(|e| e.with_source(self.source()))
    }
}

/// The value of a program whose result is a constant (its root folded to one), as a 0-d
/// array of the program's dtype; `None` otherwise.
fn constant_array(program: &Program) -> Option<Array> {
    use crate::types::Scalar;
    use ndarray::{ArrayD, IxDyn};
    let crate::semantics::Op::Const(v) = program.nodes[program.root].op else {
        return None;
    };
    let s = IxDyn(&[]);
    Some(match v {
        Scalar::Bool(x) => Array::Bool(ArrayD::from_elem(s, x)),
        Scalar::Int32(x) => Array::Int32(ArrayD::from_elem(s, x)),
        Scalar::Int(x) => Array::Int64(ArrayD::from_elem(s, x)),
        Scalar::Float32(x) => Array::Float32(ArrayD::from_elem(s, x)),
        Scalar::Float(x) => Array::Float64(ArrayD::from_elem(s, x)),
        Scalar::Complex(x) => Array::Complex128(ArrayD::from_elem(s, x)),
        Scalar::Str(..) => return None,
    })
    .filter(|a| a.dtype() == program.dtype())
}

/// The kernel of `typed` for `layout`, compiled on first use.
fn kernel_for(typed: &Typed, layout: &[Access]) -> Result<Arc<Kernel>> {
    {
        let mut kernels = typed.kernels.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, k)) = kernels.iter().find(|(l, _)| l == layout) {
            return Ok(k.clone());
        }
        let k = Arc::new(codegen::compile(&typed.program, layout).map_err(|msg| {
            Error::new(
                ErrorKind::Internal,
                format!("code generation failed: {msg}"),
                None,
            )
        })?);
        if kernels.len() >= MAX_KERNELS {
            kernels.remove(0);
        }
        kernels.push((layout.to_vec(), k.clone()));
        Ok(k)
    }
}

/// Copies `src` into `dst`, converting to `dst`'s dtype (`src` broadcasts to `dst`), with a
/// cached copy kernel per dtype pair.
pub(super) fn copy_into(dst: &mut Out<'_>, src: &Array, sched: &Schedule) -> Result<()> {
    static COPIES: Mutex<Vec<(DType, DType, Arc<Typed>)>> = Mutex::new(Vec::new());
    let (from, to) = (src.dtype(), dst.dtype());
    let typed = {
        let mut copies = COPIES.lock().unwrap_or_else(|e| e.into_inner());
        match copies.iter().find(|(f, t, _)| (*f, *t) == (from, to)) {
            Some((_, _, t)) => t.clone(),
            None => {
                let mut b = crate::ir::Builder::new();
                let x = b.input("x", from, Vec::new(), Span::default());
                let root = b.cast(x, to);
                let t = Arc::new(Typed {
                    dtypes: vec![Some(from)],
                    program: b.finish(root),
                    kernels: Mutex::new(Vec::new()),
                });
                copies.push((from, to, t.clone()));
                t
            }
        }
    };
    let arg = Arg::from(src);
    exec::run(dst, &[&arg], sched, &|layout| kernel_for(&typed, layout))
}

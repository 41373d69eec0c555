//! Owns what users call: evaluate, eval, execute, compile, interpret, the bindings (`Vars`, `vars!`), scripts and the caches from text to kernels.
//! Must not touch Cranelift IR, raw pointers or threads: it drives check, codegen, exec and reduce through their entry points.
//!
//! Provides the public entry points ([`evaluate`], [`evaluate_casting`], [`eval`],
//! [`compile`], [`interpret`], [`execute`], [`compile_script`]), the bindings type [`Vars`],
//! and the caches: text → parsed [`Compiled`] or [`Script`] (bounded LRU) → typed program per
//! input dtypes → kernel per operand layout.
//!
//! **Reductions inside expressions** (`a - sum(a)/n`, `x / max(abs(x))`, `sum(m, axis=1) + b`)
//! are lifted out when an expression is parsed: each outermost `sum`/`prod`/`min`/`max`
//! becomes a [`Compiled`] of its own (over the same source text, so errors in it point into
//! the original expression), and the expression around it reads its result under a hidden
//! name (`sum#0`; `#` cannot occur in a name the user writes, and the hidden bindings shadow
//! any caller binding of that name). Identical reductions (`sum(a)` twice) are computed once.
//! A call evaluates the reductions innermost first, before the expression around them is
//! checked: each argument is evaluated with the call's bindings (the JIT for
//! `evaluate`/`eval`, the interpreter for `interpret`), materialised once into an array,
//! reduced by [`crate::reduce::reduce`], and bound for the rest of the call. All of that
//! happens before the caller's output is touched, so an error anywhere leaves it unchanged;
//! scripts check every statement first with the reductions' result dtypes and shapes alone
//! ([`crate::reduce::result_shape`]), without computing them. An expression without
//! reductions pays nothing for them: whether there are any is decided once, at parse time.
//!
//! **Casting.** Evaluating into an output of another dtype follows NumPy's `casting` rule
//! ([`Casting::SameKind`] by default, as NumPy's `out=`): the result is computed in its own
//! dtype into a temporary and cast-copied into the output (float → int truncates, complex →
//! real keeps the real part, as NumPy's casts); a cast the rule refuses is an
//! [`ErrorKind::Output`] error and the output is left untouched.

use crate::check::{self, broadcast};
use crate::codegen::{self, Access, Kernel};
use crate::exec::{self, Schedule};
use crate::interp;
use crate::ir::{view_text, Program, View};
use crate::reduce;
use crate::types::raw;
use crate::types::shape_str;
use crate::types::Dims;
use crate::types::{Arg, Array, Casting, DType, Out};
use crate::types::{IntoArg, IntoOut};
use numjit_syntax::{ast::Expr, ast::ExprKind, ast::ReduceOp, ast::StmtKind, ast::SubItem};
use numjit_syntax::{Error, ErrorKind, Result, Span};
use smallvec::SmallVec;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// One binding: read-only, or writable (the target of `x[...] = ...`), which is readable
/// too through the `Arg` view of the same memory kept beside it.
#[derive(Debug)]
enum Binding<'a> {
    In(Arg<'a>),
    Mut(Out<'a>, Arg<'a>),
}

/// Named inputs (and, for scripts, writable targets), usually built with [`crate::vars!`].
///
/// Names the expression does not use are ignored; a name bound twice takes the later value.
#[derive(Default, Debug)]
pub struct Vars<'a> {
    items: Vec<(&'a str, Binding<'a>)>,
}

impl<'a> Vars<'a> {
    /// No bindings.
    pub fn new() -> Self {
        Vars {
            items: Vec::with_capacity(4),
        }
    }

    /// Adds the read-only binding `name = value`.
    pub fn bind(mut self, name: &'a str, value: impl IntoArg<'a>) -> Self {
        self.items.push((name, Binding::In(value.into_arg())));
        self
    }

    /// Adds a writable binding: scripts may assign into it with `name[...] = expr`.
    pub fn bind_mut(mut self, name: &'a str, value: impl IntoOut<'a>) -> Self {
        let out: Out<'a> = value.into_out();
        let arg = out.as_arg();
        self.items.push((name, Binding::Mut(out, arg)));
        self
    }

    /// The value bound to `name`, if any (a writable binding read as an input).
    pub fn get(&self, name: &str) -> Option<&Arg<'a>> {
        self.items
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .map(|(_, b)| match b {
                Binding::In(a) | Binding::Mut(_, a) => a,
            })
    }

    /// The bound names.
    pub fn names(&self) -> Vec<&'a str> {
        self.items.iter().map(|(n, _)| *n).collect()
    }

    fn get_mut(&mut self, name: &str) -> Option<&mut Out<'a>> {
        match self.items.iter_mut().rev().find(|(n, _)| *n == name) {
            Some((_, Binding::Mut(o, _))) => Some(o),
            _ => None,
        }
    }
}

/// Binds local variables by their own names: `vars!{a, b}` is
/// `Vars::new().bind("a", &a).bind("b", &b)`; `mut x` binds `&mut x` writably (a script's
/// assignment target); `"name" => value` pairs may be mixed in.
#[macro_export]
macro_rules! vars {
    (@acc $v:expr ;) => { $v };
    (@acc $v:expr ; mut $name:ident $(, $($rest:tt)*)?) => {
        $crate::vars!(@acc $v.bind_mut(stringify!($name), &mut $name) ; $($($rest)*)?)
    };
    (@acc $v:expr ; $name:ident $(, $($rest:tt)*)?) => {
        $crate::vars!(@acc $v.bind(stringify!($name), &$name) ; $($($rest)*)?)
    };
    (@acc $v:expr ; $key:literal => $value:expr $(, $($rest:tt)*)?) => {
        $crate::vars!(@acc $v.bind($key, $value) ; $($($rest)*)?)
    };
    ($($t:tt)*) => { $crate::vars!(@acc $crate::Vars::new() ; $($t)*) };
}

/// Where names are looked up during one statement: the caller's bindings, and arrays the
/// script created so far (which shadow them).
struct Scope<'s, 'a> {
    vars: &'s Vars<'a>,
    env: &'s [(String, Arg<'a>)],
    /// Names the running script writes into (`k[...] = ...`): refused as subscript bounds,
    /// which must not change while the script runs (they were checked before it started).
    written: &'s [String],
}

impl<'s, 'a> Scope<'s, 'a> {
    fn get(&self, name: &str) -> Option<&'s Arg<'a>> {
        match self.env.iter().rev().find(|(n, _)| n == name) {
            Some((_, a)) => Some(a),
            None => self.vars.get(name),
        }
    }

    /// The names a user can refer to (hidden reduction results are not suggested).
    fn names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.vars.names();
        v.extend(self.env.iter().map(|(n, _)| n.as_str()));
        v.retain(|n| !is_hidden(n));
        v
    }

    /// The value of a bound int64 scalar used in a subscript bound.
    fn int(&self, name: &str, span: Span) -> Result<i64> {
        let arg = self.get(name).ok_or_else(|| {
            Error::new(
                ErrorKind::UnknownName,
                format!("unknown name `{name}`"),
                Some(span),
            )
        })?;
        if !arg.shape().is_empty() {
            return Err(Error::new(
                ErrorKind::Shape,
                format!(
                    "subscript bounds must be scalars; `{name}` has shape {}",
                    shape_str(arg.shape())
                ),
                Some(span),
            ));
        }
        if arg.is_placeholder() || self.written.iter().any(|w| w == name) {
            return Err(Error::new(
                ErrorKind::Shape,
                format!("`{name}` is assigned by this script; subscript bounds must be bound by the caller"),
                Some(span),
            ));
        }
        match raw::read(arg, &[]) {
            crate::types::Scalar::Int(v) => Ok(v),
            crate::types::Scalar::Int32(v) => Ok(v as i64),
            _ => Err(Error::new(
                ErrorKind::DType,
                format!(
                    "subscript bounds must be integers; `{name}` is {}",
                    arg.dtype()
                ),
                Some(span),
            )),
        }
    }
}

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
    /// The text the spans refer to (a whole script for a statement's expression).
    source: String,
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
    typed: Mutex<Vec<Arc<Typed>>>,
}

/// A reduction inside an expression, evaluated before the expression around it is checked.
#[derive(Debug)]
struct Reduction {
    op: ReduceOp,
    axis: Option<i64>,
    /// The reduced expression (its own reductions lifted in turn).
    arg: Compiled,
    /// The hidden name the expression around it reads the result under.
    name: String,
    /// The whole reduction's text, which its own errors point at.
    span: Span,
}

/// Whether `name` is a hidden reduction result (no name the user writes contains `#`).
fn is_hidden(name: &str) -> bool {
    name.contains('#')
}

/// Whether `e` contains a reduction.
fn has_reduction(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Reduce { .. } => true,
        ExprKind::Unary { arg, .. } => has_reduction(arg),
        ExprKind::Binary { lhs, rhs, .. } => has_reduction(lhs) || has_reduction(rhs),
        ExprKind::Call { args, .. } => args.iter().any(has_reduction),
        ExprKind::Subscript { base, items } => {
            has_reduction(base)
                || items.iter().any(|it| match it {
                    SubItem::Index(x) => has_reduction(x),
                    SubItem::Slice {
                        start, stop, step, ..
                    } => [start, stop, step].into_iter().flatten().any(has_reduction),
                    SubItem::Ellipsis(_) => false,
                })
        }
        ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Bool(_)
        | ExprKind::Imag(_)
        | ExprKind::Str(_)
        | ExprKind::Name(_) => false,
    }
}

/// `e` with each outermost reduction replaced by a hidden name, the reductions collected in
/// `out` (identical ones once).
fn lift(e: &Expr, source: &str, out: &mut Vec<Reduction>) -> Expr {
    let kind = match &e.kind {
        ExprKind::Reduce { op, arg, axis, .. } => {
            let text = arg.to_string();
            let same = out
                .iter()
                .find(|r| r.op == *op && r.axis == *axis && r.arg.inner.ast.to_string() == text);
            let name = match same {
                Some(r) => r.name.clone(),
                None => {
                    let name = format!("{}#{}", op.name(), out.len());
                    out.push(Reduction {
                        op: *op,
                        axis: *axis,
                        arg: Compiled::from_ast(source, (**arg).clone()),
                        name: name.clone(),
                        span: e.span,
                    });
                    name
                }
            };
            ExprKind::Name(name)
        }
        ExprKind::Unary { op, arg } => ExprKind::Unary {
            op: *op,
            arg: Box::new(lift(arg, source, out)),
        },
        ExprKind::Binary { op, lhs, rhs } => ExprKind::Binary {
            op: *op,
            lhs: Box::new(lift(lhs, source, out)),
            rhs: Box::new(lift(rhs, source, out)),
        },
        ExprKind::Call {
            name,
            name_span,
            args,
        } => ExprKind::Call {
            name: name.clone(),
            name_span: *name_span,
            args: args.iter().map(|a| lift(a, source, out)).collect(),
        },
        ExprKind::Subscript { base, items } => ExprKind::Subscript {
            base: Box::new(lift(base, source, out)),
            items: items
                .iter()
                .map(|it| match it {
                    SubItem::Index(x) => SubItem::Index(lift(x, source, out)),
                    SubItem::Slice {
                        start,
                        stop,
                        step,
                        span,
                    } => SubItem::Slice {
                        start: start.as_ref().map(|x| lift(x, source, out)),
                        stop: stop.as_ref().map(|x| lift(x, source, out)),
                        step: step.as_ref().map(|x| lift(x, source, out)),
                        span: *span,
                    },
                    SubItem::Ellipsis(s) => SubItem::Ellipsis(*s),
                })
                .collect(),
        },
        other => other.clone(),
    };
    Expr {
        kind,
        span: e.span,
        depth: e.depth,
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
enum Mode<'m> {
    /// With the JIT, on this schedule.
    Jit(&'m Schedule),
    /// With the reference interpreter.
    Interp,
    /// Not at all: placeholders of the results' dtypes and shapes stand in (checking).
    Check,
}

/// A program for one combination of input dtypes, with its kernels per layout.
#[derive(Debug)]
struct Typed {
    dtypes: Vec<DType>,
    program: Program,
    kernels: Mutex<Vec<(Vec<Access>, Arc<Kernel>)>>,
}

/// Bound on typed programs kept per expression (distinct input dtype combinations).
const MAX_TYPED: usize = 16;
/// Bound on kernels kept per typed program (distinct layouts).
const MAX_KERNELS: usize = 16;
/// Bound on texts kept in each global cache (numexpr keeps 256).
const CACHE_SIZE: usize = 256;

fn free_names(e: &Expr, out: &mut Vec<(String, Span)>) {
    match &e.kind {
        ExprKind::Name(n) => {
            if !out.iter().any(|(m, _)| m == n) {
                out.push((n.clone(), e.span));
            }
        }
        ExprKind::Unary { arg, .. } => free_names(arg, out),
        ExprKind::Binary { lhs, rhs, .. } => {
            free_names(lhs, out);
            free_names(rhs, out);
        }
        ExprKind::Call { args, .. } => args.iter().for_each(|a| free_names(a, out)),
        ExprKind::Subscript { base, items } => {
            free_names(base, out);
            for it in items {
                match it {
                    SubItem::Index(x) => free_names(x, out),
                    SubItem::Slice {
                        start, stop, step, ..
                    } => {
                        for x in [start, stop, step].into_iter().flatten() {
                            free_names(x, out);
                        }
                    }
                    SubItem::Ellipsis(_) => {}
                }
            }
        }
        // Lifted out before names are collected (see `lift`).
        ExprKind::Reduce { arg, .. } => free_names(arg, out),
        ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Bool(_)
        | ExprKind::Imag(_)
        | ExprKind::Str(_) => {}
    }
}

/// A call's inputs resolved against a typed program (views applied), and the result shape.
struct Prepared<'s, 'a> {
    typed: Arc<Typed>,
    /// Borrowed from the scope, or a view of a bound array (owned).
    args: SmallVec<[Cow<'s, Arg<'a>>; 8]>,
    shape: Dims,
}

impl Compiled {
    /// Parses `source`.
    pub fn new(source: &str) -> Result<Compiled> {
        let ast = numjit_syntax::parse(source).map_err(|e| e.with_source(source))?;
        Ok(Compiled::from_ast(source, ast))
    }

    /// An expression already parsed out of `source` (whose spans it uses).
    fn from_ast(source: &str, ast: Expr) -> Compiled {
        let mut reductions = Vec::new();
        let lifted = has_reduction(&ast).then(|| lift(&ast, source, &mut reductions));
        let mut names = Vec::new();
        free_names(lifted.as_ref().unwrap_or(&ast), &mut names);
        Compiled {
            inner: Arc::new(Inner {
                source: source.to_string(),
                ast,
                lifted,
                reductions,
                names,
                typed: Mutex::new(Vec::new()),
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
            // `out` is a `&mut` borrow the inputs cannot alias in safe Rust; overlap can only
            // come from a script's writable bindings, which `Script` handles.
            if out.dtype() == p.typed.program.dtype() {
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
        self.eval_in(
            &Scope {
                vars: &vars,
                env: &[],
                written: &[],
            },
            sched,
        )
    }

    /// Evaluates in `scope` into a new array (reductions included).
    fn eval_in(&self, scope: &Scope<'_, '_>, sched: &Schedule) -> Result<Array> {
        self.with_reductions(scope, Mode::Jit(sched), |scope| {
            let p = self.prepare(scope)?;
            self.eval_prepared(&p, sched)
        })
    }

    fn eval_prepared(&self, p: &Prepared<'_, '_>, sched: &Schedule) -> Result<Array> {
        self.check_size(p)?;
        let mut result = Array::zeros(p.typed.program.dtype(), &p.shape);
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
            Ok(interp::run(&p.typed.program, &args, &p.shape))
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
            let mut result = Array::zeros(p.typed.program.dtype(), &p.shape);
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
    fn with_reductions<R>(
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
            .any(|(n, _)| !is_hidden(n) && scope.get(n).is_none());
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
            let fail = |msg: String| {
                Error::new(ErrorKind::Shape, msg, Some(r.span)).with_source(self.source())
            };
            values.push(match mode {
                Mode::Jit(sched) => {
                    let a = r.arg.eval_in(scope, sched)?;
                    Hidden::Value(reduce::reduce(&a, r.op, r.axis, sched).map_err(fail)?)
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
                    let shape = reduce::result_shape(&shape, r.op, r.axis).map_err(fail)?;
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

    fn prepare<'s, 'a>(&self, scope: &Scope<'s, 'a>) -> Result<Prepared<'s, 'a>> {
        self.prepare_inner(scope)
            .map_err(|e| e.with_source(self.source()))
    }

    fn prepare_inner<'s, 'a>(&self, scope: &Scope<'s, 'a>) -> Result<Prepared<'s, 'a>> {
        let inner = &*self.inner;
        let mut bound: SmallVec<[&'s Arg<'a>; 8]> = SmallVec::with_capacity(inner.names.len());
        for (name, _) in &inner.names {
            match scope.get(name) {
                Some(a) => bound.push(a),
                None => break,
            }
        }
        let typed = if bound.len() < inner.names.len() {
            None
        } else {
            let typed = inner.typed.lock().unwrap_or_else(|e| e.into_inner());
            typed
                .iter()
                .find(|t| t.dtypes.iter().zip(&bound).all(|(d, a)| *d == a.dtype()))
                .cloned()
        };
        let typed = match typed {
            Some(t) => t,
            None => {
                // Checking reports any unbound name with a suggestion.
                let lookup = |n: &str| scope.get(n).map(|a| a.dtype());
                let known = scope.names();
                let ast = inner.lifted.as_ref().unwrap_or(&inner.ast);
                let program = check::check(ast, &lookup, &known)?;
                let t = Arc::new(Typed {
                    dtypes: bound.iter().map(|a| a.dtype()).collect(),
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
            let base = bound[i];
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
            Error::new(
                ErrorKind::Shape,
                format!(
                    "shapes do not broadcast: `{}` has shape {} but `{}` has shape {}",
                    view_text(&a.name, &a.view),
                    shape_str(shapes[i]),
                    view_text(&b.name, &b.view),
                    shape_str(shapes[j])
                ),
                Some(b.span),
            )
        })?;
        Ok(Prepared { typed, args, shape })
    }

    /// Refuses a result too large to address (inputs that broadcast to a huge shape).
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
    fn check_out_at(
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

    fn execute(&self, p: &Prepared<'_, '_>, out: &mut Out<'_>, sched: &Schedule) -> Result<()> {
        let args: SmallVec<[&Arg<'_>; 8]> = p.args.iter().map(|a| &**a).collect();
        exec::run(out, &args, sched, &|layout| self.kernel(&p.typed, layout))
            .map_err(|e| e.with_source(self.source()))
    }
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

/// What a script produced: the arrays its `name = expr` statements bound (in order of first
/// assignment), and the value of its last bare expression.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Outputs {
    arrays: Vec<(String, Array)>,
    value: Option<Array>,
}

impl Outputs {
    /// The array bound to `name` by the script.
    pub fn get(&self, name: &str) -> Option<&Array> {
        self.arrays.iter().find(|(n, _)| n == name).map(|(_, a)| a)
    }

    /// The value of the script's last bare expression, if it had one.
    pub fn value(&self) -> Option<&Array> {
        self.value.as_ref()
    }

    /// The bound arrays, in order of first assignment.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Array)> {
        self.arrays.iter().map(|(n, a)| (n.as_str(), a))
    }

    /// The bound arrays, by value.
    pub fn into_vec(self) -> Vec<(String, Array)> {
        self.arrays
    }
}

/// A statement of a parsed script.
#[derive(Debug)]
struct Statement {
    target: Target,
    value: Compiled,
}

#[derive(Debug)]
enum Target {
    /// A bare expression.
    None,
    /// `name = ...`: binds a new array.
    Bind(String),
    /// `name[...] = ...`: writes into a view of a writable binding or a script array.
    Write {
        name: String,
        name_span: Span,
        target: Expr,
        span: Span,
    },
}

/// A script parsed once: statements separated by `;` or newlines, run in order.
///
/// `name = expr` binds a new array (visible to later statements, returned in [`Outputs`]);
/// `name[...] = expr` writes into a view of a writable binding ([`Vars::bind_mut`]) with
/// NumPy's semantics: the right side is evaluated as if before any element is written, even
/// when it reads memory the target overlaps. Every statement is checked before any runs, so a
/// script with an error writes nothing.
#[derive(Clone, Debug)]
pub struct Script {
    inner: Arc<ScriptInner>,
}

#[derive(Debug)]
struct ScriptInner {
    source: String,
    stmts: Vec<Statement>,
    /// The names the script writes into (`name[...] = ...`); they cannot be subscript bounds.
    written: Vec<String>,
}

fn base_name(e: &Expr) -> (String, Span) {
    match &e.kind {
        ExprKind::Subscript { base, .. } => base_name(base),
        ExprKind::Name(n) => (n.clone(), e.span),
        _ => (String::new(), e.span),
    }
}

impl Script {
    /// Parses `source`.
    pub fn new(source: &str) -> Result<Script> {
        let stmts = numjit_syntax::parse_script(source).map_err(|e| e.with_source(source))?;
        let stmts: Vec<Statement> = stmts
            .into_iter()
            .map(|s| match s.kind {
                StmtKind::Expr(e) => Statement {
                    target: Target::None,
                    value: Compiled::from_ast(source, e),
                },
                StmtKind::Assign { target, value } => {
                    let t = match &target.kind {
                        ExprKind::Name(n) => Target::Bind(n.clone()),
                        _ => {
                            let (name, name_span) = base_name(&target);
                            Target::Write {
                                name,
                                name_span,
                                span: target.span,
                                target,
                            }
                        }
                    };
                    Statement {
                        target: t,
                        value: Compiled::from_ast(source, value),
                    }
                }
            })
            .collect();
        let written = stmts
            .iter()
            .filter_map(|s| match &s.target {
                Target::Write { name, .. } => Some(name.clone()),
                _ => None,
            })
            .collect();
        Ok(Script {
            inner: Arc::new(ScriptInner {
                source: source.to_string(),
                stmts,
                written,
            }),
        })
    }

    /// The script text.
    pub fn source(&self) -> &str {
        &self.inner.source
    }

    /// Runs the script.
    pub fn execute(&self, vars: Vars<'_>) -> Result<Outputs> {
        self.execute_with(vars, &Schedule::default())
    }

    /// [`Script::execute`] with an explicit schedule.
    pub fn execute_with(&self, mut vars: Vars<'_>, sched: &Schedule) -> Result<Outputs> {
        self.check_all(&vars)?;
        let written = &self.inner.written;
        // Phase 2: run. Script arrays and writable bindings are reached through raw views
        // (`Out::alias`, see there why that is sound) taken from one borrow each; they live in
        // `arrays` and `vars`, which outlive every view made here.
        let mut arrays: Vec<(String, Array)> = Vec::new();
        let mut value = None;
        for stmt in &self.inner.stmts {
            let raw: Vec<(String, Out<'_>)> = arrays
                .iter_mut()
                .map(|(n, a)| (n.clone(), a.view_mut().alias()))
                .collect();
            let target_base: Option<Out<'_>> = match &stmt.target {
                Target::Write { name, .. } => match raw.iter().rev().find(|(n, _)| n == name) {
                    Some((_, o)) => Some(o.alias()),
                    None => vars.get_mut(name).map(|o| o.alias()),
                },
                _ => None,
            };
            let env: Vec<(String, Arg<'_>)> =
                raw.iter().map(|(n, o)| (n.clone(), o.as_arg())).collect();
            let scope = Scope {
                vars: &vars,
                env: &env,
                written,
            };
            // Reductions in the statement are computed first, in the state the statements
            // before it left (and before this one writes anything).
            let made = stmt
                .value
                .with_reductions(&scope, Mode::Jit(sched), |scope| {
                    let p = stmt.value.prepare(scope)?;
                    match &stmt.target {
                        Target::None | Target::Bind(_) => {
                            stmt.value.eval_prepared(&p, sched).map(Some)
                        }
                        Target::Write { target, .. } => {
                            let base = target_base.expect("checked: the target is writable");
                            let layout = self.target_layout(scope, target, &base.layout())?;
                            let mut view = base.with_layout(layout);
                            // NumPy's semantics: the right side is evaluated as if before any
                            // element is written. An input that overlaps the target other than
                            // exactly is read from a buffer (numexpr gets this wrong).
                            let converts = view.dtype() != p.typed.program.dtype();
                            if converts || p.args.iter().any(|a| raw::overlaps(&view, a)) {
                                let tmp = stmt.value.eval_prepared(&p, sched)?;
                                copy_into(&mut view, &tmp, sched)?;
                            } else {
                                stmt.value.execute(&p, &mut view, sched)?;
                            }
                            Ok(None)
                        }
                    }
                })?;
            match (&stmt.target, made) {
                (Target::None, made) => value = made,
                (Target::Bind(name), Some(a)) => match arrays.iter_mut().find(|(n, _)| n == name) {
                    Some(slot) => slot.1 = a,
                    None => arrays.push((name.clone(), a)),
                },
                _ => {}
            }
        }
        Ok(Outputs { arrays, value })
    }

    /// Phase 1: checks every statement (names, dtypes, shapes, views, targets) against
    /// placeholders for the arrays the script will create, so that a script with an error
    /// anywhere writes nothing.
    fn check_all(&self, vars: &Vars<'_>) -> Result<()> {
        let mut env: Vec<(String, Arg<'_>)> = Vec::new();
        let written = &self.inner.written;
        for stmt in &self.inner.stmts {
            let scope = Scope {
                vars,
                env: &env,
                written,
            };
            // Reductions are not computed here: their results' dtypes and shapes stand in.
            let bound = stmt.value.with_reductions(&scope, Mode::Check, |scope| {
                let p = stmt.value.prepare(scope)?;
                match &stmt.target {
                    Target::None => Ok(None),
                    Target::Bind(_) => Ok(Some((p.typed.program.dtype(), p.shape.clone()))),
                    Target::Write {
                        name,
                        name_span,
                        target,
                        span,
                    } => {
                        self.check_write(
                            scope,
                            vars,
                            &stmt.value,
                            &p,
                            name,
                            *name_span,
                            target,
                            *span,
                        )?;
                        Ok(None)
                    }
                }
            })?;
            if let (Target::Bind(name), Some((dtype, shape))) = (&stmt.target, bound) {
                env.push((name.clone(), Arg::placeholder(dtype, shape)));
            }
        }
        Ok(())
    }

    /// Checks `name[...] = value` (the target at `span`): `name` must be writable, the view
    /// valid, and the value's dtype and shape fit it.
    #[allow(clippy::too_many_arguments)]
    fn check_write(
        &self,
        scope: &Scope<'_, '_>,
        vars: &Vars<'_>,
        value: &Compiled,
        p: &Prepared<'_, '_>,
        name: &str,
        name_span: Span,
        target: &Expr,
        span: Span,
    ) -> Result<()> {
        let src = self.source();
        let in_env = scope.env.iter().rev().find(|(n, _)| n == name);
        let (dtype, base) = match in_env {
            Some((_, a)) => (a.dtype(), a.layout()),
            None => match vars.items.iter().rev().find(|(n, _)| *n == name) {
                Some((_, Binding::Mut(o, _))) => (o.dtype(), o.layout()),
                Some((_, Binding::In(_))) => {
                    return Err(Error::new(
                        ErrorKind::Output,
                        format!("`{name}` is bound read-only; bind it with `bind_mut` (or `vars!{{mut {name}}}`) to assign into it"),
                        Some(name_span),
                    )
                    .with_source(src))
                }
                None => {
                    let mut msg = format!("unknown name `{name}`");
                    if let Some(s) = check::suggest(name, &scope.names()) {
                        msg.push_str(&format!("; did you mean `{s}`?"));
                    }
                    return Err(
                        Error::new(ErrorKind::UnknownName, msg, Some(name_span)).with_source(src)
                    );
                }
            },
        };
        let layout = self.target_layout(scope, target, &base)?;
        let what = format!("the target `{}`", &src[span.start..span.end]);
        // Assignment converts the value to the target's dtype where that loses nothing
        // (NumPy's 'safe' casts: bool → int32 → int64 → float64, float32 → float64, ... →
        // complex128); other conversions are refused, but for literals (below).
        // A literal value (`x[0] = 5` into int32, `y[1] = 2.5` into float32) is weak, as in
        // NumPy 2: it takes the target's dtype when its kind is no higher, if it fits.
        let result = p.typed.program.dtype();
        let literal = check::is_weak(value.ast()) && dtype.promote_weak(result) == dtype;
        if literal && dtype == DType::Int32 {
            let program = &p.typed.program;
            if let crate::semantics::Op::Const(crate::types::Scalar::Int(v)) =
                program.nodes[program.root].op
            {
                if i32::try_from(v).is_err() {
                    return Err(Error::new(
                        ErrorKind::Output,
                        format!(
                            "Python integer {v} out of bounds for int32 (NumPy refuses it too)"
                        ),
                        Some(span),
                    )
                    .with_source(src));
                }
            }
        }
        let as_dtype = if literal || result.can_cast(dtype, Casting::Safe) {
            result
        } else {
            dtype
        };
        value.check_out_at(p, as_dtype, &layout.shape, Some(span), &what)
    }

    fn target_layout(
        &self,
        scope: &Scope<'_, '_>,
        target: &Expr,
        base: &crate::types::Strided,
    ) -> Result<crate::types::Strided> {
        let lookup = |n: &str| scope.get(n).map(|a| a.dtype());
        let known = scope.names();
        let (_, view): (String, View) =
            check::view_of(target, &lookup, &known).map_err(|e| e.with_source(self.source()))?;
        check::resolve_view(base, &view, &|n, s| scope.int(n, s))
            .map_err(|e| e.with_source(self.source()))
    }
}

/// Copies `src` into `dst`, converting to `dst`'s dtype (`src` broadcasts to `dst`), with a
/// cached copy kernel per dtype pair.
fn copy_into(dst: &mut Out<'_>, src: &Array, sched: &Schedule) -> Result<()> {
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
                    dtypes: vec![from],
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

struct Cache<T> {
    map: HashMap<String, (T, u64)>,
    clock: u64,
}

impl<T: Clone> Cache<T> {
    /// The cached value for `key`, or the one `make` builds (evicting the least recently used
    /// entry when full).
    fn get_or(
        slot: &Mutex<Option<Cache<T>>>,
        key: &str,
        make: impl FnOnce() -> Result<T>,
    ) -> Result<T> {
        let mut guard = slot.lock().unwrap_or_else(|e| e.into_inner());
        let cache = guard.get_or_insert_with(|| Cache {
            map: HashMap::new(),
            clock: 0,
        });
        cache.clock += 1;
        let now = cache.clock;
        if let Some((v, stamp)) = cache.map.get_mut(key) {
            *stamp = now;
            return Ok(v.clone());
        }
        let v = make()?;
        if cache.map.len() >= CACHE_SIZE {
            let oldest = cache
                .map
                .iter()
                .min_by_key(|(_, (_, s))| *s)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                cache.map.remove(&k);
            }
        }
        cache.map.insert(key.to_string(), (v.clone(), now));
        Ok(v)
    }
}

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

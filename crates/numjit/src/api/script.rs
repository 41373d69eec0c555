//! Owns scripts: `Script` (statements parsed once), checking every statement before any runs,
//! assignment into views of writable bindings with NumPy's overlap semantics, and `Outputs`.
//! Must not touch Cranelift IR or threads: each statement's value is a `Compiled` and runs as
//! one; overlap and aliasing go through the views of `types`.

use super::bindings::{binding_arg, Binding, BindingKey, Scope, Vars};
use super::compiled::{copy_into, Compiled, Mode, Prepared};
use super::lift::base_name;
use crate::check;
use crate::exec::{Planned, Schedule};
use crate::ir::View;
use crate::types::raw;
use crate::types::{Arg, Array, Casting, DType, Out};
use numjit_syntax::{ast::Expr, ast::ExprKind, ast::Stmt, ast::StmtKind};
use numjit_syntax::{Error, ErrorKind, Result, Span};
use smallvec::SmallVec;
use std::sync::{Arc, Mutex};

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

    /// The value of the last statement, if it is an expression (see [`Outputs::value`]),
    /// without a copy.
    pub fn into_value(self) -> Option<Array> {
        self.value
    }
}

/// The names `value` and `target` (with its subscripts) use, each once.
fn uses(value: &Expr, target: Option<&Expr>) -> Vec<String> {
    let mut used = Vec::new();
    super::lift::free_names(value, &mut used);
    if let Some(t) = target {
        super::lift::free_names(t, &mut used);
    }
    used.into_iter().map(|(n, _)| n).collect()
}

/// A statement of a parsed script.
#[derive(Debug)]
struct Statement {
    target: Target,
    value: Compiled,
    /// Every name the statement reads or writes (its value, reductions and target,
    /// subscript bounds included): only these of the script's arrays are put in scope when it
    /// runs, so a statement costs the same in a script of 100,000 statements as in one of 3.
    uses: Vec<String>,
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
    /// The last call's plan, for the next call with bindings of the same layouts.
    fast: Mutex<Option<Arc<FastPlan>>>,
}

/// A script's last run, kept for a next call that binds arrays of the same dtypes and layouts
/// (a time loop's steps): every statement's views resolved and its call planned, so that such
/// a call only checks the bindings against it and runs the kernels. Made only for scripts
/// whose every statement writes into a caller's writable binding without reductions, casts or
/// overlap (the diffusion step); other scripts take the full path at every call.
///
/// Why reuse is sound: everything the full path checked (names, dtypes, shapes, views within
/// their arrays, subscript bounds) depends only on what [`BindingKey`] records, so it holds
/// for a matching call; overlap between a target's array and an input's depends on where
/// the arrays are, so it is tested again; each operand lies at the same distance from its
/// binding's first element as before, and `Planned::run_on` checks every binding's layout
/// against the one the plan was anchored to before it uses the new addresses.
struct FastPlan {
    bindings: Vec<BindingKey>,
    stmts: Vec<FastStmt>,
}

impl std::fmt::Debug for FastPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FastPlan")
            .field("bindings", &self.bindings)
            .finish_non_exhaustive()
    }
}

/// One statement of a [`FastPlan`]: its call, planned and anchored to the bindings its
/// operands are views of (the target's first, then each program input's), by index in the
/// call's bindings.
struct FastStmt {
    planned: Planned,
    target: usize,
    sources: SmallVec<[usize; 8]>,
    /// The source bindings other than the target's, each once: the memory that must not
    /// overlap the target's for the plan to apply.
    others: SmallVec<[usize; 4]>,
}

impl Script {
    /// Parses `source`.
    pub fn new(source: &str) -> Result<Script> {
        let stmts = numjit_syntax::parse_script(source).map_err(|e| e.with_source(source))?;
        Ok(Script::from_stmts(source, stmts))
    }

    /// A script of statements already parsed from `source` (or rewritten from them: their
    /// spans point into `source`, where errors show them). `dist` builds each rank's local
    /// statements this way.
    #[cfg_attr(not(feature = "mpi"), allow(dead_code))]
    pub(crate) fn from_stmts(source: &str, stmts: Vec<Stmt>) -> Script {
        let shared: Arc<str> = Arc::from(source);
        let stmts: Vec<Statement> = stmts
            .into_iter()
            .map(|s| match s.kind {
                StmtKind::Expr(e) => Statement {
                    uses: uses(&e, None),
                    target: Target::None,
                    value: Compiled::from_ast(&shared, e),
                },
                StmtKind::Assign { target, value } => {
                    let used = uses(&value, Some(&target));
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
                        uses: used,
                        target: t,
                        value: Compiled::from_ast(&shared, value),
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
        Script {
            inner: Arc::new(ScriptInner {
                source: source.to_string(),
                stmts,
                written,
                fast: Mutex::new(None),
            }),
        }
    }

    /// The script text.
    pub fn source(&self) -> &str {
        &self.inner.source
    }

    /// The names the caller binds, in order of first appearance: every name a statement reads
    /// or writes into (`name[...] = ...`) before a statement of the script binds it with
    /// `name = ...`.
    pub fn input_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        let mut bound: Vec<&str> = Vec::new();
        for stmt in &self.inner.stmts {
            let mut used = Vec::new();
            super::lift::free_names(stmt.value.ast(), &mut used);
            if let Target::Write { target, .. } = &stmt.target {
                super::lift::free_names(target, &mut used);
            }
            for (n, _) in used {
                if !bound.contains(&n.as_str()) && !names.contains(&n) {
                    names.push(n);
                }
            }
            if let Target::Bind(n) = &stmt.target {
                bound.push(n);
            }
        }
        names
    }

    /// The names the script assigns into (`name[...] = ...`): the writable bindings it needs.
    pub fn written_names(&self) -> &[String] {
        &self.inner.written
    }

    /// Runs the script.
    pub fn execute(&self, vars: Vars<'_>) -> Result<Outputs> {
        self.execute_with(vars, &Schedule::default())
    }

    /// [`Script::execute`] with an explicit schedule.
    pub fn execute_with(&self, mut vars: Vars<'_>, sched: &Schedule) -> Result<Outputs> {
        let fast = self
            .inner
            .fast
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some(fast) = fast {
            if let Some(done) = self.run_fast(&fast, &vars, sched) {
                return done.map(|()| Outputs::default());
            }
        }
        // Statements that qualify for a fast plan (see `FastPlan`), as they run; `None` once
        // one does not.
        let mut planned: Option<Vec<FastStmt>> = Some(Vec::with_capacity(self.inner.stmts.len()));
        // A script of one statement is checked as it runs: whatever is wrong with it is
        // found before it writes anything, so the separate pass (which prepares every
        // statement a second time) is only for longer scripts.
        let single = self.inner.stmts.len() == 1;
        if !single {
            self.check_all(&vars)?;
        }
        let written = &self.inner.written;
        // Phase 2: run. Script arrays and writable bindings are reached through raw views
        // (`Out::alias`, see there why that is sound) taken from one borrow each; they live in
        // `arrays` and `vars`, which outlive every view made here.
        let mut arrays: Vec<(String, Array)> = Vec::new();
        let mut value = None;
        for stmt in &self.inner.stmts {
            // An interrupted script stops between statements too (those before it stay done).
            sched.check_interrupt()?;
            let raw: Vec<(String, Out<'_>)> = arrays
                .iter_mut()
                .filter(|(n, _)| stmt.uses.contains(n))
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
                        Target::Write {
                            name,
                            name_span,
                            target,
                            span,
                        } => {
                            if single {
                                self.check_write(
                                    scope,
                                    &vars,
                                    &stmt.value,
                                    &p,
                                    name,
                                    *name_span,
                                    target,
                                    *span,
                                )?;
                            }
                            let base = target_base.expect("checked: the target is writable");
                            let layout = self.target_layout(scope, target, &base.layout())?;
                            let mut view = base.with_layout(layout);
                            // NumPy's semantics: the right side is evaluated as if before any
                            // element is written. An input that overlaps the target other than
                            // exactly is read from a buffer (numexpr gets this wrong).
                            let converts = view.dtype() != p.typed.program.dtype();
                            if converts || p.args.iter().any(|a| raw::overlaps(&view, a)) {
                                planned = None;
                                let tmp = stmt.value.eval_prepared(&p, sched)?;
                                copy_into(&mut view, &tmp, sched)?;
                            } else {
                                let run = stmt.value.execute_planned(&p, &mut view, sched)?;
                                let fast = match (&mut planned, run) {
                                    (Some(list), Some(run)) if !stmt.value.has_reductions() => {
                                        fast_stmt(&vars, name, (&base, &view), &p, run)
                                            .map(|f| list.push(f))
                                    }
                                    _ => None,
                                };
                                if fast.is_none() {
                                    planned = None;
                                }
                            }
                            Ok(None)
                        }
                    }
                })?;
            if !matches!(stmt.target, Target::Write { .. }) || !arrays.is_empty() {
                planned = None;
            }
            match (&stmt.target, made) {
                (Target::None, made) => value = made,
                (Target::Bind(name), Some(a)) => match arrays.iter_mut().find(|(n, _)| n == name) {
                    Some(slot) => slot.1 = a,
                    None => arrays.push((name.clone(), a)),
                },
                _ => {}
            }
        }
        if let Some(stmts) = planned {
            let bindings = vars.keys();
            *self.inner.fast.lock().unwrap_or_else(|e| e.into_inner()) =
                Some(Arc::new(FastPlan { bindings, stmts }));
        }
        Ok(Outputs { arrays, value })
    }

    /// Runs the script by `fast` if this call's bindings match it: `None` if they do not,
    /// or if a target's array now overlaps an input's (the full path handles both).
    fn run_fast(&self, fast: &FastPlan, vars: &Vars<'_>, sched: &Schedule) -> Option<Result<()>> {
        let items = &vars.items;
        if !vars.match_keys(&fast.bindings) {
            return None;
        }
        // Checked for every statement before any runs.
        for f in &fast.stmts {
            let (target, _) = binding_arg(&items[f.target].1);
            if !f
                .others
                .iter()
                .all(|&i| raw::disjoint(target, binding_arg(&items[i].1).0))
            {
                return None;
            }
        }
        for f in &fast.stmts {
            let Binding::Mut(out, _) = &items[f.target].1 else {
                return None;
            };
            // As on the full path: an interrupted script stops between statements.
            if let Err(e) = sched.check_interrupt() {
                return Some(Err(e));
            }
            let bases = vars.views_at(&f.sources);
            let run = f.planned.run_on(out, &bases, sched).unwrap_or_else(|| {
                Err(Error::new(
                    ErrorKind::Internal,
                    "a script's plan did not fit bindings of the layouts it was made for",
                    None,
                ))
            });
            if let Err(e) = run {
                return Some(Err(e.with_source(self.source())));
            }
        }
        Some(Ok(()))
    }

    /// Checks every statement against `vars` without running any (phase 1 of
    /// [`Script::execute_with`]): `dist` checks each rank's whole local script this way
    /// before any rank writes.
    #[cfg_attr(not(feature = "mpi"), allow(dead_code))]
    pub(crate) fn check(&self, vars: &Vars<'_>) -> Result<()> {
        self.check_all(vars)
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
                // One entry per name (a rebinding replaces it), as when the script runs, so
                // a long script's lookups stay short.
                let placeholder = Arg::placeholder(dtype, shape);
                match env.iter_mut().find(|(n, _)| n == name) {
                    Some(slot) => slot.1 = placeholder,
                    None => env.push((name.clone(), placeholder)),
                }
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

/// The [`FastStmt`] of a statement writing `view` (of `base`, the caller's binding `target`)
/// from `p` by `planned`; `None` if an input is not a caller's binding as it was looked up.
fn fast_stmt(
    vars: &Vars<'_>,
    target: &str,
    (base, view): (&Out<'_>, &Out<'_>),
    p: &Prepared<'_, '_>,
    mut planned: Planned,
) -> Option<FastStmt> {
    let t = vars.index_of(target)?;
    let mut sources: SmallVec<[usize; 8]> = SmallVec::new();
    for input in &p.typed.program.inputs {
        sources.push(vars.index_of(&input.name)?);
    }
    let args: SmallVec<[&Arg<'_>; 8]> = p.args.iter().map(|a| &**a).collect();
    let bases = vars.views_at(&sources);
    if !planned.anchor((view, &args), (base, &bases)) {
        return None;
    }
    let mut others: SmallVec<[usize; 4]> = SmallVec::new();
    for &i in &sources {
        if i != t && !others.contains(&i) {
            others.push(i);
        }
    }
    Some(FastStmt {
        planned,
        target: t,
        sources,
        others,
    })
}

//! Owns running scripts over distributed arrays (`DistScript`, `DistVars`): each rank's
//! plan, the halo exchange with non-blocking messages while the interior computes, the
//! reductions combined across ranks, and the agreement of every rank on each error.
//! Must not touch Cranelift, raw pointers or the thread pool: each rank's local statements run
//! through `api::Script` like any other script.

use super::array::{Block, DistArray, DistElement, Distributed};
use super::grid::ProcessGrid;
use super::{blocks, plan};
use crate::api::{Script, Vars};
use crate::exec::Schedule;
use crate::reduce;
use crate::types::{raw, Arg, Array, Complex64, DType, IntoArg};
use mpi::collective::SystemOperation;
use mpi::point_to_point::{Destination, Source};
use mpi::topology::Communicator;
use mpi::traits::{CommunicatorCollectives, Root};
use numjit_syntax::ast::{Expr, ExprKind, ReduceOp, Stmt, StmtKind};
use numjit_syntax::{Error, ErrorKind, Result, Span};
use plan::{Boxed, Global, Step};
use std::cell::RefCell;
use std::rc::Rc;

/// Named distributed arrays and scalars for a [`DistScript`].
#[derive(Default)]
pub struct DistVars<'a> {
    items: Vec<(&'a str, Binding<'a>)>,
}

enum Binding<'a> {
    Dist(&'a dyn Distributed, bool),
    Local(Arg<'a>),
}

/// What [`DistVars::bind`] accepts: a distributed array, or a scalar (the same value on every
/// rank) or small local array as numjit's [`IntoArg`] takes it.
pub trait IntoDistArg<'a> {
    /// The binding.
    #[doc(hidden)]
    fn into_binding(self) -> DistBinding<'a>;
}

/// A binding being made (see [`IntoDistArg`]).
#[doc(hidden)]
pub struct DistBinding<'a>(Binding<'a>);

impl<'a, T: DistElement> IntoDistArg<'a> for &'a DistArray<T> {
    fn into_binding(self) -> DistBinding<'a> {
        DistBinding(Binding::Dist(self, false))
    }
}

macro_rules! scalar_binding {
    ($($t:ty),*) => {$(
        impl<'a> IntoDistArg<'a> for $t {
            fn into_binding(self) -> DistBinding<'a> {
                DistBinding(Binding::Local(self.into_arg()))
            }
        }
    )*};
}
scalar_binding!(bool, i32, i64, f32, f64, Complex64);

impl<'a> DistVars<'a> {
    /// No bindings.
    pub fn new() -> Self {
        DistVars { items: Vec::new() }
    }

    /// Binds `name` read-only: a distributed array or a scalar.
    pub fn bind(mut self, name: &'a str, value: impl IntoDistArg<'a>) -> Self {
        self.items.push((name, value.into_binding().0));
        self
    }

    /// Binds a distributed array writably: the script may assign into it.
    pub fn bind_mut<T: DistElement>(mut self, name: &'a str, value: &'a mut DistArray<T>) -> Self {
        let value: &'a DistArray<T> = value;
        self.items.push((name, Binding::Dist(value, true)));
        self
    }
}

/// A script over distributed arrays, parsed once (see the module documentation).
///
/// ```no_run
/// use numjit::dist::{mpi, DistArray, DistScript, DistVars, ProcessGrid};
/// let universe = mpi::initialize().unwrap();
/// let world = universe.world();
/// let grid = ProcessGrid::for_shape(&world, &[1000, 1000])?;
/// let dens = DistArray::<f64>::from_fn(&grid, &[1000, 1000], |i| (i[0] + i[1]) as f64)?;
/// let mut next = DistArray::<f64>::zeros(&grid, &[1000, 1000])?;
/// let step = DistScript::new(
///     "next[1:-1, 1:-1] = dens[1:-1, 1:-1] + c*(dens[2:, 1:-1] + dens[:-2, 1:-1] \
///      + dens[1:-1, 2:] + dens[1:-1, :-2] - 4*dens[1:-1, 1:-1])",
/// )?;
/// step.execute(DistVars::new().bind_mut("next", &mut next).bind("dens", &dens).bind("c", 0.1))?;
/// let total = DistScript::new("sum(next)")?.execute(DistVars::new().bind("next", &next))?;
/// let whole = next.gather(); // Some(the global array) on rank 0
/// # Ok::<(), numjit::Error>(())
/// ```
pub struct DistScript {
    source: String,
    stmts: Vec<Stmt>,
    plans: RefCell<Vec<(Key, Rc<Plan>)>>,
}

impl std::fmt::Debug for DistScript {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DistScript")
            .field("source", &self.source)
            .finish()
    }
}

/// What a plan depends on: the distributed bindings (name, dtype, writable, address, halo),
/// the other bindings' names and dtypes, and the integer scalars' values.
#[derive(Clone, Debug, PartialEq)]
struct Key {
    dist: Vec<DistKey>,
    local: Vec<(String, DType, Option<i64>)>,
}

/// A distributed binding in a [`Key`]: name, dtype, writable, address, halo (below, above),
/// global shape, and the grid's dims and this rank's coordinates (an array dropped and
/// another made at its address must not find the old plan).
type DistKey = (
    String,
    DType,
    bool,
    usize,
    (Vec<usize>, Vec<usize>),
    Vec<usize>,
    Vec<usize>,
    Vec<usize>,
);

/// A plan for one rank: the global analysis and, per step, the local scripts.
struct Plan {
    global: Global,
    /// Each array's actual halo below its block, where its owned cells start.
    halo_lo: Vec<Vec<usize>>,
    steps: Vec<LocalStep>,
    /// For a script of several steps, all of them as one local script over one cell of this
    /// rank's block, checked (names, dtypes, casts) before any step runs, so that an error in
    /// a later statement is found before an earlier one writes (on any rank).
    check: Option<Script>,
}

enum LocalStep {
    Reduce {
        name: String,
        op: ReduceOp,
        /// The number of elements reduced, over all ranks (for `mean`).
        count: usize,
        /// The local partial, over this rank's cells of the reduction (none, when `has_cells`
        /// is false: then, for the ops with an identity, it gives the identity's dtype); for
        /// `mean`, the sum.
        script: Script,
        has_cells: bool,
        exchange: Vec<usize>,
        span: Span,
    },
    Assign {
        target: usize,
        interior: Option<Script>,
        rest: Vec<Script>,
        exchange: Vec<usize>,
    },
    Value(Script),
}

/// Plans kept per script (a time loop alternates two or three binding patterns).
const PLANS: usize = 8;

impl DistScript {
    /// Parses `source`.
    pub fn new(source: &str) -> Result<DistScript> {
        let stmts = numjit_syntax::parse_script(source).map_err(|e| e.with_source(source))?;
        Ok(DistScript {
            source: source.to_string(),
            stmts,
            plans: RefCell::new(Vec::new()),
        })
    }

    /// The script text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Runs the script on every rank of the arrays' grid (collective: every rank makes the
    /// call with the same script and bindings of the same shapes). Returns the value of the
    /// last bare expression (a 0-d array, the same on every rank), if the script ends in one.
    pub fn execute(&self, vars: DistVars<'_>) -> Result<Option<Array>> {
        self.execute_with(vars, &Schedule::default())
    }

    /// [`DistScript::execute`] with an explicit schedule for each rank's local work.
    pub fn execute_with(&self, vars: DistVars<'_>, sched: &Schedule) -> Result<Option<Array>> {
        let first = vars.items.iter().find_map(|(_, b)| match b {
            Binding::Dist(d, _) => Some(*d),
            Binding::Local(_) => None,
        });
        let Some(first) = first else {
            return Err(Error::new(
                ErrorKind::UnknownName,
                "a distributed script needs a distributed array among its bindings",
                None,
            )
            .with_source(&self.source));
        };
        let grid = first.grid().clone();
        guard(&grid, || {
            let planned = self.plan(&vars, first);
            let plan = agree(&grid, &self.source, planned)?;
            let dists = dist_bindings(&vars);
            if let Some(check) = &plan.check {
                let checked = self.check(check, &vars, &dists);
                agree(&grid, &self.source, checked)?;
            }
            let outcome = self.run(&plan, &vars, &dists, &grid, sched);
            agree(&grid, &self.source, outcome)
        })
    }

    /// Checks the whole local script `check` against this rank's arrays (the writable ones
    /// bound writably) without running it.
    fn check(
        &self,
        check: &Script,
        vars: &DistVars<'_>,
        dists: &[(&str, &dyn Distributed, bool)],
    ) -> Result<()> {
        let mut blocks: Vec<Box<dyn Block + '_>> = dists.iter().map(|(_, d, _)| d.lock()).collect();
        let mut v = Vars::new();
        for (n, b) in &vars.items {
            if let Binding::Local(a) = b {
                v = v.bind(n, a.clone());
            }
        }
        for (b, (n, _, w)) in blocks.iter_mut().zip(dists) {
            v = if *w {
                v.bind_mut(n, b.out())
            } else {
                v.bind(n, b.arg())
            };
        }
        check.check(&v)
    }

    fn key(&self, vars: &DistVars<'_>) -> Key {
        let mut dist = Vec::new();
        let mut local = Vec::new();
        for (name, b) in &vars.items {
            match b {
                Binding::Dist(d, w) => dist.push((
                    name.to_string(),
                    d.dtype(),
                    *w,
                    d.id(),
                    d.halo(),
                    d.shape().to_vec(),
                    d.grid().dims().to_vec(),
                    d.grid().coords().to_vec(),
                )),
                Binding::Local(a) => {
                    let int = if a.shape().is_empty() && a.dtype().is_int() {
                        Some(raw::read(a, &[]).to_i64())
                    } else {
                        None
                    };
                    local.push((name.to_string(), a.dtype(), int));
                }
            }
        }
        Key { dist, local }
    }

    fn plan(&self, vars: &DistVars<'_>, first: &dyn Distributed) -> Result<Rc<Plan>> {
        let key = self.key(vars);
        if let Some((_, p)) = self.plans.borrow().iter().find(|(k, _)| *k == key) {
            return Ok(p.clone());
        }
        let plan = Rc::new(self.build(vars, first)?);
        // Under the key with the halos the build widened.
        let key = self.key(vars);
        let mut plans = self.plans.borrow_mut();
        if plans.len() == PLANS {
            plans.remove(0);
        }
        plans.push((key, plan.clone()));
        Ok(plan)
    }

    fn build(&self, vars: &DistVars<'_>, first: &dyn Distributed) -> Result<Plan> {
        let src = &self.source;
        let dists = dist_bindings(vars);
        for (i, (name, d, _)) in dists.iter().enumerate() {
            if !d.grid().same(first.grid()) || d.shape() != first.shape() {
                return Err(Error::new(
                    ErrorKind::Shape,
                    format!(
                        "the distributed arrays of a script share one shape and one process \
                         grid; `{name}` has shape {} on a grid {}, `{}` has shape {} on a grid {}",
                        blocks::dims_str(d.shape()),
                        blocks::dims_str(d.grid().dims()),
                        dists[0].0,
                        blocks::dims_str(first.shape()),
                        blocks::dims_str(first.grid().dims()),
                    ),
                    None,
                )
                .with_source(src));
            }
            if let Some((other, _, _)) = dists[..i].iter().find(|(_, o, _)| o.id() == d.id()) {
                return Err(Error::new(
                    ErrorKind::Output,
                    format!("`{other}` and `{name}` are the same distributed array; bind it once"),
                    None,
                )
                .with_source(src));
            }
        }
        let dist: Vec<(String, DType, bool)> = dists
            .iter()
            .map(|(n, d, w)| (n.to_string(), d.dtype(), *w))
            .collect();
        let locals: Vec<(&str, &Arg<'_>)> = vars
            .items
            .iter()
            .filter_map(|(n, b)| match b {
                Binding::Local(a) => Some((*n, a)),
                Binding::Dist(..) => None,
            })
            .collect();
        let find = |n: &str| locals.iter().rev().find(|(m, _)| *m == n).map(|(_, a)| *a);
        let dtype = |n: &str| match dist.iter().find(|(m, _, _)| m == n) {
            Some((_, d, _)) => Some(*d),
            None => find(n).map(|a| a.dtype()),
        };
        let is_array = |n: &str| find(n).is_some_and(|a| !a.shape().is_empty());
        let int = |n: &str, span: Span| -> Result<i64> {
            match find(n) {
                Some(a) if a.shape().is_empty() && a.dtype().is_int() => {
                    Ok(raw::read(a, &[]).to_i64())
                }
                Some(_) => Err(Error::new(
                    ErrorKind::DType,
                    format!("subscript bounds must be integer scalars; `{n}` is not"),
                    Some(span),
                )),
                None => Err(Error::new(
                    ErrorKind::UnknownName,
                    format!("unknown name `{n}`"),
                    Some(span),
                )),
            }
        };
        let names: Vec<&str> = vars.items.iter().map(|(n, _)| *n).collect();
        let env = plan::Env {
            dist: &dist,
            blocks: first.blocks(),
            every_axis_split: false,
            dtype: &dtype,
            is_array: &is_array,
            int: &int,
            names: &names,
        };
        let global = plan::analyse(src, &self.stmts, &env)?;
        // Halos grow to what the plan needs (the same on every rank).
        for (slot, (_, d, _)) in dists.iter().enumerate() {
            d.grow_halo(&global.halo_lo[slot], &global.halo_hi[slot]);
        }
        let halo_lo: Vec<Vec<usize>> = dists.iter().map(|(_, d, _)| d.halo().0).collect();
        let (own_lo, own_hi) = first.owned();
        let local = plan::Local {
            names: dist.iter().map(|(n, _, _)| n.clone()).collect(),
            halo_lo: halo_lo.clone(),
            own_lo: own_lo.to_vec(),
            own_hi: own_hi.to_vec(),
        };
        let grid = first.grid();
        let script =
            |s: StmtKind, span: Span| Script::from_stmts(src, vec![Stmt { kind: s, span }]);
        let mut steps = Vec::new();
        // The check script's statements, over one cell of this rank's block (every rank has
        // one): the analysis checked the shapes globally; what is left (names, dtypes,
        // casts) does not depend on the cells.
        let mut checks = Vec::new();
        let one = plan::Boxed {
            lo: own_lo.to_vec(),
            hi: own_lo.iter().map(|&l| l + 1).collect(),
        };
        for step in &global.steps {
            steps.push(match step {
                Step::Reduce {
                    name,
                    op,
                    arg,
                    region,
                    exchange,
                    span,
                } => {
                    // A rank with no cells of the reduction has no partial. A mean is a sum
                    // (in the mean's dtype: `* 1.0` makes bool and integers float64, as
                    // NumPy sums them for a mean) divided by the global count after the
                    // combination.
                    let mine = local.mine(region);
                    let mut arg_here = local.localize(arg, region, &mine);
                    let op_here = if *op == ReduceOp::Mean {
                        arg_here = times_one(arg_here);
                        ReduceOp::Sum
                    } else {
                        *op
                    };
                    let e = reduction(op_here, arg_here, *span);
                    checks.push(Stmt {
                        kind: StmtKind::Assign {
                            target: hidden_name(name, *span),
                            value: reduction(*op, local.localize(arg, region, &one), *span),
                        },
                        span: *span,
                    });
                    LocalStep::Reduce {
                        name: name.clone(),
                        op: *op,
                        count: region.anchor.len.iter().product(),
                        script: script(StmtKind::Expr(e), *span),
                        has_cells: !mine.is_empty(),
                        exchange: exchange.clone(),
                        span: *span,
                    }
                }
                Step::Assign {
                    target,
                    value,
                    region,
                    exchange,
                    self_shifted,
                    span,
                } => {
                    let pieces =
                        local.pieces(region, exchange, *self_shifted, grid.dims(), grid.coords());
                    let make = |b: &Boxed| {
                        let t = local.localize(target, region, b);
                        let v = local.localize(value, region, b);
                        script(
                            StmtKind::Assign {
                                target: t,
                                value: v,
                            },
                            *span,
                        )
                    };
                    checks.push(Stmt {
                        kind: StmtKind::Assign {
                            target: local.localize(target, region, &one),
                            value: local.localize(value, region, &one),
                        },
                        span: *span,
                    });
                    LocalStep::Assign {
                        target: region.anchor.slot,
                        interior: pieces.interior.as_ref().map(make),
                        rest: pieces.rest.iter().map(make).collect(),
                        exchange: exchange.clone(),
                    }
                }
                Step::Value { value, span } => {
                    checks.push(Stmt {
                        kind: StmtKind::Expr(value.clone()),
                        span: *span,
                    });
                    LocalStep::Value(script(StmtKind::Expr(value.clone()), *span))
                }
            });
        }
        let check = (steps.len() > 1).then(|| Script::from_stmts(src, checks));
        Ok(Plan {
            global,
            halo_lo,
            steps,
            check,
        })
    }

    fn run(
        &self,
        plan: &Plan,
        vars: &DistVars<'_>,
        dists: &[(&str, &dyn Distributed, bool)],
        grid: &ProcessGrid,
        sched: &Schedule,
    ) -> Result<Option<Array>> {
        let mut blocks: Vec<Box<dyn Block + '_>> = dists.iter().map(|(_, d, _)| d.lock()).collect();
        let names: Vec<&str> = dists.iter().map(|(n, _, _)| *n).collect();
        let locals: Vec<(&str, Arg<'_>)> = vars
            .items
            .iter()
            .filter_map(|(n, b)| match b {
                Binding::Local(a) => Some((*n, a.clone())),
                Binding::Dist(..) => None,
            })
            .collect();
        let mut hidden: Vec<(String, Array)> = Vec::new();
        let mut failed: Option<Error> = None;
        let mut value = None;
        let halo = Halo {
            global: &plan.global,
            halo_lo: &plan.halo_lo,
            dists,
            grid,
        };
        // Runs `script` on the local arrays (`target` writable); the first error is kept and
        // later computation skipped, while the messages and collectives still happen.
        let exec = |script: &Script,
                    target: Option<usize>,
                    blocks: &mut [Box<dyn Block + '_>],
                    hidden: &[(String, Array)],
                    failed: &mut Option<Error>|
         -> Option<Array> {
            if failed.is_some() {
                return None;
            }
            let mut v = Vars::new();
            for (n, a) in &locals {
                v = v.bind(n, a.clone());
            }
            for (n, a) in hidden {
                v = v.bind(n, a);
            }
            for (slot, b) in blocks.iter_mut().enumerate() {
                v = if Some(slot) == target {
                    v.bind_mut(names[slot], b.out())
                } else {
                    v.bind(names[slot], b.arg())
                };
            }
            match script.execute_with(v, sched) {
                Ok(out) => out.value().cloned(),
                Err(e) => {
                    *failed = Some(e);
                    None
                }
            }
        };
        for step in &plan.steps {
            match step {
                LocalStep::Reduce {
                    name,
                    op,
                    count,
                    script,
                    has_cells,
                    exchange,
                    span,
                } => {
                    halo.exchange(exchange, &mut blocks, |_| {});
                    // Over no cells, the local reduction is the op's identity (its dtype),
                    // for when no rank has cells; min and max have none (and the analysis
                    // refused them over no cells at all).
                    let (partial, identity) = if *has_cells {
                        (exec(script, None, &mut blocks, &hidden, &mut failed), None)
                    } else if matches!(op, ReduceOp::Min | ReduceOp::Max) {
                        (None, None)
                    } else {
                        (None, exec(script, None, &mut blocks, &hidden, &mut failed))
                    };
                    let combined = if *op == ReduceOp::Mean {
                        combine(grid, ReduceOp::Sum, partial.as_ref(), identity)
                            .map(|total| divide(total, *count))
                    } else {
                        combine(grid, *op, partial.as_ref(), identity)
                    };
                    match combined {
                        Ok(v) => hidden.push((name.clone(), v)),
                        Err(msg) => {
                            if failed.is_none() {
                                failed = Some(
                                    Error::new(ErrorKind::Shape, msg, Some(*span))
                                        .with_source(&self.source),
                                );
                            }
                            hidden.push((name.clone(), Array::zeros(DType::Float64, &[])));
                        }
                    }
                }
                LocalStep::Assign {
                    target,
                    interior,
                    rest,
                    exchange,
                } => {
                    halo.exchange(exchange, &mut blocks, |blocks| {
                        if let Some(s) = interior {
                            exec(s, Some(*target), blocks, &hidden, &mut failed);
                        }
                    });
                    for s in rest {
                        exec(s, Some(*target), &mut blocks, &hidden, &mut failed);
                    }
                }
                LocalStep::Value(s) => value = exec(s, None, &mut blocks, &hidden, &mut failed),
            }
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(value),
        }
    }
}

/// Runs a script over distributed arrays (parsed each call; keep a [`DistScript`] to run one
/// many times).
pub fn execute(source: &str, vars: DistVars<'_>) -> Result<Option<Array>> {
    DistScript::new(source)?.execute(vars)
}

/// The distributed bindings, in binding order (the later of two bindings of one name wins).
fn dist_bindings<'v, 'a>(vars: &'v DistVars<'a>) -> Vec<(&'a str, &'a dyn Distributed, bool)> {
    let mut out: Vec<(&'a str, &'a dyn Distributed, bool)> = Vec::new();
    for (name, b) in &vars.items {
        out.retain(|(n, _, _)| n != name);
        if let Binding::Dist(d, w) = b {
            out.push((name, *d, *w));
        }
    }
    out
}

/// The halo exchange of a run.
struct Halo<'p, 'd> {
    global: &'p Global,
    halo_lo: &'p [Vec<usize>],
    dists: &'d [(&'d str, &'d dyn Distributed, bool)],
    grid: &'p ProcessGrid,
}

/// One message: the peer, the tag, and the local box of cells.
struct Message {
    peer: i32,
    tag: i32,
    lo: Vec<usize>,
    hi: Vec<usize>,
}

impl Halo<'_, '_> {
    /// The receives and sends that fill the halo of array `slot`.
    fn messages(&self, slot: usize) -> (Vec<Message>, Vec<Message>) {
        let g = self.global;
        let (own_lo, own_hi) = self.dists[slot].1.owned();
        let nd = own_lo.len();
        // The plan's widths `hl`/`hh`, placed around the owned cells at `at` (the actual
        // halo, which may be wider).
        let (hl, hh, at) = (&g.halo_lo[slot], &g.halo_hi[slot], &self.halo_lo[slot]);
        let ext: Vec<usize> = (0..nd).map(|k| own_hi[k] - own_lo[k]).collect();
        let (mut recvs, mut sends) = (Vec::new(), Vec::new());
        for d in &g.dirs[slot] {
            let code: usize = d.iter().rev().fold(0, |acc, &x| acc * 3 + (x + 1) as usize);
            let tag = (slot * 3usize.pow(nd as u32) + code) as i32;
            if let Some(peer) = self.grid.neighbour(d) {
                let (lo, hi): (Vec<usize>, Vec<usize>) = (0..nd)
                    .map(|k| match d[k] {
                        -1 => (at[k] - hl[k], at[k]),
                        1 => (at[k] + ext[k], at[k] + ext[k] + hh[k]),
                        _ => (at[k], at[k] + ext[k]),
                    })
                    .unzip();
                recvs.push(Message { peer, tag, lo, hi });
            }
            let back: Vec<i8> = d.iter().map(|x| -x).collect();
            if let Some(peer) = self.grid.neighbour(&back) {
                let (lo, hi): (Vec<usize>, Vec<usize>) = (0..nd)
                    .map(|k| match d[k] {
                        1 => (at[k], at[k] + hh[k]),
                        -1 => (at[k] + ext[k] - hl[k], at[k] + ext[k]),
                        _ => (at[k], at[k] + ext[k]),
                    })
                    .unzip();
                sends.push(Message { peer, tag, lo, hi });
            }
        }
        (recvs, sends)
    }

    /// Fills the halos of the arrays `slots` from the neighbours, running `meanwhile` while
    /// the messages travel.
    fn exchange<'b>(
        &self,
        slots: &[usize],
        blocks: &mut [Box<dyn Block + 'b>],
        meanwhile: impl FnOnce(&mut [Box<dyn Block + 'b>]),
    ) {
        if slots.is_empty() {
            meanwhile(blocks);
            return;
        }
        let mut recvs = Vec::new();
        let mut sends = Vec::new();
        for &s in slots {
            let (r, t) = self.messages(s);
            let size = self.dists[s].1.dtype().size();
            for m in r {
                let n: usize = m.lo.iter().zip(&m.hi).map(|(a, b)| b - a).product();
                recvs.push((s, vec![0u8; n * size], m));
            }
            for m in t {
                let mut buf = Vec::new();
                blocks[s].pack(&m.lo, &m.hi, &mut buf);
                sends.push((buf, m));
            }
        }
        let comm = self.grid.comm();
        mpi::request::scope(|sc| {
            let rq: Vec<_> = recvs
                .iter_mut()
                .map(|(_, buf, m)| {
                    comm.process_at_rank(m.peer)
                        .immediate_receive_into_with_tag(sc, &mut buf[..], m.tag)
                })
                .collect();
            let sq: Vec<_> = sends
                .iter()
                .map(|(buf, m)| {
                    comm.process_at_rank(m.peer)
                        .immediate_send_with_tag(sc, &buf[..], m.tag)
                })
                .collect();
            meanwhile(blocks);
            for r in rq {
                r.wait_without_status();
            }
            for s in sq {
                s.wait_without_status();
            }
        });
        for (s, buf, m) in &recvs {
            blocks[*s].unpack(&m.lo, &m.hi, buf);
        }
    }
}

const DTYPES: [DType; 6] = [
    DType::Bool,
    DType::Int32,
    DType::Int64,
    DType::Float32,
    DType::Float64,
    DType::Complex128,
];

/// Bytes per partial in the all-gather: present, dtype, value.
const RECORD: usize = 18;

/// Combines the ranks' partials of a reduction, on every rank alike (see the module doc).
fn combine(
    grid: &ProcessGrid,
    op: ReduceOp,
    partial: Option<&Array>,
    identity: Option<Array>,
) -> std::result::Result<Array, String> {
    let mut rec = [0u8; RECORD];
    if let Some(p) = partial {
        rec[0] = 1;
        rec[1] = DTYPES.iter().position(|&d| d == p.dtype()).unwrap_or(0) as u8;
        let bytes =
            crate::each_array!(p, a => a.first().map(|x| crate::types::Element::to_bytes(*x)));
        rec[2..].copy_from_slice(&bytes.unwrap_or([0; 16]));
    }
    let mut all = vec![0u8; RECORD * grid.size()];
    grid.comm().all_gather_into(&rec[..], &mut all[..]);
    let recs: Vec<&[u8]> = all.chunks_exact(RECORD).filter(|r| r[0] == 1).collect();
    let Some(first) = recs.first() else {
        // No rank has a cell: every rank has the identity of the op (NumPy's 0 and 1).
        if let Some(identity) = identity {
            return Ok(identity);
        }
        let name = if op == ReduceOp::Min {
            "minimum"
        } else {
            "maximum"
        };
        return Err(format!(
            "zero-size array to reduction operation {name} which has no identity"
        ));
    };
    let dtype = DTYPES[first[1] as usize % DTYPES.len()];
    let n = [recs.len()];
    let values = match dtype {
        DType::Bool => Array::Bool(collect(&recs, &n)),
        DType::Int32 => Array::Int32(collect(&recs, &n)),
        DType::Int64 => Array::Int64(collect(&recs, &n)),
        DType::Float32 => Array::Float32(collect(&recs, &n)),
        DType::Complex128 => Array::Complex128(collect(&recs, &n)),
        _ => Array::Float64(collect(&recs, &n)),
    };
    reduce::reduce(&values, op, None, &Schedule::default()).map_err(|e| e.message().to_string())
}

fn collect<T: DistElement>(recs: &[&[u8]], n: &[usize]) -> ndarray::ArrayD<T> {
    ndarray::ArrayD::from_shape_vec(
        ndarray::IxDyn(n),
        recs.iter().map(|r| T::from_bytes(&r[2..])).collect(),
    )
    .expect("one value per record")
}

/// The exit code with which a rank aborts the grid's communicator when a `dist` entry point
/// panics on it (see the module documentation, "Errors and panics").
pub const PANIC_EXIT_CODE: i32 = 70;

/// Runs `f`, a collective step of `grid`'s ranks; a panic in it (a bug: user errors are
/// `Err`s) aborts every rank of the grid's communicator with [`PANIC_EXIT_CODE`] instead of
/// unwinding on this rank while the others wait for it in a collective forever. The panic's
/// message is on the rank's standard error (Rust's panic hook prints it before the
/// unwinding reaches here), and mpirun reports the abort.
pub(super) fn guard<T>(grid: &ProcessGrid, f: impl FnOnce() -> T) -> T {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(_) => grid.comm().abort(PANIC_EXIT_CODE),
    }
}

/// Every error kind, by its code in the messages of [`agree`] (a kind's position).
const KINDS: [ErrorKind; 10] = [
    ErrorKind::Syntax,
    ErrorKind::UnknownName,
    ErrorKind::UnknownFunction,
    ErrorKind::Arity,
    ErrorKind::DType,
    ErrorKind::Shape,
    ErrorKind::Output,
    ErrorKind::Limit,
    ErrorKind::OutOfMemory,
    ErrorKind::Internal,
];

/// The code of `kind` in [`KINDS`] (its position).
fn kind_code(kind: ErrorKind) -> u64 {
    match kind {
        ErrorKind::Syntax => 0,
        ErrorKind::UnknownName => 1,
        ErrorKind::UnknownFunction => 2,
        ErrorKind::Arity => 3,
        ErrorKind::DType => 4,
        ErrorKind::Shape => 5,
        ErrorKind::Output => 6,
        ErrorKind::Limit => 7,
        ErrorKind::OutOfMemory => 8,
        ErrorKind::Internal => 9,
        // `ErrorKind` is non-exhaustive: a kind added later travels as `Internal` until it
        // gets its code here and in `KINDS` (the test below round-trips every listed kind).
        _ => 9,
    }
}

/// `local` if it is `Ok` on every rank of the grid; else, on every rank, the error of the
/// lowest failing rank (collective).
fn agree<T>(grid: &ProcessGrid, source: &str, local: Result<T>) -> Result<T> {
    let comm = grid.comm();
    let size = grid.size() as i32;
    let mine = if local.is_err() {
        grid.rank() as i32
    } else {
        size
    };
    let mut lowest = size;
    comm.all_reduce_into(&mine, &mut lowest, SystemOperation::min());
    if lowest == size {
        return local;
    }
    // The failing rank sends its error: kind, span, message.
    let root = comm.process_at_rank(lowest);
    let mut head = [0u64; 5];
    let mut msg = Vec::new();
    if let Err(e) = &local {
        if grid.rank() as i32 == lowest {
            msg = e.message().as_bytes().to_vec();
            head[0] = kind_code(e.kind());
            if let Some(s) = e.span() {
                head[1] = 1;
                head[2] = s.start as u64;
                head[3] = s.end as u64;
            }
            head[4] = msg.len() as u64;
        }
    }
    root.broadcast_into(&mut head[..]);
    msg.resize(head[4] as usize, 0);
    root.broadcast_into(&mut msg[..]);
    if local.is_err() && grid.rank() as i32 == lowest {
        return local;
    }
    let span = (head[1] == 1).then(|| Span::new(head[2] as usize, head[3] as usize));
    let text = String::from_utf8_lossy(&msg).into_owned();
    Err(Error::new(KINDS[head[0] as usize % KINDS.len()], text, span).with_source(source))
}

/// `op(arg)` over every element.
fn reduction(op: ReduceOp, arg: Expr, span: Span) -> Expr {
    Expr {
        depth: arg.depth + 1,
        kind: ExprKind::Reduce {
            op,
            name_span: span,
            arg: Box::new(arg),
            axis: None,
        },
        span,
    }
}

/// The name a reduction's result is bound to, as an assignment target.
fn hidden_name(name: &str, span: Span) -> Expr {
    Expr {
        kind: ExprKind::Name(name.to_string()),
        span,
        depth: 1,
    }
}

/// `e * 1.0`: float64 for bool and integers, the dtype of `e` otherwise (a Python float is a
/// weak scalar).
fn times_one(e: Expr) -> Expr {
    let span = e.span;
    Expr {
        depth: e.depth + 1,
        kind: ExprKind::Binary {
            op: numjit_syntax::ast::BinOp::Mul,
            lhs: Box::new(e),
            rhs: Box::new(Expr {
                kind: ExprKind::Float(1.0),
                span,
                depth: 1,
            }),
        },
        span,
    }
}

/// A mean from the combined sum of its elements, as numjit's `mean` divides (the reduce
/// module): by the count in the sum's dtype, complex by `count + 0j`.
fn divide(total: Array, count: usize) -> Array {
    match total {
        Array::Float32(a) => Array::Float32(a.mapv(|v| v / count as f32)),
        Array::Complex128(a) => {
            let n = Complex64::new(count as f64, 0.0);
            Array::Complex128(a.mapv(|v| crate::semantics::cmath::div(v, n)))
        }
        Array::Float64(a) => Array::Float64(a.mapv(|v| v / count as f64)),
        // `* 1.0` made every other dtype float64.
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_kind_travels() {
        for (code, kind) in KINDS.iter().enumerate() {
            assert_eq!(kind_code(*kind), code as u64, "{kind:?}");
        }
        assert!(KINDS.contains(&ErrorKind::OutOfMemory));
    }
}

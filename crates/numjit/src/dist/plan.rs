//! Owns the analysis of a distributed script: which distributed arrays each statement reads
//! at which offsets from the cells it computes, the halo width that gives each array per
//! side, the order of halo exchanges, and each rank's local statements (its pieces of every
//! assignment, with the slice bounds of its own local arrays).
//! Must not touch MPI or run anything: it reads the syntax tree and the arrays' shapes and
//! produces plans that `run` executes.
//!
//! **The model.** All distributed arrays of a script have one global shape and one block
//! decomposition. A statement `x[s] = f(y[s + δ], ...)` is elementwise: the cell `t` of the
//! target region is computed from `y[t + δ]`, by the rank that owns `x[t]`; so the rank needs
//! `y`'s cells up to `δ` past its block: a halo of `max(-δ, 0)` below and `max(δ, 0)` above
//! along each axis that is split. A reduction `sum(f(y[s], z[s + δ]))` is computed the same
//! way, anchored on its first distributed operand (`y[s]`): the rank owning the anchor's cell
//! computes that term.
//!
//! **What is refused** (with the span of the culprit, the same error on every rank): an
//! operand that drops an axis (`x[3, :]`) or steps (`x[::2]`), operands of different shapes
//! (no broadcasting between distributed arrays), non-scalar local arrays, an offset larger
//! than the smallest block along its axis (the data would come from beyond the neighbouring
//! rank), `name = expr` (it would make a local array), reductions with `axis=`, `min`/`max`
//! over no elements (NumPy's error; `sum`/`prod` over none are 0 and 1), distributed
//! operands outside a reduction in a bare expression, and arrays of different shapes or grids.

use super::blocks::{dims_str, Blocks};
use crate::check;
use crate::types::{DType, Steps, Strided};
use numjit_syntax::ast::{Expr, ExprKind, ReduceOp, Stmt, StmtKind, SubItem};
use numjit_syntax::{Error, ErrorKind, Result, Span};

/// What the analysis knows of the bindings.
pub(super) struct Env<'e> {
    /// The distributed arrays: name, dtype, whether writable.
    pub dist: &'e [(String, DType, bool)],
    /// The global shape and decomposition all of them share.
    pub blocks: &'e Blocks,
    /// Count every axis as split over several ranks, whatever `blocks.dims` says, and skip
    /// the check of offsets against the block extents (the halo a script needs on a grid
    /// not yet chosen: `halo::halo_widths` without a grid).
    pub every_axis_split: bool,
    /// The dtype of any bound name (distributed or not).
    pub dtype: &'e dyn Fn(&str) -> Option<DType>,
    /// Whether a non-distributed bound name is an array (not 0-d).
    pub is_array: &'e dyn Fn(&str) -> bool,
    /// The value of a bound integer scalar (subscript bounds).
    pub int: &'e dyn Fn(&str, Span) -> Result<i64>,
    /// Every bound name (for suggestions).
    pub names: &'e [&'e str],
}

/// One read (or the write) of a distributed array: the box `[start, start + len)`.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Ref {
    pub slot: usize,
    pub start: Vec<usize>,
    pub len: Vec<usize>,
    pub span: Span,
}

/// The cells one statement or reduction computes (`anchor`'s box) and what it reads.
#[derive(Clone, Debug)]
pub(super) struct Region {
    pub anchor: Ref,
    /// Every distributed operand (the anchor included for a reduction).
    pub refs: Vec<Ref>,
}

impl Region {
    /// The offset of `r` from the anchor along axis `k`.
    pub fn delta(&self, r: &Ref, k: usize) -> i64 {
        r.start[k] as i64 - self.anchor.start[k] as i64
    }
}

/// One step of a run, in order.
#[derive(Clone, Debug)]
pub(super) enum Step {
    /// A reduction over distributed arrays, bound as the scalar `name` for later steps.
    Reduce {
        name: String,
        op: ReduceOp,
        arg: Expr,
        region: Region,
        /// Arrays whose halo is filled first.
        exchange: Vec<usize>,
        span: Span,
    },
    /// `target = value`: writes the target's cells on each rank.
    Assign {
        target: Expr,
        value: Expr,
        region: Region,
        exchange: Vec<usize>,
        /// The statement reads its own target at an offset: no overlap of communication
        /// with computation (the whole block runs once the halos are in, with NumPy's
        /// overlap semantics).
        self_shifted: bool,
        span: Span,
    },
    /// A bare expression (scalars and reduction results only): the script's value if last.
    Value { value: Expr, span: Span },
}

/// The global plan: the same on every rank.
#[derive(Clone, Debug)]
pub(super) struct Global {
    pub steps: Vec<Step>,
    /// Halo widths per array (below, above) per axis.
    pub halo_lo: Vec<Vec<usize>>,
    pub halo_hi: Vec<Vec<usize>>,
    /// Per array, the neighbour directions its halo is exchanged with.
    pub dirs: Vec<Vec<Vec<i8>>>,
}

fn err(kind: ErrorKind, msg: impl Into<String>, span: Span) -> Error {
    Error::new(kind, msg, Some(span))
}

fn text(source: &str, span: Span) -> &str {
    source.get(span.start..span.end).unwrap_or("")
}

struct Analysis<'a, 'e> {
    source: &'a str,
    env: &'a Env<'e>,
    hidden: usize,
    halo_lo: Vec<Vec<usize>>,
    halo_hi: Vec<Vec<usize>>,
    dirs: Vec<Vec<Vec<i8>>>,
}

/// Analyses a parsed script against its bindings.
pub(super) fn analyse(source: &str, stmts: &[Stmt], env: &Env<'_>) -> Result<Global> {
    let n = env.dist.len();
    let nd = env.blocks.shape.len();
    let mut a = Analysis {
        source,
        env,
        hidden: 0,
        halo_lo: vec![vec![0; nd]; n],
        halo_hi: vec![vec![0; nd]; n],
        dirs: vec![Vec::new(); n],
    };
    let mut steps = Vec::new();
    for s in stmts {
        a.statement(s, &mut steps)
            .map_err(|e| e.with_source(source))?;
    }
    // Which halos are exchanged before which step: all are stale when a run starts, and an
    // array's halo is stale again once a statement writes the array.
    let mut fresh = vec![false; n];
    for step in &mut steps {
        let (region, exchange) = match step {
            Step::Reduce {
                region, exchange, ..
            }
            | Step::Assign {
                region, exchange, ..
            } => (region, exchange),
            Step::Value { .. } => continue,
        };
        let mut need: Vec<usize> = region
            .refs
            .iter()
            .filter(|r| a.shifted(region, r))
            .map(|r| r.slot)
            .filter(|&s| !fresh[s])
            .collect();
        need.sort_unstable();
        need.dedup();
        for &s in &need {
            fresh[s] = true;
        }
        *exchange = need;
        if let Step::Assign { region, .. } = step {
            fresh[region.anchor.slot] = false;
        }
    }
    Ok(Global {
        steps,
        halo_lo: a.halo_lo,
        halo_hi: a.halo_hi,
        dirs: a.dirs,
    })
}

impl Analysis<'_, '_> {
    fn slot(&self, name: &str) -> Option<usize> {
        self.env.dist.iter().position(|(n, _, _)| n == name)
    }

    /// Whether `r` reads past the anchor along a split axis.
    fn shifted(&self, region: &Region, r: &Ref) -> bool {
        (0..r.start.len()).any(|k| self.split(k) && region.delta(r, k) != 0)
    }

    /// Whether axis `k` is split over more than one rank.
    fn split(&self, k: usize) -> bool {
        self.env.every_axis_split || self.env.blocks.dims[k] > 1
    }

    fn statement(&mut self, s: &Stmt, steps: &mut Vec<Step>) -> Result<()> {
        match &s.kind {
            StmtKind::Expr(e) => {
                let value = self.lift(e, steps)?;
                let mut refs = Vec::new();
                self.refs(&value, &mut refs)?;
                if let Some(r) = refs.first() {
                    return Err(err(
                        ErrorKind::Shape,
                        format!(
                            "a bare expression in a distributed script must be a scalar: read \
                             the distributed array `{}` inside a reduction (`sum(...)`)",
                            self.env.dist[r.slot].0
                        ),
                        r.span,
                    ));
                }
                steps.push(Step::Value {
                    value,
                    span: s.span,
                });
            }
            StmtKind::Assign { target, value } => {
                let (name, name_span) = base_name(target);
                if matches!(target.kind, ExprKind::Name(_)) {
                    return Err(err(
                        ErrorKind::Output,
                        format!(
                            "a distributed script assigns into views of distributed arrays \
                             (`{name}[...] = ...`); `{name} = ...` would make a local array"
                        ),
                        target.span,
                    ));
                }
                let Some(slot) = self.slot(&name) else {
                    let msg = if (self.env.dtype)(&name).is_some() {
                        format!("`{name}` is not a distributed array; a distributed script assigns into distributed arrays only")
                    } else {
                        format!("unknown name `{name}`")
                    };
                    return Err(err(ErrorKind::Output, msg, name_span));
                };
                if !self.env.dist[slot].2 {
                    return Err(err(
                        ErrorKind::Output,
                        format!("`{name}` is bound read-only; bind it with `bind_mut` to assign into it"),
                        name_span,
                    ));
                }
                let anchor = self.resolve(target, slot)?;
                let value = self.lift(value, steps)?;
                let mut refs = Vec::new();
                self.refs(&value, &mut refs)?;
                let region = Region { anchor, refs };
                self.check_region(&region, target.span)?;
                let self_shifted = region
                    .refs
                    .iter()
                    .any(|r| r.slot == slot && r.start != region.anchor.start);
                steps.push(Step::Assign {
                    target: target.clone(),
                    value,
                    region,
                    exchange: Vec::new(),
                    self_shifted,
                    span: s.span,
                });
            }
        }
        Ok(())
    }

    /// `e` with every reduction over distributed arrays replaced by a hidden name, the
    /// reductions pushed to `steps` in evaluation order (inner ones first).
    fn lift(&mut self, e: &Expr, steps: &mut Vec<Step>) -> Result<Expr> {
        let kind = match &e.kind {
            ExprKind::Reduce { op, arg, axis, .. } => {
                let inner = self.lift(arg, steps)?;
                let mut refs = Vec::new();
                self.refs(&inner, &mut refs)?;
                if refs.is_empty() {
                    ExprKind::Reduce {
                        op: *op,
                        name_span: match &e.kind {
                            ExprKind::Reduce { name_span, .. } => *name_span,
                            _ => e.span,
                        },
                        arg: Box::new(inner),
                        axis: *axis,
                    }
                } else {
                    if axis.is_some() {
                        return Err(err(
                            ErrorKind::Shape,
                            "reductions over distributed arrays take every element; `axis=` is \
                             not supported",
                            e.span,
                        ));
                    }
                    let anchor = refs[0].clone();
                    let region = Region { anchor, refs };
                    self.check_region(&region, region.anchor.span)?;
                    // NumPy: min and max of no elements have no identity (sum and prod give
                    // 0 and 1, as each rank's empty partial does).
                    if region.anchor.len.contains(&0) {
                        let name = match op {
                            ReduceOp::Min => Some("minimum"),
                            ReduceOp::Max => Some("maximum"),
                            _ => None,
                        };
                        if let Some(name) = name {
                            return Err(err(
                                ErrorKind::Shape,
                                format!(
                                    "zero-size array to reduction operation {name} which has \
                                     no identity"
                                ),
                                e.span,
                            ));
                        }
                    }
                    let name = format!("dist#{}", self.hidden);
                    self.hidden += 1;
                    steps.push(Step::Reduce {
                        name: name.clone(),
                        op: *op,
                        arg: inner,
                        region,
                        exchange: Vec::new(),
                        span: e.span,
                    });
                    ExprKind::Name(name)
                }
            }
            ExprKind::Unary { op, arg } => ExprKind::Unary {
                op: *op,
                arg: Box::new(self.lift(arg, steps)?),
            },
            ExprKind::Binary { op, lhs, rhs } => ExprKind::Binary {
                op: *op,
                lhs: Box::new(self.lift(lhs, steps)?),
                rhs: Box::new(self.lift(rhs, steps)?),
            },
            ExprKind::Call {
                name,
                name_span,
                args,
            } => ExprKind::Call {
                name: name.clone(),
                name_span: *name_span,
                args: args
                    .iter()
                    .map(|a| self.lift(a, steps))
                    .collect::<Result<_>>()?,
            },
            _ => return Ok(e.clone()),
        };
        Ok(Expr {
            kind,
            span: e.span,
            depth: e.depth,
        })
    }

    /// The distributed operands of `e` (outside its reductions), in text order.
    fn refs(&self, e: &Expr, out: &mut Vec<Ref>) -> Result<()> {
        match &e.kind {
            ExprKind::Name(_) | ExprKind::Subscript { .. } if !n_is_empty(e) => {
                let (name, span) = base_name(e);
                if let Some(slot) = self.slot(&name) {
                    out.push(self.resolve(e, slot)?);
                } else if (self.env.is_array)(&name) {
                    return Err(err(
                        ErrorKind::Shape,
                        format!(
                            "`{name}` is a local array; a distributed script reads distributed \
                             arrays and scalars only"
                        ),
                        span,
                    ));
                }
                Ok(())
            }
            ExprKind::Unary { arg, .. } => self.refs(arg, out),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.refs(lhs, out)?;
                self.refs(rhs, out)
            }
            ExprKind::Call { args, .. } => args.iter().try_for_each(|a| self.refs(a, out)),
            ExprKind::Reduce { arg, .. } => self.refs(arg, out),
            _ => Ok(()),
        }
    }

    /// The box a (possibly subscripted) distributed operand covers.
    fn resolve(&self, e: &Expr, slot: usize) -> Result<Ref> {
        let shape = &self.env.blocks.shape;
        let nd = shape.len();
        let name = &self.env.dist[slot].0;
        if let ExprKind::Name(_) = e.kind {
            return Ok(Ref {
                slot,
                start: vec![0; nd],
                len: shape.clone(),
                span: e.span,
            });
        }
        let (_, view) = check::view_of(e, self.env.dtype, self.env.names)?;
        let mut start = vec![0; nd];
        let mut len = vec![0; nd];
        for k in 0..nd {
            // Unit stride along axis k only: the offset is the start along k.
            let base = Strided {
                offset: 0,
                shape: shape.iter().copied().collect(),
                strides: (0..nd).map(|j| isize::from(j == k)).collect::<Steps>(),
            };
            let v = check::resolve_view(&base, &view, self.env.int)?;
            if v.shape.len() != nd {
                return Err(err(
                    ErrorKind::Shape,
                    format!(
                        "distributed arrays are read through slices that keep every axis; \
                         `{}` indexes `{name}` down to {} dimension{}",
                        text(self.source, e.span),
                        v.shape.len(),
                        if v.shape.len() == 1 { "" } else { "s" }
                    ),
                    e.span,
                ));
            }
            if v.shape[k] > 1 && v.strides[k] != 1 {
                return Err(err(
                    ErrorKind::Shape,
                    format!(
                        "distributed arrays are read through slices of step 1; `{}` steps by {} \
                         along axis {k}",
                        text(self.source, e.span),
                        v.strides[k]
                    ),
                    e.span,
                ));
            }
            start[k] = v.offset as usize;
            len[k] = v.shape[k];
        }
        Ok(Ref {
            slot,
            start,
            len,
            span: e.span,
        })
    }

    /// Every operand has the anchor's shape and lies within the halo it can have; records
    /// the halo widths and directions.
    fn check_region(&mut self, region: &Region, anchor_span: Span) -> Result<()> {
        let blocks = self.env.blocks;
        let nd = blocks.shape.len();
        for r in &region.refs {
            if r.len != region.anchor.len {
                return Err(err(
                    ErrorKind::Shape,
                    format!(
                        "`{}` has shape {} but `{}` has shape {}: distributed arrays combine \
                         element by element, without broadcasting",
                        text(self.source, r.span),
                        dims_str(&r.len),
                        text(self.source, anchor_span),
                        dims_str(&region.anchor.len)
                    ),
                    r.span,
                ));
            }
            if region.anchor.len.contains(&0) {
                continue;
            }
            let mut sign = vec![0i8; nd];
            for (k, sign) in sign.iter_mut().enumerate() {
                if !self.split(k) {
                    continue;
                }
                let d = region.delta(r, k);
                let width = d.unsigned_abs() as usize;
                if !self.env.every_axis_split && width > blocks.min_extent(k) {
                    return Err(err(
                        ErrorKind::Shape,
                        format!(
                            "`{}` reads {width} element{} past a rank's block along axis {k}, \
                             but the smallest block along that axis has {}: halos come from the \
                             neighbouring ranks only (use fewer ranks along axis {k})",
                            text(self.source, r.span),
                            if width == 1 { "" } else { "s" },
                            blocks.min_extent(k)
                        ),
                        r.span,
                    ));
                }
                let (lo, hi) = (&mut self.halo_lo[r.slot][k], &mut self.halo_hi[r.slot][k]);
                if d < 0 {
                    *lo = (*lo).max(width);
                    *sign = -1;
                } else if d > 0 {
                    *hi = (*hi).max(width);
                    *sign = 1;
                }
            }
            // Every direction whose components are 0 or the offset's sign (corners too).
            let axes: Vec<usize> = (0..nd).filter(|&k| sign[k] != 0).collect();
            for mask in 1u32..(1 << axes.len()) {
                let mut d = vec![0i8; nd];
                for (b, &k) in axes.iter().enumerate() {
                    if mask & (1 << b) != 0 {
                        d[k] = sign[k];
                    }
                }
                if !self.dirs[r.slot].contains(&d) {
                    self.dirs[r.slot].push(d);
                }
            }
        }
        Ok(())
    }
}

fn n_is_empty(e: &Expr) -> bool {
    base_name(e).0.is_empty()
}

/// The name a (possibly nested) subscript starts from, and its span.
pub(super) fn base_name(e: &Expr) -> (String, Span) {
    match &e.kind {
        ExprKind::Subscript { base, .. } => base_name(base),
        ExprKind::Name(n) => (n.clone(), e.span),
        _ => (String::new(), e.span),
    }
}

/// One rank's view of the decomposition: its block and the arrays' halo widths.
pub(super) struct Local {
    pub names: Vec<String>,
    /// Each array's actual halo below its block (at least the plan's; wider if an earlier
    /// script widened it).
    pub halo_lo: Vec<Vec<usize>>,
    pub own_lo: Vec<usize>,
    pub own_hi: Vec<usize>,
}

/// A box of global indices (of an anchor), `[lo, hi)` per axis.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Boxed {
    pub lo: Vec<usize>,
    pub hi: Vec<usize>,
}

impl Boxed {
    pub fn is_empty(&self) -> bool {
        self.lo.iter().zip(&self.hi).any(|(a, b)| a >= b)
    }
}

/// The pieces of an assignment on one rank: what runs while halos travel, what runs after.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Pieces {
    pub interior: Option<Boxed>,
    pub rest: Vec<Boxed>,
}

impl Local {
    /// The anchor's cells this rank computes.
    pub fn mine(&self, region: &Region) -> Boxed {
        let a = &region.anchor;
        let nd = a.start.len();
        let lo: Vec<usize> = (0..nd).map(|k| a.start[k].max(self.own_lo[k])).collect();
        let hi: Vec<usize> = (0..nd)
            .map(|k| (a.start[k] + a.len[k]).min(self.own_hi[k]).max(lo[k]))
            .collect();
        Boxed { lo, hi }
    }

    /// Splits this rank's cells of an assignment into the interior (computable from owned
    /// cells of the arrays being exchanged) and the slabs around it.
    pub fn pieces(
        &self,
        region: &Region,
        exchange: &[usize],
        self_shifted: bool,
        dims: &[usize],
        coords: &[usize],
    ) -> Pieces {
        let t = self.mine(region);
        if t.is_empty() {
            return Pieces {
                interior: None,
                rest: Vec::new(),
            };
        }
        if exchange.is_empty() {
            return Pieces {
                interior: Some(t),
                rest: Vec::new(),
            };
        }
        if self_shifted {
            return Pieces {
                interior: None,
                rest: vec![t],
            };
        }
        let nd = t.lo.len();
        let (mut ilo, mut ihi) = (t.lo.clone(), t.hi.clone());
        for r in region.refs.iter().filter(|r| exchange.contains(&r.slot)) {
            for k in 0..nd {
                let d = region.delta(r, k);
                if d < 0 && coords[k] > 0 {
                    ilo[k] = ilo[k].max(self.own_lo[k] + d.unsigned_abs() as usize);
                }
                if d > 0 && coords[k] + 1 < dims[k] {
                    ihi[k] = ihi[k].min(self.own_hi[k].saturating_sub(d as usize));
                }
            }
        }
        let interior = Boxed {
            lo: ilo.clone(),
            hi: ihi.clone(),
        };
        if interior.is_empty() {
            return Pieces {
                interior: None,
                rest: vec![t],
            };
        }
        // Slabs: along axis k, below and above the interior, over the interior's range on
        // the axes before k and the whole range on the axes after.
        let mut rest = Vec::new();
        for k in 0..nd {
            let mut below = Boxed {
                lo: t.lo.clone(),
                hi: t.hi.clone(),
            };
            below.lo[..k].copy_from_slice(&ilo[..k]);
            below.hi[..k].copy_from_slice(&ihi[..k]);
            let mut above = below.clone();
            below.hi[k] = ilo[k];
            above.lo[k] = ihi[k];
            for b in [below, above] {
                if !b.is_empty() {
                    rest.push(b);
                }
            }
        }
        Pieces {
            interior: Some(interior),
            rest,
        }
    }

    /// `e` with every distributed operand replaced by the slice of its local array that
    /// lines up with the anchor's cells `b`.
    pub fn localize(&self, e: &Expr, region: &Region, b: &Boxed) -> Expr {
        if let Some(r) = region
            .refs
            .iter()
            .chain(std::iter::once(&region.anchor))
            .find(|r| r.span == e.span && is_operand(e))
        {
            return self.slice(r, region, b);
        }
        let kind = match &e.kind {
            ExprKind::Unary { op, arg } => ExprKind::Unary {
                op: *op,
                arg: Box::new(self.localize(arg, region, b)),
            },
            ExprKind::Binary { op, lhs, rhs } => ExprKind::Binary {
                op: *op,
                lhs: Box::new(self.localize(lhs, region, b)),
                rhs: Box::new(self.localize(rhs, region, b)),
            },
            ExprKind::Call {
                name,
                name_span,
                args,
            } => ExprKind::Call {
                name: name.clone(),
                name_span: *name_span,
                args: args.iter().map(|a| self.localize(a, region, b)).collect(),
            },
            _ => return e.clone(),
        };
        Expr {
            kind,
            span: e.span,
            depth: e.depth,
        }
    }

    /// `name[l0:h0, l1:h1, ...]` in local indices for operand `r` over the anchor's cells `b`.
    fn slice(&self, r: &Ref, region: &Region, b: &Boxed) -> Expr {
        let lit = |v: usize| Expr {
            kind: ExprKind::Int(v as i64),
            span: r.span,
            depth: 1,
        };
        let items = (0..b.lo.len())
            .map(|k| {
                let d = region.delta(r, k);
                let l = (b.lo[k] as i64 + d - self.own_lo[k] as i64
                    + self.halo_lo[r.slot][k] as i64)
                    .max(0) as usize;
                let h = l + b.hi[k].saturating_sub(b.lo[k]);
                SubItem::Slice {
                    start: Some(lit(l)),
                    stop: Some(lit(h)),
                    step: None,
                    span: r.span,
                }
            })
            .collect();
        Expr {
            kind: ExprKind::Subscript {
                base: Box::new(Expr {
                    kind: ExprKind::Name(self.names[r.slot].clone()),
                    span: r.span,
                    depth: 1,
                }),
                items,
            },
            span: r.span,
            depth: 2,
        }
    }
}

fn is_operand(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Name(_) | ExprKind::Subscript { .. })
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEP: &str = "next[1:-1, 1:-1] = dens[1:-1, 1:-1] + c*(dens[2:, 1:-1] + dens[:-2, 1:-1] + dens[1:-1, 2:] + dens[1:-1, :-2] - 4*dens[1:-1, 1:-1])";

    fn plan(src: &str, shape: &[usize], dims: &[usize]) -> Result<Global> {
        let stmts = numjit_syntax::parse_script(src).unwrap();
        let blocks = Blocks::new(shape, dims).unwrap();
        let dist = vec![
            ("next".to_string(), DType::Float64, true),
            ("dens".to_string(), DType::Float64, false),
        ];
        let names = ["next", "dens", "c", "w"];
        let env = Env {
            dist: &dist,
            blocks: &blocks,
            every_axis_split: false,
            dtype: &|n| names.contains(&n).then_some(DType::Float64),
            is_array: &|n| n == "w",
            int: &|_, _| Ok(1),
            names: &names,
        };
        analyse(src, &stmts, &env)
    }

    #[test]
    fn the_five_point_stencil_needs_a_halo_of_one() {
        let g = plan(STEP, &[10, 10], &[2, 2]).unwrap();
        assert_eq!(g.halo_lo, vec![vec![0, 0], vec![1, 1]]);
        assert_eq!(g.halo_hi, vec![vec![0, 0], vec![1, 1]]);
        let mut dirs = g.dirs[1].clone();
        dirs.sort();
        assert_eq!(dirs, vec![vec![-1, 0], vec![0, -1], vec![0, 1], vec![1, 0]]);
        match &g.steps[0] {
            Step::Assign {
                exchange,
                self_shifted,
                ..
            } => {
                assert_eq!(exchange, &vec![1]);
                assert!(!self_shifted);
            }
            s => panic!("{s:?}"),
        }
        // A 1-D grid along axis 0 needs no halo along axis 1.
        let g = plan(STEP, &[10, 10], &[2, 1]).unwrap();
        assert_eq!(g.halo_lo[1], vec![1, 0]);
        assert_eq!(g.dirs[1].len(), 2);
    }

    #[test]
    fn wider_and_diagonal_offsets_give_wider_halos_and_corners() {
        let g = plan("next[2:, :-2] = dens[:-2, 2:] * 2", &[9, 9], &[2, 2]).unwrap();
        assert_eq!(g.halo_lo[1], vec![2, 0]);
        assert_eq!(g.halo_hi[1], vec![0, 2]);
        let mut dirs = g.dirs[1].clone();
        dirs.sort();
        assert_eq!(dirs, vec![vec![-1, 0], vec![-1, 1], vec![0, 1]]);
    }

    #[test]
    fn halos_are_exchanged_again_only_after_a_write() {
        let src = "next[1:-1] = dens[2:] + dens[:-2]; dens[1:-1] = next[1:-1]; next[1:-1] = dens[:-2] + next[2:]";
        let stmts = numjit_syntax::parse_script(src).unwrap();
        let blocks = Blocks::new(&[12], &[3]).unwrap();
        let dist = vec![
            ("next".to_string(), DType::Float64, true),
            ("dens".to_string(), DType::Float64, true),
        ];
        let env = Env {
            dist: &dist,
            blocks: &blocks,
            every_axis_split: false,
            dtype: &|_| Some(DType::Float64),
            is_array: &|_| false,
            int: &|_, _| Ok(0),
            names: &["next", "dens"],
        };
        let g = analyse(src, &stmts, &env).unwrap();
        let ex: Vec<(Vec<usize>, bool)> = g
            .steps
            .iter()
            .map(|s| match s {
                Step::Assign {
                    exchange,
                    self_shifted,
                    ..
                } => (exchange.clone(), *self_shifted),
                _ => panic!(),
            })
            .collect();
        assert_eq!(
            ex,
            vec![(vec![1], false), (vec![], false), (vec![0, 1], true)]
        );
    }

    #[test]
    fn pieces_cover_the_block_once_with_the_interior_first() {
        let g = plan(STEP, &[10, 10], &[2, 2]).unwrap();
        let Step::Assign {
            region, exchange, ..
        } = &g.steps[0]
        else {
            panic!()
        };
        let local = Local {
            names: vec!["next".into(), "dens".into()],
            halo_lo: g.halo_lo.clone(),
            own_lo: vec![5, 0],
            own_hi: vec![10, 5],
        };
        let p = local.pieces(region, exchange, false, &[2, 2], &[1, 0]);
        assert_eq!(
            p.interior,
            Some(Boxed {
                lo: vec![6, 1],
                hi: vec![9, 4]
            })
        );
        // Below along axis 0 (the row next to rank (0, 0)), then right along axis 1.
        assert_eq!(
            p.rest,
            vec![
                Boxed {
                    lo: vec![5, 1],
                    hi: vec![6, 5]
                },
                Boxed {
                    lo: vec![6, 4],
                    hi: vec![9, 5]
                }
            ]
        );
        let mut count = vec![vec![0; 10]; 10];
        for b in p.interior.iter().chain(&p.rest) {
            for row in count.iter_mut().take(b.hi[0]).skip(b.lo[0]) {
                for c in row.iter_mut().take(b.hi[1]).skip(b.lo[1]) {
                    *c += 1;
                }
            }
        }
        for (i, row) in count.iter().enumerate() {
            for (j, &c) in row.iter().enumerate() {
                let inside = (5..9).contains(&i) && (1..5).contains(&j);
                assert_eq!(c, usize::from(inside), "({i}, {j})");
            }
        }
        // Local slices: dens has a halo of 1 on each side, next none.
        let Step::Assign { value, .. } = &g.steps[0] else {
            panic!()
        };
        let v = local.localize(value, region, p.interior.as_ref().unwrap());
        assert_eq!(
            v.to_string(),
            "(dens[2:5, 2:5] + (c * ((((dens[3:6, 2:5] + dens[1:4, 2:5]) + dens[2:5, 3:6]) + dens[2:5, 1:4]) - (4 * dens[2:5, 2:5]))))"
        );
    }

    #[test]
    fn refusals_name_the_culprit() {
        let e = |src: &str, dims: &[usize]| plan(src, &[10, 10], dims).unwrap_err().to_string();
        assert_eq!(
            e("next[:-3, :] = dens[3:, :]", &[4, 1]),
            "error: `dens[3:, :]` reads 3 elements past a rank's block along axis 0, but the \
             smallest block along that axis has 2: halos come from the neighbouring ranks only \
             (use fewer ranks along axis 0)\n  next[:-3, :] = dens[3:, :]\n                 ^^^^^^^^^^^"
        );
        assert!(e("next[1:, :] = dens[:, :]", &[2, 1])
            .contains("has shape (10, 10) but `next[1:, :]` has shape (9, 10)"));
        assert!(e("next[:, :] = dens[::2, :] + 1", &[2, 1]).contains("slices of step 1"));
        assert!(e("next[1, :] = 1.0", &[2, 1]).contains("keep every axis"));
        assert!(e("next = dens * 2", &[2, 1]).contains("would make a local array"));
        assert!(e("dens[:] = 1.0", &[2, 1]).contains("bound read-only"));
        assert!(e("next[:] = dens * w", &[2, 1]).contains("`w` is a local array"));
        assert!(e("sum(dens, axis=0)", &[2, 1]).contains("`axis=` is not supported"));
        assert!(e("dens * 2", &[2, 1]).contains("must be a scalar"));
        // Along an axis with one rank, any offset is fine: it reads owned cells.
        assert!(plan("next[:, :-4] = dens[:, 4:]", &[10, 10], &[2, 1]).is_ok());
    }
}

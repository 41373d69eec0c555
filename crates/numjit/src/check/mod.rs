//! Owns checking: names, dtypes, shapes and views of an AST, giving a typed `ir::Program` or a user error with a caret.
//! Must not touch Cranelift, raw pointers or threads; operation rules come from `semantics`.
//!
//! Provides [`check`]: names, dtypes and operator rules of an AST, producing a typed
//! [`Program`]; and [`broadcast`], NumPy's shape rule. This is the only phase where semantic user
//! errors arise: after it succeeds, lowering and execution cannot fail on user input.
//!
//! Promotion follows NumPy 2 over bool, int32, int64, float32, float64 and complex128, with
//! Python literals weak (see [`DType::promote`] and docs/language.md); byte strings are only
//! compared and searched. [`Literals::Numexpr`] types integer literals as numexpr does instead
//! (the Python package's numexpr-compatible entry points ask for it).

use crate::ir::{Builder, IntExpr, IntOp, NodeId, Program, View, ViewItem};
use crate::semantics::Op;
use crate::semantics::{Func, Sig};
use crate::types::Scalar;
use crate::types::Strided;
use crate::types::{DType, Dims, Steps};
use numjit_syntax::ast::{BinOp, Expr, ExprKind, SubItem, UnaryOp, CONSTANTS};
use numjit_syntax::{Error, ErrorKind, Result, Span};
use smallvec::SmallVec;

/// The largest constant exponent (in magnitude) computed by binary powering ([`Op::PowConst`]):
/// 2·10 double-double steps at most; beyond it, `**` is the general `pow` kernel.
const MAX_POW_CONST: f64 = 1024.0;

/// Checks `expr` against the bound names' dtypes (`lookup`); `known` lists every bound name
/// for "did you mean" suggestions.
pub fn check(
    expr: &Expr,
    lookup: &dyn Fn(&str) -> Option<DType>,
    known: &[&str],
) -> Result<Program> {
    check_with(expr, lookup, known, Literals::NumPy)
}

/// [`check`] with integer literals typed by `literals`.
pub fn check_with(
    expr: &Expr,
    lookup: &dyn Fn(&str) -> Option<DType>,
    known: &[&str],
    literals: Literals,
) -> Result<Program> {
    let mut c = Checker {
        b: Builder::new(),
        lookup,
        known,
        literals,
    };
    let mut root = c.expr(expr)?;
    if let DType::Bytes(_) = c.b.dtype(root) {
        return Err(bytes_err(expr.span));
    }
    // numexpr: an expression of literals only has the dtype of its (exact) value.
    if literals == Literals::Numexpr && is_weak_in(expr, lookup) {
        let t = c.literal_dtype(root);
        root = c.b.cast(root, t);
    }
    let program = c.b.finish(root);
    let inputs = program.inputs.len();
    if inputs > MAX_INPUTS {
        return Err(Error::new(
            ErrorKind::Limit,
            format!("the expression reads {inputs} distinct inputs; numjit compiles at most {MAX_INPUTS}"),
            Some(expr.span),
        ));
    }
    let cost: usize = program.nodes.iter().map(cost).sum();
    if cost > MAX_NODES {
        return Err(Error::new(
            ErrorKind::Limit,
            format!("the expression is too large to compile: {cost} units after simplification (an operation is 1, a float `%` {}, a math function or `**` {KERNEL_COST}); numjit compiles at most {MAX_NODES} (split it into several statements of a script)", KERNEL_COST / 2),
            Some(expr.span),
        ));
    }
    Ok(program)
}

/// What a node weighs against [`MAX_NODES`]: numjit's inline float math kernels (`sin`,
/// `exp`, `arctan2`, general `**`, ...) are dozens of instructions each, so they count
/// [`KERNEL_COST`], a float `%` half that; every other operation counts 1.
fn cost(node: &crate::ir::Node) -> usize {
    let float = matches!(node.dtype, DType::Float64 | DType::Float32);
    match node.op {
        Op::Call(f) if float && crate::semantics::apply::has_own_kernel(f) => KERNEL_COST,
        Op::Pow | Op::PowConst(_) if float => KERNEL_COST,
        // The vectorised float remainder (exact fma path and a cold scalar fallback).
        Op::Mod if float => KERNEL_COST / 2,
        _ => 1,
    }
}

/// The weight of an inline math kernel in [`MAX_NODES`].
const KERNEL_COST: usize = 8;

/// The most work one expression may have: distinct operations (IR nodes after sharing and
/// folding), math kernels counting [`KERNEL_COST`]. Register allocation grows faster than
/// linearly with the values live in a kernel, so past this a compile takes seconds; at it,
/// the worst kernels tried (distinct `sin(a*k)`, `arctan2(a*k, b)` or `a**(b*k)` terms,
/// balanced sums of products) compile in well under a second on the 2-core development
/// machine (`tests/it/hostile.rs`, case `largest-allowed`). Refused up front, as nesting
/// depth is.
pub const MAX_NODES: usize = 1024;

/// The most distinct inputs (arrays and views) one expression may read: each is a pointer
/// and two strides live throughout the kernel's loops (NumPy's iterator takes at most 64
/// operands; 256 compile in about 0.2 s).
pub const MAX_INPUTS: usize = 256;

struct Checker<'a> {
    b: Builder,
    lookup: &'a dyn Fn(&str) -> Option<DType>,
    known: &'a [&'a str],
    literals: Literals,
}

/// How integer literals are typed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Literals {
    /// NumPy 2's rule (numjit's): a literal is weak, it takes the other operand's dtype
    /// within its kind (`int32_array * 2` is int32, `bool_array + 2` int64); an expression of
    /// literals only is int64 (`2` is `np.asarray(2)`).
    #[default]
    NumPy,
    /// numexpr's rule: an integer literal (or an integer expression of literals only, computed
    /// exactly first) is int32 when its value fits and int64 otherwise; it promotes with bool
    /// and integer operands as that dtype (`bool_array + 2` is int32, `int32_array + 2**40`
    /// int64) and stays weak against float and complex ones (`float32_array * 2` is float32).
    /// So `2` and `2 + 3` are int32, `2**40` is int64.
    Numexpr,
}

/// The value of the constant `name` (`pi`, `e`, `inf`, `nan`), a weak float like NumPy's
/// `np.pi` (a Python float), used where no binding of that name shadows it.
pub fn constant(name: &str) -> Option<f64> {
    Some(match name {
        "pi" => std::f64::consts::PI,
        "e" => std::f64::consts::E,
        "inf" => f64::INFINITY,
        "nan" => f64::NAN,
        _ => return None,
    })
}

/// Whether `name` is one of the constants (bound or not).
pub fn is_constant(name: &str) -> bool {
    CONSTANTS.contains(&name)
}

/// Functions that are compositions of other operations (checked into them, so the JIT and the
/// interpreter need nothing of their own), with their arities.
const COMPOSED: [(&str, usize); 4] = [("square", 1), ("deg2rad", 1), ("rad2deg", 1), ("clip", 3)];

/// Whether `e` is a Python literal, or operators on literals only (`2`, `-1.5`, `2*3j`): NumPy
/// 2 treats such values as weak scalars that take the other operand's dtype within its kind.
/// A function of literals (`cos(3)`) is a typed float64, as NumPy's function returns.
pub(crate) fn is_weak(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Imag(_) | ExprKind::Bool(_) => true,
        ExprKind::Unary { arg, .. } => is_weak(arg),
        ExprKind::Binary { lhs, rhs, .. } => is_weak(lhs) && is_weak(rhs),
        _ => false,
    }
}

/// [`is_weak`], where an unbound constant (`pi`, `nan`) is a literal too (NumPy's `np.pi` is a
/// Python float); `lookup` says which names are bound.
pub(crate) fn is_weak_in(e: &Expr, lookup: &dyn Fn(&str) -> Option<DType>) -> bool {
    match &e.kind {
        ExprKind::Name(n) => is_constant(n) && lookup(n).is_none(),
        ExprKind::Unary { arg, .. } => is_weak_in(arg, lookup),
        ExprKind::Binary { lhs, rhs, .. } => is_weak_in(lhs, lookup) && is_weak_in(rhs, lookup),
        _ => is_weak(e),
    }
}

/// The error for a byte string used other than in a comparison or `contains`.
fn bytes_err(span: Span) -> Error {
    dtype_err(
        "byte strings can only be compared (`==`, `!=`, `<`, `<=`, `>`, `>=`) or searched with `contains`".into(),
        span,
    )
}

fn is_bytes(dt: DType) -> bool {
    matches!(dt, DType::Bytes(_))
}

fn dtype_err(msg: String, span: Span) -> Error {
    Error::new(ErrorKind::DType, msg, Some(span))
}

fn arity_err(name: &str, n: usize, got: usize, span: Span) -> Error {
    Error::new(
        ErrorKind::Arity,
        format!(
            "`{name}` takes {n} argument{}, got {got}",
            if n == 1 { "" } else { "s" },
        ),
        Some(span),
    )
}

/// What to write instead of a NumPy or Python name numjit spells differently.
fn numpy_spelling(name: &str) -> Option<&'static str> {
    Some(match name {
        "absolute" | "fabs" => "numjit spells it `abs(x)`",
        "power" | "pow" => "numjit spells it `x ** y`",
        "arcsin2" | "atan2" => "numjit spells it `arctan2(y, x)`",
        "asin" | "acos" | "atan" | "asinh" | "acosh" | "atanh" => {
            "numjit spells the inverse functions `arcsin`, `arccos`, `arctan`, `arcsinh`, `arccosh`, `arctanh`"
        }
        "clamp" | "clip_by_value" => "numjit spells it `clip(x, lo, hi)`",
        "fmax" | "amax" | "nanmax" => "numjit has `maximum(x, y)` (elementwise) and `max(x)` (a reduction)",
        "fmin" | "amin" | "nanmin" => "numjit has `minimum(x, y)` (elementwise) and `min(x)` (a reduction)",
        "average" | "nanmean" => "numjit has `mean(x)` and `mean(x, axis=k)`",
        "sqr" => "numjit spells it `square(x)` or `x**2`",
        "ln" => "numjit spells it `log(x)`",
        "select" | "ifelse" | "if_else" => "numjit spells it `where(condition, x, y)`",
        "isclose" | "allclose" => "write `abs(a - b) <= atol + rtol*abs(b)`",
        "float" | "int" | "bool" | "float64" | "float32" | "int32" | "int64" | "astype" => {
            "numjit has no casts inside expressions; arithmetic promotes as NumPy's does"
        }
        _ => return None,
    })
}

impl Checker<'_> {
    fn expr(&mut self, e: &Expr) -> Result<NodeId> {
        match &e.kind {
            ExprKind::Int(v) => Ok(self.b.constant_node(Scalar::Int(*v))),
            ExprKind::Float(v) => Ok(self.b.constant_node(Scalar::Float(*v))),
            ExprKind::Bool(v) => Ok(self.b.constant_node(Scalar::Bool(*v))),
            ExprKind::Imag(v) => Ok(self
                .b
                .constant_node(Scalar::Complex(crate::types::Complex64::new(0.0, *v)))),
            ExprKind::Str(bytes) => {
                if bytes.is_empty() {
                    // NumPy's `S0` does not exist: b'' is `S1` holding a NUL.
                    Ok(self.b.string(&[0]))
                } else {
                    Ok(self.b.string(bytes))
                }
            }
            ExprKind::Reduce { .. } => Err(Error::new(
                ErrorKind::Internal,
                "a reduction reached checking unevaluated",
                Some(e.span),
            )),
            ExprKind::Name(n) => match (self.lookup)(n) {
                Some(dt) => Ok(self.b.input(n, dt, Vec::new(), e.span)),
                None => match constant(n) {
                    Some(v) => Ok(self.b.constant_node(Scalar::Float(v))),
                    None => Err(self.unknown_name(n, e.span)),
                },
            },
            ExprKind::Subscript { .. } => {
                let (name, view) = self.view(e)?;
                let dt = (self.lookup)(&name).expect("view() checked the name");
                Ok(self.b.input(&name, dt, view, e.span))
            }
            ExprKind::Unary { op, arg } => {
                let a = self.expr(arg)?;
                let dt = self.b.dtype(a);
                // `-x` and `~x` are operators of the table, `+x` is `x` itself.
                match (op, Op::from_symbol(op.symbol(), 1)) {
                    _ if is_bytes(dt) => Err(bytes_err(e.span)),
                    (UnaryOp::Pos, _) if dt != DType::Bool => Ok(a),
                    (_, Some(o)) if o.accepts(dt) => Ok(self.b.add(o, dt, vec![a])),
                    (UnaryOp::Neg, _) if dt == DType::Bool => Err(dtype_err(
                        "unary `-` is not defined for bool (NumPy refuses it); use `~` for logical not".into(),
                        e.span,
                    )),
                    (op, _) => Err(dtype_err(
                        format!("unary `{}` is not defined for {dt}", op.symbol()),
                        e.span,
                    )),
                }
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let l = self.expr(lhs)?;
                let r = self.expr(rhs)?;
                let weak = [self.weak(lhs), self.weak(rhs)];
                self.binary(*op, l, r, weak, e.span, rhs.span)
            }
            ExprKind::Call {
                name,
                name_span,
                args,
            } => {
                if let Some(&(_, n)) = COMPOSED.iter().find(|(c, _)| c == name) {
                    if args.len() != n {
                        return Err(arity_err(name, n, args.len(), e.span));
                    }
                    let mut ids = Vec::with_capacity(args.len());
                    for a in args {
                        ids.push(self.expr(a)?);
                    }
                    let weak: Vec<bool> = args.iter().map(|a| self.weak(a)).collect();
                    return self.composed(name, ids, &weak, e.span);
                }
                let Some(f) = Func::from_name(name) else {
                    let mut msg = format!("unknown function `{name}`");
                    let mut names: Vec<&str> = Func::ALL.iter().map(|f| f.name()).collect();
                    names.extend(COMPOSED.iter().map(|(c, _)| *c));
                    names.extend(["sum", "prod", "min", "max", "mean", "any", "all"]);
                    if let Some(hint) = numpy_spelling(name) {
                        msg.push_str(&format!("; {hint}"));
                        return Err(Error::new(
                            ErrorKind::UnknownFunction,
                            msg,
                            Some(*name_span),
                        ));
                    }
                    if let Some(s) = suggest(name, &names) {
                        msg.push_str(&format!("; did you mean `{s}`?"));
                    }
                    return Err(Error::new(
                        ErrorKind::UnknownFunction,
                        msg,
                        Some(*name_span),
                    ));
                };
                if args.len() != f.arity() {
                    return Err(arity_err(name, f.arity(), args.len(), e.span));
                }
                let mut ids = Vec::with_capacity(args.len());
                for a in args {
                    ids.push(self.expr(a)?);
                }
                let weak: Vec<bool> = args.iter().map(|a| self.weak(a)).collect();
                if f == Func::Exp2 && self.result_type(&ids, &weak) == DType::Complex128 {
                    return self.complex_exp2(ids[0], e.span);
                }
                self.call(f, ids, &weak, e.span)
            }
        }
    }

    /// [`is_weak_in`] with this checker's bindings.
    fn weak(&self, e: &Expr) -> bool {
        is_weak_in(e, self.lookup)
    }

    /// A function that is a composition of other operations (see [`COMPOSED`]), each with
    /// NumPy's answers bit for bit.
    fn composed(
        &mut self,
        name: &str,
        args: Vec<NodeId>,
        weak: &[bool],
        span: Span,
    ) -> Result<NodeId> {
        let dts: Vec<DType> = args.iter().map(|&a| self.b.dtype(a)).collect();
        if dts.iter().any(|&d| is_bytes(d)) {
            return Err(bytes_err(span));
        }
        match name {
            // NumPy's `square` is `x*x` (complex: the same product as `*`); bool gives int64
            // (NumPy: int8), as `x**2` does.
            "square" => {
                let two = self.b.constant_node(Scalar::Int(2));
                self.binary(BinOp::Pow, args[0], two, [weak[0], true], span, span)
            }
            // NumPy computes `x * (pi/180)` and `x * (180/pi)` with the constant in the
            // argument's float type (float32: `NPY_PIf/180.0f`, `180.0f/NPY_PIf`).
            "deg2rad" | "rad2deg" => {
                let t = self.result_type(&args, weak).float_of();
                let f32 = t == DType::Float32;
                let c = match (name, f32) {
                    ("deg2rad", false) => std::f64::consts::PI / 180.0,
                    ("deg2rad", true) => (std::f64::consts::PI as f32 / 180.0f32) as f64,
                    (_, false) => 180.0 / std::f64::consts::PI,
                    (_, true) => (180.0f32 / std::f64::consts::PI as f32) as f64,
                };
                if t == DType::Complex128 {
                    return Err(dtype_err(
                        format!("`{name}` is not defined for complex128 (NumPy refuses it too)"),
                        span,
                    ));
                }
                let x = self.cast_to(args[0], t, span)?;
                let c = self.b.constant_node(Scalar::Float(c));
                let c = self.b.cast(c, t);
                Ok(self.b.add(Op::Mul, t, vec![x, c]))
            }
            // NumPy's clip: `min(max(x, lo), hi)` where a tie keeps the first operand and a NaN
            // anywhere propagates (x's first); in the dtype all three promote to.
            "clip" => {
                let t = self.result_type(&args, weak);
                let mut a = Vec::with_capacity(3);
                for &x in &args {
                    a.push(self.cast_to(x, t, span)?);
                }
                let lower = self.clip_step(BinOp::Lt, a[0], a[1], t, span)?;
                self.clip_step(BinOp::Gt, lower, a[2], t, span)
            }
            _ => unreachable!("every composed function has an arm"),
        }
    }

    /// `where(x OP bound | (isnan(bound) & ~isnan(x)), bound, x)` (the comparison alone for
    /// dtypes without NaN): one side of `clip`.
    fn clip_step(
        &mut self,
        op: BinOp,
        x: NodeId,
        bound: NodeId,
        t: DType,
        span: Span,
    ) -> Result<NodeId> {
        let mut take = self.binary(op, x, bound, [false, false], span, span)?;
        if t.is_float() || t == DType::Complex128 {
            let nan_b = self.call(Func::Isnan, vec![bound], &[false], span)?;
            let nan_x = self.call(Func::Isnan, vec![x], &[false], span)?;
            let not = Op::from_symbol("~", 1).expect("`~` has a row");
            let num_x = self.b.add(not, DType::Bool, vec![nan_x]);
            let both = self.binary(BinOp::BitAnd, nan_b, num_x, [false, false], span, span)?;
            take = self.binary(BinOp::BitOr, take, both, [false, false], span, span)?;
        }
        self.call(Func::Where, vec![take, bound, x], &[false; 3], span)
    }

    /// NumPy's complex `exp2(z)`: `exp(complex(real(z)*ln 2, imag(z)*ln 2))`.
    fn complex_exp2(&mut self, z: NodeId, span: Span) -> Result<NodeId> {
        let z = self.cast_to(z, DType::Complex128, span)?;
        let re = self.b.add(Op::Call(Func::Real), DType::Float64, vec![z]);
        let im = self.b.add(Op::Call(Func::Imag), DType::Float64, vec![z]);
        let ln2 = self.b.constant_node(Scalar::Float(std::f64::consts::LN_2));
        let re = self.b.add(Op::Mul, DType::Float64, vec![re, ln2]);
        let im = self.b.add(Op::Mul, DType::Float64, vec![im, ln2]);
        let w = self
            .b
            .add(Op::Call(Func::Complex), DType::Complex128, vec![re, im]);
        Ok(self.b.add(Op::Call(Func::Exp), DType::Complex128, vec![w]))
    }

    /// The name and subscripts of `x[...]...[...]`.
    pub(crate) fn view(&self, e: &Expr) -> Result<(String, View)> {
        match &e.kind {
            ExprKind::Name(n) => match (self.lookup)(n) {
                Some(_) => Ok((n.clone(), Vec::new())),
                None => Err(self.unknown_name(n, e.span)),
            },
            ExprKind::Subscript { base, items } => {
                let (name, mut view) = self.view(base)?;
                let mut out = Vec::with_capacity(items.len());
                for it in items {
                    out.push(match it {
                        SubItem::Index(x) => ViewItem::Index(self.int_expr(x)?, x.span),
                        SubItem::Ellipsis(span) => ViewItem::Ellipsis(*span),
                        SubItem::Slice {
                            start,
                            stop,
                            step,
                            span,
                        } => ViewItem::Slice {
                            start: start.as_ref().map(|x| self.int_expr(x)).transpose()?,
                            stop: stop.as_ref().map(|x| self.int_expr(x)).transpose()?,
                            step: step.as_ref().map(|x| self.int_expr(x)).transpose()?,
                            span: *span,
                        },
                    });
                }
                if out
                    .iter()
                    .filter(|i| matches!(i, ViewItem::Ellipsis(_)))
                    .count()
                    > 1
                {
                    return Err(Error::new(
                        ErrorKind::Syntax,
                        "a subscript can have only one `...`",
                        Some(e.span),
                    ));
                }
                view.push(out);
                Ok((name, view))
            }
            _ => Err(Error::new(
                ErrorKind::Syntax,
                "only arrays bound by name (or views of them) can be subscripted",
                Some(e.span),
            )),
        }
    }

    /// A subscript bound: integer arithmetic on literals and bound int64 scalars.
    fn int_expr(&self, e: &Expr) -> Result<IntExpr> {
        let bad = |msg: &str| Err(Error::new(ErrorKind::DType, msg.to_string(), Some(e.span)));
        match &e.kind {
            ExprKind::Int(v) => Ok(IntExpr::Lit(*v)),
            ExprKind::Float(_) => bad("subscript bounds must be integers, not floats"),
            ExprKind::Bool(_) => bad("subscript bounds must be integers, not bools"),
            ExprKind::Name(n) => match (self.lookup)(n) {
                Some(DType::Int64 | DType::Int32) => Ok(IntExpr::Name(n.clone(), e.span)),
                Some(dt) => Err(Error::new(
                    ErrorKind::DType,
                    format!("subscript bounds must be integers; `{n}` is {dt}"),
                    Some(e.span),
                )),
                None => Err(self.unknown_name(n, e.span)),
            },
            ExprKind::Unary {
                op: UnaryOp::Neg,
                arg,
            } => Ok(IntExpr::Neg(Box::new(self.int_expr(arg)?))),
            ExprKind::Unary {
                op: UnaryOp::Pos,
                arg,
            } => self.int_expr(arg),
            ExprKind::Binary { op, lhs, rhs } => {
                let op = match op {
                    BinOp::Add => IntOp::Add,
                    BinOp::Sub => IntOp::Sub,
                    BinOp::Mul => IntOp::Mul,
                    BinOp::FloorDiv => IntOp::FloorDiv,
                    BinOp::Mod => IntOp::Mod,
                    _ => return bad("subscript bounds allow only + - * // % on integers"),
                };
                Ok(IntExpr::Bin(
                    op,
                    Box::new(self.int_expr(lhs)?),
                    Box::new(self.int_expr(rhs)?),
                    e.span,
                ))
            }
            _ => bad("subscript bounds must be integer literals, bound int64 scalars, or + - * // % of them"),
        }
    }

    fn unknown_name(&self, name: &str, span: Span) -> Error {
        let mut msg = format!("unknown name `{name}`");
        if name == "None" {
            msg.push_str("; `None` is accepted only as `axis=None` of a reduction");
        } else if Func::from_name(name).is_some() || COMPOSED.iter().any(|(c, _)| *c == name) {
            msg.push_str(&format!(
                "; `{name}` is a function, call it as `{name}(...)`"
            ));
        } else if let Some(s) = suggest(name, self.known) {
            msg.push_str(&format!("; did you mean `{s}`?"));
        }
        Error::new(ErrorKind::UnknownName, msg, Some(span))
    }

    /// The dtype `args` compute in: NumPy's promotion of the strong operands, then each weak
    /// literal's kind (see [`DType::promote_weak`]); `weak[k]` says whether `args[k]` is a
    /// literal (see [`is_weak`]). All literals: plain promotion (the constant folds anyway).
    fn result_type(&self, args: &[NodeId], weak: &[bool]) -> DType {
        let dts = |w: bool| {
            args.iter()
                .zip(weak)
                .filter(move |(_, &k)| k == w)
                .map(|(&a, _)| self.b.dtype(a))
        };
        let literals = || {
            args.iter()
                .zip(weak)
                .filter(|(_, &k)| k)
                .map(|(&a, _)| (a, self.literal_dtype(a)))
        };
        match (dts(false).reduce(DType::promote), self.literals) {
            (None, Literals::NumPy) => dts(true).reduce(DType::promote).unwrap_or(DType::Bool),
            (Some(t), Literals::NumPy) => dts(true).fold(t, DType::promote_weak),
            (None, Literals::Numexpr) => literals()
                .map(|(_, l)| l)
                .reduce(DType::promote)
                .unwrap_or(DType::Bool),
            (Some(t), Literals::Numexpr) => literals().fold(t, |t, (a, l)| {
                if l.is_int() && (t.is_int() || t == DType::Bool) {
                    t.promote(l)
                } else {
                    t.promote_weak(self.b.dtype(a))
                }
            }),
        }
    }

    /// The dtype numexpr gives the literal (or expression of literals) `a`: an integer is
    /// int32 when its value fits, int64 otherwise; anything else keeps its dtype. Under
    /// [`Literals::NumPy`], `a`'s dtype.
    fn literal_dtype(&self, a: NodeId) -> DType {
        let t = self.b.dtype(a);
        match self.b.constant(a) {
            Some(Scalar::Int(v)) if self.literals == Literals::Numexpr && t.is_int() => {
                if i32::try_from(v).is_ok() {
                    DType::Int32
                } else {
                    DType::Int64
                }
            }
            _ => t,
        }
    }

    /// `arg` converted to `dtype`; a weak integer literal that does not fit an int32 operand
    /// is refused as NumPy 2 refuses it.
    fn cast_to(&mut self, arg: NodeId, dtype: DType, span: Span) -> Result<NodeId> {
        if dtype == DType::Int32 {
            if let Some(Scalar::Int(v)) = self.b.constant(arg) {
                if i32::try_from(v).is_err() {
                    return Err(dtype_err(
                        format!("Python integer {v} out of bounds for int32 (NumPy refuses it too); make the array int64 or write a float"),
                        span,
                    ));
                }
            }
        }
        Ok(self.b.cast(arg, dtype))
    }

    fn binary(
        &mut self,
        op: BinOp,
        l: NodeId,
        r: NodeId,
        weak: [bool; 2],
        span: Span,
        rspan: Span,
    ) -> Result<NodeId> {
        let (lt, rt) = (self.b.dtype(l), self.b.dtype(r));
        // The operation is the operator table's row with this symbol.
        let operation = Op::from_symbol(op.symbol(), 2)
            .expect("every binary operator has a row in the operator table");
        if is_bytes(lt) || is_bytes(rt) {
            if !op.is_comparison() {
                return Err(bytes_err(span));
            }
            if !(is_bytes(lt) && is_bytes(rt)) {
                return Err(dtype_err(
                    format!("cannot compare byte strings with numbers ({lt} and {rt})"),
                    span,
                ));
            }
            return Ok(self.b.add(operation, DType::Bool, vec![l, r]));
        }
        // Two literals compute exactly, in int64 for integers (and under numexpr's rule too:
        // `2147483647 + 1` is the int64 2147483648, as Python computes it for numexpr); the
        // value is typed where it meets an operand or ends the expression.
        let mut dt = if weak == [true, true] {
            self.literal_overflow(op, l, r, span)?;
            lt.promote(rt)
        } else {
            self.result_type(&[l, r], &weak)
        };
        // NumPy 2 compares an int32 array with any Python integer correctly, even one int32
        // cannot hold: compare in int64 then.
        if op.is_comparison() && dt == DType::Int32 {
            let big =
                |c: Option<Scalar>| matches!(c, Some(Scalar::Int(v)) if i32::try_from(v).is_err());
            if big(self.b.constant(l)) || big(self.b.constant(r)) {
                dt = DType::Int64;
            }
        }
        // Operands converted to `t`.
        let both = |c: &mut Self, t: DType| -> Result<(NodeId, NodeId)> {
            Ok((c.cast_to(l, t, span)?, c.cast_to(r, t, span)?))
        };
        match op {
            _ if op.is_comparison() => {
                let (a, b) = both(self, dt)?;
                Ok(self.b.add(operation, DType::Bool, vec![a, b]))
            }
            BinOp::Div => {
                // True division: operands it has no loop for (integers and bools) give float64.
                let t = if operation.accepts(dt) {
                    dt
                } else {
                    DType::Float64
                };
                let (a, b) = both(self, t)?;
                Ok(self.b.add(operation, t, vec![a, b]))
            }
            // `-` has no bool loop.
            BinOp::Sub if !operation.accepts(dt) => Err(dtype_err(
                "`-` is not defined for bool operands (NumPy refuses it); use `^` for logical xor"
                    .into(),
                span,
            )),
            _ => {
                // Bool operands of an operator with no bool loop (`//`, `%`, `**`, `<<`, `>>`):
                // NumPy gives int8; numjit's nearest integer is int64.
                let t = if dt == DType::Bool && !operation.accepts(dt) {
                    DType::Int64
                } else {
                    dt
                };
                // Only float and complex operands can lack a loop now.
                if !operation.accepts(t) {
                    let kind = if t == DType::Complex128 {
                        "complex"
                    } else {
                        "float"
                    };
                    return Err(dtype_err(
                        format!(
                            "`{}` is not defined for {kind} operands ({lt} and {rt})",
                            op.symbol()
                        ),
                        span,
                    ));
                }
                if op == BinOp::Pow && t.is_int() {
                    if let Some(Scalar::Int(e)) = self.b.constant(r) {
                        if e < 0 {
                            return Err(dtype_err(
                                "integers to negative integer powers are not allowed (as in NumPy); write a float, e.g. `2.0 ** -1`".into(),
                                rspan,
                            ));
                        }
                    }
                }
                let exponent = self.b.constant(r);
                let (a, b) = both(self, t)?;
                if op == BinOp::Pow && !t.is_int() {
                    if let Some(e) = exponent {
                        if let Some(x) = self.power(a, t, e, weak[1]) {
                            return Ok(x);
                        }
                    }
                }
                Ok(self.b.add(operation, t, vec![a, b]))
            }
        }
    }

    /// Refuses integer arithmetic on two literals whose exact (Python) value does not fit
    /// int64, instead of folding it with wrap-around (`10**20`, `2**64 + 0.5`).
    fn literal_overflow(&self, op: BinOp, l: NodeId, r: NodeId, span: Span) -> Result<()> {
        let (Some(Scalar::Int(a)), Some(Scalar::Int(b))) = (self.b.constant(l), self.b.constant(r))
        else {
            return Ok(());
        };
        let exact = match op {
            BinOp::Add => a.checked_add(b),
            BinOp::Sub => a.checked_sub(b),
            BinOp::Mul => a.checked_mul(b),
            BinOp::Pow if b >= 0 => u32::try_from(b).ok().and_then(|e| a.checked_pow(e)),
            BinOp::Shl if a == 0 => Some(0),
            BinOp::Shl => u32::try_from(b)
                .ok()
                .filter(|&e| e < 64)
                .and_then(|e| i64::try_from((a as i128) << e).ok()),
            // Python's `-2**63 // -1` is 2**63.
            BinOp::FloorDiv if a == i64::MIN && b == -1 => None,
            // Division by zero (0 in NumPy), `%`, bitwise operators and comparisons stay in
            // range.
            _ => Some(0),
        };
        if exact.is_none() {
            return Err(dtype_err(
                format!(
                    "`{a} {} {b}` overflows int64, the type of integer literals; write a float (e.g. `{a}.0 {} {b}`)",
                    op.symbol(),
                    op.symbol()
                ),
                span,
            ));
        }
        Ok(())
    }

    /// `x ** e` for a constant exponent `e` (as written, before promotion) on float or complex
    /// `x` of dtype `t`; `literal` says whether `e` is a Python literal. `None`: a plain `**`.
    ///
    /// Floats: NumPy's answers for the exponents 0, 1, 2, -1 and 0.5 are `ones`, `x`, `x*x`,
    /// `1/x` and `sqrt(x)` (correctly rounded `pow` gives the first four; NumPy's `x ** 0.5`
    /// is `sqrt`, so `(-0.0)**0.5` is `-0.0`, not `pow`'s `+0.0`); numjit builds those
    /// operations. Complex: NumPy takes its shortcuts only for Python literals, `-1` (an int:
    /// `reciprocal`), `2` (an int: `square`) and `0.5` (a float: `sqrt`); every other exponent
    /// goes through `npy_cpow`, as numjit's complex `**` does.
    fn power(&mut self, x: NodeId, t: DType, e: Scalar, literal: bool) -> Option<NodeId> {
        if t == DType::Complex128 {
            return match (e, literal) {
                (Scalar::Int(-1), true) => Some(self.b.add(Op::Call(Func::Reciprocal), t, vec![x])),
                (Scalar::Int(2), true) => Some(self.b.add(Op::Mul, t, vec![x, x])),
                (Scalar::Float(0.5), true) => Some(self.b.add(Op::Call(Func::Sqrt), t, vec![x])),
                _ => None,
            };
        }
        let e = match e {
            Scalar::Complex(_) => return None,
            other => other.to_f64(),
        };
        let one = self.b.constant_node(Scalar::Int(1).cast(t));
        Some(match e {
            0.0 => one,
            1.0 => x,
            2.0 => self.b.add(Op::Mul, t, vec![x, x]),
            -1.0 => self.b.add(Op::Div, t, vec![one, x]),
            0.5 => self.b.add(Op::Call(Func::Sqrt), t, vec![x]),
            // Integer and half-integer exponents: double-double binary powering, within 1 ulp
            // of `pow` and several times faster (x ** -0.5 excepted: see `pow_const`).
            e if (e * 2.0).fract() == 0.0 && e.abs() <= MAX_POW_CONST && e != -0.5 => {
                self.b.add(Op::PowConst((e * 2.0) as i32), t, vec![x])
            }
            _ => return None,
        })
    }

    fn call(&mut self, f: Func, args: Vec<NodeId>, weak: &[bool], span: Span) -> Result<NodeId> {
        let refuse = |t: DType| {
            Err(dtype_err(
                format!(
                    "`{}` is not defined for {t} (NumPy refuses it too)",
                    f.name()
                ),
                span,
            ))
        };
        // numexpr: an integer literal argument is the int32 or int64 its value gives
        // (`real(2)` is int32).
        let args: Vec<NodeId> = match self.literals {
            Literals::NumPy => args,
            Literals::Numexpr => args
                .iter()
                .zip(weak)
                .map(|(&a, &w)| {
                    let t = if w {
                        self.literal_dtype(a)
                    } else {
                        self.b.dtype(a)
                    };
                    self.b.cast(a, t)
                })
                .collect(),
        };
        let dts: Vec<DType> = args.iter().map(|&a| self.b.dtype(a)).collect();
        if f.sig() == Sig::Contains {
            if !dts.iter().all(|&d| is_bytes(d)) {
                return Err(dtype_err(
                    format!(
                        "`contains` searches byte strings for byte strings; got {} and {}",
                        dts[0], dts[1]
                    ),
                    span,
                ));
            }
            return Ok(self.b.add(Op::Call(f), DType::Bool, args));
        }
        if dts.iter().any(|&d| is_bytes(d)) {
            return Err(bytes_err(span));
        }
        match f.sig() {
            Sig::Contains => unreachable!("handled above"),
            Sig::Where => {
                let c = self.b.cast(args[0], DType::Bool);
                let t = self.result_type(&args[1..], &weak[1..]);
                let a = self.cast_to(args[1], t, span)?;
                let b = self.cast_to(args[2], t, span)?;
                Ok(self.b.add(Op::Call(f), t, vec![c, a, b]))
            }
            Sig::Float => {
                // float32 stays float32, complex stays complex, bool and ints give float64.
                let t = self.result_type(&args, weak).float_of();
                if !f.accepts(t) || (t == DType::Complex128 && args.len() > 1) {
                    return refuse(t);
                }
                let mut a = Vec::with_capacity(args.len());
                for &x in &args {
                    a.push(self.cast_to(x, t, span)?);
                }
                Ok(self.b.add(Op::Call(f), t, a))
            }
            Sig::Predicate => {
                let t = self.b.dtype(args[0]);
                if !f.accepts(t) {
                    return refuse(t);
                }
                Ok(self.b.add(Op::Call(f), DType::Bool, args))
            }
            Sig::Part => {
                let t = self.b.dtype(args[0]);
                let out = match (f, t) {
                    (Func::Real | Func::Imag, DType::Complex128) => DType::Float64,
                    // NumPy's conjugate has no bool loop and gives int8; numjit's nearest is
                    // int64.
                    (Func::Conj, DType::Bool) => DType::Int64,
                    _ => t,
                };
                let args = if out == DType::Int64 && t == DType::Bool {
                    vec![self.b.cast(args[0], out)]
                } else {
                    args
                };
                Ok(self.b.add(Op::Call(f), out, args))
            }
            Sig::MakeComplex => {
                let t = self.result_type(&args, weak);
                if t == DType::Complex128 {
                    return refuse(t);
                }
                let re = self.b.cast(args[0], DType::Float64);
                let im = self.b.cast(args[1], DType::Float64);
                Ok(self.b.add(Op::Call(f), DType::Complex128, vec![re, im]))
            }
            Sig::Same => {
                let mut t = self.result_type(&args, weak);
                if !f.accepts(t) {
                    return refuse(t);
                }
                // NumPy gives int8 (fmod) or float16 (round) for bools; numjit's nearest dtypes.
                if t == DType::Bool && f == Func::Fmod {
                    t = DType::Int64;
                }
                if t == DType::Bool && f == Func::Round {
                    t = DType::Float64;
                }
                let mut a = Vec::with_capacity(args.len());
                for &x in &args {
                    a.push(self.cast_to(x, t, span)?);
                }
                // abs of complex is its float64 modulus.
                let out = if f == Func::Abs && t == DType::Complex128 {
                    DType::Float64
                } else {
                    t
                };
                Ok(self.b.add(Op::Call(f), out, a))
            }
        }
    }
}

/// The name and view of a subscripted name `x[...]...[...]` (an assignment target).
pub fn view_of(
    expr: &Expr,
    lookup: &dyn Fn(&str) -> Option<DType>,
    known: &[&str],
) -> Result<(String, View)> {
    let c = Checker {
        b: Builder::new(),
        lookup,
        known,
        literals: Literals::NumPy,
    };
    c.view(expr)
}

/// Evaluates a subscript bound; `int` gives the value of a bound int64 scalar.
pub fn eval_int(e: &IntExpr, int: &dyn Fn(&str, Span) -> Result<i64>) -> Result<i64> {
    match e {
        IntExpr::Lit(v) => Ok(*v),
        IntExpr::Name(n, span) => int(n, *span),
        IntExpr::Neg(x) => Ok(eval_int(x, int)?.wrapping_neg()),
        IntExpr::Bin(op, a, b, span) => {
            let (a, b) = (eval_int(a, int)?, eval_int(b, int)?);
            let v = match op {
                IntOp::Add => a.checked_add(b),
                IntOp::Sub => a.checked_sub(b),
                IntOp::Mul => a.checked_mul(b),
                IntOp::FloorDiv | IntOp::Mod if b == 0 => {
                    return Err(Error::new(
                        ErrorKind::Shape,
                        "integer division by zero in a subscript bound",
                        Some(*span),
                    ))
                }
                IntOp::FloorDiv => Some(crate::semantics::scalar::floordiv_i64(a, b)),
                IntOp::Mod => Some(crate::semantics::scalar::mod_i64(a, b)),
            };
            v.ok_or_else(|| {
                Error::new(
                    ErrorKind::Shape,
                    "subscript bound overflows int64",
                    Some(*span),
                )
            })
        }
    }
}

/// Applies `view` to an array laid out as `base`, with Python's and NumPy's rules: negative
/// bounds count from the end, out-of-range slice bounds are clamped, an integer index drops
/// its axis; an empty result, a zero step or an index out of range is an error.
pub fn resolve_view(
    base: &Strided,
    view: &View,
    int: &dyn Fn(&str, Span) -> Result<i64>,
) -> Result<Strided> {
    let mut cur = base.clone();
    for items in view {
        let full = items
            .iter()
            .filter(|i| !matches!(i, ViewItem::Ellipsis(_)))
            .count();
        let nd = cur.shape.len();
        if full > nd {
            let span = items[nd.min(items.len() - 1)].span();
            return Err(Error::new(
                ErrorKind::Shape,
                format!(
                    "too many indices: the array has {nd} dimension{}",
                    if nd == 1 { "" } else { "s" }
                ),
                Some(span),
            ));
        }
        let mut next = Strided {
            offset: cur.offset,
            shape: Dims::with_capacity(nd),
            strides: Steps::with_capacity(nd),
        };
        let mut axis = 0;
        for it in items {
            match it {
                ViewItem::Ellipsis(_) => {
                    for _ in 0..nd - full {
                        next.shape.push(cur.shape[axis]);
                        next.strides.push(cur.strides[axis]);
                        axis += 1;
                    }
                }
                ViewItem::Index(e, span) => {
                    let len = cur.shape[axis] as i64;
                    let i = eval_int(e, int)?;
                    let j = if i < 0 { i + len } else { i };
                    if j < 0 || j >= len {
                        return Err(Error::new(
                            ErrorKind::Shape,
                            format!("index {i} is out of range for axis {axis} with length {len}"),
                            Some(*span),
                        ));
                    }
                    next.offset += j as isize * cur.strides[axis];
                    axis += 1;
                }
                ViewItem::Slice {
                    start,
                    stop,
                    step,
                    span,
                } => {
                    let len = cur.shape[axis] as i64;
                    let step = match step {
                        Some(e) => eval_int(e, int)?,
                        None => 1,
                    };
                    if step == 0 {
                        return Err(Error::new(
                            ErrorKind::Shape,
                            "slice step cannot be zero",
                            Some(*span),
                        ));
                    }
                    // CPython's PySlice_AdjustIndices.
                    let adjust = |v: i64| -> i64 {
                        if v < 0 {
                            let v = v.saturating_add(len);
                            if v < 0 {
                                if step < 0 {
                                    -1
                                } else {
                                    0
                                }
                            } else {
                                v
                            }
                        } else if v >= len {
                            if step < 0 {
                                len - 1
                            } else {
                                len
                            }
                        } else {
                            v
                        }
                    };
                    let lo = match start {
                        Some(e) => adjust(eval_int(e, int)?),
                        None => {
                            if step < 0 {
                                len - 1
                            } else {
                                0
                            }
                        }
                    };
                    let hi = match stop {
                        Some(e) => adjust(eval_int(e, int)?),
                        None => {
                            if step < 0 {
                                -1
                            } else {
                                len
                            }
                        }
                    };
                    let count = if step < 0 {
                        if hi < lo {
                            (lo - hi - 1) / (-step) + 1
                        } else {
                            0
                        }
                    } else if lo < hi {
                        (hi - lo - 1) / step + 1
                    } else {
                        0
                    };
                    // An empty slice is a zero-size view, as in NumPy; its offset stays
                    // where the array's is (it addresses nothing, and `lo` may be past the
                    // end).
                    if count > 0 {
                        next.offset += lo as isize * cur.strides[axis];
                    }
                    next.shape.push(count as usize);
                    next.strides.push(cur.strides[axis] * step as isize);
                    axis += 1;
                }
            }
        }
        // Axes not mentioned are taken whole.
        while axis < nd {
            next.shape.push(cur.shape[axis]);
            next.strides.push(cur.strides[axis]);
            axis += 1;
        }
        cur = next;
    }
    Ok(cur)
}

/// NumPy's broadcasting of `shapes`: the result shape, or the indices of two shapes that
/// do not broadcast together.
pub fn broadcast(shapes: &[&[usize]]) -> std::result::Result<Dims, (usize, usize)> {
    // Common case first: every shape equal (or scalar).
    let first = shapes
        .iter()
        .find(|s| !s.is_empty())
        .copied()
        .unwrap_or(&[]);
    if shapes.iter().all(|s| s.is_empty() || *s == first) {
        return Ok(Dims::from_slice(first));
    }
    let nd = shapes.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut out = Dims::from_elem(1, nd);
    let mut owner: SmallVec<[usize; 4]> = SmallVec::from_elem(usize::MAX, nd);
    for (i, s) in shapes.iter().enumerate() {
        let off = nd - s.len();
        for (d, &len) in s.iter().enumerate() {
            let o = &mut out[off + d];
            if len == *o || len == 1 {
                continue;
            }
            if *o == 1 {
                *o = len;
                owner[off + d] = i;
            } else {
                return Err((owner[off + d], i));
            }
        }
    }
    Ok(out)
}

/// Names longer than this (in characters) get no suggestion: the edit distance is quadratic
/// in the names' lengths, and a typo of a 64-character name is not what such a name is.
const MAX_SUGGEST_CHARS: usize = 64;

/// The closest candidate to `name` by edit distance, if it is close enough to be a typo.
/// Bounded: names over [`MAX_SUGGEST_CHARS`] get none, and candidates whose length alone puts
/// them past the limit are skipped, so each distance costs at most 64 × 85 steps.
pub fn suggest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let n = name.chars().count();
    if n > MAX_SUGGEST_CHARS {
        return None;
    }
    let limit = (n / 3).max(1);
    candidates
        .iter()
        .filter(|c| c.len() <= 4 * (n + limit) && c.chars().count().abs_diff(n) <= limit)
        .map(|c| (levenshtein(name, c), *c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::shape_str;

    #[test]
    fn broadcasting_follows_numpy() {
        let b = |s: &[&[usize]]| broadcast(s).map(|d| d.to_vec());
        assert_eq!(b(&[&[3], &[2, 1]]), Ok(vec![2, 3]));
        assert_eq!(b(&[&[], &[4]]), Ok(vec![4]));
        assert_eq!(b(&[&[2, 3], &[2, 3], &[]]), Ok(vec![2, 3]));
        assert_eq!(broadcast(&[&[3], &[4]]), Err((0, 1)));
        assert_eq!(b(&[&[0], &[1]]), Ok(vec![0]));
        assert_eq!(shape_str(&[3]), "(3,)");
        assert_eq!(shape_str(&[2, 3]), "(2, 3)");
    }

    #[test]
    fn every_operator_has_its_row() {
        use BinOp::*;
        let binary = [
            Add, Sub, Mul, Div, FloorDiv, Mod, Pow, Shl, Shr, BitAnd, BitOr, BitXor, Lt, Le, Eq,
            Ne, Ge, Gt,
        ];
        for op in binary {
            let found = Op::from_symbol(op.symbol(), 2);
            assert!(found.is_some(), "{op:?}");
            assert_eq!(
                found.is_some_and(|o| matches!(o, Op::Cmp(_))),
                op.is_comparison()
            );
        }
        assert_eq!(Op::from_symbol(UnaryOp::Neg.symbol(), 1), Some(Op::Neg));
        assert_eq!(
            Op::from_symbol(UnaryOp::Invert.symbol(), 1),
            Some(Op::Invert)
        );
        assert_eq!(Op::from_symbol(UnaryOp::Pos.symbol(), 1), None);
    }

    #[test]
    fn suggestions_catch_typos() {
        assert_eq!(suggest("aa", &["a", "b"]), Some("a"));
        assert_eq!(suggest("sine", &["sin", "cos"]), Some("sin"));
        assert_eq!(suggest("zzzz", &["a"]), None);
    }
}

//! Owns the parse-time passes over an expression's syntax tree: finding its reductions,
//! lifting each outermost one out under a hidden name, and collecting its free names.
//! Must not evaluate, check or look up bindings: it sees syntax only.
//!
//! **Reductions inside expressions** (`a - sum(a)/n`, `x / max(abs(x))`, `sum(m, axis=1) + b`)
//! are lifted out when an expression is parsed: each outermost `sum`/`prod`/`min`/`max`
//! becomes a [`Compiled`] of its own (over the same source text, so errors in it point into
//! the original expression), and the expression around it reads its result under a hidden
//! name (`sum#0`; `#` cannot occur in a name the user writes, and the hidden bindings shadow
//! any caller binding of that name). Identical reductions (`sum(a)` twice) are computed once.
//! An expression without reductions pays nothing for them: whether there are any is decided
//! once, at parse time. How they are evaluated at each call is `compiled`'s part.

use super::compiled::Compiled;
use crate::check::Literals;
use numjit_syntax::Span;
use numjit_syntax::{ast::Expr, ast::ExprKind, ast::ReduceOp, ast::SubItem};
use std::sync::Arc;

/// A reduction inside an expression, evaluated before the expression around it is checked.
#[derive(Debug)]
pub(super) struct Reduction {
    pub(super) op: ReduceOp,
    pub(super) axis: Option<i64>,
    /// The reduced expression (its own reductions lifted in turn).
    pub(super) arg: Compiled,
    /// The hidden name the expression around it reads the result under.
    pub(super) name: String,
    /// The whole reduction's text, which its own errors point at.
    pub(super) span: Span,
}

/// Whether `name` is a hidden reduction result (no name the user writes contains `#`).
pub(super) fn is_hidden(name: &str) -> bool {
    name.contains('#')
}

/// Whether `e` contains a reduction.
pub(super) fn has_reduction(e: &Expr) -> bool {
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
pub(super) fn lift(
    e: &Expr,
    source: &Arc<str>,
    literals: Literals,
    out: &mut Vec<Reduction>,
) -> Expr {
    let kind = match &e.kind {
        ExprKind::Reduce { op, arg, axis, .. } => {
            let text = arg.to_string();
            let same = out
                .iter()
                .find(|r| r.op == *op && r.axis == *axis && r.arg.ast().to_string() == text);
            let name = match same {
                Some(r) => r.name.clone(),
                None => {
                    let name = format!("{}#{}", op.name(), out.len());
                    out.push(Reduction {
                        op: *op,
                        axis: *axis,
                        arg: Compiled::from_ast_with(source, (**arg).clone(), literals),
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
            arg: Box::new(lift(arg, source, literals, out)),
        },
        ExprKind::Binary { op, lhs, rhs } => ExprKind::Binary {
            op: *op,
            lhs: Box::new(lift(lhs, source, literals, out)),
            rhs: Box::new(lift(rhs, source, literals, out)),
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
                .map(|a| lift(a, source, literals, out))
                .collect(),
        },
        ExprKind::Subscript { base, items } => ExprKind::Subscript {
            base: Box::new(lift(base, source, literals, out)),
            items: items
                .iter()
                .map(|it| match it {
                    SubItem::Index(x) => SubItem::Index(lift(x, source, literals, out)),
                    SubItem::Slice {
                        start,
                        stop,
                        step,
                        span,
                    } => SubItem::Slice {
                        start: start.as_ref().map(|x| lift(x, source, literals, out)),
                        stop: stop.as_ref().map(|x| lift(x, source, literals, out)),
                        step: step.as_ref().map(|x| lift(x, source, literals, out)),
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

pub(super) fn free_names(e: &Expr, out: &mut Vec<(String, Span)>) {
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

pub(super) fn base_name(e: &Expr) -> (String, Span) {
    match &e.kind {
        ExprKind::Subscript { base, .. } => base_name(base),
        ExprKind::Name(n) => (n.clone(), e.span),
        _ => (String::new(), e.span),
    }
}

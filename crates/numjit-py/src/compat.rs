//! Owns the syntactic rules numexpr's entry points keep where numexpr and NumPy differ:
//! numexpr refuses negative reduction axes (`sum(y, axis=-1)`), which numjit's own entry
//! points (`numjit.compile`, `numjit.execute`, the Rust library) accept as NumPy does.
//! Must not type anything (numexpr's integer literals are the engine's
//! `Compiled::numexpr`) or touch arrays.

use numjit::internals::syntax::ast::{Expr, ExprKind, SubItem};
use numjit::{Error, ErrorKind};

/// Refuses a reduction anywhere in `e` whose axis is negative, as numexpr does (ValueError:
/// `ErrorKind::Shape`), with a caret under the reduction in `source`.
pub(crate) fn refuse_negative_axes(e: &Expr, source: &str) -> Result<(), Error> {
    let mut found = None;
    visit(e, &mut |x| {
        if let ExprKind::Reduce {
            op, axis: Some(k), ..
        } = &x.kind
        {
            if *k < 0 && found.is_none() {
                found = Some((op.name(), *k, x.span));
            }
        }
    });
    match found {
        None => Ok(()),
        Some((name, k, span)) => Err(Error::new(
            ErrorKind::Shape,
            format!(
                "`{name}` with the negative axis {k}: numjit.evaluate refuses negative axes as \
                 numexpr does; numjit.execute and numjit.compile accept them with NumPy's meaning \
                 (counted from the last axis)"
            ),
            Some(span),
        )
        .with_source(source)),
    }
}

/// Calls `f` on `e` and every expression inside it.
fn visit(e: &Expr, f: &mut impl FnMut(&Expr)) {
    f(e);
    match &e.kind {
        ExprKind::Unary { arg, .. } | ExprKind::Reduce { arg, .. } => visit(arg, f),
        ExprKind::Binary { lhs, rhs, .. } => {
            visit(lhs, f);
            visit(rhs, f);
        }
        ExprKind::Call { args, .. } => args.iter().for_each(|a| visit(a, f)),
        ExprKind::Subscript { base, items } => {
            visit(base, f);
            for it in items {
                match it {
                    SubItem::Index(x) => visit(x, f),
                    SubItem::Slice {
                        start, stop, step, ..
                    } => [start, stop, step]
                        .into_iter()
                        .flatten()
                        .for_each(|x| visit(x, f)),
                    SubItem::Ellipsis(_) => {}
                }
            }
        }
        ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Bool(_)
        | ExprKind::Imag(_)
        | ExprKind::Str(_)
        | ExprKind::Name(_) => {}
    }
}

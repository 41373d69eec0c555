//! Owns the untyped syntax tree: every node carries the byte span of its text.
//! Must not touch dtypes, shapes, Cranelift or threads.
//!
//! Provides the untyped syntax tree: every node carries the byte span of its text.

use crate::diag::Span;
use std::fmt;

/// The names that stand for constants unless a binding of that name shadows them: `pi`, `e`
/// (as NumPy's `np.pi`, `np.e`), `inf` and `nan`. Their values are the engine's business.
pub const CONSTANTS: [&str; 4] = ["pi", "e", "inf", "nan"];

/// An expression node.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What the node is.
    pub kind: ExprKind,
    /// Where it is in the source.
    pub span: Span,
    /// Height of the subtree (a leaf is 1); bounded by [`crate::syntax::MAX_DEPTH`].
    pub depth: u32,
}

/// The kinds of expression.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// An integer literal.
    Int(i64),
    /// A float literal.
    Float(f64),
    /// `True` or `False`.
    Bool(bool),
    /// An imaginary literal `2j`, `1.5j` (the value of its imaginary part).
    Imag(f64),
    /// A byte-string literal `b'abc'` or `'abc'` (its bytes, escapes resolved).
    Str(Vec<u8>),
    /// A variable name.
    Name(String),
    /// A prefix operator.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// Its operand.
        arg: Box<Expr>,
    },
    /// An infix operator.
    Binary {
        /// The operator.
        op: BinOp,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
    /// A subscript `base[items]`; `base` is a name or another subscript (a view of a view).
    Subscript {
        /// The subscripted expression.
        base: Box<Expr>,
        /// One item per comma-separated position.
        items: Vec<SubItem>,
    },
    /// A function call `name(args...)`.
    Call {
        /// The function's name.
        name: String,
        /// Span of the name.
        name_span: Span,
        /// Positional arguments.
        args: Vec<Expr>,
    },
    /// A reduction `sum(arg)`, `prod(arg, axis=k)`, `min(...)`, `max(...)`. Reductions are
    /// evaluated before the expression around them is checked (by the engine); checking
    /// itself never sees one.
    Reduce {
        /// Which reduction.
        op: ReduceOp,
        /// Span of the function name.
        name_span: Span,
        /// The reduced expression.
        arg: Box<Expr>,
        /// The axis (negative counts from the end), or `None` for all elements.
        axis: Option<i64>,
    },
}

/// The reductions: numexpr's four, and NumPy's `mean`, `any` and `all`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReduceOp {
    /// `sum`.
    Sum,
    /// `prod`.
    Prod,
    /// `min` (NaN propagates, as NumPy's `min`).
    Min,
    /// `max` (NaN propagates, as NumPy's `max`).
    Max,
    /// `mean` (NumPy's `mean`: integers and bools averaged in float64).
    Mean,
    /// `any` (true where some element is nonzero; NaN counts as nonzero).
    Any,
    /// `all` (true where every element is nonzero).
    All,
}

impl ReduceOp {
    /// The function name.
    pub fn name(self) -> &'static str {
        match self {
            ReduceOp::Sum => "sum",
            ReduceOp::Prod => "prod",
            ReduceOp::Min => "min",
            ReduceOp::Max => "max",
            ReduceOp::Mean => "mean",
            ReduceOp::Any => "any",
            ReduceOp::All => "all",
        }
    }

    /// The reduction called `name`, if any.
    pub fn from_name(name: &str) -> Option<ReduceOp> {
        Some(match name {
            "sum" => ReduceOp::Sum,
            "prod" => ReduceOp::Prod,
            "min" => ReduceOp::Min,
            "max" => ReduceOp::Max,
            "mean" => ReduceOp::Mean,
            "any" => ReduceOp::Any,
            "all" => ReduceOp::All,
            _ => return None,
        })
    }

    /// Every reduction.
    pub const ALL: [ReduceOp; 7] = [
        ReduceOp::Sum,
        ReduceOp::Prod,
        ReduceOp::Min,
        ReduceOp::Max,
        ReduceOp::Mean,
        ReduceOp::Any,
        ReduceOp::All,
    ];
}

/// One position of a subscript.
#[derive(Clone, Debug, PartialEq)]
pub enum SubItem {
    /// `i`: picks one index and drops the axis.
    Index(Expr),
    /// `start:stop:step`, each part optional.
    Slice {
        /// Lower bound.
        start: Option<Expr>,
        /// Upper bound (exclusive).
        stop: Option<Expr>,
        /// Step.
        step: Option<Expr>,
        /// The whole item's text.
        span: Span,
    },
    /// `...`: as many full slices as needed.
    Ellipsis(Span),
}

impl SubItem {
    /// Where the item is in the source.
    pub fn span(&self) -> Span {
        match self {
            SubItem::Index(e) => e.span,
            SubItem::Slice { span, .. } | SubItem::Ellipsis(span) => *span,
        }
    }
}

impl fmt::Display for SubItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubItem::Index(e) => write!(f, "{e}"),
            SubItem::Ellipsis(_) => f.write_str("..."),
            SubItem::Slice {
                start, stop, step, ..
            } => {
                if let Some(e) = start {
                    write!(f, "{e}")?;
                }
                f.write_str(":")?;
                if let Some(e) = stop {
                    write!(f, "{e}")?;
                }
                if let Some(e) = step {
                    write!(f, ":{e}")?;
                }
                Ok(())
            }
        }
    }
}

/// A statement of a script.
#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    /// What the statement is.
    pub kind: StmtKind,
    /// Where it is.
    pub span: Span,
}

/// The kinds of statement.
#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    /// A bare expression: its value is the script's value if it comes last.
    Expr(Expr),
    /// `target = value`: `target` is a name (binds a new array) or a subscript (writes into
    /// the view).
    Assign {
        /// A [`ExprKind::Name`] or [`ExprKind::Subscript`].
        target: Expr,
        /// The right-hand side.
        value: Expr,
    },
}

impl fmt::Display for Stmt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            StmtKind::Expr(e) => write!(f, "{e}"),
            StmtKind::Assign { target, value } => write!(f, "{target} = {value}"),
        }
    }
}

/// Prefix operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `+x`
    Pos,
    /// `~x`
    Invert,
}

/// Infix operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    FloorDiv,
    Mod,
    Pow,
    Shl,
    Shr,
    BitAnd,
    BitOr,
    BitXor,
    Lt,
    Le,
    Eq,
    Ne,
    Ge,
    Gt,
}

impl BinOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        use BinOp::*;
        match self {
            Add => "+",
            Sub => "-",
            Mul => "*",
            Div => "/",
            FloorDiv => "//",
            Mod => "%",
            Pow => "**",
            Shl => "<<",
            Shr => ">>",
            BitAnd => "&",
            BitOr => "|",
            BitXor => "^",
            Lt => "<",
            Le => "<=",
            Eq => "==",
            Ne => "!=",
            Ge => ">=",
            Gt => ">",
        }
    }

    /// True for `< <= == != >= >`.
    pub fn is_comparison(self) -> bool {
        use BinOp::*;
        matches!(self, Lt | Le | Eq | Ne | Ge | Gt)
    }
}

impl UnaryOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            UnaryOp::Neg => "-",
            UnaryOp::Pos => "+",
            UnaryOp::Invert => "~",
        }
    }
}

/// Prints the tree back as fully parenthesised text (used by `:ast` and by tests).
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Int(v) => write!(f, "{v}"),
            ExprKind::Float(v) => write!(f, "{v:?}"),
            ExprKind::Bool(v) => f.write_str(if *v { "True" } else { "False" }),
            ExprKind::Imag(v) => write!(f, "{v:?}j"),
            ExprKind::Str(bytes) => {
                // As Python's repr of a bytes object, always in single quotes.
                f.write_str("b'")?;
                for &b in bytes {
                    match b {
                        b'\\' => f.write_str("\\\\")?,
                        b'\'' => f.write_str("\\'")?,
                        b'\n' => f.write_str("\\n")?,
                        b'\r' => f.write_str("\\r")?,
                        b'\t' => f.write_str("\\t")?,
                        0x20..=0x7e => write!(f, "{}", b as char)?,
                        _ => write!(f, "\\x{b:02x}")?,
                    }
                }
                f.write_str("'")
            }
            ExprKind::Reduce { op, arg, axis, .. } => match axis {
                Some(k) => write!(f, "{}({arg}, axis={k})", op.name()),
                None => write!(f, "{}({arg})", op.name()),
            },
            ExprKind::Name(n) => f.write_str(n),
            ExprKind::Unary { op, arg } => write!(f, "({}{arg})", op.symbol()),
            ExprKind::Binary { op, lhs, rhs } => write!(f, "({lhs} {} {rhs})", op.symbol()),
            ExprKind::Subscript { base, items } => {
                write!(f, "{base}[")?;
                for (i, it) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{it}")?;
                }
                f.write_str("]")
            }
            ExprKind::Call { name, args, .. } => {
                write!(f, "{name}(")?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_str(")")
            }
        }
    }
}

//! Owns the typed intermediate form: `Program`, a DAG of typed nodes, built by `Builder` with common subexpressions shared and constants folded.
//! Must not touch shapes, strides, Cranelift or threads; folding computes through `semantics::apply`, never generated code.
//!
//! Provides the typed intermediate form: a [`Program`] is a list of [`Node`]s in dependency
//! order (a DAG), each with one dtype, whose operands already share the dtype the operation
//! computes in (promotion is explicit [`Op::Cast`] nodes). Building through [`Builder`] shares
//! common subexpressions and folds constants.
//!
//! The IR knows dtypes but not shapes, strides or threads: one program serves every call with
//! the same input dtypes. Inputs may be views (`dens[1:-1, 2:]`) whose integer bounds are kept
//! as [`IntExpr`]s; shapes and bounds are resolved per call ([`crate::check::resolve_view`]).

use crate::semantics::Op;
use crate::types::DType;
use crate::types::Scalar;
use numjit_syntax::Span;
use std::collections::HashMap;
use std::fmt;

/// Index of a node in [`Program::nodes`].
pub type NodeId = usize;
/// One operation with its operands.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The operation.
    pub op: Op,
    /// The result dtype.
    pub dtype: DType,
    /// Operand nodes, all earlier in the program.
    pub args: Vec<NodeId>,
}

/// An integer scalar expression of a subscript bound (`nrows+1`, `-1`, `2*n-1`), evaluated
/// once per call from literals and bound int64 scalars.
#[derive(Clone, Debug, PartialEq)]
pub enum IntExpr {
    /// A literal.
    Lit(i64),
    /// A bound int64 scalar, with the span of its use.
    Name(String, Span),
    /// `-x`.
    Neg(Box<IntExpr>),
    /// `x op y` for `+ - * // %`, with the span of the whole operation.
    Bin(IntOp, Box<IntExpr>, Box<IntExpr>, Span),
}

/// Operators allowed in subscript bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum IntOp {
    Add,
    Sub,
    Mul,
    FloorDiv,
    Mod,
}

/// One position of a view: an index (drops the axis), a slice, or `...`.
#[derive(Clone, Debug, PartialEq)]
pub enum ViewItem {
    /// `i`.
    Index(IntExpr, Span),
    /// `start:stop:step`.
    Slice {
        /// Lower bound.
        start: Option<IntExpr>,
        /// Upper bound.
        stop: Option<IntExpr>,
        /// Step.
        step: Option<IntExpr>,
        /// The item's text.
        span: Span,
    },
    /// `...`.
    Ellipsis(Span),
}

/// A view of a bound array: subscripts applied in order (`x[1:][::2]` has two).
pub type View = Vec<Vec<ViewItem>>;

impl ViewItem {
    /// Where the item is in the source.
    pub fn span(&self) -> Span {
        match self {
            ViewItem::Index(_, s) | ViewItem::Ellipsis(s) => *s,
            ViewItem::Slice { span, .. } => *span,
        }
    }
}

impl fmt::Display for IntExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntExpr::Lit(v) => write!(f, "{v}"),
            IntExpr::Name(n, _) => f.write_str(n),
            IntExpr::Neg(x) => write!(f, "(-{x})"),
            IntExpr::Bin(op, a, b, _) => {
                let s = match op {
                    IntOp::Add => "+",
                    IntOp::Sub => "-",
                    IntOp::Mul => "*",
                    IntOp::FloorDiv => "//",
                    IntOp::Mod => "%",
                };
                write!(f, "({a} {s} {b})")
            }
        }
    }
}

impl fmt::Display for ViewItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let opt = |f: &mut fmt::Formatter<'_>, e: &Option<IntExpr>| match e {
            Some(e) => write!(f, "{e}"),
            None => Ok(()),
        };
        match self {
            ViewItem::Index(e, _) => write!(f, "{e}"),
            ViewItem::Ellipsis(_) => f.write_str("..."),
            ViewItem::Slice {
                start, stop, step, ..
            } => {
                opt(f, start)?;
                f.write_str(":")?;
                opt(f, stop)?;
                if step.is_some() {
                    f.write_str(":")?;
                    opt(f, step)?;
                }
                Ok(())
            }
        }
    }
}

/// Formats a name with its view: `dens[1:-1, 2:]`.
pub fn view_text(name: &str, view: &View) -> String {
    let mut s = name.to_string();
    for items in view {
        s.push('[');
        for (i, it) in items.iter().enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            s.push_str(&it.to_string());
        }
        s.push(']');
    }
    s
}

/// An input the program reads: a name bound by the caller, or a view of one. Each distinct
/// view is its own input (a stencil's shifted views are several inputs of one array).
#[derive(Clone, Debug, PartialEq)]
pub struct Input {
    /// The bound name.
    pub name: String,
    /// Its dtype (part of the program's cache key).
    pub dtype: DType,
    /// Subscripts applied to the bound array (empty for the whole array).
    pub view: View,
    /// Where the input first appears.
    pub span: Span,
}

/// A checked, typed expression ready for lowering or interpretation.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    /// The nodes, each after its operands.
    pub nodes: Vec<Node>,
    /// The result node.
    pub root: NodeId,
    /// The inputs, indexed by `Op::Input`.
    pub inputs: Vec<Input>,
    /// The byte-string literals, indexed by `Scalar::Str`.
    pub strings: Vec<Vec<u8>>,
}

impl Program {
    /// The result dtype.
    pub fn dtype(&self) -> DType {
        self.nodes[self.root].dtype
    }
}

/// Prints one node per line: `%3 = add.float64 %1, %2`.
impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, inp) in self.inputs.iter().enumerate() {
            writeln!(
                f,
                "input {i}: {} {}",
                view_text(&inp.name, &inp.view),
                inp.dtype
            )?;
        }
        for (i, n) in self.nodes.iter().enumerate() {
            let op = match n.op {
                Op::Input(k) => format!("input {k}"),
                Op::Const(c) => format!("const {c}"),
                Op::Call(func) => func.name().to_string(),
                other => match other.name() {
                    Some(name) => name.to_string(),
                    // `cast`, `powconst(k)`.
                    None => format!("{other:?}").to_lowercase(),
                },
            };
            write!(f, "%{i} = {op}.{}", n.dtype)?;
            for (j, a) in n.args.iter().enumerate() {
                write!(f, "{} %{a}", if j == 0 { "" } else { "," })?;
            }
            writeln!(f)?;
        }
        write!(f, "return %{}", self.root)
    }
}

/// Key for sharing identical nodes: the op with constants by bit pattern.
#[derive(Clone, PartialEq, Eq, Hash)]
struct NodeKey {
    op: String,
    dtype: DType,
    args: Vec<NodeId>,
}

/// Builds a [`Program`], sharing common subexpressions and folding constant operations.
#[derive(Default)]
pub struct Builder {
    nodes: Vec<Node>,
    inputs: Vec<Input>,
    seen: HashMap<NodeKey, NodeId>,
    strings: Vec<Vec<u8>>,
}

impl Builder {
    /// An empty builder.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// The dtype of node `id`.
    pub fn dtype(&self, id: NodeId) -> DType {
        self.nodes[id].dtype
    }

    /// The constant value of node `id`, if it is one.
    pub fn constant(&self, id: NodeId) -> Option<Scalar> {
        match self.nodes[id].op {
            Op::Const(c) => Some(c),
            _ => None,
        }
    }

    /// The node reading input `name` through `view` (registered on first use).
    pub fn input(&mut self, name: &str, dtype: DType, view: View, span: Span) -> NodeId {
        let text = view_text(name, &view);
        let found = self
            .inputs
            .iter()
            .position(|i| i.name == name && view_text(&i.name, &i.view) == text);
        let k = match found {
            Some(k) => k,
            None => {
                self.inputs.push(Input {
                    name: name.to_string(),
                    dtype,
                    view,
                    span,
                });
                self.inputs.len() - 1
            }
        };
        self.add(Op::Input(k), dtype, vec![])
    }

    /// The constant node of a byte-string literal.
    pub fn string(&mut self, bytes: &[u8]) -> NodeId {
        let k = match self.strings.iter().position(|s| s == bytes) {
            Some(k) => k,
            None => {
                self.strings.push(bytes.to_vec());
                self.strings.len() - 1
            }
        };
        self.constant_node(Scalar::Str(k as u32, bytes.len() as u32))
    }

    /// A constant node.
    pub fn constant_node(&mut self, value: Scalar) -> NodeId {
        self.add(Op::Const(value), value.dtype(), vec![])
    }

    /// `arg` converted to `dtype` (no node when it already has that dtype).
    pub fn cast(&mut self, arg: NodeId, dtype: DType) -> NodeId {
        if self.dtype(arg) == dtype {
            arg
        } else {
            self.add(Op::Cast, dtype, vec![arg])
        }
    }

    /// Adds (or finds) the node `op(args)` of `dtype`; all-constant operands are folded.
    pub fn add(&mut self, op: Op, dtype: DType, args: Vec<NodeId>) -> NodeId {
        if !args.is_empty() {
            let consts: Option<Vec<Scalar>> = args.iter().map(|&a| self.constant(a)).collect();
            // Byte strings are never folded (their bytes live in the string table).
            let consts = consts.filter(|c| !c.iter().any(|v| matches!(v, Scalar::Str(..))));
            if let Some(values) = consts {
                let v = crate::semantics::apply::apply(op, dtype, &values);
                return self.constant_node(v);
            }
        }
        let key = NodeKey {
            op: match op {
                Op::Const(c) => format!("const {:?} {}", c.dtype(), c.bits()),
                other => format!("{other:?}"),
            },
            dtype,
            args: args.clone(),
        };
        if let Some(&id) = self.seen.get(&key) {
            return id;
        }
        self.nodes.push(Node { op, dtype, args });
        let id = self.nodes.len() - 1;
        self.seen.insert(key, id);
        id
    }

    /// Finishes the program with `root` as its result, dropping nodes it does not use.
    pub fn finish(self, root: NodeId) -> Program {
        let mut used = vec![false; self.nodes.len()];
        used[root] = true;
        for i in (0..self.nodes.len()).rev() {
            if used[i] {
                for &a in &self.nodes[i].args {
                    used[a] = true;
                }
            }
        }
        let mut remap = vec![usize::MAX; self.nodes.len()];
        let mut nodes = Vec::new();
        for (i, n) in self.nodes.into_iter().enumerate() {
            if used[i] {
                remap[i] = nodes.len();
                let args = n.args.iter().map(|&a| remap[a]).collect();
                nodes.push(Node { args, ..n });
            }
        }
        Program {
            root: remap[root],
            nodes,
            inputs: self.inputs,
            strings: self.strings,
        }
    }
}

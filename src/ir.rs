//! Provides the typed intermediate form: a [`Program`] is a list of [`Node`]s in dependency
//! order (a DAG), each with one dtype, whose operands already share the dtype the operation
//! computes in (promotion is explicit [`Op::Cast`] nodes). Building through [`Builder`] shares
//! common subexpressions and folds constants.
//!
//! The IR knows dtypes but not shapes, strides or threads: one program serves every call with
//! the same input dtypes. Inputs may be views (`dens[1:-1, 2:]`) whose integer bounds are kept
//! as [`IntExpr`]s; shapes and bounds are resolved per call ([`crate::check::resolve_view`]).

use crate::array::{Complex64, DType};
use crate::error::Span;
use crate::interp;
use crate::ops::Func;
use std::collections::HashMap;
use std::fmt;

/// Index of a node in [`Program::nodes`].
pub type NodeId = usize;

/// A scalar value of one of numjit's dtypes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar {
    /// A bool.
    Bool(bool),
    /// An int32.
    Int32(i32),
    /// An int64.
    Int(i64),
    /// A float32.
    Float32(f32),
    /// A float64.
    Float(f64),
    /// A complex128.
    Complex(Complex64),
    /// A byte-string literal: index into [`Program::strings`] and its width.
    Str(u32, u32),
}

impl Scalar {
    /// The dtype of the value.
    pub fn dtype(self) -> DType {
        match self {
            Scalar::Bool(_) => DType::Bool,
            Scalar::Int32(_) => DType::Int32,
            Scalar::Int(_) => DType::Int64,
            Scalar::Float32(_) => DType::Float32,
            Scalar::Float(_) => DType::Float64,
            Scalar::Complex(_) => DType::Complex128,
            Scalar::Str(_, w) => DType::Bytes(w as usize),
        }
    }

    /// The value as a complex number (every dtype converts exactly but int64 beyond 2**53).
    pub fn to_complex(self) -> Complex64 {
        match self {
            Scalar::Complex(z) => z,
            other => Complex64::new(other.to_f64(), 0.0),
        }
    }

    /// The value as float64 (complex: its real part, as NumPy's unsafe cast).
    pub fn to_f64(self) -> f64 {
        match self {
            Scalar::Bool(b) => b as u8 as f64,
            Scalar::Int32(i) => i as f64,
            Scalar::Int(i) => i as f64,
            Scalar::Float32(x) => x as f64,
            Scalar::Float(x) => x,
            Scalar::Complex(z) => z.re,
            Scalar::Str(..) => unreachable!("byte strings are never converted"),
        }
    }

    /// The value as int64 (floats truncate toward zero; NaN and values out of range give
    /// `i64::MIN`, as NumPy's casts do on x86-64).
    pub fn to_i64(self) -> i64 {
        match self {
            Scalar::Bool(b) => b as i64,
            Scalar::Int32(i) => i as i64,
            Scalar::Int(i) => i,
            Scalar::Float32(x) => float_to_int(x as f64, 64),
            Scalar::Float(x) => float_to_int(x, 64),
            Scalar::Complex(z) => float_to_int(z.re, 64),
            Scalar::Str(..) => unreachable!("byte strings are never converted"),
        }
    }

    /// Whether the value is non-zero (NaN is true, as in NumPy).
    pub fn truthy(self) -> bool {
        match self {
            Scalar::Bool(b) => b,
            Scalar::Int32(i) => i != 0,
            Scalar::Int(i) => i != 0,
            Scalar::Float32(x) => x != 0.0,
            Scalar::Float(x) => x != 0.0,
            Scalar::Complex(z) => z.re != 0.0 || z.im != 0.0,
            Scalar::Str(..) => unreachable!("byte strings are never converted"),
        }
    }

    /// Converts to `dtype` as NumPy's `astype` does: to bool is `!= 0` (NaN is true); int64 →
    /// int32 wraps; floats → integers truncate toward zero, NaN and out-of-range values giving
    /// the integer minimum (NumPy on x86-64; C leaves them undefined); float64 → float32 rounds
    /// to nearest; complex → real keeps the real part.
    pub fn cast(self, dtype: DType) -> Scalar {
        match dtype {
            DType::Bool => Scalar::Bool(self.truthy()),
            DType::Int32 => Scalar::Int32(match self {
                Scalar::Float32(x) => float_to_int(x as f64, 32) as i32,
                Scalar::Float(x) => float_to_int(x, 32) as i32,
                Scalar::Complex(z) => float_to_int(z.re, 32) as i32,
                other => other.to_i64() as i32,
            }),
            DType::Int64 => Scalar::Int(self.to_i64()),
            DType::Float32 => Scalar::Float32(match self {
                Scalar::Int(i) => i as f32,
                Scalar::Float32(x) => x,
                other => other.to_f64() as f32,
            }),
            DType::Float64 => Scalar::Float(self.to_f64()),
            DType::Complex128 => Scalar::Complex(self.to_complex()),
            DType::Bytes(_) => {
                assert_eq!(self.dtype(), dtype, "byte strings are never converted");
                self
            }
        }
    }

    /// The raw bits (bool as 0/1, complex as the real part's bits then the imaginary part's),
    /// for hashing.
    pub fn bits(self) -> u128 {
        match self {
            Scalar::Bool(b) => b as u128,
            Scalar::Int32(i) => i as u32 as u128,
            Scalar::Int(i) => i as u64 as u128,
            Scalar::Float32(x) => x.to_bits() as u128,
            Scalar::Float(x) => x.to_bits() as u128,
            Scalar::Complex(z) => (z.re.to_bits() as u128) << 64 | z.im.to_bits() as u128,
            Scalar::Str(k, w) => (k as u128) << 32 | w as u128,
        }
    }
}

/// `x` truncated to a `bits`-bit integer as x86-64's conversion (and so NumPy there) gives it:
/// the integer minimum for NaN and for values whose truncation does not fit.
pub fn float_to_int(x: f64, bits: u32) -> i64 {
    let limit = (1u64 << (bits - 1)) as f64;
    // Below -limit, Rust's saturating `as` gives the minimum too.
    if x < limit {
        if bits == 32 {
            x as i32 as i64
        } else {
            x as i64
        }
    } else if bits == 32 {
        i32::MIN as i64
    } else {
        i64::MIN
    }
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Bool(b) => f.write_str(if *b { "True" } else { "False" }),
            Scalar::Int32(i) => write!(f, "{i}"),
            Scalar::Int(i) => write!(f, "{i}"),
            Scalar::Float32(x) => write!(f, "{x:?}"),
            Scalar::Float(x) => write!(f, "{x:?}"),
            Scalar::Complex(z) => write!(f, "({:?}{:+?}j)", z.re, z.im),
            Scalar::Str(k, _) => write!(f, "string #{k}"),
        }
    }
}

/// Comparison operators (operands share a dtype; the result is bool).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Cmp {
    Lt,
    Le,
    Eq,
    Ne,
    Ge,
    Gt,
}

/// An operation. Unless noted, operands and result share the node's dtype.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    /// The k-th program input.
    Input(usize),
    /// A constant.
    Const(Scalar),
    /// Converts the operand (any dtype) to the node's dtype.
    Cast,
    /// `-x` (int64, float64).
    Neg,
    /// `~x`: logical not on bool, bitwise not on int64.
    Invert,
    /// `+`; on bool, logical or (NumPy).
    Add,
    /// `-` (int64, float64).
    Sub,
    /// `*`; on bool, logical and (NumPy).
    Mul,
    /// `/` (float64 only; ints are cast first).
    Div,
    /// `//` (int64, float64).
    FloorDiv,
    /// `%` (int64, float64).
    Mod,
    /// `**` (int64, float64).
    Pow,
    /// `<<` (int64).
    Shl,
    /// `>>` (int64).
    Shr,
    /// `&`: logical on bool, bitwise on int64.
    And,
    /// `|`: logical on bool, bitwise on int64.
    Or,
    /// `^`: logical on bool, bitwise on int64.
    Xor,
    /// A comparison; operands share a dtype, the result is bool.
    Cmp(Cmp),
    /// A function; operands are typed by [`Func::sig`] (`where`'s condition is bool).
    Call(Func),
}

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
    /// The inputs, indexed by [`Op::Input`].
    pub inputs: Vec<Input>,
    /// The byte-string literals, indexed by [`Scalar::Str`].
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
                Op::Cmp(c) => format!("{c:?}").to_lowercase(),
                other => format!("{other:?}").to_lowercase(),
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

    /// The node with id `id`.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
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
                let v = interp::apply(op, dtype, &values);
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

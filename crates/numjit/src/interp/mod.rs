//! Owns the reference interpreter: a typed program evaluated element by element in plain Rust, the oracle the JIT is tested against.
//! Must not touch codegen, exec or any generated code: every value comes from `semantics::apply`.
//!
//! Provides the reference interpreter: [`apply`] gives one operation's value on scalars and
//! [`run`] evaluates a whole [`Program`] element by element. It is slow and obviously right, and
//! it is the oracle the JIT is tested against (constant folding uses [`apply`] too).
//!
//! It knows nothing about Cranelift, chunks or threads.

use crate::ir::Program;
use crate::semantics::{scalar as s, Func};
use crate::semantics::{Cmp, Op};
use crate::types::raw;
use crate::types::Scalar;
use crate::types::{Arg, Array, DType};
use ndarray::{ArrayD, IxDyn};

/// Evaluates `program` on `args` (one per program input, in order) into a new array of
/// `shape`, one element at a time with NumPy broadcasting.
pub fn run(program: &Program, args: &[&Arg<'_>], shape: &[usize]) -> Array {
    let total: usize = shape.iter().product();
    let mut values = vec![Scalar::Bool(false); program.nodes.len()];
    // The bytes of byte-string nodes (their `values` entry is unused).
    let mut strings: Vec<Vec<u8>> = vec![Vec::new(); program.nodes.len()];
    let mut results = Vec::with_capacity(total);
    let mut idx = vec![0usize; shape.len()];
    for flat in 0..total {
        // Unravel the row-major flat index.
        let mut rem = flat;
        for d in (0..shape.len()).rev() {
            idx[d] = rem % shape[d];
            rem /= shape[d];
        }
        for (i, node) in program.nodes.iter().enumerate() {
            values[i] = match node.op {
                Op::Input(k) => {
                    let arg = args[k];
                    let nd = arg.shape().len();
                    // Broadcasting: align trailing axes; length-1 axes repeat index 0.
                    let aidx: Vec<usize> = (0..nd)
                        .map(|d| {
                            let od = shape.len() - nd + d;
                            if arg.shape()[d] == 1 {
                                0
                            } else {
                                idx[od]
                            }
                        })
                        .collect();
                    if let DType::Bytes(_) = arg.dtype() {
                        strings[i] = raw::read_bytes(arg, &aidx);
                        Scalar::Bool(false)
                    } else {
                        raw::read(arg, &aidx)
                    }
                }
                Op::Const(Scalar::Str(k, _)) => {
                    strings[i] = program.strings[k as usize].clone();
                    Scalar::Bool(false)
                }
                Op::Cmp(c) if matches!(program.nodes[node.args[0]].dtype, DType::Bytes(_)) => {
                    let (a, b) = (&strings[node.args[0]], &strings[node.args[1]]);
                    let o = s::bytes_cmp(a, b);
                    use std::cmp::Ordering::*;
                    Scalar::Bool(match c {
                        Cmp::Lt => o == Less,
                        Cmp::Le => o != Greater,
                        Cmp::Eq => o == Equal,
                        Cmp::Ne => o != Equal,
                        Cmp::Ge => o != Less,
                        Cmp::Gt => o == Greater,
                    })
                }
                Op::Call(Func::Contains) => {
                    let (a, b) = (&strings[node.args[0]], &strings[node.args[1]]);
                    Scalar::Bool(s::bytes_contains(a, b))
                }
                op => {
                    let a: Vec<Scalar> = node.args.iter().map(|&j| values[j]).collect();
                    crate::semantics::apply::apply(op, node.dtype, &a)
                }
            };
        }
        results.push(values[program.root]);
    }
    let s = IxDyn(shape);
    let err = "shape and length agree by construction";
    macro_rules! build {
        ($variant:ident, $pat:pat => $v:expr) => {
            Array::$variant(
                ArrayD::from_shape_vec(
                    s,
                    results
                        .iter()
                        .map(|r| match *r {
                            $pat => $v,
                            _ => unreachable!("every result has the program's dtype"),
                        })
                        .collect(),
                )
                .expect(err),
            )
        };
    }
    match program.dtype() {
        DType::Bool => build!(Bool, Scalar::Bool(b) => b),
        DType::Int32 => build!(Int32, Scalar::Int32(i) => i),
        DType::Int64 => build!(Int64, Scalar::Int(i) => i),
        DType::Float32 => build!(Float32, Scalar::Float32(x) => x),
        DType::Float64 => build!(Float64, Scalar::Float(x) => x),
        DType::Complex128 => build!(Complex128, Scalar::Complex(z) => z),
        DType::Bytes(_) => unreachable!("checking refuses byte-string results"),
    }
}

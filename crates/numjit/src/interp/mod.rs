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
use numjit_syntax::Error;

/// Writes `v` (of the result's dtype) at C-order position `flat` of `result`.
fn store(result: &mut Array, flat: usize, v: Scalar) {
    let err = "the result is C-contiguous";
    match (result, v) {
        (Array::Bool(a), Scalar::Bool(x)) => a.as_slice_mut().expect(err)[flat] = x,
        (Array::Int32(a), Scalar::Int32(x)) => a.as_slice_mut().expect(err)[flat] = x,
        (Array::Int64(a), Scalar::Int(x)) => a.as_slice_mut().expect(err)[flat] = x,
        (Array::Float32(a), Scalar::Float32(x)) => a.as_slice_mut().expect(err)[flat] = x,
        (Array::Float64(a), Scalar::Float(x)) => a.as_slice_mut().expect(err)[flat] = x,
        (Array::Complex128(a), Scalar::Complex(x)) => a.as_slice_mut().expect(err)[flat] = x,
        _ => unreachable!("every result has the program's dtype"),
    }
}

/// Evaluates `program` on `args` (one per program input, in order) into a new array of
/// `shape`, one element at a time with NumPy broadcasting. The result is allocated first,
/// fallibly: an out-of-memory error (without a span) when the allocator refuses.
pub fn run(program: &Program, args: &[&Arg<'_>], shape: &[usize]) -> Result<Array, Error> {
    let total: usize = shape.iter().product();
    let mut result = Array::try_zeros(program.dtype(), shape)?;
    let mut values = vec![Scalar::Bool(false); program.nodes.len()];
    // The bytes of byte-string nodes (their `values` entry is unused).
    let mut strings: Vec<Vec<u8>> = vec![Vec::new(); program.nodes.len()];
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
        store(&mut result, flat, values[program.root]);
    }
    Ok(result)
}

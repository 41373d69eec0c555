//! Owns the AVX-512 row loop: x86-64 machine code, encoded byte by byte here, that computes a kernel's float operations on 512-bit vectors (8 float64 or 16 float32 lanes) over a whole row.
//! Must not touch Cranelift IR, threads or memory: it returns bytes that `codegen` defines as a function of the kernel's own JIT module, which the kernel calls once per row.
//!
//! Cranelift's x86-64 backend emits 128-bit vectors only, so an arithmetic kernel such as the
//! diffusion stencil (five loads, seven floating-point operations per element) is bound by the
//! CPU's two vector ports at two lanes. On a CPU with AVX-512 a kernel whose per-element
//! nodes are all float64 (or all float32) `+ - * /`, negation, `abs`, `sqrt`, `floor`,
//! `ceil`, `trunc`, `round`, `maximum`, `minimum`, (float64) constant powers and `%`, and
//! `where` over comparisons of such
//! values (and `& | ^ ~` of those), over contiguous inputs (float64 ones also strided, read
//! with gathers) and hoisted scalars, gets a
//! [`Plan`]: this module writes the body as instructions over values (a constant power
//! expands into `refmath::pow_const`'s double-double sequence, operation for operation, with
//! fused multiply-adds, compares into mask registers and blends), allocates one `zmm` (or
//! mask) register per live value, encodes the loop (eight or sixteen elements per iteration,
//! then the row's last partial vector with masked loads and a masked store) and returns it
//! as bytes. Each instruction is the IEEE operation the 2-lane and scalar loops use (`fneg`
//! and `fabs` are sign-bit `xor` and `and` there too, `fma` rounds once in both), so every
//! lane gets the same bits as those loops and the interpreter.
//!
//! The routine's contract (System V): `rdi` points to the element pointers of the operands in
//! [`Plan::operands`] order (the output first), `rsi` to one 8-byte slot per entry of
//! [`Plan::slots`] (a hoisted value, or bits the code needs, such as the sign mask) followed
//! by [`CONTROL_SLOTS`] slots, and `rdx` holds the count of whole vectors' elements, a
//! multiple of [`Plan::lanes`]; the last control slot masks the elements of one more,
//! partial vector (the rest of the row), which it computes with masked loads and stores. It
//! reads and writes nothing else, saves the callee-saved registers it uses and clears the
//! upper vector state before returning. It returns −1 in `rax`, or, if it has a `%` and met
//! values outside that operation's fast path, the index of the first element it did not
//! store (the kernel's own loops compute the row from there).

use super::{Access, Level};
use crate::ir::{NodeId, Program};
use crate::semantics::{Cmp, Func, Op};
use crate::types::DType;
use std::sync::atomic::AtomicBool;

/// What the kernel stores in one scalar slot before the call.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Slot {
    /// The value of a hoisted node (once per call or per row), of the kernel's float type.
    Node(NodeId),
    /// A constant bit pattern the code broadcasts (the sign or magnitude mask).
    Bits(u64),
    /// The bytes operand `k` (a strided input) advances per vector: lanes × inner stride.
    Step(usize),
}

/// A kernel's AVX-512 row routine and what it expects from its caller.
#[derive(Clone, Debug)]
pub(super) struct Plan {
    /// The machine code.
    pub code: Vec<u8>,
    /// Elements per iteration: the count passed must be a multiple of it.
    pub lanes: usize,
    /// The operands (0 the output, k + 1 input k) whose element pointers the caller passes,
    /// in this order.
    pub operands: Vec<usize>,
    /// The caller's scalar slots, in order.
    pub slots: Vec<Slot>,
    /// Whether the routine may stop early: a float64 `%` whose operands its fast path does not
    /// cover (NaN, infinities, a zero divisor, quotients of 2⁵² and more) makes it return the
    /// index of the first element of that vector, from which the kernel's own loops finish
    /// the row; otherwise it returns −1 (the whole row done). Such rows store plainly.
    pub bails: bool,
    /// The strided inputs (operands, numbered as in `operands`' entries), read with gathers:
    /// after the control slots the caller passes, for each, [`LANE_SLOTS`] slots holding
    /// lane × inner stride for lanes 0, 1, ... (the gather's byte offsets). Rows with strided
    /// inputs never use streaming stores (the caller passes −1 for them).
    pub strided: Vec<usize>,
}

/// Slots per strided input after the control slots: one byte offset per lane.
pub(super) const LANE_SLOTS: usize = 8;

/// Strided inputs a routine may gather from (each holds one vector register for its
/// offsets).
const MAX_STRIDED: usize = 4;

/// Whether rows store with streaming (cache-bypassing) stores: a hint `exec` sets before each
/// run from the output's size (see `codegen::stream_stores`) and kernels read once per row.
/// Either value gives the same results, so calls running at once on other threads only cost
/// each other speed, never correctness.
pub(super) static STREAM: AtomicBool = AtomicBool::new(false);

/// Registers, numbered as the instruction set does.
const RAX: u8 = 0;
const RSI: u8 = 6;
const RDI: u8 = 7;
/// Base registers for operand pointers, in the order they are taken: caller-saved first,
/// then callee-saved (pushed and popped). `rsp`, `rbp` and `r13` are left out (their
/// encodings as a base need a displacement), `rax` is the index, `rdx` the end and `r11`
/// scratch.
const BASES: [u8; 10] = [1, 8, 9, 10, RSI, RDI, 3, 12, 14, 15];
/// Scratch: the streaming stores' head length.
const R11: u8 = 11;
/// Vector registers.
const ZMMS: usize = 32;

/// The plan for this kernel, if every per-element node fits: `layout` is the operands'
/// access (output first), `levels` each node's [`Level`].
pub(super) fn plan(program: &Program, layout: &[Access], levels: &[Level]) -> Option<Plan> {
    let dt = program.dtype();
    let (lanes, wide) = match dt {
        DType::Float64 => (8, true),
        DType::Float32 => (16, false),
        _ => return None,
    };
    let root = program.root;
    if layout[0] != Access::Contiguous || levels[root] != Level::Element {
        return None;
    }
    let mut b = Body {
        wide,
        slots: Vec::new(),
        code: Vec::new(),
        values: 0,
    };
    let sign: u64 = if wide { 1 << 63 } else { 1 << 31 };
    // The value of each element node: a vector, or a mask (bool nodes).
    let mut value: Vec<Option<Val>> = vec![None; program.nodes.len()];
    let mut operands = vec![0usize];
    let mut strided: Vec<usize> = Vec::new();
    let mut bails = false;
    for (id, node) in program.nodes.iter().enumerate() {
        if levels[id] != Level::Element {
            continue;
        }
        let is_bool = node.dtype == DType::Bool;
        if node.dtype != dt && !is_bool {
            return None;
        }
        // A float operand: an element node's vector or a hoisted value's slot.
        let arg = |b: &mut Body, k: usize| {
            let a = node.args[k];
            match value[a] {
                Some(Val::Vector(v)) => Some(v),
                Some(Val::Mask(_)) => None,
                None if program.nodes[a].dtype == dt => Some(b.slot(Slot::Node(a))),
                None => None,
            }
        };
        // A bool operand: an element node's mask (hoisted bools are left to the other loops).
        let mask = |k: usize| match value[node.args[k]] {
            Some(Val::Mask(m)) => Some(m),
            _ => None,
        };
        if is_bool {
            let m = match node.op {
                Op::Cmp(c) if program.nodes[node.args[0]].dtype == dt => {
                    let (x, y) = (arg(&mut b, 0)?, arg(&mut b, 1)?);
                    let pred = match c {
                        Cmp::Lt => LT,
                        Cmp::Le => LE,
                        Cmp::Eq => EQ,
                        Cmp::Ne => NE,
                        Cmp::Ge => GE,
                        Cmp::Gt => GT,
                    };
                    b.compare(x, y, pred)
                }
                Op::And | Op::Or | Op::Xor | Op::Add | Op::Mul => {
                    let (x, y) = (mask(0)?, mask(1)?);
                    // On bools `+` is `|` and `*` is `&` (NumPy).
                    let opcode = match node.op {
                        Op::And | Op::Mul => 0x41,
                        Op::Or | Op::Add => 0x45,
                        _ => 0x47,
                    };
                    b.push_mask(|dst| Vins::Mask {
                        opcode,
                        dst,
                        a: x,
                        b: y,
                    })
                }
                Op::Invert => {
                    let x = mask(0)?;
                    b.push_mask(|dst| Vins::Not { dst, a: x })
                }
                _ => return None,
            };
            value[id] = Some(Val::Mask(m));
            continue;
        }
        let v = match node.op {
            Op::Input(k) if layout[k + 1] == Access::Contiguous => {
                let j = match operands.iter().position(|&o| o == k + 1) {
                    Some(j) => j,
                    None => {
                        operands.push(k + 1);
                        operands.len() - 1
                    }
                };
                b.push(|dst| Vins::Load { dst, operand: j })
            }
            // float64 only: eight lanes of 64-bit offsets (`vgatherqpd`).
            Op::Input(k) if layout[k + 1] == Access::Strided && wide => {
                let j = match operands.iter().position(|&o| o == k + 1) {
                    Some(j) => j,
                    None => {
                        operands.push(k + 1);
                        strided.push(k + 1);
                        operands.len() - 1
                    }
                };
                let index = strided.iter().position(|&o| o == k + 1).expect("pushed");
                b.slot(Slot::Step(k + 1));
                b.push(|dst| Vins::Gather {
                    dst,
                    operand: j,
                    index,
                })
            }
            Op::Add | Op::Sub | Op::Mul | Op::Div => {
                let op = match node.op {
                    Op::Add => Vop::Add,
                    Op::Sub => Vop::Sub,
                    Op::Mul => Vop::Mul,
                    _ => Vop::Div,
                };
                let (x, y) = (arg(&mut b, 0)?, arg(&mut b, 1)?);
                b.bin(op, x, y)
            }
            Op::Neg => {
                let x = arg(&mut b, 0)?;
                let m = b.slot(Slot::Bits(sign));
                b.bin(Vop::Xor, x, m)
            }
            Op::Call(Func::Abs) => {
                let x = arg(&mut b, 0)?;
                let magnitude = if wide { !sign } else { !sign & 0xffff_ffff };
                let m = b.slot(Slot::Bits(magnitude));
                b.bin(Vop::And, x, m)
            }
            Op::Call(Func::Sqrt) => {
                let x = arg(&mut b, 0)?;
                b.push(|dst| Vins::Sqrt { dst, a: x })
            }
            Op::Call(f @ (Func::Floor | Func::Ceil | Func::Trunc | Func::Round)) => {
                let x = arg(&mut b, 0)?;
                // vrndscale's rounding control, inexact suppressed; `round` is NumPy's
                // half to even.
                let mode = match f {
                    Func::Floor => 0x09,
                    Func::Ceil => 0x0A,
                    Func::Trunc => 0x0B,
                    _ => 0x08,
                };
                b.push(|dst| Vins::Round { dst, a: x, mode })
            }
            // float64 only: float32 powers are computed through float64.
            Op::PowConst(h) if wide => {
                let x = arg(&mut b, 0)?;
                b.pow_const(x, h)
            }
            // float64 only (float32 `%` is computed through float64 elsewhere).
            Op::Mod if wide => {
                let (x, y) = (arg(&mut b, 0)?, arg(&mut b, 1)?);
                bails = true;
                b.modulo(x, y, super::exact_reciprocal(program, node.args[1]))
            }
            Op::Call(f @ (Func::Maximum | Func::Minimum)) => {
                let (x, y) = (arg(&mut b, 0)?, arg(&mut b, 1)?);
                b.extremum(x, y, f == Func::Maximum)
            }
            Op::Call(Func::Where) => {
                let k = mask(0)?;
                let (yes, no) = (arg(&mut b, 1)?, arg(&mut b, 2)?);
                b.push(|dst| Vins::Blend { dst, k, no, yes })
            }
            _ => return None,
        };
        value[id] = Some(Val::Vector(v));
    }
    if operands.len() > BASES.len() || strided.len() > MAX_STRIDED {
        return None;
    }
    let Some(Val::Vector(Src::Value(out))) = value[root] else {
        return None;
    };
    // Each strided input's step, the slot its offsets advance by.
    let steps: Vec<usize> = strided
        .iter()
        .map(|&k| {
            b.slots
                .iter()
                .position(|&t| t == Slot::Step(k))
                .expect("a step slot per strided input")
        })
        .collect();
    let slots = b.slots.len();
    let code = encode(&b.code, out, operands.len(), slots, wide, &steps)?;
    Some(Plan {
        code,
        lanes,
        operands,
        slots: b.slots,
        bails,
        strided,
    })
}

/// An element node's value.
#[derive(Clone, Copy, Debug)]
enum Val {
    Vector(Src),
    /// A mask value (a bool node).
    Mask(usize),
}

/// Where an operand comes from.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Src {
    /// The register of an earlier instruction's result (numbered in order).
    Value(usize),
    /// A scalar slot, broadcast once before the loop.
    Slot(usize),
}

/// The two-operand vector instructions the plan uses.
#[derive(Clone, Copy, Debug)]
enum Vop {
    Add,
    Sub,
    Mul,
    Div,
    /// Bitwise, on the float bits (the sign flip of `-x`).
    Xor,
    /// Bitwise, on the float bits (`abs`, ties of `maximum`).
    And,
    /// Bitwise, on the float bits (ties of `minimum`).
    Or,
}

/// Fused multiply-adds, rounded once: `a·b + c`, `a·b − c`, `−(a·b) + c`.
#[derive(Clone, Copy, Debug)]
enum Fma {
    Add,
    Sub,
    NegAdd,
}

/// Comparison predicates (`vcmppd`'s immediate): ordered and quiet, as IEEE comparisons are
/// false on NaN, except `!=` (unordered: true on NaN), and the NaN test itself.
const EQ: u8 = 0x00;
const LT: u8 = 0x11;
const LE: u8 = 0x12;
const UNORDERED: u8 = 0x03;
const NE: u8 = 0x04;
/// Not less than, unordered (true on NaN): `!(a < b)`.
const NLT: u8 = 0x05;
const GE: u8 = 0x1D;
const GT: u8 = 0x1E;

/// The mask registers values may take (k1, k2 and k7 hold store masks for the whole call);
/// the last is the gathers' ([`K_GATHER`]) when a routine has strided inputs.
const MASKS: [u8; 4] = [3, 4, 5, 6];
/// The gathers' mask (a gather clears it as it loads).
const K_GATHER: u8 = 6;
/// The mask of the row's last, partial vector.
const K_REST: u8 = 7;

/// One instruction over values (virtual registers), each value defined once.
#[derive(Clone, Copy, Debug)]
enum Vins {
    /// `dst = [operand_j + rax]`.
    Load {
        dst: usize,
        operand: usize,
    },
    /// `dst` gathered from operand `j`'s pointer at the offsets of strided input `index`.
    Gather {
        dst: usize,
        operand: usize,
        index: usize,
    },
    Binary {
        op: Vop,
        dst: usize,
        a: Src,
        b: Src,
    },
    Sqrt {
        dst: usize,
        a: Src,
    },
    /// `vrndscale` with rounding control `mode`.
    Round {
        dst: usize,
        a: Src,
        mode: u8,
    },
    Fma {
        kind: Fma,
        dst: usize,
        a: Src,
        b: Src,
        c: Src,
    },
    /// The mask `dst` = lanes where `a pred b`.
    Compare {
        dst: usize,
        a: Src,
        b: Src,
        pred: u8,
    },
    /// `dst = a op b` on masks (`kandw` 0x41, `korw` 0x45, `kxorw` 0x47).
    Mask {
        opcode: u8,
        dst: usize,
        a: usize,
        b: usize,
    },
    /// `dst = !a` on masks.
    Not {
        dst: usize,
        a: usize,
    },
    /// Leave the routine, returning this vector's first element index, if a lane of mask
    /// `k` (among the lanes the vector stores) is set.
    Bail {
        k: usize,
    },
    /// `dst = k ? yes : no` (`k` a mask value).
    Blend {
        dst: usize,
        k: usize,
        no: Src,
        yes: Src,
    },
}

impl Vins {
    /// The value defined, and whether it is a mask (`None`: defines nothing).
    fn dst(&self) -> Option<(usize, bool)> {
        Some(match *self {
            Vins::Load { dst, .. }
            | Vins::Gather { dst, .. }
            | Vins::Binary { dst, .. }
            | Vins::Sqrt { dst, .. }
            | Vins::Round { dst, .. }
            | Vins::Fma { dst, .. }
            | Vins::Blend { dst, .. } => (dst, false),
            Vins::Compare { dst, .. } | Vins::Mask { dst, .. } | Vins::Not { dst, .. } => {
                (dst, true)
            }
            Vins::Bail { .. } => return None,
        })
    }

    /// The vector operands.
    fn srcs(&self) -> Vec<Src> {
        match *self {
            Vins::Load { .. }
            | Vins::Gather { .. }
            | Vins::Mask { .. }
            | Vins::Not { .. }
            | Vins::Bail { .. } => vec![],
            Vins::Binary { a, b, .. } | Vins::Compare { a, b, .. } => vec![a, b],
            Vins::Blend { no, yes, .. } => vec![no, yes],
            Vins::Sqrt { a, .. } | Vins::Round { a, .. } => vec![a],
            Vins::Fma { a, b, c, .. } => vec![a, b, c],
        }
    }

    /// The mask operands.
    fn masks(&self) -> Vec<usize> {
        match *self {
            Vins::Mask { a, b, .. } => vec![a, b],
            Vins::Not { a, .. } => vec![a],
            Vins::Blend { k, .. } | Vins::Bail { k } => vec![k],
            _ => vec![],
        }
    }
}

/// The loop body under construction: scalar slots and instructions over values.
struct Body {
    wide: bool,
    slots: Vec<Slot>,
    code: Vec<Vins>,
    values: usize,
}

/// A double-double value `hi + lo` (`lo` absent when known to be zero), as
/// `refmath::pow_const` computes with.
type Dd = (Src, Option<Src>);

impl Body {
    fn slot(&mut self, s: Slot) -> Src {
        let j = match self.slots.iter().position(|&t| t == s) {
            Some(j) => j,
            None => {
                self.slots.push(s);
                self.slots.len() - 1
            }
        };
        Src::Slot(j)
    }

    fn constant(&mut self, x: f64) -> Src {
        self.slot(Slot::Bits(x.to_bits()))
    }

    /// Appends the instruction `f(dst)` for a new value and returns it.
    fn push(&mut self, f: impl FnOnce(usize) -> Vins) -> Src {
        let dst = self.values;
        self.values += 1;
        self.code.push(f(dst));
        Src::Value(dst)
    }

    fn bin(&mut self, op: Vop, a: Src, b: Src) -> Src {
        self.push(|dst| Vins::Binary { op, dst, a, b })
    }

    fn fma(&mut self, kind: Fma, a: Src, b: Src, c: Src) -> Src {
        self.push(|dst| Vins::Fma { kind, dst, a, b, c })
    }

    /// Appends the mask instruction `f(dst)` for a new mask value and returns it.
    fn push_mask(&mut self, f: impl FnOnce(usize) -> Vins) -> usize {
        let dst = self.values;
        self.values += 1;
        self.code.push(f(dst));
        dst
    }

    fn compare(&mut self, a: Src, b: Src, pred: u8) -> usize {
        self.push_mask(|dst| Vins::Compare { dst, a, b, pred })
    }

    /// `scalar::maximum_f64(a, b)` (or `minimum_f64`): `b` if it is NaN, else `a` if it is
    /// NaN (quieted, as the other loops return it), else on a tie (`-0 == +0`) the bitwise `and` (`or`) of the two, which is `+0`
    /// (`-0`) when they differ and either when they are equal, else the larger (smaller).
    fn extremum(&mut self, a: Src, b: Src, max: bool) -> Src {
        let first = self.compare(a, b, if max { GT } else { LT });
        let t = self.push(|dst| Vins::Blend {
            dst,
            k: first,
            no: b,
            yes: a,
        });
        let tie = self.compare(a, b, EQ);
        let both = self.bin(if max { Vop::And } else { Vop::Or }, a, b);
        let t = self.push(|dst| Vins::Blend {
            dst,
            k: tie,
            no: t,
            yes: both,
        });
        // A NaN operand comes back quiet (`x + x`), as from the 2-lane and scalar loops.
        let a_nan = self.compare(a, a, UNORDERED);
        let quiet_a = self.bin(Vop::Add, a, a);
        let t = self.push(|dst| Vins::Blend {
            dst,
            k: a_nan,
            no: t,
            yes: quiet_a,
        });
        let b_nan = self.compare(b, b, UNORDERED);
        let quiet_b = self.bin(Vop::Add, b, b);
        self.push(|dst| Vins::Blend {
            dst,
            k: b_nan,
            no: t,
            yes: quiet_b,
        })
    }

    /// `semantics`' float64 `%` (NumPy's remainder), operation for operation as the 2-lane
    /// loop's `vector_mod` computes it where its fast path holds (|a| < 2⁵²·|b|, b finite:
    /// `fmod` is `a − trunc(a/b)·b`, exact by fma, one `b` more if the rounded quotient was
    /// one too large, then NumPy's sign rule); a vector with any other lane bails (`Bail`),
    /// and the kernel's own loops compute the row from there. `recip`: `1/b` when `b` is a
    /// constant power of two (the same quotient by a multiplication).
    fn modulo(&mut self, a: Src, b: Src, recip: Option<f64>) -> Src {
        let q = match recip {
            Some(r) => {
                let r = self.constant(r);
                self.bin(Vop::Mul, a, r)
            }
            None => self.bin(Vop::Div, a, b),
        };
        let q = self.push(|dst| Vins::Round {
            dst,
            a: q,
            mode: 0x0B,
        });
        let r = self.fma(Fma::NegAdd, q, b, a);
        let zero = self.constant(0.0);
        let sign = self.constant(-0.0);
        let magnitude = self.slot(Slot::Bits(!(1u64 << 63)));
        // The wrong sign: r ≠ 0 and sign(r) ≠ sign(a); then one more b, signed as a.
        let r_neg = self.compare(r, zero, LT);
        let a_pos = self.compare(a, zero, GT);
        let w1 = self.mask_and_or(0x41, r_neg, a_pos);
        let r_pos = self.compare(r, zero, GT);
        let a_neg = self.compare(a, zero, LT);
        let w2 = self.mask_and_or(0x41, r_pos, a_neg);
        let wrong = self.mask_and_or(0x45, w1, w2);
        let a_sign = self.bin(Vop::And, a, sign);
        let b_magnitude = self.bin(Vop::And, b, magnitude);
        let step = self.bin(Vop::Or, a_sign, b_magnitude);
        let fixed = self.bin(Vop::Add, r, step);
        let m = self.push(|dst| Vins::Blend {
            dst,
            k: wrong,
            no: r,
            yes: fixed,
        });
        // NumPy: a nonzero remainder takes the divisor's sign; a zero one is ±0 as b.
        let m_neg = self.compare(m, zero, LT);
        let b_nonneg = self.compare(b, zero, NLT);
        let d1 = self.mask_and_or(0x41, m_neg, b_nonneg);
        let m_pos = self.compare(m, zero, GT);
        let b_neg = self.compare(b, zero, LT);
        let d2 = self.mask_and_or(0x41, m_pos, b_neg);
        let differ = self.mask_and_or(0x45, d1, d2);
        let shifted = self.bin(Vop::Add, m, b);
        let m = self.push(|dst| Vins::Blend {
            dst,
            k: differ,
            no: m,
            yes: shifted,
        });
        let m_zero = self.compare(m, zero, EQ);
        let signed_zero = self.bin(Vop::And, b, sign);
        let fast = self.push(|dst| Vins::Blend {
            dst,
            k: m_zero,
            no: m,
            yes: signed_zero,
        });
        // Where the fast path does not hold: !(|a| < 2⁵²·|b|) or !(|b| < inf), NaN included.
        let abs_a = self.bin(Vop::And, a, magnitude);
        let abs_b = self.bin(Vop::And, b, magnitude);
        let limit = self.constant(4503599627370496.0);
        let bound = self.bin(Vop::Mul, abs_b, limit);
        let big = self.compare(abs_a, bound, NLT);
        let inf = self.constant(f64::INFINITY);
        let infinite = self.compare(abs_b, inf, NLT);
        let bad = self.mask_and_or(0x45, big, infinite);
        self.code.push(Vins::Bail { k: bad });
        fast
    }

    /// `kandw` (0x41) or `korw` (0x45) of two mask values.
    fn mask_and_or(&mut self, opcode: u8, a: usize, b: usize) -> usize {
        self.push_mask(|dst| Vins::Mask { opcode, dst, a, b })
    }

    /// `refmath::pow_const_lanes(x, halves)`, operation for operation.
    fn pow_const(&mut self, x: Src, halves: i32) -> Src {
        debug_assert!(self.wide);
        let half = halves % 2 != 0;
        let x = if half {
            // -inf → +inf, else x + 0.0 (−0 → +0).
            let zero = self.constant(0.0);
            let plus = self.bin(Vop::Add, x, zero);
            let neg_inf = self.constant(f64::NEG_INFINITY);
            let inf = self.constant(f64::INFINITY);
            let k = self.compare(x, neg_inf, EQ);
            self.push(|dst| Vins::Blend {
                dst,
                k,
                no: plus,
                yes: inf,
            })
        } else {
            x
        };
        let base: Dd = if halves < 0 {
            let one = self.constant(1.0);
            let r = self.bin(Vop::Div, one, x);
            let e = self.fma(Fma::NegAdd, r, x, one);
            (r, Some(self.bin(Vop::Mul, e, r)))
        } else {
            (x, None)
        };
        let root = half.then(|| self.dd_sqrt(base));
        let mut n = halves.unsigned_abs() / 2;
        let mut acc: Option<Dd> = None;
        let mut b = base;
        while n > 0 {
            if n & 1 == 1 {
                acc = Some(match acc {
                    None => b,
                    Some(a) => self.dd_mul(a, b),
                });
            }
            n >>= 1;
            if n > 0 {
                b = self.dd_sqr(b);
            }
        }
        if let Some(s) = root {
            acc = Some(match acc {
                None => s,
                Some(a) => self.dd_mul(a, s),
            });
        }
        let Some((p, e)) = acc else {
            return self.constant(1.0);
        };
        match e {
            None => p,
            Some(e) => {
                // p + e, unless that is NaN or p is zero: then p.
                let r = self.bin(Vop::Add, p, e);
                let zero = self.constant(0.0);
                let nan = self.compare(r, r, UNORDERED);
                let zero_p = self.compare(p, zero, EQ);
                let k = self.push_mask(|dst| Vins::Mask {
                    opcode: 0x45,
                    dst,
                    a: nan,
                    b: zero_p,
                });
                self.push(|dst| Vins::Blend {
                    dst,
                    k,
                    no: r,
                    yes: p,
                })
            }
        }
    }

    fn dd_mul(&mut self, (ah, al): Dd, (bh, bl): Dd) -> Dd {
        let p = self.bin(Vop::Mul, ah, bh);
        let e = self.fma(Fma::Sub, ah, bh, p);
        let t = match (al, bl) {
            (None, None) => return (p, Some(e)),
            (Some(al), None) => self.bin(Vop::Mul, al, bh),
            (None, Some(bl)) => self.bin(Vop::Mul, ah, bl),
            (Some(al), Some(bl)) => {
                let lb = self.bin(Vop::Mul, al, bh);
                self.fma(Fma::Add, ah, bl, lb)
            }
        };
        (p, Some(self.bin(Vop::Add, e, t)))
    }

    fn dd_sqr(&mut self, (ah, al): Dd) -> Dd {
        let p = self.bin(Vop::Mul, ah, ah);
        let e = self.fma(Fma::Sub, ah, ah, p);
        match al {
            None => (p, Some(e)),
            Some(al) => {
                let t = self.bin(Vop::Mul, ah, al);
                let tt = self.bin(Vop::Add, t, t);
                (p, Some(self.bin(Vop::Add, e, tt)))
            }
        }
    }

    fn dd_sqrt(&mut self, (h, l): Dd) -> Dd {
        let s = self.push(|dst| Vins::Sqrt { dst, a: h });
        let r = self.fma(Fma::NegAdd, s, s, h);
        let r = match l {
            None => r,
            Some(l) => self.bin(Vop::Add, r, l),
        };
        let twice = self.bin(Vop::Add, s, s);
        (s, Some(self.bin(Vop::Div, r, twice)))
    }
}

/// One instruction of the loop body, registers allocated.
#[derive(Clone, Copy, Debug)]
enum Ins {
    /// `vmovupd/ps zmm_dst, [base_j + rax]`.
    Load { dst: u8, operand: usize },
    /// `vpxorq zmm_dst, zmm_dst, zmm_dst`, then `vgatherqpd zmm_dst{k6}, [base_j + zmm_i]`
    /// (`zmm_i` the offsets of strided input `index`), all lanes or the row's rest.
    Gather {
        dst: u8,
        operand: usize,
        index: usize,
    },
    /// `op zmm_dst, zmm_a, zmm_b` (`pp` 1 for the 66 prefix).
    Binary {
        opcode: u8,
        pp: u8,
        dst: u8,
        a: u8,
        b: u8,
    },
    /// `vsqrtpd/ps zmm_dst, zmm_a`.
    Sqrt { dst: u8, a: u8 },
    /// `vrndscalepd/ps zmm_dst, zmm_a, mode`.
    Round { dst: u8, a: u8, mode: u8 },
    /// `vmovapd zmm_dst, zmm_a` then `vfm*213pd zmm_dst, zmm_b, zmm_c`.
    Fma {
        opcode: u8,
        dst: u8,
        a: u8,
        b: u8,
        c: u8,
    },
    /// `vcmppd/ps k, zmm_a, zmm_b, pred`.
    Compare { k: u8, a: u8, b: u8, pred: u8 },
    /// `kandw/korw/kxorw k, a, b`.
    Mask { opcode: u8, k: u8, a: u8, b: u8 },
    /// `knotw k, a`.
    Not { k: u8, a: u8 },
    /// Leave if a stored lane of `k` is set (`k` may be clobbered).
    Bail { k: u8 },
    /// `vblendmpd/ps zmm_dst{k}, zmm_no, zmm_yes`.
    Blend { dst: u8, k: u8, no: u8, yes: u8 },
}

/// How the body's result is stored.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Store {
    /// `vmovupd/ps`.
    Plain,
    /// `vmovupd/ps` under mask register k1 or k2.
    Masked(u8),
    /// The row's last, partial vector: loads zero the lanes past the row's end and the
    /// store leaves them alone (mask `K_REST`).
    Rest,
    /// `vmovntpd/ps`: the address is 64-byte aligned.
    Stream,
}

/// Allocates registers: slots take `zmm0..` and the strided inputs' offsets the next
/// `offsets` (live for the whole loop), each value a free vector or mask register from its
/// instruction to its last use (`out`, the result, to the store); gathers take [`K_GATHER`]
/// off the value masks. Returns the body and the result's register, or `None` past 32 vector
/// or the free mask registers.
fn allocate(
    code: &[Vins],
    out: usize,
    (slots, offsets): (usize, usize),
    pp: u8,
) -> Option<(Vec<Ins>, u8)> {
    let values = code
        .iter()
        .filter_map(|i| i.dst().map(|d| d.0))
        .max()
        .map_or(0, |m| m + 1);
    let mut last = vec![None; values];
    for (at, ins) in code.iter().enumerate() {
        let vectors = ins.srcs().into_iter().filter_map(|s| match s {
            Src::Value(v) => Some(v),
            Src::Slot(_) => None,
        });
        for v in vectors.chain(ins.masks()) {
            last[v] = Some(at);
        }
    }
    if slots + offsets >= ZMMS {
        return None;
    }
    let mut free: Vec<u8> = ((slots + offsets) as u8..ZMMS as u8).rev().collect();
    let masks = if offsets > 0 {
        &MASKS[..MASKS.len() - 1]
    } else {
        &MASKS[..]
    };
    let mut free_masks: Vec<u8> = masks.iter().rev().copied().collect();
    let mut reg: Vec<Option<u8>> = vec![None; values];
    let find = |reg: &[Option<u8>], s: Src| match s {
        Src::Slot(j) => j as u8,
        Src::Value(v) => reg[v].expect("operand computed before use"),
    };
    let mut body = Vec::with_capacity(code.len());
    for (at, ins) in code.iter().enumerate() {
        let srcs: Vec<u8> = ins.srcs().into_iter().map(|s| find(&reg, s)).collect();
        let masks: Vec<u8> = ins
            .masks()
            .into_iter()
            .map(|m| reg[m].expect("mask computed before use"))
            .collect();
        let release = |reg: &mut Vec<Option<u8>>, free: &mut Vec<u8>, fm: &mut Vec<u8>| {
            for s in ins.srcs() {
                if let Src::Value(v) = s {
                    if last[v] == Some(at) && v != out {
                        if let Some(r) = reg[v].take() {
                            free.push(r);
                        }
                    }
                }
            }
            for m in ins.masks() {
                if last[m] == Some(at) {
                    if let Some(r) = reg[m].take() {
                        fm.push(r);
                    }
                }
            }
        };
        // A fused multiply-add copies `a` into its destination before reading `b` and `c`,
        // so its destination must not be one of their registers: allocate, then release.
        let fused = matches!(ins, Vins::Fma { .. });
        if !fused {
            release(&mut reg, &mut free, &mut free_masks);
        }
        let Some((v, is_mask)) = ins.dst() else {
            // A bail reads its mask (whose register the release above gave back; the
            // instruction may clobber it) and defines nothing.
            body.push(Ins::Bail { k: masks[0] });
            continue;
        };
        let dst = if is_mask {
            free_masks.pop()?
        } else {
            free.pop()?
        };
        reg[v] = Some(dst);
        if fused {
            release(&mut reg, &mut free, &mut free_masks);
        }
        body.push(match *ins {
            Vins::Load { operand, .. } => Ins::Load { dst, operand },
            Vins::Gather { operand, index, .. } => Ins::Gather {
                dst,
                operand,
                index,
            },
            Vins::Binary { op, .. } => {
                let (opcode, pp) = match op {
                    Vop::Add => (0x58, pp),
                    Vop::Sub => (0x5C, pp),
                    Vop::Mul => (0x59, pp),
                    Vop::Div => (0x5E, pp),
                    Vop::Xor => (0xEF, 1),
                    Vop::And => (0xDB, 1),
                    Vop::Or => (0xEB, 1),
                };
                Ins::Binary {
                    opcode,
                    pp,
                    dst,
                    a: srcs[0],
                    b: srcs[1],
                }
            }
            Vins::Sqrt { .. } => Ins::Sqrt { dst, a: srcs[0] },
            Vins::Round { mode, .. } => Ins::Round {
                dst,
                a: srcs[0],
                mode,
            },
            Vins::Fma { kind, .. } => {
                let opcode = match kind {
                    Fma::Add => 0xA8,
                    Fma::Sub => 0xAA,
                    Fma::NegAdd => 0xAC,
                };
                Ins::Fma {
                    opcode,
                    dst,
                    a: srcs[0],
                    b: srcs[1],
                    c: srcs[2],
                }
            }
            Vins::Compare { pred, .. } => Ins::Compare {
                k: dst,
                a: srcs[0],
                b: srcs[1],
                pred,
            },
            Vins::Mask { opcode, .. } => Ins::Mask {
                opcode,
                k: dst,
                a: masks[0],
                b: masks[1],
            },
            Vins::Not { .. } => Ins::Not {
                k: dst,
                a: masks[0],
            },
            Vins::Bail { .. } => unreachable!("a bail defines nothing: handled above"),
            Vins::Blend { .. } => Ins::Blend {
                dst,
                k: masks[0],
                no: srcs[0],
                yes: srcs[1],
            },
        });
        // A value nothing reads gives its register back at once.
        if v != out && last[v].is_none() {
            if let Some(r) = reg[v].take() {
                if is_mask {
                    free_masks.push(r);
                } else {
                    free.push(r);
                }
            }
        }
    }
    let result = reg[out]?;
    Some((body, result))
}

/// Scalar slots the caller appends after the plan's own: for streaming stores the bytes
/// from the output pointer to the next 64-byte boundary (or −1: store normally), the mask of
/// the elements before that boundary and the mask of the rest of one vector; then the mask
/// of the elements of the row's last, partial vector (0: none).
pub(super) const CONTROL_SLOTS: usize = 4;

/// Encodes the routine: `None` if its values need more than the 32 vector registers.
///
/// Two loops: the plain one (unaligned loads and stores, 64 bytes per iteration), and when
/// the caller asks for streaming stores (large outputs, which would only evict the inputs
/// from the caches), one whose stores bypass the caches: the elements up to the output's next
/// 64-byte boundary are stored under a mask, then aligned streaming stores, then the last
/// vector again under the complementary mask (its loads stay in bounds; its first lanes are
/// recomputed and not stored), then `sfence`, so the stores are visible before the kernel
/// returns.
fn encode(
    code: &[Vins],
    result: usize,
    operands: usize,
    slots: usize,
    wide: bool,
    steps: &[usize],
) -> Option<Vec<u8>> {
    let (w, pp) = if wide { (true, 1) } else { (false, 0) };
    let (body, out) = allocate(code, result, (slots, steps.len()), pp)?;
    // Strided input i's offsets live in zmm(slots + i).
    let offsets = |i: usize| (slots + i) as u8;
    let mut a = Asm::default();
    let bases = &BASES[..operands];
    let saved: Vec<u8> = bases
        .iter()
        .copied()
        .filter(|&r| matches!(r, 3 | 12 | 14 | 15))
        .collect();
    for &r in &saved {
        a.push(r);
    }
    for j in 0..slots {
        // vbroadcastsd / vbroadcastss zmm_j, [rsi + 8j]
        let op = if wide { 0x19 } else { 0x18 };
        a.evex_disp(op, 2, 1, w, j as u8, RSI, 8 * j as i32);
    }
    for i in 0..steps.len() {
        // vmovupd zmm_offsets(i), [rsi + 8 (slots + control + 8i)]: lane × stride.
        let at = slots + CONTROL_SLOTS + LANE_SLOTS * i;
        a.evex_disp(0x10, 1, 1, true, offsets(i), RSI, 8 * at as i32);
    }
    // The streaming controls: r11 = head bytes (negative: plain stores), k1, k2 the masks.
    a.load_gpr(R11, RSI, 8 * slots as i32);
    a.kmovw_load(1, RSI, 8 * (slots + 1) as i32);
    a.kmovw_load(2, RSI, 8 * (slots + 2) as i32);
    a.kmovw_load(K_REST, RSI, 8 * (slots + 3) as i32);
    // Operand pointers; the one that lands in `rdi` last, as `rdi` holds the table.
    for (j, &base) in bases.iter().enumerate() {
        if base != RDI {
            a.load_gpr(base, RDI, 8 * j as i32);
        }
    }
    if let Some(j) = bases.iter().position(|&b| b == RDI) {
        a.load_gpr(RDI, RDI, 8 * j as i32);
    }
    let emit = |a: &mut Asm, store: Store| {
        for ins in &body {
            match *ins {
                Ins::Load { dst, operand } => {
                    // In the partial vector, masked and zeroing (`| 8`): no lane past the
                    // row's end is read.
                    let k = if store == Store::Rest { K_REST | 8 } else { 0 };
                    a.evex_sib(0x10, 1, pp, w, dst, 0, k, bases[operand], RAX)
                }
                Ins::Gather {
                    dst,
                    operand,
                    index,
                } => {
                    // A zeroed destination (the lanes a partial gather skips, and no wait
                    // for the register's last value), the lanes to load, the gather.
                    a.evex_rr(0xEF, 1, 1, true, dst, dst, dst);
                    if store == Store::Rest {
                        a.bytes(&[0xC5, 0xF8, 0x90, 0xC0 | K_GATHER << 3 | K_REST]);
                    // kmovw
                    } else {
                        a.kop(0x46, K_GATHER, K_GATHER, K_GATHER); // kxnorw: all ones
                    }
                    a.gather(dst, bases[operand], offsets(index), K_GATHER);
                }
                Ins::Binary {
                    opcode,
                    pp,
                    dst,
                    a: x,
                    b: y,
                } => a.evex_rr(opcode, 1, pp, w, dst, x, y),
                Ins::Sqrt { dst, a: x } => a.evex_rr(0x51, 1, pp, w, dst, 0, x),
                Ins::Round { dst, a: x, mode } => {
                    // EVEX.66.0F3A 09 (pd, W1) / 08 (ps, W0) ib
                    a.evex_rr(if w { 0x09 } else { 0x08 }, 3, 1, w, dst, 0, x);
                    a.bytes(&[mode]);
                }
                Ins::Fma {
                    opcode,
                    dst,
                    a: x,
                    b: y,
                    c: z,
                } => {
                    a.evex_rr(0x28, 1, 1, true, dst, 0, x); // vmovapd dst, a
                    a.evex_rr(opcode, 2, 1, true, dst, y, z);
                }
                Ins::Compare {
                    k,
                    a: x,
                    b: y,
                    pred,
                } => {
                    a.evex_rr(0xC2, 1, pp, w, k, x, y);
                    a.bytes(&[pred]);
                }
                Ins::Mask {
                    opcode,
                    k,
                    a: x,
                    b: y,
                } => a.kop(opcode, k, x, y),
                Ins::Not { k, a: x } => a.knotw(k, x),
                Ins::Bail { k } => {
                    if store == Store::Rest {
                        a.kop(0x41, k, k, K_REST); // only the row's lanes count
                    }
                    a.bytes(&[0xC5, 0xF8, 0x98, 0xC0 | k << 3 | k]); // kortestw k, k
                    let at = a.jump32(&[0x0F, 0x85]); // jnz bail
                    a.bails.push(at);
                }
                // vblendmpd (W1) / vblendmps (W0): EVEX.66.0F38 65.
                Ins::Blend { dst, k, no, yes } => a.evex_rr_masked(0x65, 2, 1, w, dst, no, yes, k),
            }
        }
        match store {
            Store::Plain => a.evex_sib(0x11, 1, pp, w, out, 0, 0, bases[0], RAX),
            Store::Masked(k) => a.evex_sib(0x11, 1, pp, w, out, 0, k, bases[0], RAX),
            Store::Rest => a.evex_sib(0x11, 1, pp, w, out, 0, K_REST, bases[0], RAX),
            Store::Stream => a.evex_sib(0x2B, 1, pp, w, out, 0, 0, bases[0], RAX),
        }
    };
    a.bytes(&[0x31, 0xC0]); // xor eax, eax
    a.bytes(&[0x48, 0xC1, 0xE2, if wide { 3 } else { 2 }]); // shl rdx, 3 | 2: bytes
    a.bytes(&[0x52]); // push rdx: where the partial vector starts
    a.bytes(&[0x48, 0x85, 0xD2]); // test rdx, rdx
    let empty = a.jump32(&[0x0F, 0x84]); // jz done
    let bails = code.iter().any(|i| matches!(i, Vins::Bail { .. }));
    if !steps.is_empty() || bails {
        // Gathers step their offsets, not `rax`, and a bail returns `rax`'s element: plain
        // stores only (the caller passes −1 for them too).
        a.bytes(&[0x4D, 0x31, 0xDB, 0x49, 0xF7, 0xD3]); // xor r11, r11; not r11
    }
    a.bytes(&[0x4D, 0x85, 0xDB]); // test r11, r11
    let plain = a.jump32(&[0x0F, 0x88]); // js plain
    let aligned = a.jump32(&[0x0F, 0x84]); // jz stream (no head, no tail)
    emit(&mut a, Store::Masked(1)); // the head, up to the boundary
    a.bytes(&[0x4C, 0x01, 0xD8]); // add rax, r11
    a.bytes(&[0x48, 0x83, 0xEA, 0x40]); // sub rdx, 64: the last vector is the tail's
    a.patch(aligned);
    let stream = a.b.len();
    a.bytes(&[0x4C, 0x01, 0xDA]); // add rdx, r11 (0 when aligned): end of the aligned part
    a.bytes(&[0x48, 0x39, 0xD0]); // cmp rax, rdx
    let streamed = a.jump32(&[0x0F, 0x83]); // jae tail
    emit(&mut a, Store::Stream);
    a.bytes(&[0x48, 0x83, 0xC0, 0x40]); // add rax, 64
    a.bytes(&[0x4C, 0x29, 0xDA]); // sub rdx, r11 (undo, the loop head adds it again)
    a.jump32_to(&[0xE9], stream);
    a.patch(streamed);
    a.bytes(&[0x4D, 0x85, 0xDB]); // test r11, r11
    let no_tail = a.jump32(&[0x0F, 0x84]); // jz fence
    a.bytes(&[0x4C, 0x29, 0xD8]); // sub rax, r11: the last whole vector
    emit(&mut a, Store::Masked(2));
    a.patch(no_tail);
    a.bytes(&[0x0F, 0xAE, 0xF8]); // sfence
    let fenced = a.jump32(&[0xE9]); // jmp done
    a.patch(plain);
    let top = a.b.len();
    emit(&mut a, Store::Plain);
    a.bytes(&[0x48, 0x83, 0xC0, 0x40]); // add rax, 64
    for (i, &step) in steps.iter().enumerate() {
        // vpaddq zmm_offsets(i), zmm_offsets(i), zmm_step
        a.evex_rr(0xD4, 1, 1, true, offsets(i), offsets(i), step as u8);
    }
    a.bytes(&[0x48, 0x39, 0xD0]); // cmp rax, rdx
    a.jump32_to(&[0x0F, 0x82], top); // jb top
    a.patch(empty);
    a.patch(fenced);
    // The partial vector, if the row has one.
    a.bytes(&[0xC5, 0xF8, 0x98, 0xFF]); // kortestw k7, k7
    let whole = a.jump32(&[0x0F, 0x84]); // jz done
    a.bytes(&[0x48, 0x8B, 0x04, 0x24]); // mov rax, [rsp]
    emit(&mut a, Store::Rest);
    a.patch(whole);
    a.bytes(&[0x48, 0xC7, 0xC0, 0xFF, 0xFF, 0xFF, 0xFF]); // mov rax, -1: the whole row done
    let epilogue = a.b.len();
    a.bytes(&[0x41, 0x5B]); // pop r11 (the pushed rdx)
    a.bytes(&[0xC5, 0xF8, 0x77]); // vzeroupper
    for &r in saved.iter().rev() {
        a.pop(r);
    }
    a.bytes(&[0xC3]); // ret
    if bails {
        // The bail exit: the index of the vector's first element, `rax` in bytes.
        for at in std::mem::take(&mut a.bails) {
            a.patch(at);
        }
        let shift = if wide { 3 } else { 2 };
        a.bytes(&[0x48, 0xC1, 0xE8, shift]); // shr rax, shift
        a.jump32_to(&[0xE9], epilogue);
    }
    Some(a.b)
}

/// A byte buffer with the few encodings the routine needs.
#[derive(Default)]
struct Asm {
    b: Vec<u8>,
    /// Where the bails' jumps are, to be pointed at the bail exit.
    bails: Vec<usize>,
}

impl Asm {
    fn bytes(&mut self, b: &[u8]) {
        self.b.extend_from_slice(b);
    }

    /// The four-byte EVEX prefix of a 512-bit instruction: opcode `map` (1: 0F, 2: 0F38),
    /// implied prefix `pp` (0: none, 1: 66), `W`, the ModRM.reg register `reg`, the
    /// non-destructive source `v` (0 when unused), and the extension bits of ModRM.rm's
    /// register, base or index (`b`, `x`), and the mask register `k` (0: none; merging).
    #[allow(clippy::too_many_arguments)]
    fn evex(&mut self, map: u8, pp: u8, w: bool, reg: u8, v: u8, b: u8, x: u8, k: u8) {
        let inv = |bit: u8| (!bit) & 1;
        let p0 = inv(reg >> 3) << 7 | inv(x) << 6 | inv(b) << 5 | inv(reg >> 4) << 4 | map;
        let p1 = u8::from(w) << 7 | ((!v) & 0xF) << 3 | 0b100 | pp;
        // z = 0, L'L = 10 (512 bits), b = 0, V', the mask (see `evex_sib` for z).
        let p2 = 0b10 << 5 | inv(v >> 4) << 3 | (k & 7);
        self.bytes(&[0x62, p0, p1, p2]);
    }

    /// `op zmm_dst, zmm_v, zmm_rm`.
    #[allow(clippy::too_many_arguments)]
    fn evex_rr(&mut self, op: u8, map: u8, pp: u8, w: bool, dst: u8, v: u8, rm: u8) {
        self.evex_rr_masked(op, map, pp, w, dst, v, rm, 0);
    }

    /// `op zmm_dst{k}, zmm_v, zmm_rm` (merging; `k` 0: no mask).
    #[allow(clippy::too_many_arguments)]
    fn evex_rr_masked(&mut self, op: u8, map: u8, pp: u8, w: bool, dst: u8, v: u8, rm: u8, k: u8) {
        // Register operands in ModRM.rm take their fourth bit from B and fifth from X.
        self.evex(map, pp, w, dst, v, rm >> 3, rm >> 4, k);
        self.bytes(&[op, 0xC0 | (dst & 7) << 3 | (rm & 7)]);
    }

    /// `kandw/korw/kxorw k, a, b` (`opcode` 0x41, 0x45, 0x47).
    fn kop(&mut self, opcode: u8, k: u8, a: u8, b: u8) {
        // VEX.L1.0F.W0 op /r: vvvv = a (inverted), L = 1.
        let vex = 0x80 | ((!a) & 0xF) << 3 | 0b100;
        self.bytes(&[0xC5, vex, opcode, 0xC0 | (k & 7) << 3 | (b & 7)]);
    }

    /// `knotw k, a`.
    fn knotw(&mut self, k: u8, a: u8) {
        self.bytes(&[0xC5, 0xF8, 0x44, 0xC0 | (k & 7) << 3 | (a & 7)]);
    }

    /// `op zmm_reg, [base + index]` (or the store form, under mask `k & 7` if not 0, zeroing
    /// if `k & 8`): ModRM with a SIB byte, no displacement (`base` is never `rbp` or `r13`).
    #[allow(clippy::too_many_arguments)]
    fn evex_sib(
        &mut self,
        op: u8,
        map: u8,
        pp: u8,
        w: bool,
        reg: u8,
        v: u8,
        k: u8,
        base: u8,
        index: u8,
    ) {
        self.evex(map, pp, w, reg, v, base >> 3, index >> 3, k);
        if k & 8 != 0 {
            // EVEX.z
            let at = self.b.len() - 1;
            self.b[at] |= 0x80;
        }
        self.bytes(&[op, (reg & 7) << 3 | 0b100, (index & 7) << 3 | (base & 7)]);
    }

    /// `op zmm_reg, [base + disp32]` (`base` is not `rsp`, `rbp`, `r12` or `r13`).
    #[allow(clippy::too_many_arguments)]
    fn evex_disp(&mut self, op: u8, map: u8, pp: u8, w: bool, reg: u8, base: u8, disp: i32) {
        self.evex(map, pp, w, reg, 0, base >> 3, 0, 0);
        self.bytes(&[op, 0b10 << 6 | (reg & 7) << 3 | (base & 7)]);
        self.bytes(&disp.to_le_bytes());
    }

    /// `vgatherqpd zmm_dst{k}, [base + zmm_index]` (`base` is not `rbp` or `r13`).
    fn gather(&mut self, dst: u8, base: u8, index: u8, k: u8) {
        // VSIB: X and V' extend the index register; vvvv is unused (1111).
        self.evex(2, 1, true, dst, index & 0x10, base >> 3, index >> 3, k);
        self.bytes(&[0x93, (dst & 7) << 3 | 0b100, (index & 7) << 3 | (base & 7)]);
    }

    /// `mov dst, [base + disp32]` (64-bit; `base` is not `rsp`, `rbp`, `r12` or `r13`).
    fn load_gpr(&mut self, dst: u8, base: u8, disp: i32) {
        let rex = 0x48 | (dst >> 3) << 2 | (base >> 3);
        self.bytes(&[rex, 0x8B, 0b10 << 6 | (dst & 7) << 3 | (base & 7)]);
        self.bytes(&disp.to_le_bytes());
    }

    /// `kmovw k, [base + disp32]` (`base` below r8, not `rsp` or `rbp`).
    fn kmovw_load(&mut self, k: u8, base: u8, disp: i32) {
        self.bytes(&[0xC5, 0xF8, 0x90, 0b10 << 6 | (k & 7) << 3 | (base & 7)]);
        self.bytes(&disp.to_le_bytes());
    }

    fn push(&mut self, r: u8) {
        if r >= 8 {
            self.bytes(&[0x41]);
        }
        self.bytes(&[0x50 | (r & 7)]);
    }

    fn pop(&mut self, r: u8) {
        if r >= 8 {
            self.bytes(&[0x41]);
        }
        self.bytes(&[0x58 | (r & 7)]);
    }

    /// A jump with a 32-bit displacement to be patched; returns where the displacement is.
    fn jump32(&mut self, opcode: &[u8]) -> usize {
        self.bytes(opcode);
        let at = self.b.len();
        self.bytes(&[0; 4]);
        at
    }

    /// A jump with a 32-bit displacement back to `target`.
    fn jump32_to(&mut self, opcode: &[u8], target: usize) {
        let at = self.jump32(opcode);
        let rel = target as i64 - (at as i64 + 4);
        self.b[at..at + 4].copy_from_slice(&(rel as i32).to_le_bytes());
    }

    /// Points the displacement at `at` to the current position.
    fn patch(&mut self, at: usize) {
        let rel = (self.b.len() - (at + 4)) as i32;
        self.b[at..at + 4].copy_from_slice(&rel.to_le_bytes());
    }
}

/// Whether the target `isa` runs the routine: x86-64 with AVX-512F (the plan's instructions
/// need nothing else) and the System V calling convention the routine assumes; not when
/// `NUMJIT_WIDE=0`.
pub(super) fn available(isa: &dyn cranelift_codegen::isa::TargetIsa) -> bool {
    isa.name() == "x64"
        && isa.default_call_conv() == cranelift_codegen::isa::CallConv::SystemV
        && isa
            .isa_flags()
            .iter()
            .any(|f| f.name == "has_avx512f" && f.as_bool() == Some(true))
        && !super::wide::switched_off()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encodings checked against GNU as (`as --64` then `objdump -d`).
    #[test]
    fn encodings_match_the_assembler() {
        let mut a = Asm::default();
        // vaddpd zmm1, zmm2, zmm3
        a.evex_rr(0x58, 1, 1, true, 1, 2, 3);
        // vsubpd zmm17, zmm30, zmm9
        a.evex_rr(0x5C, 1, 1, true, 17, 30, 9);
        // vmulps zmm31, zmm16, zmm24
        a.evex_rr(0x59, 1, 0, false, 31, 16, 24);
        // vsqrtpd zmm5, zmm20
        a.evex_rr(0x51, 1, 1, true, 5, 0, 20);
        // vmovupd zmm3, [r14 + rax]
        a.evex_sib(0x10, 1, 1, true, 3, 0, 0, 14, RAX);
        // vmovups [rcx + rax], zmm22
        a.evex_sib(0x11, 1, 0, false, 22, 0, 0, 1, RAX);
        // vmovupd [rcx + rax]{k1}, zmm5
        a.evex_sib(0x11, 1, 1, true, 5, 0, 1, 1, RAX);
        // vmovntps [r14 + rax], zmm21
        a.evex_sib(0x2B, 1, 0, false, 21, 0, 0, 14, RAX);
        // kmovw k2, [rsi + 0x30]
        a.kmovw_load(2, RSI, 0x30);
        // vrndscalepd zmm3, zmm17, 9; vrndscaleps zmm20, zmm5, 10
        a.evex_rr(0x09, 3, 1, true, 3, 0, 17);
        a.bytes(&[9]);
        a.evex_rr(0x08, 3, 1, false, 20, 0, 5);
        a.bytes(&[10]);
        // vmovupd zmm3{k7}{z}, [r14 + rax]; vmovups zmm20{k7}{z}, [rcx + rax]
        a.evex_sib(0x10, 1, 1, true, 3, 0, 7 | 8, 14, RAX);
        a.evex_sib(0x10, 1, 0, false, 20, 0, 7 | 8, 1, RAX);
        // vbroadcastsd zmm18, [rsi + 0x28]
        a.evex_disp(0x19, 2, 1, true, 18, RSI, 0x28);
        // vbroadcastss zmm2, [rsi + 8]
        a.evex_disp(0x18, 2, 1, false, 2, RSI, 8);
        // vpxorq zmm4, zmm4, zmm0
        a.evex_rr(0xEF, 1, 1, true, 4, 4, 0);
        // vporq zmm3, zmm17, zmm9; vpord zmm20, zmm5, zmm6
        a.evex_rr(0xEB, 1, 1, true, 3, 17, 9);
        a.evex_rr(0xEB, 1, 1, false, 20, 5, 6);
        // mov r12, [rdi + 0x10]
        a.load_gpr(12, RDI, 0x10);
        // vfmadd213pd zmm1, zmm2, zmm3; vfmsub213pd zmm17, zmm30, zmm9;
        // vfnmadd213pd zmm5, zmm20, zmm31; vmovapd zmm4, zmm25
        a.evex_rr(0xA8, 2, 1, true, 1, 2, 3);
        a.evex_rr(0xAA, 2, 1, true, 17, 30, 9);
        a.evex_rr(0xAC, 2, 1, true, 5, 20, 31);
        a.evex_rr(0x28, 1, 1, true, 4, 0, 25);
        // vcmpunordpd k3, zmm2, zmm19; vcmpeqpd k4, zmm22, zmm7
        a.evex_rr(0xC2, 1, 1, true, 3, 2, 19);
        a.bytes(&[3]);
        a.evex_rr(0xC2, 1, 1, true, 4, 22, 7);
        a.bytes(&[0]);
        // korw k3, k3, k4; vblendmpd zmm6{k3}, zmm7, zmm28
        a.kop(0x45, 3, 3, 4);
        a.evex_rr_masked(0x65, 2, 1, true, 6, 7, 28, 3);
        // kandw k3, k5, k6; kxorw k5, k6, k7; knotw k4, k6; vcmplt_oqpd k5, zmm3, zmm17
        a.kop(0x41, 3, 5, 6);
        a.kop(0x47, 5, 6, 7);
        a.knotw(4, 6);
        a.evex_rr(0xC2, 1, 1, true, 5, 3, 17);
        a.bytes(&[0x11]);
        // vgatherqpd zmm3{k6}, [r14 + zmm17]; vgatherqpd zmm20{k6}, [rcx + zmm2];
        // vgatherqpd zmm5{k6}, [rsi + zmm9]; vpaddq zmm17, zmm17, zmm2; kxnorw k6, k6, k6;
        // vmovupd zmm17, [rsi + 0x40] (disp32)
        a.gather(3, 14, 17, 6);
        a.gather(20, 1, 2, 6);
        a.gather(5, RSI, 9, 6);
        a.evex_rr(0xD4, 1, 1, true, 17, 17, 2);
        a.kop(0x46, 6, 6, 6);
        a.evex_disp(0x10, 1, 1, true, 17, RSI, 0x40);
        let want: &[u8] = &[
            0x62, 0xf1, 0xed, 0x48, 0x58, 0xcb, // vaddpd
            0x62, 0xc1, 0x8d, 0x40, 0x5c, 0xc9, // vsubpd
            0x62, 0x01, 0x7c, 0x40, 0x59, 0xf8, // vmulps
            0x62, 0xb1, 0xfd, 0x48, 0x51, 0xec, // vsqrtpd
            0x62, 0xd1, 0xfd, 0x48, 0x10, 0x1c, 0x06, // vmovupd load
            0x62, 0xe1, 0x7c, 0x48, 0x11, 0x34, 0x01, // vmovups store
            0x62, 0xf1, 0xfd, 0x49, 0x11, 0x2c, 0x01, // vmovupd masked store
            0x62, 0xc1, 0x7c, 0x48, 0x2b, 0x2c, 0x06, // vmovntps
            0xc5, 0xf8, 0x90, 0x96, 0x30, 0, 0, 0, // kmovw
            0x62, 0xb3, 0xfd, 0x48, 0x09, 0xd9, 0x09, // vrndscalepd
            0x62, 0xe3, 0x7d, 0x48, 0x08, 0xe5, 0x0a, // vrndscaleps
            0x62, 0xd1, 0xfd, 0xcf, 0x10, 0x1c, 0x06, // vmovupd zeroing masked load
            0x62, 0xe1, 0x7c, 0xcf, 0x10, 0x24, 0x01, // vmovups zeroing masked load
            0x62, 0xe2, 0xfd, 0x48, 0x19, 0x96, 0x28, 0, 0, 0, // vbroadcastsd
            0x62, 0xf2, 0x7d, 0x48, 0x18, 0x96, 0x08, 0, 0, 0, // vbroadcastss
            0x62, 0xf1, 0xdd, 0x48, 0xef, 0xe0, // vpxorq
            0x62, 0xd1, 0xf5, 0x40, 0xeb, 0xd9, // vporq
            0x62, 0xe1, 0x55, 0x48, 0xeb, 0xe6, // vpord
            0x4c, 0x8b, 0xa7, 0x10, 0, 0, 0, // mov r12
            0x62, 0xf2, 0xed, 0x48, 0xa8, 0xcb, // vfmadd213pd
            0x62, 0xc2, 0x8d, 0x40, 0xaa, 0xc9, // vfmsub213pd
            0x62, 0x92, 0xdd, 0x40, 0xac, 0xef, // vfnmadd213pd
            0x62, 0x91, 0xfd, 0x48, 0x28, 0xe1, // vmovapd
            0x62, 0xb1, 0xed, 0x48, 0xc2, 0xdb, 0x03, // vcmpunordpd
            0x62, 0xf1, 0xcd, 0x40, 0xc2, 0xe7, 0x00, // vcmpeqpd
            0xc5, 0xe4, 0x45, 0xdc, // korw
            0x62, 0x92, 0xc5, 0x4b, 0x65, 0xf4, // vblendmpd
            0xc5, 0xd4, 0x41, 0xde, // kandw
            0xc5, 0xcc, 0x47, 0xef, // kxorw
            0xc5, 0xf8, 0x44, 0xe6, // knotw
            0x62, 0xb1, 0xe5, 0x48, 0xc2, 0xe9, 0x11, // vcmplt_oqpd
            0x62, 0xd2, 0xfd, 0x46, 0x93, 0x1c, 0x0e, // vgatherqpd
            0x62, 0xe2, 0xfd, 0x4e, 0x93, 0x24, 0x11, // vgatherqpd
            0x62, 0xb2, 0xfd, 0x4e, 0x93, 0x2c, 0x0e, // vgatherqpd
            0x62, 0xe1, 0xf5, 0x40, 0xd4, 0xca, // vpaddq
            0xc5, 0xcc, 0x46, 0xf6, // kxnorw
            0x62, 0xe1, 0xfd, 0x48, 0x10, 0x8e, 0x40, 0, 0, 0, // vmovupd disp32
        ];
        assert_eq!(a.b, want, "{:02x?}", a.b);
    }
}

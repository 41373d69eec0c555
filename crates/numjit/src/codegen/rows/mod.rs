//! Owns the row routines: x86-64 machine code, encoded byte by byte here and in the two
//! encoders below, that computes a kernel's float operations on 512-bit (`avx512`) or 256-bit
//! (`avx2`) vectors over a whole row, and the planning both share.
//! Must not touch Cranelift IR, threads or memory: it returns bytes that `codegen` defines as a function of the kernel's own JIT module, which the kernel calls once per row.
//!
//! Cranelift's x86-64 backend emits 128-bit vectors only, so an arithmetic kernel such as the
//! diffusion stencil (five loads, seven floating-point operations per element) is bound by the
//! CPU's vector ports at two lanes. On a CPU with AVX-512 (or AVX2 and FMA) a kernel whose
//! per-element nodes are all float64 (or all float32) `+ - * /`, negation, `abs`, `sqrt`,
//! `floor`, `ceil`, `trunc`, `round`, `maximum`, `minimum`, (float64) constant powers and
//! `%`, and `where` over comparisons of such values (and `& | ^ ~` of those), over
//! contiguous inputs (float64 ones also strided, read with gathers) and hoisted scalars,
//! gets a [`Plan`]: this module writes the body as instructions over values ([`Vins`]: a
//! constant power expands into `refmath::pow_const`'s double-double sequence, operation for
//! operation, with fused multiply-adds; comparisons make masks that blends read), and the
//! encoder of the CPU's instruction set allocates registers and encodes the loop:
//! - `avx512`: `zmm` and mask registers, eight or sixteen elements per iteration, then the
//!   row's last partial vector with masked loads and a masked store (the whole row);
//! - `avx2`: `ymm` registers (masks are vectors of all-ones lanes; hoisted values on the
//!   stack when registers run out), four or eight elements per iteration, then the row's
//!   last partial vector with masked loads and stores, unless an input is strided (read
//!   lane by lane; the kernel's own loops compute the rest). Float32 kernels with constant
//!   powers, `%` or strided inputs compute in float64 registers ([`Form::Widened`]).
//!
//! Each instruction is the IEEE operation the 2-lane and scalar loops use (`fneg` and `fabs`
//! are sign-bit `xor` and `and` there too, `fma` rounds once in both), so every lane gets the
//! same bits as those loops and the interpreter.
//!
//! The routine's contract (System V): `rdi` points to the element pointers of the operands in
//! [`Plan::operands`] order (the output first), `rsi` to one 8-byte slot per entry of
//! [`Plan::slots`] (a hoisted value, or bits the code needs, such as the sign mask) followed
//! by [`CONTROL_SLOTS`] slots and the strided inputs' [`LANE_SLOTS`], and `rdx` holds the
//! count of whole vectors' elements, a multiple of [`Plan::lanes`]; the last control slot
//! masks the elements of one more, partial vector (the rest of the row). It
//! reads and writes nothing else, saves the callee-saved registers it uses and clears the
//! upper vector state before returning. It returns −1 in `rax` when it computed the whole
//! row, else the index of the first element it did not store (a `%` met values outside its
//! fast path, or an AVX2 routine with strided inputs reached the row's last partial vector),
//! from which the kernel's own loops compute the row.

mod avx2;
mod avx512;

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

/// A kernel's row routine and what it expects from its caller.
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
    /// Whether the routine may leave part of the row to the kernel's own loops (it returns
    /// the index of the first element it did not store; −1: the whole row done): a float64
    /// `%` whose operands its fast path does not cover (NaN, infinities, a zero divisor,
    /// quotients of 2⁵² and more) stops it at that vector, and an AVX2 routine with strided
    /// inputs stops at the row's last partial vector. Such rows store plainly.
    pub partial: bool,
    /// The strided inputs (operands, numbered as in `operands`' entries), read with gathers
    /// (AVX-512) or lane by lane (AVX2): after the control slots the caller passes, for each,
    /// [`LANE_SLOTS`] slots holding lane × inner stride for lanes 0, 1, ... (the gather's
    /// byte offsets; the AVX2 routine reads lane 1's, the stride). Rows with strided inputs
    /// never use streaming stores (the caller passes −1 for them).
    pub strided: Vec<usize>,
    /// Whether a float32 kernel computes in float64 registers ([`Form::Widened`]): the
    /// caller passes its hoisted values as float64 (exactly widened).
    pub widened: bool,
    /// Whether the routine runs all the rows of a call (called once, not per row): the
    /// caller passes the row count after the control slots, then each operand's outer
    /// stride in bytes (in [`Plan::operands`] order), and the elements of one row in `rdx`.
    pub block: bool,
}

/// Slots per strided input after the control slots: one byte offset per lane.
pub(super) const LANE_SLOTS: usize = 8;

/// Strided inputs a routine may gather from (AVX-512: each holds one vector register for
/// its offsets; the AVX2 encoder takes two, each holding a register for its stride).
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
/// Scratch: the streaming stores' head length (AVX-512); a bail's lane bits, the partial
/// vector's mask bits and three strides (AVX2).
const R11: u8 = 11;

/// The vector instruction sets the routines are encoded for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Isa {
    /// AVX-512F: 32 `zmm` registers, mask registers.
    Avx512,
    /// AVX2 with FMA: 16 `ymm` registers.
    Avx2,
}

/// How a routine holds its values and lays them out in memory.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Form {
    /// float64 in memory and in registers.
    F64,
    /// float32 in memory and in registers.
    F32,
    /// float32 in memory, float64 in registers (AVX2 only; half a vector of float32 per
    /// iteration): loads widen exactly, every float32 operation is computed in float64 and
    /// rounded to float32 at once (for `+ - * /` and `sqrt` that is the float32 operation
    /// itself: 53 bits hold twice 24 plus two, so the second rounding is innocuous; constant
    /// powers and `%` are defined through float64, as `semantics` computes them), and stores
    /// narrow. For the float32 kernels the float32 form does not cover: strided inputs,
    /// constant powers, `%`.
    Widened,
}

impl Form {
    /// Whether the registers hold float64.
    fn wide(self) -> bool {
        self != Form::F32
    }
}

/// The plan for this kernel on `isa`, if every per-element node fits: `layout` is the
/// operands' access (output first), `levels` each node's [`Level`]. A float32 kernel the
/// float32 form does not cover takes the widened one on AVX2.
pub(super) fn plan(
    program: &Program,
    layout: &[Access],
    levels: &[Level],
    isa: Isa,
) -> Option<Plan> {
    match program.dtype() {
        DType::Float64 => plan_in(program, layout, levels, isa, Form::F64),
        DType::Float32 => plan_in(program, layout, levels, isa, Form::F32).or_else(|| {
            (isa == Isa::Avx2)
                .then(|| plan_in(program, layout, levels, isa, Form::Widened))
                .flatten()
        }),
        _ => None,
    }
}

fn plan_in(
    program: &Program,
    layout: &[Access],
    levels: &[Level],
    isa: Isa,
    form: Form,
) -> Option<Plan> {
    let dt = program.dtype();
    let bytes = if isa == Isa::Avx512 { 64 } else { 32 };
    let wide = form.wide();
    let lanes = if wide { bytes / 8 } else { bytes / 4 };
    let root = program.root;
    if layout[0] != Access::Contiguous || levels[root] != Level::Element {
        return None;
    }
    let mut b = Body {
        wide,
        widened: form == Form::Widened,
        slots: Vec::new(),
        code: Vec::new(),
        values: 0,
    };
    let sign: u64 = if wide { 1 << 63 } else { 1 << 31 };
    // The value of each element node: a vector, or a mask (bool nodes).
    let mut value: Vec<Option<Val>> = vec![None; program.nodes.len()];
    let mut operands = vec![0usize];
    let mut strided: Vec<usize> = Vec::new();
    let mut partial = false;
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
            // float64 registers only: float64 lanes gathered (`vgatherqpd`, or one by one),
            // or float32 ones widened.
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
                let v = b.bin(op, x, y);
                b.narrow(v)
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
                let v = b.push(|dst| Vins::Sqrt { dst, a: x });
                b.narrow(v)
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
            // float64 registers only (float32 powers are defined through float64).
            Op::PowConst(h) if wide => {
                let x = arg(&mut b, 0)?;
                let v = b.pow_const(x, h);
                b.narrow(v)
            }
            // float64 registers only (float32 `%` is computed through float64, exactly:
            // `fmod` is exact and the sign rule's one addition rounds once more to float32).
            Op::Mod if wide => {
                let (x, y) = (arg(&mut b, 0)?, arg(&mut b, 1)?);
                partial = true;
                let v = b.modulo(x, y, super::exact_reciprocal(program, node.args[1]));
                b.narrow(v)
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
    // The AVX2 routine leaves the partial vector of a row with strided inputs to the
    // kernel's loops.
    partial |= isa == Isa::Avx2 && !strided.is_empty();
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
    // The AVX2 routine runs every row of a call itself when nothing changes from row to
    // row but the operands' addresses (no per-row hoisted value) and it finishes each row.
    let block = isa == Isa::Avx2
        && !partial
        && b.slots.iter().all(|s| match *s {
            Slot::Node(id) => levels[id] == Level::Call,
            _ => true,
        });
    let code = match isa {
        Isa::Avx512 => avx512::encode(&b.code, out, operands.len(), slots, wide, &steps)?,
        Isa::Avx2 => avx2::encode(&b.code, out, operands.len(), slots, form, &steps, block)?,
    };
    Some(Plan {
        code,
        lanes,
        operands,
        slots: b.slots,
        partial,
        strided,
        widened: form == Form::Widened,
        block,
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

impl Vop {
    /// The opcode (map 0F) and implied prefix of the packed instruction, VEX or EVEX alike:
    /// arithmetic takes the element type's prefix `pp` (66: float64), the bitwise ones the
    /// integer forms (66).
    fn encoding(self, pp: u8) -> (u8, u8) {
        match self {
            Vop::Add => (0x58, pp),
            Vop::Sub => (0x5C, pp),
            Vop::Mul => (0x59, pp),
            Vop::Div => (0x5E, pp),
            Vop::Xor => (0xEF, 1),
            Vop::And => (0xDB, 1),
            Vop::Or => (0xEB, 1),
        }
    }
}

/// Fused multiply-adds, rounded once: `a·b + c`, `a·b − c`, `−(a·b) + c`.
#[derive(Clone, Copy, Debug)]
enum Fma {
    Add,
    Sub,
    NegAdd,
}

impl Fma {
    /// The `vfm*213pd` opcode (map 0F38), VEX or EVEX alike.
    fn opcode(self) -> u8 {
        match self {
            Fma::Add => 0xA8,
            Fma::Sub => 0xAA,
            Fma::NegAdd => 0xAC,
        }
    }
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
    /// float64 lanes rounded to float32 and widened back ([`Form::Widened`]).
    Narrow {
        dst: usize,
        a: Src,
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
            | Vins::Narrow { dst, .. }
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
            Vins::Sqrt { a, .. } | Vins::Round { a, .. } | Vins::Narrow { a, .. } => vec![a],
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

/// An instruction's registers once allocated: its vector operands (slot `j` named
/// `slot(j)`), its mask operands, and its destination (`None`: a bail, which defines
/// nothing).
fn operands(
    ins: &Vins,
    reg: &[Option<u8>],
    slot: impl Fn(usize) -> u8,
) -> (Vec<u8>, Vec<u8>, Option<u8>) {
    let srcs = ins
        .srcs()
        .into_iter()
        .map(|s| match s {
            Src::Slot(j) => slot(j),
            Src::Value(v) => reg[v].expect("operand computed before use"),
        })
        .collect();
    let masks = ins
        .masks()
        .into_iter()
        .map(|m| reg[m].expect("mask computed before use"))
        .collect();
    let dst = ins
        .dst()
        .map(|(v, _)| reg[v].expect("a register for each value"));
    (srcs, masks, dst)
}

/// Registers for the body's values, each held from its instruction to its last reader (the
/// result `out` to the end of the body): vector values from `vectors`, masks from `masks`, or
/// from `vectors` too where masks are vectors (`None`), lowest first. A fused multiply-add's
/// destination is never one of its operands' registers (its encoding copies `a` into it before
/// reading `b` and `c`); other instructions may reuse a register their operand gives up. `None`
/// when a pool runs dry.
fn registers(
    code: &[Vins],
    out: usize,
    vectors: &[u8],
    masks: Option<&[u8]>,
) -> Option<Vec<Option<u8>>> {
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
    let shared = masks.is_none();
    let mut free: Vec<u8> = vectors.iter().rev().copied().collect();
    let mut free_masks: Vec<u8> = masks.unwrap_or_default().iter().rev().copied().collect();
    let mut reg: Vec<Option<u8>> = vec![None; values];
    let mut held = vec![false; values];
    for (at, ins) in code.iter().enumerate() {
        let release = |reg: &[Option<u8>],
                       held: &mut [bool],
                       free: &mut Vec<u8>,
                       free_masks: &mut Vec<u8>| {
            let vectors = ins.srcs().into_iter().filter_map(|s| match s {
                Src::Value(v) => Some(v),
                Src::Slot(_) => None,
            });
            for v in vectors {
                if last[v] == Some(at) && v != out && std::mem::take(&mut held[v]) {
                    free.push(reg[v].expect("held"));
                }
            }
            for m in ins.masks() {
                if last[m] == Some(at) && std::mem::take(&mut held[m]) {
                    let pool = if shared { &mut *free } else { &mut *free_masks };
                    pool.push(reg[m].expect("held"));
                }
            }
        };
        let fused = matches!(ins, Vins::Fma { .. });
        if !fused {
            release(&reg, &mut held, &mut free, &mut free_masks);
        }
        let Some((v, is_mask)) = ins.dst() else {
            continue;
        };
        let r = if is_mask && !shared {
            free_masks.pop()?
        } else {
            free.pop()?
        };
        reg[v] = Some(r);
        held[v] = true;
        if fused {
            release(&reg, &mut held, &mut free, &mut free_masks);
        }
        // A value nothing reads gives its register back at once.
        if v != out && last[v].is_none() {
            held[v] = false;
            if is_mask && !shared {
                free_masks.push(r);
            } else {
                free.push(r);
            }
        }
    }
    Some(reg)
}

/// The loop body under construction: scalar slots and instructions over values.
struct Body {
    wide: bool,
    /// float32 values in float64 registers ([`Form::Widened`]).
    widened: bool,
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

    /// `v` rounded to float32 and widened back, in the widened form (else `v` itself).
    fn narrow(&mut self, v: Src) -> Src {
        match self.widened {
            true => self.push(|dst| Vins::Narrow { dst, a: v }),
            false => v,
        }
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

/// Scalar slots the caller appends after the plan's own: for streaming stores the bytes
/// from the output pointer to the next 64-byte boundary (or −1: store normally), the mask of
/// the elements before that boundary and the mask of the rest of one vector; then the mask
/// of the elements of the row's last, partial vector (0: none).
pub(super) const CONTROL_SLOTS: usize = 4;

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

    /// `mov dst, [base + disp32]` (64-bit; `base` is not `rsp`, `rbp`, `r12` or `r13`).
    fn load_gpr(&mut self, dst: u8, base: u8, disp: i32) {
        let rex = 0x48 | (dst >> 3) << 2 | (base >> 3);
        self.bytes(&[rex, 0x8B, 0b10 << 6 | (dst & 7) << 3 | (base & 7)]);
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

/// The instruction set the target `isa` runs routines of: x86-64 with AVX-512F (the AVX-512
/// plan's instructions need nothing else), else with AVX2 and FMA, under the System V calling
/// convention the routines assume; `None` elsewhere and when `NUMJIT_WIDE=0`.
pub(super) fn isa_of(isa: &dyn cranelift_codegen::isa::TargetIsa) -> Option<Isa> {
    if isa.name() != "x64"
        || isa.default_call_conv() != cranelift_codegen::isa::CallConv::SystemV
        || super::wide::switched_off()
    {
        return None;
    }
    let has = |name: &str| {
        isa.isa_flags()
            .iter()
            .any(|f| f.name == name && f.as_bool() == Some(true))
    };
    if has("has_avx512f") {
        Some(Isa::Avx512)
    } else if has("has_avx2") && has("has_fma") {
        Some(Isa::Avx2)
    } else {
        None
    }
}

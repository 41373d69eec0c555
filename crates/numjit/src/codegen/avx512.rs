//! Owns the AVX-512 row loop: x86-64 machine code, encoded byte by byte here, that computes a kernel's float arithmetic on 512-bit vectors (8 float64 or 16 float32 lanes) over the contiguous part of each row.
//! Must not touch Cranelift IR, threads or memory: it returns bytes that `codegen` defines as a function of the kernel's own JIT module, which the kernel calls once per row.
//!
//! Cranelift's x86-64 backend emits 128-bit vectors only, so an arithmetic kernel such as the
//! diffusion stencil (five loads, seven floating-point operations per element) is bound by the
//! CPU's two vector ports at two lanes. On a CPU with AVX-512 a kernel whose per-element
//! nodes are all float64 (or all float32) `+ - * /`, negation, `abs` and `sqrt` over
//! contiguous inputs and hoisted scalars gets a [`Plan`]: this module allocates one `zmm`
//! register per live value, encodes the loop (load each input, one instruction per node,
//! store the result, eight or sixteen elements per iteration) and returns it as bytes. Each
//! instruction is the IEEE operation the 2-lane and scalar loops use (`fneg` and `fabs` are
//! sign-bit `xor` and `and` there too), so every lane gets the same bits; the 2-lane loop and
//! the scalar loop still finish each row's last few elements.
//!
//! The routine's contract (System V): `rdi` points to the element pointers of the operands in
//! [`Plan::operands`] order (the output first), `rsi` to one 8-byte slot per entry of
//! [`Plan::slots`] (a hoisted value, or bits the code needs, such as the sign mask), and
//! `rdx` holds the element count, a multiple of [`Plan::lanes`]. It reads and writes nothing
//! else, saves the callee-saved registers it uses and clears the upper vector state before
//! returning.

use super::{Access, Level};
use crate::ir::{NodeId, Program};
use crate::semantics::{Func, Op};
use crate::types::DType;
use std::sync::atomic::AtomicBool;

/// What the kernel stores in one scalar slot before the call.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Slot {
    /// The value of a hoisted node (once per call or per row), of the kernel's float type.
    Node(NodeId),
    /// A constant bit pattern the code broadcasts (the sign or magnitude mask).
    Bits(u64),
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
}

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
    let nodes = &program.nodes;
    let sign: u64 = if wide { 1 << 63 } else { 1 << 31 };
    let mut slots: Vec<Slot> = Vec::new();
    let mut slot_of = |s: Slot| match slots.iter().position(|&t| t == s) {
        Some(j) => j,
        None => {
            slots.push(s);
            slots.len() - 1
        }
    };
    // What each element node computes, with hoisted operands and masks as slots.
    let mut steps: Vec<(NodeId, Step)> = Vec::new();
    let mut operands = vec![0usize];
    for (id, node) in nodes.iter().enumerate() {
        if levels[id] != Level::Element {
            continue;
        }
        if node.dtype != dt {
            return None;
        }
        let mut arg = |a: NodeId| {
            if levels[a] == Level::Element {
                Src::Node(a)
            } else {
                Src::Slot(slot_of(Slot::Node(a)))
            }
        };
        let step = match node.op {
            Op::Input(k) if layout[k + 1] == Access::Contiguous => {
                let j = match operands.iter().position(|&o| o == k + 1) {
                    Some(j) => j,
                    None => {
                        operands.push(k + 1);
                        operands.len() - 1
                    }
                };
                Step::Load(j)
            }
            Op::Add => Step::Binary(Vop::Add, arg(node.args[0]), arg(node.args[1])),
            Op::Sub => Step::Binary(Vop::Sub, arg(node.args[0]), arg(node.args[1])),
            Op::Mul => Step::Binary(Vop::Mul, arg(node.args[0]), arg(node.args[1])),
            Op::Div => Step::Binary(Vop::Div, arg(node.args[0]), arg(node.args[1])),
            Op::Neg => {
                let a = arg(node.args[0]);
                Step::Binary(Vop::Xor, a, Src::Slot(slot_of(Slot::Bits(sign))))
            }
            Op::Call(Func::Abs) => {
                let a = arg(node.args[0]);
                let magnitude = if wide { !sign } else { !sign & 0xffff_ffff };
                Step::Binary(Vop::And, a, Src::Slot(slot_of(Slot::Bits(magnitude))))
            }
            Op::Call(Func::Sqrt) => Step::Sqrt(arg(node.args[0])),
            _ => return None,
        };
        steps.push((id, step));
    }
    if operands.len() > BASES.len() {
        return None;
    }
    let code = encode(&steps, root, operands.len(), slots.len(), wide)?;
    Some(Plan {
        code,
        lanes,
        operands,
        slots,
    })
}

/// Where an operand of a step comes from.
#[derive(Clone, Copy, Debug)]
enum Src {
    /// The register of an earlier element node.
    Node(NodeId),
    /// A scalar slot, broadcast once before the loop.
    Slot(usize),
}

/// The vector instructions the plan uses.
#[derive(Clone, Copy, Debug)]
enum Vop {
    Add,
    Sub,
    Mul,
    Div,
    /// Bitwise, on the float bits (the sign flip of `-x`).
    Xor,
    /// Bitwise, on the float bits (`abs`).
    And,
}

/// One element node's instruction.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// Load from the j-th operand pointer.
    Load(usize),
    Binary(Vop, Src, Src),
    Sqrt(Src),
}

/// One instruction of the loop body, registers allocated.
#[derive(Clone, Copy, Debug)]
enum Ins {
    /// `vmovupd/ps zmm_dst, [base_j + rax]`.
    Load { dst: u8, operand: usize },
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
}

/// How the body's result is stored.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Store {
    /// `vmovupd/ps`.
    Plain,
    /// `vmovupd/ps` under mask register k1 or k2.
    Masked(u8),
    /// `vmovntpd/ps`: the address is 64-byte aligned.
    Stream,
}

/// Allocates registers for `steps`: slots take `zmm0..` (live for the whole loop), each
/// element node a free register from its step to its last use (the root to the store).
/// Returns the body and the root's register, or `None` past 32 registers.
fn allocate(
    steps: &[(NodeId, Step)],
    root: NodeId,
    slots: usize,
    pp: u8,
) -> Option<(Vec<Ins>, u8)> {
    let mut last: Vec<(NodeId, usize)> = Vec::new();
    for (at, (_, step)) in steps.iter().enumerate() {
        let srcs: &[Src] = match step {
            Step::Load(_) => &[],
            Step::Binary(_, a, b) => &[*a, *b],
            Step::Sqrt(a) => &[*a],
        };
        for s in srcs {
            if let Src::Node(n) = *s {
                match last.iter_mut().find(|(m, _)| *m == n) {
                    Some(e) => e.1 = at,
                    None => last.push((n, at)),
                }
            }
        }
    }
    if slots >= ZMMS {
        return None;
    }
    let mut free: Vec<u8> = (slots as u8..ZMMS as u8).rev().collect();
    let mut reg_of: Vec<(NodeId, u8)> = Vec::new();
    let find = |reg_of: &[(NodeId, u8)], s: Src| match s {
        Src::Slot(j) => j as u8,
        Src::Node(n) => reg_of
            .iter()
            .find(|(m, _)| *m == n)
            .map(|&(_, r)| r)
            .expect("operand computed before use"),
    };
    let mut body = Vec::with_capacity(steps.len());
    for (at, &(id, step)) in steps.iter().enumerate() {
        let (a, b) = match step {
            Step::Load(_) => (0, 0),
            Step::Binary(_, x, y) => (find(&reg_of, x), find(&reg_of, y)),
            Step::Sqrt(x) => (find(&reg_of, x), 0),
        };
        // Free the operands this step is the last use of, so the result may reuse one.
        for &(n, end) in &last {
            if end == at && n != root {
                if let Some(p) = reg_of.iter().position(|&(m, _)| m == n) {
                    free.push(reg_of.swap_remove(p).1);
                }
            }
        }
        let dst = free.pop()?;
        reg_of.push((id, dst));
        body.push(match step {
            Step::Load(j) => Ins::Load { dst, operand: j },
            Step::Binary(op, _, _) => {
                let (opcode, pp) = match op {
                    Vop::Add => (0x58, pp),
                    Vop::Sub => (0x5C, pp),
                    Vop::Mul => (0x59, pp),
                    Vop::Div => (0x5E, pp),
                    Vop::Xor => (0xEF, 1),
                    Vop::And => (0xDB, 1),
                };
                Ins::Binary {
                    opcode,
                    pp,
                    dst,
                    a,
                    b,
                }
            }
            Step::Sqrt(_) => Ins::Sqrt { dst, a },
        });
        // A node nothing reads (dead code) gives its register back at once.
        if id != root && !last.iter().any(|&(n, _)| n == id) {
            free.push(reg_of.pop().expect("just pushed").1);
        }
    }
    let out = find(&reg_of, Src::Node(root));
    Some((body, out))
}

/// Scalar slots the caller appends after the plan's own, for streaming stores: the bytes
/// from the output pointer to the next 64-byte boundary (or −1: store normally), the mask of
/// the elements before that boundary, and the mask of the rest of one vector.
pub(super) const CONTROL_SLOTS: usize = 3;

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
    steps: &[(NodeId, Step)],
    root: NodeId,
    operands: usize,
    slots: usize,
    wide: bool,
) -> Option<Vec<u8>> {
    let (w, pp) = if wide { (true, 1) } else { (false, 0) };
    let (body, out) = allocate(steps, root, slots, pp)?;
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
    // The streaming controls: r11 = head bytes (negative: plain stores), k1, k2 the masks.
    a.load_gpr(R11, RSI, 8 * slots as i32);
    a.kmovw_load(1, RSI, 8 * (slots + 1) as i32);
    a.kmovw_load(2, RSI, 8 * (slots + 2) as i32);
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
                    a.evex_sib(0x10, 1, pp, w, dst, 0, 0, bases[operand], RAX)
                }
                Ins::Binary {
                    opcode,
                    pp,
                    dst,
                    a: x,
                    b: y,
                } => a.evex_rr(opcode, 1, pp, w, dst, x, y),
                Ins::Sqrt { dst, a: x } => a.evex_rr(0x51, 1, pp, w, dst, 0, x),
            }
        }
        match store {
            Store::Plain => a.evex_sib(0x11, 1, pp, w, out, 0, 0, bases[0], RAX),
            Store::Masked(k) => a.evex_sib(0x11, 1, pp, w, out, 0, k, bases[0], RAX),
            Store::Stream => a.evex_sib(0x2B, 1, pp, w, out, 0, 0, bases[0], RAX),
        }
    };
    a.bytes(&[0x31, 0xC0]); // xor eax, eax
    a.bytes(&[0x48, 0xC1, 0xE2, if wide { 3 } else { 2 }]); // shl rdx, 3 | 2: bytes
    a.bytes(&[0x48, 0x85, 0xD2]); // test rdx, rdx
    let empty = a.jump32(&[0x0F, 0x84]); // jz done
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
    a.bytes(&[0x48, 0x39, 0xD0]); // cmp rax, rdx
    a.jump32_to(&[0x0F, 0x82], top); // jb top
    a.patch(empty);
    a.patch(fenced);
    a.bytes(&[0xC5, 0xF8, 0x77]); // vzeroupper
    for &r in saved.iter().rev() {
        a.pop(r);
    }
    a.bytes(&[0xC3]); // ret
    Some(a.b)
}

/// A byte buffer with the few encodings the routine needs.
#[derive(Default)]
struct Asm {
    b: Vec<u8>,
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
        // z = 0, L'L = 10 (512 bits), b = 0, V', the mask.
        let p2 = 0b10 << 5 | inv(v >> 4) << 3 | (k & 7);
        self.bytes(&[0x62, p0, p1, p2]);
    }

    /// `op zmm_dst, zmm_v, zmm_rm`.
    #[allow(clippy::too_many_arguments)]
    fn evex_rr(&mut self, op: u8, map: u8, pp: u8, w: bool, dst: u8, v: u8, rm: u8) {
        // Register operands in ModRM.rm take their fourth bit from B and fifth from X.
        self.evex(map, pp, w, dst, v, rm >> 3, rm >> 4, 0);
        self.bytes(&[op, 0xC0 | (dst & 7) << 3 | (rm & 7)]);
    }

    /// `op zmm_reg, [base + index]` (or the store form, under mask `k` if not 0): ModRM with
    /// a SIB byte, no displacement (`base` is never `rbp` or `r13`).
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
        self.bytes(&[op, (reg & 7) << 3 | 0b100, (index & 7) << 3 | (base & 7)]);
    }

    /// `op zmm_reg, [base + disp32]` (`base` is not `rsp`, `rbp`, `r12` or `r13`).
    #[allow(clippy::too_many_arguments)]
    fn evex_disp(&mut self, op: u8, map: u8, pp: u8, w: bool, reg: u8, base: u8, disp: i32) {
        self.evex(map, pp, w, reg, 0, base >> 3, 0, 0);
        self.bytes(&[op, 0b10 << 6 | (reg & 7) << 3 | (base & 7)]);
        self.bytes(&disp.to_le_bytes());
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
        && !std::env::var("NUMJIT_WIDE").is_ok_and(|v| v.trim() == "0")
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
        // vbroadcastsd zmm18, [rsi + 0x28]
        a.evex_disp(0x19, 2, 1, true, 18, RSI, 0x28);
        // vbroadcastss zmm2, [rsi + 8]
        a.evex_disp(0x18, 2, 1, false, 2, RSI, 8);
        // vpxorq zmm4, zmm4, zmm0
        a.evex_rr(0xEF, 1, 1, true, 4, 4, 0);
        // mov r12, [rdi + 0x10]
        a.load_gpr(12, RDI, 0x10);
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
            0x62, 0xe2, 0xfd, 0x48, 0x19, 0x96, 0x28, 0, 0, 0, // vbroadcastsd
            0x62, 0xf2, 0x7d, 0x48, 0x18, 0x96, 0x08, 0, 0, 0, // vbroadcastss
            0x62, 0xf1, 0xdd, 0x48, 0xef, 0xe0, // vpxorq
            0x4c, 0x8b, 0xa7, 0x10, 0, 0, 0, // mov r12
        ];
        assert_eq!(a.b, want, "{:02x?}", a.b);
    }
}

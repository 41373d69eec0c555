//! Owns the AVX2 encoder of the row routines: `ymm` registers allocated over the shared body
//! ([`Vins`]; a mask is a vector whose lanes are all ones or all zeros, as `vcmppd` makes
//! them), and the VEX encodings of the loop over a row.
//! Must not touch the planning (`rows`) or Cranelift IR: it turns a planned body into bytes.
//!
//! The loop computes the row's whole vectors (four float64 or eight float32 lanes; four
//! float32 widened to float64), then its last partial vector under a mask; with strided
//! inputs, or from a `%` vector that bailed, it returns the index of the first element it
//! did not store and the kernel's own loops compute the rest of the row.

use super::*;

/// Vector registers the allocator hands out: `ymm0..ymm14` (slots, values); [`SCRATCH`]
/// holds, within one instruction's encoding, all-ones for `~`, a strided input's upper
/// lanes, the partial vector's mask, or a slot read from the stack.
const YMMS: usize = 15;
/// Scratch vector register.
const SCRATCH: u8 = 15;
/// The byte stride of each strided input (at most two), as index registers (`rbp`, `r13`:
/// callee-saved, pushed and popped; never a base, so their encodings need no displacement).
const STRIDES: [u8; 2] = [5, 13];

/// One instruction of the loop body, registers allocated.
#[derive(Clone, Copy, Debug)]
enum Ins {
    /// `vmovupd/ps ymm_dst, [base_j + rax]`.
    Load { dst: u8, operand: usize },
    /// Four lanes loaded one by one from `base_j`, `base_j + s`, `+ 2s`, `+ 3s` (`s` the
    /// stride of strided input `index`; float64, or float32 then widened); `vgatherqpd` is
    /// several times slower on some CPUs (2 ns per element more on an AMD EPYC).
    Gather {
        dst: u8,
        operand: usize,
        index: usize,
    },
    /// `op ymm_dst, ymm_a, ymm_b` (VEX.0F `opcode`, implied prefix `pp`).
    Binary {
        opcode: u8,
        pp: u8,
        dst: u8,
        a: u8,
        b: u8,
    },
    /// `vsqrtpd/ps ymm_dst, ymm_a`.
    Sqrt { dst: u8, a: u8 },
    /// `vcvtpd2ps xmm_dst, ymm_a` then `vcvtps2pd ymm_dst, xmm_dst`: float64 lanes rounded to
    /// float32 ([`Form::Widened`]).
    Narrow { dst: u8, a: u8 },
    /// `vroundpd/ps ymm_dst, ymm_a, mode`.
    Round { dst: u8, a: u8, mode: u8 },
    /// `vmovapd ymm_dst, ymm_a` then `vfm*213pd ymm_dst, ymm_b, ymm_c`.
    Fma {
        opcode: u8,
        dst: u8,
        a: u8,
        b: u8,
        c: u8,
    },
    /// `vcmppd/ps ymm_dst, ymm_a, ymm_b, pred`: all-ones lanes where it holds.
    Compare { dst: u8, a: u8, b: u8, pred: u8 },
    /// `ymm_dst = !ymm_a` (`vpcmpeqq` all-ones into the scratch, `vpxor`).
    Not { dst: u8, a: u8 },
    /// Leave if a lane of mask `k` is set (`vmovmskpd/ps r11d`, `test`, `jnz`).
    Bail { k: u8 },
    /// `vblendvpd/ps ymm_dst, ymm_no, ymm_yes, ymm_k`.
    Blend { dst: u8, k: u8, no: u8, yes: u8 },
}

/// Operand numbers from `MEM` on name a slot's broadcast copy on the stack (slot
/// `n - MEM`, at `[rsp + 32 (n - MEM)]`) rather than a register.
const MEM: u8 = 0x40;

/// Allocates registers: each value (masks included) a free register from [`registers`];
/// slots take `ymm0..` (live for the whole loop), or with `in_memory` stay on the stack
/// (operands [`MEM`]` + j`), leaving all 15 registers to the values. Returns the body and
/// the result's register, or `None` past the 15.
fn allocate(
    code: &[Vins],
    out: usize,
    slots: usize,
    pp: u8,
    in_memory: bool,
) -> Option<(Vec<Ins>, u8)> {
    let first = if in_memory { 0 } else { slots };
    if first >= YMMS || slots >= (u8::MAX - MEM) as usize {
        return None;
    }
    let vectors: Vec<u8> = (first as u8..YMMS as u8).collect();
    let reg = registers(code, out, &vectors, None)?;
    let body = code
        .iter()
        .map(|ins| {
            let (srcs, masks, dst) =
                operands(
                    ins,
                    &reg,
                    |j| if in_memory { MEM + j as u8 } else { j as u8 },
                );
            let Some(dst) = dst else {
                // A bail reads its mask (its last reader: the instruction may clobber it).
                return Ins::Bail { k: masks[0] };
            };
            match *ins {
                Vins::Load { operand, .. } => Ins::Load { dst, operand },
                Vins::Gather { operand, index, .. } => Ins::Gather {
                    dst,
                    operand,
                    index,
                },
                Vins::Binary { op, .. } => {
                    let (opcode, pp) = op.encoding(pp);
                    Ins::Binary {
                        opcode,
                        pp,
                        dst,
                        a: srcs[0],
                        b: srcs[1],
                    }
                }
                Vins::Sqrt { .. } => Ins::Sqrt { dst, a: srcs[0] },
                Vins::Narrow { .. } => Ins::Narrow { dst, a: srcs[0] },
                Vins::Round { mode, .. } => Ins::Round {
                    dst,
                    a: srcs[0],
                    mode,
                },
                Vins::Fma { kind, .. } => Ins::Fma {
                    opcode: kind.opcode(),
                    dst,
                    a: srcs[0],
                    b: srcs[1],
                    c: srcs[2],
                },
                Vins::Compare { pred, .. } => Ins::Compare {
                    dst,
                    a: srcs[0],
                    b: srcs[1],
                    pred,
                },
                // On all-ones lanes `kandw`/`korw`/`kxorw` are `vandps`/`vorps`/`vxorps`.
                Vins::Mask { opcode, .. } => Ins::Binary {
                    opcode: match opcode {
                        0x41 => 0x54,
                        0x45 => 0x56,
                        _ => 0x57,
                    },
                    pp: 0,
                    dst,
                    a: masks[0],
                    b: masks[1],
                },
                Vins::Not { .. } => Ins::Not { dst, a: masks[0] },
                Vins::Bail { .. } => unreachable!("a bail defines nothing: handled above"),
                Vins::Blend { .. } => Ins::Blend {
                    dst,
                    k: masks[0],
                    no: srcs[0],
                    yes: srcs[1],
                },
            }
        })
        .collect();
    Some((body, reg[out]?))
}

/// Encodes the routine: `None` if its values need more than the 15 vector registers.
///
/// One loop over the whole vectors (unaligned loads and stores, 32 bytes per iteration;
/// `rax` counts bytes), then, unless an input is strided, the row's last partial vector with
/// `vmaskmovpd/ps` loads and stores under a mask built from the last control slot (it reads
/// and writes no lane past the row's end). Returns −1 (the whole row), or the first element
/// not stored as `rax` in elements: the end of the whole vectors with strided inputs, or a
/// `%` vector's first element when it bailed.
pub(super) fn encode(
    code: &[Vins],
    result: usize,
    operands: usize,
    slots: usize,
    form: Form,
    steps: &[usize],
    block: bool,
) -> Option<Vec<u8>> {
    let wide = form.wide();
    let widened = form == Form::Widened;
    let (w, pp) = if wide { (true, 1) } else { (false, 0) };
    if steps.len() > STRIDES.len() {
        return None;
    }
    // Slots in registers where the values leave room, else on the stack.
    let (in_memory, (body, out)) = match allocate(code, result, slots, pp, false) {
        Some(a) => (false, a),
        None => (true, allocate(code, result, slots, pp, true)?),
    };
    let mut a = Asm::default();
    let bases = &BASES[..operands];
    // The strided inputs' operands (their base registers walk the input) and strides.
    let strided: Vec<usize> = code
        .iter()
        .filter_map(|i| match *i {
            Vins::Gather { operand, index, .. } => Some((index, operand)),
            _ => None,
        })
        .fold(vec![usize::MAX; steps.len()], |mut v, (index, operand)| {
            v[index] = operand;
            v
        });
    let saved: Vec<u8> = bases
        .iter()
        .copied()
        .filter(|&r| matches!(r, 3 | 12 | 14 | 15))
        .chain(STRIDES[..steps.len()].iter().copied())
        .collect();
    for &r in &saved {
        a.push(r);
    }
    // The stack frame: the slots' broadcasts (when on the stack), then, for the partial
    // vector, its lane mask (32 bytes) and its mask's bits (8).
    let rest = steps.is_empty();
    // With `block` (never with strided inputs: the plan makes those partial), then the rows
    // left and each operand's outer stride.
    debug_assert!(!block || rest, "a block routine finishes its rows");
    let mask_at = if in_memory { 32 * slots as i32 } else { 0 };
    let bits_at = mask_at + 32;
    let rows_at = bits_at + 8;
    let strides_at = rows_at + 8;
    let frame = match (rest, block) {
        (true, true) => strides_at + 8 * operands as i32,
        (true, false) => bits_at + 8,
        _ => mask_at,
    };
    if frame > 0 {
        a.bytes(&[0x48, 0x81, 0xEC]); // sub rsp, frame
        a.bytes(&frame.to_le_bytes());
    }
    let mut table = Vec::new();
    if rest {
        // r11 = the partial vector's mask bits (lane k: bit k), kept at [rsp + bits]; the lane
        // mask: the bits broadcast, `and` each lane's own bit, compared equal to it.
        a.load_gpr(R11, RSI, 8 * (slots + CONTROL_SLOTS - 1) as i32);
        a.bytes(&[0x4C, 0x89, 0x9C, 0x24]); // mov [rsp + bits], r11
        a.bytes(&bits_at.to_le_bytes());
        a.xmm(|a| a.vex_rr(0x6E, 1, 1, true, SCRATCH, 0, R11)); // vmovq xmm15, r11
        let qwords = wide && !widened;
        // vpbroadcastq / vpbroadcastd ymm15, xmm15
        a.vex_rr(
            if qwords { 0x59 } else { 0x58 },
            2,
            1,
            false,
            SCRATCH,
            0,
            SCRATCH,
        );
        // vpand ymm15, ymm15, [rip + lane bits]; vpcmpeqq / vpcmpeqd ymm15, ymm15, [same]
        table.push(a.rip(0xDB, 1));
        table.push(if qwords {
            a.rip(0x29, 2)
        } else {
            a.rip(0x76, 1)
        });
        a.vex_rsp(0x11, 1, 1, false, SCRATCH, 0, mask_at); // vmovupd [rsp + mask], ymm15
    }
    for j in 0..slots {
        // vbroadcastsd / vbroadcastss ymm_j, [rsi + 8j] (or into the scratch, then
        // vmovupd [rsp + 32j], ymm15)
        let op = if wide { 0x19 } else { 0x18 };
        let r = if in_memory { SCRATCH } else { j as u8 };
        a.vex_disp(op, 2, 1, false, r, RSI, 8 * j as i32);
        if in_memory {
            a.vex_rsp(0x11, 1, 1, false, SCRATCH, 0, 32 * j as i32);
        }
    }
    if block {
        // The row count and the outer strides, from the slots after the control slots into
        // the frame (`rsi` may become a base): mov r11, [rsi + ..]; mov [rsp + ..], r11.
        for (k, to) in (0..=operands).zip(
            [rows_at]
                .into_iter()
                .chain((0..operands).map(|j| strides_at + 8 * j as i32)),
        ) {
            a.load_gpr(R11, RSI, 8 * (slots + CONTROL_SLOTS + k) as i32);
            a.bytes(&[0x4C, 0x89, 0x9C, 0x24]);
            a.bytes(&to.to_le_bytes());
        }
    }
    for (i, &s) in STRIDES[..steps.len()].iter().enumerate() {
        // mov s, [rsi + 8 (slots + control + 8i + 1)]: lane 1's offset, the stride.
        let at = slots + CONTROL_SLOTS + LANE_SLOTS * i + 1;
        a.load_gpr(s, RSI, 8 * at as i32);
    }
    for (j, &base) in bases.iter().enumerate() {
        if base != RDI {
            a.load_gpr(base, RDI, 8 * j as i32);
        }
    }
    if let Some(j) = bases.iter().position(|&b| b == RDI) {
        a.load_gpr(RDI, RDI, 8 * j as i32);
    }
    let shift = if form == Form::F64 { 3 } else { 2 };
    a.bytes(&[0x48, 0xC1, 0xE2, shift]); // shl rdx, 3 | 2: bytes
    let mut no_rows = None;
    if block {
        a.bytes(&[0x4C, 0x8B, 0x9C, 0x24]); // mov r11, [rsp + rows]
        a.bytes(&rows_at.to_le_bytes());
        a.bytes(&[0x4D, 0x85, 0xDB]); // test r11, r11
        no_rows = Some(a.jump32(&[0x0F, 0x84])); // jz: no row
    }
    let row_top = a.b.len();
    a.bytes(&[0x31, 0xC0]); // xor eax, eax
    a.bytes(&[0x48, 0x85, 0xD2]); // test rdx, rdx
    let empty = a.jump32(&[0x0F, 0x84]); // jz: no whole vector
    let emit = |a: &mut Asm, rest: bool| {
        for ins in &body {
            match *ins {
                // The partial vector: vmaskmovps/pd under the mask on the stack (no lane past
                // the row's end is read), widened after a float32 load.
                Ins::Load { dst, operand } if rest => {
                    a.vex_rsp(0x10, 1, 1, false, SCRATCH, 0, mask_at);
                    let op = if wide && !widened { 0x2D } else { 0x2C };
                    match widened {
                        true => a.xmm(|a| a.vex_sib_v(op, 2, 1, dst, SCRATCH, bases[operand])),
                        false => a.vex_sib_v(op, 2, 1, dst, SCRATCH, bases[operand]),
                    }
                    if widened {
                        a.vex_rr(0x5A, 1, 0, false, dst, 0, dst); // vcvtps2pd ymm_dst, xmm_dst
                    }
                }
                // vcvtps2pd ymm_dst, [base + rax] (four float32, widened exactly)
                Ins::Load { dst, operand } if widened => {
                    a.vex_sib(0x5A, 1, 0, dst, bases[operand], RAX)
                }
                Ins::Load { dst, operand } => a.vex_sib(0x10, 1, pp, dst, bases[operand], RAX),
                Ins::Gather {
                    dst,
                    operand,
                    index,
                } if widened => {
                    let (p, s) = (bases[operand], STRIDES[index]);
                    a.vmem(0x10, 1, 2, dst, 0, p, None); // vmovss xmm_dst, [p]
                    for (lane, at) in [(1, Some((s, 0))), (2, Some((s, 1))), (3, Some((R11, 0)))] {
                        if lane == 3 {
                            a.lea_triple(s); // r11 = 3s
                        }
                        // vinsertps xmm_dst, xmm_dst, [p + lane·s], lane << 4
                        a.vmem(0x21, 3, 1, dst, dst, p, at);
                        a.bytes(&[lane << 4]);
                    }
                    a.vex_rr(0x5A, 1, 0, false, dst, 0, dst); // vcvtps2pd ymm_dst, xmm_dst
                }
                Ins::Gather {
                    dst,
                    operand,
                    index,
                } => {
                    let (p, s) = (bases[operand], STRIDES[index]);
                    a.vmem(0x10, 1, 3, dst, 0, p, None); // vmovsd xmm_dst, [p]
                    a.vmem(0x16, 1, 1, dst, dst, p, Some((s, 0))); // vmovhpd xmm_dst, xmm_dst, [p + s]
                    a.lea_triple(s); // r11 = 3s
                    a.vmem(0x10, 1, 3, SCRATCH, 0, p, Some((s, 1))); // vmovsd xmm15, [p + 2s]
                    a.vmem(0x16, 1, 1, SCRATCH, SCRATCH, p, Some((R11, 0))); // vmovhpd .., [p + 3s]
                    a.vex_rr(0x18, 3, 1, false, dst, dst, SCRATCH); // vinsertf128 ymm_dst, .., 1
                    a.bytes(&[1]);
                }
                Ins::Binary {
                    opcode,
                    pp,
                    dst,
                    a: x,
                    b: y,
                } => a.op3(opcode, 1, pp, false, dst, x, y),
                Ins::Sqrt { dst, a: x } => a.op2(0x51, 1, pp, dst, x),
                Ins::Narrow { dst, a: x } => {
                    a.vex_rr(0x5A, 1, 1, false, dst, 0, x); // vcvtpd2ps xmm_dst, ymm_a
                    a.vex_rr(0x5A, 1, 0, false, dst, 0, dst); // vcvtps2pd ymm_dst, xmm_dst
                }
                Ins::Round { dst, a: x, mode } => {
                    // VEX.66.0F3A 09 (pd) / 08 (ps) ib: the same rounding control as vrndscale.
                    a.op2(if w { 0x09 } else { 0x08 }, 3, 1, dst, x);
                    a.bytes(&[mode]);
                }
                Ins::Fma {
                    opcode,
                    dst,
                    a: x,
                    b: y,
                    c: z,
                } => {
                    // vmovapd dst, a (vmovupd from the stack)
                    match x >= MEM {
                        true => a.op2(0x10, 1, 1, dst, x),
                        false => a.vex_rr(0x28, 1, 1, false, dst, 0, x),
                    }
                    a.op3(opcode, 2, 1, true, dst, y, z);
                }
                Ins::Compare {
                    dst,
                    a: x,
                    b: y,
                    pred,
                } => {
                    a.op3(0xC2, 1, pp, false, dst, x, y);
                    a.bytes(&[pred]);
                }
                Ins::Not { dst, a: x } => {
                    a.all_ones(SCRATCH);
                    a.vex_rr(0xEF, 1, 1, false, dst, x, SCRATCH); // vpxor
                }
                Ins::Bail { k } => {
                    a.vex_rr(0x50, 1, pp, false, R11, 0, k); // vmovmskpd/ps r11d, ymm_k
                    if rest {
                        // and r11d, [rsp + bits]: only the row's lanes count
                        a.bytes(&[0x44, 0x23, 0x9C, 0x24]);
                        a.bytes(&bits_at.to_le_bytes());
                    } else {
                        a.bytes(&[0x45, 0x85, 0xDB]); // test r11d, r11d
                    }
                    let at = a.jump32(&[0x0F, 0x85]); // jnz done
                    a.bails.push(at);
                }
                Ins::Blend { dst, k, no, yes } => {
                    // VEX.66.0F3A 4B (pd) / 4A (ps) /is4: the mask register in imm8[7:4].
                    a.op3(if w { 0x4B } else { 0x4A }, 3, 1, false, dst, no, yes);
                    a.bytes(&[k << 4]);
                }
            }
        }
        if widened {
            a.vex_rr(0x5A, 1, 1, false, out, 0, out); // vcvtpd2ps xmm_out, ymm_out
        }
        if rest {
            // vmaskmovps/pd [base_0 + rax], mask, out (lanes past the row's end untouched)
            a.vex_rsp(0x10, 1, 1, false, SCRATCH, 0, mask_at);
            let op = if wide && !widened { 0x2F } else { 0x2E };
            match widened {
                true => a.xmm(|a| a.vex_sib_v(op, 2, 1, out, SCRATCH, bases[0])),
                false => a.vex_sib_v(op, 2, 1, out, SCRATCH, bases[0]),
            }
        } else if widened {
            a.xmm(|a| a.vex_sib(0x11, 1, 0, out, bases[0], RAX)); // vmovups [base_0 + rax], xmm_out
        } else {
            a.vex_sib(0x11, 1, pp, out, bases[0], RAX); // vmovupd/ps [base_0 + rax], ymm_out
        }
    };
    let top = a.b.len();
    emit(&mut a, false);
    a.bytes(&[0x48, 0x83, 0xC0, if widened { 0x10 } else { 0x20 }]); // add rax, 16 | 32
    for (i, &operand) in strided.iter().enumerate() {
        a.lea_step(bases[operand], STRIDES[i]); // p += 4s
    }
    a.bytes(&[0x48, 0x39, 0xD0]); // cmp rax, rdx
    a.jump32_to(&[0x0F, 0x82], top); // jb top
    a.patch(empty);
    let mut whole = None;
    if rest {
        a.bytes(&[0x4C, 0x8B, 0x9C, 0x24]); // mov r11, [rsp + bits]
        a.bytes(&bits_at.to_le_bytes());
        a.bytes(&[0x4D, 0x85, 0xDB]); // test r11, r11
        let none = a.jump32(&[0x0F, 0x84]); // jz: no partial vector
        emit(&mut a, true);
        a.patch(none);
        if block {
            // The next row: add base_j, [rsp + stride_j]; dec qword [rsp + rows]; jnz.
            for (j, &base) in bases.iter().enumerate() {
                a.bytes(&[0x48 | (base >> 3) << 2, 0x03, 0x84 | (base & 7) << 3, 0x24]);
                a.bytes(&(strides_at + 8 * j as i32).to_le_bytes());
            }
            a.bytes(&[0x48, 0xFF, 0x8C, 0x24]);
            a.bytes(&rows_at.to_le_bytes());
            a.jump32_to(&[0x0F, 0x85], row_top);
        }
        if let Some(at) = no_rows {
            a.patch(at);
        }
        a.bytes(&[0x48, 0xC7, 0xC0, 0xFF, 0xFF, 0xFF, 0xFF]); // mov rax, -1: the whole row
        whole = Some(a.jump32(&[0xE9])); // jmp epilogue
    }
    // Stopped (or bailed): the first element not stored.
    for at in std::mem::take(&mut a.bails) {
        a.patch(at);
    }
    a.bytes(&[0x48, 0xC1, 0xE8, shift]); // shr rax, 3 | 2
    if let Some(at) = whole {
        a.patch(at);
    }
    a.bytes(&[0xC5, 0xF8, 0x77]); // vzeroupper
    if frame > 0 {
        a.bytes(&[0x48, 0x81, 0xC4]); // add rsp, frame
        a.bytes(&frame.to_le_bytes());
    }
    for &r in saved.iter().rev() {
        a.pop(r);
    }
    a.bytes(&[0xC3]); // ret
    if rest {
        // Lane k's bit, as qwords (float64 lanes) or dwords (float32 ones, also the widened
        // form's memory lanes).
        let at = a.b.len();
        for k in 0..8u64 {
            match wide && !widened {
                true if k < 4 => a.bytes(&(1u64 << k).to_le_bytes()),
                true => {}
                false => a.bytes(&(1u32 << k).to_le_bytes()),
            }
        }
        for disp in table {
            let rel = (at - (disp + 4)) as i32;
            a.b[disp..disp + 4].copy_from_slice(&rel.to_le_bytes());
        }
    }
    Some(a.b)
}

/// The VEX (AVX2) encodings the routine needs.
impl Asm {
    /// The VEX prefix of a 256-bit instruction: opcode `map` (1: 0F, 2: 0F38, 3: 0F3A),
    /// implied prefix `pp` (0: none, 1: 66), `W`, the ModRM.reg register `reg`, the source `v`
    /// (0 when unused), and the extension bits of ModRM.rm's register or base (`b`) and of
    /// the index (`x`); the two-byte form where it can say as much (as assemblers choose).
    #[allow(clippy::too_many_arguments)]
    fn vex(&mut self, map: u8, pp: u8, w: bool, reg: u8, v: u8, b: u8, x: u8) {
        let inv = |bit: u8| (!bit) & 1;
        // L = 1 (256 bits).
        let tail = ((!v) & 0xF) << 3 | 0b100 | pp;
        if map == 1 && !w && x & 1 == 0 && b & 1 == 0 {
            self.bytes(&[0xC5, inv(reg >> 3) << 7 | tail]);
        } else {
            let p0 = inv(reg >> 3) << 7 | inv(x) << 6 | inv(b) << 5 | map;
            self.bytes(&[0xC4, p0, u8::from(w) << 7 | tail]);
        }
    }

    /// `op ymm_dst, ymm_v, ymm_rm`.
    #[allow(clippy::too_many_arguments)]
    fn vex_rr(&mut self, op: u8, map: u8, pp: u8, w: bool, dst: u8, v: u8, rm: u8) {
        self.vex(map, pp, w, dst, v, rm >> 3, 0);
        self.bytes(&[op, 0xC0 | (dst & 7) << 3 | (rm & 7)]);
    }

    /// `vmovupd/ps` (opcode 0x10 load, 0x11 store) of `ymm_reg` at `[base + index]` (`base`
    /// is never `rbp` or `r13`).
    fn vex_sib(&mut self, op: u8, map: u8, pp: u8, reg: u8, base: u8, index: u8) {
        self.vex(map, pp, false, reg, 0, base >> 3, index >> 3);
        self.bytes(&[op, (reg & 7) << 3 | 0b100, (index & 7) << 3 | (base & 7)]);
    }

    /// `op ymm_reg, ymm_v, [base + rax]` (the masked moves: `v` the mask).
    fn vex_sib_v(&mut self, op: u8, map: u8, pp: u8, reg: u8, v: u8, base: u8) {
        self.vex(map, pp, false, reg, v, base >> 3, 0);
        self.bytes(&[op, (reg & 7) << 3 | 0b100, base & 7]);
    }

    /// `op ymm15, ymm15, [rip + disp32]`; returns where the displacement is, to be patched.
    fn rip(&mut self, op: u8, map: u8) -> usize {
        self.vex(map, 1, false, SCRATCH, SCRATCH, 0, 0);
        self.bytes(&[op, (SCRATCH & 7) << 3 | 0b101]);
        let at = self.b.len();
        self.bytes(&[0; 4]);
        at
    }

    /// `op ymm_reg, [base + disp32]` (`base` is not `rsp`, `rbp`, `r12` or `r13`).
    #[allow(clippy::too_many_arguments)]
    fn vex_disp(&mut self, op: u8, map: u8, pp: u8, w: bool, reg: u8, base: u8, disp: i32) {
        self.vex(map, pp, w, reg, 0, base >> 3, 0);
        self.bytes(&[op, 0b10 << 6 | (reg & 7) << 3 | (base & 7)]);
        self.bytes(&disp.to_le_bytes());
    }

    /// The instruction `f` emits, on 128-bit vectors (its VEX `L` bit cleared).
    fn xmm(&mut self, f: impl FnOnce(&mut Self)) {
        let at = self.b.len();
        f(self);
        let l = if self.b[at] == 0xC5 { at + 1 } else { at + 2 };
        self.b[l] &= !0b100;
    }

    /// `op xmm_reg, xmm_v, [base + index << scale]` on 128 bits (opcode `map`, implied
    /// prefix `pp`: 1 66, 2 F3, 3 F2; `index` `None`: `[base]`), always with a SIB byte
    /// (`base` is not `rbp` or `r13`).
    #[allow(clippy::too_many_arguments)]
    fn vmem(&mut self, op: u8, map: u8, pp: u8, reg: u8, v: u8, base: u8, index: Option<(u8, u8)>) {
        let (x, sib_index, scale) = match index {
            Some((i, scale)) => (i >> 3, i & 7, scale),
            None => (0, 0b100, 0),
        };
        self.xmm(|a| a.vex(map, pp, false, reg, v, base >> 3, x));
        self.bytes(&[
            op,
            (reg & 7) << 3 | 0b100,
            scale << 6 | sib_index << 3 | (base & 7),
        ]);
    }

    /// `lea r11, [s + 2s]` (`s` is `rbp` or `r13`: a displacement byte of 0).
    fn lea_triple(&mut self, s: u8) {
        let rex = 0x4C | (s >> 3) << 1 | (s >> 3);
        self.bytes(&[rex, 0x8D, 0x5C, 0b01 << 6 | (s & 7) << 3 | (s & 7), 0]);
    }

    /// `lea p, [p + 4s]`: a strided input's pointer to its next vector.
    fn lea_step(&mut self, p: u8, s: u8) {
        let rex = 0x48 | (p >> 3) << 2 | (s >> 3) << 1 | (p >> 3);
        self.bytes(&[
            rex,
            0x8D,
            (p & 7) << 3 | 0b100,
            0b10 << 6 | (s & 7) << 3 | (p & 7),
        ]);
    }

    /// `op ymm_reg, ymm_v, [rsp + disp32]`.
    #[allow(clippy::too_many_arguments)]
    fn vex_rsp(&mut self, op: u8, map: u8, pp: u8, w: bool, reg: u8, v: u8, disp: i32) {
        self.vex(map, pp, w, reg, v, 0, 0);
        self.bytes(&[op, 0b10 << 6 | (reg & 7) << 3 | 0b100, 0x24]);
        self.bytes(&disp.to_le_bytes());
    }

    /// `op ymm_dst, ymm_v, rm` whose operands may be slots on the stack ([`MEM`]): `rm` read
    /// from memory, `v` first loaded into the scratch register.
    #[allow(clippy::too_many_arguments)]
    fn op3(&mut self, op: u8, map: u8, pp: u8, w: bool, dst: u8, v: u8, rm: u8) {
        let v = if v >= MEM {
            self.vex_rsp(0x10, 1, 1, false, SCRATCH, 0, 32 * i32::from(v - MEM));
            SCRATCH
        } else {
            v
        };
        match rm >= MEM {
            true => self.vex_rsp(op, map, pp, w, dst, v, 32 * i32::from(rm - MEM)),
            false => self.vex_rr(op, map, pp, w, dst, v, rm),
        }
    }

    /// `op ymm_dst, rm` (one source; `rm` may be a slot on the stack).
    fn op2(&mut self, op: u8, map: u8, pp: u8, dst: u8, rm: u8) {
        match rm >= MEM {
            true => self.vex_rsp(op, map, pp, false, dst, 0, 32 * i32::from(rm - MEM)),
            false => self.vex_rr(op, map, pp, false, dst, 0, rm),
        }
    }

    /// `vpcmpeqq ymm_r, ymm_r, ymm_r`: all ones.
    fn all_ones(&mut self, r: u8) {
        self.vex_rr(0x29, 2, 1, false, r, r, r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encodings checked against GNU as (`as --64` then `objdump -d`; the broadcasts with
    /// `{disp32}`, `vmovapd` with `{load}`, the forms the encoder uses; `[r14]` with a SIB
    /// byte, the widened form's conversions and lane loads, the masked moves and the mask's
    /// construction, checked by `objdump -D -b binary` instead; so were the frame's `mov`s and
    /// the bail's `and r11d, [rsp + disp32]`, written as bytes in `encode`).
    #[test]
    fn encodings_match_the_assembler() {
        let mut a = Asm::default();
        // vaddpd ymm1, ymm2, ymm3; vsubpd ymm9, ymm14, ymm12; vmulps ymm8, ymm0, ymm13
        a.vex_rr(0x58, 1, 1, false, 1, 2, 3);
        a.vex_rr(0x5C, 1, 1, false, 9, 14, 12);
        a.vex_rr(0x59, 1, 0, false, 8, 0, 13);
        // vsqrtpd ymm5, ymm10; vroundpd ymm3, ymm11, 9; vroundps ymm12, ymm5, 10
        a.vex_rr(0x51, 1, 1, false, 5, 0, 10);
        a.vex_rr(0x09, 3, 1, false, 3, 0, 11);
        a.bytes(&[9]);
        a.vex_rr(0x08, 3, 1, false, 12, 0, 5);
        a.bytes(&[10]);
        // vmovupd ymm3, [r14 + rax]; vmovups [rcx + rax], ymm12; vmovupd [r12 + rax], ymm9
        a.vex_sib(0x10, 1, 1, 3, 14, RAX);
        a.vex_sib(0x11, 1, 0, 12, 1, RAX);
        a.vex_sib(0x11, 1, 1, 9, 12, RAX);
        // vbroadcastsd ymm10, [rsi + 0x28]; vbroadcastss ymm2, [rsi + 8];
        // vmovupd ymm13, [rsi + 0x40]
        a.vex_disp(0x19, 2, 1, false, 10, RSI, 0x28);
        a.vex_disp(0x18, 2, 1, false, 2, RSI, 8);
        a.vex_disp(0x10, 1, 1, false, 13, RSI, 0x40);
        // vmovapd ymm4, ymm9; vfmadd213pd ymm1, ymm2, ymm3; vfmsub213pd ymm9, ymm14, ymm12;
        // vfnmadd213pd ymm5, ymm10, ymm11
        a.vex_rr(0x28, 1, 1, false, 4, 0, 9);
        a.vex_rr(0xA8, 2, 1, true, 1, 2, 3);
        a.vex_rr(0xAA, 2, 1, true, 9, 14, 12);
        a.vex_rr(0xAC, 2, 1, true, 5, 10, 11);
        // vcmpunordpd ymm3, ymm2, ymm11; vcmplt_oqps ymm12, ymm3, ymm9
        a.vex_rr(0xC2, 1, 1, false, 3, 2, 11);
        a.bytes(&[3]);
        a.vex_rr(0xC2, 1, 0, false, 12, 3, 9);
        a.bytes(&[0x11]);
        // vandps ymm3, ymm4, ymm10; vorps ymm11, ymm2, ymm3; vxorps ymm1, ymm12, ymm13
        a.vex_rr(0x54, 1, 0, false, 3, 4, 10);
        a.vex_rr(0x56, 1, 0, false, 11, 2, 3);
        a.vex_rr(0x57, 1, 0, false, 1, 12, 13);
        // vpand ymm3, ymm11, ymm2; vpor ymm3, ymm4, ymm5; vpxor ymm10, ymm10, ymm15
        a.vex_rr(0xDB, 1, 1, false, 3, 11, 2);
        a.vex_rr(0xEB, 1, 1, false, 3, 4, 5);
        a.vex_rr(0xEF, 1, 1, false, 10, 10, 15);
        // vpcmpeqq ymm15, ymm15, ymm15; vpaddq ymm13, ymm13, ymm2
        a.all_ones(15);
        a.vex_rr(0xD4, 1, 1, false, 13, 13, 2);
        // vblendvpd ymm6, ymm7, ymm12, ymm3; vblendvps ymm9, ymm1, ymm2, ymm14
        a.vex_rr(0x4B, 3, 1, false, 6, 7, 12);
        a.bytes(&[3 << 4]);
        a.vex_rr(0x4A, 3, 1, false, 9, 1, 2);
        a.bytes(&[14 << 4]);
        // vmovmskpd r11d, ymm12; vmovmskps r11d, ymm3
        a.vex_rr(0x50, 1, 1, false, R11, 0, 12);
        a.vex_rr(0x50, 1, 0, false, R11, 0, 3);
        // vmovsd xmm3, [r14]; vmovsd xmm5, [r12]; vmovhpd xmm3, xmm3, [r14 + rbp];
        // vmovhpd xmm12, xmm12, [rcx + r13]; vmovsd xmm15, [r12 + rbp*2];
        // vmovhpd xmm15, xmm15, [r12 + r11]; vinsertf128 ymm3, ymm3, xmm15, 1;
        // lea r11, [rbp + rbp*2]; lea r11, [r13 + r13*2]; lea r14, [r14 + rbp*4];
        // lea rcx, [rcx + r13*4]; lea r12, [r12 + rbp*4]
        a.vmem(0x10, 1, 3, 3, 0, 14, None);
        a.vmem(0x10, 1, 3, 5, 0, 12, None);
        a.vmem(0x16, 1, 1, 3, 3, 14, Some((5, 0)));
        a.vmem(0x16, 1, 1, 12, 12, 1, Some((13, 0)));
        a.vmem(0x10, 1, 3, 15, 0, 12, Some((5, 1)));
        a.vmem(0x16, 1, 1, 15, 15, 12, Some((R11, 0)));
        a.vex_rr(0x18, 3, 1, false, 3, 3, 15);
        a.bytes(&[1]);
        a.lea_triple(5);
        a.lea_triple(13);
        a.lea_step(14, 5);
        a.lea_step(1, 13);
        a.lea_step(12, 5);
        // vaddpd ymm3, ymm15, [rsp + 0x40]; vmovupd [rsp + 0x20], ymm15;
        // vmovupd ymm15, [rsp + 0x60]; vfmadd213pd ymm9, ymm15, [rsp + 0x80];
        // vblendvpd ymm6, ymm15, [rsp + 0x20], ymm3 (displacements of 32 bits)
        a.vex_rsp(0x58, 1, 1, false, 3, 15, 0x40);
        a.vex_rsp(0x11, 1, 1, false, 15, 0, 0x20);
        a.vex_rsp(0x10, 1, 1, false, 15, 0, 0x60);
        a.vex_rsp(0xA8, 2, 1, true, 9, 15, 0x80);
        a.vex_rsp(0x4B, 3, 1, false, 6, 15, 0x20);
        a.bytes(&[3 << 4]);
        // The widened form: vcvtps2pd ymm3, [r14 + rax]; vcvtpd2ps xmm5, ymm12;
        // vcvtps2pd ymm12, xmm12; vmovups [rcx + rax], xmm9; vmovss xmm3, [r14];
        // vinsertps xmm3, xmm3, [r14 + rbp], 0x10; vinsertps xmm12, xmm12, [rcx + r13*2], 0x20;
        // vinsertps xmm5, xmm5, [r12 + r11], 0x30
        a.vex_sib(0x5A, 1, 0, 3, 14, RAX);
        a.vex_rr(0x5A, 1, 1, false, 5, 0, 12);
        a.vex_rr(0x5A, 1, 0, false, 12, 0, 12);
        a.xmm(|a| a.vex_sib(0x11, 1, 0, 9, 1, RAX));
        a.vmem(0x10, 1, 2, 3, 0, 14, None);
        a.vmem(0x21, 3, 1, 3, 3, 14, Some((5, 0)));
        a.bytes(&[0x10]);
        a.vmem(0x21, 3, 1, 12, 12, 1, Some((13, 1)));
        a.bytes(&[0x20]);
        a.vmem(0x21, 3, 1, 5, 5, 12, Some((R11, 0)));
        a.bytes(&[0x30]);
        // The partial vector: vmaskmovpd ymm3, ymm15, [r14 + rax];
        // vmaskmovps xmm12, xmm15, [rcx + rax]; vmaskmovpd [r12 + rax], ymm15, ymm9;
        // vmaskmovps [rcx + rax], xmm15, xmm5; vmovq xmm15, r11; vpbroadcastq ymm15, xmm15;
        // vpbroadcastd ymm15, xmm15; vpand ymm15, ymm15, [rip + 0];
        // vpcmpeqq ymm15, ymm15, [rip + 0]; vpcmpeqd ymm15, ymm15, [rip + 0]
        a.vex_sib_v(0x2D, 2, 1, 3, 15, 14);
        a.xmm(|a| a.vex_sib_v(0x2C, 2, 1, 12, 15, 1));
        a.vex_sib_v(0x2F, 2, 1, 9, 15, 12);
        a.xmm(|a| a.vex_sib_v(0x2E, 2, 1, 5, 15, 1));
        a.xmm(|a| a.vex_rr(0x6E, 1, 1, true, 15, 0, R11));
        a.vex_rr(0x59, 2, 1, false, 15, 0, 15);
        a.vex_rr(0x58, 2, 1, false, 15, 0, 15);
        a.rip(0xDB, 1);
        a.rip(0x29, 2);
        a.rip(0x76, 1);
        let want: &[u8] = &[
            0xc5, 0xed, 0x58, 0xcb, 0xc4, 0x41, 0x0d, 0x5c, 0xcc, 0xc4, 0x41, 0x7c, 0x59, 0xc5,
            0xc4, 0xc1, 0x7d, 0x51, 0xea, 0xc4, 0xc3, 0x7d, 0x09, 0xdb, 0x09, 0xc4, 0x63, 0x7d,
            0x08, 0xe5, 0x0a, 0xc4, 0xc1, 0x7d, 0x10, 0x1c, 0x06, 0xc5, 0x7c, 0x11, 0x24, 0x01,
            0xc4, 0x41, 0x7d, 0x11, 0x0c, 0x04, 0xc4, 0x62, 0x7d, 0x19, 0x96, 0x28, 0x00, 0x00,
            0x00, 0xc4, 0xe2, 0x7d, 0x18, 0x96, 0x08, 0x00, 0x00, 0x00, 0xc5, 0x7d, 0x10, 0xae,
            0x40, 0x00, 0x00, 0x00, 0xc4, 0xc1, 0x7d, 0x28, 0xe1, 0xc4, 0xe2, 0xed, 0xa8, 0xcb,
            0xc4, 0x42, 0x8d, 0xaa, 0xcc, 0xc4, 0xc2, 0xad, 0xac, 0xeb, 0xc4, 0xc1, 0x6d, 0xc2,
            0xdb, 0x03, 0xc4, 0x41, 0x64, 0xc2, 0xe1, 0x11, 0xc4, 0xc1, 0x5c, 0x54, 0xda, 0xc5,
            0x6c, 0x56, 0xdb, 0xc4, 0xc1, 0x1c, 0x57, 0xcd, 0xc5, 0xa5, 0xdb, 0xda, 0xc5, 0xdd,
            0xeb, 0xdd, 0xc4, 0x41, 0x2d, 0xef, 0xd7, 0xc4, 0x42, 0x05, 0x29, 0xff, 0xc5, 0x15,
            0xd4, 0xea, 0xc4, 0xc3, 0x45, 0x4b, 0xf4, 0x30, 0xc4, 0x63, 0x75, 0x4a, 0xca, 0xe0,
            0xc4, 0x41, 0x7d, 0x50, 0xdc, 0xc5, 0x7c, 0x50, 0xdb, 0xc4, 0xc1, 0x7b, 0x10, 0x1c,
            0x26, 0xc4, 0xc1, 0x7b, 0x10, 0x2c, 0x24, 0xc4, 0xc1, 0x61, 0x16, 0x1c, 0x2e, 0xc4,
            0x21, 0x19, 0x16, 0x24, 0x29, 0xc4, 0x41, 0x7b, 0x10, 0x3c, 0x6c, 0xc4, 0x01, 0x01,
            0x16, 0x3c, 0x1c, 0xc4, 0xc3, 0x65, 0x18, 0xdf, 0x01, 0x4c, 0x8d, 0x5c, 0x6d, 0x00,
            0x4f, 0x8d, 0x5c, 0x6d, 0x00, 0x4d, 0x8d, 0x34, 0xae, 0x4a, 0x8d, 0x0c, 0xa9, 0x4d,
            0x8d, 0x24, 0xac, 0xc5, 0x85, 0x58, 0x9c, 0x24, 0x40, 0x00, 0x00, 0x00, 0xc5, 0x7d,
            0x11, 0xbc, 0x24, 0x20, 0x00, 0x00, 0x00, 0xc5, 0x7d, 0x10, 0xbc, 0x24, 0x60, 0x00,
            0x00, 0x00, 0xc4, 0x62, 0x85, 0xa8, 0x8c, 0x24, 0x80, 0x00, 0x00, 0x00, 0xc4, 0xe3,
            0x05, 0x4b, 0xb4, 0x24, 0x20, 0x00, 0x00, 0x00, 0x30, 0xc4, 0xc1, 0x7c, 0x5a, 0x1c,
            0x06, 0xc4, 0xc1, 0x7d, 0x5a, 0xec, 0xc4, 0x41, 0x7c, 0x5a, 0xe4, 0xc5, 0x78, 0x11,
            0x0c, 0x01, 0xc4, 0xc1, 0x7a, 0x10, 0x1c, 0x26, 0xc4, 0xc3, 0x61, 0x21, 0x1c, 0x2e,
            0x10, 0xc4, 0x23, 0x19, 0x21, 0x24, 0x69, 0x20, 0xc4, 0x83, 0x51, 0x21, 0x2c, 0x1c,
            0x30, 0xc4, 0xc2, 0x05, 0x2d, 0x1c, 0x06, 0xc4, 0x62, 0x01, 0x2c, 0x24, 0x01, 0xc4,
            0x42, 0x05, 0x2f, 0x0c, 0x04, 0xc4, 0xe2, 0x01, 0x2e, 0x2c, 0x01, 0xc4, 0x41, 0xf9,
            0x6e, 0xfb, 0xc4, 0x42, 0x7d, 0x59, 0xff, 0xc4, 0x42, 0x7d, 0x58, 0xff, 0xc5, 0x05,
            0xdb, 0x3d, 0x00, 0x00, 0x00, 0x00, 0xc4, 0x62, 0x05, 0x29, 0x3d, 0x00, 0x00, 0x00,
            0x00, 0xc5, 0x05, 0x76, 0x3d, 0x00, 0x00, 0x00, 0x00,
        ];
        assert_eq!(a.b, want, "{:02x?}", a.b);
    }
}

//! Owns the AVX-512 encoder of the row routines: registers (`zmm`, masks) allocated over the
//! shared body ([`Vins`]), and the EVEX encodings of the loop, its streaming-store variant and
//! the row's masked last vector.
//! Must not touch the planning (`rows`) or Cranelift IR: it turns a planned body into bytes.

use super::*;

/// Vector registers.
const ZMMS: usize = 32;
/// The mask registers values may take (k1, k2 and k7 hold store masks for the whole call);
/// the last is the gathers' ([`K_GATHER`]) when a routine has strided inputs.
const MASKS: [u8; 4] = [3, 4, 5, 6];
/// The gathers' mask (a gather clears it as it loads).
const K_GATHER: u8 = 6;
/// The mask of the row's last, partial vector.
const K_REST: u8 = 7;

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
    /// `vcvtpd2ps ymm_dst, zmm_a` then `vcvtps2pd zmm_dst, ymm_dst`.
    Narrow { dst: u8, a: u8 },
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
/// `offsets` (live for the whole loop), each value a free vector or mask register (see
/// [`registers`]); gathers take [`K_GATHER`] off the value masks. Returns the body and the
/// result's register, or `None` past 32 vector or the free mask registers.
fn allocate(
    code: &[Vins],
    out: usize,
    (slots, offsets): (usize, usize),
    pp: u8,
) -> Option<(Vec<Ins>, u8)> {
    if slots + offsets >= ZMMS {
        return None;
    }
    let vectors: Vec<u8> = ((slots + offsets) as u8..ZMMS as u8).collect();
    let masks = if offsets > 0 {
        &MASKS[..MASKS.len() - 1]
    } else {
        &MASKS[..]
    };
    let reg = registers(code, out, &vectors, Some(masks))?;
    let body = code
        .iter()
        .map(|ins| {
            let (srcs, masks, dst) = operands(ins, &reg, |j| j as u8);
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
            }
        })
        .collect();
    Some((body, reg[out]?))
}

/// Encodes the routine: `None` if its values need more than the 32 vector registers.
///
/// Two loops: the plain one (unaligned loads and stores, 64 bytes per iteration), and when
/// the caller asks for streaming stores (large outputs, which would only evict the inputs
/// from the caches), one whose stores bypass the caches: the elements up to the output's next
/// 64-byte boundary are stored under a mask, then aligned streaming stores, then the last
/// vector again under the complementary mask (its loads stay in bounds; its first lanes are
/// recomputed and not stored), then `sfence`, so the stores are visible before the kernel
/// returns.
pub(super) fn encode(
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
                Ins::Narrow { dst, a: x } => {
                    a.evex_rr(0x5A, 1, 1, true, dst, 0, x); // vcvtpd2ps ymm_dst, zmm_a
                    a.evex_rr(0x5A, 1, 0, false, dst, 0, dst); // vcvtps2pd zmm_dst, ymm_dst
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

/// The EVEX (AVX-512) encodings the routine needs.
impl Asm {
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

    /// `kmovw k, [base + disp32]` (`base` below r8, not `rsp` or `rbp`).
    fn kmovw_load(&mut self, k: u8, base: u8, disp: i32) {
        self.bytes(&[0xC5, 0xF8, 0x90, 0b10 << 6 | (k & 7) << 3 | (base & 7)]);
        self.bytes(&disp.to_le_bytes());
    }
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

//! Owns the JIT's float64 math kernels (exp, log, sin, ..., `**`) emitted as Cranelift IR on `F64X2`.
//! Must not touch anything but the function builder it is given; `semantics::refmath` is the same algorithms in plain Rust, and the two must agree bit for bit.
//!
//! Provides branch-free polynomial kernels for float64 transcendentals, emitted as Cranelift IR
//! for a scalar `F64` or a vector `F64X2` value, so that a fused loop computes `exp`, `log`,
//! `sin`, ... inline instead of calling libm once per element.
//!
//! Entry points: [`emit`] (one argument), [`emit2`] (two arguments: `arctan2`), [`has_kernel`],
//! and [`emit_pow`] for the `**` operator.
//! Every kernel is written once, for `F64X2`; a scalar `F64` argument is put in lane 0 of a
//! vector (`scalar_to_vector`, the other lane 0) and the result read back from lane 0, so the
//! scalar and the vector code give bit-identical results for every element (a schedule may
//! put an element in a vector step or in a scalar tail: the answer is the same).
//!
//! Measured against Rust's `f64` methods (glibc's libm) on ~10⁶ arguments per function:
//! random over the whole domain (uniform, log-uniform, random bit patterns), dense sweeps
//! around the hard points, and the special values (`tests/it/vmath.rs`). Where the maximum is
//! 2 ulp, the worst arguments checked with 50-digit arithmetic were glibc's error, not the
//! kernel's (for `sin`, `tan`, `tanh`, `sinh`, `cosh`, `log10`), except `arctan`.
//!
//! | function | method | max ulp vs glibc |
//! |---|---|---|
//! | `exp` | `k = round(x/ln 2)` by the 1.5·2⁵² trick, `r = x − k·ln 2` (two-part ln 2, fma), degree-12 minimax polynomial, `2^k` built in the exponent bits in two steps (a subnormal result is rounded once) | 1 |
//! | `expm1` | the same reduction carrying the rounding errors of `r` and of the polynomial as a tail, then `2^k·p + (2^k − 1)` by fma (`2^k − 1` exact) | 1 |
//! | `log` | `x = 2^e·m`, `m ∈ [√2/2, √2)` by integer arithmetic on the bits (subnormals pre-scaled by 2⁵²), then fdlibm's `log1p(f)` via `s = f/(2+f)` and its degree-14 series in `s` | 1 |
//! | `log2`, `log10` | `log`'s pieces, combined as fdlibm does: `f − f²/2` split into a 32-bit head and a tail, each times a two-part 1/ln b, the exponent added exactly | 1, 2 |
//! | `log1p` | `u = 1 + x` and its exact error `c` (TwoSum), `log(u) + c/u` | 1 |
//! | `sin`, `cos` | `x = (m/2)·π + r` with `m` even (sin) or odd (cos), `r = x − m·π/2` by three fmas with a three-part π/2 (the first step is exact), `|r| ≤ π/2`; one odd degree-17 minimax polynomial for `sin r` with the rounding error of `r²` fed back; the sign from the parity of `m/2` | 2, 1 |
//! | `tan` | `r = x − q·π/2` as a double-double (`|r| ≤ π/4`), `sin r` (the sin polynomial) and `cos r` (fdlibm's kernel) as head + tail, `sin/cos` or `−cos/sin` by parity, one corrected division | 2 |
//! | `tanh` | `t = expm1(2|x|)` as a double-double: `t/(t + 2)` with a corrected division below 1, `1 − 2/(t + 2)` above; the sign of x | 2 |
//! | `sinh`, `cosh` | one `exp` reduction of `|x|`: `h = e^|x|/2` (scaled by `2^(k−1)`, so it overflows only where the result does); `cosh = h + 1/(4h)`; `sinh = h − 1/(4h)`, or fdlibm's `t − t²/(2(t+1))` with `t = expm1(|x|)` below 1 | 2, 2 |
//! | `arctan` | `|x|` reduced to `|t| ≤ tan(π/8)` by `t = |x|`, `(|x| − 1)/(|x| + 1)` (+π/4) or `−1/|x|` (+π/2), one division; fdlibm's degree-23 odd polynomial; the sign of x | 2 |
//! | `arctan2` | the same reduction of `|y|/|x|` without dividing first (`|y|`, `|y| − |x|` or `−|x|` over `|x|`, `|y| + |x|` or `|y|`; huge pairs scaled by 2⁻⁸), `π −` that for a negative x (sign bit), the sign of y; 0/0 and inf/inf fixed up | 2 |
//! | `pow` (`x ** y`) | `ln|x| = k·ln2 − ln(invc) + log1p(r)` with a 128-entry table (`r = z·invc − 1` exact, Taylor to r⁹) as a double-double, `y·ln|x|` as a double-double, `e^(ph + pl)` with a 128-entry `2^(i/128)` table and a degree-5 Taylor polynomial, x's sign for an odd integer y; tables gathered lane by lane; every lane outside a normal finite x and `|y·ln|x|| < 708` (zeros, subnormals, infinities, NaN, negative x with non-integer y, overflow, underflow) through the cold libm fallback | 1 |
//!
//! `sin`, `cos` and `tan` are accurate for `|x| ≤ 2²⁷` (the reduction itself holds much
//! further); lanes beyond (and ±inf) take a cold branch, taken only if any lane needs it, that
//! stores the pair to a stack slot and calls a Rust routine (libm for those lanes, the fast
//! result for the others). `pow` takes the same kind of branch for its special lanes.
//! Everything else is branch-free.
//!
//! Special values are exact: NaN in gives NaN out; `exp(−inf) = 0`, `exp(inf) = inf`,
//! overflow to inf above 709.78 and gradual underflow to 0 below −708.4; `expm1(−inf) = −1`;
//! `log(±0) = −inf`, `log(x < 0) = NaN`, `log(inf) = inf` (likewise `log2`, `log10`, and
//! `log1p` at −1); odd functions keep the sign of a zero (`sin(−0) = −0`, `expm1(−0) = −0`,
//! ...); `sin(±inf) = NaN`; `tanh(±inf) = ±1`, `arctan(±inf) = ±π/2`; `arctan2` matches libm
//! bit for bit on every pair of ±0, ±inf, NaN, ±1, ±5e-324 and ±MAX.
//!
//! Speed on this machine (a shared 2-core Xeon; `F64X2` loop over 2²⁰ elements, ns per element,
//! vs a loop calling libm per element; `vmath::speed` in the tests): exp 2.1 vs 10, expm1 3.0
//! vs 12, log 3.5 vs 5.2, log1p 4.5 vs 11, log2 4.0 vs 4.5, log10 4.3 vs 8, sin 1.9 vs 18,
//! cos 2.0 vs 18, tan 6 vs 21, tanh 5.2 vs 15, sinh 4.8 vs 15, cosh 3.4 vs 8, arctan 3.5
//! vs 6.9, arctan2 6.3 vs 22. Whole loops: `sin(a)**2 + cos(b)**2` 4.0, `where(a > 0.5, a*b,
//! exp(-a))` 2.5 (copying `a` alone: 0.8). The scalar path costs about twice the vector one
//! per element (one useful lane), so for `log2` it is slower than the libm call.
//!
//! The kernels use only `fma` (one instruction with the FMA feature; without it Cranelift
//! calls libm's `fma`: still correct, but slow), `F64X2` arithmetic, `fabs`/`fneg`, compares
//! and `bitselect` on compare masks, `I64X2` add/sub/and/or/xor and shifts by constants
//! (`sshr` only in `tan` and `arctan2`: one instruction with AVX-512VL, a short sequence
//! without), bitcasts between `F64X2` and `I64X2`, and `vany_true`, a stack slot and a
//! `call_indirect` in the cold fallback. No conversion between integer and
//! float vectors is used: rounding to an integer and building `2^k` use the "add 1.5·2⁵², read
//! the low mantissa bits" trick. Constants are splats, which Cranelift turns into `vconst`s.
//!
//! **Invariant:** every kernel is straight-line code in the block that is current when it
//! is called, except the trigonometric fallback, which leaves the builder in a new block
//! (sealed, with the result as its block parameter); callers must keep emitting into the
//! builder's current block rather than a block they remembered.

// The constants are refmath's (the same algorithms in plain Rust): one copy of each.

use crate::semantics::refmath::{
    AT, ATANHI_PIO2, ATANHI_PIO4, ATANLO_PIO2, ATANLO_PIO4, EXP_Q, IVLN10HI, IVLN10LO, IVLN2HI,
    IVLN2LO, KC, LG, LN2_HI, LN2_LO, LOG10_2HI, LOG10_2LO, MAGIC, PI3O4_HI, PI3O4_LO, PIO2_1,
    PIO2_2, PIO2_3, PI_HI, PI_LO, POW_EXP_TAB, POW_LN2N_HI, POW_LN2N_LO, POW_LN2_HI, POW_LN2_LO,
    POW_LOG_TAB, SIN_S, TRIG_MAX,
};
use crate::semantics::Func;
use cranelift_codegen::ir::condcodes::FloatCC;
use cranelift_codegen::ir::{
    types, AbiParam, BlockArg, InstBuilder, MemFlagsData, Signature, StackSlotData, StackSlotKind,
    Type, Value,
};
use cranelift_frontend::FunctionBuilder;

/// Whether [`emit`] (or [`emit2`], for two-argument functions) has a kernel for `f`.
pub fn has_kernel(f: Func) -> bool {
    crate::semantics::apply::has_own_kernel(f)
}

/// Emits `f(x)` for `x` of type `F64` or `F64X2` into the current block of `fb` and returns
/// the result (same type as `x`); `None` if there is no kernel for `f` or `x` has another
/// type. The builder may be left in a new block (see the module's invariant).
pub fn emit(fb: &mut FunctionBuilder<'_>, f: Func, x: Value) -> Option<Value> {
    if !has_kernel(f) || f.arity() != 1 {
        return None;
    }
    let r = lifted(fb, &[x], |e, a| match f {
        Func::Exp => e.exp(a[0]),
        Func::Expm1 => e.expm1(a[0]),
        Func::Log => e.log(a[0]),
        Func::Log1p => e.log1p(a[0]),
        Func::Log2 => e.log_base(a[0], false),
        Func::Log10 => e.log_base(a[0], true),
        Func::Tanh => e.tanh(a[0]),
        Func::Sinh => e.sinh_cosh(a[0], false),
        Func::Cosh => e.sinh_cosh(a[0], true),
        Func::Arctan => e.atan(a[0]),
        Func::Sin => e.sin_cos(a[0], false),
        Func::Cos => e.sin_cos(a[0], true),
        Func::Tan => e.tan(a[0]),
        _ => unreachable!("has_kernel checked the function"),
    })?;
    // A NaN argument is the result, its sign and payload kept (as `semantics::apply` does):
    // which of two NaN operands an instruction inside the kernel passes on is not fixed.
    let nan = fb.ins().fcmp(FloatCC::Unordered, x, x);
    Some(if fb.func.dfg.value_type(x).is_vector() {
        let mask = fb.ins().bitcast(types::F64X2, MemFlagsData::new(), nan);
        fb.ins().bitselect(mask, x, r)
    } else {
        fb.ins().select(nan, x, r)
    })
}

/// Emits `x ** y` (C99's `pow`, every special case included) for `x`, `y` of the same type,
/// `F64` or `F64X2`, and returns the result; `None` for other types. (`pow` is an operator,
/// not a [`Func`].)
pub fn emit_pow(fb: &mut FunctionBuilder<'_>, x: Value, y: Value) -> Option<Value> {
    let ty = fb.func.dfg.value_type(x);
    if fb.func.dfg.value_type(y) != ty {
        return None;
    }
    match ty {
        types::F64X2 => Some(Emitter { fb }.pow(x, y)),
        types::F64 => {
            // Both lanes the same argument (not a zero lane 1, which would always take the
            // cold path).
            let xv = fb.ins().splat(types::F64X2, x);
            let yv = fb.ins().splat(types::F64X2, y);
            let r = Emitter { fb }.pow(xv, yv);
            Some(fb.ins().extractlane(r, 0))
        }
        _ => None,
    }
}

/// Emits `x ** (halves / 2)` for a constant integer or half-integer exponent (`halves` not
/// −1 or 0) for `x` of type `F64` or `F64X2`: `semantics::refmath::pow_const`'s double-double
/// binary powering, operation for operation (so bit for bit), branch-free.
pub fn emit_pow_const(fb: &mut FunctionBuilder<'_>, x: Value, halves: i32) -> Option<Value> {
    lifted(fb, &[x], |e, a| e.pow_const(a[0], halves))
}

/// A double-double `hi + lo` whose `lo` may be known to be zero (`None`), as in
/// `refmath::pow_const`.
type Dd = (Value, Option<Value>);

/// Emits the two-argument `f(x, y)` for `x`, `y` of the same type, `F64` or `F64X2`, and
/// returns the result; `None` if there is no kernel for `f`. `Arctan2` is `x.atan2(y)`
/// (NumPy's `arctan2(x1, x2)`, the angle of the point (x2, x1)).
pub fn emit2(fb: &mut FunctionBuilder<'_>, f: Func, x: Value, y: Value) -> Option<Value> {
    if !has_kernel(f) || f.arity() != 2 {
        return None;
    }
    lifted(fb, &[x, y], |e, a| match f {
        Func::Arctan2 => e.atan2(a[0], a[1]),
        _ => unreachable!("has_kernel checked the function"),
    })
}

/// Runs `body` on `F64X2` arguments, lifting `F64` arguments into lane 0 and back.
fn lifted(
    fb: &mut FunctionBuilder<'_>,
    args: &[Value],
    body: impl FnOnce(&mut Emitter<'_, '_>, &[Value]) -> Value,
) -> Option<Value> {
    let ty = fb.func.dfg.value_type(args[0]);
    if args.iter().any(|&a| fb.func.dfg.value_type(a) != ty) {
        return None;
    }
    match ty {
        types::F64X2 => Some(body(&mut Emitter { fb }, args)),
        types::F64 => {
            let v: Vec<Value> = args
                .iter()
                .map(|&a| fb.ins().scalar_to_vector(types::F64X2, a))
                .collect();
            let r = body(&mut Emitter { fb }, &v);
            Some(fb.ins().extractlane(r, 0))
        }
        _ => None,
    }
}

/// A cold fallback: given `[x0, x1, fast0, fast1]`, writes the results to the first two
/// entries (libm where the fast path does not apply, else `fast`).
type Fix = extern "C" fn(&mut [f64; 4]);

/// Shared body of the fallbacks: `f` on the lanes where `bad`, `fast` elsewhere.
fn fix_lanes(v: &mut [f64; 4], bad: impl Fn(f64) -> bool, f: impl Fn(f64) -> f64) {
    for i in 0..2 {
        v[i] = if bad(v[i]) { f(v[i]) } else { v[i + 2] };
    }
}

extern "C" fn fix_sin(v: &mut [f64; 4]) {
    fix_lanes(v, |x| x.abs() > TRIG_MAX, f64::sin);
}

extern "C" fn fix_cos(v: &mut [f64; 4]) {
    fix_lanes(v, |x| x.abs() > TRIG_MAX, f64::cos);
}

/// `pow`'s fallback: `[x0, x1, y0, y1, fast0, fast1, mask0, mask1]`; libm's `pow` on the
/// masked lanes, `fast` elsewhere, into the first two entries.
extern "C" fn fix_pow(v: &mut [f64; 8]) {
    for i in 0..2 {
        v[i] = if v[i + 6].to_bits() != 0 {
            v[i].powf(v[i + 2])
        } else {
            v[i + 4]
        };
    }
}

extern "C" fn fix_tan(v: &mut [f64; 4]) {
    fix_lanes(v, |x| x.abs() > TRIG_MAX, f64::tan);
}

/// What [`Emitter::log_parts`] returns.
struct LogParts {
    e: Value,
    f: Value,
    hfsq: Value,
    s: Value,
    r: Value,
}

/// Emits `F64X2` arithmetic; masks are `I64X2` compare results (all ones or all zeros).
struct Emitter<'a, 'b> {
    fb: &'a mut FunctionBuilder<'b>,
}

const D: Type = types::F64X2;
const I: Type = types::I64X2;

impl Emitter<'_, '_> {
    // ---- constants and plain arithmetic ----

    /// A splatted float constant (Cranelift's optimizer turns it into one `vconst`).
    fn c(&mut self, x: f64) -> Value {
        let s = self.fb.ins().f64const(x);
        self.fb.ins().splat(D, s)
    }

    /// A splatted integer constant.
    fn ci(&mut self, x: i64) -> Value {
        let s = self.fb.ins().iconst(types::I64, x);
        self.fb.ins().splat(I, s)
    }

    fn add(&mut self, a: Value, b: Value) -> Value {
        self.fb.ins().fadd(a, b)
    }

    fn sub(&mut self, a: Value, b: Value) -> Value {
        self.fb.ins().fsub(a, b)
    }

    fn mul(&mut self, a: Value, b: Value) -> Value {
        self.fb.ins().fmul(a, b)
    }

    fn div(&mut self, a: Value, b: Value) -> Value {
        self.fb.ins().fdiv(a, b)
    }

    fn fma(&mut self, a: Value, b: Value, c: Value) -> Value {
        self.fb.ins().fma(a, b, c)
    }

    fn neg(&mut self, a: Value) -> Value {
        self.fb.ins().fneg(a)
    }

    fn abs(&mut self, a: Value) -> Value {
        self.fb.ins().fabs(a)
    }

    /// `a·k + b` for a constant `b`.
    fn fma_c(&mut self, a: Value, k: Value, b: f64) -> Value {
        let b = self.c(b);
        self.fma(a, k, b)
    }

    /// `c[0] + x·(c[1] + x·(...))` by Horner's rule.
    fn horner(&mut self, x: Value, c: &[f64]) -> Value {
        let (&last, rest) = c.split_last().expect("a polynomial has coefficients");
        let mut acc = self.c(last);
        for &k in rest.iter().rev() {
            acc = self.fma_c(acc, x, k);
        }
        acc
    }

    // ---- double-double powers (`refmath::pow_const`, operation for operation) ----

    fn dd_mul(&mut self, (ah, al): Dd, (bh, bl): Dd) -> Dd {
        let p = self.mul(ah, bh);
        let np = self.neg(p);
        let e = self.fma(ah, bh, np);
        let t = match (al, bl) {
            (None, None) => return (p, Some(e)),
            (Some(al), None) => self.mul(al, bh),
            (None, Some(bl)) => self.mul(ah, bl),
            (Some(al), Some(bl)) => {
                let cross = self.mul(al, bh);
                self.fma(ah, bl, cross)
            }
        };
        (p, Some(self.add(e, t)))
    }

    fn dd_sqr(&mut self, (ah, al): Dd) -> Dd {
        let p = self.mul(ah, ah);
        let np = self.neg(p);
        let e = self.fma(ah, ah, np);
        match al {
            None => (p, Some(e)),
            Some(al) => {
                let t = self.mul(ah, al);
                let t2 = self.add(t, t);
                (p, Some(self.add(e, t2)))
            }
        }
    }

    fn dd_sqrt(&mut self, (h, l): Dd) -> Dd {
        let s = self.fb.ins().sqrt(h);
        let ns = self.neg(s);
        let r = self.fma(ns, s, h);
        let r = match l {
            None => r,
            Some(l) => self.add(r, l),
        };
        let twice = self.add(s, s);
        (s, Some(self.div(r, twice)))
    }

    fn pow_const(&mut self, x: Value, halves: i32) -> Value {
        let half = halves % 2 != 0;
        let x = if half {
            let minus_inf = self.cmp_c(FloatCC::Equal, x, f64::NEG_INFINITY);
            let zero = self.c(0.0);
            let plus_zero = self.add(x, zero);
            self.sel_c(minus_inf, f64::INFINITY, plus_zero)
        } else {
            x
        };
        let base: Dd = if halves < 0 {
            let one = self.c(1.0);
            let r = self.div(one, x);
            let nr = self.neg(r);
            let e = self.fma(nr, x, one);
            (r, Some(self.mul(e, r)))
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
        let (p, e) = match acc {
            Some(acc) => acc,
            None => (self.c(1.0), None),
        };
        match e {
            None => p,
            Some(e) => {
                let r = self.add(p, e);
                let nan = self.cmp(FloatCC::Unordered, r, r);
                let zero = self.cmp_c(FloatCC::Equal, p, 0.0);
                let keep_head = self.fb.ins().bor(nan, zero);
                self.sel(keep_head, p, r)
            }
        }
    }

    // ---- bits and masks ----

    fn bits(&mut self, a: Value) -> Value {
        self.fb.ins().bitcast(I, MemFlagsData::new(), a)
    }

    fn float(&mut self, a: Value) -> Value {
        self.fb.ins().bitcast(D, MemFlagsData::new(), a)
    }

    fn iadd(&mut self, a: Value, b: Value) -> Value {
        self.fb.ins().iadd(a, b)
    }

    fn isub(&mut self, a: Value, b: Value) -> Value {
        self.fb.ins().isub(a, b)
    }

    fn iadd_c(&mut self, a: Value, k: i64) -> Value {
        let k = self.ci(k);
        self.iadd(a, k)
    }

    fn shl(&mut self, a: Value, n: i64) -> Value {
        self.fb.ins().ishl_imm_u(a, n)
    }

    fn ushr(&mut self, a: Value, n: i64) -> Value {
        self.fb.ins().ushr_imm_u(a, n)
    }

    fn xor(&mut self, a: Value, b: Value) -> Value {
        self.fb.ins().bxor(a, b)
    }

    /// Lane mask of `a cc b`.
    fn cmp(&mut self, cc: FloatCC, a: Value, b: Value) -> Value {
        self.fb.ins().fcmp(cc, a, b)
    }

    /// Lane mask of `a cc k` for a constant `k`.
    fn cmp_c(&mut self, cc: FloatCC, a: Value, k: f64) -> Value {
        let k = self.c(k);
        self.cmp(cc, a, k)
    }

    /// Per lane: `a` where `mask`, else `b`.
    fn sel(&mut self, mask: Value, a: Value, b: Value) -> Value {
        let m = self.float(mask);
        self.fb.ins().bitselect(m, a, b)
    }

    /// Per lane: the constant `k` where `mask`, else `b`.
    fn sel_c(&mut self, mask: Value, k: f64, b: Value) -> Value {
        let k = self.c(k);
        self.sel(mask, k, b)
    }

    /// `max(x, lo)`, except that a NaN `x` stays NaN (one `maxpd`).
    fn clamp_lo(&mut self, x: Value, lo: f64) -> Value {
        let lo = self.c(lo);
        let m = self.cmp(FloatCC::LessThan, x, lo);
        self.sel(m, lo, x)
    }

    /// `min(x, hi)`, except that a NaN `x` stays NaN (one `minpd`).
    fn clamp_hi(&mut self, x: Value, hi: f64) -> Value {
        let hi = self.c(hi);
        let m = self.cmp(FloatCC::LessThan, hi, x);
        self.sel(m, hi, x)
    }

    /// `round(y)` for |y| < 2⁵¹ as (float value, raw bits whose low bits hold the integer).
    fn round_int(&mut self, y: Value) -> (Value, Value) {
        let magic = self.c(MAGIC);
        let t = self.add(y, magic);
        let n = self.sub(t, magic);
        let b = self.bits(t);
        (n, b)
    }

    /// `2^k` for an integer-valued `k` with −1022 ≤ k ≤ 1023 (exact bits, no conversion).
    fn pow2i(&mut self, k: Value) -> Value {
        // k + 1.5·2⁵² + 1023 has k + 1023 in its low bits; shifting by 52 drops the rest.
        let bias = self.c(MAGIC + 1023.0);
        let t = self.add(k, bias);
        let b = self.bits(t);
        let e = self.shl(b, 52);
        self.float(e)
    }

    // ---- kernels ----

    /// `eʳ` for |r| ≤ ln2/2 (+ a little), as `1 + (r + r²·Q(r))`.
    fn exp_poly(&mut self, r: Value) -> Value {
        let z = self.mul(r, r);
        // Q by even and odd halves in z, two short dependency chains.
        let even: Vec<f64> = EXP_Q.iter().step_by(2).copied().collect();
        let odd: Vec<f64> = EXP_Q.iter().skip(1).step_by(2).copied().collect();
        let e = self.horner(z, &even);
        let o = self.horner(z, &odd);
        let q = self.fma(o, r, e);
        let p = self.fma(z, q, r);
        let one = self.c(1.0);
        self.add(p, one)
    }

    /// Splits `x` (|x| ≤ 746) as `k·ln2 + r`: returns (k, r).
    fn exp_reduce(&mut self, x: Value) -> (Value, Value) {
        let inv_ln2 = self.c(std::f64::consts::LOG2_E);
        let magic = self.c(MAGIC);
        let t = self.fma(x, inv_ln2, magic);
        let k = self.sub(t, magic);
        let nk = self.neg(k);
        let hi = self.c(LN2_HI);
        let r = self.fma(nk, hi, x);
        let lo = self.c(LN2_LO);
        let r = self.fma(nk, lo, r);
        (k, r)
    }

    /// `p·2^k` for integer-valued |k| ≤ 2044, in two exact power-of-two steps so that a
    /// subnormal result is rounded once.
    fn scale(&mut self, p: Value, k: Value) -> Value {
        let half = self.c(0.5);
        let bias = self.c(MAGIC + 1023.0);
        let t1 = self.fma(k, half, bias);
        let k1 = self.sub(t1, bias);
        let k2 = self.sub(k, k1);
        let b1 = self.bits(t1);
        let e1 = self.shl(b1, 52);
        let s1 = self.float(e1);
        let s2 = self.pow2i(k2);
        let y = self.mul(p, s1);
        self.mul(y, s2)
    }

    fn exp(&mut self, x: Value) -> Value {
        // Beyond these bounds the result is 0 or inf anyway; NaN passes through.
        let x = self.clamp_lo(x, -746.0);
        let x = self.clamp_hi(x, 710.0);
        let (k, r) = self.exp_reduce(x);
        let p = self.exp_poly(r);
        self.scale(p, k)
    }

    /// `eˣ = 2^k·(1 + ph + pl)` for −60 ≤ x ≤ 711, with `ph + pl` accurate to ~2⁻⁶⁵
    /// relative (the rounding errors of r and of the last fma carried in `pl`).
    fn exp_core(&mut self, x: Value) -> (Value, Value, Value) {
        let inv_ln2 = self.c(std::f64::consts::LOG2_E);
        let magic = self.c(MAGIC);
        let t = self.fma(x, inv_ln2, magic);
        let k = self.sub(t, magic);
        let nk = self.neg(k);
        let hi = self.c(LN2_HI);
        let r1 = self.fma(nk, hi, x);
        let lo = self.c(LN2_LO);
        let r = self.fma(nk, lo, r1);
        // rl = (r1 − k·ln2_lo) − r: r1 − r is exact (Sterbenz).
        let d = self.sub(r1, r);
        let rl = self.fma(nk, lo, d);
        let z = self.mul(r, r);
        let even: Vec<f64> = EXP_Q.iter().step_by(2).copied().collect();
        let odd: Vec<f64> = EXP_Q.iter().skip(1).step_by(2).copied().collect();
        let e = self.horner(z, &even);
        let o = self.horner(z, &odd);
        let q = self.fma(o, r, e);
        let ph = self.fma(z, q, r);
        // ph ≈ r within a factor 2, so r − ph is exact; pl = the rounding error of ph.
        let d = self.sub(r, ph);
        let pl = self.fma(z, q, d);
        // d(e^r − 1)/dr = e^r = 1 + ph: the error of r enters as rl·(1 + ph).
        let pl = self.add(pl, rl);
        let pl = self.fma(rl, ph, pl);
        (k, ph, pl)
    }

    /// `2^k·(1 + ph + pl) − 1` for −60 ≤ k ≤ 1024 (k ≤ 53 exact but for the last rounding).
    fn expm1_from(&mut self, k: Value, ph: Value, pl: Value) -> Value {
        // 2^kc with kc ≤ 1023, times 2^(k − kc) at the end, so that k = 1024 overflows right.
        let kc = self.clamp_hi(k, 1023.0);
        let s = self.pow2i(kc);
        let one = self.c(1.0);
        let sm1 = self.sub(s, one);
        let y = self.fma(s, ph, sm1);
        let y = self.fma(s, pl, y);
        let extra = self.sub(k, kc);
        let s2 = self.pow2i(extra);
        self.mul(y, s2)
    }

    fn expm1(&mut self, x: Value) -> Value {
        // Below −40 the result rounds to −1; above 710 it overflows; NaN passes through.
        let xc = self.clamp_lo(x, -40.0);
        let xc = self.clamp_hi(xc, 710.0);
        let (k, ph, pl) = self.exp_core(xc);
        let y = self.expm1_from(k, ph, pl);
        // expm1(±0) = ±0.
        let zero = self.cmp_c(FloatCC::Equal, x, 0.0);
        self.sel(zero, x, y)
    }

    /// `x` with the sign bit of `s` or-ed in (for results that are ≥ +0 before).
    fn or_sign(&mut self, x: Value, s: Value) -> Value {
        let sb = self.bits(s);
        let m = self.ci(i64::MIN);
        let sign = self.fb.ins().band(sb, m);
        let xb = self.bits(x);
        let r = self.fb.ins().bor(xb, sign);
        self.float(r)
    }

    /// tanh: with a = |x| and t = expm1(2a) as a double-double (th, tl): `t/(t + 2)` for
    /// a < 1, with one Newton correction of the quotient, and `1 − 2/(t + 2)` above (well
    /// conditioned in t); the sign of x or-ed in.
    fn tanh(&mut self, x: Value) -> Value {
        let a = self.abs(x);
        let a = self.clamp_hi(a, 22.0);
        let small = self.cmp_c(FloatCC::LessThan, a, 1.0);
        let arg = self.add(a, a);
        let (k, ph, pl) = self.exp_core(arg);
        // t = (s − 1) + s·ph + s·pl, exactly summed for 0 ≤ k ≤ 53 (|s − 1| ≥ |s·ph|).
        let kc = self.clamp_hi(k, 1023.0);
        let s = self.pow2i(kc);
        let one = self.c(1.0);
        let sm1 = self.sub(s, one);
        let sph = self.mul(s, ph);
        let th = self.add(sm1, sph);
        let d = self.sub(th, sm1);
        let e = self.sub(sph, d);
        let tl = self.fma(s, pl, e);
        let two = self.c(2.0);
        // Small: q = t/(t + 2) = th/den corrected by the remainder and the tails.
        let den = self.add(th, two);
        let q = self.div(th, den);
        let nq = self.neg(q);
        let rem = self.fma(nq, den, th);
        // den's rounding error (TwoSum) plus tl: the exact denominator is den + dl.
        let bp = self.sub(den, th);
        let ap = self.sub(den, bp);
        let da = self.sub(th, ap);
        let db = self.sub(two, bp);
        let dl = self.add(da, db);
        let dl = self.add(dl, tl);
        let corr = self.add(rem, tl);
        let corr = self.fma(nq, dl, corr);
        let corr = self.div(corr, den);
        let qs = self.add(q, corr);
        // Large: 1 − 2/(t + 2) (t may be inf: then 1).
        let t = self.add(th, tl);
        let den2 = self.add(t, two);
        let q2 = self.div(two, den2);
        let big = self.sub(one, q2);
        let y = self.sel(small, qs, big);
        let y = self.abs(y);
        self.or_sign(y, x)
    }

    /// sinh and cosh from one `exp_core(|x|)`: h = e^a/2 (scaled by 2^(k−1), so it overflows
    /// only where the result does) and, for sinh of a < 1, t = expm1(a).
    fn sinh_cosh(&mut self, x: Value, cosh: bool) -> Value {
        let a = self.abs(x);
        let a = self.clamp_hi(a, 711.0);
        let (k, ph, pl) = self.exp_core(a);
        let one = self.c(1.0);
        let p = self.add(ph, pl);
        let p = self.add(one, p);
        let km1 = self.sub(k, one);
        let h = self.scale(p, km1);
        let quarter = self.c(0.25);
        let q = self.div(quarter, h);
        if cosh {
            return self.add(h, q);
        }
        let big = self.sub(h, q);
        // a < 1 (fdlibm): (2t − t²/(t + 1))/2, the second term a small correction.
        let t = self.expm1_from(k, ph, pl);
        let t1 = self.add(t, one);
        let tt = self.mul(t, t);
        let u = self.div(tt, t1);
        let smallv = self.add_mul(t, u, -0.5);
        let small = self.cmp_c(FloatCC::LessThan, a, 1.0);
        let y = self.sel(small, smallv, big);
        let y = self.or_sign(y, x);
        // sinh(±0) = ±0 (t is +0 there).
        let zero = self.cmp_c(FloatCC::Equal, x, 0.0);
        self.sel(zero, x, y)
    }

    /// arctan: a = |x| reduced to |t| ≤ tan(π/8) by `t = a`, `(a − 1)/(a + 1)` (+π/4) or
    /// `−1/a` (+π/2), one division; then fdlibm's polynomial; the sign of x or-ed in.
    fn atan(&mut self, x: Value) -> Value {
        let a = self.abs(x);
        let mid = self.cmp_c(FloatCC::GreaterThan, a, 0.41421356237309503);
        let high = self.cmp_c(FloatCC::GreaterThan, a, 2.414213562373095);
        let one = self.c(1.0);
        let am1 = self.sub(a, one);
        let ap1 = self.add(a, one);
        let mone = self.c(-1.0);
        let num = self.sel(high, mone, am1);
        let num = self.sel(mid, num, a);
        let den = self.sel(high, a, ap1);
        let den = self.sel(mid, den, one);
        let t = self.div(num, den);
        let zero = self.c(0.0);
        let pio4_hi = self.c(ATANHI_PIO4);
        let pio2_hi = self.c(ATANHI_PIO2);
        let hi = self.sel(high, pio2_hi, pio4_hi);
        let hi = self.sel(mid, hi, zero);
        let pio4_lo = self.c(ATANLO_PIO4);
        let pio2_lo = self.c(ATANLO_PIO2);
        let lo = self.sel(high, pio2_lo, pio4_lo);
        let lo = self.sel(mid, lo, zero);
        let y = self.atan_finish(t, hi, lo);
        self.or_sign(y, x)
    }

    /// `(hi + lo) + atan(t)` for |t| ≤ tan(π/8): fdlibm's polynomial, `atan t = t − t·ss`,
    /// summed as `hi − ((t·ss − lo) − t)`.
    fn atan_finish(&mut self, t: Value, hi: Value, lo: Value) -> Value {
        let z = self.mul(t, t);
        let w = self.mul(z, z);
        let s1 = self.horner(w, &[AT[0], AT[2], AT[4], AT[6], AT[8], AT[10]]);
        let s1 = self.mul(z, s1);
        let s2 = self.horner(w, &[AT[1], AT[3], AT[5], AT[7], AT[9]]);
        let s2 = self.mul(w, s2);
        let ss = self.add(s1, s2);
        let tl = self.mul(t, ss);
        let u = self.sub(tl, lo);
        let u = self.sub(u, t);
        self.sub(hi, u)
    }

    /// `atan2(y, x)` (`y.atan2(x)`): with a = |y|, b = |x|, atan(a/b) reduced with one
    /// division as in [`Self::atan`] (thresholds scaled by b), then π − that for a negative
    /// x (its sign bit: −0 counts), the sign of y or-ed in; 0/0 and inf/inf fixed up.
    fn atan2(&mut self, y: Value, x: Value) -> Value {
        let a = self.abs(y);
        let b = self.abs(x);
        // Scale huge pairs down so that a ± b and the thresholds cannot overflow.
        let ha = self.cmp_c(FloatCC::GreaterThan, a, 2f64.powi(1020));
        let hb = self.cmp_c(FloatCC::GreaterThan, b, 2f64.powi(1020));
        let huge = self.fb.ins().bor(ha, hb);
        let small = self.c(2f64.powi(-8));
        let one = self.c(1.0);
        let k = self.sel(huge, small, one);
        let a = self.mul(a, k);
        let b = self.mul(b, k);
        let t1 = self.mul_c(b, 0.41421356237309503);
        let t2 = self.mul_c(b, 2.414213562373095);
        let mid = self.cmp(FloatCC::GreaterThan, a, t1);
        let high = self.cmp(FloatCC::GreaterThan, a, t2);
        let amb = self.sub(a, b);
        let apb = self.add(a, b);
        let nb = self.neg(b);
        let num = self.sel(high, nb, amb);
        let num = self.sel(mid, num, a);
        let den = self.sel(high, a, apb);
        let den = self.sel(mid, den, b);
        let t = self.div(num, den);
        // x negative: π − atan(a/b) = (π − offset) + atan(−t).
        let xb = self.bits(x);
        let xneg = self.fb.ins().sshr_imm_u(xb, 63);
        let tb = self.bits(t);
        let flip = self.ci(i64::MIN);
        let flip = self.fb.ins().band(xneg, flip);
        let tb = self.xor(tb, flip);
        let t = self.float(tb);
        let pick = |e: &mut Self, vals: [f64; 6]| {
            let [z, p4, p2, nz, np4, np2] = vals.map(|v| e.c(v));
            let pos = e.sel(high, p2, p4);
            let pos = e.sel(mid, pos, z);
            let neg = e.sel(high, np2, np4);
            let neg = e.sel(mid, neg, nz);
            e.sel(xneg, neg, pos)
        };
        let hi = pick(
            self,
            [0.0, ATANHI_PIO4, ATANHI_PIO2, PI_HI, PI3O4_HI, ATANHI_PIO2],
        );
        let lo = pick(
            self,
            [0.0, ATANLO_PIO4, ATANLO_PIO2, PI_LO, PI3O4_LO, ATANLO_PIO2],
        );
        let r = self.atan_finish(t, hi, lo);
        // 0/0 → 0 or π; inf/inf → π/4 or 3π/4.
        let za = self.cmp_c(FloatCC::Equal, a, 0.0);
        let zb = self.cmp_c(FloatCC::Equal, b, 0.0);
        let both_zero = self.fb.ins().band(za, zb);
        let ia = self.cmp_c(FloatCC::Equal, a, f64::INFINITY);
        let ib = self.cmp_c(FloatCC::Equal, b, f64::INFINITY);
        let both_inf = self.fb.ins().band(ia, ib);
        let zero = self.c(0.0);
        let pi = self.c(std::f64::consts::PI);
        let zr = self.sel(xneg, pi, zero);
        let r = self.sel(both_zero, zr, r);
        let p4 = self.c(std::f64::consts::FRAC_PI_4);
        let p34 = self.c(3.0 * std::f64::consts::FRAC_PI_4);
        let ir = self.sel(xneg, p34, p4);
        let r = self.sel(both_inf, ir, r);
        self.or_sign(r, y)
    }

    /// All-ones lanes where `v` is an integer (±inf counts; NaN does not).
    fn is_int(&mut self, v: Value) -> Value {
        let r = self.fb.ins().nearest(v);
        self.cmp(FloatCC::Equal, r, v)
    }

    /// `ln x` for a positive normal finite `x` as `hi + lo` (relative error ~2⁻⁶⁶): `x =
    /// 2^k·z` with z's bits in [OFF, OFF + 2⁵²) and 128 subintervals, `c ≈ 1/invc` of
    /// [`POW_LOG_TAB`] (gathered lane by lane), `r = z·invc − 1` exact (one fma, |r| ≤ 2⁻⁷),
    /// `ln x = k·ln2 − ln invc + log1p(r)`, `log1p` by Taylor to r⁹ with the first terms
    /// compensated.
    fn log_tab(&mut self, x: Value) -> (Value, Value) {
        const OFF: i64 = 0x3fe6a00000000000;
        let b = self.bits(x);
        let shifted = self.iadd_c(b, 0x3ff0000000000000 - OFF);
        let eb = self.ushr(shifted, 52);
        // k as a float: eb + 1.5·2⁵² read as a double, minus (1.5·2⁵² + 1023).
        let ebits = self.iadd_c(eb, MAGIC.to_bits() as i64);
        let ef = self.float(ebits);
        let bias = self.c(MAGIC + 1023.0);
        let k = self.sub(ef, bias);
        let eshift = self.shl(eb, 52);
        let zb = self.isub(b, eshift);
        let zb = self.iadd_c(zb, 0x3ff0000000000000);
        let z = self.float(zb);
        // Table offsets i·32 for i = the next 7 bits of shifted.
        let idx = self.ushr(shifted, 45);
        let m = self.ci(127);
        let idx = self.fb.ins().band(idx, m);
        let off = self.shl(idx, 5);
        let base = self
            .fb
            .ins()
            .iconst(types::I64, POW_LOG_TAB.as_ptr() as i64);
        let flags = MemFlagsData::trusted();
        let mut cols = [[None; 2]; 3];
        for lane in 0..2u8 {
            let o = self.fb.ins().extractlane(off, lane);
            let a = self.fb.ins().iadd(base, o);
            for (c, col) in cols.iter_mut().enumerate() {
                col[lane as usize] = Some(self.fb.ins().load(types::F64, flags, a, (c * 8) as i32));
            }
        }
        let [invc, logc, logct] = cols.map(|[a, b]| {
            let v = self.fb.ins().scalar_to_vector(D, a.unwrap());
            self.fb.ins().insertlane(v, b.unwrap(), 1)
        });
        let one = self.c(1.0);
        let none = self.neg(one);
        let r = self.fma(z, invc, none);
        // k·ln2_hi + logc is exact (both multiples of 2⁻⁴³, below 2¹⁰).
        let l2h = self.c(POW_LN2_HI);
        let t1 = self.fma(k, l2h, logc);
        let t2 = self.add(t1, r);
        let l2l = self.c(POW_LN2_LO);
        let lo1 = self.fma(k, l2l, logct);
        let d = self.sub(t1, t2);
        let lo2 = self.add(d, r);
        let ar = self.mul_c(r, -0.5);
        let ar2 = self.mul(r, ar);
        let ar3 = self.mul(r, ar2);
        let hi = self.add(t2, ar2);
        let nar2 = self.neg(ar2);
        let lo3 = self.fma(ar, r, nar2);
        let d = self.sub(t2, hi);
        let lo4 = self.add(d, ar2);
        // log1p(r) − r + r²/2 = ar3·S, ar = −r/2, ar2 = −r²/2, ar3 = −r³/2:
        // S = A1 + r·A2 + ar2·(A3 + r·A4 + ar2·(A5 + r·A6 + ar2·A7)).
        let a7 = self.c(16.0 / 9.0);
        let c6 = self.c(1.0);
        let c5 = self.c(-8.0 / 7.0);
        let p3 = self.fma(r, c6, c5);
        let p3 = self.fma(ar2, a7, p3);
        let c4 = self.c(-2.0 / 3.0);
        let c3 = self.c(0.8);
        let p2 = self.fma(r, c4, c3);
        let p2 = self.fma(ar2, p3, p2);
        let c2 = self.c(0.5);
        let c1 = self.c(-2.0 / 3.0);
        let p1 = self.fma(r, c2, c1);
        let p1 = self.fma(ar2, p2, p1);
        let p = self.mul(ar3, p1);
        let lo = self.add(lo1, lo2);
        let lo = self.add(lo, lo3);
        let lo = self.add(lo, lo4);
        let lo = self.add(lo, p);
        let y = self.add(hi, lo);
        let d = self.sub(hi, y);
        let tail = self.add(d, lo);
        (y, tail)
    }

    /// `e^(ph + pl)` for |ph| < 708 (so the result is normal), |pl| ≤ ulp(ph): `n =
    /// round(ph·128/ln2)`, `r = ph − n·ln2/128 + pl` (|r| ≤ 0.0028), `2^(n/128)` from
    /// [`POW_EXP_TAB`] (gathered lane by lane; head and relative tail), `e^r − 1` by Taylor
    /// to r⁵.
    fn exp_tab(&mut self, ph: Value, pl: Value) -> Value {
        let magic = self.c(MAGIC);
        let n128 = self.c(128.0 / std::f64::consts::LN_2);
        let t = self.fma(ph, n128, magic);
        let n = self.sub(t, magic);
        let nn = self.neg(n);
        let hi = self.c(POW_LN2N_HI);
        let r = self.fma(nn, hi, ph);
        let lo = self.c(POW_LN2N_LO);
        let r = self.fma(nn, lo, r);
        let r = self.add(r, pl);
        let tb = self.bits(t);
        let m = self.ci(127);
        let idx = self.fb.ins().band(tb, m);
        let off = self.shl(idx, 4);
        let base = self
            .fb
            .ins()
            .iconst(types::I64, POW_EXP_TAB.as_ptr() as i64);
        let flags = MemFlagsData::trusted();
        let mut heads = [None; 2];
        let mut tails = [None; 2];
        for lane in 0..2u8 {
            let o = self.fb.ins().extractlane(off, lane);
            let a = self.fb.ins().iadd(base, o);
            heads[lane as usize] = Some(self.fb.ins().load(types::I64, flags, a, 0));
            tails[lane as usize] = Some(self.fb.ins().load(types::F64, flags, a, 8));
        }
        let hv = self.fb.ins().scalar_to_vector(I, heads[0].unwrap());
        let hv = self.fb.ins().insertlane(hv, heads[1].unwrap(), 1);
        let tv = self.fb.ins().scalar_to_vector(D, tails[0].unwrap());
        let tv = self.fb.ins().insertlane(tv, tails[1].unwrap(), 1);
        // scale = 2^(n/128): the head's bits plus n << 45 (n's low bits sit in t's).
        let nb = self.shl(tb, 45);
        let sb = self.iadd(hv, nb);
        let scale = self.float(sb);
        let z = self.mul(r, r);
        let q = self.horner(r, &[0.5, 1.0 / 6.0, 1.0 / 24.0, 1.0 / 120.0]);
        let p = self.fma(z, q, r);
        // 2^(n/128)·(1 + tail)·(1 + p) = scale·(1 + (p + tail + tail·p)).
        let q = self.fma(tv, p, tv);
        let q = self.add(q, p);
        self.fma(scale, q, scale)
    }

    /// `x^y` (C99's `pow`): `exp(y·log|x|)` with `log|x|` and the product as double-doubles,
    /// the product's tail fed into the exp reduction; the sign bit of x for an odd integer y.
    /// The fast path covers a normal finite x (negative only with an integer y) and
    /// |y·log|x|| < 708 (so the result is normal and `2^k` one exact factor); any other lane
    /// (zeros, subnormals, infinities, NaN, negative x with a non-integer y, overflow,
    /// underflow) goes to libm in a cold block.
    fn pow(&mut self, x: Value, y: Value) -> Value {
        let ax = self.abs(x);
        // Sign: an odd integer y takes x's sign bit.
        let yi = self.is_int(y);
        let hy = self.mul_c(y, 0.5);
        let hyi = self.is_int(hy);
        let odd = self.fb.ins().band_not(yi, hyi);
        let xb = self.bits(x);
        let sign = self.ci(i64::MIN);
        let sign = self.fb.ins().band(xb, sign);
        let sign = self.fb.ins().band(sign, odd);
        let (lh, ll) = self.log_tab(ax);
        // P = y·(lh + ll) = ph + pl.
        let ph = self.mul(y, lh);
        let nph = self.neg(ph);
        let pl = self.fma(y, lh, nph);
        let pl = self.fma(y, ll, pl);
        let r = self.exp_tab(ph, pl);
        let rb = self.bits(r);
        let rb = self.fb.ins().bor(rb, sign);
        let fast = self.float(rb);
        // Lanes the fast path does not cover.
        let sub = self.cmp_c(FloatCC::UnorderedOrLessThan, ax, f64::MIN_POSITIVE);
        let inf = self.cmp_c(FloatCC::Equal, ax, f64::INFINITY);
        let aph = self.abs(ph);
        let big = self.cmp_c(FloatCC::UnorderedOrGreaterThanOrEqual, aph, 708.0);
        let zero = self.c(0.0);
        let neg = self.cmp(FloatCC::LessThan, x, zero);
        let negfrac = self.fb.ins().band_not(neg, yi);
        let bad = self.fb.ins().bor(sub, inf);
        let bad = self.fb.ins().bor(bad, big);
        let bad = self.fb.ins().bor(bad, negfrac);
        self.pow_fallback(x, y, fast, bad)
    }

    /// [`Self::with_fallback`] for `pow`: the cold block passes `[x, y, fast, mask]` to
    /// [`fix_pow`].
    fn pow_fallback(&mut self, x: Value, y: Value, fast: Value, mask: Value) -> Value {
        let slow = self.fb.create_block();
        let join = self.fb.create_block();
        let result = self.fb.append_block_param(join, D);
        self.fb.set_cold_block(slow);
        let any = self.fb.ins().vany_true(mask);
        self.fb
            .ins()
            .brif(any, slow, &[], join, &[BlockArg::Value(fast)]);
        self.fb.seal_block(slow);
        self.fb.switch_to_block(slow);
        let slot =
            self.fb
                .create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, 64, 4));
        let ptr = Type::int(usize::BITS as u16).expect("pointer-sized integer type");
        let addr = self.fb.ins().stack_addr(ptr, slot, 0);
        let flags = MemFlagsData::trusted();
        let maskf = self.float(mask);
        self.fb.ins().store(flags, x, addr, 0);
        self.fb.ins().store(flags, y, addr, 16);
        self.fb.ins().store(flags, fast, addr, 32);
        self.fb.ins().store(flags, maskf, addr, 48);
        let mut sig = Signature::new(self.fb.func.signature.call_conv);
        sig.params.push(AbiParam::new(ptr));
        let sigref = self.fb.import_signature(sig);
        let fix: extern "C" fn(&mut [f64; 8]) = fix_pow;
        let callee = self.fb.ins().iconst(ptr, fix as usize as i64);
        self.fb.ins().call_indirect(sigref, callee, &[addr]);
        let v = self.fb.ins().load(D, flags, addr, 0);
        self.fb.ins().jump(join, &[BlockArg::Value(v)]);
        self.fb.seal_block(join);
        self.fb.switch_to_block(join);
        result
    }

    /// Splits a positive finite `x` as `2^e·(1 + f)`, `1 + f ∈ [√2/2, √2)`, and evaluates
    /// fdlibm's pieces of `log(1 + f)`: returns (e, f, hfsq = f²/2, s = f/(2+f), R) with
    /// `log(1 + f) = f − hfsq + s·(hfsq + R)`. Other inputs give garbage (fixed by callers).
    fn log_parts(&mut self, x: Value) -> LogParts {
        let (e, m) = self.log_split(x);
        let one = self.c(1.0);
        let f = self.sub(m, one);
        let half_f = self.mul_c(f, 0.5);
        let hfsq = self.mul(half_f, f);
        let two = self.c(2.0);
        let den = self.add(two, f);
        let s = self.div(f, den);
        let z = self.mul(s, s);
        let w = self.mul(z, z);
        let t1 = self.horner(w, &[LG[1], LG[3], LG[5]]);
        let t1 = self.mul(w, t1);
        let t2 = self.horner(w, &[LG[0], LG[2], LG[4], LG[6]]);
        let t2 = self.mul(z, t2);
        let r = self.add(t2, t1);
        LogParts { e, f, hfsq, s, r }
    }

    /// `x = 2^e·m` with `m ∈ [√2/2, √2)` for a positive finite `x` (subnormals too):
    /// returns (e as a float, m).
    fn log_split(&mut self, x: Value) -> (Value, Value) {
        // Subnormals: scale by 2^52 first.
        let tiny = self.cmp_c(FloatCC::LessThan, x, f64::MIN_POSITIVE);
        let big = self.mul_c(x, 4503599627370496.0);
        let xs = self.sel(tiny, big, x);
        let b = self.bits(xs);
        // Biased exponent of x·√2 (so that the mantissa lands in [√2/2, √2)).
        let shifted = self.iadd_c(b, 0x3ff0000000000000 - 0x3fe6a09e667f3bcd);
        let eb = self.ushr(shifted, 52);
        // e as a float: eb + 1.5·2⁵² read as a double, minus (1.5·2⁵² + 1023).
        let magic_bits = MAGIC.to_bits() as i64;
        let ebits = self.iadd_c(eb, magic_bits);
        let ef = self.float(ebits);
        let bias = self.c(MAGIC + 1023.0);
        let e = self.sub(ef, bias);
        let adj = self.c(52.0);
        let zero = self.c(0.0);
        let adj = self.sel(tiny, adj, zero);
        let e = self.sub(e, adj);
        // m = x / 2^e: subtract e from the exponent field.
        let eshift = self.shl(eb, 52);
        let mb = self.isub(b, eshift);
        let mb = self.iadd_c(mb, 0x3ff0000000000000);
        let m = self.float(mb);
        (e, m)
    }

    /// `log(x)` from its parts, plus `c` (a small correction added to `log(1 + f)`).
    fn log_from(&mut self, p: &LogParts, c: Option<Value>) -> Value {
        let lo = self.mul_c(p.e, LN2_LO);
        let lo = match c {
            Some(c) => self.add(lo, c),
            None => lo,
        };
        let hr = self.add(p.hfsq, p.r);
        let u = self.fma(p.s, hr, lo);
        let v = self.sub(p.hfsq, u);
        let v = self.sub(v, p.f);
        let hi = self.mul_c(p.e, LN2_HI);
        self.sub(hi, v)
    }

    /// The special values of every logarithm of `x` (0 at `zero_at`): inf at inf, −inf at
    /// `zero_at`, NaN below it and for NaN.
    fn log_specials(&mut self, x: Value, zero_at: f64, y: Value) -> Value {
        let inf = self.cmp_c(FloatCC::Equal, x, f64::INFINITY);
        let y = self.sel(inf, x, y);
        let zero = self.cmp_c(FloatCC::Equal, x, zero_at);
        let y = self.sel_c(zero, f64::NEG_INFINITY, y);
        let bad = self.cmp_c(FloatCC::UnorderedOrLessThan, x, zero_at);
        self.sel_c(bad, f64::NAN, y)
    }

    fn log(&mut self, x: Value) -> Value {
        let p = self.log_parts(x);
        let y = self.log_from(&p, None);
        self.log_specials(x, 0.0, y)
    }

    /// log2 and log10 (fdlibm's e_log2/e_log10): `f − hfsq` split into a 32-bit head and a
    /// tail, each multiplied by a two-part 1/ln b, the integer part added exactly.
    fn log_base(&mut self, x: Value, ten: bool) -> Value {
        let p = self.log_parts(x);
        let hi = self.sub(p.f, p.hfsq);
        let hb = self.bits(hi);
        let mask = self.ci(0xffff_ffff_0000_0000u64 as i64);
        let hb = self.fb.ins().band(hb, mask);
        let hi = self.float(hb);
        let lo = self.sub(p.f, hi);
        let lo = self.sub(lo, p.hfsq);
        let hr = self.add(p.hfsq, p.r);
        let lo = self.fma(p.s, hr, lo);
        let lohi = self.add(lo, hi);
        let (val_hi, y, val_lo) = if ten {
            let val_hi = self.mul_c(hi, IVLN10HI);
            let y = self.mul_c(p.e, LOG10_2HI);
            let a = self.mul_c(p.e, LOG10_2LO);
            let a = self.add_mul(a, lohi, IVLN10LO);
            let a = self.add_mul(a, lo, IVLN10HI);
            (val_hi, y, a)
        } else {
            let val_hi = self.mul_c(hi, IVLN2HI);
            let a = self.mul_c(lohi, IVLN2LO);
            let a = self.add_mul(a, lo, IVLN2HI);
            (val_hi, p.e, a)
        };
        let w = self.add(y, val_hi);
        let d = self.sub(y, w);
        let d = self.add(d, val_hi);
        let val_lo = self.add(val_lo, d);
        let r = self.add(val_lo, w);
        self.log_specials(x, 0.0, r)
    }

    /// log1p: `u = 1 + x` rounded, its error `c` by TwoSum; `log1p(x) = log(u) + c/u`.
    fn log1p(&mut self, x: Value) -> Value {
        let one = self.c(1.0);
        let u = self.add(one, x);
        let bp = self.sub(u, one);
        let ap = self.sub(u, bp);
        let da = self.sub(one, ap);
        let db = self.sub(x, bp);
        let c = self.add(da, db);
        let cu = self.div(c, u);
        let p = self.log_parts(u);
        let y = self.log_from(&p, Some(cu));
        // log1p(±0) = ±0; tiny x already give x.
        let zero = self.cmp_c(FloatCC::Equal, x, 0.0);
        let y = self.sel(zero, x, y);
        self.log_specials(x, -1.0, y)
    }

    /// `a + b·k` for a constant `k`.
    fn add_mul(&mut self, a: Value, b: Value, k: f64) -> Value {
        let k = self.c(k);
        self.fma(b, k, a)
    }

    fn mul_c(&mut self, a: Value, k: f64) -> Value {
        let k = self.c(k);
        self.mul(a, k)
    }

    /// `sin r` for |r| ≤ π/2 (+ a little); odd, so `sin(−0) = −0`.
    fn sin_poly(&mut self, r: Value) -> Value {
        let zs = self.sin_tail(r);
        self.fma(r, zs, r)
    }

    /// `zs` with `sin r ≈ r + r·zs` (|zs| ≤ 0.37).
    fn sin_tail(&mut self, r: Value) -> Value {
        let z = self.mul(r, r);
        // nzl = z − r² exactly (the rounding error of z, negated), fed back at first order:
        // r³·S(r²) ≈ r·(z·S(z) + (r² − z)·S₀).
        let nr = self.neg(r);
        let nzl = self.fma(nr, r, z);
        let s = self.horner(z, &SIN_S);
        let corr = self.mul_c(nzl, -SIN_S[0]);
        // zs is +0 when r = ±0 (−0 + +0), so that r·zs + r keeps the sign of a zero r.
        self.fma(z, s, corr)
    }

    fn sin_cos(&mut self, x: Value, cos: bool) -> Value {
        let y = self.sin_cos_fast(x, cos);
        // |x| > TRIG_MAX as x² > TRIG_MAX² (one multiply instead of an abs; inf → inf).
        let xx = self.mul(x, x);
        let huge = self.cmp_c(FloatCC::GreaterThan, xx, TRIG_MAX * TRIG_MAX);
        let fix: Fix = if cos { fix_cos } else { fix_sin };
        self.with_fallback(x, y, huge, fix)
    }

    /// sin or cos of `x`, accurate for |x| ≤ TRIG_MAX.
    fn sin_cos_fast(&mut self, x: Value, cos: bool) -> Value {
        // x = (n + δ)·π + r with δ = 0 (sin) or 1/2 (cos): m = 2n + 2δ multiples of π/2.
        let inv_pi = self.c(std::f64::consts::FRAC_1_PI);
        let (n, nbits) = if cos {
            let mhalf = self.c(-0.5);
            let y = self.fma(x, inv_pi, mhalf);
            self.round_int(y)
        } else {
            let magic = self.c(MAGIC);
            let t = self.fma(x, inv_pi, magic);
            let n = self.sub(t, magic);
            let b = self.bits(t);
            (n, b)
        };
        // sin: r = x − m·π/2 and sin x = (−1)ⁿ sin r;
        // cos: r = m·π/2 − x (negated) and cos x = −(−1)ⁿ sin(−r) = (−1)ⁿ sin r.
        let r = if cos {
            let two = self.c(2.0);
            let one = self.c(1.0);
            let m = self.fma(n, two, one);
            let nx = self.neg(x);
            let p1 = self.c(PIO2_1);
            let r = self.fma(m, p1, nx);
            let p2 = self.c(PIO2_2);
            let r = self.fma(m, p2, r);
            let p3 = self.c(PIO2_3);
            self.fma(m, p3, r)
        } else {
            let m = self.add(n, n);
            let nm = self.neg(m);
            let p1 = self.c(PIO2_1);
            let r = self.fma(nm, p1, x);
            let p2 = self.c(PIO2_2);
            let r = self.fma(nm, p2, r);
            let p3 = self.c(PIO2_3);
            self.fma(nm, p3, r)
        };
        let s = self.sin_poly(r);
        let sign = self.shl(nbits, 63);
        let sb = self.bits(s);
        let y = self.xor(sb, sign);
        self.float(y)
    }

    /// `cos r` for |r| ≤ π/4 as an unevaluated sum `hi + lo` (fdlibm's __kernel_cos, with
    /// its compensated `1 − z/2`).
    fn cos_poly2(&mut self, r: Value) -> (Value, Value) {
        let z = self.mul(r, r);
        let w = self.mul(z, z);
        let r1 = self.horner(z, &[KC[0], KC[1], KC[2]]);
        let r1 = self.mul(z, r1);
        let r2 = self.horner(z, &[KC[3], KC[4], KC[5]]);
        let ww = self.mul(w, w);
        let rr = self.fma(ww, r2, r1);
        let hz = self.mul_c(z, 0.5);
        let one = self.c(1.0);
        let big = self.sub(one, hz);
        let d = self.sub(one, big);
        let d = self.sub(d, hz);
        let zr = self.fma(z, rr, d);
        (big, zr)
    }

    fn tan(&mut self, x: Value) -> Value {
        let y = self.tan_fast(x);
        let ax = self.abs(x);
        let huge = self.cmp_c(FloatCC::GreaterThan, ax, TRIG_MAX);
        self.with_fallback(x, y, huge, fix_tan)
    }

    /// tan of `x`, accurate for |x| ≤ TRIG_MAX: r = x − q·π/2 (|r| ≤ π/4), then
    /// `sin r / cos r` for even q and `−cos r / sin r` for odd q, one division.
    fn tan_fast(&mut self, x: Value) -> Value {
        let two_over_pi = self.c(std::f64::consts::FRAC_2_PI);
        let magic = self.c(MAGIC);
        let t = self.fma(x, two_over_pi, magic);
        let q = self.sub(t, magic);
        // r = x − q·π/2 as a double-double (rh, rl): the first step is exact, the second
        // product and difference are split exactly (2MultFMA, TwoSum).
        let nq = self.neg(q);
        let p1 = self.c(PIO2_1);
        let r1 = self.fma(nq, p1, x);
        let p2 = self.c(PIO2_2);
        let pr = self.mul(q, p2);
        let npr = self.neg(pr);
        let pe = self.fma(q, p2, npr);
        let r2 = self.sub(r1, pr);
        let bp = self.sub(r2, r1);
        let ap = self.sub(r2, bp);
        let da = self.sub(r1, ap);
        let db = self.sub(npr, bp);
        let e = self.add(da, db);
        let e = self.sub(e, pe);
        let p3 = self.c(PIO2_3);
        let e = self.fma(nq, p3, e);
        let rh = self.add(r2, e);
        let d = self.sub(rh, r2);
        let rl = self.sub(e, d);
        // sin(rh + rl) ≈ rh + (rh·zs + rl·(1 − rh²/2)), cos(rh + rl) ≈ ch + (cl − rl·rh):
        // each a head and a small tail, so the quotient below can be corrected.
        let zs = self.sin_tail(rh);
        let z = self.mul(rh, rh);
        let one = self.c(1.0);
        let dc = self.add_mul(one, z, -0.5);
        let sl = self.mul(rh, zs);
        let sl = self.fma(rl, dc, sl);
        let (ch, cl) = self.cos_poly2(rh);
        let nrl = self.neg(rl);
        let cl = self.fma(nrl, rh, cl);
        // All-ones lanes where q is odd: tan x = −cos r / sin r there.
        let tb = self.bits(t);
        let low = self.shl(tb, 63);
        let odd = self.fb.ins().sshr_imm_u(low, 63);
        let nch = self.neg(ch);
        let ncl = self.neg(cl);
        let nh = self.sel(odd, nch, rh);
        let nl = self.sel(odd, ncl, sl);
        let dh = self.sel(odd, rh, ch);
        let dl = self.sel(odd, sl, cl);
        let num = self.add(nh, nl);
        let den = self.add(dh, dl);
        let q0 = self.div(num, den);
        // One correction: q = q0 + (n − q0·d)/d with n, d as head + tail.
        let nq0 = self.neg(q0);
        let rem = self.fma(nq0, dh, nh);
        let rem2 = self.fma(nq0, dl, nl);
        let rem = self.add(rem, rem2);
        let corr = self.div(rem, den);
        let y = self.add(q0, corr);
        // tan(±0) = ±0 (the TwoSum above loses the sign of a zero).
        let zero = self.cmp_c(FloatCC::Equal, x, 0.0);
        self.sel(zero, x, y)
    }

    /// Lanes of `fast` in `mask` are replaced by libm's answer: behind a branch taken only
    /// if any lane is set, a cold block stores `x` and `fast` to a stack slot and calls
    /// `fix`, which overwrites the slot's first two doubles with the result (it recomputes
    /// the mask itself and keeps `fast` outside it). One call that takes everything through
    /// memory keeps the hot path free of spills. Leaves the builder in the join block.
    fn with_fallback(&mut self, x: Value, fast: Value, mask: Value, fix: Fix) -> Value {
        let slow = self.fb.create_block();
        let join = self.fb.create_block();
        let result = self.fb.append_block_param(join, D);
        self.fb.set_cold_block(slow);
        let any = self.fb.ins().vany_true(mask);
        self.fb
            .ins()
            .brif(any, slow, &[], join, &[BlockArg::Value(fast)]);
        self.fb.seal_block(slow);
        self.fb.switch_to_block(slow);
        let slot =
            self.fb
                .create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, 32, 4));
        let ptr = Type::int(usize::BITS as u16).expect("pointer-sized integer type");
        let addr = self.fb.ins().stack_addr(ptr, slot, 0);
        let flags = MemFlagsData::trusted();
        self.fb.ins().store(flags, x, addr, 0);
        self.fb.ins().store(flags, fast, addr, 16);
        let mut sig = Signature::new(self.fb.func.signature.call_conv);
        sig.params.push(AbiParam::new(ptr));
        let sigref = self.fb.import_signature(sig);
        let callee = self.fb.ins().iconst(ptr, fix as usize as i64);
        self.fb.ins().call_indirect(sigref, callee, &[addr]);
        let v = self.fb.ins().load(D, flags, addr, 0);
        self.fb.ins().jump(join, &[BlockArg::Value(v)]);
        self.fb.seal_block(join);
        self.fb.switch_to_block(join);
        result
    }
}

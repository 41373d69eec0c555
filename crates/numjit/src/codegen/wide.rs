//! Owns the ahead-of-time compiled wide-vector routines that kernels call on tiles: numjit's own math kernels, constant powers and float remainders (`refmath`, `scalar`) compiled by rustc for AVX-512 or AVX2 with FMA, chosen once at run time by CPU detection. One of numjit's three `unsafe` modules (target-feature calls and the tile pointers).
//! Must not touch Cranelift IR, programs or threads: it only maps tiles of float64 or float32 values in place, with exactly `semantics::apply`'s answers.
//!
//! Cranelift's x86-64 backend emits 128-bit vectors only; these routines are the same plain
//! Rust as `semantics::refmath`, which LLVM vectorises to 8 (AVX-512) or 4 (AVX2) lanes when
//! compiled with those target features. IEEE arithmetic and `fma` give the same bits at any
//! width, and each one-argument routine returns a NaN argument itself (as `semantics::apply`
//! does), so a tile computes exactly what the interpreter and the inline 2-lane kernels
//! compute. `sin`, `cos` and `tan` run their fast path on all lanes, then libm on the lanes
//! that need it (|x| > 2²⁷, infinities), as `refmath` defines them; `%` likewise takes the
//! scalar reference on the lanes its fast path does not cover.
//!
//! Measured on the 2-core development machine (AVX-512), n = 1e6 float64, ns per element,
//! default against `NUMJIT_WIDE=0` (the inline 2-lane kernels) with `cargo run --release
//! --example peers -- --text "exp(a)" --data DIR`: exp 1.5 against 2.3, sin 1.4 against 2.0,
//! tanh 2.7 against 7.2, tan 2.7 against 6.4, arctan 1.7 against 3.4.

use crate::semantics::{refmath, Func, Op};
use crate::types::DType;
use std::sync::OnceLock;

/// A float64 tile routine: replaces `n` float64 values at `p` by the function's values.
type TileFn = extern "C" fn(p: *mut f64, n: usize);

/// A float32 tile routine: the same through float64 (each value widened, mapped and rounded
/// once, as the inline kernels compute float32 math).
type TileFn32 = extern "C" fn(p: *mut f32, n: usize);

/// The widest instruction set the routines can use on this CPU.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Level {
    Avx512,
    Avx2,
    None,
}

/// Whether `NUMJIT_WIDE=0` switched the wide-vector code off (these tile routines and the
/// row routines of `codegen::rows`): kernels then compute every element with their inline
/// 2-lane code, the same answers, for comparisons. Read once.
pub(crate) fn switched_off() -> bool {
    static OFF: OnceLock<bool> = OnceLock::new();
    *OFF.get_or_init(|| std::env::var("NUMJIT_WIDE").is_ok_and(|v| v.trim() == "0"))
}

/// Detected once; off when [`switched_off`].
fn level() -> Level {
    static LEVEL: OnceLock<Level> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        if switched_off() {
            Level::None
        } else {
            detect()
        }
    })
}

#[cfg(target_arch = "x86_64")]
fn detect() -> Level {
    use std::arch::is_x86_feature_detected as has;
    if has!("avx512f") && has!("avx512dq") && has!("avx512vl") && has!("fma") && has!("avx2") {
        Level::Avx512
    } else if has!("avx2") && has!("fma") {
        Level::Avx2
    } else {
        Level::None
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn detect() -> Level {
    Level::None
}

/// The address of the tile routine for `f` on `dtype` (float64 or float32) on this CPU, if
/// there is one: an `extern "C" fn(*mut T, usize)` mapping that many values in place, or for
/// the two-argument `arctan2` an `extern "C" fn(*mut T, *const T, usize)` writing
/// `f(x[i], y[i])` over `x`.
pub(crate) fn tile_fn(f: Func, dtype: DType) -> Option<*const u8> {
    let level = level();
    match (f, dtype, level) {
        (_, _, Level::None) => None,
        (Func::Arctan2, DType::Float64, Level::Avx512) => Some(two::avx512::atan2 as *const u8),
        (Func::Arctan2, DType::Float64, _) => Some(two::avx2::atan2 as *const u8),
        (Func::Arctan2, DType::Float32, Level::Avx512) => Some(two::avx512::atan2_32 as *const u8),
        (Func::Arctan2, DType::Float32, _) => Some(two::avx2::atan2_32 as *const u8),
        (_, DType::Float64, _) => routines(level, f).map(|r| r as *const u8),
        (_, DType::Float32, _) => routines32(level, f).map(|r| r as *const u8),
        _ => None,
    }
}

/// The tile routine of a node that is not a function call: `x ** (halves/2)` (`PowConst`,
/// called with the exponent in halves as a third argument: `(p, n, halves)`) or the float
/// remainder `%` (two buffers, like `arctan2`).
pub(crate) fn op_tile_fn(op: Op, dtype: DType) -> Option<*const u8> {
    let level = level();
    let wide = level == Level::Avx512;
    Some(match (op, dtype, level) {
        (_, _, Level::None) => return None,
        (Op::PowConst(_), DType::Float64, _) if wide => two::avx512::pow_const as *const u8,
        (Op::PowConst(_), DType::Float64, _) => two::avx2::pow_const as *const u8,
        (Op::PowConst(_), DType::Float32, _) if wide => two::avx512::pow_const_32 as *const u8,
        (Op::PowConst(_), DType::Float32, _) => two::avx2::pow_const_32 as *const u8,
        (Op::Mod, DType::Float64, _) if wide => two::avx512::modulo as *const u8,
        (Op::Mod, DType::Float64, _) => two::avx2::modulo as *const u8,
        (Op::Mod, DType::Float32, _) if wide => two::avx512::modulo_32 as *const u8,
        (Op::Mod, DType::Float32, _) => two::avx2::modulo_32 as *const u8,
        _ => return None,
    })
}

/// `x ** (halves/2)` over `xs` (float64): [`refmath::pow_const_lanes`] on blocks of 8.
#[inline(always)]
fn pow_const_map(xs: &mut [f64], halves: i32) {
    let mut blocks = xs.chunks_exact_mut(8);
    for b in &mut blocks {
        let x: [f64; 8] = (&*b).try_into().expect("blocks of 8");
        b.copy_from_slice(&refmath::pow_const_lanes(x, halves));
    }
    for v in blocks.into_remainder() {
        *v = refmath::pow_const(*v, halves);
    }
}

/// [`pow_const_map`] on float32 values (through float64, rounded once).
#[inline(always)]
fn pow_const_map32(xs: &mut [f32], halves: i32) {
    let mut blocks = xs.chunks_exact_mut(8);
    for b in &mut blocks {
        let x: [f64; 8] = std::array::from_fn(|k| b[k] as f64);
        let y = refmath::pow_const_lanes(x, halves);
        for (v, y) in b.iter_mut().zip(y) {
            *v = y as f32;
        }
    }
    for v in blocks.into_remainder() {
        *v = refmath::pow_const(*v as f64, halves) as f32;
    }
}

/// NumPy's float64 remainder where the fast path holds (the JIT's `vector_mod`: quotient below
/// 2⁵², both operands finite, b ≠ 0): `(value, true)`; otherwise `(_, false)`.
#[inline(always)]
fn mod_fast(a: f64, b: f64) -> (f64, bool) {
    let q = (a / b).trunc();
    let r = (-q).mul_add(b, a);
    let wrong = (r < 0.0 && a > 0.0) | (r > 0.0 && a < 0.0);
    let r = if wrong { r + b.copysign(a) } else { r };
    let differ = (r < 0.0 && b >= 0.0) | (r > 0.0 && b < 0.0);
    let m = if differ { r + b } else { r };
    let m = if m == 0.0 { 0.0f64.copysign(b) } else { m };
    let ok = (a.abs() < b.abs() * 4503599627370496.0) & (b.abs() < f64::INFINITY);
    (m, ok)
}

/// The scalar reference for the lanes `mod_fast` does not cover (behind a call LLVM keeps in
/// its branch).
#[inline(never)]
fn mod_slow(a: f64, b: f64) -> f64 {
    crate::semantics::scalar::mod_f64(a, b)
}

/// `x[i] % y[i]` into `x` (float64), in blocks of 8 that LLVM vectorises.
#[inline(always)]
fn mod_map(xs: &mut [f64], ys: &[f64]) {
    for (xb, yb) in xs.chunks_mut(8).zip(ys.chunks(8)) {
        let mut all = true;
        let mut out = [0.0f64; 8];
        for ((o, &x), &y) in out.iter_mut().zip(xb.iter()).zip(yb) {
            let (m, ok) = mod_fast(x, y);
            all &= ok;
            *o = m;
        }
        if !all {
            for ((o, &x), &y) in out.iter_mut().zip(xb.iter()).zip(yb) {
                if !mod_fast(x, y).1 {
                    *o = mod_slow(x, y);
                }
            }
        }
        xb.copy_from_slice(&out[..xb.len()]);
    }
}

/// [`mod_map`] on float32 values (through float64, rounded once, as the JIT computes them).
#[inline(always)]
fn mod_map32(xs: &mut [f32], ys: &[f32]) {
    for (xb, yb) in xs.chunks_mut(8).zip(ys.chunks(8)) {
        let mut all = true;
        let mut out = [0.0f64; 8];
        for ((o, &x), &y) in out.iter_mut().zip(xb.iter()).zip(yb) {
            let (m, ok) = mod_fast(x as f64, y as f64);
            all &= ok;
            *o = m;
        }
        if !all {
            for ((o, &x), &y) in out.iter_mut().zip(xb.iter()).zip(yb) {
                let (a, b) = (x as f64, y as f64);
                if !mod_fast(a, b).1 {
                    *o = mod_slow(a, b);
                }
            }
        }
        for (x, o) in xb.iter_mut().zip(out) {
            *x = o as f32;
        }
    }
}

/// `arctan2(x[i], y[i])` into `x` (float64).
#[inline(always)]
fn map2(xs: &mut [f64], ys: &[f64]) {
    for (x, &y) in xs.iter_mut().zip(ys) {
        *x = refmath::atan2(*x, y);
    }
}

/// `arctan2(x[i], y[i])` into `x` (float32, through float64 and rounded once).
#[inline(always)]
fn map2_32(xs: &mut [f32], ys: &[f32]) {
    for (x, &y) in xs.iter_mut().zip(ys) {
        *x = refmath::atan2(*x as f64, y as f64) as f32;
    }
}

/// The two-argument routine (`arctan2`) at one level: a module per level.
macro_rules! two_arg {
    ($level:ident, $features:literal) => {
        pub(super) mod $level {
            #[target_feature(enable = $features)]
            fn atan2_64(xs: &mut [f64], ys: &[f64]) {
                super::super::map2(xs, ys)
            }
            #[target_feature(enable = $features)]
            fn atan2_f32(xs: &mut [f32], ys: &[f32]) {
                super::super::map2_32(xs, ys)
            }
            pub(crate) extern "C" fn atan2(x: *mut f64, y: *const f64, n: usize) {
                // SAFETY: kernels pass two of their own tile buffers of `n` float64 values
                // (distinct, initialised).
                let (xs, ys) = unsafe {
                    (
                        std::slice::from_raw_parts_mut(x, n),
                        std::slice::from_raw_parts(y, n),
                    )
                };
                // SAFETY: handed out by `tile_fn` only after `detect` found these features.
                unsafe { atan2_64(xs, ys) }
            }
            #[target_feature(enable = $features)]
            fn pow_const_64(xs: &mut [f64], halves: i32) {
                super::super::pow_const_map(xs, halves)
            }
            #[target_feature(enable = $features)]
            fn pow_const_f32(xs: &mut [f32], halves: i32) {
                super::super::pow_const_map32(xs, halves)
            }
            #[target_feature(enable = $features)]
            fn modulo_64(xs: &mut [f64], ys: &[f64]) {
                super::super::mod_map(xs, ys)
            }
            #[target_feature(enable = $features)]
            fn modulo_f32(xs: &mut [f32], ys: &[f32]) {
                super::super::mod_map32(xs, ys)
            }
            pub(crate) extern "C" fn pow_const(x: *mut f64, n: usize, halves: i64) {
                // SAFETY: the kernel's own tile buffer of `n` float64 values.
                let xs = unsafe { std::slice::from_raw_parts_mut(x, n) };
                // SAFETY: handed out by `op_tile_fn` only after `detect` found these features.
                unsafe { pow_const_64(xs, halves as i32) }
            }
            pub(crate) extern "C" fn pow_const_32(x: *mut f32, n: usize, halves: i64) {
                // SAFETY: the kernel's own tile buffer of `n` float32 values.
                let xs = unsafe { std::slice::from_raw_parts_mut(x, n) };
                // SAFETY: as above.
                unsafe { pow_const_f32(xs, halves as i32) }
            }
            pub(crate) extern "C" fn modulo(x: *mut f64, y: *const f64, n: usize) {
                // SAFETY: two of the kernel's own tile buffers of `n` float64 values.
                let (xs, ys) = unsafe {
                    (
                        std::slice::from_raw_parts_mut(x, n),
                        std::slice::from_raw_parts(y, n),
                    )
                };
                // SAFETY: as above.
                unsafe { modulo_64(xs, ys) }
            }
            pub(crate) extern "C" fn modulo_32(x: *mut f32, y: *const f32, n: usize) {
                // SAFETY: two of the kernel's own tile buffers of `n` float32 values.
                let (xs, ys) = unsafe {
                    (
                        std::slice::from_raw_parts_mut(x, n),
                        std::slice::from_raw_parts(y, n),
                    )
                };
                // SAFETY: as above.
                unsafe { modulo_f32(xs, ys) }
            }
            pub(crate) extern "C" fn atan2_32(x: *mut f32, y: *const f32, n: usize) {
                // SAFETY: as above, float32 buffers.
                let (xs, ys) = unsafe {
                    (
                        std::slice::from_raw_parts_mut(x, n),
                        std::slice::from_raw_parts(y, n),
                    )
                };
                // SAFETY: as above.
                unsafe { atan2_f32(xs, ys) }
            }
        }
    };
}

mod two {
    two_arg!(avx512, "avx512f,avx512dq,avx512vl,avx2,fma");
    two_arg!(avx2, "avx2,fma");
}

/// `f` of one element as the tile computes it: a NaN argument is returned as it is.
#[inline(always)]
fn keep_nan(x: f64, y: f64) -> f64 {
    if x.is_nan() {
        x
    } else {
        y
    }
}

/// Maps `xs` through `fast`, then through `slow` where `needs` (rarely: the cold lanes of the
/// trigonometric functions), in runs of 64 whose main loop LLVM vectorises.
/// (Generic, so that each routine is inlined into its caller and vectorised there.)
#[inline(always)]
fn map(
    xs: &mut [f64],
    fast: impl Fn(f64) -> f64,
    needs: impl Fn(f64) -> bool,
    slow: impl Fn(f64) -> f64,
) {
    for run in xs.chunks_mut(64) {
        let mut x = [0.0; 64];
        let x = &mut x[..run.len()];
        x.copy_from_slice(run);
        let mut any = false;
        for (v, &xv) in run.iter_mut().zip(x.iter()) {
            *v = keep_nan(xv, fast(xv));
            any |= needs(xv);
        }
        if any {
            for (v, &xv) in run.iter_mut().zip(x.iter()) {
                if needs(xv) {
                    *v = keep_nan(xv, slow(xv));
                }
            }
        }
    }
}

/// [`map`] on float32 values, each widened to float64 and the result rounded once.
#[inline(always)]
fn map32(
    xs: &mut [f32],
    fast: impl Fn(f64) -> f64,
    needs: impl Fn(f64) -> bool,
    slow: impl Fn(f64) -> f64,
) {
    for run in xs.chunks_mut(64) {
        let mut x = [0.0f64; 64];
        let x = &mut x[..run.len()];
        for (w, &v) in x.iter_mut().zip(run.iter()) {
            *w = v as f64;
        }
        let mut any = false;
        for (v, &xv) in run.iter_mut().zip(x.iter()) {
            *v = keep_nan(xv, fast(xv)) as f32;
            any |= needs(xv);
        }
        if any {
            for (v, &xv) in run.iter_mut().zip(x.iter()) {
                if needs(xv) {
                    *v = keep_nan(xv, slow(xv)) as f32;
                }
            }
        }
    }
}

fn never(_: f64) -> bool {
    false
}

// libm for the cold lanes, behind calls LLVM may not speculate: it knows `f64::sin` as an
// intrinsic it may compute on every lane before the select, which costs a libm call per
// element.
#[inline(never)]
fn libm_sin(x: f64) -> f64 {
    x.sin()
}
#[inline(never)]
fn libm_cos(x: f64) -> f64 {
    x.cos()
}
#[inline(never)]
fn libm_tan(x: f64) -> f64 {
    x.tan()
}

/// One level's one-argument routines: a module `$level` compiled for `$features`, with an
/// `extern "C"` entry per routine (float64 in `entry`, float32 in `f32::entry`).
macro_rules! tile_module {
    ($level:ident, $features:literal, $( $func:ident => $name:ident: $fast:expr, $needs:expr, $slow:expr; )*) => {
        mod $level {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[target_feature(enable = $features)]
                fn $name(xs: &mut [f64]) {
                    map(xs, $fast, $needs, $slow)
                }
            )*
            pub(super) mod entry {
                $(
                    pub(in super::super) extern "C" fn $name(p: *mut f64, n: usize) {
                        // SAFETY: kernels call a tile routine only with a pointer to their own
                        // tile buffer of `n` float64 values (aligned, initialised, not aliased
                        // during the call).
                        let xs = unsafe { std::slice::from_raw_parts_mut(p, n) };
                        // SAFETY: `tile_fn` hands out these entries only after `detect` found
                        // every feature the routine is compiled for.
                        unsafe { super::$name(xs) }
                    }
                )*
            }
            pub(super) mod f32 {
                #[allow(unused_imports)]
                use super::super::*;
                $(
                    #[target_feature(enable = $features)]
                    fn $name(xs: &mut [f32]) {
                        map32(xs, $fast, $needs, $slow)
                    }
                )*
                pub(in super::super) mod entry {
                    $(
                        pub(in super::super::super) extern "C" fn $name(p: *mut f32, n: usize) {
                            // SAFETY: the kernel's own tile buffer of `n` float32 values.
                            let xs = unsafe { std::slice::from_raw_parts_mut(p, n) };
                            // SAFETY: handed out only after `detect` found every feature.
                            unsafe { super::$name(xs) }
                        }
                    )*
                }
            }
        }
    };
}

/// The one-argument routines at every level, and their lookup.
macro_rules! tiles {
    ($( $func:ident => $name:ident: $fast:expr, $needs:expr, $slow:expr; )*) => {
        tile_module!(avx512, "avx512f,avx512dq,avx512vl,avx2,fma", $( $func => $name: $fast, $needs, $slow; )*);
        tile_module!(avx2, "avx2,fma", $( $func => $name: $fast, $needs, $slow; )*);
        fn routines(level: Level, f: Func) -> Option<TileFn> {
            match (level, f) {
                $((Level::Avx512, Func::$func) => Some(avx512::entry::$name),)*
                $((Level::Avx2, Func::$func) => Some(avx2::entry::$name),)*
                _ => None,
            }
        }
        fn routines32(level: Level, f: Func) -> Option<TileFn32> {
            match (level, f) {
                $((Level::Avx512, Func::$func) => Some(avx512::f32::entry::$name),)*
                $((Level::Avx2, Func::$func) => Some(avx2::f32::entry::$name),)*
                _ => None,
            }
        }
        /// Every function with a tile routine (for the tests).
        #[cfg(test)]
        const FUNCS: &[Func] = &[$(Func::$func),*];
    };
}

tiles! {
    Exp => exp: refmath::exp, never, refmath::exp;
    Expm1 => expm1: refmath::expm1, never, refmath::expm1;
    Log => log: refmath::log, never, refmath::log;
    Log1p => log1p: refmath::log1p, never, refmath::log1p;
    Log2 => log2: refmath::log2, never, refmath::log2;
    Log10 => log10: refmath::log10, never, refmath::log10;
    Tanh => tanh: refmath::tanh, never, refmath::tanh;
    Sinh => sinh: refmath::sinh, never, refmath::sinh;
    Cosh => cosh: refmath::cosh, never, refmath::cosh;
    Arctan => atan: refmath::atan, never, refmath::atan;
    Sin => sin: refmath::sin_fast, refmath::trig_needs_libm, libm_sin;
    Cos => cos: refmath::cos_fast, refmath::trig_needs_libm, libm_cos;
    Tan => tan: refmath::tan_fast, refmath::tan_needs_libm, libm_tan;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `arctan2` routines equal `refmath::atan2` (the reference) bit for bit on every pair
    /// of a set of special and random values, float64 and float32.
    #[test]
    fn atan2_tiles_equal_the_reference() {
        if level() == Level::None {
            return;
        }
        let mut xs = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            5e-324,
            1e308,
        ];
        let mut s = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..200 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            xs.push(f64::from_bits(
                s & !(0x7ff << 52) | (((s >> 52) % 0x7ff) << 52),
            ));
            xs.push((s >> 11) as f64 / (1u64 << 53) as f64 * 8.0 - 4.0);
        }
        let (mut ys, mut zs) = (Vec::new(), Vec::new());
        for &a in &xs {
            for &b in &xs {
                ys.push(a);
                zs.push(b);
            }
        }
        let f = tile_fn(Func::Arctan2, DType::Float64).expect("a level");
        // SAFETY: (test) the address is an `extern "C" fn(*mut f64, *const f64, usize)`.
        let f: extern "C" fn(*mut f64, *const f64, usize) = unsafe { std::mem::transmute(f) };
        let mut got = ys.clone();
        f(got.as_mut_ptr(), zs.as_ptr(), got.len());
        for ((y, z), g) in ys.iter().zip(&zs).zip(&got) {
            assert_eq!(
                g.to_bits(),
                refmath::atan2(*y, *z).to_bits(),
                "atan2({y:e}, {z:e})"
            );
        }
        let f = tile_fn(Func::Arctan2, DType::Float32).expect("a level");
        // SAFETY: (test) the address is an `extern "C" fn(*mut f32, *const f32, usize)`.
        let f: extern "C" fn(*mut f32, *const f32, usize) = unsafe { std::mem::transmute(f) };
        let (y32, z32): (Vec<f32>, Vec<f32>) = ys
            .iter()
            .zip(&zs)
            .map(|(&y, &z)| (y as f32, z as f32))
            .unzip();
        let mut got = y32.clone();
        f(got.as_mut_ptr(), z32.as_ptr(), got.len());
        for ((y, z), g) in y32.iter().zip(&z32).zip(&got) {
            let want = refmath::atan2(*y as f64, *z as f64) as f32;
            assert_eq!(g.to_bits(), want.to_bits(), "atan2({y:e}, {z:e}) float32");
        }
    }

    /// Every routine at every level this CPU has equals `semantics::apply`'s value, bit for
    /// bit (NaN arguments returned as they are), on special values, hard points and tiles
    /// of every length 0..=20 (the remainder path).
    #[test]
    fn tiles_equal_the_reference() {
        let mut xs = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            f64::NAN,
            -f64::NAN,
            f64::from_bits(0x7ff8_0000_0000_1234),
            f64::INFINITY,
            f64::NEG_INFINITY,
            5e-324,
            f64::MIN_POSITIVE,
            f64::MAX,
            -f64::MAX,
            709.78,
            -745.2,
            1e-300,
            134217728.5,
            -3e9,
            1e300,
            std::f64::consts::FRAC_PI_2,
        ];
        let mut s = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..20_000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            xs.push(f64::from_bits(s));
            xs.push((s >> 11) as f64 / (1u64 << 53) as f64 * 40.0 - 20.0);
        }
        let levels: &[Level] = match detect() {
            Level::Avx512 => &[Level::Avx512, Level::Avx2],
            Level::Avx2 => &[Level::Avx2],
            Level::None => &[],
        };
        for &level in levels {
            for &f in FUNCS {
                let g = routines(level, f).expect("listed");
                let reference = |x: f64| {
                    use crate::types::{DType, Scalar};
                    let r = crate::semantics::apply::apply(
                        crate::semantics::Op::Call(f),
                        DType::Float64,
                        &[Scalar::Float(x)],
                    );
                    r.to_f64()
                };
                let mut got = xs.clone();
                g(got.as_mut_ptr(), got.len());
                for (x, y) in xs.iter().zip(&got) {
                    let want = reference(*x);
                    assert_eq!(
                        y.to_bits(),
                        want.to_bits(),
                        "{level:?} {f:?}({x:e}): {y:e} vs {want:e}"
                    );
                }
                for n in 0..=20 {
                    let mut got = xs[..n].to_vec();
                    g(got.as_mut_ptr(), n);
                    for (x, y) in xs[..n].iter().zip(&got) {
                        assert_eq!(y.to_bits(), reference(*x).to_bits(), "{f:?} tail {n}");
                    }
                }
                let g32 = routines32(level, f).expect("listed");
                let xs32: Vec<f32> = xs.iter().map(|&x| x as f32).collect();
                let mut got = xs32.clone();
                g32(got.as_mut_ptr(), got.len());
                for (x, y) in xs32.iter().zip(&got) {
                    use crate::types::{DType, Scalar};
                    let want = crate::semantics::apply::apply(
                        crate::semantics::Op::Call(f),
                        DType::Float32,
                        &[Scalar::Float32(*x)],
                    );
                    let Scalar::Float32(want) = want else {
                        panic!("float32 in, float32 out")
                    };
                    assert_eq!(
                        y.to_bits(),
                        want.to_bits(),
                        "{level:?} {f:?}({x:e}) float32"
                    );
                }
            }
        }
    }
}

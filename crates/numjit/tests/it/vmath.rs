//! The inline float64 kernels of `numjit::internals::vmath`, JIT-compiled in a tiny loop of their own
//! (vector `F64X2` pairs and plain scalars), against Rust's `f64` methods (glibc's libm):
//! random arguments over the whole domain, dense sweeps near the hard points, special values.
//! Each function has an ulp bound; special values must match exactly (NaN for NaN, signed
//! zeros and infinities bit for bit). The vector and scalar versions must agree bit for bit.

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    types, AbiParam, Block, InstBuilder, MemFlagsData, Signature, Type, Value,
};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{default_libcall_names, Linkage, Module};
use numjit::internals::vmath;
use numjit::internals::Func;
use std::f64::consts::{FRAC_PI_2, PI};

type LoopFn = unsafe extern "C" fn(*const f64, *const f64, *mut f64, i64);

/// A compiled loop `out[i] = f(x[i], y[i])` over `n` elements.
struct Kernel {
    module: Option<JITModule>,
    func: LoopFn,
}

impl Drop for Kernel {
    fn drop(&mut self) {
        if let Some(m) = self.module.take() {
            // SAFETY: the kernel is dropped, so its function pointer is no longer used.
            unsafe { m.free_memory() };
        }
    }
}

/// How the loop computes each element.
#[derive(Clone, Copy)]
enum Mode {
    /// `F64X2` pairs through the kernel, then a scalar step for an odd tail.
    Vector,
    /// Scalar steps through the kernel.
    Scalar,
    /// Scalar steps calling an out-of-line routine (today's codegen, for timings).
    Call(extern "C" fn(f64) -> f64),
}

/// The loop body: computes an element (or a pair) from the loaded `x` and `y`.
type Body<'a> = &'a dyn Fn(&mut FunctionBuilder<'_>, Value, Value) -> Value;

impl Kernel {
    fn new(f: Func, mode: Mode) -> Kernel {
        let kernel = |fb: &mut FunctionBuilder<'_>, x: Value, y: Value| {
            if f.arity() == 2 {
                vmath::emit2(fb, f, x, y)
            } else {
                vmath::emit(fb, f, x)
            }
            .expect("the function has a kernel")
        };
        match mode {
            Mode::Vector => Kernel::build(true, &kernel),
            Mode::Scalar => Kernel::build(false, &kernel),
            Mode::Call(g) => Kernel::build(false, &|fb, x, _| {
                let mut sig = Signature::new(fb.func.signature.call_conv);
                sig.params.push(AbiParam::new(types::F64));
                sig.returns.push(AbiParam::new(types::F64));
                let sigref = fb.import_signature(sig);
                let callee = fb.ins().iconst(types::I64, g as usize as i64);
                let inst = fb.ins().call_indirect(sigref, callee, &[x]);
                fb.inst_results(inst)[0]
            }),
        }
    }

    /// Compiles `out[i] = body(x[i], y[i])`, by `F64X2` pairs (then a scalar tail) if
    /// `vector`, else by scalars.
    fn build(vector: bool, body: Body<'_>) -> Kernel {
        let mut flags = settings::builder();
        flags.set("opt_level", "speed").unwrap();
        flags.set("is_pic", "false").unwrap();
        let isa = cranelift_native::builder()
            .unwrap()
            .finish(settings::Flags::new(flags))
            .unwrap();
        let mut module = JITModule::new(JITBuilder::with_isa(isa, default_libcall_names()));
        let ptr = module.target_config().pointer_type();
        let mut sig = module.make_signature();
        for _ in 0..3 {
            sig.params.push(AbiParam::new(ptr));
        }
        sig.params.push(AbiParam::new(types::I64));
        let id = module.declare_function("k", Linkage::Local, &sig).unwrap();
        let mut ctx = module.make_context();
        ctx.func.signature = sig;
        let mut fctx = FunctionBuilderContext::new();
        let frontend = module.isa().frontend_config();
        {
            let mut fb = FunctionBuilder::new(&mut ctx.func, &mut fctx);
            let entry = fb.create_block();
            fb.append_block_params_for_function_params(entry);
            fb.switch_to_block(entry);
            fb.seal_block(entry);
            let p = fb.block_params(entry).to_vec();
            let (ptrs, n) = ([p[0], p[1], p[2]], p[3]);
            let i_var = fb.declare_var(types::I64);
            let zero = fb.ins().iconst(types::I64, 0);
            fb.def_var(i_var, zero);
            let exit = fb.create_block();
            if vector {
                let after = fb.create_block();
                step_loop(&mut fb, body, types::F64X2, i_var, ptrs, n, after);
                fb.switch_to_block(after);
                fb.seal_block(after);
            }
            step_loop(&mut fb, body, types::F64, i_var, ptrs, n, exit);
            fb.switch_to_block(exit);
            fb.seal_block(exit);
            fb.ins().return_(&[]);
            fb.finalize(frontend);
        }
        // VMATH_DISASM=1 prints the machine code of every loop compiled here.
        let disasm = std::env::var_os("VMATH_DISASM").is_some();
        ctx.set_disasm(disasm);
        module.define_function(id, &mut ctx).unwrap();
        if disasm {
            eprintln!("{}", ctx.compiled_code().unwrap().vcode.as_ref().unwrap());
        }
        module.clear_context(&mut ctx);
        module.finalize_definitions().unwrap();
        let code = module.get_finalized_function(id);
        // SAFETY: `code` is a finalized function with exactly `LoopFn`'s signature.
        let func = unsafe { std::mem::transmute::<*const u8, LoopFn>(code) };
        Kernel {
            module: Some(module),
            func,
        }
    }

    fn run_into(&self, x: &[f64], y: &[f64], out: &mut [f64]) {
        assert!(x.len() == y.len() && x.len() == out.len());
        // SAFETY: all three buffers hold `x.len()` elements.
        unsafe { (self.func)(x.as_ptr(), y.as_ptr(), out.as_mut_ptr(), x.len() as i64) };
    }

    fn run(&self, x: &[f64], y: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; x.len()];
        self.run_into(x, y, &mut out);
        out
    }
}

/// `while i + lanes <= n { out[i..] = body(x[i..], y[i..]); i += lanes }`, then jumps to
/// `exit`.
fn step_loop(
    fb: &mut FunctionBuilder<'_>,
    body: Body<'_>,
    ty: Type,
    i_var: Variable,
    [xp, yp, op]: [Value; 3],
    n: Value,
    exit: Block,
) {
    let lanes = ty.lane_count() as i64;
    let head = fb.create_block();
    let block = fb.create_block();
    fb.ins().jump(head, &[]);
    fb.switch_to_block(head);
    let i = fb.use_var(i_var);
    let next = fb.ins().iadd_imm_s(i, lanes);
    let more = fb.ins().icmp(IntCC::SignedLessThanOrEqual, next, n);
    fb.ins().brif(more, block, &[], exit, &[]);
    fb.switch_to_block(block);
    fb.seal_block(block);
    let off = fb.ins().ishl_imm_u(i, 3);
    let flags = MemFlagsData::trusted();
    let xa = fb.ins().iadd(xp, off);
    let ya = fb.ins().iadd(yp, off);
    let oa = fb.ins().iadd(op, off);
    let x = fb.ins().load(ty, flags, xa, 0);
    let y = fb.ins().load(ty, flags, ya, 0);
    let r = body(fb, x, y);
    assert_eq!(fb.func.dfg.value_type(r), ty);
    fb.ins().store(flags, r, oa, 0);
    fb.def_var(i_var, next);
    fb.ins().jump(head, &[]);
    fb.seal_block(head);
}

/// Distance in representable doubles (0 for two NaNs; `u64::MAX` for NaN against a number).
fn ulps(a: f64, b: f64) -> u64 {
    if a.is_nan() || b.is_nan() {
        return if a.is_nan() && b.is_nan() {
            0
        } else {
            u64::MAX
        };
    }
    (key(a) as i128 - key(b) as i128).unsigned_abs() as u64
}

/// Deterministic xorshift generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in [0, 1).
    fn unif(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi).
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unif()
    }

    /// ±2^e with e uniform in [lo, hi): log-uniform magnitudes, both signs.
    fn log_uniform(&mut self, lo: f64, hi: f64) -> f64 {
        let m = self.range(lo, hi).exp2();
        if self.next() & 1 == 0 {
            m
        } else {
            -m
        }
    }

    /// Any double but NaN, uniform over bit patterns.
    fn any_bits(&mut self) -> f64 {
        loop {
            let x = f64::from_bits(self.next());
            if !x.is_nan() {
                return x;
            }
        }
    }
}

/// Position of `x` in the ordered sequence of doubles (−0 and +0 both at 0).
fn key(x: f64) -> i64 {
    let i = x.to_bits() as i64;
    if i < 0 {
        i64::MIN - i
    } else {
        i
    }
}

/// `x` moved by `d` representable doubles toward +inf (saturating at ±inf).
fn nudge(x: f64, d: i64) -> f64 {
    let k = (key(x) + d).clamp(key(f64::NEG_INFINITY), key(f64::INFINITY));
    if k < 0 {
        f64::from_bits((i64::MIN - k) as u64)
    } else {
        f64::from_bits(k as u64)
    }
}

/// Values every function must get exactly right (bit for bit, or NaN for NaN).
const SPECIALS: [f64; 10] = [
    0.0,
    -0.0,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
    -f64::NAN,
    f64::MIN_POSITIVE,
    -f64::MIN_POSITIVE,
    5e-324,
    -5e-324,
];

/// Runs `f` through the JIT (vector and scalar loops) on `xs` and checks every result
/// within `bound` ulps of `reference`, the two loops bit-identical; `exact` inputs must match
/// the reference bit for bit (any NaN for NaN).
fn check(f: Func, reference: fn(f64) -> f64, xs: &[f64], exact: &[f64], bound: u64) {
    let pairs = |v: &[f64]| v.iter().map(|&x| (x, x)).collect::<Vec<_>>();
    check2(f, &|x, _| reference(x), &pairs(xs), &pairs(exact), bound);
}

/// [`check`] for a function of two arguments, on pairs `(x, y)`.
fn check2(
    f: Func,
    reference: &dyn Fn(f64, f64) -> f64,
    args: &[(f64, f64)],
    exact: &[(f64, f64)],
    bound: u64,
) {
    let vk = Kernel::new(f, Mode::Vector);
    let sk = Kernel::new(f, Mode::Scalar);
    let mut all: Vec<(f64, f64)> = exact.to_vec();
    all.extend_from_slice(args);
    // An odd length exercises the scalar tail of the vector loop too.
    if all.len().is_multiple_of(2) {
        all.push((1.0, 1.0));
    }
    let (xs, ys): (Vec<f64>, Vec<f64>) = all.iter().copied().unzip();
    let v = vk.run(&xs, &ys);
    let s = sk.run(&xs, &ys);
    let name = |x: f64, y: f64| {
        if f.arity() == 2 {
            format!("{}({x:e}, {y:e})", f.name())
        } else {
            format!("{}({x:e})", f.name())
        }
    };
    let (mut max, mut worst, mut got) = (0, (f64::NAN, f64::NAN), f64::NAN);
    for (i, &(x, y)) in all.iter().enumerate() {
        let want = reference(x, y);
        assert!(
            v[i].to_bits() == s[i].to_bits() || (v[i].is_nan() && s[i].is_nan()),
            "{}: vector {:e} != scalar {:e}",
            name(x, y),
            v[i],
            s[i]
        );
        if i < exact.len() {
            let ok = if want.is_nan() {
                v[i].is_nan()
            } else {
                v[i].to_bits() == want.to_bits()
            };
            assert!(ok, "{} = {:e}, want exactly {want:e}", name(x, y), v[i]);
            continue;
        }
        let u = ulps(v[i], want);
        assert!(
            u <= bound,
            "{} = {:e}, want {want:e}: {u} ulps > {bound}",
            name(x, y),
            v[i]
        );
        if u >= max {
            (max, worst, got) = (u, (x, y), v[i]);
        }
    }
    eprintln!(
        "vmath {}: {} arguments, max {max} ulp (at {}: {got:?}, libm {:?})",
        f.name(),
        all.len(),
        name(worst.0, worst.1),
        reference(worst.0, worst.1)
    );
}

/// Exact specials plus the given extra exact cases.
fn exact_with(extra: &[f64]) -> Vec<f64> {
    let mut v = SPECIALS.to_vec();
    v.extend_from_slice(extra);
    v
}

/// `count` doubles around each of `points`, `width` representable values either side.
fn around(points: &[f64], width: i64) -> Vec<f64> {
    let mut v = Vec::new();
    for &p in points {
        for d in -width..=width {
            v.push(nudge(p, d));
        }
    }
    v
}

#[test]
fn exp_matches_libm() {
    let mut rng = Rng(0x9e3779b97f4a7c15);
    let mut xs = Vec::new();
    for _ in 0..300_000 {
        xs.push(rng.range(-750.0, 750.0));
        xs.push(rng.range(-2.0, 2.0));
        xs.push(rng.log_uniform(-1075.0, 10.0));
    }
    // Gradual underflow and overflow thresholds, densely.
    for _ in 0..100_000 {
        xs.push(rng.range(-746.0, -707.0));
        xs.push(rng.range(705.0, 710.0));
    }
    xs.extend(around(
        &[
            709.782712893384,
            -708.3964185322641,
            -745.1332191019411,
            -744.4400719213812,
        ],
        2000,
    ));
    xs.extend(around(&[0.0, -0.0], 3000));
    let exact = exact_with(&[709.79, 710.0, 1e300, -746.0, -1e300, -745.14]);
    check(Func::Exp, f64::exp, &xs, &exact, 1);
}

#[test]
fn log_matches_libm() {
    let mut rng = Rng(0x2545f4914f6cdd1d);
    let mut xs = Vec::new();
    for _ in 0..300_000 {
        xs.push(rng.any_bits().abs());
        xs.push(rng.range(0.5, 2.0));
        xs.push(rng.log_uniform(-1074.0, 1024.0).abs());
    }
    xs.extend(around(
        &[
            1.0,
            2.0,
            0.5,
            std::f64::consts::SQRT_2,
            std::f64::consts::FRAC_1_SQRT_2,
        ],
        5000,
    ));
    xs.extend(around(&[f64::MIN_POSITIVE, f64::MAX], 1000));
    xs.extend((1..=2000).map(f64::from_bits));
    let exact = exact_with(&[-1.0, -1e-300, -f64::MAX, 1.0, f64::MAX]);
    check(Func::Log, f64::ln, &xs, &exact, 1);
}

/// Doubles very close to multiples of π/2 (found per binade with continued fractions).
const NEAR_PIO2: [f64; 26] = [
    FRAC_PI_2,
    3.1415926535897936,
    7.853981633974484,
    15.707963267948967,
    29.845130209103036,
    45.553093477052,
    1606.9246423111792,
    3793.4731292096753,
    8166.5701030066675,
    11081.968085537996,
    22743.560015663308,
    46066.74387591393,
    91553.86390724055,
    229174.47169039503,
    321307.9594422229,
    642615.9188844458,
    1698673.2849629424,
    2570463.675537783,
    7666483.53042661,
    14461176.67027838,
    28922353.34055676,
    57844706.68111352,
    115689413.36222704,
    231378826.72445408,
    462757653.44890815,
    925515306.8978163,
];

fn trig_args() -> Vec<f64> {
    let mut rng = Rng(0x853c49e6748fea9b);
    let mut xs = Vec::new();
    for _ in 0..200_000 {
        xs.push(rng.range(-4.0, 4.0));
        xs.push(rng.range(-1e3, 1e3));
        xs.push(rng.range(-1.4e8, 1.4e8));
        xs.push(rng.log_uniform(-1074.0, 30.0));
        xs.push(rng.log_uniform(27.0, 1024.0));
    }
    // Near multiples of π/2, small and large.
    for k in -2000i64..=2000 {
        let p = k as f64 * FRAC_PI_2;
        xs.extend((-3..=3).map(|d| nudge(p, d)));
    }
    for _ in 0..20_000 {
        let k = (rng.next() % (1 << 27)) as f64;
        xs.extend((-2..=2).map(|d| nudge(k * FRAC_PI_2, d)));
    }
    xs.extend(around(&NEAR_PIO2, 20));
    xs.extend(NEAR_PIO2.iter().map(|&x| -x));
    // Around the fallback threshold 2^27.
    xs.extend(around(&[134217728.0, -134217728.0], 50));
    xs.extend(around(&[0.0, -0.0], 3000));
    xs
}

#[test]
fn sin_matches_libm() {
    let exact = exact_with(&[PI, -PI, 1e300, -1e300, f64::MAX, 2f64.powi(28)]);
    check(Func::Sin, f64::sin, &trig_args(), &exact, 2);
}

#[test]
fn cos_matches_libm() {
    let exact = exact_with(&[PI, -PI, 1e300, -1e300, f64::MAX, FRAC_PI_2]);
    check(Func::Cos, f64::cos, &trig_args(), &exact, 2);
}

#[test]
fn only_f64_types_have_kernels() {
    assert!(vmath::has_kernel(Func::Exp));
    assert!(!vmath::has_kernel(Func::Where));
    let mut ctx = cranelift_codegen::Context::new();
    let mut fctx = FunctionBuilderContext::new();
    let mut fb = FunctionBuilder::new(&mut ctx.func, &mut fctx);
    let b = fb.create_block();
    fb.switch_to_block(b);
    let i = fb.ins().iconst(types::I64, 1);
    assert!(vmath::emit(&mut fb, Func::Exp, i).is_none());
    let x = fb.ins().f64const(1.0);
    assert!(vmath::emit(&mut fb, Func::Floor, x).is_none());
}

macro_rules! libm_calls {
    ($($name:ident = $f:expr),* $(,)?) => {
        $(extern "C" fn $name(x: f64) -> f64 {
            $f(x)
        })*
    };
}

libm_calls! {
    c_exp = f64::exp, c_expm1 = f64::exp_m1, c_ln = f64::ln, c_ln1p = f64::ln_1p,
    c_log2 = f64::log2, c_log10 = f64::log10, c_sin = f64::sin, c_cos = f64::cos,
    c_tan = f64::tan, c_tanh = f64::tanh, c_sinh = f64::sinh, c_cosh = f64::cosh,
    c_atan = f64::atan,
}

/// Rough speed of the kernels (vector and scalar loops) against a loop calling libm per
/// element, all JIT-compiled, so the test's own build profile does not matter:
/// `cargo test --test it vmath::speed -- --ignored --nocapture`.
#[test]
#[ignore]
fn speed() {
    let n = 1 << 20;
    let mut rng = Rng(7);
    let cases: [(Func, extern "C" fn(f64) -> f64, f64, f64); 13] = [
        (Func::Exp, c_exp, -700.0, 700.0),
        (Func::Expm1, c_expm1, -5.0, 5.0),
        (Func::Log, c_ln, 1e-300, 1e300),
        (Func::Log1p, c_ln1p, -0.9, 10.0),
        (Func::Log2, c_log2, 1e-300, 1e300),
        (Func::Log10, c_log10, 1e-300, 1e300),
        (Func::Sin, c_sin, -1e3, 1e3),
        (Func::Cos, c_cos, -1e3, 1e3),
        (Func::Tan, c_tan, -1e3, 1e3),
        (Func::Tanh, c_tanh, -5.0, 5.0),
        (Func::Sinh, c_sinh, -5.0, 5.0),
        (Func::Cosh, c_cosh, -5.0, 5.0),
        (Func::Arctan, c_atan, -10.0, 10.0),
    ];
    for (f, call, lo, hi) in cases {
        let x: Vec<f64> = (0..n).map(|_| rng.range(lo, hi)).collect();
        let mut out = vec![0.0; n];
        let mut time = |k: &Kernel| {
            let mut best = f64::INFINITY;
            for _ in 0..7 {
                let t = std::time::Instant::now();
                k.run_into(&x, &x, &mut out);
                best = best.min(t.elapsed().as_secs_f64() * 1e9 / n as f64);
            }
            best
        };
        let tv = time(&Kernel::new(f, Mode::Vector));
        let ts = time(&Kernel::new(f, Mode::Scalar));
        let tc = time(&Kernel::new(f, Mode::Call(call)));
        eprintln!(
            "{}: vector {tv:.2} ns/element, scalar {ts:.2}, libm call {tc:.2}",
            f.name()
        );
    }
    // Two arguments: arctan2 against a call per element.
    extern "C" fn c_atan2(x: f64, y: f64) -> f64 {
        x.atan2(y)
    }
    let x: Vec<f64> = (0..n).map(|_| rng.range(-10.0, 10.0)).collect();
    let y: Vec<f64> = (0..n).map(|_| rng.range(-10.0, 10.0)).collect();
    let mut out = vec![0.0; n];
    let call = Kernel::build(false, &|fb, x, y| {
        let mut sig = Signature::new(fb.func.signature.call_conv);
        sig.params.push(AbiParam::new(types::F64));
        sig.params.push(AbiParam::new(types::F64));
        sig.returns.push(AbiParam::new(types::F64));
        let sigref = fb.import_signature(sig);
        let f: extern "C" fn(f64, f64) -> f64 = c_atan2;
        let callee = fb.ins().iconst(types::I64, f as usize as i64);
        let inst = fb.ins().call_indirect(sigref, callee, &[x, y]);
        fb.inst_results(inst)[0]
    });
    let mut time = |k: &Kernel| {
        let mut best = f64::INFINITY;
        for _ in 0..7 {
            let t = std::time::Instant::now();
            k.run_into(&x, &y, &mut out);
            best = best.min(t.elapsed().as_secs_f64() * 1e9 / n as f64);
        }
        best
    };
    let tv = time(&Kernel::new(Func::Arctan2, Mode::Vector));
    let ts = time(&Kernel::new(Func::Arctan2, Mode::Scalar));
    let tc = time(&call);
    eprintln!("arctan2: vector {tv:.2} ns/element, scalar {ts:.2}, libm call {tc:.2}");
    // The README's targets, as fused F64X2 loops over two inputs.
    let a: Vec<f64> = (0..n).map(|_| rng.unif()).collect();
    let b: Vec<f64> = (0..n).map(|_| rng.unif()).collect();
    let mut out = vec![0.0; n];
    let trig = Kernel::build(true, &|fb, x, y| {
        let s = vmath::emit(fb, Func::Sin, x).unwrap();
        let c = vmath::emit(fb, Func::Cos, y).unwrap();
        let s2 = fb.ins().fmul(s, s);
        let c2 = fb.ins().fmul(c, c);
        fb.ins().fadd(s2, c2)
    });
    let select = Kernel::build(true, &|fb, x, y| {
        let nx = fb.ins().fneg(x);
        let e = vmath::emit(fb, Func::Exp, nx).unwrap();
        let ab = fb.ins().fmul(x, y);
        let half = fb.ins().f64const(0.5);
        let ty = fb.func.dfg.value_type(x);
        if ty == types::F64 {
            let gt = fb.ins().fcmp(FloatCC::GreaterThan, x, half);
            return fb.ins().select(gt, ab, e);
        }
        let half = fb.ins().splat(ty, half);
        let gt = fb.ins().fcmp(FloatCC::GreaterThan, x, half);
        let gt = fb.ins().bitcast(ty, MemFlagsData::new(), gt);
        fb.ins().bitselect(gt, ab, e)
    });
    let copy = Kernel::build(true, &|_, x, _| x);
    for (name, k) in [
        ("sin(a)**2 + cos(b)**2", &trig),
        ("where(a > 0.5, a*b, exp(-a))", &select),
        ("a (copy)", &copy),
    ] {
        let mut best = f64::INFINITY;
        for _ in 0..7 {
            let t = std::time::Instant::now();
            k.run_into(&a, &b, &mut out);
            best = best.min(t.elapsed().as_secs_f64() * 1e9 / n as f64);
        }
        eprintln!("{name}: {best:.2} ns/element");
    }
}

/// Random arguments for the functions of one real variable without special structure:
/// uniform on [−lo, lo] and log-uniform over the whole range, both signs.
fn wide_args(seed: u64, lo: f64) -> Vec<f64> {
    let mut rng = Rng(seed);
    let mut xs = Vec::new();
    for _ in 0..250_000 {
        xs.push(rng.range(-lo, lo));
        xs.push(rng.range(-2.0, 2.0));
        xs.push(rng.log_uniform(-1074.0, 1024.0));
        xs.push(rng.any_bits());
    }
    xs.extend(around(&[0.0, -0.0, 1.0, -1.0, 0.5, -0.5], 2000));
    xs
}

#[test]
fn expm1_matches_libm() {
    let mut xs = wide_args(11, 40.0);
    let mut rng = Rng(12);
    for _ in 0..200_000 {
        xs.push(rng.range(-1.0, 1.0));
        xs.push(rng.range(700.0, 710.0));
        xs.push(rng.log_uniform(-60.0, 0.0));
    }
    xs.extend(around(
        &[709.782712893384, -37.42994775023705, 0.34657359027997264],
        2000,
    ));
    let exact = exact_with(&[-40.0, -1e300, 710.0, 1e300]);
    check(Func::Expm1, f64::exp_m1, &xs, &exact, 2);
}

#[test]
fn log1p_matches_libm() {
    let mut xs: Vec<f64> = wide_args(21, 10.0)
        .into_iter()
        .map(|x| if x < -1.0 { -x } else { x })
        .collect();
    let mut rng = Rng(22);
    for _ in 0..200_000 {
        xs.push(rng.range(-1.0, 1.0));
        xs.push(-1.0 + rng.log_uniform(-53.0, 0.0).abs());
        xs.push(rng.log_uniform(-60.0, 0.0));
    }
    xs.extend(around(&[-1.0], 2000).into_iter().filter(|&x| x > -1.0));
    let exact = exact_with(&[-1.0, -1.5, -1e300, f64::MAX]);
    check(Func::Log1p, f64::ln_1p, &xs, &exact, 2);
}

#[test]
fn log2_log10_match_libm() {
    let xs: Vec<f64> = wide_args(31, 10.0).into_iter().map(f64::abs).collect();
    let mut more = xs.clone();
    more.extend((0..=1074).map(|i| 2f64.powi(i - 1074)));
    more.extend((0..=308).map(|i| format!("1e{i}").parse::<f64>().unwrap()));
    let exact2 = exact_with(&[-1.0, 1.0, 2.0, 0.5, 1024.0, 2f64.powi(-1074)]);
    check(Func::Log2, f64::log2, &more, &exact2, 2);
    let exact10 = exact_with(&[-1.0, 1.0, 10.0, 1000.0]);
    check(Func::Log10, f64::log10, &more, &exact10, 2);
}

#[test]
fn tanh_sinh_cosh_match_libm() {
    let mut xs = wide_args(41, 25.0);
    let mut rng = Rng(42);
    for _ in 0..100_000 {
        xs.push(rng.range(705.0, 712.0));
        xs.push(-rng.range(705.0, 712.0));
    }
    xs.extend(around(
        &[710.4758600739439, -710.4758600739439, 22.0, -22.0],
        500,
    ));
    let exact = exact_with(&[1e300, -1e300]);
    check(Func::Tanh, f64::tanh, &xs, &exact, 2);
    check(Func::Sinh, f64::sinh, &xs, &exact, 2);
    check(Func::Cosh, f64::cosh, &xs, &exact, 2);
}

#[test]
fn arctan_matches_libm() {
    let mut xs = wide_args(51, 10.0);
    xs.extend(around(
        &[
            0.41421356237309503,
            2.414213562373095,
            -0.41421356237309503,
            -2.414213562373095,
        ],
        2000,
    ));
    let exact = exact_with(&[1e300, -1e300, f64::MAX, 1.0]);
    check(Func::Arctan, f64::atan, &xs, &exact, 2);
}

#[test]
fn tan_matches_libm() {
    let mut xs = trig_args();
    // Near the poles too: odd multiples of π/2.
    for k in -500i64..=500 {
        let p = (2 * k + 1) as f64 * FRAC_PI_2;
        xs.extend((-3..=3).map(|d| nudge(p, d)));
    }
    let exact = exact_with(&[PI, -PI, 1e300, -1e300, f64::MAX, 2f64.powi(28)]);
    check(Func::Tan, f64::tan, &xs, &exact, 2);
}

#[test]
fn arctan2_matches_libm() {
    let mut rng = Rng(61);
    let mut args = Vec::new();
    for _ in 0..300_000 {
        args.push((rng.range(-10.0, 10.0), rng.range(-10.0, 10.0)));
        args.push((
            rng.log_uniform(-1074.0, 1024.0),
            rng.log_uniform(-1074.0, 1024.0),
        ));
        args.push((rng.log_uniform(-30.0, 30.0), rng.log_uniform(-30.0, 30.0)));
    }
    // Along the reduction's boundaries |y| = tan(π/8)·|x| and tan(3π/8)·|x|, and y = ±x.
    for _ in 0..50_000 {
        let x = rng.log_uniform(-20.0, 20.0);
        for k in [0.41421356237309503, 2.414213562373095, 1.0, -1.0] {
            let y = nudge(k * x, (rng.next() % 9) as i64 - 4);
            args.push((y, x));
        }
    }
    // Every pair of special values, exactly.
    let sp = [
        0.0,
        -0.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        1.0,
        -1.0,
        5e-324,
        -5e-324,
        f64::MAX,
        -f64::MAX,
    ];
    let exact: Vec<(f64, f64)> = sp
        .iter()
        .flat_map(|&y| sp.iter().map(move |&x| (y, x)))
        .collect();
    check2(Func::Arctan2, &f64::atan2, &args, &exact, 2);
}

/// Prints the machine code of one kernel's vector loop:
/// `F=sin VMATH_DISASM=1 cargo test --test it vmath::disasm -- --ignored --nocapture`.
#[test]
#[ignore]
fn disasm() {
    let f = std::env::var("F").unwrap_or_else(|_| "exp".into());
    let f = Func::from_name(&f).expect("a function name");
    Kernel::new(f, Mode::Vector);
}

/// A loop computing `x ** y` through [`vmath::emit_pow`] (vector or scalar).
fn pow_kernel(vector: bool) -> Kernel {
    Kernel::build(vector, &|fb, x, y| vmath::emit_pow(fb, x, y).unwrap())
}

/// [`check2`] for `pow` (not a [`Func`]).
fn check_pow(args: &[(f64, f64)], exact: &[(f64, f64)], bound: u64) -> u64 {
    let vk = pow_kernel(true);
    let sk = pow_kernel(false);
    let mut all: Vec<(f64, f64)> = exact.to_vec();
    all.extend_from_slice(args);
    if all.len().is_multiple_of(2) {
        all.push((1.0, 1.0));
    }
    let (xs, ys): (Vec<f64>, Vec<f64>) = all.iter().copied().unzip();
    let v = vk.run(&xs, &ys);
    let s = sk.run(&xs, &ys);
    let (mut max, mut worst, mut got) = (0, (f64::NAN, f64::NAN), f64::NAN);
    for (i, &(x, y)) in all.iter().enumerate() {
        let want = x.powf(y);
        assert!(
            v[i].to_bits() == s[i].to_bits() || (v[i].is_nan() && s[i].is_nan()),
            "pow({x:e}, {y:e}): vector {:e} != scalar {:e}",
            v[i],
            s[i]
        );
        if i < exact.len() {
            let ok = if want.is_nan() {
                v[i].is_nan()
            } else {
                v[i].to_bits() == want.to_bits()
            };
            assert!(ok, "pow({x:e}, {y:e}) = {:e}, want exactly {want:e}", v[i]);
            continue;
        }
        let u = ulps(v[i], want);
        assert!(
            u <= bound,
            "pow({x:e}, {y:e}) = {:e}, want {want:e}: {u} ulps > {bound}",
            v[i]
        );
        if u >= max {
            (max, worst, got) = (u, (x, y), v[i]);
        }
    }
    eprintln!(
        "vmath pow: {} arguments, max {max} ulp (at pow({:e}, {:e}): {got:?}, libm {:?})",
        all.len(),
        worst.0,
        worst.1,
        worst.0.powf(worst.1)
    );
    max
}

#[test]
fn pow_matches_libm() {
    let mut rng = Rng(71);
    let mut args = Vec::new();
    for _ in 0..300_000 {
        // x log-uniform over [1e-300, 1e300], both signs; y in [−100, 100] (an integer for
        // a negative x, else NaN, checked exactly below).
        let x = rng.log_uniform(-996.0, 996.0);
        let y = rng.range(-100.0, 100.0);
        args.push((x, if x < 0.0 { y.round() } else { y }));
        args.push((x.abs(), y));
        // Integer exponents, both signs of x.
        let k = (rng.next() % 201) as f64 - 100.0;
        args.push((rng.log_uniform(-20.0, 20.0), k));
        args.push((x, k));
        // x near 1 and big exponents.
        args.push((rng.range(0.5, 2.0), rng.range(-1000.0, 1000.0)));
        args.push((1.0 + rng.range(-1e-6, 1e-6), rng.log_uniform(0.0, 30.0)));
        // Results near overflow, underflow and among the subnormals.
        let t = rng.range(-745.5, 709.9);
        let x = rng.log_uniform(-1000.0, 1000.0).abs();
        let y = t / x.ln();
        if y.is_finite() {
            args.push((x, y));
        }
        // Anything.
        args.push((rng.any_bits(), rng.range(-3.0, 3.0)));
        args.push((rng.any_bits(), rng.any_bits()));
    }
    // Every pair of special values, exactly: signed zeros, infinities, NaN, ±1, tiny and
    // huge bases; zero, odd and even integer, half-integer and huge exponents.
    let xs = [
        0.0,
        -0.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        1.0,
        -1.0,
        0.5,
        -0.5,
        2.0,
        -2.0,
        5e-324,
        -5e-324,
        f64::MIN_POSITIVE,
        f64::MAX,
        -f64::MAX,
        -3.0,
        1.0000000000000002,
        0.9999999999999999,
    ];
    let ys = [
        0.0,
        -0.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        1.0,
        -1.0,
        2.0,
        -2.0,
        3.0,
        -3.0,
        0.5,
        -0.5,
        1.5,
        -1.5,
        9007199254740991.0,
        -9007199254740991.0,
        9007199254740992.0,
        1e300,
        -1e300,
        5e-324,
        -5e-324,
        1075.0,
        -1075.0,
        1074.0,
        -1074.0,
    ];
    // (Pairs whose result is not special, a power of two or ±1 go to the ulp check.)
    let mut exact = Vec::new();
    for &x in &xs {
        for &y in &ys {
            let w = x.powf(y);
            let pow2 = w.is_normal() && w.to_bits() & ((1u64 << 52) - 1) == 0;
            if w.is_nan() || w == 0.0 || w.is_infinite() || pow2 {
                exact.push((x, y));
            } else {
                args.push((x, y));
            }
        }
    }
    // Exact powers of two through the subnormal range and to overflow, signs by parity.
    for k in -1080..=1030 {
        exact.push((2.0, k as f64));
        exact.push((-2.0, k as f64));
        exact.push((0.5, k as f64));
    }
    // Negative finite x with a non-integer y: NaN.
    for _ in 0..1000 {
        let y = rng.range(-100.0, 100.0);
        if y != y.round() {
            exact.push((rng.log_uniform(-1000.0, 1000.0).abs().copysign(-1.0), y));
        }
    }
    let max = check_pow(&args, &exact, 2);
    assert!(max <= 2);
}

/// `cargo test --release --test it vmath::pow_speed -- --ignored --nocapture`
#[test]
#[ignore]
fn pow_speed() {
    extern "C" fn c_pow(x: f64, y: f64) -> f64 {
        x.powf(y)
    }
    let n = 1 << 20;
    let mut rng = Rng(5);
    for (name, lo, hi, ylo, yhi) in [
        ("x in [1e-300,1e300], y in [-1,1]", -996.0, 996.0, -1.0, 1.0),
        ("x in [0.01,100], y in [-100,100]", -6.6, 6.6, -100.0, 100.0),
    ] {
        let x: Vec<f64> = (0..n).map(|_| rng.log_uniform(lo, hi).abs()).collect();
        let y: Vec<f64> = (0..n).map(|_| rng.range(ylo, yhi)).collect();
        let mut out = vec![0.0; n];
        let call = Kernel::build(false, &|fb, x, y| {
            let mut sig = Signature::new(fb.func.signature.call_conv);
            sig.params.push(AbiParam::new(types::F64));
            sig.params.push(AbiParam::new(types::F64));
            sig.returns.push(AbiParam::new(types::F64));
            let sigref = fb.import_signature(sig);
            let f: extern "C" fn(f64, f64) -> f64 = c_pow;
            let callee = fb.ins().iconst(types::I64, f as usize as i64);
            let inst = fb.ins().call_indirect(sigref, callee, &[x, y]);
            fb.inst_results(inst)[0]
        });
        let mut time = |k: &Kernel| {
            let mut best = f64::INFINITY;
            for _ in 0..9 {
                let t = std::time::Instant::now();
                k.run_into(&x, &y, &mut out);
                best = best.min(t.elapsed().as_secs_f64() * 1e9 / n as f64);
            }
            best
        };
        let tv = time(&pow_kernel(true));
        let ts = time(&pow_kernel(false));
        let tc = time(&call);
        eprintln!("pow {name}: vector {tv:.2} ns/element, scalar {ts:.2}, libm call {tc:.2}");
    }
}

#[test]
#[ignore]
fn pow_disasm() {
    pow_kernel(true);
}

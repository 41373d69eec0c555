//! The JIT's inline float64 math kernels (`exp`, `expm1`, `log`, `log1p`, `log2`, `log10`,
//! `sin`, `cos`, `tan`, `tanh`, `sinh`, `cosh`, `arctan`, `arctan2` and `**`) against the
//! plain-Rust reference math (`semantics::refmath`), bit for bit, through the public API only:
//! [`numjit::eval`] runs the JIT-compiled kernel, [`numjit::interpret`] the reference
//! interpreter, which computes these functions with `refmath`. Each function sees random
//! arguments over the whole range (every bit pattern included), dense sweeps of ±ulps around
//! its hard points (overflow and underflow thresholds, range-reduction boundaries, multiples
//! of π/2, subnormals) and special values of both signs; `arctan2` and `**` see random and
//! special pairs. Every input set runs three times through the JIT: contiguous (the vector
//! loop, `F64X2` pairs, plus the scalar loop's odd tail), as a stride-2 view (the vector loop
//! with lane-by-lane loads), and inside `where(z == 0, f(x), 0.0)` with `z` an int32 array of
//! zeros: a kernel that mixes 32- and 64-bit values has only the scalar loop, and the select
//! returns `f(x)`'s bits unchanged. So both loops are compared with `refmath`.
//!
//! Results must have the same bits. One-argument functions return a NaN argument itself
//! (sign and payload), in the JIT and in `refmath` alike, so there every bit must match. For
//! `arctan2` and `**` one exception is accepted: where both are NaN, the NaNs may differ in
//! sign or payload. Rust does not specify the sign and payload of a NaN produced by
//! arithmetic, and where two NaN operands meet inside one instruction, which operand's NaN
//! comes out depends on the operand order the compiler picks, which differs between
//! Cranelift and rustc/LLVM. Such pairs are accepted and counted on stderr.

use numjit::{vars, Array};
use std::f64::consts::{FRAC_PI_2, PI};

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

    /// ±2^e with e uniform in [lo, hi).
    fn log_uniform(&mut self, lo: f64, hi: f64) -> f64 {
        let m = self.range(lo, hi).exp2();
        if self.next() & 1 == 0 {
            m
        } else {
            -m
        }
    }

    /// Any bit pattern (NaNs included).
    fn any_bits(&mut self) -> f64 {
        f64::from_bits(self.next())
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

/// `width` representable doubles either side of each point (and the point).
fn around(points: &[f64], width: i64) -> Vec<f64> {
    let mut v = Vec::new();
    for &p in points {
        for d in -width..=width {
            v.push(nudge(p, d));
        }
    }
    v
}

/// Same bits, or both NaN (see the module doc).
fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// Special values and hard points of every function, both signs.
fn specials() -> Vec<f64> {
    let mut v = vec![
        0.0,
        f64::INFINITY,
        f64::NAN,
        f64::from_bits(0x7ff0_0000_0000_0001),
        f64::from_bits(0x7ff8_dead_beef_0001),
        f64::MIN_POSITIVE,
        5e-324,
        1e-323,
        f64::MIN_POSITIVE / 2.0,
        nudge(f64::MIN_POSITIVE, -1),
        f64::MAX,
        1.0,
        0.5,
        2.0,
        1e300,
        1e-300,
        1e-20,
        1e-8,
        PI,
        FRAC_PI_2,
        std::f64::consts::FRAC_PI_4,
        134217728.0,
        268435456.0,
        709.782712893384,
        709.79,
        710.0,
        711.0,
        712.0,
        746.0,
        745.14,
        708.3964185322641,
        745.1332191019411,
        744.4400719213812,
        745.2,
        40.0,
        37.42994775023705,
        60.0,
        22.0,
        710.4758600739439,
        0.41421356237309503,
        2.414213562373095,
        0.34657359027997264,
        std::f64::consts::SQRT_2,
        std::f64::consts::FRAC_1_SQRT_2,
        10.0,
        1000.0,
        9007199254740992.0,
        4503599627370496.0,
        2f64.powi(51),
        2f64.powi(1020),
        2f64.powi(1023),
    ];
    v.extend((-40..=40).map(f64::from));
    v.extend((-1074..=1023).map(|i| 2f64.powi(i)));
    v.extend((0..=308).map(|i| format!("1e{i}").parse::<f64>().unwrap()));
    let neg: Vec<f64> = v.iter().map(|&x| -x).collect();
    v.extend(neg);
    v
}

/// Hard points swept densely (±`width` ulps).
fn sweeps() -> Vec<f64> {
    let pts = [
        0.0,
        1.0,
        0.5,
        2.0,
        -1.0,
        f64::MIN_POSITIVE,
        f64::MAX,
        std::f64::consts::SQRT_2,
        std::f64::consts::FRAC_1_SQRT_2,
        134217728.0,
        709.782712893384,
        -708.3964185322641,
        -745.1332191019411,
        -744.4400719213812,
        -37.42994775023705,
        -40.0,
        710.0,
        0.34657359027997264,
        22.0,
        1.0,
        710.4758600739439,
        711.0,
        0.41421356237309503,
        2.414213562373095,
        PI,
        FRAC_PI_2,
    ];
    let mut v = around(&pts, 1500);
    let neg: Vec<f64> = v.iter().map(|&x| -x).collect();
    v.extend(neg);
    // Near multiples of π/2, small and large.
    for k in -3000i64..=3000 {
        let p = k as f64 * FRAC_PI_2;
        v.extend((-3..=3).map(|d| nudge(p, d)));
    }
    let mut rng = Rng(0x853c49e6748fea9b);
    for _ in 0..20_000 {
        let k = (rng.next() % (1 << 27)) as f64;
        v.extend((-2..=2).map(|d| nudge(k * FRAC_PI_2, d)));
    }
    // Subnormals, the first few thousand.
    v.extend((1..=3000).map(f64::from_bits));
    v
}

/// Rounds of [`randoms`] (8 arguments each) per function.
const RANDOM_ROUNDS: usize = 100_000;

/// Random arguments over the whole range (seeded per function).
fn randoms(seed: u64) -> Vec<f64> {
    let mut rng = Rng(seed);
    let mut v = Vec::new();
    for _ in 0..RANDOM_ROUNDS {
        v.push(rng.any_bits());
        v.push(rng.range(-2.0, 2.0));
        v.push(rng.range(-50.0, 50.0));
        v.push(rng.range(-750.0, 750.0));
        v.push(rng.range(-1.5e8, 1.5e8));
        v.push(rng.log_uniform(-1074.0, 1024.0));
        v.push(rng.log_uniform(-60.0, 10.0));
        // log1p near −1.
        v.push(-1.0 + rng.log_uniform(-53.0, 0.0).abs());
    }
    v
}

/// The float64 elements of a result, in logical order.
fn values(a: &Array) -> Vec<f64> {
    a.as_f64()
        .expect("a float64 result")
        .iter()
        .copied()
        .collect()
}

/// A stride-2 copy of `xs`: the elements at even positions, a signalling NaN between them
/// (never read by a correct kernel, and it would show in the result if it were).
fn spread(xs: &[f64]) -> ndarray::Array1<f64> {
    xs.iter()
        .flat_map(|&x| [x, f64::from_bits(0x7ff0_0bad_0bad_0bad)])
        .collect()
}

/// `expr` in a kernel that has only the scalar loop: an int32 input (`z`, all zeros) next to
/// float64 values gives a kernel of mixed widths, which has no vector loop; the select passes
/// `expr`'s bits through unchanged.
fn scalar_only(expr: &str) -> String {
    format!("where(z == 0, {expr}, 0.0)")
}

/// Mismatches found by one check: up to 20 described, all counted.
#[derive(Default)]
struct Report {
    examples: Vec<String>,
    mismatches: usize,
    /// Both NaN, other bits (accepted; see the module doc).
    nan_bits: usize,
}

impl Report {
    /// Compares `jit` with `reference` element by element; `describe(i)` names input `i`.
    fn compare(
        &mut self,
        what: &str,
        jit: &[f64],
        reference: &[f64],
        describe: impl Fn(usize) -> String,
    ) {
        assert_eq!(jit.len(), reference.len(), "{what}: result lengths");
        for (i, (&j, &r)) in jit.iter().zip(reference).enumerate() {
            if !same(j, r) {
                self.mismatches += 1;
                if self.examples.len() < 20 {
                    self.examples.push(format!(
                        "{what}{}: jit {j:e} ({:#018x}), ref {r:e} ({:#018x})",
                        describe(i),
                        j.to_bits(),
                        r.to_bits()
                    ));
                }
            } else if j.to_bits() != r.to_bits() {
                self.nan_bits += 1;
            }
        }
    }

    /// Fails with the examples and the count if anything mismatched.
    fn finish(self, name: &str, inputs: usize) {
        eprintln!(
            "{name}: {inputs} inputs (x3 layouts), {} mismatches, {} NaNs with other bits",
            self.mismatches, self.nan_bits
        );
        assert!(
            self.mismatches == 0,
            "{name}: {} mismatches between the JIT and refmath; first {}:\n{}",
            self.mismatches,
            self.examples.len(),
            self.examples.join("\n")
        );
    }
}

/// `name(x)` by the JIT (contiguous and stride-2) against the interpreter (refmath) on every
/// input; returns the number of inputs.
fn check1(name: &str, seed: u64) -> usize {
    check_expr(name, &format!("{name}(x)"), seed)
}

/// The one-input expression `expr` over `x` (as [`check1`] does for `name(x)`).
fn check_expr(name: &str, expr: &str, seed: u64) -> usize {
    let mut x = specials();
    x.extend(sweeps());
    x.extend(randoms(seed));
    let expr = expr.to_string();
    let reference = values(&numjit::interpret(&expr, vars! {x}).unwrap());
    let describe = |i: usize| format!("({:e} = {:#018x})", x[i], x[i].to_bits());
    let mut report = Report::default();

    let jit = values(&numjit::eval(&expr, vars! {x}).unwrap());
    report.compare(&format!("{name} [vector loop]"), &jit, &reference, describe);

    let big = spread(&x);
    let v = big.slice(ndarray::s![..;2]);
    let jit = values(&numjit::eval(&expr, vars! {"x" => &v}).unwrap());
    report.compare(&format!("{name} [strided]"), &jit, &reference, describe);

    let z = vec![0i32; x.len()];
    let jit = values(&numjit::eval(&scalar_only(&expr), vars! {x, z}).unwrap());
    report.compare(&format!("{name} [scalar loop]"), &jit, &reference, describe);

    // One-argument kernels return a NaN argument itself: no NaN may differ even in sign.
    assert_eq!(report.nan_bits, 0, "{name}: NaNs with other bits");
    report.finish(name, x.len());
    x.len()
}

/// The two-argument expression `expr` over `a` and `b` (bound from the pairs' first and
/// second members) by the JIT (contiguous and stride-2) against the interpreter; returns the
/// number of pairs.
fn check2(name: &str, expr: &str, (a, b): (&str, &str), pairs: &[(f64, f64)]) -> usize {
    let first: Vec<f64> = pairs.iter().map(|p| p.0).collect();
    let second: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    let reference = values(
        &numjit::interpret(expr, numjit::Vars::new().bind(a, &first).bind(b, &second)).unwrap(),
    );
    let describe = |i: usize| {
        let (p, q) = pairs[i];
        format!(
            "({p:e}, {q:e}) = ({:#018x}, {:#018x})",
            p.to_bits(),
            q.to_bits()
        )
    };
    let mut report = Report::default();

    let jit =
        values(&numjit::eval(expr, numjit::Vars::new().bind(a, &first).bind(b, &second)).unwrap());
    report.compare(&format!("{name} [vector loop]"), &jit, &reference, describe);

    let (big_a, big_b) = (spread(&first), spread(&second));
    let (va, vb) = (
        big_a.slice(ndarray::s![..;2]),
        big_b.slice(ndarray::s![..;2]),
    );
    let jit = values(&numjit::eval(expr, numjit::Vars::new().bind(a, va).bind(b, vb)).unwrap());
    report.compare(&format!("{name} [strided]"), &jit, &reference, describe);

    let z = vec![0i32; pairs.len()];
    let vars = numjit::Vars::new()
        .bind(a, &first)
        .bind(b, &second)
        .bind("z", &z);
    let jit = values(&numjit::eval(&scalar_only(expr), vars).unwrap());
    report.compare(&format!("{name} [scalar loop]"), &jit, &reference, describe);

    report.finish(name, pairs.len());
    pairs.len()
}

/// Every pair of a list of special values.
fn cross(a: &[f64], b: &[f64]) -> Vec<(f64, f64)> {
    a.iter()
        .flat_map(|&x| b.iter().map(move |&y| (x, y)))
        .collect()
}

#[test]
fn exp_family_bit_exact() {
    check1("exp", 1);
    check1("expm1", 2);
    check1("tanh", 3);
    check1("sinh", 4);
    check1("cosh", 5);
}

#[test]
fn logs_bit_exact() {
    check1("log", 11);
    check1("log1p", 12);
    check1("log2", 13);
    check1("log10", 14);
}

#[test]
fn trig_bit_exact() {
    check1("sin", 21);
    check1("cos", 22);
    check1("tan", 23);
    check1("arctan", 24);
}

#[test]
fn arctan2_bit_exact() {
    let mut rng = Rng(61);
    // (y, x): the first argument of arctan2 is the ordinate.
    let mut args = Vec::new();
    for _ in 0..200_000 {
        args.push((rng.range(-10.0, 10.0), rng.range(-10.0, 10.0)));
        args.push((
            rng.log_uniform(-1074.0, 1024.0),
            rng.log_uniform(-1074.0, 1024.0),
        ));
        args.push((rng.log_uniform(-30.0, 30.0), rng.log_uniform(-30.0, 30.0)));
        args.push((rng.any_bits(), rng.any_bits()));
        args.push((
            rng.log_uniform(1000.0, 1024.0),
            rng.log_uniform(-30.0, 1024.0),
        ));
    }
    // Along the reduction's boundaries |y| = tan(π/8)·|x| and tan(3π/8)·|x|, y = ±x.
    for _ in 0..30_000 {
        let x = rng.log_uniform(-20.0, 20.0);
        for k in [0.41421356237309503, 2.414213562373095, 1.0, -1.0] {
            let y = nudge(k * x, (rng.next() % 9) as i64 - 4);
            args.push((y, x));
        }
    }
    let mut sp = vec![
        0.0,
        f64::INFINITY,
        f64::NAN,
        1.0,
        5e-324,
        f64::MIN_POSITIVE,
        f64::MAX,
        2f64.powi(1020),
        nudge(2f64.powi(1020), 1),
        0.5,
        3.0,
        1e300,
        1e-300,
    ];
    let neg: Vec<f64> = sp.iter().map(|&x| -x).collect();
    sp.extend(neg);
    args.extend(cross(&sp, &sp));
    check2("arctan2", "arctan2(y, x)", ("y", "x"), &args);
}

#[test]
fn pow_bit_exact() {
    let mut rng = Rng(71);
    // (x, y) for x ** y.
    let mut args = Vec::new();
    for _ in 0..150_000 {
        let x = rng.log_uniform(-996.0, 996.0);
        let y = rng.range(-100.0, 100.0);
        args.push((x, if x < 0.0 { y.round() } else { y }));
        args.push((x, y));
        let k = (rng.next() % 201) as f64 - 100.0;
        args.push((rng.log_uniform(-20.0, 20.0), k));
        args.push((x, k));
        args.push((rng.range(0.5, 2.0), rng.range(-1000.0, 1000.0)));
        args.push((1.0 + rng.range(-1e-6, 1e-6), rng.log_uniform(0.0, 30.0)));
        // Results near overflow, underflow and among the subnormals, and |y·ln x| near
        // the fast path's bound 708.
        let t = rng.range(-745.5, 709.9);
        let x = rng.log_uniform(-1000.0, 1000.0).abs();
        let y = t / x.ln();
        if y.is_finite() {
            args.push((x, y));
        }
        let t = if rng.next() & 1 == 0 { 708.0 } else { -708.0 };
        let y = t / x.ln();
        if y.is_finite() {
            let y = nudge(y, (rng.next() % 9) as i64 - 4);
            args.push((x, y));
            args.push((-x, y.round()));
        }
        args.push((rng.any_bits(), rng.range(-3.0, 3.0)));
        args.push((rng.any_bits(), rng.any_bits()));
        // Subnormal and tiny bases.
        args.push((f64::from_bits(rng.next() >> 12), rng.range(-2.0, 2.0)));
        // Big odd/even integer exponents with bases near ±1.
        let k = (rng.next() % (1 << 40)) as f64;
        args.push((-(1.0 + rng.range(-1e-12, 1e-12)), k));
    }
    let mut xs = vec![
        0.0,
        f64::INFINITY,
        f64::NAN,
        1.0,
        0.5,
        2.0,
        3.0,
        10.0,
        5e-324,
        f64::MIN_POSITIVE,
        nudge(f64::MIN_POSITIVE, -1),
        f64::MAX,
        1.0000000000000002,
        0.9999999999999999,
        1e300,
        1e-300,
    ];
    let neg: Vec<f64> = xs.iter().map(|&x| -x).collect();
    xs.extend(neg);
    let mut ys = vec![
        0.0,
        f64::INFINITY,
        f64::NAN,
        1.0,
        2.0,
        3.0,
        0.5,
        1.5,
        0.25,
        9007199254740991.0,
        9007199254740992.0,
        4503599627370497.0,
        1e300,
        5e-324,
        1075.0,
        1074.0,
        1024.0,
        1023.0,
        708.0,
        709.0,
        1e10,
        1e18,
    ];
    let neg: Vec<f64> = ys.iter().map(|&x| -x).collect();
    ys.extend(neg);
    args.extend(cross(&xs, &ys));
    for k in -1080..=1030 {
        for b in [2.0, -2.0, 0.5, -0.5, 10.0, -10.0, std::f64::consts::E] {
            args.push((b, k as f64));
        }
    }
    // Both operands arrays: a constant exponent in the text is compiled differently.
    check2("pow", "x ** y", ("x", "y"), &args);
}

/// Constant integer and half-integer exponents (double-double binary powering,
/// `refmath::pow_const`) by the JIT against the interpreter, bit for bit, on every input of
/// the other functions (negative bases, ±0, ±inf, NaN, subnormals, huge and tiny values);
/// float32 too (computed through float64, rounded once).
#[test]
fn constant_powers_bit_exact() {
    let exponents = [
        "3", "4", "5", "-2", "-3", "-4", "1.5", "2.5", "-1.5", "-2.5", "7.5", "50", "-50", "63",
        "1024", "-1023.5",
    ];
    for (k, e) in exponents.iter().enumerate() {
        let expr = format!("x**{e}");
        check_expr(&expr, &expr, 80 + k as u64);
    }
    let mut x = specials();
    x.extend(randoms(99));
    let x: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    for e in exponents {
        let expr = format!("x**{e}");
        let jit = numjit::eval(&expr, vars! {x}).unwrap();
        let reference = numjit::interpret(&expr, vars! {x}).unwrap();
        let (jit, reference) = (jit.as_f32().unwrap(), reference.as_f32().unwrap());
        let bad = jit
            .iter()
            .zip(reference.iter())
            .zip(&x)
            .find(|((j, r), _)| j.to_bits() != r.to_bits() && !(j.is_nan() && r.is_nan()));
        assert!(bad.is_none(), "float32 `{expr}`: {bad:?} (jit, ref), x");
    }
}

/// A NaN argument comes out of every own kernel as it went in (found by `props`:
/// `copysign(-x, sin(a))` with a NaN `a` was `inf` in one engine and `-inf` in the other;
/// since issue 14 `copysign` reads every NaN as positive anyway).
#[test]
fn nan_arguments_keep_their_sign() {
    let a = vec![
        f64::NAN,
        -f64::NAN,
        f64::from_bits(0x7ff8_0000_0000_1234),
        f64::from_bits(0xfff8_0000_0000_0042),
        1.0,
    ];
    for f in [
        "exp", "expm1", "log", "log1p", "log2", "log10", "sin", "cos", "tan", "tanh", "sinh",
        "cosh", "arctan",
    ] {
        for expr in [format!("{f}(a)"), format!("copysign(2.0, {f}(a))")] {
            let jit = values(&numjit::eval(&expr, vars! {a}).unwrap());
            let reference = values(&numjit::interpret(&expr, vars! {a}).unwrap());
            for ((j, r), x) in jit.iter().zip(&reference).zip(&a) {
                assert_eq!(j.to_bits(), r.to_bits(), "`{expr}` at {x:?}");
                if x.is_nan() && expr.starts_with("copysign") {
                    // numjit's NaN rule (issue 14): copysign reads every NaN as positive.
                    assert_eq!(*j, 2.0, "`{expr}` at {x:?}");
                } else if x.is_nan() {
                    assert_eq!(
                        j.is_sign_negative(),
                        x.is_sign_negative(),
                        "`{expr}` at {x:?}"
                    );
                }
            }
        }
    }
}

/// float32 math (computed through float64, rounded once) by the JIT against the interpreter,
/// bit for bit, on arrays long enough for the tile loop (wide routines on float32 tiles) and
/// its vector and scalar tails, contiguous and strided, alone and inside arithmetic.
#[test]
fn float32_math_bit_exact() {
    let mut x = specials();
    x.extend(randoms(5).into_iter().take(200_003));
    let x: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let big: Vec<f32> = x.iter().flat_map(|&v| [v, f32::NAN]).collect();
    let strided = ndarray::ArrayView1::from(&big[..]).slice_move(ndarray::s![..;2]);
    for f in [
        "exp", "expm1", "log", "log1p", "log2", "log10", "sin", "cos", "tan", "tanh", "sinh",
        "cosh", "arctan",
    ] {
        let mut exprs = vec![format!("{f}(x)"), format!("2*x + {f}(x*0.5) * x")];
        if f == "arctan" {
            exprs.push("arctan2(x, 1.5 - x)".to_string());
        }
        for expr in exprs {
            let reference = numjit::interpret(&expr, vars! {x}).unwrap();
            for (layout, jit) in [
                ("contiguous", numjit::eval(&expr, vars! {x}).unwrap()),
                (
                    "strided",
                    numjit::eval(&expr, vars! {"x" => strided}).unwrap(),
                ),
            ] {
                let (j, r) = (jit.as_f32().unwrap(), reference.as_f32().unwrap());
                let bad = j
                    .iter()
                    .zip(r.iter())
                    .zip(&x)
                    .find(|((a, b), _)| a.to_bits() != b.to_bits());
                assert!(bad.is_none(), "`{expr}` {layout}: (jit, ref), x = {bad:?}");
            }
        }
    }
}

/// Float remainder (`%`, NumPy's sign rules), vectorised with an exact fma fmod and a scalar
/// fallback for NaN, infinities, zero divisors and huge quotients, against the interpreter
/// (`scalar::mod_f64`/`mod_f32`) bit for bit: special pairs, random pairs over the whole
/// range, quotients near 2⁵² and just below integers; float32 through the same path.
#[test]
fn remainder_bit_exact() {
    let mut rng = Rng(91);
    let mut pairs = cross(
        &specials(),
        &[
            0.0,
            -0.0,
            1.0,
            -1.0,
            2.0,
            -2.0,
            0.1,
            -3.5,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            5e-324,
            f64::MAX,
        ],
    );
    for _ in 0..100_000 {
        pairs.push((rng.range(-100.0, 100.0), rng.range(-10.0, 10.0)));
        pairs.push((
            rng.log_uniform(-300.0, 300.0),
            rng.log_uniform(-300.0, 300.0),
        ));
        pairs.push((rng.any_bits(), rng.any_bits()));
        let b = rng.range(0.01, 10.0);
        let k = (rng.next() % (1 << 53)) as f64;
        pairs.push((k * b, b));
        pairs.push((nudge(k * b, -1), -b));
        pairs.push((rng.range(-1e6, 1e6).round() * 0.1, 0.1));
    }
    check2("%", "a % b", ("a", "b"), &pairs);
    let a: Vec<f32> = pairs.iter().map(|p| p.0 as f32).collect();
    let b: Vec<f32> = pairs.iter().map(|p| p.1 as f32).collect();
    let jit = numjit::eval("a % b", vars! {a, b}).unwrap();
    let reference = numjit::interpret("a % b", vars! {a, b}).unwrap();
    let (j, r) = (jit.as_f32().unwrap(), reference.as_f32().unwrap());
    let bad = j
        .iter()
        .zip(r.iter())
        .zip(a.iter().zip(&b))
        .find(|((x, y), _)| x.to_bits() != y.to_bits());
    assert!(
        bad.is_none(),
        "float32 `a % b`: (jit, ref), (a, b) = {bad:?}"
    );
}

/// Division by a constant power of two is a multiplication by its reciprocal in the JIT: the
/// same real number rounded once, so the same bits as the interpreter's division, subnormal
/// and overflowing results included.
#[test]
fn division_by_powers_of_two_bit_exact() {
    for (k, e) in [
        "x / 8.0",
        "x / 0.125",
        "x / -2.0",
        "x / 2.0**-1000",
        "x % 4.0",
        "x % -0.5",
    ]
    .iter()
    .enumerate()
    {
        check_expr(e, e, 120 + k as u64);
    }
}

/// An expression with more wide-routine calls than a kernel has tile buffers for (the rest
/// are computed inline, so the kernel's stack frame stays bounded): still the interpreter's
/// bits, on arrays long enough for tiles.
#[test]
fn many_tiled_calls_stay_exact() {
    let x: Vec<f64> = (0..3000).map(|i| i as f64 * 0.01 - 15.0).collect();
    let terms: Vec<String> = (1..=40)
        .map(|k| format!("sin(x*{k}) * exp(-x/{k})"))
        .collect();
    let expr = terms.join(" + ");
    let jit = values(&numjit::eval(&expr, vars! {x}).unwrap());
    let reference = values(&numjit::interpret(&expr, vars! {x}).unwrap());
    for ((j, r), v) in jit.iter().zip(&reference).zip(&x) {
        assert_eq!(j.to_bits(), r.to_bits(), "at x = {v}");
    }
}

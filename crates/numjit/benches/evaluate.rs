//! Criterion benchmarks for numjit against hand-written Rust loops.
//!
//! Run with `cargo bench --bench evaluate`; one group only with e.g.
//! `cargo bench --bench evaluate -- poly`. Groups:
//!
//! - `poly`: `a**2 + b**2 + 2*a*b` at n = 10, 1 000 and 1 000 000 elements: a hand loop, a
//!   compiled handle on 1 and on 2 threads (`Schedule::threads`), and the one-line
//!   `numjit::evaluate` (cache lookup included, numjit's default pool).
//! - `compile`: a cold compile (parse, check, codegen, one run on 16 elements), and each phase
//!   on its own: `parse`, `check` (names and dtypes → typed program), `codegen` (Cranelift
//!   lowering and machine code for one layout).
//! - `throughput`: `a**2 + b**2 + 2*a*b` at n = 1e4 … 1e7 on 1 and 2 threads, next to the hand
//!   loop.
//! - `dispatch`: the cost of handing a call to the pool: n = 1 000 forced onto 2 threads
//!   (`serial_below: 0`) against the same call on the calling thread, in a tight loop like a
//!   solver's time steps.
//! - `transcendental`: `sin(a)**2 + cos(b)**2` at n = 1 000 000.
//! - `where`: `where(a > 0.5, a*b, exp(-a))` at n = 1 000 000.
//! - `dtypes`: `a**2 + b**2 + 2*a*b` and `sin(a)**2 + cos(b)**2` on float32 against float64,
//!   and `a*b + a` on complex128, at n = 1 000 000 on one thread, each next to a hand loop of
//!   its dtype (the float32 `sin`/`cos` hand loop rounds float64 results, as numjit does).
//!
//! With the default [`numjit::Schedule`], problems under 64 Ki elements run on the calling
//! thread whatever the thread count, so at n = 10 and 1 000 `numjit_2_threads` measures the
//! same serial path as `numjit_1_thread`.

use criterion::measurement::WallTime;
use criterion::{
    black_box, criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion,
    SamplingMode, Throughput,
};
use numjit::{Compiled, Schedule};
use std::time::Duration;

const POLY: &str = "a**2 + b**2 + 2*a*b";
const TRIG: &str = "sin(a)**2 + cos(b)**2";
const WHERE: &str = "where(a > 0.5, a*b, exp(-a))";
const BIG: usize = 1_000_000;

/// A hand-written loop computing one expression: `out[i] = f(a[i], b[i])`.
type HandLoop = fn(&[f64], &[f64], &mut [f64]);

/// `n` deterministic values in [0, 1) from a 64-bit LCG (Knuth's MMIX constants).
fn inputs(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}

fn schedule(threads: usize) -> Schedule {
    Schedule {
        threads: Some(threads),
        ..Default::default()
    }
}

fn configure<'c>(c: &'c mut Criterion, name: &str) -> BenchmarkGroup<'c, WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(20)
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500));
    g
}

fn hand_poly(a: &[f64], b: &[f64], out: &mut [f64]) {
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = x * x + y * y + 2.0 * x * y;
    }
}

fn hand_trig(a: &[f64], b: &[f64], out: &mut [f64]) {
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        let (s, c) = (x.sin(), y.cos());
        *o = s * s + c * c;
    }
}

/// Branches, so it calls `exp` only where `a <= 0.5` (about half the elements); numjit's
/// `where` is a select over both arms, so it computes `exp(-a)` everywhere.
fn hand_where(a: &[f64], b: &[f64], out: &mut [f64]) {
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = if x > 0.5 { x * y } else { (-x).exp() };
    }
}

/// Adds `hand_loop`, `numjit_1_thread` and `numjit_2_threads` for `expr` at size `n` to `g`.
fn compare(g: &mut BenchmarkGroup<'_, WallTime>, expr: &str, n: usize, hand: HandLoop) {
    let a = inputs(n, 1);
    let b = inputs(n, 2);
    let mut out = vec![0.0f64; n];
    let f = numjit::compile(expr).expect("compile");
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function(BenchmarkId::new("hand_loop", n), |bench| {
        bench.iter(|| hand(black_box(&a), black_box(&b), black_box(&mut out)))
    });
    for threads in [1, 2] {
        let id = if threads == 1 {
            "numjit_1_thread".to_string()
        } else {
            format!("numjit_{threads}_threads")
        };
        let sched = schedule(threads);
        g.bench_function(BenchmarkId::new(id, n), |bench| {
            bench.iter(|| {
                f.evaluate_with(&mut out, numjit::vars! {a, b}, &sched)
                    .expect("evaluate");
                black_box(&out);
            })
        });
    }
}

fn poly(c: &mut Criterion) {
    let mut g = configure(c, "poly");
    for n in [10, 1_000, BIG] {
        compare(&mut g, POLY, n, hand_poly);
        let a = inputs(n, 1);
        let b = inputs(n, 2);
        let mut out = vec![0.0f64; n];
        g.bench_function(BenchmarkId::new("numjit_evaluate_cached", n), |bench| {
            bench.iter(|| {
                numjit::evaluate(POLY, &mut out, numjit::vars! {a, b}).expect("evaluate");
                black_box(&out);
            })
        });
    }
    g.finish();
}

fn compile(c: &mut Criterion) {
    let mut g = configure(c, "compile");
    let a = inputs(16, 1);
    let b = inputs(16, 2);
    let mut out = vec![0.0f64; 16];
    // `Compiled::new` bypasses the global cache, so the first evaluate checks types and
    // generates a fresh kernel; dropping the handle frees the kernel's code.
    g.bench_function("cold_compile_eval_16", |bench| {
        bench.iter(|| {
            let f = Compiled::new(black_box(POLY)).expect("parse");
            f.evaluate(&mut out, numjit::vars! {a, b})
                .expect("evaluate");
            black_box(&out);
        })
    });
    g.bench_function("parse_only", |bench| {
        bench.iter(|| Compiled::new(black_box(POLY)).expect("parse"))
    });
    let ast = numjit::internals::syntax::parse(POLY).expect("parse");
    let lookup = |_: &str| Some(numjit::DType::Float64);
    g.bench_function("parse", |bench| {
        bench.iter(|| numjit::internals::syntax::parse(black_box(POLY)).expect("parse"))
    });
    g.bench_function("check", |bench| {
        bench.iter(|| {
            numjit::internals::check(black_box(&ast), &lookup, &["a", "b"]).expect("check")
        })
    });
    let program = numjit::internals::check(&ast, &lookup, &["a", "b"]).expect("check");
    let layout = [numjit::internals::Access::Contiguous; 3];
    g.bench_function("codegen", |bench| {
        bench.iter(|| {
            numjit::internals::compile_kernel(black_box(&program), &layout).expect("codegen")
        })
    });
    g.finish();
}

fn throughput(c: &mut Criterion) {
    let mut g = configure(c, "throughput");
    g.sampling_mode(SamplingMode::Flat);
    for n in [10_000, 100_000, 1_000_000, 10_000_000] {
        compare(&mut g, POLY, n, hand_poly);
    }
    g.finish();
}

fn dispatch(c: &mut Criterion) {
    let mut g = configure(c, "dispatch");
    let n = 1_000;
    let (a, b) = (inputs(n, 1), inputs(n, 2));
    let mut out = vec![0.0f64; n];
    let f = numjit::compile(POLY).expect("compile");
    for threads in [1, 2] {
        let sched = Schedule {
            threads: Some(threads),
            chunk: 256,
            serial_below: 0,
            ..Default::default()
        };
        g.bench_function(BenchmarkId::new("forced_pool", threads), |bench| {
            bench.iter(|| {
                f.evaluate_with(&mut out, numjit::vars! {a, b}, &sched)
                    .expect("evaluate");
                black_box(&out);
            })
        });
    }
    g.finish();
}

fn transcendental(c: &mut Criterion) {
    let mut g = configure(c, "transcendental");
    // ~10 ms per call: equal-sized samples fit the 2 s budget, linear sampling does not.
    g.sampling_mode(SamplingMode::Flat);
    compare(&mut g, TRIG, BIG, hand_trig);
    g.finish();
}

fn where_(c: &mut Criterion) {
    let mut g = configure(c, "where");
    // ~10 ms per call: equal-sized samples fit the 2 s budget, linear sampling does not.
    g.sampling_mode(SamplingMode::Flat);
    compare(&mut g, WHERE, BIG, hand_where);
    g.finish();
}

fn dtypes(c: &mut Criterion) {
    let mut g = configure(c, "dtypes");
    g.sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::Elements(BIG as u64));
    let (a64, b64) = (inputs(BIG, 1), inputs(BIG, 2));
    let a32: Vec<f32> = a64.iter().map(|&x| x as f32).collect();
    let b32: Vec<f32> = b64.iter().map(|&x| x as f32).collect();
    let za: Vec<numjit::Complex64> = a64
        .iter()
        .zip(&b64)
        .map(|(&re, &im)| numjit::Complex64::new(re, im))
        .collect();
    let zb: Vec<numjit::Complex64> = za.iter().map(|z| z.conj()).collect();
    let one = schedule(1);
    for (name, expr) in [("poly", POLY), ("trig", TRIG)] {
        let f = numjit::compile(expr).expect("compiles");
        let mut out64 = vec![0.0f64; BIG];
        g.bench_function(format!("{name}_float64_numjit"), |bench| {
            bench.iter(|| {
                f.evaluate_with(&mut out64, numjit::vars! {"a" => &a64, "b" => &b64}, &one)
                    .expect("evaluate")
            })
        });
        let mut out32 = vec![0.0f32; BIG];
        g.bench_function(format!("{name}_float32_numjit"), |bench| {
            bench.iter(|| {
                f.evaluate_with(&mut out32, numjit::vars! {"a" => &a32, "b" => &b32}, &one)
                    .expect("evaluate")
            })
        });
        g.bench_function(format!("{name}_float32_hand_loop"), |bench| {
            bench.iter(|| {
                let pairs = out32.iter_mut().zip(&a32).zip(&b32);
                if name == "poly" {
                    for ((o, &x), &y) in pairs {
                        *o = x * x + y * y + 2.0 * x * y;
                    }
                } else {
                    for ((o, &x), &y) in pairs {
                        let (s, c) = ((x as f64).sin() as f32, (y as f64).cos() as f32);
                        *o = s * s + c * c;
                    }
                }
                black_box(&mut out32);
            })
        });
    }
    let f = numjit::compile("a*b + a").expect("compiles");
    let mut outz = vec![numjit::Complex64::new(0.0, 0.0); BIG];
    g.bench_function("cmul_complex128_numjit", |bench| {
        bench.iter(|| {
            f.evaluate_with(&mut outz, numjit::vars! {"a" => &za, "b" => &zb}, &one)
                .expect("evaluate")
        })
    });
    g.bench_function("cmul_complex128_hand_loop", |bench| {
        bench.iter(|| {
            for ((o, &x), &y) in outz.iter_mut().zip(&za).zip(&zb) {
                *o = x * y + x;
            }
            black_box(&mut outz);
        })
    });
    let mut out64 = vec![0.0f64; BIG];
    g.bench_function("cmul_float64_numjit", |bench| {
        bench.iter(|| {
            f.evaluate_with(&mut out64, numjit::vars! {"a" => &a64, "b" => &b64}, &one)
                .expect("evaluate")
        })
    });
    g.finish();
}

/// Numjit and the hand loops must agree before their speed is worth comparing.
fn check(_: &mut Criterion) {
    let n = 4099;
    let (a, b) = (inputs(n, 1), inputs(n, 2));
    let cases: [(&str, HandLoop); 3] = [(POLY, hand_poly), (TRIG, hand_trig), (WHERE, hand_where)];
    for (expr, hand) in cases {
        let mut got = vec![0.0f64; n];
        let mut want = vec![0.0f64; n];
        numjit::evaluate(expr, &mut got, numjit::vars! {a, b}).expect("evaluate");
        hand(&a, &b, &mut want);
        for (g, w) in got.iter().zip(&want) {
            // Exact for arithmetic; numjit's sin/cos/exp may come from a different libm.
            assert!(
                (g - w).abs() <= 1e-14 * w.abs().max(1.0),
                "{expr}: {g} != {w}"
            );
        }
    }
}

criterion_group!(
    benches,
    check,
    poly,
    compile,
    throughput,
    dispatch,
    transcendental,
    where_,
    dtypes
);
criterion_main!(benches);

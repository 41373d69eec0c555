//! Usage: cargo run --release --example targets [-- --json]
//!
//! Measures every row of the speed targets (the speed issue's table) next to a hand-written
//! Rust loop doing the same work, in one run, and prints one line per row (or one JSON object
//! per line with `--json`, which `benches/compare.py` reads to write BENCHMARKS.md). The hand
//! loops are written as a Rust programmer would (iterators, so rustc vectorises them). Times are
//! medians over repeated batches; the machine is shared, so compare ratios, not absolutes.

use std::hint::black_box;
use std::time::Instant;

/// Median time per call in nanoseconds: batches of `reps` calls, `batches` times.
fn median_ns(reps: usize, batches: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut samples: Vec<f64> = (0..batches)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..reps {
                f();
            }
            t.elapsed().as_nanos() as f64 / reps as f64
        })
        .collect();
    samples.sort_by(|a, b| a.total_cmp(b));
    samples[samples.len() / 2]
}

fn inputs(n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut s = 0x2545_F491_4F6C_DD1Du64;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let a = (0..n).map(|_| next()).collect();
    let b = (0..n).map(|_| next()).collect();
    (a, b)
}

struct Row {
    name: &'static str,
    unit: &'static str,
    numjit: f64,
    baseline: f64,
    target: &'static str,
}

/// Whether a row met its target: `<= X x hand loop` (or `plain loop`) compares numjit's time
/// with X times the baseline's, `>= X x speedup` the baseline's time over numjit's with X, and
/// `<= X UNIT` numjit's value itself.
fn met(r: &Row) -> bool {
    let words: Vec<&str> = r.target.split_whitespace().collect();
    let limit: f64 = words
        .get(1)
        .and_then(|w| w.parse().ok())
        .unwrap_or(f64::NAN);
    let value = match (words.get(2), words.get(3)) {
        (Some(&"x"), Some(&"speedup")) => r.baseline / r.numjit,
        (Some(&"x"), _) => r.numjit / r.baseline,
        _ => r.numjit,
    };
    match words.first() {
        Some(&"<=") => value <= limit,
        Some(&">=") => value >= limit,
        _ => false,
    }
}

fn one_thread() -> numjit::Schedule {
    numjit::Schedule {
        threads: Some(1),
        ..Default::default()
    }
}

/// What `--help` prints.
const HELP: &str = "Usage: cargo run --release --example targets [-- --json]\n\nMeasures every row of the speed targets next to a hand-written loop, and says which targets\nwere met; `--json` prints one object per row instead.";

fn main() {
    if std::env::args().any(|a| a == "-h" || a == "--help") {
        println!("{HELP}");
        return;
    }
    let json = std::env::args().any(|a| a == "--json");
    let mut rows = Vec::new();
    let poly = "a**2 + b**2 + 2*a*b";

    // Throughput, n = 1e6, one thread.
    let n = 1_000_000;
    let (a, b) = inputs(n);
    let mut out = vec![0.0f64; n];
    let f = numjit::compile(poly).unwrap();
    let jit = median_ns(3, 15, || {
        f.evaluate_with(&mut out, numjit::vars! {a, b}, &one_thread())
            .unwrap()
    });
    let hand = median_ns(3, 15, || {
        for ((o, x), y) in out.iter_mut().zip(&a).zip(&b) {
            *o = x * x + y * y + 2.0 * x * y;
        }
        black_box(&mut out);
    });
    rows.push(Row {
        name: "poly n=1e6, 1 thread",
        unit: "ns/elem",
        numjit: jit / n as f64,
        baseline: hand / n as f64,
        target: "<= 1.15 x hand loop",
    });

    // Per-call cost including the cache lookup, n = 1e3 and n = 10.
    for (n, target) in [(1000usize, "<= 600 ns/call"), (10, "<= 300 ns/call")] {
        let (a, b) = inputs(n);
        let mut out = vec![0.0f64; n];
        let jit = median_ns(20_000, 15, || {
            numjit::evaluate(poly, &mut out, numjit::vars! {a, b}).unwrap()
        });
        let hand = median_ns(20_000, 15, || {
            for ((o, x), y) in out.iter_mut().zip(&a).zip(&b) {
                *o = x * x + y * y + 2.0 * x * y;
            }
            black_box(&mut out);
        });
        let name = if n == 10 {
            "poly n=10, per call"
        } else {
            "poly n=1e3, per call"
        };
        rows.push(Row {
            name,
            unit: "ns/call",
            numjit: jit,
            baseline: hand,
            target,
        });
    }

    // Transcendentals and where, n = 1e6, one thread.
    let n = 1_000_000;
    let (a, b) = inputs(n);
    let mut out = vec![0.0f64; n];
    let trig = numjit::compile("sin(a)**2 + cos(b)**2").unwrap();
    let jit = median_ns(1, 9, || {
        trig.evaluate_with(&mut out, numjit::vars! {a, b}, &one_thread())
            .unwrap()
    });
    let hand = median_ns(1, 9, || {
        for ((o, x), y) in out.iter_mut().zip(&a).zip(&b) {
            *o = x.sin().powi(2) + y.cos().powi(2);
        }
        black_box(&mut out);
    });
    rows.push(Row {
        name: "sin(a)**2 + cos(b)**2 n=1e6, 1 thread",
        unit: "ns/elem",
        numjit: jit / n as f64,
        baseline: hand / n as f64,
        target: "<= 4 ns/elem",
    });
    let wh = numjit::compile("where(a > 0.5, a*b, exp(-a))").unwrap();
    let jit = median_ns(1, 9, || {
        wh.evaluate_with(&mut out, numjit::vars! {a, b}, &one_thread())
            .unwrap()
    });
    let hand = median_ns(1, 9, || {
        for ((o, x), y) in out.iter_mut().zip(&a).zip(&b) {
            *o = if *x > 0.5 { x * y } else { (-x).exp() };
        }
        black_box(&mut out);
    });
    rows.push(Row {
        name: "where(a > 0.5, a*b, exp(-a)) n=1e6, 1 thread",
        unit: "ns/elem",
        numjit: jit / n as f64,
        baseline: hand / n as f64,
        target: "<= 3 ns/elem",
    });

    // Thread scaling of a compute-bound expression (baseline column: numjit at 1 thread).
    let two = numjit::Schedule {
        threads: Some(2),
        ..Default::default()
    };
    let n = 200_000;
    let (a, b) = inputs(n);
    let mut out = vec![0.0f64; n];
    let t1 = median_ns(3, 15, || {
        trig.evaluate_with(&mut out, numjit::vars! {a, b}, &one_thread())
            .unwrap()
    });
    let t2 = median_ns(3, 15, || {
        trig.evaluate_with(&mut out, numjit::vars! {a, b}, &two)
            .unwrap()
    });
    rows.push(Row {
        name: "sin(a)**2 + cos(b)**2 n=2e5, 2 threads vs 1",
        unit: "ns/call",
        numjit: t2,
        baseline: t1,
        target: ">= 1.7 x speedup",
    });

    // The diffusion step on the seed grid (301x301 interior), one thread.
    let npnts = 303;
    let dens = ndarray::Array2::from_shape_fn((npnts, npnts), |(i, j)| {
        ((i * 31 + j * 17) % 101) as f64 / 101.0
    });
    let mut next = dens.clone();
    let c = 0.25;
    let step = numjit::compile_script(
        "next[1:-1,1:-1] = dens[1:-1,1:-1] + c*(dens[2:,1:-1] + dens[:-2,1:-1] + dens[1:-1,2:] + dens[1:-1,:-2] - 4*dens[1:-1,1:-1])",
    )
    .unwrap();
    let jit = median_ns(20, 15, || {
        step.execute_with(numjit::vars! {mut next, dens, c}, &one_thread())
            .unwrap();
    });
    let hand = median_ns(20, 15, || {
        // Row slices, so the loop is as a Rust programmer would write it (no per-index checks).
        let d = dens.as_slice().unwrap();
        let out = next.as_slice_mut().unwrap();
        for i in 1..npnts - 1 {
            let (up, mid, down) = (
                &d[(i - 1) * npnts..i * npnts],
                &d[i * npnts..(i + 1) * npnts],
                &d[(i + 1) * npnts..(i + 2) * npnts],
            );
            let row = &mut out[i * npnts..(i + 1) * npnts];
            for j in 1..npnts - 1 {
                let lap = down[j] + up[j] + mid[j + 1] + mid[j - 1] - 4.0 * mid[j];
                row[j] = mid[j] + c * lap;
            }
        }
        black_box(&mut next);
    });
    rows.push(Row {
        name: "diffusion step 301x301, 1 thread",
        unit: "us/step",
        numjit: jit / 1e3,
        baseline: hand / 1e3,
        target: "<= 1.3 x plain loop",
    });

    // Cold compile of a 10-operation expression: parse, check, codegen, first run.
    let mut k = 0u64;
    let small = vec![0.5; 16];
    let cold = median_ns(20, 9, || {
        k += 1;
        // A fresh constant makes each text new to every cache.
        let e = format!("sin(a) * a + exp(-a) / (1 + a*a) - sqrt(a) * {k} + a**3");
        let c = numjit::Compiled::new(&e).unwrap();
        black_box(c.eval(numjit::vars! {"a" => &small}).unwrap());
    });
    rows.push(Row {
        name: "cold compile, 10-operation expression",
        unit: "us",
        numjit: cold / 1e3,
        baseline: f64::NAN,
        target: "<= 1000 us",
    });

    for r in &rows {
        let verdict = if met(r) { "met" } else { "MISSED" };
        if json {
            let base = if r.baseline.is_nan() {
                "null".to_string()
            } else {
                format!("{:.4}", r.baseline)
            };
            println!(
                "{{\"row\": \"{}\", \"unit\": \"{}\", \"numjit\": {:.4}, \"baseline\": {}, \"target\": \"{}\", \"met\": {}}}",
                r.name, r.unit, r.numjit, base, r.target, met(r)
            );
        } else {
            println!(
                "{:48} {:>10.3} {:8} (baseline {:>10.3})  target {}: {verdict}",
                r.name, r.numjit, r.unit, r.baseline, r.target
            );
        }
    }
    if !json {
        let missed: Vec<&str> = rows.iter().filter(|r| !met(r)).map(|r| r.name).collect();
        println!(
            "{} of {} targets met{}",
            rows.len() - missed.len(),
            rows.len(),
            if missed.is_empty() {
                String::new()
            } else {
                format!(
                    "; missed: {} (timings vary on a busy machine)",
                    missed.join("; ")
                )
            }
        );
    }
    assert!(rows.iter().all(|r| r.numjit.is_finite() && r.numjit > 0.0));
}

//! Usage: cargo run --release --example overhead
//! Per-call overhead of the cached one-line path and of a compiled handle at n = 10 and 1000
//! (median of repeated batches), next to a hand-written loop.
use std::time::Instant;

fn median_ns(mut f: impl FnMut()) -> f64 {
    let mut samples = Vec::new();
    for _ in 0..15 {
        let reps = 20_000;
        let t = Instant::now();
        for _ in 0..reps {
            f();
        }
        samples.push(t.elapsed().as_nanos() as f64 / reps as f64);
    }
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    samples[samples.len() / 2]
}

/// What `--help` prints.
const HELP: &str = "Usage: cargo run --release --example overhead\n\nPer-call overhead of the cached one-line path and of a compiled handle at n = 10 and 1000\n(median of repeated batches), next to a hand-written loop.";

fn main() {
    if std::env::args().any(|a| a == "-h" || a == "--help") {
        println!("{HELP}");
        return;
    }
    for n in [10usize, 1000] {
        let a: Vec<f64> = (0..n).map(|i| i as f64 * 0.001).collect();
        let b: Vec<f64> = (0..n).map(|i| 1.0 - i as f64 * 0.002).collect();
        let mut out = vec![0.0f64; n];
        let expr = "a**2 + b**2 + 2*a*b";
        let cached = median_ns(|| numjit::evaluate(expr, &mut out, numjit::vars! {a, b}).unwrap());
        let f = numjit::compile(expr).unwrap();
        let handle = median_ns(|| f.evaluate(&mut out, numjit::vars! {a, b}).unwrap());
        let hand = median_ns(|| {
            for i in 0..n {
                out[i] = a[i] * a[i] + b[i] * b[i] + 2.0 * a[i] * b[i];
            }
            std::hint::black_box(&mut out);
        });
        println!("n={n:5}: evaluate {cached:7.0} ns/call, compiled handle {handle:7.0} ns/call, hand loop {hand:6.0} ns/call");
        let want: Vec<f64> = a
            .iter()
            .zip(&b)
            .map(|(x, y)| x * x + y * y + 2.0 * x * y)
            .collect();
        assert_eq!(out, want);
    }
}

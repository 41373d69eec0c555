//! Usage: cargo run --release --example quickstart
//!
//! Evaluates `a**2 + b**2 + 2*a*b` over two float64 arrays of one million elements with
//! `numjit::evaluate`, checks every element against a plain Rust loop, then times numjit on
//! one thread and on all threads next to the plain loop and prints nanoseconds per element.
//! It ends in assertions, so running it doubles as a smoke test.

use std::hint::black_box;
use std::time::{Duration, Instant};

const N: usize = 1_000_000;
const EXPR: &str = "a**2 + b**2 + 2*a*b";
const RUNS: usize = 20;

/// The median wall time of `runs` calls of `f`, after a quarter second of untimed calls.
///
/// The warm-up matters: on the 2-core development VM a freshly built pool took 20 to 60 ms
/// of steady work before two threads ran faster than one (not investigated further; likely
/// the host waking the idle core), so one warm-up call was not enough.
fn median_time(runs: usize, mut f: impl FnMut()) -> Duration {
    let warm = Instant::now();
    while warm.elapsed() < Duration::from_millis(250) {
        f();
    }
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn ns_per_element(d: Duration) -> f64 {
    d.as_secs_f64() * 1e9 / N as f64
}

/// The same arithmetic numjit performs, in the same order: numjit lowers `x**2` to `x*x`
/// and `2*a*b` to `(2*a)*b`, and `+` associates to the left, so the result is
/// `((a*a + b*b) + (2*a)*b)` in both. Neither side fuses a multiply and an add, so the two
/// are bit-identical.
fn plain_loop(a: &[f64], b: &[f64], out: &mut [f64]) {
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = x * x + y * y + 2.0 * x * y;
    }
}

/// What `--help` prints.
const HELP: &str = "Usage: cargo run --release --example quickstart\n\nEvaluates `a**2 + b**2 + 2*a*b` over two float64 arrays of one million elements, checks the\nresult against a hand-written loop and prints the time per call.";

fn main() -> Result<(), numjit::Error> {
    if std::env::args().any(|a| a == "-h" || a == "--help") {
        println!("{HELP}");
        return Ok(());
    }
    // Deterministic inputs in [-1, 1].
    let a: Vec<f64> = (0..N).map(|i| (i as f64 * 0.001).sin()).collect();
    let b: Vec<f64> = (0..N).map(|i| (i as f64 * 0.0007 + 0.3).cos()).collect();

    let mut out = vec![0.0f64; N];
    numjit::evaluate(EXPR, &mut out, numjit::vars! {a, b})?;

    let mut expected = vec![0.0f64; N];
    plain_loop(&a, &b, &mut expected);
    let mismatches = out
        .iter()
        .zip(&expected)
        .filter(|(x, y)| x.to_bits() != y.to_bits())
        .count();
    assert_eq!(mismatches, 0, "numjit differs from the plain loop");
    println!("{EXPR} over {N} float64 elements: all {N} results bit-identical to a plain loop");

    // Timing. `numjit::set_num_threads` returns the previous count, restored at the end.
    let all = std::thread::available_parallelism().map_or(1, |n| n.get());
    let previous = numjit::set_num_threads(1);
    let one_thread = median_time(RUNS, || {
        numjit::evaluate(EXPR, &mut out, numjit::vars! {a, b}).expect("evaluate");
        black_box(&out);
    });
    numjit::set_num_threads(all);
    let all_threads = median_time(RUNS, || {
        numjit::evaluate(EXPR, &mut out, numjit::vars! {a, b}).expect("evaluate");
        black_box(&out);
    });
    let restored = numjit::set_num_threads(previous);
    assert_eq!(restored, all);
    assert_eq!(numjit::num_threads(), previous);

    let plain = median_time(RUNS, || {
        plain_loop(black_box(&a), black_box(&b), &mut expected);
        black_box(&expected);
    });

    println!("median of {RUNS} runs:");
    let all_label = format!("numjit, {all} thread{}:", if all == 1 { "" } else { "s" });
    for (label, time) in [
        ("numjit, 1 thread:", one_thread),
        (all_label.as_str(), all_threads),
        ("plain Rust loop:", plain),
    ] {
        println!("  {label:<20} {:6.3} ns/element", ns_per_element(time));
    }

    // The timed runs overwrote `out` and `expected`; they must still agree exactly.
    assert!(out
        .iter()
        .zip(&expected)
        .all(|(x, y)| x.to_bits() == y.to_bits()));
    assert_eq!(out[0], (a[0] + b[0]) * (a[0] + b[0]));
    Ok(())
}

//! Usage: cargo run --release --example monte_carlo_pi [-- --n N]
//!
//! Estimates π by Monte Carlo with one numjit expression: `n` points (x, y) uniform in the
//! unit square, and π ≈ 4 · (the fraction inside the quarter circle), i.e.
//! `4*sum(x**2 + y**2 < 1)/n`. The reduction runs inside the expression: its argument is
//! evaluated by the fused JIT loop into a bool array, which `sum` counts.
//!
//! The points come from SplitMix64 (seed 2024; a float is the top 53 bits times 2⁻⁵³, as
//! numjit's `random`), so every run draws the same points. The estimate is evaluated with 1
//! thread up to the number of cores, printing it and the median time per evaluation; the
//! count is exact, so every thread count must give the same estimate.
//!
//! Check: the count of points inside is binomial with p = π/4, so the estimate has standard
//! deviation σ = 4·√(p(1−p)/n); the example asserts |π̂ − π| < 6σ (a false alarm has
//! probability about 2·10⁻⁹ for a fresh seed) and that all thread counts agree.

use std::time::{Duration, Instant};

const EXPR: &str = "4*sum(x**2 + y**2 < 1)/n";

/// SplitMix64: a 64-bit state advanced by 0x9E3779B97F4A7C15, then mixed.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A float uniform in [0, 1): the top 53 bits times 2⁻⁵³.
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

fn parse_n() -> usize {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == "--n") {
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.replace('_', "").parse().ok())
            .filter(|&n: &usize| n > 0)
            .unwrap_or_else(|| {
                eprintln!("usage: monte_carlo_pi [--n N]  (N a positive integer)");
                std::process::exit(2)
            }),
        None => 10_000_000,
    }
}

/// The median wall time of a few evaluations (at least three, about half a second).
fn median_time(mut f: impl FnMut()) -> Duration {
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < 3 || (start.elapsed() < Duration::from_millis(500) && times.len() < 50) {
        let t = Instant::now();
        f();
        times.push(t.elapsed());
    }
    times.sort();
    times[times.len() / 2]
}

/// What `--help` prints.
const HELP: &str = "Usage: cargo run --release --example monte_carlo_pi [-- --n N]\n\nEstimates pi as `4*sum(x**2 + y**2 < 1)/n` over N random points (default 10,000,000) at each\nthread count, and asserts the estimate is within its statistical error.";

fn main() -> Result<(), numjit::Error> {
    if std::env::args().any(|a| a == "-h" || a == "--help") {
        println!("{HELP}");
        return Ok(());
    }
    let n = parse_n();
    let mut rng = SplitMix64(2024);
    let (x, y): (Vec<f64>, Vec<f64>) = (0..n).map(|_| (rng.next_f64(), rng.next_f64())).unzip();
    let n_i64 = n as i64;

    let p = std::f64::consts::PI / 4.0;
    let sigma = 4.0 * (p * (1.0 - p) / n as f64).sqrt();
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let f = numjit::compile(EXPR)?;
    println!("{EXPR}  [n = {n}, SplitMix64 seed 2024, σ = {sigma:.3e}]");
    println!("threads   estimate            error      time/eval");

    let mut first: Option<f64> = None;
    for threads in 1..=cores {
        let sched = numjit::Schedule {
            threads: Some(threads),
            ..Default::default()
        };
        let eval = || f.eval_with(numjit::vars! {x, y, "n" => n_i64}, &sched);
        let pi_hat = *eval()?
            .as_f64()
            .expect("a float64 result")
            .first()
            .expect("0-d");
        let time = median_time(|| {
            std::hint::black_box(eval().expect("evaluated once already"));
        });
        let err = pi_hat - std::f64::consts::PI;
        println!(
            "{threads:>7}   {pi_hat:.12}   {err:+.3e}   {:>9.3} ms",
            time.as_secs_f64() * 1e3
        );
        assert!(
            err.abs() < 6.0 * sigma,
            "|π̂ − π| = {:.3e} is not below 6σ = {:.3e}",
            err.abs(),
            6.0 * sigma
        );
        match first {
            None => first = Some(pi_hat),
            Some(v) => assert_eq!(v.to_bits(), pi_hat.to_bits(), "thread counts disagree"),
        }
    }
    println!(
        "every estimate is within 6σ of π and identical across thread counts ({:.2}σ off)",
        (first.unwrap_or(0.0) - std::f64::consts::PI).abs() / sigma
    );
    Ok(())
}

//! Usage: cargo run --release --example area_under_curve [-- --n N]
//!
//! The area under f(x) = 0.7x³ − 2x² + 4 on [0, 3] by the midpoint rule: `n` intervals of
//! width h = 3/n, `x` the array of their midpoints, and the area
//! `sum(0.7*x**3 - 2*x**2 + 4)*dx` in one numjit expression (the polynomial is evaluated by
//! the fused JIT loop, then summed pairwise as NumPy sums).
//!
//! The exact area is 0.7·3⁴/4 − 2·3³/3 + 4·3 = 8.175. The midpoint rule's error is at most
//! (b−a)·h²/24·max|f''| with f''(x) = 4.2x − 4, so max|f''| = 8.6 on [0, 3]; the example
//! prints the error next to that bound and asserts it holds (with a rounding allowance of
//! 64·ε·Σ|f(xₖ)|·h, far below the bound unless n is huge). `--n` sets n (default 1,000,000).

const EXPR: &str = "sum(0.7*x**3 - 2*x**2 + 4)*dx";
const EXACT: f64 = 8.175;
const A: f64 = 0.0;
const B: f64 = 3.0;
/// max |f''| on [0, 3]: f''(x) = 4.2x − 4 is increasing, |f''(0)| = 4, |f''(3)| = 8.6.
const MAX_F2: f64 = 8.6;

fn parse_n() -> usize {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == "--n") {
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.replace('_', "").parse().ok())
            .filter(|&n: &usize| n > 0)
            .unwrap_or_else(|| {
                eprintln!("usage: area_under_curve [--n N]  (N a positive integer)");
                std::process::exit(2)
            }),
        None => 1_000_000,
    }
}

/// What `--help` prints.
const HELP: &str = "Usage: cargo run --release --example area_under_curve [-- --n N]\n\nThe area under f(x) = 0.7x^3 - 2x^2 + 4 on [0, 3] by the midpoint rule with N intervals\n(default 1,000,000), as one numjit expression `sum(0.7*x**3 - 2*x**2 + 4)*dx`; prints the\nerror next to the midpoint rule's bound and asserts it holds.";

fn main() -> Result<(), numjit::Error> {
    if std::env::args().any(|a| a == "-h" || a == "--help") {
        println!("{HELP}");
        return Ok(());
    }
    let n = parse_n();
    let dx = (B - A) / n as f64;
    let x: Vec<f64> = (0..n).map(|k| A + (k as f64 + 0.5) * dx).collect();

    let start = std::time::Instant::now();
    let area = numjit::eval(EXPR, numjit::vars! {x, dx})?;
    let elapsed = start.elapsed();
    let area = *area
        .as_f64()
        .expect("a float64 result")
        .first()
        .expect("0-d");

    let error = (area - EXACT).abs();
    let truncation = (B - A) * dx * dx / 24.0 * MAX_F2;
    let f_abs: f64 = x
        .iter()
        .map(|&t| (0.7 * t * t * t - 2.0 * t * t + 4.0).abs())
        .sum();
    let rounding = 64.0 * f64::EPSILON * f_abs * dx;
    println!("{EXPR}  [midpoint rule, n = {n}, h = {dx:.3e}]");
    println!("area      {area:.15}");
    println!("exact     {EXACT:.15}");
    println!("error     {error:.3e}");
    println!(
        "bound     {truncation:.3e}  ((b−a)·h²/24·max|f''|; rounding allowance {rounding:.1e})"
    );
    println!("time      {:.3} ms", elapsed.as_secs_f64() * 1e3);
    assert!(
        error <= truncation + rounding,
        "the error {error:.3e} exceeds the midpoint rule's bound {truncation:.3e}"
    );
    println!("the error is within the midpoint rule's bound");
    Ok(())
}

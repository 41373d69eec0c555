//! Usage: cargo build --profile profiling --example overhead_probe && valgrind --tool=callgrind target/profiling/examples/overhead_probe
//! 20 000 cached calls at n = 10, for instruction counts of the per-call path.
/// What `--help` prints.
const HELP: &str = "Usage: cargo build --profile profiling --example overhead_probe && valgrind --tool=callgrind target/profiling/examples/overhead_probe\n\n20,000 cached calls at n = 10, for instruction counts of the per-call path.";

fn main() {
    if std::env::args().any(|a| a == "-h" || a == "--help") {
        println!("{HELP}");
        return;
    }
    let a = vec![0.5; 10];
    let b = vec![0.25; 10];
    let mut out = vec![0.0f64; 10];
    for _ in 0..20_000 {
        numjit::evaluate("a**2 + b**2 + 2*a*b", &mut out, numjit::vars! {a, b}).unwrap();
    }
    assert_eq!(out[0], 0.5625);
}

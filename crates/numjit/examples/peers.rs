//! Usage: cargo run --release --example peers -- --kind expr|script --text TEXT --data DIR
//!            [--strided] [--threads T] [--reps R]
//!
//! numjit's side of the peer benchmark: `crates/numjit/benches/peers.py` writes the inputs as
//! .npy files, runs this once per workload and thread count next to numexpr, NumPy and numba on
//! the same data, and writes the table in BENCHMARKS.md.
//!
//! - `--kind expr`: evaluates TEXT over every DIR/NAME.npy (float64 or float32, bound as
//!   NAME) into a preallocated output of the result's shape. With `--strided`, `a` is every
//!   other element of a.npy along its last axis (numexpr's bench/timing.py layout).
//! - `--kind script`: runs the script TEXT over `u` (DIR/u.npy), `v` (a copy of `u`) and the
//!   float64 scalar `c = 0.1`; the statements assign into `v`.
//!
//! Prints one JSON line, `{"median_ns": ..., "checksum": "...", "first_ns": ...}`: the median
//! time per call over batches (the first call is not among them), the sum of the output after
//! one call on the original data, which the Python side compares with the peers' results,
//! and the time of a first call (parse, check, compile and run into an allocated output, by a
//! `Compiled` whose kernels are not compiled yet).

use numjit::ndarray::{Axis, Slice};
use numjit::{Array, Schedule};
use std::error::Error;
use std::path::PathBuf;
use std::time::Instant;

struct Opts {
    kind: String,
    text: String,
    data: PathBuf,
    strided: bool,
    threads: usize,
    reps: usize,
}

fn parse() -> Result<Opts, String> {
    let mut o = Opts {
        kind: "expr".into(),
        text: String::new(),
        data: PathBuf::new(),
        strided: false,
        threads: 1,
        reps: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--kind" => o.kind = value()?,
            "--text" => o.text = value()?,
            "--data" => o.data = value()?.into(),
            "--strided" => o.strided = true,
            "--threads" => o.threads = value()?.parse().map_err(|e| format!("--threads: {e}"))?,
            "--reps" => o.reps = value()?.parse().map_err(|e| format!("--reps: {e}"))?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if o.text.is_empty() || o.data.as_os_str().is_empty() {
        return Err("--text and --data are required".into());
    }
    Ok(o)
}

/// Median nanoseconds per call of `f` over 11 batches of `reps` calls (by default as many as
/// take about 20 ms); the first call (which compiles) is not timed.
fn median_ns(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    let reps = if reps > 0 {
        reps
    } else {
        let t = Instant::now();
        f();
        let once = t.elapsed().as_nanos().max(1) as f64;
        ((2e7 / once).ceil() as usize).clamp(1, 100_000)
    };
    let mut samples: Vec<f64> = (0..11)
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

fn load(o: &Opts, name: &str) -> Result<Array, Box<dyn Error>> {
    Ok(numjit::npy::read(&o.data.join(format!("{name}.npy")))?)
}

/// The sum of an array's elements as float64 (the checksum the Python side compares).
fn checksum(x: &Array) -> f64 {
    match (x.as_f64(), x.as_f32()) {
        (Some(x), _) => x.sum(),
        (_, Some(x)) => x.iter().map(|&v| v as f64).sum(),
        _ => f64::NAN,
    }
}

fn run_expr(o: &Opts, sched: &Schedule) -> Result<(f64, f64, f64), Box<dyn Error>> {
    // Every identifier-named .npy in DIR is an input (its file stem the name).
    let mut arrays: Vec<(String, Array)> = Vec::new();
    for entry in std::fs::read_dir(&o.data)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "npy") {
            let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                arrays.push((name.to_string(), numjit::npy::read(&path)?));
            }
        }
    }
    let vars = || -> Result<numjit::Vars<'_>, Box<dyn Error>> {
        let mut vars = numjit::Vars::new();
        for (name, x) in &arrays {
            let arg: numjit::Arg<'_> = match (x.as_f64(), x.as_f32()) {
                (Some(v), _) if o.strided && name == "a" => {
                    let last = v.ndim() - 1;
                    v.slice_axis(Axis(last), Slice::new(0, None, 2)).into()
                }
                (Some(v), _) => v.view().into(),
                (_, Some(v)) if o.strided && name == "a" => {
                    let last = v.ndim() - 1;
                    v.slice_axis(Axis(last), Slice::new(0, None, 2)).into()
                }
                (_, Some(v)) => v.view().into(),
                _ => return Err(format!("{name}.npy: float64 or float32 only").into()),
            };
            vars = vars.bind(name, arg);
        }
        Ok(vars)
    };
    let f = numjit::compile(&o.text)?;
    let mut out = f.eval_with(vars()?, sched)?;
    // A first call into that (already allocated) output: parse, check, compile and run, by
    // a `Compiled` of its own (a fresh one has no kernels yet).
    let first = Instant::now();
    numjit::Compiled::new(&o.text)?.evaluate_with(&mut out, vars()?, sched)?;
    let first = first.elapsed().as_nanos() as f64;
    let t = median_ns(o.reps, || {
        f.evaluate_with(&mut out, vars().expect("bound once"), sched)
            .expect("evaluated once already")
    });
    Ok((t, checksum(&out), first))
}

fn run_script(o: &Opts, sched: &Schedule) -> Result<(f64, f64, f64), Box<dyn Error>> {
    let u0 = load(o, "u")?;
    let mut u = u0.as_f64().ok_or("u.npy must be float64")?.clone();
    let mut v = u.clone();
    let first = Instant::now();
    let s = numjit::compile_script(&o.text)?;
    let mut step = || {
        s.execute_with(
            numjit::Vars::new()
                .bind_mut("u", &mut u)
                .bind_mut("v", &mut v)
                .bind("c", 0.1f64),
            sched,
        )
        .map(|_| ())
    };
    step()?;
    let first = first.elapsed().as_nanos() as f64;
    let t = median_ns(o.reps, || step().expect("ran once already"));
    // One step from the original grid, for the checksum.
    let mut v = u0.as_f64().ok_or("u.npy must be float64")?.clone();
    let u = v.clone();
    s.execute_with(
        numjit::Vars::new()
            .bind("u", &u)
            .bind_mut("v", &mut v)
            .bind("c", 0.1f64),
        sched,
    )?;
    Ok((t, v.sum(), first))
}

/// What `--help` prints.
const HELP: &str = "Usage: cargo run --release --example peers -- --kind expr|script --text TEXT --data DIR [--strided] [--threads T] [--reps R]\n\nTimes one expression or script on the .npy inputs in DIR for crates/numjit/benches/peers.py,\nwhich compares numjit with numexpr, NumPy and numba.";

fn main() {
    if std::env::args().any(|a| a == "-h" || a == "--help") {
        println!("{HELP}");
        return;
    }
    let o = match parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("peers: {e}");
            std::process::exit(2);
        }
    };
    let sched = Schedule {
        threads: Some(o.threads),
        ..Default::default()
    };
    let r = match o.kind.as_str() {
        "script" => run_script(&o, &sched),
        _ => run_expr(&o, &sched),
    };
    match r {
        Ok((t, sum, first)) => {
            println!("{{\"median_ns\": {t}, \"checksum\": \"{sum}\", \"first_ns\": {first}}}")
        }
        Err(e) => {
            eprintln!("peers: {e}");
            std::process::exit(1);
        }
    }
}

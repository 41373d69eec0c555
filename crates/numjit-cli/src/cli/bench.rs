//! `numjit bench EXPR` and the REPL's `:bench`: how one expression scales with threads.
//!
//! For every n it builds a random 1-D input for each free name of the expression (SplitMix64,
//! fixed seeds, so every run sees the same data), evaluates once to compile the kernel and to
//! allocate the result, then times repeated calls of the compiled handle into that
//! preallocated result with `Schedule { threads: Some(t), .. }` for every thread count,
//! interleaved. A point's time is the median over timed batches (see
//! [`measure_interleaved`]), its spread the fastest and slowest batch (min, max); it
//! reports µs per call, ns per element, GB/s of array traffic
//! (every input read once and the result written once, per call) and the speedup against one
//! thread for the same n.

use super::plot;
use super::random::SplitMix64;
use ndarray::{ArrayD, IxDyn};
use numjit::{Array, Complex64, DType, Schedule, Vars};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Element counts measured when `--n` is not given.
pub const DEFAULT_NS: [usize; 3] = [1_000, 100_000, 1_000_000];
/// Default measuring time per point.
pub const DEFAULT_BUDGET: Duration = Duration::from_millis(150);
/// The most threads a point may ask for (as numexpr's default `MAX_THREADS` is 64, this is
/// generous; it only guards against typos building a pool of a million threads).
pub const MAX_THREADS: usize = 256;
/// The seed of the first input; the k-th free name uses `SEED + k`.
pub const SEED: u64 = 42;

/// What to measure.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// The expression.
    pub expr: String,
    /// Element counts (`--n`); `None` means [`DEFAULT_NS`], or the session's arrays in the REPL.
    pub ns: Option<Vec<usize>>,
    /// Thread counts (`--threads`); `None` means 1 up to the number of cores.
    pub threads: Option<Vec<usize>>,
    /// The dtype of the random inputs (`--dtype`).
    pub dtype: DType,
    /// One JSON object per point instead of the table (`--json`).
    pub json: bool,
    /// Where to write the speedup chart (`--plot`).
    pub plot: Option<PathBuf>,
    /// Measuring time per point (`--ms`).
    pub budget: Duration,
}

/// Parses the arguments after `bench` (or after `:bench` in the REPL). Errors are usage errors.
pub fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut opts = Options {
        expr: String::new(),
        ns: None,
        threads: None,
        dtype: DType::Float64,
        json: false,
        plot: None,
        budget: DEFAULT_BUDGET,
    };
    let mut expr: Option<String> = None;
    let mut options_done = false;
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        let mut value = |name: &str| -> Result<String, String> {
            if let Some(v) = arg.strip_prefix(name).and_then(|r| r.strip_prefix('=')) {
                return Ok(v.to_string());
            }
            let v = args.get(i).ok_or_else(|| format!("{name} needs a value"))?;
            i += 1;
            Ok(v.clone())
        };
        let is = |name: &str| arg == name || arg.starts_with(&format!("{name}="));
        if !options_done && arg.starts_with("--") {
            if arg == "--" {
                options_done = true;
            } else if is("--n") {
                // An empty problem measures nothing: n starts at 1.
                opts.ns = Some(parse_list("--n", &value("--n")?, 1)?);
            } else if is("--threads") {
                let list = parse_list("--threads", &value("--threads")?, 1)?;
                if let Some(t) = list.iter().find(|&&t| t > MAX_THREADS) {
                    return Err(format!("--threads: {t} is more than {MAX_THREADS}"));
                }
                opts.threads = Some(list);
            } else if is("--dtype") {
                let v = value("--dtype")?;
                opts.dtype = parse_dtype(&v)
                    .ok_or_else(|| format!("--dtype must be one of {DTYPES}, not '{v}'"))?;
            } else if arg == "--json" {
                opts.json = true;
            } else if is("--plot") {
                opts.plot = Some(PathBuf::from(value("--plot")?));
            } else if is("--ms") {
                let v = value("--ms")?;
                let ms: f64 = v
                    .parse()
                    .ok()
                    .filter(|m: &f64| m.is_finite() && *m >= 0.0 && *m <= 3_600_000.0)
                    .ok_or_else(|| format!("--ms needs a number of milliseconds, got '{v}'"))?;
                opts.budget = Duration::from_secs_f64(ms / 1000.0);
            } else {
                let flag = arg.split('=').next().unwrap_or(arg);
                let known = ["--n", "--threads", "--dtype", "--json", "--plot", "--ms"];
                return Err(match known.iter().find(|k| near_flag(flag, k)) {
                    Some(k) => format!("unknown option '{arg}'; did you mean '{k}'?"),
                    None => format!("unknown option '{arg}' (options: {})", known.join(", ")),
                });
            }
            continue;
        }
        if expr.is_some() {
            return Err(format!(
                "unexpected argument '{arg}' (quote EXPR if it contains spaces)"
            ));
        }
        expr = Some(arg.clone());
    }
    opts.expr = expr.ok_or_else(|| "bench needs an expression".to_string())?;
    Ok(opts)
}

/// The dtypes `--dtype` and the REPL's `dtype=` accept, for messages.
pub const DTYPES: &str = "bool, int32, int64, float32, float64, complex128";

/// A dtype by NumPy's name (`float32`, `np.float32`, `'float32'`), its character code (`f4`,
/// `<f4`) or the Python type (`float`, `int`, `complex`, `bool`).
pub fn parse_dtype(text: &str) -> Option<DType> {
    let t = text.trim().trim_matches(|c| c == '"' || c == '\'');
    let t = t.strip_prefix("np.").unwrap_or(t);
    let t = t.strip_prefix(['<', '=']).unwrap_or(t);
    match t {
        "bool" | "bool_" | "?" | "b1" => Some(DType::Bool),
        "int32" | "i4" | "intc" => Some(DType::Int32),
        "int64" | "int" | "i8" | "int_" | "intp" => Some(DType::Int64),
        "float32" | "f4" | "single" => Some(DType::Float32),
        "float64" | "float" | "f8" | "double" => Some(DType::Float64),
        "complex128" | "complex" | "c16" | "cdouble" => Some(DType::Complex128),
        _ => None,
    }
}

/// A comma-separated list of counts, each at least `min`; `1e6` and `1_000_000` are accepted.
/// Whether a mistyped flag is close to `known` (at most two edits, or a prefix of it).
pub fn near_flag(flag: &str, known: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (flag.chars().collect(), known.chars().collect());
    if a.len() >= 3 && b.starts_with(&a) {
        return true;
    }
    // Levenshtein distance, one row at a time.
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + (ca != cb) as usize).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()] <= 2
}

fn parse_list(name: &str, text: &str, min: usize) -> Result<Vec<usize>, String> {
    let mut out = Vec::new();
    for item in text.split(',') {
        let t = item.trim().replace('_', "");
        let v = t
            .parse::<usize>()
            .ok()
            .or_else(|| {
                t.parse::<f64>()
                    .ok()
                    .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 1e15)
                    .map(|f| f as usize)
            })
            .filter(|&v| v >= min)
            .ok_or_else(|| {
                format!("{name} needs a comma-separated list of integers >= {min}, got '{text}'")
            })?;
        out.push(v);
    }
    Ok(out)
}

/// One measured point.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// Threads of the schedule.
    pub threads: usize,
    /// Elements of the result.
    pub n: usize,
    /// Median time per call in microseconds.
    pub us_per_call: f64,
    /// The fastest batch's time per call, in microseconds.
    pub us_min: f64,
    /// The slowest batch's time per call, in microseconds.
    pub us_max: f64,
    /// Median time per result element in nanoseconds.
    pub ns_per_elem: f64,
    /// Bytes of array traffic per call (inputs read once, result written once) per second,
    /// in GB/s (10⁹ bytes).
    pub gb_per_s: f64,
    /// Time on one thread divided by time on `threads` threads, for the same n.
    pub speedup: f64,
}

impl Point {
    /// The point as one line of JSON.
    pub fn json(&self) -> String {
        format!(
            "{{\"threads\": {}, \"n\": {}, \"us_per_call\": {}, \"us_min\": {}, \"us_max\": {}, \"ns_per_elem\": {}, \"gb_per_s\": {}, \"speedup\": {}}}",
            self.threads,
            self.n,
            json_number(self.us_per_call),
            json_number(self.us_min),
            json_number(self.us_max),
            json_number(self.ns_per_elem),
            json_number(self.gb_per_s),
            json_number(self.speedup)
        )
    }
}

/// A finite number in JSON (non-finite ones, which the measurement never produces, as null).
fn json_number(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        "null".to_string()
    }
}

/// Why a benchmark failed.
#[derive(Debug)]
pub enum BenchError {
    /// The expression did not parse, check or evaluate; the span refers to the expression.
    Engine(numjit::Error),
    /// Anything else (allocation, writing the chart).
    Other(String),
}

impl From<numjit::Error> for BenchError {
    fn from(e: numjit::Error) -> Self {
        BenchError::Engine(e)
    }
}

/// The median time of one call, and how many calls were timed.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// Median seconds per call.
    pub median: f64,
    /// The fastest batch's seconds per call.
    pub min: f64,
    /// The slowest batch's seconds per call.
    pub max: f64,
    /// Calls timed (not counting the warm-up).
    pub calls: usize,
}

/// Times `f`: see [`measure_interleaved`], with one variant.
pub fn measure<E>(f: &mut dyn FnMut() -> Result<(), E>, budget: Duration) -> Result<Timing, E> {
    let t = measure_interleaved(1, &mut |_| f(), budget)?;
    Ok(t[0])
}

/// Times `variants` ways of making a call, `f(i)` making one call the i-th way: each gets a
/// warm-up call and one call to size its batches (about a thirtieth of `budget` each, so
/// that short calls are not lost in the timer's resolution); then rounds of one batch per
/// variant run until `budget` per variant has passed and every variant has at least 5
/// batches (3 if a call is slower than the budget). Interleaving the variants makes them
/// share whatever else the machine is doing, so their ratio (the speedup) stays meaningful
/// on a busy machine. Returns each variant's median over batches of the time per call.
pub fn measure_interleaved<E>(
    variants: usize,
    f: &mut dyn FnMut(usize) -> Result<(), E>,
    budget: Duration,
) -> Result<Vec<Timing>, E> {
    let budget = budget.as_secs_f64();
    let per_batch = (budget / 30.0).max(1e-6);
    let mut batch = Vec::with_capacity(variants);
    for v in 0..variants {
        f(v)?;
        let t = Instant::now();
        f(v)?;
        let one = t.elapsed().as_secs_f64().max(1e-9);
        batch.push(((per_batch / one) as usize).clamp(1, 1_000_000));
    }
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); variants];
    let total = budget * variants as f64;
    let start = Instant::now();
    loop {
        for v in 0..variants {
            let t = Instant::now();
            for _ in 0..batch[v] {
                f(v)?;
            }
            samples[v].push(t.elapsed().as_secs_f64() / batch[v] as f64);
        }
        let rounds = samples.first().map_or(0, Vec::len);
        let elapsed = start.elapsed().as_secs_f64();
        let enough = variants == 0
            || (rounds >= 5 && elapsed >= total)
            || (rounds >= 3 && elapsed >= 3.0 * total)
            || rounds >= 1000;
        if enough {
            break;
        }
    }
    Ok(samples
        .iter_mut()
        .zip(&batch)
        .map(|(s, &b)| {
            s.sort_by(f64::total_cmp);
            let mid = s.len() / 2;
            let median = if s.len() % 2 == 1 {
                s[mid]
            } else {
                (s[mid - 1] + s[mid]) / 2.0
            };
            Timing {
                median: median.max(1e-12),
                min: s[0].max(1e-12),
                max: s[s.len() - 1].max(1e-12),
                calls: b * s.len(),
            }
        })
        .collect())
}

/// The free names of `expr` in order of first appearance: names not followed by `(` (those
/// are function calls), other than `True` and `False`. Taken from the token stream so that it
/// does not depend on the shape of the syntax tree.
pub fn free_names(expr: &str) -> Vec<String> {
    use numjit::internals::syntax::lexer::{lex, Tok};
    let Ok(tokens) = lex(expr) else {
        return Vec::new();
    };
    let mut names: Vec<String> = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        if t.tok != Tok::Name {
            continue;
        }
        let text = &expr[t.span.start..t.span.end];
        let is_call = tokens.get(i + 1).is_some_and(|n| n.tok == Tok::LParen);
        // `axis=1` in a reduction is a keyword, not an input.
        let is_keyword = tokens.get(i + 1).is_some_and(|n| n.tok == Tok::Assign)
            && i > 0
            && matches!(tokens[i - 1].tok, Tok::Comma | Tok::LParen);
        if !is_call
            && !is_keyword
            && text != "True"
            && text != "False"
            && !numjit::internals::syntax::ast::CONSTANTS.contains(&text)
            && !names.iter().any(|n| n == text)
        {
            names.push(text.to_string());
        }
    }
    names
}

/// What a script reads, writes into and makes (`x[...] = ...` targets are written, `t = ...`
/// names are the script's own), and the most subscript positions any view has (the rank its
/// inputs need); `None` if `text` is a plain expression.
pub struct ScriptRoles {
    /// Names read before the script assigns them (random read-only inputs).
    pub reads: Vec<String>,
    /// Names assigned into through a subscript (random writable inputs).
    pub writes: Vec<String>,
    /// The inputs' rank.
    pub rank: usize,
    /// The names the script subscripts: arrays; a name it never subscripts is a scalar
    /// (`c` in `next[1:-1] = d[1:-1] + c*d[:-2]`).
    pub arrays: Vec<String>,
}

/// The roles of the names of `text` if it is a script with assignments.
pub fn script_roles(text: &str) -> Option<ScriptRoles> {
    use numjit::internals::syntax::ast::{Expr, ExprKind, StmtKind, SubItem, CONSTANTS};
    let stmts = numjit::internals::syntax::parse_script(text).ok()?;
    if !stmts
        .iter()
        .any(|s| matches!(s.kind, StmtKind::Assign { .. }))
    {
        return None;
    }
    fn walk(e: &Expr, names: &mut Vec<String>, rank: &mut (usize, Vec<String>)) {
        match &e.kind {
            ExprKind::Name(n) if !CONSTANTS.contains(&n.as_str()) && !names.contains(n) => {
                names.push(n.clone());
            }
            ExprKind::Unary { arg, .. } | ExprKind::Reduce { arg, .. } => walk(arg, names, rank),
            ExprKind::Binary { lhs, rhs, .. } => {
                walk(lhs, names, rank);
                walk(rhs, names, rank);
            }
            ExprKind::Call { args, .. } => args.iter().for_each(|a| walk(a, names, rank)),
            ExprKind::Subscript { base, items } => {
                let positions = items
                    .iter()
                    .filter(|i| !matches!(i, SubItem::Ellipsis(_)))
                    .count();
                rank.0 = rank.0.max(positions);
                if let ExprKind::Name(n) = &base.kind {
                    if !rank.1.contains(n) {
                        rank.1.push(n.clone());
                    }
                }
                walk(base, names, rank);
                for it in items {
                    match it {
                        SubItem::Index(x) => walk(x, names, rank),
                        SubItem::Slice {
                            start, stop, step, ..
                        } => {
                            for x in [start, stop, step].into_iter().flatten() {
                                walk(x, names, rank);
                            }
                        }
                        SubItem::Ellipsis(_) => {}
                    }
                }
            }
            _ => {}
        }
    }
    fn base(e: &Expr) -> Option<&str> {
        match &e.kind {
            ExprKind::Subscript { base: b, .. } => base(b),
            ExprKind::Name(n) => Some(n),
            _ => None,
        }
    }
    let (mut own, mut reads, mut writes) = (Vec::new(), Vec::new(), Vec::new());
    let mut rank = (1, Vec::new());
    for st in &stmts {
        let mut found = Vec::new();
        match &st.kind {
            StmtKind::Expr(e) => walk(e, &mut found, &mut rank),
            StmtKind::Assign { target, value } => {
                walk(value, &mut found, &mut rank);
                match &target.kind {
                    ExprKind::Name(n) => {
                        for f in found.drain(..) {
                            if !own.contains(&f) && !reads.contains(&f) {
                                reads.push(f);
                            }
                        }
                        own.push(n.clone());
                        continue;
                    }
                    _ => {
                        let mut in_target = Vec::new();
                        walk(target, &mut in_target, &mut rank);
                        if let Some(b) = base(target) {
                            if !own.iter().any(|o| o == b) && !writes.iter().any(|w| w == b) {
                                writes.push(b.to_string());
                            }
                            in_target.retain(|n| n != b);
                        }
                        found.extend(in_target);
                    }
                }
            }
        }
        for f in found {
            if !own.contains(&f) && !reads.contains(&f) {
                reads.push(f);
            }
        }
    }
    reads.retain(|r| !writes.contains(r));
    Some(ScriptRoles {
        reads,
        writes,
        rank: rank.0,
        arrays: rank.1,
    })
}

/// A 1-D array of `n` random values of `dtype` from `seed`: floats uniform in [0, 1), integers
/// uniform in 1..=100 (no zero divisors), bools with probability ½, complex numbers with both
/// parts uniform in [0, 1).
pub fn random_array(dtype: DType, n: usize, seed: u64) -> Result<Array, String> {
    let mut g = SplitMix64::new(seed);
    let shape = IxDyn(&[n]);
    fn vec_of<T>(n: usize, mut f: impl FnMut() -> T) -> Result<Vec<T>, String> {
        let mut v = Vec::new();
        v.try_reserve_exact(n)
            .map_err(|_| format!("cannot allocate {n} elements"))?;
        v.extend((0..n).map(|_| f()));
        Ok(v)
    }
    let shaped = |r: Result<Array, ndarray::ShapeError>| r.map_err(|e| e.to_string());
    match dtype {
        DType::Float64 => {
            let v = vec_of(n, || g.next_f64())?;
            shaped(ArrayD::from_shape_vec(shape, v).map(Array::from))
        }
        DType::Int64 => {
            let v = vec_of(n, || 1 + (g.next_u64() % 100) as i64)?;
            shaped(ArrayD::from_shape_vec(shape, v).map(Array::from))
        }
        DType::Int32 => {
            let v = vec_of(n, || 1 + (g.next_u64() % 100) as i32)?;
            shaped(ArrayD::from_shape_vec(shape, v).map(Array::from))
        }
        DType::Float32 => {
            let v = vec_of(n, || g.next_f32())?;
            shaped(ArrayD::from_shape_vec(shape, v).map(Array::from))
        }
        DType::Complex128 => {
            let v = vec_of(n, || {
                let re = g.next_f64();
                Complex64::new(re, g.next_f64())
            })?;
            shaped(ArrayD::from_shape_vec(shape, v).map(Array::from))
        }
        DType::Bool => {
            let v = vec_of(n, || g.next_u64() >> 63 == 1)?;
            shaped(ArrayD::from_shape_vec(shape, v).map(Array::from))
        }
        DType::Bytes(_) => Err("numjit bench makes no byte-string inputs".to_string()),
    }
}

/// Whether a file can be written at `path`: its directory exists and it is not a directory.
fn check_writable(path: &std::path::Path) -> Result<(), String> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    if !dir.is_dir() {
        return Err(format!(
            "cannot write the chart to {}: the directory {} does not exist",
            path.display(),
            dir.display()
        ));
    }
    if path.is_dir() {
        return Err(format!(
            "cannot write the chart to {}: it is a directory",
            path.display()
        ));
    }
    Ok(())
}

/// The default thread counts: 1 up to the number of cores.
pub fn default_threads() -> Vec<usize> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (1..=cores.min(MAX_THREADS)).collect()
}

/// Formats `v` with about four significant digits.
pub fn sig(v: f64) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    let a = v.abs();
    let decimals = if a >= 1000.0 {
        0
    } else if a >= 100.0 {
        1
    } else if a >= 10.0 {
        2
    } else {
        3
    };
    format!("{v:.decimals$}")
}

/// Runs the benchmark, printing the table (or JSON lines) to `out` as points complete, and
/// writes the chart if asked. With `session` given and no `--n`, the expression runs on the
/// session's arrays (when they bind every free name) instead of random inputs.
pub fn run(
    opts: &Options,
    session: Option<&BTreeMap<String, Array>>,
    out: &mut dyn Write,
) -> Result<Vec<Point>, BenchError> {
    let mut threads = opts.threads.clone().unwrap_or_else(default_threads);
    threads.sort_unstable();
    threads.dedup();
    if threads.is_empty() {
        return Err(BenchError::Other("no thread counts to measure".into()));
    }
    // The chart's path is checked before minutes of measuring, not after.
    if let Some(path) = &opts.plot {
        check_writable(path).map_err(BenchError::Other)?;
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if let Some(&most) = threads.last().filter(|&&t| t > cores) {
        eprintln!(
            "warning: {most} threads on {cores} cores: threads beyond the cores share them, so \
             their speedup measures the sharing, not the code"
        );
    }
    if let Some(roles) = script_roles(&opts.expr) {
        return run_script(opts, &threads, &roles, out);
    }
    let compiled = numjit::compile(&opts.expr)?;
    let names = free_names(&opts.expr);

    // What each row group runs on: the session's arrays (`None`) or random inputs of n
    // elements, made when their turn comes so that only one n is in memory at a time.
    let use_session =
        opts.ns.is_none() && session.is_some_and(|s| names.iter().all(|n| s.contains_key(n)));
    let plan: Vec<Option<usize>> = if use_session {
        vec![None]
    } else {
        opts.ns
            .as_deref()
            .unwrap_or(&DEFAULT_NS)
            .iter()
            .map(|&n| Some(n))
            .collect()
    };
    let what = if names.is_empty() {
        "no inputs".to_string()
    } else if use_session {
        format!("the session's {}", names.join(", "))
    } else {
        format!("random {} {} (seed {SEED})", opts.dtype, names.join(", "))
    };

    if !opts.json {
        let _ = writeln!(
            out,
            "{}  [{what}; {cores} cores; median of repeated calls, ~{} ms per point]",
            opts.expr,
            opts.budget.as_millis()
        );
        let _ = writeln!(
            out,
            "{:>10} {:>8} {:>12} {:>10} {:>10} {:>10} {:>9} {:>8}",
            "n", "threads", "µs/call", "min", "max", "ns/elem", "GB/s", "speedup"
        );
        let _ = out.flush();
    }

    let mut points = Vec::new();
    let mut series = Vec::new();
    let mut progress = Progress::new();
    for size in plan {
        let mut inputs: Vec<(&str, Cow<'_, Array>)> = Vec::new();
        for (k, name) in names.iter().enumerate() {
            let a = match size {
                Some(n) => Cow::Owned(
                    random_array(opts.dtype, n, SEED + k as u64).map_err(BenchError::Other)?,
                ),
                None => Cow::Borrowed(
                    session
                        .and_then(|s| s.get(name))
                        .ok_or_else(|| BenchError::Other(format!("`{name}` is not bound")))?,
                ),
            };
            inputs.push((name.as_str(), a));
        }
        // Bindings are rebuilt for every call, as a caller of the API would.
        let vars = || {
            inputs
                .iter()
                .fold(Vars::new(), |v, (name, a)| v.bind(name, &**a))
        };
        let mut result = compiled.eval(vars())?;
        // Elements per call: the largest operand (a reduction's result is small).
        let n = inputs
            .iter()
            .map(|(_, a)| a.len())
            .chain([result.len()])
            .max()
            .unwrap_or(0);
        let bytes: usize = inputs
            .iter()
            .map(|(_, a)| a.len() * a.dtype().size())
            .sum::<usize>()
            + result.len() * result.dtype().size();
        // One thread is the baseline of the speedups; it is measured (not shown) even when
        // the list does not include it. All counts for this n are timed interleaved.
        let mut measured = threads.clone();
        if measured[0] != 1 {
            measured.insert(0, 1);
        }
        let schedules: Vec<Schedule> = measured
            .iter()
            .map(|&t| Schedule {
                threads: Some(t),
                ..Default::default()
            })
            .collect();
        let mut call = |v: usize| compiled.evaluate_with(&mut result, vars(), &schedules[v]);
        progress.show(&format!("n = {n}"));
        let timings = measure_interleaved(measured.len(), &mut call, opts.budget)?;
        progress.clear();
        let base_secs = timings[0].median;
        let mut line = Vec::new();
        for (&t, timing) in measured.iter().zip(&timings) {
            if !threads.contains(&t) {
                continue;
            }
            let secs = timing.median;
            let p = Point {
                threads: t,
                n,
                us_per_call: secs * 1e6,
                us_min: timing.min * 1e6,
                us_max: timing.max * 1e6,
                ns_per_elem: secs * 1e9 / n.max(1) as f64,
                gb_per_s: bytes as f64 / secs / 1e9,
                speedup: base_secs / secs,
            };
            if opts.json {
                let _ = writeln!(out, "{}", p.json());
            } else {
                let _ = writeln!(
                    out,
                    "{:>10} {:>8} {:>12} {:>10} {:>10} {:>10} {:>9} {:>8.2}",
                    p.n,
                    p.threads,
                    sig(p.us_per_call),
                    sig(p.us_min),
                    sig(p.us_max),
                    sig(p.ns_per_elem),
                    sig(p.gb_per_s),
                    p.speedup
                );
            }
            let _ = out.flush();
            line.push((t as f64, p.speedup));
            points.push(p);
        }
        series.push(plot::Series {
            label: format!("n = {n}"),
            points: line,
        });
    }

    if let Some(path) = &opts.plot {
        plot::speedup_chart(path, &format!("numjit bench: {}", opts.expr), &series)
            .map_err(BenchError::Other)?;
        if !opts.json {
            let _ = writeln!(out, "wrote {}", path.display());
        }
    }
    Ok(points)
}

/// A progress line on a terminal's stderr, once a run has taken more than a second: which
/// point is being measured, erased before the row is printed. Nothing when stderr is not a
/// terminal (pipes, tests).
struct Progress {
    start: Instant,
    on: bool,
    shown: bool,
}

impl Progress {
    fn new() -> Progress {
        use std::io::IsTerminal;
        Progress {
            start: Instant::now(),
            on: std::io::stderr().is_terminal(),
            shown: false,
        }
    }

    fn show(&mut self, what: &str) {
        if self.on && self.start.elapsed() > Duration::from_secs(1) {
            eprint!(
                "\r\x1b[2Kmeasuring {what} ({:.0} s so far)...",
                self.start.elapsed().as_secs_f64()
            );
            self.shown = true;
        }
    }

    fn clear(&mut self) {
        if self.shown {
            eprint!("\r\x1b[2K");
            self.shown = false;
        }
    }
}

/// Prints one row of the table (or a JSON line).
fn print_point(opts: &Options, p: &Point, out: &mut dyn Write) {
    if opts.json {
        let _ = writeln!(out, "{}", p.json());
    } else {
        let _ = writeln!(
            out,
            "{:>10} {:>8} {:>12} {:>10} {:>10} {:>10} {:>9} {:>8.2}",
            p.n,
            p.threads,
            sig(p.us_per_call),
            sig(p.us_min),
            sig(p.us_max),
            sig(p.ns_per_elem),
            sig(p.gb_per_s),
            p.speedup
        );
    }
    let _ = out.flush();
}

/// [`run`] for a script (the diffusion step): for each n, random inputs of `rank` axes of
/// about n^(1/rank) each (at least 3) for the names it subscripts, random scalars for the
/// others, the targets bound writably; each call runs the whole script.
fn run_script(
    opts: &Options,
    threads: &[usize],
    roles: &ScriptRoles,
    out: &mut dyn Write,
) -> Result<Vec<Point>, BenchError> {
    let script = numjit::compile_script(&opts.expr)?;
    if !opts.json {
        let _ = writeln!(
            out,
            "{}  [script: random {} {} (seed {SEED}), {}-d; {} cores; median of repeated calls, ~{} ms per point]",
            opts.expr.replace('\n', "; "),
            opts.dtype,
            roles.reads.iter().chain(&roles.writes).cloned().collect::<Vec<_>>().join(", "),
            roles.rank,
            std::thread::available_parallelism().map_or(1, |n| n.get()),
            opts.budget.as_millis()
        );
        let _ = writeln!(
            out,
            "{:>10} {:>8} {:>12} {:>10} {:>10} {:>10} {:>9} {:>8}",
            "n", "threads", "µs/call", "min", "max", "ns/elem", "GB/s", "speedup"
        );
    }
    let mut points = Vec::new();
    let mut series = Vec::new();
    let mut progress = Progress::new();
    for &n in opts.ns.as_deref().unwrap_or(&DEFAULT_NS) {
        let side = ((n as f64).powf(1.0 / roles.rank as f64).round() as usize).max(3);
        let shape = vec![side; roles.rank];
        let total: usize = shape.iter().product();
        let make = |k: usize, name: &str| -> Result<Array, BenchError> {
            let array = roles.arrays.iter().any(|a| a == name);
            let len = if array { total } else { 1 };
            let dims: &[usize] = if array { &shape } else { &[] };
            let a = random_array(opts.dtype, len, SEED + k as u64).map_err(BenchError::Other)?;
            Ok(numjit::each_array!(a, x => x
                .into_shape_with_order(IxDyn(dims))
                .expect("the sizes match")
                .into()))
        };
        let mut k = 0;
        let mut reads = Vec::new();
        for name in &roles.reads {
            reads.push((name.as_str(), make(k, name)?));
            k += 1;
        }
        let mut writes = Vec::new();
        for name in &roles.writes {
            writes.push((name.as_str(), make(k, name)?));
            k += 1;
        }
        let bytes: usize = reads
            .iter()
            .chain(&writes)
            .map(|(_, a)| a.len() * a.dtype().size())
            .sum();
        let mut measured = threads.to_vec();
        if measured[0] != 1 {
            measured.insert(0, 1);
        }
        let schedules: Vec<Schedule> = measured
            .iter()
            .map(|&t| Schedule {
                threads: Some(t),
                ..Default::default()
            })
            .collect();
        let mut call = |v: usize| {
            let mut vars = Vars::new();
            for (name, a) in &reads {
                vars = vars.bind(name, a);
            }
            for (name, a) in writes.iter_mut() {
                vars = vars.bind_mut(name, a);
            }
            script.execute_with(vars, &schedules[v]).map(|_| ())
        };
        progress.show(&format!("n = {total}"));
        let timings = measure_interleaved(measured.len(), &mut call, opts.budget)?;
        progress.clear();
        let base_secs = timings[0].median;
        let mut line = Vec::new();
        for (&t, timing) in measured.iter().zip(&timings) {
            if !threads.contains(&t) {
                continue;
            }
            let secs = timing.median;
            let p = Point {
                threads: t,
                n: total,
                us_per_call: secs * 1e6,
                us_min: timing.min * 1e6,
                us_max: timing.max * 1e6,
                ns_per_elem: secs * 1e9 / total.max(1) as f64,
                gb_per_s: bytes as f64 / secs / 1e9,
                speedup: base_secs / secs,
            };
            print_point(opts, &p, out);
            line.push((t as f64, p.speedup));
            points.push(p);
        }
        series.push(plot::Series {
            label: format!("n = {total}"),
            points: line,
        });
    }
    if let Some(path) = &opts.plot {
        plot::speedup_chart(path, &format!("numjit bench: {}", opts.expr), &series)
            .map_err(BenchError::Other)?;
        if !opts.json {
            let _ = writeln!(out, "wrote {}", path.display());
        }
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn scripts_with_assignments_are_measured() {
        // The diffusion step: `next` is written, `dens` read, `c` a scalar; 2-d inputs.
        let step = "next[1:-1, 1:-1] = dens[1:-1, 1:-1] + c*(dens[2:, 1:-1] + dens[:-2, 1:-1] \
                    + dens[1:-1, 2:] + dens[1:-1, :-2] - 4*dens[1:-1, 1:-1])";
        let roles = script_roles(step).expect("a script");
        assert_eq!(roles.reads, ["dens", "c"]);
        assert_eq!(roles.writes, ["next"]);
        assert_eq!(roles.rank, 2);
        assert_eq!(roles.arrays, ["dens", "next"]);
        let r = script_roles("t = a * 2; b[1:] = t[:-1] + k").unwrap();
        assert_eq!(
            (r.reads, r.writes, r.rank),
            (vec!["a".into(), "k".into()], vec!["b".to_string()], 1)
        );
        assert!(script_roles("a * 2").is_none());
        let mut o =
            parse_args(&args(&[step, "--n", "400", "--threads", "1", "--ms", "5"])).unwrap();
        o.json = true;
        let mut text = Vec::new();
        let points = run(&o, None, &mut text).unwrap();
        assert_eq!(points.len(), 1);
        assert_eq!(points[0].n, 400); // 20 x 20
        assert!(points[0].us_per_call > 0.0 && points[0].us_min <= points[0].us_per_call);
    }

    #[test]
    fn a_bad_chart_path_fails_before_measuring() {
        let mut o =
            parse_args(&args(&["a*b", "--n", "10", "--plot", "/no/such/dir/x.png"])).unwrap();
        o.budget = Duration::from_secs(3600);
        let t = Instant::now();
        match run(&o, None, &mut Vec::new()) {
            Err(BenchError::Other(m)) => {
                assert!(
                    m.contains("the directory /no/such/dir does not exist"),
                    "{m}"
                )
            }
            other => panic!("{other:?}"),
        }
        assert!(t.elapsed() < Duration::from_secs(60));
    }

    #[test]
    fn mistyped_flags_get_a_suggestion() {
        let e = parse_args(&args(&["a", "--thread", "2"])).unwrap_err();
        assert_eq!(e, "unknown option '--thread'; did you mean '--threads'?");
        let e = parse_args(&args(&["a", "--dtyp=int64"])).unwrap_err();
        assert_eq!(e, "unknown option '--dtyp=int64'; did you mean '--dtype'?");
        let e = parse_args(&args(&["a", "--bogus"])).unwrap_err();
        assert!(
            e.starts_with("unknown option '--bogus' (options: --n,"),
            "{e}"
        );
        let e = parse_args(&args(&["a", "--n", "0"])).unwrap_err();
        assert!(e.contains(">= 1"), "{e}");
    }

    #[test]
    fn arguments() {
        let o = parse_args(&args(&[
            "a*b",
            "--n",
            "1000,1e6,1_000",
            "--threads=1,2",
            "--dtype",
            "int64",
            "--json",
            "--plot",
            "x.png",
            "--ms",
            "20",
        ]))
        .unwrap();
        assert_eq!(o.expr, "a*b");
        assert_eq!(o.ns, Some(vec![1000, 1_000_000, 1000]));
        assert_eq!(o.threads, Some(vec![1, 2]));
        assert_eq!(o.dtype, DType::Int64);
        assert!(o.json);
        assert_eq!(o.plot, Some(PathBuf::from("x.png")));
        assert_eq!(o.budget, Duration::from_millis(20));
        let o = parse_args(&args(&["--", "--a"])).unwrap();
        assert_eq!(o.expr, "--a");
        for bad in [
            &[][..],
            &["a", "b"],
            &["a", "--threads", "0"],
            &["a", "--threads", "1,x"],
            &["a", "--threads", "100000"],
            &["a", "--n"],
            &["a", "--n", "-5"],
            &["a", "--n", "0"],
            &["a", "--n", "1000,0"],
            &["a", "--dtype", "int8"],
            &["a", "--dtype", "float16"],
            &["a", "--bogus"],
            &["a", "--ms", "nan"],
        ] {
            assert!(parse_args(&args(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_of_an_expression() {
        assert_eq!(free_names("a**2 + b**2 + 2*a*b"), ["a", "b"]);
        assert_eq!(free_names("where(x > 0, sin(x), y) | True"), ["x", "y"]);
        assert!(free_names("1 + $").is_empty());
        assert_eq!(free_names("sum(a, axis=1) + max(b)"), ["a", "b"]);
    }

    #[test]
    fn random_inputs_are_reproducible() {
        let a = random_array(DType::Float64, 100, 1).unwrap();
        assert_eq!(a, random_array(DType::Float64, 100, 1).unwrap());
        assert!(a.as_f64().unwrap().iter().all(|v| (0.0..1.0).contains(v)));
        let i = random_array(DType::Int64, 100, 1).unwrap();
        assert!(i.as_i64().unwrap().iter().all(|v| (1..=100).contains(v)));
        assert_eq!(random_array(DType::Bool, 3, 1).unwrap().len(), 3);
        let i = random_array(DType::Int32, 100, 1).unwrap();
        assert!(i.as_i32().unwrap().iter().all(|v| (1..=100).contains(v)));
        let f = random_array(DType::Float32, 100, 1).unwrap();
        assert!(f.as_f32().unwrap().iter().all(|v| (0.0..1.0).contains(v)));
        let c = random_array(DType::Complex128, 100, 1).unwrap();
        assert!(c
            .as_c128()
            .unwrap()
            .iter()
            .all(|v| (0.0..1.0).contains(&v.re) && (0.0..1.0).contains(&v.im)));
        for (name, dtype) in [
            ("int32", DType::Int32),
            ("np.float32", DType::Float32),
            ("'complex128'", DType::Complex128),
            ("<f4", DType::Float32),
            ("complex", DType::Complex128),
        ] {
            assert_eq!(parse_dtype(name), Some(dtype), "{name}");
        }
    }

    #[test]
    fn json_line() {
        let p = Point {
            threads: 2,
            n: 1000,
            us_per_call: 1.5,
            us_min: 1.25,
            us_max: 2.0,
            ns_per_elem: 1.5,
            gb_per_s: 16.0,
            speedup: 0.98765432,
        };
        assert_eq!(
            p.json(),
            "{\"threads\": 2, \"n\": 1000, \"us_per_call\": 1.5, \"us_min\": 1.25, \"us_max\": 2, \"ns_per_elem\": 1.5, \"gb_per_s\": 16, \"speedup\": 0.98765432}"
        );
    }
}

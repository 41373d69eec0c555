//! numexpr's own test matrix (and our extensions), answered by NumPy, replayed through
//! `numjit::eval`.
//!
//! The cases live in `tests/data/numpy_cases/*.tsv`, written by `scripts/make_numpy_cases.py`
//! (see its docstring for the format and for how NumPy is asked). Each case must give:
//!
//! * the same shape and dtype as NumPy (where NumPy gives int8 or float16 for bool operands,
//!   numjit deliberately gives int64 or float64; the script records the substituted dtype and
//!   notes the substitution);
//! * the same values: bool and int64 exactly; float64 bit for bit (sign of zero included, any
//!   NaN matching any NaN), except that
//!   - with a transcendental function or `**`, values may differ by 2 ulp, or by what a 2-ulp
//!     error in each such operation becomes after the operations that follow it (recorded per
//!     element by the script where that is more than 2 ulp of the result, e.g. cancellation in
//!     `a + arctanh(b+c)`); ±inf and NaN stay exact;
//!   - with `maximum`/`minimum` the sign of a zero is not compared, because NumPy's choice on
//!     ties is platform-specific (x86-64, where the cases were recorded: the second operand;
//!     aarch64: IEEE fmax/fmin). `NUMJIT_ORACLE_STRICT_ZERO_SIGN=1` compares it too;
//! * an error of kind `ErrorKind::DType` where NumPy refuses the expression;
//! * for "partial" cases (NumPy refuses an integer to a negative power found in the data,
//!   numjit documents a value instead): an error, or NumPy's values where NumPy has them.
//!
//! Every failure is collected and printed (expression, dtypes, index, inputs there, got, want)
//! before the test fails.

use ndarray::ArrayD;
use numjit::{Array, ErrorKind, Vars};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

/// Expected element values; `None` is an element NumPy refuses (partial cases).
#[derive(Debug)]
enum Values {
    Bool(Vec<Option<bool>>),
    Int64(Vec<Option<i64>>),
    Float64(Vec<Option<f64>>),
}

impl Values {
    fn parse(dtype: &str, text: &str) -> Result<Values, String> {
        fn each<T>(text: &str, f: impl Fn(&str) -> Option<T>) -> Result<Vec<Option<T>>, String> {
            text.split_whitespace()
                .map(|w| {
                    if w == "?" {
                        Ok(None)
                    } else {
                        f(w).map(Some).ok_or_else(|| format!("bad value `{w}`"))
                    }
                })
                .collect()
        }
        Ok(match dtype {
            "bool" => Values::Bool(each(text, |w| match w {
                "0" => Some(false),
                "1" => Some(true),
                _ => None,
            })?),
            "int64" => Values::Int64(each(text, |w| w.parse().ok())?),
            "float64" => Values::Float64(each(text, |w| w.parse().ok())?),
            _ => return Err(format!("unknown dtype `{dtype}`")),
        })
    }

    fn len(&self) -> usize {
        match self {
            Values::Bool(v) => v.len(),
            Values::Int64(v) => v.len(),
            Values::Float64(v) => v.len(),
        }
    }

    /// Values without `?`, as an array (inputs).
    fn into_array(self, shape: &[usize]) -> Result<Array, String> {
        fn full<T>(v: Vec<Option<T>>, shape: &[usize]) -> Result<ArrayD<T>, String> {
            let v: Option<Vec<T>> = v.into_iter().collect();
            let v = v.ok_or("`?` in an input")?;
            ArrayD::from_shape_vec(shape, v).map_err(|e| e.to_string())
        }
        Ok(match self {
            Values::Bool(v) => Array::Bool(full(v, shape)?),
            Values::Int64(v) => Array::Int64(full(v, shape)?),
            Values::Float64(v) => Array::Float64(full(v, shape)?),
        })
    }
}

#[derive(Debug)]
enum Binding {
    Input(String),
    Bool(bool),
    Int64(i64),
    Float64(f64),
}

#[derive(Debug, Clone, PartialEq)]
enum Tol {
    /// Bit for bit (any NaN matches any NaN).
    Exact,
    /// Bit for bit except the sign of a zero: expressions with `maximum`/`minimum`, whose
    /// choice between +0 and -0 on ties NumPy leaves to the platform (x86-64 returns the
    /// second operand, aarch64 uses fmax/fmin, the documentation says the first).
    ExactButZeroSign,
    /// Within 2 ulp, or, per element where given (non-zero), within this absolute error: what
    /// a 2-ulp error in each transcendental function or `**` implies after the operations that
    /// follow it (e.g. `a + log1p(b)` where `a` nearly cancels `log1p(b)`); computed by
    /// the script by perturbing each such operation.
    Ulp2(Option<Vec<f64>>),
}

#[derive(Debug)]
enum Want {
    Ok {
        dtype: String,
        shape: Vec<usize>,
        values: Values,
        partial: bool,
    },
    Err(String),
}

#[derive(Debug)]
struct Case {
    file: String,
    line: usize,
    id: String,
    section: String,
    dtypes: String,
    variant: String,
    expr: String,
    bindings: Vec<(String, Binding)>,
    tol: Tol,
    note: String,
    want: Want,
}

impl Case {
    fn label(&self) -> String {
        let binds: Vec<String> = self
            .bindings
            .iter()
            .map(|(n, b)| match b {
                Binding::Input(k) => format!("{n}={k}"),
                Binding::Bool(v) => format!("{n}={v}"),
                Binding::Int64(v) => format!("{n}={v}i64"),
                Binding::Float64(v) => format!("{n}={v:?}f64"),
            })
            .collect();
        format!(
            "case {} ({}:{}) [{} {} scalar-variant {}] `{}` with {}",
            self.id,
            self.file,
            self.line,
            self.section,
            self.dtypes,
            self.variant,
            self.expr,
            if binds.is_empty() {
                "no inputs".to_string()
            } else {
                binds.join(", ")
            }
        )
    }
}

fn parse_shape(s: &str) -> Result<Vec<usize>, String> {
    let inner = s
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .ok_or_else(|| format!("bad shape `{s}`"))?;
    if inner.is_empty() {
        return Ok(vec![]);
    }
    inner
        .split(',')
        .map(|d| d.parse().map_err(|_| format!("bad shape `{s}`")))
        .collect()
}

fn parse_binding(s: &str) -> Result<(String, Binding), String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("bad binding `{s}`"))?;
    let b = match value.split_once(':') {
        None => Binding::Input(value.to_string()),
        Some((dt, v)) => {
            let bad = || format!("bad scalar binding `{s}`");
            match dt {
                "bool" => Binding::Bool(v == "1"),
                "int64" => Binding::Int64(v.parse().map_err(|_| bad())?),
                "float64" => Binding::Float64(v.parse().map_err(|_| bad())?),
                _ => return Err(bad()),
            }
        }
    };
    Ok((name.to_string(), b))
}

fn parse_file(
    file: &str,
    text: &str,
    inputs: &mut HashMap<String, Array>,
    cases: &mut Vec<Case>,
) -> Result<(), String> {
    for (i, line) in text.lines().enumerate() {
        let lineno = i + 1;
        let ctx = |e: String| format!("line {lineno}: {e}");
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        match f[0] {
            "input" => {
                if f.len() != 5 {
                    return Err(ctx(format!("input has {} fields, want 5", f.len())));
                }
                let shape = parse_shape(f[3]).map_err(ctx)?;
                let v = Values::parse(f[2], f[4]).map_err(ctx)?;
                inputs.insert(f[1].to_string(), v.into_array(&shape).map_err(ctx)?);
            }
            "case" => {
                if f.len() < 11 {
                    return Err(ctx(format!(
                        "case has {} fields, want at least 11",
                        f.len()
                    )));
                }
                let bindings = if f[6] == "-" {
                    vec![]
                } else {
                    f[6].split(',')
                        .map(parse_binding)
                        .collect::<Result<_, _>>()
                        .map_err(ctx)?
                };
                let tol = match f[7] {
                    "exact" => Tol::Exact,
                    "exact0" => Tol::ExactButZeroSign,
                    "ulp2" => Tol::Ulp2(None),
                    t => match t.strip_prefix("ulp2:") {
                        Some(v) => Tol::Ulp2(Some(
                            v.split(' ')
                                .map(|x| x.parse().map_err(|_| ctx(format!("bad tolerance `{x}`"))))
                                .collect::<Result<_, _>>()?,
                        )),
                        None => return Err(ctx(format!("bad tolerance `{t}`"))),
                    },
                };
                let want = match (f[9], f.len()) {
                    ("err", 11) => Want::Err(f[10].to_string()),
                    ("ok" | "partial", 13) => {
                        let shape = parse_shape(f[11]).map_err(ctx)?;
                        let values = Values::parse(f[10], f[12]).map_err(ctx)?;
                        if values.len() != shape.iter().product::<usize>() {
                            return Err(ctx("value count does not match the shape".into()));
                        }
                        Want::Ok {
                            dtype: f[10].to_string(),
                            shape,
                            values,
                            partial: f[9] == "partial",
                        }
                    }
                    (k, n) => return Err(ctx(format!("bad result `{k}` with {n} fields"))),
                };
                if let (Tol::Ulp2(Some(e)), Want::Ok { shape, .. }) = (&tol, &want) {
                    if e.len() != shape.iter().product::<usize>() {
                        return Err(ctx("tolerance count does not match the shape".into()));
                    }
                }
                cases.push(Case {
                    file: file.to_string(),
                    line: lineno,
                    id: f[1].to_string(),
                    section: f[2].to_string(),
                    dtypes: f[3].to_string(),
                    variant: f[4].to_string(),
                    expr: f[5].to_string(),
                    bindings,
                    tol,
                    note: f[8].to_string(),
                    want,
                });
            }
            k => return Err(ctx(format!("unknown record `{k}`"))),
        }
    }
    Ok(())
}

/// Distance in representable doubles (+0 and -0 are the same point).
fn ulps(a: f64, b: f64) -> u64 {
    fn key(x: f64) -> i64 {
        let b = x.to_bits() as i64;
        if b < 0 {
            i64::MIN - b
        } else {
            b
        }
    }
    key(a).abs_diff(key(b))
}

/// Whether `got` (element `k`) is acceptable for `want`, and the ulp distance (for the report).
fn float_ok(got: f64, want: f64, tol: &Tol, k: usize) -> (bool, u64) {
    if want.is_nan() || got.is_nan() {
        return (want.is_nan() && got.is_nan(), 0);
    }
    if want.is_infinite() || got.is_infinite() {
        return (got == want, 0);
    }
    let d = ulps(got, want);
    match tol {
        Tol::Exact => (got.to_bits() == want.to_bits(), d),
        Tol::ExactButZeroSign if !strict_zero_sign() => (got == want, d),
        Tol::ExactButZeroSign => (got.to_bits() == want.to_bits(), d),
        Tol::Ulp2(extra) => {
            let wider = extra.as_ref().map_or(0.0, |e| e[k]);
            (d <= 2 || (got - want).abs() <= wider, d)
        }
    }
}

/// With `NUMJIT_ORACLE_STRICT_ZERO_SIGN=1`, maximum/minimum must also match the sign of a
/// zero that NumPy gives on this machine (the cases were recorded on x86-64).
fn strict_zero_sign() -> bool {
    static STRICT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *STRICT.get_or_init(|| {
        std::env::var_os("NUMJIT_ORACLE_STRICT_ZERO_SIGN").is_some_and(|v| v == "1")
    })
}

/// The flat index `flat` of an array of `shape` as a multi-index.
fn unravel(mut flat: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for (k, &n) in shape.iter().enumerate().rev() {
        if n > 0 {
            idx[k] = flat % n;
            flat /= n;
        }
    }
    idx
}

fn element(a: &Array, out_idx: &[usize]) -> String {
    // Broadcasting: align trailing axes, length-1 axes repeat.
    let off = out_idx.len() - a.shape().len();
    let idx: Vec<usize> = a
        .shape()
        .iter()
        .enumerate()
        .map(|(k, &n)| if n == 1 { 0 } else { out_idx[off + k] })
        .collect();
    match a {
        Array::Bool(x) => format!("{}", x[idx.as_slice()]),
        Array::Int64(x) => format!("{}", x[idx.as_slice()]),
        Array::Float64(x) => format!("{:?}", x[idx.as_slice()]),
    }
}

fn inputs_at(case: &Case, inputs: &HashMap<String, Array>, idx: &[usize]) -> String {
    let parts: Vec<String> = case
        .bindings
        .iter()
        .map(|(n, b)| match b {
            Binding::Input(k) => format!("{n}={}", element(&inputs[k], idx)),
            Binding::Bool(v) => format!("{n}={v}"),
            Binding::Int64(v) => format!("{n}={v}"),
            Binding::Float64(v) => format!("{n}={v:?}"),
        })
        .collect();
    parts.join(" ")
}

#[derive(Default)]
struct Stats {
    ok: usize,
    refused: usize,
    partial_err: usize,
    partial_ok: usize,
    substituted: usize,
    /// Largest ulp distance accepted under a plain 2-ulp tolerance, with its case label.
    max_ulps: (u64, String),
}

/// Checks one case; on failure returns the report lines.
fn check(case: &Case, inputs: &HashMap<String, Array>, stats: &mut Stats) -> Result<(), String> {
    let mut vars = Vars::new();
    for (name, b) in &case.bindings {
        vars = match b {
            Binding::Input(k) => vars.bind(name.as_str(), &inputs[k]),
            Binding::Bool(v) => vars.bind(name.as_str(), *v),
            Binding::Int64(v) => vars.bind(name.as_str(), *v),
            Binding::Float64(v) => vars.bind(name.as_str(), *v),
        };
    }
    // A panic is a failure of this case, not of the whole run.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        numjit::eval(&case.expr, vars)
    }))
    .map_err(|p| {
        let msg = p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        format!("{}\n    numjit panicked: {msg}", case.label())
    })?;
    let got = match (&case.want, result) {
        (Want::Err(np), Ok(got)) => {
            return Err(format!(
                "{}\n    NumPy refuses ({np}) but numjit returned {} {:?}: {}",
                case.label(),
                got.dtype(),
                got.shape(),
                summarize(&got)
            ))
        }
        (Want::Err(np), Err(e)) => {
            if e.kind() != ErrorKind::DType {
                return Err(format!(
                    "{}\n    NumPy refuses ({np}); numjit refuses too but with kind {:?}, want DType: {}",
                    case.label(),
                    e.kind(),
                    one_line(&e.to_string())
                ));
            }
            stats.refused += 1;
            return Ok(());
        }
        (Want::Ok { partial: true, .. }, Err(_)) => {
            stats.partial_err += 1;
            return Ok(());
        }
        (Want::Ok { .. }, Err(e)) => {
            return Err(format!(
                "{}\n    NumPy gives a result but numjit refuses ({:?}): {}",
                case.label(),
                e.kind(),
                one_line(&e.to_string())
            ))
        }
        (Want::Ok { .. }, Ok(got)) => got,
    };
    let Want::Ok {
        dtype,
        shape,
        values,
        partial,
    } = &case.want
    else {
        unreachable!()
    };
    if got.dtype().name() != dtype {
        return Err(format!(
            "{}\n    dtype: got {}, want {dtype}{}; got values {}",
            case.label(),
            got.dtype(),
            if case.note == "-" {
                String::new()
            } else {
                format!(" (NumPy's, after {})", case.note)
            },
            summarize(&got)
        ));
    }
    if got.shape() != shape.as_slice() {
        return Err(format!(
            "{}\n    shape: got {:?}, want {shape:?}",
            case.label(),
            got.shape()
        ));
    }
    let mut bad = Vec::new();
    let mut worst = 0u64;
    let mut mismatch = |flat: usize, got: String, want: String, extra: String| {
        bad.push((flat, got, want, extra));
    };
    match (&got, values) {
        (Array::Bool(g), Values::Bool(w)) => {
            for (k, (g, w)) in g.iter().zip(w).enumerate() {
                if let Some(w) = w {
                    if g != w {
                        mismatch(k, g.to_string(), w.to_string(), String::new());
                    }
                }
            }
        }
        (Array::Int64(g), Values::Int64(w)) => {
            for (k, (g, w)) in g.iter().zip(w).enumerate() {
                if let Some(w) = w {
                    if g != w {
                        mismatch(k, g.to_string(), w.to_string(), String::new());
                    }
                }
            }
        }
        (Array::Float64(g), Values::Float64(w)) => {
            for (k, (g, w)) in g.iter().zip(w).enumerate() {
                if let Some(w) = w {
                    let (ok, d) = float_ok(*g, *w, &case.tol, k);
                    if ok {
                        if !matches!(&case.tol, Tol::Ulp2(Some(e)) if e[k] > 0.0) {
                            worst = worst.max(d);
                        }
                    } else {
                        let extra = if d > 0 && g.is_finite() && w.is_finite() {
                            let tol = match &case.tol {
                                Tol::Exact => "exact".to_string(),
                                Tol::ExactButZeroSign => "exact but the sign of zero".to_string(),
                                Tol::Ulp2(Some(e)) if e[k] > 0.0 => format!("2 ulp or {:e}", e[k]),
                                Tol::Ulp2(_) => "2 ulp".to_string(),
                            };
                            format!(" ({d} ulp apart; tolerance {tol})")
                        } else {
                            String::new()
                        };
                        mismatch(k, format!("{g:?}"), format!("{w:?}"), extra);
                    }
                }
            }
        }
        _ => unreachable!("dtypes were compared above"),
    }
    if bad.is_empty() {
        if *partial {
            stats.partial_ok += 1;
        } else {
            stats.ok += 1;
        }
        if case.note != "-" {
            stats.substituted += 1;
        }
        if worst > stats.max_ulps.0 {
            stats.max_ulps = (worst, case.label());
        }
        return Ok(());
    }
    let mut msg = case.label();
    if case.note != "-" {
        let _ = write!(msg, " (dtype substitution: {})", case.note);
    }
    for (flat, g, w, extra) in &bad {
        let idx = unravel(*flat, shape);
        let _ = write!(
            msg,
            "\n    at {idx:?} [{}]: got {g}, want {w}{extra}",
            inputs_at(case, inputs, &idx)
        );
    }
    Err(msg)
}

/// Loads every `*.tsv` file in tests/data/numpy_cases.
fn load() -> (HashMap<String, Array>, Vec<Case>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/numpy_cases");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "tsv"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .tsv files in {}", dir.display());
    let mut inputs = HashMap::new();
    let mut cases = Vec::new();
    for f in &files {
        let text =
            std::fs::read_to_string(f).unwrap_or_else(|e| panic!("reading {}: {e}", f.display()));
        let name = f
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned());
        parse_file(&name, &text, &mut inputs, &mut cases)
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
    }
    for c in &cases {
        for (_, b) in &c.bindings {
            if let Binding::Input(k) = b {
                assert!(inputs.contains_key(k), "{}: unknown input `{k}`", c.label());
            }
        }
    }
    (inputs, cases)
}

#[test]
fn numpy_oracle_cases_load() {
    let (_, cases) = load();
    assert!(cases.len() > 1000, "only {} cases", cases.len());
    // The only dtype substitutions the cases may make are numjit's documented ones.
    for c in &cases {
        for n in c.note.split(',') {
            assert!(
                matches!(n, "-" | "int8->int64" | "float16->float64"),
                "{}: unexpected note `{n}`",
                c.label()
            );
        }
    }
}

#[test]
fn numpy_oracle() {
    let (inputs, cases) = load();
    let mut stats = Stats::default();
    let mut failures = Vec::new();
    for c in &cases {
        if let Err(msg) = check(c, &inputs, &mut stats) {
            failures.push(msg);
        }
    }
    println!(
        "numpy oracle: {} cases: {} match NumPy ({} with int8/float16 substituted), {} refused as NumPy \
         refuses, {} data-dependent refusals answered with an error and {} with NumPy's defined \
         values; {} failures",
        cases.len(),
        stats.ok,
        stats.substituted,
        stats.refused,
        stats.partial_err,
        stats.partial_ok,
        failures.len()
    );
    if stats.max_ulps.0 > 0 {
        println!(
            "largest ulp distance accepted: {} in {}",
            stats.max_ulps.0, stats.max_ulps.1
        );
    }
    if !failures.is_empty() {
        let mut report = String::new();
        for f in &failures {
            report.push_str(f);
            report.push('\n');
        }
        panic!(
            "{} of {} NumPy oracle cases fail:\n{report}{} of {} NumPy oracle cases fail (listed above)",
            failures.len(),
            cases.len(),
            failures.len(),
            cases.len()
        );
    }
}

fn summarize(a: &Array) -> String {
    let s = match a {
        Array::Bool(x) => format!("{:?}", x.iter().collect::<Vec<_>>()),
        Array::Int64(x) => format!("{:?}", x.iter().collect::<Vec<_>>()),
        Array::Float64(x) => format!("{:?}", x.iter().collect::<Vec<_>>()),
    };
    if s.len() > 300 {
        format!("{}...", &s[..300])
    } else {
        s
    }
}

fn one_line(s: &str) -> String {
    s.split('\n')
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join(" | ")
}

//! numexpr's own test matrix (and our extensions), answered by NumPy: loading the cases and
//! comparing an answer with NumPy's. Shared by the engine's `numpy_oracle` tests (through
//! `numjit::eval` and the reference interpreter `numjit::interpret`) and the command's
//! `numexpr_cli` tests.
//!
//! The cases live in `tests/data/numpy_cases/*.tsv`, written by `scripts/make_numpy_cases.py`
//! (see its docstring for the format, the dtype sets, and for how NumPy is asked). Each case must
//! give:
//!
//! * the same shape and dtype as NumPy (where NumPy gives int8 or float16 for bool operands,
//!   numjit deliberately gives int64 or float64, and complex128 where NumPy gives complex64 for
//!   float32 with a complex literal; the script records the substituted dtype and notes the
//!   substitution);
//! * the same values: bool, int32 and int64 exactly; float32, float64 and each part of a
//!   complex128 bit for bit (sign of zero included, any NaN matching any NaN), except that
//!   - with an approximate operation (a transcendental function, `**`, complex `*` and `/`,
//!     float32 `//`) values may differ by N ulp of their own dtype (`ulpN`: 2 for real results,
//!     4 per part for complex ones, 1 for float32 `//`), or by what that error in each such
//!     operation becomes after the operations that follow it (recorded per element, and per
//!     part, by the script where that is more than N ulp of the result, e.g. cancellation in
//!     `a + arctanh(b+c)`); ±inf and NaN stay exact;
//!   - with `maximum`/`minimum` the sign of a zero is not compared, because NumPy's choice on
//!     ties is platform-specific (x86-64, where the cases were recorded: the second operand;
//!     aarch64: IEEE fmax/fmin). `NUMJIT_ORACLE_STRICT_ZERO_SIGN=1` compares it too;
//! * an error of kind `ErrorKind::DType` where NumPy refuses the expression;
//! * for "partial" cases (NumPy refuses an integer to a negative power found in the data,
//!   numjit documents a value instead): an error, or NumPy's values where NumPy has them.
//!
//! Every failure is collected and printed (expression, dtypes, index, inputs there, got, want)
//! before the test fails. The parsing and the comparison are shared with `numexpr_cli.rs`, which
//! replays the numexpr sections through the `numjit eval` command.

use ndarray::ArrayD;
use numjit::{Array, Complex64, ErrorKind, Vars};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::Path;

/// Expected element values; `None` is an element NumPy refuses (partial cases).
#[derive(Debug)]
pub(crate) enum Values {
    Bool(Vec<Option<bool>>),
    Int32(Vec<Option<i32>>),
    Int64(Vec<Option<i64>>),
    Float32(Vec<Option<f32>>),
    Float64(Vec<Option<f64>>),
    Complex128(Vec<Option<Complex64>>),
}

fn parse_complex(w: &str) -> Option<Complex64> {
    let (re, im) = w.split_once(',')?;
    Some(Complex64::new(re.parse().ok()?, im.parse().ok()?))
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
            "int32" => Values::Int32(each(text, |w| w.parse().ok())?),
            "int64" => Values::Int64(each(text, |w| w.parse().ok())?),
            "float32" => Values::Float32(each(text, |w| w.parse().ok())?),
            "float64" => Values::Float64(each(text, |w| w.parse().ok())?),
            "complex128" => Values::Complex128(each(text, parse_complex)?),
            _ => return Err(format!("unknown dtype `{dtype}`")),
        })
    }

    fn len(&self) -> usize {
        match self {
            Values::Bool(v) => v.len(),
            Values::Int32(v) => v.len(),
            Values::Int64(v) => v.len(),
            Values::Float32(v) => v.len(),
            Values::Float64(v) => v.len(),
            Values::Complex128(v) => v.len(),
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
            Values::Int32(v) => Array::Int32(full(v, shape)?),
            Values::Int64(v) => Array::Int64(full(v, shape)?),
            Values::Float32(v) => Array::Float32(full(v, shape)?),
            Values::Float64(v) => Array::Float64(full(v, shape)?),
            Values::Complex128(v) => Array::Complex128(full(v, shape)?),
        })
    }
}

/// What a name is bound to: a recorded input array, or a 0-d value of a dtype.
#[derive(Debug, Clone)]
pub(crate) enum Binding {
    Input(String),
    Bool(bool),
    Int32(i32),
    Int64(i64),
    Float32(f32),
    Float64(f64),
    Complex128(Complex64),
}

impl Binding {
    /// The 0-d array of a scalar binding (`None` for an input).
    pub(crate) fn scalar_array(&self) -> Option<Array> {
        let d = ndarray::IxDyn(&[]);
        Some(match *self {
            Binding::Input(_) => return None,
            Binding::Bool(v) => Array::Bool(ArrayD::from_elem(d, v)),
            Binding::Int32(v) => Array::Int32(ArrayD::from_elem(d, v)),
            Binding::Int64(v) => Array::Int64(ArrayD::from_elem(d, v)),
            Binding::Float32(v) => Array::Float32(ArrayD::from_elem(d, v)),
            Binding::Float64(v) => Array::Float64(ArrayD::from_elem(d, v)),
            Binding::Complex128(v) => Array::Complex128(ArrayD::from_elem(d, v)),
        })
    }

    fn show(&self) -> String {
        match self {
            Binding::Input(k) => k.clone(),
            Binding::Bool(v) => format!("{v}"),
            Binding::Int32(v) => format!("{v}i32"),
            Binding::Int64(v) => format!("{v}i64"),
            Binding::Float32(v) => format!("{v:?}f32"),
            Binding::Float64(v) => format!("{v:?}f64"),
            Binding::Complex128(v) => format!("{}c128", show_c(v)),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tol {
    /// Bit for bit (any NaN matches any NaN).
    Exact,
    /// Bit for bit except the sign of a zero: expressions with `maximum`/`minimum`, whose
    /// choice between +0 and -0 on ties NumPy leaves to the platform (x86-64 returns the
    /// second operand, aarch64 uses fmax/fmin, the documentation says the first).
    ExactButZeroSign,
    /// Within `n` ulp of the result's dtype (per part for complex), or, per element (and part)
    /// where given (non-zero), within this absolute error: what the allowance of each
    /// approximate operation implies after the operations that follow it (e.g. `a + log1p(b)`
    /// where `a` nearly cancels `log1p(b)`); computed by the script by perturbing each such
    /// operation.
    Ulp(u64, Option<Vec<[f64; 2]>>),
}

impl Tol {
    fn describe(&self, k: usize, part: usize) -> String {
        match self {
            Tol::Exact => "exact".to_string(),
            Tol::ExactButZeroSign => "exact but the sign of zero".to_string(),
            Tol::Ulp(n, Some(e)) if e[k][part] > 0.0 => format!("{n} ulp or {:e}", e[k][part]),
            Tol::Ulp(n, _) => format!("{n} ulp"),
        }
    }
}

#[derive(Debug)]
pub(crate) enum Want {
    Ok {
        dtype: String,
        shape: Vec<usize>,
        values: Values,
        partial: bool,
    },
    Err(String),
}

#[derive(Debug)]
pub(crate) struct Case {
    pub(crate) file: String,
    pub(crate) line: usize,
    pub(crate) id: String,
    pub(crate) section: String,
    pub(crate) dtypes: String,
    pub(crate) variant: String,
    pub(crate) expr: String,
    pub(crate) bindings: Vec<(String, Binding)>,
    pub(crate) tol: Tol,
    pub(crate) note: String,
    pub(crate) want: Want,
}

impl Case {
    pub(crate) fn label(&self) -> String {
        let binds: Vec<String> = self
            .bindings
            .iter()
            .map(|(n, b)| format!("{n}={}", b.show()))
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

    /// Whether the case comes from numexpr's own lists (not our EXTRA section).
    pub(crate) fn is_numexpr(&self) -> bool {
        self.section != "EXTRA"
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
                "int32" => Binding::Int32(v.parse().map_err(|_| bad())?),
                "int64" => Binding::Int64(v.parse().map_err(|_| bad())?),
                "float32" => Binding::Float32(v.parse().map_err(|_| bad())?),
                "float64" => Binding::Float64(v.parse().map_err(|_| bad())?),
                "complex128" => Binding::Complex128(parse_complex(v).ok_or_else(bad)?),
                _ => return Err(bad()),
            }
        }
    };
    Ok((name.to_string(), b))
}

/// `a=x,b=complex128:1.0,2.0` → the bindings: a comma starts a new binding only when what
/// follows has an `=` (a complex scalar's `re,im` has none).
fn split_bindings(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for piece in s.split(',') {
        match out.last_mut() {
            Some(last) if !piece.contains('=') => {
                last.push(',');
                last.push_str(piece);
            }
            _ => out.push(piece.to_string()),
        }
    }
    out
}

fn parse_tol(t: &str) -> Result<Tol, String> {
    Ok(match t {
        "exact" => Tol::Exact,
        "exact0" => Tol::ExactButZeroSign,
        _ => {
            let rest = t
                .strip_prefix("ulp")
                .ok_or_else(|| format!("bad tolerance `{t}`"))?;
            let (n, extra) = match rest.split_once(':') {
                None => (rest, None),
                Some((n, e)) => (n, Some(e)),
            };
            let n: u64 = n.parse().map_err(|_| format!("bad tolerance `{t}`"))?;
            let extra = extra
                .map(|e| {
                    e.split(' ')
                        .map(|x| {
                            let bad = || format!("bad tolerance `{x}`");
                            match x.split_once(',') {
                                None => {
                                    let v: f64 = x.parse().map_err(|_| bad())?;
                                    Ok([v, v])
                                }
                                Some((re, im)) => Ok([
                                    re.parse().map_err(|_| bad())?,
                                    im.parse().map_err(|_| bad())?,
                                ]),
                            }
                        })
                        .collect::<Result<Vec<_>, String>>()
                })
                .transpose()?;
            Tol::Ulp(n, extra)
        }
    })
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
                    split_bindings(f[6])
                        .iter()
                        .map(|b| parse_binding(b))
                        .collect::<Result<_, _>>()
                        .map_err(ctx)?
                };
                let tol = parse_tol(f[7]).map_err(ctx)?;
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
                if let (Tol::Ulp(_, Some(e)), Want::Ok { shape, .. }) = (&tol, &want) {
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

/// Distance in representable floats (+0 and -0 are the same point).
fn ulps32(a: f32, b: f32) -> u64 {
    fn key(x: f32) -> i64 {
        let b = x.to_bits() as i32;
        if b < 0 {
            (i32::MIN - b) as i64
        } else {
            b as i64
        }
    }
    key(a).abs_diff(key(b))
}

/// A float of either width, compared in its own precision.
#[derive(Clone, Copy)]
enum Fl {
    F32(f32),
    F64(f64),
}

impl Fl {
    fn wide(self) -> f64 {
        match self {
            Fl::F32(x) => x as f64,
            Fl::F64(x) => x,
        }
    }
}

/// Whether `got` (element `k`, part `part`) is acceptable for `want`, and the ulp distance
/// (for the report).
fn float_ok(got: Fl, want: Fl, tol: &Tol, k: usize, part: usize) -> (bool, u64) {
    let (g, w) = (got.wide(), want.wide());
    if w.is_nan() || g.is_nan() {
        return (w.is_nan() && g.is_nan(), 0);
    }
    if w.is_infinite() || g.is_infinite() {
        return (g == w, 0);
    }
    let (d, same_bits) = match (got, want) {
        (Fl::F32(g), Fl::F32(w)) => (ulps32(g, w), g.to_bits() == w.to_bits()),
        _ => (ulps(g, w), g.to_bits() == w.to_bits()),
    };
    match tol {
        Tol::Exact => (same_bits, d),
        Tol::ExactButZeroSign if !strict_zero_sign() => (g == w, d),
        Tol::ExactButZeroSign => (same_bits, d),
        Tol::Ulp(n, extra) => {
            let wider = extra.as_ref().map_or(0.0, |e| e[k][part]);
            (d <= *n || (g - w).abs() <= wider, d)
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

fn show_c(z: &Complex64) -> String {
    let im = if z.im.is_nan() {
        "+NaN".to_string()
    } else {
        format!("{:+?}", z.im)
    };
    format!("({:?}{im}j)", z.re)
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
    let i = idx.as_slice();
    match a {
        Array::Bool(x) => format!("{}", x[i]),
        Array::Int32(x) => format!("{}", x[i]),
        Array::Int64(x) => format!("{}", x[i]),
        Array::Float32(x) => format!("{:?}", x[i]),
        Array::Float64(x) => format!("{:?}", x[i]),
        Array::Complex128(x) => show_c(&x[i]),
    }
}

fn inputs_at(case: &Case, inputs: &HashMap<String, Array>, idx: &[usize]) -> String {
    let parts: Vec<String> = case
        .bindings
        .iter()
        .map(|(n, b)| match b {
            Binding::Input(k) => format!("{n}={}", element(&inputs[k], idx)),
            b => format!("{n}={}", b.show()),
        })
        .collect();
    parts.join(" ")
}

/// What the replays counted.
#[derive(Default)]
pub(crate) struct Stats {
    pub(crate) ok: usize,
    pub(crate) refused: usize,
    pub(crate) partial_err: usize,
    pub(crate) partial_ok: usize,
    pub(crate) substituted: usize,
    /// Cases per (section, dtype set).
    pub(crate) per_set: BTreeMap<(String, String), usize>,
    /// Largest ulp distance accepted under a plain ulp tolerance, with its case label.
    pub(crate) max_ulps: (u64, String),
}

impl Stats {
    pub(crate) fn summary(&self, what: &str, cases: usize, failures: usize) -> String {
        let mut s = format!(
            "{what}: {cases} cases: {} match NumPy ({} with a dtype substituted), {} refused \
             as NumPy refuses, {} data-dependent refusals answered with an error and {} with \
             NumPy's defined values; {failures} failures",
            self.ok, self.substituted, self.refused, self.partial_err, self.partial_ok
        );
        if self.max_ulps.0 > 0 {
            let _ = write!(
                s,
                "\nlargest ulp distance accepted: {} in {}",
                self.max_ulps.0, self.max_ulps.1
            );
        }
        let mut by_set: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
        for ((section, set), n) in &self.per_set {
            *by_set
                .entry(set.as_str())
                .or_default()
                .entry(section.as_str())
                .or_default() += n;
        }
        for (set, sections) in by_set {
            let parts: Vec<String> = sections.iter().map(|(s, n)| format!("{s} {n}")).collect();
            let _ = write!(s, "\n  {set:<11} {}", parts.join(", "));
        }
        s
    }
}

/// Checks a result numjit gave against the case's expected values; on failure returns the
/// report lines. (The caller has handled errors, and `Want::Err`.)
pub(crate) fn check_value(
    case: &Case,
    got: &Array,
    inputs: &HashMap<String, Array>,
    stats: &mut Stats,
) -> Result<(), String> {
    let Want::Ok {
        dtype,
        shape,
        values,
        partial,
    } = &case.want
    else {
        return Err(format!(
            "{}\n    NumPy refuses but numjit returned {} {:?}: {}",
            case.label(),
            got.dtype(),
            got.shape(),
            summarize(got)
        ));
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
            summarize(got)
        ));
    }
    if got.shape() != shape.as_slice() {
        return Err(format!(
            "{}\n    shape: got {:?}, want {shape:?}",
            case.label(),
            got.shape()
        ));
    }
    let mut bad: Vec<(usize, String, String, String)> = Vec::new();
    let mut worst = 0u64;
    let tol = &case.tol;
    let widened = |k: usize| matches!(tol, Tol::Ulp(_, Some(e)) if e[k] != [0.0, 0.0]);
    // Compares one float (part `part` of element `k`); returns whether it is acceptable and
    // the report suffix when not.
    let mut one = |k: usize, part: usize, g: Fl, w: Fl| -> Option<String> {
        let (ok, d) = float_ok(g, w, tol, k, part);
        if ok {
            if !widened(k) {
                worst = worst.max(d);
            }
            return None;
        }
        let (gw, ww) = (g.wide(), w.wide());
        Some(if d > 0 && gw.is_finite() && ww.is_finite() {
            format!(" ({d} ulp apart; tolerance {})", tol.describe(k, part))
        } else {
            String::new()
        })
    };
    match (got, values) {
        (Array::Bool(g), Values::Bool(w)) => exact_each(g.iter(), w, &mut bad),
        (Array::Int32(g), Values::Int32(w)) => exact_each(g.iter(), w, &mut bad),
        (Array::Int64(g), Values::Int64(w)) => exact_each(g.iter(), w, &mut bad),
        (Array::Float32(g), Values::Float32(w)) => {
            for (k, (g, w)) in g.iter().zip(w).enumerate() {
                if let Some(w) = w {
                    if let Some(extra) = one(k, 0, Fl::F32(*g), Fl::F32(*w)) {
                        bad.push((k, format!("{g:?}"), format!("{w:?}"), extra));
                    }
                }
            }
        }
        (Array::Float64(g), Values::Float64(w)) => {
            for (k, (g, w)) in g.iter().zip(w).enumerate() {
                if let Some(w) = w {
                    if let Some(extra) = one(k, 0, Fl::F64(*g), Fl::F64(*w)) {
                        bad.push((k, format!("{g:?}"), format!("{w:?}"), extra));
                    }
                }
            }
        }
        (Array::Complex128(g), Values::Complex128(w)) => {
            for (k, (g, w)) in g.iter().zip(w).enumerate() {
                if let Some(w) = w {
                    let re = one(k, 0, Fl::F64(g.re), Fl::F64(w.re));
                    let im = one(k, 1, Fl::F64(g.im), Fl::F64(w.im));
                    if re.is_some() || im.is_some() {
                        let mut extra = String::new();
                        if let Some(e) = re {
                            let _ = write!(
                                extra,
                                " real part{}",
                                if e.is_empty() { " differs" } else { &e }
                            );
                        }
                        if let Some(e) = im {
                            let _ = write!(
                                extra,
                                " imaginary part{}",
                                if e.is_empty() { " differs" } else { &e }
                            );
                        }
                        bad.push((k, show_c(g), show_c(w), format!(";{extra}")));
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

fn exact_each<'a, T: PartialEq + std::fmt::Display + 'a>(
    got: impl Iterator<Item = &'a T>,
    want: &[Option<T>],
    bad: &mut Vec<(usize, String, String, String)>,
) {
    for (k, (g, w)) in got.zip(want).enumerate() {
        if let Some(w) = w {
            if g != w {
                bad.push((k, g.to_string(), w.to_string(), String::new()));
            }
        }
    }
}

/// How one engine entry point answered a case.
pub(crate) type Engine = fn(&str, Vars<'_>) -> Result<Array, numjit::Error>;

/// Checks one case through `engine`; on failure returns the report lines.
pub(crate) fn check(
    case: &Case,
    inputs: &HashMap<String, Array>,
    engine: Engine,
    stats: &mut Stats,
) -> Result<(), String> {
    *stats
        .per_set
        .entry((case.section.clone(), case.dtypes.clone()))
        .or_default() += 1;
    let mut vars = Vars::new();
    for (name, b) in &case.bindings {
        vars = match b {
            Binding::Input(k) => vars.bind(name.as_str(), &inputs[k]),
            Binding::Bool(v) => vars.bind(name.as_str(), *v),
            Binding::Int32(v) => vars.bind(name.as_str(), *v),
            Binding::Int64(v) => vars.bind(name.as_str(), *v),
            Binding::Float32(v) => vars.bind(name.as_str(), *v),
            Binding::Float64(v) => vars.bind(name.as_str(), *v),
            Binding::Complex128(v) => vars.bind(name.as_str(), *v),
        };
    }
    // A panic is a failure of this case, not of the whole run.
    let result =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| engine(&case.expr, vars)))
            .map_err(|p| {
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                format!("{}\n    numjit panicked: {msg}", case.label())
            })?;
    match (&case.want, result) {
        (Want::Err(np), Ok(got)) => Err(format!(
            "{}\n    NumPy refuses ({np}) but numjit returned {} {:?}: {}",
            case.label(),
            got.dtype(),
            got.shape(),
            summarize(&got)
        )),
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
            Ok(())
        }
        (Want::Ok { partial: true, .. }, Err(_)) => {
            stats.partial_err += 1;
            Ok(())
        }
        (Want::Ok { .. }, Err(e)) => Err(format!(
            "{}\n    NumPy gives a result but numjit refuses ({:?}): {}",
            case.label(),
            e.kind(),
            one_line(&e.to_string())
        )),
        (Want::Ok { .. }, Ok(got)) => check_value(case, &got, inputs, stats),
    }
}

/// Loads every `*.tsv` file in tests/data/numpy_cases.
pub(crate) fn load() -> (HashMap<String, Array>, Vec<Case>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../numjit/tests/data/numpy_cases");
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

pub(crate) fn summarize(a: &Array) -> String {
    fn list<T: std::fmt::Debug>(x: &ArrayD<T>) -> String {
        format!("{:?}", x.iter().collect::<Vec<_>>())
    }
    let s = match a {
        Array::Bool(x) => list(x),
        Array::Int32(x) => list(x),
        Array::Int64(x) => list(x),
        Array::Float32(x) => list(x),
        Array::Float64(x) => list(x),
        Array::Complex128(x) => format!("{:?}", x.iter().map(show_c).collect::<Vec<_>>()),
    };
    if s.len() > 300 {
        let mut end = 300;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}...", &s[..end])
    } else {
        s
    }
}

pub(crate) fn one_line(s: &str) -> String {
    s.split('\n')
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join(" | ")
}

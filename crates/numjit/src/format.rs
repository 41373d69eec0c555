//! Owns NumPy-style text for an `Array` (what `repr()` prints in NumPy 2).
//! Must not touch expressions, kernels, threads or any IO: it returns strings; nothing in the engine prints.
//!
//! Provides NumPy-style text for an [`Array`]: [`repr`] gives what `repr()` prints in NumPy 2
//! with the default print options.
//!
//! That is: `array([1., 2., 3.])`, `array([1, 2, 3])`, `array([ True, False])`, `array(3.5)` for a
//! 0-d array, nested brackets with NumPy's line wrapping at 75 columns and alignment for n-d
//! arrays, `...` summaries with 3 edge items when the array has more than 1000 elements (followed
//! by `shape=(...)`), `array([], shape=(0, 3), dtype=float64)` for empty arrays, and NumPy's float
//! formatting: up to 8 fractional digits of the shortest round-trip representation, trailing
//! zeros stripped (`1.`), all elements padded to one width, scientific notation (`1.e+20`) when the
//! largest magnitude is at least 1e8 (1e6 for float32, whose precision is 6 digits), the smallest
//! nonzero one is below 1e-4, or their ratio exceeds 1000, and `nan`, `inf`, `-inf`, `-0.`.
//!
//! float32 values print with the shortest digits that round-trip in float32 (`0.1`, not
//! `0.10000000149011612`), and the comparisons above are made in float32, as NumPy makes them.
//! Complex values print as NumPy prints them: the real parts formatted as one float column, the
//! imaginary parts as another with a sign always shown, then `j` (`array([1.+2.j, 0.-1.j])`,
//! `nan+nanj`, `inf+0.j`). The dtypes whose values do not imply them (int32, float32) are named
//! after the values (`array([1, 2], dtype=int32)`, `array(1.5, dtype=float32)`), as are the dtypes
//! of empty arrays.
//!
//! ```
//! use ndarray::arr1;
//! use numjit::{internals::repr, Array};
//!
//! assert_eq!(repr(&Array::from(arr1(&[1.0, 2.5, -3.0]).into_dyn())), "array([ 1. ,  2.5, -3. ])");
//! assert_eq!(repr(&Array::from(arr1(&[1i64, 20]).into_dyn())), "array([ 1, 20])");
//! ```

use crate::types::{Array, Complex64, DType};
use ndarray::{ArrayViewD, Axis};
use std::fmt::{Display, LowerExp};

/// NumPy's default `linewidth`.
const LINE_WIDTH: usize = 75;
/// NumPy's default `threshold`: arrays with more elements are summarised.
const THRESHOLD: usize = 1000;
/// NumPy's default `edgeitems`: items kept at each end of a summarised axis.
const EDGE_ITEMS: usize = 3;
/// NumPy's default `precision`: at most this many fractional digits.
const PRECISION: usize = 8;

/// NumPy's `repr`: `array([1., 2.])`, `array([[1, 2], [3, 4]], dtype=int32)`, summarised past
/// 1000 elements.
impl std::fmt::Display for Array {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&repr(self))
    }
}

/// The text NumPy 2's `repr()` gives for the array, e.g. `array([1. , 2.5])`.
pub fn repr(a: &Array) -> String {
    const PREFIX: &str = "array(";
    let size = a.len();
    let summarize = size > THRESHOLD;
    let body = if size == 0 {
        "[]".to_string()
    } else {
        match a {
            Array::Bool(x) => {
                let fmt = BoolFormat {
                    true_str: if x.ndim() == 0 { "True" } else { " True" },
                };
                array_to_string(&x.view(), &|v: &bool| fmt.format(*v), summarize, PREFIX)
            }
            Array::Int32(x) => {
                let data: Vec<i64> = displayed(&x.view(), summarize)
                    .into_iter()
                    .map(i64::from)
                    .collect();
                let fmt = IntFormat::new(&data);
                array_to_string(
                    &x.view(),
                    &|v: &i32| fmt.format(i64::from(*v)),
                    summarize,
                    PREFIX,
                )
            }
            Array::Int64(x) => {
                let data = displayed(&x.view(), summarize);
                let fmt = IntFormat::new(&data);
                array_to_string(&x.view(), &|v: &i64| fmt.format(*v), summarize, PREFIX)
            }
            Array::Float32(x) => {
                let data = displayed(&x.view(), summarize);
                let fmt = FloatFormat::new(&data, false);
                array_to_string(&x.view(), &|v: &f32| fmt.format(*v), summarize, PREFIX)
            }
            Array::Float64(x) => {
                let data = displayed(&x.view(), summarize);
                let fmt = FloatFormat::new(&data, false);
                array_to_string(&x.view(), &|v: &f64| fmt.format(*v), summarize, PREFIX)
            }
            Array::Complex128(x) => {
                let data = displayed(&x.view(), summarize);
                let re: Vec<f64> = data.iter().map(|v| v.re).collect();
                let im: Vec<f64> = data.iter().map(|v| v.im).collect();
                let (fr, fi) = (FloatFormat::new(&re, false), FloatFormat::new(&im, true));
                let fmt = |v: &Complex64| {
                    // NumPy's ComplexFloatingFormat: the `j` goes before the imaginary part's
                    // trailing padding.
                    let i = fi.format(v.im);
                    let sp = i.trim_end().len();
                    format!("{}{}j{}", fr.format(v.re), &i[..sp], &i[sp..])
                };
                array_to_string(&x.view(), &fmt, summarize, PREFIX)
            }
        }
    };

    let mut extras = Vec::new();
    if (size == 0 && a.shape() != [0]) || summarize {
        extras.push(format!("shape={}", shape_repr(a.shape())));
    }
    if size == 0 || !dtype_is_implied(a.dtype()) {
        extras.push(format!("dtype={}", a.dtype().name()));
    }
    if extras.is_empty() {
        return format!("{PREFIX}{body})");
    }
    let arr_str = format!("{PREFIX}{body},");
    let extra_str = format!("{})", extras.join(", "));
    let last_line_len = arr_str.len() - arr_str.rfind('\n').map_or(0, |i| i + 1);
    let spacer = if last_line_len + extra_str.len() + 1 > LINE_WIDTH {
        format!("\n{}", " ".repeat(PREFIX.len()))
    } else {
        " ".to_string()
    };
    format!("{arr_str}{spacer}{extra_str}")
}

/// NumPy's `dtype_is_implied`: whether the values' text implies the dtype (NumPy's default
/// integer, float and complex dtypes, and bool), so that `repr` need not name it.
fn dtype_is_implied(dtype: DType) -> bool {
    matches!(
        dtype,
        DType::Bool | DType::Int64 | DType::Float64 | DType::Complex128
    )
}

/// Python's `repr` of a shape tuple: `()`, `(3,)`, `(2, 3)`.
fn shape_repr(shape: &[usize]) -> String {
    match shape {
        [] => "()".to_string(),
        [n] => format!("({n},)"),
        _ => {
            let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            format!("({})", dims.join(", "))
        }
    }
}

/// The elements that will be shown: all of them, or only the leading and trailing
/// [`EDGE_ITEMS`] of every axis when summarising (NumPy's `_leading_trailing`).
fn displayed<T: Copy>(a: &ArrayViewD<'_, T>, summarize: bool) -> Vec<T> {
    fn corners<T: Copy>(a: &ArrayViewD<'_, T>, out: &mut Vec<T>) {
        if a.ndim() == 0 {
            out.extend(a.iter().copied());
            return;
        }
        let n = a.len_of(Axis(0));
        let keep = |i: usize| n <= 2 * EDGE_ITEMS || i < EDGE_ITEMS || i >= n - EDGE_ITEMS;
        for i in (0..n).filter(|&i| keep(i)) {
            corners(&a.index_axis(Axis(0), i), out);
        }
    }
    if summarize {
        let mut out = Vec::new();
        corners(a, &mut out);
        out
    } else {
        a.iter().copied().collect()
    }
}

/// NumPy's `array2string(a, separator=', ', prefix=prefix, suffix=')')` for a non-empty array.
fn array_to_string<T>(
    a: &ArrayViewD<'_, T>,
    fmt: &dyn Fn(&T) -> String,
    summarize: bool,
    prefix: &str,
) -> String {
    let ctx = Layout {
        fmt,
        summarize,
        separator: ", ",
    };
    // Skip over "[" and the prefix; the suffix ")" takes one column.
    let next_line_prefix = " ".repeat(1 + prefix.len());
    ctx.recurse(a, &next_line_prefix, LINE_WIDTH as isize - 1)
}

/// NumPy's `_formatArray`: the nested-bracket layout with line wrapping.
struct Layout<'f, T> {
    fmt: &'f dyn Fn(&T) -> String,
    summarize: bool,
    separator: &'static str,
}

impl<T> Layout<'_, T> {
    fn recurse(&self, a: &ArrayViewD<'_, T>, hanging_indent: &str, curr_width: isize) -> String {
        if a.ndim() == 0 {
            return a.iter().next().map(|v| (self.fmt)(v)).unwrap_or_default();
        }
        let next_hanging_indent = format!("{hanging_indent} ");
        let next_width = curr_width - 1;
        let a_len = a.len_of(Axis(0));
        let show_summary = self.summarize && 2 * EDGE_ITEMS < a_len;
        let (leading, trailing) = if show_summary {
            (EDGE_ITEMS, EDGE_ITEMS)
        } else {
            (0, a_len)
        };
        let item =
            |i: usize| self.recurse(&a.index_axis(Axis(0), i), &next_hanging_indent, next_width);

        let mut s = String::new();
        if a.ndim() == 1 {
            let sep_trimmed = self.separator.trim_end();
            let elem_width = curr_width - sep_trimmed.len().max(1) as isize;
            let mut line = hanging_indent.to_string();
            for i in 0..leading {
                extend_line(&mut s, &mut line, &item(i), elem_width, hanging_indent);
                line.push_str(self.separator);
            }
            if show_summary {
                extend_line(&mut s, &mut line, "...", elem_width, hanging_indent);
                line.push_str(self.separator);
            }
            for i in (2..=trailing).rev() {
                extend_line(
                    &mut s,
                    &mut line,
                    &item(a_len - i),
                    elem_width,
                    hanging_indent,
                );
                line.push_str(self.separator);
            }
            extend_line(
                &mut s,
                &mut line,
                &item(a_len - 1),
                elem_width,
                hanging_indent,
            );
            s.push_str(&line);
        } else {
            let line_sep = format!("{}{}", self.separator.trim_end(), "\n".repeat(a.ndim() - 1));
            for i in 0..leading {
                s.push_str(hanging_indent);
                s.push_str(&item(i));
                s.push_str(&line_sep);
            }
            if show_summary {
                s.push_str(hanging_indent);
                s.push_str("...");
                s.push_str(&line_sep);
            }
            for i in (2..=trailing).rev() {
                s.push_str(hanging_indent);
                s.push_str(&item(a_len - i));
                s.push_str(&line_sep);
            }
            s.push_str(hanging_indent);
            s.push_str(&item(a_len - 1));
        }
        format!("[{}]", &s[hanging_indent.len()..])
    }
}

/// NumPy's `_extendLine`: appends `word` to `line`, first moving `line` into `s` and starting a
/// new one if the word would not fit (unless the line holds nothing but the indent).
fn extend_line(s: &mut String, line: &mut String, word: &str, width: isize, next_prefix: &str) {
    let needs_wrap = (line.len() + word.len()) as isize > width && line.len() > next_prefix.len();
    if needs_wrap {
        s.push_str(line.trim_end());
        s.push('\n');
        line.clear();
        line.push_str(next_prefix);
    }
    line.push_str(word);
}

/// NumPy's `BoolFormat`.
struct BoolFormat {
    true_str: &'static str,
}

impl BoolFormat {
    fn format(&self, v: bool) -> String {
        if v { self.true_str } else { "False" }.to_string()
    }
}

/// NumPy's `IntegerFormat`: right-aligned to the widest of the largest and smallest value.
struct IntFormat {
    width: usize,
}

impl IntFormat {
    fn new(data: &[i64]) -> IntFormat {
        let max = data.iter().copied().max().unwrap_or(0);
        let min = data.iter().copied().min().unwrap_or(0);
        IntFormat {
            width: max.to_string().len().max(min.to_string().len()),
        }
    }

    fn format(&self, v: i64) -> String {
        format!("{v:>w$}", w = self.width)
    }
}

/// A float type NumPy prints: float32 or float64. Rust's `Display` and `LowerExp` give the
/// shortest digits that round-trip in the type itself, and with a precision they round the exact
/// binary value (ties to even), as Dragon4 does (shortest digits at an exact tie excepted: see
/// [`shortest`]).
trait Float:
    Copy + PartialOrd + Display + LowerExp + std::str::FromStr + std::ops::Div<Output = Self>
{
    /// NumPy's `exp_cutoff_max`: `10.**min(8, np.finfo(dtype).precision)`, in the type.
    const EXP_CUTOFF: Self;
    /// `0.0001`, rounded to the type (NumPy compares the type's values with the Python float).
    const SMALL: Self;
    /// `1000.`
    const RATIO: Self;
    const ZERO: Self;
    fn is_finite(self) -> bool;
    fn is_nan(self) -> bool;
    fn is_sign_negative(self) -> bool;
    fn abs(self) -> Self;
}

impl Float for f64 {
    const EXP_CUTOFF: f64 = 1e8;
    const SMALL: f64 = 0.0001;
    const RATIO: f64 = 1000.0;
    const ZERO: f64 = 0.0;
    fn is_finite(self) -> bool {
        f64::is_finite(self)
    }
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
    fn is_sign_negative(self) -> bool {
        f64::is_sign_negative(self)
    }
    fn abs(self) -> f64 {
        f64::abs(self)
    }
}

impl Float for f32 {
    const EXP_CUTOFF: f32 = 1e6;
    const SMALL: f32 = 0.0001_f64 as f32;
    const RATIO: f32 = 1000.0;
    const ZERO: f32 = 0.0;
    fn is_finite(self) -> bool {
        f32::is_finite(self)
    }
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
    fn is_sign_negative(self) -> bool {
        f32::is_sign_negative(self)
    }
    fn abs(self) -> f32 {
        f32::abs(self)
    }
}

/// NumPy's `FloatingFormat` with the default `floatmode='maxprec'`, `precision=8`, and
/// `sign='-'` (or `sign='+'`, as for the imaginary parts of complex numbers).
struct FloatFormat {
    exp_format: bool,
    /// Show `+` before values whose sign bit is clear (`sign='+'`).
    plus: bool,
    pad_left: usize,
    pad_right: usize,
    /// Scientific mode: digits after the point, the same for every element.
    precision: usize,
    /// Scientific mode: minimum digits of the exponent.
    exp_size: usize,
}

/// A float split for printing: sign and integer digits, fractional digits, and (scientific
/// mode only) the exponent.
struct Parts {
    int: String,
    frac: String,
    exp: i32,
}

impl FloatFormat {
    fn new<T: Float>(data: &[T], plus: bool) -> FloatFormat {
        let finite: Vec<T> = data.iter().copied().filter(|v| v.is_finite()).collect();
        let mut max: Option<T> = None;
        let mut min: Option<T> = None;
        for v in finite.iter().filter(|&&v| v != T::ZERO).map(|v| v.abs()) {
            max = Some(max.map_or(v, |m| if v > m { v } else { m }));
            min = Some(min.map_or(v, |m| if v < m { v } else { m }));
        }
        // The comparisons and the ratio are computed in the array's own type, as NumPy does.
        let exp_format = match (max, min) {
            (Some(max), Some(min)) => {
                max >= T::EXP_CUTOFF || min < T::SMALL || max / min > T::RATIO
            }
            _ => false,
        };
        let mut f = FloatFormat {
            exp_format,
            plus,
            pad_left: 0,
            pad_right: 0,
            precision: 0,
            exp_size: 0,
        };
        if finite.is_empty() {
            // pad_left and pad_right stay 0.
        } else if exp_format {
            let parts: Vec<Parts> = finite.iter().map(|&v| scientific(v, plus)).collect();
            f.exp_size = parts
                .iter()
                .map(|p| exp_digits(p.exp).len().max(2))
                .max()
                .unwrap_or(2);
            f.precision = parts.iter().map(|p| p.frac.len()).max().unwrap_or(0);
            f.pad_left = parts.iter().map(|p| p.int.len()).max().unwrap_or(0);
            f.pad_right = f.exp_size + 2 + f.precision;
        } else {
            let parts: Vec<Parts> = finite.iter().map(|&v| positional(v, plus)).collect();
            f.pad_left = parts.iter().map(|p| p.int.len()).max().unwrap_or(0);
            f.pad_right = parts.iter().map(|p| p.frac.len()).max().unwrap_or(0);
        }
        if finite.len() != data.len() {
            // Room for `nan` and for `inf` with its sign (always shown with `sign='+'`).
            let neginf = plus
                || data
                    .iter()
                    .any(|v| !v.is_finite() && !v.is_nan() && v.is_sign_negative());
            let offset = f.pad_right as isize + 1;
            let need = (3 - offset).max(3 + isize::from(neginf) - offset);
            f.pad_left = f.pad_left.max(need.max(0) as usize);
        }
        f
    }

    fn format<T: Float>(&self, v: T) -> String {
        if !v.is_finite() {
            let s = if v.is_nan() {
                if self.plus {
                    "+nan"
                } else {
                    "nan"
                }
            } else if v.is_sign_negative() {
                "-inf"
            } else if self.plus {
                "+inf"
            } else {
                "inf"
            };
            return format!("{s:>w$}", w = self.pad_left + self.pad_right + 1);
        }
        if self.exp_format {
            // NumPy asks Dragon4 for at least `precision` digits here (`min_digits`), and those
            // are the exact value's digits, not zeros: 5e-324 prints as 4.94065646e-324 next to
            // a number that needs 8 digits.
            let p = scientific_exact(v, self.precision, self.plus);
            let e = exp_digits(p.exp);
            format!(
                "{int:>pl$}.{frac}e{sign}{e:0>es$}",
                int = p.int,
                pl = self.pad_left,
                frac = p.frac,
                sign = if p.exp < 0 { '-' } else { '+' },
                es = self.exp_size,
            )
        } else {
            let p = positional(v, self.plus);
            format!(
                "{int:>pl$}.{frac:<pr$}",
                int = p.int,
                pl = self.pad_left,
                frac = p.frac,
                pr = self.pad_right,
            )
        }
    }
}

/// The decimal digits of an exponent's magnitude.
fn exp_digits(exp: i32) -> String {
    exp.unsigned_abs().to_string()
}

/// The sign prefix of a float: `-` when its sign bit is set (so `-0.` keeps its sign), else `+`
/// with `plus`.
fn sign_of<T: Float>(v: T, plus: bool) -> &'static str {
    if v.is_sign_negative() {
        "-"
    } else if plus {
        "+"
    } else {
        ""
    }
}

/// The shortest digits that round-trip to `abs` (finite, not negative), as Dragon4 chooses them:
/// the significant digits `d1 d2 ... dn` and the decimal exponent of `d1`. When two candidates of
/// that length are exactly as close to the value (its exact decimal expansion ends in a 5 just
/// past them), Dragon4 takes the one with an even last digit; Rust's shortest formatting takes
/// the upper one, so that case is corrected here (float32 `7756.15625` is `7756.1562`).
fn shortest<T: Float>(abs: T) -> (String, i32) {
    let text = format!("{abs:e}");
    let (mantissa, exp) = split_exp(&text);
    let digits: String = mantissa.chars().filter(|&c| c != '.').collect();
    let n = digits.len();
    let last = digits.as_bytes()[n - 1];
    if last % 2 == 1 {
        // The candidate below (an odd last digit is at least 1, so no borrow).
        let mut lower = digits.clone().into_bytes();
        lower[n - 1] -= 1;
        let lower = String::from_utf8(lower).unwrap_or_default();
        // A tie: the exact expansion is `lower` followed by a 5, and nothing after it.
        let expansion = format!("{abs:.n$e}");
        let (m, e) = split_exp(&expansion);
        let exact: String = m.chars().filter(|&c| c != '.').collect();
        if e == exp && exact == format!("{lower}5") && is_exact(abs, n) {
            let candidate = format!("{}.{}e{exp}", &lower[..1], &lower[1..]);
            if candidate.parse::<T>().is_ok_and(|c| c == abs) {
                let trimmed = lower.trim_end_matches('0');
                let trimmed = if trimmed.is_empty() { "0" } else { trimmed };
                return (trimmed.to_string(), exp);
            }
        }
    }
    (digits, exp)
}

/// Whether `abs` has at most `n + 1` significant decimal digits (its expansion ends there).
fn is_exact<T: Float>(abs: T, n: usize) -> bool {
    // Every float32 has at most 112 significant digits and every float64 at most 767.
    let long = format!("{abs:.800e}");
    let (m, _) = split_exp(&long);
    m.chars()
        .filter(|&c| c != '.')
        .skip(n + 1)
        .all(|c| c == '0')
}

/// NumPy's `dragon4_positional(v, precision=8, unique=True, fractional=True, trim='.')`: the
/// shortest digits that round-trip, rounded (exactly, ties to even) to at most 8 fractional
/// digits, trailing zeros removed. `v` must be finite.
fn positional<T: Float>(v: T, plus: bool) -> Parts {
    let abs = v.abs();
    let (digits, exp) = shortest(abs);
    let (int, frac) = if exp >= 0 {
        let split = exp as usize + 1;
        if digits.len() <= split {
            (format!("{digits:0<split$}"), String::new())
        } else {
            (digits[..split].to_string(), digits[split..].to_string())
        }
    } else {
        let zeros = "0".repeat((-exp - 1) as usize);
        ("0".to_string(), format!("{zeros}{digits}"))
    };
    let frac = frac.trim_end_matches('0').to_string();
    let (int, frac) = if frac.len() > PRECISION {
        // Rust's fixed-precision formatting rounds the exact binary value, ties to even, as
        // Dragon4 does when it reaches the cutoff digit.
        let fixed = format!("{abs:.PRECISION$}");
        let (i, f) = split_point(&fixed);
        (i.to_string(), f.trim_end_matches('0').to_string())
    } else {
        (int, frac)
    };
    Parts {
        int: format!("{}{int}", sign_of(v, plus)),
        frac,
        exp: 0,
    }
}

/// NumPy's `dragon4_scientific(v, precision=8, unique=True, trim='.')`: the shortest round-trip
/// digits, rounded to at most 9 significant digits, trailing zeros removed. `v` must be finite.
fn scientific<T: Float>(v: T, plus: bool) -> Parts {
    let abs = v.abs();
    let (digits, exp) = shortest(abs);
    let (int, frac) = digits.split_at(1);
    let (int, frac, exp) = if frac.len() > PRECISION {
        let fixed = format!("{abs:.PRECISION$e}");
        let (mantissa, exp) = split_exp(&fixed);
        let (i, f) = split_point(mantissa);
        (i.to_string(), f.trim_end_matches('0').to_string(), exp)
    } else {
        (int.to_string(), frac.to_string(), exp)
    };
    Parts {
        int: format!("{}{int}", sign_of(v, plus)),
        frac,
        exp,
    }
}

/// The digits of `v` rounded (exactly, ties to even) to `precision` fractional digits in
/// scientific notation. `v` must be finite.
fn scientific_exact<T: Float>(v: T, precision: usize, plus: bool) -> Parts {
    let fixed = format!("{:.precision$e}", v.abs());
    let (mantissa, exp) = split_exp(&fixed);
    let (int, frac) = split_point(mantissa);
    Parts {
        int: format!("{}{int}", sign_of(v, plus)),
        frac: frac.to_string(),
        exp,
    }
}

/// Splits `"12.34"` into `("12", "34")`; `"12"` into `("12", "")`.
fn split_point(s: &str) -> (&str, &str) {
    s.split_once('.').unwrap_or((s, ""))
}

/// Splits Rust's `"1.5e-7"` into `("1.5", -7)`.
fn split_exp(s: &str) -> (&str, i32) {
    match s.split_once('e') {
        Some((m, e)) => (m, e.parse().unwrap_or(0)),
        None => (s, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{arr0, arr1, arr2, ArrayD, IxDyn};

    fn f(v: &[f64]) -> String {
        repr(&Array::from(arr1(v).into_dyn()))
    }

    #[test]
    fn floats() {
        assert_eq!(f(&[1.0, 2.0, 3.0]), "array([1., 2., 3.])");
        assert_eq!(f(&[1.0, 2.5]), "array([1. , 2.5])");
        assert_eq!(f(&[1e20, 1.5]), "array([1.0e+20, 1.5e+00])");
        assert_eq!(f(&[f64::NAN, f64::NEG_INFINITY]), "array([ nan, -inf])");
        assert_eq!(f(&[-0.0]), "array([-0.])");
        assert_eq!(repr(&Array::from(arr0(3.5).into_dyn())), "array(3.5)");
    }

    #[test]
    fn ints_and_bools() {
        assert_eq!(
            repr(&Array::from(arr2(&[[1i64, -20], [300, 4]]).into_dyn())),
            "array([[  1, -20],\n       [300,   4]])"
        );
        assert_eq!(
            repr(&Array::from(arr1(&[true, false]).into_dyn())),
            "array([ True, False])"
        );
        assert_eq!(repr(&Array::from(arr0(true).into_dyn())), "array(True)");
    }

    #[test]
    fn empty() {
        let a = Array::Float64(ArrayD::zeros(IxDyn(&[0, 3])));
        assert_eq!(repr(&a), "array([], shape=(0, 3), dtype=float64)");
        let a = Array::Int64(ArrayD::zeros(IxDyn(&[0])));
        assert_eq!(repr(&a), "array([], dtype=int64)");
    }
}

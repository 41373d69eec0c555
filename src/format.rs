//! Provides NumPy-style text for an [`Array`]: [`repr`] gives what `repr()` prints in NumPy 2
//! with the default print options.
//!
//! That is: `array([1., 2., 3.])`, `array([1, 2, 3])`, `array([ True, False])`, `array(3.5)` for a
//! 0-d array, nested brackets with NumPy's line wrapping at 75 columns and alignment for n-d
//! arrays, `...` summaries with 3 edge items when the array has more than 1000 elements (followed
//! by `shape=(...)`), `array([], shape=(0, 3), dtype=float64)` for empty arrays, and NumPy's float
//! formatting: up to 8 fractional digits of the shortest round-trip representation, trailing
//! zeros stripped (`1.`), all elements padded to one width, scientific notation (`1.e+20`) when the
//! largest magnitude is at least 1e8, the smallest nonzero one is below 1e-4, or their ratio
//! exceeds 1000, and `nan`, `inf`, `-inf`, `-0.`.
//!
//! ```
//! use ndarray::arr1;
//! use numjit::{format::repr, Array};
//!
//! assert_eq!(repr(&Array::from(arr1(&[1.0, 2.5, -3.0]).into_dyn())), "array([ 1. ,  2.5, -3. ])");
//! assert_eq!(repr(&Array::from(arr1(&[1i64, 20]).into_dyn())), "array([ 1, 20])");
//! ```

use crate::array::Array;
use ndarray::{ArrayViewD, Axis};

/// NumPy's default `linewidth`.
const LINE_WIDTH: usize = 75;
/// NumPy's default `threshold`: arrays with more elements are summarised.
const THRESHOLD: usize = 1000;
/// NumPy's default `edgeitems`: items kept at each end of a summarised axis.
const EDGE_ITEMS: usize = 3;
/// NumPy's default `precision`: at most this many fractional digits.
const PRECISION: usize = 8;

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
            Array::Int64(x) => {
                let data = displayed(&x.view(), summarize);
                let fmt = IntFormat::new(&data);
                array_to_string(&x.view(), &|v: &i64| fmt.format(*v), summarize, PREFIX)
            }
            Array::Float64(x) => {
                let data = displayed(&x.view(), summarize);
                let fmt = FloatFormat::new(&data);
                array_to_string(&x.view(), &|v: &f64| fmt.format(*v), summarize, PREFIX)
            }
        }
    };

    let mut extras = Vec::new();
    if (size == 0 && a.shape() != [0]) || summarize {
        extras.push(format!("shape={}", shape_repr(a.shape())));
    }
    if size == 0 {
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

/// NumPy's `FloatingFormat` with the default `floatmode='maxprec'`, `precision=8`, `sign='-'`.
struct FloatFormat {
    exp_format: bool,
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
    fn new(data: &[f64]) -> FloatFormat {
        let finite: Vec<f64> = data.iter().copied().filter(|v| v.is_finite()).collect();
        let abs_non_zero = finite.iter().filter(|&&v| v != 0.0).map(|v| v.abs());
        let max = abs_non_zero
            .clone()
            .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
        let min = abs_non_zero.fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.min(v))));
        let exp_format = match (max, min) {
            (Some(max), Some(min)) => max >= 1e8 || min < 1e-4 || max / min > 1e3,
            _ => false,
        };
        let mut f = FloatFormat {
            exp_format,
            pad_left: 0,
            pad_right: 0,
            precision: 0,
            exp_size: 0,
        };
        if finite.is_empty() {
            // pad_left and pad_right stay 0.
        } else if exp_format {
            let parts: Vec<Parts> = finite.iter().map(|&v| scientific(v)).collect();
            f.exp_size = parts
                .iter()
                .map(|p| exp_digits(p.exp).len().max(2))
                .max()
                .unwrap_or(2);
            f.precision = parts.iter().map(|p| p.frac.len()).max().unwrap_or(0);
            f.pad_left = parts.iter().map(|p| p.int.len()).max().unwrap_or(0);
            f.pad_right = f.exp_size + 2 + f.precision;
        } else {
            let parts: Vec<Parts> = finite.iter().map(|&v| positional(v)).collect();
            f.pad_left = parts.iter().map(|p| p.int.len()).max().unwrap_or(0);
            f.pad_right = parts.iter().map(|p| p.frac.len()).max().unwrap_or(0);
        }
        if finite.len() != data.len() {
            let neginf = data.contains(&f64::NEG_INFINITY);
            let offset = f.pad_right as isize + 1;
            let need = 3 + isize::from(neginf) - offset;
            f.pad_left = f.pad_left.max(need.max(0) as usize);
        }
        f
    }

    fn format(&self, v: f64) -> String {
        if !v.is_finite() {
            let s = if v.is_nan() {
                "nan"
            } else if v < 0.0 {
                "-inf"
            } else {
                "inf"
            };
            return format!("{s:>w$}", w = self.pad_left + self.pad_right + 1);
        }
        if self.exp_format {
            // NumPy asks Dragon4 for at least `precision` digits here (`min_digits`), and those
            // are the exact value's digits, not zeros: 5e-324 prints as 4.94065646e-324 next to
            // a number that needs 8 digits.
            let p = scientific_exact(v, self.precision);
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
            let p = positional(v);
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

/// The sign prefix of a float: `-` when its sign bit is set (so `-0.` keeps its sign).
fn sign_of(v: f64) -> &'static str {
    if v.is_sign_negative() {
        "-"
    } else {
        ""
    }
}

/// NumPy's `dragon4_positional(v, precision=8, unique=True, fractional=True, trim='.')`: the
/// shortest digits that round-trip, rounded (exactly, ties to even) to at most 8 fractional
/// digits, trailing zeros removed. `v` must be finite.
fn positional(v: f64) -> Parts {
    let abs = v.abs();
    // Rust's `Display` for f64 prints the shortest round-trip digits without an exponent.
    let shortest = format!("{abs}");
    let (int, frac) = split_point(&shortest);
    let (int, frac) = if frac.len() > PRECISION {
        // Rust's fixed-precision formatting rounds the exact binary value, ties to even, as
        // Dragon4 does when it reaches the cutoff digit.
        let fixed = format!("{abs:.PRECISION$}");
        let (i, f) = split_point(&fixed);
        (i.to_string(), f.trim_end_matches('0').to_string())
    } else {
        (int.to_string(), frac.to_string())
    };
    Parts {
        int: format!("{}{int}", sign_of(v)),
        frac,
        exp: 0,
    }
}

/// NumPy's `dragon4_scientific(v, precision=8, unique=True, trim='.')`: the shortest round-trip
/// digits, rounded to at most 9 significant digits, trailing zeros removed. `v` must be finite.
fn scientific(v: f64) -> Parts {
    let abs = v.abs();
    let shortest = format!("{abs:e}");
    let (mantissa, exp) = split_exp(&shortest);
    let (int, frac) = split_point(mantissa);
    let (int, frac, exp) = if frac.len() > PRECISION {
        let fixed = format!("{abs:.PRECISION$e}");
        let (mantissa, exp) = split_exp(&fixed);
        let (i, f) = split_point(mantissa);
        (i.to_string(), f.trim_end_matches('0').to_string(), exp)
    } else {
        (int.to_string(), frac.to_string(), exp)
    };
    Parts {
        int: format!("{}{int}", sign_of(v)),
        frac,
        exp,
    }
}

/// The digits of `v` rounded (exactly, ties to even) to `precision` fractional digits in
/// scientific notation. `v` must be finite.
fn scientific_exact(v: f64, precision: usize) -> Parts {
    let fixed = format!("{:.precision$e}", v.abs());
    let (mantissa, exp) = split_exp(&fixed);
    let (int, frac) = split_point(mantissa);
    Parts {
        int: format!("{}{int}", sign_of(v)),
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

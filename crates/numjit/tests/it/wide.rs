//! The row routines (`codegen::rows`, AVX-512 or AVX2 by the host): float64 and float32
//! arithmetic kernels, at every length around their 4-, 8- and 16-lane steps, with hoisted
//! scalars, row-broadcast inputs, slices, as many operands as they take and more, and more
//! live values than they have registers, must agree with the reference interpreter bit for
//! bit (NaN matching NaN where two NaN operands meet; exactly where one argument decides the
//! result). On a CPU with AVX-512 or AVX2 the test also checks that the routine is used where
//! it should be, so the comparisons exercise it. Float64 inputs may be strided (the routine
//! gathers them): the same expressions over every-other, every-third and reversed views.

use ndarray::{Array1, Array2, ArrayD};
use numjit::internals::{check, compile_kernel, syntax, Access};
use numjit::{Array, DType, Vars};

/// Lengths around the 8-lane (float64) and 16-lane (float32) steps, and large ones.
fn lengths() -> Vec<usize> {
    let mut v: Vec<usize> = (0..=40).collect();
    v.extend([63, 64, 65, 127, 129, 1000, 1001, 1007]);
    v
}

const SPECIAL: [f64; 12] = [
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    0.0,
    -0.0,
    1.0,
    -3.0,
    1e300,
    -1e-310,
    f64::MAX,
    f64::MIN_POSITIVE,
    0.1,
];

/// `n` values: specials (a negative NaN with a payload among them) and pseudo-random ones.
fn values(n: usize, seed: u64) -> Vec<f64> {
    (0..n)
        .map(|k| {
            let h = (k as u64 + 7).wrapping_mul(0x9E37_79B9_7F4A_7C15 ^ seed.wrapping_mul(0x51));
            match h % 6 {
                0 => SPECIAL[((h >> 9) % SPECIAL.len() as u64) as usize],
                1 if (h >> 30).is_multiple_of(3) => f64::from_bits(0xFFF0_0000_0000_4321),
                _ => ((h >> 11) as f64 / (1u64 << 53) as f64) * 16.0 - 8.0,
            }
        })
        .collect()
}

fn v1(v: Vec<f64>) -> ArrayD<f64> {
    Array1::from(v).into_dyn()
}

fn v1_32(v: Vec<f64>) -> ArrayD<f32> {
    Array1::from(v.into_iter().map(|x| x as f32).collect::<Vec<_>>()).into_dyn()
}

/// The arrays of one length: eleven float64 inputs `a`..`k`, three float32 `x y z`, a
/// (3, n) matrix `m` with a (3, 1) column `col`, and a (5, n + 3) grid `g`.
struct Data {
    f64s: Vec<(String, ArrayD<f64>)>,
    f32s: Vec<(String, ArrayD<f32>)>,
    m: ArrayD<f64>,
    col: ArrayD<f64>,
    g: ArrayD<f64>,
}

fn data(n: usize) -> Data {
    let names = ["a", "b", "c", "d", "e", "f", "g2", "h", "u", "v", "w"];
    Data {
        f64s: names
            .iter()
            .enumerate()
            .map(|(i, s)| (s.to_string(), v1(values(n, i as u64 + 1))))
            .collect(),
        f32s: ["x", "y", "z"]
            .iter()
            .enumerate()
            .map(|(i, s)| (s.to_string(), v1_32(values(n, i as u64 + 20))))
            .collect(),
        m: Array2::from_shape_vec((3, n), values(3 * n, 40))
            .unwrap()
            .into_dyn(),
        col: Array2::from_shape_vec((3, 1), vec![2.5, f64::NAN, -0.0])
            .unwrap()
            .into_dyn(),
        g: Array2::from_shape_vec((5, n + 3), values(5 * (n + 3), 41))
            .unwrap()
            .into_dyn(),
    }
}

fn bind(d: &Data) -> Vars<'_> {
    let mut vars = Vars::new()
        .bind("s", -1.5f64)
        .bind("t", 1e-3f64)
        .bind("k32", 3i32)
        .bind("m", &d.m)
        .bind("col", &d.col)
        .bind("grid", &d.g);
    for (name, a) in &d.f64s {
        vars = vars.bind(name.as_str(), a);
    }
    for (name, a) in &d.f32s {
        vars = vars.bind(name.as_str(), a);
    }
    vars
}

/// Expressions the routine computes, and whether a single argument decides every NaN (then
/// NaN bits must match too).
const FITS: &[(&str, bool)] = &[
    ("a + b", false),
    ("a - b", false),
    ("a * b", false),
    ("a / b", false),
    ("-a", true),
    ("abs(a)", true),
    ("sqrt(a)", true),
    ("a * s + b", false),
    ("(a + s) / c", false),
    ("s - a", true),
    ("t / a", true),
    ("-(a * t)", true),
    // An int32 scalar makes a kernel without a vector loop; the routine runs all the same.
    ("a * k32 + b", false),
    ("a + b*c - d/a + sqrt(abs(b))*-c", false),
    ("a + b + c + d + e + f + g2 + h + u", false),
    ("m * col + m", false),
    ("m / col - s", false),
    (
        "grid[1:-1, 1:-1] + (s*t)*(grid[2:, 1:-1] + grid[:-2, 1:-1] + grid[1:-1, 2:] \
         + grid[1:-1, :-2] - 4*grid[1:-1, 1:-1])",
        false,
    ),
    ("a**2", false),
    ("a**3 - b**4", false),
    ("a**-2", false),
    ("(b + 1)**-2.5", false),
    ("a**1.5 + b**0.5", false),
    ("(a + 1)**50", false),
    ("a**-7 * s", false),
    ("a**2 + b**2 + 2*a*b", false),
    ("floor(a) + ceil(b) - trunc(c) * round(d)", false),
    ("round(a * 2.5)", true),
    ("maximum(a, b) + minimum(c, a)", false),
    ("maximum(a - a, -0.0) - minimum(b * 0.0, 0.0)", false),
    ("where(a > b, a, b)", false),
    ("where(a < 0, -a, sqrt(a))", false),
    ("where((a >= s) & (b != b), a, b*2)", false),
    ("where(~(a <= b) | (a == 0), s, a)", false),
    ("where((a > 0) ^ (b > 0), a, b)", false),
    (
        "where((a > 0) + (b < a), a, b) * where((a > 0) * (b < a), c, d)",
        false,
    ),
    ("where(a > 0, a**2, (b + 1)**-2.5)", false),
    ("a % b", false),
    ("a % 2 - b % -0.5", false),
    ("where(a % 2 != 0.0, b + 5, 2)", false),
    ("(a * 1e6) % (b + s)", false),
    ("x + y", false),
    ("x * y - z", false),
    ("x / y", false),
    ("sqrt(x)", true),
    ("-x", true),
    ("abs(x) * 2.5 + y", false),
    ("where(x > y, x, y * 2.5)", false),
    ("floor(x) + ceil(y) - trunc(z) + round(x * 2.5)", false),
    ("maximum(x, y) - minimum(z, -x)", false),
    ("where((x != x) | (y == 0), z, x - y)", false),
];

/// Expressions with more hoisted values than the AVX2 routine has registers for besides its
/// values: it keeps them on the stack (operands read from memory, or through a scratch
/// register where an instruction cannot read memory: a subtraction's first operand, a blend's
/// second, a multiply-add's second).
const ON_THE_STACK: &[&str] = &[
    "a*1.01 + b*1.02 + c*1.03 + a*1.04 + b*1.05 + c*1.06 + a*1.07 + b*1.08 + c*1.09 \
     + a*1.10 + b*1.11 + c*1.12 + a*1.13 + b*1.14 + c*1.15 + a*1.16 + b*1.17 + c*1.18",
    "(1.01 - a) * 1.02 + where(b > 1.03, 1.04, 1.05) + (c - 1.06) * 1.07 \
     + sqrt(abs(a)) * 1.08 - 1.09 / (b + 1.10) + maximum(c, 1.11) * 1.12 \
     + minimum(1.13, a) + floor(b * 1.14) + (a + 1.15)**3 * 1.16 - where(1.17 < c, 1.18, a)",
    "where(a > s, 2.5, -1.5) * (t - b) + (a - t) + (s - a) / (c * 1.5 + t) \
     + where(b != c, s, t) * 1.25 + (0.5 - c) * (0.25 - b) * (0.125 - a) + a**-2.5",
];

/// Expressions past the routine's limits (the kernel's own loops compute them): more
/// operand pointers than it has base registers, more hoisted values than vector registers,
/// an operation it does not have.
const BEYOND: &[&str] = &[
    "a + b + c + d + e + f + g2 + h + u + v",
    "a*1.01 + b*1.02 + c*1.03 + d*1.04 + e*1.05 + f*1.06 + g2*1.07 + h*1.08 + u*1.09 \
     + v*1.10 + a*1.11 + b*1.12 + c*1.13 + d*1.14 + e*1.15 + f*1.16 + g2*1.17 + h*1.18 \
     + u*1.19 + v*1.20 + a*1.21 + b*1.22 + c*1.23 + d*1.24 + e*1.25 + f*1.26 + g2*1.27 \
     + h*1.28 + u*1.29 + v*1.30 + a*1.31 + b*1.32 + c*1.33",
    "a // b",
    "a**b",
];

/// float32 expressions the AVX2 routine computes in float64 registers (the widened form:
/// constant powers and `%` are defined through float64; each other operation rounds to
/// float32 at once); the AVX-512 routine leaves them to the other loops.
const WIDENED: &[&str] = &[
    "x % y",
    "x % 2 - y % -0.5",
    "where(x % 2 != 0.0, y + 5, 2)",
    "x**2 + (y + 1)**-2.5",
    "(x + 1)**50",
    "x**1.5 * y - z**-7",
    "where(x > 0, sqrt(x) * y, -x / (z + 1)) % 3.5",
    "maximum(x, y)**3 + floor(z * 2.5) - abs(x)**0.5",
];

fn same(x: &Array, y: &Array, exact_nan: bool) -> Result<(), String> {
    if x.shape() != y.shape() || x.dtype() != y.dtype() {
        return Err(format!(
            "{:?} {:?} vs {:?} {:?}",
            x.dtype(),
            x.shape(),
            y.dtype(),
            y.shape()
        ));
    }
    let bits: Vec<(u64, u64, bool)> = match (x, y) {
        (Array::Float64(x), Array::Float64(y)) => x
            .iter()
            .zip(y.iter())
            .map(|(u, v)| (u.to_bits(), v.to_bits(), u.is_nan() && v.is_nan()))
            .collect(),
        (Array::Float32(x), Array::Float32(y)) => x
            .iter()
            .zip(y.iter())
            .map(|(u, v)| {
                (
                    u.to_bits() as u64,
                    v.to_bits() as u64,
                    u.is_nan() && v.is_nan(),
                )
            })
            .collect(),
        _ => return Err("not a float result".into()),
    };
    match bits
        .iter()
        .position(|&(u, v, nans)| u != v && (exact_nan || !nans))
    {
        Some(k) => Err(format!("element {k}: {:#x} vs {:#x}", bits[k].0, bits[k].1)),
        None => Ok(()),
    }
}

#[test]
fn arithmetic_rows_match_the_interpreter() {
    compare_with_the_interpreter();
}

/// The same with streaming stores on every output, so that their masked head and tail and
/// aligned middle run at every length and alignment (other tests running meanwhile stream
/// too: the values are the same either way). Each length is also run at an odd offset into
/// a larger array, so the output's alignment varies.
#[test]
fn streaming_stores_match_the_interpreter() {
    let before = numjit::internals::stream_stores_from(0);
    compare_with_the_interpreter();
    let mut failures = Vec::new();
    for n in lengths() {
        let d = data(n + 5);
        for shift in 0..5 {
            let x = d.f64s[0].1.slice(ndarray::s![shift..shift + n]);
            let y = d.f64s[1].1.slice(ndarray::s![shift..shift + n]);
            let want = numjit::interpret("x * 2.5 - y", numjit::vars! {x, y}).unwrap();
            let mut big = ArrayD::<f64>::from_elem(ndarray::IxDyn(&[n + 5]), 7.0);
            let mut out = big.slice_mut(ndarray::s![shift..shift + n]);
            numjit::evaluate("x * 2.5 - y", &mut out, numjit::vars! {x, y}).unwrap();
            if let Err(e) = same(&Array::Float64(out.to_owned().into_dyn()), &want, false) {
                failures.push(format!("n={n} shift={shift}: {e}"));
            }
            let untouched = big
                .iter()
                .enumerate()
                .filter(|&(k, _)| k < shift || k >= shift + n)
                .all(|(_, &v)| v == 7.0);
            if !untouched {
                failures.push(format!("n={n} shift={shift}: wrote outside the output"));
            }
        }
    }
    numjit::internals::stream_stores_from(before);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The row's last partial vector (masked loads and stores) writes nothing past the row:
/// float64, float32 and widened float32 results into a slice of a larger array, at every
/// length and offset, against the interpreter, the elements around the slice untouched.
#[test]
fn partial_vectors_write_only_the_row() {
    let mut failures = Vec::new();
    for n in lengths() {
        let d = data(n + 5);
        for shift in 0..5 {
            let window = ndarray::s![shift..shift + n];
            let (a, b) = (d.f64s[0].1.slice(window), d.f64s[1].1.slice(window));
            let (x, y) = (d.f32s[0].1.slice(window), d.f32s[1].1.slice(window));
            let vars = || numjit::vars! {a, b, x, y};
            for expr in ["a * 2.5 - b", "where(a > b, a % 1.5, -b)"] {
                let want = numjit::interpret(expr, vars()).unwrap();
                let mut big = ArrayD::<f64>::from_elem(ndarray::IxDyn(&[n + 5]), 7.0);
                let mut out = big.slice_mut(window);
                numjit::evaluate(expr, &mut out, vars()).unwrap();
                if let Err(e) = same(&Array::Float64(out.to_owned().into_dyn()), &want, false) {
                    failures.push(format!("n={n} shift={shift} `{expr}`: {e}"));
                }
                let around = big
                    .iter()
                    .enumerate()
                    .filter(|&(k, _)| k < shift || k >= shift + n);
                if !around.clone().all(|(_, &v)| v == 7.0) {
                    failures.push(format!("n={n} shift={shift} `{expr}`: wrote outside"));
                }
            }
            for expr in ["x * 2.5 - y", "(x + 1)**3 % 2.5 + y"] {
                let want = numjit::interpret(expr, vars()).unwrap();
                let mut big = ArrayD::<f32>::from_elem(ndarray::IxDyn(&[n + 5]), 7.0);
                let mut out = big.slice_mut(window);
                numjit::evaluate(expr, &mut out, vars()).unwrap();
                if let Err(e) = same(&Array::Float32(out.to_owned().into_dyn()), &want, false) {
                    failures.push(format!("n={n} shift={shift} `{expr}`: {e}"));
                }
                let around = big
                    .iter()
                    .enumerate()
                    .filter(|&(k, _)| k < shift || k >= shift + n);
                if !around.clone().all(|(_, &v)| v == 7.0) {
                    failures.push(format!("n={n} shift={shift} `{expr}`: wrote outside"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// 2-D kernels whose rows change only in their addresses (the AVX2 routine runs all of a
/// call's rows itself): outputs of every shape from (0, n) to (7, 1007), inputs broadcast
/// along rows (outer stride 0), sliced out of wider arrays and read backwards along rows,
/// float64, float32 and widened float32, against the interpreter.
#[test]
fn blocks_of_rows_match_the_interpreter() {
    let mut failures = Vec::new();
    for m in [0usize, 1, 2, 3, 7] {
        for n in [0usize, 1, 3, 4, 5, 8, 13, 64, 1007] {
            let wide = Array2::from_shape_vec((m, n + 3), values(m * (n + 3), 50)).unwrap();
            let a = wide.slice(ndarray::s![.., 1..n + 1]).into_dyn();
            let b = wide.slice(ndarray::s![.., ..n;-1]).into_dyn();
            let row = Array1::from(values(n, 51)).into_dyn();
            let x = a.mapv(|v| v as f32);
            let y = row.mapv(|v| v as f32);
            let vars = || numjit::vars! {a, b, row, x, y};
            for expr in [
                "a * 2.5 - row",
                "where(a > row, a, -row) * 0.5 + a",
                "a * 2.5 - b",
                "a + row * b",
                "where(a > row, a, -b) * 0.5",
                "x * y - x",
                "x**2 + (y + 1)**-2.5",
                "sqrt(abs(x)) * 1.5 + y",
            ] {
                let jit = numjit::eval(expr, vars()).unwrap_or_else(|e| panic!("{expr}: {e}"));
                let oracle = numjit::interpret(expr, vars()).unwrap();
                if let Err(e) = same(&jit, &oracle, false) {
                    failures.push(format!("({m}, {n}) `{expr}`: {e}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn compare_with_the_interpreter() {
    let mut failures = Vec::new();
    for n in lengths() {
        let d = data(n);
        let all = FITS
            .iter()
            .copied()
            .chain(ON_THE_STACK.iter().map(|&e| (e, false)))
            .chain(WIDENED.iter().map(|&e| (e, false)))
            .chain(BEYOND.iter().map(|&e| (e, false)));
        for (expr, exact) in all {
            let jit = numjit::eval(expr, bind(&d)).unwrap_or_else(|e| panic!("{expr}: {e}"));
            let oracle = numjit::interpret(expr, bind(&d)).unwrap();
            if let Err(e) = same(&jit, &oracle, exact) {
                failures.push(format!("n={n} `{expr}`: {e}"));
            }
            // Into an existing output, as a script's assignment writes.
            if jit.dtype() == DType::Float64 && !jit.shape().is_empty() {
                let mut out = ArrayD::<f64>::from_elem(jit.shape(), 7.0);
                numjit::evaluate(expr, &mut out, bind(&d)).unwrap();
                if let Err(e) = same(&Array::Float64(out), &oracle, exact) {
                    failures.push(format!("n={n} `{expr}` into out: {e}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The float64 inputs `a`..`w` of `d` as views of every `step`-th element of arrays `|step|`
/// times longer (negative: read backwards), then bound as `bind` binds them; with `mixed`,
/// only `a`, `c`, `e`, ... are strided and the others contiguous.
fn strided_copies(d: &Data, step: isize) -> Vec<(String, ArrayD<f64>)> {
    let n = d.f64s[0].1.len();
    let k = step.unsigned_abs();
    d.f64s
        .iter()
        .map(|(name, a)| {
            // Filler values between the elements read (a wrong gather offset reads them).
            let mut big = vec![-1234.5; n * k + 1];
            for (i, &v) in a.iter().enumerate() {
                let at = if step > 0 { i * k } else { (n - 1 - i) * k };
                big[at] = v;
            }
            (name.clone(), Array1::from(big).into_dyn())
        })
        .collect()
}

/// Expressions of `FITS` over float64 inputs only (the strided variants).
fn float64_fits() -> impl Iterator<Item = (&'static str, bool)> {
    FITS.iter().copied().filter(|(e, _)| {
        !["x", "y", "z", "m ", "m*", "col", "grid", "k32"]
            .iter()
            .any(|v| e.contains(v))
    })
}

#[test]
fn strided_inputs_match_the_interpreter() {
    let mut failures = Vec::new();
    for n in lengths() {
        let d = data(n);
        for step in [2isize, 3, -1, -2] {
            let bigs = strided_copies(&d, step);
            for mixed in [false, true] {
                let views: Vec<(String, ndarray::ArrayViewD<f64>)> = bigs
                    .iter()
                    .zip(&d.f64s)
                    .enumerate()
                    .map(|(i, ((name, big), (_, plain)))| {
                        let v = if mixed && i % 2 == 1 {
                            plain.view()
                        } else if step > 0 {
                            big.slice(ndarray::s![..n as isize * step;step]).into_dyn()
                        } else {
                            let k = -step;
                            big.slice(ndarray::s![..(n as isize - 1) * k + 1;step])
                                .into_dyn()
                        };
                        (name.clone(), v)
                    })
                    .collect();
                let vars = || {
                    let mut v = Vars::new().bind("s", -1.5f64).bind("t", 1e-3f64);
                    for (name, a) in &views {
                        v = v.bind(name.as_str(), a.view());
                    }
                    v
                };
                for (expr, exact) in float64_fits() {
                    let jit = numjit::eval(expr, vars()).unwrap_or_else(|e| panic!("{expr}: {e}"));
                    let oracle = numjit::interpret(expr, vars()).unwrap();
                    if let Err(e) = same(&jit, &oracle, exact) {
                        failures.push(format!("n={n} step={step} mixed={mixed} `{expr}`: {e}"));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// float32 inputs strided (every other, every third, reversed), as the widened AVX2 form reads
/// them lane by lane, against the interpreter.
#[test]
fn float32_strided_inputs_match_the_interpreter() {
    let exprs = WIDENED.iter().copied().chain([
        "x + y",
        "x * y - z",
        "where(x > y, x, y * 2.5)",
        "sqrt(x) + round(y)",
    ]);
    let exprs: Vec<&str> = exprs.collect();
    let mut failures = Vec::new();
    for n in lengths() {
        for step in [2isize, 3, -1] {
            let k = step.unsigned_abs();
            let bigs: Vec<Array1<f32>> = (0..3)
                .map(|i| {
                    let v = values(n, i as u64 + 20);
                    let mut big = vec![-1234.5f32; n * k + 1];
                    for (j, &x) in v.iter().enumerate() {
                        let at = if step > 0 { j * k } else { (n - 1 - j) * k };
                        big[at] = x as f32;
                    }
                    Array1::from(big)
                })
                .collect();
            let views: Vec<ndarray::ArrayView1<f32>> = bigs
                .iter()
                .map(|big| match step > 0 {
                    true => big.slice(ndarray::s![..n as isize * step;step]),
                    false => big.slice(ndarray::s![..(n as isize - 1) * k as isize + 1;step]),
                })
                .collect();
            let vars = || {
                Vars::new()
                    .bind("x", views[0])
                    .bind("y", views[1])
                    .bind("z", views[2])
            };
            for expr in &exprs {
                let jit = numjit::eval(expr, vars()).unwrap_or_else(|e| panic!("{expr}: {e}"));
                let oracle = numjit::interpret(expr, vars()).unwrap();
                if let Err(e) = same(&jit, &oracle, false) {
                    failures.push(format!("n={n} step={step} `{expr}`: {e}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `n` finite values for `%`: signs mixed, magnitudes from 1e-3 to 1e4, exact multiples
/// of the divisors used (zero remainders), and quotients just below and above integers
/// (where the rounded quotient is one too large); with `special`, a NaN, an infinity, a
/// huge value and a zero at a few positions (the routine bails there).
fn modulo_values(n: usize, seed: u64, special: bool) -> Vec<f64> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..n)
        .map(|k| {
            let h = next();
            let v = match h % 5 {
                0 => ((h >> 8) % 200) as f64 * 0.5 - 50.0,
                1 => 2.5 * ((h >> 8) % 41) as f64 - 50.0 + f64::EPSILON * 64.0,
                2 => ((h >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 2e4,
                3 => 3.0 * (1.0 - f64::EPSILON) * ((h >> 8) % 9) as f64,
                _ => ((h >> 11) as f64 / (1u64 << 53) as f64) * 1e-3,
            };
            match (special, k % 29) {
                (true, 11) => f64::NAN,
                (true, 17) => f64::NEG_INFINITY,
                (true, 23) => 1e300,
                (true, 5) => -0.0,
                _ => v,
            }
        })
        .collect()
}

/// `%` in the routine: its fast path over long rows of ordinary values, and its bail (a NaN,
/// an infinity, a huge quotient or a zero divisor in some vector, after which the kernel's
/// other loops finish the row), contiguous and strided, against the interpreter.
#[test]
fn modulo_rows_match_the_interpreter() {
    let exprs = [
        "a % b",
        "a % 2",
        "b % -0.5",
        "a % 3",
        "where(a % 2 != 0.0, b + 5, 2)",
        "(a + b) % (b - 1) * 2",
        // More hoisted values than AVX2 registers for them: on the stack.
        "(a % 2) * 1.01 + (1.02 - b) * 1.03 + where(a > 1.04, 1.05, 1.06) + (b % 1.07) * 1.08 \
         + (1.09 - a) * 1.10 + (a + 1.11) * (1.12 - b) * 1.13 + 1.14 / (b * b + 1.15) + 1.16 * a",
    ];
    let mut failures = Vec::new();
    for n in lengths().into_iter().chain([4096, 5000]) {
        for special in [false, true] {
            let a = modulo_values(n, 1, special);
            let b = modulo_values(n, 2, special && n > 40);
            let a2: Vec<f64> = a.iter().flat_map(|&v| [v, -7.0]).collect();
            let (a1, b1) = (v1(a), v1(b));
            let a2 = Array1::from(a2);
            let strided = a2.slice(ndarray::s![..;2]);
            for expr in exprs {
                for step in [1, 2] {
                    let vars = || {
                        let v = Vars::new().bind("b", &b1);
                        if step == 1 {
                            v.bind("a", &a1)
                        } else {
                            v.bind("a", strided)
                        }
                    };
                    let jit = numjit::eval(expr, vars()).unwrap_or_else(|e| panic!("{expr}: {e}"));
                    let oracle = numjit::interpret(expr, vars()).unwrap();
                    if let Err(e) = same(&jit, &oracle, false) {
                        failures.push(format!("n={n} special={special} step={step} `{expr}`: {e}"));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Whether the host runs the routine (AVX-512F, or AVX2 with FMA; not switched off).
fn host_has_rows() -> bool {
    #[cfg(target_arch = "x86_64")]
    let has = {
        use std::arch::is_x86_feature_detected as has;
        has!("avx512f") || (has!("avx2") && has!("fma"))
    };
    #[cfg(not(target_arch = "x86_64"))]
    let has = false;
    has && !std::env::var("NUMJIT_WIDE").is_ok_and(|v| v.trim() == "0")
}

/// The kernel of `expr` with every input float64 (or float32 for `x y z`) and contiguous.
fn uses_the_routine(expr: &str) -> bool {
    uses_the_routine_at(expr, Access::Contiguous)
}

/// The kernel of `expr` with every array input at `access`.
fn uses_the_routine_at(expr: &str, access: Access) -> bool {
    let ast = syntax::parse(expr).expect("parse");
    let lookup = |name: &str| {
        Some(match name {
            "x" | "y" | "z" => DType::Float32,
            "k32" => DType::Int32,
            _ => DType::Float64,
        })
    };
    let program = check(&ast, &lookup, &[]).expect("check");
    let mut layout = vec![access; program.inputs.len() + 1];
    layout[0] = Access::Contiguous;
    for (k, input) in program.inputs.iter().enumerate() {
        if matches!(input.name.as_str(), "s" | "t" | "k32") {
            layout[k + 1] = Access::Scalar;
        }
    }
    compile_kernel(&program, &layout)
        .expect("codegen")
        .row_routine()
}

#[test]
fn the_routine_runs_where_it_fits() {
    if !host_has_rows() {
        // Without AVX-512 or AVX2 no kernel has it; the comparisons above test the other loops.
        assert!(!uses_the_routine("a + b") || !cfg!(target_arch = "x86_64"));
        return;
    }
    #[cfg(target_arch = "x86_64")]
    let avx512 = std::arch::is_x86_feature_detected!("avx512f");
    #[cfg(not(target_arch = "x86_64"))]
    let avx512 = false;
    for (expr, _) in FITS {
        if expr.contains("grid") || expr.contains("col") {
            continue; // slices and broadcasts: layouts chosen per call, covered above
        }
        assert!(uses_the_routine(expr), "`{expr}` should use the routine");
    }
    for expr in BEYOND {
        assert!(!uses_the_routine(expr), "`{expr}` is beyond the routine");
    }
    if !avx512 {
        for expr in ON_THE_STACK.iter().chain(WIDENED) {
            assert!(
                uses_the_routine(expr),
                "`{expr}` should use the AVX2 routine"
            );
        }
        // Widened, float32 inputs are read lane by lane too.
        for expr in ["x * y - x", "(x + 1)**50", "where(x % 2 != 0.0, y + 5, 2)"] {
            assert!(
                uses_the_routine_at(expr, Access::Strided),
                "`{expr}` strided"
            );
        }
    }
    // Strided float64 inputs are gathered: at most four with AVX-512 (each holds a register
    // of offsets), two with AVX2 (each holds a register of its stride); float32 ones are left
    // to the other loops.
    let limit = if avx512 { 4 } else { 2 };
    for (expr, _) in float64_fits() {
        let inputs = ["a", "b", "c", "d", "e", "f", "g2", "h", "u"]
            .iter()
            .filter(|name| {
                expr.split(|c: char| !c.is_alphanumeric())
                    .any(|word| word == **name)
            })
            .count();
        assert_eq!(
            uses_the_routine_at(expr, Access::Strided),
            inputs <= limit,
            "`{expr}` over {inputs} strided inputs"
        );
    }
    if avx512 {
        assert!(!uses_the_routine_at("x * y - z", Access::Strided));
    }
}

/// A pseudo-random expression over the operations the routine encodes: float64 names
/// `a`..`h` or float32 names `x y z`, the scalars, literals, arithmetic, rounding, constant
/// powers and `where` over comparisons and their logic, `depth` levels deep.
fn random_expr(seed: &mut u64, depth: u32, f32s: bool) -> String {
    let mut next = |n: u64| {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed % n
    };
    fn leaf(r: u64, f32s: bool) -> String {
        let names: &[&str] = if f32s {
            &["x", "y", "z", "x", "2.5", "0.5"]
        } else {
            &[
                "a", "b", "c", "d", "e", "f", "g2", "h", "s", "t", "1.5", "-0.0",
            ]
        };
        names[r as usize % names.len()].to_string()
    }
    if depth == 0 {
        return leaf(next(1000), f32s);
    }
    let sub = |seed: &mut u64| random_expr(seed, depth - 1, f32s);
    let pick = next(18);
    let (l, r) = (sub(seed), sub(seed));
    match pick {
        0 => format!("({l} + {r})"),
        1 => format!("({l} - {r})"),
        2 => format!("({l} * {r})"),
        3 => format!("({l} / {r})"),
        4 => format!("(-{l})"),
        5 => format!("abs({l})"),
        6 => format!("sqrt({l})"),
        7 => {
            ["floor", "ceil", "trunc", "round"][(seed.count_ones() % 4) as usize].to_string()
                + &format!("({l})")
        }
        8 => {
            let p = ["2", "3", "-1", "-2", "0.5", "1.5", "-2.5", "7", "16", "-9"];
            format!("({l})**{}", p[(*seed % p.len() as u64) as usize])
        }
        9..=11 => {
            let c = ["<", "<=", "==", "!=", ">=", ">"];
            let k = c[(*seed % 6) as usize];
            let cond = if pick == 11 {
                format!("(({l} {k} {r}) | ~({r} > 0))")
            } else {
                format!("({l} {k} {r})")
            };
            let third = sub(seed);
            format!("where({cond}, {l}, {third})")
        }
        12 => format!("maximum({l}, {r})"),
        13 => format!("minimum({l}, {r})"),
        _ => format!("({l} + {r} * {})", leaf(*seed, f32s)),
    }
}

#[test]
fn random_expressions_match_the_interpreter() {
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut failures = Vec::new();
    let mut routine = 0;
    // `NUMJIT_WIDE_FUZZ=N` runs N expressions instead (a longer search).
    let count: usize = std::env::var("NUMJIT_WIDE_FUZZ")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    for i in 0..count {
        let f32s = i % 4 == 3;
        let expr = random_expr(&mut seed, 2 + (i % 3) as u32, f32s);
        if std::env::var("NUMJIT_WIDE_FUZZ_SHOW").is_ok() {
            eprintln!("{expr}");
        }
        if host_has_rows() && uses_the_routine(&expr) {
            routine += 1;
        }
        for n in [1usize, 8, 13, 100] {
            let d = data(n);
            let jit = numjit::eval(&expr, bind(&d)).unwrap_or_else(|e| panic!("{expr}: {e}"));
            let oracle = numjit::interpret(&expr, bind(&d)).unwrap();
            if let Err(e) = same(&jit, &oracle, false) {
                failures.push(format!("n={n} `{expr}`: {e}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!("{routine} of {count} random expressions used the AVX-512 routine");
    // Float64 powers in float32 kernels, bool literals and the like leave some to the other
    // loops; most (three in four, at this seed) must take the routine.
    if host_has_rows() {
        assert!(
            routine >= count * 3 / 5,
            "{routine} of {count} used the routine"
        );
    }
}

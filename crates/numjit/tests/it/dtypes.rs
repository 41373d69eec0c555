//! int32, float32 and complex128 end to end: the per-dtype corpora in tests/data/dtypes (JIT
//! vs the reference interpreter, bit for bit, over C, Fortran, strided, reversed and broadcast
//! layouts and several schedules, and the result dtype each line states), NumPy's promotion
//! table row by row (np.result_type, recorded with NumPy 2.4.6), NumPy 2's weak literals, and
//! hand-written loops for the arithmetic of each dtype.

use ndarray::{ArrayD, Axis, IxDyn, ShapeBuilder};
use numjit::{Array, Complex64, DType, Schedule, Vars};

const SHAPE: [usize; 2] = [7, 9];

fn specials_f64(k: usize) -> f64 {
    let s = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        -2.5,
        3.75,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        1e-3,
        -7.0,
        100.0,
        0.9,
    ];
    if k.is_multiple_of(5) {
        s[(k / 5) % s.len()]
    } else {
        ((k * 37 % 101) as f64 - 50.0) / 13.0
    }
}

fn floats32(seed: usize) -> Vec<f32> {
    (0..63).map(|k| specials_f64(k + seed) as f32).collect()
}

fn floats64(seed: usize) -> Vec<f64> {
    (0..63).map(|k| specials_f64(k + seed)).collect()
}

fn ints32(seed: usize) -> Vec<i32> {
    let s = [0, 1, -1, 31, 32, -33, i32::MIN, i32::MAX, 65536, -7];
    (0..63)
        .map(|k| {
            if (k + seed).is_multiple_of(4) {
                s[((k + seed) / 4) % s.len()]
            } else {
                ((k + seed) * 29 % 61) as i32 - 30
            }
        })
        .collect()
}

fn complexes(seed: usize) -> Vec<Complex64> {
    (0..63)
        .map(|k| {
            let re = specials_f64(k + seed);
            let im = specials_f64(k * 3 + seed + 1);
            Complex64::new(re, im)
        })
        .collect()
}

fn arr<T: Clone>(v: Vec<T>) -> ArrayD<T> {
    ArrayD::from_shape_vec(IxDyn(&SHAPE), v).unwrap()
}

/// How an input is laid out in memory; the values are always the same.
#[derive(Clone, Copy, Debug)]
enum Layout {
    C,
    Fortran,
    /// Every other column of an array twice as wide.
    Strided,
    /// The last axis reversed (negative strides).
    Reversed,
}

const LAYOUTS: [Layout; 4] = [
    Layout::C,
    Layout::Fortran,
    Layout::Strided,
    Layout::Reversed,
];

/// An array owning memory in `layout` whose view ([`view`]) holds the values of `a`.
fn owner<T: Copy + Default>(a: &ArrayD<T>, layout: Layout) -> ArrayD<T> {
    match layout {
        Layout::C => a.clone(),
        Layout::Fortran => {
            let mut f = ArrayD::from_elem(IxDyn(&SHAPE).f(), T::default());
            f.assign(a);
            f
        }
        Layout::Strided => {
            let mut w = ArrayD::from_elem(IxDyn(&[SHAPE[0], SHAPE[1] * 2]), T::default());
            w.slice_each_axis_mut(|ax| {
                ndarray::Slice::new(0, None, if ax.axis.index() == 1 { 2 } else { 1 })
            })
            .assign(a);
            w
        }
        Layout::Reversed => {
            let mut r = a.clone();
            r.invert_axis(Axis(1));
            r
        }
    }
}

fn view<T>(o: &ArrayD<T>, layout: Layout) -> ndarray::ArrayViewD<'_, T> {
    match layout {
        Layout::C | Layout::Fortran => o.view(),
        Layout::Strided => o.slice_each_axis(|ax| {
            ndarray::Slice::new(0, None, if ax.axis.index() == 1 { 2 } else { 1 })
        }),
        Layout::Reversed => {
            let mut v = o.view();
            v.invert_axis(Axis(1));
            v
        }
    }
}

struct Data {
    f32s: Vec<(&'static str, ArrayD<f32>)>,
    f64s: Vec<(&'static str, ArrayD<f64>)>,
    i32s: Vec<(&'static str, ArrayD<i32>)>,
    i64s: Vec<(&'static str, ArrayD<i64>)>,
    c128s: Vec<(&'static str, ArrayD<Complex64>)>,
    bools: Vec<(&'static str, ArrayD<bool>)>,
}

fn data() -> Data {
    Data {
        f32s: vec![("x", arr(floats32(0))), ("y", arr(floats32(3)))],
        f64s: vec![("a", arr(floats64(1)))],
        i32s: vec![("i", arr(ints32(0))), ("j", arr(ints32(5)))],
        i64s: vec![(
            "n",
            arr((0..63).map(|k| k as i64 * 1_000_003 - 9).collect()),
        )],
        c128s: vec![("z", arr(complexes(0))), ("w", arr(complexes(7)))],
        bools: vec![("p", arr((0..63).map(|k| k % 3 != 1).collect()))],
    }
}

/// The data re-laid out; borrowed views of it make the bindings.
struct Owned {
    f32s: Vec<(&'static str, ArrayD<f32>)>,
    f64s: Vec<(&'static str, ArrayD<f64>)>,
    i32s: Vec<(&'static str, ArrayD<i32>)>,
    i64s: Vec<(&'static str, ArrayD<i64>)>,
    c128s: Vec<(&'static str, ArrayD<Complex64>)>,
    bools: Vec<(&'static str, ArrayD<bool>)>,
    layout: Layout,
}

fn relayout<T: Copy + Default>(
    v: &[(&'static str, ArrayD<T>)],
    l: Layout,
) -> Vec<(&'static str, ArrayD<T>)> {
    v.iter().map(|(n, a)| (*n, owner(a, l))).collect()
}

impl Owned {
    fn new(d: &Data, layout: Layout) -> Owned {
        Owned {
            f32s: relayout(&d.f32s, layout),
            f64s: relayout(&d.f64s, layout),
            i32s: relayout(&d.i32s, layout),
            i64s: relayout(&d.i64s, layout),
            c128s: relayout(&d.c128s, layout),
            bools: relayout(&d.bools, layout),
            layout,
        }
    }

    fn vars(&self) -> Vars<'_> {
        let l = self.layout;
        let mut v = Vars::new()
            .bind("s", -0.75f32)
            .bind("k", 3i32)
            .bind("c", Complex64::new(0.5, -1.5));
        for (n, a) in &self.f32s {
            v = v.bind(n, view(a, l));
        }
        for (n, a) in &self.f64s {
            v = v.bind(n, view(a, l));
        }
        for (n, a) in &self.i32s {
            v = v.bind(n, view(a, l));
        }
        for (n, a) in &self.i64s {
            v = v.bind(n, view(a, l));
        }
        for (n, a) in &self.c128s {
            v = v.bind(n, view(a, l));
        }
        for (n, a) in &self.bools {
            v = v.bind(n, view(a, l));
        }
        v
    }
}

/// The bits of every element (signs of zero and all; every NaN counts as one value, since
/// the complex product's fused multiply-add is a machine instruction in kernels and a libm
/// routine in the interpreter, which may return differently signed NaNs).
fn bits(a: &Array) -> Vec<u128> {
    let f64_bits = |v: f64| if v.is_nan() { u64::MAX } else { v.to_bits() };
    match a {
        Array::Bool(x) => x.iter().map(|&b| b as u128).collect(),
        Array::Int32(x) => x.iter().map(|&v| v as u32 as u128).collect(),
        Array::Int64(x) => x.iter().map(|&v| v as u64 as u128).collect(),
        Array::Float32(x) => x
            .iter()
            .map(|&v| {
                if v.is_nan() {
                    u128::MAX
                } else {
                    v.to_bits() as u128
                }
            })
            .collect(),
        Array::Float64(x) => x.iter().map(|&v| f64_bits(v) as u128).collect(),
        Array::Complex128(x) => x
            .iter()
            .map(|z| (f64_bits(z.re) as u128) << 64 | f64_bits(z.im) as u128)
            .collect(),
    }
}

fn schedules() -> Vec<Schedule> {
    let mut v = vec![Schedule::default()];
    for (threads, chunk) in [(1, 1), (2, 3), (2, 7), (3, 1 << 14)] {
        v.push(Schedule {
            threads: Some(threads),
            chunk,
            serial_below: 0,
            ..Default::default()
        });
    }
    v
}

fn corpus(text: &str) -> Vec<(String, DType)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (e, dt) = l.split_once(" -> ").expect("`expr -> dtype`");
            let dt = DType::ALL
                .into_iter()
                .find(|d| d.name() == dt.trim())
                .unwrap_or_else(|| panic!("unknown dtype in `{l}`"));
            (e.trim().to_string(), dt)
        })
        .collect()
}

fn replay(text: &str) {
    let d = data();
    let scheds = schedules();
    let mut failures = Vec::new();
    for (expr, dt) in corpus(text) {
        let reference = {
            let o = Owned::new(&d, Layout::C);
            numjit::interpret(&expr, o.vars()).unwrap_or_else(|e| panic!("{expr}:\n{e}"))
        };
        assert_eq!(reference.dtype(), dt, "{expr}: result dtype");
        assert_eq!(reference.shape(), &SHAPE, "{expr}");
        for layout in LAYOUTS {
            let o = Owned::new(&d, layout);
            let c = numjit::compile(&expr).unwrap();
            let interp = c.interpret(o.vars()).unwrap();
            if bits(&interp) != bits(&reference) {
                failures.push(format!(
                    "{expr} [{layout:?}]: the interpreter depends on layout"
                ));
            }
            for sched in &scheds {
                let got = c.eval_with(o.vars(), sched).unwrap();
                if bits(&got) != bits(&reference) {
                    failures.push(format!(
                        "{expr} [{layout:?}, {sched:?}]:\n  jit    {got:?}\n  interp {reference:?}"
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn float32_corpus_jit_matches_interpreter_everywhere() {
    replay(include_str!("../data/dtypes/float32.txt"));
}

#[test]
fn int32_corpus_jit_matches_interpreter_everywhere() {
    replay(include_str!("../data/dtypes/int32.txt"));
}

#[test]
fn complex128_corpus_jit_matches_interpreter_everywhere() {
    replay(include_str!("../data/dtypes/complex128.txt"));
}

/// One element of each dtype, as a 1-element array.
fn one_of(dt: DType) -> Array {
    let s = IxDyn(&[1]);
    match dt {
        DType::Bool => Array::Bool(ArrayD::from_elem(s, true)),
        DType::Int32 => Array::Int32(ArrayD::from_elem(s, 1)),
        DType::Int64 => Array::Int64(ArrayD::from_elem(s, 1)),
        DType::Float32 => Array::Float32(ArrayD::from_elem(s, 1.0)),
        DType::Float64 => Array::Float64(ArrayD::from_elem(s, 1.0)),
        DType::Complex128 => Array::Complex128(ArrayD::from_elem(s, Complex64::new(1.0, 0.0))),
        DType::Bytes(_) => unreachable!("the table covers the numeric dtypes"),
    }
}

fn dtype_named(name: &str) -> DType {
    DType::ALL.into_iter().find(|d| d.name() == name).unwrap()
}

/// NumPy 2.4.6: `(np.ones(2, A) + np.ones(2, B)).dtype` and `/` for every pair, in
/// `DType::ALL` order (bool + bool shown as bool: `+` on bools is logical or).
const TABLE: [[(&str, &str); 6]; 6] = [
    [
        ("bool", "float64"),
        ("int32", "float64"),
        ("int64", "float64"),
        ("float32", "float32"),
        ("float64", "float64"),
        ("complex128", "complex128"),
    ],
    [
        ("int32", "float64"),
        ("int32", "float64"),
        ("int64", "float64"),
        ("float64", "float64"),
        ("float64", "float64"),
        ("complex128", "complex128"),
    ],
    [
        ("int64", "float64"),
        ("int64", "float64"),
        ("int64", "float64"),
        ("float64", "float64"),
        ("float64", "float64"),
        ("complex128", "complex128"),
    ],
    [
        ("float32", "float32"),
        ("float64", "float64"),
        ("float64", "float64"),
        ("float32", "float32"),
        ("float64", "float64"),
        ("complex128", "complex128"),
    ],
    [
        ("float64", "float64"),
        ("float64", "float64"),
        ("float64", "float64"),
        ("float64", "float64"),
        ("float64", "float64"),
        ("complex128", "complex128"),
    ],
    [("complex128", "complex128"); 6],
];

#[test]
fn promotion_table_rows_match_numpy() {
    for (r, &a) in DType::ALL.iter().enumerate() {
        for (c, &b) in DType::ALL.iter().enumerate() {
            let (add, div) = TABLE[r][c];
            let (x, y) = (one_of(a), one_of(b));
            let v = || numjit::vars! {"x" => &x, "y" => &y};
            let sum = numjit::eval("x + y", v()).unwrap();
            assert_eq!(sum.dtype(), dtype_named(add), "{a} + {b}");
            assert_eq!(a.promote(b), dtype_named(add), "DType::promote({a}, {b})");
            let q = numjit::eval("x / y", v()).unwrap();
            assert_eq!(q.dtype(), dtype_named(div), "{a} / {b}");
            // Comparisons compute in the promoted dtype and give bool.
            assert_eq!(numjit::eval("x < y", v()).unwrap().dtype(), DType::Bool);
        }
    }
}

/// NumPy 2.4.6: `(np.ones(2, A) + literal).dtype` for the literals 2, 2.5, 2j and True.
/// float32 + 2j is complex64 in NumPy; numjit has no complex64 and gives complex128.
const WEAK: [(&str, [&str; 4]); 6] = [
    ("bool", ["int64", "float64", "complex128", "bool"]),
    ("int32", ["int32", "float64", "complex128", "int32"]),
    ("int64", ["int64", "float64", "complex128", "int64"]),
    ("float32", ["float32", "float32", "complex128", "float32"]),
    ("float64", ["float64", "float64", "complex128", "float64"]),
    (
        "complex128",
        ["complex128", "complex128", "complex128", "complex128"],
    ),
];

#[test]
fn python_literals_are_weak_as_in_numpy_2() {
    for (dt, want) in WEAK {
        let x = one_of(dtype_named(dt));
        for (lit, w) in ["2", "2.5", "2j", "True"].iter().zip(want) {
            let r = numjit::eval(&format!("x + {lit}"), numjit::vars! {"x" => &x}).unwrap();
            assert_eq!(r.dtype(), dtype_named(w), "{dt} + {lit}");
            let r = numjit::eval(&format!("{lit} + x"), numjit::vars! {"x" => &x}).unwrap();
            assert_eq!(r.dtype(), dtype_named(w), "{lit} + {dt}");
        }
    }
    // A Rust scalar is a typed (strong) value, as a NumPy scalar is.
    let x = one_of(DType::Float32);
    let r = numjit::eval("x + k", numjit::vars! {"x" => &x, "k" => 2.5f64}).unwrap();
    assert_eq!(r.dtype(), DType::Float64);
    // A literal int32 cannot hold is refused, as NumPy 2 refuses it; comparisons still work.
    let i = one_of(DType::Int32);
    let e = numjit::eval("i + 3000000000", numjit::vars! {"i" => &i}).unwrap_err();
    assert_eq!(
        e.to_string(),
        "error: Python integer 3000000000 out of bounds for int32 (NumPy refuses it too); make the array int64 or write a float\n  i + 3000000000\n  ^^^^^^^^^^^^^^"
    );
    let r = numjit::eval("i < 3000000000", numjit::vars! {"i" => &i}).unwrap();
    assert_eq!(
        r.as_bool().unwrap().iter().copied().collect::<Vec<_>>(),
        [true]
    );
}

/// `Compiled::numexpr` (the Python package's numexpr-compatible entry points): integer
/// literals typed as numexpr 2.14.2 types them (int32 when the exact value fits, int64
/// otherwise; that dtype against bool and integer operands, weak against float and complex
/// ones), measured with numexpr; `Compiled::new` keeps NumPy 2's weak literals. Values: the
/// interpreter and hand-computed numbers.
#[test]
fn numexpr_literals_are_int32_when_they_fit() {
    // (expression, x's dtype, numexpr's result dtype, NumPy's (Compiled::new) result dtype,
    // the value at x = 1 as f64)
    let cases = [
        ("2", "bool", "int32", "int64", 2.0),
        ("2 + 3", "bool", "int32", "int64", 5.0),
        ("-2147483648", "bool", "int32", "int64", -2147483648.0),
        ("2147483647 + 1", "bool", "int64", "int64", 2147483648.0),
        ("2**40", "bool", "int64", "int64", 1099511627776.0),
        ("True + 1", "bool", "int32", "int64", 2.0),
        ("7 // 2 * 2.5", "bool", "float64", "float64", 7.5),
        ("x + 2", "bool", "int32", "int64", 3.0),
        ("x * 2**40", "bool", "int64", "int64", 1099511627776.0),
        ("x + 2", "int32", "int32", "int32", 3.0),
        ("x + (2**40 - 2**40 + 1)", "int32", "int32", "int32", 2.0),
        ("x + 2", "int64", "int64", "int64", 3.0),
        ("x * 2", "float32", "float32", "float32", 2.0),
        (
            "x + 2**40",
            "float32",
            "float32",
            "float32",
            1099511627776.0,
        ),
        ("x + 2", "float64", "float64", "float64", 3.0),
        ("x + 2", "complex128", "complex128", "complex128", 3.0),
        ("where(x, 1, 2)", "bool", "int32", "int64", 1.0),
        (
            "where(x, 2**40, 1)",
            "bool",
            "int64",
            "int64",
            1099511627776.0,
        ),
        ("real(2)", "bool", "int32", "int64", 2.0),
    ];
    let value = |a: &Array| -> f64 {
        match a {
            Array::Int32(v) => v.iter().next().copied().unwrap() as f64,
            Array::Int64(v) => v.iter().next().copied().unwrap() as f64,
            Array::Float32(v) => v.iter().next().copied().unwrap() as f64,
            Array::Float64(v) => v.iter().next().copied().unwrap(),
            Array::Complex128(v) => v.iter().next().copied().unwrap().re,
            Array::Bool(v) => v.iter().next().copied().unwrap() as u8 as f64,
        }
    };
    for (text, x_dt, numexpr_dt, numpy_dt, want) in cases {
        let x = one_of(dtype_named(x_dt));
        for (c, dt) in [
            (numjit::Compiled::numexpr(text).unwrap(), numexpr_dt),
            (numjit::Compiled::new(text).unwrap(), numpy_dt),
        ] {
            let bind = || {
                if c.input_names().is_empty() {
                    Vars::new()
                } else {
                    numjit::vars! {"x" => &x}
                }
            };
            let r = c.eval(bind()).unwrap();
            assert_eq!(r.dtype(), dtype_named(dt), "{text} with x {x_dt}");
            assert_eq!(r, c.interpret(bind()).unwrap(), "{text}");
            assert_eq!(value(&r), want, "{text}");
        }
    }
    // numexpr computes an int32 operand with a literal it cannot hold in int64; NumPy refuses.
    let i = one_of(DType::Int32);
    let r = numjit::Compiled::numexpr("i * 3000000000")
        .unwrap()
        .eval(numjit::vars! {"i" => &i})
        .unwrap();
    assert_eq!(
        r.as_i64().unwrap().iter().copied().collect::<Vec<_>>(),
        [3000000000]
    );
    let e = numjit::Compiled::new("i * 3000000000")
        .unwrap()
        .eval(numjit::vars! {"i" => &i})
        .unwrap_err();
    assert!(e.message().contains("out of bounds for int32"), "{e}");
    // Reductions' arguments follow the expression's rule: max of an int32 is int32.
    let b = one_of(DType::Bool);
    let r = numjit::Compiled::numexpr("max(b * 2)")
        .unwrap()
        .eval(numjit::vars! {"b" => &b})
        .unwrap();
    assert_eq!(r.dtype(), DType::Int32);
    assert_eq!(value(&r), 2.0);
}

#[test]
fn float32_arithmetic_matches_rust_f32() {
    let x = floats32(0);
    let y = floats32(3);
    let r = numjit::eval("x * y + x / y - 0.1", numjit::vars! {"x" => &x, "y" => &y}).unwrap();
    let want: Vec<u32> = x
        .iter()
        .zip(&y)
        .map(|(&a, &b)| (a * b + a / b - 0.1f32).to_bits())
        .collect();
    let got: Vec<u32> = r.as_f32().unwrap().iter().map(|v| v.to_bits()).collect();
    assert_eq!(got, want);
    // Math functions: float64 evaluation rounded once (NumPy's float32 loops are within an ulp
    // or two of this).
    let r = numjit::eval("sin(x)", numjit::vars! {"x" => &x}).unwrap();
    for (got, &a) in r.as_f32().unwrap().iter().zip(&x) {
        let want = (a as f64).sin() as f32;
        let ulps = (got.to_bits() as i64 - want.to_bits() as i64).abs();
        assert!(
            got.is_nan() && want.is_nan() || ulps <= 1,
            "sin({a}): {got} vs {want}"
        );
    }
}

#[test]
fn int32_arithmetic_wraps_as_numpy() {
    let i = ints32(0);
    let j = ints32(5);
    let r = numjit::eval(
        "i * j + i - (j << 3) + (i >> 33)",
        numjit::vars! {"i" => &i, "j" => &j},
    )
    .unwrap();
    let want: Vec<i32> = i
        .iter()
        .zip(&j)
        .map(|(&a, &b)| {
            a.wrapping_mul(b)
                .wrapping_add(a)
                .wrapping_sub(b.wrapping_shl(3))
                .wrapping_add(if a < 0 { -1 } else { 0 })
        })
        .collect();
    assert_eq!(
        r.as_i32().unwrap().iter().copied().collect::<Vec<_>>(),
        want
    );
    let r = numjit::eval("i // j + i % j", numjit::vars! {"i" => &i, "j" => &j}).unwrap();
    let want: Vec<i32> = i
        .iter()
        .zip(&j)
        .map(|(&a, &b)| {
            if b == 0 {
                return 0;
            }
            // Python floor division, then the remainder with the divisor's sign.
            let (a, b) = (a as i64, b as i64);
            let q = if a % b != 0 && ((a < 0) != (b < 0)) {
                a / b - 1
            } else {
                a / b
            };
            (q as i32).wrapping_add((a - q * b) as i32)
        })
        .collect();
    assert_eq!(
        r.as_i32().unwrap().iter().copied().collect::<Vec<_>>(),
        want
    );
}

#[test]
fn complex_arithmetic_known_values() {
    let z = vec![Complex64::new(1.0, 2.0), Complex64::new(-3.0, 0.5)];
    let w = vec![Complex64::new(0.5, -1.0), Complex64::new(2.0, 2.0)];
    let r = numjit::eval("z * w - z / w + 2j", numjit::vars! {"z" => &z, "w" => &w}).unwrap();
    let got = r.as_c128().unwrap();
    for k in 0..2 {
        let want = z[k] * w[k] - z[k] / w[k] + Complex64::new(0.0, 2.0);
        assert!((got[k] - want).norm() < 1e-14, "{k}: {} vs {want}", got[k]);
    }
    // The product bit for bit as NumPy's x86-64 loop computes it (fused multiply-adds), on
    // values where the textbook formula rounds differently, and where it overflows.
    let a = vec![
        Complex64::new(0.49543508709194095, 0.4494910647887381),
        Complex64::new(1.0 / 3.0, -2.0 / 7.0),
        Complex64::new(1e308, 1e308),
    ];
    let b = vec![
        Complex64::new(0.651592972722763, 0.7887233511355132),
        Complex64::new(5.0 / 11.0, 0.2),
        Complex64::new(1e308, 1e308),
    ];
    for expr in ["a * b", "a * b + 0", "a ** 2"] {
        let r = numjit::eval(expr, numjit::vars! {a, b}).unwrap();
        let got = r.as_c128().unwrap();
        for k in 0..a.len() {
            let y = if expr == "a ** 2" { a[k] } else { b[k] };
            let want = Complex64::new(
                a[k].re.mul_add(y.re, -(a[k].im * y.im)),
                a[k].re.mul_add(y.im, a[k].im * y.re),
            );
            assert_eq!(
                (got[k].re.to_bits(), got[k].im.to_bits()),
                (want.re.to_bits(), want.im.to_bits()),
                "{expr} at {k}: {} vs {want}",
                got[k]
            );
        }
    }
    // NumPy 2.4.6 on x86-64: np.array([a[0]]) * np.array([b[0]]).
    let numpy = numjit::eval("a * b", numjit::vars! {a, b}).unwrap();
    assert_eq!(
        numpy.as_c128().unwrap()[0],
        Complex64::new(-0.03170207773624486, 0.6836464412792844)
    );
    let textbook = |x: Complex64, y: Complex64| x.re * y.re - x.im * y.im;
    assert_ne!(
        textbook(a[0], b[0]).to_bits(),
        a[0].re.mul_add(b[0].re, -(a[0].im * b[0].im)).to_bits(),
        "the test values must tell the two formulas apart"
    );
    // (1+2j)(0.5-1j) = 2.5 + 0j exactly; sqrt(-4) = 2j; abs(3+4j) = 5.
    let r = numjit::eval("z * w", numjit::vars! {"z" => &z, "w" => &w}).unwrap();
    assert_eq!(r.as_c128().unwrap()[0], Complex64::new(2.5, 0.0));
    let m = vec![Complex64::new(-4.0, 0.0), Complex64::new(3.0, 4.0)];
    let r = numjit::eval("sqrt(m)", numjit::vars! {"m" => &m}).unwrap();
    assert_eq!(r.as_c128().unwrap()[0], Complex64::new(0.0, 2.0));
    let r = numjit::eval("abs(m)", numjit::vars! {"m" => &m}).unwrap();
    assert_eq!(r.as_f64().unwrap()[1], 5.0);
    let r = numjit::eval("real(m) + imag(m)", numjit::vars! {"m" => &m}).unwrap();
    assert_eq!(
        r.as_f64().unwrap().iter().copied().collect::<Vec<_>>(),
        [-4.0, 7.0]
    );
}

#[test]
fn refused_operations_name_the_dtype() {
    let z = vec![Complex64::new(1.0, 2.0)];
    let x = vec![1.5f32];
    for (expr, msg) in [
        (
            "z // z",
            "`//` is not defined for complex operands (complex128 and complex128)",
        ),
        (
            "z % 2",
            "`%` is not defined for complex operands (complex128 and int64)",
        ),
        (
            "z & z",
            "`&` is not defined for complex operands (complex128 and complex128)",
        ),
        (
            "floor(z)",
            "`floor` is not defined for complex128 (NumPy refuses it too)",
        ),
        (
            "arctan2(z, z)",
            "`arctan2` is not defined for complex128 (NumPy refuses it too)",
        ),
        (
            "x << 1",
            "`<<` is not defined for float operands (float32 and int64)",
        ),
        (
            "complex(z, 1)",
            "`complex` is not defined for complex128 (NumPy refuses it too)",
        ),
    ] {
        let e = numjit::eval(expr, numjit::vars! {"z" => &z, "x" => &x}).unwrap_err();
        assert_eq!(e.kind(), numjit::ErrorKind::DType, "{expr}");
        assert!(e.to_string().contains(msg), "{expr}: {e}");
        assert!(e.to_string().contains('^'), "{expr}: {e}");
    }
}

#[test]
fn outputs_of_each_dtype_are_written_in_place() {
    let x = floats32(0);
    let mut out = vec![0f32; x.len()];
    numjit::evaluate("x * 2", &mut out, numjit::vars! {"x" => &x}).unwrap();
    let want: Vec<u32> = x.iter().map(|v| (v * 2.0).to_bits()).collect();
    assert_eq!(out.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), want);
    let z = complexes(0);
    let mut zo = vec![Complex64::new(0.0, 0.0); z.len()];
    numjit::evaluate("conj(z)", &mut zo, numjit::vars! {"z" => &z}).unwrap();
    for (a, b) in zo.iter().zip(&z) {
        assert_eq!(a.re.to_bits(), b.re.to_bits());
        assert_eq!(a.im.to_bits(), (-b.im).to_bits());
    }
}

/// numexpr's byte-string semantics: NUL-padded comparison across widths, `contains`.
#[test]
fn byte_strings_compare_nul_padded_and_contains() {
    let s: Vec<[u8; 4]> = vec![*b"abc\0", *b"abcd", *b"b\0\0\0", *b"\0\0\0\0", *b"xbcx"];
    let t: Vec<[u8; 2]> = vec![*b"ab", *b"ab", *b"b\0", *b"\0\0", *b"bc"];
    let v = || numjit::vars! {"s" => &s, "t" => &t};
    let col = |e: &str| -> Vec<bool> {
        let jit = numjit::eval(e, v()).unwrap_or_else(|err| panic!("{e}: {err}"));
        let oracle = numjit::interpret(e, v()).unwrap();
        assert_eq!(jit, oracle, "{e}");
        jit.as_bool().unwrap().iter().copied().collect()
    };
    // Hand-computed (NumPy: np.array([b'abc', b'abcd', b'b', b'', b'xbcx']) == b'abc', etc.).
    assert_eq!(col("s == b'abc'"), [true, false, false, false, false]);
    assert_eq!(col("s == 'abc'"), [true, false, false, false, false]);
    assert_eq!(col("s > t"), [true, true, false, false, true]);
    assert_eq!(col("s <= t"), [false, false, true, true, false]);
    assert_eq!(col("s != t"), [true, true, false, false, true]);
    assert_eq!(col("t == b'b'"), [false, false, true, false, false]);
    assert_eq!(col("s < b'b'"), [true, true, false, true, false]);
    assert_eq!(col("s >= b''"), [true; 5]);
    assert_eq!(col("contains(s, t)"), [true, true, true, true, true]);
    assert_eq!(col("contains(s, b'bc')"), [true, true, false, false, true]);
    assert_eq!(
        col("contains(s, b'cd') | (s == b'')"),
        [false, true, false, true, false]
    );
    assert_eq!(
        col("contains(b'xxabcxx', t)"),
        [true, true, true, true, true]
    );
    // Strings broadcast like any array: a 2-D array of strings against a row.
    let grid = numjit::Arg::bytes(b"aaabbbcccddd", 3, &[2, 2]);
    let r = numjit::eval("g == b'bbb'", numjit::vars! {"g" => grid}).unwrap();
    assert_eq!(
        r.as_bool().unwrap().iter().copied().collect::<Vec<_>>(),
        [false, true, false, false]
    );
}

#[test]
fn byte_strings_are_only_compared_or_searched() {
    let s: Vec<[u8; 3]> = vec![*b"abc"];
    let x = vec![1.0f64];
    for (expr, msg) in [
        ("s + s", "byte strings can only be compared"),
        ("s", "byte strings can only be compared"),
        ("-s", "byte strings can only be compared"),
        ("where(x > 0, s, s)", "byte strings can only be compared"),
        (
            "s == x",
            "cannot compare byte strings with numbers (bytes3 (S3) and float64)",
        ),
        ("s < 1", "cannot compare byte strings with numbers"),
        (
            "contains(s, x)",
            "`contains` searches byte strings for byte strings",
        ),
        ("sin(b'a')", "byte strings can only be compared"),
    ] {
        let e = numjit::eval(expr, numjit::vars! {"s" => &s, "x" => &x}).unwrap_err();
        assert_eq!(e.kind(), numjit::ErrorKind::DType, "{expr}");
        assert!(e.to_string().contains(msg), "{expr}: {e}");
        assert!(e.to_string().contains('^'), "{expr}: {e}");
    }
}

/// Review findings, each a regression test.
#[test]
fn integer_literal_arithmetic_that_overflows_int64_is_refused() {
    let d = vec![1.0f64, 2.0];
    for (expr, msg) in [
        ("d * 10**20", "`10 ** 20` overflows int64"),
        ("2**64 + 0.5", "`2 ** 64` overflows int64"),
        ("d + 9223372036854775807 + 1", ""),
        ("d + (9223372036854775807 + 1)", "overflows int64"),
        (
            "d + 3 * 4611686018427387904",
            "`3 * 4611686018427387904` overflows int64",
        ),
        ("d + (1 << 63)", "`1 << 63` overflows int64"),
    ] {
        let r = numjit::eval(expr, numjit::vars! {d});
        if msg.is_empty() {
            // Typed d + literal, then + 1: float64 arithmetic, no literal overflow.
            assert!(r.is_ok(), "{expr}");
        } else {
            let e = r.unwrap_err();
            assert_eq!(e.kind(), numjit::ErrorKind::DType, "{expr}");
            assert!(e.to_string().contains(msg), "{expr}: {e}");
        }
    }
    let r = numjit::eval("d + 2**62 - (-2)**63", numjit::vars! {d}).unwrap();
    assert_eq!(r.as_f64().unwrap()[0], 1.0 + 2f64.powi(62) + 2f64.powi(63));
}

#[test]
fn unsafe_float_to_int_casts_give_numpys_x86_answers() {
    let a = vec![
        f64::NAN,
        1e20,
        -1e20,
        3e9,
        f64::INFINITY,
        -2.7,
        2.7,
        -2147483648.9,
    ];
    let mut o = vec![0i32; a.len()];
    numjit::evaluate_casting("a", &mut o, numjit::vars! {a}, numjit::Casting::Unsafe).unwrap();
    // np.array(a).astype(np.int32) on x86-64.
    let m = i32::MIN;
    assert_eq!(o, [m, m, m, m, m, -2, 2, m]);
    let mut o64 = vec![0i64; a.len()];
    numjit::evaluate_casting("a", &mut o64, numjit::vars! {a}, numjit::Casting::Unsafe).unwrap();
    let m = i64::MIN;
    assert_eq!(o64, [m, m, m, 3000000000, m, -2, 2, -2147483648]);
}

#[test]
fn scripts_assign_literals_into_narrow_targets_and_int32_bounds_work() {
    let mut x = vec![0i32; 3];
    numjit::execute(
        "x[0] = 5; x[1] = -7",
        numjit::Vars::new().bind_mut("x", &mut x),
    )
    .unwrap();
    assert_eq!(x, [5, -7, 0]);
    let e = numjit::execute(
        "x[0] = 1; x[1] = 3000000000",
        numjit::Vars::new().bind_mut("x", &mut x),
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("Python integer 3000000000 out of bounds for int32"),
        "{e}"
    );
    assert_eq!(x, [5, -7, 0], "a failed script writes nothing");
    let mut y = vec![0f32; 3];
    numjit::execute(
        "y[1] = 2.5; y[2] = 1",
        numjit::Vars::new().bind_mut("y", &mut y),
    )
    .unwrap();
    assert_eq!(y, [0.0, 2.5, 1.0]);
    // Arrays still convert only without loss: float64 values into float32 are refused.
    let a = vec![1.0f64; 3];
    let e = numjit::execute(
        "y[...] = a",
        numjit::Vars::new().bind_mut("y", &mut y).bind("a", &a),
    )
    .unwrap_err();
    assert_eq!(e.kind(), numjit::ErrorKind::Output);
    // int32 scalars are subscript bounds like int64 ones.
    let i = vec![1i32, 2, 3];
    let k = 1i32;
    let r = numjit::eval("i[k:]", numjit::vars! {i, k}).unwrap();
    assert_eq!(
        r.as_i32().unwrap().iter().copied().collect::<Vec<_>>(),
        [2, 3]
    );
}

#[test]
#[should_panic(expected = "data holds shape × width bytes")]
fn byte_string_shapes_that_overflow_are_refused() {
    let _ = numjit::Arg::bytes(&[], 1, &[1 << 62, 4]);
}

/// Kernels mixing float32 and float64 values run a 2-lane vector loop with each float32 value
/// in a float64 lane, every operation rounded to float32: the interpreter's bits, on arrays
/// long enough for tiles, the vector loop and its tails, contiguous and strided, through
/// arithmetic, math functions, `%`, `//`, `nextafter`, comparisons, `where` and casts.
#[test]
fn mixed_float32_float64_kernels_match_the_interpreter() {
    let n = 5003;
    let a: Vec<f32> = (0..n)
        .map(|i| match i % 97 {
            0 => f32::NAN,
            1 => f32::INFINITY,
            2 => -0.0,
            3 => 1e-40,
            _ => ((i * 7919) % 2003) as f32 * 0.013 - 13.0,
        })
        .collect();
    let b: Vec<f64> = (0..n)
        .map(|i| ((i * 104_729) % 1999) as f64 * 0.007 - 7.0)
        .collect();
    let k: Vec<i64> = (0..n).map(|i| (i as i64 - 2500) * 1_000_000_007).collect();
    let wide: Vec<f32> = a.iter().flat_map(|&x| [x, 0.5]).collect();
    let strided = ndarray::ArrayView1::from(&wide[..]).slice_move(ndarray::s![..;2]);
    let exprs = [
        "a * b + a",
        "2*a + (cos(3.0)+5)*sinh(cos(a))",
        "where(a > b, a / 3, sqrt(abs(a)))",
        "exp(a) - b",
        "a % 1.5 + b",
        "a // 0.7 + b",
        "nextafter(a, a + 1) * b",
        "a ** 3 + (a + 20) ** 50 * 0 + b",
        "arctan2(a, a + 1) + b",
        "(a + 1) > b",
        "where(b > 0, a * 3, sin(a) - 1)",
    ];
    // Bits of every element (NaN equal to NaN: which of two NaN operands propagates is
    // open, see ARCHITECTURE.md).
    let bits = |x: &numjit::Array| -> Vec<u64> {
        let key64 = |v: f64| if v.is_nan() { u64::MAX } else { v.to_bits() };
        match (x.as_f64(), x.as_f32(), x.as_bool()) {
            (Some(v), _, _) => v.iter().map(|&v| key64(v)).collect(),
            (_, Some(v), _) => v.iter().map(|&v| key64(v as f64) ^ 1).collect(),
            (_, _, Some(v)) => v.iter().map(|&v| v as u64).collect(),
            _ => panic!("a float or bool result"),
        }
    };
    for expr in exprs {
        for (layout, vars) in [
            (
                "contiguous",
                numjit::vars! {"a" => &a, "b" => &b, "k" => &k},
            ),
            (
                "strided",
                numjit::vars! {"a" => strided, "b" => &b, "k" => &k},
            ),
        ] {
            let vars2 = match layout {
                "contiguous" => numjit::vars! {"a" => &a, "b" => &b, "k" => &k},
                _ => numjit::vars! {"a" => strided, "b" => &b, "k" => &k},
            };
            let jit = numjit::eval(expr, vars).unwrap();
            let reference = numjit::interpret(expr, vars2).unwrap();
            assert_eq!(jit.dtype(), reference.dtype(), "`{expr}` {layout}");
            let (j, r) = (bits(&jit), bits(&reference));
            assert_eq!(j.len(), n, "`{expr}` {layout}");
            let bad = j.iter().zip(&r).position(|(x, y)| x != y);
            assert!(
                bad.is_none(),
                "`{expr}` {layout}: first difference at {bad:?}"
            );
        }
    }
}

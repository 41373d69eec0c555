//! The vector loop: for every whitelisted vector operation (float64, int64, bool) and several
//! lane-wise fallbacks, at lengths that exercise the vector body and every scalar tail, the
//! JIT must agree with the reference interpreter bit for bit (NaN matches NaN), with its own
//! scalar loop (each element evaluated alone, through one-element views) bit for bit, NaN
//! payloads and signs included, and with the vector loop over strided views of the same
//! values (lane-by-lane loads and stores). Inputs broadcast along rows and scalars check the
//! splatted hoisted values.

use ndarray::{Array1, Array2, ArrayD, IxDyn};
use numjit::{Array, Vars};

/// Lengths: empty, every tail of the 4-element vector step, and large with tails 0 and 1.
const LENGTHS: &[usize] = &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1000, 1001];

/// A NaN with a payload and the sign bit set; `-x` and `x - x` make others at run time.
const NEG_NAN_PAYLOAD: u64 = 0xFFF0_0000_0000_1234;

const FLOAT_SPECIAL: [f64; 14] = [
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    0.0,
    -0.0,
    1.0,
    -1.0,
    2.5,
    -0.5,
    1e300,
    -1e-310,
    f64::MAX,
    f64::MIN_POSITIVE,
    3.0,
];

const INT_SPECIAL: [i64; 12] = [0, 1, -1, 2, -2, 63, 64, -64, 7, i64::MIN, i64::MAX, 1 << 53];

/// `n` float64 values: specials (three kinds of NaN among them) mixed with pseudo-random ones.
fn floats(n: usize, seed: u64) -> Vec<f64> {
    (0..n)
        .map(|k| {
            let h = (k as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15 ^ seed.wrapping_mul(31));
            match h % 5 {
                0 | 1 => FLOAT_SPECIAL[((h >> 8) % FLOAT_SPECIAL.len() as u64) as usize],
                2 if (h >> 20).is_multiple_of(4) => f64::from_bits(NEG_NAN_PAYLOAD),
                2 if (h >> 20) % 4 == 1 => -f64::NAN,
                _ => ((h >> 11) as f64 / (1u64 << 53) as f64) * 8.0 - 4.0,
            }
        })
        .collect()
}

fn ints(n: usize, seed: u64) -> Vec<i64> {
    (0..n)
        .map(|k| {
            let h = (k as u64 + 3).wrapping_mul(0xD1B5_4A32_D192_ED03 ^ seed.wrapping_mul(17));
            if h.is_multiple_of(3) {
                INT_SPECIAL[((h >> 8) % INT_SPECIAL.len() as u64) as usize]
            } else {
                (h >> 40) as i64 % 23 - 9
            }
        })
        .collect()
}

fn bools(n: usize, seed: u64) -> Vec<bool> {
    (0..n)
        .map(|k| {
            let h = (k as u64 + 5).wrapping_mul(0x2545_F491_4F6C_DD1D ^ seed);
            (h >> 29).is_multiple_of(2)
        })
        .collect()
}

/// Every whitelisted vector operation on each dtype it covers, then lane-wise fallbacks and
/// mixtures of both. Names: a, b, c float64; i, j int64; p, q bool; s, k, t scalars of the
/// three dtypes.
const EXPRESSIONS: &[&str] = &[
    // float64, vector
    "a + b",
    "a - b",
    "a * b",
    "a / b",
    "-a",
    "abs(a)",
    "sqrt(a)",
    "floor(a)",
    "ceil(a)",
    "trunc(a)",
    "round(a)",
    "maximum(a, b)",
    "minimum(a, b)",
    "maximum(b, a)",
    "minimum(b, a)",
    "maximum(a, -a)",
    "minimum(a - a, b)",
    "signbit(maximum(a, b))",
    "signbit(minimum(a, b))",
    "copysign(a, b)",
    "copysign(s, a)",
    "signbit(copysign(a, b))",
    "a < b",
    "a <= b",
    "a == b",
    "a != b",
    "a >= b",
    "a > b",
    "a == a",
    "isnan(a)",
    "isinf(a)",
    "isfinite(a)",
    "signbit(a)",
    "signbit(a - a)",
    "a**3",
    "a**4",
    "b**4.0",
    "where(a > 0, a**3, b**4)",
    "where(a > b, a, b)",
    "where(p, a, s)",
    "where(isnan(a), 0.0, a)",
    "where(a, b, c)",
    "a * s + b",
    "s * 2 + a",
    "(a + s) / c",
    "a**2 + b**2 + 2*a*b",
    "a + b + c",
    // float64, lane-wise
    "a // b",
    "a % b",
    "a ** b",
    "a ** 2.5",
    "sin(a)",
    "exp(a) + cos(b)",
    "arctan2(a, b)",
    "hypot(a, b)",
    "fmod(a, b)",
    "nextafter(a, b)",
    "sign(a)",
    "log(abs(a)) * b",
    "arcsinh(a) - tanh(b)",
    "sin(exp(a))",
    "where(a > 0.5, a*b, exp(-a))",
    "sqrt(sin(a)**2 + cos(b)**2)",
    // int64, vector
    "i + j",
    "i - j",
    "i * j",
    "-i",
    "~i",
    "i & j",
    "i | j",
    "i ^ j",
    "i < j",
    "i <= j",
    "i == j",
    "i != j",
    "i >= j",
    "i > j",
    "abs(i)",
    "sign(i)",
    "maximum(i, j)",
    "minimum(i, k)",
    "signbit(i)",
    "isnan(i)",
    "isinf(i)",
    "isfinite(i)",
    "floor(i) + ceil(j) + trunc(i) + round(j)",
    "i ** 0",
    "i ** 3",
    "i ** 64",
    "j ** 7",
    "where(p, i, j)",
    "where(i, j, k)",
    "i * k + j",
    // int64, lane-wise
    "i // j",
    "i % j",
    "i << j",
    "i >> j",
    "i ** j",
    "fmod(i, j)",
    "i // k + j",
    // bool, vector
    "p & q",
    "p | q",
    "p ^ q",
    "~p",
    "p + q",
    "p * q",
    "p < q",
    "p <= q",
    "p == q",
    "p != q",
    "p >= q",
    "p > q",
    "maximum(p, q)",
    "minimum(p, t)",
    "where(p, q, t)",
    "where(q, p, ~p)",
    "p & t",
    "~t | p",
    "isnan(p)",
    "isinf(p)",
    "isfinite(p)",
    "signbit(p)",
    "abs(p)",
    "floor(q)",
    // casts
    "p + a",
    "p * 1.5",
    "q + i",
    "i + a",
    "i / j",
    "i + 0.5",
    "where(i, a, b)",
    "(i > 0) & (a < b) | p",
    "p + t",
    "k + a",
    "t + a",
    // mixtures of vector and lane-wise
    "where(i > 0, sin(a), i)",
    "sqrt(a*a + b*b) > 1",
    "(i // 3) * 2 + abs(j)",
    "maximum(sin(a), b) + minimum(a, cos(b))",
    "copysign(exp(a), b) * (p + 1)",
    "where(p, i << 2, j >> 1) == k",
];

/// Expressions on which the JIT and the interpreter may differ (none: the interpreter now
/// returns a NaN operand of `maximum`/`minimum` as the JIT does). Only the vector-versus-scalar
/// comparison would apply to entries here.
const NAN_SIGN: &[&str] = &[];

/// Expressions where two NaN operands meet in `+` or `*`. x86-64 returns the NaN of the
/// instruction's first operand, and Cranelift commutes `+` and `*` to fold a load from memory
/// into the instruction, so which of two NaN operands the result carries (its sign and
/// payload) depends on which operands are loads (inputs, and math results that the tile loop
/// reads back from its buffers): it is unspecified (as in IEEE 754 and NumPy), and only these
/// expressions compare layouts and loops with NaN matching NaN.
const NAN_OPERAND_ORDER: &[&str] = &[
    "a + b",
    "a * b",
    "a + b + c",
    "log(abs(a)) * b",
    "exp(a) + cos(b)",
];

/// The bindings of one run; arrays are owned here and bound by reference.
struct Data {
    a: ArrayD<f64>,
    b: ArrayD<f64>,
    c: ArrayD<f64>,
    i: ArrayD<i64>,
    j: ArrayD<i64>,
    p: ArrayD<bool>,
    q: ArrayD<bool>,
}

fn vec1<T: Clone>(v: Vec<T>) -> ArrayD<T> {
    Array1::from(v).into_dyn()
}

/// Every array 1-D of length `n`: all contiguous.
fn flat(n: usize) -> Data {
    Data {
        a: vec1(floats(n, 1)),
        b: vec1(floats(n, 2)),
        c: vec1(floats(n, 3)),
        i: vec1(ints(n, 1)),
        j: vec1(ints(n, 2)),
        p: vec1(bools(n, 1)),
        q: vec1(bools(n, 2)),
    }
}

/// Three rows of `n`: a, i, p and q full (3, n); b and j columns (3, 1), one value per row;
/// c a row (n,) repeated for every row.
fn rows(n: usize) -> Data {
    let full = |v: Vec<f64>| Array2::from_shape_vec((3, n), v).unwrap().into_dyn();
    let col = |v: Vec<f64>| Array2::from_shape_vec((3, 1), v).unwrap().into_dyn();
    Data {
        a: full(floats(3 * n, 1)),
        b: col(vec![f64::NAN, -0.0, 2.0]),
        c: vec1(floats(n, 3)),
        i: Array2::from_shape_vec((3, n), ints(3 * n, 1))
            .unwrap()
            .into_dyn(),
        j: Array2::from_shape_vec((3, 1), vec![0, -3, i64::MIN])
            .unwrap()
            .into_dyn(),
        p: Array2::from_shape_vec((3, n), bools(3 * n, 1))
            .unwrap()
            .into_dyn(),
        q: Array2::from_shape_vec((3, n), bools(3 * n, 2))
            .unwrap()
            .into_dyn(),
    }
}

fn bind<'a>(d: &'a Data, views: &'a Option<Data>) -> Vars<'a> {
    let scalars = Vars::new()
        .bind("s", -1.5f64)
        .bind("k", 3i64)
        .bind("t", true);
    match views {
        None => scalars
            .bind("a", &d.a)
            .bind("b", &d.b)
            .bind("c", &d.c)
            .bind("i", &d.i)
            .bind("j", &d.j)
            .bind("p", &d.p)
            .bind("q", &d.q),
        Some(big) => {
            let half = |x: &'a ArrayD<f64>| x.slice_each_axis(step2(x.ndim()));
            let halfi = |x: &'a ArrayD<i64>| x.slice_each_axis(step2(x.ndim()));
            let halfb = |x: &'a ArrayD<bool>| x.slice_each_axis(step2(x.ndim()));
            scalars
                .bind("a", half(&big.a))
                .bind("b", half(&big.b))
                .bind("c", half(&big.c))
                .bind("i", halfi(&big.i))
                .bind("j", halfi(&big.j))
                .bind("p", halfb(&big.p))
                .bind("q", halfb(&big.q))
        }
    }
}

/// A slicing closure taking every other element of the last axis of an `nd`-axis array.
fn step2(nd: usize) -> impl Fn(ndarray::AxisDescription) -> ndarray::Slice {
    move |ax| {
        if ax.axis.index() + 1 == nd {
            ndarray::Slice::new(0, None, 2)
        } else {
            ndarray::Slice::from(..)
        }
    }
}

/// Owners for [`bind`]'s strided views: every array spread to twice its last axis.
fn spread(d: &Data) -> Data {
    let sp_f = |a: &ArrayD<f64>| spread_one(a, f64::NAN);
    let sp_i = |a: &ArrayD<i64>| spread_one(a, i64::MIN);
    let sp_b = |a: &ArrayD<bool>| spread_one(a, true);
    Data {
        a: sp_f(&d.a),
        b: sp_f(&d.b),
        c: sp_f(&d.c),
        i: sp_i(&d.i),
        j: sp_i(&d.j),
        p: sp_b(&d.p),
        q: sp_b(&d.q),
    }
}

/// `a` at the even positions of its last axis, `fill` at the odd ones. (Length-1 axes are
/// kept: broadcasting then repeats them, as before.)
fn spread_one<T: Clone>(a: &ArrayD<T>, fill: T) -> ArrayD<T> {
    let mut shape = a.shape().to_vec();
    let last = shape.len() - 1;
    if shape[last] == 1 {
        return a.clone();
    }
    shape[last] *= 2;
    let mut big = ArrayD::from_elem(IxDyn(&shape), fill);
    big.slice_each_axis_mut(step2(shape.len())).assign(a);
    big
}

/// Float bits, with every NaN the same unless `exact_nan`.
fn float_key(x: f64, exact_nan: bool) -> u64 {
    if x.is_nan() && !exact_nan {
        f64::NAN.to_bits()
    } else {
        x.to_bits()
    }
}

fn same(x: &Array, y: &Array, exact_nan: bool) -> bool {
    if x.shape() != y.shape() {
        return false;
    }
    match (x, y) {
        (Array::Float64(x), Array::Float64(y)) => x
            .iter()
            .zip(y.iter())
            .all(|(&u, &v)| float_key(u, exact_nan) == float_key(v, exact_nan)),
        (Array::Int64(x), Array::Int64(y)) => x == y,
        (Array::Bool(x), Array::Bool(y)) => x == y,
        _ => false,
    }
}

/// The first index where `x` and `y` differ, for failure messages.
fn first_difference(x: &Array, y: &Array, exact_nan: bool) -> String {
    let show = |a: &Array, k: usize| -> String {
        match a {
            Array::Float64(v) => {
                let f = v.iter().nth(k).copied().unwrap_or(0.0);
                format!("{f:?} ({:#018x})", f.to_bits())
            }
            other => numjit::each_array!(other, v => format!("{:?}", v.iter().nth(k))),
        }
    };
    for k in 0..x.len().min(y.len()) {
        let one = |a: &Array| -> Array {
            numjit::each_array!(a, v => Array::from(vec1(vec![*v.iter().nth(k).unwrap()])))
        };
        if !same(&one(x), &one(y), exact_nan) {
            return format!("element {k}: {} vs {}", show(x, k), show(y, k));
        }
    }
    format!("shapes {:?} vs {:?}", x.shape(), y.shape())
}

fn check(layout: &str, make: fn(usize) -> Data) {
    let mut failures = Vec::new();
    for &n in LENGTHS {
        let d = make(n);
        let big = Some(spread(&d));
        for expr in EXPRESSIONS {
            let jit = numjit::eval(expr, bind(&d, &None)).unwrap_or_else(|e| panic!("{expr}: {e}"));
            let oracle = numjit::interpret(expr, bind(&d, &None)).unwrap();
            let agrees = if NAN_SIGN.contains(expr) {
                true
            } else {
                same(&jit, &oracle, false)
            };
            if !agrees {
                failures.push(format!(
                    "{layout} n={n} `{expr}` JIT vs interpreter: {}",
                    first_difference(&jit, &oracle, false)
                ));
            }
            let strided = numjit::eval(expr, bind(&d, &big)).unwrap();
            let exact = !NAN_OPERAND_ORDER.contains(expr);
            if !same(&jit, &strided, exact) {
                failures.push(format!(
                    "{layout} n={n} `{expr}` contiguous vs strided vector loop: {}",
                    first_difference(&jit, &strided, exact)
                ));
            }
            if let Some(diff) = scalar_loop_difference(expr, &d, &jit, exact) {
                failures.push(format!(
                    "{layout} n={n} `{expr}` vector vs scalar loop: {diff}"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Evaluates `expr` once per position `k` of the last axis, on one-element views `[.., k]` of
/// every array longer than 1 there (so every element goes through the scalar loop alone),
/// and returns the first position where that differs from `whole`, bit for bit (NaN matching
/// NaN unless `exact`).
fn scalar_loop_difference(expr: &str, d: &Data, whole: &Array, exact: bool) -> Option<String> {
    let Array::Float64(whole) = whole else {
        // Integer and bool results have no NaN: the interpreter comparison covers them.
        return None;
    };
    let n = *d.a.shape().last()?;
    let nd = whole.ndim();
    if nd == 0 {
        return None;
    }
    for k in 0..n {
        fn at<T>(x: &ArrayD<T>, k: usize) -> ndarray::ArrayViewD<'_, T> {
            let last = x.ndim() - 1;
            if x.shape()[last] == 1 {
                x.view()
            } else {
                x.slice_axis(ndarray::Axis(last), ndarray::Slice::from(k..k + 1))
            }
        }
        let vars = Vars::new()
            .bind("s", -1.5f64)
            .bind("k", 3i64)
            .bind("t", true)
            .bind("a", at(&d.a, k))
            .bind("b", at(&d.b, k))
            .bind("c", at(&d.c, k))
            .bind("i", at(&d.i, k))
            .bind("j", at(&d.j, k))
            .bind("p", at(&d.p, k))
            .bind("q", at(&d.q, k));
        let one = numjit::eval(expr, vars).unwrap();
        let Array::Float64(one) = one else {
            return Some(format!("position {k}: dtype {:?}", one.dtype()));
        };
        let want = if whole.shape()[nd - 1] == 1 {
            whole.view()
        } else {
            whole.slice_axis(ndarray::Axis(nd - 1), ndarray::Slice::from(k..k + 1))
        };
        for (u, v) in want.iter().zip(one.iter()) {
            if u.to_bits() != v.to_bits() && (exact || !(u.is_nan() && v.is_nan())) {
                return Some(format!(
                    "position {k}: vector {u:?} ({:#018x}), scalar loop {v:?} ({:#018x})",
                    u.to_bits(),
                    v.to_bits()
                ));
            }
        }
    }
    None
}

#[test]
fn contiguous_inputs_match_interpreter_and_scalar_loop() {
    check("flat", flat);
}

#[test]
fn row_broadcast_inputs_match_interpreter_and_scalar_loop() {
    check("rows", rows);
}

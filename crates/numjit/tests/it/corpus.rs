//! Replays grammar/corpus.txt: every expression through the reference interpreter (the
//! oracle) and through the JIT at several schedules and input/output layouts; results must be
//! identical (NaN matches NaN), or within the ulp budget the line states.

use ndarray::{s, ArrayD, Dimension, IxDyn, ShapeBuilder};
use numjit::{Arg, Array, Complex64, Schedule, Vars};

const SHAPE: [usize; 2] = [4, 5];

fn floats(seed: u64) -> Vec<f64> {
    let special = [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        0.0,
        -0.0,
        1e300,
        -1e-310,
    ];
    (0..20)
        .map(|k| {
            let h = (k as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15 ^ seed);
            if k as u64 % 6 == seed % 6 {
                special[(h % special.len() as u64) as usize]
            } else {
                ((h >> 11) as f64 / (1u64 << 53) as f64) * 20.0 - 8.0
            }
        })
        .collect()
}

fn ints(seed: u64) -> Vec<i64> {
    let special = [0, -1, 1, i64::MIN, i64::MAX, 63, 64, -64];
    (0..20)
        .map(|k| {
            let h = (k as u64 + 3).wrapping_mul(0xD1B5_4A32_D192_ED03 ^ seed);
            if k % 4 == (seed % 4) as usize {
                special[(h % special.len() as u64) as usize]
            } else {
                (h >> 40) as i64 % 23 - 9
            }
        })
        .collect()
}

fn bools(seed: u64) -> Vec<bool> {
    (0..20)
        .map(|k| (k as u64 * 7 + seed).is_multiple_of(3))
        .collect()
}

/// The corpus bindings, owned, in C order.
struct Data {
    f: Vec<(&'static str, ArrayD<f64>)>,
    i: Vec<(&'static str, ArrayD<i64>)>,
    b: Vec<(&'static str, ArrayD<bool>)>,
    /// float32 `g`.
    g: ArrayD<f32>,
    /// int32 `h`.
    h: ArrayD<i32>,
    /// complex128 `z`.
    z: ArrayD<Complex64>,
}

/// The byte strings `s` (4x5 of NumPy's `S3`, NUL-padded), always bound in C order.
const STRINGS: [&[u8; 3]; 20] = [
    b"abc",
    b"ab\0",
    b"b\0\0",
    b"\0\0\0",
    b"xyz",
    b"abd",
    b"a\0\0",
    b"abc",
    b"zz\0",
    b"ABC",
    b"a b",
    b"\x01\0\0",
    b"abc",
    b"b\0\0",
    b"ab\0",
    b"c\0\0",
    b"xy\0",
    b"\xff\0\0",
    b"aa\0",
    b"a\0\0",
];

fn data() -> Data {
    let sh = IxDyn(&SHAPE);
    let f = |v: Vec<f64>| ArrayD::from_shape_vec(sh.clone(), v).unwrap();
    Data {
        f: vec![
            ("a", f(floats(1))),
            ("b", f(floats(2))),
            ("c", f(floats(3))),
            (
                "r",
                ArrayD::from_shape_vec(IxDyn(&[5]), vec![0.5, -1.0, 2.0, f64::NAN, 3.0]).unwrap(),
            ),
            (
                "col",
                ArrayD::from_shape_vec(IxDyn(&[4, 1]), vec![1.0, -2.0, 0.0, 4.5]).unwrap(),
            ),
        ],
        i: vec![
            ("i", ArrayD::from_shape_vec(sh.clone(), ints(1)).unwrap()),
            ("j", ArrayD::from_shape_vec(sh.clone(), ints(2)).unwrap()),
            ("k", ArrayD::from_shape_vec(sh.clone(), ints(3)).unwrap()),
        ],
        b: vec![
            ("p", ArrayD::from_shape_vec(sh.clone(), bools(1)).unwrap()),
            ("q", ArrayD::from_shape_vec(sh.clone(), bools(2)).unwrap()),
        ],
        g: f(floats(4)).mapv(|v| v as f32),
        h: ArrayD::from_shape_vec(sh.clone(), ints(4))
            .unwrap()
            .mapv(|v| v as i32),
        z: ArrayD::from_shape_vec(
            sh,
            floats(5)
                .into_iter()
                .zip(floats(6))
                .map(|(re, im)| Complex64::new(re, im))
                .collect(),
        )
        .unwrap(),
    }
}

/// The same logical array in another memory layout.
#[derive(Clone, Copy, Debug)]
enum Layout {
    C,
    Fortran,
    /// Every other element of a larger array.
    Strided,
    /// Negative strides on every axis.
    Reversed,
}

fn relayout<T: Copy + Default>(a: &ArrayD<T>, layout: Layout) -> ArrayD<T> {
    match layout {
        Layout::C => a.clone(),
        Layout::Fortran => {
            let mut f =
                ArrayD::from_shape_vec(IxDyn(a.shape()).f(), vec![T::default(); a.len()]).unwrap();
            f.assign(a);
            f
        }
        // Strided and reversed views are built in `bind_views`; the owner is a bigger array.
        Layout::Strided | Layout::Reversed => unreachable!(),
    }
}

/// Owners for strided and reversed views: a 2x larger array holding `a` at even positions,
/// or `a` reversed.
fn owner<T: Copy + Default>(a: &ArrayD<T>, layout: Layout) -> ArrayD<T> {
    let big: Vec<usize> = a.shape().iter().map(|&n| 2 * n).collect();
    match layout {
        Layout::Strided => {
            let mut o = ArrayD::from_elem(IxDyn(&big), T::default());
            let mut v = o.view_mut();
            for ax in 0..a.ndim() {
                v.slice_axis_inplace(ndarray::Axis(ax), ndarray::Slice::new(0, None, 2));
            }
            v.assign(a);
            o
        }
        Layout::Reversed => {
            let mut o = a.clone();
            for ax in 0..a.ndim() {
                o.invert_axis(ndarray::Axis(ax));
            }
            o.as_standard_layout().into_owned()
        }
        _ => a.clone(),
    }
}

fn view<T>(o: &ArrayD<T>, layout: Layout) -> ndarray::ArrayViewD<'_, T> {
    let mut v = o.view();
    for ax in 0..o.ndim() {
        match layout {
            Layout::Strided => {
                v.slice_axis_inplace(ndarray::Axis(ax), ndarray::Slice::new(0, None, 2))
            }
            Layout::Reversed => v.invert_axis(ndarray::Axis(ax)),
            _ => {}
        }
    }
    v
}

struct Bound {
    f: Vec<(&'static str, ArrayD<f64>)>,
    i: Vec<(&'static str, ArrayD<i64>)>,
    b: Vec<(&'static str, ArrayD<bool>)>,
    g: ArrayD<f32>,
    h: ArrayD<i32>,
    z: ArrayD<Complex64>,
    s: Vec<u8>,
    layout: Layout,
}

/// `a` in `layout`: a relaid copy, or the owner of a strided or reversed view.
fn conv<T: Copy + Default>(a: &ArrayD<T>, layout: Layout) -> ArrayD<T> {
    match layout {
        Layout::C | Layout::Fortran => relayout(a, layout),
        _ => owner(a, layout),
    }
}

impl Bound {
    fn new(d: &Data, layout: Layout) -> Bound {
        Bound {
            f: d.f.iter().map(|(n, a)| (*n, conv(a, layout))).collect(),
            i: d.i.iter().map(|(n, a)| (*n, conv(a, layout))).collect(),
            b: d.b.iter().map(|(n, a)| (*n, conv(a, layout))).collect(),
            g: conv(&d.g, layout),
            h: conv(&d.h, layout),
            z: conv(&d.z, layout),
            s: STRINGS.iter().flat_map(|x| x.iter().copied()).collect(),
            layout,
        }
    }

    fn vars(&self) -> Vars<'_> {
        let mut v = Vars::new();
        for (n, a) in &self.f {
            v = v.bind(n, view(a, self.layout));
        }
        for (n, a) in &self.i {
            v = v.bind(n, view(a, self.layout));
        }
        for (n, a) in &self.b {
            v = v.bind(n, view(a, self.layout));
        }
        v.bind("g", view(&self.g, self.layout))
            .bind("h", view(&self.h, self.layout))
            .bind("z", view(&self.z, self.layout))
            .bind("s", Arg::bytes(&self.s, 3, &SHAPE))
            .bind("x", 2.5f64)
            .bind("n", 3i64)
            .bind("t", true)
    }
}

fn ulp_distance(a: f64, b: f64) -> u64 {
    if a.is_nan() && b.is_nan() {
        return 0;
    }
    if a == b {
        // Equal values must also agree on the sign of zero.
        return if a.to_bits() == b.to_bits() {
            0
        } else {
            u64::MAX
        };
    }
    if a.is_nan() || b.is_nan() || a.is_infinite() || b.is_infinite() {
        return u64::MAX;
    }
    let key = |x: f64| {
        let bits = x.to_bits() as i64;
        if bits < 0 {
            i64::MIN - bits
        } else {
            bits
        }
    };
    key(a).abs_diff(key(b))
}

/// The distance in float32 ulps, with [`ulp_distance`]'s conventions.
fn ulp_distance32(a: f32, b: f32) -> u64 {
    if a.is_nan() && b.is_nan() {
        return 0;
    }
    if a == b {
        return if a.to_bits() == b.to_bits() {
            0
        } else {
            u64::MAX
        };
    }
    if a.is_nan() || b.is_nan() || a.is_infinite() || b.is_infinite() {
        return u64::MAX;
    }
    let key = |x: f32| {
        let bits = x.to_bits() as i32 as i64;
        if bits < 0 {
            i32::MIN as i64 - bits
        } else {
            bits
        }
    };
    key(a).abs_diff(key(b))
}

/// Compares two results; returns a description of the first difference.
pub fn same(got: &Array, want: &Array, ulps: u64) -> Result<(), String> {
    if got.dtype() != want.dtype() || got.shape() != want.shape() {
        return Err(format!(
            "got {} {:?}, want {} {:?}",
            got.dtype(),
            got.shape(),
            want.dtype(),
            want.shape()
        ));
    }
    match (got, want) {
        (Array::Float64(g), Array::Float64(w)) => {
            for ((idx, x), y) in g.indexed_iter().zip(w.iter()) {
                if ulp_distance(*x, *y) > ulps {
                    return Err(format!("at {:?}: got {x:?}, want {y:?}", idx.slice()));
                }
            }
            Ok(())
        }
        (Array::Float32(g), Array::Float32(w)) => {
            for ((idx, x), y) in g.indexed_iter().zip(w.iter()) {
                if ulp_distance32(*x, *y) > ulps {
                    return Err(format!("at {:?}: got {x:?}, want {y:?}", idx.slice()));
                }
            }
            Ok(())
        }
        (Array::Complex128(g), Array::Complex128(w)) => {
            for ((idx, x), y) in g.indexed_iter().zip(w.iter()) {
                if ulp_distance(x.re, y.re) > ulps || ulp_distance(x.im, y.im) > ulps {
                    return Err(format!("at {:?}: got {x:?}, want {y:?}", idx.slice()));
                }
            }
            Ok(())
        }
        _ if got == want => Ok(()),
        _ => Err(format!("got {got:?}\nwant {want:?}")),
    }
}

fn corpus() -> Vec<(String, u64)> {
    include_str!("../../../../grammar/corpus.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once("; ulp=") {
            Some((e, u)) => (e.trim().to_string(), u.trim().parse().unwrap()),
            None => (l.to_string(), 0),
        })
        .collect()
}

fn schedules() -> Vec<Schedule> {
    let mut v = vec![Schedule::default()];
    for (threads, chunk) in [(1, 1), (2, 1), (2, 3), (2, 7), (3, 5), (2, 1 << 14)] {
        v.push(Schedule {
            threads: Some(threads),
            chunk,
            serial_below: 0,
            ..Default::default()
        });
    }
    v
}

#[test]
fn corpus_jit_matches_interpreter_everywhere() {
    let d = data();
    let c_order = Bound::new(&d, Layout::C);
    let mut failures = Vec::new();
    let layouts: Vec<Bound> = [
        Layout::C,
        Layout::Fortran,
        Layout::Strided,
        Layout::Reversed,
    ]
    .into_iter()
    .map(|l| Bound::new(&d, l))
    .collect();
    let cases = corpus();
    assert!(cases.len() > 150, "the corpus is read");
    for (expr, ulps) in &cases {
        let f = numjit::compile(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
        let want = match f.interpret(c_order.vars()) {
            Ok(w) => w,
            Err(e) => {
                failures.push(format!("{expr}: interpreter error {e}"));
                continue;
            }
        };
        for b in &layouts {
            for sched in schedules() {
                match f.eval_with(b.vars(), &sched) {
                    Ok(got) => {
                        if let Err(msg) = same(&got, &want, *ulps) {
                            failures.push(format!("{expr} [{:?}, {sched:?}]: {msg}", b.layout));
                        }
                    }
                    Err(e) => failures.push(format!("{expr}: {e}")),
                }
            }
            // The interpreter reads through strides too: it must agree with itself.
            let again = f.interpret(b.vars()).unwrap();
            if let Err(msg) = same(&again, &want, 0) {
                failures.push(format!("{expr} interpreter [{:?}]: {msg}", b.layout));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn outputs_of_any_layout_receive_the_same_values() {
    let d = data();
    let bound = Bound::new(&d, Layout::C);
    for expr in ["a * b + c", "where(a > 0, b, c)", "sin(a) + r"] {
        let want = numjit::interpret(expr, bound.vars()).unwrap();
        let want = want.as_f64().unwrap();
        // Fortran-order output.
        let mut f_out = ArrayD::<f64>::zeros(IxDyn(&SHAPE).f());
        numjit::evaluate(expr, &mut f_out, bound.vars()).unwrap();
        // Every other element of a larger output; the others must stay untouched.
        let mut big = ArrayD::<f64>::from_elem(IxDyn(&[8, 10]), 7.0);
        numjit::evaluate(expr, big.slice_mut(s![..;2, ..;2]).into_dyn(), bound.vars()).unwrap();
        // Reversed output.
        let mut rev = ArrayD::<f64>::zeros(IxDyn(&SHAPE));
        let mut rv = rev.view_mut();
        rv.invert_axis(ndarray::Axis(0));
        numjit::evaluate(expr, rv, bound.vars()).unwrap();
        rev.invert_axis(ndarray::Axis(0));
        for (got, name) in [
            (f_out.clone(), "fortran"),
            (big.slice(s![..;2, ..;2]).to_owned().into_dyn(), "strided"),
            (rev.clone(), "reversed"),
        ] {
            same(&Array::Float64(got), &Array::Float64(want.clone()), 0)
                .unwrap_or_else(|m| panic!("{expr} into {name} output: {m}"));
        }
        assert!(big.slice(s![1..;2, ..]).iter().all(|&v| v == 7.0));
        assert!(big.slice(s![.., 1..;2]).iter().all(|&v| v == 7.0));
    }
}

#[test]
fn large_arrays_are_identical_for_every_thread_count_and_chunk() {
    let n = 300_007;
    let a: Vec<f64> = (0..n).map(|k| (k as f64 * 0.37).sin() * 10.0).collect();
    let b: Vec<f64> = (0..n).map(|k| (k as f64 * 0.11).cos()).collect();
    let f = numjit::compile("a**2 + b**2 + 2*a*b + exp(-abs(a)) * where(b > 0, a // b, a % 3)")
        .unwrap();
    let want = f.interpret(numjit::vars! {a, b}).unwrap();
    for sched in schedules() {
        let got = f.eval_with(numjit::vars! {a, b}, &sched).unwrap();
        same(&got, &want, 0).unwrap_or_else(|m| panic!("{sched:?}: {m}"));
    }
}

#[test]
fn hand_written_loops_agree() {
    // An oracle independent of the interpreter: plain Rust for a few expressions.
    let a: Vec<f64> = (0..1000).map(|k| k as f64 * 0.01 - 3.0).collect();
    let b: Vec<f64> = (0..1000).map(|k| (k as f64).sqrt()).collect();
    let i: Vec<i64> = (0..1000).map(|k| k - 500).collect();
    let got = numjit::eval("a**2 + b**2 + 2*a*b", numjit::vars! {a, b}).unwrap();
    let want: Vec<f64> = a
        .iter()
        .zip(&b)
        .map(|(x, y)| x * x + y * y + 2.0 * x * y)
        .collect();
    assert_eq!(got.as_f64().unwrap().as_slice().unwrap(), &want[..]);
    let got = numjit::eval("where(a > 0.5, a*b, exp(-a))", numjit::vars! {a, b}).unwrap();
    let want: Vec<f64> = a
        .iter()
        .zip(&b)
        .map(|(x, y)| if *x > 0.5 { x * y } else { (-x).exp() })
        .collect();
    // numjit's exp kernel is within 1 ulp of libm's (src/vmath.rs, tests/it/vmath.rs).
    let want = Array::Float64(ndarray::Array1::from(want).into_dyn());
    same(&got, &want, 1).unwrap();
    let got = numjit::eval("i // 7 + i % -7", numjit::vars! {i}).unwrap();
    let want: Vec<i64> = i
        .iter()
        .map(|x| x.div_euclid(7) + (((x % 7) - 7) % 7))
        .collect();
    let want: Vec<i64> = want
        .iter()
        .zip(&i)
        .map(|(_, x)| {
            let q = (*x as f64 / 7.0).floor() as i64;
            let r = x - (-7) * ((*x as f64 / -7.0).floor() as i64);
            q + r
        })
        .collect();
    assert_eq!(got.as_i64().unwrap().as_slice().unwrap(), &want[..]);
}

#[test]
fn known_values() {
    let r = |e: &str| numjit::eval(e, Vars::new()).unwrap();
    assert_eq!(r("-2**2"), Array::Int64(ndarray::arr0(-4).into_dyn()));
    assert_eq!(r("2**3**2"), Array::Int64(ndarray::arr0(512).into_dyn()));
    assert_eq!(r("7 // -2"), Array::Int64(ndarray::arr0(-4).into_dyn()));
    assert_eq!(r("-7 % 3"), Array::Int64(ndarray::arr0(2).into_dyn()));
    assert_eq!(r("1 / 4"), Array::Float64(ndarray::arr0(0.25).into_dyn()));
    assert_eq!(r("5 // 0"), Array::Int64(ndarray::arr0(0).into_dyn()));
    assert_eq!(
        r("round(2.5) + round(3.5)"),
        Array::Float64(ndarray::arr0(6.0).into_dyn())
    );
    // Integer literals are int64: arithmetic on literals that int64 cannot hold exactly is
    // refused rather than wrapped (Python would give 2**63); arrays still wrap, as NumPy's.
    assert!(numjit::eval("9223372036854775807 + 1", Vars::new())
        .unwrap_err()
        .to_string()
        .contains("overflows int64"));
    let big = i64::MAX;
    assert_eq!(
        numjit::eval("big + 1", numjit::vars! {big}).unwrap(),
        Array::Int64(ndarray::arr0(i64::MIN).into_dyn())
    );
    assert_eq!(
        r("True + True"),
        Array::Bool(ndarray::arr0(true).into_dyn())
    );
    let pi = r("arctan2(0.0, -1.0)");
    assert_eq!(
        pi,
        Array::Float64(ndarray::arr0(std::f64::consts::PI).into_dyn())
    );
    // Inputs (not constants), so these run through the JIT rather than constant folding.
    let x = 2.5f64;
    let got = numjit::eval(
        "round(x) + round(-x) + floor(-x) + ceil(x) + trunc(-x)",
        numjit::vars! {x},
    )
    .unwrap();
    assert_eq!(
        got,
        Array::Float64(ndarray::arr0(2.0 - 2.0 - 3.0 + 3.0 - 2.0).into_dyn())
    );
}

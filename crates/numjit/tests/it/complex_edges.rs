//! Complex edge cases against NumPy (issue 14, item 4): complex `minimum`/`maximum` with NaN
//! parts, products and quotients with infinite, NaN, zero and huge parts, and the expression
//! the issue found the engines to disagree on, answered by NumPy 2.4 on x86-64
//! (`tests/data/complex_edges.tsv`, written by `scripts/make_complex_edges.py`). Each case runs
//! through the interpreter and the JIT, element by element and as whole arrays (contiguous,
//! strided, reversed), and must give NumPy's value exactly (a NaN part equals any NaN: its
//! sign is unobservable in numjit, docs/language.md "NaN signs").

use numjit::{Array, Complex64, Vars};
use std::collections::BTreeMap;

struct Case {
    a: f64,
    b: f64,
    w0: Complex64,
    w1: Complex64,
    want: Complex64,
    /// Where one of NumPy's other loops (a 1-element array, a NumPy scalar) answers differently.
    note: String,
}

fn load() -> BTreeMap<String, Vec<Case>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/complex_edges.tsv");
    let text = std::fs::read_to_string(path).unwrap();
    let mut out: BTreeMap<String, Vec<Case>> = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("quotient"))
    {
        let cols: Vec<&str> = line.split('\t').collect();
        let nums = |s: &str| -> Vec<f64> { s.split(' ').map(|v| v.parse().unwrap()).collect() };
        let (ins, want) = (nums(cols[1]), nums(cols[2]));
        out.entry(cols[0].to_string()).or_default().push(Case {
            a: ins[0],
            b: ins[1],
            w0: Complex64::new(ins[2], ins[3]),
            w1: Complex64::new(ins[4], ins[5]),
            want: Complex64::new(want[0], want[1]),
            note: cols[3].to_string(),
        });
    }
    out
}

fn same(x: f64, y: f64) -> bool {
    x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
}

/// The complex (or float, as `re + 0j`) values of a result.
fn values(r: &Array) -> Vec<Complex64> {
    match r {
        Array::Complex128(v) => v.iter().copied().collect(),
        Array::Float64(v) => v.iter().map(|&x| Complex64::new(x, 0.0)).collect(),
        other => panic!("unexpected result {other:?}"),
    }
}

/// Every `step`-th element of `v` (from the end if negative).
fn view<T>(v: &[T], step: isize) -> ndarray::ArrayView1<'_, T> {
    ndarray::ArrayView1::from(v).slice_move(ndarray::s![..;step])
}

/// Runs every case of `e` through both engines, one element at a time and as arrays of
/// every case (laid out contiguously, every other element of a twice-as-long array, and
/// reversed); each answer must be NumPy's.
fn check(e: &str, cases: &[Case]) -> usize {
    let mut bad = Vec::new();
    let compiled = numjit::compile(e).unwrap();
    let col = |f: &dyn Fn(&Case) -> f64| -> Vec<f64> { cases.iter().map(f).collect() };
    let colc = |f: &dyn Fn(&Case) -> Complex64| -> Vec<Complex64> { cases.iter().map(f).collect() };
    let (a, b) = (col(&|c| c.a), col(&|c| c.b));
    let (w0, w1) = (colc(&|c| c.w0), colc(&|c| c.w1));
    let twice = |v: &[Complex64]| -> Vec<Complex64> { v.iter().flat_map(|&z| [z, -z]).collect() };
    let twicef = |v: &[f64]| -> Vec<f64> { v.iter().flat_map(|&z| [z, -z]).collect() };
    let (a2, b2, w02, w12) = (twicef(&a), twicef(&b), twice(&w0), twice(&w1));
    // (how, the vars, the case of each output element)
    type MakeVars<'v> = Box<dyn Fn() -> Vars<'v> + 'v>;
    let mut runs: Vec<(String, MakeVars<'_>, Vec<usize>)> = vec![
        (
            "contiguous".into(),
            Box::new(|| {
                Vars::new()
                    .bind("a", &a)
                    .bind("b", &b)
                    .bind("w0", &w0)
                    .bind("w1", &w1)
            }),
            (0..cases.len()).collect(),
        ),
        (
            "strided".into(),
            Box::new(|| {
                Vars::new()
                    .bind("a", view(&a2, 2))
                    .bind("b", view(&b2, 2))
                    .bind("w0", view(&w02, 2))
                    .bind("w1", view(&w12, 2))
            }),
            (0..cases.len()).collect(),
        ),
        (
            "reversed".into(),
            Box::new(|| {
                Vars::new()
                    .bind("a", view(&a, -1))
                    .bind("b", view(&b, -1))
                    .bind("w0", view(&w0, -1))
                    .bind("w1", view(&w1, -1))
            }),
            (0..cases.len()).rev().collect(),
        ),
    ];
    for (k, c) in cases.iter().enumerate() {
        runs.push((
            format!("alone ({k})"),
            Box::new(move || {
                Vars::new()
                    .bind("a", c.a)
                    .bind("b", c.b)
                    .bind("w0", c.w0)
                    .bind("w1", c.w1)
            }),
            vec![k],
        ));
    }
    for (how, vars, which) in &runs {
        let interp = numjit::interpret(e, vars()).unwrap();
        let jit = compiled.eval(vars()).unwrap();
        for (engine, r) in [("interpreter", interp), ("JIT", jit)] {
            for (z, &k) in values(&r).iter().zip(which) {
                let c = &cases[k];
                if !(same(z.re, c.want.re) && same(z.im, c.want.im)) {
                    bad.push(format!(
                        "`{e}` ({engine}, {how}) a={:?} w0={:?} w1={:?}: {z:?}, NumPy {:?} ({})",
                        c.a, c.w0, c.w1, c.want, c.note
                    ));
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "{} wrong:\n{}",
        bad.len(),
        bad[..bad.len().min(20)].join("\n")
    );
    cases.len()
}

#[test]
fn complex_edges_as_numpy() {
    let all = load();
    assert_eq!(all.len(), 7, "{:?}", all.keys());
    let mut n = 0;
    for (e, cases) in &all {
        n += check(e, cases);
    }
    assert!(n > 2000, "only {n} cases");
    // The products where NumPy's scalar type answers differently from its arrays (it skips
    // the fused multiply-add): numjit follows the arrays, and the file must hold such cases.
    let products = &all["w0 * w1"];
    assert!(
        products
            .iter()
            .filter(|c| c.note.starts_with("scalar:"))
            .count()
            >= 3
    );
    // No C99 Annex G recovery in NumPy's arrays, and the fused multiply-add keeps both
    // infinities of (-1e308+1e308j)**2 (NumPy's scalar type says nan-infj).
    let huge = Complex64::new(-1e308, 1e308);
    let hit = products
        .iter()
        .find(|c| c.w0 == huge && c.w1 == huge)
        .expect("the huge square is a case");
    assert_eq!(
        hit.want,
        Complex64::new(f64::NEG_INFINITY, f64::NEG_INFINITY)
    );
    assert!(hit.note.starts_with("scalar:(nan-infj)"), "{}", hit.note);
}

/// The issue's own expression on hand-picked values (NumPy 2.4's answer in the comment):
/// `minimum` with a NaN part propagates that operand, and the real NaN promoted to complex
/// keeps a zero imaginary part.
#[test]
fn issue_14_minimum_case() {
    let e = "copysign(real(minimum(0, w0)), real(1e3*a)) + (minimum(w1, w0)--w0)";
    let a = [1.0, -2.0, 1.0];
    let w0 = [
        Complex64::new(-3.0, 1.0),
        Complex64::new(-3.0, 1.0),
        Complex64::new(f64::NAN, 1.0),
    ];
    let w1 = [
        Complex64::new(-9.0, 0.0),
        Complex64::new(-1.0, 0.0),
        Complex64::new(-9.0, 0.0),
    ];
    // np.copysign(np.real(np.minimum(0, w0)), np.real(1e3*a)) + (np.minimum(w1, w0) - -w0)
    // is [-9+1j, -9+2j, nan+2j].
    let want = [
        Complex64::new(-9.0, 1.0),
        Complex64::new(-9.0, 2.0),
        Complex64::new(f64::NAN, 2.0),
    ];
    for run in [numjit::eval, numjit::interpret] {
        let r = run(e, Vars::new().bind("a", &a).bind("w0", &w0).bind("w1", &w1)).unwrap();
        let got = values(&r);
        for (g, w) in got.iter().zip(&want) {
            assert!(
                same(g.re, w.re) && same(g.im, w.im),
                "{got:?} want {want:?}"
            );
        }
    }
}

/// The issue's 14-ulp case, `w0 / (255**3.0 % expm1(a))**3`, taken apart against NumPy
/// (rows `quotient` of the data file: a, w0, NumPy's expm1(a), its remainder, its cube, the
/// exactly rounded cube of that remainder, and NumPy's quotient). The engines agree with each
/// other bit for bit (`fuzz::issue_14_disagreements_are_gone`); against NumPy the answers
/// differ only through NumPy's expm1 and cube, which on AVX-512 hosts are SVML's (not
/// correctly rounded, docs/language.md): given NumPy's expm1, numjit's remainder is NumPy's,
/// numjit's cube is the correctly rounded one (NumPy's is an ulp off in some rows), and given
/// NumPy's cube numjit's quotient is NumPy's, exactly.
#[test]
fn issue_14_quotient_against_numpy() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/complex_edges.tsv");
    let text = std::fs::read_to_string(path).unwrap();
    let mut rows = 0;
    let mut numpy_cube_off = 0;
    for line in text.lines().filter(|l| l.starts_with("quotient")) {
        let cols: Vec<&str> = line.split('\t').collect();
        let v: Vec<f64> = cols[1].split(' ').map(|x| x.parse().unwrap()).collect();
        let w: Vec<f64> = cols[2].split(' ').map(|x| x.parse().unwrap()).collect();
        let (w0, e, m, cube, exact) = (Complex64::new(v[1], v[2]), v[3], v[4], v[5], v[6]);
        let want = Complex64::new(w[0], w[1]);
        let e_arr = [e; 3];
        let m_arr = [m; 3];
        let c_arr = [cube; 3];
        let w0_arr = [w0; 3];
        for run in [numjit::eval, numjit::interpret] {
            let r = run("255**3.0 % e", Vars::new().bind("e", &e_arr[..])).unwrap();
            assert_eq!(values(&r)[0].re.to_bits(), m.to_bits(), "remainder of {e}");
            let r = run("m**3", Vars::new().bind("m", &m_arr[..])).unwrap();
            assert_eq!(values(&r)[0].re.to_bits(), exact.to_bits(), "cube of {m}");
            let r = run(
                "w0 / c",
                Vars::new().bind("w0", &w0_arr[..]).bind("c", &c_arr[..]),
            )
            .unwrap();
            let z = values(&r)[0];
            assert!(
                same(z.re, want.re) && same(z.im, want.im),
                "{w0} / {cube}: {z} want {want}"
            );
        }
        numpy_cube_off += usize::from(cube != exact);
        rows += 1;
    }
    assert_eq!(rows, 200);
    // NumPy's cube is not always the correctly rounded one (7 of the 200 rows written on an
    // AVX-512 host; 0 where NumPy's pow is libm's), but never far from it.
    assert!(numpy_cube_off < 20, "{numpy_cube_off}");
}

/// A NaN part's sign never reaches a complex function's result: NumPy's `arcsinh(-nan + inf j)`
/// is `-inf + nan j`, numjit's is `inf + nan j` as for `+nan` (docs/language.md, "NaN signs").
/// Otherwise the engines disagree whenever an addition upstream passes on the other NaN, which
/// the JIT does depending on the operands' layout: the hour-long fuzz run found
/// `arcsinh(w + max(f))` at seed 3178916 with `-inf` from the interpreter and `inf` from the
/// JIT. Each function (and complex `**` and `/`) of every kind of special input, with a NaN
/// part of either sign, through both engines and contiguous and reversed views.
#[test]
fn nan_signs_do_not_reach_complex_results() {
    let funcs = [
        "arcsinh", "arccosh", "arcsin", "arccos", "arctan", "arctanh", "sqrt", "log", "log1p",
        "exp", "expm1", "sin", "cos", "tan", "sinh", "cosh", "tanh", "log10", "log2",
    ];
    let parts = [0.0, -0.0, 1.5, -2.0, f64::INFINITY, f64::NEG_INFINITY];
    let mut zs = Vec::new();
    for &p in &parts {
        for nan in [f64::NAN, -f64::NAN] {
            zs.push(Complex64::new(nan, p));
            zs.push(Complex64::new(p, nan));
        }
    }
    zs.push(Complex64::new(f64::NAN, -f64::NAN));
    zs.push(Complex64::new(-f64::NAN, -f64::NAN));
    // The same values with every NaN made positive.
    let positive: Vec<Complex64> = zs
        .iter()
        .map(|z| {
            let p = |x: f64| if x.is_nan() { f64::NAN } else { x };
            Complex64::new(p(z.re), p(z.im))
        })
        .collect();
    let mut failures = Vec::new();
    let exprs = funcs.iter().map(|f| format!("{f}(w)")).chain(
        [
            "w ** 2.5",
            "w ** w",
            "(2 - 1j) ** w",
            "1 / w",
            "w / (3 + 4j)",
        ]
        .map(String::from),
    );
    for e in exprs {
        let want = values(&numjit::interpret(&e, Vars::new().bind("w", &positive)).unwrap());
        for step in [1isize, -1] {
            let w = view(&zs, step);
            let order = |v: Vec<Complex64>| -> Vec<Complex64> {
                if step < 0 {
                    v.into_iter().rev().collect()
                } else {
                    v
                }
            };
            let interp = order(values(
                &numjit::interpret(&e, Vars::new().bind("w", w)).unwrap(),
            ));
            let jit = order(values(&numjit::eval(&e, Vars::new().bind("w", w)).unwrap()));
            for (k, ((x, y), z)) in interp.iter().zip(&jit).zip(&want).enumerate() {
                let eq = |u: &Complex64, v: &Complex64| same(u.re, v.re) && same(u.im, v.im);
                if !eq(x, z) || !eq(y, z) {
                    failures.push(format!(
                        "{e} of {:?} (step {step}): interpreter {x:?}, JIT {y:?}, as +nan {z:?}",
                        zs[k]
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

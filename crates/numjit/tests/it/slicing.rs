//! Subscripts, views and assignment statements: every case checked against the reference
//! interpreter and against index arithmetic written out by hand (Python's slice rules
//! re-implemented here by enumeration), overlap cases against copy-then-compute.

use ndarray::{Array1, Array2, Array3, ArrayD, IxDyn};
use numjit::{Array, ErrorKind, Vars};

/// Python's `range(*slice(start, stop, step).indices(len))`, by enumeration.
fn py_slice(len: usize, start: Option<i64>, stop: Option<i64>, step: i64) -> Vec<usize> {
    let n = len as i64;
    let norm = |v: i64| if v < 0 { v + n } else { v };
    let mut out = Vec::new();
    if step > 0 {
        let lo = start.map(norm).unwrap_or(0).clamp(0, n);
        let hi = stop.map(norm).unwrap_or(n).clamp(0, n);
        let mut i = lo;
        while i < hi {
            out.push(i as usize);
            i += step;
        }
    } else {
        let lo = start.map(norm).unwrap_or(n - 1).clamp(-1, n - 1);
        let hi = stop.map(norm).unwrap_or(-1).clamp(-1, n - 1);
        let mut i = lo;
        while i > hi {
            out.push(i as usize);
            i += step;
        }
    }
    out
}

fn f64s(a: &Array) -> Vec<f64> {
    a.as_f64().unwrap().iter().copied().collect()
}

fn check(expr: &str, vars: impl Fn() -> Vars<'static>, shape: &[usize], want: Vec<f64>) {
    let got = numjit::eval(expr, vars()).unwrap_or_else(|e| panic!("{expr}: {e}"));
    assert_eq!(got.shape(), shape, "{expr}");
    assert_eq!(f64s(&got), want, "{expr}: JIT vs hand-written indexing");
    let oracle = numjit::interpret(expr, vars()).unwrap();
    assert_eq!(got, oracle, "{expr}: JIT vs interpreter");
    let sched = numjit::Schedule {
        threads: Some(2),
        chunk: 3,
        serial_below: 0,
        ..Default::default()
    };
    let chunked = numjit::compile(expr)
        .unwrap()
        .eval_with(vars(), &sched)
        .unwrap();
    assert_eq!(got, chunked, "{expr}: chunked");
}

fn leak<T>(v: T) -> &'static T {
    Box::leak(Box::new(v))
}

#[test]
fn one_dimensional_slices_follow_python() {
    let a: &'static Vec<f64> = leak((0..20).map(|i| i as f64 * 1.5 - 4.0).collect());
    let n: &'static i64 = leak(4);
    let vars = || Vars::new().bind("a", a).bind("n", n);
    let pick = |idx: Vec<usize>| idx.iter().map(|&i| a[i]).collect::<Vec<f64>>();
    let cases: Vec<(&str, Option<i64>, Option<i64>, i64)> = vec![
        ("a[1:-1]", Some(1), Some(-1), 1),
        ("a[::3]", None, None, 3),
        ("a[-3:]", Some(-3), None, 1),
        ("a[::-1]", None, None, -1),
        ("a[15:2:-2]", Some(15), Some(2), -2),
        ("a[-100:100]", Some(-100), Some(100), 1),
        ("a[100:-100:-3]", Some(100), Some(-100), -3),
        ("a[n:2*n-1]", Some(4), Some(7), 1),
        ("a[-n:]", Some(-4), None, 1),
        ("a[:n//3 + 5:n - 2]", None, Some(6), 2),
        ("a[(n % 3)::n]", Some(1), None, 4),
    ];
    for (expr, start, stop, step) in cases {
        let idx = py_slice(20, start, stop, step);
        check(expr, vars, &[idx.len()], pick(idx));
    }
    // An integer index drops the axis (negative counts from the end).
    check("a[2] + a[-1]", vars, &[], vec![a[2] + a[19]]);
    // A slice of a slice.
    let inner = py_slice(20, Some(2), None, 1);
    let outer: Vec<usize> = py_slice(inner.len(), None, None, -3)
        .iter()
        .map(|&k| inner[k])
        .collect();
    check("a[2:][::-3]", vars, &[outer.len()], pick(outer));
    // Shifted views of one array (a 1-D stencil).
    let want: Vec<f64> = (1..19).map(|i| a[i - 1] - 2.0 * a[i] + a[i + 1]).collect();
    check("a[:-2] - 2*a[1:-1] + a[2:]", vars, &[18], want);
}

#[test]
fn multi_dimensional_views_and_broadcasting() {
    let m: &'static Array2<f64> = leak(Array2::from_shape_fn((6, 7), |(i, j)| (i * 10 + j) as f64));
    let t: &'static Array3<f64> = leak(Array3::from_shape_fn((3, 4, 5), |(i, j, k)| {
        (i * 100 + j * 10 + k) as f64
    }));
    let r: &'static Array1<f64> = leak(Array1::from_vec(vec![0.5, -1.0]));
    let n: &'static i64 = leak(2);
    let vars = || {
        Vars::new()
            .bind("m", m)
            .bind("t", t)
            .bind("r", r)
            .bind("n", n)
    };
    let rows = |idx: &[usize], cols: &[usize]| -> Vec<f64> {
        idx.iter()
            .flat_map(|&i| cols.iter().map(move |&j| m[[i, j]]))
            .collect()
    };
    let (ri, ci) = (
        py_slice(6, Some(1), Some(-1), 1),
        py_slice(7, None, None, 2),
    );
    check("m[1:-1, ::2]", vars, &[4, 4], rows(&ri, &ci));
    check("m[:, 0]", vars, &[6], (0..6).map(|i| m[[i, 0]]).collect());
    check(
        "m[..., -1]",
        vars,
        &[6],
        (0..6).map(|i| m[[i, 6]]).collect(),
    );
    check("m[1][2:]", vars, &[5], (2..7).map(|j| m[[1, j]]).collect());
    check("m[n]", vars, &[7], (0..7).map(|j| m[[2, j]]).collect());
    // Broadcast a reversed, stepped view against a row.
    let ri = py_slice(6, None, None, -1);
    let want: Vec<f64> = ri
        .iter()
        .flat_map(|&i| (1..3).map(move |j| m[[i, j]] * r[j - 1]))
        .collect();
    check("m[::-1, 1:3] * r", vars, &[6, 2], want);
    // 3-D: ellipsis, integer indices, negative steps.
    let want: Vec<f64> = (0..3)
        .flat_map(|i| (1..4).map(move |j| t[[i, j, 0]]))
        .collect();
    check("t[..., 1:, 0]", vars, &[3, 3], want);
    let want: Vec<f64> = (0..4)
        .rev()
        .flat_map(|j| (0..5).map(move |k| t[[1, j, k]]))
        .collect();
    check("t[1, ::-1]", vars, &[4, 5], want);
    let want: Vec<f64> = (0..3).flat_map(|i| [t[[i, 3, 4]] - t[[i, 0, 0]]]).collect();
    check("t[:, -1, -1] - t[:, 0, 0]", vars, &[3], want);
    // The 2-D Laplacian stencil, the reason slicing exists.
    let want: Vec<f64> = (1..5)
        .flat_map(|i| {
            (1..6).map(move |j| {
                m[[i + 1, j]] + m[[i - 1, j]] + m[[i, j + 1]] + m[[i, j - 1]] - 4.0 * m[[i, j]]
            })
        })
        .collect();
    check(
        "m[2:,1:-1] + m[:-2,1:-1] + m[1:-1,2:] + m[1:-1,:-2] - 4*m[1:-1,1:-1]",
        vars,
        &[4, 5],
        want,
    );
}

#[test]
fn assignment_writes_into_views() {
    let dens = Array2::from_shape_fn((6, 6), |(i, j)| ((i * 7 + j * 3) % 11) as f64);
    let mut lap = Array2::<f64>::from_elem((6, 6), -1.0);
    numjit::execute(
        "lap[1:-1,1:-1] = dens[2:,1:-1] + dens[:-2,1:-1] + dens[1:-1,2:] + dens[1:-1,:-2] - 4*dens[1:-1,1:-1]",
        numjit::vars! {mut lap, dens},
    )
    .unwrap();
    for i in 0..6 {
        for j in 0..6 {
            let want = if (1..5).contains(&i) && (1..5).contains(&j) {
                dens[[i + 1, j]] + dens[[i - 1, j]] + dens[[i, j + 1]] + dens[[i, j - 1]]
                    - 4.0 * dens[[i, j]]
            } else {
                -1.0
            };
            assert_eq!(lap[[i, j]], want, "at {i},{j}");
        }
    }
    // A bool result into an int64 target converts losslessly; integer index targets work.
    let mut v = vec![0i64; 4];
    let p = vec![true, false, true, true];
    numjit::execute("v[1:] = p[1:]; v[0] = 7", numjit::vars! {mut v, p}).unwrap();
    assert_eq!(v, vec![7, 0, 1, 1]);
}

/// Runs `script` on `u` and compares with copy-then-compute: the right side evaluated on a
/// copy, then written with ndarray.
fn overlap_case(script: &str, u0: ArrayD<f64>, expect: impl Fn(&ArrayD<f64>) -> ArrayD<f64>) {
    let mut u = u0.clone();
    numjit::execute(script, numjit::vars! {mut u}).unwrap();
    assert_eq!(u, expect(&u0), "{script}");
}

#[test]
fn overlapping_assignments_read_the_old_values() {
    let u0 = ArrayD::from_shape_vec(IxDyn(&[8]), (0..8).map(|i| (i * i) as f64).collect()).unwrap();
    overlap_case("u[1:] = u[:-1]*2", u0.clone(), |u| {
        let mut r = u.clone();
        for i in 1..8 {
            r[[i]] = u[[i - 1]] * 2.0;
        }
        r
    });
    overlap_case("u[:-1] = u[1:]", u0.clone(), |u| {
        let mut r = u.clone();
        for i in 0..7 {
            r[[i]] = u[[i + 1]];
        }
        r
    });
    overlap_case("u[::-1] = u + 1", u0.clone(), |u| {
        let mut r = u.clone();
        for i in 0..8 {
            r[[7 - i]] = u[[i]] + 1.0;
        }
        r
    });
    overlap_case("u[:] = u * u", u0.clone(), |u| u.mapv(|x| x * x));
    overlap_case("u[1::2] = u[::2] + u[1::2]", u0.clone(), |u| {
        let mut r = u.clone();
        for k in 0..4 {
            r[[2 * k + 1]] = u[[2 * k]] + u[[2 * k + 1]];
        }
        r
    });
    overlap_case("u[2:] = u[0] + u[2:]", u0.clone(), |u| {
        let mut r = u.clone();
        for i in 2..8 {
            r[[i]] = u[[0]] + u[[i]];
        }
        r
    });
    let m0 = ArrayD::from_shape_vec(
        IxDyn(&[5, 6]),
        (0..30).map(|i| (i % 7) as f64 - 2.0).collect(),
    )
    .unwrap();
    overlap_case("u[1:, 1:] = u[:-1, :-1] + u[1:, 1:]", m0.clone(), |u| {
        let mut r = u.clone();
        for i in 1..5 {
            for j in 1..6 {
                r[[i, j]] = u[[i - 1, j - 1]] + u[[i, j]];
            }
        }
        r
    });
    overlap_case("u[:, :] = u[::-1, ::-1]", m0, |u| {
        let mut r = u.clone();
        for i in 0..5 {
            for j in 0..6 {
                r[[i, j]] = u[[4 - i, 5 - j]];
            }
        }
        r
    });
}

#[test]
fn scripts_bind_names_and_run_in_order() {
    let a = vec![1.0, 2.0, 3.0, 4.0];
    let out = numjit::execute(
        "x = a * 2   # a comment\ny = x[1:] + x[:-1]; x[0] = 100\n\nz = (x[0] +\n     y[0])\nz * 2",
        numjit::vars! {a},
    )
    .unwrap();
    assert_eq!(f64s(out.get("x").unwrap()), vec![100.0, 4.0, 6.0, 8.0]);
    assert_eq!(f64s(out.get("y").unwrap()), vec![6.0, 10.0, 14.0]);
    assert_eq!(f64s(out.get("z").unwrap()), vec![106.0]);
    assert_eq!(f64s(out.value().unwrap()), vec![212.0]);
    // Compiled once, run many times (the solver's time loop).
    let script =
        numjit::compile_script("u[1:-1] = u[1:-1] + c*(u[2:] - 2*u[1:-1] + u[:-2])").unwrap();
    let mut u = vec![0.0, 0.0, 1.0, 0.0, 0.0];
    let c = 0.25;
    let mut want = u.clone();
    for _ in 0..3 {
        script.execute(numjit::vars! {mut u, c}).unwrap();
        let old = want.clone();
        for i in 1..4 {
            want[i] = old[i] + c * (old[i + 1] - 2.0 * old[i] + old[i - 1]);
        }
    }
    assert_eq!(u, want);
}

#[test]
fn slicing_errors_point_at_the_subscript() {
    let a = vec![1.0; 10];
    let m = Array2::<f64>::zeros((3, 4));
    let n = 2i64;
    let x = 1.5;
    let row = vec![1.0; 4];
    let cases = [
        ("a[::0]", ErrorKind::Shape, "error: slice step cannot be zero\n  a[::0]\n    ^^^"),
        ("a[10]", ErrorKind::Shape, "error: index 10 is out of range for axis 0 with length 10\n  a[10]\n    ^^"),
        ("a[-11]", ErrorKind::Shape, "error: index -11 is out of range for axis 0 with length 10\n  a[-11]\n    ^^^"),
        ("a[1.5:]", ErrorKind::DType, "error: subscript bounds must be integers, not floats\n  a[1.5:]\n    ^^^"),
        ("a[x:]", ErrorKind::DType, "error: subscript bounds must be integers; `x` is float64\n  a[x:]\n    ^"),
        ("a[a:]", ErrorKind::DType, "error: subscript bounds must be integers; `a` is float64\n  a[a:]\n    ^"),
        ("m[1, 2, 3]", ErrorKind::Shape, "error: too many indices: the array has 2 dimensions\n  m[1, 2, 3]\n          ^"),
        ("m[..., ...]", ErrorKind::Syntax, "error: a subscript can have only one `...`\n  m[..., ...]\n  ^^^^^^^^^^^"),
        ("m[:, 1:] + row", ErrorKind::Shape, "error: shapes do not broadcast: `m[:, 1:]` has shape (3, 3) but `row` has shape (4,)\n  m[:, 1:] + row\n             ^^^"),
        ("m[:, 1:] + a[n:]", ErrorKind::Shape, "error: shapes do not broadcast: `m[:, 1:]` has shape (3, 3) but `a[n:]` has shape (8,)\n  m[:, 1:] + a[n:]\n             ^^^^^"),
        ("a[]", ErrorKind::Syntax, "error: expected an index, a slice or `...`\n  a[]\n    ^"),
        ("sin(a)[0]", ErrorKind::Syntax, "error: only arrays bound by name (or views of them) can be subscripted\n  sin(a)[0]\n  ^^^^^^"),
    ];
    for (expr, kind, want) in cases {
        let e = numjit::eval(expr, numjit::vars! {a, m, n, x, row}).expect_err(expr);
        assert_eq!((e.kind(), e.to_string().as_str()), (kind, want), "{expr}");
    }
}

#[test]
fn a_failing_script_writes_nothing() {
    let mut u = vec![1.0, 2.0, 3.0];
    let before = u.clone();
    for script in [
        "u[0] = 5; u[1] = zz",
        "u[0] = 5\nu[5] = 1",
        "u[0] = 5; v = u * 2; v[0] = u[0:2]",
        "u[:] = u > 1; u[0] = 1.5 +",
    ] {
        assert!(
            numjit::execute(script, numjit::vars! {mut u}).is_err(),
            "{script}"
        );
        assert_eq!(u, before, "{script}");
    }
    // Writing needs a writable binding; an unsafe conversion is refused.
    let a = vec![1.0];
    let e = numjit::execute("a[0] = 2", numjit::vars! {a}).unwrap_err();
    assert_eq!(
        e.to_string(),
        "error: `a` is bound read-only; bind it with `bind_mut` (or `vars!{mut a}`) to assign into it\n  a[0] = 2\n  ^"
    );
    let mut k = vec![1i64];
    let e = numjit::execute("k[0] = 2.5", numjit::vars! {mut k}).unwrap_err();
    assert_eq!(
        e.to_string(),
        "error: the target `k[0]` has dtype int64 but the expression's result is float64\n  k[0] = 2.5\n  ^^^^"
    );
    assert_eq!(k, vec![1]);
}

/// Review finding: a bound the script itself changes (`k[...] = 2`) was checked with its old
/// value and read out of bounds at run time; it is refused before anything runs.
#[test]
fn bounds_the_script_writes_are_refused_before_anything_runs() {
    let z = vec![1.0, 2.0, 3.0, 4.0];
    let mut y = vec![0.0; 4];
    let mut k = ndarray::arr0(0i64);
    let e = numjit::execute(
        "k[...] = 2; y[...] = z[k:k+4]",
        numjit::vars! {mut k, mut y, z},
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "error: `k` is assigned by this script; subscript bounds must be bound by the caller\n  k[...] = 2; y[...] = z[k:k+4]\n                         ^"
    );
    assert_eq!(k, ndarray::arr0(0i64), "nothing was written");
    assert_eq!(y, vec![0.0; 4]);
}

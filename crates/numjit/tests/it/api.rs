//! The Rust API: every input and output kind, `vars!` forms, compiled handles, threads.
//! (Only `thread_count_is_settable_and_reported` changes the global pool, so tests running
//! in parallel cannot disturb each other's thread-count assertions.)

use ndarray::{array, s, Array2, ArrayD, IxDyn};
use numjit::{Array, Casting, Complex64, DType, ErrorKind, Vars};

#[test]
fn vars_binds_by_name_and_by_pairs() {
    let a = vec![1.0, 2.0];
    let b = [10.0, 20.0];
    let k = 3i64;
    let r = numjit::eval("a + b * k", numjit::vars! {a, b, k}).unwrap();
    assert_eq!(r.as_f64().unwrap().as_slice().unwrap(), &[31.0, 62.0]);
    let r = numjit::eval("x - y", numjit::vars! {"x" => &a, "y" => 0.5}).unwrap();
    assert_eq!(r.as_f64().unwrap().as_slice().unwrap(), &[0.5, 1.5]);
    let r = numjit::eval("a * y", numjit::vars! {a, "y" => 2.0,}).unwrap();
    assert_eq!(r.as_f64().unwrap().as_slice().unwrap(), &[2.0, 4.0]);
    // The later binding of a name wins; unused names are ignored.
    let v = Vars::new()
        .bind("x", 1i64)
        .bind("x", 5i64)
        .bind("unused", true);
    assert_eq!(
        numjit::eval("x", v).unwrap(),
        Array::Int64(ndarray::arr0(5).into_dyn())
    );
}

#[test]
fn every_input_kind() {
    let slice: &[f64] = &[1.0, 2.0, 3.0];
    let vec = vec![1i64, 2, 3];
    let arr = array![true, false, true];
    let view = arr.view();
    let owned = Array::Float64(ArrayD::from_elem(IxDyn(&[3]), 0.5));
    let b = true;
    let r = numjit::eval(
        "slice + vec + view + owned + b",
        numjit::vars! {slice, vec, view, "owned" => &owned, b},
    )
    .unwrap();
    assert_eq!(r.as_f64().unwrap().as_slice().unwrap(), &[4.5, 5.5, 8.5]);
    // A column-major 2-D array and a transposed view.
    let m = Array2::from_shape_vec((2, 3), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
    let t = m.t();
    let r = numjit::eval("t * 10", numjit::vars! {t}).unwrap();
    assert_eq!(
        r.as_f64().unwrap(),
        &array![[10.0, 40.0], [20.0, 50.0], [30.0, 60.0]].into_dyn()
    );
    // A 0-d array broadcasts like a scalar.
    let z = ndarray::arr0(2.0);
    let r = numjit::eval("m * z", numjit::vars! {m, z}).unwrap();
    assert_eq!(r.shape(), &[2, 3]);
}

#[test]
fn every_output_kind() {
    let a = vec![1.0, 2.0, 3.0];
    let mut v = vec![0.0; 3];
    numjit::evaluate("a + 1", &mut v, numjit::vars! {a}).unwrap();
    assert_eq!(v, vec![2.0, 3.0, 4.0]);
    let mut arr = [0.0; 3];
    numjit::evaluate("a * 2", &mut arr, numjit::vars! {a}).unwrap();
    assert_eq!(arr, [2.0, 4.0, 6.0]);
    numjit::evaluate("a * 3", &mut arr[..], numjit::vars! {a}).unwrap();
    assert_eq!(arr, [3.0, 6.0, 9.0]);
    let mut m = Array2::<f64>::zeros((3, 4));
    numjit::evaluate("a * 2", m.slice_mut(s![.., 1]), numjit::vars! {a}).unwrap();
    assert_eq!(m.column(1).to_vec(), vec![2.0, 4.0, 6.0]);
    assert_eq!(m.column(0).to_vec(), vec![0.0; 3]);
    let mut owned = Array::zeros(DType::Bool, &[3]);
    numjit::evaluate("a > 1.5", &mut owned, numjit::vars! {a}).unwrap();
    assert_eq!(owned, Array::Bool(array![false, true, true].into_dyn()));
}

#[test]
fn compiled_handles_rerun_on_new_inputs_and_dtypes() {
    let f = numjit::compile("x * 2 + 1").unwrap();
    assert_eq!(f.source(), "x * 2 + 1");
    for n in 0..5i64 {
        let x = vec![n, -n];
        let r = f.eval(numjit::vars! {x}).unwrap();
        assert_eq!(r, Array::Int64(array![2 * n + 1, -2 * n + 1].into_dyn()));
        let x = vec![n as f64 + 0.5];
        let r = f.eval(numjit::vars! {x}).unwrap();
        assert_eq!(r, Array::Float64(array![2.0 * n as f64 + 2.0].into_dyn()));
    }
    let p = f.program(numjit::vars! {"x" => 1.0}).unwrap();
    assert_eq!(p.dtype(), DType::Float64);
    assert!(f.clif(numjit::vars! {"x" => 1.0}).unwrap().contains("fmul"));
}

#[test]
fn thread_count_is_settable_and_reported() {
    let before = numjit::num_threads();
    let prev = numjit::set_num_threads(3);
    assert_eq!(prev, before);
    assert_eq!(numjit::num_threads(), 3);
    // The global pool gives the same answer as the calling thread alone.
    let a: Vec<f64> = (0..200_000).map(|k| k as f64 * 1e-3).collect();
    let pooled = numjit::eval("sin(a) * a + 1", numjit::vars! {a}).unwrap();
    let serial = numjit::compile("sin(a) * a + 1")
        .unwrap()
        .eval_with(
            numjit::vars! {a},
            &numjit::Schedule {
                threads: Some(1),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(pooled, serial);
    assert_eq!(numjit::set_num_threads(before), 3);
    // The default honours NUMJIT_NUM_THREADS.
    std::env::set_var("NUMJIT_NUM_THREADS", "5");
    assert_eq!(numjit::internals::default_threads(), 5);
    std::env::set_var("NUMJIT_NUM_THREADS", "zero");
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    assert_eq!(numjit::internals::default_threads(), cores);
    std::env::remove_var("NUMJIT_NUM_THREADS");
}

#[test]
fn empty_and_broadcast_shapes() {
    let e: Vec<f64> = vec![];
    let r = numjit::eval("e * 2", numjit::vars! {e}).unwrap();
    assert_eq!(r.shape(), &[0]);
    let row = array![1.0, 2.0, 3.0];
    let col = array![[10.0], [20.0]];
    let r = numjit::eval("row + col", numjit::vars! {row, col}).unwrap();
    assert_eq!(
        r.as_f64().unwrap(),
        &array![[11.0, 12.0, 13.0], [21.0, 22.0, 23.0]].into_dyn()
    );
    let r = numjit::eval("1 + 2", Vars::new()).unwrap();
    assert_eq!(r, Array::Int64(ndarray::arr0(3).into_dyn()));
}

#[test]
fn concurrent_callers_share_the_pool_correctly() {
    // Several threads calling at once contend for the pool's mailbox (warm workers join one
    // caller's job, the others fork-join); every result must still be exact.
    let sched = numjit::Schedule {
        threads: Some(2),
        chunk: 64,
        serial_below: 0,
        ..Default::default()
    };
    let sched = &sched;
    std::thread::scope(|s| {
        for t in 0..4u32 {
            s.spawn(move || {
                let a: Vec<f64> = (0..5000).map(|k| (k as f64) * 0.5 + t as f64).collect();
                let f = numjit::compile("a * 2 + 1").unwrap();
                let want: Vec<f64> = a.iter().map(|x| x * 2.0 + 1.0).collect();
                let mut out = vec![0.0; a.len()];
                for _ in 0..200 {
                    out.iter_mut().for_each(|o| *o = -1.0);
                    f.evaluate_with(&mut out, numjit::vars! {a}, sched).unwrap();
                    assert_eq!(out, want);
                }
            });
        }
    });
}

/// NumPy 2.4's `np.can_cast(from, to, casting)`: rows are `from`, columns `to`, both in the
/// order bool, int32, int64, float32, float64, complex128 (printed by
/// `python3 -c "import numpy as np; ..."`).
const NUMPY_CAN_CAST: [(Casting, [&str; 6]); 5] = [
    (
        Casting::No,
        ["1.....", ".1....", "..1...", "...1..", "....1.", ".....1"],
    ),
    (
        Casting::Equiv,
        ["1.....", ".1....", "..1...", "...1..", "....1.", ".....1"],
    ),
    (
        Casting::Safe,
        ["111111", ".11.11", "..1.11", "...111", "....11", ".....1"],
    ),
    (
        Casting::SameKind,
        ["111111", ".11111", ".11111", "...111", "...111", ".....1"],
    ),
    (Casting::Unsafe, ["111111"; 6]),
];

/// Three values of `dtype`, each exactly representable in every dtype it may be cast to
/// (within int32 and float32 range, integral where an integer target would truncate them).
fn cast_input(dtype: DType) -> Array {
    let v = |x: Vec<f64>| ArrayD::from_shape_vec(IxDyn(&[3]), x).unwrap();
    match dtype {
        DType::Bool => Array::Bool(array![true, false, true].into_dyn()),
        DType::Int32 => Array::Int32(array![-7, 0, 65_536].into_dyn()),
        DType::Int64 => Array::Int64(array![-7, 0, 65_536].into_dyn()),
        DType::Float32 => Array::Float32(v(vec![-2.75, 0.5, 3.0]).mapv(|x| x as f32)),
        DType::Float64 => Array::Float64(v(vec![-2.75, 0.5, 3.0])),
        DType::Complex128 => Array::Complex128(
            array![
                Complex64::new(-2.75, 1.0),
                Complex64::new(0.5, -2.0),
                Complex64::new(3.0, 0.0)
            ]
            .into_dyn(),
        ),
        DType::Bytes(_) => unreachable!("byte strings are never results"),
    }
}

/// NumPy's cast of one value, by hand: to bool is "non-zero", float → int truncates, complex →
/// real keeps the real part, a real → complex gets a zero imaginary part.
fn cast_by_hand(x: &Array, to: DType) -> Array {
    // Each element as (real part, imaginary part, integer value if an integer or bool).
    let parts: Vec<(f64, f64, Option<i64>)> = match x {
        Array::Bool(a) => a
            .iter()
            .map(|&b| (b as i64 as f64, 0.0, Some(b as i64)))
            .collect(),
        Array::Int32(a) => a.iter().map(|&i| (i as f64, 0.0, Some(i as i64))).collect(),
        Array::Int64(a) => a.iter().map(|&i| (i as f64, 0.0, Some(i))).collect(),
        Array::Float32(a) => a.iter().map(|&f| (f as f64, 0.0, None)).collect(),
        Array::Float64(a) => a.iter().map(|&f| (f, 0.0, None)).collect(),
        Array::Complex128(a) => a.iter().map(|z| (z.re, z.im, None)).collect(),
    };
    let sh = IxDyn(&[parts.len()]);
    let int = |&(re, _, i): &(f64, f64, Option<i64>)| i.unwrap_or(re.trunc() as i64);
    match to {
        DType::Bool => Array::Bool(
            ArrayD::from_shape_vec(
                sh,
                parts
                    .iter()
                    .map(|&(re, im, _)| re != 0.0 || im != 0.0)
                    .collect(),
            )
            .unwrap(),
        ),
        DType::Int32 => Array::Int32(
            ArrayD::from_shape_vec(sh, parts.iter().map(|p| int(p) as i32).collect()).unwrap(),
        ),
        DType::Int64 => {
            Array::Int64(ArrayD::from_shape_vec(sh, parts.iter().map(int).collect()).unwrap())
        }
        DType::Float32 => Array::Float32(
            ArrayD::from_shape_vec(sh, parts.iter().map(|p| p.0 as f32).collect()).unwrap(),
        ),
        DType::Float64 => {
            Array::Float64(ArrayD::from_shape_vec(sh, parts.iter().map(|p| p.0).collect()).unwrap())
        }
        DType::Complex128 => Array::Complex128(
            ArrayD::from_shape_vec(sh, parts.iter().map(|p| Complex64::new(p.0, p.1)).collect())
                .unwrap(),
        ),
        DType::Bytes(_) => unreachable!(),
    }
}

/// An output of `dtype` holding a value no cast above produces, to see it left untouched.
fn sentinel(dtype: DType) -> Array {
    let mut a = Array::zeros(dtype, &[3]);
    let sh = IxDyn(&[3]);
    match &mut a {
        Array::Bool(x) => x.fill(true),
        Array::Int32(x) => x.fill(-99),
        Array::Int64(x) => x.fill(-99),
        Array::Float32(x) => x.fill(-99.0),
        Array::Float64(x) => x.fill(-99.0),
        Array::Complex128(x) => *x = ArrayD::from_elem(sh, Complex64::new(-99.0, -99.0)),
    }
    a
}

#[test]
fn casting_rules_match_numpy_for_every_dtype_pair() {
    let f = numjit::compile("v").unwrap();
    let mut checked = 0;
    for (casting, rows) in NUMPY_CAN_CAST {
        for (from, row) in DType::ALL.iter().zip(rows) {
            let v = cast_input(*from);
            for (to, allowed) in DType::ALL.iter().zip(row.chars()) {
                let allowed = allowed == '1';
                assert_eq!(
                    from.can_cast(*to, casting),
                    allowed,
                    "can_cast({from}, {to}, {casting:?})"
                );
                let mut out = sentinel(*to);
                let r = f.evaluate_casting(&mut out, numjit::vars! {"v" => &v}, casting);
                if allowed {
                    r.unwrap_or_else(|e| panic!("{from} -> {to} under {casting:?}: {e}"));
                    assert_eq!(
                        out,
                        cast_by_hand(&v, *to),
                        "{from} -> {to} under {casting:?}"
                    );
                } else {
                    let e = r.unwrap_err();
                    assert_eq!(e.kind(), ErrorKind::Output);
                    assert_eq!(
                        e.message(),
                        format!(
                            "cannot cast the result from {from} to {to} under casting='{}'",
                            casting.name()
                        )
                    );
                    assert_eq!(
                        out,
                        sentinel(*to),
                        "{from} -> {to} under {casting:?}: out untouched"
                    );
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 5 * 36);
}

#[test]
fn evaluate_casts_under_same_kind_by_default() {
    let a = vec![1.25, 2.5, 3.75];
    // float64 into float32 works, as NumPy's `out=` does...
    let mut f32s = vec![0f32; 3];
    numjit::evaluate("a * 2", &mut f32s, numjit::vars! {a}).unwrap();
    assert_eq!(f32s, vec![2.5f32, 5.0, 7.5]);
    // ...and broadcasts into a larger output.
    let mut grid = Array2::<f32>::zeros((2, 3));
    numjit::compile("a + 1")
        .unwrap()
        .evaluate_with(&mut grid, numjit::vars! {a}, &numjit::Schedule::default())
        .unwrap();
    assert_eq!(grid, array![[2.25f32, 3.5, 4.75], [2.25, 3.5, 4.75]]);
    // float64 into int64 is refused, with the caret under the whole expression.
    let mut ints = vec![7i64; 3];
    let e = numjit::evaluate("a * 2", &mut ints, numjit::vars! {a}).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Output);
    assert_eq!(
        e.to_string(),
        "error: cannot cast the result from float64 to int64 under casting='same_kind'\n  a * 2\n  ^^^^^"
    );
    assert_eq!(ints, vec![7; 3]);
    // The shape is still checked.
    let mut short = vec![0f32; 2];
    let e = numjit::evaluate("a * 2", &mut short, numjit::vars! {a}).unwrap_err();
    assert_eq!(
        e.message(),
        "the output has shape (2,) but the expression's result has shape (3,)"
    );
    // casting='unsafe' truncates floats into integers, as NumPy's astype.
    let f = numjit::compile("a * -2.1").unwrap();
    f.evaluate_casting(&mut ints, numjit::vars! {a}, Casting::Unsafe)
        .unwrap();
    assert_eq!(ints, vec![-2, -5, -7]);
    // ...and takes the real part of complex results.
    let mut re = vec![0.0; 3];
    numjit::compile("a * (1 + 2j)")
        .unwrap()
        .evaluate_casting(&mut re, numjit::vars! {a}, Casting::Unsafe)
        .unwrap();
    assert_eq!(re, a);
    // casting='no' refuses even float64 into float32.
    let e = f
        .evaluate_casting(&mut f32s, numjit::vars! {a}, Casting::No)
        .unwrap_err();
    assert_eq!(
        e.message(),
        "cannot cast the result from float64 to float32 under casting='no'"
    );
    assert_eq!(f32s, vec![2.5f32, 5.0, 7.5]);
    // Results the same dtype as the output are written directly under every rule.
    let mut out = vec![0.0; 3];
    f.evaluate_casting(&mut out, numjit::vars! {a}, Casting::No)
        .unwrap();
    assert_eq!(out, vec![1.25 * -2.1, 2.5 * -2.1, 3.75 * -2.1]);
    assert_eq!(Casting::default(), Casting::SameKind);
}

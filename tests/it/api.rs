//! The Rust API: every input and output kind, `vars!` forms, compiled handles, threads.
//! (Only `thread_count_is_settable_and_reported` changes the global pool, so tests running
//! in parallel cannot disturb each other's thread-count assertions.)

use ndarray::{array, s, Array2, ArrayD, IxDyn};
use numjit::{Array, DType, Vars};

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
    assert_eq!(numjit::exec::default_threads(), 5);
    std::env::set_var("NUMJIT_NUM_THREADS", "zero");
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    assert_eq!(numjit::exec::default_threads(), cores);
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
    };
    std::thread::scope(|s| {
        for t in 0..4u32 {
            s.spawn(move || {
                let a: Vec<f64> = (0..5000).map(|k| (k as f64) * 0.5 + t as f64).collect();
                let f = numjit::compile("a * 2 + 1").unwrap();
                let want: Vec<f64> = a.iter().map(|x| x * 2.0 + 1.0).collect();
                let mut out = vec![0.0; a.len()];
                for _ in 0..200 {
                    out.iter_mut().for_each(|o| *o = -1.0);
                    f.evaluate_with(&mut out, numjit::vars! {a}, &sched)
                        .unwrap();
                    assert_eq!(out, want);
                }
            });
        }
    });
}

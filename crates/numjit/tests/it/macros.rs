//! The macros `evaluate!`, `eval!` and `execute!`: names bound from the scope (mutably for a
//! script's targets), per-site caching, and the same answers as the function API (each result
//! is checked against a hand loop or the interpreter). Compile-time errors are tested by
//! trybuild in crates/numjit-macros/tests and by `compile_fail` doc tests.

use ndarray::{array, Array2};
use numjit::{Array, ErrorKind};

#[test]
fn evaluate_binds_names_from_the_scope() {
    let a = vec![1.0, 2.0, 3.0];
    let b = vec![10.0, 20.0, 30.0];
    let mut out = vec![0.0; 3];
    numjit::evaluate!("a**2 + b**2 + 2*a*b", out).unwrap();
    let want: Vec<f64> = a.iter().zip(&b).map(|(a, b)| (a + b) * (a + b)).collect();
    assert_eq!(out, want);
    // Any output expression `evaluate` accepts.
    let mut o2 = Array2::<f64>::zeros((2, 3));
    numjit::evaluate!("a * 2", o2.view_mut()).unwrap();
    assert_eq!(o2, array![[2.0, 4.0, 6.0], [2.0, 4.0, 6.0]]);
    let mut o3 = [0.0f32; 3];
    numjit::evaluate!("b - 1", &mut o3[..]).unwrap();
    assert_eq!(o3, [9.0, 19.0, 29.0]);
}

#[test]
fn eval_returns_the_array_and_matches_the_function_api() {
    let m = array![[1i64, 2], [3, 4]];
    let k = 10i64;
    let r = numjit::eval!("where(m % 2 == 0, m, -m) * k").unwrap();
    assert_eq!(
        r.as_i64().unwrap(),
        &array![[-10i64, 20], [-30, 40]].into_dyn()
    );
    let f = numjit::interpret("where(m % 2 == 0, m, -m) * k", numjit::vars! {m, k}).unwrap();
    assert_eq!(r, f);
    // Reductions, subscripts with bound integer bounds, constants (never bound by a macro).
    let x = vec![1.0, 2.0, 3.0, 4.0];
    let n = 2i64;
    let r = numjit::eval!("x[:n] - sum(x)/4 + 0*pi").unwrap();
    assert_eq!(r.as_f64().unwrap().as_slice().unwrap(), &[-1.5, -0.5]);
}

#[test]
fn references_and_parameters_bind() {
    fn scaled(x: &[f64], out: &mut [f64], k: f64) -> numjit::Result<()> {
        numjit::evaluate!("x * k", out)
    }
    let mut out = vec![0.0; 2];
    scaled(&[1.0, 2.0], &mut out, 3.0).unwrap();
    assert_eq!(out, vec![3.0, 6.0]);
    let pairs = [(vec![1.0, 2.0], vec![3.0, 4.0]), (vec![5.0], vec![6.0])];
    for (x, y) in pairs.iter() {
        let r = numjit::eval!("x * y").unwrap();
        let want: Vec<f64> = x.iter().zip(y).map(|(a, b)| a * b).collect();
        assert_eq!(r.as_f64().unwrap().as_slice().unwrap(), &want[..]);
    }
}

#[test]
fn execute_binds_targets_mutably() {
    let dens = Array2::<f64>::from_shape_fn((5, 5), |(i, j)| (i * 5 + j) as f64);
    let mut next = dens.clone();
    let c = 0.25;
    numjit::execute!(
        "lap = dens[2:,1:-1] + dens[:-2,1:-1] + dens[1:-1,2:] + dens[1:-1,:-2] - 4*dens[1:-1,1:-1]
         next[1:-1,1:-1] = dens[1:-1,1:-1] + c*lap"
    )
    .unwrap();
    let mut want = dens.clone();
    for i in 1..4 {
        for j in 1..4 {
            let lap = dens[[i + 1, j]] + dens[[i - 1, j]] + dens[[i, j + 1]] + dens[[i, j - 1]]
                - 4.0 * dens[[i, j]];
            want[[i, j]] = dens[[i, j]] + c * lap;
        }
    }
    assert_eq!(next, want);
    // A target that is also read (NumPy's semantics: the right side reads the old values),
    // and the script's own arrays come back in the outputs.
    let mut u = vec![1.0, 2.0, 3.0, 4.0];
    let outs = numjit::execute!("u[1:] = u[:-1] * 2; t = u + 1; t").unwrap();
    assert_eq!(u, vec![1.0, 2.0, 4.0, 6.0]);
    assert_eq!(
        outs.get("t").unwrap().as_f64().unwrap().as_slice().unwrap(),
        &[2.0, 3.0, 5.0, 7.0]
    );
    assert_eq!(outs.value(), outs.get("t"));
}

#[test]
fn errors_are_values_with_spans() {
    let a = vec![1.0, 2.0];
    let b = vec![1.0, 2.0, 3.0];
    let e = numjit::eval!("a + b").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Shape);
    assert!(e.to_string().contains("a + b"), "{e}");
    let e = numjit::eval!("nosuchfn(a)").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnknownFunction);
    // A failed call leaves the output untouched.
    let mut out = vec![7.0; 2];
    assert!(numjit::evaluate!("a + b", out).is_err());
    assert_eq!(out, vec![7.0, 7.0]);
}

#[test]
fn a_site_caches_its_parse_and_works_across_dtypes() {
    // One call site run with inputs of different dtypes and shapes: each gets its own typed
    // program, the answers follow NumPy's promotion.
    fn twice(x: numjit::Arg<'_>) -> Array {
        numjit::eval!("x * 2").unwrap()
    }
    let r = twice(numjit::IntoArg::into_arg(&vec![1i32, 2]));
    assert_eq!(r.as_i32().unwrap().as_slice().unwrap(), &[2, 4]);
    let r = twice(numjit::IntoArg::into_arg(&vec![1.5f64]));
    assert_eq!(r.as_f64().unwrap().as_slice().unwrap(), &[3.0]);
    for i in 0..3 {
        let x = vec![i as f64; 4];
        let r = numjit::eval!("x + 1").unwrap();
        assert_eq!(
            r.as_f64().unwrap().as_slice().unwrap(),
            &[i as f64 + 1.0; 4]
        );
    }
}

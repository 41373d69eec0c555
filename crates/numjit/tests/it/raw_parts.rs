//! Views over foreign memory (`Arg::from_raw_parts`, `Out::from_raw_parts`, what the Python
//! package builds from NumPy arrays), names a caller binds (`input_names`), and outputs that
//! overlap their inputs.

use numjit::{Arg, DType, Out, Vars};

/// `from_raw_parts` over a Vec: negative and zero strides read the right elements.
#[test]
fn raw_views_read_any_strides() {
    let data: Vec<f64> = (0..12).map(|i| i as f64).collect();
    // A 3x4 C-order matrix read reversed along axis 1 (negative stride), and a broadcast row.
    // SAFETY: every element reached lies in `data`, which outlives the views and is not
    // written meanwhile.
    let (m, row) = unsafe {
        (
            Arg::from_raw_parts(
                DType::Float64,
                data.as_ptr().add(3) as *const u8,
                &[3, 4],
                &[4, -1],
            ),
            Arg::from_raw_parts(DType::Float64, data.as_ptr() as *const u8, &[3, 4], &[0, 1]),
        )
    };
    let r = numjit::eval("m * 100 + row", Vars::new().bind("m", m).bind("row", row)).unwrap();
    let want: Vec<f64> = (0..3)
        .flat_map(|i| (0..4).map(move |j| ((4 * i + 3 - j) * 100 + j) as f64))
        .collect();
    assert_eq!(
        r.as_f64().unwrap().iter().copied().collect::<Vec<_>>(),
        want
    );
}

/// An output that overlaps an input other than exactly gets NumPy's answer (the result is
/// computed as if every input were read first); an exact alias is written in place.
#[test]
fn overlapping_raw_outputs_get_numpys_answer() {
    let mut data: Vec<f64> = (0..8).map(|i| i as f64).collect();
    let p = data.as_mut_ptr();
    // `out = x[::-1]` written into x itself: [7, 6, ..., 0].
    // SAFETY: both views cover `data`'s 8 elements, which live through the call and are
    // touched only by numjit meanwhile.
    unsafe {
        let x = Arg::from_raw_parts(DType::Float64, p as *const u8, &[8], &[1]);
        let out = Out::from_raw_parts(DType::Float64, p as *mut u8, &[8], &[1]);
        numjit::evaluate("x[::-1] * 1", out, Vars::new().bind("x", x)).unwrap();
    }
    assert_eq!(data, vec![7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0, 0.0]);
    // Shifted overlap: out = data[1:] from x = data[:-1].
    let mut data: Vec<f64> = (0..8).map(|i| i as f64).collect();
    let p = data.as_mut_ptr();
    // SAFETY: as above; the views cover elements 0..7 and 1..8.
    unsafe {
        let x = Arg::from_raw_parts(DType::Float64, p as *const u8, &[7], &[1]);
        let out = Out::from_raw_parts(DType::Float64, p.add(1) as *mut u8, &[7], &[1]);
        numjit::evaluate("x + 10", out, Vars::new().bind("x", x)).unwrap();
    }
    assert_eq!(data, vec![0.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0]);
    // Exact alias: in place.
    let mut data: Vec<f64> = (0..4).map(|i| i as f64).collect();
    let p = data.as_mut_ptr();
    // SAFETY: as above.
    unsafe {
        let x = Arg::from_raw_parts(DType::Float64, p as *const u8, &[4], &[1]);
        let out = Out::from_raw_parts(DType::Float64, p as *mut u8, &[4], &[1]);
        numjit::evaluate("x * x - sum(x)", out, Vars::new().bind("x", x)).unwrap();
    }
    assert_eq!(data, vec![-6.0, -5.0, -2.0, 3.0]);
}

#[test]
fn input_names_cover_reductions_subscripts_and_scripts() {
    let c = numjit::compile("a + sum(b, axis=0) * c[k:]").unwrap();
    assert_eq!(c.input_names(), ["a", "b", "c", "k"]);
    let s = numjit::compile_script("t = a * 2; u[1:] = t[:-1] + w; t + q").unwrap();
    assert_eq!(s.input_names(), ["a", "w", "u", "q"]);
    assert_eq!(s.written_names(), ["u"]);
}

/// `result_type` gives what `eval` would return without computing anything.
#[test]
fn result_type_is_the_dtype_and_shape_eval_returns() {
    let m = ndarray::Array2::<i32>::zeros((3, 4));
    let x = 2.5f64;
    for expr in ["m * x", "sum(m, axis=0) + 1", "m[1:, ::2] > 0", "max(m)"] {
        let c = numjit::compile(expr).unwrap();
        let (dt, shape) = c.result_type(numjit::vars! {m, x}).unwrap();
        let r = c.eval(numjit::vars! {m, x}).unwrap();
        assert_eq!((dt, shape.as_slice()), (r.dtype(), r.shape()), "{expr}");
    }
    let err = numjit::compile("m + nope")
        .unwrap()
        .result_type(numjit::vars! {m})
        .unwrap_err();
    assert_eq!(err.kind(), numjit::ErrorKind::UnknownName);
}

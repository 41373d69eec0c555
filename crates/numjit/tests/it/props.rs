//! Property tests: random well-typed expressions agree between the JIT and the reference
//! interpreter; random text never panics the parser or checker (a fuzz of the front end).

use numjit::Vars;
use proptest::prelude::*;

/// A random expression over float64 `a`, `b`, int64 `i`, bool `p`, float32 `x`, int32 `j`,
/// complex128 `z` and literals of every kind.
fn expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("a".to_string()),
        Just("b".to_string()),
        Just("i".to_string()),
        Just("p".to_string()),
        Just("x".to_string()),
        Just("j".to_string()),
        Just("z".to_string()),
        (-5i64..6).prop_map(|v| v.to_string()),
        (-4.0f64..4.0).prop_map(|v| format!("{v:.3}")),
        (-4.0f64..4.0).prop_map(|v| format!("{v:.2}j")),
        Just("True".to_string()),
    ];
    leaf.prop_recursive(5, 40, 3, |inner| {
        let ops = prop_oneof![
            Just("+"),
            Just("-"),
            Just("*"),
            Just("/"),
            Just("//"),
            Just("%"),
            Just("**"),
            Just("<"),
            Just("=="),
            Just("&"),
            Just("|"),
            Just("^"),
            Just("<<"),
            Just(">>"),
        ];
        let funcs = prop_oneof![
            Just("sin"),
            Just("exp"),
            Just("sqrt"),
            Just("abs"),
            Just("floor"),
            Just("round"),
            Just("sign"),
            Just("isnan"),
            Just("log1p"),
            Just("tanh"),
            Just("conj"),
            Just("real"),
            Just("imag"),
            Just("arcsinh"),
        ];
        let funcs2 = prop_oneof![
            Just("maximum"),
            Just("minimum"),
            Just("arctan2"),
            Just("fmod"),
            Just("hypot"),
            Just("copysign")
        ];
        prop_oneof![
            (inner.clone(), ops, inner.clone()).prop_map(|(l, o, r)| format!("({l} {o} {r})")),
            (funcs, inner.clone()).prop_map(|(f, x)| format!("{f}({x})")),
            (funcs2, inner.clone(), inner.clone()).prop_map(|(f, x, y)| format!("{f}({x}, {y})")),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(c, x, y)| format!("where({c}, {x}, {y})")),
            inner.clone().prop_map(|x| format!("-{x}")),
            inner.prop_map(|x| format!("~{x}")),
        ]
    })
}

struct Data {
    a: Vec<f64>,
    b: Vec<f64>,
    i: Vec<i64>,
    p: Vec<bool>,
    x: Vec<f32>,
    j: Vec<i32>,
    z: Vec<numjit::Complex64>,
}

fn data() -> Data {
    Data {
        a: vec![
            0.5,
            -1.5,
            0.0,
            -0.0,
            3.25,
            f64::NAN,
            f64::INFINITY,
            -7.0,
            1e-300,
            2.0,
            100.0,
        ],
        b: vec![
            2.0,
            0.25,
            -3.0,
            0.0,
            f64::NEG_INFINITY,
            1.0,
            -0.5,
            7.0,
            1e300,
            -2.0,
            0.1,
        ],
        i: vec![0, 1, -1, 7, -8, i64::MAX, i64::MIN, 3, 64, -3, 2],
        p: vec![
            true, false, true, true, false, false, true, false, true, false, true,
        ],
        x: vec![
            1.5,
            -0.25,
            0.0,
            f32::NAN,
            -3.0,
            f32::INFINITY,
            1e-40,
            7.5,
            -0.0,
            2.0,
            65504.0,
        ],
        j: vec![0, 1, -1, 31, -32, i32::MAX, i32::MIN, 5, 33, -2, 7],
        z: [
            (1.0, 2.0),
            (-0.5, 0.0),
            (0.0, -0.0),
            (f64::NAN, 1.0),
            (3.0, -4.0),
            (f64::INFINITY, 0.5),
            (-2.0, -0.0),
            (0.25, 1e300),
            (-1.0, 0.0),
            (1e-310, 2.0),
            (0.0, 1.0),
        ]
        .iter()
        .map(|&(re, im)| numjit::Complex64::new(re, im))
        .collect(),
    }
}

fn vars(d: &Data) -> Vars<'_> {
    Vars::new()
        .bind("a", &d.a)
        .bind("b", &d.b)
        .bind("i", &d.i)
        .bind("p", &d.p)
        .bind("x", &d.x)
        .bind("j", &d.j)
        .bind("z", &d.z)
}

/// Distance in ulps between two floats of one width, given with their bits without the sign
/// (`a_bits`, `b_bits`); NaNs are equal, and equal values must agree on the sign of zero.
fn ulps(a: f64, b: f64, a_bits: i64, b_bits: i64) -> u64 {
    if a.is_nan() && b.is_nan() {
        0
    } else if a == b {
        if a.is_sign_negative() == b.is_sign_negative() {
            0
        } else {
            u64::MAX
        }
    } else if a.is_nan() || b.is_nan() || a.is_infinite() || b.is_infinite() {
        u64::MAX
    } else {
        let key = |k: i64, neg: bool| if neg { -k } else { k };
        key(a_bits, a < 0.0).abs_diff(key(b_bits, b < 0.0))
    }
}

/// Whether `got` equals `want` (same dtype and shape; floats within `tol` ulps, NaN equal to
/// NaN; integers and bools exactly).
fn close(got: &numjit::Array, want: &numjit::Array, tol: u64) -> Result<(), String> {
    use numjit::Array as A;
    if got.dtype() != want.dtype() || got.shape() != want.shape() {
        return Err(format!(
            "got {} {:?}, want {} {:?}",
            got.dtype(),
            got.shape(),
            want.dtype(),
            want.shape()
        ));
    }
    let d64 = |a: f64, b: f64| {
        ulps(
            a,
            b,
            (a.to_bits() << 1 >> 1) as i64,
            (b.to_bits() << 1 >> 1) as i64,
        )
    };
    let d32 = |a: f32, b: f32| {
        ulps(
            a as f64,
            b as f64,
            (a.to_bits() << 1 >> 1) as i64,
            (b.to_bits() << 1 >> 1) as i64,
        )
    };
    let far: Vec<usize> = match (got, want) {
        (A::Float64(g), A::Float64(w)) => g
            .iter()
            .zip(w)
            .map(|(a, b)| d64(*a, *b))
            .enumerate()
            .filter(|(_, d)| *d > tol)
            .map(|(k, _)| k)
            .collect(),
        (A::Float32(g), A::Float32(w)) => g
            .iter()
            .zip(w)
            .map(|(a, b)| d32(*a, *b))
            .enumerate()
            .filter(|(_, d)| *d > tol)
            .map(|(k, _)| k)
            .collect(),
        (A::Complex128(g), A::Complex128(w)) => g
            .iter()
            .zip(w)
            .map(|(a, b)| d64(a.re, b.re).max(d64(a.im, b.im)))
            .enumerate()
            .filter(|(_, d)| *d > tol)
            .map(|(k, _)| k)
            .collect(),
        _ if got == want => vec![],
        _ => vec![usize::MAX],
    };
    if far.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "elements {far:?} differ:\n got  {got:?}\n want {want:?}"
        ))
    }
}

proptest! {
    // 400 cases unless PROPTEST_CASES asks for more (long local fuzzing runs).
    #![proptest_config(ProptestConfig { cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(400), ..ProptestConfig::default() })]

    #[test]
    fn jit_agrees_with_interpreter(e in expr()) {
        let d = data();
        let f = numjit::compile(&e).unwrap();
        match f.interpret(vars(&d)) {
            // Ill-typed expressions must be refused by both paths alike.
            Err(want) => {
                let got = f.eval(vars(&d)).unwrap_err();
                prop_assert_eq!(got, want);
            }
            Ok(want) => {
                let sched = numjit::Schedule { threads: Some(2), chunk: 3, serial_below: 0, ..Default::default() };
                for got in [f.eval(vars(&d)).unwrap(), f.eval_with(vars(&d), &sched).unwrap()] {
                    // Float `**` (3 and 4 expanded, else the inline pow kernel) is within 1 ulp;
                    // all else is exact.
                    let r = close(&got, &want, u64::from(e.contains("**")));
                    prop_assert!(r.is_ok(), "{}: {:?}", e, r);
                }
            }
        }
    }

    #[test]
    fn any_text_gives_a_value_or_an_error(s in "[ab()+\\-*/%<>=!&|^~.,0-9eE jTrueFalsinqxtw\\[\\]:]{0,40}") {
        let d = data();
        // Must not panic; errors must carry a span inside the text.
        if let Err(e) = numjit::eval(&s, vars(&d)) {
            if let Some(sp) = e.span() {
                prop_assert!(sp.start <= sp.end && sp.end <= s.len());
            }
            let _ = e.to_string();
        }
    }

    #[test]
    fn any_script_gives_outputs_or_an_error(s in "[abu()+\\-*/%<>=!&|^~.,0-9 \\[\\]:;\n#n]{0,40}") {
        let d = data();
        let mut u = vec![1.0, 2.0, 3.0, 4.0];
        let n = 2i64;
        let before = u.clone();
        let r = numjit::execute(&s, vars(&d).bind_mut("u", &mut u).bind("n", n));
        // A script that fails writes nothing.
        if r.is_err() {
            prop_assert_eq!(&u, &before);
        }
    }

    #[test]
    fn arbitrary_unicode_never_panics(s in "\\PC{0,30}") {
        let d = data();
        let _ = numjit::eval(&s, vars(&d)).map_err(|e| e.to_string());
    }
}

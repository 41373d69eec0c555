//! Error reporting: exact rendered messages with carets, every error kind, and the promise
//! that a failed call leaves the caller's output untouched.

use numjit::{ErrorKind, Vars};

fn err(expr: &str, vars: Vars<'_>) -> (ErrorKind, String) {
    let e = numjit::eval(expr, vars).expect_err(expr);
    (e.kind(), e.to_string())
}

#[test]
fn rendered_errors_point_at_the_mistake() {
    let a = vec![1.0, 2.0];
    let b = vec![1.0, 2.0, 3.0];
    let i = vec![1i64, 2];
    let p = vec![true, false];
    let cases: Vec<(&str, Vars<'_>, ErrorKind, &str)> = vec![
        ("a + ", numjit::vars! {a}, ErrorKind::Syntax, "error: unexpected end of expression\n  a + \n      ^"),
        ("a + ab", numjit::vars! {a}, ErrorKind::UnknownName, "error: unknown name `ab`; did you mean `a`?\n  a + ab\n      ^^"),
        ("a + zz", numjit::vars! {a}, ErrorKind::UnknownName, "error: unknown name `zz`\n  a + zz\n      ^^"),
        ("sine(a)", numjit::vars! {a}, ErrorKind::UnknownFunction, "error: unknown function `sine`; did you mean `sin`?\n  sine(a)\n  ^^^^"),
        ("arctan2(a)", numjit::vars! {a}, ErrorKind::Arity, "error: `arctan2` takes 2 arguments, got 1\n  arctan2(a)\n  ^^^^^^^^^^"),
        ("a + b", numjit::vars! {a, b}, ErrorKind::Shape, "error: shapes do not broadcast: `a` has shape (2,) but `b` has shape (3,)\n  a + b\n      ^"),
        ("a & 1", numjit::vars! {a}, ErrorKind::DType, "error: `&` is not defined for float operands (float64 and int64)\n  a & 1\n  ^^^^^"),
        ("i ** -1", numjit::vars! {i}, ErrorKind::DType, "error: integers to negative integer powers are not allowed (as in NumPy); write a float, e.g. `2.0 ** -1`\n  i ** -1\n       ^^"),
        ("p - p", numjit::vars! {p}, ErrorKind::DType, "error: `-` is not defined for bool operands (NumPy refuses it); use `^` for logical xor\n  p - p\n  ^^^^^"),
        ("-p", numjit::vars! {p}, ErrorKind::DType, "error: unary `-` is not defined for bool (NumPy refuses it); use `~` for logical not\n  -p\n  ^^"),
        ("~a", numjit::vars! {a}, ErrorKind::DType, "error: unary `~` is not defined for float64\n  ~a\n  ^^"),
        ("sign(p)", numjit::vars! {p}, ErrorKind::DType, "error: `sign` is not defined for bool (NumPy refuses it too)\n  sign(p)\n  ^^^^^^^"),
        ("a < 1 < 2", numjit::vars! {a}, ErrorKind::Syntax, "error: comparisons cannot be chained; write `(a < b) & (b < c)`, and note that `&` and `|` bind tighter than comparisons\n  a < 1 < 2\n    ^^^^^"),
        ("a and a", numjit::vars! {a}, ErrorKind::Syntax, "error: `and` is not supported; use `&` (with parentheses around comparisons)\n  a and a\n    ^^^"),
        ("not a", numjit::vars! {a}, ErrorKind::Syntax, "error: `not` is not supported; use `~` (logical not on bool)\n  not a\n  ^^^"),
        ("a $ 2", numjit::vars! {a}, ErrorKind::Syntax, "error: unexpected character `$`\n  a $ 2\n    ^"),
        ("sin", numjit::vars! {a}, ErrorKind::UnknownName, "error: unknown name `sin`; `sin` is a function, call it as `sin(...)`\n  sin\n  ^^^"),
        ("a = 1", numjit::vars! {a}, ErrorKind::Syntax, "error: assignment is not allowed here (did you mean `==`?)\n  a = 1\n    ^"),
        ("sin(a, axis=1)", numjit::vars! {a}, ErrorKind::Syntax, "error: `sin` takes no keyword arguments\n  sin(a, axis=1)\n         ^^^^^"),
        ("(a + 1", numjit::vars! {a}, ErrorKind::Syntax, "error: unclosed `(`\n  (a + 1\n  ^"),
    ];
    for (expr, vars, kind, want) in cases {
        let (k, text) = err(expr, vars);
        assert_eq!((k, text.as_str()), (kind, want), "{expr}");
    }
}

#[test]
fn multi_line_source_shows_the_line_number() {
    let a = vec![1.0];
    let (_, text) = err("(a +\n  zz)", numjit::vars! {a});
    assert_eq!(text, "error: unknown name `zz`\n2 |   zz)\n      ^^");
}

#[test]
fn failed_calls_leave_the_output_untouched() {
    let a = vec![1.0, 2.0, 3.0];
    let i = vec![1i64, 2, 3];
    let mut out = vec![7.0; 3];
    for expr in ["a +", "a + zz", "a & 1", "a * 1j", "a[5]", "a[::0]"] {
        assert!(
            numjit::evaluate(expr, &mut out, numjit::vars! {a, i}).is_err(),
            "{expr}"
        );
        assert_eq!(out, vec![7.0; 3], "{expr}");
    }
    // Wrong output shape and dtype.
    let mut short = vec![7.0; 2];
    let e = numjit::evaluate("a * 2", &mut short, numjit::vars! {a}).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Output);
    assert_eq!(
        e.to_string(),
        "error: the output has shape (2,) but the expression's result has shape (3,)\n  a * 2\n  ^^^^^"
    );
    assert_eq!(short, vec![7.0; 2]);
    let mut ints = vec![7i64; 3];
    let e = numjit::evaluate("a * 2", &mut ints, numjit::vars! {a}).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Output);
    assert!(e.to_string().starts_with(
        "error: cannot cast the result from float64 to int64 under casting='same_kind'"
    ));
    assert_eq!(ints, vec![7i64; 3]);
    // An output larger than the result receives it broadcast, as NumPy's `out=`.
    let mut grid = ndarray::Array2::<f64>::zeros((2, 3));
    numjit::evaluate("a * 2", &mut grid, numjit::vars! {a}).unwrap();
    assert_eq!(grid, ndarray::array![[2.0, 4.0, 6.0], [2.0, 4.0, 6.0]]);
}

#[test]
fn huge_inputs_do_not_overflow_the_stack() {
    let a = vec![1.0];
    for expr in [
        format!("{}a{}", "(".repeat(100_000), ")".repeat(100_000)),
        vec!["a"; 50_000].join(" + "),
        format!("{}a", "-".repeat(100_000)),
        format!("{}a{}", "sin(".repeat(30_000), ")".repeat(30_000)),
    ] {
        let (k, _) = err(&expr, numjit::vars! {a});
        assert_eq!(k, ErrorKind::Limit);
    }
    // Nesting below the limit works.
    let ok = format!("{}a{}", "(".repeat(150), ")".repeat(150));
    assert!(numjit::eval(&ok, numjit::vars! {a}).is_ok());
}

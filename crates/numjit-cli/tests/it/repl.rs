//! The REPL: scripts fed to `numjit` through stdin (assignments, printing, constructors,
//! commands, errors and the exit status), the terminal path through a pseudo-terminal (line
//! editing and the history file), and random input fed to the session's line handler.

// The REPL lives in the binary; its modules are compiled into this test too so that the line
// handler can be called directly.
#[path = "../../src/cli/mod.rs"]
#[allow(dead_code)]
mod cli;

use crate::bin::{numjit_with, stderr, stdout, temp_dir};
use cli::random::SplitMix64;
use cli::repl::{history_path, needs_more, Flow, Session};
use numjit::{npy, Array};
use proptest::prelude::*;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `numjit repl` with `script` on stdin.
fn repl(dir: &Path, script: &str) -> Output {
    numjit_with(dir, &["repl"], script)
}

/// Runs one input through a session, returning what it printed or the rendered error.
fn handle(s: &mut Session, input: &str) -> Result<String, String> {
    let mut out = Vec::new();
    s.handle(input, &mut out)?;
    Ok(String::from_utf8(out).unwrap())
}

#[test]
fn assignments_printing_and_constructors() {
    let dir = temp_dir("assignments");
    let script = "\
a = linspace(0, 1, 5)
b = arange(5)
c = a**2 + b**2 + 2*a*b
c
b * 2; b > 2
x = zeros(2, 3, dtype=int64); x
ones((2, 2))
full(3, 2.5)
eye(2)
a.shape; x.dtype; x.ndim; x.size; a.nbytes
n = 3
arange(n, 2*n)
";
    let out = repl(&dir, script);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert_eq!(stderr(&out), "");
    assert_eq!(
        stdout(&out),
        "\
array([ 0.    ,  1.5625,  6.25  , 14.0625, 25.    ])
array([0, 2, 4, 6, 8])
array([False, False, False,  True,  True])
array([[0, 0, 0],
       [0, 0, 0]])
array([[1., 1.],
       [1., 1.]])
array([2.5, 2.5, 2.5])
array([[1., 0.],
       [0., 1.]])
(5,)
dtype('int64')
2
6
40
array([3, 4, 5])
"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn slices_assign_in_place() {
    let dir = temp_dir("slices");
    let script = "\
u = arange(6) * 1.0
u[1:] = u[:-1] * 2   # overlapping: the right side is read first, as in NumPy
u
m = zeros(3, 4); m[1:, ::2] = 7; m
k = 2; u[k:-1]
";
    let out = repl(&dir, script);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "\
array([0., 0., 2., 4., 6., 8.])
array([[0., 0., 0., 0.],
       [7., 0., 7., 0.],
       [7., 0., 7., 0.]])
array([2., 4., 6.])
"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `reshape` as a method on a name, a call's result, a bracketed expression, a subscript or
/// another method call, inside expressions too, with NumPy's rules: one negative length is
/// inferred, and a size mismatch is NumPy's message (NumPy 2.4's text for
/// `np.arange(6).reshape(...)`) with a caret under the call. Everywhere else the language's
/// refusal of methods stays.
#[test]
fn reshape_method_form_follows_numpy() {
    let mut s = Session::new();
    let ok =
        |s: &mut Session, line: &str| handle(s, line).unwrap_or_else(|e| panic!("{line}: {e}"));
    // The expected texts are NumPy's repr of the same calls.
    assert_eq!(
        ok(&mut s, "arange(12).reshape(3, 4)"),
        "array([[ 0,  1,  2,  3],\n       [ 4,  5,  6,  7],\n       [ 8,  9, 10, 11]])\n"
    );
    ok(&mut s, "m = arange(12).reshape(3, -1); x = arange(6)");
    assert_eq!(ok(&mut s, "m.shape"), "(3, 4)\n");
    assert_eq!(ok(&mut s, "m[2, 3]"), "array(11)\n");
    assert_eq!(
        ok(&mut s, "x.reshape(-1, 2)"),
        "array([[0, 1],\n       [2, 3],\n       [4, 5]])\n"
    );
    assert_eq!(
        ok(&mut s, "x.reshape((1, -1)).reshape(6)"),
        "array([0, 1, 2, 3, 4, 5])\n"
    );
    assert_eq!(
        ok(&mut s, "arange(6).reshape(2, 3).astype(float32)"),
        "array([[0., 1., 2.],\n       [3., 4., 5.]], dtype=float32)\n"
    );
    assert_eq!(
        ok(&mut s, "y = 2 * arange(6).reshape(2, 3) + 1; y"),
        "array([[ 1,  3,  5],\n       [ 7,  9, 11]])\n"
    );
    assert_eq!(
        ok(&mut s, "(x + 1).reshape(3, 2)[:, 1]"),
        "array([2, 4, 6])\n"
    );
    assert_eq!(
        ok(&mut s, "x[::2].reshape(3, 1)"),
        "array([[0],\n       [2],\n       [4]])\n"
    );
    assert_eq!(ok(&mut s, "arange(1).reshape(())"), "array(0)\n");
    assert_eq!(
        ok(&mut s, "q = zeros(0).reshape(-1, 5); q.shape"),
        "(0, 5)\n"
    );
    // NumPy's refusals, with a caret under the call.
    let err = |s: &mut Session, line: &str| handle(s, line).unwrap_err();
    assert_eq!(
        err(&mut s, "arange(6).reshape(4, 2)"),
        "error: cannot reshape array of size 6 into shape (4,2)\n  arange(6).reshape(4, 2)\n  ^^^^^^^^^^^^^^^^^^^^^^^"
    );
    assert_eq!(
        err(&mut s, "w = 1 + x.reshape(4, -1)"),
        "error: cannot reshape array of size 6 into shape (4,newaxis)\n  w = 1 + x.reshape(4, -1)\n          ^^^^^^^^^^^^^^^^"
    );
    assert!(err(&mut s, "x.reshape(-1, -1)")
        .starts_with("error: can only specify one unknown dimension\n"));
    assert!(err(&mut s, "x.reshape(2, 2.5)").contains("a dimension must be an integer"));
    assert!(err(&mut s, "x.reshape()").starts_with("error: usage: reshape(x, 3, 4)"));
    assert!(!s.env().contains_key("w"));
    // Other methods stay refused by the language.
    assert!(
        err(&mut s, "x.sum()").contains("`x.sum` is written `sum(x)`"),
        "{}",
        err(&mut s, "x.sum()")
    );
}

/// A line interrupted through the session's `Interrupt` (what Ctrl-C trips in a terminal;
/// `ctrl_c.rs` drives that in a pseudo-terminal) fails with `interrupted` and changes nothing:
/// the rebinding, the in-place write it was in the middle of and the names it bound are all
/// undone. The next line runs normally.
#[test]
fn an_interrupted_line_changes_nothing() {
    let mut s = Session::new();
    handle(
        &mut s,
        "x = arange(4_000_000) * 1.0; y = x * 2; k = arange(3)",
    )
    .unwrap();
    let (x, y) = (s.env()["x"].clone(), s.env()["y"].clone());
    let heavy =
        |v: &str| format!("arcsinh({v})**2 + expm1({v} / 1e7) * cosh({v} / 1e7) + sin({v})");
    let mut line = format!("k = k + 1; y[1:] = {}; t = {}", heavy("x[1:]"), heavy("x"));
    for _ in 0..30 {
        line.push_str(&format!("; y[1:] = y[1:] + {}", heavy("x[1:]")));
    }
    let stop = s.interrupt();
    let tripper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(400));
        stop.trip();
    });
    let r = handle(&mut s, &line);
    tripper.join().unwrap();
    assert_eq!(r, Err("error: interrupted".to_string()));
    assert_eq!(s.env()["x"], x);
    assert_eq!(s.env()["y"], y, "the in-place writes are undone");
    assert_eq!(handle(&mut s, "k").unwrap(), "array([0, 1, 2])\n");
    assert!(!s.env().contains_key("t"));
    // The interrupt is reset for the next line.
    assert_eq!(
        handle(&mut s, "y[0] = 5; y[:3]").unwrap(),
        "array([5., 2., 4.])\n"
    );
    // A failing line undoes in-place writes and deletions too, in reverse order.
    handle(&mut s, "u = arange(4)").unwrap();
    assert!(handle(&mut s, "u[0] = 9; :del k; u = u * 0; u[1] = 7; nosuch").is_err());
    assert_eq!(
        handle(&mut s, "u; k").unwrap(),
        "array([0, 1, 2, 3])\narray([0, 1, 2])\n"
    );
}

/// Constructors print exactly what NumPy 2 prints for the same call (the expected text is
/// NumPy's `repr`).
#[test]
fn constructors_match_numpy() {
    let cases = [
        ("linspace(0, 1, 7)", "array([0.        , 0.16666667, 0.33333333, 0.5       , 0.66666667,\n       0.83333333, 1.        ])"),
        ("linspace(0, 1, 5, endpoint=False)", "array([0. , 0.2, 0.4, 0.6, 0.8])"),
        ("linspace(2, 2, 3)", "array([2., 2., 2.])"),
        ("linspace(0, 1, 1)", "array([0.])"),
        ("linspace(0, 1, 0)", "array([], dtype=float64)"),
        ("linspace(-1e-5, 1e5, 4)", "array([-1.00000000e-05,  3.33333333e+04,  6.66666667e+04,  1.00000000e+05])"),
        ("arange(0, 1, 0.1)", "array([0. , 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])"),
        ("arange(-3, 10, 4)", "array([-3,  1,  5,  9])"),
        ("arange(10, 0, -3)", "array([10,  7,  4,  1])"),
        ("arange(0.5, 3)", "array([0.5, 1.5, 2.5])"),
        ("arange(5, dtype=float64)", "array([0., 1., 2., 3., 4.])"),
        ("eye(3, 4, k=-1, dtype=int64)", "array([[0, 0, 0, 0],\n       [1, 0, 0, 0],\n       [0, 1, 0, 0]])"),
        ("full((2, 2), 1.7, dtype=int64)", "array([[1, 1],\n       [1, 1]])"),
        ("ones(2, dtype=bool)", "array([ True,  True])"),
        ("zeros((0, 3))", "array([], shape=(0, 3), dtype=float64)"),
    ];
    let mut s = Session::new();
    for (input, want) in cases {
        assert_eq!(
            handle(&mut s, input).unwrap(),
            format!("{want}\n"),
            "{input}"
        );
    }
}

/// Constructors with the dtypes int32, float32 and complex128, and `astype`, print exactly what
/// NumPy 2.4 prints for the same call (`np.zeros(2, dtype=np.int32)`, `x.astype(np.int32)`, ...;
/// `arange` follows NumPy's fill: the first two elements converted, then `first + i*delta` in
/// the dtype's arithmetic).
#[test]
fn dtype_constructors_match_numpy() {
    let cases = [
        ("zeros(2, dtype=int32)", "array([0, 0], dtype=int32)"),
        ("ones((2, 2), dtype=float32)", "array([[1., 1.],\n       [1., 1.]], dtype=float32)"),
        ("ones(2, dtype='complex128')", "array([1.+0.j, 1.+0.j])"),
        ("full(3, 1+2j)", "array([1.+2.j, 1.+2.j, 1.+2.j])"),
        ("full(2, 2.5, dtype=complex128)", "array([2.5+0.j, 2.5+0.j])"),
        ("full(2, 2.7, dtype=np.int32)", "array([2, 2], dtype=int32)"),
        ("full(2, 1-1j, dtype=float64)", "array([1., 1.])"),
        ("eye(2, dtype=complex128)", "array([[1.+0.j, 0.+0.j],\n       [0.+0.j, 1.+0.j]])"),
        ("eye(2, 3, k=1, dtype=float32)", "array([[0., 1., 0.],\n       [0., 0., 1.]], dtype=float32)"),
        ("arange(0.1, 1, 0.1, dtype=float32)", "array([0.1       , 0.2       , 0.3       , 0.4       , 0.5       ,\n       0.6       , 0.70000005, 0.8       , 0.90000004], dtype=float32)"),
        ("arange(0, 5, 0.5, dtype=int32)", "array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0], dtype=int32)"),
        ("arange(1, 2, 0.3)", "array([1. , 1.3, 1.6, 1.9])"),
        ("arange(3, dtype=complex128)", "array([0.+0.j, 1.+0.j, 2.+0.j])"),
        ("arange(5, dtype='f4')", "array([0., 1., 2., 3., 4.], dtype=float32)"),
        ("linspace(0, 10, 4, dtype=int32)", "array([ 0,  3,  6, 10], dtype=int32)"),
        ("linspace(-1, 1, 4, dtype=float32)", "array([-1.        , -0.33333334,  0.33333334,  1.        ], dtype=float32)"),
        ("astype(linspace(-1.5, 1.5, 4), int32)", "array([-1,  0,  0,  1], dtype=int32)"),
        ("astype(arange(3) / 0.0, int32)", "array([-2147483648, -2147483648, -2147483648], dtype=int32)"),
        ("astype(arange(4) * 0.1, dtype=float32)", "array([0. , 0.1, 0.2, 0.3], dtype=float32)"),
        ("astype(2*arange(3) - 1, complex128)", "array([-1.+0.j,  1.+0.j,  3.+0.j])"),
        ("astype(full(2, 3-4j), float64)", "array([3., 3.])"),
        ("astype(full(3, 1j), bool)", "array([ True,  True,  True])"),
        ("astype(arange(3) - 1, bool)", "array([ True, False,  True])"),
        ("astype(full(2, 3000000000), int32)", "array([-1294967296, -1294967296], dtype=int32)"),
    ];
    let mut s = Session::new();
    for (input, want) in cases {
        assert_eq!(
            handle(&mut s, input).unwrap(),
            format!("{want}\n"),
            "{input}"
        );
    }
}

#[test]
fn astype_method_and_dtypes_of_names() {
    let mut s = Session::new();
    handle(
        &mut s,
        "x = linspace(0, 1, 3); y = x.astype(float32); z = 2*x.astype(int32) + 1",
    )
    .unwrap();
    assert_eq!(
        handle(&mut s, "y").unwrap(),
        "array([0. , 0.5, 1. ], dtype=float32)\n"
    );
    assert_eq!(
        handle(&mut s, "z").unwrap(),
        "array([1, 1, 3], dtype=int32)\n"
    );
    assert_eq!(
        handle(&mut s, "x.astype(complex128)").unwrap(),
        "array([0. +0.j, 0.5+0.j, 1. +0.j])\n"
    );
    assert_eq!(
        handle(
            &mut s,
            "y.dtype; y.nbytes; c = full(2, 1j); c.dtype; c.nbytes"
        )
        .unwrap(),
        "dtype('float32')\n12\ndtype('complex128')\n32\n"
    );
    let vars = handle(&mut s, ":vars").unwrap();
    assert!(vars.contains("c     complex128  (2,)    32 B"), "{vars}");
    assert!(vars.contains("y     float32     (3,)    12 B"), "{vars}");
    // float32 random numbers: the top 24 bits of SplitMix64's outputs.
    handle(&mut s, "r = random(2, 3, seed=7, dtype=float32)").unwrap();
    let r = s.env()["r"].as_f32().unwrap().clone();
    let mut g = SplitMix64::new(7);
    let want: Vec<f32> = (0..6).map(|_| g.next_f32()).collect();
    assert_eq!(r.iter().copied().collect::<Vec<_>>(), want);
    for (input, why) in [
        ("astype(x)", "usage: astype(x, dtype)"),
        (
            "x.astype(int8)",
            "dtype must be one of bool, int32, int64, float32, float64, complex128",
        ),
        (
            "random(3, dtype=int32)",
            "random makes float64 or float32 arrays",
        ),
        ("linspace(0, 1j, 3)", "linspace needs real bounds"),
        ("arange(3, dtype=bool)", "bool arrays of at most 2 elements"),
        ("astype(nope, int32)", "unknown name `nope`"),
    ] {
        let err = handle(&mut s, input).unwrap_err();
        assert!(err.contains(why), "{input}: {err}");
    }
}

#[test]
fn random_is_splitmix64() {
    let mut s = Session::new();
    handle(&mut s, "r = random(2, 3, seed=7)").unwrap();
    let r = s.env()["r"].as_f64().unwrap().clone();
    assert_eq!(r.shape(), &[2, 3]);
    let mut g = SplitMix64::new(7);
    let want: Vec<f64> = (0..6).map(|_| g.next_f64()).collect();
    assert_eq!(r.iter().copied().collect::<Vec<_>>(), want);
    // Unseeded calls differ from each other but repeat from one session to the next.
    handle(&mut s, "p = random(4); q = random(4)").unwrap();
    assert_ne!(s.env()["p"], s.env()["q"]);
    let mut t = Session::new();
    handle(&mut t, "p = random(4)").unwrap();
    assert_eq!(s.env()["p"], t.env()["p"]);
}

#[test]
fn commands() {
    let dir = temp_dir("commands");
    let script = "\
a = arange(4) * 0.5
b = ones(4)
:vars
:del b
:vars
:ast a + b*c**2
:ir a*2 + 1
:clif a*2
:help
:threads
";
    let out = repl(&dir, script);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let text = stdout(&out);
    let want_vars = "\
name  dtype    shape  bytes
a     float64  (4,)    32 B
b     float64  (4,)    32 B
name  dtype    shape  bytes
a     float64  (4,)    32 B
";
    assert!(text.starts_with(want_vars), "{text}");
    assert!(text.contains("(a + (b * (c ** 2)))\n"), "{text}");
    assert!(text.contains("input 0: a float64"), "{text}");
    assert!(text.contains("function "), "no Cranelift IR in {text}");
    assert!(text.contains(":bench EXPR"), "no help in {text}");
    assert!(text.trim_end().ends_with("cores)"), "{text}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn time_and_bench_commands() {
    let mut s = Session::new().with_budget(Duration::from_millis(2));
    handle(&mut s, "a = random(1000, seed=1); b = random(1000, seed=2)").unwrap();
    let t = handle(&mut s, ":time a**2 + b**2 + 2*a*b").unwrap();
    assert!(
        t.contains(" per call, ")
            && t.contains(" ns per element, ")
            && t.contains("(1000 elements"),
        "{t}"
    );
    // On the session's arrays (one n), then on random inputs of the given sizes.
    let b = handle(&mut s, ":bench a*b --threads 1,2").unwrap();
    let rows: Vec<&str> = b.lines().skip(2).collect();
    assert_eq!(rows.len(), 2, "{b}");
    assert!(b.contains("the session's a, b"), "{b}");
    assert!(rows[0].split_whitespace().next() == Some("1000"), "{b}");
    let b = handle(&mut s, ":bench \"a + 1\" --n 10,20 --threads 1 --json").unwrap();
    assert_eq!(b.lines().count(), 2, "{b}");
    assert!(b.lines().all(|l| l.starts_with("{\"threads\": 1")), "{b}");
    let err = handle(&mut s, ":bench a + --n 10").unwrap_err();
    assert!(err.contains("error: "), "{err}");
    let err = handle(&mut s, ":time").unwrap_err();
    assert!(err.contains(":time needs an expression"), "{err}");
}

#[test]
fn errors_show_a_caret_and_the_script_goes_on() {
    let dir = temp_dir("errors");
    let script = "\
a = arange(3)
c = a + ab
a * 10
zeros(2, dtype=int8)
:frobnicate
a[5]
a
";
    let out = repl(&dir, script);
    assert_eq!(out.status.code(), Some(1), "stderr: {}", stderr(&out));
    // Every statement after a failure still ran.
    assert_eq!(
        stdout(&out),
        "array([ 0, 10, 20])\narray([0, 1, 2])\n",
        "stderr: {}",
        stderr(&out)
    );
    let err = stderr(&out);
    assert!(
        err.contains(
            "line 2: error: unknown name `ab`; did you mean `a`?\n  c = a + ab\n          ^^\n"
        ),
        "{err}"
    );
    assert!(
        err.contains("line 4: error: dtype must be one of bool, int32, int64, float32, float64, complex128\n  zeros(2, dtype=int8)\n                 ^^^^\n"),
        "{err}"
    );
    assert!(
        err.contains("line 5: error: unknown command `:frobnicate`"),
        "{err}"
    );
    assert!(err.contains("line 6: error: "), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn multi_line_input_and_quit() {
    let dir = temp_dir("multi_line");
    let script = "\
x = (1 +
     2) * 3
y = x \\
    + 1
x; y
:quit
x + 1
";
    let out = repl(&dir, script);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    // Nothing after :quit runs.
    assert_eq!(stdout(&out), "array(9)\narray(10)\n");
    assert!(needs_more("a = (1,\n"));
    assert!(!needs_more("a = (1)\n"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn save_and_load() {
    let dir = temp_dir("save_and_load");
    let script = "\
a = arange(4) * 1.5
save(\"a.npy\", a)
save('b.npy', a[::2] + 1)
c = load(\"b.npy\"); c
load(\"missing.npy\")
";
    let out = repl(&dir, script);
    assert_eq!(out.status.code(), Some(1), "stderr: {}", stderr(&out));
    assert_eq!(stdout(&out), "array([1., 4.])\n");
    assert!(stderr(&out).contains("missing.npy"), "{}", stderr(&out));
    let a = npy::read(&dir.join("a.npy")).unwrap();
    assert_eq!(
        a,
        Array::from(ndarray::arr1(&[0.0, 1.5, 3.0, 4.5]).into_dyn())
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn plain_numjit_reads_a_script_from_stdin() {
    let dir = temp_dir("plain");
    let out = numjit_with(&dir, &[], "a = arange(3)\na + 1\n");
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert_eq!(stdout(&out), "array([1, 2, 3])\n");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn history_file_location() {
    let env = |pairs: Vec<(&'static str, &'static str)>| {
        move |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| OsString::from(v))
        }
    };
    assert_eq!(
        history_path(env(vec![("NUMJIT_HISTORY", "/tmp/h"), ("HOME", "/home/u")])),
        Some(PathBuf::from("/tmp/h"))
    );
    assert_eq!(
        history_path(env(vec![("XDG_DATA_HOME", "/data"), ("HOME", "/home/u")])),
        Some(PathBuf::from("/data/numjit/history"))
    );
    assert_eq!(
        history_path(env(vec![("HOME", "/home/u")])),
        Some(PathBuf::from("/home/u/.local/share/numjit/history"))
    );
}

/// The terminal path, through a pseudo-terminal made by util-linux's `script`: line editing,
/// a statement continued over two lines (at a `... ` prompt), Ctrl-D to leave, and the history file written
/// (directory created) where `NUMJIT_HISTORY` says.
#[cfg(target_os = "linux")]
#[test]
fn terminal_session_writes_history() {
    let have_script = Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_script {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    }
    let dir = temp_dir("terminal");
    let history = dir.join("data").join("history");
    let mut child = Command::new("script")
        .args(["-qec", env!("CARGO_BIN_EXE_numjit"), "/dev/null"])
        .env("NUMJIT_HISTORY", &history)
        .env("TERM", "dumb")
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script runs");
    let mut stdin = child.stdin.take().unwrap();
    // Keys as typed, with pauses so that the editor sees them one line at a time.
    std::thread::sleep(Duration::from_millis(1000));
    for keys in ["a = arange(3)\r", "b = (a +\r", "1) * 2\r", "b\r", "\x04"] {
        stdin.write_all(keys.as_bytes()).unwrap();
        stdin.flush().unwrap();
        std::thread::sleep(Duration::from_millis(300));
    }
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("the REPL did not exit on Ctrl-D");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let text = stdout(&out);
    assert!(text.contains("array([2, 4, 6])"), "{text}");
    // The continuation line was read at Python's `... ` prompt.
    assert!(text.contains("... 1) * 2"), "{text}");
    let saved = std::fs::read_to_string(&history).expect("the history file exists");
    for entry in ["a = arange(3)", "b = (a +\\n1) * 2", "b"] {
        assert!(
            saved.lines().any(|l| l == entry),
            "{entry:?} not in {saved:?}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Pieces random input lines are made of: everything the REPL understands (but `:threads N`,
/// which changes the process-wide pool other tests use, and `save`, which writes files).
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a"),
        Just("b"),
        Just("x"),
        Just("u"),
        Just("n"),
        Just("zeros("),
        Just("ones("),
        Just("full("),
        Just("arange("),
        Just("linspace("),
        Just("random("),
        Just("eye("),
        Just("load("),
        Just("sin("),
        Just("where("),
        Just("0"),
        Just("1"),
        Just("2"),
        Just("3"),
        Just("-1"),
        Just("2.5"),
        Just("1e300"),
        Just("99999999999"),
        Just("True"),
        Just("nan"),
        Just("+"),
        Just("-"),
        Just("*"),
        Just("**"),
        Just("/"),
        Just("//"),
        Just("%"),
        Just("=="),
        Just("<"),
        Just("&"),
        Just("~"),
        Just("("),
        Just(")"),
        Just("["),
        Just("]"),
        Just(":"),
        Just(","),
        Just("..."),
        Just("="),
        Just(";"),
        Just("\n"),
        Just("\\"),
        Just("#"),
        Just("."),
        Just("\""),
        Just("'f.npy'"),
        Just("seed="),
        Just("dtype="),
        Just("int64"),
        Just("k="),
        Just("shape"),
        Just("dtype"),
        Just(":vars"),
        Just(":del "),
        Just(":ast "),
        Just(":ir "),
        Just(":clif "),
        Just(":time "),
        Just(":bench "),
        Just("--n 5"),
        Just("--threads 1"),
        Just(":help"),
        Just(":quit"),
        Just(":"),
        Just("é"),
        Just("\u{0}"),
        Just(" "),
    ]
    .prop_map(str::to_string)
}

/// Statements close to valid ones, so that the fuzzing reaches constructors, slices and
/// commands past the parser.
fn statement() -> impl Strategy<Value = String> {
    let name = prop::sample::select(vec!["a", "b", "x", "u", "n", "new"]);
    let num = prop::sample::select(vec![
        "0", "1", "2", "3", "-1", "-7", "2.5", "n", "1e300", "True",
    ]);
    let ctor = prop::sample::select(vec![
        "zeros", "ones", "full", "arange", "linspace", "random", "eye", "load",
    ]);
    let kw = prop::sample::select(vec!["", "seed=", "dtype=", "num=", "endpoint=", "k=", "M="]);
    let arg = (kw, num.clone()).prop_map(|(k, v)| format!("{k}{v}"));
    let args = prop::collection::vec(arg, 0..4).prop_map(|a| a.join(", "));
    let slice = (num.clone(), num.clone(), prop::bool::ANY).prop_map(|(i, j, step)| {
        if step {
            format!("{i}:{j}:2")
        } else {
            format!("{i}:{j}")
        }
    });
    let op = prop::sample::select(vec!["+", "-", "*", "/", "//", "**", ">", "&"]);
    let expr = (name.clone(), op, name.clone(), slice.clone())
        .prop_map(|(a, op, b, s)| format!("{a} {op} {b}[{s}]"));
    prop_oneof![
        (name.clone(), ctor.clone(), args.clone()).prop_map(|(n, c, a)| format!("{n} = {c}({a})")),
        (ctor, args).prop_map(|(c, a)| format!("{c}({a}) * 2")),
        (name.clone(), slice.clone(), expr.clone()).prop_map(|(n, s, e)| format!("{n}[{s}] = {e}")),
        (name.clone(), expr.clone()).prop_map(|(n, e)| format!("{n} = {e}")),
        expr.clone(),
        (
            prop::sample::select(vec![":ast", ":ir", ":clif", ":time", ":del", ":vars"]),
            expr
        )
            .prop_map(|(c, e)| format!("{c} {e}")),
        (
            name,
            prop::sample::select(vec!["shape", "dtype", "ndim", "size", "nbytes", "T"])
        )
            .prop_map(|(n, a)| format!("{n}.{a}")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// No input panics the session; an input either succeeds or yields a rendered error, and
    /// the session stays usable afterwards.
    #[test]
    fn random_lines_never_panic(
        setup in prop::collection::vec(fragment(), 0..12),
        lines in prop::collection::vec(prop::collection::vec(fragment(), 0..16), 1..5),
        statements in prop::collection::vec(statement(), 0..8),
        noise in "\\PC{0,20}",
    ) {
        let mut s = Session::new()
            .with_budget(Duration::from_micros(200))
            .with_max_elements(1 << 16);
        let mut sink = Vec::new();
        let _ = s.handle("a = arange(6) * 1.0; b = ones(6); x = eye(3); u = zeros(6); n = 2", &mut sink);
        let _ = s.handle(&setup.concat(), &mut sink);
        for line in &lines {
            let line = line.join(" ");
            if let Err(msg) = s.handle(&line, &mut sink) {
                prop_assert!(msg.starts_with("error: "), "{msg}");
            }
        }
        for st in &statements {
            if let Err(msg) = s.handle(st, &mut sink) {
                prop_assert!(msg.starts_with("error: "), "{msg}");
            }
        }
        let _ = s.handle(&noise, &mut sink);
        sink.clear();
        let ok = s.handle("1 + 1", &mut sink);
        prop_assert_eq!(ok, Ok(Flow::Continue));
        prop_assert_eq!(String::from_utf8(sink).unwrap(), "array(2)\n");
    }
}

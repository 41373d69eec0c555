//! The `numjit` binary: `eval` over `.npy` files and number literals, `--help`, `--version`.

use crate::bin::{assert_usage_error, numjit, stderr, stdout, temp_dir};
use ndarray::{ArrayD, IxDyn};
use numjit::{npy, Array};
use std::path::Path;

fn f64_array(shape: &[usize], f: impl Fn(usize) -> f64) -> ArrayD<f64> {
    let n = shape.iter().product();
    ArrayD::from_shape_vec(IxDyn(shape), (0..n).map(f).collect()).unwrap()
}

#[test]
fn eval_writes_npy() {
    let dir = temp_dir("eval_writes_npy");
    // Dyadic values, so every operation is exact whatever order the engine uses.
    let a = f64_array(&[37, 29], |i| (i % 101) as f64 * 0.25 - 12.0);
    let b = f64_array(&[37, 29], |i| ((i * 7) % 53) as f64 * 0.5 - 3.0);
    npy::write(&dir.join("a.npy"), &Array::from(a.clone())).unwrap();
    npy::write(&dir.join("b.npy"), &Array::from(b.clone())).unwrap();

    let out = numjit(
        &dir,
        &[
            "eval",
            "a**2 + b**2 + 2*a*b",
            "a=a.npy",
            "b=b.npy",
            "-o",
            "c.npy",
        ],
    );
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert_eq!(stdout(&out), "");

    let c = npy::read(&dir.join("c.npy")).unwrap();
    let c = c.as_f64().expect("a float64 result");
    assert_eq!(c.shape(), &[37, 29]);
    let (a, b) = (a.as_slice().unwrap(), b.as_slice().unwrap());
    let expected: Vec<f64> = (0..a.len())
        .map(|i| a[i] * a[i] + b[i] * b[i] + 2.0 * a[i] * b[i])
        .collect();
    assert_eq!(c.iter().copied().collect::<Vec<f64>>(), expected);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn eval_prints_repr() {
    let dir = temp_dir("eval_prints_repr");
    let a = f64_array(&[3], |i| i as f64 + 1.0);
    npy::write(&dir.join("a.npy"), &Array::from(a)).unwrap();

    let out = numjit(&dir, &["eval", "a * 2", "a=a.npy"]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert_eq!(stdout(&out), "array([2., 4., 6.])\n");

    let out = numjit(&dir, &["eval", "a > 1.5", "a=a.npy"]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert_eq!(stdout(&out), "array([False,  True,  True])\n");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn eval_with_scalar_arguments() {
    let dir = temp_dir("eval_with_scalar_arguments");
    let a = f64_array(&[4], |i| i as f64);
    npy::write(&dir.join("a.npy"), &Array::from(a)).unwrap();

    // A float64 scalar and an int64 scalar; names EXPR does not use are ignored.
    let out = numjit(
        &dir,
        &["eval", "a * k + n", "a=a.npy", "k=2.5", "n=3", "unused=7"],
    );
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert_eq!(stdout(&out), "array([ 3. ,  5.5,  8. , 10.5])\n");

    // Scalars can be written to a file too; the options may come first.
    let out = numjit(&dir, &["eval", "-o", "k.npy", "a + k", "k=1e-3", "a=a.npy"]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let r = npy::read(&dir.join("k.npy")).unwrap();
    let expected: Vec<f64> = (0..4).map(|i| i as f64 + 1e-3).collect();
    assert_eq!(
        r.as_f64().unwrap().iter().copied().collect::<Vec<_>>(),
        expected
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn engine_error_shows_caret() {
    let dir = temp_dir("engine_error_shows_caret");
    let a = f64_array(&[3], |i| i as f64);
    npy::write(&dir.join("a.npy"), &Array::from(a)).unwrap();

    let out = numjit(&dir, &["eval", "a + nope", "a=a.npy"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    let err = stderr(&out);
    assert!(err.contains("nope"), "{err}");
    // The caret line points at `nope` on the line showing the expression.
    let lines: Vec<&str> = err.lines().collect();
    let caret = lines
        .iter()
        .position(|l| l.trim_start().starts_with('^'))
        .unwrap_or_else(|| panic!("no caret in {err:?}"));
    assert!(caret > 0, "{err}");
    let source_line = lines[caret - 1];
    let column = lines[caret].find('^').unwrap();
    assert_eq!(&source_line[column..column + 4], "nope", "{err}");
    assert!(!dir.join("c.npy").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn threads_give_identical_bytes() {
    let dir = temp_dir("threads_give_identical_bytes");
    let x = f64_array(&[300_001], |i| (i as f64 * 0.001).sin() * 100.0);
    npy::write(&dir.join("x.npy"), &Array::from(x)).unwrap();

    let expr = "x**3 / 7 - 2.5*x + (x > 50) * x";
    let one = numjit(
        &dir,
        &["eval", expr, "x=x.npy", "--threads", "1", "-o", "one.npy"],
    );
    assert!(one.status.success(), "stderr: {}", stderr(&one));
    let two = numjit(
        &dir,
        &["eval", expr, "x=x.npy", "--threads", "2", "-o", "two.npy"],
    );
    assert!(two.status.success(), "stderr: {}", stderr(&two));
    let (one, two) = (
        std::fs::read(dir.join("one.npy")).unwrap(),
        std::fs::read(dir.join("two.npy")).unwrap(),
    );
    assert_eq!(npy::read_bytes(&one).unwrap().shape(), &[300_001]);
    assert!(one == two, "--threads 1 and --threads 2 differ");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_input_files() {
    let dir = temp_dir("bad_input_files");
    let out = numjit(&dir, &["eval", "a + 1", "a=missing.npy"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("missing.npy"), "{}", stderr(&out));

    let int32 = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/npy/i4.npy");
    let arg = format!("a={}", int32.display());
    let out = numjit(&dir, &["eval", "a + 1", &arg]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("'<i4' (int32)") && err.contains("float64"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn usage_errors() {
    let dir = temp_dir("usage_errors");
    for args in [
        &[][..],
        &["frobnicate"],
        &["eval"],
        &["eval", "a", "a"],
        &["eval", "a", "a=1", "--threads"],
        &["eval", "a", "a=1", "--threads", "zero"],
        &["eval", "a", "a=1", "--bogus"],
        &["eval", "a", "1a=1"],
    ] {
        assert_usage_error(&dir, args);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn help_and_version() {
    let dir = temp_dir("help_and_version");
    let out = numjit(&dir, &["--help"]);
    assert!(out.status.success());
    let help = stdout(&out);
    assert!(help.contains("numjit eval EXPR"), "{help}");
    assert!(help.contains("-o"), "{help}");
    assert!(help.contains("--threads"), "{help}");
    assert!(help.contains("Examples:"), "{help}");

    let out = numjit(&dir, &["--version"]);
    assert!(out.status.success());
    assert_eq!(
        stdout(&out),
        format!("numjit {}\n", env!("CARGO_PKG_VERSION"))
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn eval_runs_scripts_and_saves_the_updated_target() {
    let dir = temp_dir("eval_runs_scripts");
    let dens = f64_array(&[6, 7], |i| ((i * 13) % 17) as f64 * 0.5);
    npy::write(&dir.join("dens.npy"), &Array::from(dens.clone())).unwrap();
    npy::write(
        &dir.join("lap.npy"),
        &Array::from(f64_array(&[6, 7], |_| -1.0)),
    )
    .unwrap();
    let script = "lap[1:-1,1:-1] = dens[2:,1:-1] + dens[:-2,1:-1] + dens[1:-1,2:] + dens[1:-1,:-2] - 4*dens[1:-1,1:-1]";
    let out = numjit(
        &dir,
        &[
            "eval",
            script,
            "lap=lap.npy",
            "dens=dens.npy",
            "-o",
            "out.npy",
        ],
    );
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let got = npy::read(&dir.join("out.npy")).unwrap();
    let got = got.as_f64().unwrap();
    assert_eq!(got.shape(), &[6, 7]);
    for i in 0..6 {
        for j in 0..7 {
            let want = if (1..5).contains(&i) && (1..6).contains(&j) {
                dens[[i + 1, j]] + dens[[i - 1, j]] + dens[[i, j + 1]] + dens[[i, j - 1]]
                    - 4.0 * dens[[i, j]]
            } else {
                -1.0
            };
            assert_eq!(got[[i, j]], want, "at {i},{j}");
        }
    }
    // Overlapping self-assignment reads the old values; the input file is not modified.
    npy::write(
        &dir.join("u.npy"),
        &Array::from(f64_array(&[6], |i| i as f64)),
    )
    .unwrap();
    let out = numjit(&dir, &["eval", "u[1:] = u[:-1] * 2", "u=u.npy"]);
    assert_eq!(stdout(&out), "array([0., 0., 2., 4., 6., 8.])\n");
    let u = npy::read(&dir.join("u.npy")).unwrap();
    assert_eq!(
        u.as_f64().unwrap().iter().copied().collect::<Vec<_>>(),
        vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    );
    // A new name's array, and an error in a later statement (exit status 1, caret).
    let out = numjit(&dir, &["eval", "v = u * 2; v[0] = -1", "u=u.npy"]);
    assert_eq!(stdout(&out), "array([-1.,  2.,  4.,  6.,  8., 10.])\n");
    let out = numjit(&dir, &["eval", "u[0] = 1; zz", "u=u.npy"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: unknown name `zz`\n  u[0] = 1; zz\n            ^^\n"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

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

    let uint64 = fixture("u8.npy");
    let arg = format!("a={}", uint64.display());
    let out = numjit(&dir, &["eval", "a + 1", &arg]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("'<u8' (uint64)") && err.contains("2**63-1") && err.contains("complex128"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../numjit/tests/data/npy")
        .join(name)
}

/// Runs `numjit eval ARGS` in the fixture directory and returns stdout, asserting success.
fn eval_ok(args: &[&str]) -> String {
    let dir = fixture("");
    let mut all = vec!["eval"];
    all.extend_from_slice(args);
    let out = numjit(&dir, &all);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

/// Complex and typed scalars on the command line; each printed the way NumPy prints the same
/// scalar as a 0-d array.
#[test]
fn eval_binds_complex_and_typed_scalars() {
    for (args, want) in [
        (&["k", "k=int32:3"][..], "array(3, dtype=int32)"),
        (
            &["k", "k=int32:-2147483648"],
            "array(-2147483648, dtype=int32)",
        ),
        (&["k", "k=float32:2.5"], "array(2.5, dtype=float32)"),
        (&["k", "k=float32:0.1"], "array(0.1, dtype=float32)"),
        (&["k", "k=float64:3"], "array(3.)"),
        (&["k", "k=int64:3"], "array(3)"),
        (&["k", "k=bool:True"], "array(True)"),
        (&["z", "z=1-2j"], "array(1.-2.j)"),
        (&["z", "z=(1-2j)"], "array(1.-2.j)"),
        (&["z", "z=2j"], "array(0.+2.j)"),
        (&["z", "z=-1.5e3J"], "array(0.-1500.j)"),
        (&["z", "z=inf+nanj"], "array(inf+nanj)"),
        (&["z", "z=complex128:2"], "array(2.+0.j)"),
        (&["z * w", "z=1+2j", "w=2"], "array(2.+4.j)"),
        (
            &["a + k", "a=i4.npy", "k=int32:1"],
            "array([2, 3, 4], dtype=int32)",
        ),
        (
            &["x * k", "x=f4.npy", "k=float32:0.5"],
            "array([0.5, 1. ], dtype=float32)",
        ),
    ] {
        assert_eq!(eval_ok(args), format!("{want}\n"), "{args:?}");
    }
}

#[test]
fn eval_refuses_bad_typed_scalars() {
    let dir = temp_dir("eval_refuses_bad_typed_scalars");
    for (arg, why) in [
        ("k=int32:3000000000", "out of bounds for int32"),
        ("k=int32:2.5", "int32 needs an integer"),
        ("k=float32:1+2j", "float32 needs a real number"),
        ("k=bool:1", "bool needs True or False"),
    ] {
        let out = numjit(&dir, &["eval", "k", arg]);
        assert_eq!(out.status.code(), Some(1), "{arg}");
        assert_eq!(stdout(&out), "", "{arg}");
        let err = stderr(&out);
        assert!(
            err.starts_with("error: ") && err.contains(why),
            "{arg}: {err}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Files of every dtype print as NumPy prints them (the expected text is NumPy 2.4's repr of the
/// same file after NumPy's own widening), and `-o` writes them back as NumPy would.
#[test]
fn eval_reads_and_writes_every_dtype() {
    for (file, want) in [
        (
            "i4_1d.npy",
            "array([          0,           1,          -2,  2147483647, -2147483648],\n      dtype=int32)",
        ),
        (
            "f4_1d.npy",
            "array([ 0.0000000e+00, -1.5000000e+00,  1.0000000e-01,  3.4028235e+38,\n        1.4012985e-45,  1.1754944e-38,            inf,           -inf,\n                  nan, -0.0000000e+00], dtype=float32)",
        ),
        (
            "c16_1d.npy",
            "array([ 1. +2.e+000j, -0.5-1.e+300j,  inf    +nanj,  0. -0.e+000j])",
        ),
        ("u1_range.npy", "array([  0,   1, 128, 255], dtype=int32)"),
        (
            "i2_big_fortran.npy",
            "array([[-3, -2],\n       [-1,  0],\n       [ 1,  2]], dtype=int32)",
        ),
        (
            "c8.npy",
            "array([ 1. +2.00000000e+00j, -0.1+3.39999995e+38j,  nan           +infj,\n       -0. -0.00000000e+00j])",
        ),
    ] {
        assert_eq!(eval_ok(&["a", &format!("a={file}")]), format!("{want}\n"), "{file}");
    }
    let dir = temp_dir("eval_reads_and_writes_every_dtype");
    for (file, numpy_written) in [
        ("i4_1d.npy", "i4_1d.npy"),
        ("f4_1d.npy", "f4_1d.npy"),
        ("c16_1d.npy", "c16_1d.npy"),
        ("c16_0d.npy", "c16_0d.npy"),
        ("i4_empty.npy", "i4_empty.npy"),
        ("f2.npy", "f2_want.npy"),
        ("u4.npy", "u4_want.npy"),
    ] {
        let arg = format!("a={}", fixture(file).display());
        let out = numjit(&dir, &["eval", "a", &arg, "-o", "out.npy"]);
        assert!(out.status.success(), "{file}: {}", stderr(&out));
        assert!(
            std::fs::read(dir.join("out.npy")).unwrap()
                == std::fs::read(fixture(numpy_written)).unwrap(),
            "{file}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `.npy` files of byte strings are inputs to compare.
#[test]
fn eval_compares_byte_strings() {
    assert_eq!(
        eval_ok(&["a == b'de'", "a=S3.npy"]),
        "array([False,  True])\n"
    );
    let dir = temp_dir("eval_compares_byte_strings");
    let arg = format!("a={}", fixture("S3.npy").display());
    let out = numjit(&dir, &["eval", "a", &arg]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with("error: "), "{}", stderr(&out));
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
    for dtype in [
        "bool",
        "int32",
        "int64",
        "float32",
        "float64",
        "complex128",
        "int32:3",
        "1+2j",
        "float16 to float32",
    ] {
        assert!(help.contains(dtype), "{dtype} not in {help}");
    }

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

/// .npy files whose headers claim huge arrays (issue 14): a clean error and status 1 under a
/// 6 GB address-space limit, not an abort, whether the file holds the data (sparse files) or
/// not. (Before: 1.5 GiB of uint8, 6 GiB once widened to int32, aborted the command.)
#[test]
fn eval_refuses_huge_npy_files_cleanly() {
    if !cfg!(target_os = "linux") {
        return;
    }
    let dir = temp_dir("huge_npy");
    let write = |name: &str, descr: &str, len: u64, data_len: u64| {
        let mut header =
            format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': ({len},), }}");
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
        bytes.extend_from_slice(header.as_bytes());
        let file = std::fs::File::create(dir.join(name)).unwrap();
        std::io::Write::write_all(&mut &file, &bytes).unwrap();
        file.set_len(bytes.len() as u64 + data_len).unwrap();
    };
    write("sparse.npy", "|b1", 1 << 40, 1 << 40);
    write("short.npy", "<f8", 1 << 40, 16);
    write("u1.npy", "|u1", 3 << 29, 3 << 29);
    for (arg, want) in [
        ("a=sparse.npy", "sparse.npy: out of memory: unable to allocate 1.0 TiB for the array"),
        ("a=u1.npy", "u1.npy: out of memory: unable to allocate 6.0 GiB for the array"),
        (
            "a=short.npy",
            "short.npy: truncated .npy file: the data needs 8796093022208 bytes but only 16 are present",
        ),
    ] {
        for expr in ["a + 1", "b = a * 2\nb"] {
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg("ulimit -v 6000000; exec \"$0\" \"$@\"")
                .arg(env!("CARGO_BIN_EXE_numjit"))
                .args(["eval", expr, arg])
                .current_dir(&dir)
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(1), "{arg}: {out:?}");
            assert!(stderr(&out).contains(want), "{arg}: {}", stderr(&out));
            assert!(stdout(&out).is_empty());
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

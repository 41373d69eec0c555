//! numexpr's own test matrix, answered by NumPy, replayed through the `numjit eval` command.
//!
//! The cases are the numexpr sections (MISC, OPERATIONS, COMPARISONS, 1_ARG_FUNCS, 2_ARG_FUNCS,
//! POW_TESTS) of `tests/data/numpy_cases/cases.tsv` (see `scripts/make_numpy_cases.py` and
//! `numpy_oracle.rs`, which replays every case through the API), over every dtype set: bool,
//! int32, int64, float32, float64, complex128 (numexpr's: `a` float64, the rest complex), and
//! the mixes, arrays and both scalar variants. Our EXTRA section is not replayed here.
//!
//! Each distinct input array is written once as a `.npy` file (by a small writer of this module,
//! format 1.0, independent of `numjit::npy`); a scalar binding becomes a 0-d `.npy` file of its
//! dtype (a number on the command line would be int64 or float64). Each case runs
//! `numjit eval EXPR NAME=FILE... -o OUT.npy`; the result is read back with `numjit::npy` and
//! compared with NumPy's answer under the same tolerance rules as `numpy_oracle.rs`. A case NumPy
//! refuses must exit with status 1, print nothing on stdout, and print an `error:` message with
//! a caret line on stderr. Data-dependent refusals (partial cases) may be refused the same way or
//! answered with NumPy's values.
//!
//! Every case runs, one process (and one kernel compile) each, spread over the cores: about
//! 2,200 processes in ~5 s on 2 cores in a debug test build, so no sampling is needed.

use crate::bin::temp_dir;
use crate::numpy_cases::{check_value, load, one_line, Binding, Case, Stats, Want};
use numjit::{npy, Array, Complex64};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// The bytes of a `.npy` file (format 1.0, C order, little-endian) holding `a`.
fn npy_bytes(a: &Array) -> Vec<u8> {
    fn encode<T>(
        descr: &str,
        shape: &[usize],
        values: impl Iterator<Item = T>,
        put: impl Fn(T, &mut Vec<u8>),
    ) -> Vec<u8> {
        let shape = match shape {
            [] => "()".to_string(),
            [n] => format!("({n},)"),
            s => format!(
                "({})",
                s.iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let mut header =
            format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
        // Magic (6) + version (2) + length (2) + header, padded with spaces and ended by a
        // newline to a multiple of 64 bytes, as NumPy writes it.
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        for v in values {
            put(v, &mut out);
        }
        out
    }
    let shape = a.shape();
    match a {
        Array::Bool(x) => encode("|b1", shape, x.iter(), |v, o| o.push(u8::from(*v))),
        Array::Int32(x) => encode("<i4", shape, x.iter(), |v, o| {
            o.extend_from_slice(&v.to_le_bytes())
        }),
        Array::Int64(x) => encode("<i8", shape, x.iter(), |v, o| {
            o.extend_from_slice(&v.to_le_bytes())
        }),
        Array::Float32(x) => encode("<f4", shape, x.iter(), |v, o| {
            o.extend_from_slice(&v.to_le_bytes())
        }),
        Array::Float64(x) => encode("<f8", shape, x.iter(), |v, o| {
            o.extend_from_slice(&v.to_le_bytes())
        }),
        Array::Complex128(x) => encode("<c16", shape, x.iter(), |v: &Complex64, o| {
            o.extend_from_slice(&v.re.to_le_bytes());
            o.extend_from_slice(&v.im.to_le_bytes());
        }),
    }
}

#[test]
fn npy_writer_matches_numpy() {
    // The header NumPy 2 writes for np.save('x.npy', np.arange(3, dtype='<i4')).
    let a =
        Array::Int32(ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[3]), vec![0, 1, 2]).unwrap());
    let b = npy_bytes(&a);
    let header = "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }";
    assert_eq!(&b[..8], b"\x93NUMPY\x01\x00");
    assert_eq!(u16::from_le_bytes([b[8], b[9]]) as usize + 10, 128);
    assert_eq!(&b[10..10 + header.len()], header.as_bytes());
    assert_eq!(b[127], b'\n');
    assert_eq!(&b[128..], &[0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0]);
}

/// Whether `stderr` shows a caret line (`   ^^^`) under the expression.
fn has_caret_line(stderr: &str) -> bool {
    stderr.lines().any(|l| {
        let t = l.trim();
        !t.is_empty() && t.chars().all(|c| c == '^') && l.starts_with(' ')
    })
}

/// Runs one case through the binary in `dir`; on failure returns the report lines.
fn run_case(
    case: &Case,
    dir: &Path,
    files: &HashMap<String, PathBuf>,
    inputs: &HashMap<String, Array>,
    stats: &Mutex<Stats>,
) -> Result<(), String> {
    let out_path = dir.join(format!("out-{}.npy", case.id));
    let mut args = vec!["eval".to_string(), case.expr.clone()];
    for (name, b) in &case.bindings {
        let file = match b {
            Binding::Input(k) => &files[k],
            b => &files[&scalar_key(b)],
        };
        args.push(format!("{name}={}", file.display()));
    }
    args.push("-o".to_string());
    args.push(out_path.display().to_string());
    let out = Command::new(env!("CARGO_BIN_EXE_numjit"))
        .args(&args)
        .current_dir(dir)
        .env("NUMJIT_NUM_THREADS", "1")
        .output()
        .map_err(|e| format!("{}\n    cannot run numjit: {e}", case.label()))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let command = format!(
        "numjit {}",
        args.iter()
            .map(|a| if a.contains(' ') {
                format!("'{a}'")
            } else {
                a.clone()
            })
            .collect::<Vec<_>>()
            .join(" ")
    );
    if out.status.success() {
        let got = npy::read(&out_path).map_err(|e| {
            format!(
                "{}\n    `{command}` succeeded but its output cannot be read: {e}",
                case.label()
            )
        })?;
        let _ = std::fs::remove_file(&out_path);
        if let Want::Err(np) = &case.want {
            return Err(format!(
                "{}\n    NumPy refuses ({np}) but `{command}` wrote {} {:?}",
                case.label(),
                got.dtype(),
                got.shape()
            ));
        }
        let mut s = stats.lock().unwrap();
        return check_value(case, &got, inputs, &mut s)
            .map_err(|m| format!("{m}\n    ({command})"));
    }
    // Refused: a clear error, whatever NumPy says.
    let refusal_ok = out.status.code() == Some(1)
        && stdout.is_empty()
        && stderr.starts_with("error:")
        && has_caret_line(&stderr);
    let mut s = stats.lock().unwrap();
    match &case.want {
        Want::Err(_) | Want::Ok { partial: true, .. } if refusal_ok => {
            if matches!(case.want, Want::Err(_)) {
                s.refused += 1;
            } else {
                s.partial_err += 1;
            }
            Ok(())
        }
        Want::Err(np) => Err(format!(
            "{}\n    NumPy refuses ({np}); `{command}` fails (status {:?}) but not with an `error:` \
             message and a caret line: stdout {:?}, stderr {:?}",
            case.label(),
            out.status.code(),
            stdout,
            stderr
        )),
        Want::Ok { .. } => Err(format!(
            "{}\n    NumPy gives a result but `{command}` fails (status {:?}): {}",
            case.label(),
            out.status.code(),
            one_line(stderr.trim_end())
        )),
    }
}

/// The file key of a scalar binding (its dtype and value).
fn scalar_key(b: &Binding) -> String {
    format!("{b:?}")
}

#[test]
fn numexpr_matrix_through_numjit_eval() {
    let start = Instant::now();
    let (inputs, all) = load();
    let cases: Vec<&Case> = all.iter().filter(|c| c.is_numexpr()).collect();
    assert!(cases.len() > 2000, "only {} numexpr cases", cases.len());
    let dir = temp_dir("numexpr_cli");

    // Every input and scalar the cases use, written once.
    let mut files: HashMap<String, PathBuf> = HashMap::new();
    for c in &cases {
        for (_, b) in &c.bindings {
            let (key, array) = match b {
                Binding::Input(k) => (k.clone(), None),
                b => (scalar_key(b), b.scalar_array()),
            };
            if files.contains_key(&key) {
                continue;
            }
            let path = dir.join(format!("in-{}.npy", files.len()));
            let array = array.as_ref().unwrap_or_else(|| &inputs[&key]);
            std::fs::write(&path, npy_bytes(array)).unwrap();
            files.insert(key, path);
        }
    }

    let stats = Mutex::new(Stats::default());
    let failures = Mutex::new(Vec::new());
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 8);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(case) = cases.get(k) else { break };
                {
                    let mut st = stats.lock().unwrap();
                    *st.per_set
                        .entry((case.section.clone(), case.dtypes.clone()))
                        .or_default() += 1;
                }
                if let Err(msg) = run_case(case, &dir, &files, &inputs, &stats) {
                    failures.lock().unwrap().push((k, msg));
                }
            });
        }
    });
    let stats = stats.into_inner().unwrap();
    let mut failures = failures.into_inner().unwrap();
    failures.sort();
    println!(
        "{}\n({} processes on {workers} workers in {:.1} s)",
        stats.summary(
            "numexpr matrix via `numjit eval`",
            cases.len(),
            failures.len()
        ),
        cases.len(),
        start.elapsed().as_secs_f64()
    );
    if failures.is_empty() {
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    let mut report = String::new();
    for (_, f) in &failures {
        report.push_str(f);
        report.push('\n');
    }
    panic!(
        "{} of {} numexpr cases fail through `numjit eval` (inputs kept in {}):\n{report}{} of {} \
         numexpr cases fail through `numjit eval` (listed above)",
        failures.len(),
        cases.len(),
        dir.display(),
        failures.len(),
        cases.len()
    );
}

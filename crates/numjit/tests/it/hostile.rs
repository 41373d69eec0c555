//! Hostile inputs (issue 14): huge shapes, huge and deep expressions, huge scripts, long
//! names, odd Unicode, many thread counts. Each case runs in a child process (this test
//! binary again, running only `hostile::child`) under an address-space limit (`ulimit -v`,
//! 6 GB as in the issue) and a timeout, so that an abort, a hang or a runaway allocation is
//! a test failure rather than the end of the test run. A case must end in the error it
//! names (or the right answer), and the child must then still compute.
//!
//! `cases_fail_cleanly` runs every case, the issue's 100,000-statement script included (a few
//! seconds in the debug build).

use ndarray::{Array2, ArrayD, IxDyn};
use numjit::{ErrorKind, Schedule};
use std::time::{Duration, Instant};

/// The child's address-space limit, in KiB (`ulimit -v`), as in the issue.
const LIMIT_KB: u64 = 6_000_000;

/// A balanced sum of `terms` (`(t0+t1)+(t2+t3)...`), so that nesting stays shallow.
fn balanced(terms: Vec<String>) -> String {
    let mut terms = terms;
    while terms.len() > 1 {
        terms = terms
            .chunks(2)
            .map(|c| match c {
                [x, y] => format!("({x}+{y})"),
                [x] => x.clone(),
                _ => unreachable!(),
            })
            .collect();
    }
    terms.pop().unwrap_or_default()
}

fn kind_is(
    r: Result<impl std::fmt::Debug, numjit::Error>,
    want: ErrorKind,
) -> Result<String, String> {
    match r {
        Err(e) if e.kind() == want => {
            // The rendered error must work too (caret display over odd text).
            let text = e.to_string();
            Ok(text.chars().take(160).collect())
        }
        other => Err(format!("want {want:?}, got {other:?}")),
    }
}

fn within(start: Instant, secs: u64) -> Result<(), String> {
    if start.elapsed() > Duration::from_secs(secs) {
        Err(format!("took {:?} (limit {secs} s)", start.elapsed()))
    } else {
        Ok(())
    }
}

/// Threads of this process (Linux).
fn os_threads() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Threads:"))
                .and_then(|l| l[8..].trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Runs hostile case `name` in this process; `Ok(detail)` when it ended as it must.
fn run_case(name: &str) -> Result<String, String> {
    let t = Instant::now();
    let big = |m: usize, n: usize| (m, n);
    match name {
        "bool-2^40" | "bool-2^62" | "interpret-2^34" | "float64-16GiB" => {
            let (m, n) = match name {
                "bool-2^40" => big(1 << 20, 1 << 20),
                "bool-2^62" => big(1 << 31, 1 << 31),
                "interpret-2^34" => big(1 << 17, 1 << 17),
                _ => big(1 << 16, 1 << 15),
            };
            let one_b = Array2::<bool>::from_elem((1, 1), true);
            let one_f = Array2::<f64>::from_elem((1, 1), 1.5);
            let r = if name.starts_with("float64") {
                let p = one_f.broadcast((m, 1)).unwrap();
                let q = one_f.broadcast((1, n)).unwrap();
                numjit::eval("p + q", numjit::vars! {p, q})
            } else {
                let p = one_b.broadcast((m, 1)).unwrap();
                let q = one_b.broadcast((1, n)).unwrap();
                if name.starts_with("interpret") {
                    numjit::interpret("p & q", numjit::vars! {p, q})
                } else {
                    numjit::eval("p & q", numjit::vars! {p, q})
                }
            };
            let d = kind_is(r, ErrorKind::OutOfMemory)?;
            within(t, 10)?;
            Ok(d)
        }
        "shape-overflow" => {
            // 2^40 × 2^40 elements: more than a usize counts.
            let one = Array2::<f64>::from_elem((1, 1), 1.0);
            let p = one.broadcast((1 << 40, 1)).unwrap();
            let q = one.broadcast((1, 1 << 40)).unwrap();
            let d = kind_is(
                numjit::eval("p * q", numjit::vars! {p, q}),
                ErrorKind::Limit,
            )?;
            kind_is(
                numjit::interpret("p * q", numjit::vars! {p, q}),
                ErrorKind::Limit,
            )?;
            Ok(d)
        }
        "empty-axis-sum" => {
            // NumPy: MemoryError at once (the result has 2^40 elements).
            let z = Array2::<f64>::zeros((0, 1));
            let m = z.broadcast((0, 1 << 40)).unwrap();
            let d = kind_is(
                numjit::eval("sum(m, axis=0)", numjit::vars! {m}),
                ErrorKind::OutOfMemory,
            )?;
            kind_is(
                numjit::interpret("sum(m, axis=0) + 1", numjit::vars! {m}),
                ErrorKind::OutOfMemory,
            )?;
            within(t, 10)?;
            Ok(d)
        }
        "broadcast-reduction" => {
            // A reduction of a broadcast view that stands for 2^40 elements: its copy is
            // refused, not attempted.
            let one = Array2::<f64>::from_elem((1, 1), 2.0);
            let m = one.broadcast((1 << 20, 1 << 20)).unwrap();
            // (Along one axis, `max(m, axis=1)`, it is 2^40 elements of real work, as in
            // NumPy, not a failure.)
            kind_is(
                numjit::eval("sum(m)", numjit::vars! {m}),
                ErrorKind::OutOfMemory,
            )?;
            let e = kind_is(
                numjit::eval("min(m)", numjit::vars! {m}),
                ErrorKind::OutOfMemory,
            )?;
            within(t, 10)?;
            Ok(e)
        }
        "balanced-16k" | "sin-2048" | "inputs-3000" => {
            let a = vec![0.5f64; 8];
            let (expr, data): (String, Vec<Vec<f64>>) = match name {
                "balanced-16k" => (
                    balanced((0..16_384).map(|k| format!("a*{k}.5")).collect()),
                    vec![],
                ),
                "sin-2048" => (
                    balanced((0..2048).map(|k| format!("sin(a*{k})")).collect()),
                    vec![],
                ),
                _ => (
                    balanced((0..3000).map(|k| format!("x{k}")).collect()),
                    (0..3000).map(|k| vec![k as f64; 8]).collect(),
                ),
            };
            let names: Vec<String> = (0..data.len()).map(|k| format!("x{k}")).collect();
            let mut vars = numjit::vars! {a};
            for (n, d) in names.iter().zip(&data) {
                vars = vars.bind(n, d);
            }
            let d = kind_is(numjit::eval(&expr, vars), ErrorKind::Limit)?;
            within(t, 10)?;
            Ok(d)
        }
        "largest-allowed" => {
            // Just under the limits: compiles, and the answer is right.
            let a = vec![0.5f64; 8];
            let terms = (1..=44)
                .map(|k| format!("sin(a*{k})"))
                .chain((1..=44).map(|k| format!("arctan2(a*{k}, a+1)")))
                .collect();
            let expr = balanced(terms);
            let r = numjit::eval(&expr, numjit::vars! {a}).map_err(|e| e.to_string())?;
            let want: f64 = balanced_sum(
                (1..=44)
                    .map(|k| (0.5 * k as f64).sin() + (0.5 * k as f64).atan2(1.5))
                    .collect(),
            );
            let got = r.as_f64().unwrap()[[0]];
            if (got - want).abs() > 1e-12 * want.abs().max(1.0) {
                return Err(format!("{got} != {want}"));
            }
            within(t, 30)?;
            Ok(format!("{:?}", t.elapsed()))
        }
        "suggest-20k" => {
            let a = vec![1.0f64];
            let long = "q".repeat(20_000);
            let names: Vec<String> = (0..2000)
                .map(|k| format!("{}{k}", "q".repeat(19_990)))
                .collect();
            let mut vars = numjit::vars! {a};
            for n in &names {
                vars = vars.bind(n, 1.0);
            }
            let r = numjit::eval(&format!("a + {long}"), vars);
            let d = kind_is(r, ErrorKind::UnknownName)?;
            if d.contains("did you mean") {
                return Err(d);
            }
            within(t, 5)?;
            Ok(d)
        }
        "deep-nesting" => {
            let a = vec![1.0f64];
            for expr in [
                format!("{}a{}", "(".repeat(1_000_000), ")".repeat(1_000_000)),
                format!("{}a", "-".repeat(1_000_000)),
                format!("{}a{}", "sin(".repeat(100_000), ")".repeat(100_000)),
                format!("a{}", "[0]".repeat(100_000)),
                format!("{}1{}", "a[".repeat(100_000), "]".repeat(100_000)),
            ] {
                kind_is(numjit::eval(&expr, numjit::vars! {a}), ErrorKind::Limit)?;
            }
            within(t, 20)?;
            Ok("all refused".into())
        }
        "huge-text" => {
            // Over MAX_SOURCE (8 MiB): refused before lexing, for expressions and scripts.
            let a = vec![1.0f64];
            let text = "a+".repeat(5 << 20) + "a";
            kind_is(numjit::eval(&text, numjit::vars! {a}), ErrorKind::Limit)?;
            let script = "x = a\n".repeat(2 << 20);
            let d = kind_is(
                numjit::execute(&script, numjit::vars! {a}),
                ErrorKind::Limit,
            )?;
            within(t, 10)?;
            Ok(d)
        }
        "long-names" => {
            let a = vec![1.0f64];
            let name = "x".repeat(1 << 20);
            kind_is(
                numjit::eval(&name, numjit::vars! {a}),
                ErrorKind::UnknownName,
            )?;
            let r = numjit::eval(&name, numjit::Vars::new().bind(&name, &a))
                .map_err(|e| e.to_string())?;
            if r.as_f64().unwrap()[[0]] != 1.0 {
                return Err("wrong value".into());
            }
            within(t, 10)?;
            Ok("ok".into())
        }
        "odd-unicode" => {
            let a = vec![1.0f64, 2.0];
            let mut n = 0;
            for expr in [
                "a + é",
                "a\u{200b}+ 1",
                "𝑎 + 1",
                "a + \u{202e}b",
                "a\0",
                "\u{feff}a",
                "a +\r\n b",
                "a + 'ß'",
                "a + b'\u{ff}'",
                "a[\u{0660}]",
                "ａ + 1",
                "a + \u{1F600}",
                "\u{0301}",
                "sin(a)\u{0301}",
                "a # comment",
                "a\\\n+1",
                "\"a\"",
                "a[1:\u{2212}1]",
                "",
                "   ",
                "a +",
                "a + 1e999999",
                "a + 0x10",
                "a + 1_000",
                "a + 1j1",
            ] {
                // Any outcome but a panic; errors must render.
                match numjit::eval(expr, numjit::vars! {a}) {
                    Ok(_) => {}
                    Err(e) => {
                        let _ = e.to_string();
                        n += 1;
                    }
                }
                let _ = numjit::execute(expr, numjit::vars! {a}).map_err(|e| e.to_string());
            }
            Ok(format!("{n} refused"))
        }
        "huge-script" => {
            // The issue's script: `x0 = 0`, `x1 = 1`, ... cycling over 50 names, 100,000
            // statements. Memory grows linearly (one shared text); time too: a statement
            // folded to a constant is a fill (no kernel compiled per constant), and a
            // statement puts in scope only the script arrays it names (before issue 14's
            // fix: 13.5 s in the release build, with all 50 arrays per statement).
            let n: usize = 100_000;
            let s: String = (0..n).map(|k| format!("x{} = {k}\n", k % 50)).collect();
            let out = numjit::execute(&s, numjit::Vars::new()).map_err(|e| e.to_string())?;
            // Each name holds the last value the script gave it.
            for j in 0..50 {
                let x = out.get(&format!("x{j}")).ok_or("a name is missing")?;
                if x.as_i64().map(|x| x[[]]) != Some((n - 50 + j) as i64) {
                    return Err(format!("x{j} is {x:?}"));
                }
            }
            // An error at the very end of a huge script is still found before any statement
            // runs.
            let bad = format!("{s}y = zz + 1\n");
            kind_is(
                numjit::execute(&bad, numjit::Vars::new()),
                ErrorKind::UnknownName,
            )?;
            // About 4 s in the debug build on the 2-core development machine.
            within(t, 40)?;
            Ok(format!("{n} statements in {:?}", t.elapsed()))
        }
        "npy-huge" => {
            // .npy files whose headers claim huge arrays (issue 14): each is a clean error
            // before anything that size is allocated, under the memory limit.
            use numjit::npy::{self, NpyErrorKind};
            let dir =
                std::env::temp_dir().join(format!("numjit-hostile-npy-{}", std::process::id()));
            std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
            let cases: [(&str, &str, u64, &str); 5] = [
                // 2^40 bools in a sparse file of 1 TiB: the file holds them, memory does not.
                (
                    "|b1",
                    "(1099511627776,)",
                    1 << 40,
                    "out of memory: unable to allocate 1.0 TiB",
                ),
                // 2^40 float64 claimed, none present.
                (
                    "<f8",
                    "(1099511627776,)",
                    0,
                    "the data needs 8796093022208 bytes but only 0",
                ),
                // 1.5 GiB of uint8 widen to 6 GiB of int32 (over the limit).
                (
                    "|u1",
                    "(1610612736,)",
                    1610612736,
                    "out of memory: unable to allocate 6.0 GiB",
                ),
                // More bytes than an address space.
                ("<f8", "(4611686018427387904,)", 0, "is too large"),
                ("<c16", "(1048576, 1048576, 1048576)", 0, "is too large"),
            ];
            for (k, (descr, shape, data_len, want)) in cases.iter().enumerate() {
                let path = dir.join(format!("huge{k}.npy"));
                let mut header =
                    format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
                while (10 + header.len() + 1) % 64 != 0 {
                    header.push(' ');
                }
                header.push('\n');
                let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
                bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
                bytes.extend_from_slice(header.as_bytes());
                let file = std::fs::File::create(&path).map_err(|e| e.to_string())?;
                std::io::Write::write_all(&mut &file, &bytes).map_err(|e| e.to_string())?;
                // Sparse: no disk space is used for the data.
                file.set_len(bytes.len() as u64 + data_len)
                    .map_err(|e| e.to_string())?;
                let r = npy::read(&path);
                let _ = std::fs::remove_file(&path);
                match r {
                    Err(e) if e.to_string().contains(want) => {
                        let oom = matches!(e.kind(), NpyErrorKind::OutOfMemory { .. });
                        if want.starts_with("out of memory") != oom {
                            return Err(format!("{descr} {shape}: kind {:?}", e.kind()));
                        }
                    }
                    other => return Err(format!("{descr} {shape}: want `{want}`, got {other:?}")),
                }
            }
            // A header that claims to be 4 GiB long (format 2.0), in a file that long.
            let path = dir.join("header.npy");
            let mut bytes = b"\x93NUMPY\x02\x00".to_vec();
            bytes.extend_from_slice(&0xffff_fff0u32.to_le_bytes());
            bytes.extend_from_slice(b"{'descr': '<f8', ");
            let file = std::fs::File::create(&path).map_err(|e| e.to_string())?;
            std::io::Write::write_all(&mut &file, &bytes).map_err(|e| e.to_string())?;
            file.set_len(12 + 0xffff_fff0).map_err(|e| e.to_string())?;
            let r = npy::read(&path);
            let _ = std::fs::remove_file(&path);
            let _ = std::fs::remove_dir(&dir);
            match r {
                Err(e) if matches!(e.kind(), NpyErrorKind::BadHeader(_)) => {}
                other => return Err(format!("4 GiB header: {other:?}")),
            }
            within(t, 20)?;
            Ok("6 files refused".into())
        }
        "thread-counts" => {
            let x: Vec<f64> = (0..100_000).map(|k| k as f64).collect();
            let base = os_threads();
            let c = numjit::compile("x * 2 + 1").unwrap();
            for t in [100_000, 0].into_iter().chain(1..=64) {
                let s = Schedule {
                    threads: Some(t),
                    chunk: 1024,
                    serial_below: 0,
                    ..Default::default()
                };
                let r = c
                    .eval_with(numjit::vars! {x}, &s)
                    .map_err(|e| e.to_string())?;
                let r = r.as_f64().unwrap();
                if r[[99_999]] != 199_999.0 || r[[7]] != 15.0 {
                    return Err(format!("wrong answer with {t} threads"));
                }
            }
            // Evicted pools' workers exit asynchronously.
            let mut now = os_threads();
            for _ in 0..100 {
                if now <= base + 64 + 63 + 4 {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
                now = os_threads();
            }
            // Before issue 14: 2 + 3 + ... + 64 threads stayed (over 2,000).
            if now > base + 64 + 63 + 4 {
                return Err(format!("{now} OS threads (started with {base})"));
            }
            let old = numjit::set_num_threads(100_000);
            let clamped = numjit::set_num_threads(old);
            // numjit's MAX_THREADS.
            if clamped != 256 {
                return Err(format!("set_num_threads(100000) gave {clamped} threads"));
            }
            Ok(format!("{base} -> {now} threads"))
        }
        _ => Err(format!("no case `{name}`")),
    }
}

/// NumPy's pairwise order does not matter at 1e-12 here; a plain sum.
fn balanced_sum(v: Vec<f64>) -> f64 {
    v.iter().sum()
}

const CASES: [&str; 18] = [
    "bool-2^40",
    "bool-2^62",
    "interpret-2^34",
    "float64-16GiB",
    "shape-overflow",
    "empty-axis-sum",
    "broadcast-reduction",
    "balanced-16k",
    "sin-2048",
    "inputs-3000",
    "largest-allowed",
    "suggest-20k",
    "deep-nesting",
    "long-names",
    "huge-text",
    "odd-unicode",
    "huge-script",
    "npy-huge",
];

/// The child: runs the case `NUMJIT_HOSTILE` names, then checks the process still computes.
#[test]
#[ignore = "run in a child process by hostile::cases_fail_cleanly"]
fn child() {
    let Ok(name) = std::env::var("NUMJIT_HOSTILE") else {
        return;
    };
    let detail = run_case(&name);
    let a = vec![1.0, 2.0];
    let after = numjit::eval("a * 2 + sum(a)", numjit::vars! {a}).expect("still usable");
    assert_eq!(after.as_f64().unwrap().as_slice().unwrap(), &[5.0, 7.0]);
    match detail {
        Ok(d) => println!("HOSTILE-OK {name}: {d}"),
        Err(e) => println!("HOSTILE-FAIL {name}: {e}"),
    }
}

/// Runs case `name` in a child under the memory limit; the child's verdict line, or why it
/// has none (killed by a signal, timed out).
fn in_child(name: &str, timeout: Duration) -> Result<String, String> {
    let exe = std::env::current_exe().unwrap();
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {LIMIT_KB}; exec \"$0\" \"$@\""))
        .arg(exe)
        .args([
            "--exact",
            "hostile::child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("NUMJIT_HOSTILE", name)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{name}: no answer within {timeout:?} (hang)"));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = std::io::read_to_string(child.stdout.take().unwrap()).unwrap_or_default();
    let err = std::io::read_to_string(child.stderr.take().unwrap()).unwrap_or_default();
    // The harness prints `test hostile::child ... ` before the case's own line.
    let verdict = out
        .lines()
        .find_map(|l| l.find("HOSTILE-").map(|k| &l[k..]))
        .unwrap_or("");
    if status.success() && verdict.starts_with("HOSTILE-OK") {
        Ok(format!("{verdict} ({:?})", start.elapsed()))
    } else {
        Err(format!(
            "{name}: {status:?} {verdict}\n{}",
            err.lines().rev().take(12).collect::<Vec<_>>().join("\n")
        ))
    }
}

#[test]
fn cases_fail_cleanly() {
    if !cfg!(target_os = "linux") {
        return;
    }
    let mut failures = Vec::new();
    for name in CASES {
        match in_child(name, Duration::from_secs(120)) {
            Ok(v) => println!("{v}"),
            Err(e) => failures.push(e),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// OS threads stay bounded however many thread counts Schedules ask for (a child process,
/// so that other tests' threads do not count).
#[test]
fn thread_pools_stay_bounded() {
    if !cfg!(target_os = "linux") {
        return;
    }
    let v = in_child("thread-counts", Duration::from_secs(120)).unwrap();
    println!("{v}");
}

#[test]
fn zero_size_zero_d_and_size_1_broadcast_follow_numpy() {
    // NumPy: (0,) + (1,) -> (0,); (2, 0) + () -> (2, 0); (3, 1) * (1, 0) -> (3, 0);
    // sum of (0,) is 0.0, prod 1.0; sum((2, 0), axis=1) -> [0., 0.]; () stays ().
    let e = ArrayD::<f64>::zeros(IxDyn(&[0]));
    let one = vec![5.0f64];
    let m = ArrayD::<f64>::zeros(IxDyn(&[2, 0]));
    let z = ArrayD::<f64>::from_elem(IxDyn(&[]), 3.0);
    let col = ArrayD::<f64>::from_elem(IxDyn(&[3, 1]), 2.0);
    let row0 = ArrayD::<f64>::zeros(IxDyn(&[1, 0]));
    let cases: [(&str, &[usize]); 9] = [
        ("e + one", &[0]),
        ("m + z", &[2, 0]),
        ("col * row0", &[3, 0]),
        ("z * 2", &[]),
        ("sum(e)", &[]),
        ("prod(e) + z", &[]),
        ("sum(m, axis=1)", &[2]),
        ("sum(m, axis=0)", &[0]),
        ("one + z", &[1]),
    ];
    for (expr, shape) in cases {
        let vars = || numjit::vars! {e, one, m, z, col, row0};
        let a = numjit::eval(expr, vars()).unwrap();
        let b = numjit::interpret(expr, vars()).unwrap();
        assert_eq!(a.shape(), shape, "{expr}");
        assert_eq!(a, b, "{expr}");
        let mut out = ArrayD::<f64>::from_elem(IxDyn(shape), -1.0);
        numjit::evaluate(expr, &mut out, vars()).unwrap();
        assert_eq!(Some(&out), a.as_f64(), "{expr}");
        let s = numjit::execute(&format!("r = {expr}"), vars()).unwrap();
        assert_eq!(s.get("r"), Some(&a), "{expr}");
    }
    assert_eq!(
        numjit::eval("sum(e)", numjit::vars! {e})
            .unwrap()
            .as_f64()
            .unwrap()[[]],
        0.0
    );
    assert_eq!(
        numjit::eval("prod(e)", numjit::vars! {e})
            .unwrap()
            .as_f64()
            .unwrap()[[]],
        1.0
    );
    assert_eq!(
        numjit::eval("sum(m, axis=1)", numjit::vars! {m})
            .unwrap()
            .as_f64()
            .unwrap()
            .as_slice()
            .unwrap(),
        &[0.0, 0.0]
    );
    // NumPy: zero-size array to reduction operation maximum which has no identity.
    let err = numjit::eval("max(e)", numjit::vars! {e}).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Shape);
    // NumPy: (0,) and (2,) do not broadcast.
    let two = vec![1.0, 2.0];
    assert_eq!(
        numjit::eval("e + two", numjit::vars! {e, two})
            .unwrap_err()
            .kind(),
        ErrorKind::Shape
    );
    // A size-1 output receives a 0-d result; a zero-size output a zero-size one.
    let mut o1 = vec![0.0f64];
    numjit::evaluate("z + 1", &mut o1, numjit::vars! {z}).unwrap();
    assert_eq!(o1, [4.0]);
    let mut o0: Vec<f64> = vec![];
    numjit::evaluate("e * 2", &mut o0, numjit::vars! {e}).unwrap();
    assert!(o0.is_empty());
}

//! Ctrl-C in the REPL, in a pseudo-terminal (rexpect): during a long line it stops the
//! computation and the prompt comes back with every array as it was before the line (the
//! interrupted line binds nothing and undoes its in-place writes); at the prompt it clears the
//! line being typed; the session goes on and Ctrl-D leaves.

use crate::bin::temp_dir;
use rexpect::reader::Options;
use rexpect::session::{spawn_with_options, PtySession};
use std::process::Command;
use std::time::{Duration, Instant};

/// An elementwise and slow expression of `x` (transcendental calls on every element).
fn heavy(x: &str) -> String {
    format!("arcsinh({x})**2 + expm1({x} / 1e7) * cosh({x} / 1e7) + sin({x}) * tanh({x})")
}

/// Sends `line` and returns what the REPL printed up to its next prompt.
fn run(p: &mut PtySession, line: &str) -> String {
    p.send_line(line).unwrap();
    p.exp_string(">>> ")
        .unwrap_or_else(|e| panic!("no prompt after {line:?}: {e}"))
}

/// Asserts that running `line` prints `want` (after the echoed line).
fn prints(p: &mut PtySession, line: &str, want: &str) {
    let got = run(p, line);
    let shown = got.split_once('\n').map_or("", |(_, rest)| rest);
    assert!(
        shown.replace('\r', "").trim_end() == want,
        "{line}: printed {shown:?}, want {want:?}"
    );
}

#[test]
fn ctrl_c_stops_a_long_statement_and_keeps_every_array() {
    let dir = temp_dir("ctrl_c");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_numjit"));
    cmd.current_dir(&dir)
        .env("NUMJIT_HISTORY", dir.join("history"))
        // A terminal the line editor drives in raw mode (a `dumb` one it reads line by line).
        .env("TERM", "xterm");
    let options = Options::new()
        .timeout_ms(Some(60_000))
        .strip_ansi_escape_codes(true);
    let mut p = spawn_with_options(cmd, options).expect("numjit runs in a pty");
    p.exp_string(">>> ").expect("the first prompt");

    run(
        &mut p,
        "x = arange(20_000_000) * 1.0; y = x * 2; k = arange(5)",
    );
    prints(&mut p, "y[:4]", "array([0., 2., 4., 6.])");

    // A line of several seconds: it rebinds `k`, writes into a slice of `y`, binds `t`, and
    // computes on. Ctrl-C arrives while it runs.
    let mut long = format!(
        "k = k + 100; y[5:] = {}; t = {}",
        heavy("x[5:]"),
        heavy("x")
    );
    for _ in 0..8 {
        long.push_str(&format!("; t = t + {}", heavy("x")));
    }
    p.send_line(&long).unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let sent = Instant::now();
    p.send_control('c').unwrap();
    // (The editor redraws the prompt while the long line is typed: wait for the error first.)
    p.exp_string("error: interrupted")
        .expect("the statement is interrupted");
    p.exp_string(">>> ").expect("the prompt comes back");
    let waited = sent.elapsed();
    assert!(
        waited < Duration::from_secs(5),
        "the prompt came back {waited:?} after Ctrl-C"
    );

    // Every array as before the line; nothing it bound exists.
    prints(&mut p, "y[:4]", "array([0., 2., 4., 6.])");
    prints(&mut p, "all(y == 2 * x)", "array(True)");
    prints(&mut p, "y[-1]", "array(39999998.)");
    prints(&mut p, "k", "array([0, 1, 2, 3, 4])");
    let t = run(&mut p, "t");
    assert!(t.contains("error: unknown name `t`"), "{t:?}");

    // The next statements work, the in-place write included.
    prints(&mut p, "y[1] = -1; y[:3]", "array([ 0., -1.,  4.])");
    prints(&mut p, "sum(k * 2)", "array(20)");

    // At the prompt Ctrl-C clears the line being typed.
    p.send("k = 999").unwrap();
    p.send_control('c').unwrap();
    p.exp_string(">>> ").expect("a fresh prompt");
    prints(&mut p, "k", "array([0, 1, 2, 3, 4])");

    // Ctrl-D leaves, with status 0.
    p.send_control('d').unwrap();
    p.exp_eof().expect("the REPL leaves on Ctrl-D");
    let status = p.process().wait().unwrap();
    assert!(format!("{status:?}").ends_with(", 0)"), "{status:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

//! Helpers shared by the tests that run the `numjit` binary (cli, repl, bench_cmd).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh, empty directory for one test (unique per process and call).
pub fn temp_dir(test: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("numjit-it-{}-{n}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `numjit ARGS` in `dir`.
pub fn numjit(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_numjit"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the numjit binary runs")
}

/// Runs `numjit ARGS` in `dir` with `script` on stdin.
pub fn numjit_with(dir: &Path, args: &[&str], script: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_numjit"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the numjit binary runs");
    let mut stdin = child.stdin.take().unwrap();
    let text = script.to_string();
    // Write from another thread so that a large output cannot deadlock the pipes.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(text.as_bytes());
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

/// What the run printed on stdout.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// What the run printed on stderr.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts that `numjit ARGS` is refused as a usage error: status 1, usage on stderr, nothing
/// on stdout.
pub fn assert_usage_error(dir: &Path, args: &[&str]) {
    let out = numjit(dir, args);
    assert_eq!(out.status.code(), Some(1), "{args:?}");
    assert!(
        stderr(&out).contains("Usage:"),
        "{args:?}: {}",
        stderr(&out)
    );
    assert_eq!(stdout(&out), "", "{args:?}");
}

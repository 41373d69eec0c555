//! `numjit bench`: the shape of its output (table, JSON lines, PNG chart) and its errors.
//! Timings are never compared with thresholds: only their presence and finiteness are checked.

use crate::bin::{assert_usage_error, numjit, stderr, stdout, temp_dir};
use std::collections::BTreeMap;

/// Parses a flat JSON object of numbers, `{"k": 1, "m": 2.5}`.
fn parse_object(line: &str) -> BTreeMap<String, f64> {
    let body = line
        .trim()
        .strip_prefix('{')
        .and_then(|l| l.strip_suffix('}'))
        .unwrap_or_else(|| panic!("not an object: {line}"));
    body.split(',')
        .map(|pair| {
            let (k, v) = pair.split_once(':').unwrap_or_else(|| panic!("{line}"));
            let k = k.trim().strip_prefix('"').and_then(|k| k.strip_suffix('"'));
            let k = k.unwrap_or_else(|| panic!("unquoted key in {line}"));
            let v: f64 = v.trim().parse().unwrap_or_else(|_| panic!("{line}"));
            (k.to_string(), v)
        })
        .collect()
}

#[test]
fn json_lines() {
    let dir = temp_dir("json_lines");
    let out = numjit(
        &dir,
        &[
            "bench",
            "a**2 + b**2 + 2*a*b",
            "--n",
            "100,1000",
            "--threads",
            "1,2",
            "--json",
            "--ms",
            "5",
        ],
    );
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let text = stdout(&out);
    let points: Vec<_> = text.lines().map(parse_object).collect();
    assert_eq!(points.len(), 4, "{text}");
    let keys = [
        "gb_per_s",
        "n",
        "ns_per_elem",
        "speedup",
        "threads",
        "us_max",
        "us_min",
        "us_per_call",
    ];
    for (p, (n, t)) in points
        .iter()
        .zip([(100, 1), (100, 2), (1000, 1), (1000, 2)])
    {
        assert_eq!(
            p.keys().map(String::as_str).collect::<Vec<_>>(),
            keys,
            "{text}"
        );
        assert!(p.values().all(|v| v.is_finite() && *v > 0.0), "{text}");
        assert_eq!((p["n"], p["threads"]), (n as f64, t as f64), "{text}");
    }
    // The median lies within the spread.
    for p in &points {
        assert!(
            p["us_min"] <= p["us_per_call"] && p["us_per_call"] <= p["us_max"],
            "{text}"
        );
    }
    // Speedups are relative to one thread of the same n.
    assert_eq!(points[0]["speedup"], 1.0);
    assert_eq!(points[2]["speedup"], 1.0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn table_and_chart() {
    let dir = temp_dir("table_and_chart");
    let out = numjit(
        &dir,
        &[
            "bench",
            "where(a > 50, a, b)",
            "--n=64",
            "--threads=2",
            "--dtype=int64",
            "--ms=5",
            "--plot",
            "chart.png",
        ],
    );
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(
        lines[0].starts_with("where(a > 50, a, b)  [random int64 a, b"),
        "{text}"
    );
    assert_eq!(
        lines[1].split_whitespace().collect::<Vec<_>>(),
        ["n", "threads", "µs/call", "min", "max", "ns/elem", "GB/s", "speedup"]
    );
    let row: Vec<&str> = lines[2].split_whitespace().collect();
    assert_eq!(row[..2], ["64", "2"], "{text}");
    assert!(
        row[2..]
            .iter()
            .all(|v| v.parse::<f64>().is_ok_and(f64::is_finite)),
        "{text}"
    );
    assert_eq!(lines[3], "wrote chart.png");

    let file = std::fs::File::open(dir.join("chart.png")).unwrap();
    let reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .expect("a valid PNG");
    let info = reader.info();
    assert!(info.width >= 400 && info.height >= 300);
    assert_eq!(info.color_type, png::ColorType::Rgb);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn errors() {
    let dir = temp_dir("errors");
    for args in [
        &["bench"][..],
        &["bench", "a", "b"],
        &["bench", "a", "--n"],
        &["bench", "a", "--n", "x"],
        &["bench", "a", "--threads", "0"],
        &["bench", "a", "--dtype", "float16"],
        &["bench", "a", "--frobnicate"],
    ] {
        assert_usage_error(&dir, args);
    }
    // An engine error shows the caret display.
    let out = numjit(&dir, &["bench", "a + sinh(b, 2)", "--n", "10", "--ms", "1"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with("error: ") && err.contains("a + sinh(b, 2)\n"),
        "{err}"
    );
    assert!(err.contains('^'), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Random inputs of every dtype: int32 and int64 in 1..=100, float32 and float64 in [0, 1),
/// complex128 with both parts there, bool.
#[test]
fn every_dtype() {
    let dir = temp_dir("every_dtype");
    for dtype in ["bool", "int32", "int64", "float32", "float64", "complex128"] {
        let out = numjit(
            &dir,
            &[
                "bench",
                "a*b",
                "--n",
                "100",
                "--threads",
                "1",
                "--ms",
                "1",
                "--dtype",
                dtype,
            ],
        );
        assert!(out.status.success(), "{dtype}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(
            text.starts_with(&format!("a*b  [random {dtype} a, b (seed 42);")),
            "{text}"
        );
        let row: Vec<&str> = text.lines().nth(2).unwrap().split_whitespace().collect();
        assert_eq!(row[..2], ["100", "1"], "{text}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn help_lists_every_command() {
    let dir = temp_dir("help");
    let out = numjit(&dir, &["--help"]);
    assert!(out.status.success());
    let help = stdout(&out);
    for want in [
        "numjit [repl]",
        "numjit eval EXPR",
        "numjit bench EXPR",
        "--json",
        "--plot",
    ] {
        assert!(help.contains(want), "{want} not in {help}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

//! Replays numexpr's test matrix, answered by NumPy (`tests/support/numpy_cases.rs`), through
//! `numjit::eval` and the reference interpreter `numjit::interpret`.

use crate::numpy_cases::{check, load, Engine, Stats};

#[test]
fn numpy_oracle_cases_load() {
    let (inputs, cases) = load();
    assert!(cases.len() > 5000, "only {} cases", cases.len());
    // The only dtype substitutions the cases may make are numjit's documented ones.
    for c in &cases {
        for n in c.note.split(',') {
            assert!(
                matches!(
                    n,
                    "-" | "int8->int64" | "float16->float64" | "complex64->complex128"
                ),
                "{}: unexpected note `{n}`",
                c.label()
            );
        }
    }
    // numexpr's matrix covers every dtype it runs (and ours), arrays and both scalar variants.
    for set in ["bool", "int32", "int64", "float32", "float64", "complex128"] {
        for variant in ["0", "1", "2"] {
            let n = cases
                .iter()
                .filter(|c| c.is_numexpr() && c.dtypes == set && c.variant == variant)
                .count();
            assert!(n > 40, "only {n} numexpr cases of {set}, variant {variant}");
        }
    }
    let dtypes: std::collections::BTreeSet<_> = inputs.values().map(|a| a.dtype()).collect();
    assert_eq!(dtypes.len(), 6, "inputs of every dtype: {dtypes:?}");
}

fn replay(what: &str, engine: Engine) {
    let (inputs, cases) = load();
    let mut stats = Stats::default();
    let mut failures = Vec::new();
    for c in &cases {
        if let Err(msg) = check(c, &inputs, engine, &mut stats) {
            failures.push(msg);
        }
    }
    println!("{}", stats.summary(what, cases.len(), failures.len()));
    if !failures.is_empty() {
        let mut report = String::new();
        for f in &failures {
            report.push_str(f);
            report.push('\n');
        }
        panic!(
            "{} of {} NumPy oracle cases fail ({what}):\n{report}{} of {} NumPy oracle cases fail \
             ({what}; listed above)",
            failures.len(),
            cases.len(),
            failures.len(),
            cases.len()
        );
    }
}

#[test]
fn numpy_oracle() {
    replay("numpy oracle (numjit::eval)", numjit::eval);
}

/// The same cases through the reference interpreter: a case failing here and in
/// `numpy_oracle` is a semantic difference; failing only in `numpy_oracle`, a code generation
/// one.
#[test]
fn numpy_oracle_interpreter() {
    replay("numpy oracle (numjit::interpret)", numjit::interpret);
}

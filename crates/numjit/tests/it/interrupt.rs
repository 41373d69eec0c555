//! `Interrupt`: a call on a schedule holding a tripped interrupt stops between chunks (and a
//! script between statements, a reduction between pieces) with `ErrorKind::Interrupted`; with
//! a fresh interrupt the same call gives the interpreter's answer, bit for bit.

use numjit::{Array, ErrorKind, Interrupt, Schedule, Vars};
use std::time::{Duration, Instant};

/// A float64 input of `n` elements in [-2, 2).
fn input(n: usize) -> Vec<f64> {
    (0..n)
        .map(|k| ((k * 7919) % 4096) as f64 / 1024.0 - 2.0)
        .collect()
}

/// Elementwise and expensive (about 10 transcendental calls per element).
const HEAVY: &str = "sin(x)**2 + cos(x)**3 + exp(-x*x)*log1p(x*x) + arctan(x)*tanh(x) \
                     + sqrt(x*x + 1)*cosh(x/4) + arcsinh(x)*expm1(x/8)";

/// Runs `call` with `sched` and trips `stop` from another thread after `after`: the call's
/// result and how long after the trip it returned.
fn tripped_during<R>(stop: &Interrupt, after: Duration, call: impl FnOnce() -> R) -> (R, Duration) {
    let tripper = stop.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    let t = std::thread::spawn(move || {
        std::thread::sleep(after);
        tripper.trip();
        tx.send(Instant::now()).unwrap();
    });
    let r = call();
    let done = Instant::now();
    t.join().unwrap();
    let tripped = rx.recv().unwrap();
    (r, done.saturating_duration_since(tripped))
}

/// Checks `got` (the whole result of HEAVY over `x`) against the reference interpreter on
/// every 997th element (the expression is elementwise, so a strided view of the input gives
/// those elements of the result).
fn check_against_interpreter(x: &[f64], got: &Array) {
    let xs: Vec<f64> = x.iter().step_by(997).copied().collect();
    let want = numjit::interpret(HEAVY, Vars::new().bind("x", &xs[..])).unwrap();
    let (Array::Float64(got), Array::Float64(want)) = (got, &want) else {
        panic!("float64 results expected");
    };
    let got: Vec<f64> = got.iter().step_by(997).copied().collect();
    assert_eq!(got.len(), want.len());
    for (k, (g, w)) in got.iter().zip(want.iter()).enumerate() {
        assert_eq!(g.to_bits(), w.to_bits(), "element {} ({g} vs {w})", k * 997);
    }
}

/// An input for `f` large enough that one uninterrupted run on `sched` takes at least 300 ms
/// (so that a trip a fifth of the way in lands while it runs, in debug and release builds
/// alike): the input, that run's result and its duration.
fn long_enough(f: &numjit::Compiled, sched: &Schedule) -> (Vec<f64>, Array, Duration) {
    let mut n = 1 << 14;
    loop {
        let x = input(n);
        let start = Instant::now();
        let r = f.eval_with(Vars::new().bind("x", &x[..]), sched).unwrap();
        let took = start.elapsed();
        if took >= Duration::from_millis(300) || n >= 1 << 26 {
            return (x, r, took);
        }
        n *= 4;
    }
}

#[test]
fn a_tripped_interrupt_stops_a_long_evaluate_and_a_fresh_one_gives_the_answer() {
    let f = numjit::compile(HEAVY).unwrap();
    // One thread (chunks run in turn on the caller) and the pool.
    for threads in [Some(1), None] {
        let sched = Schedule {
            threads,
            ..Schedule::default()
        };
        // With a fresh interrupt: the interpreter's answer, and how long a whole run takes.
        let fresh = Interrupt::new();
        let (x, full, whole) = long_enough(&f, &sched.clone().with_interrupt(&fresh));
        assert!(!fresh.is_tripped());
        check_against_interpreter(&x, &full);

        // Tripped a fifth of the way in: the call returns the error long before it would
        // have finished (a chunk is 16 Ki elements, a small part of the run).
        let stop = Interrupt::new();
        let interruptible = sched.clone().with_interrupt(&stop);
        let (r, late) = tripped_during(&stop, whole / 5, || {
            f.eval_with(Vars::new().bind("x", &x[..]), &interruptible)
        });
        let err = r.expect_err("interrupted");
        assert_eq!(err.kind(), ErrorKind::Interrupted, "{err}");
        assert_eq!(err.to_string(), "error: interrupted");
        assert!(
            late < whole / 2,
            "{threads:?} threads: returned {late:?} after the trip (a whole run takes {whole:?})"
        );
        // Still tripped: the next call stops at once; reset, the same call gives the same
        // bits as before.
        let again = || f.eval_with(Vars::new().bind("x", &x[..]), &interruptible);
        assert_eq!(again().unwrap_err().kind(), ErrorKind::Interrupted);
        stop.reset();
        assert_eq!(again().unwrap(), full);
    }
}

#[test]
fn reductions_honour_the_interrupt() {
    let x = input(1 << 18);
    let stop = Interrupt::new();
    let sched = Schedule::default().with_interrupt(&stop);
    // The fused sum (computed piece by piece), a sum over an axis of a materialised argument,
    // and a reduction of a bare name.
    for expr in [
        "sum(sin(x)*cos(x) + exp(-x*x))",
        "max(sin(x)*cos(x), axis=0) + 1",
        "sum(x) + prod(x * 0 + 1)",
    ] {
        let f = numjit::compile(expr).unwrap();
        let fresh = f.eval_with(Vars::new().bind("x", &x[..]), &sched).unwrap();
        let want = f.interpret(Vars::new().bind("x", &x[..])).unwrap();
        let (Array::Float64(g), Array::Float64(w)) = (&fresh, &want) else {
            panic!("{expr}: float64 expected");
        };
        // The JIT's transcendentals are bit-identical to the interpreter's; the sums are
        // combined in one fixed order in both.
        assert_eq!(
            g.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            w.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            "{expr}"
        );
        stop.trip();
        let err = f
            .eval_with(Vars::new().bind("x", &x[..]), &sched)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Interrupted, "{expr}: {err}");
        stop.reset();
    }
    // Tripped while the fused sum runs.
    let f = numjit::compile(&format!("sum({HEAVY})")).unwrap();
    let (x, _, whole) = long_enough(&f, &sched);
    let (r, late) = tripped_during(&stop, whole / 5, || {
        f.eval_with(Vars::new().bind("x", &x[..]), &sched)
    });
    assert_eq!(r.unwrap_err().kind(), ErrorKind::Interrupted);
    assert!(
        late < whole / 2,
        "returned {late:?} after the trip, of {whole:?}"
    );
}

#[test]
fn scripts_stop_between_statements_and_bind_nothing() {
    let x = input(1 << 16);
    let mut y = vec![0.0; x.len()];
    let stop = Interrupt::new();
    let sched = Schedule::default().with_interrupt(&stop);
    let script = numjit::compile_script("a = x * 2; y[:] = a + 1; b = y * 3").unwrap();
    stop.trip();
    let err = script
        .execute_with(
            Vars::new().bind("x", &x[..]).bind_mut("y", &mut y[..]),
            &sched,
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Interrupted);
    assert!(y.iter().all(|&v| v == 0.0), "nothing written");
    stop.reset();
    let out = script
        .execute_with(
            Vars::new().bind("x", &x[..]).bind_mut("y", &mut y[..]),
            &sched,
        )
        .unwrap();
    for (k, &xv) in x.iter().enumerate() {
        assert_eq!(y[k], xv * 2.0 + 1.0);
    }
    let Some(Array::Float64(b)) = out.get("b") else {
        panic!("b is bound");
    };
    assert!(b.iter().zip(&y).all(|(b, y)| *b == y * 3.0));
}

#[test]
fn an_interrupt_is_shared_by_its_clones_and_compared_by_identity() {
    let a = Interrupt::new();
    let b = a.clone();
    assert_eq!(a, b);
    assert_ne!(a, Interrupt::new());
    b.trip();
    assert!(a.is_tripped());
    a.reset();
    assert!(!b.is_tripped());
    let s = Schedule::default().with_interrupt(&a);
    assert_eq!(s.interrupt.as_ref(), Some(&b));
    assert_eq!(Schedule::default().interrupt, None);
}

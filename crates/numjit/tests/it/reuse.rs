//! A script called again with bindings of the same names, dtypes and layouts reuses its last
//! call's plan (views resolved, kernel chosen, call planned) instead of working it all out
//! again. Every such call must give what the reference interpreter gives for the same
//! statement, whatever changed since the plan was made: the arrays' memory, scalar values,
//! subscript bounds, layouts, binding order, and aliasing between target and inputs.

use ndarray::{s, Array1, Array2, ArrayViewMut1};
use numjit::{Arg, DType, Out, Schedule, Vars};

const STEP: &str = "next[1:-1,1:-1] = dens[1:-1,1:-1] + c*(dens[2:,1:-1] + dens[:-2,1:-1] \
                    + dens[1:-1,2:] + dens[1:-1,:-2] - 4*dens[1:-1,1:-1])";
const RHS: &str = "dens[1:-1,1:-1] + c*(dens[2:,1:-1] + dens[:-2,1:-1] + dens[1:-1,2:] \
                   + dens[1:-1,:-2] - 4*dens[1:-1,1:-1])";

/// The interpreter's value of `expr` (float64) for `vars`.
fn oracle(expr: &str, vars: Vars<'_>) -> ndarray::ArrayD<f64> {
    numjit::interpret(expr, vars)
        .unwrap()
        .as_f64()
        .unwrap()
        .to_owned()
}

/// The interior of `a` (all but the first and last row and column).
fn interior(a: &mut Array2<f64>) -> ndarray::ArrayViewMut2<'_, f64> {
    let (r, c) = a.dim();
    a.slice_mut(s![1..r - 1, 1..c - 1])
}

fn grid(rows: usize, cols: usize, seed: u64) -> Array2<f64> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    Array2::from_shape_fn((rows, cols), |_| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 11) as f64 / (1u64 << 53) as f64
    })
}

fn schedules() -> [Schedule; 3] {
    [
        Schedule {
            threads: Some(1),
            ..Schedule::default()
        },
        // The pool, chunked small so several tasks share each call's new pointers.
        Schedule {
            threads: Some(2),
            chunk: 64,
            serial_below: 0,
            ..Schedule::default()
        },
        Schedule::default(),
    ]
}

/// The diffusion time loop (two buffers swapped each step, as the example does): every step
/// equals the interpreter's, at one thread and on the pool.
#[test]
fn a_time_loop_gives_the_interpreters_answer_at_every_step() {
    for sched in schedules() {
        let script = numjit::compile_script(STEP).unwrap();
        let mut dens = grid(37, 53, 1);
        let mut next = Array2::<f64>::zeros((37, 53));
        let c = 0.1;
        for _ in 0..30 {
            let mut want = next.clone();
            let rhs = oracle(RHS, Vars::new().bind("dens", &dens).bind("c", c));
            interior(&mut want).assign(&rhs.into_dimensionality::<ndarray::Ix2>().unwrap());
            let vars = Vars::new()
                .bind_mut("next", &mut next)
                .bind("dens", &dens)
                .bind("c", c);
            script.execute_with(vars, &sched).unwrap();
            assert_eq!(next, want, "{sched:?}");
            std::mem::swap(&mut dens, &mut next);
        }
    }
}

/// Scalars are read at each call: a new value of `c` in the same layout is used.
#[test]
fn scalar_values_are_read_at_each_call() {
    let script = numjit::compile_script(STEP).unwrap();
    let dens = grid(9, 11, 2);
    for (k, c) in [0.1, 0.25, -3.0, 0.1, 0.0].into_iter().enumerate() {
        let mut next = Array2::<f64>::from_elem((9, 11), k as f64);
        let mut want = next.clone();
        let rhs = oracle(RHS, Vars::new().bind("dens", &dens).bind("c", c));
        interior(&mut want).assign(&rhs.into_dimensionality::<ndarray::Ix2>().unwrap());
        let vars = Vars::new()
            .bind_mut("next", &mut next)
            .bind("dens", &dens)
            .bind("c", c);
        script.execute(vars).unwrap();
        assert_eq!(next, want, "c = {c}");
    }
}

/// A subscript bound taken from a binding changes the views: a call with another value
/// must not reuse the views of the last.
#[test]
fn a_new_subscript_bound_is_planned_again() {
    let script = numjit::compile_script("x[k:] = y[:-k] * 2 + 1").unwrap();
    let y = Array1::from_iter((0..20).map(|i| i as f64));
    for k in [1i64, 3, 3, 7, 1] {
        let mut x = Array1::<f64>::from_elem(20, -1.0);
        script
            .execute(Vars::new().bind_mut("x", &mut x).bind("y", &y).bind("k", k))
            .unwrap();
        let k = k as usize;
        let want: Vec<f64> = (0..20)
            .map(|i| {
                if i < k {
                    -1.0
                } else {
                    (i - k) as f64 * 2.0 + 1.0
                }
            })
            .collect();
        assert_eq!(x.to_vec(), want, "k = {k}");
    }
}

/// Layouts that change between calls (a strided view, a transposed one, another shape)
/// each get their own plan, and the first layout's plan still serves it afterwards.
#[test]
fn other_layouts_get_their_own_plans() {
    let script = numjit::compile_script("out[:, 1:] = a[:, :-1] * b + a[:, 1:]").unwrap();
    let big = grid(12, 16, 3);
    let b = grid(1, 1, 4)[[0, 0]];
    let cases: Vec<ndarray::ArrayView2<f64>> = vec![
        big.slice(s![..6, ..8]),
        big.slice(s![..;2, ..;2]),
        big.slice(s![..8, ..6]).reversed_axes(),
        big.view(),
        big.slice(s![..6, ..8]),
    ];
    for a in cases {
        let (r, c) = a.dim();
        let mut out = Array2::<f64>::zeros((r, c));
        let mut want = out.clone();
        let rhs = oracle(
            "a[:, :-1] * b + a[:, 1:]",
            Vars::new().bind("a", a).bind("b", b),
        );
        want.slice_mut(s![.., 1..])
            .assign(&rhs.into_dimensionality::<ndarray::Ix2>().unwrap());
        script
            .execute(
                Vars::new()
                    .bind_mut("out", &mut out)
                    .bind("a", a)
                    .bind("b", b),
            )
            .unwrap();
        assert_eq!(
            out,
            want,
            "a of shape {:?}, strides {:?}",
            a.dim(),
            a.strides()
        );
    }
}

/// The same bindings in another order are another key: the right arrays are read.
#[test]
fn bindings_in_another_order_read_the_right_arrays() {
    let script = numjit::compile_script("z[:] = p - 2*q").unwrap();
    let p = Array1::from_iter((0..10).map(|i| i as f64));
    let q = Array1::from_iter((0..10).map(|i| (i * i) as f64));
    let want: Vec<f64> = (0..10).map(|i| (i - 2 * i * i) as f64).collect();
    for flip in [false, true, false, true] {
        let mut z = Array1::<f64>::zeros(10);
        let vars = if flip {
            Vars::new()
                .bind("q", &q)
                .bind_mut("z", &mut z)
                .bind("p", &p)
        } else {
            Vars::new()
                .bind("p", &p)
                .bind("q", &q)
                .bind_mut("z", &mut z)
        };
        script.execute(vars).unwrap();
        assert_eq!(z.to_vec(), want, "flipped: {flip}");
    }
}

/// Scripts of several statements that each write into a binding run statement after
/// statement on the reused plan (the second reads what the first wrote).
#[test]
fn several_writing_statements_run_in_order() {
    let script = numjit::compile_script("a[1:] = b[:-1] + 1; b[:-1] = a[1:] * 2").unwrap();
    let mut a = Array1::from_iter((0..8).map(|i| i as f64));
    let mut b = Array1::from_iter((0..8).map(|i| 10.0 * i as f64));
    for _ in 0..6 {
        let (mut wa, mut wb) = (a.clone(), b.clone());
        for i in 1..8 {
            wa[i] = wb[i - 1] + 1.0;
        }
        for i in 0..7 {
            wb[i] = wa[i + 1] * 2.0;
        }
        script
            .execute(Vars::new().bind_mut("a", &mut a).bind_mut("b", &mut b))
            .unwrap();
        assert_eq!((&a, &b), (&wa, &wb));
    }
}

/// A plan made for two separate arrays is not used when a later call binds memory where
/// the target overlaps the input: NumPy's answer (the right side read before any element
/// is written) still holds.
#[test]
fn a_target_that_now_overlaps_its_input_is_buffered() {
    // Long enough that a kernel writes some of the target before it reads the rest of the
    // input (several vectors).
    const N: usize = 100;
    let script = numjit::compile_script("dst[:] = src * 10 + 1").unwrap();
    // Plan with separate arrays.
    let src = Array1::from_iter((0..N).map(|i| i as f64));
    let mut dst = Array1::<f64>::zeros(N);
    script
        .execute(Vars::new().bind_mut("dst", &mut dst).bind("src", &src))
        .unwrap();
    let want: Vec<f64> = (0..N).map(|i| i as f64 * 10.0 + 1.0).collect();
    assert_eq!(dst.to_vec(), want);
    // The same layouts, but dst = data[1:] and src = data[:-1] share memory.
    let mut data: Vec<f64> = (0..=N).map(|i| i as f64).collect();
    let p = data.as_mut_ptr();
    // SAFETY: both views cover N of `data`'s N + 1 elements, which live through the call
    // and are touched only by numjit meanwhile.
    unsafe {
        let src = Arg::from_raw_parts(DType::Float64, p as *const u8, &[N], &[1]);
        let dst = Out::from_raw_parts(DType::Float64, p.add(1) as *mut u8, &[N], &[1]);
        script
            .execute(Vars::new().bind_mut("dst", dst).bind("src", src))
            .unwrap();
    }
    let want: Vec<f64> = std::iter::once(0.0)
        .chain((0..N).map(|i| i as f64 * 10.0 + 1.0))
        .collect();
    assert_eq!(data, want);
}

/// Scripts the plan does not cover (a statement binding a new array, a reduction, a cast
/// into the target) give the right answers call after call.
#[test]
fn scripts_without_a_reusable_plan_stay_right() {
    let scripts = [
        "t = a * 2; out[:] = t + 1",
        "out[:] = a - sum(a)",
        "out[:] = a > 2",
    ];
    let a = Array1::from_iter((0..6).map(|i| i as f64));
    let want: [Vec<f64>; 3] = [
        (0..6).map(|i| i as f64 * 2.0 + 1.0).collect(),
        (0..6).map(|i| i as f64 - 15.0).collect(),
        (0..6).map(|i| if i > 2 { 1.0 } else { 0.0 }).collect(),
    ];
    for (text, want) in scripts.iter().zip(want) {
        let script = numjit::compile_script(text).unwrap();
        for _ in 0..3 {
            let mut out = Array1::<f64>::zeros(6);
            script
                .execute(Vars::new().bind_mut("out", &mut out).bind("a", &a))
                .unwrap();
            assert_eq!(out.to_vec(), want, "{text}");
        }
    }
}

/// A view of a larger array as the target: the plan's offsets are relative to the bound
/// view, so another view of the same layout elsewhere in memory is written where it lies.
#[test]
fn targets_that_are_views_are_written_where_they_lie() {
    let script = numjit::compile_script("u[1:] = v[:-1] + w").unwrap();
    let v = Array1::from_iter((0..5).map(|i| i as f64));
    let mut big = Array1::<f64>::zeros(20);
    for start in [0usize, 5, 10, 15] {
        let w = start as f64;
        let view: ArrayViewMut1<f64> = big.slice_mut(s![start..start + 5]);
        script
            .execute(Vars::new().bind_mut("u", view).bind("v", &v).bind("w", w))
            .unwrap();
    }
    let want: Vec<f64> = (0..20)
        .map(|i| {
            if i % 5 == 0 {
                0.0
            } else {
                (i % 5 - 1) as f64 + (i / 5 * 5) as f64
            }
        })
        .collect();
    assert_eq!(big.to_vec(), want);
}

/// `Compiled::eval` keeps its last call's plan too: calls with new arrays, scalar values,
/// subscript bounds, layouts and binding orders each give the interpreter's answer.
#[test]
fn compiled_eval_reuses_its_plan_soundly() {
    let c = numjit::compile("a[k:] * s + b[:-k] - 2*a[:-k]").unwrap();
    let big = grid(3, 40, 7);
    // Consecutive calls differ in one thing each: the arrays, `s`, `k` (same layouts: only
    // the key tells the views apart), the layout, the binding order.
    for (round, (k, s, step, flip)) in [
        (1i64, 0.5, 1usize, false),
        (1, 0.5, 1, false),
        (1, -2.0, 1, false),
        (3, -2.0, 1, false),
        (3, -2.0, 2, false),
        (3, -2.0, 2, true),
        (1, 0.5, 1, true),
    ]
    .into_iter()
    .enumerate()
    {
        let a = big.row(round % 3).slice_move(s![..;step]).to_owned();
        let b = big.row((round + 1) % 3).slice_move(s![..;step]);
        let vars = || {
            if flip {
                Vars::new()
                    .bind("s", s)
                    .bind("k", k)
                    .bind("b", b)
                    .bind("a", &a)
            } else {
                Vars::new()
                    .bind("a", &a)
                    .bind("b", b)
                    .bind("k", k)
                    .bind("s", s)
            }
        };
        let jit = c.eval(vars()).unwrap();
        let want = c.interpret(vars()).unwrap();
        assert_eq!(
            jit, want,
            "round {round}: k={k} s={s} step={step} flip={flip}"
        );
    }
}

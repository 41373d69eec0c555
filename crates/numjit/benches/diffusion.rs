//! Criterion benchmark: one time step of the 2-D diffusion solver of `examples/diffusion.rs`,
//! numjit next to a plain Rust loop, in the same run.
//!
//! Run with `cargo bench --bench diffusion`; one grid only with e.g.
//! `cargo bench --bench diffusion -- 2001x2001`. One group per grid, named by the full array
//! size including the two boundary rows and columns: `diffusion/301x301` (the seed's grid,
//! 299×299 interior points) and `diffusion/2001x2001` (1999×1999 interior). In each:
//!
//! - `plain_loop`: the step as a hand-written loop over row slices, one thread;
//! - `numjit_1_thread`, `numjit_2_threads`: the compiled statement
//!   `next[1:-1, 1:-1] = dens[1:-1, 1:-1] + (D/dx**2)*dt*(...)` through
//!   `Script::execute_with` with `Schedule { threads: Some(t), ..Default::default() }`.
//!
//! Each iteration computes one step from the same `dens` into `next` (no swap), so every
//! sample does identical work. The default schedule runs problems under 64 Ki elements on
//! the calling thread; both grids are above that (299² = 89 401 interior elements), so the
//! 2-thread runs really use two threads. Throughput is in interior elements per second.

use criterion::measurement::WallTime;
use criterion::{
    black_box, criterion_group, criterion_main, BenchmarkGroup, Criterion, SamplingMode, Throughput,
};
use ndarray::Array2;
use numjit::{Schedule, Vars};
use std::time::Duration;

/// The example's step statement, in the seed's operation order.
const STEP: &str = "next[1:-1, 1:-1] = dens[1:-1, 1:-1] + (D/dx**2)*dt*(dens[2:, 1:-1] \
     + dens[:-2, 1:-1] + dens[1:-1, 2:] + dens[1:-1, :-2] - 4*dens[1:-1, 1:-1])";

const D: f64 = 1.0;
const X1: f64 = -10.0;
const X2: f64 = 10.0;

/// A grid with `nrows` interior points per axis: spacing, time step and the seed's initial
/// density (zero boundary, two tents per axis), as in the example.
struct Grid {
    dx: f64,
    dt: f64,
    dens: Array2<f64>,
}

impl Grid {
    fn new(nrows: usize) -> Grid {
        let n = nrows + 2;
        let dx = (X2 - X1) / nrows as f64;
        let dt = 0.25 * (dx * dx) / D;
        let start = X1 - dx;
        let step = (X2 - start) / (n - 1) as f64;
        let a: Vec<f64> = (0..n)
            .map(|i| {
                if i == n - 1 {
                    X2
                } else {
                    i as f64 * step + start
                }
            })
            .map(|x| 1.0 - (1.0 - 4.0 * ((x - (X1 + X2) / 2.0) / (X2 - X1)).abs()).abs())
            .collect();
        let mut dens = Array2::zeros((n, n));
        for i in 1..n - 1 {
            for j in 1..n - 1 {
                dens[[i, j]] = a[i] * a[j];
            }
        }
        Grid { dx, dt, dens }
    }

    fn coefficient(&self) -> f64 {
        (D / (self.dx * self.dx)) * self.dt
    }
}

/// The example's plain loop: `next[i,j] = C + c*(S + N + E + W - 4*C)`.
fn plain_step(dens: &Array2<f64>, next: &mut Array2<f64>, c: f64) {
    let n = dens.ncols();
    let src = dens.as_slice().expect("standard layout");
    let dst = next.as_slice_mut().expect("standard layout");
    for i in 1..dens.nrows() - 1 {
        let up = &src[(i - 1) * n..i * n];
        let row = &src[i * n..(i + 1) * n];
        let down = &src[(i + 1) * n..(i + 2) * n];
        let out = &mut dst[i * n + 1..(i + 1) * n - 1];
        let lanes = down[1..n - 1]
            .iter()
            .zip(&up[1..n - 1])
            .zip(&row[2..])
            .zip(&row[..n - 2])
            .zip(&row[1..n - 1]);
        for (o, ((((&s, &no), &e), &w), &ce)) in out.iter_mut().zip(lanes) {
            *o = ce + c * (s + no + e + w - 4.0 * ce);
        }
    }
}

fn numjit_step(
    script: &numjit::Script,
    g: &Grid,
    next: &mut Array2<f64>,
    sched: &Schedule,
) -> Result<(), numjit::Error> {
    let vars = Vars::new()
        .bind_mut("next", next)
        .bind("dens", &g.dens)
        .bind("D", D)
        .bind("dx", g.dx)
        .bind("dt", g.dt);
    script.execute_with(vars, sched).map(|_| ())
}

fn schedule(threads: usize) -> Schedule {
    Schedule {
        threads: Some(threads),
        ..Default::default()
    }
}

fn bench_grid(c: &mut Criterion, nrows: usize) {
    let n = nrows + 2;
    let g = Grid::new(nrows);
    let script = numjit::compile_script(STEP).expect("compile");

    // Numjit and the plain loop must agree before their speed is worth comparing.
    let mut want = g.dens.clone();
    plain_step(&g.dens, &mut want, g.coefficient());
    for threads in [1, 2] {
        let mut got = g.dens.clone();
        numjit_step(&script, &g, &mut got, &schedule(threads)).expect("step");
        assert!(
            got.iter()
                .zip(&want)
                .all(|(a, b)| (a - b).abs() <= 1e-12 * a.abs().max(b.abs())),
            "numjit ({threads} threads) differs from the plain loop on {n}x{n}"
        );
    }

    let mut group: BenchmarkGroup<'_, WallTime> = c.benchmark_group(format!("diffusion/{n}x{n}"));
    group.throughput(Throughput::Elements((nrows * nrows) as u64));
    if n > 1000 {
        // ~10 ms per step: equal-sized samples fit the budget, linear sampling does not.
        group
            .sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .measurement_time(Duration::from_secs(3))
            .warm_up_time(Duration::from_secs(1));
    } else {
        group
            .sample_size(20)
            .measurement_time(Duration::from_secs(2))
            .warm_up_time(Duration::from_millis(500));
    }

    let mut next = g.dens.clone();
    let coef = g.coefficient();
    group.bench_function("plain_loop", |b| {
        b.iter(|| {
            plain_step(black_box(&g.dens), &mut next, black_box(coef));
            black_box(&next);
        })
    });
    for threads in [1, 2] {
        let id = if threads == 1 {
            "numjit_1_thread".to_string()
        } else {
            format!("numjit_{threads}_threads")
        };
        let sched = schedule(threads);
        group.bench_function(id, |b| {
            b.iter(|| {
                numjit_step(&script, &g, &mut next, &sched).expect("step");
                black_box(&next);
            })
        });
    }
    group.finish();
}

fn seed_grid(c: &mut Criterion) {
    bench_grid(c, 299);
}

fn large_grid(c: &mut Criterion) {
    bench_grid(c, 1999);
}

criterion_group!(benches, seed_grid, large_grid);
criterion_main!(benches);

//! Usage: mpirun -np N target/release/examples/diffusion_mpi [--dx F] [--grid NROWS] [--steps N] [--threads T] [--procs PxQ] [--check]
//!
//! examples/diffusion.rs on any number of MPI ranks (build with `cargo build --release
//! --features mpi --example diffusion_mpi`): the same IHPCSS diffusion, the same statement,
//!
//! ```text
//! next[1:-1, 1:-1] = dens[1:-1, 1:-1] + (D/dx**2)*dt*(dens[2:, 1:-1] + dens[:-2, 1:-1]
//!                                                    + dens[1:-1, 2:] + dens[1:-1, :-2]
//!                                                    - 4*dens[1:-1, 1:-1])
//! ```
//!
//! over `numjit::dist` arrays split in blocks over a process grid: numjit reads the halo
//! width (1) from the slice offsets and exchanges the halo rows and columns each step while
//! the interior computes. It prints the same `checksum sum=<sum of all dens> center=<...>`
//! line as the single-process example (the sum taken on rank 0 over the gathered array in
//! row-major order), which it equals bit for bit. Flags as examples/diffusion.rs (`--dx`,
//! `--grid`, `--steps`, `--threads` per rank), plus:
//!
//! - `--procs PxQ`: the process grid (`4x1`, `2x2`, `0x0` for automatic; default automatic
//!   for the grid's shape).
//! - `--check`: rank 0 also runs the single-process numjit script on the whole grid and
//!   asserts that every element is bit-identical.
//!
//! It ends in assertions (bounds of the solution, and with `--check` the agreement), so
//! running it under mpirun doubles as a test.

use ndarray::Array2;
use numjit::dist::{mpi, DistArray, DistScript, DistVars, ProcessGrid};
use numjit::Schedule;
use std::time::{Duration, Instant};

const STEP: &str = "next[1:-1, 1:-1] = dens[1:-1, 1:-1] + (D/dx**2)*dt*(dens[2:, 1:-1] \
     + dens[:-2, 1:-1] + dens[1:-1, 2:] + dens[1:-1, :-2] - 4*dens[1:-1, 1:-1])";

const USAGE: &str = "usage: diffusion_mpi [--dx F] [--grid NROWS] [--steps N] [--threads T] \
                     [--procs PxQ] [--check]";

#[derive(Debug, Default)]
struct Options {
    dx: Option<f64>,
    grid: Option<usize>,
    steps: Option<usize>,
    threads: Option<usize>,
    procs: Option<Vec<usize>>,
    check: bool,
}

fn parse_options() -> Result<Options, String> {
    fn value<T: std::str::FromStr>(
        flag: &str,
        it: &mut impl Iterator<Item = String>,
    ) -> Result<T, String> {
        let v = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        v.parse().map_err(|_| format!("{flag}: cannot parse `{v}`"))
    }
    let mut o = Options::default();
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--dx" => o.dx = Some(value(&arg, &mut it)?),
            "--grid" => o.grid = Some(value(&arg, &mut it)?),
            "--steps" => o.steps = Some(value(&arg, &mut it)?),
            "--threads" => o.threads = Some(value(&arg, &mut it)?),
            "--procs" => {
                let v: String = value(&arg, &mut it)?;
                let dims: Result<Vec<usize>, _> = v.split('x').map(str::parse).collect();
                o.procs = Some(dims.map_err(|_| format!("--procs: cannot parse `{v}`"))?);
            }
            "--check" => o.check = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if o.dx.is_some_and(|dx| !(dx > 0.0 && dx.is_finite())) {
        return Err("--dx must be a positive number".into());
    }
    if o.grid == Some(0) {
        return Err("--grid must be at least 1".into());
    }
    if o.threads == Some(0) {
        return Err("--threads must be at least 1".into());
    }
    Ok(o)
}

/// The seed's parameters, exactly as examples/diffusion.rs derives them.
#[derive(Debug, Clone, Copy)]
struct Params {
    d: f64,
    x1: f64,
    x2: f64,
    nrows: usize,
    npnts: usize,
    dx: f64,
    dt: f64,
    nsteps: usize,
    nper: usize,
}

impl Params {
    fn new(o: &Options) -> Params {
        let (d, x1, x2, runtime, outtime) = (1.0, -10.0, 10.0, 15.0, 0.5);
        let dx0: f64 = o.dx.unwrap_or(0.0667);
        let nrows = o.grid.unwrap_or(((x2 - x1) / dx0) as usize).max(1);
        let dx = (x2 - x1) / nrows as f64;
        let dt = 0.25 * (dx * dx) / d;
        Params {
            d,
            x1,
            x2,
            nrows,
            npnts: nrows + 2,
            dx,
            dt,
            nsteps: o.steps.unwrap_or((runtime / dt) as usize),
            nper: ((outtime / dt) as usize).max(1),
        }
    }

    /// The tent profile `a(x_i)` along one axis (see examples/diffusion.rs); the initial
    /// density is `a[i]*a[j]` inside and zero on the boundary.
    fn profile(&self) -> Vec<f64> {
        let n = self.npnts;
        let start = self.x1 - self.dx;
        let step = (self.x2 - start) / (n - 1) as f64;
        let mut x: Vec<f64> = (0..n).map(|i| i as f64 * step + start).collect();
        x[n - 1] = self.x2;
        let mid = (self.x1 + self.x2) / 2.0;
        x.iter()
            .map(|&x| 1.0 - (1.0 - 4.0 * ((x - mid) / (self.x2 - self.x1)).abs()).abs())
            .collect()
    }

    fn initial_at(&self, a: &[f64], i: &[usize]) -> f64 {
        let n = self.npnts;
        if i[0] == 0 || i[1] == 0 || i[0] == n - 1 || i[1] == n - 1 {
            0.0
        } else {
            a[i[0]] * a[i[1]]
        }
    }
}

fn main() {
    let o = parse_options().unwrap_or_else(|e| {
        eprintln!("error: {e}\n{USAGE}");
        std::process::exit(2)
    });
    let universe = mpi::initialize().expect("MPI initialises once");
    let world = universe.world();
    if let Err(e) = run(&o, &world) {
        // Every rank gets the same error; rank 0 reports it.
        if mpi::topology::Communicator::rank(&world) == 0 {
            eprintln!("{e}");
        }
        drop(universe);
        std::process::exit(1)
    }
}

fn run(
    o: &Options,
    world: &mpi::topology::SimpleCommunicator,
) -> Result<(), Box<dyn std::error::Error>> {
    let p = Params::new(o);
    let shape = [p.npnts, p.npnts];
    let grid = match &o.procs {
        Some(dims) => ProcessGrid::new(world, dims)?,
        None => ProcessGrid::for_shape(world, &shape)?,
    };
    let root = grid.rank() == 0;
    let sched = Schedule {
        threads: o.threads,
        ..Default::default()
    };
    let threads = o.threads.unwrap_or_else(numjit::num_threads);
    if root {
        println!(
            "diffusion_mpi: {n}×{n} grid (nrows {}), dx {}, dt {}, {} steps, output every {} \
             steps, {} rank{} on a {} process grid, numjit on {threads} thread{} per rank",
            p.nrows,
            p.dx,
            p.dt,
            p.nsteps,
            p.nper,
            grid.size(),
            if grid.size() == 1 { "" } else { "s" },
            grid.dims()
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("×"),
            if threads == 1 { "" } else { "s" },
            n = p.npnts,
        );
    }
    let a = p.profile();
    let mut dens = DistArray::<f64>::from_fn(&grid, &shape, |i| p.initial_at(&a, i))?;
    // Both buffers hold the initial density, so the boundary, never written, stays as set.
    let mut next = DistArray::<f64>::from_fn(&grid, &shape, |i| p.initial_at(&a, i))?;
    let script = DistScript::new(STEP)?;
    let (d, dx, dt) = (p.d, p.dx, p.dt);
    let step = |dens: &DistArray<f64>, next: &mut DistArray<f64>| {
        script.execute_with(
            DistVars::new()
                .bind_mut("next", next)
                .bind("dens", dens)
                .bind("D", d)
                .bind("dx", dx)
                .bind("dt", dt),
            &sched,
        )
    };

    let comm = grid.comm();
    use mpi::collective::CommunicatorCollectives;
    comm.barrier();
    let mut simtime = 0.0 * p.dt;
    if root {
        println!("simtime {simtime}");
    }
    let mut stepping = Duration::ZERO;
    let cpu0 = cpu_seconds();
    let mut s = 0;
    while s < p.nsteps {
        let block = p.nper.min(p.nsteps - s);
        let t = Instant::now();
        for _ in 0..block {
            step(&dens, &mut next)?;
            std::mem::swap(&mut dens, &mut next);
            simtime += p.dt;
        }
        comm.barrier();
        stepping += t.elapsed();
        s += block;
        if s % p.nper == 0 && root {
            println!("simtime {simtime}");
        }
    }

    // CPU time of the stepping, summed over the ranks: what the steps cost whatever else
    // the machine runs (wall-clock time on a shared machine measures the other jobs too).
    let cpu = cpu_seconds() - cpu0;
    let mut cpu_total = 0.0f64;
    comm.all_reduce_into(
        &cpu,
        &mut cpu_total,
        mpi::collective::SystemOperation::sum(),
    );

    let whole = dens.gather();
    if let Some(whole) = whole {
        let whole: Array2<f64> = whole.into_dimensionality().expect("2-D");
        let sum: f64 = whole.iter().sum();
        let n = whole.nrows();
        let mid = whole[[n / 2, n / 2]];
        println!("checksum sum={sum} center={mid}");
        let us = stepping.as_secs_f64() * 1e6 / p.nsteps.max(1) as f64;
        println!(
            "time stepping (numjit::dist, {} rank{} × {threads} thread{}): {:.3} s for {} steps, \
             {us:.1} µs per step",
            grid.size(),
            if grid.size() == 1 { "" } else { "s" },
            if threads == 1 { "" } else { "s" },
            stepping.as_secs_f64(),
            p.nsteps
        );
        println!(
            "cpu time stepping (all ranks): {:.1} µs per step",
            cpu_total * 1e6 / p.nsteps.max(1) as f64
        );
        let (lo, hi) = whole
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
                (l.min(v), h.max(v))
            });
        assert!(sum.is_finite() && mid.is_finite());
        assert!(
            lo >= -1e-12 && hi <= 1.0 + 1e-12,
            "density left [0, 1]: [{lo}, {hi}]"
        );
        if o.check {
            // The single-process example's computation: one numjit script on the whole grid.
            let mut d0 =
                Array2::from_shape_fn((p.npnts, p.npnts), |(i, j)| p.initial_at(&a, &[i, j]));
            let mut n0 = d0.clone();
            let single = numjit::compile_script(STEP)?;
            for _ in 0..p.nsteps {
                single.execute_with(
                    numjit::Vars::new()
                        .bind_mut("next", &mut n0)
                        .bind("dens", &d0)
                        .bind("D", d)
                        .bind("dx", dx)
                        .bind("dt", dt),
                    &sched,
                )?;
                std::mem::swap(&mut d0, &mut n0);
            }
            let same = whole
                .iter()
                .zip(&d0)
                .filter(|(x, y)| x.to_bits() == y.to_bits())
                .count();
            println!(
                "check: {same} of {} elements bit-identical to the single-process run",
                d0.len()
            );
            assert_eq!(same, d0.len(), "the distributed run differs");
        }
    }
    Ok(())
}

/// This process's CPU time (user + system, all threads) in seconds, from /proc/self/stat
/// (Linux; 0 elsewhere), in clock ticks of 1/100 s.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // The fields after the command name (which may contain spaces) start after its `)`.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line: 11 and 12 (from 0) after the name.
    (ticks(11) + ticks(12)) / 100.0
}

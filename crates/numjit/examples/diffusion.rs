//! Usage: cargo run --release --example diffusion -- [--dx F] [--grid NROWS] [--steps N] [--threads T] [--png DIR] [--check]
//!
//! Two-dimensional diffusion on the square [-10, 10]², after the IHPCSS 2017 "HPC Python
//! Programming" seed (Ramses van Zon's `diff2d`), with each time step one numjit statement on
//! shifted slices of the density:
//!
//! ```text
//! next[1:-1, 1:-1] = dens[1:-1, 1:-1] + (D/dx**2)*dt*(dens[2:, 1:-1] + dens[:-2, 1:-1]
//!                                                    + dens[1:-1, 2:] + dens[1:-1, :-2]
//!                                                    - 4*dens[1:-1, 1:-1])
//! ```
//!
//! compiled once, then run every step before the two buffers swap. The boundary rows and
//! columns stay zero, as in the seed. It prints the simulation time every `nper` steps, then
//! `checksum sum=<sum of all dens> center=<dens[npnts/2][npnts/2]>` and the time-stepping
//! time. Flags:
//!
//! - `--dx F`: grid spacing before rounding to fit the domain (default 0.0667, the seed's).
//! - `--grid NROWS`: interior points per axis, overriding `--dx` (arrays are NROWS+2 square;
//!   `--grid 1999` gives the 2001×2001 benchmark grid).
//! - `--steps N`: number of time steps instead of `int(runtime/dt)`.
//! - `--threads T`: numjit threads (`Schedule::threads`); default numjit's pool.
//! - `--png DIR`: writes `DIR/diffusion_NNNN.png` at t = 0 and every output time: the density
//!   in matplotlib's `nipy_spectral` colour map over [min of the initial density, 1], as the
//!   seed's `plotdens` shows it, with x and y axes ticked in the domain's coordinates, a colour
//!   bar labelled "density", and the simulation time in the title.
//! - `--check`: also runs the same scheme as a plain Rust loop (one thread), prints its
//!   checksum and time, and asserts every element agrees to 1e-12 relative.
//!
//! It ends in assertions (bounds of the solution, mass only leaving through the boundary,
//! and with `--check` the agreement), so running it doubles as a test.

use ndarray::Array2;
use numjit::{Schedule, Vars};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The time step: the seed's update, operation for operation (`lap = S + N + E + W - 4C`,
/// then `C + (D/dx**2)*dt*lap`), as one statement on slices.
const STEP: &str = "next[1:-1, 1:-1] = dens[1:-1, 1:-1] + (D/dx**2)*dt*(dens[2:, 1:-1] \
     + dens[:-2, 1:-1] + dens[1:-1, 2:] + dens[1:-1, :-2] - 4*dens[1:-1, 1:-1])";

const USAGE: &str = "usage: diffusion [--dx F] [--grid NROWS] [--steps N] [--threads T] \
                     [--png DIR] [--check]";

/// Command-line options.
#[derive(Debug, Default)]
struct Options {
    dx: Option<f64>,
    grid: Option<usize>,
    steps: Option<usize>,
    threads: Option<usize>,
    png: Option<PathBuf>,
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
            "--png" => o.png = Some(value(&arg, &mut it)?),
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

/// The seed's parameters (`diff2dparams.py`) and the quantities derived from them.
#[derive(Debug, Clone, Copy)]
struct Params {
    /// Diffusion constant.
    d: f64,
    x1: f64,
    x2: f64,
    /// Interior points per axis.
    nrows: usize,
    /// Points per axis including the two boundary points.
    npnts: usize,
    /// Grid spacing, recomputed so that `nrows` cells fit [x1, x2] exactly.
    dx: f64,
    /// Time step, at the edge of stability.
    dt: f64,
    nsteps: usize,
    /// Steps between outputs.
    nper: usize,
}

impl Params {
    fn new(o: &Options) -> Params {
        let (d, x1, x2, runtime, outtime) = (1.0, -10.0, 10.0, 15.0, 0.5);
        let dx0: f64 = o.dx.unwrap_or(0.0667);
        // Python's int() truncates; all these quotients are positive.
        let nrows = o.grid.unwrap_or(((x2 - x1) / dx0) as usize).max(1);
        let dx = (x2 - x1) / nrows as f64;
        // `0.25*dx**2/D`: Python's float ** 2 is pow(dx, 2), correctly rounded like dx*dx.
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

    /// `(D/dx**2)*dt`, grouped as the seed (and numjit's hoisted scalar code) computes it.
    fn coefficient(&self) -> f64 {
        (self.d / (self.dx * self.dx)) * self.dt
    }

    /// The initial density: zero on the boundary, `a(x_i)*a(x_j)` inside, where
    /// `a(x) = 1 - |1 - 4|(x - (x1+x2)/2)/(x2-x1)||` (two tents per axis, peaks of 1 at
    /// x = ±5, zero at x = 0 and ±10) and `x` is NumPy's `linspace(x1-dx, x2, npnts)`.
    fn initial(&self) -> Array2<f64> {
        let n = self.npnts;
        let start = self.x1 - self.dx;
        let step = (self.x2 - start) / (n - 1) as f64;
        let mut x: Vec<f64> = (0..n).map(|i| i as f64 * step + start).collect();
        x[n - 1] = self.x2;
        let mid = (self.x1 + self.x2) / 2.0;
        let a: Vec<f64> = x
            .iter()
            .map(|&x| 1.0 - (1.0 - 4.0 * ((x - mid) / (self.x2 - self.x1)).abs()).abs())
            .collect();
        let mut dens = Array2::zeros((n, n));
        for i in 1..n - 1 {
            for j in 1..n - 1 {
                dens[[i, j]] = a[i] * a[j];
            }
        }
        dens
    }
}

/// One step as a plain Rust loop, in the seed's operation order:
/// `next[i,j] = C + c*(S + N + E + W - 4*C)` with `S = dens[i+1,j]`, `N = dens[i-1,j]`,
/// `E = dens[i,j+1]`, `W = dens[i,j-1]`, `C = dens[i,j]`. The boundary of `next` is not
/// written.
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

/// The sum of all elements, in row-major order (a reproducible checksum).
fn total(a: &Array2<f64>) -> f64 {
    a.iter().sum()
}

fn center(a: &Array2<f64>) -> f64 {
    let n = a.nrows();
    a[[n / 2, n / 2]]
}

/// Runs `nsteps` steps from `dens`, calling `step(dens, next)` then swapping; prints the
/// simulation time every `nper` steps and calls `output` there (and once at t = 0). Returns
/// the final density and the time spent stepping (output excluded).
fn simulate(
    p: &Params,
    mut dens: Array2<f64>,
    mut step: impl FnMut(&Array2<f64>, &mut Array2<f64>),
    mut output: impl FnMut(usize, f64, &Array2<f64>),
    verbose: bool,
) -> (Array2<f64>, Duration) {
    // Both buffers hold the initial density, so the boundary, never written, stays as set.
    let mut next = dens.clone();
    let mut simtime = 0.0 * p.dt;
    let mut stepping = Duration::ZERO;
    if verbose {
        println!("simtime {simtime}");
    }
    output(0, simtime, &dens);
    let mut s = 0;
    while s < p.nsteps {
        let block = p.nper.min(p.nsteps - s);
        let t = Instant::now();
        for _ in 0..block {
            step(&dens, &mut next);
            std::mem::swap(&mut dens, &mut next);
            simtime += p.dt;
        }
        stepping += t.elapsed();
        s += block;
        if s % p.nper == 0 {
            if verbose {
                println!("simtime {simtime}");
            }
            output(s / p.nper, simtime, &dens);
        }
    }
    (dens, stepping)
}

/// Runs `step` from `dens` into a scratch buffer for a quarter second, untimed: on the shared
/// 2-core development machine the first tens of milliseconds of steady work run slower (see
/// examples/quickstart.rs), which would bias whichever simulation runs first.
fn warm_up(dens: &Array2<f64>, step: impl Fn(&Array2<f64>, &mut Array2<f64>)) {
    let mut scratch = dens.clone();
    let t = Instant::now();
    while t.elapsed() < Duration::from_millis(250) {
        step(dens, &mut scratch);
    }
}

fn per_step(d: Duration, steps: usize) -> String {
    let us = d.as_secs_f64() * 1e6 / steps.max(1) as f64;
    format!(
        "{:.3} s for {steps} steps, {us:.1} µs per step",
        d.as_secs_f64()
    )
}

fn main() {
    let o = parse_options().unwrap_or_else(|e| {
        eprintln!("error: {e}\n{USAGE}");
        std::process::exit(2)
    });
    if let Err(e) = run(&o) {
        // numjit errors display the statement with a caret under the mistake.
        eprintln!("{e}");
        std::process::exit(1)
    }
}

fn run(o: &Options) -> Result<(), Box<dyn std::error::Error>> {
    let p = Params::new(o);
    let c = p.coefficient();
    let sched = Schedule {
        threads: o.threads,
        ..Default::default()
    };
    let threads = o.threads.unwrap_or_else(numjit::num_threads);
    println!(
        "diffusion: {n}×{n} grid (nrows {}), dx {}, dt {}, {} steps, output every {} steps, \
         numjit on {threads} thread{}",
        p.nrows,
        p.dx,
        p.dt,
        p.nsteps,
        p.nper,
        if threads == 1 { "" } else { "s" },
        n = p.npnts,
    );

    let dens0 = p.initial();
    let vmin = dens0.iter().copied().fold(f64::INFINITY, f64::min);
    let vmax = 1.0;
    let mass0 = total(&dens0);
    if let Some(dir) = &o.png {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("error: cannot create {}: {e}", dir.display()))?;
    }
    let mut png_error = None;
    let output = |k: usize, simtime: f64, dens: &Array2<f64>| {
        if let Some(dir) = &o.png {
            if png_error.is_none() {
                let path = dir.join(format!("diffusion_{k:04}.png"));
                if let Err(e) = write_png(&path, dens, vmin, vmax, simtime, (p.x1, p.x2)) {
                    png_error = Some(format!("error: cannot write {}: {e}", path.display()));
                }
            }
        }
    };

    // Parse once; the first run type-checks and JIT-compiles the kernel, so it happens here,
    // on a scratch buffer, outside the timed loop.
    let script = numjit::compile_script(STEP)?;
    let (d, dx, dt) = (p.d, p.dx, p.dt);
    let compile_time = {
        let mut scratch = dens0.clone();
        let t = Instant::now();
        script.execute_with(
            Vars::new()
                .bind_mut("next", &mut scratch)
                .bind("dens", &dens0)
                .bind("D", d)
                .bind("dx", dx)
                .bind("dt", dt),
            &sched,
        )?;
        let elapsed = t.elapsed();
        let mut want = dens0.clone();
        plain_step(&dens0, &mut want, c);
        assert!(
            scratch.iter().zip(&want).all(|(a, b)| agree(*a, *b)),
            "numjit's first step differs from the plain loop"
        );
        elapsed
    };

    let step = |dens: &Array2<f64>, next: &mut Array2<f64>| {
        let vars = Vars::new()
            .bind_mut("next", next)
            .bind("dens", dens)
            .bind("D", d)
            .bind("dx", dx)
            .bind("dt", dt);
        script.execute_with(vars, &sched).expect("diffusion step");
    };
    warm_up(&dens0, step);
    let (dens, elapsed) = simulate(&p, dens0.clone(), step, output, true);
    if let Some(e) = png_error {
        return Err(e.into());
    }

    let (sum, mid) = (total(&dens), center(&dens));
    println!("checksum sum={sum} center={mid}");
    println!(
        "time stepping (numjit, {threads} thread{}): {}  [compile + first step: {:.1} ms]",
        if threads == 1 { "" } else { "s" },
        per_step(elapsed, p.nsteps),
        compile_time.as_secs_f64() * 1e3
    );
    if let Some(dir) = &o.png {
        println!(
            "wrote {} PNG images to {}",
            p.nsteps / p.nper + 1,
            dir.display()
        );
    }

    // The scheme averages the four neighbours (c is 1/4 up to rounding), so the density stays
    // within the initial [0, 1] and mass only leaves through the zero boundary.
    let (lo, hi) = dens
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        });
    assert!(sum.is_finite() && mid.is_finite());
    assert!(
        lo >= -1e-12 && hi <= 1.0 + 1e-12,
        "density left [0, 1]: [{lo}, {hi}]"
    );
    assert!(sum <= mass0 * (1.0 + 1e-12), "mass grew: {mass0} -> {sum}");
    assert!(dens.row(0).iter().all(|&v| v == 0.0) && dens.column(0).iter().all(|&v| v == 0.0));

    if o.check {
        let plain = |a: &Array2<f64>, b: &mut Array2<f64>| plain_step(a, b, c);
        warm_up(&dens0, plain);
        let (plain, plain_time) = simulate(&p, dens0, plain, |_, _, _| {}, false);
        let n = dens.len();
        let identical = dens
            .iter()
            .zip(&plain)
            .filter(|(a, b)| a.to_bits() == b.to_bits())
            .count();
        let worst = dens
            .iter()
            .zip(&plain)
            .map(|(a, b)| relative(*a, *b))
            .fold(0.0, f64::max);
        println!(
            "checksum (plain loop) sum={} center={}",
            total(&plain),
            center(&plain)
        );
        println!(
            "time stepping (plain Rust loop, 1 thread): {}",
            per_step(plain_time, p.nsteps)
        );
        if p.nsteps > 0 {
            println!(
                "numjit/plain time per step: {:.2}",
                elapsed.as_secs_f64() / plain_time.as_secs_f64()
            );
        }
        println!(
            "check: {identical} of {n} elements bit-identical, max relative difference {worst:e}"
        );
        assert!(
            dens.iter().zip(&plain).all(|(a, b)| agree(*a, *b)),
            "numjit and the plain loop differ by more than 1e-12 relative"
        );
    }
    Ok(())
}

/// `|a - b|` relative to the larger magnitude (0 when both are 0).
fn relative(a: f64, b: f64) -> f64 {
    let scale = a.abs().max(b.abs());
    if a == b {
        0.0
    } else {
        (a - b).abs() / scale
    }
}

/// Agreement to 1e-12 relative, the `--check` criterion.
fn agree(a: f64, b: f64) -> bool {
    relative(a, b) <= 1e-12
}

// ---------------------------------------------------------------------------------------
// PNG output: the density as matplotlib's imshow + colorbar would draw it, rendered into an
// RGB buffer by hand.

/// matplotlib's `nipy_spectral` colour map: 21 colours at 0, 0.05, …, 1, linearly
/// interpolated.
const NIPY_SPECTRAL: [[f64; 3]; 21] = [
    [0.0, 0.0, 0.0],
    [0.4667, 0.0, 0.5333],
    [0.5333, 0.0, 0.6],
    [0.0, 0.0, 0.6667],
    [0.0, 0.0, 0.8667],
    [0.0, 0.4667, 0.8667],
    [0.0, 0.6, 0.8667],
    [0.0, 0.6667, 0.6667],
    [0.0, 0.6667, 0.5333],
    [0.0, 0.6, 0.0],
    [0.0, 0.7333, 0.0],
    [0.0, 0.8667, 0.0],
    [0.0, 1.0, 0.0],
    [0.7333, 1.0, 0.0],
    [0.9333, 0.9333, 0.0],
    [1.0, 0.8, 0.0],
    [1.0, 0.6, 0.0],
    [1.0, 0.0, 0.0],
    [0.8667, 0.0, 0.0],
    [0.8, 0.0, 0.0],
    [0.8, 0.8, 0.8],
];

/// The colour of `v` on the scale [vmin, vmax]; values outside take the end colours.
fn colour(v: f64, vmin: f64, vmax: f64) -> [u8; 3] {
    let t = if vmax > vmin {
        ((v - vmin) / (vmax - vmin)).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let t = if t.is_nan() { 0.0 } else { t };
    let pos = t * (NIPY_SPECTRAL.len() - 1) as f64;
    let k = (pos.floor() as usize).min(NIPY_SPECTRAL.len() - 2);
    let f = pos - k as f64;
    let (a, b) = (NIPY_SPECTRAL[k], NIPY_SPECTRAL[k + 1]);
    std::array::from_fn(|ch| ((a[ch] + f * (b[ch] - a[ch])) * 255.0).round() as u8)
}

/// An RGB image being drawn.
struct Canvas {
    width: usize,
    height: usize,
    rgb: Vec<u8>,
}

impl Canvas {
    fn new(width: usize, height: usize) -> Canvas {
        Canvas {
            width,
            height,
            rgb: vec![255; width * height * 3],
        }
    }

    fn set(&mut self, x: usize, y: usize, c: [u8; 3]) {
        if x < self.width && y < self.height {
            let at = (y * self.width + x) * 3;
            self.rgb[at..at + 3].copy_from_slice(&c);
        }
    }

    fn fill(&mut self, x: usize, y: usize, w: usize, h: usize, c: [u8; 3]) {
        for yy in y..y + h {
            for xx in x..x + w {
                self.set(xx, yy, c);
            }
        }
    }

    /// A one-pixel frame just outside the rectangle (x, y, w, h).
    fn frame(&mut self, x: usize, y: usize, w: usize, h: usize) {
        const BLACK: [u8; 3] = [0, 0, 0];
        self.fill(x - 1, y - 1, w + 2, 1, BLACK);
        self.fill(x - 1, y + h, w + 2, 1, BLACK);
        self.fill(x - 1, y - 1, 1, h + 2, BLACK);
        self.fill(x + w, y - 1, 1, h + 2, BLACK);
    }

    /// Draws `text` with the 3×5 font below, each font pixel `scale` pixels square, top-left
    /// corner at (x, y).
    fn text(&mut self, x: usize, y: usize, text: &str, scale: usize) {
        for (k, ch) in text.chars().enumerate() {
            let rows = glyph(ch);
            for (r, bits) in rows.iter().enumerate() {
                for col in 0..3 {
                    if bits & (0b100 >> col) != 0 {
                        let px = x + (k * 4 + col) * scale;
                        self.fill(px, y + r * scale, scale, scale, [0, 0, 0]);
                    }
                }
            }
        }
    }
}

/// A 3×5 bitmap font for the few characters the plots need (rows top to bottom, bit 2 is
/// the left column).
fn glyph(ch: char) -> [u8; 5] {
    match ch {
        '0' => [0b111, 0b101, 0b101, 0b101, 0b111],
        '1' => [0b010, 0b110, 0b010, 0b010, 0b111],
        '2' => [0b111, 0b001, 0b111, 0b100, 0b111],
        '3' => [0b111, 0b001, 0b111, 0b001, 0b111],
        '4' => [0b101, 0b101, 0b111, 0b001, 0b001],
        '5' => [0b111, 0b100, 0b111, 0b001, 0b111],
        '6' => [0b111, 0b100, 0b111, 0b101, 0b111],
        '7' => [0b111, 0b001, 0b001, 0b001, 0b001],
        '8' => [0b111, 0b101, 0b111, 0b101, 0b111],
        '9' => [0b111, 0b101, 0b111, 0b001, 0b111],
        '.' => [0b000, 0b000, 0b000, 0b000, 0b010],
        '-' => [0b000, 0b000, 0b111, 0b000, 0b000],
        '=' => [0b000, 0b111, 0b000, 0b111, 0b000],
        't' => [0b010, 0b111, 0b010, 0b010, 0b011],
        'a' => [0b000, 0b011, 0b101, 0b101, 0b011],
        'd' => [0b001, 0b011, 0b101, 0b101, 0b011],
        'e' => [0b000, 0b111, 0b111, 0b100, 0b011],
        'f' => [0b011, 0b100, 0b110, 0b100, 0b100],
        'i' => [0b010, 0b000, 0b010, 0b010, 0b010],
        'n' => [0b000, 0b110, 0b101, 0b101, 0b101],
        'o' => [0b000, 0b010, 0b101, 0b101, 0b010],
        's' => [0b000, 0b011, 0b110, 0b011, 0b110],
        'u' => [0b000, 0b101, 0b101, 0b101, 0b011],
        'x' => [0b000, 0b101, 0b010, 0b010, 0b101],
        'y' => [0b101, 0b101, 0b011, 0b001, 0b110],
        ':' => [0b000, 0b010, 0b000, 0b010, 0b000],
        ',' => [0b000, 0b000, 0b000, 0b010, 0b100],
        ' ' => [0; 5],
        _ => [0; 5],
    }
}

/// Writes `dens` as a PNG: the array as an image (row 0 at the top, like imshow), each cell
/// a square of pixels, with x and y axes ticked in the domain's coordinates `extent` (x to
/// the right along columns, y upwards along rows), a colour bar labelled "density" with ticks
/// at every fifth of [vmin, vmax] to its right, and the title "diffusion, t=<simtime>" above.
fn write_png(
    path: &Path,
    dens: &Array2<f64>,
    vmin: f64,
    vmax: f64,
    simtime: f64,
    extent: (f64, f64),
) -> Result<(), Box<dyn std::error::Error>> {
    let n = dens.nrows();
    let cell = if n < 600 { (600 + n / 2) / n } else { 1 };
    let side = n * cell;
    let font = 2;
    let glyph_w = |s: &str| s.chars().count() * 4 * font;
    // Room for the y tick labels (`-10`) and the axis name left of the image.
    let margin = 20 + glyph_w("-10") + 8 + 5 * font + 10;
    let (top, bottom) = (50, 20 + 5 + 6 * font + 8 + 6 * font + 10);
    let (bar_x, bar_w) = (margin + side + 24, 24);
    let label_x = bar_x + bar_w + 10;
    let width = label_x + glyph_w("0.00") + 12 + 5 * font + 20;
    let height = top + side + bottom;
    let mut cv = Canvas::new(width, height);

    for ((i, j), &v) in dens.indexed_iter() {
        cv.fill(
            margin + j * cell,
            top + i * cell,
            cell,
            cell,
            colour(v, vmin, vmax),
        );
    }
    cv.frame(margin, top, side, side);

    // Axes: five ticks over [x1, x2] along the bottom (x) and the left (y, upwards).
    let (x1, x2) = extent;
    for k in 0..=4 {
        let v = x1 + (x2 - x1) * k as f64 / 4.0;
        let label = format!("{v}");
        let px = margin + (side - 1) * k / 4;
        cv.fill(px, top + side, 1, 5, [0, 0, 0]);
        cv.text(
            (px + 1).saturating_sub(glyph_w(&label) / 2),
            top + side + 8,
            &label,
            font,
        );
        let py = top + (side - 1) * (4 - k) / 4;
        cv.fill(margin - 6, py, 5, 1, [0, 0, 0]);
        cv.text(
            margin - 8 - glyph_w(&label),
            (py + 1).saturating_sub(5 * font / 2),
            &label,
            font,
        );
    }
    cv.text(
        margin + side / 2 - glyph_w("x") / 2,
        top + side + 8 + 6 * font + 6,
        "x",
        font,
    );
    cv.text(20, top + side / 2, "y", font);

    for y in 0..side {
        let v = vmax - (vmax - vmin) * y as f64 / (side - 1).max(1) as f64;
        cv.fill(bar_x, top + y, bar_w, 1, colour(v, vmin, vmax));
    }
    cv.frame(bar_x, top, bar_w, side);
    for k in 0..=5 {
        let y = top + (side - 1) * (5 - k) / 5;
        cv.fill(bar_x + bar_w, y, 5, 1, [0, 0, 0]);
        let v = vmin + (vmax - vmin) * k as f64 / 5.0;
        cv.text(
            label_x,
            (y + 1).saturating_sub(5 * font / 2),
            &format!("{v:.1}"),
            font,
        );
    }
    // The colour bar's label, above it.
    cv.text(bar_x - 8, top - 6 * font - 6, "density", font);
    cv.text(
        margin,
        (top - 5 * 3) / 2 - 6,
        &format!("diffusion, t={simtime:.3}"),
        3,
    );

    let file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut enc = png::Encoder::new(file, width as u32, height as u32);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header()?;
    writer.write_image_data(&cv.rgb)?;
    writer.finish()?;
    Ok(())
}

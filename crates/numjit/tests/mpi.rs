//! Owns the tests of `numjit::dist` under real MPI: `under_mpirun` launches this very test
//! binary with `mpirun -np N` (N = 1, 2, 3, 4; `--oversubscribe`), where `worker` runs every
//! scenario on every rank and compares each distributed result, gathered on rank 0, with the
//! single-process engine's result on the whole array, bit for bit.
//! Must not run MPI in the test harness's own process: MPI initialises once per process, so
//! every MPI call happens in the launched ranks.

use ndarray::{ArrayD, Dimension, IxDyn};
use numjit::dist::{mpi, DistArray, DistScript, DistVars, ProcessGrid};
use numjit::{Array, Vars};
use std::process::Command;
use std::time::{Duration, Instant};

const WORKER: &str = "NUMJIT_MPI_WORKER";

/// Runs the test `name` of this binary under `mpirun -np {np}` (with `WORKER` set, so that it
/// does its work), within `limit`; its exit status, standard output and error.
fn launch(np: usize, name: &str, limit: Duration) -> (std::process::ExitStatus, String, String) {
    let t = Instant::now();
    let exe = std::env::current_exe().expect("the test binary");
    let mut child = Command::new("mpirun")
        .args(["--oversubscribe", "--allow-run-as-root", "-np"])
        .arg(np.to_string())
        .arg(&exe)
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(WORKER, "1")
        .env("OMPI_MCA_rmaps_base_oversubscribe", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("mpirun (install openmpi-bin; see the README)");
    // Read the output as it comes, so that a full pipe never blocks the ranks.
    let drain = |r: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            if let Some(mut r) = r {
                r.read_to_string(&mut s).ok();
            }
            s
        })
    };
    let out_thread = drain(child.stdout.take().map(|r| Box::new(r) as _));
    let err_thread = drain(child.stderr.take().map(|r| Box::new(r) as _));
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if t.elapsed() > limit {
            child.kill().ok();
            panic!("mpirun -np {np} {name} did not finish within {limit:?} (a deadlock?)");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = out_thread.join().expect("stdout");
    let stderr = err_thread.join().expect("stderr");
    (status, stdout, stderr)
}

#[test]
fn under_mpirun() {
    if std::env::var_os(WORKER).is_some() {
        return;
    }
    for np in [1, 2, 3, 4] {
        // No deadlock: every scenario, error paths included, ends well within this.
        let (status, stdout, stderr) = launch(np, "worker", Duration::from_secs(180));
        assert!(
            status.success(),
            "mpirun -np {np} failed:\n{stdout}\n{stderr}"
        );
        for r in 0..np {
            let line = format!("rank {r} of {np}: every scenario passed");
            assert!(
                stdout.contains(&line),
                "no `{line}` in:\n{stdout}\n{stderr}"
            );
        }
    }
}

/// A panic inside numjit::dist on one rank (here in the user's `from_fn` closure, on rank
/// 1 only) aborts every rank, instead of leaving rank 0 waiting in the next collective.
#[test]
fn a_panic_on_one_rank_aborts_every_rank() {
    if std::env::var_os(WORKER).is_some() {
        return;
    }
    let (status, stdout, stderr) = launch(2, "panicking_worker", Duration::from_secs(60));
    assert!(!status.success(), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("deliberate panic on rank 1"),
        "no panic message in:\n{stdout}\n{stderr}"
    );
    // mpirun exits with the code passed to MPI_Abort (its help text saying so is not
    // always printed: Open MPI drops it when short of resources under load).
    assert_eq!(
        status.code(),
        Some(numjit::dist::PANIC_EXIT_CODE),
        "no MPI abort with numjit's code:\n{stdout}\n{stderr}"
    );
    assert!(!stdout.contains("went on"), "{stdout}");
}

#[test]
fn panicking_worker() {
    if std::env::var_os(WORKER).is_none() {
        return;
    }
    let universe = mpi::initialize().expect("MPI");
    let world = universe.world();
    let grid = ProcessGrid::new(&world, &[0, 0]).unwrap();
    let rank = grid.rank();
    let a = DistArray::<f64>::from_fn(&grid, &[8, 8], |i| {
        if rank == 1 {
            panic!("deliberate panic on rank 1");
        }
        i[0] as f64
    })
    .unwrap();
    // Without the abort, rank 0 would wait here for rank 1 forever.
    let whole = a.gather();
    println!("rank {rank} went on ({})", whole.is_some());
}

#[test]
fn worker() {
    if std::env::var_os(WORKER).is_none() {
        return;
    }
    let universe = mpi::initialize().expect("MPI");
    let world = universe.world();
    let (rank, size) = {
        use mpi::topology::Communicator;
        (world.rank() as usize, world.size() as usize)
    };
    // A failed assertion on one rank aborts them all: unwinding would finalise MPI on that
    // rank while the others wait for it in a collective.
    let scenarios = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut grids: Vec<Vec<usize>> = vec![vec![size, 1], vec![1, size], vec![0, 0]];
        grids.dedup();
        for dims in &grids {
            let grid = ProcessGrid::new(&world, dims).unwrap();
            for shape in [[13, 11], [9, 10], [size * 3 + 2, 2 * size + 3]] {
                stencils(&grid, &shape);
                reductions(&grid, &shape);
            }
            errors(&grid);
            checked_whole(&grid);
            empty_reductions(&grid);
            other_dtypes(&grid);
            reuse(&grid);
        }
        one_dimensional(&world, size);
        scatter_and_gather(&world);
        automatic_grids(&world, size);
    }));
    if scenarios.is_err() {
        use mpi::topology::Communicator;
        eprintln!("rank {rank} of {size}: a scenario failed; aborting every rank");
        world.abort(1);
    }
    println!("rank {rank} of {size}: every scenario passed");
}

/// A value that differs everywhere and has no exact pattern.
fn value(i: &[usize]) -> f64 {
    let mut x = 0.3;
    for (k, &v) in i.iter().enumerate() {
        x += ((v as f64 + 1.0) * (0.37 + k as f64)).sin() * (1.0 + 0.25 * k as f64);
    }
    x
}

fn dist(grid: &ProcessGrid, shape: &[usize], salt: f64) -> DistArray<f64> {
    DistArray::from_fn(grid, shape, |i| value(i) * salt).unwrap()
}

fn global(shape: &[usize], salt: f64) -> ArrayD<f64> {
    ArrayD::from_shape_fn(IxDyn(shape), |ix| value(ix.slice()) * salt)
}

fn same_bits(a: &ArrayD<f64>, b: &ArrayD<f64>) -> bool {
    a.shape() == b.shape() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// Runs `script` (over `next` writable and `dens` read-only, plus `c`) `steps` times with
/// the arrays swapped after each, distributed and on one process; compares bit for bit.
fn compare(grid: &ProcessGrid, shape: &[usize], script: &str, steps: usize, both_mut: bool) {
    let mut next = dist(grid, shape, 0.5);
    let mut dens = dist(grid, shape, 1.0);
    let s = DistScript::new(script).unwrap();
    for _ in 0..steps {
        let vars = if both_mut {
            DistVars::new()
                .bind_mut("next", &mut next)
                .bind_mut("dens", &mut dens)
        } else {
            DistVars::new()
                .bind_mut("next", &mut next)
                .bind("dens", &dens)
        };
        s.execute(vars.bind("c", 0.125)).unwrap();
        std::mem::swap(&mut next, &mut dens);
    }
    let (gn, gd) = (next.gather(), dens.gather());
    if grid.rank() == 0 {
        let mut n0 = global(shape, 0.5);
        let mut d0 = global(shape, 1.0);
        let one = numjit::compile_script(script).unwrap();
        for _ in 0..steps {
            if both_mut {
                one.execute(
                    Vars::new()
                        .bind_mut("next", &mut n0)
                        .bind_mut("dens", &mut d0)
                        .bind("c", 0.125),
                )
                .unwrap();
            } else {
                one.execute(
                    Vars::new()
                        .bind_mut("next", &mut n0)
                        .bind("dens", &d0)
                        .bind("c", 0.125),
                )
                .unwrap();
            }
            std::mem::swap(&mut n0, &mut d0);
        }
        let ctx = format!("{script} on {shape:?} over {:?}", grid.dims());
        assert!(same_bits(&gn.unwrap(), &n0), "next differs: {ctx}");
        assert!(same_bits(&gd.unwrap(), &d0), "dens differs: {ctx}");
    }
}

fn stencils(grid: &ProcessGrid, shape: &[usize]) {
    // The diffusion step: a halo of 1, edges only.
    compare(
        grid,
        shape,
        "next[1:-1, 1:-1] = dens[1:-1, 1:-1] + c*(dens[2:, 1:-1] + dens[:-2, 1:-1] + dens[1:-1, 2:] + dens[1:-1, :-2] - 4*dens[1:-1, 1:-1])",
        3,
        false,
    );
    // A halo of 2, with corners (diagonal offsets).
    compare(
        grid,
        shape,
        "next[2:-2, 2:-2] = dens[:-4, 2:-2] + dens[4:, 2:-2] + dens[2:-2, :-4] + c*dens[2:-2, 4:] - dens[1:-3, 3:-1] * dens[3:-1, 1:-3]",
        2,
        false,
    );
    // Uneven halos (2 below, 1 above, along both axes), a writable input and math functions.
    compare(
        grid,
        shape,
        "next[2:-1, 2:-1] = sqrt(abs(dens[:-3, 2:-1])) + exp(-dens[3:, 1:-2])",
        2,
        true,
    );
    // In place: NumPy's semantics (the right side before any write), across ranks too.
    compare(
        grid,
        shape,
        "dens[1:-1, 1:-1] = dens[:-2, 1:-1] + dens[2:, 2:] * c",
        2,
        true,
    );
    // Two statements: the second reads what the first wrote at an offset, so `next`'s halo
    // is exchanged again in between.
    compare(
        grid,
        shape,
        "next[1:-1, :] = dens[2:, :] - dens[:-2, :]; dens[1:-1, 1:-1] = next[2:, 1:-1] + next[:-2, :-2] + c",
        2,
        true,
    );
}

fn reductions(grid: &ProcessGrid, shape: &[usize]) {
    let dens = dist(grid, shape, 1.0);
    let ints = DistArray::<i64>::from_fn(grid, shape, |i| (i[0] * 31 + i[1] * 7) as i64 % 23 - 11)
        .unwrap();
    let run = |s: &str| -> Array {
        DistScript::new(s)
            .unwrap()
            .execute(DistVars::new().bind("dens", &dens).bind("k", &ints))
            .unwrap()
            .expect("a value")
    };
    let sum = run("sum(dens)");
    let shifted_min = run("min(dens[1:, :] - dens[:-1, :])");
    let shifted_max = run("max(dens[:, 2:] * dens[:, :-2])");
    let int_sum = run("sum(k[1:, 1:] * k[:-1, :-1])");
    let int_prod = run("prod(k[2:3, :] % 3 + 1)");
    let ratio = run("sum(dens) / max(dens) + min(k)");
    let g = global(shape, 1.0);
    let gk = ArrayD::from_shape_fn(IxDyn(shape), |ix| (ix[0] * 31 + ix[1] * 7) as i64 % 23 - 11);
    // The documented order: each rank's block reduced by numjit, then numjit's sum of the
    // partials in rank order. On one rank that is the single-process sum.
    let b = numjit::dist::Blocks::new(shape, grid.dims()).unwrap();
    let partials: Vec<f64> = (0..grid.size())
        .map(|r| {
            let (lo, hi) = b.block(&grid.coords_of(r));
            let block = g.slice(ndarray::s![lo[0]..hi[0], lo[1]..hi[1]]).to_owned();
            *numjit::eval("sum(x)", numjit::vars! {"x" => &block})
                .unwrap()
                .as_f64()
                .unwrap()
                .first()
                .unwrap()
        })
        .collect();
    let oracle = numjit::eval("sum(p)", numjit::vars! {"p" => &partials}).unwrap();
    assert_eq!(sum, oracle, "sum over {:?}", grid.dims());
    if grid.size() == 1 {
        assert_eq!(sum, numjit::eval("sum(g)", numjit::vars! {g}).unwrap());
    }
    let one = |s: &str| numjit::eval(s, numjit::vars! {"dens" => &g, "k" => &gk}).unwrap();
    assert_eq!(shifted_min, one("min(dens[1:, :] - dens[:-1, :])"));
    assert_eq!(shifted_max, one("max(dens[:, 2:] * dens[:, :-2])"));
    assert_eq!(int_sum, one("sum(k[1:, 1:] * k[:-1, :-1])"));
    assert_eq!(int_prod, one("prod(k[2:3, :] % 3 + 1)"));
    // mean: the distributed sum (the order above) over the global count, however the
    // blocks split (unevenly here); for integers and bools the float64 sum is exact, so the
    // oracle is the plain integer count over the number of elements.
    let n = (shape[0] * shape[1]) as f64;
    let s0 = *sum.as_f64().unwrap().first().unwrap();
    assert_eq!(run("mean(dens)").as_f64().unwrap().first(), Some(&(s0 / n)));
    let exact: i64 = gk.slice(ndarray::s![1.., ..]).sum();
    let rows = ((shape[0] - 1) * shape[1]) as f64;
    let kmean = run("mean(k[1:, :])");
    assert_eq!(kmean.dtype(), numjit::DType::Float64);
    assert_eq!(
        kmean.as_f64().unwrap().first(),
        Some(&(exact as f64 / rows))
    );
    let positive = gk.iter().filter(|&&v| v > 0).count() as f64;
    assert_eq!(
        run("mean(k > 0)").as_f64().unwrap().first(),
        Some(&(positive / n))
    );
    assert!(run("mean(dens[:0, :])")
        .as_f64()
        .unwrap()
        .first()
        .unwrap()
        .is_nan());
    assert_eq!(run("any(k == 11)"), one("any(k == 11)"));
    assert_eq!(run("all(k[:, 1:] > -11)"), one("all(k[:, 1:] > -11)"));
    let want = sum.as_f64().unwrap().first().unwrap()
        / one("max(dens)").as_f64().unwrap().first().unwrap()
        + *one("min(k)").as_i64().unwrap().first().unwrap() as f64;
    assert_eq!(ratio.as_f64().unwrap().first(), Some(&want));

    // A reduction inside an assignment, bound before the statement writes.
    let mut out = DistArray::<f64>::zeros(grid, shape).unwrap();
    DistScript::new("out[:, :] = dens / sum(dens) - min(k)")
        .unwrap()
        .execute(
            DistVars::new()
                .bind_mut("out", &mut out)
                .bind("dens", &dens)
                .bind("k", &ints),
        )
        .unwrap();
    let got = out.gather();
    if grid.rank() == 0 {
        let s = *sum.as_f64().unwrap().first().unwrap();
        let m = *one("min(k)").as_i64().unwrap().first().unwrap();
        let want = numjit::eval("g / s - m", numjit::vars! {g, s, m}).unwrap();
        assert!(same_bits(&got.unwrap(), want.as_f64().unwrap()));
    }
}

fn errors(grid: &ProcessGrid) {
    let n = grid.size();
    let shape = [2 * grid.dims()[0] + 1, 2 * grid.dims()[1] + 1];
    let mut next = dist(grid, &shape, 1.0);
    let dens = dist(grid, &shape, 2.0);
    let run = |s: &str, next: &mut DistArray<f64>| {
        DistScript::new(s)
            .unwrap()
            .execute(DistVars::new().bind_mut("next", next).bind("dens", &dens))
            .map(|_| ())
            .unwrap_err()
            .to_string()
    };
    // Past the neighbouring rank: the smallest block has 2 rows.
    if grid.dims()[0] > 1 {
        let e = run("next[:-3, :] = dens[3:, :]", &mut next);
        assert!(
            e.contains("reads 3 elements past a rank's block along axis 0, but the smallest block along that axis has 2"),
            "{e}"
        );
    }
    // Found by the engine on each rank's local statement, returned on every rank.
    let e = run("next[1:, :] = dens[:-1, :] + nope", &mut next);
    assert!(e.starts_with("error: unknown name `nope`"), "{e}");
    // Only the ranks owning row 0 run this statement and meet the error; the others get it
    // from them, caret and all, instead of going on alone.
    let e = run("next[:1, :] = dens[:1, :] * nope", &mut next);
    assert_eq!(
        e,
        "error: unknown name `nope`\n  next[:1, :] = dens[:1, :] * nope\n                              ^^^^"
    );
    let e = run("next[:, :] = dens & 1", &mut next);
    assert!(e.contains("error: "), "{e}");
    let e = run("next[1:, :] = dens", &mut next);
    assert!(e.contains("without broadcasting"), "{e}");
    // A shape that does not split over the grid: the same error everywhere, nothing sent.
    if n > 1 {
        let e = DistArray::<f64>::zeros(grid, &[1, 1])
            .unwrap_err()
            .to_string();
        assert!(e.contains("does not split over the process grid"), "{e}");
    }
    // Arrays of different shapes.
    let other = dist(grid, &[shape[0] + 1, shape[1]], 1.0);
    let e = DistScript::new("next[:, :] = other")
        .unwrap()
        .execute(
            DistVars::new()
                .bind_mut("next", &mut next)
                .bind("other", &other),
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("share one shape"), "{e}");
    // After all that, nothing is left in flight: a normal run works.
    let before = dens.gather();
    DistScript::new("next[1:-1, :] = dens[2:, :] + dens[:-2, :]")
        .unwrap()
        .execute(
            DistVars::new()
                .bind_mut("next", &mut next)
                .bind("dens", &dens),
        )
        .unwrap();
    let after = next.gather();
    if grid.rank() == 0 {
        let (d, a) = (before.unwrap(), after.unwrap());
        for i in 1..shape[0] - 1 {
            for j in 0..shape[1] {
                assert_eq!(a[[i, j]], d[[i + 1, j]] + d[[i - 1, j]]);
            }
        }
    }
}

fn one_dimensional(world: &mpi::topology::SimpleCommunicator, size: usize) {
    let grid = ProcessGrid::new(world, &[size]).unwrap();
    for len in [4 * size + 3, 5 * size] {
        let shape = [len];
        for script in [
            "next[1:-1] = dens[:-2] + dens[2:] - 2*dens[1:-1]",
            "next[2:-2] = dens[:-4] - dens[4:] + c*dens[1:-3]",
        ] {
            compare(&grid, &shape, script, 3, false);
        }
        let dens = dist(&grid, &shape, 1.0);
        let s = DistScript::new("sum(dens[1:] * dens[:-1])")
            .unwrap()
            .execute(DistVars::new().bind("dens", &dens))
            .unwrap()
            .unwrap();
        if size == 1 {
            let g = global(&shape, 1.0);
            let want = numjit::eval("sum(g[1:] * g[:-1])", numjit::vars! {g}).unwrap();
            assert_eq!(s, want);
        }
    }
}

fn scatter_and_gather(world: &mpi::topology::SimpleCommunicator) {
    let grid = ProcessGrid::new(world, &[0, 0]).unwrap();
    let shape = [9, 7];
    let g = global(&shape, 3.0);
    let is_root = grid.rank() == 0;
    let a = DistArray::scatter(&grid, is_root.then(|| g.view())).unwrap();
    // Each rank's block is the global array's box it owns.
    let (lo, hi) = a.owned();
    let want = g.slice(ndarray::s![lo[0]..hi[0], lo[1]..hi[1]]).into_dyn();
    assert_eq!(a.local().view(), want);
    let back = a.gather();
    assert_eq!(back.is_some(), is_root);
    if let Some(b) = back {
        assert!(same_bits(&b, &g));
    }
    // Rank 0 passing nothing is an error on every rank.
    let e = DistArray::<f64>::scatter(&grid, None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("rank 0 passed no array"), "{e}");
    // Local views write through.
    let mut a = a;
    a.local_mut().fill(1.5);
    let total = DistScript::new("sum(a)")
        .unwrap()
        .execute(DistVars::new().bind("a", &a))
        .unwrap()
        .unwrap();
    assert_eq!(total.as_f64().unwrap().first(), Some(&(1.5 * 63.0)));
}

fn automatic_grids(world: &mpi::topology::SimpleCommunicator, size: usize) {
    let grid = ProcessGrid::for_shape(world, &[100, 3]).unwrap();
    assert_eq!(grid.dims(), &[size, 1]);
    let grid = ProcessGrid::for_shape(world, &[3, 100]).unwrap();
    assert_eq!(grid.dims(), &[1, size]);
    let e = ProcessGrid::new(world, &[size + 1, 1])
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not fit"), "{e}");
}

/// float32, int32, bool and complex128 blocks through halos (float32 minus int32 is float64) (each dtype's bytes in messages),
/// against the single-process run.
fn other_dtypes(grid: &ProcessGrid) {
    use numjit::Complex64;
    let shape = [11, 10];
    let f = |i: &[usize]| value(i) as f32;
    let n = |i: &[usize]| (i[0] * 7 + i[1] * 3) as i32 % 5 - 2;
    let b = |i: &[usize]| (i[0] + 2 * i[1]).is_multiple_of(3);
    let z = |i: &[usize]| Complex64::new(value(i), -value(&[i[1], i[0]]));
    let x = DistArray::<f32>::from_fn(grid, &shape, f).unwrap();
    let k = DistArray::<i32>::from_fn(grid, &shape, n).unwrap();
    let m = DistArray::<bool>::from_fn(grid, &shape, b).unwrap();
    let w = DistArray::<Complex64>::from_fn(grid, &shape, z).unwrap();
    let mut y = DistArray::<f64>::zeros(grid, &shape).unwrap();
    let mut c = DistArray::<bool>::zeros(grid, &shape).unwrap();
    let mut v = DistArray::<Complex64>::zeros(grid, &shape).unwrap();
    let script = "y[1:-1, 1:] = x[2:, :-1] * 0.5 + x[:-2, 1:] - k[1:-1, :-1]; \
                  c[1:, :-1] = m[:-1, 1:] | (x[1:, :-1] > 0); \
                  v[:-1, 1:-1] = w[1:, 2:] * 1j + w[:-1, :-2] * k[:-1, 1:-1]";
    DistScript::new(script)
        .unwrap()
        .execute(
            DistVars::new()
                .bind_mut("y", &mut y)
                .bind_mut("c", &mut c)
                .bind_mut("v", &mut v)
                .bind("x", &x)
                .bind("k", &k)
                .bind("m", &m)
                .bind("w", &w),
        )
        .unwrap();
    let (gy, gc, gv) = (y.gather(), c.gather(), v.gather());
    // A float32 mean stays float32 (summed in float32, as NumPy and numjit do); on one rank
    // it is the single-process mean bit for bit.
    let xm = DistScript::new("mean(x)")
        .unwrap()
        .execute(DistVars::new().bind("x", &x))
        .unwrap()
        .unwrap();
    assert_eq!(xm.dtype(), numjit::DType::Float32);
    let zm = DistScript::new("mean(w[1:, :])")
        .unwrap()
        .execute(DistVars::new().bind("w", &w))
        .unwrap()
        .unwrap();
    assert_eq!(zm.dtype(), numjit::DType::Complex128);
    if grid.rank() == 0 && grid.size() == 1 {
        let x0 = ArrayD::from_shape_fn(IxDyn(&shape), |i| f(i.slice()));
        let w0 = ArrayD::from_shape_fn(IxDyn(&shape), |i| z(i.slice()));
        assert_eq!(xm, numjit::eval("mean(x0)", numjit::vars! {x0}).unwrap());
        assert_eq!(
            zm,
            numjit::eval("mean(w0[1:, :])", numjit::vars! {w0}).unwrap()
        );
    }
    if grid.rank() == 0 {
        let g =
            |f: &dyn Fn(&[usize]) -> f32| ArrayD::from_shape_fn(IxDyn(&shape), |i| f(i.slice()));
        let x0 = g(&f);
        let k0 = ArrayD::from_shape_fn(IxDyn(&shape), |i| n(i.slice()));
        let m0 = ArrayD::from_shape_fn(IxDyn(&shape), |i| b(i.slice()));
        let w0 = ArrayD::from_shape_fn(IxDyn(&shape), |i| z(i.slice()));
        let mut y0 = ArrayD::<f64>::zeros(IxDyn(&shape));
        let mut c0 = ArrayD::from_elem(IxDyn(&shape), false);
        let mut v0 = ArrayD::from_elem(IxDyn(&shape), Complex64::new(0.0, 0.0));
        numjit::execute(
            script,
            Vars::new()
                .bind_mut("y", &mut y0)
                .bind_mut("c", &mut c0)
                .bind_mut("v", &mut v0)
                .bind("x", &x0)
                .bind("k", &k0)
                .bind("m", &m0)
                .bind("w", &w0),
        )
        .unwrap();
        let (gy, gc, gv) = (gy.unwrap(), gc.unwrap(), gv.unwrap());
        assert!(gy.iter().zip(&y0).all(|(a, b)| a.to_bits() == b.to_bits()));
        assert_eq!(gc, c0);
        assert!(gv
            .iter()
            .zip(&v0)
            .all(|(a, b)| a.re.to_bits() == b.re.to_bits() && a.im.to_bits() == b.im.to_bits()));
        assert!(c0.iter().any(|&t| t) && v0.iter().any(|t| t.im != 0.0));
    }
}

/// One `DistScript` over arrays of different shapes made in turn (likely at the same
/// addresses): each run gets the plan of its own arrays.
fn reuse(grid: &ProcessGrid) {
    let src = "next[1:-1, :-1] = dens[2:, 1:] - dens[:-2, :-1]";
    let s = DistScript::new(src).unwrap();
    for shape in [[9, 10], [12, 8], [9, 10], [10, 9]] {
        let mut next = dist(grid, &shape, 0.0);
        let dens = dist(grid, &shape, 1.0);
        s.execute(
            DistVars::new()
                .bind_mut("next", &mut next)
                .bind("dens", &dens),
        )
        .unwrap();
        let got = next.gather();
        if grid.rank() == 0 {
            let mut n0 = global(&shape, 0.0);
            let d0 = global(&shape, 1.0);
            numjit::execute(src, Vars::new().bind_mut("next", &mut n0).bind("dens", &d0)).unwrap();
            assert!(same_bits(&got.unwrap(), &n0), "{shape:?}");
        }
    }
}

/// A script of several statements is checked whole, on every rank, before any statement
/// writes: an error in a later statement leaves the arrays as they were.
fn checked_whole(grid: &ProcessGrid) {
    let shape = [2 * grid.dims()[0] + 3, 2 * grid.dims()[1] + 2];
    let mut next = dist(grid, &shape, 1.0);
    let dens = dist(grid, &shape, 2.0);
    let ints = DistArray::<i64>::from_fn(grid, &shape, |i| (i[0] + i[1]) as i64).unwrap();
    let before = next.gather();
    for (script, want) in [
        // Statement 2 names an unknown name; only the ranks owning row 0 have its cells.
        (
            "next[:, :] = dens * 3; next[:1, :] = dens[:1, :] + nope",
            "error: unknown name `nope`\n  next[:, :] = dens * 3; next[:1, :] = dens[:1, :] + nope\n                                                     ^^^^",
        ),
        // A dtype error after a reduction.
        (
            "next[1:, :] = dens[:-1, :] + sum(dens); next[:, :] = dens & 1",
            "error: ",
        ),
        // A complex result cast into a float64 target (no rank may write statement 1).
        ("next[:, :] = dens + k; next[:, 1:] = dens[:, :-1] * 1j", "error: "),
        // A reduction's value in a later statement, then min over nothing.
        (
            "next[:, :] = dens + 1; next[:, :] = next + min(dens[2:2, :])",
            "error: zero-size array to reduction operation minimum which has no identity",
        ),
    ] {
        let e = DistScript::new(script)
            .unwrap()
            .execute(
                DistVars::new()
                    .bind_mut("next", &mut next)
                    .bind("dens", &dens)
                    .bind("k", &ints),
            )
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(e.starts_with(want), "{script}: {e}");
        let after = next.gather();
        if grid.rank() == 0 {
            assert!(
                same_bits(before.as_ref().unwrap(), &after.unwrap()),
                "{script} wrote before its error"
            );
        }
    }
    // And a good script of several statements still runs, against the single-process run.
    let src = "next[:, :] = dens * 3 + k; next[1:, :] = next[:-1, :] - sum(dens)";
    DistScript::new(src)
        .unwrap()
        .execute(
            DistVars::new()
                .bind_mut("next", &mut next)
                .bind("dens", &dens)
                .bind("k", &ints),
        )
        .unwrap();
    let got = next.gather();
    if grid.rank() == 0 {
        let mut n0 = before.unwrap();
        let d0 = global(&shape, 2.0);
        let k0 = ArrayD::from_shape_fn(IxDyn(&shape), |i| (i[0] + i[1]) as i64);
        // The distributed sum's order (block partials, then rank order) is not the
        // single-process one for several ranks: take the sum from the distributed run.
        let total = DistScript::new("sum(dens)")
            .unwrap()
            .execute(DistVars::new().bind("dens", &dens))
            .unwrap();
        let total = *total.unwrap().as_f64().unwrap().first().unwrap();
        numjit::execute(
            "next[:, :] = dens * 3 + k; next[1:, :] = next[:-1, :] - total",
            Vars::new()
                .bind_mut("next", &mut n0)
                .bind("dens", &d0)
                .bind("k", &k0)
                .bind("total", total),
        )
        .unwrap();
        assert!(same_bits(&got.unwrap(), &n0));
    } else {
        // Every rank takes part in the collective `sum` above.
        DistScript::new("sum(dens)")
            .unwrap()
            .execute(DistVars::new().bind("dens", &dens))
            .unwrap();
    }
}

/// Reductions over no elements of distributed arrays: NumPy's identities for `sum` and
/// `prod` (0 and 1, in NumPy's result dtype), NumPy's error for `min` and `max`, on every
/// rank.
fn empty_reductions(grid: &ProcessGrid) {
    let shape = [grid.dims()[0] + 4, grid.dims()[1] + 3];
    let dens = dist(grid, &shape, 1.0);
    let small = DistArray::<i32>::from_fn(grid, &shape, |i| i[0] as i32 + 2).unwrap();
    let run = |s: &str| {
        DistScript::new(s)
            .unwrap()
            .execute(DistVars::new().bind("dens", &dens).bind("small", &small))
    };
    let value = |s: &str| run(s).unwrap().expect("a value");
    let sum = value("sum(dens[3:3, :])");
    assert_eq!(sum.dtype(), numjit::DType::Float64);
    assert_eq!(sum.as_f64().unwrap().first(), Some(&0.0));
    let prod = value("prod(dens[:, 5:2] * 2)");
    assert_eq!(prod.as_f64().unwrap().first(), Some(&1.0));
    // int32 sums and products are int64, as in NumPy on 64-bit Linux.
    let isum = value("sum(small[:0, :])");
    assert_eq!(isum.as_i64().unwrap().first(), Some(&0));
    let iprod = value("prod(small[1:1, 1:])");
    assert_eq!(iprod.as_i64().unwrap().first(), Some(&1));
    // Combined with a non-empty one.
    let mixed = value("sum(dens[:0, :]) + prod(small[:1, :1])");
    assert_eq!(mixed.as_f64().unwrap().first(), Some(&2.0));
    // A region that is empty on some ranks only: the others' partials.
    let corner = value("sum(small[:1, :1])");
    assert_eq!(corner.as_i64().unwrap().first(), Some(&2));
    for (s, name) in [
        ("min(dens[2:2, :])", "minimum"),
        ("max(small[:, :0] + 1)", "maximum"),
    ] {
        let e = run(s).unwrap_err();
        assert_eq!(e.kind(), numjit::ErrorKind::Shape);
        assert_eq!(
            e.message(),
            format!("zero-size array to reduction operation {name} which has no identity")
        );
    }
}

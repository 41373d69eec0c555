#!/usr/bin/env python3
"""The IHPCSS diffusion example under numba and NumPy, beside numjit's example, in one run.

    pip install numpy numba
    python3 crates/numjit/benches/diffusion_peers.py                  # 301x301, 13,410 steps
    python3 crates/numjit/benches/diffusion_peers.py --grid 1999 --steps 100

Each peer runs the seed's scheme operation for operation (`C + c*(S + N + E + W - 4*C)`, the
boundary never written) from the same initial density as `examples/diffusion.rs`, so every
checksum must equal numjit's bit for bit: numba `@njit` (1 thread) and `@njit(parallel=True)`
with `prange` over rows (2 threads), and NumPy slicing (the seed itself). numjit runs as
`cargo run --release --example diffusion -- --threads T`; the script builds it first and
prints the times of all of them side by side (each the best of `--repeat` runs, since the
development machine is shared).
"""

import argparse
import os
import re
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def params(grid, steps):
    d, x1, x2, runtime = 1.0, -10.0, 10.0, 15.0
    nrows = grid if grid else int((x2 - x1) / 0.0667)
    dx = (x2 - x1) / nrows
    dt = 0.25 * (dx * dx) / d
    nsteps = steps if steps else int(runtime / dt)
    return nrows + 2, (d / (dx * dx)) * dt, nsteps, dx


def initial(npnts, dx):
    x1, x2 = -10.0, 10.0
    start = x1 - dx
    step = (x2 - start) / (npnts - 1)
    x = np.arange(npnts) * step + start
    x[-1] = x2
    mid = (x1 + x2) / 2
    a = 1.0 - np.abs(1.0 - 4.0 * np.abs((x - mid) / (x2 - x1)))
    dens = np.zeros((npnts, npnts))
    dens[1:-1, 1:-1] = a[1:-1, None] * a[None, 1:-1]
    return dens


def checksum(dens):
    # Row-major order, one element at a time, as the Rust example sums.
    return float(sum(dens.reshape(-1).tolist()))


def run_numpy(dens, c, steps):
    nxt = dens.copy()
    t = time.perf_counter()
    for _ in range(steps):
        nxt[1:-1, 1:-1] = dens[1:-1, 1:-1] + c * (
            dens[2:, 1:-1] + dens[:-2, 1:-1] + dens[1:-1, 2:] + dens[1:-1, :-2] - 4 * dens[1:-1, 1:-1])
        dens, nxt = nxt, dens
    return time.perf_counter() - t, dens


def numba_steppers():
    import numba

    def step(dens, nxt, c):
        n, m = dens.shape
        for i in numba.prange(1, n - 1):
            for j in range(1, m - 1):
                nxt[i, j] = dens[i, j] + c * (dens[i + 1, j] + dens[i - 1, j] + dens[i, j + 1]
                                              + dens[i, j - 1] - 4 * dens[i, j])

    serial = numba.njit(step)
    parallel = numba.njit(parallel=True)(step)
    return serial, parallel, numba


def run_numba(fn, dens, c, steps):
    nxt = dens.copy()
    fn(dens, nxt.copy(), c)  # compile
    t = time.perf_counter()
    for _ in range(steps):
        fn(dens, nxt, c)
        dens, nxt = nxt, dens
    return time.perf_counter() - t, dens


def run_numjit(grid, steps, threads):
    cmd = [os.path.join(ROOT, "target", "release", "examples", "diffusion"), "--threads", str(threads)]
    if grid:
        cmd += ["--grid", str(grid)]
    if steps:
        cmd += ["--steps", str(steps)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    total = float(re.search(r"time stepping \(numjit[^)]*\): ([0-9.]+) s", out).group(1))
    chk = re.search(r"checksum sum=(\S+)", out).group(1)
    return total, chk


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--grid", type=int, default=0, help="interior points per axis (default: the seed's 299)")
    ap.add_argument("--steps", type=int, default=0, help="time steps (default: the seed's)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each, best kept")
    ap.add_argument("--no-numpy", action="store_true", help="skip the (slow) NumPy run")
    o = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--example", "diffusion"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    npnts, c, steps, dx = params(o.grid, o.steps)
    dens0 = initial(npnts, dx)
    serial, parallel, numba = numba_steppers()
    rows = []
    for threads in (1, 2):
        numba.set_num_threads(threads)
        best = {}
        for _ in range(o.repeat):
            t, chk = run_numjit(o.grid, o.steps, threads)
            best["numjit"] = min(best.get("numjit", (1e9, ""))[0], t), chk
            fn = serial if threads == 1 else parallel
            t, d = run_numba(fn, dens0.copy(), c, steps)
            best["numba"] = min(best.get("numba", (1e9, ""))[0], t), repr(checksum(d))
        rows.append((threads, best))
    if not o.no_numpy:
        t, d = run_numpy(dens0.copy(), c, steps)
        rows.append(("NumPy, 1", {"numpy": (t, repr(checksum(d)))}))
    print(f"diffusion {npnts}x{npnts}, {steps} steps (best of {o.repeat}; seconds of time stepping)")
    for threads, best in rows:
        cells = ", ".join(f"{k} {t:.3f} s (sum={chk})" for k, (t, chk) in best.items())
        if "numjit" in best:
            ratio = best["numjit"][0] / best["numba"][0]
            cells += f"; numjit / numba = {ratio:.2f}"
        print(f"  threads {threads}: {cells}")
    sums = {chk for _, best in rows for _, chk in best.values()}
    if len(sums) != 1:
        print(f"checksums differ: {sums}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

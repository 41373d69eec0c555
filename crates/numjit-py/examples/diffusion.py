"""Usage: python crates/numjit-py/examples/diffusion.py [--grid NROWS] [--steps N] [--threads T]

Two-dimensional diffusion on the square [-10, 10]^2, after the IHPCSS 2017 "HPC Python
Programming" seed (Ramses van Zon's diff2d), each time step one `numjit.execute` of a
statement on shifted slices of the density, written into `nxt` in place:

    nxt[1:-1, 1:-1] = dens[1:-1, 1:-1] + (D/dx**2)*dt*(dens[2:, 1:-1] + dens[:-2, 1:-1]
                                                      + dens[1:-1, 2:] + dens[1:-1, :-2]
                                                      - 4*dens[1:-1, 1:-1])

then the buffers swap. It prints the simulation time every 0.5 time units, then
`checksum sum=<sum of all dens> center=<dens[npnts/2, npnts/2]>`: the same numbers as
`cargo run --release --example diffusion` (sum=8056.974865175307 on the seed grid), and a
NumPy run of the same scheme agrees to 1e-12. It ends in those assertions.
"""

import argparse
import time

import numpy as np

import numjit

STEP = (
    "nxt[1:-1, 1:-1] = dens[1:-1, 1:-1] + (D/dx**2)*dt*(dens[2:, 1:-1] + dens[:-2, 1:-1]"
    " + dens[1:-1, 2:] + dens[1:-1, :-2] - 4*dens[1:-1, 1:-1])"
)


def initial(x1, x2, dx, npnts):
    """Zero on the boundary, a(x_i)*a(x_j) inside (two tents per axis), as in the seed."""
    x = np.linspace(x1 - dx, x2, npnts)
    a = 1 - np.abs(1 - 4 * np.abs((x - (x1 + x2) / 2) / (x2 - x1)))
    dens = np.zeros((npnts, npnts))
    dens[1:-1, 1:-1] = np.outer(a[1:-1], a[1:-1])
    return dens


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grid", type=int, help="interior points per axis (default: the seed's)")
    ap.add_argument("--steps", type=int, help="number of time steps (default: runtime/dt)")
    ap.add_argument("--threads", type=int, help="numjit threads (default: numjit's choice)")
    o = ap.parse_args()
    if o.threads:
        numjit.set_num_threads(o.threads)

    D, x1, x2, runtime, outtime = 1.0, -10.0, 10.0, 15.0, 0.5
    nrows = o.grid or int((x2 - x1) / 0.0667)
    npnts = nrows + 2
    dx = (x2 - x1) / nrows
    dt = 0.25 * dx**2 / D
    nsteps = o.steps if o.steps is not None else int(runtime / dt)
    nper = max(1, int(outtime / dt))

    dens = initial(x1, x2, dx, npnts)
    nxt = dens.copy()
    start = dens.copy()
    simtime = 0.0 * dt
    print(f"simtime {simtime}")
    t0 = time.perf_counter()
    for s in range(1, nsteps + 1):
        numjit.execute(STEP)
        dens, nxt = nxt, dens
        simtime += dt
        if s % nper == 0:
            print(f"simtime {simtime}")
    elapsed = time.perf_counter() - t0

    total = 0.0
    for v in dens.ravel().tolist():  # row-major order, as the Rust example sums
        total += v
    center = float(dens[npnts // 2, npnts // 2])
    print(f"checksum sum={total!r} center={center!r}")
    print(f"numjit.execute: {elapsed:.3f} s for {nsteps} steps, {elapsed * 1e6 / max(nsteps, 1):.1f} µs per step")

    # The same scheme in NumPy, as the oracle (boundary untouched, buffers swapped).
    ref, ref_next = start.copy(), start.copy()
    c = (D / dx**2) * dt
    for _ in range(nsteps):
        lap = ref[2:, 1:-1] + ref[:-2, 1:-1] + ref[1:-1, 2:] + ref[1:-1, :-2] - 4 * ref[1:-1, 1:-1]
        ref_next[1:-1, 1:-1] = ref[1:-1, 1:-1] + c * lap
        ref, ref_next = ref_next, ref
    np.testing.assert_allclose(dens, ref, rtol=1e-12, atol=1e-15)
    assert 0.0 <= dens.min() and dens.max() <= 1.0
    assert total <= start.sum() + 1e-9  # mass only leaves through the boundary
    if o.grid is None and o.steps is None:
        assert total == 8056.974865175307, total


if __name__ == "__main__":
    main()

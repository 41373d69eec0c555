"""Usage: mpirun -np N python crates/numjit-py/examples/diffusion_mpi.py [--grid NROWS] [--steps N] [--threads T] [--check]

examples/diffusion.py on any number of MPI ranks with mpi4py, as the IHPCSS HPC Python course
teaches it: the grid split in blocks over a Cartesian process grid, each rank holding its
block plus a halo, neighbours exchanging halo rows and columns every step with non-blocking
Isend/Irecv, and each rank computing its block with `numjit.execute` of the very statement
of the single-process example,

    nxt[1:-1, 1:-1] = dens[1:-1, 1:-1] + (D/dx**2)*dt*(dens[2:, 1:-1] + dens[:-2, 1:-1]
                                                      + dens[1:-1, 2:] + dens[1:-1, :-2]
                                                      - 4*dens[1:-1, 1:-1])

run on views of the local arrays. numjit says how wide the halo must be:
`numjit.halo_widths` reads it from the statement's slice offsets (1 cell on each side
of each split axis for `dens`, none for `nxt`). While the halo messages travel, the cells
that need none are computed; then the rims.

Rank 0 gathers the blocks and prints `checksum sum=<sum of all dens> center=<...>`, the sum
taken in row-major order, formatted as the Rust examples print it: the same line as
`cargo run --release --example diffusion` with the same flags, bit for bit, on any number of
ranks (every cell is computed by the same kernel arithmetic from the same neighbours).
`--check`: rank 0 also runs the single-process numjit loop on the whole grid and asserts
that every element is bit-identical. It ends in assertions, so running it is a test.

Needs mpi4py (`pip install mpi4py`, over the system's MPI: Debian's openmpi-bin and
libopenmpi-dev) next to numjit.
"""

import argparse
import time
from decimal import Decimal

import numpy as np
from mpi4py import MPI

import numjit
from numjit import halo_widths

STEP = (
    "nxt[1:-1, 1:-1] = dens[1:-1, 1:-1] + (D/dx**2)*dt*(dens[2:, 1:-1] + dens[:-2, 1:-1]"
    " + dens[1:-1, 2:] + dens[1:-1, :-2] - 4*dens[1:-1, 1:-1])"
)
#: How far the statement's target, `nxt[1:-1, 1:-1]`, stays from each end of each axis: the
#: rank runs the statement on views that reach this far around the cells it computes.
MARGIN = 1


def rust_float(x):
    """`x` as Rust's `{}` prints an f64 (shortest round-trip digits, never an exponent, no
    `.0` on integers), so that the checksum line matches the Rust examples' character for
    character."""
    s = repr(float(x))
    if "e" in s:
        s = format(Decimal(s), "f")
    return s[:-2] if s.endswith(".0") else s


def profile(x1, x2, dx, npnts):
    """The seed's `a(x_i)` along one axis (two tents), as examples/diffusion.py has it."""
    x = np.linspace(x1 - dx, x2, npnts)
    return 1 - np.abs(1 - 4 * np.abs((x - (x1 + x2) / 2) / (x2 - x1)))


def split(n, p, i):
    """Part `i` of `p` of range(n): n // p indices, one more for the first n % p parts (as
    numjit::dist::Blocks splits)."""
    q, r = divmod(n, p)
    start = i * q + min(i, r)
    return start, start + q + (1 if i < r else 0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grid", type=int, help="interior points per axis (default: the seed's)")
    ap.add_argument("--steps", type=int, help="number of time steps (default: runtime/dt)")
    ap.add_argument("--threads", type=int, help="numjit threads per rank (default: numjit's)")
    ap.add_argument("--check", action="store_true", help="compare with one process, bit for bit")
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

    # The process grid: a Cartesian communicator, non-periodic.
    world = MPI.COMM_WORLD
    dims = MPI.Compute_dims(world.size, 2)
    cart = world.Create_cart(dims, periods=[False, False], reorder=False)
    coords = cart.Get_coords(cart.rank)
    root = cart.rank == 0
    own = [split(npnts, dims[k], coords[k]) for k in range(2)]  # [lo, hi) per axis
    ext = [hi - lo for lo, hi in own]

    # The halo, from the statement's offsets; the buffers swap, so each gets the widest.
    scalars = {"D": D, "dx": dx, "dt": dt}
    halo = halo_widths(STEP, (npnts, npnts), ["nxt", "dens"], grid=dims, scalars=scalars)
    below = [max(h[k][0] for h in halo.values()) for k in range(2)]
    above = [max(h[k][1] for h in halo.values()) for k in range(2)]
    # Neighbours along each axis (MPI.PROC_NULL past the grid's edge: no message).
    nbr = [cart.Shift(k, 1) for k in range(2)]  # (rank below, rank above) per axis

    a = profile(x1, x2, dx, npnts)
    start = np.zeros((npnts, npnts))
    start[1:-1, 1:-1] = np.outer(a[1:-1], a[1:-1])
    shape = tuple(below[k] + ext[k] + above[k] for k in range(2))
    mine = tuple(slice(below[k], below[k] + ext[k]) for k in range(2))
    dens = np.zeros(shape)
    dens[mine] = start[own[0][0]:own[0][1], own[1][0]:own[1][1]]
    nxt = dens.copy()  # both hold the initial density: the boundary, never written, stays

    def local(g, k):
        """The local index of global index `g` along axis `k`."""
        return g - own[k][0] + below[k]

    def compute(box, dens, nxt):
        """Runs the statement for the global cells `box` ([lo, hi) per axis) of this rank,
        on views of the local arrays reaching MARGIN around them."""
        if any(lo >= hi for lo, hi in box):
            return
        view = tuple(
            slice(local(lo - MARGIN, k), local(hi + MARGIN, k)) for k, (lo, hi) in enumerate(box)
        )
        numjit.execute(STEP, {"nxt": nxt[view], "dens": dens[view], **scalars})

    # The cells this rank computes (the statement's target within its block), the interior
    # among them (reads no halo cell), and the slabs around the interior.
    target = [(max(MARGIN, lo), min(npnts - MARGIN, hi)) for lo, hi in own]
    inner = []
    for k, (lo, hi) in enumerate(target):
        ilo = own[k][0] + below[k] if nbr[k][0] != MPI.PROC_NULL else lo
        ihi = own[k][1] - above[k] if nbr[k][1] != MPI.PROC_NULL else hi
        inner.append((max(lo, ilo), min(hi, max(ihi, ilo))))
    rims = []
    for k in range(2):
        for side in (0, 1):
            box = [inner[j] if j < k else target[j] for j in range(2)]
            box[k] = (target[k][0], inner[k][0]) if side == 0 else (inner[k][1], target[k][1])
            rims.append(box)
    if any(lo >= hi for lo, hi in inner):  # no interior: everything is rim
        rims, inner = [target], [(0, 0), (0, 0)]

    def faces(k, side):
        """The local boxes (as slices) of the owned cells sent towards `side` along axis `k`,
        and of the halo cells received from there, over the owned range of the other axis."""
        j = 1 - k
        other = slice(below[j], below[j] + ext[j])
        if side == 0:  # towards the rank below: my first `above` rows fill its halo above
            send = slice(below[k], below[k] + above[k])
            recv = slice(0, below[k])
        else:
            send = slice(below[k] + ext[k] - below[k], below[k] + ext[k])
            recv = slice(below[k] + ext[k], shape[k])
        if k == 0:
            return (send, other), (recv, other)
        return (other, send), (other, recv)

    def step(dens, nxt):
        reqs, landing = [], []
        for k in range(2):
            for side in (0, 1):
                peer = nbr[k][side]
                if peer == MPI.PROC_NULL:
                    continue
                send, recv = faces(k, side)
                if dens[recv].size:
                    buf = np.empty(dens[recv].shape)
                    # Tags name the direction of travel: what goes down along axis k is
                    # received from above.
                    reqs.append(cart.Irecv(buf, source=peer, tag=2 * k + (1 - side)))
                    landing.append((recv, buf))
                if dens[send].size:
                    out = np.ascontiguousarray(dens[send])
                    landing.append((None, out))  # kept alive until the sends complete
                    reqs.append(cart.Isend(out, dest=peer, tag=2 * k + side))
        compute(inner, dens, nxt)  # while the halos travel
        MPI.Request.Waitall(reqs)
        for recv, buf in landing:
            if recv is not None:
                dens[recv] = buf
        for box in rims:
            compute(box, dens, nxt)

    simtime = 0.0 * dt
    if root:
        print(
            f"diffusion_mpi.py: {npnts}×{npnts} grid (nrows {nrows}), {nsteps} steps, "
            f"{cart.size} rank{'s' if cart.size > 1 else ''} on a {dims[0]}×{dims[1]} process "
            f"grid, halo below {below} above {above}, numjit on {numjit.get_num_threads()} "
            f"thread(s) per rank"
        )
        print(f"simtime {simtime}")
    cart.Barrier()
    t0 = time.perf_counter()
    for s in range(1, nsteps + 1):
        step(dens, nxt)
        dens, nxt = nxt, dens
        simtime += dt
        if s % nper == 0 and root:
            print(f"simtime {simtime}")
    cart.Barrier()
    elapsed = time.perf_counter() - t0

    # Gather the blocks on rank 0, in rank order, and place them by their coordinates.
    block = np.ascontiguousarray(dens[mine])
    counts = cart.gather(block.size, root=0)
    whole = None
    if root:
        flat = np.empty(sum(counts))
        displs = np.concatenate(([0], np.cumsum(counts)[:-1]))
        cart.Gatherv(block, [flat, counts, displs, MPI.DOUBLE], root=0)
        whole = np.empty((npnts, npnts))
        for r in range(cart.size):
            c = cart.Get_coords(r)
            (r0, r1), (c0, c1) = (split(npnts, dims[k], c[k]) for k in range(2))
            whole[r0:r1, c0:c1] = flat[displs[r] : displs[r] + counts[r]].reshape(r1 - r0, c1 - c0)
    else:
        cart.Gatherv(block, None, root=0)
    if not root:
        return

    total = 0.0
    for v in whole.ravel().tolist():  # row-major order, as the Rust examples sum
        total += v
    center = float(whole[npnts // 2, npnts // 2])
    print(f"checksum sum={rust_float(total)} center={rust_float(center)}")
    print(
        f"time stepping (mpi4py + numjit.execute, {cart.size} rank{'s' if cart.size > 1 else ''}): "
        f"{elapsed:.3f} s for {nsteps} steps, {elapsed * 1e6 / max(nsteps, 1):.1f} µs per step"
    )
    assert 0.0 <= whole.min() and whole.max() <= 1.0
    assert total <= start.sum() + 1e-9  # mass only leaves through the boundary
    if o.grid is None and o.steps is None:
        assert total == 8056.974865175307, total
    if o.check:
        d0, n0 = start.copy(), start.copy()
        for _ in range(nsteps):
            numjit.execute(STEP, {"nxt": n0, "dens": d0, **scalars})
            d0, n0 = n0, d0
        same = int(np.sum(whole.view(np.int64) == d0.view(np.int64)))
        print(f"check: {same} of {d0.size} elements bit-identical to the single-process run")
        assert same == d0.size, "the distributed run differs"


if __name__ == "__main__":
    main()

"""Usage: python3 crates/numjit/benches/mpi_scaling.py [--reps 5] [--steps 100]

Weak and strong scaling of examples/diffusion_mpi.rs (numjit::dist) on this machine, with the
single-process examples/diffusion.rs as the baseline. Build first:

    cargo build --release -p numjit --features mpi --example diffusion_mpi --example diffusion

Every configuration runs `--reps` times, the configurations interleaved (so that they share
whatever else the machine is doing); each run prints its time stepping per step, and the
table shows the median per configuration. Ranks are not bound to cores (`--bind-to none`),
so that a rank's threads may use both cores, and a rank waiting for a message yields its core
(`--mca mpi_yield_when_idle 1`): on this shared 2-core machine a busy-polling rank otherwise
takes the core its neighbour needs (2 ranks: 13.7 against 4.7 ms per step in one test). Prints Markdown tables, and checks that every
run's checksum line equals the single-process one for its grid.
"""

import argparse
import os
import re
import statistics
import subprocess

TARGET = os.environ.get("CARGO_TARGET_DIR", "target")
EXAMPLES = os.path.join(TARGET, "release", "examples")
MPIRUN = [
    "mpirun",
    "--bind-to",
    "none",
    "--mca",
    "mpi_yield_when_idle",
    "1",
    "--oversubscribe",
    "--allow-run-as-root",
]


def run(np_, grid, threads, steps):
    if np_ == 0:
        cmd = [os.path.join(EXAMPLES, "diffusion")]
    else:
        cmd = MPIRUN + ["-np", str(np_), os.path.join(EXAMPLES, "diffusion_mpi")]
    cmd += ["--grid", str(grid), "--steps", str(steps), "--threads", str(threads)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    us = float(re.search(r"([0-9.]+) µs per step", out).group(1))
    cpu = re.search(r"cpu time stepping \(all ranks\): ([0-9.]+) µs per step", out)
    checksum = re.search(r"^checksum .*$", out, re.M).group(0)
    return us, (float(cpu.group(1)) if cpu else None), checksum


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--steps", type=int, default=100)
    a = ap.parse_args()
    # (label, ranks (0: the single-process example), --grid, threads per rank)
    configs = [
        ("single process", 0, 1999, 1),
        ("1 rank", 1, 1999, 1),
        ("2 ranks", 2, 1999, 1),
        ("4 ranks (oversubscribed)", 4, 1999, 1),
        ("1 rank × 2 threads", 1, 1999, 2),
        ("2 ranks, weak", 2, 2828, 1),
        ("single process, weak", 0, 2828, 1),
    ]
    times = {c: [] for c in configs}
    cpus = {c: [] for c in configs}
    sums = {}
    for _ in range(a.reps):
        for c in configs:
            us, cpu, checksum = run(c[1], c[2], c[3], a.steps)
            times[c].append(us)
            if cpu is not None:
                cpus[c].append(cpu)
            sums.setdefault(c[2], set()).add(checksum)
    for grid, s in sums.items():
        assert len(s) == 1, f"checksums differ on --grid {grid}: {s}"
    med = {c: statistics.median(t) for c, t in times.items()}

    def row(c, base):
        cells = (c[2] + 2) ** 2
        per_rank = cells / max(c[1], 1)
        return (
            f"| {c[0]} | {c[1] or 1} × {c[3]} | {c[2] + 2}×{c[2] + 2} | {per_rank / 1e6:.2f} M | "
            f"{med[c] / 1e3:.2f} | {min(times[c]) / 1e3:.2f}–{max(times[c]) / 1e3:.2f} | "
            f"{base / med[c]:.2f} | {cpu_cell(c)} |"
        )

    def cpu_cell(c):
        if not cpus[c]:
            return "–"
        return f"{statistics.median(cpus[c]) / 1e3:.2f}"

    head = (
        "| run | ranks × threads | grid | cells per rank | ms per step (median) | range | {} "
        "| CPU ms per step, all ranks (median) |\n"
        "|---|---|---|---|---:|---|---:|---:|"
    )
    one = configs[1]
    print("Weak scaling (the same cells per rank; efficiency = 1-rank time ÷ time):\n")
    print(head.format("efficiency"))
    for c in [configs[0], one, configs[5], configs[6]]:
        print(row(c, med[one]))
    print("\nStrong scaling (a 2001×2001 grid; speedup against 1 rank × 1 thread):\n")
    print(head.format("speedup"))
    for c in configs[:5]:
        print(row(c, med[one]))
    print()
    for grid, s in sums.items():
        print(f"--grid {grid}: every run printed `{s.pop()}`")


if __name__ == "__main__":
    main()

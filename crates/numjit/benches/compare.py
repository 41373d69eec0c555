#!/usr/bin/env python3
"""Regenerates BENCHMARKS.md: numjit vs a hand-written Rust loop vs numexpr vs NumPy on the
speed targets, measured on this machine in one run, with a PNG chart.

Usage: python3 crates/numjit/benches/compare.py            (from the repository root)

numjit's and the hand loop's numbers come from `cargo run --release --example targets -- --json`
(both measured in the same process). numexpr and NumPy are optional (pip install numpy numexpr
matplotlib); rows for a missing package say so. Medians throughout; the machine is shared and
noisy, so the ratios are what to read.
"""
import json
import os
import platform
import subprocess
import sys
import time
from statistics import median

# The repository root: crates/numjit/benches/compare.py is three levels below it.
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def numjit_rows():
    out = subprocess.run(
        ["cargo", "run", "--release", "--quiet", "--example", "targets", "--", "--json"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def timeit(f, reps, batches=9):
    f()
    samples = []
    for _ in range(batches):
        t = time.perf_counter()
        for _ in range(reps):
            f()
        samples.append((time.perf_counter() - t) / reps)
    return median(samples)


def python_rows():
    """Per row name: (numexpr, numpy) in the row's unit, or None when unavailable."""
    try:
        import numpy as np
    except ImportError:
        return {}
    try:
        import numexpr as ne
        ne.set_num_threads(1)
    except ImportError:
        ne = None
    rng = np.random.default_rng(1)
    res = {}
    n = 1_000_000
    a, b = rng.random(n), rng.random(n)
    out = np.empty(n)

    def both(name, expr, np_fn, n, reps, unit):
        per = {"ns/elem": 1e9 / n, "ns/call": 1e9, "us/step": 1e6}[unit]
        t_ne = timeit(lambda: ne.evaluate(expr, local_dict={"a": a, "b": b}, out=out), reps) * per if ne else None
        t_np = timeit(np_fn, reps) * per
        res[name] = (t_ne, t_np)

    both("poly n=1e6, 1 thread", "a**2 + b**2 + 2*a*b", lambda: a**2 + b**2 + 2*a*b, n, 3, "ns/elem")
    both("sin(a)**2 + cos(b)**2 n=1e6, 1 thread", "sin(a)**2 + cos(b)**2", lambda: np.sin(a)**2 + np.cos(b)**2, n, 1, "ns/elem")
    both("where(a > 0.5, a*b, exp(-a)) n=1e6, 1 thread", "where(a > 0.5, a*b, exp(-a))", lambda: np.where(a > 0.5, a*b, np.exp(-a)), n, 1, "ns/elem")
    for n, name in [(1000, "poly n=1e3, per call"), (10, "poly n=10, per call")]:
        a, b = rng.random(n), rng.random(n)
        out = np.empty(n)
        both(name, "a**2 + b**2 + 2*a*b", lambda: a**2 + b**2 + 2*a*b, n, 2000, "ns/call")
    dens = rng.random((303, 303))
    nxt = dens.copy()
    c = 0.25

    def np_step():
        nxt[1:-1, 1:-1] = dens[1:-1, 1:-1] + c * (dens[2:, 1:-1] + dens[:-2, 1:-1] + dens[1:-1, 2:] + dens[1:-1, :-2] - 4 * dens[1:-1, 1:-1])

    def ne_step():
        ne.evaluate("C + c*(N + S + E + W - 4*C)", local_dict={
            "C": dens[1:-1, 1:-1], "N": dens[2:, 1:-1], "S": dens[:-2, 1:-1],
            "E": dens[1:-1, 2:], "W": dens[1:-1, :-2], "c": c}, out=nxt[1:-1, 1:-1])

    res["diffusion step 301x301, 1 thread"] = (
        timeit(ne_step, 50) * 1e6 if ne else None, timeit(np_step, 50) * 1e6)
    return res


def ratio_and_verdict(r):
    name, x, base = r["row"], r["numjit"], r["baseline"]
    if "speedup" in r["target"]:
        s = base / x
        return f"{s:.2f}x speedup", s >= 1.7
    if "hand loop" in r["target"] or "plain loop" in r["target"]:
        q = x / base
        limit = 1.15 if "1.15" in r["target"] else 1.3
        return f"{q:.2f}x the loop", q <= limit
    limit = float(r["target"].split("<=")[1].split()[0])
    return f"{x:.3g} {r['unit']}", x <= limit


# Why a row can miss its target on this kind of machine (printed for rows that miss).
WHY = {
    "sin(a)**2 + cos(b)**2": "two polynomial kernels per element on 2-lane f64x2 vectors (Cranelift's x86-64 "
    "backend has no 256-bit vectors), plus the compile-time limit that keeps math bodies unrolled only once",
    "where(": "both branches are evaluated (branch-free), so exp runs on every element",
    "per call": "the fixed cost of a call: cache lookup, bindings, broadcasting, strides and the kernel call "
    "(see ARCHITECTURE.md, 'Where time goes')",
    "poly n=1e6": "memory-bound: both loops stream the same bytes; the machine's bandwidth is shared",
    "diffusion": "five loads per element; Cranelift schedules the 2-lane loop less tightly than LLVM does the "
    "hand loop, and a script step pays about 2 us of checks",
    "2 threads": "the second core is shared with other work on this machine",
    "cold compile": "Cranelift's lowering and register allocation of the whole kernel (vector and scalar loops)",
}


def why(row):
    for key, reason in WHY.items():
        if key in row:
            return reason
    return "see ARCHITECTURE.md"


def main():
    rows = numjit_rows()
    py = python_rows()
    lines = [
        "# numjit benchmarks",
        "",
        "Regenerate with `python3 crates/numjit/benches/compare.py` (it runs "
        "`cargo run --release --example targets -- --json`, then numexpr and NumPy if installed).",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()}; "
        f"{time.strftime('%Y-%m-%d')}. Medians; the machine is shared, so read the ratios.",
        "",
        "| workload | unit | numjit | hand-written Rust | numexpr (1 thread) | NumPy | target | result |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ne_t, np_t = py.get(r["row"], (None, None))
        fmt = lambda v: "n/a" if v is None else f"{v:.3g}"
        what, ok = ratio_and_verdict(r)
        base = "—" if r["baseline"] is None else fmt(r["baseline"])
        if "speedup" in r["target"]:
            base = f"{fmt(r['baseline'])} (1 thread)"
        lines.append(
            f"| {r['row']} | {r['unit']} | {fmt(r['numjit'])} | {base} | {fmt(ne_t)} | {fmt(np_t)} | "
            f"{r['target']} | {what}: {'met' if ok else 'missed'} |"
        )
    missed = [r for r in rows if not ratio_and_verdict(r)[1]]
    if missed:
        lines += [
            "",
            "## Rows that miss",
            "",
            "Absolute times on this shared VM drift by 10-20% between runs, and the hand-loop and "
            "numexpr columns drift with them; rows with an absolute target can pass in one run and "
            "miss in the next. The ratios to the hand loop are the stable reading.",
            "",
        ]
        for r in missed:
            what, _ = ratio_and_verdict(r)
            ctx = ""
            if r["baseline"] and "speedup" not in r["target"] and "loop" not in r["target"]:
                ctx = f" (hand loop in the same run: {r['baseline']:.3g} {r['unit']})"
            lines.append(f"- **{r['row']}**: {what} against {r['target']}{ctx}. Why: {why(r['row'])}.")
    lines += ["", "![numjit vs baselines](crates/numjit/benches/compare.png)", ""]
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        per_elem = [r for r in rows if r["unit"] in ("ns/elem", "ns/call", "us/step") and "speedup" not in r["target"]]
        fig, ax = plt.subplots(figsize=(10, 4.5))
        labels = [r["row"].replace(", 1 thread", "") for r in per_elem]
        series = [
            ("numjit", [r["numjit"] for r in per_elem]),
            ("hand loop", [r["baseline"] or 0 for r in per_elem]),
            ("numexpr", [py.get(r["row"], (None, None))[0] or 0 for r in per_elem]),
            ("NumPy", [py.get(r["row"], (None, None))[1] or 0 for r in per_elem]),
        ]
        width = 0.2
        for k, (name, vals) in enumerate(series):
            ax.bar([i + (k - 1.5) * width for i in range(len(labels))], vals, width, label=name)
        ax.set_yscale("log")
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels(labels, rotation=20, ha="right", fontsize=7)
        ax.set_ylabel("time (row's unit, log scale; lower is better)")
        ax.legend()
        fig.tight_layout()
        fig.savefig(os.path.join(ROOT, "crates", "numjit", "benches", "compare.png"), dpi=110)
    except ImportError:
        lines.append("(matplotlib not installed: no chart this run)")
    # Keep what this script does not write: the section benches/peers.py writes (with the
    # notes after it) and the hand-measured sections from "## dtypes" on.
    path = os.path.join(ROOT, "BENCHMARKS.md")
    peers, tail = "", ""
    if os.path.exists(path):
        old = open(path).read()
        mine = "Regenerate with `python3 crates/numjit/benches/compare.py`"
        if "<!-- peers:begin" in old and mine in old:
            peers = old[old.index("<!-- peers:begin"):old.index(mine)].rstrip() + "\n\n"
        if "\n## dtypes" in old:
            tail = "\n" + old[old.index("\n## dtypes"):].lstrip("\n")
    head, rest = lines[0], lines[1:]
    with open(path, "w") as f:
        f.write(head + "\n\n" + peers + "\n".join(rest).lstrip("\n") + "\n" + tail)
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())

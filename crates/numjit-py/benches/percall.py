"""Usage: python crates/numjit-py/benches/percall.py [--quick]

Per-call time of numjit's Python package side by side with numexpr (and NumPy) in one run,
on the same arrays: `a**2 + b**2 + 2*a*b` at n = 10 through `evaluate` (names from the
caller's frame, result allocated), with `out=`, through a compiled handle
(`numjit.compile`), and at n = 1e6 on one thread and on two. Each figure is the median (and
the best) over blocks of repeated calls (blocks of ~50 ms, the libraries interleaved block by
block so that they share whatever else the machine is doing). Prints a Markdown table (BENCHMARKS.md's
Python section) and checks every result against NumPy first.
"""

import statistics
import sys
import time

import numexpr
import numpy as np

import numjit

QUICK = "--quick" in sys.argv
BLOCK_S = 0.02 if QUICK else 0.05
BLOCKS = 5 if QUICK else 15
EXPR = "a**2 + b**2 + 2*a*b"


def interleaved(fns):
    """Per-call medians of several callables, measured block by block in turn."""
    samples = {name: [] for name in fns}
    for _ in range(BLOCKS):
        for name, fn in fns.items():
            samples[name].extend(per_call_block(fn))
    return {name: (statistics.median(v), min(v)) for name, v in samples.items()}


def per_call_block(fn, _cache={}):
    reps = _cache.get(fn)
    if reps is None:
        fn()
        t = time.perf_counter()
        k = 0
        while time.perf_counter() - t < BLOCK_S / 5:
            fn()
            k += 1
        reps = _cache[fn] = max(1, k * 5)
    t = time.perf_counter()
    for _ in range(reps):
        fn()
    return [(time.perf_counter() - t) / reps]


def fmt(s):
    return f"{s * 1e6:.2f} µs" if s < 1e-3 else f"{s * 1e3:.3f} ms"


def case(n, threads):
    rng = np.random.default_rng(42)
    a = rng.random(n)
    b = rng.random(n)
    out = np.empty(n)
    want = a**2 + b**2 + 2 * a * b
    numexpr.set_num_threads(threads)
    numjit.set_num_threads(threads)
    f = numjit.compile(EXPR)
    np.testing.assert_allclose(numexpr.evaluate(EXPR), want, rtol=1e-15)
    np.testing.assert_array_equal(numjit.evaluate(EXPR), want)
    np.testing.assert_array_equal(f(a, b), want)
    fns = {
        "numexpr.evaluate": lambda a=a, b=b: numexpr.evaluate(EXPR),
        "numjit.evaluate": lambda a=a, b=b: numjit.evaluate(EXPR),
        "numexpr.evaluate(out=)": lambda a=a, b=b: numexpr.evaluate(EXPR, out=out),
        "numjit.evaluate(out=)": lambda a=a, b=b: numjit.evaluate(EXPR, out=out),
        "numjit.compile handle f(a, b)": lambda: f(a, b),
        "numjit.compile handle f(a, b, out=)": lambda: f(a, b, out=out),
        "NumPy a**2 + b**2 + 2*a*b": lambda: a**2 + b**2 + 2 * a * b,
    }
    return interleaved(fns)


def best_of(n=10):
    """n = 10 per-call times as the minimum over 15 timeit repeats of 20,000 calls each: the
    least disturbed stretch of a loaded machine (a lower bound, as timeit's docs advise)."""
    import timeit

    rng = np.random.default_rng(42)
    a = rng.random(n)
    b = rng.random(n)
    out = np.empty(n)
    f = numjit.compile(EXPR)
    fns = {
        "numexpr.evaluate": lambda a=a, b=b: numexpr.evaluate(EXPR),
        "numjit.evaluate": lambda a=a, b=b: numjit.evaluate(EXPR),
        "numjit.compile handle f(a, b)": lambda: f(a, b),
        "numjit.compile handle f(a, b, out=)": lambda: f(a, b, out=out),
    }
    number = 2000 if QUICK else 20000
    return {k: min(timeit.repeat(fn, number=number, repeat=15)) / number for k, fn in fns.items()}


def main():
    rows = []
    for n, threads in [(10, 1), (1_000_000, 1), (1_000_000, 2)]:
        r = case(n, threads)
        rows.append((n, threads, r))
    print(f"`{EXPR}`, float64; median per call over {BLOCKS} interleaved blocks of ~{BLOCK_S * 1e3:.0f} ms")
    print()
    print("| n | threads | call | per call (median) | best block | numexpr ÷ numjit (median) |")
    print("|---:|---:|---|---:|---:|---:|")
    for n, threads, r in rows:
        ne_alloc = r["numexpr.evaluate"][0]
        ne_out = r["numexpr.evaluate(out=)"][0]
        for name, (t, best) in r.items():
            if name.startswith("numjit"):
                ref = ne_out if "out=" in name else ne_alloc
                ratio = f"{ref / t:.1f}×"
            else:
                ratio = ""
            print(f"| {n:,} | {threads} | {name} | {fmt(t)} | {fmt(best)} | {ratio} |")
    print()
    numexpr.set_num_threads(1)
    numjit.set_num_threads(1)
    best = best_of()
    print("n = 10, best of 15 timeit repeats (tight loop):")
    print()
    print("| call | per call | numexpr ÷ numjit |")
    print("|---|---:|---:|")
    for name, t in best.items():
        ratio = "" if name.startswith("numexpr") else f"{best['numexpr.evaluate'] / t:.1f}×"
        print(f"| {name} | {fmt(t)} | {ratio} |")
    print()
    print(f"numexpr {numexpr.__version__}, NumPy {np.__version__}, numjit {numjit.__version__}, "
          f"Python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""numjit against its peers (numexpr, NumPy, numba), one run, 1 and 2 threads.

Usage (from the repository root):

    pip install numpy numexpr numba
    python3 crates/numjit/benches/peers.py            # every workload; rewrites BENCHMARKS.md's table
    python3 crates/numjit/benches/peers.py -k stencil # only workloads whose name contains "stencil"
    python3 crates/numjit/benches/peers.py --no-write # print, leave BENCHMARKS.md alone

Workloads: numexpr's bench/timing.py expressions (float64 and float32; the first operand
strided, every other element of a longer array, as timing.py makes it), its bench/multidim.py
expression on 1-, 2- and 3-D float32 arrays, transcendentals, reductions, the IHPCSS diffusion
step and a 9-point stencil, and per-call overhead. For each, the inputs are written once as
.npy files; numjit runs them through `cargo run --release --example peers` (times measured in
Rust), the peers here in Python, on the same data; each result's checksum is compared with
NumPy's. Times are medians of 11 batches of about 20 ms. numba runs `@njit` loops at 1 thread
and `@njit(parallel=True)` with `prange` at 2; NumPy has one thread in both columns; numexpr
runs with `set_num_threads(t)`.
"""
import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from statistics import median

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PEERS_BIN = os.path.join(ROOT, "target", "release", "examples", "peers")

try:
    import numexpr as ne
except ImportError:
    ne = None
try:
    import numba
    from numba import njit, prange
except ImportError:
    numba = None

N = 1_000_000


def cpu():
    """The CPU's model name and its widest vector extension numjit uses (Linux; else the
    machine name)."""
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read()
    except OSError:
        return platform.processor() or "unknown CPU"
    name = next((l.split(":", 1)[1].strip() for l in info.splitlines() if l.startswith("model name")), "unknown CPU")
    flags = next((l.split(":", 1)[1].split() for l in info.splitlines() if l.startswith("flags")), [])
    wide = "AVX-512" if "avx512f" in flags else "AVX2, no AVX-512" if "avx2" in flags else "no AVX2"
    return f"{name}, {wide}"


def timeit(f):
    """Median seconds per call over 11 batches of about 20 ms (the first call not timed)."""
    f()
    t = time.perf_counter()
    f()
    once = max(time.perf_counter() - t, 1e-9)
    reps = max(1, min(100_000, math.ceil(0.02 / once)))
    samples = []
    for _ in range(11):
        t = time.perf_counter()
        for _ in range(reps):
            f()
        samples.append((time.perf_counter() - t) / reps)
    return median(samples)


# --- workloads -------------------------------------------------------------------------------
# Each: name, numjit text, kind ("expr" or "script"), inputs {name: array}, strided (a is a[::2]
# of a twice-longer array), numpy callable(inputs, out), numba scalar body or kernel builder,
# elements (the per-element unit's divisor; 1 for per-call rows).

TIMING = [
    ("b*c+d*e", "b*c+d*e", False),
    ("2*a+3*b", "2*a+3*b", False),
    ("2*a + (cos(3)+5)*sinh(cos(b))", "2*a + (math.cos(3)+5)*math.sinh(math.cos(b))", True),
    ("2*a + arctan2(a, b)", "2*a + math.atan2(a, b)", True),
    ("where(0.1*a > arctan2(a, b), 2*a, arctan2(a,b))", "(2*a if 0.1*a > math.atan2(a, b) else math.atan2(a, b))", True),
    ("where(a != 0.0, 2, b)", "(2.0 if a != 0.0 else b)", True),
    ("where(a-10 != 0.0, a, 2)", "(a if a - 10 != 0.0 else 2.0)", True),
    ("where(a%2 != 0.0, b+5, 2)", "(b + 5 if a % 2 != 0.0 else 2.0)", True),
    ("where(a%2 != 0.0, 2, b+5)", "(2.0 if a % 2 != 0.0 else b + 5)", True),
    ("a**2 + (b+1)**-2.5", "a**2 + (b+1)**-2.5", True),
    ("(a+1)**50", "(a+1)**50", True),
    ("sqrt(a**2 + b**2)", "math.sqrt(a**2 + b**2)", True),
]

NUMPY_NS = {
    "sin": np.sin, "cos": np.cos, "sinh": np.sinh, "tanh": np.tanh, "exp": np.exp, "log": np.log,
    "arctan2": np.arctan2, "sqrt": np.sqrt, "where": np.where,
}


def elementwise(name, text, body, names, arrays, strided, dtype, n=N):
    """A workload over same-shaped arrays: numjit/numexpr text, a numba scalar body."""
    return dict(name=name, text=text, kind="expr", body=body, names=names, arrays=arrays,
                strided=strided, dtype=dtype, elements=n)


def make_workloads(rng):
    work = []
    for dtype in ("float64", "float32"):
        for text, body, strided in TIMING:
            names = [v for v in "abcde" if v in _identifiers(text)]
            arrays = {}
            for v in names:
                length = 2 * N if (strided and v == "a") else N
                arrays[v] = rng.uniform(0.1, 10.0, length).astype(dtype)
            tag = " (strided)" if strided else ""
            work.append(elementwise(f"`{text}`{tag} {dtype}", text, body, names, arrays, strided, dtype))
    for shape in [(100 * 100 * 100,), (100 * 100, 100), (100, 100, 100)]:
        arrays = {v: rng.uniform(0.1, 10.0, shape).astype("float32") for v in "abc"}
        text = "63 + (a*b) + (c**2) + b"
        work.append(elementwise(f"`{text}` {shape} float32", text, "63 + (a*b) + (c**2) + b",
                                list("abc"), arrays, False, "float32"))
    arrays = {v: rng.uniform(0.1, 10.0, N) for v in "ab"}
    for text, body in [
        ("log(a)*exp(-b) + tanh(a-b)", "math.log(a)*math.exp(-b) + math.tanh(a-b)"),
        ("sin(a)**2 + cos(b)**2", "math.sin(a)**2 + math.cos(b)**2"),
        ("a**2 + b**2 + 2*a*b", "a**2 + b**2 + 2*a*b"),
    ]:
        work.append(elementwise(f"`{text}` float64", text, body, ["a", "b"], arrays, False, "float64"))
    small = {v: rng.uniform(0.1, 10.0, 100) for v in "ab"}
    w = elementwise("`a**2 + b**2 + 2*a*b` n=100, per call", "a**2 + b**2 + 2*a*b",
                    "a**2 + b**2 + 2*a*b", ["a", "b"], small, False, "float64", n=1)
    work.append(w)
    work.append(dict(name="`sum(a*b)` float64", text="sum(a*b)", kind="expr", body=None,
                     names=["a", "b"], arrays=arrays, strided=False, dtype="float64", elements=N,
                     special="dot"))
    m = {"a": rng.uniform(0.1, 10.0, (1000, 1000))}
    work.append(dict(name="`sum(a, axis=1)` 1000x1000 float64", text="sum(a, axis=1)", kind="expr",
                     body=None, names=["a"], arrays=m, strided=False, dtype="float64",
                     elements=10**6, special="rowsum"))
    diff = "v[1:-1,1:-1] = u[1:-1,1:-1] + c*(u[2:,1:-1] + u[:-2,1:-1] + u[1:-1,2:] + u[1:-1,:-2] - 4*u[1:-1,1:-1])"
    work.append(dict(name="diffusion step 301x301 (per point)", text=diff, kind="script", body=None,
                     names=["u"], arrays={"u": rng.uniform(0.0, 1.0, (303, 303))}, strided=False,
                     dtype="float64", elements=301 * 301, special="diffusion"))
    nine = ("v[1:-1,1:-1] = c*(u[:-2,:-2] + u[:-2,1:-1] + u[:-2,2:] + u[1:-1,:-2] + u[1:-1,1:-1]"
            " + u[1:-1,2:] + u[2:,:-2] + u[2:,1:-1] + u[2:,2:])")
    work.append(dict(name="9-point stencil 1000x1000 (per point)", text=nine, kind="script", body=None,
                     names=["u"], arrays={"u": rng.uniform(0.0, 1.0, (1002, 1002))}, strided=False,
                     dtype="float64", elements=1000 * 1000, special="nine"))
    return work


def _identifiers(text):
    out, word = set(), ""
    for ch in text + " ":
        if ch.isalnum() or ch == "_":
            word += ch
        else:
            if word and not word[0].isdigit():
                out.add(word)
            word = ""
    return out


def views(w):
    """The inputs as the expression sees them (a[::2] when strided)."""
    return {k: (v[..., ::2] if (w["strided"] and k == "a") else v) for k, v in w["arrays"].items()}


# --- peers -----------------------------------------------------------------------------------

def numpy_run(w):
    """NumPy: a callable computing the workload, and its result."""
    x = views(w)
    sp = w.get("special")
    if sp == "dot":
        f = lambda: np.sum(x["a"] * x["b"])
    elif sp == "rowsum":
        f = lambda: np.sum(x["a"], axis=1)
    elif sp in ("diffusion", "nine"):
        u = x["u"]
        v = u.copy()
        c = 0.1
        if sp == "diffusion":
            def f():
                v[1:-1, 1:-1] = u[1:-1, 1:-1] + c * (u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:] + u[1:-1, :-2] - 4 * u[1:-1, 1:-1])
                return v
        else:
            def f():
                v[1:-1, 1:-1] = c * (u[:-2, :-2] + u[:-2, 1:-1] + u[:-2, 2:] + u[1:-1, :-2] + u[1:-1, 1:-1]
                                     + u[1:-1, 2:] + u[2:, :-2] + u[2:, 1:-1] + u[2:, 2:])
                return v
    else:
        code = compile(w["text"], "<expr>", "eval")
        ns = dict(NUMPY_NS)
        ns.update(x)
        f = lambda: eval(code, ns)
    return f, f()


def numexpr_run(w, threads):
    if ne is None:
        return None
    ne.set_num_threads(threads)
    x = views(w)
    sp = w.get("special")
    if sp == "rowsum":
        f = lambda: ne.evaluate("sum(a, axis=1)", local_dict=x)
    elif sp == "dot":
        f = lambda: ne.evaluate("sum(a*b)", local_dict=x)
    elif sp in ("diffusion", "nine"):
        u = x["u"]
        v = u.copy()
        d = {"C": u[1:-1, 1:-1], "N": u[2:, 1:-1], "S": u[:-2, 1:-1], "E": u[1:-1, 2:],
             "W": u[1:-1, :-2], "NE": u[2:, 2:], "NW": u[2:, :-2], "SE": u[:-2, 2:], "SW": u[:-2, :-2], "c": 0.1}
        ex = "C + c*(N + S + E + W - 4*C)" if sp == "diffusion" else "c*(SW + S + SE + W + C + E + NW + N + NE)"
        out = v[1:-1, 1:-1]
        def f():
            ne.evaluate(ex, local_dict=d, out=out)
            return v
    else:
        shape = np.broadcast_shapes(*[a.shape for a in x.values()])
        out = np.empty(shape, dtype=w["dtype"])
        def f():
            ne.evaluate(w["text"], local_dict=x, out=out, casting="unsafe")
            return out
    return f, f()


_NUMBA_CACHE = {}


def numba_kernel(w, parallel):
    """A numba function and a callable running it on the workload's data."""
    loop = "prange" if parallel else "range"
    sp = w.get("special")
    ns = {"math": math, "np": np, "prange": prange, "njit": njit}
    if sp == "dot":
        src = f"""
def k(a, b):
    s = 0.0
    for i in {loop}(a.shape[0]):
        s += a[i] * b[i]
    return s
"""
    elif sp == "rowsum":
        src = f"""
def k(m, out):
    for i in {loop}(m.shape[0]):
        s = 0.0
        for j in range(m.shape[1]):
            s += m[i, j]
        out[i] = s
    return out
"""
    elif sp == "diffusion":
        src = f"""
def k(u, v, c):
    for i in {loop}(1, u.shape[0] - 1):
        for j in range(1, u.shape[1] - 1):
            v[i, j] = u[i, j] + c * (u[i+1, j] + u[i-1, j] + u[i, j+1] + u[i, j-1] - 4.0 * u[i, j])
    return v
"""
    elif sp == "nine":
        src = f"""
def k(u, v, c):
    for i in {loop}(1, u.shape[0] - 1):
        for j in range(1, u.shape[1] - 1):
            v[i, j] = c * (u[i-1, j-1] + u[i-1, j] + u[i-1, j+1] + u[i, j-1] + u[i, j] + u[i, j+1]
                           + u[i+1, j-1] + u[i+1, j] + u[i+1, j+1])
    return v
"""
    else:
        args = ", ".join(f"{v}_" for v in w["names"])
        loads = "; ".join(f"{v} = {v}_[i]" for v in w["names"])
        src = f"""
def k({args}, out):
    for i in {loop}(out.shape[0]):
        {loads}
        out[i] = {w['body']}
    return out
"""
    key = (src, parallel)
    if key not in _NUMBA_CACHE:
        exec(src, ns)
        _NUMBA_CACHE[key] = njit(parallel=parallel, fastmath=False)(ns["k"])
    k = _NUMBA_CACHE[key]
    x = views(w)
    if sp == "dot":
        return lambda: k(x["a"], x["b"])
    if sp == "rowsum":
        out = np.empty(x["a"].shape[0])
        return lambda: k(x["a"], out)
    if sp in ("diffusion", "nine"):
        u = x["u"]
        v = u.copy()
        return lambda: k(u, v, 0.1)
    flat = [x[v].reshape(-1) if x[v].ndim > 1 else x[v] for v in w["names"]]
    out = np.empty(flat[0].shape[0], dtype=w["dtype"])
    return lambda: k(*flat, out)


def numba_run(w, threads):
    if numba is None:
        return None
    parallel = threads > 1
    if parallel:
        numba.set_num_threads(threads)
    f = numba_kernel(w, parallel)
    return f, f()


def numjit_run(w, threads, datadir):
    args = [PEERS_BIN, "--kind", w["kind"], "--text", w["text"], "--data", datadir,
            "--threads", str(threads)]
    if w["strided"]:
        args.append("--strided")
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def checksum(r):
    return float(np.sum(np.asarray(r, dtype=np.float64)))


def close(x, y, dtype):
    tol = 1e-3 if dtype == "float32" else 1e-9
    if math.isinf(x) or math.isinf(y) or math.isnan(x) or math.isnan(y):
        return (x == y) or (math.isnan(x) and math.isnan(y))
    return abs(x - y) <= tol * max(1.0, abs(x), abs(y))


def measure(w, datadir):
    """Per thread count: {engine: seconds per call}; plus checksum disagreements."""
    for k, v in w["arrays"].items():
        np.save(os.path.join(datadir, f"{k}.npy"), v)
    f_np, r_np = numpy_run(w)
    t_np = timeit(f_np)
    ref = checksum(r_np)
    res, bad = {}, []
    first = None
    for threads in (1, 2):
        row = {"NumPy": t_np}
        j = numjit_run(w, threads, datadir)
        row["numjit"] = j["median_ns"] * 1e-9
        if threads == 1:
            # What the first call costs beyond a warm one: parsing, checking, compiling.
            first = (j.get("first_ns", 0.0) - j["median_ns"]) * 1e-6
        j["checksum"] = float(j["checksum"])
        if not close(j["checksum"], ref, w["dtype"]):
            bad.append(f"numjit {threads}t checksum {j['checksum']} vs NumPy {ref}")
        for eng, run in (("numexpr", numexpr_run), ("numba", numba_run)):
            got = run(w, threads)
            if got is None:
                continue
            f, r = got
            row[eng] = timeit(f)
            if not close(checksum(r), ref, w["dtype"]):
                bad.append(f"{eng} {threads}t checksum {checksum(r)} vs NumPy {ref}")
        res[threads] = row
    for k in w["arrays"]:
        os.remove(os.path.join(datadir, f"{k}.npy"))
    res["first_ms"] = first
    return res, bad


def fmt(x):
    return "—" if x is None else (f"{x:.3g}" if x < 100 else f"{x:.0f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", default="", help="only workloads whose name contains this")
    ap.add_argument("--no-write", action="store_true", help="do not rewrite BENCHMARKS.md")
    ap.add_argument("--json", help="also write the raw results to this file")
    opts = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet", "--example", "peers"], cwd=ROOT, check=True)
    rng = np.random.default_rng(7)
    work = [w for w in make_workloads(rng) if opts.k in w["name"]]
    header = ("| workload | unit | numjit 1t | numexpr 1t | NumPy | numba 1t | numjit ÷ best 1t "
              "| numjit 2t | numexpr 2t | numba 2t | numjit ÷ best 2t |")
    lines = [header, "|" + "---|" * 11]
    raw, problems, firsts = [], [], []
    print(header, flush=True)
    with tempfile.TemporaryDirectory() as datadir:
        for w in work:
            res, bad = measure(w, datadir)
            problems += [f"{w['name']}: {b}" for b in bad]
            firsts.append((res.pop("first_ms"), w["name"]))
            unit = "µs/call" if w["elements"] == 1 else "ns/elem"
            scale = 1e6 if w["elements"] == 1 else 1e9 / w["elements"]
            cells = [w["name"], unit]
            entry = {"name": w["name"], "unit": unit}
            for threads in (1, 2):
                row = {k: v * scale for k, v in res[threads].items()}
                peers = {k: v for k, v in row.items() if k != "numjit"}
                best = min(peers.values())
                ratio = row["numjit"] / best
                if threads == 1:
                    cells += [fmt(row["numjit"]), fmt(row.get("numexpr")), fmt(row["NumPy"]), fmt(row.get("numba"))]
                else:
                    cells += [fmt(row["numjit"]), fmt(row.get("numexpr")), fmt(row.get("numba"))]
                best_name = min(peers, key=peers.get)
                cells.append(f"**{ratio:.2f}** ({best_name})")
                entry[f"{threads}t"] = row
            line = "| " + " | ".join(cells) + " |"
            print(line, flush=True)
            lines.append(line)
            raw.append(entry)
    print(f"\nfirst call beyond a warm one: at most {max(firsts)[0]:.2f} ms ({max(firsts)[1]}), "
          f"median {median(f for f, _ in firsts):.2f} ms")
    if problems:
        print("\nCHECKSUM DISAGREEMENTS:\n" + "\n".join(problems))
    versions = [f"NumPy {np.__version__}"]
    if ne is not None:
        versions.append(f"numexpr {ne.__version__}")
    if numba is not None:
        versions.append(f"numba {numba.__version__}")
    section = [
        "<!-- peers:begin (written by crates/numjit/benches/peers.py) -->",
        "## Against the peers",
        "",
        f"`python3 crates/numjit/benches/peers.py` on {platform.machine()} ({cpu()}), {os.cpu_count()} cores, "
        f"{time.strftime('%Y-%m-%d')}; {', '.join(versions)}. Medians of 11 batches; the "
        "ratio is numjit's time over the fastest peer's in the same run (below 1: numjit ahead). "
        "\"strided\": `a` is every other element of a twice-longer array (numexpr's bench/timing.py). "
        "NumPy is single-threaded in both columns; numba runs `@njit` loops at 1 thread and "
        "`parallel=True` with `prange` at 2.",
        "",
        *lines,
        "",
        "First call, beyond the cost of a warm one (parsing, checking and compiling; the output "
        f"already allocated; 1 thread): at most {max(firsts)[0]:.2f} ms ({max(firsts)[1]}), median "
        f"{median(f for f, _ in firsts):.2f} ms.",
        "",
    ]
    if problems:
        section += ["Checksum disagreements in this run:", ""] + [f"- {p}" for p in problems] + [""]
    section.append("<!-- peers:end -->")
    if opts.json:
        with open(opts.json, "w") as f:
            json.dump(raw, f, indent=1)
    if not opts.no_write and not opts.k:
        path = os.path.join(ROOT, "BENCHMARKS.md")
        text = open(path).read() if os.path.exists(path) else "# numjit benchmarks\n"
        begin, end = "<!-- peers:begin", "<!-- peers:end -->"
        if begin in text and end in text:
            a = text.index(begin)
            b = text.index(end) + len(end)
            text = text[:a] + "\n".join(section) + text[b:]
        else:
            head, _, rest = text.partition("\n")
            text = head + "\n\n" + "\n".join(section) + "\n" + rest
        with open(path, "w") as f:
            f.write(text)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

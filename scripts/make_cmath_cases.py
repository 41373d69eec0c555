#!/usr/bin/env python3
"""Writes crates/numjit/tests/data/cmath/cases.tsv: NumPy's answers for the complex128 scalar math of
src/cmath.rs. The unit tests at the bottom of src/cmath.rs replay every case.

Run from anywhere with NumPy 2 installed:  python3 scripts/make_cmath_cases.py

Format: one case a line, tab-separated,

    func  re_a  im_a  [re_b  im_b]  re_r  im_r

with every float written as Python's repr (round-trips exactly; `nan`, `inf`, `-inf`,
`-0.0`). `div` and `pow` have two arguments, everything else one. `abs` is real-valued: its
imaginary result column is always 0.0. Lines starting with `#` are comments.

NumPy is asked through its ufuncs on 1-d complex128 arrays (numjit evaluates arrays, and
for `absolute` NumPy's SIMD loop gives other bits than the scalar `abs()`): `div` is
np.divide, `pow` np.power, `abs` np.absolute, `round` np.round (half to even), and every
other function the ufunc of that name. On Linux NumPy takes sqrt, exp, log, the
trigonometric and hyperbolic functions and their inverses from glibc's C99 complex
functions, the rest from its own npymath/loops code, so the file records this machine's
NumPy build and glibc. Warnings are suppressed (overflow, division by zero and invalid
are expected here).

The arguments: a grid of special and ordinary values for the real and imaginary parts
(both zeros, both infinities, NaN, 1, 2, 0.5, huge 1e300, tiny 1e-300, subnormal,
large 1e10 past 1/eps, the exp overflow threshold), crossed; then per-function extras on
and beside each branch cut with both signs of zero, around the branch points, around
|z| = 1 (log), near zeros and poles (sin, cos, tan), over the exp overflow/underflow
range; then seeded random arguments of several magnitudes. Deterministic for a given NumPy
build and machine.
"""

import math
import os
import random
import sys
import warnings

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "crates", "numjit", "tests", "data", "cmath", "cases.tsv")

inf = math.inf
nan = math.nan
EPS = 2.0 ** -52
TINY_NORMAL = 2.2250738585072014e-308
MAX = 1.7976931348623157e308

UNARY = {
    "sqrt": np.sqrt,
    "exp": np.exp,
    "expm1": np.expm1,
    "log": np.log,
    "log1p": np.log1p,
    "log10": np.log10,
    "log2": np.log2,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "arcsin": np.arcsin,
    "arccos": np.arccos,
    "arctan": np.arctan,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "tanh": np.tanh,
    "arcsinh": np.arcsinh,
    "arccosh": np.arccosh,
    "arctanh": np.arctanh,
    "abs": np.absolute,
    "sign": np.sign,
    "round": np.round,
}

# Values for each part, crossed with themselves for every unary function.
GRID = [
    0.0, -0.0, inf, -inf, nan,
    1.0, -1.0, 0.5, -2.0, 3.0,
    1e-300, -1e-300, 5e-324, -2.5e-310,
    1e300, -1e300, 1e10, -1e-10, 710.5, -0.75,
]


def signed(vals):
    out = []
    for v in vals:
        out.append(v)
        out.append(-v)
    return out


def branch_cut_extras(name):
    """Arguments on and beside the branch cuts and branch points of `name`."""
    zs = []
    zeros = [0.0, -0.0]
    smalls = [0.0, -0.0, 1e-300, -1e-300, 5e-324, -5e-324, 1e-20, -1e-20, 1e-8, -1e-8]
    near1 = [1.0, 1.0 + EPS, 1.0 - EPS / 2, 1.0 + 2 ** -30, 1.0 - 2 ** -30, 1.5, 0.999, 1.001]
    if name in ("sqrt", "log", "log10", "log2", "pow"):
        # Cut along the negative real axis, branch point 0.
        for re in signed([0.25, 1.0, 4.0, 1e300, 1e-300, 5e-324, MAX]):
            for im in smalls:
                zs.append(complex(re, im))
    if name == "log1p":
        # Cut along re < -1.
        for re in [-1.0, -1.0 - EPS, -1.0 + EPS / 2, -2.0, -1e10, -0.5, -1.0 - 2 ** -30]:
            for im in smalls:
                zs.append(complex(re, im))
    if name in ("arcsin", "arccos", "arctanh", "arccosh"):
        # Cuts along the real axis beyond +-1 (arccosh: re < 1).
        for re in signed(near1 + [2.0, 1e10, 1e300, 0.5, 0.0]):
            for im in smalls:
                zs.append(complex(re, im))
    if name in ("arctan", "arcsinh"):
        # Cuts along the imaginary axis beyond +-i.
        for im in signed(near1 + [2.0, 1e10, 1e300, 0.5, 0.0]):
            for re in smalls:
                zs.append(complex(re, im))
    if name in ("log", "log10", "log2", "log1p"):
        # |z| close to 1 (log1p: |1 + z| close to 1), where log's real part cancels.
        shift = -1.0 if name == "log1p" else 0.0
        for t in [1e-9, 0.1, 0.5, 0.7853981633974483, 1.0, 2.0, 3.0, 3.14159, 1.5707963267948966]:
            for r in [1.0, 1.0 - 1e-12, 1.0 + 1e-10, 1.0 - 2 ** -40]:
                zs.append(complex(r * math.cos(t) + shift, r * math.sin(t)))
                zs.append(complex(r * math.cos(t) + shift, -r * math.sin(t)))
        for re in [0.6, 0.8, 0.70710678118654757, 1.0 - 1e-7]:
            for im in [1e-17, 1e-9, 0.6, 0.8, 0.7071067811865476, 1e-300]:
                zs.append(complex(re + shift, im))
    if name in ("sin", "cos", "tan", "sinh", "cosh", "tanh", "exp", "expm1"):
        # Zeros and poles, and the overflow range of exp(|part|).
        hyper = name in ("sinh", "cosh", "tanh", "exp", "expm1")
        specials = [math.pi, math.pi / 2, -math.pi / 2, 2 * math.pi, 1e-300, 1e22, 1e300]
        bigs = [20.0, 22.0, 25.0, 354.0, 355.0, 709.0, 709.8, 710.0, 711.0, 1000.0, 1420.0,
                1500.0, -709.0, -745.0, -746.0, -1000.0, -1500.0]
        for s in specials:
            for b in bigs + [0.0, -0.0, 1e-10, -1e-10, 1.0]:
                zs.append(complex(b, s) if hyper else complex(s, b))
    if name in ("arcsinh", "arccosh", "arcsin", "arccos", "arctan", "arctanh"):
        # Around the points +-1, +-i and the regions of the casinh/catanh kernel.
        parts = [0.0, -0.0, 1e-17, 1e-9, 0.3, 0.5, 0.75, 1.0, 1.2, 1.5, 2.0, 1e8, 1e16,
                 1e17, 1e154, 1e160, 1e-160, 1e-310]
        for re in parts:
            for im in [0.0, 1e-17, 1e-9, 0.3, 0.5, 0.75, 1.0, 1.0 + EPS, 1.2, 1.5, 1e8, 1e17, 1e300]:
                zs.append(complex(re, im))
                zs.append(complex(-re, -im))
    if name == "sqrt":
        for re in signed([1e308, MAX, MAX / 4, 1e-310, 4e-308, 1.0, 0.0]):
            for im in signed([1e308, MAX, MAX / 4, 1e-310, 4e-308, 0.5]):
                zs.append(complex(re, im))
    if name in ("abs", "sign"):
        for re in signed([MAX, 1e308, 1e154, 1e-154, 1e-310, 5e-324, 3.0]):
            for im in signed([MAX, 1e308, 4.0, 1e-310, 5e-324, 1e-200]):
                zs.append(complex(re, im))
    if name == "round":
        for re in signed([0.5, 1.5, 2.5, 0.49999999999999994, 4503599627370495.5, 1e300, 0.4]):
            for im in signed([0.5, 3.5, -2.5, 1.25, 1e-300]):
                zs.append(complex(re, im))
    return zs


def random_args(rng, count):
    zs = []
    for i in range(count):
        if i % 3 == 0:
            lo, hi = -3.0, 3.0
        elif i % 3 == 1:
            lo, hi = -20.0, 20.0
        else:
            lo, hi = -300.0, 300.0
        re = rng.choice((-1.0, 1.0)) * 10.0 ** rng.uniform(lo, hi)
        im = rng.choice((-1.0, 1.0)) * 10.0 ** rng.uniform(lo, hi)
        zs.append(complex(re, im))
    return zs


def dedupe(zs):
    seen = set()
    out = []
    for z in zs:
        key = (repr(z.real), repr(z.imag))
        if key not in seen:
            seen.add(key)
            out.append(z)
    return out


def fmt(x):
    return repr(float(x))


def unary_cases(name, fn, rng):
    zs = [complex(a, b) for a in GRID for b in GRID]
    zs += branch_cut_extras(name)
    zs += random_args(rng, 60)
    zs = dedupe(zs)
    arr = np.array(zs, dtype=np.complex128)
    res = fn(arr)
    lines = []
    for z, r in zip(arr, res):
        if name == "abs":
            rr, ri = float(r), 0.0
        else:
            rr, ri = r.real, r.imag
        lines.append("\t".join([name, fmt(z.real), fmt(z.imag), fmt(rr), fmt(ri)]))
    return lines


def binary_cases(name, fn, rng):
    pairs = []
    if name == "div":
        nums = [complex(1, 0), complex(-0.0, 0.0), complex(0.0, -0.0), complex(3, -4),
                complex(inf, 0), complex(0, -inf), complex(nan, 1), complex(1e300, 1e300),
                complex(5e-324, -1e-310), complex(-2.5, 0.5)]
        dens = [complex(0.0, 0.0), complex(-0.0, 0.0), complex(0.0, -0.0), complex(-0.0, -0.0),
                complex(1, 0), complex(0, 1), complex(2, -2), complex(-3, 4), complex(1e-300, 1e300),
                complex(1e300, -1e-300), complex(1e308, 1e308), complex(5e-324, 5e-324),
                complex(inf, 0), complex(0, inf), complex(inf, inf), complex(-inf, 1),
                complex(nan, 0), complex(0, nan), complex(1, nan), complex(1e-310, -3e-320),
                complex(0.1, 0.3)]
        pairs = [(a, b) for a in nums for b in dens]
    else:
        bases = [complex(0.0, 0.0), complex(-0.0, 0.0), complex(0.0, -0.0), complex(1, 0),
                 complex(-1, 0), complex(-1, -0.0), complex(2, 0), complex(-8, 0), complex(0, 1),
                 complex(1.5, -2.5), complex(-0.5, 0.25), complex(1e300, 1e300), complex(1e-300, 0),
                 complex(inf, 0), complex(-inf, 0), complex(0, inf), complex(inf, inf),
                 complex(nan, 0), complex(0, nan), complex(1, nan), complex(1.0000001, 1e-9),
                 complex(3, 4)]
        exps = [complex(0, 0), complex(-0.0, -0.0), complex(0, 1), complex(1, 0), complex(2, 0),
                complex(3, 0), complex(4, 0), complex(5, 0), complex(-1, 0), complex(-2, 0),
                complex(-3, 0), complex(-7, 0), complex(99, 0), complex(-99, 0), complex(100, 0),
                complex(-100, 0), complex(0.5, 0), complex(-0.5, 0), complex(2.5, 0),
                complex(1, 1), complex(-1.5, 2), complex(1e-300, 0), complex(0, -1e-300),
                complex(1e10, 0), complex(inf, 0), complex(-inf, 0), complex(nan, 0),
                complex(0, nan), complex(2, 1e-300), complex(1000, 0)]
        pairs = [(a, b) for a in bases for b in exps]
    for _ in range(150):
        a = random_args(rng, 1)[0]
        b = random_args(rng, 1)[0]
        if name == "pow":
            # Keep exponents and bases where the answer is mostly finite and interesting.
            a = complex(a.real % 10 - 5, a.imag % 10 - 5)
            k = rng.randrange(4)
            if k == 0:
                b = complex(rng.randrange(-120, 121), 0.0)
            elif k == 1:
                b = complex(rng.uniform(-20, 20), 0.0)
            else:
                b = complex(rng.uniform(-10, 10), rng.uniform(-10, 10))
        pairs.append((a, b))
    arr_a = np.array([p[0] for p in pairs], dtype=np.complex128)
    arr_b = np.array([p[1] for p in pairs], dtype=np.complex128)
    res = fn(arr_a, arr_b)
    lines = []
    for a, b, r in zip(arr_a, arr_b, res):
        lines.append("\t".join([name, fmt(a.real), fmt(a.imag), fmt(b.real), fmt(b.imag),
                                fmt(r.real), fmt(r.imag)]))
    return lines


def main():
    warnings.simplefilter("ignore")
    np.seterr(all="ignore")
    rng = random.Random(20240601)
    lines = [
        "# NumPy %s answers for src/cmath.rs, written by scripts/make_cmath_cases.py (python %s, %s)."
        % (np.__version__, sys.version.split()[0], sys.platform),
        "# func\tre_a\tim_a\t[re_b\tim_b]\tre_r\tim_r  (Python float repr; see the script's docstring)",
    ]
    for name, fn in UNARY.items():
        lines += unary_cases(name, fn, rng)
    lines += binary_cases("div", np.divide, rng)
    lines += binary_cases("pow", np.power, rng)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote %d cases to %s" % (len(lines) - 2, os.path.normpath(OUT)))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Prints the sign of the NaN NumPy computes for each operation, per loop: contiguous arrays
of 1, 3, 20 and 1000 elements (`c1`...), the same strided (`s1`...), NumPy scalars (`sc`) and
an array with a scalar (`bc`); `+` is a NaN with the sign bit clear, `-` one with it set.
docs/language.md ("NaN signs") tabulates its output for NumPy 2.4 on x86-64.

    python3 scripts/measure_nan_signs.py
"""
import numpy as np

np.seterr(all="ignore")
P = np.float64(np.nan)
M = -np.float64(np.nan)


def signs(x):
    return "".join("-" if s else "+" for s in np.signbit(np.atleast_1d(x)))


def layouts(f, x, y, dt):
    out = {}
    for n in (1, 3, 20, 1000):
        a, b = np.full(n, x, dt), np.full(n, y, dt)
        out[f"c{n}"] = signs(f(a, b))[-1]
        out[f"s{n}"] = signs(f(np.full(2 * n, x, dt)[::2], np.full(2 * n, y, dt)[::2]))[-1]
    out["sc"] = signs(f(dt(x), dt(y)))
    out["bc"] = signs(f(np.full(20, x, dt), dt(y)))[-1]
    return " ".join(f"{k}:{v}" for k, v in out.items())


BINARY = [("add", np.add), ("subtract", np.subtract), ("multiply", np.multiply),
          ("divide", np.true_divide), ("maximum", np.maximum), ("minimum", np.minimum),
          ("fmax", np.fmax), ("power", np.power), ("remainder", np.remainder),
          ("arctan2", np.arctan2), ("hypot", np.hypot)]
UNARY = [("sqrt", np.sqrt), ("log", np.log), ("sin", np.sin), ("exp", np.exp),
         ("arccos", np.arccos), ("round", np.round), ("floor", np.floor)]

for dt in (np.float64, np.float32):
    print(dt.__name__)
    for name, f in BINARY:
        for x, y, what in ((P, M, "nan, -nan"), (M, P, "-nan, nan"), (M, 1.0, "-nan, 1"),
                           (1.0, M, "1, -nan")):
            print(f"  {name}({what}):", layouts(f, x, y, dt))
    print("  inf - inf:", layouts(np.subtract, np.inf, np.inf, dt))
    print("  0 * inf:", layouts(np.multiply, 0.0, np.inf, dt))
    for name, f in UNARY:
        for x, what in ((M, "-nan"), (P, "nan"), (-1.0, "-1"), (np.inf, "inf")):
            print(f"  {name}({what}):", layouts(lambda a, b, f=f: f(a), x, 0.0, dt))

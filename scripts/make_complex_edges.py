#!/usr/bin/env python3
"""Writes crates/numjit/tests/data/complex_edges.tsv: complex minimum/maximum with NaN parts,
complex products and quotients with infinite, NaN, zero and huge parts, and the shapes of
expression issue 14 found the interpreter and the JIT to disagree on, answered by NumPy
(`tests/it/complex_edges.rs` replays them through both engines).

Run with NumPy 2.4 on x86-64:  python3 scripts/make_complex_edges.py

Each line: an expression, then its inputs (`a` `b` float64, `w0` `w1` complex128, as Python's
`repr`, which Rust's `f64::from_str` reads back exactly), then NumPy's answer (one or two float64s' bits). NumPy is asked with
arrays of 20 elements (its contiguous SIMD loops); where a 1-element array or a NumPy scalar
gives a different answer, the line is written anyway and the difference is recorded in the
last column (`same` or what differs), so the test can say which of NumPy's loops numjit follows.
"""
import itertools
import os
import numpy as np

np.seterr(all="ignore")
inf, nan = np.inf, np.nan


def h(x):
    return repr(float(x))


SPECIAL = [nan, inf, -inf, 0.0, -0.0, 1.0, -1.0, 2.5, -3.75, 1e308, 5e-324, 255.0]
# complex values: every pair of SPECIAL parts would be 144 values; keep a spread of them.
CVALS = [complex(r, i) for r, i in itertools.product(SPECIAL, SPECIAL)][::12] + [
    complex(2, 3), complex(-1e308, 1e308), complex(1, inf), complex(inf, 1), complex(nan, 1),
    complex(1, nan), complex(0, 0), complex(-0.0, -0.0), complex(1e-300, 1e300),
]

EXPRS = {
    "minimum(w0, w1)": lambda a, b, w0, w1: np.minimum(w0, w1),
    "maximum(w0, w1)": lambda a, b, w0, w1: np.maximum(w0, w1),
    "w0 * w1": lambda a, b, w0, w1: w0 * w1,
    "w0 / w1": lambda a, b, w0, w1: w0 / w1,
    "w0 * a": lambda a, b, w0, w1: w0 * a,
    "a / w0": lambda a, b, w0, w1: a / w0,
    "copysign(real(minimum(0, w0)), real(1e3*a)) + (minimum(w1, w0)--w0)":
        lambda a, b, w0, w1: np.copysign(np.real(np.minimum(0, w0)), np.real(1e3 * a))
        + (np.minimum(w1, w0) - -w0),
}
# inputs of the real operands: SPECIAL, but no NaN for the copysign case (a NaN sign source is
# numjit's documented difference, docs/language.md "NaN signs": tested on its own)
REALS = [x for x in SPECIAL if x == x]


def rows():
    for e, f in EXPRS.items():
        if e in ("w0 * a", "a / w0"):
            # every complex value against every real one
            inputs = [(x, z, CVALS[0]) for z in CVALS for x in SPECIAL]
        else:
            reals = REALS if "copysign" in e else SPECIAL
            pairs = itertools.product(CVALS, CVALS)
            inputs = [(reals[k % len(reals)], z0, z1) for k, (z0, z1) in enumerate(pairs)]
        for a, z0, z1 in inputs:
            b = 0.0
            arrs = [np.full(20, v) for v in (a, b)] + [np.full(20, v, complex) for v in (z0, z1)]
            want = np.asarray(f(*arrs))[7]
            one = np.asarray(f(*[x[:1] for x in arrs]))[0]
            scal = f(np.float64(a), np.float64(b), np.complex128(z0), np.complex128(z1))

            def key(v):
                v = complex(v)
                return (v.real if v.real == v.real else "nan", v.imag if v.imag == v.imag else "nan")

            note = "same"
            if key(one) != key(want):
                note = "1-element:" + str(complex(one))
            elif key(scal) != key(want):
                note = "scalar:" + str(complex(scal))
            want = complex(want)
            ins = [h(a), h(b), h(z0.real), h(z0.imag), h(z1.real), h(z1.imag)]
            yield "\t".join([e, " ".join(ins), h(want.real) + " " + h(want.imag), note])


def quotient_rows():
    """The issue's 14-ulp case, `w0 / (255**3.0 % expm1(a))**3`, taken apart: NumPy's expm1
    and cube (on AVX-512 hosts SVML's, within an ulp or two, not correctly rounded), the
    exactly rounded cube of NumPy's remainder (mpmath), and NumPy's quotient."""
    from fractions import Fraction
    import random

    rng = random.Random(14)
    for _ in range(200):
        a = rng.uniform(-3, 12)
        w0 = complex(rng.uniform(-5, 5), rng.uniform(-5, 5))
        A = np.full(20, a)
        e = np.expm1(A)[7]
        m = (255 ** 3.0 % np.expm1(A))[7]
        cube = ((255 ** 3.0 % np.expm1(A)) ** 3)[7]
        exact = float(Fraction(float(m)) ** 3)  # Fraction -> float rounds to nearest
        want = (np.full(20, w0) / (255 ** 3.0 % np.expm1(A)) ** 3)[7]
        yield "\t".join(["quotient", " ".join(h(v) for v in (a, w0.real, w0.imag, e, m, cube, exact)),
                          h(want.real) + " " + h(want.imag), "same"])


def main():
    out = os.path.join(os.path.dirname(__file__), "..", "crates", "numjit", "tests", "data",
                       "complex_edges.tsv")
    with open(out, "w") as f:
        f.write(f"# written by scripts/make_complex_edges.py with NumPy {np.__version__}; see there\n")
        for r in rows():
            f.write(r + "\n")
        for r in quotient_rows():
            f.write(r + "\n")


main()

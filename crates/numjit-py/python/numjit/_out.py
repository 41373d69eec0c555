"""How a result reaches an ``out=`` array some of whose positions share memory (a zero
stride, or an ``as_strided`` view whose steps overlap): as NumPy's ``out=`` writes one (and
numexpr's), the value of the position last in C order wins. numjit computes the result into a
new array first; NumPy's ufunc machinery then writes it, after the casting rule is checked."""

from __future__ import annotations

import numpy as np

from .errors import _make


def _identity(dtype: np.dtype):
    """A `v` with `x + v` equal to `x` bit for bit for every `x` of `dtype` (-0.0 keeps the
    sign of zeros; a NaN stays a NaN, quieted if it was signalling)."""
    if dtype.kind == "b":
        return np.False_
    if dtype.kind in "iu":
        return dtype.type(0)
    if dtype.kind == "c":
        return dtype.type(complex(-0.0, -0.0))
    return dtype.type(-0.0)


def write_overlapping(out: np.ndarray, result: np.ndarray, casting: str) -> None:
    """Writes `result` into `out` (shapes broadcast as NumPy's) under `casting`."""
    if not np.can_cast(result.dtype, out.dtype, casting):
        message = f"cannot cast the result from {result.dtype} to {out.dtype} under casting='{casting}'"
        raise _make("OutputError", "error: " + message, message, None)
    np.add(result, _identity(result.dtype), out=out, casting="unsafe")

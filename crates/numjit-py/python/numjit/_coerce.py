"""How values that are not arrays numjit reads in place become inputs: NumPy's ``asarray``
(numpy scalars, lists), then numexpr's widening (int8, int16, uint8, uint16 → int32;
uint32 → int64; float16 → float32; complex64 → complex128) and a copy for unaligned,
byte-swapped or oddly strided data. What numjit cannot compute on is refused with a
TypeError that says what it reads."""

from __future__ import annotations

import numpy as np

_TARGET = {
    "b1": np.bool_,
    "i1": np.int32,
    "i2": np.int32,
    "i4": np.int32,
    "i8": np.int64,
    "u1": np.int32,
    "u2": np.int32,
    "u4": np.int64,
    "f2": np.float32,
    "f4": np.float32,
    "f8": np.float64,
    "c8": np.complex128,
    "c16": np.complex128,
}

_READS = (
    "numjit reads bool, int8/16/32/64, uint8/16/32, float16/32/64, complex64/128 and byte "
    "string (S) arrays and scalars"
)


def coerce(value: object) -> np.ndarray:
    """`value` as an array numjit reads in place (a copy when it must be)."""
    if isinstance(value, str):
        raise TypeError(
            f"{_READS}; got a str ({value!r}): use bytes (b'...') for strings"
        )
    arr = np.asarray(value)
    dt = arr.dtype
    if dt.fields is not None:
        raise TypeError(f"{_READS}; got a structured array ({dt}): pass one field")
    if dt.kind == "S":
        if dt.itemsize == 0:
            return np.zeros(arr.shape, dtype="S1")
        return np.array(arr, dtype=dt.newbyteorder("="), order="C", copy=True)
    key = f"{dt.kind}{dt.itemsize}" if dt.kind != "b" else "b1"
    target = _TARGET.get(key)
    if target is None:
        what = {
            "u8": "uint64 (numexpr refuses it too: it has no lossless numjit dtype)",
            "U": "str (unicode)",
            "O": "Python objects",
        }.get(key if dt.kind == "u" else dt.kind, str(dt))
        raise TypeError(f"{_READS}; got {what}")
    return np.array(arr, dtype=target, order="K", copy=True)

#!/usr/bin/env python3
"""Writes the .npy fixture files in crates/numjit/tests/data/npy/ that crates/numjit/tests/it/npy.rs reads.

Run from anywhere with NumPy installed:  python3 scripts/make_npy_fixtures.py
The output is deterministic; the values are repeated by hand in tests/it/npy.rs.
"""

import os

import numpy as np
from numpy.lib import format as npformat

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "crates", "numjit", "tests", "data", "npy")


def save(name, a, version=None, allow_pickle=False):
    path = os.path.join(OUT, name)
    if version is None:
        np.save(path, a, allow_pickle=allow_pickle)
    else:
        with open(path, "wb") as f:
            npformat.write_array(f, a, version=version, allow_pickle=False)


def main():
    os.makedirs(OUT, exist_ok=True)

    # Supported dtypes, little-endian, C order, version 1.0.
    save("f8_1d.npy", np.array([0.0, -1.5, 2.25, 1e300, -5e-324, np.inf, -np.inf, np.nan]))
    save("i8_2d.npy", np.array([[0, 1, -2], [2**62, -(2**63), 2**63 - 1]], dtype=np.int64))
    save("b1_1d.npy", np.array([True, False, True, True]))
    save("f8_3d.npy", np.arange(24, dtype=np.float64).reshape(2, 3, 4) / 4)

    # 0-d arrays (shape ()).
    save("f8_0d.npy", np.array(3.5))
    save("i8_0d.npy", np.array(-7, dtype=np.int64))
    save("b1_0d.npy", np.array(True))

    # Empty arrays.
    save("f8_empty_0x3.npy", np.zeros((0, 3)))
    save("i8_empty.npy", np.zeros((0,), dtype=np.int64))

    # Fortran order.
    save("f8_fortran.npy", np.asfortranarray(np.arange(6, dtype=np.float64).reshape(2, 3)))
    save("i8_fortran_3d.npy", np.asfortranarray(np.arange(24, dtype=np.int64).reshape(2, 3, 4)))
    save("b1_fortran.npy", np.asfortranarray(np.array([[True, False, False], [False, True, True]])))

    # Big-endian data.
    save("f8_big.npy", np.array([1.0, -2.5, 1e-300], dtype=">f8"))
    save("i8_big.npy", np.array([1, -2, 2**40 + 3], dtype=">i8"))
    save("f8_big_fortran.npy", np.asfortranarray(np.arange(6, dtype=">f8").reshape(3, 2)))

    # Format versions 2.0 and 3.0.
    save("f8_v2.npy", np.array([1.0, 2.0, 3.0]), version=(2, 0))
    save("i8_v3.npy", np.array([[1, 2], [3, 4]], dtype=np.int64), version=(3, 0))

    # Unsupported dtypes.
    save("i4.npy", np.array([1, 2, 3], dtype=np.int32))
    save("f4.npy", np.array([1.0, 2.0], dtype=np.float32))
    save("u1.npy", np.array([1, 2], dtype=np.uint8))
    save("c16.npy", np.array([1 + 2j]))
    save("U3.npy", np.array(["abc", "de"]))
    save("structured.npy", np.zeros(2, dtype=[("a", "<f8"), ("b", "<i4")]))
    save("object.npy", np.array([1, "a"], dtype=object), allow_pickle=True)


if __name__ == "__main__":
    main()

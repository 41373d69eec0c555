#!/usr/bin/env python3
"""Writes the .npy fixtures of the dtypes int32, float32 and complex128, of the narrower dtypes
numjit widens on reading, and of the dtypes it refuses, plus the NumPy `repr` cases, into this
directory (tests/data/npy/). tests/it/npy.rs reads them. The older fixtures (bool, int64,
float64, the first unsupported ones) come from scripts/make_npy_fixtures.py.

Run from anywhere with NumPy 2.4 installed:  python3 tests/data/npy/make.py
The output is deterministic (fixed seeds).

Files written:

* `<name>.npy`: one array each, values repeated by hand in tests/it/npy.rs, or
* `<name>.npy` with `<name>_want.npy` beside it: the widened array as NumPy converts it
  (`a.astype(np.int32)` and so on), compared value by value (bit by bit for floats);
* `f2_all.txt`: the FNV-1a 64 hash of the little-endian bytes of every float16 bit pattern
  0..65535 converted to float32 by NumPy (the test converts the same patterns and hashes);
* `repr_cases.npy`: many arrays saved one after the other (bool, int32, int64, float32,
  float64, complex128 only), and `repr_cases.txt`: for each, in the same order, a description
  and NumPy's `repr()` with newlines written as `\\n`, separated by a tab.
"""

import os

import numpy as np
from numpy.lib import format as npformat

OUT = os.path.dirname(os.path.abspath(__file__))


def save(name, a, version=None, allow_pickle=False):
    path = os.path.join(OUT, name)
    if version is None:
        np.save(path, a, allow_pickle=allow_pickle)
    else:
        with open(path, "wb") as f:
            npformat.write_array(f, a, version=version, allow_pickle=False)


def widened(name, a, to):
    """The array in a narrow dtype and, beside it, NumPy's conversion to numjit's dtype."""
    save(name + ".npy", a)
    save(name + "_want.npy", a.astype(to))


def fixtures():
    f16 = np.float16
    # numjit's new dtypes: C order, Fortran order, big-endian, 0-d, empty, format versions.
    save("i4_1d.npy", np.array([0, 1, -2, 2**31 - 1, -(2**31)], dtype=np.int32))
    save("i4_0d.npy", np.array(-7, dtype=np.int32))
    save("i4_big_fortran.npy", np.asfortranarray(np.arange(-3, 3, dtype=">i4").reshape(2, 3)))
    save("i4_empty.npy", np.zeros((2, 0), dtype=np.int32))
    save(
        "f4_1d.npy",
        np.array(
            [0.0, -1.5, 0.1, 3.4028235e38, 1e-45, 1.1754944e-38, np.inf, -np.inf, np.nan, -0.0],
            dtype=np.float32,
        ),
    )
    save("f4_0d.npy", np.array(2.5, dtype=np.float32))
    save("f4_big.npy", np.array([1.0, -2.5, 1e-30], dtype=">f4"))
    save("f4_fortran_3d.npy", np.asfortranarray(np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 8))
    save(
        "c16_1d.npy",
        np.array([1 + 2j, -0.5 - 1e300j, complex(np.inf, np.nan), complex(0.0, -0.0)]),
    )
    save("c16_0d.npy", np.array(3 - 4j))
    save("c16_big.npy", np.array([1 + 2j, -3.5 + 0.25j], dtype=">c16"))
    save("c16_fortran.npy", np.asfortranarray((np.arange(6) + 1j * np.arange(6, 12)).reshape(2, 3)))
    save("c16_v3.npy", np.array([1j, 2, -3j]), version=(3, 0))
    save("f4_v2.npy", np.array([0.5, 1.5], dtype=np.float32), version=(2, 0))

    # Narrower dtypes, widened as numexpr widens them.
    widened("i1", np.array([-128, -1, 0, 1, 127], dtype=np.int8), np.int32)
    widened("i2", np.array([-32768, -2, 0, 32767], dtype=np.int16), np.int32)
    widened("i2_big_fortran", np.asfortranarray(np.arange(-3, 3, dtype=">i2").reshape(3, 2)), np.int32)
    widened("u1_range", np.array([0, 1, 128, 255], dtype=np.uint8), np.int32)
    widened("u2", np.array([0, 1, 32768, 65535], dtype=np.uint16), np.int32)
    widened("u2_big", np.array([0, 1, 65534], dtype=">u2"), np.int32)
    widened("u4", np.array([0, 1, 2**31, 2**32 - 1], dtype=np.uint32), np.int64)
    widened("u4_big_0d", np.array(4000000000, dtype=">u4"), np.int64)
    halves = np.array(
        [0.0, -0.0, 1.0, -2.0, 65504.0, -65504.0, 6.1035e-05, 5.96e-08, -5.96e-08, 6.097e-05,
         0.1, 1 / 3, np.inf, -np.inf, np.nan],
        dtype=f16,
    )
    widened("f2", halves, np.float32)
    widened("f2_big", halves.astype(">f2"), np.float32)
    # NaNs with payloads and both signs (as bit patterns).
    widened("f2_nans", np.array([0x7C01, 0x7E00, 0xFE00, 0xFFFF, 0x7D55], dtype=np.uint16).view(f16), np.float32)
    widened("c8", np.array([1 + 2j, -0.1 + 3.4e38j, complex(np.nan, np.inf), -0.0j], dtype=np.complex64), np.complex128)
    widened("c8_big", np.array([1.5 - 2j, 0.1j], dtype=">c8"), np.complex128)

    # Byte strings (read by npy::read_contents, not as an Array).
    save("S_fortran.npy", np.asfortranarray(np.array([[b"a", b"bb", b""], [b"dddd", b"e\x00f", b"ff"]])))
    save("S_0d.npy", np.array(b"xyz"))
    save("S_big_width.npy", np.array([b"hello", b"world"], dtype="S8"))

    # Refused dtypes.
    save("u8.npy", np.array([1, 2**64 - 1], dtype=np.uint64))
    # x87 long doubles (1.0 and 2.0) from their bytes: NumPy leaves garbage in the 6 padding
    # bytes of the ones it converts, which would make the file differ from run to run.
    one, two = "0000000000000080ff3f" + "00" * 6, "00000000000000800040" + "00" * 6
    save("f16.npy", np.frombuffer(bytes.fromhex(one + two), dtype="<f16"))
    save("c32.npy", np.frombuffer(bytes.fromhex(one + one), dtype="<c32"))
    save("S3.npy", np.array([b"abc", b"de"]))
    save("M8.npy", np.array(["2020-01-01", "2021-06-30"], dtype="datetime64[D]"))
    save("m8.npy", np.array([1, 2], dtype="timedelta64[s]"))
    save("V4.npy", np.zeros(2, dtype="V4"))

    # Every float16 converted to float32 by NumPy, hashed.
    bits = np.arange(65536, dtype=np.uint32).astype(np.uint16)
    single = bits.view(f16).astype("<f4").tobytes()
    h = 0xCBF29CE484222325
    for byte in single:
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    with open(os.path.join(OUT, "f2_all.txt"), "w") as f:
        f.write(f"{h:016x}\n")


def repr_cases():
    rng = np.random.default_rng(2024)
    cases = []

    def add(desc, a):
        assert a.dtype in (np.bool_, np.int32, np.int64, np.float32, np.float64, np.complex128)
        cases.append((desc, a.copy(order="C")))

    f4 = np.float32
    # int32
    add("np.array([1, 2], dtype=np.int32)", np.array([1, 2], dtype=np.int32))
    add("np.array(3, dtype=np.int32)", np.array(3, dtype=np.int32))
    add("np.array([-2**31, 2**31-1], dtype=np.int32)", np.array([-(2**31), 2**31 - 1], dtype=np.int32))
    add("np.arange(100, dtype=np.int32)", np.arange(100, dtype=np.int32))
    add("np.arange(24, dtype=np.int32).reshape(2, 3, 4) - 5", np.arange(24, dtype=np.int32).reshape(2, 3, 4) - 5)
    add("np.zeros((0,), np.int32)", np.zeros((0,), np.int32))
    add("np.zeros((2, 0), np.int32)", np.zeros((2, 0), np.int32))
    add("np.arange(1001, dtype=np.int32)", np.arange(1001, dtype=np.int32))
    add("np.arange(1001, dtype=np.int32) * 1000", np.arange(1001, dtype=np.int32) * 1000)
    add("np.arange(2002, dtype=np.int32).reshape(2, 1001)", np.arange(2002, dtype=np.int32).reshape(2, 1001))
    add("np.arange(60, dtype=np.int32).reshape(2, 30) * 1000", np.arange(60, dtype=np.int32).reshape(2, 30) * 1000)

    # float32
    add("np.array([1.5, 2.], dtype=np.float32)", np.array([1.5, 2.0], dtype=f4))
    add("np.array(1.5, dtype=np.float32)", np.array(1.5, dtype=f4))
    add("np.array(0.1, dtype=np.float32)", np.array(0.1, dtype=f4))
    add("np.array(1e20, dtype=np.float32)", np.array(1e20, dtype=f4))
    add("np.array(np.nan, dtype=np.float32)", np.array(np.nan, dtype=f4))
    add("np.array([0.1, 0.2, 0.3], dtype=np.float32)", np.array([0.1, 0.2, 0.3], dtype=f4))
    add("np.array([1/3, 2/3], dtype=np.float32)", np.array([1 / 3, 2 / 3], dtype=f4))
    add("np.array([1e6, 1.], dtype=np.float32)", np.array([1e6, 1.0], dtype=f4))
    add("np.array([999999., 1.], dtype=np.float32)", np.array([999999.0, 1.0], dtype=f4))
    add("np.array([1e-4, 1.], dtype=np.float32)", np.array([1e-4, 1.0], dtype=f4))
    add("np.array([1e-4], dtype=np.float32)", np.array([1e-4], dtype=f4))
    add("np.array([1e-4, 0.1], dtype=np.float32)", np.array([1e-4, 0.1], dtype=f4))
    add("np.array([1.3, 1300.], dtype=np.float32)", np.array([1.3, 1300.0], dtype=f4))
    add("np.array([0.1, 1e-5], dtype=np.float32)", np.array([0.1, 1e-5], dtype=f4))
    add("np.array([np.nan, -np.inf, np.inf, 0.5], dtype=np.float32)", np.array([np.nan, -np.inf, np.inf, 0.5], dtype=f4))
    add("np.array([np.nan, 1e30, -np.inf], dtype=np.float32)", np.array([np.nan, 1e30, -np.inf], dtype=f4))
    add("np.array([-0., 0.], dtype=np.float32)", np.array([-0.0, 0.0], dtype=f4))
    add("np.array([3.4028235e38, -1e-45], dtype=np.float32)", np.array([3.4028235e38, -1e-45], dtype=f4))
    add("np.array([16777216., 16777217.], dtype=np.float32)", np.array([16777216.0, 16777217.0], dtype=f4))
    # Exact ties between two shortest candidates: Dragon4 takes the even last digit.
    add("np.array([7756.15625, -190558.08], dtype=np.float32)", np.array([7756.15625, -190558.08], dtype=f4))
    add("np.array([59758.0625, 0.], dtype=np.float32)", np.array([59758.0625, 0.0], dtype=f4))
    add("np.array(7756.15625, dtype=np.float32)", np.array(7756.15625, dtype=f4))
    add("np.arange(40, dtype=np.float32) / 7", np.arange(40, dtype=f4) / f4(7))
    add("np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 5.5", np.arange(24, dtype=f4).reshape(2, 3, 4) - f4(5.5))
    add("np.zeros((0, 3), np.float32)", np.zeros((0, 3), f4))
    add("np.arange(1001, dtype=np.float32) / 7 + 1000", np.arange(1001, dtype=f4) / f4(7) + f4(1000))
    add("np.arange(1200, dtype=np.float32).reshape(40, 30) * 1.5", np.arange(1200, dtype=f4).reshape(40, 30) * f4(1.5))

    # complex128
    add("np.array([1+2j, -1j])", np.array([1 + 2j, -1j]))
    add("np.array(1+2j)", np.array(1 + 2j))
    add("np.array(-0.5j)", np.array(-0.5j))
    add("np.array(complex(np.nan, np.nan))", np.array(complex(np.nan, np.nan)))
    add("np.array([1+2j, -0.-1j, nan+nanj, inf+0j])", np.array([1 + 2j, complex(-0.0, -1), complex(np.nan, np.nan), complex(np.inf, 0)]))
    add("np.array([1e20+1j, 1])", np.array([1e20 + 1j, 1]))
    add("np.array([complex(-np.inf, -np.inf), 1.5])", np.array([complex(-np.inf, -np.inf), 1.5]))
    add("np.array([complex(1, -np.inf)])", np.array([complex(1, -np.inf)]))
    add("np.array([complex(np.nan, 1)])", np.array([complex(np.nan, 1)]))
    add("np.array([0.1+0.2j, 1/3-2/3j])", np.array([0.1 + 0.2j, 1 / 3 - 2j / 3]))
    add("np.array([1+1e-5j, 2])", np.array([1 + 1e-5j, 2]))
    add("np.array([1j, 1e-300j])", np.array([1j, 1e-300j]))
    add("np.array([-0.0+0.0j, 0.0-0.0j])", np.array([complex(-0.0, 0.0), complex(0.0, -0.0)]))
    add("np.zeros((0,), complex)", np.zeros((0,), complex))
    add("np.zeros((3, 0), complex)", np.zeros((3, 0), complex))
    add("(np.arange(12) + 1j*np.arange(12)[::-1]).reshape(3, 4) / 3", (np.arange(12) + 1j * np.arange(12)[::-1]).reshape(3, 4) / 3)
    add("np.arange(30) * (1+1j)", np.arange(30) * (1 + 1j))
    add("np.arange(1001) * (0.5-2j)", np.arange(1001) * (0.5 - 2j))
    add("np.exp(1j * np.arange(1200)).reshape(40, 30)", np.exp(1j * np.arange(1200)).reshape(40, 30))

    # Random arrays: magnitudes over many decades, special values mixed in.
    def floats(dtype, n):
        mant = rng.uniform(-1, 1, n)
        exp = rng.integers(-12, 13, n)
        v = (mant * 10.0 ** exp).astype(dtype)
        kind = rng.integers(0, 12, n)
        v[kind == 0] = 0
        v[kind == 1] = np.round(v[kind == 1])
        return v

    for k in range(120):
        n = int(rng.integers(1, 9))
        add(f"random float32 #{k}", floats(f4, n))
    for k in range(60):
        n = int(rng.integers(1, 9))
        v = floats(f4, n)
        v[rng.integers(0, 10, n) == 0] = rng.choice([np.nan, np.inf, -np.inf, -0.0])
        add(f"random float32 with specials #{k}", v)
    for k in range(40):
        scale = 10.0 ** rng.integers(-3, 4)
        add(f"random float32 in one decade #{k}", (rng.uniform(0, 1, 6) * scale).astype(f4))
    for k in range(60):
        n = int(rng.integers(1, 9))
        add(f"random float64 #{k}", floats(np.float64, n))
    for k in range(100):
        n = int(rng.integers(1, 9))
        v = floats(np.float64, n) + 1j * floats(np.float64, n)
        if k % 3 == 0:
            spec = rng.integers(0, 8, n) == 0
            v[spec] = complex(rng.choice([np.nan, np.inf, -np.inf, 0.0]), rng.choice([np.nan, np.inf, -np.inf, -0.0]))
        add(f"random complex128 #{k}", v)
    for k in range(30):
        add(f"random int32 #{k}", rng.integers(-(2**31), 2**31, int(rng.integers(1, 9))).astype(np.int32))
    for k in range(10):
        add(f"random float32 2-d #{k}", floats(f4, 12).reshape(3, 4))
        add(f"random complex128 2-d #{k}", (floats(np.float64, 6) + 1j * floats(np.float64, 6)).reshape(2, 3))

    with open(os.path.join(OUT, "repr_cases.npy"), "wb") as f:
        for _, a in cases:
            npformat.write_array(f, a, version=(1, 0), allow_pickle=False)
    with open(os.path.join(OUT, "repr_cases.txt"), "w") as f:
        f.write(f"# NumPy {np.__version__} repr() of the arrays in repr_cases.npy, in order; "
                "written by make.py.\n")
        for desc, a in cases:
            text = repr(a)
            assert "\t" not in text and "\\" not in text
            f.write(desc + "\t" + text.replace("\n", "\\n") + "\n")


if __name__ == "__main__":
    fixtures()
    repr_cases()

"""The evaluation checks of numexpr's tests that the replay skips because they also inspect
numexpr's virtual machine (see numexpr_skips.txt), and the places where numjit deliberately
gives NumPy's answer instead of numexpr's."""

import numpy as np
import pytest
from numpy import linspace, prod, sum
from numpy.testing import assert_allclose, assert_array_equal

from numjit import evaluate


def test_reductions_as_numexpr_checks_them():
    # numexpr's test_reductions without its disassemble() checks.
    x = np.zeros(100000) + 0.01
    assert_allclose(evaluate("sum(x+2,axis=None)"), sum(x + 2, axis=None))
    assert_allclose(evaluate("sum(x+2,axis=0)"), sum(x + 2, axis=0))
    assert_allclose(evaluate("prod(x,axis=0)"), prod(x, axis=0))
    assert_allclose(evaluate("min(x)"), np.min(x))
    assert_allclose(evaluate("max(x,axis=0)"), np.max(x, axis=0))
    x = np.arange(10).reshape(1, 10)
    for ax in ("None", "0", "1"):
        assert_allclose(evaluate(f"sum(x,axis={ax})"), sum(x, axis=None if ax == "None" else int(ax)))
    for x in (np.arange(10.0), np.arange(100.0), linspace(0.1, 1.0, 2000)):
        assert_allclose(evaluate("sum(x**2+2,axis=0)"), sum(x**2 + 2, axis=0))
        assert_allclose(evaluate("prod(x-1,axis=0)"), prod(x - 1, axis=0))
        assert_allclose(evaluate("min(x-1,axis=0)"), np.min(x - 1, axis=0))
        assert_allclose(evaluate("max(x-1,axis=0)"), np.max(x - 1, axis=0))
    y = np.arange(9.0).reshape(3, 3)
    for op, f in (("sum", np.sum), ("prod", np.prod), ("min", np.min), ("max", np.max)):
        for ax in (1, 0, None):
            assert_allclose(evaluate(f"{op}(y**2, axis={ax})"), f(y**2, axis=ax))
    x = np.arange(10.0).astype(int)
    assert_allclose(evaluate("sum(x**2+2,axis=0)"), sum(x**2 + 2, axis=0))
    assert_allclose(evaluate("prod(x**2+2,axis=0)"), prod(x**2 + 2, axis=0))
    assert_allclose(evaluate("min(x**2+2,axis=0)"), np.min(x**2 + 2, axis=0))
    assert_allclose(evaluate("max(x**2+2,axis=0)"), np.max(x**2 + 2, axis=0))
    x = x + 0.1j
    assert_allclose(evaluate("sum(x**2+2,axis=0)"), sum(x**2 + 2, axis=0))
    assert_allclose(evaluate("prod(x-1,axis=0)"), prod(x - 1, axis=0))


def test_axes_as_numpy():
    y = np.arange(9.0).reshape(3, 3)
    with pytest.raises(ValueError):
        evaluate("sum(y, axis=2)")
    with pytest.raises(ValueError):
        evaluate("sum(y, axis=-3)")
    # numexpr refuses negative axes; numjit takes NumPy's meaning
    assert_array_equal(evaluate("sum(y, axis=-1)"), y.sum(axis=-1))


def test_lone_literals_are_numpys():
    assert evaluate("2").dtype == np.asarray(2).dtype == np.int64
    assert evaluate("2**40") == 2**40
    i32 = np.arange(5, dtype=np.int32)
    assert evaluate("i32 * 2").dtype == np.int32  # weak, as in both NumPy and numexpr


def test_byte_string_arithmetic_is_refused():
    sarr1 = np.array([b"foo", b"bar"])
    sarr2 = np.array([b"x", b"y"])
    narr = np.arange(2, dtype=np.int32)
    for expr in ("sarr1 + sarr2", "sarr1 >= narr"):
        with pytest.raises(TypeError, match="byte strings"):
            evaluate(expr)

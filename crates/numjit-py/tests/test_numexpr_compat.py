"""The evaluation checks of numexpr's tests that the replay skips because they also inspect
numexpr's virtual machine (see numexpr_skips.txt); the places where numexpr's entry points
(evaluate, validate, re_evaluate, NumExpr) give numexpr's answer and numjit's own (compile,
compile_script, execute) NumPy's: integer literals and negative axes; and the places where
numjit deliberately gives NumPy's answer everywhere."""

import numpy as np
import pytest
from numpy import linspace, prod, sum
from numpy.testing import assert_allclose, assert_array_equal

import numjit
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


Y = np.arange(9.0).reshape(3, 3)


def test_negative_axes_are_refused_by_numexprs_functions():
    y = Y
    with pytest.raises(ValueError):
        evaluate("sum(y, axis=2)")
    with pytest.raises(ValueError):
        evaluate("sum(y, axis=-3)")
    # numexpr refuses negative axes; so do its entry points here, with a message that says
    # where NumPy's meaning is
    for text in ("sum(y, axis=-1)", "y - max(y, axis=-2)", "prod(y + sum(y, axis=-1), axis=0)"):
        with pytest.raises(numjit.ShapeError) as info:
            evaluate(text)
        assert isinstance(info.value, ValueError)
        msg = str(info.value)
        assert "negative axis" in msg and "numjit.execute and numjit.compile accept them" in msg
        assert "^" in msg  # the caret under the reduction
        e = numjit.validate(text)
        assert type(e) is numjit.ShapeError
        with pytest.raises(numjit.ShapeError):
            numjit.NumExpr(text, [("y", np.double)])
    assert_array_equal(evaluate("sum(y, axis=1)"), Y.sum(axis=1))


def test_negative_axes_are_numpys_in_numjits_own_functions():
    y = Y
    assert_array_equal(numjit.compile("sum(y, axis=-1)")(y), Y.sum(axis=-1))
    assert_array_equal(numjit.compile("y - max(y, axis=-2)")(y), Y - Y.max(axis=-2))
    assert_array_equal(numjit.execute("s = sum(y, axis=-2)")["s"], Y.sum(axis=-2))
    with pytest.raises(numjit.ShapeError, match="out of bounds"):
        numjit.compile("sum(y, axis=-3)")(y)
    # the two entry points do not share compiled expressions: evaluate still refuses
    with pytest.raises(numjit.ShapeError):
        evaluate("sum(y, axis=-1)")


B = np.array([True, False, True])
I4 = np.array([1, -2, 3], dtype=np.int32)
I8 = np.array([1, -2, 3], dtype=np.int64)
F4 = np.array([1.5, -2, 3], dtype=np.float32)
F8 = np.array([1.5, -2, 3])
C16 = np.array([1.5 + 1j, -2, 3])
ENV = {"b": B, "i4": I4, "i8": I8, "f4": F4, "f8": F8, "c": C16, "k": 3}

# (expression, numexpr 2.14.2's dtype, value): numexpr types an integer literal (or an integer
# expression of literals only, which Python computes exactly) int32 when its value fits and
# int64 otherwise, and combines it with bool and integer operands as that dtype; against floats
# and complex it is weak. Dtypes and values measured with numexpr 2.14.2.
NUMEXPR_LITERALS = [
    ("2", np.int32, 2),
    ("2+3", np.int32, 5),
    ("-2", np.int32, -2),
    ("2*3 - 7//2", np.int32, 3),
    ("~2", np.int32, -3),
    ("True + 1", np.int32, 2),
    ("2147483647", np.int32, 2147483647),
    ("-2147483648", np.int32, -2147483648),
    ("2147483648", np.int64, 2147483648),
    ("2147483647 + 1", np.int64, 2147483648),
    ("-2147483649", np.int64, -2147483649),
    ("2**40", np.int64, 2**40),
    ("2**40 - 2**40 + 1", np.int32, 1),
    ("2 + 2.5", np.float64, 4.5),
    ("2 + 1j", np.complex128, 2 + 1j),
    ("2 < 3", np.bool_, True),
    ("b + 2", np.int32, B + np.int32(2)),
    ("b * 2**40", np.int64, B * np.int64(2**40)),
    ("b & 2", np.int32, B & np.int32(2)),
    ("i4 + 2", np.int32, I4 + 2),
    ("i4 + 2**40", np.int64, I4.astype(np.int64) + 2**40),
    ("i4 * 3000000000", np.int64, I4.astype(np.int64) * 3000000000),
    ("i4 + (2**40 - 2**40 + 1)", np.int32, I4 + 1),
    ("i4 > 3000000000", np.bool_, I4 > 3000000000),
    ("i8 + 2", np.int64, I8 + 2),
    ("f4 * 2", np.float32, F4 * 2),
    ("f4 + 2**40", np.float32, F4 + np.float32(2**40)),
    ("f8 + 2", np.float64, F8 + 2),
    ("c * 2", np.complex128, C16 * 2),
    ("where(b, 1, 2)", np.int32, np.where(B, 1, 2).astype(np.int32)),
    ("where(b, 2**40, 1)", np.int64, np.where(B, 2**40, 1)),
    ("where(b, i4, 2)", np.int32, np.where(B, I4, np.int32(2))),
    ("i4 * k", np.int64, I4 * np.int64(3)),  # a Python int by name is np.asarray's int64
    ("b * k", np.int64, B * np.int64(3)),
    ("sin(2)", np.float64, np.sin(2.0)),
]


@pytest.mark.parametrize("text, dtype, value", NUMEXPR_LITERALS)
def test_integer_literals_are_typed_as_numexpr_types_them(text, dtype, value):
    for r in (
        evaluate(text, local_dict=ENV),
        numjit.NumExpr(text, [(n, ENV[n].dtype.type if n != "k" else np.int64)
                              for n in numjit.necompiler.getExprNames(text, {})[0]])(
            *[ENV[n] for n in numjit.necompiler.getExprNames(text, {})[0]]),
    ):
        r = np.asarray(r)
        assert r.dtype == dtype, (text, r.dtype)
        assert_array_equal(r, np.asarray(value, dtype=dtype))
    assert numjit.validate(text, local_dict=ENV) is None
    r = numjit.re_evaluate(local_dict=ENV)
    assert r.dtype == dtype
    assert_array_equal(r, np.asarray(value, dtype=dtype))


# The same expressions through numjit's own functions: NumPy 2's weak literals (an expression
# of literals only is int64, as np.asarray(2) is; an int32 array refuses a Python integer it
# cannot hold, as NumPy does).
NUMPY_LITERALS = [
    ("2", np.int64, 2),
    ("2+3", np.int64, 5),
    ("2147483647", np.int64, 2147483647),
    ("2**40", np.int64, 2**40),
    ("True + 1", np.int64, 2),
    ("b + 2", np.int64, B + 2),
    ("b & 2", np.int64, B & 2),
    ("i4 + 2", np.int32, I4 + 2),
    ("f4 * 2", np.float32, F4 * 2),
    ("where(b, 1, 2)", np.int64, np.where(B, 1, 2)),
    ("i4 * k", np.int64, I4 * np.int64(3)),
]


@pytest.mark.parametrize("text, dtype, value", NUMPY_LITERALS)
def test_integer_literals_are_numpys_in_numjits_own_functions(text, dtype, value):
    # NumPy itself is the oracle for the dtype where it has one (weak Python ints)
    if "k" not in text:
        want = eval(text.replace("where", "np.where"), {"np": np}, dict(ENV))
        assert np.asarray(want).dtype == dtype
    f = numjit.compile(text)
    r = np.asarray(f(*[ENV[n] for n in f.names]))
    assert r.dtype == dtype, (text, r.dtype)
    assert_array_equal(r, np.asarray(value, dtype=dtype))
    got = numjit.execute(f"t = {text}", local_dict=ENV)["t"]
    assert got.dtype == dtype
    assert_array_equal(got, np.asarray(value, dtype=dtype))


def test_an_int32_array_with_a_big_literal_is_refused_by_numjits_own_functions():
    i4 = I4
    with pytest.raises(numjit.DTypeError, match="out of bounds for int32"):
        numjit.compile("i4 + 2**40")(i4)
    assert_array_equal(evaluate("i4 + 2**40"), I4.astype(np.int64) + 2**40)


def test_integer_literals_against_numexpr_itself():
    ne = pytest.importorskip("numexpr")
    for text, _, _ in NUMEXPR_LITERALS:
        want = ne.evaluate(text, local_dict=dict(ENV))
        got = evaluate(text, local_dict=ENV)
        assert got.dtype == want.dtype, text
        assert_array_equal(got, want)


def test_byte_string_arithmetic_is_refused():
    sarr1 = np.array([b"foo", b"bar"])
    sarr2 = np.array([b"x", b"y"])
    narr = np.arange(2, dtype=np.int32)
    for expr in ("sarr1 + sarr2", "sarr1 >= narr"):
        with pytest.raises(TypeError, match="byte strings"):
            evaluate(expr)

"""numjit's Python API against NumPy: evaluate with frame and dict lookup, out= in place,
slicing, scripts that assign in place, compiled handles, numexpr's companions (re_evaluate,
validate, NumExpr, E), and bad input: the right exception and nothing changed."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal, assert_allclose

import numjit

G_GLOBAL = np.arange(4.0)


def test_names_come_from_the_callers_frame_then_its_globals():
    a = np.arange(5.0)
    b = np.full(5, 2.0)
    assert_array_equal(numjit.evaluate("a**2 + b**2 + 2*a*b"), (a + b) ** 2)
    assert_array_equal(numjit.evaluate("G_GLOBAL * 3"), G_GLOBAL * 3)
    # local_dict replaces the frame's locals, globals still come from the frame
    assert_array_equal(numjit.evaluate("a + G_GLOBAL", local_dict={"a": np.ones(4)}), 1 + G_GLOBAL)
    # both dicts given: the frame is not consulted
    with pytest.raises(KeyError):
        numjit.evaluate("a + G_GLOBAL", local_dict={"a": 1.0}, global_dict={})


def test_every_dtype_and_scalar_kind():
    for dt in [np.bool_, np.int32, np.int64, np.float32, np.float64, np.complex128]:
        x = (np.arange(6) % 3).astype(dt)
        r = numjit.evaluate("x * x", local_dict={"x": x})
        want = x * x
        assert r.dtype == want.dtype, dt
        assert_array_equal(r, want)
    # numexpr's widening of the dtypes numjit does not compute in
    for dt, wide in [(np.int8, np.int32), (np.int16, np.int32), (np.uint8, np.int32),
                     (np.uint16, np.int32), (np.uint32, np.int64), (np.float16, np.float32),
                     (np.complex64, np.complex128)]:
        x = np.arange(1, 5).astype(dt)
        r = numjit.evaluate("x + x", local_dict={"x": x})
        assert r.dtype == wide, dt
        assert_array_equal(r, x.astype(wide) * 2)
    # Python scalars: float64, int64, bool, complex128, bytes
    assert numjit.evaluate("k * 2", local_dict={"k": 3}).dtype == np.int64
    assert numjit.evaluate("k * 2", local_dict={"k": 3.5}) == 7.0
    assert numjit.evaluate("k & True", local_dict={"k": True}).dtype == np.bool_
    assert numjit.evaluate("k * 1j", local_dict={"k": 2 + 1j}) == (2 + 1j) * 1j
    s = np.array([b"ab", b"cd", b""])
    assert_array_equal(numjit.evaluate("(s == b'cd') | contains(s, k)", local_dict={"s": s, "k": b"a"}),
                       [True, True, False])
    # numpy scalars keep their dtype
    assert numjit.evaluate("x * 2", local_dict={"x": np.float32(1.5)}).dtype == np.float32
    # lists are arrays (numexpr's asarray)
    assert_array_equal(numjit.evaluate("x + 1", local_dict={"x": [1, 2]}), [2, 3])


def test_inputs_of_any_strides_are_read_in_place():
    base = np.arange(60.0).reshape(6, 10)
    cases = {
        "reversed": base[::-1, ::-2],
        "fortran": np.asfortranarray(base),
        "transposed": base.T,
        "broadcast": np.broadcast_to(np.arange(10.0), (6, 10)),
        "0-d": np.array(2.5),
        "column": base[:, 3:4],
    }
    for name, x in cases.items():
        assert_array_equal(numjit.evaluate("x * 2 + 1", local_dict={"x": x}), x * 2 + 1, err_msg=name)
    # unaligned and byte-swapped data are copied first (as numexpr does), with the same answer
    raw = np.zeros(8 * 5 + 1, dtype=np.uint8)[1:].view(np.float64)
    raw[:] = np.arange(5.0)
    assert not raw.flags.aligned
    assert_array_equal(numjit.evaluate("x + 1", local_dict={"x": raw}), np.arange(5.0) + 1)
    swapped = np.arange(5.0).astype(">f8")
    assert_array_equal(numjit.evaluate("x + 1", local_dict={"x": swapped}), np.arange(5.0) + 1)
    rec = np.zeros(4, dtype=[("i", np.int32), ("f", np.float64)])
    rec["f"] = [1, 2, 3, 4]
    assert_array_equal(numjit.evaluate("f * 2", local_dict={"f": rec["f"]}), [2, 4, 6, 8])


def test_out_is_written_in_place_whatever_its_strides():
    a = np.arange(12.0).reshape(3, 4)
    big = np.zeros((6, 8))
    view = big[::2, ::-2]
    r = numjit.evaluate("a * 10", out=view)
    assert r is view
    assert_array_equal(big[::2, ::-2], a * 10)
    assert_array_equal(big[1::2], 0)
    # another dtype, cast under `casting`
    o32 = np.zeros((3, 4), np.float32)
    numjit.evaluate("a / 2", out=o32)
    assert_array_equal(o32, (a / 2).astype(np.float32))
    # an output numjit does not compute in (int16) receives the result through NumPy
    o16 = np.zeros((3, 4), np.int16)
    numjit.evaluate("ai * 2", local_dict={"ai": np.arange(12).reshape(3, 4)}, out=o16, casting="unsafe")
    assert_array_equal(o16, np.arange(12).reshape(3, 4) * 2)
    # unaligned output (numexpr's test_unaligned_singleton)
    u = np.empty(5, dtype=np.uint8)[1:].view(np.int32)
    numjit.evaluate("3", out=u, casting="unsafe")
    assert_array_equal(u, 3)


def test_out_aliasing_an_input_gets_numpys_answer():
    a = np.arange(10.0)
    numjit.evaluate("a * 2 + 1", out=a)  # exact alias: in place
    assert_array_equal(a, np.arange(10.0) * 2 + 1)
    a = np.arange(10.0)
    numjit.evaluate("a[::-1] + 0", out=a)  # reversed view of the output
    assert_array_equal(a, np.arange(10.0)[::-1])
    a = np.arange(10.0)
    want = a.copy()
    np.add(want[:-1], 1, out=want[1:])
    numjit.evaluate("x + 1", local_dict={"x": a[:-1]}, out=a[1:])  # shifted overlap
    assert_array_equal(a, want)
    a = np.arange(10.0)
    numjit.evaluate("a - sum(a)", out=a)  # a reduction of the output itself
    assert_array_equal(a, np.arange(10.0) - 45)


def test_slicing_inside_expressions():
    u = np.random.default_rng(1).random((7, 9))
    lap = numjit.evaluate("u[2:,1:-1] + u[:-2,1:-1] + u[1:-1,2:] + u[1:-1,:-2] - 4*u[1:-1,1:-1]")
    want = u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:] + u[1:-1, :-2] - 4 * u[1:-1, 1:-1]
    assert_allclose(lap, want, rtol=0, atol=1e-15)
    n = 3
    assert_array_equal(numjit.evaluate("u[n, ::-2] * 2"), u[n, ::-2] * 2)
    assert_array_equal(numjit.evaluate("u[..., n:n+2]"), u[..., 3:5])


def test_reductions_anywhere():
    x = np.random.default_rng(2).random((4, 5))
    assert_allclose(numjit.evaluate("x - sum(x)/20"), x - x.sum() / 20, rtol=1e-14)
    assert_allclose(numjit.evaluate("x / max(abs(x))"), x / np.abs(x).max(), rtol=1e-15)
    assert_allclose(numjit.evaluate("sum(x, axis=1)"), x.sum(axis=1), rtol=1e-14)
    assert_allclose(numjit.evaluate("sum(x, axis=-1)"), x.sum(axis=-1), rtol=1e-14)
    assert_allclose(numjit.evaluate("prod(x, axis=0) + min(x) + max(x)"),
                    x.prod(axis=0) + x.min() + x.max(), rtol=1e-14)
    with pytest.raises(ValueError):
        numjit.evaluate("sum(x, axis=2)")
    with pytest.raises(ValueError):
        numjit.evaluate("sum(x, axis=-3)")


def test_execute_assigns_into_the_callers_arrays():
    u = np.arange(10.0)
    r = numjit.execute("u[1:] = u[:-1] * 2")
    assert r == {}
    want = np.arange(10.0)
    want[1:] = want[:-1] * 2
    assert_array_equal(u, want)
    dens = np.random.default_rng(3).random((6, 6))
    nxt = dens.copy()
    c = 0.1
    numjit.execute(
        "lap = dens[2:,1:-1] + dens[:-2,1:-1] + dens[1:-1,2:] + dens[1:-1,:-2] - 4*dens[1:-1,1:-1]\n"
        "nxt[1:-1,1:-1] = dens[1:-1,1:-1] + c*lap"
    )
    lap = dens[2:, 1:-1] + dens[:-2, 1:-1] + dens[1:-1, 2:] + dens[1:-1, :-2] - 4 * dens[1:-1, 1:-1]
    want = dens.copy()
    want[1:-1, 1:-1] = dens[1:-1, 1:-1] + c * lap
    assert_allclose(nxt, want, rtol=0, atol=1e-15)
    out = numjit.execute("t = a * 2; t + 1", local_dict={"a": np.arange(3)})
    assert_array_equal(out["t"], [0, 2, 4])
    assert_array_equal(out[None], [1, 3, 5])


def test_compiled_handles():
    f = numjit.compile("a*x + b")
    assert f.names == ("a", "x", "b")
    x = np.arange(4.0)
    assert_array_equal(f(2.0, x, 1.0), 2 * x + 1)
    out = np.empty(4)
    assert f(2.0, x, 1.0, out=out) is out
    assert_array_equal(out, 2 * x + 1)
    assert numjit.compile("a*x + b") is f  # cached by text
    with pytest.raises(TypeError):
        f(1.0, x)  # one input short


def test_re_evaluate_and_validate():
    a = np.arange(3.0)
    numjit.evaluate("a * 2")
    a = np.arange(3.0) + 10
    assert_array_equal(numjit.re_evaluate(), (np.arange(3.0) + 10) * 2)
    assert numjit.validate("a + 1") is None
    assert isinstance(numjit.validate("a + nope"), KeyError)
    assert isinstance(numjit.validate("a +"), SyntaxError)
    assert isinstance(numjit.validate("a + q", local_dict={"a": a, "q": np.ones(4)}), ValueError)


def test_numexpr_objects():
    E = numjit.E
    f = numjit.NumExpr(2.0 * E.a + 3.0 * E.b * E.c,
                       signature=[("a", np.double), ("b", np.double), ("c", np.double)])
    assert_array_equal(f(np.array([1.0, 2, 3]), np.array([4.0, 5, 6]), np.array([7.0, 8, 9])),
                       [86.0, 124.0, 168.0])
    g = numjit.NumExpr("2*a + 3*b", [("a", np.double), ("b", np.double)])
    a = np.arange(10).reshape(5, 2)  # int inputs are cast to the signature's double
    assert_array_equal(g(a, np.arange(2)), 2.0 * a + 3.0 * np.arange(2))
    c = numjit.NumExpr(numjit.expressions.ConstantNode(np.float32(1))).run()
    assert c.dtype == np.float32 and c == 1
    h = numjit.NumExpr(abs(E.x - 1) ** 2 < E.y)
    assert h.input_names == ("x", "y")
    assert_array_equal(h(np.array([0.0, 3.0]), np.array([2.0, 2.0])), [True, False])


class _Unconvertible:
    pass


def _unchanged(*arrays):
    return [x.copy() for x in arrays]


@pytest.mark.parametrize(
    "expr, local, exc",
    [
        ("a + nope", {}, KeyError),
        ("a + ", {}, SyntaxError),
        ("frob(a)", {}, TypeError),
        ("sin(a, a)", {}, TypeError),
        ("a + s", {"s": np.array([b"x"] * 5)}, TypeError),
        ("a + q", {"q": np.ones(4)}, ValueError),
        ("a + q", {"q": np.arange(5, dtype=np.uint64)}, TypeError),
        ("a + q", {"q": np.array(["u"] * 5)}, TypeError),
        ("a + q", {"q": _Unconvertible()}, TypeError),
        ("a + q", {"q": "text"}, TypeError),
        ("a + q", {"q": None}, TypeError),
        ("i ** -1", {"i": np.arange(1, 6)}, ValueError),
        ("a[7]", {}, ValueError),
    ],
)
def test_bad_input_raises_numexprs_class_and_writes_nothing(expr, local, exc):
    a = np.arange(5.0)
    out = np.full(5, -1.0)
    env = {"a": a, **local}
    before = _unchanged(a, out)
    with pytest.raises(exc) as info:
        numjit.evaluate(expr, local_dict=env, out=out)
    assert isinstance(info.value, Exception)
    assert_array_equal(a, before[0])
    assert_array_equal(out, before[1])


def test_bad_outputs_write_nothing():
    a = np.arange(5.0)
    ro = np.zeros(5)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        numjit.evaluate("a + 1", out=ro)
    o = np.full(4, 7.0)
    with pytest.raises(ValueError):
        numjit.evaluate("a + 1", out=o)  # wrong shape
    assert_array_equal(o, 7.0)
    oi = np.full(5, 7)
    with pytest.raises(TypeError):
        numjit.evaluate("a + 1", out=oi, casting="safe")  # float64 -> int64 refused
    assert_array_equal(oi, 7)
    with pytest.raises(TypeError):
        numjit.evaluate("a + 1", out=[0.0] * 5)
    with pytest.raises(ValueError):
        numjit.evaluate("a + 1", out=np.broadcast_to(np.zeros(1), (5,)).copy()[:0])


def test_a_failed_script_changes_nothing():
    u = np.arange(6.0)
    v = np.arange(6.0)
    before = u.copy()
    with pytest.raises(KeyError):
        numjit.execute("u[1:] = u[:-1] * 2; v[:] = nope")
    assert_array_equal(u, before)
    with pytest.raises(ValueError):
        numjit.execute("u[1:] = u[:-1] * 2; v[:] = u[:3]")
    assert_array_equal(u, before)
    ro = np.arange(3.0)
    ro.flags.writeable = False
    with pytest.raises(ValueError):
        numjit.execute("ro[:] = 1")
    assert_array_equal(ro, [0, 1, 2])


def test_error_messages_keep_the_caret():
    a = np.arange(3.0)
    with pytest.raises(KeyError) as info:
        numjit.evaluate("a + ab")
    assert str(info.value) == "error: unknown name `ab`; did you mean `a`?\n  a + ab\n      ^^"
    assert info.value.span == (4, 6)
    assert isinstance(info.value, numjit.NumjitError)


def test_threads_and_numexpr_module_attributes():
    prev = numjit.set_num_threads(1)
    try:
        assert numjit.get_num_threads() == 1
        assert numjit.set_num_threads(2) == 1
    finally:
        numjit.set_num_threads(prev)
    assert numjit.use_vml is False
    assert numjit.get_vml_version() is None
    assert numjit.set_vml_num_threads(4) is None
    assert numjit.ncores >= 1 and numjit.nthreads >= 1
    assert numjit.utils.detect_number_of_cores() == numjit.ncores
    assert isinstance(numjit.__version__, str)
    with pytest.raises(NotImplementedError):
        numjit.disassemble(numjit.NumExpr("a"))


def test_byte_strings_of_any_strides_are_read_in_place():
    s = np.array([b"ab", b"cd", b"abc", b"x", b""])
    for v in (s, s[::-1], s[::2], np.array([[b"a", b"b"], [b"c", b"a"]]).T):
        assert_array_equal(numjit.evaluate("(v == b'a') | contains(v, b'b')", local_dict={"v": v}),
                           (v == b"a") | np.char.find(v, b"b").__ge__(0))
        assert_array_equal(numjit.evaluate("v >= b'b'", local_dict={"v": v}), v >= b"b")


def test_scripts_with_one_array_under_two_names_get_numpys_answer():
    a = np.arange(6.0)
    numjit.execute("u[1:] = v[:-1] * 2", local_dict={"u": a, "v": a})
    want = np.arange(6.0)
    want[1:] = want[:-1] * 2
    assert_array_equal(a, want)
    b = np.arange(6.0)
    numjit.execute("u[::-1] = v + 1", local_dict={"u": b, "v": b[::-1]})
    want = np.arange(6.0)
    want[::-1] = want[::-1] + 1
    assert_array_equal(b, want)


def test_a_result_too_large_for_memory_is_a_memory_error():
    # A broadcast view of one element standing for 2**44 float64 values (128 TiB): whichever
    # allocates the result (NumPy for evaluate's result, numjit for a reduction's) refuses it,
    # the call raises MemoryError, and the process goes on.
    a = np.broadcast_to(np.ones(1), (2**22, 2**22))
    with pytest.raises(MemoryError, match="(?i)allocate"):
        numjit.evaluate("a + 1", local_dict={"a": a})
    m = np.broadcast_to(np.ones(1), (2, 2**44))
    with pytest.raises(MemoryError, match="(?i)allocate"):
        numjit.evaluate("sum(m, axis=0)", local_dict={"m": m})
    small = np.arange(3.0)
    np.testing.assert_array_equal(numjit.evaluate("small + 1"), small + 1)


def test_results_of_more_dimensions_than_numpy_takes_are_a_value_error():
    # 40 axes of length 1: NumPy 2 has them; handing such a result over is refused cleanly.
    a = np.zeros((1,) * 40)
    with pytest.raises(ValueError, match="at most 32 dimensions"):
        numjit.evaluate("a + 1", local_dict={"a": a})

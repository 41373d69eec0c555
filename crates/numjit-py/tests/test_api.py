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
    big = np.full((6, 8), -7.0)
    view = big[::2, ::-2]
    strides, data = view.strides, view.__array_interface__["data"][0]
    r = numjit.evaluate("a * 10", out=view)
    # the same object, its layout unchanged, its elements written where they lie
    assert r is view
    assert view.strides == strides == (128, -16)
    assert view.__array_interface__["data"][0] == data
    assert view.base is big
    assert_array_equal(view, a * 10)
    # and nothing outside the view
    want = np.full((6, 8), -7.0)
    want[::2, ::-2] = a * 10
    assert_array_equal(big, want)
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
    # negative axes: refused by numexpr's evaluate, NumPy's meaning in numjit's own functions
    with pytest.raises(numjit.ShapeError):
        numjit.evaluate("sum(x, axis=-1)")
    assert_allclose(numjit.compile("sum(x, axis=-1)")(x), x.sum(axis=-1), rtol=1e-14)
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
    assert type(numjit.validate("a + nope")) is numjit.UnknownNameError
    assert isinstance(numjit.validate("a + nope"), KeyError)
    assert type(numjit.validate("a +")) is numjit.ExpressionSyntaxError
    assert isinstance(numjit.validate("a +"), SyntaxError)
    e = numjit.validate("a + q", local_dict={"a": a, "q": np.ones(4)})
    assert type(e) is numjit.ShapeError and isinstance(e, ValueError)


def test_validate_casting_defaults_to_safe_as_numexprs():
    # numexpr's validate defaults casting to 'safe' (its evaluate to 'same_kind');
    # re_evaluate then casts under the validated rule.
    a = np.arange(3.0)
    o32 = np.full(3, -1.0, np.float32)
    assert numjit.validate("a * 2", out=o32) is None
    with pytest.raises(numjit.OutputError, match="casting='safe'"):
        numjit.re_evaluate()
    assert_array_equal(o32, -1.0)
    assert numjit.validate("a * 2", out=o32, casting="same_kind") is None
    assert numjit.re_evaluate() is o32
    assert_array_equal(o32, [0.0, 2.0, 4.0])
    # evaluate's own default stays 'same_kind'
    o32[:] = -1
    assert numjit.evaluate("a * 3", out=o32) is o32
    assert_array_equal(o32, [0.0, 3.0, 6.0])
    bad = numjit.validate("a * 2", casting="sometimes")
    assert type(bad) is ValueError and "casting must be one of" in str(bad)


def test_order_is_checked_as_numexpr_checks_it():
    a = np.arange(6.0).reshape(2, 3)
    out = np.full((2, 3), -1.0)
    for order in ("Q", "KK", "", "Fortran"):
        with pytest.raises(ValueError, match=r"order must be one of 'C', 'F', 'A', or 'K'"):
            numjit.evaluate("a + 1", out=out, order=order)
        e = numjit.validate("a + 1", order=order)
        assert type(e) is ValueError and repr(order) in str(e)
    with pytest.raises(TypeError, match="order must be str, not int"):
        numjit.evaluate("a + 1", out=out, order=1)
    assert_array_equal(out, -1.0)  # nothing written by a refused call
    # numexpr's accepted spellings: either case, None for 'K'
    for order in ("C", "c", "A", "a", "K", "k", None):
        r = numjit.evaluate("a + 1", order=order)
        assert r.flags.c_contiguous
        assert_array_equal(r, a + 1)
    for order in ("F", "f"):
        r = numjit.evaluate("a + 1", order=order)
        assert r.flags.f_contiguous and not r.flags.c_contiguous
        assert_array_equal(r, a + 1)
    f = numjit.NumExpr("a + 1", [("a", np.double)])
    with pytest.raises(ValueError, match="order must be one of"):
        f(a, order="X")
    assert f(a, order="F").flags.f_contiguous


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
    "expr, local, exc, cls, match",
    [
        ("a + nope", {}, KeyError, numjit.UnknownNameError, "unknown name `nope`"),
        ("a + ", {}, SyntaxError, numjit.ExpressionSyntaxError, "unexpected end"),
        ("frob(a)", {}, TypeError, numjit.UnknownFunctionError, "unknown function `frob`"),
        ("sin(a, a)", {}, TypeError, numjit.ArityError, "takes 1 argument, got 2"),
        ("a + s", {"s": np.array([b"x"] * 5)}, TypeError, numjit.DTypeError, "byte strings"),
        ("a + q", {"q": np.ones(4)}, ValueError, numjit.ShapeError, "do not broadcast"),
        ("a + q", {"q": np.arange(5, dtype=np.uint64)}, TypeError, TypeError, "got uint64"),
        ("a + q", {"q": np.array(["u"] * 5)}, TypeError, TypeError, "got str"),
        ("a + q", {"q": _Unconvertible()}, TypeError, TypeError, "got Python objects"),
        ("a + q", {"q": "text"}, TypeError, TypeError, "use bytes"),
        ("a + q", {"q": None}, TypeError, TypeError, "got Python objects"),
        ("i ** -1", {"i": np.arange(1, 6)}, ValueError, numjit.DTypeError, "negative integer powers"),
        ("a[7]", {}, ValueError, numjit.ShapeError, "index 7 is out of range"),
        ("sum(a, axis=-1)", {}, ValueError, numjit.ShapeError, "negative axis -1"),
    ],
)
def test_bad_input_raises_numexprs_class_and_writes_nothing(expr, local, exc, cls, match):
    a = np.arange(5.0)
    out = np.full(5, -1.0)
    env = {"a": a, **local}
    before = _unchanged(a, out)
    with pytest.raises(exc, match=match) as info:
        numjit.evaluate(expr, local_dict=env, out=out)
    # numexpr's built-in class, and numjit's own class exactly
    assert type(info.value) is cls
    assert_array_equal(a, before[0])
    assert_array_equal(out, before[1])


def test_bad_outputs_write_nothing():
    a = np.arange(5.0)
    ro = np.zeros(5)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        numjit.evaluate("a + 1", out=ro)
    assert_array_equal(ro, 0)
    o = np.full(4, 7.0)
    with pytest.raises(numjit.OutputError, match=r"output has shape \(4,\)"):
        numjit.evaluate("a + 1", out=o)  # wrong shape
    assert_array_equal(o, 7.0)
    oi = np.full(5, 7)
    with pytest.raises(numjit.OutputError, match="from float64 to int64 under casting='safe'"):
        numjit.evaluate("a + 1", out=oi, casting="safe")  # float64 -> int64 refused
    assert_array_equal(oi, 7)
    with pytest.raises(TypeError, match="out must be a NumPy array, not list"):
        numjit.evaluate("a + 1", out=[0.0] * 5)
    empty = np.zeros(0)
    with pytest.raises(numjit.OutputError, match=r"output has shape \(0,\)"):
        numjit.evaluate("a + 1", out=empty)
    with pytest.raises(ValueError, match="casting must be one of"):
        numjit.evaluate("a + 1", out=o, casting="sometimes")
    assert_array_equal(o, 7.0)


def _c_order_last_wins(out, values):
    """NumPy's `out=` answer for an output whose positions share memory, by hand: every
    position written in C order, so the last one wins."""
    for idx in np.ndindex(out.shape):
        out[idx] = values[idx]


@pytest.mark.parametrize("strides", [(8, 8), (0, 8), (8, 0), (8, 16), (16, 8), (-8, 8), (8, -16), (0, 0)])
def test_outputs_whose_positions_share_memory_get_numpys_answer(strides):
    from numpy.lib.stride_tricks import as_strided

    a = np.arange(9.0).reshape(3, 3) * 1.5 + 1
    buf = np.full(16, -1.0)
    want_buf = buf.copy()
    start = 6  # room for the negative strides
    out = as_strided(buf[start:], shape=(3, 3), strides=strides)
    _c_order_last_wins(as_strided(want_buf[start:], shape=(3, 3), strides=strides), a * 2 - 1)
    strides_before = out.strides
    r = numjit.evaluate("a * 2 - 1", out=out)
    assert r is out and out.strides == strides_before
    assert_array_equal(buf, want_buf)  # the same elements as NumPy's, nothing else written
    np_buf = np.full(16, -1.0)
    np.subtract(a * 2, 1, out=as_strided(np_buf[start:], shape=(3, 3), strides=strides))
    assert_array_equal(buf, np_buf)
    # through a cast (float64 result into a float32 output) and a refused cast
    buf32 = np.full(16, -1.0, np.float32)
    want32 = buf32.copy()
    out32 = as_strided(buf32[start:], shape=(3, 3), strides=tuple(s // 2 for s in strides))
    _c_order_last_wins(as_strided(want32[start:], shape=(3, 3), strides=out32.strides),
                       (a * 2 - 1).astype(np.float32))
    numjit.evaluate("a * 2 - 1", out=out32)
    assert_array_equal(buf32, want32)
    before = buf32.copy()
    with pytest.raises(numjit.OutputError, match="from float64 to float32 under casting='safe'"):
        numjit.evaluate("a * 2 - 1", out=out32, casting="safe")
    assert_array_equal(buf32, before)
    # integers and bools too (bitwise: -0.0 and NaN keep their bits in floats)
    bi = np.full(16, -1, np.int64)
    oi = as_strided(bi[start:], shape=(3, 3), strides=strides)
    wi = bi.copy()
    ai = np.arange(9).reshape(3, 3)
    _c_order_last_wins(as_strided(wi[start:], shape=(3, 3), strides=strides), ai * 3)
    numjit.evaluate("ai * 3", out=oi)
    assert_array_equal(bi, wi)
    bb = np.zeros(16, np.bool_)
    ob = as_strided(bb[start:], shape=(3, 3), strides=tuple(s // 8 for s in strides))
    wb = bb.copy()
    _c_order_last_wins(as_strided(wb[start:], shape=(3, 3), strides=ob.strides), ai % 2 == 1)
    numjit.evaluate("ai % 2 == 1", out=ob)
    assert_array_equal(bb, wb)
    z = np.array([[-0.0, np.nan, 1.0]] * 3)
    bz = np.full(16, 5.0)
    oz = as_strided(bz[start:], shape=(3, 3), strides=strides)
    wz = bz.copy()
    _c_order_last_wins(as_strided(wz[start:], shape=(3, 3), strides=strides), z * 1.0)
    numjit.evaluate("z * 1.0", out=oz)
    assert bz.tobytes() == wz.tobytes()


def test_scripts_refuse_targets_whose_positions_share_memory():
    from numpy.lib.stride_tricks import as_strided

    buf = np.arange(6.0)
    u = as_strided(buf, shape=(3, 3), strides=(8, 8))
    with pytest.raises(ValueError, match="share memory"):
        numjit.execute("u[:, 0] = 1", local_dict={"u": u})
    assert_array_equal(buf, np.arange(6.0))


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

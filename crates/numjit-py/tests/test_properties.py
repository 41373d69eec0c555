"""Property tests (hypothesis) of numjit against NumPy: random dtypes, shapes, strides
(reversed, stepped, transposed views) and broadcasting; slices inside expressions; scripts
assigning into slices, overlapping ones included; outputs of any layout, their positions
sharing memory or not. Results must equal NumPy's exactly (the
operations here are correctly rounded in both), dtypes included."""

import warnings

import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import numjit

DTYPES = [np.bool_, np.int32, np.int64, np.float32, np.float64, np.complex128]
NUMERIC = DTYPES[1:]


def values(dtype):
    if dtype == np.bool_:
        return st.booleans()
    if dtype in (np.int32, np.int64):
        info = np.iinfo(dtype)
        return st.integers(int(info.min), int(info.max))
    if dtype == np.float32:
        return st.floats(width=32, allow_nan=True, allow_infinity=True)
    if dtype == np.float64:
        return st.floats(allow_nan=True, allow_infinity=True)
    return st.complex_numbers(max_magnitude=1e300, allow_nan=False, allow_infinity=False)


@st.composite
def strided_in(draw, dtype, shape):
    """An array of `shape` as a view of a larger one (reversed or stepped axes, or a
    transpose), with that larger array and a function making the same view of another array
    of its shape: `(view, base, same_view)`."""
    steps = [draw(st.sampled_from([1, 2, -1, -2])) for _ in shape]
    base_shape = tuple(n * abs(s) for n, s in zip(shape, steps))
    base = draw(hnp.arrays(dtype, base_shape, elements=values(dtype)))
    index = tuple(slice(None, None, s) for s in steps)
    view = base[index]
    same_view = lambda other: other[index]  # noqa: E731
    if draw(st.booleans()) and len(shape) >= 2 and draw(st.booleans()):
        # a Fortran-ordered copy: its own base
        view = np.ascontiguousarray(view.T).T
        base, same_view = view.T, lambda other: other.T
    assert view.shape == tuple(shape)
    return view, base, same_view


@st.composite
def strided(draw, dtype, shape):
    """An array of `shape` as a view of a larger one: reversed or stepped axes, or a
    transpose."""
    return draw(strided_in(dtype, shape))[0]


def same(got, want):
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)


BINARY = ["a + b", "a * b", "a - b", "where(a == b, a, b)", "(a < b) | (a >= b)", "a != b"]


@given(
    st.sampled_from(DTYPES),
    st.sampled_from(DTYPES),
    hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=5),
    st.sampled_from(BINARY),
    st.data(),
)
def test_binary_operations_match_numpy(da, db, shapes, expr, data):
    (sa, sb), _ = shapes
    a = data.draw(strided(da, sa))
    b = data.draw(strided(db, sb))
    if "-" in expr:
        assume(not (da == np.bool_ and db == np.bool_))
    if expr.startswith("(a <"):
        assume(np.complex128 not in (da, db))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = eval(expr.replace("where", "np.where"), {"np": np}, {"a": a, "b": b})
    got = numjit.evaluate(expr, local_dict={"a": a, "b": b})
    same(np.asarray(got), np.asarray(want))


@given(st.sampled_from(NUMERIC), hnp.array_shapes(min_dims=1, max_dims=3, max_side=6), st.data())
def test_out_of_any_strides_receives_numpys_result(dtype, shape, data):
    a = data.draw(strided(dtype, shape))
    out, base, same_view = data.draw(strided_in(dtype, shape))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = a * a + a
    # the whole array the view lies in, as it must be afterwards: the view's elements
    # NumPy's result, every other element as before
    want_base = base.copy()
    same_view(want_base)[...] = want
    strides, data_ptr = out.strides, out.__array_interface__["data"][0]
    r = numjit.evaluate("a * a + a", local_dict={"a": a}, out=out)
    assert r is out
    assert out.strides == strides and out.__array_interface__["data"][0] == data_ptr
    same(out, want)
    assert np.shares_memory(out, base)
    # bitwise (NaNs included) outside the view: nothing there was written
    outside = np.ones(base.shape, dtype=bool)
    same_view(outside)[...] = False
    assert outside.sum() == base.size - out.size
    assert base[outside].tobytes() == want_base[outside].tobytes()
    np.testing.assert_array_equal(base, want_base)


def slice_text(n):
    return st.tuples(
        st.one_of(st.none(), st.integers(-n - 2, n + 2)),
        st.one_of(st.none(), st.integers(-n - 2, n + 2)),
        st.one_of(st.none(), st.sampled_from([1, 2, 3, -1, -2])),
    ).map(lambda t: ":".join("" if x is None else str(x) for x in t))


@given(st.integers(1, 7), st.integers(1, 7), st.data())
def test_slices_inside_expressions_match_numpy(n, m, data):
    u = np.arange(n * m, dtype=np.float64).reshape(n, m) * 1.5 - 3
    v = u[::-1].copy()
    s = f"{data.draw(slice_text(n))}, {data.draw(slice_text(m))}"
    expr = f"u[{s}] * 2 + v[{s}] - u[{s}]**2"
    want = eval(expr, {}, {"u": u, "v": v})
    # A slice that selects nothing is a zero-size view, as in NumPy.
    same(numjit.evaluate(expr, local_dict={"u": u, "v": v}), want)


@given(st.integers(2, 12), st.integers(-3, 3), st.data())
def test_scripts_assign_into_overlapping_slices_as_numpy(n, shift, data):
    u = np.arange(n, dtype=np.float64) * 3 - 2
    lo, hi = max(0, shift), min(n, n + shift)
    target = f"{lo}:{hi}" if hi > lo else "0:0"
    source = f"{lo - shift}:{hi - shift}" if hi > lo else "0:0"
    step = data.draw(st.sampled_from(["", ":-1"]))
    if step:
        source = source + step if hi > lo else source
        if hi > lo:
            # a reversed source of the same length
            a, b = lo - shift, hi - shift
            source = f"{b - 1}:{a - 1 if a > 0 else ''}:-1"
    script = f"u[{target}] = u[{source}] * 2 + 1"
    want = u.copy()
    exec(script, {}, {"u": want})
    # An empty target and source (`u[0:0] = u[0:0]`) assign nothing, as in NumPy.
    numjit.execute(script, local_dict={"u": u})
    same(u, want)


@given(st.sampled_from(NUMERIC), hnp.array_shapes(min_dims=1, max_dims=2, max_side=8), st.data())
def test_out_aliasing_a_view_of_its_input(dtype, shape, data):
    a = data.draw(hnp.arrays(dtype, shape, elements=values(dtype)))
    flip = tuple(slice(None, None, -1) for _ in shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # integer overflow wraps in both
        want = a[flip] + a
        numjit.evaluate("x + a", local_dict={"x": a[flip], "a": a}, out=a)
    same(a, want)


@given(
    st.sampled_from(NUMERIC),
    st.tuples(st.integers(1, 6), st.integers(1, 6)),
    st.tuples(st.integers(-7, 7), st.integers(-7, 7)),
)
def test_outputs_of_any_as_strided_layout_get_numpys_answer(dtype, shape, steps):
    """Outputs laid out anyhow, their positions sharing memory or not: the buffer afterwards
    is what writing every position in C order gives (the last write wins, as NumPy's and
    numexpr's `out=`), and nothing else in it is written."""
    from numpy.lib.stride_tricks import as_strided

    item = np.dtype(dtype).itemsize
    lo = sum((n - 1) * s for n, s in zip(shape, steps) if s < 0)
    hi = sum((n - 1) * s for n, s in zip(shape, steps) if s > 0)
    buf = np.full(hi - lo + 3, -5, dtype=dtype)
    want = buf.copy()
    strides = tuple(s * item for s in steps)
    out = as_strided(buf[1 - lo:], shape=shape, strides=strides)
    a = np.arange(shape[0] * shape[1]).reshape(shape).astype(dtype)
    w = as_strided(want[1 - lo:], shape=shape, strides=strides)
    for idx in np.ndindex(shape):
        w[idx] = a[idx] * 2 + 1
    r = numjit.evaluate("a * 2 + 1", local_dict={"a": a}, out=out)
    assert r is out and out.strides == strides
    np.testing.assert_array_equal(buf, want)


def test_a_large_output_whose_positions_share_memory_on_two_threads():
    # Before the fix the kernels' threads wrote such an output in place, racing on the
    # shared elements; now NumPy's answer whatever the thread count.
    from numpy.lib.stride_tricks import as_strided

    n = 600
    a = np.arange(n * n, dtype=np.float64).reshape(n, n)
    buf = np.zeros(2 * n + 1)
    want = buf.copy()
    np.multiply(a, 3.0, out=as_strided(want, shape=(n, n), strides=(8, 8)))
    prev = numjit.set_num_threads(2)
    try:
        # several times: the race (12 wrong answers in 20 calls before the fix) is a matter
        # of timing
        for _ in range(5):
            buf[:] = 0
            numjit.evaluate("a * 3.0", out=as_strided(buf, shape=(n, n), strides=(8, 8)))
            np.testing.assert_array_equal(buf, want)
    finally:
        numjit.set_num_threads(prev)
    # the last row wins on each diagonal it reaches: buf[k] = a[min(k, n-1), k - min(k, n-1)]*3
    k = np.arange(2 * n - 1)
    i = np.minimum(k, n - 1)
    np.testing.assert_array_equal(buf[: 2 * n - 1], a[i, k - i] * 3.0)
    np.testing.assert_array_equal(buf[2 * n - 1 :], 0.0)

"""The GIL is released while kernels run (other Python threads make progress during one long
call), many Python threads calling at once get the right answers, and 100,000 calls leave
reference counts and memory flat."""

import os
import sys
import threading
import time

import numpy as np
from numpy.testing import assert_array_equal, assert_allclose

import numjit


def test_other_python_threads_run_while_a_kernel_runs():
    prev = numjit.set_num_threads(1)
    x = np.linspace(0, 1, 4_000_000)
    f = numjit.compile("sin(x)**2 + cos(x)**2 + exp(-x) * tan(x/3)")
    f(x[:10])  # compile outside the measured call
    count = [0]
    stop = threading.Event()
    started = threading.Event()

    def spin():
        started.set()
        while not stop.is_set():
            count[0] += 1

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)
    t = threading.Thread(target=spin)
    t.start()
    started.wait()
    try:
        calls, during = 0, 0
        t_end = time.perf_counter() + 2.0
        while calls < 3 and time.perf_counter() < t_end:
            before = count[0]
            r = f(x)
            during = max(during, count[0] - before)
            calls += 1
    finally:
        stop.set()
        t.join()
        sys.setswitchinterval(old)
        numjit.set_num_threads(prev)
    assert_allclose(r[:5], (np.sin(x[:5]) ** 2 + np.cos(x[:5]) ** 2 + np.exp(-x[:5]) * np.tan(x[:5] / 3)))
    # With the GIL held for the whole call the spinning thread could not count at all.
    assert during > 1000, f"the other thread counted only {during} times during a kernel call"


def test_many_python_threads_at_once_get_the_right_answers():
    errors = []
    exprs = ["a + b", "a * b - 1", "where(a > b, a, b)", "sqrt(a) + b[::-1]", "a - sum(b)/n"]

    def work(k):
        rng = np.random.default_rng(k)
        for i in range(60):
            n = int(rng.integers(1, 200_000)) if i % 10 == 0 else int(rng.integers(1, 500))
            a = rng.random(n)
            b = rng.random(n)
            ex = exprs[(k + i) % len(exprs)]
            want = {
                "a + b": a + b,
                "a * b - 1": a * b - 1,
                "where(a > b, a, b)": np.where(a > b, a, b),
                "sqrt(a) + b[::-1]": np.sqrt(a) + b[::-1],
                "a - sum(b)/n": a - b.sum() / n,
            }[ex]
            got = numjit.evaluate(ex, local_dict={"a": a, "b": b, "n": n})
            try:
                assert_allclose(got, want, rtol=1e-13, atol=0)
            except AssertionError as e:
                errors.append((k, ex, str(e)[:200]))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def _rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_refcounts_and_memory_stay_flat_over_100000_calls():
    a = np.arange(10.0)
    b = np.ones(10)
    out = np.empty(10)
    f = numjit.compile("a * b + 1")
    s = np.array([b"ab", b"cd"])
    refs = [sys.getrefcount(x) for x in (a, b, out, s)]

    def burst(n):
        for _ in range(n):
            numjit.evaluate("a * b + 1")
            numjit.evaluate("a * b + 1", out=out)
            f(a, b, out=out)
            numjit.evaluate("contains(s, b'a')", local_dict={"s": s})
            try:
                numjit.evaluate("a + nope")
            except KeyError:
                pass

    burst(5_000)
    rss0 = _rss_bytes()
    burst(20_000)
    rss1 = _rss_bytes()
    assert [sys.getrefcount(x) for x in (a, b, out, s)] == refs
    # 100,000 calls (5 kinds x 20,000), errors included: memory grows by less than 1 MiB
    assert rss1 - rss0 < 1 << 20, f"RSS grew by {(rss1 - rss0) / 1e6:.2f} MB"
    assert_array_equal(out, a * b + 1)

"""numjit: numexpr done as a JIT.

A drop-in for numexpr (same names, signatures, answers and exception classes) whose
expressions are compiled by Cranelift into one fused native loop, cached, and run on NumPy
arrays in place with the GIL released. Beyond numexpr: slices inside expressions, scripts that
assign into your arrays in place, reductions anywhere, and compiled handles for the lowest
per-call cost::

    import numpy as np, numjit
    a, b = np.arange(1e6), np.ones(10**6)
    c = numjit.evaluate("a**2 + b**2 + 2*a*b")            # names from the caller's frame
    u = np.random.rand(100, 100)
    lap = numjit.evaluate("u[2:,1:-1] + u[:-2,1:-1] + u[1:-1,2:] + u[1:-1,:-2] - 4*u[1:-1,1:-1]")
    numjit.execute("u[1:-1,1:-1] = u[1:-1,1:-1] + 0.1*lap")  # writes into u in place
    f = numjit.compile("a**2 + b")                          # f(a, b), f(a, b, out=c)

``evaluate``, ``re_evaluate``, ``validate`` and ``NumExpr`` are numexpr's: where numexpr's own
tests pin a behaviour that differs from NumPy's they give numexpr's answer (integer literals
are int32 when they fit, so ``evaluate('2')`` is int32; negative reduction axes are a
ValueError). ``compile``, ``compile_script`` and ``execute`` are numjit's own and follow NumPy
(``numjit.compile('2')()`` is int64, ``sum(y, axis=-1)`` the last axis). Elsewhere results
follow NumPy where numexpr and NumPy differ (see docs/python.md).
"""

from __future__ import annotations

import os
import sys
import threading
import weakref
from typing import Any, Dict, Optional

import numpy as np

from . import errors, expressions, necompiler, utils
from ._numjit import MISSING as _MISSING
from ._numjit import Expr as _Expr
from ._numjit import Script as _Script
from ._numjit import halo_widths
from .errors import (
    ArityError,
    DTypeError,
    ExpressionSyntaxError,
    InternalError,
    LimitError,
    OutOfMemoryError,
    NumjitError,
    OutputError,
    ShapeError,
    UnknownFunctionError,
    UnknownNameError,
)
from .expressions import E
from .necompiler import NumExpr, _casting, _order, disassemble
from .utils import (
    MAX_THREADS,
    _init_num_threads,
    detect_number_of_cores,
    get_num_threads,
    get_vml_num_threads,
    get_vml_version,
    set_num_threads,
    set_vml_accuracy_mode,
    set_vml_num_threads,
)

__version__ = "0.1.0"
__all__ = [
    "evaluate",
    "re_evaluate",
    "validate",
    "execute",
    "compile",
    "compile_script",
    "halo_widths",
    "NumExpr",
    "E",
    "disassemble",
    "set_num_threads",
    "get_num_threads",
    "detect_number_of_cores",
    "set_vml_num_threads",
    "get_vml_num_threads",
    "set_vml_accuracy_mode",
    "get_vml_version",
    "use_vml",
    "ncores",
    "nthreads",
    "MAX_THREADS",
    "print_versions",
    "NumjitError",
    "ExpressionSyntaxError",
    "UnknownNameError",
    "UnknownFunctionError",
    "ArityError",
    "DTypeError",
    "ShapeError",
    "OutputError",
    "LimitError",
    "OutOfMemoryError",
    "InternalError",
    "errors",
    "expressions",
    "utils",
    "necompiler",
]

#: numjit has no VML (Intel's vector math library); its math kernels are its own.
use_vml = False
#: The number of cores, and the thread count chosen at import (see `utils._init_num_threads`).
ncores = detect_number_of_cores()
nthreads = _init_num_threads()

# Text → (compiled expression, its names, whether it names a dunder or is a bare name), for
# numexpr's entry points (numexpr's typing of literals, negative axes refused). Bounded like
# numexpr's cache.
_CACHE: Dict[str, Any] = {}
# Text → compiled expression with NumPy's rules, for `compile`.
_OWN: Dict[str, Any] = {}
_SCRIPTS: Dict[str, Any] = {}
_CACHE_SIZE = 256
_KNOWN_KWARGS = frozenset(("optimization", "truediv"))
_last = threading.local()


def _text(ex: Any) -> str:
    if type(ex) is not str:
        if isinstance(ex, str):
            return str(ex)
        raise TypeError(f"the expression must be a str, not {type(ex).__name__}")
    return ex


def _compile(ex: str):
    """numexpr's entry points' compiled expression for `ex` (cached)."""
    ex = _text(ex)
    hit = _CACHE.get(ex)
    if hit is None:
        e = _Expr(ex, numexpr=True)
        dunder = any(n.startswith("__") and n.endswith("__") for n in e.names)
        # A bare name: numexpr returns a copy of its value, byte strings included (numjit
        # computes no byte-string results, so those are copied by NumPy).
        bare = len(e.names) == 1 and ex.strip() == e.names[0]
        hit = (e, e.names, dunder or bare)  # (expr, names, special)
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()
        _CACHE[ex] = hit
    return hit


def _sanitize_on(sanitize: Optional[bool]) -> bool:
    if sanitize is None:
        return os.environ.get("NUMEXPR_SANITIZE", "1") != "0"
    return bool(sanitize)


def _bytes_copy(names, args) -> bool:
    """Whether this is a bare name bound to byte strings (flagged with the dunder check)."""
    if len(names) != 1:
        return False
    v = args[0]
    return isinstance(v, (bytes, np.bytes_)) or (isinstance(v, np.ndarray) and v.dtype.kind == "S")


def _copy_bytes(value, out):
    r = np.array(value, copy=True)
    if out is None:
        return r
    np.copyto(out, r)
    return out


def _refuse_dunder(names) -> None:
    if not any(n.startswith("__") and n.endswith("__") for n in names):
        return
    bad = [n for n in names if n.startswith("__") and n.endswith("__")]
    raise ValueError(
        f"expression names the dunder {bad[0]!r}: refused as numexpr's sanitizer does "
        "(numjit evaluates nothing with Python, but keeps numexpr's rule; sanitize=False "
        "allows it)"
    )


def _check_kwargs(kwargs) -> None:
    for k in kwargs:
        if k not in _KNOWN_KWARGS:
            raise ValueError(f"unknown keyword argument '{k}'")


def _arguments(names, local_dict, global_dict, depth):
    if local_dict is None or global_dict is None:
        frame = sys._getframe(depth + 1)
        if local_dict is None:
            local_dict = frame.f_locals
        if global_dict is None:
            global_dict = frame.f_globals
    args = []
    for n in names:
        try:
            args.append(local_dict[n])
        except KeyError:
            args.append(global_dict.get(n, _MISSING))
    return tuple(args)


def evaluate(
    ex: str,
    local_dict: Optional[Dict[str, Any]] = None,
    global_dict: Optional[Dict[str, Any]] = None,
    out: Optional[np.ndarray] = None,
    order: str = "K",
    casting: str = "same_kind",
    sanitize: Optional[bool] = None,
    _frame_depth: int = 3,
    disable_cache: bool = False,
    **kwargs: Any,
) -> np.ndarray:
    """Evaluates the expression `ex` element-wise, as numexpr does.

    Names are looked up in `local_dict`, then `global_dict`; either left None is the
    caller's frame's locals or globals. With `out`, the result is written into it in place
    (any strides; cast under `casting`) and `out` is returned; otherwise a new array is.
    `order` is checked as numexpr checks it ('C', 'F', 'A', 'K', either case; anything else
    is a ValueError); results are C-ordered except for 'F'. Expressions may also slice
    (``u[1:-1] - u[:-2]``) and reduce anywhere (``a - sum(a)/n``). As in numexpr, integer
    literals are int32 when they fit (``evaluate('2')`` is int32) and negative reduction
    axes are refused (`numjit.compile` and `numjit.execute` follow NumPy in both). Errors
    raise numexpr's exception classes (see `numjit.errors`) and leave `out` untouched.
    """
    try:
        e, names, special = _CACHE[ex]
    except (KeyError, TypeError):
        e, names, special = _compile(ex)
    if kwargs:
        _check_kwargs(kwargs)
    # `_arguments`, inlined (a call less on the per-call path): the caller's frame is 1 up.
    if local_dict is None or global_dict is None:
        frame = sys._getframe(_frame_depth - 2)
        if local_dict is None:
            local_dict = frame.f_locals
        if global_dict is None:
            global_dict = frame.f_globals
    args = []
    for n in names:
        try:
            args.append(local_dict[n])
        except KeyError:
            args.append(global_dict.get(n, _MISSING))
    args = tuple(args)
    if order != "K":
        order = _order(order)
    if out is not None and not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a NumPy array, not {type(out).__name__}")
    if special:
        if _bytes_copy(names, args):
            return _copy_bytes(args[0], out)
        if _sanitize_on(sanitize):
            _refuse_dunder(names)
    _last.v = (e, None if out is None else weakref.ref(out), order, casting)
    r = e.run(args, out, casting)
    if order == "F" and out is None:
        return np.asfortranarray(r)
    return r


def re_evaluate(
    local_dict: Optional[Dict[str, Any]] = None,
    global_dict: Optional[Dict[str, Any]] = None,
    _frame_depth: int = 2,
) -> np.ndarray:
    """Evaluates again the expression this thread last passed to `evaluate` or `validate`,
    with names looked up afresh (in `local_dict`, or the caller's frame) and the same
    `out`, `order` and `casting`."""
    try:
        e, out_ref, order, casting = _last.v
    except AttributeError:
        raise RuntimeError("re_evaluate: no expression was evaluated or validated before") from None
    out = None if out_ref is None else out_ref()
    args = _arguments(e.names, local_dict, global_dict, _frame_depth - 1)
    r = e.run(args, out, casting)
    if order == "F" and out is None:
        return np.asfortranarray(r)
    return r


def validate(
    ex: str,
    local_dict: Optional[Dict[str, Any]] = None,
    global_dict: Optional[Dict[str, Any]] = None,
    out: Optional[np.ndarray] = None,
    order: str = "K",
    casting: str = "safe",
    _frame_depth: int = 2,
    sanitize: Optional[bool] = None,
    **kwargs: Any,
) -> Optional[Exception]:
    """Checks `ex` against its arguments (names, dtypes, shapes, `out`) without running it,
    as numexpr does: returns None when `evaluate` would succeed (and remembers the
    expression, `out`, `order` and `casting` for `re_evaluate`), otherwise returns the
    exception it would raise. `casting` defaults to 'safe', as numexpr's `validate` (its
    `evaluate` defaults to 'same_kind'). A bad `order` or `casting` is returned here too
    (numexpr finds those only when `re_evaluate` runs)."""
    try:
        e, names, special = _compile(ex)
        if kwargs:
            _check_kwargs(kwargs)
        if special and _sanitize_on(sanitize):
            _refuse_dunder(names)
        order = _order(order)
        casting = _casting(casting)
        args = _arguments(names, local_dict, global_dict, _frame_depth - 1)
        e.check(args)
        if out is not None and not isinstance(out, np.ndarray):
            raise TypeError(f"out must be a NumPy array, not {type(out).__name__}")
        _last.v = (e, None if out is None else weakref.ref(out), order, casting)
        return None
    except Exception as exc:  # numexpr's contract: the exception is returned
        return exc


def compile(ex: str) -> _Expr:
    """Compiles `ex` once into a handle: ``f = numjit.compile("a*x + b")`` then
    ``f(a, x, b)`` (inputs positional, in the order of ``f.names``) or
    ``f(a, x, b, out=y, casting='same_kind')``. The fastest way to call one expression many
    times: no text lookup, no frame lookup. numjit's own rules (NumPy's), not numexpr's:
    integer literals are weak (``compile('2')()`` is int64) and negative axes count from
    the end."""
    f = _OWN.get(ex)
    if f is None:
        ex = _text(ex)
        f = _Expr(ex)
        if len(_OWN) >= _CACHE_SIZE:
            _OWN.clear()
        _OWN[ex] = f
    return f


def compile_script(script: str) -> _Script:
    """Compiles a script (statements separated by ``;`` or newlines) into a handle whose
    ``run(args)`` takes values for ``.names`` in order (see `execute`)."""
    s = _SCRIPTS.get(script)
    if s is None:
        if len(_SCRIPTS) >= _CACHE_SIZE:
            _SCRIPTS.clear()
        s = _SCRIPTS[script] = _Script(script)
    return s


def execute(
    script: str,
    local_dict: Optional[Dict[str, Any]] = None,
    global_dict: Optional[Dict[str, Any]] = None,
    _frame_depth: int = 1,
) -> Dict[str, np.ndarray]:
    """Runs a script: statements separated by ``;`` or newlines. ``x[1:-1] = expr`` writes
    into the caller's array ``x`` in place (NumPy's semantics even when the right side reads
    what it overwrites); ``name = expr`` binds a new array that later statements read.
    Every statement is checked before any runs, so a script with an error changes nothing.

    Returns a dict of the arrays bound by ``name = expr`` statements; the value of a final
    bare expression, if any, is under the key ``None``.
    """
    s = compile_script(script)
    args = _arguments(s.names, local_dict, global_dict, _frame_depth)
    arrays, value = s.run(args)
    if value is not None:
        arrays[None] = value
    return arrays


def print_versions() -> None:
    """Prints the versions of numjit, NumPy and Python, and the thread settings."""
    import platform

    print("-" * 78)
    print(f"numjit version:    {__version__}")
    print(f"NumPy version:     {np.__version__}")
    print(f"Python version:    {sys.version}")
    print(f"Platform:          {sys.platform}-{platform.machine()}")
    print(f"CPU cores:         {ncores}")
    print(f"Maximum threads:   {MAX_THREADS}")
    print(f"Threads in use:    {get_num_threads()}")
    print("VML available?    False (numjit has its own math kernels)")
    print("-" * 78)

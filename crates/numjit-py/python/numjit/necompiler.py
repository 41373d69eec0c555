"""numexpr's ``necompiler``: :class:`NumExpr` (an expression compiled for a signature of
input types) and ``getExprNames``. numjit has no virtual machine, so ``disassemble`` raises
NotImplementedError."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from . import expressions
from ._numjit import Expr as _Expr

__all__ = ["NumExpr", "disassemble", "getExprNames", "evaluate", "re_evaluate", "validate"]

double = np.double

# numexpr's signature types → NumPy dtypes (numexpr's `float` kind is float32).
_SIG_DTYPES = {
    bool: np.dtype(np.bool_),
    np.bool_: np.dtype(np.bool_),
    np.int32: np.dtype(np.int32),
    np.int64: np.dtype(np.int64),
    int: np.dtype(np.int64),
    float: np.dtype(np.float32),
    np.float32: np.dtype(np.float32),
    np.double: np.dtype(np.float64),
    complex: np.dtype(np.complex128),
    np.complex128: np.dtype(np.complex128),
    bytes: None,
    str: None,
}


_ORDERS = {"C": "C", "F": "F", "A": "A", "K": "K", "c": "C", "f": "F", "a": "A", "k": "K"}


def _order(order: Any) -> str:
    """`order` checked as numexpr (NumPy's order converter) checks it: 'C', 'F', 'A' or 'K' in
    either case, None for 'K'; a TypeError for a non-string, a ValueError for another string."""
    if order is None:
        return "K"
    if isinstance(order, bytes):
        order = order.decode("latin-1")
    if not isinstance(order, str):
        raise TypeError(f"order must be str, not {type(order).__name__}")
    try:
        return _ORDERS[order]
    except KeyError:
        raise ValueError(f"order must be one of 'C', 'F', 'A', or 'K' (got {order!r})") from None


_CASTINGS = frozenset(("no", "equiv", "safe", "same_kind", "unsafe"))


def _casting(casting: Any) -> str:
    """`casting` checked as numexpr (NumPy's casting converter) checks it."""
    if casting not in _CASTINGS:
        if not isinstance(casting, str):
            raise TypeError(f"casting must be str, not {type(casting).__name__}")
        raise ValueError(
            f"casting must be one of 'no', 'equiv', 'safe', 'same_kind', or 'unsafe' (got {casting!r})"
        )
    return casting


def _sig_dtype(t: Any) -> Optional[np.dtype]:
    if t in _SIG_DTYPES:
        return _SIG_DTYPES[t]
    if isinstance(t, str) and t in expressions.kind_to_dtype:
        return expressions.kind_to_dtype[t]
    return np.dtype(t)


class NumExpr:
    """An expression compiled for a signature, numexpr's ``NumExpr(ex, signature)``:
    ``NumExpr("2*a + b", [('a', np.double), ('b', np.double)])(a, b)``. `ex` is a string
    or an expression built from :data:`numjit.E`. Inputs are cast to the signature's types
    (safe casts) and passed positionally in its order; without a signature the inputs are
    the expression's names in alphabetical order, of type double."""

    def __init__(self, ex: Any, signature: Sequence[Tuple[str, Any]] = (), sanitize: Optional[bool] = None, **kwargs: Any):
        if isinstance(ex, expressions.ExpressionNode):
            text, consts = expressions.render(ex)
        else:
            text, consts = str(ex), []
        self._text = text
        self._consts = consts
        self._expr = _Expr(text, numexpr=True)
        const_names = {n for n, _ in consts}
        free = [n for n in self._expr.names if n not in const_names]
        if signature:
            self.input_names = tuple(n for n, _ in signature)
            self._types = {n: _sig_dtype(t) for n, t in signature}
            self.signature = tuple(signature)
            unknown = [n for n in free if n not in self._types]
            if unknown:
                raise ValueError(f"names {unknown} are not in the signature {self.input_names}")
        else:
            self.input_names = tuple(sorted(free))
            self._types = {n: np.dtype(np.float64) for n in self.input_names}
            self.signature = tuple((n, double) for n in self.input_names)
        self._order = [
            ("arg", self.input_names.index(n)) if n not in const_names else ("const", dict(consts)[n])
            for n in self._expr.names
        ]

    def run(self, *args: Any, out: Optional[np.ndarray] = None, order: str = "K", casting: str = "safe", ex_uses_vml: bool = False) -> np.ndarray:
        """Evaluates with `args` bound to ``input_names`` in order (`order` checked as
        numexpr checks it; 'F' gives a Fortran-ordered result)."""
        order = _order(order)
        if len(args) != len(self.input_names):
            raise ValueError(
                f"expected {len(self.input_names)} arguments ({', '.join(self.input_names)}), got {len(args)}"
            )
        cast = []
        for n, a in zip(self.input_names, args):
            t = self._types.get(n)
            if t is not None:
                a = np.asarray(a)
                if a.dtype != t:
                    if not np.can_cast(a.dtype, t, "safe"):
                        raise TypeError(f"cannot cast input {n!r} from {a.dtype} to {t} safely")
                    a = a.astype(t)
            cast.append(a)
        values = tuple(cast[i] if kind == "arg" else i for kind, i in self._order)
        r = self._expr.run(values, out, casting)
        if order == "F" and out is None:
            return np.asfortranarray(r)
        return r

    __call__ = run

    def __repr__(self) -> str:
        return f"NumExpr({self._text!r}, signature={list(self.signature)!r})"


def disassemble(nex: NumExpr) -> List[Any]:
    """numexpr's disassembly of its virtual machine's program: numjit compiles to native code
    and has no such program."""
    raise NotImplementedError("numjit compiles to native code: there is no virtual machine program to disassemble")


def getExprNames(text: str, context: Dict[str, Any], sanitize: bool = True) -> Tuple[List[str], bool]:
    """The input names of `text` (in order of appearance) and whether it would use VML
    (never: numjit has no VML)."""
    return list(_Expr(text, numexpr=True).names), False


def evaluate(*args: Any, **kwargs: Any) -> np.ndarray:
    from . import evaluate as ev

    kwargs.setdefault("_frame_depth", 4)
    return ev(*args, **kwargs)


def re_evaluate(*args: Any, **kwargs: Any) -> np.ndarray:
    from . import re_evaluate as rev

    kwargs.setdefault("_frame_depth", 3)
    return rev(*args, **kwargs)


def validate(*args: Any, **kwargs: Any) -> Optional[Exception]:
    from . import validate as val

    kwargs.setdefault("_frame_depth", 3)
    return val(*args, **kwargs)

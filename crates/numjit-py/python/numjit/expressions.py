"""numexpr's expression objects: ``E.a`` is a variable, Python operators build expressions,
and :class:`numjit.NumExpr` compiles them. Each node renders as numjit expression text;
constants that are NumPy scalars (``ConstantNode(numpy.float32(1))``) keep their dtype by
being bound as hidden inputs rather than written as literals."""

from __future__ import annotations

import math
import operator
from typing import Any, List, Tuple

import numpy as np

__all__ = [
    "E",
    "ExpressionNode",
    "VariableNode",
    "ConstantNode",
    "OpNode",
    "FuncNode",
    "getKind",
    "default_kind",
    "kind_rank",
    "type_to_kind",
    "kind_to_type",
]

default_kind = "double"
int_ = np.int32
long_ = np.int64
double = np.double
type_to_kind = {
    bool: "bool",
    int_: "int",
    long_: "long",
    float: "float",
    double: "double",
    complex: "complex",
    bytes: "bytes",
    str: "str",
}
kind_to_type = {
    "bool": bool,
    "int": int_,
    "long": long_,
    "float": float,
    "double": double,
    "complex": complex,
    "bytes": bytes,
    "str": str,
}
kind_rank = ("bool", "int", "long", "float", "double", "complex", "none")

#: numjit dtypes of numexpr's kinds (numexpr's 'float' kind is float32).
kind_to_dtype = {
    "bool": np.dtype(np.bool_),
    "int": np.dtype(np.int32),
    "long": np.dtype(np.int64),
    "float": np.dtype(np.float32),
    "double": np.dtype(np.float64),
    "complex": np.dtype(np.complex128),
    "bytes": None,
}


def getKind(x: Any) -> str:
    """numexpr's kind of a constant or array: 'bool', 'int', 'long', 'float', 'double',
    'complex' or 'bytes'."""
    if isinstance(x, (bool, np.bool_)):
        return "bool"
    if isinstance(x, (bytes, np.bytes_)):
        return "bytes"
    if isinstance(x, int):
        return "int" if -(2**31) <= x < 2**31 else "long"
    if isinstance(x, float):
        return "double"
    if isinstance(x, complex):
        return "complex"
    dt = np.asarray(x).dtype
    return {
        "b": "bool",
        "i": "int" if dt.itemsize <= 4 else "long",
        "u": "int" if dt.itemsize <= 2 else "long",
        "f": "float" if dt.itemsize <= 4 else "double",
        "c": "complex",
        "S": "bytes",
    }.get(dt.kind, "none")


def _binop(symbol: str, reverse: bool = False):
    def op(self, other):
        other = _node(other)
        a, b = (other, self) if reverse else (self, other)
        return OpNode(symbol, (a, b))

    return op


class ExpressionNode:
    """A node of an expression built with Python operators."""

    astType = "generic"

    def __init__(self, value: Any = None, kind: str = "unknown", children=()):
        self.value = value
        self.astKind = kind
        self.children = tuple(children)

    __add__ = _binop("+")
    __radd__ = _binop("+", True)
    __sub__ = _binop("-")
    __rsub__ = _binop("-", True)
    __mul__ = _binop("*")
    __rmul__ = _binop("*", True)
    __truediv__ = _binop("/")
    __rtruediv__ = _binop("/", True)
    __floordiv__ = _binop("//")
    __rfloordiv__ = _binop("//", True)
    __mod__ = _binop("%")
    __rmod__ = _binop("%", True)
    __pow__ = _binop("**")
    __rpow__ = _binop("**", True)
    __lshift__ = _binop("<<")
    __rlshift__ = _binop("<<", True)
    __rshift__ = _binop(">>")
    __rrshift__ = _binop(">>", True)
    __and__ = _binop("&")
    __rand__ = _binop("&", True)
    __or__ = _binop("|")
    __ror__ = _binop("|", True)
    __xor__ = _binop("^")
    __rxor__ = _binop("^", True)
    __lt__ = _binop("<")
    __le__ = _binop("<=")
    __gt__ = _binop(">")
    __ge__ = _binop(">=")
    __eq__ = _binop("==")  # type: ignore[assignment]
    __ne__ = _binop("!=")  # type: ignore[assignment]
    __hash__ = object.__hash__

    def __neg__(self):
        return OpNode("neg", (self,))

    def __pos__(self):
        return self

    def __invert__(self):
        return OpNode("~", (self,))

    def __abs__(self):
        return FuncNode("abs", (self,))

    def __bool__(self):
        raise TypeError("an expression has no truth value: use & | ~ instead of and/or/not")

    @property
    def real(self):
        return FuncNode("real", (self,))

    @property
    def imag(self):
        return FuncNode("imag", (self,))

    def __str__(self) -> str:
        return render(self)[0]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class VariableNode(ExpressionNode):
    """A named input."""

    astType = "variable"

    def __init__(self, name: str, kind: str = default_kind):
        super().__init__(name, kind)


class ConstantNode(ExpressionNode):
    """A constant; NumPy scalars keep their dtype (``value`` is the scalar)."""

    astType = "constant"

    def __init__(self, value: Any = None, children=None):
        kind = getKind(value)
        if kind == "int" and isinstance(value, (np.integer,)):
            value = np.int32(value)
        elif kind == "long" and isinstance(value, np.integer):
            value = np.int64(value)
        elif kind == "float" and isinstance(value, np.floating):
            value = np.float32(value)
        super().__init__(value, kind)


class OpNode(ExpressionNode):
    """An operator applied to its children (``value`` is the operator's symbol)."""

    astType = "op"

    def __init__(self, symbol: str, children):
        super().__init__(symbol, "unknown", children)


class FuncNode(ExpressionNode):
    """A function call (``value`` is the function's name)."""

    astType = "func"

    def __init__(self, name: str, children):
        super().__init__(name, "unknown", children)


def _node(x: Any) -> ExpressionNode:
    return x if isinstance(x, ExpressionNode) else ConstantNode(x)


def render(node: ExpressionNode) -> Tuple[str, List[Tuple[str, Any]]]:
    """``node`` as numjit expression text, and the constants bound as hidden inputs."""
    consts: List[Tuple[str, Any]] = []

    def go(n: ExpressionNode) -> str:
        if isinstance(n, VariableNode):
            return n.value
        if isinstance(n, ConstantNode):
            v = n.value
            if type(v) in (bool, int) or (
                type(v) is float and math.isfinite(v)
            ) or type(v) is complex and math.isfinite(v.real) and math.isfinite(v.imag):
                return repr(v)
            if type(v) is bytes:
                return repr(v)
            for name, old in consts:
                if type(old) is type(v) and (old == v or (old != old and v != v)):
                    return name
            name = f"numjit_const_{len(consts)}"
            consts.append((name, v))
            return name
        if isinstance(n, OpNode):
            args = [go(c) for c in n.children]
            if n.value == "neg":
                return f"(-{args[0]})"
            if n.value == "~":
                return f"(~{args[0]})"
            return f"({args[0]} {n.value} {args[1]})"
        if isinstance(n, FuncNode):
            return f"{n.value}({', '.join(go(c) for c in n.children)})"
        raise TypeError(f"not an expression node: {n!r}")

    return go(node), consts


class Expression:
    """``E.name`` is the variable ``name``."""

    def __getattr__(self, name: str) -> VariableNode:
        if name.startswith("_"):
            raise AttributeError(name)
        return VariableNode(name, default_kind)


E = Expression()

_ = operator  # numexpr's module imports it; kept for code that reaches it through here

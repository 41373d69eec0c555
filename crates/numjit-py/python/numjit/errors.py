"""numjit's exceptions: each is a subclass of the built-in exception numexpr raises for the
same mistake (so ``except KeyError`` keeps working), and its message is numjit's, with the
expression printed and a caret under the mistake::

    >>> numjit.evaluate("a + ab", local_dict={"a": 1.0})
    Traceback (most recent call last):
    ...
    numjit.errors.UnknownNameError: error: unknown name `ab`; did you mean `a`?
      a + ab
          ^^

Every class derives from :class:`NumjitError`, whose ``message`` is the message without the
caret display and ``span`` the ``(start, end)`` byte offsets of the mistake (or None).
"""

from __future__ import annotations

from typing import Optional, Tuple

__all__ = [
    "NumjitError",
    "ExpressionSyntaxError",
    "UnsupportedOperatorError",
    "UnknownNameError",
    "UnknownFunctionError",
    "ArityError",
    "DTypeError",
    "ShapeError",
    "OutputError",
    "LimitError",
    "OutOfMemoryError",
    "InternalError",
]


class NumjitError(Exception):
    """Base class of numjit's errors."""

    def __init__(
        self,
        text: str,
        message: Optional[str] = None,
        span: Optional[Tuple[int, int]] = None,
    ) -> None:
        super().__init__(text)
        self.text = text
        self.message = text if message is None else message
        self.span = span

    def __str__(self) -> str:
        return self.text


class ExpressionSyntaxError(NumjitError, SyntaxError, ValueError):
    """The text does not follow numjit's grammar. numexpr raises SyntaxError for text
    Python cannot parse and ValueError for text its sanitizer refuses (``[``, ``;``,
    ``lambda``); numjit's own parser covers both, so this is both."""

    def __init__(self, text, message=None, span=None):
        SyntaxError.__init__(self, text)
        NumjitError.__init__(self, text, message, span)
        if span is not None:
            self.offset = span[0] + 1

    def __str__(self) -> str:
        return self.text


class UnsupportedOperatorError(ExpressionSyntaxError, TypeError):
    """``and``, ``or``, ``not``, ``is``, ``in``, ``if``: refused (numexpr: TypeError, as
    Python's truth test of an array expression fails)."""


class UnknownNameError(NumjitError, KeyError):
    """A name that is bound nowhere (numexpr: KeyError)."""


class UnknownFunctionError(NumjitError, TypeError):
    """A call of a function numjit does not have (numexpr: TypeError)."""


class ArityError(NumjitError, TypeError):
    """A call with the wrong number of arguments (numexpr: TypeError)."""


class DTypeError(NumjitError, TypeError, ValueError):
    """An operation not defined for its operands' dtypes (numexpr: TypeError; NumPy raises
    ValueError for some of these, such as integers to negative integer powers, so this is a
    ValueError too)."""


class ShapeError(NumjitError, ValueError):
    """Shapes that do not broadcast, a bad axis or slice (numexpr: ValueError)."""


class OutputError(NumjitError, ValueError, TypeError):
    """An output of the wrong shape, or of a dtype the casting rule refuses (NumPy:
    ValueError for shapes, TypeError for casting)."""


class LimitError(NumjitError, ValueError):
    """An input beyond a safety limit (nesting depth, size)."""


class OutOfMemoryError(NumjitError, MemoryError):
    """The allocator refused memory for a result, a temporary or a buffer (NumPy's
    MemoryError); nothing was written, and the process stays usable."""


class InternalError(NumjitError, RuntimeError):
    """Code generation failed for this machine (not caused by the expression)."""


def _make(kind: str, text: str, message: str, span: Optional[Tuple[int, int]]) -> NumjitError:
    """The exception for a numjit error of `kind` (called by the extension)."""
    cls = globals().get(kind, NumjitError)
    if cls is ExpressionSyntaxError and message.startswith("`") and "` is not supported" in message:
        cls = UnsupportedOperatorError
    return cls(text, message, span)

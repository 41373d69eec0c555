#!/usr/bin/env python3
"""Writes tests/data/numpy_cases/cases.tsv: numexpr's own test matrix (plus extra cases for
what numexpr's matrix does not reach), answered by NumPy. tests/it/numpy_oracle.rs replays
every case through numjit.

Run from anywhere with NumPy 2 installed:  python3 scripts/make_numpy_cases.py
The output is deterministic for a given NumPy build and machine. (Transcendental functions
may differ in the last ulp between NumPy builds and SIMD levels, which is why the Rust side
compares those cases within 2 ulp.)

Where the expressions come from
-------------------------------
The MISC, OPERATIONS, COMPARISONS, 1_ARG_FUNCS, 2_ARG_FUNCS and POW_TESTS lists are copied
from numexpr 2.14's tests/test_numexpr.py (`tests = [...]` and the loops after it). Its
`test_expressions` runs each expression with all variables of one dtype, and with `a` (then
`b`) replaced by one element of itself (test_scalar 1 and 2); so does this script. Dropped,
because numjit does not have them yet: `copy`, `ones_like`, `conj`, `.real`. The EXTRA section
is ours: every function and operator applied directly, special values, precedence,
broadcasting, and dtype mixes that numexpr's single-dtype matrix cannot produce.

How NumPy is asked
------------------
Each expression is parsed with Python's `ast` (numjit follows Python's grammar and
precedence) and evaluated node by node on NumPy 0-d or n-d arrays:

* Python operators are applied to ndarrays (so NumPy's `**` fast paths for exponents 2, -1,
  0.5 apply, as numjit documents); every intermediate result is kept as an ndarray (0-d
  included), numjit having no separate scalar semantics.
* Literals stay Python scalars (NumPy 2's weak scalars); `-1` is folded to a literal as
  numjit's parser does. An operation whose operands are all literals gets the left one as a
  0-d array, so constant sub-expressions follow NumPy's array rules, not Python's.
* Functions: `where` = np.where, `abs` = np.absolute, `round` = np.round (half to even),
  everything else the NumPy ufunc of the same name.
* Where NumPy returns int8 (bool // bool, bool % bool, bool ** bool, bool << bool,
  fmod(bool, bool)) or float16 (float functions of bools, round(bool)), numjit deliberately
  gives int64 or float64: that one operation is recomputed with its bool operands cast to
  int64 or float64, and the case is annotated (`int8->int64`, `float16->float64`).
* If NumPy raises, the case expects an error. When the refusal depends on the data (an integer
  raised to a negative integer power that is not a literal), numjit documents that it
  computes a value instead; such cases are evaluated element by element and the elements
  NumPy refuses are written as `?` (the test accepts an error, or these values).

File format (tab-separated; see tests/it/numpy_oracle.rs)
-----------------------------------------------------------
    input  NAME  DTYPE  SHAPE  VALUES...(space-separated)
    case   ID  SECTION  DTYPES  VARIANT  EXPR  BINDINGS  TOL  NOTE  ok  DTYPE  SHAPE  VALUES
    case   ID  SECTION  DTYPES  VARIANT  EXPR  BINDINGS  TOL  NOTE  err  MESSAGE
    case   ID  SECTION  DTYPES  VARIANT  EXPR  BINDINGS  TOL  NOTE  partial  DTYPE  SHAPE  VALUES
DTYPE is bool/int64/float64; SHAPE is `[]`, `[20]`, `[4,5]`; floats are Python reprs (exact
round trip: `-0.0`, `nan`, `inf`, `5e-324`), ints decimal, bools 0/1. BINDINGS is
`a=INPUT,b=INPUT` or, for a 0-d (scalar) binding, `a=float64:1.5`. TOL is `exact` (bit for
bit), `exact0` (exact but for the sign of a zero; expressions with maximum/minimum), `ulp2`
(within 2 ulp), or `ulp2:T1 T2 ...`: within 2 ulp, or within the absolute error Tk where Tk is
not 0 (see `propagated`). NOTE is `-` or the dtype substitutions made.
"""

import ast
import os
import sys
import warnings

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "numpy_cases")

# ---------------------------------------------------------------------------------------------
# numexpr's test matrix (numexpr 2.14, tests/test_numexpr.py), unsupported entries dropped
# ---------------------------------------------------------------------------------------------

NUMEXPR_UNSUPPORTED = ("copy", "ones_like", "conj", ".real")

tests = [
    ('MISC', ['b*c+d*e',
              '2*a+3*b',
              '-a',
              'sinh(a)',
              '2*a + (cos(3)+5)*sinh(cos(b))',
              '2*a + arctan2(a, b)',
              'arcsin(0.5)',
              'where(a != 0.0, 2, a)',
              'where(a > 10, b < a, b > a)',
              'where((a-10).real != 0.0, a, 2)',
              '0.25 * (a < 5) + 0.33 * (a >= 5)',
              'cos(1+1)',
              '1+1',
              '1',
              'cos(a2)',
              ])]

optests = []
for op in list('+-*/%') + ['**']:
    optests.append("(a+1) %s (b+3)" % op)
    optests.append("3 %s (b+3)" % op)
    optests.append("(a+1) %s 4" % op)
    optests.append("2 %s (b+3)" % op)
    optests.append("(a+1) %s 2" % op)
    optests.append("(a+1) %s -1" % op)
    optests.append("(a+1) %s 0.5" % op)
    # Check divisions and modulus by zero (see ticket #107)
    optests.append("(a+1) %s 0" % op)
tests.append(('OPERATIONS', optests))

cmptests = []
for op in ['<', '<=', '==', '>=', '>', '!=']:
    cmptests.append("a/2+5 %s b" % op)
    cmptests.append("a/2+5 %s 7" % op)
    cmptests.append("7 %s b" % op)
    cmptests.append("7.0 %s 5" % op)
tests.append(('COMPARISONS', cmptests))

func1tests = []
for func in ['copy', 'ones_like', 'sqrt',
             'sin', 'cos', 'tan', 'arcsin', 'arccos', 'arctan',
             'sinh', 'cosh', 'tanh', 'arcsinh', 'arccosh', 'arctanh',
             'log', 'log1p', 'log10', "log2", 'exp', 'expm1', 'abs', 'conj',
             'ceil', 'floor', 'round', 'trunc', 'sign']:
    func1tests.append("a + %s(b+c)" % func)
tests.append(('1_ARG_FUNCS', func1tests))

func2tests = []
for func in ['arctan2', 'fmod', 'hypot', 'nextafter', 'copysign']:
    func2tests.append("a + %s(b+c, d+1)" % func)
    func2tests.append("a + %s(b+c, 1)" % func)
    func2tests.append("a + %s(1, d+1)" % func)
tests.append(('2_ARG_FUNCS', func2tests))

powtests = []
# n = -1, 0.5, 2, 4 already handled in section "OPERATIONS"
for n in (-7, -2.5, -1.5, -1.3, -.5, 0, 0.0, 1, 2.3, 2.5, 3):
    powtests.append("(a+1)**%s" % n)
tests.append(('POW_TESTS', powtests))

# ---------------------------------------------------------------------------------------------
# Our additions
# ---------------------------------------------------------------------------------------------

FUNCS1 = ['sqrt', 'sin', 'cos', 'tan', 'arcsin', 'arccos', 'arctan', 'sinh', 'cosh', 'tanh',
          'arcsinh', 'arccosh', 'arctanh', 'log', 'log1p', 'log10', 'log2', 'exp', 'expm1',
          'abs', 'ceil', 'floor', 'round', 'trunc', 'sign', 'isnan', 'isfinite', 'isinf',
          'signbit']
FUNCS2 = ['arctan2', 'fmod', 'hypot', 'nextafter', 'copysign', 'maximum', 'minimum']
BINOPS = ['+', '-', '*', '/', '//', '%', '**', '<<', '>>', '&', '|', '^',
          '<', '<=', '==', '!=', '>=', '>']

extra = []
for v in ['a', 'b', 'e']:
    for f in FUNCS1:
        extra.append("%s(%s)" % (f, v))
for x, y in [('a', 'b'), ('c', 'd'), ('e', 'b')]:
    for f in FUNCS2:
        extra.append("%s(%s, %s)" % (f, x, y))
for x, y in [('a', 'b'), ('c', 'd'), ('e', 'a')]:
    for op in BINOPS:
        extra.append("%s %s %s" % (x, op, y))
extra += [
    # numexpr's MISC `where((a-10).real != 0.0, a, 2)` without `.real`, and `a + copy(b+c)`
    'where((a-10) != 0.0, a, 2)', 'a + (b+c)',
    # unary operators
    '+a', '~a', '-c', '~c', '-e', '--a', '-(-b)', '~~c',
    # precedence and associativity (Python's)
    '-a**2', '-2**2', '2**-1', '2.0**-1', 'a**-b', '2**3**2', 'a**b**2', 'a - b - c', 'a / b / c',
    'a // b * c', 'a % b % 3', 'a + b * c % d // e', 'a << 2 + 1', '1 << 3 >> 1',
    '~a & b | c ^ d', 'a & b ^ c | d', '(a > b) & (c < d)', '(a > b) | ~(c < d)',
    'a * b + c * d - e', '-a * -b', 'a ** 0.5 ** 2',
    # literals and literal dtypes
    'a + True', 'a * False', 'a + 1', 'a * 2.5', 'b - 0.5', 'True + True', 'True * 3',
    'a / 0', 'a // 0', 'a % 0', 'a / 0.0', 'a // 0.0', 'a % 0.0', '0 / a', '0 // a',
    '-7 // 2', '-7 % 2', '7 % -2', '-7.5 // 2', '-7.5 % 2', '1e308 * 10', '5e-324 / 2',
    '2 ** 62 * 2', '1_000 + a', '0x10 + a', '0o17 + a', '0b101 + a', '.5 + a', '1. + a',
    '1e-3 * a', '3 // 0', '3 % 0', '0 ** 0', '0.0 ** 0', '(-8) ** (1/3)', 'a ** 1', 'a ** 0',
    'a ** 3', 'a ** 4', 'a ** 3.0', 'a ** 4.0', 'a ** -1.0', 'a ** 2.0', 'a ** 0.5', 'a ** -0.5',
    'a ** 1.0', 'a ** 0.0', 'e ** 3', 'e ** 0.5', 'e ** -1.0', 'e ** 0.0', 'e ** 4.0',
    'b ** a', 'c ** d', 'a ** e',
    # where
    'where(c, a, b)', 'where(a > b, a, b)', 'where(c > 0.5, 1, 0.5)', 'where(a, 1, 2)',
    'where(e, a, b)', 'where(b < 0, -b, b)', 'where(a != a, 0, a)', 'where(True, a, b)',
    'where(a > 2, True, b)',
    # integer edge cases (int64 e holds the extremes)
    'abs(e)', 'e // -1', 'e % -1', 'fmod(e, -1)', 'e * 2', 'e + e', 'e - 1', 'e << 1',
    'e >> 63', 'e >> 64', 'a << 63', '1 << b', '-1 >> b', 'a >> -1', 'a << -1',
    'round(e)', 'sign(e)', 'maximum(e, 0)', 'minimum(e, a)',
    # float edge cases
    'nextafter(e, 0)', 'nextafter(0, e)', 'copysign(1, e)', 'copysign(e, -1)',
    'maximum(e, -0.0)', 'minimum(e, 0.0)', 'maximum(-0.0, 0.0)', 'minimum(0.0, -0.0)',
    'fmod(e, 2)', 'fmod(e, 0)', 'fmod(2, e)', 'arctan2(e, e)', 'arctan2(b, -0.0)',
    'hypot(e, b)', 'e // e', 'e % e', 'e / e', 'e - e', 'e * 0', 'e // 0.5', 'e % 0.5',
    'round(a + 0.5)', 'round(-2.5) + round(-1.5) + round(-0.5)', 'round(0.49999999999999994)',
    'floor(-0.0)', 'ceil(-0.5)', 'trunc(-0.5)', 'sign(-0.0)', 'abs(-0.0)',
    'isnan(c) | isinf(c)', 'signbit(c)', 'isfinite(c * 1e308)', 'log(0)', 'log(-1)',
    'exp(710)', 'expm1(-1e-20)', 'log1p(-1)', 'arctanh(1)', 'arccosh(1)', 'sqrt(-0.0)',
    # function composition and nesting
    'sin(a)**2 + cos(a)**2', 'exp(log(abs(a) + 1))', 'sqrt(a*a + b*b)', 'hypot(a, b) - sqrt(a*a + b*b)',
    'where(isnan(c), 0, c)', 'maximum(minimum(a, 2), -2)', 'abs(sign(a)) * a',
    'floor(a / 2) + ceil(b / 2)', 'arctan2(sin(a), cos(a))', 'log1p(expm1(b))',
    'tanh(arctanh(b))', 'round(a * 10) / 10',
    # comparisons of mixed kinds
    'a == b', 'a != c', 'c < 0.5', '1 < a', 'a >= True', '(a < b) == (c < d)',
    # broadcasting: a2 is (4, 5), r is (5,), col is (4, 1)
    'a2 * r', 'a2 + col', 'col * r', 'col - r + a2', 'where(a2 > 1, r, col)', 'sin(col) + r',
    'a2 ** 2', 'r // col', 'r % col', 'col << r',
]
tests.append(('EXTRA', extra))

# ---------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------

N = 20
MID = N // 2  # numexpr's scalar variants use element array_size // 2

nan, inf = float('nan'), float('inf')

FLOAT = {
    'a': [-3.5, -2.0, -1.0, -0.5, -0.0, 0.0, 0.25, 0.5, 0.75, 1.0,
          1.5, 2.0, 2.5, 3.0, 7.0, 10.0, 12.5, 100.0, 1000.0, -7.25],
    'b': [0.5, -0.5, 0.0, -0.0, 0.1, 0.9, -0.9, 1 / 3, 1.0, -1.0,
          0.5, 2.0, -2.0, 5.0, 0.49999999999999994, 1.5, -1.5, 2.5, -2.5, 1e-300],
    'c': [0.0, 1.0, -1.0, 0.5, -0.25, 2.0, 3.0, -3.0, 0.125, 4.0,
          inf, -inf, nan, 1e300, -1e-310, 0.7, 6.0, -6.5, 20.0, 0.3],
    'd': [1.0, 2.0, 0.0, -1.0, 3.0, -2.0, 0.5, -0.5, 4.0, 10.0,
          1.5, -3.0, 7.0, 0.25, -0.75, 100.0, -1.0, 5.0, 2.5, -4.0],
    'e': [1.0, -1.0, 0.0, inf, -inf, nan, 1e308, -1e308, 5e-324, -5e-324,
          2.0, 0.5, 3.0, -2.5, 1e-5, 123.456, -0.0, 8.0, 9.0, 0.1],
    'a2': [[0.0, 1.0, -1.0, 0.5, 2.0], [3.0, -0.0, 1.5, -2.5, 10.0],
           [0.25, -0.75, 4.0, 7.0, -3.0], [1e-3, 100.0, -100.0, 0.1, 6.0]],
    'r': [1.0, -2.0, 0.5, 0.0, 3.0],
    'col': [[2.0], [-1.0], [0.0], [4.5]],
}
INT = {
    'a': [-7, -3, -2, -1, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 15, 100, -100, 1000, 2**40],
    # b >= -3 so that numexpr's `(a+1) ** (b+3)` has no negative exponents.
    'b': [-3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 2, 7, 8, 9, 10, 11, 12, 13, 62, 63],
    'c': [0, 1, -1, 2, -2, 3, -3, 10, -10, 100, 7, -7, 50, 0, 4, -4, 5, 9, -9, 64],
    'd': [1, 2, 0, -1, 3, -2, 5, -5, 4, 10, -3, 7, 6, 0, -7, 100, -1, 8, 2, -4],
    'e': [1, -1, 0, 2**63 - 1, -2**63, 2**62, -2**62, 3, -3, 2**31,
          -2**31, 7, 1000000007, 12, 0, 5, -5, 2**32, 99, 1],
    'a2': [[0, 1, -1, 2, 3], [-2, 5, 10, -10, 7], [4, -4, 6, 0, 1], [100, -3, 8, 9, -7]],
    'r': [1, -2, 3, 0, 5],
    'col': [[2], [-1], [0], [7]],
}
BOOL = {
    'a': [i % 2 == 0 for i in range(N)],
    'b': [i % 3 == 0 for i in range(N)],
    'c': [i % 5 in (1, 2) for i in range(N)],
    'd': [i % 4 < 2 for i in range(N)],
    'e': [(i * 7) % 3 == 1 for i in range(N)],
    'a2': [[(i * 5 + j) % 3 == 0 for j in range(5)] for i in range(4)],
    'r': [True, False, True, True, False],
    'col': [[True], [False], [False], [True]],
}
VALUES = {'float64': FLOAT, 'int64': INT, 'bool': BOOL}
VARS = ['a', 'b', 'c', 'd', 'e', 'a2', 'r', 'col']

# Dtype of each variable per dtype set. The single-dtype sets are numexpr's; the mixes are ours.
DTYPE_SETS = {
    'bool': {v: 'bool' for v in VARS},
    'int64': {v: 'int64' for v in VARS},
    'float64': {v: 'float64' for v in VARS},
    'mixA': dict(a='float64', b='int64', c='bool', d='float64', e='int64',
                 a2='int64', r='float64', col='bool'),
    'mixB': dict(a='bool', b='float64', c='int64', d='bool', e='float64',
                 a2='float64', r='bool', col='int64'),
}
# The mixes run on a subset (the whole matrix five times over is more data than it is worth).
MIX_SECTIONS = {'OPERATIONS', 'COMPARISONS', '2_ARG_FUNCS', 'EXTRA'}


def input_array(dtype, var):
    return np.array(VALUES[dtype][var], dtype=dtype)


# ---------------------------------------------------------------------------------------------
# Evaluation through NumPy
# ---------------------------------------------------------------------------------------------

FUNCS = {name: getattr(np, name) for name in FUNCS1 + FUNCS2 if name not in ('abs', 'round')}
FUNCS.update({'where': np.where, 'abs': np.absolute, 'round': np.round})
FLOAT_FUNCS = set(FUNCS1[:19]) | {'arctan2', 'hypot', 'copysign', 'nextafter'}
TRANSCENDENTAL = set(FUNCS1[1:19]) | {'arctan2', 'hypot'}

BINOP = {
    ast.Add: lambda x, y: x + y, ast.Sub: lambda x, y: x - y, ast.Mult: lambda x, y: x * y,
    ast.Div: lambda x, y: x / y, ast.FloorDiv: lambda x, y: x // y, ast.Mod: lambda x, y: x % y,
    ast.Pow: lambda x, y: x ** y, ast.LShift: lambda x, y: x << y,
    ast.RShift: lambda x, y: x >> y, ast.BitAnd: lambda x, y: x & y,
    ast.BitOr: lambda x, y: x | y, ast.BitXor: lambda x, y: x ^ y,
}
CMPOP = {
    ast.Lt: lambda x, y: x < y, ast.LtE: lambda x, y: x <= y, ast.Eq: lambda x, y: x == y,
    ast.NotEq: lambda x, y: x != y, ast.GtE: lambda x, y: x >= y, ast.Gt: lambda x, y: x > y,
}
UNOP = {ast.USub: lambda x: -x, ast.UAdd: lambda x: +x, ast.Invert: lambda x: ~x}


class NumpyRefused(Exception):
    """NumPy raised for this expression (any input)."""


class DataRefused(Exception):
    """NumPy raised because of the data: an integer to a negative non-literal integer power."""


def is_literal(x):
    return isinstance(x, (bool, int, float))


def dtype_of(x):
    return np.asarray(x).dtype


class Evaluator:
    """Evaluates a parsed expression on `env` (name -> ndarray).

    `perturb=(k, direction)` moves the float64 result of the k-th approximate operation (a
    transcendental function or `**`, numbered in evaluation order) by 2 ulp towards
    direction*inf: used to measure how much a 2-ulp error there moves the final result.
    """

    def __init__(self, env, perturb=None):
        self.env = env
        self.notes = set()
        self.perturb = perturb
        self.napprox = 0

    def apply(self, fn, args, approx=False):
        """fn(*args) as NumPy computes it, with numjit's int8/float16 substitutions."""
        if args and all(is_literal(x) for x in args):
            args = [np.asarray(args[0])] + list(args[1:])
        r = np.asarray(fn(*args))
        if r.dtype in (np.int8, np.float16):
            wide = np.int64 if r.dtype == np.int8 else np.float64
            self.notes.add('%s->%s' % (r.dtype.name, np.dtype(wide).name))
            args = [np.asarray(x, dtype=wide) if dtype_of(x) == np.bool_ else x for x in args]
            r = np.asarray(fn(*args))
        if r.dtype not in (np.bool_, np.int64, np.float64):
            raise AssertionError('unexpected NumPy dtype %s' % r.dtype)
        if approx and r.dtype == np.float64:
            k = self.napprox
            self.napprox += 1
            if self.perturb is not None and self.perturb[0] == k:
                towards = self.perturb[1] * np.inf
                moved = np.nextafter(np.nextafter(r, towards), towards)
                r = np.asarray(np.where(np.isfinite(moved) | ~np.isfinite(r), moved, r))
        return r

    def eval(self, node):
        if isinstance(node, ast.Expression):
            return self.eval(node.body)
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in ('True', 'False'):
                return node.id == 'True'
            return self.env[node.id]
        if isinstance(node, ast.UnaryOp):
            if (isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant)
                    and type(node.operand.value) in (int, float)):
                return -node.operand.value  # numjit's parser folds `-1` into a literal
            x = self.eval(node.operand)
            return self.apply(UNOP[type(node.op)], [x])
        if isinstance(node, ast.BinOp):
            x, y = self.eval(node.left), self.eval(node.right)
            try:
                return self.apply(BINOP[type(node.op)], [x, y], isinstance(node.op, ast.Pow))
            except ValueError as e:
                if 'negative integer powers' in str(e) and not is_literal(y):
                    raise DataRefused(str(e))
                raise
        if isinstance(node, ast.Compare):
            assert len(node.ops) == 1, 'chained comparison'
            x, y = self.eval(node.left), self.eval(node.comparators[0])
            return self.apply(CMPOP[type(node.ops[0])], [x, y])
        if isinstance(node, ast.Call):
            args = [self.eval(a) for a in node.args]
            return self.apply(FUNCS[node.func.id], args, node.func.id in TRANSCENDENTAL)
        raise AssertionError('unsupported syntax: %s' % ast.dump(node))


def used_names(tree):
    return sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
                   and n.id not in FUNCS and n.id not in ('True', 'False')})


def tolerance(tree):
    """`ulp2` with a transcendental function or `**`; `exact0` (exact but for the sign of a
    zero) with maximum/minimum, whose choice between +0 and -0 NumPy leaves to the platform
    (x86-64: the second operand; aarch64: fmax/fmin; documented: the first); else `exact`."""
    kind = 'exact'
    for n in ast.walk(tree):
        if isinstance(n, ast.Call) and n.func.id in TRANSCENDENTAL:
            return 'ulp2'
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Pow):
            return 'ulp2'
        if isinstance(n, ast.Call) and n.func.id in ('maximum', 'minimum'):
            kind = 'exact0'
    return kind


def propagated(tree, env, want, napprox):
    """Per element, how far the result moves when each approximate operation is off by 2 ulp
    (summed over the operations, the larger of the two directions), plus the final rounding;
    None when that never exceeds 2 ulp of the result. A 2-ulp error in `f` moves `a + f(x)`
    by many ulp of the result when `a` nearly cancels `f(x)`, and `log1p(expm1(x))` amplifies
    its inner error: this is the tolerance that "each function within 2 ulp" implies."""
    if want.dtype != np.float64 or napprox == 0:
        return None
    total = np.zeros(want.shape)
    with warnings.catch_warnings(), np.errstate(all='ignore'):
        warnings.simplefilter('ignore')
        for k in range(napprox):
            dev = np.zeros(want.shape)
            for direction in (1, -1):
                moved = np.asarray(Evaluator(env, (k, direction)).eval(tree), dtype=np.float64)
                d = np.abs(np.broadcast_to(moved, want.shape) - want)
                dev = np.maximum(dev, np.where(np.isfinite(d), d, 0.0))
            total += dev
        ulp = np.spacing(np.abs(want))
        # A lone function already gets its 2 ulp; beyond that, allow one more ulp for the
        # rounding of the operations after it.
        need = np.isfinite(want) & (total > 2 * ulp)
        allowed = total + ulp
    if not need.any():
        return None
    return np.where(need, allowed, 0.0)


def fmt_value(v, dtype):
    if dtype == 'float64':
        return repr(float(v))
    if dtype == 'int64':
        return str(int(v))
    return '1' if v else '0'


def fmt_shape(shape):
    return '[' + ','.join(str(d) for d in shape) + ']'


def run(tree, env):
    """('ok', array, notes) | ('err', message) | ('partial', dtype, shape, values, notes)."""
    ev = Evaluator(env)
    with warnings.catch_warnings(), np.errstate(all='ignore'):
        warnings.simplefilter('ignore')
        try:
            r = ev.eval(tree)
            return ('ok', np.asarray(r), ev.notes, ev.napprox)
        except DataRefused:
            pass
        except (TypeError, ValueError) as e:
            return ('err', '%s: %s' % (type(e).__name__, str(e).replace('\t', ' ').replace('\n', ' ')))
        # Element by element; the elements NumPy refuses become `?`.
        shape = np.broadcast_shapes(*[np.shape(v) for v in env.values()])
        values, dtype = [], None
        for idx in np.ndindex(*shape):
            one = {k: np.asarray(np.broadcast_to(v, shape)[idx]) for k, v in env.items()}
            ev1 = Evaluator(one)
            try:
                x = np.asarray(ev1.eval(tree))
                dtype = x.dtype.name
                values.append(x[()])
                ev.notes |= ev1.notes
            except (DataRefused, ValueError):
                values.append(None)
        if dtype is None:
            # Every element refused: the dtype is what the expression gives on ones or zeros.
            for fill in (np.ones_like, np.zeros_like):
                try:
                    filled = {k: fill(v) for k, v in env.items()}
                    dtype = np.asarray(Evaluator(filled).eval(tree)).dtype.name
                    break
                except DataRefused:
                    pass
            else:
                return ('err', 'ValueError: Integers to negative integer powers are not allowed.')
        return ('partial', dtype, shape, values, ev.notes)


def main():
    os.makedirs(OUT, exist_ok=True)
    lines = ['# NumPy %s answers to numexpr\'s test matrix; written by scripts/make_numpy_cases.py.'
             % np.__version__,
             '# Do not edit by hand: rerun the script.']
    for dt in ('bool', 'int64', 'float64'):
        for v in VARS:
            a = input_array(dt, v)
            lines.append('\t'.join(['input', '%s.%s' % (dt, v), dt, fmt_shape(a.shape),
                                    ' '.join(fmt_value(x, dt) for x in a.ravel())]))
    seen = set()
    counts = {}
    n = 0
    skipped = 0
    for section, exprs in tests:
        for expr in exprs:
            if any(u in expr for u in NUMEXPR_UNSUPPORTED):
                skipped += 1
                continue
            tree = ast.parse(expr, mode='eval')
            names = used_names(tree)
            tol = tolerance(tree)
            sets = DTYPE_SETS if section in MIX_SECTIONS else ['bool', 'int64', 'float64']
            for dset in sets:
                for variant in (0, 1, 2):
                    scalar = {1: 'a', 2: 'b'}.get(variant)
                    if scalar is not None and scalar not in names:
                        continue  # same case as variant 0
                    env, binds = {}, []
                    for v in names:
                        dt = DTYPE_SETS[dset][v]
                        arr = input_array(dt, v)
                        if v == scalar:
                            arr = np.asarray(arr[MID])
                            binds.append('%s=%s:%s' % (v, dt, fmt_value(arr[()], dt)))
                        else:
                            binds.append('%s=%s.%s' % (v, dt, v))
                        env[v] = arr
                    key = (expr, tuple(binds))
                    if key in seen:
                        continue
                    seen.add(key)
                    res = run(tree, env)
                    n += 1
                    head = ['case', str(n), section, dset, str(variant), expr,
                            ','.join(binds) or '-', tol]
                    if res[0] == 'ok':
                        _, r, notes, napprox = res
                        extra = propagated(tree, env, r, napprox) if tol == 'ulp2' else None
                        if extra is not None:
                            head[-1] = 'ulp2:' + ' '.join(
                                '0' if x == 0 else repr(float(x)) for x in extra.ravel())
                        dt = r.dtype.name
                        tail = [','.join(sorted(notes)) or '-', 'ok', dt, fmt_shape(r.shape),
                                ' '.join(fmt_value(x, dt) for x in r.ravel())]
                    elif res[0] == 'partial':
                        _, dt, shape, values, notes = res
                        tail = [','.join(sorted(notes)) or '-', 'partial', dt, fmt_shape(shape),
                                ' '.join('?' if x is None else fmt_value(x, dt) for x in values)]
                    else:
                        tail = ['-', 'err', res[1]]
                    counts[res[0]] = counts.get(res[0], 0) + 1
                    lines.append('\t'.join(head + tail))
    path = os.path.join(OUT, 'cases.tsv')
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    print('%d cases (%s); %d numexpr expressions skipped (unsupported); %d bytes -> %s'
          % (n, ', '.join('%s %d' % kv for kv in sorted(counts.items())), skipped,
             os.path.getsize(path), os.path.normpath(path)), file=sys.stderr)


if __name__ == '__main__':
    main()

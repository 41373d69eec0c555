#!/usr/bin/env python3
"""Writes crates/numjit/tests/data/numpy_cases/cases.tsv: numexpr's own test matrix (plus extra cases for
what numexpr's matrix does not reach), answered by NumPy. tests/it/numpy_oracle.rs replays
every case through numjit's API; tests/it/numexpr_cli.rs replays the numexpr sections through
the `numjit eval` command.

Run from anywhere with NumPy 2 installed:  python3 scripts/make_numpy_cases.py
The output is deterministic for a given NumPy build and machine. (Transcendental functions,
and complex multiplication, may differ in the last ulp between NumPy builds and SIMD levels,
which is why the Rust side compares those cases within a tolerance; see "Tolerances".)

Where the expressions come from
-------------------------------
The MISC, OPERATIONS, COMPARISONS, 1_ARG_FUNCS, 2_ARG_FUNCS and POW_TESTS lists are copied
from numexpr 2.14's tests/test_numexpr.py (`tests = [...]` and the loops after it). Its
`test_expressions` runs each expression with all variables of one dtype (int64, float32,
float64, complex128; we add bool and int32), and with `a` (then `b`) replaced by one element of
itself (test_scalar 1 and 2); so does this script. As numexpr does for complex, the complex128
set binds `a` as float64 (numexpr's `a = a.real`) and every other variable as complex128 (its
cases that use only `a`, e.g. all of POW_TESTS, are then the float64 cases and are written once;
complex bases get OPERATIONS' exponents in the mixE set, whose `a` is complex, and POW_TESTS'
exponents in EXTRA's `(b+1)**n`).
numexpr leaves out, for complex, the expressions with `<`, `>`, `%`, arctan2, fmod, hypot,
nextafter, copysign, trunc, floor and ceil; we keep them: NumPy answers the ordering
comparisons (lexicographically) and refuses the rest, and numjit must do the same.

Every expression is replayed as numexpr writes it, MISC's `where((a-10).real != 0.0, a, 2)`
included: `.real` and `.imag` are attributes in numjit too, and NumPy answers them as
`np.real`/`np.imag` (so `x.real` of a bool or int array is that array, as in NumPy).

The EXTRA section is ours: every function and operator applied directly, special values
(complex ones included), precedence, broadcasting, weak literals next to int32 and float32,
complex literals, and dtype mixes that numexpr's single-dtype matrix cannot produce.

How NumPy is asked
------------------
Each expression is parsed with Python's `ast` (numjit follows Python's grammar and
precedence) and evaluated node by node on NumPy 0-d or n-d arrays:

* Python operators are applied to ndarrays (so NumPy's `**` fast paths for exponents 2, -1,
  0.5 apply, as numjit documents); every intermediate result is kept as an ndarray (0-d
  included), numjit having no separate scalar semantics. Bound scalars (the scalar variants)
  are 0-d arrays, which NumPy 2 types strongly (float32 stays float32).
* Literals stay Python scalars (NumPy 2's weak scalars); `-1` is folded to a literal as
  numjit's parser does. An operator whose operands are all literals is computed with the left
  one as a 0-d array (so `3 // 0` is NumPy's 0, not Python's ZeroDivisionError) and its value
  is turned back into a Python scalar: it stays weak, as `1+1` is in Python. Integer literal
  arithmetic whose exact (Python) value int64 cannot hold (`2**63`, `10**20`) is a refusal:
  numjit refuses it rather than wrap. A *function* of
  literals (`cos(3)`) is NumPy's strongly typed float64, as `np.cos(3)` is in Python, so
  numexpr's `2*a + (cos(3)+5)*sinh(cos(b))` is float64 for float32 `a`, `b`.
* Functions: `where` = np.where, `abs` = np.absolute, `round` = np.round (half to even),
  `conj` = np.conjugate, `real`/`imag` = np.real/np.imag, `copy` = np.copy, `ones_like` =
  np.ones_like, `complex(x, y)` = the complex128 array with real part x and imaginary part y
  (numexpr's `complex`; NumPy has no such function: real arguments only, a complex argument
  is refused), everything else the NumPy ufunc of the same name.
* Where NumPy returns int8 (bool // bool, bool % bool, bool ** bool, bool << bool,
  fmod(bool, bool), conj(bool)) or float16 (float functions of bools, round(bool)), numjit
  deliberately gives int64 or float64: that one operation is recomputed with its bool operands
  cast to int64 or float64, and the case is annotated (`int8->int64`, `float16->float64`).
  Where NumPy returns complex64 (a float32 array with a complex literal), numjit deliberately
  gives complex128 (docs/language.md): the operation is recomputed with its float32 operands
  cast to float64 (`complex64->complex128`).
* If NumPy raises (TypeError, ValueError, OverflowError: an int32 array with a Python integer
  int32 cannot hold), the case expects an error. When the refusal depends on the data (an
  integer raised to a negative integer power that is not a literal), numjit documents that it
  computes a value instead; such cases are evaluated element by element and the elements
  NumPy refuses are written as `?` (the test accepts an error, or these values).

Tolerances
----------
Exact (bit for bit; any NaN matches any NaN) wherever NumPy's answer is exactly reproducible:
bool and integer results, float64 arithmetic, float32 `+ - * / %` and fmod (correctly rounded
or exact), complex `+ -`, comparisons, rounding, `where`, `real`/`imag`/`conj`. `exact0`:
exact but for the sign of a zero, with maximum/minimum (NumPy's choice on ties is
platform-specific). Otherwise each *approximate* operation may be off by:

* float64 results of transcendental functions and `**`: 2 ulp;
* float32 results of transcendental functions and `**`: 2 ulp of float32, widened per element
  to d+1 ulp where NumPy's own float32 routine (SIMD, not correctly rounded) is d ulp away from
  the float64 result rounded to float32 (numjit computes in float64 and rounds);
* float32 `//`: 1 ulp (NumPy divides in float32; computed in float64 the quotient can round
  differently), widened the same way;
* `abs` of complex (a hypot): 2 ulp;
* complex results of functions (sqrt, exp, log, sin, ..., sign): 4 ulp per part (real and
  imaginary compared separately); of `/` and `**`: 4 ulp per part or 2 ulp of the
  modulus of the result, whichever is larger;
* complex `*`: exact where one product of a part is zero (then every formula rounds the other
  product once), else 2 ulp of the larger product (the textbook formula cancels: NumPy on
  x86-64 computes re = fma(ar, br, -(ai*bi)), im = fma(ar, bi, ai*br), which differ from the
  plain formula by up to 1 ulp of the products).

The token is `ulp2` for real results and `ulp4` for complex ones (`ulp1`: float32 `//` only).
Errors compound: a 2-ulp error in `f` moves `a + f(x)` by many ulp of the result when `a`
nearly cancels `f(x)`. So the script perturbs each approximate operation in turn by its
allowance (both directions; for complex, the four sign combinations of the two parts), re-runs
the expression, and where the summed deviation exceeds the token's ulps it records a per-element
absolute tolerance (deviation + 1 ulp of the result for the final rounding).

File format (tab-separated; see tests/it/numpy_oracle.rs)
-----------------------------------------------------------
    input  NAME  DTYPE  SHAPE  VALUES...(space-separated)
    case   ID  SECTION  DTYPES  VARIANT  EXPR  BINDINGS  TOL  NOTE  ok  DTYPE  SHAPE  VALUES
    case   ID  SECTION  DTYPES  VARIANT  EXPR  BINDINGS  TOL  NOTE  err  MESSAGE
    case   ID  SECTION  DTYPES  VARIANT  EXPR  BINDINGS  TOL  NOTE  partial  DTYPE  SHAPE  VALUES
DTYPE is bool/int32/int64/float32/float64/complex128; SHAPE is `[]`, `[20]`, `[4,5]`. Values:
float64 as Python reprs (exact round trip: `-0.0`, `nan`, `inf`, `5e-324`), float32 as NumPy's
shortest float32 strings (`0.1`, `1e-45`, `3.4028235e+38`; parse them as f32), complex128 as
`re,im` pairs of float64 reprs, ints decimal, bools 0/1. BINDINGS is `a=INPUT,b=INPUT` or, for a
0-d (scalar) binding, `a=float32:1.5` / `b=complex128:2.0,0.0` (a complex scalar's comma is not
a binding separator: every binding has an `=`). TOL is `exact`, `exact0`, `ulpN`, or
`ulpN:T1 T2 ...` with one Tk per element: within N ulp (per part for complex), or within the
absolute error Tk where Tk is not 0; for complex results Tk is `tre,tim` (or `0`). NOTE is `-`
or the dtype substitutions made.
"""

import ast
import os
import sys
import warnings

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "crates", "numjit", "tests", "data", "numpy_cases")

# ---------------------------------------------------------------------------------------------
# numexpr's test matrix (numexpr 2.14, tests/test_numexpr.py)
# ---------------------------------------------------------------------------------------------

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

NUMEXPR_SECTIONS = [s for s, _ in tests]

# ---------------------------------------------------------------------------------------------
# Our additions
# ---------------------------------------------------------------------------------------------

FUNCS1 = ['sqrt', 'sin', 'cos', 'tan', 'arcsin', 'arccos', 'arctan', 'sinh', 'cosh', 'tanh',
          'arcsinh', 'arccosh', 'arctanh', 'log', 'log1p', 'log10', 'log2', 'exp', 'expm1',
          'abs', 'ceil', 'floor', 'round', 'trunc', 'sign', 'isnan', 'isfinite', 'isinf',
          'signbit', 'conj', 'real', 'imag', 'copy', 'ones_like']
FUNCS2 = ['arctan2', 'fmod', 'hypot', 'nextafter', 'copysign', 'maximum', 'minimum', 'complex']
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
    # the attributes `.real` and `.imag` (NumPy's, of every dtype), on names and on results
    'a.real', 'b.imag', '(a - 10).real + e.imag', '(b * c).imag == imag(b * c)',
    'sqrt(e).real', '-c.real', 'c.real ** 2',
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
    # weak literals next to int32 and float32 (NumPy 2: the array's dtype wins within a kind;
    # a Python integer int32 cannot hold is refused)
    'a + 3000000000', 'e + 2147483647', 'e * 65536', 'e - 1.5', 'e * 0.1', 'a * 1e300',
    'a + 1e-50', 'a / 3', 'a // 3', 'a % 3', 'e < 3000000000', 'e == 2147483648',
    '(a + 1) * (1 + 1)', 'a + (2 ** 40)', 'a * (0.5 + 0.25)', 'a + cos(0)',
    # where
    'where(c, a, b)', 'where(a > b, a, b)', 'where(c > 0.5, 1, 0.5)', 'where(a, 1, 2)',
    'where(e, a, b)', 'where(b < 0, -b, b)', 'where(a != a, 0, a)', 'where(True, a, b)',
    'where(a > 2, True, b)',
    # integer edge cases (e holds the extremes of its dtype)
    'abs(e)', 'e // -1', 'e % -1', 'fmod(e, -1)', 'e * 2', 'e + e', 'e - 1', 'e << 1',
    'e >> 63', 'e >> 64', 'e >> 31', 'e << 31', 'a << 63', '1 << b', '-1 >> b', 'a >> -1',
    'a << -1', 'round(e)', 'sign(e)', 'maximum(e, 0)', 'minimum(e, a)',
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
    # complex building blocks on any dtype
    'real(a) + imag(a)', 'conj(a) + copy(b)', 'ones_like(a) * 3', 'complex(a, 1)',
    'complex(0, e)', 'abs(complex(a, b))', 'real(sin(complex(a, b))) + imag(c)',
    'real(complex(a, b)) == a',
    # comparisons of mixed kinds
    'a == b', 'a != c', 'c < 0.5', '1 < a', 'a >= True', '(a < b) == (c < d)',
    # broadcasting: a2 is (4, 5), r is (5,), col is (4, 1)
    'a2 * r', 'a2 + col', 'col * r', 'col - r + a2', 'where(a2 > 1, r, col)', 'sin(col) + r',
    'a2 ** 2', 'r // col', 'r % col', 'col << r',
]

# Complex arithmetic and functions beyond numexpr's matrix (whose complex `a` is real, so its
# POW_TESTS never raise a complex base): run on the dtype sets with complex variables.
extra_complex = ['(b+1)**%s' % n for n in (-7, -2.5, -1.5, -1.3, -.5, -1, 0, 0.0, 0.5, 1, 2,
                                             2.3, 2.5, 3, 4)]
extra_complex += [
    'b ** c', 'b ** 2.0', 'e ** 2', 'e * b', 'e / b', 'b / e', 'b / 0', 'b / (c - c)',
    'conj(b) * b', 'abs(b) ** 2', 'b == conj(b)', 'b != e', 'where(b != 0, 1 / b, 0)',
    'where(isnan(e), 0, e)', 'sqrt(b) * sqrt(b)', 'exp(log(b))', 'real(e) * imag(e)',
    'round(b * 2.5)', 'isinf(e) | isnan(e)', 'log(e) - log(b)', 'arctanh(b) + arcsinh(c)',
    '-e', '+e', 'e ** 0', 'e ** 0.5', 'e ** -1', '1 / e', 'tanh(b * 100)', 'exp(b * 1000)',
    'cos(c * 1e10)', 'b * c + d * e', 'a2 * r + col', 'sqrt(a2) + col',
]

# Complex literals (`2j`); with float32 NumPy gives complex64, numjit complex128 (see above).
extra_j = [
    'a + 1j', 'b * 2j', '1j * 1j', '(1+2j) * (3-1j)', 'abs(3+4j)', 'sqrt(-1 + 0j)',
    'a * 1j + b', 'real(a + 2j)', 'imag(b * 1j)', 'exp(1j * a)', 'a ** 1j',
    'where(a > 0, 1j, a)', 'complex(1, 2) == 1+2j', '2j ** 2', 'a + 1e300j', '-2j', 'e - 0j',
]

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
F32_MAX, F32_TINY = 3.4028234663852886e38, 1.401298464324817e-45
FLOAT32 = dict(FLOAT)
FLOAT32.update({
    # 0.49999997 is the float32 just below 0.5 (as 0.49999999999999994 is for float64).
    'b': [0.5, -0.5, 0.0, -0.0, 0.1, 0.9, -0.9, 1 / 3, 1.0, -1.0,
          0.5, 2.0, -2.0, 5.0, 0.4999999701976776, 1.5, -1.5, 2.5, -2.5, 1e-30],
    'c': [0.0, 1.0, -1.0, 0.5, -0.25, 2.0, 3.0, -3.0, 0.125, 4.0,
          inf, -inf, nan, 1e38, -1e-40, 0.7, 6.0, -6.5, 20.0, 0.3],
    'e': [1.0, -1.0, 0.0, inf, -inf, nan, F32_MAX, -F32_MAX, F32_TINY, -F32_TINY,
          2.0, 0.5, 3.0, -2.5, 1e-5, 123.456, -0.0, 8.0, 9.0, 0.1],
})
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
INT32 = dict(INT)
INT32.update({
    'a': [-7, -3, -2, -1, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 15, 100, -100, 1000, 2**20],
    'b': [-3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 2, 7, 8, 9, 10, 11, 12, 13, 30, 31],
    'c': [0, 1, -1, 2, -2, 3, -3, 10, -10, 100, 7, -7, 50, 0, 4, -4, 5, 9, -9, 32],
    'e': [1, -1, 0, 2**31 - 1, -2**31, 2**30, -2**30, 3, -3, 2**15,
          -2**15, 7, 1000000007, 12, 0, 5, -5, 2**16, 99, 1],
})
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
cx = complex
COMPLEX = {
    'a': [cx(-3.5, 1), cx(-2, -0.5), cx(-1, 0), cx(-0.5, 2), cx(-0.0, 0.0), cx(0, 0),
          cx(0.25, -0.25), cx(0.5, 0.5), cx(0.75, 3), cx(1, 0), cx(1.5, -1.5), cx(2, 1),
          cx(2.5, -0.5), cx(3, 4), cx(7, -1), cx(10, 10), cx(12.5, 0.5), cx(100, -100),
          cx(1000, 1), cx(-7.25, -7.25)],
    # Both sides of the branch cuts: the negative real axis with +0 and -0 imaginary parts,
    # the real axis beyond +-1, the imaginary axis beyond +-i.
    'b': [cx(0.5, 0.5), cx(-0.5, 0.25), cx(0, 0), cx(-0.0, -0.0), cx(0.1, -0.9), cx(0.9, 0),
          cx(-0.9, 0.1), cx(1 / 3, 2 / 3), cx(1, 1), cx(-1, -1), cx(2, 0), cx(-2, 0),
          cx(-2, -0.0), cx(0, 2), cx(0, -2), cx(1.5, -0.5), cx(-1.5, 2.5), cx(2.5, 0.1),
          cx(-2.5, -1e-3), cx(1e-300, 1e-300)],
    'c': [cx(0, 0), cx(1, 0), cx(-1, 1), cx(0.5, -0.5), cx(-0.25, 0.75), cx(2, 3), cx(3, -2),
          cx(-3, -0.5), cx(0.125, 0), cx(4, 4), cx(0.7, -0.1), cx(6, 1), cx(0, -6.5),
          cx(20, 0.5), cx(0.3, 0.3), cx(-1e-3, 1), cx(1e3, -1e3), cx(5, 0), cx(-4, -4),
          cx(0, 1)],
    'd': [cx(1, 0), cx(2, -1), cx(0, 0), cx(-1, 0), cx(3, 3), cx(-2, 0.5), cx(0.5, -0.5),
          cx(-0.5, 0), cx(0, 4), cx(10, -1), cx(1.5, 1.5), cx(-3, 0), cx(7, 0.25), cx(0.25, 0),
          cx(-0.75, -0.75), cx(100, 1), cx(-1, -1), cx(0, 5), cx(2.5, 2.5), cx(-4, 1)],
    # Special values.
    'e': [cx(1, 1), cx(-1, 0), cx(0, 0), cx(inf, 0), cx(-inf, 0), cx(nan, 0), cx(0, inf),
          cx(0, -inf), cx(inf, inf), cx(-inf, nan), cx(nan, nan), cx(1e308, 1e308),
          cx(5e-324, -5e-324), cx(-0.0, 0.0), cx(2, nan), cx(1e-5, 1e5), cx(-1e308, 1),
          cx(nan, inf), cx(3, -4), cx(-2.5, -0.0)],
    'a2': [[cx(0, 0), cx(1, 1), cx(-1, 0), cx(0.5, -2), cx(2, 0)],
           [cx(3, -1), cx(-0.0, 0), cx(1.5, 1.5), cx(-2.5, 0.5), cx(10, 0)],
           [cx(0.25, 4), cx(-0.75, -0.75), cx(4, 0), cx(7, -7), cx(-3, 0.1)],
           [cx(1e-3, 0), cx(100, 1), cx(-100, 0), cx(0.1, 0.1), cx(6, -0.5)]],
    'r': [cx(1, 0), cx(-2, 1), cx(0.5, 0.5), cx(0, 0), cx(3, -3)],
    'col': [[cx(2, 0)], [cx(-1, 1)], [cx(0, 0)], [cx(4.5, -0.5)]],
}
VALUES = {'bool': BOOL, 'int32': INT32, 'int64': INT, 'float32': FLOAT32, 'float64': FLOAT,
          'complex128': COMPLEX}
DTYPES = list(VALUES)
VARS = ['a', 'b', 'c', 'd', 'e', 'a2', 'r', 'col']

# Dtype of each variable per dtype set. The single-dtype sets are numexpr's (its complex set
# binds `a` as float64); the mixes are ours.
DTYPE_SETS = {dt: {v: dt for v in VARS} for dt in DTYPES}
DTYPE_SETS['complex128']['a'] = 'float64'
DTYPE_SETS.update({
    'mixA': dict(a='float64', b='int64', c='bool', d='float64', e='int64',
                 a2='int64', r='float64', col='bool'),
    'mixB': dict(a='bool', b='float64', c='int64', d='bool', e='float64',
                 a2='float64', r='bool', col='int64'),
    'mixC': dict(a='int32', b='float32', c='int64', d='float32', e='int32',
                 a2='float32', r='int32', col='float64'),
    'mixD': dict(a='float32', b='complex128', c='int32', d='bool', e='float32',
                 a2='complex128', r='float32', col='int32'),
    'mixE': dict(a='complex128', b='int64', c='float64', d='complex128', e='float32',
                 a2='int32', r='complex128', col='float32'),
})
SINGLE_SETS = DTYPES
MIX_SETS = ['mixA', 'mixB', 'mixC', 'mixD', 'mixE']
COMPLEX_SETS = ['complex128', 'mixD', 'mixE']
# The mixes run on a subset (the whole matrix over every mix is more data than it is worth).
MIX_SECTIONS = {'OPERATIONS', 'COMPARISONS', '2_ARG_FUNCS', 'EXTRA'}

# (section, expressions, dtype sets)
SUITES = []
for section, exprs in tests:
    SUITES.append((section, exprs,
                   SINGLE_SETS + (MIX_SETS if section in MIX_SECTIONS else [])))
SUITES.append(('EXTRA', extra, SINGLE_SETS + MIX_SETS))
SUITES.append(('EXTRA', extra_complex, COMPLEX_SETS))
SUITES.append(('EXTRA', extra_j, SINGLE_SETS + MIX_SETS))


def input_array(dtype, var):
    return np.array(VALUES[dtype][var], dtype=dtype)


# ---------------------------------------------------------------------------------------------
# Evaluation through NumPy
# ---------------------------------------------------------------------------------------------


def np_complex(x, y):
    """numexpr's complex(re, im): complex128, real arguments only."""
    x, y = np.asarray(x), np.asarray(y)
    if x.dtype.kind == 'c' or y.dtype.kind == 'c':
        raise TypeError('complex() takes real arguments, got %s and %s' % (x.dtype, y.dtype))
    r = np.empty(np.broadcast_shapes(x.shape, y.shape), dtype=np.complex128)
    r.real = x
    r.imag = y
    return r


FUNCS = {name: getattr(np, name) for name in FUNCS1 + FUNCS2
         if name not in ('abs', 'round', 'conj', 'complex')}
FUNCS.update({'where': np.where, 'abs': np.absolute, 'round': np.round,
              'conj': np.conjugate, 'complex': np_complex})
TRANSCENDENTAL = set(FUNCS1[1:19]) | {'arctan2', 'hypot'}
# Complex results computed approximately by NumPy (besides TRANSCENDENTAL): per part 4 ulp.
COMPLEX_APPROX_FUNCS = {'sqrt', 'sign'}
# ... and, with the modulus allowance too, these operators.
COMPLEX_APPROX_OPS = {'*', '/', '**'}

BINOP = {
    ast.Add: ('+', lambda x, y: x + y), ast.Sub: ('-', lambda x, y: x - y),
    ast.Mult: ('*', lambda x, y: x * y), ast.Div: ('/', lambda x, y: x / y),
    ast.FloorDiv: ('//', lambda x, y: x // y), ast.Mod: ('%', lambda x, y: x % y),
    ast.Pow: ('**', lambda x, y: x ** y), ast.LShift: ('<<', lambda x, y: x << y),
    ast.RShift: ('>>', lambda x, y: x >> y), ast.BitAnd: ('&', lambda x, y: x & y),
    ast.BitOr: ('|', lambda x, y: x | y), ast.BitXor: ('^', lambda x, y: x ^ y),
}
CMPOP = {
    ast.Lt: ('<', lambda x, y: x < y), ast.LtE: ('<=', lambda x, y: x <= y),
    ast.Eq: ('==', lambda x, y: x == y), ast.NotEq: ('!=', lambda x, y: x != y),
    ast.GtE: ('>=', lambda x, y: x >= y), ast.Gt: ('>', lambda x, y: x > y),
}
UNOP = {ast.USub: ('neg', lambda x: -x), ast.UAdd: ('pos', lambda x: +x),
        ast.Invert: ('~', lambda x: ~x)}

NUMJIT_DTYPES = {np.dtype(d) for d in DTYPES}


class DataRefused(Exception):
    """NumPy raised because of the data: an integer to a negative non-literal integer power."""


def is_literal(x):
    return isinstance(x, (bool, int, float, complex))


def dtype_of(x):
    return np.asarray(x).dtype


def f32_ulps(x, y):
    """Distance in float32 ulps, elementwise (0 where either is not finite)."""
    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y, dtype=np.float32)

    def key(v):
        b = v.view(np.int32).astype(np.int64)
        return np.where(b < 0, -2**31 - b, b)
    ok = np.isfinite(x) & np.isfinite(y)
    return np.where(ok, np.abs(key(x) - key(y)), 0)


def step_ulps(r, k, direction):
    """r moved by k (per element) ulps of its own dtype towards direction*inf; a finite value is
    not moved to infinity."""
    k = np.broadcast_to(k, r.shape)
    towards = r.dtype.type(direction * np.inf)
    moved = r.copy()
    for j in range(int(k.max(initial=0))):
        moved = np.where(j < k, np.nextafter(moved, towards), moved)
    return np.where(np.isfinite(moved) | ~np.isfinite(r), moved, r).astype(r.dtype)


class Approx:
    """One approximate operation: its result's allowance (see the docstring)."""

    def __init__(self, kind, allowance):
        self.kind = kind            # 'real' (allowance: ulps per element) or 'complex'
        self.allowance = allowance  # (delta_re, delta_im) absolute, for 'complex'

    def directions(self):
        if self.kind == 'real':
            return [(1,), (-1,)]
        return [(1, 1), (1, -1), (-1, 1), (-1, -1)]

    def move(self, r, dirs):
        if self.kind == 'real':
            return step_ulps(r, self.allowance, dirs[0])
        dre, dim = self.allowance
        re = r.real + dirs[0] * dre
        im = r.imag + dirs[1] * dim
        re = np.where(np.isfinite(re), re, r.real)
        im = np.where(np.isfinite(im), im, r.imag)
        return _cplx(re, im)


def _cplx(re, im):
    out = np.empty(np.shape(re), dtype=np.complex128)
    out.real = re
    out.imag = im
    return out


def approx_of(name, fn, args, r):
    """The allowance of operation `name` giving `r`, or None when NumPy's answer is exact."""
    if r.dtype == np.complex128:
        if name in TRANSCENDENTAL or name in COMPLEX_APPROX_FUNCS:
            cancel = (0.0, 0.0)
        elif name == '*':
            # The rounding of one product of the textbook formula, where neither product of a
            # part is zero (a zero product is exact, and then every formula agrees).
            x, y = np.broadcast_arrays(*[np.asarray(v, dtype=np.complex128) for v in args])
            cancel = []
            with np.errstate(all='ignore'):
                for p, q in ((x.real * y.real, x.imag * y.imag),
                             (x.real * y.imag, x.imag * y.real)):
                    both = (p != 0) & (q != 0)
                    big = np.maximum(np.abs(p), np.abs(q))
                    cancel.append(np.where(both, 2 * np.spacing(big), 0.0))
        elif name in COMPLEX_APPROX_OPS:
            with np.errstate(all='ignore'):
                mod = 2 * np.spacing(np.abs(r))
            cancel = (mod, mod)
        else:
            return None
        with np.errstate(all='ignore'):
            parts = []
            for p, c in zip((r.real, r.imag), cancel):
                d = c if name == '*' else np.maximum(4 * np.spacing(np.abs(p)), c)
                parts.append(np.where(np.isfinite(d), d, 0.0))
        if not any(p.any() for p in parts):
            return None  # `*` without cancellation: exact
        return Approx('complex', tuple(parts))
    if r.dtype.kind != 'f':
        return None
    complex_arg = any(dtype_of(x).kind == 'c' for x in args)
    if name in TRANSCENDENTAL or name == '**' or (name == 'abs' and complex_arg):
        base = 2
    elif name == '//' and r.dtype == np.float32:
        base = 1
    else:
        return None
    if r.dtype == np.float64:
        return Approx('real', np.int64(base))
    # float32: how far is NumPy's float32 routine from the float64 result rounded to float32?
    wide = [np.asarray(x, dtype=np.float64) if dtype_of(x) == np.float32 and not is_literal(x)
            else x for x in args]
    with np.errstate(all='ignore'):
        r64 = np.asarray(fn(*wide)).astype(np.float32)
    d = f32_ulps(r, r64)
    return Approx('real', np.maximum(base, np.where(d > 0, d + 1, 0)))


class Evaluator:
    """Evaluates a parsed expression on `env` (name -> ndarray).

    `perturb=(k, dirs)` moves the result of the k-th approximate operation (numbered in
    evaluation order) by its allowance in directions `dirs`: used to measure how much an error
    there moves the final result.
    """

    def __init__(self, env, perturb=None):
        self.env = env
        self.notes = set()
        self.perturb = perturb
        self.approx = []

    def apply(self, name, fn, args, operator=False):
        """fn(*args) as NumPy computes it, with numjit's int8/float16 substitutions. An operator
        on literals only gives a (weak) Python scalar."""
        literals = bool(args) and all(is_literal(x) for x in args)
        if literals and operator and len(args) == 2 and all(type(x) is int for x in args):
            # Python computes integer literals exactly; numjit's are int64 and it refuses
            # arithmetic on two of them whose exact value int64 cannot hold.
            x, y = args
            exact = {'+': lambda: x + y, '-': lambda: x - y, '*': lambda: x * y,
                     '**': lambda: x ** y if y >= 0 else 0,
                     '<<': lambda: x << y if 0 <= y < 64 or x == 0 else 0,
                     '//': lambda: x // y if y != 0 else 0}.get(name)
            if exact is not None and not -2**63 <= exact() < 2**63:
                raise OverflowError('integer literal arithmetic overflows int64')
        if literals:
            args = [np.asarray(args[0])] + list(args[1:])
        r = np.asarray(fn(*args))
        if r.dtype in (np.int8, np.float16):
            wide = np.int64 if r.dtype == np.int8 else np.float64
            self.notes.add('%s->%s' % (r.dtype.name, np.dtype(wide).name))
            args = [np.asarray(x, dtype=wide) if dtype_of(x) == np.bool_ else x for x in args]
            r = np.asarray(fn(*args))
        elif r.dtype == np.complex64:
            # float32 with a complex literal: numjit gives complex128 (documented).
            self.notes.add('complex64->complex128')
            args = [np.asarray(x, dtype=np.float64)
                    if dtype_of(x) == np.float32 and not is_literal(x) else x for x in args]
            r = np.asarray(fn(*args))
        if r.dtype not in NUMJIT_DTYPES:
            raise AssertionError('unexpected NumPy dtype %s from %s' % (r.dtype, name))
        a = approx_of(name, fn, args, r)
        if a is not None:
            k = len(self.approx)
            self.approx.append(a)
            if self.perturb is not None and self.perturb[0] == k:
                r = np.asarray(a.move(r, self.perturb[1]))
        if literals and operator:
            return r[()].item()
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
                    and type(node.operand.value) in (int, float, complex)):
                return -node.operand.value  # numjit's parser folds `-1` into a literal
            x = self.eval(node.operand)
            name, fn = UNOP[type(node.op)]
            return self.apply(name, fn, [x], operator=True)
        if isinstance(node, ast.BinOp):
            x, y = self.eval(node.left), self.eval(node.right)
            name, fn = BINOP[type(node.op)]
            try:
                return self.apply(name, fn, [x, y], operator=True)
            except ValueError as e:
                if 'negative integer powers' in str(e) and not is_literal(y):
                    raise DataRefused(str(e))
                raise
        if isinstance(node, ast.Compare):
            assert len(node.ops) == 1, 'chained comparison'
            x, y = self.eval(node.left), self.eval(node.comparators[0])
            name, fn = CMPOP[type(node.ops[0])]
            return self.apply(name, fn, [x, y], operator=True)
        if isinstance(node, ast.Call):
            args = [self.eval(a) for a in node.args]
            return self.apply(node.func.id, FUNCS[node.func.id], args)
        if isinstance(node, ast.Attribute) and node.attr in ('real', 'imag'):
            # `x.real` is NumPy's ndarray attribute: np.real(x), np.imag(x).
            return self.apply(node.attr, FUNCS[node.attr], [self.eval(node.value)])
        raise AssertionError('unsupported syntax: %s' % ast.dump(node))


def used_names(tree):
    return sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
                   and n.id not in FUNCS and n.id not in ('True', 'False')})


def exact_kind(tree):
    """`exact0` (exact but for the sign of a zero) with maximum/minimum, whose choice between
    +0 and -0 NumPy leaves to the platform (x86-64: the second operand; aarch64: fmax/fmin;
    documented: the first); else `exact`."""
    for n in ast.walk(tree):
        if isinstance(n, ast.Call) and n.func.id in ('maximum', 'minimum'):
            return 'exact0'
    return 'exact'


def parts_of(x):
    x = np.asarray(x)
    if x.dtype == np.complex128:
        return [x.real, x.imag]
    return [x]


def propagated(tree, env, want, approx, base):
    """Per element (and part), how far the result moves when each approximate operation is off
    by its allowance (summed over the operations, the largest over the directions), plus the
    final rounding; None when that never exceeds `base` ulps of the result."""
    wparts = parts_of(want)
    totals = [np.zeros(want.shape) for _ in wparts]
    with warnings.catch_warnings(), np.errstate(all='ignore'):
        warnings.simplefilter('ignore')
        for k, a in enumerate(approx):
            devs = [np.zeros(want.shape) for _ in wparts]
            for dirs in a.directions():
                moved = np.asarray(Evaluator(env, (k, dirs)).eval(tree))
                moved = np.broadcast_to(moved, want.shape)
                for p, (mp, wp) in enumerate(zip(parts_of(moved), wparts)):
                    d = np.abs(mp.astype(np.float64) - wp.astype(np.float64))
                    devs[p] = np.maximum(devs[p], np.where(np.isfinite(d), d, 0.0))
            for p in range(len(wparts)):
                totals[p] += devs[p]
        needs, alloweds = [], []
        for wp, total in zip(wparts, totals):
            ulp = np.spacing(np.abs(wp)).astype(np.float64)
            need = np.isfinite(wp) & (total > base * ulp)
            needs.append(need)
            alloweds.append(np.where(need, total + ulp, 0.0))
    if not any(n.any() for n in needs):
        return None
    return alloweds


def fmt_float(x):
    return repr(float(x))


def fmt_value(v, dtype):
    if dtype == 'float64':
        return repr(float(v))
    if dtype == 'float32':
        return str(np.float32(v))
    if dtype == 'complex128':
        v = complex(v)
        return '%r,%r' % (v.real, v.imag)
    if dtype in ('int64', 'int32'):
        return str(int(v))
    return '1' if v else '0'


def fmt_shape(shape):
    return '[' + ','.join(str(d) for d in shape) + ']'


def run(tree, env):
    """('ok', array, notes, approx) | ('err', message) | ('partial', dtype, shape, values, notes)."""
    ev = Evaluator(env)
    with warnings.catch_warnings(), np.errstate(all='ignore'):
        warnings.simplefilter('ignore')
        try:
            r = ev.eval(tree)
            return ('ok', np.asarray(r), ev.notes, ev.approx)
        except DataRefused:
            pass
        except (TypeError, ValueError, OverflowError) as e:
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


def tolerance_token(tree, r, approx):
    if not approx or r.dtype.kind not in 'fc':
        return exact_kind(tree), None
    if r.dtype.kind == 'c':
        return 'ulp4', 4
    only_floordiv = all(a.kind == 'real' and np.max(a.allowance) <= 1 for a in approx)
    if only_floordiv:
        return 'ulp1', 1
    return 'ulp2', 2


def main():
    os.makedirs(OUT, exist_ok=True)
    lines = ['# NumPy %s answers to numexpr\'s test matrix; written by scripts/make_numpy_cases.py.'
             % np.__version__,
             '# Do not edit by hand: rerun the script.']
    for dt in DTYPES:
        for v in VARS:
            a = input_array(dt, v)
            lines.append('\t'.join(['input', '%s.%s' % (dt, v), dt, fmt_shape(a.shape),
                                    ' '.join(fmt_value(x, dt) for x in a.ravel())]))
    seen = set()
    counts = {}
    per_set = {}
    n = 0
    for section, exprs, sets in SUITES:
        for expr in exprs:
            tree = ast.parse(expr, mode='eval')
            names = used_names(tree)
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
                            ','.join(binds) or '-', exact_kind(tree)]
                    if res[0] == 'ok':
                        _, r, notes, approx = res
                        tok, base = tolerance_token(tree, r, approx)
                        head[-1] = tok
                        if base is not None:
                            extra_tol = propagated(tree, env, r, approx, base)
                            if extra_tol is not None:
                                if r.dtype == np.complex128:
                                    toks = ['0' if re == 0 and im == 0 else '%s,%s' % (
                                        fmt_float(re), fmt_float(im))
                                        for re, im in zip(extra_tol[0].ravel(), extra_tol[1].ravel())]
                                else:
                                    toks = ['0' if x == 0 else fmt_float(x)
                                            for x in extra_tol[0].ravel()]
                                head[-1] = tok + ':' + ' '.join(toks)
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
                    kind = 'numexpr' if section in NUMEXPR_SECTIONS else 'extra'
                    per_set[(kind, dset)] = per_set.get((kind, dset), 0) + 1
                    lines.append('\t'.join(head + tail))
    path = os.path.join(OUT, 'cases.tsv')
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    print('%d cases (%s); %d bytes -> %s'
          % (n, ', '.join('%s %d' % kv for kv in sorted(counts.items())),
             os.path.getsize(path), os.path.normpath(path)), file=sys.stderr)
    for (kind, dset), c in sorted(per_set.items()):
        print('  %-8s %-11s %5d' % (kind, dset, c), file=sys.stderr)


if __name__ == '__main__':
    main()

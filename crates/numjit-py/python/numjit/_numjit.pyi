"""Type stubs of the extension module `numjit._numjit` (built from crates/numjit-py/src)."""

from typing import Any, Dict, Mapping, Optional, Sequence, Tuple

import numpy as np

#: Stands for a name the caller did not bind (numjit then reports it, with a suggestion).
MISSING: object

class Expr:
    """An expression compiled once. Inputs are positional, in the order of `names`.
    `numexpr=True`: numexpr's typing of integer literals and refusal of negative axes (the
    package's `evaluate`); otherwise NumPy's rules (`numjit.compile`)."""

    def __init__(self, text: str, numexpr: bool = False) -> None: ...
    @property
    def names(self) -> Tuple[str, ...]: ...
    @property
    def source(self) -> str: ...
    def run(
        self,
        args: Tuple[Any, ...],
        out: Optional[np.ndarray] = None,
        casting: Optional[str] = None,
    ) -> np.ndarray: ...
    def __call__(
        self, *args: Any, out: Optional[np.ndarray] = None, casting: Optional[str] = None
    ) -> np.ndarray: ...
    def check(self, args: Tuple[Any, ...]) -> None: ...

class Script:
    """A script compiled once; `run` takes values for `names` in order."""

    def __init__(self, text: str) -> None: ...
    @property
    def names(self) -> Tuple[str, ...]: ...
    @property
    def written(self) -> Tuple[str, ...]: ...
    @property
    def source(self) -> str: ...
    def run(self, args: Tuple[Any, ...]) -> Tuple[Dict[str, np.ndarray], Optional[np.ndarray]]: ...

def set_num_threads(n: int) -> int: ...
def get_num_threads() -> int: ...
def halo_widths(
    script: str,
    shape: Sequence[int],
    arrays: Sequence[str],
    grid: Optional[Sequence[int]] = None,
    scalars: Optional[Mapping[str, Any]] = None,
) -> Dict[str, Tuple[Tuple[int, int], ...]]:
    """Each of `arrays`' halo for `script` over blocks of a global `shape` on a process grid
    of `grid` ranks per axis (None: every axis split): one (below, above) pair per axis."""
    ...

"""numexpr's ``utils``: thread counts (numjit's pool), core detection and the VML functions,
which do nothing here as in a numexpr built without VML."""

from __future__ import annotations

import os
from typing import Optional

from . import _numjit

__all__ = [
    "set_num_threads",
    "get_num_threads",
    "detect_number_of_cores",
    "set_vml_num_threads",
    "get_vml_num_threads",
    "set_vml_accuracy_mode",
    "get_vml_version",
    "MAX_THREADS",
]


def _max_threads() -> int:
    v = os.environ.get("NUMEXPR_MAX_THREADS", "")
    try:
        return max(1, int(v)) if v.strip() else 64
    except ValueError:
        return 64


#: The largest thread count `set_num_threads` accepts (NUMEXPR_MAX_THREADS, else 64).
MAX_THREADS = _max_threads()


def set_num_threads(nthreads: int) -> int:
    """Sets the number of threads numjit's pool uses; returns the previous number."""
    nthreads = int(nthreads)
    if nthreads < 1:
        raise ValueError("the number of threads must be at least 1")
    if nthreads > MAX_THREADS:
        raise ValueError(
            f"the number of threads must be at most MAX_THREADS ({MAX_THREADS}); "
            "set NUMEXPR_MAX_THREADS before importing numjit to raise it"
        )
    return _numjit.set_num_threads(nthreads)


def get_num_threads() -> int:
    """The number of threads numjit's pool uses."""
    return _numjit.get_num_threads()


def detect_number_of_cores() -> int:
    """The number of cores of this machine (as numexpr counts them)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _env_int(name: str) -> Optional[int]:
    v = os.environ.get(name, "")
    if v.strip() == "":
        return None
    return int(float(v))


def _init_num_threads() -> int:
    """The thread count at import, as numexpr chooses it: NUMJIT_NUM_THREADS, else
    NUMEXPR_NUM_THREADS, else OMP_NUM_THREADS, else the number of cores (at most 16 when
    neither NUMEXPR_MAX_THREADS nor OMP_NUM_THREADS is set); never above MAX_THREADS."""
    cores = detect_number_of_cores()
    configured = bool(os.environ.get("NUMEXPR_MAX_THREADS", "").strip()) or bool(
        os.environ.get("OMP_NUM_THREADS", "").strip()
    )
    default = min(cores, MAX_THREADS) if configured else min(cores, 16, MAX_THREADS)
    n = None
    for var in ("NUMJIT_NUM_THREADS", "NUMEXPR_NUM_THREADS", "OMP_NUM_THREADS"):
        n = _env_int(var)
        if n is not None:
            break
    n = default if n is None else max(1, min(n, MAX_THREADS))
    set_num_threads(n)
    return n


def set_vml_num_threads(nthreads: int) -> None:
    """Does nothing: numjit has no VML (numexpr without VML does the same)."""
    return None


def get_vml_num_threads() -> None:
    """None: numjit has no VML."""
    return None


def set_vml_accuracy_mode(mode: Optional[str]) -> None:
    """Does nothing and returns None: numjit has no VML."""
    if mode not in (None, "high", "low", "fast"):
        raise ValueError("mode argument must be one of: None, 'high', 'low', 'fast'")
    return None


def get_vml_version() -> None:
    """None: numjit has no VML."""
    return None

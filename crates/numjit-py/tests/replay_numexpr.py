"""Replays numexpr 2.14.2's own test suite against numjit.

Usage: python crates/numjit-py/tests/replay_numexpr.py [pytest args...]

Fetches numexpr's wheel with ``pip download numexpr==2.14.2 --no-deps`` into a temporary
folder, takes ``numexpr/tests/test_numexpr.py`` from it, substitutes the module (``import
numexpr`` → ``import numjit as numexpr``, ``from numexpr...`` → ``from numjit...``; the
scripts it runs in subprocesses find a ``numexpr`` module first on PYTHONPATH that is numjit) and runs it with pytest. The tests listed in
``numexpr_skips.txt`` beside this file are skipped with the reason given there (tests that
inspect numexpr's virtual machine). Nothing of numexpr's is kept in the repository.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

VERSION = "2.14.2"
HERE = Path(__file__).resolve().parent


def skips() -> dict:
    out = {}
    for line in (HERE / "numexpr_skips.txt").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        test, _, reason = line.partition(" ")
        out[test] = reason.strip()
    return out


def substitute(text: str) -> str:
    text = re.sub(r"^(\s*)import numexpr$", r"\1import numjit as numexpr", text, flags=re.M)
    text = text.replace("import numexpr as ", "import numjit as ")
    text = re.sub(r"\bfrom numexpr(\.| )", r"from numjit\1", text)
    return text


SHIM = '''"""`import numexpr` gives numjit (numjit's replay of numexpr's suite)."""
import sys

import numjit

sys.modules[__name__] = numjit
'''

CONFTEST = '''
import pytest

SKIPS = {skips!r}


def pytest_configure(config):
    config.addinivalue_line("markers", "thread_unsafe: numexpr's marker")
    import numexpr
    assert numexpr.__name__ == "numjit", "the replay must run numjit, not numexpr"


def pytest_collection_modifyitems(config, items):
    seen = set()
    for item in items:
        for key, reason in SKIPS.items():
            if item.nodeid.endswith(key) or item.nodeid.split("::", 1)[-1] == key:
                item.add_marker(pytest.mark.skip(reason=reason))
                seen.add(key)
    missing = set(SKIPS) - seen
    if missing:
        raise pytest.UsageError(f"skip list names tests that do not exist: {{sorted(missing)}}")
'''


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="numexpr-suite-") as tmp:
        tmp = Path(tmp)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", f"numexpr=={VERSION}", "--no-deps",
             "--only-binary", ":all:", "-q", "-d", str(tmp)],
            check=True,
        )
        wheel = next(tmp.glob("numexpr-*.whl"))
        with zipfile.ZipFile(wheel) as z:
            src = z.read("numexpr/tests/test_numexpr.py").decode()
        suite = tmp / "suite"
        suite.mkdir()
        (suite / "test_numexpr.py").write_text(substitute(src))
        (suite / "conftest.py").write_text(CONFTEST.format(skips=skips()))
        # The scripts the suite runs in subprocesses (`python -c "...import numexpr..."`)
        # find this module first on PYTHONPATH: it makes `numexpr` numjit there too.
        (suite / "numexpr.py").write_text(SHIM)
        env = dict(os.environ)
        # numexpr's thread tests set NUMEXPR_/OMP_NUM_THREADS and expect them to decide; numjit's
        # own variable, which takes precedence, must not be inherited from the caller.
        env.pop("NUMJIT_NUM_THREADS", None)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(suite)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
        )
        args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                "-rs", str(suite / "test_numexpr.py"), *sys.argv[1:]]
        return subprocess.run(args, cwd=suite, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())

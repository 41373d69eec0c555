"""Shared settings of numjit's Python tests: hypothesis runs a bounded number of examples so
the suite stays quick on a 2-core machine (NUMJIT_HYPOTHESIS_EXAMPLES overrides)."""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "numjit",
    max_examples=int(os.environ.get("NUMJIT_HYPOTHESIS_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("numjit")

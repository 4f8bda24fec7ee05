"""Hypothesis profiles for every suite that generates inputs (unit, integration).

Locally the default profile keeps its example database (.hypothesis/), so a failure found once
is replayed first on the next run while new inputs are still searched. With CI set to a true
value the "ci" profile runs the same examples every time (derandomised, no database), so a run
passes or fails on the code alone. `--hypothesis-profile` on the command line chooses another.
Not in tests/conftest.py: the smoke image runs that one without hypothesis installed.
"""

import os

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}


def load_profile(config: pytest.Config) -> None:
    if not config.getoption("--hypothesis-profile", None):
        settings.load_profile("ci" if in_ci() else "default")

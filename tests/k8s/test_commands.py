"""The manifests' commands, run for real in the order scripts/deploy.sh runs them: the args of
the migrate-up Job, the init container, the API container, the maintenance worker, the smoke Job
and the migrate-down Job (read from the rendered prod overlay, with the ConfigMap's settings as
their environment) against an embedded PostgreSQL and a live server on 127.0.0.1. Only the listen
addresses (0.0.0.0:8000 and 0.0.0.0:9100 in the pods) and the smoke base URL (the Service) are
rewritten to a free local port; the worker also runs once with `--once` appended."""

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assetwatch.embedded_db import embedded_postgres
from tests.k8s.conftest import Manifest, find, find_prefix, rendered

ASSETWATCH = str(Path(sys.executable).parent / "assetwatch")
OVERLAY = "prod"


def container(kind: str, name: str, init: bool = False) -> Manifest:
    spec = find(rendered(OVERLAY), kind, name)["spec"]["template"]["spec"]
    (only,) = spec["initContainers" if init else "containers"]
    return only


def expand(args: list[str], env: dict[str, str]) -> list[str]:
    return [re.sub(r"\$\((\w+)\)", lambda m: env[m[1]], a) for a in args]


def env_of(spec: Manifest, database_url: str) -> dict[str, str]:
    """The container's environment as Kubernetes would build it (Secrets: the test's values)."""
    objects = rendered(OVERLAY)
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "TMPDIR"}}
    for source in spec.get("envFrom", []):
        if ref := source.get("configMapRef"):
            prefix = ref["name"].rsplit("-", 1)[0]
            env.update(find_prefix(objects, "ConfigMap", prefix)["data"])
    for var in spec.get("env", []):
        source = var.get("valueFrom", {})
        if "value" in var:
            env[var["name"]] = var["value"]
        elif ref := source.get("configMapKeyRef"):
            env[var["name"]] = find(objects, "ConfigMap", ref["name"])["data"][ref["key"]]
        elif source.get("secretKeyRef", {}).get("key") == "DATABASE_URL":
            env["DATABASE_URL"] = database_url
    return env


def run(spec: Manifest, env: dict[str, str], args: list[str] | None = None) -> int:
    command = [ASSETWATCH, *expand(args if args is not None else spec["args"], env)]
    return subprocess.run(command, env=env, timeout=120, check=False).returncode


def metric(text: str, name: str) -> float | None:
    found = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    return float(found[1]) if found else None


def check_worker(database_url: str) -> None:
    """The worker Deployment's container: one cycle with `--once`, then as the pod runs it (its
    probe on the metrics port, one cycle as the active instance) until SIGTERM, which it must
    obey within the pod's grace period."""
    pod = find(rendered(OVERLAY), "Deployment", "assetwatch-worker")["spec"]["template"]["spec"]
    (worker,) = pod["containers"]
    env = env_of(worker, database_url)
    assert run(worker, env, [*worker["args"], "--once"]) == 0

    args = list(worker["args"])
    args[args.index("--metrics-host") + 1] = "127.0.0.1"
    args[args.index("--metrics-port") + 1] = str(port := free_port())
    process = subprocess.Popen([ASSETWATCH, *args], env=env)
    try:
        probe = worker["livenessProbe"]["httpGet"]["path"]
        deadline = time.monotonic() + 60
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            while True:
                try:
                    response = client.get(probe)
                    if response.status_code == 200 and metric(
                        response.text, "assetwatch_worker_last_cycle_timestamp_seconds"
                    ):
                        break
                except httpx.TransportError:
                    pass
                assert process.poll() is None, "the worker container's command exited"
                assert time.monotonic() < deadline, "the worker never completed a cycle"
                time.sleep(0.3)
            assert metric(response.text, "assetwatch_worker_active") == 1
        process.terminate()
        assert process.wait(timeout=pod["terminationGracePeriodSeconds"]) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("k8s-commands")
    with embedded_postgres(data_dir, cleanup="delete", database="k8s_commands") as url:
        yield url


def test_rollout_and_rollback_commands_in_deploy_order(database_url: str) -> None:
    migrate_up = container("Job", "assetwatch-migrate-up")
    wait = container("Deployment", "assetwatch", init=True)
    api = container("Deployment", "assetwatch")
    smoke = container("Job", "assetwatch-smoke")
    migrate_down = container("Job", "assetwatch-migrate-down")

    # Before migrate-up, a new pod's init container would block: the schema is not at head.
    blocked = [*wait["args"][:-1], "1"]  # the same call, with a 1 s timeout instead of 300 s
    assert run(wait, env_of(wait, database_url), blocked) != 0

    # 1 migrate-up Job
    assert run(migrate_up, env_of(migrate_up, database_url)) == 0
    # 2 the Deployment's init container
    assert run(wait, env_of(wait, database_url)) == 0

    # 3 the API container, listening where the test can reach it
    args = list(api["args"])
    args[args.index("--host") + 1] = "127.0.0.1"
    args[args.index("--port") + 1] = str(port := free_port())
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([ASSETWATCH, *args], env=env_of(api, database_url))
    try:
        with httpx.Client(base_url=base, timeout=5) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if client.get(api["startupProbe"]["httpGet"]["path"]).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert server.poll() is None, "the API container's command exited"
                assert time.monotonic() < deadline, "the startup probe never passed"
                time.sleep(0.3)
            for probe in ("livenessProbe", "readinessProbe"):
                assert client.get(api[probe]["httpGet"]["path"]).status_code == 200, probe

            # 3b the worker Deployment's container, started in the same stage as the API
            check_worker(database_url)

            # 4 the smoke Job, with a writer key made the way deploy.sh makes it
            cli_env = env_of(api, database_url)
            org = ["orgs", "create", "--slug", "smoke", "--name", "Smoke tests"]
            assert run(api, cli_env, org) == 0
            key = subprocess.run(
                [ASSETWATCH, "keys", "create", "--org", "smoke", "--role", "writer"],
                env=cli_env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            smoke_args = list(smoke["args"])
            smoke_args[smoke_args.index("--base-url") + 1] = base
            smoke_env = {**env_of(smoke, database_url), "SMOKE_API_KEY": key}
            assert run(smoke, smoke_env, smoke_args) == 0

            # 5 rollback: the migrate-down Job to the ConfigMap's revision leaves the schema
            # below this image's head, so its readiness fails and a new pod would wait.
            assert run(migrate_down, env_of(migrate_down, database_url)) == 0
            assert client.get(api["readinessProbe"]["httpGet"]["path"]).status_code == 503
            assert run(wait, env_of(wait, database_url), blocked) != 0
            # and migrate-up brings it back
            assert run(migrate_up, env_of(migrate_up, database_url)) == 0
            assert client.get(api["readinessProbe"]["httpGet"]["path"]).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)

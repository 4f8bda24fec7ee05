"""A real `assetwatch serve` process on a free port with its own embedded PostgreSQL.

Used by the test session when no deployed base URL is given: the smoke suite and the short
Locust run then exercise the service exactly as a deployment runs it, over TCP.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

STARTUP_TIMEOUT = 90.0
SHUTDOWN_TIMEOUT = 20.0


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    admin_key: str
    log: Path
    data_dir: Path  # the embedded PostgreSQL lives in data_dir/postgres
    process: "subprocess.Popen[bytes]"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def assetwatch_executable() -> str:
    """The `assetwatch` command of this environment (beside its Python), else on PATH."""
    beside_python = Path(sys.executable).with_name("assetwatch")
    return (
        str(beside_python) if beside_python.exists() else shutil.which("assetwatch") or "assetwatch"
    )


def _wait_until_ready(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"assetwatch serve exited early:\n{log.read_text()[-4000:]}")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(
        f"assetwatch serve not ready in {STARTUP_TIMEOUT}s:\n{log.read_text()[-4000:]}"
    )


@contextmanager
def live_server(
    org: str = "smoke", workers: int = 1, args: Sequence[str] = ()
) -> Iterator[LiveServer]:
    """Serve on 127.0.0.1 with a fresh data dir; create `org` and an admin key with the CLI.

    `args` go to `assetwatch serve` as they are (`--reload`, say)."""
    with tempfile.TemporaryDirectory(prefix="assetwatch-live-") as tmp:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env |= {"DATA_DIR": tmp, "LOG_FORMAT": "json", "LOG_LEVEL": "WARNING"}
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        log = Path(tmp) / "serve.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    assetwatch_executable(),
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--workers",
                    str(workers),
                    *args,
                ],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            _wait_until_ready(base_url, process, log)
            cli = [assetwatch_executable()]
            subprocess.run(
                [*cli, "orgs", "create", "--slug", org, "--name", org.title()],
                env=env,
                check=True,
                capture_output=True,
            )
            key = subprocess.run(
                [*cli, "keys", "create", "--org", org, "--role", "admin", "--name", "live-server"],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
            yield LiveServer(base_url, key, log, Path(tmp), process)
        finally:
            process.terminate()  # a no-op when the test already stopped it
            try:
                process.wait(SHUTDOWN_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

"""`assetwatch serve`."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer

from assetwatch.cli._common import database, err
from assetwatch.cli.seed import bootstrap_demo, client_base_url
from assetwatch.config import Settings, get_settings
from assetwatch.db import migrations

PACKAGE_SOURCE = Path(__file__).resolve().parents[1]  # src/assetwatch, what --reload watches
WORKER_STOP_TIMEOUT = 10.0  # seconds a stopping worker has to finish its step


def _stop_after_drain(signum: int, frame: FrameType | None) -> None:
    """uvicorn drains on SIGTERM/SIGINT, then re-raises the signal to the previous handler.

    With the default handlers that re-raise kills the process (exit -15, or a KeyboardInterrupt
    traceback) before the embedded PostgreSQL is stopped. This handler is that previous handler:
    it does nothing, so `uvicorn.run` returns, the database context closes, and we exit 0.
    """


def serve(
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="worker processes")] = 1,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="embedded database only: on the first start, create organisation 'demo' with "
            "the data/demo farm (a week of readings ending now) and print an admin key",
        ),
    ] = False,
    worker: Annotated[
        bool | None,
        typer.Option(
            "--worker/--no-worker",
            help="run the maintenance worker beside the server, as a child process (default: "
            "with the embedded database only; in Kubernetes it is a Deployment of its own)",
        ),
    ] = None,
    reload: Annotated[
        bool,
        typer.Option(
            "--reload",
            help="development: restart the API when a .py file under the watched directories "
            "changes; the database, the demo and its key stay (one worker process)",
        ),
    ] = False,
    reload_dirs: Annotated[
        list[Path] | None,
        typer.Option(
            "--reload-dir",
            help="with --reload: a directory to watch (repeatable; default: the package's "
            "source, src/assetwatch)",
        ),
    ] = None,
) -> None:
    """Serve the API with uvicorn (embedded PostgreSQL, migrated, when DATABASE_URL is unset)."""
    import uvicorn

    if reload and workers > 1:
        err("--reload serves with one worker process: --workers ignored")
        workers = 1

    settings = get_settings()
    embedded = not settings.database_url
    with database(settings) as url:
        if embedded:
            migrations.upgrade(url)
        demo_lines: list[str] = []
        if demo and embedded:
            demo_lines = bootstrap_demo(url, client_base_url(host, port))
        elif demo:
            err("--demo applies to the embedded database only (DATABASE_URL is set): ignored")
        os.environ["DATABASE_URL"] = url  # workers build their own settings from the env
        get_settings.cache_clear()
        if workers > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
            # Workers are separate processes: metrics go through files they all share.
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="assetwatch-metrics-")
        base = f"http://{host}:{port}"
        err(
            f"assetwatch listening on {base}  (explorer: {base}/explorer/, docs: {base}/docs, "
            f"readiness: {base}/readyz)"
        )
        err("create a tenant and a key:  assetwatch orgs create --slug acme --name Acme")
        err("                            assetwatch keys create --org acme --role admin")
        for line in demo_lines:
            err(line)
        watched = _watched(reload_dirs) if reload else None
        if watched:
            err(f"reloading on changes to *.py under {', '.join(watched)}")
        for stop in (signal.SIGTERM, signal.SIGINT):
            signal.signal(stop, _stop_after_drain)
        stop_worker = _start_worker(url) if (embedded if worker is None else worker) else None
        try:
            _run_uvicorn(uvicorn, host, port, workers, settings, watched)
        finally:
            if stop_worker is not None:
                stop_worker()


def _start_worker(url: str) -> Callable[[], None]:
    """The maintenance worker as a child process (`assetwatch worker`); returns what stops it.

    Not a thread of this process: compaction encodes segments in long stretches that hold the
    GIL, and the requests this process serves would wait behind them.
    """
    metrics_port = _free_port()
    process = subprocess.Popen(  # noqa: S603 (this interpreter, fixed arguments)
        [sys.executable, "-m", "assetwatch.cli", "worker", "--metrics-port", str(metrics_port)],
        env={**os.environ, "DATABASE_URL": url},
    )
    err(
        f"maintenance worker running as process {process.pid}"
        " (partitions, compaction, summaries, retention)"
    )

    def stop_it() -> None:
        process.terminate()  # SIGTERM: the worker finishes its step and exits
        try:
            process.wait(timeout=WORKER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    return stop_it


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _watched(reload_dirs: list[Path] | None) -> list[str]:
    """What --reload watches: the directories given, else the package's own source."""
    dirs = reload_dirs or [PACKAGE_SOURCE]
    return [str(path.resolve()) for path in dirs]


def _run_uvicorn(
    uvicorn: Any,
    host: str,
    port: int,
    workers: int,
    settings: Settings,
    watched: list[str] | None = None,
) -> None:
    """uvicorn in this process; with `watched`, its reloader runs the app in a child process
    and restarts that child on changes, while this process keeps the database and the worker."""
    uvicorn.run(
        "assetwatch.api.app:create_served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,  # ours, set below and in each worker by the app factory
        log_level=settings.log_level.lower(),
        access_log=False,  # the app logs one richer line per request
        server_header=False,
        proxy_headers=True,
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
        reload=bool(watched),
        reload_dirs=watched,
    )

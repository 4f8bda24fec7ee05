"""`assetwatch worker`: the maintenance worker (partitions, compaction, summaries, retention)."""

import asyncio
import signal
from typing import Annotated

import typer
from prometheus_client import start_http_server

from assetwatch.allocator import hold_freed_memory
from assetwatch.cli._common import database, err
from assetwatch.config import get_settings
from assetwatch.db import migrations
from assetwatch.db.maintenance import run_worker
from assetwatch.observability import configure_logging


def worker(
    once: Annotated[
        bool, typer.Option("--once", help="one cycle (until caught up), then exit")
    ] = False,
    metrics_port: Annotated[
        int, typer.Option(help="serve Prometheus metrics on this port (0: none)")
    ] = 9100,
    metrics_host: Annotated[str, typer.Option(help="interface for the metrics")] = "127.0.0.1",
) -> None:
    """Run the maintenance worker; one instance works at a time (the others stand by)."""
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)  # as the API's: each cycle, JSON
    hold_freed_memory()  # compaction decodes and encodes hours of points a step
    with database(settings) as url:
        if not settings.database_url:
            migrations.upgrade(url)
        if metrics_port and not once:
            start_http_server(metrics_port, addr=metrics_host)
            err(f"worker metrics on http://{metrics_host}:{metrics_port}/metrics")

        async def main() -> None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, stop.set)
            await run_worker(url, settings, stop, once=once)

        asyncio.run(main())

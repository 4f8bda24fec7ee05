"""Prometheus metrics: requests, SQL statements per request, the pool, ingest, build info.

With several worker processes, `PROMETHEUS_MULTIPROC_DIR` must point at a directory shared by
them (`assetwatch serve --workers N` sets one up); `/metrics` then aggregates every worker's
files. The pool gauges are read at scrape time from the answering process.
"""

import os
import platform
from collections.abc import Iterable

from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from assetwatch import __version__
from assetwatch.api.deps import runtime_of
from assetwatch.bootstrap import Runtime

REQUEST_DURATION = Histogram(
    "assetwatch_http_request_duration_seconds",
    "HTTP request duration by route template, method and status",
    ["route", "method", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5),
)
STATEMENTS_PER_REQUEST = Histogram(
    "assetwatch_sql_statements_per_request",
    "SQL statements sent while serving one request, by route template",
    ["route"],
    buckets=(0, 1, 2, 3, 4, 6, 10),
)
POINTS_INGESTED = Counter("assetwatch_points_ingested", "Measurement points written by ingest")
BUILD_INFO = Gauge(
    "assetwatch_build_info",
    "Always 1; the labels say what is running",
    ["version", "python"],
    multiprocess_mode="max",
)
BUILD_INFO.labels(__version__, platform.python_version()).set(1)


class PoolCollector(Collector):
    """The process's connection pool, read when scraped."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterable[GaugeMetricFamily]:
        stats = self.runtime.database.pool_stats()
        for name, doc, value in (
            ("size", "configured pool size (connections kept open)", stats.size),
            ("max_size", "most connections the pool may open", stats.max_size),
            ("checked_out", "connections in use", stats.checked_out),
            ("overflow", "connections beyond the pool size", stats.overflow),
            ("waiting", "requests waiting for a connection", stats.waiting),
        ):
            family = GaugeMetricFamily(f"assetwatch_db_pool_{name}", f"DB pool: {doc}")
            family.add_metric([], value)
            yield family


def _application_registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


router = APIRouter(tags=["health"])


@router.get(
    "/metrics",
    summary="Prometheus metrics (text format)",
    response_class=Response,
    responses={
        200: {
            "content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
            "description": "metrics",
        }
    },
)
async def metrics(request: Request) -> Response:
    pool = CollectorRegistry(auto_describe=False)
    pool.register(PoolCollector(runtime_of(request)))
    output = generate_latest(_application_registry()) + generate_latest(pool)
    return Response(output, media_type=CONTENT_TYPE_LATEST)

"""The application factory and its lifespan, which opens the runtime `bootstrap` builds."""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from assetwatch import __version__
from assetwatch.allocator import hold_freed_memory
from assetwatch.api import metrics
from assetwatch.api.direct_route import put_first
from assetwatch.api.limits import BodySizeLimitMiddleware
from assetwatch.api.middleware import RequestContextMiddleware
from assetwatch.api.openapi import install_document, operation_id
from assetwatch.api.problems import install_problem_handlers
from assetwatch.api.routes import api_keys, assets, health, retention, signals, telemetry
from assetwatch.api.routes.web import install_web
from assetwatch.bootstrap import bootstrap
from assetwatch.config import Settings, get_settings
from assetwatch.kernels import compile_all
from assetwatch.observability import configure_logging

DESCRIPTION = """
Organisations register **assets**; each asset has named **signals**; devices push timestamped
**measurements** in batches. Authenticate with `Authorization: Bearer <api key>`.
Errors are RFC 9457 `application/problem+json`. Lists use keyset cursors (`next_cursor`).
"""


def create_app(settings: Settings | None = None, *, database_url: str | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = bootstrap(settings, database_url=database_url)
        await runtime.open()
        app.state.runtime = runtime  # what the dependencies and routes take (api/deps.py)
        # Everything built so far lives as long as the process: out of the collector's sight, a
        # full collection (which an ingest batch's thousands of objects set off) no longer walks it.
        gc.freeze()
        try:
            yield
        finally:
            await runtime.close()

    app = FastAPI(
        # FastAPI's native OpenTelemetry is unused here (no providers): switching it off spares
        # its per-request checks.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
        title="assetwatch",
        version=__version__,
        summary="Asset telemetry: assets, signals and timestamped measurements",
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        # /docs and /redoc are the app's own pages, with their assets served from the app
        # (api/routes/web.py), not FastAPI's, which load them from a CDN with inline scripts.
        docs_url=None,
        redoc_url=None,
    )
    install_problem_handlers(app)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:  # off unless configured
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["Location", "X-Request-ID"],
        )
    app.add_middleware(RequestContextMiddleware)  # outermost: sees every response, 413s too
    # Routes are matched in order. The hot telemetry routes go first, ahead of the documentation
    # routes FastAPI registered when it was made, and straight onto the app's router: an
    # included router is one more layer that FastAPI 0.165 matches twice. Its routes are whole
    # already (its tags and responses are merged in when they are declared), and the OpenAPI
    # document is the same (test_openapi_documents_every_route_with_errors). `put_first` refuses
    # if the app ever gets dependencies, which routes spliced in this way would skip.
    put_first(app.router, telemetry.router.routes)
    for module in (health, metrics, api_keys, assets, signals, retention):
        app.include_router(module.router)
    install_web(app)
    install_document(app)
    return app


def create_served_app() -> FastAPI:
    """The factory `assetwatch serve` gives uvicorn: logging first, then the allocator's
    policy and the compiled kernels, in every worker process."""
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    hold_freed_memory()
    compile_all(settings.decode_threads)
    return create_app(settings)

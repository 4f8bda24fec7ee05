"""The application factory and its lifespan (mappers, engine, pool)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from assetwatch import __version__
from assetwatch.api.problems import install_problem_handlers
from assetwatch.api.routes import health
from assetwatch.config import Settings, get_settings
from assetwatch.db.engine import create_engine, create_session_factory
from assetwatch.db.mappers import start_mappers
from assetwatch.db.migrations import head_revisions


def create_app(settings: Settings | None = None, *, database_url: str | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        start_mappers()
        engine = create_engine(settings, database_url)
        app.state.engine = engine
        app.state.session_factory = create_session_factory(engine)
        try:
            yield
        finally:
            await engine.dispose()

    app = FastAPI(
        title="assetwatch",
        version=__version__,
        summary="Asset telemetry: assets, signals and timestamped measurements",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.head_revisions = head_revisions()
    install_problem_handlers(app)
    app.include_router(health.router)
    return app

"""The SQLAlchemy unit of work: one `AsyncSession`, one transaction."""

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from assetwatch.db.errors import translated_integrity_errors
from assetwatch.db.repositories import (
    SqlApiKeyRepository,
    SqlAssetRepository,
    SqlMeasurementRepository,
    SqlOrganizationRepository,
    SqlSignalRepository,
)


class SqlUnitOfWork:
    """Implements `assetwatch.services.ports.UnitOfWork` (structurally; db does not import it)."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    async def __aenter__(self) -> Self:
        self.session = self._session_factory()
        self.organizations = SqlOrganizationRepository(self.session)
        self.api_keys = SqlApiKeyRepository(self.session)
        self.assets = SqlAssetRepository(self.session)
        self.signals = SqlSignalRepository(self.session)
        self.measurements = SqlMeasurementRepository(self.session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Closing rolls back whatever was not committed and returns the connection to the pool.
        await self.session.close()

    async def commit(self) -> None:
        async with translated_integrity_errors():
            await self.session.commit()

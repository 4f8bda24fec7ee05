"""The unit of work: one `AsyncSession`, one transaction, for the aggregates.

The session is made when a repository is first used, so a unit of work that reads nothing
costs no connection. Telemetry does not go through here: `telemetry_store`.
"""

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from assetwatch.db.errors import translated_errors
from assetwatch.db.repositories import (
    SqlApiKeyRepository,
    SqlAssetRepository,
    SqlOrganizationRepository,
    SqlSignalRepository,
)


class SqlUnitOfWork:
    """Implements `assetwatch.services.ports.UnitOfWork` (structurally; db does not import it)."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory
        self._session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            self._session = self._session_factory()
        return self._session

    @property
    def organizations(self) -> SqlOrganizationRepository:
        return SqlOrganizationRepository(self.session)

    @property
    def api_keys(self) -> SqlApiKeyRepository:
        return SqlApiKeyRepository(self.session)

    @property
    def assets(self) -> SqlAssetRepository:
        return SqlAssetRepository(self.session)

    @property
    def signals(self) -> SqlSignalRepository:
        return SqlSignalRepository(self.session)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Closing rolls back whatever was not committed and returns the connection to the pool.
        if self._session is not None:
            session, self._session = self._session, None
            async with translated_errors():
                await session.close()

    async def commit(self) -> None:
        if self._session is None:  # nothing was read or written
            return
        async with translated_errors():
            await self._session.commit()

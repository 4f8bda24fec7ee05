"""Fixtures for the storage tests: the hot paths' driver connection, and moving compaction."""

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from assetwatch.kernels import buckets as bucket_kernel
from assetwatch.kernels import segments as segment_kernels
from tests.integration.api.conftest import (  # noqa: F401  (fixtures shared with the API tests)
    Fleet,
    Tenant,
    acme,
    app,
    client,
    create_fleet,
    fleet,
    globex,
    make_tenant,
)

pytestmark = pytest.mark.api


@pytest.fixture(scope="session", autouse=True)
def _compiled_kernels() -> None:
    """The merges' kernels compile on their first call, a second or two: past Hypothesis's
    deadline for one example of the merge models when no test before, in this process,
    compiled them (an app's start-up does). Compiled here first, whatever ran before."""
    segment_kernels.compile_kernels()
    bucket_kernel.compile_kernel()


@pytest.fixture
async def driver(connection: AsyncConnection) -> Any:
    """The psycopg connection under the test's transaction (rolled back at the end)."""
    raw = await connection.get_raw_connection()
    return raw.driver_connection


async def set_compacted_through(driver: Any, when: datetime) -> None:
    """Where storage starts, as a migration sets it: nothing compacted, sealed or summed up."""
    await driver.execute(
        "UPDATE storage_state SET compacted_through = %s, summarised_through = %s WHERE id = 1",
        (when, when),
    )
    await driver.execute("UPDATE slot_seal SET sealed_through = %s WHERE id = 1", (when,))

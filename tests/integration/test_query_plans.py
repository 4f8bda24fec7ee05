"""The hot reads use the measurements primary key, never a sequential scan (on ≥ 100,000 rows)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Executable, insert, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from assetwatch.db import queries, tables

ROWS_PER_SIGNAL = 25_000
SIGNALS = 4
START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
async def loaded(connection: AsyncConnection) -> tuple[int, list[int]]:
    """The organisation's id and its signals' ids."""
    org = (
        await connection.execute(
            insert(tables.organizations)
            .values(slug="plans", name="Plans")
            .returning(tables.organizations.c.id)
        )
    ).scalar_one()
    asset = (
        await connection.execute(
            insert(tables.assets)
            .values(organization_id=org, name="A", kind="k")
            .returning(tables.assets.c.id)
        )
    ).scalar_one()
    signal_ids = [
        (
            await connection.execute(
                insert(tables.signals)
                .values(asset_id=asset, name=f"s{n}")
                .returning(tables.signals.c.id)
            )
        ).scalar_one()
        for n in range(SIGNALS)
    ]
    await connection.execute(
        text(
            "INSERT INTO measurements (signal_id, ts, value) "
            "SELECT s, :start + make_interval(secs => i * 10), random() "
            "FROM unnest(CAST(:signals AS bigint[])) AS s, generate_series(1, :n) AS i"
        ),
        {"start": START, "signals": signal_ids, "n": ROWS_PER_SIGNAL},
    )
    await connection.execute(text("ANALYZE measurements"))
    count = (await connection.execute(text("SELECT count(*) FROM measurements"))).scalar_one()
    assert count >= 100_000
    return org, signal_ids


async def plan_of(connection: AsyncConnection, statement: Executable) -> str:
    compiled = statement.compile(  # type: ignore[attr-defined]
        dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
    )
    rows = await connection.execute(text(f"EXPLAIN {compiled}"))
    return "\n".join(row[0] for row in rows)


@pytest.mark.parametrize("descending", [True, False])
async def test_range_reads_use_the_primary_key(
    connection: AsyncConnection, loaded: tuple[int, list[int]], descending: bool
) -> None:
    org, signals = loaded
    window = {"start": START + timedelta(days=1), "end": START + timedelta(days=2)}
    params = queries.readings_params(org, signals[1], limit=1001, **window)
    plan = await plan_of(connection, queries.READINGS[descending].statement.params(params))
    assert "pk_measurements" in plan, plan
    assert "Seq Scan on measurements" not in plan, plan


async def test_last_points_use_the_primary_key(
    connection: AsyncConnection, loaded: tuple[int, list[int]]
) -> None:
    org, signals = loaded
    params = queries.readings_params(org, signals[2], start=None, end=None, limit=101)
    plan = await plan_of(connection, queries.READINGS[True].statement.params(params))
    assert "pk_measurements" in plan, plan
    assert "Sort" not in plan, plan  # the index hands rows over already ordered
    assert "One-Time Filter" in plan, plan  # tenancy is checked once, not per row


async def test_rollups_use_the_primary_key(
    connection: AsyncConnection, loaded: tuple[int, list[int]]
) -> None:
    org, signals = loaded
    params = {
        "organization_id": org,
        "signal_id": signals[0],
        "start": START,
        "end": START + timedelta(days=1),
        "bucket": timedelta(hours=1),
    }
    plan = await plan_of(connection, queries.ROLLUPS.statement.params(params))
    assert "pk_measurements" in plan, plan
    assert "Seq Scan on measurements" not in plan, plan


async def test_a_deleted_signals_points_go_through_the_primary_key(
    connection: AsyncConnection, loaded: tuple[int, list[int]]
) -> None:
    """The trigger of migration 0004 deletes the deleted signals' points by the index, not by a
    scan of every point (auto_explain shows the plan of the trigger's statement). The signal is
    one of five, with ten of the table's 100,010 points: a join planned for an average signal
    (a fifth of the table) scanned them all."""
    _, signals = loaded
    small = (
        await connection.execute(
            text(
                "INSERT INTO signals (asset_id, name)"
                " SELECT asset_id, 'small' FROM signals WHERE id = :id RETURNING id"
            ),
            {"id": signals[0]},
        )
    ).scalar_one()
    await connection.execute(
        text(
            "INSERT INTO measurements (signal_id, ts, value) "
            "SELECT :id, :start + make_interval(secs => i), i FROM generate_series(1, 10) AS i"
        ),
        {"id": small, "start": START},
    )
    await connection.execute(text("ANALYZE measurements"))
    plans: list[str] = []
    driver = (await connection.get_raw_connection()).driver_connection
    driver.add_notice_handler(lambda notice: plans.append(notice.message_primary or ""))
    for setting in (
        "LOAD 'auto_explain'",
        "SET LOCAL auto_explain.log_min_duration = 0",
        "SET LOCAL auto_explain.log_nested_statements = on",
        "SET LOCAL auto_explain.log_level = notice",
    ):
        await connection.execute(text(setting))
    await connection.execute(text("DELETE FROM signals WHERE id = :id"), {"id": small})
    (plan,) = [p for p in plans if "DELETE FROM measurements" in p]
    assert "pk_measurements" in plan, plan
    assert "Seq Scan on measurements" not in plan, plan
    remaining = text("SELECT count(*) FROM measurements WHERE signal_id = :id")
    assert (await connection.execute(remaining, {"id": small})).scalar_one() == 0


async def test_connections_never_switch_to_generic_plans(connection: AsyncConnection) -> None:
    """psycopg prepares repeated statements; a generic plan of the range read scans and sorts."""
    mode = (await connection.execute(text("SHOW plan_cache_mode"))).scalar_one()
    assert mode == "force_custom_plan"

"""The reads reach hot rows by a range scan of each partition's primary key and segments through
pk_segments, never by a sequential scan of a table with data (on > 100,000 hot rows and a month
of segments).

The plans are those of the service's own statements (`telemetry_reads`, `Compiled.sql`), sent as
the service sends them: with their parameters through the psycopg connection, so the planner
sees the values (a custom plan, as every unprepared statement gets) and prunes partitions by
them; the range reads and rollups, prepared once per connection, are checked in their generic
plan.

The data is laid out as the maintenance worker leaves it, and analysed first: a month of closed
hours compacted into segments (`storage_state.compacted_through` just after them), late points of
a compacted hour in the DEFAULT partition, the hot hours in hourly partitions, empty partitions
made ahead; and another organisation's signals, eight times as many as the asset's.
"""

import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from psycopg import sql as psycopg_sql
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncConnection

from assetwatch.db import (
    compaction,
    partitions,
    queries,
    recent_slots,
    tables,
    telemetry_reads,
)
from assetwatch.db.compaction import CHUNK, instant, micros
from assetwatch.db.queries import END_OF_TIME, Compiled
from assetwatch.domain.measurements import EARLIEST
from assetwatch.encoding import segment, slots

START = datetime(2026, 1, 1, tzinfo=UTC)  # the oldest compacted hour
COMPACTED_HOURS = 30 * 24
HOT_START = START + COMPACTED_HOURS * CHUNK  # where compaction stands
HOT_HOURS = 4
AHEAD = timedelta(hours=6)  # the worker's default partitions_ahead_hours
SIGNALS = 4  # on the asset read, a hot point a second each
NEIGHBOURS = 8 * SIGNALS  # another organisation's, a hot point every 10 seconds each
SEGMENT_STEP_S = 60  # the segments' points are sparse only to keep encoding them cheap

Plan = dict[str, Any]


@dataclass(frozen=True)
class Loaded:
    org: int
    asset: int
    signals: list[int]  # the asset's
    filled: set[str]  # the partitions of measurements that hold rows
    pk_of: dict[str, str]  # each partition's part of pk_measurements


@functools.cache
def _hour_segment(hour: int) -> tuple[Any, ...]:
    """first_ts, last_ts, count, min, max, sum, points, slots of compacted hour HOUR (every
    signal's)."""
    ts = micros(START + hour * CHUNK) + np.arange(0, 3600, SEGMENT_STEP_S, dtype=np.int64) * 10**6
    values = np.round(np.random.default_rng(hour).random(ts.size) * 100, 2)
    return (
        instant(int(ts[0])),
        instant(int(ts[-1])),
        int(ts.size),
        float(values.min()),
        float(values.max()),
        float(values.sum()),
        segment.encode(ts, values),
        slots.encode(int(ts[0]), ts, values),
    )


async def _driver(connection: AsyncConnection) -> Any:
    """The psycopg connection under the test's transaction: where the service's SQL runs."""
    return (await connection.get_raw_connection()).driver_connection


async def _asset_with_signals(
    connection: AsyncConnection, slug: str, count: int
) -> tuple[int, int, list[int]]:
    org = (
        await connection.execute(
            insert(tables.organizations)
            .values(slug=slug, name=slug)
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
    signals = (
        await connection.execute(
            insert(tables.signals).returning(tables.signals.c.id),
            [{"asset_id": asset, "name": f"s{n}"} for n in range(count)],
        )
    ).scalars()
    return org, asset, sorted(signals)


async def _add_segments(driver: Any, signal_ids: list[int]) -> None:
    """Every compacted hour of each signal, written as compaction writes them."""
    names = ("first_ts", "last_ts", "count", "min", "max", "sum", "points", "slots")
    columns: dict[str, list[Any]] = {"signal_id": [], "chunk_start": [], **{n: [] for n in names}}
    for hour in range(COMPACTED_HOURS):
        for signal_id in signal_ids:
            columns["signal_id"].append(signal_id)
            columns["chunk_start"].append(START + hour * CHUNK)
            for name, value in zip(names, _hour_segment(hour), strict=True):
                columns[name].append(value)
    await driver.execute(compaction.UPSERT, columns)


_POINTS = text(
    "INSERT INTO measurements (signal_id, ts, value) "
    "SELECT s, CAST(:start AS timestamptz) + make_interval(secs => i * :step), random() "
    "FROM unnest(CAST(:signals AS bigint[])) AS s, generate_series(0, :n - 1) AS i"
)


async def _add_points(
    connection: AsyncConnection, signals: list[int], start: datetime, hours: int, step: int
) -> None:
    params = {"start": start, "step": step, "signals": signals, "n": hours * 3600 // step}
    await connection.execute(_POINTS, params)


@pytest.fixture
async def loaded(connection: AsyncConnection) -> Loaded:
    org, asset, signals = await _asset_with_signals(connection, "plans", SIGNALS)
    *_, neighbours = await _asset_with_signals(connection, "neighbours", NEIGHBOURS)
    driver = await _driver(connection)

    made = await partitions.create_ahead(
        driver, HOT_START, (HOT_HOURS - 1) * CHUNK + AHEAD, lock_timeout_ms=5000
    )
    assert made == HOT_HOURS + AHEAD // CHUNK
    await driver.execute(
        "UPDATE storage_state SET compacted_through = %s, summarised_through = %s",
        (HOT_START, HOT_START),
    )
    await driver.execute("UPDATE slot_seal SET sealed_through = %s", (HOT_START,))
    await _add_segments(driver, signals + neighbours)
    await _add_points(connection, signals, HOT_START, HOT_HOURS, step=1)
    await _add_points(connection, neighbours, HOT_START, HOT_HOURS, step=10)
    # Late points: the last compacted hour written again, every 10 s (DEFAULT partition).
    await _add_points(connection, signals + neighbours, HOT_START - CHUNK, 1, step=10)
    # The worker has summed up the first two hot hours (slots of five minutes); since then, late
    # points changed one slot of the asset's first signal and every slot of the neighbours'.
    await recent_slots.seal(driver, HOT_START + 2 * CHUNK)
    assert await recent_slots.sum_up(driver) == 2 * 12 * (SIGNALS + NEIGHBOURS)
    await driver.execute(
        "INSERT INTO stale_slots SELECT signal_id, slot FROM recent_slots"
        " WHERE signal_id = ANY(%s) OR (signal_id = %s AND slot = %s)",
        (neighbours, signals[0], HOT_START + timedelta(minutes=5)),
    )
    # And the summaries and log entries of a larger fleet's other 5,000 signals (ids of none
    # here), so that neither table is small enough for a sequential scan to be the cheaper.
    fleet = (
        " FROM generate_series(1, 5000) AS s, generate_series(0, 23) AS n WHERE (s + n) %% %s = 0"
    )
    await driver.execute(
        "INSERT INTO recent_slots SELECT 1000000000 + s, %s + n * interval '5 minutes', 1, 0, 0, 0"
        + fleet,
        (HOT_START, 1),
    )
    await driver.execute(
        "INSERT INTO stale_slots SELECT 1000000000 + s, %s + n * interval '5 minutes'" + fleet,
        (HOT_START, 10),
    )
    await connection.execute(
        text("ANALYZE measurements, segments, signals, assets, recent_slots, stale_slots")
    )

    count = text("SELECT count(*) FROM measurements WHERE ts >= :start")
    assert (await connection.execute(count, {"start": HOT_START})).scalar_one() > 100_000
    where = text("SELECT DISTINCT tableoid::regclass::text FROM measurements")
    filled = set((await connection.execute(where)).scalars())
    assert filled == {partitions.DEFAULT_PARTITION} | {
        partitions.partition_name(HOT_START + n * CHUNK) for n in range(HOT_HOURS)
    }
    pk_of = text(
        "SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text"
        " FROM pg_partition_tree('pk_measurements') t"
        " JOIN pg_index i ON i.indexrelid = t.relid WHERE t.isleaf"
    )
    return Loaded(org, asset, signals, filled, dict((await connection.execute(pk_of)).all()))


# --- reading plans -----------------------------------------------------------------------------


async def plan_of(connection: AsyncConnection, statement: Compiled, params: dict[str, Any]) -> Plan:
    driver = await _driver(connection)
    cursor = await driver.execute(
        "EXPLAIN (FORMAT JSON) " + statement.sql, statement.params(params)
    )
    row = await cursor.fetchone()
    plan: Plan = row[0][0]["Plan"]
    return plan


def nodes(plan: Plan) -> Iterator[Plan]:
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def scans_of(plan: Plan, relation: str) -> list[Plan]:
    """The scans of RELATION, or of any partition of measurements when it is "measurements"."""
    return [
        node
        for node in nodes(plan)
        if node["Node Type"].endswith("Scan")  # not the ModifyTable of a DELETE
        and (
            node.get("Relation Name") == relation
            or (relation == "measurements" and node.get("Relation Name", "").startswith(relation))
        )
    ]


def index_conditions(scan: Plan) -> dict[str, str]:
    """The indexes a scan reads, each with its condition ({} for a sequential scan)."""
    if scan["Node Type"] in ("Index Scan", "Index Only Scan"):
        return {scan["Index Name"]: scan.get("Index Cond", "")}
    return {
        node["Index Name"]: node.get("Index Cond", "")
        for node in nodes(scan)
        if node["Node Type"] == "Bitmap Index Scan"
    }


def show(plan: Plan) -> str:
    return json.dumps(plan, indent=1)


def assert_hot_rows_by_primary_keys(plan: Plan, loaded: Loaded) -> set[str]:
    """Every partition with rows is read by a range of its primary key (signal_id, ts), never
    sequentially; empty partitions may be scanned anyhow. The partitions read, returned."""
    scanned = set()
    for scan in scans_of(plan, "measurements"):
        partition = scan["Relation Name"]
        scanned.add(partition)
        if partition not in loaded.filled:
            continue
        conditions = index_conditions(scan)
        assert list(conditions) == [loaded.pk_of[partition]], show(plan)
        assert "signal_id =" in conditions[loaded.pk_of[partition]], show(plan)
    assert scanned, show(plan)
    return scanned


def assert_slot_summaries_by_primary_keys(plan: Plan) -> None:
    """The hot rows' slot summaries and the log of stale slots, through their primary keys."""
    for table, pk in (("recent_slots", "pk_recent_slots"), ("stale_slots", "pk_stale_slots")):
        scans = scans_of(plan, table)
        assert scans, show(plan)
        for scan in scans:
            assert scan["Node Type"] in ("Index Scan", "Index Only Scan"), show(plan)
            assert scan["Index Name"] == pk, show(plan)
            assert "signal_id =" in scan["Index Cond"], show(plan)


def assert_segments_by_pk_segments(plan: Plan) -> None:
    """Segments are read by a range of pk_segments (signal_id, chunk_start), never sequentially."""
    scans = scans_of(plan, "segments")
    assert scans, show(plan)
    for scan in scans:
        conditions = index_conditions(scan)
        assert list(conditions) == ["pk_segments"], show(plan)
        assert "signal_id =" in conditions["pk_segments"], show(plan)


def sorts_over_measurements(plan: Plan) -> list[Plan]:
    return [
        node
        for node in nodes(plan)
        if node["Node Type"] == "Sort" and scans_of(node, "measurements")
    ]


def partition(hour: int) -> str:
    return partitions.partition_name(HOT_START + hour * CHUNK)


@pytest.mark.parametrize("descending", [True, False])
async def test_range_reads_use_the_primary_keys_of_the_partitions_in_range(
    connection: AsyncConnection, loaded: Loaded, descending: bool
) -> None:
    """Six compacted hours, one of them with late points, and two hot ones."""
    start, end = HOT_START - 6 * CHUNK, HOT_START + 2 * CHUNK
    params = telemetry_reads.readings_params(loaded.org, loaded.signals[1], start, end, 1001)

    plan = await plan_of(connection, telemetry_reads.READINGS[descending], params)

    scanned = assert_hot_rows_by_primary_keys(plan, loaded)
    # The other partitions are pruned when planning: their hours are out of range.
    assert scanned == {partitions.DEFAULT_PARTITION, partition(0), partition(1)}, show(plan)
    assert sorts_over_measurements(plan) == [], show(plan)  # the indexes hand rows over in order
    assert_segments_by_pk_segments(plan)


async def test_the_last_points_are_read_in_index_order_after_one_tenancy_check(
    connection: AsyncConnection, loaded: Loaded
) -> None:
    params = telemetry_reads.readings_params(
        loaded.org, loaded.signals[2], EARLIEST, END_OF_TIME, 101
    )

    plan = await plan_of(connection, telemetry_reads.READINGS[True], params)

    assert assert_hot_rows_by_primary_keys(plan, loaded) >= loaded.filled
    assert sorts_over_measurements(plan) == [], show(plan)
    assert_segments_by_pk_segments(plan)
    # Tenancy is checked once, not per row.
    assert any("One-Time Filter" in node for node in nodes(plan)), show(plan)


@pytest.mark.parametrize(
    ("start", "bucket"),
    [
        (HOT_START - timedelta(days=2), CHUNK),  # whole hours: the segments' summaries
        (HOT_START - timedelta(days=2, minutes=-30), timedelta(minutes=15)),  # slots
        (HOT_START - timedelta(days=2, minutes=-30), timedelta(minutes=7)),  # decoded segments
    ],
)
async def test_rollups_use_the_primary_keys(
    connection: AsyncConnection, loaded: Loaded, start: datetime, bucket: timedelta
) -> None:
    params = {
        "organization_id": loaded.org,
        "signal_id": loaded.signals[0],
        **telemetry_reads.rollups_params(start, HOT_START + 3 * CHUNK, bucket),
    }

    plan = await generic_plan_of(connection, telemetry_reads.ROLLUPS, params)

    assert_hot_rows_by_primary_keys(plan, loaded)
    assert_slot_summaries_by_primary_keys(plan)
    assert_segments_by_pk_segments(plan)
    assert not [s for s in scans_of(plan, "segments") if s["Node Type"] == "Seq Scan"]


@pytest.mark.parametrize("bucket", [timedelta(minutes=15), timedelta(days=1)])
@pytest.mark.parametrize("some", [False, True], ids=["every signal", "some signals"])
async def test_asset_rollups_use_the_primary_keys(
    connection: AsyncConnection, loaded: Loaded, some: bool, bucket: timedelta
) -> None:
    """In the one plan made for every range: whole days included (the day summaries, and the
    hours of the range's partial days by pk_segments)."""
    params = {
        "organization_id": loaded.org,
        "asset_id": loaded.asset,
        "signal_ids": [loaded.signals[0], loaded.signals[2]] if some else None,
        **telemetry_reads.rollups_params(
            HOT_START - timedelta(days=2, hours=5), HOT_START + 3 * CHUNK, bucket
        ),
    }

    plan = await generic_plan_of(connection, telemetry_reads.ASSET_ROLLUPS, params)

    assert_hot_rows_by_primary_keys(plan, loaded)
    assert_slot_summaries_by_primary_keys(plan)
    assert_segments_by_pk_segments(plan)
    assert not [s for s in scans_of(plan, "segments") if s["Node Type"] == "Seq Scan"]


async def test_the_plan_checks_catch_sequential_scans_and_sorts(
    connection: AsyncConnection, loaded: Loaded
) -> None:
    """Control: with index scans disabled, the checks above do fail."""
    await connection.execute(text("SET LOCAL enable_indexscan = off"))
    await connection.execute(text("SET LOCAL enable_bitmapscan = off"))
    await connection.execute(text("SET LOCAL enable_indexonlyscan = off"))
    params = telemetry_reads.readings_params(
        loaded.org, loaded.signals[1], HOT_START - 6 * CHUNK, HOT_START + 2 * CHUNK, 1001
    )

    plan = await plan_of(connection, telemetry_reads.READINGS[True], params)

    with pytest.raises(AssertionError):
        assert_hot_rows_by_primary_keys(plan, loaded)
    with pytest.raises(AssertionError):
        assert_segments_by_pk_segments(plan)
    assert sorts_over_measurements(plan) != []


# --- the delete trigger ------------------------------------------------------------------------


async def test_a_deleted_signals_points_and_segments_go_through_the_primary_keys(
    connection: AsyncConnection, loaded: Loaded
) -> None:
    """The trigger on signals deletes the deleted signals' hot rows and segments by the indexes,
    not by a scan of every point (auto_explain shows the plans of the trigger's statements).
    The signal is small: a join planned for an average signal scanned them all."""
    small = (
        await connection.execute(
            text("INSERT INTO signals (asset_id, name) VALUES (:asset, 'small') RETURNING id"),
            {"asset": loaded.asset},
        )
    ).scalar_one()
    driver = await _driver(connection)
    await _add_points(connection, [small], HOT_START, 1, step=360)
    await _add_points(connection, [small], HOT_START - CHUNK, 1, step=360)  # late ones
    await driver.execute(
        "INSERT INTO segments SELECT %s, chunk_start, first_ts, last_ts, count, min, max, sum,"
        " points FROM segments WHERE signal_id = %s AND chunk_start >= %s",
        (small, loaded.signals[0], HOT_START - 2 * CHUNK),
    )
    await connection.execute(text("ANALYZE measurements, segments"))
    plans: list[Plan] = []

    def record(notice: Any) -> None:
        message = notice.message_primary or ""
        if "plan:" in message:
            plans.append(json.loads(message.split("plan:", 1)[1]))

    driver.add_notice_handler(record)
    for setting in (
        "LOAD 'auto_explain'",
        "SET LOCAL auto_explain.log_min_duration = 0",
        "SET LOCAL auto_explain.log_nested_statements = on",
        "SET LOCAL auto_explain.log_format = json",
        "SET LOCAL auto_explain.log_level = notice",
    ):
        await connection.execute(text(setting))
    try:
        await connection.execute(text("DELETE FROM signals WHERE id = :id"), {"id": small})
    finally:
        driver.remove_notice_handler(record)
        await connection.execute(text("SET LOCAL auto_explain.log_min_duration = -1"))

    (points,) = [p["Plan"] for p in plans if "DELETE FROM measurements" in p["Query Text"]]
    (chunks,) = [p["Plan"] for p in plans if "DELETE FROM segments" in p["Query Text"]]
    assert assert_hot_rows_by_primary_keys(points, loaded) >= loaded.filled
    assert_segments_by_pk_segments(chunks)
    for table in ("measurements", "segments"):
        remaining = text(f"SELECT count(*) FROM {table} WHERE signal_id = :id")  # noqa: S608
        assert (await connection.execute(remaining, {"id": small})).scalar_one() == 0


async def test_only_the_statements_marked_generic_are_prepared(connection: AsyncConnection) -> None:
    """Pooled connections prepare nothing by themselves (psycopg's automatic preparation is
    off in effect), and prepare the statements marked `generic` when the store runs them: those
    are planned once per connection (the tests below check that plan); every other statement is
    planned again at each execution. psycopg 3.3 prepares nothing at all, even when asked, on a
    connection whose `prepare_threshold` is None: the service's statements were once planned at
    every execution that way, which this catches."""
    mode = (await connection.execute(text("SHOW plan_cache_mode"))).scalar_one()
    assert mode == "force_generic_plan"
    driver = await _driver(connection)
    for statement in (telemetry_reads.ROLLUPS, queries.SIGNAL_EXISTS):
        params = {
            "organization_id": 0,
            "signal_id": 0,
            **telemetry_reads.rollups_params(HOT_START, HOT_START + CHUNK, CHUNK),
        }
        for _ in range(3):
            await driver.execute(statement.sql, statement.params(params), prepare=statement.generic)
    cursor = await driver.execute("SELECT statement FROM pg_prepared_statements")
    prepared = [row[0] for row in await cursor.fetchall()]
    assert [s for s in prepared if "segment_days" in s] != [], prepared  # the rollup statement
    assert [s for s in prepared if s.lstrip().startswith("SELECT 1")] == [], prepared
    generic = {
        name
        for name, statement in [
            ("readings asc", telemetry_reads.READINGS[False]),
            ("readings desc", telemetry_reads.READINGS[True]),
            ("rollups", telemetry_reads.ROLLUPS),
            ("asset rollups", telemetry_reads.ASSET_ROLLUPS),
            ("ingest", queries.INGEST),
            ("latest", queries.LATEST),
            ("signal exists", queries.SIGNAL_EXISTS),
            ("asset exists", queries.ASSET_EXISTS),
        ]
        if statement.generic
    }
    assert generic == {"readings asc", "readings desc", "rollups", "asset rollups"}


async def generic_plan_of(
    connection: AsyncConnection, statement: Compiled, params: dict[str, Any]
) -> Plan:
    """The plan a prepared statement runs with these values: its generic plan, with the
    partitions pruned when it starts (`Subplans Removed`), as the pool's connections run it."""
    driver = await _driver(connection)
    names = list(dict.fromkeys(re.findall(r"%\((\w+)\)s", statement.sql)))
    numbered = re.sub(r"%\((\w+)\)s", lambda m: f"${names.index(m.group(1)) + 1}", statement.sql)
    await driver.execute("PREPARE plan_check AS " + numbered)
    try:
        values = statement.params(params)
        arguments = psycopg_sql.SQL(", ").join(psycopg_sql.Literal(values[n]) for n in names)
        cursor = await driver.execute(
            psycopg_sql.SQL("EXPLAIN (FORMAT JSON) EXECUTE plan_check({})").format(arguments)
        )
        row = await cursor.fetchone()
    finally:
        await driver.execute("DEALLOCATE plan_check")
    plan: Plan = row[0][0]["Plan"]
    return plan


@pytest.mark.parametrize("descending", [True, False])
async def test_the_generic_plan_of_a_range_read_uses_the_primary_keys_in_range(
    connection: AsyncConnection, loaded: Loaded, descending: bool
) -> None:
    """The plan made once for every range: hot rows by each partition's primary key (no sort),
    partitions out of range pruned as it starts, segments by pk_segments."""
    start, end = HOT_START - 6 * CHUNK, HOT_START + 2 * CHUNK
    params = telemetry_reads.readings_params(loaded.org, loaded.signals[1], start, end, 1001)

    plan = await generic_plan_of(connection, telemetry_reads.READINGS[descending], params)

    assert_hot_rows_by_primary_keys(plan, loaded)
    assert sorts_over_measurements(plan) == [], show(plan)
    assert_segments_by_pk_segments(plan)
    assert any(node.get("Subplans Removed", 0) > 0 for node in nodes(plan)), show(plan)


async def test_the_generic_plan_reads_the_last_points_in_index_order(
    connection: AsyncConnection, loaded: Loaded
) -> None:
    params = telemetry_reads.readings_params(
        loaded.org, loaded.signals[2], EARLIEST, END_OF_TIME, 101
    )

    plan = await generic_plan_of(connection, telemetry_reads.READINGS[True], params)

    assert_hot_rows_by_primary_keys(plan, loaded)
    assert sorts_over_measurements(plan) == [], show(plan)
    assert_segments_by_pk_segments(plan)

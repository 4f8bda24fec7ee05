"""Core SQL for the hot paths (no ORM entities; rows in, rows out): the statements, compiled
once for psycopg, and their parameters; `SqlTelemetryStore` runs them on a pooled driver
connection. Here ingest, the latest points and the tenancy checks that tell an empty read from
another organisation's signal or asset; the reads over hot rows and segments are in
`telemetry_reads`, compiled the same way (`Compiled`).

Each use case is one statement. Measurements are always reached through their primary key
(signal_id, ts); the latest point of every signal comes from the denormalised columns on
`signals`, never from scanning measurements.
"""

from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.types.array import ListBinaryDumper
from sqlalchemy import BigInteger, ClauseElement, bindparam, literal_column, select, text
from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect

from assetwatch.db import recent_slots, tables
from assetwatch.domain import Points

_signal, _asset = tables.signals.c, tables.assets.c


class BinaryArray(list[Any]):
    """A list psycopg sends as a binary PostgreSQL array: a plain list goes as text, which
    formats every element (a regex per timestamp), a large share of an ingest's CPU."""


psycopg.adapters.register_dumper(BinaryArray, ListBinaryDumper)

_DIALECT = psycopg_dialect.dialect()  # type: ignore[no-untyped-call]


class Compiled:
    """A Core statement rendered once for psycopg (casts included, `%(name)s` parameters), with
    the values of the parameters it binds itself (constants inside the expression).

    `generic`: prepared on each connection and planned once, for every value of its parameters
    (a generic plan, which the query-plan tests check); otherwise planned at each execution with
    the values it is given. Planning is most of a short read's database time.

    `binary`: rows come back in PostgreSQL's binary format, which psycopg loads without parsing
    text (timestamps, floats, and bytea not hex-encoded). Only for statements whose columns all
    have binary loaders: a `name` column, for one, would come back as bytes."""

    def __init__(
        self, statement: ClauseElement, *, generic: bool = False, binary: bool = False
    ) -> None:
        self.statement = statement  # for EXPLAIN in the query-plan tests
        self.generic = generic
        self.binary = binary
        compiled = statement.compile(dialect=_DIALECT)
        self.sql = str(compiled)
        self._constants = {k: v for k, v in compiled.params.items() if v is not None}

    def params(self, values: dict[str, Any]) -> dict[str, Any]:
        return {**self._constants, **values} if self._constants else values


# One statement per batch, atomic by itself: unless a point's signal is not the organisation's
# (then nothing is written and those signal ids come back), upsert every point and move each
# signal's latest point forward only (an older point arriving late never replaces a newer one).
# The batch's signals are locked FOR KEY SHARE, once each, in place of a foreign key checked per
# point (migration 0004): none can be deleted before this commits, and a signal whose deletion
# is under way makes the statement wait for it, then count that signal as unknown.
# A point in a sealed slot of uncompacted time logs its slot as stale (`recent_slots`); the
# seal is read under a share lock, which the worker's move of it waits for. The join (not a
# subquery) reads it for every batch, whether or not a point falls before it.
# The arrays keep the statement text the same for every batch size. They carry no SQLAlchemy
# type (whose ARRAY would copy them into plain lists): the casts type them, psycopg dumps them.
_INGEST = """
WITH batch AS (
    SELECT * FROM unnest(
        CAST(:signal_ids AS bigint[]),
        CAST(:ts AS timestamptz[]),
        CAST(:values AS double precision[])
    ) AS b(signal_id, ts, value)
), owned AS (
    SELECT signals.id FROM signals JOIN assets ON assets.id = signals.asset_id
    WHERE signals.id IN (SELECT signal_id FROM batch)
      AND assets.organization_id = CAST(:organization_id AS bigint)
    FOR KEY SHARE OF signals
), unknown AS (
    SELECT DISTINCT signal_id FROM batch
    WHERE NOT EXISTS (SELECT FROM owned WHERE owned.id = batch.signal_id)
), written AS (
    INSERT INTO measurements (signal_id, ts, value)
    SELECT signal_id, ts, value FROM batch WHERE NOT EXISTS (SELECT FROM unknown)
    ON CONFLICT (signal_id, ts) DO UPDATE SET value = EXCLUDED.value
){stale_slots}, newest AS (
    SELECT DISTINCT ON (signal_id) signal_id, ts, value
    FROM batch ORDER BY signal_id, ts DESC
), moved AS (
    UPDATE signals SET last_ts = newest.ts, last_value = newest.value
    FROM newest
    WHERE signals.id = newest.signal_id
      AND (signals.last_ts IS NULL OR signals.last_ts <= newest.ts)
      AND NOT EXISTS (SELECT FROM unknown)
)
SELECT signal_id FROM unknown ORDER BY signal_id
"""
_STALE_SLOTS = f"""
, sealed AS (
    SELECT sealed_through FROM slot_seal WHERE id = 1 FOR SHARE
), stale AS (
    INSERT INTO stale_slots (signal_id, slot)
    SELECT DISTINCT batch.signal_id, {recent_slots.SLOT_OF.format("batch.ts")} FROM batch, sealed
    WHERE batch.ts < sealed.sealed_through
      AND batch.ts >= (SELECT compacted_through FROM storage_state WHERE id = 1)
      AND NOT EXISTS (SELECT FROM unknown)
    ON CONFLICT (signal_id, slot) DO UPDATE SET slot = EXCLUDED.slot
)"""
INGEST = Compiled(text(_INGEST.format(stale_slots=_STALE_SLOTS)))
# The statement as revisions before 0008 ran it (no slot log): for `loadtest.bench.ingest_storage`
# to compare head with one of them.
INGEST_BEFORE_0008 = Compiled(text(_INGEST.format(stale_slots="")))


def ingest_params(organization_id: int, points: Points) -> dict[str, Any]:
    return {
        "organization_id": organization_id,
        "signal_ids": BinaryArray(points.signal_ids),
        "ts": BinaryArray(points.stamps),
        "values": BinaryArray(points.values),
    }


_org = bindparam("organization_id", type_=BigInteger)
# The open end of a range, as EARLIEST (domain.measurements) is its open start: Python datetimes
# cannot say -infinity/infinity. Ingest refuses points before EARLIEST and more than minutes
# ahead of now, so no stored point lies outside.
END_OF_TIME = datetime.max.replace(tzinfo=UTC)


# The asset (to tell 'not yours' from 'no signals') left-joined to its signals.
LATEST = Compiled(
    select(_signal.id, _signal.name, _signal.unit, _signal.last_ts, _signal.last_value)
    .select_from(tables.assets)
    .outerjoin(tables.signals, _signal.asset_id == _asset.id)
    .where(_asset.id == bindparam("asset_id", type_=BigInteger), _asset.organization_id == _org)
    .order_by(_signal.id)
)

# One row when the signal is the organisation's, none otherwise (another organisation's, or gone).
SIGNAL_EXISTS = Compiled(
    select(literal_column("1"))
    .select_from(tables.signals)
    .join(tables.assets, _asset.id == _signal.asset_id)
    .where(_signal.id == bindparam("signal_id", type_=BigInteger), _asset.organization_id == _org)
)
# One row when the asset is the organisation's, none otherwise.
ASSET_EXISTS = Compiled(
    select(literal_column("1")).where(
        _asset.id == bindparam("asset_id", type_=BigInteger), _asset.organization_id == _org
    )
)

"""The storage (hot rows, segments, partitions, retention) against a model: a dict of points.

One async test draws, with `st.data()`, a sequence of operations and runs them on the app and
the maintenance functions, checking every read against an in-memory model. The fixtures are
function scoped, so all examples share the test's transaction: each one runs in a savepoint of
its own, rolled back at its end.

The model keeps, per signal, the hot rows (`measurements`) and the segments (hour chunk -> the
points compacted into it), `compacted_through`, the latest point and the retention. Clients see
the segments' points overridden by the hot rows. Operations:

- ingest a batch (duplicates inside it: the last wins; re-sends; late points for compacted
  hours; now and then a deleted signal, and then nothing is written);
- compact_hour (one step, or until a horizon), compact_late (a small or a large limit);
- create_ahead / drop_compacted of hourly partitions;
- retention (the organisation's and the default), whose cutoff is the database's now() minus
  whole days: points spread over a day after BASE (a fixed instant), so that for some number
  of days the cutoff falls among them at any time of day the test runs;
- delete a signal (its reads answer 404 afterwards);
- reads: raw pages in both orders following next_cursor, rollups of a signal and of the
  asset, latest, and another tenant's reads (404) and writes (422).

Timestamps are compared as instants, values bit for bit; rollups' count/min/max exactly, avg to
within 1e-9 of the bucket's largest magnitude (a float sum, summed in some order). After the
sequence, every signal is read whole and the stores' contents are checked against the model.
"""

import math
import os
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from assetwatch.db import compaction, partitions, recent_slots, retention
from assetwatch.domain.readings import BUCKET_ORIGIN
from tests.integration.api.conftest import Fleet, Tenant
from tests.integration.storage.conftest import set_compacted_through

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICRO = timedelta(microseconds=1)
HOUR = 3_600_000_000  # µs
DAY = 24 * HOUR
SLOT = 300_000_000  # five minutes
BASE = datetime(2026, 11, 22, tzinfo=UTC)  # where compaction starts (W) in each example
BASE_US = (BASE - EPOCH) // MICRO
ORIGIN_US = (BUCKET_ORIGIN - EPOCH) // MICRO
BUCKETS = {
    "1m": 60_000_000,
    "5m": 300_000_000,
    "7m": 420_000_000,
    "15m": 900_000_000,
    "1h": HOUR,
    "2h": 2 * HOUR,
    "1d": DAY,
}
POINT_HOURS = range(-1, 27)  # points fall in these hours after BASE (the first: before W)
MAX_STEPS = 30
# About 40 s; for a longer search, e.g. ASSETWATCH_STORAGE_EXAMPLES=3000 (about 8 min).
MAX_EXAMPLES = int(os.environ.get("ASSETWATCH_STORAGE_EXAMPLES", "300"))
MAX_PAGES = 25
OFFSETS = {
    "Z": UTC,
    "+00:00": UTC,
    "-03:30": timezone(-timedelta(hours=3, minutes=30)),
    "+05:45": timezone(timedelta(hours=5, minutes=45)),
}


def instant(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def micros(ts: datetime) -> int:
    return (ts - EPOCH) // MICRO


def parse(text: str) -> int:
    return micros(datetime.fromisoformat(text))


def stamp(us: int, style: str = "Z") -> str:
    text = instant(us).astimezone(OFFSETS[style]).isoformat()
    return text.replace("+00:00", "Z") if style == "Z" else text


def rel(us: int | None) -> str:
    """An instant as its offset from BASE, for the notes: `B+07:05:00.000001`."""
    if us is None:
        return "None"
    sign, d = ("+", us - BASE_US) if us >= BASE_US else ("-", BASE_US - us)
    h, rest = divmod(d, HOUR)
    m, rest = divmod(rest, 60_000_000)
    s, f = divmod(rest, 1_000_000)
    return f"B{sign}{h:02}:{m:02}:{s:02}" + (f".{f:06}" if f else "")


def bits(value: float) -> bytes:
    assert isinstance(value, float), value
    return struct.pack("<d", value)


# -- strategies -------------------------------------------------------------------------------

GRID = st.integers(0, 11).map(lambda k: k * 300_000_000)  # every 5 minutes: re-sends happen
EDGES = st.sampled_from([0, 1, HOUR - 1, HOUR // 2 + 1])
# A point just after a grid point shares its five minutes: slots with several points.
NEAR_GRID = st.builds(lambda g, d: g + d, GRID, st.sampled_from([1_000_000, 60_000_000]))
IN_HOUR = st.one_of(GRID, GRID, GRID, NEAR_GRID, EDGES, st.integers(0, HOUR - 1))
VALUES = st.one_of(
    st.integers(-50, 50).map(float),
    st.integers(-(10**6), 10**6).map(lambda i: i / 100),
    st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False),  # -0.0, subnormals too
    st.sampled_from([0.0, -0.0, 5e-324, 0.1, 1 / 3, -1e-300]),
)


# The operations, each as often as it is listed.
OPERATIONS = [
    *["ingest"] * 6,
    *["compact"] * 3,
    *["compact_late"] * 2,
    "forget_slots",
    "fill_slots",
    *["sum_up"] * 3,
    "partitions",
    *["expire"] * 2,
    *["cycle"] * 2,
    "delete",
    *["read_raw"] * 3,
    *["read_rollups"] * 3,
    *["read_sealed_rollups"] * 2,
    *["read_asset_rollups"] * 2,
    "read_latest",
    "trespass",
]


def up_to(n: int) -> st.SearchStrategy[int]:
    """0 to n, about evenly (integers' own draws favour small ones); shrinks towards 0."""
    return st.integers(0, 2**16 - 1).map(lambda x: x % (n + 1))


def instants(hours: st.SearchStrategy[int]) -> st.SearchStrategy[int]:
    return st.builds(lambda h, o: BASE_US + h * HOUR + o, hours, IN_HOUR)


# -- the model --------------------------------------------------------------------------------


@dataclass
class Model:
    signal_ids: list[int]
    alive: set[int]
    hot: dict[int, dict[int, float]]
    segments: dict[int, dict[int, dict[int, float]]]  # signal -> chunk start -> {ts: value}
    latest: dict[int, tuple[int, float] | None]
    compacted_through: int = BASE_US
    sealed_through: int = BASE_US
    retention_days: int | None = None

    @classmethod
    def of(cls, signal_ids: list[int]) -> "Model":
        return cls(
            signal_ids,
            set(signal_ids),
            {s: {} for s in signal_ids},
            {s: {} for s in signal_ids},
            dict.fromkeys(signal_ids),
        )

    def points(self, sid: int) -> dict[int, float]:
        """What clients see: the segments' points, a stored row winning."""
        merged: dict[int, float] = {}
        for chunk in self.segments[sid].values():
            merged.update(chunk)
        merged.update(self.hot[sid])
        return merged

    def in_range(self, sid: int, start: int | None, end: int | None) -> list[tuple[int, float]]:
        low = -math.inf if start is None else start
        high = math.inf if end is None else end
        return sorted((ts, v) for ts, v in self.points(sid).items() if low <= ts < high)

    def ingest(self, batch: list[tuple[int, int, float]]) -> int:
        written: dict[tuple[int, int], float] = {}
        for sid, ts, value in batch:
            written[(sid, ts)] = value  # the last of a batch's duplicates wins
        newest: dict[int, tuple[int, float]] = {}
        for (sid, ts), value in written.items():
            self.hot[sid][ts] = value
            if sid not in newest or ts > newest[sid][0]:
                newest[sid] = (ts, value)
        for sid, (ts, value) in newest.items():
            old = self.latest[sid]
            if old is None or old[0] <= ts:  # moves forward only
                self.latest[sid] = (ts, value)
        return len(written)

    def sealed_points(self) -> list[tuple[int, int]]:
        """The hot points in sealed slots of uncompacted time."""
        w, sealed = self.compacted_through, self.sealed_through
        return sorted((s, ts) for s in self.alive for ts in self.hot[s] if w <= ts < sealed)

    def take(self, keys: list[tuple[int, int]]) -> tuple[int, int]:
        """Move hot rows into their hour's segment (the row wins); (points, segments)."""
        chunks = set()
        for sid, ts in keys:
            chunk = ts // HOUR * HOUR
            self.segments[sid].setdefault(chunk, {})[ts] = self.hot[sid].pop(ts)
            chunks.add((sid, chunk))
        return len(keys), len(chunks)

    def hour_rows(self) -> list[tuple[int, int]]:
        w = self.compacted_through
        return [(s, ts) for s in self.alive for ts in self.hot[s] if w <= ts < w + HOUR]

    def late_rows(self) -> list[tuple[int, int]]:
        w = self.compacted_through
        return sorted((s, ts) for s in self.alive for ts in self.hot[s] if ts < w)

    def expire(self, cutoff: int) -> tuple[int, int]:
        """Whole segments whose last point is older than `cutoff`, and old latest points."""
        segments = latest = 0
        for sid in self.alive:
            for chunk, pts in list(self.segments[sid].items()):
                if max(pts) < cutoff:
                    del self.segments[sid][chunk]
                    segments += 1
            point = self.latest[sid]
            if point is not None and point[0] < cutoff:
                self.latest[sid] = None
                latest += 1
        return segments, latest

    def delete(self, sid: int) -> None:
        self.alive.discard(sid)
        self.hot[sid].clear()
        self.segments[sid].clear()
        self.latest[sid] = None


def expected_rollups(
    points: list[tuple[int, float]], width: int
) -> list[tuple[int, int, float, float, float]]:
    buckets: dict[int, list[float]] = {}
    for ts, value in points:
        buckets.setdefault(ORIGIN_US + (ts - ORIGIN_US) // width * width, []).append(value)
    return [
        (b, len(vs), min(vs), max(vs), math.fsum(vs) / len(vs)) for b, vs in sorted(buckets.items())
    ]


def assert_rollups(
    items: list[dict[str, Any]], points: list[tuple[int, float]], width: int
) -> None:
    want = expected_rollups(points, width)
    got = [(parse(i["bucket_start"]), i["count"], i["min"], i["max"], i["avg"]) for i in items]
    assert [g[:4] for g in got] == [w[:4] for w in want], (got, want)
    for g, w in zip(got, want, strict=True):
        scale = max(abs(w[2]), abs(w[3]))
        assert g[4] == w[4] or abs(g[4] - w[4]) <= 1e-9 * scale, ("avg", rel(g[0]), g[4], w[4])


# -- the runs ---------------------------------------------------------------------------------


@dataclass
class Run:
    client: httpx.AsyncClient
    acme: Tenant
    globex: Tenant
    fleet: Fleet
    driver: Any
    data: st.DataObject
    days_near: int  # whole days from BASE to now(): that many days' cutoff is in [BASE, +1 day)
    model: Model
    hours: list[int]  # the example's hours with points

    def draw(self, strategy: st.SearchStrategy[Any], label: str | None = None) -> Any:
        return self.data.draw(strategy, label=label)

    def signal(self) -> int:
        return int(self.draw(st.sampled_from(self.model.signal_ids)))

    def point_time(self) -> int:
        return int(self.draw(instants(st.sampled_from(self.hours))))

    def range_time(self) -> int:
        hours = st.one_of(st.sampled_from(self.hours), st.integers(-2, 27))
        return int(self.draw(instants(hours)))

    async def get(self, url: str, params: Any, tenant: Tenant | None = None) -> httpx.Response:
        return await self.client.get(url, params=params, headers=(tenant or self.acme).auth())

    # operations

    async def ingest(self) -> None:
        m = self.model
        alive = sorted(m.alive)
        points: list[tuple[int, int, float]] = []
        if alive:
            entry = st.tuples(st.sampled_from(alive), instants(st.sampled_from(self.hours)), VALUES)
            size = self.draw(up_to(25))
            points = self.draw(st.lists(entry, min_size=size, max_size=size))
            if points and self.draw(st.integers(0, 3)) == 0:  # re-send some of them
                again = self.draw(st.lists(st.sampled_from(points), min_size=1, max_size=5))
                points += [(s, ts, self.draw(VALUES)) for s, ts, _ in again]
            sealed = m.sealed_points()
            if sealed and self.draw(st.integers(0, 2)) == 0:  # re-send sealed ones, changed
                again = self.draw(st.lists(st.sampled_from(sealed), min_size=1, max_size=3))
                points += [(s, ts, self.draw(VALUES)) for s, ts in again]
        gone = sorted(set(m.signal_ids) - m.alive)
        if gone and self.draw(st.integers(0, 3)) == 0:
            at = self.draw(st.integers(0, len(points)))
            points.insert(at, (self.draw(st.sampled_from(gone)), self.point_time(), 1.0))
        style = self.draw(st.sampled_from(sorted(OFFSETS)))
        note(f"ingest {[(s, rel(ts), v) for s, ts, v in points]} ({style})")
        body = {
            "points": [{"signal_id": s, "ts": stamp(ts, style), "value": v} for s, ts, v in points]
        }
        response = await self.client.post("/v1/measurements", json=body, headers=self.acme.auth())
        if any(s not in m.alive for s, _, _ in points):
            assert response.status_code == 422, response.text
            return
        assert response.status_code == 200, response.text
        late = sum(ts < m.compacted_through for _, ts, _ in points)
        sealed = sum(m.compacted_through <= ts < m.sealed_through for _, ts, _ in points)
        event(f"ingest: {'into sealed slots' if sealed else 'no sealed slot'}")
        overrides = sum(any(ts in c for c in m.segments[s].values()) for s, ts, _ in points)
        assert response.json() == {"written": m.ingest(points)}
        event(f"ingest: {'late points' if late else 'no late point'}")
        event(f"ingest: {'overrides compacted points' if overrides else 'no override'}")

    async def compact_hour(self, horizon: int) -> bool:
        m = self.model
        done = await compaction.compact_hour(self.driver, instant(horizon))
        if m.compacted_through + HOUR > horizon:
            assert done is None
            return False
        assert done is not None
        assert (done.points, done.segments) == m.take(m.hour_rows())
        m.compacted_through += HOUR
        return True

    def horizon(self) -> int:
        near = st.sampled_from(self.hours).flatmap(lambda h: st.integers(h, h + 2))
        return int(self.draw(instants(st.one_of(st.integers(-1, 27), near))))

    async def compact_until(self, horizon: int) -> None:
        while await self.compact_hour(horizon):
            pass

    async def check_compacted_through(self) -> None:
        w = await compaction.compacted_through(self.driver)
        assert w == instant(self.model.compacted_through)

    async def compact(self) -> None:
        horizon, until = self.horizon(), self.draw(st.booleans())
        note(f"compact_hour(horizon={rel(horizon)}){' until None' if until else ''}")
        if until:
            await self.compact_until(horizon)
        else:
            await self.compact_hour(horizon)
        await self.check_compacted_through()

    async def compact_late(self) -> None:
        limit = self.draw(st.one_of(st.integers(1, 5), st.just(100_000)))
        note(f"compact_late(limit={limit})")
        done = await self.late_step(limit)
        event(f"compact_late merged: {'some' if done.points else 'none'}")

    async def late_step(self, limit: int) -> compaction.Compacted:
        done = await compaction.compact_late(self.driver, limit=limit)
        assert (done.points, done.segments) == self.model.take(self.model.late_rows()[:limit])
        return done

    async def forget_slots(self) -> None:
        """What revision 0006 starts from, and what an older worker's rewrite leaves: segments
        without slots (reads decode them): every one, or every second or third hour's."""
        every = self.draw(st.sampled_from([1, 2, 3]))
        note(f"forget_slots(every {every})")
        await self.driver.execute(
            "UPDATE segments SET slots = NULL"
            " WHERE (extract(epoch FROM chunk_start)::bigint / 3600) %% %s = 0",
            (every,),
        )

    async def fill_slots(self) -> None:
        limit = self.draw(st.sampled_from([1, 2_000]))
        note(f"fill_slots(limit={limit})")
        filled = await compaction.fill_slots(self.driver, limit=limit)
        event(f"slots filled: {'some' if filled else 'none'}")

    async def sum_up(self) -> None:
        """Seal the slots before a five-minute instant, then some or all of the summing up."""
        m = self.model
        hot = sorted(ts for s in m.alive for ts in m.hot[s] if ts >= m.sealed_through)
        if hot and self.draw(st.booleans(), label="seal past a hot point"):
            through = self.draw(st.sampled_from(hot)) + self.draw(st.sampled_from([1, SLOT]))
        else:
            through = self.draw(instants(st.sampled_from(self.hours)))
        through += -(through - ORIGIN_US) % SLOT  # the next slot start, or this one
        steps = self.draw(
            st.sampled_from(
                ["seal", "seal, sum_up", "seal, sum_up", "seal, sum_up, stale", "stale"]
            )
        )
        note(f"{steps} (seal at {rel(through)})")
        await self.sum_up_with(through, steps)

    async def sum_up_with(self, through: int, steps: str) -> None:
        if "seal" in steps:
            moved = await recent_slots.seal(self.driver, instant(through))
            assert moved == (through > self.model.sealed_through)
            self.model.sealed_through = max(self.model.sealed_through, through)
        if "sum_up" in steps:
            event(f"summed up: {'some' if await recent_slots.sum_up(self.driver) else 'none'}")
        if "stale" in steps:
            stale = await recent_slots.sum_up_stale(self.driver)
            event(f"summed up again: {'some' if stale else 'none'}")

    async def partitions(self) -> None:
        now = self.draw(instants(st.integers(-2, 27)))
        ahead = timedelta(hours=self.draw(st.integers(0, 3)))
        drop = self.draw(st.booleans())
        note(f"create_ahead(now={rel(now)}, ahead={ahead})" + ("; drop_compacted" if drop else ""))
        await self.create_ahead(now, ahead)
        if drop:
            await self.drop_compacted()

    async def create_ahead(self, now: int, ahead: timedelta) -> None:
        made = await partitions.create_ahead(self.driver, instant(now), ahead, lock_timeout_ms=1000)
        event(f"partitions made: {'some' if made else 'none'}")

    async def drop_compacted(self) -> None:
        w = await compaction.compacted_through(self.driver)
        dropped = await partitions.drop_compacted(self.driver, w, lock_timeout_ms=100)
        event(f"partitions dropped: {'some' if dropped else 'none'}")

    def retention_days(self) -> tuple[int | None, int | None]:
        """The organisation's retention and the default: the days whose cutoff falls among the
        points most often."""
        near = self.days_near
        days = st.sampled_from([None, near - 1, near, near, near, near + 1])
        return self.draw(days), self.draw(days)

    async def expire(self) -> None:
        org_days, default_days = self.retention_days()
        await self.expire_with(org_days, default_days)

    async def expire_with(self, org_days: int | None, default_days: int | None) -> None:
        m = self.model
        m.retention_days = org_days
        await self.driver.execute(
            "UPDATE organizations SET retention_days = %s WHERE id = %s",
            (org_days, self.acme.organization_id),
        )
        effective = org_days if org_days is not None else default_days
        cutoff = None
        if effective is not None:
            cursor = await self.driver.execute("SELECT now() - %s * interval '1 day'", (effective,))
            cutoff = micros((await cursor.fetchone())[0])
        note(f"expire(org days={org_days}, default={default_days}): cutoff {rel(cutoff)}")
        if cutoff is not None and any(
            min(p) < cutoff <= max(p) for s in m.alive for p in m.segments[s].values()
        ):
            event("expire: a segment straddles the cutoff (kept whole)")
        done = await retention.expire(self.driver, default_days)
        expected = (0, 0) if cutoff is None else m.expire(cutoff)
        event(f"expired segments: {'some' if expected[0] else 'none'}")
        if expected[0] and any(m.segments[s] for s in m.alive):
            event("expired segments: some, and others kept")
        assert (done.segments, done.latest) == expected

    async def cycle(self) -> None:
        """The worker's cycle (maintenance.run_cycle) with a horizon of our own."""
        horizon, (org_days, default_days) = self.horizon(), self.retention_days()
        note(f"cycle to {rel(horizon)}:")
        await self.create_ahead(horizon, timedelta(hours=2))
        await self.compact_until(horizon)
        while (await self.late_step(100_000)).points:
            pass
        await self.check_compacted_through()
        await self.sum_up_with(horizon - (horizon - ORIGIN_US) % SLOT, "seal, sum_up, stale")
        await self.drop_compacted()
        await self.expire_with(org_days, default_days)

    async def delete(self) -> None:
        sid = self.signal()
        note(f"delete signal {sid}")
        response = await self.client.delete(f"/v1/signals/{sid}", headers=self.acme.auth())
        assert response.status_code == (204 if sid in self.model.alive else 404), response.text
        self.model.delete(sid)

    async def read_raw(self) -> None:
        sid = self.signal()
        start = self.range_time() if self.draw(st.booleans()) else None
        end = self.range_time() if self.draw(st.booleans()) else None
        desc = self.draw(st.booleans())
        limit = self.draw(st.one_of(st.integers(1, 5), st.integers(1, 30), st.just(1000)))
        note(f"raw {sid} [{rel(start)}, {rel(end)}) {'desc' if desc else 'asc'} limit {limit}")
        await self.check_raw(sid, start, end, desc, limit)

    async def check_raw(
        self, sid: int, start: int | None, end: int | None, desc: bool, limit: int
    ) -> None:
        params: dict[str, Any] = {"order": "desc" if desc else "asc", "limit": limit}
        if start is not None:
            params["start"] = stamp(start)
        if end is not None:
            params["end"] = stamp(end)
        url = f"/v1/signals/{sid}/measurements"
        if start is not None and end is not None and start >= end:
            assert (await self.get(url, params)).status_code == 422
            return
        if sid not in self.model.alive:
            assert (await self.get(url, params)).status_code == 404
            return
        expected = [(ts, bits(v)) for ts, v in self.model.in_range(sid, start, end)]
        if desc:
            expected.reverse()
        served: list[tuple[int, bytes]] = []
        for _ in range(MAX_PAGES):
            response = await self.get(url, params)
            assert response.status_code == 200, response.text
            page = response.json()
            items = [(parse(i["ts"]), bits(i["value"])) for i in page["items"]]
            assert items == expected[len(served) : len(served) + limit], ("page", len(served))
            served += items
            more = len(served) < len(expected)
            assert (page["next_cursor"] is not None) == more, ("next_cursor", len(served))
            if not more:
                event(f"raw read: {'several pages' if len(served) > limit else 'one page'}")
                break
            params["cursor"] = page["next_cursor"]

    def rollup_query(self) -> tuple[str, int, int]:
        bucket = self.draw(st.sampled_from(sorted(BUCKETS)))
        if bucket == "1d" and self.draw(st.booleans(), label="a day held whole"):
            # The range holds day 0 whole: its buckets' summaries come from segment_days.
            start = self.draw(instants(st.integers(-2, -1)))
            return bucket, start, self.draw(instants(st.integers(24, 27)))
        a, b = self.range_time(), self.range_time()
        if a == b:
            b += self.draw(st.sampled_from([1, HOUR]))
        return bucket, min(a, b), max(a, b)

    async def read_rollups(self) -> None:
        sid = self.signal()
        bucket, start, end = self.rollup_query()
        note(f"rollups {sid} {bucket} [{rel(start)}, {rel(end)})")
        params = {"bucket": bucket, "start": stamp(start), "end": stamp(end)}
        response = await self.get(f"/v1/signals/{sid}/rollups", params)
        if sid not in self.model.alive:
            assert response.status_code == 404, response.text
            return
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["bucket"] == bucket
        assert_rollups(body["items"], self.model.in_range(sid, start, end), BUCKETS[bucket])

    async def read_sealed_rollups(self) -> None:
        """Rollups of the sealed hot slots, where the summaries (and the log) are read."""
        m = self.model
        if m.sealed_through <= m.compacted_through:
            return await self.read_rollups()
        bucket = self.draw(st.sampled_from(["5m", "15m", "1h"]))
        start, end = m.compacted_through, m.sealed_through
        if self.draw(st.booleans(), label="cut at the ends"):
            start, end = start - self.draw(up_to(SLOT)), end + self.draw(up_to(SLOT))
        sid = self.signal()
        note(f"rollups {sid} {bucket} [{rel(start)}, {rel(end)}) over the sealed slots")
        cursor = await self.driver.execute(
            "SELECT (SELECT count(*) FROM recent_slots WHERE signal_id = %s),"
            " (SELECT count(*) FROM stale_slots WHERE signal_id = %s)",
            (sid, sid),
        )
        summed, stale = await cursor.fetchone()
        event(
            f"sealed rollups: {'summaries' if summed else 'none'}, {'stale' if stale else 'none'}"
        )
        params = {"bucket": bucket, "start": stamp(start), "end": stamp(end)}
        response = await self.get(f"/v1/signals/{sid}/rollups", params)
        if sid not in m.alive:
            assert response.status_code == 404, response.text
            return None
        assert response.status_code == 200, response.text
        assert_rollups(response.json()["items"], m.in_range(sid, start, end), BUCKETS[bucket])
        return None

    async def read_asset_rollups(self) -> None:
        ids = self.model.signal_ids
        only = self.draw(st.sampled_from([None, ids[:1], ids[1:], ids]))
        bucket, start, end = self.rollup_query()
        note(f"asset rollups {only} {bucket} [{rel(start)}, {rel(end)})")
        params: list[tuple[str, Any]] = [
            ("bucket", bucket),
            ("start", stamp(start)),
            ("end", stamp(end)),
        ]
        params += [("signal_id", s) for s in only or []]
        response = await self.get(f"/v1/assets/{self.fleet.asset_id}/rollups", params)
        assert response.status_code == 200, response.text
        body = response.json()
        listed = sorted(s for s in self.model.alive if only is None or s in only)
        assert [s["signal_id"] for s in body["signals"]] == listed
        for series in body["signals"]:
            sid = series["signal_id"]
            assert_rollups(series["items"], self.model.in_range(sid, start, end), BUCKETS[bucket])

    async def read_latest(self) -> None:
        note("latest")
        response = await self.get(f"/v1/assets/{self.fleet.asset_id}/latest", {})
        assert response.status_code == 200, response.text
        got = [
            (s["signal_id"], None if s["ts"] is None else (parse(s["ts"]), bits(s["value"])))
            for s in response.json()["signals"]
        ]
        want = []
        for sid in sorted(self.model.alive):
            point = self.model.latest[sid]
            want.append((sid, None if point is None else (point[0], bits(point[1]))))
        assert got == want

    async def trespass(self) -> None:
        """Another tenant neither reads nor writes these signals."""
        sid = self.signal()
        note(f"globex reads and writes signal {sid}")
        window = {"start": stamp(BASE_US - HOUR), "end": stamp(BASE_US + 27 * HOUR)}
        for url in (f"/v1/signals/{sid}/measurements", f"/v1/signals/{sid}/rollups"):
            assert (await self.get(url, window, self.globex)).status_code == 404
        url = f"/v1/assets/{self.fleet.asset_id}/latest"
        assert (await self.get(url, {}, self.globex)).status_code == 404
        body = {"points": [{"signal_id": sid, "ts": stamp(self.point_time()), "value": 1.0}]}
        response = await self.client.post("/v1/measurements", json=body, headers=self.globex.auth())
        assert response.status_code == 422, response.text

    async def check_everything(self) -> None:
        """Every signal read whole, and what each store holds."""
        note("final checks")
        m = self.model
        limit = self.draw(st.one_of(st.just(10_000), st.integers(1, 9)), label="final limit")
        for sid in m.signal_ids:
            for desc in (False, True):
                await self.check_raw(sid, None, None, desc, limit)
        cursor = await self.driver.execute(
            "SELECT signal_id, ts, value FROM measurements WHERE signal_id = ANY(%s)",
            (m.signal_ids,),
        )
        hot = {(s, micros(ts), bits(v)) for s, ts, v in await cursor.fetchall()}
        assert hot == {(s, ts, bits(v)) for s in m.signal_ids for ts, v in m.hot[s].items()}
        cursor = await self.driver.execute(
            "SELECT signal_id, chunk_start, first_ts, last_ts, count, min, max, sum FROM segments"
            " WHERE signal_id = ANY(%s)",
            (m.signal_ids,),
        )
        stored = {
            (s, micros(chunk)): (micros(first), micros(last), n, lo, hi, total)
            for s, chunk, first, last, n, lo, hi, total in await cursor.fetchall()
        }
        want = {
            (s, chunk): (
                min(p),
                max(p),
                len(p),
                min(p.values()),
                max(p.values()),
                math.fsum(p.values()),
            )
            for s in m.signal_ids
            for chunk, p in m.segments[s].items()
        }
        assert stored.keys() == want.keys()
        for key, (first, last, n, lo, hi, total) in stored.items():
            assert (first, last, n, lo, hi) == want[key][:5], key
            assert abs(total - want[key][5]) <= 1e-9 * max(abs(lo), abs(hi)) * n, key
        await self.check_segment_days()
        await self.check_recent_slots()
        await self.check_compacted_through()

    async def check_recent_slots(self) -> None:
        """Each hot slot that rollups take whole from its summary (sealed and summed up, past
        compaction's edge, not logged as changed since) has the summary of its hot rows."""
        m = self.model
        cursor = await self.driver.execute("SELECT summarised_through FROM storage_state")
        summarised = micros((await cursor.fetchone())[0])
        assert summarised <= m.sealed_through
        cursor = await self.driver.execute(
            "SELECT signal_id, slot, count, min, max, sum FROM recent_slots r"
            " WHERE signal_id = ANY(%s) AND slot >= %s AND slot < %s AND NOT EXISTS ("
            "SELECT FROM stale_slots x WHERE x.signal_id = r.signal_id AND x.slot = r.slot)",
            (m.signal_ids, instant(m.compacted_through), instant(summarised)),
        )
        stored = {(s, micros(slot)): row for s, slot, *row in await cursor.fetchall()}
        cursor = await self.driver.execute(
            "SELECT signal_id, slot FROM stale_slots WHERE signal_id = ANY(%s)", (m.signal_ids,)
        )
        stale = {(s, micros(slot)) for s, slot in await cursor.fetchall()}
        slots: dict[tuple[int, int], list[float]] = {}
        for s in m.alive:
            for ts, value in m.hot[s].items():
                if m.compacted_through <= ts < summarised:
                    slot = ts - (ts - ORIGIN_US) % SLOT
                    slots.setdefault((s, slot), []).append(value)
        assert stored.keys() == slots.keys() - stale
        for key, (n, lo, hi, total) in stored.items():
            values = slots[key]
            assert (n, lo, hi) == (len(values), min(values), max(values)), key
            assert abs(total - math.fsum(values)) <= 1e-9 * max(map(abs, values)) * n, key
        event(f"summaries checked: {'some' if stored else 'none'}")

    async def check_segment_days(self) -> None:
        """The day summaries are those of the segments each day holds, and no other."""
        m = self.model
        cursor = await self.driver.execute(
            "SELECT signal_id, day, count, min, max, sum FROM segment_days"
            " WHERE signal_id = ANY(%s)",
            (m.signal_ids,),
        )
        stored = {(s, micros(day)): row for s, day, *row in await cursor.fetchall()}
        days: dict[tuple[int, int], list[float]] = {}
        for s in m.signal_ids:
            for chunk, p in m.segments[s].items():
                day = ORIGIN_US + (chunk - ORIGIN_US) // DAY * DAY
                days.setdefault((s, day), []).extend(p.values())
        assert stored.keys() == days.keys()
        for key, (n, lo, hi, total) in stored.items():
            values = days[key]
            assert (n, lo, hi) == (len(values), min(values), max(values)), key
            assert abs(total - math.fsum(values)) <= 1e-9 * max(map(abs, values)) * n, key

    async def step(self) -> None:
        name = self.draw(st.sampled_from(OPERATIONS), label="operation")
        event(name)
        await getattr(self, name)()


@pytest.mark.timeout(900)  # passing: under a minute; failing, shrinking takes up to 5 more
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_the_stores_read_like_a_dict_of_points(
    client: httpx.AsyncClient,
    acme: Tenant,
    globex: Tenant,
    fleet: Fleet,
    driver: Any,
    data: st.DataObject,
) -> None:
    cursor = await driver.execute("SELECT now()")
    now: datetime = (await cursor.fetchone())[0]
    days_near = (now - BASE).days  # the cutoff of that many days falls in [BASE, BASE + 1 day)
    cutoff_hour = (now - timedelta(days=days_near) - BASE) // timedelta(hours=1)
    near_cutoff = [h for h in range(cutoff_hour - 1, cutoff_hour + 2) if h in POINT_HOURS]
    hour = st.one_of(
        st.integers(POINT_HOURS.start, POINT_HOURS.stop - 1),  # anywhere
        st.integers(-1, 3),  # where compaction starts (hour -1: late from the start)
        st.sampled_from(near_cutoff),  # where retention cuts
    )
    async with driver.transaction(force_rollback=True):  # each example: a savepoint, undone
        await set_compacted_through(driver, BASE)
        hours = data.draw(st.lists(hour, min_size=1, max_size=4, unique=True), label="hours")
        model = Model.of(fleet.signal_ids)
        run = Run(client, acme, globex, fleet, driver, data, days_near, model, hours)
        steps = 1 + data.draw(up_to(MAX_STEPS - 1), label="steps")
        event(f"steps: {steps // 10 * 10}+")
        for _ in range(steps):
            await run.step()
        event(f"points: {sum(len(model.points(s)) for s in fleet.signal_ids) // 20 * 20}+")
        await run.check_everything()

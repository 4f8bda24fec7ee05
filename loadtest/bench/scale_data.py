"""`make bench-scale`'s data: the organisation, assets and signals, N points of random walks
loaded by binary COPY in time order, and the bytes the point tables and segments take."""

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import psycopg

SERIES, ASSETS, STEP_US = 100, 4, 10_000_000
HOUR_US, DAY_US, MINUTE_US = 3_600_000_000, 86_400_000_000, 60_000_000
PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01 in Unix microseconds
_FIELDS = [("sid", ">i8"), ("ts", ">i8"), ("v", ">f8")]
# A row of binary COPY: the field count, then each field's length and value.
COPY_ROW = np.dtype(
    [("n", ">i2"), *(item for i, f in enumerate(_FIELDS, 1) for item in ((f"l{i}", ">i4"), f))]
)


def parse_count(text: str) -> int:
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1].lower(), 1)
    return int(float(text[:-1] if scale > 1 else text) * scale)


def iso(us: int) -> str:
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)).isoformat()


def scalar(conn: psycopg.Connection[Any], sql: str, params: Any = None) -> Any:
    row = conn.execute(sql, params).fetchone()
    assert row is not None
    return row[0]


def make_schema(conn: psycopg.Connection[Any]) -> tuple[list[int], list[int]]:
    org = scalar(
        conn, "INSERT INTO organizations (slug, name) VALUES ('scale', 'Scale') RETURNING id"
    )
    assets, signals = [], []
    for a in range(ASSETS):
        sql = (
            "INSERT INTO assets (organization_id, name, kind) VALUES (%s, %s, 'node') RETURNING id"
        )
        assets.append(scalar(conn, sql, (org, f"node {a}")))
        for s in range(SERIES // ASSETS):
            sql = "INSERT INTO signals (asset_id, name) VALUES (%s, %s) RETURNING id"
            signals.append(scalar(conn, sql, (assets[-1], f"s{s}")))
    conn.commit()
    return assets, signals


def copy_buffer(sids: np.ndarray, ts_us: np.ndarray, values: np.ndarray) -> bytes:
    """Rows in PostgreSQL's binary COPY format, built by numpy (no Python loop per row)."""
    out = np.empty(len(sids), dtype=COPY_ROW)
    out["n"], out["l1"], out["l2"], out["l3"] = 3, 8, 8, 8
    out["sid"], out["ts"], out["v"] = sids, ts_us - PG_EPOCH_US, values
    return out.tobytes()


def load(conn: psycopg.Connection[Any], signals: list[int], first_us: int, instants: int) -> None:
    """`instants` points of every series from `first_us` on, in time order."""
    rng = np.random.default_rng(7)
    level = 20 + rng.normal(0, 5, SERIES)
    sid_row = np.array(signals, dtype=np.int64)
    block = 10_000  # instants per COPY
    for first in range(0, instants, block):
        n = min(block, instants - first)
        walk = level + np.cumsum(rng.normal(0, 0.5, (n, SERIES)), axis=0)
        level = walk[-1]
        ts = first_us + (first + np.arange(n, dtype=np.int64)) * STEP_US
        rows = copy_buffer(np.tile(sid_row, n), np.repeat(ts, SERIES), np.round(walk, 1).ravel())
        copy_sql = "COPY measurements (signal_id, ts, value) FROM STDIN WITH (FORMAT binary)"
        with conn.cursor().copy(copy_sql) as copy:
            copy.write(b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8 + rows + b"\xff\xff")
        conn.commit()
    conn.execute(
        "UPDATE signals s SET last_ts = m.ts, last_value = m.value FROM ("
        " SELECT DISTINCT ON (signal_id) signal_id, ts, value FROM measurements"
        " WHERE ts >= to_timestamp(%s / 1e6) ORDER BY signal_id, ts DESC"
        ") AS m WHERE m.signal_id = s.id",
        (first_us + (instants - 1) * STEP_US - HOUR_US,),
    )
    conn.commit()


def storage(conn: psycopg.Connection[Any]) -> dict[str, int]:
    """Bytes of the point tables (all partitions, with indexes) and of segments with their day
    summaries, vacuumed."""
    conn.commit()
    conn.autocommit = True
    conn.execute("VACUUM ANALYZE")
    conn.autocommit = False
    rows = scalar(
        conn,
        "SELECT coalesce(sum(pg_total_relation_size(oid)), 0) FROM pg_class "
        "WHERE relkind = 'r' AND relname LIKE 'measurements%%'",
    )
    return {
        "rows": int(rows),
        "segments": int(
            scalar(
                conn,
                "SELECT pg_total_relation_size('segments')"
                " + pg_total_relation_size('segment_days')",
            )
        ),
        "database": int(scalar(conn, "SELECT pg_database_size(current_database())")),
    }

"""Retention: whole segments older than their organisation's retention are deleted.

Expiry works an hour chunk at a time: a segment goes once its newest point is older than the
retention, never a point at a time. Late points older than that are compacted first (the
worker runs compaction before retention), so they leave with their segment. A signal whose
latest point expired shows no latest point any more.
"""

from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection

_POLICY = """
WITH policy AS (
    SELECT o.id, now() - o.days * interval '1 day' AS cutoff
    FROM (
        SELECT id, coalesce(retention_days, CAST(%(default_days)s AS integer)) AS days
        FROM organizations
    ) AS o
    WHERE o.days IS NOT NULL
), expiring AS (
    SELECT s.id, policy.cutoff FROM signals s
    JOIN assets a ON a.id = s.asset_id JOIN policy ON policy.id = a.organization_id
)
"""

EXPIRE_SEGMENTS = (
    _POLICY
    + """
DELETE FROM segments USING expiring
WHERE segments.signal_id = expiring.id AND segments.last_ts < expiring.cutoff
"""
)

FORGET_LATEST = (
    _POLICY
    + """
UPDATE signals SET last_ts = NULL, last_value = NULL FROM expiring
WHERE signals.id = expiring.id AND signals.last_ts < expiring.cutoff
"""
)


@dataclass
class Expired:
    segments: int = 0
    latest: int = 0


async def expire(conn: AsyncConnection[Any], default_days: int | None) -> Expired:
    """Apply every organisation's retention (`default_days` where it set none; None: forever)."""
    params = {"default_days": default_days}
    async with conn.transaction():
        segments = await conn.execute(EXPIRE_SEGMENTS, params)
        latest = await conn.execute(FORGET_LATEST, params)
    return Expired(segments=segments.rowcount, latest=latest.rowcount)

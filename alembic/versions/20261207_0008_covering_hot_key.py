"""The hot rows' primary key carries their value (`INCLUDE (value)`).

Rollups aggregate the hot window's rows live, and raw reads page through them: with the value
in the key, both read the index alone (an index-only scan) instead of visiting a heap page per
row. Rows arrive in time order, every signal's interleaved, so one signal's hour of rows lies on
hundreds of heap pages but on a few pages of the key.

The key is rebuilt on every partition, under a lock that holds ingest back meanwhile: the hot
window's partitions take a fraction of a second. A DEFAULT partition still holding a history
the worker has yet to compact (straight after 0005 on a large table) takes longer: upgrade once
the worker has caught up (README, "Operations").

The downgrade puts back the key without the value.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 15:30:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _key(include: str) -> None:
    op.execute(
        "ALTER TABLE measurements DROP CONSTRAINT pk_measurements, "
        f"ADD CONSTRAINT pk_measurements PRIMARY KEY (signal_id, ts){include}"
    )


def upgrade() -> None:
    _key(" INCLUDE (value)")


def downgrade() -> None:
    _key("")

"""SQLAlchemy Core tables: the single source of truth for the schema and Alembic autogenerate."""

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Double,
    Enum,
    ForeignKey,
    Identity,
    Index,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, CITEXT, JSONB

from assetwatch.domain.api_keys import Role

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _id() -> Column[int]:
    return Column("id", BigInteger, Identity(), primary_key=True)


def _created_at() -> Column[object]:
    return Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now())


organizations = Table(
    "organizations",
    metadata,
    _id(),
    Column("slug", CITEXT, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    _created_at(),
    # Days its telemetry is kept; NULL: the deployment's default (RETENTION_DAYS).
    Column("retention_days", BigInteger, CheckConstraint("retention_days >= 1", name="positive")),
)

api_keys = Table(
    "api_keys",
    metadata,
    _id(),
    Column(
        "organization_id",
        BigInteger,
        ForeignKey("organizations.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("name", Text, nullable=False),
    Column("prefix", String(32), nullable=False, unique=True),
    Column("secret_hash", String(64), nullable=False),
    Column(
        "role",
        Enum(
            Role,
            name="role",
            native_enum=False,
            create_constraint=True,
            length=16,
            values_callable=lambda roles: [r.value for r in roles],
        ),
        nullable=False,
    ),
    _created_at(),
    Column("revoked_at", DateTime(timezone=True)),
)

assets = Table(
    "assets",
    metadata,
    _id(),
    Column(
        "organization_id",
        BigInteger,
        ForeignKey("organizations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("name", CITEXT, nullable=False),
    Column("kind", Text, nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("attributes", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    _created_at(),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # Normalised by the domain (trimmed, lowercased, unique); `tags @> ARRAY[:tag]` uses the GIN.
    Column("tags", ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
    # Leads with organization_id, so it is also the index behind the FK and the keyset list.
    UniqueConstraint("organization_id", "name"),
    Index("ix_assets_organization_id_id", "organization_id", "id"),
    # Built CONCURRENTLY by its own revision (20261122_0003), outside a transaction.
    Index("ix_assets_tags", "tags", postgresql_using="gin"),
)

signals = Table(
    "signals",
    metadata,
    _id(),
    Column(
        "asset_id",
        BigInteger,
        ForeignKey("assets.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("name", CITEXT, nullable=False),
    Column("unit", Text),
    Column("description", Text, nullable=False, server_default=""),
    _created_at(),
    Column("last_ts", DateTime(timezone=True)),
    Column("last_value", Double),
    # Leads with asset_id: the index behind the FK.
    UniqueConstraint("asset_id", "name"),
)

# The hot points: one row a point, the recent hours (and late points) only. Partitioned by
# hour (migration 0005): the maintenance worker creates partitions ahead of time, compacts each
# closed hour into `segments` and drops its partition; a DEFAULT partition takes any point
# whose hour has no partition (late points, or all of them while the worker is away).
# No FK to signals (migration 0004): checked per point it cost ingest two thirds of its
# database time. The ingest statement locks the batch's signals instead, and a trigger on
# signals deletes the points of a deleted signal (here and in segments).
measurements = Table(
    "measurements",
    metadata,
    Column("signal_id", BigInteger, nullable=False),
    Column("ts", DateTime(timezone=True), nullable=False),
    Column("value", Double, nullable=False),
    # Leads with signal_id: the index behind every range read and the trigger's delete. It
    # does not carry the value: 8 % of ingest for faster hot reads (NARRATIVE.md).
    PrimaryKeyConstraint("signal_id", "ts"),
    # Compaction takes an hour of every signal at once: a block range index finds it.
    Index("ix_measurements_ts", "ts", postgresql_using="brin"),
    postgresql_partition_by="RANGE (ts)",
)

# Closed time: one row per signal per hour (`chunk_start`), its points compressed into one blob
# (assetwatch.encoding.segment) beside their count, min, max and sum, which answer rollups of
# whole hours without decoding anything, and the same per five minutes (`slots`,
# assetwatch.encoding.slots) for buckets of whole five minutes; NULL until the worker fills them.
segments = Table(
    "segments",
    metadata,
    Column("signal_id", BigInteger, nullable=False),
    Column("chunk_start", DateTime(timezone=True), nullable=False),
    Column("first_ts", DateTime(timezone=True), nullable=False),
    Column("last_ts", DateTime(timezone=True), nullable=False),
    Column("count", BigInteger, nullable=False),
    Column("min", Double, nullable=False),
    Column("max", Double, nullable=False),
    Column("sum", Double, nullable=False),
    Column("points", LargeBinary, nullable=False),
    Column("slots", LargeBinary, nullable=True),
    # Leads with signal_id (the reads, the trigger's delete, a distribution key); the summary
    # columns ride along so that whole-hour rollups are index-only scans.
    PrimaryKeyConstraint(
        "signal_id",
        "chunk_start",
        postgresql_include=["first_ts", "last_ts", "count", "min", "max", "sum"],
    ),
    # What the worker has still to give slots: empty once it has caught up.
    Index(
        "ix_segments_without_slots",
        "signal_id",
        "chunk_start",
        postgresql_where=text("slots IS NULL"),
    ),
)

# The segments' summaries per signal per day (midnight UTC), for rollups of whole days: one row
# a day instead of 24. Kept exact by triggers on `segments` (migration 0007), which recount the
# days a statement touched, whoever wrote it.
segment_days = Table(
    "segment_days",
    metadata,
    Column("signal_id", BigInteger, nullable=False),
    Column("day", DateTime(timezone=True), nullable=False),
    Column("count", BigInteger, nullable=False),
    Column("min", Double, nullable=False),
    Column("max", Double, nullable=False),
    Column("sum", Double, nullable=False),
    # Leads with signal_id, like every telemetry table; index-only scans answer the rollups.
    PrimaryKeyConstraint("signal_id", "day", postgresql_include=["count", "min", "max", "sum"]),
)

# One row: everything before `compacted_through` lives in segments, apart from late points
# still in `measurements`; `recent_slots` sums up the sealed slots from there to
# `summarised_through`.
storage_state = Table(
    "storage_state",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("compacted_through", DateTime(timezone=True), nullable=False),
    Column(
        "summarised_through",
        DateTime(timezone=True),
        nullable=False,
        server_default=text("'-infinity'"),  # nothing summed up (migration 0008)
    ),
    CheckConstraint("id = 1", name="one_row"),
)

# The hot rows' summaries per signal per five minutes (a slot), for rollups of whole five
# minutes: written by the maintenance worker for sealed slots of uncompacted time (migration
# 0008). A slot logged in `stale_slots` has changed since: reads take its rows instead.
recent_slots = Table(
    "recent_slots",
    metadata,
    Column("signal_id", BigInteger, nullable=False),
    Column("slot", DateTime(timezone=True), nullable=False),
    Column("count", BigInteger, nullable=False),
    Column("min", Double, nullable=False),
    Column("max", Double, nullable=False),
    Column("sum", Double, nullable=False),
    # Leads with signal_id, like every telemetry table; index-only scans answer the rollups.
    PrimaryKeyConstraint("signal_id", "slot", postgresql_include=["count", "min", "max", "sum"]),
)

# Sealed slots that a batch wrote into (a late or re-sent point), logged by ingest until the
# worker has summed them up again.
stale_slots = Table(
    "stale_slots",
    metadata,
    Column("signal_id", BigInteger, nullable=False),
    Column("slot", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("signal_id", "slot"),
)

# One row: slots before `sealed_through` are sealed. Apart from `storage_state`, which
# compaction holds for the length of an hour's step, because every ingest statement reads it
# under a share lock: the worker's move of the seal waits for the batches that saw the old one.
slot_seal = Table(
    "slot_seal",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("sealed_through", DateTime(timezone=True), nullable=False),
    CheckConstraint("id = 1", name="one_row"),
)

"""SQLAlchemy Core tables: the single source of truth for the schema and Alembic autogenerate."""

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Double,
    Enum,
    ForeignKey,
    Identity,
    Index,
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

measurements = Table(
    "measurements",
    metadata,
    # No FK to signals (migration 0004): checked per point it cost ingest two thirds of its
    # database time. The ingest statement locks the batch's signals instead, and a trigger on
    # signals deletes the points of a deleted signal.
    Column("signal_id", BigInteger, nullable=False),
    Column("ts", DateTime(timezone=True), nullable=False),
    Column("value", Double, nullable=False),
    # Leads with signal_id: the index behind every range read and the trigger's delete.
    PrimaryKeyConstraint("signal_id", "ts"),
)

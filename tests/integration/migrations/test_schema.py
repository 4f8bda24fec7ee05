"""The schema the migrations build, read from the catalogue of the migrated test database.

Read-only: `migrated_url` is the clone of the template Alembic migrated once to head. The
generic rules (every foreign key has an index, every table a primary key) are checked by
queries that a control on a deliberately bad fresh database shows can fail.

`measurements` is partitioned by hour (0005): the migrations attach the former table as its
DEFAULT partition and make no other (the worker makes the hourly ones), so the database at head
holds exactly that one partition, with the columns of its parent.
"""

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, text

from tests.integration.migrations.catalog import (
    connect,
    fk_columns_without_index,
    partitions,
    schema,
    tables,
    tables_without_primary_key,
)

TIMESTAMPTZ = "timestamp with time zone"
EXPECTED_COLUMNS = {
    "organizations": {
        "id": "bigint",
        "slug": "citext",
        "name": "text",
        "created_at": TIMESTAMPTZ,
        "retention_days": "bigint",
    },
    "api_keys": {
        "id": "bigint",
        "organization_id": "bigint",
        "name": "text",
        "prefix": "character varying(32)",
        "secret_hash": "character varying(64)",
        "role": "character varying(16)",
        "created_at": TIMESTAMPTZ,
        "revoked_at": TIMESTAMPTZ,
    },
    "assets": {
        "id": "bigint",
        "organization_id": "bigint",
        "name": "citext",
        "kind": "text",
        "description": "text",
        "attributes": "jsonb",
        "tags": "text[]",
        "created_at": TIMESTAMPTZ,
        "updated_at": TIMESTAMPTZ,
    },
    "signals": {
        "id": "bigint",
        "asset_id": "bigint",
        "name": "citext",
        "unit": "text",
        "description": "text",
        "created_at": TIMESTAMPTZ,
        "last_ts": TIMESTAMPTZ,
        "last_value": "double precision",
    },
    "measurements": {"signal_id": "bigint", "ts": TIMESTAMPTZ, "value": "double precision"},
    "segments": {
        "signal_id": "bigint",
        "chunk_start": TIMESTAMPTZ,
        "first_ts": TIMESTAMPTZ,
        "last_ts": TIMESTAMPTZ,
        "count": "bigint",
        "min": "double precision",
        "max": "double precision",
        "sum": "double precision",
        "points": "bytea",
        "slots": "bytea",
    },
    "storage_state": {
        "id": "bigint",
        "compacted_through": TIMESTAMPTZ,
        "summarised_through": TIMESTAMPTZ,
    },
    "recent_slots": {
        "signal_id": "bigint",
        "slot": TIMESTAMPTZ,
        "count": "bigint",
        "min": "double precision",
        "max": "double precision",
        "sum": "double precision",
    },
    "stale_slots": {"signal_id": "bigint", "slot": TIMESTAMPTZ},
    "slot_seal": {"id": "bigint", "sealed_through": TIMESTAMPTZ},
    "segment_days": {
        "signal_id": "bigint",
        "day": TIMESTAMPTZ,
        "count": "bigint",
        "min": "double precision",
        "max": "double precision",
        "sum": "double precision",
    },
}
# partition: (parent, bound)
PARTITIONS = {"measurements_default": ("measurements", "DEFAULT")}
NULLABLE = {
    ("organizations", "retention_days"),
    ("api_keys", "revoked_at"),
    ("signals", "unit"),
    ("signals", "last_ts"),
    ("signals", "last_value"),
    ("segments", "slots"),  # 0006: until the worker computes them
}


@pytest.fixture(scope="module")
def db(migrated_url: str) -> Iterator[Connection]:
    with connect(migrated_url) as connection:
        yield connection


def test_the_expected_tables_and_nothing_else(db: Connection) -> None:
    """The partitions are tables too: the one the migrations make is expected, and no other."""
    assert tables(db) == set(EXPECTED_COLUMNS) | set(PARTITIONS) | {"alembic_version"}


def test_measurements_is_partitioned_by_time_with_the_former_table_as_default(
    db: Connection,
) -> None:
    key = db.scalar(text("SELECT pg_get_partkeydef('measurements'::regclass)"))
    assert key == "RANGE (ts)"
    assert partitions(db) == PARTITIONS


def test_columns_types_and_nullability(db: Connection) -> None:
    found: dict[str, dict[str, str]] = {}
    nullable = set()
    for table, column, type_, not_null, *_ in schema(db)["columns"]:
        found.setdefault(table, {})[column] = type_
        if not not_null:
            nullable.add((table, column))
    for partition, (parent, _) in PARTITIONS.items():
        assert found.pop(partition) == found[parent]
        assert {c for t, c in nullable if t == partition} == {c for t, c in nullable if t == parent}
        nullable = {(t, c) for t, c in nullable if t != partition}
    assert found == EXPECTED_COLUMNS
    assert nullable == NULLABLE


def test_check_constraints(db: Connection) -> None:
    """Named by the convention of tables.py (ck_<table>_<name>), as autogenerate would name them."""
    rows = db.execute(
        text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
            " FROM pg_constraint WHERE contype = 'c' AND connamespace = 'public'::regnamespace"
        )
    ).all()
    assert {(table, name) for table, name, _ in rows} == {
        ("api_keys", "ck_api_keys_role"),
        ("organizations", "ck_organizations_positive"),
        ("storage_state", "ck_storage_state_one_row"),
        ("slot_seal", "ck_slot_seal_one_row"),
    }
    definitions = {name: definition for _, name, definition in rows}
    assert definitions["ck_organizations_positive"] == "CHECK ((retention_days >= 1))"
    assert definitions["ck_storage_state_one_row"] == "CHECK ((id = 1))"


def test_the_storage_state_has_its_one_row(db: Connection) -> None:
    assert db.execute(text("SELECT id FROM storage_state")).scalars().all() == [1]


def test_indexes_of_the_stores(db: Connection) -> None:
    """Segments and their day summaries: the summaries ride in the primary key (index-only
    rollups). Measurements: a BRIN on ts for compaction's hour, built on each partition too."""
    indexes = {name: definition for name, definition, _ in schema(db)["indexes"]}
    assert indexes["pk_segments"] == (
        "CREATE UNIQUE INDEX pk_segments ON public.segments USING btree (signal_id, chunk_start)"
        " INCLUDE (first_ts, last_ts, count, min, max, sum)"
    )
    assert indexes["ix_segments_without_slots"] == (
        "CREATE INDEX ix_segments_without_slots ON public.segments"
        " USING btree (signal_id, chunk_start) WHERE (slots IS NULL)"
    )
    assert indexes["pk_measurements"] == (
        "CREATE UNIQUE INDEX pk_measurements ON ONLY public.measurements"
        " USING btree (signal_id, ts)"
    )
    assert indexes["pk_segment_days"] == (
        "CREATE UNIQUE INDEX pk_segment_days ON public.segment_days USING btree (signal_id, day)"
        " INCLUDE (count, min, max, sum)"
    )
    assert indexes["pk_recent_slots"] == (
        "CREATE UNIQUE INDEX pk_recent_slots ON public.recent_slots USING btree (signal_id, slot)"
        " INCLUDE (count, min, max, sum)"
    )
    assert indexes["pk_stale_slots"] == (
        "CREATE UNIQUE INDEX pk_stale_slots ON public.stale_slots USING btree (signal_id, slot)"
    )
    assert indexes["ix_measurements_ts"] == (
        "CREATE INDEX ix_measurements_ts ON ONLY public.measurements USING brin (ts)"
    )
    attached = db.execute(
        text(
            "SELECT c.relname, i.indexrelid::regclass::text, p.relname"
            " FROM pg_inherits h JOIN pg_index i ON i.indexrelid = h.inhrelid"
            " JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class p ON p.oid = h.inhparent"
            " WHERE p.relname IN ('pk_measurements', 'ix_measurements_ts')"
        )
    ).all()
    assert {(table, parent) for table, _, parent in attached} == {
        (partition, index)
        for partition in PARTITIONS
        for index in ("pk_measurements", "ix_measurements_ts")
    }


def test_names_compare_case_insensitively(db: Connection) -> None:
    assert db.scalar(text("SELECT 'Tractor'::citext = 'TRACTOR'::citext")) is True


def test_unique_constraints(db: Connection) -> None:
    rows = db.execute(
        text(
            "SELECT conrelid::regclass::text, (SELECT array_agg(attname ORDER BY n)"
            " FROM unnest(conkey) WITH ORDINALITY k(attnum, n) JOIN pg_attribute"
            " ON attrelid = conrelid AND pg_attribute.attnum = k.attnum)"
            " FROM pg_constraint WHERE contype = 'u' AND connamespace = 'public'::regnamespace"
        )
    ).all()
    assert {(table, tuple(columns)) for table, columns in rows} == {
        ("organizations", ("slug",)),
        ("api_keys", ("prefix",)),
        ("assets", ("organization_id", "name")),
        ("signals", ("asset_id", "name")),
    }


def test_foreign_keys_cascade_from_their_parent(db: Connection) -> None:
    rows = db.execute(
        text(
            "SELECT conrelid::regclass::text, confrelid::regclass::text, confdeltype"
            " FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace"
        )
    ).all()
    assert set(rows) == {
        ("api_keys", "organizations", "c"),
        ("assets", "organizations", "c"),
        ("signals", "assets", "c"),
    }


def test_measurements_go_with_their_signal_by_a_trigger_not_a_foreign_key(db: Connection) -> None:
    """Migration 0004: a per-point FK check was two thirds of an ingest's database time."""
    triggers = {name: (table, body) for table, name, body in schema(db)["triggers"]}
    table, trigger = triggers["signals_delete_measurements"]
    assert table == "signals"
    assert "AFTER DELETE ON public.signals REFERENCING OLD TABLE" in trigger
    assert "FOR EACH STATEMENT" in trigger
    # 0005: and the segments with them.
    (function,) = [body for name, body in schema(db)["functions"] if name in trigger]
    assert "DELETE FROM measurements WHERE signal_id = ANY($1)" in function
    assert "DELETE FROM segments WHERE signal_id = ANY($1)" in function


def test_a_rewrite_of_a_segments_points_that_keeps_its_slots_clears_them(db: Connection) -> None:
    """0006: an older release's worker rewrites points without knowing slots, which would then
    describe points no longer there; a rewrite of both (this release's) keeps the new ones."""
    insert = text(
        "INSERT INTO segments VALUES (424242, '2026-01-01', '2026-01-01', '2026-01-01', 1, 1, 1,"
        " 1, 'old points', 'old slots')"
    )
    slots_now = text("SELECT slots FROM segments WHERE signal_id = 424242")
    try:
        db.execute(insert)
        db.execute(text("UPDATE segments SET points = 'new' WHERE signal_id = 424242"))
        assert db.execute(slots_now).scalar_one() is None
        db.execute(
            text("UPDATE segments SET points = 'newer', slots = 'new' WHERE signal_id = 424242")
        )
        assert db.execute(slots_now).scalar_one() == b"new"
        db.execute(text("UPDATE segments SET count = 2 WHERE signal_id = 424242"))
        assert db.execute(slots_now).scalar_one() == b"new"
    finally:
        db.rollback()


def test_every_foreign_key_column_leads_an_index(db: Connection) -> None:
    assert fk_columns_without_index(db) == []


def test_every_table_has_a_primary_key(db: Connection) -> None:
    assert tables_without_primary_key(db) == []


def test_asset_tags_have_a_valid_gin_index_that_serves_the_tag_filter(db: Connection) -> None:
    method, valid = db.execute(
        text(
            "SELECT am.amname, i.indisvalid FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam"
            " WHERE i.indexrelid = 'ix_assets_tags'::regclass"
        )
    ).one()
    assert (method, valid) == ("gin", True)
    db.rollback()  # SET LOCAL below lasts until the end of this transaction only
    db.execute(text("SET LOCAL enable_seqscan = off"))
    plan = db.scalars(
        text("EXPLAIN SELECT id FROM assets WHERE tags @> ARRAY[:tag]::text[]"),
        {"tag": "north"},
    ).all()
    db.rollback()
    assert any("ix_assets_tags" in line for line in plan), plan


def test_the_rule_checks_catch_what_they_look_for(fresh_database_url: str) -> None:
    """Control: the catalogue queries above do report a missing index or primary key."""
    with connect(fresh_database_url) as connection:
        connection.execute(
            text(
                "CREATE TABLE parent (id bigint PRIMARY KEY);"
                " CREATE TABLE child (id bigint PRIMARY KEY, other int,"
                "  parent_id bigint REFERENCES parent (id));"
                " CREATE INDEX child_other_parent ON child (other, parent_id);"
                " CREATE TABLE loose (x int);"
                " CREATE TABLE events (ts timestamptz) PARTITION BY RANGE (ts);"
                " CREATE TABLE events_default PARTITION OF events DEFAULT"
            )
        )
        assert fk_columns_without_index(connection) == [("child", ["parent_id"])]
        assert tables_without_primary_key(connection) == [
            ("events",),
            ("events_default",),
            ("loose",),
        ]

        connection.execute(text("CREATE INDEX child_parent ON child (parent_id, other)"))
        assert fk_columns_without_index(connection) == []

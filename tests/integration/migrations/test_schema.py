"""The schema the migrations build, read from the catalogue of the migrated test database.

Read-only: `migrated_url` is the clone of the template Alembic migrated once to head. The
generic rules (every foreign key has an index, every table a primary key) are checked by
queries that a control on a deliberately bad fresh database shows can fail.
"""

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, text

from tests.integration.migrations.catalog import (
    connect,
    fk_columns_without_index,
    schema,
    tables,
    tables_without_primary_key,
)

TIMESTAMPTZ = "timestamp with time zone"
EXPECTED_COLUMNS = {
    "organizations": {"id": "bigint", "slug": "citext", "name": "text", "created_at": TIMESTAMPTZ},
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
}
NULLABLE = {
    ("api_keys", "revoked_at"),
    ("signals", "unit"),
    ("signals", "last_ts"),
    ("signals", "last_value"),
}


@pytest.fixture(scope="module")
def db(migrated_url: str) -> Iterator[Connection]:
    with connect(migrated_url) as connection:
        yield connection


def test_the_expected_tables_and_nothing_else(db: Connection) -> None:
    assert tables(db) == set(EXPECTED_COLUMNS) | {"alembic_version"}


def test_columns_types_and_nullability(db: Connection) -> None:
    found: dict[str, dict[str, str]] = {}
    nullable = set()
    for table, column, type_, not_null, *_ in schema(db)["columns"]:
        found.setdefault(table, {})[column] = type_
        if not not_null:
            nullable.add((table, column))
    assert found == EXPECTED_COLUMNS
    assert nullable == NULLABLE


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
    triggers = schema(db)["triggers"]
    assert [(table, name) for table, name, _ in triggers] == [
        ("signals", "signals_delete_measurements")
    ]
    assert "AFTER DELETE ON public.signals REFERENCING OLD TABLE" in triggers[0][2]
    assert "FOR EACH STATEMENT" in triggers[0][2]


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
                " CREATE TABLE loose (x int)"
            )
        )
        assert fk_columns_without_index(connection) == [("child", ["parent_id"])]
        assert tables_without_primary_key(connection) == [("loose",)]

        connection.execute(text("CREATE INDEX child_parent ON child (parent_id, other)"))
        assert fk_columns_without_index(connection) == []

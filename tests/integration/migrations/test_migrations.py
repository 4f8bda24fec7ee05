"""The revision history, each test on a fresh, empty database of its own (`fresh_database_url`)."""

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, MetaData, insert, text, update

from assetwatch.db import migrations
from assetwatch.db.compaction import micros
from assetwatch.db.tables import metadata
from assetwatch.encoding import segment, slots
from tests.integration.migrations.catalog import (
    HEAD,
    REVISIONS,
    column_names,
    connect,
    current,
    data,
    schema,
    tables,
)

pytestmark = pytest.mark.migration

APP_TABLES = {
    "organizations",
    "api_keys",
    "assets",
    "signals",
    "measurements",
    "measurements_default",  # the partition 0005 makes of the former table
    "segments",
    "segment_days",
    "storage_state",
    "recent_slots",
    "stale_slots",
    "slot_seal",
}


def test_the_history_has_exactly_one_head_and_no_branches() -> None:
    scripts = migrations.history()
    assert migrations.head_revisions() == {HEAD}
    assert [s.down_revision for s in scripts] == [None, *REVISIONS[:-1]], "a linear chain"


def test_upgrade_head_from_an_empty_database(fresh_database_url: str) -> None:
    run = migrations.upgrade(fresh_database_url)

    assert run.before == frozenset()
    assert [step.revision for step in run.steps] == REVISIONS
    assert all(step.upgrade for step in run.steps)
    assert run.after == current(fresh_database_url) == {HEAD}
    with connect(fresh_database_url) as connection:
        assert tables(connection) == APP_TABLES | {"alembic_version"}
        # No point yet: compaction starts at the hour of the upgrade, and so does the seal;
        # nothing is summed up.
        assert connection.scalar(
            text(
                "SELECT compacted_through = date_trunc('hour', now(), 'UTC')"
                " AND summarised_through = '-infinity'"
                " AND sealed_through = compacted_through FROM storage_state, slot_seal"
            )
        )


def test_upgrade_head_twice_is_a_no_op(fresh_database_url: str) -> None:
    migrations.upgrade(fresh_database_url)
    with connect(fresh_database_url) as connection:
        before = schema(connection)

    again = migrations.upgrade(fresh_database_url)

    assert again.steps == []
    assert again.before == again.after == {HEAD}
    with connect(fresh_database_url) as connection:
        assert schema(connection) == before


def test_downgrade_to_base_removes_everything_the_upgrades_created(fresh_database_url: str) -> None:
    migrations.upgrade(fresh_database_url)

    run = migrations.downgrade(fresh_database_url, "base")

    assert [step.revision for step in run.steps] == REVISIONS[::-1]
    assert not any(step.upgrade for step in run.steps)
    assert current(fresh_database_url) == frozenset()
    with connect(fresh_database_url) as connection:
        assert tables(connection) == {"alembic_version"}
        assert all(objects == [] for objects in schema(connection).values())
        # Kept on purpose (0001's downgrade): other schemas may use it; re-creating is a no-op.
        assert connection.scalar(text("SELECT 1 FROM pg_extension WHERE extname = 'citext'"))


@pytest.mark.parametrize("revision", REVISIONS)
def test_stairway_up_down_up_leaves_the_schema_as_it_was(
    fresh_database_url: str, revision: str
) -> None:
    """Each revision: upgrade, downgrade, upgrade again; the downgrade must undo it exactly."""
    previous = migrations.script_directory().get_revision(revision).down_revision
    assert previous is None or isinstance(previous, str)
    migrations.upgrade(fresh_database_url, previous or "base")
    with connect(fresh_database_url) as connection:
        below = schema(connection)

    migrations.upgrade(fresh_database_url, revision)
    with connect(fresh_database_url) as connection:
        above = schema(connection)
    assert above != below, f"{revision} changed nothing"

    migrations.downgrade(fresh_database_url, previous or "base")
    with connect(fresh_database_url) as connection:
        assert schema(connection) == below, f"downgrade of {revision} left a trace"

    migrations.upgrade(fresh_database_url, revision)
    assert current(fresh_database_url) == {revision}
    with connect(fresh_database_url) as connection:
        assert schema(connection) == above


def _diff(url: str) -> list[Any]:
    with connect(url) as connection:
        context = MigrationContext.configure(
            connection, opts={"target_metadata": metadata, **migrations.AUTOGENERATE_OPTIONS}
        )
        return list(compare_metadata(context, metadata))


def _named(diff: list[Any]) -> list[tuple[str, str]]:
    """Each change as (operation, what): a table, index or constraint name, or table.column."""
    named: list[tuple[str, str]] = []
    for change in diff:
        if isinstance(change, list):  # modify_*: [(op, schema, table, column, ...), ...]
            named.extend((op, f"{table}.{column}") for op, _, table, column, *_ in change)
        elif change[0] in ("add_column", "remove_column"):
            op, _, table, column = change
            named.append((op, f"{table}.{column.name}"))
        else:
            op, item = change[:2]
            named.append((op, item.name))
    return sorted(named)


def test_the_tables_module_and_the_migrations_describe_the_same_schema(
    fresh_database_url: str,
) -> None:
    """What `alembic revision --autogenerate` would find: nothing."""
    migrations.upgrade(fresh_database_url)
    assert _diff(fresh_database_url) == []


def test_the_parity_check_sees_a_model_change_without_its_migration(
    fresh_database_url: str,
) -> None:
    """At 0002 what the later revisions add to tables.py is missing from the database (0003's
    GIN index, 0005's tables, BRIN index and column, 0006's partial index, 0007's table, 0008's
    tables), and the foreign key 0004 drops is still there: the diff names each. (Autogenerate
    does not compare partitioning: test_schema checks that `measurements` is partitioned.)"""
    migrations.upgrade(fresh_database_url, "0002")
    assert _named(_diff(fresh_database_url)) == [
        ("add_column", "organizations.retention_days"),
        ("add_index", "ix_assets_tags"),
        ("add_index", "ix_measurements_ts"),
        ("add_index", "ix_segments_without_slots"),
        ("add_table", "recent_slots"),
        ("add_table", "segment_days"),
        ("add_table", "segments"),
        ("add_table", "slot_seal"),
        ("add_table", "stale_slots"),
        ("add_table", "storage_state"),
        ("remove_fk", "fk_measurements_signal_id_signals"),
    ]


def test_the_parity_check_skips_the_partitions_and_nothing_else(fresh_database_url: str) -> None:
    """The worker's hourly partitions, and the default one, are not in tables.py; a table that
    is neither still shows."""
    migrations.upgrade(fresh_database_url)
    with connect(fresh_database_url) as connection:
        connection.execute(
            text(
                "CREATE TABLE measurements_p2026120707 (LIKE measurements INCLUDING DEFAULTS"
                " INCLUDING CONSTRAINTS);"
                " ALTER TABLE measurements ATTACH PARTITION measurements_p2026120707"
                " FOR VALUES FROM ('2026-12-07 07:00Z') TO ('2026-12-07 08:00Z');"
                " CREATE TABLE stray (id bigint PRIMARY KEY)"
            )
        )
        connection.commit()
    assert _named(_diff(fresh_database_url)) == [("remove_table", "stray")]


NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
SEED: dict[str, list[dict[str, Any]]] = {
    "organizations": [
        {"id": 1, "slug": "acme", "name": "Acme", "created_at": NOW},
        {"id": 2, "slug": "Globex", "name": "Globex", "created_at": NOW},
    ],
    "api_keys": [
        {
            "id": 1,
            "organization_id": 1,
            "name": "ci",
            "prefix": "aw_abc",
            "secret_hash": "0" * 64,
            "role": "admin",
            "created_at": NOW,
            "revoked_at": None,
        }
    ],
    "assets": [
        {
            "id": 10,
            "organization_id": 1,
            "name": "Tractor 1",
            "kind": "vehicle",
            "description": "red",
            "attributes": {"vin": "X1", "axles": 2},
            "created_at": NOW,
            "updated_at": NOW,
        },
        {
            "id": 11,
            "organization_id": 2,
            "name": "Pump",
            "kind": "machine",
            "description": "",
            "attributes": {},
            "created_at": NOW,
            "updated_at": NOW,
        },
    ],
    "signals": [
        {
            "id": 100,
            "asset_id": 10,
            "name": "RPM",
            "unit": "rpm",
            "description": "",
            "created_at": NOW,
            "last_ts": NOW,
            "last_value": 1500.5,
        }
    ],
    "measurements": [
        {"signal_id": 100, "ts": NOW, "value": 1500.5},
        {"signal_id": 100, "ts": datetime(2026, 11, 22, 11, 59, tzinfo=UTC), "value": -3.25},
    ],
}


def _fill_what_later_revisions_added(connection: Connection, columns: dict[str, list[str]]) -> None:
    """Data of the newer revisions' own, so that their downgrades have some to drop (or, for
    0005's segments, to fold back) while they must keep everything else as it was."""
    reflected = MetaData()
    reflected.reflect(connection)
    t = reflected.tables
    if "tags" not in columns["assets"]:
        connection.execute(update(t["assets"]).values(tags=["north", "fleet:b"]))
    if "segments" not in columns:
        connection.execute(update(t["organizations"]).values(retention_days=30))
        connection.execute(update(t["storage_state"]).values(compacted_through=NOW))
        # The hour before NOW, compacted, then its point written again: the stored row wins,
        # in the downgrade as in reads, so the seeded rows come back as they were.
        late = SEED["measurements"][1]
        ts, values = np.array([micros(late["ts"])]), np.array([7.5])
        connection.execute(
            insert(t["segments"]).values(
                signal_id=late["signal_id"],
                chunk_start=late["ts"].replace(minute=0),
                first_ts=late["ts"],
                last_ts=late["ts"],
                count=1,
                min=7.5,
                max=7.5,
                sum=7.5,
                points=segment.encode(ts, values),
            )
        )
    if "slots" not in columns.get("segments", []):
        connection.execute(update(t["segments"]).values(slots=slots.NONE))
    if "recent_slots" not in columns:
        # The seeded hot point's five minutes, summed up, then logged as changed.
        hot = SEED["measurements"][0]
        key = {"signal_id": hot["signal_id"], "slot": hot["ts"]}
        values = {"count": 1, "min": hot["value"], "max": hot["value"], "sum": hot["value"]}
        connection.execute(insert(t["recent_slots"]).values(**key, **values))
        connection.execute(insert(t["stale_slots"]).values(**key))
        later = NOW + timedelta(minutes=5)
        connection.execute(update(t["storage_state"]).values(summarised_through=later))
        connection.execute(update(t["slot_seal"]).values(sealed_through=later))
    connection.commit()


@pytest.mark.parametrize("revision", REVISIONS[:-1])
def test_data_written_at_a_revision_survives_upgrade_to_head_and_downgrade_back(
    fresh_database_url: str, revision: str
) -> None:
    migrations.upgrade(fresh_database_url, revision)
    with connect(fresh_database_url) as connection:
        reflected = MetaData()
        reflected.reflect(connection)
        for name, rows in SEED.items():
            connection.execute(insert(reflected.tables[name]), rows)
        connection.commit()
        columns = column_names(connection)
        written = data(connection, columns)

    migrations.upgrade(fresh_database_url)
    with connect(fresh_database_url) as connection:
        assert data(connection, columns) == written
        if "segments" not in columns:
            # 0005 kept the rows where they were, in the former table, now the default
            # partition, and starts compaction at the hour of the oldest.
            stored = connection.scalar(text("SELECT count(*) FROM ONLY measurements_default"))
            assert stored == len(SEED["measurements"])
            assert connection.scalar(text("SELECT compacted_through FROM storage_state")) == (
                datetime(2026, 11, 22, 11, 0, tzinfo=UTC)
            )
        if "recent_slots" not in columns:
            # 0008 starts with nothing sealed or summed up: where compaction stands.
            marks = text(
                "SELECT summarised_through = '-infinity'"
                " AND sealed_through = compacted_through FROM storage_state, slot_seal"
            )
            assert connection.scalar(marks)
        _fill_what_later_revisions_added(connection, columns)

    migrations.downgrade(fresh_database_url, revision)
    with connect(fresh_database_url) as connection:
        assert current(fresh_database_url) == {revision}
        assert column_names(connection) == columns
        assert data(connection, columns) == written


def test_make_revision_numbers_an_autogenerated_revision_after_the_last_one(
    fresh_database_url: str, tmp_path: Path
) -> None:
    """`make revision`: autogenerate against a database at head that lacks what tables.py has."""
    migrations.upgrade(fresh_database_url)
    with connect(fresh_database_url) as connection:
        connection.execute(text("DROP INDEX ix_assets_tags"))
        connection.commit()
    config = migrations.alembic_config(fresh_database_url)
    versions = Path(config.get_main_option("script_location") or "") / "versions"
    config.set_main_option("version_locations", os.pathsep.join([str(versions), str(tmp_path)]))

    command.revision(config, "re-add the tags index", autogenerate=True, version_path=str(tmp_path))

    (written,) = tmp_path.glob("*.py")
    expected_id = f"{int(HEAD) + 1:04d}"
    assert written.name.endswith(f"_{expected_id}_re_add_the_tags_index.py")
    source = written.read_text()
    assert f'down_revision: str | Sequence[str] | None = "{HEAD}"' in source  # ruff-formatted
    assert 'op.create_index("ix_assets_tags"' in source

"""Read a database's schema and data from the PostgreSQL catalogue, for comparisons in tests."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, MetaData, create_engine, pool, select, text

from assetwatch.db import migrations

REVISIONS = [script.revision for script in migrations.history()]
HEAD = REVISIONS[-1]


@contextmanager
def connect(url: str) -> Iterator[Connection]:
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def current(url: str) -> frozenset[str]:
    with connect(url) as connection:
        return migrations.current_revisions(connection)


def _rows(connection: Connection, sql: str) -> list[tuple[Any, ...]]:
    return sorted(tuple(row) for row in connection.execute(text(sql)))


def schema(connection: Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Everything a migration can change in the public schema, in a comparable form.

    Alembic's own alembic_version table and objects owned by extensions (citext's type, which
    0001's downgrade deliberately keeps) are left out.
    """
    return {
        "columns": _rows(
            connection,
            """
            SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                   pg_get_expr(d.adbin, d.adrelid), a.attidentity
            FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
              AND c.relname <> 'alembic_version' AND a.attnum > 0 AND NOT a.attisdropped
            """,
        ),
        "indexes": _rows(
            connection,
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), i.indisvalid
            FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
            WHERE c.relnamespace = 'public'::regnamespace AND c.relname <> 'alembic_version'
            """,
        ),
        "constraints": _rows(
            connection,
            """
            SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
            FROM pg_constraint
            WHERE connamespace = 'public'::regnamespace
              AND conrelid::regclass::text <> 'alembic_version'
            """,
        ),
        "triggers": _rows(
            connection,
            """
            SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid)
            FROM pg_trigger
            WHERE NOT tgisinternal
              AND (SELECT relnamespace FROM pg_class WHERE oid = tgrelid) = 'public'::regnamespace
            """,
        ),
        "functions": _rows(
            connection,
            """
            SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p
            WHERE p.pronamespace = 'public'::regnamespace
              AND NOT EXISTS (
                  SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
              )
            """,
        ),
        "sequences": _rows(
            connection, "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"
        ),
        "types": _rows(
            connection,
            """
            SELECT t.typname FROM pg_type t
            WHERE t.typnamespace = 'public'::regnamespace AND t.typrelid = 0 AND t.typelem = 0
              AND NOT EXISTS (
                  SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e'
              )
            """,
        ),
    }


def tables(connection: Connection) -> set[str]:
    return {
        row[0]
        for row in _rows(connection, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    }


def partitions(connection: Connection) -> dict[str, tuple[str, str]]:
    """Each partition of a table in the public schema: its parent and its bound."""
    return {
        name: (parent, bound)
        for name, parent, bound in _rows(
            connection,
            """
            SELECT c.relname, p.relname, pg_get_expr(c.relpartbound, c.oid)
            FROM pg_inherits i
            JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
            WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
            """,
        )
    }


def data(connection: Connection, columns: dict[str, list[str]]) -> dict[str, list[dict[str, Any]]]:
    """The rows of each table in COLUMNS, those columns only, in primary-key order."""
    metadata = MetaData()
    metadata.reflect(connection, only=list(columns))
    dump = {}
    for name, names in columns.items():
        table = metadata.tables[name]
        stmt = select(*(table.c[c] for c in names)).order_by(*table.primary_key.columns)
        dump[name] = [dict(row._mapping) for row in connection.execute(stmt)]
    return dump


def column_names(connection: Connection) -> dict[str, list[str]]:
    columns: dict[str, list[str]] = {}
    for table, column, *_ in schema(connection)["columns"]:
        columns.setdefault(table, []).append(column)
    return columns


def fk_columns_without_index(connection: Connection) -> list[tuple[str, list[str]]]:
    """Foreign keys whose columns are not the leading columns of any index on their table."""
    return _rows(
        connection,
        """
        SELECT f.conrelid::regclass::text,
               (SELECT array_agg(a.attname ORDER BY k.n)
                FROM unnest(f.conkey) WITH ORDINALITY k(attnum, n)
                JOIN pg_attribute a ON a.attrelid = f.conrelid AND a.attnum = k.attnum)
        FROM pg_constraint f
        WHERE f.contype = 'f' AND f.connamespace = 'public'::regnamespace
          AND NOT EXISTS (
              SELECT 1 FROM pg_index i
              WHERE i.indrelid = f.conrelid
                AND (i.indkey::int2[])[0:cardinality(f.conkey) - 1] = f.conkey
          )
        """,
    )


def tables_without_primary_key(connection: Connection) -> list[tuple[str]]:
    return _rows(
        connection,
        """
        SELECT c.relname FROM pg_class c
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
          AND NOT EXISTS (
              SELECT 1 FROM pg_constraint p WHERE p.conrelid = c.oid AND p.contype = 'p'
          )
        """,
    )

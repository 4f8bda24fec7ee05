"""Alembic, driven from code: the CLI's `migrate` commands and readiness use these."""

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

# src/assetwatch/db/migrations.py → the project root, where alembic.ini lives (also in the image).
PROJECT_ROOT = Path(__file__).resolve().parents[3]


def alembic_config(database_url: str | None = None) -> Config:
    ini = Path(os.environ.get("ALEMBIC_CONFIG", PROJECT_ROOT / "alembic.ini"))
    config = Config(str(ini))
    config.set_main_option("script_location", str(ini.parent / "alembic"))
    if database_url:
        # ConfigParser interpolation: a literal % must be doubled.
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def head_revisions(config: Config | None = None) -> frozenset[str]:
    """The heads this code base knows: what the database must be at to be ready."""
    return frozenset(ScriptDirectory.from_config(config or alembic_config()).get_heads())


def current_revisions(connection: Connection) -> frozenset[str]:
    return frozenset(MigrationContext.configure(connection).get_current_heads())


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)

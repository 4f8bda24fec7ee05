"""Alembic, driven from code: the `migrate` commands, readiness and the tests use these.

`upgrade`/`downgrade` return a `Run`: what the database was at and ended at, each revision that
ran and how long it took, all read while the run held the migration lock (alembic/env.py takes
it with `migration_lock.migration_lock`), so two concurrent runs report what each really did.
"""

import io
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext, MigrationInfo
from alembic.script import Script, ScriptDirectory
from sqlalchemy import Connection

# src/assetwatch/db/migrations.py → the project root, where alembic.ini lives (also in the image).
PROJECT_ROOT = Path(__file__).resolve().parents[3]

# Set on the session of every run, and at the top of the offline SQL (what squawk lints):
# - lock_timeout: DDL that cannot get its lock in time fails, instead of queueing every query on
#   the table behind it while it waits; the Job fails, and is retried later.
# - statement_timeout 0: index builds and backfills may take long (the Job's deadline bounds
#   them); explicit, so a role or database default meant for the API cannot kill one half-way.
DEFAULT_LOCK_TIMEOUT = "5s"
LOCK_TIMEOUT_ATTRIBUTE = "assetwatch.lock_timeout"
_DURATION = re.compile(r"^\d+(ms|s|min)?$")


def session_settings(lock_timeout: str = DEFAULT_LOCK_TIMEOUT) -> list[str]:
    if not _DURATION.match(lock_timeout):
        raise ValueError(f"lock timeout {lock_timeout!r}: use e.g. 500ms, 5s, 1min or 0 (none)")
    return [f"SET lock_timeout = '{lock_timeout}'", "SET statement_timeout = 0"]


# How autogenerate compares metadata with the database: env.py (`make revision`) and the parity
# test use the same options, so the test sees exactly the diff a new revision would contain.
def _not_a_partition(name: str | None, type_: str, parent_names: Any) -> bool:
    """Partitions of `measurements` are made by the worker, not described in tables.py."""
    return not (type_ == "table" and name is not None and name.startswith("measurements_"))


AUTOGENERATE_OPTIONS: dict[str, Any] = {
    "compare_type": True,
    "compare_server_default": True,
    "include_name": _not_a_partition,
}

# alembic Config.attributes key under which env.py finds the `Run` to fill in.
RUN_ATTRIBUTE = "assetwatch.run"

# Offline SQL needs a dialect, not a server.
OFFLINE_URL = "postgresql+psycopg://"


def alembic_config(database_url: str | None = None, *, output: io.StringIO | None = None) -> Config:
    ini = Path(os.environ.get("ALEMBIC_CONFIG", PROJECT_ROOT / "alembic.ini"))
    config = Config(str(ini), output_buffer=output)
    config.set_main_option("script_location", str(ini.parent / "alembic"))
    if database_url:
        # ConfigParser interpolation: a literal % must be doubled.
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def script_directory(config: Config | None = None) -> ScriptDirectory:
    return ScriptDirectory.from_config(config or alembic_config())


def head_revisions(config: Config | None = None) -> frozenset[str]:
    """The heads this code base knows: what the database must be at to be ready."""
    return frozenset(script_directory(config).get_heads())


def known_revisions(config: Config | None = None) -> frozenset[str]:
    return frozenset(s.revision for s in script_directory(config).walk_revisions())


def history(config: Config | None = None) -> list[Script]:
    """Every revision, oldest first."""
    return list(reversed(list(script_directory(config).walk_revisions())))


def current_revisions(connection: Connection) -> frozenset[str]:
    return frozenset(MigrationContext.configure(connection).get_current_heads())


def describe(revisions: Iterable[str]) -> str:
    return ", ".join(sorted(revisions)) or "base"


@dataclass(frozen=True)
class Step:
    """One revision applied (upgrade) or undone (downgrade)."""

    revision: str
    description: str
    upgrade: bool
    seconds: float

    def __str__(self) -> str:
        verb = "applied" if self.upgrade else "undid"
        return f"{verb} {self.revision} {self.description} ({self.seconds:.2f}s)"


@dataclass
class Run:
    """What one online run did, recorded by env.py while it held the migration lock."""

    on_step: Callable[[Step], None] | None = None
    before: frozenset[str] = frozenset()
    after: frozenset[str] = frozenset()
    steps: list[Step] = field(default_factory=list)
    lock_wait_seconds: float = 0.0
    seconds: float = 0.0
    _mark: float = field(default=0.0, repr=False)

    def begin(self, heads: Iterable[str], *, lock_wait_seconds: float) -> None:
        self.before = frozenset(heads)
        self.lock_wait_seconds = lock_wait_seconds
        self._mark = time.monotonic()

    def record(self, info: MigrationInfo) -> None:
        """alembic's `on_version_apply` hook: called after each revision, in its transaction."""
        if info.is_stamp or info.up_revision_id is None:
            return
        now = time.monotonic()
        script = info.revision_map.get_revision(info.up_revision_id)
        description = script.doc.rstrip(".") if isinstance(script, Script) else ""
        step = Step(info.up_revision_id, description, info.is_upgrade, now - self._mark)
        self._mark = now
        self.steps.append(step)
        if self.on_step is not None:
            self.on_step(step)

    def end(self, heads: Iterable[str]) -> None:
        self.after = frozenset(heads)

    def on_version_apply(self, *, step: MigrationInfo, **_: object) -> None:
        self.record(step)


def _run(
    action: Callable[[Config, str], None],
    database_url: str,
    revision: str,
    on_step: Callable[[Step], None] | None,
    lock_timeout: str,
) -> Run:
    session_settings(lock_timeout)  # fail on a bad value before touching the database
    config = alembic_config(database_url)
    run = Run(on_step=on_step)
    config.attributes[RUN_ATTRIBUTE] = run
    config.attributes[LOCK_TIMEOUT_ATTRIBUTE] = lock_timeout
    started = time.monotonic()
    action(config, revision)
    run.seconds = time.monotonic() - started
    return run


def upgrade(
    database_url: str,
    revision: str = "head",
    *,
    on_step: Callable[[Step], None] | None = None,
    lock_timeout: str = DEFAULT_LOCK_TIMEOUT,
) -> Run:
    return _run(command.upgrade, database_url, revision, on_step, lock_timeout)


def downgrade(
    database_url: str,
    revision: str,
    *,
    on_step: Callable[[Step], None] | None = None,
    lock_timeout: str = DEFAULT_LOCK_TIMEOUT,
) -> Run:
    return _run(command.downgrade, database_url, revision, on_step, lock_timeout)


def render_sql(revision_range: str, *, downgrade: bool = False) -> str:
    """Alembic offline ("--sql") output for REVISION_RANGE (`FROM:TO`, or `TO` from base)."""
    output = io.StringIO()
    config = alembic_config(OFFLINE_URL, output=output)
    if downgrade:
        command.downgrade(config, revision_range, sql=True)
    else:
        command.upgrade(config, revision_range, sql=True)
    return output.getvalue()


def render_each_revision(*, downgrade: bool = False) -> list[tuple[Script, str]]:
    """The offline SQL of every revision on its own, oldest first: what the SQL lint reads."""
    rendered = []
    for script in history():
        previous = script.down_revision
        if isinstance(previous, tuple | list):
            raise ValueError(f"{script.revision} is a merge revision: render it by hand")
        previous = previous or "base"
        span = f"{script.revision}:{previous}" if downgrade else f"{previous}:{script.revision}"
        rendered.append((script, render_sql(span, downgrade=downgrade)))
    return rendered

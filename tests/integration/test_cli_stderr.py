"""What the CLI writes to stderr: what the command means to say, and nothing from its libraries."""

import os
import subprocess
import sys
from pathlib import Path

from tests.integration.conftest import PgServer

ASSETWATCH = str(Path(sys.executable).parent / "assetwatch")  # the installed entry point


def test_a_command_on_the_embedded_database_says_only_which_database_it_uses(
    pg: PgServer,
) -> None:
    # No login session (a container, CI, cron): XDG_RUNTIME_DIR unset. No DATABASE_URL: the
    # command starts, here joins, the embedded PostgreSQL, whose library asks for a runtime dir.
    env = {k: v for k, v in os.environ.items() if k not in {"XDG_RUNTIME_DIR", "DATABASE_URL"}}
    env["DATA_DIR"] = str(pg.data_dir)

    result = subprocess.run(
        [ASSETWATCH, "migrate", "current"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "XDG_RUNTIME_DIR" not in result.stderr
    assert "Warning" not in result.stderr
    assert result.stderr.splitlines() == [
        f"DATABASE_URL is not set: using the embedded PostgreSQL in {pg.data_dir}/postgres"
    ]
    assert result.stdout == "base (empty)\n"  # the database the embedded server made for it

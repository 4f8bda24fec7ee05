"""`assetwatch seed` and the `serve --demo` bootstrap against a real, migrated PostgreSQL.

The seed commits, so each test gets a database of its own, cloned from the migrated template.
"""

import asyncio
import itertools
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner, Result

from assetwatch.api.app import create_app
from assetwatch.cli import app
from assetwatch.cli.seed import bootstrap_demo
from assetwatch.config import Settings, get_settings
from tests.integration.conftest import TEMPLATE_DB, PgServer

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
_names = (f"aw_seed_{n}" for n in itertools.count())


@pytest.fixture
def database_url(pg: PgServer, migrated_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated database of this test's own (the CLI commits), named by DATABASE_URL."""
    name = next(_names)
    with pg.janitor(name, template=TEMPLATE_DB):
        url = pg.url_for(name)
        monkeypatch.setenv("DATABASE_URL", url)
        get_settings.cache_clear()
        yield url
    get_settings.cache_clear()


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def counts(url: str) -> dict[str, object]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return dict(
                conn.execute(
                    text(
                        "SELECT (SELECT count(*) FROM assets) AS assets,"
                        " (SELECT count(*) FROM signals) AS signals,"
                        " (SELECT count(*) FROM measurements) AS measurements,"
                        " (SELECT max(ts) FROM measurements) AS newest,"
                        " (SELECT count(*) FROM signals WHERE last_ts IS NULL) AS without_latest,"
                        # the denormalised latest point is the newest measurement, exactly
                        " (SELECT count(*) FROM signals s JOIN LATERAL (SELECT ts, value"
                        "   FROM measurements m WHERE m.signal_id = s.id"
                        "   ORDER BY ts DESC LIMIT 1) m ON true"
                        "  WHERE (s.last_ts, s.last_value) IS DISTINCT FROM (m.ts, m.value))"
                        "  AS stale_latest"
                    )
                )
                .mappings()
                .one()
            )
    finally:
        engine.dispose()


async def get(url: str, paths: list[str], token: str) -> list[httpx.Response]:
    """GET each path from the app on URL, as the printed curl commands do."""
    api = create_app(Settings(database_url=url), database_url=url)
    headers = {"Authorization": f"Bearer {token}"}
    async with api.router.lifespan_context(api):
        transport = httpx.ASGITransport(app=api)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return [await client.get(path, headers=headers) for path in paths]


def test_seeding_the_demo_twice_gives_the_same_rows(database_url: str) -> None:
    assert cli("orgs", "create", "--slug", "farm", "--name", "Farm").exit_code == 0

    first = cli("seed", "--org", "farm", str(DEMO))
    assert first.exit_code == 0, first.output
    after_first = counts(database_url)
    second = cli("seed", "--org", "farm", str(DEMO / "assets.json"), str(DEMO / "measurements.csv"))
    assert second.exit_code == 0, second.output

    assert counts(database_url) == after_first
    rows = sum(1 for _ in (DEMO / "measurements.csv").open()) - 1
    assert after_first["assets"] == 5
    assert after_first["signals"] == 25
    assert after_first["measurements"] == rows
    assert after_first["without_latest"] == 0
    assert after_first["stale_latest"] == 0
    assert "5 created" in first.stderr
    assert "5 unchanged" in second.stderr
    assert f"{rows:,} written" in second.stderr


def test_shifting_to_now_moves_the_newest_point_to_now(database_url: str) -> None:
    assert cli("orgs", "create", "--slug", "farm", "--name", "Farm").exit_code == 0
    before = datetime.now(UTC)
    result = cli("seed", "--org", "farm", "--shift-to-now", str(DEMO))
    assert result.exit_code == 0, result.output
    newest = counts(database_url)["newest"]
    assert isinstance(newest, datetime)
    assert before - timedelta(minutes=10) < newest <= datetime.now(UTC)
    assert "timestamps shifted by" in result.stderr


def test_an_unknown_organisation_exits_1(database_url: str) -> None:
    result = cli("seed", "--org", "nobody", str(DEMO))
    assert result.exit_code == 1
    assert "no organisation 'nobody'" in result.stderr
    assert counts(database_url)["assets"] == 0


def test_a_bad_file_exits_1_naming_the_line_and_writes_nothing(
    database_url: str, tmp_path: Path
) -> None:
    assert cli("orgs", "create", "--slug", "farm", "--name", "Farm").exit_code == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("asset,signal,ts,value\nTractor 1,engine_temp,2026-11-20T10:00:00Z,hot\n")
    result = cli("seed", "--org", "farm", str(DEMO / "assets.json"), str(bad))
    assert result.exit_code == 1
    assert f"{bad}:2: value 'hot' is not a number" in result.stderr
    assert counts(database_url)["assets"] == 0


def test_the_demo_bootstrap_prints_a_key_and_curl_commands_that_work(database_url: str) -> None:
    base = "http://127.0.0.1:8000"
    lines = bootstrap_demo(database_url, base)
    printed = "\n".join(lines)
    key = re.search(r"export AW_KEY=(\S+)", printed)
    assert key is not None, printed
    hour_ago = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    # The third command asks the shell for "an hour ago": substitute it here.
    paths = [
        re.sub(r"\$\(date .*\)", hour_ago, line.split(base, 1)[1].rstrip('"'))
        for line in lines
        if line.strip().startswith("curl ")
    ]
    assert len(paths) == 3, printed
    explorer = [line.strip() for line in lines if line.strip().startswith(base)]
    assert explorer == [f"{base}/explorer/"], printed
    paths.append(explorer[0].split(base, 1)[1])

    assets, latest, last_hour, page = asyncio.run(get(database_url, paths, key.group(1)))
    assert assets.status_code == 200, assets.text
    assert [a["name"] for a in assets.json()["items"]][:2] == ["Tractor 1", "Tractor 2"]
    assert latest.status_code == 200, latest.text
    assert all(s["ts"] is not None for s in latest.json()["signals"])
    assert last_hour.status_code == 200, last_hour.text
    assert 5 <= len(last_hour.json()["items"]) <= 7  # every 10 minutes, ending now
    assert page.status_code == 200
    assert "assetwatch explorer" in page.text

    again = bootstrap_demo(database_url, base)
    assert "assetwatch keys create --org demo --role admin" in "\n".join(again)

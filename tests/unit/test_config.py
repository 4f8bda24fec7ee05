"""Settings: what operators write in DATABASE_URL is accepted."""

import pytest

from assetwatch.config import Settings


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u:p@db:5432/aw", "postgresql+psycopg://u:p@db:5432/aw"),
        ("postgres://u:p@db/aw", "postgresql+psycopg://u:p@db/aw"),
        ("postgresql+psycopg2://u@db/aw", "postgresql+psycopg://u@db/aw"),
        ("postgresql+psycopg://u@db/aw", "postgresql+psycopg://u@db/aw"),
    ],
)
def test_database_urls_are_normalised_to_psycopg3(given: str, expected: str) -> None:
    assert Settings(database_url=given).database_url == expected


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INGEST_MAX_POINTS", "500")
    monkeypatch.setenv("DB_POOL_SIZE", "3")
    settings = Settings()
    assert (settings.ingest_max_points, settings.db_pool_size) == (500, 3)


def test_the_key_cache_may_not_outlive_five_seconds() -> None:
    with pytest.raises(ValueError, match="less than or equal to 5"):
        Settings(key_cache_ttl_seconds=30)

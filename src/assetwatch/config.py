"""Settings from the environment (and `.env`), via pydantic-settings."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ASYNC_DRIVER = "postgresql+psycopg"


def normalise_database_url(url: str) -> str:
    """Accept `postgres://` and `postgresql://` (as operators write them) and pick psycopg 3."""
    for scheme in ("postgresql+psycopg2://", "postgresql://", "postgres://"):
        if url.startswith(scheme):
            return f"{ASYNC_DRIVER}://{url.removeprefix(scheme)}"
    return url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # None: `serve` and `migrate` start an embedded PostgreSQL under `data_dir`.
    database_url: str | None = None
    data_dir: Path = Path(".data")

    db_pool_size: int = Field(10, ge=1)
    db_max_overflow: int = Field(5, ge=0)
    db_pool_timeout: float = Field(1.0, gt=0, description="seconds to wait for a connection")
    # A pooled connection idle this long is tested (a round trip) before use; one in steady use
    # is not. 0 tests at every checkout.
    db_pool_ping_idle_seconds: float = Field(1.0, ge=0)
    db_connect_timeout: int = Field(2, ge=1, description="seconds")
    db_statement_timeout_ms: int = Field(5000, ge=0, description="0 disables")

    # In-flight requests get this long to finish after SIGTERM (keep it below the pod's
    # terminationGracePeriodSeconds, minus the preStop sleep).
    shutdown_grace_seconds: int = Field(20, ge=1)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"

    ingest_max_points: int = Field(10_000, ge=1)
    ingest_max_future_seconds: int = Field(300, ge=0)
    max_body_bytes: int = Field(4 * 1024 * 1024, ge=1024)
    key_cache_ttl_seconds: float = Field(5.0, ge=0, le=5.0)
    # Storage (the maintenance worker): points stay one row each for this long, then are
    # compacted into segments; partitions are made this many hours ahead; telemetry is kept
    # for `retention_days` (None: forever) unless an organisation sets its own.
    storage_hot_window_seconds: int = Field(3600, ge=3600, le=86400)
    partitions_ahead_hours: int = Field(3, ge=1, le=48)
    worker_interval_seconds: float = Field(60.0, gt=0)
    retention_days: int | None = Field(None, ge=1)
    # Threads a serving process decodes many segment blobs on (None: the CPUs it may run on).
    # More than one shortens a long rollup when the process has idle cores to spare.
    decode_threads: int | None = Field(None, ge=1, le=256)
    # Browsers may call the API only from these origins; empty (the default) turns CORS off.
    cors_origins: list[str] = Field(default_factory=list)

    @field_validator("database_url")
    @classmethod
    def _normalise(cls, value: str | None) -> str | None:
        return normalise_database_url(value) if value else None


@lru_cache
def get_settings() -> Settings:
    return Settings()

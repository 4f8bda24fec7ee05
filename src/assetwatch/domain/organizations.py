"""Organisations: the tenants. Every other entity belongs to exactly one."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from assetwatch.domain.types import ENTITY_CONFIG, Name, Slug, utcnow

MAX_RETENTION_DAYS = 36_500  # a hundred years; past that, keep forever (None)

# Days an organisation's telemetry is kept.
RetentionDays = Annotated[int, Field(ge=1, le=MAX_RETENTION_DAYS)]


class Organization(BaseModel):
    model_config = ENTITY_CONFIG

    id: int | None = None
    slug: Slug
    name: Name
    created_at: datetime = Field(default_factory=utcnow)
    # None: the deployment's default (Settings.retention_days) applies.
    retention_days: RetentionDays | None = None

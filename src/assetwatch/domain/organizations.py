"""Organisations: the tenants. Every other entity belongs to exactly one."""

from datetime import datetime

from pydantic import BaseModel, Field

from assetwatch.domain.types import ENTITY_CONFIG, Name, Slug, utcnow


class Organization(BaseModel):
    model_config = ENTITY_CONFIG

    id: int | None = None
    slug: Slug
    name: Name
    created_at: datetime = Field(default_factory=utcnow)

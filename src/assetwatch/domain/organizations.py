"""Organisations: the tenants. Every other entity belongs to exactly one."""

from pydantic import BaseModel

from assetwatch.domain._fields import ENTITY_CONFIG, CreatedAt, Name, Slug


class Organization(BaseModel):
    model_config = ENTITY_CONFIG

    id: int | None = None
    slug: Slug
    name: Name
    created_at: CreatedAt

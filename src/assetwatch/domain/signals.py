"""Signals: a named, unit-bearing series of an asset, with its latest point kept alongside."""

from datetime import datetime

from pydantic import BaseModel, Field

from assetwatch.domain.types import ENTITY_CONFIG, Description, Name, ShortText, utcnow


class Signal(BaseModel):
    model_config = ENTITY_CONFIG

    id: int | None = None
    asset_id: int | None = None
    name: Name
    unit: ShortText | None = None
    description: Description = ""
    created_at: datetime = Field(default_factory=utcnow)
    # Maintained by ingest, never by clients: the most frequent read must not scan measurements.
    last_ts: datetime | None = None
    last_value: float | None = None

"""Assets: machines, vehicles, sensor nodes. The aggregate root of their signals."""

from datetime import datetime

from pydantic import BaseModel, Field

from assetwatch.domain.errors import Conflict
from assetwatch.domain.signals import Signal
from assetwatch.domain.tags import Tags
from assetwatch.domain.types import (
    ENTITY_CONFIG,
    Attributes,
    Description,
    Name,
    ShortText,
    utcnow,
)


class Asset(BaseModel):
    model_config = ENTITY_CONFIG

    id: int | None = None
    organization_id: int | None = None
    name: Name
    kind: ShortText = "generic"
    description: Description = ""
    attributes: Attributes = Field(default_factory=dict)
    tags: Tags = Field(default_factory=list)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    signals: list[Signal] = Field(default_factory=list)

    def add_signal(self, signal: Signal) -> Signal:
        """Attach a signal; names are unique per asset regardless of case."""
        if any(s.name.casefold() == signal.name.casefold() for s in self.signals):
            raise Conflict(f"asset already has a signal named {signal.name!r}")
        self.signals = [*self.signals, signal]
        return signal

    def touch(self) -> None:
        self.updated_at = utcnow()

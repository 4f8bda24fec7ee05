"""HTTP shapes: what clients send and receive. Domain rules stay in the domain models.

Bodies reuse the domain's field types, so the 422 a client sees for a bad name is the same
rule the domain enforces; outputs are built from domain objects with `from_attributes`.
"""

from datetime import datetime
from typing import Annotated, Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assetwatch.domain import Measurement, Role
from assetwatch.domain.organizations import RetentionDays
from assetwatch.domain.tags import Tags
from assetwatch.domain.types import Attributes, Description, Name, ShortText

T = TypeVar("T")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(examples=["urn:assetwatch:problem:not-found"])
    title: str = Field(examples=["Not Found"])
    status: int = Field(examples=[404])
    detail: str | None = Field(None, examples=["no asset 42"])
    errors: list[dict[str, Any]] | None = Field(
        None, description="one entry per offending field or point: loc, msg, type"
    )


def _storable_text(value: Any) -> Any:
    """Strings PostgreSQL can store: no NUL (text and jsonb refuse it), no lone surrogates
    (not encodable as UTF-8), in plain fields and anywhere inside JSON (keys too)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text may not contain NUL (\\u0000) characters")
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("text may not contain unpaired surrogates") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _storable_text(key)
            _storable_text(item)
    elif isinstance(value, list):
        for item in value:
            _storable_text(item)
    return value


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Bodies without free text (ingest: thousands of points) skip the walk below.
    _checks_text: ClassVar[bool] = True

    @field_validator("*")
    @classmethod
    def _text_is_storable(cls, value: Any) -> Any:
        return _storable_text(value) if cls._checks_text else value


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        None, description="pass as ?cursor= for the next page; null on the last page"
    )


# --- API keys ----------------------------------------------------------------------------------


class KeyCreate(Input):
    name: Name = Field(examples=["gateway-berlin-01"])
    role: Role = Field(examples=["writer"])


class KeyOut(Output):
    id: int
    name: str
    prefix: str = Field(description="the public part of the token, for telling keys apart")
    role: Role
    created_at: datetime
    revoked_at: datetime | None


class KeyCreated(KeyOut):
    token: str = Field(
        description="the secret token; shown only in this response, never again",
        examples=["aw_3f2a9c1d7e4b_Zq0y…"],
    )


# --- retention ---------------------------------------------------------------------------------

# A whole number in JSON: "90", 90.5 or true are refused rather than read as 90 or 1.
StrictRetentionDays = Annotated[RetentionDays, Field(strict=True)]


class RetentionUpdate(Input):
    days: StrictRetentionDays | None = Field(
        description="days telemetry is kept; null: back to the deployment's default",
        examples=[90],
    )


class RetentionOut(BaseModel):
    days: int | None = Field(
        description="days the organisation's telemetry is kept; null: forever", examples=[90]
    )
    inherited: bool = Field(
        description="true when the organisation set none and the deployment's default applies"
    )
    default_days: int | None = Field(
        description="the deployment's default (RETENTION_DAYS); null: forever", examples=[None]
    )


# --- assets and signals ------------------------------------------------------------------------


class SignalCreate(Input):
    name: Name = Field(examples=["engine_temp"])
    unit: ShortText | None = Field(None, examples=["°C"])
    description: Description = ""


class SignalUpdate(Input):
    name: Name | None = None
    unit: ShortText | None = None
    description: Description | None = None


class SignalOut(Output):
    id: int
    asset_id: int
    name: str
    unit: str | None
    description: str
    created_at: datetime
    last_ts: datetime | None = Field(description="timestamp of the latest point, if any")
    last_value: float | None


class AssetCreate(Input):
    name: Name = Field(examples=["Tractor 7"])
    kind: ShortText = Field("generic", examples=["tractor"])
    description: Description = ""
    attributes: Attributes = Field(default_factory=dict, examples=[{"vin": "JD8R-4410"}])
    tags: Tags = Field(default_factory=list, examples=[["north-field", "fleet-b"]])


class AssetUpdate(Input):
    name: Name | None = None
    kind: ShortText | None = None
    description: Description | None = None
    attributes: Attributes | None = None
    tags: Tags | None = Field(None, description="replaces the whole list")


class AssetOut(Output):
    id: int
    name: str
    kind: str
    description: str
    attributes: dict[str, Any]
    tags: list[str]
    created_at: datetime
    updated_at: datetime


class AssetDetail(AssetOut):
    signals: list[SignalOut]


# --- telemetry ---------------------------------------------------------------------------------


class IngestRequest(Input):
    _checks_text: ClassVar[bool] = False  # points hold no text: ids, timestamps, numbers

    points: list[Measurement] = Field(description="at most 10,000 points (configurable)")


class IngestResult(BaseModel):
    written: int = Field(description="points written (a repeated (signal, ts) counts once)")


class ReadingOut(BaseModel):
    ts: datetime
    value: float


class RollupOut(BaseModel):
    bucket_start: datetime
    count: int
    min: float
    max: float
    avg: float


class Rollups(BaseModel):
    bucket: str = Field(examples=["1h"])
    items: list[RollupOut]


class SignalRollups(BaseModel):
    signal_id: int
    items: list[RollupOut]


class AssetRollups(BaseModel):
    asset_id: int
    bucket: str = Field(examples=["1h"])
    signals: list[SignalRollups]


class LatestOut(BaseModel):
    signal_id: int
    name: str
    unit: str | None
    ts: datetime | None
    value: float | None


class Latest(BaseModel):
    asset_id: int
    signals: list[LatestOut]


Order = Literal["asc", "desc"]

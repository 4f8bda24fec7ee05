"""HTTP shapes: what clients send and receive. Domain rules stay in the domain models.

Bodies reuse the domain's field types, so the 422 a client sees for a bad name is the same
rule the domain enforces; outputs are built from domain objects with `from_attributes`.
"""

from datetime import datetime
from typing import Any, ClassVar, Generic, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
)
from pydantic.json_schema import SkipJsonSchema

from assetwatch.api.field_types import (
    Attributes,
    Description,
    Name,
    ShortText,
    StrictRetentionDays,
    Tags,
)
from assetwatch.domain import Measurement, Role

T = TypeVar("T")


class ProblemError(BaseModel):
    """One offending field or point of a request."""

    loc: list[str | int] = Field(
        description="where: the request part, then field names and list indexes",
        examples=[["body", "points", 3, "ts"]],
    )
    msg: str = Field(examples=["timestamp is in the future"])
    type: str = Field(description="a stable code for the kind of error", examples=["future_ts"])


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(examples=["urn:assetwatch:problem:not-found"])
    title: str = Field(examples=["Not Found"])
    status: int = Field(examples=[404])
    detail: str | None = Field(None, examples=["no asset 42"])
    errors: list[ProblemError] | None = Field(
        None, description="one entry per offending field or point"
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


# In the updates, a field left out stays as it is; null is a value only where it means one
# (a signal's unit: none). Elsewhere None is only the default, kept out of the document, and
# a null sent anyway is refused by the entity it would be assigned to.
Omitted = SkipJsonSchema[None]


class SignalUpdate(Input):
    name: Name | Omitted = None
    unit: ShortText | None = Field(None, description="null: the signal has no unit")
    description: Description | Omitted = None


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
    name: Name | Omitted = None
    kind: ShortText | Omitted = None
    description: Description | Omitted = None
    attributes: Attributes | Omitted = None
    tags: Tags | Omitted = Field(None, description="replaces the whole list")


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


class MeasurementBatch(Input):
    """The body of POST /v1/measurements: the batch is written whole or not at all."""

    _checks_text: ClassVar[bool] = False  # points hold no text: ids, timestamps, numbers

    # The cap is a setting (INGEST_MAX_POINTS; a larger batch is a 413), so the document states
    # the default rather than the model enforcing it.
    points: list[Measurement] = Field(
        description="at most 10,000 points (configurable)", json_schema_extra={"maxItems": 10_000}
    )


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

"""Query parameters of the hot reads, validated as one model in one pydantic-core call.

FastAPI 0.165 re-inspects each declared parameter's annotation on every request, so parameters
declared one by one cost a hot read a call each, where one model costs a single call. A route
using `QueryModel` declares them in OpenAPI from the model (`openapi_extra`; the document is
unchanged) and answers a bad value with FastAPI's 422 (`loc: ["query", name]`).
"""

import functools
from typing import Annotated, Generic, TypeVar
from urllib.parse import parse_qsl

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from assetwatch.api.params import CURSOR_HELP, Id
from assetwatch.api.problems import invalid_request
from assetwatch.api.schemas import Order
from assetwatch.domain.readings import BUCKET_PATTERN
from assetwatch.domain.types import Timestamp  # a query's instants obey the stored ones' rule
from assetwatch.services.pagination import CURSOR_MAX_LENGTH, CURSOR_PATTERN
from assetwatch.services.telemetry import MAX_READINGS_LIMIT

M = TypeVar("M", bound=BaseModel)
QUERY_CACHE_SIZE = 1024


class QueryModel(Generic[M]):
    """Reads a route's query string as `model`; `openapi` documents it as query parameters."""

    def __init__(self, model: type[M], *, repeated: frozenset[str] = frozenset()) -> None:
        self._adapter = TypeAdapter(model)
        self._repeated = repeated  # parameters that may repeat: a list of every value
        # Dashboards repeat the same few query strings, and the models are frozen: a query
        # string seen lately is not parsed and validated again.
        self._parsed = functools.lru_cache(maxsize=QUERY_CACHE_SIZE)(self._parse)
        schema = model.model_json_schema()
        self.openapi = {
            "parameters": [
                {
                    "name": name,
                    "in": "query",
                    "required": name in schema.get("required", ()),
                    "schema": prop,
                    **({"description": prop["description"]} if "description" in prop else {}),
                }
                for name, prop in schema["properties"].items()
            ]
        }

    def __call__(self, request: Request) -> M:
        return self._parsed(request.scope["query_string"])

    def _parse(self, query_string: bytes) -> M:
        # As Starlette reads a query string; like FastAPI, a repeated parameter counts once,
        # with its last value.
        pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
        params: dict[str, str | list[str]] = dict(pairs)
        for name in self._repeated:
            if name in params:
                params[name] = [value for key, value in pairs if key == name]
        try:
            return self._adapter.validate_python(params)
        except ValidationError as error:  # not cached: a bad query is validated each time
            raise invalid_request(error, "query") from error


class _Query(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)  # unknown parameters: ignored


class ReadingsQuery(_Query):
    start: Timestamp | None = Field(None, description="inclusive")
    end: Timestamp | None = Field(None, description="exclusive")
    order: Order = Field("asc", description="asc: oldest first")
    limit: Annotated[int, Field(ge=1, le=MAX_READINGS_LIMIT)] = 1000
    cursor: str | None = Field(
        None, max_length=CURSOR_MAX_LENGTH, pattern=CURSOR_PATTERN, description=CURSOR_HELP
    )


class RollupsQuery(_Query):
    bucket: str = Field(
        "1h", pattern=BUCKET_PATTERN, description="a whole number of s, m, h or d", examples=["1h"]
    )
    start: Timestamp | None = Field(None, description="inclusive; default end - 1 day")
    end: Timestamp | None = Field(None, description="exclusive; default now")


class AssetRollupsQuery(RollupsQuery):
    signal_id: list[Id] | None = Field(
        None, max_length=1000, description="only these signals (repeat it); default all"
    )


readings_query = QueryModel(ReadingsQuery)
rollups_query = QueryModel(RollupsQuery)
asset_rollups_query = QueryModel(AssetRollupsQuery, repeated=frozenset({"signal_id"}))

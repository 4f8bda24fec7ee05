"""The bodies' field types as the OpenAPI document states them: the domain's rules, with the
patterns and bounds JSON Schema can say, so that the document accepts exactly what the server
stores (schemathesis' positive and negative data checks hold the two together)."""

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, WithJsonSchema

from assetwatch.domain.organizations import RetentionDays
from assetwatch.domain.tags import MAX_TAG_LENGTH, MAX_TAGS, TAG_PATTERN
from assetwatch.domain.tags import Tags as DomainTags
from assetwatch.domain.types import MAX_ATTRIBUTE_DEPTH
from assetwatch.domain.types import Attributes as DomainAttributes
from assetwatch.domain.types import Description as DomainDescription
from assetwatch.domain.types import Name as DomainName
from assetwatch.domain.types import ShortText as DomainShortText

# The bodies' text fields, with the patterns that make the document accept exactly what the
# server stores: no NUL anywhere (PostgreSQL refuses it), and in a name something other than
# whitespace (names are trimmed). `\x1c-\x1f` are whitespace to Python's trimming, not to \s.
NO_NUL_TEXT = r"^[^\x00]*$"
NAMED_TEXT = r"^[^\x00]*[^\x00\s\x1c-\x1f][^\x00]*$"
Name = Annotated[DomainName, Field(pattern=NAMED_TEXT)]
ShortText = Annotated[DomainShortText, Field(pattern=NAMED_TEXT)]
Description = Annotated[DomainDescription, Field(pattern=NO_NUL_TEXT)]
Tags = Annotated[
    DomainTags,
    WithJsonSchema(
        {
            "type": "array",
            "maxItems": MAX_TAGS,
            "items": {"type": "string", "maxLength": MAX_TAG_LENGTH, "pattern": TAG_PATTERN},
        }
    ),
]
# Any JSON object, its keys and text free of NUL, nested as deep as the domain allows: the
# schema is written out level by level rather than recursive, which generated clients
# (openapi-python-client) cannot read.
_SCALARS: list[dict[str, Any]] = [
    {"type": "string", "pattern": NO_NUL_TEXT},
    {"type": "number"},
    {"type": "boolean"},
    {"type": "null"},
]


def _attribute_value(levels: int) -> dict[str, Any]:
    """A value inside which `levels` more objects or lists may nest."""
    if levels == 0:
        return {"anyOf": _SCALARS}
    inner = _attribute_value(levels - 1)
    return {
        "anyOf": [
            *_SCALARS,
            {"type": "array", "items": inner},
            {
                "type": "object",
                "propertyNames": {"pattern": NO_NUL_TEXT},
                "additionalProperties": inner,
            },
        ]
    }


Attributes = Annotated[
    DomainAttributes,
    WithJsonSchema(
        {
            "type": "object",
            "propertyNames": {"pattern": NO_NUL_TEXT},
            "additionalProperties": _attribute_value(MAX_ATTRIBUTE_DEPTH - 1),
        }
    ),
]


def _whole_number(value: Any) -> Any:
    """A JSON integer, as JSON Schema has it: 90 or 90.0, never "90", 90.5 or true."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ValueError("must be a whole number")


StrictRetentionDays = Annotated[RetentionDays, BeforeValidator(_whole_number)]

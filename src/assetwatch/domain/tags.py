"""Asset tags: short labels to group and filter assets ("north-field", "fleet:b", "2024").

A tag is trimmed and lowercased, so `North-Field` and ` north-field ` are one tag; a list of
tags keeps its first-seen order without duplicates. Commas are refused so a comma-separated
list of tags stays unambiguous in a query string. Replace the whole list to change it
(`asset.tags = [...]`): that is validated and tracked; an in-place `append` is neither.
"""

from typing import Annotated

from pydantic import AfterValidator, StringConstraints, TypeAdapter

MAX_TAGS = 50
MAX_TAG_LENGTH = 64


def _plain(value: str) -> str:
    if "," in value or not value.isprintable():
        raise ValueError("a tag may not contain commas, tabs, line breaks or control characters")
    return value


Tag = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, min_length=1, max_length=MAX_TAG_LENGTH
    ),
    AfterValidator(_plain),
]


def _unique(tags: list[str]) -> list[str]:
    unique = list(dict.fromkeys(tags))
    if len(unique) > MAX_TAGS:
        raise ValueError(f"at most {MAX_TAGS} different tags")
    return unique


Tags = Annotated[list[Tag], AfterValidator(_unique)]

_TAG = TypeAdapter(Tag)


def normalise_tag(value: str) -> str:
    """One tag as stored, e.g. for a `?tag=` filter; raises pydantic.ValidationError."""
    return _TAG.validate_python(value)

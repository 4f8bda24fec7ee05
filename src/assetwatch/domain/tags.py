"""Asset tags: short labels to group and filter assets ("north-field", "fleet:b", "2024").

A tag is trimmed and lowercased, so `North-Field` and ` north-field ` are one tag; a list of
tags keeps its first-seen order without duplicates. Commas are refused so a comma-separated
list of tags stays unambiguous in a query string. Replace the whole list to change it
(`asset.tags = [...]`): that is validated and tracked; an in-place `append` is neither.
"""

import re
from typing import Annotated

from pydantic import AfterValidator, StringConstraints, TypeAdapter

MAX_TAGS = 50
MAX_TAG_LENGTH = 64
# No comma and no control character (tabs and line breaks among them), and something besides
# whitespace. The HTTP contract states the same pattern (api/schemas.py).
_OTHER = r"[^,\x00-\x1f\x7f-\x9f]"
_VISIBLE = r"[^,\s\x00-\x1f\x7f-\x9f]"
TAG_PATTERN = rf"^{_OTHER}*{_VISIBLE}{_OTHER}*$"
_TAG_TEXT = re.compile(TAG_PATTERN)


def _plain(value: str) -> str:
    if not _TAG_TEXT.match(value):
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

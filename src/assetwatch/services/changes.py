"""Partial updates of entities: assign each changed field, as a client's PATCH asks."""

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from assetwatch.domain import FieldError, InvalidInput


def apply_changes(entity: BaseModel, changes: Mapping[str, Any]) -> bool:
    """Assign each field whose value differs; True when anything changed.

    The entity validates every assignment, so a rejected value raises `InvalidInput` and leaves
    the entity as it was. Mapped entities record each assignment for the next flush: this is
    what writes a PATCH to the database.
    """
    changed = False
    for field, value in changes.items():
        before = getattr(entity, field)
        if before == value:
            continue
        try:
            setattr(entity, field, value)
        except ValidationError as error:
            raise InvalidInput(
                f"invalid value for {field}",
                # An assignment's errors are located at the field already.
                [FieldError(tuple(e["loc"]), e["msg"], e["type"]) for e in error.errors()],
            ) from error
        changed |= getattr(entity, field) != before  # " Tractor " normalises to "Tractor"
    return changed

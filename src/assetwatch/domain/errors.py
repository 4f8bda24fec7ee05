"""Domain errors. The API layer maps each to an HTTP problem; nothing here knows about HTTP."""

from collections.abc import Sequence
from dataclasses import dataclass

FieldPath = tuple[str | int, ...]


class DomainError(Exception):
    """Base of every error a use case raises on purpose."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    """The resource does not exist, or belongs to another organisation (never say which)."""


class Conflict(DomainError):
    """The request clashes with the current state (a duplicate name, say)."""


class AuthenticationFailed(DomainError):
    """No credentials, unknown or revoked credentials."""


class PermissionDenied(DomainError):
    """Authenticated, but the role is too low for the action."""


class StoreUnavailable(DomainError):
    """The store cannot answer now (connection lost, pool exhausted, statement timed out); the
    caller may retry shortly. The db layer raises it in place of its driver's errors."""


@dataclass(frozen=True, slots=True)
class FieldError:
    """One offending part of a use case's input: where it is in that input (`("bucket",)`,
    `("points", 3, "ts")`), what is wrong with it, and the rule it breaks (`type`)."""

    field: FieldPath
    msg: str
    type: str


class InvalidInput(DomainError):
    """Input that passed the shape checks but breaks a rule; `errors` names each offender."""

    def __init__(self, detail: str, errors: Sequence[FieldError] = ()) -> None:
        super().__init__(detail)
        self.errors = list(errors)

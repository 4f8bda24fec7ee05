"""Pure domain: Pydantic models and rules. Imports nothing from SQLAlchemy, FastAPI or the db."""

from assetwatch.domain.api_keys import ApiKey, IssuedKey, Role
from assetwatch.domain.assets import Asset
from assetwatch.domain.errors import (
    AuthenticationFailed,
    Conflict,
    DomainError,
    FieldError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    StoreUnavailable,
)
from assetwatch.domain.measurements import Measurement, Points
from assetwatch.domain.organizations import Organization
from assetwatch.domain.readings import LatestPoint, Reading, Rollup
from assetwatch.domain.rollup_columns import RollupColumns
from assetwatch.domain.signals import Signal

__all__ = [
    "ApiKey",
    "Asset",
    "AuthenticationFailed",
    "Conflict",
    "DomainError",
    "FieldError",
    "InvalidInput",
    "IssuedKey",
    "LatestPoint",
    "Measurement",
    "NotFound",
    "Organization",
    "PermissionDenied",
    "Points",
    "Reading",
    "Role",
    "Rollup",
    "RollupColumns",
    "Signal",
    "StoreUnavailable",
]

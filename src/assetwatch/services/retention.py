"""An organisation's retention: how long its telemetry is kept (admin only).

An organisation either sets its own number of days or inherits the deployment's default
(`Settings.retention_days`, itself None for "keep forever"). The maintenance worker applies
the result (`assetwatch.db.retention`).
"""

from dataclasses import dataclass

from pydantic import ValidationError

from assetwatch.domain import FieldError, InvalidInput, NotFound, Organization, Role
from assetwatch.services.auth import Principal
from assetwatch.services.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class Retention:
    days: int | None  # what applies: None keeps the telemetry forever
    inherited: bool  # True: the organisation set none, the deployment's default applies
    default_days: int | None  # the deployment's default


def effective(own_days: int | None, default_days: int | None) -> Retention:
    """What applies to an organisation that set `own_days` (None: it set none)."""
    if own_days is None:
        return Retention(default_days, inherited=True, default_days=default_days)
    return Retention(own_days, inherited=False, default_days=default_days)


async def _organization(uow: UnitOfWork, caller: Principal) -> Organization:
    organization = await uow.organizations.get(caller.organization_id)
    if organization is None:  # deleted since its key was cached
        raise NotFound(f"no organisation {caller.organization_id}")
    return organization


async def get_retention(uow: UnitOfWork, caller: Principal, default_days: int | None) -> Retention:
    caller.require(Role.admin)
    async with uow:
        organization = await _organization(uow, caller)
        return effective(organization.retention_days, default_days)


async def set_retention(
    uow: UnitOfWork, caller: Principal, days: int | None, *, default_days: int | None
) -> Retention:
    """Set the organisation's own retention; None goes back to the deployment's default."""
    caller.require(Role.admin)
    async with uow:
        organization = await _organization(uow, caller)
        if organization.retention_days != days:
            try:
                organization.retention_days = days
            except ValidationError as error:
                raise InvalidInput(
                    "invalid number of days",
                    [
                        # e["loc"] starts with the entity's name for it, retention_days
                        FieldError(("days", *e["loc"][1:]), e["msg"], e["type"])
                        for e in error.errors()
                    ],
                ) from error
            await uow.commit()
        return effective(organization.retention_days, default_days)

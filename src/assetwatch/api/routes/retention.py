"""/v1/retention: how long the organisation's telemetry is kept (admin only)."""

from fastapi import APIRouter, Request

from assetwatch.api import responses
from assetwatch.api.deps import Caller, Uow, runtime_of
from assetwatch.api.schemas import RetentionOut, RetentionUpdate
from assetwatch.services import retention

router = APIRouter(prefix="/v1/retention", tags=["retention"], responses=responses.AUTHENTICATED)


def _default_days(request: Request) -> int | None:
    return runtime_of(request).settings.retention_days


def _out(applied: retention.Retention) -> RetentionOut:
    return RetentionOut(
        days=applied.days, inherited=applied.inherited, default_days=applied.default_days
    )


@router.get(
    "",
    response_model=RetentionOut,
    summary="Read the organisation's retention (its own, or the deployment's default)",
)
async def get_retention(request: Request, caller: Caller, uow: Uow) -> RetentionOut:
    return _out(await retention.get_retention(uow, caller, _default_days(request)))


@router.put(
    "",
    response_model=RetentionOut,
    summary="Set the organisation's retention in days (null: back to the default)",
    description="Segments whose newest point is older than the retention are deleted by the "
    "maintenance worker's next cycle, a whole hour of a signal at a time.",
)
async def set_retention(
    body: RetentionUpdate, request: Request, caller: Caller, uow: Uow
) -> RetentionOut:
    applied = await retention.set_retention(
        uow, caller, body.days, default_days=_default_days(request)
    )
    return _out(applied)

"""/v1/signals/{id}."""

from fastapi import APIRouter, Response, status

from assetwatch.api import responses
from assetwatch.api.deps import Caller, Uow
from assetwatch.api.params import Id
from assetwatch.api.schemas import SignalOut, SignalUpdate
from assetwatch.services import assets

router = APIRouter(
    prefix="/v1/signals",
    tags=["signals"],
    responses={**responses.AUTHENTICATED, **responses.NOT_FOUND},
)


@router.get("/{signal_id}", response_model=SignalOut, summary="Read a signal")
async def get_signal(signal_id: Id, caller: Caller, uow: Uow) -> SignalOut:
    return SignalOut.model_validate(await assets.get_signal(uow, caller, signal_id))


@router.patch(
    "/{signal_id}",
    response_model=SignalOut,
    responses=responses.CONFLICT,
    summary="Change some fields of a signal",
)
async def update_signal(signal_id: Id, body: SignalUpdate, caller: Caller, uow: Uow) -> SignalOut:
    changes = body.model_dump(exclude_unset=True)
    return SignalOut.model_validate(await assets.update_signal(uow, caller, signal_id, changes))


@router.delete(
    "/{signal_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,  # no content, so no content type
    summary="Delete a signal and its measurements",
)
async def delete_signal(signal_id: Id, caller: Caller, uow: Uow) -> None:
    await assets.delete_signal(uow, caller, signal_id)

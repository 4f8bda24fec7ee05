"""/v1/assets and /v1/assets/{id}/signals."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from assetwatch.api import responses
from assetwatch.api.deps import Caller, Uow
from assetwatch.api.params import NO_NUL, Cursor, Id, Limit
from assetwatch.api.schemas import (
    AssetCreate,
    AssetDetail,
    AssetOut,
    AssetUpdate,
    Page,
    SignalCreate,
    SignalOut,
)
from assetwatch.domain.tags import MAX_TAG_LENGTH, TAG_PATTERN
from assetwatch.services import assets
from assetwatch.services.pagination import DEFAULT_LIMIT

router = APIRouter(prefix="/v1/assets", tags=["assets"], responses=responses.AUTHENTICATED)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=AssetDetail,
    responses=responses.CONFLICT,
    summary="Create an asset",
)
async def create_asset(
    body: AssetCreate, caller: Caller, uow: Uow, request: Request, response: Response
) -> AssetDetail:
    asset = await assets.create_asset(uow, caller, body.model_dump())
    response.headers["Location"] = str(request.url_for("get_asset", asset_id=asset.id))
    return AssetDetail.model_validate(asset)


@router.get("", response_model=Page[AssetOut], summary="List assets")
async def list_assets(
    caller: Caller,
    uow: Uow,
    kind: Annotated[
        str | None, Query(max_length=32, pattern=NO_NUL, description="exact kind")
    ] = None,
    q: Annotated[
        str | None, Query(max_length=200, pattern=NO_NUL, description="name prefix, any case")
    ] = None,
    tag: Annotated[
        str | None,
        Query(max_length=MAX_TAG_LENGTH, pattern=TAG_PATTERN, description="has this tag"),
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[AssetOut]:
    page = await assets.list_assets(
        uow, caller, kind=kind, name_prefix=q, tag=tag, cursor=cursor, limit=limit
    )
    return Page(
        items=[AssetOut.model_validate(a) for a in page.items], next_cursor=page.next_cursor
    )


@router.get(
    "/{asset_id}",
    response_model=AssetDetail,
    responses=responses.NOT_FOUND,
    summary="Read an asset with its signals and their latest points",
)
async def get_asset(asset_id: Id, caller: Caller, uow: Uow) -> AssetDetail:
    return AssetDetail.model_validate(await assets.get_asset(uow, caller, asset_id))


@router.patch(
    "/{asset_id}",
    response_model=AssetDetail,
    responses={**responses.NOT_FOUND, **responses.CONFLICT},
    summary="Change some fields of an asset",
)
async def update_asset(asset_id: Id, body: AssetUpdate, caller: Caller, uow: Uow) -> AssetDetail:
    changes = body.model_dump(exclude_unset=True)
    return AssetDetail.model_validate(await assets.update_asset(uow, caller, asset_id, changes))


@router.delete(
    "/{asset_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,  # no content, so no content type
    responses=responses.NOT_FOUND,
    summary="Delete an asset, its signals and their measurements",
)
async def delete_asset(asset_id: Id, caller: Caller, uow: Uow) -> None:
    await assets.delete_asset(uow, caller, asset_id)


@router.post(
    "/{asset_id}/signals",
    status_code=status.HTTP_201_CREATED,
    response_model=SignalOut,
    responses={**responses.NOT_FOUND, **responses.CONFLICT},
    summary="Add a signal to an asset",
)
async def create_signal(
    asset_id: Id,
    body: SignalCreate,
    caller: Caller,
    uow: Uow,
    request: Request,
    response: Response,
) -> SignalOut:
    signal = await assets.create_signal(uow, caller, asset_id, body.model_dump())
    response.headers["Location"] = str(request.url_for("get_signal", signal_id=signal.id))
    return SignalOut.model_validate(signal)


@router.get(
    "/{asset_id}/signals",
    response_model=Page[SignalOut],
    responses=responses.NOT_FOUND,
    summary="List an asset's signals",
)
async def list_signals(
    asset_id: Id, caller: Caller, uow: Uow, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
) -> Page[SignalOut]:
    page = await assets.list_signals(uow, caller, asset_id, cursor=cursor, limit=limit)
    return Page(
        items=[SignalOut.model_validate(s) for s in page.items], next_cursor=page.next_cursor
    )

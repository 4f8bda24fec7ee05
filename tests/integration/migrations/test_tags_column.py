"""The assets.tags column that 0002/0003 add, through the mapped domain class and Core."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from assetwatch.db import tables
from assetwatch.domain import Asset, Organization

Factory = async_sessionmaker[AsyncSession]


async def _asset(factory: Factory, **fields: object) -> int:
    async with factory() as session:
        org = Organization(slug="tags-org", name="Tags")
        session.add(org)
        await session.flush()
        asset = Asset(organization_id=org.id, name="Tractor", **fields)
        session.add(asset)
        await session.commit()
        assert asset.id is not None
        return asset.id


async def test_tags_are_stored_normalised_and_load_back_as_a_list(session_factory: Factory) -> None:
    asset_id = await _asset(session_factory, tags=[" North ", "north", "Fleet:B"])
    async with session_factory() as session:
        stored = await session.scalar(
            select(tables.assets.c.tags).where(tables.assets.c.id == asset_id)
        )
        loaded = await session.get(Asset, asset_id)
    assert stored == ["north", "fleet:b"]
    assert loaded is not None
    assert loaded.tags == ["north", "fleet:b"]


async def test_an_asset_created_without_tags_gets_the_empty_default(
    session_factory: Factory,
) -> None:
    asset_id = await _asset(session_factory)
    async with session_factory() as session:
        stored = await session.scalar(
            select(tables.assets.c.tags).where(tables.assets.c.id == asset_id)
        )
    assert stored == []


async def test_replacing_the_tags_is_flushed_and_containment_finds_them(
    session_factory: Factory,
) -> None:
    asset_id = await _asset(session_factory, tags=["a"])
    async with session_factory() as session:
        asset = await session.get(Asset, asset_id)
        assert asset is not None
        asset.tags = ["B", "c"]
        await session.commit()
    c = tables.assets.c
    async with session_factory() as session:
        found = (await session.scalars(select(c.id).where(c.tags.contains(["b"])))).all()
        missing = (await session.scalars(select(c.id).where(c.tags.contains(["a"])))).all()
    assert (found, missing) == ([asset_id], [])

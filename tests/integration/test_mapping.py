"""Imperative mapping of the Pydantic domain classes, on real PostgreSQL through AsyncSession."""

import importlib.metadata
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import func, insert, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import base as orm_base
from sqlalchemy.orm.state import InstanceState

from assetwatch.db import tables
from assetwatch.db.mappers import (
    PYDANTIC_VERSION,
    SQLALCHEMY_VERSION,
    STATE_ATTR,
    clear_mappers,
    start_mappers,
)
from assetwatch.domain import ApiKey, Asset, Organization, Role, Signal

Factory = async_sessionmaker[AsyncSession]


async def _org(session: AsyncSession) -> Organization:
    org = Organization(slug="acme", name="Acme")
    session.add(org)
    await session.flush()
    return org


async def _stored_asset(factory: Factory) -> int:
    async with factory() as session:
        org = await _org(session)
        asset = Asset(
            organization_id=org.id,
            name="Tractor 1",
            attributes={"vin": "X1"},
            signals=[Signal(name="rpm", unit="rpm"), Signal(name="fuel", unit="%")],
        )
        session.add(asset)
        await session.commit()
        assert asset.id is not None
        return asset.id


async def test_add_and_commit_assign_database_ids(session_factory: Factory) -> None:
    async with session_factory() as session:
        org = await _org(session)
        key = ApiKey(
            organization_id=org.id or 0, name="k", prefix="p1", secret_hash="h", role=Role.admin
        )
        session.add(key)
        await session.commit()
    assert isinstance(org.id, int)
    assert isinstance(key.id, int)


async def test_get_returns_the_domain_class_with_its_values(session_factory: Factory) -> None:
    asset_id = await _stored_asset(session_factory)
    async with session_factory() as session:
        asset = await session.get(Asset, asset_id)
    assert type(asset) is Asset
    assert asset is not None
    assert (asset.name, asset.kind, asset.attributes) == ("Tractor 1", "generic", {"vin": "X1"})


async def test_select_loads_assets_with_their_signals_eagerly(session_factory: Factory) -> None:
    await _stored_asset(session_factory)
    async with session_factory() as session:
        assets = (await session.scalars(select(Asset))).all()
    # The session is closed: anything not loaded eagerly would fail or vanish here.
    assert [s.name for s in assets[0].signals] == ["rpm", "fuel"]
    assert all(type(s) is Signal for s in assets[0].signals)


async def test_model_dump_of_a_loaded_object_after_commit_is_complete(
    session_factory: Factory,
) -> None:
    asset_id = await _stored_asset(session_factory)
    async with session_factory() as session:
        asset = await session.get(Asset, asset_id)
        assert asset is not None
        asset.description = "red one"
        await session.commit()
    dumped = asset.model_dump()
    assert set(dumped) == set(Asset.model_fields)
    assert dumped["description"] == "red one"
    assert [set(s) for s in dumped["signals"]] == [set(Signal.model_fields)] * 2


async def test_assigning_a_new_value_flushes_exactly_one_update(
    session_factory: Factory, statements: list[str]
) -> None:
    asset_id = await _stored_asset(session_factory)
    async with session_factory() as session:
        asset = await session.get(Asset, asset_id)
        assert asset is not None
        statements.clear()
        asset.name = "  Tractor 2  "
        await session.commit()
    assert [s.split()[0] for s in statements] == ["UPDATE"]
    assert asset.name == "Tractor 2"  # validated (trimmed) before it was written
    async with session_factory() as session:
        stored = await session.scalar(
            select(tables.assets.c.name).where(tables.assets.c.id == asset_id)
        )
    assert stored == "Tractor 2"


async def test_assigning_the_same_value_flushes_nothing(
    session_factory: Factory, statements: list[str]
) -> None:
    asset_id = await _stored_asset(session_factory)
    async with session_factory() as session:
        asset = await session.get(Asset, asset_id)
        assert asset is not None
        statements.clear()
        asset.name = "Tractor 1"
        await session.flush()
    assert statements == []


async def test_a_rejected_assignment_leaves_the_object_clean(
    session_factory: Factory, statements: list[str]
) -> None:
    asset_id = await _stored_asset(session_factory)
    async with session_factory() as session:
        asset = await session.get(Asset, asset_id)
        assert asset is not None
        statements.clear()
        with pytest.raises(ValidationError):
            asset.name = ""
        assert asset.name == "Tractor 1"
        assert not session.dirty
        await session.flush()
    assert statements == []


async def test_appending_to_a_loaded_collection_inserts_the_child(session_factory: Factory) -> None:
    asset_id = await _stored_asset(session_factory)
    async with session_factory() as session:
        asset = await session.get(Asset, asset_id)
        assert asset is not None
        asset.add_signal(Signal(name="hours", unit="h"))
        await session.commit()
    async with session_factory() as session:
        reloaded = await session.get(Asset, asset_id, populate_existing=True)
    assert reloaded is not None
    assert [s.name for s in reloaded.signals] == ["rpm", "fuel", "hours"]


async def test_deleting_an_asset_cascades_to_signals_and_measurements(
    session_factory: Factory,
) -> None:
    asset_id = await _stored_asset(session_factory)
    async with session_factory() as session:
        asset = await session.get(Asset, asset_id)
        assert asset is not None
        signal_id = asset.signals[0].id
        await session.execute(
            insert(tables.measurements).values(signal_id=signal_id, ts=datetime.now(UTC), value=1.5)
        )
        await session.delete(asset)
        await session.commit()
    async with session_factory() as session:
        counts = [
            await session.scalar(select(func.count()).select_from(t))
            for t in (tables.assets, tables.signals, tables.measurements)
        ]
    assert counts == [0, 0, 0]


async def test_rows_written_with_core_load_as_domain_objects(session_factory: Factory) -> None:
    async with session_factory() as session:
        org = await _org(session)
        await session.execute(
            insert(tables.api_keys).values(
                organization_id=org.id, name="core", prefix="pc", secret_hash="h", role="writer"
            )
        )
        key = (await session.scalars(select(ApiKey))).one()
    assert key.role is Role.writer
    assert key.is_active


def test_clear_mappers_restores_the_classes_exactly() -> None:
    before = {cls: dict(vars(cls)) for cls in (Asset, Signal, Organization)}
    clear_mappers()
    clear_mappers()  # idempotent
    try:
        assert {cls: dict(vars(cls)) for cls in before} != before  # they were instrumented
        assert set(vars(Asset)) == set(Asset.__dict__)
        assert not hasattr(Asset, "_sa_class_manager")
        assert "__setattr__" not in vars(Asset)
        Asset(name="plain again").name = "still plain"
    finally:
        start_mappers()
        start_mappers()  # idempotent
    assert {cls: set(vars(cls)) for cls in before} == {cls: set(b) for cls, b in before.items()}


def _pinned_to_its_minor(package: str, minor: str) -> None:
    """The installed version is of `minor`, and pyproject.toml admits no other minor."""
    installed = importlib.metadata.version(package)
    assert installed.startswith(f"{minor}."), (package, installed)
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    pin = next(
        d for d in pyproject["project"]["dependencies"] if d.split(">=")[0].split("[")[0] == package
    )
    lowest, above = pin.split(">=", 1)[1].split(",<")
    major, minor_number = minor.split(".")
    assert above == f"{major}.{int(minor_number) + 1}", pin
    assert lowest.startswith(f"{minor}."), pin


def test_the_internals_the_mapping_relies_on_hold() -> None:
    """What db/mappers.py relies on in SQLAlchemy and Pydantic (listed there): fails loudly on
    an upgrade that changes one, before the behaviours above fail in subtler ways."""
    _pinned_to_its_minor("sqlalchemy", SQLALCHEMY_VERSION)
    _pinned_to_its_minor("pydantic", PYDANTIC_VERSION)

    # SQLAlchemy: the state's attribute name and constructor, collection adapters.
    assert orm_base.DEFAULT_STATE_ATTR == STATE_ATTR
    signal = Signal(name="rpm")
    manager = orm_base.manager_of_class(Signal)
    state = manager._state_constructor(signal, manager)
    assert isinstance(state, InstanceState)
    assert state.obj() is signal
    asset = Asset(name="Tractor", signals=[Signal(name="rpm")])  # Pydantic stores a plain list
    added = inspect(asset).attrs.signals.history.added  # the state, made: the list adopted
    assert hasattr(asset.signals, "_sa_adapter")  # through manager[key].impl.set
    assert [s.name for s in added] == ["rpm"]

    # Pydantic: new __dict__ on __init__ and on a validated assignment; its three slots.
    class Plain(BaseModel):
        model_config = ConfigDict(validate_assignment=True)
        value: int

    plain = Plain(value=1)
    before = plain.__dict__
    plain.value = 2
    assert plain.__dict__ is not before
    slots = {"__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__"}
    assert slots <= set(BaseModel.__slots__)
    bare = Plain.__new__(Plain)
    assert not any(hasattr(bare, slot) for slot in slots)

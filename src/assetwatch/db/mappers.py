"""Imperative mapping of the pure-Pydantic domain classes onto the Core tables.

SQLAlchemy keeps its per-object bookkeeping (`InstanceState`) in the instance `__dict__` under
`_sa_instance_state`, and records changes by intercepting attribute writes. Pydantic v2 defeats
both: `__init__` and `validate_assignment` replace `__dict__` wholesale, and objects that
SQLAlchemy loads (via `cls.__new__`) lack Pydantic's own slots. `start_mappers()` therefore
installs two small hooks on each mapped class, and `clear_mappers()` removes them again:

1. `_sa_instance_state`, a data descriptor that keeps the state in `__dict__`, recreating it when
   Pydantic dropped it (or when `__dict__` was copied from another object), and that initialises
   Pydantic's slots when the loader sets the state on a bare `cls.__new__` instance.
2. `__setattr__`, which lets Pydantic validate the value, restores the `__dict__` Pydantic swapped
   out, then writes the validated value through SQLAlchemy's instrumented attribute, so the
   change is recorded and flushed as one UPDATE (none when the value is unchanged).

See NARRATIVE.md for why each piece is needed, and below for the library internals it uses.
"""

from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import clear_mappers as sa_clear_mappers
from sqlalchemy.orm import configure_mappers, registry, relationship
from sqlalchemy.orm.attributes import InstrumentedAttribute
from sqlalchemy.orm.base import manager_of_class
from sqlalchemy.orm.state import InstanceState

from assetwatch.db import tables
from assetwatch.domain import ApiKey, Asset, Organization, Signal

# The library internals this module relies on, checked against these minor versions (pyproject
# pins them; tests/integration/test_mapping.py's test_the_internals_the_mapping_relies_on_hold):
# SQLAlchemy
# - an instance's `InstanceState` is read and set as its attribute `STATE_ATTR`
#   (`sqlalchemy.orm.base.DEFAULT_STATE_ATTR`), so a data descriptor can serve it;
# - `manager_of_class(cls)._state_constructor(obj, manager)` makes that state (private; from
#   `sqlalchemy.orm.base`, not the public API);
# - an instrumented collection carries `_sa_adapter`, and `manager[key].impl.set(state, dict_,
#   value, None)` turns a plain list into one.
# Pydantic
# - `__init__` and a validated assignment (`validate_assignment`) give the instance a new
#   `__dict__`, dropping whatever else it held;
# - instances have the slots `__pydantic_fields_set__`, `__pydantic_extra__` and
#   `__pydantic_private__`, which `cls.__new__` (SQLAlchemy's loader) leaves unset.
SQLALCHEMY_VERSION = "2.1"
PYDANTIC_VERSION = "2.14"

STATE_ATTR = "_sa_instance_state"
_HOOKS = (STATE_ATTR, "__setattr__")
_ABSENT = object()  # an attribute not in an instance's __dict__

mapper_registry = registry(metadata=tables.metadata)
_mapped: list[type[BaseModel]] = []


class _PydanticInstanceState:
    """The `_sa_instance_state` descriptor; see the module docstring."""

    def __get__(self, obj: BaseModel | None, owner: type[BaseModel]) -> InstanceState[Any]:
        if obj is None:
            # `inspect(cls)` probes the class attribute; it must look absent there.
            raise AttributeError(STATE_ATTR)
        dict_ = obj.__dict__
        state: InstanceState[Any] | None = dict_.get(STATE_ATTR)
        if state is not None and state.obj() is obj:
            return state
        manager = manager_of_class(type(obj))
        state = manager._state_constructor(obj, manager)
        dict_[STATE_ATTR] = state
        _adopt_plain_collections(obj, state)
        return state

    def __set__(self, obj: BaseModel, state: InstanceState[Any]) -> None:
        if not hasattr(obj, "__pydantic_fields_set__"):
            # A bare `cls.__new__` instance made by the loader: give it Pydantic's slots.
            object.__setattr__(obj, "__pydantic_fields_set__", set(type(obj).model_fields))
            object.__setattr__(obj, "__pydantic_extra__", None)
            object.__setattr__(obj, "__pydantic_private__", None)
        obj.__dict__[STATE_ATTR] = state


def _adopt_plain_collections(obj: BaseModel, state: InstanceState[Any]) -> None:
    """Move relationship lists Pydantic stored as plain lists into SQLAlchemy collections."""
    for prop in state.manager.mapper.relationships:
        value = obj.__dict__.get(prop.key, _ABSENT)
        if isinstance(value, list) and not hasattr(value, "_sa_adapter"):
            del obj.__dict__[prop.key]
            state.manager[prop.key].impl.set(state, obj.__dict__, value, None)


def _mapped_setattr(self: BaseModel, name: str, value: Any) -> None:
    attribute = getattr(type(self), name, None)
    if not isinstance(attribute, InstrumentedAttribute):
        BaseModel.__setattr__(self, name, value)
        return
    before = self.__dict__
    previous = before.get(name, _ABSENT)
    BaseModel.__setattr__(self, name, value)  # validates; raises before anything changed
    validated = self.__dict__[name]
    if self.__dict__ is not before:
        object.__setattr__(self, "__dict__", before)
    if previous is _ABSENT:
        before.pop(name, None)
    else:
        before[name] = previous
    attribute.__set__(self, validated)


def _install_hooks(cls: type[BaseModel]) -> None:
    type.__setattr__(cls, STATE_ATTR, _PydanticInstanceState())
    type.__setattr__(cls, "__setattr__", _mapped_setattr)


def _remove_hooks(cls: type[BaseModel]) -> None:
    for hook in _HOOKS:
        if hook in cls.__dict__:
            type.__delattr__(cls, hook)


def start_mappers() -> None:
    """Map the domain classes onto the tables. Idempotent; undone by `clear_mappers()`."""
    if _mapped:
        return
    mapper_registry.map_imperatively(Organization, tables.organizations)
    mapper_registry.map_imperatively(ApiKey, tables.api_keys)
    mapper_registry.map_imperatively(Signal, tables.signals)
    mapper_registry.map_imperatively(
        Asset,
        tables.assets,
        properties={
            "signals": relationship(
                Signal,
                lazy="selectin",
                order_by=tables.signals.c.id,
                cascade="all, delete-orphan",
                passive_deletes=True,
            )
        },
    )
    # Measurements are not mapped: they only move through Core (db/queries.py), and a mapped
    # class makes every point pay for instrumentation on the ingest path (instance state for
    # points never flushed).
    _mapped.extend([Organization, ApiKey, Signal, Asset])
    for cls in _mapped:
        _install_hooks(cls)
    configure_mappers()


def clear_mappers() -> None:
    """Undo `start_mappers()`: the classes are left exactly as they were defined."""
    if not _mapped:
        return
    sa_clear_mappers()
    for cls in _mapped:
        _remove_hooks(cls)
    _mapped.clear()

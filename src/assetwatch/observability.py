"""Counting SQL statements per request (the query budget), shared by the app, metrics and tests."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


@dataclass(slots=True)
class StatementCount:
    value: int = 0


_current: ContextVar[StatementCount | None] = ContextVar("assetwatch_statements", default=None)


def _count(*_: Any) -> None:
    counter = _current.get()
    if counter is not None:
        counter.value += 1


def count_statements_of(engine: Engine) -> None:
    """Count every statement `engine` sends while a `counting_statements()` block is active."""
    if not event.contains(engine, "before_cursor_execute", _count):
        event.listen(engine, "before_cursor_execute", _count)


@contextmanager
def counting_statements() -> Iterator[StatementCount]:
    counter = StatementCount()
    token = _current.set(counter)
    try:
        yield counter
    finally:
        _current.reset(token)

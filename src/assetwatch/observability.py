"""Logging set-up, and counting SQL statements per request (the query budget)."""

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

import orjson

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


@dataclass(slots=True)
class StatementCount:
    value: int = 0


_current: ContextVar[StatementCount | None] = ContextVar("assetwatch_statements", default=None)


# Transaction control is not a query (BEGIN/COMMIT never reach the cursor; savepoints do).
_TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


def count_statement() -> None:
    """One more statement sent for the current request (the hot paths call this themselves)."""
    counter = _current.get()
    if counter is not None:
        counter.value += 1


def _count(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
    if not statement.startswith(_TRANSACTION_CONTROL):
        count_statement()


def count_statements_of(engine: "Engine") -> None:
    """Count every statement `engine` sends while a `counting_statements()` block is active."""
    from sqlalchemy import event  # here, so that logging set-up alone never loads SQLAlchemy

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


# --- logging -----------------------------------------------------------------------------------

# Attributes every LogRecord has; anything else on a record came from `extra=` and is logged.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",  # uvicorn's ANSI-coloured copy of the message
}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, and the record's `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update((k, v) for k, v in vars(record).items() if k not in _STANDARD)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class ConsoleFormatter(logging.Formatter):
    """For people at a terminal: the message, then the extra fields as key=value."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{self.formatTime(record, '%H:%M:%S')} {record.levelname:<7} {record.getMessage()}"
        extra = " ".join(f"{k}={v}" for k, v in vars(record).items() if k not in _STANDARD)
        line = f"{line}  {extra}" if extra else line
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure_logging(level: str, fmt: str, stream: TextIO | None = None) -> None:
    """JSON lines unless attached to a terminal (or told otherwise); uvicorn's loggers included.

    uvicorn's own access log is switched off by `serve`: the app writes one richer line per
    request (`assetwatch.access`).
    """
    stream = stream or sys.stderr
    use_json = fmt == "json" or (fmt == "auto" and not stream.isatty())
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if use_json else ConsoleFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Readiness asks Alembic for the current revision on every probe: keep its chatter out.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # psycopg_pool logs every connection lent and returned at INFO.
    logging.getLogger("psycopg.pool").setLevel(logging.WARNING)

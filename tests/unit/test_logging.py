"""Log formatting: JSON lines for machines, key=value for people."""

import io
import json
import logging

from assetwatch.observability import configure_logging


def _emit(fmt: str) -> str:
    stream = io.StringIO()
    configure_logging("INFO", fmt, stream)
    try:
        logging.getLogger("assetwatch.test").info(
            "GET %s", "/v1/assets", extra={"request_id": "r1", "status": 200}
        )
    finally:
        logging.getLogger().handlers.clear()
    return stream.getvalue()


def test_json_lines_carry_message_level_and_extra_fields() -> None:
    entry = json.loads(_emit("json"))
    assert entry["msg"] == "GET /v1/assets"
    assert entry["level"] == "info"
    assert entry["logger"] == "assetwatch.test"
    assert (entry["request_id"], entry["status"]) == ("r1", 200)
    assert entry["ts"].endswith("+00:00")


def test_auto_picks_json_when_not_a_terminal() -> None:
    entry = json.loads(_emit("auto"))  # StringIO is not a TTY
    assert (entry["msg"], entry["logger"]) == ("GET /v1/assets", "assetwatch.test")
    assert (entry["request_id"], entry["status"]) == ("r1", 200)


def test_console_lines_are_readable() -> None:
    line = _emit("console")
    assert "GET /v1/assets" in line
    assert "request_id=r1" in line
    assert not line.startswith("{")
